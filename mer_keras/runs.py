"""The run directory: every file a run writes, and the only writer of them.

Training writes the model, ``config.json``, ``split.json``, ``history.csv``, ``normalization.npz``,
``skipped.csv`` and the resume checkpoints; evaluation writes ``metrics.json``, ``predictions.csv``,
``report.md`` and plots into a run or report folder. Every text file goes through the atomic writers
below (a temporary file, then a rename), so an interrupted write never leaves half a file.

As its last step training writes ``manifest.json``: the sha256 and size of every file of the run
(``RUN_FILES`` that exist; not the resume checkpoints, not evaluation outputs). ``RunDir.verify`` checks
it before a model is opened. ``python -m mer_keras.runs export RUN OUT.zip`` / ``import OUT.zip DIR``
move a run between machines as one verified bundle; ``seal RUN`` writes the manifest of an older run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
from pathlib import Path

from mer_keras.errors import RunError


def _atomic_write(path: Path, text: str) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(path.name + ".tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except OSError as exc:
        raise RunError(f"cannot write {path}: {exc.strerror or exc}; choose a writable folder "
                       "(--out / --report-dir) with free space") from None
    return path


def write_with(path: Path, write) -> Path:
    """A file another library writes (a Keras model or weights, a NumPy archive): ``write(temporary path)``,
    then a rename onto ``path``, so an interruption or a full disk never leaves half a file. The temporary
    name keeps the suffix (``.keras``, ``.weights.h5``, ``.npz``) the library checks."""
    path = Path(path)
    temp = path.with_name("partial-" + path.name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(temp)
        os.replace(temp, path)
    except OSError as exc:
        _remove_quietly(temp)
        raise RunError(f"cannot write {path}: {exc.strerror or exc}; choose a writable folder (--out) with free "
                       "space") from None
    except BaseException:
        _remove_quietly(temp)
        raise
    return path


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def write_json(path: Path, data) -> Path:
    """``data`` as indented JSON (non-JSON values as ``str``), atomically."""
    return _atomic_write(path, json.dumps(data, indent=1, default=_json_default) + "\n")


def _json_default(value):
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:   # pragma: no cover
        pass
    return str(value)


def write_text(path: Path, text: str) -> Path:
    """A text file (a report), atomically."""
    return _atomic_write(path, text if text.endswith("\n") else text + "\n")


def write_csv(path: Path, header: list[str], rows) -> Path:
    """A CSV file with ``header`` and ``rows``, atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return _atomic_write(path, buffer.getvalue())


def save_figure(figure, path: Path, dpi: int = 110) -> Path:
    """A matplotlib figure as PNG, atomically."""
    path = Path(path)
    temp = path.with_name(path.stem + ".tmp.png")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(temp, dpi=dpi)
        os.replace(temp, path)
    except OSError as exc:
        raise RunError(f"cannot write {path}: {exc.strerror or exc}; choose a writable --report-dir") from None
    return path


def read_json(path: Path, what: str = "file") -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RunError(f"{path} not found; {what}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{path} is not valid JSON ({exc}); the run is damaged: train it again") from None


# --- the run manifest ----------------------------------------------------------------------------

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "mer_keras.run-manifest"
# Every file a finished run is made of (the manifest lists those present). The baseline_* names are
# mer_keras.models.baseline_io's; model_card.md is optional (none is written by training yet).
RUN_FILES = ("config.json", "split.json", "skipped.csv", "history.csv", "search.json", "feature_names.json",
             "normalization.npz", "model.keras",
             "baseline.json", "baseline_scaler.npz", "baseline_ridge.npz", "baseline_svr.skops", "baseline_xgboost.json",
             "baseline_svc.skops", "baseline_logreg.npz", "model_card.md")
MODEL_FILES = ("model.keras", "baseline.json")
# Written by training for --resume only (and top-<epoch>.weights.h5): never listed, never bundled.
RESUME_FILES = ("state.json", "last.keras", "best.weights.h5")
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
_MAX_MANIFEST_BYTES = 2**20
_CHUNK = 2**20
_warned_unsealed: set[str] = set()


