"""What stopping the live monitor costs its log: posture lost to a ``kill -9``, and how a
clean stop (SIGTERM, Ctrl-C, SIGHUP) ends. Prints the figures docs/commands.md (`run`) and
posture_guard/service.py quote.

Why: ``posture-guard run`` writes the open posture span to SQLite every ``flush_every_s``
and, on a stop signal, closes it at the last analysed frame and exits. What a kill -9 (the
OOM killer, a crash) loses depends on where the kill falls between flushes and between
analysed frames; how soon a stop ends depends on the machine. Both are measured here on
the real loop, printed, never asserted in a timed test (machines and their load differ).

    python -m benchmarks.bench_stop              # 15 kills, 2 stops per signal: ~5 min
    python -m benchmarks.bench_stop --quick      # 3 kills, 1 stop per signal: ~80 s
    python -m benchmarks.bench_stop --kills 50   # more kills (--stops N: more stops)

Each run starts the real monitor (``service.run``: the real clock, signal handling, lock,
status file and SQLite database) as a child process in a scratch POSTURE_GUARD_HOME, with
the webcam stand-in the tests use, ``tests/fake_camera.py``, run as a script (it needs
nothing else from the test suite). By default that is MediaPipe on the real upright clip
the kill and SIGTERM tests of tests/test_faults.py use (../shared/media, or ``--video``),
with a profile calibrated on its first 2 s as those tests have, so the sampler settles into
its steady interval as for a user sitting still. Where the clip is absent (or with
``--landmarks``) the bundled demo recording stands in for the pose model too, and the
output says so.

1. kill -9: once service.json says the camera is in use, at a random moment of one flush
   period (``flush_every_s``, see below) from ``settle + flush_every_s`` later, the time is
   noted and SIGKILL sent: by then the sampler has left the burst of fast looks its first
   frame starts (``settle``), and the flush before the kill logged a frame taken at its
   steady pace, as in a monitor that has run for hours. Posture lost =
   that moment - the latest span end in the database. The bound printed beside it comes
   from the code's constants: a flush is due ``flush_every_s`` after the last one, and the
   loop wakes for it then (its sleeps end where a flush falls due); and the flushed span
   ends at the latest analysed frame, up to one sampling interval (the policy's longest)
   before that flush. (Plus the loop's own work, milliseconds.)
2. Stops: a random moment between ``settle`` (past the first burst of fast looks) and one
   longest sampling interval later, the signal is sent and the time until the process has
   exited is taken (a pidfd where Linux has one). The gap between the signal and the
   latest span end is how much posture before the stop went unlogged: the span is closed
   at the last analysed frame, so up to one sampling interval. A clean stop exits with
   status 0, releases the lock and leaves service.json saying "stopped".
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import select
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, TextIO

from calibration.cli_args import positive_int
from posture_guard import paths, service
from posture_guard.errors import UserError
from posture_guard.sampling import SamplingPolicy

REPO = Path(__file__).resolve().parents[1]
FAKE_CAMERA = REPO / "tests" / "fake_camera.py"
SHARED_MEDIA = REPO.parent / "shared" / "media"
VIDEO_NAME = "frontal_upright_man_intel.gif"  # the clip of test_faults' kill/SIGTERM tests
CALIBRATE_SECONDS = 2  # as test_faults' ``calibrated`` fixture
START_TIMEOUT_S = 120.0  # a slow machine loading MediaPipe; not a figure
STOP_TIMEOUT_S = 30.0  # a stop still running after this is reported as not clean
STOP_SIGNALS = tuple(
    (name, getattr(signal, name), what)
    for name, what in (("SIGTERM", ""), ("SIGINT", " (Ctrl-C)"), ("SIGHUP", " (terminal closed)"))
    if hasattr(signal, name)
)


@dataclass(frozen=True)
class Config:
    """How much to measure: the full run for the figures, ``QUICK`` for a smoke run."""

    kills: int
    stops: int  # per stop signal
    seed: int = 1


FULL = Config(kills=15, stops=2)
QUICK = Config(kills=3, stops=1)


@dataclass(frozen=True)
class Bounds:
    """The loop's constants behind the figures, read from the code."""

    flush_s: float  # ServiceSettings.flush_every_s
    interval_s: float  # the sampling policy's longest interval between analysed frames
    settle_s: float  # SamplingPolicy.settle: fast looks after the first frame

    @property
    def flush_period_s(self) -> float:
        """Longest time between two flushes: due after ``flush_s``, and the loop wakes for
        it then (``Service._nap``), whatever its next look."""
        return self.flush_s

    @property
    def kill_window_s(self) -> tuple[float, float]:
        """When, after the camera is in use, the kills fall (see the module docstring)."""
        first = self.settle_s + self.flush_period_s
        return first, first + self.flush_period_s

    @property
    def kill_s(self) -> float:
        """Most posture a kill -9 can lose: see the module docstring, point 1."""
        return self.flush_period_s + self.interval_s

    @property
    def stop_gap_s(self) -> float:
        """Most posture before a stop signal left unlogged: one sampling interval."""
        return self.interval_s


