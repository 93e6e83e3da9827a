"""Project errors: every user-facing failure names the file and the fix."""


class MerError(Exception):
    """Base class; the CLIs print its message and exit with status 2 (no traceback)."""


class DataError(MerError):
    """A dataset, label file or audio file is missing, malformed or out of range."""


class RunError(MerError):
    """A run directory is missing files or does not match the request."""


class SpecError(MerError, ValueError):
    """A spec file (``specs/*.yaml``) or a model option is invalid: unknown layer, optimizer, preset, option."""


def exit_status(function, *args) -> int:
    """Run a command-line entry point: its return value when that is an exit status (an int), else 0; for a
    project error, one line ``error: <message>`` on stderr and status 2 (never a traceback). Shared by the
    three scripts, the audit and the evaluation modules' ``python -m`` commands."""
    import sys

    try:
        status = function(*args)
    except MerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return status if isinstance(status, int) and not isinstance(status, bool) else 0
