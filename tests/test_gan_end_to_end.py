"""GAN augmentation end to end on tiny 4Q data (issue 22): train.py --model gan, then --model vit_gan
--synthetic-ratio 1 and evaluate.py; the leak guard; the leaky protocol's labels; bad requests in one line.
Sizes come from the specs' `tiny` presets, so each step compiles in seconds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mer_keras.cli import evaluate_main, train_main
from mer_keras.errors import RunError
from mer_keras.evaluation.verdict import LEAKY_LABEL, augmentation_verdict
from mer_keras.runs import RunDir
from mer_keras.training import synthetic
from mer_keras.training.synthetic import GENERATED, check_heldout_real
from tests.conftest import gan_common


@pytest.fixture(scope="module")
def workspace(gan_workspace, tmp_path_factory):
    """The shared tiny data and cache (tests/conftest.py), with this module's own folder for its runs."""
    return {**gan_workspace, "root": tmp_path_factory.mktemp("gan")}


def common(workspace, preset: bool = True) -> list[str]:
    return gan_common(workspace, preset)


@pytest.fixture(scope="module")
def gan_run(gan_workspace):
    return gan_workspace["gan"]


def test_gan_run_writes_generator_critic_and_quality(gan_run, capsys):
    config = json.loads((gan_run / "config.json").read_text())
    assert config["family"] == "gan" and config["status"] == "finished" and config["condition"] == "va"
    assert "128-frame crops" in config["crop"]["deviation"] and config["selected_epoch"] == 1
    split = json.loads((gan_run / "split.json").read_text())
    assert config["n_items"]["train"] == len(split["train"])
    quality = json.loads((gan_run / "gan_quality.json").read_text())
    assert {"frechet", "frechet_real", "fidelity", "fidelity_real", "near_copies"} <= set(quality["figures"])
    assert "non-standard" in quality["embedding"]
    for name in ("generator.keras", "critic.keras", "quality_cnn.keras", "grid-epoch-01.png", "quality_curves.png"):
        assert (gan_run / name).is_file(), name
    assert RunDir(gan_run).verify(required=("generator.keras", "critic.keras", "normalization.npz"))
    report = (gan_run / "report.md").read_text()
    assert "Deviation from the 1292-frame input" in report and "not FID" in report
    history = RunDir(gan_run).read_history()
    assert {"critic_loss", "generator_loss", "frechet", "fidelity", "near_copies", "seconds"} <= set(history)
    capsys.readouterr()
    assert evaluate_main([str(gan_run)]) == 2
    assert "is a GAN run" in capsys.readouterr().err


def test_vit_gan_trains_on_real_and_generated_crops_and_evaluates(gan_run, workspace, monkeypatch):
    seen = []

    def spy(sources, split):
        seen.append((sources, split))
        return check_heldout_real(sources, split)

    monkeypatch.setattr(synthetic, "check_heldout_real", spy)
    run = workspace["root"] / "vit_gan"
    assert train_main(["--model", "vit_gan", "--synthetic-ratio", "1", "--gan-run", str(gan_run), "--protocol", "tuned",
                       "--out", str(run), *common(workspace)]) == 0
    (sources, split), = seen                      # the guard ran where the parts were assembled
    assert sources["validation"] == split["validation"] and sources["test"] == split["test"]
    generated = [i for i in sources["train"] if i.startswith(GENERATED)]
    assert len(generated) == len(split["train"])  # R = 1
    config = json.loads((run / "config.json").read_text())
    assert config["synthetic_ratio"] == 1.0 and config["synthetic"]["generated_crops"] == len(split["train"])
    assert config["protocol"] == "tuned" and config["input_shape"] == [1292, 128]
    assert config["gan_run"]["path"] == str(gan_run.resolve())
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["verdict"]["claimed"] == 0.74 and metrics["n_test"] == len(split["test"])
    report = (run / "report.md").read_text()
    assert "Deviation from the 1292-frame input" in report and "Leak guard: passed" in report


