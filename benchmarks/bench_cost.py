"""What posture_guard costs to run all day (issue #3, the cost half): prints the figures.

Why: a posture coach runs beside real work for eight hours a day, so it has to stay out of
the way: under 1 % of one core (36 CPU-seconds per monitored hour), under 300 MB resident,
and everything around the pose model (metrics, decision, sampling schedule, logging) may
add at most 10 % to the model's own cost per analysed frame. This command measures each of
those on this machine and prints PASS/FAIL per target. Figures, not assertions: machines
differ, so nothing here is a timed unit test.

    python -m benchmarks.bench_cost            # about two minutes on 2 cores
    python -m benchmarks.bench_cost --quick    # a smoke run of a few seconds

How each figure is taken:

1. Per analysed frame: ``time.process_time`` (CPU of this process, all its threads) around
   ``MediaPipePose.detect`` alone ("bare") and around detect + ``Pipeline.feed`` ("whole":
   metrics, decision, sampling schedule and the StoreSink writing a real SQLite file), on
   the same real frames, decoded into memory before timing and brought to the size
   ``CameraSource`` asks a webcam for (640x480: scaled, the excess cut off): decode is
   excluded from both sides and reported on its own. The passes of the two sides are
   interleaved so drift in the machine's speed hits both alike.
2. Per monitored hour: synthetic 10 fps landmark streams with real timestamps of a steady
   and a restless sitter (calibration/synth.py) are offered sample by sample to a
   ``Pipeline`` under the default ``SamplingPolicy``, exactly as the live loop does. CPU
   per hour = analysed frames per hour x mean whole-pipeline CPU per frame (part 1) + CPU
   of the whole offer loop over the hour (the decision work of skipped and analysed
   samples; the analysed ones are thereby counted twice, which makes it an upper bound by
   well under a CPU-second). A webcam's frame must also be decoded or converted: no
   camera exists here, so a second column adds, per analysed frame, the decode of that
   frame as MJPEG (the compressed format UVC webcams offer at this size; raw YUYV, the
   other, only needs a colour conversion, also timed and far cheaper) as its stand-in.
   The camera driver's own work in the kernel is in neither. A third stream is an empty
   desk (lunch, a meeting): its analysed frames are timed on frames with nobody in view,
   where MediaPipe's person detector finds nothing and the pose model does not run.
3. Memory: a child process (``--rss-probe``) runs the whole pipeline on frames decoded one
   at a time, as ``run`` does, and reports VmRSS from /proc/self/status after a warm-up and
   after N frames, and its peak from ``resource.getrusage`` (ru_maxrss).
4. Start-up: wall time from spawning ``python -m posture_guard.cli replay --video CLIP``
   (population baseline, no calibration) to the first state line it prints, i.e. process
   start, imports, loading MediaPipe, the first frame's decode, detection and decision.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Optional, TextIO

import numpy as np

from calibration import synth
from calibration.baseline import SLOUCH_SECONDS
from posture_guard.capture import CAMERA_HEIGHT, CAMERA_WIDTH
from posture_guard.classify import POPULATION_BASELINE, Baseline, Decider, Reading
from posture_guard.errors import UserError
from posture_guard.features import compute_metrics
from posture_guard.landmarks import Sample, StreamHeader
from posture_guard.monitor import CALIBRATE_SECONDS, Pipeline
from posture_guard.sampling import SamplerState, SamplingPolicy, next_interval
from posture_guard.sinks import SessionInfo, Sink
from posture_guard.states import Decision, PostureState

TARGET_OVERHEAD_PCT = 10.0  # whole pipeline over bare inference, per analysed frame
TARGET_CPU_S_PER_HOUR = 36.0  # 1 % of one core
TARGET_RSS_MB = 300.0

REPO = Path(__file__).resolve().parents[1]
SHARED_MEDIA = REPO.parent / "shared" / "media"
VIDEO_NAME = "frontal_upright_woman_mediapipe_samples.mp4"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
STILL_FPS = 10.0  # stream rate given to a repeated still image
MJPEG_QUALITY = 90  # webcams send high-quality MJPEG; a higher quality decodes slower
MIN_SLOPE_FRAMES = 200  # below this a VmRSS slope is one page step, not a trend
WARMUP_FRAMES = 10  # graph start-up and the first full detection stay out of the figures
SESSION_START = datetime(2026, 1, 5, 9, 0)  # stream time 0 of the benchmark's sessions
STATE_LINE = re.compile(r"^\[\d{2}:\d{2}:\d{2}\] [a-z_]+")


@dataclass(frozen=True)
class Config:
    """How much to measure: the full run for figures, ``QUICK`` for a smoke test."""

    frames: Optional[int]  # frames of the clip per pass (None: all)
    passes: int  # passes over the clip per side (bare / whole)
    stream_seconds: float  # length of each synthetic sitter stream
    rss_frames: int  # frames the memory probe runs after its warm-up
    startup_runs: int  # start-up measurements (the median is reported)
    seed: int = 1


FULL = Config(frames=None, passes=3, stream_seconds=3600.0, rss_frames=2400, startup_runs=3)
QUICK = Config(frames=12, passes=1, stream_seconds=300.0, rss_frames=20, startup_runs=1)


# --------------------------------------------------------------------------- statistics
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q % of values at or below."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Stat:
    """Median, 90th percentile and mean of a set of durations, in milliseconds."""

    median_ms: float
    p90_ms: float
    mean_ms: float
    n: int


def summarize(seconds: Sequence[float]) -> Stat:
    """Durations in seconds -> a :class:`Stat` in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    return Stat(statistics.median(ms), percentile(ms, 90), statistics.fmean(ms), len(ms))


