"""A user outside the defaults: a home named in another language, a C locale, a terminal
that cannot print every character. Each test runs ``posture-guard`` in a process of its
own, with the environment such a user has, and reads its output as bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.dbus_server import NotificationServer

pytest_plugins = ["tests.notify_fixtures"]

REPO = Path(__file__).resolve().parents[1]

#: The user's UTF-8 terminal, as everywhere by default.
UTF8 = {"LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"}
#: A C locale without Python's UTF-8 mode (cron, an ssh login without a locale, a
#: service), which the user's UTF-8 terminal still shows.
C_LOCALE = {"LC_ALL": "C", "PYTHONUTF8": "0"}
#: A terminal that prints ASCII alone, as Python is told.
ASCII = {**C_LOCALE, "PYTHONIOENCODING": "ascii"}
#: A UTF-8 locale such as en_US.UTF-8 (not installed on every test machine), where Python
#: writes standard output strictly: a file name's bytes that are not UTF-8 cannot be.
STRICT_UTF8 = {"LC_ALL": "C.UTF-8", "PYTHONUTF8": "0", "PYTHONIOENCODING": "utf-8:strict"}


def _run(argv: list[str], home: Path, locale: dict[str, str]) -> subprocess.CompletedProcess:
    """``posture-guard ARGV`` with ``home`` as both HOME and POSTURE_GUARD_HOME's parent,
    in ``locale``; output as bytes, since the locale decides how it is encoded."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LANG", "LANGUAGE", "PYTHONIOENCODING") and not k.startswith("LC_")
    }
    env.update(locale)
    env.update(
        HOME=str(home),
        POSTURE_GUARD_HOME=str(home / "posture guard"),
        PYTHONPATH=str(REPO),
    )
    for key in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "-m", "posture_guard", *argv],
        env=env,
        cwd=home,
        capture_output=True,
        timeout=120,
    )


def _ok(done: subprocess.CompletedProcess) -> bytes:
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr
    return done.stdout


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "Jürgen Müller"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("locale", [C_LOCALE, ASCII], ids=["C", "ascii"])
def test_non_ascii_diary_and_home_print_in_a_c_locale(home: Path, locale: dict) -> None:
    """A note typed in a UTF-8 terminal, listed later from a C locale or an ASCII-only
    terminal, is printed with escapes, and the folder named in German as its bytes;
    neither ends the command in an internal error (UnicodeEncodeError)."""
    _ok(
        _run(
            ["headache", "add", "--intensity", "5", "--note", "Kopfweh ü", "--medication", "µg"],
            home,
            UTF8,
        )
    )
    listed = _ok(_run(["headache", "list"], home, locale))
    assert b"note: Kopfweh \\xfc" in listed
    assert b"medication: \\xb5g" in listed
    shown = _ok(_run(["config"], home, locale))
    # the path is the file system's bytes: the user's terminal shows "Jürgen Müller"
    assert str(home / "posture guard" / "config").encode() in shown
    # the diary itself is still UTF-8 for a UTF-8 terminal
    assert "note: Kopfweh ü".encode() in _ok(_run(["headache", "list"], home, UTF8))


def test_error_naming_a_non_ascii_folder_shows_its_bytes(home: Path) -> None:
    """A one-line error that names a file in that folder names it as it is, not as
    Python's escapes of its bytes ("J\\udcc3\\udcbcrgen")."""
    missing = home / "weg.sqlite3"
    done = _run(["summary", "--db", str(missing)], home, C_LOCALE)
    assert done.returncode == 2
    assert str(missing).encode() in done.stderr, done.stderr
    assert b"\\udc" not in done.stderr


