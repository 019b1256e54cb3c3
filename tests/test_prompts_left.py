"""Prompts with buttons left on screen once the monitor that showed them has stopped.

Such a prompt never expires (its buttons must stay usable), so after Ctrl-C,
a SIGTERM or a logout (SIGHUP) it stayed on screen: its Snooze pressed hours later snoozed
whichever monitor ran then, and pressed while none ran it did nothing. These run the real
live loop in a process of its own (tests/fake_camera.py, the pose model standing in with
a recorded stream) over a real private D-Bus session bus and notification server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Callable

from posture_guard import paths
from posture_guard.notify import SHOWN_NAME
from tests.dbus_server import NotificationServer, PrivateBus

pytest_plugins = ["tests.notify_fixtures"]

TESTS = Path(__file__).resolve().parent

#: a check-in at once and a break prompt 1 min later (the shortest config.toml takes since
#: 6ae4bb3, which refused the 3 s these tests had: every run ended at its start)
QUICK_PROMPTS = '[coach]\ncheckin_time = "00:00"\nmin_gap_s = 0\nbreak_after_s = "1m"\n'
#: how long a test waits for those two prompts: the minute and a loaded machine's start
PROMPTS_WAIT_S = 180


def _wait_for(cond: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _monitor(pg_home: Path, bus: PrivateBus, out: Path) -> subprocess.Popen:
    """`posture-guard run` (the real loop, real signals) in a process of its own."""
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text(QUICK_PROMPTS, encoding="utf-8")
    env = dict(os.environ, POSTURE_GUARD_HOME=str(pg_home))
    env["DBUS_SESSION_BUS_ADDRESS"] = bus.address
    with out.open("w", encoding="utf-8") as fh:
        return subprocess.Popen(
            [sys.executable, str(TESTS / "fake_camera.py"), "--landmarks"],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )


def _buttoned(server: NotificationServer) -> dict[str, int]:
    """The prompts with buttons the server shows, by kind: the check-in and the break."""
    calls = [c for c in server.calls if c.buttons]
    kinds = {}
    for call in calls:
        kinds["checkin" if "no_headache" in call.buttons else "break"] = call.id
    return kinds


def _stop(proc: subprocess.Popen, sig: signal.Signals) -> int:
    try:
        proc.send_signal(sig)
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_a_monitor_that_stops_closes_its_prompts_and_names_the_check_in_unanswered(
    pg_home: Path, tmp_path: Path, notification_server: NotificationServer, private_bus
) -> None:
    out = tmp_path / "out.txt"
    proc = _monitor(pg_home, private_bus, out)
    try:
        _wait_for(lambda: len(_buttoned(notification_server)) == 2, PROMPTS_WAIT_S, "two prompts")
        # a click on the check-in's text, not on a button, answers nothing
        notification_server.invoke_action(_buttoned(notification_server)["checkin"], "default")
        time.sleep(1)
    finally:
        rc = _stop(proc, signal.SIGTERM)
    text = out.read_text(encoding="utf-8")
    assert rc == 0, text
    shown = _buttoned(notification_server)
    assert sorted(notification_server.closed) == sorted(shown.values())
    day = date.today().isoformat()
    assert (
        f"posture-guard: the check-in about {day} was closed unanswered as the monitor "
        f"stopped: `posture-guard checkin --none --date {day}` or `posture-guard headache "
        f"add --date {day} --intensity N` answers it"
    ) in text, text
    assert "Traceback" not in text
    records = json.loads((paths.state_dir() / SHOWN_NAME).read_text(encoding="utf-8"))
    assert all(r["closed"] for r in records)


def test_prompts_a_killed_monitor_left_are_closed_by_the_next_start(
    pg_home: Path, tmp_path: Path, notification_server: NotificationServer, private_bus
) -> None:
    first = _monitor(pg_home, private_bus, tmp_path / "first.txt")
    try:
        _wait_for(lambda: len(_buttoned(notification_server)) == 2, PROMPTS_WAIT_S, "two prompts")
    finally:
        _stop(first, signal.SIGKILL)
    left = _buttoned(notification_server)
    assert notification_server.closed == []  # a kill -9 closes nothing
    out = tmp_path / "second.txt"
    second = _monitor(pg_home, private_bus, out)
    try:
        _wait_for(lambda: set(left.values()) <= set(notification_server.closed), 90, "closing")
    finally:
        rc = _stop(second, signal.SIGTERM)
    text = out.read_text(encoding="utf-8")
    assert rc == 0, text
    day = date.today().isoformat()
    assert (
        f"posture-guard: the check-in about {day} was closed unanswered at this start (a "
        "monitor that did not stop cleanly left it on screen): `posture-guard checkin "
        f"--none --date {day}`"
    ) in text, text


def test_a_notification_server_started_again_keeps_another_programs_notification_open(
    pg_home: Path, tmp_path: Path, private_bus, monkeypatch
) -> None:
    """The server that showed a killed monitor's prompts has gone (a desktop restart); the
    new one gives its ids out anew, the first to another program's notification, which
    the next start must not close."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_bus.address)
    server = NotificationServer(private_bus.address).start()
    try:
        first = _monitor(pg_home, private_bus, tmp_path / "first.txt")
        try:
            _wait_for(lambda: len(_buttoned(server)) == 2, PROMPTS_WAIT_S, "two prompts")
        finally:
            _stop(first, signal.SIGKILL)
        left = sorted(_buttoned(server).values())
    finally:
        server.stop()
    again = NotificationServer(private_bus.address).start()
    try:
        subprocess.run(
            ["gdbus", "call", "--session", "--dest", "org.freedesktop.Notifications"]
            + ["--object-path", "/org/freedesktop/Notifications"]
            + ["--method", "org.freedesktop.Notifications.Notify"]
            + ["mail", "0", "", "New mail", "from Ada", "[]", "{}", "0"],
            env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=private_bus.address),
            check=True,
            capture_output=True,
            timeout=30,
        )
        (mail,) = again.wait_for(1)
        assert mail.id in left  # the id a killed monitor's prompt had
        second = _monitor(pg_home, private_bus, tmp_path / "second.txt")
        try:
            _wait_for(lambda: len(_buttoned(again)) >= 1, 90, "the new run's prompt")
        finally:
            assert _stop(second, signal.SIGTERM) == 0
        assert mail.id not in again.closed
        # the new run's own prompts are closed as it stops
        assert set(_buttoned(again).values()) <= set(again.closed)
    finally:
        again.stop()
    records = json.loads((paths.state_dir() / SHOWN_NAME).read_text(encoding="utf-8"))
    # the killed monitor's check-in, whose id the mail has now: marked closed, not closed
    (killed,) = [r for r in records if r["nid"] == mail.id]
    assert killed["kind"] == "checkin" and killed["closed"] is True


