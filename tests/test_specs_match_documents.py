"""Every number in specs/crnn.yaml and specs/estimates.yaml against the design documents (issue 26).

The documents (../shared/seeds, see its README) are parsed here with regexes over numbers and
short keywords, so that editing either a spec or a document breaks a test; nothing of their text
is copied into the repository. Each test also checks that every number in its spec file was
compared with the document, or is listed below as not coming from it (with the reason), so a
number added to a spec later needs a decision too.

Without ../shared/seeds the tests skip.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
STUDY = "000_c7acbe12642ac3b9.txt"     # the music-emotion study's note on its CRNN ("seed 000")
SPEECH = "004_795e0041b84ad069.txt"    # the speech-emotion design note ("seed 004")
SEED_OF = {"seed 000": STUDY, "seed 004": SPEECH}

# Numbers in the specs that do not come from the documents, and why.
CRNN_NOT_IN_DOCUMENT = {
    "variants.opensmile": "DEAM's openSMILE frame features (90 half-second rows x 260 columns), from the data",
}


def _document(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"{path} not present (the design documents are expected in ../shared/seeds)")
    return path.read_text(encoding="utf-8")


def _spec(name: str) -> dict:
    # read the files themselves (not load_spec's cache, nor $MER_SPECS): the repository's specs are on trial
    return yaml.safe_load((REPO / "specs" / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def study() -> str:
    return _document(STUDY)


@pytest.fixture(scope="module")
def speech() -> str:
    return _document(SPEECH)


def _find(pattern: str, text: str, what: str, flags: int = 0) -> tuple[str, ...]:
    match = re.search(pattern, text, flags)
    if match is None:
        pytest.fail(f"the document no longer states {what} (pattern {pattern!r}); update this test or the spec")
    return match.groups()


def _leaves(data, prefix: str = ""):
    """(dotted path, value) of every number (not bool) in a parsed YAML tree."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaves(value, f"{prefix}{index}.")
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        yield prefix.rstrip("."), data


def _get(data, path: str):
    for key in path.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _differences(path: str, spec, doc):
    """One line per differing leaf (lists and dicts compared element by element)."""
    if isinstance(spec, list) and isinstance(doc, list) and len(spec) == len(doc):
        for index, (a, b) in enumerate(zip(spec, doc)):
            yield from _differences(f"{path}.{index}", a, b)
    elif isinstance(spec, dict) and isinstance(doc, dict) and spec.keys() == doc.keys():
        for key in doc:
            yield from _differences(f"{path}.{key}", spec[key], doc[key])
    elif not _same(spec, doc):
        yield f"{path}: spec {spec!r}, document {doc!r}"


def _covered(path: str, prefixes) -> bool:
    return any(path == p or path.startswith(p + ".") for p in prefixes)


# ----------------------------------------------------------------------------------------- seed 000: the CRNN

