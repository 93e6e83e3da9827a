"""musicnn (Pons & Serra, 2019), the pretrained music tagger, rebuilt from Keras 3 layers.

The layers of the ``musicnn`` 0.1.0 wheel's ``models.build_musicnn`` (numbers in ``specs/musicnn.yaml``):

- front end over a (frames, 96) log-mel patch, batch-normalised as one channel: two *timbral*
  convolutions (204 filters of 7 frames x 38 / 67 mel bands, time zero-padded by 3) and three
  *temporal* ones (51 filters of 128 / 64 / 32 frames x 1 band, 'same'), each ReLU, batch norm and
  max over frequency -> 204 + 204 + 3 x 51 = 561 features per frame. For speed on CPU the 67-band
  kernel runs as two slices (:class:`WidthSplitConv2D`, same weights) and the three temporal
  convolutions as one layer ``temporal`` (:class:`MultiLengthConv2D`; one batch norm ``temporal_bn``
  over its 153 channels, the three original ones side by side); the outputs are the original's;
- mid end: three 1-D convolutions over time (64 filters, 7 frames, zero-padded by 3, ReLU, batch
  norm), the second and third residual; the front end and the three outputs concatenated (753);
- back end: max and mean over time (1,506), batch norm, dropout 0.5, dense 200 ReLU, batch norm
  (``penultimate``: the embedding), dropout 0.5, dense to the tags with a sigmoid (``tags``).

The original flattens (max, mean) interleaved per feature; this port concatenates all maxima, then
all means, and the converter (:mod:`mer_keras.models.musicnn_convert`) permutes the two layers that
read that vector. Weights come only from the wheel's checkpoints: nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

from mer_keras.errors import SpecError
from mer_keras.specs import load_spec

WEIGHTS = ("MSD_musicnn", "MTT_musicnn")
EMBEDDING_LAYER = "penultimate"


def musicnn_tags(weights_name: str = "MSD_musicnn") -> list[str]:
    """The output tags of ``weights_name``, in output order (``specs/musicnn.yaml`` ``weights``)."""
    weights = load_spec("musicnn")["weights"]
    if weights_name not in weights:
        raise SpecError(f"unknown musicnn weights {weights_name!r}; choose from {', '.join(weights)} "
                        "(specs/musicnn.yaml `weights`)")
    return list(weights[weights_name]["tags"])


def _pooled_block(conv, inputs, name: str, epsilon: float):
    """``conv`` (ReLU inside), batch norm, max over the frequency axis: (batch, T, F, C) -> (batch, T, filters)."""
    import keras

    normed = keras.layers.BatchNormalization(epsilon=epsilon, name=f"{name}_bn")(conv(inputs))
    pooled = keras.layers.MaxPooling2D((1, normed.shape[2]), name=f"{name}_pool")(normed)
    return keras.layers.Reshape((-1, normed.shape[-1]), name=f"{name}_frames")(pooled)


def build_musicnn(weights_name: str = "MSD_musicnn", frames: int | None = None, spec: dict | None = None,
                  initializer: str = "glorot_uniform"):
    """Build musicnn (random weights; :func:`load_musicnn` for the pretrained ones).

    Parameters
    ----------
    weights_name : str
        ``MSD_musicnn`` or ``MTT_musicnn``: sets the tag count (50 for both).
    frames : int, optional
        Patch length in frames (16 ms hop); default 187 (3 s), the length the weights were trained on.
    spec : dict, optional
        A parsed ``specs/musicnn.yaml``; default the file itself.
    initializer : str
        Kernel initializer of the convolutions and dense layers. :func:`load_musicnn` passes ``"zeros"``:
        its weights are overwritten at once, and on JAX drawing random kernels compiles one XLA program
        per shape (about 4 s of a cold start).

    Returns
    -------
    keras.Model, uncompiled, mapping log-mel patches (batch, frames, 96) -> tag probabilities
    (batch, 50) in [0, 1]; its layer ``penultimate`` outputs the 200-d embedding (see :func:`embedding_model`).
    """
    import keras

    from mer_keras.models.multi_length_conv2d import MultiLengthConv2D
    from mer_keras.models.width_split_conv2d import WidthSplitConv2D

    spec = spec or load_spec("musicnn")
    arch, n_mels = spec["architecture"], spec["input"]["n_mels"]
    frames = frames or spec["input"]["patch_frames"]
    eps = float(arch["batchnorm_epsilon"])
    n_tags = len(musicnn_tags(weights_name))
    inputs = keras.Input((frames, n_mels), name="log_mel")
    image = keras.layers.Reshape((frames, n_mels, 1), name="as_image")(inputs)
    image = keras.layers.BatchNormalization(epsilon=eps, name="input_bn")(image)

    padded = keras.layers.ZeroPadding2D(((3, 3), (0, 0)), name="timbral_pad")(image)
    front = [_pooled_block(WidthSplitConv2D(arch["timbral_filters"], (length, bands), activation="relu",
                                            kernel_initializer=initializer, max_width=arch["conv_max_width"],
                                            name=f"timbral_{bands}"), padded, f"timbral_{bands}", eps)
             for length, bands in arch["timbral_kernels"]]
    front.append(_pooled_block(MultiLengthConv2D(arch["temporal_filters"], arch["temporal_kernels"], activation="relu",
                                                 kernel_initializer=initializer, name="temporal"),
                               image, "temporal", eps))
    front = keras.layers.Concatenate(name="frontend")(front)

    mid, outputs = front, [front]
    for index in range(1, 4):
        x = keras.layers.ZeroPadding1D(arch["midend_kernel"] // 2, name=f"midend_{index}_pad")(mid)
        x = keras.layers.Conv1D(arch["midend_filters"], arch["midend_kernel"], activation="relu",
                                kernel_initializer=initializer, name=f"midend_{index}")(x)
        x = keras.layers.BatchNormalization(epsilon=eps, name=f"midend_{index}_bn")(x)
        mid = x if index == 1 else keras.layers.Add(name=f"midend_{index}_residual")([x, mid])
        outputs.append(mid)
    midend = keras.layers.Concatenate(name="midend")(outputs)

    pooled = keras.layers.Concatenate(name="pooled")([keras.layers.GlobalMaxPooling1D(name="max_pool")(midend),
                                                      keras.layers.GlobalAveragePooling1D(name="mean_pool")(midend)])
    x = keras.layers.BatchNormalization(epsilon=eps, name="pooled_bn")(pooled)
    x = keras.layers.Dropout(arch["dropout"], name="pooled_dropout")(x)
    x = keras.layers.Dense(arch["backend_units"], activation="relu", kernel_initializer=initializer, name="dense")(x)
    x = keras.layers.BatchNormalization(epsilon=eps, name=EMBEDDING_LAYER)(x)
    x = keras.layers.Dropout(arch["dropout"], name="penultimate_dropout")(x)
    tags = keras.layers.Dense(n_tags, activation="sigmoid", kernel_initializer=initializer, name="tags")(x)
    return keras.Model(inputs, tags, name=weights_name.lower())


def embedding_model(model):
    """A model sharing ``model``'s layers: patches -> (embeddings (batch, 200), tag probabilities (batch, 50))."""
    import keras

    outputs = [model.get_layer(EMBEDDING_LAYER).output, model.output]
    return keras.Model(model.input, outputs, name=f"{model.name}_embedding")


def load_musicnn(weights_name: str = "MSD_musicnn", cache_dir: str | Path | None = None):
    """musicnn with the wheel's pretrained weights.

    With ``cache_dir`` the converted weights are read from (or written once to)
    ``<cache_dir>/musicnn/<weights_name>.weights.h5``; without it they are converted in memory from the
    wheel's TF1 checkpoint.

    Raises
    ------
    MerError
        The ``musicnn`` package (whose wheel holds the checkpoints) is not installed.
    SpecError
        Unknown ``weights_name``.
    """
    from mer_keras.models.musicnn_convert import assign_checkpoint, convert_and_save, weights_path

    model = build_musicnn(weights_name, initializer="zeros")        # every weight is assigned below
    if cache_dir is None:
        assign_checkpoint(model, weights_name)
        return model
    path = weights_path(weights_name, Path(cache_dir))
    if path.is_file():
        model.load_weights(path)
    else:
        convert_and_save(model, weights_name, path)
    return model
