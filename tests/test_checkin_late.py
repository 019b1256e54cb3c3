"""The check-in that could not come on its day: asked once, late, about that day.

A coach audit found the daily headache check-in lost when the gap, the hourly cap, a
snooze or the quiet hours held it back until the user left or midnight passed, or when
the user left before the check-in time: the day stayed unknown in the diary. These run
the engine on a fake clock, the sink with a real coach.json and a real SQLite diary, and
the buttons over a real D-Bus notification server.
"""

from __future__ import annotations

import time as _time
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Optional

from posture_guard.coach import (
    Action,
    Coach,
    CoachSettings,
    CoachSink,
    DiaryCheckIn,
    read_memory,
)
from posture_guard.diary import Diary, Headache
from posture_guard.exercises import load_library
from posture_guard.notify import DesktopNotifierBackend, Notifier
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision
from tests.buttons import ButtonNotifier
from tests.test_coach import AWAY, FWD, GOOD, T0, Run

pytest_plugins = ["tests.notify_fixtures"]

MONDAY = date(2024, 3, 4)  # T0's day
TUESDAY = date(2024, 3, 5)


def _at(run: Run, moment: datetime) -> Run:
    run.t = (moment - T0).total_seconds()
    return run


def _checkins(run: Run) -> list[tuple[datetime, object]]:
    return [(T0 + timedelta(seconds=t), n) for t, n in run.kinds("checkin")]


def _run(**kw) -> Run:
    coach = Coach(CoachSettings(**kw), load_library())
    return Run(coach, coach.initial())


def test_a_checkin_held_back_into_the_quiet_hours_is_asked_about_the_next_morning():
    """The audit: check-in at 17:57, quiet hours 18:00-08:00, an alert at 17:55:03 (the
    5-minute gap holds the check-in back to 18:00:03), the user at the desk until 18:18."""
    run = _run(checkin_time=time(17, 57), quiet_hours=(time(18, 0), time(8, 0)))
    _at(run, datetime(2024, 3, 4, 17, 30)).feed(GOOD, 24 * 60).feed(FWD, 3 * 60)
    run.feed(GOOD, 21 * 60)  # to 18:18
    (alert_t, _), *_ = run.kinds("posture")
    assert T0 + timedelta(seconds=alert_t) == datetime(2024, 3, 4, 17, 55, 3)
    assert run.kinds("checkin") == []  # held back, then silenced
    # the next morning: asked at 08:00, the end of the quiet hours, about Monday
    _at(run, datetime(2024, 3, 5, 7, 50)).feed(GOOD, 20 * 60)
    ((at, n),) = _checkins(run)
    assert at == datetime(2024, 3, 5, 8, 0)
    assert n.title == "Check-in for yesterday"
    assert n.body.startswith("How was yesterday, Monday 4 March?")
    assert dict(n.buttons) == {"no_headache": "No headache", "headache": "I had a headache"}
    ((_, ev),) = run.event_kinds("checkin_prompted")
    assert ev.payload == {"day": "2024-03-04", "prompt": n.prompt_id, "late": True}
    # its buttons record Monday, not the Tuesday they are pressed on
    fx = run.step(GOOD, actions=(Action(n.prompt_id, "no_headache", "checkin"),))
    assert [e for e in fx if isinstance(e, DiaryCheckIn)] == [DiaryCheckIn(n.prompt_id, MONDAY)]
    fx = run.step(GOOD, actions=(Action(n.prompt_id, "headache", "checkin"),))
    (reply,) = [e for e in fx if getattr(e, "kind", "") == "diary"]
    assert "headache add --date 2024-03-04 --intensity" in reply.body
    # never asked again, and Tuesday's own check-in still comes at 17:57
    _at(run, datetime(2024, 3, 5, 17, 50)).feed(GOOD, 10 * 60)
    assert [at for at, _ in _checkins(run)] == [
        datetime(2024, 3, 5, 8, 0),
        datetime(2024, 3, 5, 17, 57),
    ]
    assert _checkins(run)[1][1].title == "End-of-day check-in"


def test_a_checkin_snoozed_past_midnight_is_asked_about_the_day_before():
    run = _run(checkin_time=time(23, 30), break_after_s=4 * 3600.0)  # no break prompt first
    snooze = datetime(2024, 3, 5, 0, 20)
    _at(run, datetime(2024, 3, 4, 23, 20)).feed(GOOD, 70 * 60, snooze_until=snooze)
    ((at, n),) = _checkins(run)
    assert at == snooze
    assert n.body.startswith("How was yesterday, Monday 4 March?")
    ((_, ev),) = run.event_kinds("checkin_prompted")
    assert ev.payload["day"] == "2024-03-04"


def test_the_hourly_cap_holding_the_checkin_past_midnight_still_asks_about_that_day():
    run = _run(
        checkin_time=time(23, 50), max_prompts_per_hour=1, min_gap_s=60, break_after_s=4 * 3600.0
    )
    # an alert at 23:49:03 fills the hour's one prompt until 00:49:03
    _at(run, datetime(2024, 3, 4, 23, 45)).feed(GOOD, 3 * 60).feed(FWD, 64).feed(GOOD, 3600)
    ((at, n),) = _checkins(run)
    assert at == datetime(2024, 3, 5, 0, 49, 3)
    assert "Monday 4 March" in n.body


