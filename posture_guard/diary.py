"""The headache diary: entries, explicit headache-free check-ins, and clinical summaries.

Why check-ins: a day with no entry is *unknown*, not headache-free. People forget to write
things down, and counting forgotten days as good days would make any posture link look
weaker (or stronger) than it is. So a headache-free day is only one the user confirmed
with ``checkin --none``, and every summary keeps the three kinds of day apart.

The clinical numbers are the ones headache clinicians ask for (headache days per 28 days,
moderate-to-severe days, acute-medication days with the medication-overuse ranges) and an
ICHD-3 pattern hint per headache. A hint is never a diagnosis and is labelled so.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Callable, Optional

from .dates import EARLIEST_DAY, check_day
from .errors import UserError
from .store import Store
from .terminal import printable, typed_text

HEADACHE_TYPES = ("tension", "migraine", "other", "unsure")
TRIGGERS = ("sleep", "stress", "dehydration", "screen", "other")
SIDES = ("one", "both")
QUALITIES = ("pressing", "pulsating")
# One entry is one headache, recorded on the day it began; with a start and a duration it
# makes every local calendar day it touches a headache day (see :func:`days_covered`). The
# longest attack ICHD-3 knows without calling it a complication is a migraine's 72 h; a
# headache that goes on longer is recorded once more for the days after.
MAX_DURATION_MIN = 72 * 60
# Versions before 2026-12-01 took an entry of up to 7 days. One stored so is kept as it
# was recorded (read, listed, its days counted, its other fields editable): read as
# damaged, it stopped every command that reads the diary, and the way out offered,
# deleting it and adding it again, lost it, as no new entry may be that long.
STORED_MAX_DURATION_MIN = 7 * 24 * 60
# the most days before a day that an entry touching it can begin on: the longest stored
# entry from just after midnight, and one more for a clock put back an hour on the way
_LOOKBACK_DAYS = STORED_MAX_DURATION_MIN // (24 * 60) + 1
TENSION_TYPE_MAX_MIN = 7 * 24 * 60  # ICHD-3 tension-type episodes last up to 7 days
# SQLite's INTEGER is 64-bit: an entry number outside it cannot exist (and cannot even be
# looked up: the sqlite3 module raises OverflowError).
_MAX_ID = 2**63 - 1
MODERATE = 4  # 0-10 scale: 1-3 mild, 4-6 moderate, 7-10 severe (common NRS bands)
SEVERE = 7
CLINICAL_FIELDS = (
    "side",
    "quality",
    "worse_with_activity",
    "nausea",
    "light_sensitivity",
    "sound_sensitivity",
    "disability",
    "neck_pain",
)

Now = Callable[[], datetime]


@dataclass(frozen=True)
class Headache:
    """One headache as a clinical diary keeps it; optional fields are None when unknown.

    ``disability`` is the 0-3 scale of headache diaries (0 none, 1 mild: could do
    everything, 2 moderate: some activities impaired, 3 severe: bed rest).
    """

    day: date
    intensity: int
    start: Optional[time] = None
    duration_min: Optional[float] = None
    type: str = "unsure"
    aura: bool = False
    medication: Optional[str] = None
    triggers: tuple[str, ...] = ()
    note: Optional[str] = None
    side: Optional[str] = None
    quality: Optional[str] = None
    worse_with_activity: Optional[bool] = None
    nausea: Optional[bool] = None
    light_sensitivity: Optional[bool] = None
    sound_sensitivity: Optional[bool] = None
    disability: Optional[int] = None
    neck_pain: Optional[bool] = None
    id: Optional[int] = None

    @property
    def started_at(self) -> Optional[datetime]:
        return None if self.start is None else datetime.combine(self.day, self.start)

    @property
    def took_medication(self) -> bool:
        return bool(self.medication and self.medication.strip())

    @property
    def last_day(self) -> date:
        """The last local calendar day the headache touches: its [start, start + duration)
        read in local time (a clock changed on the way counts, the interval is real time).
        Without a start or a duration the entry is of its own day only: when it began and
        ended is not known."""
        if self.started_at is None or self.duration_min is None:
            return self.day
        end = self.started_at.astimezone() + timedelta(minutes=self.duration_min)
        local = end.astimezone().replace(tzinfo=None)
        # half-open: a headache that ends at midnight ends on the day before
        last = local.date() - timedelta(days=1) if local.time() == time(0) else local.date()
        return max(last, self.day)

    def days_covered(self) -> list[date]:
        """Every local calendar day the headache touches, the day it began first."""
        return [self.day + timedelta(days=i) for i in range((self.last_day - self.day).days + 1)]


def _is_utf8(text: str) -> bool:
    """Whether ``text`` can be stored: Python gives the bytes of an argument that are not
    UTF-8 (typed in a Latin-1 terminal) as lone surrogates, which SQLite's UTF-8 cannot
    hold (an internal error, the entry not recorded, nothing said of why)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _end_still_to_come(h: Headache, now: datetime) -> list[str]:
    """The problem of a duration that runs on past ``now``: a headache of 5 h that began
    at 22:00 could not have lasted 5 h by 22:30, nor one of 25 h begun today at all
    (without a start it began at the day's midnight at the earliest). Such an entry was
    saved, its length a guess that no later edit was asked for.

    The duration is real time, as in :attr:`Headache.last_day`: the start and ``now`` are
    read as instants (local times made aware), so on the night the clocks change the end
    is not an hour off (01:00 + 3 h ends at 05:00 when the clocks go forward at 02:00)."""
    assert h.duration_min is not None
    earliest = (h.started_at or datetime.combine(h.day, time(0, 0))).astimezone()
    end = earliest + timedelta(minutes=h.duration_min)
    at = now.astimezone()
    if end <= at:
        return []
    passed = _hours_minutes((at - earliest).total_seconds() / 60)
    end = end.astimezone()  # the local clock at the end, after any change on the way
    since = "since it began" if h.start is not None else f"since {h.day} began"
    return [
        f"a duration of {_hours_minutes(h.duration_min)} would end at {end:%Y-%m-%d %H:%M}, "
        f"still to come ({passed} have passed {since}); give how long it has lasted so "
        "far, or no --duration, and `posture-guard headache edit` the entry once it is over"
    ]


def _clock_jump(wall: datetime) -> float:
    """Seconds by which the clocks changed around the naive local time ``wall``: more
    than zero where the clock skipped it (going forward), less than zero where it showed
    it twice (going back), else zero. A naive time's ``timestamp()`` follows ``fold``
    only there."""
    return wall.replace(fold=0).timestamp() - wall.replace(fold=1).timestamp()


