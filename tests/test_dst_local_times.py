"""Local times of a day read by the zone's rules for that day, on the days the clocks
change (Europe/Berlin, and America/St_Johns, whose offset is not a whole hour)."""

from __future__ import annotations

import io
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest

from posture_guard.coach import CoachSettings, CoachSink
from posture_guard.notify import PrintingNotifier
from posture_guard.paths import DATABASE_NAME
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision, PostureState
from tests.cli_run import posture_guard, posture_guard_ok


@pytest.fixture
def local_zone(request) -> Iterator[ZoneInfo]:
    """Local time is the zone the test names (parametrized indirectly: Europe/Berlin, or
    America/St_Johns, UTC-3:30, whose clocks go back on 2026-11-01 02:00 -> 01:00), set
    back to what it was after the test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", request.param)
        time.tzset()
        yield ZoneInfo(request.param)
    time.tzset()


def _doses(tmp_path, start: datetime, hours: float, slots) -> list[str]:
    """The plan doses a live-style session prompts from ``start`` (aware) on, sitting
    upright all along: each as its local time with its UTC offset."""
    sink = CoachSink(
        SessionInfo(start=start, profile="p", live=True),
        PrintingNotifier(io.StringIO()),
        CoachSettings(checkin_time=None, break_after_s=24 * 3600, plan_slots=lambda d: slots),
        memory_file=tmp_path / "coach.json",
    )
    seconds = int(hours * 3600)
    for k in range(0, seconds, 10):
        sink.on_decision(Decision(float(k), PostureState.GOOD, changed=k == 0))
    sink.close(float(seconds))
    return [
        f"{e.payload['slot']} at {e.at:%H:%M%z}"
        for e in sink.events
        if e.kind == "exercise_prompted" and e.payload.get("for") == "plan"
    ]


@pytest.mark.parametrize(
    "local_zone, start, hours, times, expected",
    [
        (
            "Europe/Berlin",
            datetime(2026, 10, 25, 1, 0),
            4.5,
            (clock(1, 30), clock(2, 30), clock(4)),
            ["01:30 at 01:30+0200", "02:30 at 02:30+0200", "04:00 at 04:00+0100"],
        ),
        (
            "America/St_Johns",
            datetime(2026, 11, 1, 0, 30),
            4,
            (clock(1, 15), clock(1, 45), clock(3)),
            ["01:15 at 01:15-0230", "01:45 at 01:45-0230", "03:00 at 03:00-0330"],
        ),
    ],
    indirect=["local_zone"],
)
def test_plan_doses_in_the_hour_the_clocks_go_back_are_prompted_once(
    tmp_path, local_zone, start, hours, times, expected
):
    """The hour before the change comes twice (02:00-03:00 in Berlin on 2026-10-25,
    01:00-02:00 in St. John's on 2026-11-01): its doses (and the one before) were
    prompted again in the second pass, the dose time given the offset in force when it
    was looked at."""
    slots = tuple(zip(times, ("chin_tuck", "neck_rotation", "chin_tuck")))
    assert _doses(tmp_path, start.replace(tzinfo=local_zone), hours, slots) == expected


def test_a_plan_dose_the_clock_skips_comes_when_the_adherence_report_counts_it_due(
    tmp_path, berlin
):
    """02:30 does not exist on 2026-03-29 (02:00 -> 03:00): its dose is due at the moment
    a naive 02:30's ``timestamp()`` names, 03:30 CEST, as the adherence report counts it
    (it was never prompted: given the offset after the change, it
    fell at the 01:30 dose's moment); a dose after the change is on
    its own time."""
    slots = ((clock(1, 30), "chin_tuck"), (clock(2, 30), "neck_rotation"), (clock(5), "chin_tuck"))
    start = datetime(2026, 3, 29, 1, 0, tzinfo=berlin)
    due = datetime.fromtimestamp(datetime(2026, 3, 29, 2, 30).timestamp(), berlin)
    assert due == datetime(2026, 3, 29, 3, 30, tzinfo=berlin)
    assert _doses(tmp_path, start, 3.5, slots) == [
        "01:30 at 01:30+0100",
        "02:30 at 03:30+0200",
        "05:00 at 05:00+0200",
    ]


def test_a_skipped_dose_and_the_dose_an_hour_after_it_are_each_prompted_once(tmp_path, berlin):
    """02:30 does not exist on 2026-03-29: its dose comes at 03:30 CEST, the moment of the
    03:30 dose, and the one prompted took the other with it (the 02:30 dose was lost,
    never prompted). Each comes once, the second after the 5 min gap, also across a
    restart of the monitor in that gap (coach.json keeps which of the two came)."""
    slots = (
        (clock(1, 30), "chin_tuck"),
        (clock(2, 30), "neck_rotation"),
        (clock(3, 30), "chin_tuck"),
        (clock(4, 30), "neck_rotation"),
    )
    first = _doses(tmp_path, datetime(2026, 3, 29, 1, 0, tzinfo=berlin), 1.5 + 1 / 60, slots)
    assert first == ["01:30 at 01:30+0100", "02:30 at 03:30+0200"]
    restarted = datetime(2026, 3, 29, 3, 32, tzinfo=berlin)
    assert _doses(tmp_path, restarted, 1.5, slots) == [
        "03:30 at 03:35+0200",
        "04:30 at 04:30+0200",
    ]


def test_a_dose_after_the_skipped_hour_is_not_held_back_by_one_in_it(tmp_path, berlin):
    """02:40 does not exist on 2026-03-29 and comes at 03:40 CEST: the 03:10 dose, due
    before it, waited for it (the slots were read in clock order up to the first not
    yet due) and came 30 min late."""
    slots = ((clock(2, 40), "neck_rotation"), (clock(3, 10), "chin_tuck"))
    start = datetime(2026, 3, 29, 1, 0, tzinfo=berlin)
    assert _doses(tmp_path, start, 2, slots) == ["03:10 at 03:10+0200", "02:40 at 03:40+0200"]


def _headache(tmp_path, monkeypatch, zone: str, *argv: str):
    """`posture-guard headache ARGV` in a process of its own, in time zone ``zone``,
    with a throwaway HOME and POSTURE_GUARD_HOME (its database a real SQLite file)."""
    monkeypatch.setenv("TZ", zone)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return posture_guard(["headache", *argv], tmp_path / "pg", capture_output=True)


def _starts(tmp_path) -> list[tuple[str, str]]:
    [db] = (tmp_path / "pg").rglob(DATABASE_NAME)
    with sqlite3.connect(db) as conn:
        return [tuple(r) for r in conn.execute("SELECT day, start FROM headaches ORDER BY id")]


@pytest.mark.parametrize(
    "zone, day, start, shown",
    [
        ("Europe/Berlin", "2026-03-29", "02:30", "03:30"),
        ("America/St_Johns", "2026-03-08", "02:15", "03:15"),
    ],
)
def test_a_headache_start_the_clock_skipped_is_refused_naming_why(
    tmp_path, monkeypatch, zone, day, start, shown
):
    """The clocks go forward at 02:00: a start at 02:30 names a moment that never was.
    It was saved as typed, and its duration counted from 03:30."""
    add = ["add", "--intensity", "5", "--date", day, "--start", "01:00", "--duration", "1h"]
    assert _headache(tmp_path, monkeypatch, zone, *add).returncode == 0
    done = _headache(
        tmp_path, monkeypatch, zone, "add", "--intensity", "5", "--date", day, "--start", start
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"posture-guard: impossible headache entry: start {day} {start} is a time the "
        "clock skipped that night (it went forward an hour); give the time it showed "
        f"({shown} is the moment {start} would have been)"
    ]
    moved = _headache(tmp_path, monkeypatch, zone, "edit", "1", "--start", start)
    assert moved.returncode == 2 and "clock skipped" in moved.stderr
    assert _starts(tmp_path) == [(day, "01:00")]  # nothing saved, nothing changed


@pytest.mark.parametrize(
    "zone, day, start, first, second",
    [
        ("Europe/Berlin", "2026-10-25", "02:30", "+02:00", "+01:00"),
        ("America/St_Johns", "2026-11-01", "01:15", "-02:30", "-03:30"),
    ],
)
def test_a_headache_start_the_clock_showed_twice_is_the_first_time_unless_given_the_second(
    tmp_path, monkeypatch, zone, day, start, first, second
):
    """The clocks go back: the start names two moments; the entry takes the first and
    says so (it said nothing of which, though its duration was counted from the first),
    and how to give the second. With that first in the diary, a headache that began at
    the second could not be entered: `--start 02:30` was refused as the first's start,
    and an offset given (`02:30+01:00`) was dropped without a word, refused the same
    way. The offset names the time; one the clock did not have then is refused."""
    add = ["add", "--intensity", "5", "--date", day, "--duration", "30m", "--start"]
    done = _headache(tmp_path, monkeypatch, zone, *add, start)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == (
        f"(the clock showed {start} twice on {day}, going back an hour: the entry takes "
        f"the first time, {start} at UTC{first}; for the second give --start {start}{second})"
    )
    again = _headache(tmp_path, monkeypatch, zone, *add, start)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert again.stderr.splitlines() == [
        f"posture-guard: headache entry 1 already begins on {day} at {start} (the first "
        f"time the clock showed it that night, at UTC{first}; a headache that began at "
        f"the second is given as --start {start}{second}); to change it use "
        "`posture-guard headache edit 1`"
    ]
    done = _headache(tmp_path, monkeypatch, zone, *add, start + second)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(f"added #2  {day}  {start}{second}  ")
    assert done.stdout.splitlines()[1] == (
        f"(the clock showed {start} twice on {day}, going back an hour: the entry takes "
        f"the second time, {start}{second})"
    )
    wrong = _headache(tmp_path, monkeypatch, zone, *add, start + "+05:00")
    assert wrong.returncode == 2
    assert wrong.stderr.splitlines() == [
        f"posture-guard: impossible headache entry: start {day} {start}+05:00 names a UTC "
        f"offset the clock here did not have then (it showed {start} that day at "
        f"UTC{first} and at UTC{second}); give {start} for the first time, "
        f"{start}{second} for the second"
    ]
    listed = _headache(tmp_path, monkeypatch, zone, "list", "--from", day, "--to", day)
    assert [line.split("  ")[:3] for line in listed.stdout.splitlines()[:2]] == [
        ["#1", day, start],
        ["#2", day, start + second],
    ]
    assert _starts(tmp_path) == [(day, start), (day, start)]


def test_dates_and_times_typed_with_other_decimal_digits_read_as_durations_do(
    tmp_path, monkeypatch
):
    """`snooze ３０m` and `--duration ２h` were taken (Python reads any decimal digit in
    a number), while a date or a start typed with the same keyboard layout was "no day
    of the calendar (Invalid isoformat string ...)" or "not a time like 14:30"."""
    home = tmp_path / "pg"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    full_width = ["--date", "２０２６-１１-３０", "--start", "１４:３０", "--duration", "２h"]
    out = posture_guard_ok(["headache", "add", "--intensity", "5", *full_width], home)
    assert out.startswith("added #1  2026-11-30  14:30  intensity 5  2h00")
    arabic_indic = "٢٠٢٦-١١-٢٩"
    out = posture_guard_ok(["checkin", "--none", "--date", arabic_indic], home)
    assert out == "checked in 2026-11-29 as headache-free\n"
    [db] = home.rglob(DATABASE_NAME)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT day, start, duration_min FROM headaches").fetchall() == [
            ("2026-11-30", "14:30", 120.0)
        ]
        assert conn.execute("SELECT day FROM checkins").fetchall() == [("2026-11-29",)]
    wrong = posture_guard(
        ["headache", "list", "--from", "２０２６-１１-３１"], home, capture_output=True
    )
    assert wrong.returncode == 2
    assert wrong.stderr.startswith(
        "posture-guard: --from '２０２６-１１-３１' is no day of the calendar (day"
    )


def test_config_times_typed_with_other_decimal_digits_read_as_its_durations_do(
    tmp_path, monkeypatch
):
    """config.toml took `break_after_s = "５０m"` but refused `quiet_hours` and
    `checkin_time` written with the same digits."""
    home = tmp_path / "pg"
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[coach]\nbreak_after_s = "５０m"\nquiet_hours = "２２:００-٠٧:٠٠"\n'
        'checkin_time = "１８:１５"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    out = " ".join(posture_guard_ok(["config"], home).split())
    assert "22:00-07:00" in out and "18:15" in out


@pytest.mark.parametrize(
    "zone, start, shown",
    [
        ("Europe/Berlin", "2026-03-29T02:30", "2026-03-29T03:30"),
        ("America/St_Johns", "2026-03-08T02:15", "2026-03-08T03:15"),
    ],
)
def test_a_replay_start_the_clock_skipped_is_refused_naming_why(
    tmp_path, monkeypatch, zone, start, shown
):
    """`demo --start` (replay's option) at a time the clocks skipped going forward was
    replayed from an hour later without a word, its log and prompts off the time typed."""
    monkeypatch.setenv("TZ", zone)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    done = posture_guard(["demo", "--start", start], tmp_path / "pg", capture_output=True)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"posture-guard: --start {start!r} is a time the clock skipped that night (it went "
        f"forward an hour); give the time it showed ({shown} is the moment it would have "
        "been)"
    ]