def test_a_user_who_left_before_the_checkin_is_asked_on_coming_back_the_next_day():
    run = _run(checkin_time=time(17, 30))
    _at(run, datetime(2024, 3, 4, 9, 0)).feed(GOOD, 60).feed(AWAY, 60)
    _at(run, datetime(2024, 3, 5, 10, 0)).feed(AWAY, 60).feed(GOOD, 60)
    ((at, n),) = _checkins(run)
    assert at == datetime(2024, 3, 5, 10, 1)
    assert n.body.startswith("How was yesterday, Monday 4 March?")


def test_one_catch_up_only_and_never_more_than_two_days_back():
    # at the desk Monday, away Tuesday, back Wednesday: asked about Monday, by its name
    run = _run(checkin_time=time(17, 30))
    _at(run, datetime(2024, 3, 4, 9, 0)).feed(GOOD, 60)
    _at(run, datetime(2024, 3, 6, 9, 0)).feed(GOOD, 30 * 60)
    ((_, n),) = _checkins(run)
    assert n.title == "Check-in for Monday 4 March"
    assert n.body.startswith("How was Monday 4 March?")
    # a Friday is not asked about on Monday, nor a holiday's days: the last day monitored
    # is three or more days back
    for back in (3, 10):
        run = _run(checkin_time=time(17, 30))
        _at(run, datetime(2024, 3, 4, 9, 0) - timedelta(days=back)).feed(GOOD, 60)
        _at(run, datetime(2024, 3, 4, 9, 0)).feed(GOOD, 3 * 3600)
        assert run.kinds("checkin") == []
    # two days unasked in a row: only the last one monitored, once
    run = _run(checkin_time=time(17, 30))
    _at(run, datetime(2024, 3, 4, 9, 0)).feed(GOOD, 60)
    _at(run, datetime(2024, 3, 5, 9, 0)).feed(GOOD, 60, snooze_until=datetime(2024, 3, 6))
    _at(run, datetime(2024, 3, 6, 9, 0)).feed(GOOD, 3 * 3600)
    ((_, n),) = _checkins(run)
    assert n.body.startswith("How was yesterday, Tuesday 5 March?")


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


def test_the_day_to_ask_about_outlives_a_restart_and_no_headache_records_it(tmp_path, store):
    """Left at noon, the laptop shut down: the monitor started the next morning asks."""
    _session(tmp_path, datetime(2024, 3, 4, 9, 0), 60, store).close(60.0)
    notifier = ButtonNotifier()
    sink = _session(tmp_path, datetime(2024, 3, 5, 9, 0), 60, store, notifier)
    ((effect, _),) = sink.sent
    assert effect.kind == "checkin" and effect.body.startswith("How was yesterday, Monday")
    (shown,) = notifier.shown
    assert shown.day == MONDAY
    notifier.press("checkin", "no_headache")
    sink.on_decision(Decision(61.0, GOOD))
    sink.close(62.0)
    days = Diary(store).days(MONDAY, TUESDAY)
    assert (days[MONDAY].status, days[TUESDAY].status) == ("none", "unknown")
    # asked once: a monitor started again that morning does not ask again
    again = _session(tmp_path, datetime(2024, 3, 5, 9, 30), 60, store)
    again.close(60.0)
    assert again.sent == []
    assert read_memory(tmp_path / "coach.json", T0.timestamp() + 2 * 86400).checkin_owed is None


def test_a_day_the_diary_already_knows_is_not_asked_about(tmp_path, store):
    diary = Diary(store)
    diary.check_in_none(MONDAY)
    diary.add(Headache(day=TUESDAY, intensity=4))
    for first, second in ((MONDAY, TUESDAY), (TUESDAY, date(2024, 3, 6))):
        start = datetime.combine(first, time(9, 0))
        _session(tmp_path / first.isoformat(), start, 60, store).close(60.0)
        sink = _session(
            tmp_path / first.isoformat(), datetime.combine(second, time(9, 0)), 60, store
        )
        sink.close(60.0)
        assert sink.sent == []
    # the day after the headache, which the diary does not know, is asked about
    _session(tmp_path, datetime(2024, 3, 6, 9, 0), 60, store).close(60.0)
    sink = _session(tmp_path, datetime(2024, 3, 7, 9, 0), 60, store)
    sink.close(60.0)
    ((effect, _),) = sink.sent
    assert effect.body.startswith("How was yesterday, Wednesday 6 March?")


def test_the_late_checkins_no_headache_button_over_dbus_records_that_day(
    tmp_path, store, notification_server
):
    _session(tmp_path, datetime(2024, 3, 4, 9, 0), 60, store).close(60.0)
    sink = _session(tmp_path, datetime(2024, 3, 5, 9, 0), 60, store, DesktopNotifierBackend())
    (call,) = notification_server.wait_for(1)
    assert call.summary == "Check-in for yesterday"
    assert call.body.startswith("How was yesterday, Monday 4 March?")
    assert set(call.buttons) >= {"no_headache", "headache"}
    notification_server.invoke_action(call.id, "no_headache")
    t = 60.0
    deadline = _time.monotonic() + 5
    while Diary(store).days(MONDAY, MONDAY)[MONDAY].status != "none":
        assert _time.monotonic() < deadline, "the button's answer never reached the diary"
        t += 0.2
        sink.on_decision(Decision(t, GOOD))
        _time.sleep(0.02)
    sink.close(t)
    assert Diary(store).days(TUESDAY, TUESDAY)[TUESDAY].status == "unknown"
    answered = [e for e in sink.events if e.kind == "checkin_answered"]
    assert [e.payload["day"] for e in answered] == ["2024-03-04"]
