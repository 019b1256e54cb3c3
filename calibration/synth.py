"""Labelled synthetic landmark streams from a 3-D desk-posture model seen by a pinhole webcam.

Why: posture_guard's accuracy harness needs streams whose posture is *known*. Real
recordings come without ground truth and cannot be shared, so this module builds a small
kinematic model (hips -> trunk -> C7 -> neck -> head, shoulder girdle, arms at a desk),
moves it through labelled posture segments, projects it through a pinhole camera exactly
the way MediaPipe Pose reports landmarks, and then adds the nuisances a real pipeline
sees (jitter, hair over the ears, wild points, dropped frames, a passer-by, drift). The
same generator makes the demo stream bundled with the package.

Landmarks are placed where MediaPipe puts its keypoints, not on the anatomical points of
the truth: the SHOULDER keypoint sits below and medial to the acromion (the truth of a
shrug), the EAR keypoints a few millimetres inside the tragi (the truth of the CVA). Both
offsets, and the size of jitter / wobble / wandering, are calibrated on MediaPipe Pose run
on real upright people (numbers in tests/test_synth.py).

World frame (metres, right-handed):

* origin: the person's baseline hip-joint midpoint (seated, before any drift);
* +X: the person's LEFT; +Y: up; +Z: anterior, i.e. from the person toward the screen.

Rotation signs (all right-hand rule about the named world/head axis):

* trunk flexion, head pitch: positive about +X = leaning / looking DOWN-forward;
* head yaw: positive about +Y = face turns to the person's left;
* head roll: positive about +Z = top of the head to the person's right (right ear down);
* CVA (craniovertebral angle): angle at C7 between the horizontal and the line C7 -> tragus
  midpoint, measured in the person's sagittal plane; it is a direct model parameter and
  re-derived from the 3-D points for the truth record.

Camera frame (OpenCV style): x right in the image, y down, z along the optical axis. At rest
the camera sits in front of the person looking along -Z, so image right = +X = person's left
(an unmirrored frontal webcam, as MediaPipe sees it). Normalized landmarks are
``x = u / width``, ``y = v / height``; MediaPipe-like ``z`` is depth relative to the hip
midpoint in units of image width (smaller = closer to the camera).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Union

import numpy as np

from posture_guard.landmarks import N_LANDMARKS, Sample, StreamHeader
from posture_guard.monitor import CALIBRATE_SECONDS
from posture_guard.stream import write_stream

# --------------------------------------------------------------------------------------
# Segment kinds and their truth
# --------------------------------------------------------------------------------------

UPRIGHT = "upright"
FORWARD_HEAD = "forward_head"
FORWARD_HEAD_TRUNK = "forward_head_trunk"
LOOK_ASIDE = "look_aside"
LOOK_DOWN = "look_down"
RECLINE = "recline"
SHRUG = "shrug"
LEAN_IN = "lean_in"
HEAD_TILT = "head_tilt"
AWAY = "away"

SEGMENT_KINDS: tuple[str, ...] = (
    UPRIGHT,
    FORWARD_HEAD,
    FORWARD_HEAD_TRUNK,
    LOOK_ASIDE,
    LOOK_DOWN,
    RECLINE,
    SHRUG,
    LEAN_IN,
    HEAD_TILT,
    AWAY,
)

TRUTH_GOOD = "good"
TRUTH_FORWARD_HEAD = "forward_head"
TRUTH_RAISED_SHOULDERS = "raised_shoulders"
TRUTH_HEAD_TILT = "head_tilt"
TRUTH_ABSENT = "absent"
TRUTHS: tuple[str, ...] = (
    TRUTH_GOOD,
    TRUTH_FORWARD_HEAD,
    TRUTH_RAISED_SHOULDERS,
    TRUTH_HEAD_TILT,
    TRUTH_ABSENT,
)

TRUTH_OF_KIND: dict[str, str] = {
    UPRIGHT: TRUTH_GOOD,
    LOOK_ASIDE: TRUTH_GOOD,
    LOOK_DOWN: TRUTH_GOOD,
    RECLINE: TRUTH_GOOD,
    LEAN_IN: TRUTH_GOOD,
    FORWARD_HEAD: TRUTH_FORWARD_HEAD,
    FORWARD_HEAD_TRUNK: TRUTH_FORWARD_HEAD,
    SHRUG: TRUTH_RAISED_SHOULDERS,
    HEAD_TILT: TRUTH_HEAD_TILT,
    AWAY: TRUTH_ABSENT,
}

# Truth-defining limits that hold for every *settled* sample (after the transition into
# the segment). They keep the labels and the clinical angle consistent: a CVA below ~48-50
# degrees is forward head posture, so good postures stay >= 50 and forward head <= 46.
CVA_GOOD_MIN = 50.5
CVA_FORWARD_MAX = 45.5
RAISE_SHRUG_MIN = 0.02  # m of acromion elevation above the person's baseline
RAISE_GOOD_MAX = 0.012
ROLL_TILT_MIN = 12.0  # degrees
ROLL_GOOD_MAX = 8.0

WALK_SECONDS = 1.5  # walking in after / out before an "away" segment
#: The upright lead-in the fit and the harness calibrate on: what ``posture-guard
#: calibrate`` asks a user for, so the harness measures what users get.
CALIBRATION_LEAD = CALIBRATE_SECONDS
MIN_SEGMENT, MAX_SEGMENT = 30.0, 240.0  # segment durations of the random recipes (s)

# --------------------------------------------------------------------------------------
# Landmark indices (MediaPipe order)
# --------------------------------------------------------------------------------------

_NOSE = 0
_L_EYE_IN, _L_EYE, _L_EYE_OUT, _R_EYE_IN, _R_EYE, _R_EYE_OUT = 1, 2, 3, 4, 5, 6
_L_EAR, _R_EAR = 7, 8
_MOUTH_L, _MOUTH_R = 9, 10
_L_SH, _R_SH = 11, 12
_L_ELB, _R_ELB = 13, 14
_L_WR, _R_WR = 15, 16
_L_PINKY, _R_PINKY, _L_INDEX, _R_INDEX, _L_THUMB, _R_THUMB = 17, 18, 19, 20, 21, 22
_L_HIP, _R_HIP = 23, 24
_L_KNEE, _R_KNEE, _L_ANKLE, _R_ANKLE = 25, 26, 27, 28
_L_HEEL, _R_HEEL, _L_FOOT, _R_FOOT = 29, 30, 31, 32

_HEAD_IDX = np.arange(0, 11)
# Face points in the head frame (origin: tragus midpoint, X left, Y up, Z forward) for a
# head 0.15 m ear to ear; scaled by head_width / 0.15. Proportions: eyes ~2 cm above the
# tragus (Frankfort plane) and ~8 cm in front of it, interpupillary distance ~64 mm, nose
# tip ~3.5 cm below the eyes and ~3 cm in front of them, mouth corners ~7 cm below the eyes.
_FACE_LOCAL = np.array(
    [
        [0.000, -0.013, 0.108],  # 0 nose tip
        [0.017, 0.021, 0.083],  # 1 left eye inner
        [0.032, 0.022, 0.078],  # 2 left eye
        [0.047, 0.023, 0.068],  # 3 left eye outer
        [-0.017, 0.021, 0.083],  # 4 right eye inner
        [-0.032, 0.022, 0.078],  # 5 right eye
        [-0.047, 0.023, 0.068],  # 6 right eye outer
        [0.075, 0.000, 0.000],  # 7 left ear (tragus); x set from head_width (see below)
        [-0.075, 0.000, 0.000],  # 8 right ear
        [0.025, -0.048, 0.088],  # 9 mouth left
        [-0.025, -0.048, 0.088],  # 10 mouth right
    ]
)

# Base visibility per landmark for a fully visible, in-frame point (hips/legs set per scene).
_BASE_VIS = np.array(
    [0.995] * 11 + [0.99, 0.99, 0.92, 0.92, 0.8, 0.8] + [0.7] * 6 + [0.45, 0.45] + [0.1] * 8
)
# Relative jitter per landmark: face points are the most stable, extremities the least.
_JITTER_SCALE = np.array(
    [1.0] * 11 + [1.2, 1.2, 2.0, 2.0, 2.5, 2.5] + [3.0] * 6 + [2.0] * 2 + [3.0] * 8
)

# Correlation length of the detector's slow per-landmark error (processed frames).
WOBBLE_FRAMES = 30

# Where MediaPipe Pose puts its SHOULDER keypoint relative to the acromion (trunk frame,
# metres: medial, down, forward). BlazePose's shoulder is the shoulder *joint* as annotated
# on photos, i.e. around the humeral head / top of the deltoid bulge, not the bony top of
# the acromion that defines biacromial breadth and the shrug truth. Fitted so that upright
# frontal synth matches MediaPipe on real people (see tests/test_synth.py for the numbers):
# with the keypoint on the acromion the synth gave ear_gap 0.28-0.48 and face_width ~0.27,
# real MediaPipe gives ear_gap 0.58-0.67 and face_width 0.29-0.30.
SHOULDER_KEYPOINT_OFFSET = (0.02, 0.045, 0.01)
# MediaPipe's EAR keypoint in a frontal view sits on the visible face contour at tragus
# height, a few millimetres inside the tragi (real frontal MediaPipe: ear-to-ear distance
# 1.35-1.41 outer-eye widths). Symmetric, so the ear midpoint stays the tragus midpoint.
EAR_KEYPOINT_INSET = 0.004
# C7 spinous process above / behind the acromion line (trunk frame). Sitting cervicale
# height exceeds sitting acromial height by ~6-7 cm in adult anthropometry (ANSUR II), so
# with C7 -> tragus ~0.13 m at a CVA of ~55 deg the tragus ends ~0.17-0.18 m above the
# acromions, like the tragion-to-acromion height of seated adults.
C7_ABOVE_ACROMION = 0.065
C7_BEHIND_ACROMION = 0.055

POSE_PARAMS: tuple[str, ...] = (
    "trunk",  # deg, + = flexion (lean toward the screen)
    "trunk_roll",  # deg, lateral lean, + = toward the person's right
    "cva",  # deg, craniovertebral angle
    "pitch",  # deg, head flexion about the ear axis, + = look down
    "yaw",  # deg, + = face turns to the person's left
    "roll",  # deg, + = right ear down
    "raise",  # m, acromion elevation above baseline (shrug)
    "shift_x",  # m, whole-person shift (+ = person's left)
    "shift_y",  # m, (standing up while walking in/out)
    "shift_z",  # m, (+ = toward the screen)
    "body_yaw",  # deg, whole body turned about the vertical through the hips
    "hand_x",  # m, typing movements of the hands
    "hand_y",
    "hand_z",
)


# --------------------------------------------------------------------------------------
# Scene description
# --------------------------------------------------------------------------------------


@dataclass
class Person:
    """Body dimensions of the simulated user (metres, degrees).

    The ranges in :meth:`random` follow adult anthropometry for a seated desk worker;
    ``cva`` is the person's own upright craniovertebral angle, which a detector has to
    learn during calibration rather than assume.
    """

    shoulder_width: float = 0.39  # biacromial
    neck_length: float = 0.13  # C7 -> tragus
    head_width: float = 0.15  # ear to ear (tragus)
    cva: float = 55.0  # upright craniovertebral angle
    torso_length: float = 0.52  # hip-joint midpoint -> acromion midpoint
    face_pitch: float = 2.0  # habitual head flexion when looking at the screen
    upper_arm: float = 0.30
    forearm: float = 0.26

    @classmethod
    def random(cls, rng: np.random.Generator) -> Person:
        """A plausible adult; upright CVA 51-62 deg keeps a margin above the 50 deg truth."""
        sw = float(rng.uniform(0.32, 0.46))
        return cls(
            shoulder_width=sw,
            neck_length=float(rng.uniform(0.10, 0.16)),
            head_width=float(rng.uniform(0.13, 0.17)),
            cva=float(rng.uniform(51.0, 62.0)),
            torso_length=float(rng.uniform(0.45, 0.60)),
            face_pitch=float(rng.uniform(-3.0, 6.0)),
            upper_arm=float(0.30 * sw / 0.39 * rng.uniform(0.95, 1.05)),
            forearm=float(0.26 * sw / 0.39 * rng.uniform(0.95, 1.05)),
        )


@dataclass
class Camera:
    """A pinhole webcam placed relative to the person's upright eyes.

    ``distance``: horizontal distance from the camera to the upright eye midpoint.
    ``height_offset``: camera height minus eye height (laptop: -0.25..-0.10, monitor
    camera: 0..+0.08). ``lateral``: camera offset toward the person's left. The camera is
    aimed at the midpoint between the upright eyes and shoulders so head and shoulders are
    in frame; ``tilt_deg`` adds pitch (+ = up) on top of that aim, e.g. a screen tilted back.
    """

    width: int = 640
    height: int = 480
    hfov_deg: float = 65.0
    distance: float = 0.6
    height_offset: float = -0.15
    lateral: float = 0.0
    tilt_deg: float = 0.0
    kind: str = "laptop"

    @property
    def fx(self) -> float:
        """Focal length in pixels (square pixels, so fy == fx)."""
        return 0.5 * self.width / math.tan(math.radians(self.hfov_deg) / 2.0)

    @classmethod
    def random(cls, rng: np.random.Generator) -> Camera:
        """A laptop camera below the eyes (60%) or a monitor camera at/above eye level."""
        sizes = [(640, 480), (1280, 720), (1920, 1080), (480, 270), (960, 540)]
        w, h = sizes[int(rng.integers(len(sizes)))]
        hfov = float(rng.uniform(55.0, 80.0))
        # Keep ~0.3 m either side of the face in view at shoulder depth: nearer than that
        # and the shoulders leave the frame, which real users avoid when setting up.
        d_min = max(0.45, 0.30 / math.tan(math.radians(hfov) / 2.0) - 0.08)
        distance = float(rng.uniform(d_min, max(d_min + 0.05, 0.9)))
        if rng.random() < 0.6:
            kind, height_offset = "laptop", float(rng.uniform(-0.25, -0.10))
        else:
            kind, height_offset = "monitor", float(rng.uniform(0.0, 0.08))
        return cls(
            width=w,
            height=h,
            hfov_deg=hfov,
            distance=distance,
            height_offset=height_offset,
            lateral=float(rng.uniform(-0.15, 0.15)),
            tilt_deg=float(rng.uniform(-2.0, 2.0)),
            kind=kind,
        )


@dataclass
class Nuisance:
    """What makes real landmark streams messy; defaults are realistic, :meth:`none` is clean.

    Units: ``jitter`` is the per-landmark frame-to-frame noise SD as a fraction of the image
    (x and y); ``wobble`` is the SD of MediaPipe's slow per-landmark error (its landmark
    filter and ROI tracking make detector error persist for ~``WOBBLE_FRAMES`` processed
    frames); ``hair_ear_prob`` is the chance per present segment that hair hides an ear;
    ``wild_prob``, ``drop_prob`` and ``passer_prob`` are per-sample probabilities (a
    passer event lasts 0.5-1.5 s); ``drift`` is the SD in metres of the slow wandering of
    the person in the chair; ``wander`` scales small within-segment movements and
    breathing; ``z_noise`` is the SD of MediaPipe's unreliable depth; ``edge`` scales its
    error near and beyond the frame edge (1 = as measured on real footage); ``inside`` is
    the chance per scene that MediaPipe places eyes that leave the top of the picture
    inside it (it did for two of the four real people measured when 0.5 was set; a fifth,
    measured since, had them placed beyond the edge).
    """

    # Calibrated on MediaPipe Pose (smooth_landmarks=True) on real upright people, see
    # tests/test_synth.py: frame to frame, ear_gap and face_width change by 0.0003-0.0015
    # shoulder widths and roll by 0.1-0.16 deg; on a still photo the face width still
    # wanders by ~1.5 % over 20 frames.
    jitter: float = 0.00015
    wobble: float = 0.001
    hair_ear_prob: float = 0.15
    wild_prob: float = 0.005
    drop_prob: float = 0.01
    passer_prob: float = 0.0005
    drift: float = 0.03
    wander: float = 1.0
    z_noise: float = 0.15
    edge: float = 1.0
    inside: float = 0.5

    @classmethod
    def none(cls) -> Nuisance:
        """Everything off: the projection of the model itself, for exact tests."""
        return cls(
            jitter=0.0,
            wobble=0.0,
            hair_ear_prob=0.0,
            wild_prob=0.0,
            drop_prob=0.0,
            passer_prob=0.0,
            drift=0.0,
            wander=0.0,
            z_noise=0.0,
            edge=0.0,
            inside=0.0,
        )


@dataclass
class Segment:
    """A stretch of one posture kind. ``camera_tilt`` (deg), when set, re-tilts the screen
    (camera pitch offset relative to the scene camera) at the segment start and holds."""

    kind: str
    duration: float  # seconds
    camera_tilt: Optional[float] = None

    def __post_init__(self) -> None:
        if self.kind not in SEGMENT_KINDS:
            raise ValueError(f"unknown segment kind {self.kind!r}; known: {SEGMENT_KINDS}")
        if not self.duration > 0:
            raise ValueError(f"segment duration must be positive, got {self.duration}")


@dataclass
class Scene:
    """Everything needed to render a stream; rendering is a pure function of it."""

    person: Person
    camera: Camera
    segments: list[Segment]
    nuisance: Nuisance = field(default_factory=Nuisance)
    fps: float = 10.0
    seed: int = 0
    name: str = ""

    @property
    def duration(self) -> float:
        return float(sum(s.duration for s in self.segments))


@dataclass(frozen=True, eq=False)
class LabelledSample:
    """One rendered sample with its ground truth.

    ``settled`` is False during the 1-4 s transition into a segment and while walking in
    or out around an ``away`` segment; the CVA/label guarantees hold for settled samples.
    ``events`` names the nuisances applied to this sample ("dropped", "wild", "passer",
    "hair"). ``landmarks`` may be None for a present person (a dropped frame): the truth
    is still the person's posture. (eq=False: numpy arrays have no boolean equality.)
    """

    t: float
    landmarks: Optional[np.ndarray]  # (33, 4)
    truth: str
    segment: str
    segment_index: int
    since_change: float  # seconds since the current segment began
    cva: Optional[float]
    settled: bool = True
    events: tuple[str, ...] = ()
    shoulder_raise: Optional[float] = None  # m above the person's baseline
    head_roll: Optional[float] = None  # deg
    head_pitch: Optional[float] = None  # deg
    head_yaw: Optional[float] = None  # deg
    trunk: Optional[float] = None  # deg


# --------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------


def _rot_x(a: np.ndarray) -> np.ndarray:
    c, s, z, o = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    return np.stack(
        [np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2
    )


def _rot_y(a: np.ndarray) -> np.ndarray:
    c, s, z, o = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    return np.stack(
        [np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2
    )


def _rot_z(a: np.ndarray) -> np.ndarray:
    c, s, z, o = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    return np.stack(
        [np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2
    )


PoseLike = Mapping[str, Union[float, np.ndarray]]


def baseline_pose(person: Person) -> dict[str, float]:
    """The person's upright posture (the calibration pose)."""
    pose = dict.fromkeys(POSE_PARAMS, 0.0)
    pose["cva"] = person.cva
    pose["pitch"] = person.face_pitch
    return pose


