"""The cost benchmark's helpers compute right on tiny inputs (no timing is asserted).

The benchmark's figures are only as good as its bookkeeping: how many frames the sampling
policy analyses per hour, how CPU per frame becomes CPU per hour, how memory is read from
/proc, how a state line is recognised. Each is checked here against a figure derived
independently (from the policy's parameters, from the definition, from the real printer).
"""

from __future__ import annotations

import io
import math
import re
import resource
import statistics
from pathlib import Path

import numpy as np
import pytest

from benchmarks import bench_cost as bc
from calibration import synth
from posture_guard.landmarks import Sample, StreamHeader
from posture_guard.monitor import ConsolePrinter, Totals, print_totals
from posture_guard.sampling import SamplingPolicy
from posture_guard.states import Decision, PostureState

POLICY = SamplingPolicy(steady=2.0, fast=0.5, absent=1.0, settle=4.0)


def _still_upright(seconds: float, fps: float = 10.0) -> tuple[StreamHeader, list[Sample]]:
    """A person sitting perfectly still and upright: no noise, no drift, no transitions."""
    scene = synth.Scene(
        synth.Person(),
        synth.Camera(),
        [synth.Segment(synth.UPRIGHT, seconds)],
        synth.Nuisance.none(),
        fps=fps,
        seed=3,
    )
    header, labelled = synth.render(scene)
    return header, synth.to_samples(labelled)


def _expected_analysed(policy: SamplingPolicy, last_t: float, settled_interval: float) -> int:
    """Frames a constant stream gets: fast for ``settle`` s after its first frame, then
    one every ``settled_interval`` s (on a sample grid that hits every due time exactly)."""
    fast = math.ceil(policy.settle / policy.fast)
    return fast + math.floor((last_t - policy.settle) / settled_interval + 1e-9) + 1


def _expected_empty(policy: SamplingPolicy, last_t: float) -> int:
    """Frames an empty desk gets: fast for ``settle`` s after its first frame, then one
    every ``absent`` s until nobody has been there ``absent_patience`` s, then one every
    ``steady`` s (on a sample grid that hits every due time exactly)."""
    frames, t = math.ceil(policy.settle / policy.fast), policy.settle
    while t < policy.absent_patience and t <= last_t:
        frames, t = frames + 1, t + policy.absent
    if t > last_t:
        return frames
    return frames + math.floor((last_t - t) / policy.steady + 1e-9) + 1


def test_percentile_is_nearest_rank_and_summary_is_in_milliseconds() -> None:
    seconds = [k / 1000.0 for k in (7, 1, 10, 3, 5, 2, 9, 4, 8, 6)]
    stat = bc.summarize(seconds)
    assert stat.n == 10
    assert stat.median_ms == pytest.approx(statistics.median(range(1, 11)))
    # Nearest rank: ceil(0.9 * 10) = 9th smallest of 1..10 ms.
    assert stat.p90_ms == pytest.approx(9.0)
    assert stat.mean_ms == pytest.approx(5.5)
    assert bc.percentile([4.0], 90) == 4.0
    assert bc.percentile([1.0, 2.0, 3.0], 100) == 3.0
    with pytest.raises(ValueError):
        bc.percentile([], 50)


def test_without_shared_media_the_bundled_portrait_is_used_and_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grace_hopper: Path
) -> None:
    monkeypatch.setattr(bc, "SHARED_MEDIA", tmp_path / "no-shared" / "media")
    media = bc.find_media()
    assert media == grace_hopper
    clip = bc.load_clip(media, limit=3)
    assert len(clip.frames) == 3
    assert all(f is clip.frames[0] for f in clip.frames)  # one photo, repeated
    assert "FALLBACK" in clip.description
    assert clip.fps == bc.STILL_FPS
    assert clip.header.image_width == clip.frames[0].shape[1] == bc.CAMERA_WIDTH
    assert clip.header.image_height == clip.frames[0].shape[0] == bc.CAMERA_HEIGHT
    assert len(clip.decode_s) > 0
    assert len(clip.mjpeg_s) == len(clip.yuyv_s) == 3  # one per frame a webcam would send