def test_text_typed_in_utf8_under_a_c_locale_is_recorded(home: Path) -> None:
    """A UTF-8 terminal in a C locale (cron, ssh without a locale) sends "Kopfweh ü" as
    UTF-8 bytes, which Python decodes as ASCII: the note, the medication and a plan's
    patient label are recorded as typed (they were refused as "not UTF-8 text"), and
    the plan file is UTF-8."""
    added = _run(
        ["headache", "add", "--intensity", "4", "--note", "Kopfweh ü", "--medication", "µg"],
        home,
        C_LOCALE,
    )
    _ok(added)
    listed = _ok(_run(["headache", "list"], home, UTF8))
    assert "medication: µg  note: Kopfweh ü".encode() in listed
    plan = home / "plän für Jürgen.toml"
    _ok(_run(["plan", "new", str(plan), "--patient", "Jürgen"], home, C_LOCALE))
    assert 'patient = "Jürgen"' in plan.read_text(encoding="utf-8")


def test_bytes_that_are_not_utf8_are_still_refused(home: Path) -> None:
    """A Latin-1 terminal's "ü" (one byte, 0xfc) is no UTF-8: still refused in one line,
    nothing recorded."""
    done = _run(
        ["headache", "add", "--intensity", "4", "--note", os.fsdecode(b"Kopfweh \xfc")],
        home,
        UTF8,
    )
    assert done.returncode == 2 and b"is not UTF-8 text" in done.stderr, done.stderr
    assert b"#1" not in _ok(_run(["headache", "list"], home, UTF8))


def test_autostart_in_a_non_ascii_home_under_a_c_locale(home: Path) -> None:
    """`autostart enable` in a home named "Jürgen Müller" from a C locale writes the
    entry, the folder named in it as UTF-8 (it ended in an internal error,
    UnicodeEncodeError), and `status` then finds it as written, from either locale."""
    said = _ok(_run(["autostart", "enable", "--no-manager"], home, C_LOCALE))
    written = [p for p in (home / ".config").rglob("posture-guard.*") if p.is_file()]
    assert len(written) == 1, said
    assert f"POSTURE_GUARD_HOME={home / 'posture guard'}" in written[0].read_text("utf-8")
    for locale in (C_LOCALE, UTF8):
        status = _ok(_run(["autostart", "status", "--no-manager"], home, locale))
        assert status.startswith(b"autostart: on ("), status
        assert b"differs" not in status


def test_autostart_refuses_a_home_named_in_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    """A folder named in Latin-1 ("M\\xfcller") cannot go into a UTF-8 entry: refused in
    one line naming it (it was an internal error too), nothing written."""
    home = Path(os.fsdecode(bytes(tmp_path) + b"/M\xfcller"))
    home.mkdir()
    done = _run(["autostart", "enable", "--no-manager"], home, UTF8)
    assert done.returncode == 2, done.stderr
    # the byte that is not UTF-8 escaped, so the terminal's text stays UTF-8
    assert b"/M\\xfcller/posture guard is named in bytes that are not UTF-8" in done.stderr
    assert not (home / ".config" / "autostart").exists() or not any(
        (home / ".config" / "autostart").iterdir()
    )


def _told_command(text: str) -> list[str]:
    """The arguments of the last `posture-guard ...` command ``text`` tells the user to
    run, split as the shell splits it when pasted."""
    import shlex

    told = text.rsplit("`posture-guard ", 1)[1].split("`", 1)[0]
    return shlex.split(told)


def test_plan_commands_name_a_path_with_spaces_quoted(home: Path) -> None:
    """`plan new` in a folder with spaces tells the import as the shell takes it, and
    `plan clear` the import of the cancelled plan's copy (in a home with a space): the
    commands, pasted, import the plan (bare, they named a file "/tmp/.../Jürgen")."""
    plan = home / "plan für Jürgen.toml"
    said = _ok(_run(["plan", "new", str(plan), "--start", "2099-01-05"], home, UTF8)).decode()
    told = _told_command(said)
    assert told == ["plan", "import", str(plan)], said
    _ok(_run(told, home, UTF8))
    cleared = _ok(_run(["plan", "clear"], home, UTF8)).decode()
    again = _told_command(cleared)
    assert again[:2] == ["plan", "import"] and " " in again[2], cleared
    imported = _ok(_run(again, home, UTF8)).decode()
    assert imported.startswith("imported plan ") and "2099-01-05" in imported, imported


