"""Calibrating from a camera: the prompts, the slouch step, and what the profile keeps.

The camera is the stand-in (tests/fake_camera.py plays a real upright video through
OpenCV); MediaPipe and the profile file are real. The person in the clip never slouches,
which is the case a real user gets wrong most easily: the slouch step must say so and
keep the upright baseline.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import pytest

from posture_guard import monitor
from posture_guard.cli import main

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))
from fake_camera import CameraWorld, FakeCamera  # noqa: E402


def test_camera_calibration_prompts_for_the_slouch_and_keeps_upright_when_there_is_none(
    video: Path, pg_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    ticks = itertools.count()
    clock = lambda: next(ticks) * 0.1  # noqa: E731  (a 10 fps camera: each read is 0.1 s on)
    world = CameraWorld(clock, 0.0)
    monkeypatch.setattr(
        monitor,
        "open_source",
        lambda video_, camera, still_s=10.0, command="run": FakeCamera(video, world),
    )
    args = ["calibrate", "--seconds", "4", "--slouch-seconds", "10", "--no-preview"]
    assert main([*args, "--profile", "laptop"]) == 0
    out = capsys.readouterr().out
    prompts = ["Sit upright as you mean to sit", "Now let your head drift forward",
               "slouch step not used: the slouch looked like your upright posture",
               "Thank you: sit up again", "saved profile 'laptop'"]  # fmt: skip
    positions = [out.find(p) for p in prompts]
    assert -1 not in positions and positions == sorted(positions), out
    data = json.loads((pg_home / "config" / "profiles" / "laptop.json").read_text())
    assert "slouch" not in data and data["samples"] >= 30
    # The camera was read through both steps (14 s at 10 fps), and released.
    assert len(world.reads) >= 140 and world.open_now == 0


class _TimedOut:
    """Standard output that notes how many frames the camera had given at each write."""

    def __init__(self, world: CameraWorld) -> None:
        self.world = world
        self.writes: list[tuple[int, str]] = []

    def write(self, text: str) -> int:
        self.writes.append((len(self.world.reads), text))
        return len(text)

    def flush(self) -> None:
        pass


def test_the_slouch_prompt_comes_when_the_upright_part_has_been_recorded(
    video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prompt counted from the moment the camera opened, the recording from its first
    frame: after a slow start (loading the model, trying the display) the user was told
    to slouch while the upright baseline was still being recorded."""
    times = itertools.chain([0.0], (3.0 + 0.1 * i for i in itertools.count()))
    world = CameraWorld(lambda: next(times), 0.0)  # opened at 0 s, first frame at 3 s
    monkeypatch.setattr(
        monitor,
        "open_source",
        lambda video_, camera, still_s=10.0, command="run": FakeCamera(video, world),
    )
    out = _TimedOut(world)
    monkeypatch.setattr(sys, "stdout", out)
    args = ["calibrate", "--seconds", "4", "--slouch-seconds", "10", "--no-preview"]
    assert main([*args, "--profile", "p"]) == 0
    [frames] = [n for n, text in out.writes if text.startswith("Now let your head drift")]
    # 4 s of frames at 10 a second after the first one: 41 frames read, not 11
    assert 41 <= frames <= 42, frames


