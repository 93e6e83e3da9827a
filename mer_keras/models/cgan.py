"""Conditional spectrogram GAN over log-mel crops, from ``specs/gan.yaml`` (issue 22).

Crops are time-major like every model input here: ``(batch, frames, mels)``, standardised per mel bin
with training-song statistics, divided by the spec's ``crop.scale`` and clipped to [-1, 1].

- Generator ``G(z, y)``: noise ``z`` (``noise_dim``) concatenated with a label embedding -> Dense ->
  nearest-neighbour upsampling + Conv 3x3 + BatchNorm + ReLU blocks -> Conv 3x3 -> tanh, shape
  ``(batch, frames, mels)``.
- Critic ``D(x, y)``: 4x4 stride-2 convolutions with ``keras.layers.SpectralNormalization`` and
  LeakyReLU -> global mean ``h`` -> ``SN-Dense(1)(h) + <SN-projection(y), h>`` (projection
  discriminator, Miyato & Koyama 2018), an unbounded score; for quadrants the projection is a one-hot class
  embedding.
- Conditioning ``y``: ``condition="va"``: continuous (valence, arousal) in [-1, 1], shape (batch, 2),
  embedded by a Dense layer; ``condition="quadrant"``: the class index 0-3 (Q1-Q4), shape (batch, 1),
  embedded by an Embedding layer.
- Objective: hinge loss, one critic step then one generator step per batch, each network updated by
  its own optimizer only (:class:`GanOptimizers` holds the two for ``compile``/``fit``).

:class:`ConditionalGAN` is a ``keras.Model`` whose ``train_step`` runs on JAX in the stateless style
(``stateless_call``, ``optimizer.stateless_apply``, the noise seed carried in the state) and on
TensorFlow with ``GradientTape``. Noise comes from the model's ``keras.random.SeedGenerator``, fresh
every step. On JAX the critic's raw kernels stay the trained parameters and are divided by their
spectral norm in every training-mode call (gradients flow through the division); Keras's
TensorFlow path writes the normalised kernel back into the variable instead. Call the critic with
``training=True`` to get the normalised network on either backend.
"""

from __future__ import annotations

import numpy as np

import keras
from keras import ops

from mer_keras.data.fourq import QUADRANT_SIGNS
from mer_keras.errors import SpecError
from mer_keras.specs import load_spec

CONDITIONS = ("va", "quadrant")
QUADRANTS = tuple(sorted(QUADRANT_SIGNS))          # class index k <-> QUADRANTS[k] ("Q1" .. "Q4")


# ----------------------------------------------------------------------------------------------
# labels


def quadrant_classes(signs: np.ndarray) -> np.ndarray:
    """Quadrant signs ``(n, 2)`` (valence, arousal; the ``quadrant`` task's targets) -> class indices
    ``(n, 1)`` int32 into :data:`QUADRANTS` (a value of 0 counts as positive)."""
    signs = np.asarray(signs, dtype=np.float32).reshape(-1, 2)
    lookup = {tuple(value): k for k, value in enumerate(QUADRANT_SIGNS[q] for q in QUADRANTS)}
    return np.asarray([[lookup[(1 if v >= 0 else -1, 1 if a >= 0 else -1)]] for v, a in signs], dtype=np.int32)


def quadrant_signs(classes: np.ndarray) -> np.ndarray:
    """Class indices ``(n,)`` or ``(n, 1)`` -> the quadrants' signs ``(n, 2)`` float32 (valence, arousal)."""
    classes = np.asarray(classes).reshape(-1)
    return np.asarray([QUADRANT_SIGNS[QUADRANTS[int(k)]] for k in classes], dtype=np.float32)


def conditioning_labels(targets: np.ndarray, condition: str) -> np.ndarray:
    """The GAN's conditioning input from a task's targets (``encode_targets``): (valence, arousal) in
    [-1, 1] as float32 ``(n, 2)`` for ``va``; the class index ``(n, 1)`` int32 for ``quadrant``."""
    if condition == "va":
        return np.asarray(targets, dtype=np.float32).reshape(-1, 2)
    if condition == "quadrant":
        return quadrant_classes(targets)
    raise SpecError(f"unknown GAN condition {condition!r}; choose from {CONDITIONS}")


