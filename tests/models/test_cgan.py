"""The conditional spectrogram GAN (mer_keras/models/cgan.py) on tiny crops: one step trains both networks,
each optimizer only its own; shapes and conditioning; seeded generation; configs and saving round trip;
the hinge losses; the quality figures' arithmetic; and (subprocess) the TensorFlow backend's step."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from mer_keras.errors import MerError
from mer_keras.evaluation.gan_quality import frechet_distance, label_fidelity, memorisation, nearest_distances
from mer_keras.models.cgan import (ConditionalGAN, GanOptimizers, build_critic, build_gan, build_generator,
                                   hinge_critic_loss, hinge_generator_loss, quadrant_classes, quadrant_signs)
from mer_keras.specs import load_spec

FRAMES, MELS = 16, 8
RNG = np.random.default_rng(0)


def tiny_spec() -> dict:
    spec = copy.deepcopy(load_spec("gan"))
    spec["model"].update(noise_dim=6, label_dim=3, generator={"channels": [4, 4], "kernel": 3, "batch_norm_momentum": 0.9},
                         critic={"channels": [4, 8], "kernel": 4, "slope": 0.2})
    return spec


def batch(condition: str, n: int = 4):
    crops = RNG.uniform(-1, 1, (n, FRAMES, MELS)).astype("float32")
    labels = (RNG.uniform(-1, 1, (n, 2)).astype("float32") if condition == "va"
              else RNG.integers(0, 4, (n, 1)).astype("int32"))
    return crops, labels


def weights(variables) -> list[np.ndarray]:
    return [np.array(v.numpy(), copy=True) for v in variables]


def changed(before, variables) -> int:
    return sum(not np.array_equal(a, np.asarray(v.numpy())) for a, v in zip(before, variables))


@pytest.fixture(scope="module", params=["va", "quadrant"])
def condition(request):
    return request.param


def test_one_step_changes_both_networks(condition):
    keras.utils.set_random_seed(1)
    gan = build_gan(FRAMES, MELS, tiny_spec(), condition, seed=3)
    g_before, d_before = weights(gan.generator.trainable_variables), weights(gan.critic.trainable_variables)
    crops, labels = batch(condition)
    logs = gan.fit(crops, labels, batch_size=len(crops), epochs=1, verbose=0).history
    assert set(logs) == {"critic_loss", "generator_loss", "real_score", "fake_score"}
    assert changed(g_before, gan.generator.trainable_variables) == len(g_before)
    # every critic weight but the score's bias, whose hinge gradient is exactly 0 while all scores lie inside
    # the margin (-1 + 1 from real and generated crops): the case at initialisation
    moved = [v.path for a, v in zip(d_before, gan.critic.trainable_variables) if not np.array_equal(a, v.numpy())]
    assert set(moved) >= {v.path for v in gan.critic.trainable_variables if not v.path.endswith("score_linear/bias")}
    assert int(gan.generator_optimizer.iterations.numpy()) == 1 and int(gan.critic_optimizer.iterations.numpy()) == 1


@pytest.mark.parametrize("frozen", ["generator", "critic"])
def test_each_optimizer_updates_only_its_own_network(frozen):
    """With one optimizer's learning rate at 0, its network keeps every trainable weight; the other learns."""
    keras.utils.set_random_seed(2)
    spec = tiny_spec()
    gan = ConditionalGAN(build_generator(FRAMES, MELS, spec), build_critic(FRAMES, MELS, spec), noise_dim=6, seed=0)
    rates = {"generator": 1e-2, "critic": 1e-2, frozen: 0.0}
    gan.compile(keras.optimizers.Adam(rates["generator"]), keras.optimizers.Adam(rates["critic"]))
    assert [id(v) for v in gan.generator_optimizer._trainable_variables] == [id(v) for v in gan.generator.trainable_variables]
    assert [id(v) for v in gan.critic_optimizer._trainable_variables] == [id(v) for v in gan.critic.trainable_variables]
    networks = {"generator": gan.generator, "critic": gan.critic}
    before = {name: weights(net.trainable_variables) for name, net in networks.items()}
    crops, labels = batch("va")
    gan.fit(crops, labels, batch_size=len(crops), epochs=1, verbose=0)
    for name, net in networks.items():
        moved = changed(before[name], net.trainable_variables)
        assert moved == 0 if name == frozen else moved >= len(before[name]) - 1, name   # see the test above


def test_shapes_and_conditioning(condition):
    keras.utils.set_random_seed(3)
    spec = tiny_spec()
    generator, critic = build_generator(FRAMES, MELS, spec, condition), build_critic(FRAMES, MELS, spec, condition)
    crops, labels = batch(condition, n=3)
    noise = np.repeat(RNG.standard_normal((1, 6)).astype("float32"), 3, axis=0)
    fake = np.asarray(generator([noise, labels], training=False))
    assert fake.shape == (3, FRAMES, MELS) and np.abs(fake).max() <= 1.0
    scores = np.asarray(critic([crops, labels], training=True))
    assert scores.shape == (3, 1)
    # the critic's score depends on the label too (projection): the same crops, other labels, other scores
    others = labels[::-1].copy() if condition == "va" else (labels + 1) % 4
    assert not np.allclose(np.asarray(critic([crops, others], training=True)), scores)
    # the same noise with different labels gives different crops: the label reaches the output
    assert not np.allclose(fake[0], fake[1]) or not np.allclose(fake[1], fake[2])
    wrong = np.zeros((3, 1), "int32") if condition == "va" else np.zeros((3, 2), "float32")
    with pytest.raises(Exception):
        generator([noise, wrong[:, :1] if condition == "va" else wrong])


