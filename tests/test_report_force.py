"""A report file that exists is kept unless ``--force``, as ``record``, ``assess --out``
and ``plan new`` keep theirs: the user's report, its CSV and the therapist's PDF were
replaced without a word by a report of other dates given the same name. Run as the user
runs it, in a process of its own, on a real SQLite log."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest

from posture_guard.states import PostureState
from posture_guard.store import Span, Store
from tests.cli_run import posture_guard, posture_guard_ok

DAY = date(2024, 3, 4)
RANGE = ["--from", DAY.isoformat(), "--to", DAY.isoformat()]


def _db(tmp_path: Path) -> Path:
    path = tmp_path / "log.sqlite3"
    store = Store.open(path)
    start = datetime(DAY.year, DAY.month, DAY.day, 9).timestamp()
    store.add_spans([Span(PostureState.GOOD, start, start + 3600)])
    store.close()
    return path


@pytest.mark.parametrize(
    ("argv", "option", "name"),
    [
        (["report", "--html"], "--html", "r.html"),
        (["report", "--csv"], "--csv", "r.csv"),
        (["report", "--therapist", "--pdf"], "--pdf", "r.pdf"),
    ],
    ids=["html", "csv", "therapist pdf"],
)
def test_an_existing_report_file_is_kept_unless_force(
    tmp_path: Path, pg_home: Path, argv: list[str], option: str, name: str
) -> None:
    db = _db(tmp_path)
    out = tmp_path / name
    out.write_bytes(b"the baseline weeks' report, kept to compare")
    os.chmod(out, 0o644)
    command = [*argv, str(out), *RANGE, "--db", str(db)]
    done = posture_guard(command, pg_home, capture_output=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"posture-guard: {option} {out} already exists; choose another name or add --force\n"
    )
    assert out.read_bytes() == b"the baseline weeks' report, kept to compare"
    posture_guard_ok([*command, "--force"], pg_home)
    assert out.read_bytes() != b"the baseline weeks' report, kept to compare"
    assert out.stat().st_mode & 0o777 == 0o644  # written over, it keeps its permissions


def test_a_device_and_standard_output_need_no_force(tmp_path: Path, pg_home: Path) -> None:
    db = _db(tmp_path)
    posture_guard_ok(["report", "--csv", os.devnull, *RANGE, "--db", str(db)], pg_home)
    printed = posture_guard_ok(["report", "--csv", "-", *RANGE, "--db", str(db)], pg_home)
    assert printed.startswith("date,")


def test_the_trays_page_of_today_is_written_again_at_each_click(pg_home: Path) -> None:
    """The tray writes today's page to the same file each time its menu item is chosen:
    that file is its own, so the second click writes it again."""
    from posture_guard import tray

    first = tray.perform("report", today=DAY)
    assert first is not None
    assert tray.perform("report", today=DAY) == first
