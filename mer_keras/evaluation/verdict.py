"""Every verdict rule of the project, each read from ``specs/estimates.yaml``.

- The estimate band (``band_rules``): a measured mean R² against the CRNN's 0.58-0.62 band with its
  0.55 / 0.65 thresholds. Which model a band rule applies to is the ``rule:`` of its claim.
- A point or band claim (``claims``) against a measured figure's 95% interval.
- Over several runs (seeds): the per-run outcomes rolled up (``mixed: ...`` when they differ).
"""

from __future__ import annotations

import math

from mer_keras.specs import load_spec

METRIC_LABELS = {"r2": "R²", "ccc": "CCC", "accuracy": "accuracy"}


# ----------------------------------------------------------------------------------------------
# the estimate band


def band_rule(name: str = "crnn_r2") -> dict:
    return dict(load_spec("estimates")["band_rules"][name])


def band_rule_for(model: str) -> str | None:
    """The name of the band rule a model's claim names with ``rule:`` in estimates.yaml, or None."""
    for claim in claims_of(model):
        if claim.get("rule"):
            return claim["rule"]
    return None


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


def band_record(rule_name: str, measured: float, interval: str, caveat: str | None = None) -> dict:
    """The verdict record of a band rule applied to a measured mean R² (a run's or a summary's)."""
    rule = band_rule(rule_name)
    record = {"rule": rule_name, "band": rule["band"], "measured_r2_mean": measured,
              "overestimated_below": rule["overestimated_below"], "underestimated_above": rule["underestimated_above"],
              "outcome": band_verdict(measured, rule), "interval": interval}
    if caveat:
        record["caveat"] = caveat
    return record


# ----------------------------------------------------------------------------------------------
# claims


def claims_of(model: str) -> list[dict]:
    """The claims ``specs/estimates.yaml`` lists for one model (may be empty)."""
    return list(load_spec("estimates")["claims"].get(model, []))


def judge(claim: dict, low: float, high: float) -> str:
    """A claim against an interval ``[low, high]``: ``below claim`` (the interval lies under the claimed
    value or band), ``above claim`` (over it), ``consistent`` (they overlap)."""
    band = claim.get("band") or [claim["value"], claim["value"]]
    if high < band[0]:
        return "below claim"
    if low > band[1]:
        return "above claim"
    return "consistent"


def claim_verdict(model: str, metrics: dict, weights: str | None = None) -> dict:
    """Judge a point claim (estimates.yaml) of mean R², or of mean CCC when the model has no R² claim,
    by the measured value's 95% bootstrap interval.

    ``consistent``: the claimed value lies inside the interval; ``below claim``: the whole interval
    lies below it; ``above claim``: the whole interval lies above it. ``metrics`` needs
    ``metrics[m]["mean"]`` and ``metrics["bootstrap"][f"{m}_mean"]``. When the claim was made for a
    pretrained model and ``weights`` says the run started from random initialisation, the verdict says so.
    """
    claims = [c for c in claims_of(model) if "value" in c]
    for metric in ("r2", "ccc"):
        chosen = [c for c in claims if c["metric"] == metric]
        if chosen:
            break
    else:
        return {"outcome": "not applicable", "why": f"specs/estimates.yaml has no R² or CCC claim for {model}"}
    claim, interval = chosen[0], metrics["bootstrap"][f"{metric}_mean"]
    verdict = {"rule": "claim vs 95% bootstrap interval", "metric": metric, "claimed": claim["value"],
               "where": claim.get("where"), "measured": metrics[metric]["mean"],
               "interval_low": interval["low"], "interval_high": interval["high"],
               "outcome": judge({"value": claim["value"]}, interval["low"], interval["high"])}
    if claim.get("pretrained") and (weights in (None, "random initialisation")):
        source = {"imagenet": "ImageNet"}.get(claim["pretrained"], claim["pretrained"])
        verdict["caveat_pretrained"] = (f"the claim is for a model pretrained on {source}; this run started "
                                        "from random initialisation (no --weights)")
    return verdict


