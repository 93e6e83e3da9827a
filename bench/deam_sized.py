"""A DEAM-sized run of the documented CRNN, end to end on this CPU: cold log-mel extraction of 1,395 training
and 271 validation clips, the training set's scaler, then train.py's own fit loop (fit_model: checkpoint and
history every epoch) for 50 epochs at the spec shape (1,292 x 128, batch 32, Adam 1e-3, MSE), early stopping
off so that all 50 epochs are timed (patience 10 can only shorten a real run).

DEAM's audio is not here (../shared/notes/data-gaps.md), so the clips are synthetic: 30 s of a tone plus seeded
noise at 44,100 Hz, written once as mp3 (DEAM's format) by two processes before anything is timed, and the
targets are random in [-1, 1]: the figure is time and memory, not accuracy. Sizes: DEAM's 1,395 training
songs (the study's figure) and the validation size of Music2Emo's DEAM split (271).

    python bench/deam_sized.py                      # about 15 min on 2 cores, clips kept in --clips
    python bench/deam_sized.py --epochs 3           # a quick look
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from pathlib import Path

import numpy as np

from machine import cpu_summary
from mer_keras.runtime import peak_rss_mib

RATE, SECONDS = 44100, 30.0


def _write_clip(args) -> str:
    import soundfile as sf

    k, folder = args
    path = Path(folder) / f"deam_sized_{k:04d}.mp3"
    if not path.is_file():
        t = np.arange(int(SECONDS * RATE)) / RATE
        rng = np.random.default_rng(k)
        signal = 0.2 * np.sin(2 * np.pi * (110 + k % 880) * t) + 0.05 * rng.standard_normal(t.size)
        partial = path.with_suffix(".part.mp3")
        sf.write(partial, signal.astype("float32"), RATE)
        partial.rename(path)
    return str(path)


def clips(n: int, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        return [Path(p) for p in pool.map(_write_clip, [(k, str(folder)) for k in range(n)], chunksize=16)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=1395)
    parser.add_argument("--validation", type=int, default=271)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--clips", type=Path, default=Path(tempfile.gettempdir()) / "mer_keras_deam_sized",
                        help="folder for the synthetic mp3 clips (written once, reused)")
    args = parser.parse_args()

    from mer_keras.data.records import Item
    from mer_keras.features.cache import FeatureCache
    from mer_keras.features.extract import FeatureSpec, extract_features
    from mer_keras.features.logmel import LogMelConfig
    from mer_keras.features.normalize import FeatureScaler
    from mer_keras.models.crnn import build_crnn
    from mer_keras.runs import RunDir
    from mer_keras.runtime import configure, versions
    from mer_keras.specs import load_spec
    from mer_keras.training.fit import fit_model

    n = args.train + args.validation
    start = time.perf_counter()
    paths = clips(n, args.clips)
    print(f"{n} synthetic 30 s mp3 clips ready in {time.perf_counter() - start:.0f} s (not part of the figure)",
          flush=True)
    configure(0)
    training = load_spec("crnn")["training"]
    with tempfile.TemporaryDirectory() as tmp:
        items = [Item(path.stem, path.stem, path) for path in paths]
        spec = FeatureSpec("logmel", LogMelConfig.from_spec().to_dict())
        start = time.perf_counter()
        features = extract_features(items, spec, FeatureCache(Path(tmp) / "cache"), workers=2).features
        extraction = time.perf_counter() - start
        rng = np.random.default_rng(0)
        targets = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
        start = time.perf_counter()
        scaler = FeatureScaler().fit(features[:args.train])
        x = scaler.transform(features)
        del features
        scaling = time.perf_counter() - start
        model = build_crnn()
        run = RunDir(Path(tmp) / "run").create()
        start = time.perf_counter()
        fit_model(model, (x[:args.train], targets[:args.train]), (x[args.train:], targets[args.train:]), run,
                  epochs=args.epochs, batch_size=int(training["batch_size"]), patience=args.epochs + 1, verbose=0)
        fitting = time.perf_counter() - start
    total = extraction + scaling + fitting
    info = versions()
    print(f"machine: {cpu_summary()}; Keras {info['keras']} ({info['backend']}), fp32")
    print(f"extraction, cold, {n} mp3 clips (2 threads): {extraction:.0f} s ({n / extraction:.1f} clips/s)")
    print(f"scaler fitted on the {args.train} training clips and applied: {scaling:.1f} s")
    print(f"fit, {args.epochs} epochs of {args.train} training + {args.validation} validation clips: {fitting / 60:.1f} min "
          f"({fitting / args.epochs:.1f} s per epoch, first epoch's compilation included)")
    print(f"end to end: {total / 60:.1f} min; peak RSS {peak_rss_mib() / 1024:.2f} GiB")


if __name__ == "__main__":
    main()
