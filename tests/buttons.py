"""A console notifier whose buttons a test presses: the coach and service tests share it.

A plain module, not a pytest plugin (notify_fixtures is one, and a plugin imported by a
test module first cannot have its asserts rewritten)."""

from __future__ import annotations

import io

from posture_guard.notify import Click, Delivery, Message, PrintingNotifier


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
