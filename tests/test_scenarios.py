"""Synthetic sessions with known posture, through the production replay path.

Each scene starts as a camera calibration does (20 s upright, then the 15 s slouch step),
then long segments of one kind alternating with upright, rendered with the generator's
realistic nuisances (jitter, hair over an ear, wild landmarks, dropped frames, a
passer-by, drift in the chair). The state in force at every settled sample is compared
with the truth.
"""

from __future__ import annotations

import statistics

import pytest

from calibration import synth
from calibration.evaluate import score_scene, states_at
from posture_guard.classify import Smoothing, Thresholds

SEEDS = range(7242, 7250)  # no training, tuning or hold-out person (tests/test_fit.py)


def _shares(kind: str, seed: int) -> dict[str, float]:
    """Share of each state over the settled samples of the ``kind`` segments."""
    scene = synth.with_slouch(synth.scene_for(kind, seed, calibrate_seconds=20, minutes=6))
    header, labelled = synth.render(scene)
    _, decisions = score_scene(scene, "slouch")
    states = states_at(decisions, [s.t for s in labelled])
    counts: dict[str, int] = {}
    n = 0
    for s, state in zip(labelled, states):
        if s.segment == kind and s.settled and s.since_change >= 20:
            counts[state] = counts.get(state, 0) + 1
            n += 1
    assert n > 0, "the scene has no settled samples of its kind"
    return {k: v / n for k, v in counts.items()}


def _per_person(kind: str, state: str) -> list[float]:
    return [_shares(kind, seed).get(state, 0.0) for seed in SEEDS]


def _mean_share(kind: str, state: str) -> float:
    """Mean over eight people and desk setups: single setups can be hard (see README)."""
    return statistics.fmean(_per_person(kind, state))


@pytest.mark.parametrize("kind", ["forward_head", "forward_head_trunk"])
def test_forward_head_segments_read_forward_head(kind: str) -> None:
    # Misses cluster by person (README, accuracy): one or two of eight people whose slump
    # is a small change in the picture decide the mean, so the typical person is held to
    # the high bar and the mean only to a floor no broken decision would reach.
    shares = _per_person(kind, "forward_head")
    assert statistics.median(shares) >= 0.9
    assert statistics.fmean(shares) >= 0.75


@pytest.mark.parametrize(
    ("kind", "limit"),
    [("look_aside", 0.05), ("look_down", 0.1), ("recline", 0.1), ("lean_in", 0.2)],
)
def test_nuisances_do_not_read_forward_head(kind: str, limit: float) -> None:
    # lean_in has the widest limit: leaning toward the screen with the neck in line is
    # the hardest nuisance to tell from forward head in a frontal view (README, accuracy).
    assert _mean_share(kind, "forward_head") <= limit


def test_shrug_reads_raised_shoulders_not_forward_head() -> None:
    assert _mean_share("shrug", "raised_shoulders") >= 0.9
    assert _mean_share("shrug", "forward_head") <= 0.05


def test_held_head_tilt_reads_head_tilt() -> None:
    assert _mean_share("head_tilt", "head_tilt") >= 0.85


def test_away_reads_absent() -> None:
    scene = synth.Scene(
        synth.Person(),
        synth.Camera(),
        [synth.Segment("upright", 30), synth.Segment("away", 60), synth.Segment("upright", 60)],
        synth.Nuisance(),
        seed=3,
    )
    header, labelled = synth.render(scene)
    _, decisions = score_scene(scene)
    states = states_at(decisions, [s.t for s in labelled])
    away = [st for s, st in zip(labelled, states) if s.segment == "away" and s.since_change > 5]
    back = [st for s, st in zip(labelled, states) if s.segment_index == 2 and s.since_change > 10]
    assert away.count("absent") / len(away) >= 0.95
    assert back.count("good") / len(back) >= 0.9


def test_a_passer_by_and_dropped_frames_do_not_change_the_state() -> None:
    nuisance = synth.Nuisance(passer_prob=0.01, drop_prob=0.05, wild_prob=0.02)
    scene = synth.Scene(synth.Person(), synth.Camera(), [synth.Segment("upright", 300)],
                        nuisance, seed=11)  # fmt: skip
    header, labelled = synth.render(scene)
    assert any("passer" in s.events for s in labelled)
    _, decisions = score_scene(scene)
    assert {d.state.value for d in decisions} == {"good"}


