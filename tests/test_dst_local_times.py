"""Local times of a day read by the zone's rules for that day, on the days the clocks
change (Europe/Berlin, and America/St_Johns, whose offset is not a whole hour)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import datetime
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest

from posture_guard.coach import CoachSettings, CoachSink
from posture_guard.notify import PrintingNotifier
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision, PostureState


@pytest.fixture
def st_johns() -> Iterator[ZoneInfo]:
    """Local time is America/St_Johns (UTC-3:30; the clocks go back on 2026-11-01 02:00
    -> 01:00), set back to what it was after the test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "America/St_Johns")
        time.tzset()
        yield ZoneInfo("America/St_Johns")
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


def test_plan_doses_in_the_hour_the_clocks_go_back_are_prompted_once_in_berlin(tmp_path, berlin):
    """02:30 comes twice on 2026-10-25: its dose (and the one before) was prompted again
    in the second pass, the dose time given the offset in force when it was looked at."""
    slots = ((clock(1, 30), "chin_tuck"), (clock(2, 30), "neck_rotation"), (clock(4), "chin_tuck"))
    start = datetime(2026, 10, 25, 1, 0, tzinfo=berlin)
    assert _doses(tmp_path, start, 4.5, slots) == [
        "01:30 at 01:30+0200",
        "02:30 at 02:30+0200",
        "04:00 at 04:00+0100",
    ]


def test_plan_doses_in_the_hour_the_clocks_go_back_are_prompted_once_in_st_johns(
    tmp_path, st_johns
):
    """St. John's goes back from 02:00 NDT to 01:00 NST on 2026-11-01: 01:15 and 01:45
    come twice, and each dose was prompted in both passes."""
    slots = ((clock(1, 15), "chin_tuck"), (clock(1, 45), "neck_rotation"), (clock(3), "chin_tuck"))
    start = datetime(2026, 11, 1, 0, 30, tzinfo=st_johns)
    assert _doses(tmp_path, start, 4, slots) == [
        "01:15 at 01:15-0230",
        "01:45 at 01:45-0230",
        "03:00 at 03:00-0330",
    ]


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
