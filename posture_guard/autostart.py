"""Start the monitor at login: `posture-guard autostart enable|disable|status`.

One file per platform, each the platform's own mechanism, so the user can see and remove
it without posture_guard:

- Linux with systemd: a user unit ``~/.config/systemd/user/posture-guard.service``,
  started with the graphical session and restarted 30 s after a crash, an internal error
  or a start told to try again later (exit status 75: the database locked by another
  program, a full disk; with no webcam yet the monitor waits for one, see
  :func:`command`), not after a start refused for good
  (exit status 2, ``RestartPreventExitStatus=``). The single-instance lock makes a double
  start harmless. ``enable`` also runs ``systemctl --user enable`` when a user manager
  answers, and removes an XDG entry of its own making, which the desktop would start
  beside the unit (:func:`other_entries`).
- Linux without systemd: an XDG autostart entry ``~/.config/autostart/posture-guard.desktop``
  that desktop sessions start at login, once (nothing restarts it).
- macOS: a LaunchAgent ``~/Library/LaunchAgents/org.posture-guard.monitor.plist``
  (RunAtLoad, restarted after a non-zero exit but not after a clean stop, and a start
  refused for good exits 0 under it: :data:`REFUSED_EXIT_ENV`; its output discarded,
  its warnings and errors in ``launchd.err.log`` in the log folder).
- Windows: ``posture-guard.cmd`` in the Startup folder, starting ``pythonw`` so no console
  window stays open; started once per login, as the XDG entry.

The command started is this interpreter running ``-m posture_guard.cli run``, so the entry
keeps working inside the virtual environment it was enabled from. :func:`plan` is pure
(platform, home and environment in, file path and content out), so every platform's file
is tested on any machine.
"""

from __future__ import annotations

import argparse
import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Optional
from xml.parsers.expat import ExpatError

from .capture import MAX_CAMERA_INDEX
from .errors import EXIT_REFUSED, UserError

UNIT_NAME = "posture-guard.service"
DESKTOP_NAME = "posture-guard.desktop"
AGENT_LABEL = "org.posture-guard.monitor"
WINDOWS_NAME = "posture-guard.cmd"


@dataclass(frozen=True)
class Entry:
    """One autostart file: where it goes, what it says, and which mechanism it is."""

    kind: str  # "systemd", "xdg", "launchd", "windows"
    path: Path
    content: str


def command(python: str, profile: str = "default", camera: int = 0, wait: bool = True) -> list[str]:
    """The argv the autostart entry runs: ``run --wait-for-camera``, so a monitor started
    at login on a machine with no webcam yet waits for one, looking every 10 s, instead
    of exiting with 75 and being started again every 30 s all session long (a second of
    CPU and journal lines each time) or, from an XDG or Windows entry, not at all.
    ``wait=False``: the command an older version's entry runs (:func:`refresh_older`)."""
    argv = [python, "-m", "posture_guard.cli", "run"]
    if profile != "default":
        argv += ["--profile", profile]
    if camera:
        argv += ["--camera", str(camera)]
    return argv + (["--wait-for-camera"] if wait else [])


def _config_home(home: Path, env: Mapping[str, str]) -> Path:
    value = env.get("XDG_CONFIG_HOME")
    return Path(value) if value and Path(value).is_absolute() else home / ".config"


def _systemd_quote(arg: str, variables: bool = True) -> str:
    # systemd splits ExecStart like a shell; quote each word, escape % specifiers and the
    # $ of its environment variables ($$ is a literal dollar sign; Environment= has none)
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return '"' + (escaped.replace("$", "$$") if variables else escaped) + '"'


# systemd refuses a program name with a quote or a backslash in it (the whole unit is then
# "bad", and nothing starts at login), and replaces $VARIABLES in argv[0], the path Python
# finds its virtual environment from. Such an interpreter is started through env instead,
# which gets the path as an ordinary, escaped argument.
_SYSTEMD_UNSAFE_PROGRAM = "\"'\\$"
ENV = "/usr/bin/env"


def systemd_unit(argv: Sequence[str], environment: Mapping[str, str] = {}) -> str:
    if any(c in argv[0] for c in _SYSTEMD_UNSAFE_PROGRAM):
        argv = [ENV, *argv]
    variables = "".join(
        f"Environment={_systemd_quote(f'{k}={v}', variables=False)}\n"
        for k, v in environment.items()
    )
    return (
        "[Unit]\n"
        "Description=posture-guard posture monitor (webcam, numbers only)\n"
        "PartOf=graphical-session.target\n"
        "After=graphical-session.target\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"{variables}"
        f"ExecStart={' '.join(_systemd_quote(a) for a in argv)}\n"
        "Restart=on-failure\n"
        # a start refused for good (a profile not calibrated, a broken config, a monitor
        # running already) is not tried again every 30 s; try again later (75) and a crash are
        f"RestartPreventExitStatus={EXIT_REFUSED}\n"
        "RestartSec=30\n"
        "TimeoutStopSec=5\n"
        "\n"
        "[Install]\n"
        "WantedBy=graphical-session.target\n"
    )


