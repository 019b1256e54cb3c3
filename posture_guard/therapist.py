"""The therapist's report: a PDF read in two minutes at the next session, plus daily CSV.

Why a PDF made with matplotlib's PdfPages: it opens anywhere, prints, and can be mailed;
matplotlib is already a dependency and draws offline (Agg), so nothing is fetched. Text is
embedded as TrueType (``pdf.fonttype = 42``) so the numbers can be searched and copied.

Pages, in order:

1. Summary: baseline vs now (the first and last ``min(7, days // 2)`` calendar days of
   the range; posture numbers pool the monitored days inside each window), the change
   in forward head with its interval (:func:`forward_head_change`), target (each
   window's own when they differ: a revised plan, or a baseline before the plan), adherence,
   headaches, and the posture-headache answer in one line.
2. Plan vs adherence per exercise (table) and per day (done / prescribed chart).
3. Posture trend against the plan's target: forward-head share of desk time per day.
4. Hour-of-day pattern.
5. Headache diary and the posture-headache analysis, with its uncertainty.
6. Data gaps: days not monitored, days without a diary entry, desk time not judged
   because the frame edge cut the patient off.
7+. The daily rows (the same rows as ``--csv``), then the plan, CERT-style.

Every number comes from :func:`report.daily_rows` (posture, coach counts, diary),
:mod:`adherence` (done / skipped / ignored) and :mod:`association`, so the PDF, the CSV and
the HTML report cannot disagree.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import textwrap
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Union

from . import adherence as adherence_mod
from . import paths
from .association import LEVEL, Result, analyse, collect_days, interval_text, welch_interval
from .diary import ClinicalSummary, clinical_summary
from .errors import UserError
from .features import CUT_OFF_ADVICE_SHARE
from .plan import Plan, PlanPeriod, scheduled_plan
from .report import (
    CSV_COLUMNS,
    STATE_COLORS,
    DailyRow,
    check_outputs,
    daily_rows,
    day_axis,
    legend,
    own_lines,
    refuse_overwriting_inputs,
    shown,
    use_matplotlib,
)
from .store import Store
from .summary import (
    SHORT_DAY_DESK_S,
    STATES,
    UNCALIBRATED_ADVICE_SHARE,
    DaySummary,
    counted,
    day_pieces,
    fmt_part_minutes,
    hour_of_day,
)

PAGE_SIZE = (8.27, 11.69)  # A4 portrait, inches

#: The target verdict of a day under 1 h at the desk, in the day table and the CSV: not
#: judged (see :attr:`TherapistRow.too_little`); an empty one is a day no plan judged.
SHORT_DAY_VERDICT = f"under {SHORT_DAY_DESK_S / 3600:g} h"
LINES_PER_PAGE = 62
ROWS_PER_PAGE = 45
WRAP = 100
EXTRA_COLUMNS = [
    "forward_head_share",
    "target_met",
    "exercises_prescribed",
    "exercises_done_of_prescribed",
    "doses_skipped",
    "doses_ignored",
    "doses_not_prompted",
    "adherence",
    "mean_pain",
]
THERAPIST_CSV_COLUMNS = CSV_COLUMNS + EXTRA_COLUMNS


@dataclass(frozen=True)
class TherapistRow:
    """A day of the report: report.py's daily row plus plan target and adherence.

    ``skipped`` and ``ignored`` count the prompts of the plan's doses alone: a posture
    alert or a break prompt that suggested a prescribed exercise and went unanswered is
    not a dose the patient ignored (counted as one, a day of 6 doses showed 13 ignored).
    ``not_prompted`` is the doses due that the coach never prompted (no monitor running
    then, the patient away, prompts silenced, or no room left under the coach's limits
    on notifications)."""

    row: DailyRow
    target: Optional[float]
    prescribed: int
    done_capped: int
    skipped: int
    ignored: int
    mean_pain: Optional[float]
    not_prompted: int = 0

    @property
    def day(self) -> date:
        return self.row.day

    @property
    def monitored(self) -> bool:
        return self.row.posture.monitored_s > 0

    @property
    def fh_share(self) -> Optional[float]:
        """Forward head as a share of desk time (None without desk time)."""
        p = self.row.posture
        return p.state_seconds["forward_head"] / p.desk_s if p.desk_s > 0 else None

    @property
    def too_little(self) -> bool:
        """A day a plan's target applied to with under 1 h at the desk (as the summary
        shows it): too little to judge the day by, as the summary says of it and the
        headache analysis leaves it out. Why not judged: 5 min of a demo read "38.1 %
        missed" and counted in "met on 9 of 16 monitored days" as a day the patient
        missed the target, beside a summary calling it too little to judge."""
        return self.target is not None and self.row.posture.little_desk_time

    @property
    def target_met(self) -> Optional[bool]:
        share = self.fh_share
        if share is None or self.target is None or self.too_little:
            return None
        return share <= self.target

    def fh_share_text(self) -> str:
        """The forward-head share as the day table shows it: to 0.1 %, or to as many more
        digits as it takes to show why the target was met or missed (:func:`verdict_decimals`)."""
        share = self.fh_share
        if share is None:
            return pct(None)
        target = None if self.too_little else self.target  # no verdict to show digits for
        digits = verdict_decimals(share, target, 1, 100)
        return f"{100 * share:.{digits}f} %"

    def csv_dict(self) -> dict[str, Any]:
        out = self.row.csv_dict()
        share = self.fh_share
        met = self.target_met
        out.update(
            {
                "forward_head_share": ""
                if share is None
                else round(share, verdict_decimals(share, self.target, 4, 1)),
                "target_met": SHORT_DAY_VERDICT
                if self.too_little
                else ("" if met is None else ("yes" if met else "no")),
                "exercises_prescribed": self.prescribed,
                "exercises_done_of_prescribed": self.done_capped,
                "doses_skipped": self.skipped,
                "doses_ignored": self.ignored,
                "doses_not_prompted": self.not_prompted,
                "adherence": ""
                if not self.prescribed
                else round(self.done_capped / self.prescribed, 4),
                "mean_pain": "" if self.mean_pain is None else round(self.mean_pain, 1),
            }
        )
        return out


@dataclass(frozen=True)
class Window:
    """A stretch of calendar days compared on the summary page (baseline or now)."""

    first: date
    last: date
    days: int
    monitored_days: int
    fh_share: Optional[float]
    good_share: Optional[float]
    desk_h_per_day: Optional[float]
    alerts_per_day: Optional[float]  # per monitored day: no alert comes on a day without
    adherence: Optional[float]
    mean_pain: Optional[float]
    headache_days: int
    recorded_days: int


@dataclass(frozen=True)
class Change:
    """Forward head's share of desk time, Now minus Baseline, in percentage points
    (``diff``: each window's days pooled, as the table pools them), with Welch's t
    interval for the change in the days' own shares, each day counted once (``mean_diff``
    is that change, the interval's centre). ``low``/``high`` are None when a window has
    fewer than two monitored days (one day cannot show how much a day varies), and when
    each window's days all had the same share, where an interval of zero width would claim
    a certainty the days lack (see :func:`association.welch_interval`)."""

    diff: float
    low: Optional[float]
    high: Optional[float]
    n_baseline: int
    n_now: int
    mean_diff: Optional[float] = None


def forward_head_change(
    baseline: Sequence[TherapistRow], now: Sequence[TherapistRow]
) -> Optional[Change]:
    """How far forward head moved from the baseline window to the last one, and how sure
    that is. Why: two shares side by side read alike whether they rest on 7 monitored days
    each or on 2 against 6, and a patient's days vary a lot; the progress a therapist
    judges needs its uncertainty.

    Why Welch's t interval on the days' shares (the one the posture-headache analysis
    starts from, :func:`association.welch_interval`), not the resampled days it had: a window
    holds 2 to 7 monitored days, and resampling so few cannot show how much a day really
    varies; with no true change its "95 % interval" held zero in 67 % of pairs of windows
    of 2 days, 81 % of 3 and 89 % of 7. Welch's allows for the few days with the t
    distribution and does not assume both windows vary alike. Each day's share counts once
    there (a day is the unit that varies); the change shown beside it stays the pooled
    one of the table, and the text gives the days' own change where the two differ.
    None when a window has no desk time."""
    import numpy as np

    def days(rows: Sequence[TherapistRow]) -> tuple[np.ndarray, np.ndarray]:
        kept = [r.row.posture for r in rows if r.monitored and r.row.posture.desk_s > 0]
        fh = np.array([p.state_seconds["forward_head"] for p in kept], dtype=float)
        return fh, np.array([p.desk_s for p in kept], dtype=float)

    (bf, bd), (nf, nd) = days(baseline), days(now)
    if not len(bd) or not len(nd):
        return None
    diff = 100 * (nf.sum() / nd.sum() - bf.sum() / bd.sum())
    b_share, n_share = 100 * bf / bd, 100 * nf / nd
    mean_diff = float(n_share.mean() - b_share.mean())
    ci = welch_interval(n_share, b_share)
    low, high = ci if ci is not None else (None, None)
    return Change(float(diff), low, high, len(bd), len(nd), mean_diff)


def change_text(c: Optional[Change]) -> str:
    """The summary's progress line: the change and its interval, or why there is none."""
    if c is None:
        return "Forward head, Now minus Baseline: cannot be compared (no desk time in one of them)"
    head = f"Forward head, Now minus Baseline: {c.diff:+.1f} points of desk time"
    if (c.low is None or c.high is None) and min(c.n_baseline, c.n_now) >= 2:
        return (
            f"{head} (no {100 * LEVEL:g} % interval: the {c.n_baseline} monitored days in "
            f"Baseline all had the same share of forward head, and the {c.n_now} in Now too, "
            "so they cannot show how much a day varies)"
        )
    if c.low is None or c.high is None:
        return (
            f"{head} (no {100 * LEVEL:g} % interval: {counted(c.n_baseline, 'monitored day')} "
            f"in Baseline, {c.n_now} in Now; it needs at least 2 in each)"
        )
    own = ""
    if c.mean_diff is not None and f"{c.mean_diff:+.1f}" != f"{c.diff:+.1f}":
        own = f"; the days' own shares, each day counted once, moved {c.mean_diff:+.1f}"
    return (
        f"{head} ({100 * LEVEL:g} % interval {c.low:+.1f} to {c.high:+.1f}, from "
        f"{c.n_baseline} and {c.n_now} monitored days: Welch's t on each day's share{own})"
    )


@dataclass
class TherapistData:
    first: date
    last: date
    plan: Optional[Plan]
    rows: list[TherapistRow]
    adherence: adherence_mod.Adherence
    hours: dict[str, list[float]]
    diary: ClinicalSummary
    association: Result
    baseline: Optional[Window]
    now: Optional[Window]
    own_quiet: Optional[tuple[time, time]] = None
    fh_change: Optional[Change] = None
    # the plan in force over each stretch of the range (one period when a single plan
    # judges it all); ``plan`` is the latest of them, for the patient label
    periods: list[PlanPeriod] = field(default_factory=list)

    @property
    def revised(self) -> bool:
        """Whether more than one plan (or a plan and none) judged days of the range."""
        return len({id(p.plan) for p in self.periods}) > 1


def _window(rows: Sequence[TherapistRow], adh: adherence_mod.Adherence) -> Window:
    mon = [r for r in rows if r.monitored]
    desk = sum(r.row.posture.desk_s for r in mon)
    fh = sum(r.row.posture.state_seconds["forward_head"] for r in mon)
    good = sum(r.row.posture.state_seconds["good"] for r in mon)
    prescribed = sum(r.prescribed for r in rows)
    done = sum(r.done_capped for r in rows)
    pains = [p for r in rows for p in adh.total(day=r.day).pains]
    statuses = [r.row.diary.status for r in rows]
    return Window(
        first=rows[0].day,
        last=rows[-1].day,
        days=len(rows),
        monitored_days=len(mon),
        fh_share=fh / desk if desk > 0 else None,
        good_share=good / desk if desk > 0 else None,
        desk_h_per_day=desk / 3600 / len(mon) if mon else None,
        alerts_per_day=sum(r.row.posture.alerts for r in mon) / len(mon) if mon else None,
        adherence=done / prescribed if prescribed else None,
        mean_pain=sum(pains) / len(pains) if pains else None,
        headache_days=statuses.count("headache"),
        recorded_days=statuses.count("headache") + statuses.count("none"),
    )


def gather(
    store: Store,
    first: date,
    last: date,
    plan: Optional[Plan],
    seed: int = 0,
    now: Optional[datetime] = None,
    own_quiet: Optional[tuple[time, time]] = None,
    periods: Optional[Sequence[PlanPeriod]] = None,
) -> TherapistData:
    """Everything the PDF and CSV show, computed once from the database.

    ``now`` (default: the clock) is when the report is made: on a day not over by then,
    a prompt still inside its response window is pending rather than ignored, and only
    the doses already due count as prescribed (see :func:`adherence.account`).

    ``own_quiet`` is the patient's own quiet hours: a plan without quiet hours of its own
    keeps them, so the coach spreads its doses around them (:func:`plan.scheduled_plan`),
    and today's doses fall due at those times, not at the plan's bare schedule.

    The plan's posture target applies only on the days the plan runs: a report that
    reaches back before the plan's start (to show the baseline) leaves those days
    unjudged, the same as their exercise doses.

    ``periods`` (:func:`plan.plan_periods`) split the range by the plan in force each
    day, when the plan was revised or cleared within it: each day's doses and target
    are then its own plan's. Without them ``plan`` judges every day.
    """
    if last < first:
        raise UserError(f"--to {last} is before --from {first}")
    periods = list(periods) if periods else [PlanPeriod(first, last, plan)]
    if periods[0].first > first or periods[-1].last < last:
        raise ValueError("the plan periods must cover the report's range")
    scheduled = {
        id(p.plan): None if p.plan is None else scheduled_plan(p.plan, own_quiet) for p in periods
    }

    def plan_for(day: date) -> Optional[Plan]:
        for p in periods:
            if p.first <= day <= p.last:
                return scheduled[id(p.plan)]
        return None

    latest = [p.plan for p in periods if p.plan is not None]
    plan = latest[-1] if latest else None
    pieces = day_pieces(store, first, last)
    base_rows = daily_rows(store, first, last, pieces)
    adh = adherence_mod.load(
        store,
        first,
        last,
        horizon=None if now is None else now.timestamp(),
        plan_for=plan_for,
        plan_ends={p.last: p.until.timestamp() for p in periods if p.until is not None},
    )
    rows = []
    for r in base_rows:
        cells = [c for (d, _), c in adh.cells.items() if d == r.day]
        doses = _dose_cells(adh, day=r.day)
        day_plan = plan_for(r.day)
        target = (
            day_plan.forward_head_max_share
            if day_plan is not None and day_plan.active_on(r.day)
            else None
        )
        rows.append(
            TherapistRow(
                row=r,
                target=target,
                prescribed=sum(c.prescribed for c in cells),
                done_capped=sum(c.done_capped for c in cells),
                skipped=sum(c.doses_skipped for c in doses),
                ignored=sum(c.doses_ignored for c in doses),
                mean_pain=adh.mean_pain(day=r.day),
                not_prompted=adh.not_prompted(day=r.day),
            )
        )
    n = len(rows)
    w = min(7, n // 2)
    baseline = _window(rows[:w], adh) if w >= 1 else None
    now = _window(rows[-w:], adh) if w >= 1 else None
    return TherapistData(
        first=first,
        last=last,
        plan=plan,
        rows=rows,
        adherence=adh,
        hours=hour_of_day(pieces),
        diary=clinical_summary({r.day: r.row.diary for r in rows}),
        association=analyse(collect_days(store, first, last), seed=seed),
        baseline=baseline,
        now=now,
        own_quiet=own_quiet,
        fh_change=forward_head_change(rows[:w], rows[-w:]) if w >= 1 else None,
        periods=periods,
    )


# --------------------------------------------------------------------------- formatting
def pct(x: Optional[float]) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def verdict_decimals(share: float, target: Optional[float], decimals: int, scale: int) -> int:
    """How many decimals ``share`` (shown times ``scale``: 100 for percent) needs, at
    least ``decimals``, for the figure shown to sit on the same side of ``target`` as the
    share itself, so that the figure and its "met" or "missed" agree.

    Why not judge the target on the rounded figure instead: the plan sets a bound, the
    CSV, the "met on X of Y days" count and the trend plot take the share as measured, and
    a day judged on a rounding would be met in one and missed in another. A share of
    20.03 % against a 20 % target read "20.0 % missed"; it now reads "20.03 % missed",
    the extra digit shown only on such a day."""
    if target is None:
        return decimals
    met = share <= target
    bound = Decimal(repr(target)) * scale
    for d in range(decimals, 18):
        if (Decimal(f"{scale * share:.{d}f}") <= bound) == met:
            return d
    return 17


def num(x: Optional[float], digits: int = 1, unit: str = "") -> str:
    return "-" if x is None else f"{x:.{digits}f}{unit}"


def _wrap(lines: Sequence[str], width: int = WRAP) -> list[str]:
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip(" "))
        out += textwrap.wrap(line, width, subsequent_indent=" " * (indent + 2)) or [""]
    return out


def summary_lines(data: TherapistData) -> list[str]:
    """The first page's text: what a therapist reads in two minutes."""
    rows = data.rows
    plan = data.plan
    monitored = sum(1 for r in rows if r.monitored)
    lines = []
    who = f"Patient: {plan.patient}   " if plan is not None and plan.patient else ""
    lines.append(f"{who}Period: {data.first} to {data.last} ({counted(len(rows), 'day')})")
    if data.revised:
        shown = _period_lines(data.periods)
        lines.append(f"Plans: {len(shown)} periods, each day judged by the plan in force then:")
        lines += shown
    elif plan is not None:
        cleared = _cleared_text(data.periods[-1]) if data.periods else ""
        lines.append(f"Plan: {_plan_text(plan)}{cleared}")
    else:
        lines.append("Plan: none active (adherence cannot be judged against a prescription)")
    lines.append(
        f"Days monitored: {monitored} of {len(rows)} ({len(rows) - monitored} without data)"
    )
    lines.append("")
    b, n = data.baseline, data.now
    targets = _targets(rows)
    if b is None or n is None:
        lines.append("Baseline vs now: the range is too short to compare (needs 2+ days).")
    else:
        lines.append(f"{'':28}{'Baseline':>18}{'Now':>18}{'Target':>12}")
        lines.append(
            f"{'':28}{f'{b.first:%m-%d}..{b.last:%m-%d}':>18}{f'{n.first:%m-%d}..{n.last:%m-%d}':>18}"
        )
        # each share beside the target it was judged by: one Target when both windows
        # had the same, else the target in force in each window under its own column (a
        # revision's 10 % beside a baseline the first plan's 20 % judged read as missed)
        b_target, n_target = (_window_targets(rows, w) for w in (b, n))
        same = b_target == n_target and len(n_target) == 1 and n_target[0] is not None
        table = [
            (
                "Monitored days",
                f"{b.monitored_days} of {b.days}",
                f"{n.monitored_days} of {n.days}",
                "",
            ),
            (
                "Forward head, % desk time",
                pct(b.fh_share),
                pct(n.fh_share),
                _window_target_text(n_target) if same else "",
            ),
        ]
        if not same and any(t is not None for t in b_target + n_target):
            table.append(
                (
                    "  target it was judged by",
                    _window_target_text(b_target),
                    _window_target_text(n_target),
                    "",
                )
            )
        table += [
            ("Good posture, % desk time", pct(b.good_share), pct(n.good_share), ""),
            (
                "Desk time per monitored day",
                num(b.desk_h_per_day, 1, " h"),
                num(n.desk_h_per_day, 1, " h"),
                "",
            ),
            ("Alerts per monitored day", num(b.alerts_per_day), num(n.alerts_per_day), ""),
            # every prescribed dose done is the aim only where a plan prescribes: with
            # none in force in the period (none at all, or one starting after it or
            # ended before it) there is no target (it read "100 %" all the same)
            (
                "Exercise adherence",
                pct(b.adherence),
                pct(n.adherence),
                "100 %" if _plan_in_force(data) else "no plan",
            ),
            ("Pain during exercise (0-10)", num(b.mean_pain), num(n.mean_pain), ""),
            (
                "Headache days",
                f"{b.headache_days} of {b.recorded_days} rec.",
                f"{n.headache_days} of {n.recorded_days} rec.",
                "",
            ),
        ]
        for label, x, y, t in table:
            lines.append(f"{label:28}{x:>18}{y:>18}{t:>12}")
        lines.append(change_text(data.fh_change))
    lines.append("")
    if targets:
        lines.append(
            f"Posture target (forward head <= {_targets_text(targets)} of desk time): "
            + _target_met_text(rows)
        )
    adh = data.adherence
    if plan is not None:
        lines.append(
            "Exercises (done of prescribed doses; of the doses prompted, skipped / ignored; "
            "doses never prompted: no monitor running then, away, silenced or no room under "
            "the coach's limit of notifications an hour):"
        )
        for ex in adh.prescribed_ids:
            t = adh.total(ex)
            doses = _dose_cells(adh, ex)
            lines.append(
                f"  {ex}: {_done_capped(adh, ex)} of {t.prescribed} ({pct(adh.share(ex))}); "
                f"prompted {sum(c.doses_prompted for c in doses)}: "
                f"skipped {sum(c.doses_skipped for c in doses)}, "
                f"ignored {sum(c.doses_ignored for c in doses)}; "
                f"not prompted {adh.not_prompted(ex)}; "
                f"mean pain {num(adh.mean_pain(ex))}"
            )
    d = data.diary
    # the rate in the diary's words: rough while under 28 days are recorded (2 headache
    # days of 2 recorded read "(28.0 per 28 recorded days)", a headache every day)
    lines.append(
        f"Headache diary: {counted(d.headache_days, 'headache day')} of "
        f"{d.recorded_days} recorded{d.rate_text()}; "
        f"{counted(d.unknown_days, 'day')} without an entry"
    )
    lines.append("Posture and headaches: " + _association_headline(data.association))
    if b is not None:  # the key to the comparison table ("last 0 calendar days" without)
        lines.append("")
        lines.append(
            f"Baseline = first, Now = last {counted(b.days, 'calendar day')} of the period; "
            "posture pools the monitored days."
        )
    return _wrap(lines)


def _plan_in_force(data: TherapistData) -> bool:
    """Whether a plan ran on any day of the report: a plan imported to start after the
    period, or one that ended before it, prescribed nothing in it."""
    periods = data.periods or [PlanPeriod(data.first, data.last, data.plan)]
    return any(
        p.plan is not None and p.plan.start <= p.last and p.first <= p.plan.end for p in periods
    )


def _period_lines(periods: Sequence[PlanPeriod]) -> list[str]:
    """The list of plan periods, the days of a period before its plan's start or after
    its end on lines of their own. Why: the days before the first plan known take it
    (:func:`plan.plan_periods`), yet it judges none of them before its start, and
    "11-05..11-22: 2026-11-11 to 2026-12-08" read as if it had."""
    unjudged = "(adherence and target not judged)"
    out = []
    for p in periods:
        text = _plan_text(p.plan) + _cleared_text(p)
        pieces = [(p.first, p.last, text)]
        if p.plan is not None:
            start, end = p.plan.start, p.plan.end
            plan = f"the plan {start} to {end}"
            pieces = [
                (p.first, min(p.last, start - timedelta(1)), f"{plan} not started {unjudged}"),
                (max(p.first, start), min(p.last, end), text),
                (max(p.first, end + timedelta(1)), p.last, f"{plan} ended {unjudged}"),
            ]
        out += [f"  {a:%m-%d}..{b:%m-%d}: {what}" for a, b, what in pieces if a <= b]
    return out


def _plan_text(plan: Optional[Plan]) -> str:
    if plan is None:
        return "no plan (adherence and target not judged)"
    return (
        f"{plan.start} to {plan.end}, {counted(len(plan.prescriptions), 'exercise')}, "
        f"break every {plan.break_interval_min:g} min, alerts {plan.alert_sensitivity}"
    )


def _cleared_text(period: PlanPeriod) -> str:
    """A plan cleared on the period's last day: said, since that day's doses count only
    up to the clear (see :func:`plan.plan_periods`)."""
    if period.until is None:
        return ""
    return f"; cleared {period.until:%Y-%m-%d %H:%M}, doses due after it not counted"


def _targets(rows: Sequence[TherapistRow]) -> list[float]:
    """The plans' targets over the days, in order, each once (a revision may change it)."""
    out: list[float] = []
    for r in rows:
        if r.target is not None and (not out or out[-1] != r.target):
            out.append(r.target)
    return out


def _window_targets(rows: Sequence[TherapistRow], window: Window) -> list[Optional[float]]:
    """The targets in force over a summary window's days, in order, each once (None for
    days no plan judged: before a plan's start, after its end or a clear)."""
    out: list[Optional[float]] = []
    for r in rows:
        if window.first <= r.day <= window.last and (not out or out[-1] != r.target):
            out.append(r.target)
    return out


def _window_target_text(targets: Sequence[Optional[float]]) -> str:
    """A window's targets as its summary cell: "<= 20 %", "none", "<= 20 % then 10 %",
    "none then <= 20 %" (days before the plan's start first)."""
    parts: list[str] = []
    for i, t in enumerate(targets):
        if t is None:
            parts.append("none")
        else:
            after_number = i > 0 and targets[i - 1] is not None
            parts.append(f"{'' if after_number else '<= '}{100 * t:g} %")
    return " then ".join(parts)


def _targets_text(targets: Sequence[float]) -> str:
    return ", then ".join(f"{100 * t:g} %" for t in targets)


def _target_met_text(rows: Sequence[TherapistRow]) -> str:
    """The target line's ending ("met on X of Y monitored days"), plus how many monitored
    days fell outside the plan's dates: no target then, since a baseline week before the
    plan is not a missed target."""
    judged = [r for r in rows if r.target_met is not None]
    met = sum(1 for r in judged if r.target_met)
    outside = sum(1 for r in rows if r.monitored and r.target is None)
    short = sum(1 for r in rows if r.too_little)
    notes = []
    if short:
        notes.append(
            f"{counted(short, 'monitored day')} under {SHORT_DAY_DESK_S / 3600:g} h at the "
            "desk not judged, too little to judge by"
        )
    if outside:
        notes.append(f"{counted(outside, 'monitored day')} outside the plan's dates not judged")
    note = f" ({'; '.join(notes)})" if notes else ""
    return f"met on {met} of {counted(len(judged), 'monitored day')}{note}"


def _dose_cells(
    adh: adherence_mod.Adherence, exercise: Optional[str] = None, day: Optional[date] = None
) -> list[adherence_mod.ExerciseDay]:
    """The cells whose dose prompts are the judged plan's: those of an exercise on a day
    its plan prescribes it. A dose prompted on another day was another plan's (one that
    ran before the plan given with ``--plan``, or a plan withdrawn with ``--instead``
    that prompted for an hour): counted as the judged plan's, the summary read "0 of 3;
    prompted 2: skipped 1, ignored 1; not prompted 3" and a day with no dose prescribed
    showed one skipped. Those prompts stay in the table of every prompt of the exercise."""
    return [
        c
        for (d, ex), c in adh.cells.items()
        if c.prescribed and (exercise is None or ex == exercise) and (day is None or d == day)
    ]


def _done_capped(adh: adherence_mod.Adherence, exercise: str) -> int:
    return sum(c.done_capped for (_, ex), c in adh.cells.items() if ex == exercise)


def _association_headline(res: Result) -> str:
    if res.claimed and any(res.claimed.values()):
        return "an association in this patient's own data (see page 5), not proof of cause."
    if res.comparisons:
        c = res.comparisons[0]  # same day when it could be compared, else next day
        lag = "same day" if c.lag == 0 else "next day"
        kind = "early look, too few days to judge" if not c.mature else "no clear association"
        return (
            f"{lag}: {kind}; difference {c.diff:+.1f} forward-head min per desk hour "
            f"({interval_text(c)}); see page 5."
        )
    return "not enough diary and monitoring days to compare yet (see page 5)."


def adherence_lines(data: TherapistData) -> list[str]:
    adh = data.adherence
    head = (
        f"{'exercise':26}{'prescr.':>8}{'done':>6}{'of pr.':>7}{'after prompt':>13}"
        f"{'skipped':>8}{'ignored':>8}{'adher.':>9}{'pain':>6}"
    )
    lines = [head]
    for ex in adh.exercises:
        t = adh.total(ex)
        lines.append(
            f"{ex[:25]:26}{t.prescribed:>8}{t.done:>6}{_done_capped(adh, ex):>7}"
            f"{t.done_after_prompt:>13}{t.skipped:>8}{t.ignored:>8}"
            f"{pct(adh.share(ex)):>9}{num(adh.mean_pain(ex)):>6}"
        )
    if not adh.exercises:
        lines.append("no exercise was prescribed, prompted or recorded in this period")
    lines.append("")
    lines.append(
        "done = all recorded (Done button or `posture-guard done`); of pr. = done, capped at "
        "each day's prescription; skipped = declined (Snooze / --skipped); ignored = no answer "
        f"within {adherence_mod.RESPONSE_WINDOW_S / 60:g} min. Here every prompt that suggested "
        "the exercise counts (a plan dose, a posture alert, a break prompt); the summary, the "
        "daily rows and the chart below count the plan's doses alone."
    )
    return _wrap(lines)


def gap_lines(data: TherapistData) -> list[str]:
    missing = [r.day for r in data.rows if not r.monitored]
    no_diary = [r.day for r in data.rows if r.row.diary.status == "unknown"]
    lines = [
        f"Days not monitored: {len(missing)} of {len(data.rows)}",
        *_day_list(missing),
        "",
        f"Days without a diary entry (unknown, not headache-free): {len(no_diary)}",
        *_day_list(no_diary),
        "",
        "Unmonitored days are left out of every posture number; unknown diary days are left "
        "out of the headache analysis.",
        "",
        *_cut_off_lines(data.rows),
        "",
        *_uncalibrated_lines(data.rows),
    ]
    return _wrap(lines)


def _day_list(days: Sequence[date]) -> list[str]:
    """The days of a data-gaps line, indented and wrapped ("none" for none)."""
    return _wrap(["  " + (", ".join(d.isoformat() for d in days) or "none")])


def _cut_off_lines(rows: Sequence[TherapistRow]) -> list[str]:
    """How much desk time was held rather than seen: while the frame edge cut the patient
    off (leaning in close to the camera) the posture stayed what it was last seen to be,
    so a forward-head share rests partly on time nobody judged. Cut off for longer than
    the state is held, the patient reads absent: that time is not desk time, and is
    given apart."""
    desk_part, *days = _desk_part_lines(
        rows,
        lambda p: (p.cut_off_s, p.advise_camera_back),
        "Desk time not judged (the frame edge cut the patient off; counted in the posture "
        "held from before)",
        f"Days with {100 * CUT_OFF_ADVICE_SHARE:.0f} % or more of the time in the picture not "
        "judged (the app advised setting the camera back)",
    )
    away = sum(r.row.posture.cut_off_away_s for r in rows)
    away_part = (
        "Time read as away while the frame edge cut the patient off (too close to be "
        f"measured): {fmt_part_minutes(away)}"
    )
    return [desk_part, away_part, *days]


def _uncalibrated_lines(rows: Sequence[TherapistRow]) -> list[str]:
    """How much desk time was judged without a calibration of the patient's own: then
    most forward-head postures go unseen (population defaults, see the README's accuracy
    figures), so a low forward-head share on such days says little."""
    return _desk_part_lines(
        rows,
        lambda p: (p.uncalibrated_s, p.advise_calibrate),
        "Desk time judged without calibration (population defaults, which miss most "
        "forward-head postures)",
        f"Days with {100 * UNCALIBRATED_ADVICE_SHARE:.0f} % or more judged so",
    )


def _desk_part_lines(
    rows: Sequence[TherapistRow],
    part: Callable[[DaySummary], tuple[float, bool]],
    what: str,
    which_days: str,
) -> list[str]:
    """A part of desk time over the range (``part`` gives a day's seconds of it and
    whether the app said so that day): its total and share, then those days."""
    seconds = sum(part(r.row.posture)[0] for r in rows)
    desk = sum(r.row.posture.desk_s for r in rows)
    days = [r.day for r in rows if part(r.row.posture)[1]]
    share = pct(seconds / desk if desk > 0 else None)
    return [
        f"{what}: {fmt_part_minutes(seconds)}, {share} of desk time",
        f"{which_days}: {len(days)}",
        *_day_list(days),
    ]


def _verdict(r: TherapistRow) -> str:
    """The day table's target column: met, missed, not judged (too little at the desk) or
    empty (no plan's target that day)."""
    if r.too_little:
        return SHORT_DAY_VERDICT
    met = r.target_met
    return "" if met is None else ("met" if met else "missed")


def day_table_lines(rows: Sequence[TherapistRow]) -> list[str]:
    head = (
        f"{'date':12}{'monit. h':>9}{'desk h':>8}{'fwd head':>10}{'target':>10}"
        f"{'alerts':>7}{'done/presc':>11}{'skip':>5}{'ign.':>5}{'unpr.':>6}{'pain':>6}"
        f"{'headache':>10}"
    )
    out = [head]
    for r in rows:
        p = r.row.posture
        dd = r.row.diary
        head_txt = {"headache": f"yes ({dd.max_intensity})", "none": "no"}.get(dd.status, "?")
        out.append(
            f"{r.day.isoformat():12}{p.monitored_s / 3600:>9.1f}{p.desk_s / 3600:>8.1f}"
            f"{r.fh_share_text():>10}{_verdict(r):>10}"
            f"{p.alerts:>7}{f'{r.done_capped}/{r.prescribed}':>11}{r.skipped:>5}"
            f"{r.ignored:>5}{r.not_prompted:>6}{num(r.mean_pain):>6}{head_txt:>10}"
        )
    return out


# --------------------------------------------------------------------------- pages
def _page(pdf: Any, title: str, number: int, total: int):  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=PAGE_SIZE)
    fig.text(0.06, 0.965, title, fontsize=15, weight="bold", va="top")
    fig.text(
        0.06,
        0.02,
        f"posture_guard therapist report - page {number} of {total} - numbers only, "
        "no camera image was ever stored",
        fontsize=7,
        color="#555555",
    )
    return fig


