"""The calendar days posture_guard accepts from a user (options, plan files, diary entries).

Why a range at all: Python's dates end at years 1 and 9999, and the commands do day
arithmetic around the day they are given (the day after, 27 days before, the local
midnight of a day), so a date near either end crashed them with an OverflowError. The
range below is far from both ends, so no such arithmetic can leave it, and wide enough
that no real user ever meets it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Optional

from .errors import UserError

# Not before 2000: posture_guard did not exist then, so no log, diary or plan of it can
# be older. Not after 2100: no diary entry, plan or report is meant that far ahead.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)

_YYYY_MM_DD = re.compile(r"\d{4}-\d{2}-\d{2}")


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of Unicode as its ASCII digit: full-width
    ('２０２６-１１-３０') and Arabic-Indic ('٢٠٢٦') among them. Why: Python's regular
    expressions and ``float()`` read any decimal digit, so `snooze ３０m` and a
    ``--duration`` were taken, while a date or a start time typed with the same keyboard
    layout was refused as "no day of the calendar (Invalid isoformat string ...)";
    dates, times and durations now read alike."""
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text
    )


def check_day(day: date, what: str) -> date:
    """``day`` if it is in the accepted range, else a UserError naming ``what`` (e.g.
    ``--date``) and the range."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise UserError(f"{what} {day} is outside the dates posture_guard accepts {span()}")
    return day


def parse_day(text: Optional[str], what: str = "--date") -> date:
    """A local date from ``YYYY-MM-DD``, ``today`` or ``yesterday`` (None = today).

    A date outside the accepted range (2000 to 2100) is a UserError naming ``what``: near
    the ends of Python's calendar the day arithmetic of every command overflowed.
    """
    if text is None or text.strip().lower() == "today":
        return date.today()
    if text.strip().lower() == "yesterday":
        return date.today() - timedelta(days=1)
    digits = ascii_digits(text.strip())  # the messages name the text as typed
    try:
        day = date.fromisoformat(digits)
    except ValueError as exc:
        if _YYYY_MM_DD.fullmatch(digits):
            # "2026-11-31 is not a date like 2024-03-04" left the user comparing formats
            # that were alike: the day is what does not exist
            raise UserError(f"{what} {text!r} is no day of the calendar ({exc})") from exc
        raise UserError(f"{what} {text!r} is not a date like 2024-03-04") from exc
    return check_day(day, what)


def span() -> str:
    """The accepted range as text, e.g. "(2000-01-01 to 2100-12-31)"."""
    return f"({EARLIEST_DAY} to {LATEST_DAY})"


def refuse_after_today(day: date, what: str, note: str = "") -> None:
    """A UserError when ``day`` (given as ``what``, ``note`` saying how it came about) is
    still to come. A day yet to come is neither "not monitored" nor "without a diary
    entry": shown as either, it reads as a gap in the user's record."""
    today = date.today()
    if day > today:
        raise UserError(f"{what} {day}{note} is after today ({today}): nothing is recorded yet")


def end_by_today(last: date, what: str = "report") -> tuple[date, Optional[str]]:
    """(``last``, or today if it is later; the note that says so, or None). A report's
    (or the diary list's, ``what``) range runs up to today at most: the days after it are
    neither "not monitored" nor "without a diary entry" (shown as either, they read as
    gaps in the user's record)."""
    today = date.today()
    if last <= today:
        return last, None
    return today, f"note: the {what} ends today, {today}; the days after it are not recorded yet"


def refuse_reversed(first: date, last: date, from_given: bool, to_given: bool) -> None:
    """A UserError when ``last`` is before ``first``, marking a side the user did not
    give: "--to 2026-12-01 is before --from 2026-12-05" named a --to never typed (the
    default, today), which left the user looking for a mistake in their command."""
    if last >= first:
        return
    to = f"--to {last}" + ("" if to_given else " (the default: --to was not given)")
    frm = f"--from {first}" + ("" if from_given else " (the default: --from was not given)")
    raise UserError(f"{to} is before {frm}")
