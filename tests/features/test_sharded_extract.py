"""``python -m mer_keras.features extract/status`` (issue 21, point 3) on a tiny 4Q folder: shards cover every
item exactly once and fill the cache with what train.py's extraction stores; the status pass lists missing
items and failed files; concurrent writers of one key leave a valid entry; bad input is one line; the Ray
Data engine fills the same cache."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from mer_keras.data.registry import load_dataset, resolve_data
from mer_keras.features import sharded
from mer_keras.features.__main__ import main
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import FeatureSpec, extract_features
from mer_keras.features.for_dataset import feature_spec
from mer_keras.features.sharded import Shard, cached_spec, parse_shard
from tests.conftest import REPO


def _entries(cache: Path) -> dict[str, dict[str, np.ndarray]]:
    """Every cache entry (path relative to the cache) -> its arrays."""
    found = {}
    for path in sorted(cache.rglob("*.npz")):
        with np.load(path) as archive:
            found[str(path.relative_to(cache))] = {name: archive[name] for name in archive.files}
    return found


def _training_extraction(data: Path, cache: Path) -> None:
    """What train.py does for 4Q and the CRNN (default features mel), for every item, unsharded."""
    dataset = load_dataset(resolve_data("4q", str(data), "quadrant", "mel"))
    extract_features(dataset.items, feature_spec(dataset, "mel", "keras"), FeatureCache(cache), workers=1)


def _extract(data: Path, cache: Path, *options: str) -> int:
    return main(["extract", "--data", str(data), "--cache", str(cache), "--workers", "1", *options])


def _status(data: Path, cache: Path, *options: str) -> int:
    return main(["status", "--data", str(data), "--cache", str(cache), *options])


def test_shards_are_disjoint_sorted_slices_covering_every_item():
    from mer_keras.data.records import Item

    items = [Item(f"song{k:02d}", "a", None) for k in (7, 3, 11, 0, 5, 9, 1)]
    shards = [Shard(index, 3).select(items) for index in range(3)]
    ids = [item.item_id for shard in shards for item in shard]
    assert sorted(ids) == sorted(item.item_id for item in items) and len(set(ids)) == len(items)
    assert [item.item_id for item in shards[0]] == ["song00", "song05", "song11"]       # sorted ids, every 3rd
    assert parse_shard("2/3") == Shard(2, 3) and parse_shard(None) == Shard(0, 1) and str(Shard(1, 4)) == "1/4"


def test_two_shards_fill_the_cache_as_the_unsharded_training_extraction(fourq_dir, tmp_path, capsys):
    sharded_cache, training_cache = tmp_path / "sharded", tmp_path / "training"
    assert _extract(fourq_dir, sharded_cache, "--shard", "0/2") == 0
    first = set(_entries(sharded_cache))
    assert len(first) == 5
    assert _extract(fourq_dir, sharded_cache, "--shard", "1/2") == 0
    _training_extraction(fourq_dir, training_cache)
    ours, theirs = _entries(sharded_cache), _entries(training_cache)
    assert len(ours) == 10 and set(ours) == set(theirs)           # the same keys: every item exactly once
    for name, arrays in theirs.items():
        assert arrays.keys() == ours[name].keys()
        for array in arrays:
            np.testing.assert_array_equal(ours[name][array], arrays[array])
    capsys.readouterr()
    assert _extract(fourq_dir, sharded_cache) == 0                # nothing left to do
    assert "10 cached before, 0 extracted" in capsys.readouterr().err


def test_status_lists_missing_items_and_failed_files(fourq_dir, tmp_path, capsys):
    cache = tmp_path / "cache"
    (fourq_dir / "Q1" / "S1.wav").write_bytes(b"RIFF....not audio")
    assert _extract(fourq_dir, cache, "--shard", "0/2") == 0
    out = capsys.readouterr().out
    assert out.startswith("failed\tS1\t") and out.count("\n") == 1     # shard 0/2: S1, S2, S4, S6, S8 (sorted ids)
    assert _status(fourq_dir, cache) == 1
    out = capsys.readouterr().out.splitlines()
    missing = sorted(line.split("\t")[1] for line in out if line.startswith("missing\t"))
    assert missing == ["S10", "S3", "S5", "S7", "S9"]
    assert [line.split("\t")[:2] for line in out if line.startswith("failed\t")] == [["failed", "S1"]]
    assert out[-1].endswith("10 items: 4 cached, 1 failed, 5 missing")
    assert _status(fourq_dir, cache, "--shard", "0/2") == 0        # its own shard is complete (S1 failed)
    assert _extract(fourq_dir, cache, "--shard", "1/2") == 0
    assert _status(fourq_dir, cache) == 0                           # a failed file alone is listed, not missing
    assert capsys.readouterr().out.splitlines()[-1].endswith("10 items: 9 cached, 1 failed, 0 missing")


def test_a_lost_entry_and_a_repaired_file_are_missing_until_extracted(fourq_dir, tmp_path, capsys):
    cache = tmp_path / "cache"
    good = (fourq_dir / "Q1" / "S1.wav").read_bytes()
    (fourq_dir / "Q1" / "S1.wav").write_bytes(b"RIFF....not audio")
    assert _extract(fourq_dir, cache) == 0
    assert len(list((cache / "failures").rglob("*.txt"))) == 1
    (fourq_dir / "Q1" / "S1.wav").write_bytes(good)
    next((cache / "logmel").glob("*.npz")).unlink()
    capsys.readouterr()
    assert _status(fourq_dir, cache) == 1
    assert len([line for line in capsys.readouterr().out.splitlines() if line.startswith("missing\t")]) == 2
    assert _extract(fourq_dir, cache) == 0 and _status(fourq_dir, cache) == 0


def test_cache_put_is_a_rename_of_a_temporary_file_in_the_same_folder(tmp_path, monkeypatch):
    renames = []
    real_replace = os.replace

    def recording(source, target):
        renames.append((Path(source), Path(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", recording)
    FeatureCache(tmp_path / "cache").put("logmel", "k", {"features": np.zeros(3)})
    [(source, target)] = renames
    assert target == tmp_path / "cache" / "logmel" / "k.npz" and source.parent == target.parent   # atomic rename
    assert source.suffix == ".tmp" and not source.exists()


def test_concurrent_writers_of_one_key_leave_a_valid_entry(tmp_path):
    cache, errors = FeatureCache(tmp_path / "cache"), []
    shape = (200, 128)

    def write(value: float) -> None:
        try:
            for _ in range(15):
                cache.put("logmel", "same", {"features": np.full(shape, value, np.float32),
                                             "padding_seconds": np.array(value)})
        except BaseException as exc:             # pragma: no cover (reported below)
            errors.append(exc)

    def read() -> None:
        for _ in range(60):
            entry = cache.get("logmel", "same")
            if entry is not None and not (entry["features"] == entry["padding_seconds"]).all():
                errors.append(AssertionError("an entry mixing two writers"))

    threads = [threading.Thread(target=write, args=(float(k),)) for k in range(4)] + [threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entry = cache.get("logmel", "same")
    assert entry["features"].shape == shape and (entry["features"] == entry["padding_seconds"]).all()
    assert [path.name for path in (tmp_path / "cache" / "logmel").iterdir()] == ["same.npz"]    # no temp left


@pytest.mark.parametrize("shard, says", [("3/2", "must be 0 to N-1"), ("x/y", "expected I/N"), ("2", "expected I/N"),
                                         ("0/0", "must be 0 to N-1")])
def test_a_bad_shard_is_one_line(fourq_dir, tmp_path, capsys, shard, says):
    assert _extract(fourq_dir, tmp_path / "cache", "--shard", shard) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --shard") and says in err and err.count("\n") == 1
    assert not (tmp_path / "cache").exists()


def test_bad_input_from_the_command_line_is_one_line_and_status_2(fourq_dir, tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "mer_keras.features", *args], cwd=REPO, capture_output=True,
                              text=True, timeout=120)

    bad_shard = run("extract", "--data", str(fourq_dir), "--shard", "3/2")
    no_folder = run("status", "--data", str(tmp_path / "nowhere"))
    for done, says in ((bad_shard, "--shard 3/2"), (no_folder, "is not a folder")):
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and says in done.stderr
        assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def test_refusals(fourq_dir, tmp_path, capsys, monkeypatch):
    assert _extract(fourq_dir, tmp_path / "cache", "--workers", "0") == 2
    assert "--workers 0" in capsys.readouterr().err
    assert main(["extract", "--data", str(fourq_dir), "--features", "waveform"]) == 2          # a speech feature
    assert "speech datasets" in capsys.readouterr().err
    monkeypatch.setattr(sharded, "ray_data_available", lambda: False)
    assert _extract(fourq_dir, tmp_path / "cache", "--engine", "ray") == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("error: --engine ray") and "requirements-cluster.txt" in err[-1]


def test_the_model_picks_the_features_as_train_py(fourq_dir, tmp_path, capsys):
    assert _status(fourq_dir, tmp_path / "cache", "--model", "ridge") == 1       # ridge reads handcrafted
    assert capsys.readouterr().out.splitlines()[-1].startswith("handcrafted in ")
    for model in ("gan", "vit_gan"):                   # own trainers that read the Keras models' log-mel
        assert _status(fourq_dir, tmp_path / "cache", "--model", model) == 1
        assert capsys.readouterr().out.splitlines()[-1].startswith("logmel in ")
    assert _status(fourq_dir, tmp_path / "cache", "--model", "svc") == 2         # a speech model on 4Q
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "speech datasets" in err and err.count("\n") == 1


def test_derived_and_uncached_kinds():
    assert cached_spec(FeatureSpec("opensmile_audio_summary", {"a": 1})) == FeatureSpec("opensmile_audio", {"a": 1})
    with pytest.raises(sharded.DataError, match="never cached"):
        cached_spec(FeatureSpec("embeddings", {}))


def test_the_ray_engine_fills_the_same_cache(fourq_dir, tmp_path):
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install -r requirements-cluster.txt)")
    pytest.importorskip("ray.data", reason="Ray Data is not installed (pip install -r requirements-cluster.txt)")
    _training_extraction(fourq_dir, tmp_path / "training")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        assert _extract(fourq_dir, tmp_path / "ray", "--engine", "ray", "--workers", "2") == 0
    finally:
        ray.shutdown()
    ours, theirs = _entries(tmp_path / "ray"), _entries(tmp_path / "training")
    assert set(ours) == set(theirs) and len(ours) == 10
    for name, arrays in theirs.items():      # one BLAS thread per Ray worker: rounding apart (as test_parallel_matches_serial)
        np.testing.assert_allclose(ours[name]["features"], arrays["features"], rtol=1e-5, atol=1e-4)
        np.testing.assert_array_equal(ours[name]["padding_seconds"], arrays["padding_seconds"])
    assert _status(fourq_dir, tmp_path / "ray") == 0
