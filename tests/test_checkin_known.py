"""Today's own check-in and the diary, and a check-in's buttons across a restart.

A user who ran `posture-guard checkin --none` or `headache add` for today before the
check-in time was still asked "Did you have a headache today?"; and a button pressed on a
check-in shown before the monitor restarted recorded nothing ('a check-in this session
did not show'). These run the sink with a real coach.json and a real SQLite diary, and
the engine on a fake clock to count the diary reads.
"""

from __future__ import annotations

import json
import time as _time
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Optional

from posture_guard.coach import Coach, CoachSettings, CoachSink, read_memory, write_memory
from posture_guard.diary import Diary, Headache
from posture_guard.exercises import load_library
from posture_guard.notify import Click, DesktopNotifierBackend, Notifier
from posture_guard.states import Decision
from tests.buttons import ButtonNotifier
from tests.test_checkin_late import _session  # a live-style sink, coach.json, a real diary
from tests.test_coach import FWD, GOOD, T0, Run

pytest_plugins = ["tests.notify_fixtures"]

MONDAY = date(2024, 3, 4)  # T0's day
TUESDAY = date(2024, 3, 5)


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


def _monday_checkin(tmp_path: Path, store, notifier: Optional[Notifier] = None) -> CoachSink:
    """A monitor at the desk Monday 17:29-17:31 that shows the check-in, then ends."""
    sink = _session(tmp_path, datetime(2024, 3, 4, 17, 29), 2 * 60, store, notifier)
    sink.close(2 * 60.0)
    ((effect, _),) = sink.sent
    assert effect.kind == "checkin"
    return sink


def test_a_checkin_button_pressed_after_a_restart_records_the_day_it_asked(tmp_path, store):
    first = ButtonNotifier()
    _monday_checkin(tmp_path, store, first)
    # started again Tuesday morning: "No headache" on Monday's check-in records Monday
    (shown,) = first.shown
    notifier = ButtonNotifier()
    sink = _session(tmp_path, datetime(2024, 3, 5, 9, 0), 10, store, notifier)
    notifier.pending.append(Click(shown.prompt_id, "no_headache"))
    sink.on_decision(Decision(10.0, GOOD))
    sink.close(11.0)
    assert sink.notes == ["Recorded 2024-03-04 as headache-free in your headache diary."]
    days = Diary(store).days(MONDAY, TUESDAY)
    assert (days[MONDAY].status, days[TUESDAY].status) == ("none", "unknown")
    (answered,) = [e for e in sink.events if e.kind == "checkin_answered"]
    assert answered.payload["day"] == "2024-03-04"


def test_a_coach_json_without_the_checkins_asked_still_loads(tmp_path):
    path = tmp_path / "coach.json"
    path.write_text(json.dumps({"last_checkin_day": "2024-03-04", "alerts": []}))
    memory = read_memory(path, T0.timestamp())
    assert (memory.last_checkin_day, memory.checkin_prompts) == (MONDAY, ())
    write_memory(path, replace(memory, checkin_prompts=((7, MONDAY),)))
    assert read_memory(path, T0.timestamp()).checkin_prompts == ((7, MONDAY),)


def test_a_checkin_button_over_dbus_after_a_restart_records_that_day(
    tmp_path, store, notification_server
):
    _monday_checkin(tmp_path, store, DesktopNotifierBackend())
    (call,) = notification_server.wait_for(1)
    assert call.summary == "End-of-day check-in"
    # the monitor started again Tuesday morning; the notification is still on screen
    sink = _session(tmp_path, datetime(2024, 3, 5, 9, 0), 10, store, DesktopNotifierBackend())
    t = 10.0
    deadline = _time.monotonic() + 10
    while Diary(store).days(MONDAY, MONDAY)[MONDAY].status != "none":
        assert _time.monotonic() < deadline, "the button's answer never reached the diary"
        notification_server.invoke_action(call.id, "no_headache")  # heard once connected
        t += 0.2
        sink.on_decision(Decision(t, GOOD))
        _time.sleep(0.05)
    sink.close(t)
    assert Diary(store).days(TUESDAY, TUESDAY)[TUESDAY].status == "unknown"
    answered = [e for e in sink.events if e.kind == "checkin_answered"]
    assert {e.payload["day"] for e in answered} == {"2024-03-04"}
