"""The coach: when to speak, what to say, and the sink that says it.

Two layers, Dorso-style:

- :class:`Coach` is a pure engine: ``coach.step(state, observation) -> (state, effects)``.
  It never reads a clock, a file or a notifier; time is ``observation.now`` (the session
  start plus the decision's stream time), so a replayed stream gives exactly the prompts
  the live session would have, and every timing rule is tested with a fake clock. The
  engine only needs every datetime of one run to follow one convention: the sink passes
  aware local datetimes (:meth:`SessionInfo.wall`), so durations are real seconds and
  wall-clock rules (quiet hours, check-in, plan slots) read the local time, also across a
  daylight-saving change; the engine's own tests use naive ones.
- :class:`CoachSink` is the thin shell the monitor feeds with decisions (and, while the
  camera is released, with :meth:`CoachSink.poll` ticks): it polls the control file (live
  only) and the buttons pressed, runs the engine, shows :class:`Notify` effects through a
  notifier, prints or logs :class:`Note` effects, records :class:`DiaryCheckIn` effects
  (the check-in's "No headache" button) in the headache diary, and passes events on.

Events, the interface to the log (store.py's ``events`` table): every effect list may
hold ``Event(kind, at, payload)``; the sink appends each to ``sink.events`` and calls
``on_event(kind, at, payload)`` if one was given. ``at`` is an aware local datetime (the
real moment: ``at.timestamp()`` is its POSIX time), ``payload`` a JSON-ready dict. Kinds:

==================== ===============================================================
alert                a posture alert was shown: fault, bad_share, window_s, prompt
                     (``prompt``: an id unique across sessions, shared by the events
                     of one notification and by its button presses)
exercise_prompted    an exercise was suggested: exercise, for, prompt
break_prompted       long sitting: sitting_min, prompt
break_taken          away from the desk long enough: away_s, sat_min
sitting_reset        the sitting clock restarted after an unobserved gap: gap_s
micro_prompted       20-20-20 eye rest: exercise, prompt
checkin_prompted     end-of-day headache check-in: day, prompt
checkin_answered     a check-in button: answer ("no_headache" / "headache"), prompt, day
                     (the day the check-in asked about; absent if the prompt is unknown)
posture_corrected    good posture held after an alert (a quiet note only): prompt, after_s
exercise_done        the "Done" button: exercise, kind, prompt
snooze               prompts silenced: until (ISO), source ("control" / "button")
pause / resume       from the control file: source
notification_failed  a prompt could not be shown: prompt, kind, title, backend, reason,
                     fallback (how it reached the user instead, e.g. "print")
control_error        the control file is damaged or unreadable: message
==================== ===============================================================

Defaults (:class:`CoachSettings`) and why:

- ``alert_hold_s = 90`` with ``alert_bad_share = 0.7``: an alert needs a fault for at
  least 63 s of the last 90 s and the current sample bad. The issue asks for 1-2 min of
  *mostly* bad posture; 90 s ignores reading a line up close or a glance at the phone,
  and judging a share, not every sample, keeps one good frame from resetting the clock.
- ``alert_cooldown_s = 15 min`` and ``max_alerts_per_hour = 3``: the low end of the
  15-20 min users tolerate; with a 15 min cool-down four alerts could fit in an hour, so
  the hourly cap is a real second limit for bad days and for users who shorten the
  cool-down.
- ``praise_after_s = 60``: good posture held for a minute after an alert earns a quiet
  note (printed/logged), never a notification.
- ``break_after_s = 45 min``: the issue allows 30-50. No trial fixes the number; 45 min
  fits a typical focus block or meeting, so the prompt rarely breaks concentration
  mid-task, while the sitting stays well under an hour. Users who want the McLean et al.
  2001 ~20 min rhythm turn on the micro prompts (``micro_prompts``, off by default,
  every ``micro_every_s = 20 min``).
- ``break_reset_s = 3 min`` away from the camera counts as a break taken;
  ``break_repeat_s = 20 min`` and ``break_repeat_max_s = 60 min``: an ignored break
  prompt comes back, each time a little later (20, then 40, then every 60 min), not every
  sample and not every 20 min all day: someone who does not get up has heard it, and at
  20 min a whole day at the desk made 46 break prompts. The back-off starts again with
  the sitting clock: after a break taken (away from the camera, or the break prompt's
  "Done" button, which restarts the sitting clock at the press, or `posture-guard done`
  answering the prompt, at the command).
- ``min_gap_s = 5 min`` and ``max_prompts_per_hour = 6``: never two notifications
  within 5 minutes, nor more than 6 in any hour, whatever their kind (break, alert, a
  dose of the therapist's plan, framing, eye rest, check-in). With a gap of a minute an
  alert and a break prompt came a minute apart, and the per-kind limits added up to 16 in
  an hour (3 alerts, 3 break prompts, 3 eye rests and a dense plan's doses). A prompt due
  meanwhile waits rather than being dropped: a break prompt, a plan dose (the latest due,
  see ``_plan_rule``) or the check-in comes once the gap is over; a posture alert only if
  the posture still calls for one then. Only the reply to a button the user pressed (the
  check-in's "I had a headache") is not held back, and it counts for the gap, not the
  hour. A break prompt also starts the posture cool-down, since it already carries a
  stretch.
- ``max_sample_gap_s = 30``: a decision's state is assumed to last until the next one,
  at most 30 s; longer gaps (camera busy, a suspended laptop) are unobserved time that
  counts neither as bad posture nor as sitting. An unobserved gap of at least
  ``break_reset_s`` restarts the sitting clock (event ``sitting_reset``), because
  prompting for a break right after a long unseen gap would more likely be wrong than
  right.
- ``checkin_time = 17:30``: once a day, at the first decision with the person present at
  or after that time; ``quiet_hours`` default to none (working hours vary too much). A
  monitored day whose check-in never came (the gap, the hourly cap, a snooze or the quiet
  hours held it back until the user left or midnight passed, or the user left before
  ``checkin_time``) is asked about once, at the first moment allowed on the next day the
  user is at the desk ("How was yesterday, Tuesday 1 December?"), its buttons recording
  that day, unless the diary already knows the day. Only the last day monitored, and only
  if it is at most :data:`CHECKIN_CATCH_UP_DAYS` back: a day left unknown is better than a
  week of questions after a holiday, and an answer from further back is guesswork.
- ``snooze_button_s = 15 min``: what the notification's "Snooze 15 min" button does
  (1 min to 24 h in config.toml, :data:`MIN_FILE_SETTING_S`).
- ``framing_after_s = 5 min`` within ``framing_window_s = 30 min``: a user whom the frame
  edge cut off that long (face or shoulders out of the picture, mostly from leaning in
  toward a near camera) gets one notification that day saying so, with the advice to set
  the camera back. While cut off the posture is not judged at all; the accuracy harness
  finds that most forward heads it misses are such time, and that following this advice
  wins most of it back (README, "Accuracy, measured"). Once a day, because the cure is a
  change of set-up, not of posture; ``framing_prompts = false`` turns it off.

Silence (pause, snooze, quiet hours) suppresses prompts only: the sitting clock, break
credit and the posture window keep running, so an alert can come soon after a snooze
ends if the fault is still there.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time as _time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Callable, Optional, Union

from . import control as control_mod
from . import paths
from .dates import ascii_digits
from .errors import UserError
from .exercises import Exercise, Library, load_library, pick_exercise
from .features import SET_CAMERA_BACK
from .notify import Click, Delivery, Message, Notifier, database_of, db_option
from .sinks import SessionInfo
from .states import Decision, PostureState
from .toml_lines import key_lines

log = logging.getLogger(__name__)

EventCallback = Callable[[str, datetime, dict[str, Any]], None]
# Records a day as headache-free in the diary; raises UserError when the diary refuses.
CheckinCallback = Callable[[date], None]

# Buttons on prompts: (action id, label). Only backends with actions show them.
PROMPT_BUTTONS: tuple[tuple[str, str], ...] = (("done", "Done"), ("snooze", "Snooze 15 min"))
CHECKIN_BUTTONS: tuple[tuple[str, str], ...] = (
    ("no_headache", "No headache"),
    ("headache", "I had a headache"),
)
#: A monitored day whose check-in never came is asked about on a later day only this many
#: days back at most (yesterday or the day before; after a weekend off, Friday stays
#: unknown): recall of a headache's day fades fast, and one question, not a backlog.
CHECKIN_CATCH_UP_DAYS = 2
# Day and month names in English, as every message is (strftime's %A and %B follow the
# locale, which a toolkit of the tray may have set to the user's language).
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
# Tells whether the diary has an entry or a check-in for a day (see Coach).
DiaryKnows = Callable[[date], bool]
# A prescribed exercise (therapist plan) more than this late is missed, not prompted.
PLAN_LATE_S = 60 * 60.0
# The longest any duration setting (``*_s``) may be. No rule of the coach means anything
# beyond a day (a sitting, a cool-down, a snooze button all end within one), so a larger
# value is a typo; far larger ones (``inf``, "99999999h") would overflow the date
# arithmetic partway through a session and lose it. A day is also `snooze`'s own limit.
MAX_SETTING_S = 24 * 3600.0
# How large a refused duration is still said in hours and minutes (a year, 8760 h).
_HOURS_READ_UP_TO_S = 365 * 24 * 3600.0
#: The Snooze button's shortest: its label and the snooze it asks are whole seconds.
MIN_SNOOZE_BUTTON_S = 1.0
#: The shortest each duration setting may be in config.toml. The engine takes any length
#: above zero (tests and replays compress time), but in a hand-edited file a far shorter
#: one is a slip: `break_after_s = 45` meant 45 min and read as 45 s, and `1e-7` passed
#: as "longer than zero". The settings of a window, a hold or a gap of readings take 10
#: s: about three of the steady 3.5 s between frames, below which one frame decides
#: (`max_sample_gap_s` under it counted every reading as unobserved time, and
#: `break_reset_s` under it took every gap between frames for a break). The others,
#: cool-downs, intervals and the Snooze button, take a minute: no prompt is meant more
#: often. ``min_gap_s`` may also be 0 (no gap).
MIN_FILE_SETTING_S: dict[str, float] = {
    "alert_hold_s": 10.0,
    "praise_after_s": 10.0,
    "break_reset_s": 10.0,
    "max_sample_gap_s": 10.0,
    "framing_after_s": 10.0,
    "min_gap_s": 10.0,
    "alert_cooldown_s": 60.0,
    "break_after_s": 60.0,
    "break_repeat_s": 60.0,
    "break_repeat_max_s": 60.0,
    "micro_every_s": 60.0,
    "snooze_button_s": 60.0,
    "framing_window_s": 60.0,
}


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class CoachSettings:
    """Coaching rules; see the module docstring for why each default is what it is."""

    alert_hold_s: float = 90.0
    alert_bad_share: float = 0.7
    alert_cooldown_s: float = 15 * 60.0
    max_alerts_per_hour: int = 3
    max_prompts_per_hour: int = 6
    praise_after_s: float = 60.0
    break_after_s: float = 45 * 60.0
    break_reset_s: float = 3 * 60.0
    break_repeat_s: float = 20 * 60.0
    break_repeat_max_s: float = 60 * 60.0
    micro_prompts: bool = False
    micro_every_s: float = 20 * 60.0
    min_gap_s: float = 5 * 60.0
    max_sample_gap_s: float = 30.0
    snooze_button_s: float = 15 * 60.0
    checkin_time: Optional[time] = time(17, 30)
    quiet_hours: Optional[tuple[time, time]] = None
    framing_prompts: bool = True
    framing_after_s: float = 5 * 60.0
    framing_window_s: float = 30 * 60.0
    # therapist plan (issue 6): day -> sorted (time, exercise id) prompts of prescribed
    # exercises; set by plan.coach_settings(), never from config.toml
    plan_slots: Optional[Callable[[date], tuple[tuple[time, str], ...]]] = None

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[str, Any], where: str = "coach settings"
    ) -> CoachSettings:
        """Build from a config table, e.g. ``[coach]`` of config.toml.

        Keys are the field names. Durations (``*_s``) take seconds or a duration text
        ("15m"), finite and at most a day (:data:`MAX_SETTING_S`); ``checkin_time`` takes
        "HH:MM" or "off"; ``quiet_hours`` takes "HH:MM-HH:MM" (may wrap midnight) or "off".
        Anything else is a UserError that names the key.
        """
        settings, problems = cls._read_mapping(mapping, where)
        raise_problems(where, [text for _, text in problems])
        assert settings is not None
        return settings

    @classmethod
    def _read_mapping(
        cls, mapping: Mapping[str, Any], where: str
    ) -> tuple[Optional[CoachSettings], list[tuple[tuple[str, ...], str]]]:
        """(the settings, or None; every problem of ``mapping``, each with the keys it is
        about, as :meth:`_problems` gives them, and its whole message).

        Every key is looked at, so a user with three wrong keys is told all three at once
        rather than one per run. A check across keys (``framing_after_s`` against
        ``framing_window_s``) is left out while one of its keys is itself wrong: it would
        be judged against a default the user did not choose.
        """
        if not isinstance(mapping, Mapping):
            return None, [((), f"{where}: expected a table of settings")]
        known = {f.name for f in fields(cls)} - {"plan_slots"}
        values: dict[str, Any] = {}
        problems: list[tuple[tuple[str, ...], str]] = []
        wrong: set[str] = set()
        for key, raw in mapping.items():
            if key not in known:
                problems.append(
                    ((key,), f"{where}: unknown key {key!r} (known: {', '.join(sorted(known))})")
                )
                continue
            try:
                values[key] = _convert_setting(key, raw, where)
            except UserError as exc:
                problems.append(((key,), str(exc)))
                wrong.add(key)
        settings = cls(**values)
        problems += [
            (keys, text)
            for keys, text in settings._problems(where, from_file=True)
            if not wrong & {*keys}
        ]
        return (None if problems else settings), problems

    def validate(self, where: str = "coach settings") -> None:
        """Raise the first problem of these settings (see :meth:`_problems`)."""
        problems = self._problems(where)
        if problems:
            raise UserError(problems[0][1])

    def _problems(self, where: str, from_file: bool = False) -> list[tuple[tuple[str, ...], str]]:
        """Every value out of range, each with the keys it is about (a message points at
        the first written in the file) and its message, in the order :meth:`validate`
        has always told them; a key is named once (0 s is not also "less than 1 s").
        ``from_file``: the settings were written by hand (config.toml), and a duration
        shorter than :data:`MIN_FILE_SETTING_S` is a slip too."""
        out: list[tuple[tuple[str, ...], str]] = []

        def add(keys: tuple[str, ...], text: str) -> None:
            if not any(set(keys) & set(told) for told, _ in out):
                out.append((keys, text))

        positive = (
            "alert_hold_s",
            "alert_cooldown_s",
            "praise_after_s",
            "break_after_s",
            "break_reset_s",
            "break_repeat_s",
            "break_repeat_max_s",
            "micro_every_s",
            "max_sample_gap_s",
            "snooze_button_s",
            "framing_after_s",
            "framing_window_s",
        )
        for key in positive:
            if not getattr(self, key) > 0:
                add((key,), f"{where}: {key!r} must be longer than zero")
        # `not >= 0`, not `< 0`: NaN compares false both ways and must be refused too.
        if not self.min_gap_s >= 0:
            add(("min_gap_s",), f"{where}: 'min_gap_s' must not be negative (got {self.min_gap_s})")
        for key in (*positive, "min_gap_s"):
            value = getattr(self, key)
            if not value <= MAX_SETTING_S:  # also refuses inf and NaN
                # hours and minutes while they read as such; beyond, seconds in short:
                # 1e300 read as 300 digits of hours, and "99999999999999999999h" as
                # "99999999999999995339 h 39 min", a number the user never typed
                got = (
                    control_mod.format_duration(value)
                    if value < _HOURS_READ_UP_TO_S
                    else f"{value:.3g} s"
                )
                add(
                    (key,),
                    f"{where}: {key!r} must be at most "
                    f"{control_mod.format_duration(MAX_SETTING_S)} (got {got})",
                )
        if from_file:
            for key, shortest in MIN_FILE_SETTING_S.items():
                value = getattr(self, key)
                if value < shortest and not (key == "min_gap_s" and value == 0):
                    zero = "0 or " if key == "min_gap_s" else ""
                    add(
                        (key,),
                        f"{where}: {key!r} must be {zero}from "
                        f"{control_mod.format_duration(shortest)} to "
                        f"{control_mod.format_duration(MAX_SETTING_S)} "
                        f"(got {value:.3g} s)",
                    )
        if not self.snooze_button_s >= MIN_SNOOZE_BUTTON_S:
            # "0.5s" was taken, and the button then read "Snooze 0 s" and silenced nothing
            # a person could see; `posture-guard snooze` refuses less than a second too
            add(
                ("snooze_button_s",),
                f"{where}: 'snooze_button_s' must be from 1 s to "
                f"{control_mod.format_duration(MAX_SETTING_S)} "
                f"(got {self.snooze_button_s:.3g} s)",
            )
        if not 0 < self.alert_bad_share <= 1:
            add(("alert_bad_share",), f"{where}: 'alert_bad_share' must be in (0, 1]")
        for key in ("max_alerts_per_hour", "max_prompts_per_hour"):
            if getattr(self, key) < 1:
                add((key,), f"{where}: {key!r} must be at least 1")
        if self.framing_after_s > self.framing_window_s:
            add(
                ("framing_after_s", "framing_window_s"),
                f"{where}: 'framing_after_s' is longer than 'framing_window_s', so the "
                "framing prompt could never be shown",
            )
        if (
            self.checkin_time
            and self.quiet_hours
            and in_quiet_hours(self.checkin_time, self.quiet_hours)
        ):
            add(
                ("checkin_time", "quiet_hours"),
                f"{where}: 'checkin_time' {self.checkin_time:%H:%M} falls in 'quiet_hours', "
                "so the check-in could never be shown",
            )
        return out


def raise_problems(where: str, problems: list[str]) -> None:
    """Raise the problems of one settings source as one UserError, if there are any.

    Each problem is a whole message that starts with ``where``. One is raised as it is;
    several are named together, the source once, as a plan's are (``plan._Problems``):
    told one per run, a user fixing a config.toml met the next only on the next start.
    """
    if len(problems) == 1:
        raise UserError(problems[0])
    if problems:
        listed = "; ".join(
            f"({i}) {text.removeprefix(f'{where}: ')}" for i, text in enumerate(problems, 1)
        )
        raise UserError(f"{where} is not valid ({len(problems)} problems): {listed}")


def _as_float(raw: Union[int, float]) -> float:
    """A TOML number as a float: infinity for a whole number no float holds (TOML's
    integers have no size limit, and ``float()`` raised OverflowError on one, an
    "internal error" where the setting's own range check now names it)."""
    try:
        return float(raw)
    except OverflowError:
        return math.inf


def _convert_setting(key: str, raw: Any, where: str) -> Any:
    if key.endswith("_s"):
        if isinstance(raw, bool):
            raise UserError(f"{where}: {key!r} must be seconds or a duration like '15m'")
        if isinstance(raw, (int, float)):
            seconds = _as_float(raw)
            if not math.isfinite(seconds):  # TOML has inf and nan; neither is a duration
                shown = (
                    f"a whole number of {len(str(abs(raw)))} digits"
                    if isinstance(raw, int)
                    else raw
                )
                raise UserError(f"{where}: {key!r} must be a finite number of seconds, not {shown}")
            return seconds
        if isinstance(raw, str):
            return control_mod.parse_duration(raw, f"{where}: {key!r}")
        raise UserError(f"{where}: {key!r} must be seconds or a duration like '15m'")
    if key in ("micro_prompts", "framing_prompts"):
        if not isinstance(raw, bool):
            raise UserError(f"{where}: {key!r} must be true or false")
        return raw
    if key in ("max_alerts_per_hour", "max_prompts_per_hour"):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise UserError(f"{where}: {key!r} must be a whole number")
        return raw
    if key == "alert_bad_share":
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise UserError(f"{where}: 'alert_bad_share' must be a number in (0, 1]")
        return _as_float(raw)
    if key == "checkin_time":
        # `raw is False`, not `raw in (False, ...)`: 0 == False, and 0 is no time of day.
        if raw is False or raw is None or (isinstance(raw, str) and raw.strip().lower() == "off"):
            return None
        return _parse_clock(raw, key, where)
    if key == "quiet_hours":
        if (
            raw is False
            or raw is None
            or (isinstance(raw, str) and raw.strip().lower() in ("off", ""))
        ):
            return None
        if not isinstance(raw, str) or raw.count("-") != 1:
            raise UserError(f"{where}: 'quiet_hours' must look like '22:00-07:00' or 'off'")
        a, b = raw.split("-")
        for part in (a, b):
            if not _is_clock(part):
                # "must be a time like '17:30' (got '22')" for "22-7" led to
                # quiet_hours = "22:00", refused in turn as no range: say both at once
                raise UserError(
                    f"{where}: 'quiet_hours' must look like '22:00-07:00' or 'off' (got "
                    f"{raw!r}: {part.strip()!r} is not a time like '17:30')"
                )
        start, end = _parse_clock(a, key, where), _parse_clock(b, key, where)
        if start == end:
            raise UserError(f"{where}: 'quiet_hours' start and end are the same")
        return (start, end)
    raise AssertionError(key)  # pragma: no cover - every field is handled above


def _parse_clock(raw: Any, key: str, where: str) -> time:
    if isinstance(raw, time):  # TOML local time
        return raw
    if isinstance(raw, str):
        try:  # any decimal digits, as durations take them (dates.ascii_digits)
            return datetime.strptime(ascii_digits(raw).strip(), "%H:%M").time()
        except ValueError:
            pass
    if isinstance(raw, (date, datetime)):
        # as written in the file, not Python's "datetime.datetime(1979, 5, 27, 7, 32)"
        got = f"{raw.isoformat()}, a date{'-time' if isinstance(raw, datetime) else ''}"
        raise UserError(
            f"{where}: {key!r} must be a time of day like '17:30', in quotes (got {got})"
        )
    raise UserError(f"{where}: {key!r} must be a time like '17:30' (got {raw!r})")


def _is_clock(raw: str) -> bool:
    try:
        _parse_clock(raw, "", "")
    except UserError:
        return False
    return True


def in_quiet_hours(t: time, quiet: tuple[time, time]) -> bool:
    start, end = quiet
    if start < end:
        return start <= t < end
    return t >= start or t < end  # wraps midnight


# --------------------------------------------------------------------------- engine I/O
@dataclass(frozen=True)
class Action:
    """A notification button the user pressed, fed back into the engine."""

    prompt_id: int
    action: str  # "done", "snooze", "no_headache", "headache"
    kind: str = ""  # the prompt's kind
    exercise: Optional[str] = None
    #: a Snooze's length as its button's label said (None: ``snooze_button_s``); a prompt
    #: shown before the settings changed keeps the length it was labelled with
    snooze_s: Optional[float] = None


@dataclass(frozen=True)
class Observation:
    """One decision as the coach sees it, plus what the user asked (pause/snooze)."""

    now: datetime
    state: PostureState
    paused: bool = False
    snooze_until: Optional[datetime] = None  # from the control file
    actions: tuple[Action, ...] = ()
    cut_off: bool = False  # the frame edge cut the user off: ``state`` held, not seen
    #: when the control file was last written (by pause, snooze or resume): a file that
    #: asks for neither pause nor snooze and was written after a Snooze button was
    #: pressed is a `resume`, which lifts that button's snooze too
    control_updated: Optional[datetime] = None
    #: when `posture-guard done` last answered a break prompt (from the control file): the
    #: user took the break, as when they press the prompt's Done button
    break_done_at: Optional[datetime] = None


@dataclass(frozen=True)
class Notify:
    """Show a notification. ``kind``: "posture", "break", "exercise" (the plan's),
    "framing", "micro", "checkin" or "diary" (how to add a headache, after the check-in's
    "I had a headache" button). ``day``: the day a "diary" hint is about, so the shell can
    name the database a replay records it in (see :func:`headache_add_hint`)."""

    prompt_id: int
    kind: str
    title: str
    body: str
    exercise: Optional[str] = None
    buttons: tuple[tuple[str, str], ...] = ()
    day: Optional[date] = None


@dataclass(frozen=True)
class Note:
    """A quiet acknowledgement: printed or logged, never a notification."""

    text: str


@dataclass(frozen=True)
class Event:
    kind: str
    at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DiaryCheckIn:
    """Record ``day`` as headache-free in the headache diary: the user pressed "No
    headache" on the check-in for that day (the day asked about, not the day pressed)."""

    prompt_id: int
    day: date


@dataclass(frozen=True)
class EndTypedSnooze:
    """End the `snooze` typed before a Snooze button pressed at ``pressed`` at the
    button's ``until``, in the control file: the latest snooze asked wins. The file is
    where the camera's release, `status` and the tray read the typed snooze."""

    pressed: datetime
    until: datetime


Effect = Union[Notify, Note, Event, DiaryCheckIn, EndTypedSnooze]


@dataclass(frozen=True)
class Span:
    """Observed time [start, end) in one posture state."""

    start: datetime
    end: datetime
    state: PostureState


@dataclass(frozen=True)
class CoachState:
    """Everything the engine remembers between decisions (immutable)."""

    last_t: Optional[datetime] = None
    last_state: Optional[PostureState] = None
    spans: tuple[Span, ...] = ()  # observed time within the last alert_hold_s
    sitting_since: Optional[datetime] = None
    away_since: Optional[datetime] = None
    good_since: Optional[datetime] = None
    alerts: tuple[datetime, ...] = ()  # posture alerts within the last hour
    last_alert_at: Optional[datetime] = None
    praise_for: Optional[int] = None  # alert prompt awaiting a quiet acknowledgement
    last_break_prompt_at: Optional[datetime] = None
    # break prompts since the sitting clock started: each one ignored waits longer
    break_prompts: int = 0
    last_micro_at: Optional[datetime] = None
    last_notified_at: Optional[datetime] = None
    # prompts shown within the last hour, of every kind (max_prompts_per_hour)
    notified: tuple[datetime, ...] = ()
    recent_exercises: tuple[str, ...] = ()  # oldest first
    last_checkin_day: Optional[date] = None
    button_snooze_until: Optional[datetime] = None
    button_snoozed_at: Optional[datetime] = None  # when that Snooze button was pressed
    control_paused: bool = False
    control_snooze_until: Optional[datetime] = None
    next_prompt_id: int = 1
    plan_prompted_until: Optional[datetime] = None  # latest plan slot already prompted
    # its clock time: two slots may fall due at one moment (see Coach._plan_rule)
    plan_prompted_slot: Optional[time] = None
    cut_spans: tuple[tuple[datetime, datetime], ...] = ()  # cut off, within framing_window_s
    last_cut_off: bool = False  # whether the previous decision was cut off
    last_framing_day: Optional[date] = None
    # (prompt id, day asked about) of recent check-ins, so an answer pressed after
    # midnight still goes to the day the check-in was for
    checkin_prompts: tuple[tuple[int, date], ...] = ()
    # the last local day the user was seen at the desk, and a day before today whose
    # check-in never came (held back past the user's leaving or midnight), still to ask
    last_present_day: Optional[date] = None
    checkin_owed: Optional[date] = None
    # the day whose diary was read when its own check-in came due: read once, not at
    # every decision the gap or the hourly cap holds the check-in back
    checkin_diary_read: Optional[date] = None


@dataclass(frozen=True)
class CoachMemory:
    """What a live coach keeps across restarts of the monitor (``coach.json`` in the state
    folder). A restart (a crash that systemd restarts, logging out and in, `run` started
    again) must not reset the limits that keep the coach from spamming: the check-in and
    the framing prompt come once a day, the alerts of the last hour still count against
    the hourly cap and the last alert against the cool-down, however long it is set (as
    does the last break prompt, which starts it too), the last notification against the
    gap between two and the prompts of the last hour against the cap on all of them, a
    therapist-plan dose already prompted is not prompted again, a Snooze button pressed
    keeps the coach silent for its time, and the exercises go on rotating (not the same
    twice in a row). The rest of the state (sitting time, spans of posture) describes what
    the camera saw, which a new session sees afresh; so does the break prompt's back-off,
    which counts the prompts of one sitting (a new session's first break prompt comes
    after ``break_after_s``, later than any repeat but the last)."""

    last_checkin_day: Optional[date] = None
    last_framing_day: Optional[date] = None
    alerts: tuple[datetime, ...] = ()  # posture alerts of the last hour, oldest first
    last_notified_at: Optional[datetime] = None
    # the latest therapist-plan slot already prompted: without it a restarted monitor
    # prompted the same dose again, up to PLAN_LATE_S after its slot
    plan_prompted_until: Optional[datetime] = None
    # the last break prompt, which starts the posture cool-down as an alert does
    last_break_prompt_at: Optional[datetime] = None
    # (pressed, until) of the notification's Snooze button: the control file keeps the
    # `snooze` command's, this keeps the button's
    button_snooze: Optional[tuple[datetime, datetime]] = None
    # exercise ids of the rotation, oldest first: without them every session began it
    # again, and a monitor restarted often suggested the chin tuck in every alert
    recent_exercises: tuple[str, ...] = ()
    # prompts of the last hour, oldest first (max_prompts_per_hour): without them a
    # restarted monitor could show another 6 in the hour; absent from older files
    notified: tuple[datetime, ...] = ()
    # the last posture alert, however long ago: ``alerts`` keeps only the last hour, and
    # a cool-down set longer than that (``alert_cooldown_s`` up to a day) was forgotten
    # by a restart, which then alerted at once; absent from older files (``alerts`` then)
    last_alert_at: Optional[datetime] = None
    # the last day the user was at the desk and a past day whose check-in never came:
    # without them a monitor started the next morning (the laptop shut down overnight)
    # forgot the day it was to ask about; absent from older files
    last_present_day: Optional[date] = None
    checkin_owed: Optional[date] = None
    # (prompt id, day asked about) of the recent check-ins: without them a button pressed
    # on a check-in shown before a restart recorded nothing ('a check-in this session did
    # not show'); absent from older files
    checkin_prompts: tuple[tuple[int, date], ...] = ()
    # the clock time of the slot ``plan_prompted_until`` names: two slots may fall due at
    # one moment (a dose the clocks skipped going forward, and the dose an hour after
    # it); absent from older files, whose slot took every slot of its moment with it
    plan_prompted_slot: Optional[time] = None

    @classmethod
    def of(cls, st: CoachState) -> CoachMemory:
        return cls(
            st.last_checkin_day,
            st.last_framing_day,
            st.alerts,
            st.last_notified_at,
            st.plan_prompted_until,
            st.last_break_prompt_at,
            (
                (st.button_snoozed_at, st.button_snooze_until)
                if st.button_snoozed_at is not None and st.button_snooze_until is not None
                else None
            ),
            st.recent_exercises,
            st.notified,
            st.last_alert_at,
            st.last_present_day,
            st.checkin_owed,
            st.checkin_prompts,
            st.plan_prompted_slot,
        )


# --------------------------------------------------------------------------- prompt wording
_FAULT_WORDS = {
    PostureState.FORWARD_HEAD: (
        "Your head has drifted forward",
        "Your head has been ahead of your shoulders for most of the last {window}.",
    ),
    PostureState.RAISED_SHOULDERS: (
        "Your shoulders have crept up",
        "Your shoulders have been raised toward your ears for most of the last {window}.",
    ),
    PostureState.HEAD_TILT: (
        "Your head is tilted to one side",
        "Your head has been tilted for most of the last {window}.",
    ),
}


def human_duration(seconds: float) -> str:
    """'90 s', '2 min', '45 min', '1 h 30 min': short words for prompts."""
    s = int(round(seconds))
    if s < 60 or (s < 600 and s % 60):
        return f"{s} s"
    m = s // 60
    if m < 60:
        return f"{m} min"
    h, m = divmod(m, 60)
    return f"{h} h {m} min" if m else f"{h} h"


def exercise_line(ex: Exercise) -> str:
    return f"{ex.name}: {ex.short_text()}"


NOT_RECORDED_UNKNOWN_PROMPT = (
    "'No headache' was pressed on a check-in this session did not show, so no day was "
    "recorded; use `posture-guard checkin --none --date YYYY-MM-DD`."
)


def headache_add_hint(day: Optional[date], db: Optional[str] = None, replay: bool = False) -> str:
    """What to run to add the headache the check-in's "I had a headache" button reported.

    A replay's check-in is about the replay's database: ``db`` (its ``--db``) is named in
    the command, as :func:`~posture_guard.notify.without_buttons` names it for the other
    buttons; a bare `headache add` put a recording's headache in the user's own diary.
    A replay with no database names no command at all (it takes no answer)."""
    when = f" --date {day.isoformat()}" if day is not None else ""
    if replay and db is None:
        of = f" for {day}" if day is not None else ""
        return (
            f"'I had a headache'{of} was not put in a diary: this replay logs to no "
            "database (with --db F it names the command that records it there)."
        )
    return (
        f"Add it to your headache diary: posture-guard headache add{when} --intensity N"
        f"{db_option(db)} "
        "(N: pain 1-10; add --start HH:MM, --duration and --medication if you know them). "
        "Until then the day counts as unknown."
    )


# --------------------------------------------------------------------------- the engine
class Coach:
    """The pure coaching engine. See :meth:`step`."""

    def __init__(
        self, settings: CoachSettings, library: Library, diary_knows: Optional[DiaryKnows] = None
    ):
        """``diary_knows(day)``: whether the diary already has an entry or a check-in for
        ``day``, so a late check-in does not ask about a day the user has recorded. None
        (no diary, as in a replay without a database): every such day is asked about."""
        settings.validate()
        self.settings = settings
        self.library = library
        self.diary_knows = diary_knows

    def initial(self, memory: Optional[CoachMemory] = None, first_prompt_id: int = 1) -> CoachState:
        """The state a session starts from: fresh, but for what ``memory`` carries over
        from the sessions before it."""
        m = memory if memory is not None else CoachMemory()
        alerts = m.alerts
        known = [*alerts, m.last_alert_at] if m.last_alert_at is not None else list(alerts)
        return CoachState(
            last_checkin_day=m.last_checkin_day,
            last_framing_day=m.last_framing_day,
            alerts=alerts,
            last_alert_at=max(known) if known else None,
            last_notified_at=m.last_notified_at,
            plan_prompted_until=m.plan_prompted_until,
            plan_prompted_slot=m.plan_prompted_slot,
            # The sitting clock starts afresh, so this only keeps the break prompt's
            # posture cool-down (the break rule counts prompts since sitting down).
            last_break_prompt_at=m.last_break_prompt_at,
            button_snoozed_at=m.button_snooze[0] if m.button_snooze else None,
            button_snooze_until=m.button_snooze[1] if m.button_snooze else None,
            recent_exercises=m.recent_exercises,
            notified=m.notified,
            last_present_day=m.last_present_day,
            checkin_owed=m.checkin_owed,
            checkin_prompts=m.checkin_prompts,
            next_prompt_id=first_prompt_id,
        )

    def step(self, st: CoachState, obs: Observation) -> tuple[CoachState, list[Effect]]:
        """Advance to ``obs.now`` with the decision ``obs.state``; return effects.

        At most one notification per step. Priority when several are due: break (it
        carries a stretch), posture alert, framing, check-in, the plan's exercise, eye
        rest: the two once a day before the ones that recur, so that with the hourly cap
        full they are not pushed back again and again (eye rests every 10 min held the
        check-in back 75 min). The others wait for ``min_gap_s`` (and, with
        ``max_prompts_per_hour`` shown in the last hour, for the oldest of them to be an
        hour old). The reply to a check-in's "I had a headache" button is shown at once
        and counts as that step's notification.
        """
        cfg = self.settings
        now = obs.now
        fx: list[Effect] = []
        if st.last_t is not None and now < st.last_t:
            now = st.last_t  # decisions come in time order; never let time run back

        st = self._control(st, obs, now, fx)
        st = self._actions(st, obs, now, fx)
        st = self._cut_timeline(st, obs.cut_off, now)  # before _timeline moves last_t
        st, gap = self._timeline(st, obs.state, now)
        st = self._presence(st, obs.state, obs.cut_off, now, gap, fx)
        if obs.state is not PostureState.ABSENT or obs.cut_off:
            st = self._present_on(st, now.date())

        # Quiet acknowledgement of a corrected posture: a note, never a notification.
        if (
            st.praise_for is not None
            and st.good_since is not None
            and st.last_alert_at is not None
            and st.good_since >= st.last_alert_at
            and (now - st.good_since).total_seconds() >= cfg.praise_after_s
        ):
            after = (now - st.last_alert_at).total_seconds()
            fx.append(Note("Nice: head and shoulders back in line. Keep it easy."))
            fx.append(
                Event("posture_corrected", now, {"prompt": st.praise_for, "after_s": round(after)})
            )
            st = replace(st, praise_for=None)

        hour_ago = now - timedelta(hours=1)
        st = replace(
            st,
            alerts=tuple(a for a in st.alerts if a > hour_ago),
            notified=tuple(a for a in st.notified if a > hour_ago),
        )

        # A state read absent while the frame edge cuts someone off is a user who sat down
        # too close to be measured (the state held as absent): only the framing prompt,
        # which is the cure, may speak to them. An empty desk gets nothing.
        away = obs.state is PostureState.ABSENT
        if self._silenced(st, now) or (away and not obs.cut_off):
            return st, fx
        if st.last_notified_at is not None and _secs(now - st.last_notified_at) < cfg.min_gap_s:
            return st, fx
        if len(st.notified) >= cfg.max_prompts_per_hour:
            return st, fx
        st = self._drop_known_owed(st, now.date())
        st = self._drop_known_today(st, now)

        rules = (
            self._break_rule,
            self._alert_rule,
            self._framing_rule,
            self._checkin_rule,
            self._plan_rule,
            self._micro_rule,
        )
        for rule in (self._framing_rule,) if away else rules:
            new_st, new_fx = rule(st, obs.state, now)
            if new_fx:
                fx.extend(new_fx)
                return replace(new_st, last_notified_at=now, notified=(*st.notified, now)), fx
        return st, fx

    def idle(
        self,
        st: CoachState,
        now: datetime,
        paused: bool = False,
        snooze_until: Optional[datetime] = None,
        actions: tuple[Action, ...] = (),
        control_updated: Optional[datetime] = None,
        break_done_at: Optional[datetime] = None,
    ) -> tuple[CoachState, list[Effect]]:
        """What :meth:`step` does before it looks at posture, for a moment with no
        decision: the camera released (pause, snooze, screen lock, quiet hours) or
        unavailable, or the session ending.

        The control file and the buttons pressed take effect when they are read, under
        the same rules as in a step (a resume lifts a button snooze; a Snooze button sets
        one, also during a pause), so a Done pressed during a pause is logged when it was
        pressed, not hours later at the next decision. The posture timeline, the sitting
        clock and the prompt rules wait for the next decision: the time without one stays
        unobserved, as in a step after a long gap.
        """
        if st.last_t is not None and now < st.last_t:
            now = st.last_t  # as in step: time never runs back
        fx: list[Effect] = []
        obs = Observation(
            now,
            PostureState.ABSENT,
            paused,
            snooze_until,
            actions,
            control_updated=control_updated,
            break_done_at=break_done_at,
        )
        st = self._control(st, obs, now, fx)
        st = self._actions(st, obs, now, fx)
        return st, fx

    # ----------------------------------------------------------------- step parts
    def _control(
        self, st: CoachState, obs: Observation, now: datetime, fx: list[Effect]
    ) -> CoachState:
        resumed = False
        if obs.paused and not st.control_paused:
            fx.append(Event("pause", now, {"source": "control"}))
        until = obs.snooze_until
        if st.control_paused and not obs.paused and not (until is not None and until > now):
            # a pause lifted by a snooze (`snooze` ends a pause) is no resume: the coach
            # stays silent, and the snooze is logged below
            resumed = True
        echo = (  # the typed snooze a Snooze button ended (EndTypedSnooze): no new ask
            until is not None
            and st.button_snooze_until is not None
            and st.button_snoozed_at is not None
            and abs(_secs(until - st.button_snooze_until)) < 0.01
            and (obs.control_updated is None or obs.control_updated <= st.button_snoozed_at)
        )
        if until != st.control_snooze_until and not echo:
            if until is not None and until > now:
                fx.append(Event("snooze", now, {"until": until.isoformat(), "source": "control"}))
            elif st.control_snooze_until is not None and st.control_snooze_until > now:
                resumed = True  # a snooze was lifted before it ran out
        if (
            st.button_snoozed_at is not None
            and obs.control_updated is not None
            and obs.control_updated > st.button_snoozed_at
            and not obs.paused
        ):
            if until is None or until <= now:
                # `resume` after a Snooze button: the file changed nothing the engine saw,
                # yet the user asked for the coach back ("Coaching resumed." it told them)
                resumed = True
            else:
                # `snooze 5m` after a 15-min Snooze button: the latest snooze asked wins,
                # as a `snooze` replaces an earlier one. Kept, the button's was lifted
                # only when the typed one ran out, logged as a "resume" nobody typed.
                st = replace(st, button_snooze_until=None, button_snoozed_at=None)
        if resumed:
            fx.append(Event("resume", now, {"source": "control"}))
            st = replace(st, button_snooze_until=None, button_snoozed_at=None)
        done = obs.break_done_at
        if st.sitting_since is not None and done is not None and st.sitting_since < done <= now:
            # `posture-guard done` answered a break prompt (it logged the exercise_done):
            # the sitting clock and the back-off start again from that moment, as for the
            # button. A done before this sitting began (an old file) says nothing of it.
            st = replace(st, sitting_since=done, break_prompts=0)
        return replace(st, control_paused=obs.paused, control_snooze_until=until)

    def _actions(
        self, st: CoachState, obs: Observation, now: datetime, fx: list[Effect]
    ) -> CoachState:
        for a in obs.actions:
            if a.action == "done":
                fx.append(
                    Event(
                        "exercise_done",
                        now,
                        {"prompt": a.prompt_id, "kind": a.kind, "exercise": a.exercise},
                    )
                )
                if a.kind == "break" and st.sitting_since is not None:
                    # the user says they took the break (maybe standing in view): the
                    # sitting clock and the break prompt's back-off start again
                    st = replace(st, sitting_since=now, break_prompts=0)
            elif a.action == "snooze":
                length = a.snooze_s if a.snooze_s is not None else self.settings.snooze_button_s
                until = now + timedelta(seconds=length)
                st = replace(st, button_snooze_until=until, button_snoozed_at=now)
                fx.append(
                    Event(
                        "snooze",
                        now,
                        {"until": until.isoformat(), "source": "button", "prompt": a.prompt_id},
                    )
                )
                typed = st.control_snooze_until
                if not st.control_paused and typed is not None and typed > until:
                    # during a longer `snooze`: the latest asked wins, as a `snooze` typed
                    # after the button replaces the button's. Kept, the typed one held the
                    # camera closed and the coach silent for its hours: the button did
                    # nothing a user could see.
                    fx.append(EndTypedSnooze(now, until))
            elif a.action in ("no_headache", "headache"):
                st = self._checkin_answer(st, a, now, fx)
        return st

    def _checkin_answer(
        self, st: CoachState, a: Action, now: datetime, fx: list[Effect]
    ) -> CoachState:
        """A check-in button. "No headache" asks the shell to record the day in the diary
        (a day without an entry is unknown, not headache-free); "I had a headache" gets a
        notification saying how to add the entry, since a button cannot take the details.
        That reply comes at once, whatever the gap since the last prompt: the user has
        just pressed a button and is waiting for an answer."""
        day = dict(st.checkin_prompts).get(a.prompt_id)
        payload: dict[str, Any] = {"answer": a.action, "prompt": a.prompt_id}
        if day is not None:
            payload["day"] = day.isoformat()
        fx.append(Event("checkin_answered", now, payload))
        if a.action == "no_headache":
            if day is None:
                fx.append(Note(NOT_RECORDED_UNKNOWN_PROMPT))
            else:
                fx.append(DiaryCheckIn(a.prompt_id, day))
            return st
        pid = st.next_prompt_id
        hint = headache_add_hint(day)
        fx.append(Notify(pid, "diary", "Note your headache", hint, None, (), day=day))
        return replace(st, next_prompt_id=pid + 1, last_notified_at=now)

    def _timeline(
        self, st: CoachState, state: PostureState, now: datetime
    ) -> tuple[CoachState, float]:
        """Extend the previous state up to now (at most max_sample_gap_s); return the
        unobserved part of the gap in seconds."""
        cfg = self.settings
        spans = list(st.spans)
        unobserved = 0.0
        if st.last_t is not None and st.last_state is not None:
            gap = _secs(now - st.last_t)
            covered = min(gap, cfg.max_sample_gap_s)
            unobserved = gap - covered
            end = st.last_t + timedelta(seconds=covered)
            if end > st.last_t:
                if spans and spans[-1].state == st.last_state and spans[-1].end == st.last_t:
                    spans[-1] = replace(spans[-1], end=end)
                else:
                    spans.append(Span(st.last_t, end, st.last_state))
        window_start = now - timedelta(seconds=cfg.alert_hold_s)
        spans = [s for s in spans if s.end > window_start]
        return replace(st, spans=tuple(spans), last_t=now, last_state=state), unobserved

    def _cut_timeline(self, st: CoachState, cut_off: bool, now: datetime) -> CoachState:
        """Extend a cut-off stretch up to now (as :meth:`_timeline` extends a state) and
        keep only what falls within ``framing_window_s``."""
        cfg = self.settings
        spans = list(st.cut_spans)
        if st.last_t is not None and st.last_cut_off:
            end = min(now, st.last_t + timedelta(seconds=cfg.max_sample_gap_s))
            if end > st.last_t:
                if spans and spans[-1][1] == st.last_t:
                    spans[-1] = (spans[-1][0], end)
                else:
                    spans.append((st.last_t, end))
        window_start = now - timedelta(seconds=cfg.framing_window_s)
        spans = [(max(a, window_start), b) for a, b in spans if b > window_start]
        return replace(st, cut_spans=tuple(spans), last_cut_off=cut_off)

    def _presence(
        self,
        st: CoachState,
        state: PostureState,
        cut_off: bool,
        now: datetime,
        gap: float,
        fx: list[Effect],
    ) -> CoachState:
        cfg = self.settings
        if gap >= cfg.break_reset_s and st.sitting_since is not None:
            fx.append(Event("sitting_reset", now, {"gap_s": round(gap)}))
            st = replace(st, sitting_since=None, away_since=None, break_prompts=0)
        if state is PostureState.ABSENT and cut_off:
            # Absent only because the frame edge has cut the user off for longer than
            # the decision holds a state (leaned in for over ten minutes, or sat down too
            # close): someone user-sized is there, so this is no time away and earns no
            # break. An absence before it ends here as a return does; the sitting clock
            # keeps what it had, and does not start (sitting down was not seen).
            return replace(self._end_absence(st, now, fx), good_since=None)
        if state is PostureState.ABSENT:
            away_since = st.away_since or now
            st = replace(st, away_since=away_since, good_since=None)
            away = _secs(now - away_since)
            if st.sitting_since is not None and away >= cfg.break_reset_s:
                st = self._break_taken(st, now, fx)
            return st
        st = self._end_absence(st, now, fx)
        good_since = (st.good_since or now) if state is PostureState.GOOD else None
        return replace(st, sitting_since=st.sitting_since or now, good_since=good_since)

    def _present_on(self, st: CoachState, today: date) -> CoachState:
        """The user is at the desk on ``today``. On the first such decision of a day, the
        last day they were at the desk before it becomes the day a late check-in asks about
        when its own check-in never came (it replaces an older one: only the last day
        monitored is asked about)."""
        last = st.last_present_day
        if last is not None and last >= today:
            return st
        owed = st.checkin_owed
        if last is not None:
            asked = st.last_checkin_day is not None and st.last_checkin_day >= last
            recent = (today - last).days <= CHECKIN_CATCH_UP_DAYS
            owed = last if recent and not asked else None
        return replace(st, last_present_day=today, checkin_owed=owed)

    def _end_absence(self, st: CoachState, now: datetime, fx: list[Effect]) -> CoachState:
        """Someone is back: an absence of ``break_reset_s`` or more was a break (its last
        absent sample may have fallen just short of the threshold)."""
        if st.away_since is not None and st.sitting_since is not None:
            if _secs(now - st.away_since) >= self.settings.break_reset_s:
                st = self._break_taken(st, now, fx)
        return replace(st, away_since=None)

    def _break_taken(self, st: CoachState, now: datetime, fx: list[Effect]) -> CoachState:
        """Log the break (away since ``away_since``) and restart the sitting clock."""
        assert st.away_since is not None and st.sitting_since is not None
        away = _secs(now - st.away_since)
        sat = _secs(st.away_since - st.sitting_since)
        fx.append(Event("break_taken", now, {"away_s": round(away), "sat_min": round(sat / 60)}))
        return replace(st, sitting_since=None, last_micro_at=None, break_prompts=0)

    def _silenced(self, st: CoachState, now: datetime) -> bool:
        if st.control_paused:
            return True
        for until in (st.control_snooze_until, st.button_snooze_until):
            if until is not None and now < until:
                return True
        quiet = self.settings.quiet_hours
        return quiet is not None and in_quiet_hours(now.time(), quiet)

    # ----------------------------------------------------------------- prompt rules
    def _break_rule(
        self, st: CoachState, state: PostureState, now: datetime
    ) -> tuple[CoachState, list[Effect]]:
        cfg = self.settings
        if st.sitting_since is None:
            return st, []
        sat = _secs(now - st.sitting_since)
        if sat < cfg.break_after_s:
            return st, []
        last = st.last_break_prompt_at
        if last is not None and last >= st.sitting_since and st.break_prompts > 0:
            # ignored: 20, 40, then every 60 min (break_repeat_s steps up to
            # break_repeat_max_s; a break_repeat_s set longer than that holds as set)
            wait = max(
                cfg.break_repeat_s,
                min(st.break_prompts * cfg.break_repeat_s, cfg.break_repeat_max_s),
            )
            if _secs(now - last) < wait:
                return st, []
        ex = pick_exercise(self.library, "break", st.recent_exercises)
        pid = st.next_prompt_id
        minutes = human_duration(sat - sat % 60)
        body = (
            f"You've been at the desk for {minutes}. Stand up and move for a few minutes. "
            f"{exercise_line(ex)}"
        )
        fx: list[Effect] = [
            Notify(pid, "break", "Time for a short break", body, ex.id, self._buttons()),
            Event("break_prompted", now, {"sitting_min": round(sat / 60), "prompt": pid}),
            Event("exercise_prompted", now, {"exercise": ex.id, "for": "break", "prompt": pid}),
        ]
        return (
            self._used(st, ex, pid, last_break_prompt_at=now, break_prompts=st.break_prompts + 1),
            fx,
        )

    def _alert_rule(
        self, st: CoachState, state: PostureState, now: datetime
    ) -> tuple[CoachState, list[Effect]]:
        cfg = self.settings
        if not state.is_bad:
            return st, []
        since = [t for t in (st.last_alert_at, st.last_break_prompt_at) if t is not None]
        if since and _secs(now - max(since)) < cfg.alert_cooldown_s:
            return st, []
        if len(st.alerts) >= cfg.max_alerts_per_hour:
            return st, []
        per_state = self.bad_time(st, now)
        bad = sum(per_state.values())
        if bad < cfg.alert_bad_share * cfg.alert_hold_s:
            return st, []
        fault = max(per_state, key=lambda s: (per_state[s], s is state))
        ex = pick_exercise(self.library, fault.value, st.recent_exercises)
        pid = st.next_prompt_id
        title, lead = _FAULT_WORDS[fault]
        body = f"{lead.format(window=human_duration(cfg.alert_hold_s))} {exercise_line(ex)}"
        share = round(bad / cfg.alert_hold_s, 2)
        fx: list[Effect] = [
            Notify(pid, "posture", title, body, ex.id, self._buttons()),
            Event(
                "alert",
                now,
                {
                    "fault": fault.value,
                    "bad_share": share,
                    "window_s": cfg.alert_hold_s,
                    "prompt": pid,
                },
            ),
            Event("exercise_prompted", now, {"exercise": ex.id, "for": fault.value, "prompt": pid}),
        ]
        st = replace(st, alerts=(*st.alerts, now), last_alert_at=now, praise_for=pid)
        return self._used(st, ex, pid), fx

    def _plan_rule(
        self, st: CoachState, state: PostureState, now: datetime
    ) -> tuple[CoachState, list[Effect]]:
        """A prescribed exercise of the therapist's plan whose time has come (issue 6).

        The latest of today's slots that is due, not prompted yet and at most
        ``PLAN_LATE_S`` old. Slots that came due before it while no prompt could be shown
        (away, or silenced) were missed and are not piled up: the schedule keeps doses
        ``plan.MIN_SLOT_SPACING_MIN`` apart, and catching up on them one a minute brought a
        user back from lunch to a prompt a minute, the same exercise among them. Slots
        come from ``settings.plan_slots`` (plan.schedule_day).

        A slot is known by its moment and its clock time: on the night the clocks go
        forward a dose the clock skipped (02:30) comes at the moment of the dose an hour
        after it (03:30), and by moment alone the one prompted took the other with it, a
        dose lost. Of two due at one moment the earlier clock time comes first, the other
        once the gap allows. Moments are not in the slots' order that night (02:30's comes
        after 03:10's), so every slot is looked at.
        """
        slots = self.settings.plan_slots
        if slots is None:
            return st, []
        due: Optional[tuple[datetime, time, Exercise]] = None
        done_until, done_slot = st.plan_prompted_until, st.plan_prompted_slot
        for at_t, ex_id in slots(now.date()):
            at = local_moment(now.date(), at_t, now)
            if at > now or _secs(now - at) > PLAN_LATE_S:
                continue
            if done_until is not None and (
                at < done_until or (at == done_until and (done_slot is None or at_t <= done_slot))
            ):
                continue
            if due is not None and at <= due[0]:
                continue  # the latest due; of two at one moment, the earlier clock time
            try:
                due = (at, at_t, self.library.by_id(ex_id))
            except KeyError:
                continue
        if due is None:
            return st, []
        at, at_t, ex = due
        pid = st.next_prompt_id
        body = f"From your therapist's plan: {ex.short_text()}"
        fx: list[Effect] = [
            Notify(
                pid,
                "exercise",
                f"Time for your {ex.name_in_sentence()}",
                body,
                ex.id,
                self._buttons(),
            ),
            Event(
                "exercise_prompted",
                now,
                {"exercise": ex.id, "for": "plan", "slot": f"{at_t:%H:%M}", "prompt": pid},
            ),
        ]
        # The dose joins the rotation, so a break prompt or an alert right after it does
        # not suggest the same exercise again.
        return self._used(st, ex, pid, plan_prompted_until=at, plan_prompted_slot=at_t), fx

    def _framing_rule(
        self, st: CoachState, state: PostureState, now: datetime
    ) -> tuple[CoachState, list[Effect]]:
        """Once a day: the frame edge cut the user off for ``framing_after_s`` of the last
        ``framing_window_s``, so say so and advise setting the camera back. A user cut off
        from the moment they sat down reads absent, and is told that too."""
        cfg = self.settings
        if not cfg.framing_prompts or st.last_framing_day == now.date():
            return st, []
        cut = sum(_secs(b - a) for a, b in st.cut_spans)
        if cut < cfg.framing_after_s:
            return st, []
        pid = st.next_prompt_id
        body = (
            f"For {human_duration(cut - cut % 60)} of the last "
            f"{human_duration(cfg.framing_window_s)} your face or shoulders were out of the "
            f"camera's picture (leaning toward the screen), and {SET_CAMERA_BACK}."
        )
        if state is PostureState.ABSENT:
            body += " Until then, this time counts as away from the desk."
        fx: list[Effect] = [
            Notify(pid, "framing", "You are often out of the picture", body, None, ()),
            Event(
                "framing_prompted",
                now,
                {"cut_off_s": round(cut), "window_s": cfg.framing_window_s, "prompt": pid},
            ),
        ]
        return replace(st, last_framing_day=now.date(), next_prompt_id=pid + 1), fx

    def _micro_rule(
        self, st: CoachState, state: PostureState, now: datetime
    ) -> tuple[CoachState, list[Effect]]:
        cfg = self.settings
        if not cfg.micro_prompts or st.sitting_since is None:
            return st, []
        ref = max(t for t in (st.sitting_since, st.last_micro_at) if t is not None)
        if _secs(now - ref) < cfg.micro_every_s:
            return st, []
        ex = pick_exercise(self.library, "micro", ())
        pid = st.next_prompt_id
        fx: list[Effect] = [
            Notify(pid, "micro", "Rest your eyes", ex.short_text(), ex.id, ()),
            Event("micro_prompted", now, {"exercise": ex.id, "prompt": pid}),
        ]
        # the eye rest is not a neck exercise, so it does not enter the rotation
        return replace(st, last_micro_at=now, next_prompt_id=pid + 1), fx

    def _checkin_rule(
        self, st: CoachState, state: PostureState, now: datetime
    ) -> tuple[CoachState, list[Effect]]:
        """The end-of-day check-in, and first the late one for a past day whose own never
        came (see :meth:`_present_on`): once, about that day, its buttons recording that
        day, unless the diary already knows it or it is over
        :data:`CHECKIN_CATCH_UP_DAYS` back."""
        at = self.settings.checkin_time
        if at is None:
            return st, []
        today = now.date()
        if st.checkin_owed is not None:  # still to ask: see _drop_known_owed
            return self._ask_checkin(replace(st, checkin_owed=None), now, st.checkin_owed)
        if now.time() < at or st.last_checkin_day == today:
            return st, []
        return self._ask_checkin(st, now, today)

    def _drop_known_owed(self, st: CoachState, today: date) -> CoachState:
        """Forget the past day a late check-in would ask about when there is no asking it
        (no check-in, the diary knows the day, or it is too far back). Done before the
        rules, not in :meth:`_checkin_rule`, since a rule's state counts only with a
        notification, and the diary would be read again at every decision."""
        owed = st.checkin_owed
        if owed is None:
            return st
        if (
            self.settings.checkin_time is None
            or not 0 < (today - owed).days <= CHECKIN_CATCH_UP_DAYS
            or self._diary_has(owed)
        ):
            return replace(st, checkin_owed=None)
        return st

    def _drop_known_today(self, st: CoachState, now: datetime) -> CoachState:
        """Count today's own check-in as come when, at its time, the diary already knows
        the day (`checkin --none` or `headache add` earlier that day): asked anyway, the
        user answered a question already answered. The diary is read once a day, when the
        check-in comes due (before the rules, as in :meth:`_drop_known_owed`)."""
        at = self.settings.checkin_time
        today = now.date()
        if (
            at is None
            or now.time() < at
            or st.last_checkin_day == today
            or st.checkin_diary_read == today
        ):
            return st
        st = replace(st, checkin_diary_read=today)
        if self._diary_has(today):
            last = today if st.last_checkin_day is None else max(st.last_checkin_day, today)
            return replace(st, last_checkin_day=last)
        return st

    def _diary_has(self, day: date) -> bool:
        """Whether the diary has an entry or a check-in for ``day``; a diary that cannot be
        read (a locked database) knows nothing, and the question is asked."""
        if self.diary_knows is None:
            return False
        try:
            return self.diary_knows(day)
        except Exception as exc:  # the coaching goes on; the user answers once more
            log.warning("cannot read the headache diary for %s: %s", day, exc)
            return False

    def _ask_checkin(
        self, st: CoachState, now: datetime, day: date
    ) -> tuple[CoachState, list[Effect]]:
        """The check-in notification about ``day`` (today, or a past day not asked)."""
        pid = st.next_prompt_id
        payload: dict[str, Any] = {"day": day.isoformat(), "prompt": pid}
        if day == now.date():
            title = "End-of-day check-in"
            body = (
                "Did you have a headache today? If so, note it in your headache diary: when "
                "it started, how strong it was and what helped."
            )
        else:
            named = f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
            if day == now.date() - timedelta(days=1):
                title, question = "Check-in for yesterday", f"How was yesterday, {named}?"
            else:
                title, question = f"Check-in for {named}", f"How was {named}?"
            body = (
                f"{question} The check-in could not come that day. Did you have a headache "
                "then? If so, note it in your headache diary: when it started, how strong "
                "it was and what helped."
            )
            payload["late"] = True
        fx: list[Effect] = [
            Notify(pid, "checkin", title, body, None, CHECKIN_BUTTONS),
            Event("checkin_prompted", now, payload),
        ]
        # a week of check-ins is more than any notification stays answerable
        asked = (*st.checkin_prompts, (pid, day))[-7:]
        last = day if st.last_checkin_day is None else max(st.last_checkin_day, day)
        return (
            replace(st, last_checkin_day=last, next_prompt_id=pid + 1, checkin_prompts=asked),
            fx,
        )

    # ----------------------------------------------------------------- helpers
    def bad_time(self, st: CoachState, now: datetime) -> dict[PostureState, float]:
        """Seconds spent in each bad state within the last ``alert_hold_s``."""
        start = now - timedelta(seconds=self.settings.alert_hold_s)
        out: dict[PostureState, float] = {}
        for s in st.spans:
            if not s.state.is_bad:
                continue
            overlap = _secs(min(s.end, now) - max(s.start, start))
            if overlap > 0:
                out[s.state] = out.get(s.state, 0.0) + overlap
        return out

    def _buttons(self) -> tuple[tuple[str, str], ...]:
        """A prompt's buttons, the Snooze one labelled with ``snooze_button_s``: it read
        "Snooze 15 min" whatever the setting, and the command printed in its place said
        `snooze 15m` while the button snoozed 45 min."""
        length = control_mod.format_duration(self.settings.snooze_button_s, exact=True)
        return (PROMPT_BUTTONS[0], ("snooze", f"Snooze {length}"))

    def _used(self, st: CoachState, ex: Exercise, pid: int, **changes: Any) -> CoachState:
        recent = tuple(e for e in st.recent_exercises if e != ex.id) + (ex.id,)
        return replace(st, recent_exercises=recent, next_prompt_id=pid + 1, **changes)


def _secs(delta: timedelta) -> float:
    return delta.total_seconds()


def local_moment(day: date, at: time, like: datetime) -> datetime:
    """The moment the local clock reads ``at`` on ``day``, in ``like``'s convention (naive
    in the engine's own tests, aware live).

    Why not ``datetime.combine(day, at, tzinfo=like.tzinfo)``: live, ``like`` carries the
    UTC offset of its own moment, so on the day the clocks change a plan's dose time got
    the offset in force when it was looked at, not its own: after the clocks went back
    the doses of the hour passed twice came due again and were prompted twice (02:30
    CEST, then 02:30 CET). The zone's rules for that day are used instead, as a naive
    local time's ``timestamp()`` applies them (the adherence report counts a dose due
    so): a time the clock passes twice is its first pass, and one it skips (02:30 when
    the clocks go forward at 02:00) is read with the offset before the change, the
    moment the clock shows 03:30."""
    if like.tzinfo is None:
        return datetime.combine(day, at)
    if isinstance(like.tzinfo, timezone):  # a fixed offset: the local zone made it
        instant = datetime.combine(day, at).timestamp()
        return datetime.fromtimestamp(instant, timezone.utc).astimezone()
    return datetime.combine(day, at, tzinfo=like.tzinfo).astimezone(timezone.utc)


# --------------------------------------------------------------------------- the shell
class CoachSink:
    """Feeds decisions to the :class:`Coach` and performs its effects.

    ``control`` (live runs only) is polled on every decision for pause/snooze, and the
    buttons pressed are read then too; between decisions (camera released or unavailable)
    the live loop calls :meth:`poll` for both, and :meth:`close` reads them a last time.
    ``heartbeat`` writes the monitor heartbeat every ``heartbeat_every_s`` of stream time,
    from decisions and polls alike, so `posture-guard status` can tell a monitor is
    running; ``memory_file`` keeps the :class:`CoachMemory` across restarts of a live
    monitor. A notification that
    could not be shown becomes a ``notification_failed`` event (the notifier itself
    decides how it still reaches the user, e.g. by printing).

    ``on_checkin(day)`` records a "No headache" answer in the headache diary. Left out, it
    is the diary of the database ``on_event`` logs to (when that is a Store's
    ``log_event``), so the answer lands next to the session's posture; with no database
    the answer is only an event and a quiet note says so. A day the diary refuses (it
    already has a headache entry) becomes a quiet note, never an error.
    """

    def __init__(
        self,
        session: SessionInfo,
        notifier: Notifier,
        settings: Optional[CoachSettings] = None,
        library: Optional[Library] = None,
        on_event: Optional[EventCallback] = None,
        control: Optional[control_mod.ControlPoller] = None,
        heartbeat: bool = False,
        memory_file: Optional[Path] = None,
        note_stream: Optional[IO[str]] = None,
        heartbeat_every_s: float = 10.0,
        on_checkin: Optional[CheckinCallback] = None,
        db: Optional[str] = None,
    ):
        self.session = session
        self.db = db
        self.on_checkin = on_checkin if on_checkin is not None else diary_writer(on_event)
        self.diary_knows = diary_reader(on_event)
        self.notifier = notifier
        self.coach = Coach(settings or CoachSettings(), library or load_library(), self.diary_knows)
        self.on_event = on_event
        self.control = control
        self.heartbeat = heartbeat
        self.memory_file = memory_file
        self.note_stream = note_stream
        self.heartbeat_every_s = heartbeat_every_s
        self.events: list[Event] = []
        self.notes: list[str] = []
        self.sent: list[tuple[Notify, Delivery]] = []
        self.unlogged: list[Event] = []  # events on_event could not take yet
        # "No headache" answers a locked database has not taken yet, and when to try again
        self.checkins_due: list[date] = []
        self._checkin_retry_at = 0.0
        self._log_warned = False
        self._prompts: dict[int, Notify] = {}
        # the Snooze length each prompt's button was labelled with (see Action.snooze_s)
        self._snooze_s: dict[int, float] = {}
        self._last_beat: Optional[float] = None
        self._last_t = float("-inf")  # the latest stream time seen (decision or poll)
        # the monitor's start, not this session's: `status` says since when it runs
        started = session.monitor_start
        self._started = started if started is not None else _time.time()
        # Prompt ids name a prompt in the log (a Done button answers "its" prompt), so they
        # must not repeat across sessions: start from the session's start in milliseconds.
        first_id = int(session.start.timestamp() * 1000)
        memory = read_memory(memory_file, session.start.timestamp())
        self.state = self.coach.initial(memory, first_prompt_id=first_id)
        self._memory = CoachMemory.of(self.state)

    def on_decision(self, decision: Decision) -> None:
        # Real elapsed seconds after the start, read on the local clock (aware): a naive
        # ``start + t`` would be an hour off after a DST change, silencing snoozes and
        # logging events at the wrong time.
        now = self.session.wall(decision.t)
        paused, snooze_until, actions, updated, break_done = self._asked(now)
        obs = Observation(
            now,
            decision.state,
            paused,
            snooze_until,
            actions,
            decision.cut_off,
            updated,
            break_done,
        )
        self.state, effects = self.coach.step(self.state, obs)
        self._settle(effects, now, decision.t)

    def poll(self, t: float) -> None:
        """A moment of stream time ``t`` with no decision: the live loop calls this about
        every second while the camera is released or unavailable.

        Without it nothing would read the buttons or the control file then: a Done
        pressed during a two-hour pause was logged two hours late (its prompt counted as
        ignored), or never if the session ended first; and the heartbeat went quiet, so
        `resume` said no monitor was running. Presses are stamped with the moment they
        are read here (see :meth:`Coach.idle`).
        """
        now = self.session.wall(t)
        paused, snooze_until, actions, updated, break_done = self._asked(now)
        self.state, effects = self.coach.idle(
            self.state,
            now,
            paused,
            snooze_until,
            actions,
            control_updated=updated,
            break_done_at=break_done,
        )
        self._settle(effects, now, t)

    def follow_settings(self, settings: CoachSettings, library: Library) -> None:
        """Coach by ``settings`` and ``library`` from the next decision on: the live loop
        took up an edited config.toml or a new plan (``settings_watch``). The state
        carries over, as :class:`CoachMemory` carries it over a restart, and more: the
        sitting clock and the posture of the last minutes too."""
        self.coach = Coach(settings, library, self.diary_knows)

    def tell(self, title: str, body: str) -> None:
        """A notification from the monitor itself, not a coach prompt (no pacing, no
        buttons): e.g. that an edited config.toml cannot be used."""
        self.notifier.send(Message(title=title, body=body, kind="monitor"))

    def _settle(self, effects: list[Effect], now: datetime, t: float) -> None:
        """After a step or an idle moment: perform its effects, keep the memory, retry a
        "No headache" a locked database refused, and tick the heartbeat."""
        for effect in effects:
            self._perform(effect, now)
        self._remember()
        self._retry_checkins(now)
        self._tick(t)

    def _remember(self) -> None:
        """Write the :class:`CoachMemory` when it changed (a few times a day: a check-in,
        an alert, a notification), so a restarted monitor keeps the coach's limits."""
        memory = CoachMemory.of(self.state)
        if memory != self._memory:
            self._memory = memory
            write_memory(self.memory_file, memory)

    def close(self, t_end: float) -> None:
        # A button pressed since the last decision or tick is still logged. ``t_end`` may
        # be the last analysed frame, long before a release that lasted to the end.
        self.poll(max(t_end, self._last_t))
        if self.unlogged:
            n = len(self.unlogged)
            events = "1 coach event" if n == 1 else f"{n} coach events"
            print(f"posture-guard: {events} could not be logged", file=sys.stderr)
        for day in self.checkins_due:
            print(
                f"posture-guard: 'No headache' for {day} could not be recorded (the database "
                f"stayed locked); `posture-guard checkin --none --date {day}{self._db_option()}` "
                "records it",
                file=sys.stderr,
            )
        if self.heartbeat:
            control_mod.clear_heartbeat(os.getpid())
        self.notifier.close()

    def _asked(
        self, now: datetime
    ) -> tuple[
        bool, Optional[datetime], tuple[Action, ...], Optional[datetime], Optional[datetime]
    ]:
        """(paused, snooze end, buttons pressed, when the control file was written, when
        `done` last answered a break prompt): what the user asked since the last look."""
        paused, snooze_until, updated, break_done = False, None, None, None
        if self.control is not None:
            cstate, problem = self.control.poll()
            if problem:
                self._emit(Event("control_error", now, {"message": problem}))
            paused = cstate.paused
            if cstate.snooze_until is not None:
                snooze_until = control_mod.epoch_to_like(cstate.snooze_until, now)
            if cstate.updated is not None:
                updated = control_mod.epoch_to_like(cstate.updated, now)
            if cstate.break_done is not None:
                break_done = control_mod.epoch_to_like(cstate.break_done, now)
        clicks = [c for c in self.notifier.poll_clicks() if self._answers_here(c)]
        actions = tuple(self._action(c) for c in clicks)
        return paused, snooze_until, actions, updated, break_done

    def _tick(self, t: float) -> None:
        """Remember the latest stream time; write the heartbeat when one is due."""
        self._last_t = max(self._last_t, t)
        if self.heartbeat and (
            self._last_beat is None or t - self._last_beat >= self.heartbeat_every_s
        ):
            self._beat()
            self._last_beat = t

    def _db_option(self) -> str:
        """`` --db F`` for a command that answers this session's prompts in its database."""
        return db_option(self.db)

    # ----------------------------------------------------------------- effects
    def _perform(self, effect: Effect, now: datetime) -> None:
        if isinstance(effect, Notify):
            if effect.kind == "diary" and not self.session.live:  # the engine knows no --db
                effect = replace(effect, body=headache_add_hint(effect.day, self.db, replay=True))
            self._prompts[effect.prompt_id] = effect
            snooze_s = self.coach.settings.snooze_button_s
            self._snooze_s[effect.prompt_id] = snooze_s
            message = Message(
                title=effect.title,
                body=effect.body,
                kind=effect.kind,
                prompt_id=effect.prompt_id,
                buttons=effect.buttons,
                when=self._when(now),
                exercise=effect.exercise,
                day=dict(self.state.checkin_prompts).get(effect.prompt_id),
                live=self.session.live,
                db=self.db,
                snooze=control_mod.duration_arg(snooze_s),
                snooze_s=snooze_s,
            )
            delivery = self.notifier.send(message)
            self.sent.append((effect, delivery))
            if not delivery.shown:
                self._emit(
                    Event(
                        "notification_failed",
                        now,
                        {
                            "prompt": effect.prompt_id,
                            "kind": effect.kind,
                            "title": effect.title,
                            "backend": delivery.backend,
                            "reason": delivery.reason,
                            "fallback": delivery.fallback,
                        },
                    )
                )
        elif isinstance(effect, Note):
            self.notes.append(effect.text)
            if self.note_stream is not None:
                print(
                    f"[{self._when(now)}] coach (quiet note): {effect.text}", file=self.note_stream
                )
            else:
                log.info("%s", effect.text)
        elif isinstance(effect, EndTypedSnooze):
            self._end_typed_snooze(effect, now)
        elif isinstance(effect, DiaryCheckIn):
            note = self._record_checkin(effect.day, now)
            if note:
                self._perform(Note(note), now)
        else:
            self._emit(effect)

    def _end_typed_snooze(self, effect: EndTypedSnooze, now: datetime) -> None:
        """Shorten the typed snooze in the control file to the Snooze button's end. A file
        that cannot be written keeps the typed snooze, which then holds; a quiet note and
        the log say so, and the coach goes on."""
        if self.control is None:  # a replay: no control file, no typed snooze
            return
        try:
            control_mod.button_snooze(effect.pressed.timestamp(), effect.until.timestamp())
        except UserError as exc:
            log.warning("the Snooze button could not shorten the typed snooze: %s", exc)
            self._perform(
                Note(f"The Snooze button could not end the longer typed snooze: {exc}"), now
            )

    def _record_checkin(self, day: date, now: datetime, retry: bool = False) -> str:
        """Write a "No headache" answer to the diary; the quiet note that says how it went
        (none for a retry that failed again). A database another program holds is tried
        again every :data:`CHECKIN_RETRY_S` until the session ends (see
        :meth:`_retry_checkins`): the user pressed the button once and will not again."""
        if self.on_checkin is None:
            if not self.session.live:  # the user's own diary is no place for a replay's day
                return (
                    f"'No headache' for {day} was not put in a diary: this replay logs to "
                    "no database (with --db F it records the answer there)."
                )
            return (
                f"'No headache' for {day} was not put in a diary: this session logs to no "
                f"database (`posture-guard checkin --none --date {day}` records it)."
            )
        try:
            self.on_checkin(day)
        except UserError as exc:  # e.g. the day has a headache entry, or a locked database
            from .store import DatabaseLocked

            if isinstance(exc, DatabaseLocked):
                self._checkin_retry_at = now.timestamp() + CHECKIN_RETRY_S
                if day not in self.checkins_due:
                    self.checkins_due.append(day)
                if retry:
                    return ""
                log.warning("'No headache' for %s not recorded yet (will retry): %s", day, exc)
                return (
                    f"'No headache' for {day} not recorded yet: the database is locked by "
                    "another program; it will be tried again."
                )
            log.warning("'No headache' for %s not recorded in the diary: %s", day, exc)
            return f"'No headache' for {day} not recorded in the diary: {exc}"
        return f"Recorded {day} as headache-free in your headache diary."

    def _retry_checkins(self, now: datetime) -> None:
        """Try the "No headache" answers a locked database refused, when a retry is due."""
        if not self.checkins_due or now.timestamp() < self._checkin_retry_at:
            return
        due, self.checkins_due = self.checkins_due, []
        for day in due:
            note = self._record_checkin(day, now, retry=True)
            if note:
                self._perform(Note(note), now)

    def _when(self, now: datetime) -> str:
        """Wall-clock time in a live run; stream time (as the console prints it) in a replay."""
        if self.session.live:
            return now.strftime("%H:%M")
        secs = int(now.timestamp() - self.session.start.timestamp())
        return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"

    def _emit(self, event: Event) -> None:
        """Record the event and hand it to ``on_event``; if that fails (a locked
        database), keep it and retry with the next event, so none is dropped quietly."""
        self.events.append(event)
        if self.on_event is None:
            return
        self.unlogged.append(event)
        while self.unlogged:
            head = self.unlogged[0]
            try:
                self.on_event(head.kind, head.at, dict(head.payload))
            except UserError as exc:
                if not self._log_warned:
                    log.warning("coach events not logged yet (will retry): %s", exc)
                    self._log_warned = True
                return
            self.unlogged.pop(0)

    def _answers_here(self, click: Click) -> bool:
        """Whether a press is recorded by this session: not one on an earlier session's
        notification whose answers went to another database (a `replay --db F`'s check-in
        pressed while the monitor runs, or the monitor's beside such a replay). Taken, it
        was recorded in this session's database, not in the one its prompt came from;
        refused, the log says so, with the command that records it there."""
        if click.db is None:  # this session's own, or an older version's record
            return True
        own = database_of(self.db, self.session.live)
        if click.db == own:
            return True
        instead = f"; `{click.command}` records it there" if click.command else ""
        log.warning(
            "the %r button was pressed on a notification whose session logged to %s "
            "(prompt %s): it is not recorded in %s%s",
            click.action,
            click.db,
            click.prompt_id,
            own if own is not None else "this replay, which logs to no database",
            instead,
        )
        return False

    def _action(self, click: Click) -> Action:
        # a prompt this session did not show (an earlier run's, pressed after a restart):
        # its kind and exercise come with the click, from notifications.json
        prompt = self._prompts.get(click.prompt_id)
        return Action(
            prompt_id=click.prompt_id,
            action=click.action,
            kind=prompt.kind if prompt else click.kind,
            exercise=prompt.exercise if prompt else click.exercise,
            snooze_s=self._snooze_s.get(click.prompt_id, click.snooze_s),
        )

    def _beat(self) -> None:
        st = self.state
        snooze = [t for t in (st.control_snooze_until, st.button_snooze_until) if t is not None]
        beat = control_mod.Heartbeat(
            pid=os.getpid(),
            at=_time.time(),
            started=self._started,
            profile=self.session.profile,
            paused=st.control_paused,
            snooze_until=max(snooze).timestamp() if snooze else None,
        )
        try:
            control_mod.write_heartbeat(beat)
        except OSError as exc:  # a full disk must not stop the coaching
            log.warning("cannot write the monitor heartbeat: %s", exc)


def read_memory(path: Optional[Path], started: float) -> CoachMemory:
    """The :class:`CoachMemory` in ``path`` (nothing for a missing or damaged file: the
    coach then starts afresh, as before the file existed). ``started``: the session's
    POSIX start. A prompt stamped after it was shown by a clock since set back (or the
    file was edited by hand): it is taken as shown at the start, and a Snooze button
    pressed then as pressed at the start, so each limit holds for its own length from
    there, not until the clock catches up with the stamp. Dropped, as they were, a clock
    set back a few minutes after a prompt let the next come at once, and the hour's
    prompts count again from none. The latest plan slot prompted is still dropped then:
    a slot is a time of day, and held, a clock set back a day would keep that day's doses
    from being prompted (set back minutes, a dose of those minutes may come again, the
    gap and the hourly cap holding). An older file, holding only ``last_checkin_day``,
    reads as before."""
    if path is None:
        return CoachMemory()
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(obj, dict):
            raise TypeError("not a JSON object")
        days = [
            date.fromisoformat(obj[k]) if obj.get(k) is not None else None
            for k in ("last_checkin_day", "last_framing_day")
        ]
        alerts = tuple(_shown(x, started) for x in obj.get("alerts", []))
        last, last_break, last_alert = (
            _shown(x, started) if x is not None else None
            for x in (
                obj.get("last_notified_at"),
                obj.get("last_break_prompt_at"),
                obj.get("last_alert_at"),
            )
        )
        plan_until = obj.get("plan_prompted_until")
        plan_until = _moment(plan_until) if plan_until is not None else None
        if plan_until is not None and plan_until.timestamp() > started:
            plan_until = None
        # absent from older files: every slot of that moment taken as prompted
        plan_slot = obj.get("plan_prompted_slot")
        plan_slot = (
            time.fromisoformat(plan_slot)
            if isinstance(plan_slot, str) and plan_until is not None
            else None
        )
        snooze = obj.get("button_snooze")
        button_snooze = None
        if snooze is not None:
            pressed, until = (_moment(x).timestamp() for x in snooze)  # a pair, or damaged
            if pressed > started:  # by a clock since set back: its whole length from now
                pressed, until = started, started + (until - pressed)
            if until > started:  # not over yet
                button_snooze = (_moment(pressed), _moment(until))
        recent = tuple(obj.get("recent_exercises", ()))
        if not all(isinstance(x, str) for x in recent):
            raise TypeError("recent_exercises: not a list of exercise ids")
        # absent from the files of versions before the cap on all prompts: none counted
        notified = tuple(_shown(x, started) for x in obj.get("notified", []))
        # absent from the files of versions before the late check-in: none owed
        present, owed = (
            date.fromisoformat(obj[k]) if obj.get(k) is not None else None
            for k in ("last_present_day", "checkin_owed")
        )
        # absent from the files of versions before they were kept: none answerable
        asked = tuple(_asked_day(x) for x in obj.get("checkin_prompts", []))
    except FileNotFoundError:
        return CoachMemory()
    except (OSError, ValueError, KeyError, TypeError, OverflowError) as exc:
        log.warning("ignoring damaged coach state %s: %s", path, exc)
        return CoachMemory()
    hour_ago = started - 3600.0
    return CoachMemory(
        days[0],
        days[1],
        tuple(a for a in alerts if a.timestamp() > hour_ago),
        last,
        plan_until,
        last_break,
        button_snooze,
        recent,
        tuple(a for a in notified if a.timestamp() > hour_ago),
        last_alert,
        present,
        owed,
        asked,
        plan_slot,
    )


def _asked_day(value: Any) -> tuple[int, date]:
    """A check-in's (prompt id, day asked about) from coach.json, where it is a pair."""
    pid, day = value  # a pair, or damaged
    if isinstance(pid, bool) or not isinstance(pid, int):
        raise TypeError(f"{pid!r} is not a prompt id")
    return pid, date.fromisoformat(day)


def _shown(value: Any, started: float) -> datetime:
    """The moment of a prompt in coach.json, one after ``started`` (a clock set back
    since) as ``started`` (see :func:`read_memory`)."""
    moment = _moment(value)
    return moment if moment.timestamp() <= started else _moment(started)


def _moment(value: Any) -> datetime:
    """POSIX seconds as an aware local datetime, as :meth:`SessionInfo.wall` gives."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{value!r} is not a time")
    return datetime.fromtimestamp(value, timezone.utc).astimezone()


def write_memory(path: Optional[Path], memory: CoachMemory) -> None:
    """Write ``memory`` to ``path`` (atomically); a failure is logged, never raised: the
    coaching goes on, only a restart would forget."""
    if path is None:
        return
    obj = {
        "last_checkin_day": _iso(memory.last_checkin_day),
        "last_framing_day": _iso(memory.last_framing_day),
        "alerts": [a.timestamp() for a in memory.alerts],
        "last_notified_at": (
            memory.last_notified_at.timestamp() if memory.last_notified_at else None
        ),
        "plan_prompted_until": (
            memory.plan_prompted_until.timestamp() if memory.plan_prompted_until else None
        ),
        "last_break_prompt_at": (
            memory.last_break_prompt_at.timestamp() if memory.last_break_prompt_at else None
        ),
        "button_snooze": (
            [t.timestamp() for t in memory.button_snooze] if memory.button_snooze else None
        ),
        "recent_exercises": list(memory.recent_exercises),
        "notified": [a.timestamp() for a in memory.notified],
        "last_alert_at": memory.last_alert_at.timestamp() if memory.last_alert_at else None,
        "last_present_day": _iso(memory.last_present_day),
        "checkin_owed": _iso(memory.checkin_owed),
        "checkin_prompts": [[pid, day.isoformat()] for pid, day in memory.checkin_prompts],
        "plan_prompted_slot": (
            memory.plan_prompted_slot.strftime("%H:%M") if memory.plan_prompted_slot else None
        ),
    }
    try:
        control_mod.write_json_atomic(path, obj)
    except OSError as exc:
        log.warning("cannot remember the coach's state in %s: %s", path, exc)


def _iso(day: Optional[date]) -> Optional[str]:
    return day.isoformat() if day is not None else None


def memory_file() -> Path:
    return paths.state_dir() / "coach.json"


#: How often a "No headache" answer that a locked database refused is tried again.
CHECKIN_RETRY_S = 60.0


def diary_writer(on_event: Optional[EventCallback]) -> Optional[CheckinCallback]:
    """``check_in_none`` of the diary in the Store whose ``log_event`` is ``on_event``
    (as :func:`event_logger` finds it), or None when events go to no Store."""
    from .store import Store

    store = getattr(on_event, "__self__", None)
    if not isinstance(store, Store):
        return None
    from .diary import Diary

    def record(day: date) -> None:
        Diary(store).check_in_none(day)

    return record


def diary_reader(on_event: Optional[EventCallback]) -> Optional[DiaryKnows]:
    """Whether the diary of the Store whose ``log_event`` is ``on_event`` has an entry or
    a check-in for a day (what a late check-in need not ask about), or None when events go
    to no Store."""
    from .store import Store

    store = getattr(on_event, "__self__", None)
    if not isinstance(store, Store):
        return None
    from .diary import Diary

    def knows(day: date) -> bool:
        return Diary(store).days(day, day)[day].status != "unknown"

    return knows


# --------------------------------------------------------------------------- CLI wiring
#: A problem of config.toml: the line of the key it is about (None: not known), and what
#: is wrong, after the file's name.
_Placed = tuple[Optional[int], str]


def load_settings(path: Optional[Path] = None) -> CoachSettings:
    """The ``[coach]`` table of the user's config.toml, or the defaults without one.

    A broken file or key is a UserError naming the file (and the key), once: the OS
    error's own text names the path again, so only its reason is kept.
    """
    path = path or paths.config_file()
    # a config.toml kept elsewhere and linked here, the link now leading nowhere (the old
    # computer's path after a move): its settings were dropped for the defaults unsaid
    paths.refuse_dangling_link(path, "config file")
    if not path.exists():
        return CoachSettings()
    if path.is_dir():
        raise paths.folder_in_place("config file", path, "without it the defaults are used")
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        text = paths.config_text(path.read_bytes(), f"config file {path}")
    except OSError as exc:
        raise UserError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        data = paths.load_toml(text)
    except tomllib.TOMLDecodeError as exc:
        problem = paths.toml_problem(text, exc)
        raise UserError(f"config file {path} is not valid TOML: {problem}") from None
    # Only [coach] is read; anything else is refused, as an unknown key inside [coach] is:
    # a misspelled table ([coch]) silently ignored would leave the user wondering why
    # their settings have no effect. Every problem of the file is told at once, each with
    # the line of the key it is about.
    where = f"config file {path}"
    lines = key_lines(text, data)
    outside: list[_Placed] = []
    for key, value in data.items():
        if key == "coach":
            continue
        if isinstance(value, dict):
            outside.append((lines.line((key,)), f"unknown table [{key}] (known: [coach])"))
        else:
            outside.append(
                (
                    lines.line((key,)),
                    f"setting {key!r} is outside any table; coach settings go under [coach]",
                )
            )
    table = data.get("coach")
    if table is None:
        _raise_config_problems(where, outside, [])
        return CoachSettings()
    coach_where = f"{where} [coach]"
    settings, found = CoachSettings._read_mapping(table, coach_where)
    in_coach: list[_Placed] = [
        (
            lines.line(*[("coach", key) for key in keys]) if keys else lines.line(("coach",)),
            text.removeprefix(f"{coach_where}: "),
        )
        for keys, text in found
    ]
    _raise_config_problems(where, outside, in_coach)
    assert settings is not None
    return settings


def _raise_config_problems(where: str, outside: list[_Placed], in_coach: list[_Placed]) -> None:
    """Raise the problems of config.toml, ``outside`` [coach] and ``in_coach``, as one
    UserError naming the file once, and the line of each problem where it is known:
    "config file X line 3: [coach] 'alert_hold_s' must be ...". Why the line: the key
    alone left the user to look for it, in a file whose comments name every key."""
    if outside:  # "config file X: [coach] 'key' ...", the file named once in the whole message
        source, told = where, outside + [(n, f"[coach] {text}") for n, text in in_coach]
    else:
        source, told = f"{where} [coach]", in_coach
    if len(told) == 1:
        number, text = told[0]
        if number is None:
            raise UserError(f"{source}: {text}")
        raise UserError(f"{where} line {number}: {'' if outside else '[coach] '}{text}")
    if told:
        listed = "; ".join(
            f"({i}) {'' if n is None else f'line {n}: '}{text}"
            for i, (n, text) in enumerate(told, 1)
        )
        raise UserError(f"{source} is not valid ({len(told)} problems): {listed}")


def build_sink(
    *,
    live: bool,
    notify: bool,
    demo: bool,
    session: SessionInfo,
    notifier_choice: str = "auto",
    on_event: Optional[EventCallback] = None,
    out: Optional[IO[str]] = None,
    settings: Optional[CoachSettings] = None,
    library: Optional[Library] = None,
    db: Optional[str] = None,
) -> Optional[CoachSink]:
    """The coach sink a session gets, or None.

    Live runs coach by default (real notifier, control file, heartbeat); replay only with
    ``--notify``; demo always, printing the prompts when ``--notify`` is not given.
    ``db`` is the ``--db`` a replay logs to: the commands it prints for a prompt name it.
    """
    from . import notify as notify_mod

    out = out if out is not None else sys.stdout
    if not (live or notify or demo):
        return None
    if settings is None:  # a therapist plan passes its own (see plan.coach_overrides)
        settings = load_settings()
    if live:
        notifier: Notifier = notify_mod.with_fallback(notify_mod.make_notifier(notifier_choice))
        return CoachSink(
            session,
            notifier,
            settings=settings,
            library=library,
            on_event=on_event,
            control=control_mod.ControlPoller(),
            heartbeat=True,
            memory_file=memory_file(),
        )
    if notify:
        notifier = notify_mod.with_fallback(notify_mod.make_notifier(notifier_choice))
        return CoachSink(
            session, notifier, settings, library, on_event=on_event, note_stream=out, db=db
        )
    if demo:
        return CoachSink(
            session,
            notify_mod.PrintingNotifier(out),
            settings,
            library,
            on_event=on_event,
            note_stream=out,
            db=db,
        )
    return None


def event_logger(sinks: list[Any]) -> Optional[EventCallback]:
    """``log_event`` of the store behind a StoreSink among ``sinks``, if there is one."""
    for sink in sinks:
        store = getattr(sink, "store", None)
        log_event = getattr(store, "log_event", None)
        if callable(log_event):
            return log_event  # type: ignore[no-any-return]
    return None
