"""Notification backends: how a prompt reaches the user, and knowing when it did not.

Every backend returns a :class:`Delivery` saying whether the notification was shown,
through which path, and if not, why. Nothing is lost silently: :class:`FallbackNotifier`
prints a prompt that could not be shown, says once on stderr that it is doing so, and
the coach logs a ``notification_failed`` event for it.

Backends:

- :class:`DesktopNotifierBackend` (``desktop-notifier``, the default where it imports):
  D-Bus on Linux, native on macOS and Windows, with action buttons ("Done", "Snooze 15
  min") whose clicks come back through :meth:`poll_clicks`. It runs its own asyncio loop
  in a daemon thread, because button clicks arrive as D-Bus signals that need a running
  loop. desktop-notifier swallows send errors and only logs a warning, so success is
  judged by its ``on_dispatched`` callback (called only after the server accepted the
  Notify call) and the logged error is kept as the reason. Its dbus-fast does not look
  for the user's bus at ``$XDG_RUNTIME_DIR/bus`` as libdbus and GLib do: :func:`use_user_bus`.
- :class:`PlyerNotifier` (plyer 2.1.0, the plain path, no buttons). Its Linux backend is
  one of: dbus-python's ``Notify`` call when ``import dbus`` works (errors raise:
  ``ServiceUnknown`` with a bus but no notification server, ``DBusException`` with no bus);
  else ``notify-send`` run without checking its exit status and with no timeout; else a
  warning and ``NotImplementedError``; inside Flatpak (``/app``) a ``gdbus`` portal call
  whose result is thrown away. posture_guard therefore detects the path itself
  (:func:`plyer_path`), calls plyer's dbus-python class directly and catches its errors,
  and runs ``notify-send``/``gdbus`` itself with a timeout and a checked exit status.
- :class:`PrintingNotifier`: prints to a stream (demo, and the fallback).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import importlib.util
import json
import logging
import os
import queue
import shlex
import shutil
import stat
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Callable, Optional, Protocol

from . import logs
from .errors import UserError
from .terminal import UTF8_NAMES

log = logging.getLogger(__name__)

APP_NAME = "posture-guard"
_NOTIFICATIONS = "org.freedesktop.Notifications"  # the server's bus name and interface
_NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
CHOICES = ("auto", "desktop-notifier", "plyer", "print")


@dataclass(frozen=True)
class Message:
    """What to show. ``buttons`` are (action id, label) pairs; ``when`` is for printing;
    ``exercise`` is the suggested exercise's id (what its Done button records); ``day``
    the day a check-in asks about (what its buttons record). ``live`` and ``db`` say
    what the prompt's session is, for the commands printed in place of its buttons: a
    replay has no running monitor to snooze, and one that logs to ``--db F`` records its
    answers there, not in the user's database."""

    title: str
    body: str
    kind: str = "prompt"
    prompt_id: int = 0
    buttons: tuple[tuple[str, str], ...] = ()
    when: str = ""
    exercise: Optional[str] = None
    day: Optional[date] = None
    live: bool = True
    db: Optional[str] = None
    #: the Snooze button's length as `posture-guard snooze` takes it (``snooze_button_s``)
    snooze: str = "15m"
    #: that length in seconds, kept with the prompt (notifications.json): a Snooze pressed
    #: after a new session began snoozes for what its label said (see :class:`Click`)
    snooze_s: Optional[float] = None


# What each button does, as a command: said in the body where no button can be shown
# (plyer; a server without the "actions" capability), or the prompt could not be answered.
# A check-in's commands name its day: answered after midnight, they would record the next.
_BUTTON_COMMANDS = {
    "done": "posture-guard done {exercise}",
    "snooze": "posture-guard snooze {snooze}",
    "no_headache": "posture-guard checkin --none{date}",
    "headache": "posture-guard headache add{date} --intensity N",
}
#: A check-in's buttons: pressed on one an earlier run showed, still passed to the coach.
CHECKIN_ACTIONS = ("no_headache", "headache")


#: What a replay or demo that logs to no database says in place of its buttons' commands:
#: a bare `posture-guard done` or `checkin` would have put the answer to a recording's
#: prompt in the user's own log, among the days really monitored.
NO_DATABASE_TO_ANSWER = (
    "(this replay logs to no database, so its prompts take no answer; "
    "with --db F it names the commands that record them there)"
)


#: What a replay's printed Done command records, said under it: `done` takes no time of day,
#: so it records the exercise now, not at the replayed prompt's time (a replay of last
#: week's recording printed "done chin_tuck --db F" as if it answered the prompt, and it
#: put a dose done today in F, while the prompt stayed unanswered on its day).
DONE_RECORDS_NOW = (
    "(that `done` records the exercise as done now, not at this replayed prompt's time: "
    "it takes no time of day)"
)


def db_option(db: Optional[str]) -> str:
    """`` --db F`` (quoted for a shell) for a command that answers a prompt in the
    session's own database ``db``; empty for the user's own (``db`` None)."""
    return f" --db {shlex.quote(db)}" if db is not None else ""


def without_buttons(message: Message) -> Message:
    """``message`` for a path that shows no buttons: the commands that answer it instead
    (a replay that logs to no database says it takes no answer, see
    :data:`NO_DATABASE_TO_ANSWER`; one that logs to a database says its Done command
    records now, see :data:`DONE_RECORDS_NOW`)."""
    commands = []
    done_named = False
    for action, label in message.buttons:
        command = button_command(message, action)
        if command is None:
            continue
        if action == "snooze" and not message.live:
            continue  # `snooze` silences the live monitor, not the replay that prompted
        commands.append(f"{label}: {command}")
        done_named = done_named or action == "done"
    if not commands:
        return replace(message, buttons=())
    if not message.live and message.db is None:
        return replace(message, body=f"{message.body}\n{NO_DATABASE_TO_ANSWER}", buttons=())
    body = f"{message.body}\n({'; '.join(commands)})"
    if not message.live and done_named:
        body += f"\n{DONE_RECORDS_NOW}"
    return replace(message, body=body, buttons=())


def button_command(message: Message, action: str) -> Optional[str]:
    """The command that does what the button ``action`` on ``message`` does, or None."""
    command = _BUTTON_COMMANDS.get(action)
    if command is None or ("{exercise}" in command and not message.exercise):
        return None
    when = f" --date {message.day.isoformat()}" if message.day is not None else ""
    command = command.format(exercise=message.exercise, date=when, snooze=message.snooze)
    return command if action == "snooze" else command + db_option(message.db)


