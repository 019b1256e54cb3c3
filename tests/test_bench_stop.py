"""The stop benchmark measures what it says: figures of the right kind and size, taken from
the real loop, each printed as returned. No speed is judged (machines and their load
differ): ``python -m benchmarks.bench_stop`` prints the figures for people to read.

A short run (2 kills, a stop per signal) is made here with the demo recording standing in
for MediaPipe, so it needs neither ../shared nor the pose model. Each figure is checked
against what the loop allows: posture lost to a kill is positive (no span can end after the
kill) and within the bound the loop's constants give, with as much again as slack for a
loaded machine; a stop exits cleanly, its last span ending about at the last analysed frame.
"""

from __future__ import annotations

import io
import re
import statistics
from pathlib import Path

from benchmarks import bench_stop as bs
from posture_guard.sampling import SamplingPolicy
from posture_guard.service import ServiceSettings


def test_the_bounds_are_the_loops_constants() -> None:
    settings, policy = ServiceSettings(), SamplingPolicy()
    b = bs.bounds()
    assert b.interval_s == policy.steady  # the longest wait the policy gives
    assert policy.steady >= max(policy.absent, policy.fast)
    assert b.kill_s == settings.flush_every_s + policy.steady
    start = policy.settle + settings.flush_every_s
    assert b.kill_window_s == (start, start + settings.flush_every_s)
    assert b.stop_gap_s == policy.steady
    assert b.settle_s == policy.settle


def test_the_clip_is_used_when_present_and_the_demo_recording_said_to_stand_in_otherwise(
    tmp_path: Path,
) -> None:
    clip = tmp_path / "clip.gif"
    clip.write_bytes(b"GIF89a")
    video = bs.pick_source(clip)
    assert video.argv == (str(clip),) and video.calibrate_on == clip
    assert "MediaPipe on clip.gif" in video.description

    absent = bs.pick_source(tmp_path / "gone.gif")
    assert absent.argv == ("--landmarks",) and absent.calibrate_on is None
    assert absent.description.startswith(f"FALLBACK: {tmp_path / 'gone.gif'} is absent")

    asked = bs.pick_source(clip, landmarks=True)
    assert asked.argv == ("--landmarks",) and "FALLBACK" not in asked.description


def _number(pattern: str, text: str) -> list[str]:
    found = re.search(pattern, text, re.MULTILINE)
    assert found, (pattern, text)
    return list(found.groups())


def test_the_quick_run_prints_each_figure_and_each_is_physical() -> None:
    out = io.StringIO()
    config = bs.Config(kills=2, stops=1)
    report = bs.run(config, bs.pick_source(landmarks=True), out)
    text = out.getvalue()
    b = report.bounds
    first, last = b.kill_window_s

    assert len(report.kills) == config.kills
    for k in report.kills:
        assert first <= k.after_open_s <= last + b.kill_s, k
        assert k.logged and k.sound, k  # a flush had logged posture; the file is sound
        assert 0.0 < k.lost_s <= 2 * b.kill_s, k
    lost = [k.lost_s for k in report.kills]
    assert _number(
        r"^  posture lost \(kill moment - last span end in the database\): "
        r"max (\S+) s, mean (\S+) s, min (\S+) s$",
        text,
    ) == [f"{max(lost):.2f}", f"{statistics.fmean(lost):.2f}", f"{min(lost):.2f}"]
    assert f"flush interval {b.flush_s:g} s" in text and f"= {b.kill_s:g} s\n" in text
    assert f"kill -9 at random moments {first:g} to {last:g} s after" in text
    assert f"kills with nothing logged: 0 of {config.kills}; " in text
    assert f"integrity_check ok after {config.kills} of {config.kills}" in text

    names = [name for name, _, _ in bs.STOP_SIGNALS]
    assert [s.signal for s in report.stops] == [n for n in names for _ in range(config.stops)]
    assert {"SIGTERM", "SIGHUP"} <= set(names)
    sections = re.split(r"^(?=SIG)", text, flags=re.MULTILINE)[1:]
    assert [s.split(" ")[0] for s in sections] == names
    for name, section in zip(names, sections):
        these = [s for s in report.stops if s.signal == name]
        for s in these:
            assert s.clean, s  # exit status 0, lock released, service.json says stopped
            assert s.exit_s is not None and s.exit_s >= 0.0, s
            assert b.settle_s <= s.after_open_s <= b.settle_s + b.interval_s + b.kill_s, s
            # the span closes at the last analysed frame: at most one interval before the
            # signal (as much again for a loaded machine), or a frame's read after it
            assert s.gap_s is not None and -1.0 < s.gap_s <= 2 * b.stop_gap_s, s
        exits = [s.exit_s for s in these if s.exit_s is not None]
        gaps = [s.gap_s for s in these if s.gap_s is not None]
        assert _number(r"signal to process exit: max (\S+) s, median (\S+) s$", section) == [
            f"{max(exits):.2f}",
            f"{statistics.median(exits):.2f}",
        ]
        assert _number(
            r"signal - last span end in the database: max (\S+) s, median (\S+) s "
            rf"\(bound: one sampling interval, {b.stop_gap_s:g} s\)$",
            section,
        ) == [f"{max(gaps):.2f}", f"{statistics.median(gaps):.2f}"]
        clean = f"clean stops (exit status 0, lock released, status 'stopped'): {len(these)} of"
        assert f"{clean} {len(these)}\n" in section
    assert re.search(r"^benchmark took \d+ s$", text, re.MULTILINE)
