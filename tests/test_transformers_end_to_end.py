"""ViT and AST through train.py -> evaluate.py -> predict.py on tiny 4Q data, as users call them."""

import json

import pytest

from mer_keras.cli import evaluate_main, predict_main, train_main
from mer_keras.errors import MerError
from mer_keras.models.registry import resolved_spec as keras_model_spec
from tests.conftest import write_audio


@pytest.mark.parametrize("model, metric, claimed", [("vit", "ccc", 0.68), ("ast", "r2", 0.605)])
def test_train_evaluate_predict(model, metric, claimed, fourq_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert train_main(["--model", model, "--epochs", "1", "--batch-size", "4", "--workers", "1",
                       "--data", str(fourq_dir), "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == model and config["weights"] == "random initialisation"
    assert config["input_shape"] == [1292, 128] and config["parameters"] > 100_000
    assert config["model_config"]["augmentation"]["enabled"] is True
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    verdict = metrics["verdict"]
    assert verdict["metric"] == metric and verdict["claimed"] == claimed
    assert verdict["outcome"] in {"consistent", "below claim", "above claim"}
    assert ("caveat_pretrained" in verdict) == (model == "vit")   # the ViT claim is for ImageNet pretraining
    assert "random initialisation" in (run / "report.md").read_text()
    capsys.readouterr()
    clip = write_audio(tmp_path / "mine.wav", seconds=2.0)
    assert predict_main([str(clip), "--run", str(run), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert 1 <= out[0]["valence"] <= 9 and 1 <= out[0]["arousal"] <= 9


def test_presets_and_variants_apply_to_the_spec():
    paper = keras_model_spec("ast", "mel", "ast_paper")["model"]
    assert paper["stride"] == [10, 10] and paper["num_layers"] == 12 and paper["hidden_dim"] == 768
    assert keras_model_spec("ast", "opensmile")["model"]["time_pool"] == 1
    assert keras_model_spec("ast", "mel")["model"]["time_pool"] == 4
    with pytest.raises(MerError, match="unknown preset 'huge'"):
        keras_model_spec("vit", "mel", "huge")
    with pytest.raises(MerError, match="no presets"):
        keras_model_spec("crnn", "mel", "ast_paper")


def test_missing_weights_path_is_one_clear_line(fourq_dir, tmp_path, capsys):
    code = train_main(["--model", "vit", "--epochs", "1", "--workers", "1", "--data", str(fourq_dir),
                       "--weights", str(tmp_path / "nowhere"), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and "nowhere" in err and "Traceback" not in err


@pytest.mark.parametrize("model", ["vit", "ast"])
def test_deam_opensmile_feature_maps(model, deam_dir, tmp_path):
    """DEAM's openSMILE frames x features as the image (the path a user with DEAM's features runs)."""
    run = tmp_path / "run"
    assert train_main(["--model", model, "--dataset", "deam", "--data", str(deam_dir), "--features", "opensmile",
                       "--epochs", "1", "--batch-size", "2", "--workers", "1", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["feature"]["kind"] == "opensmile" and config["input_shape"][0] == 90
    if model == "ast":
        assert config["model_config"]["time_pool"] == 1   # the openSMILE variant: no time pooling of 90 frames
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["dataset"].startswith("deam") and "r2" in metrics
