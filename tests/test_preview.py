"""The calibration preview: landmarks drawn on the live picture, on screen only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posture_guard import preview
from posture_guard.cli import main
from posture_guard.landmarks import LEFT_SHOULDER, NOSE


def _landmarks() -> np.ndarray:
    lm = np.zeros((33, 4))
    lm[:, :2] = 0.5
    lm[NOSE, :2] = (0.25, 0.25)
    lm[LEFT_SHOULDER, :2] = (0.75, 0.75)
    return lm


def test_draw_marks_the_landmarks_on_a_copy() -> None:
    image = np.zeros((200, 200, 3), np.uint8)
    out = preview.draw(image, _landmarks(), "hold still")
    assert image.sum() == 0  # the caller's frame is untouched
    assert tuple(out[50, 50]) == preview.GREEN  # the nose
    assert tuple(out[150, 150]) == preview.GREEN  # the left shoulder
    nobody = preview.draw(image, None, "hold still")
    assert nobody[50, 50].sum() == 0 and nobody[:40].sum() > 0  # caption only


def test_no_display_means_no_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(preview.sys, "platform", "linux")
    assert not preview.display_available()


def _dead_display() -> str:
    """A display name no X server answers to (no socket for it in /tmp/.X11-unix)."""
    for n in range(4000 + os.getpid() % 1000, 6000):
        if not Path(f"/tmp/.X11-unix/X{n}").exists():
            return f":{n}"
    pytest.skip("no free display number")


def test_calibrate_without_a_usable_display_goes_on_without_the_preview(
    grace_hopper: Path, tmp_path: Path
) -> None:
    """A DISPLAY left from an ssh session, or a Wayland session without XWayland, named a
    display OpenCV's Qt could not open: Qt aborted the process (SIGABRT, exit 134) and the
    calibration was lost. Run as a child process, since that abort would end pytest."""
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env.update(DISPLAY=_dead_display(), POSTURE_GUARD_HOME=str(tmp_path / "home"))
    env["PYTHONPATH"] = str(Path(preview.__file__).resolve().parents[1])  # the code under test
    args = ["calibrate", "--video", str(grace_hopper), "--seconds", "4", "--profile", "p"]
    done = subprocess.run([sys.executable, "-m", "posture_guard.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "without a preview window" in done.stdout
    assert (tmp_path / "home" / "config" / "profiles" / "p.json").exists()


def test_a_display_set_but_unreachable_is_no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preview.sys, "platform", "linux")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", _dead_display())
    assert not preview.display_available()


@pytest.fixture
def xvfb(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A virtual X display of its own, ready before the test starts: Xvfb picks a free
    display number and writes it to a pipe once it accepts clients (-displayfd). A fixed
    wait raced a slow start on a busy machine, and a number of our choosing could be taken."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (Debian package xvfb)")
    ready, write = os.pipe()
    log = tmp_path / "xvfb.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
    os.close(write)
    with os.fdopen(ready) as pipe:
        number = pipe.readline().strip()  # blocks until ready, or "" if Xvfb ended
    if not number:
        proc.wait(timeout=30)
        said = log.read_text(errors="replace").strip()
        pytest.fail(f"Xvfb is installed but did not start (status {proc.returncode}): {said}")
    display = f":{number}"
    monkeypatch.setenv("DISPLAY", display)
    yield display
    proc.terminate()
    proc.wait(timeout=5)


def test_calibrate_shows_the_preview_on_a_display_and_writes_no_image(
    xvfb: str, grace_hopper: Path, pg_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    real_show = preview.Preview.show

    def counting_show(self, image, landmarks, caption):
        shown.append(caption)
        real_show(self, image, landmarks, caption)
        assert self._cv2.getWindowProperty(preview.WINDOW, self._cv2.WND_PROP_VISIBLE) >= 1

    monkeypatch.setattr(preview.Preview, "show", counting_show)
    code = main(["calibrate", "--video", str(grace_hopper), "--seconds", "4", "--profile", "p"])
    assert code == 0
    assert len(shown) >= 8 and shown[0].startswith("sit upright")
    assert (pg_home / "config" / "profiles" / "p.json").exists()
    written = [p for p in pg_home.rglob("*") if p.is_file()]
    assert all(p.suffix in (".json", ".log") for p in written), written


def test_no_preview_flag_opens_no_window(
    xvfb: str, grace_hopper: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_a, **_k):
        raise AssertionError("a window was opened despite --no-preview")

    monkeypatch.setattr(preview.Preview, "__init__", fail)
    args = ["calibrate", "--video", str(grace_hopper), "--seconds", "4", "--no-preview"]
    assert main(args) == 0


_CLOSE_BY_HAND = """
import sys
import cv2, numpy as np
sys.path.insert(0, sys.argv[1])
from x11_close import close_window
from posture_guard import preview

