"""The posture decision as pure functions: per-frame judgement and temporal smoothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from posture_guard.classify import (
    POPULATION_BASELINE,
    Baseline,
    Decider,
    EngineState,
    Reading,
    Smoothing,
    Thresholds,
    assess,
    step,
)
from posture_guard.features import Metrics
from posture_guard.states import PostureState as S

UPRIGHT = Metrics(
    ear_gap=0.66, eye_gap=0.74, face_width=0.29, ear_width=0.40, pitch=0.05, yaw=0.0,
    roll=0.0, shoulder_tilt=0.0, shoulder_y=0.80, ear_y=0.40, center_x=0.5,
    shoulder_width=0.60, ears_seen=2,
)  # fmt: skip
BASE = Baseline(
    median={k: getattr(UPRIGHT, k) for k in (
        "ear_gap", "eye_gap", "face_width", "pitch", "yaw", "roll", "shoulder_tilt",
        "shoulder_y", "ear_y", "center_x", "shoulder_width")},
    samples=50,
)  # fmt: skip


def test_upright_reads_good() -> None:
    assert assess(UPRIGHT, BASE).label is S.GOOD


def test_forward_head_reads_forward_head() -> None:
    # Ears sink toward the shoulder line (-18 %) and the face nears the camera (+5 %).
    m = replace(UPRIGHT, ear_gap=0.66 * 0.82, face_width=0.29 * 1.05, ear_y=0.40 + 0.6 * 0.12)
    r = assess(m, BASE)
    assert r.label is S.FORWARD_HEAD
    assert r.evidence["p_fh"] > Thresholds().forward_head
    assert r.vote()[S.FORWARD_HEAD] == r.evidence["p_fh"]


def test_looking_down_is_not_forward_head() -> None:
    # The nose drops well below the ear line; the ears sink a little too.
    m = replace(UPRIGHT, ear_gap=0.66 * 0.88, pitch=0.05 + 0.35, ear_y=0.40 + 0.6 * 0.08)
    r = assess(m, BASE)
    assert r.gate == "look_down"
    assert r.label is S.GOOD


def test_looking_aside_is_not_forward_head() -> None:
    m = replace(UPRIGHT, ear_gap=0.66 * 0.85, yaw=0.4, face_width=0.29 * 0.8)
    r = assess(m, BASE)
    assert r.gate == "look_aside" and r.label is S.GOOD


def test_shrug_is_raised_shoulders_not_forward_head() -> None:
    # Shoulders rise 0.1 shoulder widths; the ears stay where they were in the frame.
    rise = 0.1 * 0.6
    m = replace(UPRIGHT, shoulder_y=0.80 - rise, ear_gap=(0.80 - rise - 0.40) / 0.6)
    assert assess(m, BASE).label is S.RAISED_SHOULDERS


def test_sliding_down_in_the_chair_is_not_a_shrug_or_slump() -> None:
    # The whole person moves down in the frame: gap and face unchanged.
    m = replace(UPRIGHT, shoulder_y=0.86, ear_y=0.46)
    assert assess(m, BASE).label is S.GOOD


def test_leaning_back_scales_everything_and_stays_good() -> None:
    m = replace(UPRIGHT, shoulder_width=0.60 * 0.85, shoulder_y=0.77, ear_y=0.43)
    assert assess(m, BASE).label is S.GOOD


def test_held_roll_is_head_tilt() -> None:
    assert assess(replace(UPRIGHT, roll=18.0), BASE).label is S.HEAD_TILT
    assert assess(replace(UPRIGHT, roll=5.0), BASE).label is S.GOOD


def test_a_much_smaller_skeleton_is_not_the_user() -> None:
    passer = replace(UPRIGHT, shoulder_width=0.25, center_x=0.2)
    r = assess(passer, BASE)
    assert not r.is_user and r.label is S.ABSENT


def test_nobody_reads_absent() -> None:
    r = assess(None, BASE)
    assert r.label is S.ABSENT and not r.present


def test_population_baseline_judges_proportions_only() -> None:
    pop = POPULATION_BASELINE.median
    assert not POPULATION_BASELINE.has_position() and not POPULATION_BASELINE.calibrated
    typical = replace(
        UPRIGHT, ear_gap=pop["ear_gap"], eye_gap=pop["eye_gap"], face_width=pop["face_width"],
        pitch=pop["pitch"],
    )  # fmt: skip
    assert assess(typical, POPULATION_BASELINE).label is S.GOOD
    # Leaving the frame position out means a shrug cannot be told from a slump there:
    assert "rise" not in assess(typical, POPULATION_BASELINE).evidence


def _run(labels: list[tuple[float, S]], sm: Smoothing = Smoothing()) -> list[tuple[float, S]]:
    engine = EngineState()
    out = []
    for t, label in labels:
        engine, d = step(engine, t, Reading(label, present=label is not S.ABSENT), None, sm)
        out.append((t, d.state))
    return out


def _series(spec: list[tuple[float, S]], dt: float = 0.5) -> list[tuple[float, S]]:
    """[(duration, label), ...] -> samples every dt seconds."""
    t, out = 0.0, []
    for duration, label in spec:
        end = t + duration
        while t < end - 1e-9:
            out.append((round(t, 3), label))
            t += dt
    return out


def test_a_held_slump_is_entered_within_a_few_seconds_and_left_again() -> None:
    out = _run(_series([(20, S.GOOD), (30, S.FORWARD_HEAD), (30, S.GOOD)]))
    entered = next(t for t, s in out if s is S.FORWARD_HEAD)
    assert 20 < entered <= 20 + 4
    left = next(t for t, s in out if t > entered and s is S.GOOD)
    assert 50 < left <= 50 + 4
    assert out[-1][1] is S.GOOD


def test_a_glance_or_a_dropped_frame_does_not_change_the_state() -> None:
    glance = _series(
        [(20, S.GOOD), (1.5, S.FORWARD_HEAD), (20, S.GOOD), (0.5, S.ABSENT), (10, S.GOOD)]
    )
    assert {s for _, s in _run(glance)} == {S.GOOD}


def test_flicker_between_states_does_not_toggle_the_state() -> None:
    # Evidence alternating frame by frame never holds a majority: no flapping.
    flicker = [(i * 0.5, S.FORWARD_HEAD if i % 2 else S.GOOD) for i in range(200)]
    changes = sum(1 for a, b in zip(_run(flicker), _run(flicker)[1:]) if a[1] is not b[1])
    assert changes == 0


def test_first_frame_never_opens_with_a_fault() -> None:
    out = _run([(0.0, S.FORWARD_HEAD)])
    assert out[0][1] is S.GOOD


def test_smoothing_respects_real_time_gaps_under_slow_sampling() -> None:
    # Every 3 s (the steady rate): a slump is still entered after two frames.
    out = _run(_series([(30, S.GOOD), (30, S.FORWARD_HEAD)], dt=3.0))
    entered = next(t for t, s in out if s is S.FORWARD_HEAD)
    assert entered <= 30 + 6


def test_tilt_needs_a_longer_hold_than_a_slump() -> None:
    out = _run(_series([(20, S.GOOD), (4, S.HEAD_TILT), (20, S.GOOD)]))
    assert all(s is S.GOOD for _, s in out)
    out = _run(_series([(20, S.GOOD), (20, S.HEAD_TILT)]))
    assert out[-1][1] is S.HEAD_TILT


@pytest.mark.parametrize("absent_for", [4.0, 10.0])
def test_leaving_the_desk_reads_absent(absent_for: float) -> None:
    out = _run(_series([(20, S.GOOD), (absent_for, S.ABSENT)]))
    assert out[-1][1] is S.ABSENT


def test_decider_reports_changes_and_metrics() -> None:
    d = Decider(BASE)
    first = d.decide(0.0, UPRIGHT)
    assert first.changed and first.state is S.GOOD
    assert first.metrics["ear_gap"] == pytest.approx(0.66)
    second = d.decide(0.5, UPRIGHT)
    assert not second.changed


def test_one_misread_frame_after_a_steady_gap_does_not_decide_alone() -> None:
    steady = _series([(60, S.GOOD)], dt=3.0)
    out = _run([*steady, (60.0, S.ABSENT), (63.0, S.GOOD), (66.0, S.FORWARD_HEAD), (69.0, S.GOOD)])
    assert {s for _, s in out} == {S.GOOD}
    # ...but a few frames that agree, taken quickly after it, do decide.
    out = _run([*steady, *[(60.0 + 0.5 * i, S.FORWARD_HEAD) for i in range(8)]])
    assert out[-1][1] is S.FORWARD_HEAD


def test_a_stranger_in_view_casts_no_vote_until_they_stay() -> None:
    engine = EngineState()
    for i in range(40):
        engine, d = step(engine, i * 0.5, Reading(S.GOOD, present=True))
    stranger = Reading(S.ABSENT, present=True, is_user=False)
    for i in range(8):  # 4 s of a passer-by: nothing changes
        engine, d = step(engine, 20 + i * 0.5, stranger)
        assert d.state is S.GOOD and not d.changed
    engine, d = step(engine, 24.0, Reading(S.GOOD, present=True))
    for i in range(40):  # someone else stays at the desk: after the grace, absent
        engine, d = step(engine, 25 + i * 0.5, stranger)
    assert d.state is S.ABSENT