def _pose_arrays(person: Person, pose: PoseLike) -> tuple[dict[str, np.ndarray], int]:
    base = baseline_pose(person)
    raw = {k: np.atleast_1d(np.asarray(pose.get(k, base[k]), dtype=float)) for k in POSE_PARAMS}
    unknown = set(pose) - set(POSE_PARAMS)
    if unknown:
        raise ValueError(f"unknown pose parameters {sorted(unknown)}; known: {POSE_PARAMS}")
    n = max(v.shape[0] for v in raw.values())
    return {k: np.broadcast_to(v, (n,)) for k, v in raw.items()}, n


@dataclass(frozen=True, eq=False)
class Skeleton:
    """3-D model points for N time steps (world frame, metres)."""

    points: np.ndarray  # (N, 33, 3) MediaPipe order
    c7: np.ndarray  # (N, 3) C7 spinous process
    tragus_mid: np.ndarray  # (N, 3) midpoint of the two tragi (the head pivot)
    ear_normals: np.ndarray  # (N, 2, 3) outward normals of the left/right ear
    forward: np.ndarray  # (N, 3) the body's horizontal forward direction
    acromions: np.ndarray  # (N, 2, 3) left/right acromion tips (the shrug truth's points)

    def cva(self) -> np.ndarray:
        """CVA in degrees, measured in the body's sagittal plane from C7 to the tragi."""
        d = self.tragus_mid - self.c7
        horiz = np.einsum("ni,ni->n", d, self.forward)
        return np.degrees(np.arctan2(d[:, 1], horiz))