def visible():
    try:
        return cv2.getWindowProperty(preview.WINDOW, cv2.WND_PROP_VISIBLE)
    except cv2.error:
        return -1.0

p = preview.Preview()
picture = np.full((240, 320, 3), 128, np.uint8)
for _ in range(5):
    p.show(picture, None, "sit upright")
shown = visible()
asked = close_window(preview.WINDOW)
for _ in range(50):  # let the close reach the window
    cv2.waitKey(10)
    if visible() < 1:
        break
closed = visible()
for _ in range(5):  # the calibration's next frames
    p.show(picture, None, "sit upright")
    cv2.waitKey(10)
print(shown, asked, closed, visible(), p.shown)
p.close()
"""


def test_a_preview_closed_with_its_close_button_stays_closed(xvfb: str, tmp_path: Path) -> None:
    """Closed with the window's close button, the preview opened again at the next frame
    (imshow makes the window anew), so the camera's picture of the user came back on
    screen as often as it was closed. In a child process: Qt stays bound to the first
    display it opens, and this test's Xvfb ends with the test."""
    env = {**os.environ, "PYTHONPATH": str(Path(preview.__file__).resolve().parents[1])}
    tests = str(Path(__file__).resolve().parent)
    done = subprocess.run([sys.executable, "-c", _CLOSE_BY_HAND, tests], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    shown, asked, closed, after, frames = done.stdout.split()
    assert float(shown) >= 1 and int(asked) == 1 and float(closed) < 1  # really closed
    assert float(after) < 1  # not shown again
    assert int(frames) == 5  # only the frames before it was closed were drawn


_SAVE_BY_HAND = """
import json, sys
import cv2, numpy as np
sys.path.insert(0, sys.argv[1])
from x11_close import press_keys, window_size, window_titles
from posture_guard import preview

p = preview.Preview()
picture = np.full((240, 320, 3), 128, np.uint8)
for _ in range(5):
    p.show(picture, None, "sit upright")
print(*window_size(preview.WINDOW), flush=True)
pressed = press_keys(preview.WINDOW, "Control_L", "s")
for _ in range(50):  # the calibration's next frames: a save dialog, modal, would hold them
    p.show(picture, None, "sit upright")
    cv2.waitKey(10)
print(pressed, p.shown, json.dumps(window_titles()))
p.close()
"""


def test_the_preview_window_has_no_way_to_save_the_picture(xvfb: str, tmp_path: Path) -> None:
    """OpenCV's Qt window came with a toolbar whose "Save current image" (Ctrl+S, and its
    right-click menu) wrote the camera's picture of the user to a file, a preview README
    says is on screen only, never saved: the window is the picture alone, and Ctrl+S in it
    opens no save dialog (it opened one, which held the calibration until answered)."""
    env = {**os.environ, "PYTHONPATH": str(Path(preview.__file__).resolve().parents[1])}
    tests = str(Path(__file__).resolve().parent)
    run = tmp_path / "run"
    run.mkdir()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _SAVE_BY_HAND, tests],
            env=env,
            cwd=run,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the preview stopped after Ctrl+S (a save dialog?): {exc.stdout!r}")
    assert done.returncode == 0, done.stderr[-2000:]
    size, rest = done.stdout.splitlines()
    assert size == "320 240"  # the picture alone: no toolbar, no status bar around it
    pressed, frames, titles = rest.split(" ", 2)
    assert int(pressed) == 1 and int(frames) == 55
    assert not any("Save" in t for t in json.loads(titles)), titles
    assert list(run.iterdir()) == []  # nothing written where it ran
