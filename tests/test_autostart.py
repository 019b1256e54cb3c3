"""Autostart files for every platform: generated, checked by the platform's own tools where
this machine has them (systemd-analyze, desktop-file-validate), and enabled/disabled
through the real CLI into a temporary home."""

from __future__ import annotations

import configparser
import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from posture_guard import autostart, cli

ARGV = autostart.command("/opt/py env/bin/python", profile="desk 2", camera=1)


def test_command_runs_this_interpreter_with_the_chosen_profile_and_camera() -> None:
    assert autostart.command("/x/python") == [
        "/x/python", "-m", "posture_guard.cli", "run", "--wait-for-camera"
    ]  # fmt: skip
    assert ARGV[-5:-1] == ["--profile", "desk 2", "--camera", "1"]


def test_linux_with_systemd_gets_a_user_unit_in_xdg_config_home(tmp_path: Path) -> None:
    entry = autostart.plan(
        "linux", tmp_path, ARGV, {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}, True, tmp_path
    )
    assert entry.kind == "systemd"
    assert entry.path == tmp_path / "cfg" / "systemd" / "user" / "posture-guard.service"
    unit = configparser.ConfigParser(interpolation=None)
    unit.read_string(entry.content)
    # systemd splits ExecStart like a shell: the path with a space stays one word
    assert shlex.split(unit["Service"]["ExecStart"]) == ARGV
    assert unit["Service"]["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "graphical-session.target"


def test_linux_without_systemd_falls_back_to_xdg_autostart(tmp_path: Path) -> None:
    entry = autostart.plan("linux", tmp_path, ARGV, {}, False, tmp_path)
    assert entry.kind == "xdg"
    assert entry.path == tmp_path / ".config" / "autostart" / "posture-guard.desktop"
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]
    desktop.read_string(entry.content)
    section = desktop["Desktop Entry"]
    assert section["Type"] == "Application"
    assert shlex.split(section["Exec"]) == ARGV


def test_macos_gets_a_launch_agent_plist(tmp_path: Path) -> None:
    entry = autostart.plan("darwin", tmp_path, ARGV, {}, False, tmp_path / "logs")
    assert entry.path == tmp_path / "Library" / "LaunchAgents" / "org.posture-guard.monitor.plist"
    plist = plistlib.loads(entry.content.encode("utf-8"))
    assert plist["Label"] == "org.posture-guard.monitor"
    assert plist["ProgramArguments"] == ARGV
    assert plist["RunAtLoad"] is True
    assert plist["KeepAlive"] == {"SuccessfulExit": False}  # restart after a crash only


def test_the_launch_agent_discards_the_posture_lines_and_keeps_the_errors(tmp_path: Path) -> None:
    # Nothing rotates a launchd log: the posture line printed at every change went to
    # launchd.out.log for as long as the monitor ran, months of it. They are in the
    # database; the errors (why a monitor did not start) still go to a file in the log
    # folder, beside the rotating posture-guard.log.
    entry = autostart.plan("darwin", tmp_path, ARGV, {}, False, tmp_path / "logs")
    plist = plistlib.loads(entry.content.encode("utf-8"))
    assert plist["StandardOutPath"] == "/dev/null"
    assert plist["StandardErrorPath"] == str(tmp_path / "logs" / "launchd.err.log")


def test_windows_gets_a_startup_folder_entry_using_pythonw(tmp_path: Path) -> None:
    argv = autostart.command(r"C:\Users\A B\venv\Scripts\python.exe")
    entry = autostart.plan(
        "win32", tmp_path, argv, {"APPDATA": r"C:\Users\A B\AppData\Roaming"}, False, tmp_path
    )
    assert entry.path.name == "posture-guard.cmd"
    assert "Start Menu" in str(entry.path) and "Startup" in str(entry.path)
    assert r'"C:\Users\A B\venv\Scripts\pythonw.exe" -m posture_guard.cli run' in entry.content
    assert entry.content.endswith("\r\n")


def test_unknown_platform_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(autostart.UserError, match="not supported"):
        autostart.plan("plan9", tmp_path, ARGV, {}, False, tmp_path)


def _systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze (Debian package systemd) is not installed")
    return tool


