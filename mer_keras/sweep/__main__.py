"""``python -m mer_keras.sweep SPEC``: see :mod:`mer_keras.sweep.command`."""

from mer_keras.interrupts import exit_process
from mer_keras.sweep.command import main

if __name__ == "__main__":
    exit_process(main())
