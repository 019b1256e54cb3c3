"""Control channel between the `posture-guard` commands and the running monitor.

``snooze``, ``pause`` and ``resume`` write a small JSON file, ``control.json`` under
:func:`paths.state_dir`, and so does ``done`` when it answers a break prompt (the monitor
then starts the sitting clock again, as for the prompt's Done button); the running monitor
polls it (one ``stat`` per decision, a read
only when its modification time changes). The monitor in turn writes ``monitor.json``,
a heartbeat with its pid and the coach's effective state, which ``status`` reads.

Why a file and not the database or a local socket:

- It works whether or not a monitor is running: ``snooze 30m`` before the monitor starts
  still applies when it starts, and nothing has to listen or accept connections.
- Writes are atomic (write a temporary file in the same folder, then ``os.replace``), so a
  reader sees the old or the new content, never half a file; no socket file to clean up.
  The commands' read-modify-write (``done`` sets one field, ``resume`` clears others) is
  done under an OS lock on ``control.lock`` beside it (``flock``, gone with its process
  however it dies; none on Windows), so that two commands a moment apart do not undo
  each other; the monitor only reads, and takes no lock.
- It is the same on Linux, macOS and Windows, needs no port and no permissions beyond the
  user's own folder, and a person can read it to see what the app thinks.
- The cost is latency: the monitor sees a change at its next decision (about a second).

The file stores instants as Unix seconds (and ISO text for people), so it means the same
to a monitor whose clock is naive local time and to one that uses aware datetimes.

Also here: :func:`parse_duration` (``30m``, ``1h30m``) and :class:`Backoff`, the pure
retry schedule the live monitor uses when another program holds the camera (it pauses
quietly, logs why, and retries later and later; no prompts while it waits).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from . import paths
from .errors import UserError

CONTROL_NAME = "control.json"
CONTROL_LOCK_NAME = "control.lock"
HEARTBEAT_NAME = "monitor.json"
# A heartbeat older than this means the monitor is gone (it writes one every ~10 s).
HEARTBEAT_STALE_S = 60.0
# A snooze longer than this is almost certainly a typo; `pause` is the tool for that.
MAX_SNOOZE_S = 24 * 3600.0

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s)")
# On the command line the units may be words too, as the program itself prints them
# ("snoozed for 30 min", "2 h 5 min") and as people type them ("2 hours", "90 sec"):
# "snooze 30 min" was refused while the snooze just before it said "snoozed for 30 min".
# config.toml keeps the letters alone, its documented format.
_DURATION_WORDS_RE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(hours|hour|hrs|hr|h|minutes|minute|mins|min|m|seconds|second|secs|sec|s)"
)


# --------------------------------------------------------------------------- durations
def parse_duration(text: str, what: str = "duration", words: bool = False) -> float:
    """Seconds in ``text`` such as ``30m``, ``1h``, ``90s``, ``1h30m``; with ``words``
    (a duration typed on the command line) also ``30 min``, ``2 hours``, ``1 hr 30 mins``.

    A bare number is refused: "snooze 30" could mean seconds or minutes, and guessing
    wrong either spams the user or silences the coach for a day.
    """
    s = text.strip().lower().replace(" ", "")
    if not s:
        raise UserError(f"{what} is empty; use e.g. 30m, 1h or 90s")
    if s.startswith("-") and _is_duration(s.lstrip("-"), words):
        # "-5m": a time to go back, which no snooze or setting means
        raise UserError(f"{what} {text!r} must be positive, e.g. {s.lstrip('-')}")
    pos = 0
    total = 0.0
    units: list[str] = []
    for m in (_DURATION_WORDS_RE if words else _DURATION_RE).finditer(s):
        if m.start() != pos:
            break
        unit = m.group(2)[0]  # hours, hr, h: h; minutes, min, m: m; seconds, sec, s: s
        total += float(m.group(1)) * {"h": 3600.0, "m": 60.0, "s": 1.0}[unit]
        units.append(unit)
        pos = m.end()
    if pos != len(s):
        raise UserError(f"{what} {text!r} is not a duration; use e.g. 30m, 1h or 90s")
    twice = [u for u in dict.fromkeys(units) if units.count(u) > 1]
    if twice:
        # "5m5m" is a slip (a pasted or doubled word), not 10 min
        raise UserError(
            f"{what} {text!r} gives {twice[0]} more than once; use each unit once, e.g. 1h30m"
        )
    if total <= 0:
        raise UserError(f"{what} {text!r} must be longer than zero")
    if not math.isfinite(total):  # digits enough to overflow a float: no format copes
        raise UserError(f"{what} {text[:20]!r}... is too long; use e.g. 30m, 1h or 90s")
    return total


def _is_duration(text: str, words: bool = False) -> bool:
    try:
        parse_duration(text, words=words)
    except UserError:
        return False
    return True


def format_duration(seconds: float, exact: bool = False) -> str:
    """Whole seconds as "2 h 5 min", "14 min" or "40 s": a countdown or an age is read at
    a glance, so the seconds of a longer span are left out. ``exact`` keeps every unit, for
    repeating what the user asked for (a snooze of 90 s is not "1 min")."""
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    units = [f"{n} {unit}" for n, unit in ((h, "h"), (m, "min"), (s, "s")) if n]
    if exact:
        return " ".join(units) or "0 s"
    if h:
        return f"{h} h {m} min" if m else f"{h} h"
    if m:
        return f"{m} min"
    return f"{s} s"


def duration_arg(seconds: float) -> str:
    """``seconds`` as :func:`parse_duration` reads it back ("15m", "1h30m", "90s"), to the
    whole second and at least one: for a command printed for the user to type."""
    total = max(1, int(round(seconds)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{n}{unit}" for n, unit in ((h, "h"), (m, "m"), (s, "s")) if n)


# --------------------------------------------------------------------------- control state
@dataclass(frozen=True)
class ControlState:
    """What the user asked of the coach. Instants are Unix seconds (None = not set)."""

    paused: bool = False
    paused_at: Optional[float] = None
    snooze_until: Optional[float] = None
    updated: Optional[float] = None
    # when `posture-guard done` last answered a break prompt: the user took the break
    break_done: Optional[float] = None

    def snoozed(self, now_epoch: float) -> bool:
        return self.snooze_until is not None and now_epoch < self.snooze_until

    def to_json(self) -> dict[str, Any]:
        return {
            "paused": self.paused,
            "paused_at": self.paused_at,
            "snooze_until": self.snooze_until,
            "snooze_until_text": _iso(self.snooze_until),
            "updated": self.updated,
            "updated_text": _iso(self.updated),
            "break_done": self.break_done,
        }

    @classmethod
    def from_json(cls, obj: Any, where: str) -> ControlState:
        if not isinstance(obj, dict):
            raise UserError(f"{where}: expected a JSON object")
        paused = obj.get("paused", False)
        if not isinstance(paused, bool):
            raise UserError(f"{where}: 'paused' must be true or false")
        return cls(
            paused=paused,
            paused_at=_opt_number(obj, "paused_at", where),
            snooze_until=_opt_number(obj, "snooze_until", where),
            updated=_opt_number(obj, "updated", where),
            break_done=_opt_number(obj, "break_done", where),
        )


def control_file() -> Path:
    return paths.state_dir() / CONTROL_NAME


def heartbeat_file() -> Path:
    return paths.state_dir() / HEARTBEAT_NAME


def read_control(path: Optional[Path] = None) -> ControlState:
    """The current control state; a missing file means "nothing asked"."""
    path = path or control_file()
    obj = _read_json(path, "control file")
    return ControlState() if obj is None else ControlState.from_json(obj, f"control file {path}")


def write_control(state: ControlState, path: Optional[Path] = None) -> None:
    """Write the control file; what the system refuses is a UserError that says what to
    check (the temporary file's name in the OS error would only confuse)."""
    path = path or control_file()
    try:
        write_json_atomic(path, state.to_json())
    except OSError as exc:
        raise paths.write_refusal("cannot write the control file", path, exc) from exc


def update_control(
    change: Callable[[ControlState], ControlState], keep_damaged: bool = False
) -> ControlState:
    """Read the control file, apply ``change`` and write the result, holding the control
    lock throughout: a `done` a moment after a `resume` (or the other way round) each sees
    what the other wrote. Without the lock, `done` read the file, `resume` wrote its own,
    and `done` wrote the pause `resume` had lifted back over it.

    A damaged file reads as "nothing asked" (it is re-written whole by every command, so
    it holds nothing worth keeping), unless ``keep_damaged``: then it is a UserError and
    stays as it is."""
    path = control_file()
    with _control_lock(path):
        try:
            current = read_control(path)
        except UserError:
            if keep_damaged:
                raise
            current = ControlState()
        state = change(current)
        write_control(state, path)
    return state


@contextmanager
def _control_lock(path: Path) -> Iterator[None]:
    """Hold the OS lock on ``control.lock`` beside ``path`` (waiting for another command
    that holds it: a read-modify-write of a small file, a few milliseconds). A folder the
    lock cannot be made in is the control file's own refusal, naming the folder."""
    lock = path.with_name(CONTROL_LOCK_NAME)
    try:
        lock.parent.mkdir(mode=paths.PRIVATE_DIR, parents=True, exist_ok=True)
        fh = open(lock, "ab", opener=paths.private_opener)
    except OSError as exc:
        raise paths.write_refusal("cannot write the control file", path, exc) from exc
    with fh:
        try:
            import fcntl
        except ImportError:  # Windows: no flock; the writes stay atomic
            yield
            return
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield  # the lock goes with the file's closing


def snooze(seconds: float, now_epoch: Optional[float] = None) -> ControlState:
    """Silence prompts until now + ``seconds`` (replacing any earlier snooze), and lift a
    pause: the coach comes back when the snooze ends. Why: kept, the pause outlasted the
    snooze, so `snooze 30m` said "until 10:30" and the coach stayed silent all day (and
    `resume`, the only way out, clears the snooze too)."""
    if seconds > MAX_SNOOZE_S:
        raise UserError(
            # rounded up, exact: 24 h and a fraction of a second is not "24 h"
            f"snooze of {format_duration(math.ceil(seconds), exact=True)} is longer than 24 h; "
            "use `posture-guard pause` and `posture-guard resume` instead"
        )
    now = time.time() if now_epoch is None else now_epoch
    return update_control(
        lambda c: replace(c, paused=False, paused_at=None, snooze_until=now + seconds, updated=now)
    )


def button_snooze(pressed_epoch: float, until_epoch: float) -> ControlState:
    """A notification's Snooze button, pressed at ``pressed_epoch`` during a longer
    `snooze` typed before it, ends that snooze at ``until_epoch``, the button's end: the
    latest snooze asked wins, as a typed one replaces a button's. Why in this file: the
    camera's release, `status` and the tray read the typed snooze here, so the button
    kept them all (and the coach) silent for the rest of the typed hours.

    Left as it is: a pause (it outlasts any snooze), a snooze no longer than the
    button's, one asked after the press, or a damaged file (nothing here to shorten).
    ``updated`` is kept: it marks what pause, snooze and resume asked, and a newer one
    after the press reads as a `resume` or a new `snooze`."""

    def shortened(c: ControlState) -> ControlState:
        if c.paused or c.snooze_until is None or c.snooze_until <= until_epoch:
            return c
        if c.updated is not None and c.updated > pressed_epoch:
            return c
        return replace(c, snooze_until=until_epoch)

    return update_control(shortened, keep_damaged=True)


def pause(now_epoch: Optional[float] = None) -> ControlState:
    now = time.time() if now_epoch is None else now_epoch

    def paused(c: ControlState) -> ControlState:
        return replace(c, paused=True, paused_at=c.paused_at if c.paused else now, updated=now)

    return update_control(paused)


def resume(now_epoch: Optional[float] = None) -> ControlState:
    """Clear both pause and snooze; also repairs a damaged control file. A `done`'s
    break (``break_done``) is kept: it is not the pause's or the snooze's, and a `resume`
    a second after a `done`, before the monitor read the file, dropped it, so the coach
    prompted the break again as if it had not been taken."""
    now = time.time() if now_epoch is None else now_epoch
    return update_control(lambda c: ControlState(updated=now, break_done=c.break_done))


def break_done(at_epoch: float) -> ControlState:
    """Tell the monitor that ``done`` answered a break prompt at ``at_epoch``.

    Pause and snooze are kept, and so is ``updated``: it marks what pause, snooze and
    resume asked, and a newer one after a Snooze button reads as a `resume`. A damaged
    file is a UserError, not replaced: rewriting it would lift a pause the user asked for.
    """
    return update_control(lambda c: replace(c, break_done=at_epoch), keep_damaged=True)


class ControlPoller:
    """The monitor's side: re-reads the control file only when it changed.

    A damaged or unreadable file never stops the monitor: the last good state is kept
    and the problem is returned once by :meth:`poll` (as ``error``) for the log.
    """

    def __init__(self, path: Optional[Path] = None):
        self.path = path or control_file()
        self.state = ControlState()
        self._stamp: Optional[tuple[int, int, int, int]] = None
        self._reported: Optional[str] = None

    def poll(self) -> tuple[ControlState, Optional[str]]:
        try:
            st = self.path.stat()
            # Every command writes the file anew and renames it over the old one (see
            # paths.write_atomic), so a rewrite is another inode even when its time and
            # size are the same: a snooze to 10:45 a second after one to 10:15 is JSON of
            # the same length, and a filesystem with coarse timestamps gave both one mtime.
            stamp: Optional[tuple[int, int, int, int]] = (
                st.st_dev,
                st.st_ino,
                st.st_mtime_ns,
                st.st_size,
            )
        except FileNotFoundError:
            stamp = None
        except OSError as exc:
            return self.state, self._report(f"cannot read {self.path}: {exc}")
        if stamp == self._stamp:
            return self.state, None
        self._stamp = stamp
        if stamp is None:
            self.state = ControlState()
            return self.state, None
        try:
            self.state = read_control(self.path)
        except UserError as exc:
            return self.state, self._report(str(exc))
        self._reported = None
        return self.state, None

    def _report(self, message: str) -> Optional[str]:
        if message == self._reported:
            return None
        self._reported = message
        return message


# --------------------------------------------------------------------------- heartbeat
@dataclass(frozen=True)
class Heartbeat:
    """Written by the running monitor; ``status`` reads it."""

    pid: int
    at: float
    started: float
    profile: str = ""
    note: str = ""  # e.g. "camera busy, retrying in 40 s"
    paused: bool = False
    snooze_until: Optional[float] = None

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "at": self.at,
            "at_text": _iso(self.at),
            "started": self.started,
            "profile": self.profile,
            "note": self.note,
            "paused": self.paused,
            "snooze_until": self.snooze_until,
        }


