"""A user upgrading from an earlier version, with the files it wrote: each is still read,
or refused in one line naming the file and what to do, and the user can see why.

Each test writes the files as the earlier version wrote or took them (small fixtures
made here), then runs this version's commands in a process of their own, as the user
and the login entry run them.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from posture_guard import autostart, cli, exercises, paths
from posture_guard.notify import SHOWN_NAME
from tests.cli_run import monitor_process, posture_guard, posture_guard_ok, stop_cleanly
from tests.dbus_server import NotificationServer
from tests.test_camera_wait import _no_webcam_here

pytest_plugins = ["tests.notify_fixtures"]

#: A config.toml line the version before this week's took (a duration above zero) and
#: this one refuses (10 s at least for alert_hold_s), with the line it names.
OLD_CONFIG = "[coach]\nalert_hold_s = 5\n"


def _old_exercises_toml() -> Path:
    """exercises.toml as an earlier version took it: the bundled library with a hold of
    half a second (positive, all it asked; from 1 to 600 s now)."""
    text = exercises.bundled_path().read_text(encoding="utf-8")
    assert "hold_s = 10\n" in text
    path = exercises.user_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("hold_s = 10\n", "hold_s = 0.5\n", 1), encoding="utf-8")
    return path


def _older_settings(which: str) -> tuple[Path, str]:
    """config.toml or exercises.toml as an earlier version took it, written in place, and
    what this version's refusal of it says."""
    if which == "config.toml":
        path = paths.config_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(OLD_CONFIG, encoding="utf-8")
        return path, f"config file {path} line 2: [coach] 'alert_hold_s' must be from 10 s"
    return _old_exercises_toml(), "'dosage.hold_s' must be from 1 to 600 seconds (got 0.5)"