def documented_architecture(study: str) -> dict:
    """The architecture listing of section 5.1 as spec-shaped data: input, layers, outputs, parameters."""
    (block,) = _find(r"Architecture Specification.*?```\w*\n(.*?)```", study, "the CRNN architecture listing", re.S)
    (millions,) = _find(r"\(([\d.]+)\s*M parameters\)", block, "the claimed parameter count")
    found = {"claimed_parameters": round(float(millions) * 1e6), "layers": []}
    for name, rest in re.findall(r"^\s*-\s*([\w-]+):\s*(.*)$", block, re.M):
        params = {key.lower(): value for key, value in re.findall(r"(\w+)\s*=\s*([\w.]+)", rest)}
        counts = {word: int(n) for n, word in re.findall(r"(\d+)\s+(filters|units)\b", rest)}
        if name == "Input":
            (shape,) = _find(r"\(([^)]*)\)", rest, "the input shape")
            found["input_shape"] = [None if part.strip() == "batch" else int(part) for part in shape.split(",")]
        elif name == "Conv1D":
            found["layers"].append({"type": "Conv1D", "filters": counts["filters"], "kernel_size": int(params["kernel"]),
                                    "activation": params["activation"].lower()})
        elif name == "MaxPooling":
            found["layers"].append({"type": "MaxPooling1D", "pool_size": int(params["pool_size"])})
        elif name == "Bi-LSTM":
            found["layers"].append({"type": "Bidirectional", "layer": "LSTM", "units": counts["units"],
                                    "return_sequences": params["return_sequences"] == "True"})
        elif name in ("Dense", "Output"):
            found["layers"].append({"type": "Dense", "units": counts["units"], "activation": params["activation"].lower()})
            if "dropout" in params:
                found["layers"].append({"type": "Dropout", "rate": float(params["dropout"])})
            if name == "Output":
                (names,) = _find(r"\(([^)]*)\)", rest, "the output names")
                found["outputs"] = [part.strip() for part in names.split(",")]
        else:
            pytest.fail(f"the architecture listing has a line {name!r} this test does not know how to read")
    return found


def documented_crnn(study: str) -> dict:
    """Dotted spec path -> the value the note gives, for every number of specs/crnn.yaml it states."""
    arch = documented_architecture(study)
    shape = arch["input_shape"]
    optimizer, rate = _find(r"Optimizer:\s*(\w+)\s*\(lr\s*=\s*([\d.]+)\)", study, "the optimizer and learning rate")
    (loss,) = _find(r"Loss:\s*(\w+)", study, "the loss")
    (batch,) = _find(r"Batch size:\s*(\d+)", study, "the batch size")
    epochs, patience = _find(r"Epochs:\s*(\d+)\s*\(early stopping patience\s*=\s*(\d+)\)", study, "epochs and patience")
    (estimated,) = _find(r"Estimated time:\s*([\d.]+)\s*hours", study, "the estimated training time")
    low, high = _find(r"training run:\W*(\d+)\s*-\s*(\d+)\s*hours", study, "the training time of one run")
    conv_blocks, lstm_blocks = _find(r"(\d+)\s*Conv\s*\+\s*(\d+)\s*Bi-LSTM", study, "the 'N Conv + M Bi-LSTM' summary")
    assert int(lstm_blocks) == sum(layer["type"] == "Bidirectional" for layer in arch["layers"])
    return {
        "documented.input_shape": shape,
        "documented.claimed_parameters": arch["claimed_parameters"],
        "documented.conv_blocks_in_text": int(conv_blocks),
        "documented.training_time_hours": [int(low), int(high)],
        "documented.estimated_time_hours": float(estimated),
        # built as (frames, mel bins): the 4-D (batch, mels, frames, 1) with time as the sequence axis
        "input.frames": shape[2],
        "input.features": shape[1],
        "layers": arch["layers"],
        "outputs": arch["outputs"],
        "training.optimizer": optimizer.lower(),
        "training.learning_rate": float(rate),
        "training.loss": loss.lower(),
        "training.batch_size": int(batch),
        "training.epochs": int(epochs),
        "training.early_stopping.patience": int(patience),
    }


def test_crnn_spec_matches_the_study(study):
    spec, expected = _spec("crnn"), documented_crnn(study)
    wrong = [line for path, value in expected.items() for line in _differences(path, _get(spec, path), value)]
    assert not wrong, "specs/crnn.yaml disagrees with the study:\n" + "\n".join(wrong)
    unchecked = [path for path, _ in _leaves(spec)
                 if not _covered(path, [*expected, *CRNN_NOT_IN_DOCUMENT])]
    assert not unchecked, f"numbers in specs/crnn.yaml neither compared with the study nor explained: {unchecked}"


