import keras
import numpy as np
import pytest

from mer_keras.models.spec_augment import SpecAugment, fit_to_patches, fitted_size, spectrogram_image
from tests.models.harness import check_layer_config

X = np.random.default_rng(0).standard_normal((4, 64, 16)).astype("float32") + 5.0   # no zeros in the input


def test_identity_at_inference():
    layer = SpecAugment(time_masks=2, time_width=20, freq_masks=2, freq_width=8, seed=1)
    np.testing.assert_array_equal(np.asarray(layer(X)), X)
    np.testing.assert_array_equal(np.asarray(layer(X, training=False)), X)


def test_masks_in_training():
    layer = SpecAugment(time_masks=1, time_width=30, freq_masks=1, freq_width=8, seed=3)
    outputs = [np.asarray(layer(X, training=True)) for _ in range(5)]
    zeros = [out == 0 for out in outputs]
    assert any(z.any() for z in zeros), "no cell was masked in five training calls"
    for out, z in zip(outputs, zeros):
        np.testing.assert_array_equal(out[~z], X[~z])   # unmasked cells unchanged
        for example in z:   # masked cells form whole time rows or whole frequency columns
            rows, cols = example.all(axis=1), example.all(axis=0)
            np.testing.assert_array_equal(example, rows[:, None] | cols[None, :])
            assert rows.sum() <= 30 and cols.sum() <= 8
    assert not all(np.array_equal(zeros[0], z) for z in zeros[1:]), "the same mask every call"


def test_zero_masks_is_identity_in_training():
    layer = SpecAugment(time_masks=0, freq_masks=0)
    np.testing.assert_array_equal(np.asarray(layer(X, training=True)), X)


def test_config_round_trip():
    layer = SpecAugment(time_masks=3, time_width=12, freq_masks=1, freq_width=5, seed=7, name="sa")
    check_layer_config(layer)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(again, SpecAugment) and again.time_width == 12


def test_negative_width_rejected():
    with pytest.raises(ValueError, match="time_width"):
        SpecAugment(time_width=-1)


@pytest.mark.parametrize("size,patch,expected", [(1292, 34, 1292), (1292, 16, 1296), (260, 16, 256),
                                                 (90, 16, 96), (128, 32, 128), (5, 16, 16)])
def test_fitted_size(size, patch, expected):
    assert fitted_size(size, patch) == expected


def test_image_layout_and_fit():
    inputs = keras.Input((90, 260))
    image = spectrogram_image(inputs, {"enabled": False})
    assert tuple(image.shape) == (None, 260, 90, 1)
    fitted = fit_to_patches(image, (16, 16))
    assert tuple(fitted.shape) == (None, 256, 96, 1)
    model = keras.Model(inputs, spectrogram_image(inputs))
    x = np.arange(2 * 90 * 260, dtype="float32").reshape(2, 90, 260)
    np.testing.assert_array_equal(np.asarray(model(x))[..., 0], x.transpose(0, 2, 1))