def task_targets(labels: np.ndarray, condition: str) -> np.ndarray:
    """The inverse of :func:`conditioning_labels`: targets ``(n, 2)`` in the task's encoding."""
    return np.asarray(labels, dtype=np.float32).reshape(-1, 2) if condition == "va" else quadrant_signs(labels)


# ----------------------------------------------------------------------------------------------
# networks


def _check(spec: dict, frames: int, mels: int) -> tuple[int, int, int]:
    """(upsamplings, start frames, start mels): both sides must halve cleanly to the first feature map."""
    steps = len(spec["model"]["generator"]["channels"]) - 1
    if steps < 1 or frames % 2**steps or mels % 2**steps:
        raise SpecError(f"GAN crop {frames} x {mels} must be divisible by 2^{steps} (one halving per generator "
                        "channel entry after the first, specs/gan.yaml model.generator.channels)")
    return steps, frames // 2**steps, mels // 2**steps


def _label_input(condition: str):
    if condition == "va":
        return keras.Input((2,), name="valence_arousal")
    if condition == "quadrant":
        return keras.Input((1,), dtype="int32", name="quadrant_class")
    raise SpecError(f"unknown GAN condition {condition!r}; choose from {CONDITIONS}")


def build_generator(frames: int, mels: int, spec: dict, condition: str = "va") -> keras.Model:
    """The generator ``[noise (batch, noise_dim), label] -> crop (batch, frames, mels)`` in [-1, 1].

    Parameters
    ----------
    frames, mels : int
        Crop size (time frames, mel bins); each divisible by 2 ** (number of upsamplings).
    spec : dict
        A parsed ``specs/gan.yaml``.
    condition : ``"va"`` or ``"quadrant"``
    """
    config = spec["model"]
    steps, start_frames, start_mels = _check(spec, frames, mels)
    channels, kernel = list(config["generator"]["channels"]), int(config["generator"]["kernel"])
    momentum = float(config["generator"].get("batch_norm_momentum", 0.99))
    noise = keras.Input((int(config["noise_dim"]),), name="noise")
    label = _label_input(condition)
    if condition == "va":
        embedded = keras.layers.Dense(int(config["label_dim"]), name="label_embedding")(label)
    else:
        embedded = keras.layers.Embedding(len(QUADRANTS), int(config["label_dim"]), name="label_embedding")(label)
        embedded = keras.layers.Flatten(name="label_flat")(embedded)
    x = keras.layers.Concatenate(name="noise_and_label")([noise, embedded])
    x = keras.layers.Dense(start_frames * start_mels * channels[0], name="project")(x)
    x = keras.layers.Reshape((start_frames, start_mels, channels[0]), name="first_map")(x)
    x = keras.layers.BatchNormalization(momentum=momentum, name="project_norm")(x)
    x = keras.layers.ReLU(name="project_relu")(x)
    for k, width in enumerate(channels[1:], 1):
        x = keras.layers.UpSampling2D(2, name=f"up_{k}")(x)
        x = keras.layers.Conv2D(width, kernel, padding="same", use_bias=False, name=f"conv_{k}")(x)
        x = keras.layers.BatchNormalization(momentum=momentum, name=f"norm_{k}")(x)
        x = keras.layers.ReLU(name=f"relu_{k}")(x)
    x = keras.layers.Conv2D(1, kernel, padding="same", activation="tanh", name="to_crop")(x)
    crop = keras.layers.Reshape((frames, mels), name="crop")(x)
    return keras.Model([noise, label], crop, name="generator")


