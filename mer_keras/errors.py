"""Project errors: every user-facing failure names the file and the fix."""


class MerError(Exception):
    """Base class; the CLIs print its message and exit with status 2 (no traceback)."""


class DataError(MerError):
    """A dataset, label file or audio file is missing, malformed or out of range."""


class RunError(MerError):
    """A run directory is missing files or does not match the request."""


class SpecError(MerError, ValueError):
    """A spec file (``specs/*.yaml``) or a model option is invalid: unknown layer, optimizer, preset, option."""