def test_leak_guard_fires():
    split = {"train": ["a", "b"], "validation": ["c"], "test": ["d", "e"]}
    clean = {"train": ["a", "b", f"{GENERATED}0"], "validation": ["c"], "test": ["d", "e"]}
    check_heldout_real(clean, split)
    for part in ("validation", "test"):
        leaky = dict(clean, **{part: clean[part] + [f"{GENERATED}7"]})
        with pytest.raises(RunError, match=f"generated sample.*{part}"):
            check_heldout_real(leaky, split)
    with pytest.raises(RunError, match="training sample"):
        check_heldout_real(dict(clean, train=["a", "d"]), split)
    with pytest.raises(RunError, match="outside its split"):
        check_heldout_real(dict(clean, test=["d", "a"]), split)


def test_leaky_protocol_is_labelled_and_never_judged(gan_run, workspace, capsys):
    run = workspace["root"] / "leaky"
    assert train_main(["--model", "vit_gan", "--synthetic-ratio", "0.5", "--gan-run", str(gan_run), "--protocol", "leaky",
                       "--out", str(run), *common(workspace)]) == 0
    config = json.loads((run / "config.json").read_text())
    leak = config["leaky"]
    assert config["protocol"] == "leaky" and leak["label"] == LEAKY_LABEL
    assert leak["generated_crops"] > 0 and leak["test_songs_with_a_crop_in_training"] > 0
    assert json.loads((run / "leaky_test.json").read_text())["label"] == LEAKY_LABEL
    assert augmentation_verdict({"claimed": 0.74}, config)["outcome"] == "not applicable"
    assert augmentation_verdict({"claimed": 0.74}, {"synthetic_ratio": 0.0})["outcome"] == "not applicable"
    assert augmentation_verdict({"claimed": 0.74}, {"synthetic_ratio": 1.0}) == {"claimed": 0.74}
    from mer_keras.evaluation.report import augmentation_lines

    text = "\n".join(augmentation_lines(config))
    assert LEAKY_LABEL in text and "whose crops were partly trained on" in text


@pytest.mark.parametrize("extra, message", [
    (["--synthetic-ratio", "-1"], "R >= 0"),
    (["--synthetic-ratio", "1"], "needs --gan-run"),
    ([], "needs --synthetic-ratio"),
    (["--synthetic-ratio", "1", "--gan-run", "GAN", "--target", "quadrant"], "trained for target 'va'"),
    (["--synthetic-ratio", "1", "--gan-run", "GAN", "--seed", "1"], "another split"),
])
def test_bad_requests_are_one_line(extra, message, gan_run, workspace, capsys):
    out = workspace["root"] / "refused"
    argv = ["--model", "vit_gan", "--out", str(out), *common(workspace),
            *[str(gan_run) if arg == "GAN" else arg for arg in extra]]
    capsys.readouterr()
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("error:") == 1
    assert not out.exists()                     # a refused request leaves no run folder behind


def test_other_models_refuse_gan_options(workspace, capsys):
    assert train_main(["--model", "crnn", "--protocol", "leaky", "--data", workspace["data"],
                       "--out", str(workspace["root"] / "no")]) == 2
    assert "applies to vit_gan / crnn_gan only" in capsys.readouterr().err
    assert train_main(["--model", "gan", "--protocol", "tuned", "--data", workspace["data"],
                       "--out", str(workspace["root"] / "no")]) == 2
    assert "the GAN trains by specs/gan.yaml" in capsys.readouterr().err


def test_crop_batches_hold_real_and_generated_crops():
    from mer_keras.training.crops import CropBatches

    clips = np.arange(3 * 10 * 2, dtype="float32").reshape(3, 10, 2)
    fake = (np.full((2, 4, 2), -1.0, "float32"), np.full((2, 2), 0.5, "float32"))
    batches = CropBatches(clips, np.zeros((3, 2), "float32"), np.array([10, 6, 2]), 4, batch_size=5, seed=0,
                          synthetic=fake)
    x, y = batches[0]
    assert len(batches) == 1 and x.shape == (5, 4, 2) and (x == -1).all(axis=(1, 2)).sum() == 2
    real = x[~(x == -1).all(axis=(1, 2))]
    for crop in real:                            # each real crop is a window of one clip inside its audio
        clip = int(crop[0, 0] // 20)
        start = int(crop[0, 0] % 20) // 2
        assert start + 4 <= max([10, 6, 2][clip], 4) and np.array_equal(crop, clips[clip, start:start + 4])
