"""How MediaPipe Pose reports a person the frame edge cuts off, measured on real footage.

Leaning in toward a laptop camera takes the eyes out of the top of the picture, or the
shoulders out of the bottom. What MediaPipe then says about the points it cannot see
decides whether the pipeline knows the user is cut off (and holds the state) or measures a
guess. This command measures it: every real frontal clip in ``../shared/media`` and the
real portraits installed packages ship (matplotlib's Grace Hopper; scikit-image's
astronaut Eileen Collins, with the ``calibration`` extra) is enlarged about the shoulders
(the face leaves the top) or about the eyes (the shoulders leave the bottom), as if the
person were nearer, and run through MediaPipe Pose in tracking mode, as a monitor runs
it. Per clip and zoom it prints where the cut part really is (from the clip at its own
size), the visibility MediaPipe gives that part, how often it places the part beyond the
edge, and what the pipeline makes of the frame: cut off, or measured as if in full view.

Enlarging also blurs, so how far MediaPipe's points go astray near the edge is measured
apart, on the clips shifted (not enlarged) until the eyes sit at a given distance from the
top edge or the shoulders from the bottom: the second table, which the generator's
``edge`` nuisance follows (see calibration/synth.py).

    python -m calibration.edge

What it showed (see docs/accuracy-notes.md, "Real footage"): MediaPipe reports points it
cannot see with a median visibility of 0.97-1.0. Where it places them beyond the edge,
:func:`posture_guard.features.visibility` counts them as not seen. For two people of five
it placed eyes that had left the top inside the picture, close under the edge, and the
pipeline read that guess as a fault; a third table replays a lean-in through the whole
pipeline, with a face at the top edge held (:func:`posture_guard.classify.at_top_edge`)
and measured.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

import numpy as np

from calibration.baseline import fit_baseline
from calibration.evaluate import SHARED_MEDIA
from posture_guard.classify import at_top_edge
from posture_guard.features import compute_metrics, cut_off_view
from posture_guard.landmarks import (
    LEFT_EYE,
    LEFT_SHOULDER,
    RIGHT_EYE,
    RIGHT_SHOULDER,
    Sample,
    StreamHeader,
)

CLIPS = (
    "frontal_upright_woman_mediapipe_samples.mp4",
    "frontal_upright_man_intel.gif",
    "frontal_headturns_woman_intel.gif",
)
ZOOMS = (1.0, 1.4, 1.8, 2.0, 2.4)
#: Where the shifted clips put the eyes (below the top edge) or the shoulders (above the
#: bottom edge), in frame heights; negative: beyond the edge.
SHIFTS = (0.15, 0.07, 0.03, 0.01, -0.02, -0.05)
EYES = (LEFT_EYE, RIGHT_EYE)
SHOULDERS = (LEFT_SHOULDER, RIGHT_SHOULDER)
#: "top": enlarged about the shoulders, the eyes leave the top; "bottom": about the eyes,
#: the shoulders leave the bottom.
Side = Literal["top", "bottom"]


@dataclass(frozen=True)
class EdgeRow:
    """One clip at one zoom: where the cut part is and what MediaPipe and the pipeline
    made of it. Positions in frame heights (below 0 or above 1: beyond the edge)."""

    clip: str
    side: Side
    zoom: float
    frames: int  # frames with a pose
    true_y: float  # median height of the part (eyes or shoulders) at this zoom
    visibility: float  # median visibility MediaPipe gave the part
    placed_beyond: float  # share of frames with the part placed beyond the edge
    measured: float  # share of frames the pipeline measured (as if in full view)
    cut_off: float  # share of frames the pipeline took for a user cut off
    beyond: int  # frames with the part truly beyond the edge
    misread: int  # ... of which the pipeline measured


def zoom(frame: np.ndarray, centre: tuple[float, float], factor: float) -> np.ndarray:
    """``frame`` enlarged ``factor`` times about ``centre`` (pixels), same size: the
    picture of a person that much nearer, with what leaves the picture cut off."""
    import cv2

    cx, cy = centre
    m = np.array([[factor, 0.0, cx * (1 - factor)], [0.0, factor, cy * (1 - factor)]])
    return cv2.warpAffine(frame, m, (frame.shape[1], frame.shape[0]))


def read_frames(path: Path, repeat_still: int = 20) -> list[np.ndarray]:
    """The frames of a clip, through the project's own frame sources (a still image
    repeated ``repeat_still`` times, so tracking mode sees a steady sequence)."""
    from posture_guard.capture import StillImageSource, VideoFileSource

    if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
        source = StillImageSource(path, still_seconds=repeat_still / 10, still_fps=10)
    else:
        source = VideoFileSource(path)
    try:
        return [frame.image for frame in iter(source.read, None)]
    finally:
        source.close()


def detect_all(frames: Sequence[np.ndarray]) -> list[Optional[np.ndarray]]:
    """MediaPipe Pose in tracking mode (a fresh tracker) over ``frames``."""
    from posture_guard.pose import MediaPipePose

    with MediaPipePose() as detector:
        return [detector.detect(f) for f in frames]


def part_centre(
    lm: Sequence[Optional[np.ndarray]], part: tuple[int, int], w: int, h: int
) -> tuple[float, float]:
    """Where a pair of points (eyes, shoulders) sits in a clip: the median of their
    midpoint over the frames with a pose, in pixels."""
    pts = np.array([m[list(part), :2].mean(axis=0) for m in lm if m is not None])
    x, y = np.median(pts, axis=0)
    return float(x * w), float(y * h)


def measure(
    clip: str, frames: Sequence[np.ndarray], side: Side, factor: float, reference
) -> EdgeRow:
    """One clip enlarged ``factor`` times: ``reference`` is the clip's own landmarks at
    its own size, where the part truly is."""
    h, w = frames[0].shape[:2]
    header = StreamHeader(w, h, 25.0)
    centre = part_centre(reference, SHOULDERS if side == "top" else EYES, w, h)
    part = EYES if side == "top" else SHOULDERS
    found = detect_all([zoom(f, centre, factor) for f in frames])
    # The pipeline also asks where the face was at calibration (classify.at_top_edge).
    own = [compute_metrics(Sample(0.0, r), header) for r in reference if r is not None]
    baseline = fit_baseline([m for m in own if m is not None])
    rows = []
    for i, (lm, ref) in enumerate(zip(found, reference)):
        if lm is None or ref is None:
            continue
        true_y = centre[1] / h + (float(ref[list(part), 1].mean()) - centre[1] / h) * factor
        placed_y = lm[list(part), 1]
        beyond_now = bool(np.any(placed_y < 0.0) or np.any(placed_y > 1.0))
        sample = Sample(i / 25.0, lm)
        metrics = compute_metrics(sample, header)
        held = metrics is not None and at_top_edge(metrics, baseline)
        measured = metrics is not None and not held
        cut = held or (metrics is None and cut_off_view(sample, header) is not None)
        truly_beyond = true_y < 0.0 if side == "top" else true_y > 1.0
        rows.append((true_y, float(lm[list(part), 3].min()), beyond_now, measured, cut,
                     truly_beyond))  # fmt: skip
    if not rows:
        return EdgeRow(clip, side, factor, 0, *([float("nan")] * 5), 0, 0)
    a = np.array(rows, dtype=float)
    return EdgeRow(
        clip=clip,
        side=side,
        zoom=factor,
        frames=len(rows),
        true_y=float(np.median(a[:, 0])),
        visibility=float(np.median(a[:, 1])),
        placed_beyond=float(a[:, 2].mean()),
        measured=float(a[:, 3].mean()),
        cut_off=float(a[:, 4].mean()),
        beyond=int(a[:, 5].sum()),
        misread=int((a[:, 5] * a[:, 3]).sum()),
    )


def shift_errors(frames: Sequence[np.ndarray], side: Side, inside: float, reference) -> list[float]:
    """How far MediaPipe places the eyes (``side`` "top") or shoulders ("bottom") from
    where they are, in eye distances, with the clip shifted so that part lies ``inside``
    frame heights within the edge (negative: beyond). ``reference``: the clip's own
    landmarks, moved by the same shift."""
    import cv2

    h, w = frames[0].shape[:2]
    part = EYES if side == "top" else SHOULDERS
    y = part_centre(reference, part, w, h)[1]
    dy = (inside if side == "top" else 1.0 - inside) * h - y
    shift = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, dy]])
    found = detect_all([cv2.warpAffine(f, shift, (w, h)) for f in frames])
    errors = []
    for lm, ref in zip(found, reference):
        if lm is None or ref is None:
            continue
        true = ref[:, :2] * [w, h] + [0.0, dy]
        eye_d = float(np.hypot(*(true[LEFT_EYE] - true[RIGHT_EYE])))
        for k in part:
            errors.append(float(np.hypot(*(lm[k, :2] * [w, h] - true[k]))) / eye_d)
    return errors


#: A replayed lean-in: this long at the person's own size (calibrated on the first 20 s),
#: then this long enlarged, at this rate.
LEAN_IN_LEAD, LEAN_IN_SECONDS, LEAN_IN_FPS = 25.0, 30.0, 10.0


def replay_lean_in(reference, nearer, w: int, h: int, top_rule: bool = True, sinks=()):
    """The whole pipeline over a lean-in: ``reference`` (a clip's landmarks at its own size,
    looped for :data:`LEAN_IN_LEAD` s) then ``nearer`` (the same enlarged, looped for
    :data:`LEAN_IN_SECONDS` s); the session's totals. ``top_rule`` False measures a face at
    the top edge as before :func:`posture_guard.classify.at_top_edge`."""
    import io

    from posture_guard.classify import Thresholds
    from posture_guard.monitor import ReplayOptions, replay

    def looped(landmarks, seconds: float, start: float) -> list[Sample]:
        return [Sample(start + i / LEAN_IN_FPS, landmarks[i % len(landmarks)])
                for i in range(int(seconds * LEAN_IN_FPS))]  # fmt: skip

    stream = looped(reference, LEAN_IN_LEAD, 0.0) + looped(nearer, LEAN_IN_SECONDS, LEAN_IN_LEAD)
    rules = Thresholds() if top_rule else Thresholds(top_edge=0.0)
    options = ReplayOptions(calibrate_seconds=20, all_frames=True, thresholds=rules)
    return replay(StreamHeader(w, h, LEAN_IN_FPS), stream, list(sinks), options, io.StringIO())


def lean_in_states(
    frames: Sequence[np.ndarray], reference, factor: float, top_rule: bool = True
) -> dict[str, float]:
    """What the whole pipeline reads while a person leans in (:func:`replay_lean_in`, the
    clip enlarged ``factor`` times about the shoulders): the share of the lean-in in each
    state."""
    h, w = frames[0].shape[:2]
    nearer = detect_all([zoom(f, part_centre(reference, SHOULDERS, w, h), factor) for f in frames])
    states: list[str] = []

    class Keep:
        def on_decision(self, decision) -> None:
            if decision.t >= LEAN_IN_LEAD:
                states.append(decision.state.value)

        def close(self, t_end: float) -> None:
            pass

    replay_lean_in(reference, nearer, w, h, top_rule, [Keep()])
    return {s: states.count(s) / len(states) for s in sorted(set(states))}


def clips(media: Path = SHARED_MEDIA) -> list[tuple[str, Path]]:
    """The real frontal footage at hand: the shared clips (when present), the portrait
    matplotlib ships, and the one scikit-image ships (NASA's public-domain portrait of
    astronaut Eileen Collins; with the ``calibration`` extra installed)."""
    import matplotlib.cbook

    out = [(c, media / c) for c in CLIPS if (media / c).exists()]
    portrait = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    out.append(("grace_hopper.jpg", Path(portrait)))
    astronaut = _package_file("skimage", "data/astronaut.png")
    if astronaut is not None:
        out.append(("astronaut.png (scikit-image)", astronaut))
    return out


def _package_file(package: str, name: str) -> Optional[Path]:
    """A data file an installed package ships, without importing the package (scikit-image's
    import is slow and its data module may fetch): None when the package is absent."""
    from importlib.util import find_spec

    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / name
    return path if path.exists() else None


def _shares(shares: dict[str, float]) -> str:
    return ", ".join(f"{state} {share:.0%}" for state, share in shares.items())


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m calibration.edge",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--media", type=Path, default=SHARED_MEDIA)
    args = parser.parse_args(argv)
    found = clips(args.media)
    if not any(name in CLIPS for name, _ in found):
        print(f"note: {args.media} not found; only the bundled portraits are measured")
    print(f"{'clip':44}{'side':>7}{'zoom':>6}{'frames':>7}{'part y':>8}{'vis.':>6}"
          f"{'beyond':>8}{'measured':>9}{'cut off':>8}  misread")  # fmt: skip
    total_beyond = total_misread = 0
    loaded = []  # (frames, their landmarks at their own size), for both tables
    for name, path in found:
        frames = read_frames(path)
        reference = detect_all(frames)
        loaded.append((frames, reference))
        for side in ("top", "bottom"):
            for factor in ZOOMS:
                r = measure(name, frames, side, factor, reference)
                total_beyond += r.beyond
                total_misread += r.misread
                print(f"{r.clip:44}{r.side:>7}{r.zoom:>6.1f}{r.frames:>7}{r.true_y:>8.2f}"
                      f"{r.visibility:>6.2f}{r.placed_beyond:>8.0%}{r.measured:>9.0%}"
                      f"{r.cut_off:>8.0%}  {r.misread} of {r.beyond}")  # fmt: skip
    print(f"\nframes with the part truly beyond the edge: {total_beyond}; measured all the "
          f"same (a guess taken for a measurement): {total_misread}")  # fmt: skip
    print("\nleaning in, calibrated at the clip's own size: share of 30 s read in each state")
    print(f"{'clip':44}{'zoom':>6}  {'face at the top edge held (as shipped)':40}measured")
    for (name, _), (frames, reference) in zip(found, loaded):
        for factor in (2.0, 2.4):
            held, measured = (lean_in_states(frames, reference, factor, rule)
                              for rule in (True, False))  # fmt: skip
            print(f"{name:44}{factor:>6.1f}  {_shares(held):40}{_shares(measured)}")
    print("\nclips shifted: error of the part near the edge, in eye distances (all clips)")
    print(f"{'side':>7}{'inside by':>11}{'points':>8}{'median':>8}{'p90':>7}")
    for side in ("top", "bottom"):
        for inside in SHIFTS:
            errors = [e for frames, ref in loaded for e in shift_errors(frames, side, inside, ref)]
            print(f"{side:>7}{inside:>11.2f}{len(errors):>8}{np.median(errors):>8.2f}"
                  f"{np.percentile(errors, 90):>7.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