def skeleton_3d(person: Person, pose: PoseLike) -> Skeleton:
    """Pose the kinematic model; every pose value may be a scalar or an (N,) array.

    Chain: hip midpoint (+shift) -> trunk rotation (flexion, lateral lean) -> C7 and the
    acromions (shrug raises the acromions, not C7, so the CVA is untouched by a shrug) ->
    neck line at the CVA in the sagittal plane -> head rotated about the tragus midpoint
    (yaw, pitch, roll), so looking down leaves the tragi and hence the CVA in place while
    forward head posture moves the tragi forward and down with the face kept level.
    """
    p, n = _pose_arrays(person, pose)
    rad = {k: np.radians(p[k]) for k in ("trunk", "trunk_roll", "cva", "pitch", "yaw", "roll")}
    hip = np.stack([p["shift_x"], p["shift_y"], p["shift_z"]], -1)  # (N,3)
    r_trunk = _rot_x(rad["trunk"]) @ _rot_z(rad["trunk_roll"])
    w = person.shoulder_width / 2.0
    lt = person.torso_length
    raise_ = p["raise"]
    acro_local = np.zeros((n, 2, 3))
    acro_local[:, 0, 0], acro_local[:, 1, 0] = w, -w
    acro_local[:, :, 1] = (lt + raise_)[:, None]
    acro_local[:, :, 2] = (0.2 * raise_)[:, None]  # a shrug also lifts a little forward
    acromions = hip[:, None, :] + np.einsum("nij,nkj->nki", r_trunk, acro_local)
    # MediaPipe's shoulder keypoint: below, medial to and a little in front of the acromion;
    # it rises with the acromion in a shrug (the humeral head follows the girdle).
    med, down, fwd = SHOULDER_KEYPOINT_OFFSET
    kp_local = acro_local + np.array([[-med, -down, fwd], [med, -down, fwd]])
    shoulders = hip[:, None, :] + np.einsum("nij,nkj->nki", r_trunk, kp_local)
    c7_local = np.array([0.0, lt + C7_ABOVE_ACROMION, -C7_BEHIND_ACROMION])
    c7 = hip + r_trunk @ c7_local

    ln = person.neck_length
    tragus = c7 + ln * np.stack(
        [
            -0.3 * np.sin(rad["roll"]),  # lower-cervical lateral flexion carries the head
            np.sin(rad["cva"]),
            np.cos(rad["cva"]),
        ],
        -1,
    )
    r_head = _rot_y(rad["yaw"]) @ _rot_x(rad["pitch"]) @ _rot_z(rad["roll"])
    face = _FACE_LOCAL * (person.head_width / 0.15)
    half = person.head_width / 2.0 - EAR_KEYPOINT_INSET
    face[_L_EAR, 0], face[_R_EAR, 0] = half, -half
    head = tragus[:, None, :] + np.einsum("nij,kj->nki", r_head, face)
    ear_normals = np.einsum("nij,kj->nki", r_head, np.array([[1.0, 0, 0], [-1.0, 0, 0]]))

    # Arms at the desk: wrists rest on the desk ~0.2 m above the hip joints and slide
    # forward when the trunk leans in; elbows bend down and out between shoulder and wrist.
    sh_mid_z = shoulders[:, :, 2].mean(axis=1)
    wrists = np.empty((n, 2, 3))
    for k, sgn in ((0, 1.0), (1, -1.0)):
        wrists[:, k, 0] = hip[:, 0] + sgn * 0.8 * w + sgn * p["hand_x"]
        wrists[:, k, 1] = hip[:, 1] + 0.2 + p["hand_y"]
        wrists[:, k, 2] = hip[:, 2] + 0.30 + 0.5 * (sh_mid_z - hip[:, 2]) + p["hand_z"]
    reach = np.linalg.norm(wrists - shoulders, axis=-1, keepdims=True)
    slack = np.sqrt(np.clip((person.upper_arm + person.forearm) ** 2 - reach**2, 0.0, None))
    bend = np.array([[0.35, -0.75, -0.55], [-0.35, -0.75, -0.55]])
    bend /= np.linalg.norm(bend, axis=1, keepdims=True)
    elbows = 0.5 * (shoulders + wrists) + 0.5 * slack * bend
    hand_off = np.array(
        [
            [[0.030, 0.0, 0.07], [-0.030, 0.0, 0.07]],  # pinky: outer side, palms down
            [[-0.010, 0.0, 0.09], [0.010, 0.0, 0.09]],  # index
            [[-0.035, 0.01, 0.05], [0.035, 0.01, 0.05]],  # thumb: inner side
        ]
    )
    hands = wrists[:, None, :, :] + hand_off[None]  # (N,3,2,3)

    hip_half = 0.65 * w
    hips = hip[:, None, :] + np.array([[hip_half, 0, 0], [-hip_half, 0, 0]])
    knees = hips + np.array([[0.02, 0.0, 0.45], [-0.02, 0.0, 0.45]])
    ankles = knees + np.array([0.0, -0.45, 0.02])
    heels = ankles + np.array([0.0, -0.05, -0.06])
    feet = ankles + np.array([0.0, -0.07, 0.14])

    pts = np.empty((n, N_LANDMARKS, 3))
    pts[:, 0:11] = head
    pts[:, 11:13] = shoulders
    pts[:, 13:15] = elbows
    pts[:, 15:17] = wrists
    pts[:, 17:23] = hands.reshape(n, 6, 3)
    pts[:, 23:25] = hips
    pts[:, 25:27] = knees
    pts[:, 27:29] = ankles
    pts[:, 29:31] = heels
    pts[:, 31:33] = feet

    # Whole-body turn in the chair about the vertical through the hip midpoint.
    r_body = _rot_y(np.radians(p["body_yaw"]))
    pts = hip[:, None, :] + np.einsum("nij,nkj->nki", r_body, pts - hip[:, None, :])
    c7 = hip + np.einsum("nij,nj->ni", r_body, c7 - hip)
    tragus = hip + np.einsum("nij,nj->ni", r_body, tragus - hip)
    ear_normals = np.einsum("nij,nkj->nki", r_body, ear_normals)
    acromions = hip[:, None, :] + np.einsum("nij,nkj->nki", r_body, acromions - hip[:, None, :])
    forward = r_body[:, :, 2]
    return Skeleton(pts, c7, tragus, ear_normals, forward, acromions)


