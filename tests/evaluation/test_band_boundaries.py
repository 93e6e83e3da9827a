"""The CRNN band rule at its exact boundaries, as the music study's section 5.1 states it (issue 26).

Validated when 0.58 <= R² <= 0.62; overestimated when R² < 0.55 (strictly); underestimated when
R² > 0.65 (strictly); everything else, the thresholds themselves included, is inconclusive.
"""

import math

import pytest

from mer_keras.evaluation.verdict import band_rule, band_verdict


@pytest.mark.parametrize("measured, expected", [
    (0.5499, "overestimated"),
    (0.30, "overestimated"),
    (0.55, "inconclusive"),      # "< 0.55": the threshold itself is not overestimated
    (0.5501, "inconclusive"),
    (0.57, "inconclusive"),
    (0.5799, "inconclusive"),
    (0.58, "validated"),         # the band is closed at both ends
    (0.60, "validated"),
    (0.62, "validated"),
    (0.6201, "inconclusive"),
    (0.63, "inconclusive"),
    (0.6499, "inconclusive"),
    (0.65, "inconclusive"),      # "> 0.65": the threshold itself is not underestimated
    (0.6501, "underestimated"),
    (0.90, "underestimated"),
    (math.nan, "inconclusive"),
])
def test_band_verdict_at_the_documented_boundaries(measured, expected):
    assert band_verdict(measured) == expected
    assert band_verdict(measured, band_rule("crnn_r2")) == expected


def test_band_rule_holds_the_documented_thresholds():
    rule = band_rule("crnn_r2")
    assert list(rule["band"]) == [0.58, 0.62]
    assert rule["overestimated_below"] == 0.55 and rule["underestimated_above"] == 0.65


def test_thresholds_come_from_the_rule_not_the_code():
    """A rule with other numbers moves the boundaries with it (the code hard-codes none)."""
    rule = {"band": [0.3, 0.4], "overestimated_below": 0.2, "underestimated_above": 0.5}
    assert band_verdict(0.2, rule) == "inconclusive"
    assert band_verdict(0.1999, rule) == "overestimated"
    assert band_verdict(0.3, rule) == "validated" and band_verdict(0.4, rule) == "validated"
    assert band_verdict(0.5, rule) == "inconclusive"
    assert band_verdict(0.5001, rule) == "underestimated"
