"""Entry point; the work is in mer_keras (see README)."""

from mer_keras.cli import predict_main

if __name__ == "__main__":
    raise SystemExit(predict_main())