def _jump_words(seconds: float) -> str:
    """'an hour', '30 min': how far the clocks went."""
    minutes = round(abs(seconds) / 60)
    return "an hour" if minutes == 60 else _hours_minutes(minutes)


def _skipped_start(h: Headache) -> list[str]:
    """The problem of a start the local clock never showed: 02:30 on the night the
    clocks go forward at 02:00. Such an entry was saved as 02:30 and its duration and
    the days it touches counted from 03:30, an hour no one gave."""
    wall = h.started_at
    if wall is None or _clock_jump(wall) <= 0:
        return []
    shown = datetime.fromtimestamp(wall.timestamp())
    return [
        f"start {h.day} {h.start:%H:%M} is a time the clock skipped that night (it went "
        f"forward {_jump_words(_clock_jump(wall))}); give the time it showed "
        f"({shown:%H:%M} is the moment {h.start:%H:%M} would have been)"
    ]


def _utc_offset(wall: datetime) -> str:
    """'+01:00': the UTC offset of the naive local time ``wall`` (its ``fold`` heeded)."""
    z = wall.astimezone().strftime("%z")
    return f"{z[:3]}:{z[3:5]}"


def second_pass(h: Headache) -> bool:
    """Whether ``h`` began at the second time the local clock showed its start (the
    night the clocks go back), given as ``--start 02:30+01:00``."""
    wall = h.started_at
    return wall is not None and wall.fold == 1 and _clock_jump(wall) < 0


def start_text(h: Headache) -> str:
    """'02:30', or '02:30+01:00' for a start at the second time the clock showed it, as
    ``--start`` takes it."""
    assert h.start is not None
    return f"{h.start:%H:%M}" + (_utc_offset(h.started_at) if second_pass(h) else "")


def first_pass_note(h: Headache) -> Optional[str]:
    """The note that a start the local clock showed twice (the night the clocks go
    back) is taken as the first time, unless given with the second's UTC offset
    (``02:30+01:00``): the diary keeps a start as its clock time, and its duration, the
    days it touches and the check-in are counted from the time taken. None for any
    other start."""
    wall = h.started_at
    if wall is None or _clock_jump(wall) >= 0:
        return None
    first, second = wall.replace(fold=0), wall.replace(fold=1)
    shown = f"the clock showed {h.start:%H:%M} twice on {h.day}, going back "
    shown += _jump_words(_clock_jump(wall))
    if second_pass(h):
        return f"({shown}: the entry takes the second time, {start_text(h)})"
    return (
        f"({shown}: the entry takes the first time, {h.start:%H:%M} at "
        f"UTC{_utc_offset(first)}; for the second give --start "
        f"{h.start:%H:%M}{_utc_offset(second)})"
    )


def with_offset(h: Headache) -> Headache:
    """``h`` with a start given with a UTC offset (``--start 02:30+01:00``) read as the
    local clock time it names: the second time the clock showed 02:30, the night it went
    back an hour. Why: only the first could be entered (a second entry at 02:30 was
    refused as the same start), and an offset given was dropped without a word. An
    offset the clock did not have at that time that day is refused, naming the ones it
    had; a time the clock skipped is left to :func:`validate`, which names the time it
    showed."""
    start = h.start
    if start is None or start.tzinfo is None:
        return h
    given = start.utcoffset()
    wall = datetime.combine(h.day, start.replace(tzinfo=None))
    if _clock_jump(wall) > 0:
        return replace(h, start=wall.time())
    passes = [wall] if _clock_jump(wall) == 0 else [wall.replace(fold=0), wall.replace(fold=1)]
    for one in passes:
        if one.astimezone().utcoffset() == given:
            return replace(h, start=one.time())  # with its fold
    had = " and at UTC".join(_utc_offset(one) for one in passes)
    typed = f"{start:%H:%M}{start.strftime('%z')[:3]}:{start.strftime('%z')[3:5]}"
    raise UserError(
        f"impossible headache entry: start {h.day} {typed} names a UTC offset the clock "
        f"here did not have then (it showed {start:%H:%M} that day at UTC{had}); "
        + (
            "give the time without an offset"
            if len(passes) == 1
            else f"give {start:%H:%M} for the first time, {start:%H:%M}"
            f"{_utc_offset(passes[1])} for the second"
        )
    )


def _after(when: datetime, now: datetime) -> bool:
    """Whether local time ``when`` is still to come at ``now``, as instants. Why not
    compare the clock times: on the night the clocks go back, 02:40 of the first pass
    through the hour was taken as still to come at 02:15 of the second, so a headache
    begun then could not be entered until the clock reached 02:40 again. A time the
    clock passes twice is read as the first pass (the earlier, which has passed)."""
    return when.astimezone() > now.astimezone()


def _hours_minutes(minutes: float) -> str:
    """'5h00', '45m': a duration as `headache list` shows it."""
    m = int(round(minutes))
    return f"{m // 60}h{m % 60:02d}" if m >= 60 else f"{m}m"


NO_PAIN = (
    "intensity 0 means no pain, so no headache: give 1-10 for a headache, or "
    "`posture-guard checkin --none` for a headache-free day"
)


