"""The posture decision: pure functions from metrics and a baseline to a posture state.

Two stages, both free of I/O and clocks (time is the stream time passed in):

1. :func:`assess` judges one frame against the user's baseline and gives a
   :class:`Reading`: an instantaneous label plus the evidence behind it. It knows the
   nuisances that look like a slump but are not one: looking down at the keyboard (the
   nose drops below the ear line, the ears do not sink), looking aside (the nose moves
   across the face), leaning in or back (everything scales together, the ratios do not
   change), a shrug (the shoulders rise, the ears stay), a passer-by (a much smaller or
   displaced skeleton is not the calibrated user).
2. :func:`step` smooths the labels over time: each label has an exponentially weighted
   share of recent samples (time constant ``tau``), and the state only changes when a
   label holds most of that share. That is the hold time and the hysteresis in one rule,
   and it works with irregular sampling because the weights use the real time gaps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Optional

from .features import Metrics
from .states import Decision, PostureState

#: The metrics a baseline records (medians and spreads of upright sitting).
BASELINE_KEYS = (
    "ear_gap",
    "eye_gap",
    "face_width",
    "pitch",
    "yaw",
    "roll",
    "shoulder_tilt",
    "shoulder_y",
    "ear_y",
    "center_x",
    "shoulder_width",
)
#: Where the person sits in the frame: only known after calibration.
POSITION_KEYS = ("shoulder_y", "ear_y", "center_x", "shoulder_width")


@dataclass(frozen=True)
class Baseline:
    """A user's upright posture at one desk: robust centre and spread of each metric.

    ``calibrated`` is False for the population defaults, which carry no position in the
    frame (no one knows where an uncalibrated camera sees the shoulders).
    """

    median: dict[str, float]
    spread: dict[str, float] = field(default_factory=dict)
    samples: int = 0
    calibrated: bool = True

    def has_position(self) -> bool:
        return all(k in self.median for k in POSITION_KEYS)


#: Population defaults, used when the user has not calibrated. The face and gap ratios
#: are typical of a frontal webcam (MediaPipe on real upright webcam clips gives ear gaps
#: of 0.59-0.73); with these the decision is coarser, and says so.
POPULATION_BASELINE = Baseline(
    median={
        "ear_gap": 0.66,
        "eye_gap": 0.74,
        "face_width": 0.29,
        "pitch": 0.05,
        "yaw": 0.0,
        "roll": 0.0,
        "shoulder_tilt": 0.0,
    },
    samples=0,
    calibrated=False,
)


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds, as changes relative to the baseline.

    ``forward_head``: how far the forward-head evidence (relative loss of ear-to-shoulder
    height, plus the relative growth of the face as it nears the camera) must go.
    ``look_down`` / ``look_aside``: head pitch / yaw (in face widths) beyond which the ear
    height says nothing about the neck, so forward head is not judged from that frame.
    ``shrug``: rise of the shoulders in the frame, in baseline shoulder widths.
    ``tilt``: head roll in degrees. ``other_person_scale``: a skeleton whose shoulder
    width differs from the baseline by more than this factor is not the user.
    """

    forward_head: float = 0.10
    forward_head_uncalibrated: float = 0.16
    face_weight: float = 0.5
    look_down: float = 0.22
    look_aside: float = 0.25
    shrug: float = 0.045
    tilt: float = 11.0
    other_person_scale: float = 1.6
    other_person_shift: float = 0.35


@dataclass(frozen=True)
class Smoothing:
    """Temporal rules: ``tau`` seconds of memory and the share a label needs to win.

    Faults that are only a problem when held (tilt) use a longer memory. ``absent_tau``
    makes a person who leaves register within a few seconds while a single dropped frame
    never does.
    """

    tau: float = 2.5
    enter: float = 0.62
    tilt_tau: float = 6.0
    absent_tau: float = 2.5


@dataclass(frozen=True)
class Reading:
    """One frame judged against the baseline: the instantaneous label and its evidence."""

    label: PostureState
    present: bool
    is_user: bool = True
    gate: str = ""  # "look_down" / "look_aside" when forward head was not judged
    evidence: dict[str, float] = field(default_factory=dict)


def _rel(value: float, base: float) -> float:
    return value / base - 1.0 if base else 0.0