def is_plain_name(name) -> bool:
    """A file name that stays inside the run folder: no separators, no ``..``, no drive, no hidden name."""
    return (isinstance(name, str) and 0 < len(name) <= 128 and name.isascii() and name[0].isalnum()
            and all(c.isalnum() or c in "._-" for c in name) and ".." not in name)


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256 hex, size in bytes) of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def parse_manifest(text: bytes | str, where: str) -> dict[str, dict]:
    """The ``files`` table of a manifest, checked: plain names, a sha256 and a size each."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{where} is not valid JSON ({exc}); the run is damaged: get it again from its source") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(files, dict):
        raise RunError(f"{where} is not a mer_keras run manifest; the run is damaged: get it again from its source")
    if data.get("version") != 1 or data.get("algorithm") != "sha256":
        raise RunError(f"{where} is manifest version {data.get('version')} ({data.get('algorithm')}); this mer_keras "
                       "reads version 1 (sha256): use a newer mer_keras")
    for name, entry in files.items():
        if not is_plain_name(name) or name == MANIFEST:
            raise RunError(f"{where} lists {name!r}, which is not a plain file name inside the run; refusing the run")
        if (not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str) or len(entry["sha256"]) != 64
                or not all(c in "0123456789abcdef" for c in entry["sha256"])
                or not isinstance(entry.get("bytes"), int) or isinstance(entry["bytes"], bool) or entry["bytes"] < 0):
            raise RunError(f"{where} has no valid sha256/bytes for {name}; the run is damaged: get it again from its source")
    return files


def _check_file(path: Path, entry: dict, manifest: Path) -> None:
    if not path.is_file():
        raise RunError(f"{path} is listed in {manifest} but missing: the run is incomplete; copy the whole run "
                       "again (or import its bundle: python -m mer_keras.runs import BUNDLE.zip DIR)")
    digest, size = file_digest(path)
    if size != entry["bytes"] or digest != entry["sha256"]:
        what = f"{size} bytes, the manifest says {entry['bytes']}" if size != entry["bytes"] else "its sha256 differs"
        raise RunError(f"{path} does not match {manifest} ({what}): it was changed or damaged after training; "
                       "refusing to load the run: get it again from its source")


class RunDir:
    """Paths, readers and writers for one run (``model.keras``, ``config.json``, ``split.json``, ...)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._verified: dict | None = None
        self.created = False        # whether create() made the folder (this invocation's to remove on failure)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    config = property(lambda self: self.path / "config.json")
    split = property(lambda self: self.path / "split.json")
    history = property(lambda self: self.path / "history.csv")
    model = property(lambda self: self.path / "model.keras")
    scaler = property(lambda self: self.path / "normalization.npz")
    skipped = property(lambda self: self.path / "skipped.csv")
    state = property(lambda self: self.path / "state.json")
    last_model = property(lambda self: self.path / "last.keras")
    best_weights = property(lambda self: self.path / "best.weights.h5")
    metrics = property(lambda self: self.path / "metrics.json")
    manifest = property(lambda self: self.path / MANIFEST)

    def create(self) -> "RunDir":
        try:
            self.path.mkdir(parents=True)
            self.created = True
        except FileExistsError:
            if not self.path.is_dir():
                raise RunError(f"cannot create the run directory {self.path}: a file is in the way; "
                               "pass --out a folder") from None
        except OSError as exc:
            raise RunError(f"cannot create the run directory {self.path}: {exc.strerror or exc}; "
                           "pass --out a writable folder") from None
        return self

    def discard_if_new(self) -> None:
        """Remove the run folder if :meth:`create` made it (a check failed before anything worth keeping was
        written); a folder that was there before is never touched."""
        if self.created:
            import shutil

            shutil.rmtree(self.path, ignore_errors=True)
            self.created = False

    # writers ---------------------------------------------------------------------------------

    def write_json(self, path: Path, data: dict) -> Path:
        return write_json(path, data)

    def write_config(self, config: dict) -> Path:
        return write_json(self.config, config)

    def write_split(self, split: dict) -> Path:
        return write_json(self.split, split)

    def write_skipped(self, rows: list[tuple[str, str, str]]) -> Path:
        """Rows of (item_id, stage, reason) for every item left out of the run."""
        return write_csv(self.skipped, ["item_id", "stage", "reason"], rows)

    def append_history(self, names: list[str], values: list[str]) -> None:
        """One epoch's row of ``history.csv`` (header written with the first row)."""
        new_file = not self.history.is_file()
        try:
            with open(self.history, "a", newline="") as handle:
                writer = csv.writer(handle)
                if new_file:
                    writer.writerow(names)
                writer.writerow(values)
        except OSError as exc:
            raise RunError(f"cannot write {self.history}: {exc.strerror or exc}; choose a writable folder (--out) "
                           "with free space") from None

    def truncate_history(self, last_epoch: int) -> None:
        """Drop history rows after ``last_epoch`` (an epoch logged but not checkpointed before a crash)."""
        if not self.history.is_file():
            return
        with open(self.history, newline="") as handle:
            rows = list(csv.reader(handle))
        kept = [row for row in rows[1:] if int(row[0]) <= last_epoch]
        write_csv(self.history, rows[0], kept)

    def write_manifest(self, names: list[str] | None = None) -> Path:
        """``manifest.json``: sha256 and size of ``names`` (default: every ``RUN_FILES`` present). The last write
        of a training run; resume checkpoints and evaluation outputs are not listed."""
        names = [name for name in RUN_FILES if (self.path / name).is_file()] if names is None else list(names)
        files = {}
        for name in names:
            if not is_plain_name(name) or name.endswith(PICKLE_SUFFIXES):
                raise RunError(f"internal error: {name!r} cannot be listed in a run manifest")
            digest, size = file_digest(self.path / name)
            files[name] = {"sha256": digest, "bytes": size}
        self._verified = None
        return write_json(self.manifest, {"format": MANIFEST_FORMAT, "version": 1, "algorithm": "sha256", "files": files})

    def read_manifest(self) -> dict[str, dict] | None:
        """The manifest's ``{name: {"sha256", "bytes"}}``, checked; None if the run has no manifest."""
        if not self.manifest.is_file():
            return None
        try:
            if self.manifest.stat().st_size > _MAX_MANIFEST_BYTES:
                raise RunError(f"{self.manifest} is over {_MAX_MANIFEST_BYTES} bytes; not a run manifest")
            return parse_manifest(self.manifest.read_bytes(), str(self.manifest))
        except OSError as exc:
            raise RunError(f"cannot read {self.manifest}: {exc.strerror or exc}") from None

    def verify(self, required: tuple[str, ...] = ()) -> bool:
        """Check every file ``manifest.json`` lists (present, same size, same sha256) and that it lists
        ``required``; one RunError naming the file otherwise. A run without a manifest (trained before
        manifests) passes with a one-line warning on stderr; returns whether a manifest was checked."""
        if self._verified is None:
            files = self.read_manifest()
            if files is None:
                key = str(self.path.resolve())
                if key not in _warned_unsealed:
                    _warned_unsealed.add(key)
                    print(f"warning: {self.path} has no {MANIFEST} (trained before manifests, or copied without it), "
                          f"so its files cannot be checked; once you trust it: python -m mer_keras.runs seal {self.path}",
                          file=sys.stderr)
                return False
            for name, entry in files.items():
                _check_file(self.path / name, entry, self.manifest)
            self._verified = files
        unlisted = [name for name in required if name not in self._verified]
        if unlisted:
            raise RunError(f"{self.manifest} does not list {unlisted[0]}, which loading the model reads: the manifest "
                           "is incomplete; refusing the run: get it again from its source")
        return True

    # readers ---------------------------------------------------------------------------------

    def read_config(self) -> dict:
        if not self.config.is_file():
            raise RunError(f"{self.path} is not a run directory (no config.json); pass the --out folder of a train.py run")
        return read_json(self.config)

    def read_split(self) -> dict:
        from mer_keras.data.splits import check_split_record

        return check_split_record(read_json(self.split, "the run has no split.json: train it again"), self.split)

    def read_history(self) -> dict[str, list[float]]:
        """history.csv as columns (``epoch``, ``loss``, ``val_loss``, ``seconds``, ...); empty if absent."""
        if not self.history.is_file():
            return {}
        with open(self.history, newline="") as handle:
            rows = list(csv.DictReader(handle))
        return {name: [float(row[name]) for row in rows] for name in rows[0]} if rows else {}

    def read_skipped(self) -> list[dict]:
        if not self.skipped.is_file():
            return []
        with open(self.skipped, newline="") as handle:
            return list(csv.DictReader(handle))

    def require(self, *names: str) -> None:
        missing = [name for name in names if not (self.path / name).is_file()]
        if missing:
            raise RunError(f"run {self.path} lacks {missing}; did training finish? (train.py --resume continues it)")