def validate(
    h: Headache,
    now: Optional[datetime],
    stored_zero: bool = False,
    stored_duration: bool = False,
    new_start: bool = True,
) -> Headache:
    """Return ``h`` if it is possible, else raise a UserError listing every problem.

    ``now`` None checks only what no entry may hold whenever it was made (an entry read
    from the database: clocks move). Why not ``datetime.max`` for that: made aware to be
    compared as an instant, it is past year 9999 in any zone east of UTC.

    Intensity is 1-10: on the 0-10 pain scale 0 is no pain, and a headache without pain
    contradicts itself. Versions before took 0; ``stored_zero`` lets such an entry already
    in a database be read and edited in its other fields (it is kept as it was).
    ``stored_duration`` does the same for a duration stored by a version that took up to
    7 days (:data:`STORED_MAX_DURATION_MIN`); a duration given now is held to 72 h.
    ``new_start`` False (an edit that keeps the day and the start) lets an entry whose
    start the clock skipped, saved by a version that took it, be edited otherwise."""
    problems: list[str] = []
    if h.intensity == 0 and isinstance(h.intensity, int) and not stored_zero:
        problems.append(NO_PAIN)
    elif not isinstance(h.intensity, int) or not 0 <= h.intensity <= 10:
        problems.append(f"intensity must be a whole number from 1 to 10, not {h.intensity!r}")
    before_when = len(problems)
    if now is not None and h.day > now.date():
        problems.append(f"date {h.day} is in the future")
    elif not EARLIEST_DAY <= h.day:
        problems.append(f"date {h.day} is before {EARLIEST_DAY}, the earliest date accepted")
    elif now is not None and new_start and _skipped_start(h):
        problems += _skipped_start(h)
    elif now is not None and h.started_at is not None and _after(h.started_at, now):
        problems.append(f"start {h.day} {h.start:%H:%M} is in the future")
    refused_when = len(problems) > before_when
    if h.duration_min is not None:
        if not h.duration_min > 0:
            problems.append("duration must be longer than zero")
        elif not h.duration_min <= (  # `not <=`: also refuses NaN
            STORED_MAX_DURATION_MIN if stored_duration else MAX_DURATION_MIN
        ):
            problems.append(
                f"duration is longer than {MAX_DURATION_MIN // 60} h; for a headache that "
                f"lasts longer, give this entry {MAX_DURATION_MIN // 60} h and add another "
                "for the time after"
            )
        elif now is not None and not refused_when:  # a day or start refused says all
            problems += _end_still_to_come(h, now)
    if h.type not in HEADACHE_TYPES:
        problems.append(f"type must be one of {', '.join(HEADACHE_TYPES)}, not {h.type!r}")
    bad = [t for t in h.triggers if t not in TRIGGERS]
    if bad:
        problems.append(f"unknown trigger {bad[0]!r} (choose from {', '.join(TRIGGERS)})")
    if h.side is not None and h.side not in SIDES:
        problems.append(f"side must be one or both, not {h.side!r}")
    if h.quality is not None and h.quality not in QUALITIES:
        problems.append(f"quality must be pressing or pulsating, not {h.quality!r}")
    if h.disability is not None and (
        not isinstance(h.disability, int) or not 0 <= h.disability <= 3
    ):
        problems.append(f"disability must be 0, 1, 2 or 3, not {h.disability!r}")
    if h.medication is not None and len(h.medication) > 200:
        problems.append("medication text is longer than 200 characters")
    if h.note is not None and len(h.note) > 2000:
        problems.append("note is longer than 2000 characters")
    for name, text in (("medication text", h.medication), ("note", h.note)):
        if text is not None and not _is_utf8(text):
            problems.append(
                f"{name} {text!r} is not UTF-8 text (a terminal set to another encoding?)"
            )
    if problems:
        raise UserError("impossible headache entry: " + "; ".join(problems))
    return h


# ---------------------------------------------------------------------- parsing user text
# the units as letters or words ("2 hours", "1 hr 30 min"), as `snooze` takes them
_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)\s*(?:hours?|hrs?|h))?"
    r"\s*(?:(\d+(?:\.\d+)?)\s*(?:minutes?|mins?|m))?\s*$"
)


def parse_duration(text: str) -> float:
    """Minutes from ``2h``, ``90m``, ``1h30m`` or ``1.5h``, the units also as words
    (``2 hours``, ``90 min``, ``1 hr 30 mins``).

    A bare number is refused, as `snooze` refuses one: "--duration 2" was taken as 2
    minutes where the user most likely meant hours, and a 2-minute headache reads as
    none of the ICHD-3 patterns the entry's hint is made from."""
    raw = text.strip().lower()
    if raw.startswith("-") and not raw.startswith("--"):
        try:
            rest = parse_duration(raw[1:])
        except UserError:
            rest = None
        if rest is not None and rest >= 0:  # "-1h": a minus no headache's length has
            raise UserError(f"duration {text!r} must be positive, e.g. {raw[1:]}")
    if re.fullmatch(r"-?\d+(?:\.\d+)?", raw):
        number = raw.lstrip("-")
        raise UserError(
            f"duration {text!r} has no unit: give {number}h for hours or {number}m for minutes"
        )
    m = _DURATION.match(raw)
    if not raw or not m or not (m.group(1) or m.group(2)):
        raise UserError(f"duration {text!r} is not like 2h, 90m or 1h30m")
    return float(m.group(1) or 0) * 60 + float(m.group(2) or 0)


def parse_hhmm(text: str) -> time:
    """A start time: ``14:30``, or ``9:00`` with one digit for the hour, as config.toml's
    times take it (an ISO time only, ``09:00``, refused "9:00" as no time); its digits
    may be any decimal digits, as a date's (:func:`dates.ascii_digits`)."""
    from .dates import ascii_digits

    digits = ascii_digits(text.strip())  # the message names the text as typed
    try:
        return datetime.strptime(digits, "%H:%M").time()
    except ValueError:
        pass
    try:
        return time.fromisoformat(digits)
    except ValueError as exc:
        raise UserError(f"start time {text!r} is not a time like 14:30") from exc


# ---------------------------------------------------------------------- storage
def _to_row(h: Headache) -> dict[str, Any]:
    clinical: dict[str, Any] = {
        k: getattr(h, k) for k in CLINICAL_FIELDS if getattr(h, k) is not None
    }
    if second_pass(h):
        # the start is the second time the clock showed it (the night it went back):
        # beside the fields, not a column, so a database stays one earlier versions
        # read (as the first time, as they took it)
        clinical[SECOND_PASS_KEY] = 1
    return {
        "day": h.day.isoformat(),
        "start": None if h.start is None else h.start.strftime("%H:%M"),
        "duration_min": h.duration_min,
        "intensity": h.intensity,
        "type": h.type,
        "aura": int(h.aura),
        "medication": h.medication,
        "triggers": json.dumps(list(h.triggers)),
        "note": h.note,
        "clinical": json.dumps(clinical, sort_keys=True),
    }


#: The key of a headache row's JSON of extra fields that marks its start as the second
#: time the local clock showed it (see :func:`with_offset`).
SECOND_PASS_KEY = "start_second_pass"

_COLUMNS = (
    "id, day, start, duration_min, intensity, type, aura, medication, triggers, note, clinical"
)


class DamagedEntry(UserError):
    """A stored entry that is no possible headache (its row was changed by hand)."""


