"""A private D-Bus session bus and a real notification server for the tests.

:class:`PrivateBus` runs ``dbus-daemon`` (Debian package ``dbus``) with a configuration
that has no service directories, so nothing can be auto-started on it: with our server
stopped, a Notify call gets ``ServiceUnknown`` exactly as on a desktop without a
notification daemon.

:class:`NotificationServer` owns ``org.freedesktop.Notifications`` on that bus (dbus-fast,
an asyncio loop in a thread), answers Notify like a desktop would, records each call
(app name, title, body, actions, hints, timeout) and can play the user by emitting
``ActionInvoked`` for a button. Clients talk to it through the real bus daemon.

:class:`LockServer` answers what posture_guard's screen-lock probe asks (logind's
LockedHint, the freedesktop and GNOME screensavers' GetActive) with a lock state the test
sets.

Run ``python -m tests.dbus_server`` to try it by hand: it prints the bus address and each
notification that arrives.
"""

# No ``from __future__ import annotations`` here: dbus-fast reads the D-Bus signatures
# from the annotations' values (see _Interface). Typed annotations came with dbus-fast 4,
# which needs Python 3.10; the releases that serve Python 3.9 read only these.
import asyncio
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from dbus_fast import BusType, RequestNameReply
from dbus_fast.aio import MessageBus
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_property, method, signal

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"

_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{listen}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def dbus_daemon_missing() -> Optional[str]:
    """Why the real-bus tests cannot run here, or None."""
    if shutil.which("dbus-daemon") is None:
        return "dbus-daemon not installed (Debian package: dbus)"
    return None