def test_the_real_clip_is_preferred_and_decoded_in_order(shared_media: Path) -> None:
    media = bc.find_media()
    assert media == shared_media / bc.VIDEO_NAME
    clip = bc.load_clip(media, limit=4)
    assert len(clip.frames) == len(clip.decode_s) == len(clip.mjpeg_s) == 4
    # The frames the detector is timed on are the size the app asks a webcam for.
    assert {f.shape for f in clip.frames} == {(bc.CAMERA_HEIGHT, bc.CAMERA_WIDTH, 3)}
    assert "real video" in clip.description
    # Consecutive frames of a video differ: they were decoded, not one frame repeated.
    assert any(not np.array_equal(clip.frames[0], f) for f in clip.frames[1:])


def test_a_wide_picture_loses_its_sides_not_its_proportions() -> None:
    # A 16:9 picture: a square in the middle, red bands at both edges.
    image = np.full((720, 1280, 3), 100, np.uint8)
    image[:, :100] = image[:, -100:] = (0, 0, 255)
    image[210:510, 490:790] = 255  # 300 x 300, centred
    frame = bc.as_camera_frame(image, 640, 480)
    assert frame.shape == (480, 640, 3)
    assert not np.any((frame[..., 2] > 150) & (frame[..., 0] < 50))  # the bands were cut
    rows, cols = np.nonzero(frame[..., 0] > 200)
    height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
    assert height == pytest.approx(200, abs=2)  # scaled by 480/720 ...
    assert width == pytest.approx(height, abs=2)  # ... and still a square, not stretched
    assert (cols.min() + cols.max()) / 2 == pytest.approx(319.5, abs=2)  # still centred


def test_a_tall_picture_keeps_its_top() -> None:
    image = np.full((600, 512, 3), 100, np.uint8)
    image[:30] = (255, 0, 0)  # where a portrait's head is
    image[-30:] = (0, 255, 0)
    frame = bc.as_camera_frame(image, 640, 480)
    assert frame.shape == (480, 640, 3)
    assert np.all(frame[:30, :, 0] > 200)
    assert not np.any(frame[..., 1] > 150)


def test_verdict_treats_targets_as_ceilings() -> None:
    assert bc.verdict(36.0, 36.0) == "PASS"
    assert bc.verdict(35.9, 36.0) == "PASS"
    assert bc.verdict(36.01, 36.0) == "FAIL"
    assert bc.Row("x", 12.0, "%", 10.0).verdict == "FAIL"
    assert bc.Row("x", 12.0, "s", None).verdict == "INFO"
    assert bc.core_pct(36.0) == pytest.approx(1.0)


def test_empty_frames_show_nobody_and_differ_from_each_other() -> None:
    frames = bc.empty_frames(3, seed=1)
    assert {f.shape for f in frames} == {(bc.CAMERA_HEIGHT, bc.CAMERA_WIDTH, 3)}
    assert not np.array_equal(frames[0], frames[1])
    from posture_guard.pose import MediaPipePose

    with MediaPipePose() as detector:
        assert [detector.detect(f) for f in frames] == [None, None, None]


def test_the_away_stream_is_the_steady_user_gone_the_whole_time() -> None:
    away = bc.away_scene(600.0, seed=5)
    assert [(s.kind, s.duration) for s in away.segments] == [(synth.AWAY, 600.0)]
    assert away.person == bc.steady_scene(600.0, seed=5).person
    header, labelled = synth.render(away)
    assert all(s.landmarks is None for s in labelled)


def test_a_still_sitter_gets_the_fast_burst_then_the_steady_interval() -> None:
    header, samples = _still_upright(60.0)
    baseline, how = bc.fit_or_population(header, samples[:150])
    assert how == "calibrated"
    count = bc.count_analysed(header, samples, baseline, POLICY)
    assert count.seen == len(samples) == 600
    assert count.seconds == pytest.approx(60.0)
    assert count.analysed == _expected_analysed(POLICY, samples[-1].t, POLICY.steady)
    # Only the opening frame (the first decision) restarts fast sampling.
    assert count.unsettled == 1
    assert count.analysed_per_hour == pytest.approx(count.analysed * 60)
    assert count.seen_per_hour == pytest.approx(36000)