def _from_row(r: Sequence[Any], where: object) -> Headache:
    """The entry a row holds; a row no entry can hold (the database edited by hand, say
    with the ``sqlite3`` tool) is a :class:`DamagedEntry` naming it and how to mend it,
    never a crash of every command that reads the diary. ``where`` names the database."""
    try:
        clinical = json.loads(r[10])
        h = Headache(
            id=r[0],
            day=date.fromisoformat(r[1]),
            start=(
                None
                if r[2] is None
                else time.fromisoformat(r[2]).replace(fold=int(clinical.get(SECOND_PASS_KEY) == 1))
            ),
            duration_min=r[3],
            intensity=r[4],
            type=r[5],
            aura=bool(r[6]),
            medication=r[7],
            triggers=tuple(json.loads(r[8])),
            note=r[9],
            **{k: clinical.get(k) for k in CLINICAL_FIELDS},
        )
        # what no entry may hold, whenever it was made (not "in the future": clocks move)
        validate(h, None, stored_zero=True, stored_duration=True)
    except UserError as exc:
        why = str(exc).removeprefix("impossible headache entry: ")
    except (ValueError, TypeError, AttributeError) as exc:  # JSON errors are ValueErrors
        why = f"unreadable: {exc}"
    else:
        return h
    raise DamagedEntry(
        f"headache entry {r[0]} in {where} is damaged ({why}); "
        f"`posture-guard headache delete {r[0]}` removes it, then add it again"
    )


@dataclass(frozen=True)
class DiaryDay:
    """What the diary says about one day: ``headache``, ``none`` (confirmed) or ``unknown``.

    ``headaches`` are the entries begun that day (each listed and counted once, there);
    ``continued`` those begun on an earlier day and still going at its midnight. Either
    makes the day a headache day: a 48 h migraine is a headache on each day it touches,
    whatever a check-in said of one of them (the entry is the stronger evidence)."""

    day: date
    status: str
    headaches: tuple[Headache, ...] = ()
    continued: tuple[Headache, ...] = ()

    @property
    def max_intensity(self) -> Optional[int]:
        """The highest intensity of the headaches that touched the day (an entry's one
        intensity stands for each of its days: the diary has no other)."""
        if self.status == "none":
            return 0
        return max((h.intensity for h in self.headaches + self.continued), default=None)

    @property
    def medication(self) -> bool:
        """Acute medication on the day: of the entries begun that day (when a long
        headache's medication was taken is not known; its first day is the likeliest)."""
        return any(h.took_medication for h in self.headaches)

    @property
    def medication_counted_on(self) -> Optional[date]:
        """The day an earlier-begun headache still going on this day had its medication
        counted (the earliest such day), or None. Why: the medication counts once, on the
        day its headache began, yet "no medication" on the days after would misstate a
        headache treated all along."""
        return min((h.day for h in self.continued if h.took_medication), default=None)

    @property
    def first_start(self) -> Optional[time]:
        """When the day's first headache began (None when no entry gave a time)."""
        starts = [h.start for h in self.headaches if h.start is not None]
        return min(starts) if starts else None


