"""The live preview: the camera picture with the landmarks drawn, in a window on screen.

Shown only when the user asks for it (``calibrate`` does unless ``--no-preview``) and only
where a display exists. The picture goes to the screen and nowhere else: nothing here
writes a file. The drawing itself is a pure function, so it is tested without a screen.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Optional

import numpy as np

from .landmarks import (
    LEFT_EAR,
    LEFT_EYE,
    LEFT_SHOULDER,
    NOSE,
    RIGHT_EAR,
    RIGHT_EYE,
    RIGHT_SHOULDER,
)

WINDOW = "posture-guard preview"
POINTS = (NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR, LEFT_SHOULDER, RIGHT_SHOULDER)
LINES = ((LEFT_EAR, RIGHT_EAR), (LEFT_SHOULDER, RIGHT_SHOULDER), (LEFT_EAR, LEFT_SHOULDER),
         (RIGHT_EAR, RIGHT_SHOULDER))  # fmt: skip
GREEN, YELLOW, WHITE = (80, 200, 80), (0, 210, 255), (255, 255, 255)


#: What the child process of :func:`display_available` runs: open a window, close it.
_PROBE = "import cv2; cv2.namedWindow('probe'); cv2.waitKey(1); cv2.destroyAllWindows()"
#: A display that has not opened a window in this long is not one to calibrate on.
PROBE_TIMEOUT = 15.0


def display_available() -> bool:
    """Whether a window can be shown (on Linux: a display is set and a window opens on it).

    A display name alone is not enough: OpenCV's wheel draws with Qt on X11, and Qt
    aborts the whole process (no Python exception to catch) when it cannot open the
    display, as with a DISPLAY left from an ssh session or a Wayland session without
    XWayland. So a window is tried in a child process first, once per calibration.
    """
    if sys.platform.startswith("linux"):
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return False
        return _window_opens()
    return True


def _window_opens() -> bool:
    """Whether a child process can open (and close) an OpenCV window."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=PROBE_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def draw(image: np.ndarray, landmarks: Optional[np.ndarray], caption: str) -> np.ndarray:
    """A copy of ``image`` with the head and shoulder landmarks and a caption drawn on it."""
    import cv2

    out = image.copy()
    h, w = out.shape[:2]
    if landmarks is not None:
        px = {i: (int(landmarks[i, 0] * w), int(landmarks[i, 1] * h)) for i in POINTS}
        for a, b in LINES:
            cv2.line(out, px[a], px[b], YELLOW, 2, cv2.LINE_AA)
        for i in POINTS:
            cv2.circle(out, px[i], 5, GREEN, -1, cv2.LINE_AA)
    else:
        caption = f"{caption} - nobody found"
    cv2.putText(out, caption, (10, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.7, WHITE, 2, cv2.LINE_AA)
    return out


class Preview:
    """A window showing each analysed frame; closing it (or pressing q) only hides it,
    for the rest of the calibration: the calibration goes on without it."""

    def __init__(self) -> None:
        import cv2

        self._cv2 = cv2
        # GUI_NORMAL: a plain window. OpenCV's Qt window otherwise has a toolbar whose
        # "Save current image", its Ctrl+S and its right-click menu write the picture of
        # the user to a file, a preview that is on screen only (as README says) must not
        cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        self.shown = 0
        self.open = True

    def show(self, image: np.ndarray, landmarks: Optional[np.ndarray], caption: str) -> None:
        if not self.open:
            return
        if self.shown and not self._visible():
            # closed with the window's own close button: imshow would open it again at
            # the next frame, and the camera's picture of the user came back on screen
            # (a screen being shared, say) as often as it was closed
            self.close()
            return
        self._cv2.imshow(WINDOW, draw(image, landmarks, caption))
        self.shown += 1
        if self._cv2.waitKey(1) & 0xFF in (ord("q"), 27):
            self.close()

    def _visible(self) -> bool:
        """Whether the window is still on screen (not closed by the user)."""
        try:
            return self._cv2.getWindowProperty(WINDOW, self._cv2.WND_PROP_VISIBLE) >= 1
        except self._cv2.error:  # no window left at all
            return False

    def close(self) -> None:
        if self.open:
            self._cv2.destroyWindow(WINDOW)
            self._cv2.waitKey(1)
            self.open = False
