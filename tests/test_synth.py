"""Tests of the synthetic labelled landmark streams (calibration/synth.py).

The generator is the ground truth of the accuracy harness, so these tests pin down what
the truth means: labels agree with the model's CVA, the projection follows MediaPipe's
conventions, posture changes move the landmarks the way a real body would, and the
nuisances appear at their configured rates and nowhere else.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from calibration import synth
from calibration.synth import (
    AWAY,
    FORWARD_HEAD,
    LEAN_IN,
    SEGMENT_KINDS,
    TRUTH_OF_KIND,
    TRUTHS,
    UPRIGHT,
    Camera,
    LabelledSample,
    Nuisance,
    Person,
    Scene,
    Segment,
    demo_scene,
    random_scene,
    render,
    render_pose,
    scene_for,
    skeleton_3d,
    to_samples,
    with_slouch,
)
from posture_guard.landmarks import (
    LEFT_EAR,
    LEFT_SHOULDER,
    NOSE,
    RIGHT_EAR,
    RIGHT_SHOULDER,
    StreamHeader,
)
from posture_guard.stream import load_stream

GOOD_KINDS = [k for k, v in TRUTH_OF_KIND.items() if v == "good"]


def _scene(segments: list[Segment], nuisance: Nuisance, seed: int = 5, fps: float = 10.0) -> Scene:
    return Scene(Person(), Camera(), segments, nuisance, fps=fps, seed=seed, name="t")


def _ear_width(lm: np.ndarray, aspect: float) -> np.ndarray:
    """Ear-to-ear distance in the image, in units of image height (true proportions)."""
    dx = (lm[..., LEFT_EAR, 0] - lm[..., RIGHT_EAR, 0]) * aspect
    dy = lm[..., LEFT_EAR, 1] - lm[..., RIGHT_EAR, 1]
    return np.hypot(dx, dy)


def _shoulder_width(lm: np.ndarray, aspect: float) -> np.ndarray:
    dx = (lm[..., LEFT_SHOULDER, 0] - lm[..., RIGHT_SHOULDER, 0]) * aspect
    dy = lm[..., LEFT_SHOULDER, 1] - lm[..., RIGHT_SHOULDER, 1]
    return np.hypot(dx, dy)


def _stack(samples: list[LabelledSample]) -> np.ndarray:
    return np.stack([s.landmarks for s in samples if s.landmarks is not None])


# ---------------------------------------------------------------- determinism and API


def test_render_is_deterministic_for_a_seed_and_changes_with_it() -> None:
    scene = random_scene(np.random.default_rng(3), minutes=3)
    h1, a = render(scene)
    h2, b = render(scene)
    assert h1 == h2
    assert len(a) == len(b) == round(scene.duration * scene.fps)
    for x, y in zip(a, b):
        assert (x.t, x.truth, x.cva, x.events) == (y.t, y.truth, y.cva, y.events)
        assert (x.landmarks is None) == (y.landmarks is None)
        if x.landmarks is not None:
            assert np.array_equal(x.landmarks, y.landmarks)
    _, c = render(replace(scene, seed=scene.seed + 1))
    assert any(
        x.landmarks is not None
        and y.landmarks is not None
        and not np.allclose(x.landmarks, y.landmarks)
        for x, y in zip(a, c)
    )


def test_truth_table_covers_every_kind() -> None:
    assert set(TRUTH_OF_KIND) == set(SEGMENT_KINDS)
    assert set(TRUTH_OF_KIND.values()) == set(TRUTHS)
    with pytest.raises(ValueError):
        Segment("slouch", 10.0)


@pytest.mark.parametrize("kind", SEGMENT_KINDS)
def test_every_kind_renders_with_its_truth(kind: str) -> None:
    scene = scene_for(kind, seed=11, minutes=4)
    header, samples = render(scene)
    assert header.image_width == scene.camera.width and header.fps == scene.fps
    mine = [s for s in samples if s.segment == kind]
    assert len(mine) > 60 * scene.fps
    assert {s.truth for s in mine} == {TRUTH_OF_KIND[kind]}
    if kind == AWAY:
        assert all(s.landmarks is None and s.cva is None for s in mine)
    else:
        shown = [s for s in mine if s.landmarks is not None]
        assert len(shown) > 0.9 * len(mine)
        assert all(s.landmarks.shape == (33, 4) for s in shown)
        assert all(np.isfinite(s.landmarks).all() for s in shown)


def test_to_samples_strips_the_truth_only() -> None:
    _, labelled = render(scene_for(FORWARD_HEAD, seed=2, minutes=1))
    plain = to_samples(labelled)
    assert [s.t for s in plain] == [s.t for s in labelled]
    assert all(p.landmarks is s.landmarks for p, s in zip(plain, labelled))


# ---------------------------------------------------------------- truth and the CVA


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_labels_and_cva_agree_in_random_sessions(seed: int) -> None:
    _, samples = render(random_scene(np.random.default_rng(seed), minutes=15))
    settled = [s for s in samples if s.settled]
    assert len(settled) > 0.9 * len(samples) - sum(s.truth == "absent" for s in samples)
    for s in settled:
        if s.truth == "good":
            assert s.cva >= 50.0, (s.t, s.segment, s.cva)
        elif s.truth == "forward_head":
            assert s.cva <= 46.0, (s.t, s.segment, s.cva)
        elif s.truth == "raised_shoulders":
            assert s.shoulder_raise >= 0.02
        elif s.truth == "head_tilt":
            assert abs(s.head_roll) >= 12.0
    assert all(s.cva is None and s.landmarks is None for s in samples if s.truth == "absent")


def test_upright_and_forward_head_cva_from_the_model() -> None:
    _, samples = render(scene_for(FORWARD_HEAD, seed=4, minutes=6))
    upright = [s.cva for s in samples if s.segment == UPRIGHT and s.settled]
    forward = [s.cva for s in samples if s.segment == FORWARD_HEAD and s.settled]
    assert upright and forward
    assert min(upright) > 50.0
    assert max(forward) < 46.0


def test_cva_is_the_angle_of_the_3d_points_and_only_the_neck_changes_it() -> None:
    person = Person.random(np.random.default_rng(8))
    cva = np.linspace(28.0, 62.0, 9)
    trunk = np.linspace(-15.0, 20.0, 9)
    sk = skeleton_3d(person, {"cva": cva, "trunk": trunk})
    d = sk.tragus_mid - sk.c7
    measured = np.degrees(np.arctan2(d[:, 1], d[:, 2]))  # sagittal plane: Y up, Z forward
    assert np.allclose(measured, cva)
    assert np.allclose(sk.cva(), cva)
    ears_mid = 0.5 * (sk.points[:, LEFT_EAR] + sk.points[:, RIGHT_EAR])
    assert np.allclose(ears_mid, sk.tragus_mid)
    # Looking down and shrugging leave the CVA alone (the truth of those segments).
    base = skeleton_3d(person, {})
    for pose in ({"pitch": 35.0}, {"raise": 0.05}, {"yaw": 30.0}):
        other = skeleton_3d(person, pose)
        assert np.allclose(other.cva(), base.cva())
    # Turning in the chair does not change the angle either (it is body-relative).
    assert np.allclose(skeleton_3d(person, {"body_yaw": 25.0}).cva(), base.cva())


# ---------------------------------------------------------------- projected geometry


@pytest.mark.parametrize("seed", range(6))
def test_left_side_appears_on_the_image_right(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scene = Scene(
        Person.random(rng),
        Camera.random(rng),
        [Segment(UPRIGHT, 20.0), Segment("look_aside", 20.0), Segment("head_tilt", 20.0)],
        Nuisance.none(),
        seed=seed,
    )
    lm = _stack(render(scene)[1])
    assert (lm[:, LEFT_SHOULDER, 0] > lm[:, RIGHT_SHOULDER, 0]).all()
    assert (lm[:, 2, 0] > lm[:, 5, 0]).all()  # left eye right of the right eye
    # Head and shoulders are in frame for every random setup.
    assert ((lm[:, :13, :2] > 0.0) & (lm[:, :13, :2] < 1.0)).all()


def test_camera_random_covers_laptop_and_monitor_setups() -> None:
    rng = np.random.default_rng(0)
    cams = [Camera.random(rng) for _ in range(200)]
    below = [c for c in cams if c.height_offset <= -0.10]
    level = [c for c in cams if c.height_offset >= 0.0]
    assert len(below) > 40 and len(level) > 40
    assert all(55.0 <= c.hfov_deg <= 80.0 and 0.45 <= c.distance <= 0.9 for c in cams)
    assert all(abs(c.lateral) <= 0.15 for c in cams)
    people = [Person.random(rng) for _ in range(200)]
    assert all(0.32 <= p.shoulder_width <= 0.46 and 0.10 <= p.neck_length <= 0.16 for p in people)
    assert all(0.13 <= p.head_width <= 0.17 and 50.0 <= p.cva <= 62.0 for p in people)


def test_protruding_head_looks_larger_relative_to_the_shoulders() -> None:
    person, cam = Person(), Camera()
    lm = render_pose(person, cam, {"cva": np.array([person.cva, 36.0])})
    ratio = _ear_width(lm, 4 / 3) / _shoulder_width(lm, 4 / 3)
    assert ratio[1] > ratio[0] * 1.02
    # ...and the ears come down toward the shoulders in the image.
    gap = lm[:, LEFT_SHOULDER, 1] - lm[:, LEFT_EAR, 1]
    assert gap[1] < gap[0]


def test_yaw_shrinks_ear_to_ear_distance_and_hides_the_far_ear() -> None:
    lm = render_pose(Person(), Camera(), {"yaw": np.array([0.0, 30.0, -30.0])})
    width = _ear_width(lm, 4 / 3)
    assert width[1] < 0.95 * width[0] and width[2] < 0.95 * width[0]
    # Turning to the left hides the left ear, turning to the right the right one.
    assert lm[1, LEFT_EAR, 3] < 0.7 < lm[1, RIGHT_EAR, 3]
    assert lm[2, RIGHT_EAR, 3] < 0.7 < lm[2, LEFT_EAR, 3]
    assert lm[0, LEFT_EAR, 3] > 0.9 and lm[0, RIGHT_EAR, 3] > 0.9


def test_shrug_closes_the_shoulder_to_ear_gap_but_not_the_ears() -> None:
    lm = render_pose(Person(), Camera(), {"raise": np.array([0.0, 0.04])})
    ears_y = 0.5 * (lm[:, LEFT_EAR, 1] + lm[:, RIGHT_EAR, 1])
    sh_y = 0.5 * (lm[:, LEFT_SHOULDER, 1] + lm[:, RIGHT_SHOULDER, 1])
    gap = sh_y - ears_y
    assert gap[1] < 0.85 * gap[0]
    width = _ear_width(lm, 4 / 3)
    assert abs(width[1] - width[0]) < 0.01 * width[0]


def test_look_down_moves_the_nose_down_relative_to_the_ears() -> None:
    person = Person()
    lm = render_pose(person, Camera(), {"pitch": np.array([person.face_pitch, 30.0])})
    ears_y = 0.5 * (lm[:, LEFT_EAR, 1] + lm[:, RIGHT_EAR, 1])
    drop = lm[:, NOSE, 1] - ears_y
    assert drop[1] > drop[0] + 0.02


def test_head_roll_lowers_one_ear() -> None:
    lm = render_pose(Person(), Camera(), {"roll": np.array([0.0, 18.0, -18.0])})
    dy = lm[:, RIGHT_EAR, 1] - lm[:, LEFT_EAR, 1]  # + = right ear lower in the image
    assert abs(dy[0]) < 0.005
    assert dy[1] > 0.03 and dy[2] < -0.03


def test_wider_field_of_view_makes_the_person_smaller() -> None:
    person = Person()
    narrow = render_pose(person, Camera(hfov_deg=55.0))
    wide = render_pose(person, Camera(hfov_deg=80.0))
    assert _shoulder_width(wide, 4 / 3)[0] < 0.8 * _shoulder_width(narrow, 4 / 3)[0]


def test_nearer_camera_makes_the_person_larger_and_tilt_moves_the_image() -> None:
    person = Person()
    near = render_pose(person, Camera(distance=0.5))
    far = render_pose(person, Camera(distance=0.8))
    assert _shoulder_width(near, 4 / 3)[0] > 1.3 * _shoulder_width(far, 4 / 3)[0]
    # Tilting the screen (camera) up moves the person down in the image.
    up = render_pose(person, Camera(), tilt=4.0)
    base = render_pose(person, Camera())
    assert (up[0, :13, 1] > base[0, :13, 1] + 0.03).all()


def test_visibility_follows_mediapipe_habits() -> None:
    lm = render_pose(Person(), Camera())[0]
    assert (lm[:13, 3] > 0.95).all()  # face and shoulders
    assert 0.3 <= lm[23, 3] <= 0.6 and (lm[25:, 3] <= 0.2).all()
    assert lm[23, 1] > 1.0  # hips below the frame
    assert np.isclose(0.5 * (lm[23, 2] + lm[24, 2]), 0.0)  # z origin at the hip midpoint
    assert lm[NOSE, 2] < lm[LEFT_EAR, 2]  # the nose is closer to the camera


# ---------------------------------------------------------------- nuisances


def test_clean_scene_has_no_events_and_a_smooth_track() -> None:
    scene = _scene([Segment(UPRIGHT, 60.0), Segment(FORWARD_HEAD, 60.0)], Nuisance.none())
    _, samples = render(scene)
    assert all(s.events == () and s.landmarks is not None for s in samples)
    lm = _stack(samples)
    step = np.abs(np.diff(lm[:, :13, :2], axis=0)).max()
    assert step < 0.01  # smooth transitions, no jumps


def test_nuisances_appear_at_their_rates() -> None:
    n_frames = 18000
    base = replace(Nuisance.none(), jitter=0.004)  # jitter alone
    noisy = replace(base, wild_prob=0.01, drop_prob=0.02, passer_prob=0.001)
    segs = [Segment(UPRIGHT, n_frames / 10.0)]
    _, clean = render(_scene(segs, Nuisance.none()))
    _, jit = render(_scene(segs, base))
    _, bad = render(_scene(segs, noisy))

    # Jitter: about the configured SD on the face, a little correlated in time.
    d = _stack(jit)[:, :7, 0] - _stack(clean)[:, :7, 0]
    assert 0.8 * 0.004 < d.std() < 1.25 * 0.004
    lag1 = np.corrcoef(d[1:, 0], d[:-1, 0])[0, 1]
    assert 0.2 < lag1 < 0.7

    def count(ev: str) -> int:
        return sum(ev in s.events for s in bad)

    assert 0.75 * 0.02 * n_frames < count("dropped") < 1.25 * 0.02 * n_frames
    assert 0.7 * 0.01 * n_frames < count("wild") < 1.3 * 0.01 * n_frames
    starts = sum(
        "passer" in s.events and "passer" not in p.events for p, s in zip(bad[:-1], bad[1:])
    )
    assert 6 <= starts <= 36  # expected 18

    for j, c, b in zip(jit, clean, bad):
        if "dropped" in b.events:
            assert b.landmarks is None and b.truth == "good" and b.cva is not None
        elif b.events == ("wild",):
            moved = np.linalg.norm(b.landmarks[:, :2] - j.landmarks[:, :2], axis=1)
            assert (moved > 0.1).sum() == 1 and (moved[moved <= 0.1] == 0).all()
        elif b.events == ("passer",):
            # Someone far behind: much smaller than the person at the desk.
            assert _ear_width(b.landmarks, 4 / 3) < 0.8 * _ear_width(c.landmarks, 4 / 3)
        elif b.events == ():
            assert np.array_equal(b.landmarks, j.landmarks)


def test_hair_hides_an_ear_for_whole_segments_at_its_rate() -> None:
    nz = replace(Nuisance.none(), hair_ear_prob=0.3)
    segs = [Segment(UPRIGHT, 10.0) for _ in range(100)]
    _, samples = render(_scene(segs, nz, seed=9, fps=5.0))
    by_seg: dict[int, set[bool]] = {}
    for s in samples:
        by_seg.setdefault(s.segment_index, set()).add("hair" in s.events)
    assert all(len(v) == 1 for v in by_seg.values())  # whole segments
    n_hair = sum(True in v for v in by_seg.values())
    assert 15 <= n_hair <= 45  # expected 30
    for s in samples:
        ears = s.landmarks[[LEFT_EAR, RIGHT_EAR], 3]
        if "hair" in s.events:
            assert ears.min() <= 0.5
        else:
            assert ears.min() > 0.9


def test_points_at_and_beyond_the_frame_edge_go_astray_as_mediapipe_s_do() -> None:
    """The ``edge`` nuisance follows python -m calibration.edge: real clips shifted until
    the eyes or shoulders crossed the edge had them off by a median 0.33-0.35 eye distances
    at 0.05 frame heights beyond it; well inside, the edge adds nothing."""
    near = Camera(distance=0.35)  # leaning in takes the shoulders out of the picture
    scene = Scene(Person(), near, [Segment(UPRIGHT, 30.0), Segment(LEAN_IN, 60.0)],
                  Nuisance.none(), fps=10.0, seed=5, name="t")  # fmt: skip
    clean = _stack(render(scene)[1])
    astray = _stack(render(replace(scene, nuisance=replace(Nuisance.none(), edge=1.0)))[1])
    aspect = near.width / near.height
    x, y = clean[:, :13, 0], clean[:, :13, 1]
    beyond = np.maximum.reduce([-x, x - 1.0, -y, y - 1.0])  # frame heights; < 0 inside
    eye_d = np.hypot((clean[:, 2, 0] - clean[:, 5, 0]) * aspect, clean[:, 2, 1] - clean[:, 5, 1])
    off = np.hypot((astray[:, :13, 0] - x) * aspect, astray[:, :13, 1] - y) / eye_d[:, None]
    inside, at_edge, out = beyond < -0.03, (beyond > -0.03) & (beyond <= 0.0), beyond > 0.04
    assert inside.sum() > 1000 and at_edge.sum() > 10 and out.sum() > 100
    assert off[inside].max() == 0.0
    assert 0.01 < np.median(off[at_edge]) < 0.12
    assert 0.25 < np.median(off[(beyond > 0.04) & (beyond < 0.06)]) < 0.5
    assert np.median(off[out]) > 2 * np.median(off[at_edge])


def test_eyes_that_leave_the_top_are_placed_inside_the_picture_for_some_people() -> None:
    """The ``inside`` nuisance follows python -m calibration.edge: for two of five real
    people MediaPipe placed eyes that had left the top 0.03-0.10 frame heights inside the
    picture, the nose and mouth with them and the ears part of the way."""
    from tests.scenes import NEAR_CAMERA

    scene = Scene(Person(), NEAR_CAMERA, [Segment(UPRIGHT, 30.0), Segment(LEAN_IN, 60.0)],
                  Nuisance.none(), fps=10.0, seed=5, name="t")  # fmt: skip
    clean_samples = render(scene)[1]
    clean = _stack(clean_samples)
    placed_samples = render(replace(scene, nuisance=replace(Nuisance.none(), inside=1.0)))[1]
    placed = _stack(placed_samples)
    eye_y = clean[:, [2, 5], 1].mean(axis=1)
    left = (eye_y < 0.0) & (eye_y > -0.1)  # shallower than any scene's limit
    assert left.sum() > 50  # the scene takes the eyes out of the top
    new_y = placed[:, [2, 5], 1].mean(axis=1)
    assert (new_y[left] >= 0.03).all() and (new_y[left] <= 0.10).all()
    assert (placed[left][:, [2, 5], 3] >= 0.97).all()  # "visible", as MediaPipe says
    shift = new_y - eye_y
    for k in (0, 9, 10):  # nose, mouth: moved with the eyes
        assert np.allclose(placed[:, k, 1] - clean[:, k, 1], shift)
    ears = (placed[left][:, [7, 8], 1] - clean[left][:, [7, 8], 1]) / shift[left, None]
    assert (ears >= 0.55).all() and (ears <= 0.85).all()
    far = eye_y > 0.1
    assert far.sum() > 50 and np.array_equal(placed[far], clean[far])
    assert np.array_equal(placed[:, 11:], clean[:, 11:])  # the body is where it is
    assert ["placed inside" in s.events for s in placed_samples] == list(shift > 0)
    # Off (the clean scene): nothing is moved, nor is any other nuisance changed.
    assert not any("placed inside" in s.events for s in clean_samples)


def test_drift_and_wander_move_the_person_slowly() -> None:
    segs = [Segment(UPRIGHT, 600.0)]
    still = _stack(render(_scene(segs, Nuisance.none()))[1])
    moving = _stack(render(_scene(segs, replace(Nuisance.none(), drift=0.05, wander=1.0)))[1])
    assert np.ptp(still[:, NOSE, 0]) < 1e-9
    assert np.ptp(moving[:, NOSE, 0]) > 0.03
    assert np.abs(np.diff(moving[:, :13, :2], axis=0)).max() < 0.01


# ---------------------------------------------------------------- away, scenes, streams


def test_away_is_null_and_the_person_walks_back_in() -> None:
    segs = [Segment(UPRIGHT, 30.0), Segment(AWAY, 20.0), Segment(UPRIGHT, 30.0)]
    _, samples = render(_scene(segs, Nuisance.none()))
    away = [s for s in samples if s.segment == AWAY]
    assert away and all(s.landmarks is None and s.truth == "absent" for s in away)
    back = [s for s in samples if s.segment_index == 2]
    assert not back[0].settled and back[-1].settled
    # Walking in from the side: the first frame back is off-centre, later ones are seated.
    centre = 0.5 * (back[-1].landmarks[LEFT_SHOULDER, 0] + back[-1].landmarks[RIGHT_SHOULDER, 0])
    first = 0.5 * (back[0].landmarks[LEFT_SHOULDER, 0] + back[0].landmarks[RIGHT_SHOULDER, 0])
    assert abs(first - centre) > 0.2
    before = [s for s in samples if s.segment_index == 0]
    assert not before[-1].settled and before[0].settled


@pytest.mark.parametrize("seed", range(5))
def test_calibration_lead_in_is_upright(seed: int) -> None:
    scene = random_scene(np.random.default_rng(seed), minutes=5)
    assert scene.segments[0].kind == UPRIGHT and scene.segments[0].duration >= 20.0
    assert all(30.0 - 1e-9 <= s.duration <= 240.0 + 1e-9 for s in scene.segments[1:])
    assert abs(scene.duration - 300.0) < 1e-6
    _, samples = render(scene)
    lead = [s for s in samples if s.t < 20.0]
    assert all(s.segment == UPRIGHT and s.truth == "good" and s.settled for s in lead)
    assert all(s.cva >= 50.0 for s in lead)
    per_kind = scene_for("shrug", seed, calibrate_seconds=25, minutes=5)
    assert per_kind.segments[0] == Segment(UPRIGHT, 25.0)
    assert {s.kind for s in per_kind.segments} == {UPRIGHT, "shrug"}


@pytest.mark.parametrize("seed", range(3))
def test_with_slouch_inserts_the_slouch_step_after_the_upright_calibration(seed: int) -> None:
    scene = random_scene(np.random.default_rng(seed), minutes=3)
    lead = scene.segments[0].duration
    slouched = with_slouch(scene, 20.0, 15.0, 15.0)
    kinds = [(s.kind, s.duration) for s in slouched.segments]
    assert kinds[:3] == [(UPRIGHT, 20.0), (FORWARD_HEAD, 15.0), (UPRIGHT, max(15.0, lead - 20))]
    assert slouched.segments[3:] == scene.segments[1:] and slouched.person == scene.person
    _, samples = render(slouched)
    step = [s for s in samples if 20.0 + 4.0 <= s.t < 35.0]
    assert all(s.truth == "forward_head" and s.cva < 50.0 for s in step)
    with pytest.raises(ValueError, match="no upright lead-in of 40"):
        with_slouch(scene_for("shrug", seed, calibrate_seconds=25), 40.0)


def test_random_scene_respects_the_requested_kinds() -> None:
    scene = random_scene(np.random.default_rng(1), kinds=["look_down", "shrug"], minutes=12)
    assert {s.kind for s in scene.segments[1:]} <= {"look_down", "shrug"}
    kinds = [s.kind for s in scene.segments[1:]]
    assert all(a != b for a, b in zip(kinds, kinds[1:]))


def test_demo_scene_tells_the_story() -> None:
    scene = demo_scene()
    assert 6 * 60 <= scene.duration <= 8 * 60
    kinds = [s.kind for s in scene.segments]
    # It begins as `posture-guard calibrate` asks (the demo command calibrates so): upright,
    # then the slouch step, then upright again.
    from calibration.baseline import SLOUCH_SECONDS
    from posture_guard.monitor import CALIBRATE_SECONDS

    assert kinds[:3] == [UPRIGHT, FORWARD_HEAD, UPRIGHT]
    assert scene.segments[0].duration >= CALIBRATE_SECONDS
    assert scene.segments[1].duration == SLOUCH_SECONDS
    assert kinds[-1] == UPRIGHT
    fwd = [s.duration for s in scene.segments if s.kind == FORWARD_HEAD]
    assert fwd and 90.0 <= max(fwd) <= 150.0
    assert {"look_down", "shrug", AWAY} <= set(kinds)
    _, samples = render(scene)
    assert {s.truth for s in samples} == {"good", "forward_head", "raised_shoulders", "absent"}


def test_written_stream_reads_back(tmp_path: Path) -> None:
    out, truth = tmp_path / "s.jsonl", tmp_path / "truth.jsonl"
    assert synth.main(["--scene", "look_aside", "--seed", "3", "--minutes", "1.5",
                       "--out", str(out), "--truth-out", str(truth)]) == 0  # fmt: skip
    header, expected = render(scene_for("look_aside", 3, minutes=1.5))
    read_header, samples = load_stream(out)
    assert isinstance(read_header, StreamHeader)
    assert (read_header.image_width, read_header.image_height, read_header.fps) == (
        header.image_width,
        header.image_height,
        header.fps,
    )
    assert len(samples) == len(expected)
    for got, want in zip(samples, expected):
        assert got.t == pytest.approx(want.t, abs=1e-4)
        assert (got.landmarks is None) == (want.landmarks is None)
        if got.landmarks is not None:
            assert np.allclose(got.landmarks, want.landmarks, atol=1e-5)
    lines = [json.loads(x) for x in truth.read_text().splitlines()]
    assert len(lines) == len(expected)
    assert {"t", "truth", "segment", "cva"} <= set(lines[0])
    assert [x["truth"] for x in lines] == [s.truth for s in expected]


def test_module_cli_runs(tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    root = Path(synth.__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "calibration.synth", "--scene", "demo", "--out", str(out)],
        cwd=root,
        check=True,
        capture_output=True,
    )
    header, samples = load_stream(out)
    assert header.fps == demo_scene().fps
    assert len(samples) == round(demo_scene().duration * demo_scene().fps)


def test_an_hour_renders_every_sample_at_the_scenes_rate() -> None:
    # (how fast it renders is not a unit test's business: the evaluate runs print it)
    scene = random_scene(np.random.default_rng(0), minutes=60)
    _, samples = render(scene)
    assert len(samples) == round(60 * 60 * scene.fps) == 36000
    assert [s.t for s in samples[:3]] == [0.0, 1 / scene.fps, 2 / scene.fps]


# ---------------------------------------------------------------- realism against MediaPipe

# Real MediaPipe Pose on real upright people facing the camera, measured once (2025, with
# mediapipe 0.10.21): posture_guard.pose.MediaPipePose (tracking mode, model_complexity=1)
# on every frame read by posture_guard.capture.open_file, each frame through
# posture_guard.features.compute_metrics. Sources: ../shared/media/
# frontal_upright_woman_mediapipe_samples.mp4 (1280x720, 195 frames),
# frontal_upright_man_intel.gif (480x270, 62 frames) and matplotlib's grace_hopper.jpg
# (512x600 still, 20 frames). Per source: median [min, max over frames].
#
#   source        ear_gap              eye_gap  face_width           ear_width  pitch
#   woman mp4     0.611 [0.593, 0.672] 0.682    0.300 [0.285, 0.316] 0.416      0.144
#   man gif       0.672 [0.667, 0.681] 0.732    0.296 [0.294, 0.302] 0.402      0.073
#   grace hopper  0.580 [0.574, 0.590] 0.637    0.294 [0.291, 0.300] 0.398      0.125
#
# Within-clip robust spread (1.4826 * MAD about the clip median; the clips last 5-8 s):
#   woman (moves, thumbs-up): ear_gap 0.0096, face_width 0.0127, pitch 0.035, roll 2.5 deg,
#   yaw 0.026; man: 0.0051, 0.0030, 0.0030, 0.33 deg, 0.0020; still photo (detector only):
#   0.0038, 0.0042, 0.015, 0.55 deg, 0.0092. Frame-to-frame changes (1.4826 * MAD of the
#   differences): ear_gap 0.0004-0.0015, face_width 0.0003-0.0008, pitch 0.0004-0.0022,
#   roll 0.09-0.16 deg, yaw 0.001-0.0026.
REAL_UPRIGHT = {  # per-source medians, as above
    "ear_gap": (0.611, 0.672, 0.580),
    "eye_gap": (0.682, 0.732, 0.637),
    "face_width": (0.300, 0.296, 0.294),
    "pitch": (0.144, 0.073, 0.125),
}
REAL_FRAME_RANGE = {"ear_gap": (0.574, 0.681), "face_width": (0.285, 0.316)}


def _upright_metrics(draws: int = 80, seconds: float = 40.0) -> list[dict[str, np.ndarray]]:
    """Per draw of Person.random/Camera.random: metric series of an upright segment."""
    from posture_guard.features import compute_metrics
    from posture_guard.landmarks import Sample

    out = []
    for i in range(draws):
        rng = np.random.default_rng(500 + i)
        scene = Scene(Person.random(rng), Camera.random(rng), [Segment(UPRIGHT, seconds)],
                      Nuisance(), fps=10.0, seed=i, name="real")  # fmt: skip
        header, samples = render(scene)
        rows = [compute_metrics(Sample(s.t, s.landmarks), header) for s in samples]
        keys = ("ear_gap", "eye_gap", "face_width", "pitch", "roll", "yaw")
        out.append({k: np.array([getattr(m, k) if m else np.nan for m in rows]) for k in keys})
    return out


@pytest.fixture(scope="module")
def upright_metrics() -> list[dict[str, np.ndarray]]:
    return _upright_metrics()


def test_upright_proportions_match_real_mediapipe(upright_metrics) -> None:
    med = {k: np.array([np.nanmedian(d[k]) for d in upright_metrics]) for k in REAL_UPRIGHT}
    # The typical synthetic person looks like the real people do to MediaPipe...
    for key, (lo, hi) in REAL_FRAME_RANGE.items():
        assert lo <= np.median(med[key]) <= hi, (key, np.median(med[key]))
    # ...and the population spans every real person.
    for key, real in REAL_UPRIGHT.items():
        p5, p95 = np.percentile(med[key], [5, 95])
        assert p5 < min(real) and max(real) < p95, (key, p5, p95, real)


def test_upright_noise_is_of_the_real_order(upright_metrics) -> None:
    def mad(x: np.ndarray) -> float:
        x = x[np.isfinite(x)]
        return float(1.4826 * np.median(np.abs(x - np.median(x))))

    def windowed(d: dict[str, np.ndarray], key: str) -> float:
        return float(np.median([mad(d[key][i : i + 80]) for i in range(0, 320, 80)]))

    level = {k: np.median([windowed(d, k) for d in upright_metrics]) for k in
             ("ear_gap", "face_width", "pitch", "roll", "yaw")}  # fmt: skip
    step = {k: np.median([mad(np.diff(d[k])) for d in upright_metrics]) for k in level}
    # Over 8 s (the length of the real clips) a sitting person wobbles between the still
    # man and the gesturing woman: neither frozen nor shaking.
    real_level = {"ear_gap": (0.004, 0.0096), "face_width": (0.003, 0.0127),
                  "pitch": (0.003, 0.035), "roll": (0.33, 2.5), "yaw": (0.002, 0.026)}  # fmt: skip
    for key, (lo, hi) in real_level.items():
        assert lo <= level[key] <= hi, (key, level[key])
    # Frame to frame (10 fps here, 12-25 fps in the clips): within ~2.5x of the real steps.
    real_step = {"ear_gap": 0.0015, "face_width": 0.0008, "pitch": 0.0022, "roll": 0.16,
                 "yaw": 0.0026}  # fmt: skip
    for key, hi in real_step.items():
        assert step[key] <= 2.5 * hi, (key, step[key])
        assert step[key] > 0.0
