"""Ctrl-C (SIGINT) and SIGTERM: one line, exit status 128 + the signal (130 / 143), never a traceback.

The command-line tools handle both signals alike (:func:`signals_raise`): outside training either one raises
:class:`Interrupted` at once (SIGTERM too, which by default would end the process without any clean-up).
While a model trains (:func:`stop_requests`) the first signal only asks the fit loop to stop after the
current batch, so the run keeps its last completed epoch for ``--resume``; a second one aborts at once.
Inside :func:`uninterrupted` (a checkpoint being written) a signal waits until the write is done, so a run
never keeps half a checkpoint. Handlers can only be set in the main thread; elsewhere these are no-ops.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)
NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class Interrupted(KeyboardInterrupt):
    """A SIGINT or SIGTERM turned into an exception; ``status`` is the exit status, 128 + the signal number.

    A ``KeyboardInterrupt`` so that code which lets Ctrl-C pass lets this pass too.
    """

    def __init__(self, signum: int, message: str = ""):
        super().__init__(message)
        self.signum, self.message = int(signum), message

    @property
    def status(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        return self.message or f"interrupted by {NAMES.get(self.signum, f'signal {self.signum}')}"


class _Signals:
    """The one handler of SIGINT and SIGTERM while the tools run, and what it has seen."""

    def __init__(self):
        self.stopping = 0          # > 0 inside stop_requests(): the first signal is only recorded
        self.deferring = 0         # > 0 inside uninterrupted(): a signal waits for the end of the block
        self.requested = None      # the first signal seen inside stop_requests()
        self.pending = None        # a signal that arrived inside uninterrupted()

    def handle(self, signum, frame):
        if self.stopping and self.requested is None:
            self.requested = signum
            return
        if self.deferring:
            self.pending = self.pending or signum
            return
        raise Interrupted(self.requested or signum)


_SIGNALS = _Signals()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _status(exc: KeyboardInterrupt) -> int:
    return exc.status if isinstance(exc, Interrupted) else 128 + signal.SIGINT


def _exit_on_further_signals(status: int) -> None:
    """From now on SIGINT/SIGTERM end the process at once, silently, with ``status`` (main thread only)."""
    if _in_main_thread():
        for signum in SIGNALS:
            signal.signal(signum, lambda *_: os._exit(status))


@contextlib.contextmanager
def _handling(last_word: bool = False):
    """Install the handler for the block (restoring the previous ones after), unless it already is.

    ``last_word``: the block is a command's whole body, so an interruption leaving it ends the process;
    then the handlers are not restored (a default handler would let a second signal kill the process by
    that signal, or raise a bare KeyboardInterrupt, while the first one is being reported): further
    signals end the process with the first one's status instead."""
    if not _in_main_thread() or signal.getsignal(signal.SIGINT) == _SIGNALS.handle:
        yield
        return
    saved = {signum: signal.getsignal(signum) for signum in SIGNALS}
    for signum in SIGNALS:
        signal.signal(signum, _SIGNALS.handle)
    ending = False
    try:
        yield
    except KeyboardInterrupt as exc:
        if last_word:
            _exit_on_further_signals(_status(exc))
            ending = True
        raise
    finally:
        if not ending:
            for signum, handler in saved.items():
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)


@contextlib.contextmanager
def signals_raise(last_word: bool = False):
    """SIGINT and SIGTERM raise :class:`Interrupted` in the main thread for the duration of the block.

    ``last_word=True`` for a command's whole body (the entry points): once an interruption leaves the block,
    further signals end the process with the first one's status, silently (see :func:`report`)."""
    with _handling(last_word):
        yield


@contextlib.contextmanager
def stop_requests():
    """For a fit loop: the first SIGINT/SIGTERM is recorded (see :func:`requested`), a second one raises.

    The fit loop polls :func:`requested` after each batch and stops by raising :func:`raise_if_requested`.
    """
    with _handling():
        _SIGNALS.stopping += 1
        try:
            yield
        finally:
            _SIGNALS.stopping -= 1
            if not _SIGNALS.stopping:
                _SIGNALS.requested = None


def requested() -> int | None:
    """The signal number recorded inside :func:`stop_requests`, or None."""
    return _SIGNALS.requested


def raise_if_requested() -> None:
    """Raise :class:`Interrupted` if a stop was requested (inside :func:`stop_requests`)."""
    if _SIGNALS.requested is not None:
        raise Interrupted(_SIGNALS.requested)


@contextlib.contextmanager
def uninterrupted():
    """A block a signal does not cut (a checkpoint write): a signal arriving inside acts when it ends."""
    _SIGNALS.deferring += 1
    try:
        yield
    finally:
        _SIGNALS.deferring -= 1
    if not _SIGNALS.deferring and _SIGNALS.pending is not None:
        signum, _SIGNALS.pending = _SIGNALS.pending, None
        _SIGNALS.handle(signum, None)          # raises: the signal that waited


@contextlib.contextmanager
def workers_ignore_sigint():
    """Processes started inside the block do not see SIGINT (a terminal's Ctrl-C reaches every process of
    its group): the parent ends them instead, so no worker prints a traceback of its own. The calling
    thread blocks SIGINT while it starts them (a blocked signal is inherited as blocked and, for this
    thread, delivered when the block ends); elsewhere than POSIX this is a no-op."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def ignore_sigint() -> None:
    """For a worker process: Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def report(exc: KeyboardInterrupt, message: str | None = None) -> int:
    """Print the one line for an interruption and return its exit status (130 for SIGINT, 143 for SIGTERM).

    From here to the end of the process another SIGINT/SIGTERM ends it at once and silently (no
    traceback from the interpreter's shutdown, e.g. while it joins threads); :func:`exit_process` keeps
    that true through the interpreter's shutdown."""
    status = _status(exc)
    _exit_on_further_signals(status)
    print(message or str(exc) or "interrupted", file=sys.stderr, flush=True)
    return status


def run_command(call, interrupted: str | None = None) -> int:
    """Run a command's whole body, ``call()`` (returning its exit status), with SIGINT/SIGTERM handled as
    :func:`signals_raise` (``last_word=True``) does: an interruption prints one line (``interrupted``, when
    given, after the signal's name: what is kept and how to continue) and returns 130 / 143."""
    try:
        with signals_raise(last_word=True):
            return call()
    except KeyboardInterrupt as exc:
        return report(exc, f"{str(exc) or 'interrupted'}; {interrupted}" if interrupted else None)


def exit_process(status: int):
    """End a command-line process with ``status``. After an interruption (130 / 143) SIGINT and SIGTERM are
    ignored and blocked first: the interpreter's shutdown resets Python's signal handlers, and a second Ctrl-C arriving
    then (e.g. while JAX's threads wind down) would otherwise kill the process by the signal instead of
    letting it exit with the first signal's status. Only for a script's own process (the mask is inherited
    by children)."""
    if status in (128 + signal.SIGINT, 128 + signal.SIGTERM) and _in_main_thread():
        # Ignored, not only blocked: a mask covers this thread alone, while JAX/XLA's threads could still take a
        # late signal once the shutdown has reset Python's handlers to the default (death by the signal). The
        # shutdown leaves an ignored signal ignored.
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    raise SystemExit(status)