def test_an_empty_desk_is_looked_at_on_the_absent_interval_then_the_steady_one() -> None:
    header = StreamHeader(640, 480, 10.0)
    samples = [Sample(i / 10.0, None) for i in range(3000)]
    count = bc.count_analysed(header, samples, bc.POPULATION_BASELINE, POLICY)
    assert count.analysed == _expected_empty(POLICY, samples[-1].t)
    assert count.seconds == pytest.approx(300.0)
    # the first 30 s: fast, then the absent interval only (patience not yet over)
    early = bc.count_analysed(header, samples[:300], bc.POPULATION_BASELINE, POLICY)
    assert early.analysed == _expected_analysed(POLICY, samples[299].t, POLICY.absent)


def test_without_a_policy_every_sample_is_analysed() -> None:
    header, samples = _still_upright(5.0)
    count = bc.count_analysed(header, samples, bc.POPULATION_BASELINE, None)
    assert count.analysed == count.seen == len(samples)


def test_hour_cost_is_frames_times_frame_cost_plus_the_decision_loop() -> None:
    # 120 analysed frames in 6 minutes -> 1200 frames/h; 0.05 CPU-s of offers -> 0.5 CPU-s/h.
    count = bc.SamplingCount(seen=3600, analysed=120, seconds=360.0, decision_cpu_s=0.05)
    cost = bc.HourCost("steady", count, frame_cpu_s=0.020, decode_cpu_s=0.005)
    assert count.analysed_per_hour == pytest.approx(1200)
    assert cost.cpu_s_per_hour == pytest.approx(1200 * 0.020 + 0.5)
    assert cost.cpu_s_per_hour_with_decode == pytest.approx(1200 * 0.025 + 0.5)


def test_status_parsing_reads_kilobytes_as_megabytes() -> None:
    text = "Name:\tpython\nVmHWM:\t  307200 kB\nVmRSS:\t  204800 kB\nThreads:\t4\n"
    assert bc.parse_status_mb(text) == pytest.approx(200.0)
    assert bc.parse_status_mb(text, "VmHWM") == pytest.approx(300.0)
    with pytest.raises(ValueError):
        bc.parse_status_mb("Name:\tpython\n")


def test_memory_growth_is_the_slope_of_the_second_half() -> None:
    trace = ((0, 100.0), (250, 108.0), (500, 110.0), (750, 111.0), (1000, 112.0))
    rss = bc.RssResult(100.0, 112.0, 112.5, 112.5, warmup=10, frames=1000, trace=trace)
    # From frame 500 (110 MB) to frame 1000 (112 MB): 2 MB per 500 frames.
    assert rss.growth_per_1000() == pytest.approx(4.0)
    assert rss.peak == 112.5
    flat = bc.RssResult(90.0, 90.0, 80.0, 80.0, 10, 4, ((0, 90.0), (4, 90.0)))
    assert flat.growth_per_1000() == 0.0
    assert flat.peak == 90.0  # a VmRSS reading above the lazily updated high-water marks


def test_memory_figures_of_this_process_agree_with_each_other() -> None:
    rss = bc.status_mb()
    hwm = bc.status_mb("VmHWM")
    peak = bc.maxrss_mb(resource.getrusage(resource.RUSAGE_SELF))
    # The kernel updates the high-water marks lazily: allow them to trail by a megabyte.
    assert 0 < rss <= hwm + 1.0
    assert hwm <= peak + 1.0


def test_state_lines_are_recognised_in_real_replay_output() -> None:
    out = io.StringIO()
    printer = ConsolePrinter(out)
    metrics = {"d_gap": -0.12, "d_face": 0.05, "d_pitch": 0.01, "d_roll": 2.0}
    printer.on_decision(Decision(3723.0, PostureState.FORWARD_HEAD, metrics, changed=True))
    printer.on_decision(Decision(3725.0, PostureState.ABSENT, {}, changed=True))
    state_lines = out.getvalue().splitlines()
    assert len(state_lines) == 2
    assert all(bc.is_state_line(line) for line in state_lines)

    totals = Totals(seconds={PostureState.GOOD: 50.0}, frames_seen=10, frames_analysed=5)
    other = io.StringIO()
    print_totals(totals, other)
    other.write("note: no calibration profile; judging against population defaults\n")
    other.write("calibrated on the first 15 s (150 usable frames)\n")
    assert not any(bc.is_state_line(line) for line in other.getvalue().splitlines())