class PrivateBus:
    """A session bus of our own; ``address`` goes into DBUS_SESSION_BUS_ADDRESS.

    ``socket``: listen on that path (as a user's bus listens on ``$XDG_RUNTIME_DIR/bus``)
    instead of a socket of a generated name in a folder of its own."""

    def __init__(self, socket: Optional[Path] = None) -> None:
        self._dir = tempfile.mkdtemp(prefix="pg-dbus-")
        config = Path(self._dir) / "session.conf"
        listen = f"unix:path={socket}" if socket is not None else f"unix:dir={self._dir}"
        config.write_text(_CONFIG.format(listen=listen), encoding="utf-8")
        self.proc = subprocess.Popen(
            ["dbus-daemon", "--config-file", str(config), "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"dbus-daemon did not start: {err}")
        self.address = line

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        shutil.rmtree(self._dir, ignore_errors=True)


@dataclass(frozen=True)
class NotifyCall:
    """One Notify call as the server received it."""

    id: int
    app_name: str
    replaces_id: int
    app_icon: str
    summary: str
    body: str
    actions: tuple[str, ...]
    hints: dict[str, Any]
    expire_timeout: int

    @property
    def buttons(self) -> dict[str, str]:
        """Action key -> label, from the flat [key, label, key, label, ...] list."""
        return dict(zip(self.actions[0::2], self.actions[1::2]))


# D-Bus signatures: dbus-fast reads them from the methods' annotations (evaluated, as this
# module does not postpone them), the one form every release of it understands.
STR, UINT32, INT32, STRINGS, HINTS = "s", "u", "i", "as", "a{sv}"
SERVER_INFO, CLOSED, ACTION = "ssss", "uu", "us"


class _Interface(ServiceInterface):
    def __init__(self, server: "NotificationServer"):
        super().__init__(BUS_NAME)
        self._server = server

    @method()
    def Notify(  # noqa: N802 - D-Bus member names
        self,
        app_name: STR,
        replaces_id: UINT32,
        app_icon: STR,
        summary: STR,
        body: STR,
        actions: STRINGS,
        hints: HINTS,
        expire_timeout: INT32,
    ) -> UINT32:
        return self._server._record(
            app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout
        )

    @method()
    def GetCapabilities(self) -> STRINGS:  # noqa: N802
        return list(self._server.capabilities)

    @method()
    def GetServerInformation(self) -> SERVER_INFO:  # noqa: N802
        return ["pg-test-notifications", "posture_guard tests", "1.0", "1.2"]

    @method()
    def CloseNotification(self, id: UINT32):  # type: ignore[no-untyped-def]  # noqa: N802
        with self._server._cond:
            self._server.closed.append(id)
        self.NotificationClosed(id, 3)

    @signal()
    def NotificationClosed(self, id: int, reason: int) -> CLOSED:  # noqa: N802
        return [id, reason]

    @signal()
    def ActionInvoked(self, id: int, action_key: str) -> ACTION:  # noqa: N802
        return [id, action_key]


class _NameOwner:
    """A D-Bus service on ``address`` in a thread of its own: an asyncio loop that owns
    ``name`` and serves one interface at ``path`` until :meth:`_close`."""

    def __init__(self, address: str, name: str, path: str):
        self.address = address
        self.name = name
        self.path = path
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._bus: Optional[MessageBus] = None

    def _open(self, iface: ServiceInterface) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._own(iface), self._loop).result(timeout=10)

    async def _own(self, iface: ServiceInterface) -> None:
        bus = await MessageBus(bus_address=self.address, bus_type=BusType.SESSION).connect()
        bus.export(self.path, iface)
        reply = await bus.request_name(self.name)
        if reply != RequestNameReply.PRIMARY_OWNER:
            raise RuntimeError(f"could not own {self.name}: {reply}")
        self._bus = bus

    def _close(self) -> None:
        if self._bus is not None:

            async def _stop() -> None:
                assert self._bus is not None
                await self._bus.release_name(self.name)
                self._bus.disconnect()
                await self._bus.wait_for_disconnect()

            try:
                asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(timeout=10)
            except Exception:  # a dead bus is already as stopped as it gets
                pass
            self._bus = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()


class NotificationServer(_NameOwner):
    """Owns org.freedesktop.Notifications on ``address`` and records what arrives."""

    def __init__(self, address: str, capabilities: tuple[str, ...] = ("body", "actions")):
        super().__init__(address, BUS_NAME, OBJECT_PATH)
        # what GetCapabilities answers: without "actions" a server shows no buttons
        self.capabilities = capabilities
        self.calls: list[NotifyCall] = []
        # the ids a client asked to close (CloseNotification), in order
        self.closed: list[int] = []
        # cleared, the server takes Notify calls but answers none until it is set again:
        # a desktop too busy to answer in time
        self.answering = threading.Event()
        self.answering.set()
        self._cond = threading.Condition()
        self._iface = _Interface(self)
        self._next_id = 1

    def start(self) -> "NotificationServer":
        self._open(self._iface)
        return self

    def stop(self) -> None:
        self.answering.set()
        self._close()

    def _record(self, *args: Any) -> int:
        app_name, replaces_id, app_icon, summary, body, actions, hints, timeout = args
        self.answering.wait(timeout=60)
        with self._cond:
            nid = self._next_id
            self._next_id += 1
            plain_hints = {k: getattr(v, "value", v) for k, v in dict(hints).items()}
            self.calls.append(
                NotifyCall(
                    nid,
                    app_name,
                    replaces_id,
                    app_icon,
                    summary,
                    body,
                    tuple(actions),
                    plain_hints,
                    timeout,
                )
            )
            self._cond.notify_all()
        return nid

    def wait_for(self, n: int, timeout: float = 10.0) -> list[NotifyCall]:
        """Block until at least ``n`` notifications arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.calls) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {n} notifications, got {len(self.calls)}")
                self._cond.wait(left)
            return list(self.calls)

    def invoke_action(self, nid: int, action_key: str) -> None:
        """Play the user: press the button ``action_key`` on notification ``nid``."""
        assert self._iface is not None
        iface = self._iface
        self._loop.call_soon_threadsafe(iface.ActionInvoked, nid, action_key)


# --------------------------------------------------------------------------- the screen lock
#: What posture_guard.service.ScreenLockProbe asks, by who answers: (bus name, object
#: path, interface). logind answers a property (LockedHint) on the system bus, the two
#: screensavers a method (GetActive) on the session bus.
LOCK_SERVICES = {
    "login1": (
        "org.freedesktop.login1",
        "/org/freedesktop/login1/session/auto",
        "org.freedesktop.login1.Session",
    ),
    "freedesktop": (
        "org.freedesktop.ScreenSaver",
        "/org/freedesktop/ScreenSaver",
        "org.freedesktop.ScreenSaver",
    ),
    "gnome": ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
}
BOOL = "b"


class _LockedHint(ServiceInterface):
    def __init__(self, server: "LockServer", interface: str):
        super().__init__(interface)
        self._server = server

    @dbus_property(access=PropertyAccess.READ)
    def LockedHint(self) -> BOOL:  # noqa: N802
        return self._server.locked


class _GetActive(ServiceInterface):
    def __init__(self, server: "LockServer", interface: str):
        super().__init__(interface)
        self._server = server

    @method()
    def GetActive(self) -> BOOL:  # noqa: N802
        return self._server.locked


class LockServer(_NameOwner):
    """Owns one of :data:`LOCK_SERVICES` on ``address`` and answers ``locked`` (which the
    test may change at any time); a context manager that releases the name on exit."""

    def __init__(self, address: str, which: str, locked: bool = False):
        name, path, interface = LOCK_SERVICES[which]
        super().__init__(address, name, path)
        kind = _LockedHint if which == "login1" else _GetActive
        self._iface = kind(self, interface)
        self.locked = locked

    def __enter__(self) -> "LockServer":
        self._open(self._iface)
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()


def main() -> None:  # pragma: no cover - manual tool
    bus = PrivateBus()
    server = NotificationServer(bus.address).start()
    print(f"DBUS_SESSION_BUS_ADDRESS={bus.address}", flush=True)
    seen = 0
    try:
        while True:
            calls = server.wait_for(seen + 1, timeout=3600)
            for call in calls[seen:]:
                print(f"#{call.id} {call.summary!r}: {call.body!r} actions={call.buttons}")
            seen = len(calls)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        bus.close()


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