@dataclass(frozen=True, eq=False)
class _CameraRig:
    """A camera placed and aimed for one person (fixed per scene)."""

    position: np.ndarray  # (3,) world
    yaw: float  # rad, aim
    pitch: float  # rad, aim (+ = up), before tilt
    fx: float
    width: int
    height: int

    def rotation_wc(self, tilt_deg: np.ndarray) -> np.ndarray:
        """World -> camera rotations (N,3,3) for per-sample tilt (deg, + = camera up)."""
        pitch = self.pitch + np.radians(np.asarray(tilt_deg, dtype=float))
        n = pitch.shape[0]
        base = np.diag([1.0, -1.0, -1.0])  # camera axes at rest: x=+X, y=-Y, z=-Z
        r_cw = _rot_y(np.full(n, self.yaw)) @ _rot_x(pitch) @ base
        return np.transpose(r_cw, (0, 2, 1))


def _rig(person: Person, camera: Camera) -> _CameraRig:
    sk = skeleton_3d(person, baseline_pose(person))
    eyes = 0.5 * (sk.points[0, _L_EYE] + sk.points[0, _R_EYE])
    shoulders = 0.5 * (sk.points[0, _L_SH] + sk.points[0, _R_SH])
    pos = eyes + np.array([camera.lateral, camera.height_offset, camera.distance])
    d = 0.5 * (eyes + shoulders) - pos
    yaw = math.atan2(-d[0], -d[2])
    pitch = math.atan2(d[1], math.hypot(d[0], d[2])) + math.radians(camera.tilt_deg)
    return _CameraRig(pos, yaw, pitch, camera.fx, camera.width, camera.height)


def _project(sk: Skeleton, rig: _CameraRig, tilt: np.ndarray, hip_vis: np.ndarray) -> np.ndarray:
    """Skeleton -> (N,33,4) MediaPipe-style [x, y, z, visibility], noise-free."""
    n = sk.points.shape[0]
    r_wc = rig.rotation_wc(np.broadcast_to(tilt, (n,)))
    pc = np.einsum("nij,nkj->nki", r_wc, sk.points - rig.position)  # camera coords
    depth = np.maximum(pc[..., 2], 1e-3)
    out = np.empty((n, N_LANDMARKS, 4))
    out[..., 0] = (rig.fx * pc[..., 0] / depth + 0.5 * rig.width) / rig.width
    out[..., 1] = (rig.fx * pc[..., 1] / depth + 0.5 * rig.height) / rig.height
    # MediaPipe extrapolates out-of-frame points but keeps them within a couple of frame
    # sizes; a near-camera knee would otherwise project to absurd coordinates.
    d = out[..., :2] - 0.5
    far = np.abs(d) > 1.0
    out[..., :2] = np.where(
        far, 0.5 + np.sign(d) * (1.0 + 0.5 * np.tanh((np.abs(d) - 1.0) / 0.5)), out[..., :2]
    )
    hip_depth = 0.5 * (depth[:, _L_HIP] + depth[:, _R_HIP])
    out[..., 2] = (depth - hip_depth[:, None]) * rig.fx / (rig.width * hip_depth[:, None])

    vis = np.broadcast_to(_BASE_VIS, (n, N_LANDMARKS)).copy()
    vis[:, 23:25] = hip_vis[0:2]
    vis[:, 25:33] = hip_vis[2:10]
    # Out-of-frame upper-body points: MediaPipe still guesses them and calls them visible.
    # On real frames enlarged until the eyes left the top (up to 0.33 frame heights) it
    # gave them 0.97-1.0; shoulders below the bottom edge got 0.60-0.93 at 0.03-0.23 frame
    # heights out, 0.41-0.61 at 0.34-0.66 (python -m calibration.edge). The pipeline does
    # not count a point beyond the edge as seen (features.visibility), so these numbers
    # only keep the streams like MediaPipe's.
    x, y = out[:, :23, 0], out[:, :23, 1]
    outside = np.maximum.reduce([np.zeros_like(x), -x, x - 1.0, -y, y - 1.0])
    vis[:, :23] *= np.exp(-outside / 0.6)
    # An ear turned away from the camera is hidden behind the head.
    # Measured in the horizontal plane: a frontal camera sees both ears (they face sideways),
    # a head turned by more than ~15-20 deg hides the ear on the side it turns toward.
    view = rig.position - sk.points[:, [_L_EAR, _R_EAR]]
    view[..., 1] = 0.0
    view /= np.linalg.norm(view, axis=-1, keepdims=True)
    normals = sk.ear_normals.copy()
    normals[..., 1] = 0.0
    normals /= np.maximum(np.linalg.norm(normals, axis=-1, keepdims=True), 1e-9)
    facing = np.einsum("nki,nki->nk", normals, view)
    hidden = np.clip((-facing - 0.3) / 0.45, 0.0, 1.0)
    vis[:, [_L_EAR, _R_EAR]] *= 1.0 - 0.8 * hidden
    vis[:, [_L_EYE_OUT, _R_EYE_OUT]] *= 1.0 - 0.25 * hidden
    out[..., 3] = vis
    return out


