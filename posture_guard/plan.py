"""A therapist's plan: what the patient does between sessions, and how the coach follows it.

A plan is a TOML file (commented example: ``docs/plan-example.toml``; a fresh one from
``posture-guard plan new``). It holds no personal data beyond an optional patient label.
Schema (version 1)::

    schema = 1                          # required, this version
    patient = "RM-03"                   # optional label, max 40 characters
    start = 2024-03-04                  # required TOML dates, end >= start, 2000 to 2100,
    end = 2024-03-31                    # at most 2 years apart (MAX_PLAN_DAYS); days of
                                        # the patient's calendar (a time of day is refused)
    workday = "08:30-17:30"             # when prescribed exercises are spread (default)
    quiet_hours = "12:00-13:00"         # no prompts then (may wrap midnight; "off" = the
                                        # patient's own quiet hours only)
    break_interval_min = 45             # long-sitting break prompt after this many minutes
    alert_sensitivity = "normal"        # low | normal | high (how quickly posture alerts come)

    [target]
    forward_head_max_share = 0.20       # forward head at most 20 % of desk (sitting) time

    [[exercise]]                        # one per prescribed exercise
    id = "chin_tuck"                    # a library id, or a new id for a custom exercise
    times_per_day = 3                   # required, 1-12
    reps = 10                           # optional, else the library's
    hold_s = 10                         # optional seconds, else the library's
    sets = 1                            # optional, default 1
    per_side = false                    # optional, else the library's
    days = ["mon", "tue", "wed", "thu", "fri"]   # optional, default every day
    intensity = "gentle, no pain"       # optional (CERT: intensity / starting level)
    progression = "..."                 # optional (CERT: progression rule)
    tailoring = "..."                   # optional (CERT: how it is adapted to the patient)
    equipment = "none"                  # optional
    # custom exercises (id not in the library) also need:
    name = "..."; steps = ["...", ...]; caution = "..."; muscles = [...] (optional)

Why these rules: a plan that does not validate is rejected as a whole, with *every*
problem listed at once (a therapist fixes the file in one go), and the active plan stays
unchanged. More than :data:`MANY_EXERCISES` exercises only warns: adherence to home
programmes drops as they grow, but the therapist decides. So does a day of more than
:data:`DOSES_PER_HOUR_WARN` doses an hour of working day: the coach keeps to its limits
on notifications, and the warning names the exercises with the most doses.

Scheduling (:func:`schedule_day`) is a pure function: the day's doses are spread evenly
over the working day minus quiet hours, interleaved so that each exercise's doses stay
spread out and no two prompts coincide. The coach asks it for each day through
``CoachSettings.plan_slots`` (see :func:`coach_settings`).
"""

from __future__ import annotations

import argparse
import calendar
import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from itertools import takewhile
from pathlib import Path
from typing import Any, Callable, Optional

from . import paths
from .dates import ascii_digits
from .errors import UserError
from .exercises import Dosage, Exercise, Library, load_library
from .toml_lines import NO_LINES, KeyLines, KeyPath, key_lines

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

SCHEMA = 1


class NewerPlan(UserError):
    """A plan of a schema above :data:`SCHEMA`: written for a newer posture_guard (one
    imported by it, then posture_guard downgraded). Why apart: its keys and rules are not
    this version's, so listing them as problems, and calling the active plan damaged or
    one from an earlier version, told the user to replace or clear a plan that is fine."""


MANY_EXERCISES = 4
MAX_TIMES_PER_DAY = 12
MIN_SLOT_SPACING_MIN = 10  # prescribed prompts of a day at least this far apart
# More doses an hour than this (on average over the working day) only warns: the coach
# shows at most 6 notifications an hour, 5 min apart, alerts and break prompts among
# them (coach.CoachSettings), so half of that for the plan keeps the doses on time;
# beyond it some come late or, overtaken by the next, are missed.
DOSES_PER_HOUR_WARN = 3
# A plan covers one block of treatment (weeks to months; `plan new` writes up to 52
# weeks). Two years is far beyond any, and keeps the therapist report, which covers the
# plan's days by default, a report of a size that still makes sense (and finishes).
MAX_PLAN_DAYS = 731
SENSITIVITIES = ("low", "normal", "high")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WORKDAY = (time(8, 30), time(17, 30))
PLAN_FILE = paths.ACTIVE_PLAN_NAME

_TOP_KEYS = {
    "schema",
    "patient",
    "start",
    "end",
    "workday",
    "quiet_hours",
    "break_interval_min",
    "alert_sensitivity",
    "target",
    "exercise",
}
_TARGET_KEYS = {"forward_head_max_share"}
_EX_KEYS = {
    "id",
    "times_per_day",
    "reps",
    "hold_s",
    "sets",
    "per_side",
    "days",
    "intensity",
    "progression",
    "tailoring",
    "equipment",
    "name",
    "steps",
    "caution",
    "muscles",
}

# alert sensitivity -> (alert_hold_s, alert_bad_share, alert_cooldown_s); "normal" keeps
# the coach's own defaults. High = an alert after ~1 min mostly bad, low = ~2 min.
SENSITIVITY_SETTINGS: dict[str, Optional[tuple[float, float, float]]] = {
    "low": (120.0, 0.8, 20 * 60.0),
    "normal": None,
    "high": (60.0, 0.6, 10 * 60.0),
}


@dataclass(frozen=True)
class Prescription:
    """One prescribed exercise: what (from the library or custom) and how much."""

    exercise: Exercise
    custom: bool
    times_per_day: int
    sets: int = 1
    days: tuple[int, ...] = tuple(range(7))  # 0 = Monday
    intensity: str = ""
    progression: str = ""
    tailoring: str = ""
    equipment: str = "none"
    # named by id alone, and taken out of the exercise library since the plan's import:
    # known by its id only (see :func:`_gone_from_library`)
    gone: bool = False

    @property
    def id(self) -> str:
        return self.exercise.id

    def on(self, day: date) -> bool:
        return day.weekday() in self.days

    def dose_text(self) -> str:
        d = self.exercise.dosage
        parts = []
        if d.reps is not None:
            unit = "s hold" if d.hold_s is not None else (d.unit or "reps")
            if d.hold_s is not None:
                parts.append(f"{d.reps} reps x {_num(d.hold_s[0])} {unit}")
            else:
                parts.append(f"{d.reps} {unit}")
        elif d.hold_s is not None:
            parts.append(f"hold {_num(d.hold_s[0])} s")
        if d.per_side:
            parts.append("each side")
        parts.append(f"{self.sets} set{'s' if self.sets != 1 else ''}")
        parts.append(f"{self.times_per_day} time{'s' if self.times_per_day != 1 else ''} a day")
        parts.append(_days_text(self.days))
        return ", ".join(parts)

    def cert_lines(self, number: int) -> list[str]:
        """The exercise described with the CERT template's items (Slade et al. 2016)."""
        ex = self.exercise
        origin = "custom exercise from the therapist" if self.custom else "posture_guard library"
        if self.gone:
            origin = "no longer in the exercise library"
        lines = [
            f"{number}. {ex.name} [{ex.id}] ({origin})",
            f"   What (CERT 8): {' '.join(ex.steps)}",
        ]
        if ex.muscles:
            lines.append(f"   Muscles: {', '.join(ex.muscles)}")
        lines += [
            f"   Equipment (CERT 1): {self.equipment or 'none'}",
            "   Delivery and setting (CERT 3, 4, 10, 13): individual, unsupervised home "
            "programme at the desk, prompted by posture_guard",
            f"   Dosage (CERT 14a): {self.dose_text()}",
            f"   Intensity / starting level (CERT 15): {self.intensity or 'not stated'}",
            f"   Progression (CERT 7): {self.progression or 'not stated'}",
            f"   Tailoring (CERT 14b): {self.tailoring or 'not stated'}",
            f"   Safety / adverse events (CERT 12): {ex.caution}",
            f"   Adherence (CERT 5): recorded with `posture-guard done {ex.id} [--pain 0-10]` "
            "or the prompt's Done button; skipped and ignored prompts are counted",
        ]
        return lines


@dataclass(frozen=True)
class Plan:
    """A validated plan (see the module docstring for the schema)."""

    start: date
    end: date
    prescriptions: tuple[Prescription, ...]
    patient: str = ""
    workday: tuple[time, time] = DEFAULT_WORKDAY
    quiet_hours: Optional[tuple[time, time]] = None
    break_interval_min: float = 45.0
    alert_sensitivity: str = "normal"
    forward_head_max_share: Optional[float] = None
    origin: str = ""

    def active_on(self, day: date) -> bool:
        return self.start <= day <= self.end

    def by_id(self, exercise_id: str) -> Optional[Prescription]:
        for p in self.prescriptions:
            if p.id == exercise_id:
                return p
        return None

    @property
    def warnings(self) -> list[str]:
        return self.warnings_under(None)

    def warnings_under(self, own_quiet: Optional[tuple[time, time]]) -> list[str]:
        """The warnings of this plan as the coach follows it, ``own_quiet`` being the
        patient's own quiet hours (config.toml). A plan without quiet hours of its own
        keeps them (:func:`scheduled_plan`) and its doses are spread around them, so they
        take their time out of the working day the doses must fit in: 24 doses in a 9 h
        day around own quiet hours of 12:00-16:00 came one every 12 min, missed or late,
        with no warning."""
        out = []
        n = len(self.prescriptions)
        if n > MANY_EXERCISES:
            out.append(
                f"this plan has {n} exercises; adherence to home programmes drops as they "
                f"grow, so consider at most {MANY_EXERCISES}"
            )
        dense = self._dense_warning(own_quiet if self.quiet_hours is None else None)
        if dense:
            out.append(dense)
        for p in self.prescriptions:
            if p.gone:
                out.append(
                    f"exercise {p.id!r} is no longer in the exercise library "
                    f"({p.exercise.source}): its doses are still prompted, by its name "
                    "alone; put it back, or import a plan that describes it (name, steps, "
                    "caution)"
                )
        return out

    def _dense_warning(self, own_quiet: Optional[tuple[time, time]] = None) -> str:
        """The busiest weekday's doses, if more than :data:`DOSES_PER_HOUR_WARN` an hour
        of the working day (quiet hours taken out, ``own_quiet`` where the plan sets
        none); the entries with the most named."""
        free = _available_minutes(self.workday, self.quiet_hours or own_quiet)
        if free <= 0:
            return ""
        own = (
            f" outside your own quiet hours ({_range_text(own_quiet)})"
            if own_quiet is not None and free < _available_minutes(self.workday, None)
            else ""
        )
        per_day = [
            sum(p.times_per_day for p in self.prescriptions if d in p.days) for d in range(7)
        ]
        busiest = tuple(d for d in range(7) if per_day[d] == max(per_day))
        wd = busiest[0]
        entries = [(i, p) for i, p in enumerate(self.prescriptions, start=1) if wd in p.days]
        n = sum(p.times_per_day for _, p in entries)
        fit = int(DOSES_PER_HOUR_WARN * free / 60)
        if n <= fit:
            return ""
        from .coach import CoachSettings  # the coach's limits: see DOSES_PER_HOUR_WARN

        coach = CoachSettings()
        top = sorted(entries, key=lambda e: -e[1].times_per_day)[:3]
        named = ", ".join(f"exercise #{i} {p.id!r} ({p.times_per_day} a day)" for i, p in top)
        return (
            f"{n} doses {_busiest_text(busiest)} in {free / 60:g} h of working day{own} are "
            f"one every {free / n:.0f} min; the coach shows at most "
            f"{coach.max_prompts_per_hour} notifications an hour, "
            f"{coach.min_gap_s / 60:g} min apart, posture alerts and break prompts among "
            f"them, so doses will come late or be missed: prescribe at most {fit} a day "
            f"({DOSES_PER_HOUR_WARN} an hour), fewer of {named}"
        )

    def describe(
        self, today: Optional[date] = None, own_quiet: Optional[tuple[time, time]] = None
    ) -> list[str]:
        """What `plan show` prints: settings, target and each exercise CERT-style.

        ``own_quiet`` is the patient's own quiet hours (config.toml), which hold when the
        plan sets none (:func:`coach_settings`): said, so that the plan does not read as
        "no quiet hours" while the coach keeps silent in them."""
        today = today or date.today()
        label = f" for {self.patient}" if self.patient else ""
        status = (
            "not started yet"
            if today < self.start
            else ("ended" if today > self.end else "running")
        )
        if self.quiet_hours is not None:
            quiet = _range_text(self.quiet_hours)
        elif own_quiet is not None:
            quiet = f"none set by the plan; your own {_range_text(own_quiet)} hold"
        else:
            quiet = "none set by the plan"
        target = (
            "none"
            if self.forward_head_max_share is None
            else f"forward head at most {100 * self.forward_head_max_share:g} % of desk time"
        )
        lines = [
            f"Plan{label}: {self.start} to {self.end} ({status})",
            f"Working day: {_range_text(self.workday)}; quiet hours: {quiet}",
            f"Break every {self.break_interval_min:g} min; alert sensitivity: "
            f"{self.alert_sensitivity}",
            f"Posture target: {target}",
            f"Exercises ({len(self.prescriptions)}):",
        ]
        for i, p in enumerate(self.prescriptions, start=1):
            lines += p.cert_lines(i)
        lines += [f"Warning: {w}" for w in self.warnings_under(own_quiet)]
        return lines


