"""Speech-emotion CNN-LSTM: 2-D CNN blocks over the log-mel, the time axis fed to an LSTM, softmax over 6 classes.

Input ``(batch, frames, mels)`` (time first, like every log-mel model here). The CNN sees the
log-mel as a one-channel image; each block is Conv2D 3x3 -> BatchNorm -> ReLU -> MaxPool.
The pooled feature map (time', mels', channels) is flattened per time step into a sequence
that an LSTM reads; its last state goes to the softmax head. Sizes: ``specs/cnn_lstm.yaml``.
"""

from __future__ import annotations

from mer_keras.errors import MerError
from mer_keras.models.speech_common import classifier_head, compile_classifier
from mer_keras.specs import load_spec


def build_cnn_lstm(frames: int | None = None, features: int | None = None, spec: dict | None = None):
    """Build and compile the CNN-LSTM for (frames, mels) inputs; default the spec's 401 x 64 speech log-mel.

    Returns
    -------
    keras.Model mapping (batch, frames, mels) -> (batch, 6) class probabilities (``EMOTIONS`` order).
    """
    import keras

    spec = spec or load_spec("cnn_lstm")
    frames = frames or spec["input"]["frames"]
    features = features or spec["input"]["features"]
    pools = [block["pool"] for block in spec["conv_blocks"]]
    freq_left = features
    for pool in pools:
        freq_left //= pool[1]
    if freq_left < 1:
        raise MerError(f"cnn_lstm needs a spectrogram input (e.g. --features mel): {features} feature(s) per frame "
                       f"cannot go through {len(pools)} frequency poolings")
    inputs = keras.Input((frames, features), name="frames")
    x = keras.layers.Reshape((frames, features, 1), name="as_image")(inputs)
    for k, block in enumerate(spec["conv_blocks"]):
        x = keras.layers.Conv2D(block["filters"], block["kernel_size"], padding="same", use_bias=False, name=f"conv_{k}")(x)
        x = keras.layers.BatchNormalization(name=f"bn_{k}")(x)
        x = keras.layers.Activation("relu", name=f"relu_{k}")(x)
        x = keras.layers.MaxPooling2D(tuple(block["pool"]), name=f"pool_{k}")(x)
        if block.get("dropout"):
            x = keras.layers.Dropout(block["dropout"], name=f"dropout_{k}")(x)
    _, time_steps, freq, channels = x.shape
    x = keras.layers.Reshape((time_steps, freq * channels), name="time_sequence")(x)
    lstm = spec["lstm"]
    x = keras.layers.LSTM(lstm["units"], return_sequences=False, name="lstm")(x)
    outputs = classifier_head(x, spec["head"])
    model = keras.Model(inputs, outputs, name="cnn_lstm")
    compile_classifier(model, spec["training"])
    return model
