"""Each frame of a recorded video is timed as its container states: a phone or a screen
recorder writes frames at a variable rate and states the average as its frame rate, and
frames timed by that average put every state change, span and calibration window at the
wrong time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from posture_guard import capture
from posture_guard.capture import VideoFileSource
from tests.video_files import write_video

# a sitter in view for 6 s, filmed at 30 fps, then an empty chair for 24 s that the
# recorder, seeing nothing change, wrote once a second: 205 frames in 30 s, stated as 7.3 fps
SAT_THEN_LEFT = [(i / 30, True) for i in range(180)] + [(6.0 + i, False) for i in range(25)]


@pytest.fixture(scope="module")
def sat_then_left(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from matplotlib import cbook

    portrait = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    clip = tmp_path_factory.mktemp("vfr") / "phone.mp4"
    return write_video(clip, portrait, SAT_THEN_LEFT)


def _posture_guard(*argv: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "POSTURE_GUARD_HOME": str(home), "HOME": str(home)}
    env["PYTHONPATH"] = str(Path(capture.__file__).resolve().parents[1])  # the code under test
    return subprocess.run(
        [sys.executable, "-m", "posture_guard", *argv],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _frame_times(path: Path) -> tuple[list[float], VideoFileSource]:
    """Every frame's time, ``path`` read to its end, and the source (closed) for what it
    says after: its stated rate, its last time, its damage note."""
    source = VideoFileSource(path)
    try:
        times = []
        while (frame := source.read()) is not None:
            times.append(frame.t)
    finally:
        source.close()
    return times, source


def test_a_variable_rate_video_gives_each_frame_the_time_its_container_states(
    sat_then_left: Path,
) -> None:
    times, source = _frame_times(sat_then_left)
    assert source.fps == pytest.approx(205 / 28.1, rel=0.01)  # the average, as stated
    # frame 181, the first of the empty chair, was timed at 180 / 7.3 = 24.7 s
    assert times == pytest.approx([t for t, _ in SAT_THEN_LEFT], abs=1e-6)
    assert source.last_t == pytest.approx(30.0)
    assert source.damage() is None


def test_skipping_a_variable_rate_video_stops_at_the_frame_its_container_times_there(
    sat_then_left: Path,
) -> None:
    """The sampling policy skips to a time: the frames before it are dropped by their own
    times, and the frame at it is the next one read."""
    source = VideoFileSource(sat_then_left)
    try:
        assert source.skip_until(5.0) == 150
        assert source.read().t == pytest.approx(5.0)
        assert source.skip_until(9.5) == 29 + 4  # the rest of the sitter, 6 s to 9 s
        assert source.read().t == pytest.approx(10.0)
    finally:
        source.close()


def test_replay_of_a_variable_rate_video_times_the_sitter_leaving_when_it_happened(
    sat_then_left: Path, tmp_path: Path
) -> None:
    states = tmp_path / "states.jsonl"
    argv = ["replay", "--video", str(sat_then_left), "--all-frames", "--states-out", str(states)]
    done = _posture_guard(*argv, home=tmp_path / "home")
    assert done.returncode == 0, done.stderr[-2000:]
    changes = [json.loads(line) for line in states.read_text().splitlines()]
    assert [c["state"] for c in changes] == ["good", "absent"]
    # the chair is empty from 6 s; absent is said once it has stayed empty a few frames
    # (main said 27.14 s: the frames of the empty chair counted at 7.3 fps)
    assert 6.0 < changes[1]["t"] <= 10.0
    assert "monitored 00:00:30" in done.stdout
    good = next(line for line in done.stdout.splitlines() if line.strip().startswith("good"))
    assert good.split()[1] in {"00:00:07", "00:00:08", "00:00:09", "00:00:10"}, done.stdout
    assert "note:" not in done.stdout.replace("note: no calibration profile", "")


def test_record_of_a_variable_rate_video_stamps_each_sample_with_its_frame_time(
    sat_then_left: Path, tmp_path: Path
) -> None:
    rec = tmp_path / "rec.jsonl"
    argv = ["record", "--video", str(sat_then_left), "--landmarks-out", str(rec)]
    done = _posture_guard(*argv, home=tmp_path / "home")
    assert done.returncode == 0, done.stderr[-2000:]
    samples = [json.loads(line) for line in rec.read_text().splitlines()[1:]]
    assert [s["t"] for s in samples] == pytest.approx([t for t, _ in SAT_THEN_LEFT], abs=1e-3)
    assert all(s["landmarks"] is None for s in samples[180:])  # the empty chair


def test_recordings_joined_end_to_end_go_on_at_the_stated_rate_saying_so(
    tmp_path: Path,
) -> None:
    """Two MPEG-TS recordings joined with `cat`: the second one's times start again from
    its own beginning. Its frames are timed on from the first's, at the stated rate, and
    the note names where the times went wrong (they were by the frame count throughout,
    and nothing was said)."""
    from matplotlib import cbook

    portrait = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    parts = []
    for name in ("a.ts", "b.ts"):
        frames = [(i / 10, True) for i in range(30)]
        parts.append(write_video(tmp_path / name, portrait, frames, format="mpegts", rate=10))
    joined = tmp_path / "joined.ts"
    joined.write_bytes(b"".join(part.read_bytes() for part in parts))
    times, source = _frame_times(joined)
    note = source.damage()
    assert times == pytest.approx([i / 10 for i in range(60)], abs=1e-6)
    assert note is not None and note.startswith(f"{joined} is damaged: 30 of its frames")
    assert "from frame 31 state no time, or one going back or over 100 s on" in note
    assert "timed one frame at its stated 10 fps after the frame before" in note


def test_a_constant_rate_clip_keeps_the_times_it_always_had(shared_media: Path) -> None:
    """Its container's times, in its own time base, differ from index / rate in their
    last digits: the replay of it keeps the very times (and so the same frames sampled)."""
    times, _ = _frame_times(shared_media / "frontal_upright_woman_mediapipe_samples.mp4")
    assert len(times) == 195
    assert times == [i / 25.0 for i in range(195)]  # exactly


def test_a_gif_is_timed_by_the_delays_it_states_for_its_frames(shared_media: Path) -> None:
    """A GIF states a delay for each frame: the Intel clips show frames for 80 and 90 ms in
    turn, stated as 12 fps on average."""
    from PIL import Image

    path = shared_media / "frontal_upright_man_intel.gif"
    with Image.open(path) as gif:
        delays = []
        for i in range(gif.n_frames):
            gif.seek(i)
            delays.append(gif.info["duration"] / 1000)
    assert set(delays) == {0.08, 0.09}
    starts = [sum(delays[:i]) for i in range(len(delays))]
    times, _ = _frame_times(path)
    assert times == pytest.approx(starts, abs=1e-6)  # frame 62 was at 5.083 s, not 5.08


def test_a_frame_stated_more_than_100_s_on_is_timed_at_the_stated_rate_saying_so(
    tmp_path: Path,
) -> None:
    """A time stamp that jumps ahead (a live stream's reset) is none a frame can hold: a
    frame a 100 s is the slowest rate believed."""
    from matplotlib import cbook

    portrait = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    frames = [(i / 10, True) for i in range(30)] + [(3000 + i / 10, True) for i in range(30)]
    # MPEG-4 part 2, no B-frames: H.264's came out of OpenCV out of order across the jump
    clip = write_video(tmp_path / "jump.mp4", portrait, frames, codec="mpeg4")
    times, source = _frame_times(clip)
    note = source.damage()
    step = 1 / source.fps
    assert times[:30] == pytest.approx([i / 10 for i in range(30)], abs=1e-6)
    assert times[30:] == pytest.approx([2.9 + i * step for i in range(1, 31)], abs=1e-6)
    assert note is not None and "30 of its frames from frame 31 state no time" in note


def _gif(folder: Path, pictures: int) -> Path:
    """The portrait saved as a GIF of ``pictures`` frames 2 s apart (one: a photo saved as
    GIF)."""
    from matplotlib import cbook
    from PIL import Image, ImageOps

    portrait = Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    frames = [portrait] + [ImageOps.mirror(portrait) for _ in range(pictures - 1)]
    gif = folder / f"portrait{pictures}.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=2000)
    return gif


def test_a_gif_of_two_pictures_2_s_apart_lasts_2_s(tmp_path: Path) -> None:
    """OpenCV states it as 2 frames at 100 fps (the GIF's time base): the second frame was
    timed at 0.01 s, and the length the file states is no bound on its times."""
    gif = _gif(tmp_path, 2)
    done = _posture_guard("replay", "--video", str(gif), "--all-frames", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "monitored 00:00:02; analysed 2 of 2 frames" in done.stdout
    assert "note:" not in done.stdout.replace("note: no calibration profile", "")


def test_a_gif_of_one_picture_is_held_still_as_a_photo_is(tmp_path: Path) -> None:
    """It was a clip of one frame: "monitored 00:00:00", and calibrating on it was refused
    as "the input holds only 0.0 s"."""
    gif = _gif(tmp_path, 1)
    done = _posture_guard("replay", "--video", str(gif), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "monitored 00:00:10; analysed" in done.stdout and "of 20 frames" in done.stdout
    argv = ["calibrate", "--video", str(gif), "--seconds", "4", "--no-preview"]
    done = _posture_guard(*argv, home=tmp_path / "home")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "saved profile 'default'" in done.stdout
    from matplotlib import cbook

    photo = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    for picture, rec in ((gif, tmp_path / "gif.jsonl"), (photo, tmp_path / "photo.jsonl")):
        argv = ["record", "--video", str(picture), "--landmarks-out", str(rec), "--seconds", "3"]
        done = _posture_guard(*argv, home=tmp_path / "home")
        assert done.returncode == 0, done.stderr[-2000:]
    # held 3 s as the photo is: samples 0.5 s apart
    times = [[json.loads(line)["t"] for line in rec.read_text().splitlines()[1:]] for rec in
             (tmp_path / "gif.jsonl", tmp_path / "photo.jsonl")]  # fmt: skip
    assert times[0] == times[1] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]


def test_calibrating_on_a_clip_that_states_too_short_a_length_is_refused_before_decoding(
    tmp_path: Path, pg_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A 3 s clip (30 frames at 10 fps, as its container states) for the default 20 s:
    the whole clip was decoded and the pose model run on each frame before the refusal.
    Its stated length refuses it at once, in the same words, the model never loaded."""
    from matplotlib import cbook

    from posture_guard import cli, pose

    portrait = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    clip = write_video(tmp_path / "short.mp4", portrait, [(i / 10, True) for i in range(30)])
    loaded: list[bool] = []

    class NoModel:
        def __init__(self, *a: object, **kw: object) -> None:
            loaded.append(True)
            raise RuntimeError("the pose model was loaded for a clip too short to calibrate on")

    monkeypatch.setattr(pose, "MediaPipePose", NoModel)
    assert cli.main(["calibrate", "--video", str(clip), "--no-preview"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("posture-guard: the input holds only 2.9 s but calibration asks for")
    assert err.count("\n") == 1 and not loaded
    assert not (pg_home / "config" / "profiles" / "default.json").exists()


def test_a_replay_into_a_database_without_start_ends_a_variable_rate_video_now(
    sat_then_left: Path,
) -> None:
    """A replay with --db and no --start logs the video as ending now, its length taken
    as (stated frames - 1) / stated rate: 204 / 7.3 fps = 27.96 s for a clip whose last
    frame is at 30 s, logged up to 2 s after now. Its length is its last frame's time."""
    from datetime import datetime

    from posture_guard.monitor import start_ending_now, video_span

    times, _ = _frame_times(sat_then_left)
    span = video_span(str(sat_then_left), count=True)
    assert span == (0.0, pytest.approx(times[-1], abs=1e-6))  # the last frame's own time
    before = datetime.now().timestamp()
    start = datetime.fromisoformat(start_ending_now(span)).timestamp()
    assert before - 1.0 <= start + times[-1] <= datetime.now().timestamp()


def test_a_clips_length_is_its_last_frames_time(tmp_path: Path) -> None:
    """30 frames 0.1 s apart: the container states 10.23 fps (30 frames in 2.93 s, the last
    shown for 0.1 s), so (frames - 1) / rate made it 2.84 s; its last frame is at 2.9 s."""
    from matplotlib import cbook

    portrait = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    clip = write_video(tmp_path / "even.mp4", portrait, [(i / 10, True) for i in range(30)])
    times, source = _frame_times(clip)
    assert source.duration == pytest.approx(times[-1], abs=1e-6) == 2.9
