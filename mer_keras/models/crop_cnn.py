"""A small CNN on log-mel crops: the fixed yardstick of the GAN's quality figures (issue 22).

Trained on random crops of the training songs only (``mer_keras.training.gan``), it gives two things:
its penultimate layer (``embedding``) is the space of the non-standard Frechet distance between real
and generated crops, and its output predicts the conditioning label of generated crops (label
fidelity): (valence, arousal) in [-1, 1] for ``va``, the four quadrant classes for ``quadrant``.

Input ``(batch, frames, mels)`` standardised crops; Conv 3x3 + ReLU + 2x2 max pooling per entry of
``channels`` -> global mean -> Dense(embedding_dim, ReLU) ``embedding`` -> Dense(2, tanh) or
Dense(4, softmax).
"""

from __future__ import annotations

import keras

from mer_keras.errors import SpecError

EMBEDDING = "embedding"


def build_crop_cnn(frames: int, mels: int, config: dict, condition: str = "va") -> keras.Model:
    """Build and compile the crop CNN.

    Parameters
    ----------
    frames, mels : int
        Crop size (time frames, mel bins).
    config : dict
        ``specs/gan.yaml`` ``quality.regressor``: ``channels``, ``embedding_dim``, ``learning_rate``.
    condition : ``"va"`` (regression, MSE) or ``"quadrant"`` (4 classes, sparse cross-entropy)

    Returns
    -------
    keras.Model mapping (batch, frames, mels) -> (batch, 2) in [-1, 1] or (batch, 4) probabilities.
    """
    if condition not in ("va", "quadrant"):
        raise SpecError(f"unknown condition {condition!r} for the crop CNN; choose va or quadrant")
    inputs = keras.Input((frames, mels), name="crop")
    x = keras.layers.Reshape((frames, mels, 1), name="crop_image")(inputs)
    for k, width in enumerate(config["channels"], 1):
        x = keras.layers.Conv2D(int(width), 3, padding="same", activation="relu", name=f"conv_{k}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool_{k}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="mean")(x)
    x = keras.layers.Dense(int(config["embedding_dim"]), activation="relu", name=EMBEDDING)(x)
    if condition == "va":
        outputs, loss, metrics = keras.layers.Dense(2, activation="tanh", name="valence_arousal")(x), "mse", []
    else:
        outputs = keras.layers.Dense(4, activation="softmax", name="quadrant")(x)
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    model = keras.Model(inputs, outputs, name="crop_cnn")
    model.compile(optimizer=keras.optimizers.Adam(float(config["learning_rate"])), loss=loss, metrics=metrics)
    return model


def embedding_model(model: keras.Model) -> keras.Model:
    """The crop CNN up to its penultimate layer: (batch, frames, mels) -> (batch, embedding_dim)."""
    return keras.Model(model.inputs, model.get_layer(EMBEDDING).output, name="crop_embedding")
