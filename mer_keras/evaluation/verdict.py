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


def claim_verdict(model: str, measured: float, interval: dict) -> dict:
    """Judge a point claim of R² (estimates.yaml) by the measured value's bootstrap interval.

    ``consistent``: the claimed value lies inside the interval; ``below claim``: the whole
    interval lies below it; ``above claim``: the whole interval lies above it.
    """
    claims = [c for c in load_spec("estimates")["claims"].get(model, []) if c["metric"] == "r2" and "value" in c]
    if not claims:
        return {"outcome": "not applicable", "why": f"specs/estimates.yaml has no R² claim for {model}"}
    claimed = claims[0]["value"]
    if interval["high"] < claimed:
        outcome = "below claim"
    elif interval["low"] > claimed:
        outcome = "above claim"
    else:
        outcome = "consistent"
    return {"rule": "claim vs 95% bootstrap interval", "claimed_r2": claimed, "where": claims[0].get("where"),
            "measured_r2_mean": measured, "interval_low": interval["low"], "interval_high": interval["high"],
            "outcome": outcome}


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
