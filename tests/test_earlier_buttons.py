"""Done and Snooze pressed on a prompt an earlier monitor run showed.

Prompts with buttons never expire, so a user often presses Done or Snooze on one shown
before the monitor restarted (a login, a `stop`/`run`, a new session). Both were only
logged, with the command that would do it: the exercise done was not recorded (the
prompt counted as ignored) and the running monitor was not snoozed. These run two
monitor sessions over a real private D-Bus notification server and a real SQLite log;
the button is pressed on the first session's notification while the second runs.
"""

from __future__ import annotations

import logging
import time as _time
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from posture_guard import adherence, paths
from posture_guard.coach import CoachSettings, CoachSink
from posture_guard.notify import DesktopNotifierBackend
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision
from tests.buttons import shown_earlier
from tests.test_coach import FWD, GOOD

pytest_plugins = ["tests.notify_fixtures"]

MONDAY = date(2024, 3, 4)


def _sink(tmp_path: Path, start: datetime, store) -> CoachSink:
    return CoachSink(
        SessionInfo(start=start, profile="p", live=True),
        DesktopNotifierBackend(),
        CoachSettings(checkin_time=None),
        on_event=store.log_event,
        memory_file=tmp_path / "coach.json",
    )


def _earlier_alert(tmp_path: Path, store, server, start: datetime):
    """A monitor that shows a posture alert (with Done and Snooze), then ends; the
    alert's prompt id and the server's notification."""
    sink = _sink(tmp_path, start, store)
    for k in range(4 * 60):
        sink.on_decision(Decision(float(k), FWD if k < 3 * 60 else GOOD, changed=k in (0, 180)))
    sink.close(4 * 60.0)
    ((effect, delivery),) = sink.sent
    assert effect.kind == "posture" and effect.exercise and delivery.shown
    (call,) = server.wait_for(1)
    assert {"done", "snooze"} <= set(call.buttons)
    return effect, call


def _press(server, nid: int, action: str, sink: CoachSink, done: Callable[[], bool]) -> float:
    """Press ``action`` once on ``nid`` while the sink runs (at the desk), once the new run
    listens on the bus, and run on until ``done()``; the sink's time then."""
    for k in range(10):
        sink.on_decision(Decision(float(k), GOOD, changed=k == 0))
    notifier = sink.notifier
    assert isinstance(notifier, DesktopNotifierBackend)
    notifier._listening.result(10)  # connected, and hearing the server's presses
    assert notifier._heard_on is not None
    server.invoke_action(nid, action)
    t = 10.0
    deadline = _time.monotonic() + 10
    while not done():
        assert _time.monotonic() < deadline, f"the {action!r} press was never taken"
        t += 0.2
        sink.on_decision(Decision(t, GOOD))
        _time.sleep(0.05)
    return t


def _kinds(store, kind: str):
    return store.events(0, 4e9, (kind,))


def test_done_on_an_earlier_runs_prompt_records_it_done_on_the_prompts_day(
    tmp_path, store, notification_server
):
    # the alert at about 23:59 Monday; the monitor started again after midnight
    effect, call = _earlier_alert(
        tmp_path, store, notification_server, datetime(2024, 3, 4, 23, 56)
    )
    sink = _sink(tmp_path, datetime(2024, 3, 5, 0, 10), store)
    t = _press(notification_server, call.id, "done", sink, lambda: _kinds(store, "exercise_done"))
    sink.close(t)
    (done,) = _kinds(store, "exercise_done")
    assert done.payload["prompt"] == effect.prompt_id
    assert done.payload["exercise"] == effect.exercise
    # it answers that prompt, on its day (Monday), as `posture-guard done` would
    monday = adherence.load(store, MONDAY, MONDAY).total(effect.exercise)
    assert (monday.prompted, monday.done, monday.done_after_prompt, monday.ignored) == (1, 1, 1, 0)
    tuesday = adherence.load(store, date(2024, 3, 5), date(2024, 3, 5)).total(effect.exercise)
    assert tuesday.done == 0


def test_snooze_on_an_earlier_runs_prompt_snoozes_the_running_monitor(
    tmp_path, store, notification_server
):
    effect, call = _earlier_alert(tmp_path, store, notification_server, datetime(2024, 3, 4, 10, 0))
    start = datetime(2024, 3, 4, 10, 20)
    sink = _sink(tmp_path, start, store)
    t = _press(notification_server, call.id, "snooze", sink, lambda: sink.state.button_snooze_until)
    assert sink.state.button_snooze_until is not None
    snoozed_at = start.timestamp() + t
    assert abs(sink.state.button_snooze_until.timestamp() - (snoozed_at + 15 * 60)) < 5
    # slumped for the next 10 min: no alert while the snooze lasts
    for k in range(10 * 60):
        sink.on_decision(Decision(t + 1 + k, FWD, changed=k == 0))
    sink.close(t + 10 * 60 + 1)
    assert [e for e, _ in sink.sent if e.kind == "posture"] == []
    (snooze,) = _kinds(store, "snooze")
    assert snooze.payload["source"] == "button" and snooze.payload["prompt"] == effect.prompt_id
    # the earlier prompt counts as declined, as the button on it always did
    day = adherence.load(store, MONDAY, MONDAY).total(effect.exercise)
    assert (day.skipped, day.ignored) == (1, 0)


