"""The documented CRNN, built layer by layer from ``specs/crnn.yaml``.

Input ``(batch, frames, features)``: time is the sequence axis, the 128 mel bins (or the
openSMILE features) are the Conv1D channels. The note's 4-D input ``(batch, 128, 1292, 1)``
cannot feed Conv1D layers; see ``known_inconsistencies`` in ``specs/estimates.yaml``.
"""

from __future__ import annotations

from mer_keras.errors import SpecError
from mer_keras.models.compile import compile_from_spec
from mer_keras.specs import load_spec


def _lstm_class(implementation: str):
    import keras

    if implementation == "keras":
        return keras.layers.LSTM
    if implementation == "projected":
        from mer_keras.models.projected_lstm import ProjectedLSTM

        return ProjectedLSTM
    raise SpecError(f"unknown lstm_implementation {implementation!r} in spec; use 'projected' or 'keras'")


def _layer(config: dict, index: int, lstm_implementation: str = "projected", pool_implementation: str = "block"):
    import keras

    kind = config["type"]
    name = f"{kind.lower()}_{index}"
    if kind == "Conv1D":
        return keras.layers.Conv1D(config["filters"], config["kernel_size"], activation=config["activation"], name=name)
    if kind == "MaxPooling1D":
        if pool_implementation == "block":
            from mer_keras.models.block_max_pooling import BlockMaxPooling1D

            return BlockMaxPooling1D(config["pool_size"], name=name)
        if pool_implementation != "keras":
            raise SpecError(f"unknown pool_implementation {pool_implementation!r} in spec; use 'block' or 'keras'")
        return keras.layers.MaxPooling1D(config["pool_size"], name=name)
    if kind == "Bidirectional":
        if config["layer"] != "LSTM":
            raise SpecError(f"unsupported recurrent layer {config['layer']!r} in specs/crnn.yaml")
        inner = _lstm_class(lstm_implementation)(config["units"], return_sequences=config["return_sequences"])
        return keras.layers.Bidirectional(inner, name=name)
    if kind == "Dense":
        return keras.layers.Dense(config["units"], activation=config["activation"], name=name)
    if kind == "Dropout":
        return keras.layers.Dropout(config["rate"], name=name)
    raise SpecError(f"unknown layer type {kind!r} in specs/crnn.yaml")


def build_crnn(frames: int | None = None, features: int | None = None, spec: dict | None = None):
    """Build and compile the CRNN.

    Parameters
    ----------
    frames, features : int, optional
        Input shape (time steps, channels); default the spec's 1,292 x 128 log-mel.
        DEAM openSMILE sequences use about 90 x 260 (``variants.opensmile``).
    spec : dict, optional
        A parsed ``specs/crnn.yaml``; default the file itself.

    Returns
    -------
    keras.Model mapping (batch, frames, features) -> (batch, 2) in [-1, 1]: (valence, arousal).
    """
    import keras

    spec = spec or load_spec("crnn")
    frames = frames or spec["input"]["frames"]
    features = features or spec["input"]["features"]
    inputs = keras.Input((frames, features), name="frames")
    outputs = inputs
    for index, config in enumerate(spec["layers"]):
        layer = _layer(config, index, spec.get("lstm_implementation", "projected"),
                       spec.get("pool_implementation", "block"))
        try:
            outputs = layer(outputs)
        except ValueError as exc:
            raise SpecError(f"an input of {frames} frames x {features} features is too short for the CRNN's layers "
                            f"(layer {index}, {config['type']}: {exc}); use a longer window") from None
    model = keras.Model(inputs, outputs, name=spec.get("name", "crnn"))
    compile_from_spec(model, spec["training"])
    return model
