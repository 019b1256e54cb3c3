"""A user's calibration profiles as they meet them: calibrating again, and calibrating
while a monitor runs (the monitor is the real live loop, tests/fake_camera.py feeding it
the bundled landmark stream in place of a webcam)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Optional

import pytest

from posture_guard import control, monitor, service
from posture_guard.cli import main
from tests.test_faults import _wait_for

TESTS = Path(__file__).resolve().parent
RUNNING = "note: the monitor running now"


def _calibrate(profile: str, capsys: pytest.CaptureFixture[str]) -> str:
    stream = str(monitor.demo_stream_path())  # its first 20 s are upright sitting
    assert main(["calibrate", "--landmarks", stream, "--seconds", "20", "--profile", profile]) == 0
    return capsys.readouterr().out


@pytest.fixture
def start_monitor(pg_home: Path) -> Iterator:
    """Starts `run` (profile default unless named) as its own process; each is stopped at
    the end."""
    started: list[subprocess.Popen] = []

    def start(out: Optional[IO[str]] = None, profile: Optional[str] = None) -> subprocess.Popen:
        """The monitor, its console written to ``out`` (a file) when one is given, with
        ``--profile`` when one is given."""
        env = dict(os.environ, POSTURE_GUARD_HOME=str(pg_home))
        named = ["--profile", profile] if profile else []
        proc = subprocess.Popen(
            [sys.executable, str(TESTS / "fake_camera.py"), "--landmarks", *named],
            env=env,
            stdout=out or subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(proc)

        def beating() -> bool:
            beat = control.read_heartbeat()
            return service.running_pid() == proc.pid and beat is not None and beat.pid == proc.pid

        _wait_for(beating, 60)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_calibrating_while_a_monitor_runs_says_it_goes_on_with_the_old_calibration(
    start_monitor, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The monitor reads its profile when it starts: calibrating while it runs changed
    # nothing it judged by, and nothing said so (the user took the new one to be in force).
    assert RUNNING not in _calibrate("default", capsys)  # no monitor runs: nothing to say
    (pg_home / "config" / "profiles" / "default.json").unlink()

    proc = start_monitor()  # uncalibrated: judging by population defaults
    said = _calibrate("default", capsys)
    assert f"{RUNNING} (pid {proc.pid}) goes on judging by population defaults" in said
    assert "stop it and start it again to be judged by this calibration" in said
    # another profile than the monitor's is none of its business
    assert RUNNING not in _calibrate("office", capsys)
    stop(proc)

    proc = start_monitor()  # now with the profile calibrated above
    said = _calibrate("default", capsys)
    assert (
        f"{RUNNING} (pid {proc.pid}) goes on judging by profile 'default' as it was "
        "calibrated when it started" in said
    )
    stop(proc)
    assert RUNNING not in _calibrate("default", capsys)  # stopped: nothing to say


def test_status_says_what_became_of_the_running_monitors_profile_since_it_started(
    start_monitor, pg_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The monitor reads its profile at its start. A profile restored from a backup while
    # it judged by population defaults was not in force, and a profile renamed while it
    # ran left `status` saying "profile office" as if all were well, the next start (the
    # next login) refused for want of it: `status` said neither.
    import shutil

    def status() -> list[str]:
        assert main(["status"]) == 0
        return capsys.readouterr().out.splitlines()

    profiles = pg_home / "config" / "profiles"
    _calibrate("default", capsys)
    backup = tmp_path / "default.json"
    (profiles / "default.json").rename(backup)
    proc = start_monitor()  # uncalibrated: population defaults
    assert not any(line.startswith("monitor note") for line in status())
    shutil.copy(backup, profiles / "default.json")  # the backup restored
    said = status()
    assert said[0].startswith(f"monitor: running (pid {proc.pid}, profile population")
    assert said[1] == (
        "monitor note: profile 'default' has been saved since the monitor started, which "
        "goes on judging by population defaults: stop it and start it again to be judged by it"
    )
    stop(proc)

    _calibrate("office", capsys)
    proc = start_monitor(profile="office")
    assert not any(line.startswith("monitor note") for line in status())
    _calibrate("office", capsys)  # calibrated again: it says so itself, and so does status
    assert status()[1] == (
        "monitor note: profile 'office' has been saved again since the monitor started, "
        "which goes on judging by the calibration it started with: stop it and start it "
        "again to be judged by it"
    )
    (profiles / "office.json").rename(profiles / "work.json")
    said = status()
    assert said[0].startswith(f"monitor: running (pid {proc.pid}, profile office")
    assert said[1] == (
        "monitor note: profile 'office' is no longer saved (removed or renamed since the "
        "monitor started); it goes on judging by it as it was, but started again (at login "
        "too) it is refused until `posture-guard calibrate --profile office` saves it anew"
    )
    stop(proc)
    assert not any(line.startswith("monitor note") for line in status())  # none runs


def test_autostart_enable_says_a_monitor_it_cannot_start_will_not_start(
    tmp_path: Path, pg_home: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # `run` refuses a named profile that is missing and any profile that cannot be used;
    # the note said such a monitor judged by population defaults, and none ran at login.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert main(["autostart", "enable", "--no-manager", "--profile", "office"]) == 0
    said = capsys.readouterr().out
    assert "no calibration profile 'office' yet" in said
    assert "population defaults" not in said
    assert (
        "starts at login only once you have run `posture-guard calibrate --profile office`" in said
    )

    _calibrate("office", capsys)
    assert main(["autostart", "enable", "--no-manager", "--profile", "office"]) == 0
    assert "note:" not in capsys.readouterr().out  # a usable profile: nothing to add

    profile = pg_home / "config" / "profiles" / "office.json"
    profile.write_text('{"median": {"ear_gap": 0.6', encoding="utf-8")  # cut short
    assert main(["autostart", "enable", "--no-manager", "--profile", "office"]) == 0
    said = capsys.readouterr().out
    assert "note: the monitor does not start at login while its profile cannot be used" in said
    assert f"calibration profile {profile} is unreadable" in said


def test_calibrating_a_profile_the_login_entry_does_not_start_says_which_one_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The login entry started `run --profile office`; a bare `posture-guard calibrate`
    # saved 'default', and the monitor went on at every login with office's calibration
    # without a word: the user took the new calibration to be in force.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert "started at login" not in _calibrate("default", capsys)  # no login entry
    _calibrate("office", capsys)
    assert main(["autostart", "enable", "--no-manager", "--profile", "office"]) == 0
    entry = capsys.readouterr().out.split(": ", 1)[1].split()[0]  # "autostart enabled (...): F"
    said = _calibrate("default", capsys)
    assert said.endswith(
        f"note: the monitor started at login judges by profile 'office', not this one "
        f"({entry}): `posture-guard calibrate --profile office` calibrates that one; "
        "`posture-guard autostart enable` starts it with this one\n"
    )
    assert "`posture-guard autostart enable --profile home` starts" in _calibrate("home", capsys)
    assert "started at login" not in _calibrate("office", capsys)  # the one it starts


def test_calibrating_a_profile_again_says_which_calibration_it_replaces(
    pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One profile per desk setup: a calibration at home without --profile replaced the
    # office's 'default' without a word ("saved profile 'default'", as for a new one).
    stream = str(monitor.demo_stream_path())  # 20 s upright, then the 15 s slouch
    argv = ["calibrate", "--landmarks", stream, "--seconds", "20", "--slouch-seconds", "15"]
    assert main(argv) == 0
    assert "in place of" not in capsys.readouterr().out  # a new profile replaces nothing
    profile = pg_home / "config" / "profiles" / "default.json"
    when = datetime.fromtimestamp(profile.stat().st_mtime).strftime("%Y-%m-%d %H:%M")

    said = _calibrate("default", capsys)  # upright only, this time
    assert f"  in place of the one calibrated {when} from {stream}, with the slouch step\n" in said
    again = _calibrate("default", capsys)
    assert "in place of the one calibrated" in again and "upright only\n" in again

    profile.write_text("{", encoding="utf-8")
    assert "  in place of a damaged one, which could not be read\n" in _calibrate("default", capsys)
    assert "in place of" not in _calibrate("office", capsys)


@pytest.mark.parametrize("key", ["face_width", "ear_gap", "ear_width"])
def test_a_size_no_frame_can_measure_is_named_not_a_crash(
    key: str, pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A face_width of 1e17 (a hand edit, a damaged digit) made each frame's change in face
    # size exactly -100 %: "internal error (ZeroDivisionError ...)" at the first frame
    # judged, the live monitor gone with it.
    import json

    _calibrate("default", capsys)
    profile = pg_home / "config" / "profiles" / "default.json"
    data = json.loads(profile.read_text(encoding="utf-8"))
    data["median"][key] = 1e17
    profile.write_text(json.dumps(data), encoding="utf-8")
    stream = str(monitor.demo_stream_path())
    assert main(["replay", "--landmarks", stream, "--profile", "default", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"posture-guard: calibration profile {profile}: {key} 1e+17 is more shoulder widths "
        "than any frame can measure (at most 10000); recalibrate\n"
    )


def test_calibrating_from_the_camera_a_running_monitor_holds_says_how_to_free_it(
    start_monitor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A monitor started at login holds the webcam; calibrate was told "no camera could be
    # opened ... On a machine without a camera, ...". (Here no real camera exists, so the
    # camera cannot open while the monitor has its stand-in in use, as a busy one fails.)
    from posture_guard.capture import no_camera_on_this_machine

    if not no_camera_on_this_machine():
        pytest.skip("this machine has a camera device (or is not Linux)")

    def camera_is(what: str, pid: int):
        def check() -> bool:
            st = service.read_service_status()
            return st is not None and st.pid == pid and st.camera == what

        return check

    proc = start_monitor()
    _wait_for(camera_is("in use", proc.pid), 60)
    assert main(["calibrate", "--no-preview"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"posture-guard: camera 0 could not be opened, and the monitor running now (pid "
        f"{proc.pid}) has a camera in use: `posture-guard pause` makes it let go of it; "
        "calibrate then, and `posture-guard resume` after\n"
    )
    out = tmp_path / "rec.jsonl"
    assert main(["record", "--landmarks-out", str(out), "--seconds", "1"]) == 2
    assert "; record then, and `posture-guard resume` after" in capsys.readouterr().err

    assert main(["pause"]) == 0
    _wait_for(camera_is("released", proc.pid), 60)
    assert main(["calibrate", "--no-preview"]) == 2  # let go: the camera is missing, truly
    assert "On a machine without a camera" in capsys.readouterr().err
    stop(proc)


def test_autostart_enable_says_the_profile_was_saved_by_an_older_version(
    tmp_path: Path, pg_home: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # The monitor started at login says so at its start, where nobody reads it; enable
    # said nothing, as of a profile of this version.
    import json

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    _calibrate("desk", capsys)
    profile = pg_home / "config" / "profiles" / "desk.json"
    data = json.loads(profile.read_text(encoding="utf-8"))
    data["format"] = 1  # as versions before 2026-11-29 wrote it, without the seen ears
    for key in ("ear_gap_seen", "pitch_ears", "pitch_mouth"):
        data["median"].pop(key, None)
        data["spread"].pop(key, None)
    profile.write_text(json.dumps(data), encoding="utf-8")
    assert main(["autostart", "enable", "--no-manager", "--profile", "desk"]) == 0
    said = capsys.readouterr().out
    assert "note: calibration profile 'desk' was saved by an older posture_guard" in said
    assert "`posture-guard calibrate --profile desk`" in said


def test_a_profile_calibrated_on_another_computer_is_said_at_the_monitors_start(
    video: Path,
    start_monitor,
    tmp_path: Path,
    pg_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Moving to a new laptop, a user copies the config folder, profiles and all: the
    # monitor judged by the old laptop's camera, placed otherwise, without a word.
    import itertools
    import json
    import platform

    from tests.fake_camera import CameraWorld, FakeCamera

    ticks = itertools.count()
    world = CameraWorld(lambda: next(ticks) * 0.1, 0.0)  # a 10 fps camera
    monkeypatch.setattr(monitor, "open_source", lambda *a, **k: FakeCamera(video, world))
    assert main(["calibrate", "--seconds", "4", "--slouch-seconds", "0", "--no-preview"]) == 0
    profile = pg_home / "config" / "profiles" / "default.json"
    data = json.loads(profile.read_text(encoding="utf-8"))
    here = platform.node()
    assert here and data["note"] == f"calibrated from webcam:0 on {here}"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert main(["autostart", "enable", "--no-manager"]) == 0
    assert "another computer" not in capsys.readouterr().out  # calibrated here: nothing

    data["note"] = "calibrated from webcam:0 on old-laptop"  # as the old laptop saved it
    profile.write_text(json.dumps(data), encoding="utf-8")
    said = (
        "note: calibration profile 'default' was calibrated from the camera of another "
        f"computer (old-laptop; this one is {here}); another camera, placed otherwise, sees "
        "your upright posture otherwise, so posture may be misjudged here: calibrate at "
        "this desk, `posture-guard calibrate`\n"
    )
    assert main(["autostart", "status", "--no-manager"]) == 0
    assert said in capsys.readouterr().out
    with open(tmp_path / "run.out", "w", encoding="utf-8") as out:
        stop(start_monitor(out))
    assert said in (tmp_path / "run.out").read_text(encoding="utf-8")


def test_a_folder_where_the_profile_goes_is_refused_before_the_capture(
    pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The user sat through the steps, and then read "PROFILES/.default.json.x3f9.tmp ->
    # PROFILES/default.json: Is a directory", a temporary file's name
    profile = pg_home / "config" / "profiles" / "default.json"
    profile.mkdir(parents=True)
    stream = str(monitor.demo_stream_path())
    assert main(["calibrate", "--landmarks", stream, "--seconds", "20"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"posture-guard: calibration profile {profile} is a folder, not a file; move it away "
        "(profile 'default' was not calibrated)\n"
    )
    assert "saved profile" not in captured.out and profile.is_dir()


def test_a_file_where_the_profiles_folder_goes_is_named(
    pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # it read "PROFILES: File exists"
    folder = pg_home / "config" / "profiles"
    folder.parent.mkdir(parents=True)
    folder.write_text("not a folder", encoding="utf-8")
    stream = str(monitor.demo_stream_path())
    assert main(["calibrate", "--landmarks", stream, "--seconds", "20"]) == 2
    assert capsys.readouterr().err == (
        f"posture-guard: {folder}: a file where posture-guard needs a folder (for its "
        f"calibration profiles: {folder})\n"
    )


def test_a_profiles_folder_linked_to_a_folder_not_there_is_named_as_a_link(
    pg_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The profiles kept elsewhere and linked here, the link leading to the old computer's
    # path after a move: it read "a file where posture-guard needs a folder", and no
    # file was there.
    folder = pg_home / "config" / "profiles"
    folder.parent.mkdir(parents=True)
    gone = tmp_path / "old-home" / "profiles"
    folder.symlink_to(gone, target_is_directory=True)
    stream = str(monitor.demo_stream_path())
    assert main(["calibrate", "--landmarks", stream, "--seconds", "20"]) == 2
    assert capsys.readouterr().err == (
        f"posture-guard: {folder}: a link to {gone}, which is not there, where posture-guard "
        f"needs a folder (for its calibration profiles: {folder}); a drive not mounted, or a "
        "folder moved? mount or restore it, or mend the link\n"
    )


def test_a_profile_a_full_disk_stops_is_named_and_the_one_before_it_kept(
    pg_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A full disk read "posture-guard: File too large", naming no file, and nothing said
    # that the calibration was lost or which profile still held
    from tests.cut_short import run_cut_short

    _calibrate("default", capsys)
    profile = pg_home / "config" / "profiles" / "default.json"
    before = profile.read_bytes()
    stream = str(monitor.demo_stream_path())
    argv = ["calibrate", "--landmarks", stream, "--seconds", "20", "--slouch-seconds", "15"]
    done = run_cut_short(argv, 100, pg_home)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "posture-guard: calibration not saved (profile 'default' unchanged): cannot write "
        f"{profile}: File too large\n"
    )
    assert profile.read_bytes() == before
    assert [p.name for p in profile.parent.iterdir()] == ["default.json"]