def _desktop_quote(arg: str) -> str:
    if arg and all(c.isalnum() or c in "/-_.=:+," for c in arg):
        return arg
    # The Desktop Entry spec applies two escapes: the quoting rule (inside double quotes a
    # backslash escapes " ` $ and itself), then the key file's string rule, which is read
    # first and knows only \s \n \t \r \\. So every backslash of the quoted word is
    # doubled again: a bare \" or \$ makes GLib refuse the whole Exec line, and nothing
    # starts at login.
    quoted = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return '"' + quoted.replace("\\", "\\\\").replace("%", "%%") + '"'


def xdg_desktop(argv: Sequence[str], environment: Mapping[str, str] = {}) -> str:
    if environment:  # an Exec line has no environment of its own: env sets it
        argv = [ENV, *(f"{k}={v}" for k, v in environment.items()), *argv]
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=posture-guard\n"
        "Comment=Posture monitor (webcam, numbers only)\n"
        f"Exec={' '.join(_desktop_quote(a) for a in argv)}\n"
        "Terminal=false\n"
        "NoDisplay=true\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


#: The environment variable the LaunchAgent sets to "0": the exit status of a monitor
#: whose start is refused for good (errors.EXIT_REFUSED elsewhere). launchd tells exits
#: apart only as zero or not (KeepAlive's SuccessfulExit=false restarts any other), so
#: a profile not calibrated was started again every 10 s for as long as the session
#: lasted; a crash, an internal error (70) or try again later (75) still exit non-zero.
REFUSED_EXIT_ENV = "POSTURE_GUARD_REFUSED_EXIT"


def launch_agent(argv: Sequence[str], log_dir: Path, environment: Mapping[str, str] = {}) -> str:
    plist: dict[str, object] = {
        "Label": AGENT_LABEL,
        "ProgramArguments": list(argv),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ProcessType": "Interactive",
        # Its posture line at each change is in the database already, and nothing rotates
        # a launchd log: months of them grew launchd.out.log without limit. The errors
        # stay, as they tell why a monitor did not start (the rotating log has the rest).
        "StandardOutPath": "/dev/null",
        "StandardErrorPath": str(log_dir / "launchd.err.log"),
    }
    plist["EnvironmentVariables"] = {**environment, REFUSED_EXIT_ENV: "0"}
    return plistlib.dumps(plist).decode("utf-8")


def windows_cmd(argv: Sequence[str], environment: Mapping[str, str] = {}) -> str:
    python = argv[0]
    low = python.lower()
    if low.endswith("python.exe"):
        python = python[: -len("python.exe")] + "pythonw.exe"
    args = " ".join(f'"{a}"' if " " in a else a for a in argv[1:])
    # a batch file expands %NAME%, inside quotes too: %% is a literal percent sign
    variables = "".join(f'set "{k}={v.replace("%", "%%")}"\r\n' for k, v in environment.items())
    start = f'start "" "{python}" {args}'.replace("%", "%%")
    return f"@echo off\r\n{variables}{start}\r\n"


def has_systemd(root: Path = Path("/")) -> bool:
    """Whether systemd is the init system (its documented test: /run/systemd/system)."""
    return (root / "run" / "systemd" / "system").is_dir()


