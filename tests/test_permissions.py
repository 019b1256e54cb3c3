"""What posture_guard keeps on disk is its user's alone: folders 0700, files 0600.

The headache diary and the posture log are health data. On a shared Linux machine the
usual umask is 022, which makes new files 0644 and folders 0755: readable by every other
user. These tests run the real commands and the real live loop with that umask, on real
files, and read the modes back with ``stat``.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from posture_guard import cli, logs, monitor, paths, service
from posture_guard.store import MIGRATIONS, Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_camera import FakeClock, StreamCamera  # noqa: E402

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

PLAN = Path(__file__).resolve().parents[1] / "docs" / "plan-example.toml"
KINDS = ("config", "data", "state", "log", "cache")


@pytest.fixture
def umask022() -> Iterator[None]:
    """The umask of most Linux desktops: new files 0644, new folders 0755."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def modes_below(home: Path) -> dict[str, int]:
    """Every folder and file in the app's folders under ``home``, by relative path."""
    found = {}
    for kind in KINDS:
        top = home / kind
        if top.is_dir():
            found[kind] = mode(top)
            for p in top.rglob("*"):
                found[str(p.relative_to(home))] = mode(p)
    return found


def not_private(found: dict[str, int], home: Path) -> dict[str, str]:
    return {
        name: oct(m)
        for name, m in found.items()
        if m != (0o700 if (home / name).is_dir() else 0o600)
    }


def run_live(seconds: float) -> int:
    """The real `run` (database, coach, control file, lock, log) for ``seconds`` of a
    fake clock, with the bundled landmark stream standing in for camera and pose model."""
    clock = FakeClock(stop_at=seconds)
    camera = StreamCamera(monitor.demo_stream_path(), clock)
    args = cli.build_parser().parse_args(["run"])
    return service.run(
        args,
        lambda session, coach: cli.session_sinks(args, session, coach),
        open_camera=camera.open,
        detector=camera,
        clock=clock,
        sleep=clock.sleep,
        install_signals=False,
        start=datetime(2026, 11, 25, 10, 0, 0),
        screen=service.ScreenLockProbe(runner=lambda argv: None),
    )


def test_a_fresh_install_keeps_every_folder_and_file_private(umask022, pg_home: Path):
    demo = str(monitor.demo_stream_path())
    assert cli.main(["calibrate", "--landmarks", demo, "--seconds", "3"]) == 0
    assert cli.main(["headache", "add", "--date", "2026-11-24", "--intensity", "5"]) == 0
    assert cli.main(["plan", "import", str(PLAN)]) == 0
    assert cli.main(["pause"]) == 0
    assert cli.main(["resume"]) == 0
    assert run_live(90) == 0
    logs.shutdown()
    # while a program has the database open, sqlite keeps its -wal and -shm files
    with Store.open(paths.database_file()) as store:
        store.save_pending([])  # the side file a locked database's spans go to
        found = modes_below(pg_home)
    names = {Path(n).name for n in found}
    db = paths.database_file().name
    for expected in (
        "default.json",  # the calibration profile
        db,
        db + "-wal",
        db + "-shm",
        db + ".pending.jsonl",
        "plan.toml",  # the imported plan
        "service.json",
        "control.json",
        "monitor.lock",
        "posture-guard.log",
    ):
        assert expected in names, f"{expected} was not written: {sorted(names)}"
    assert not_private(found, pg_home) == {}


def test_an_earlier_install_is_tightened_when_the_app_next_opens_it(
    umask022, pg_home: Path, tmp_path: Path
):
    # what an earlier version left: folders 0755, files 0644, a database in WAL mode
    for kind in KINDS:
        (pg_home / kind).mkdir(parents=True)
    (pg_home / "config" / "profiles").mkdir()
    (pg_home / "config" / "profiles" / "default.json").write_text("{}", encoding="utf-8")
    (pg_home / "state" / "coach.json").write_text("{}", encoding="utf-8")
    (pg_home / "log" / "posture-guard.log").write_text("old line\n", encoding="utf-8")
    (pg_home / "log" / "posture-guard.log.1").write_text("older\n", encoding="utf-8")
    db = pg_home / "data" / "posture.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(MIGRATIONS[0])  # schema 1, the first version's (a table of its own
    conn.execute("PRAGMA user_version = 1")  # at version 0 is another program's database)
    conn.close()
    # a config file the user keeps elsewhere and links in: the link is not followed
    dotfile = tmp_path / "dotfiles-config.toml"
    dotfile.write_text("", encoding="utf-8")
    (pg_home / "config" / "config.toml").symlink_to(dotfile)
    before = modes_below(pg_home)
    assert before["data"] == 0o755 and before["data/posture.sqlite3"] == 0o644

    assert cli.main(["headache", "list"]) == 0

    after = modes_below(pg_home)
    assert not_private({k: v for k, v in after.items() if k != "config/config.toml"}, pg_home) == {}
    assert set(before) <= set(after)  # nothing was removed on the way
    assert mode(dotfile) == 0o644