def _text(fig: Any, lines: Sequence[str], top: float = 0.93, size: float = 8.0) -> None:
    step = size / 72 * 1.45 / PAGE_SIZE[1]
    for i, line in enumerate(lines):
        fig.text(0.06, top - i * step, line, fontsize=size, family="monospace", va="top")


def _chunks(lines: Sequence[str], n: int) -> list[list[str]]:
    return [list(lines[i : i + n]) for i in range(0, len(lines), n)] or [[]]


def page_plan(data: TherapistData) -> list[tuple[str, Any]]:
    """(title, painter) per page; painters draw onto a figure. Used for counting and drawing."""
    pages: list[tuple[str, Any]] = [
        ("Therapist summary", lambda fig: _draw_summary(fig, data)),
        ("Plan vs adherence", lambda fig: _draw_adherence(fig, data)),
        ("Posture trend against the target", lambda fig: _draw_trend(fig, data)),
        ("Hour-of-day pattern", lambda fig: _draw_hours(fig, data)),
        ("Headache diary and posture-headache analysis", lambda fig: _draw_headaches(fig, data)),
        ("Data gaps", lambda fig: _draw_gaps(fig, data)),
    ]
    table = day_table_lines(data.rows)
    chunks = _chunks(table[1:], ROWS_PER_PAGE)
    for i, chunk in enumerate(chunks, start=1):
        title = "Daily rows" + (f" ({i} of {len(chunks)})" if len(chunks) > 1 else "")
        pages.append((title, lambda fig, c=chunk: _text(fig, [table[0], *c], size=7.5)))
    described = [p for p in data.periods if p.plan is not None] or (
        [PlanPeriod(data.first, data.last, data.plan)] if data.plan is not None else []
    )
    if described:
        text: list[str] = []
        for p in described:
            if data.revised:
                since = "" if p.since is None else f" (imported {p.since:%Y-%m-%d %H:%M})"
                text += [f"In force {p.first} to {p.last} of this report{since}{_cleared_text(p)}:"]
            text += p.plan.describe(today=data.last, own_quiet=data.own_quiet) + [""]
        text = _wrap(text[:-1], 105)
        chunks = _chunks(text, LINES_PER_PAGE)
        for i, chunk in enumerate(chunks, start=1):
            title = "Prescribed plan (CERT)" + (
                f" ({i} of {len(chunks)})" if len(chunks) > 1 else ""
            )
            pages.append((title, lambda fig, c=chunk: _text(fig, c, size=7.0)))
    return pages


