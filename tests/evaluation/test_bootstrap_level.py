"""The bootstrap interval's coverage level is 95% by default (issue 26).

For the mean of a large normal sample the percentile bootstrap interval approaches the analytic
normal interval mean ± z·sd/√n, so its width in standard errors reads off z: 1.96 at 95%,
1.645 at 90%, 2.576 at 99%.
"""

import numpy as np
import pytest

from mer_keras.evaluation.bootstrap import bootstrap_interval

N = 2000


@pytest.fixture(scope="module")
def sample():
    return np.random.default_rng(7).normal(3.0, 2.0, N)


def _width_in_standard_errors(sample, **options):
    interval = bootstrap_interval(lambda indices: float(sample[indices].mean()), len(sample), seed=1, **options)
    standard_error = sample.std() / np.sqrt(len(sample))
    return (interval["high"] - interval["low"]) / (2 * standard_error), interval


def test_default_interval_is_95_percent(sample):
    z, interval = _width_in_standard_errors(sample, n_resamples=4000)
    assert interval["confidence"] == 0.95
    assert interval["resamples"] == 4000 and interval["dropped"] == 0
    # Monte Carlo error of the width at 4,000 resamples is about 2%; 1.645 (90%) and 2.576 (99%) are far outside.
    assert 1.85 < z < 2.08, f"interval is ±{z:.3f} standard errors; a 95% interval is ±1.96"
    assert interval["low"] < sample.mean() < interval["high"]


def test_confidence_argument_sets_the_level(sample):
    z90, interval90 = _width_in_standard_errors(sample, n_resamples=4000, confidence=0.90)
    assert interval90["confidence"] == 0.90
    assert 1.55 < z90 < 1.75
    z99, _ = _width_in_standard_errors(sample, n_resamples=4000, confidence=0.99)
    assert 2.40 < z99 < 2.75


def test_undefined_resamples_are_dropped_and_counted():
    values = np.arange(10.0)
    interval = bootstrap_interval(lambda idx: float("nan") if 0 in idx else float(values[idx].mean()), 10,
                                  n_resamples=200)
    assert interval["resamples"] + interval["dropped"] == 200 and interval["dropped"] > 0