def compare_claims(model: str, measured: dict) -> list[dict]:
    """Each claim of ``model`` in estimates.yaml beside the measured mean of that metric."""
    rows = []
    for claim in claims_of(model):
        metric = claim["metric"]
        value = measured.get(metric)
        if isinstance(value, dict):
            value = value.get("mean")
        interval = measured.get("bootstrap", {}).get(f"{metric}_mean")
        rows.append({"metric": metric, "claimed": claim.get("value", claim.get("band")),
                     "kind": claim.get("kind"), "where": claim.get("where"), "measured": value,
                     "interval": [interval["low"], interval["high"]] if interval else None})
    return rows


def accuracy_claim(model: str) -> dict | None:
    claims = [c for c in claims_of(model) if c["metric"] == "accuracy"]
    return claims[0] if claims else None


def accuracy_verdict(model: str, measured: float, interval: dict, caveat: str) -> dict:
    """The measured accuracy's 95% bootstrap interval against the note's accuracy claim for ``model``."""
    claim = accuracy_claim(model)
    if claim is None:
        return {"outcome": "not applicable", "why": f"specs/estimates.yaml has no accuracy claim for {model}"}
    kind = "band" if claim.get("band") else "approximate value"
    return {"rule": f"claimed {kind} vs 95% bootstrap interval of accuracy (overlap: consistent)", "metric": "accuracy",
            "claimed": claim.get("band") or claim["value"], "where": claim.get("where"), "measured": measured,
            "interval_low": interval["low"], "interval_high": interval["high"],
            "outcome": judge(claim, interval["low"], interval["high"]), "caveat": caveat}


# ----------------------------------------------------------------------------------------------
# over several runs


def roll_up(outcomes: list[str]) -> str:
    """One outcome for several runs: the common one, else ``mixed: a, b``."""
    distinct = sorted(set(outcomes))
    return distinct[0] if len(distinct) == 1 else "mixed: " + ", ".join(distinct)


def summary_claim_verdict(all_metrics: list[dict], measured: float) -> dict:
    """A claim verdict over runs: the mean figure, the span of the per-run 95% intervals and the
    rolled-up per-run outcomes. ``all_metrics``: each run's metrics with a claim ``verdict``."""
    first = all_metrics[0]["verdict"]
    if first["outcome"] == "not applicable":
        return first
    key = first["metric"] if first["metric"] == "accuracy" else f"{first['metric']}_mean"
    return first | {"rule": first["rule"] + ", per run", "measured": measured,
                    "interval_low": min(m["bootstrap"][key]["low"] for m in all_metrics),
                    "interval_high": max(m["bootstrap"][key]["high"] for m in all_metrics),
                    "outcome": roll_up([m["verdict"]["outcome"] for m in all_metrics])}


# --- GAN augmentation (issue 22) ---------------------------------------------------------------------

#: How every report and summary names the leaky protocol of ``vit_gan``.
LEAKY_LABEL = "leaky (for illustration, never used for a verdict)"


#: How every report names a run of ``--synthetic-only`` (train on synthetic, test on real).
TSTR_LABEL = "trained on generated crops only (train on synthetic, test on real)"


def augmentation_verdict(verdict: dict, config: dict) -> dict:
    """A vit_gan run's verdict: none under the leaky protocol (its test songs' crops were trained on); none for a
    run trained on generated crops only (``--synthetic-only``: it measures the generator, not the claim); none for
    R = 0, the control arm (the ViT + GAN claim is about augmented training); else ``verdict`` unchanged."""
    if config.get("protocol") == "leaky":
        return {"outcome": "not applicable", "why": f"protocol {LEAKY_LABEL}", "leaky": True}
    if config.get("synthetic_only"):
        return {"outcome": "not applicable", "why": f"{TSTR_LABEL}: a measure of the generated crops, not of the "
                                                    "ViT + GAN claim (augmented training on real songs)", "tstr": True}
    if config.get("synthetic_ratio") == 0:
        return {"outcome": "not applicable",
                "why": "R = 0: the same ViT on crops without generated ones, the control arm; the ViT + GAN claim is "
                       "judged on augmented runs, and augmentation by the paired difference against this arm"}
    return verdict