def test_a_prompt_past_its_response_window_is_closed_and_a_check_in_stays(
    tmp_path: Path, store, notification_server: NotificationServer, monkeypatch
) -> None:
    """A prompt with buttons never expires, so an ignored break prompt or alert stayed on
    screen all day, its repeats stacked over it. Once its answer no longer counts (90 min
    after it was shown; 1.5 s here) the monitor closes it; a check-in, whose answer is
    about its day, stays until answered."""
    from datetime import datetime
    from datetime import time as dt_time

    from posture_guard import notify
    from posture_guard.coach import CoachSettings, CoachSink
    from posture_guard.sinks import SessionInfo
    from posture_guard.states import Decision
    from tests.test_coach import FWD

    monkeypatch.setattr(notify, "RESPONSE_WINDOW_S", 1.5)
    monkeypatch.setattr(notify, "EXPIRY_CHECK_S", 0.0, raising=False)  # looked at each time
    sink = CoachSink(
        SessionInfo(start=datetime(2024, 3, 4, 17, 0), profile="p", live=True),
        notify.DesktopNotifierBackend(),
        CoachSettings(checkin_time=dt_time(17, 0)),
        on_event=store.log_event,
        memory_file=tmp_path / "coach.json",
    )
    for k in range(10 * 60):
        sink.on_decision(Decision(float(k), FWD, changed=k == 0))
    kinds = [e.kind for e, d in sink.sent if d.shown]
    assert kinds == ["checkin", "posture"], kinds
    checkin, alert = notification_server.wait_for(2)
    t = 10 * 60.0
    deadline = time.monotonic() + 15
    while alert.id not in notification_server.closed:
        assert time.monotonic() < deadline, "the alert past its response window stayed open"
        t += 0.2
        sink.on_decision(Decision(t, FWD))
        time.sleep(0.05)
    sink.close(t)
    assert checkin.id not in notification_server.closed