def _axes(fig: Any, rect: Sequence[float]):  # type: ignore[no-untyped-def]
    return fig.add_axes(rect)


def _dates(rows: Sequence[TherapistRow]) -> list[datetime]:
    return [datetime.combine(r.day, datetime.min.time()) for r in rows]


def _period_axis(ax: Any, rows: Sequence[TherapistRow]) -> None:
    """Show the report's days on a chart's x axis, each day once (see
    :func:`~posture_guard.report.day_axis`). Left to matplotlib, it spanned only the days
    with a point (hiding unmonitored days at either end, the gaps a therapist looks for)
    and, with none, 1970-01-01 on every tick; a one-day report's ticks named the day
    before too."""
    day_axis(ax, rows[0].day, rows[-1].day, "%m-%d")


def _plot_forward_head(ax: Any, days: list, rows: list, label: str, **style: Any) -> None:
    """The daily forward-head share of desk time (days without desk time left out); a day
    under 1 h at the desk, not judged against the target, is a hollow circle outside the
    line, as the user's report draws it (joined, 5 min of a demo weighed as a day)."""
    color = STATE_COLORS["forward_head"]
    pts = [
        (d, 100 * r.fh_share)
        for d, r in zip(days, rows)
        if r.fh_share is not None and not r.row.posture.little_desk_time
    ]
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=color, label=label, **style)
    short = [
        (d, 100 * r.fh_share)
        for d, r in zip(days, rows)
        if r.fh_share is not None and r.row.posture.little_desk_time
    ]
    if short:
        ax.plot(
            [p[0] for p in short],
            [p[1] for p in short],
            "o",
            color=color,
            mfc="none",
            ls="none",
            label=f"under {SHORT_DAY_DESK_S / 3600:g} h at the desk (not judged)",
            **style,
        )


