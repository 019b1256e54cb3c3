"""Optional tray icon (`posture-guard tray`, extra ``posture-guard[tray]`` = pystray).

The icon's colour is the posture state the running monitor reports (green good, amber a
fault, grey absent or camera released, red no monitor); its menu pauses, resumes and
snoozes through the same control file as the commands, and opens today's report.

Nothing else depends on this module, and it imports pystray only inside :func:`run_tray`,
so posture_guard installs and runs without it; asking for the tray without pystray is a
UserError naming the extra. The menu and colours are pure functions (tested without a
display); the icon image is drawn in memory and never written anywhere.
"""

from __future__ import annotations

import argparse
import importlib.util
from dataclasses import dataclass
from datetime import date
from typing import Callable, Optional

from . import control
from .errors import UserError

Colour = tuple[int, int, int]
GREEN: Colour = (46, 160, 67)
AMBER: Colour = (230, 150, 20)
GREY: Colour = (140, 140, 140)
RED: Colour = (200, 40, 40)
SNOOZE_S = 30 * 60.0


def available() -> bool:
    return importlib.util.find_spec("pystray") is not None


def state_colour(running: bool, camera: Optional[str], state: Optional[str]) -> Colour:
    """The icon colour for what `status` knows: the one glance the tray is for."""
    if not running:
        return RED
    if camera != "in use" or state in (None, "absent"):
        return GREY
    return GREEN if state == "good" else AMBER


@dataclass(frozen=True)
class MenuItem:
    label: str
    action: str  # "pause", "resume", "snooze", "report", "quit"


def menu_items(paused: bool, snoozed: bool) -> list[MenuItem]:
    """The tray menu: resume while paused or snoozed, otherwise pause and snooze."""
    items: list[MenuItem] = []
    if paused or snoozed:
        items.append(MenuItem("Resume coaching", "resume"))
    if not paused:
        items.append(MenuItem("Pause", "pause"))
    if not snoozed and not paused:
        items.append(MenuItem("Snooze 30 min", "snooze"))
    items.append(MenuItem("Open today's report", "report"))
    items.append(MenuItem("Quit tray", "quit"))
    return items


def menu_state(status: control.Status) -> tuple[bool, bool]:
    """(paused, snoozed) for :func:`menu_items`, as `status` says them: a notification's
    Snooze button, which the running monitor reports in its heartbeat, is a snooze too.
    Why: the menu looked at the control file alone, so while `status` said "snoozed from a
    notification" it offered "Snooze 30 min" and no "Resume coaching"."""
    paused = status.control.paused
    return paused, not paused and not status.asks_nothing()


def snapshot() -> tuple[Colour, bool, bool]:
    """The icon's colour and the menu's (paused, snoozed), read as `status` reads them
    (whether a monitor runs is asked of its lock)."""
    from . import service

    status, pid = control.status_by_lock()
    svc = service.read_service_status()
    colour = state_colour(pid is not None, svc.camera if svc else None, svc.state if svc else None)
    return (colour, *menu_state(status))


def perform(action: str, today: Optional[date] = None) -> Optional[str]:
    """Do a menu action; for "report", the written page as a file URL (None if it failed).

    A URL built by hand from the path ("file://" + path) cuts it at a '#' and misreads a
    '%'; and a report that failed must not open an older page of the same day as today's.
    """
    if action == "pause":
        control.pause()
    elif action == "resume":
        control.resume()
    elif action == "snooze":
        control.snooze(SNOOZE_S)
    elif action == "report":
        from . import cli, paths

        day = (today or date.today()).isoformat()
        out = paths.cache_dir() / f"report-{day}.html"
        if cli.main(["report", "--from", day, "--to", day, "--html", str(out), "--force"]) != 0:
            return None  # cli.main has said why on stderr
        return out.absolute().as_uri()
    return None


def run_tray(poll_s: float = 5.0) -> int:  # pragma: no cover - needs a display and pystray
    if not available():
        raise UserError(
            "the tray icon needs pystray: pip install 'posture-guard[tray]' "
            "(posture-guard runs fine without it)"
        )
    import threading
    import time
    import webbrowser

    import pystray
    from PIL import Image, ImageDraw

    def image(colour: Colour) -> Image.Image:
        img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
        ImageDraw.Draw(img).ellipse((6, 6, 58, 58), fill=colour + (255,))
        return img

    def build_menu(paused: bool, snoozed: bool) -> pystray.Menu:
        def handler(action: str) -> Callable[..., None]:
            def run(icon: pystray.Icon, _item: object) -> None:
                if action == "quit":
                    icon.stop()
                    return
                url = perform(action)
                if url:
                    webbrowser.open(url)

            return run

        return pystray.Menu(
            *(pystray.MenuItem(i.label, handler(i.action)) for i in menu_items(paused, snoozed))
        )

    colour, paused, snoozed = snapshot()
    icon = pystray.Icon(
        "posture-guard", image(colour), "posture-guard", build_menu(paused, snoozed)
    )

    def refresh() -> None:
        while True:  # a daemon thread: it ends with the icon's process
            time.sleep(poll_s)
            c, p, s = snapshot()
            icon.icon = image(c)
            icon.menu = build_menu(p, s)
            icon.update_menu()

    threading.Thread(target=refresh, daemon=True).start()
    icon.run()
    return 0


def cmd_tray(args: argparse.Namespace) -> int:
    return run_tray()
