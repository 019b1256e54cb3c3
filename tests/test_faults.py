"""Faults a laptop does to a monitor that runs all day, each injected for real.

The camera is the one stand-in (tests/fake_camera.py plays a real video through OpenCV
and can vanish, be held by another program, go black or freeze); MediaPipe, the
database, the control file, D-Bus and the processes are real. Timing runs on a fake
clock except for the kill -9 / SIGTERM tests, which run the real loop in a subprocess.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Optional

import pytest

from posture_guard import cli, control, paths, service
from posture_guard.store import SLOWEST_INTERVAL as SLOWEST

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))  # the fake camera and D-Bus helpers live beside this file
from fake_camera import CameraWorld, FakeCamera, FakeClock, StreamCamera  # noqa: E402

START = datetime(2026, 11, 25, 9, 0, 0)


@pytest.fixture
def calibrated(video: Path, pg_home: Path) -> Path:
    """A real calibration profile 'default' from the real video."""
    assert cli.main(["calibrate", "--video", str(video), "--seconds", "2"]) == 0
    return video


def run_live(
    video: Path,
    clock: FakeClock,
    world: CameraWorld,
    start: datetime = START,
    argv: tuple[str, ...] = ("run",),
    screen: Optional[service.ScreenLockProbe] = None,
    detector: object = None,
) -> int:
    args = cli.build_parser().parse_args(list(argv))
    return service.run(
        args,
        lambda session, coach: cli.session_sinks(args, session, coach),
        open_camera=lambda: FakeCamera(video, world),
        detector=detector,
        clock=clock,
        sleep=clock.sleep,
        install_signals=False,
        start=start,
        screen=screen or service.ScreenLockProbe(runner=lambda argv: None),
    )


def spans(start: datetime = START) -> list[tuple[str, float, float]]:
    """(state, start, end) in seconds since ``start`` from the real database file."""
    t0 = start.timestamp()
    with sqlite3.connect(paths.database_file()) as conn:
        rows = conn.execute("SELECT state, start, end FROM spans ORDER BY start").fetchall()
    return [(s, a - t0, b - t0) for s, a, b in rows]


def covered(rows: list[tuple[str, float, float]], a: float, b: float) -> float:
    """Seconds of [a, b) that logged spans cover."""
    return sum(max(0.0, min(e, b) - max(s, a)) for _, s, e in rows)


def log_text() -> str:
    return (paths.log_dir() / "posture-guard.log").read_text(encoding="utf-8")


def world_for(clock: FakeClock, **faults: list[tuple[float, float]]) -> CameraWorld:
    return CameraWorld(clock, clock(), **faults)


# --------------------------------------------------------------------------- camera faults
def test_camera_vanishing_mid_run_is_retried_with_backoff_and_resumes(calibrated: Path) -> None:
    clock = FakeClock(stop_at=240)
    world = world_for(clock, gone=[(60, 130)])
    assert run_live(calibrated, clock, world) == 0

    retries = [t for t in world.opens if t >= 60]
    gaps = [b - a for a, b in zip(retries, retries[1:])]
    assert gaps and gaps[0] >= 5 - 1e-6
    assert all(b >= a - 1e-6 for a, b in zip(gaps, gaps[1:])), gaps  # backing off
    resumed = [t for t in retries if t >= 130]
    assert resumed and resumed[0] <= 130 + 60  # by itself, within the back-off cap
    # the read that finds the camera gone comes within one sampling interval (2 s)
    assert not [t for t in world.reads if 62.5 < t < 130]  # nothing read while it was gone
    rows = spans()
    assert covered(rows, 0, 58) > 55
    assert covered(rows, 63, 130) == 0  # the missing camera is not logged as posture
    assert covered(rows, resumed[0] + 2, 238) > 0.9 * (236 - resumed[0])
    assert "stopped giving frames" in log_text()
    assert world.open_now == 0  # released at the end


def test_camera_held_by_a_call_at_start_is_waited_for_quietly(calibrated: Path) -> None:
    clock = FakeClock(stop_at=200)
    world = world_for(clock, busy=[(0, 100)])
    seen: dict[str, object] = {}

    def during_call() -> None:
        seen["status"] = service.read_service_status()
        seen["pid"] = service.running_pid()

    clock.at(50, during_call)
    assert run_live(calibrated, clock, world) == 0

    st = seen["status"]
    assert isinstance(st, service.ServiceStatus)
    assert st.camera == "unavailable" and "held by another program" in st.reason
    assert seen["pid"] == os.getpid()
    first_ok = min(t for t in world.opens if t >= 100)
    assert first_ok <= 160
    assert len([t for t in world.opens if t < 100]) <= 6  # 5, 10, 20, 40... not a busy loop
    rows = spans()
    assert covered(rows, 0, 100) == 0
    assert covered(rows, first_ok + 2, 198) > 0.9 * (196 - first_ok)
    assert "held by another program" in log_text()


def test_black_frames_are_a_camera_fault_not_absence(calibrated: Path) -> None:
    clock = FakeClock(stop_at=220)
    world = world_for(clock, black=[(60, 120)])
    assert run_live(calibrated, clock, world) == 0

    rows = spans()
    assert covered(rows, 61, 120) == 0  # no "absent" (or anything) logged for black frames
    assert all(state != "absent" for state, _, _ in rows)
    assert "black frames" in log_text()
    assert any(t >= 120 for t in world.opens)
    assert covered(rows, 185, 218) > 30  # resumed by itself


class RecordingDetector:
    """The real MediaPipe Pose, noting the clock time of every frame it analyses."""

    def __init__(self, clock: FakeClock):
        from posture_guard.pose import MediaPipePose

        self.inner = MediaPipePose()
        self.clock = clock
        self.times: list[float] = []

    def detect(self, image):  # type: ignore[no-untyped-def]
        self.times.append(self.clock.elapsed)
        return self.inner.detect(image)

    def close(self) -> None:
        self.inner.close()


def test_frozen_frames_are_never_analysed_and_the_camera_is_reopened(calibrated: Path) -> None:
    clock = FakeClock(stop_at=220)
    world = world_for(clock, frozen=[(60, 120)])
    detector = RecordingDetector(clock)
    try:
        assert run_live(calibrated, clock, world, detector=detector) == 0
    finally:
        detector.close()

    assert "frozen" in log_text()
    reopened = [t for t in world.opens if 60 < t < 120]
    assert reopened  # closed and re-opened after the freeze was recognised (10 s)
    assert reopened[0] <= 60 + 2 + 10 + 5 + 1
    # a stuck picture is never analysed: in the frozen window only the first fresh frame
    # after each re-open reaches the pose model
    during = [t for t in detector.times if 62.5 < t < 120]
    assert all(any(abs(t - r) < 0.01 for r in reopened) for t in during), (during, reopened)
    assert len([t for t in detector.times if t > 125]) > 20  # resumed by itself


# --------------------------------------------------------------------------- camera released
def _wall(clock: FakeClock, elapsed: float) -> float:
    return (START + timedelta(seconds=elapsed)).timestamp()


@pytest.mark.parametrize("how", ["pause", "snooze"])
def test_pause_and_snooze_release_the_camera(calibrated: Path, how: str) -> None:
    clock = FakeClock(stop_at=200)
    world = world_for(clock)
    seen: dict[str, object] = {}
    if how == "pause":
        clock.at(40, lambda: control.pause(now_epoch=_wall(clock, 40)))
        clock.at(100, lambda: control.resume(now_epoch=_wall(clock, 100)))
        reason = "paused"
    else:
        clock.at(40, lambda: control.snooze(60, now_epoch=_wall(clock, 40)))
        reason = "snoozed"

    def middle() -> None:
        seen["open"] = world.open_now
        seen["status"] = service.read_service_status()

    clock.at(70, middle)
    assert run_live(calibrated, clock, world) == 0

    assert seen["open"] == 0
    st = seen["status"]
    assert isinstance(st, service.ServiceStatus)
    assert (st.camera, st.reason) == ("released", reason)
    assert not [t for t in world.reads if 42 < t < 100]  # no frame read while released
    assert any(100 <= t <= 103 for t in world.opens)  # taken back right away
    rows = spans()
    assert covered(rows, 43, 100) == 0
    assert covered(rows, 105, 198) > 85


def test_quiet_hours_from_the_config_release_the_camera(calibrated: Path) -> None:
    paths.config_file().write_text('[coach]\nquiet_hours = "09:01-09:02"\n', encoding="utf-8")
    clock = FakeClock(stop_at=180)
    world = world_for(clock)
    assert run_live(calibrated, clock, world) == 0

    assert not [t for t in world.reads if 61 < t < 120]
    rows = spans()
    assert covered(rows, 0, 58) > 50 and covered(rows, 62, 120) == 0
    assert covered(rows, 123, 178) > 50


def test_broken_config_is_a_clear_error_before_the_camera(calibrated: Path, capsys) -> None:
    paths.config_file().write_text('[coach]\nquiet_hours = "late"\n', encoding="utf-8")
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "quiet_hours" in err[0] and "config" in err[0]
    assert service.running_pid() is None  # nothing left holding the lock


# ---------------------------------------------------------------- D-Bus: screen, notifications
@pytest.fixture
def session_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private session bus with the fake screensaver and a failing notification server."""
    pytest.importorskip("dbus_fast", reason="dbus-fast (pip) runs the fake D-Bus services")
    import dbus_fakes

    try:
        bus, address = dbus_fakes.start_session_bus(tmp_path)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    flag = tmp_path / "screen-locked"
    fakes = dbus_fakes.start_fakes(address, flag)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield flag
    dbus_fakes.stop(fakes, bus)


