"""The running monitor takes up an edited config.toml, a plan imported or cleared, and an
edited exercises.toml, without a restart.

Why: a monitor is left running all day (or started at login and never again), so a desk
worker who sets quiet hours in config.toml, or a patient who imports the therapist's new
plan, saw nothing change until the next login.

What follows live is everything these files hold: the ``[coach]`` settings (quiet hours,
which close the camera as well as silence the coach; break and alert timing; the
check-in, framing and eye-rest prompts; the Snooze button's length), the therapist's plan
(its doses, break interval, alert sensitivity and quiet hours) and the exercises. What
takes a restart of the monitor is what the command line chose when it started: the camera
(``--camera``), the calibration profile (``--profile``, also one calibrated again), the
log's detail (``-v``) and the folders (``POSTURE_GUARD_HOME``); none of them is in these
files. (``run`` has no ``--notifier``: the monitor picks the notification service
itself.) The coach's state carries over (the sitting clock, the cool-downs, which doses
were prompted), as its memory carries it over a restart.

Cheap: every :data:`CHECK_S` the three files are only ``stat``-ed; a changed time or size
reads them and compares their contents, so a file saved unchanged changes nothing.
A new version is loaded as a new session would load it (:func:`load_coach_settings`). One
that does not load (not TOML, a bad value, a plan that breaks a rule) changes nothing:
the settings in force stay, and the problem, naming the file, is told once per version of
the files (the log and a notification); saving the file again tries again. The same holds
when the monitor starts a new session (the clock was set, or a plan's midnight): a new
session starts with the settings in force when the files do not load, and a version the
last session had not told yet is told then; only the monitor's first start, with nothing
in force yet, refuses a broken file.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional

from . import paths

#: how often the files are looked at (seconds of the loop's clock)
CHECK_S = 5.0

#: what a message about a new version says can change live and what cannot
LIVE_NOTE = "the camera (--camera), the profile (--profile) and -v take a restart of the monitor"

log = logging.getLogger(__name__)

Stamp = Optional[tuple[int, int]]  # (mtime in ns, size), None for a missing file
#: (coach settings, exercise library): what a live coach coaches by
Coaching = tuple[Any, Any]


def watched_files() -> tuple[Path, ...]:
    """config.toml, the active plan and the user's exercises.toml: what a live coach's
    settings are made of (see :func:`load_coach_settings`)."""
    from .exercises import user_path
    from .plan import active_plan_path

    return (paths.config_file(), active_plan_path(), user_path())


def load_coach_settings(day: date, plans: Optional[Any] = None) -> Coaching:
    """(coach settings, exercise library) of a live session on ``day``, as ``service.run``
    gives them to its sinks (``cli.session_sinks``): the active plan laid over
    config.toml, or config.toml alone, and the library. A file that does not load is a
    UserError that names it. ``plans``: ``plan.plans_on(day)`` if already read."""
    from .coach import load_settings
    from .exercises import load_library
    from .plan import coach_overrides

    settings, library = coach_overrides(day, plans)
    if settings is None:
        settings = load_settings()
    settings.validate()
    return settings, library if library is not None else load_library()


def record_plan_change(change: Change, at: datetime) -> None:
    """Record in the plan history a plan.toml that ``change`` brings and no `plan import`
    recorded (copied in, restored or edited by hand), now that it is in force: a report
    judges its days by it (:func:`plan.record_unrecorded_change`). Not recordable (the
    history folder not writable), it is logged; the coach follows the plan all the same."""
    from .plan import active_plan_path

    if active_plan_path() in change.changed:
        _record_unrecorded(at, "{} by hand")


def record_plan_at_start(at: datetime) -> None:
    """Record in the plan history a change of plan.toml made by hand while no monitor
    ran (removed, copied in, restored), at the start ``at`` of the monitor that now
    coaches by it, unless the file's own date says when (a copy).

    Why: nothing else records it. A removal leaves no date on disk, so every report put
    the plan's end at the moment the report was run: the days this monitor coached with
    no plan were judged by the removed one (its doses counted as missed), more of them
    with each later report. Not recordable, it is logged; the coach goes on."""
    _record_unrecorded(at, "{} by hand before this monitor started")


def _record_unrecorded(at: datetime, how: str) -> None:
    """:func:`plan.record_unrecorded_change` at ``at``, the entry it makes logged with
    ``how`` ("{} by hand", the {} "removed" or "changed"); a failure is logged, since the
    coach goes on by the plan on disk all the same."""
    from .errors import UserError
    from .plan import active_plan_path, record_unrecorded_change

    try:
        entry = record_unrecorded_change(datetime.fromtimestamp(at.timestamp()))
    except UserError as exc:
        log.warning("%s", exc)
        return
    except OSError as exc:  # what the system refused that no UserError says yet
        log.warning("cannot record the plan in its history: %s", exc.strerror or exc)
        return
    if entry is not None:
        what = how.format("removed" if entry.cleared else "changed")
        log.info("the plan history records %s, %s", active_plan_path().name, what)


def plan_starts_later(change: Change, plans: Any) -> Optional[date]:
    """The start of the plan ``change`` brings if it starts after the day of ``plans``
    (``plan.plans_on``, read for the new settings), else None.

    Why: such a plan replaces the one in force only from its start (``plan.plan_in_force``),
    so a monitor saying it follows the change "from now" told the patient the new plan's
    doses and quiet hours held already."""
    from .plan import active_plan_path

    if active_plan_path() not in change.changed:
        return None
    return plans.starts_later


def _stamp(path: Path) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _digest(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return b"missing"
    except OSError as exc:  # unreadable: a version of its own, which the load names
        return f"unreadable {exc.errno}".encode()
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass
class Change:
    """A new version of the files: which of them differ from the version seen last."""

    changed: tuple[Path, ...]

    def names(self) -> str:
        return ", ".join(p.name for p in self.changed)


class SettingsWatch:
    """Notices a new version of :func:`watched_files` at most every ``check_s``.

    Made when a session's settings are loaded, so the files as they are then are the
    version in force. :meth:`poll` returns a :class:`Change` once per new version of
    their contents (a file saved unchanged is none), whether the caller can use it or
    not: a broken version is told once, and the next save is looked at afresh."""

    def __init__(self, files: Optional[tuple[Path, ...]] = None, check_s: float = CHECK_S):
        self.files = files if files is not None else watched_files()
        self.check_s = check_s
        self._stamps = tuple(_stamp(p) for p in self.files)
        self._seen = tuple(_digest(p) for p in self.files)  # the version seen last
        self._checked = float("-inf")

    def poll(self, t: float) -> Optional[Change]:
        if t - self._checked < self.check_s:
            return None
        self._checked = t
        stamps = tuple(_stamp(p) for p in self.files)
        if stamps == self._stamps:
            return None
        self._stamps = stamps
        digests = tuple(_digest(p) for p in self.files)
        if digests == self._seen:
            return None
        # named against the version seen last: a broken edit undone is the file that
        # changed, and taken up again it says so
        changed = tuple(p for p, a, b in zip(self.files, digests, self._seen) if a != b)
        self._seen = digests
        return Change(changed)

    def changed_since(self, earlier: SettingsWatch) -> Optional[Change]:
        """The files whose version, as this watch saw them last, differs from the one
        ``earlier`` saw last, or None: what a new session's watch holds that the last
        session's had not seen (nor told, when it did not load)."""
        changed = tuple(p for p, a, b in zip(self.files, self._seen, earlier._seen) if a != b)
        return Change(changed) if changed else None