def render_pose(
    person: Person,
    camera: Camera,
    pose: Optional[PoseLike] = None,
    tilt: float = 0.0,
) -> np.ndarray:
    """Noise-free landmarks (N,33,4) of a pose (defaults: the person's upright pose).

    For geometry tests and for exploring what a detector sees; ``tilt`` adds camera pitch.
    """
    full = baseline_pose(person)
    full.update(pose or {})
    sk = skeleton_3d(person, full)
    hip_vis = np.array([0.45, 0.45] + [0.1] * 8)
    return _project(sk, _rig(person, camera), np.full(sk.points.shape[0], tilt), hip_vis)


# --------------------------------------------------------------------------------------
# Posture targets per segment and time series
# --------------------------------------------------------------------------------------


def _segment_target(kind: str, person: Person, rng: np.random.Generator) -> dict[str, float]:
    """Where the pose heads in a segment of ``kind`` (drawn once per segment)."""
    u = rng.uniform
    t = baseline_pose(person)
    # Every kind draws the same number of values so the stream of draws is stable.
    r = u(0.0, 1.0, size=8)
    sign = 1.0 if r[7] < 0.5 else -1.0
    t["trunk"] = -3.0 + 6.0 * r[0]
    t["cva"] = person.cva - 1.5 + 3.0 * r[1]
    t["pitch"] = person.face_pitch - 3.0 + 6.0 * r[2]
    t["yaw"] = -5.0 + 10.0 * r[3]
    t["roll"] = -3.0 + 6.0 * r[4]
    t["raise"] = -0.003 + 0.008 * r[5]
    t["body_yaw"] = -4.0 + 8.0 * r[6]
    if kind == LOOK_ASIDE:
        t["yaw"] = sign * (20.0 + 20.0 * r[3])
        t["pitch"] = person.face_pitch - 5.0 + 10.0 * r[2]
    elif kind == LOOK_DOWN:
        t["pitch"] = person.face_pitch + 20.0 + 20.0 * r[2]
        t["cva"] = person.cva - 3.0 * r[1]
    elif kind == RECLINE:
        t["trunk"] = -(10.0 + 10.0 * r[0])
        t["cva"] = person.cva + 3.0 * r[1]
        t["pitch"] = person.face_pitch + 4.0 * r[2]  # chin down to keep eyes on the screen
    elif kind == LEAN_IN:
        t["trunk"] = 8.0 + 10.0 * r[0]
        t["cva"] = person.cva - 2.0 * r[1]
        t["pitch"] = person.face_pitch - 3.0 * r[2]
    elif kind == FORWARD_HEAD:
        t["cva"] = 32.0 + 11.0 * r[1]
        t["trunk"] = -2.0 + 6.0 * r[0]
        t["pitch"] = person.face_pitch - 6.0 + 9.0 * r[2]  # upper-cervical extension
    elif kind == FORWARD_HEAD_TRUNK:
        t["cva"] = 30.0 + 12.0 * r[1]
        t["trunk"] = 10.0 + 12.0 * r[0]
        t["pitch"] = person.face_pitch - 6.0 + 9.0 * r[2]
    elif kind == SHRUG:
        t["raise"] = 0.025 + 0.025 * r[5]
    elif kind == HEAD_TILT:
        t["roll"] = sign * (12.5 + 12.5 * r[4])
    return t


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _smooth_noise(rng: np.random.Generator, t: np.ndarray, tau: float, k: int = 8) -> np.ndarray:
    """Unit-SD smooth random signal with correlation time ~tau s (sum of random sines).

    Vectorized (no recursion over samples), so hours of stream cost milliseconds.
    """
    freqs = np.exp(rng.normal(0.0, 0.6, size=k)) / (2.0 * np.pi * tau)
    phases = rng.uniform(0.0, 2.0 * np.pi, size=k)
    return np.sqrt(2.0 / k) * np.sin(np.outer(t, 2.0 * np.pi * freqs) + phases).sum(axis=1)


_WANDER = {  # param: (SD at wander=1, correlation time s)
    "trunk": (1.0, 15.0),
    "trunk_roll": (0.8, 20.0),
    "cva": (1.2, 10.0),
    "pitch": (1.5, 5.0),
    "yaw": (2.0, 4.0),
    "roll": (1.0, 8.0),
    "raise": (0.002, 10.0),
    "body_yaw": (1.5, 25.0),
    "hand_x": (0.01, 1.0),
    "hand_y": (0.005, 0.7),
    "hand_z": (0.015, 1.5),
}


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


def _rngs(seed: int, n: int) -> list[np.random.Generator]:
    """Independent streams per concern, so switching one nuisance off changes nothing else."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def _limit(name: str, v: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Hold a pose parameter within the limits that define each sample's truth."""
    if name == "cva":
        good_like = np.isin(truth, [TRUTH_GOOD, TRUTH_RAISED_SHOULDERS, TRUTH_HEAD_TILT])
        v = np.where(good_like, np.maximum(v, CVA_GOOD_MIN), v)
        return np.where(truth == TRUTH_FORWARD_HEAD, np.minimum(v, CVA_FORWARD_MAX), v)
    if name == "raise":
        shrug = truth == TRUTH_RAISED_SHOULDERS
        return np.where(shrug, np.maximum(v, RAISE_SHRUG_MIN), np.minimum(v, RAISE_GOOD_MAX))
    if name == "roll":
        tilt = truth == TRUTH_HEAD_TILT
        tilted = np.where(v >= 0, 1.0, -1.0) * np.maximum(np.abs(v), ROLL_TILT_MIN)
        return np.where(tilt, tilted, np.clip(v, -ROLL_GOOD_MAX, ROLL_GOOD_MAX))
    return v


