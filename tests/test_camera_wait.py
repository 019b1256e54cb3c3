"""A monitor started at login on a machine with no webcam yet waits for one.

Why: it exited with 75 ("try again later") and the systemd unit started it again every
30 s all session long: about 0.8 CPU-s of Python and imports per start, two journal
lines, for nothing, on a laptop whose USB camera or dock never came. The login entry now
runs ``run --wait-for-camera``, which looks for a camera every 10 s without loading the
pose model, says so in `status`, and starts monitoring once one is plugged in.
"""

from __future__ import annotations

import io
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from posture_guard import autostart, cli, paths, service
from tests.cli_run import monitor_process, posture_guard, posture_guard_ok, stop_cleanly

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_camera import FakeClock, StreamCamera  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _no_webcam_here() -> None:
    from posture_guard.capture import no_camera_on_this_machine

    if not no_camera_on_this_machine():
        pytest.skip("this machine has a camera device (or is not Linux)")


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_the_login_entry_runs_the_monitor_that_waits_for_a_camera() -> None:
    for argv in (autostart.command("/x/python"), autostart.command("/x/py", "desk", 1)):
        assert argv[-1] == "--wait-for-camera"
        assert cli.build_parser().parse_args(argv[3:]).wait_for_camera


def test_a_monitor_with_no_camera_waits_for_one_says_so_in_status_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    _no_webcam_here()
    home = tmp_path / "pg"
    env = {
        **os.environ,
        "POSTURE_GUARD_HOME": str(home),
        "HOME": str(tmp_path / "home"),
        "PYTHONUNBUFFERED": "1",
    }
    with monitor_process(["run", "--wait-for-camera"], env=env, cwd=ROOT) as proc:
        lines = [proc.stdout.readline() for _ in range(2)]  # the calibration note first
        said = "no camera at index 0 yet: waiting for a camera to be plugged in"
        assert any(said in line for line in lines), lines
        assert proc.poll() is None  # not exited with 75, to be started again in 30 s
        status = posture_guard_ok(["status"], home)
        assert f"monitor: running (pid {proc.pid})" in status
        assert "camera: unavailable (waiting for a camera to be plugged in" in status
        # waiting costs next to nothing, and the pose model is not loaded meanwhile
        before = _cpu_seconds(proc.pid)
        time.sleep(3)
        assert _cpu_seconds(proc.pid) - before < 0.1
        maps = Path(f"/proc/{proc.pid}/maps").read_text()
        assert "mediapipe" not in maps
        stop_cleanly(proc)
    status = posture_guard_ok(["status"], home)
    assert "monitor: running" not in status and "waiting for a camera" not in status


def test_a_monitor_refused_for_good_says_so_at_once_without_waiting(tmp_path: Path) -> None:
    # a broken config is refused (2, not started again) before any wait: at login the
    # journal says why at once, not once a camera comes
    _no_webcam_here()
    home = tmp_path / "pg"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('[coach]\nquiet_hours = "late"\n')
    done = posture_guard(["run", "--wait-for-camera"], home, capture_output=True, timeout=60)
    assert done.returncode == 2 and "quiet_hours" in done.stderr, done.stderr
    assert "waiting" not in done.stdout + done.stderr


def test_a_camera_plugged_in_while_it_waits_is_found_within_10_s_and_monitored(
    pg_home: Path,
) -> None:
    from posture_guard.monitor import demo_stream_path
    from posture_guard.store import Store

    clock = FakeClock(stop_at=1000.0 + 95 + 60)
    looked: list[float] = []

    def absent() -> bool:  # plugged in 95 s after the start
        looked.append(clock.t - 1000.0)
        return clock.t - 1000.0 < 95

    camera = StreamCamera(demo_stream_path(), clock)
    out = io.StringIO()
    args = cli.build_parser().parse_args(["run", "--wait-for-camera"])
    code = service.run(
        args,
        lambda session, coach: cli.session_sinks(args, session, coach),
        open_camera=camera.open,
        detector=camera,
        clock=clock,
        sleep=clock.sleep,
        install_signals=False,
        start=datetime(2026, 11, 25, 9, 0),
        out=out,
        screen=service.ScreenLockProbe(runner=lambda argv: None),
        camera_absent=absent,
    )
    assert code == 0
    gaps = [b - a for a, b in zip(looked, looked[1:])]
    assert gaps and all(g == pytest.approx(10.0) for g in gaps)
    assert 95 <= looked[-1] < 105  # found at the first look after it came
    said = out.getvalue()
    assert "waiting for a camera" in said and "a camera is there now" in said
    with Store.open(paths.database_file()) as store:
        spans = store.spans(0, 2e10)
    assert spans and sum(s.end - s.start for s in spans) > 30  # monitored after it came
