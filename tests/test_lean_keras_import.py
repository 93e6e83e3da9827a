"""The first `import keras` after `import mer_keras` skips Keras's optional sklearn/pandas/IPython branches."""

import json
import os
import subprocess
import sys

import pytest

OPTIONAL = ("sklearn", "pandas", "IPython", "matplotlib")
PROBE = """
import json, sys
{before}
import mer_keras, keras
from keras.src.trainers.data_adapters import array_slicing
loaded = [m for m in {optional!r} if m in sys.modules]
import sklearn.linear_model, matplotlib.pyplot     # the project's own baselines and plots import them afterwards
print(json.dumps({{"loaded": loaded, "keras_sees_pandas": array_slicing.pandas is not None}}))
"""


def _probe(before: str = "", **env) -> dict:
    command = [sys.executable, "-c", PROBE.format(before=before, optional=OPTIONAL)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "KERAS_BACKEND": "jax", **env})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_keras_imports_without_the_optional_packages():
    pytest.importorskip("jax")
    result = _probe()
    assert result == {"loaded": [], "keras_sees_pandas": False}


def test_opt_out_and_packages_imported_before_keras_are_left_alone():
    pytest.importorskip("jax")
    assert "sklearn" in _probe(MER_FULL_KERAS_IMPORT="1")["loaded"]
    assert _probe(before="import pandas")["keras_sees_pandas"] is True
