"""Entry point; the work is in mer_keras (see README)."""

from mer_keras.cli import train_main
from mer_keras.interrupts import exit_process

if __name__ == "__main__":
    exit_process(train_main())