def _plot_target(ax: Any, rows: Sequence[TherapistRow], label: str, **style: Any) -> None:
    """The target as a dashed line over the days a plan ran, none before or after; a
    stretch per run of days with the same target (a revised plan may change it)."""
    runs: list[list[TherapistRow]] = []
    for r in rows:
        if r.target is None:
            continue
        last = runs[-1][-1] if runs else None
        if last is not None and last.target == r.target and (r.day - last.day).days == 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    half = timedelta(hours=12)
    for i, run in enumerate(runs):
        ax.hlines(
            100 * run[0].target,
            datetime.combine(run[0].day, datetime.min.time()) - half,
            datetime.combine(run[-1].day, datetime.min.time()) + half,
            colors="#333333",
            linestyles="--",
            label=label if i == 0 else None,
            **style,
        )


def _draw_summary(fig: Any, data: TherapistData) -> None:
    """Text first; below it, the two trends a therapist looks for: posture and exercise."""

    _text(fig, summary_lines(data), size=8.5)
    rows = data.rows
    days = _dates(rows)
    ax = _axes(fig, (0.1, 0.08, 0.85, 0.22))
    _plot_forward_head(ax, days, rows, "forward head, % desk time", ms=3)
    share = [(d, 100 * r.done_capped / r.prescribed) for d, r in zip(days, rows) if r.prescribed]
    if share:
        ax.plot(
            [p[0] for p in share],
            [p[1] for p in share],
            "s-",
            ms=3,
            color=STATE_COLORS["good"],
            label="exercise adherence, %",
        )
    _plot_target(ax, rows, "forward-head target", lw=1)
    ax.set_ylim(0, 105)
    legend(ax, fontsize=7, loc="upper right")
    _period_axis(ax, rows)
    ax.set_title("Day by day", fontsize=9)