class Diary:
    """The headache diary inside a :class:`Store`; ``now`` is injectable for tests."""

    def __init__(self, store: Store, now: Now = datetime.now):
        self.store = store
        self.now = now

    def _refuse_same_start(self, h: Headache, entry_id: Optional[int] = None) -> None:
        """Refuse ``h`` when another entry already holds a headache beginning on that day
        at that minute: one headache cannot begin twice, so it is the same one entered
        again (a command repeated, the check-in answered after `headache add`), and a
        second row would count it twice in the pattern hints and the therapist's list.
        ``entry_id`` is the entry being edited, which may keep its own start."""
        if h.start is None:
            return  # two entries without a time can be two headaches of one day
        start = h.start.strftime("%H:%M")
        rows = self.store.read(
            "SELECT id, clinical FROM headaches WHERE day = ? AND start = ? AND id IS NOT ? "
            "ORDER BY id",
            (h.day.isoformat(), start, entry_id),
        )
        second = second_pass(h)
        twice = _clock_jump(datetime.combine(h.day, h.start)) < 0
        for other, extra in rows:
            try:
                theirs = json.loads(extra).get(SECOND_PASS_KEY) == 1
            except (ValueError, AttributeError):  # damaged: said when it is read
                theirs = False
            if twice and theirs != second:
                continue  # the other time the clock showed it: another start
            which = ""
            if twice:  # which of the two is taken, and how to give the other
                mine = datetime.combine(h.day, h.start).replace(fold=int(second))
                other_start = start if second else start + _utc_offset(mine.replace(fold=1))
                which = (
                    f" (the {'second' if second else 'first'} time the clock showed it "
                    f"that night, at UTC{_utc_offset(mine)}; a headache that began at the "
                    f"{'first' if second else 'second'} is given as --start {other_start})"
                )
            raise UserError(
                f"headache entry {other} already begins on {h.day} at {start}{which}; "
                f"to change it use `posture-guard headache edit {other}`"
            )

    def add(self, h: Headache) -> tuple[Headache, bool]:
        """Save a new headache; returns it with its id and whether it replaced a
        headache-free check-in for that day (the check-in was made before the pain)."""
        h = with_offset(h)
        validate(h, self.now())
        self._refuse_same_start(h)
        row = _to_row(h)
        stamp = self.now().timestamp()

        def work(conn: sqlite3.Connection) -> tuple[int, bool]:
            cur = conn.execute(
                f"INSERT INTO headaches({', '.join(row)}, created, updated) "
                f"VALUES ({', '.join('?' * len(row))}, ?, ?)",
                (*row.values(), stamp, stamp),
            )
            gone = conn.execute("DELETE FROM checkins WHERE day = ?", (row["day"],)).rowcount
            return int(cur.lastrowid), gone > 0

        new_id, replaced = self.store.write(work)
        return replace(h, id=new_id), replaced

    def get(self, entry_id: int) -> Headache:
        in_range = -_MAX_ID - 1 <= entry_id <= _MAX_ID
        rows = (
            self.store.read(f"SELECT {_COLUMNS} FROM headaches WHERE id = ?", (entry_id,))
            if in_range
            else []
        )
        if not rows:
            raise UserError(f"there is no headache entry {entry_id} (see `headache list`)")
        return _from_row(rows[0], self.store.path)

    def edit(self, entry_id: int, **changes: Any) -> Headache:
        """Change some fields of an entry; an impossible result changes nothing."""
        known = {f.name for f in fields(Headache)} - {"id"}
        unknown = set(changes) - known
        if unknown:
            raise UserError(f"cannot edit unknown field(s): {', '.join(sorted(unknown))}")
        old = self.get(entry_id)
        new = with_offset(replace(old, **changes))
        validate(
            new,
            self.now(),
            stored_zero="intensity" not in changes,
            stored_duration="duration_min" not in changes,
            new_start="day" in changes or "start" in changes,
        )
        if (new.day, new.start, second_pass(new)) != (old.day, old.start, second_pass(old)):
            # only a move onto another entry's start is refused: two entries of the same
            # start that a version before 2026-12-01 stored each refused every edit,
            # naming the other as the one to edit, so neither could be mended
            self._refuse_same_start(new, entry_id)
        row = _to_row(new)

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"UPDATE headaches SET {', '.join(f'{k} = ?' for k in row)}, updated = ? "
                "WHERE id = ?",
                (*row.values(), self.now().timestamp(), entry_id),
            )
            conn.execute("DELETE FROM checkins WHERE day = ?", (row["day"],))

        self.store.write(work)
        return new

    def delete(self, entry_id: int) -> Optional[Headache]:
        """Delete an entry and return it; None when it was damaged (it is deleted all the
        same: deleting is how a damaged entry is mended)."""
        try:
            old: Optional[Headache] = self.get(entry_id)
        except DamagedEntry:
            old = None
        self.store.write(
            lambda conn: conn.execute("DELETE FROM headaches WHERE id = ?", (entry_id,))
        )
        return old

    def entries(self, first: date, last: date) -> list[Headache]:
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM headaches WHERE day >= ? AND day <= ? ORDER BY day, start, id",
            (first.isoformat(), last.isoformat()),
        )
        return [_from_row(r, self.store.path) for r in rows]

    def free_days_run_into(self, h: Headache) -> list[date]:
        """The days after its first that ``h`` runs into and that hold a headache-free
        check-in: the check-in stays (a shorter duration later lets it count again), but
        while the headache runs into the day, the day is a headache day."""
        later = h.days_covered()[1:]
        if not later:
            return []
        rows = self.store.read(
            "SELECT day FROM checkins WHERE status = 'none' AND day >= ? AND day <= ? ORDER BY day",
            (later[0].isoformat(), later[-1].isoformat()),
        )
        return [date.fromisoformat(r[0]) for r in rows]

    def checked_in_free(self, day: date) -> bool:
        """Whether ``day`` holds a headache-free check-in (which an entry moved or added
        to that day replaces)."""
        rows = self.store.read(
            "SELECT 1 FROM checkins WHERE status = 'none' AND day = ?", (day.isoformat(),)
        )
        return bool(rows)

    def check_in_none(self, day: date) -> None:
        """Record ``day`` as confirmed headache-free; refused if it has a headache entry."""
        if day > self.now().date():
            raise UserError(f"date {day} is in the future; a check-in is for today or earlier")
        check_day(day, "check-in date")
        running = self.days(day, day)[day].continued
        if running:
            h = running[0]
            raise UserError(
                f"{day} is a headache day: headache entry {h.id} (begun {h.day} at "
                f"{h.start:%H:%M}, lasting {_hours_minutes(h.duration_min or 0)}) runs into it; "
                f"`posture-guard headache edit {h.id} --duration ...` if it ended sooner"
            )
        existing = self.entries(day, day)
        if existing:
            ids = [str(h.id) for h in existing]
            if len(ids) == 1:
                named, it = f"entry {ids[0]}", "it"
            else:
                named, it = f"entries {', '.join(ids[:-1])} and {ids[-1]}", "them"
            raise UserError(
                f"{day} already has headache {named}; delete {it} first "
                "if the day was headache-free"
            )
        stamp = self.now().timestamp()
        self.store.write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO checkins(day, status, at) VALUES (?, 'none', ?)",
                (day.isoformat(), stamp),
            )
        )

    def _running_into(self, first: date, last: date) -> dict[date, list[Headache]]:
        """The headaches begun before ``first`` or within the range that run on past the
        midnight after their first day, by each later day of ``first``..``last`` they
        touch. Only entries with a start and a duration can: the rest are one-day."""
        earliest = first - timedelta(days=min(_LOOKBACK_DAYS, (first - date.min).days))
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM headaches WHERE day >= ? AND day <= ? "
            "AND start IS NOT NULL AND duration_min IS NOT NULL ORDER BY day, start, id",
            (earliest.isoformat(), last.isoformat()),
        )
        out: dict[date, list[Headache]] = {}
        for r in rows:
            h = _from_row(r, self.store.path)
            for d in h.days_covered()[1:]:
                if first <= d <= last:
                    out.setdefault(d, []).append(h)
        return out

    def days(self, first: date, last: date) -> dict[date, DiaryDay]:
        """Every day of ``first``..``last`` with its status (headache / none / unknown);
        a headache is on every local calendar day it touches (see :class:`DiaryDay`)."""
        by_day: dict[date, list[Headache]] = {}
        for h in self.entries(first, last):
            by_day.setdefault(h.day, []).append(h)
        running = self._running_into(first, last)
        rows = self.store.read(
            "SELECT day FROM checkins WHERE status = 'none' AND day >= ? AND day <= ?",
            (first.isoformat(), last.isoformat()),
        )
        free = {date.fromisoformat(r[0]) for r in rows}
        out: dict[date, DiaryDay] = {}
        d = first
        while d <= last:
            if d in by_day or d in running:
                began, went_on = tuple(by_day.get(d, ())), tuple(running.get(d, ()))
                out[d] = DiaryDay(d, "headache", began, went_on)
            elif d in free:
                out[d] = DiaryDay(d, "none")
            else:
                out[d] = DiaryDay(d, "unknown")
            d += timedelta(days=1)
        return out


# ---------------------------------------------------------------------- ICHD-3 hint
@dataclass(frozen=True)
class PatternHint:
    """Which ICHD-3 headache pattern an entry resembles best, with the reasons."""

    label: str  # migraine-like, migraine-with-aura-like, tension-type-like, unclear, ...
    reasons: tuple[str, ...] = ()
    # the options of `headache edit` that would add what is missing ("not enough detail"
    # alone did not say what to enter; only --json named the fields)
    options: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        why = f" ({'; '.join(self.reasons)})" if self.reasons else ""
        return f"{self.label}{why} - a pattern hint, not a diagnosis"


