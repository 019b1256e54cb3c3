"""The one interface to the pose model: an RGB frame in, 33 landmarks (or None) out.

Only this module imports MediaPipe. It uses ``mp.solutions.pose`` from mediapipe 0.10.21,
whose wheel carries the pose models, with ``model_complexity=1`` (the only bundled one; 0
and 2 would download at run time, which posture_guard never allows). A future backend on
MediaPipe's Tasks API only has to implement :class:`LandmarkDetector`.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Optional, Protocol

import numpy as np

from .capture import NativeStderrHeld, reusable_sink
from .errors import UserError
from .landmarks import N_LANDMARKS

MODEL_COMPLEXITY = 1  # the only complexity bundled in the 0.10.21 wheel


class LandmarkDetector(Protocol):
    def detect(self, image_bgr: np.ndarray) -> Optional[np.ndarray]:
        """33 x [x, y, z, visibility] for the most prominent person, or None."""

    def close(self) -> None: ...


class _Deferred(types.ModuleType):
    """Stands in for a module while MediaPipe is imported, and imports the real one the
    first time anything of it is used (never, in posture_guard's use of MediaPipe)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        real = importlib.import_module(self.__name__)
        if real is self:  # still standing in: the import has not finished
            raise AttributeError(name)
        return getattr(real, name)


def import_mediapipe() -> types.ModuleType:
    """``mediapipe``, without the ``matplotlib.pyplot`` that its ``drawing_utils`` imports
    at import time for ``plot_landmarks``, a 3-D plot posture_guard never draws.

    That import was a tenth of the monitor's memory (about 33 MB of 317 MB, measured
    with ``python -m benchmarks.bench_cost`` on mediapipe 0.10.21 and matplotlib 3.11):
    stand-ins take matplotlib's place while mediapipe loads and are taken out of
    ``sys.modules`` afterwards, so the reports' own ``import matplotlib`` is the real one.
    Where matplotlib is loaded already, it is used as it is.

    Nor the ``sounddevice`` that its audio tasks import at import time, to record from a
    microphone: importing it starts PortAudio, which enumerates the machine's sound
    cards and connects to the sound servers (JACK, PulseAudio through ALSA), on every
    machine that has PortAudio (its wheels bring it on macOS and Windows). A posture
    coach has no business with the microphone, and the audio servers' sockets are
    connections the privacy promise does not allow. Blocked (``None`` in
    ``sys.modules``), it is an ImportError, which MediaPipe takes as "no audio".
    """
    stand_ins: dict[str, Optional[types.ModuleType]] = {}
    if "sounddevice" not in sys.modules:
        stand_ins["sounddevice"] = None
    if "matplotlib" not in sys.modules:
        stand_ins["matplotlib"] = _Deferred("matplotlib")
    if "matplotlib.pyplot" not in sys.modules:
        stand_ins["matplotlib.pyplot"] = _Deferred("matplotlib.pyplot")
        if "matplotlib" in stand_ins:
            stand_ins["matplotlib"].pyplot = stand_ins["matplotlib.pyplot"]  # type: ignore[attr-defined]
    sys.modules.update(stand_ins)
    try:
        return importlib.import_module("mediapipe")
    finally:
        for name, module in stand_ins.items():
            if name in sys.modules and sys.modules[name] is module:
                del sys.modules[name]


class MediaPipePose:
    """MediaPipe Pose in tracking mode (or single-image mode with ``static_image=True``)."""

    def __init__(self, static_image: bool = False):
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            import cv2

            mp = import_mediapipe()
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise UserError(
                f"MediaPipe is not installed ({exc}); reinstall posture-guard"
            ) from None
        self._cv2 = cv2
        with _routine_lines_held(), _no_display():
            self._pose = mp.solutions.pose.Pose(
                static_image_mode=static_image,
                model_complexity=MODEL_COMPLEXITY,
                smooth_landmarks=True,
                enable_segmentation=False,
                min_detection_confidence=0.5,
                min_tracking_confidence=0.5,
            )
            # The graph opens its models on threads of its own once started: wait for
            # them, so their lines are written while descriptor 2 is still held.
            graph = getattr(self._pose, "_graph", None)
            if graph is not None:
                graph.wait_until_idle()
        self._sink = reusable_sink()  # where detect() holds descriptor 2

    def detect(self, image_bgr: np.ndarray) -> Optional[np.ndarray]:
        rgb = self._cv2.cvtColor(image_bgr, self._cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        # Every frame, not only the first: a calculator warns the first time its path
        # runs, which is the first frame with a person in it ("landmark_projection_
        # calculator.cc:186] Using NORM_RECT without IMAGE_DIMENSIONS ..." reached the
        # terminal mid-replay of a clip that opened on an empty chair).
        with _routine_lines_held(self._sink):
            result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            return None
        pts = result.pose_landmarks.landmark
        out = np.array([[p.x, p.y, p.z, p.visibility] for p in pts], dtype=float)
        return out if out.shape == (N_LANDMARKS, 4) else None

    def close(self) -> None:
        self._pose.close()
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def __enter__(self) -> MediaPipePose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: what names the desktop's display to a library (X11, Wayland)
DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY")


@contextmanager
def _no_display() -> Iterator[None]:
    """Hide the desktop's display from MediaPipe while it builds its graph.

    Why: where ``DISPLAY`` is set, building the graph opens a connection to the X server
    (libEGL, for a GPU the CPU pose graph never uses) and keeps it for the monitor's whole
    run, a session long: a socket to the display, which can read the screen and the
    keyboard, that the privacy promise leaves out (the Python audit hook of
    tests/test_privacy.py does not see a socket opened from C). Found with Xvfb: the
    monitor kept it after the display was gone (a logout), without a crash or a hang.
    Set back at once, so a preview window (``calibrate``) still opens on the display."""
    saved = {name: os.environ.pop(name) for name in DISPLAY_VARIABLES if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


# What MediaPipe writes as routine, at the start of a line: absl's INFO and WARNING lines
# ("W0000 00:00:1796173247.053593   23916 landmark_projection_calculator.cc:186] ..."),
# TensorFlow Lite's ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.") and
# absl's notice that it logs to stderr ("WARNING: All log messages before ...").
_ROUTINE = re.compile(rb"[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] |INFO: |WARNING: ")


@contextmanager
def _routine_lines_held(sink: Optional[IO[bytes]] = None) -> Iterator[None]:
    """Hold descriptor 2 meanwhile and pass on all but MediaPipe's routine lines.

    MediaPipe writes from C++ straight to descriptor 2, past Python and GLOG_minloglevel
    (absl's logging reads no environment): around a user's one-line message its INFO
    and WARNING lines read as failures. Its ERROR and FATAL lines ("E1202 ...",
    "F1202 ... Check failed: ...", TensorFlow Lite's "ERROR: ...") and anything else
    written meanwhile, our own lines included, are passed on as written once the call
    returns or raises, so a graph that fails says why before the exception. Only a C++
    abort inside the call loses what it wrote (the process ends with the descriptor held).
    """
    held = NativeStderrHeld(sink)
    try:
        with held:
            yield
    finally:
        held.pass_on(drop=_ROUTINE)
