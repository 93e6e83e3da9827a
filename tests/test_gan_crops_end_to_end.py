"""Models on crops beside a GAN (issue 22), end to end on tiny 4Q data: train on synthetic / test on real
(``--synthetic-only``), crnn_gan (the documented CRNN on crops), and ``--resume`` of a run on crops giving what an
uninterrupted run gives. Sizes come from the specs' `tiny` presets, so each step compiles in seconds."""

from __future__ import annotations

import csv
import json
import signal

import keras
import numpy as np
import pytest

from mer_keras.cli import evaluate_main, train_main
from mer_keras.data.registry import DataChoice
from mer_keras.evaluation.verdict import TSTR_LABEL
from mer_keras.interrupts import Interrupted
from mer_keras.models.registry import register_custom_layers
from mer_keras.training import fit, synthetic
from mer_keras.training.crops import CropBatches
from mer_keras.training.synthetic import GENERATED, check_heldout_real
from mer_keras.training.train import TrainRequest, default_out
from tests.conftest import gan_common


@pytest.fixture(scope="module")
def workspace(gan_workspace, tmp_path_factory):
    """The shared tiny data and cache (tests/conftest.py), with this module's own folder for its runs."""
    return {**gan_workspace, "root": tmp_path_factory.mktemp("gan_crops")}


def common(workspace, preset: bool = True) -> list[str]:
    return gan_common(workspace, preset)


@pytest.fixture(scope="module")
def gan_run(gan_workspace):
    return gan_workspace["gan"]


class SpyBatches(CropBatches):
    """CropBatches that keep every training batch they serve."""

    made: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.served = []
        SpyBatches.made.append(self)

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        self.served.append(np.array(x))
        return x, y


def test_synthetic_only_trains_on_generated_crops_and_tests_on_real_songs(gan_run, workspace, monkeypatch, capsys):
    sources_seen, validation_seen = [], []
    fit_model = fit.fit_model

    def guard(sources, split):
        sources_seen.append((sources, split))
        return check_heldout_real(sources, split)

    def fit_spy(model, train, validation, *args, **kwargs):
        validation_seen.append(validation)
        return fit_model(model, train, validation, *args, **kwargs)

    SpyBatches.made = []
    monkeypatch.setattr(synthetic, "check_heldout_real", guard)
    monkeypatch.setattr(synthetic, "CropBatches", SpyBatches)
    monkeypatch.setattr(fit, "fit_model", fit_spy)
    run = workspace["root"] / "tstr"
    # documented protocol: no augmentation, so every served crop is a generated crop exactly as generated
    assert train_main(["--model", "vit_gan", "--synthetic-only", "--gan-run", str(gan_run), "--out", str(run),
                       *common(workspace)]) == 0
    (sources, split), = sources_seen
    assert sources["train"] and all(i.startswith(GENERATED) for i in sources["train"])
    assert len(sources["train"]) == len(split["train"])          # as many as the real crops of an epoch
    assert sources["validation"] == split["validation"] and sources["test"] == split["test"]

    batches, = SpyBatches.made
    assert batches.n_real == 0 and len(batches.features) == 0 and batches.n_items == len(split["train"])
    generated = batches.synthetic[0].reshape(len(batches.synthetic[0]), -1)
    served = np.concatenate(batches.served)
    assert len(served) >= batches.n_items
    for crop in served.reshape(len(served), -1):           # each one of the generated crops, none a real one
        assert np.isclose(generated, crop, atol=1e-6).all(axis=1).any()

    (val_x, val_y), = validation_seen                       # whole real validation clips, not crops
    assert val_x.shape[:2] == (len(split["validation"]), 1292) and len(val_y) == len(split["validation"])

    config = json.loads((run / "config.json").read_text())
    assert config["synthetic_only"] is True and config["synthetic_ratio"] is None
    assert config["synthetic"]["real_crops_trained_on"] == 0
    assert config["synthetic"]["generated_crops"] == len(split["train"])
    assert "generated crops only" in config["crop"]["deviation"]
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_test"] == len(split["test"]) and metrics["synthetic_only"] is True
    assert metrics["verdict"]["outcome"] == "not applicable" and metrics["verdict"]["tstr"] is True
    assert TSTR_LABEL in (run / "report.md").read_text()
    assert TSTR_LABEL == "trained on generated crops only (train on synthetic, test on real)"


def test_synthetic_only_run_name():
    choice = DataChoice("4q", "data", "va", "mel")
    request = TrainRequest(model="vit_gan", synthetic_only=True, gan_run="gan", protocol="tuned", seed=0)
    assert default_out(request, choice).name == "vit_gan-4q-va-mel-tstr-tuned-seed0"