# --------------------------------------------------------------------------- parsing
class _Problems:
    """Every problem of one plan, each told with the line of the plan it is about (where
    ``lines`` knows it): a therapist's plan of several exercises has a 'reps' in each,
    and "exercise 'chin_tuck': 'reps' must be ..." left them to look for the one meant."""

    def __init__(self, origin: str, lines: KeyLines = NO_LINES):
        self.origin = origin
        self.lines = lines
        self.items: list[str] = []

    def add(self, text: str, *at: KeyPath) -> None:
        """``text``, at the line of the first of the paths ``at`` written in the plan."""
        self.items.append(f"{self.lines.at(*at)}{text}")

    def raise_if_any(self) -> None:
        if self.items:
            n = len(self.items)
            listed = "; ".join(f"({i}) {t}" for i, t in enumerate(self.items, start=1))
            raise UserError(
                f"plan {self.origin} is not valid ({n} problem{'s' if n != 1 else ''}): {listed}"
            )


def load_plan_file(
    path: str | Path, library: Optional[Library] = None, imported: bool = False
) -> Plan:
    """The plan in ``path``; ``imported``: one imported already (the active plan, a copy
    in the plan history), see :func:`parse_plan`."""
    p = Path(path)
    return parse_plan_text(_read_plan(p), str(p), library, imported)


#: More than any plan holds: one of 2 years with every exercise of the library is a few kB.
MAX_PLAN_BYTES = 1_000_000