def bounds() -> Bounds:
    settings, policy = service.ServiceSettings(), SamplingPolicy()
    longest = max(policy.steady, policy.absent, policy.fast)
    return Bounds(settings.flush_every_s, longest, policy.settle)


@dataclass(frozen=True)
class Source:
    """What stands in for the webcam (and the pose model) in the monitor's process."""

    argv: tuple[str, ...]  # after ``python tests/fake_camera.py``
    description: str
    calibrate_on: Optional[Path] = None


def pick_source(video: Optional[Path] = None, landmarks: bool = False) -> Source:
    """MediaPipe on ``video`` (default: the shared clip), else the demo recording."""
    if not landmarks:
        video = video or SHARED_MEDIA / VIDEO_NAME
        if video.is_file():
            return Source(
                (str(video),),
                f"MediaPipe on {video.name}, profile calibrated on its first {CALIBRATE_SECONDS} s",
                video,
            )
    what = "the bundled demo recording's landmarks stand in for MediaPipe"
    if not landmarks:
        what = f"FALLBACK: {video} is absent: {what}"
    return Source(("--landmarks",), f"{what}, population defaults")


# --------------------------------------------------------------------------- one monitor
@dataclass
class Monitor:
    """A running ``run`` with the fake camera, from the moment its camera was in use."""

    proc: subprocess.Popen
    stderr: Path
    launched: float  # time.time() before it was started
    opened: float  # time.time() when service.json first said the camera was in use

    def tail(self) -> str:
        try:
            lines = self.stderr.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        return lines[-1] if lines else "(nothing on stderr)"

    def alive(self) -> None:
        if self.proc.poll() is not None:
            raise UserError(
                f"the monitor ended by itself (status {self.proc.returncode}): {self.tail()}"
            )


def _child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, POSTURE_GUARD_HOME=str(home), PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def _as_from_a_terminal() -> None:
    """In the child: the stop signals' default dispositions, as a monitor started in a
    terminal has them (a benchmark run under nohup or in the background would pass on an
    ignored SIGHUP or SIGINT, and the monitor would rightly keep running)."""
    for sig in (getattr(signal, "SIGHUP", None), signal.SIGINT):
        if sig is not None:
            signal.signal(sig, signal.SIG_DFL)


def start_monitor(source: Source, home: Path, n: int) -> Monitor:
    """Start the monitor and wait until its camera is in use."""
    stderr = home / f"monitor-{n}.stderr"
    launched = time.time()
    with open(stderr, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(FAKE_CAMERA), *source.argv],
            env=_child_env(home),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=_as_from_a_terminal,
        )
    monitor = Monitor(proc, stderr, launched, launched)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        monitor.alive()
        st = service.read_service_status()
        if st is not None and st.pid == proc.pid and st.camera == "in use":
            monitor.opened = time.time()
            return monitor
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    raise UserError(f"the monitor did not open its camera within {START_TIMEOUT_S:g} s")


def last_span_end(since: float) -> Optional[float]:
    """The latest span end (POSIX seconds) logged by a run launched at ``since``."""
    with contextlib.closing(sqlite3.connect(paths.database_file())) as conn:
        row = conn.execute("SELECT max(end) FROM spans WHERE end >= ?", (since,)).fetchone()
    return row[0]


def database_sound() -> bool:
    with contextlib.closing(sqlite3.connect(paths.database_file())) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def wait_exit(proc: subprocess.Popen, timeout: float) -> Optional[float]:
    """time.time() when the process ended, or None if it still runs after ``timeout``.

    A pidfd turns readable the moment the process ends; ``Popen.wait(timeout)`` polls
    with sleeps of up to 50 ms, coarser than the figure it would time."""
    pidfd_open = getattr(os, "pidfd_open", None)
    fd = None
    if pidfd_open is not None:
        with contextlib.suppress(OSError):
            fd = pidfd_open(proc.pid)
    if fd is None:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return time.time()
    try:
        ready = select.select([fd], [], [], timeout)[0]
        ended = time.time()
    finally:
        os.close(fd)
    if not ready:
        return None
    proc.wait()
    return ended