def write_heartbeat(beat: Heartbeat, path: Optional[Path] = None) -> None:
    """Called by the monitor every ~10 s, whatever the camera does (the live loop ticks
    the coach while the camera is released or it waits for a busy one). Not synced to
    disk: after a power cut it is stale whatever it says, and whether a monitor runs is
    asked of the monitor's lock (``service.running_pid``), not of this file."""
    write_json_atomic(path or heartbeat_file(), beat.to_json(), durable=False)


def clear_heartbeat(pid: int, path: Optional[Path] = None) -> None:
    """Remove the heartbeat at a clean shutdown, if it is still ours."""
    path = path or heartbeat_file()
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(obj, dict) and obj.get("pid") == pid:
            path.unlink()
    except (OSError, ValueError):
        pass


def read_heartbeat(path: Optional[Path] = None) -> Optional[Heartbeat]:
    path = path or heartbeat_file()
    obj = _read_json(path, "monitor heartbeat")
    if obj is None:
        return None
    where = f"monitor heartbeat {path}"
    if not isinstance(obj, dict) or not isinstance(obj.get("pid"), int):
        raise UserError(f"{where}: expected an object with an integer 'pid'")
    at = _opt_number(obj, "at", where)
    started = _opt_number(obj, "started", where)
    if at is None or started is None:
        raise UserError(f"{where}: 'at' and 'started' are required")
    return Heartbeat(
        pid=obj["pid"],
        at=at,
        started=started,
        profile=str(obj.get("profile", "")),
        note=str(obj.get("note", "")),
        paused=bool(obj.get("paused", False)),
        snooze_until=_opt_number(obj, "snooze_until", where),
    )


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Status:
    running: bool
    heartbeat: Optional[Heartbeat]
    control: ControlState
    now: float
    # why the control file could not be read (damaged, a folder, unreadable): then
    # whether coaching is paused or snoozed is unknown, and the rest is still shown
    control_problem: Optional[str] = None

    def asks_nothing(self) -> bool:
        """Whether nothing silences the coach: no pause, no snooze (of the control file,
        or of a notification's Snooze button the running monitor reports), which
        `status` says as "coaching: active"."""
        c, hb = self.control, self.heartbeat
        button = hb is not None and self.running and (hb.snooze_until or 0.0) > self.now
        return not c.paused and not c.snoozed(self.now) and not button

    def lines(self) -> list[str]:
        """What `posture-guard status` prints (other areas may append their own lines)."""
        out: list[str] = []
        hb = self.heartbeat
        if self.running and hb is not None:
            ago = format_duration(self.now - hb.at)
            # a monitor left running for days: "since 09:00" would read as today's
            since = clock_text(hb.started, self.now)
            prof = f", profile {hb.profile}" if hb.profile else ""
            out.append(f"monitor: running (pid {hb.pid}{prof}, since {since}, seen {ago} ago)")
            if hb.note:
                out.append(f"monitor note: {hb.note}")
        elif hb is not None:
            seen = datetime.fromtimestamp(hb.at).strftime("%Y-%m-%d %H:%M")
            out.append(f"monitor: not running (last seen {seen})")
        else:
            out.append("monitor: not running")
        c = self.control
        if self.control_problem is not None:
            out.append("coaching: unknown (the control file cannot be read)")
        elif c.paused:
            since = clock_text(c.paused_at, self.now) if c.paused_at else "?"
            out.append(f"coaching: paused since {since} (`posture-guard resume` to continue)")
        elif c.snoozed(self.now):
            assert c.snooze_until is not None
            until = clock_text(c.snooze_until, self.now)
            # a countdown rounds up to the minute: `snooze 1h30m` said "snoozed for 1 h 30
            # min", and `status` a second later "1 h 29 min left", a snooze shorter than asked
            remaining = c.snooze_until - self.now
            left = format_duration(math.ceil(remaining / 60) * 60 if remaining >= 60 else remaining)
            out.append(f"coaching: snoozed until {until} ({left} left)")
        elif not self.asks_nothing():  # a notification's Snooze button
            assert hb is not None and hb.snooze_until is not None
            until = clock_text(hb.snooze_until, self.now)
            out.append(f"coaching: snoozed from a notification until {until}")
        else:
            out.append("coaching: active")
        return out