def test_done_on_an_earlier_prompt_past_the_response_window_is_only_logged(
    tmp_path, store, notification_server, caplog
):
    caplog.set_level(logging.WARNING, logger="posture_guard.notify")
    effect, call = _earlier_alert(tmp_path, store, notification_server, datetime(2024, 3, 4, 10, 0))
    # shown 2 h ago, by both clocks notifications.json keeps: no longer takes an answer
    shown_earlier(wall_s=2 * 3600, monotonic_s=2 * 3600)
    sink = _sink(tmp_path, datetime(2024, 3, 4, 12, 0), store)
    t = _press(
        notification_server, call.id, "done", sink, lambda: "before this monitor" in caplog.text
    )
    sink.close(t)
    assert _kinds(store, "exercise_done") == []
    assert "more than 90 min ago, when it no longer takes an answer" in caplog.text
    assert f"`posture-guard done {effect.exercise}` does what it would have" in caplog.text


def test_done_on_an_earlier_sessions_prompt_after_the_clock_was_set_forward_is_recorded(
    tmp_path, store, notification_server
):
    """The clock set forward by 2 h while the monitor runs begins a new session: its
    alert, shown a moment before, was 2 h old by the wall clock, and the Done pressed on
    it was only logged ("more than 90 min ago"), the exercise done not recorded. Its age
    is the time really passed, on the monotonic clock of the process that showed it."""
    effect, call = _earlier_alert(tmp_path, store, notification_server, datetime(2024, 3, 4, 10, 0))
    shown_earlier(wall_s=2 * 3600, monotonic_s=0)
    sink = _sink(tmp_path, datetime(2024, 3, 4, 12, 5), store)
    t = _press(notification_server, call.id, "done", sink, lambda: _kinds(store, "exercise_done"))
    sink.close(t)
    (done,) = _kinds(store, "exercise_done")
    assert (done.payload["prompt"], done.payload["exercise"]) == (
        effect.prompt_id,
        effect.exercise,
    )


def test_done_on_the_monitors_prompt_is_not_recorded_by_a_replay_beside_it_in_its_db(
    tmp_path, store, notification_server, caplog
):
    """A `replay --db F --notify` started while the monitor runs heard the buttons of the
    monitor's notifications shown before it began, as an earlier session's: a Done pressed
    on the monitor's prompt was recorded by the monitor and again by the replay, in F."""
    from posture_guard.store import Store

    caplog.set_level(logging.WARNING, logger="posture_guard.coach")
    start = datetime(2024, 3, 4, 10, 0)
    monitor = _sink(tmp_path, start, store)
    for k in range(4 * 60):
        monitor.on_decision(Decision(float(k), FWD, changed=k == 0))
    ((effect, delivery),) = monitor.sent
    assert effect.kind == "posture" and delivery.shown
    (call,) = notification_server.wait_for(1)
    replayed = tmp_path / "replayed.sqlite3"
    with Store.open(replayed) as other:
        replay = CoachSink(
            SessionInfo(start=datetime(2024, 2, 1, 9, 0), profile="p", live=False),
            DesktopNotifierBackend(),
            CoachSettings(checkin_time=None),
            on_event=other.log_event,
            db=str(replayed),
        )
        replay.notifier._listening.result(10)  # hearing the server's presses
        notification_server.invoke_action(call.id, "done")
        # both run on (each reads its buttons at each decision) until the monitor has
        # recorded the Done and the replay has taken it or said why not
        deadline = _time.monotonic() + 10
        t = 4 * 60.0
        while not (
            _kinds(store, "exercise_done")
            and (_kinds(other, "exercise_done") or "is not recorded in" in caplog.text)
        ):
            assert _time.monotonic() < deadline, "the press was not taken by both"
            t += 0.2
            monitor.on_decision(Decision(t, GOOD, changed=False))
            replay.on_decision(Decision(t - 230, GOOD))
            _time.sleep(0.05)
        monitor.close(t)
        replay.close(t - 230)
        assert _kinds(other, "exercise_done") == []
    (done,) = _kinds(store, "exercise_done")
    assert done.payload["prompt"] == effect.prompt_id
    assert f"it is not recorded in {replayed.resolve()}" in caplog.text
    assert f"`posture-guard done {effect.exercise}` records it there" in caplog.text


def test_no_headache_on_a_replays_check_in_names_its_db_and_records_nothing_here(
    tmp_path, store, notification_server, caplog
):
    """A `replay --db F --notify` asked its check-in; the user pressed "No headache" on it
    after the replay had ended, while the monitor ran: the answer is F's, not the user's
    own diary's (the monitor said a check-in it did not show, naming `checkin --none`
    without F)."""
    from datetime import time as dt_time

    from posture_guard.store import Store

    caplog.set_level(logging.WARNING, logger="posture_guard.coach")
    replayed = tmp_path / "replayed.sqlite3"
    with Store.open(replayed) as other:
        replay = CoachSink(
            SessionInfo(start=datetime(2024, 2, 1, 17, 0), profile="p", live=False),
            DesktopNotifierBackend(),
            CoachSettings(checkin_time=dt_time(17, 0)),
            on_event=other.log_event,
            db=str(replayed),
        )
        for k in range(60):
            replay.on_decision(Decision(float(k), GOOD, changed=k == 0))
        replay.close(60.0)
        ((effect, delivery),) = replay.sent
        assert effect.kind == "checkin" and delivery.shown
    (call,) = notification_server.wait_for(1)
    assert "no_headache" in call.buttons
    sink = _sink(tmp_path, datetime(2024, 3, 4, 10, 0), store)
    t = _press(
        notification_server,
        call.id,
        "no_headache",
        sink,
        lambda: "is not recorded in" in caplog.text or sink.notes,
    )
    sink.close(t)
    assert f"it is not recorded in {paths.database_file().resolve()}" in caplog.text
    command = f"posture-guard checkin --none --date 2024-02-01 --db {replayed}"
    assert f"`{command}` records it there" in caplog.text
    assert _kinds(store, "checkin_answered") == [] and sink.notes == []