def _read_plan(path: Path) -> bytes:
    """The bytes of the plan file ``path``, read up to :data:`MAX_PLAN_BYTES` (and one).

    A device named as the plan (``/dev/zero``, ``/dev/full``) never ends: read whole, it
    took all the memory there was while the command hung."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_PLAN_BYTES + 1)
    except OSError as exc:
        raise UserError(f"cannot read plan {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_PLAN_BYTES:
        raise UserError(
            f"plan {path} is longer than {MAX_PLAN_BYTES // 1_000_000} MB, more than any plan "
            "(is it a plan's TOML file?)"
        )
    return raw


def parse_plan_text(
    raw: bytes | str, origin: str, library: Optional[Library] = None, imported: bool = False
) -> Plan:
    # read as config.toml is: a byte order mark (Windows editors write one) is not part of
    # the text, and a file saved as UTF-16 is named so
    if isinstance(raw, bytes):
        text = paths.config_text(raw, f"plan {origin}")
    else:
        text = raw.removeprefix("\ufeff")
    try:
        doc = paths.load_toml(text)
    except tomllib.TOMLDecodeError as exc:
        problem = paths.toml_problem(text, exc)
        raise UserError(f"plan {origin} is not valid TOML: {problem}") from exc
    return parse_plan(doc, origin, library, imported, key_lines(text, doc))


def parse_plan(
    doc: Mapping[str, Any],
    origin: str = "<plan>",
    library: Optional[Library] = None,
    imported: bool = False,
    lines: KeyLines = NO_LINES,
) -> Plan:
    """Validate a parsed plan; a UserError lists every problem found.

    ``imported``: the plan was imported already, when its exercises named by id alone
    were in the library; one taken out of it since (the user's own exercises.toml edited)
    is kept, known by its id (:func:`_gone_from_library`). A plan to import must still
    describe each exercise the library lacks: an id typed wrong is refused there.
    ``lines``: where the keys of ``doc`` are written in its text, for the problems."""
    schema = doc.get("schema")
    if isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA:
        raise NewerPlan(
            f"plan {origin} is of plan schema {schema}, written for a newer posture_guard "
            f"(this version reads plan schema {SCHEMA}); update posture_guard to use it"
        )
    lib = library or load_library()
    pr = _Problems(origin, lines)
    for key in sorted(set(doc) - _TOP_KEYS):
        pr.add(_unknown_key(key, None), (key,))
    # `_is_int` first: `schema = true` and `schema = 1.0` equal 1 in Python, and were
    # taken as plan schema 1, though neither is the whole number the format asks for. A
    # plan imported so (``imported``) still reads, as it was judged: its days are in
    # the reports.
    if not (_is_int(schema) and schema == SCHEMA) and not (imported and schema == SCHEMA):
        got = "" if schema is None or _is_int(schema) else f", not {_toml_scalar(schema)}"
        pr.add(
            f"'schema' must be {SCHEMA}{got} (this version of posture_guard reads plan schema 1)",
            ("schema",),
        )
    patient = doc.get("patient", "")
    if not isinstance(patient, str) or len(patient) > 40 or _control_chars(patient, "\t"):
        pr.add(
            "'patient' must be a short label (at most 40 characters, one line, "
            "no control characters)",
            ("patient",),
        )
        patient = ""
    start = _date(doc, "start", pr, imported)
    end = _date(doc, "end", pr, imported)
    if start and end and end < start:
        pr.add(f"'end' {end} is before 'start' {start}", ("end",))
    elif start and end and (end - start).days + 1 > MAX_PLAN_DAYS:
        pr.add(
            f"the plan lasts {(end - start).days + 1} days, more than {MAX_PLAN_DAYS}: "
            "write a new plan for each block of treatment (at most 2 years)",
            ("end",),
        )
    workday = _clock_range(doc.get("workday", "08:30-17:30"), "workday", pr, allow_off=False)
    if workday is not None and workday[1] <= workday[0]:
        pr.add(
            "'workday' must end after it starts on the same day (like '08:30-17:30')",
            ("workday",),
        )
        workday = None
    quiet = _clock_range(
        doc.get("quiet_hours", "off"), "quiet_hours", pr, allow_off=True, imported=imported
    )
    brk = doc.get("break_interval_min", 45)
    if not _is_number(brk) or not 10 <= brk <= 180:
        pr.add(
            "'break_interval_min' must be a number of minutes from 10 to 180",
            ("break_interval_min",),
        )
        brk = 45
    sens = doc.get("alert_sensitivity", "normal")
    if sens not in SENSITIVITIES:
        pr.add(
            f"'alert_sensitivity' must be one of {', '.join(SENSITIVITIES)}, not {sens!r}",
            ("alert_sensitivity",),
        )
        sens = "normal"
    fh_share: Optional[float] = None
    target = doc.get("target", {})
    if not isinstance(target, Mapping):
        pr.add("'target' must be a table ([target])", ("target",))
    else:
        for key in sorted(set(target) - _TARGET_KEYS):
            pr.add(_unknown_key(key, "[target]"), ("target", key))
        if "forward_head_max_share" in target:
            v = target["forward_head_max_share"]
            if not _is_number(v) or not 0 < v < 1:
                pr.add(
                    "'target.forward_head_max_share' must be a share between 0 and 1 (0.2 = 20 %)",
                    ("target", "forward_head_max_share"),
                )
            else:
                fh_share = float(v)
    items = doc.get("exercise", [])
    prescriptions: list[Prescription] = []
    if not isinstance(items, list) or not items:
        pr.add("the plan prescribes no exercise (add at least one [[exercise]])", ("exercise",))
        items = []
    seen: set[str] = set()
    for i, item in enumerate(items, start=1):
        raw_id = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(raw_id, str) and raw_id.strip() in seen:
            pr.add(f"exercise {raw_id.strip()!r} is prescribed twice", ("exercise", i - 1, "id"))
            continue
        if isinstance(raw_id, str):
            seen.add(raw_id.strip())
        p = _prescription(item, i, lib, pr, imported)
        if p is not None:
            prescriptions.append(p)
    if workday is not None and prescriptions:
        free = _available_minutes(workday, quiet)
        if free <= 0:
            pr.add(
                "'quiet_hours' cover the whole 'workday'; no exercise could be prompted",
                ("quiet_hours",),
                ("workday",),
            )
        else:
            busiest = max(
                sum(p.times_per_day for p in prescriptions if wd in p.days) for wd in range(7)
            )
            if free / busiest < MIN_SLOT_SPACING_MIN:
                pr.add(
                    f"{busiest} prompts a day do not fit {free:g} free minutes of the working "
                    f"day (at least {MIN_SLOT_SPACING_MIN} min apart)"
                )
    pr.raise_if_any()
    assert start is not None and end is not None and workday is not None
    return Plan(
        start=start,
        end=end,
        prescriptions=tuple(prescriptions),
        patient=patient.strip(),
        workday=workday,
        quiet_hours=quiet,
        break_interval_min=float(brk),
        alert_sensitivity=sens,
        forward_head_max_share=fh_share,
        origin=origin,
    )


def _unknown_key(key: str, table: Optional[str]) -> str:
    """The problem with ``key``, found at the top of the plan (``table`` None), in its
    [target] or in an [[exercise]]: a key the plan knows in another place is named with
    where it goes. Why: TOML puts every key below a ``[table]`` line into that table, so a
    setting a therapist adds at the end of the file is read as the last exercise's, and
    was refused as "unknown key 'break_interval_min'", a key the plan format documents."""
    if table is not None and key in _TOP_KEYS:
        return (
            f"{key!r} is a setting of the plan, but written below {table}, TOML reads it "
            "as part of that table: move it above the first [table] line"
        )
    if table != "[target]" and key in _TARGET_KEYS:
        return f"{key!r} belongs under [target]: write it below a [target] line"
    if table != "[[exercise]]" and key in _EX_KEYS:
        return f"{key!r} belongs to an exercise: write it below its [[exercise]] line"
    return f"unknown key {('target.' if table == '[target]' else '') + key!r}"


def _prescription(
    item: Any, number: int, lib: Library, pr: _Problems, imported: bool = False
) -> Optional[Prescription]:
    """The plan's ``number``-th [[exercise]]; each problem at the line of its key, or
    of the exercise for a key left out."""
    at: KeyPath = ("exercise", number - 1)
    where = f"exercise #{number}"
    if not isinstance(item, Mapping):
        pr.add(f"{where} must be a table", at)
        return None
    ex_id = item.get("id")
    if not isinstance(ex_id, str) or not ex_id.strip():
        pr.add(
            f"{where}: 'id' is missing (a library id such as 'chin_tuck' or a new one)",
            (*at, "id"),
            at,
        )
        return None
    ex_id = ex_id.strip()
    where = f"exercise {ex_id!r}"
    n_before = len(pr.items)
    for key in sorted(set(item) - _EX_KEYS):
        pr.add(f"{where}: {_unknown_key(key, '[[exercise]]')}", (*at, key))
    if not ex_id.replace("_", "").isalnum() or ex_id.lower() != ex_id:
        pr.add(f"{where}: 'id' must be lower_case letters, digits and '_'", (*at, "id"))
    try:
        base: Optional[Exercise] = lib.by_id(ex_id)
    except KeyError:
        base = _bundled_only(ex_id, lib)
    missing = [k for k in ("name", "steps", "caution") if k not in item] if base is None else []
    gone = bool(missing) and imported
    if gone:
        base = _gone_from_library(ex_id)
    custom = base is None
    if custom:
        if missing:
            known = ", ".join(ex.id for ex in lib.exercises)
            pr.add(
                f"{where} is not in the exercise library (known: {known}); a custom exercise "
                f"also needs {', '.join(repr(k) for k in missing)}",
                (*at, "id"),
            )
    name = _opt_text(item, "name", where, pr, at) or (base.name if base else ex_id)
    steps = _opt_texts(item, "steps", where, pr, at) or (base.steps if base else ())
    muscles = _opt_texts(item, "muscles", where, pr, at) or (base.muscles if base else ())
    caution = _opt_text(item, "caution", where, pr, at) or (base.caution if base else "")
    if "steps" in item and not steps:
        pr.add(f"{where}: 'steps' must not be empty", (*at, "steps"))
    times = item.get("times_per_day")
    if times is None:
        pr.add(f"{where}: 'times_per_day' is missing (how often a day, 1-{MAX_TIMES_PER_DAY})", at)
        times = 1
    elif not _is_int(times) or not 1 <= times <= MAX_TIMES_PER_DAY:
        pr.add(
            f"{where}: 'times_per_day' must be a whole number from 1 to {MAX_TIMES_PER_DAY}",
            (*at, "times_per_day"),
        )
        times = 1
    dose = base.dosage if base else Dosage()
    reps = item.get("reps", dose.reps)
    if reps is not None and (not _is_int(reps) or not 1 <= reps <= 100):
        pr.add(f"{where}: 'reps' must be a whole number from 1 to 100", (*at, "reps"))
        reps = None
    hold: Optional[tuple[float, float]] = dose.hold_s
    if "hold_s" in item:
        v = item["hold_s"]
        if not _is_number(v) or not 1 <= v <= 600:
            pr.add(f"{where}: 'hold_s' must be seconds from 1 to 600", (*at, "hold_s"))
        else:
            hold = (float(v), float(v))
    sets = item.get("sets", 1)
    if not _is_int(sets) or not 1 <= sets <= 10:
        pr.add(f"{where}: 'sets' must be a whole number from 1 to 10", (*at, "sets"))
        sets = 1
    per_side = item.get("per_side", dose.per_side)
    if not isinstance(per_side, bool):
        pr.add(f"{where}: 'per_side' must be true or false", (*at, "per_side"))
        per_side = False
    days: tuple[int, ...] = tuple(range(7))
    if "days" in item:
        raw_days = item["days"]
        if not isinstance(raw_days, list) or not raw_days:
            pr.add(f'{where}: \'days\' must be a list such as ["mon", "wed", "fri"]', (*at, "days"))
        else:
            bad = [
                n
                for n, d in enumerate(raw_days)
                if not isinstance(d, str) or d.lower() not in WEEKDAYS
            ]
            if bad:
                pr.add(
                    f"{where}: 'days' has {raw_days[bad[0]]!r}; use {', '.join(WEEKDAYS)}",
                    (*at, "days", bad[0]),
                )
            else:
                days = tuple(sorted({WEEKDAYS.index(d.lower()) for d in raw_days}))
    texts = {
        k: _opt_text(item, k, where, pr, at) or ""
        for k in ("intensity", "progression", "tailoring", "equipment")
    }
    if len(pr.items) > n_before:
        return None
    exercise = Exercise(
        id=ex_id,
        name=name,
        muscles=tuple(muscles),
        targets=base.targets if base else (),
        steps=tuple(steps),
        caution=caution,
        source=base.source if base else "custom exercise from the plan",
        dosage=replace(
            dose,
            reps=reps,
            hold_s=hold,
            per_side=per_side,
            times_per_day=(float(times), float(times)),
        ),
    )
    return Prescription(
        exercise=exercise,
        custom=custom,
        times_per_day=int(times),
        sets=int(sets),
        days=days,
        intensity=texts["intensity"],
        progression=texts["progression"],
        tailoring=texts["tailoring"],
        equipment=texts["equipment"] or "none",
        gone=gone,
    )


def _gone_from_library(ex_id: str) -> Exercise:
    """An exercise an imported plan names by id alone that the library (the user's own
    exercises.toml) no longer has: known by its id, with no targets.

    Why: the plan was valid when imported, the exercise then in the user's copy (a
    therapist adds one there and prescribes it). Taken out of the copy since, the plan
    stopped validating, as for a bundled exercise (:func:`_bundled_only`): the monitor
    would not start, `plan show`, `done` and the report refused it as "a damaged file".
    Its doses still hold, and count; only its description is lost, which `plan show`
    says (:attr:`Plan.warnings`)."""
    name = ex_id.replace("_", " ").capitalize()
    return Exercise(
        id=ex_id,
        name=name,
        muscles=(),
        targets=(),
        steps=(
            f"{name}, as the therapist showed you (its steps are no longer in exercises.toml).",
        ),
        caution="Stop if it hurts, and ask your therapist.",
        # no path: the therapist's PDF shows it (Plan.warnings), and a path names the user
        source="taken out of exercises.toml since the plan was imported",
    )


def _bundled_only(ex_id: str, lib: Library) -> Optional[Exercise]:
    """The bundled library's ``ex_id`` when ``lib`` (the user's own exercises.toml, which
    replaces the bundled one) lacks it, with no targets; else None.

    Why: a plan names library exercises by id alone. With the exercise taken out of the
    user's copy, the plan in force stopped validating: the monitor would not start, and
    `plan show`, `done` and the report refused it as "a damaged file". The therapist's
    prescription still holds (its doses are prompted); without targets, the coach's
    posture alerts and break prompts never pick it, as the user's copy decided."""
    from .exercises import bundled_path

    if Path(lib.origin) == bundled_path():
        return None
    try:
        found = load_library(bundled_path()).by_id(ex_id)
    except (KeyError, UserError):
        return None
    return replace(found, targets=())


# --------------------------------------------------------------------------- scheduling
@dataclass(frozen=True)
class Slot:
    """One prompt of a prescribed exercise on a given day."""

    at: time
    exercise: str


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _free_intervals(
    workday: tuple[time, time], quiet: Optional[tuple[time, time]]
) -> list[tuple[int, int]]:
    """The working day minus quiet hours, as [start, end) minute intervals."""
    w0, w1 = _minutes(workday[0]), _minutes(workday[1])
    blocked: list[tuple[int, int]] = []
    if quiet is not None:
        q0, q1 = _minutes(quiet[0]), _minutes(quiet[1])
        blocked = [(q0, q1)] if q0 < q1 else [(0, q1), (q0, 24 * 60)]
    free = [(w0, w1)]
    for b0, b1 in blocked:
        nxt = []
        for a0, a1 in free:
            if b1 <= a0 or b0 >= a1:
                nxt.append((a0, a1))
                continue
            if a0 < b0:
                nxt.append((a0, b0))
            if b1 < a1:
                nxt.append((b1, a1))
        free = nxt
    return free


def _available_minutes(workday: tuple[time, time], quiet: Optional[tuple[time, time]]) -> float:
    return float(sum(b - a for a, b in _free_intervals(workday, quiet)))


def schedule_day(plan: Plan, day: date) -> list[Slot]:
    """When the coach prompts each prescribed exercise on ``day`` (pure, sorted by time).

    The day's doses (N in all) go to N evenly spaced moments of the working day's free
    time F (quiet hours taken out): at free-minute offsets ``(j + 0.5) * F / N``. Which dose
    gets which moment: dose i of an exercise taken n times a day "wants" the fraction
    ``(i + 0.5) / n`` of the day, and doses are handed out in that order (ties in plan
    order). So no two prompts ever coincide, each exercise's doses stay spread over the
    day, and a single dose lands mid-day. Days outside the plan's dates or an exercise's
    weekdays get no slots.
    """
    if not plan.active_on(day):
        return []
    free = _free_intervals(plan.workday, plan.quiet_hours)
    total = sum(b - a for a, b in free)
    if total <= 0:
        return []
    wanted: list[tuple[float, int, str]] = []
    for k, p in enumerate(plan.prescriptions):
        if p.on(day):
            n = p.times_per_day
            wanted += [((i + 0.5) / n, k, p.id) for i in range(n)]
    wanted.sort()
    n_all = len(wanted)
    return [
        Slot(_clock_at(free, (j + 0.5) * total / n_all), ex_id)
        for j, (_, _, ex_id) in enumerate(wanted)
    ]