def render(scene: Scene) -> tuple[StreamHeader, list[LabelledSample]]:
    """Render a scene to a stream header and labelled samples; deterministic in scene.seed."""
    if not scene.segments:
        raise ValueError("a scene needs at least one segment")
    (r_struct, r_wander, r_drift, r_jit, r_hair, r_wild, r_drop, r_pass, r_z, r_vis, r_wob,
     r_edge, r_inside) = _rngs(scene.seed, 13)  # fmt: skip
    person, nz, fps = scene.person, scene.nuisance, float(scene.fps)
    segs = scene.segments
    n_seg = len(segs)
    starts = np.concatenate([[0.0], np.cumsum([s.duration for s in segs])])
    n = int(round(starts[-1] * fps))
    t = np.arange(n) / fps
    seg = np.clip(np.searchsorted(starts, t + 1e-9, side="right") - 1, 0, n_seg - 1)
    since = t - starts[seg]
    until = starts[seg + 1] - t
    kinds = np.array([s.kind for s in segs])
    present = kinds[seg] != AWAY

    # Per-segment targets, transition times and walking sides.
    targets = [_segment_target(s.kind, person, r_struct) for s in segs]
    trans = np.array([r_struct.uniform(1.0, 4.0) for _ in segs])
    sides = np.where(r_struct.random(n_seg) < 0.5, 1.0, -1.0)
    trans = np.minimum(trans, np.array([s.duration for s in segs]) / 3.0)
    blend_from = np.arange(n_seg) - 1
    for k in range(n_seg):
        if k == 0 or segs[k].kind == AWAY or segs[k - 1].kind == AWAY:
            trans[k] = 0.0
            blend_from[k] = k
    w = _smoothstep(np.where(trans[seg] > 0, since / np.maximum(trans[seg], 1e-9), 1.0))

    # Within-segment wandering and breathing (continuous across segments).
    wander = {name: np.zeros(n) for name in POSE_PARAMS}
    for name, (sd, tau) in _WANDER.items():
        wander[name] = nz.wander * sd * _smooth_noise(r_wander, t, tau)
    f_breath = r_wander.uniform(0.2, 0.3)
    breath = np.sin(2.0 * np.pi * f_breath * t + r_wander.uniform(0, 2 * np.pi))
    wander["raise"] = wander["raise"] + nz.wander * 0.002 * breath
    wander["trunk"] = wander["trunk"] + nz.wander * 0.3 * breath

    # Each segment's own pose (target + wander) is held to its truth limits *before* the
    # transition blend, so settled samples obey the limits and the pose stays continuous.
    truths = np.array([TRUTH_OF_KIND[k] for k in kinds])
    truth_arr = truths[seg]
    prev_truth = truths[blend_from][seg]
    pose: dict[str, np.ndarray] = {}
    for name in POSE_PARAMS:
        vals = np.array([tg[name] for tg in targets])
        prev = _limit(name, vals[blend_from][seg] + wander[name], prev_truth)
        cur = _limit(name, vals[seg] + wander[name], truth_arr)
        pose[name] = prev + (cur - prev) * w

    # Slow drift in the chair.
    pose["shift_x"] = pose["shift_x"] + nz.drift * _smooth_noise(r_drift, t, 90.0)
    pose["shift_z"] = pose["shift_z"] + nz.drift * _smooth_noise(r_drift, t, 120.0)

    # Walking in after / out before an away segment (the pose is otherwise the segment's).
    walk = np.zeros(n)
    after_away = np.array([k > 0 and segs[k - 1].kind == AWAY for k in range(n_seg)])
    before_away = np.array([k + 1 < n_seg and segs[k + 1].kind == AWAY for k in range(n_seg)])
    m_in = present & after_away[seg] & (since < WALK_SECONDS)
    walk[m_in] = 1.0 - _smoothstep(since[m_in] / WALK_SECONDS)
    m_out = present & before_away[seg] & (until < WALK_SECONDS)
    walk[m_out] = np.maximum(walk[m_out], 1.0 - _smoothstep(until[m_out] / WALK_SECONDS))
    side = sides[seg]
    pose["shift_x"] = pose["shift_x"] + 0.7 * walk * side
    pose["shift_y"] = pose["shift_y"] + 0.35 * walk
    pose["body_yaw"] = pose["body_yaw"] + 60.0 * walk * side

    settled = present & (since >= trans[seg]) & (walk == 0.0)

    # Screen tilt: a segment may re-tilt the camera; it eases in over 1 s and holds.
    tilt_val = np.zeros(n_seg)
    cur_tilt = 0.0
    for k, s in enumerate(segs):
        if s.camera_tilt is not None:
            cur_tilt = float(s.camera_tilt)
        tilt_val[k] = cur_tilt
    prev_tilt = np.concatenate([[tilt_val[0]], tilt_val[:-1]])[seg]
    tilt = prev_tilt + (tilt_val[seg] - prev_tilt) * _smoothstep(since)

    # Geometry and projection.
    rig = _rig(person, scene.camera)
    sk = skeleton_3d(person, pose)
    hip_vis = np.concatenate([r_vis.uniform(0.3, 0.6, 2), r_vis.uniform(0.0, 0.2, 8)])
    lm = _project(sk, rig, tilt, hip_vis)
    cva = sk.cva()

    events: list[list[str]] = [[] for _ in range(n)]
    _apply_nuisances(lm, scene, seg, present, t, rig, tilt, hip_vis, events, r_jit, r_hair,
                     r_wild, r_drop, r_pass, r_z, r_wob, r_edge, r_inside)  # fmt: skip
    dropped = np.array(["dropped" in e for e in events], dtype=bool)

    header = StreamHeader(
        image_width=scene.camera.width,
        image_height=scene.camera.height,
        fps=fps,
        source=f"synthetic:{scene.name or 'scene'}",
        extra={"generator": "calibration.synth", "seed": scene.seed, "synthetic": True},
    )
    out: list[LabelledSample] = []
    tl, sl, cl = t.tolist(), since.tolist(), cva.tolist()
    rl, rol = pose["raise"].tolist(), pose["roll"].tolist()
    pl, yl, trl = pose["pitch"].tolist(), pose["yaw"].tolist(), pose["trunk"].tolist()
    segl, setl, presl = seg.tolist(), settled.tolist(), present.tolist()
    for i in range(n):
        k = segl[i]
        here = presl[i]
        out.append(
            LabelledSample(
                t=tl[i],
                landmarks=lm[i] if here and not dropped[i] else None,
                truth=truth_arr[i],
                segment=segs[k].kind,
                segment_index=k,
                since_change=sl[i],
                cva=cl[i] if here else None,
                settled=setl[i],
                events=tuple(events[i]),
                shoulder_raise=rl[i] if here else None,
                head_roll=rol[i] if here else None,
                head_pitch=pl[i] if here else None,
                head_yaw=yl[i] if here else None,
                trunk=trl[i] if here else None,
            )
        )
    return header, out


def _wandering(rng: np.random.Generator, n: int, points: int) -> np.ndarray:
    """Unit-SD error in x and y per frame and point that wanders slowly: a moving average
    of white noise over WOBBLE_FRAMES frames, as MediaPipe's tracker carries its error."""
    k = WOBBLE_FRAMES
    c = np.cumsum(rng.normal(size=(n + k, points, 2)), axis=0)
    return (c[k:] - c[:-k]) / math.sqrt(k)


