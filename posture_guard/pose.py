"""The one interface to the pose model: an RGB frame in, 33 landmarks (or None) out.

Only this module imports MediaPipe. It uses ``mp.solutions.pose`` from mediapipe 0.10.21,
whose wheel carries the pose models, with ``model_complexity=1`` (the only bundled one; 0
and 2 would download at run time, which posture_guard never allows). A future backend on
MediaPipe's Tasks API only has to implement :class:`LandmarkDetector`.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional, Protocol

import numpy as np

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
    """
    stand_ins: dict[str, types.ModuleType] = {}
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
            if sys.modules.get(name) is module:
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
        with _quiet_stderr():
            self._pose = mp.solutions.pose.Pose(
                static_image_mode=static_image,
                model_complexity=MODEL_COMPLEXITY,
                smooth_landmarks=True,
                enable_segmentation=False,
                min_detection_confidence=0.5,
                min_tracking_confidence=0.5,
            )
            # The graph opens its models on threads of its own once started: wait for
            # them, so their lines are written while descriptor 2 is still silenced.
            graph = getattr(self._pose, "_graph", None)
            if graph is not None:
                graph.wait_until_idle()
        self._started = False  # the first frame runs more of the graph: silenced too

    def detect(self, image_bgr: np.ndarray) -> Optional[np.ndarray]:
        rgb = self._cv2.cvtColor(image_bgr, self._cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        if self._started:
            result = self._pose.process(rgb)
        else:
            with _quiet_stderr():
                result = self._pose.process(rgb)
            self._started = True
        if result.pose_landmarks is None:
            return None
        pts = result.pose_landmarks.landmark
        out = np.array([[p.x, p.y, p.z, p.visibility] for p in pts], dtype=float)
        return out if out.shape == (N_LANDMARKS, 4) else None

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> MediaPipePose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to the null device meanwhile.

    MediaPipe's graph, as it starts and on its first frame, writes INFO and WARNING lines
    from C++ (TensorFlow Lite's CPU delegate, absl's log notice, calculator warnings)
    straight to descriptor 2, past Python and GLOG_minloglevel: around a user's one-line
    message they read as failures. A failure still reaches Python as an exception, raised
    once the descriptor is back (only a C++ abort meanwhile would lose its line).
    """
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no descriptor 2 to silence
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
