"""A console notifier whose buttons a test presses: the coach and service tests share it;
and notifications.json's prompts moved back in time, as the notify tests need.

A plain module, not a pytest plugin (notify_fixtures is one, and a plugin imported by a
test module first cannot have its asserts rewritten)."""

from __future__ import annotations

import io
import json

from posture_guard import paths
from posture_guard.notify import SHOWN_NAME, Click, Delivery, Message, PrintingNotifier


def shown_earlier(wall_s: float, monotonic_s: float) -> None:
    """Move the prompts notifications.json keeps back: ``wall_s`` on the wall clock
    (``shown``), ``monotonic_s`` on the monotonic one (``shown_mono``). Only the wall
    clock's is a clock set forward since they were shown; both, prompts shown that long
    ago."""
    shown = paths.state_dir() / SHOWN_NAME
    records = json.loads(shown.read_text(encoding="utf-8"))
    for r in records:
        r["shown"] -= wall_s
        r["shown_mono"] -= monotonic_s
    shown.write_text(json.dumps(records), encoding="utf-8")


class ButtonNotifier(PrintingNotifier):
    """Prints like the console backend; the test presses buttons on what it showed."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.shown: list[Message] = []
        self.pending: list[Click] = []

    def send(self, message: Message) -> Delivery:
        self.shown.append(message)
        return super().send(message)

    def press(self, kind: str, action: str) -> None:
        (prompt,) = [m for m in self.shown if m.kind == kind]
        self.pending.append(Click(prompt.prompt_id, action))

    def poll_clicks(self) -> list[Click]:
        out, self.pending = self.pending, []
        return out