# --- bundles: one verified zip per run ---------------------------------------------------------------

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)       # fixed, so the same run gives the same bundle


def _finished(run: RunDir) -> dict:
    if not run.path.is_dir():
        raise RunError(f"{run.path}: no such run directory; pass the --out folder of a train.py run")
    config = run.read_config()
    if config.get("status") != "finished":
        raise RunError(f"run {run.path} did not finish training; continue it with train.py --resume --out {run.path}")
    return config


def seal_run(run_path: Path) -> Path:
    """Write the manifest of a finished run that has none (or refresh it after adding a model card): the
    files are recorded as they are now, so run this only on a run you trust. An existing manifest must
    still match (delete it first to record deliberate changes); a pickle model is refused."""
    run = RunDir(run_path)
    _finished(run)
    if not any((run / name).is_file() for name in MODEL_FILES):
        if any((run / name).is_file() for name in ("model.joblib",)):
            raise RunError(f"{run / 'model.joblib'} is a pickle: a run with a pickle model cannot be sealed or shared; "
                           f"train it again (train.py now stores baselines without pickles)")
        raise RunError(f"run {run.path} has no model ({' or '.join(MODEL_FILES)}); did training finish?")
    if run.manifest.is_file():
        run.verify()
    return run.write_manifest()


def export_run(run_path: Path, out: Path) -> Path:
    """Zip a finished, verified run (its manifest and every file it lists) into ``out``."""
    import zipfile

    run, out = RunDir(run_path), Path(out)
    _finished(run)
    if out.exists():
        raise RunError(f"{out} already exists; choose another bundle name or delete it first")
    files = run.read_manifest()
    if not any((run / name).is_file() for name in MODEL_FILES) and (run / "model.joblib").is_file():
        raise RunError(f"{run / 'model.joblib'} is a pickle; bundles carry no pickles: train the run again "
                       "(train.py now stores baselines without pickles)")
    if files is None:
        raise RunError(f"{run.path} has no {MANIFEST} (trained before manifests); check the run, then "
                       f"python -m mer_keras.runs seal {run.path}, and export again")
    pickles = [name for name in files if name.endswith(PICKLE_SUFFIXES)]
    if pickles:
        raise RunError(f"{run.path / pickles[0]} is a pickle; bundles carry no pickles: train the run again")
    run.verify(required=("config.json",))
    if not any(name in files for name in MODEL_FILES):
        raise RunError(f"{run.manifest} lists no model ({' or '.join(MODEL_FILES)}); nothing to export")
    temp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in [MANIFEST, *sorted(files)]:
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                digest = hashlib.sha256()
                with open(run.path / name, "rb") as source, archive.open(info, "w", force_zip64=True) as target:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        target.write(chunk)
                if name != MANIFEST and digest.hexdigest() != files[name]["sha256"]:
                    raise RunError(f"{run.path / name} changed while it was being exported; export again")
        os.replace(temp, out)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise RunError(f"cannot write {out}: {exc.strerror or exc}; choose a writable place with free space") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return out