def _older_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, added: str = ""
) -> tuple[autostart.Entry, str]:
    """The login entry as the version before --wait-for-camera wrote it (``added``: a line
    the user put in by hand), in a home of its own: (this version's entry, that content)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    entry = autostart.current_entry()
    # its command as that version wrote it: the same, without the option (quoted in a unit)
    before = entry.content.replace(' "--wait-for-camera"', "").replace(" --wait-for-camera", "")
    assert "wait-for-camera" not in before and "wait-for-camera" in entry.content
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    entry.path.write_text(before + added, encoding="utf-8")
    return entry, before


@pytest.mark.parametrize("which", ["config.toml", "exercises.toml"])
def test_status_says_why_no_monitor_starts_on_settings_an_older_version_took(
    pg_home: Path, which: str
) -> None:
    """The login entry's `run` is refused on such a file (exit status 2, not started
    again) where nobody reads its output (an XDG entry), so after the upgrade the monitor
    stayed off, and `status` said only "not running"."""
    path, said = _older_settings(which)
    refused = posture_guard(["run"], pg_home, capture_output=True)
    assert refused.returncode == 2 and said in refused.stderr, refused.stderr
    done = posture_guard(["status"], pg_home, capture_output=True)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("monitor: not running"), done.stdout
    (note,) = [line for line in lines if line.startswith("note:")]
    assert note.startswith(
        "note: the monitor does not start while its settings cannot be used: "
    ), note
    assert str(path) in note and said in note, note


@pytest.mark.parametrize("which", ["config.toml", "exercises.toml"])
def test_the_login_entrys_monitor_refused_on_such_settings_says_why_on_the_desktop(
    pg_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    which: str,
    notification_server: NotificationServer,
) -> None:
    """The login entry's `run --wait-for-camera`, its error output read by nobody (an XDG
    entry discards it), was refused at the first login after the upgrade and the coaching
    stayed off without a word on screen; the notification names the file and its line,
    and the command that starts the monitor as the entry does once it is mended (it said
    `posture-guard run`, which, typed in a terminal, stopped as the terminal closed, the
    unit left failed: the coaching stayed off until the next login)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    posture_guard_ok(["autostart", "enable", "--profile", "desk", "--no-manager"], pg_home)
    again = (
        "`systemctl --user start posture-guard.service`"
        if autostart.current_entry().kind == "systemd"
        else "`setsid -f posture-guard run --profile desk --wait-for-camera >/dev/null 2>&1`"
    )
    path, said = _older_settings(which)
    done = posture_guard(["run", "--wait-for-camera"], pg_home, capture_output=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1 and said in done.stderr, done.stderr
    title = "posture-guard: the monitor did not start"
    told = [c for c in notification_server.calls if c.summary == title]
    assert len(told) == 1, notification_server.calls
    assert said in told[0].body and str(path) in told[0].body, told[0].body
    assert told[0].body.endswith(
        f"Mend it, then {again} starts the monitor again, or log in again."
    ), told[0].body
    status = posture_guard_ok(["status"], pg_home)
    assert f"once mended; then {again} starts the monitor again, or log in again)" in status


@pytest.mark.parametrize(
    ("systemd", "again"), [(False, "not started again"), (True, "started again every 30 s")]
)
def test_status_of_an_older_versions_entry_says_it_does_not_wait_for_a_webcam(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, systemd: bool, again: str
) -> None:
    """The entry the version before this week's wrote runs `run` without
    --wait-for-camera; `status` said only that it "differs", so nothing told why a webcam
    plugged in after login (a dock) was not waited for, as this version promises."""
    monkeypatch.setattr(autostart, "has_systemd", lambda: systemd)
    entry, before = _older_entry(tmp_path, monkeypatch)
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    said = capsys.readouterr().out.splitlines()[0]
    assert said == (
        f"autostart: on ({entry.kind}), but {entry.path} differs from what this installation "
        "would write (an older version's: it runs `run` without --wait-for-camera; the "
        "monitor it starts finding no webcam writes it anew and waits for one); run "
        "`posture-guard autostart enable` to refresh it"
    )
    # one that differs otherwise too (a line of an even older version's missing) is not
    # written anew by the monitor: it exits with no webcam, and `status` says so
    line = "TimeoutStopSec=5\n" if systemd else "NoDisplay=true\n"
    assert line in before
    entry.path.write_text(before.replace(line, ""), encoding="utf-8")
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    said = capsys.readouterr().out.splitlines()[0]
    assert said.endswith(
        "(an older version's: it runs `run` without --wait-for-camera, so with no webcam at "
        f"login the monitor exits, {again}, instead of waiting for one); run "
        "`posture-guard autostart enable` to refresh it"
    ), said
    assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    capsys.readouterr()
    assert entry.path.read_text(encoding="utf-8") == entry.content
    assert cli.main(["autostart", "status", "--no-manager"]) == 0
    assert "differs" not in capsys.readouterr().out


def test_an_older_versions_login_entry_finding_no_webcam_is_written_anew_and_waits(
    pg_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its `run` (no --wait-for-camera) exited with 75 at every login with no webcam (a
    dock plugged in later), never started again from an XDG entry, until the user ran
    `autostart enable`, which only `status` said. Started so (its output not a terminal),
    the monitor writes the entry anew as `enable` does and waits for a camera itself."""
    _no_webcam_here()
    entry, _ = _older_entry(tmp_path, monkeypatch)
    with monitor_process(["run"]) as proc:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert any("no camera at index 0 yet: waiting" in line for line in lines), lines
        assert proc.poll() is None  # waiting, not exited with 75
        (said,) = [line for line in lines if "login entry" in line]
        assert said.startswith(f"posture-guard: the login entry {entry.path}, as an older")
        assert entry.path.read_text(encoding="utf-8") == entry.content
        assert posture_guard_ok(["status"], pg_home).count("waiting for a camera") == 1
        stop_cleanly(proc)
    assert sorted(p.name for p in entry.path.parent.iterdir()) == [entry.path.name]


def test_an_older_versions_login_entry_edited_by_hand_is_left_and_run_exits(
    pg_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry with anything added by hand is the user's: `run` does not write it anew,
    and with no webcam exits with 75 as before (`status` names what `enable` would drop)."""
    _no_webcam_here()
    entry, _ = _older_entry(tmp_path, monkeypatch, added="X-Mine=1\n")
    kept = entry.path.read_bytes()
    done = posture_guard(["run"], pg_home, capture_output=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 75 and "Traceback" not in done.stderr, done.stderr
    assert "login entry" not in done.stdout + done.stderr
    assert entry.path.read_bytes() == kept


def _show(server: NotificationServer, title: str) -> int:
    """Show a notification on ``server`` from a process of its own (as an older version's
    monitor showed its prompt); its id."""
    before = len(server.calls)
    subprocess.run(
        ["gdbus", "call", "--session", "--dest", "org.freedesktop.Notifications"]
        + ["--object-path", "/org/freedesktop/Notifications"]
        + ["--method", "org.freedesktop.Notifications.Notify"]
        + ["posture-guard", "0", "", title, "", "['done', 'Done']", "{}", "0"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return server.wait_for(before + 1)[-1].id


def test_prompts_an_older_version_left_on_screen_are_closed_by_the_first_start(
    pg_home: Path, notification_server: NotificationServer
) -> None:
    """The versions that kept prompts with buttons on screen until answered, before the
    monitor closed its own as it stopped, kept no process, bus nor server with them in
    notifications.json, and the new monitor closed only prompts it knew the server of:
    an ignored break prompt stayed on screen after the upgrade, its Snooze acting on the
    new monitor. One shown by the server running now (running since before it was
    shown) is closed at the start; one shown before that server started, whose id it
    may since have given to another program's notification, is left."""
    _no_webcam_here()
    # the server (in this process) up for more than the 2 s the boot time's seconds take
    time.sleep(3)
    left = _show(notification_server, "Time for a break")
    mail = _show(notification_server, "New mail")
    now = time.time()
    # as that version wrote them (cdee195^'s _remember_shown), the second shown before the
    # server (this process) started: its id, the mail's now, is not the prompt's
    older = {"prompt": 1, "kind": "break", "exercise": None, "live": True, "commands": {}}
    records = [
        {**older, "nid": left, "title": "Time for a break", "shown": now},
        {**older, "nid": mail, "title": "Sit back", "shown": now - 30 * 24 * 3600},
    ]
    shown_file = paths.state_dir() / SHOWN_NAME
    shown_file.parent.mkdir(parents=True, exist_ok=True)
    shown_file.write_text(json.dumps(records), encoding="utf-8")
    with monitor_process(["run", "--wait-for-camera"]) as proc:
        lines = [proc.stdout.readline() for _ in range(2)]
        assert any("waiting for a camera" in line for line in lines), lines
        stop_cleanly(proc)
    assert notification_server.closed == [left]
    marks = {r["nid"]: r.get("closed") for r in json.loads(shown_file.read_text("utf-8"))}
    assert marks == {left: True, mail: None}


@pytest.mark.parametrize(
    "argv",
    [["plan", "show"], ["report", "--therapist", "--pdf", "r.pdf"], ["done", "chin_tuck"]],
    ids=["plan show", "report --therapist", "done"],
)
def test_a_dose_an_older_version_took_in_exercises_toml_is_named_as_its_own_not_the_plans(
    pg_home: Path, tmp_path: Path, argv: list[str]
) -> None:
    """It was said to make the active plan unusable, "a plan imported with an earlier
    version", with `plan clear` (which removes the therapist's plan) as the way out: the
    plan was never at fault, and following the advice lost it. `done` warned so,
    "recorded without the plan", then refused, nothing recorded."""
    example = Path(__file__).resolve().parents[1] / "docs" / "plan-example.toml"
    imported = posture_guard(["plan", "import", str(example)], pg_home, capture_output=True)
    assert imported.returncode == 0, imported.stderr
    plan_file = paths.config_dir() / "plan.toml"
    kept = plan_file.read_bytes()
    path = _old_exercises_toml()
    done = posture_guard(argv, pg_home, capture_output=True, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"posture-guard: {path} line "), line
    assert "'dosage.hold_s' must be from 1 to 600 seconds (got 0.5)" in line
    assert "plan" not in line.replace(str(path), ""), line
    assert plan_file.read_bytes() == kept