def verdict(value: float, target: float) -> str:
    """PASS when the measured cost is at or under its target (all targets are ceilings)."""
    return "PASS" if value <= target else "FAIL"


def core_pct(cpu_s_per_hour: float) -> float:
    """CPU-seconds per hour as a percentage of one core."""
    return 100.0 * cpu_s_per_hour / 3600.0


# --------------------------------------------------------------------------- frames
@dataclass
class Clip:
    """Real frames held in memory at the camera's size, with the CPU it took to decode
    each one from the file (what ``replay --video`` pays) and to get it from a webcam."""

    frames: list[np.ndarray]
    fps: float
    path: Path
    description: str
    decode_s: list[float]  # decoding a frame of the file
    mjpeg_s: list[float] = field(default_factory=list)  # a camera frame sent as MJPEG
    yuyv_s: list[float] = field(default_factory=list)  # a camera frame sent as raw YUYV

    @property
    def header(self) -> StreamHeader:
        h, w = self.frames[0].shape[:2]
        return StreamHeader(w, h, self.fps, self.path.name)


def find_media() -> Path:
    """The shared real clip, or matplotlib's bundled portrait when ../shared is absent."""
    video = SHARED_MEDIA / VIDEO_NAME
    if video.is_file():
        return video
    from matplotlib import cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def as_camera_frame(
    image: np.ndarray, width: int = CAMERA_WIDTH, height: int = CAMERA_HEIGHT
) -> np.ndarray:
    """The picture as a webcam asked for ``width`` x ``height`` gives it: scaled to cover
    the frame, then the excess cut off, the sides of a wider picture (evenly) and the
    bottom of a taller one (a portrait keeps its head). Never stretched."""
    import cv2

    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    shrink = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    scaled = cv2.resize(image, size, interpolation=shrink)
    left = (size[0] - width) // 2
    return np.ascontiguousarray(scaled[:height, left : left + width])


def time_camera_formats(frames: Sequence[np.ndarray]) -> tuple[list[float], list[float]]:
    """CPU to get each frame from a webcam's two usual formats: decoding it from MJPEG
    (encoded here in memory first, untimed) and converting it from raw YUYV 4:2:2."""
    import cv2

    clock = time.process_time
    mjpeg: list[float] = []
    yuyv: list[float] = []
    for image in frames:
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, MJPEG_QUALITY])
        if not ok:
            raise UserError("OpenCV cannot encode a frame as JPEG")
        packed = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_YUYV)
        c0 = clock()
        cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
        c1 = clock()
        cv2.cvtColor(packed, cv2.COLOR_YUV2BGR_YUYV)
        c2 = clock()
        mjpeg.append(c1 - c0)
        yuyv.append(c2 - c1)
    return mjpeg, yuyv


def load_clip(path: Path, limit: Optional[int] = None, still_repeat: int = 60) -> Clip:
    """The frames of ``path`` (a video, or a still repeated) at the camera's size, with
    the CPU of each decode from the file and from a webcam's formats."""
    file_clip = _decode_file(path, limit, still_repeat)
    distinct = {id(f): as_camera_frame(f) for f in file_clip.frames}
    frames = [distinct[id(f)] for f in file_clip.frames]
    mjpeg, yuyv = time_camera_formats(frames)
    h, w = file_clip.frames[0].shape[:2]
    what = f"{file_clip.description}, as a {CAMERA_WIDTH}x{CAMERA_HEIGHT} camera gives it"
    if (w, h) == (CAMERA_WIDTH, CAMERA_HEIGHT):
        what = file_clip.description
    return replace(file_clip, frames=frames, description=what, mjpeg_s=mjpeg, yuyv_s=yuyv)


def _decode_file(path: Path, limit: Optional[int], still_repeat: int) -> Clip:
    """Decode the frames of ``path`` as they are, timing each decode."""
    import cv2

    clock = time.process_time
    if path.suffix.lower() in IMAGE_SUFFIXES:
        decode: list[float] = []
        image = None
        for _ in range(5):
            c0 = clock()
            image = cv2.imread(str(path))
            decode.append(clock() - c0)
        if image is None:
            raise UserError(f"{path}: cannot read the image")
        n = limit or still_repeat
        h, w = image.shape[:2]
        what = (
            f"{path.name} {w}x{h}, matplotlib's sample photo repeated {n} times "
            f"(FALLBACK: {SHARED_MEDIA} is absent)"
        )
        return Clip([image] * n, STILL_FPS, path, what, decode)
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise UserError(f"{path}: OpenCV cannot read this video")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    fps = fps if 0 < fps < 1000 else 25.0
    frames: list[np.ndarray] = []
    decode = []
    try:
        while limit is None or len(frames) < limit:
            c0 = clock()
            ok, image = cap.read()
            spent = clock() - c0
            if not ok or image is None:
                break
            frames.append(image)
            decode.append(spent)
    finally:
        cap.release()
    if not frames:
        raise UserError(f"{path}: the video has no readable frames")
    h, w = frames[0].shape[:2]
    what = f"{path.name} {w}x{h} @ {fps:g} fps, {len(frames)} frames (real video)"
    return Clip(frames, fps, path, what, decode)


def store_sinks(db: Path, source: str) -> list[Sink]:
    """The sinks ``replay --db DB`` attaches, built by the CLI so the benchmark follows it.

    That is the StoreSink logging spans to a real SQLite file, which every live run has.
    The coach's notifications are not attached: they would pop up on the desktop.
    """
    from posture_guard import cli

    args = cli.build_parser().parse_args(["replay", "--landmarks", source, "--db", str(db)])
    session = SessionInfo(start=SESSION_START, profile="bench", live=False, source=source)
    return cli.session_sinks(args, session)