def test_record_seconds_counts_from_the_first_frame(
    video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """`record --seconds 2` counted from the moment the camera opened: with the model
    loading for 3 s meanwhile, it stopped at the first frame and recorded nothing."""
    times = itertools.chain([0.0], (3.0 + 0.1 * i for i in itertools.count()))
    world = CameraWorld(lambda: next(times), 0.0)  # opened at 0 s, first frame at 3 s
    monkeypatch.setattr(
        monitor,
        "open_source",
        lambda video_, camera, still_s=10.0, command="run": FakeCamera(video, world),
    )
    out = tmp_path / "two-seconds.jsonl"
    assert main(["record", "--landmarks-out", str(out), "--seconds", "2"]) == 0
    _, samples = monitor.open_landmarks(out)
    t = [s.t for s in samples]
    assert len(t) == 21 and t[-1] - t[0] == pytest.approx(2.0)  # 10 frames a second
    assert "recorded 21 samples" in capsys.readouterr().out


# --------------------------------------------------------------------------- profile names
@pytest.mark.parametrize("name", [".hidden", "-dash", "_under"])
def test_a_name_starting_with_a_symbol_is_refused_saying_so(name, capsys) -> None:
    """The message listed '.' as allowed while refusing '.hidden' for its first character."""
    assert main(["calibrate", "--landmarks", "missing.jsonl", f"--profile={name}"]) == 2
    err = capsys.readouterr().err
    assert f"profile name {name!r} is not allowed" in err
    assert "starting with a letter or digit" in err and "missing.jsonl" not in err


@pytest.mark.parametrize("name", ["desk\n", "desk\n\n", "a/b", "..", ""])
def test_a_name_with_a_line_break_or_a_path_is_refused(name, capsys, pg_home) -> None:
    """A name ending in a line break passed the check ('$' matches before one) and was
    saved as a file whose name held the line break, beside the real "desk" profile."""
    assert main(["calibrate", "--landmarks", "missing.jsonl", "--profile", name]) == 2
    assert f"profile name {name!r} is not allowed" in capsys.readouterr().err
    profiles = pg_home / "config" / "profiles"
    assert not profiles.exists() or list(profiles.iterdir()) == []


def test_a_name_beyond_ascii_is_refused_saying_ascii_letters(pg_home: Path) -> None:
    """'büro' was refused with "use letters, digits ...", though ü is a letter: the rule
    takes ASCII letters only (a profile's name goes into file names, the login entry's
    command line and the log, read under any locale), and the message says so. An ASCII
    name of the same kind is calibrated."""
    from tests.cli_run import posture_guard, posture_guard_ok

    stream = str(monitor.demo_stream_path())
    argv = ["calibrate", "--landmarks", stream, "--seconds", "20", "--profile"]
    done = posture_guard([*argv, "büro"], pg_home, capture_output=True)
    assert done.returncode == 2
    assert done.stderr == (
        "posture-guard: profile name 'büro' is not allowed: use ASCII letters (a-z, A-Z), "
        "digits, '.', '_' or '-', starting with a letter or digit (at most 64 characters)\n"
    )
    profiles = pg_home / "config" / "profiles"
    assert not profiles.exists() or list(profiles.iterdir()) == []
    posture_guard_ok([*argv, "Buero-2.desk"], pg_home)
    assert (profiles / "Buero-2.desk.json").is_file()


@pytest.mark.parametrize("name", ["Population", "POPULATION", "population"])
def test_the_reserved_name_is_refused_in_any_case(name, capsys, pg_home) -> None:
    """'Population' was accepted beside the reserved 'population' (the same file on a
    case-insensitive file system, and the same word in every report)."""
    assert main(["calibrate", "--landmarks", "missing.jsonl", "--profile", name]) == 2
    assert f"profile name {name!r} is reserved" in capsys.readouterr().err
    assert not (pg_home / "config" / "profiles" / f"{name}.json").exists()


# --------------------------------------------------------------------------- a camera that vanishes
def test_a_camera_vanishing_mid_record_says_the_samples_so_far_are_kept(
    video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """The user read only "camera 0 stopped giving frames", with nothing on the recording
    they had been making: whether it survived was theirs to find out."""
    ticks = itertools.count()
    world = CameraWorld(lambda: next(ticks) * 0.1, 0.0, gone=[(3.0, 1e9)])
    monkeypatch.setattr(
        monitor,
        "open_source",
        lambda video_, camera, still_s=10.0, command="run": FakeCamera(video, world),
    )
    out = tmp_path / "desk.jsonl"
    assert main(["record", "--landmarks-out", str(out)]) == 2
    err = capsys.readouterr().err
    header, samples = monitor.open_landmarks(out)
    n = len(list(samples))
    assert n >= 20 and world.open_now == 0
    assert err.count("\n") == 1 and "stopped giving frames" in err
    assert f"the {n} samples recorded before it are kept in {out}" in err


def test_a_camera_vanishing_mid_calibration_keeps_the_profile_there_was(
    video: Path, pg_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    profile = pg_home / "config" / "profiles" / "desk.json"
    profile.parent.mkdir(parents=True)
    profile.write_text("the profile from last week\n")
    ticks = itertools.count()
    world = CameraWorld(lambda: next(ticks) * 0.1, 0.0, gone=[(2.0, 1e9)])
    monkeypatch.setattr(
        monitor,
        "open_source",
        lambda video_, camera, still_s=10.0, command="run": FakeCamera(video, world),
    )
    assert main(["calibrate", "--no-preview", "--profile", "desk"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stopped giving frames" in err
    assert "profile 'desk' was not changed" in err
    assert profile.read_text() == "the profile from last week\n" and world.open_now == 0
