"""The ViT of ``specs/vit.yaml`` on log-mel crops, heard over the whole clip: ``--model vit_gan`` (issue 22).

The same ViT layers are built for ``crop`` frames (``specs/vit_gan.yaml``: 128 frames, the GAN's crop);
the model takes ``(batch, frames, features)`` for any ``frames``:

- ``frames == crop`` (training: real and generated crops): the ViT's output as it is;
- ``frames > crop`` (validation, test, predict.py: the 1,292-frame clip): the clip is cut into
  ``ceil(frames / crop)`` crops spread evenly from its start to its end (neighbours overlap by a few
  frames, none of the clip is left out), each crop goes through the ViT and the clip's output is the
  mean over its crops;
- ``frames < crop``: zero-padded at the end (0 is the training mean of standardised inputs).

So train.py, evaluate.py and predict.py feed the model what they feed every model; the crop averaging is
inside it and saved with it (:class:`ClipCrops`, :class:`CropMean`).

The same holds for every model on crops (:func:`build_crop_model`): the spec's ``crop.backbone`` names the
registry model each crop goes through (``vit`` for ``vit_gan``; ``crnn`` for ``crnn_gan``, the documented
CRNN of ``specs/crnn.yaml`` on 128-frame crops, ``specs/crnn_gan.yaml``).
"""

from __future__ import annotations

import copy
import math

import keras
from keras import ops

from mer_keras.errors import SpecError


def crop_starts(frames: int, crop: int) -> list[int]:
    """Start frames of the crops that cover a clip of ``frames`` frames: ``ceil(frames / crop)`` crops from
    0 to ``frames - crop``, evenly spread (one crop at 0 when the clip is not longer than the crop)."""
    if frames <= crop:
        return [0]
    count = math.ceil(frames / crop)
    return [round(k * (frames - crop) / (count - 1)) for k in range(count)]


def _static_frames(inputs) -> int:
    frames = inputs.shape[1]
    if frames is None:
        raise SpecError("vit_gan cuts clips into crops by their length, which must be known when the model is "
                        "traced (the JAX backend, or eager TensorFlow)")
    return int(frames)


@keras.saving.register_keras_serializable(package="mer_keras")
class ClipCrops(keras.layers.Layer):
    """``(batch, frames, features)`` -> ``(batch * n_crops, crop, features)``: the clip's crops (:func:`crop_starts`),
    crop by crop for each clip in turn."""

    def __init__(self, crop: int, **kwargs):
        super().__init__(**kwargs)
        self.crop = int(crop)

    def call(self, inputs):
        frames = _static_frames(inputs)
        if frames < self.crop:
            inputs = ops.pad(inputs, [[0, 0], [0, self.crop - frames], [0, 0]])
            frames = self.crop
        starts = crop_starts(frames, self.crop)
        if len(starts) == 1:
            return inputs[:, :self.crop]
        crops = ops.stack([inputs[:, s:s + self.crop] for s in starts], axis=1)
        return ops.reshape(crops, (-1, self.crop, inputs.shape[-1]))

    def compute_output_shape(self, input_shape):
        return (None, self.crop, input_shape[-1])

    def get_config(self):
        return super().get_config() | {"crop": self.crop}


@keras.saving.register_keras_serializable(package="mer_keras")
class CropMean(keras.layers.Layer):
    """``[crop outputs (batch * n_crops, k), clips (batch, frames, features)]`` -> ``(batch, k)``: the mean over
    each clip's crops (as many as :class:`ClipCrops` cut from a clip of that length)."""

    def __init__(self, crop: int, **kwargs):
        super().__init__(**kwargs)
        self.crop = int(crop)

    def call(self, inputs):
        outputs, clips = inputs
        count = len(crop_starts(max(_static_frames(clips), self.crop), self.crop))
        if count == 1:
            return outputs
        return ops.mean(ops.reshape(outputs, (-1, count, outputs.shape[-1])), axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[1][0], input_shape[0][-1])

    def get_config(self):
        return super().get_config() | {"crop": self.crop}


def crop_backbone(spec: dict) -> str:
    """The model a spec of a model on crops runs on every crop: its ``crop.backbone`` (a registry name), default
    ``"vit"``."""
    return str((spec.get("crop") or {}).get("backbone", "vit"))


def build_crop_model(frames: int | None = None, features: int | None = None, spec: dict | None = None,
                     weights: str | None = None):
    """Build and compile a model on crops: the spec's ``crop.backbone`` (a registry model, built by its row's
    builder from this spec, on ``crop.frames``-frame inputs) applied to every crop of a clip, the clip's output the
    mean over its crops.

    Parameters
    ----------
    frames : int, optional
        Ignored: the model takes clips of any length (the crop is the spec's ``crop.frames``).
    features : int, optional
        Features per frame; default the spec's ``input.features`` (128 mel bins).
    spec : dict, optional
        A parsed ``specs/vit_gan.yaml`` / ``specs/crnn_gan.yaml`` (default: specs/vit_gan.yaml).
    weights : str, optional
        ``--weights`` for a backbone that takes pretrained weights (the ViT: as
        :func:`mer_keras.models.vit.build_vit`).

    Returns
    -------
    keras.Model mapping (batch, frames, features) -> (batch, 2) in [-1, 1]: (valence, arousal), the mean over
    the clip's crops. The backbone is its layer ``<backbone>_on_crops`` (e.g. ``vit_on_crops``).

    Raises
    ------
    SpecError
        ``weights`` given for a backbone that takes none, or an unknown backbone.
    """
    import inspect

    from mer_keras.models.compile import compile_from_spec
    from mer_keras.models.registry import model_builder
    from mer_keras.specs import load_spec

    spec = spec or load_spec("vit_gan")
    backbone = crop_backbone(spec)
    crop = int(spec["crop"]["frames"])
    features = int(features or spec["input"]["features"])
    build = model_builder(backbone)
    options = {}
    if weights:
        if "weights" not in inspect.signature(build).parameters:
            raise SpecError(f"--weights does not apply to model {spec.get('name')} (its crops go through the {backbone}, "
                            "which takes no pretrained weights); drop --weights")
        options["weights"] = weights
    inner_spec = copy.deepcopy(spec)
    inner_spec["name"] = f"{backbone}_on_crops"
    network = build(crop, features, inner_spec, **options)
    clips = keras.Input((None, features), name="frames")
    crops = ClipCrops(crop, name="clip_crops")(clips)
    outputs = CropMean(crop, name="crop_mean")([network(crops), clips])
    model = keras.Model(clips, outputs, name=spec.get("name", "vit_gan"))
    compile_from_spec(model, spec["training"])
    return model


def build_vit_gan(frames: int | None = None, features: int | None = None, spec: dict | None = None,
                  weights: str | None = None):
    """Build and compile the crop ViT (:func:`build_crop_model` with ``specs/vit_gan.yaml``, whose backbone is the
    ViT of :func:`mer_keras.models.vit.build_vit`).

    Parameters
    ----------
    frames, features, spec, weights
        As :func:`build_crop_model`; ``spec`` defaults to specs/vit_gan.yaml.

    Returns
    -------
    keras.Model mapping (batch, frames, features) -> (batch, 2) in [-1, 1]: (valence, arousal), the mean over
    the clip's crops.
    """
    return build_crop_model(frames, features, spec, weights=weights)
