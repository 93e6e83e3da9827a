"""The Keras 3 musicnn against the original: the wheel's own TF1 graph and checkpoint (issue 19).

The original runs in a subprocess (``musicnn_tf1_reference.py``, ``TF_USE_LEGACY_KERAS=1``) on two
seeded random patches; the port's 200-d embedding and 50 tag probabilities must equal its outputs
within 1e-4, and a checkpoint tensor put in the wrong layer must break that. The input pipeline is
compared with the wheel's own ``batch_data`` on a synthetic clip.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mer_keras.errors import MerError
from mer_keras.features.audio import load_audio
from mer_keras.features.musicnn_mel import musicnn_mel, musicnn_patches
from mer_keras.models import musicnn_convert
from mer_keras.models.musicnn import WEIGHTS, build_musicnn, embedding_model, load_musicnn, musicnn_tags
from tests.conftest import write_audio

HAVE_MUSICNN = importlib.util.find_spec("musicnn") is not None
needs_musicnn = pytest.mark.skipif(not HAVE_MUSICNN, reason=f"musicnn wheel not installed ({musicnn_convert.INSTALL})")
needs_tf_keras = pytest.mark.skipif(importlib.util.find_spec("tf_keras") is None,
                                    reason="tf-keras not installed (pip install tf-keras==2.21.0): the TF1 graph needs it")
REFERENCE = Path(__file__).with_name("musicnn_tf1_reference.py")
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    folder = tmp_path_factory.mktemp("musicnn")
    clip = write_audio(folder / "clip.wav", seconds=7.0, freq=330.0)
    done = subprocess.run([sys.executable, str(REFERENCE), str(folder / "reference.npz"), str(clip)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with np.load(folder / "reference.npz") as archive:
        return {name: archive[name] for name in archive.files} | {"clip": clip}


@pytest.fixture(scope="module")
def checkpoints():
    return {name: musicnn_convert.read_checkpoint(name) for name in WEIGHTS}


def _outputs(weights_name, patches, checkpoints, **options):
    model = build_musicnn(weights_name)
    musicnn_convert.assign_checkpoint(model, weights_name, variables=checkpoints[weights_name], **options)
    return [np.asarray(a) for a in embedding_model(model).predict_on_batch(patches)]


def test_architecture_has_the_checkpoints_parameter_count():
    model = build_musicnn()
    assert model.count_params() == 792_079
    assert model.output.shape == (None, 50) and model.get_layer("penultimate").output.shape == (None, 200)
    assert model.input.shape == (None, 187, 96)


@needs_musicnn
def test_tag_names_are_the_wheels():
    folder = Path(list(importlib.util.find_spec("musicnn").submodule_search_locations)[0])
    tree = ast.parse((folder / "configuration.py").read_text())
    labels = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)}
    assert musicnn_tags("MSD_musicnn") == labels["MSD_LABELS"] and musicnn_tags("MTT_musicnn") == labels["MTT_LABELS"]


@needs_musicnn
@needs_tf_keras
@pytest.mark.parametrize("weights_name", WEIGHTS)
def test_port_equals_the_original_tf1_graph(weights_name, original, checkpoints):
    embedding, tags = _outputs(weights_name, original["patches"], checkpoints)
    np.testing.assert_allclose(embedding, original[f"{weights_name}_penultimate"], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(tags, original[f"{weights_name}_tags"], atol=TOLERANCE, rtol=0)
    assert np.abs(original[f"{weights_name}_penultimate"]).max() > 1.0     # not a trivially small output


@needs_musicnn
@needs_tf_keras
def test_a_tensor_in_the_wrong_layer_breaks_the_match(original, checkpoints, monkeypatch):
    patches, expected = original["patches"], original["MSD_musicnn_penultimate"]
    swapped = dict(musicnn_convert.MAPPING, midend_2="conv2d_7", midend_3="conv2d_6")   # same shapes, wrong places
    embedding, _ = _outputs("MSD_musicnn", patches, checkpoints, mapping=swapped)
    assert np.abs(embedding - expected).max() > 100 * TOLERANCE
    monkeypatch.setattr(musicnn_convert, "POOLED_INPUT", ())     # pooled (max, mean) order not permuted
    embedding, _ = _outputs("MSD_musicnn", patches, checkpoints)
    assert np.abs(embedding - expected).max() > 100 * TOLERANCE


@needs_musicnn
@needs_tf_keras
def test_input_pipeline_equals_the_wheels_batch_data(original):
    """The wheel rounds its output to float16 (steps of 0.004 at 4-8) and, under numpy 2, overflows loud bins
    to inf (its numpy < 1.17 computed the log in float32, as the port does): compared where finite. Its
    librosa 0.11 pads the STFT with zeros where the training-time librosa reflected: frame 0 only."""
    wheel = original["wheel_patches"]
    signal = load_audio(original["clip"], 16000)
    ours = musicnn_patches(musicnn_mel(signal))
    assert ours.shape == wheel.shape == (2, 187, 96)
    finite = np.isfinite(wheel)
    assert finite.mean() > 0.95
    finite[0, 0] = False
    np.testing.assert_allclose(ours[finite], wheel[finite], atol=5e-3, rtol=0)
    first, zero_padded = np.isfinite(wheel[0, 0]), musicnn_mel(signal, pad_mode="constant")[0]
    np.testing.assert_allclose(zero_padded[first], wheel[0, 0][first], atol=5e-3, rtol=0)
    assert np.abs(ours[0, 0][first] - wheel[0, 0][first]).max() > 0.1      # reflect != zeros: the test sees it


@needs_musicnn
def test_a_mapping_with_wrong_shapes_is_one_clear_error(checkpoints):
    wrong = dict(musicnn_convert.MAPPING, timbral_38="conv2d_1")
    with pytest.raises(MerError, match="musicnn_convert.py"):
        musicnn_convert.assign_checkpoint(build_musicnn(), "MSD_musicnn", mapping=wrong,
                                          variables=checkpoints["MSD_musicnn"])


@needs_musicnn
def test_converted_once_into_the_cache(tmp_path, checkpoints):
    patches = np.random.default_rng(0).uniform(0, 4, (1, 187, 96)).astype(np.float32)
    first = load_musicnn("MTT_musicnn", cache_dir=tmp_path)
    path = musicnn_convert.weights_path("MTT_musicnn", tmp_path)
    assert path.parent == tmp_path / "musicnn" and path.name.startswith("MTT_musicnn.")
    assert path.is_file()
    stamp = path.stat().st_mtime_ns
    again = load_musicnn("MTT_musicnn", cache_dir=tmp_path)
    assert path.stat().st_mtime_ns == stamp            # read, not rewritten
    np.testing.assert_array_equal(first.predict_on_batch(patches), again.predict_on_batch(patches))


def test_without_the_wheel_one_line_says_how_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "musicnn" else real(name, *a))
    with pytest.raises(MerError, match=r"pip install --no-deps musicnn==0\.1\.0"):
        load_musicnn()


def test_unknown_weights_name():
    with pytest.raises(MerError, match="MSD_musicnn, MTT_musicnn"):
        build_musicnn("MSD_vgg")