def test_documented_layer_list(study):
    """The listing as the issue reads it, so that a change in the parser shows too."""
    layers = documented_architecture(study)["layers"]
    summary = [(layer["type"], layer.get("filters") or layer.get("units") or layer.get("pool_size") or layer.get("rate"),
                layer.get("kernel_size"), layer.get("activation")) for layer in layers]
    assert summary == [("Conv1D", 32, 3, "relu"), ("MaxPooling1D", 2, None, None), ("Conv1D", 64, 3, "relu"),
                       ("MaxPooling1D", 2, None, None), ("Conv1D", 128, 3, "relu"), ("MaxPooling1D", 2, None, None),
                       ("Bidirectional", 128, None, None), ("Bidirectional", 64, None, None),
                       ("Dense", 64, None, "relu"), ("Dropout", 0.5, None, None), ("Dense", 2, None, "tanh")]
    assert [layer["return_sequences"] for layer in layers if layer["type"] == "Bidirectional"] == [True, False]


# ------------------------------------------------------------------------------------ the claims, both documents

TABLE_MODELS = {"XGBoost": "xgboost", "CRNN": "crnn", "AST": "ast"}
TABLE_METRICS = {"R²": "r2", "MSE": "mse", "MAE": "mae", "CCC": "ccc"}


def metric_table(study: str) -> dict:
    """Section 3.2's table: {model: {metric: (value, approximate)}}."""
    rows = [line for line in study.splitlines() if line.lstrip().startswith("|")]
    cells = [[cell.strip().strip("*").strip() for cell in row.strip().strip("|").split("|")] for row in rows]
    headers = [i for i, row in enumerate(cells) if row and row[0] == "Metric"]
    if not headers:
        pytest.fail("the study's metric table (header 'Metric') is gone")
    header = cells[headers[0]]
    columns = {}
    for index, cell in enumerate(header[1:], 1):
        models = [model for keyword, model in TABLE_MODELS.items() if re.search(rf"\b{keyword}\b", cell)]
        if len(models) == 1:
            columns[index] = models[0]
    assert sorted(columns.values()) == sorted(TABLE_MODELS.values()), header
    table = {model: {} for model in columns.values()}
    for row in cells[headers[0] + 1:]:
        if set("".join(row)) <= set("-: "):
            continue
        if row[0].strip("*") not in TABLE_METRICS:
            break
        metric = TABLE_METRICS[row[0].strip("*")]
        for index, model in columns.items():
            match = re.match(r"\**\s*(~|≈)?\s*(\d+(?:\.\d+)?)", row[index])
            assert match, f"table cell {row[index]!r} has no number"
            table[model][metric] = (float(match.group(2)), match.group(1) is not None)
    return table


