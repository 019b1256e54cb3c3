"""Baseline capture: robust statistics of upright sitting, stored as a named profile.

A baseline is the median of each metric over N seconds (default 20) of upright sitting,
with 1.4826 x MAD as its spread; medians ignore the odd glance or wild landmark that a
mean would not. One profile per desk setup (laptop on the sofa and the office monitor see
a person differently), kept as JSON in the user's config directory.

The slouch step that follows (default 15 s: "let your head drift forward the way it does
when you are absorbed in work") records what this user's forward head looks like from this
camera, as the median change from the baseline. Near a laptop camera, sitting a little
further forward than during calibration grows the face as much as a small slump does; the
user's own slouch tells the two apart far better than population-wide rules.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import numpy as np

from posture_guard import paths
from posture_guard.assess import FRONTAL_RATIO
from posture_guard.classify import (
    BASELINE_KEYS,
    POPULATION_PROFILE,
    SLOUCH_KEYS,
    Baseline,
    relative_features,
)
from posture_guard.errors import UserError
from posture_guard.features import MIN_SHOULDER_WIDTH, SET_CAMERA_BACK, Metrics
from posture_guard.stream import finite_number

#: A calibration needs at least this many usable frames...
MIN_SAMPLES = 8
#: ...and at least this share of the frames must show the person.
MIN_PRESENT_SHARE = 0.6
#: The slouch step: after the upright baseline the user lets their head drift forward as
#: it does when absorbed in work, for this long; the first seconds are the move into it.
SLOUCH_SECONDS = 15.0
SLOUCH_SETTLE = 5.0
#: A slouch brings the ears nearer the shoulder line or the face nearer the camera. One
#: that did neither by this much (relative to the upright baseline) looks like sitting
#: upright, or leaning back: it would teach the model nothing. (Real upright clips drift by
#: about 1 %; the weakest simulated slouch of 120 people moved the ears by 1.6 %.)
MIN_SLOUCH_CHANGE = 0.015

#: Ear line to shoulder line, as a share of the picture's height, above which leaning
#: toward the screen takes the face or the shoulders out of the picture, and then nothing
#: can be judged. Counted by a one-off script over the harness's lean-in and bent-trunk
#: forward-head scenes: of the 40 tune people, the 9 whose such samples were cut off
#: a sixth of the time or more all spanned more than this at calibration, and no one
#: below it was cut off more than 9 % of the time (on 48 other people only 2 of the 4 cut
#: off that often spanned more: a rough line, which is why it only advises).
CROWDED_SPAN = 0.45

#: Ear line above the shoulder line, in shoulder widths, beyond which the calibration is
#: a side view: facing the camera, real MediaPipe gives 0.58-0.73 (../shared/media); in
#: profile the shoulders nearly overlap and it grows to several (5.8 on the side-view
#: photo there). The line is the one ``assess`` draws between the two views. A side view
#: taken as the baseline made an upright user facing the camera read absent (not the
#: calibrated person) nearly all the time.
SIDE_VIEW_GAP = 1 / FRONTAL_RATIO

#: What a profile's medians can hold, being medians of features.compute_metrics: the line
#: angles are angles, and the shoulders' midpoint lies between two points in the picture.
_PROFILE_RANGES = {
    "roll": (-180.0, 180.0, "an angle in degrees"),
    "shoulder_tilt": (-180.0, 180.0, "an angle in degrees"),
    "shoulder_y": (0.0, 1.0, "a height in the picture"),
    "center_x": (0.0, 1.0, "a place across the picture"),
}

#: What a profile's measures in shoulder widths can hold at most: a frame's shoulders are
#: at least MIN_SHOULDER_WIDTH frame heights apart, and no two points of a head are ten
#: frame heights apart. (A calibration gives about 0.3-1.7.) A hand edit or damage beyond
#: it was taken: a face_width of 1e17 made every frame's change in face size exactly -100 %
#: and the monitor stopped at its first frame with a division by zero.
_MAX_SHOULDER_WIDTHS = 10 / MIN_SHOULDER_WIDTH
_IN_SHOULDER_WIDTHS = ("ear_gap", "eye_gap", "face_width", "ear_width", "ear_gap_seen")

#: The profile file's format. Versions before 2026-11-29 kept none of :data:`SEEN_KEYS`,
#: and they and the later ones up to this all wrote format 1: a format-1 profile without
#: any of them is (nearly always) one of those. From format 2 on, a profile without them
#: is one whose calibration did not see the ears or the mouth (see :func:`read_profile`).
PROFILE_FORMAT = 2
#: The like-with-like measures (the ears and the mouth as seen at calibration), kept
#: whenever the calibration saw them.
SEEN_KEYS = ("ear_gap_seen", "pitch_ears", "pitch_mouth")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class CalibrationError(UserError):
    """The baseline could not be taken (nobody in view, too few frames, ...)."""


def fit_baseline(
    metrics: Sequence[Optional[Metrics]], seconds_option: str = "--seconds"
) -> Baseline:
    """Robust baseline from the frames of an upright-sitting period.

    ``None`` entries are frames where nobody was found; too many of them, or too few
    usable frames, raise :class:`CalibrationError` saying what to do. ``seconds_option``
    is the option that sets the period, named when it is too short: `replay`'s is
    ``--calibrate-seconds`` (it was told to give ``--seconds``, which it has not).
    """
    seen = [m for m in metrics if m is not None]
    if len(metrics) < MIN_SAMPLES:  # the time was too short, whoever was in view
        raise CalibrationError(
            f"only {len(metrics)} frames to calibrate on (need {MIN_SAMPLES}): calibrate for "
            f"longer ({seconds_option}), or from a recording with more frames a second"
        )
    if len(seen) < MIN_SAMPLES:
        raise CalibrationError(
            f"only {len(seen)} usable frames (need {MIN_SAMPLES}): sit facing the camera "
            "with your head and both shoulders in view, and try again"
        )
    if len(seen) < MIN_PRESENT_SHARE * len(metrics):
        raise CalibrationError(
            f"a person was found in only {len(seen)} of {len(metrics)} frames: check the "
            "lighting and that your head and shoulders are in view"
        )
    median: dict[str, float] = {}
    spread: dict[str, float] = {}
    for key in BASELINE_KEYS:
        values = np.array([getattr(m, key) for m in seen], dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        med = float(np.median(values))
        median[key] = med
        spread[key] = float(1.4826 * np.median(np.abs(values - med)))
    if median.get("ear_gap", 0.0) <= 0:
        # The decision measures head height as a share of this gap (and a profile without
        # a positive one is refused on loading): ears at or below the shoulder line are a
        # picture upside down or on its side, never a user sitting upright.
        raise CalibrationError(
            f"the ears are not above the shoulders in this picture (the ear line "
            f"{median.get('ear_gap', 0.0):+.2f} shoulder widths above the shoulder line; "
            "sitting upright it is about +0.6): is the camera or the picture upside down or "
            "on its side? Set it upright, sit facing it, and try again"
        )
    if median.get("ear_gap", 0.0) > SIDE_VIEW_GAP:
        raise CalibrationError(
            f"this looks like a side view (the ears {median['ear_gap']:.1f} shoulder widths "
            "above the shoulders, which nearly overlap; facing the camera it is under 1): "
            "face the camera, with your head and both shoulders in view, and try again"
        )
    return Baseline(median=median, spread=spread, samples=len(seen), calibrated=True)


def picture_span(baseline: Baseline) -> Optional[float]:
    """Ear line to shoulder line at calibration, as a share of the picture's height (None
    without a position in the picture)."""
    if not baseline.has_position():
        return None
    return baseline.median["shoulder_y"] - baseline.median["ear_y"]


def framing_advice(baseline: Baseline) -> Optional[str]:
    """A sentence for the user when the calibration shows them filling the picture so
    much that leaning in will cut them off (see :data:`CROWDED_SPAN`); None otherwise.

    Advice, not a refusal: the profile is good for the posture the camera sees; only the
    frames where the edge cuts the user off go unjudged (the state holds for a while, then
    reads absent).
    """
    span = picture_span(baseline)
    if span is None or span <= CROWDED_SPAN:
        return None
    return (
        f"you fill much of the picture (ears to shoulders take {span:.0%} of its height): "
        f"leaning toward the screen will take your face or shoulders out of view, and "
        f"{SET_CAMERA_BACK}"
    )


def fit_slouch(metrics: Sequence[Optional[Metrics]], baseline: Baseline) -> dict[str, float]:
    """The user's deliberate slouch as the median of its frames' relative features.

    Raises :class:`CalibrationError` when too few frames show the person or when the
    slouch is indistinguishable from the upright baseline; the upright baseline is still
    good then, and callers keep it.
    """
    seen = [m for m in metrics if m is not None]
    if len(seen) < MIN_SAMPLES or len(seen) < MIN_PRESENT_SHARE * len(metrics):
        raise CalibrationError(
            f"the slouch step saw you in only {len(seen)} of {len(metrics)} frames: stay in "
            "view while you slouch"
        )
    feats = [relative_features(m, baseline) for m in seen]
    slouch: dict[str, float] = {}
    for key in SLOUCH_KEYS:
        values = np.array([f.get(key, math.nan) for f in feats], dtype=float)
        values = values[np.isfinite(values)]
        if values.size:
            slouch[key] = float(np.median(values))
    sank, grew = -slouch.get("d_gap", 0.0), slouch.get("d_face", 0.0)
    if max(sank, grew) < MIN_SLOUCH_CHANGE:
        raise CalibrationError(
            f"the slouch looked like your upright posture (ears {sank:+.1%} toward the "
            f"shoulders, face {grew:+.1%} larger; need {MIN_SLOUCH_CHANGE:.1%} of either): let "
            "your head drift forward the way it does when you are absorbed in work"
        )
    return slouch


def _profile_path(name: str) -> Path:
    if not _NAME.fullmatch(name):  # not match: its "$" lets a final line break through
        raise UserError(
            f"profile name {name!r} is not allowed: use ASCII letters (a-z, A-Z), digits, "
            "'.', '_' or '-', starting with a letter or digit (at most 64 characters)"
        )
    # Any case: "Population" would read as the reserved name in the log and reports, and
    # is the same file as "population" on a case-insensitive file system.
    if name.lower() == POPULATION_PROFILE:
        raise UserError(
            f"profile name {name!r} is reserved: the log names time judged without "
            "calibration so; choose another name"
        )
    return paths.profiles_dir() / f"{name}.json"


def check_profile_name(name: str) -> None:
    """Raise :class:`UserError` naming what is wrong with ``name`` as a profile's name."""
    _profile_path(name)