def test_locked_screen_over_dbus_releases_the_camera(calibrated: Path, session_bus: Path) -> None:
    if service.ScreenLockProbe()._dbus_send is None:
        pytest.skip("dbus-send (Debian package dbus) is not installed")
    flag = session_bus
    clock = FakeClock(stop_at=200)
    world = world_for(clock)
    clock.at(40, flag.touch)
    clock.at(100, flag.unlink)
    seen: dict[str, object] = {}
    clock.at(70, lambda: seen.update(open=world.open_now, st=service.read_service_status()))
    assert run_live(calibrated, clock, world, screen=service.ScreenLockProbe()) == 0

    assert seen["open"] == 0
    st = seen["st"]
    assert isinstance(st, service.ServiceStatus) and st.reason == "screen locked"
    assert not [t for t in world.reads if 46 < t < 100]
    assert any(100 <= t <= 106 for t in world.opens)


def test_failing_notification_server_does_not_stop_the_monitor(
    calibrated: Path, session_bus: Path
) -> None:
    # the check-in prompt is due at 17:30: the real notifier sends it over the private bus,
    # where the server fails every Notify call
    start = datetime(2026, 11, 25, 17, 29, 30)
    clock = FakeClock(stop_at=120)
    world = world_for(clock)
    assert run_live(calibrated, clock, world, start=start) == 0

    rows = spans(start)
    assert covered(rows, 31, 118) > 80  # monitoring went on after the failed prompt
    with sqlite3.connect(paths.database_file()) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM events")]
    assert "checkin_prompted" in kinds
    assert "notification_failed" in kinds