def documented_claims(study: str, speech: str) -> dict:
    """{model: {metric: {"value" or "band", "approx", "classes", "document"}}} from both documents."""
    claims: dict[str, dict] = {}

    def add(model, metric, document, **fields):
        claims.setdefault(model, {}).setdefault(metric, {"document": document}).update(fields)

    for model, metrics in metric_table(study).items():
        for metric, (value, approx) in metrics.items():
            add(model, metric, STUDY, value=value, approx=approx)
    # the ladder of trained models: R² for the classic ones, CCC for the transformers (section 1.2 gives
    # XGBoost's best R², the ViT result is stated as a CCC)
    ridge, xgb, vit, vit_gan = _find(r"Ridge\s*\(([\d.]+)\)\s*→\s*XGBoost\s*\(([\d.]+)\)\s*→\s*ViT\s*\(([\d.]+)\)"
                                     r"\s*→\s*ViT\s*\+\s*GAN\s*\(([\d.]+)\)", study, "the ladder of trained models")
    (best_r2,) = _find(r"XGBoost\)\s*→\s*Best R²\s*=\s*([\d.]+)", study, "the classic models' best R²")
    (vit_ccc,) = _find(r"ViT results\s*\(CCC\s*=\s*([\d.]+)\)", study, "the ViT result's CCC")
    assert float(xgb) == float(best_r2) == claims["xgboost"]["r2"]["value"] and float(vit) == float(vit_ccc)
    add("ridge", "r2", STUDY, value=float(ridge))
    add("vit", "ccc", STUDY, value=float(vit))
    add("vit_gan", "ccc", STUDY, value=float(vit_gan))
    low, high = _find(r"Expected range:\W*R²\s*=\s*([\d.]+)\s*(?:to|-)\s*([\d.]+)", study, "the CRNN's expected range")
    (estimate,) = _find(r"R²\s*≈\s*([\d.]+)", study, "the CRNN's R² estimate")
    assert float(estimate) == claims["crnn"]["r2"]["value"]
    add("crnn", "r2", STUDY, band=[float(low), float(high)], approx=True)
    add("crnn", "parameters", STUDY, value=documented_architecture(study)["claimed_parameters"])

    low, high, classes = _find(r"(\d+)\s*-\s*(\d+)%\s*overall accuracy on (\d+)-class", speech,
                               "the CNN-LSTM's accuracy band")
    add("cnn_lstm", "accuracy", SPEECH, band=[int(low) / 100, int(high) / 100], classes=int(classes))
    tilde, value = _find(r"(~|≈)?\s*(\d+(?:\.\d+)?)%\s*for wav2vec", speech, "the wav2vec model's accuracy")
    add("attn_crnn", "accuracy", SPEECH, value=float(value) / 100, approx=bool(tilde), classes=int(classes))
    return claims


def test_every_claim_is_the_documents(study, speech):
    spec = _spec("estimates")
    documented = documented_claims(study, speech)
    wrong, checked = [], set()
    for model, entries in spec["claims"].items():
        for index, claim in enumerate(entries):
            path = f"claims.{model}.{index}"
            seeds = [name for key, name in SEED_OF.items() if key in str(claim.get("where", ""))]
            if not seeds:
                assert claim.get("where"), f"{path} says neither which document nor which issue it comes from"
                checked.add(path)        # sourced outside the documents (e.g. svr: issue 2); nothing to compare
                continue
            doc = documented.get(model, {}).get(claim["metric"])
            if doc is None:
                wrong.append(f"{path} ({model} {claim['metric']}): not found in {seeds[0]}")
                continue
            if doc["document"] != seeds[0]:
                wrong.append(f"{path}: 'where' names {seeds[0]}, the figure is in {doc['document']}")
            for field in ("value", "band", "classes"):
                if field in doc and not _same(claim.get(field), doc[field]):
                    wrong.append(f"{path}.{field}: spec {claim.get(field)!r}, document {doc[field]!r}")
            if doc.get("approx") and not claim.get("approx"):
                wrong.append(f"{path}: the document gives it as approximate, the spec has no approx: true")
            checked.add(path)
    for model, metrics in documented.items():
        for metric in metrics:
            if not any(c["metric"] == metric for c in spec["claims"].get(model, [])):
                wrong.append(f"the documents claim {model} {metric}; specs/estimates.yaml does not list it")
    assert not wrong, "specs/estimates.yaml disagrees with the documents:\n" + "\n".join(wrong)
    unchecked = [path for path, _ in _leaves(spec["claims"], "claims.") if not _covered(path, checked)]
    assert not unchecked, unchecked


def test_band_rule_is_the_studys(study):
    low, high = _find(r"If R²\s*=\s*([\d.]+)\s*-\s*([\d.]+)\W*\s*Estimate validated", study, "the validated band")
    (above,) = _find(r"If R²\s*>\s*([\d.]+)\W*\s*Underestimated", study, "the underestimated threshold")
    (below,) = _find(r"If R²\s*<\s*([\d.]+)\W*\s*Overestimated", study, "the overestimated threshold")
    rule = _spec("estimates")["band_rules"]["crnn_r2"]
    assert rule["metric"] == "r2"
    assert _same(rule["band"], [float(low), float(high)])
    assert _same(rule["overestimated_below"], float(below)) and _same(rule["underestimated_above"], float(above))
    assert [n for path, n in _leaves(_spec("estimates")["band_rules"])] == \
           [float(low), float(high), float(below), float(above)], "a number in band_rules not compared here"


