"""Runs that can be shared safely (issue 25): no pickle in a run, a manifest checked before a model is
opened, ``--trust-pickle`` for older runs, and verified bundles (``python -m mer_keras.runs export/import``).

Two tiny runs are trained once through train.py's entry point (ridge on handcrafted features, a one-epoch
CRNN on log-mels); every test works on its own copy of them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mer_keras.cli import evaluate_main, predict_main, train_main
from mer_keras.errors import RunError
from mer_keras.predict import predict_files
from mer_keras.runs import MANIFEST, RESUME_FILES, RunDir, export_run, import_run, seal_run
from mer_keras.runs import main as runs_main
from tests.conftest import REPO, make_4q, write_audio

RUN_FILES = {"ridge": {"config.json", "split.json", "skipped.csv", "search.json", "feature_names.json",
                       "baseline.json", "baseline_scaler.npz", "baseline_ridge.npz"},
             "crnn": {"config.json", "split.json", "skipped.csv", "history.csv", "normalization.npz", "model.keras"}}
MODEL_FILE = {"ridge": "baseline_ridge.npz", "crnn": "model.keras"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("sharing")
    data, cache = make_4q(root / "data"), root / "cache"
    common = ["--dataset", "4q", "--data", str(data), "--workers", "1", "--cache", str(cache)]
    runs = {"ridge": root / "ridge", "crnn": root / "crnn"}
    assert train_main(["--model", "ridge", *common, "--out", str(runs["ridge"])]) == 0
    assert train_main(["--model", "crnn", "--epochs", "1", "--batch-size", "4", *common, "--out", str(runs["crnn"])]) == 0
    clips = [str(write_audio(root / f"clip{k}.wav", seconds=4.0, freq=260.0 + 90 * k, seed=k)) for k in range(2)]
    return {"runs": runs, "clips": clips, "cache": str(cache), "data": data}


@pytest.fixture
def copy(trained, tmp_path):
    """copy(family) -> a fresh copy of the trained run, to damage freely."""
    def make(family: str) -> Path:
        return Path(shutil.copytree(trained["runs"][family], tmp_path / f"{family}-copy"))
    return make


def _predict(trained, run: Path, *extra, capsys) -> tuple[int, list, str]:
    capsys.readouterr()
    code = predict_main([*trained["clips"], "--run", str(run), "--cache", trained["cache"], "--json", *extra])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else [], captured.err


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- no pickle, and a manifest of every file training wrote ----------------------------------------

@pytest.mark.parametrize("family", ["ridge", "crnn"])
def test_training_writes_a_manifest_of_every_file_and_no_pickle(trained, family):
    run = trained["runs"][family]
    manifest = json.loads((run / MANIFEST).read_text())
    assert manifest["format"] == "mer_keras.run-manifest" and manifest["algorithm"] == "sha256"
    assert set(manifest["files"]) == RUN_FILES[family]
    for name, entry in manifest["files"].items():
        assert entry == {"sha256": _sha256(run / name), "bytes": (run / name).stat().st_size}, name
    on_disk = {path.name for path in run.iterdir()} - {MANIFEST}
    resume_only = {name for name in on_disk if name in RESUME_FILES or name.endswith(".weights.h5")}
    assert on_disk - resume_only == RUN_FILES[family], "a file training wrote is missing from the manifest"
    assert not [name for name in on_disk if name.endswith((".joblib", ".pkl", ".pickle"))]


@pytest.mark.parametrize("family", ["ridge", "crnn"])
def test_untouched_run_loads_without_warnings(trained, family, capsys):
    code, rows, err = _predict(trained, trained["runs"][family], capsys=capsys)
    assert code == 0 and all("valence" in row for row in rows)
    assert "warning" not in err and "error" not in err


# --- refusals: modified, incomplete, unsealed --------------------------------------------------------

@pytest.mark.parametrize("family", ["ridge", "crnn"])
def test_a_weight_file_with_one_more_byte_is_refused_naming_it(trained, copy, family, capsys):
    run = copy(family)
    with open(run / MODEL_FILE[family], "ab") as handle:
        handle.write(b"\0")
    code, _, err = _predict(trained, run, capsys=capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert str(run / MODEL_FILE[family]) in lines[0] and "does not match" in lines[0] and MANIFEST in lines[0]
    fresh = run.parent / "fresh-cache"
    with pytest.raises(RunError, match="does not match"):
        predict_files(run, trained["clips"][:1], cache=str(fresh))
    assert not [path for path in fresh.rglob("*") if path.is_file()], "refused before any feature was computed"


@pytest.mark.parametrize("family", ["ridge", "crnn"])
def test_a_deleted_listed_file_is_refused_naming_it(trained, copy, family, capsys):
    run = copy(family)
    (run / "split.json").unlink()
    code, _, err = _predict(trained, run, capsys=capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{run / 'split.json'} is listed in {run / MANIFEST} but missing" in err


def test_evaluate_refuses_a_modified_run(trained, copy, capsys):
    run = copy("ridge")
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps(config | {"note": "edited"}))
    assert evaluate_main([str(run), "--resamples", "20", "--cache", trained["cache"]]) == 2
    assert f"{run / 'config.json'} does not match" in capsys.readouterr().err


def test_a_manifest_that_drops_the_model_is_refused(trained, copy, capsys):
    run = copy("crnn")
    manifest = json.loads((run / MANIFEST).read_text())
    del manifest["files"]["model.keras"]
    (run / MANIFEST).write_text(json.dumps(manifest))
    code, _, err = _predict(trained, run, capsys=capsys)
    assert code == 2 and "does not list model.keras" in err


@pytest.mark.parametrize("family", ["ridge", "crnn"])
def test_a_run_without_manifest_loads_with_one_warning_and_can_be_sealed(trained, copy, family, capsys):
    run = copy(family)
    manifest = (run / MANIFEST).read_bytes()
    (run / MANIFEST).unlink()
    code, rows, err = _predict(trained, run, capsys=capsys)
    assert code == 0 and rows
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and f"{run} has no {MANIFEST}" in warnings[0] and "mer_keras.runs seal" in warnings[0]
    seal_run(run)
    assert json.loads((run / MANIFEST).read_bytes())["files"] == json.loads(manifest)["files"]


def test_seal_refuses_to_bless_a_modified_run(copy):
    run = copy("ridge")
    (run / "search.json").write_text("{}")
    with pytest.raises(RunError, match="search.json does not match"):
        seal_run(run)


# --- older runs whose model is a pickle ---------------------------------------------------------------

@pytest.fixture
def pickle_run(copy):
    """The ridge run as train.py wrote it before issue 25: model.joblib, no baseline files, no manifest."""
    import joblib

    from mer_keras.models.baseline_io import baseline_files, load_baseline

    run = copy("ridge")
    joblib.dump(load_baseline(run), run / "model.joblib")
    for name in [*baseline_files("ridge"), MANIFEST]:
        (run / name).unlink()
    return run


def test_a_pickle_run_is_refused_without_trust_pickle(trained, pickle_run, capsys):
    code, _, err = _predict(trained, pickle_run, capsys=capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(pickle_run / "model.joblib") in lines[0] and "--trust-pickle" in lines[0]
    assert evaluate_main([str(pickle_run), "--resamples", "20", "--cache", trained["cache"]]) == 2
    assert "--trust-pickle" in capsys.readouterr().err
    with pytest.raises(RunError, match="is a pickle"):
        seal_run(pickle_run)
    with pytest.raises(RunError, match="model.joblib is a pickle; bundles carry no pickles"):
        export_run(pickle_run, pickle_run.parent / "pickle.zip")
    assert not (pickle_run.parent / "pickle.zip").exists()


def test_trust_pickle_opens_it_and_says_why_it_is_unsafe(trained, pickle_run, capsys):
    code, rows, err = _predict(trained, pickle_run, "--trust-pickle", capsys=capsys)
    assert code == 0
    _, expected, _ = _predict(trained, trained["runs"]["ridge"], capsys=capsys)
    assert rows == expected
    unsafe = [line for line in err.splitlines() if "--trust-pickle" in line]
    assert len(unsafe) == 1 and "runs whatever code it carries" in unsafe[0]
    assert evaluate_main([str(pickle_run), "--trust-pickle", "--resamples", "20", "--cache", trained["cache"]]) == 0


def test_trust_pickle_is_in_both_helps(capsys):
    for main in (evaluate_main, predict_main):
        with pytest.raises(SystemExit):
            main(["--help"])
        assert "--trust-pickle" in capsys.readouterr().out


# --- bundles ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("family", ["ridge", "crnn"])
def test_exported_bundle_scores_the_same_on_another_machine(trained, tmp_path, family, capsys):
    original = trained["runs"][family]
    _, expected, _ = _predict(trained, original, capsys=capsys)
    bundle = tmp_path / "bundle.zip"
    assert runs_main(["export", str(original), str(bundle)]) == 0
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
    assert names == RUN_FILES[family] | {MANIFEST}, "the bundle is the manifest and what it lists, nothing else"
    export_run(original, tmp_path / "again.zip")
    assert (tmp_path / "again.zip").read_bytes() == bundle.read_bytes(), "the same run gives the same bundle"

    # "another machine": the original run moved away, the bundle unpacked into a folder elsewhere
    elsewhere = tmp_path / "elsewhere" / "run"
    moved = shutil.move(str(original), str(tmp_path / "moved-away"))
    try:
        assert runs_main(["import", str(bundle), str(elsewhere)]) == 0
        assert RunDir(elsewhere).verify()
        _, rows, err = _predict(trained, elsewhere, capsys=capsys)
        assert "warning" not in err
        assert [{k: v for k, v in row.items() if k != "file"} for row in rows] == \
               [{k: v for k, v in row.items() if k != "file"} for row in expected]
        assert predict_files(elsewhere, trained["clips"], cache=trained["cache"]) == expected
    finally:
        shutil.move(moved, str(original))


def _bundle(trained, tmp_path) -> Path:
    bundle = tmp_path / "ridge.zip"
    export_run(trained["runs"]["ridge"], bundle)
    return bundle


def _rewrite(bundle: Path, out: Path, change) -> Path:
    """A copy of ``bundle`` with ``change(name, data) -> [(name, data), ...]`` applied to each entry."""
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            for new_name, data in change(name, source.read(name)):
                target.writestr(new_name, data)
    return out


def test_a_bundle_entry_outside_the_folder_is_refused_and_nothing_is_written(trained, tmp_path, capsys):
    bundle = _bundle(trained, tmp_path)
    inside = tmp_path / "a" / "b"
    inside.mkdir(parents=True)

    def add_evil(name, data):
        if name != MANIFEST:
            return [(name, data)]
        manifest = json.loads(data)
        manifest["files"]["../evil"] = {"sha256": hashlib.sha256(b"gotcha").hexdigest(), "bytes": 6}
        return [(MANIFEST, json.dumps(manifest)), ("../evil", b"gotcha")]

    evil = _rewrite(bundle, tmp_path / "evil.zip", add_evil)
    assert "../evil" in zipfile.ZipFile(evil).namelist()
    dest = inside / "run"
    assert runs_main(["import", str(evil), str(dest)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "'../evil'" in err and "nothing was written" in err
    assert not (inside / "evil").exists() and not (tmp_path / "a" / "evil").exists() and not dest.exists()
    assert list(inside.iterdir()) == [], "no temporary folder left behind"
    for name in ("/tmp/evil-abs", "sub/dir.json", "..", ".hidden"):
        odd = _rewrite(bundle, tmp_path / "odd.zip", lambda n, d, name=name: [(n, d)] + ([(name, b"x")] if n == MANIFEST else []))
        with pytest.raises(RunError, match="not a plain file"):
            import_run(odd, dest)
        assert not dest.exists()


def test_a_bundle_whose_file_was_changed_is_refused(trained, tmp_path):
    bundle = _bundle(trained, tmp_path)
    changed = _rewrite(bundle, tmp_path / "changed.zip",
                       lambda n, d: [(n, d if n != "baseline_ridge.npz" else d[:-1] + bytes([d[-1] ^ 1]))])
    dest = tmp_path / "dest"
    with pytest.raises(RunError, match="baseline_ridge.npz does not match the bundle's manifest"):
        import_run(changed, dest)
    assert not dest.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".dest")]
    extra = _rewrite(bundle, tmp_path / "extra.zip", lambda n, d: [(n, d)] + ([("model.joblib", b"x")] if n == MANIFEST else []))
    with pytest.raises(RunError, match=r"holds entries its manifest does not list \(model.joblib\)"):
        import_run(extra, dest)
    short = _rewrite(bundle, tmp_path / "short.zip", lambda n, d: [] if n == "config.json" else [(n, d)])
    with pytest.raises(RunError, match=r"lacks files its manifest lists \(config.json\)"):
        import_run(short, dest)


def test_bundle_errors_are_one_clear_line(trained, tmp_path, copy, capsys):
    bundle = _bundle(trained, tmp_path)
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("hello")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    unsealed = copy("crnn")
    (unsealed / MANIFEST).unlink()
    cases = [(["export", str(tmp_path / "no-such-run"), str(tmp_path / "x.zip")], "no such run directory"),
             (["export", str(trained["runs"]["ridge"]), str(bundle)], "already exists"),
             (["export", str(unsealed), str(tmp_path / "y.zip")], "mer_keras.runs seal"),
             (["import", str(tmp_path / "missing.zip"), str(tmp_path / "d1")], "no such file"),
             (["import", str(not_zip), str(tmp_path / "d2")], "is not a zip file"),
             (["import", str(bundle), str(full)], "already exists and is not an empty folder")]
    for argv, message in cases:
        assert runs_main(argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and message in err, (argv, err)
    assert (full / "keep.txt").read_text() == "mine" and sorted(p.name for p in full.iterdir()) == ["keep.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runs_main(["import", str(bundle), str(empty)]) == 0 and (empty / MANIFEST).is_file()
    assert runs_main(["verify", str(empty)]) == 0


def test_python_dash_m_entry_point(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mer_keras.runs", "import", str(tmp_path / "none.zip"), str(tmp_path / "d")],
                            check=False, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 2 and result.stderr.strip().startswith("error: ") and "no such file" in result.stderr


# --- the released default model (issue 20 point 3, issue 25 point 4) -----------------------------------


def test_release_copies_a_verified_run_with_a_model_card_and_predicts_the_same(trained, tmp_path, capsys):
    from mer_keras.release import main as release_main

    run = Path(shutil.copytree(trained["runs"]["ridge"], tmp_path / "ridge-run"))
    assert evaluate_main([str(run), "--cache", trained["cache"], "--resamples", "20"]) == 0
    out = tmp_path / "released"
    assert release_main([str(run), "--report", str(run), "--out", str(out)]) == 0
    card = (out / "model_card.md").read_text()
    assert "Model card: ridge" in card and "95% bootstrap interval" in card and "mean R²" in card
    assert "Proxy label" in card and "Panda et al. 2018" in card and "python -m mer_keras.release" in card
    listed = set(json.loads((out / MANIFEST).read_text())["files"])
    assert "model_card.md" in listed and not listed & set(RESUME_FILES)
    assert RunDir(out).verify(required=("config.json",))
    _, from_run, _ = _predict(trained, run, capsys=capsys)
    code, from_release, err = _predict(trained, out, capsys=capsys)
    assert code == 0 and [r["valence"] for r in from_release] == [r["valence"] for r in from_run]
    (out / "baseline_ridge.npz").write_bytes(b"tampered")
    code, _, err = _predict(trained, out, capsys=capsys)
    assert code != 0 and "baseline_ridge.npz" in err and "Traceback" not in err


def test_release_refuses_another_runs_report_and_a_run_too_big(trained, tmp_path, monkeypatch, capsys):
    from mer_keras import release

    run = Path(shutil.copytree(trained["runs"]["crnn"], tmp_path / "crnn-run"))
    other = tmp_path / "other-report"
    other.mkdir()
    (other / "metrics.json").write_text(json.dumps({"run": "someone-else", "task": "va"}))
    with pytest.raises(RunError, match="not this run's own test report"):
        release.release_run(run, other, tmp_path / "out")
    (other / "metrics.json").write_text(json.dumps({"run": run.name, "task": "va"}))
    monkeypatch.setattr(release, "MAX_BYTES", 1000)
    with pytest.raises(RunError, match="must stay under"):
        release.release_run(run, other, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()
    capsys.readouterr()
    assert release.main([str(tmp_path / "nowhere"), "--report", str(other), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "nowhere" in err


def test_predict_without_run_uses_the_released_model_or_says_how(trained, tmp_path, monkeypatch, capsys):
    from mer_keras import release

    run = Path(shutil.copytree(trained["runs"]["ridge"], tmp_path / "ridge-run"))
    assert evaluate_main([str(run), "--cache", trained["cache"], "--resamples", "20"]) == 0
    monkeypatch.setattr(release, "RELEASE_DIR", tmp_path / "nothing-released")
    capsys.readouterr()
    assert predict_main([trained["clips"][0], "--cache", trained["cache"]]) == 2
    assert "no released model" in capsys.readouterr().err
    monkeypatch.setattr(release, "RELEASE_DIR", release.release_run(run, run, tmp_path / "released"))
    assert predict_main([trained["clips"][0], "--cache", trained["cache"], "--json"]) == 0
    captured = capsys.readouterr()
    assert "using the released model" in captured.err and json.loads(captured.out)[0]["valence"] > 0


def test_the_committed_released_model_is_sealed_and_small():
    from mer_keras.release import MAX_BYTES, RELEASE_DIR

    if not RELEASE_DIR.is_dir():
        pytest.skip("no released model in this checkout")
    assert RunDir(RELEASE_DIR).verify(required=("config.json", "model_card.md"))
    assert sum(p.stat().st_size for p in RELEASE_DIR.iterdir()) < MAX_BYTES
    assert "## Test figures" in (RELEASE_DIR / "model_card.md").read_text()