def fit_or_population(header: StreamHeader, samples: Sequence[Sample]) -> tuple[Baseline, str]:
    """A baseline fitted on ``samples``, or the population defaults when that is impossible."""
    from calibration.baseline import fit_baseline

    try:
        return fit_baseline([compute_metrics(s, header) for s in samples]), "calibrated"
    except UserError:
        return POPULATION_BASELINE, "population defaults"


def calibrate_like_a_user(scene: synth.Scene) -> Baseline:
    """The profile a camera calibration gives this person at this desk: the CLI's default
    upright time, then the slouch step (a session of its own before monitoring, as in real
    use)."""
    from posture_guard.monitor import calibrate_samples

    upright = replace(scene, segments=[synth.Segment(synth.UPRIGHT, CALIBRATE_SECONDS)])
    session = synth.with_slouch(upright, CALIBRATE_SECONDS, SLOUCH_SECONDS)
    header, labelled = synth.render(session)
    samples = synth.to_samples(labelled)
    try:
        baseline, _ = calibrate_samples(
            header, samples, CALIBRATE_SECONDS, SLOUCH_SECONDS, io.StringIO()
        )
    except UserError:
        return POPULATION_BASELINE
    return baseline


# --------------------------------------------------------------------------- 1. per frame
@dataclass(frozen=True)
class FrameCost:
    """CPU per analysed frame: bare inference, whole pipeline, and its non-model part."""

    bare: Stat  # MediaPipePose.detect
    whole: Stat  # detect + Pipeline.feed
    feed: Stat  # Pipeline.feed alone, timed inside the whole-pipeline side
    decode: Stat  # getting one frame from a webcam as MJPEG (in neither of the above)
    yuyv: Stat  # ... or as raw YUYV (the cheaper format)
    file_decode: Stat  # decoding one frame of the clip file (what replay pays)
    baseline: str

    @property
    def whole_vs_bare_pct(self) -> float:
        """The definition: whole-pipeline CPU over bare-inference CPU per frame (means)."""
        return 100.0 * (self.whole.mean_ms - self.bare.mean_ms) / self.bare.mean_ms

    @property
    def feed_share_pct(self) -> float:
        """The pipeline's own part, timed directly: free of the detectors' jitter, but
        blind to any slowdown the pipeline causes inside the next detection (caches)."""
        return 100.0 * self.feed.mean_ms / self.bare.mean_ms

    @property
    def overhead_pct(self) -> float:
        """The larger of the two estimates: the one judged against the target."""
        return max(self.whole_vs_bare_pct, self.feed_share_pct)


BLOCK_FRAMES = 15  # the sides alternate every this many frames


def measure_frames(clip: Clip, passes: int, db: Path) -> FrameCost:
    """Time bare detection and the whole pipeline on the same pre-decoded frames.

    Each side has its own detector that sees the frames in order, so MediaPipe tracks
    from frame to frame as it does live. The sides take turns every ``BLOCK_FRAMES``
    frames (alternating which goes first), so anything else slowing the machine down for
    a while (other processes on a 2-core box, clock changes) hits both sides alike.
    """
    from posture_guard.pose import MediaPipePose

    clock = time.process_time
    header = clip.header
    frames = clip.frames
    n = len(frames)
    duration = n / clip.fps
    bare: list[float] = []
    whole: list[float] = []
    feed: list[float] = []
    with MediaPipePose() as bare_detector, MediaPipePose() as whole_detector:
        warm = frames[:WARMUP_FRAMES]
        calibration = [Sample(i / clip.fps, bare_detector.detect(f)) for i, f in enumerate(warm)]
        for f in warm:
            whole_detector.detect(f)
        baseline, baseline_note = fit_or_population(header, calibration)
        pipeline = Pipeline(
            header, Decider(baseline), store_sinks(db, clip.path.name), SamplingPolicy()
        )

        def run_bare(block: range) -> None:
            for i in block:
                c0 = clock()
                bare_detector.detect(frames[i])
                bare.append(clock() - c0)

        def run_whole(block: range, offset: float) -> None:
            for i in block:
                c0 = clock()
                landmarks = whole_detector.detect(frames[i])
                c1 = clock()
                pipeline.feed(Sample(offset + i / clip.fps, landmarks))
                c2 = clock()
                whole.append(c2 - c0)
                feed.append(c2 - c1)

        turn = 0
        for k in range(passes):
            offset = k * duration
            for start in range(0, n, BLOCK_FRAMES):
                block = range(start, min(n, start + BLOCK_FRAMES))
                if turn % 2 == 0:
                    run_bare(block)
                    run_whole(block, offset)
                else:
                    run_whole(block, offset)
                    run_bare(block)
                turn += 1
        pipeline.close(passes * duration)
    return FrameCost(
        summarize(bare),
        summarize(whole),
        summarize(feed),
        summarize(clip.mjpeg_s),
        summarize(clip.yuyv_s),
        summarize(clip.decode_s),
        baseline_note,
    )


# --------------------------------------------------------------------------- 2. per hour
@dataclass(frozen=True)
class SamplingCount:
    """What the sampling schedule did over a stream, and the CPU the decision side took."""

    seen: int
    analysed: int
    seconds: float  # monitored stream time
    decision_cpu_s: float  # CPU of offering every sample (skipped and analysed)
    unsettled: int = 0  # analysed frames that changed the state or disagreed with it

    @property
    def analysed_per_hour(self) -> float:
        return self.analysed * 3600.0 / self.seconds

    @property
    def seen_per_hour(self) -> float:
        return self.seen * 3600.0 / self.seconds

    @property
    def unsettled_per_hour(self) -> float:
        return self.unsettled * 3600.0 / self.seconds

    @property
    def decision_cpu_per_hour(self) -> float:
        return self.decision_cpu_s * 3600.0 / self.seconds


