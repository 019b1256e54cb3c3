"""Run a command as a full disk would stop it part way through a file it writes.

A file size limit stands in for the full disk (``ulimit -f``): a write past it fails with
"File too large" (Python ignores the SIGXFSZ that would otherwise end the process), and it
limits only files written, so the database a report reads is read whole. Why not
/dev/full: a partial file is what is looked for, and /dev/full keeps none.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_cut_short(argv: list[str], limit: int, home: Path) -> subprocess.CompletedProcess[str]:
    """``posture-guard ARGV`` with writes limited to ``limit`` bytes a file."""

    def lower() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "POSTURE_GUARD_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "posture_guard", *argv],
        capture_output=True, text=True, preexec_fn=lower, timeout=300, env=env,
    )  # fmt: skip