def test_missing_notification_service_does_not_stop_the_monitor(
    calibrated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    start = datetime(2026, 11, 25, 17, 29, 30)
    clock = FakeClock(stop_at=120)
    world = world_for(clock)
    assert run_live(calibrated, clock, world, start=start) == 0
    assert covered(spans(start), 31, 118) > 80
    with sqlite3.connect(paths.database_file()) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM events")]
    assert "notification_failed" in kinds


# --------------------------------------------------------------------------- the database
def test_damaged_database_is_kept_aside_and_a_new_one_started(calibrated: Path, capsys) -> None:
    db = paths.database_file()
    garbage = b"this is not a database\x00" * 400
    db.write_bytes(garbage)
    clock = FakeClock(stop_at=60)
    assert run_live(calibrated, clock, world_for(clock)) == 0

    aside = list(db.parent.glob(db.name + ".damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage  # nothing thrown away
    assert "damaged" in capsys.readouterr().err
    assert "damaged" in log_text()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert covered(spans(), 0, 58) > 50


def test_database_locked_by_another_process_loses_nothing(calibrated: Path) -> None:
    from posture_guard.store import Store

    db = paths.database_file()
    Store.open(db).close()
    # The other program holds the lock until the run's clock reaches 30 s, however long
    # the machine takes to get there: the first flushes (5 s, 10 s) find it locked.
    holder, release = _hold_write_lock(db)
    clock = FakeClock(stop_at=150)
    clock.at(30, release)
    try:
        assert run_live(calibrated, clock, world_for(clock)) == 0
    finally:
        holder.stdin.close()  # a run that ended before 30 s lets the holder go too
        holder.wait(timeout=30)
    assert "locked" in log_text()
    rows = spans()
    assert covered(rows, 0, 148) > 140  # every span written once the lock went away
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_spans_are_logged_at_the_moment_seen_however_long_the_start_took() -> None:
    from posture_guard.monitor import demo_stream_path

    clock = FakeClock(stop_at=40)
    camera = StreamCamera(demo_stream_path(), clock)
    first_read: list[float] = []
    read = camera.read

    def reading():  # when, after the run began, the camera gave its first frame
        first_read.append(clock.elapsed)
        return read()

    camera.read = reading  # type: ignore[method-assign]
    args = cli.build_parser().parse_args(["run"])

    def slow_start(session, coach):  # the pose model and the database take their time
        clock.t += 8.0
        return cli.session_sinks(args, session, coach)

    assert (
        service.run(
            args,
            slow_start,
            open_camera=camera.open,
            detector=camera,
            clock=clock,
            sleep=clock.sleep,
            install_signals=False,
            start=START,
            screen=service.ScreenLockProbe(runner=lambda argv: None),
        )
        == 0
    )
    rows = spans()
    assert first_read[0] >= 8.0
    # the first posture is logged when the camera saw it, not when the command began
    assert abs(rows[0][1] - first_read[0]) < 0.5, (rows[0], first_read[0])
    assert abs(rows[-1][2] - 40.0) < SLOWEST, rows[-1]


# --------------------------------------------------------------------------- real processes
# What a stop or a kill does, asserted as behaviour; how long it takes and how much posture
# it loses are figures that depend on the machine: python -m benchmarks.bench_stop.
NO_PERIODIC_FLUSH = ("--flush-every", "3600")  # longer than any test: only a stop writes
STATE_LINE = re.compile(r"^\[\d{2}:\d{2}:\d{2}\] [a-z_]+", re.MULTILINE)


def _start_monitor(
    video: Path, home: Path, *options: str, stdout: Optional[Path] = None
) -> subprocess.Popen:
    env = dict(os.environ, POSTURE_GUARD_HOME=str(home), PYTHONUNBUFFERED="1")
    with open(stdout or os.devnull, "wb") as out:
        return subprocess.Popen(
            [sys.executable, str(TESTS / "fake_camera.py"), str(video), *options],
            env=env,
            stdout=out,
            stderr=subprocess.PIPE,
        )


def _wait_for(cond, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _in_use_by(pid: int) -> bool:
    st = service.read_service_status()
    return st is not None and st.pid == pid and st.camera == "in use"


def _opened() -> float:
    """When the running monitor's camera went into use (POSIX seconds, its own record):
    every posture it decides is seen at or after this moment."""
    st = service.read_service_status()
    assert st is not None and st.camera == "in use" and st.camera_since is not None, st
    return st.camera_since


def _decided(stdout: Path) -> bool:
    """Whether the monitor has printed a posture state: it decided on a frame."""
    return STATE_LINE.search(stdout.read_text(encoding="utf-8", errors="replace")) is not None


def _last_end(db: Path) -> Optional[float]:
    """The latest span end in the database (read beside a running monitor), or None."""
    try:
        with closing(sqlite3.connect(db)) as conn:
            row = conn.execute("SELECT max(end) FROM spans").fetchone()
    except sqlite3.OperationalError:  # no spans table yet
        return None
    return row[0]


def _kill_9_after_two_flushes(
    proc: subprocess.Popen, written_to: Callable[[], Optional[float]]
) -> tuple[float, Optional[float], float]:
    """Wait until the monitor ``proc`` has the camera and has written the open span
    (``written_to``: the latest end it wrote) at one flush and further at the next, then
    kill -9 it. Returns (camera in use since, what was written then, the kill's time)."""
    try:
        _wait_for(lambda: _in_use_by(proc.pid), 60)
        opened = _opened()
        # while it runs, the open span is written (up to its latest decision) ...
        _wait_for(lambda: (written_to() or 0.0) >= opened, 60)
        first = written_to()
        assert first is not None
        # ... and written again, further, at the next flush
        _wait_for(lambda: (written_to() or 0.0) > first, 60)
        flushed = written_to()
        assert proc.poll() is None
        killed_at = time.time()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    return opened, flushed, killed_at


def test_kill_9_keeps_what_was_flushed_while_running_and_leaves_a_sound_database(
    calibrated: Path, pg_home: Path
) -> None:
    proc = _start_monitor(calibrated, pg_home)
    db = paths.database_file()
    _, flushed, killed_at = _kill_9_after_two_flushes(proc, lambda: _last_end(db))
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    last = _last_end(db)
    assert last is not None and flushed is not None
    assert flushed <= last <= killed_at  # what was flushed survives; nothing after the kill
    # the dead monitor's lock does not block the next one
    lock = service.InstanceLock().acquire()
    try:
        assert lock.recovered_pid == proc.pid
    finally:
        lock.release()


def _hold_write_lock(db: Path) -> tuple[subprocess.Popen, Callable[[], None]]:
    """Another program holding the database's write lock until the returned call."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.readline()\n"
            "c.execute('ROLLBACK')\n"
            "print('released', flush=True)\n",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"

    def release() -> None:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"

    return holder, release


def _aside_end(pending: Path) -> Optional[float]:
    """The latest end of the spans a running monitor has kept in the side file."""
    from posture_guard.store import parse_pending

    try:
        spans, _ = parse_pending(pending.read_bytes())
    except FileNotFoundError:
        return None
    return max((s.end for s in spans), default=None)


def test_kill_9_while_another_program_holds_the_database_keeps_what_was_set_aside(
    pg_home: Path,
) -> None:
    """The flushes a locked database refuses put the posture in the side file as they
    happen: a kill -9 while the lock lasts loses only what came after the last one, and
    the next open takes it all in. (Before, it waited in memory for a clean close: 43.5 s
    of posture were lost to a kill after 40 s of lock.)"""
    from posture_guard.store import PENDING_SUFFIX, Store

    db = paths.database_file()
    Store.open(db).close()
    pending = db.with_name(db.name + PENDING_SUFFIX)
    holder, release = _hold_write_lock(db)
    env = dict(os.environ, POSTURE_GUARD_HOME=str(pg_home))
    try:
        proc = subprocess.Popen(
            [sys.executable, str(TESTS / "fake_camera.py"), "--landmarks"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        opened, aside, killed_at = _kill_9_after_two_flushes(proc, lambda: _aside_end(pending))
        assert _last_end(db) is None  # nothing reached the database while it was held
        release()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()  # a test that failed before the release lets the holder go
        holder.wait(timeout=30)
    with Store.open(db) as store:  # the next start, or any command, takes the file in
        spans = store.spans(0, 2e10)
    assert not pending.exists()
    assert aside is not None and aside <= spans[-1].end <= killed_at
    begun = spans[0].start
    assert begun >= opened - 1e-3
    # every second from the first decision to the last one set aside, each once
    assert sum(s.seconds for s in spans) == pytest.approx(spans[-1].end - begun)
    assert all(a.end == pytest.approx(b.start) for a, b in zip(spans, spans[1:]))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_log_the_open_span_and_exit_cleanly(
    calibrated: Path, pg_home: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "stdout.txt"
    proc = _start_monitor(calibrated, pg_home, *NO_PERIODIC_FLUSH, stdout=out)
    try:
        _wait_for(lambda: _in_use_by(proc.pid) and _decided(out), 60)
        opened = _opened()
        proc.send_signal(sig)
        rc = proc.wait(timeout=10)
        exited = time.time()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 0, proc.stderr.read() if proc.stderr else ""
    # No periodic flush ran: the stop wrote the open span, closed at the last analysed
    # frame. (A frame being read as the signal came is still analysed, so that frame may
    # follow the signal by the read's milliseconds; it cannot follow the exit.)
    last = _last_end(paths.database_file())
    assert last is not None, "the open span was not logged at the stop"
    assert opened <= last <= exited
    assert service.running_pid() is None
    st = json.loads(service.status_file().read_text(encoding="utf-8"))
    assert st["camera"] == "stopped"


def _take_terminal() -> None:
    """In the child, after setsid: make stdin (a pty) the controlling terminal, so that
    closing the pty's other side hangs it up, as closing a terminal window does. SIGHUP
    goes back to its default, as in a shell a terminal window starts: a test run itself
    started with SIGHUP ignored (``nohup``, some CI runners) handed that on, and the
    monitor then rightly outlived its terminal (the nohup case below, asked for there)."""
    import fcntl
    import signal
    import termios

    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_status_right_after_a_kill_9_says_the_monitor_is_not_running(
    pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = dict(os.environ, POSTURE_GUARD_HOME=str(pg_home))
    proc = subprocess.Popen(
        [sys.executable, str(TESTS / "fake_camera.py"), "--landmarks"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(control.heartbeat_file().exists, 60)
        proc.send_signal(signal.SIGKILL)
        # not reaped yet (its parent has not looked): the pid in its fresh heartbeat still
        # answers, as a pid another program was given since would
        _wait_for(lambda: service.running_pid() is None, 10)
        assert control.pid_alive(proc.pid)
        assert cli.main(["status"]) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("monitor: not running (last seen"), first


def test_the_start_after_a_kill_9_says_once_that_it_recovered_the_lock(
    pg_home: Path, tmp_path: Path
) -> None:
    """The monitor started after one killed with kill -9 told the terminal twice that it
    took over the dead one's lock: "recovered a stale monitor lock left by pid N (not
    running)" (its log line, on stderr) and "recovered the lock of an earlier monitor
    (pid N) that did not stop cleanly". The terminal gets the second, the log the first."""
    from posture_guard.logs import log_file

    argv = [sys.executable, str(TESTS / "fake_camera.py"), "--landmarks"]
    env = dict(os.environ, POSTURE_GUARD_HOME=str(pg_home), PYTHONUNBUFFERED="1")
    killed = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: _in_use_by(killed.pid), 60)
    finally:
        killed.kill()
        killed.wait(timeout=10)
    out = tmp_path / "stdout.txt"
    with open(out, "wb") as fh:
        proc = subprocess.Popen(argv, env=env, stdout=fh, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: _in_use_by(proc.pid), 60)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stderr is not None
    said = out.read_text(encoding="utf-8") + proc.stderr.read().decode()
    told = [ln for ln in said.splitlines() if "recovered" in ln]
    assert told == [
        f"posture-guard: recovered the lock of an earlier monitor (pid {killed.pid}) "
        "that did not stop cleanly"
    ], said
    logged = [ln for ln in log_file().read_text(encoding="utf-8").splitlines() if "recover" in ln]
    assert len(logged) == 1 and f"pid {killed.pid}" in logged[0], logged


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no terminals that hang up")
def _start_on_a_terminal(
    argv: list[str], env: dict[str, str], cwd: Optional[Path] = None
) -> tuple[subprocess.Popen, int]:
    """``argv`` in a session of its own whose controlling terminal is a new pty, as in a
    terminal window; the pty's other end is returned: closing it closes the window."""
    master, terminal = os.openpty()
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=cwd,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
        preexec_fn=_take_terminal,
    )
    os.close(terminal)
    return proc, master


def test_closing_the_terminal_stops_the_monitor_cleanly(pg_home: Path) -> None:
    import select

    env = dict(os.environ, POSTURE_GUARD_HOME=str(pg_home), PYTHONUNBUFFERED="1")
    argv = [sys.executable, str(TESTS / "fake_camera.py"), "--landmarks", *NO_PERIODIC_FLUSH]
    proc, master = _start_on_a_terminal(argv, env)
    shown = b""

    def decided_in_use() -> bool:
        nonlocal shown
        while select.select([master], [], [], 0)[0]:
            shown += os.read(master, 4096)
        text = shown.decode("utf-8", "replace").replace("\r\n", "\n")
        return _in_use_by(proc.pid) and STATE_LINE.search(text) is not None

    try:
        _wait_for(decided_in_use, 60)
        opened = _opened()
        os.close(master)  # the terminal window is closed: the kernel sends SIGHUP
        rc = proc.wait(timeout=10)
        exited = time.time()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert b"monitoring camera 0" in shown
    assert rc == 0  # ended by its own clean stop, not by the signal
    st = json.loads(service.status_file().read_text(encoding="utf-8"))
    assert st["camera"] == "stopped"  # `status` is not left saying the camera is in use
    assert not control.heartbeat_file().exists()
    assert "monitor stopped" in log_text()
    # no periodic flush ran: the open span was logged at the stop, to the last decision
    last = _last_end(paths.database_file())
    assert last is not None and opened <= last <= exited


@pytest.mark.skipif(shutil.which("nohup") is None, reason="no nohup")
def test_a_monitor_started_with_nohup_outlives_its_terminal(pg_home: Path, tmp_path: Path) -> None:
    env = dict(os.environ, POSTURE_GUARD_HOME=str(pg_home))
    argv = ["nohup", sys.executable, str(TESTS / "fake_camera.py"), "--landmarks"]
    proc, master = _start_on_a_terminal(argv, env, cwd=tmp_path)  # nohup.out goes there
    try:
        _wait_for(lambda: _in_use_by(proc.pid), 60)
        os.close(master)  # the terminal closes: nohup's SIGHUP ignored stays ignored
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=2)
        assert _in_use_by(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


# --------------------------------------------------------------------------- permissions
NO_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]
DAY = "2024-03-04"


