"""Adaptive sampling: analyse a frame every few seconds while the posture is steady, and
several times a second right after something changes.

One MediaPipe Pose frame costs about 20 ms of CPU, and grabbing and decoding it a few ms
more. At a steady interval of 3.5 s that is about 1,030 frames an hour; each sign of change
(a state change, or two frames in a row that disagree with the current state: a posture on
its way to changing, the person coming back) adds ``settle`` seconds of frames at the fast
interval, so that a change is still confirmed within seconds. A lone frame that disagrees
is looked at again at the fast interval first: landmark noise makes some 20-30 of a steady
sitter's frames an hour disagree, and a run of fast looks for each was an eighth of that
sitter's frames. Nobody at the desk is looked for every 2 s, to greet a quick return;
after a minute of nobody (lunch, a meeting) at the steady interval, which cuts an empty
desk's frames by some 40 %. ``python -m benchmarks.bench_cost`` measures what this costs.
The policy is a pure function of what the decision saw, so it is tested with plain numbers.

A run of fast looks that has not changed the state within ``max_fast`` seconds ends, and
the same disagreement earns no new run for ``rest`` seconds: frames the decision keeps
finding half-convincing (raised shoulders at 60 %, a forward head just under the entry
floor) would otherwise keep the sampler fast, at 7 times the steady cost, for as long as
the user sits so. A real change is confirmed well within ``max_fast``; a state change
always starts a new run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from .classify import Reading
from .states import Decision, PostureState


@dataclass(frozen=True)
class SamplingPolicy:
    steady: float = 3.5  # seconds between frames while nothing changes
    fast: float = 0.5  # seconds between frames while something is changing
    absent: float = 2.0  # nobody at the desk: look often enough to greet a return
    # Nobody there for this long (a meeting, lunch): look at the steady interval. A return
    # then shows within ``steady`` seconds plus the confirming looks, and an hour of empty
    # desk costs 58 % of what the ``absent`` interval would.
    absent_patience: float = 60.0
    settle: float = 5.0  # stay fast this long after the last sign of change
    # A run of fast looks without a state change ends after this long (a real change is
    # confirmed within about 5 s), and the disagreement then rests this long.
    max_fast: float = 20.0
    rest: float = 300.0
    # A lone disagreement after a steady spell earns one fast look, not a run: only if
    # that look disagrees too does the run begin.
    probe: bool = True


@dataclass(frozen=True)
class SamplerState:
    last_change: float = float("-inf")  # the last sign of change that earned fast looks
    run_start: Optional[float] = None  # when the current run of fast looks began
    rest_until: float = float("-inf")  # disagreements before this earn no fast looks
    probing: bool = False  # this frame is the second look at a lone disagreement
    absent_since: Optional[float] = None  # when the state in force turned absent


def next_interval(
    policy: SamplingPolicy, state: SamplerState, decision: Decision, reading: Reading
) -> tuple[SamplerState, float]:
    """How long to wait before the next frame, given what this frame showed."""
    t = decision.t
    # A frame that cuts the user off is no sign of change: it holds the state, unmeasured.
    disagrees = reading.label is not decision.state and not reading.partial
    absent = decision.state is PostureState.ABSENT
    since = (t if state.absent_since is None else state.absent_since) if absent else None
    probing, state = state.probing, replace(state, probing=False, absent_since=since)
    if decision.changed:
        state = SamplerState(last_change=t, run_start=t, absent_since=since)
    elif disagrees and t >= state.rest_until:
        if state.run_start is None or t - state.last_change >= policy.settle:
            if policy.probe and not probing:
                return replace(state, probing=True), policy.fast  # look again first
            state = replace(state, last_change=t, run_start=t)  # a new run
        elif t - state.run_start < policy.max_fast:
            state = replace(state, last_change=t)
        else:  # this run had its fast looks and changed nothing: rest
            state = replace(state, run_start=None, rest_until=t + policy.rest)
    if t - state.last_change < policy.settle:
        return state, policy.fast
    if since is not None:
        long = t - since >= policy.absent_patience
        return state, policy.steady if long else policy.absent
    return state, policy.steady
