"""Attention CRNN, the design note's comparator: a wav2vec 2.0-style convolutional feature encoder on
the raw 16 kHz waveform, a recurrent layer, attention pooling, softmax over 6 classes.

Encoder (Baevski et al. 2020, wav2vec 2.0 "feature encoder"): seven Conv1D layers with kernel
sizes 10,3,3,3,3,2,2 and strides 5,2,2,2,2,2,2 (total stride 320: one frame per 20 ms at
16 kHz), GELU, GroupNorm on the first layer as in wav2vec2-base; then, as wav2vec2's feature
projection, LayerNorm + Dense. The channel width is set in ``specs/attn_crnn.yaml`` (wav2vec2:
512). Trained from scratch by default.

With ``--embeddings DIR`` the input is precomputed wav2vec2 frame embeddings (frames, dim):
the conv encoder is skipped and the projection reads them directly. The builder tells the two
apart by the input width: one channel = a waveform.
"""

from __future__ import annotations

from mer_keras.models.attention_pooling import AttentionPooling
from mer_keras.models.speech_common import classifier_head, compile_classifier
from mer_keras.specs import load_spec


def conv_feature_encoder(x, encoder: dict):
    """The wav2vec2-style encoder on (batch, samples, 1) -> (batch, frames, channels)."""
    import keras

    for k, (kernel, stride) in enumerate(zip(encoder["kernel_sizes"], encoder["strides"])):
        x = keras.layers.Conv1D(encoder["channels"], kernel, strides=stride, use_bias=False, name=f"encoder_conv_{k}")(x)
        if k == 0:
            # wav2vec2-base: GroupNorm with one group per channel on the first layer only.
            x = keras.layers.GroupNormalization(groups=encoder["channels"], name="encoder_groupnorm")(x)
        x = keras.layers.Activation("gelu", name=f"encoder_gelu_{k}")(x)
    return x


def build_attn_crnn(frames: int | None = None, features: int | None = None, spec: dict | None = None):
    """Build and compile the attention CRNN.

    Parameters
    ----------
    frames, features : int, optional
        Input shape: (samples, 1) for a raw waveform (default the spec's 64,000 x 1, 4 s at 16 kHz),
        or (frames, dim) for precomputed embeddings (dim > 1).

    Returns
    -------
    keras.Model mapping the input to (batch, 6) class probabilities (``EMOTIONS`` order).
    """
    import keras

    spec = spec or load_spec("attn_crnn")
    frames = frames or spec["input"]["samples"]
    features = features or spec["input"]["features"]
    inputs = keras.Input((frames, features), name="waveform" if features == 1 else "embeddings")
    x = conv_feature_encoder(inputs, spec["encoder"]) if features == 1 else inputs
    projection = spec["projection"]
    x = keras.layers.LayerNormalization(name="projection_norm")(x)
    x = keras.layers.Dense(projection["units"], name="projection")(x)
    if projection.get("dropout"):
        x = keras.layers.Dropout(projection["dropout"], name="projection_dropout")(x)
    recurrent = spec["recurrent"]
    cell = {"GRU": keras.layers.GRU, "LSTM": keras.layers.LSTM}[recurrent["layer"]]
    layer = cell(recurrent["units"], return_sequences=True)
    x = keras.layers.Bidirectional(layer, name="recurrent")(x) if recurrent.get("bidirectional") else layer(x)
    x = AttentionPooling(spec["attention"]["units"], name="attention_pooling")(x)
    outputs = classifier_head(x, spec["head"])
    model = keras.Model(inputs, outputs, name="attn_crnn")
    compile_classifier(model, spec["training"])
    return model