def save_profile(name: str, baseline: Baseline, note: str = "") -> Path:
    """Write the profile atomically (a crash mid-write never leaves half a file)."""
    path = _profile_path(name)
    data = {
        "format": PROFILE_FORMAT,
        "name": name,
        "note": note,
        "samples": baseline.samples,
        "median": baseline.median,
        "spread": baseline.spread,
    }
    if baseline.slouch:
        data["slouch"] = baseline.slouch
    paths.write_atomic(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))  # 0600
    return path


def _json_problem(exc: Exception) -> object:
    """What is wrong with a profile ``json`` refused. Two of its refusals are Python's own
    limits, in Python's words: a RecursionError for arrays nested deeper than it recurses
    (which no ``except ValueError`` caught: "internal error") and a ValueError telling the
    user to call ``sys.set_int_max_str_digits()`` for a number of over 4300 digits."""
    if isinstance(exc, RecursionError):
        return "arrays or objects nested too deep to read"
    if isinstance(exc, ValueError) and "sys.set_int_max_str_digits" in str(exc):
        return "a number of more than 4300 digits"
    return exc


def load_profile(name: str) -> Baseline:
    """Read a profile; a missing or broken one gets an error naming the file."""
    return read_profile(name)[0]


def read_profile(name: str) -> tuple[Baseline, Optional[str]]:
    """The profile, and a note for the user when it was saved by a version that did not
    keep the measures the decision now compares like with like (None otherwise).

    Such a profile still judges (the eye line stands in for the ear line), but a
    forward head is missed more often with it, and nothing else would tell the user
    why: the note says so and how to mend it (calibrating again)."""
    path = _profile_path(name)
    if not path.exists():
        # a mistyped name ('defualt') was told only to calibrate it anew: the profiles
        # saved show the one meant
        saved = ", ".join(repr(p) for p in list_profiles())
        raise UserError(
            f"no calibration profile {name!r} (looked for {path}"
            + (f"; saved: {saved}" if saved else "")
            + f"); run `posture-guard calibrate --profile {name}` first"
            + (" to make it, or give one saved" if saved else "")
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise UserError(
            f"calibration profile {path} is unreadable ({_json_problem(exc)}); recalibrate"
        ) from None
    _check_format(data, path)
    baseline = _baseline_from_json(data, path)
    return baseline, _outdated_note(name, data, baseline)


def _check_format(data: object, path: Path) -> None:
    """Refuse a profile of a format this version does not know: a newer posture_guard may
    keep its measures differently, and read as this format's it would judge the user
    against a baseline it does not describe, without a word."""
    if not isinstance(data, dict) or "format" not in data:
        return  # format 1 wrote it too; _baseline_from_json judges the rest
    fmt = data["format"]
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        raise UserError(
            f"calibration profile {path}: 'format' {fmt!r} is not a whole number; recalibrate"
        )
    if fmt > PROFILE_FORMAT:
        raise UserError(
            f"calibration profile {path} was written by a newer posture_guard (format {fmt}; "
            f"this version reads up to {PROFILE_FORMAT}); update posture_guard to use it, or "
            "calibrate again with this version, which replaces it"
        )


def _outdated_note(name: str, data: dict, baseline: Baseline) -> Optional[str]:
    """The note for a profile saved before the seen-ears measures (:data:`SEEN_KEYS`)
    were kept, or None. A calibration of this version can lack them too (ears and mouth
    hidden throughout), and calibrating again would not change that: it is told apart
    by its ``format``."""
    fmt = data.get("format", 1)
    if isinstance(fmt, int) and fmt >= PROFILE_FORMAT:
        return None
    if any(key in baseline.median for key in SEEN_KEYS):
        return None
    option = "" if name == "default" else f" --profile {name}"
    return (
        f"note: calibration profile {name!r} was saved by an older posture_guard, which did "
        "not keep the measures of the ears as seen at calibration; the eye line stands in "
        "for them, and more forward-head posture goes unseen. Calibrate again for "
        f"all of them: `posture-guard calibrate{option}`"
    )


def _baseline_from_json(data: object, path: Path) -> Baseline:
    if not isinstance(data, dict) or not isinstance(data.get("median"), dict):
        raise UserError(f"calibration profile {path} has no 'median' table; recalibrate")
    median = _numbers(data["median"], path, "median")
    spread = _numbers(data.get("spread", {}), path, "spread")
    missing = [k for k in ("ear_gap", "face_width", "pitch", "yaw", "roll") if k not in median]
    if missing:
        raise UserError(f"calibration profile {path} lacks {', '.join(missing)}; recalibrate")
    for key in ("ear_gap", "face_width", "shoulder_width"):
        if key in median and median[key] <= 0:
            raise UserError(f"calibration profile {path}: {key} must be positive; recalibrate")
    # Values no calibration can give (a hand edit or a damaged file), which the decision
    # would silently turn into a held head tilt, raised shoulders or nobody at the desk.
    if median.get("shoulder_width", MIN_SHOULDER_WIDTH) < MIN_SHOULDER_WIDTH:
        raise UserError(
            f"calibration profile {path}: shoulder_width {median['shoulder_width']:g} is "
            f"narrower than any measured frame ({MIN_SHOULDER_WIDTH:g}); recalibrate"
        )
    for key in _IN_SHOULDER_WIDTHS:
        if abs(median.get(key, 0.0)) > _MAX_SHOULDER_WIDTHS:
            raise UserError(
                f"calibration profile {path}: {key} {median[key]:g} is more shoulder widths "
                f"than any frame can measure (at most {_MAX_SHOULDER_WIDTHS:g}); recalibrate"
            )
    for key, (low, high, what) in _PROFILE_RANGES.items():
        if key in median and not low <= median[key] <= high:
            raise UserError(
                f"calibration profile {path}: {key} {median[key]:g} is not {what} "
                f"({low:g}..{high:g}); recalibrate"
            )
    slouch = _numbers(data.get("slouch", {}), path, "slouch")
    if slouch and not all(k in slouch for k in ("d_gap", "d_face")):
        raise UserError(f"calibration profile {path}: 'slouch' lacks d_gap or d_face; recalibrate")
    samples = data.get("samples", 0)
    return Baseline(
        median=median,
        spread=spread,
        samples=int(samples) if isinstance(samples, int) else 0,
        calibrated=True,
        slouch=slouch,
    )


def _numbers(table: object, path: Path, name: str) -> dict[str, float]:
    if not isinstance(table, dict):
        raise UserError(f"calibration profile {path}: '{name}' must be a table of numbers")
    out: dict[str, float] = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"calibration profile {path}: {name}.{key} is not a number")
        if not finite_number(value):
            raise UserError(f"calibration profile {path}: {name}.{key} is not finite")
        out[str(key)] = float(value)
    return out


def saved_profile_text(name: str) -> Optional[str]:
    """The profile ``name`` as saved now, in a few words for the user ("the one calibrated
    2026-11-30 14:02 from webcam:0, with the slouch step"), or None when there is none.

    Said by ``calibrate`` before it replaces the profile: one per desk setup, and a
    calibration without ``--profile`` at another desk replaced the office's without a word.
    """
    from datetime import datetime

    path = _profile_path(name)
    try:
        when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError):
        return "a damaged one, which could not be read"
    if not isinstance(data, dict):
        return "a damaged one, which could not be read"
    text = f"the one calibrated {when}"
    note = data.get("note")
    if isinstance(note, str) and note.startswith("calibrated from "):
        text += note[len("calibrated") :]
    return text + (", with the slouch step" if data.get("slouch") else ", upright only")


def list_profiles() -> list[str]:
    return sorted(p.stem for p in paths.profiles_dir().glob("*.json"))


def profile_exists(name: str) -> bool:
    return _profile_path(name).exists()
