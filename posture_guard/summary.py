"""Daily posture summaries: what people look at, computed from the stored spans.

Why local dates: a person's "Tuesday" is their local calendar day, so spans are clipped
at local midnight and a span crossing midnight counts on both days. Monitored time is all
logged time (absent included: the monitor was watching an empty chair); desk time is the
part with someone in view, and the good-posture share is of desk time, so a long lunch
break does not look like bad posture.

Everything here is a pure function of spans and events, so the CLI, the HTML/CSV report
and a later therapist PDF share one computation.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any, Optional, TypeVar

from . import adherence
from .classify import POPULATION_PROFILE
from .dates import parse_day, refuse_after_today
from .errors import UserError
from .features import CUT_OFF_ADVICE_SHARE, OFTEN_CUT_OFF
from .rounding import apportion
from .states import PostureState
from .store import Event, Store

STATES: tuple[str, ...] = tuple(s.value for s in PostureState)
PRESENT_STATES: tuple[str, ...] = tuple(s for s in STATES if s != PostureState.ABSENT.value)
TOUCH = 0.5  # seconds: spans closer than this count as one continuous stretch

# event kinds the coach logs that the summary counts ('alert_fired': the coach's first
# versions named a posture alert so, and their users' databases still hold them)
ALERT_KINDS = ("alert", "alert_fired")
BREAK_KINDS = ("break_taken",)

#: At this share of desk time judged without calibration the summary says what that costs
#: (as for time cut off: about 3 minutes an hour; a short uncalibrated try stays quiet).
UNCALIBRATED_ADVICE_SHARE = 0.05
#: What that costs, measured by `python -m calibration.evaluate` (population defaults:
#: recall 0.002-0.038 on the hold-out and the default run's fresh 48, see README).
NOT_CALIBRATED = (
    "part of this day was judged without a calibration of your own, and then most "
    "forward-head postures go unseen: run `posture-guard calibrate`"
)
#: The same when all of the day's desk time was: "part of" beside "(100 % of desk time)"
#: read as if some of the day had been calibrated.
NONE_CALIBRATED = NOT_CALIBRATED.replace("part of this day was", "this whole day was", 1)

#: Under this much desk time a day's shares rest on too little to judge the day by: the
#: summary says so, the report keeps such days out of its good-posture line, and the
#: headache analysis leaves them out (its ``MIN_DESK_HOURS``).
SHORT_DAY_DESK_S = 3600.0


def under_desk_minimum(desk_s: float, minimum_s: float = SHORT_DAY_DESK_S) -> bool:
    """Whether ``desk_s`` of desk time is under ``minimum_s`` as the summary shows it, to
    the minute (:func:`fmt_minutes`). The summary, the report and the headache analysis
    all ask this: a replayed hour of 59 min 59.9 s reads "1 h 00 min", and the analysis
    had left it out as under 1 h while the summary called it long enough."""
    return int(round(desk_s / 60)) < int(round(minimum_s / 60))


Piece = tuple[str, float, float]  # (state, start, end) in POSIX seconds
T = TypeVar("T")


def day_start(d: date) -> float:
    """POSIX seconds of local midnight at the start of ``d``."""
    return datetime.combine(d, time()).timestamp()


def split_by_day(
    pieces: Iterable[tuple[T, float, float]], first: date, last: date
) -> dict[date, list[tuple[T, float, float]]]:
    """Clip spans to local days ``first``..``last`` (inclusive), splitting at midnight.
    The first item of each piece (a state, or any tag) is carried along unchanged."""
    n_days = (last - first).days + 1
    bounds = [day_start(first + timedelta(days=i)) for i in range(n_days + 1)]
    out: dict[date, list[tuple[T, float, float]]] = {
        first + timedelta(days=i): [] for i in range(n_days)
    }
    lo, hi = bounds[0], bounds[-1]
    i = 0
    for state, s, e in pieces:  # pieces come sorted by start
        s, e = max(s, lo), min(e, hi)
        if e <= s:
            continue
        while i > 0 and bounds[i] > s:
            i -= 1
        while bounds[i + 1] <= s:
            i += 1
        j = i
        while s < e:
            cut = min(e, bounds[j + 1])
            out[first + timedelta(days=j)].append((state, s, cut))
            s = cut
            j += 1
    return out


def counted_once(pieces: Iterable[tuple[T, float, float]]) -> list[tuple[T, float, float]]:
    """Spans (sorted by start) with the time two of them cover left to the earlier one.

    Logged time never overlaps now, but a database logged by an earlier version can hold
    time twice: after the wall clock was set back, the monitor logged the minutes it had
    logged already again (see :class:`~posture_guard.store.StoreSink`). Summed as they
    are, a day counted more monitored time than its clock hours hold."""
    out: list[tuple[T, float, float]] = []
    reach = -math.inf
    for tag, s, e in pieces:
        s = max(s, reach)
        if e > s:
            out.append((tag, s, e))
            reach = e
    return out


def longest_run(pieces: Sequence[Piece], state: str) -> float:
    """Longest continuous time in ``state``: touching spans of it join, gaps break it."""
    best = run = 0.0
    run_end: Optional[float] = None
    for st, s, e in pieces:
        if st != state:
            run_end = None
            run = 0.0
            continue
        if run_end is not None and s - run_end <= TOUCH:
            run += e - s
        else:
            run = e - s
        run_end = e
        best = max(best, run)
    return best


def _share_of(part: float, whole: float) -> Optional[float]:
    """``part`` as a share of ``whole`` (at most 1: a span's cut-off seconds are rounded
    on their own); None when there is no whole to share."""
    return min(1.0, part / whole) if whole > 0 else None


def whole_percents(parts: Sequence[float]) -> list[int]:
    """Whole percents of ``parts`` (non-negative) of their total that add up to exactly 100.

    Why not round each share on its own: three equal states would show 33 + 33 + 33 = 99 %,
    and other splits 101 %, which reads as an error in the numbers. Here each share is
    rounded down, and the points still missing go to the shares that lost most by it
    (largest remainder; ties to the earlier part), so each percent is off its exact share
    by less than 1. Fractions keep the arithmetic exact: a float share of exactly 33 that
    came out as 32.9999 must not lose its point. All zeros when the total is 0."""
    exact_parts = [Fraction(p) for p in parts]
    total = sum(exact_parts)
    if total <= 0:
        return [0] * len(parts)
    return apportion([100 * p / total for p in exact_parts], 100)


@dataclass
class DaySummary:
    """One local day of posture: seconds per state, the share of good, coach counts."""

    day: date
    state_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    longest_forward_head_s: float = 0.0
    alerts: int = 0
    breaks: int = 0
    exercises_done: int = 0
    #: of the desk time, how long the frame edge cut the user off (face or shoulders out of
    #: the picture): counted in the state held meanwhile, which was not seen
    cut_off_s: float = 0.0
    #: of the absent time, how long the frame edge cut someone off: a user sitting too close
    #: to be measured reads absent once the decision stops holding the state
    cut_off_away_s: float = 0.0
    #: of the desk time, how long it was judged without calibration (population defaults,
    #: which miss most forward-head postures)
    uncalibrated_s: float = 0.0

    @property
    def monitored_s(self) -> float:
        return sum(self.state_seconds.values())

    @property
    def desk_s(self) -> float:
        """Monitored time with someone in view."""
        return sum(self.state_seconds[s] for s in PRESENT_STATES)

    @property
    def good_share(self) -> Optional[float]:
        """Good posture as a share of desk time; None when nobody was at the desk."""
        return self._of_desk(self.state_seconds[PostureState.GOOD.value])

    def _of_desk(self, seconds: float) -> Optional[float]:
        """``seconds`` of desk time as a share of it; None when nobody was at the desk."""
        return _share_of(seconds, self.desk_s)

    def desk_percents(self) -> dict[str, int]:
        """Each state's share of desk time in whole percents, rounded together so that
        they add up to 100 (:func:`whole_percents`); empty without desk time. The one
        rounding of them: the summary's rows and its good-posture line show these, and
        ``status`` its good posture of today (it rounded the share alone, and said 49 %
        beside the summary's 50 % of the same day)."""
        if self.desk_s <= 0:
            return {}
        seconds = [self.state_seconds[s] for s in PRESENT_STATES]
        return dict(zip(PRESENT_STATES, whole_percents(seconds)))

    @property
    def good_percent(self) -> Optional[int]:
        """The good-posture share as the summary shows it (see :meth:`desk_percents`);
        None when nobody was at the desk."""
        return self.desk_percents().get(PostureState.GOOD.value)

    @property
    def cut_off_share(self) -> Optional[float]:
        """The part of desk time in which the posture was held, not seen."""
        return self._of_desk(self.cut_off_s)

    @property
    def edge_share(self) -> Optional[float]:
        """Of the time someone was in the picture (desk time, and time read absent while
        the frame edge cut someone off), the part the frame edge cut them off; None when
        nobody was."""
        away = self.cut_off_away_s
        return _share_of(self.cut_off_s + away, self.desk_s + away)

    @property
    def advise_camera_back(self) -> bool:
        """Whether the frame edge cut the user off often enough to say so: a user who sat
        down too close all day has no desk time, yet needs the advice most."""
        return (self.edge_share or 0.0) >= CUT_OFF_ADVICE_SHARE

    @property
    def little_desk_time(self) -> bool:
        """Whether the day had someone at the desk, but under :data:`SHORT_DAY_DESK_S` as
        shown to the minute: a replayed hour of 59 min 59.9 s reads "1 h 00 min" and
        must not be called too short beside it."""
        return self.desk_s > 0 and under_desk_minimum(self.desk_s)

    @property
    def uncalibrated_share(self) -> Optional[float]:
        """The part of desk time judged against population defaults."""
        return self._of_desk(self.uncalibrated_s)

    @property
    def advise_calibrate(self) -> bool:
        """Whether enough of the day went without calibration to say what that costs."""
        return (self.uncalibrated_share or 0.0) >= UNCALIBRATED_ADVICE_SHARE

    def state_minutes(self) -> dict[str, float]:
        """Each state's minutes to 0.1, adding up to the monitored and desk minutes (see
        :func:`tenth_minutes`): the JSON's and the CSV's."""
        return tenth_minutes(self.state_seconds)

    def longest_forward_head_minutes(self, forward_head: float) -> float:
        """The longest forward-head stretch to 0.1 min, never more than ``forward_head``,
        the forward-head minutes shown beside it (rounded alone, a stretch of 2.56 min
        read 2.6 beside the 2.5 min the states' shares gave forward head in all)."""
        return min(round(self.longest_forward_head_s / 60, 1), forward_head)

    def to_json(self) -> dict[str, Any]:
        """Stable keys for ``summary --json`` (minutes rounded to 0.1)."""
        share = self.good_share
        minutes = self.state_minutes()
        return {
            "date": self.day.isoformat(),
            "monitored_minutes": round(self.monitored_s / 60, 1),
            "desk_minutes": round(self.desk_s / 60, 1),
            "state_minutes": minutes,
            "good_share": None if share is None else round(share, 4),
            "longest_forward_head_minutes": self.longest_forward_head_minutes(
                minutes[PostureState.FORWARD_HEAD.value]
            ),
            "alerts": self.alerts,
            "breaks": self.breaks,
            "exercises_done": self.exercises_done,
            "cut_off_minutes": round(self.cut_off_s / 60, 1),
            "cut_off_away_minutes": round(self.cut_off_away_s / 60, 1),
            "uncalibrated_minutes": round(self.uncalibrated_s / 60, 1),
        }


def summarize_pieces(
    day: date,
    pieces: Sequence[Piece],
    events: Sequence[Event],
    cut_off: float = 0.0,
    uncalibrated: float = 0.0,
    cut_off_away: float = 0.0,
    exercises_done: int = 0,
) -> DaySummary:
    """The summary of one day from its (already clipped) spans and its events, the
    seconds of it in which the frame edge cut the user off (see :func:`cut_off_by_day`),
    the desk seconds judged without calibration (:func:`uncalibrated_by_day`), the
    absent seconds in which the frame edge cut someone off, and the exercises done that
    day as adherence counts them (:func:`exercises_done_by_day`: a Done counts on the day
    of the prompt it answers, which need not be its own)."""
    summary = DaySummary(
        day,
        cut_off_s=cut_off,
        uncalibrated_s=uncalibrated,
        cut_off_away_s=cut_off_away,
        exercises_done=exercises_done,
    )
    for state, s, e in pieces:
        summary.state_seconds[state] = summary.state_seconds.get(state, 0.0) + (e - s)
    summary.longest_forward_head_s = longest_run(pieces, PostureState.FORWARD_HEAD.value)
    kinds = Counter(e.kind for e in events)
    summary.alerts = sum(kinds[k] for k in ALERT_KINDS)
    summary.breaks = sum(kinds[k] for k in BREAK_KINDS)
    return summary


def day_pieces(store: Store, first: date, last: date) -> dict[date, list[Piece]]:
    """Stored spans clipped to each local day of ``first``..``last``."""
    if last < first:
        raise UserError(f"the range {first}..{last} ends before it starts")
    t0, t1 = day_start(first), day_start(last + timedelta(days=1))
    return split_by_day(counted_once(store.span_tuples(t0, t1)), first, last)


def cut_off_by_day(
    store: Store, first: date, last: date
) -> tuple[dict[date, float], dict[date, float]]:
    """Seconds per local day of ``first``..``last`` in which the frame edge cut the user
    off: of desk time, and of time read absent. A span stores only its total, so one that
    crosses midnight shares it out in proportion to its time on each day, and so does one
    whose time was logged twice by an earlier version: it keeps the share of its cut-off
    seconds that the time :func:`counted_once` leaves it holds (the summaries counted such
    time once, its cut-off twice)."""
    t0, t1 = day_start(first), day_start(last + timedelta(days=1))
    rows = store.cut_off_tuples(t0, t1)  # all spans, in span_tuples' order
    kept = counted_once([(i, s, e) for i, (s, e, _, _) in enumerate(rows)])
    tagged = [(i, s, e) for i, s, e in kept if rows[i][2] > 0]  # sorted by start
    desk: dict[date, float] = {}
    away: dict[date, float] = {}
    for d, parts in split_by_day(tagged, first, last).items():
        desk[d] = away[d] = 0.0
        for i, ps, pe in parts:
            # each part of a span gets the span's cut-off seconds in proportion to its length
            s, e, cut, absent = rows[i]
            (away if absent else desk)[d] += cut * (pe - ps) / (e - s)
    return desk, away


def uncalibrated_by_day(store: Store, first: date, last: date) -> dict[date, float]:
    """Desk seconds per local day of ``first``..``last`` judged against population
    defaults (logged under :data:`~posture_guard.classify.POPULATION_PROFILE`)."""
    t0, t1 = day_start(first), day_start(last + timedelta(days=1))
    rows = counted_once(store.span_tuples(t0, t1, POPULATION_PROFILE))
    return {
        d: sum(e - s for state, s, e in parts if state in PRESENT_STATES)
        for d, parts in split_by_day(rows, first, last).items()
    }


def exercises_done_by_day(store: Store, first: date, last: date) -> dict[date, int]:
    """Exercises done per local day of ``first``..``last``, on the day adherence counts
    each Done: the day of the prompt it answers (a break prompt at 23:55 done at 00:03 is
    Monday's), else its own. Counted by its own day, a report's CSV row said 0 exercises
    done beside 1 dose done on Monday, and the reverse on Tuesday."""
    # every event of the range and the answers after it, whatever the clock says
    horizon = day_start(last + timedelta(days=1)) + adherence.RESPONSE_WINDOW_S
    counts = adherence.load(store, first, last, horizon=horizon)
    return {d: counts.total(day=d).done for d in counts.days}


def summarize_range(
    store: Store, first: date, last: date, pieces: Optional[dict[date, list[Piece]]] = None
) -> list[DaySummary]:
    """One DaySummary per local day from ``first`` to ``last`` inclusive."""
    if pieces is None:
        pieces = day_pieces(store, first, last)
    t0, t1 = day_start(first), day_start(last + timedelta(days=1))
    by_day: dict[date, list[Event]] = {d: [] for d in pieces}
    for ev in store.events(t0, t1):
        d = datetime.fromtimestamp(ev.at).date()
        if d in by_day:
            by_day[d].append(ev)
    cut, away_cut = cut_off_by_day(store, first, last)
    bare = uncalibrated_by_day(store, first, last)
    done = exercises_done_by_day(store, first, last)
    return [
        summarize_pieces(
            d,
            pieces[d],
            by_day[d],
            cut.get(d, 0.0),
            bare.get(d, 0.0),
            away_cut.get(d, 0.0),
            done.get(d, 0),
        )
        for d in sorted(pieces)
    ]


def summarize_day(store: Store, day: date) -> DaySummary:
    return summarize_range(store, day, day)[0]


def _local_hour(t: float) -> tuple[int, float]:
    """The local clock hour (0-23) that instant ``t`` falls in, and the instant it ends.

    Why not count hours from local midnight: on a DST-change day an hour of the clock is
    missing or repeated, so offsets from midnight drift off the clock by an hour. Reading
    the hour off the clock at ``t`` and ending it where the clock's minutes and seconds
    reach the next hour also holds in zones whose offset is not a whole hour."""
    local = datetime.fromtimestamp(t)
    into = local.minute * 60 + local.second + local.microsecond / 1e6
    return local.hour, t - into + 3600


def hour_of_day(pieces_by_day: dict[date, list[Piece]]) -> dict[str, list[float]]:
    """Seconds in each state per local clock hour (0-23), summed over the days given.

    Every second of the pieces lands in exactly one hour, so the hours add up to the
    monitored time. On the day the clocks go back, both runs of the repeated hour count
    under that hour; on the day they go forward, the skipped hour stays empty."""
    out = {s: [0.0] * 24 for s in STATES}
    for pieces in pieces_by_day.values():
        for state, s, e in pieces:
            row = out[state]
            while s < e:
                hour, hour_end = _local_hour(s)
                cut = min(e, hour_end)
                row[hour] += cut - s
                s = cut
    return out


def whole_minutes(state_seconds: dict[str, float]) -> dict[str, int]:
    """Whole minutes of each state, as shown beside the monitored and desk totals.

    Why not round each state on its own: 95.5 min good and 4.5 min of raised shoulders
    showed as 1 h 35 min and 4 min under "at the desk 1 h 40 min", so the rows did not
    add up to the total above them. Here the desk states share out the desk total's
    whole minutes (as :func:`whole_percents` shares out 100) and absent gets what is left
    of the monitored total's, so every row is within a minute of its exact time and the
    rows add up to the totals, which are rounded as :func:`fmt_minutes` rounds them."""
    return _shared_minutes(state_seconds, 0)


def tenth_minutes(state_seconds: dict[str, float]) -> dict[str, float]:
    """Minutes of each state to 0.1, as ``summary --json`` and the report's CSV give them:
    shared out of the monitored and desk totals (rounded to 0.1 on their own) as
    :func:`whole_minutes` shares whole minutes, so that the states add up to them (each
    rounded alone, a demo's day read 2.6 + 2.0 + 0.7 + 0.0 = 5.3 desk minutes beside a
    desk total of 5.2)."""
    return {s: units / 10 for s, units in _shared_minutes(state_seconds, 1).items()}


def _shared_minutes(state_seconds: dict[str, float], digits: int) -> dict[str, int]:
    """Each state's minutes in units of ``10 ** -digits`` minutes, adding up to the desk
    and monitored totals rounded to ``digits`` decimals."""
    per = 10**digits

    def units(seconds: float) -> int:
        return int(round(round(seconds / 60, digits) * per))

    desk_s = sum(state_seconds[s] for s in PRESENT_STATES)
    desk = units(desk_s)
    monitored = units(sum(state_seconds.values()))
    exact = [Fraction(state_seconds[s]) * per / 60 for s in PRESENT_STATES]
    out = dict(zip(PRESENT_STATES, apportion(exact, desk)))
    out[PostureState.ABSENT.value] = monitored - desk
    return {s: out[s] for s in STATES}


def counted(n: int, noun: str) -> str:
    """'1 daily row', '2 daily rows': a report of one day said '1 daily rows'. Here, below
    the reports, so that the association's text can use it too."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def state_label(state: str) -> str:
    """A posture state as people read it, "forward head" for ``forward_head``: one
    function for the summary, the report's table and the charts' legends (the page and
    its charts showed the names used in files beside the summary's words)."""
    return state.replace("_", " ")


def fmt_minutes(seconds: float) -> str:
    """``1 h 05 min`` or ``12 min``: how people read durations."""
    return fmt_whole_minutes(int(round(seconds / 60)))


def fmt_part_minutes(seconds: float) -> str:
    """:func:`fmt_minutes` for a row shown only when there is some of it: a few seconds
    read "under 1 min" (they read "0 min", which says there was none, beside a row that
    is there only because there was some)."""
    if 0 < seconds and int(round(seconds / 60)) == 0:
        return "under 1 min"
    return fmt_minutes(seconds)


def fmt_shown_minutes(minutes: int, seconds: float) -> str:
    """``minutes`` (a row's whole minutes, as :func:`whole_minutes` shares them out) of a
    row of ``seconds``: "under 1 min" when there were some seconds but no whole minute, as
    :func:`fmt_part_minutes` says them (a day of a few seconds read "monitored 0 min",
    with "good 0 min (100 % of desk time)" below it)."""
    if minutes == 0 and seconds > 0:
        return "under 1 min"
    return fmt_whole_minutes(minutes)


def fmt_part_share(share: float) -> str:
    """A share of desk time in whole percents, as :func:`fmt_part_minutes` says minutes: a
    share above 0 that rounds to 0 reads "under 1 %"."""
    if 0 < share and round(100 * share) == 0:
        return "under 1 %"
    return f"{100 * share:.0f} %"


def fmt_whole_minutes(minutes: int) -> str:
    """``1 h 05 min`` or ``12 min`` for a number of minutes already whole."""
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes} min"


def render_text(summary: DaySummary, headache: Optional[str] = None) -> str:
    """The terminal table of ``posture-guard summary``."""
    lines = [f"Posture on {summary.day.isoformat()} ({summary.day.strftime('%A')})"]
    if summary.monitored_s <= 0:
        lines.append("  nothing was monitored on this day")
    rows: list[tuple[str, str]] = [
        ("monitored", fmt_part_minutes(summary.monitored_s)),
        ("at the desk", fmt_part_minutes(summary.desk_s)),
    ]
    desk = summary.desk_s
    # shares of desk time, rounded together so that the states shown add up to 100 %
    percent = summary.desk_percents()
    shown = whole_minutes(summary.state_seconds)  # adding up to the two totals above
    for state in STATES:
        share = f"  ({percent[state]} % of desk time)" if state in percent else ""
        time_text = fmt_shown_minutes(shown[state], summary.state_seconds[state])
        rows.append((f"  {state_label(state)}", time_text + share))
        if state == PostureState.ABSENT.value and summary.cut_off_away_s > 0:
            # not an empty desk: someone too close to the camera to be measured
            away_cut = fmt_part_minutes(summary.cut_off_away_s)
            rows.append(("    of which cut off by the edge", away_cut))
    share = summary.cut_off_share
    if share:
        # the states above count this time as the state held: say it was not seen
        cut = fmt_part_minutes(summary.cut_off_s) + f"  ({fmt_part_share(share)} of desk time)"
        rows.append(("  of which not judged (cut off by the frame edge)", cut))
    share = summary.uncalibrated_share
    if share:
        bare = fmt_part_minutes(summary.uncalibrated_s)
        bare += f"  ({fmt_part_share(share)} of desk time)"
        rows.append(("  judged without calibration", bare))
    # the same number as the good row above, so the two lines never disagree by a point
    good = summary.good_percent
    rows += [
        ("good posture share", "-" if good is None else f"{good} %"),
        ("longest forward head", _longest_text(summary, shown[PostureState.FORWARD_HEAD.value])),
        ("alerts", str(summary.alerts)),
        ("breaks taken", str(summary.breaks)),
        ("exercises done", str(summary.exercises_done)),
    ]
    if headache is not None:
        rows.append(("headache diary", headache))
    width = max(len(k) for k, _ in rows)
    lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
    if summary.little_desk_time:
        # a share of 10 minutes (often 0 or 100 %) must not read like a whole day's
        amount = fmt_part_minutes(desk)  # "only under 1 min" would read oddly
        amount = amount if amount.startswith("under") else f"only {amount}"
        lines.append(
            f"  note: {amount} at the desk: too little time to judge the "
            f"day's posture by (days under {SHORT_DAY_DESK_S / 3600:g} h are left out of "
            "the report's good-posture line and of the headache analysis)"
        )
    if summary.advise_camera_back:
        lines.append(f"  note: {OFTEN_CUT_OFF}")
    if summary.advise_calibrate:
        whole = summary.uncalibrated_s >= summary.desk_s - TOUCH  # float sums of spans
        lines.append(f"  note: {NONE_CALIBRATED if whole else NOT_CALIBRATED}")
    return "\n".join(lines)


def _longest_text(summary: DaySummary, forward_head: int) -> str:
    """The longest forward-head stretch in minutes, never more than ``forward_head``, the
    whole minutes the forward-head row shows: rounded alone, a stretch of 2.55 min read
    "longest forward head 3 min" under "forward head 2 min"."""
    seconds = summary.longest_forward_head_s
    return fmt_shown_minutes(min(int(round(seconds / 60)), forward_head), seconds)


def to_json_text(summary: DaySummary, extra: Optional[dict[str, Any]] = None) -> str:
    obj = summary.to_json()
    if extra:
        obj.update(extra)
    return json.dumps(obj, indent=2, sort_keys=False)


__all__ = [
    "DaySummary",
    "STATES",
    "counted_once",
    "cut_off_by_day",
    "uncalibrated_by_day",
    "day_pieces",
    "day_start",
    "exercises_done_by_day",
    "fmt_minutes",
    "fmt_part_minutes",
    "fmt_shown_minutes",
    "fmt_whole_minutes",
    "hour_of_day",
    "longest_run",
    "render_text",
    "split_by_day",
    "state_label",
    "summarize_day",
    "summarize_range",
    "tenth_minutes",
    "whole_minutes",
    "whole_percents",
]


def cmd_summary(args: argparse.Namespace) -> int:
    """``posture-guard summary [--date D] [--json]``: one day's posture and diary status."""
    from .diary import Diary
    from .store import open_for_reading

    day = parse_day(args.date)
    # a day to come said "nothing was monitored on this day", as if the user had missed it
    refuse_after_today(day, "--date")
    store = open_for_reading(getattr(args, "db", None))
    try:
        s = summarize_day(store, day)
        diary_day = Diary(store).days(day, day)[day]
    finally:
        store.close()
    status = {"headache": "headache", "none": "headache-free (checked in)"}.get(
        diary_day.status, "no entry (unknown)"
    )
    if args.json:
        print(to_json_text(s, {"headache": diary_day.status}))
    else:
        print(render_text(s, status))
    return 0
