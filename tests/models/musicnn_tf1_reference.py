"""The original musicnn outputs, for the golden test: the wheel's own TF1 graph and checkpoint.

Run in its own process (``TF_USE_LEGACY_KERAS=1``: ``tf.compat.v1.layers`` needs tf-keras, which must not
meet Keras 3): ``python tests/models/musicnn_tf1_reference.py OUT.npz [AUDIO]``. Writes the inputs (2 seeded
random log-mel patches, 187 x 96, values in [0, 4] like log10(1 + 10000 x)) and, per weights name, the
200-d penultimate output and the 50 tag probabilities, as ``musicnn.extractor.extractor`` builds them;
with ``AUDIO``, also the wheel's own input patches of that file (``extractor.batch_data``, as ``wheel_patches``).
"""

import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import warnings  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_eager_execution()
warnings.filterwarnings("ignore", category=UserWarning)   # tf.compat.v1.layers deprecation notes

from musicnn import models  # noqa: E402  (the wheel's own model code)

WEIGHTS = ("MSD_musicnn", "MTT_musicnn")


def reference(weights_name: str, patches: np.ndarray) -> dict[str, np.ndarray]:
    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, patches.shape[1], patches.shape[2]])
        is_training = tf.compat.v1.placeholder(tf.bool)
        logits, *_, penultimate = models.define_model(x, is_training, weights_name, 50)
        probabilities = tf.nn.sigmoid(logits)
    with tf.compat.v1.Session() as session:
        session.run(tf.compat.v1.global_variables_initializer())
        folder = os.path.join(os.path.dirname(models.__file__), weights_name, "")
        tf.compat.v1.train.Saver().restore(session, folder)
        embedding, tags = session.run([penultimate, probabilities], feed_dict={x: patches, is_training: False})
    return {f"{weights_name}_penultimate": embedding, f"{weights_name}_tags": tags}


def main(out: str, audio: str | None = None) -> None:
    patches = np.random.default_rng(19).uniform(0.0, 4.0, (2, 187, 96)).astype(np.float32)
    arrays = {"patches": patches}
    for weights_name in WEIGHTS:
        arrays |= reference(weights_name, patches)
    if audio:
        from musicnn.extractor import batch_data

        with np.errstate(over="ignore"):      # numpy 2 computes its log in float16: loud bins overflow to inf
            arrays["wheel_patches"] = batch_data(audio, 187, 187)[0].astype(np.float32)
    np.savez(out, **arrays)


if __name__ == "__main__":
    main(*sys.argv[1:3])