def test_same_seed_same_samples():
    keras.utils.set_random_seed(4)
    gan = build_gan(FRAMES, MELS, tiny_spec(), "va", seed=0)
    labels = RNG.uniform(-1, 1, (5, 2)).astype("float32")
    first, again, other = gan.generate(labels, seed=7), gan.generate(labels, seed=7), gan.generate(labels, seed=8)
    assert first.shape == (5, FRAMES, MELS) and np.array_equal(first, again) and not np.allclose(first, other)
    keras.utils.set_random_seed(4)
    twin = build_gan(FRAMES, MELS, tiny_spec(), "va", seed=0)
    assert np.allclose(twin.generate(labels, seed=7), first, atol=1e-6)


def test_training_noise_is_fresh_every_step():
    keras.utils.set_random_seed(5)
    gan = build_gan(FRAMES, MELS, tiny_spec(), "va", seed=9)
    state = np.array(gan.noise_seed.state.numpy(), copy=True)
    crops, labels = batch("va", n=4)
    gan.fit(crops, labels, batch_size=2, epochs=1, verbose=0)
    assert not np.array_equal(state, gan.noise_seed.state.numpy())      # the seed moved on, step by step


def test_configs_round_trip(tmp_path):
    keras.utils.set_random_seed(6)
    gan = build_gan(FRAMES, MELS, tiny_spec(), "quadrant", seed=5)
    clone = ConditionalGAN.from_config(gan.get_config())
    assert clone.get_config() == gan.get_config() and clone.count_params() == gan.count_params()
    assert (clone.noise_dim, clone.condition, clone.seed) == (6, "quadrant", 5)
    for network in (gan.generator, gan.critic):
        rebuilt = keras.Model.from_config(network.get_config())
        assert rebuilt.get_config() == network.get_config()
    pair = GanOptimizers.from_config(gan.optimizer.get_config())
    assert pair.generator.get_config()["learning_rate"] == gan.generator_optimizer.get_config()["learning_rate"]
    json.dumps(gan.get_config())            # plain data
    crops, labels = batch("quadrant")
    gan.fit(crops, labels, batch_size=4, epochs=1, verbose=0)
    gan.save(tmp_path / "gan.keras")
    loaded = keras.models.load_model(tmp_path / "gan.keras")
    assert isinstance(loaded, ConditionalGAN) and int(loaded.critic_optimizer.iterations.numpy()) == 1
    assert np.array_equal(loaded.generate(labels, seed=1), gan.generate(labels, seed=1))
    with pytest.raises(MerError, match="two optimizers"):
        gan.optimizer.apply([])


def test_bad_inputs_are_clear():
    with pytest.raises(MerError, match="divisible"):
        build_generator(17, MELS, tiny_spec())
    with pytest.raises(MerError, match="unknown GAN condition"):
        build_gan(FRAMES, MELS, tiny_spec(), "emotion")


def test_quadrant_labels_round_trip():
    signs = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], "float32")
    assert quadrant_classes(signs).reshape(-1).tolist() == [0, 1, 2, 3]
    assert np.array_equal(quadrant_signs(quadrant_classes(signs)), signs)


def test_hinge_losses():
    real, fake = np.array([[2.0], [0.5]], "float32"), np.array([[-2.0], [0.0]], "float32")
    assert float(hinge_critic_loss(real, fake)) == pytest.approx(0.25 + 0.5)
    assert float(hinge_generator_loss(fake)) == pytest.approx(1.0)


def test_quality_arithmetic():
    points = RNG.standard_normal((400, 3))
    assert frechet_distance(points, points) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(points, points + [2.0, 0, 0]) == pytest.approx(4.0, rel=1e-6)
    assert np.isfinite(frechet_distance(np.zeros((10, 3)), np.zeros((10, 3))))       # singular: no NaN
    labels = RNG.uniform(-1, 1, (50, 2))
    assert label_fidelity(labels, labels, "va") == pytest.approx(1.0)
    probabilities = np.eye(4)[[0, 1, 2, 3, 0]]
    assert label_fidelity(probabilities, np.array([[0], [1], [2], [3], [1]]), "quadrant") == pytest.approx(0.8)
    reference = RNG.standard_normal((30, 8)).astype("float32")
    assert np.allclose(nearest_distances(reference[:5], reference), 0.0, atol=1e-3)    # copies are at distance 0
    copies = memorisation(np.zeros(10), np.linspace(1, 2, 100))
    assert copies["near_copies"] == 1.0 and copies["generated_median"] == 0.0


def test_tensorflow_backend_step():
    """The same train_step on TensorFlow (GradientTape): one fit step trains both networks."""
    script = """
import numpy as np, keras
from mer_keras.models.cgan import build_gan
from tests.models.test_cgan import tiny_spec
assert keras.backend.backend() == "tensorflow"
keras.utils.set_random_seed(0)
gan = build_gan(16, 8, tiny_spec(), "va", seed=1)
g = [v.numpy().copy() for v in gan.generator.trainable_variables]
d = [v.numpy().copy() for v in gan.critic.trainable_variables]
x = np.random.uniform(-1, 1, (4, 16, 8)).astype("float32"); y = np.random.uniform(-1, 1, (4, 2)).astype("float32")
gan.fit(x, y, batch_size=4, epochs=1, verbose=0)
print(sum(not np.array_equal(a, v.numpy()) for a, v in zip(g, gan.generator.trainable_variables)), len(g),
      sum(not np.array_equal(a, v.numpy()) for a, v in zip(d, gan.critic.trainable_variables)), len(d))
"""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    g_moved, g_all, d_moved, d_all = map(int, done.stdout.split()[-4:])
    assert g_moved == g_all and d_moved >= d_all - 1        # the score bias: see the first test