def import_run(bundle: Path, dest: Path) -> Path:
    """Unpack a bundle written by ``export_run`` into ``dest`` (new or empty), verifying every file against
    the bundle's manifest as it is written. Every entry must be a plain file name listed in the manifest
    (nothing can land outside ``dest``); the files go to a temporary folder beside ``dest`` that becomes
    ``dest`` only once all of them match, so a refused bundle leaves nothing behind."""
    import shutil
    import stat
    import tempfile
    import zipfile

    bundle, dest = Path(bundle), Path(dest)
    if not bundle.is_file():
        raise RunError(f"{bundle}: no such file; give the .zip that python -m mer_keras.runs export wrote")
    if not zipfile.is_zipfile(bundle):
        raise RunError(f"{bundle} is not a zip file; give the .zip that python -m mer_keras.runs export wrote")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise RunError(f"{dest} already exists and is not an empty folder; import into a new or empty folder")
    try:
        with zipfile.ZipFile(bundle) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            for info in infos:
                kind = stat.S_IFMT(info.external_attr >> 16)
                if not is_plain_name(info.filename) or info.is_dir() or kind not in (0, stat.S_IFREG):
                    raise RunError(f"{bundle} holds the entry {info.filename!r}, which is not a plain file of a run "
                                   "folder (a path, a folder or a link); refusing the bundle, nothing was written")
            if len(set(names)) != len(names):
                raise RunError(f"{bundle} holds the same entry twice; refusing the bundle, nothing was written")
            if MANIFEST not in names:
                raise RunError(f"{bundle} has no {MANIFEST}: it is not a run bundle (python -m mer_keras.runs export)")
            manifest_info = archive.getinfo(MANIFEST)
            if manifest_info.file_size > _MAX_MANIFEST_BYTES:
                raise RunError(f"{bundle}: its {MANIFEST} is over {_MAX_MANIFEST_BYTES} bytes; not a run bundle")
            files = parse_manifest(archive.read(manifest_info), f"{bundle}:{MANIFEST}")
            extra = sorted(set(names) - set(files) - {MANIFEST})
            missing = sorted(set(files) - set(names))
            pickles = [name for name in files if name.endswith(PICKLE_SUFFIXES)]
            for problem, listed in (("holds entries its manifest does not list", extra),
                                    ("lacks files its manifest lists", missing), ("carries a pickle", pickles)):
                if listed:
                    raise RunError(f"{bundle} {problem} ({', '.join(listed)}); refusing the bundle, nothing was written")
            if "config.json" not in files or not any(name in files for name in MODEL_FILES):
                raise RunError(f"{bundle} lacks config.json or a model; it is not a complete run bundle")
            for info in infos:
                if info.filename != MANIFEST and info.file_size != files[info.filename]["bytes"]:
                    raise RunError(f"{bundle}: {info.filename} is {info.file_size} bytes, its manifest says "
                                   f"{files[info.filename]['bytes']}; the bundle is damaged, nothing was written")
            parent = dest.resolve().parent
            parent.mkdir(parents=True, exist_ok=True)
            temp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.import-", dir=parent))
            try:
                umask = os.umask(0o022)
                os.umask(umask)
                temp.chmod(0o777 & ~umask)          # mkdtemp's 0o700 would make the imported run private
                for info in infos:
                    target = temp / info.filename
                    if target.resolve().parent != temp.resolve():      # belt and braces after is_plain_name
                        raise RunError(f"{bundle}: {info.filename!r} would land outside {dest}; refusing the bundle")
                    limit = _MAX_MANIFEST_BYTES if info.filename == MANIFEST else files[info.filename]["bytes"]
                    digest, size = hashlib.sha256(), 0
                    with archive.open(info) as source, open(target, "xb") as handle:
                        while chunk := source.read(_CHUNK):
                            size += len(chunk)
                            if size > limit:
                                raise RunError(f"{bundle}: {info.filename} unpacks to more than its manifest's "
                                               f"{limit} bytes; the bundle is damaged, nothing was written")
                            digest.update(chunk)
                            handle.write(chunk)
                    entry = files.get(info.filename)
                    if entry and (size != entry["bytes"] or digest.hexdigest() != entry["sha256"]):
                        raise RunError(f"{bundle}: {info.filename} does not match the bundle's manifest (sha256 or "
                                       "size); the bundle was changed or damaged, nothing was written")
                if dest.exists():
                    dest.rmdir()
                os.replace(temp, dest)
            except BaseException:
                shutil.rmtree(temp, ignore_errors=True)
                raise
    except zipfile.BadZipFile as exc:
        raise RunError(f"{bundle} is a damaged zip file ({exc}); export the run again") from None
    except OSError as exc:
        raise RunError(f"cannot import {bundle} into {dest}: {exc.strerror or exc}") from None
    return dest