def read_status(now_epoch: Optional[float] = None) -> Status:
    now_epoch = time.time() if now_epoch is None else now_epoch
    problem: Optional[str] = None
    try:
        control = read_control()
    except UserError as exc:  # show what can be shown, and name the damaged file
        control, problem = ControlState(), str(exc)
    try:
        hb = read_heartbeat()
    except UserError:
        hb = None  # a damaged heartbeat only means we cannot tell; it is rewritten soon
    running = hb is not None and now_epoch - hb.at <= HEARTBEAT_STALE_S and pid_alive(hb.pid)
    return Status(
        running=running, heartbeat=hb, control=control, now=now_epoch, control_problem=problem
    )


# --------------------------------------------------------------------------- camera back-off
@dataclass(frozen=True)
class Backoff:
    """Retry schedule for a camera another program holds (pure: give it the clock).

    The first retry comes after ``initial_s``, each further one ``factor`` times later,
    capped at ``max_s``: a video call of an hour costs a few dozen open attempts, and the
    monitor resumes within ``max_s`` of the camera being free. Use it as::

        b = Backoff()
        b = b.failed(now)        # camera busy: log b.reason(), wait until b.retry_at
        if b.due(now): ...try again...
        b = b.succeeded()        # camera open: back to normal
    """

    initial_s: float = 5.0
    factor: float = 2.0
    max_s: float = 300.0
    failures: int = 0
    retry_at: Optional[float] = None

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th consecutive failure (1-based)."""
        if failures <= 0:
            return 0.0
        return min(self.max_s, self.initial_s * self.factor ** (failures - 1))

    def failed(self, now: float) -> Backoff:
        n = self.failures + 1
        return replace(self, failures=n, retry_at=now + self.delay(n))

    def succeeded(self) -> Backoff:
        return replace(self, failures=0, retry_at=None)

    def due(self, now: float) -> bool:
        return self.retry_at is None or now >= self.retry_at

    @property
    def waiting(self) -> bool:
        return self.failures > 0

    def reason(self, now: float, why: str = "camera busy") -> str:
        left = 0.0 if self.retry_at is None else max(0.0, self.retry_at - now)
        return f"{why}; retry {self.failures + 1} in {format_duration(left)}"


def clock_text(epoch: float, now_epoch: float) -> str:
    """A moment of a snooze, a pause or the monitor's start: HH:MM on the day of
    ``now_epoch``, with its date on any other day. Why: a clock time alone read as today's,
    so `snooze 24h` at 21:56 said "until 21:56" and a pause of last week "paused since
    09:12"."""
    moment = datetime.fromtimestamp(epoch)
    same_day = moment.date() == datetime.fromtimestamp(now_epoch).date()
    return moment.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------- CLI handlers