def _apply_nuisances(
    lm: np.ndarray,
    scene: Scene,
    seg: np.ndarray,
    present: np.ndarray,
    t: np.ndarray,
    rig: _CameraRig,
    tilt: np.ndarray,
    hip_vis: np.ndarray,
    events: list[list[str]],
    r_jit: np.random.Generator,
    r_hair: np.random.Generator,
    r_wild: np.random.Generator,
    r_drop: np.random.Generator,
    r_pass: np.random.Generator,
    r_z: np.random.Generator,
    r_wob: np.random.Generator,
    r_edge: np.random.Generator,
    r_inside: np.random.Generator,
) -> None:
    """Add jitter, hair, wild points, passers-by, depth noise and drops (in place).

    Each nuisance draws from its own generator with a size fixed by the scene, so turning
    one on or off never changes the others or the posture.
    """
    nz = scene.nuisance
    n = lm.shape[0]
    n_seg = len(scene.segments)

    # Jitter: slightly temporally correlated (MA(1)), larger for extremities and for
    # points MediaPipe cannot see well.
    e = r_jit.normal(size=(n + 1, N_LANDMARKS, 2))
    jit = (e[1:] + 0.6 * e[:-1]) / math.sqrt(1.36)
    vis_boost = 1.0 + 2.0 * (1.0 - lm[..., 3])
    lm[..., :2] += nz.jitter * jit * (_JITTER_SCALE * vis_boost)[..., None]
    vis_noise = r_jit.normal(size=(n, N_LANDMARKS))
    if nz.jitter > 0:
        lm[..., 3] = np.clip(lm[..., 3] + 0.005 * vis_noise, 0.0, 1.0)

    # Wobble: MediaPipe's slowly wandering per-landmark error (a moving average of white
    # noise over WOBBLE_FRAMES processed frames, unit SD). Its landmark filter runs per
    # processed frame (the Python API steps a simulated 30 fps clock), so the correlation
    # is in frames, whatever the sampling interval.
    if nz.wobble > 0:
        wob = _wandering(r_wob, n, N_LANDMARKS)
        lm[..., :2] += nz.wobble * wob * (_JITTER_SCALE * vis_boost)[..., None]

    # Near the frame edge MediaPipe's points go astray. On real clips shifted until the eyes
    # reached the top edge or the shoulders the bottom (python -m calibration.edge), their
    # median error grew from 0.08-0.13 eye distances well inside to 0.14-0.17 at the edge,
    # 0.20-0.24 at 0.02 frame heights beyond it and 0.33-0.35 at 0.05: an added error of
    # SD 0.08 eye distances at the edge, 0.08 + 3.5 per frame height beyond, none 0.03
    # inside. It persists from frame to frame like the wobble (the tracker carries it).
    if nz.edge > 0:
        astray = _wandering(r_edge, n, 23)
        aspect = scene.camera.width / scene.camera.height
        x, y = lm[:, :23, 0], lm[:, :23, 1]
        beyond = np.maximum.reduce([-x, x - 1.0, -y, y - 1.0])  # negative inside
        sd = np.where(beyond > 0, 0.08 + 3.5 * beyond, 0.08 * np.clip(1 + beyond / 0.03, 0, 1))
        eyes = lm[:, [_L_EYE, _R_EYE], :2]
        eye_d = np.hypot((eyes[:, 0, 0] - eyes[:, 1, 0]) * aspect, eyes[:, 0, 1] - eyes[:, 1, 1])
        size = nz.edge * sd * eye_d[:, None]  # in frame heights
        lm[:, :23, 0] += size * astray[..., 0] / aspect
        lm[:, :23, 1] += size * astray[..., 1]

    # Eyes that leave the top of the picture: for two of five real people MediaPipe placed
    # them inside it, 0.03-0.10 frame heights below the edge when they were up to 0.33
    # above it, and the nose and mouth with them (the ears moved 0.55-0.85 as far). For the
    # other three it placed them beyond the edge, near where they were (calibration.edge).
    # Here the eyes of such a scene sit at least ``near`` below the edge, less the deeper
    # they are (``pull`` per frame height beyond), until ``deep`` beyond: then beyond it.
    placer = r_inside.random() < nz.inside
    near, pull, deep = (
        r_inside.uniform(0.05, 0.10),
        r_inside.uniform(0.1, 0.2),
        r_inside.uniform(0.1, 0.4),
    )
    ear_share = r_inside.uniform(0.55, 0.85)
    if placer:
        eye_y = lm[:, [_L_EYE, _R_EYE], 1].mean(axis=1)
        beyond = np.maximum(-eye_y, 0.0)
        shift = np.where(
            present & (beyond < deep), np.maximum(eye_y, near - pull * beyond) - eye_y, 0.0
        )
        face = [
            _NOSE,
            _L_EYE_IN,
            _L_EYE,
            _L_EYE_OUT,
            _R_EYE_IN,
            _R_EYE,
            _R_EYE_OUT,
            _MOUTH_L,
            _MOUTH_R,
        ]
        lm[:, face, 1] += shift[:, None]
        lm[:, [_L_EAR, _R_EAR], 1] += ear_share * shift[:, None]
        moved = shift > 0
        lm[moved, :11, 3] = np.maximum(lm[moved, :11, 3], 0.97)  # as sure as of points seen
        for i in np.nonzero(moved)[0].tolist():
            events[i].append("placed inside")

    # Hair over an ear for whole segments: low visibility, biased and noisier position.
    hair_draw = r_hair.random(n_seg)
    which = r_hair.random(n_seg)
    hair_vis = r_hair.uniform(0.1, 0.5, n_seg)
    hair_bias = r_hair.normal(0.0, 0.008, (n_seg, 2))
    hair_e = r_hair.normal(size=(n, 2, 2))
    hair_sd = max(2.5 * nz.jitter, 0.006)
    for k in range(n_seg):
        if scene.segments[k].kind == AWAY or hair_draw[k] >= nz.hair_ear_prob:
            continue
        ears = [_L_EAR] if which[k] < 0.4 else [_R_EAR] if which[k] < 0.8 else [_L_EAR, _R_EAR]
        idx = np.nonzero(seg == k)[0]
        for j, ear in enumerate(ears):
            lm[idx, ear, 3] = np.minimum(lm[idx, ear, 3], hair_vis[k])
            lm[idx, ear, :2] += hair_bias[k] + hair_sd * hair_e[idx, j]
        for i in idx.tolist():
            events[i].append("hair")

    # MediaPipe's depth is unreliable: scene-wide scale error plus noise.
    z_scale = float(np.exp(r_z.normal(0.0, 0.3)))
    z_e = r_z.normal(size=(n, N_LANDMARKS))
    if nz.z_noise > 0:
        lm[..., 2] = lm[..., 2] * z_scale + nz.z_noise * z_e

    # A second person passing behind: for a few frames the detector follows them instead.
    starts = np.nonzero((r_pass.random(n) < nz.passer_prob) & present)[0]
    fps = scene.fps
    for i0 in starts.tolist():
        length = max(1, int(round(r_pass.uniform(0.5, 1.5) * fps)))
        idx = np.arange(i0, min(n, i0 + length))
        idx = idx[present[idx]]
        if idx.size == 0:
            continue
        other = Person.random(r_pass)
        direction = 1.0 if r_pass.random() < 0.5 else -1.0
        speed = r_pass.uniform(1.0, 1.5)
        tt = t[idx] - t[i0]
        x0 = -direction * r_pass.uniform(0.2, 0.6)
        pose = baseline_pose(other)
        pose.update(
            shift_x=x0 + direction * speed * tt,
            shift_y=np.full(idx.size, 0.4),
            shift_z=np.full(idx.size, -r_pass.uniform(1.5, 2.5)),
            body_yaw=np.full(idx.size, direction * r_pass.uniform(40.0, 80.0)),
        )
        p_lm = _project(skeleton_3d(other, pose), rig, tilt[idx], hip_vis)
        p_lm[..., 3] *= 0.9
        p_lm[..., :2] += nz.jitter * r_pass.normal(size=(idx.size, N_LANDMARKS, 2))
        lm[idx] = p_lm
        for i in idx.tolist():
            events[i].append("passer")

    # Wild landmarks: one point thrown far off for one frame.
    wild = (r_wild.random(n) < nz.wild_prob) & present
    wild_lm = r_wild.integers(0, 25, n)
    wild_dir = r_wild.uniform(0.0, 2.0 * np.pi, n)
    wild_mag = r_wild.uniform(0.15, 0.5, n)
    idx = np.nonzero(wild)[0]
    lm[idx, wild_lm[idx], 0] += wild_mag[idx] * np.cos(wild_dir[idx])
    lm[idx, wild_lm[idx], 1] += wild_mag[idx] * np.sin(wild_dir[idx])
    for i in idx.tolist():
        events[i].append("wild")

    # Dropped frames: the detector found nobody although the person is there.
    drop = (r_drop.random(n) < nz.drop_prob) & present
    for i in np.nonzero(drop)[0].tolist():
        events[i].append("dropped")


def to_samples(labelled: Sequence[LabelledSample]) -> list[Sample]:
    """Strip the truth: what the posture side would receive."""
    return [Sample(s.t, s.landmarks) for s in labelled]


# --------------------------------------------------------------------------------------
# Scene recipes
# --------------------------------------------------------------------------------------

