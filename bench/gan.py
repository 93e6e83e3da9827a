"""GAN augmentation (issue 22): seconds per GAN training step and per vit_gan epoch, on random tensors at the
specs' sizes (128-frame x 128-mel crops, batch 32), to plan the experiment's CPU time.

``python bench/gan.py [--steps 8]``; ``KERAS_BACKEND=tensorflow python bench/gan.py`` for
TensorFlow. The CPU may be shared: timings are noisy; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from mer_keras.runtime import peak_rss_mib


def _timed(function, repeats: int) -> float:
    """Median seconds of ``function()`` over ``repeats`` calls (after one untimed call: compilation)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8, help="timed batches (median)")
    parser.add_argument("--train-songs", type=int, default=525)
    parser.add_argument("--val-songs", type=int, default=55)
    args = parser.parse_args()

    import keras

    from mer_keras.models.cgan import build_gan
    from mer_keras.models.vit_gan import build_vit_gan
    from mer_keras.runtime import configure, versions
    from mer_keras.specs import load_spec

    configure(0)
    gan_spec, vit_spec = load_spec("gan"), load_spec("vit_gan")
    crop, mels, batch = gan_spec["crop"]["frames"], gan_spec["input"]["features"], gan_spec["training"]["batch_size"]
    rng = np.random.default_rng(0)
    crops = rng.uniform(-1, 1, (batch, crop, mels)).astype(np.float32)
    labels = rng.uniform(-1, 1, (batch, 2)).astype(np.float32)

    gan = build_gan(crop, mels, gan_spec, "va", seed=0)
    gan.fit(crops, labels, batch_size=batch, epochs=1, verbose=0)           # compile
    gan_step = _timed(lambda: gan.fit(crops, labels, batch_size=batch, epochs=1, verbose=0), args.steps)
    generate = _timed(lambda: gan.generator.predict([gan.noise(256, 0), labels[np.arange(256) % batch]],
                                                    batch_size=64, verbose=0), 3)

    vit = build_vit_gan(spec=vit_spec)
    targets = rng.uniform(-1, 1, (batch, 2)).astype(np.float32)
    vit_step = _timed(lambda: vit.train_on_batch(crops * 3, targets), args.steps)
    clips = rng.standard_normal((batch, vit_spec["input"]["frames"], mels)).astype(np.float32)
    clip_predict = _timed(lambda: vit.predict(clips, batch_size=batch, verbose=0), 3) / batch

    steps_gan = gan_spec["training"]["crops_per_song"] * args.train_songs // batch
    print(f"backend {keras.backend.backend()}, {versions().get('machine')}, load average "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"GAN: {gan.generator.count_params():,} + {gan.critic.count_params():,} parameters; {gan_step:.2f} s per step "
          f"(batch {batch}); {steps_gan} steps per epoch ({gan_spec['training']['crops_per_song']} crops per song) = "
          f"{steps_gan * gan_step:.0f} s + quality figures; generating 256 crops {generate:.1f} s")
    for ratio in (0.0, 0.5, 1.0):
        steps = int(np.ceil(args.train_songs * (1 + ratio) / batch))
        epoch = steps * vit_step + args.val_songs * clip_predict
        print(f"vit_gan R = {ratio:g}: {vit.count_params():,} parameters; {vit_step:.2f} s per step, {steps} steps + "
              f"{args.val_songs} validation clips ({clip_predict:.2f} s each) = {epoch:.0f} s per epoch")
    print(f"peak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