def stream_seconds(header: StreamHeader, samples: Sequence[Sample]) -> float:
    """Stream time covered: first to last sample plus the last sample's own period."""
    return samples[-1].t - samples[0].t + 1.0 / header.fps


def count_analysed(
    header: StreamHeader,
    samples: Sequence[Sample],
    baseline: Baseline,
    policy: Optional[SamplingPolicy] = SamplingPolicy(),
    sinks: Sequence[Sink] = (),
) -> SamplingCount:
    """Offer every sample to a Pipeline as the live loop does; count what it analyses.

    Also counts the analysed frames that make the schedule speed up (the decision changed
    the state, or the frame's own reading disagreed with it): they explain frames/h.
    """
    if not samples:
        raise ValueError("no samples to offer")
    pipeline = Pipeline(header, Decider(baseline), sinks, policy)
    seconds = stream_seconds(header, samples)
    decisions: list[tuple[Decision, Optional[PostureState]]] = []
    c0 = time.process_time()
    for sample in samples:
        decision = pipeline.offer(sample)
        if decision is not None:
            reading = pipeline.decider.last_reading
            decisions.append((decision, reading.label if reading is not None else None))
    totals = pipeline.close(samples[0].t + seconds)
    cpu = time.process_time() - c0
    unsettled = sum(1 for d, label in decisions if d.changed or label is not d.state)
    return SamplingCount(totals.frames_seen, totals.frames_analysed, seconds, cpu, unsettled)


def empty_frames(n: int, seed: int = 0) -> list[np.ndarray]:
    """Frames with nobody in view, at the camera's size: mid-grey with a little sensor
    noise, so no two are alike. The person detector runs on the whole of each and finds
    nothing (a cluttered room could give it something now and then, at a pose model's
    cost)."""
    rng = np.random.default_rng(seed)
    shape = (CAMERA_HEIGHT, CAMERA_WIDTH, 3)
    return [np.clip(128 + rng.normal(0.0, 6.0, shape), 0, 255).astype(np.uint8) for _ in range(n)]


def measure_empty(frames: Sequence[np.ndarray], fps: float, passes: int, db: Path) -> Stat:
    """CPU per analysed frame of an empty desk: detect (finding nobody) + Pipeline.feed."""
    from posture_guard.pose import MediaPipePose

    clock = time.process_time
    h, w = frames[0].shape[:2]
    header = StreamHeader(w, h, fps, "empty desk")
    spent: list[float] = []
    t = 0.0
    with MediaPipePose() as detector:
        for f in frames[:WARMUP_FRAMES]:
            detector.detect(f)
        sinks = store_sinks(db, "empty desk")
        pipeline = Pipeline(header, Decider(POPULATION_BASELINE), sinks, SamplingPolicy())
        for _ in range(passes):
            for f in frames:
                c0 = clock()
                pipeline.feed(Sample(t, detector.detect(f)))
                spent.append(clock() - c0)
                t += 1.0 / fps
        pipeline.close(t)
    return summarize(spent)


def away_scene(seconds: float, seed: int) -> synth.Scene:
    """Nobody at the desk the whole time: the user of :func:`steady_scene`, away."""
    return replace(
        steady_scene(seconds, seed),
        segments=[synth.Segment(synth.AWAY, float(seconds))],
        name="away",
    )


def steady_scene(seconds: float, seed: int) -> synth.Scene:
    """One person sitting upright the whole time, with everyday landmark noise."""
    rng = np.random.default_rng(seed)
    return synth.Scene(
        synth.Person.random(rng),
        synth.Camera.random(rng),
        [synth.Segment(synth.UPRIGHT, float(seconds))],
        synth.Nuisance(),
        fps=10.0,
        seed=seed,
        name="steady",
    )


def restless_scene(seconds: float, seed: int, longest: float = 60.0) -> synth.Scene:
    """A random mix of every posture kind (synth.random_scene), segments cut to <= ``longest``.

    random_scene's segments last 30 s - 4 min; cutting them to a minute gives a sitter who
    changes something about every 45 s. It is asked for four times the length, enough to
    fill ``seconds`` even if every segment came out at the 4-minute maximum.
    """
    base = synth.random_scene(
        np.random.default_rng(seed), minutes=4.0 * seconds / 60.0, name="restless"
    )
    segments: list[synth.Segment] = []
    used = 0.0
    for seg in base.segments:
        dur = min(seg.duration, longest, seconds - used)
        if dur <= 1e-9:
            break
        segments.append(synth.Segment(seg.kind, dur, seg.camera_tilt))
        used += dur
    return replace(base, segments=segments)


@dataclass(frozen=True)
class HourCost:
    """Monitoring cost of one sitter per hour of monitored time."""

    name: str
    count: SamplingCount
    frame_cpu_s: float  # mean whole-pipeline CPU per analysed frame (detect + feed)
    decode_cpu_s: float  # mean CPU to get one frame from the webcam (MJPEG decode)

    @property
    def cpu_s_per_hour(self) -> float:
        """Analysed frames x whole-pipeline CPU per frame + the offer loop's CPU."""
        return self.count.analysed_per_hour * self.frame_cpu_s + self.count.decision_cpu_per_hour

    @property
    def cpu_s_per_hour_with_decode(self) -> float:
        return self.cpu_s_per_hour + self.count.analysed_per_hour * self.decode_cpu_s


