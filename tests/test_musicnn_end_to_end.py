"""The frozen musicnn through the command line (issue 19): ``train.py --model ridge --features musicnn``,
``evaluate.py`` and ``predict.py``, and ``predict.py FILE --tags`` with no run at all."""

import importlib.util
import json

import pytest

from mer_keras.cli import evaluate_main, predict_main, train_main
from mer_keras.features import musicnn_mel
from mer_keras.models.musicnn import musicnn_tags
from tests.conftest import make_4q, write_audio

pytestmark = pytest.mark.skipif(importlib.util.find_spec("musicnn") is None,
                                reason="musicnn wheel not installed (pip install --no-deps musicnn==0.1.0)")
SONGS = [(f"T{k}", f"Artist{k // 2}", f"Q{k % 4 + 1}", ["happy; excited", "angry", "sad; gloomy", "calm"][k % 4])
         for k in range(16)]


def test_ridge_on_frozen_musicnn_embeddings(tmp_path, capsys):
    data = make_4q(tmp_path / "data", songs=SONGS, seconds=2.0)
    run = tmp_path / "ridge-musicnn"
    assert train_main(["--model", "ridge", "--data", str(data), "--features", "musicnn", "--workers", "1",
                       "--cache", str(tmp_path / "cache"), "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["feature"]["kind"] == "musicnn" and config["n_features"] == 400
    assert config["feature"]["params"]["weights"] == "MSD_musicnn"
    names = json.loads((run / "feature_names.json").read_text())
    assert names[0] == "musicnn_mean_000" and names[-1] == "musicnn_sd_199"
    assert evaluate_main([str(run), "--resamples", "20", "--cache", str(tmp_path / "cache")]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["r2"]) == {"valence", "arousal", "mean"} and "backbone" not in metrics    # a classic head
    assert (run / "report.md").read_text().startswith("# ridge on 4q-va")
    capsys.readouterr()
    assert predict_main([str(write_audio(tmp_path / "x.wav", seconds=2.0)), "--run", str(run), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert 1 <= row["valence"] <= 9 and 1 <= row["arousal"] <= 9


def test_tags_of_a_three_second_clip(tmp_path, capsys):
    clip = write_audio(tmp_path / "clip.wav", seconds=3.0)
    assert predict_main([str(clip), "--tags", "--top", "5", "--json"]) == 0
    tags = json.loads(capsys.readouterr().out)[0]["tags"]
    probabilities = list(tags.values())
    assert len(tags) == 5 and set(tags) <= set(musicnn_tags("MSD_musicnn"))
    assert probabilities == sorted(probabilities, reverse=True) and all(0 <= p <= 1 for p in probabilities)
    assert predict_main([str(clip), str(tmp_path / "missing.wav"), "--tags"]) == 1     # one row per file
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{clip}\t") and lines[0].count(",") == 9 and "error: audio file not found" in lines[1]


def test_tags_without_the_wheel_is_one_line(tmp_path, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "musicnn" else real(name, *a))
    monkeypatch.setattr(musicnn_mel, "_MODELS", {})
    monkeypatch.setenv("MER_CACHE", str(tmp_path / "empty-cache"))         # no converted weights either
    assert predict_main([str(write_audio(tmp_path / "clip.wav")), "--tags"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "pip install --no-deps musicnn==0.1.0" in error


# --- --model musicnn --backbone {frozen,finetune,scratch} (issue 19, point 3) --------------------------------------

@pytest.fixture
def short_window(monkeypatch):
    """musicnn_mel over 6 s windows (376 frames: two 3 s patches) instead of 30 s: the same code, a fifth of the work."""
    real = musicnn_mel.musicnn_mel_params
    monkeypatch.setattr(musicnn_mel, "musicnn_mel_params", lambda offset=0.0: {**real(offset), "duration": 6.0})


def test_musicnn_frozen_trains_evaluates_and_predicts(tmp_path, capsys, short_window):
    import numpy as np

    data = make_4q(tmp_path / "data", songs=SONGS, seconds=2.0)
    run, cache = tmp_path / "musicnn-frozen", str(tmp_path / "features")
    assert train_main(["--model", "musicnn", "--data", str(data), "--epochs", "1", "--workers", "1", "--cache", cache,
                       "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["backbone"] == config["model_config"]["backbone"] == "frozen"
    assert config["feature"]["kind"] == "musicnn_mel" and config["input_shape"] == [376, 96]
    assert config["weights"].startswith("MSD_musicnn checkpoint") and config["standardised"] is False
    assert config["trainable_parameters"] == (200 * 64 + 64) + (64 * 2 + 2)         # the head only
    with np.load(run / "normalization.npz") as scaler:      # the log-mel reaches the pretrained weights as extracted
        assert not scaler["mean"].any() and (scaler["std"] == 1).all()
    assert (run / "manifest.json").is_file()
    assert evaluate_main([str(run), "--resamples", "20", "--cache", cache]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["r2"]) == {"valence", "arousal", "mean"} and metrics["backbone"] == "frozen"
    assert (run / "report.md").read_text().startswith("# musicnn (frozen backbone) on 4q-va")
    capsys.readouterr()
    assert predict_main([str(write_audio(tmp_path / "x.wav", seconds=2.0)), "--run", str(run), "--json",
                         "--cache", cache]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert 1 <= row["valence"] <= 9 and 1 <= row["arousal"] <= 9


def test_musicnn_finetune_tuned_on_quadrants_keeps_the_backbones_smaller_rate(tmp_path, short_window):
    import keras

    from mer_keras.models.musicnn_regressor import LayerRateAdam
    from mer_keras.models.registry import register_custom_layers

    data = make_4q(tmp_path / "data", songs=SONGS, seconds=2.0)
    run, cache = tmp_path / "musicnn-finetune", str(tmp_path / "features")
    assert train_main(["--model", "musicnn", "--backbone", "finetune", "--protocol", "tuned", "--target", "quadrant",
                       "--data", str(data), "--epochs", "1", "--workers", "1", "--cache", cache, "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["backbone"] == "finetune" and config["training"]["optimizer"] == "adamw"
    assert config["trainable_parameters"] > 700_000
    register_custom_layers()
    optimizer = keras.models.load_model(run / "last.keras", safe_mode=True).optimizer   # what --resume continues with
    assert isinstance(optimizer, LayerRateAdam) and set(optimizer.multipliers.values()) == {0.1}
    assert optimizer.weight_decay == config["training"]["weight_decay"]
    assert evaluate_main([str(run), "--resamples", "20", "--cache", cache]) == 0
    assert "quadrant_accuracy" in json.loads((run / "metrics.json").read_text())


def test_backbone_mode_names_the_run_and_other_models_refuse_it(tmp_path, capsys):
    from mer_keras.data.registry import DataChoice
    from mer_keras.training.train import TrainRequest, default_out, with_backbone

    choice = DataChoice("4q", str(tmp_path), "va", "musicnn_mel")
    assert default_out(with_backbone(TrainRequest(model="musicnn")), choice).name == "musicnn-4q-va-musicnn_mel-frozen-seed0"
    scratch = with_backbone(TrainRequest(model="musicnn", backbone="scratch", protocol="tuned"))
    assert default_out(scratch, choice).name == "musicnn-4q-va-musicnn_mel-scratch-tuned-seed0"
    assert with_backbone(TrainRequest(model="crnn")).backbone is None
    data = make_4q(tmp_path / "data", songs=SONGS, seconds=2.0)
    capsys.readouterr()
    assert train_main(["--model", "crnn", "--backbone", "finetune", "--data", str(data), "--out", str(tmp_path / "r")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "--backbone applies to musicnn" in error and "not to model crnn" in error
    assert not (tmp_path / "r").exists()