_MIX_WEIGHTS = {
    UPRIGHT: 3.0,
    FORWARD_HEAD: 1.5,
    FORWARD_HEAD_TRUNK: 1.0,
    LOOK_ASIDE: 1.0,
    LOOK_DOWN: 1.2,
    RECLINE: 1.0,
    SHRUG: 0.8,
    LEAN_IN: 1.0,
    HEAD_TILT: 0.8,
    AWAY: 0.6,
}


def _fill(
    rng: np.random.Generator,
    segments: list[Segment],
    total: float,
    pick: Callable[[], tuple[str, float]],
) -> list[Segment]:
    """Append segments from ``pick()`` -> (kind, duration) until ``total`` seconds."""
    used = sum(s.duration for s in segments)
    while total - used > 1e-9:
        kind, dur = pick()
        remaining = total - used
        if remaining - dur < MIN_SEGMENT:
            # Never leave a stub shorter than MIN_SEGMENT; never exceed MAX_SEGMENT.
            dur = remaining if remaining <= MAX_SEGMENT else remaining - MIN_SEGMENT
        tilt = float(rng.uniform(-5.0, 5.0)) if rng.random() < 0.1 else None
        segments.append(Segment(kind, float(dur), camera_tilt=tilt))
        used += dur
    return segments


def random_scene(
    rng: np.random.Generator,
    kinds: Optional[Sequence[str]] = None,
    minutes: float = 10,
    name: str = "",
) -> Scene:
    """A realistic desk session: >= 20 s upright (for calibration), then a random mix.

    Segments last 30 s - 4 min; consecutive segments differ in kind unless only one kind
    is asked for. Person, camera and seed are drawn from ``rng``.
    """
    pool = list(kinds) if kinds else list(SEGMENT_KINDS)
    for k in pool:
        if k not in SEGMENT_KINDS:
            raise ValueError(f"unknown segment kind {k!r}")
    person, camera = Person.random(rng), Camera.random(rng)
    lead = float(rng.uniform(20.0, 60.0))
    segments = [Segment(UPRIGHT, lead)]
    state = {"last": UPRIGHT}

    def pick() -> tuple[str, float]:
        choices = [k for k in pool if k != state["last"]] if len(pool) > 1 else pool
        wts = np.array([_MIX_WEIGHTS[k] for k in choices])
        kind = choices[int(rng.choice(len(choices), p=wts / wts.sum()))]
        state["last"] = kind
        return kind, float(rng.uniform(30.0, 180.0 if kind == AWAY else 240.0))

    _fill(rng, segments, max(minutes * 60.0, lead + MIN_SEGMENT), pick)
    return Scene(
        person=person,
        camera=camera,
        segments=segments,
        nuisance=Nuisance(),
        fps=10.0,
        seed=int(rng.integers(2**31 - 1)),
        name=name or "random",
    )


def scene_for(
    kind: str, seed: int, calibrate_seconds: float = CALIBRATION_LEAD, minutes: float = 10
) -> Scene:
    """An upright calibration lead-in, then long ``kind`` segments alternating with upright.

    The per-kind scenes of the accuracy harness: each isolates one posture while keeping
    the person, camera and nuisances random (from ``seed``).
    """
    if kind not in SEGMENT_KINDS:
        raise ValueError(f"unknown segment kind {kind!r}; known: {SEGMENT_KINDS}")
    rng = np.random.default_rng(seed)
    person, camera = Person.random(rng), Camera.random(rng)
    segments = [Segment(UPRIGHT, float(calibrate_seconds))]
    state = {"next": kind}

    def pick() -> tuple[str, float]:
        k = state["next"]
        state["next"] = UPRIGHT if k == kind and kind != UPRIGHT else kind
        if k == kind and kind != UPRIGHT:
            return k, float(rng.uniform(60.0, 180.0))
        return k, float(rng.uniform(30.0, 90.0))

    _fill(rng, segments, max(minutes * 60.0, calibrate_seconds + MIN_SEGMENT), pick)
    return Scene(person, camera, segments, Nuisance(), 10.0, seed, f"{kind}-{seed}")


def with_slouch(
    scene: Scene,
    calibrate_seconds: float = CALIBRATION_LEAD,
    slouch_seconds: float = 15.0,
    return_seconds: float = 15.0,
) -> Scene:
    """The scene as a user calibrating with the slouch step lives it: ``calibrate_seconds``
    upright, a deliberate forward-head slouch for ``slouch_seconds``, back upright for at
    least ``return_seconds``, then the scene's own segments (the first, upright lead-in,
    keeps what is left of its length).
    """
    first, rest = scene.segments[0], scene.segments[1:]
    if first.kind != UPRIGHT or first.duration < calibrate_seconds:
        raise ValueError(f"scene {scene.name!r} has no upright lead-in of {calibrate_seconds} s")
    back = max(return_seconds, first.duration - calibrate_seconds)
    segments = [
        Segment(UPRIGHT, calibrate_seconds, first.camera_tilt),
        Segment(FORWARD_HEAD, slouch_seconds),
        Segment(UPRIGHT, back),
        *rest,
    ]
    return replace(scene, segments=segments, name=f"{scene.name}+slouch")


def demo_scene() -> Scene:
    """The bundled demo: ~6.8 min at 5 fps showing every state a user meets first, after
    the calibration ``posture-guard calibrate`` asks for (20 s upright, then the 15 s
    slouch step)."""
    segments = [
        Segment(UPRIGHT, CALIBRATION_LEAD),  # calibration: upright
        Segment(FORWARD_HEAD, 15.0),  # calibration: the slouch step
        Segment(UPRIGHT, 60.0),  # good typing
        Segment(FORWARD_HEAD, 120.0),  # the slump
        Segment(LOOK_DOWN, 30.0),
        Segment(UPRIGHT, 20.0),
        Segment(SHRUG, 40.0),
        Segment(AWAY, 60.0),
        Segment(UPRIGHT, 45.0),
    ]
    person = Person(
        shoulder_width=0.40,
        neck_length=0.13,
        head_width=0.15,
        cva=55.0,
        torso_length=0.52,
        face_pitch=2.0,
    )
    camera = Camera(640, 480, hfov_deg=65.0, distance=0.6, height_offset=-0.15, lateral=0.03)
    return Scene(person, camera, segments, Nuisance(), fps=5.0, seed=2024, name="demo")


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------


def truth_record(s: LabelledSample) -> dict[str, object]:
    """One line of the truth sidecar."""
    return {
        "t": round(s.t, 4),
        "truth": s.truth,
        "segment": s.segment,
        "cva": None if s.cva is None else round(s.cva, 2),
        "settled": s.settled,
        "events": list(s.events),
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m calibration.synth --scene demo|KIND|random --seed N --out FILE``."""
    ap = argparse.ArgumentParser(prog="python -m calibration.synth", description=__doc__)
    ap.add_argument("--scene", default="demo", help="demo, random or a segment kind")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=10.0, help="for random / KIND scenes")
    ap.add_argument("--fps", type=float, default=None, help="override the scene's fps")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--truth-out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.scene == "demo":
        scene = demo_scene()
    elif args.scene == "random":
        scene = random_scene(np.random.default_rng(args.seed), minutes=args.minutes)
    elif args.scene in SEGMENT_KINDS:
        scene = scene_for(args.scene, args.seed, minutes=args.minutes)
    else:
        ap.error(f"unknown scene {args.scene!r}: demo, random or one of {', '.join(SEGMENT_KINDS)}")
    if args.fps is not None:
        scene.fps = args.fps
    header, labelled = render(scene)
    n = write_stream(args.out, header, to_samples(labelled))
    if args.truth_out is not None:
        with args.truth_out.open("w", encoding="utf-8") as fh:
            for s in labelled:
                fh.write(json.dumps(truth_record(s), separators=(",", ":")) + "\n")
    print(f"wrote {n} samples ({scene.duration:.0f} s) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