def ichd3_hint(h: Headache) -> PatternHint:
    """Compare one headache with ICHD-3 criteria for migraine (1.1/1.2) and tension-type (2).

    Migraine: 4-72 h; at least 2 of unilateral, pulsating, moderate/severe, worse with
    routine activity; and nausea, or both light and sound sensitivity. Tension-type:
    30 min-7 days; at least 2 of bilateral, pressing, mild/moderate, not worse with
    activity; no nausea and not both light and sound sensitivity. Unknown fields count
    for neither side, so a sparse entry gets "not enough detail" rather than a guess.
    """
    if h.aura:
        return PatternHint("migraine-with-aura-like", ("aura recorded",))
    mig_c = [
        h.side == "one" if h.side else None,
        h.quality == "pulsating" if h.quality else None,
        h.intensity >= MODERATE,
        h.worse_with_activity,
    ]
    tth_c = [
        h.side == "both" if h.side else None,
        h.quality == "pressing" if h.quality else None,
        h.intensity < SEVERE,
        None if h.worse_with_activity is None else not h.worse_with_activity,
    ]
    photo_phono = (
        None
        if h.light_sensitivity is None or h.sound_sensitivity is None
        else h.light_sensitivity and h.sound_sensitivity
    )
    if h.nausea:
        mig_d: Optional[bool] = True
    elif photo_phono is None or h.nausea is None:
        mig_d = True if photo_phono else None
    else:
        mig_d = photo_phono
    tth_d: Optional[bool]
    if h.nausea or photo_phono:
        tth_d = False
    elif h.nausea is None or photo_phono is None:
        tth_d = None
    else:
        tth_d = True
    dur = h.duration_min
    mig_b = None if dur is None else 240 <= dur <= 72 * 60
    tth_b = None if dur is None else 30 <= dur <= TENSION_TYPE_MAX_MIN
    mig_n, tth_n = sum(c is True for c in mig_c), sum(c is True for c in tth_c)
    mig = mig_n >= 2 and mig_d is True and mig_b is not False
    tth = tth_n >= 2 and tth_d is True and tth_b is not False
    reasons_m = [f"{mig_n} of 4 migraine features"]
    if h.nausea:
        reasons_m.append("nausea")
    elif photo_phono:
        reasons_m.append("light and sound sensitivity")
    reasons_t = [f"{tth_n} of 4 tension-type features", "no nausea"]
    if mig and (not tth or mig_n > tth_n):
        return PatternHint("migraine-like", tuple(reasons_m))
    if tth and (not mig or tth_n > mig_n):
        return PatternHint("tension-type-like", tuple(reasons_t))
    if mig and tth:
        return PatternHint("unclear", ("fits migraine and tension-type equally",))
    missing = [
        name
        for name, value in (
            ("side", h.side),
            ("pressing/pulsating", h.quality),
            ("worse with activity", h.worse_with_activity),
            ("nausea", h.nausea),
            ("light/sound sensitivity", photo_phono),
            ("duration", dur),
        )
        if value is None
    ]
    options = tuple(
        option
        for option, value in (
            ("--side", h.side),
            ("--quality", h.quality),
            ("--(no-)worse-with-activity", h.worse_with_activity),
            ("--(no-)nausea", h.nausea),
            ("--(no-)light-sensitivity", h.light_sensitivity),
            ("--(no-)sound-sensitivity", h.sound_sensitivity),
            ("--duration", dur),
        )
        if value is None
    )
    if missing:
        return PatternHint("not enough detail", (f"missing: {', '.join(missing)}",), options)
    return PatternHint("unclear", ("fits neither pattern's criteria",))


# ---------------------------------------------------------------------- clinical summary
_OPIOIDS = ("codeine", "tramadol", "oxycodone", "morphine", "hydrocodone", "tapentadol")


def medication_class(text: str) -> str:
    """Rough class of an acute medication from free text (for the overuse ranges)."""
    t = text.lower()
    if "triptan" in t:
        return "triptan"
    if "ergot" in t:
        return "ergot"
    if any(name in t for name in _OPIOIDS):
        return "opioid"
    if "+" in t or "combination" in t or "caffeine" in t:
        return "combination"
    return "simple analgesic"


@dataclass
class ClinicalSummary:
    """Diary numbers for a date range, the way headache clinics report them."""

    first: date
    last: date
    days: int
    recorded_days: int
    unknown_days: int
    headache_days: int
    moderate_severe_days: int
    medication_days: int
    medication_classes: dict[str, int] = field(default_factory=dict)
    patterns: dict[str, int] = field(default_factory=dict)

    @property
    def headache_days_per_28(self) -> Optional[float]:
        """Headache days per 28 recorded days (None when no day was recorded)."""
        if self.recorded_days == 0:
            return None
        return self.headache_days * 28 / self.recorded_days

    @property
    def medication_days_per_month(self) -> float:
        """Acute-medication days per 30 days of the range (a floor: unknown days add 0)."""
        return self.medication_days * 30 / self.days

    @property
    def overuse_flags(self) -> list[str]:
        """The medication-overuse ranges reached (ICHD-3 8.2: 10+ or 15+ days a month).

        A range shorter than 4 weeks gives no rate per month to judge: it is flagged only
        when its medication days themselves reach a range (one ibuprofen in a report of
        today alone read "acute medication on 30 days per month: 15+ is the
        medication-overuse range"); the days are counted in its summary all the same."""
        short = self.days < 28
        rate = self.medication_days if short else self.medication_days_per_month
        if short:
            what = f"acute medication on {self.medication_days} of the {self.days} days: "
            unit = " days a month"
        else:
            what, unit = f"acute medication on {rate:.0f} days per month: ", ""
        flags: list[str] = []
        if rate >= 15:
            flags.append(
                f"{what}15+{unit} is the medication-overuse range for any acute headache medication"
            )
        elif rate >= 10:
            flags.append(
                f"{what}10+{unit} is the medication-overuse range for triptans, ergots, "
                "opioids and combination analgesics (15+ for simple analgesics)"
            )
        if flags and self.days < 28:
            flags.append("the range is shorter than 4 weeks; ICHD-3 asks for over 3 months")
        return flags

    def to_json(self) -> dict[str, Any]:
        per28 = self.headache_days_per_28
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "days": self.days,
            "recorded_days": self.recorded_days,
            "unknown_days": self.unknown_days,
            "headache_days": self.headache_days,
            "headache_days_per_28": None if per28 is None else round(per28, 1),
            "moderate_severe_days": self.moderate_severe_days,
            "medication_days": self.medication_days,
            "medication_days_per_month": round(self.medication_days_per_month, 1),
            "medication_classes": self.medication_classes,
            "overuse_flags": self.overuse_flags,
            "pattern_hints": self.patterns,
        }

    def rate_text(self) -> str:
        """' (7.0 per 28 recorded days)', said to be rough while fewer than 28 days are
        recorded: one headache in the one day recorded read '28.0 per 28 recorded days',
        a headache every day, on the strength of a single day. Public: the therapist's
        summary gives the rate in these words too."""
        per28 = self.headache_days_per_28
        if per28 is None:
            return ""
        if self.recorded_days >= 28:
            return f" ({per28:.1f} per 28 recorded days)"
        return (
            f" ({per28:.1f} per 28 recorded days, a rough guide from only "
            f"{self.recorded_days} recorded day{'' if self.recorded_days == 1 else 's'}: "
            "a 4-week rate needs 28)"
        )

    def lines(self) -> list[str]:
        out = [
            f"Diary {self.first} to {self.last} ({self.days} day{'' if self.days == 1 else 's'}: "
            f"{self.recorded_days} "
            f"recorded, {self.unknown_days} without an entry - unknown, not headache-free)",
            f"  headache days: {self.headache_days}" + self.rate_text(),
            f"  moderate-to-severe days (intensity {MODERATE}+): {self.moderate_severe_days}",
            f"  days with acute medication: {self.medication_days}",
        ]
        out += [f"  FLAG: {f}" for f in self.overuse_flags]
        if self.patterns:
            hints = ", ".join(f"{k} {v}" for k, v in sorted(self.patterns.items()))
            out.append(f"  ICHD-3 pattern hints (not a diagnosis): {hints}")
        return out