# --------------------------------------------------------------------------- measurements
@dataclass(frozen=True)
class Kill:
    after_open_s: float  # when, after the camera was in use, the kill came
    lost_s: float  # kill moment - latest span end (since the camera opened: none logged)
    logged: bool  # whether the run had logged any span by then
    sound: bool  # PRAGMA integrity_check after the kill


@dataclass(frozen=True)
class Stop:
    signal: str
    after_open_s: float
    exit_s: Optional[float]  # signal to process exit; None: still running, then killed
    gap_s: Optional[float]  # signal - latest span end; None: nothing logged
    rc: Optional[int]
    lock_released: bool
    status: str  # service.json's camera field after the exit

    @property
    def clean(self) -> bool:
        return self.rc == 0 and self.lock_released and self.status == "stopped"


def measure_kill(source: Source, home: Path, b: Bounds, rng: random.Random, n: int) -> Kill:
    monitor = start_monitor(source, home, n)
    after = rng.uniform(*b.kill_window_s)
    time.sleep(max(0.0, monitor.opened + after - time.time()))
    monitor.alive()
    killed = time.time()
    monitor.proc.send_signal(signal.SIGKILL)
    monitor.proc.wait()
    end = last_span_end(monitor.launched)
    lost = killed - (end if end is not None else monitor.opened)
    return Kill(killed - monitor.opened, lost, end is not None, database_sound())


def measure_stop(
    source: Source, home: Path, b: Bounds, rng: random.Random, n: int, name: str, sig: int
) -> Stop:
    monitor = start_monitor(source, home, n)
    wait = b.settle_s + rng.uniform(0.0, b.interval_s)
    time.sleep(max(0.0, monitor.opened + wait - time.time()))
    monitor.alive()
    sent = time.time()
    monitor.proc.send_signal(sig)
    ended = wait_exit(monitor.proc, STOP_TIMEOUT_S)
    if ended is None:
        monitor.proc.kill()
        monitor.proc.wait()
    end = last_span_end(monitor.launched)
    st = service.read_service_status()
    return Stop(
        signal=name,
        after_open_s=sent - monitor.opened,
        exit_s=None if ended is None else ended - sent,
        gap_s=None if end is None else sent - end,
        rc=None if ended is None else monitor.proc.returncode,
        lock_released=service.running_pid() is None,
        status=st.camera if st is not None and st.pid == monitor.proc.pid else "(not written)",
    )


def calibrate(video: Path, home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "posture_guard.cli", "calibrate", "--video", str(video),
         "--seconds", str(CALIBRATE_SECONDS), "--no-preview"],
        env=_child_env(home), capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
        raise UserError(f"calibrating on {video} failed: {last}")


@contextlib.contextmanager
def scratch_home() -> Iterator[Path]:
    """A temporary POSTURE_GUARD_HOME for the children and for this process's reads of
    their lock, status file and database; nothing lands in a real user's data."""
    previous = os.environ.get("POSTURE_GUARD_HOME")
    with tempfile.TemporaryDirectory(prefix="pg-bench-stop-") as home:
        os.environ["POSTURE_GUARD_HOME"] = home
        try:
            yield Path(home)
        finally:
            if previous is None:
                os.environ.pop("POSTURE_GUARD_HOME", None)
            else:
                os.environ["POSTURE_GUARD_HOME"] = previous


# --------------------------------------------------------------------------- report
@dataclass(frozen=True)
class Report:
    bounds: Bounds
    kills: list[Kill]
    stops: list[Stop]


def _s(values: Sequence[float]) -> str:
    return f"max {max(values):.2f} s, median {statistics.median(values):.2f} s"


