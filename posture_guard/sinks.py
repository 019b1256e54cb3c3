"""What consumes decisions: the small interface every output of the monitor implements.

The monitor loop (run, replay, demo) turns samples into :class:`Decision` records and
hands each one to every sink in order. A sink performs effects: writing the states file,
logging spans to the database, coaching. Sinks run on *stream time* (``decision.t`` plus
the session's start), never on the wall clock, so a replayed stream behaves exactly as the
live session would have.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import IO, Optional, Protocol

from .states import Decision


class Sink(Protocol):
    def on_decision(self, decision: Decision) -> None:
        """Called for every analysed sample, in time order."""

    def close(self, t_end: float) -> None:
        """Called once at the end of the session with the last stream time."""


class StatesWriter:
    """Writes posture states in the contract format: one line per state change.

    With ``every_sample`` it writes a line for every decision instead. Each line carries
    the metrics behind the decision (rounded) as extra keys, which the format welcomes.
    """

    def __init__(self, handle: IO[str], every_sample: bool = False):
        self._handle = handle
        self._every = every_sample
        self.lines = 0

    def on_decision(self, decision: Decision) -> None:
        if not (decision.changed or self._every):
            return
        obj: dict[str, object] = {"t": round(decision.t, 3), "state": decision.state.value}
        obj.update({k: round(v, 4) for k, v in decision.metrics.items()})
        self._handle.write(json.dumps(obj) + "\n")
        self.lines += 1

    def close(self, t_end: float) -> None:
        self._handle.flush()


@dataclass(frozen=True)
class SessionInfo:
    """What a sink needs to know about the session it serves.

    ``start`` is the wall-clock moment that stream time 0 corresponds to (now for a live
    run, ``--start`` or now for a replay), naive local time as ``datetime.now()`` gives it
    (or aware; a live run's is aware, since its loop reads the time zone again while it
    runs and a naive start would be read in the new zone). A sink turns ``decision.t``
    into a moment with :meth:`epoch` or :meth:`wall`, never as
    ``start + timedelta(seconds=t)``: that naive sum is local wall-clock arithmetic, which
    is an hour off once a daylight-saving change lies between the start and ``t``.
    ``live`` is False for replay and demo. ``monitor_start`` (POSIX seconds, live runs)
    is when the monitor began: the first session's start, which a later session of the
    same run (the clock set, a plan's midnight) keeps, moved with the clock if it was
    set, so that `status` says since when the monitor runs, not since its last session.
    """

    start: datetime
    profile: str
    live: bool
    source: str = ""
    monitor_start: Optional[float] = None

    def epoch(self, t: float) -> float:
        """POSIX seconds of stream time ``t``: real elapsed seconds after the start."""
        return self.start.timestamp() + t

    def wall(self, t: float) -> datetime:
        """Stream time ``t`` as an aware local datetime (the zone's offset at that moment).

        Aware, so that its wall-clock fields (``.time()``, ``.date()``: quiet hours, the
        check-in, plan slots) are the local time at that real moment, while subtracting
        two of them, or calling ``.timestamp()``, counts real seconds across a DST change.
        Everything built from it must be aware too: comparing with a naive datetime raises.
        """
        return datetime.fromtimestamp(self.epoch(t), timezone.utc).astimezone()
