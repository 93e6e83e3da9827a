"""What the two speech-emotion models share: compile from the spec, the softmax head."""

from __future__ import annotations

from mer_keras.data.emotions import EMOTIONS


def compile_classifier(model, training: dict) -> None:
    """The spec's optimizer and loss (sparse categorical cross-entropy), accuracy logged per epoch."""
    from mer_keras.models.compile import compile_from_spec

    compile_from_spec(model, training, metrics=["accuracy"])


def classifier_head(x, head: dict, n_classes: int = len(EMOTIONS)):
    """Dense -> Dropout -> softmax over the six emotions (``EMOTIONS`` order)."""
    import keras

    if head.get("dense_units"):
        x = keras.layers.Dense(head["dense_units"], activation="relu", name="head_dense")(x)
    if head.get("dropout"):
        x = keras.layers.Dropout(head["dropout"], name="head_dropout")(x)
    return keras.layers.Dense(n_classes, activation="softmax", name="emotion")(x)