def escape_markup(text: str) -> str:
    """``text`` as a server that reads the body as markup shows it as typed.

    With the "body-markup" capability (GNOME, KDE, dunst, mako, xfce4-notifyd all have it)
    the body is a subset of XML, so an exercise named "Neck & shoulder <roll>" in a
    therapist's exercises.toml lost its "<roll>" as an unknown tag, or the body was cut
    short at it (KDE) or not shown at all (GTK on markup it cannot parse). The freedesktop
    spec leaves escaping to the client; a server without the capability shows the text as
    it is, so that body is left alone."""
    return html.escape(text, quote=False)  # &, < and >, as the spec's markup needs


@dataclass(frozen=True)
class Delivery:
    """The outcome of one send: shown or not, the path taken, why not, and the fallback."""

    shown: bool
    backend: str
    reason: str = ""
    fallback: str = ""


@dataclass(frozen=True)
class Click:
    """A button the user pressed on the notification for ``prompt_id``."""

    prompt_id: int
    action: str
    #: the prompt's kind and exercise, for a press on a notification an earlier session
    #: showed: this session's coach did not show it, so knows neither (a Done without its
    #: exercise would answer no prompt; see :meth:`DesktopNotifierBackend._on_action`)
    kind: str = ""
    exercise: Optional[str] = None
    #: for a press on an earlier session's notification: the database that session logged
    #: to (its real path; None when not known, from an older version), and the command
    #: that does what the button would, to name where that database is not this session's
    db: Optional[str] = None
    command: Optional[str] = None
    #: a Snooze's length as its button's label said, from notifications.json (None: not
    #: kept, from an older version; the coach's ``snooze_button_s`` then)
    snooze_s: Optional[float] = None


def database_of(db: Optional[str], live: bool) -> Optional[str]:
    """The real path of the database a session's answers go to: ``db`` (its ``--db``), else
    the user's own for a live run; None for a replay that logs to no database. Real paths,
    so that ``--db`` naming the user's own database by another name is the same one."""
    if db is None and not live:
        return None
    from . import paths

    return os.path.realpath(db if db is not None else paths.database_file())


class Notifier(Protocol):
    name: str

    def send(self, message: Message) -> Delivery: ...

    def poll_clicks(self) -> list[Click]: ...

    def close(self) -> None: ...


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:300]


# --------------------------------------------------------------------------- printing
class PrintingNotifier:
    """Prints each prompt: what `posture-guard demo` shows, and the fallback.

    A printed prompt has no buttons, so it ends with the commands that do what they would
    (:func:`without_buttons`), as the fallback's always did: `demo` and `replay --notifier
    print` printed a posture alert with nothing to type for its Done, not even that a
    replay without --db takes no answer."""

    name = "print"

    def __init__(self, stream: Optional[IO[str]] = None):
        self.stream = stream

    def send(self, message: Message) -> Delivery:
        if message.buttons:
            message = without_buttons(message)
        stream = self.stream if self.stream is not None else sys.stdout
        if stream is None:  # started with its output closed (`posture-guard demo >&-`)
            return Delivery(False, self.name, "there is no output to print to")
        when = f"[{message.when}] " if message.when else ""
        body = message.body.replace("\n", "\n    ")  # the commands' line too, under it
        print(f"{when}coach: {message.title}\n    {body}", file=stream)
        stream.flush()
        return Delivery(True, self.name)

    def poll_clicks(self) -> list[Click]:
        return []

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- plyer
def plyer_path() -> str:
    """Which of plyer 2.1.0's Linux paths would be taken here (mirrors its instance()).

    "portal" (Flatpak), "dbus-python", "notify-send" or "none"; "native" off Linux.
    """
    if not sys.platform.startswith("linux"):
        return "native"
    if os.path.isdir("/app"):
        return "portal"
    if importlib.util.find_spec("dbus") is not None:
        try:
            import dbus  # noqa: F401
        except ImportError:
            pass
        else:
            return "dbus-python"
    if shutil.which("notify-send"):
        return "notify-send"
    return "none"


