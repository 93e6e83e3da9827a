"""How much of musicnn + ridge's accuracy needs all ten 3 s patches of a clip (issue 20's speed trade-off).

predict.py's released model (frozen musicnn + ridge, 4Q-VA) runs the network on a clip's ten
non-overlapping 3 s patches and reads the mean and sd of their embeddings; the network is ~80% of
predict.py's CPU time. This bench embeds every patch of the seed-0 split's training and validation
songs once, then for fewer patches per clip (evenly spread over the 30 s window) fits the same head
(standardise + ridge, alpha chosen by artist-grouped 5-fold CV on the training songs, as train.py
does) and prints the grouped CV R² on the training songs and the R² on the validation songs. The
test songs are not read. Printed, not asserted; a decision aid, not a model.

    python bench/musicnn_patches.py [--data ../shared/data/4q]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ALPHAS = (1.0, 10.0, 100.0, 300.0, 1000.0, 3000.0)
CHOICES = {10: list(range(10)), 5: [0, 2, 4, 6, 8], 4: [0, 3, 6, 9], 3: [0, 4, 8], 2: [2, 7], 1: [4]}


def embed(items, offset: float) -> list[np.ndarray]:
    """Per item, the (patches, 200) penultimate embeddings of its 3 s patches over the window training's
    ``--features musicnn`` reads (ten for a full 30 s window)."""
    from mer_keras.features.musicnn_mel import musicnn_outputs, musicnn_params, patches_of_file

    params, out, start = musicnn_params(offset), [], time.perf_counter()
    for index, item in enumerate(items):
        patches, _ = patches_of_file(item.path, params, params["offset"], params["duration"])
        out.append(musicnn_outputs(patches)[0])
        if index % 100 == 99:
            print(f"  embedded {index + 1}/{len(items)} ({time.perf_counter() - start:.0f} s)", flush=True)
    return out


def features(embeddings: list[np.ndarray], chosen: list[int]) -> np.ndarray:
    """Mean and sd over the ``chosen`` patches (of ten; a shorter clip's indices scaled to its patches)."""
    rows = []
    for clip in embeddings:
        index = sorted({min(int(k * len(clip) / 10), len(clip) - 1) for k in chosen})
        part = clip[index]
        rows.append(np.concatenate([part.mean(axis=0), part.std(axis=0)]))
    return np.stack(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "4q"))
    args = parser.parse_args()
    from sklearn.linear_model import Ridge
    from sklearn.metrics import r2_score
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mer_keras.data.registry import load_dataset, resolve_data

    dataset = load_dataset(resolve_data("4q", args.data, "va", "musicnn"))
    split = json.loads((ROOT / "released" / "default" / "split.json").read_text())
    by_id = dataset.by_id()
    train, valid = [by_id[i] for i in split["train"]], [by_id[i] for i in split["validation"]]
    print(f"4Q-VA (proxy target), seed-0 artist split: {len(train)} training, {len(valid)} validation songs; "
          "test songs not read", flush=True)
    emb_train, emb_valid = embed(train, dataset.window_offset), embed(valid, dataset.window_offset)
    y_train = np.array([[i.labels["valence"], i.labels["arousal"]] for i in train])
    y_valid = np.array([[i.labels["valence"], i.labels["arousal"]] for i in valid])
    groups = [i.group for i in train]
    print("| patches per clip (seconds of audio) | alpha | grouped 5-fold CV R² (training songs) | validation R² |")
    print("|---|---|---|---|")
    for count, chosen in CHOICES.items():
        x_train, x_valid = features(emb_train, chosen), features(emb_valid, chosen)
        scores = {}
        for alpha in ALPHAS:
            model = make_pipeline(StandardScaler(), Ridge(alpha=alpha))
            predicted = cross_val_predict(model, x_train, y_train, groups=groups, cv=GroupKFold(5))
            scores[alpha] = r2_score(y_train, predicted)
        alpha = max(scores, key=scores.get)
        model = make_pipeline(StandardScaler(), Ridge(alpha=alpha)).fit(x_train, y_train)
        valid_r2 = r2_score(y_valid, model.predict(x_valid))
        print(f"| {count} ({3 * count} s) | {alpha:g} | {scores[alpha]:.3f} | {valid_r2:.3f} |", flush=True)


if __name__ == "__main__":
    main()
