"""A private D-Bus session bus with a screensaver and a failing notification server.

Real D-Bus, real services: ``dbus-daemon`` runs a session bus for the test only, and this
file, run as a script, serves on it

- ``org.freedesktop.ScreenSaver.GetActive``: true while the flag file exists (the test
  "locks the screen" by creating it);
- ``org.freedesktop.Notifications``: a server that answers capabilities but fails every
  ``Notify`` with ``org.freedesktop.DBus.Error.Failed`` (a notification service that
  errors).

Needs ``dbus-daemon`` (Debian package ``dbus``) and the ``dbus-fast`` wheel; the fixture
skips with the reason when either is missing.
"""

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

SCREENSAVER = "org.freedesktop.ScreenSaver"
NOTIFICATIONS = "org.freedesktop.Notifications"


def start_session_bus(tmp: Path) -> tuple[subprocess.Popen, str]:
    """A private session bus: (the daemon, its address)."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        raise FileNotFoundError("dbus-daemon (Debian package dbus) is not installed")
    sock = tmp / "bus.sock"
    proc = subprocess.Popen(
        [
            daemon,
            "--session",
            "--nofork",
            "--nopidfile",
            f"--address=unix:path={sock}",
            "--print-address=1",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    if not address:
        proc.kill()
        raise RuntimeError("dbus-daemon did not print its address")
    return proc, address


def start_fakes(address: str, flag: Path) -> subprocess.Popen:
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
    proc = subprocess.Popen(
        [sys.executable, __file__, str(flag)], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != "ready":
        proc.kill()
        raise RuntimeError(f"fake D-Bus services did not start: {line!r}")
    return proc


def stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _serve(flag: Path) -> None:
    from dbus_fast import DBusError
    from dbus_fast.aio import MessageBus
    from dbus_fast.service import ServiceInterface, method

    class ScreenSaver(ServiceInterface):
        def __init__(self) -> None:
            super().__init__(SCREENSAVER)

        @method()
        def GetActive(self) -> "b":  # noqa: F821, N802
            return flag.exists()

    class Notifications(ServiceInterface):
        def __init__(self) -> None:
            super().__init__(NOTIFICATIONS)

        @method()
        def GetCapabilities(self) -> "as":  # noqa: F821, F722, N802
            return ["body", "actions"]

        @method()
        def GetServerInformation(self) -> "ssss":  # noqa: F821, N802
            return ["failing-test-server", "tests", "1", "1.2"]

        @method()
        def Notify(  # noqa: N802
            self,
            app_name: "s",  # noqa: F821
            replaces_id: "u",  # noqa: F821
            app_icon: "s",  # noqa: F821
            summary: "s",  # noqa: F821
            body: "s",  # noqa: F821
            actions: "as",  # noqa: F821, F722
            hints: "a{sv}",  # noqa: F821, F722
            expire_timeout: "i",  # noqa: F821
        ) -> "u":  # noqa: F821
            raise DBusError("org.freedesktop.DBus.Error.Failed", "the test server always fails")

    bus = await MessageBus().connect()
    bus.export("/org/freedesktop/ScreenSaver", ScreenSaver())
    bus.export("/org/freedesktop/Notifications", Notifications())
    await bus.request_name(SCREENSAVER)
    await bus.request_name(NOTIFICATIONS)
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(_serve(Path(sys.argv[1])))
    except KeyboardInterrupt:
        pass
    time.sleep(0)