def clinical_summary(days: dict[date, DiaryDay]) -> ClinicalSummary:
    """Summarize a range of diary days (from :meth:`Diary.days`)."""
    if not days:
        raise UserError("the diary range is empty")
    ordered = sorted(days)
    classes: Counter[str] = Counter()
    patterns: Counter[str] = Counter()
    for d in ordered:
        med = {medication_class(h.medication or "") for h in days[d].headaches if h.took_medication}
        classes.update(med)
        patterns.update(ichd3_hint(h).label for h in days[d].headaches)
    statuses = Counter(dd.status for dd in days.values())
    return ClinicalSummary(
        first=ordered[0],
        last=ordered[-1],
        days=len(days),
        recorded_days=statuses["headache"] + statuses["none"],
        unknown_days=statuses["unknown"],
        headache_days=statuses["headache"],
        moderate_severe_days=sum(1 for dd in days.values() if (dd.max_intensity or 0) >= MODERATE),
        medication_days=sum(1 for dd in days.values() if dd.medication),
        medication_classes=dict(classes),
        patterns=dict(patterns),
    )


def describe(h: Headache) -> str:
    """One line per entry for ``headache list``. Free text is stored as typed but shown
    with control characters escaped: printed raw, they would act on the terminal."""
    parts = [f"#{h.id}", h.day.isoformat()]
    if h.start is not None:
        parts.append(start_text(h))
    parts.append(f"intensity {h.intensity}")
    if h.intensity == 0:  # taken before 0 was refused
        parts.append("(0 is no pain: edit it to 1-10, or delete it)")
    if h.duration_min is not None:
        parts.append(_hours_minutes(h.duration_min))
    parts.append(h.type)
    if h.aura:
        parts.append("aura")
    if h.medication:
        parts.append(f"medication: {printable(h.medication)}")
    if h.triggers:
        parts.append("triggers: " + ",".join(h.triggers))
    clinical = [
        f"{k.replace('_', ' ')}={getattr(h, k)}"
        for k in CLINICAL_FIELDS
        if getattr(h, k) is not None
    ]
    if clinical:
        parts.append("; ".join(clinical))
    if h.note:
        parts.append(f"note: {printable(h.note)}")
    hint = ichd3_hint(h)
    if hint.options:  # which options add the detail, as the label alone did not say
        parts.append(f"[{hint.label}: headache edit {h.id} can add {', '.join(hint.options)}]")
    else:
        parts.append(f"[{hint.label}]")
    return "  ".join(parts)


# ---------------------------------------------------------------------- command line
def add_headache_options(
    p: argparse.ArgumentParser, edit: bool = False, checkin: bool = False
) -> None:
    """The headache fields as options (shared by `headache add/edit` and `checkin`)."""
    opt = argparse.BooleanOptionalAction
    if edit:  # an edit keeps the entry's day unless told
        day = "move the entry to this day (YYYY-MM-DD)"
    elif checkin:
        day = "the day checked in (YYYY-MM-DD; default today)"
    else:
        day = "day of the headache (YYYY-MM-DD; default today)"
    p.add_argument("--date", help=day)
    p.add_argument("--start", help="when it began (HH:MM)")
    p.add_argument("--duration", help="how long it lasted: 2h, 90m, 1h30m")
    p.add_argument(
        "--intensity", type=int, help="pain 1-10 (0 is no headache: use `checkin --none`)"
    )
    p.add_argument("--type", choices=HEADACHE_TYPES, help="your own impression of the type")
    p.add_argument("--aura", action=opt, default=None, help="visual or other aura before it")
    p.add_argument("--medication", type=typed_text, help="acute medication taken (name and dose)")
    p.add_argument("--trigger", action="append", choices=TRIGGERS, help="suspected trigger")
    p.add_argument("--note", type=typed_text, help="free text")
    p.add_argument("--side", choices=SIDES, help="pain on one side or both sides")
    p.add_argument("--quality", choices=QUALITIES, help="pressing/tightening or pulsating")
    p.add_argument("--worse-with-activity", action=opt, default=None, help="worse when moving")
    p.add_argument("--nausea", action=opt, default=None)
    p.add_argument("--light-sensitivity", action=opt, default=None)
    p.add_argument("--sound-sensitivity", action=opt, default=None)
    p.add_argument("--disability", type=int, help="0 none, 1 mild, 2 moderate, 3 bed rest")
    p.add_argument("--neck-pain", action=opt, default=None)
    if edit:
        p.add_argument("--no-triggers", action="store_true", help="clear the triggers")


_FIELD_OPTIONS = (
    "type",
    "aura",
    "medication",
    "note",
    "side",
    "quality",
    "worse_with_activity",
    "nausea",
    "light_sensitivity",
    "sound_sensitivity",
    "disability",
    "neck_pain",
    "intensity",
)