def cmd_snooze(args: argparse.Namespace) -> int:
    # the words of the duration as one ("snooze 1h 30m" was refused by argparse as
    # "unrecognized arguments: 30m"), as quoted ("snooze '1h 30m'") it was taken
    words = args.duration
    typed = " ".join(words) if isinstance(words, list) else words
    seconds = parse_duration(typed, "snooze duration", words=True)
    if seconds < 1.0:  # it would be over before the monitor read it ("snoozed for 0 s")
        raise UserError(f"snooze duration {typed!r} is shorter than a second; use e.g. 5m")
    if seconds > MAX_SNOOZE_S:
        # named as typed: the figure was worked out from a float, and of a number that
        # long "999999999999999999999999s" read "277777777777777773117 h 26 min 24 s"
        typed = typed.strip()
        shown = f"{typed!r}" if len(typed) <= 30 else f"{typed[:20]!r}..."
        raise UserError(
            f"snooze duration {shown} is longer than 24 h; "
            "use `posture-guard pause` and `posture-guard resume` instead"
        )
    try:  # only for the message: the snooze reads the file again under the lock
        before: Optional[ControlState] = read_control()
    except UserError:
        before = None
    state = snooze(seconds)
    assert state.snooze_until is not None
    now = time.time()
    until = clock_text(state.snooze_until, now)
    lifted = ""
    if before is not None and before.paused:
        since = f" since {clock_text(before.paused_at, now)}" if before.paused_at else ""
        lifted = f" The pause{since} is lifted: the coach comes back then."
    print(f"Coaching snoozed for {format_duration(seconds, exact=True)}, until {until}.{lifted}")
    _note_if_not_running()
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    # only for the message, as `status` would have said it: a second `pause` repeated
    # "Coaching paused until ..." as if it had just begun, its start left unsaid
    before, _ = status_by_lock()
    now = time.time()
    state = pause(now)
    if state.paused_at != now:  # the pause already in force keeps its start
        since = f" since {clock_text(state.paused_at, now)}" if state.paused_at else ""
        print(f"Coaching was already paused{since}; it stays paused until `posture-guard resume`.")
    elif before.control_problem is None and not before.asks_nothing():
        # a snooze (typed, or a notification's button): the pause outlasts it
        hb = before.heartbeat if before.running else None
        ends = [t for t in (before.control.snooze_until, hb.snooze_until if hb else None) if t]
        until = f" until {clock_text(max(ends), now)}" if ends else ""
        print(
            f"Coaching paused until `posture-guard resume` (it was snoozed{until}; "
            "the pause outlasts the snooze)."
        )
    else:
        print("Coaching paused until `posture-guard resume`.")
    _note_if_not_running()
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    # only for the message, as `status` would have said it: "Coaching resumed." with
    # nothing paused or snoozed read as if something had been silencing the coach
    before, _ = status_by_lock()
    resume()
    if before.control_problem is None and before.asks_nothing():
        # (and no "this applies when `run` starts": there is nothing to apply)
        print("Coaching was not paused or snoozed; it stays active.")
        return 0
    print("Coaching resumed.")
    _note_if_not_running()
    return 0


