"""Today's own check-in and the diary, and a check-in's buttons across a restart.

A user who ran `posture-guard checkin --none` or `headache add` for today before the
check-in time was still asked "Did you have a headache today?"; and a button pressed on a
check-in shown before the monitor restarted recorded nothing ('a check-in this session
did not show'). These run the sink with a real coach.json and a real SQLite diary, and
the engine on a fake clock to count the diary reads.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Optional

from posture_guard.coach import Coach, CoachSettings, CoachSink
from posture_guard.diary import Diary, Headache
from posture_guard.exercises import load_library
from posture_guard.notify import Notifier
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision
from tests.buttons import ButtonNotifier
from tests.test_coach import FWD, GOOD, T0, Run

MONDAY = date(2024, 3, 4)  # T0's day


def _session(
    tmp_path: Path, start: datetime, seconds: int, store, notifier: Optional[Notifier] = None
) -> CoachSink:
    """A live-style sink with the coach's memory file and a real diary, at the desk."""
    sink = CoachSink(
        SessionInfo(start=start, profile="p", live=True),
        notifier if notifier is not None else ButtonNotifier(),
        CoachSettings(checkin_time=time(17, 30)),
        on_event=store.log_event,
        memory_file=tmp_path / "coach.json",
    )
    for k in range(seconds):
        sink.on_decision(Decision(float(k), GOOD, changed=k == 0))
    return sink


def test_a_day_the_diary_knows_by_the_checkin_time_is_not_asked_about(tmp_path, store):
    # `checkin --none` at 17:00: the monitor at the desk 17:20-17:50 does not ask
    Diary(store).check_in_none(MONDAY)
    sink = _session(tmp_path, datetime(2024, 3, 4, 17, 20), 30 * 60, store)
    sink.close(30 * 60.0)
    assert [e.kind for e, _ in sink.sent if e.kind == "checkin"] == []
    # nor does the next morning's monitor ask about Monday, which the diary knows
    sink = _session(tmp_path, datetime(2024, 3, 5, 9, 0), 60, store)
    sink.close(60.0)
    assert sink.sent == []
    # a headache added for the day counts as well; a day the diary does not know is asked
    Diary(store).add(Headache(day=date(2024, 3, 5), intensity=4))
    sink = _session(tmp_path, datetime(2024, 3, 5, 17, 20), 30 * 60, store)
    sink.close(30 * 60.0)
    assert [e.kind for e, _ in sink.sent] == []
    sink = _session(tmp_path, datetime(2024, 3, 6, 17, 20), 30 * 60, store)
    sink.close(30 * 60.0)
    ((effect, _),) = sink.sent
    assert effect.title == "End-of-day check-in"
    assert effect.body.startswith("Did you have a headache today?")


def test_the_diary_is_read_once_when_the_checkin_comes_due(tmp_path):
    """An alert at 17:29:03 holds the check-in back 5 min (the gap): the diary is read
    once at 17:30, not at each of those decisions, and the check-in comes at 17:34:03."""
    reads: list[date] = []

    def knows(day: date) -> bool:
        reads.append(day)
        return False

    coach = Coach(CoachSettings(checkin_time=time(17, 30)), load_library(), knows)
    run = Run(coach, coach.initial())
    run.t = (datetime(2024, 3, 4, 17, 4) - T0).total_seconds()
    run.feed(GOOD, 22 * 60).feed(FWD, 3 * 60).feed(GOOD, 20 * 60)
    ((alert_t, _),) = run.kinds("posture")
    ((at, n),) = run.kinds("checkin")
    assert at - alert_t == 300
    assert n.title == "End-of-day check-in"
    assert reads == [MONDAY]
