"""``python -m posture_guard`` in a process of its own, as a user runs it.

Why: a test that needs what the user sees (the exit status, the lines on each stream, a
real standard output) runs the program itself; the tests had written the same eight
lines of ``subprocess.run`` many times over, each with its own home.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def posture_guard(
    argv: Sequence[str], home: Path, timeout: float = 120, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``posture-guard ARGV`` with ``home`` as its POSTURE_GUARD_HOME (text streams;
    ``kwargs`` go to :func:`subprocess.run`, such as ``capture_output`` or ``cwd``)."""
    return subprocess.run(
        [sys.executable, "-m", "posture_guard", *argv],
        text=True,
        env={**os.environ, "POSTURE_GUARD_HOME": str(home)},
        timeout=timeout,
        **kwargs,
    )


def posture_guard_ok(argv: Sequence[str], home: Path, **kwargs: Any) -> str:
    """The standard output of a run that must succeed: exit status 0, no traceback."""
    done = posture_guard(argv, home, capture_output=True, **kwargs)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout


@contextmanager
def monitor_process(argv: Sequence[str], **kwargs: Any) -> Iterator[subprocess.Popen[str]]:
    """``python -m posture_guard.cli ARGV`` (a monitor: `run`) in a process of its own, as
    the login entry starts it: standard input /dev/null, its output in pipes (not a
    terminal), unbuffered; ``kwargs`` go to :class:`subprocess.Popen` (``env`` defaults
    to this process's). Killed at the end of the block if it still runs."""
    env = kwargs.pop("env", os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "posture_guard.cli", *argv],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop_cleanly(proc: subprocess.Popen[str]) -> str:
    """Stop a :func:`monitor_process` with SIGTERM, as a logout does: it must exit 0 with
    no traceback; the rest of its standard output."""
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "Traceback" not in err, err
    return out