def build_critic(frames: int, mels: int, spec: dict, condition: str = "va") -> keras.Model:
    """The critic ``[crop (batch, frames, mels), label] -> score (batch, 1)``, spectrally normalised.

    Parameters as :func:`build_generator`.
    """
    config = spec["model"]
    critic = config["critic"]
    iterations = int(config.get("power_iterations", 1))

    def normalised(layer):
        return keras.layers.SpectralNormalization(layer, power_iterations=iterations, name=f"sn_{layer.name}")

    crop = keras.Input((frames, mels), name="crop")
    label_input = _label_input(condition)
    label = label_input
    x = keras.layers.Reshape((frames, mels, 1), name="crop_image")(crop)
    for k, width in enumerate(critic["channels"], 1):
        x = normalised(keras.layers.Conv2D(int(width), int(critic["kernel"]), strides=2, padding="same",
                                           name=f"conv_{k}"))(x)
        x = keras.layers.LeakyReLU(float(critic.get("slope", 0.2)), name=f"leaky_{k}")(x)
    features = keras.layers.GlobalAveragePooling2D(name="features")(x)
    width = int(critic["channels"][-1])
    score = normalised(keras.layers.Dense(1, name="score_linear"))(features)
    if condition == "quadrant":
        # a class embedding as one-hot -> Dense without bias: keras.layers.SpectralNormalization casts its output to
        # the input's dtype, which would round an Embedding's outputs to integers (zeros)
        label = keras.layers.CategoryEncoding(len(QUADRANTS), output_mode="one_hot", name="label_one_hot")(label)
    projected = normalised(keras.layers.Dense(width, use_bias=False, name="label_projection"))(label)
    agreement = keras.layers.Dot(axes=1, name="projection")([projected, features])
    score = keras.layers.Add(name="score")([score, agreement])
    return keras.Model([crop, label_input], score, name="critic")


# ----------------------------------------------------------------------------------------------
# the two optimizers as one