def measure_sitter(
    name: str, scene: synth.Scene, frame_cpu_s: float, decode_cpu_s: float, db: Path
) -> HourCost:
    """Calibrate this person as ``posture-guard calibrate`` does with a camera, then
    render the scene, count and time the schedule."""
    header, labelled = synth.render(scene)
    samples = synth.to_samples(labelled)
    baseline = calibrate_like_a_user(scene)
    count = count_analysed(header, samples, baseline, SamplingPolicy(), store_sinks(db, name))
    return HourCost(name, count, frame_cpu_s, decode_cpu_s)


# --------------------------------------------------------------------------- 3. memory
def parse_status_mb(status_text: str, key: str = "VmRSS") -> float:
    """A ``key:  N kB`` line of /proc/<pid>/status, in MB (MiB)."""
    match = re.search(rf"^{key}:\s*(\d+)\s*kB", status_text, re.MULTILINE)
    if match is None:
        raise ValueError(f"no {key} line in the status text")
    return int(match.group(1)) / 1024.0


def status_mb(key: str = "VmRSS") -> float:
    return parse_status_mb(Path("/proc/self/status").read_text(), key)


def maxrss_mb(usage: resource.struct_rusage) -> float:
    """Peak resident set of a rusage record in MB (Linux reports ru_maxrss in kB)."""
    return usage.ru_maxrss / 1024.0


def _frames_forever(media: Path) -> Iterator[np.ndarray]:
    """Frames of ``media`` decoded one at a time, from the start again at the end."""
    from posture_guard.capture import open_file

    while True:
        source = open_file(media)
        try:
            while (frame := source.read()) is not None:
                yield frame.image
        finally:
            source.close()