def main(argv: list[str] | None = None) -> int:
    """``python -m mer_keras.runs {export,import,seal,verify} ...``; errors are one line, exit status 2."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mer_keras.runs",
                                     description="Share runs safely: verified bundles without pickles.")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="zip a finished run (model, config, normalisation, split, manifest)")
    export.add_argument("run", help="run directory")
    export.add_argument("out", help="bundle to write (.zip); must not exist")
    unpack = commands.add_parser("import", help="unpack a bundle into a new or empty folder, verifying every file")
    unpack.add_argument("bundle", help="a .zip written by export")
    unpack.add_argument("dir", help="destination folder (new or empty)")
    seal = commands.add_parser("seal", help="write manifest.json for a run trained before manifests (a run you trust)")
    seal.add_argument("run", help="run directory")
    check = commands.add_parser("verify", help="check a run's files against its manifest.json")
    check.add_argument("run", help="run directory")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from mer_keras.errors import exit_status

    return exit_status(_run_command, args)


def _run_command(args) -> None:
    """The work of one ``python -m mer_keras.runs`` sub-command; project errors propagate to ``exit_status``."""
    if args.command == "export":
        out = export_run(Path(args.run), Path(args.out))
        print(f"wrote {out} ({out.stat().st_size:,} bytes); on another machine: "
              f"python -m mer_keras.runs import {out} DIR", file=sys.stderr)
    elif args.command == "import":
        dest = import_run(Path(args.bundle), Path(args.dir))
        print(f"imported {args.bundle} into {dest}; every file matches its manifest. "
              f"Next: python predict.py FILE --run {dest}", file=sys.stderr)
    elif args.command == "seal":
        path = seal_run(Path(args.run))
        print(f"wrote {path} ({len(RunDir(args.run).read_manifest())} files)", file=sys.stderr)
    else:
        run = RunDir(Path(args.run))
        _finished(run)
        if run.read_manifest() is None:
            raise RunError(f"{run.path} has no {MANIFEST}; nothing to verify (python -m mer_keras.runs seal "
                           f"{run.path} writes one for a run you trust)")
        run.verify()
        print(f"{run.path}: all {len(run.read_manifest())} files match {run.manifest}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
