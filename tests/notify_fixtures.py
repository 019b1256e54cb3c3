"""Fixtures for the coach/notification tests: a real private session bus and server.

Used with ``pytest_plugins = ["tests.notify_fixtures"]`` at the top of a test module.
The bus lives for the whole test session: dbus-python keeps one shared connection per
process, so every test must see the same bus address. The server is per test, so a test
can also run with a bus but no notification service.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dbus_server import NotificationServer, PrivateBus, dbus_daemon_missing


@pytest.fixture(scope="session")
def private_bus() -> Iterator[PrivateBus]:
    reason = dbus_daemon_missing()
    if reason:
        pytest.skip(reason)
    bus = PrivateBus()
    try:
        yield bus
    finally:
        bus.close()


@pytest.fixture
def bus_without_server(private_bus: PrivateBus, monkeypatch: pytest.MonkeyPatch) -> PrivateBus:
    """A session bus on which nobody owns org.freedesktop.Notifications."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_bus.address)
    return private_bus


@pytest.fixture
def notification_server(
    private_bus: PrivateBus, monkeypatch: pytest.MonkeyPatch
) -> Iterator[NotificationServer]:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_bus.address)
    server = NotificationServer(private_bus.address).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server_without_actions(
    private_bus: PrivateBus, monkeypatch: pytest.MonkeyPatch
) -> Iterator[NotificationServer]:
    """A notification server that shows no buttons (it lacks the "actions" capability)."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_bus.address)
    server = NotificationServer(private_bus.address, capabilities=("body",)).start()
    try:
        yield server
    finally:
        server.stop()
