"""Entry point; the work is in mer_keras (see README)."""

from mer_keras.cli import train_main

if __name__ == "__main__":
    raise SystemExit(train_main())
