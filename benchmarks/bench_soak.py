"""Soak: an 8-hour working day replayed in accelerated time; RSS and open files must stay flat.

Why: the monitor runs for weeks. A leak of a few kB per decision, or a file descriptor per
database commit or notification, is invisible in a unit test and fatal after a month.
This replays a synthetic 8-hour day (calibration/synth.py, 10 fps landmarks: upright
stretches, forward head, shrugs, tilts, time away) through the whole decision pipeline
under the default sampling policy, with the real store (a SQLite file, committing every
10 s of stream time) and the real coach (printing notifier, so prompts are produced and
logged as events), exactly as ``replay --db --notify --notifier print`` does.

The samples are generated lazily in 10-minute scenes, so the input itself does not grow
in memory. Prints resident memory (RSS) and open file descriptors after the first
simulated hour (warm: the pose-free pipeline, SQLite caches, coach library loaded) and
then every two hours, and the change from the first hour to the end. Figures, not
assertions (machines differ):

    python -m benchmarks.bench_soak            # 8 h of stream, about a minute or two
    python -m benchmarks.bench_soak --hours 1  # quicker
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from calibration import synth
from calibration.cli_args import positive_float
from posture_guard import cli
from posture_guard.landmarks import Sample
from posture_guard.monitor import ReplayOptions, replay
from posture_guard.sinks import SessionInfo

SCENE_MINUTES = 10.0
KINDS = ("forward_head", "shrug", "head_tilt", "look_down", "away", "lean_in")


def rss_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource  # peak, not current, where /proc is absent

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def open_fds() -> int:
    for folder in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(folder):
            return len(os.listdir(folder))
    return -1


def scene_count(hours: float) -> int:
    """How many consecutive scenes make ``hours`` of stream."""
    return int(round(hours * 60 / SCENE_MINUTES))


def day_samples(hours: float, seed: int) -> tuple[object, Iterator[Sample]]:
    """Header and a lazy iterator of samples: consecutive 10-minute scenes."""
    first = synth.scene_for(KINDS[0], seed, calibrate_seconds=20, minutes=SCENE_MINUTES)
    header, _ = synth.render(first)
    n_scenes = scene_count(hours)

    def gen() -> Iterator[Sample]:
        offset = 0.0
        for i in range(n_scenes):
            scene = synth.scene_for(
                KINDS[i % len(KINDS)], seed + i, calibrate_seconds=20, minutes=SCENE_MINUTES
            )
            _, labelled = synth.render(scene)
            last = 0.0
            for s in synth.to_samples(labelled):
                last = s.t
                yield Sample(offset + s.t, s.landmarks)
            offset += last + 0.2
            del labelled

    return header, gen()


class Probe:
    """A sink that notes RSS and fds at chosen stream times (it does nothing else)."""

    def __init__(self, every_s: float, out: io.TextIOBase):
        self.every_s = every_s
        self.next_t = 3600.0
        self.rows: list[tuple[float, int, int]] = []
        self.out = out
        self.wall0 = time.perf_counter()

    def on_decision(self, decision) -> None:  # type: ignore[no-untyped-def]
        if decision.t >= self.next_t:
            self.take(decision.t)
            self.next_t += self.every_s

    def take(self, t: float) -> None:
        row = (t, rss_kb(), open_fds())
        self.rows.append(row)
        print(
            f"  stream {t / 3600:4.1f} h  RSS {row[1] / 1024:7.1f} MB  open fds {row[2]:3d}"
            f"  (wall {time.perf_counter() - self.wall0:5.1f} s)",
            file=self.out,
            flush=True,
        )

    def close(self, t_end: float) -> None:
        self.take(t_end)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_soak", description=__doc__)
    least = SCENE_MINUTES / 60
    p.add_argument("--hours", type=positive_float, default=8.0,
                   help=f"hours of stream (8; at least {least:.2f}, one scene)")  # fmt: skip
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    if scene_count(args.hours) < 1:
        # no scene would leave nothing to calibrate on: a traceback deep in the replay
        p.error(f"--hours {args.hours:g}: the stream is made of {SCENE_MINUTES:g}-minute "
                f"scenes, so at least {least:.2f}")  # fmt: skip
    out = sys.stdout
    with tempfile.TemporaryDirectory(prefix="pg-soak-") as tmp:
        os.environ["POSTURE_GUARD_HOME"] = tmp
        db = Path(tmp) / "soak.sqlite3"
        run_args = cli.build_parser().parse_args(
            ["replay", "--landmarks", "-", "--db", str(db), "--notify", "--notifier", "print"]
        )
        session = SessionInfo(datetime(2026, 11, 23, 8, 30), "soak", live=False, source="soak")
        start = (time.perf_counter(), rss_kb(), open_fds())
        print(
            f"soak: {args.hours:g} h of synthetic 10 fps landmarks through pipeline + store + "
            f"coach\n  start      RSS {start[1] / 1024:7.1f} MB  open fds {start[2]:3d}",
            file=out,
        )
        probe = Probe(2 * 3600.0, out)
        prompts = io.StringIO()  # the coach's printed prompts and notes (counted below)
        sys_stdout, sys.stdout = sys.stdout, prompts
        try:
            sinks = [probe, *cli.session_sinks(run_args, session)]  # probe closes first
            header, samples = day_samples(args.hours, args.seed)
            totals = replay(header, samples, sinks, ReplayOptions(calibrate_seconds=15), prompts)
        finally:
            sys.stdout = sys_stdout
        wall = time.perf_counter() - start[0]
        import sqlite3

        with sqlite3.connect(db) as conn:
            spans = conn.execute("SELECT count(*) FROM spans").fetchone()[0]
            events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        first, last = probe.rows[0], probe.rows[-1]
        print(
            f"  end        RSS {last[1] / 1024:7.1f} MB  open fds {last[2]:3d}\n"
            f"from hour 1 to the end: RSS {(last[1] - first[1]) / 1024:+.1f} MB, "
            f"open fds {last[2] - first[2]:+d}\n"
            f"{totals.frames_seen} samples, {totals.frames_analysed} analysed, "
            f"{spans} spans and {events} coach events logged, {db.stat().st_size / 1024:.0f} kB "
            f"database; {wall:.0f} s wall for {args.hours:g} h",
            file=out,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