def _file_text(name: str) -> str:
    """A file name as the UTF-8 text an autostart file holds.

    Why: under ``LC_ALL=C`` with ``PYTHONUTF8=0`` Python holds a name's bytes beyond
    ASCII ("Jürgen Müller") as lone surrogates, which no UTF-8 file can hold: `enable` in
    such a home ended in an internal error (UnicodeEncodeError), the entry not written.
    The bytes are read as the UTF-8 they are; a name whose bytes are not UTF-8 cannot be
    written into the entry, and is refused naming it."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        raise UserError(
            f"{name} is named in bytes that are not UTF-8 text, which an autostart file "
            "cannot hold; rename the folder (or set POSTURE_GUARD_HOME to another) and "
            "enable it again"
        ) from None


def plan(
    platform: str,
    home: Path,
    argv: Sequence[str],
    env: Mapping[str, str],
    systemd: bool,
    log_dir: Path,
) -> Entry:
    """The autostart file for a platform (``sys.platform`` values). Pure.

    ``POSTURE_GUARD_HOME`` in ``env`` goes into the entry: a login session does not read
    the shell's profile, and a monitor started without it would log to, and look for its
    calibration in, other folders than the ones `enable` checked.
    """
    from .paths import HOME_ENV

    environment = {HOME_ENV: _file_text(env[HOME_ENV])} if env.get(HOME_ENV) else {}
    argv = [_file_text(arg) for arg in argv]
    log_dir = Path(_file_text(str(log_dir)))
    if platform.startswith("linux") or platform.startswith("freebsd"):
        config = _config_home(home, env)
        if systemd:
            return Entry(
                "systemd", config / "systemd" / "user" / UNIT_NAME, systemd_unit(argv, environment)
            )
        return Entry("xdg", config / "autostart" / DESKTOP_NAME, xdg_desktop(argv, environment))
    if platform == "darwin":
        path = home / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
        return Entry("launchd", path, launch_agent(argv, log_dir, environment))
    if platform in ("win32", "cygwin"):
        appdata = env.get("APPDATA") or str(home / "AppData" / "Roaming")
        folder = Path(appdata) / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup"
        return Entry("windows", folder / WINDOWS_NAME, windows_cmd(argv, environment))
    raise UserError(f"autostart is not supported on platform {platform!r}")


def current_entry(
    profile: str = "default", camera: int = 0, systemd: Optional[bool] = None, wait: bool = True
) -> Entry:
    """This installation's entry; ``systemd=False``: the XDG entry even where systemd is;
    ``wait=False``: the entry as the version before --wait-for-camera wrote it."""
    from . import paths

    env = dict(os.environ)
    if env.get(paths.HOME_ENV):  # the login session starts elsewhere: make it absolute
        env[paths.HOME_ENV] = str(Path(env[paths.HOME_ENV]).expanduser().absolute())
    return plan(
        sys.platform,
        Path.home(),
        command(sys.executable, profile, camera, wait),
        env,
        has_systemd() if systemd is None else systemd,
        paths.log_dir(make=False),
    )


# --------------------------------------------------------------------------- effects
def _manager(entry: Entry, action: str) -> Optional[list[str]]:
    """The service manager call that goes with writing/removing the file, if any."""
    if entry.kind == "systemd" and shutil.which("systemctl"):
        if action == "enable":
            return ["systemctl", "--user", "enable", UNIT_NAME]
        return ["systemctl", "--user", "disable", UNIT_NAME]
    if entry.kind == "launchd" and shutil.which("launchctl"):
        domain = f"gui/{os.getuid()}"
        if action == "enable":
            return ["launchctl", "bootstrap", domain, str(entry.path)]
        return ["launchctl", "bootout", f"{domain}/{AGENT_LABEL}"]
    return None


def _run_manager(argv: Optional[list[str]]) -> str:
    if argv is None:
        return ""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f" ({shlex.join(argv)} could not run: {exc}; it starts at the next login)"
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()[:1]
        return (
            f" ({shlex.join(argv)} failed: {why[0] if why else done.returncode}; "
            "the file is in place and is read at the next login)"
        )
    return f" ({shlex.join(argv)} done)"


def enable(entry: Entry, manage: bool = True) -> str:
    try:
        entry.path.parent.mkdir(parents=True, exist_ok=True)
        entry.path.write_text(entry.content, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write the autostart file {entry.path}: {exc}") from None
    if entry.kind == "systemd" and manage and shutil.which("systemctl"):
        _run_manager(["systemctl", "--user", "daemon-reload"])
    note = _run_manager(_manager(entry, "enable")) if manage else ""
    return f"autostart enabled ({entry.kind}): {entry.path}{note}"


def start_again() -> str:
    """The command that starts the monitor again now as the login entry starts it, for a
    message to name: the unit's ``systemctl --user start``, the LaunchAgent's ``launchctl
    kickstart``, the Startup-folder file, or for an XDG entry its `run` apart from the
    terminal (``setsid -f``, its output discarded as the desktop discards it); without an
    entry, ``posture-guard run``.

    Why: a start refused on settings that cannot be used (a config.toml an older version
    took) said "start the monitor again (`posture-guard run`, or log in again)": typed so,
    it ran in that terminal and stopped when it was closed, and the unit stayed failed,
    so once the file was mended the coaching stayed off until the next login."""
    entry = current_entry()
    try:
        content = entry.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "posture-guard run"
    if entry.kind == "systemd":
        return f"systemctl --user start {UNIT_NAME}"
    if entry.kind == "launchd":
        return f"launchctl kickstart gui/{os.getuid()}/{AGENT_LABEL}"
    if entry.kind == "windows":
        return f'"{entry.path}"'
    options = _options_text(*enabled_options(entry.kind, content))
    return f"setsid -f posture-guard run{options} --wait-for-camera >/dev/null 2>&1"


def refresh_older(profile: str = "default", camera: int = 0) -> Optional[str]:
    """Write the login entry anew when it is exactly as the version before
    ``--wait-for-camera`` wrote it for this interpreter, ``profile`` and ``camera`` (its
    command ``run`` without the option); what was done, to say, or None when there is no
    such entry (none, this version's, another installation's, one turned off, or one
    with anything added or changed by hand, which is the user's and left as it is);
    :class:`UserError` when it cannot be written.

    Why: the monitor such an entry started found no webcam at login (a dock or USB camera
    plugged in later) and exited with 75 at every login, never started again from an
    XDG or Windows entry, until the user ran `enable` again, which only `status` said,
    and nobody reads `status`. `run` calls this then (its output not a terminal) and
    waits for a camera as the refreshed entry has it do. Where systemd is the init
    system the XDG entry is looked at too (desktops without graphical-session.target
    start it instead of the unit)."""
    first = current_entry(profile, camera)
    entries = [first]
    if first.kind == "systemd":
        entries.append(current_entry(profile, camera, systemd=False))
    for entry in entries:
        older = current_entry(profile, camera, systemd=entry.kind == "systemd", wait=False)
        try:
            if entry.path.read_text(encoding="utf-8") != older.content:
                continue
        except (OSError, UnicodeDecodeError):
            continue
        new = entry.path.with_name(f".{entry.path.name}.new")
        try:
            new.write_text(entry.content, encoding="utf-8")
            os.replace(new, entry.path)
        except OSError as exc:
            new.unlink(missing_ok=True)
            raise UserError(
                f"cannot refresh the login entry {entry.path}, which an older version wrote "
                f"(its `run` without --wait-for-camera): {exc}; `posture-guard autostart "
                "enable` refreshes it"
            ) from None
        if entry.kind == "systemd" and shutil.which("systemctl"):
            _run_manager(["systemctl", "--user", "daemon-reload"])
        return (
            f"the login entry {entry.path}, as an older version wrote it, runs `run` "
            "without --wait-for-camera, which exits with no camera: written anew as "
            "`posture-guard autostart enable` writes it, to run `run --wait-for-camera`, "
            "and this monitor waits for a camera too"
        )
    return None


def disable(entry: Entry, manage: bool = True) -> str:
    if not entry.path.exists():
        return f"autostart was not enabled (no {entry.path})"
    note = _run_manager(_manager(entry, "disable")) if manage else ""
    try:
        entry.path.unlink()
    except OSError as exc:
        raise UserError(f"cannot remove the autostart file {entry.path}: {exc}") from None
    return f"autostart disabled: removed {entry.path}{note}"


def enabled_options(kind: str, content: str) -> tuple[str, int]:
    """The (profile, camera) an autostart file starts the monitor with.

    ``status`` is typed without options, so it reads them from the file: comparing with
    the default profile's entry called every entry enabled with ``--profile`` stale, and
    its advice (a bare ``enable``) would have switched the monitor to another profile.
    Profile names and camera indexes need no quoting in any format, so the words are
    found by position; anything unreadable counts as the defaults.
    """
    words: list[str] = []
    try:
        if kind == "launchd":
            words = [str(w) for w in plistlib.loads(content.encode("utf-8"))["ProgramArguments"]]
        else:
            words = [w.strip('"') for w in content.split()]
    except (ValueError, KeyError, TypeError, IndexError, ExpatError):  # a damaged plist
        pass
    profile, camera = "default", 0
    for option, value in zip(words, words[1:]):
        if option == "--profile":
            profile = value
        elif option == "--camera" and value.isdigit():
            camera = int(value)
    return profile, camera


def _options_text(profile: str, camera: int) -> str:
    return (f" --profile {profile}" if profile != "default" else "") + (
        f" --camera {camera}" if camera else ""
    )


def xdg_turned_off(content: str) -> Optional[str]:
    """The line of an XDG autostart entry that keeps the session from starting it, or None.

    Why: the desktop's own startup settings turn an entry off without removing it (GNOME's
    "Startup Applications" writes ``X-GNOME-Autostart-enabled=false``; ``Hidden=true`` is
    the spec's "treat as deleted"). `status` called such an entry "on" and, as it differs
    from what `enable` writes, advised `enable`, which would undo the user's choice."""
    group = ""
    for raw in content.splitlines():
        line = raw.strip()
        if line.startswith("["):
            group = line
            continue
        if group != "[Desktop Entry]" or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if (key, value.lower()) in (("Hidden", "true"), ("X-GNOME-Autostart-enabled", "false")):
            return f"{key}={value}"
    return None


def systemd_state(entry: Entry) -> Optional[str]:
    """What ``systemctl --user is-enabled`` says of the unit ("enabled", "disabled",
    ...), or None when it cannot say (not a unit, no systemctl, no answer).

    Why: a unit file in place starts nothing at login unless it is enabled, and it is
    disabled without being removed (``systemctl --user disable``, by hand or by a desktop
    tool; ``enable --no-manager``), yet `status` called it "on" from the file alone."""
    if entry.kind != "systemd" or not shutil.which("systemctl"):
        return None
    argv = ["systemctl", "--user", "is-enabled", UNIT_NAME]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    words = done.stdout.split()
    return words[0] if words else None


_COMMAND_KEY = {"systemd": "ExecStart=", "xdg": "Exec=", "windows": "start "}


def command_line(kind: str, content: str) -> Optional[str]:
    """The line of an autostart file that holds its command (a plist's ProgramArguments
    as one shell line), as a person reads it in the file; None if there is none."""
    if kind == "launchd":
        try:
            argv = plistlib.loads(content.encode("utf-8"))["ProgramArguments"]
            return shlex.join(str(w) for w in argv)
        except (ValueError, KeyError, TypeError, ExpatError):
            return None
    for raw in content.splitlines():
        if raw.strip().startswith(_COMMAND_KEY[kind]):
            return raw.strip()
    return None


def _run_options(kind: str, line: str) -> list[str]:
    """The words of a command line after its program: what the monitor is run with.

    The program part is enable's to rewrite (the interpreter of a moved virtual
    environment, ``env`` and the POSTURE_GUARD_HOME it sets); a variable of another name
    set through ``env`` was put there by hand and counts among the options."""
    if kind == "launchd":
        words = shlex.split(line)
    else:
        text = line.split("=", 1)[1] if kind != "windows" else line
        if kind == "xdg":  # the key file's own escape comes first: \\ is one backslash
            text = text.replace("\\\\", "\\")
        try:
            words = shlex.split(text, posix=kind != "windows")
        except ValueError:  # an unmatched quote typed by hand: the words as they stand
            words = text.split()
        words = [w.strip('"').replace("%%", "%").replace("$$", "$") for w in words]
        if kind == "windows":
            words = words[2:]  # start ""
    from .paths import HOME_ENV

    kept: list[str] = []
    if words and Path(words[0]).name == "env":
        words = words[1:]
        while words and "=" in words[0] and not words[0].startswith("-"):
            if not words[0].startswith(f"{HOME_ENV}="):
                kept.append(words[0])
            words = words[1:]
    return kept + words[1:]


def hand_added(kind: str, current: str, written: str) -> list[str]:
    """What an autostart file holds that `enable` would not write (``written``): the
    options added to its command (one item, "-v --camera 0"), then the lines of other keys
    (``Nice=19``, ``Environment=DISPLAY=:0``) in the order they stand. Why: `status`
    advised `enable` for any entry that differs, and an `enable` writes the file anew, so
    a `-v` added to the command was lost."""
    added: list[str] = []
    line, ours = command_line(kind, current), command_line(kind, written)
    if line is not None and ours is not None:
        mine = _run_options(kind, line)
        extra = Counter(mine) - Counter(_run_options(kind, ours))
        words: list[str] = []
        for word in mine:
            if extra[word] > 0:
                extra[word] -= 1
                words.append(word)
        if words:
            added.append(" ".join(words))
    if kind in ("systemd", "xdg"):
        from .paths import HOME_ENV

        ours_lines = {x.strip() for x in written.splitlines()}
        keys = {x.split("=", 1)[0].strip() for x in ours_lines if "=" in x}
        for raw in current.splitlines():
            text = raw.strip()
            if not text or text.startswith(("#", ";", "[")) or "=" not in text:
                continue
            key = text.split("=", 1)[0].strip()
            if key == _COMMAND_KEY[kind].rstrip("="):
                continue
            if key not in keys or (
                key == "Environment" and text not in ours_lines and HOME_ENV not in text
            ):
                added.append(text)
    return added


def status(
    entry: Entry, profile: str = "default", camera: int = 0, manager: Optional[str] = None
) -> str:
    """Whether ``entry`` is in place as written for ``profile`` and ``camera``;
    ``manager``: what the service manager says of it (:func:`systemd_state`), if asked."""
    if not entry.path.exists():
        return f"autostart: off (would be {entry.path})"
    current = entry.path.read_text(encoding="utf-8")
    options = _options_text(profile, camera)
    off = xdg_turned_off(current) if entry.kind == "xdg" else None
    added = [
        x
        for x in hand_added(entry.kind, current, entry.content)
        if off is None or x.split("=", 1)[0].strip() != off.split("=", 1)[0]
    ]
    # an entry edited by hand is turned on as it is: `enable` would drop the edit
    drops = (
        f" (`posture-guard autostart enable{options}` would write it anew without "
        f"{'; '.join(added)})"
    )
    if manager == "disabled":
        how = (
            f"`systemctl --user enable {UNIT_NAME}` enables it as it is{drops}"
            if added
            else f"`posture-guard autostart enable{options}` enables it"
        )
        return (
            f"autostart: off: {entry.path} is there but not enabled (`systemctl --user "
            f"is-enabled {UNIT_NAME}` says disabled); {how}"
        )
    if off is not None:
        how = (
            f"the desktop's startup settings turn it on again as it is, or deleting the line "
            f"{off}{drops}"
            if added
            else f"`posture-guard autostart enable{options}` turns it on again"
        )
        return (
            f"autostart: off: {entry.path} is there but turned off ({off}, as the desktop's "
            f"startup settings write it); {how}, `posture-guard autostart disable` removes it"
        )
    started = f" (profile {profile!r}" + (f", camera {camera})" if camera else ")")
    if added:
        # an `enable` would drop what the user added: say so, and advise nothing
        said = [
            f"autostart: on ({entry.kind}): {entry.path}{started}, edited by hand: "
            f"`posture-guard autostart enable{options}` would write it anew without "
            f"{'; '.join(added)}, so it is left as it is"
        ]
        line, ours = command_line(entry.kind, current), command_line(entry.kind, entry.content)
        if line != ours:
            said += [f"  in the file:   {line}", f"  enable writes: {ours}"]
        return "\n".join(said)
    if current != entry.content:
        return (
            f"autostart: on ({entry.kind}), but {entry.path} differs from what this "
            f"installation would write{_waits_not(entry, current, profile, camera)}; run "
            f"`posture-guard autostart enable{options}` to refresh it"
        )
    return f"autostart: on ({entry.kind}): {entry.path}{started}"


def _waits_not(entry: Entry, current: str, profile: str, camera: int) -> str:
    """What an entry an older version wrote, its command ``run`` without
    ``--wait-for-camera``, does with no webcam at login, or "" for one that waits.

    Why: `status` said only that it differs, so nothing told the user why the upgrade's
    waiting for a webcam plugged in after login (a USB camera, a dock) did not happen: such
    a `run` exits with 75, which an XDG or Windows entry never starts again, unless the
    entry is exactly as that version wrote it, which that `run` writes anew and then
    waits (:func:`refresh_older`)."""
    kind = entry.kind
    line = command_line(kind, current)
    if line is None or "--wait-for-camera" in _run_options(kind, line):
        return ""
    older = current_entry(profile, camera, systemd=kind == "systemd", wait=False)
    if kind == older.kind and current == older.content and entry.content != older.content:
        return (
            " (an older version's: it runs `run` without --wait-for-camera; the monitor it "
            "starts finding no webcam writes it anew and waits for one)"
        )
    again = (
        "started again every 30 s"
        if kind == "systemd"
        else "started again every 10 s"
        if kind == "launchd"
        else "not started again"
    )
    return (
        " (an older version's: it runs `run` without --wait-for-camera, so with no webcam "
        f"at login the monitor exits, {again}, instead of waiting for one)"
    )


def _hand_added_before(entry: Entry) -> list[str]:
    """What the autostart file in place holds that writing ``entry`` drops and no
    `enable` wrote (:func:`hand_added` against the entry for the profile and camera it
    starts, which an `enable` with other options changes as asked); nothing when there
    is no file, or it cannot be read."""
    try:
        current = entry.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    own = current_entry(*enabled_options(entry.kind, current))
    return hand_added(entry.kind, current, own.content)


SESSION_TARGET_ASK = ["systemctl", "--user", "is-active", "graphical-session.target"]


def session_target_inactive() -> Optional[str]:
    """What the user manager says of graphical-session.target when it is not active
    ("inactive", "failed"); None when it is active, or when nothing answers."""
    if not shutil.which("systemctl"):
        return None
    try:
        done = subprocess.run(
            SESSION_TARGET_ASK, capture_output=True, text=True, timeout=15, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    words = done.stdout.split()
    return words[0] if words and words[0] in ("inactive", "failed") else None


def session_target_note(entry: Entry, profile: str, camera: int) -> Optional[str]:
    """What `enable` says when graphical-session.target, which the unit is wanted by and
    started with, is not active in the user manager it runs against; None when it is,
    for another kind of entry, or when no user manager answers.

    Why: Xfce, MATE, Cinnamon, i3 and Raspberry Pi OS never start that target, so there
    the unit never started at login while `enable` and `status` called it on. Such
    desktops start the XDG autostart entries, which `enable` writes only without systemd,
    so the note gives that entry's path and command line for the user to put in place."""
    if entry.kind != "systemd":
        return None
    word = session_target_inactive()
    if word is None:
        return None  # active (or on its way), or no user manager to answer
    argv = SESSION_TARGET_ASK
    words = [word]
    xdg = current_entry(profile, camera, systemd=False)
    exec_line = command_line("xdg", xdg.content)
    return (
        f"note: graphical-session.target is not active in this session (`{shlex.join(argv)}` "
        f"says {words[0]}), and the unit is started with it: here it does not start the "
        "monitor at login (Xfce, MATE, Cinnamon, i3 and Raspberry Pi OS never start that "
        f"target). Such desktops start XDG autostart entries instead: {xdg.path} with the "
        f"line {exec_line} (what `enable` writes where systemd is absent; where both start, "
        "the second monitor names the first and exits)"
    )


@dataclass(frozen=True)
class OtherEntry:
    """An XDG autostart entry that starts the monitor too, beside the systemd unit."""

    path: Path
    #: as `enable` writes it (an earlier version's, or where systemd was absent), nothing
    #: added by hand: `enable` and `disable` remove it; any other is the user's to remove
    ours: bool


def _starts_the_monitor(content: str) -> bool:
    """Whether an XDG entry's Exec line runs the monitor (``-m posture_guard.cli run``,
    ``-m posture_guard run``, ``posture-guard run``)."""
    line = command_line("xdg", content)
    if line is None:
        return False
    text = line.split("=", 1)[1].replace("\\\\", "\\")
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    modules = ("posture_guard", "posture_guard.cli", "posture_guard.__main__")
    ours = any(a == "-m" and b in modules for a, b in zip(words, words[1:])) or any(
        Path(w).name == "posture-guard" for w in words
    )
    return ours and "run" in words


def other_entries(entry: Entry) -> list[OtherEntry]:
    """The XDG autostart entries (``autostart/*.desktop`` beside ``systemd/user``) that
    start the monitor at login, where ``entry`` is the systemd unit; none for another kind.

    Why: a desktop with systemd starts both the unit and the XDG entries, so an entry an
    older version wrote (or `enable` where systemd was absent, or one put in place by
    hand) started a second monitor at each login: refused by the first's lock with exit
    status 2, which left the unit failed and not restarted when the XDG entry's monitor
    got there first, and the user saw an error. Entries turned off by the desktop's
    startup settings start nothing and are left out."""
    if entry.kind != "systemd":
        return []
    folder = entry.path.parent.parent.parent / "autostart"
    try:
        files = sorted(folder.glob("*.desktop"))
    except OSError:
        return []
    found: list[OtherEntry] = []
    for path in files:
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if xdg_turned_off(content) is not None or not _starts_the_monitor(content):
            continue
        mine = current_entry(*enabled_options("xdg", content), systemd=False)
        ours = path.name == DESKTOP_NAME and not hand_added("xdg", content, mine.content)
        found.append(OtherEntry(path, ours))
    return found


def _other_entries_said(
    entry: Entry,
    action: str,
    manage: bool,
    inactive: Optional[str] = None,
    unit_starts: bool = True,
) -> list[str]:
    """What `enable`, `disable` or `status` do and say of :func:`other_entries`: one
    `enable` wrote is removed by `enable` and `disable`; one the user wrote is named and
    left in place. Where graphical-session.target is not active (``inactive``; asked here
    with ``manage``) the XDG entry, not the unit, starts the monitor: `enable` keeps it
    and `status` says nothing (nothing starts twice, and the target's note names it).
    ``unit_starts``: for `status`, False when the unit is not there or not enabled, so
    the XDG entry is the one monitor started at login, not a second."""
    others = other_entries(entry)
    if not others:
        return []
    twice = action == "enable" or (action == "status" and unit_starts)
    if twice and inactive is None and manage:
        inactive = session_target_inactive()
    said: list[str] = []
    for other in others:
        if twice and inactive is not None:
            if action == "enable":
                said.append(
                    f"note: {other.path} is kept: in this session (graphical-session.target "
                    f"{inactive}) it, not the unit, starts the monitor at login"
                )
            continue
        if action == "status":
            if not unit_starts:
                how = (
                    "`posture-guard autostart disable` removes it"
                    if other.ours
                    else "it is not as `enable` writes it: remove it by hand to stop that"
                )
                said.append(
                    f"note: {other.path}, an XDG autostart entry, starts the monitor at "
                    f"login all the same; {how}"
                )
                continue
            how = (
                "`posture-guard autostart enable` removes it (an earlier `enable` wrote it)"
                if other.ours
                else "it is not as `enable` writes it: remove it by hand"
            )
            said.append(
                f"note: {other.path}, an XDG autostart entry, starts the monitor at login "
                f"too: with the unit two are started, and the second is refused; {how}"
            )
            continue
        if not other.ours:
            said.append(
                f"note: {other.path}, an XDG autostart entry not as `enable` writes it, "
                + (
                    "starts the monitor at login too: with the unit two are started, and "
                    "the second is refused"
                    if action == "enable"
                    else "still starts the monitor at login"
                )
                + "; it is left in place for you to remove"
            )
            continue
        try:
            other.path.unlink()
        except OSError as exc:
            said.append(f"note: cannot remove {other.path}: {exc.strerror or exc}")
            continue
        why = (
            "with the unit it started a second monitor at login, which the first refused"
            if action == "enable"
            else "it started the monitor at login too"
        )
        said.append(
            f"removed {other.path}, the XDG autostart entry an earlier `enable` wrote ({why})"
        )
    return said


def _profile_note(profile: str) -> Optional[str]:
    """What the monitor started at login will do with ``profile`` when it is not a usable
    calibration, or None. Nobody reads that monitor's console, so ``enable`` says it now.

    Only ``default`` may be missing: the monitor then judges against population defaults,
    which miss most forward heads. ``run`` refuses any other profile that is missing, and
    any profile that cannot be used (damaged, edited by hand), so that monitor would not
    start at all, at every login (this note said it judged by population defaults). A
    profile an older version saved is said here too, as the monitor says it at its start."""
    from calibration.baseline import list_profiles, profile_exists, read_profile

    named = "" if profile == "default" else f" --profile {profile}"
    if not profile_exists(profile):  # raises UserError for a name no profile may have
        # a mistyped --profile (defualt) is told apart from a desk not calibrated yet
        saved = ", ".join(repr(name) for name in list_profiles())
        if saved:
            saved = f" (saved: {saved}; `autostart enable --profile NAME` to start one of those)"
        if profile == "default":
            return (
                f"note: there is no calibration profile {profile!r} yet{saved}; until you run "
                f"`posture-guard calibrate{named}`, the monitor judges against population "
                "defaults, which miss most forward-head postures"
            )
        return (
            f"note: there is no calibration profile {profile!r} yet{saved}, and the monitor "
            "does not start without the profile it is given: it starts at login only once "
            f"you have run `posture-guard calibrate{named}`"
        )
    try:
        _, outdated = read_profile(profile)
    except UserError as exc:
        return (
            f"note: the monitor does not start at login while its profile cannot be used: {exc} "
            f"(`posture-guard calibrate{named}`)"
        )
    if outdated:  # a profile an older version saved: the monitor says so where none reads
        return outdated
    from .monitor import other_computer_note

    return other_computer_note(profile)  # one copied from another computer: the same


def _database_note() -> Optional[str]:
    """What the monitor started at login does with a database a newer posture_guard
    wrote: ``run`` refuses it (exit status 2, not started again), where nobody reads
    why, so `enable` says so; read only, see :func:`store.newer_schema`."""
    from .paths import database_file
    from .store import newer_schema

    try:
        refusal = newer_schema(database_file())
    except (OSError, UserError):
        return None  # a home folder the monitor cannot use either: run names it
    if refusal is None:
        return None
    return f"note: the monitor does not start at login while the {refusal}"


def _settings_note() -> Optional[str]:
    """What the monitor started at login does with a config.toml, plan or exercises.toml
    that cannot be used: ``run`` refuses to start on it (exit status 2, which the unit
    does not start again), where nobody reads why, so `enable` says so, as for the
    profile and the database (it said nothing, and the monitor never started)."""
    from .settings_watch import load_coach_settings

    try:
        load_coach_settings(date.today())
    except UserError as exc:
        return (
            f"note: the monitor does not start at login while its settings cannot be used: "
            f"{exc} (`posture-guard config` checks them once mended)"
        )
    except OSError:
        return None  # a home folder the monitor cannot use either: run names it
    return None


def login_profile_note(profile: str) -> Optional[str]:
    """What `calibrate` of ``profile`` says when the login entry in place starts the
    monitor with another profile, or None (no entry, one turned off, or this profile).

    Why: a user whose entry starts ``--profile office`` calibrated again with a bare
    `posture-guard calibrate`, which saved 'default'; the monitor at every login went on
    judging by office's old calibration, and nothing said the new one was not used."""
    entry = current_entry()
    try:
        content = entry.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # none, or one `autostart status` names
    if entry.kind == "xdg" and xdg_turned_off(content):
        return None
    started = enabled_options(entry.kind, content)[0]
    if started == profile:
        return None
    named = "" if profile == "default" else f" --profile {profile}"
    return (
        f"note: the monitor started at login judges by profile {started!r}, not this one "
        f"({entry.path}): `posture-guard calibrate --profile {started}` calibrates that "
        f"one; `posture-guard autostart enable{named}` starts it with this one"
    )


def start_notes(profile: str) -> list[str]:
    """Why the monitor the entry starts would not start at login, or would judge poorly:
    its profile, the database, config.toml and the plan. One place for `enable` and
    `status`: `status` called an entry "on" whose monitor never started, while `enable`
    had warned of both. A profile name no profile may have raises :class:`UserError`."""
    notes = (_profile_note(profile), _database_note(), _settings_note())
    return [note for note in notes if note]


def cmd_autostart(args: argparse.Namespace) -> int:
    profile = getattr(args, "profile", "default")
    camera = getattr(args, "camera", 0)
    # webcams are numbered from 0: a negative index, or one past any webcam's, opens none,
    # at every login, where nobody reads why
    if not 0 <= camera <= MAX_CAMERA_INDEX:
        raise UserError(
            f"--camera {camera} is not a webcam index; they count from 0 "
            f"(at most {MAX_CAMERA_INDEX})"
        )
    entry = current_entry(profile, camera)
    manage = not getattr(args, "no_manager", False)
    if args.autostart_action == "enable":
        from . import paths

        paths.log_dir()  # where the monitor started at login logs (launchd's files too)
        notes = start_notes(profile)  # a name no profile may have stops here
        dropped = _hand_added_before(entry)
        print(enable(entry, manage))
        session = session_target_note(entry, profile, camera) if manage else None
        if session:
            print(session)
        inactive = session_target_inactive() if session else None
        for line in _other_entries_said(entry, "enable", manage, inactive):
            print(line)
        if dropped:
            # asked for, so done; but the user's own additions go with the old file, and
            # an `enable --camera 1` to change the camera should not lose a `-v` silently
            print(
                f"note: the entry had been edited by hand; written anew, it no longer has "
                f"{'; '.join(dropped)} (add it again by hand if it is still wanted)"
            )
        for note in notes:
            print(note)
    elif args.autostart_action == "disable":
        print(disable(entry, manage))
        for line in _other_entries_said(entry, "disable", manage):
            print(line)
    elif entry.path.exists():
        try:
            content = entry.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read the autostart file {entry.path}: {exc}") from None
        profile, camera = enabled_options(entry.kind, content)
        state = systemd_state(entry) if manage else None
        said = status(current_entry(profile, camera), profile, camera, state)
        print(said)
        session = session_target_note(entry, profile, camera) if state == "enabled" else None
        if session:  # on as a file, yet not started at login in this desktop
            print(session)
        inactive = session_target_inactive() if session else None
        starts = said.startswith("autostart: on")
        for line in _other_entries_said(entry, "status", manage, inactive, starts):
            print(line)
        if said.startswith("autostart: on"):  # as `enable` warned: on, yet not started
            try:
                notes = start_notes(profile)
            except UserError as exc:  # a profile name written into the file by hand
                notes = [f"note: the monitor does not start at login: {exc}"]
            for note in notes:
                print(note)
    else:
        print(status(entry))
        for line in _other_entries_said(entry, "status", manage, unit_starts=False):
            print(line)
    return 0