def _verify_unit(tool: str, tmp_path: Path, python: str) -> None:
    """``systemd-analyze verify`` finds nothing wrong with the unit that starts ``python``."""
    entry = autostart.plan("linux", tmp_path, autostart.command(python), {}, True, tmp_path)
    unit = tmp_path / "posture-guard.service"
    unit.write_text(entry.content, encoding="utf-8")
    done = subprocess.run(
        [tool, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    # only complaints about this unit count (a container lacks parts of the system)
    problems = [line for line in done.stderr.splitlines() if "posture-guard.service" in line]
    assert not problems, done.stderr


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    tool = _systemd_analyze()
    _verify_unit(tool, tmp_path, sys.executable)
    # and the tool does catch a broken unit, so the check above means something
    bad = tmp_path / "broken.service"
    bad.write_text("[Service]\nExecStart=relative/path run\n", encoding="utf-8")
    done = subprocess.run(
        [tool, "verify", "--man=no", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 or "broken.service" in done.stderr


def _monitor_exit(tmp_path: Path, environment: dict[str, str]) -> tuple[int, str]:
    """The exit status and stderr of the real monitor (`run`) started as a login entry
    starts it, with ``environment`` added, in this test's own homes."""
    env = dict(os.environ, HOME=str(tmp_path / "home"), **environment)
    done = subprocess.run(
        [sys.executable, "-m", "posture_guard.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    return done.returncode, done.stderr


def _no_webcam_here() -> None:
    from posture_guard.capture import no_camera_on_this_machine

    if not no_camera_on_this_machine():
        pytest.skip("this machine has a camera device (or is not Linux)")


def _refuse_for_good() -> None:
    """A config the monitor refuses to start with, until the user mends it."""
    from posture_guard import paths

    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text('[coach]\nquiet_hours = "late"\n', encoding="utf-8")


def test_the_systemd_unit_restarts_a_monitor_with_no_webcam_yet_not_one_refused_for_good(
    tmp_path: Path,
) -> None:
    # Every refused start exited 2, and Restart=on-failure started a monitor whose profile
    # was not calibrated (or whose config was broken) again every 30 s all session long;
    # no webcam at login (a USB camera, a dock plugged in later) is the refusal where a
    # restart helps. The unit's rules against the real monitor's exit statuses:
    _no_webcam_here()
    unit = configparser.ConfigParser(interpolation=None)
    unit.read_string(autostart.plan("linux", tmp_path, ARGV, {}, True, tmp_path).content)
    assert unit["Service"]["Restart"] == "on-failure"  # any non-zero exit, but these:
    prevented = {int(x) for x in unit["Service"]["RestartPreventExitStatus"].split()}

    status, err = _monitor_exit(tmp_path, {})
    assert "no camera could be opened" in err
    assert status != 0 and status not in prevented  # restarted 30 s later

    _refuse_for_good()
    status, err = _monitor_exit(tmp_path, {})
    assert "quiet_hours" in err
    assert status != 0 and status in prevented  # failed, and left so


def test_the_launch_agent_restarts_a_monitor_with_no_webcam_yet_not_one_refused_for_good(
    tmp_path: Path,
) -> None:
    # launchd tells exits apart only as zero or not: KeepAlive SuccessfulExit=false
    # restarted the refused monitor every 10 s. The agent's environment makes that one 0.
    _no_webcam_here()
    plist = plistlib.loads(
        autostart.plan("darwin", tmp_path, ARGV, {}, False, tmp_path).content.encode("utf-8")
    )
    assert plist["KeepAlive"] == {"SuccessfulExit": False}  # restarted unless it exits 0
    environment = plist.get("EnvironmentVariables", {})

    status, err = _monitor_exit(tmp_path, environment)
    assert "no camera could be opened" in err and status != 0

    _refuse_for_good()
    status, err = _monitor_exit(tmp_path, environment)
    assert len(err.splitlines()) == 1 and "quiet_hours" in err  # said, in launchd.err.log
    assert status == 0
    # started by hand, the same refusal is still an error
    assert _monitor_exit(tmp_path, {})[0] == 2


def test_desktop_file_validate_accepts_the_xdg_entry(tmp_path: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate (Debian package desktop-file-utils) is not installed")
    entry = autostart.plan("linux", tmp_path, ARGV, {}, False, tmp_path)
    path = tmp_path / "posture-guard.desktop"
    path.write_text(entry.content, encoding="utf-8")
    done = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_enable_status_disable_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    entry = autostart.current_entry()
    assert str(entry.path).startswith(str(tmp_path / "home"))

    assert cli.main(["autostart", "status"]) == 0
    assert "autostart: off" in capsys.readouterr().out
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    assert entry.path.read_text(encoding="utf-8") == entry.content
    said = capsys.readouterr().out
    assert str(entry.path) in said
    # Not calibrated yet: the monitor it starts would miss most forward heads, so say so.
    assert "no calibration profile 'default' yet" in said and "posture-guard calibrate`" in said
    from calibration.baseline import save_profile
    from posture_guard.classify import Baseline

    save_profile("default", Baseline(median={"eye_gap": 0.5}, samples=100))
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    assert "no calibration profile" not in capsys.readouterr().out
    # a mistyped profile is enabled as asked, the note naming the profiles saved
    assert cli.main(["autostart", "enable", "--no-manager", "--profile", "defualt"]) == 0
    said = capsys.readouterr().out
    assert "no calibration profile 'defualt' yet (saved: 'default';" in said
    # A name no profile may have is refused before anything is written.
    assert cli.main(["autostart", "enable", "--no-manager", "--profile", "population"]) == 2
    assert "reserved" in capsys.readouterr().err
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    assert f"autostart: on ({entry.kind})" in capsys.readouterr().out

    entry.path.write_text(entry.content + "# edited\n", encoding="utf-8")
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    assert "differs" in capsys.readouterr().out

    assert cli.main(["autostart", "disable", "--no-manager"]) == 0
    assert not entry.path.exists()
    assert cli.main(["autostart", "disable", "--no-manager"]) == 0
    assert "was not enabled" in capsys.readouterr().out


def test_enable_into_an_unwritable_place_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".config").write_text("a file where a folder should be", encoding="utf-8")
    (home / "Library").write_text("a file where a folder should be", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("APPDATA", str(home / ".config"))
    assert cli.main(["autostart", "enable", "--no-manager"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write the autostart file" in err[0]


def test_a_negative_camera_index_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert cli.main(["autostart", "enable", "--no-manager", "--camera", "-1"]) == 2
    err = capsys.readouterr().err
    assert "--camera -1 is not a webcam index" in err and len(err.strip().splitlines()) == 1
    assert not autostart.current_entry().path.exists()
    # nor one past any webcam's (it was written into the login entry, opening none there)
    assert cli.main(["autostart", "enable", "--no-manager", "--camera", "10000"]) == 2
    err = capsys.readouterr().err
    assert "--camera 10000 is not a webcam index" in err and len(err.strip().splitlines()) == 1
    assert not autostart.current_entry().path.exists()
    assert cli.main(["autostart", "enable", "--no-manager", "--camera", "0"]) == 0


# --------------------------------------------------------------------------- odd paths
# Folder names a virtual environment may really sit in: a space, an apostrophe (O'Brien's
# projects), a double quote, a percent sign, a dollar sign, a backtick and a backslash.
ODD_FOLDERS = ["my env", "O'Brien", 'say "hi"', "100%", "$HOME", "tick`x", "back\\slash"]


def _desktop_exec_argv(value: str) -> list[str]:
    """The argv a desktop reads from an Exec value, by the Desktop Entry spec: first the
    string escapes of the key file (GLib refuses any other backslash pair), then the
    quoting (inside double quotes a backslash escapes only " ` $ and itself), then the
    field code %% (a literal percent sign)."""
    unescaped, i = "", 0
    while i < len(value):
        if value[i] == "\\":
            pair = value[i : i + 2]
            if pair not in ("\\s", "\\n", "\\t", "\\r", "\\\\"):
                raise ValueError(f"invalid escape sequence {pair!r} in the key file")
            unescaped += {"\\s": " ", "\\n": "\n", "\\t": "\t", "\\r": "\r"}.get(pair, "\\")
            i += 2
        else:
            unescaped += value[i]
            i += 1
    words: list[str] = []
    word, quoted, i = None, False, 0
    while i < len(unescaped):
        c = unescaped[i]
        if quoted:
            if c == "\\" and unescaped[i + 1 : i + 2] in ('"', "`", "$", "\\"):
                word += unescaped[i + 1]
                i += 1
            elif c == '"':
                quoted = False
            else:
                word += c
        elif c == " ":
            if word is not None:
                words.append(word)
            word = None
        elif c == '"':
            quoted, word = True, word or ""
        else:
            if c in "\t\n'\\><~|&;$*?#()`%":
                raise ValueError(f"reserved character {c!r} outside quotes")
            word = (word or "") + c
        i += 1
    if quoted:
        raise ValueError("a quote is not closed")
    if word is not None:
        words.append(word)
    return [w.replace("%%", "%") for w in words]


def _systemd_exec(value: str) -> list[str]:
    """What systemd runs for an ExecStart value: words split and unquoted (C escapes in
    double quotes), the specifier %% resolved; the first word is the program, which
    systemd refuses when it holds a quote or a backslash, and every argv word then has
    its $VARIABLES replaced ($$ is a literal dollar sign), argv[0] included."""
    words: list[str] = []
    word, quoted, i = None, False, 0
    while i < len(value):
        c = value[i]
        if quoted and c == "\\":
            word += value[i + 1]
            i += 1
        elif c == '"':
            quoted, word = not quoted, word or ""
        elif c == " " and not quoted:
            if word is not None:
                words.append(word)
            word = None
        else:
            word = (word or "") + c
        i += 1
    assert not quoted and word is not None
    words.append(word)
    words = [w.replace("%%", "%") for w in words]
    program = words[0]
    if any(c in program for c in "\"'\\"):
        raise ValueError(f"Executable name contains special characters: {program}")
    argv = []
    for w in words:
        if "$" in w.replace("$$", ""):
            raise ValueError(f"{w!r} would have a variable substituted")
        argv.append(w.replace("$$", "$"))
    if program == "/usr/bin/env":  # env runs the rest as given
        return argv[1:]
    assert argv[0] == program  # argv[0] is how Python finds its virtual environment
    return argv


@pytest.mark.parametrize("folder", ODD_FOLDERS)
def test_the_xdg_entry_runs_an_interpreter_in_an_odd_folder(tmp_path: Path, folder: str) -> None:
    argv = autostart.command(f"/home/u/{folder}/bin/python", profile="work", camera=1)
    entry = autostart.plan("linux", tmp_path, argv, {}, False, tmp_path)
    (exec_line,) = [line for line in entry.content.splitlines() if line.startswith("Exec=")]
    assert _desktop_exec_argv(exec_line[len("Exec=") :]) == argv
    tool = shutil.which("desktop-file-validate")
    if tool is not None:
        path = tmp_path / "posture-guard.desktop"
        path.write_text(entry.content, encoding="utf-8")
        done = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("folder", ODD_FOLDERS)
def test_the_systemd_unit_runs_an_interpreter_in_an_odd_folder(tmp_path: Path, folder: str) -> None:
    argv = autostart.command(f"/home/u/{folder}/bin/python", profile="work", camera=1)
    entry = autostart.plan("linux", tmp_path, argv, {}, True, tmp_path)
    (exec_line,) = [line for line in entry.content.splitlines() if line.startswith("ExecStart=")]
    assert _systemd_exec(exec_line[len("ExecStart=") :]) == argv


@pytest.mark.parametrize("folder", ["O'Brien", 'say "hi"', "back\\slash", "100%"])
def test_systemd_analyze_accepts_the_unit_for_an_interpreter_in_an_odd_folder(
    tmp_path: Path, folder: str
) -> None:
    tool = _systemd_analyze()
    python = tmp_path / folder / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)  # verify checks that the program exists
    _verify_unit(tool, tmp_path, str(python))


@pytest.mark.parametrize("systemd", [True, False])
def test_status_knows_the_profile_and_camera_the_entry_was_enabled_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, systemd: bool
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setattr(autostart, "has_systemd", lambda: systemd)
    assert (
        cli.main(["autostart", "enable", "--no-manager", "--profile", "work", "--camera", "1"]) == 0
    )
    capsys.readouterr()
    # `status` is typed without the options: the entry is this installation's, not stale
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    said = capsys.readouterr().out
    assert "differs" not in said and "autostart: on" in said
    assert "profile 'work'" in said and "camera 1" in said

    # The virtual environment moved: the advice must keep the profile and the camera, or
    # following it would silently switch the monitor to another calibration.
    entry = autostart.current_entry("work", 1)
    entry.path.write_text(
        entry.content.replace(sys.executable, "/old/venv/bin/python"), encoding="utf-8"
    )
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    said = capsys.readouterr().out
    assert "differs" in said
    assert "`posture-guard autostart enable --profile work --camera 1`" in said


def test_an_entry_enabled_under_posture_guard_home_starts_the_monitor_there(
    tmp_path: Path,
) -> None:
    """The login session does not read the shell's profile, so a monitor started without
    POSTURE_GUARD_HOME would log to (and look for a calibration in) other folders."""
    data = "/srv/my data/pg"
    env = {"POSTURE_GUARD_HOME": data}
    unit = configparser.ConfigParser(interpolation=None)
    unit.read_string(autostart.plan("linux", tmp_path, ARGV, env, True, tmp_path).content)
    assert shlex.split(unit["Service"]["Environment"]) == [f"POSTURE_GUARD_HOME={data}"]
    assert shlex.split(unit["Service"]["ExecStart"]) == ARGV

    entry = autostart.plan("linux", tmp_path, ARGV, env, False, tmp_path)
    (exec_line,) = [line for line in entry.content.splitlines() if line.startswith("Exec=")]
    assert _desktop_exec_argv(exec_line[len("Exec=") :]) == [
        "/usr/bin/env",
        f"POSTURE_GUARD_HOME={data}",
        *ARGV,
    ]

    entry = autostart.plan("darwin", tmp_path, ARGV, env, False, tmp_path)
    plist = plistlib.loads(entry.content.encode("utf-8"))
    assert plist["EnvironmentVariables"] == {**env, autostart.REFUSED_EXIT_ENV: "0"}
    assert plist["ProgramArguments"] == ARGV

    entry = autostart.plan("win32", tmp_path, ARGV, env, False, tmp_path)
    assert f'set "POSTURE_GUARD_HOME={data}"\r\n' in entry.content

    # and without it, nothing of the kind is written
    for platform, systemd in (("linux", True), ("linux", False), ("darwin", False)):
        content = autostart.plan(platform, tmp_path, ARGV, {}, systemd, tmp_path).content
        assert "POSTURE_GUARD_HOME" not in content


def test_cli_enable_records_posture_guard_home_as_an_absolute_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POSTURE_GUARD_HOME", "pg-data")  # relative to where enable runs
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    content = autostart.current_entry().path.read_text(encoding="utf-8")
    assert f"POSTURE_GUARD_HOME={tmp_path / 'pg-data'}" in content


def test_the_windows_entry_keeps_a_percent_sign_in_the_interpreter_path(tmp_path: Path) -> None:
    # cmd.exe expands %NAME% in a batch file, inside quotes too: %% is a literal percent sign
    argv = autostart.command(r"C:\Users\A\100% sure\venv\Scripts\python.exe", profile="work")
    content = autostart.plan("win32", tmp_path, argv, {}, False, tmp_path).content
    start = content.splitlines()[-1]
    assert start == (
        r'start "" "C:\Users\A\100%% sure\venv\Scripts\pythonw.exe" '
        "-m posture_guard.cli run --profile work --wait-for-camera"
    )


@pytest.fixture
def xdg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A HOME of this test's own, on a Linux desktop without systemd: `enable` writes an
    XDG autostart entry there."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setattr(autostart, "has_systemd", lambda: False)


@pytest.mark.parametrize("line", ["X-GNOME-Autostart-enabled=false", "Hidden=true"])
def test_status_of_an_xdg_entry_the_desktop_turned_off_says_off(
    capsys, xdg_home: None, line: str
) -> None:
    # GNOME's "Startup Applications" unticked writes X-GNOME-Autostart-enabled=false into
    # the entry (Hidden=true is the spec's "treat as deleted"): nothing starts at login,
    # yet `status` said "autostart: on (xdg), but ... differs" and advised `enable`.
    assert cli.main(["autostart", "enable", "--no-manager", "--profile", "work"]) == 0
    entry = autostart.current_entry("work")
    text = entry.path.read_text(encoding="utf-8")
    turned_off = text.replace("X-GNOME-Autostart-enabled=true", "")
    entry.path.write_text(turned_off.rstrip("\n") + "\n" + line + "\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["autostart", "status"]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"autostart: off: {entry.path} is there but turned off ({line},")
    assert "`posture-guard autostart enable --profile work` turns it on again" in said
    # `enable` turns it on again
    assert cli.main(["autostart", "enable", "--no-manager", "--profile", "work"]) == 0
    capsys.readouterr()
    assert cli.main(["autostart", "status"]) == 0
    assert capsys.readouterr().out.startswith("autostart: on (xdg)")


@pytest.fixture
def systemctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The real systemctl, in a HOME of this test's own where it answers from the unit
    files (no user manager to reach: its bus and runtime folder are not this test's);
    skipped without systemctl."""
    found = shutil.which("systemctl")
    if found is None:
        pytest.skip("systemctl (Debian package systemd) is not installed")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    (tmp_path / "run").mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setattr(autostart, "has_systemd", lambda: True)
    return found


def test_status_of_a_systemd_unit_that_is_not_enabled_says_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, systemctl: str
) -> None:
    # `systemctl --user disable posture-guard.service` (or `enable --no-manager`) leaves
    # the unit file in place, and nothing starts at login; `status` said "autostart: on"
    # from the file alone. The real systemctl answers from the unit files of this HOME
    # (no user manager to reach: its bus and runtime folder are not this test's).
    assert cli.main(["autostart", "enable", "--no-manager", "--camera", "1"]) == 0
    entry = autostart.current_entry(camera=1)
    assert entry.kind == "systemd" and entry.path.exists()
    asked = [systemctl, "--user", "is-enabled", autostart.UNIT_NAME]
    said = subprocess.run(asked, capture_output=True, text=True, timeout=60).stdout.strip()
    if said != "disabled":
        pytest.skip(f"systemctl --user cannot answer from the files alone here ({said!r})")
    capsys.readouterr()
    assert cli.main(["autostart", "status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"autostart: off: {entry.path} is there but not enabled")
    assert "`posture-guard autostart enable --camera 1` enables it" in out
    # --no-manager asks no systemctl: the file alone
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    assert capsys.readouterr().out.startswith("autostart: on (systemd)")
    # the advice, followed, enables it
    assert cli.main(["autostart", "enable", "--camera", "1"]) == 0
    assert subprocess.run(asked, capture_output=True, text=True, timeout=60).stdout.strip() == (
        "enabled"
    )
    capsys.readouterr()
    assert cli.main(["autostart", "status"]) == 0
    assert capsys.readouterr().out.startswith("autostart: on (systemd)")


@pytest.mark.parametrize("systemd", [True, False])
def test_status_of_an_entry_edited_by_hand_advises_no_enable_that_drops_the_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, systemd: bool
) -> None:
    # A `-v` added to the entry's command by hand: `status` said it "differs from what
    # this installation would write; run `posture-guard autostart enable --profile work`
    # to refresh it", and the enable wrote the file anew without the `-v`.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setattr(autostart, "has_systemd", lambda: systemd)
    _calibrate("work")  # `status` says a missing profile too, as `enable` does
    assert cli.main(["autostart", "enable", "--no-manager", "--profile", "work"]) == 0
    entry = autostart.current_entry("work")
    key = "ExecStart=" if systemd else "Exec="
    (ours,) = [x for x in entry.content.splitlines() if x.startswith(key)]
    module = '"posture_guard.cli"' if systemd else "posture_guard.cli"
    edited = ours.replace(f" {module} ", f" {module} -v ", 1)
    assert edited != ours
    entry.path.write_text(entry.content.replace(ours, edited), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said == [
        f"autostart: on ({entry.kind}): {entry.path} (profile 'work'), edited by hand: "
        "`posture-guard autostart enable --profile work` would write it anew without -v, "
        "so it is left as it is",
        f"  in the file:   {edited}",
        f"  enable writes: {ours}",
    ]
    # a line of a key enable does not write, added by hand, is named the same way
    extra = "Environment=DISPLAY=:0" if systemd else "X-GNOME-Autostart-Delay=10"
    group = "[Service]\n" if systemd else "[Desktop Entry]\n"
    entry.path.write_text(entry.content.replace(group, f"{group}{extra}\n"), encoding="utf-8")
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    said = capsys.readouterr().out
    assert f"would write it anew without {extra}, so it is left as it is" in said
    assert "refresh" not in said and "in the file:" not in said  # the command is as written
    if not systemd:
        return
    # the same command written otherwise (unquoted) loses nothing to `enable`: advised
    unquoted = ours.replace('"', "")
    assert shlex.split(unquoted.split("=", 1)[1]) == shlex.split(ours.split("=", 1)[1])
    entry.path.write_text(entry.content.replace(ours, unquoted), encoding="utf-8")
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    said = capsys.readouterr().out
    assert "`posture-guard autostart enable --profile work` to refresh it" in said


def test_an_option_added_by_hand_is_found_in_every_platforms_entry(tmp_path: Path) -> None:
    for platform, systemd in (("linux", True), ("linux", False), ("darwin", 0), ("win32", 0)):
        entry = autostart.plan(platform, tmp_path, ARGV, {}, bool(systemd), tmp_path)
        if entry.kind == "launchd":
            plist = plistlib.loads(entry.content.encode("utf-8"))
            plist["ProgramArguments"].insert(3, "-v")
            edited = plistlib.dumps(plist).decode("utf-8")
        else:
            module = '"posture_guard.cli"' if entry.kind == "systemd" else "posture_guard.cli"
            edited = entry.content.replace(f" {module} ", f" {module} -v ", 1)
        assert edited != entry.content
        assert autostart.hand_added(entry.kind, edited, entry.content) == ["-v"], platform
        assert autostart.hand_added(entry.kind, entry.content, entry.content) == []


def test_enable_over_an_entry_edited_by_hand_says_what_it_dropped(capsys, xdg_home: None) -> None:
    # `enable --camera 1` to change the camera wrote the file anew and said only
    # "autostart enabled": the `-v` the user had added to the command was gone unsaid
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    entry = autostart.current_entry()
    edited = entry.content.replace(" posture_guard.cli ", " posture_guard.cli -v ", 1)
    assert edited != entry.content
    entry.path.write_text(edited, encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["autostart", "enable", "--no-manager", "--camera", "1"]) == 0
    said = capsys.readouterr().out
    assert autostart.current_entry(camera=1).content == entry.path.read_text(encoding="utf-8")
    assert (
        "note: the entry had been edited by hand; written anew, it no longer has -v "
        "(add it again by hand if it is still wanted)"
    ) in said
    # an entry as enable wrote it, written anew: nothing to say
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    assert "edited by hand" not in capsys.readouterr().out


@pytest.mark.parametrize("line", ["X-GNOME-Autostart-enabled=false", "Hidden = true"])
def test_an_entry_edited_by_hand_and_turned_off_is_turned_on_as_it_is(
    capsys, xdg_home: None, line: str
) -> None:
    # turned off in the desktop's startup settings, `status` advised the `enable` that
    # turns it on again, and that enable dropped the `-v` the user had added by hand
    assert cli.main(["autostart", "enable", "--no-manager", "--profile", "work"]) == 0
    entry = autostart.current_entry("work")
    edited = entry.content.replace(" posture_guard.cli ", " posture_guard.cli -v ", 1)
    edited = edited.replace("X-GNOME-Autostart-enabled=true\n", f"{line}\n")
    entry.path.write_text(edited, encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["autostart", "status"]) == 0
    said = capsys.readouterr().out
    off = line.replace(" ", "")
    assert said.startswith(f"autostart: off: {entry.path} is there but turned off ({off},")
    assert (
        f"the desktop's startup settings turn it on again as it is, or deleting the line {off} "
        "(`posture-guard autostart enable --profile work` would write it anew without -v)"
    ) in said
    assert "enable --profile work` turns it on again" not in said


def test_a_systemd_unit_edited_by_hand_and_not_enabled_is_enabled_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, systemctl: str
) -> None:
    # a unit not enabled: `status` advised `posture-guard autostart enable`, which writes
    # the unit anew (dropping the `-v` added by hand), where systemctl enables it as it is
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    entry = autostart.current_entry()
    edited = entry.content.replace(' "posture_guard.cli" ', ' "posture_guard.cli" -v ', 1)
    assert edited != entry.content
    entry.path.write_text(edited, encoding="utf-8")
    asked = [systemctl, "--user", "is-enabled", autostart.UNIT_NAME]
    said = subprocess.run(asked, capture_output=True, text=True, timeout=60).stdout.strip()
    if said != "disabled":
        pytest.skip(f"systemctl --user cannot answer from the files alone here ({said!r})")
    capsys.readouterr()
    assert cli.main(["autostart", "status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"autostart: off: {entry.path} is there but not enabled")
    assert (
        f"`systemctl --user enable {autostart.UNIT_NAME}` enables it as it is "
        "(`posture-guard autostart enable` would write it anew without -v)"
    ) in out
    # the advice, followed, enables the unit with the edit in it
    subprocess.run([systemctl, "--user", "enable", autostart.UNIT_NAME], timeout=60)
    assert subprocess.run(asked, capture_output=True, text=True, timeout=60).stdout.strip() == (
        "enabled"
    )
    assert entry.path.read_text(encoding="utf-8") == edited


def test_enable_says_the_monitor_will_not_start_on_a_database_of_a_newer_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A database a newer posture_guard wrote: `run` refuses it (exit 2, not started
    again), so the monitor enabled to start at login never runs, and `enable` said
    nothing of it, as it says for a profile that cannot be used."""
    import sqlite3

    from posture_guard import paths
    from posture_guard.store import SCHEMA_VERSION, Store

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    db = paths.database_file()
    Store.open(db).close()
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    # this version's database: nothing to say of it (the profile not calibrated is)
    assert "database" not in capsys.readouterr().out
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db.read_bytes()
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    said = capsys.readouterr().out.splitlines()
    notes = [ln for ln in said if ln.startswith("note") and "database" in ln]
    assert len(notes) == 1, said
    assert "does not start at login" in notes[0] and str(db) in notes[0]
    assert f"schema version {SCHEMA_VERSION + 1}" in notes[0] and "update" in notes[0]
    assert db.read_bytes() == before  # read only: nothing migrated or written


FAKE_SYSTEMCTL = """#!/bin/sh
# a user manager whose graphical-session.target is $TARGET_STATE (Xfce, MATE, i3 never
# start it): `is-active` answers as systemctl does, the unit is enabled
echo "$*" >> "$SYSTEMCTL_LOG"
if [ "$2" = is-active ]; then
    echo "$TARGET_STATE"
    [ "$TARGET_STATE" = active ] && exit 0
    exit 3
fi
if [ "$2" = is-enabled ]; then
    echo enabled
fi
exit 0
"""


@pytest.mark.parametrize("target", ["inactive", "active"])
def test_enable_says_a_unit_will_not_start_where_the_graphical_session_target_is_not_active(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, target: str
) -> None:
    """The unit is WantedBy=graphical-session.target, which Xfce, MATE, Cinnamon, i3 and
    Raspberry Pi OS never start: there it never started at login and `enable` said nothing.
    No user manager runs on a test machine (systemd is not its init), so a systemctl on
    PATH answers as one whose target is inactive, or active, would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"
    fake.write_text(FAKE_SYSTEMCTL, encoding="utf-8")
    fake.chmod(0o755)
    log = tmp_path / "systemctl.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("SYSTEMCTL_LOG", str(log))
    monkeypatch.setenv("TARGET_STATE", target)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setattr(autostart, "has_systemd", lambda: True)
    _calibrate("default")  # `status` says a missing profile too, as `enable` does

    assert cli.main(["autostart", "enable", "--camera", "1"]) == 0
    entry_path = autostart.current_entry(camera=1).path
    said = capsys.readouterr().out.splitlines()
    assert "--user is-active graphical-session.target" in log.read_text(encoding="utf-8")
    notes = [ln for ln in said if "graphical-session.target" in ln]
    if target == "active":
        assert notes == [], said
        assert cli.main(["autostart", "status"]) == 0
        assert capsys.readouterr().out.splitlines() == [
            f"autostart: on (systemd): {entry_path} (profile 'default', camera 1)"
        ]
        return
    assert len(notes) == 1, said
    assert notes[0].startswith("note: graphical-session.target is not active")
    assert "does not start the monitor at login" in notes[0] and "Xfce" in notes[0]
    # the alternative such desktops start: the XDG entry, with the command it runs
    xdg = autostart.current_entry(camera=1, systemd=False)
    assert xdg.kind == "xdg" and str(xdg.path) in notes[0]
    assert autostart.command_line("xdg", xdg.content) in notes[0]
    assert "--camera 1" in notes[0]
    # `status` says the same where it asks the user manager
    assert cli.main(["autostart", "status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("autostart: on (systemd)") and out[1:] == notes, out
    # nothing asked with --no-manager
    log.unlink()
    assert cli.main(["autostart", "enable", "--no-manager", "--camera", "1"]) == 0
    assert "graphical-session.target" not in capsys.readouterr().out
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    assert "graphical-session.target" not in capsys.readouterr().out
    assert not log.exists()


def test_enable_says_the_monitor_will_not_start_on_a_config_or_plan_it_cannot_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A config.toml (or an active plan) that cannot be used: `run` refuses to start on
    it (exit 2, which the unit does not start again), so the monitor enabled to start at
    login never runs, and `enable` said nothing of it, as it says for the profile and the
    database."""
    from posture_guard import paths
    from posture_guard.plan import active_plan_path

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    assert "settings" not in capsys.readouterr().out  # nothing wrong: nothing said
    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[coach]\nquiet_hours = "8-12"\n', encoding="utf-8")
    assert cli.main(["run"]) == 2  # what the monitor started at login does
    refusal = capsys.readouterr().err.strip()
    assert str(config) in refusal and "quiet_hours" in refusal
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    said = capsys.readouterr().out.splitlines()
    notes = [ln for ln in said if ln.startswith("note") and "settings" in ln]
    assert len(notes) == 1, said
    assert "does not start at login" in notes[0] and refusal.split(": ", 1)[1] in notes[0]
    config.unlink()
    # a plan written for a newer posture_guard, kept as the active plan: refused alike
    active_plan_path().write_text("schema = 2\n", encoding="utf-8")
    assert cli.main(["run"]) == 2
    assert str(active_plan_path()) in capsys.readouterr().err
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    said = capsys.readouterr().out
    assert "does not start at login while its settings cannot be used" in said
    assert str(active_plan_path()) in said


def _calibrate(profile: str) -> None:
    """A real calibration of ``profile``, from the demo stream's upright first 20 s."""
    from posture_guard import monitor

    stream = str(monitor.demo_stream_path())
    argv = ["calibrate", "--landmarks", stream, "--seconds", "20", "--profile", profile]
    assert cli.main(argv) == 0


def test_status_warns_as_enable_does_of_a_monitor_that_would_not_start(
    tmp_path: Path, pg_home: Path
) -> None:
    """`status` said "on" for an entry whose profile is missing or whose config.toml
    cannot be used, while `enable` warned of both: the monitor it starts never runs."""
    from posture_guard import paths

    env = {**os.environ, "HOME": str(tmp_path / "home"), "POSTURE_GUARD_HOME": str(pg_home)}
    env.pop("XDG_CONFIG_HOME", None)

    def autostart_says(*argv: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "posture_guard", "autostart", *argv, "--no-manager"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        return done.stdout.splitlines()

    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[coach]\nquiet_hours = "8-12"\n', encoding="utf-8")
    enabled = autostart_says("enable", "--profile", "work")
    notes = [line for line in enabled if line.startswith("note: ")]
    assert len(notes) == 2, enabled
    assert "no calibration profile 'work' yet" in notes[0]
    assert "settings cannot be used" in notes[1] and str(config) in notes[1]
    said = autostart_says("status")
    assert said[0].startswith("autostart: on") and "profile 'work'" in said[0]
    assert said[1:] == notes
    # mended: nothing more to say
    config.unlink()
    _calibrate("work")
    said = autostart_says("status")
    assert len(said) == 1 and said[0].startswith("autostart: on"), said


def test_status_and_disable_need_no_log_folder(
    capsys, xdg_home: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In a home where the log folder cannot be made (POSTURE_GUARD_HOME read-only; here a
    # file stands in its place) `status` and `disable` were refused ("log: Permission
    # denied"), and the login entry could not be turned off, though neither writes a log.
    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path / "pg"))
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    entry = autostart.current_entry()
    assert entry.path.is_file()
    (tmp_path / "pg" / "log").rmdir()
    (tmp_path / "pg" / "log").write_text("not a folder", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    assert capsys.readouterr().out.startswith(f"autostart: on (xdg): {entry.path}")
    assert cli.main(["autostart", "disable", "--no-manager"]) == 0
    assert not entry.path.exists()
    assert (tmp_path / "pg" / "log").read_text(encoding="utf-8") == "not a folder"