def test_a_database_named_with_db_is_created_private_with_its_side_files(umask022, tmp_path: Path):
    folder = tmp_path / "shared-folder"
    folder.mkdir()
    db = folder / "mine.sqlite3"
    with Store.open(db):
        side = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
        assert all(p.exists() for p in side)
        assert {p.name: oct(mode(p)) for p in (db, *side)} == {
            p.name: oct(0o600) for p in (db, *side)
        }
    assert mode(folder) == 0o755  # the user's own folder is left as the user made it


def test_the_log_and_each_rotated_log_are_private(
    umask022, monkeypatch: pytest.MonkeyPatch, pg_home: Path
):
    monkeypatch.setattr(logs, "MAX_BYTES", 300)
    path = logs.setup(to_file=True)
    try:
        log = __import__("logging").getLogger("posture_guard.test")
        for i in range(20):
            log.warning("headache recorded, line %d of a log that must rotate", i)
    finally:
        logs.shutdown()
    written = sorted(path.parent.glob(path.name + "*"))
    assert len(written) >= 3, written  # the log did rotate
    assert {p.name: oct(mode(p)) for p in written} == {p.name: oct(0o600) for p in written}


# --------------------------------------------------------------------------- named outputs
def test_files_the_user_names_are_created_private(
    umask022, tmp_path: Path, grace_hopper: Path, capsys: pytest.CaptureFixture[str]
):
    """Reports, recordings and the states file carry health data: new ones are 0600 (the
    owner can still send them on); the folder they go to is the user's and left alone."""
    out = tmp_path / "out"
    out.mkdir()
    demo = str(monitor.demo_stream_path())
    assert cli.main(["headache", "add", "--date", "2026-11-24", "--intensity", "5"]) == 0
    assert cli.main(["plan", "import", str(PLAN)]) == 0
    span = ["--from", "2026-11-20", "--to", "2026-11-26"]
    commands = [
        ["report", *span, "--html", str(out / "r.html"), "--csv", str(out / "r.csv")],
        ["report", "--therapist", *span, "--pdf", str(out / "t.pdf"), "--csv", str(out / "t.csv")],
        ["replay", "--landmarks", demo, "--quiet", "--states-out", str(out / "s.jsonl")],
        ["record", "--video", str(grace_hopper), "--landmarks-out", str(out / "rec.jsonl.gz")],
        ["record", "--video", str(grace_hopper), "--landmarks-out", str(out / "rec.jsonl")],
        ["plan", "new", str(out / "plan.toml")],
    ]
    for argv in commands:
        assert cli.main(argv) == 0, (argv, capsys.readouterr().err)
    written = sorted(out.iterdir())
    names = ["plan.toml", "r.csv", "r.html", "rec.jsonl", "rec.jsonl.gz", "s.jsonl"]
    assert [p.name for p in written] == sorted([*names, "t.csv", "t.pdf"])
    assert all(p.stat().st_size > 0 for p in written)
    assert {p.name: oct(mode(p)) for p in written} == {p.name: oct(0o600) for p in written}
    assert mode(out) == 0o755


def test_an_annotated_photo_is_created_private(umask022, tmp_path: Path, shared_media: Path):
    annotated = tmp_path / "annotated.png"
    photo = shared_media / "side_sitting_upright_mit.jpg"
    assert cli.main(["assess", str(photo), "--out", str(annotated)]) == 0
    assert annotated.read_bytes().startswith(b"\x89PNG")
    assert oct(mode(annotated)) == oct(0o600)