def assess(
    metrics: Optional[Metrics], baseline: Baseline, th: Thresholds = Thresholds()
) -> Reading:
    """Judge one frame. ``None`` metrics (nobody, or no usable upper body) read absent."""
    if metrics is None:
        return Reading(PostureState.ABSENT, present=False)
    b = baseline.median

    if baseline.has_position():
        scale = metrics.shoulder_width / b["shoulder_width"]
        shift = abs(metrics.center_x - b["center_x"]) / max(b["shoulder_width"], 1e-6)
        if (
            scale > th.other_person_scale
            or scale < 1 / th.other_person_scale
            or shift > th.other_person_shift * 4
        ):
            return Reading(PostureState.ABSENT, present=True, is_user=False)

    d_gap = _rel(metrics.ear_gap, b["ear_gap"])
    d_face = _rel(metrics.face_width, b["face_width"])
    d_pitch = metrics.pitch - b["pitch"]
    d_yaw = metrics.yaw - b["yaw"]
    d_roll = metrics.roll - b["roll"]
    fh = -d_gap + th.face_weight * d_face
    ev = {"fh": fh, "d_gap": d_gap, "d_face": d_face, "d_pitch": d_pitch, "d_yaw": d_yaw}
    ev["d_roll"] = d_roll

    gate = ""
    if abs(d_yaw) > th.look_aside:
        gate = "look_aside"
    elif d_pitch > th.look_down:
        gate = "look_down"

    shrug = 0.0
    if baseline.has_position():
        sw = b["shoulder_width"]
        rise = -(metrics.shoulder_y - b["shoulder_y"]) / sw  # shoulders up: positive
        sink = (metrics.ear_y - b["ear_y"]) / sw  # ears down: positive
        shrug = rise - max(0.0, sink)
        ev["rise"], ev["sink"] = rise, sink

    if not gate and abs(d_roll) > th.tilt:
        label = PostureState.HEAD_TILT
    elif shrug > th.shrug:
        label = PostureState.RAISED_SHOULDERS
    elif gate:
        label = PostureState.GOOD
    else:
        limit = th.forward_head if baseline.calibrated else th.forward_head_uncalibrated
        label = PostureState.FORWARD_HEAD if fh > limit else PostureState.GOOD
    return Reading(label, present=True, gate=gate, evidence=ev)


@dataclass(frozen=True)
class EngineState:
    """Everything :func:`step` remembers between frames."""

    state: Optional[PostureState] = None
    shares: tuple[tuple[PostureState, float], ...] = ()
    last_t: Optional[float] = None

    def share(self, label: PostureState) -> float:
        return dict(self.shares).get(label, 0.0)


def _tau(label: PostureState, sm: Smoothing) -> float:
    if label is PostureState.HEAD_TILT:
        return sm.tilt_tau
    if label is PostureState.ABSENT:
        return sm.absent_tau
    return sm.tau


def step(
    prev: EngineState,
    t: float,
    reading: Reading,
    metrics: Optional[Metrics] = None,
    sm: Smoothing = Smoothing(),
) -> tuple[EngineState, Decision]:
    """Fold one reading into the smoothed state; return the new state and its decision."""
    if prev.state is None:
        # First frame: start from good (or absent). A fault must earn its share over
        # time like any later change, so a session never opens with a false alarm.
        start = PostureState.GOOD if reading.present else PostureState.ABSENT
        prev = EngineState(state=start, shares=((start, 1.0),), last_t=t)
        first = True
    else:
        first = False
    dt = max(0.0, t - prev.last_t) if prev.last_t is not None else 0.0
    shares = dict(prev.shares)
    for label in PostureState:
        hit = 1.0 if label is reading.label else 0.0
        alpha = 1.0 - math.exp(-dt / _tau(label, sm)) if dt > 0 else 0.0
        shares[label] = shares.get(label, 0.0) + alpha * (hit - shares.get(label, 0.0))

    state = prev.state
    best = max(shares, key=lambda k: shares[k])
    if best is not state and shares[best] >= sm.enter:
        state = best
    changed = first or state is not prev.state
    values = metrics.as_dict() if metrics is not None else {}
    values.update({k: round(v, 4) for k, v in reading.evidence.items()})
    decision = Decision(t=t, state=state, metrics=values, changed=changed)
    new = EngineState(state=state, shares=tuple(shares.items()), last_t=t)
    return new, decision


class Decider:
    """Convenience wrapper holding the engine state for a loop: ``decide(t, metrics)``."""

    def __init__(
        self,
        baseline: Baseline,
        thresholds: Thresholds = Thresholds(),
        smoothing: Smoothing = Smoothing(),
    ):
        self.baseline = baseline
        self.thresholds = thresholds
        self.smoothing = smoothing
        self.engine = EngineState()
        self.last_reading: Optional[Reading] = None

    def decide(self, t: float, metrics: Optional[Metrics]) -> Decision:
        reading = assess(metrics, self.baseline, self.thresholds)
        self.last_reading = reading
        self.engine, decision = step(self.engine, t, reading, metrics, self.smoothing)
        return decision

    def reset(self) -> None:
        self.engine = replace(self.engine, state=None, shares=(), last_t=None)
