"""Notifications over a real D-Bus session bus to a real notification server in the test.

Each backend path is exercised against tests/dbus_server.NotificationServer, which owns
org.freedesktop.Notifications on a private dbus-daemon and records every Notify call;
the assertions are on the exact title and body that arrived. Failure paths use the same
bus with no server (ServiceUnknown) or no bus at all.
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Optional

import pytest

from posture_guard import paths
from posture_guard.coach import CoachSettings, CoachSink
from posture_guard.notify import (
    DesktopNotifierBackend,
    FallbackNotifier,
    Message,
    PlyerNotifier,
    PrintingNotifier,
    plyer_path,
    use_user_bus,
)
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision, PostureState
from tests.buttons import shown_earlier
from tests.dbus_server import NotificationServer, PrivateBus, dbus_daemon_missing

pytest_plugins = ["tests.notify_fixtures"]

REPO = Path(__file__).resolve().parents[1]
HAS_DBUS_PYTHON = importlib.util.find_spec("dbus") is not None
HAS_NOTIFY_SEND = shutil.which("notify-send") is not None
needs_dbus_python = pytest.mark.skipif(
    not HAS_DBUS_PYTHON,
    reason="dbus-python not installed (pip dbus-python; needs Debian libdbus-1-dev "
    "libglib2.0-dev pkg-config to build)",
)
needs_notify_send = pytest.mark.skipif(
    not HAS_NOTIFY_SEND, reason="notify-send not installed (Debian package libnotify-bin)"
)

MESSAGE = Message(
    title="Your head has drifted forward",
    body="Try a chin tuck: glide your chin back. Quotes ' \" and ünïcode survive.",
    kind="posture",
    prompt_id=7,
    buttons=(("done", "Done"), ("snooze", "Snooze 15 min")),
)

# plyer shows no buttons, so the body ends with what to type instead (MESSAGE names no
# exercise, so there is no Done command to give)
PLYER_BODY = MESSAGE.body + "\n(Snooze 15 min: posture-guard snooze 15m)"


def _wait_for_clicks(notifier, n: int = 1, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    clicks = []
    while time.monotonic() < deadline:
        clicks += notifier.poll_clicks()
        if len(clicks) >= n:
            return clicks
        time.sleep(0.02)
    return clicks


# --------------------------------------------------------------------------- path detection
def test_the_plyer_path_we_report_is_the_one_plyer_takes():
    from plyer.platforms.linux import notification as linux

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        impl = linux.instance()
    expected = {
        "NotifyDbus": "dbus-python",
        "NotifySendNotification": "notify-send",
        "NotifyDesktopPortals": "portal",
        "Notification": "none",
    }[type(impl).__name__]
    assert plyer_path() == expected


# --------------------------------------------------------------------------- shown
@needs_dbus_python
def test_plyer_dbus_python_path_delivers_exact_title_and_body(notification_server):
    delivery = PlyerNotifier(path="dbus-python").send(MESSAGE)
    assert (delivery.shown, delivery.backend) == (True, "plyer:dbus-python")
    (call,) = notification_server.wait_for(1)
    assert (call.summary, call.body) == (MESSAGE.title, PLYER_BODY)
    assert call.app_name == "posture-guard"
    assert call.expire_timeout == 10_000
    assert call.actions == ()  # plyer has no buttons


@needs_notify_send
def test_plyer_notify_send_path_delivers_exact_title_and_body(notification_server):
    delivery = PlyerNotifier(path="notify-send").send(MESSAGE)
    assert (delivery.shown, delivery.backend) == (True, "plyer:notify-send")
    (call,) = notification_server.wait_for(1)
    assert (call.summary, call.body, call.app_name) == (
        MESSAGE.title,
        PLYER_BODY,
        "posture-guard",
    )


def test_desktop_notifier_sends_buttons_and_reports_the_click(notification_server):
    notifier = DesktopNotifierBackend()
    try:
        delivery = notifier.send(MESSAGE)
        assert (delivery.shown, delivery.backend) == (True, "desktop-notifier")
        (call,) = notification_server.wait_for(1)
        assert (call.summary, call.body) == (MESSAGE.title, MESSAGE.body)
        assert call.buttons["done"] == "Done"
        assert call.buttons["snooze"] == "Snooze 15 min"
        assert notifier.poll_clicks() == []
        notification_server.invoke_action(call.id, "snooze")  # the user presses a button
        clicks = _wait_for_clicks(notifier)
        assert [(c.prompt_id, c.action) for c in clicks] == [(7, "snooze")]
    finally:
        notifier.close()


def _pressed_until_said(server: NotificationServer, nid: int, action: str, caplog) -> int:
    """Press ``action`` on notification ``nid`` until the log speaks of it (the monitor
    hears the server once it has connected); how many log lines of it there were."""
    deadline = time.monotonic() + 10
    while "before this monitor session" not in caplog.text and time.monotonic() < deadline:
        server.invoke_action(nid, action)
        time.sleep(0.05)
    return caplog.text.count("before this monitor session")


def test_a_button_on_an_earlier_runs_notification_is_named_in_the_log(notification_server, caplog):
    """A Done pressed on a notification left over from an earlier monitor run did nothing
    without a word (the run that could record it had ended; desktop-notifier passes over
    an id it did not send). A Snooze on it now snoozes the monitor running now, and so
    would a Done within the response window (tests/test_earlier_buttons.py); a Done past
    it is said in the log, with the command that does what the button would have; this
    run's own buttons work as before, and a press on another application's notification
    is none of its business."""
    caplog.set_level(logging.WARNING, logger="posture_guard.notify")
    earlier = DesktopNotifierBackend()
    try:
        assert earlier.send(PROMPT).shown
        (old,) = notification_server.wait_for(1)
    finally:
        earlier.close()  # that run has ended
    # shown two hours ago: past the 90 min a prompt takes its answer in
    shown_earlier(wall_s=2 * 3600, monotonic_s=2 * 3600)
    now = DesktopNotifierBackend()
    try:
        # heard before this run shows a prompt of its own
        now._listening.result(10)
        notification_server.invoke_action(old.id, "snooze")
        clicks = _wait_for_clicks(now)
        assert [(c.prompt_id, c.action) for c in clicks] == [(7, "snooze")]
        assert _pressed_until_said(notification_server, old.id, "done", caplog) >= 1
        assert (
            "the 'done' button was pressed on a notification shown before this monitor "
            "session began (prompt 7, 'Your head has drifted forward', shown "
        ) in caplog.text
        assert (
            ", more than 90 min ago, when it no longer takes an answer): the session that "
            "showed it has ended"
        ) in caplog.text
        assert "so it records nothing; `posture-guard done chin_tuck` does what it would have" in (
            caplog.text
        )
        assert now.poll_clicks() == []
        caplog.clear()
        assert now.send(replace(PROMPT, prompt_id=8)).shown
        _, mine = notification_server.wait_for(2)
        notification_server.invoke_action(old.id, "done")
        notification_server.invoke_action(mine.id + 100, "done")  # another application's
        notification_server.invoke_action(mine.id, "done")
        clicks = _wait_for_clicks(now)
        assert [(c.prompt_id, c.action) for c in clicks] == [(8, "done")]
        assert caplog.text.count("before this monitor session") == 1
        assert "`posture-guard done chin_tuck` does what it would have" in caplog.text
    finally:
        now.close()


def test_a_prompt_a_slow_server_shows_late_still_takes_its_buttons(notification_server, caplog):
    """A desktop too busy to answer within the send's wait: the monitor goes on (the
    prompt is reported lost, and printed), and when the server shows it after all, its
    Done works and the log says why a lost prompt came (the send was cancelled: the
    notification was shown with a Done that did nothing)."""
    caplog.set_level(logging.INFO, logger="posture_guard.notify")
    notifier = DesktopNotifierBackend(send_timeout_s=0.5)
    try:
        notification_server.answering.clear()
        delivery = notifier.send(MESSAGE)
        assert delivery.shown is False and "no answer" in delivery.reason
        notification_server.answering.set()  # it answers after all: the prompt is shown
        (call,) = notification_server.wait_for(1)
        assert call.buttons["done"] == "Done"
        deadline = time.monotonic() + 10
        while "shown late" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)  # the late send has finished (pressed sooner, it may not have)
        notification_server.invoke_action(call.id, "done")  # the user presses Done
        clicks = _wait_for_clicks(notifier)
        assert [(c.prompt_id, c.action) for c in clicks] == [(7, "done")]
        assert "the notification for prompt 7 ('Your head has drifted forward') was shown " in (
            caplog.text
        )
    finally:
        notifier.close()


# --------------------------------------------------------------------------- no buttons
# A server without the "actions" capability, and plyer, show no buttons: the prompt must
# then say what to type instead, or Done, Snooze and the check-in cannot be answered.
CHECKIN = Message(
    title="End-of-day check-in",
    body="Did you have a headache today?",
    kind="checkin",
    prompt_id=9,
    buttons=(("no_headache", "No headache"), ("headache", "I had a headache")),
    day=date(2024, 3, 4),
)
PROMPT = replace(MESSAGE, exercise="chin_tuck")


def test_desktop_notifier_on_a_server_without_buttons_says_what_to_type(server_without_actions):
    notifier = DesktopNotifierBackend()
    try:
        assert notifier.send(PROMPT).shown and notifier.send(CHECKIN).shown
    finally:
        notifier.close()
    prompt, checkin = server_without_actions.wait_for(2)
    assert prompt.summary == PROMPT.title and prompt.body.startswith(PROMPT.body)
    assert "posture-guard done chin_tuck" in prompt.body
    assert "posture-guard snooze 15m" in prompt.body
    # the day asked about: answered after midnight, a bare command would record the next
    assert "posture-guard checkin --none --date 2024-03-04" in checkin.body
    assert "posture-guard headache add --date 2024-03-04 --intensity N" in checkin.body
    assert prompt.buttons == {} or set(prompt.buttons) <= {"default"}  # none it cannot show


def test_desktop_notifier_with_buttons_keeps_the_body_as_it_is(notification_server):
    notifier = DesktopNotifierBackend()
    try:
        assert notifier.send(PROMPT).shown
    finally:
        notifier.close()
    (call,) = notification_server.wait_for(1)
    assert call.body == PROMPT.body and call.buttons["done"] == "Done"


def test_a_prompt_with_buttons_waits_for_its_answer_and_a_plain_one_expires(notification_server):
    """A prompt with Done and Snooze (or a check-in's buttons) asked the server to expire
    it after 10 s: dunst, mako, xfce4-notifyd and Plasma honour that, and took the buttons
    away before the user had done the exercise. It now never expires (0): it stays until
    answered or closed. A notice without buttons (the monitor's own) keeps 10 s."""
    notice = Message(title="posture-guard", body="config.toml cannot be used", kind="monitor")
    notifier = DesktopNotifierBackend()
    try:
        assert all(notifier.send(m).shown for m in (PROMPT, CHECKIN, notice))
    finally:
        notifier.close()
    calls = notification_server.wait_for(3)
    assert [(c.summary, bool(set(c.buttons) - {"default"})) for c in calls] == [
        (PROMPT.title, True),
        (CHECKIN.title, True),
        (notice.title, False),
    ]
    assert [c.expire_timeout for c in calls] == [0, 0, 10_000]


def test_a_prompt_a_server_shows_without_buttons_expires_as_a_plain_one(server_without_actions):
    """On a server without buttons the prompt is plain text (with the commands to type),
    so it keeps the short expiry of a plain notification."""
    notifier = DesktopNotifierBackend()
    try:
        assert notifier.send(PROMPT).shown
    finally:
        notifier.close()
    (call,) = server_without_actions.wait_for(1)
    assert "posture-guard done chin_tuck" in call.body and call.expire_timeout == 10_000


# An exercise named in a therapist's exercises.toml, with the characters markup takes.
MARKUP_PROMPT = replace(
    PROMPT,
    title="Time for Neck & shoulder <roll>",
    body="Try Neck & shoulder <roll>: <b>slow</b> circles, 5 < 10 > 3 & 'back'.",
)


@pytest.mark.parametrize("buttons", [("body", "actions"), ("body",)])
def test_a_server_that_reads_markup_shows_the_body_as_typed(private_bus, monkeypatch, buttons):
    """GNOME, KDE, dunst and mako read the body as markup ("body-markup"): it arrives
    escaped, so the server shows "&", "<" and ">" as typed (the "<roll>" was an unknown tag
    to drop, or a parse error that cut the body short); the title is plain text."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_bus.address)
    server = NotificationServer(private_bus.address, capabilities=(*buttons, "body-markup"))
    server.start()
    notifier = DesktopNotifierBackend()
    try:
        assert notifier.send(MARKUP_PROMPT).shown
        (call,) = server.wait_for(1)
    finally:
        notifier.close()
        server.stop()
    assert call.summary == MARKUP_PROMPT.title
    typed = (
        "Try Neck &amp; shoulder &lt;roll&gt;: &lt;b&gt;slow&lt;/b&gt; circles, 5 &lt; 10 &gt; 3"
    )
    assert call.body.startswith(typed + " &amp; 'back'.")
    if buttons == ("body",):  # the commands said in place of the buttons, escaped alike
        assert "posture-guard done chin_tuck" in call.body


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("dbus-python", marks=needs_dbus_python),
        pytest.param("notify-send", marks=needs_notify_send),
    ],
)
@pytest.mark.parametrize("markup", [True, False])
def test_plyer_escapes_the_body_for_a_server_that_reads_markup(
    private_bus, monkeypatch, path, markup
):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_bus.address)
    caps = ("body", "body-markup") if markup else ("body",)
    server = NotificationServer(private_bus.address, capabilities=caps).start()
    try:
        assert PlyerNotifier(path=path).send(MARKUP_PROMPT).shown
        (call,) = server.wait_for(1)
    finally:
        server.stop()
    assert call.summary == MARKUP_PROMPT.title
    if markup:
        assert call.body.startswith("Try Neck &amp; shoulder &lt;roll&gt;: &lt;b&gt;slow")
    else:
        assert call.body.startswith(MARKUP_PROMPT.body + "\n")


def test_a_server_without_markup_gets_the_body_as_it_is(private_bus, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_bus.address)
    server = NotificationServer(private_bus.address, capabilities=("body", "actions")).start()
    notifier = DesktopNotifierBackend()
    try:
        assert notifier.send(MARKUP_PROMPT).shown
        (call,) = server.wait_for(1)
    finally:
        notifier.close()
        server.stop()
    assert call.body == MARKUP_PROMPT.body  # shown as text: an escape would show as "&amp;"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("dbus-python", marks=needs_dbus_python),
        pytest.param("notify-send", marks=needs_notify_send),
    ],
)
def test_plyer_shows_no_buttons_so_it_says_what_to_type(notification_server, path):
    notifier = PlyerNotifier(path=path)
    assert notifier.send(PROMPT).shown and notifier.send(CHECKIN).shown
    prompt, checkin = notification_server.wait_for(2)
    assert prompt.body.startswith(PROMPT.body) and "posture-guard done chin_tuck" in prompt.body
    assert "posture-guard checkin --none" in checkin.body


# --------------------------------------------------------------------------- not shown
@needs_dbus_python
def test_plyer_dbus_python_reports_a_bus_without_a_server(bus_without_server):
    delivery = PlyerNotifier(path="dbus-python").send(MESSAGE)
    assert delivery.shown is False
    assert "ServiceUnknown" in delivery.reason


@needs_notify_send
def test_plyer_notify_send_failure_is_caught_by_its_exit_status(bus_without_server):
    delivery = PlyerNotifier(path="notify-send").send(MESSAGE)
    assert delivery.shown is False
    assert "notify-send exited with status" in delivery.reason
    assert "ServiceUnknown" in delivery.reason


def test_desktop_notifier_reports_a_bus_without_a_server(bus_without_server):
    notifier = DesktopNotifierBackend()
    try:
        delivery = notifier.send(MESSAGE)
    finally:
        notifier.close()
    assert delivery.shown is False
    assert "org.freedesktop.Notifications" in delivery.reason


@pytest.mark.skipif(shutil.which("gdbus") is None, reason="gdbus (libglib2.0-bin) missing")
def test_plyer_portal_payload_survives_text_beyond_the_basic_plane(bus_without_server):
    """The Flatpak portal call passes the text in GVariant syntax: an emoji from a
    therapist's exercise file must not make gdbus reject (or crash on) the call. No
    portal runs on the test bus, so reaching it is the proof the payload parsed."""
    message = Message("Shoulders \U0001f642 down", 'Breathe out \u00fcber "slowly" \\ 😀')
    delivery = PlyerNotifier(path="portal").send(message)
    assert delivery.shown is False
    assert "org.freedesktop.portal.Desktop was not provided" in delivery.reason, delivery.reason


def test_without_any_notification_path_plyer_says_so():
    delivery = PlyerNotifier(path="none").send(MESSAGE)
    assert delivery.shown is False and "notify-send" in delivery.reason


def test_no_bus_at_all_is_reported_by_every_backend(tmp_path):
    """Run in a fresh process: dbus-python caches its session connection per process."""
    script = (
        "import json\n"
        "from posture_guard.notify import Message, PlyerNotifier, DesktopNotifierBackend\n"
        "m = Message('t', 'b')\n"
        "out = {}\n"
        "for name, n in [('plyer', PlyerNotifier()), ('dn', DesktopNotifierBackend())]:\n"
        "    d = n.send(m); n.close(); out[name] = [d.shown, d.backend, d.reason]\n"
        "print(json.dumps(out))\n"
    )
    env = dict(os.environ)
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path}/no-such-bus"
    env.pop("DISPLAY", None)
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["plyer"][0] is False and result["plyer"][2]
    assert result["dn"][0] is False and result["dn"][2]
    if HAS_DBUS_PYTHON:
        assert result["plyer"][1] == "plyer:dbus-python"
        assert "DBusException" in result["plyer"][2]
    assert "Traceback" not in proc.stderr  # no library traceback reaches the user


def test_desktop_notifier_finds_the_users_bus_in_xdg_runtime_dir(monkeypatch):
    """Under a systemd user service or an ssh login DBUS_SESSION_BUS_ADDRESS is often
    unset, and the user's bus is the socket $XDG_RUNTIME_DIR/bus, where libdbus and GLib
    look (dbus-send, notify-send). dbus-fast does not: every prompt failed ("DBUS_SESSION_
    BUS_ADDRESS not set and could not get DISPLAY ..."), and was only printed."""
    reason = dbus_daemon_missing()
    if reason:
        pytest.skip(reason)
    runtime = Path(tempfile.mkdtemp(prefix="pg-run-"))  # short: a socket path has 107 bytes
    bus = PrivateBus(socket=runtime / "bus")
    server = NotificationServer(bus.address).start()
    try:
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
        monkeypatch.delenv("DISPLAY", raising=False)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
        notifier = DesktopNotifierBackend()
        try:
            delivery = notifier.send(MESSAGE)
        finally:
            notifier.close()
        assert delivery.shown, delivery.reason
        (call,) = server.wait_for(1)
        assert call.summary == MESSAGE.title and call.buttons["done"] == "Done"
    finally:
        server.stop()
        bus.close()
        shutil.rmtree(runtime, ignore_errors=True)


def test_the_users_bus_address_is_escaped_as_dbus_reads_it():
    """A runtime folder whose name holds a space, a '~' or a non-ASCII letter: the address
    is written with D-Bus's %XX escapes, which dbus-fast refuses to go without."""
    import socket

    from dbus_fast._private.address import parse_address

    runtime = Path(tempfile.mkdtemp(prefix="pg run~ü-"))
    listener = socket.socket(socket.AF_UNIX)
    try:
        listener.bind(str(runtime / "bus"))
        env = {"XDG_RUNTIME_DIR": str(runtime)}
        address = use_user_bus(env)
        assert address is not None and env["DBUS_SESSION_BUS_ADDRESS"] == address
        assert parse_address(address) == [("unix", {"path": str(runtime / "bus")})]
        # a variable already set is the user's choice: left as it is
        env = {"XDG_RUNTIME_DIR": str(runtime), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}
        assert use_user_bus(env) is None and env["DBUS_SESSION_BUS_ADDRESS"] == "unix:path=/x"
    finally:
        listener.close()
        shutil.rmtree(runtime, ignore_errors=True)


def test_no_bus_socket_in_xdg_runtime_dir_is_no_bus(monkeypatch, tmp_path):
    # only a socket named bus is the user's bus: nothing there (or a file of that name)
    # leaves the variable unset, and the failure says why
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    (tmp_path / "bus").write_text("not a socket", encoding="utf-8")
    notifier = DesktopNotifierBackend(send_timeout_s=5)
    try:
        delivery = notifier.send(MESSAGE)
    finally:
        notifier.close()
    assert not delivery.shown and delivery.reason
    assert "DBUS_SESSION_BUS_ADDRESS" not in os.environ


def test_desktop_notifier_comes_back_after_the_session_bus_went_away():
    """The bus dies under a running monitor (a desktop restart): no library traceback on
    stderr, and once a bus and a server are back, notifications are shown again. Run in
    a fresh process, as a monitor is, so Python's own last-resort logging is what shows."""
    script = (
        "import gc, os, sys, json\n"
        "from tests.dbus_server import PrivateBus, NotificationServer\n"
        "from posture_guard.notify import DesktopNotifierBackend, Message\n"
        "out = []\n"
        "bus = PrivateBus(); os.environ['DBUS_SESSION_BUS_ADDRESS'] = bus.address\n"
        "server = NotificationServer(bus.address).start()\n"
        "n = DesktopNotifierBackend(send_timeout_s=5)\n"
        "out.append(n.send(Message('one', 'b')).shown)\n"
        "server.stop(); bus.close()\n"
        "out.append(n.send(Message('two', 'b')).shown)\n"
        "gc.collect()\n"
        "bus = PrivateBus(); os.environ['DBUS_SESSION_BUS_ADDRESS'] = bus.address\n"
        "server = NotificationServer(bus.address).start()\n"
        "out.append(n.send(Message('three', 'b')).shown)\n"
        "out.append([c.summary for c in server.calls])\n"
        "n.close(); server.stop(); bus.close(); gc.collect()\n"
        "print(json.dumps(out))\n"
    )
    if dbus_daemon_missing():
        pytest.skip(dbus_daemon_missing())
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [True, False, True, ["three"]]
    assert "Traceback" not in proc.stderr and "never retrieved" not in proc.stderr, proc.stderr


def test_fallback_prints_what_could_not_be_shown_and_says_so_once(bus_without_server):
    out, notice = io.StringIO(), io.StringIO()
    notifier = FallbackNotifier(DesktopNotifierBackend(), PrintingNotifier(out), notice)
    try:
        first = notifier.send(MESSAGE)
        second = notifier.send(Message("Time for a short break", "Stand up."))
    finally:
        notifier.close()
    assert (first.shown, first.fallback) == (False, "print")
    assert (second.shown, second.fallback) == (False, "print")
    assert notice.getvalue().count("\n") == 1
    assert "desktop notifications are not reachable" in notice.getvalue()
    assert "printing prompts here instead" in notice.getvalue()
    printed = out.getvalue()
    assert MESSAGE.title in printed and MESSAGE.body in printed and "Stand up." in printed


def test_the_unreachable_notice_is_printed_once_with_v_and_still_logged(
    bus_without_server, pg_home
):
    # `run -v` puts info on the console: the notice printed on stderr came again there as
    # its log line, and the terminal read "desktop notifications are not reachable" twice
    from posture_guard import logs

    console = io.StringIO()
    path = logs.setup(verbose=1, console=console)
    out = io.StringIO()
    notifier = FallbackNotifier(DesktopNotifierBackend(), PrintingNotifier(out), console)
    try:
        assert not notifier.send(MESSAGE).shown
        logging.getLogger("posture_guard.notify").info("an ordinary info line")
    finally:
        notifier.close()
        logs.shutdown()
    assert console.getvalue().count("desktop notifications are not reachable") == 1
    assert "an ordinary info line" in console.getvalue()  # -v still shows info
    assert path.read_text(encoding="utf-8").count("desktop notifications are not reachable") == 1


def test_a_notification_server_that_restarts_is_noticed_each_way(private_bus, monkeypatch, caplog):
    """The server goes away under a running monitor and comes back, twice (dunst killed
    and started again): each outage is said, and each return, on stderr and in the log
    file (said once per process, a second outage went unsaid, the return never, and
    the log file, all a monitor started at login has, heard nothing of it)."""
    caplog.set_level(logging.INFO, logger="posture_guard.notify")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_bus.address)
    out, notice = io.StringIO(), io.StringIO()
    notifier = FallbackNotifier(DesktopNotifierBackend(), PrintingNotifier(out), notice)
    shown, titles = [], []
    try:
        for round in range(2):
            server = NotificationServer(private_bus.address).start()
            try:
                shown.append(notifier.send(Message(f"shown {round}", "b")).shown)
                titles += [c.summary for c in server.wait_for(1)]
            finally:
                server.stop()
            for n in range(2):
                shown.append(notifier.send(Message(f"printed {round}.{n}", "b")).shown)
        server = NotificationServer(private_bus.address).start()
        try:
            shown.append(notifier.send(Message("shown 2", "b")).shown)
            titles += [c.summary for c in server.wait_for(1)]
        finally:
            server.stop()
    finally:
        notifier.close()
    assert shown == [True, False, False, True, False, False, True]
    assert titles == ["shown 0", "shown 1", "shown 2"]
    gone = "posture-guard: desktop notifications are not reachable (desktop-notifier: "
    back = "posture-guard: desktop notifications are shown again; prompts go there again."
    lines = notice.getvalue().splitlines()
    assert [line.startswith(gone) for line in lines] == [True, False, True, False]
    assert lines[1] == lines[3] == back
    logged = [r.getMessage() for r in caplog.records if r.name == "posture_guard.notify"]
    assert logged == [line.removeprefix("posture-guard: ") for line in lines]
    assert "printed 1.1" in out.getvalue() and "shown 1" not in out.getvalue()


def test_a_printed_fallback_says_what_to_type_for_each_button(bus_without_server):
    # No notification service: the prompt is printed, where no button can be pressed
    # either. Without the commands, Done went unrecorded (counted as ignored) and the
    # check-in's "No headache" left the day unknown.
    out, notice = io.StringIO(), io.StringIO()
    notifier = FallbackNotifier(DesktopNotifierBackend(), PrintingNotifier(out), notice)
    checkin = Message(
        "Did you have a headache today?",
        "A quick diary entry.",
        kind="checkin",
        prompt_id=8,
        buttons=(("no_headache", "No headache"), ("headache", "I had a headache")),
        day=date(2024, 3, 4),
    )
    try:
        notifier.send(replace(MESSAGE, exercise="chin_tuck"))
        notifier.send(checkin)
    finally:
        notifier.close()
    printed = out.getvalue()
    assert (
        "\n    (Done: posture-guard done chin_tuck; Snooze 15 min: posture-guard snooze 15m)"
        in (printed)
    )
    assert "No headache: posture-guard checkin --none --date 2024-03-04" in printed
    assert "I had a headache: posture-guard headache add --date 2024-03-04" in printed


# --------------------------------------------------------------------------- the coach over D-Bus
def _slump(sink: CoachSink, seconds: int, hz: int = 5, t0: float = 0.0) -> float:
    t = t0
    for i in range(seconds * hz):
        t = t0 + i / hz
        state = PostureState.GOOD if t < 20 else PostureState.FORWARD_HEAD
        sink.on_decision(Decision(t, state))
    return t


def test_coach_sink_alert_arrives_over_dbus_and_the_done_button_is_logged(notification_server):
    logged: list[tuple[str, datetime, dict]] = []
    session = SessionInfo(start=datetime(2024, 3, 4, 9, 0), profile="p", live=False)
    sink = CoachSink(
        session,
        DesktopNotifierBackend(),
        settings=CoachSettings(checkin_time=None),
        on_event=lambda kind, at, payload: logged.append((kind, at, payload)),
    )
    t = _slump(sink, 120)
    (call,) = notification_server.wait_for(1)
    (effect, delivery) = sink.sent[0]
    assert delivery.shown
    assert call.summary == effect.title == "Your head has drifted forward"
    assert call.body == effect.body
    assert call.body.startswith(
        "Your head has been ahead of your shoulders for most of the last 90 s. Chin tuck: Sit tall"
    )
    assert set(call.buttons) >= {"done", "snooze"}
    notification_server.invoke_action(call.id, "done")
    deadline = time.monotonic() + 5
    while not any(k == "exercise_done" for k, _, _ in logged) and time.monotonic() < deadline:
        t += 0.2
        sink.on_decision(Decision(t, PostureState.GOOD))
        time.sleep(0.02)
    sink.close(t)
    kinds = [k for k, _, _ in logged]
    assert kinds[:2] == ["alert", "exercise_prompted"]
    done = [p for k, _, p in logged if k == "exercise_done"]
    assert done == [{"prompt": effect.prompt_id, "kind": "posture", "exercise": "chin_tuck"}]
    assert len(notification_server.calls) == 1  # nothing else was sent


def test_coach_alert_on_a_server_without_buttons_names_the_exercise_to_record(
    server_without_actions,
):
    # a live run's prompt (a replay's without --db takes no answer: see below)
    session = SessionInfo(start=datetime(2024, 3, 4, 9, 0), profile="p", live=True)
    sink = CoachSink(session, DesktopNotifierBackend(), settings=CoachSettings(checkin_time=None))
    t = _slump(sink, 120)
    sink.close(t)
    (call,) = server_without_actions.wait_for(1)
    (effect, delivery) = sink.sent[0]
    assert delivery.shown and effect.exercise
    assert call.body.startswith(effect.body)
    assert f"Done: posture-guard done {effect.exercise}" in call.body


@needs_dbus_python
def test_coach_sink_logs_a_notification_that_could_not_be_shown(bus_without_server):
    out = io.StringIO()
    session = SessionInfo(start=datetime(2024, 3, 4, 9, 0), profile="p", live=False)
    notifier = FallbackNotifier(PlyerNotifier(path="dbus-python"), PrintingNotifier(out), out)
    sink = CoachSink(session, notifier, settings=CoachSettings(checkin_time=None))
    _slump(sink, 120)
    sink.close(120.0)
    failed = [e for e in sink.events if e.kind == "notification_failed"]
    assert len(failed) == 1
    payload = failed[0].payload
    assert payload["kind"] == "posture" and payload["title"] == "Your head has drifted forward"
    assert payload["backend"] == "plyer:dbus-python" and "ServiceUnknown" in payload["reason"]
    assert payload["fallback"] == "print"
    assert "Your head has drifted forward" in out.getvalue()


# --------------------------------------------------------------------------- replay, end to end
START = datetime(2024, 3, 4, 9, 0)


def _synth(out: Path, *args: str) -> Path:
    subprocess.run(
        [sys.executable, "-m", "calibration.synth", *args, "--out", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.fixture(scope="module")
def demo_stream(tmp_path_factory) -> Path:
    """~6.8 min: calibration with the slouch step, upright, a 2 min forward-head slump,
    look down, shrug, away, back."""
    return _synth(tmp_path_factory.mktemp("synth") / "demo.jsonl", "--scene", "demo", "--seed", "1")


@pytest.fixture(scope="module")
def sitting_stream(tmp_path_factory) -> Path:
    """50 min of upright sitting (at 2 fps to keep the test quick)."""
    path = tmp_path_factory.mktemp("synth") / "sitting.jsonl"
    return _synth(path, "--scene", "upright", "--seed", "1", "--minutes", "50", "--fps", "2")


def _replay(stream: Path, db: Path, *extra: str) -> int:
    from posture_guard import cli

    return cli.main(
        [
            "replay",
            "--landmarks",
            str(stream),
            "--calibrate-seconds",
            "15",
            "--quiet",
            "--start",
            START.isoformat(),
            "--db",
            str(db),
            *extra,
        ]
    )


def _events(db: Path) -> list:
    from posture_guard.store import Store

    store = Store.open(db)
    try:
        return store.events(START, START.replace(hour=23))
    finally:
        store.close()


@pytest.mark.parametrize("notifier", ["desktop-notifier", "plyer"])
def test_replayed_forward_head_slump_sends_one_chin_tuck_alert_over_dbus(
    notification_server, demo_stream, tmp_path, notifier
):
    from posture_guard.coach import exercise_line
    from posture_guard.exercises import load_library
    from posture_guard.notify import DONE_RECORDS_NOW

    db = tmp_path / "log.sqlite3"
    assert _replay(demo_stream, db, "--notify", "--notifier", notifier) == 0
    calls = notification_server.wait_for(1)
    time.sleep(0.2)  # nothing else may arrive
    assert len(notification_server.calls) == 1
    (call,) = calls
    chin = exercise_line(load_library().by_id("chin_tuck"))
    assert call.summary == "Your head has drifted forward"
    # a replay's answer goes to its --db; it has no live monitor to snooze
    typed = f"\n(Done: posture-guard done chin_tuck --db {db})\n{DONE_RECORDS_NOW}"
    assert call.body == (
        f"Your head has been ahead of your shoulders for most of the last 90 s. {chin}"
        + (typed if notifier == "plyer" else "")  # plyer shows no buttons
    )
    events = _events(db)
    kinds = [e.kind for e in events]
    assert kinds.count("alert") == 1 and "notification_failed" not in kinds
    alert = next(e for e in events if e.kind == "alert")
    prompted = next(e for e in events if e.kind == "exercise_prompted")
    assert alert.payload["fault"] == "forward_head"
    assert prompted.payload["exercise"] == "chin_tuck"
    # inside the slump (80-200 s into the stream), at least 63 s after it began
    t_alert = alert.at - START.timestamp()
    assert 80 + 63 <= t_alert <= 200


def test_replayed_long_sitting_sends_one_break_prompt_at_45_minutes(
    notification_server, sitting_stream, tmp_path
):
    from posture_guard.exercises import load_library

    db = tmp_path / "log.sqlite3"
    assert _replay(sitting_stream, db, "--notify", "--notifier", "desktop-notifier") == 0
    (call,) = notification_server.wait_for(1)
    time.sleep(0.2)
    assert len(notification_server.calls) == 1  # upright all along: no posture alert
    assert call.summary == "Time for a short break"
    assert call.body.startswith(
        "You've been at the desk for 45 min. Stand up and move for a few minutes. "
    )
    lib = load_library()
    break_names = [ex.name for ex in lib.for_target("break")]
    assert any(f"minutes. {name}: " in call.body for name in break_names)
    (brk,) = [e for e in _events(db) if e.kind == "break_prompted"]
    # 45 min after the monitoring began, once the 15 s calibrated on were over
    assert 45 * 60 <= brk.at - START.timestamp() - 15 <= 45 * 60 + 2


def test_replay_without_a_notification_service_prints_and_logs_the_failure(
    bus_without_server, demo_stream, tmp_path, capsys
):
    db = tmp_path / "log.sqlite3"
    assert _replay(demo_stream, db, "--notify") == 0
    captured = capsys.readouterr()
    assert captured.err.count("desktop notifications are not reachable") == 1
    assert "coach: Your head has drifted forward" in captured.out
    (failed,) = [e for e in _events(db) if e.kind == "notification_failed"]
    assert failed.payload["title"] == "Your head has drifted forward"
    assert failed.payload["fallback"] == "print"


def test_a_replays_printed_prompt_names_its_database_and_offers_no_snooze(
    bus_without_server, demo_stream, tmp_path, capsys
):
    # The commands printed in place of the buttons act on what is running: a replay
    # logging to --db F is answered in F (a bare `done` wrote the user's own database),
    # and there is no live monitor for `snooze` to silence.
    import shlex

    from posture_guard import cli
    from posture_guard.notify import without_buttons

    db = tmp_path / "my logs" / "replay.sqlite3"
    db.parent.mkdir()
    assert _replay(demo_stream, db, "--notify") == 0
    out = capsys.readouterr().out
    typed = out.split("coach: Your head has drifted forward")[1].split("(Done: ")[1]
    command = typed.split(")\n")[0]
    assert "snooze" not in out
    argv = shlex.split(command)
    assert argv[:3] == ["posture-guard", "done", "chin_tuck"] and argv[-2:] == ["--db", str(db)]
    assert cli.main(argv[1:]) == 0  # the printed command, as the user would type it
    assert any(e.kind == "exercise_done" for e in _events_between(db, 0, 2**33))
    # a check-in printed in a replay names the day and the database too
    checkin = _replay_checkin(str(db))
    body = without_buttons(checkin).body
    quoted = shlex.quote(str(db))
    assert f"posture-guard checkin --none --date 2024-03-04 --db {quoted}" in body
    assert f"posture-guard headache add --date 2024-03-04 --intensity N --db {quoted}" in body
    # a live run's prompt still offers snooze, and its own database needs no --db
    live = without_buttons(replace(MESSAGE, exercise="chin_tuck"))
    assert "posture-guard snooze 15m" in live.body and "--db" not in live.body


def _replay_checkin(db: Optional[str]) -> Message:
    """The end-of-day check-in of a replay on 2024-03-04 logging to ``db`` (None: none)."""
    return Message(
        "End-of-day check-in",
        "Any headache today?",
        kind="checkin",
        buttons=(("no_headache", "No headache"), ("headache", "I had a headache")),
        day=date(2024, 3, 4),
        live=False,
        db=db,
    )


def test_a_replay_or_demo_without_a_database_prints_no_command_to_answer_it(
    bus_without_server, demo_stream, capsys
):
    # A replay or demo without --db logs nothing: a printed `posture-guard done chin_tuck`
    # (or `checkin --none`) would have put the answer to a recording's prompt in the
    # user's own database, among the days really monitored.
    from posture_guard import cli
    from posture_guard.notify import without_buttons

    argv = ["--landmarks", str(demo_stream), "--calibrate-seconds", "15", "--quiet"]
    for command in (["replay", *argv], ["demo"]):
        assert cli.main([*command, "--notify", "--start", START.isoformat()]) == 0
        out = capsys.readouterr().out
        prompt = out.split("coach: Your head has drifted forward")[1]
        assert "posture-guard" not in prompt  # no `done`, `checkin` or `snooze` to type
        assert "this replay logs to no database, so its prompts take no answer" in prompt
    assert not paths.database_file().exists()
    checkin = _replay_checkin(None)
    body = without_buttons(checkin).body
    assert "posture-guard" not in body and "logs to no database" in body


def test_a_prompt_printed_by_choice_says_how_to_answer_it_too(tmp_path, capsys):
    # `demo` prints its prompts, and so does `replay --notifier print`: neither went
    # through the fallback that adds the commands in place of the buttons, so a demo's
    # posture alert had nothing to type for its Done, and no word that a replay without
    # --db takes no answer.
    import re

    from posture_guard import cli
    from posture_guard.monitor import demo_stream_path

    def prompt_of(out: str) -> str:
        return out.split("coach: Your head has drifted forward")[1].split("\n[")[0]

    assert cli.main(["demo"]) == 0
    prompt = prompt_of(capsys.readouterr().out)
    assert "posture-guard" not in prompt
    assert "this replay logs to no database, so its prompts take no answer" in prompt

    db = tmp_path / "demo.sqlite3"
    assert cli.main(["demo", "--db", str(db), "--start", START.isoformat()]) == 0
    assert re.search(
        rf"\(Done: posture-guard done \w+ --db {re.escape(str(db))}\)",
        prompt_of(capsys.readouterr().out),
    )

    replay = ["replay", "--landmarks", str(demo_stream_path()), "--calibrate-seconds", "20"]
    other = tmp_path / "replay.sqlite3"
    argv = [*replay, "--notify", "--notifier", "print", "--db", str(other), "--quiet"]
    assert cli.main([*argv, "--start", START.isoformat()]) == 0
    prompt = prompt_of(capsys.readouterr().out)
    assert re.search(rf"\(Done: posture-guard done \w+ --db {re.escape(str(other))}\)", prompt)
    assert "snooze" not in prompt  # a replay has no live monitor to snooze


def test_a_replays_printed_done_command_says_it_records_the_exercise_now(tmp_path, capsys):
    # `done` takes no time of day: the command printed for a prompt of a replay from a
    # past --start records the exercise today, not when the prompt was replayed. It was
    # printed bare, as if it answered that prompt. (A live run's prompt is answered now.)
    import shlex

    from posture_guard import cli
    from posture_guard.notify import without_buttons

    db = tmp_path / "demo.sqlite3"
    assert cli.main(["demo", "--db", str(db), "--start", START.isoformat()]) == 0
    prompt = capsys.readouterr().out.split("coach: Your head has drifted forward")[1]
    typed, said = prompt.split("(Done: ")[1].split("\n")[:2]
    assert "records the exercise as done now, not at this replayed prompt's time" in said
    before = datetime.now().timestamp() - 1
    assert cli.main(shlex.split(typed.rstrip(")"))[1:]) == 0  # as the user would type it
    (done,) = [e for e in _events_between(db, 0, 2**33) if e.kind == "exercise_done"]
    assert done.at >= before  # now, as said: not on the replayed 2024-03-04
    live = without_buttons(replace(MESSAGE, exercise="chin_tuck"))
    assert "posture-guard done chin_tuck" in live.body and "replayed" not in live.body


def _headache_pressed_on_a_replays_checkin(server, db: Optional[Path]) -> str:
    """The body of the notification a replay (built as `replay --notify [--db F]` builds
    its coach) sends after "I had a headache" is pressed on its 09:00 check-in."""
    from posture_guard.coach import build_sink, event_logger
    from posture_guard.store import Store, StoreSink

    session = SessionInfo(start=START, profile="replay", live=False, source="rec.jsonl")
    stores = [StoreSink(Store.open(db), session, own_store=True)] if db is not None else []
    sink = build_sink(
        live=False,
        notify=True,
        demo=False,
        session=session,
        notifier_choice="desktop-notifier",
        on_event=event_logger(stores),
        settings=CoachSettings(checkin_time=clock_time(9, 0)),
        out=io.StringIO(),
        db=None if db is None else str(db),
    )
    assert sink is not None
    t = 0.0
    sink.on_decision(Decision(t, PostureState.GOOD))
    (checkin,) = server.wait_for(1)
    assert checkin.summary == "End-of-day check-in" and "headache" in checkin.buttons
    server.invoke_action(checkin.id, "headache")  # the user presses "I had a headache"
    deadline = time.monotonic() + 5
    while len(server.calls) < 2 and time.monotonic() < deadline:
        t += 0.2
        sink.on_decision(Decision(t, PostureState.GOOD))
        time.sleep(0.02)
    sink.close(t)
    for store in stores:
        store.close(t)
    hint = server.calls[1]
    assert hint.summary == "Note your headache"
    return hint.body


def test_i_had_a_headache_on_a_replays_checkin_names_the_replays_database(
    notification_server, tmp_path, pg_home
):
    # The hint said `posture-guard headache add --date D --intensity N` without --db: the
    # headache of a recording's day went into the user's own diary, not the replay's.
    import shlex

    from posture_guard import cli
    from posture_guard.diary import Diary
    from posture_guard.store import Store

    db = tmp_path / "my logs" / "replay.sqlite3"
    db.parent.mkdir()
    body = _headache_pressed_on_a_replays_checkin(notification_server, db)
    command = body.split("posture-guard headache add", 1)[1].split(" (N: ")[0]
    argv = shlex.split("headache add" + command.replace("--intensity N", "--intensity 6"))
    assert argv[-2:] == ["--db", str(db)] and "--date" in argv
    assert cli.main(argv) == 0  # the command the hint names, as the user would type it
    store = Store.open(db)
    try:
        day = START.date()
        assert Diary(store).days(day, day)[day].status == "headache"
    finally:
        store.close()
    assert not paths.database_file().exists()  # the user's own diary untouched


def test_i_had_a_headache_on_a_replays_checkin_without_a_database_names_no_command(
    notification_server,
):
    # As its other prompts (see above): a replay that logs nowhere takes no answer, and a
    # bare `headache add` would have put a recording's headache in the user's own diary.
    body = _headache_pressed_on_a_replays_checkin(notification_server, None)
    assert "posture-guard" not in body
    assert "2024-03-04 was not put in a diary: this replay logs to no database" in body


def _events_between(db: Path, start: float, end: float) -> list:
    from posture_guard.store import Store

    store = Store.open(db)
    try:
        return store.events(start, end)
    finally:
        store.close()


def test_replay_without_notify_does_not_coach(notification_server, demo_stream, tmp_path):
    db = tmp_path / "log.sqlite3"
    assert _replay(demo_stream, db) == 0
    time.sleep(0.2)
    assert notification_server.calls == []
    assert [e for e in _events(db) if e.kind.startswith("alert")] == []


def test_demo_prints_the_prompts_without_notify(notification_server, capsys):
    from posture_guard import cli

    assert cli.main(["demo", "--start", START.isoformat()]) == 0
    out = capsys.readouterr().out
    assert out.count("coach: Your head has drifted forward") == 1
    assert "Chin tuck: Sit tall" in out
    time.sleep(0.2)
    assert notification_server.calls == []
