"""Scale-free posture metrics of one frame, computed from its 33 landmarks.

Everything is measured in *pixel-proportional* coordinates (normalized x times the frame's
aspect ratio, so x and y share one unit) and divided by the shoulder width seen in the same
frame, so the metrics do not change when the person sits closer or further from the camera.
Absolute positions in the frame are kept too (divided by the frame height): the camera is
fixed to the desk, so where the ears and shoulders sit in the frame tells a shrug (shoulders
rise, ears stay) from a forward head (ears sink, shoulders stay).

MediaPipe's ``z`` is never used: for faces it is the least reliable coordinate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal, Optional

import numpy as np

from .landmarks import (
    LEFT_EAR,
    LEFT_EYE,
    LEFT_EYE_OUTER,
    LEFT_SHOULDER,
    MOUTH_LEFT,
    MOUTH_RIGHT,
    NOSE,
    RIGHT_EAR,
    RIGHT_EYE,
    RIGHT_EYE_OUTER,
    RIGHT_SHOULDER,
    Sample,
    StreamHeader,
)

#: Below this visibility a landmark is treated as not seen.
VISIBLE = 0.5
#: The points a frame must show to be measured (ears are optional: hair hides them).
SHOULDERS = (LEFT_SHOULDER, RIGHT_SHOULDER)
FACE = (LEFT_EYE, RIGHT_EYE, NOSE)
#: Every head point MediaPipe gives (nose, eyes, ears, mouth).
HEAD = tuple(range(NOSE, MOUTH_RIGHT + 1))
#: Ear-to-ear (tragus) span in eye widths (the mean of outer-corner and 1.45x pupil
#: distances): about 1.33 in MediaPipe on real upright faces (ear_width / face_width).
EAR_SPAN_EYE_WIDTHS = 1.33
#: Eyes nearer the top of the picture than this many eye widths (about 2 cm on a face:
#: the forehead is cut off) may have left it. MediaPipe places eyes that have left the top
#: inside the picture for some people: on real clips enlarged until the eyes were up to
#: 0.33 frame heights above the top, it placed them inside for two of five people, a
#: median 0.06-0.23 eye widths below the edge (at most 0.42), and the pipeline read that
#: guess as a forward head or a tilted head (``python -m calibration.edge``). On the tune
#: people (``python -m calibration.tune``, the generator placing such eyes as measured)
#: 0.25 gave the best balanced accuracy of the bands tried (0.948, against 0.935 and 0.938
#: at 0.35 and 0.45) and took false alarms from 25 to 8; every real lean-in then reads
#: good. On 160 tune people the trade is smaller (0.957 and 26 false alarms against 0.968
#: and 46 without a band, both within the budget), so what holds 0.25 is the real
#: lean-ins: at 0.15 two of them read a fault again. See classify.at_top_edge.
FOREHEAD_EYE_WIDTHS = 0.25
#: Shoulders nearer together than this (in frame heights) are not measured: every metric
#: is divided by their distance.
MIN_SHOULDER_WIDTH = 1e-3


@dataclass(frozen=True)
class Metrics:
    """The numbers behind one posture decision (see the module docstring for units).

    Positive ``pitch`` = nose below the ear line (looking down); ``yaw`` = nose offset from
    the ear midpoint across the face; ``roll`` and ``shoulder_tilt`` are in degrees.
    """

    ear_gap: float  # (shoulder line y - ear y) / shoulder width
    eye_gap: float  # (shoulder line y - eye y) / shoulder width
    face_width: float  # eye width (outer corners and pupils averaged) / shoulder width
    ear_width: float  # ear-to-ear distance / shoulder width (nan if an ear is unseen)
    pitch: float  # (nose y - ear-or-eye line y) / outer-eye distance
    yaw: float  # (nose x - eye midpoint x) / outer-eye distance
    roll: float  # eye line angle from horizontal, degrees (person's left up = positive)
    shoulder_tilt: float  # shoulder line angle, degrees
    shoulder_y: float  # shoulder midpoint y / frame height (0 top, 1 bottom)
    ear_y: float  # ear (or eye-derived) height / frame height
    center_x: float  # shoulder midpoint x / frame width
    shoulder_width: float  # shoulder width / frame height
    ears_seen: int  # 0, 1 or 2 ears above the visibility threshold
    # The same measures taken only from what was actually seen (nan otherwise). The
    # decision compares like with like: a frame whose ears are hidden by hair is compared
    # with the baseline's eyes and mouth, never with the baseline's ears.
    ear_gap_seen: float = math.nan  # ear_gap from seen ears only
    pitch_ears: float = math.nan  # pitch against the seen ear line
    pitch_mouth: float = math.nan  # pitch from the nose-mouth distance (mouth seen)

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


def _angle(dx: float, dy: float) -> float:
    """Angle of a left-to-right image vector from the horizontal, degrees, up = positive,
    in (-90, 90]: the angle of the line, whichever way round its two points are named.

    In a mirrored picture (a mirrored webcam view, or MediaPipe swapping left and right
    for a frame) the person's left point is on the image left, and the vector's own angle
    sits near 180 degrees, where a degree of sway takes it across to -180: a mirrored
    user read as a tilted head. The line is the same either way, so its angle is taken.
    """
    return line_angle(math.degrees(math.atan2(-dy, dx)))


def line_angle(degrees: float) -> float:
    """``degrees`` as a line's angle, in (-90, 90]: a line is the same turned by 180
    degrees. Used for a line's angle (:func:`_angle`) and for how far one turned from
    another (classify compares the eye and shoulder lines with the calibration's)."""
    return degrees - 180.0 * math.ceil((degrees - 90.0) / 180.0)


#: What to tell a user whom the frame edge cuts off (said at calibration and after a
#: session, see calibration.baseline.framing_advice and monitor.print_totals).
SET_CAMERA_BACK = (
    "posture cannot be judged then. If you can, set the camera or screen further back, "
    "then calibrate again"
)
#: A session (or a day, in the summary) in which the frame edge cut the user off for this
#: share of the time or more ends with that advice (a choice: about 3 minutes an hour).
CUT_OFF_ADVICE_SHARE = 0.05
#: ... in these words (after "note: ").
OFTEN_CUT_OFF = (
    "your face or shoulders were often out of the picture (leaning toward the screen), and "
    f"{SET_CAMERA_BACK}"
)


@dataclass(frozen=True)
class CutOff:
    """What the picture still shows of a user the frame edge cuts off: ``part`` is
    ``"shoulders"`` (the face is out) or ``"face"`` (the shoulders are out), ``size`` its
    width per frame height (shoulder width, or the eye width of :class:`Metrics`). The
    size tells a user who leaned in (nearer than at calibration) from anything else."""

    part: Literal["shoulders", "face"]
    size: float


def cut_off_view(sample: Sample, header: StreamHeader) -> Optional[CutOff]:
    """The part of the user in view when the frame edge cuts them off, else None (see
    :func:`partly_in_view`)."""
    lm = sample.landmarks
    part = _cut_part(lm)
    if lm is None or part is None:
        return None
    # A point out of the picture (an eye, a shoulder) MediaPipe still places beyond the
    # edge, in line with what it sees: close enough to tell twice the calibrated size.
    pts = _points(lm, header)
    if part == "shoulders":
        return CutOff("shoulders", float(np.hypot(*(pts[LEFT_SHOULDER] - pts[RIGHT_SHOULDER]))))
    return CutOff("face", _eye_width(pts, lm[:, 3]))


def _cut_part(lm: Optional[np.ndarray]) -> Optional[Literal["shoulders", "face"]]:
    """Which part of a pose that cannot be measured is in view: ``"shoulders"`` (both
    shoulders, not the whole face) or ``"face"`` (eyes and nose, not both shoulders). With
    neither whole (so near that the eyes leave the top of the picture and a shoulder its
    side) the part that still shows some point: the head, else a shoulder. None when the
    pose is measurable, when there is no pose, or when none of these points is seen.
    MediaPipe finds no pose on an empty chair: a pose with some point seen is someone,
    the user cut off."""
    if lm is None:
        return None
    vis = visibility(lm)
    shoulders, face = _parts_seen(vis)
    if shoulders and face:
        return None
    if shoulders:
        return "shoulders"
    if face or np.any(vis[list(HEAD)] >= VISIBLE):
        return "face"
    if np.any(vis[list(SHOULDERS)] >= VISIBLE):
        return "shoulders"
    return None


def _parts_seen(vis: np.ndarray) -> tuple[bool, bool]:
    """Whether both shoulders, and whether the eyes and nose, are seen (``vis``: each
    landmark's :func:`visibility`)."""
    return bool(np.all(vis[list(SHOULDERS)] >= VISIBLE)), bool(np.all(vis[list(FACE)] >= VISIBLE))


def visibility(lm: np.ndarray) -> np.ndarray:
    """Each landmark's visibility, 0 for a point placed outside the picture.

    MediaPipe Pose guesses the points the frame edge cuts off and reports them as visible
    all the same: on real clips enlarged until the eyes left the top of the picture, it
    gave them a median visibility of 0.97-1.0 (``python -m calibration.edge``). A point
    beyond the edge is a guess, so it is not counted as seen.
    """
    inside = (lm[:, 0] >= 0.0) & (lm[:, 0] <= 1.0) & (lm[:, 1] >= 0.0) & (lm[:, 1] <= 1.0)
    return np.where(inside, lm[:, 3], 0.0)


def _points(lm: np.ndarray, header: StreamHeader) -> np.ndarray:
    """Landmark positions in units of frame height (x times the aspect ratio)."""
    return np.column_stack((lm[:, 0] * header.aspect, lm[:, 1]))


def _eye_width(pts: np.ndarray, vis: np.ndarray) -> float:
    """Face size: the mean of the outer-corner and the pupil distances. Each wobbles on its
    own from frame to frame; their mean is steadier than either."""
    pupils = float(np.hypot(*(pts[LEFT_EYE] - pts[RIGHT_EYE])))
    if vis[LEFT_EYE_OUTER] >= VISIBLE and vis[RIGHT_EYE_OUTER] >= VISIBLE:
        corners = float(np.hypot(*(pts[LEFT_EYE_OUTER] - pts[RIGHT_EYE_OUTER])))
    else:
        corners = 1.45 * pupils  # the outer corners sit ~1.45 pupil distances apart
    return (corners + 1.45 * pupils) / 2


def partly_in_view(sample: Sample) -> bool:
    """Whether a pose is found that the frame edge cuts off: the face seen and the
    shoulders not, the other way round, or neither whole with some point of them seen
    (see :func:`_cut_part`). Someone at the desk (leaning in close to a laptop camera
    takes the eyes out of the top of the picture), not an empty desk. Only asked when
    :func:`compute_metrics` found nothing to measure."""
    return _cut_part(sample.landmarks) is not None


def eyes_below_top(
    shoulder_y: float, eye_gap: float, shoulder_width: float, face_width: float
) -> float:
    """How far below the top edge of the picture the eyes sit, in eye widths (the face's
    own size, so near and far faces compare), from those four :class:`Metrics` (of a frame,
    or a baseline's medians): see :data:`FOREHEAD_EYE_WIDTHS`."""
    return (shoulder_y - eye_gap * shoulder_width) / (face_width * shoulder_width)


def compute_metrics(sample: Sample, header: StreamHeader) -> Optional[Metrics]:
    """Metrics of one sample, or None when nobody (or no usable upper body) is in view.

    A usable frame needs both shoulders, both eyes and the nose seen; ears are optional
    (hair hides them), and when neither is seen the ear height is estimated from the eyes.
    """
    lm = sample.landmarks
    if lm is None:
        return None
    vis = visibility(lm)
    if not all(_parts_seen(vis)):
        return None
    aspect = header.aspect
    pts = _points(lm, header)

    ls, rs = pts[LEFT_SHOULDER], pts[RIGHT_SHOULDER]
    sw = float(np.hypot(*(ls - rs)))
    if sw < MIN_SHOULDER_WIDTH:
        return None
    shoulder_mid = (ls + rs) / 2

    eye_w = _eye_width(pts, vis)
    if eye_w < 1e-4:
        return None
    eye_mid = (pts[LEFT_EYE] + pts[RIGHT_EYE]) / 2

    le, re = pts[LEFT_EYE], pts[RIGHT_EYE]
    seen_left, seen_right = vis[LEFT_EAR] >= VISIBLE, vis[RIGHT_EAR] >= VISIBLE
    n_ears = int(seen_left) + int(seen_right)
    if n_ears == 2:
        ear_y = float((pts[LEFT_EAR][1] + pts[RIGHT_EAR][1]) / 2)
        ear_w = float(np.hypot(*(pts[LEFT_EAR] - pts[RIGHT_EAR]))) / sw
    elif n_ears == 1:
        # One ear: step half an ear span along the eye line to the midpoint, so a tilted
        # head with one ear under hair still gives the height of the ear line's middle.
        across = (le - re) / max(float(np.hypot(*(le - re))), 1e-9)  # toward the left ear
        half = EAR_SPAN_EYE_WIDTHS * eye_w / 2
        ear_y = float(pts[LEFT_EAR][1] - across[1] * half if seen_left
                      else pts[RIGHT_EAR][1] + across[1] * half)  # fmt: skip
        ear_w = math.nan
    else:
        # Ears hidden: in an upright face the tragus sits about 0.35 eye-widths below
        # the eye line, which keeps ear_gap continuous when hair covers both ears.
        ear_y = float(eye_mid[1] + 0.35 * eye_w)
        ear_w = math.nan

    nose = pts[NOSE]
    # Pitch: nose relative to the ear line when ears are seen (ears barely move when the
    # head nods), else to the mouth line (the nose-mouth distance shortens in a nod).
    pitch_ears = (nose[1] - ear_y) / eye_w if n_ears else math.nan
    mouth_y = (pts[MOUTH_LEFT][1] + pts[MOUTH_RIGHT][1]) / 2
    from_mouth = float(0.35 - (mouth_y - nose[1]) / eye_w)
    mouth_seen = vis[MOUTH_LEFT] >= VISIBLE and vis[MOUTH_RIGHT] >= VISIBLE
    pitch_mouth = from_mouth if mouth_seen else math.nan
    pitch = pitch_ears if n_ears else from_mouth
    ear_gap = float((shoulder_mid[1] - ear_y) / sw)
    return Metrics(
        ear_gap=ear_gap,
        eye_gap=float((shoulder_mid[1] - eye_mid[1]) / sw),
        face_width=eye_w / sw,
        ear_width=ear_w,
        pitch=float(pitch),
        yaw=float((nose[0] - eye_mid[0]) / eye_w),
        # The person's left eye is on the image right: left-to-right vector is re -> le.
        roll=_angle(*(le - re)),
        shoulder_tilt=_angle(*(ls - rs)),
        shoulder_y=float(shoulder_mid[1]),
        ear_y=float(ear_y),
        center_x=float(shoulder_mid[0] / aspect),
        shoulder_width=sw,
        ears_seen=n_ears,
        ear_gap_seen=ear_gap if n_ears else math.nan,
        pitch_ears=float(pitch_ears),
        pitch_mouth=float(pitch_mouth),
    )
