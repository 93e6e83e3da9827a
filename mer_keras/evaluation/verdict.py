"""The estimate band rule, read from ``specs/estimates.yaml``, applied to a measured figure."""

from __future__ import annotations

import math

from mer_keras.specs import load_spec


def band_rule(name: str = "crnn_r2") -> dict:
    return dict(load_spec("estimates")["band_rules"][name])


def band_verdict(measured: float, rule: dict | None = None) -> str:
    """``validated`` inside the band, ``overestimated`` below the low threshold (the claim was too
    high), ``underestimated`` above the high threshold, ``inconclusive`` in between or when NaN."""
    rule = rule or band_rule()
    if measured is None or math.isnan(measured):
        return "inconclusive"
    low, high = rule["band"]
    if low <= measured <= high:
        return "validated"
    if measured < rule["overestimated_below"]:
        return "overestimated"
    if measured > rule["underestimated_above"]:
        return "underestimated"
    return "inconclusive"


def interval_note(interval: dict, rule: dict | None = None) -> str:
    """Whether the bootstrap interval lies inside, straddles or misses the band."""
    rule = rule or band_rule()
    low, high = rule["band"]
    if interval["high"] < low:
        return f"the whole {interval['confidence']:.0%} interval lies below the band"
    if interval["low"] > high:
        return f"the whole {interval['confidence']:.0%} interval lies above the band"
    if low <= interval["low"] and interval["high"] <= high:
        return f"the whole {interval['confidence']:.0%} interval lies inside the band"
    return f"the {interval['confidence']:.0%} interval overlaps the band"


METRIC_LABELS = {"r2": "R²", "ccc": "CCC"}


def claim_verdict(model: str, metrics: dict, weights: str | None = None) -> dict:
    """Judge a point claim (estimates.yaml) of mean R², or of mean CCC when the model has no R² claim,
    by the measured value's 95% bootstrap interval.

    ``consistent``: the claimed value lies inside the interval; ``below claim``: the whole interval
    lies below it; ``above claim``: the whole interval lies above it. ``metrics`` needs
    ``metrics[m]["mean"]`` and ``metrics["bootstrap"][f"{m}_mean"]``. When the claim was made for a
    pretrained model and ``weights`` says the run started from random initialisation, the verdict says so.
    """
    claims = [c for c in load_spec("estimates")["claims"].get(model, []) if "value" in c]
    for metric in METRIC_LABELS:
        chosen = [c for c in claims if c["metric"] == metric]
        if chosen:
            break
    else:
        return {"outcome": "not applicable", "why": f"specs/estimates.yaml has no R² or CCC claim for {model}"}
    claim, interval = chosen[0], metrics["bootstrap"][f"{metric}_mean"]
    claimed = claim["value"]
    if interval["high"] < claimed:
        outcome = "below claim"
    elif interval["low"] > claimed:
        outcome = "above claim"
    else:
        outcome = "consistent"
    verdict = {"rule": "claim vs 95% bootstrap interval", "metric": metric, "claimed": claimed,
               "where": claim.get("where"), "measured": metrics[metric]["mean"],
               "interval_low": interval["low"], "interval_high": interval["high"], "outcome": outcome}
    if claim.get("pretrained") and (weights in (None, "random initialisation")):
        source = {"imagenet": "ImageNet"}.get(claim["pretrained"], claim["pretrained"])
        verdict["caveat_pretrained"] = (f"the claim is for a model pretrained on {source}; this run started "
                                        "from random initialisation (no --weights)")
    return verdict


def compare_claims(model: str, measured: dict) -> list[dict]:
    """Each claim of ``model`` in estimates.yaml beside the measured mean of that metric."""
    rows = []
    for claim in load_spec("estimates")["claims"].get(model, []):
        metric = claim["metric"]
        value = measured.get(metric)
        if isinstance(value, dict):
            value = value.get("mean")
        interval = measured.get("bootstrap", {}).get(f"{metric}_mean")
        rows.append({"metric": metric, "claimed": claim.get("value", claim.get("band")),
                     "kind": claim.get("kind"), "where": claim.get("where"), "measured": value,
                     "interval": [interval["low"], interval["high"]] if interval else None})
    return rows
