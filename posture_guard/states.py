"""Posture states and the decision record every consumer (coach, store, states file) reads.

The names are the contract of docs/landmark-stream.md ("Posture states"): ``good``,
``forward_head`` and ``absent`` are required; ``raised_shoulders`` and ``head_tilt`` are
posture_guard's own additions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class PostureState(str, Enum):
    GOOD = "good"
    FORWARD_HEAD = "forward_head"
    RAISED_SHOULDERS = "raised_shoulders"
    HEAD_TILT = "head_tilt"
    ABSENT = "absent"

    def __str__(self) -> str:  # print as the bare name used in files
        return self.value

    @property
    def is_bad(self) -> bool:
        """A posture fault the coach may speak about (absent is not a fault)."""
        return self in (
            PostureState.FORWARD_HEAD,
            PostureState.RAISED_SHOULDERS,
            PostureState.HEAD_TILT,
        )


@dataclass(frozen=True)
class Decision:
    """The smoothed posture state at stream time ``t`` and the metrics behind it.

    ``metrics`` holds the frame's scale-free metrics (see features.Metrics) as plain
    finite floats (a measure the frame could not take is absent), empty when nobody was
    in view. ``changed`` is True on the first decision
    and whenever the state differs from the previous decision. ``cut_off``: the user was
    in view but the frame edge cut them off (face or shoulders out of the picture), so the
    posture was not judged and ``state`` is the one held from before; the log keeps this
    time apart, so a summary can say how much of a day was held rather than seen.
    """

    t: float
    state: PostureState
    metrics: dict[str, float] = field(default_factory=dict)
    changed: bool = False
    cut_off: bool = False