def _from_zero(ax: Any, tallest: float) -> None:
    """A bar chart of counts or hours starts at 0, and one with no bar at all shows 0 to
    1. Why: with nothing to draw (a plan started today, days not monitored) matplotlib
    centred the axis on 0, ticked "-0.06" doses and "-0.05" hours monitored."""
    if tallest > 0:
        ax.set_ylim(bottom=0)
    else:
        ax.set_ylim(0, 1)


def _draw_adherence(fig: Any, data: TherapistData) -> None:

    lines = adherence_lines(data)
    _text(fig, lines, size=7.5)
    adh = data.adherence
    rows = data.rows
    ax = _axes(fig, (0.1, 0.12, 0.85, 0.45))
    days = _dates(rows)
    presc = [r.prescribed for r in rows]
    done = [r.done_capped for r in rows]
    skipped = [r.skipped for r in rows]
    ignored = [r.ignored for r in rows]
    ax.bar(days, presc, width=0.8, color="#dddddd", label="prescribed")
    ax.bar(days, done, width=0.5, color=STATE_COLORS["good"], label="done (of prescribed)")
    ax.bar(
        days,
        skipped,
        width=0.5,
        bottom=done,
        color=STATE_COLORS["raised_shoulders"],
        label="skipped",
    )
    ax.bar(
        days,
        ignored,
        width=0.5,
        bottom=[a + b for a, b in zip(done, skipped)],
        color=STATE_COLORS["forward_head"],
        label="ignored",
    )
    tallest = [a + b + c for a, b, c in zip(done, skipped, ignored)]
    _from_zero(ax, max(presc + tallest, default=0))
    ax.set_ylabel("exercise doses per day")
    ax.set_title("Prescribed vs done, per day (all exercises)")
    legend(ax, fontsize=7, loc="upper left", ncol=4)
    _period_axis(ax, rows)
    for label in ax.get_xticklabels():
        label.set_rotation(45)
        label.set_fontsize(7)
    if not adh.exercises:
        ax.text(0.5, 0.5, "no exercise data", transform=ax.transAxes, ha="center")


