"""A Snooze button snoozes for the length its label said, whichever session it is pressed in.

The label is what the user agreed to. A new session of the running monitor (the clock
set, a plan's midnight) or an edited config.toml taken up brings another
``snooze_button_s``; a "Snooze 15 min" shown before it snoozed for the new length (45 min
here). These run two monitor sessions in one process over a real private D-Bus
notification server and a real SQLite log, as the monitor's sessions do.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

from posture_guard import paths
from posture_guard.coach import CoachSettings, CoachSink
from posture_guard.exercises import load_library
from posture_guard.notify import SHOWN_NAME, DesktopNotifierBackend
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision
from tests.test_coach import FWD, GOOD
from tests.test_earlier_buttons import _press

pytest_plugins = ["tests.notify_fixtures"]

START = datetime(2024, 3, 4, 10, 0)


def _sink(tmp_path: Path, start: datetime, store, snooze_s: float) -> CoachSink:
    return CoachSink(
        SessionInfo(start=start, profile="p", live=True),
        DesktopNotifierBackend(),
        CoachSettings(checkin_time=None, snooze_button_s=snooze_s),
        on_event=store.log_event,
        memory_file=tmp_path / "coach.json",
    )


def _alert(sink: CoachSink, server):
    """Slumped until the posture alert comes: the server's notification of it."""
    for k in range(4 * 60):
        sink.on_decision(Decision(float(k), FWD if k < 3 * 60 else GOOD, changed=k in (0, 180)))
    ((effect, delivery),) = sink.sent
    assert effect.kind == "posture" and delivery.shown
    (call,) = server.wait_for(1)
    return call


def _snoozed_for(sink: CoachSink, start: datetime, t: float) -> float:
    """How long the Snooze pressed at the sink's time ``t`` snoozes, in minutes."""
    until = sink.state.button_snooze_until
    assert until is not None
    return (until.timestamp() - (start.timestamp() + t)) / 60


def test_snooze_on_an_earlier_sessions_prompt_snoozes_for_its_labels_length(
    tmp_path, store, notification_server
):
    first = _sink(tmp_path, START, store, 15 * 60.0)
    call = _alert(first, notification_server)
    first.close(4 * 60.0)
    assert call.buttons["snooze"] == "Snooze 15 min"
    # a new session of the same monitor, config.toml's Snooze button made 45 min since
    start = datetime(2024, 3, 4, 10, 20)
    second = _sink(tmp_path, start, store, 45 * 60.0)
    t = _press(
        notification_server, call.id, "snooze", second, lambda: second.state.button_snooze_until
    )
    second.close(t)
    assert abs(_snoozed_for(second, start, t) - 15) < 0.2


def test_snooze_on_a_prompt_shown_before_the_settings_changed_keeps_its_length(
    tmp_path, store, notification_server
):
    sink = _sink(tmp_path, START, store, 15 * 60.0)
    call = _alert(sink, notification_server)
    # config.toml edited while the alert is on screen: the monitor takes it up
    sink.follow_settings(
        CoachSettings(checkin_time=None, snooze_button_s=45 * 60.0), load_library()
    )
    notification_server.invoke_action(call.id, "snooze")
    t = 4 * 60.0
    while sink.state.button_snooze_until is None:
        assert t < 4 * 60 + 50, "the Snooze press was never taken"
        t += 0.2
        sink.on_decision(Decision(t, GOOD))
        time.sleep(0.05)
    sink.close(t)
    assert abs(_snoozed_for(sink, START, t) - 15) < 0.2


def test_snooze_on_a_prompt_an_older_version_kept_snoozes_for_the_setting(
    tmp_path, store, notification_server
):
    """notifications.json of a version that kept no length: the setting in force, as then."""
    first = _sink(tmp_path, START, store, 15 * 60.0)
    call = _alert(first, notification_server)
    first.close(4 * 60.0)
    shown = paths.state_dir() / SHOWN_NAME
    records = json.loads(shown.read_text(encoding="utf-8"))
    for r in records:
        r.pop("snooze_s", None)
    shown.write_text(json.dumps(records), encoding="utf-8")
    start = datetime(2024, 3, 4, 10, 20)
    second = _sink(tmp_path, start, store, 45 * 60.0)
    t = _press(
        notification_server, call.id, "snooze", second, lambda: second.state.button_snooze_until
    )
    second.close(t)
    assert abs(_snoozed_for(second, start, t) - 45) < 0.2
