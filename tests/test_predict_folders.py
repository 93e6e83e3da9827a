"""predict.py on folders, over time, and on inputs it should question (issue 20, points 1, 2 and 4).

One run directory is trained once (a one-epoch CRNN on the tiny 4Q fixture, for its config and feature
scaler); its model is then replaced by a tiny random Keras model (Conv1D, pooling, tanh head) whose outputs
differ from window to window, so that every test predicts in milliseconds and a window or file matched to
the wrong output shows.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mer_keras.audio_inputs import plan_windows, speech_likeness
from mer_keras.cli import predict_main, train_main
from mer_keras.data.warriner import MOOD_WORDS, PROXY_LABEL, nearest_words
from mer_keras.errors import DataError
from mer_keras.predict import predict_files, predict_paths
from mer_keras.predict_output import csv_columns
from mer_keras.runs import RunDir
from tests.conftest import SHARED_DATA, make_4q, needs_shared, tone, write_audio


def _tiny_keras(run: Path) -> None:
    import keras

    frames, n_features = json.loads((run / "config.json").read_text())["input_shape"]
    keras.utils.set_random_seed(0)
    inputs = keras.Input((frames, n_features))
    hidden = keras.layers.GlobalAveragePooling1D()(keras.layers.Conv1D(4, 3, activation="relu")(inputs))
    keras.Model(inputs, keras.layers.Dense(2, activation="tanh")(hidden)).save(run / "model.keras")
    RunDir(run).write_manifest()       # the run's files changed on purpose: record them again


def write_changing(path: Path, seconds: float = 70.0, rate: int = 22050) -> Path:
    """A clip whose sound changes every 10 s (pitch and loudness), so its windows differ."""
    parts = [tone(10.0, rate, freq=180.0 * (1 + k % 4), seed=k) * (0.4 + 0.3 * (k % 3)) for k in range(int(seconds // 10))]
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.concatenate(parts)[: int(seconds * rate)], rate)
    return path


def write_utterance(path: Path, seconds: float = 3.0, rate: int = 16000) -> Path:
    """Speech-like: 0.2 s voiced bursts (a 140 Hz harmonic tone) with pauses between them, silence around."""
    t = np.arange(int(0.2 * rate)) / rate
    burst = sum(np.sin(2 * np.pi * 140 * h * t) / h for h in range(1, 6)) * np.hanning(t.size) * 0.3
    signal = np.zeros(int(seconds * rate), dtype=np.float32)
    for start in np.arange(0.4, seconds - 0.6, 0.35):
        begin = int(start * rate)
        signal[begin:begin + burst.size] += burst.astype(np.float32)
    signal += 0.001 * np.random.default_rng(0).standard_normal(signal.size).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, signal, rate)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("predict-folders")
    data, cache = make_4q(root / "data"), root / "cache"
    run = root / "run"
    assert train_main(["--model", "crnn", "--epochs", "1", "--batch-size", "4", "--dataset", "4q", "--data", str(data),
                       "--workers", "1", "--cache", str(cache), "--out", str(run)]) == 0
    _tiny_keras(run)
    return {"run": run, "cache": str(cache), "root": root}


def _main(trained, *args, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = predict_main([*map(str, args), "--run", str(trained["run"]), "--cache", trained["cache"]])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- point 1: folders, batches, CSV ---------------------------------------------------------------

def test_folder_with_nested_subfolders_and_a_non_audio_file(trained, tmp_path, capsys):
    folder = tmp_path / "music"
    audio = [write_audio(folder / "a.wav", 2.0, freq=300.0), write_audio(folder / "one" / "b.flac", 2.5, freq=400.0),
             write_audio(folder / "one" / "two" / "c.ogg", 3.0, freq=500.0)]
    (folder / "one" / "notes.txt").write_text("liner notes")
    write_audio(folder / ".hidden" / "d.wav", 2.0)                  # hidden folders are not searched
    code, out, err = _main(trained, folder, "--json", capsys=capsys)
    assert code == 0, err                   # a folder's non-audio file is left out and listed, not an error
    rows = json.loads(out)
    assert [row["file"] for row in rows] == [str(path) for path in sorted(audio)]
    assert all(1 <= row["valence"] <= 9 and row["quadrant"] in {"Q1", "Q2", "Q3", "Q4"} for row in rows)
    last = err.strip().splitlines()[-1]
    assert "predicted 3 file(s)" in last and "left out 1 non-audio file(s)" in last and "notes.txt" in last


def test_a_folder_without_audio_is_one_line(trained, tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.md").write_text("no audio here")
    code, out, err = _main(trained, tmp_path / "docs", capsys=capsys)
    assert code == 2 and out == "" and err.strip().count("\n") == 0
    assert err.startswith(f"error: no audio file in {tmp_path / 'docs'} (1 other file(s))") and ".mp3" in err


def test_batched_results_equal_one_by_one(trained, tmp_path):
    files = [str(write_audio(tmp_path / f"clip{k}.wav", 2.0 + k, freq=250.0 + 70 * k, seed=k)) for k in range(4)]
    files.append(str(write_changing(tmp_path / "long.wav", seconds=45.0)))          # two windows
    batched = predict_files(trained["run"], files, cache=trained["cache"], batch_size=3)
    alone = [predict_files(trained["run"], [file], cache=trained["cache"], batch_size=1)[0] for file in files]
    assert [row["file"] for row in batched] == files and batched[-1]["windows"] == 2
    for together, single in zip(batched, alone):
        assert together["valence"] == pytest.approx(single["valence"], abs=1e-5)
        assert together["arousal"] == pytest.approx(single["arousal"], abs=1e-5)
    assert len({round(row["valence"], 6) for row in batched}) == len(files), "each file its own output"


def test_csv_columns(trained, tmp_path, capsys):
    clip = write_audio(tmp_path / "song.wav", 3.0)
    out = tmp_path / "out" / "predictions.csv"
    code, stdout, err = _main(trained, clip, tmp_path / "missing.wav", "--csv", out, capsys=capsys)
    assert code == 1 and stdout == ""
    with open(out, newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    assert header == ["file", "level", "start_s", "end_s", "valence", "arousal", "quadrant", "mood_words", "seconds",
                      "windows", "padded_s", "unheard_s", "model", "features", "training_data", "proxy_label",
                      "warning", "error"] == csv_columns("va")
    good, missing = rows
    assert good["file"] == str(clip) and good["level"] == "clip" and float(good["end_s"]) == 3.0
    assert 1 <= float(good["valence"]) <= 9 and good["quadrant"] in {"Q1", "Q2", "Q3", "Q4"}
    assert good["mood_words"] and all(word in MOOD_WORDS for word in good["mood_words"].split("; "))
    assert (good["model"], good["features"], good["training_data"], good["proxy_label"]) == ("crnn", "logmel", "4q-va",
                                                                                             PROXY_LABEL)
    assert float(good["padded_s"]) == 27.0 and good["error"] == ""
    assert missing["error"].startswith("not found") and missing["valence"] == ""
    assert f"wrote {out}" in err.strip().splitlines()[-1]


def test_progress_bar_on_stderr(trained, tmp_path, capsys):
    files = [str(write_audio(tmp_path / f"p{k}.wav", 1.0, seed=k)) for k in range(2)]
    capsys.readouterr()
    predict_paths(trained["run"], files, cache=trained["cache"], progress=True)
    err = capsys.readouterr().err
    assert "predict: 100%" in err and "2/2" in err


def test_mood_words_are_the_nearest_in_the_plane():
    points = {"happy": (8.5, 6.0), "calm": (7.0, 2.0), "sad": (2.0, 3.0), "angry": (2.5, 7.5)}
    assert nearest_words(7.5, 2.5, points, k=2) == ["calm", "happy"]
    assert nearest_words(2.0, 8.0, points, k=1) == ["angry"]
    assert nearest_words(5.0, 5.0, points, k=0) == []


def test_without_norms_the_mood_column_is_empty_with_one_note(trained, tmp_path, capsys):
    code, out, err = _main(trained, write_audio(tmp_path / "x.wav", 2.0), "--json", "--norms", tmp_path / "none.csv",
                           capsys=capsys)
    assert code == 0 and json.loads(out)[0]["mood_words"] == []
    notes = [line for line in err.splitlines() if "no mood words" in line]
    assert len(notes) == 1 and str(tmp_path / "none.csv") in notes[0] and "--norms" in notes[0]


# --- point 2: windows over a whole track, and the plot ---------------------------------------------

def test_windows_cover_the_whole_file():
    assert plan_windows(70.0, 30.0) == [(0.0, 30.0), (30.0, 60.0), (40.0, 70.0)]
    assert plan_windows(70.0, 30.0, 10.0) == [(0.0, 30.0), (10.0, 40.0), (20.0, 50.0), (30.0, 60.0), (40.0, 70.0)]
    assert plan_windows(75.0, 30.0, 20.0) == [(0.0, 30.0), (20.0, 50.0), (40.0, 70.0), (45.0, 75.0)]
    assert plan_windows(30.06, 30.0) == [(0.0, 30.0)]           # a 4Q clip: one window, 0.06 s reported unheard
    assert plan_windows(4.0, 30.0) == [(0.0, 4.0)]
    with pytest.raises(DataError, match="at most the model's window"):
        plan_windows(70.0, 30.0, 45.0)


def test_segments_of_a_70_s_clip_and_their_plot(trained, tmp_path, capsys):
    clip, plot = write_changing(tmp_path / "track.wav", 70.0), tmp_path / "plots" / "trajectory.png"
    code, out, err = _main(trained, clip, "--segments", "10", "--json", "--plot", plot, capsys=capsys)
    assert code == 0, err
    row = json.loads(out)[0]
    segments = row["segments"]
    assert [(s["start"], s["end"]) for s in segments] == [(0.0, 30.0), (10.0, 40.0), (20.0, 50.0), (30.0, 60.0), (40.0, 70.0)]
    assert row["windows"] == 5 and row["clip_value"] == "mean of 5 windows"
    for key in ("valence", "arousal"):
        assert row[key] == pytest.approx(np.mean([s[key] for s in segments]), abs=1e-9)
    assert len({round(s["valence"], 6) for s in segments}) > 1, "the windows hear different parts"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000
    assert "mean over a window every 10 s" in err

    code, out, err = _main(trained, clip, "--segments", "10", capsys=capsys)       # the table: windows, then the mean
    lines = out.strip().splitlines()
    assert len(lines) == 6 and lines[0].split("\t")[1] == "0-30 s" and lines[-1].endswith("mean of 5 windows")


def test_a_long_file_without_segments_is_the_mean_of_windows_covering_it(trained, tmp_path, capsys):
    clip = write_changing(tmp_path / "track.wav", 70.0)
    code, out, err = _main(trained, clip, "--json", capsys=capsys)
    row = json.loads(out)[0]
    assert code == 0 and row["windows"] == 3 and row["clip_value"] == "mean of 3 windows" and row["unheard_s"] == 0
    windows = json.loads(_main(trained, clip, "--json", "--segments", "30", capsys=capsys)[1])[0]["segments"]
    assert [(s["start"], s["end"]) for s in windows] == [(0.0, 30.0), (30.0, 60.0), (40.0, 70.0)]
    assert row["valence"] == pytest.approx(np.mean([s["valence"] for s in windows]), abs=1e-9)
    assert "longer than the model's 30 s window" in err and "whole file is heard" in err


def test_segments_longer_than_the_window_are_refused_in_one_line(trained, tmp_path, capsys):
    code, out, err = _main(trained, write_audio(tmp_path / "x.wav", 2.0), "--segments", "45", capsys=capsys)
    assert code == 2 and err.strip().splitlines()[-1].startswith("error: --segments 45")
    assert "Traceback" not in err


# --- point 4: input checks ---------------------------------------------------------------------------

def test_a_short_clip_says_how_much_was_padded(trained, tmp_path, capsys):
    clip = write_audio(tmp_path / "short.wav", 4.0)
    code, out, err = _main(trained, clip, capsys=capsys)
    assert code == 0 and out.strip().endswith("padded 26 s")
    notes = [line for line in err.splitlines() if line.startswith("note:") and "padded with silence" in line]
    assert len(notes) == 1 and "short.wav (26 s)" in notes[0] and "30 s window" in notes[0]


def test_unsupported_and_corrupt_files_are_one_line_each_and_the_run_goes_on(trained, tmp_path, capsys):
    good = write_audio(tmp_path / "good.wav", 2.0)
    corrupt = tmp_path / "corrupt.mp3"
    corrupt.write_bytes(b"\x00" * 4000)
    empty = tmp_path / "empty.flac"
    empty.write_bytes(b"")
    text = tmp_path / "lyrics.txt"
    text.write_text("la la la")
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(write_audio(tmp_path / "whole.wav", 2.0).read_bytes()[:30])      # the header, cut
    given = [corrupt, good, empty, text, truncated, tmp_path / "missing.ogg"]
    code, out, err = _main(trained, *given, capsys=capsys)
    assert code == 1
    lines = out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == list(map(str, given))
    assert "\tvalence " in lines[1]
    for line, path in zip(lines[:1] + lines[2:], [corrupt, empty, text, truncated, tmp_path / "missing.ogg"]):
        cause = line.split("\t", 1)[1]
        assert cause.startswith("error: ") and str(path) in cause and ": ." not in cause and "\n" not in cause
    assert "cannot decode" in lines[0] and "empty" in lines[2] and "not audio" in lines[3] and "not found" in lines[5]
    assert "Traceback" not in err and "Illegal Audio-MPEG-Header" not in err
    last = err.strip().splitlines()[-1]
    assert "predicted 1 file(s)" in last and "skipped 5" in last and "corrupt.mp3" in last


def test_an_m4a_without_ffmpeg_names_the_missing_decoder(trained, tmp_path, capsys):
    from mer_keras.audio_inputs import _has_ffmpeg_backend

    if _has_ffmpeg_backend():
        pytest.skip("ffmpeg is installed here: m4a decodes")
    song = tmp_path / "song.m4a"
    song.write_bytes(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 200)
    code, out, err = _main(trained, song, capsys=capsys)
    assert code == 1 and f"{song}\terror: cannot decode {song}: .m4a files are read through ffmpeg" in out
    assert "install ffmpeg" in out and "NoBackendError" not in out + err


def test_a_music_run_warns_on_a_clip_that_sounds_like_speech(trained, tmp_path, capsys):
    utterance, music = write_utterance(tmp_path / "hello.wav"), write_audio(tmp_path / "riff.wav", 4.0)
    code, out, err = _main(trained, utterance, music, "--json", capsys=capsys)
    rows = json.loads(out)
    assert code == 0 and "pauses like speech" in rows[0]["warning"] and "warning" not in rows[1]
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "hello.wav" in warnings[0] and "music model" in warnings[0]


@needs_shared("ravdess")
@needs_shared("4q")
def test_speech_likeness_separates_a_real_utterance_from_a_song():
    from mer_keras.audio_inputs import SPEECH_PAUSE_SHARE

    utterance = sorted((SHARED_DATA / "ravdess" / "Actor_01").glob("*.flac"))[0]
    song = sorted((SHARED_DATA / "4q" / "Q1").glob("*.opus"))[0]
    assert speech_likeness(utterance) >= SPEECH_PAUSE_SHARE > speech_likeness(song)


def test_the_same_file_given_twice_is_predicted_once(trained, tmp_path):
    clip = str(write_audio(tmp_path / "twice.wav", 2.0))
    rows = predict_files(trained["run"], [clip, str(tmp_path), clip], cache=trained["cache"])
    assert [row["file"] for row in rows] == [clip]


def test_a_run_folder_can_be_moved(trained, tmp_path):
    moved = Path(shutil.copytree(trained["run"], tmp_path / "elsewhere"))
    clip = str(write_audio(tmp_path / "x.wav", 2.0))
    assert predict_files(moved, [clip], cache=trained["cache"]) == predict_files(trained["run"], [clip], cache=trained["cache"])