def cmd_status(args: argparse.Namespace, start_again: Optional[Callable[[], str]] = None) -> int:
    # issue 7: the monitor's lock says for certain whether it runs (its heartbeat goes
    # quiet while the camera is released); service adds camera, posture now and today
    # (``start_again``: the shell's command that starts the monitor as at login)
    from . import service

    status, pid = status_by_lock()
    lines = status.lines()
    extra = service.status_lines(start_again=start_again)
    if pid is not None and lines and lines[0].startswith("monitor: not"):
        # the lock outranks a quiet heartbeat (the camera released, or just after a resume
        # from suspend): one line says it runs, with the pid the lock names
        lines[0] = f"monitor: running (pid {pid if pid > 0 else '?'})"
    hb = status.heartbeat
    # the running monitor's own heartbeat only: not one an earlier monitor left
    changed = profile_changed_note(hb) if hb is not None and hb.pid == pid else None
    if changed:
        lines.insert(1, changed)
    for line in lines + extra:
        print(line)
    if status.control_problem is not None:
        # all the rest is shown; the damaged file is named, and the status is 2 as for
        # any problem the user can mend (`resume` rewrites the file)
        raise UserError(status.control_problem)
    return 0


def profile_changed_note(hb: Heartbeat) -> Optional[str]:
    """What became of the running monitor's profile since it started, or None.

    The monitor reads its profile once, at its start. A profile removed or renamed while
    it ran (``mv office.json work.json``) left `status` saying "profile office" as if all
    were well, and the next start (the next login) was refused for want of it; one
    restored from a backup or calibrated while it judged by population defaults, or saved
    again since, was not in force, and `status` did not say so either."""
    from .classify import POPULATION_PROFILE

    if not hb.profile:
        return None  # a heartbeat of a version that did not name it
    name = "default" if hb.profile == POPULATION_PROFILE else hb.profile
    try:
        saved: Optional[float] = (paths.profiles_dir() / f"{name}.json").stat().st_mtime
    except FileNotFoundError:
        saved = None
    except OSError:
        return None  # cannot be looked at: nothing to say for certain
    restart = "stop it and start it again to be judged by it"
    if hb.profile == POPULATION_PROFILE:
        if saved is None:
            return None
        return (
            f"monitor note: profile {name!r} has been saved since the monitor started, which "
            f"goes on judging by population defaults: {restart}"
        )
    if saved is None:
        then = (
            "started again it judges by population defaults"
            if name == "default"
            else f"started again (at login too) it is refused until `posture-guard calibrate "
            f"--profile {name}` saves it anew"
        )
        return (
            f"monitor note: profile {name!r} is no longer saved (removed or renamed since the "
            f"monitor started); it goes on judging by it as it was, but {then}"
        )
    if saved > hb.started:
        return (
            f"monitor note: profile {name!r} has been saved again since the monitor started, "
            f"which goes on judging by the calibration it started with: {restart}"
        )
    return None


