"""What writing each commit through to the disk costs the live monitor: SQLite's
``synchronous=FULL`` against ``NORMAL``, timed on a day's worth of flushes.

Why: in WAL mode ``synchronous=NORMAL`` does not sync the log at a commit, so a power cut
(or a kernel crash) can roll back the last commits: the posture of the seconds or
minutes before it, and a diary entry just saved. ``FULL`` syncs the log at every commit,
so a commit that returned is on the disk. posture_guard/store.py opens every store with
``FULL``; this prints what that costs, on the real store sink and the live loop's
cadence: a decision every ``SamplingPolicy.steady`` seconds (a user sitting still, the
common case), a flush every ``ServiceSettings.flush_every_s`` seconds, and the posture
changing every few minutes (new rows, not only the open span's update). The two modes
are interleaved (``--rounds``) so drift in the disk's speed hits both alike.

The database goes in a scratch folder beside the user's own database (or ``--dir``):
the figure depends on the disk, and a temporary folder may be in memory (tmpfs), where
a sync costs nothing. Figures, not assertions (disks differ):

    python -m benchmarks.bench_sync              # an 8-hour day, 2 rounds: ~30 s
    python -m benchmarks.bench_sync --hours 1    # quicker
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Optional

from calibration.cli_args import positive_float, positive_int
from posture_guard import paths, service
from posture_guard.sampling import SamplingPolicy
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision, PostureState
from posture_guard.store import Store, StoreSink

MODES = ("NORMAL", "FULL")
CHANGE_EVERY_S = 180.0  # the posture changes this often: a new row, not only an update


def flush_day(folder: Path, mode: str, hours: float) -> tuple[float, float, int]:
    """Wall and CPU seconds spent in the flushes of ``hours`` of a live run, and their
    number, with the store's connection at ``synchronous=mode``."""
    steady = SamplingPolicy().steady
    flush_every = service.ServiceSettings().flush_every_s
    with tempfile.TemporaryDirectory(prefix="pg-sync-", dir=folder) as tmp:
        store = Store.open(Path(tmp) / "sync.sqlite3")
        store.conn.execute(f"PRAGMA synchronous={mode}")
        session = SessionInfo(datetime(2026, 11, 23, 9, 0), "sync", live=True, source="sync")
        # the sink's own commits never fall due: only the loop's flushes write, as live
        sink = StoreSink(store, session, commit_every=float("inf"), own_store=True)
        wall = cpu = 0.0
        flushes, t, next_flush = 0, 0.0, flush_every
        states = (PostureState.GOOD, PostureState.FORWARD_HEAD)
        while t < hours * 3600.0:
            state = states[int(t // CHANGE_EVERY_S) % 2]
            sink.on_decision(Decision(t, state, {"fh": 0.1}))
            t += steady
            while next_flush <= t:  # the loop's flushes, on their own clock
                a, c = time.perf_counter(), time.process_time()
                sink.flush(next_flush)
                wall += time.perf_counter() - a
                cpu += time.process_time() - c
                flushes += 1
                next_flush += flush_every
        sink.close(t)
    return wall, cpu, flushes


def default_folder() -> Path:
    """The folder of the user's database if it exists (the disk that matters), else the
    home folder."""
    folder = paths.database_file().parent
    return folder if folder.is_dir() else Path.home()


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_sync", description=__doc__)
    p.add_argument("--hours", type=positive_float, default=8.0, help="hours of a live run (8)")
    p.add_argument("--rounds", type=positive_int, default=2, help="rounds of both modes (2)")
    p.add_argument("--dir", type=Path, help="where the scratch database goes")
    args = p.parse_args(argv)
    folder = args.dir or default_folder()
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        p.error(f"--dir {folder}: not a folder this user can write to")
    results: dict[str, list[tuple[float, float, int]]] = {m: [] for m in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            results[mode].append(flush_day(folder, mode, args.hours))
    print(f"flushes of {args.hours:g} h of a live run, database in {folder}")
    for mode in MODES:
        walls = [w for w, _, _ in results[mode]]
        cpus = [c for _, c, _ in results[mode]]
        n = results[mode][0][2]
        print(
            f"  synchronous={mode:<6} {n} flushes: {statistics.mean(walls):6.2f} s wall "
            f"({min(walls):.2f}-{max(walls):.2f}), {statistics.mean(walls) / n * 1000:.2f} ms "
            f"per flush, {statistics.mean(cpus):.2f} CPU-s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