def _draw_trend(fig: Any, data: TherapistData) -> None:

    rows = data.rows
    days = _dates(rows)
    targets = _targets(rows)
    ax = _axes(fig, (0.1, 0.55, 0.85, 0.35))
    _plot_forward_head(ax, days, rows, "forward head, % of desk time")
    if targets:
        _plot_target(ax, rows, f"target <= {_targets_text(targets)}")
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of desk time")
    legend(ax, fontsize=7)
    _period_axis(ax, rows)
    ax2 = _axes(fig, (0.1, 0.12, 0.85, 0.33))
    bottom = [0.0] * len(rows)
    for s in STATES:
        vals = [r.row.posture.state_seconds[s] / 3600 for r in rows]
        ax2.bar(days, vals, bottom=bottom, color=STATE_COLORS[s], width=0.8, label=s, lw=0)
        bottom = [b + v for b, v in zip(bottom, vals)]
    _from_zero(ax2, max(bottom, default=0))
    ax2.set_ylabel("hours monitored")
    legend(ax2, fontsize=7, ncol=5, loc="upper left")
    _period_axis(ax2, rows)
    note = f"Target {_target_met_text(rows)}." if targets else "No plan target set."
    fig.text(0.06, 0.93, note, fontsize=9)


def _draw_hours(fig: Any, data: TherapistData) -> None:
    days = sum(1 for r in data.rows if r.monitored)
    monitored = max(1, days)  # a divisor only: the text below names the real count
    ax = _axes(fig, (0.1, 0.5, 0.85, 0.38))
    bottom = [0.0] * 24
    for s in STATES:
        vals = [v / 60 / monitored for v in data.hours[s]]
        ax.bar(range(24), vals, bottom=bottom, color=STATE_COLORS[s], label=s, width=0.85)
        bottom = [b + v for b, v in zip(bottom, vals)]
    _from_zero(ax, max(bottom))
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("hour of day")
    ax.set_ylabel("minutes per monitored day")
    legend(ax, fontsize=7, ncol=5, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    fh = data.hours["forward_head"]
    lines = []
    desk = [sum(data.hours[s][h] for s in STATES if s != "absent") for h in range(24)]
    shares = [(fh[h] / desk[h], h) for h in range(24) if desk[h] >= 600]
    worst = max(shares, default=None)
    if worst is not None and worst[0] > 0:
        lines.append(
            f"Most forward head: {worst[1]:02d}:00-{worst[1] + 1:02d}:00 "
            f"({100 * worst[0]:.0f} % of desk time in that hour, all days pooled)"
        )
    elif worst is not None:
        # no hour had any: naming one as the worst (the last, "23:00-24:00 (0 % ...)")
        # pointed the therapist at a time of day where nothing was seen
        lines.append("No forward head was seen in any hour of the day.")
    # with no day monitored it said "Averaged over 1 monitored days", against the summary
    # page's "Days monitored: 0 of N"
    if days:
        lines.append(f"Averaged over {counted(days, 'monitored day')}.")
    else:
        lines.append("No day of the period was monitored: nothing to average.")
    _text(fig, lines, top=0.45, size=9)


def _draw_headaches(fig: Any, data: TherapistData) -> None:
    res = data.association
    lines = [line.rstrip() for line in data.diary.lines()]
    lines.append("")
    lines.append(
        "Posture and headaches (exposure: forward-head minutes per monitored desk hour; "
        f"days under {res.min_desk_hours:g} h at the desk are left out):"
    )
    lines += [f"- {s}" for s in res.sentences]
    _text(fig, _wrap(lines, 105), top=0.93, size=8)
    rows = data.rows
    ax = _axes(fig, (0.1, 0.1, 0.85, 0.25))
    days = _dates(rows)
    colors = {"headache": "#b00020", "none": STATE_COLORS["good"], "unknown": "#cccccc"}
    heights = [
        (r.row.diary.max_intensity or 0.3) if r.row.diary.status == "headache" else 0.3
        for r in rows
    ]
    ax.bar(days, heights, color=[colors[r.row.diary.status] for r in rows], width=0.8)
    ax.set_ylim(0, 10)
    _period_axis(ax, rows)
    ax.set_ylabel("headache intensity (0-10)")
    ax.set_title("Diary: red = headache, green = confirmed free, grey = no entry", fontsize=9)


def _draw_gaps(fig: Any, data: TherapistData) -> None:
    _text(fig, gap_lines(data), size=8.5)
    rows = data.rows
    ax = _axes(fig, (0.1, 0.15, 0.85, 0.15))
    days = _dates(rows)
    ax.bar(
        days,
        [1] * len(rows),
        width=0.9,
        color=["#4c9a2a" if r.monitored else "#d1495b" for r in rows],
    )
    ax.set_yticks([])
    _period_axis(ax, rows)
    ax.set_title("Monitoring calendar: green = monitored, red = no data", fontsize=9)


def write_pdf(data: TherapistData, path: Union[str, Path]) -> int:
    """Write the report; returns the number of pages. ``-`` (or /dev/stdout) is standard
    output, written where it goes (a pipe to a printer, a file), as the CSV is
    (:func:`paths.open_output`); :func:`refuse_pdf_to_terminal` has made sure it is not a
    terminal."""
    matplotlib = use_matplotlib()
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    pages = page_plan(data)
    with paths.open_output(path, "--pdf", "PDF", binary=True) as fh:
        try:
            with matplotlib.rc_context({"pdf.fonttype": 42, "font.size": 8}), _missing_glyphs():
                with PdfPages(
                    fh,
                    metadata={
                        "Title": f"posture_guard therapist report {data.first} to {data.last}",
                        "Creator": "posture_guard",
                    },
                ) as pdf:
                    for i, (title, paint) in enumerate(pages, start=1):
                        fig = _page(pdf, title, i, len(pages))
                        paint(fig)
                        pdf.savefig(fig)
                        plt.close(fig)
        except zlib.error as exc:
            # A write that fails inside the PDF's compressed stream (a full disk) comes out
            # of matplotlib's close as zlib.error "Error -2 while flushing", the OSError
            # behind it only its context: that was an "internal error". The OSError says
            # what happened, and open_output names it (and removes a file cut short).
            cause: Optional[BaseException] = exc
            while cause is not None and not isinstance(cause, OSError):
                cause = cause.__context__
            if isinstance(cause, OSError):
                raise cause from None
            raise OSError(str(exc)) from exc
    return len(pages)


def refuse_pdf_to_terminal(path: str) -> None:
    """``--pdf -`` writes the PDF to standard output (``| lpr``, ``> report.pdf``), as
    ``-`` means for the other outputs; standard output left on the terminal is refused
    before anything is gathered: the PDF's bytes would fill the screen."""
    if paths.is_standard_output(path, "--pdf") and os.isatty(1):
        raise UserError(
            f"--pdf {path} is standard output, which is a terminal: a PDF there would fill "
            "the screen with its bytes; name a file, or send standard output to one "
            "(> report.pdf) or a program (| lpr)"
        )


_GLYPH_WARNING = re.compile(r"Glyph (\d+) .*missing from font")


@contextmanager
def _missing_glyphs() -> Iterator[None]:
    """Name once, on one line, the characters the PDF's font cannot draw (a patient label
    or a custom exercise in Chinese, say): matplotlib warns per glyph and page, a Python
    warning with a source line each. Other warnings pass through unchanged."""
    missing: dict[str, None] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        m = _GLYPH_WARNING.search(str(w.message))
        if m:
            missing[chr(int(m.group(1)))] = None
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if missing:
        print(
            f"posture-guard: note: the PDF's font has no {' '.join(missing)}; they are "
            "drawn as empty boxes",
            file=sys.stderr,
        )


def write_csv(data: TherapistData, path: Union[str, Path]) -> None:
    """One row per day; ``-`` is standard output (see :func:`paths.open_output`)."""
    with paths.open_output(path, "--csv", "CSV", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=THERAPIST_CSV_COLUMNS)
        writer.writeheader()
        for r in data.rows:
            writer.writerow(r.csv_dict())


def cmd_therapist_report(args: argparse.Namespace) -> int:
    """``posture-guard report --therapist --from D --to D --pdf F [--csv F] [--plan F]``."""
    from . import paths
    from .dates import end_by_today, parse_day, refuse_after_today, refuse_reversed
    from .plan import (
        MAX_PLAN_DAYS,
        active_plan_path,
        last_cleared_course,
        load_active_plan,
        load_plan_file,
        own_quiet_hours,
        plan_course_start,
        plan_periods,
    )
    from .store import open_for_reading

    if not getattr(args, "pdf", None):
        raise UserError("--therapist needs --pdf FILE (and optionally --csv FILE)")
    if getattr(args, "html", None):
        raise UserError("--therapist makes a PDF; leave out --html")
    db = getattr(args, "db", None)
    refuse_overwriting_inputs(
        {"--pdf": args.pdf, "--csv": args.csv},
        {
            "--db" if db else "the database": db or paths.database_file(),
            "--plan": getattr(args, "plan", None),
            "the active plan": active_plan_path() if active_plan_path().exists() else None,
        },
    )
    explicit = bool(getattr(args, "plan", None))
    plan = load_plan_file(args.plan) if explicit else load_active_plan()
    # the course of treatment began with the first plan since the last clear: a revised
    # plan's report reaches back to it (explicit --plan F: that plan's dates, as before)
    course_start = None if explicit or plan is None else plan_course_start()
    # no plan active: the course a clear ended sets the dates, as the plan did before the
    # clear (they were the last 4 weeks, from before the plan, judged by days it never ran)
    # the days it was in force: to the day of the clear (its last day with a plan)
    ended = None if explicit or plan is not None else last_cleared_course()
    span, span_end = plan, None if plan is None else plan.end
    if ended is not None:
        course_start, span, span_end = ended[0], ended[1], min(ended[1].end, ended[2].date())
    first = parse_day(args.from_, "--from") if args.from_ else None
    if args.to:
        last = parse_day(args.to, "--to")
    elif span_end is not None and (first is None or first <= span_end):
        last = min(span_end, date.today())
    else:
        # no plan, or a --from after the plan ended (what happened since): today, as in
        # every report; the plan's end would refuse a --to the user never gave
        last = date.today()
    # a day yet to come is neither "not monitored" nor "without a diary entry": as in the
    # user's report, the range ends today, and a range that starts later is refused
    if first is not None and first <= last:
        refuse_after_today(first, "--from")
    last, ends_today = end_by_today(last)
    if first is None:
        start = None if span is None else min(span.start, course_start or span.start)
        first = start if start is not None and start <= last else last - timedelta(27)
    refuse_reversed(first, last, args.from_ is not None, args.to is not None)
    if (last - first).days + 1 > MAX_PLAN_DAYS:
        to = f"to today, {last}," if ends_today else f"--to {last}"
        raise UserError(
            f"--from {first} {to} is {(last - first).days + 1} days; a therapist "
            f"report covers at most {MAX_PLAN_DAYS} (two years, the longest plan): choose "
            "a shorter range"
        )
    # each day judged by the plan in force then (the plan history), unless --plan F
    periods = None if explicit else plan_periods(first, last, plan)
    judged = [p.plan for p in periods] if periods is not None else [plan]
    refuse_pdf_to_terminal(args.pdf)
    check_outputs({"--pdf": args.pdf, "--csv": args.csv}, args.force)
    note = own_lines([args.pdf, args.csv])
    store = open_for_reading(getattr(args, "db", None))
    if ends_today:
        print(ends_today, file=note)
    if ended is not None and span is not None and not (args.from_ and args.to):
        print(
            f"no plan is active: the report covers the last plan in force, "
            f"{span.start} to {span.end}, cleared on {ended[2]:%Y-%m-%d %H:%M}; --from "
            "and --to choose other days",
            file=note,
        )
    try:
        data = gather(
            store,
            first,
            last,
            plan,
            seed=getattr(args, "seed", 0),
            own_quiet=None if all(p is None for p in judged) else own_quiet_hours(),
            periods=periods,
        )
    finally:
        store.close()
    n = write_pdf(data, args.pdf)
    print(f"wrote {shown(args.pdf)} ({n} pages, {first} to {last})", file=note)
    if args.csv:
        write_csv(data, args.csv)
        print(f"wrote {shown(args.csv)} ({counted(len(data.rows), 'daily row')})", file=note)
    return 0


__all__ = [
    "THERAPIST_CSV_COLUMNS",
    "TherapistData",
    "TherapistRow",
    "gather",
    "page_plan",
    "summary_lines",
    "write_csv",
    "write_pdf",
]
