"""The prompts a session of the running monitor left open when a new session began (the
clock set, a plan's midnight) are closed 90 min after they were shown, as the session's
own are: each session has a notifier of its own, which closed only what it had shown, so
an ignored break prompt or alert of the session before stayed on screen until the monitor
stopped. Two sessions in one process, as the monitor runs them, over a real private D-Bus
notification server and a real SQLite log."""

from __future__ import annotations

import json
import time
from datetime import datetime
from datetime import time as dt_time
from pathlib import Path

from posture_guard import notify, paths
from posture_guard.coach import CoachSettings, CoachSink
from posture_guard.notify import SHOWN_NAME
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision
from tests.buttons import shown_earlier
from tests.dbus_server import NotificationServer
from tests.test_coach import FWD, GOOD

pytest_plugins = ["tests.notify_fixtures"]


def _sink(tmp_path: Path, start: datetime, store, checkin: dt_time | None) -> CoachSink:
    return CoachSink(
        SessionInfo(start=start, profile="p", live=True),
        notify.DesktopNotifierBackend(),
        CoachSettings(checkin_time=checkin),
        on_event=store.log_event,
        memory_file=tmp_path / "coach.json",
    )


def test_an_earlier_sessions_prompt_past_its_response_window_is_closed_by_the_next(
    tmp_path: Path, store, notification_server: NotificationServer, monkeypatch
) -> None:
    first = _sink(tmp_path, datetime(2024, 3, 4, 17, 0), store, dt_time(17, 0))
    for k in range(10 * 60):
        first.on_decision(Decision(float(k), FWD, changed=k == 0))
    assert [e.kind for e, d in first.sent if d.shown] == ["checkin", "posture"]
    checkin, alert = notification_server.wait_for(2)
    first.close(10 * 60.0)  # the session ends: the clock was set
    assert alert.id not in notification_server.closed
    # the answer counts for 1.5 s here (90 min), looked at each time
    monkeypatch.setattr(notify, "RESPONSE_WINDOW_S", 1.5)
    monkeypatch.setattr(notify, "EXPIRY_CHECK_S", 0.0)
    second = _sink(tmp_path, datetime(2024, 3, 4, 17, 30), store, None)
    t = 0.0
    deadline = time.monotonic() + 15
    while alert.id not in notification_server.closed:
        assert time.monotonic() < deadline, "the earlier session's alert stayed open"
        second.on_decision(Decision(t, GOOD, changed=t == 0))
        t += 0.2
        time.sleep(0.05)
    second.close(t)
    # the check-in, whose answer is about its day, stays until answered
    assert checkin.id not in notification_server.closed
    records = {r["nid"]: r for r in json.loads((paths.state_dir() / SHOWN_NAME).read_text())}
    assert records[alert.id].get("closed") is True
    assert not records[checkin.id].get("closed")


def test_a_clock_set_forward_does_not_close_an_earlier_sessions_prompt_early(
    tmp_path: Path, store, notification_server: NotificationServer, monkeypatch
) -> None:
    """The clock set forward by 2 h is what began the new session: read by the wall clock,
    the earlier session's alert, shown a moment before, was 2 h old and closed at once,
    its answer still counting. Its age is the time really passed since it was shown."""
    first = _sink(tmp_path, datetime(2024, 3, 4, 17, 0), store, None)
    for k in range(10 * 60):
        first.on_decision(Decision(float(k), FWD, changed=k == 0))
    (alert,) = notification_server.wait_for(1)
    shown_at = time.monotonic()
    first.close(10 * 60.0)
    # the clock set forward by 2 h: notifications.json's wall-clock times are 2 h behind it
    shown_earlier(wall_s=2 * 3600, monotonic_s=0)
    window = 4.0  # the 90 min, in seconds here
    monkeypatch.setattr(notify, "RESPONSE_WINDOW_S", window)
    monkeypatch.setattr(notify, "EXPIRY_CHECK_S", 0.0)
    second = _sink(tmp_path, datetime(2024, 3, 4, 19, 10), store, None)
    t = 0.0
    deadline = time.monotonic() + 20
    while alert.id not in notification_server.closed:
        assert time.monotonic() < deadline, "the earlier session's alert stayed open"
        second.on_decision(Decision(t, GOOD, changed=t == 0))
        t += 0.2
        time.sleep(0.05)
    closed_after = time.monotonic() - shown_at
    second.close(t)
    assert closed_after >= window - 0.5, f"closed {closed_after:.1f} s after it was shown"
