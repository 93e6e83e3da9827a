"""Dataset names -> loaders, and where the data is when the user does not say."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mer_keras.data.emodb import NAME as NAME_EMODB
from mer_keras.data.deam import HOW_TO_GET, STATIC_1_2000, deam_has_inputs, load_deam
from mer_keras.data.fourq import ANNOTATIONS, load_4q
from mer_keras.data.records import Dataset
from mer_keras.errors import DataError

DATASETS = ("deam", "4q", "ravdess", "cremad", "emodb")
SPEECH_DATASETS = ("ravdess", "cremad", "emodb")   # task "emotion": six classes, splits by speaker
SPLIT_GROUPS = {"4q": "artist", "deam": "song", "ravdess": "speaker", "cremad": "speaker", "emodb": "speaker"}
REPO = Path(__file__).resolve().parents[2]


@dataclass
class DataChoice:
    """The resolved dataset: what a run's config records so evaluate/predict can reload it."""

    dataset: str
    data_dir: str
    target: str
    features: str
    norms: str | None = None
    deam_labels: str = "corrected"       # DEAM label version: "corrected" or "as-shipped" (issue 8)
    message: str = ""

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "data_dir": self.data_dir, "target": self.target,
                "features": self.features, "norms": self.norms, "deam_labels": self.deam_labels}


def _candidate_roots() -> list[Path]:
    roots = []
    if os.environ.get("MER_DATA"):
        roots.append(Path(os.environ["MER_DATA"]))
    roots += [REPO.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    return roots


def _kind_of(folder: Path) -> str | None:
    if (folder / ANNOTATIONS).is_file():
        return "4q"
    if (folder / STATIC_1_2000).is_file() or (folder / "MEMD_audio").is_dir() or (folder / "features").is_dir():
        return "deam"
    if folder.is_dir() and any(path.is_dir() and path.name.startswith("Actor_") for path in folder.iterdir()):
        return "ravdess"
    if (folder / "AudioWAV").is_dir():
        return "cremad"
    wav = folder / "wav"
    if wav.is_dir() and any(NAME_EMODB.match(path.stem) for path in wav.iterdir()):
        return "emodb"
    return None


def resolve_data(dataset: str | None, data: str | None, target: str | None, features: str | None) -> DataChoice:
    """Pick the dataset folder: ``--data``, else ``$MER_DATA``, else ``../shared/data``.

    With no dataset named, DEAM is used when it has inputs for enough songs to train;
    otherwise 4Q-VA, the stand-in, and the returned message says so.
    """
    if data:
        folder = Path(data)
        if not folder.is_dir():
            raise DataError(f"--data {folder} is not a folder")
        kind = _kind_of(folder)
        if kind is None:
            for name in ([dataset] if dataset else DATASETS):
                if _kind_of(folder / name) == name:
                    folder, kind = folder / name, name
                    break
        dataset = dataset or kind
        if dataset is None:
            raise DataError(f"cannot tell which dataset {folder} holds; pass --dataset {{{','.join(DATASETS)}}}. {HOW_TO_GET}")
        return _choice(dataset, folder, target, features, "")
    for root in _candidate_roots():
        if not root.is_dir():
            continue
        if dataset:
            folder = root / dataset if _kind_of(root) is None else root
            if folder.is_dir():
                return _choice(dataset, folder, target, features, f"data: {folder}")
            continue
        if (root / "deam").is_dir() and deam_has_inputs(root / "deam"):
            return _choice("deam", root / "deam", target, features, f"data: DEAM at {root / 'deam'}")
        if (root / "4q").is_dir():
            why = (f"DEAM at {root / 'deam'} has annotations but audio or features for too few songs to train"
                   if (root / "deam").is_dir() else "no DEAM folder found")
            return _choice("4q", root / "4q", target or "va", features,
                           f"{why}; training on 4Q-VA (4Q audio, tag-derived valence/arousal), the stand-in. "
                           "Pass --dataset deam --data DIR to use your DEAM copy.")
    raise DataError(f"no data found (looked at --data, $MER_DATA and ../shared/data). {HOW_TO_GET}")


def _choice(dataset: str, folder: Path, target: str | None, features: str | None, message: str) -> DataChoice:
    if dataset not in DATASETS:
        raise DataError(f"unknown dataset {dataset!r}; choose from {DATASETS}")
    if dataset in SPEECH_DATASETS:
        if target not in (None, "emotion"):
            raise DataError(f"{dataset} is a speech emotion dataset: its target is the emotion (--target emotion)")
        if features not in (None, "mel", "waveform", "embeddings", "egemaps", "handcrafted"):
            raise DataError(f"{dataset} takes --features mel (cnn_lstm), waveform or embeddings (attn_crnn), "
                            "or egemaps / handcrafted (svc, logreg)")
        return DataChoice(dataset, str(folder.resolve()), "emotion", features or "mel", message=message)
    if target == "emotion":
        raise DataError(f"--target emotion applies to the speech datasets {SPEECH_DATASETS}, not {dataset}")
    if features == "egemaps":
        raise DataError(f"--features egemaps (eGeMAPS speech functionals; the default of svc and logreg) applies to the "
                        f"speech datasets {', '.join(SPEECH_DATASETS)}, not {dataset}; the music baselines ridge, svr and "
                        "xgboost take --features handcrafted or opensmile")
    if dataset == "deam":
        if target not in (None, "va"):
            raise DataError("DEAM has valence/arousal targets only (--target va)")
        target = "va"
    else:
        target = target or "va"
    features = features or "mel"
    # --features opensmile: DEAM reads its own openSMILE files; 4Q's are computed from its audio
    # (mer_keras.features.opensmile.opensmile_from_file).
    return DataChoice(dataset, str(folder.resolve()), target, features, message=message)


def load_dataset(choice: DataChoice | dict) -> Dataset:
    """Load the dataset a :class:`DataChoice` (or a run config's ``data`` dict) names.

    A config saved before ``deam_labels`` existed loads with the default, ``"corrected"``.
    """
    if isinstance(choice, dict):
        choice = DataChoice(**choice)
    if choice.dataset == "ravdess":
        from mer_keras.data.ravdess import load_ravdess

        return load_ravdess(Path(choice.data_dir))
    if choice.dataset == "cremad":
        from mer_keras.data.cremad import load_cremad

        return load_cremad(Path(choice.data_dir))
    if choice.dataset == "emodb":
        from mer_keras.data.emodb import load_emodb

        return load_emodb(Path(choice.data_dir))
    if choice.dataset == "deam":
        inputs = "opensmile" if choice.features == "opensmile" else "mel"   # mel and handcrafted read the audio
        return load_deam(Path(choice.data_dir), features=inputs, labels=choice.deam_labels)
    return load_4q(Path(choice.data_dir), target=choice.target, norms_path=choice.norms)