def run(config: Config, source: Source, out: TextIO) -> Report:
    """Measure and print; the figures are returned too."""
    started = time.perf_counter()
    b = bounds()
    rng = random.Random(config.seed)

    def say(line: str = "") -> None:
        print(line, file=out, flush=True)

    say(
        f"bench_stop: `posture-guard run`'s real loop as a child process (tests/fake_camera.py: "
        f"{source.description}); Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    say(
        f"constants: flush every {b.flush_s:g} s (ServiceSettings.flush_every_s; the loop "
        f"wakes for it when due), longest sampling interval {b.interval_s:g} s "
        "(SamplingPolicy)"
    )
    kills: list[Kill] = []
    stops: list[Stop] = []
    n = 0
    with scratch_home() as home:
        if source.calibrate_on is not None:
            calibrate(source.calibrate_on, home)
        first, last = b.kill_window_s
        say(
            f"kill -9 at random moments {first:g} to {last:g} s after the camera was in use, "
            f"{config.kills} kills:"
        )
        for i in range(config.kills):
            n += 1
            k = measure_kill(source, home, b, rng, n)
            kills.append(k)
            say(
                f"  kill {i + 1}: {k.after_open_s:.2f} s after the camera was in use, "
                f"posture lost {k.lost_s:.2f} s"
                + ("" if k.logged else " (nothing logged: all since the camera opened)")
            )
        lost = [k.lost_s for k in kills]
        say(
            f"  posture lost (kill moment - last span end in the database): "
            f"max {max(lost):.2f} s, mean {statistics.fmean(lost):.2f} s, "
            f"min {min(lost):.2f} s"
        )
        say(
            f"  bound: flush interval {b.flush_s:g} s + one sampling interval "
            f"{b.interval_s:g} s = {b.kill_s:g} s"
        )
        say(
            f"  kills with nothing logged: {sum(not k.logged for k in kills)} of {len(kills)}; "
            f"database integrity_check ok after {sum(k.sound for k in kills)} of {len(kills)}"
        )
        for name, sig, what in STOP_SIGNALS:
            say(
                f"{name}{what} at random moments {b.settle_s:g} to "
                f"{b.settle_s + b.interval_s:g} s after the camera was in use, "
                f"{config.stops} stops:"
            )
            these: list[Stop] = []
            for _ in range(config.stops):
                n += 1
                these.append(measure_stop(source, home, b, rng, n, name, sig))
            stops.extend(these)
            exits = [s.exit_s for s in these if s.exit_s is not None]
            gaps = [s.gap_s for s in these if s.gap_s is not None]
            hung = len(these) - len(exits)
            say(
                f"  signal to process exit: {_s(exits) if exits else 'none exited'}"
                + (f"; {hung} still running after {STOP_TIMEOUT_S:g} s" if hung else "")
            )
            say(
                f"  signal - last span end in the database: "
                f"{_s(gaps) if gaps else 'nothing logged'} "
                f"(bound: one sampling interval, {b.stop_gap_s:g} s)"
            )
            say(
                f"  clean stops (exit status 0, lock released, status 'stopped'): "
                f"{sum(s.clean for s in these)} of {len(these)}"
            )
    say(f"benchmark took {time.perf_counter() - started:.0f} s")
    return Report(b, kills, stops)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_stop",
        description="Posture lost to kill -9 and the time a clean stop takes, on the real loop.",
    )
    ap.add_argument("--kills", type=positive_int, help=f"kill -9 runs ({FULL.kills}; --quick "
                    f"{QUICK.kills})")  # fmt: skip
    ap.add_argument("--stops", type=positive_int, help=f"stops per signal ({FULL.stops}; "
                    f"--quick {QUICK.stops})")  # fmt: skip
    ap.add_argument("--quick", action="store_true", help="a smoke run of under 2 minutes")
    ap.add_argument("--video", type=Path, help=f"the clip MediaPipe watches (default: "
                    f"{SHARED_MEDIA / VIDEO_NAME})")  # fmt: skip
    ap.add_argument("--landmarks", action="store_true",
                    help="the demo recording stands in for MediaPipe")  # fmt: skip
    args = ap.parse_args(argv)
    if args.video is not None and args.landmarks:
        ap.error("--video: --landmarks runs no video; give one or the other")
    if args.video is not None and not args.video.is_file():
        ap.error(f"--video {args.video}: no such file")
    if not hasattr(signal, "SIGKILL"):
        ap.error("this benchmark needs POSIX signals (kill -9)")
    base = QUICK if args.quick else FULL
    config = Config(kills=args.kills or base.kills, stops=args.stops or base.stops)
    try:
        run(config, pick_source(args.video, args.landmarks), sys.stdout)
    except UserError as exc:
        print(f"bench_stop: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