@pytest.fixture
def as_user() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs ``python ARGS`` the way a user does, so that file permissions apply.

    Root reads and writes any file whatever its mode; run as root, the process gives up
    that power (setpriv drops CAP_DAC_OVERRIDE and friends), or the test is skipped.
    """
    if sys.platform == "win32":
        pytest.skip("POSIX file modes")
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None or subprocess.run([*NO_OVERRIDE, "true"]).returncode:
            pytest.skip("running as root, and setpriv cannot drop root's power over file modes")
        prefix = NO_OVERRIDE
    env = {**os.environ, "PYTHONPATH": str(Path(service.__file__).resolve().parents[1])}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, sys.executable, *args], env=env, capture_output=True, text=True, timeout=120
        )

    return run


@pytest.fixture
def diary_db(tmp_path: Path) -> Iterator[Path]:
    """A sound database with one headache and 10 minutes of posture on DAY, in its own
    folder; every mode is made writable again afterwards so the folder can go."""
    from posture_guard.states import PostureState
    from posture_guard.store import Span, Store

    folder = tmp_path / "data"
    db = folder / "posture.sqlite3"
    Store.open(db).close()  # a --db that names no database is refused
    assert cli.main(["headache", "add", "--intensity", "6", "--date", DAY, "--db", str(db)]) == 0
    t0 = datetime.fromisoformat(f"{DAY}T09:00").timestamp()
    with Store.open(db) as store:
        store.add_spans([Span(PostureState.GOOD, t0, t0 + 600)])
    yield db
    folder.chmod(0o755)
    for f in folder.iterdir():
        f.chmod(0o644)


def _headaches(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM headaches").fetchone()[0])


def test_run_leaves_a_database_the_user_cannot_read_where_it_is(diary_db: Path, as_user) -> None:
    """A file that cannot be opened is not damaged: setting it aside would hide the
    user's data behind a new, empty database."""
    diary_db.chmod(0o000)
    code = (
        "import sys; from pathlib import Path; from posture_guard import service\n"
        "from posture_guard.errors import UserError\n"
        "try: service.prepare_database(Path(sys.argv[1]))\n"
        "except UserError as exc: print(exc)\n"
    )
    done = as_user("-c", code, str(diary_db))
    assert done.returncode == 0, done.stderr
    assert f"cannot access the database {diary_db}" in done.stdout
    assert f"permission denied reading {diary_db}" in done.stdout
    assert "damaged" not in done.stdout + done.stderr
    assert sorted(p.name for p in diary_db.parent.iterdir()) == [diary_db.name]
    diary_db.chmod(0o644)
    assert _headaches(diary_db) == 1