def test_the_restless_sitter_changes_often_and_fills_the_time_exactly() -> None:
    scene = bc.restless_scene(1800.0, seed=5, longest=60.0)
    durations = [s.duration for s in scene.segments]
    assert sum(durations) == pytest.approx(1800.0)
    assert max(durations) <= 60.0 + 1e-9
    assert len({s.kind for s in scene.segments}) >= 4
    assert scene.segments[0].kind == synth.UPRIGHT
    assert scene.segments[0].duration >= bc.CALIBRATE_SECONDS  # room to calibrate
    steady = bc.steady_scene(900.0, seed=5)
    assert [(s.kind, s.duration) for s in steady.segments] == [(synth.UPRIGHT, 900.0)]


def test_quick_run_prints_a_verdict_per_target_that_matches_its_figures() -> None:
    out = io.StringIO()
    report = bc.run(bc.QUICK, out, progress=io.StringIO())
    text = out.getvalue()

    # The sampling policy bounds frames/h: never slower than the steady interval, never
    # faster than the fast one; a still-ish sitter costs no more frames than a restless one.
    policy = SamplingPolicy()
    steady, restless, away = report.sitters
    assert 3600 / policy.steady <= steady.count.analysed_per_hour
    assert steady.count.analysed_per_hour <= restless.count.analysed_per_hour
    assert restless.count.analysed_per_hour <= 3600 / policy.fast + 1
    # Nobody at the desk: looked at on the absent interval, then the steady one, at the
    # empty frame's cost.
    seconds = away.count.seconds
    expected = _expected_empty(policy, seconds - 0.1) * 3600 / seconds
    assert away.count.analysed_per_hour == pytest.approx(expected, rel=0.02)
    assert away.frame_cpu_s == pytest.approx(report.empty.mean_ms / 1000)
    assert report.frame.feed.mean_ms > 0
    assert 0 < report.rss.warm_mb <= report.rss.peak
    assert report.rss.end_mb <= report.rss.peak
    assert all(0 < r.first_decision_s < r.total_s for r in report.startup)

    rows = re.findall(
        r"^  (.+?)\s{2,}([\d.]+) (\S+)\s+(?:<= ([\d.]+) \S+|\(none set\))\s+(PASS|FAIL|INFO)$",
        text,
        re.MULTILINE,
    )
    assert len(rows) == len(report.rows) == 10
    for what, measured, _unit, target, result in rows:
        if target:
            expected = "PASS" if float(measured) <= float(target) else "FAIL"
            assert result == expected, what
        else:
            assert result == "INFO", what
    assert "Camera grab cost is NOT included" in text
    assert "decode EXCLUDED from both sides" in text
    assert np.isfinite(report.frame.overhead_pct)


def test_sitters_are_judged_against_a_profile_with_the_slouch_step() -> None:
    # The default a camera calibration gives: the slouch model, not the upright-only one.
    baseline = bc.calibrate_like_a_user(bc.steady_scene(60.0, seed=3))
    assert baseline.calibrated and baseline.slouch["d_gap"] < 0


def test_the_second_look_is_priced_against_the_policy_without_it() -> None:
    # Ten minutes of the benchmark's steady sitter: the lone disagreements of landmark
    # noise each cost a run of fast looks without the second look, one frame with it.
    scene = bc.steady_scene(600.0, seed=1)
    header, labelled = synth.render(scene)
    samples = synth.to_samples(labelled)
    default = SamplingPolicy()
    with_look = bc.count_analysed(header, samples, bc.calibrate_like_a_user(scene), default)
    without = bc.steady_frames_without_probe(scene)
    assert with_look.unsettled > 0  # there was noise to look at again
    assert 3600 / default.steady <= with_look.analysed_per_hour < without
