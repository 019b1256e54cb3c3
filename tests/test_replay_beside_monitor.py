"""A replay into the database a running monitor logs to: no second is logged by both.

A real monitor process (the live loop on the fake camera, landmarks from the demo
stream) and real replays beside it, on one real SQLite file.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Optional

import pytest

from posture_guard import paths, service
from posture_guard.monitor import demo_stream_path
from tests.cli_run import posture_guard, posture_guard_ok

TESTS = Path(__file__).resolve().parent


def _in_use_since(pid: int) -> float:
    """When the monitor ``pid``'s camera went into use, once it has (its status file)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        st = service.read_service_status()
        if st is not None and st.pid == pid and st.camera == "in use" and st.camera_since:
            return st.camera_since
        time.sleep(0.05)
    raise AssertionError("the monitor did not start monitoring")


def test_a_replay_into_the_monitors_database_is_refused_past_the_monitors_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay ending now into the database a monitor was logging to was let through
    while the monitor had not written its time yet (it writes every few seconds; here
    not before it stops), and both logged the same seconds. One ending before the
    monitor began monitoring is logged, as before."""
    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path))
    env = {**os.environ, "PYTHONPATH": str(TESTS.parent), "PYTHONUNBUFFERED": "1"}
    monitor = subprocess.Popen(
        [sys.executable, str(TESTS / "fake_camera.py"), "--landmarks", "--flush-every", "600"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        since = _in_use_since(monitor.pid)
        # a replay ending now ends up to 2 s before now (whole seconds of the clock and of
        # the stream): it overlaps the monitor's time only once that is longer than 2 s
        while time.time() < since + 3:
            time.sleep(0.1)
        db = str(paths.database_file())
        replay = ["replay", "--landmarks", str(demo_stream_path()), "--quiet", "--db", db]
        ending_now = posture_guard(replay, tmp_path, capture_output=True)
        before = datetime.fromtimestamp(since - 3600).isoformat(timespec="seconds")
        earlier = posture_guard_ok([*replay, "--start", before], tmp_path)
    finally:
        monitor.send_signal(signal.SIGTERM)
        monitor.communicate(timeout=60)
    assert ending_now.returncode == 2 and ending_now.stderr.count("\n") == 1
    err = ending_now.stderr
    assert f"--db {db} is the database the running monitor logs to" in err
    assert f"monitoring since {datetime.fromtimestamp(since):%Y-%m-%d %H:%M:%S}" in err
    assert "give a --start up to " in err
    assert "logged to " in earlier
    with closing(sqlite3.connect(db)) as conn:
        spans = conn.execute("SELECT start, end, source FROM spans ORDER BY start").fetchall()
    assert {s for _, _, s in spans} == {"webcam:0", str(demo_stream_path())}
    assert all(b[0] >= a[1] - 1e-6 for a, b in zip(spans, spans[1:]))  # no second twice


def _fill(pipe_end: int) -> int:
    """Fill a pipe to the brim (the next write to it waits until it is read); return
    how many bytes that took."""
    os.set_blocking(pipe_end, False)
    filled = 0
    try:
        while True:
            filled += os.write(pipe_end, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(pipe_end, True)
    return filled


def _writing_to_a_full_pipe(pid: int, timeout: float = 30) -> None:
    """Wait until process ``pid`` waits to write to a full pipe (Linux says so in
    /proc/PID/wchan); where that cannot be read, wait ``timeout`` instead."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if "pipe_write" in Path(f"/proc/{pid}/wchan").read_text():
                return
        except OSError:
            pass
        time.sleep(0.05)


def test_two_replays_into_one_database_at_once_log_its_time_once(tmp_path: Path) -> None:
    """Two replays of the same time into one database, the second started while the
    first had checked that the time was not logged yet but not written it: both found
    nothing logged, and both logged it (every span twice). The second now
    waits for the first, saying so, and is then refused as when run after it.

    The first is held between its check and its first write by its standard output, a
    pipe kept full until the second has been started (its first line comes after the
    check, before the database is opened)."""
    db = tmp_path / "posture.sqlite3"
    start = "2026-11-30T09:00:00"
    argv = [sys.executable, "-m", "posture_guard", "replay", "--landmarks",
            str(demo_stream_path()), "--calibrate-seconds", "20", "--db", str(db),
            "--start", start]  # fmt: skip
    env = {**os.environ, "POSTURE_GUARD_HOME": str(tmp_path / "home"), "PYTHONUNBUFFERED": "1"}
    read_end, write_end = os.pipe()
    filler = _fill(write_end)
    first_err, second_err = tmp_path / "first.err", tmp_path / "second.err"
    with open(first_err, "w") as err:
        first = subprocess.Popen(argv, env=env, stdout=write_end, stderr=err)
    os.close(write_end)
    second: Optional[subprocess.Popen[str]] = None
    try:
        _writing_to_a_full_pipe(first.pid)
        with open(second_err, "w") as err:
            second = subprocess.Popen(argv, env=env, text=True, stdout=subprocess.PIPE, stderr=err)
        deadline = time.monotonic() + 60
        while second.poll() is None and time.monotonic() < deadline:
            if any("waiting for it" in f.read_text() for f in (first_err, second_err)):
                break  # one waits for the other
            time.sleep(0.1)  # or the second logs (as it did) and ends
        with os.fdopen(read_end, "rb") as drain:
            first_out = drain.read()[filler:].decode()  # to the first's end
        first_rc = first.wait(timeout=120)
        second_out, _ = second.communicate(timeout=120)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
    errs = first_err.read_text() + second_err.read_text()
    outs = first_out + second_out
    assert sorted([first_rc, second.returncode]) == [0, 2], errs
    assert outs.count(f"logged to {db}: ") == 1, outs
    assert "waiting for it to end, so that no time is logged there twice" in errs
    assert f"--db {db} already holds posture logged from " in errs
    with closing(sqlite3.connect(db)) as conn:
        spans = conn.execute("SELECT start, end FROM spans ORDER BY start").fetchall()
    assert spans and all(b[0] >= a[1] - 1e-6 for a, b in zip(spans, spans[1:]))
    assert not list(tmp_path.glob("*.lock"))  # no lock file is left beside it
