"""The JAX persistent compilation cache: in $MER_CACHE/xla when writable, never forced on the user."""

import os
import subprocess
import sys

PROBE = "import os, mer_keras; print(os.environ.get('JAX_COMPILATION_CACHE_DIR'))"


def _cache_dir_seen(env_changes: dict) -> str:
    env = {key: value for key, value in os.environ.items() if key != "JAX_COMPILATION_CACHE_DIR"}
    env.update(env_changes)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_cache_lives_in_the_feature_cache_folder(tmp_path):
    assert _cache_dir_seen({"MER_CACHE": str(tmp_path)}) == str(tmp_path / "xla")
    assert (tmp_path / "xla").is_dir()


def test_a_user_setting_wins(tmp_path):
    assert _cache_dir_seen({"MER_CACHE": str(tmp_path), "JAX_COMPILATION_CACHE_DIR": "/elsewhere"}) == "/elsewhere"


def test_an_unwritable_cache_folder_turns_the_cache_off_quietly(tmp_path):
    assert _cache_dir_seen({"MER_CACHE": "/proc/self/no-such-folder"}) == "None"