class PlyerNotifier:
    """plyer's plain notification, on a path posture_guard knows and checks."""

    def __init__(
        self,
        app_name: str = APP_NAME,
        timeout_s: int = 10,
        path: Optional[str] = None,
        command_timeout_s: float = 10.0,
    ):
        self.app_name = app_name
        self.timeout_s = timeout_s
        self.command_timeout_s = command_timeout_s
        self.path = path or plyer_path()
        self.name = f"plyer:{self.path}"

    def send(self, message: Message) -> Delivery:
        message = without_buttons(message)  # plyer has no buttons on any path
        try:
            if self.path in ("dbus-python", "notify-send") and self._reads_markup():
                message = replace(message, body=escape_markup(message.body))
            if self.path == "dbus-python":
                self._send_dbus(message)
            elif self.path == "notify-send":
                self._run(
                    [
                        "notify-send",
                        "-a",
                        self.app_name,
                        "-t",
                        str(self.timeout_s * 1000),
                        "--",
                        message.title,
                        message.body,
                    ]
                )
            elif self.path == "portal":
                self._send_portal(message)
            elif self.path == "native":
                from plyer import notification

                notification.notify(
                    title=message.title,
                    message=message.body,
                    app_name=self.app_name,
                    timeout=self.timeout_s,
                )
            else:
                return Delivery(
                    False,
                    self.name,
                    "no notification path: dbus-python is not installed and notify-send "
                    "was not found",
                )
        except Exception as exc:  # any failure of the platform call is a lost prompt
            return Delivery(False, self.name, _reason(exc))
        return Delivery(True, self.name)

    def _reads_markup(self) -> bool:
        """Whether the notification server reads the body as markup (see
        :func:`escape_markup`): plyer and notify-send pass the body on as it is. Asked
        through the same path the send takes; a server that cannot be asked is left to the
        send, which fails and says why. (The portal's body is always plain text.)"""
        try:
            if self.path == "dbus-python":
                import dbus

                obj = dbus.SessionBus().get_object(_NOTIFICATIONS, _NOTIFICATIONS_PATH)
                ask = dbus.Interface(obj, _NOTIFICATIONS).GetCapabilities
                caps = [str(c) for c in ask(timeout=self.command_timeout_s)]
                return "body-markup" in caps
            if shutil.which("gdbus") is None:
                return False
            proc = subprocess.run(
                [
                    "gdbus",
                    "call",
                    "--session",
                    "--dest",
                    _NOTIFICATIONS,
                    "--object-path",
                    _NOTIFICATIONS_PATH,
                    "--method",
                    f"{_NOTIFICATIONS}.GetCapabilities",
                ],
                capture_output=True,
                text=True,
                timeout=self.command_timeout_s,
                check=False,
            )
        except Exception:
            return False
        return proc.returncode == 0 and "'body-markup'" in proc.stdout

    def _send_dbus(self, message: Message) -> None:
        # plyer's own class, called directly so its errors reach us (and no facade
        # proxy swallows the choice of path).
        from plyer.platforms.linux.notification import NotifyDbus

        NotifyDbus().notify(
            title=message.title,
            message=message.body,
            app_name=self.app_name,
            timeout=self.timeout_s,
        )

    def _send_portal(self, message: Message) -> None:
        # JSON strings are GVariant text strings, except that an ASCII-only dump writes a
        # character beyond the basic plane (an emoji) as a surrogate pair, which GVariant
        # rejects (gdbus even crashes on it): keep such characters as they are.
        title = json.dumps(message.title, ensure_ascii=False)
        body = json.dumps(message.body, ensure_ascii=False)
        payload = "{'title': <" + title + ">, 'body': <" + body + ">}"
        self._run(
            [
                "gdbus",
                "call",
                "--session",
                "--dest",
                "org.freedesktop.portal.Desktop",
                "--object-path",
                "/org/freedesktop/portal/desktop",
                "--method",
                "org.freedesktop.portal.Notification.AddNotification",
                f"posture-guard-{message.prompt_id}",
                payload,
            ]
        )

    def _run(self, argv: list[str]) -> None:
        try:
            proc = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=self.command_timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"{argv[0]} did not finish within {exc.timeout:g} s") from exc
        if proc.returncode != 0:
            err = (proc.stderr or proc.stdout).strip().splitlines()
            detail = err[-1] if err else "no message"
            raise RuntimeError(f"{argv[0]} exited with status {proc.returncode}: {detail}")

    def poll_clicks(self) -> list[Click]:
        return []

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- desktop-notifier
class _ErrorCapture(logging.Handler):
    """Keeps the last warning desktop-notifier logs, so a failed send has a reason."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.last: Optional[str] = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.last = _reason(record.exc_info[1])
        else:
            self.last = record.getMessage()


#: the bytes a D-Bus address value holds as they are; any other is written %XX
_ADDRESS_PLAIN = frozenset(b"-_/.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def use_user_bus(environ: Optional[dict[str, str]] = None) -> Optional[str]:
    """Point DBUS_SESSION_BUS_ADDRESS at the user's bus ``$XDG_RUNTIME_DIR/bus`` when it
    is unset and that socket exists; the address set, or None when nothing was changed.

    Why: libdbus and GLib (dbus-send, notify-send) look there when the variable is unset,
    as it often is under a systemd user service or an ssh login; dbus-fast, under
    desktop-notifier, does not, so every prompt failed and was only printed."""
    env: Any = os.environ if environ is None else environ
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if env.get("DBUS_SESSION_BUS_ADDRESS") or not os.path.isabs(runtime):
        return None
    socket = os.path.join(runtime, "bus")
    try:
        if not stat.S_ISSOCK(os.stat(socket).st_mode):
            return None
    except (OSError, ValueError):  # none there (ValueError: a NUL in the variable)
        return None
    plain = "".join(chr(b) if b in _ADDRESS_PLAIN else f"%{b:02x}" for b in os.fsencode(socket))
    env["DBUS_SESSION_BUS_ADDRESS"] = address = f"unix:path={plain}"
    return address


#: How long after a prompt was shown its Done still answers it (a Done later counts as
#: done that day, answering nothing, and the prompt as ignored): the coach's buttons and
#: ``posture-guard done`` alike. Here, with the buttons, so that a Done pressed on an
#: earlier run's notification is judged by it; :mod:`adherence` counts by the same.
RESPONSE_WINDOW_S = 90 * 60.0


#: The expiry a prompt with buttons asks of the server: 0, never (the notification spec's
#: word for "until the user closes it"). Asked to expire after ``timeout_s`` (10 s), the
#: servers that honour it (dunst, mako, xfce4-notifyd, Plasma) took Done and Snooze away
#: before the user had done the exercise they ask about, while the answer counts for
#: 90 min (RESPONSE_WINDOW_S); the server's own default (-1) is as short on
#: dunst and xfce4-notifyd. A notice without buttons keeps ``timeout_s``: there is
#: nothing to answer.
NEVER_EXPIRES = 0
#: How often the monitor looks for its prompts past :data:`RESPONSE_WINDOW_S` to close.
EXPIRY_CHECK_S = 60.0


class DesktopNotifierBackend:
    """desktop-notifier with buttons; clicks are queued for :meth:`poll_clicks`. A prompt
    with buttons stays until answered or closed (:data:`NEVER_EXPIRES`; the monitor closes
    its own as it stops, :func:`close_prompts`); a plain one, shown where the server has no
    buttons too, expires after ``timeout_s``."""

    name = "desktop-notifier"

    def __init__(self, app_name: str = APP_NAME, timeout_s: int = 10, send_timeout_s: float = 15.0):
        try:
            from desktop_notifier import DesktopNotifier
        except ImportError as exc:
            raise UserError(
                "the desktop-notifier package is not installed; use --notifier plyer"
            ) from exc
        self.timeout_s = timeout_s
        self.send_timeout_s = send_timeout_s
        self._clicks: queue.SimpleQueue[Click] = queue.SimpleQueue()
        self._capture = _ErrorCapture()
        self._logger = logging.getLogger("desktop_notifier")
        self._logger.addHandler(self._capture)
        # Its warnings carry tracebacks; we report the reason ourselves instead.
        self._old_propagate = self._logger.propagate
        self._logger.propagate = False
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(_log_loop_error)
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="posture-guard-notify", daemon=True
        )
        self._thread.start()
        self._app_name = app_name
        self._notifier = DesktopNotifier(app_name=app_name, app_icon=None)
        # the interface last asked whether it reads the body as markup, and its answer
        self._markup_for: object = None
        self._markup = False
        self._closed = False
        # the notifications with buttons shown before this one started (by earlier runs),
        # those it showed, and the interface it hears their buttons on
        self._earlier = read_shown()
        self._mine: set[int] = set()
        # this run's live prompts still open, not check-ins: id -> (shown, on the monotonic
        # clock; the bus it was shown on), closed once they no longer take an answer
        # (_close_expired); and those an earlier session of this process showed: id ->
        # (shown, monotonic; (bus id, server name))
        self._open: dict[int, tuple[float, object]] = {}
        self._open_earlier: dict[int, tuple[float, tuple[str, str]]] = _still_open(self._earlier)
        self._next_expiry_check = 0.0
        self._heard_on: object = None
        # listening from the start: a button pressed on an earlier run's notification
        # before this run shows one of its own is heard too
        self._listening = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)

    def send(self, message: Message) -> Delivery:
        dispatched = threading.Event()
        self._capture.last = None
        fut = asyncio.run_coroutine_threadsafe(self._send(message, dispatched), self._loop)
        try:
            fut.result(timeout=self.send_timeout_s)
        except concurrent.futures.TimeoutError:
            # Left to finish, not cancelled: a slow server (a desktop under load) may still
            # show the prompt, with its buttons, and their clicks come back only if the
            # send is there to note the notification's id. Cancelled, the late prompt's
            # Done and Snooze did nothing at all while looking like they worked.
            fut.add_done_callback(lambda _: _log_late(message, dispatched))
            return Delivery(
                False,
                self.name,
                f"no answer from the notification service in {self.send_timeout_s:g} s",
            )
        except Exception as exc:
            return Delivery(False, self.name, _reason(exc))
        if dispatched.is_set():
            return Delivery(True, self.name)
        return Delivery(
            False, self.name, self._capture.last or "the notification service did not accept it"
        )

    async def _send(self, message: Message, dispatched: threading.Event) -> None:
        from desktop_notifier import Button, Capability, DesktopNotifier, Notification

        use_user_bus()  # before its bus connects (at the first send, or again after one died)
        # after the connection made at the start: made by both at once, a press would be
        # heard twice
        await asyncio.wrap_future(self._listening)
        bus = getattr(getattr(self._notifier, "_backend", None), "bus", None)
        if bus is not None and not bus.connected:
            # The session bus went away under us (a desktop restart): desktop-notifier
            # keeps its dead connection for good, so start afresh; the new one connects
            # to the bus once it is back (and fails, and is reported, until then).
            self._notifier = DesktopNotifier(app_name=self._app_name, app_icon=None)
        if message.buttons:
            try:
                shows_buttons = Capability.BUTTONS in await self._notifier.get_capabilities()
            except Exception:  # no server: the send below fails and says why
                shows_buttons = True
            if not shows_buttons:
                message = without_buttons(message)
        if await self._reads_markup():
            message = replace(message, body=escape_markup(message.body))
        buttons = tuple(
            Button(
                title=label,
                identifier=action,
                on_pressed=_presser(self._clicks, Click(message.prompt_id, action)),
            )
            for action, label in message.buttons
        )
        note = Notification(
            title=message.title,
            message=message.body,
            buttons=buttons,
            on_dispatched=dispatched.set,
            timeout=NEVER_EXPIRES if buttons else self.timeout_s,
        )
        await self._notifier.send_notification(note)
        ids = getattr(self._backend(), "_platform_to_interface_notification_identifier", None)
        nid = getattr(ids, "inverse", {}).get(note.identifier) if ids is not None else None
        if buttons and isinstance(nid, int):
            self._mine.add(nid)
            if message.live and message.kind != "checkin":
                self._open[nid] = (time.monotonic(), getattr(self._backend(), "bus", None))
            _remember_shown(nid, message, await _server_of(self._backend()))
        await self._listen()  # a new connection (the bus came back) is heard on too

    def _backend(self) -> Any:
        return getattr(self._notifier, "_backend", None)

    async def _listen(self) -> None:
        """Hear the buttons pressed on the server this backend talks to (D-Bus only), once
        for each connection to it: those on an earlier run's notifications included,
        which desktop-notifier passes over without a word."""
        backend = self._backend()
        if not hasattr(backend, "_init_dbus"):
            return  # macOS, Windows: a notification's buttons die with the app
        try:
            if getattr(backend, "interface", None) is None:
                use_user_bus()  # before it connects, as a send does
                await self._notifier.get_capabilities()  # connects, as a send would
        except Exception:  # no server yet: the send says why, and listens once it connects
            return
        interface = getattr(backend, "interface", None)
        if interface is not None and interface is not self._heard_on:
            if hasattr(interface, "on_action_invoked"):
                interface.on_action_invoked(self._on_action)
                self._heard_on = interface

    def _on_action(self, nid: int, action: str) -> None:
        """A button pressed on a notification of this server: said in the log when it is
        one an earlier session showed (an earlier run, or this one's before it began a new
        session: the clock set, a plan's first or last day), which is over, so nothing
        records it; but a check-in's button, a Snooze, and a Done within the response
        window are passed on as this run's are (see :func:`_earlier_click`)."""
        if nid in self._mine:
            if action in _BUTTON_COMMANDS:  # not a click on its body ("default")
                _note_shown(nid, answered=True)  # a check-in closed at the stop is not named
                self._open.pop(nid, None)
            return  # this run's: desktop-notifier calls its button's on_pressed
        earlier = self._earlier.get(nid)
        if earlier is None or action not in _BUTTON_COMMANDS:
            return  # another application's notification
        if earlier.get("closed") or _shown_by_another_running(earlier):
            # closed when its monitor stopped (the id may be another's now), or shown by
            # a process still running (a replay beside the monitor), which takes it itself
            return
        _note_shown(nid, answered=True)
        self._open_earlier.pop(nid, None)
        click = _earlier_click(earlier, action, time.time())
        if click is not None:
            self._clicks.put(click)
            return
        shown = earlier.get("shown")
        when = (
            datetime.fromtimestamp(shown).strftime("%Y-%m-%d %H:%M")
            if isinstance(shown, (int, float))
            else "before"
        )
        command = (earlier.get("commands") or {}).get(action)
        instead = f"; `{command}` does what it would have" if command else ""
        age = _age(earlier, time.time())
        late = (
            f", more than {RESPONSE_WINDOW_S / 60:g} min ago, when it no longer takes an answer"
            if action == "done" and age is not None and age > RESPONSE_WINDOW_S
            else ""
        )
        log.warning(
            "the %r button was pressed on a notification shown before this monitor session "
            "began (prompt %s, %r, shown %s%s): the session that showed it has ended (an "
            "earlier run, or the session before a restart), so it records nothing%s",
            action,
            earlier.get("prompt"),
            earlier.get("title"),
            when,
            late,
            instead,
        )

    async def _reads_markup(self) -> bool:
        """Whether the server reads the body as markup (its "body-markup" capability),
        asked once per connection to it. desktop-notifier passes the body on as it is and
        does not report this capability, so it is asked here, of the D-Bus interface
        desktop-notifier opened; a backend without one (macOS, Windows) reads plain text."""
        backend = getattr(self._notifier, "_backend", None)
        interface = getattr(backend, "interface", None)
        if interface is None:
            try:  # opens the interface, as the send itself would
                await self._notifier.get_capabilities()
            except Exception:  # no server: the send fails and says why
                return False
            interface = getattr(backend, "interface", None)
        if interface is None or not hasattr(interface, "call_get_capabilities"):
            return False
        if self._markup_for is not interface:
            try:
                caps = await interface.call_get_capabilities()
            except Exception:
                return False
            self._markup_for, self._markup = interface, "body-markup" in caps
        return self._markup

    def _close_expired(self, now: float) -> None:  # now: time.monotonic()
        """Close this run's prompts whose answer no longer counts, :data:`RESPONSE_WINDOW_S`
        after they were shown (a check-in, whose answer is about its day, stays), and those
        an earlier session of this process left open (:func:`_still_open`). They
        never expire (:data:`NEVER_EXPIRES`), so an ignored break prompt stayed on screen
        all day, each repeat stacked over it: 5 by 14:00 in a day from 09:00. Looked at
        once a minute; one shown on a connection since lost is left to its server."""
        if now < self._next_expiry_check:
            return
        self._next_expiry_check = now + EXPIRY_CHECK_S
        bus = getattr(self._backend(), "bus", None)
        shown = list(self._open.items())  # the loop thread adds to it
        old = {n: on for n, (at, on) in shown if now - at > RESPONSE_WINDOW_S}
        for nid in old:
            self._open.pop(nid, None)
        ours = [n for n, on in old.items() if on is not None and on is bus]
        if ours and not self._closed:
            asyncio.run_coroutine_threadsafe(self._close_ids(ours, bus), self._loop)
        earlier = {
            n: on
            for n, (at, on) in list(self._open_earlier.items())
            if now - at > RESPONSE_WINDOW_S
        }
        for nid in earlier:
            self._open_earlier.pop(nid, None)
        if earlier and not self._closed:
            asyncio.run_coroutine_threadsafe(self._close_earlier(earlier), self._loop)

    async def _close_ids(self, nids: list[int], bus: object) -> None:
        interface = getattr(self._backend(), "interface", None)
        if interface is None or getattr(self._backend(), "bus", None) is not bus:
            return
        for nid in nids:
            try:
                await interface.call_close_notification(nid)
            except Exception:  # no longer shown (closed by the user): nothing to close
                pass
            _note_shown(nid, closed=True)

    async def _close_earlier(self, records: dict[int, tuple[str, str]]) -> None:
        """Close the notifications an earlier session of this process showed, each on the
        server that showed it, which the bus's id and the server's name tell (a server
        started again gives its ids to other programs' notifications too); those of a
        server gone are left to :func:`close_prompts` as the monitor stops."""
        here = await _server_of(self._backend())
        nids = [nid for nid, server in records.items() if server == here]
        bus = getattr(self._backend(), "bus", None)
        if nids and bus is not None:
            await self._close_ids(nids, bus)

    def poll_clicks(self) -> list[Click]:
        self._close_expired(time.monotonic())
        out: list[Click] = []
        while True:
            try:
                out.append(self._clicks.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        backend = getattr(self._notifier, "_backend", None)
        bus = getattr(backend, "bus", None)
        if bus is not None:
            self._loop.call_soon_threadsafe(bus.disconnect)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()
        self._logger.removeHandler(self._capture)
        self._logger.propagate = self._old_propagate


#: The notifications shown with buttons, by the id their server gave them, kept in the
#: state folder: a button pressed on one after the monitor run that showed it has ended
#: is taken by the monitor running then, with the prompt's kind and exercise kept here,
#: or where it can record nothing (a Done past the response window), said in its log
#: instead of nothing (see :meth:`DesktopNotifierBackend._on_action`).
SHOWN_NAME = "notifications.json"
#: How many are kept: more than a day's prompts.
SHOWN_KEPT = 200


def _shown_file() -> Path:
    from . import paths

    return paths.state_dir() / SHOWN_NAME


def read_shown() -> dict[int, dict[str, Any]]:
    """The notifications shown with buttons so far (server id -> what it was); nothing
    for a missing or damaged file, which only costs the log line on a later press."""
    try:
        with _shown_file().open("rb") as fh:
            raw = json.loads(fh.read(1_000_000))
        return {int(r["nid"]): r for r in raw if isinstance(r, dict) and "nid" in r}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def _earlier_click(earlier: dict[str, Any], action: str, now: float) -> Optional[Click]:
    """A press on a notification an earlier session showed (its record in
    notifications.json), as the click this run's coach takes, or None where it can record
    nothing (said in the log instead).

    A check-in's answer is about the day it asked, which the coach keeps across restarts
    (coach.json): passed on, it is recorded for that day (or the coach says in a note that
    it cannot tell the day). A Snooze asks the running monitor for quiet, whichever
    notification it was on. A Done answers its prompt, on the prompt's day, as `done`
    would, while the prompt still takes an answer (adherence's response window after it
    was shown, when it counts as ignored); later it would answer nothing. A replay's
    prompt (``live`` false) had no monitor to snooze nor the user's log to answer in, so
    of its buttons only a check-in's is taken, as before; so of a record from a version
    that kept neither."""
    prompt = earlier.get("prompt")
    if not isinstance(prompt, int) or isinstance(prompt, bool):
        return None
    db = earlier.get("db") if isinstance(earlier.get("db"), str) else None
    command = (earlier.get("commands") or {}).get(action)
    command = command if isinstance(command, str) else None
    if action in CHECKIN_ACTIONS:
        return Click(prompt, action, db=db, command=command)
    if earlier.get("live") is not True:
        return None
    if action == "snooze":
        return Click(prompt, action, db=db, command=command, snooze_s=_snooze_length(earlier))
    exercise, kind, age = earlier.get("exercise"), earlier.get("kind"), _age(earlier, now)
    if (
        action == "done"
        and age is not None
        and 0 <= age <= RESPONSE_WINDOW_S
        and isinstance(exercise, str)
        and exercise
    ):
        return Click(prompt, action, kind if isinstance(kind, str) else "", exercise, db, command)
    return None


def _age(earlier: dict[str, Any], now: float) -> Optional[float]:
    """Seconds since the notification ``earlier`` was shown (None where not kept), at
    ``now`` (POSIX seconds): on the monotonic clock where this process showed it (an
    earlier session of the running monitor, ``shown_mono``), else by the wall clock, the
    only one two processes share.

    Why: a clock set while the monitor runs begins a new session, and by the wall clock
    an alert shown a minute before the clock was set forward by 2 h was 2 h old: its Done
    recorded nothing, "shown more than 90 min ago", the exercise done lost."""
    mono = earlier.get("shown_mono")
    if earlier.get("pid") == os.getpid() and _is_number(mono):
        return time.monotonic() - float(mono)
    shown = earlier.get("shown")
    return now - float(shown) if _is_number(shown) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _snooze_length(earlier: dict[str, Any]) -> Optional[float]:
    """The Snooze length the notification ``earlier`` was shown with (its label's), or None
    where it was not kept (a record of an older version) or is damaged: the coach then
    snoozes for its ``snooze_button_s``, as it did for every earlier notification.

    Why: a Snooze on a prompt an earlier session showed (the clock set, a plan's midnight,
    a restart, each loading config.toml again) snoozed for the ``snooze_button_s`` in
    force when it was pressed: a button labelled "Snooze 15 min" silenced the coach for
    45 min after an edit, though its label is what the user chose."""
    from .control import MAX_SNOOZE_S  # a day, the limit of `snooze` and the setting's

    length = earlier.get("snooze_s")
    if isinstance(length, bool) or not isinstance(length, (int, float)):
        return None
    return float(length) if 1.0 <= length <= MAX_SNOOZE_S else None


def _still_open(shown: dict[int, dict[str, Any]]) -> dict[int, tuple[float, tuple[str, str]]]:
    """The live prompts an earlier session of this process showed that are still open
    (neither answered nor closed), check-ins excepted: id -> (when shown, (the bus's id,
    the server's name)), for the session now running to close them once their answer no
    longer counts (:meth:`DesktopNotifierBackend._close_expired`).

    Why: a new session of the running monitor (the clock set, a plan's midnight) gets a
    new notifier, which closed only the prompts it showed itself: an ignored break
    prompt of the session before stayed on screen until the monitor stopped. Its age is
    read on the monotonic clock (``shown_mono``, this process's): the clock set, which
    begins a new session, moved the wall clock's, and an alert shown a moment before the
    clock was set forward by 2 h was closed at once, its answer still counting."""
    pid = os.getpid()
    out: dict[int, tuple[float, tuple[str, str]]] = {}
    for nid, r in shown.items():
        at, bus, server = r.get("shown_mono"), r.get("bus"), r.get("server")
        if (
            r.get("pid") == pid
            and r.get("live") is True
            and r.get("kind") != "checkin"
            and not r.get("closed")
            and not r.get("answered")
            and isinstance(at, (int, float))
            and isinstance(bus, str)
            and isinstance(server, str)
        ):
            out[nid] = (float(at), (bus, server))
    return out


def _shown_by_another_running(earlier: dict[str, Any]) -> bool:
    """Whether the notification ``earlier`` was shown by another process still running (a
    replay beside the monitor, or the monitor beside a replay): that process takes its
    buttons itself. Taken here too, a Done on the monitor's prompt was recorded a second
    time, in the replay's ``--db`` database."""
    pid = earlier.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # there, another user's (PermissionError)
        return True
    return True


async def _server_of(backend: Any) -> tuple[Optional[str], Optional[str]]:
    """(the bus's id, the notification server's unique name on it) where ``backend``
    (desktop-notifier's D-Bus backend) is connected: which server showed a notification,
    so that :func:`close_prompts` closes it there and nowhere else (a server started again
    gives its ids out anew, to other programs' notifications too); (None, None) unknown."""
    bus = getattr(backend, "bus", None)
    if bus is None or not getattr(bus, "connected", False):
        return None, None
    found: list[Optional[str]] = []
    for member, body in (("GetId", []), ("GetNameOwner", [_NOTIFICATIONS])):
        try:
            answer = await _ask_bus(bus, member, body)
        except Exception:  # a bus gone: the notification is then unknown, left alone
            return None, None
        found.append(None if answer is None else str(answer))
    return found[0], found[1]


async def _ask_bus(bus: Any, member: str, body: list[str]) -> Any:
    """The answer of the bus itself (org.freedesktop.DBus) to ``member``, or None for an
    error reply; an exception where the bus has gone."""
    from dbus_fast import Message as BusMessage
    from dbus_fast import MessageType

    reply = await bus.call(
        BusMessage(
            destination="org.freedesktop.DBus",
            path="/org/freedesktop/DBus",
            interface="org.freedesktop.DBus",
            member=member,
            signature="s" if body else "",
            body=body,
        )
    )
    ok = reply is not None and reply.message_type == MessageType.METHOD_RETURN
    return reply.body[0] if ok and reply.body else None


def _remember_shown(
    nid: int, message: Message, server: tuple[Optional[str], Optional[str]] = (None, None)
) -> None:
    record = {
        "nid": nid,
        "prompt": message.prompt_id,
        "title": message.title,
        # what a Done or Snooze pressed after this run needs (see _earlier_click)
        "kind": message.kind,
        "exercise": message.exercise,
        "day": message.day.isoformat() if message.day is not None else None,
        "live": message.live,
        "shown": time.time(),
        # when, on the monotonic clock, for this process's later sessions (_still_open)
        "shown_mono": time.monotonic(),
        "commands": {a: c for a, _ in message.buttons if (c := button_command(message, a))},
        # the length its Snooze button's label said, which a press after this session
        # snoozes for (see _snooze_length)
        "snooze_s": message.snooze_s if any(a == "snooze" for a, _ in message.buttons) else None,
        # where its answers go (a press is taken only for that database), who showed it
        # (not taken beside that process still running) and on which server:
        # close_prompts closes it when that process stops, or at the next start after it
        # was killed
        "db": database_of(message.db, message.live),
        "pid": os.getpid(),
        "bus": server[0],
        "server": server[1],
    }

    def add(shown: dict[int, dict[str, Any]]) -> Optional[list[dict[str, Any]]]:
        shown.pop(nid, None)  # the server gives an id again after it restarts
        return [*shown.values(), record][-SHOWN_KEPT:]

    _update_shown(add)


def _note_shown(nid: int, **changes: Any) -> None:
    """Mark the notification ``nid`` in notifications.json (answered, closed)."""

    def mark(shown: dict[int, dict[str, Any]]) -> Optional[list[dict[str, Any]]]:
        if nid not in shown or all(shown[nid].get(k) == v for k, v in changes.items()):
            return None
        shown[nid].update(changes)
        return list(shown.values())

    _update_shown(mark)


#: The lock file beside notifications.json that its writers hold (see :func:`_update_shown`).
SHOWN_LOCK_NAME = "notifications.lock"


def _update_shown(
    change: Callable[[dict[int, dict[str, Any]]], Optional[list[dict[str, Any]]]],
) -> None:
    """Read notifications.json, ``change`` it (the records to write, or None to leave it)
    and write it, holding the OS lock on ``notifications.lock`` beside it (``flock``, gone
    with its process), as the control file's writers hold ``control.lock``.

    Why: the monitor marks its prompts answered and closed while a ``replay --notify``
    beside it records the prompts it shows, each writing the whole file; two writes at
    once kept only one of them (in two processes marking 200 prompts each at once, 133
    marks were lost). A lock that cannot be taken (a folder not writable, Windows' lack
    of ``flock``) leaves the write unlocked, as before: the coaching goes on."""
    from . import paths

    lock = _shown_file().with_name(SHOWN_LOCK_NAME)
    try:
        lock.parent.mkdir(mode=paths.PRIVATE_DIR, parents=True, exist_ok=True)
        fh: Optional[IO[bytes]] = open(lock, "ab", opener=paths.private_opener)
    except OSError as exc:
        log.debug("cannot lock the notifications shown: %s", exc)
        fh = None
    try:
        if fh is not None:
            try:
                import fcntl
            except ImportError:  # Windows: no flock; the writes stay atomic
                pass
            else:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        records = change(read_shown())
        if records is not None:
            _write_shown(records)
    finally:
        if fh is not None:
            fh.close()  # the lock goes with it


def _write_shown(records: list[dict[str, Any]]) -> None:
    from . import paths

    try:
        paths.write_atomic(_shown_file(), json.dumps(records).encode(), durable=False)
    except OSError as exc:  # a full disk must not stop the coaching
        log.debug("cannot note the notification shown: %s", exc)


def close_prompts(own: bool, timeout_s: float = 1.0) -> list[dict[str, Any]]:
    """Close the live monitor's notifications with buttons still shown: this process's
    (``own``, as the monitor stops) or those of a monitor that ended without closing them
    (a ``kill -9``, a crash; at the next start, which holds the one-monitor lock, so no
    other monitor runs). The records closed, each marked so in notifications.json.

    Why: a prompt with buttons never expires (:data:`NEVER_EXPIRES`), and left on screen
    once its monitor had stopped, its Snooze snoozed whichever monitor ran when it was
    pressed, hours later, and its buttons did nothing while none ran. Only a notification
    of the server that showed it is closed (the bus's id and the server's unique name are
    kept with it): one whose server has gone went with it, and is only marked. One an
    older version showed, which kept neither, nor its process, is closed at a start when
    the server running now was running already when it was shown, so it is the one that
    showed it (:func:`_older_version_s`); otherwise it is left as it is."""
    shown = read_shown()
    pid = os.getpid()
    todo = [
        r
        for r in shown.values()
        if (
            r.get("live") is True
            and not r.get("closed")
            and isinstance(r.get("pid"), int)
            and (r["pid"] == pid) == own
        )
        or (not own and _older_version_s(r) is not None)
    ]
    if not todo:
        return []
    use_user_bus()
    try:
        closed = asyncio.run(asyncio.wait_for(_close(todo), timeout_s))
    except Exception as exc:  # no bus (a logout), a server too slow: they stay as they are
        log.info("could not close the prompts left on screen: %s", _reason(exc) or "timed out")
        return []
    if closed:
        for r in closed:
            r["closed"] = True
        done = {(r["nid"], r.get("shown")) for r in closed}

        def mark(now: dict[int, dict[str, Any]]) -> Optional[list[dict[str, Any]]]:
            # read again under the lock: another process may have written it meanwhile
            for r in now.values():
                if (r.get("nid"), r.get("shown")) in done:
                    r["closed"] = True
            return list(now.values())

        _update_shown(mark)
    return closed


def _older_version_s(record: dict[str, Any]) -> Optional[float]:
    """When a prompt an older version showed was shown (``time.time()``), for a record of
    notifications.json that version wrote and left open, or None for any other.

    Why: the versions that asked the server to keep a prompt with buttons until answered
    (from b1c75bf) and did not yet close it as their monitor stopped kept no process, bus
    nor server with it (before cdee195): after the upgrade such a prompt, an ignored break
    prompt or alert, stayed on screen, its Snooze acting on the new monitor, as the new
    version closed only the prompts it knew the server of. A replay's (``live`` false)
    is left out; a record older than ``live`` is taken as the monitor's."""
    shown = record.get("shown")
    if (
        "pid" in record
        or record.get("live") is False
        or record.get("closed")
        or record.get("answered")
        or isinstance(shown, bool)
        or not isinstance(shown, (int, float))
        or not isinstance(record.get("nid"), int)
    ):
        return None
    return float(shown)


def _process_started(pid: int) -> Optional[float]:
    """When the process ``pid`` started (``time.time()``), from Linux's /proc; None where
    that cannot be read (another system, a process gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


async def _server_started(bus: Any, name: str) -> Optional[float]:
    """When the notification server owning ``name`` on ``bus`` started, or None unknown."""
    try:
        pid = await _ask_bus(bus, "GetConnectionUnixProcessID", [name])
    except Exception:  # a bus gone: unknown, and the prompt is left as it is
        return None
    return None if pid is None else _process_started(int(pid))


async def _close(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Close ``records``' notifications on the session bus; those closed or gone."""
    from types import SimpleNamespace

    from dbus_fast import BusType
    from dbus_fast import Message as BusMessage
    from dbus_fast.aio import MessageBus

    bus = await MessageBus(bus_type=BusType.SESSION).connect()
    try:
        here = await _server_of(SimpleNamespace(bus=bus))  # as desktop-notifier's backend
        since: Optional[float] = None
        if here[1] is not None and any(_older_version_s(r) is not None for r in records):
            since = await _server_started(bus, here[1])
        gone = []
        for r in records:
            older = _older_version_s(r)
            if older is not None and since is not None and since + 2 <= older and here[1]:
                # an older version's, shown by the server running now (running since before
                # it was shown, it gave that id to it and to no other; 2 s for the whole
                # seconds the boot time is given in)
                r = {**r, "bus": here[0], "server": here[1]}
            if r.get("bus") is None or r.get("server") is None:
                continue  # its server unknown: not closed, lest it be another's
            if (r["bus"], r["server"]) != here:
                gone.append(r)  # that server has gone, and its notifications with it
                continue
            # an error reply says it is no longer shown (answered, or closed by the user)
            await bus.call(
                BusMessage(
                    destination=r["server"],
                    path=_NOTIFICATIONS_PATH,
                    interface=_NOTIFICATIONS,
                    member="CloseNotification",
                    signature="u",
                    body=[r["nid"]],
                )
            )
            gone.append(r)
        return gone
    finally:
        bus.disconnect()


def _log_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # When the bus dies, dbus-fast leaves the failed write's future unread, and asyncio's
    # default handler would print its traceback on the monitor's stderr. The failed send
    # is already reported (and printed instead); the detail goes to the log file.
    log.debug("notification loop: %s", context.get("message"), exc_info=context.get("exception"))


def _log_late(message: Message, dispatched: threading.Event) -> None:
    """A send that timed out has finished: say if the prompt was shown after all (it was
    reported lost and printed), so the log explains a notification that came late."""
    if dispatched.is_set():
        log.info(
            "the notification for prompt %d (%r) was shown late; its buttons work",
            message.prompt_id,
            message.title,
        )


def _presser(clicks: queue.SimpleQueue[Click], click: Click):  # type: ignore[no-untyped-def]
    def pressed() -> None:
        clicks.put(click)

    return pressed


# --------------------------------------------------------------------------- fallback
def _utf8_text(message: Message) -> Message:
    """``message`` with a file it names in UTF-8, as D-Bus takes only UTF-8 text.

    Why: under ``LC_ALL=C`` with ``PYTHONUTF8=0`` a file in a home beyond ASCII ("Jürgen
    Müller") is held as lone surrogates; the notice naming it (a config.toml that cannot
    be used) failed to send, was printed instead, and the desktop's notifications were
    said to be "not reachable (UnicodeEncodeError ...)" though they were."""
    title, body = (
        text.encode("utf-8", UTF8_NAMES).decode("utf-8") for text in (message.title, message.body)
    )
    if (title, body) == (message.title, message.body):
        return message
    return replace(message, title=title, body=body)


class FallbackNotifier:
    """Shows through ``primary``; what it cannot show is printed (with the commands that
    answer it, see :func:`without_buttons`), and said so once for each time the desktop's
    notifications went away, and again when they are back: a notification server that
    restarts under a running monitor (a desktop restart, dunst killed and started again)
    is noticed both ways, on stderr and in the log file, which is all a monitor started
    at login has."""

    def __init__(
        self,
        primary: Notifier,
        fallback: Optional[Notifier] = None,
        notice_stream: Optional[IO[str]] = None,
    ):
        self.primary = primary
        self.fallback = fallback or PrintingNotifier()
        self.notice_stream = notice_stream
        self.name = primary.name
        self.announced = False

    def send(self, message: Message) -> Delivery:
        delivery = self.primary.send(_utf8_text(message))
        if delivery.shown:
            if self.announced:  # they were not reachable: say that prompts are back there
                self.announced = False
                self._notice("desktop notifications are shown again; prompts go there again.")
            return delivery
        if not self.announced:
            self.announced = True
            self._notice(
                f"desktop notifications are not reachable ({delivery.backend}: "
                f"{delivery.reason}); printing prompts here instead."
            )
        # Printed, the prompt has no buttons either: it says what to type instead, or a
        # "No headache" could not be answered and the day would stay unknown.
        backup = self.fallback.send(without_buttons(message))
        return replace(delivery, fallback=self.fallback.name if backup.shown else "")

    def _notice(self, text: str) -> None:
        """Say ``text`` on the notice stream (stderr), and in the log file only: marked
        :data:`logs.FILE_ONLY`, so a terminal does not get it twice (at INFO alone, the
        console of ``run -v``, which shows info, printed it again)."""
        stream = self.notice_stream if self.notice_stream is not None else sys.stderr
        if stream is not None:  # a monitor started with stderr closed
            print(f"posture-guard: {text}", file=stream)
        log.info("%s", text, extra=logs.FILE_ONLY)

    def poll_clicks(self) -> list[Click]:
        return self.primary.poll_clicks() + self.fallback.poll_clicks()

    def close(self) -> None:
        self.primary.close()
        self.fallback.close()


def make_notifier(choice: str = "auto") -> Notifier:
    """The backend for ``--notifier``: auto prefers desktop-notifier (buttons), else plyer."""
    if choice not in CHOICES:
        raise UserError(f"unknown notifier {choice!r} (choose from {', '.join(CHOICES)})")
    if choice == "print":
        return PrintingNotifier()
    if choice == "plyer":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return PlyerNotifier()
    if choice == "desktop-notifier" or importlib.util.find_spec("desktop_notifier") is not None:
        return DesktopNotifierBackend()
    return PlyerNotifier()


def with_fallback(primary: Notifier) -> Notifier:
    if isinstance(primary, PrintingNotifier):
        return primary
    return FallbackNotifier(primary)
