import numpy as np

from mer_keras.features.normalize import FeatureScaler


def test_chunked_fit_matches_float64_statistics_and_transforms_in_place():
    x = np.random.default_rng(0).normal(3, 2, (150, 40, 7)).astype(np.float32)
    flat = x.reshape(-1, 7).astype(np.float64)
    scaler = FeatureScaler().fit(x, chunk=16)
    np.testing.assert_allclose(scaler.mean, flat.mean(0), rtol=1e-6)
    np.testing.assert_allclose(scaler.std, flat.std(0), rtol=1e-6)
    out = scaler.transform(x)
    assert out is x and abs(float(out.mean())) < 1e-4 and abs(float(out.std()) - 1) < 1e-3


def test_constant_feature_does_not_divide_by_zero():
    x = np.ones((4, 5, 2), np.float32)
    assert np.isfinite(FeatureScaler().fit(x).transform(x)).all()