@pytest.mark.parametrize("command", ["replay", "record", "calibrate"])
@pytest.mark.parametrize("name", ["clip.avi", "photo.png"])
def test_a_video_or_photo_the_user_may_not_read_is_named_so(
    tmp_path: Path, as_user, command: str, name: str
) -> None:
    """It read "OpenCV cannot read this file as a video (the decoder said: ... can't
    open/read file: check file path/integrity)", or of a photo "not found or not an image
    OpenCV can read" after OpenCV's own [ WARN:...] line: a readable copy of the same
    bytes replays."""
    import cv2
    import numpy as np

    path = tmp_path / name
    picture = np.full((120, 160, 3), 90, np.uint8)
    if name.endswith(".png"):
        assert cv2.imwrite(str(path), picture)
    else:
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
        for _ in range(10):
            writer.write(picture)
        writer.release()
    out = tmp_path / "rec.jsonl"
    extra = ["--landmarks-out", str(out)] if command == "record" else []
    path.chmod(0o000)
    done = as_user("-m", "posture_guard", command, "--video", str(path), *extra)
    what = "image" if name.endswith(".png") else "video file"
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"posture-guard: cannot read {what} {path}: Permission denied\n"
    assert not out.exists()
    path.chmod(0o644)
    assert cli.main(["replay", "--video", str(path), "--quiet"]) == 0


def test_a_photo_to_assess_the_user_may_not_read_is_named_so(tmp_path: Path, as_user) -> None:
    """assess said "photo F is not an image posture_guard can read (JPEG, PNG, ...)" of
    a photo without read permission, after OpenCV's own [ WARN:...] line."""
    import cv2
    import numpy as np

    photo = tmp_path / "side.png"
    assert cv2.imwrite(str(photo), np.full((120, 160, 3), 90, np.uint8))
    photo.chmod(0o000)
    done = as_user("-m", "posture_guard", "assess", str(photo))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"posture-guard: cannot read photo {photo}: Permission denied\n"


def test_a_read_only_data_folder_is_read_and_named_when_a_write_is_refused(
    diary_db: Path, as_user
) -> None:
    folder = diary_db.parent
    before = sorted(p.name for p in folder.iterdir())
    folder.chmod(0o555)
    db = ["--db", str(diary_db)]
    listed = as_user("-m", "posture_guard.cli", "headache", "list", "--to", DAY, "--json", *db)
    assert listed.returncode == 0, listed.stderr
    assert [e["intensity"] for e in json.loads(listed.stdout)["entries"]] == [6]
    summary = as_user("-m", "posture_guard.cli", "summary", "--date", DAY, "--json", *db)
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout)["monitored_minutes"] == 10.0
    code = (
        "import sys; from datetime import date; from pathlib import Path\n"
        "from posture_guard import service\n"
        "print(service.status_lines(date.fromisoformat(sys.argv[2]), Path(sys.argv[1]))[-1])"
    )
    status = as_user("-c", code, str(diary_db), DAY)  # `status`'s line about the day
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("today: monitored"), status.stdout
    added = as_user("-m", "posture_guard.cli", "headache", "add", "--intensity", "2", *db)
    assert added.returncode == 2
    assert added.stderr.count("\n") == 1 and "Traceback" not in added.stderr
    assert f"cannot access the database {diary_db}" in added.stderr
    assert f"the folder {folder} is read-only" in added.stderr
    assert "damaged" not in added.stderr
    folder.chmod(0o755)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert _headaches(diary_db) == 1


def test_a_read_only_shm_file_left_behind_is_named(diary_db: Path, as_user) -> None:
    """Read while the database was read-only, sqlite leaves a read-only -shm file; made
    writable again, the database still refuses writes until that file is mended."""
    diary_db.chmod(0o444)
    db = ["--db", str(diary_db)]
    listed = as_user("-m", "posture_guard.cli", "headache", "list", "--to", DAY, *db)
    assert listed.returncode == 0, listed.stderr
    shm = diary_db.with_name(diary_db.name + "-shm")
    if not shm.exists():
        pytest.skip("this sqlite cleaned up its -shm file; nothing is left behind")
    diary_db.chmod(0o644)
    added = as_user("-m", "posture_guard.cli", "headache", "add", "--intensity", "2", *db)
    assert added.returncode == 2
    assert f"{shm} is read-only" in added.stderr
    assert f"{diary_db} is read-only" not in added.stderr
    shm.chmod(0o644)
    added = as_user("-m", "posture_guard.cli", "headache", "add", "--intensity", "2", *db)
    assert added.returncode == 0, added.stderr
    assert _headaches(diary_db) == 2


def test_a_reader_of_a_read_only_database_leaves_the_side_file_for_later(
    diary_db: Path, as_user
) -> None:
    """Spans kept aside while the database was locked cannot go into a read-only one:
    a summary still answers, and the spans wait for the next writable open."""
    from posture_guard.store import Store

    t0 = datetime.fromisoformat(f"{DAY}T10:00").timestamp()
    pending = diary_db.with_name(diary_db.name + ".pending.jsonl")
    line = {"state": "good", "start": t0, "end": t0 + 300, "profile": "default", "samples": 9,
            "metrics": {}}  # fmt: skip
    pending.write_text(json.dumps(line) + "\n", encoding="utf-8")
    diary_db.chmod(0o444)
    summary = as_user("-m", "posture_guard.cli", "summary", "--date", DAY, "--json", "--db",
                      str(diary_db))  # fmt: skip
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout)["monitored_minutes"] == 10.0
    assert str(pending) in summary.stderr and pending.exists()
    diary_db.chmod(0o644)
    with Store.open(diary_db) as store:  # writable again: the spans go in
        assert sum(s.seconds for s in store.spans(t0 - 3600, t0 + 3600)) == 900.0
    assert not pending.exists()


