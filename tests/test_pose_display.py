"""The monitor keeps no connection to the desktop's display.

Why: where ``DISPLAY`` is set (every desktop login), MediaPipe opened a connection to
the X server as it built its graph (libEGL, for a GPU the CPU pose graph never uses)
and kept it for the monitor's whole run: a socket to the display, which can read the
screen and the keyboard, that the privacy promise leaves out, and which the Python
audit hook of test_privacy cannot see (it is opened from C). Xvfb stands in for the
desktop's display, and the real monitor loop (MediaPipe on a real photo, only the
webcam faked) runs in a process of its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import x11_close
from tests.cli_run import posture_guard_ok
from tests.test_preview import xvfb  # noqa: F401  (the fixture)

TESTS = Path(__file__).resolve().parent


def _peers(pid: int) -> set[str]:
    """The inodes at the far end of each unix socket of process ``pid`` (``ss -xp``)."""
    out = subprocess.run(["ss", "-xpn"], capture_output=True, text=True, timeout=30).stdout
    return {ln.split()[7] for ln in out.splitlines() if f"pid={pid}," in ln}


def _own(name: str) -> set[str]:
    """The inodes of the unix sockets held by processes called ``name``."""
    out = subprocess.run(["ss", "-xpn"], capture_output=True, text=True, timeout=30).stdout
    return {ln.split()[5] for ln in out.splitlines() if f'(("{name}"' in ln}


def test_the_running_monitor_holds_no_connection_to_the_x_display(
    xvfb: str,  # noqa: F811
    grace_hopper: Path,
    tmp_path: Path,
) -> None:
    if shutil.which("ss") is None:
        pytest.skip("ss (Debian package iproute2) is not installed")
    home = tmp_path / "pg"
    env = {**os.environ, "POSTURE_GUARD_HOME": str(home), "HOME": str(tmp_path / "home")}
    assert env["DISPLAY"] == xvfb
    monitor = subprocess.Popen(
        [sys.executable, str(TESTS / "fake_camera.py"), str(grace_hopper)],
        env=env,
        cwd=TESTS.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while "camera: in use" not in posture_guard_ok(["status"], home):
            assert monitor.poll() is None and time.monotonic() < deadline
            time.sleep(1)
        # what a connection to the display looks like: this test's own, held meanwhile
        x, display = x11_close._open()
        try:
            server = _own("Xvfb")
            assert _peers(os.getpid()) & server
            assert _peers(monitor.pid) & server == set()
        finally:
            x.XCloseDisplay(display)
        monitor.send_signal(signal.SIGTERM)
        _, err = monitor.communicate(timeout=30)
    finally:
        if monitor.poll() is None:
            monitor.kill()
            monitor.wait()
    assert monitor.returncode == 0 and "Traceback" not in err, err


def test_the_display_is_there_again_for_a_preview_once_the_model_is_built(
    xvfb: str,  # noqa: F811
) -> None:
    # calibrate builds the model, then opens its preview window on the display
    from posture_guard.pose import MediaPipePose

    with MediaPipePose():
        assert os.environ["DISPLAY"] == xvfb