def _changes_from_args(args: argparse.Namespace) -> dict[str, Any]:
    from .dates import parse_day

    changes: dict[str, Any] = {
        k: getattr(args, k) for k in _FIELD_OPTIONS if getattr(args, k, None) is not None
    }
    if args.date is not None:
        changes["day"] = parse_day(args.date)
    if args.start is not None:
        changes["start"] = parse_hhmm(args.start)
    if args.duration is not None:
        changes["duration_min"] = parse_duration(args.duration)
    if args.trigger:
        changes["triggers"] = tuple(dict.fromkeys(args.trigger))
    if getattr(args, "no_triggers", False):
        changes["triggers"] = ()
    return changes


@contextmanager
def open_diary(args: argparse.Namespace, read_only: bool = False) -> Iterator[Diary]:
    """The diary on ``--db`` (or the user database), closed again when the command ends;
    ``read_only`` for a command that only reads (see :func:`store.open_for_reading`)."""
    from .store import open_for_adding, open_for_reading

    db = getattr(args, "db", None)
    diary = Diary(open_for_reading(db) if read_only else open_for_adding(db))
    try:
        yield diary
    finally:
        diary.store.close()


def _add_from_args(diary: Diary, args: argparse.Namespace) -> int:
    changes = _changes_from_args(args)
    if "intensity" not in changes:
        raise UserError("--intensity 1-10 is required for a headache")
    now = diary.now()
    start = changes.get("start")
    if (
        "day" not in changes
        and start is not None
        and _after(datetime.combine(now.date(), start), now)
    ):
        # Past midnight, last night's 23:30 read as tonight's: "start 2026-12-02 23:30
        # is in the future" did not say that the day is what to give.
        raise UserError(
            f"start {start:%H:%M} today is still to come (it is {now:%H:%M}); for a "
            "headache that began before midnight add --date yesterday"
        )
    changes.setdefault("day", now.date())
    entry, replaced = diary.add(Headache(**changes))
    print(f"added {describe(entry)}")
    note = first_pass_note(entry)
    if note:
        print(note)
    if replaced:
        print(f"(this replaces the headache-free check-in for {entry.day})")
    _say_free_days_run_into(diary, entry)
    return 0


def _say_free_days_run_into(diary: Diary, h: Headache) -> None:
    """Tell the user that days checked in as headache-free now count as headache days,
    as the headache runs into them (the check-in alone had said otherwise)."""
    free = diary.free_days_run_into(h)
    if free:
        days = ", ".join(d.isoformat() for d in free)
        one = len(free) == 1
        print(
            f"({days}, checked in as headache-free, now count{'s as a' if one else ' as'} "
            f"headache day{'' if one else 's'}: this headache runs into {'it' if one else 'them'})"
        )


def cmd_headache_add(args: argparse.Namespace) -> int:
    with open_diary(args) as diary:
        return _add_from_args(diary, args)


def cmd_headache_list(args: argparse.Namespace) -> int:
    from .dates import end_by_today, parse_day, refuse_after_today, refuse_reversed

    with open_diary(args, read_only=True) as diary:
        last = parse_day(args.to, "--to")
        first = parse_day(args.from_, "--from") if args.from_ else last - timedelta(days=27)
        refuse_reversed(first, last, args.from_ is not None, args.to is not None)
        # as the reports: days to come counted as "without an entry - unknown" (and in
        # --json as "unknown"), and diluted the medication days per month below the
        # overuse range
        given = "" if args.from_ else " (27 days before --to, as --from was not given)"
        refuse_after_today(first, "--from", given)
        last, ends_today = end_by_today(last, "list")
        if ends_today:  # with --json, stdout holds the JSON document alone
            print(ends_today, file=sys.stderr if args.json else sys.stdout)
        days = diary.days(first, last)
        # begun before the range and running into it: it makes days of the range headache
        # days, so it is shown too (said "no headache entries", then "headache days: 1")
        before = days[first].continued
        if args.json:
            out = {
                "entries": [_entry_json(h) for dd in days.values() for h in dd.headaches],
                "running_into": [_entry_json(h) for h in before],
                "days": {d.isoformat(): dd.status for d, dd in days.items()},
                "summary": clinical_summary(days).to_json(),
            }
            print(json.dumps(out, indent=2))
            return 0
        for h in before:
            print(f"{describe(h)}  (begun before {first}, runs into it)")
        entries = [h for dd in days.values() for h in dd.headaches]
        for h in entries:
            print(describe(h))
        if not entries:
            begun = " begun" if before else ""
            print(f"no headache entries{begun} from {first} to {last}")
        print("\n".join(clinical_summary(days).lines()))
        return 0


def _entry_json(h: Headache) -> dict[str, Any]:
    obj = {f.name: getattr(h, f.name) for f in fields(Headache)}
    obj["day"] = h.day.isoformat()
    obj["start"] = None if h.start is None else start_text(h)
    obj["triggers"] = list(h.triggers)
    obj["pattern_hint"] = ichd3_hint(h).text
    return obj


def cmd_headache_edit(args: argparse.Namespace) -> int:
    with open_diary(args) as diary:
        changes = _changes_from_args(args)
        if not changes:
            raise UserError("nothing to change: give at least one field, e.g. --intensity 5")
        day = changes.get("day")
        replaces = day is not None and diary.checked_in_free(day)
        changed = diary.edit(args.id, **changes)
        print(f"changed {describe(changed)}")
        note = first_pass_note(changed) if {"day", "start"} & set(changes) else None
        if note:
            print(note)
        if replaces:  # as `headache add` says: the day no longer counts as headache-free
            print(f"(this replaces the headache-free check-in for {day})")
        _say_free_days_run_into(diary, changed)
        return 0


def cmd_headache_delete(args: argparse.Namespace) -> int:
    with open_diary(args) as diary:
        old = diary.delete(args.id)
        print(f"deleted {describe(old)}" if old is not None else f"deleted damaged #{args.id}")
        return 0


def cmd_checkin(args: argparse.Namespace) -> int:
    from .dates import parse_day

    with open_diary(args) as diary:
        if args.none:
            if any(
                getattr(args, k, None) not in (None, False)
                for k in (*_FIELD_OPTIONS, "start", "duration", "trigger")
            ):
                raise UserError("--none records a headache-free day; leave out headache details")
            day = parse_day(args.date)
            diary.check_in_none(day)
            print(f"checked in {day} as headache-free")
            return 0
        return _add_from_args(diary, args)
