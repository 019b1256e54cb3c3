"""Side-view (profile) posture assessment from one photo: a craniovertebral-angle proxy.

Why a side view: forward head posture is a forward shift of the head, which a frontal
webcam only sees indirectly (the ear-shoulder gap shrinks). In profile it is a plain angle:
the line from the shoulder to the ear against the horizontal, which approximates the
craniovertebral angle clinicians measure (tragus to C7). About 48-50 degrees and below
suggests forward head posture; 90 means the ear is straight above the shoulder.

What is measured, all from MediaPipe Pose landmarks in pixel units (normalized x is a
share of the width and y of the height, so both are scaled back before any angle):

* ``side``: which side of the body faces the camera. MediaPipe's ``z`` is depth (smaller
  = nearer the camera), so the side whose ear and shoulder are nearer is the visible one;
  its landmarks are the ones measured (the far ones are guessed through the head).
* ``facing``: where the face points in the image (``left``/``right``), from the nose
  against the ears; it gives "forward" its sign.
* ``angle``: shoulder-to-ear line from the horizontal, measured towards the front. Above
  90 means the ear is behind the shoulder.
* ``head_tilt``: the ear-to-eye line against the horizontal (Raine and Twomey's head tilt,
  tragus to eye corner): positive = eye above the ear (chin up), negative = head bowed.
  Sideways tilt (roll) cannot be seen in profile.

A frontal photo is recognised by its shoulder width: in profile the two shoulders nearly
overlap (their horizontal distance is well under half the ear-to-shoulder height); facing
the camera they are 1.5-2 times that height apart. Such a photo gets a UserError that asks
for a side view rather than a meaningless angle.

Privacy: nothing is written unless ``--out`` names a file; then only the annotated copy of
the user's own photo goes there.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from . import capture, paths
from .errors import UserError
from .landmarks import (
    LEFT_EAR,
    LEFT_EYE_OUTER,
    LEFT_SHOULDER,
    NOSE,
    RIGHT_EAR,
    RIGHT_EYE_OUTER,
    RIGHT_SHOULDER,
)

FORWARD_HEAD_BELOW = 50.0  # degrees; 48-50 is the usual cut-off in the literature
FRONTAL_RATIO = 0.6  # shoulder separation / ear-shoulder height at or above this: not a side view
#: An ear-shoulder angle above this puts the ear further behind the shoulder than above
#: it: the neck bent back past 45 degrees, which is no one sitting at a desk. It is a photo
#: on its side (the real side-view pair turned a quarter clockwise reads 142 and 170
#: degrees, "no sign of forward head posture" for the hunched one); an upside-down one has
#: the ear below the shoulder.
ON_ITS_SIDE_ABOVE = 135.0
MIN_VISIBILITY = 0.5

_SIDE_POINTS = {
    "left": (LEFT_EAR, LEFT_SHOULDER, LEFT_EYE_OUTER),
    "right": (RIGHT_EAR, RIGHT_SHOULDER, RIGHT_EYE_OUTER),
}


@dataclass(frozen=True)
class Assessment:
    """The numbers of one side-view photo (angles in degrees, points in pixels)."""

    side: str  # body side facing the camera: "left" / "right"
    facing: str  # where the face points in the image: "left" / "right"
    angle: float  # ear-shoulder line from the horizontal, towards the front
    head_tilt: float  # ear-eye line from the horizontal; + = chin up
    frontal_ratio: float  # shoulder separation / ear-shoulder height (small in profile)
    ear: tuple[float, float]
    shoulder: tuple[float, float]
    eye: tuple[float, float]

    @property
    def forward_head(self) -> bool:
        return self.angle < FORWARD_HEAD_BELOW

    def lines(self) -> list[str]:
        verdict = (
            f"below {FORWARD_HEAD_BELOW:g} deg: suggests forward head posture"
            if self.forward_head
            else f"at or above {FORWARD_HEAD_BELOW:g} deg: no sign of forward head posture"
        )
        tilt_word = "chin up" if self.head_tilt > 0 else "head bowed"
        return [
            f"side facing the camera: {self.side} (face points to the image {self.facing})",
            f"ear-shoulder angle from the horizontal: {self.angle:.1f} deg ({verdict})",
            f"head tilt (ear-eye line from the horizontal): {self.head_tilt:+.1f} deg "
            f"({tilt_word}); compare it between photos of the same person",
            "a proxy for the craniovertebral angle from camera landmarks, not a clinical "
            "measurement",
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "facing": self.facing,
            "angle_deg": round(self.angle, 2),
            "head_tilt_deg": round(self.head_tilt, 2),
            "forward_head": self.forward_head,
            "frontal_ratio": round(self.frontal_ratio, 3),
        }


def _px(lm: np.ndarray, i: int, width: int, height: int) -> tuple[float, float]:
    return (float(lm[i, 0]) * width, float(lm[i, 1]) * height)


def assess_landmarks(lm: np.ndarray, width: int, height: int) -> Assessment:
    """Measure a (33, 4) landmark array of a ``width`` x ``height`` photo (pure)."""
    if lm.shape[0] <= RIGHT_SHOULDER:
        raise UserError("the pose has too few landmarks to assess")
    if max(lm[LEFT_SHOULDER, 3], lm[RIGHT_SHOULDER, 3]) < MIN_VISIBILITY:
        raise UserError("no shoulder is visible; the photo must show the ear and the shoulder")
    ls, rs = _px(lm, LEFT_SHOULDER, width, height), _px(lm, RIGHT_SHOULDER, width, height)
    le, re_ = _px(lm, LEFT_EAR, width, height), _px(lm, RIGHT_EAR, width, height)
    ear_y = (le[1] + re_[1]) / 2
    shoulder_y = (ls[1] + rs[1]) / 2
    height_px = abs(shoulder_y - ear_y)
    sep = abs(ls[0] - rs[0])
    ratio = sep / height_px if height_px > 0 else math.inf
    if ratio >= FRONTAL_RATIO:
        raise UserError(
            "this looks like a frontal photo (the shoulders are "
            f"{ratio:.1f} times the ear-to-shoulder height apart; in profile they overlap); "
            "the assessment needs a side view: sit sideways to the camera, whole head and "
            "shoulder in the picture"
        )
    # nearer side: smaller z (MediaPipe depth) for its ear and shoulder, visibility as tie-break
    near = {
        side: float(lm[e, 2] + lm[s, 2]) - 0.01 * float(lm[e, 3] + lm[s, 3])
        for side, (e, s, _) in _SIDE_POINTS.items()
    }
    side = min(near, key=lambda k: near[k])
    ear_i, sh_i, eye_i = _SIDE_POINTS[side]
    ear, shoulder, eye = (_px(lm, i, width, height) for i in (ear_i, sh_i, eye_i))
    nose = _px(lm, NOSE, width, height)
    facing_sign = 1.0 if nose[0] >= (le[0] + re_[0]) / 2 else -1.0
    forward = (ear[0] - shoulder[0]) * facing_sign
    up = shoulder[1] - ear[1]
    if up <= 0:
        raise UserError("the ear is not above the shoulder in this photo; is it upside down?")
    angle = math.degrees(math.atan2(up, forward))
    if angle > ON_ITS_SIDE_ABOVE:
        raise UserError(
            f"the ear is further behind the shoulder than above it in this photo ({angle:.0f} "
            "deg from the horizontal, towards the face), as no one sits; is the photo on its "
            "side? Turn it so the head is at the top, and try again"
        )
    tilt = math.degrees(math.atan2(ear[1] - eye[1], (eye[0] - ear[0]) * facing_sign))
    return Assessment(
        side=side,
        facing="right" if facing_sign > 0 else "left",
        angle=angle,
        head_tilt=tilt,
        frontal_ratio=ratio,
        ear=ear,
        shoulder=shoulder,
        eye=eye,
    )


def read_image(path: str | Path) -> np.ndarray:
    p = Path(path)
    if p.is_dir():
        raise UserError(f"photo {p} is a folder; give the photo's file name")
    if not p.is_file():
        raise UserError(f"photo {p} {_not_a_file(p)}")
    image = capture.read_image(p, "photo")
    if image is None:
        raise UserError(f"photo {p} is not an image posture_guard can read (JPEG, PNG, ...)")
    return image


def _not_a_file(p: Path) -> str:
    """What stands at ``p`` instead of a photo file, in words. Why: "does not exist" was
    said of /dev/null, of a pipe and of a link that leads to itself, all of which do."""
    try:
        os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a link that leads back to itself (a link loop); give the photo's file"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "does not exist"
        return f"cannot be looked at ({exc.strerror})"
    return "is a device or a pipe, not a file; give the photo's file name"


def assess_photo(path: str | Path, detector: Optional[Any] = None) -> tuple[Assessment, Any]:
    """Detect the pose in a photo and measure it; returns (assessment, BGR image)."""
    image = read_image(path)
    if detector is None:
        from .pose import MediaPipePose

        with MediaPipePose(static_image=True) as pose:
            lm = pose.detect(image)
    else:
        lm = detector.detect(image)
    if lm is None:
        raise UserError(f"no person found in {path}; the photo must show head and shoulders")
    h, w = image.shape[:2]
    return assess_landmarks(lm, w, h), image


def annotate(image: np.ndarray, a: Assessment) -> np.ndarray:
    """A copy of the photo with the measured points, lines and angles drawn on it."""
    import cv2

    out = image.copy()
    scale = max(out.shape[:2]) / 1000
    thick = max(1, int(round(2 * scale)))

    def pt(p: tuple[float, float]) -> tuple[int, int]:
        return (int(round(p[0])), int(round(p[1])))

    sx, sy = pt(a.shoulder)
    direction = 1 if a.facing == "right" else -1
    length = int(round(abs(a.shoulder[1] - a.ear[1]) * 1.2)) or 50
    cv2.line(out, (sx, sy), (sx + direction * length, sy), (200, 200, 200), thick)
    color = (60, 60, 220) if a.forward_head else (60, 180, 60)
    cv2.line(out, (sx, sy), pt(a.ear), color, thick)
    cv2.line(out, pt(a.ear), pt(a.eye), (220, 160, 40), thick)
    for p in (a.shoulder, a.ear, a.eye):
        cv2.circle(out, pt(p), max(3, thick * 2), (255, 255, 255), -1)
    texts = [f"ear-shoulder {a.angle:.1f} deg", f"head tilt {a.head_tilt:+.1f} deg"]
    for i, text in enumerate(texts):
        y = int(30 * scale) + int(i * 34 * scale) + 10
        cv2.putText(out, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale, (0, 0, 0), thick + 2)
        cv2.putText(out, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale, color, thick)
    return out


def check_out(out: str | Path, photo: str | Path, force: bool = False) -> Path:
    """The ``--out`` path, checked before the photo is measured (a mistake in it is then
    named at once, not after the results).

    Never the photo itself, even with ``force``: the annotated copy would replace the
    user's only original. Any other existing file is kept unless ``force``, as ``record``
    keeps a recording. A folder, a folder we may not write in and a link loop are named
    here too: they printed the results, then "cannot write" and exit status 2.
    """
    path = Path(out)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise UserError(f"--out {path}: use a .png or .jpg file name")
    try:
        is_file = not stat.S_ISDIR(path.stat().st_mode)
    except OSError:  # none there; or a link loop, a file named as a folder: said below
        is_file = False
    if is_file:
        if Path(photo).exists() and paths.same_file(path, photo):
            raise UserError(
                f"--out {path} is the photo itself, which the annotated copy would replace; "
                "choose another name"
            )
        if not force:
            raise UserError(f"{path} already exists; choose another name or add --force")
    # a folder, one on the way that does not exist or is not writable, a link loop: as
    # the reports check their files
    paths.check_output(path, "--out")
    return path


def write_annotated(image: np.ndarray, a: Assessment, out: str | Path) -> None:
    import cv2

    path = Path(out)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise UserError(f"--out {path}: use a .png or .jpg file name")
    # encoded here and written by us, not by cv2.imwrite, which makes the file 0644
    # (umask 022): a photo of the user is for the user's eyes, 0600
    try:
        ok, encoded = cv2.imencode(path.suffix.lower(), annotate(image, a))
    except cv2.error as exc:
        raise UserError(f"cannot write {path}: {exc}") from exc
    if not ok:
        raise UserError(f"cannot write {path}: the image could not be encoded")
    made = not path.exists()
    try:
        fh = open(path, "wb", opener=paths.private_opener)
    except FileNotFoundError:
        raise UserError(f"cannot write {path} (does its folder exist?)") from None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with fh:
            fh.write(encoded.tobytes())
    except OSError as exc:
        # a disk full (or a file size limit) stopped it part way: a file made here is
        # removed (it stayed, half the photo of the user in it), as the reports do
        left = paths.discard_partial(path, made)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}{left}") from None


def cmd_assess(args: argparse.Namespace) -> int:
    """``posture-guard assess PHOTO [--out annotated.png [--force]] [--json]``."""
    import json

    if args.out:
        check_out(args.out, args.photo, getattr(args, "force", False))
    a, image = assess_photo(args.photo)
    if args.json:
        print(json.dumps(a.to_json(), indent=2))
    else:
        for line in a.lines():
            print(line)
    if args.out:
        write_annotated(image, a, args.out)
        # with --json, stdout holds the JSON document alone (for jq or a script)
        print(f"wrote annotated photo {args.out}", file=sys.stderr if args.json else sys.stdout)
    return 0
