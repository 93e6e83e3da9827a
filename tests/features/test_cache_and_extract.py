import numpy as np
import pytest

from mer_keras.data.records import Item
from mer_keras.features import extract as extract_module
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import FeatureSpec, extract_features
from mer_keras.features.logmel import LogMelConfig
from tests.conftest import write_audio


def _items(tmp_path, n=3):
    return [Item(f"s{k}", f"s{k}", write_audio(tmp_path / f"s{k}.wav", seconds=1.0, freq=300 + 100 * k)) for k in range(n)]


def _spec():
    return FeatureSpec("logmel", LogMelConfig.from_spec().to_dict())


def test_second_run_reads_cache_without_recomputing(tmp_path, monkeypatch):
    items, cache = _items(tmp_path), FeatureCache(tmp_path / "cache")
    first = extract_features(items, _spec(), cache, workers=1)
    assert first.features.shape == (3, 1292, 128) and sorted(first.padded) == ["s0", "s1", "s2"]
    assert first.padded["s0"] == pytest.approx(29.0, abs=0.01)
    monkeypatch.setattr(FeatureSpec, "compute", lambda self, path: (_ for _ in ()).throw(AssertionError("recomputed")))
    second = extract_features(items, _spec(), cache, workers=1)
    np.testing.assert_array_equal(first.features, second.features)
    assert second.padded == first.padded
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_key_changes_with_any_parameter(tmp_path):
    path = write_audio(tmp_path / "a.wav", seconds=1.0)
    params = LogMelConfig.from_spec().to_dict()
    assert FeatureCache.key(path, "logmel", params) != FeatureCache.key(path, "logmel", params | {"hop_length": 256})
    assert FeatureCache.key(path, "logmel", params) != FeatureCache.key(path, "logmel", params | {"offset": 15.0})


def test_broken_cache_entry_is_recomputed(tmp_path):
    items, cache = _items(tmp_path, 1), FeatureCache(tmp_path / "cache")
    extract_features(items, _spec(), cache, workers=1)
    for entry in (tmp_path / "cache").rglob("*.npz"):
        entry.write_bytes(b"garbage")
    again = extract_features(items, _spec(), cache, workers=1)
    assert again.features.shape == (1, 1292, 128)


def test_interrupted_write_leaves_no_entry(tmp_path, monkeypatch):
    cache = FeatureCache(tmp_path / "cache")

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", boom)
    try:
        cache.put("logmel", "k", {"features": np.zeros(3)})
    except KeyboardInterrupt:
        pass
    assert cache.get("logmel", "k") is None
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []  # no partial file left


def test_bad_file_is_skipped_and_listed(tmp_path, capsys):
    items = _items(tmp_path, 2)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....garbage")
    items.append(Item("bad", "bad", bad))
    result = extract_features(items, _spec(), FeatureCache(tmp_path / "cache"), workers=1)
    assert result.item_ids == ["s0", "s1"]
    assert result.skipped[0][0] == "bad" and "bad.wav" in result.skipped[0][1]
    assert "skipped bad" in capsys.readouterr().err


def test_parallel_matches_serial(tmp_path):
    items = _items(tmp_path, 4)
    serial = extract_features(items, _spec(), FeatureCache(tmp_path / "c1"), workers=1)
    parallel = extract_features(items, _spec(), FeatureCache(tmp_path / "c2"), workers=2)
    np.testing.assert_allclose(serial.features, parallel.features, rtol=1e-5, atol=1e-4)


def test_threads_limited_in_workers():
    extract_module._limit_threads()  # must not raise


def test_key_follows_the_content_not_the_path_or_time(tmp_path):
    import os
    import shutil

    path = write_audio(tmp_path / "a.wav", seconds=1.0)
    params = LogMelConfig.from_spec().to_dict()
    copy = tmp_path / "elsewhere" / "b.wav"
    copy.parent.mkdir()
    shutil.copyfile(path, copy)
    os.utime(copy, (1_000_000, 1_000_000))
    assert FeatureCache.key(copy, "logmel", params) == FeatureCache.key(path, "logmel", params)   # copied dataset: hit
    write_audio(copy, seconds=1.0, freq=880.0)
    assert FeatureCache.key(copy, "logmel", params) != FeatureCache.key(path, "logmel", params)   # edited: miss
