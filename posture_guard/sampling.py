"""Adaptive sampling: analyse a frame every few seconds while the posture is steady, and
several times a second right after something changes.

One MediaPipe Pose frame costs about 20 ms of CPU, and grabbing and decoding it a few ms
more. At a steady interval of 3.5 s that is about 1,030 frames an hour; each sign of change
(the first frame that disagrees with the current state, a state change, the person coming
back) adds ``settle`` seconds of frames at the fast interval, so that a change is still
confirmed within seconds. ``python -m benchmarks.bench_cost`` measures what this costs.
The policy is a pure function of what the decision saw, so it is tested with plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from .classify import Reading
from .states import Decision, PostureState


@dataclass(frozen=True)
class SamplingPolicy:
    steady: float = 3.5  # seconds between frames while nothing changes
    fast: float = 0.5  # seconds between frames while something is changing
    absent: float = 2.0  # nobody at the desk: look often enough to greet a return
    settle: float = 5.0  # stay fast this long after the last sign of change


@dataclass(frozen=True)
class SamplerState:
    last_change: float = float("-inf")


def next_interval(
    policy: SamplingPolicy, state: SamplerState, decision: Decision, reading: Reading
) -> tuple[SamplerState, float]:
    """How long to wait before the next frame, given what this frame showed."""
    t = decision.t
    # A frame that cuts the user off is no sign of change: it holds the state, unmeasured.
    unsettled = decision.changed or (reading.label is not decision.state and not reading.partial)
    if unsettled:
        state = SamplerState(last_change=t)
    if t - state.last_change < policy.settle:
        return state, policy.fast
    if decision.state is PostureState.ABSENT:
        return state, policy.absent
    return state, policy.steady
