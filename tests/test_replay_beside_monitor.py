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