def test_a_side_file_that_cannot_be_removed_once_taken_in_is_emptied_not_added_again(
    diary_db: Path, as_user
) -> None:
    """A side file taken in, in a folder where it cannot be removed, is emptied instead:
    each `summary` (or each retry of a running monitor) added its spans once more."""
    from posture_guard.store import Store

    t0 = datetime.fromisoformat(f"{DAY}T10:00").timestamp()
    pending = diary_db.with_name(diary_db.name + ".pending.jsonl")
    line = {"state": "good", "start": t0, "end": t0 + 300, "profile": "default", "samples": 9,
            "metrics": {}}  # fmt: skip
    with Store.open(diary_db) as held:  # keeps the -wal and -shm files the folder can't make
        held.read("SELECT 1")
        pending.write_text(json.dumps(line) + "\n", encoding="utf-8")
        diary_db.parent.chmod(0o555)
        argv = ["-m", "posture_guard.cli", "summary", "--date", DAY, "--json", "--db"]
        for _ in range(2):
            summary = as_user(*argv, str(diary_db))
            assert summary.returncode == 0, summary.stderr
            assert json.loads(summary.stdout)["monitored_minutes"] == 15.0
        diary_db.parent.chmod(0o755)
        assert sum(s.seconds for s in held.spans(t0 - 3600, t0 + 3600)) == 900.0
    assert pending.read_bytes() == b""


# A process that takes the side file in and is killed (os._exit: no cleanup, as kill -9)
# at the moment it would remove the file, or set a damaged one aside: its commit is done.
_KILLED_AFTER_THE_COMMIT = (
    "import os, pathlib, sys\n"
    "from posture_guard.store import Store\n"
    "side = pathlib.Path(sys.argv[1] + '.pending.jsonl')\n"
    "def killed(self, *args, **kwargs):\n"
    "    if self == side: os._exit(9)\n"
    "pathlib.Path.unlink = pathlib.Path.rename = killed\n"
    "Store.open(sys.argv[1])\n"
)