@keras.saving.register_keras_serializable(package="mer_keras")
class GanOptimizers(keras.optimizers.Optimizer):
    """The generator's and the critic's optimizers, held as one for ``Model.compile`` and ``fit``.

    ``variables`` are the generator optimizer's followed by the critic optimizer's, so ``fit``'s
    state on JAX carries both; each is built on its own network's trainable variables
    (:meth:`build_pair`) and applied by :class:`ConditionalGAN`'s ``train_step`` to that network only.
    Applying this object itself is refused: there is no single update of both networks.
    """

    def __init__(self, generator=None, critic=None, name: str = "gan_optimizers", **kwargs):
        kwargs.pop("learning_rate", None)
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        self.generator = keras.optimizers.get(generator or "adam")
        self.critic = keras.optimizers.get(critic or "adam")

    def build_pair(self, generator_variables, critic_variables) -> None:
        """Create each optimizer's slots for its own network's trainable variables."""
        if not self.generator.built:
            self.generator.build(generator_variables)
        if not self.critic.built:
            self.critic.build(critic_variables)
        self.built = True

    def build(self, variables):
        if not self.built:
            raise SpecError("GanOptimizers are built by ConditionalGAN.compile (build_pair), network by network")

    @property
    def variables(self):
        return [*self.generator.variables, *self.critic.variables]

    def apply(self, grads, trainable_variables=None):
        raise SpecError("GanOptimizers is two optimizers: apply .generator or .critic to its own network")

    def save_own_variables(self, store):
        """Nothing of its own: ``generator`` and ``critic`` are saved as the optimizers they are."""

    def load_own_variables(self, store):
        """See :meth:`save_own_variables`."""

    def get_config(self):
        return {"name": self.name, "generator": keras.optimizers.serialize(self.generator),
                "critic": keras.optimizers.serialize(self.critic)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        return cls(keras.optimizers.deserialize(config.pop("generator")),
                   keras.optimizers.deserialize(config.pop("critic")), **config)


def make_optimizers(training: dict) -> tuple:
    """(generator optimizer, critic optimizer): Adam from the spec's ``training`` section."""
    return tuple(keras.optimizers.Adam(**{key: float(value) for key, value in training[part].items()})
                 for part in ("generator_optimizer", "critic_optimizer"))


# ----------------------------------------------------------------------------------------------
# the GAN


def _positions(everything, part) -> list[int]:
    """Where each variable of ``part`` sits in ``everything`` (by identity)."""
    where = {id(v): k for k, v in enumerate(everything)}
    return [where[id(v)] for v in part]


def hinge_critic_loss(real_score, fake_score):
    """``mean(relu(1 - D(real))) + mean(relu(1 + D(fake)))``."""
    return ops.mean(ops.relu(1.0 - real_score)) + ops.mean(ops.relu(1.0 + fake_score))


def hinge_generator_loss(fake_score):
    """``-mean(D(G(z)))``."""
    return -ops.mean(fake_score)


@keras.saving.register_keras_serializable(package="mer_keras")
class ConditionalGAN(keras.Model):
    """Generator and critic trained adversarially by ``fit`` on ``(crops, labels)`` batches.

    Parameters
    ----------
    generator, critic : keras.Model
        From :func:`build_generator` / :func:`build_critic`.
    noise_dim : int
        Length of the generator's noise vector.
    condition : ``"va"`` or ``"quadrant"``
    seed : int, optional
        Seed of the training noise's ``keras.random.SeedGenerator``.

    ``fit(x=crops (n, frames, mels) in [-1, 1], y=labels)`` logs ``critic_loss``, ``generator_loss``,
    ``real_score`` and ``fake_score`` (mean critic scores) per epoch. Calling the model generates:
    ``gan([noise, labels])`` -> crops. :meth:`generate` draws the noise from a seed.
    """

    def __init__(self, generator, critic, noise_dim: int, condition: str = "va", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if condition not in CONDITIONS:
            raise SpecError(f"unknown GAN condition {condition!r}; choose from {CONDITIONS}")
        self.generator, self.critic = generator, critic
        self.noise_dim, self.condition, self.seed = int(noise_dim), condition, seed
        self.noise_seed = keras.random.SeedGenerator(seed, name="noise_seed")
        self.critic_loss_tracker = keras.metrics.Mean(name="critic_loss")
        self.generator_loss_tracker = keras.metrics.Mean(name="generator_loss")
        self.real_score_tracker = keras.metrics.Mean(name="real_score")
        self.fake_score_tracker = keras.metrics.Mean(name="fake_score")
        self.built = True            # both networks are built functional models

    @property
    def metrics(self):
        return [self.critic_loss_tracker, self.generator_loss_tracker, self.real_score_tracker, self.fake_score_tracker]

    @property
    def generator_optimizer(self):
        return self.optimizer.generator

    @property
    def critic_optimizer(self):
        return self.optimizer.critic

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def compile(self, generator_optimizer=None, critic_optimizer=None, optimizer=None, **kwargs):
        """Two optimizers, each for its own network (default: Adam); ``optimizer`` may instead be a
        :class:`GanOptimizers`. No loss: the hinge objective is the ``train_step``'s."""
        if optimizer is None:
            optimizer = GanOptimizers(generator_optimizer, critic_optimizer)
        elif not isinstance(optimizer, GanOptimizers):
            raise SpecError("ConditionalGAN.compile takes generator_optimizer and critic_optimizer")
        super().compile(optimizer=optimizer, **kwargs)
        optimizer.build_pair(self.generator.trainable_variables, self.critic.trainable_variables)

    def get_compile_config(self):
        if not self.compiled:
            return {}
        return {"generator_optimizer": keras.optimizers.serialize(self.generator_optimizer),
                "critic_optimizer": keras.optimizers.serialize(self.critic_optimizer)}

    def compile_from_config(self, config):
        self.compile(keras.optimizers.deserialize(config["generator_optimizer"]),
                     keras.optimizers.deserialize(config["critic_optimizer"]))

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "noise_dim": self.noise_dim,
                "condition": self.condition, "seed": self.seed,
                "generator": keras.saving.serialize_keras_object(self.generator),
                "critic": keras.saving.serialize_keras_object(self.critic)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"), custom_objects=custom_objects)
        critic = keras.saving.deserialize_keras_object(config.pop("critic"), custom_objects=custom_objects)
        return cls(generator, critic, **config)

    # -- generation --------------------------------------------------------------------------

    def noise(self, n: int, seed: int) -> np.ndarray:
        """``n`` noise vectors (n, noise_dim), float32, from NumPy's generator seeded with ``seed``: the same
        seed gives the same noise on every backend."""
        return np.random.default_rng(seed).standard_normal((int(n), self.noise_dim)).astype(np.float32)

    def generate(self, labels: np.ndarray, seed: int = 0, batch_size: int = 64) -> np.ndarray:
        """Crops ``(n, frames, mels)`` in [-1, 1] for conditioning ``labels`` (see :func:`conditioning_labels`),
        the generator in inference mode (BatchNorm moving statistics); the same seed gives the same crops."""
        labels = np.asarray(labels)
        return np.asarray(self.generator.predict([self.noise(len(labels), seed), labels], batch_size=batch_size,
                                                 verbose=0))

    # -- training ----------------------------------------------------------------------------

    def train_step(self, *args):
        """One critic step then one generator step on a batch ``(crops, labels)``: JAX (stateless, ``fit``
        passes ``(state, data)``) or TensorFlow (``fit`` passes ``data``)."""
        if keras.backend.backend() == "jax":
            return self._jax_train_step(*args)
        if keras.backend.backend() == "tensorflow":
            return self._tensorflow_train_step(*args)
        raise SpecError(f"ConditionalGAN trains on the jax or tensorflow backend, not {keras.backend.backend()}")

    def _two_noises(self, batch):
        return (keras.random.normal((batch, self.noise_dim), seed=self.noise_seed),
                keras.random.normal((batch, self.noise_dim), seed=self.noise_seed))

    def _jax_train_step(self, state, data):
        import jax

        trainable, non_trainable, optimizer_variables, metrics_variables = state
        crops, labels = data[0], data[1]
        all_trainable, all_non_trainable = self.trainable_variables, self.non_trainable_variables
        g_t = _positions(all_trainable, self.generator.trainable_variables)
        d_t = _positions(all_trainable, self.critic.trainable_variables)
        g_n = _positions(all_non_trainable, self.generator.non_trainable_variables)
        d_n = _positions(all_non_trainable, self.critic.non_trainable_variables)
        (seed_at,) = _positions(all_non_trainable, [self.noise_seed.state])
        n_g_opt = len(self.generator_optimizer.variables)
        g_train, d_train = [trainable[k] for k in g_t], [trainable[k] for k in d_t]
        g_state, d_state = [non_trainable[k] for k in g_n], [non_trainable[k] for k in d_n]
        g_opt, d_opt = list(optimizer_variables[:n_g_opt]), list(optimizer_variables[n_g_opt:])

        # fresh noise for both steps: the seed generator's state goes in and comes out of the step
        with keras.StatelessScope(state_mapping=[(self.noise_seed.state, non_trainable[seed_at])]) as scope:
            z_critic, z_generator = self._two_noises(ops.shape(crops)[0])
        seed_value = scope.get_current_value(self.noise_seed.state)

        def critic_loss(d_train, g_state, d_state):
            fake, g_state = self.generator.stateless_call(g_train, g_state, [z_critic, labels], training=True)
            fake = jax.lax.stop_gradient(fake)
            real_score, d_state = self.critic.stateless_call(d_train, d_state, [crops, labels], training=True)
            fake_score, d_state = self.critic.stateless_call(d_train, d_state, [fake, labels], training=True)
            return hinge_critic_loss(real_score, fake_score), (g_state, d_state, ops.mean(real_score),
                                                               ops.mean(fake_score))

        (d_loss, (g_state, d_state, real_mean, fake_mean)), d_grads = jax.value_and_grad(
            critic_loss, has_aux=True)(d_train, g_state, d_state)
        d_train, d_opt = self.critic_optimizer.stateless_apply(d_opt, d_grads, d_train)

        def generator_loss(g_train, g_state, d_state):
            fake, g_state = self.generator.stateless_call(g_train, g_state, [z_generator, labels], training=True)
            score, d_state = self.critic.stateless_call(d_train, d_state, [fake, labels], training=True)
            return hinge_generator_loss(score), (g_state, d_state)

        (g_loss, (g_state, d_state)), g_grads = jax.value_and_grad(generator_loss, has_aux=True)(
            g_train, g_state, d_state)
        g_train, g_opt = self.generator_optimizer.stateless_apply(g_opt, g_grads, g_train)

        trainable, non_trainable = list(trainable), list(non_trainable)
        for positions, values, target in ((g_t, g_train, trainable), (d_t, d_train, trainable),
                                          (g_n, g_state, non_trainable), (d_n, d_state, non_trainable)):
            for k, value in zip(positions, values):
                target[k] = value
        non_trainable[seed_at] = seed_value
        mapping = list(zip(self.metrics_variables, metrics_variables))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = self._track(d_loss, g_loss, real_mean, fake_mean)
        metrics_variables = [scope.get_current_value(v) if scope.get_current_value(v) is not None else value
                             for v, value in zip(self.metrics_variables, metrics_variables)]
        return logs, (trainable, non_trainable, g_opt + d_opt, metrics_variables)

    def _tensorflow_train_step(self, data):
        import tensorflow as tf

        crops, labels = data[0], data[1]
        z_critic, z_generator = self._two_noises(ops.shape(crops)[0])
        with tf.GradientTape() as tape:
            fake = self.generator([z_critic, labels], training=True)
            real_score = self.critic([crops, labels], training=True)
            fake_score = self.critic([tf.stop_gradient(fake), labels], training=True)
            d_loss = hinge_critic_loss(real_score, fake_score)
        critic_variables = self.critic.trainable_variables
        self.critic_optimizer.apply(tape.gradient(d_loss, critic_variables), critic_variables)
        with tf.GradientTape() as tape:
            score = self.critic([self.generator([z_generator, labels], training=True), labels], training=True)
            g_loss = hinge_generator_loss(score)
        generator_variables = self.generator.trainable_variables
        self.generator_optimizer.apply(tape.gradient(g_loss, generator_variables), generator_variables)
        return self._track(d_loss, g_loss, ops.mean(real_score), ops.mean(fake_score))

    def _track(self, d_loss, g_loss, real_mean, fake_mean) -> dict:
        for tracker, value in zip(self.metrics, (d_loss, g_loss, real_mean, fake_mean)):
            tracker.update_state(value)
        return {tracker.name: tracker.result() for tracker in self.metrics}


def build_gan(frames: int | None = None, mels: int | None = None, spec: dict | None = None, condition: str = "va",
              seed: int | None = None) -> ConditionalGAN:
    """Build and compile the conditional GAN from ``specs/gan.yaml``.

    Parameters
    ----------
    frames, mels : int, optional
        Crop size; default the spec's ``crop.frames`` x ``input.features`` (128 x 128).
    spec : dict, optional
        A parsed ``specs/gan.yaml`` (default: the file).
    condition : ``"va"`` (continuous valence/arousal) or ``"quadrant"`` (class)
    seed : int, optional
        Seed of the training noise.

    Returns
    -------
    ConditionalGAN, compiled with the spec's two Adam optimizers.
    """
    spec = spec or load_spec("gan")
    frames = int(frames or spec["crop"]["frames"])
    mels = int(mels or spec["input"]["features"])
    gan = ConditionalGAN(build_generator(frames, mels, spec, condition), build_critic(frames, mels, spec, condition),
                         noise_dim=int(spec["model"]["noise_dim"]), condition=condition, seed=seed, name="gan")
    generator_optimizer, critic_optimizer = make_optimizers(spec["training"])
    gan.compile(generator_optimizer, critic_optimizer)
    return gan
