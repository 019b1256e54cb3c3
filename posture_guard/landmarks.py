"""The things that flow from the camera side to the posture side: numbers, not pixels.

A :class:`Sample` is one analysed frame: a time and MediaPipe Pose's 33 landmarks, or
``None`` when no person was found. A :class:`StreamHeader` carries the frame size, which
is needed to turn normalized coordinates back into true proportions (x is a fraction of
the width, y of the height, so a 16:9 frame stretches x).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

N_LANDMARKS = 33
N_VALUES = 4  # x, y, z, visibility

# MediaPipe Pose landmark indices used by posture_guard. "Left" is the person's left.
NOSE = 0
LEFT_EYE_INNER, LEFT_EYE, LEFT_EYE_OUTER = 1, 2, 3
RIGHT_EYE_INNER, RIGHT_EYE, RIGHT_EYE_OUTER = 4, 5, 6
LEFT_EAR, RIGHT_EAR = 7, 8
MOUTH_LEFT, MOUTH_RIGHT = 9, 10
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_ELBOW, RIGHT_ELBOW = 13, 14
LEFT_HIP, RIGHT_HIP = 23, 24


@dataclass(frozen=True)
class StreamHeader:
    """First line of a landmark stream: the frame geometry and nominal rate."""

    image_width: int
    image_height: int
    fps: float
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def aspect(self) -> float:
        """Width over height: multiply normalized x by this to compare it with y."""
        return self.image_width / self.image_height


@dataclass(frozen=True)
class Sample:
    """One analysed frame: ``landmarks`` is a (33, 4) float array, or None (nobody)."""

    t: float
    landmarks: Optional[np.ndarray]

    @property
    def present(self) -> bool:
        return self.landmarks is not None