def rss_probe(media: Path, frames: int, db: Path, warmup: int = WARMUP_FRAMES) -> dict:
    """Child side: the whole pipeline on every frame, memory read after warm-up and at end."""
    from posture_guard.capture import open_file
    from posture_guard.pose import MediaPipePose

    first = open_file(media)
    header = StreamHeader(first.width, first.height, first.fps, media.name)
    first.close()
    pipeline = Pipeline(
        header, Decider(POPULATION_BASELINE), store_sinks(db, media.name), SamplingPolicy()
    )
    out: dict = {"warmup": warmup, "frames": frames}
    every = max(1, frames // 10)
    trace: list[tuple[int, float]] = []
    with MediaPipePose() as detector:
        stream = _frames_forever(media)
        for n in range(warmup + frames):
            done = n - warmup
            if done >= 0 and done % every == 0:
                trace.append((done, status_mb()))
            image = next(stream)
            pipeline.feed(Sample(n / header.fps, detector.detect(image)))
        out["end_mb"] = status_mb()
        stream.close()
    trace.append((frames, out["end_mb"]))
    out["warm_mb"] = trace[0][1]
    out["trace"] = trace
    pipeline.close((warmup + frames) / header.fps)
    out["peak_mb"] = maxrss_mb(resource.getrusage(resource.RUSAGE_SELF))
    out["hwm_mb"] = status_mb("VmHWM")  # this process's own peak (reset at exec)
    return out


@dataclass(frozen=True)
class RssResult:
    warm_mb: float  # VmRSS after the warm-up frames
    end_mb: float  # VmRSS after the measured frames (the steady figure)
    peak_mb: float  # ru_maxrss at the end
    hwm_mb: float  # VmHWM at the end
    warmup: int
    frames: int
    trace: tuple[tuple[int, float], ...] = ()  # (frames after warm-up, VmRSS MB)

    def growth_per_1000(self) -> float:
        """VmRSS growth per 1000 frames over the second half of the trace (MB).

        The second half leaves out allocations that only happen once the first frames
        have been seen; what remains is the slope a leak would show.
        """
        if len(self.trace) < 2:
            return 0.0
        end_frames, end_mb = self.trace[-1]
        mid_frames, mid_mb = min(self.trace, key=lambda p: abs(p[0] - end_frames / 2))
        if end_frames <= mid_frames:
            return 0.0
        return 1000.0 * (end_mb - mid_mb) / (end_frames - mid_frames)

    @property
    def peak(self) -> float:
        """The highest of every reading: the kernel updates VmHWM and ru_maxrss lazily, so
        a VmRSS read a moment earlier can exceed them by a few hundred kB."""
        return max(self.warm_mb, self.end_mb, self.peak_mb, self.hwm_mb)


def child_env(home: Path) -> dict[str, str]:
    """Environment of the benchmark's child processes: a throw-away user home, no buffering."""
    env = dict(os.environ)
    env["POSTURE_GUARD_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("GLOG_minloglevel", "2")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def measure_rss(media: Path, frames: int, workdir: Path) -> RssResult:
    """Run the memory probe in a fresh process, so this process's frame cache stays out."""
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.bench_cost",
        "--rss-probe",
        str(frames),
        "--media",
        str(media),
        "--db",
        str(workdir / "rss.sqlite3"),
    ]
    done = subprocess.run(
        cmd, cwd=REPO, env=child_env(workdir / "home"), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory probe failed ({done.returncode}): {done.stderr[-2000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return RssResult(
        data["warm_mb"],
        data["end_mb"],
        data["peak_mb"],
        data["hwm_mb"],
        int(data["warmup"]),
        int(data["frames"]),
        tuple((int(n), float(mb)) for n, mb in data.get("trace", ())),
    )


# --------------------------------------------------------------------------- 4. start-up
def is_state_line(line: str) -> bool:
    """Whether a line of ``replay`` output is a state change (ConsolePrinter's format)."""
    return STATE_LINE.match(line) is not None


@dataclass(frozen=True)
class StartupRun:
    first_decision_s: float  # spawn -> first state line, wall clock
    total_s: float  # spawn -> exit
    peak_mb: float  # the replay process's ru_maxrss (from wait4)


def time_first_decision(media: Path, workdir: Path) -> StartupRun:
    """Spawn ``posture-guard replay --video`` and time it until it prints a state line."""
    cmd = [sys.executable, "-m", "posture_guard.cli", "replay", "--video", str(media)]
    with tempfile.TemporaryFile(mode="w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=child_env(workdir / "home"),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        first: Optional[float] = None
        assert proc.stdout is not None
        with proc.stdout:
            for line in proc.stdout:
                if first is None and is_state_line(line):
                    first = time.perf_counter() - t0
        _, status, usage = os.wait4(proc.pid, 0)
        total = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0 or first is None:
            err.seek(0)
            raise RuntimeError(
                f"replay exited {proc.returncode} "
                f"{'without a state line' if first is None else ''}: {err.read()[-2000:]}"
            )
    return StartupRun(first, total, maxrss_mb(usage))


# --------------------------------------------------------------------------- report
@dataclass(frozen=True)
class Row:
    """One line of the summary table; ``target`` None means reported, not judged."""

    what: str
    measured: float
    unit: str
    target: Optional[float]

    @property
    def verdict(self) -> str:
        return "INFO" if self.target is None else verdict(self.measured, self.target)


def format_rows(rows: Sequence[Row]) -> list[str]:
    width = max(len(r.what) for r in rows)
    lines = [f"  {'target':<{width}}  {'measured':>16}  {'target':>16}  result"]
    for r in rows:
        value = f"{r.measured:.2f} {r.unit}"
        target = f"<= {r.target:g} {r.unit}" if r.target is not None else "(none set)"
        lines.append(f"  {r.what:<{width}}  {value:>16}  {target:>16}  {r.verdict}")
    return lines


@dataclass(frozen=True)
class Report:
    frame: FrameCost
    empty: Stat  # detect + Pipeline.feed on a frame with nobody in view
    sitters: list[HourCost]
    rss: RssResult
    startup: list[StartupRun]
    rows: list[Row]


def _machine() -> str:
    from importlib.metadata import PackageNotFoundError, version

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mp_version = version("mediapipe")
    except PackageNotFoundError:
        mp_version = "?"
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
        f"mediapipe {mp_version}, {platform.system()} {platform.release()}"
    )


def run(config: Config, out: TextIO, progress: TextIO = sys.stderr) -> Report:
    """Take every measurement, then print the report; return the figures.

    The child processes (memory probe, start-up) are spawned first, while this process is
    still small: Linux keeps ru_maxrss across exec, so a child spawned after the clip is
    decoded into memory would report this process's peak as its own.
    """

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    def note(text: str) -> None:
        print(f"[bench_cost] {text}", file=progress, flush=True)

    started = time.perf_counter()
    media = find_media()
    policy = SamplingPolicy()
    with tempfile.TemporaryDirectory(prefix="pg-bench-") as tmp:
        workdir = Path(tmp)
        floor_mb = maxrss_mb(resource.getrusage(resource.RUSAGE_SELF))
        note(f"memory probe: {config.rss_frames} frames in a child process")
        rss = measure_rss(media, config.rss_frames, workdir)
        note(f"start-up: {config.startup_runs} replay process(es)")
        startup = [time_first_decision(media, workdir) for _ in range(config.startup_runs)]
        note("decoding the clip")
        clip = load_clip(media, config.frames)
        note(f"per-frame CPU: {config.passes} pass(es) per side over {len(clip.frames)} frames")
        frame = measure_frames(clip, config.passes, workdir / "frames.sqlite3")
        frame_cpu = frame.whole.mean_ms / 1000.0
        decode_cpu = frame.decode.mean_ms / 1000.0
        note(f"per-frame CPU with nobody in view: {len(clip.frames)} frames")
        empty = measure_empty(
            empty_frames(len(clip.frames)), clip.fps, config.passes, workdir / "empty.sqlite3"
        )
        note(f"sampling: three synthetic streams of {config.stream_seconds:g} s")
        sitters = [
            measure_sitter(
                "steady",
                steady_scene(config.stream_seconds, config.seed),
                frame_cpu,
                decode_cpu,
                workdir / "steady.sqlite3",
            ),
            measure_sitter(
                "restless",
                restless_scene(config.stream_seconds, config.seed),
                frame_cpu,
                decode_cpu,
                workdir / "restless.sqlite3",
            ),
            measure_sitter(
                "away",
                away_scene(config.stream_seconds, config.seed),
                empty.mean_ms / 1000.0,
                decode_cpu,
                workdir / "away.sqlite3",
            ),
        ]
        no_probe = steady_frames_without_probe(steady_scene(config.stream_seconds, config.seed))

    say(f"posture_guard cost benchmark (issue #3){' [--quick]' if config is QUICK else ''}")
    say(f"machine: {_machine()}")
    say(f"frames: {clip.description}")
    say()

    n = len(clip.frames)
    say(
        f"1. CPU per analysed frame: time.process_time of this process, {config.passes} "
        f"pass(es) x {n} frames per side, one detector per side,"
    )
    say(
        f"   sides alternating every {BLOCK_FRAMES} frames, after {WARMUP_FRAMES} warm-up frames "
        f"(baseline {frame.baseline} on them); frames decoded"
    )
    say("   before timing: decode EXCLUDED from both sides")
    say(f"   {'':<52}{'median ms':>10}{'p90 ms':>9}{'mean ms':>9}")
    for label, stat in (
        ("bare inference: MediaPipePose.detect", frame.bare),
        ("whole pipeline: detect + Pipeline.feed", frame.whole),
        ("  of which Pipeline.feed (metrics, decide, sinks)", frame.feed),
        ("webcam frame from MJPEG (cv2; in neither line above)", frame.decode),
        ("webcam frame from raw YUYV (colour conversion only)", frame.yuyv),
        ("decode of one frame of the clip file (replay's cost)", frame.file_decode),
        ("nobody in view: detect (finds nobody) + Pipeline.feed", empty),
    ):
        say(f"   {label:<52}{stat.median_ms:>10.3f}{stat.p90_ms:>9.3f}{stat.mean_ms:>9.3f}")
    say(
        f"   overhead, whole vs bare (mean CPU per frame): {frame.whole_vs_bare_pct:+.2f} %; "
        f"Pipeline.feed timed directly: {frame.feed_share_pct:.2f} % of detect"
    )
    say(f"   judged on the larger: {frame.overhead_pct:.2f} %")
    say()

    say(
        f"2. Monitoring cost per hour under the default SamplingPolicy(steady={policy.steady:g}"
        f" s, fast={policy.fast:g} s, absent={policy.absent:g} s for the first"
        f" {policy.absent_patience:g} s of nobody and {policy.steady:g} s after, settle="
        f"{policy.settle:g} s):"
    )
    say(
        f"   synthetic 10 fps landmark streams with real timestamps, {config.stream_seconds / 60:g}"
        f" min each (calibration/synth.py, seed {config.seed}), offered sample by sample to"
    )
    say(
        f"   Pipeline.offer with a StoreSink on a real SQLite file; profile from a calibration "
        f"session before ({CALIBRATE_SECONDS:g} s upright, {SLOUCH_SECONDS:g} s slouch step). "
        "steady = upright"
    )
    say(
        "   throughout with everyday landmark noise; restless = synth.random_scene's mix of "
        "every kind, segments cut to <= 60 s;"
    )
    say(
        "   away = nobody at the desk throughout (its frames cost the 'nobody in view' figure "
        "of part 1, the others' the whole pipeline's)."
    )
    say(
        f"   {'sitter':<9}{'samples/h':>10}{'frames/h':>10}{'unsettled':>10}"
        f"{'decision CPU-s/h':>18}{'CPU-s/h':>9}{'% core':>8}{'+decode CPU-s/h':>17}{'% core':>8}"
    )
    for s in sitters:
        say(
            f"   {s.name:<9}{s.count.seen_per_hour:>10.0f}{s.count.analysed_per_hour:>10.0f}"
            f"{s.count.unsettled_per_hour:>10.0f}{s.count.decision_cpu_per_hour:>18.2f}"
            f"{s.cpu_s_per_hour:>9.1f}{core_pct(s.cpu_s_per_hour):>7.2f}%"
            f"{s.cpu_s_per_hour_with_decode:>17.1f}{core_pct(s.cpu_s_per_hour_with_decode):>7.2f}%"
        )
    say(
        f"   CPU-s/h = frames/h x {frame.whole.mean_ms:.2f} ms (mean whole-pipeline CPU per "
        f"frame, part 1; away: {empty.mean_ms:.2f} ms) + decision CPU-s/h (the offer"
    )
    say(
        "   loop over every sample; the analysed ones are counted twice, so an upper bound). "
        "unsettled/h = analysed frames"
    )
    say(
        "   whose reading disagreed with the state or changed it: a lone one earns one more "
        f"look {policy.fast:g} s later, two in a row (or a"
    )
    say(
        f"   change) {policy.settle:g} s of fast sampling. A steady sitter's floor is "
        f"{3600 / policy.steady:.0f} frames/h; without the second look (each disagreement "
        f"starting {policy.settle:g} s of"
    )
    say(
        f"   fast sampling at once) the steady sitter takes {no_probe:.0f} frames/h = "
        f"{no_probe * frame.whole.mean_ms / 1000 + sitters[0].count.decision_cpu_per_hour:.1f}"
        " CPU-s/h at this frame cost (its decision CPU-s/h counted as above)."
    )
    say(
        "   Camera grab cost is NOT included in CPU-s/h (no camera here); '+decode' adds one "
        f"MJPEG decode of a {CAMERA_WIDTH}x{CAMERA_HEIGHT} frame"
    )
    say(
        f"   ({frame.decode.mean_ms:.2f} ms; raw YUYV would be {frame.yuyv.mean_ms:.2f} ms) per "
        "analysed frame as its stand-in; the camera driver's kernel-side work is in neither."
    )
    stuck = undecided_frames_per_hour(policy)
    unlimited = undecided_frames_per_hour(replace(policy, max_fast=math.inf))
    say(
        "   A sitter the decision keeps reading half-convincingly (every frame disagrees with "
        "the state, none changes it; the policy"
    )
    say(
        f"   alone, next_interval): {stuck:.0f} frames/h = "
        f"{stuck * frame.whole.mean_ms / 1000:.1f} CPU-s/h with fast runs cut after "
        f"{policy.max_fast:g} s and {policy.rest:g} s of rest; {unlimited:.0f} frames/h "
        f"= {unlimited * frame.whole.mean_ms / 1000:.1f} CPU-s/h without the cut."
    )
    say()

    say(
        "3. Memory: child process `python -m benchmarks.bench_cost --rss-probe`, whole pipeline "
        f"on every frame of {media.name},"
    )
    say("   decoded one at a time (looped), as `run` holds one frame at a time")
    say(f"   {f'VmRSS after {rss.warmup} warm-up frames':<36}{rss.warm_mb:8.1f} MB")
    say(
        f"   {f'VmRSS after {rss.frames} more frames':<36}{rss.end_mb:8.1f} MB "
        f"(growth {rss.end_mb - rss.warm_mb:+.1f} MB)"
    )
    say(f"   peak: VmHWM {rss.hwm_mb:.1f} MB, getrusage ru_maxrss {rss.peak_mb:.1f} MB")
    trace = ", ".join(f"{n_}: {mb:.1f}" for n_, mb in rss.trace)
    say(f"   VmRSS (MB) by frames after the warm-up: {trace}")
    if rss.frames >= MIN_SLOPE_FRAMES:
        say(
            f"   growth over the second half: {rss.growth_per_1000():+.2f} MB per 1000 frames "
            f"(a steady sitter is analysed {sitters[0].count.analysed_per_hour:.0f} times an hour)"
        )
    else:
        say(f"   (fewer than {MIN_SLOPE_FRAMES} frames: no growth slope from a run this short)")
    replay_peak = max(r.peak_mb for r in startup)
    say(
        f"   peak of a whole `posture-guard replay --video` process (ru_maxrss from wait4): "
        f"{replay_peak:.1f} MB"
    )
    say(
        f"   (children were spawned while this process's own peak was {floor_mb:.0f} MB: "
        "ru_maxrss carries over exec)"
    )
    say()

    first = statistics.median(r.first_decision_s for r in startup)
    say(
        "4. Start-up: wall time from spawning `python -m posture_guard.cli replay --video "
        f"{media.name}`"
    )
    say(
        "   (no profile: population baseline; not --quiet, which prints no state lines) to "
        "its first state line, timed from outside"
    )
    runs = ", ".join(f"{r.first_decision_s:.2f} s" for r in startup)
    say(f"   runs: {runs}; median {first:.2f} s (whole replay: {startup[0].total_s:.2f} s)")
    say()

    peak = max(rss.peak, replay_peak)
    rows = [
        Row("pipeline overhead per analysed frame", frame.overhead_pct, "%", TARGET_OVERHEAD_PCT),
    ]
    for s in sitters:
        who = "empty desk" if s.name == "away" else f"{s.name} sitter"
        rows.append(
            Row(
                f"CPU {who}, detect+decision",
                s.cpu_s_per_hour,
                "CPU-s/h",
                TARGET_CPU_S_PER_HOUR,
            )
        )
        rows.append(
            Row(
                f"CPU {who}, + frame decode",
                s.cpu_s_per_hour_with_decode,
                "CPU-s/h",
                TARGET_CPU_S_PER_HOUR,
            )
        )
    rows += [
        Row("peak RSS (probe and replay)", peak, "MB", TARGET_RSS_MB),
        Row(f"steady RSS (VmRSS after {rss.frames} frames)", rss.end_mb, "MB", TARGET_RSS_MB),
        Row("time from process start to first decision", first, "s", None),
    ]
    say(f"Summary (CPU target {TARGET_CPU_S_PER_HOUR:g} CPU-s/h = 1 % of one core)")
    for line in format_rows(rows):
        say(line)
    say(f"benchmark took {time.perf_counter() - started:.0f} s")
    return Report(frame, empty, sitters, rss, startup, rows)


def steady_frames_without_probe(scene: synth.Scene) -> float:
    """Frames an hour the steady sitter costs under the policy before the second look
    (``SamplingPolicy(probe=False)``): what the look saves, measured, not estimated."""
    header, labelled = synth.render(scene)
    samples = synth.to_samples(labelled)
    baseline = calibrate_like_a_user(scene)
    count = count_analysed(header, samples, baseline, SamplingPolicy(probe=False))
    return count.analysed_per_hour


def undecided_frames_per_hour(policy: SamplingPolicy) -> float:
    """Frames an hour the policy takes from a sitter whose every frame disagrees with the
    state without ever changing it (raised shoulders read at 60 % never win the lead the
    decision needs): the case the cut of fast runs (``max_fast``, ``rest``) is for."""
    state, t, frames = SamplerState(), 0.0, 0
    decision = Decision(0.0, PostureState.GOOD)
    reading = Reading(PostureState.RAISED_SHOULDERS, present=True)
    while t < 3600.0:
        state, wait = next_interval(policy, state, replace(decision, t=t), reading)
        frames += 1
        t += wait
    return float(frames)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_cost",
        description="CPU, memory and start-up cost of posture_guard against issue #3's targets.",
    )
    ap.add_argument("--quick", action="store_true", help="a few-second smoke run")
    ap.add_argument("--rss-probe", type=int, metavar="N", help=argparse.SUPPRESS)
    ap.add_argument("--media", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rss_probe is not None:  # internal: the child side of part 3
        print(json.dumps(rss_probe(args.media, args.rss_probe, args.db)))
        return 0
    with tempfile.TemporaryDirectory(prefix="pg-bench-home-") as home:
        # Nothing the benchmark writes may land in a real user's data.
        previous = os.environ.get("POSTURE_GUARD_HOME")
        os.environ["POSTURE_GUARD_HOME"] = home
        try:
            run(QUICK if args.quick else FULL, sys.stdout)
        finally:
            if previous is None:
                os.environ.pop("POSTURE_GUARD_HOME", None)
            else:
                os.environ["POSTURE_GUARD_HOME"] = previous
    return 0


if __name__ == "__main__":
    sys.exit(main())