@pytest.mark.parametrize("argv, message", [
    (["--model", "vit_gan", "--synthetic-only"], "--synthetic-only trains vit_gan on generated crops only: give --gan-run"),
    (["--model", "vit_gan", "--synthetic-only", "--gan-run", "GAN", "--synthetic-ratio", "1"], "drop --synthetic-ratio"),
    (["--model", "vit_gan", "--synthetic-only", "--gan-run", "GAN", "--protocol", "leaky"], "not leaky"),
    (["--model", "crnn", "--synthetic-only", "--gan-run", "GAN"], "--synthetic-only (train on generated crops"),
    (["--model", "gan", "--synthetic-only"], "not to gan"),
])
def test_bad_synthetic_only_requests_are_one_line(argv, message, gan_run, workspace, capsys):
    out = workspace["root"] / "refused"
    argv = [str(gan_run) if arg == "GAN" else arg for arg in argv]
    capsys.readouterr()
    assert train_main([*argv, "--out", str(out), *common(workspace)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("error:") == 1, err
    assert not out.exists()


def test_crnn_gan_trains_on_real_and_generated_crops_and_evaluates(gan_run, workspace, capsys):
    """The documented CRNN on crops, trained like vit_gan (R = 1, tuned), scored on whole real test clips."""
    run = workspace["root"] / "crnn_gan"
    assert train_main(["--model", "crnn_gan", "--synthetic-ratio", "1", "--gan-run", str(gan_run), "--protocol", "tuned",
                       "--out", str(run), *common(workspace, preset=False)]) == 0
    config = json.loads((run / "config.json").read_text())
    split = json.loads((run / "split.json").read_text())
    assert config["model"] == "crnn_gan" and config["parameters"] == 479_138 and config["synthetic_ratio"] == 1.0
    assert config["synthetic"]["generated_crops"] == len(split["train"]) and config["crop"]["backbone"] == "CRNN"
    assert config["training"]["augmentation"]["time_width"] == 4          # the tuned masks scaled to the crop
    assert config["input_shape"] == [1292, 128] and config["model_config"]["layers"][0]["filters"] == 32
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_test"] == len(split["test"]) and metrics["verdict"]["outcome"] == "not applicable"
    report = (run / "report.md").read_text()
    assert "the CRNN sees 128-frame crops" in report and "Leak guard: passed" in report


def _history(run) -> list[dict]:
    with open(run / "history.csv") as handle:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(handle)]


def _weights(run) -> list[np.ndarray]:
    register_custom_layers()
    return [np.asarray(w) for w in keras.models.load_model(run / "model.keras", safe_mode=True).get_weights()]


@pytest.mark.parametrize("model, extra", [("vit_gan", ["--synthetic-ratio", "1", "--preset", "tiny"]),
                                          ("crnn_gan", ["--synthetic-ratio", "1"]),
                                          ("vit_gan", ["--synthetic-only", "--preset", "tiny"])])
def test_resume_gives_what_an_uninterrupted_run_gives(model, extra, gan_run, workspace, monkeypatch, capsys):
    """2 epochs in one go against 1 epoch, a Ctrl-C at the start of the second, then --resume: the same history
    and the same weights (tuned protocol: augmentation, mixup, cosine decay, the best epochs averaged)."""
    argv = ["--model", model, *extra, "--gan-run", str(gan_run), "--protocol", "tuned", "--epochs", "2",
            "--batch-size", "4", "--workers", "1", "--data", workspace["data"], "--cache", workspace["cache"]]
    name = f"{model}-{extra[0].strip('-')}"
    whole, parted = workspace["root"] / f"{name}-whole", workspace["root"] / f"{name}-parted"
    assert train_main([*argv, "--out", str(whole)]) == 0

    begin = fit.StopOnRequest.on_epoch_begin

    def ctrl_c_at_the_second_epoch(self, epoch, logs=None):
        if epoch == 1:
            raise Interrupted(signal.SIGINT)
        begin(self, epoch, logs)

    with monkeypatch.context() as patch:
        patch.setattr(fit.StopOnRequest, "on_epoch_begin", ctrl_c_at_the_second_epoch)
        capsys.readouterr()
        assert train_main([*argv, "--out", str(parted)]) == 130
    assert "--resume" in capsys.readouterr().err
    assert json.loads((parted / "state.json").read_text())["epoch"] == 0 and len(_history(parted)) == 1
    assert train_main([*argv, "--out", str(parted), "--resume"]) == 0
    assert "resuming at epoch 2 of 2" in capsys.readouterr().err

    assert _history(parted) == _history(whole) and len(_history(whole)) == 2
    config = json.loads((parted / "config.json").read_text())
    assert config["status"] == "finished" and config["epochs_run"] == 2
    assert config["synthetic"]["fingerprint"] == json.loads((whole / "config.json").read_text())["synthetic"]["fingerprint"]
    for ours, theirs in zip(_weights(parted), _weights(whole), strict=True):
        assert np.allclose(ours, theirs, atol=1e-6)


def test_resume_with_other_options_is_one_line(gan_run, workspace, capsys):
    run = workspace["root"] / "vit_gan-resumed-otherwise"
    argv = ["--model", "vit_gan", "--gan-run", str(gan_run), "--protocol", "tuned", "--out", str(run), *common(workspace)]
    assert train_main([*argv, "--synthetic-ratio", "1"]) == 0
    capsys.readouterr()
    assert train_main([*argv, "--synthetic-ratio", "0.5", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "it started with --synthetic-ratio 1.0, this command gives 0.5" in err and err.count("error:") == 1
    assert "Traceback" not in err and (run / "model.keras").is_file()
