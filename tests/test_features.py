"""Per-frame metrics compare like with like, whatever hair hides or the chair does.

Each test renders a noise-free pose through the synthetic pinhole camera, so the
expected numbers come from geometry, not from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from calibration.baseline import CalibrationError, fit_baseline, fit_slouch
from calibration.synth import Camera, Person, render_pose
from posture_guard.classify import relative_features
from posture_guard.features import compute_metrics
from posture_guard.landmarks import LEFT_EAR, RIGHT_EAR, Sample, StreamHeader

HEADER = StreamHeader(image_width=640, image_height=480, fps=10.0, source="test", extra={})
PERSON = Person()
CAMERA = Camera(height_offset=0.05)  # a monitor camera just above the eyes


def _metrics(pose: dict | None = None, hide: tuple[int, ...] = (), camera: Camera = CAMERA):
    lm = render_pose(PERSON, camera, pose or {})[0].copy()
    lm[list(hide), 3] = 0.1  # hair over these ears: MediaPipe reports them unseen
    return compute_metrics(Sample(t=0.0, landmarks=lm), HEADER)


def _baseline(hide: tuple[int, ...] = (), camera: Camera = CAMERA):
    return fit_baseline([_metrics(hide=hide, camera=camera)] * 30)


def test_ears_hidden_at_calibration_and_seen_later_is_not_a_nod_or_a_slump() -> None:
    base = _baseline(hide=(LEFT_EAR, RIGHT_EAR))
    now = _metrics()  # same upright pose, hair pushed back: both ears seen
    feats = relative_features(now, base)
    # The display metrics switch reference (mouth line -> ear line), so a naive comparison
    # sees a large nod; the decision compares the same reference lines.
    assert abs(now.pitch - base.median["pitch"]) > 0.1
    assert abs(feats["d_pitch"]) < 0.01
    assert abs(feats["d_gap"]) < 0.01


def test_one_ear_of_a_tilted_head_gives_the_ear_line_middle() -> None:
    both = _metrics({"roll": 8.0})
    for hidden in (LEFT_EAR, RIGHT_EAR):
        one = _metrics({"roll": 8.0}, hide=(hidden,))
        assert one.ears_seen == 1
        # Without the step along the eye line the single ear is off by half an ear span
        # times sin(8 deg), about 0.03 shoulder widths.
        assert abs(one.ear_gap - both.ear_gap) < 0.01
    assert _metrics({"roll": 8.0}, hide=(LEFT_EAR,)).ear_gap_seen == pytest.approx(
        _metrics({"roll": 8.0}, hide=(RIGHT_EAR,)).ear_gap_seen, abs=0.01
    )


def test_ear_measures_are_missing_rather_than_guessed_when_no_ear_is_seen() -> None:
    m = _metrics(hide=(LEFT_EAR, RIGHT_EAR))
    assert m.ears_seen == 0
    assert np.isnan(m.ear_gap_seen) and np.isnan(m.pitch_ears)
    assert np.isfinite(m.ear_gap) and np.isfinite(m.pitch_mouth)  # still shown to the user


def test_moving_nearer_along_the_line_of_sight_is_neither_a_shrug_nor_a_sinking_head() -> None:
    level = Camera(height_offset=-0.12)  # looks almost straight at the person
    base = _baseline(camera=level)
    m = _metrics({"shift_z": 0.10}, camera=level)
    near = relative_features(m, base)
    assert near["d_scale"] > 0.12  # 10 cm nearer is clearly bigger...
    # ...but the positions, corrected for that scale, barely move: the raw shoulder move
    # in the frame is several times larger than what is left after the correction.
    b = base.median
    raw_rise = -(m.shoulder_y - b["shoulder_y"]) / b["shoulder_width"]
    assert abs(near["rise"]) < 0.3 * abs(raw_rise)
    assert abs(near["rise"]) < 0.03 and abs(near["sink"]) < 0.03


def test_a_real_shrug_still_rises_after_the_scale_correction() -> None:
    feats = relative_features(_metrics({"raise": 0.03}), _baseline())
    assert feats["rise"] > 0.04 and abs(feats["sink"]) < 0.02


def test_the_slouch_step_records_the_users_own_forward_head() -> None:
    base = _baseline()
    slouch = fit_slouch([_metrics({"cva": 38.0})] * 20, base)
    # Ears nearer the shoulder line, face nearer the camera: the two signs of a slouch.
    assert slouch["d_gap"] < -0.05 and slouch["d_face"] > 0.0
    assert set(slouch) == {"d_gap", "d_face", "sink", "d_scale", "d_gap_face", "sink_face",
                           "d_eyes_ears"}  # fmt: skip


def test_a_slouch_step_out_of_view_or_upright_is_refused_saying_which() -> None:
    base = _baseline()
    with pytest.raises(CalibrationError, match="saw you in only 3 of 20 frames"):
        fit_slouch([_metrics({"cva": 38.0})] * 3 + [None] * 17, base)
    with pytest.raises(CalibrationError, match="looked like your upright posture"):
        fit_slouch([_metrics()] * 20, base)


def test_a_calibration_too_short_for_enough_frames_says_so_not_to_sit_in_view() -> None:
    """`calibrate --seconds 1` on a 5 fps stream saw the user in all 6 frames, and was told
    to sit facing the camera with head and shoulders in view."""
    with pytest.raises(CalibrationError, match="only 6 frames.*calibrate for longer") as exc:
        fit_baseline([_metrics()] * 6)
    assert "in view" not in str(exc.value)
    with pytest.raises(CalibrationError, match="only 2 usable frames.*in view"):
        fit_baseline([_metrics()] * 2 + [None] * 8)


def test_a_user_cut_off_by_the_frame_edge_is_told_from_an_empty_desk() -> None:
    from posture_guard.features import HEAD, cut_off_view, partly_in_view
    from posture_guard.landmarks import LEFT_EYE, LEFT_SHOULDER, NOSE, RIGHT_EYE, RIGHT_SHOULDER

    lm = render_pose(PERSON, CAMERA, {})[0].copy()
    whole = Sample(t=0.0, landmarks=lm)
    m = compute_metrics(whole, HEADER)
    assert m is not None and not partly_in_view(whole) and cut_off_view(whole, HEADER) is None
    # What stays in view is named, with the size the baseline knows it by.
    in_view = {"shoulders": m.shoulder_width, "face": m.face_width * m.shoulder_width}
    for hidden, part in (
        ((LEFT_EYE, RIGHT_EYE, NOSE), "shoulders"),
        ((LEFT_SHOULDER, RIGHT_SHOULDER), "face"),
    ):
        cut = lm.copy()
        cut[list(hidden), 3] = 0.1  # out of the picture: MediaPipe's guess, unseen
        sample = Sample(t=0.0, landmarks=cut)
        assert compute_metrics(sample, HEADER) is None and partly_in_view(sample)
        view = cut_off_view(sample, HEADER)
        assert view is not None and view.part == part
        assert view.size == pytest.approx(in_view[part], rel=1e-6)
    # Nearer still, the eyes leave the top and a shoulder the side: neither is whole, and
    # what still shows is named, sized from the points MediaPipe places beyond the edge.
    for hidden, part in (
        ((LEFT_EYE, RIGHT_EYE, LEFT_SHOULDER), "face"),  # the nose and mouth seen
        ((*HEAD[:-1], LEFT_SHOULDER), "face"),  # one corner of the mouth
        ((*HEAD, LEFT_SHOULDER), "shoulders"),  # no head point: one shoulder
    ):
        nearer = lm.copy()
        nearer[list(hidden), 3] = 0.1
        sample = Sample(t=0.0, landmarks=nearer)
        assert compute_metrics(sample, HEADER) is None and partly_in_view(sample)
        view = cut_off_view(sample, HEADER)
        assert view is not None and view.part == part
        # (with the outer eye corners unseen, their usual spacing stands in: within 1 %)
        assert view.size == pytest.approx(in_view[part], rel=0.01)
    # MediaPipe calls the points it places beyond the edge visible (0.97-1.0 for eyes above
    # the top, python -m calibration.edge): where they lie decides, not what it calls them.
    above = lm.copy()
    above[[LEFT_EYE, RIGHT_EYE], 1] = -0.02
    above[[LEFT_EYE, RIGHT_EYE], 3] = 0.99
    sample = Sample(t=0.0, landmarks=above)
    assert compute_metrics(sample, HEADER) is None and partly_in_view(sample)
    view = cut_off_view(sample, HEADER)
    assert view is not None and view.part == "shoulders"
    beside = lm.copy()
    beside[LEFT_SHOULDER, 0] = 1.03
    beside[LEFT_SHOULDER, 3] = 0.95
    sample = Sample(t=0.0, landmarks=beside)
    assert compute_metrics(sample, HEADER) is None
    view = cut_off_view(sample, HEADER)
    assert view is not None and view.part == "face"
    gone = lm.copy()
    gone[:, 3] = 0.1
    assert not partly_in_view(Sample(t=0.0, landmarks=gone))
    assert cut_off_view(Sample(t=0.0, landmarks=gone), HEADER) is None
    assert not partly_in_view(Sample(t=0.0, landmarks=None))


def test_a_face_at_the_top_edge_is_held_as_cut_off_unless_the_user_always_sits_there() -> None:
    # MediaPipe places eyes that have left the top inside the picture for some people,
    # close under the edge (python -m calibration.edge): a face whose eyes sit within
    # FOREHEAD_EYE_WIDTHS eye widths of the top is taken for a user cut off.
    from posture_guard.classify import POPULATION_BASELINE, Decider, Thresholds, at_top_edge
    from posture_guard.features import FOREHEAD_EYE_WIDTHS, eyes_below_top
    from posture_guard.landmarks import LEFT_EYE, RIGHT_EYE
    from posture_guard.states import PostureState

    lm = render_pose(PERSON, CAMERA, {})[0].copy()
    m = compute_metrics(Sample(t=0.0, landmarks=lm), HEADER)
    assert m is not None
    eye_w = m.face_width * m.shoulder_width  # in frame heights
    eye_y = float(lm[[LEFT_EYE, RIGHT_EYE], 1].mean())
    assert eyes_below_top(m.shoulder_y, m.eye_gap, m.shoulder_width, m.face_width) == (
        pytest.approx(eye_y / eye_w)
    )

    def raised(below_top: float):
        """The same user, the whole body moved up until the eyes sit that far below the
        top edge (in units of the band)."""
        moved = lm.copy()
        moved[:, 1] += below_top * FOREHEAD_EYE_WIDTHS * eye_w - eye_y
        return compute_metrics(Sample(t=0.0, landmarks=moved), HEADER)

    own = fit_baseline([m] * 10)  # eyes well below the top at calibration
    high = fit_baseline([raised(0.5)] * 10)  # a user whose eyes always sit in the band
    for below_top, held in ((1.05, False), (0.95, True), (0.3, True)):
        frame = raised(below_top)
        assert frame is not None  # measurable: every point is in the picture
        assert at_top_edge(frame, own) is held
        assert at_top_edge(frame, POPULATION_BASELINE) is held  # nobody's framing known
        assert at_top_edge(frame, high) is False
        assert at_top_edge(frame, own, band=0.0) is False  # the rule turned off
    # Held: the decision keeps its state, and says the frame edge cut the user off.
    decider = Decider(own)
    for i in range(50):
        assert decider.decide(i * 0.2, m).state is PostureState.GOOD
    decision = decider.decide(10.0, raised(0.5))
    assert decision.state is PostureState.GOOD
    assert decider.last_reading is not None and decider.last_reading.partial
    assert decider.last_reading.near  # as big as the user: leaning in, not someone else
    # With the band at 0 (Thresholds.top_edge) the same frame is judged, not held.
    judged = Decider(own, Thresholds(top_edge=0.0))
    for i in range(50):
        judged.decide(i * 0.2, m)
    judged.decide(10.0, raised(0.5))
    assert judged.last_reading is not None and not judged.last_reading.partial


def _mirrored(lm: np.ndarray) -> np.ndarray:
    """The picture flipped left to right with each point keeping its name: the person's
    left shoulder and eye now appear left of the right ones (a mirrored webcam view)."""
    out = lm.copy()
    out[:, 0] = 1.0 - out[:, 0]
    return out


def test_a_mirrored_view_is_judged_as_the_same_posture_not_a_tilted_head() -> None:
    """In a mirrored picture the eye and shoulder lines ran from right to left and read as
    angles near 180 degrees; a few degrees of sway took them across 180 to -180, and the
    replay of a mirrored stream read head_tilt for 42 % of the time (roll +358 deg)."""
    from posture_guard.classify import Decider
    from posture_guard.states import PostureState

    lm = render_pose(PERSON, CAMERA, {})[0]
    upright = compute_metrics(Sample(t=0.0, landmarks=lm), HEADER)
    flipped = compute_metrics(Sample(t=0.0, landmarks=_mirrored(lm)), HEADER)
    assert upright is not None and flipped is not None
    # A line's angle, whichever way round its points are named: mirrored, it is the same
    # tilt the other way, never 180 degrees from it.
    assert flipped.roll == pytest.approx(-upright.roll, abs=1e-6)
    assert flipped.shoulder_tilt == pytest.approx(-upright.shoulder_tilt, abs=1e-6)
    # A mirrored user swaying by a degree either way of level reads good throughout.
    base = fit_baseline([flipped] * 30)
    decider = Decider(base)
    for i, roll in enumerate([1.0, -1.0] * 40):
        frame = _mirrored(render_pose(PERSON, CAMERA, {"roll": roll})[0])
        m = compute_metrics(Sample(t=i * 0.5, landmarks=frame), HEADER)
        assert decider.decide(i * 0.5, m).state is PostureState.GOOD, i
    # A real tilt still reads head tilt in the mirrored view.
    tilted = _mirrored(render_pose(PERSON, CAMERA, {"roll": 25.0})[0])
    states = [decider.decide(40.0 + i * 0.5, compute_metrics(Sample(0.0, tilted), HEADER)).state
              for i in range(60)]  # fmt: skip
    assert states[-1] is PostureState.HEAD_TILT


def test_a_calibration_with_the_ears_not_above_the_shoulders_is_refused_at_once() -> None:
    """A picture upside down (a rotated camera) put the ears below the shoulder line: the
    calibration was saved, and every later `run` or `replay --profile` refused the profile
    ("ear_gap must be positive; recalibrate"), which calibrating again only saved again;
    `replay --calibrate-seconds` judged with the sign of the head height turned round."""
    lm = render_pose(PERSON, CAMERA, {})[0].copy()
    lm[:, 1] = 1.0 - lm[:, 1]  # upside down: every point still in the picture
    m = compute_metrics(Sample(t=0.0, landmarks=lm), HEADER)
    assert m is not None and m.ear_gap < 0
    with pytest.raises(CalibrationError, match="ears .* not above the shoulders"):
        fit_baseline([m] * 30)
