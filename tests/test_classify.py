"""The posture decision as pure functions: per-frame judgement and temporal smoothing."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TypeVar

import pytest

from posture_guard.classify import (
    FEATURES,
    POPULATION_BASELINE,
    POPULATION_FEATURES,
    SLOUCH_FEATURES,
    Baseline,
    Decider,
    EngineState,
    Reading,
    Smoothing,
    Thresholds,
    TreeModel,
    assess,
    bundled_model,
    leaned_in,
    model_from_json,
    model_name,
    relative_features,
    shifted,
    step,
)
from posture_guard.features import CutOff, Metrics
from posture_guard.states import PostureState as S

V = TypeVar("V")

UPRIGHT = Metrics(
    ear_gap=0.66, eye_gap=0.74, face_width=0.29, ear_width=0.40, pitch=0.05, yaw=0.0,
    roll=0.0, shoulder_tilt=0.0, shoulder_y=0.80, ear_y=0.40, center_x=0.5,
    shoulder_width=0.60, ears_seen=2, ear_gap_seen=0.66, pitch_ears=0.05, pitch_mouth=0.05,
)  # fmt: skip
BASE = Baseline(
    median={k: getattr(UPRIGHT, k) for k in (
        "ear_gap", "eye_gap", "face_width", "pitch", "yaw", "roll", "shoulder_tilt",
        "shoulder_y", "ear_y", "center_x", "shoulder_width", "ear_gap_seen", "pitch_ears",
        "pitch_mouth")},
    samples=50,
)  # fmt: skip


def frame(**changes: float) -> Metrics:
    """UPRIGHT with ``changes``, kept consistent the way a real head moves: the eye line
    moves with the ear line, and the seen-ear measures are the ear measures."""
    m = replace(UPRIGHT, **changes)
    if "ear_gap" in changes and "eye_gap" not in changes:
        m = replace(m, eye_gap=UPRIGHT.eye_gap + (m.ear_gap - UPRIGHT.ear_gap))
    return replace(m, ear_gap_seen=m.ear_gap, pitch_ears=m.pitch, pitch_mouth=m.pitch)


def test_upright_reads_good() -> None:
    assert assess(UPRIGHT, BASE).label is S.GOOD


def test_forward_head_reads_forward_head() -> None:
    # Ears sink toward the shoulder line (-18 %) and the face nears the camera (+5 %).
    m = frame(ear_gap=0.66 * 0.82, face_width=0.29 * 1.05, ear_y=0.40 + 0.6 * 0.12)
    r = assess(m, BASE)
    assert r.label is S.FORWARD_HEAD
    assert r.evidence["p_fh"] > Thresholds().forward_head
    assert r.vote()[S.FORWARD_HEAD] == r.evidence["p_fh"]


def test_looking_down_is_not_forward_head() -> None:
    # The nose drops well below the ear line; the ears sink a little too.
    m = frame(ear_gap=0.66 * 0.88, pitch=0.05 + 0.35, ear_y=0.40 + 0.6 * 0.08)
    r = assess(m, BASE)
    assert r.gate == "look_down"
    assert r.label is S.GOOD


def test_looking_aside_is_not_forward_head() -> None:
    m = frame(ear_gap=0.66 * 0.85, yaw=0.4, face_width=0.29 * 0.8)
    r = assess(m, BASE)
    assert r.gate == "look_aside" and r.label is S.GOOD


def test_shrug_is_raised_shoulders_not_forward_head() -> None:
    # Shoulders rise 0.1 shoulder widths; the ears stay where they were in the frame.
    rise = 0.1 * 0.6
    m = frame(shoulder_y=0.80 - rise, ear_gap=(0.80 - rise - 0.40) / 0.6)
    assert assess(m, BASE).label is S.RAISED_SHOULDERS


def test_sliding_down_in_the_chair_is_not_a_shrug_or_slump() -> None:
    # The whole person moves down in the frame: gap and face unchanged.
    m = frame(shoulder_y=0.86, ear_y=0.46)
    assert assess(m, BASE).label is S.GOOD


def test_leaning_back_scales_everything_and_stays_good() -> None:
    m = frame(shoulder_width=0.60 * 0.85, shoulder_y=0.77, ear_y=0.43)
    assert assess(m, BASE).label is S.GOOD


def test_held_roll_is_head_tilt() -> None:
    assert assess(frame(roll=18.0), BASE).label is S.HEAD_TILT
    assert assess(frame(roll=5.0), BASE).label is S.GOOD


def test_a_much_smaller_skeleton_is_not_the_user() -> None:
    passer = frame(shoulder_width=0.25, center_x=0.2)
    r = assess(passer, BASE)
    assert not r.is_user and r.label is S.ABSENT


def test_a_much_larger_skeleton_is_still_the_user() -> None:
    # Nobody fits between the user and their screen: a skeleton bigger than the user's is
    # the user nearer (a slump toward a laptop reached 1.65 times the calibrated shoulder
    # width on one simulated desk), judged like any frame, not taken for someone else.
    near = frame(shoulder_width=UPRIGHT.shoulder_width * 1.7)
    r = assess(near, BASE)
    assert r.is_user and r.present and r.label is not S.ABSENT and r.votes


def test_nobody_reads_absent() -> None:
    r = assess(None, BASE)
    assert r.label is S.ABSENT and not r.present


def test_population_baseline_judges_proportions_only() -> None:
    pop = POPULATION_BASELINE.median
    assert not POPULATION_BASELINE.has_position() and not POPULATION_BASELINE.calibrated
    typical = replace(
        UPRIGHT, ear_gap=pop["ear_gap"], eye_gap=pop["eye_gap"], face_width=pop["face_width"],
        pitch=pop["pitch"], ear_gap_seen=pop["ear_gap_seen"], pitch_ears=pop["pitch_ears"],
        pitch_mouth=pop["pitch_mouth"],
    )  # fmt: skip
    assert assess(typical, POPULATION_BASELINE).label is S.GOOD
    # Leaving the frame position out means a shrug cannot be told from a slump there:
    assert "rise" not in assess(typical, POPULATION_BASELINE).evidence


def _stump(feature: int, threshold: float, low: float, high: float, missing_low: bool) -> dict:
    """A one-split tree: x[feature] <= threshold -> low, else high."""
    return {"feature": [feature, -1, -1], "threshold": [threshold, 0, 0], "left": [1, 0, 0],
            "right": [2, 0, 0], "missing_left": [int(missing_low), 0, 0],
            "value": [0.0, low, high]}  # fmt: skip


def test_tree_model_follows_its_splits_missing_values_and_softmax() -> None:
    flat = {"feature": [-1], "threshold": [0.0], "left": [0], "right": [0],
            "missing_left": [0], "value": [0.0]}  # fmt: skip
    data = {
        "kind": "trees",
        "features": ["d_gap", "rise"],
        "classes": ["good", "forward_head", "raised_shoulders"],
        "base": [0.5, 0.0, 0.0],
        # one round: good has no tree worth speaking of, forward head splits on d_gap,
        # raised shoulders on rise (a missing rise counts as high)
        "trees": [[flat, _stump(0, -0.08, 3.0, -3.0, True), _stump(1, 0.05, -1.0, 2.0, False)]],
    }
    model = model_from_json(data)
    assert isinstance(model, TreeModel)

    def expected(logits: list[float]) -> list[float]:
        exps = [math.exp(v) for v in logits]
        return [e / sum(exps) for e in exps]

    order = ("good", "forward_head", "raised_shoulders")
    cases = [
        ({"d_gap": -0.15, "rise": 0.0}, [0.5, 3.0, -1.0]),  # ears sank: forward head
        ({"d_gap": 0.0, "rise": 0.10}, [0.5, -3.0, 2.0]),  # shoulders up: raised
        ({"d_gap": -0.08, "rise": 0.05}, [0.5, 3.0, -1.0]),  # thresholds are inclusive
        ({}, [0.5, 3.0, 2.0]),  # both missing: each goes its own missing way
    ]
    for feats, logits in cases:
        got = model.probabilities(feats)
        assert [got[c] for c in order] == pytest.approx(expected(logits))


#: A slouch as the slouch step records it: ears 15 % nearer the shoulders, face 5 % larger.
SLOUCH = {"d_gap": -0.15, "d_face": 0.05, "sink": 0.08, "d_scale": 0.03, "d_gap_face": -0.19,
          "sink_face": 0.28, "d_eyes_ears": 0.02}  # fmt: skip
SLOUCHED = replace(BASE, slouch=SLOUCH)


def test_the_bundled_models_are_tree_ensembles_that_give_probabilities() -> None:
    for name in ("calibrated", "slouch", "population"):
        model = bundled_model(name)
        assert isinstance(model, TreeModel) and len(model.trees) >= 50
        probs = model.probabilities({})
        assert set(probs) == {"good", "forward_head", "raised_shoulders"}
        assert sum(probs.values()) == pytest.approx(1.0)


def test_the_bundled_models_read_the_features_the_decision_computes() -> None:
    # A model fitted before a feature was added or renamed would read nan for it, silently:
    # the shipped model must name exactly the features relative_features gives.
    for names, base in (
        (FEATURES, BASE),
        (FEATURES + SLOUCH_FEATURES, SLOUCHED),
        (POPULATION_FEATURES, POPULATION_BASELINE),
    ):
        model = bundled_model(model_name(base))
        assert model.features == names
        feats = relative_features(frame(ear_gap=0.60, face_width=0.31), base)
        assert all(math.isfinite(feats[n]) for n in names)


def test_each_baseline_is_judged_by_the_model_fitted_for_it() -> None:
    assert model_name(BASE) == "calibrated"
    assert model_name(SLOUCHED) == "slouch"
    assert model_name(POPULATION_BASELINE) == "population"
    with pytest.raises(ValueError, match="no bundled model 'nope'"):
        bundled_model("nope")


def test_slouch_features_measure_a_frame_against_the_users_own_slouch() -> None:
    # Halfway to the slouch along every measure: ratios 0.5, on the slouch's direction at
    # 0.5, nothing across it.
    half = frame(
        ear_gap=0.66 * (1 - 0.075),
        face_width=0.29 * (1 + 0.025),
    )
    f = relative_features(half, SLOUCHED)
    assert f["r_d_gap"] == pytest.approx(0.5, abs=1e-6)
    assert f["r_d_face"] == pytest.approx(0.5, abs=1e-6)
    assert f["s_d_gap"] == -0.15 and f["s_d_scale"] == 0.03
    # The same frame without a slouch step has none of these features.
    assert not set(SLOUCH_FEATURES) & set(relative_features(half, BASE))
    # Upright projects to 0 of the slouch; the slouch's own features project to 1.
    assert relative_features(UPRIGHT, SLOUCHED)["proj"] == pytest.approx(0.0, abs=1e-6)
    from posture_guard.classify import slouch_features

    own = slouch_features(dict(SLOUCH), SLOUCH)
    assert own["proj"] == pytest.approx(1.0) and own["resid"] == pytest.approx(0.0, abs=1e-9)
    # A change across the slouch direction (the face grows, the ears stay) is residual.
    across = slouch_features({"d_gap": 0.0, "d_face": 0.15, "sink_face": 0.0,
                              "d_eyes_ears": 0.0}, SLOUCH)  # fmt: skip
    assert across["proj"] < 0.1 and across["resid"] > 0.4


def test_a_slouch_too_small_to_measure_gives_no_ratios() -> None:
    tiny = dict(SLOUCH, d_gap=0.0, d_face=0.0, sink_face=0.0, d_eyes_ears=0.0, sink=0.0)
    f = relative_features(frame(ear_gap=0.60), replace(BASE, slouch=tiny))
    assert math.isnan(f["r_d_gap"]) and math.isnan(f["proj"]) and math.isnan(f["resid"])


def _run(labels: list[tuple[float, S]], sm: Smoothing = Smoothing()) -> list[tuple[float, S]]:
    engine = EngineState()
    out = []
    for t, label in labels:
        engine, d = step(engine, t, Reading(label, present=label is not S.ABSENT), None, sm)
        out.append((t, d.state))
    return out


def _series(spec: list[tuple[float, V]], dt: float = 0.5) -> list[tuple[float, V]]:
    """[(duration, label), ...] -> samples every dt seconds (a label, or any per-frame value)."""
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


def _soft(p_fh: float) -> Reading:
    """A frame on which the model gives forward head ``p_fh`` and good the rest."""
    label = S.FORWARD_HEAD if p_fh > 0.9 else S.GOOD
    return Reading(label, present=True, votes={S.FORWARD_HEAD: p_fh, S.GOOD: 1.0 - p_fh})


def _run_soft(spec: list[tuple[float, float]], sm: Smoothing) -> list[tuple[float, S]]:
    """[(duration, p_fh), ...] every 0.5 s (see :func:`_series`) through ``step``."""
    engine, out = EngineState(), []
    for t, p in _series(spec):
        engine, d = step(engine, t, _soft(p), None, sm)
        out.append((t, d.state))
    return out


def test_a_half_sure_sway_does_not_enter_forward_head_but_a_held_slump_stays_in_it() -> None:
    plain, floored = Smoothing(fh_entry_floor=0.0), Smoothing()
    floor = floored.fh_entry_floor
    assert 0.5 < floor < 0.99
    sway = [(20, 0.02), (30, floor), (20, 0.02)]
    # Plain votes: as sure as the floor for half a minute enters forward head (how ordinary
    # sway around an upright posture became a false alarm); with the floor it counts nothing.
    assert any(s is S.FORWARD_HEAD for _, s in _run_soft(sway, plain))
    assert all(s is S.GOOD for _, s in _run_soft(sway, floored))
    # A real slump reads near-certain: entered as fast as before (within a frame).
    slump = [(20, 0.02), (30, 0.995)]
    first = [next(t for t, s in _run_soft(slump, sm) if s is S.FORWARD_HEAD)
             for sm in (plain, floored)]  # fmt: skip
    assert 20 < first[0] <= first[1] <= first[0] + 0.5
    # Once in forward head the plain probability votes: a slump that the model only half
    # believes for a while (an ear under hair, a turn) is held, not left.
    held = _run_soft([(20, 0.02), (10, 0.995), (30, floor)], floored)
    assert [s for t, s in held if t >= 30] == [S.FORWARD_HEAD] * 60


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


def _moved(m: Metrics, dy: float) -> Metrics:
    """The same frame with the whole picture moved down by ``dy`` frame heights (a screen
    tilted back moves it up: negative ``dy``)."""
    return replace(m, shoulder_y=m.shoulder_y + dy, ear_y=m.ear_y + dy)


def test_a_tilted_screen_is_followed_while_the_posture_reads_good() -> None:
    d = Decider(BASE)
    t = 0.0
    for _ in range(40):  # 20 s of upright before anything happens
        d.decide(t, UPRIGHT)
        t += 0.5
    assert d.engine.offset == 0.0
    for _ in range(120):  # the screen is tilted back: everything 0.05 higher in the frame
        assert d.decide(t, _moved(UPRIGHT, -0.05)).state is S.GOOD
        t += 0.5
    assert d.engine.offset == pytest.approx(-0.05, abs=0.005)
    # The tilt is now part of the baseline: a shrug under the tilted screen is a shrug.
    rise = 0.1 * 0.6
    shrug = _moved(frame(shoulder_y=0.80 - rise, ear_gap=(0.80 - rise - 0.40) / 0.6), -0.05)
    r = assess(shrug, shifted(BASE, d.engine.offset))
    assert r.evidence["rise"] == pytest.approx(0.1, abs=0.01)
    assert abs(r.evidence["sink"]) < 0.01


def test_a_slump_or_a_shrug_never_teaches_the_camera_offset() -> None:
    slump = frame(ear_gap=0.66 * 0.82, face_width=0.29 * 1.05, ear_y=0.40 + 0.6 * 0.12)
    rise = 0.1 * 0.6
    shrug = frame(shoulder_y=0.80 - rise, ear_gap=(0.80 - rise - 0.40) / 0.6)
    for fault in (slump, shrug):
        d = Decider(BASE)
        for i in range(200):
            d.decide(i * 0.5, fault)
        assert d.engine.offset == 0.0


def _slumped() -> tuple[Decider, float]:
    """A decider that has seen the user upright, then slumped into forward head."""
    d = Decider(BASE)
    slump = frame(ear_gap=0.66 * 0.82, face_width=0.29 * 1.05, ear_y=0.40 + 0.6 * 0.12)
    t = 0.0
    for m in [UPRIGHT] * 20 + [slump] * 30:
        decision = d.decide(t, m)
        t += 0.5
    assert decision.state is S.FORWARD_HEAD
    return d, t


def test_a_cut_off_frame_gives_the_held_state_back_what_a_frame_without_a_pose_took() -> None:
    # A frame without any pose votes absent; the user cut off is there, so the following
    # cut-off frames move that share back to the state held and leave the others alone.
    d, t = _slumped()
    d.decide(t, None)  # MediaPipe found nobody in this one frame
    before = dict(d.engine.shares)
    assert before[S.ABSENT] > 0.1
    cut = CutOff("shoulders", 1.2 * UPRIGHT.shoulder_width)
    for i in range(1, 11):
        d.decide(t + i * 0.5, None, cut)
    after = dict(d.engine.shares)
    assert after[S.ABSENT] < 0.02 * before[S.ABSENT]
    moved = before[S.ABSENT] - after[S.ABSENT]
    assert after[S.FORWARD_HEAD] == pytest.approx(before[S.FORWARD_HEAD] + moved)
    assert after[S.GOOD] == pytest.approx(before[S.GOOD])


def test_a_user_cut_off_by_the_frame_edge_holds_the_state_then_reads_absent() -> None:
    # A cut-off frame whose shoulders are smaller than the user's at calibration: someone
    # is there, unmeasured, but it may not be the user leaning in. The state holds for
    # partial_grace, then reads absent.
    d, t = _slumped()
    smaller = CutOff("shoulders", 0.7 * UPRIGHT.shoulder_width)
    grace = Smoothing().partial_grace
    held = [d.decide(t + i * 0.5, None, smaller) for i in range(int(grace * 2) - 2)]
    assert all(x.state is S.FORWARD_HEAD and not x.changed for x in held)
    t += grace + 5.0
    later = [d.decide(t + i * 0.5, None, smaller) for i in range(10)]
    assert later[-1].state is S.ABSENT
    # The same frames with nobody in view (no pose at all) read absent within seconds.
    d2 = Decider(BASE)
    for i in range(20):
        d2.decide(i * 0.5, UPRIGHT)
    gone = [d2.decide(10.0 + i * 0.5, None) for i in range(10)]
    assert gone[-1].state is S.ABSENT


@pytest.mark.parametrize(
    ("part", "size_at_calibration"),
    [
        ("shoulders", UPRIGHT.shoulder_width),  # the face is out of the top
        ("face", UPRIGHT.face_width * UPRIGHT.shoulder_width),  # the shoulders are out
    ],
)
def test_a_user_who_leans_in_out_of_the_picture_is_held_for_minutes_not_seconds(
    part: str, size_at_calibration: float
) -> None:
    # What is in view is bigger than the user's same part at calibration: the user leaned
    # in to read. Minutes of that are not a break from the desk; only a cut-off that
    # never ends (a pose stuck on the chair) reads absent, after near_grace.
    sm = Smoothing()
    assert sm.near_grace > 10 * sm.partial_grace
    cut = CutOff(part, 1.2 * size_at_calibration)
    d, t = _slumped()
    held = [d.decide(t + i * 2.0, None, cut) for i in range(int(sm.near_grace / 2) - 1)]
    assert all(x.state is S.FORWARD_HEAD and not x.changed for x in held)
    t += sm.near_grace + 5.0
    later = [d.decide(t + i * 0.5, None, cut) for i in range(10)]
    assert later[-1].state is S.ABSENT
    # The odd frame without any pose (a detection dropped every 4 s) does not add up to
    # "away" while the user leans in: the cut-off frames between them keep the state.
    d, t = _slumped()
    for i in range(240):
        x = d.decide(t + i * 0.5, None, None if i % 8 == 7 else cut)
        assert x.state is S.FORWARD_HEAD
    # Without a calibrated size there is nothing to compare with: the short grace.
    assert not leaned_in(cut, POPULATION_BASELINE)
    assert leaned_in(cut, BASE)
    assert not leaned_in(CutOff(part, 0.85 * size_at_calibration), BASE)


def test_a_profile_holding_line_angles_near_180_degrees_compares_them_as_lines() -> None:
    """A profile calibrated in a mirrored view before line angles were folded holds roll
    and shoulder tilt near +-180; a frame a degree across the fold read as a 358 degree
    head tilt."""
    base = replace(BASE, median={**BASE.median, "roll": 179.0, "shoulder_tilt": -179.5})
    m = frame(roll=-179.0, shoulder_tilt=1.0)  # 2 and 0.5 degrees from the baseline
    feats = relative_features(m, base)
    assert feats["abs_roll"] == pytest.approx(2.0)
    assert feats["d_tilt"] == pytest.approx(0.5)
    r = assess(m, base)
    assert r.label is not S.HEAD_TILT and r.evidence["d_roll"] == pytest.approx(2.0)


def test_no_finite_baseline_makes_the_slouch_features_raise() -> None:
    """A profile edited to a face width of 1e-300 (positive, so it loads) made a frame's
    change against the slouch too large to square: OverflowError, an internal error."""
    slouch = {"d_gap": -0.12, "d_face": 0.05, "sink": 0.1, "d_scale": 0.02,
              "d_gap_face": -0.15, "sink_face": 0.3, "d_eyes_ears": 0.01}  # fmt: skip
    tiny = Baseline(median={**BASE.median, "face_width": 1e-300}, samples=50, slouch=slouch)
    feats = relative_features(UPRIGHT, tiny)
    assert feats["resid"] == math.inf
    assert assess(UPRIGHT, tiny).present  # judged (wrongly, on such a profile), not raised


def test_time_the_camera_was_released_does_not_count_as_time_cut_off() -> None:
    """A user reading close up (held, cut off) snoozes the coach for an hour, which
    releases the camera; back, still leaning in, they read absent within seconds: the
    hour unwatched counted toward near_grace as if they had been cut off all along."""
    sm = Smoothing()
    cut = CutOff("face", 1.2 * UPRIGHT.face_width * UPRIGHT.shoulder_width)
    d, t = _slumped()
    for i in range(30):  # a minute leaning in before the snooze
        assert d.decide(t + i * 2.0, None, cut).state is S.FORWARD_HEAD
    t += 60.0 + 3600.0  # no frame for an hour
    held = [d.decide(t + i * 2.0, None, cut) for i in range(int(sm.near_grace / 2) - 31)]
    assert all(x.state is S.FORWARD_HEAD for x in held)
    # The grace still ends: watched time cut off adds up across the gap.
    later = [d.decide(t + 2.0 * (len(held) + i), None, cut) for i in range(20)]
    assert later[-1].state is S.ABSENT
