"""The adaptive sampling policy: slow while steady, fast right after any sign of change."""

from __future__ import annotations

from posture_guard.classify import Reading
from posture_guard.sampling import SamplerState, SamplingPolicy, next_interval
from posture_guard.states import Decision
from posture_guard.states import PostureState as S

POLICY = SamplingPolicy()


def _wait(state: SamplerState, t: float, decided: S, seen: S, changed: bool = False):
    return next_interval(
        POLICY, state, Decision(t, decided, changed=changed), Reading(seen, present=True)
    )


def test_steady_posture_is_sampled_at_the_slow_interval() -> None:
    state, wait = _wait(SamplerState(), 100.0, S.GOOD, S.GOOD)
    assert wait == POLICY.steady


def test_a_disagreeing_frame_switches_to_fast_for_the_settle_time() -> None:
    state, wait = _wait(SamplerState(), 100.0, S.GOOD, S.FORWARD_HEAD)
    assert wait == POLICY.fast
    # Frames agreeing again stay fast until the settle time has passed...
    state, wait = _wait(state, 100.0 + POLICY.settle - 0.1, S.GOOD, S.GOOD)
    assert wait == POLICY.fast
    # ...then fall back to the slow interval.
    state, wait = _wait(state, 100.0 + POLICY.settle + 0.1, S.GOOD, S.GOOD)
    assert wait == POLICY.steady


def test_a_state_change_and_a_return_are_sampled_fast() -> None:
    _, wait = _wait(SamplerState(), 50.0, S.FORWARD_HEAD, S.FORWARD_HEAD, changed=True)
    assert wait == POLICY.fast
    _, wait = _wait(SamplerState(), 50.0, S.ABSENT, S.GOOD)  # someone came back
    assert wait == POLICY.fast


def test_an_empty_desk_is_sampled_at_the_absent_interval() -> None:
    _, wait = _wait(SamplerState(), 50.0, S.ABSENT, S.ABSENT)
    assert wait == POLICY.absent
    assert POLICY.fast < POLICY.absent < POLICY.steady


def test_a_frame_that_cuts_the_user_off_is_no_sign_of_change() -> None:
    partial = Reading(S.ABSENT, present=True, partial=True)
    _, wait = next_interval(POLICY, SamplerState(), Decision(100.0, S.GOOD), partial)
    assert wait == POLICY.steady
    # A stranger in view still is: the sampler looks again soon to see them go.
    stranger = Reading(S.ABSENT, present=True, is_user=False)
    _, wait = next_interval(POLICY, SamplerState(), Decision(100.0, S.GOOD), stranger)
    assert wait == POLICY.fast