def _monitor_given_a_bad_config(home: Path, done: Callable[[bytes], bool]) -> bytes:
    """Run the live monitor (the fake camera's script: the real loop, the pose model
    stood in for) in ``home`` under a C locale, write a config.toml it cannot use once the
    camera is open, and stop it once ``done(what it said)`` (the log and stderr); its
    stderr. The environment's D-Bus session, if any, is the monitor's."""
    env = {k: v for k, v in os.environ.items() if k != "LANG" and not k.startswith("LC_")}
    pg_home = home / "posture guard"
    env.update(C_LOCALE, HOME=str(home), POSTURE_GUARD_HOME=str(pg_home))
    log = pg_home / "log" / "posture-guard.log"
    config = pg_home / "config" / "config.toml"
    said = home / "stderr.txt"

    def logged() -> bytes:
        return (log.read_bytes() if log.exists() else b"") + said.read_bytes()

    with said.open("wb") as err_file:
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "fake_camera.py"), "--landmarks"],
            env=env,
            cwd=home,
            stdout=subprocess.DEVNULL,
            stderr=err_file,
        )
    try:
        deadline = time.monotonic() + 60
        while b"camera open" not in logged():
            assert proc.poll() is None and time.monotonic() < deadline, "no monitor start"
            time.sleep(0.2)
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text('[coach]\nmin_gap_s = "5x"\n', encoding="utf-8")
        deadline = time.monotonic() + 30  # the monitor looks every 5 s
        while not done(logged()):
            assert proc.poll() is None and time.monotonic() < deadline, "nothing said"
            time.sleep(0.2)
        time.sleep(0.5)  # the log's line and the console's go out one after the other
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return said.read_bytes()


def test_monitor_log_names_a_non_ascii_home_under_a_c_locale(home: Path) -> None:
    """The live monitor in a home "Jürgen Müller" under a C locale logs the config edit
    it cannot use, naming the file in UTF-8 (the line was not written: "cannot write the
    log ...: 'utf-8' codec can't encode", and no such line after it)."""
    err = _monitor_given_a_bad_config(home, lambda said: b"is not a duration" in said)
    assert b"cannot write the log" not in err, err
    config = home / "posture guard" / "config" / "config.toml"
    text = (home / "posture guard" / "log" / "posture-guard.log").read_text(encoding="utf-8")
    assert f"config file {config} line 2: [coach] 'min_gap_s'" in text, text


def test_monitor_notice_names_a_non_ascii_home_over_d_bus(
    home: Path, notification_server: NotificationServer
) -> None:
    """That notice reaches the desktop (a real notification server on a private bus),
    naming the file in UTF-8: it failed to send ("desktop notifications are not reachable
    (desktop-notifier: UnicodeEncodeError ...)"), and was printed instead."""
    server, title = notification_server, "posture-guard: config.toml not used"

    def shown(said: bytes) -> bool:
        return b"not reachable" in said or any(c.summary == title for c in server.calls)

    err = _monitor_given_a_bad_config(home, shown)
    assert b"not reachable" not in err, err
    config = home / "posture guard" / "config" / "config.toml"
    [notice] = [c for c in server.calls if c.summary == title]
    assert notice.body.startswith(f"config file {config} line 2: "), notice.body


def test_exercise_id_beyond_ascii_typed_under_a_c_locale(home: Path) -> None:
    """A therapist's exercises.toml may give an id beyond ASCII ("nacken_dehnung_ü",
    'lower_case letters'); typed in a UTF-8 terminal under a C locale, `done` records it
    and `plan new --exercise` prescribes it (both said it is not in the library)."""
    library = (REPO / "posture_guard" / "data" / "exercises.toml").read_text("utf-8")
    config = home / "posture guard" / "config"
    config.mkdir(parents=True)
    (config / "exercises.toml").write_text(
        library.replace('id = "chin_tuck"', 'id = "nacken_dehnung_ü"'), encoding="utf-8"
    )
    said = _ok(_run(["done", "nacken_dehnung_ü"], home, C_LOCALE))
    assert said.startswith(b"nacken_dehnung_") and b": done at " in said, said
    summary = _ok(_run(["summary", "--json"], home, UTF8))
    assert b'"exercises_done": 1' in summary
    plan = home / "plan.toml"
    _ok(_run(["plan", "new", str(plan), "--exercise", "nacken_dehnung_ü"], home, C_LOCALE))
    assert 'id = "nacken_dehnung_ü"' in plan.read_text(encoding="utf-8")