#: The first desks from 7250 on (past SEEDS, no training, tuning or hold-out person:
#: tests/test_fit.py) where bending the trunk pitches the face down past the look-down
#: mark in 20 or more judged frames of the slump; and where leaning in takes the eyes out
#: of the top of the picture for 50 or more frames. Found by scanning, in that order.
PITCHING_DESKS = (7258, 7261, 7288)
CUT_OFF_DESKS = (7256, 7281)
#: ... and where a slump with the trunk bent brings the user so near the laptop that the
#: eyes leave the top of the picture and a shoulder its side (neither whole) for longer
#: than the short grace: the first such desk (7294: 56 s; before it none passed 2 s).
TOO_NEAR_DESKS = (7294,)


def test_forward_head_with_trunk_flexion_is_judged_though_the_face_pitches_down() -> None:
    # At these desks bending the trunk pitches the face down past the look-down mark. The
    # model, which learnt real look-downs as good posture, judges those frames; a hard
    # look-down gate used to silence them, and the slump went unseen.
    pitched = []
    for seed in PITCHING_DESKS:
        scene = synth.with_slouch(synth.scene_for("forward_head_trunk", seed, 20, minutes=6))
        header, labelled = synth.render(scene)
        _, decisions = score_scene(scene, "slouch")
        truth = dict(zip((round(s.t, 6) for s in labelled), (s.truth for s in labelled)))
        here = [
            d
            for d in decisions
            if d.metrics.get("d_pitch", 0.0) > Thresholds().look_down
            and truth.get(round(d.t, 6)) == "forward_head"
            and d.t > 35  # after the slouch step
        ]
        assert len(here) >= 20, seed
        pitched += here
    share = sum(d.state.value == "forward_head" for d in pitched) / len(pitched)
    assert share >= 0.8


@pytest.mark.parametrize("seed", CUT_OFF_DESKS)
def test_leaning_in_out_of_the_picture_is_not_leaving_the_desk(seed: int) -> None:
    # At these laptops leaning in takes the eyes out of the top of the picture for a
    # minute or more. The user is there, unmeasured: that is never logged as away.
    from posture_guard.features import compute_metrics, partly_in_view

    scene = synth.with_slouch(synth.scene_for("lean_in", seed, 20, minutes=6))
    header, labelled = synth.render(scene)
    samples = synth.to_samples(labelled)
    cut_off = [
        s
        for lab, s in zip(labelled, samples)
        if lab.segment == "lean_in" and compute_metrics(s, header) is None and partly_in_view(s)
    ]
    assert len(cut_off) >= 50  # the scene really does cut the user off
    # Longer than the short grace: with only that, these desks read away for 23 % and
    # 25 % of the lean-in (the hold for a user who leans in is what this test is about).
    assert len(cut_off) / header.fps > Smoothing().partial_grace
    _, decisions = score_scene(scene, "slouch")
    states = states_at(decisions, [s.t for s in labelled])
    lean = [st for s, st in zip(labelled, states) if s.segment == "lean_in" and s.settled]
    assert lean.count("absent") / len(lean) <= 0.01


@pytest.mark.parametrize("seed", TOO_NEAR_DESKS)
def test_slumping_so_near_that_eyes_and_a_shoulder_leave_the_picture_is_not_away(
    seed: int,
) -> None:
    # Neither the face nor the shoulders whole, some head point still seen: the user is there,
    # unmeasured. Before such frames counted as a user cut off, this desk read away for
    # 27 % of its slumps (logged as breaks from the desk).
    from posture_guard.features import _parts_seen, compute_metrics, visibility

    scene = synth.with_slouch(synth.scene_for("forward_head_trunk", seed, 20, minutes=6))
    header, labelled = synth.render(scene)
    samples = synth.to_samples(labelled)
    neither = [
        s
        for lab, s in zip(labelled, samples)
        if lab.truth == "forward_head"
        and s.landmarks is not None
        and compute_metrics(s, header) is None
        and _parts_seen(visibility(s.landmarks)) == (False, False)
    ]
    assert len(neither) / header.fps > Smoothing().partial_grace  # the scene is that case
    score, decisions = score_scene(scene, "slouch")
    states = states_at(decisions, [s.t for s in labelled])
    slump = [st for s, st in zip(labelled, states) if s.truth == "forward_head" and s.settled]
    assert slump.count("absent") / len(slump) <= 0.01
    # The harness's "absent" column counts exactly the scored samples read absent.
    scored = [
        st
        for s, st in zip(labelled, states)
        if s.settled and s.since_change >= 20 and s.truth != "absent"
    ]
    assert score.read_absent == scored.count("absent") and score.scored == len(scored)
