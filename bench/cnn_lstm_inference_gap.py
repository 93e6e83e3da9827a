"""The CNN-LSTM on RAVDESS: accuracy while training against accuracy in inference mode on the same training clips.

A model whose inference-mode accuracy on its own training clips stays below its training accuracy is
normalising differently at inference: here, batch-norm moving statistics that have not settled (Keras's
momentum 0.99 on about 20 steps per epoch). Trains the documented CNN-LSTM (Adam 1e-3, batch 32, no
augmentation) on the training speakers of test fold K, epoch by epoch, and prints per epoch: the fit loop's
training accuracy, inference-mode accuracy on the training clips, accuracy on the validation speakers and
the validation predictions per class. Test speakers are never read. Printed, not asserted.

    python bench/cnn_lstm_inference_gap.py [--momentum 0.99] [--epochs 8] [--test-fold 0]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--momentum", type=float, default=0.99, help="batch-norm momentum (Keras default 0.99)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--test-fold", type=int, default=0, help="K of --test-fold K/5 (its training speakers are used)")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "ravdess"))
    args = parser.parse_args()

    from mer_keras.data.targets import encode_targets
    from mer_keras.features.normalize import FeatureScaler
    from mer_keras.models.batchnorm import set_batchnorm_momentum
    from mer_keras.models.registry import build_model, resolved_spec
    from mer_keras.training.train import TrainRequest, prepare

    with tempfile.TemporaryDirectory() as tmp:
        request = TrainRequest(model="cnn_lstm", dataset="ravdess", data=args.data, test_fold=f"{args.test_fold}/5",
                               seed=0, out=str(Path(tmp) / "run"), workers=1)
        prepared = prepare(request, "keras")
    scaler = FeatureScaler().fit(prepared.parts["train"][1])
    (x_train, y_train), (x_val, y_val) = ((scaler.transform(features.copy()), encode_targets(kept, "emotion"))
                                          for kept, features in (prepared.parts["train"], prepared.parts["validation"]))
    model = build_model("cnn_lstm", x_train.shape[1], x_train.shape[2], resolved_spec("cnn_lstm", "mel", None))
    set_batchnorm_momentum(model, args.momentum)
    print(f"batch-norm momentum {args.momentum}; {len(x_train)} training clips, {len(x_val)} validation clips")
    print("epoch | training accuracy (fit) | inference-mode accuracy on training clips | validation accuracy | "
          "validation predictions per class")
    for epoch in range(args.epochs):
        history = model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0, shuffle=True)
        on_train = float(np.mean(model.predict(x_train, verbose=0).argmax(1) == y_train))
        predicted = model.predict(x_val, verbose=0).argmax(1)
        print(f"{epoch} | {history.history['accuracy'][0]:.3f} | {on_train:.3f} | {np.mean(predicted == y_val):.3f} | "
              f"{np.bincount(predicted, minlength=6).tolist()}", flush=True)


if __name__ == "__main__":
    main()