@pytest.mark.parametrize("locale", [STRICT_UTF8, {**C_LOCALE, "PYTHONIOENCODING": "utf-8"}])
def test_a_file_name_beyond_utf8_is_printed_under_a_strict_utf8_stdout(
    tmp_path: Path, locale: dict
) -> None:
    """A folder named in Latin-1 (an old archive, a USB stick) under a UTF-8 locale, and
    one named in UTF-8 under a C locale told to write UTF-8: `config` names it, `report`
    says it wrote the page there (both ended in an internal error, UnicodeEncodeError;
    the report was written, the command said it failed)."""
    latin1 = locale is STRICT_UTF8
    name = b"M\xfcller" if latin1 else "Müller".encode()
    home = Path(os.fsdecode(bytes(tmp_path) + b"/" + name))
    home.mkdir()
    shown = _ok(_run(["config"], home, locale))
    folder = bytes(tmp_path) + (b"/M\\xfcller" if latin1 else "/Müller".encode())
    assert b"# config file: " + folder + b"/posture guard/config/config.toml" in shown
    page = home / "bericht.html"
    wrote = _ok(_run(["report", "--html", str(page)], home, locale))
    assert page.stat().st_size > 0
    assert wrote.startswith(b"wrote " + folder + b"/bericht.html"), wrote


def test_recording_names_a_photo_beyond_ascii_in_utf8(home: Path, grace_hopper: Path) -> None:
    """`record` of a photo "föto.jpg" under a C locale writes its name into the stream's
    header as the UTF-8 text it is (it wrote JSON's escapes of the bytes,
    "f\\udcc3\\udcb6to.jpg", which no other reader of the recording could make out)."""
    import json

    photo = home / "föto.jpg"
    photo.write_bytes(grace_hopper.read_bytes())
    out = home / "aufnahme.jsonl"
    argv = ["record", "--video", str(photo), "--seconds", "1", "--landmarks-out", str(out)]
    _ok(_run(argv, home, C_LOCALE))
    header = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert header["source"] == "image:föto.jpg", header


def test_a_config_plan_or_library_saved_as_ansi_is_named_by_its_line(home: Path) -> None:
    """A file a Windows editor saved as "ANSI" (Windows-1252: "für" in a comment, lines
    ending in CRLF, the config after a byte order mark) is refused naming its line and
    column and what to do (it said "is not UTF-8 text (invalid start byte at byte 26)")."""
    ansi = "[coach]\r\n# Einstellungen für Jürgen\r\n".encode("cp1252")
    config = home / "posture guard" / "config"
    config.mkdir(parents=True)
    (config / "config.toml").write_bytes(b"\xef\xbb\xbf" + ansi)
    done = _run(["config"], home, UTF8)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode().endswith(
        "config.toml line 2 is not UTF-8 text (byte 0xfc at column 18: saved as ANSI, "
        "Windows-1252 or Latin-1?); save it as UTF-8\n"
    ), done.stderr
    (config / "config.toml").unlink()
    plan = home / "plan.toml"
    example = _ok(_run(["plan", "example"], home, UTF8)).replace(b"\n", b"\r\n")
    plan.write_bytes(example + "# Ü\r\n".encode("cp1252"))
    done = _run(["plan", "import", str(plan)], home, UTF8)
    lines = example.count(b"\n") + 1
    assert f"plan.toml line {lines} is not UTF-8 text (byte 0xdc at column 3:".encode() in (
        done.stderr
    ), done.stderr
    library = (REPO / "posture_guard" / "data" / "exercises.toml").read_text("utf-8")
    (config / "exercises.toml").write_bytes(
        library.replace("# posture", "# pösture", 1).encode("cp1252")
    )
    done = _run(["config"], home, UTF8)
    assert b"exercises.toml line 1 is not UTF-8 text (byte 0xf6 at column 4:" in done.stderr