def status_by_lock() -> tuple[Status, Optional[int]]:
    """:func:`read_status`, with whether a monitor runs asked of its lock, and the pid
    the lock names (None: no monitor runs)."""
    from . import service

    status = read_status()
    pid = service.running_pid()
    if pid is None and status.running:
        # a monitor killed a moment ago (kill -9, the OOM killer) leaves a fresh heartbeat,
        # and its pid may still answer (not reaped yet, or given to another program since);
        # the lock went with its process, so no monitor runs
        status = replace(status, running=False)
    return status, pid


def _note_if_not_running() -> None:
    # The monitor's lock says for certain whether it runs, as for `status` and the tray;
    # the heartbeat only says when the monitor last wrote it (it was quiet while the
    # camera was released, and a late one, e.g. just after a suspend, looks stale).
    from . import service

    if service.running_pid() is None:
        print("(No monitor is running now; this applies when `posture-guard run` starts.)")


# --------------------------------------------------------------------------- file helpers
def write_json_atomic(path: Path, obj: Any, durable: bool = True) -> None:
    """Write JSON so readers see the old or the new file, never a partial one
    (``durable``: see :func:`paths.write_atomic`)."""
    paths.write_atomic(path, (json.dumps(obj, indent=2) + "\n").encode("utf-8"), durable)


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{what} {path} is damaged (not UTF-8 text)") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UserError(
            f"{what} {path} is damaged ({exc}); `posture-guard resume` rewrites it"
        ) from exc


def _opt_number(obj: dict[str, Any], key: str, where: str) -> Optional[float]:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{where}: {key!r} must be a number")
    return float(value)


def _iso(epoch: Optional[float]) -> Optional[str]:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def epoch_to_like(epoch: float, like: datetime) -> datetime:
    """Unix seconds as a datetime comparable with ``like`` (naive local or aware).

    The live coach's clock is aware (``SessionInfo.wall``), so a snooze end compares with
    it by real time. An aware result is in local time, so its ISO text (the ``snooze``
    event's ``until``) shows the local offset in force at that end. A naive ``like`` only
    compares correctly when it too was read from a real clock, never when it was built by
    adding seconds to a naive start across a DST change.
    """
    if like.tzinfo is None:
        return datetime.fromtimestamp(epoch)
    return datetime.fromtimestamp(epoch, timezone.utc).astimezone()


def like_to_epoch(moment: datetime) -> float:
    return moment.timestamp()