def test_training_time_claims_are_the_documents(study, speech):
    times = _spec("estimates")["training_time_claims"]
    low, high, hardware = _find(r"training run:\W*(\d+)\s*-\s*(\d+)\s*hours[^(\n]*\(([^,)]+)", study,
                                "the CRNN's projected training time")
    assert times["crnn"]["hours"] == [int(low), int(high)] and times["crnn"]["hardware"] == hardware.strip()
    (vit,) = _find(r"ViT training:\W*(\d+)\s*minutes", study, "the ViT training time")
    gan, gan_epochs = _find(r"GAN training:\W*(\d+)\s*minutes\s*\((\d+)\s*epochs", study, "the GAN training time")
    assert times["vit"]["minutes"] == int(vit)
    assert (times["gan"]["minutes"], times["gan"]["epochs"]) == (int(gan), int(gan_epochs))
    a, b, c, d = _find(r"(\d+)\s*-\s*(\d+)\s*hours vs\.?\s*(\d+)\s*-\s*(\d+)\s*hours for wav2vec", speech,
                       "the speech models' training times")
    assert times["cnn_lstm"]["hours"] == [int(a), int(b)] and times["attn_crnn"]["hours"] == [int(c), int(d)]
    compared = {"crnn.hours", "vit.minutes", "gan.minutes", "gan.epochs", "cnn_lstm.hours", "attn_crnn.hours"}
    unchecked = [path for path, _ in _leaves(times) if not _covered(path, compared)]
    assert not unchecked, f"training_time_claims numbers not compared with the documents: {unchecked}"


def test_the_two_specs_agree_on_the_claimed_parameters():
    crnn = _spec("crnn")["documented"]["claimed_parameters"]
    claims = [c["value"] for c in _spec("estimates")["claims"]["crnn"] if c["metric"] == "parameters"]
    assert claims == [crnn]


def test_built_crnn_follows_the_study(study):
    """The model the builder makes from the spec has the documented layers, optimizer and loss."""
    import keras

    from mer_keras.models.registry import build_model

    expected = documented_crnn(study)
    model = build_model("crnn", 64, 16)
    built = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert len(built) == len(expected["layers"])
    for layer, doc in zip(built, expected["layers"]):
        config = layer.get_config()
        assert isinstance(layer, getattr(keras.layers, doc["type"])), (layer.name, doc)   # or a faster subclass
        if doc["type"] == "Conv1D":
            assert (config["filters"], tuple(config["kernel_size"]), config["activation"]) == \
                   (doc["filters"], (doc["kernel_size"],), doc["activation"])
        elif doc["type"] == "MaxPooling1D":
            assert tuple(config["pool_size"]) == (doc["pool_size"],)
        elif doc["type"] == "Bidirectional":
            assert layer.forward_layer.units == doc["units"] and layer.return_sequences == doc["return_sequences"]
            assert isinstance(layer.forward_layer, keras.layers.LSTM)
        elif doc["type"] == "Dense":
            assert (config["units"], config["activation"]) == (doc["units"], doc["activation"])
        elif doc["type"] == "Dropout":
            assert config["rate"] == pytest.approx(doc["rate"])
    assert type(model.optimizer).__name__.lower() == expected["training.optimizer"]
    assert float(model.optimizer.learning_rate) == pytest.approx(expected["training.learning_rate"])
    loss = model.loss if isinstance(model.loss, str) else getattr(model.loss, "name", type(model.loss).__name__)
    assert loss.lower() in (expected["training.loss"], "mean_squared_error")
    assert model.output_shape == (None, len(expected["outputs"]))