def _clock_at(free: Sequence[tuple[int, int]], offset: float) -> time:
    """The clock time ``offset`` free minutes into the day (whole minutes, inside ``free``)."""
    left = offset
    for a, b in free:
        if left < b - a:
            minute = a + int(left)
            return time(minute // 60, minute % 60)
        left -= b - a
    a, b = free[-1]
    return time((b - 1) // 60, (b - 1) % 60)


def slots_provider(plan: Plan) -> Callable[[date], tuple[tuple[time, str], ...]]:
    """What the coach calls each day: (time, exercise id) pairs of :func:`schedule_day`."""

    def slots(day: date) -> tuple[tuple[time, str], ...]:
        return tuple((s.at, s.exercise) for s in schedule_day(plan, day))

    return slots


def prescribed_count(plan: Plan, exercise_id: str, day: date) -> int:
    """Doses of ``exercise_id`` the plan prescribes on ``day``."""
    p = plan.by_id(exercise_id)
    if p is None or not plan.active_on(day) or not p.on(day):
        return 0
    return p.times_per_day


# --------------------------------------------------------------------------- the coach follows
def coach_settings(plan: Plan, base: Any) -> Any:
    """The coach's settings under ``plan``: break interval, quiet hours, alert sensitivity,
    and the daily prescribed-exercise slots, laid over ``base`` (a ``coach.CoachSettings``,
    normally the user's own from config.toml); see :func:`plan_setting_changes`."""
    return replace(base, **plan_setting_changes(plan, base))


def plan_setting_changes(plan: Plan, base: Any) -> dict[str, Any]:
    """The coach settings ``plan`` lays over ``base``, by name (``posture-guard config``
    marks these as the plan's).

    Only what the plan prescribes replaces the user's choice; everything else (framing
    prompts, micro prompts, snooze length, check-in time...) stays as the user set it.
    A plan without quiet hours ("off" or left out) keeps the user's quiet hours: the plan
    then has no view on them, and the user may need them (night shifts, lunch at home).
    "normal" alert sensitivity likewise keeps the user's alert timing.
    """
    changes: dict[str, Any] = {
        "break_after_s": plan.break_interval_min * 60.0,
        "plan_slots": slots_provider(scheduled_plan(plan, getattr(base, "quiet_hours", None))),
    }
    if plan.quiet_hours is not None:
        changes["quiet_hours"] = plan.quiet_hours
    sens = SENSITIVITY_SETTINGS[plan.alert_sensitivity]
    if sens is not None:
        changes["alert_hold_s"], changes["alert_bad_share"], changes["alert_cooldown_s"] = sens
    checkin = getattr(base, "checkin_time", None)
    if (
        checkin is not None
        and plan.quiet_hours is not None
        and _in_range(checkin, plan.quiet_hours)
    ):
        # the check-in could never be shown in quiet hours: move it to the end of the day
        end = plan.workday[1]
        changes["checkin_time"] = None if _in_range(end, plan.quiet_hours) else end
    return changes


def scheduled_plan(plan: Plan, own_quiet: Optional[tuple[time, time]]) -> Plan:
    """``plan`` as the coach schedules it: a plan without quiet hours of its own keeps the
    user's (see :func:`coach_settings`), and the coach is silent in them, so the doses are
    spread around them too. Otherwise a dose that fell in them came late or not at all."""
    if plan.quiet_hours is None and own_quiet is not None:
        return replace(plan, quiet_hours=own_quiet)
    return plan


def library_with(plan: Plan, base: Library) -> Library:
    """The library the coach uses under ``plan``: the plan's doses replace the library's,
    and custom exercises join (with no targets, so posture alerts never pick them)."""
    mine = {p.id: p.exercise for p in plan.prescriptions}
    merged = [mine.pop(ex.id, ex) for ex in base.exercises]
    merged += list(mine.values())
    return Library(tuple(merged), f"{base.origin} + plan {plan.origin}")


def coach_overrides(day: date, plans: Optional[PlansOn] = None) -> tuple[Any, Optional[Library]]:
    """(settings, library) for a coach session starting on ``day`` under the active plan,
    or (None, None) when no plan is active that day (the coach then uses the user's own
    settings). The plan is laid over the user's ``[coach]`` settings from config.toml, not
    over the built-in defaults, so that e.g. ``framing_prompts = false`` still holds; a
    broken config file is the same UserError, naming the file, as without a plan.
    ``plans``: :func:`plans_on` ``day`` if already read."""
    return _overrides((plans or plans_on(day)).in_force, day)


def replay_overrides(start: datetime) -> tuple[Any, Optional[Library]]:
    """(settings, library) for a replay or demo whose stream begins at ``start``: as
    :func:`coach_overrides`, under the plan in force at ``start``
    (:func:`plan_in_force_at`)."""
    return _overrides(plan_in_force_at(start), start.date())


def _overrides(plan: Optional[Plan], day: date) -> tuple[Any, Optional[Library]]:
    if plan is None or not plan.active_on(day):
        return None, None
    from .coach import load_settings

    return coach_settings(plan, load_settings()), library_with(plan, load_library())


def _in_range(t: time, r: tuple[time, time]) -> bool:
    a, b = r
    return a <= t < b if a < b else (t >= a or t < b)


# --------------------------------------------------------------------------- the active plan
def active_plan_path() -> Path:
    return paths.config_dir() / PLAN_FILE


def _folder_in_place(path: Path, then: str) -> UserError:
    """The refusal when a folder stands where the active plan goes. Why: it was "cannot
    read plan PATH: Is a directory" followed by "a damaged file, or a plan imported with
    an earlier version", and a way out (`plan clear`) that fails on a folder too."""
    return paths.folder_in_place("the active plan", path, then, expected="a plan file")


def load_active_plan(library: Optional[Library] = None) -> Optional[Plan]:
    """The imported plan, or None when there is none."""
    path = active_plan_path()
    if not path.exists():
        return None
    if path.is_dir():
        raise _folder_in_place(
            path, "without it no plan is in force; `posture-guard plan import FILE` sets one"
        )
    # exercises.toml read first, its faults its own: taken for the plan's, one a dose this
    # version bounds (a hold of 0.5 s an older version took) was said to make the plan
    # unusable and `plan clear`, which removes the therapist's plan, the way out
    library = library if library is not None else load_library()
    try:
        return load_plan_file(path, library, imported=True)
    except NewerPlan as exc:
        raise UserError(
            f"the active plan cannot be used: {exc}, or `posture-guard plan clear` to go "
            "on without it"
        ) from exc
    except UserError as exc:
        # damaged, or imported under an earlier version whose checks it passed (a rule
        # this version adds, such as hold_s >= 1, is not the patient's doing)
        raise UserError(
            f"the active plan cannot be used: {exc} (a damaged file, or a plan imported "
            "with an earlier version that breaks a rule this one checks); "
            "`posture-guard plan import FILE` replaces it with a corrected plan, "
            "`posture-guard plan clear` removes it"
        ) from exc


@dataclass(frozen=True)
class PlansOn:
    """The active plan (plan.toml) and the plan in force on ``day``, plan.toml read
    once: what the coach, `plan import`, `plan show` and the running monitor ask of them.
    Why one reading: each asked "does the active plan start later?" on its own, and
    `plan show` read plan.toml three times for it."""

    day: date
    active: Optional[Plan]
    in_force: Optional[Plan]  # see plan_in_force

    @property
    def starts_later(self) -> Optional[date]:
        """The active plan's start if it comes after ``day``, else None: such a plan
        replaces the plan in force only from its start (:func:`plan_periods`)."""
        if self.active is None or self.active.start <= self.day:
            return None
        return self.active.start

    @property
    def held(self) -> Optional[Plan]:
        """The plan in force (running) on ``day`` while the active plan, imported to start
        later, has not started; None when there is none: what `plan import` and `plan show`
        tell, the active plan being then another than the one the coach follows."""
        held = self.in_force
        if (
            self.starts_later is None
            or held is None
            or _same_plan(held, self.active)
            or not held.active_on(self.day)
        ):
            return None
        return held


def plans_on(day: date, library: Optional[Library] = None) -> PlansOn:
    """The active plan and the plan in force on ``day`` (today, or a day to come): the
    active plan, or, before the start of an active plan imported to start later, the plan
    it replaced, which stays in force until then (see :func:`plan_periods`).

    Why: a therapist sends the next block on Friday to start on Monday, and the patient
    imports it at once; the active plan being the new one, the coach and the report had
    no plan over the weekend. A damaged plan.toml is the same UserError as before; a
    replaced plan a later rule rejects leaves the days before the start without a plan,
    as before, rather than stop the monitor."""
    current = load_active_plan(library)
    plans = PlansOn(day, current, current)
    if plans.starts_later is None:
        return plans
    try:
        period = plan_periods(day, day, current, library)[0]
    except UserError:
        return plans
    # a plan cleared earlier that day judges the day in a report up to the clear, but
    # from the clear on none is in force (a plan imported since to start later brought
    # the cleared one back for the rest of the day, to the coach and `plan show`)
    return replace(plans, in_force=None if period.until is not None else period.plan)


def plan_in_force(day: date, library: Optional[Library] = None) -> Optional[Plan]:
    """The plan the coach follows on ``day`` (see :func:`plans_on`)."""
    return plans_on(day, library).in_force


def plan_in_force_at(moment: datetime, library: Optional[Library] = None) -> Optional[Plan]:
    """The plan in force at ``moment``: for a day before today the plan the report judges
    that day by (:func:`plan_periods`; on the day of a clear, up to the clear), else the
    plan the coach follows (:func:`plans_on`).

    Why: a replay of a past day (`replay --notify --start`) coached by the active plan
    alone; after a `plan clear` it prompted no dose on a day the history shows a plan in
    force, and before the clear it prompted that plan's doses on the same day."""
    day = moment.date()
    if day >= date.today():
        return plans_on(day, library).in_force
    period = plan_periods(day, day, load_active_plan(library), library)[0]
    if period.until is not None and moment >= period.until:
        return None
    return period.plan


def import_plan(
    source: str | Path, library: Optional[Library] = None, now: Optional[datetime] = None
) -> Plan:
    """Validate ``source`` and make it the active plan; if invalid, nothing changes.

    A copy goes to the plan history with the moment of the import (``now``, default the
    clock), so that a report judges the days before it by the plan then in force."""
    return _import(source, library, now, False)[0]


def import_plan_instead(
    source: str | Path, library: Optional[Library] = None, now: Optional[datetime] = None
) -> tuple[Plan, HistoryEntry]:
    """Import ``source`` in place of the plan imported earlier today, which is withdrawn
    from the history: it judges no day, and until this plan's start the plan in force
    before it holds (or none). Returns the plan and the withdrawn import.

    Why the therapist must say so: a plan imported to start today and replaced the same
    day by one that starts later stays in force until that start, as a first block does
    when the second is imported at the same session; the files cannot tell that from a
    start date typed wrong and corrected (see :func:`_mistaken_import`)."""
    plan, withdrawn = _import(source, library, now, True)
    assert withdrawn is not None
    return plan, withdrawn


def _import(
    source: str | Path, library: Optional[Library], now: Optional[datetime], instead: bool
) -> tuple[Plan, Optional[HistoryEntry]]:
    src = Path(source)
    raw = _read_plan(src)
    plan = parse_plan_text(raw, str(src), library)
    now = now or datetime.now()
    mistaken = _mistaken_import(raw, src, now) if instead else None
    entry = _record_history(raw, now)
    withdrawn: Optional[Path] = None
    try:
        if mistaken is not None:
            withdrawn = _withdraw(mistaken)
        _write_atomic(active_plan_path(), raw)
    except UserError as exc:
        # the plan did not change: the history must not say it did
        if withdrawn is not None:
            _unwithdraw(withdrawn, mistaken)
        _forget(entry)
        if active_plan_path().is_dir():  # in the words of every other plan command
            raise _folder_in_place(
                active_plan_path(), "nothing was imported; the plan history is as it was"
            ) from exc
        raise
    return replace(plan, origin=str(active_plan_path())), mistaken


def clear_plan(now: Optional[datetime] = None) -> bool:
    """Remove the active plan; True if there was one. The history keeps the moment
    (``now``, default the clock): the days after it had no plan."""
    path = active_plan_path()
    if not path.exists():
        return False
    if path.is_dir():
        raise _folder_in_place(path, "nothing was cleared; without it no plan is in force")
    entry = _record_history(None, now or datetime.now())
    try:
        path.unlink()
    except FileNotFoundError:
        _forget(entry)
        return False
    except OSError as exc:
        _forget(entry)
        raise UserError(f"cannot remove the active plan {path}: {exc.strerror or exc}") from exc
    return True


# --------------------------------------------------------------------------- plan history
# Why: a therapist revises the plan at a session (week 3, say) and `plan import` replaces
# the active plan; a report judging every day by the one current plan then lost the first
# weeks or judged them by the new doses. Each import is kept as a numbered copy (the
# number orders them, the name holds the moment, in milliseconds since the epoch), and
# each clear as an empty ``.cleared`` file. Files, not a database table: the plan is a
# file already, and the copy is exactly what was imported. Private (0600 in a 0700
# folder), as the active plan.
PLAN_HISTORY_DIR = "plan-history"
_HISTORY_NAME = re.compile(r"^(\d+)-(\d+)\.(toml|cleared)$")


@dataclass(frozen=True)
class HistoryEntry:
    """A plan imported (``path`` its copy) or the plan cleared, at the local time ``at``."""

    number: int
    at: datetime
    path: Path
    cleared: bool

    def load(self, library: Optional[Library] = None) -> Optional[Plan]:
        """The plan this entry put in force (None for a clear)."""
        if self.cleared:
            return None
        try:
            return load_plan_file(self.path, library, imported=True)
        except UserError as exc:
            raise UserError(
                f"the plan imported on {self.at:%Y-%m-%d %H:%M} cannot be used: {exc}; "
                "`--plan FILE` judges the whole range by one plan instead"
            ) from exc


@dataclass(frozen=True)
class PlanPeriod:
    """Consecutive days of a report judged by one plan (None: no plan in force)."""

    first: date
    last: date
    plan: Optional[Plan]
    since: Optional[datetime] = None  # when that plan was imported (None: not known)
    # when that plan was cleared, on the period's last day (None: it was not): the doses
    # due after it were no longer prescribed (the coach followed no plan then)
    until: Optional[datetime] = None


def plan_history_dir() -> Path:
    return paths.config_dir() / PLAN_HISTORY_DIR


def plan_history() -> list[HistoryEntry]:
    """The imports and clears recorded so far, oldest first (other files are ignored)."""
    folder = plan_history_dir()
    try:
        names = [p.name for p in folder.iterdir()]
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise UserError(f"cannot read the plan history {folder}: {exc.strerror or exc}") from exc
    out = []
    for name in names:
        m = _HISTORY_NAME.match(name)
        if m:
            try:
                at = datetime.fromtimestamp(int(m.group(2)) / 1000)
            except (OverflowError, OSError, ValueError) as exc:
                # a name not made here (by hand): the bare "Value too large for defined
                # data type" named no file, so the user could not find the one to move
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                raise UserError(
                    f"the plan history holds {folder / name}, whose name gives no time this "
                    f"system can hold ({why}); posture-guard did not write it: move it away"
                ) from exc
            out.append(HistoryEntry(int(m.group(1)), at, folder / name, m.group(3) == "cleared"))
    return sorted(out, key=lambda e: e.number)


def _record_history(raw: Optional[bytes], now: datetime) -> HistoryEntry:
    """Add an import (``raw``) or a clear (None) to the history. A change of the active
    plan the history has not recorded (a plan imported by an earlier version, before any
    history; plan.toml copied in, restored or edited by hand) is recorded first, see
    :func:`record_unrecorded_change`, so the days it was in force stay judged by it."""
    entries = plan_history()
    pending = _unrecorded_change(entries, now)
    if pending is not None:
        entries.append(_write_entry(_next_number(entries), *pending))
    return _write_entry(_next_number(entries), raw, now)


def _next_number(entries: Sequence[HistoryEntry]) -> int:
    return entries[-1].number + 1 if entries else 1


def _unrecorded_change(
    entries: Sequence[HistoryEntry], now: datetime
) -> Optional[tuple[Optional[bytes], datetime]]:
    """(plan.toml's bytes, or None when it is gone; when it changed) if the active plan
    is not the one the history's last entry put in force, else None.

    Why: the coach follows plan.toml whoever wrote it, so a plan copied in by hand or
    restored from a backup is in force from then on; unrecorded, the report judged those
    days by the plan imported before. When: the file's modification time if it falls
    after the last entry (a copy or an edit sets it), else ``now``, the moment noticed (a
    restore that kept an older time, a file removed: nothing on disk tells when). A
    plan.toml that cannot be read or does not validate is not recorded: the monitor keeps
    the plan in force before it, and the report refuses it by name."""
    path = active_plan_path()
    try:
        raw: Optional[bytes] = path.read_bytes()
        mtime: Optional[datetime] = datetime.fromtimestamp(path.stat().st_mtime)
    except FileNotFoundError:
        raw, mtime = None, None
    except OSError:
        return None  # unreadable: not a plan the coach can follow either
    last = entries[-1] if entries else None
    if last is None:
        # before any history: a plan imported by an earlier version, dated by its file
        return None if raw is None or mtime is None else (raw, mtime)
    if raw is None:
        return None if last.cleared else (None, now)
    if not last.cleared:
        try:
            if last.path.read_bytes() == raw:
                return None
        except OSError:
            pass  # a history copy gone or unreadable: the active plan is recorded again
    try:
        parse_plan_text(raw, str(path))
    except UserError:
        return None
    at = mtime if mtime is not None and last.at < mtime <= now else now
    return (raw, at)


def record_unrecorded_change(now: Optional[datetime] = None) -> Optional[HistoryEntry]:
    """Record in the history a change of plan.toml that no `plan import` or `plan clear`
    made (see :func:`_unrecorded_change`), if there is one; the running monitor calls it
    when it takes up a changed plan.toml, so the moment is known to within seconds."""
    entries = plan_history()
    pending = _unrecorded_change(entries, now or datetime.now())
    if pending is None:
        return None
    return _write_entry(_next_number(entries), *pending)


def history_in_force(now: Optional[datetime] = None) -> list[HistoryEntry]:
    """The history with, last, the active plan's change it has not recorded yet, if any:
    what a report judges by (reading only; a report writes nothing to the history)."""
    entries = plan_history()
    pending = _unrecorded_change(entries, now or datetime.now())
    if pending is not None and entries:
        raw, at = pending
        entries.append(HistoryEntry(_next_number(entries), at, active_plan_path(), raw is None))
    return entries


def _write_entry(number: int, raw: Optional[bytes], at: datetime) -> HistoryEntry:
    ext = "cleared" if raw is None else "toml"
    path = plan_history_dir() / f"{number:04d}-{round(at.timestamp() * 1000)}.{ext}"
    try:
        paths.write_atomic(path, raw or b"")
    except OSError as exc:
        raise paths.write_refusal("cannot record the plan in its history at", path, exc) from exc
    return HistoryEntry(number, at, path, raw is None)


def _forget(entry: HistoryEntry) -> None:
    try:
        entry.path.unlink()
    except OSError:
        pass


def _mistaken_import(raw: bytes, src: Path, now: datetime) -> HistoryEntry:
    """The import ``plan import --instead`` withdraws: the last one made today (copies of
    the plan being imported now passed over, so that importing it again with --instead,
    as the import that replaced the mistake suggests, reaches the mistake). Refused, with
    what to do, when there is none to withdraw: nothing imported today, a clear after it,
    or the active plan changed by hand since (not an import this could undo)."""
    entries = plan_history()
    again = f"import {src} without --instead"
    if entries and _unrecorded_change(entries, now) is not None:
        raise UserError(
            f"--instead replaces the plan imported earlier today, but the active plan "
            f"{active_plan_path()} was changed since by other means (copied in, restored or "
            f"removed by hand); {again}"
        )
    for entry in reversed(entries):
        if entry.at.date() != now.date():
            break
        if entry.cleared:
            raise UserError(
                f"--instead replaces the plan imported earlier today, but the plan was "
                f"cleared at {entry.at:%H:%M}, so none is in force to replace; {again}"
            )
        try:
            same = entry.path.read_bytes() == raw
        except OSError:
            same = False
        if not same:
            return entry
    earlier = [e for e in entries if e.at.date() != now.date()]
    if len(earlier) < len(entries):
        why = "only this same plan was, so it replaces none"
    elif not earlier:
        why = "none was"
    else:
        what = "cleared" if earlier[-1].cleared else "imported"
        why = f"the plan was last {what} on {earlier[-1].at:%Y-%m-%d}"
    raise UserError(f"--instead replaces a plan imported earlier today, and {why}; {again}")


# The suffix a withdrawn import's copy takes (`plan import --instead`): kept in the
# history folder for the record, read as no entry (the names' pattern leaves it out), so
# a version without --instead reads the history as this one does.
WITHDRAWN_SUFFIX = ".withdrawn.toml"


def _withdraw(entry: HistoryEntry) -> Path:
    """Rename ``entry``'s copy so that the history no longer holds it; the new name."""
    new = entry.path.with_name(entry.path.stem + WITHDRAWN_SUFFIX)
    try:
        os.replace(entry.path, new)
    except OSError as exc:
        raise UserError(
            f"cannot withdraw the plan imported at {entry.at:%H:%M} from the history "
            f"{entry.path.parent}: {exc.strerror or exc}; nothing was imported"
        ) from exc
    paths.sync_folder(entry.path.parent)
    return new


def _unwithdraw(withdrawn: Path, entry: Optional[HistoryEntry]) -> None:
    if entry is None:
        return
    try:
        os.replace(withdrawn, entry.path)
    except OSError:
        pass


def plan_periods(
    first: date, last: date, current: Optional[Plan], library: Optional[Library] = None
) -> list[PlanPeriod]:
    """``first``..``last`` split by the plan in force each day: the plan imported last on
    or before that day (a plan imported during a day is the one the coach followed for the
    rest of it), none after a clear (the clear's own day keeps the plan it cleared up to
    the clear: :attr:`PlanPeriod.until`), except that a plan imported to start later
    replaces none before its start: the plan in force when it came stays until then (a
    clear still ends a plan at once). Days before the history's first entry take the plan in
    force at the end of that entry's day, the earliest known, or the plan a clear that day
    ended (:func:`_earliest`); without any history (plans imported by an earlier version),
    every day takes ``current``, the active plan, as before."""
    entries = history_in_force()
    if not entries:
        return [PlanPeriod(first, last, current)]
    earliest = _earliest(entries)
    # plans loaded when a day needs one: a plan of long ago that a later version's rules
    # reject stops no report of other days
    plans: dict[int, Optional[Plan]] = {}

    def load(entry: HistoryEntry) -> Optional[Plan]:
        if entry.number not in plans:
            plans[entry.number] = entry.load(library)
        return plans[entry.number]

    periods: list[PlanPeriod] = []
    day = first
    while day <= last:
        found, until = _entry_in_force(entries, day, load)
        entry = found or earliest
        plan = load(entry)
        since = None if entry.cleared else entry.at
        if periods and periods[-1].until is None and _same_plan(periods[-1].plan, plan):
            periods[-1] = replace(periods[-1], last=day, until=until)
        else:
            periods.append(PlanPeriod(day, day, plan, since, until))
        day += timedelta(days=1)
    return periods


def _entry_in_force(
    entries: Sequence[HistoryEntry], day: date, load: Callable[[HistoryEntry], Optional[Plan]]
) -> tuple[Optional[HistoryEntry], Optional[datetime]]:
    """(the entry that judges ``day``, the moment that day its plan was cleared or None).

    The entry is the last one on or before ``day`` that had taken effect by then: a
    clear, or an import whose plan starts on or before ``day`` (None if there is none).
    An import replaced the same day by another that holds is thereby passed over; one
    replaced by an import that starts later still holds until that start, as the import
    said.

    A clear on ``day`` itself leaves the day to the plan in force before it, up to the
    clear. Why: the patient followed that plan until then; judged by no plan, the
    morning's doses and the day's target were dropped from the report as if the plan
    had never held that day."""
    for i in range(len(entries) - 1, -1, -1):
        entry = entries[i]
        if entry.at.date() > day:
            continue
        if entry.cleared:
            if entry.at.date() == day:
                before, until = _entry_in_force(entries[:i], day, load)
                if before is not None and not before.cleared:
                    return before, until or entry.at
            return entry, None
        plan = load(entry)
        if plan is None or plan.start <= day:
            return entry, None
    return None, None


def _earliest(entries: Sequence[HistoryEntry]) -> HistoryEntry:
    """The entry that judges the days before the history's first day: that day's last
    import, even if a clear came after it (else its last entry, a clear: no plan).

    Why: a plan imported with a start before its import (the therapist's plan began
    last week) judges those earlier days; cleared later the same day, the clear was the
    day's last entry, so those days read "no plan" in the report, as if the clear had
    undone them, while a clear ends a plan only from its moment."""
    first_day = list(takewhile(lambda e: e.at.date() == entries[0].at.date(), entries))
    imports = [e for e in first_day if not e.cleared]
    return (imports or first_day)[-1]


def _last_of_each_day(entries: Sequence[HistoryEntry]) -> list[HistoryEntry]:
    """The entries that judged a day: each day's last. An import replaced the same day (a
    dose corrected, a start mistyped) judged none, yet it was the earliest known plan,
    which the days before the history took, and its start set the report's first day."""
    return [
        e
        for e, nxt in zip(entries, [*entries[1:], None])
        if nxt is None or nxt.at.date() != e.at.date()
    ]


def _same_plan(a: Optional[Plan], b: Optional[Plan]) -> bool:
    """Whether two entries put the same prescription in force (their copies' paths
    apart). Why: the same plan imported again, or cleared and imported again the same
    day, is no revision; as two periods the report listed one plan twice, its exercises
    described twice, as if something had changed."""
    if a is None or b is None:
        return a is b
    return a is b or replace(a, origin="") == replace(b, origin="")


def plan_course_start() -> Optional[date]:
    """The earliest start of the plans in force since the last clear (the current course
    of treatment, revisions included), or None without a history or after a clear. A
    report's default first day, so that a revision at week 3 leaves out no week."""
    entries = history_in_force()
    kept = {e.number for e in _last_of_each_day(entries)}
    course = []
    for e in reversed(entries):
        if e.cleared:
            break
        if e.number in kept:
            course.append(e)
    starts = []
    for e in course:
        try:
            plan = e.load()
        except UserError:
            continue  # named by plan_periods if the report's days need it
        if plan is not None:
            starts.append(plan.start)
    return min(starts) if starts else None


def last_cleared_course() -> Optional[tuple[date, Plan, datetime]]:
    """(the first plan's start, the last plan, the clear's moment) of the course of
    treatment the last clear ended, when no plan has been imported since (None
    otherwise, or when the history cannot tell): the plans in force between the clear
    before it and it, revisions included, an import replaced the same day by another
    left out (it judged no day), one cleared the same day kept (it judged the day up to
    the clear).

    Why: a therapist report without dates covers the plan's course; after a `plan clear`
    it covered the last 4 weeks instead, which began before the plan (a baseline of 1
    monitored day) and judged it by days it never ran on."""
    entries = history_in_force()
    i = len(entries) - 1
    while i >= 0 and entries[i].cleared:
        i -= 1
    if i < 0 or i == len(entries) - 1:
        return None
    course = []
    for j in range(i, -1, -1):
        entry, nxt = entries[j], entries[j + 1]
        if entry.cleared:
            break
        if not nxt.cleared and nxt.at.date() == entry.at.date():
            continue
        course.append(entry)
    try:
        plans = [p for p in (e.load() for e in course) if p is not None]
    except UserError:
        return None  # named by plan_periods if the report's days need it
    if not plans:
        return None
    return min(p.start for p in plans), plans[0], entries[i + 1].at


def _write_atomic(path: Path, data: bytes) -> None:
    try:
        paths.write_atomic(path, data)
    except OSError as exc:
        raise paths.write_refusal("cannot save the active plan to", path, exc) from exc


# --------------------------------------------------------------------------- plan new
def new_plan_text(
    start: date,
    weeks: int = 4,
    exercises: Sequence[str] = ("chin_tuck", "upper_trapezius_stretch"),
    patient: str = "",
    library: Optional[Library] = None,
) -> str:
    """A valid, commented plan to edit: the given library exercises with their doses."""
    lib = library or load_library()
    end = start + timedelta(days=7 * weeks - 1)
    out = [
        "# posture_guard therapist plan (schema 1). Edit, then: posture-guard plan import FILE",
        "# Every key explained: `posture-guard plan example`. No personal data beyond the label.",
        "schema = 1",
        f"patient = {_toml_str(patient)}          # optional label, e.g. initials or a number",
        f"start = {start.isoformat()}",
        f"end = {end.isoformat()}",
        'workday = "08:30-17:30"        # prescribed exercises are spread over this',
        'quiet_hours = "12:00-13:00"    # no prompts ("off" for none)',
        "break_interval_min = 45        # break prompt after this long sitting",
        'alert_sensitivity = "normal"   # low | normal | high',
        "",
        "[target]",
        "forward_head_max_share = 0.20  # forward head at most 20 % of desk time",
    ]
    for ex_id in exercises:
        try:
            ex = lib.by_id(ex_id)
        except KeyError:
            known = ", ".join(e.id for e in lib.exercises)
            raise UserError(
                f"--exercise {ex_id!r} is not in the library (known: {known})"
            ) from None
        d = ex.dosage
        times = int(d.times_per_day[1]) if d.times_per_day else 2
        out += ["", "[[exercise]]", f'id = "{ex.id}"   # {ex.name}', f"times_per_day = {times}"]
        if d.reps is not None:
            out.append(f"reps = {d.reps}")
        if d.hold_s is not None:
            out.append(f"hold_s = {_num(d.hold_s[0])}")
        out += [
            'days = ["mon", "tue", "wed", "thu", "fri"]',
            'intensity = "gentle; no pain"',
            'progression = "review at the next session"',
            'tailoring = ""',
        ]
    if len(exercises) > MANY_EXERCISES:
        out.insert(2, f"# Note: more than {MANY_EXERCISES} exercises lowers adherence.")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- helpers
def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _toml_scalar(v: Any) -> str:
    """A value as it is written in TOML (``true``, ``1.0``), for a message quoting it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)


def _num(v: float) -> str:
    return f"{v:g}"


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _date(
    doc: Mapping[str, Any], key: str, pr: _Problems, imported: bool = False
) -> Optional[date]:
    """The day ``key`` names. A moment (a TOML date-time) is refused at import: a plan
    holds whole days of the patient's own calendar, and the time, with its zone, was
    dropped without a word (a therapist's '2026-12-07T20:00:00-08:00', Dec 8 for a patient
    in Berlin, started the plan on Dec 7). A plan imported so (``imported``) still reads,
    by the day written, as it was judged."""
    from .dates import EARLIEST_DAY, LATEST_DAY, span

    v = doc.get(key)
    day: Optional[date] = None
    if v is None:
        pr.add(f"'{key}' is missing (a date like {key} = 2024-03-04)")
        return None
    if isinstance(v, datetime) and not imported:
        pr.add(
            f"'{key}' must be a day like 2024-03-04, not a moment ({v}): a plan holds whole "
            "days of the patient's own calendar, wherever it was written; write the day alone",
            (key,),
        )
        return None
    if isinstance(v, datetime):
        day = v.date()
    elif isinstance(v, date):
        day = v
    elif isinstance(v, str):
        try:
            day = date.fromisoformat(ascii_digits(v).strip())
        except ValueError:
            pass
    if day is None:
        pr.add(f"'{key}' must be a date like 2024-03-04, not {v!r}", (key,))
        return None
    # A plan from year 1 to 9999 imported, and then every report without --from
    # overflowed at the plan's start.
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        pr.add(f"'{key}' {day} is outside the dates posture_guard accepts {span()}", (key,))
        return None
    return day


def _clock_range(
    v: Any, key: str, pr: _Problems, allow_off: bool, imported: bool = False
) -> Optional[tuple[time, time]]:
    """The range ``key`` gives ("08:30-17:30"), or None for "off" where ``allow_off``.

    `v is False`, not `v in (False, None)`: 0 == False, and `quiet_hours = 0` was taken
    as off at import (config.toml's reader refuses it); a plan imported so still reads."""
    if allow_off and (
        v is False
        or v is None
        or (isinstance(v, str) and v.strip().lower() in ("off", ""))
        or (imported and v == 0)
    ):
        return None
    if isinstance(v, str) and v.count("-") == 1:
        a, b = v.split("-")
        try:
            # any decimal digits, as durations take them (dates.ascii_digits)
            start = datetime.strptime(ascii_digits(a).strip(), "%H:%M").time()
            end = datetime.strptime(ascii_digits(b).strip(), "%H:%M").time()
        except ValueError:
            pass
        else:
            if start == end:
                pr.add(f"'{key}' starts and ends at the same time", (key,))
                return None
            return (start, end)
    alt = ' or be "off"' if allow_off else ""
    pr.add(f"'{key}' must look like '08:30-17:30'{alt}, not {_toml_scalar(v)}", (key,))
    return None


def _opt_text(
    item: Mapping[str, Any], key: str, where: str, pr: _Problems, at: KeyPath
) -> Optional[str]:
    """The text ``key`` of the exercise ``at`` (its path in the plan), if given."""
    if key not in item:
        return None
    v = item[key]
    if not isinstance(v, str):
        pr.add(f"{where}: {key!r} must be text", (*at, key))
        return None
    if _control_chars(v):
        pr.add(f"{where}: {key!r} holds control characters ({_control_chars(v)})", (*at, key))
        return None
    return v.strip() or None


def _opt_texts(
    item: Mapping[str, Any], key: str, where: str, pr: _Problems, at: KeyPath
) -> Optional[tuple[str, ...]]:
    """The list of texts ``key`` of the exercise ``at`` (its path in the plan), if given."""
    if key not in item:
        return None
    v = item[key]
    if not isinstance(v, list) or not all(isinstance(s, str) and s.strip() for s in v):
        pr.add(f"{where}: {key!r} must be a list of non-empty texts", (*at, key))
        return None
    bad = next((_control_chars(s) for s in v if _control_chars(s)), "")
    if bad:
        pr.add(f"{where}: {key!r} holds control characters ({bad})", (*at, key))
        return None
    return tuple(s.strip() for s in v)


def _control_chars(text: str, allowed: str = "\n\t") -> str:
    """The control characters in a plan's text, escaped ("" when none). Plan texts are
    printed (`plan show`, the coach's prompts): raw, an escape sequence would act on the
    terminal. Newlines and tabs are left alone (a long step may wrap in the file)."""
    from .terminal import control_chars

    return control_chars(text, allowed)


def _range_text(r: tuple[time, time]) -> str:
    return f"{r[0]:%H:%M}-{r[1]:%H:%M}"


def _busiest_text(days: tuple[int, ...]) -> str:
    """The weekdays a dose count is about: none named when it is every day's (it read "on
    a Monday" for a plan the same every day), one by name, several as the plan lists them."""
    if days == tuple(range(7)):
        return "a day"
    if len(days) == 1:
        return f"on a {calendar.day_name[days[0]]}"
    return f"a day on {_days_text(days)}"


def _days_text(days: tuple[int, ...]) -> str:
    if days == tuple(range(7)):
        return "every day"
    if days == tuple(range(5)):
        return "Mon-Fri"
    return ", ".join(WEEKDAYS[d].capitalize() for d in days)


# --------------------------------------------------------------------------- CLI
def cmd_plan_new(args: argparse.Namespace) -> int:
    from .dates import parse_day

    start = parse_day(args.start, "--start") if args.start else date.today()
    if args.weeks < 1 or args.weeks > 52:
        raise UserError("--weeks must be from 1 to 52")
    try:  # bytes typed in a Latin-1 terminal: the plan could not be written as UTF-8
        (args.patient or "").encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(
            f"--patient {args.patient!r} is not UTF-8 text (a terminal set to another encoding?)"
        ) from None
    # options the plan would refuse are named as the options typed: a two-line label
    # said "plan <new plan> is not valid TOML: Illegal character '\n' (at line 4,
    # column 13)", and a repeated --exercise "exercise 'chin_tuck' is prescribed twice"
    patient = args.patient or ""
    if len(patient) > 40 or _control_chars(patient, "\t"):
        what = f"is {len(patient)} characters long" if len(patient) > 40 else f"{patient!r}"
        raise UserError(
            f"--patient {what}: the label must be at most 40 characters, one line, with no "
            "control characters (initials or a number will do)"
        )
    repeated = [ex for i, ex in enumerate(args.exercise or ()) if ex in args.exercise[:i]]
    if repeated:
        raise UserError(f"--exercise {repeated[0]} is given twice; give each exercise once")
    text = new_plan_text(
        start,
        args.weeks,
        args.exercise or ("chin_tuck", "upper_trapezius_stretch"),
        patient,
    )
    parse_plan_text(text, "<new plan>")  # never hand out a plan that would not import
    if args.out in (None, "-"):
        what = "plan new -" if args.out else "plan new without a file"
        paths.standard_output(what, "name a file to write: `posture-guard plan new FILE`").write(
            text
        )
        return 0
    out = Path(args.out)
    paths.check_output(out, "plan file")
    # never one of the app's own files, even with --force: it wrote a plan over the
    # database (the whole posture log and diary), or over the active plan, which then
    # held without the checks and the history of `plan import`
    paths.refuse_same_file(
        out,
        "plan file",
        {
            "the database": paths.database_file(),
            "the active plan": active_plan_path(),
            "the config file": paths.config_file(),
        },
    )
    if out.exists() and not args.force:
        raise UserError(f"{out} already exists; choose another name or add --force")
    with paths.open_output(out, "plan file", "plan") as fh:  # whole or not at all
        fh.write(text)
    # quoted as the shell takes it: a name with a space ("plan für Jürgen.toml") was
    # given bare, and the command, pasted, imported a file "plan"
    print(f"wrote plan {out}; edit it, then `posture-guard plan import {shlex.quote(str(out))}`")
    return 0


#: the documented example plan (docs/plan-example.toml) as package data, which `plan
#: example` prints: an installed package has no docs/ folder, and `plan new` and its help
#: named that file (tests/test_plan.py checks that the two are the same)
EXAMPLE_DATA = "plan-example.toml"


def cmd_plan_example(args: argparse.Namespace) -> int:
    """``posture-guard plan example``: the documented example plan on standard output."""
    from importlib import resources

    out = paths.standard_output(
        "plan example", "send it to a file: `posture-guard plan example > FILE`"
    )
    out.write(
        (resources.files("posture_guard") / "data" / EXAMPLE_DATA).read_text(encoding="utf-8")
    )
    return 0


def _exercises(plan: Plan) -> str:
    """'1 exercise', '3 exercises': an import of one exercise read '1 exercise(s)'."""
    n = len(plan.prescriptions)
    return f"{n} exercise{'' if n == 1 else 's'}"


def cmd_plan_import(args: argparse.Namespace) -> int:
    now = datetime.now()
    if getattr(args, "instead", False):
        plan, withdrawn = import_plan_instead(args.file, now=now)
        print(
            f"imported plan {args.file} in place of the plan imported at "
            f"{withdrawn.at:%H:%M} today (withdrawn: it held on no day): {plan.start} to "
            f"{plan.end}, {_exercises(plan)}; a running monitor follows it within seconds, "
            "else from its next start"
        )
    else:
        plan = import_plan(args.file, now=now)
        withdrawn = None
        print(
            f"imported plan {args.file}: {plan.start} to {plan.end}, "
            f"{_exercises(plan)}; a running monitor follows it within seconds, else from "
            "its next start"
        )
    # a broken config.toml is warned where the plan keeps its quiet hours (as before)
    settings = own_settings(warn=plan.quiet_hours is None)
    own = settings.quiet_hours if settings is not None and plan.quiet_hours is None else None
    for w in [*plan.warnings_under(own), checkin_change_text(plan, settings)]:
        if w:
            print(f"warning: {w}")
    if own is not None and _available_minutes(plan.workday, own) <= 0:
        print(f"warning: {_own_quiet_cover_text(plan, own)}")
    today = now.date()
    plans = None if plan.end < today else plans_on(today)
    if plans is None:
        print(f"warning: this plan ended on {plan.end}")
    elif plans.starts_later is not None:
        # a plan imported earlier today that this one leaves in force till its start
        mistake = "" if withdrawn is not None else _held_from_today(plan, now)
        print(_before_start_text(plan, plans, today) + mistake)
    return 0


def _own_quiet_cover_text(plan: Plan, own: tuple[time, time]) -> str:
    """The warning when the patient's own quiet hours, which a plan without quiet hours
    keeps (:func:`scheduled_plan`), cover its whole working day. Why: the coach is
    silent in them, so no dose was ever prompted, while the import said only that the
    monitor follows the plan; `plan show` alone told, and the report counted every dose
    as not prompted."""
    return (
        f"your own quiet hours ({_range_text(own)}, config.toml) cover the plan's working "
        f"day ({_range_text(plan.workday)}), and the plan sets no quiet hours of its own, "
        "so no dose of the plan is prompted (the report counts each as not prompted): "
        "change them in config.toml, or ask the therapist for a working day outside them"
    )


#: what a day without a plan means, said once where an import leaves such days
_NO_PLAN_MEANS = (
    "(the coach keeps to your own settings, and a report prescribes no doses those days)"
)


def _before_start_text(plan: Plan, plans: PlansOn, today: date) -> str:
    """What holds from ``today`` until ``plan``, imported to start later, starts: the
    plan in force now until then (or its end), none, or, when an earlier import has not
    started yet either, each in turn. Why: with a plan imported to start in 3 days and
    then this one to start in 7, the import said "until then no plan is in force",
    while the first holds from its start until this one's."""
    runs = _runs_before_start(plan, today)
    held = plans.held
    if (
        runs is None
        or all(p is None for _, _, p in runs)
        or (
            held is not None
            and runs[0][2] is not None
            and _same_plan(runs[0][2], held)
            and all(p is None for _, _, p in runs[1:])
        )
    ):
        if held is not None:  # it replaces the plan in force from its start, not before
            gap = plan.start - held.end > timedelta(days=1)  # it ends before: none between
            return (
                f"this plan starts on {plan.start}; the current plan ({held.start} to "
                f"{held.end}) stays in force until "
                + ("its end, and no plan is in force in between" if gap else "then")
            )
        return (
            f"warning: this plan starts on {plan.start}; until then no plan is in force "
            + _NO_PLAN_MEANS
        )
    parts = []
    said_why = False
    for i, (first, last, p) in enumerate(runs):
        span = (
            f"until {last + timedelta(days=1)}"
            if i == 0
            else (f"from {first} until {last + timedelta(days=1)}")
        )
        if p is None:
            parts.append(f"no plan is in force {span}" + ("" if said_why else f" {_NO_PLAN_MEANS}"))
            said_why = True
        elif i == 0:
            parts.append(f"the current plan ({p.start} to {p.end}) stays in force {span}")
        else:
            parts.append(f"the plan {p.start} to {p.end}, imported before, holds {span}")
    warn = "warning: " if said_why else ""
    return f"{warn}this plan starts on {plan.start}; " + ", then ".join(parts)


def held_until(plans: PlansOn) -> Optional[date]:
    """The day the plan in force on ``plans.day`` stops holding, when the active plan
    starts later (else None): the active plan's start, or sooner the start of a plan
    imported before it that starts first, or the day after its own end. Why: `config`
    said the plan in force held until the active plan's start, past a plan to start
    in between."""
    if plans.starts_later is None or plans.active is None:
        return None
    runs = _runs_before_start(plans.active, plans.day)
    return plans.starts_later if not runs else runs[0][1] + timedelta(days=1)


def _runs_before_start(
    plan: Plan, today: date
) -> Optional[list[tuple[date, date, Optional[Plan]]]]:
    """The days from ``today`` to the day before ``plan`` starts, as runs of (first,
    last, the plan in force or None), as the report and the coach take them
    (:func:`plan_periods`); None when the history cannot tell (a copy a later rule
    rejects: the import is made, only this account of it is lost)."""
    try:
        periods = plan_periods(today, plan.start - timedelta(days=1), plan)
    except UserError:
        return None
    runs: list[tuple[date, date, Optional[Plan]]] = []

    def add(first: date, last: date, p: Optional[Plan]) -> None:
        if first > last:
            return
        if runs and runs[-1][1] + timedelta(days=1) == first and _same_plan(runs[-1][2], p):
            runs[-1] = (runs[-1][0], last, p)
        else:
            runs.append((first, last, p))

    for period in periods:
        p = None if period.until is not None else period.plan  # cleared today: none since
        if p is None or p.end < period.first or p.start > period.last:
            add(period.first, period.last, None)
            continue
        add(period.first, p.start - timedelta(days=1), None)
        add(max(period.first, p.start), min(period.last, p.end), p)
        add(p.end + timedelta(days=1), period.last, None)
    return runs


def _held_from_today(plan: Plan, now: datetime) -> str:
    """The clause that names ``plan import --instead`` when the import before ``plan``
    was made today and stays in force until ``plan`` starts: what a therapist who typed
    the first one's start wrong needs to know (the files cannot tell a mistake from a
    first block imported with the next at the same session), else ""."""
    entries = plan_history()
    if len(entries) < 2 or entries[-2].cleared or entries[-2].at.date() != now.date():
        return ""
    try:
        before = entries[-2].load()
    except UserError:
        return ""
    if before is None or before.start >= plan.start or before.end < now.date():
        return ""
    return (
        f"; if the plan imported at {entries[-2].at:%H:%M} was a mistake, import this one "
        "again with --instead so that it never held"
    )


def own_quiet_hours() -> Optional[tuple[time, time]]:
    """The patient's own quiet hours (config.toml), which a plan without quiet hours keeps
    (:func:`scheduled_plan`). A broken config.toml is a warning here: the plan and the
    report are still worth seeing, and the coach names the same fault when it starts."""
    own = own_settings()
    return None if own is None else own.quiet_hours


def own_settings(warn: bool = True) -> Any:
    """The patient's own coach settings (config.toml), or None, warned (``warn``), when it
    is broken (see :func:`own_quiet_hours`)."""
    from .coach import load_settings

    try:
        return load_settings()
    except UserError as exc:
        if warn:
            print(f"warning: {exc}")
        return None


def checkin_change_text(plan: Plan, own: Any) -> str:
    """The warning when ``plan`` moves the daily check-in, or switches it off, under the
    patient's own settings ``own``, else "". Why: a check-in time in the plan's quiet
    hours moves to the end of the working day (:func:`plan_setting_changes`), or is
    turned off when the quiet hours cover that too; the headache diary's daily prompt
    then came at another time, or not at all, without a word from `plan import` or
    `plan show`."""
    checkin = getattr(own, "checkin_time", None)
    if checkin is None or plan.quiet_hours is None:
        return ""
    changes = plan_setting_changes(plan, own)
    if "checkin_time" not in changes:
        return ""
    covered = (
        f"the plan's quiet hours ({_range_text(plan.quiet_hours)}) cover your daily "
        f"check-in time ({checkin:%H:%M})"
    )
    if changes["checkin_time"] is not None:
        return (
            f"{covered}, so the check-in is shown at the end of the plan's working day "
            f"({plan.workday[1]:%H:%M}) instead while this plan is in force"
        )
    return (
        f"{covered} and the end of the plan's working day "
        f"({plan.workday[1]:%H:%M}), where the check-in moves when it falls in them, so "
        "no daily headache check-in is shown while this plan is in force: enter each day "
        "with `posture-guard checkin --none` or `posture-guard checkin --headache`, or ask "
        "the therapist for quiet hours that leave the end of the working day free"
    )


def cmd_plan_show(args: argparse.Namespace) -> int:
    today = date.today()
    plans = plans_on(today)
    plan = plans.active
    if plan is None:
        print("no active plan (`posture-guard plan import FILE` sets one)")
        return 0
    own = own_settings()
    runs = None if plans.starts_later is None else _runs_before_start(plan, today)
    if runs is None and plans.held is not None:  # the history could not tell more
        runs = [(today, plan.start - timedelta(days=1), plans.held)]
    if runs is None or all(p is None for _, _, p in runs):
        _show(plan, own, today)
        return 0
    # the coach follows the plans before the active one's start, each in turn: all told
    # (it showed only the one in force today, "until" the active one's start, and a plan
    # imported before to start in between not at all)
    for first, last, p in runs:
        when = "now, " if first == today else f"from {first} "
        when += f"until {last + timedelta(days=1)}"
        if p is None:
            print(f"No plan in force {when} (the coach keeps to your own settings).\n")
            continue
        print(f"In force {when}:")
        _show(p, own, today)
        print()
    print(f"Scheduled from {plan.start} (imported last; it then replaces the above):")
    _show(plan, own, today)
    return 0


def _show(plan: Plan, own: Any, today: date) -> None:
    """``own``: the patient's own coach settings (None: config.toml broken, warned)."""
    own_quiet = None if own is None else own.quiet_hours
    for line in plan.describe(today=today, own_quiet=own_quiet):
        print(line)
    checkin_change = checkin_change_text(plan, own)
    if checkin_change:
        print(f"Warning: {checkin_change}")
    # the times the coach prompts, which avoid the user's own quiet hours too
    slots = schedule_day(scheduled_plan(plan, own_quiet), today)
    if slots:
        print("Today's prompts: " + ", ".join(f"{s.at:%H:%M} {s.exercise}" for s in slots))
    elif schedule_day(plan, today):
        print("Today's prompts: none (your own quiet hours cover the working day)")


def cmd_plan_clear(args: argparse.Namespace) -> int:
    now = datetime.now()
    ends = _what_a_clear_ends(now.date())
    try:
        raw: Optional[bytes] = active_plan_path().read_bytes()
    except OSError:
        raw = None  # named by clear_plan if it matters
    if not clear_plan(now):
        print("there was no active plan")
        return 0
    if ends is None or not ends[1]:
        print("active plan removed; the coach uses its own settings again")
        return 0
    held, to_come = ends
    said = (
        f"the plan in force ({held.start} to {held.end}) ends now"
        if held is not None
        else "no plan was in force"
    )
    starts = " and on ".join(f"{p.start} (to {p.end})" for p in to_come)
    said += (
        f", and the plan to start on {starts} is cancelled before it starts"
        if len(to_come) == 1
        else f", and the plans to start on {starts} are cancelled before they start"
    )
    copies = [
        _history_copy(raw) if p.origin == str(active_plan_path()) else Path(p.origin)
        for p in to_come
    ]
    said += "; the coach uses its own settings again"
    kept = [f"`posture-guard plan import {shlex.quote(str(c))}`" for c in copies if c is not None]
    if kept:
        said += "; to keep " + (
            "it, import its copy again: "
            if len(kept) == 1
            else "them, import their copies again, in this order: "
        )
        said += ", ".join(kept)
    print(f"active plan removed: {said}")
    return 0


def _what_a_clear_ends(today: date) -> Optional[tuple[Optional[Plan], list[Plan]]]:
    """(the plan in force today or None, the plans to come) that a clear now ends, when
    the active plan starts later; (the active plan, []) otherwise; None without an active
    plan the clear can tell about (a damaged one is cleared all the same).

    Why: a clear ends every plan at once, the one to come as well as the one in force
    (:func:`plan_periods`: none holds after a clear); `plan clear` said only "active plan
    removed", and `plan show` then "no active plan", the plan imported to start later
    gone unnamed."""
    try:
        plans = plans_on(today)
    except UserError:
        return None
    if plans.active is None:
        return None
    if plans.starts_later is None:
        return plans.active, []
    runs = _runs_before_start(plans.active, today)
    if runs is None:  # the history could not tell more
        runs = [(today, today, plans.held)]
    held = runs[0][2] if runs and runs[0][0] == today else None
    to_come: list[Plan] = []
    for first, _, p in runs:
        if p is not None and first > today and not _same_plan(p, held):
            if not any(_same_plan(p, q) for q in to_come):
                to_come.append(p)
    return held, [*to_come, plans.active]


def _history_copy(raw: Optional[bytes]) -> Optional[Path]:
    """The plan history's copy of the plan ``raw`` the clear just removed (the entry
    before the clear's), or None if it cannot be found."""
    if raw is None:
        return None
    try:
        entries = plan_history()
    except UserError:
        return None
    for entry in reversed(entries[:-1]):
        if entry.cleared:
            continue
        try:
            if entry.path.read_bytes() == raw:
                return entry.path
        except OSError:
            continue
    return None
