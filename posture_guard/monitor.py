"""The monitor: the small loop that turns frames or recorded samples into decisions.

sensing (capture + pose, or a landmark stream) -> features -> classify -> sinks

The same :class:`Pipeline` serves a live webcam (``run``), recorded input (``replay``,
``demo``) and calibration, so what the accuracy harness measures on replay is what a user
gets live. The sampling policy decides which frames are analysed; skipped frames are
never passed to the pose model.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, TextIO, Union

import numpy as np

from . import paths
from . import stream as streams
from .capture import CameraError, CameraSource, Frame, FrameSource, open_file
from .classify import (
    POPULATION_BASELINE,
    POPULATION_PROFILE,
    Baseline,
    Decider,
    Smoothing,
    Thresholds,
)
from .dates import EARLIEST_DAY
from .errors import KeptAside, UserError
from .features import CUT_OFF_ADVICE_SHARE, OFTEN_CUT_OFF, compute_metrics, cut_off_view
from .landmarks import Sample, StreamHeader
from .paths import STANDARD_OUTPUT, is_standard_output
from .paths import is_stdout as _is_stdout
from .rounding import apportion
from .sampling import SamplerState, SamplingPolicy, next_interval
from .sinks import SessionInfo, Sink, StatesWriter
from .states import Decision, PostureState
from .store import MAX_GAP, SLOWEST_INTERVAL, _still_at

if TYPE_CHECKING:  # a type only: service imports this module when it runs
    from .notify import Click, Delivery, Message, Notifier
    from .service import SinkFactory as LiveSinkFactory
    from .store import Span, Store

SinkFactory = Callable[[SessionInfo], list]
DEMO_STREAM = "demo-stream.jsonl.gz"
#: How long ``posture-guard calibrate`` asks a user to sit upright: what the models were
#: fitted with and the accuracy harness measures (calibration.synth takes it from here;
#: a change means fitting the models again).
CALIBRATE_SECONDS = 20.0  # the bundled demo begins so too, then the slouch step
#: What calibration says when it keeps the upright baseline without the slouch step.
SLOUCH_NOT_USED = "slouch step not used"


@dataclass
class Totals:
    """Seconds spent in each state, and how many frames were seen and analysed."""

    seconds: dict[PostureState, float] = field(default_factory=dict)
    frames_seen: int = 0
    frames_analysed: int = 0
    changes: int = 0
    #: of the monitored time, how long the user was in view but cut off by the frame edge
    #: (face or shoulders out of the picture): counted in the state held meanwhile, and
    #: here, because the posture was not judged then
    cut_off: float = 0.0
    #: the stream time the pipeline was closed at: where the log of a replay ends, which
    #: for a video damaged half-way is before the end its file states
    end: Optional[float] = None

    @property
    def monitored(self) -> float:
        return sum(self.seconds.values())

    def share(self, state: PostureState) -> float:
        total = self.monitored
        return self.seconds.get(state, 0.0) / total if total else 0.0


class Pipeline:
    """Samples in, decisions out to every sink; owns the sampling schedule.

    ``policy=None`` analyses every sample (used for calibration and ``--all-frames``).
    Time in a state is counted from one decision to the next, so each state gets the
    stretch of time it was believed to hold.
    """

    def __init__(
        self,
        header: StreamHeader,
        decider: Decider,
        sinks: Iterable[Sink] = (),
        policy: Optional[SamplingPolicy] = SamplingPolicy(),
    ):
        self.header = header
        self.decider = decider
        self.sinks = list(sinks)
        self.policy = policy
        self.next_due = float("-inf")
        self._sampler = SamplerState()
        self._last: Optional[Decision] = None
        self._opening = False
        self.totals = Totals()

    def due(self, t: float) -> bool:
        """Whether the sample at stream time ``t`` should be analysed."""
        return t >= self.next_due - 1e-6

    def feed(self, sample: Sample) -> Decision:
        metrics = compute_metrics(sample, self.header)
        cut = cut_off_view(sample, self.header) if metrics is None else None
        decision = self.decider.decide(sample.t, metrics, cut)
        if self._opening:  # the first decision after the calibration (see begin)
            decision = replace(decision, changed=True)
            self._opening = False
        reading = self.decider.last_reading
        self._account(decision)
        for sink in self.sinks:
            sink.on_decision(decision)
        if self.policy is not None and reading is not None:
            self._sampler, wait = next_interval(self.policy, self._sampler, decision, reading)
            self.next_due = sample.t + wait
        return decision

    def offer(self, sample: Sample) -> Optional[Decision]:
        """Count the sample as seen; analyse it only when the schedule says it is due."""
        self.totals.frames_seen += 1
        if not self.due(sample.t):
            return None
        return self.feed(sample)

    def _account(self, decision: Decision) -> None:
        self.totals.frames_analysed += 1
        if self._last is not None:
            self._add_span(decision.t)
        if decision.changed:
            self.totals.changes += 1
        self._last = decision

    def _add_span(self, end: float) -> None:
        """Credit the time from the last analysed frame to ``end`` to what that frame saw.

        A gap longer than the log's ``max_gap`` was not monitored (a pause, a released
        camera, a laptop asleep, a recording that paused for days): as in the log
        (:class:`store.StoreSink`), the state is credited only up to the next frame the
        slowest sampling would have taken, so the totals and the log agree."""
        assert self._last is not None
        span = max(0.0, end - self._last.t)
        if span > MAX_GAP:
            span = SLOWEST_INTERVAL
        tot = self.totals
        tot.seconds[self._last.state] = tot.seconds.get(self._last.state, 0.0) + span
        if self._last.cut_off:
            tot.cut_off += span

    def begin(self, t: float, sinks: Iterable[Sink]) -> None:
        """Start monitoring at stream time ``t``: the samples before it were calibration.

        None of them was counted or told to a sink: a replay that calibrates on its first
        seconds logged the deliberate slouch of the calibration step as forward-head
        posture (`calibrate` before `run` never does). Nor do they weigh on what follows:
        the smoothing and the sampling schedule start afresh, as `run` starts after
        `calibrate`, and the next sample is decided at once, told to the sinks as the
        first decision, a change. Carried on from the slouch step, the demo opened its
        monitoring on "forward_head" for 6 s while the user sat upright.
        """
        old = self.decider
        self.decider = Decider(old.baseline, old.thresholds, old.smoothing)
        self._sampler = SamplerState()
        self.next_due = float("-inf")
        self.totals = Totals()
        self.sinks = list(sinks)
        self._last = None
        self._opening = True

    def close(self, t_end: Optional[float] = None) -> Totals:
        end = t_end if t_end is not None else (self._last.t if self._last else 0.0)
        if self._last is not None and end > self._last.t:
            self._add_span(end)
        # every sink is closed, whatever one before it said (the database's, held by
        # another program, left the coach's unclosed); the first refusal is raised after
        failed: Optional[UserError] = None
        for sink in self.sinks:
            try:
                sink.close(end)
            except UserError as exc:
                failed = failed or exc
        self.totals.end = end
        if failed is not None:
            raise failed
        return self.totals


# --------------------------------------------------------------------------- sample sources
class DetectedFrames:
    """Samples from a frame source, the pose model run on each frame it yields.

    Once a pipeline is attached (``replay`` does it as soon as it has one), frames the
    sampling schedule does not want are skipped before decoding, never detected.
    """

    def __init__(
        self,
        source: FrameSource,
        detector,
        pipeline: Optional[Pipeline] = None,
        on_frame: Optional[Callable[[Frame, Optional[np.ndarray]], None]] = None,
    ):
        self.source = source
        self.detector = detector
        self.pipeline = pipeline
        self.on_frame = on_frame  # e.g. the preview window; sees the picture, keeps nothing
        #: once the source is read to its end: the stream time of its last frame, skipped
        #: or not (a skipped tail is monitored time all the same, as in a landmark replay)
        self.end_t: Optional[float] = None

    def __iter__(self) -> Iterator[Sample]:
        while True:
            if self.pipeline is not None and self.pipeline.next_due > float("-inf"):
                # frames of the recording all the same: "analysed 15 of 195", as a
                # landmark replay says it (counting only those read said "15 of 15")
                skipped = self.source.skip_until(self.pipeline.next_due)
                self.pipeline.totals.frames_seen += skipped or 0
            frame = self.source.read()
            if frame is None:
                self.end_t = getattr(self.source, "last_t", None)
                return
            landmarks = self.detector.detect(frame.image)
            if self.on_frame is not None:
                self.on_frame(frame, landmarks)
            yield Sample(frame.t, landmarks)


def frame_samples(source: FrameSource, detector, on_frame=None) -> Iterator[Sample]:
    """Every frame of ``source`` as a sample (calibration and recording want them all)."""
    return iter(DetectedFrames(source, detector, on_frame=on_frame))


def header_of(source: FrameSource) -> StreamHeader:
    return StreamHeader(source.width, source.height, source.fps, source.name)


def open_landmarks(path: str | Path) -> tuple[StreamHeader, Iterator[Sample]]:
    """A landmark stream from a file, read lazily; ``.gz`` files are read transparently."""
    return streams.read_stream(path)


def no_frames(path: str | Path, what: str) -> UserError:
    """The error for a landmark stream of a header and no sample (a recording stopped
    before its first frame): a replay of it said "analysed 0 of 0 frames" and exit 0, and
    with ``--db`` made an empty database, as if something had been monitored."""
    return UserError(f"{path}: the landmark stream holds no frames, only its header: {what}")


def first_frame_or_refuse(
    path: str | Path, samples: Iterator[Sample], what: str
) -> Iterator[Sample]:
    """``samples`` as they were, or :func:`no_frames` when there is none (read: one line)."""
    first = next(samples, None)
    if first is None:
        raise no_frames(path, what)
    return _chain([first], samples)


def demo_stream_path() -> Path:
    return Path(str(resources.files("posture_guard") / "data" / DEMO_STREAM))


# --------------------------------------------------------------------------- calibration
def _shorter_calibration(span: float, seconds: float, slouch: float, seconds_option: str) -> str:
    """What to lower when the input is shorter than the calibration asked: the option of
    the step that does not fit, with a value that fits. Why: "the input holds only 5.1 s
    but calibration asks for 20 s" named no option, and a slouch that did not fit read
    like the upright seconds were too many."""
    if span + 1e-6 >= seconds * 0.9:  # the upright part fits: the slouch is too long
        left = span - seconds
        if left >= min_slouch_seconds():  # the shortest slouch check_slouch_seconds takes
            return f"give a longer input, or --slouch-seconds {_fitting(left)} (0 for none)"
        return "give a longer input, or --slouch-seconds 0 (no slouch step)"
    fits = _fitting(span)
    if fits == "0":
        return "give a longer input"
    also = " and --slouch-seconds 0" if slouch else ""
    return f"give a longer input, or {seconds_option} {fits}{also}"


def _fitting(span: float) -> str:
    """A duration within ``span``, as a user would type it: whole seconds, or tenths
    under 1 s."""
    return f"{math.floor(span) if span >= 1 else math.floor(max(span, 0.0) * 10) / 10:g}"


def refuse_too_short(
    span: float, seconds: float, slouch_seconds: float, seconds_option: str = "--seconds"
) -> None:
    """Refuse an input whose ``span`` (stream time from its first frame to its last) is
    shorter than the calibration asks, naming what to lower (:func:`_shorter_calibration`)."""
    if span + 1e-6 < (seconds + slouch_seconds) * 0.9:
        asked = f"{seconds:g} s" + (f" and a {slouch_seconds:g} s slouch" if slouch_seconds else "")
        raise UserError(
            f"the input holds only {span:.1f} s but calibration asks for {asked}: "
            + _shorter_calibration(span, seconds, slouch_seconds, seconds_option)
        )


def calibrate_samples(
    header: StreamHeader,
    samples: Iterable[Sample],
    seconds: float,
    slouch_seconds: float = 0.0,
    out: Optional[TextIO] = None,
    seconds_option: str = "--seconds",
) -> tuple[Baseline, list[Sample]]:
    """Fit a baseline on the first ``seconds`` of ``samples``; return it and the samples read.

    With ``slouch_seconds``, the next ``slouch_seconds`` are the slouch step (the user lets
    their head drift forward; its first seconds are the move into it) and the baseline
    carries that slouch. A slouch that cannot be used (out of view, or no different from
    upright) keeps the upright baseline and says why on ``out``: the upright part is good.
    Only the leading samples are consumed from the iterator, so the caller can go on
    reading the rest of a live or lazily read source. A user who fills the picture is
    advised on ``out`` to set the camera back (:func:`~calibration.baseline.framing_advice`).
    ``seconds_option``: the command's option for ``seconds``, named when they are too few.
    """
    from calibration.baseline import (
        SLOUCH_SETTLE,
        CalibrationError,
        fit_baseline,
        fit_slouch,
        framing_advice,
    )

    lead: list[Sample] = []
    it = iter(samples)
    t0: Optional[float] = None
    for sample in it:
        t0 = sample.t if t0 is None else t0
        lead.append(sample)
        if sample.t - t0 >= seconds + slouch_seconds:
            break
    if not lead:
        raise UserError("the input is empty: nothing to calibrate on")
    refuse_too_short(lead[-1].t - lead[0].t, seconds, slouch_seconds, seconds_option)
    assert t0 is not None
    upright = [compute_metrics(s, header) for s in lead if s.t - t0 <= seconds]
    baseline = fit_baseline(upright, seconds_option)
    advice = framing_advice(baseline)
    if advice:
        print(f"note: {advice}", file=out)
    if slouch_seconds > 0:
        start = t0 + seconds + SLOUCH_SETTLE
        slouch = [compute_metrics(s, header) for s in lead if s.t >= start]
        try:
            baseline = replace(baseline, slouch=fit_slouch(slouch, baseline))
        except CalibrationError as exc:
            print(f"{SLOUCH_NOT_USED}: {exc}; keeping the upright baseline", file=out)
    return baseline, lead


def resolve_baseline(profile: Optional[str], out: TextIO) -> tuple[Baseline, str]:
    """The named profile, or population defaults (said aloud) when none is asked or found.
    A profile an older version saved is said aloud too (see ``read_profile``)."""
    from calibration.baseline import profile_exists, read_profile

    if profile is not None and (profile != "default" or profile_exists(profile)):
        baseline, note = read_profile(profile)
        if note:
            print(note, file=out)
        return baseline, profile
    if profile is None and profile_exists("default"):
        # replay: a recording may come from another desk, so the user's profile is used
        # only when asked for
        how = "replay uses a profile only when given one: --profile default"
    else:
        how = "run `posture-guard calibrate` for a baseline of your own"
    print(
        "note: no calibration profile; judging against population defaults, which miss "
        f"most forward-head postures ({how})",
        file=out,
    )
    return POPULATION_BASELINE, POPULATION_PROFILE


# --------------------------------------------------------------------------- printing
class ConsolePrinter:
    """Prints each state change with the numbers behind it (the demo's narration).

    A replay or the demo labels each line with its stream time ("[00:05:10]"); a live
    run with the time of day (``wall``: :meth:`SessionInfo.wall`), as the coach's lines
    beside them are: a monitor started at 09:00 printed "[05:12:40] forward_head" at
    14:12, after a suspend the hours asleep on top, and after the clock was set (a new
    session) it started again from "[00:00:00]"."""

    def __init__(self, out: Optional[TextIO], wall: Optional[Callable[[float], datetime]] = None):
        self.out = out  # None: no console (pythonw, the Windows login entry), print drops it
        self.wall = wall

    def on_decision(self, d: Decision) -> None:
        if not d.changed:
            return
        m = d.metrics
        why = ""
        if d.state is not PostureState.ABSENT and "d_gap" in m:
            why = (
                f"ear-shoulder height {m['d_gap']:+.0%}, face size {m['d_face']:+.0%}, "
                f"pitch {m['d_pitch']:+.2f}, roll {m.get('d_roll', 0):+.0f} deg"
            )
        at = fmt_clock(d.t) if self.wall is None else f"{self.wall(d.t):%H:%M:%S}"
        print(f"[{at}] {d.state.value:<17}{why}", file=self.out)

    def close(self, t_end: float) -> None:
        if self.out is not None:  # without, every stop was an AttributeError, the sinks
            self.out.flush()  # after this one (the database's) left unclosed


def fmt_clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def print_totals(totals: Totals, out: TextIO) -> None:
    """The replay's closing lines: the monitored time, then each state's time and share.

    Each state's seconds and tenths of a percent are rounded together, not one by one, so
    the rows add up to the monitored time above them and to 100.0 %: the demo showed
    3:00 + 2:11 + 0:38 + 1:00 = 6:49 under "monitored 00:06:50", and shares summing to
    100.1 %. A header names each share's base: the share of the monitored time (absent
    included) and, for the states at the desk, the share of desk time in whole percents
    rounded together, as `summary` gives it (the demo's good read 41.3 % with no word of
    its base, beside the summary's 49 % of desk time for the same day)."""
    total = totals.monitored
    print(
        f"monitored {fmt_clock(total)}; analysed {totals.frames_analysed} of "
        f"{totals.frames_seen} frames; {totals.changes} state "
        f"change{'' if totals.changes == 1 else 's'}",  # a short replay read "1 state changes"
        file=out,
    )
    shown = [
        (s, Fraction(totals.seconds[s])) for s in PostureState if totals.seconds.get(s, 0.0) > 0
    ]
    exact_total = sum((secs for _, secs in shown), Fraction(0))
    seconds = apportion([secs for _, secs in shown], int(round(total)))
    tenths = apportion([1000 * secs / exact_total for _, secs in shown], 1000) if shown else []
    desk = [(s, secs) for s, secs in shown if s is not PostureState.ABSENT]
    desk_total = sum((secs for _, secs in desk), Fraction(0))
    of_desk = (
        dict(zip((s for s, _ in desk), apportion([100 * x / desk_total for _, x in desk], 100)))
        if desk_total > 0
        else {}
    )
    if shown:
        print(f"  {'':<17}{'time':<8}  {'of monitored':>12}  {'of desk time':>12}", file=out)
    for (state, _), secs, share in zip(shown, seconds, tenths):
        desk_pct = f"{of_desk[state]:11d}%" if state in of_desk else ""
        line = f"  {state.value:<17}{fmt_clock(secs)}  {share / 10:11.1f}%  {desk_pct}"
        print(line.rstrip(), file=out)
    if totals.cut_off > 0 and total > 0:
        share = totals.cut_off / total
        print(f"of all that, cut off by the frame edge (posture not judged): "
              f"{fmt_clock(totals.cut_off)}  {share:.1%}", file=out)  # fmt: skip
        if share >= CUT_OFF_ADVICE_SHARE:
            print(f"note: {OFTEN_CUT_OFF}", file=out)


# --------------------------------------------------------------------------- replay
@dataclass
class ReplayOptions:
    calibrate_seconds: Optional[float] = None
    profile: Optional[str] = None
    all_frames: bool = False
    slouch_seconds: float = 0.0  # with calibrate_seconds: a slouch step follows the upright
    #: The decision's rules (the defaults; calibration/tune.py tries others).
    thresholds: Thresholds = Thresholds()
    smoothing: Smoothing = Smoothing()


def replay(
    header: StreamHeader,
    samples: Iterable[Sample],
    sinks: list[Sink] | Callable[[], list[Sink]],
    options: ReplayOptions,
    out: TextIO = sys.stdout,
    baseline: Optional[Baseline] = None,
    stop: Optional[StopFlag] = None,
) -> Totals:
    """Run the whole decision over recorded samples as fast as the machine allows.

    When ``stop`` is set (Ctrl-C, SIGTERM, SIGHUP) the replay ends after the sample in
    hand, and the sinks are closed there as at the end of the input, so the log holds
    exactly the part replayed and the totals count the same. ``sinks`` may be a function
    that opens them, called once the baseline is had: a calibration that fails then
    leaves no output made (see replay_command)."""
    lead: list[Sample] = []
    it = iter(samples)
    #: with the baseline fitted here: when the calibration ends and monitoring begins
    monitored_from: Optional[float] = None
    if baseline is None:
        if options.calibrate_seconds:
            baseline, lead = _calibrate_replay(header, it, options, out)
            refuse_calibrating_on_damage(
                samples,
                "--calibrate-seconds",
                "replay it with --profile NAME, or without --calibrate-seconds",
            )
            slouch = f", then a {options.slouch_seconds:g} s slouch" if baseline.slouch else ""
            monitored_from = lead[0].t + options.calibrate_seconds + options.slouch_seconds
            print(
                f"calibrated on the first {options.calibrate_seconds:g} s "
                f"({baseline.samples} usable frames){slouch}; monitoring from "
                f"{fmt_clock(monitored_from)} (the calibration is not counted or logged)",
                file=out,
            )
        else:
            baseline, _ = resolve_baseline(options.profile, out)
    if callable(sinks):
        sinks = sinks()
    policy = None if options.all_frames else SamplingPolicy()
    decider = Decider(baseline, options.thresholds, options.smoothing)
    pipeline = Pipeline(header, decider, sinks if monitored_from is None else [], policy)
    if isinstance(samples, DetectedFrames):
        samples.pipeline = pipeline  # from here on, skip frames the schedule skips
    last_t = None
    for sample in _chain(lead, it):
        if monitored_from is not None and sample.t >= monitored_from - 1e-6:
            pipeline.begin(monitored_from, sinks)
            monitored_from = None
        pipeline.offer(sample)
        last_t = sample.t
        if stop is not None and stop.stopped:
            break
    else:
        # A video read to its end: the frames after the last analysed one were skipped
        # unread, not offered, and the time ended at that frame, up to a sampling
        # interval (3.5 s) before the clip's end, where a landmark replay counts to it.
        end_t = getattr(samples, "end_t", None)
        if end_t is not None and (last_t is None or end_t > last_t):
            last_t = end_t
    if monitored_from is not None:  # the input ended within the calibration (or a stop)
        pipeline.begin(monitored_from, sinks)
    try:
        return pipeline.close(last_t)
    except KeptAside as exc:
        raise ReplayKeptAside(exc, pipeline.totals) from exc


class ReplayKeptAside(KeptAside):
    """A replay whose database another program still held at its end: its spans wait in
    the side file (see :class:`store.StoreSink`), with the replay's totals, which the
    command prints before saying so. Why: it ended with exit status 2, "refused for
    good", and no totals, though nothing was refused and its spans were safe."""

    def __init__(self, kept: KeptAside, totals: Totals):
        super().__init__(str(kept))
        self.spans = kept.spans
        self.totals = totals


def _calibrate_replay(
    header: StreamHeader, it: Iterator[Sample], options: ReplayOptions, out: TextIO
) -> tuple[Baseline, list[Sample]]:
    """:func:`calibrate_samples` on the replay's first seconds; an input that cannot be
    calibrated on because it is a side view is refused saying so (:func:`side_view_words`).

    Why: a side-view photo replayed with ``--calibrate-seconds 1`` was refused for "only 3
    frames to calibrate on", and with 5 told to "face the camera and try again", while the
    same photo replayed without calibrating is told it is a side view the states cannot
    judge, and pointed to `assess`."""
    from calibration.baseline import CalibrationError

    read: list[Sample] = []

    def kept() -> Iterator[Sample]:
        for sample in it:  # calibrate_samples stops taking at the end of its seconds
            read.append(sample)
            yield sample

    try:
        seconds = options.calibrate_seconds or 0.0
        return calibrate_samples(
            header, kept(), seconds, options.slouch_seconds, out, "--calibrate-seconds"
        )
    except CalibrationError:
        metrics = (compute_metrics(s, header) for s in read)
        gaps = [m.ear_gap for m in metrics if m is not None and math.isfinite(m.ear_gap)]
        words = side_view_words(float(np.median(gaps))) if gaps else None
        if words is None:
            raise
        raise UserError(
            f"{words}: there is no upright baseline to calibrate on (--calibrate-seconds). "
            f"{ASSESS_SIDE_VIEW}"
        ) from None


def _chain(first: list[Sample], rest: Iterable[Sample]) -> Iterator[Sample]:
    yield from first
    yield from rest


def replay_video(
    path: str,
    sinks: list[Sink] | Callable[[], list[Sink]],
    options: ReplayOptions,
    out: TextIO = sys.stdout,
    baseline: Optional[Baseline] = None,
    stop: Optional[StopFlag] = None,
) -> Totals:
    """Replay a video or image: the pose model runs only on frames the schedule picks."""
    from .pose import MediaPipePose

    source = open_file(path, photo_seconds(options))
    with MediaPipePose() as detector:
        try:
            frames = DetectedFrames(source, detector)
            totals = replay(header_of(source), frames, sinks, options, out, baseline, stop)
            tell_damage(source, out)
            return totals
        finally:
            source.close()


#: How long a replay holds a photo still for the monitoring, after the seconds it
#: calibrates on (see :func:`photo_seconds`).
PHOTO_MONITORED = 10.0


def photo_seconds(options: ReplayOptions) -> float:
    """How long a replay holds a photo still: the seconds it calibrates on, then
    :data:`PHOTO_MONITORED`. It was held 10 s whatever the calibration asked, so `replay
    --video PHOTO --calibrate-seconds 20` (the replay the no-camera message suggests) was
    refused as "the input holds only 9.5 s", where `calibrate` and `record` hold a photo as
    long as they are asked to."""
    return (options.calibrate_seconds or 0.0) + options.slouch_seconds + PHOTO_MONITORED


def tell_damage(source: FrameSource, out: TextIO) -> None:
    """The one line on a video found damaged (FFmpeg's own lines are kept from the
    terminal: see capture._DecoderLog), once its frames are read."""
    note = damage_of(source)
    if note:
        print(f"note: {note}", file=out)


def damage_of(frames: object, used: bool = True) -> Optional[str]:
    """The one line on a video found damaged in the frames read so far, or None (a photo,
    a landmark stream or a camera): of ``frames``, a source or the DetectedFrames reading
    one. See capture.VideoFileSource.damage for ``used``."""
    damage = getattr(getattr(frames, "source", frames), "damage", None)
    return damage(used) if damage is not None else None


def refuse_calibrating_on_damage(frames: object, what: str, instead: str) -> None:
    """Stop a calibration (``what``) whose video was found damaged in the frames it read,
    before its baseline is used or saved; ``instead`` says what to do. (The baseline was
    fitted on the frames as decoded, some perhaps garbled, or on times a guessed frame
    rate gave, said in one note after it: a profile saved so judged every day after.)"""
    note = damage_of(frames, used=False)
    if note:
        raise UserError(
            f"{note}; {what} fits no baseline on a damaged video (one fitted on frames perhaps "
            f"garbled, or timed by a guess, could judge all that follows wrongly): {instead}"
        )


# --------------------------------------------------------------------------- commands
def _session(args: argparse.Namespace, profile: str, live: bool, source: str) -> SessionInfo:
    from .store import parse_start

    start = getattr(args, "start", None)
    moment = parse_start(start) if start else datetime.now()
    return SessionInfo(start=moment, profile=profile, live=live, source=source_label(source))


def source_label(source: str) -> str:
    """The input's name as the log keeps it with each span (its ``source``).

    A file name that is not UTF-8 (a Linux name in Latin-1: Python holds its bytes as
    lone surrogates) is no text SQLite can store: `replay --db` of one ended in an
    internal error (UnicodeEncodeError) with nothing logged. Those bytes are logged as
    U+FFFD, the rest of the name as it is."""
    return source.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class StatesFile:
    """The ``--states-out`` file. A write that fails (a full disk) is kept, not raised.

    The replay goes on, so the other sinks (the database with ``--db``) still get every
    decision, and :meth:`check` raises the error, naming the file, once all is saved.
    """

    def __init__(self, path: str):
        self.path = path
        self.error: Optional[OSError] = None
        self.to_stdout = False
        try:
            if is_standard_output(path, "--states-out") and Path(path).suffix != ".gz":
                self.to_stdout = True
                # written where standard output is, not opened again by name: that
                # emptied a file it appends to, and wrote over the command's own lines
                self._handle: TextIO = open(os.dup(1), "w", encoding="utf-8")
            elif Path(path).suffix == ".gz":
                # compressed, as `record` writes a .gz name: plain text under it was
                # refused by zcat and gzip -d ("not in gzip format")
                paths.create_private(path)  # gzip.open would make it 0644
                self._handle = gzip.open(path, "wt", encoding="utf-8")
            else:
                self._handle = open(path, "w", encoding="utf-8", opener=paths.private_opener)
        except OSError as exc:
            raise UserError(f"cannot write --states-out {path}: {exc.strerror}") from None

    def write(self, text: str) -> int:
        if self.error is None:
            try:
                self._handle.write(text)
            except OSError as exc:
                self.error = exc
        return len(text)

    def flush(self) -> None:
        if self.error is None:
            try:
                self._handle.flush()
            except OSError as exc:
                self.error = exc

    def close(self) -> None:
        try:
            self._handle.close()
        except OSError as exc:
            self.error = self.error or exc

    def check(self, db: Optional[str]) -> None:
        """Raise the write error, if there was one, saying what was kept all the same."""
        if self.error is None:
            return
        if isinstance(self.error, BrokenPipeError) and self.to_stdout:
            # the reader of standard output went away (`--states-out - | head -1`): it
            # has what it wanted, as for the command's own lines (see cli._handle); it
            # exited 2, "Broken pipe; the states file is incomplete"
            raise BrokenPipeError(self.error.errno, self.error.strerror)
        kept = (
            f"; the posture spans were logged to {db} in full (re-run without --db to write "
            "the states)"
            if db
            else ""
        )
        raise UserError(
            f"cannot write --states-out {self.path}: {self.error.strerror or self.error}; "
            f"the states file is incomplete{kept}"
        )


def open_states_out(
    path: Optional[str], inputs: dict[str, Optional[str]], force: bool = False
) -> Optional[StatesFile]:
    """The states file, or None without ``--states-out``.

    An existing file is kept unless ``force``, as every other output keeps its own
    (``report --html``, ``record``, ``plan new``, ``assess --out``): a states file given
    the name of another replay's replaced it without a word. Never an input or the
    database, nor a landmark recording, which a swapped name could otherwise replace,
    even with ``force``.
    """
    if not path:
        return None
    refuse_states_out(path, inputs, force)
    return StatesFile(path)


def refuse_states_out(
    path: Optional[str], inputs: dict[str, Optional[str]], force: bool = False
) -> None:
    """Refuse a ``--states-out`` that is an input, the database or a landmark recording,
    or an existing file without ``force`` (see :func:`open_states_out`), before anything
    is read or written."""
    if not path:
        return
    # nor the user's database (a replay without --db does not name it), active plan or
    # config file: `demo --states-out DB` wrote over the whole posture log and diary
    inputs = {**inputs, **paths.own_files()}
    if path == STANDARD_OUTPUT:
        # where standard output goes, as for /dev/stdout: `>> rec.jsonl` would add the
        # states to the recording replayed, or to another
        where = stdout_goes_to(inputs)
        if where is None and Path("/dev/stdout").is_file():
            if streams.looks_like_stream("/dev/stdout"):
                where = "a landmark recording"
        if where is not None:
            raise UserError(
                f"--states-out - is standard output, which goes to {where}: the posture "
                "states would be written into it; send standard output elsewhere"
            )
        return
    paths.refuse_same_file(path, "--states-out", inputs)
    if streams.looks_like_stream(path):
        raise UserError(
            f"--states-out {path} is a landmark recording, which the posture states would "
            "replace; choose another name for the output"
        )
    if not force and Path(path).is_file() and not is_standard_output(path, "--states-out"):
        # standard output redirected to a file the shell has just made is no file kept
        raise UserError(f"--states-out {path} already exists; choose another name or add --force")


def stdout_goes_to(files: Mapping[str, Optional[Union[str, Path]]]) -> Optional[str]:
    """ "NAME PATH" of the one of ``files`` (name -> path) standard output goes to, or None."""
    return next((f"{k} {v}" for k, v in files.items() if v and _is_stdout(str(v))), None)


class _ReaderMayLeave:
    """Standard output that, once its reader has gone, writes to /dev/null instead.

    Why: ``demo --db F | head -1`` (or a replay's lines piped to a reader that exits)
    stopped at the first line that met the closed pipe, with exit status 0 and nothing
    logged to F: the command's lines are a report on the work, the work is the log (and
    ``--states-out``, the prompts). It goes on to the end now, its lines unread."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_null()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_null()

    def _to_null(self) -> None:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, self._stream.fileno())
        finally:
            os.close(null)
        try:
            self._stream.flush()  # what it held goes to /dev/null
        except OSError:
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def reader_may_leave() -> Iterator[None]:
    """Standard output as :class:`_ReaderMayLeave` while a replay or the demo runs (not
    where it is no file: closed, ``>&-``, or a test's capture)."""
    stream = sys.stdout
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout = _ReaderMayLeave(stream)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout = stream


@contextmanager
def own_lines_to_stderr(output: Optional[str]) -> Iterator[None]:
    """Print the command's own lines (notes, states as they change, totals, prompts) on
    standard error while ``output`` is standard output, so that what it writes there stays
    one file to read: with ``--states-out /dev/stdout`` they were written over by it."""
    if not output or not is_standard_output(output, "--states-out"):
        yield
        return
    sys.stdout.flush()  # what was printed before goes first
    with redirect_stdout(sys.stderr):
        yield


#: ends the name of the lock file a replay or demo holds beside its --db while it runs
REPLAY_LOCK_SUFFIX = ".replay.lock"


@contextmanager
def one_replay_at_a_time(db: Optional[str]) -> Iterator[None]:
    """Hold an OS lock (``flock``, gone with the process) on ``NAME.replay.lock`` beside
    the file ``db`` names, from before the replay's checks to its end, waiting (and
    saying so) while another replay or demo into it holds it; the file is removed at
    the end.

    Why: a replay checks that its time is not logged in ``db`` yet before it writes.
    Two started at once (two terminals, a script's loop gone to the background) both
    found nothing logged, and both logged: `demo --db F` twice at once put every span
    and alert in F twice. Waiting, the second is checked against what the first logged,
    as when it follows it. Where no lock can be made (no such folder, a folder or a
    device named as ``db``, Windows' lack of flock) the replay goes on as before: its
    checks say what is wrong with ``db``."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    if not db or _is_stdout(db):
        yield
        return
    real = Path(os.path.realpath(db))
    lock = real.with_name(real.name + REPLAY_LOCK_SUFFIX)
    told = False
    while True:
        if (real.exists() and not real.is_file()) or not real.parent.is_dir():
            yield
            return
        try:
            fh = open(lock, "a+b", opener=paths.private_opener)
        except OSError:
            yield
            return
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            if not told:
                fh.seek(0)
                holder = fh.read().decode("ascii", "replace").strip()
                by = f" (pid {holder})" if holder.isdigit() else ""
                print(
                    f"posture-guard: another replay or demo is logging into {db}{by}: "
                    "waiting for it to end, so that no time is logged there twice",
                    file=sys.stderr,
                    flush=True,
                )
                told = True
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        if _still_at(fh, lock):
            break
        fh.close()  # removed by the one that held it, as it ended: take the new one
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n".encode())
        fh.flush()
        yield
    finally:
        try:
            lock.unlink()
        except OSError:
            pass
        fh.close()


def check_whole_stream(path: str | Path) -> tuple[float, float]:
    """Read a landmark stream to its end, so a damaged line stops a replay before it writes.

    Without this, a line broken half-way would leave the spans before it in the database
    (and the re-run, once the file is mended, would log that time twice) and a states file
    half written. It costs a second reading of the file, a fraction of the replay's time.
    Returns the stream times of the first and the last sample; a stream of no sample is
    refused (:func:`no_frames`), before any output file or database is made. A pipe
    cannot be read twice: ``--landmarks /dev/stdin`` (or ``<(zcat ...)``) was read to its
    end here, and the replay then said "the stream is empty (no header line)"; it is
    refused, saying why and what to do.
    """
    given = Path(path)
    if given.exists() and not given.is_file() and not given.is_dir():
        raise UserError(
            f"{path} is a pipe or a device, not a file: a replay reads the landmark stream "
            "twice (first every line, so that a damaged one stops it before anything is "
            "written); save the stream to a file and replay that"
        )
    _, samples = open_landmarks(path)
    first = last = None
    for sample in samples:
        first = sample.t if first is None else first
        last = sample.t
    if first is None or last is None:
        raise no_frames(path, "nothing to replay")
    return (first, last)


def video_span(
    path: str, count: bool = False, still_seconds: float = PHOTO_MONITORED
) -> tuple[float, float]:
    """Stream times of a video's (or a photo's, held ``still_seconds``) first and last
    frame, as it states them. A video that states no length to believe (see
    capture.VideoFileSource) has its frames counted with ``count`` (a replay into a
    database, placed in time by its span), read once more to the end; without, its span
    is 0 s."""
    source = open_file(path, still_seconds)
    try:
        duration = getattr(source, "duration", 0.0)
        if duration is None and count:
            source.skip_until(math.inf)
            duration = source.last_t
        return (0.0, float(duration or 0.0))
    finally:
        source.close()


def refuse_logging_twice(
    db: Optional[str], start: Optional[str], span: tuple[float, float], source: str = ""
) -> Optional[tuple[float, float]]:
    """Stop a replay into ``db`` whose time (``span`` of stream time from ``start``, the
    session's ``--start`` or now) is already logged there, before anything is written.

    The same recording replayed again with the same ``--start`` (or two replays whose
    times overlap) logged that time twice: the summary then said 14 min monitored of a
    7-minute recording, and every share and the report counted it twice. ``span`` is the
    part logged (:func:`monitored_span`): the seconds a replay calibrates on are not, so
    a replay whose calibration alone overlapped the logged time was refused for nothing.

    Unless that time is a run of this same replay cut short (a kill -9, the machine
    switched off, Ctrl-C): then it is not refused, and returned (POSIX seconds, the
    first and the last moment it logged), for the replay to log the rest. Refused, the
    rerun of a replay killed half-way could not finish its log, and one given another
    --start to get by logged its first part twice. ``source``: the input's name as the
    log keeps it (:func:`source_label`).
    """
    if not db or not Path(db).exists():  # a folder is named so, before the replay begins
        return None
    from .store import Store, parse_start

    moment = parse_start(start) if start else datetime.now()
    t0 = moment.timestamp()
    first, last = span
    with Store.open(db, create=False, read_only=True) as store:
        logged = logged_spans(store, t0 + first, t0 + max(last, first + 1e-3))
    if not logged:
        return None
    run = (logged[0].start, max(s.end for s in logged))
    if (
        source
        and all(s.source == source for s in logged)
        and t0 + first - 1e-3 <= run[0] <= t0 + first + SLOWEST_INTERVAL
        and run[1] < t0 + last - 1e-3
    ):
        return run
    # whole seconds, the end rounded, as :func:`print_logged` named this time when it was
    # logged: a time across midnight read "to 2026-11-30 00:04:49.800000" here, and the
    # end of one day "to 10:06:49" where the replay that logged it had said 10:06:50
    when = logged_hours(logged[0].start, round(logged[-1].end))
    begin = datetime.fromtimestamp(t0 + first)
    raise UserError(
        f"--db {db} already holds posture logged from {when}, time this replay would log "
        f"again from {begin:%Y-%m-%d %H:%M:%S} (a replay run before?): the totals would "
        "count it twice. Give another --start, or another --db"
    )


def refuse_logging_under_monitor(db: Optional[str], start: str, span: tuple[float, float]) -> None:
    """Stop a replay into the database a running monitor logs to, when its time runs on
    past the moment the monitor's camera went into use: the monitor logs that time
    itself, and has not written all of it yet (it writes every 5 s), so a replay ending
    now was let through, and the two logged the same seconds, each where the other did
    not look. ``span``: the stream time the replay runs to, from ``start``."""
    if not db or not Path(db).exists():
        return
    from .service import read_service_status, running_pid
    from .store import parse_start

    own = paths.database_file()
    try:
        if not own.exists() or not os.path.samefile(db, own):
            return
    except OSError:
        return
    pid = running_pid()
    status = read_service_status()
    if pid is None or status is None or status.pid != pid:
        return
    since = status.camera_since if status.camera == "in use" else None
    if status.camera == "starting":
        since = status.at
    if since is None:
        return  # released or unavailable: the monitor logs nothing meanwhile
    t0 = parse_start(start).timestamp()
    if t0 + span[1] <= since:
        return
    by = datetime.fromtimestamp(since - span[1])
    raise UserError(
        f"--db {db} is the database the running monitor logs to, and it has been "
        f"monitoring since {datetime.fromtimestamp(since):%Y-%m-%d %H:%M:%S}: this replay "
        f"would log time after then, which the monitor logs itself (twice, then); give a "
        f"--start up to {by:%Y-%m-%d %H:%M:%S}, for the replay to end by then"
    )


def start_of_run_cut_short(
    db: Optional[str], source: str, span: tuple[float, float]
) -> Optional[str]:
    """The ``--start`` of the latest run of this replay into ``db`` when it was cut short,
    for a rerun without ``--start`` to finish its log; None when there is none, or it
    logged all of ``span`` (the stream time it logs, :func:`monitored_span`).

    Why: without --start a replay is logged as ending now, so the rerun of one killed
    half-way was logged at a new time, its first part twice in the day (or refused, when
    run soon enough for the two times to overlap). The latest run is the stretch of spans
    of this ``source`` (:func:`source_label`) that ends last, back to where one does not
    begin as the one before ends."""
    if not db or not Path(db).exists():
        return None
    from .store import Store

    with Store.open(db, create=False, read_only=True) as store:
        rows = store.read(
            "SELECT start, end FROM spans WHERE source = ? ORDER BY start, id", (source,)
        )
        # and those waiting in the side file: a run cut short while another program
        # held the database (see :func:`logged_spans`)
        waiting = [(s.start, s.end) for s in store.waiting_spans() if s.source == source]
        rows = sorted(set(rows) | set(waiting)) if waiting else rows
    if not rows:
        return None
    begin, end = rows[-1]
    for a, b in reversed(rows[:-1]):
        if abs(b - begin) > 1e-6:
            break
        begin = a
    # the whole second a --start or "ending now" gave: the first frame decided on may
    # come up to a frame after the moment monitoring begins (after --calibrate-seconds)
    t0 = math.floor(begin - span[0] + 1e-3)
    if end >= t0 + span[1] - 1e-3:
        return None  # logged whole: this one is a replay of its own, ending now
    return datetime.fromtimestamp(t0, timezone.utc).astimezone().isoformat(timespec="seconds")


def completing_note(db: str, run: tuple[float, float], start: str, given: bool) -> str:
    """The line a replay that finishes the log of a run of it cut short begins with;
    ``given``: whether the user gave that --start (else it was the run's, found)."""
    other = "" if given else "; give --start to log it at another time"
    return (
        f"note: --db {db} holds {logged_hours(run[0], round(run[1]))} of this replay, logged by "
        f"a run of it that stopped there (killed, Ctrl-C, or the input damaged there): this "
        f"one, from the same --start {start}, logs what follows{other}"
    )


class _PromptsHeldBack:
    """The notifier of a replay finishing the log of a run of it cut short: the prompts
    at moments that run logged (before ``until``, POSIX seconds) are not shown again.

    Why: the coach goes through the whole replay again, so that it coaches what follows
    as it would have, and showed again every prompt of the part the run cut short had
    shown (its events, logged then, were logged a second time too; see
    ``Store.events_once``). ``t`` is the stream time of the decision the coach is
    deciding on, which :class:`_PromptClock` sets before it."""

    def __init__(self, notifier: Notifier, session: SessionInfo, until: float):
        self.inner = notifier
        self.name = notifier.name
        self.session = session
        self.until = until
        self.t = float("-inf")

    def send(self, message: Message) -> Delivery:
        if self.session.epoch(self.t) < self.until:
            from .notify import Delivery

            return Delivery(True, self.name, "shown by the run cut short")
        return self.inner.send(message)

    def poll_clicks(self) -> list[Click]:
        return self.inner.poll_clicks()

    def close(self) -> None:
        self.inner.close()


class _PromptClock:
    """A sink that tells :class:`_PromptsHeldBack` each decision's time."""

    def __init__(self, gate: _PromptsHeldBack):
        self.gate = gate

    def on_decision(self, decision: Decision) -> None:
        self.gate.t = decision.t

    def close(self, t_end: float) -> None:
        self.gate.t = t_end


def hold_back_prompts(sinks: list[Sink], until: float) -> None:
    """Keep the coach among ``sinks`` from showing again the prompts before ``until``
    (see :class:`_PromptsHeldBack`)."""
    from .coach import CoachSink

    coach = next((s for s in sinks if isinstance(s, CoachSink)), None)
    if coach is None:
        return
    gate = _PromptsHeldBack(coach.notifier, coach.session, until)
    coach.notifier = gate
    sinks.insert(sinks.index(coach), _PromptClock(gate))


def refuse_future_start(db: Optional[str], start: Optional[str], span: tuple[float, float]) -> None:
    """Stop a replay into ``db`` from a ``--start`` still to come, before anything is written.

    The posture was logged on days that have not happened (a mistyped year: 2062 for
    2026), which `report` then refused as "after today: nothing is recorded yet" while the
    database held them. Without ``--db`` a start to come only sets the prompts' times.
    A start whose replay of the stream's ``span`` would run on past now is refused too: a
    recording of 2 h replayed from an hour ago logged its second hour as posture still to
    come (today's summary counted it; past midnight, on a day no report took). It is made
    once the span is known: replay made it before reading the input too, without the
    span, a test the later one (a stream's times are never negative) always repeated.
    """
    if not db or not start:
        return
    from .store import parse_start

    # compared as instants, as the log holds them: wall-clock times across a change of
    # the clocks are an hour off, and the two passes of the hour it goes back compare equal
    moment, now = parse_start(start), datetime.now()
    if moment.timestamp() > now.timestamp():
        raise UserError(
            f"--start {moment:%Y-%m-%d %H:%M} is in the future (it is {now:%Y-%m-%d %H:%M}): "
            "--db logs the replay as if it had happened then, and reports take no day "
            "after today; give a moment up to now"
        )
    if moment.timestamp() + span[1] > now.timestamp():
        end = datetime.fromtimestamp(moment.timestamp() + span[1])
        latest = datetime.fromtimestamp(now.timestamp() - span[1])
        latest = latest.replace(second=0, microsecond=0)
        raise UserError(
            f"--start {moment:%Y-%m-%d %H:%M}: the replay would log posture up to "
            f"{end:%Y-%m-%d %H:%M:%S}, after now ({now:%Y-%m-%d %H:%M:%S}), and reports "
            f"take no time still to come; give a --start up to {latest:%Y-%m-%d %H:%M}"
        )


def start_ending_now(span: tuple[float, float]) -> str:
    """The ``--start`` a replay into a database takes when none is given: the moment from
    which the stream ends now, as a recording just made does. (It was now, so the
    whole recording was logged as posture still to come.)"""
    # an instant back from now, not a wall-clock time: 30 min back from 03:10 on the day
    # the clocks go forward is 01:40, not 02:40, an hour that day has not (read as 03:40)
    moment = datetime.fromtimestamp(math.floor(time.time()) - math.ceil(span[1]))
    if moment.date() < EARLIEST_DAY:
        # it was refused as "--start 1998-05-26 is outside the dates posture_guard
        # accepts", a --start the user never gave
        raise UserError(
            f"the input's last frame is {span[1] / 86400 / 365.25:.1f} years after its "
            f"start (t = {span[1]:.0f} s): logged as ending now, it would begin on "
            f"{moment:%Y-%m-%d}, before {EARLIEST_DAY}, the first day posture_guard "
            "accepts; give --start, or check the recording's times"
        )
    return moment.astimezone().isoformat(timespec="seconds")


class SideViewWatch:
    """Watches a replay's decisions for a side view, which the decision cannot judge.

    Why: the decision measures the ear line's height above the shoulder line in shoulder
    widths, as a webcam facing the user sees it; in profile the shoulders overlap and the
    height grows to several widths, which it reads as good. A side-view photo replayed read
    100 % good without a word, while `calibrate` refuses such a view (at the same line,
    :data:`calibration.baseline.SIDE_VIEW_GAP`) and `assess` measures it.
    """

    def __init__(self) -> None:
        self.gaps: list[float] = []

    def on_decision(self, decision: Decision) -> None:
        gap = decision.metrics.get("ear_gap")
        if gap is not None:
            self.gaps.append(gap)

    def close(self, t_end: float) -> None:
        pass

    def note(self) -> Optional[str]:
        """One line when most measured frames were a side view; None otherwise."""
        words = side_view_words(float(np.median(self.gaps))) if self.gaps else None
        if words is None:
            return None
        return f"note: {words}: the totals below say nothing of its posture. {ASSESS_SIDE_VIEW}"


#: Where a side view can be measured (see :class:`SideViewWatch`).
ASSESS_SIDE_VIEW = "`posture-guard assess PHOTO` measures a side-view photo"


def side_view_words(median_gap: float) -> Optional[str]:
    """That the input is a side view the states cannot judge, given the median ear line
    height above the shoulders (in shoulder widths); None for a view facing the camera."""
    from calibration.baseline import SIDE_VIEW_GAP

    if median_gap <= SIDE_VIEW_GAP:
        return None
    return (
        f"this looks like a side view (the ears {median_gap:.1f} shoulder widths above "
        "the shoulders, which nearly overlap; facing the camera it is under 1), which the "
        "posture states, made for a webcam facing you, cannot judge"
    )


def quiet_hours_note(
    sinks: Iterable[Sink], span: tuple[float, float], start_given: bool, what: str = "replay"
) -> Optional[str]:
    """One line when the replay's time of day falls in the quiet hours in force, or None.

    Why: the coach holds its prompts in quiet hours, a replay's as a live run's, so
    `replay --notify` run without --start in them (its time is now) showed no prompt and
    said nothing about why. ``span``: the stream times monitored; ``what``: the command."""
    from .coach import CoachSink, in_quiet_hours

    coach = next((s for s in sinks if isinstance(s, CoachSink)), None)
    quiet = coach.coach.settings.quiet_hours if coach is not None else None
    if coach is None or quiet is None:
        return None
    first, last = span
    step = max(60.0, (last - first) / 10000)  # quiet hours are set to the minute
    times = [first + i * step for i in range(int((last - first) // step) + 1)] + [last]
    held = [t for t in times if in_quiet_hours(coach.session.wall(t).time(), quiet)]
    if not held:
        return None
    a, b = coach.session.wall(first), coach.session.wall(last)
    when = (
        f"{a:%H:%M} to {b:%H:%M}"
        if a.date() == b.date()
        else f"{a:%Y-%m-%d %H:%M} to {b:%Y-%m-%d %H:%M}"
    )
    how = "all" if len(held) == len(times) else "partly"
    why = "" if start_given else " (without --start)"
    return (
        f"note: the {what}'s time, {when}{why}, is {how} in the quiet hours in force "
        f"({quiet[0]:%H:%M}-{quiet[1]:%H:%M}; `posture-guard config` shows where they are "
        "set): the coach holds its prompts then, as `run` does; give --start at another "
        "time of day to see them"
    )


def replay_command(args: argparse.Namespace, make_sinks: SinkFactory) -> int:
    db = getattr(args, "db", None)
    with reader_may_leave(), own_lines_to_stderr(args.states_out), one_replay_at_a_time(db):
        return _replay_command(args, make_sinks)


def _replay_command(args: argparse.Namespace, make_sinks: SinkFactory) -> int:
    slouch = args.slouch_seconds or 0.0
    options = ReplayOptions(args.calibrate_seconds, args.profile, args.all_frames, slouch)
    if options.calibrate_seconds is not None and options.calibrate_seconds <= 0:
        raise UserError("--calibrate-seconds must be positive")
    if slouch and options.calibrate_seconds is None:
        raise UserError("--slouch-seconds needs --calibrate-seconds (the upright part first)")
    if options.calibrate_seconds is not None and options.profile is not None:
        # both say what to judge against; the stream's seconds won and the profile was
        # dropped without a word
        raise UserError(
            "--profile and --calibrate-seconds both give the baseline to judge against "
            "(a saved profile, or the input's first seconds): give one of them"
        )
    check_slouch_seconds(slouch)
    out = sys.stdout
    inputs = {"--landmarks": args.landmarks, "--video": args.video}
    db = getattr(args, "db", None)
    start_given = getattr(args, "start", None) is not None
    paths.refuse_same_file(db, "--db", inputs)
    # the input is opened first, a video too: one that cannot be read is told before the
    # profile note (it came after "note: no calibration profile", as if that were the fault)
    if args.landmarks:
        span = check_whole_stream(args.landmarks)
    else:
        span = video_span(args.video, bool(db), photo_seconds(options))
    completes: Optional[tuple[float, float]] = None  # the run cut short this one finishes
    if db:
        logs = monitored_span(span, options)
        label = source_label(args.landmarks or args.video)
        if getattr(args, "start", None) is None:
            args.start = start_of_run_cut_short(db, label, logs) or start_ending_now(span)
        refuse_future_start(db, args.start, span)
        refuse_logging_under_monitor(db, args.start, span)
        completes = refuse_logging_twice(db, args.start, logs, label)
    refuse_states_out(args.states_out, {**inputs, "--db": db}, getattr(args, "force", False))
    if completes is not None:
        print(completing_note(db, completes, args.start, start_given), file=out)
    side_view = SideViewWatch()
    source = args.landmarks or args.video
    baseline, profile = None, "replay"  # calibrated on the stream's first seconds
    if options.calibrate_seconds is None:
        # logged under the profile that judges it, population defaults included
        baseline, profile = resolve_baseline(options.profile, out)
    states_file: Optional[StatesFile] = None

    def open_sinks() -> list[Sink]:
        """The outputs, opened once the replay has its baseline: a calibration that failed
        (too short an input, a side view, nobody in view) made an empty --db database, as
        if something had been monitored, and emptied the --states-out file."""
        nonlocal states_file
        sinks: list[Sink] = [ConsolePrinter(out)] if not args.quiet else []
        if args.states_out:
            states_file = StatesFile(args.states_out)
            sinks.append(StatesWriter(states_file, every_sample=args.every_sample))
        sinks.append(side_view)
        sinks += make_sinks(_session(args, profile, live=False, source=source))
        if completes is not None:
            hold_back_prompts(sinks, completes[1])
        quiet = quiet_hours_note(sinks, monitored_span(span, options), start_given)
        if quiet:
            print(quiet, file=out)
        return sinks

    kept: Optional[ReplayKeptAside] = None
    try:
        with stop_on_signals() as stop:
            try:
                if args.landmarks:
                    header, samples = open_landmarks(args.landmarks)
                    totals = replay(header, samples, open_sinks, options, out, baseline, stop)
                else:
                    totals = replay_video(args.video, open_sinks, options, out, baseline, stop)
            except ReplayKeptAside as exc:
                kept, totals = exc, exc.totals
    finally:
        if states_file is not None:
            states_file.close()
    note = side_view.note()
    if note:
        print(note, file=out)
    print_totals(totals, out)
    if not stop.stopped:
        logged = monitored_span(replayed(span, totals), options)
        print_logged(db, getattr(args, "start", None), logged, out, completes)
    if states_file is not None:
        states_file.check(db)
    tell_kept_aside(kept, stop.stopped)
    return _interrupted(stop, totals, db, states_file)


def tell_kept_aside(kept: Optional[ReplayKeptAside], stopped: bool) -> None:
    """Where a replay's spans wait when another program held its database at the end
    (see :class:`ReplayKeptAside`), after its totals: its log is safe, and it exits as
    one whose log is in. Run again, a whole replay is refused as logged already, and
    given another --start, as that refusal says, its time was logged twice."""
    if kept is None:
        return
    then = ": the replay is logged then, and need not be run again"
    print(f"posture-guard: {kept}{then if kept.spans and not stopped else ''}", file=sys.stderr)


def demo_morning(now: datetime, span: tuple[float, float]) -> datetime:
    """When the demo plays without ``--start``: as a morning at the desk (09:00), whatever
    the time now, so the coach's time-of-day rules behave as on a working day; yesterday's
    while today's would still be going on at ``now`` (before about 09:07 `demo --db`
    logged posture still to come)."""
    morning = now.replace(hour=9, minute=0, second=0, microsecond=0)
    if morning + timedelta(seconds=span[1]) > now:
        morning -= timedelta(days=1)
    return morning


def demo_command(args: argparse.Namespace, make_sinks: SinkFactory) -> int:
    states_out, db = getattr(args, "states_out", None), getattr(args, "db", None)
    with reader_may_leave(), own_lines_to_stderr(states_out), one_replay_at_a_time(db):
        return _demo_command(args, make_sinks)


def _demo_command(args: argparse.Namespace, make_sinks: SinkFactory) -> int:
    from calibration.baseline import SLOUCH_SECONDS

    out = sys.stdout
    path = demo_stream_path()
    db = getattr(args, "db", None)
    states_out = getattr(args, "states_out", None)
    inputs = {"the demo stream": str(path), "--db": db}
    force = getattr(args, "force", False)
    refuse_states_out(states_out, inputs, force)  # in one line, before the demo's first
    print(
        f"posture-guard demo: replaying a bundled landmark stream ({path.name}, numbers "
        f"only, made by calibration/synth.py): calibration ({CALIBRATE_SECONDS:g} s "
        f"upright, then a {SLOUCH_SECONDS:g} s slouch), upright, a forward-head slump, "
        "looking down, a shrug, away from the desk, and back.",
        file=out,
    )
    given = getattr(args, "start", None)
    span = check_whole_stream(path)  # the bundled stream: read at once, refused never
    options = ReplayOptions(calibrate_seconds=CALIBRATE_SECONDS, slouch_seconds=SLOUCH_SECONDS)
    if given is None:
        # the morning a demo cut short played, which may have been yesterday's
        cut_short = start_of_run_cut_short(db, "demo", monitored_span(span, options))
        morning = demo_morning(datetime.now(), span).isoformat(timespec="minutes")
        args.start = cut_short or morning
    completes = None
    if db:
        refuse_future_start(db, args.start, span)
        refuse_logging_under_monitor(db, args.start, span)
        completes = refuse_logging_twice(db, args.start, monitored_span(span, options), "demo")
        if completes is not None:
            print(completing_note(db, completes, args.start, given is not None), file=out)
    header, samples = open_landmarks(path)
    states_file = open_states_out(states_out, inputs, force)
    try:
        sinks: list[Sink] = [ConsolePrinter(out)]
        if states_file is not None:
            sinks.append(StatesWriter(states_file))
        sinks.extend(make_sinks(_session(args, "demo", live=False, source="demo")))
        if completes is not None:
            hold_back_prompts(sinks, completes[1])
        quiet = quiet_hours_note(sinks, monitored_span(span, options), given is not None, "demo")
        if quiet:
            print(quiet, file=out)
        kept: Optional[ReplayKeptAside] = None
        with stop_on_signals() as stop:
            try:
                totals = replay(header, samples, sinks, options, out, stop=stop)
            except ReplayKeptAside as exc:
                kept, totals = exc, exc.totals
    finally:
        if states_file is not None:
            states_file.close()
    print_totals(totals, out)
    if not stop.stopped:
        logged = monitored_span(replayed(span, totals), options)
        print_logged(db, args.start, logged, out, completes)
    if states_file is not None:
        states_file.check(db)
    tell_kept_aside(kept, stop.stopped)
    return _interrupted(stop, totals, db, states_file)


#: The signals that end a run cleanly: SIGTERM (a session manager, systemd, `kill`),
#: Ctrl-C and, where the system has it, SIGHUP: the terminal the command runs in was
#: closed, or its user logged out. Left to Python's default, SIGHUP ended the process on
#: the spot, as a kill -9 does: the posture since the last commit unlogged, the status
#: file still saying the camera was in use, a button pressed meanwhile never read. A
#: command started with ``nohup`` (SIGHUP ignored) goes on ignoring it.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


class StopFlag:
    """Set by :data:`STOP_SIGNALS` so the live loop ends cleanly and sinks flush."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._terminal: tuple[int, ...] = ()

    def install(self) -> None:
        # which outputs are a terminal is asked now: a terminal that hung up answers no more
        self._terminal = tuple(fd for fd in (1, 2) if _isatty(fd))
        for sig in STOP_SIGNALS:
            if sig == getattr(signal, "SIGHUP", None) and signal.getsignal(sig) == signal.SIG_IGN:
                continue  # started with nohup: asked to outlive its terminal
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if signum == getattr(signal, "SIGHUP", None):
            self._leave_terminal()
        self.event.set()

    def _leave_terminal(self) -> None:
        """Send what would go to the terminal to the null device: after a hang-up each
        write to it fails (EIO), and the first one, say the closing totals, ended the
        clean stop half-way with a traceback. The log file keeps the record."""
        try:
            null = os.open(os.devnull, os.O_WRONLY)
        except OSError:
            return
        try:
            for fd in self._terminal:
                try:
                    os.dup2(null, fd)
                except OSError:
                    pass
        finally:
            os.close(null)

    @property
    def stopped(self) -> bool:
        return self.event.is_set()


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


@contextmanager
def stop_on_signals() -> Iterator[StopFlag]:
    """A StopFlag that :data:`STOP_SIGNALS` set while the block runs; the handlers in
    force before are put back after it.

    Why not let Ctrl-C raise KeyboardInterrupt in a replay: it left the spans of the last
    commit interval unlogged and the rest in the database, with no word on how far the
    replay got, and SIGTERM ended the process with nothing said at all.
    """
    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag  # only the main thread may set signal handlers
        return
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    flag.install()
    try:
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def monitored_span(span: tuple[float, float], options: ReplayOptions) -> tuple[float, float]:
    """The part of the input's ``span`` a replay logs: without the seconds it calibrates
    on (see :meth:`Pipeline.begin`)."""
    lead = (options.calibrate_seconds or 0.0) + options.slouch_seconds
    return (min(span[0] + lead, span[1]), span[1])


def replayed(span: tuple[float, float], totals: Totals) -> tuple[float, float]:
    """The part of the input's ``span`` a replay went through: to where it ended (see
    :attr:`Totals.end`). A video damaged half-way said "logged to F: 09:00:00 to 09:00:10",
    the end its file states, under "monitored 00:00:04" and 4 s of log."""
    end = span[1] if totals.end is None else totals.end
    return (span[0], max(span[0], end))


def print_logged(
    db: Optional[str],
    start: Optional[str],
    span: tuple[float, float],
    out: TextIO,
    completes: Optional[tuple[float, float]] = None,
) -> None:
    """Say which day and hours a replay or demo logged to ``db``, and the summary that
    shows them. Why: the demo plays as yesterday's morning until today's would be over,
    and a replay without --start ends now, so `demo --db F` then `summary --db F` said
    "nothing was monitored on this day" with no word of where the posture went.
    ``completes``: the time a run of it cut short logged (see
    :func:`refuse_logging_twice`), which this one did not log again: the hours named
    begin where it ends."""
    if not db or not start:
        return
    import shlex

    from .store import parse_start

    # from the instant of --start, as the log has it: a wall-clock sum across a change of
    # the clocks read an hour off (from 01:58 on the day Berlin's go forward, "to
    # 02:04:50", a time that day never had, for posture logged to 03:04:50)
    t0 = parse_start(start).timestamp()
    if completes is not None:
        span = (min(max(span[0], completes[1] - t0), span[1]), span[1])
        if logged_to(db, completes[0], t0 + span[1]) <= completes[1] + 1e-3:
            # a video damaged half-way ends its log there every time: the run before
            # had logged all of it that can be read
            hours = logged_hours(completes[0], round(completes[1]))
            print(
                f"nothing more logged to {db}: it held all this replay could log "
                f"({hours}; the input ends there, or its time is logged already)",
                file=out,
            )
            return
    begin = datetime.fromtimestamp(t0 + span[0])
    hours = logged_hours(t0 + span[0], t0 + round(span[1]))  # the end as the totals round it
    # the day of the last moment logged (a log that ends at midnight does not reach the
    # next day): a replay across midnight named only its first day, whose summary then
    # showed 2 of the 7 minutes the replay had just said it monitored. In instants, as
    # the log has them: a wall-clock sum named a next day the log never reached when the
    # clocks went back before midnight (Santiago's 2026-04-04 runs on to a second 23:59)
    exact_end = datetime.fromtimestamp(t0, timezone.utc) + timedelta(seconds=span[1])
    last_moment = (exact_end - timedelta(microseconds=1)).astimezone()
    last = last_moment.date() if span[1] > span[0] else begin.date()
    summary = f"`posture-guard summary --db {shlex.quote(db)} --date {begin:%Y-%m-%d}`"
    if last == begin.date():
        shows = f"{summary} shows that day"
    elif last - begin.date() == timedelta(days=1):
        shows = f"{summary} and `--date {last}` show those days"
    else:
        shows = f"{summary} shows the first day, `--date {last}` the last"
    print(f"logged to {db}: {hours} ({shows})", file=out)


def logged_to(db: str, start: float, end: float) -> float:
    """The latest moment (POSIX seconds) logged in ``db`` by spans within ``start`` to
    ``end``, or ``start`` when none is."""
    from .store import Store

    with Store.open(db, create=False, read_only=True) as store:
        spans = logged_spans(store, start, end + 1e-3)
    return max([start, *(s.end for s in spans)])


def logged_spans(store: Store, start: float, end: float) -> list[Span]:
    """The spans overlapping [start, end) that ``store`` holds or that wait in its side
    file, in time order, each once.

    Why: the side file holds the spans of a replay (or monitor) that ended while
    another program held the database; the open takes them in, but not while that
    program still holds it. A replay cut short so, run again meanwhile without --start,
    was not found cut short and was logged at a new time ending now, its first part a
    second time; with its --start, its note and the hours it named left out that run."""
    held = store.spans(start, end)
    waiting = [s for s in store.waiting_spans() if s.start < end and s.end > start]
    seen = {(s.start, s.end, s.source) for s in held}
    held += [s for s in waiting if (s.start, s.end, s.source) not in seen]
    return sorted(held, key=lambda s: (s.start, s.end))


def logged_hours(start: float, end: float) -> str:
    """The instants ``start`` to ``end`` (epoch seconds) as a replay names the hours it
    logged: "2026-03-04 09:00:00 to 09:06:50", the end's date too when it falls on another
    day, and both UTC offsets when the clocks changed between them. Why the offsets: on
    the day the clocks go back a log from 02:58:35 read "to 02:04:50", as if it ended
    before it began (the second 02:00-03:00 of that night). One function, so that the
    refusal to log a time twice names it as the replay that logged it did."""
    a = datetime.fromtimestamp(start, timezone.utc).astimezone()
    b = datetime.fromtimestamp(end, timezone.utc).astimezone()
    since = f"{a:%Y-%m-%d %H:%M:%S}"
    until = f"{b:%H:%M:%S}" if a.date() == b.date() else f"{b:%Y-%m-%d %H:%M:%S}"
    if a.utcoffset() != b.utcoffset() or _repeated(a) or _repeated(b):
        since, until = since + _utc_offset(a), until + _utc_offset(b)
    return f"{since} to {until}"


def _repeated(moment: datetime) -> bool:
    """Whether the local wall time of ``moment`` comes twice (the hour the clocks go
    back): without its offset it names neither pass ("02:30:35 to 02:36:50" in Berlin on
    2026-10-25 said nothing of which 02:30 was logged). A naive local time's
    ``timestamp()`` follows ``fold`` only where the time is repeated."""
    wall = moment.replace(tzinfo=None)
    return wall.replace(fold=0).timestamp() != wall.replace(fold=1).timestamp()


def _utc_offset(moment: datetime) -> str:
    """ "+02:00" (strftime's %z gives "+0200"; "%:z" is Python 3.12's)."""
    z = moment.strftime("%z")
    return f"{z[:3]}:{z[3:5]}"


def _interrupted(
    stop: StopFlag, totals: Totals, db: Optional[str], states: Optional[StatesFile] = None
) -> int:
    """0, or for a replay stopped by a signal, 130 (as Ctrl-C anywhere) and a line on how
    far it got: the totals printed, and the log, end there. A states file written to a
    file asks the same command for --force, which it refuses to write over otherwise."""
    if not stop.stopped:
        return 0
    again = "the same command again"
    if states is not None and not is_standard_output(states.path, "--states-out"):
        again = f"the same command again, with --force for --states-out {states.path},"
    logged = f"; the posture up to there was logged to {db} ({again} logs the rest)" if db else ""
    print(
        f"posture-guard: interrupted after {fmt_clock(totals.monitored)} of monitored time{logged}",
        file=sys.stderr,
    )
    return 130


def no_camera_message(index: int, command: str = "run") -> str:
    """What to do without a camera, for the command that wanted one. Why per command:
    `record` and `calibrate` were pointed to `demo` and `replay`, which neither record
    nor calibrate, while each takes a video file itself."""
    if command == "record":
        instead = (
            "`posture-guard record --video FILE --landmarks-out F` records the landmarks "
            "of a video file instead"
        )
    elif command == "calibrate":
        instead = (
            "`posture-guard calibrate --video FILE` (or `--landmarks FILE`) calibrates on a "
            "recording of you sitting upright; `posture-guard demo` shows the whole "
            "pipeline on a bundled one"
        )
    else:
        instead = (
            "try `posture-guard demo` (the whole pipeline on a bundled recording) or "
            "`posture-guard replay --video FILE --calibrate-seconds 20`"
        )
    return f"no camera could be opened at index {index}. On a machine without a camera, {instead}."


def held_camera_message(index: int, command: str) -> Optional[str]:
    """Why the camera did not open when the monitor running now has one in use, or None.

    A monitor started at login holds the webcam all day; `calibrate` and `record` then
    found no camera and were told what to do "on a machine without a camera". A pause
    makes the monitor let go of it (see the README on when the camera is closed)."""
    from . import service

    pid = service.running_pid()
    if pid is None:
        return None
    status = service.read_service_status()
    if status is None or status.pid != pid or status.camera not in ("in use", "starting"):
        return None
    return (
        f"camera {index} could not be opened, and the monitor running now (pid {pid}) has "
        f"a camera in use: `posture-guard pause` makes it let go of it; {command} then, and "
        "`posture-guard resume` after"
    )


def run_command(
    args: argparse.Namespace,
    make_sinks: LiveSinkFactory,
    older_entry: Optional[Callable[[], Optional[str]]] = None,
    start_again: Optional[Callable[[], str]] = None,
) -> int:
    """Monitor from the webcam until SIGTERM / Ctrl-C / SIGHUP (the loop lives in service.py;
    ``older_entry``, ``start_again``: see there)."""
    from . import service

    return service.run(args, make_sinks, older_entry=older_entry, start_again=start_again)


def min_slouch_seconds() -> float:
    """The shortest slouch step taken: its first SLOUCH_SETTLE s are the move into the
    slouch, and 5 s more are the slouch held."""
    from calibration.baseline import SLOUCH_SETTLE

    return SLOUCH_SETTLE + 5


def check_slouch_seconds(seconds: float) -> None:
    from calibration.baseline import SLOUCH_SETTLE

    if seconds and not seconds >= min_slouch_seconds():
        raise UserError(
            f"--slouch-seconds must be 0 (no slouch step) or at least {min_slouch_seconds():g}: "
            f"the first {SLOUCH_SETTLE:g} s are the move into the slouch"
        )


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Capture an upright baseline, then (by default with a camera) the slouch step, from a
    camera, a video or a landmark stream."""
    from calibration.baseline import (
        SLOUCH_SECONDS,
        check_profile_name,
        save_profile,
        saved_profile_text,
    )

    out = sys.stdout
    if args.seconds <= 0:
        raise UserError("--seconds must be positive")
    check_profile_name(args.profile)  # before the user sits through the capture
    target = profile_file(args.profile)
    live = not (args.landmarks or args.video)
    slouch = args.slouch_seconds
    if slouch is None:
        slouch = SLOUCH_SECONDS if live else 0.0  # a recording may hold no slouch
    check_slouch_seconds(slouch)
    if args.landmarks:
        header, samples = open_landmarks(args.landmarks)
        samples = first_frame_or_refuse(args.landmarks, samples, "nothing to calibrate on")
        baseline, _ = calibrate_samples(header, samples, args.seconds, slouch, out)
        origin = args.landmarks
    else:
        from .pose import MediaPipePose

        # A photo is held still for as long as the steps ask (and a frame more): held
        # for 10 s, as a replay holds it, it never lasted the 20 s of the default.
        source = open_source(args.video, args.camera, args.seconds + slouch + 1.0, "calibrate")
        if live:
            print(
                f"Sit upright as you mean to sit, look at your screen, and hold still "
                f"for {args.seconds:g} s.",
                file=out,
            )
        stated = getattr(source, "duration", None) if args.video else None
        if stated is not None:
            # a video that states its length is refused at once when it is too short (the
            # whole clip was decoded, the pose model run on each frame, before saying so);
            # one that states none is refused after reading, by calibrate_samples
            try:
                refuse_too_short(stated, args.seconds, slouch)
            except UserError:
                source.close()
                raise
        header = header_of(source)
        preview = _open_preview(args.no_preview, out)
        seconds = args.seconds
        prompted = [False]
        # Steps are timed from the first frame, as calibrate_samples times them; the camera's
        # clock starts earlier (the model loads, the display is tried meanwhile).
        first: list[float] = []

        def show(frame: Frame, landmarks: Optional[np.ndarray]) -> None:
            if not first:
                first.append(frame.t)
            t = frame.t - first[0]
            in_slouch = slouch > 0 and t >= seconds
            if in_slouch and live and not prompted[0]:
                prompted[0] = True
                print(
                    f"Now let your head drift forward the way it does when you are absorbed "
                    f"in work, and stay like that for {slouch:g} s.",
                    file=out,
                    flush=True,
                )
            if preview is not None:
                if in_slouch:
                    left = max(0.0, seconds + slouch - t)
                    preview.show(frame.image, landmarks, f"slouch - {left:4.1f} s")
                else:
                    left = max(0.0, seconds - t)
                    preview.show(frame.image, landmarks, f"sit upright - {left:4.1f} s")

        refused = False  # for damage: the error says it, not a note too
        try:
            with MediaPipePose() as detector:
                baseline, _ = calibrate_samples(
                    header, frame_samples(source, detector, on_frame=show), seconds, slouch, out
                )
            refused = damage_of(source) is not None
            refuse_calibrating_on_damage(
                source,
                "calibrate",
                f"profile {args.profile!r} was not changed; calibrate live "
                "(`posture-guard calibrate`) or from a recording that is not damaged",
            )
        except CameraError as exc:
            raise UserError(f"{exc}; profile {args.profile!r} was not changed") from None
        finally:
            # FFmpeg's lines on a damaged video are held (capture._DecoderLog): its one
            # line on the damage, which may be why too few frames showed a person
            if not refused:
                tell_damage(source, out)
            source.close()
            if preview is not None:
                preview.close()
        origin = source.name
        if live and this_computer():
            # the camera is this computer's: a profile copied to another one is told apart
            origin = f"{origin} on {this_computer()}"
        if live and slouch:
            print("Thank you: sit up again.", file=out)
    replaced = saved_profile_text(args.profile)
    try:
        path = save_profile(args.profile, baseline, note=f"calibrated from {origin}")
    except OSError as exc:
        # the OS names the temporary file beside the profile, or no file at all (a full
        # disk: "File too large"), and the user who sat through the steps must know that
        # nothing was saved and the profile before it holds
        raise paths.write_refusal(
            f"calibration not saved (profile {args.profile!r} unchanged): cannot write",
            target,
            exc,
        ) from None
    m = baseline.median
    print(f"saved profile {args.profile!r} ({baseline.samples} frames) to {path}", file=out)
    if replaced:
        print(f"  in place of {replaced}", file=out)
    print(
        f"  ear-shoulder height {m['ear_gap']:.3f} shoulder widths, face width "
        f"{m['face_width']:.3f}, head roll {m['roll']:+.1f} deg",
        file=out,
    )
    if baseline.slouch:
        s = baseline.slouch
        print(
            f"  your slouch: ear-shoulder height {s['d_gap']:+.0%}, face size "
            f"{s['d_face']:+.0%} (judged with the model that knows your slouch)",
            file=out,
        )
    elif slouch == 0 and live:
        print(
            "  no slouch step: judged with the upright-only model (add the step with "
            "--slouch-seconds 15 for fewer false alarms)",
            file=out,
        )
    elif slouch == 0:
        # From a recording, "add the step with --slouch-seconds 15" sent the user back to
        # the same recording: refused when it holds no 15 s more, else its next seconds
        # (still upright, or a photo held still) taken for a slouch and not used. The step
        # needs a slouch in the input, which only the live calibration asks the user for.
        print(
            "  no slouch step: judged with the upright-only model; for fewer false alarms, "
            "calibrate live (`posture-guard calibrate` asks for your slouch too), or from a "
            f"recording that holds {SLOUCH_SECONDS:g} s of your slouch right after the "
            f"upright part, with --slouch-seconds {SLOUCH_SECONDS:g}",
            file=out,
        )
    note = running_monitor_note(args.profile)
    if note:
        print(note, file=out)
    return 0


def profile_file(name: str) -> Path:
    """Where calibrating profile ``name`` (a name already checked) saves it, refused
    before the capture when a folder stands there: the user sat through the steps, and
    the save then failed naming a temporary file ("Is a directory")."""
    path = paths.profiles_dir() / f"{name}.json"
    if path.is_dir():
        raise paths.folder_in_place(
            "calibration profile", path, f"profile {name!r} was not calibrated"
        )
    return path


def this_computer() -> str:
    """This computer's name on the network, which a calibration from its camera keeps
    ("calibrated from webcam:0 on NAME"); "" where the system gives none."""
    import platform

    return platform.node()


def other_computer_note(profile: str) -> Optional[str]:
    """The note for ``profile`` (a name already checked) calibrated from another
    computer's camera, or None (calibrated here, from a recording, by a version that kept
    no computer's name, or no such profile).

    Why: a user moving to a new laptop copies the config folder, profiles and all, and
    the monitor judged by the old camera's baseline without a word: a camera placed
    higher, lower or nearer, or with a wider lens, moves every measure of an upright
    posture, so the new desk's posture was misread. The profile is used as before; the
    monitor and `autostart` say so, with the command that calibrates at this desk."""
    try:
        data = json.loads((paths.profiles_dir() / f"{profile}.json").read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None  # none, or damaged: read_profile names that
    note = data.get("note") if isinstance(data, dict) else None
    there = _CALIBRATED_ON.fullmatch(note) if isinstance(note, str) else None
    here = this_computer()
    if there is None or not here or there.group(1) == here:
        return None
    named = "" if profile == "default" else f" --profile {profile}"
    return (
        f"note: calibration profile {profile!r} was calibrated from the camera of another "
        f"computer ({there.group(1)}; this one is {here}); another camera, placed otherwise, "
        "sees your upright posture otherwise, so posture may be misjudged here: calibrate "
        f"at this desk, `posture-guard calibrate{named}`"
    )


#: What `calibrate` from a camera keeps in the profile's note: the camera and the computer.
_CALIBRATED_ON = re.compile(r"calibrated from webcam:\d+ on (.+)")


def running_monitor_note(profile: str) -> Optional[str]:
    """What a calibration of ``profile`` means to the monitor running now, if one does.

    The monitor reads its profile once, at its start (README: the profile takes a
    restart), so it goes on judging by the old calibration, or by population defaults
    when it started before ``profile`` had one; without a word here the user takes the new
    calibration to be in force. None when no monitor runs or it runs with another profile.
    """
    from . import control, service

    pid = service.running_pid()
    if pid is None:
        return None
    try:
        beat = control.read_heartbeat()
    except UserError:
        beat = None  # a damaged heartbeat: which profile it uses is unknown
    used = beat.profile if beat is not None and beat.pid == pid else ""
    if used == POPULATION_PROFILE and profile == "default":
        judged = "by population defaults (it started before this profile existed)"
    elif used == profile:
        judged = f"by profile {profile!r} as it was calibrated when it started"
    elif used:
        return None  # it judges by another profile, which this calibration did not touch
    else:
        judged = "by the profile it started with, whichever that is"
    running = f"the monitor running now (pid {pid})" if pid > 0 else "the running monitor"
    return (
        f"note: {running} goes on judging {judged}: it reads its profile when it starts; "
        "stop it and start it again to be judged by this calibration"
    )


def open_source(
    video: Optional[str], camera: Optional[int], still_seconds: float = 10.0, command: str = "run"
) -> FrameSource:
    """The video file when one is given (a photo held for ``still_seconds``), else the
    webcam (index 0 by default); without one, what ``command`` can take instead."""
    if video:
        return open_file(video, still_seconds)
    index = camera or 0
    try:
        return CameraSource(index)
    except CameraError:
        held = held_camera_message(index, command)
        raise UserError(held or no_camera_message(index, command)) from None


def _open_preview(disabled: bool, out: TextIO):
    """The preview window, unless ``--no-preview`` or there is no display (said once)."""
    from .preview import Preview, display_available

    if disabled:
        return None
    if not display_available():
        print("no usable display: calibrating without a preview window", file=out)
        return None
    return Preview()


def cmd_record(args: argparse.Namespace) -> int:
    """Record a landmark stream (numbers only) from a camera or a video file."""
    from .pose import MediaPipePose

    # a stream written to standard output (/dev/stdout, or the file it is redirected to)
    # has our lines on standard error: they went into the stream ("recorded 26 samples
    # to /dev/stdout" as its last line, or, redirected to a file, over its header), and a
    # file the shell had just made for it was refused as existing
    to_stdout = is_standard_output(args.landmarks_out, "--landmarks-out")
    # "-" is standard output, as for `replay --states-out` (a file named "-" was written)
    dash = args.landmarks_out == STANDARD_OUTPUT
    shown = "standard output" if dash else args.landmarks_out
    out = sys.stderr if to_stdout else sys.stdout
    # never the user's database, active plan or config file, even with --force (the
    # whole posture log and diary were written over)
    own = paths.own_files()
    if not dash:
        inputs = {"--video": args.video, **own}
        paths.refuse_same_file(args.landmarks_out, "--landmarks-out", inputs)
    elif (where := stdout_goes_to(own)) is not None:
        raise UserError(
            f"--landmarks-out - is standard output, which goes to {where}: the landmark "
            "stream would be written into it; send standard output elsewhere"
        )
    if to_stdout and streams.looks_like_stream("/dev/stdout"):
        # `>> rec.jsonl`: a second header and its samples appended to a recording, which
        # then did not replay (as `replay --states-out -` refuses a recording there)
        raise UserError(
            f"--landmarks-out {args.landmarks_out} is standard output, which goes to a "
            "landmark recording already: the new one would be appended to it, and neither "
            "would replay; send standard output to a new file"
        )
    if Path(args.landmarks_out).is_file() and not args.force and not to_stdout:
        # a recording may be hours at the desk that cannot be taken again
        raise UserError(f"{args.landmarks_out} already exists; choose another name or add --force")
    # a photo is held still for as long as --seconds asks (and a frame more), as
    # calibrate holds it: held for replay's 10 s, `--seconds 30` recorded 10 s of it
    still = 10.0 if args.seconds is None else args.seconds + 1.0
    source = open_source(args.video, args.camera, still, "record")
    header = header_of(source)
    stop = StopFlag()
    stop.install()
    n = 0
    try:
        # A .gz name is written compressed: the readers take .gz files for gzip, so plain
        # text under that name could not be replayed or calibrated on.
        if to_stdout and Path(args.landmarks_out).suffix != ".gz":
            # written where standard output is, not opened again: that would empty a
            # file it appends to (`>>`), and write over what was written there before
            handle = open(os.dup(1), "w", encoding="utf-8")
        else:
            opener = gzip.open if Path(args.landmarks_out).suffix == ".gz" else open
            paths.create_private(args.landmarks_out)  # gzip.open and open would make it 0644
            handle = opener(args.landmarks_out, "wt", encoding="utf-8")
    except OSError as exc:
        source.close()
        raise UserError(f"cannot write {shown}: {exc.strerror}") from None
    with handle, MediaPipePose() as detector:
        try:
            writer = streams.StreamWriter(handle, header)
            # --seconds counts from the first frame: a camera's clock starts when it opens,
            # and the model may take seconds to load after that
            first: Optional[float] = None
            for sample in frame_samples(source, detector):
                first = sample.t if first is None else first
                if args.seconds is not None and sample.t - first > args.seconds:
                    break
                writer.write(sample)
                n += 1
                if stop.stopped:
                    break
            tell_damage(source, out)
        except CameraError as exc:
            # every sample is flushed as it is written: say that the recording survives
            raise UserError(f"{exc}; {_kept(n, f'in {shown}')}") from None
        except OSError as exc:
            if isinstance(exc, BrokenPipeError) and to_stdout:
                # the reader of the stream went away (`record --landmarks-out - | head`):
                # it has what it wanted, as for the command's own lines (cli._handle);
                # it exited 2, "Broken pipe; the 1 sample recorded before it is kept there"
                raise
            # a full disk: it said only "posture-guard: No space left on device", and left
            # a last line cut half-way, for which a replay refused the whole recording
            _close_cut_off(handle, "/dev/stdout" if dash else args.landmarks_out)
            raise UserError(
                f"cannot write {shown}: {exc.strerror or exc}; {_kept(n, 'there')}"
            ) from None
        finally:
            source.close()
    samples = "1 sample" if n == 1 else f"{n} samples"  # a one-frame clip said "1 samples"
    print(f"recorded {samples} to {shown} (landmarks only, no images)", file=out)
    return 0


def _kept(n: int, where: str) -> str:
    """What a recording stopped by a fault keeps: "the 1 sample ... is kept there" (a
    camera lost at once said "the 0 samples recorded before it are kept")."""
    if n == 0:
        return "no sample was recorded before it"
    if n == 1:
        return f"the 1 sample recorded before it is kept {where}"
    return f"the {n} samples recorded before it are kept {where}"


def _close_cut_off(handle: TextIO, path: str) -> None:
    """Close a recording whose write failed, and take off the part of a line it wrote.

    Each sample is flushed whole, so what ends the file after its last newline is the
    sample being written when the disk filled. A ``.gz`` recording is left as it is: its
    reader names it cut off and gives the command that keeps its lines."""
    try:
        handle.close()  # its flush fails again, on the rest of the failed line
    except OSError:
        pass
    if Path(path).suffix == ".gz" or not Path(path).is_file():
        return
    try:
        with open(path, "r+b") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - 65536))
            tail = fh.read()
            if tail and not tail.endswith(b"\n"):
                fh.truncate(size - len(tail) + tail.rfind(b"\n") + 1)
    except OSError:
        pass  # the line stays cut off; the replay names it