@pytest.mark.parametrize("damaged", [False, True], ids=["removed", "set-aside"])
def test_a_kill_right_after_the_side_file_was_taken_in_does_not_count_it_twice(
    diary_db: Path, damaged: bool
) -> None:
    """Killed between the commit that takes the side file in and the file's removal
    (or its move aside, for a damaged one), a process leaves the file behind: the next
    open added its spans again and `summary` said 20 minutes of 10 (and 30 after a third
    open killed so). Lines a monitor adds to the file after the kill still go in."""
    from posture_guard.states import PostureState
    from posture_guard.store import PENDING_SUFFIX, Span, Store

    t0 = datetime.fromisoformat(f"{DAY}T10:00").timestamp()
    pending = diary_db.with_name(diary_db.name + PENDING_SUFFIX)
    with Store.open(diary_db, take_in=False) as store:
        store.save_pending([Span(PostureState.GOOD, t0, t0 + 300)])
        store.save_pending([Span(PostureState.GOOD, t0 + 300, t0 + 600)])
    if damaged:
        with open(pending, "ab") as fh:
            fh.write(b'{"state": "good", "start": \n')  # a line a power cut left short
    env = dict(os.environ, PYTHONPATH=str(Path(service.__file__).resolve().parents[1]))
    for _ in range(2):
        killed = subprocess.run(
            [sys.executable, "-c", _KILLED_AFTER_THE_COMMIT, str(diary_db)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert killed.returncode == 9, killed.stderr
        assert pending.exists()
    with Store.open(diary_db, take_in=False) as store:  # a monitor goes on setting aside
        store.save_pending([Span(PostureState.FORWARD_HEAD, t0 + 600, t0 + 720)])

    argv = ["-m", "posture_guard.cli", "summary", "--date", DAY, "--json", "--db"]
    summary = subprocess.run(
        [sys.executable, *argv, str(diary_db)], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert summary.returncode == 0, summary.stderr
    minutes = json.loads(summary.stdout)["state_minutes"]
    # the fixture's 10 minutes, the side file's 10 once, and the 2 added after the kills
    assert (minutes["good"], minutes["forward_head"]) == (20.0, 2.0)
    assert not pending.exists()
    kept = list(diary_db.parent.glob(pending.name + ".damaged-*"))
    assert len(kept) == int(damaged)
    with Store.open(diary_db) as store:  # and no later open adds anything either
        assert sum(s.seconds for s in store.spans(t0 - 3600, t0 + 3600)) == 1320.0


def test_the_monitor_sets_aside_a_database_damaged_inside_and_logs_to_a_new_one(
    pg_home: Path, tmp_path: Path
) -> None:
    """A database whose file opens but is damaged inside (bytes overwritten on the page
    of the posture spans) was used as it was: every flush went to the side file, start
    after start, "to be added the next time the database opens", which never could, and
    `status` said the log could not be read. The start sets it aside, as it does a file
    that does not open, and the monitor logs to a new one."""
    from posture_guard.states import PostureState
    from posture_guard.store import Span, Store

    db = paths.database_file()
    t0 = datetime.fromisoformat(f"{DAY}T09:00").timestamp()
    with Store.open(db) as store:
        store.add_spans([Span(PostureState.GOOD, t0, t0 + 600)])
    with closing(sqlite3.connect(db)) as conn:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'spans'").fetchone()
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    with open(db, "r+b") as fh:  # the spans' page overwritten past its header
        fh.seek((root[0] - 1) * page + 8)
        fh.write(os.urandom(200))
    damaged = db.read_bytes()
    out = tmp_path / "stdout.txt"
    env = dict(os.environ, POSTURE_GUARD_HOME=str(pg_home), PYTHONUNBUFFERED="1")
    with open(out, "wb") as stdout:
        proc = subprocess.Popen(
            [sys.executable, str(TESTS / "fake_camera.py"), "--landmarks"],
            env=env,
            stdout=stdout,
            stderr=subprocess.PIPE,
        )
    try:
        _wait_for(lambda: _in_use_by(proc.pid), 60)
        kept = list(db.parent.glob(f"{db.name}.damaged-*"))
        kept = [f for f in kept if not f.name.endswith(("-wal", "-shm"))]
        assert len(kept) == 1 and kept[0].read_bytes() == damaged
        _wait_for(lambda: (_last_end(db) or 0.0) > t0 + 600, 60)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == 0, err
    assert f"the database {db} was damaged; it is kept as {kept[0]}" in err
    assert "could not be written" not in err and "Traceback" not in err
    assert not db.with_name(db.name + ".pending.jsonl").exists()
    assert cli.main(["summary"]) == 0  # the new database reads


#: `posture-guard run` as the command line handles it, the webcam the fake one (the bundled
#: landmark stream); ``{clock}`` is where :func:`_write_run_script` puts the clock set
_RUN_SCRIPT = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "sys.path.insert(0, {tests!r})\n"
    "from fake_camera import StreamCamera\n"
    "from posture_guard import cli, monitor, service\n"
    "args = cli.build_parser().parse_args(['run'])\n"
    "camera = StreamCamera(monitor.demo_stream_path(), time.monotonic)\n"
    "extra = {{}}\n"
    "{clock}"
    "args.handler = lambda a: service.run(\n"
    "    a, lambda s, c: cli.session_sinks(a, s, c), open_camera=camera.open, detector=camera,\n"
    "    **extra\n"
    ")\n"
    "sys.exit(cli._handle(args))\n"
)

#: the wall clock set an hour forward once the file argv[1] is there; the next session's
#: open of the database waits (60 s at most) until the file argv[2] reads "held", so
#: another program takes the database between the two sessions every time, not only when
#: its polling happens to fall in that moment
_CLOCK_SET = (
    "from posture_guard.store import Store\n"
    "trigger, held = Path(sys.argv[1]), Path(sys.argv[2])\n"
    "extra['wall_clock'] = lambda: time.time() + (3600.0 if trigger.exists() else 0.0)\n"
    "_open, _gated = Store.open.__func__, []\n"
    "said_held = lambda: held.exists() and held.read_text() == 'held\\n'\n"
    "def _open_once_held(cls, *a, **k):\n"
    "    if k.get('lock_later') and trigger.exists() and not _gated:\n"
    "        _gated.append(True)\n"
    "        until = time.monotonic() + 60\n"
    "        while time.monotonic() < until and not said_held():\n"
    "            time.sleep(0.01)\n"
    "    return _open(cls, *a, **k)\n"
    "Store.open = classmethod(_open_once_held)\n"
)


def _write_run_script(tmp_path: Path, clock_set: bool = False) -> Path:
    """Write ``run.py`` into ``tmp_path``: the monitor in a process of its own, as the
    command line runs it, with the fake webcam; ``clock_set`` adds :data:`_CLOCK_SET`
    (arguments: the trigger file, the file the other program says "held" in)."""
    script = tmp_path / "run.py"
    text = _RUN_SCRIPT.format(tests=str(TESTS), clock=_CLOCK_SET if clock_set else "")
    script.write_text(text, encoding="utf-8")
    return script


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_a_monitor_started_on_a_full_disk_exits_to_be_started_again(
    pg_home: Path, tmp_path: Path
) -> None:
    """A database its full disk kept from opening stopped the start with exit status 2,
    "refused for good", so the login entry never started the monitor again once room
    was made. It is 75, "try again later", as for a webcam not plugged in yet."""
    from posture_guard.store import Store

    db = paths.database_file()
    Store.open(db).close()
    script = (
        'cp "$DB" "$TMP/db" && mount -t tmpfs -o size=512k tmpfs "$DATA" || exit 99\n'
        'cp "$TMP/db" "$DB"\n'
        'dd if=/dev/zero of="$DATA/fill" bs=4k 2>/dev/null\n'  # stops at ENOSPC: the disk full
        '"$PY" "$TMP/run.py" >"$TMP/out" 2>"$TMP/err"; echo $? >"$TMP/rc"\n'
    )
    _write_run_script(tmp_path)
    env = dict(
        os.environ,
        POSTURE_GUARD_HOME=str(pg_home),
        DB=str(db),
        DATA=str(db.parent),
        TMP=str(tmp_path),
        PY=sys.executable,
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], env=env, timeout=300, capture_output=True
    )
    if done.returncode == 99 or b"unshare" in done.stderr:
        pytest.skip(f"no filesystem of its own to fill here: {done.stderr.decode().strip()}")
    err = (tmp_path / "err").read_text()
    assert int((tmp_path / "rc").read_text()) == 75, err
    assert f"cannot open database {db} (no space left: 0 KB free in {db.parent})" in err
    assert "make room and try again" in err and "Traceback" not in err
    assert service.running_pid() is None  # the next start is not blocked


def test_a_monitor_started_while_another_program_holds_the_database_exits_to_be_started_again(
    pg_home: Path, tmp_path: Path
) -> None:
    """A database another program held (`PRAGMA locking_mode=EXCLUSIVE`, kept until that
    program closes it) when the monitor started stopped the start with exit status 2,
    "refused for good", so the login entry never started it again once the lock was
    gone. It is 75, "try again later", and the database is left as it was."""
    db = paths.database_file()
    assert cli.main(["headache", "add", "--intensity", "4"]) == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "conn.execute('PRAGMA locking_mode=EXCLUSIVE')\n"
            "conn.execute('BEGIN IMMEDIATE'); conn.execute('COMMIT')\n"
            "conn.execute('SELECT COUNT(*) FROM headaches').fetchone()\n"
            "print('held', flush=True); sys.stdin.read()\n",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        _write_run_script(tmp_path)
        done = subprocess.run(
            [sys.executable, str(tmp_path / "run.py")],
            env=dict(os.environ, POSTURE_GUARD_HOME=str(pg_home)),
            timeout=120,
            capture_output=True,
            text=True,
        )
    finally:
        holder.communicate("", timeout=30)
    assert done.returncode == 75, done.stderr
    assert f"database {db} is locked by another program" in done.stderr
    assert "Traceback" not in done.stderr and "damaged" not in done.stderr
    assert not list(db.parent.glob("*.damaged-*"))
    assert service.running_pid() is None  # the next start is not blocked
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT intensity FROM headaches").fetchall() == [(4,)]


#: another program taking the database: a long write transaction, or (`exclusive`)
#: `PRAGMA locking_mode=EXCLUSIVE`, which it gets only while no connection has the
#: database open, so it tries every half millisecond: it gets it as the monitor's
#: session ends, before the next one opens the database
_HOLDER = (
    "import sqlite3, sys, time\n"
    "while True:\n"
    "    conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)\n"
    "    try:\n"
    "        if sys.argv[2] == 'exclusive':\n"
    "            conn.execute('PRAGMA locking_mode=EXCLUSIVE')\n"
    "            conn.execute('BEGIN IMMEDIATE'); conn.execute('COMMIT')\n"
    "            conn.execute('SELECT COUNT(*) FROM headaches').fetchone()\n"
    "        else:\n"
    "            conn.execute('BEGIN IMMEDIATE')\n"
    "        break\n"
    "    except sqlite3.OperationalError:\n"
    "        conn.close(); time.sleep(0.0005)\n"
    "print('held', flush=True); sys.stdin.read()\n"
)


@pytest.mark.parametrize("lock", ["write", "exclusive"])
def test_a_lock_taken_while_the_monitor_runs_keeps_it_running_when_the_clock_is_set(
    pg_home: Path, tmp_path: Path, lock: str
) -> None:
    """Another program takes the database while the monitor runs, and the clock is set
    (a new session starts, as after NTP's correction or at a plan's midnight): the
    session's end, its spans refused, or the new session's open of the held database
    stopped the monitor with exit status 2, "refused for good", which the login entry
    does not restart. It runs on, the spans in the side file, taken in once the lock has
    gone."""
    from tests.cli_run import posture_guard_ok

    db = paths.database_file()
    # in a process of its own: no connection of this one may keep the holder out
    posture_guard_ok(["headache", "add", "--intensity", "4"], pg_home)
    _write_run_script(tmp_path, clock_set=True)
    trigger, err, held = tmp_path / "clock-set", tmp_path / "err", tmp_path / "held"
    env = dict(os.environ, POSTURE_GUARD_HOME=str(pg_home), PYTHONUNBUFFERED="1")
    with open(err, "wb") as stderr:
        monitor = subprocess.Popen(
            [sys.executable, str(tmp_path / "run.py"), str(trigger), str(held)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    holder = None
    try:
        _wait_for(lambda: _last_end(db) is not None, 60)  # monitoring, the first flush in
        with open(held, "wb") as said:
            holder = subprocess.Popen(
                [sys.executable, "-c", _HOLDER, str(db), lock],
                stdin=subprocess.PIPE,
                stdout=said,
                text=True,
            )
        if lock == "write":
            _wait_for(lambda: held.read_text() == "held\n", 60)
        trigger.touch()
        _wait_for(lambda: held.read_text() == "held\n", 60)
        kept = f"posture spans are kept in {db}.pending.jsonl until it can be written"
        said = ("the clock was set forward by 1 h", kept)
        _wait_for(lambda: all(w in err.read_text() for w in said) or monitor.poll() is not None, 60)
        time.sleep(6)  # a flush and a retry of the held database
        assert monitor.poll() is None, err.read_text()  # still monitoring
        assert all(w in err.read_text() for w in said)
        holder.communicate("", timeout=30)
        _wait_for(lambda: not db.with_name(db.name + ".pending.jsonl").exists(), 60)
        _wait_for(lambda: (_last_end(db) or 0) > time.time() + 3000, 30)  # the new session's
    finally:
        if holder is not None and holder.poll() is None:
            holder.communicate("", timeout=30)
        if monitor.poll() is None:
            monitor.send_signal(signal.SIGTERM)
        monitor.wait(timeout=60)
    assert monitor.returncode == 0, err.read_text()
    assert "Traceback" not in err.read_text()
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT intensity FROM headaches").fetchall() == [(4,)]
        spans = conn.execute("SELECT start, end FROM spans ORDER BY start").fetchall()
    before = [s for s in spans if s[1] < time.time() + 600]
    after = [s for s in spans if s[0] > time.time() + 3000]
    assert before and after  # both sessions' posture, none lost to the lock


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_monitor_stopped_while_another_program_holds_the_database_exits_0(
    pg_home: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    """A monitor stopped (SIGTERM, Ctrl-C) while another program held the database
    exited with status 2, "refused for good": the login entry's unit was failed for a
    stop the user asked for. Its spans are safe in the side file, which the message
    names and the next open takes in: it exits 0, saying so, after the session's
    totals, as at any stop (they were left out)."""
    from posture_guard.store import Store
    from tests.cli_run import posture_guard_ok

    db = paths.database_file()
    posture_guard_ok(["headache", "add", "--intensity", "4"], pg_home)
    pending = db.with_name(db.name + ".pending.jsonl")
    _write_run_script(tmp_path)
    out, err = tmp_path / "out", tmp_path / "err"
    env = dict(os.environ, POSTURE_GUARD_HOME=str(pg_home), PYTHONUNBUFFERED="1")
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        monitor = subprocess.Popen(
            [sys.executable, str(tmp_path / "run.py")],
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    holder = None
    try:
        _wait_for(lambda: _last_end(db) is not None, 60)  # monitoring, the first flush in
        holder, release = _hold_write_lock(db)
        _wait_for(lambda: _aside_end(pending) is not None, 60)  # a flush set aside
        monitor.send_signal(sig)
        monitor.wait(timeout=60)
        release()
    finally:
        if monitor.poll() is None:
            monitor.kill()
        if holder is not None:
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(timeout=30)
    said = err.read_text()
    assert monitor.returncode == 0, said
    assert f"kept in {pending} and will be added the next time the database opens" in said
    assert "Traceback" not in said
    totals = re.findall(
        r"^monitored (\d\d:\d\d:\d\d); analysed \d+ of \d+ frames", out.read_text(), re.M
    )
    assert len(totals) == 1 and totals[0] != "00:00:00", out.read_text()
    aside = _aside_end(pending)
    assert aside is not None
    with Store.open(db) as store:  # the next start, or any command, takes the file in
        spans = store.spans(0, 2e10)
    assert not pending.exists() and spans[-1].end == pytest.approx(aside)
    assert service.running_pid() is None


def test_a_demo_whose_database_stays_locked_keeps_its_spans_and_is_not_run_again(
    tmp_path: Path, pg_home: Path
) -> None:
    """`demo --db F` (a replay) whose database another program held to its end exited
    with status 2, "refused for good", without its totals, saying "close it and try
    again": run again once the lock had gone, it was refused as logged already (the open
    took its spans in from the side file), and given another --start, as that refusal
    says, logged the demo's time twice. Its spans are safe in the side file: it prints
    its totals, says where they wait and that it need not run again, and exits 0."""
    from posture_guard.store import Store, parse_pending
    from tests.cli_run import posture_guard, posture_guard_ok

    db = tmp_path / "log.sqlite3"
    Store.open(db).close()
    pending = db.with_name(db.name + ".pending.jsonl")
    argv = ["demo", "--db", str(db), "--start", "2026-11-20T09:00"]
    holder, release = _hold_write_lock(db)
    try:
        done = posture_guard(argv, pg_home, capture_output=True)
        release()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert not [
        line for line in done.stderr.splitlines() if "spans" in line and "try again" in line
    ]
    assert f"logged to {db}: 2026-11-20 09:00:35 to 09:06:50" in done.stdout
    aside, bad = parse_pending(pending.read_bytes())
    assert len(aside) > 1 and not bad
    assert (
        f"posture-guard: database {db} is locked by another program (waited 5 s); close it; "
        f"{len(aside)} unsaved posture spans were kept in {pending} and will be added the next "
        "time the database opens: the replay is logged then, and need not be run again"
    ) in done.stderr
    assert "monitored 00:06:15;" in done.stdout
    # the lock gone, any open takes them in: the day holds the demo's 6:15, once
    day = json.loads(
        posture_guard_ok(["summary", "--db", str(db), "--date", "2026-11-20", "--json"], pg_home)
    )
    assert day["monitored_minutes"] == pytest.approx(6.25, abs=0.05) and not pending.exists()
    again = posture_guard(argv, pg_home, capture_output=True)
    assert again.returncode == 2 and "already holds posture logged from" in again.stderr
