"""Does my posture go with my headaches? A within-person analysis that stays honest.

Design, and why:

* Unit = one day of one person. Exposure = forward-head minutes per monitored desk hour
  (days with less than ``min_desk_hours`` at the desk are left out, and the threshold is
  shown); outcome = headache day (yes / confirmed no; unknown days are never counted as
  headache-free).
* Same day (lag 0): pain itself changes posture, so only posture *before* the headache
  began counts. On headache-free days the same cut is applied at the median onset time of
  the headache days, so both groups are measured over a comparable part of the day (a
  headache at 10:00 must not be compared with whole afternoons). Headache days without a
  start time cannot be cut and are left out of the same-day comparison (counted), as are
  days that began inside a headache still going from the day before (a 48 h migraine's
  second day): no desk time came before that headache on that day.
* A headache makes every local calendar day it touches a headache day (see
  :class:`~posture_guard.diary.DiaryDay`), with the entry's intensity on each.
* Next day (lag 1): the day's exposure against the next day's outcome, counting only
  posture before any headache of the day measured: pain on day D (an evening headache)
  changes D's posture, and headache days cluster, so D's posture in pain read as posture
  before D+1's headache. A day measured with a headache whose start is known counts up to
  that start (the sentence says how many); the other days measured count up to the
  median start of those headaches, as on the same day, so that mornings are not compared
  with whole days (an afternoon slump read as less forward head before a headache); one
  entered without a start time counts, as before, named (it cannot be cut at its own
  start); one that began inside a headache from the day before is left out, counted (no
  desk time that day came before a headache). Posture of D+1 never counts (each day's
  pieces end at midnight). A next day that began inside a
  headache from the day before is left out (counted): that headache was already going on
  the day measured, so its desk time was not before it, and a 48 h migraine read as a
  headache that came after the day spent in it.
* Effect = difference in mean exposure, headache days minus headache-free days, with a
  95 % interval allowing for the days of a week going together (:func:`day_interval`:
  Welch's t over single days, near its nominal coverage from 3 days per group on where a
  percentile bootstrap covered as little as 80 %, widened to a cluster-robust interval
  over calendar weeks where that is wider, as headaches come in bad weeks and posture
  drifts by week) and a two-sided permutation p-value of the same Welch t statistic
  (labels shuffled among the days of each calendar week, see :func:`compare`: a shuffle
  across all days took bad weeks for a link). The output says in one line what both
  assume (:data:`HOW_SURE`).
  Two lags are two tests, so Holm's correction keeps the chance of any
  false claim at ``alpha`` (5 %); a claim also needs its interval to exclude zero, so the
  words never contradict the numbers printed next to them.
* A claim needs enough data: per-person studies need about 90 diary days or 24 headache
  days to detect a strong association, and at least ``MATURE_MIN_GROUP`` days of each
  kind so that neither mean rests on a handful of days. Before that the result is an
  "early look": descriptive numbers, a wide interval, how many more days are needed, and
  no claim.

Randomness comes from a seeded numpy Generator so a report is reproducible.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Optional

import numpy as np

from .diary import Diary, DiaryDay
from .states import PostureState
from .store import Store
from .summary import (
    PRESENT_STATES,
    SHORT_DAY_DESK_S,
    Piece,
    counted,
    day_pieces,
    under_desk_minimum,
)

MIN_DESK_HOURS = SHORT_DAY_DESK_S / 3600
ENOUGH_DAYS = 90
ENOUGH_HEADACHE_DAYS = 24
MIN_GROUP = 3  # fewer days than this in either group: nothing to compare yet
# fewer days than this in either group: an early look, never a claim (the mean of 3
# control days moves with one odd day, and the interval's coverage at 3 days against many
# depends on the shape of the days: 92 % for skewed ones, benchmarks/bench_association.py)
MATURE_MIN_GROUP = 10
ALPHA = 0.05
LEVEL = 0.95  # the interval's nominal coverage, as printed ("95 % interval")
N_PERM = 2000
#: The one line, after the comparisons, on what the p-values and intervals assume. Why:
#: a reader should know that days of one week are not independent chances, and why a
#: diary of a few weeks gives wide intervals.
HOW_SURE = (
    "How sure these are: headaches and posture both come in good and bad weeks, so each "
    "p-value compares headache days only with other days of the same week (Monday to "
    "Sunday), and each 95 % interval allows for the days of a week going together (with "
    "few weeks it is wide); a link is claimed only when the p-value and the interval agree."
)
FH = PostureState.FORWARD_HEAD.value


@dataclass(frozen=True)
class DayData:
    """One day as the analysis sees it: its posture pieces and its diary status."""

    day: date
    status: str  # headache / none / unknown
    pieces: tuple[Piece, ...] = ()
    onset: Optional[time] = None
    intensity: Optional[int] = None
    carried: bool = False  # began inside a headache begun on an earlier day


def exposure(pieces: Sequence[Piece], until: Optional[float] = None) -> tuple[float, float]:
    """(desk hours, forward-head minutes) of the pieces, counting only time before ``until``."""
    desk = fh = 0.0
    for state, s, e in pieces:
        if until is not None:
            e = min(e, until)
        if e <= s or state not in PRESENT_STATES:
            continue
        desk += e - s
        if state == FH:
            fh += e - s
    return desk / 3600, fh / 60


@dataclass(frozen=True)
class LeftOut:
    """How many days one lag left out, by reason (each named to the user with how to
    bring its days in): too little desk time, a headache day without a start time, a
    monitored day whose outcome day has no diary entry (unknown: neither group), and an
    outcome day that began inside a headache from the day before (same day: nothing at
    the desk came before it; next day: the day measured was in that headache already)."""

    low: int = 0
    no_onset: int = 0
    unknown: int = 0
    carried: int = 0
    #: same day: days with enough desk time over the whole day (as the summary shows it),
    #: but not before the time compared (the headache's start; on a headache-free day the
    #: headaches' median start). Counted as ``low`` they read "less than 1 h monitored at
    #: the desk" beside a summary of the day showing more.
    early: int = 0
    #: days with a diary entry (their own, or the next day's) but no posture logged at all.
    #: Counted as ``low`` they read "4 days left out with less than 1 h monitored at the
    #: desk" where one day had 5 min and three were never monitored, beside a report whose
    #: day table showed one short day and whose data gaps listed the three as not monitored.
    unmonitored: int = 0
    #: next day: days measured that began inside a headache from the day before (their
    #: desk time was all after that headache's start, in it or after it).
    began_in_pain: int = 0


@dataclass(frozen=True)
class Comparison:
    """Exposure on headache days vs headache-free days for one lag."""

    lag: int
    n_headache: int
    n_free: int
    mean_headache: float
    mean_free: float
    diff: float
    ci_low: Optional[float]  # None: the days cannot give an interval (no spread at all)
    ci_high: Optional[float]
    p_value: float
    excluded_low_monitoring: int = 0
    excluded_no_onset: int = 0
    #: the headaches' median start: where the days not cut at a headache of their own are
    #: (same day: the headache-free days; next day: the days measured but those)
    cutoff: Optional[time] = None
    intensity_rho: Optional[float] = None  # Spearman: exposure vs intensity (0 = free day)
    excluded_unknown: int = 0  # monitored enough, but the outcome day has no diary entry
    excluded_carried: int = 0  # the outcome day began inside a headache from the day before
    excluded_early: int = 0  # same day: enough desk time that day, not before the time compared
    excluded_unmonitored: int = 0  # no posture logged that day at all (see LeftOut)
    #: next day: days measured that began inside a headache from the day before
    excluded_began_in_pain: int = 0
    #: next day: days counted that had a headache of their own with a known start,
    #: measured only up to it
    cut_at_own_headache: int = 0
    #: next day: days counted though they had a headache of their own, entered without a
    #: start time (posture during it may be counted)
    untimed_headache: int = 0

    @property
    def n_days(self) -> int:
        return self.n_headache + self.n_free

    @property
    def left_out(self) -> LeftOut:
        return LeftOut(
            self.excluded_low_monitoring,
            self.excluded_no_onset,
            self.excluded_unknown,
            self.excluded_carried,
            self.excluded_early,
            self.excluded_unmonitored,
            self.excluded_began_in_pain,
        )

    @property
    def mature(self) -> bool:
        enough = self.n_days >= ENOUGH_DAYS or self.n_headache >= ENOUGH_HEADACHE_DAYS
        return enough and min(self.n_headache, self.n_free) >= MATURE_MIN_GROUP

    @property
    def interval_excludes_zero(self) -> bool:
        return (
            self.ci_low is not None
            and self.ci_high is not None
            and (self.ci_low > 0 or self.ci_high < 0)
        )


@dataclass
class Result:
    """The whole answer: per-lag comparisons, which are claimed, and the sentences."""

    min_desk_hours: float
    comparisons: list[Comparison] = field(default_factory=list)
    claimed: dict[int, bool] = field(default_factory=dict)
    too_little: dict[int, str] = field(default_factory=dict)  # lag -> why nothing computed
    sentences: list[str] = field(default_factory=list)

    @property
    def claims_association(self) -> bool:
        return any(self.claimed.values())


def _rank(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=float)
    sx = x[order]
    i = 0
    while i < len(x):  # average ranks over ties
        j = i
        while j + 1 < len(x) and sx[j + 1] == sx[i]:
            j += 1
        if j > i:
            ranks[order[i : j + 1]] = (i + j) / 2
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> Optional[float]:
    a, b = _rank(np.asarray(x, float)), _rank(np.asarray(y, float))
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularized incomplete beta (modified Lentz's method)."""
    tiny = 1e-300

    def nonzero(v: float) -> float:
        return v if abs(v) > tiny else tiny

    c, d = 1.0, 1.0 / nonzero(1.0 - (a + b) * x / (a + 1.0))
    h = d
    for m in range(1, 500):
        for aa in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 / nonzero(1.0 + aa * d)
            c = nonzero(1.0 + aa / c)
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b), for the t distribution's tail."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(ln_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(ln_front) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` (not necessarily whole) degrees of freedom."""
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (0.5 <= p < 1).

    Written out rather than taken from scipy, which posture_guard does not depend on.
    Newton's method from the normal quantile: t's quantiles lie above the normal's and its
    CDF is concave for t > 0, so every step stays below the root and climbs towards it.
    """
    if not 0.5 <= p < 1.0 or not df > 0:
        raise ValueError(f"t_quantile needs 0.5 <= p < 1 and df > 0, got p={p}, df={df}")
    t = statistics.NormalDist().inv_cdf(p)
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    for _ in range(200):
        density = math.exp(log_c - (df + 1) / 2 * math.log1p(t * t / df))
        step = (p - t_cdf(t, df)) / density
        t += step
        if abs(step) <= 1e-12 * t:
            break
    return t


def welch_interval(
    xh: Sequence[float], xf: Sequence[float], level: float = LEVEL
) -> Optional[tuple[float, float]]:
    """Welch's t interval for mean(xh) - mean(xf), or None if the data cannot give one.

    Why Welch: with the few days of an early look (3 to 10 per group) the old percentile
    bootstrap covered the true difference in only 77-92 % of datasets, because resampling
    3 days cannot show how much a day really varies. Welch's interval allows for that with
    the t distribution (Welch-Satterthwaite degrees of freedom) and does not assume both
    groups vary alike; ``python -m benchmarks.bench_association`` measures its coverage
    (about 92-98 % from 3 days per group on, for normal, skewed, outlier-ridden and
    zero-heavy days) against the bootstrap's and a bootstrap-t's.

    A group whose days are all identical (3 headache days without any forward head, say)
    has an unknown spread, not a zero one: it is given the other group's. Without that,
    with 4 days in 10 free of forward head, 3 headache days against 10 free ones were
    covered in only 89 % of datasets (95 % with it). When neither group varies at all,
    nothing tells how much a day can vary, and an interval of zero width would claim a
    certainty the data do not have: None.
    """
    a, b = np.asarray(xh, float), np.asarray(xf, float)
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return None
    # values equal up to float noise (7.5 computed two ways) count as identical
    tiny = (1e-9 * max(1.0, float(np.abs(a).max()), float(np.abs(b).max()))) ** 2
    var_a, var_b = float(a.var(ddof=1)), float(b.var(ddof=1))
    if var_a <= tiny and var_b <= tiny:
        return None
    if var_a <= tiny:
        var_a = var_b
    elif var_b <= tiny:
        var_b = var_a
    va, vb = var_a / na, var_b / nb
    se2 = va + vb
    df = se2**2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    diff = float(a.mean() - b.mean())
    half = t_quantile(0.5 + level / 2, df) * math.sqrt(se2)
    return diff - half, diff + half


def _inv_sqrt(m: np.ndarray) -> np.ndarray:
    """The symmetric inverse square root of a positive semi-definite matrix, taken over
    its non-zero eigenvalues only (a week holding every day of one kind makes ``I - H``
    singular there: that direction has no residual to scale)."""
    w, v = np.linalg.eigh(m)
    keep = w > 1e-10
    return (v[:, keep] / np.sqrt(w[keep])) @ v[:, keep].T


def week_robust_interval(
    x: Sequence[float], headache: Sequence[bool], weeks: Sequence[int], level: float = LEVEL
) -> Optional[tuple[float, float]]:
    """The interval for mean(headache days) - mean(free days) allowing for the days of
    one week going together, or None when the days fall in fewer than 2 weeks.

    Cluster-robust standard error with weeks as clusters (the "CR2" bias-reduced
    sandwich of Bell and McCaffrey, which is Welch's standard error when every week holds
    one day) and the t distribution with their degrees of freedom (few weeks: few degrees
    of freedom, whatever the number of days). Why: headaches come in bad weeks and
    posture drifts from week to week, so five headache days of one slumped week are
    nearer one observation than five, and Welch's interval over single days covered no
    difference for only 83-93 % of simulated people with no link at all
    (``python -m benchmarks.bench_association --weeks``).
    """
    xs = np.asarray(x, float)
    ys = np.asarray(headache, bool)
    groups = np.unique(np.asarray(weeks), return_inverse=True)[1].ravel()
    if groups.max(initial=0) < 1:
        return None
    n = len(xs)
    design = np.column_stack([np.ones(n), ys.astype(float)])
    bread = np.linalg.inv(design.T @ design)
    coef = bread @ design.T @ xs
    resid = xs - design @ coef
    not_hat = np.eye(n) - design @ bread @ design.T
    contrast = bread[:, 1]  # picks the difference of means out of (intercept, difference)
    se2 = 0.0
    spread = []  # per week: how its residuals enter the estimate, for the degrees of freedom
    for g in range(groups.max() + 1):
        m = groups == g
        adjust = _inv_sqrt(not_hat[np.ix_(m, m)])
        weight = adjust @ (design[m] @ contrast)
        se2 += float(weight @ resid[m]) ** 2
        spread.append(not_hat[:, m] @ weight)
    if not se2 > 0:
        return None
    g_mat = np.column_stack(spread)
    mm = g_mat.T @ g_mat
    df = float(np.trace(mm) ** 2 / np.trace(mm @ mm))
    half = t_quantile(0.5 + level / 2, df) * math.sqrt(se2)
    return float(coef[1] - half), float(coef[1] + half)


def day_interval(
    x: Sequence[float],
    headache: Sequence[bool],
    weeks: Optional[Sequence[int]] = None,
    level: float = LEVEL,
) -> Optional[tuple[float, float]]:
    """The printed interval: Welch's over single days (:func:`welch_interval`), widened
    where the weeks show more uncertainty (:func:`week_robust_interval`).

    Why the wider of the two, not the weeks' alone: Welch's allows for an early look's
    few days and for a group whose days all had the same value, which the weeks' cannot
    (3 headache days and 3 free ones in one week give no spread between weeks); the
    weeks' allows for bad weeks. None when Welch's has none (no spread in either group).
    """
    xs = np.asarray(x, float)
    ys = np.asarray(headache, bool)
    ci = welch_interval(xs[ys], xs[~ys], level)
    if ci is None or weeks is None:
        return ci
    wide = week_robust_interval(xs, ys, weeks, level)
    if wide is None:
        return ci
    return min(ci[0], wide[0]), max(ci[1], wide[1])


def _welch_t(
    sum_h: np.ndarray, sq_h: np.ndarray, nh: int, sum_f: np.ndarray, sq_f: np.ndarray, nf: int
) -> np.ndarray:
    """Welch's t from group sums and sums of squares (vectorized over permutations).

    No spread at all gives 0 for no difference and +-inf for any difference.
    """
    mh, mf = sum_h / nh, sum_f / nf
    var_h = np.maximum(sq_h - sum_h * mh, 0.0) / (nh - 1)
    var_f = np.maximum(sq_f - sum_f * mf, 0.0) / (nf - 1)
    se = np.sqrt(var_h / nh + var_f / nf)
    diff = mh - mf
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.sign(diff) * np.inf)
    return np.where((se == 0) & (diff == 0), 0.0, t)


def compare(
    x: Sequence[float],
    headache: Sequence[bool],
    rng: np.random.Generator,
    n_perm: int = N_PERM,
    n_boot: Optional[int] = None,
    weeks: Optional[Sequence[int]] = None,
) -> tuple[float, float, float, Optional[float], Optional[float], float]:
    """(mean headache, mean free, diff, ci_low, ci_high, p) for exposures ``x``.

    ``weeks``: each day's week (any number naming it); headache days are then shuffled
    only among the days of their own week (see :func:`week_of`). Why: headaches come in
    bad weeks and posture drifts from week to week, so a shuffle of single days across
    months treats a bad week's five headache days as five independent chances, and under
    no link at all claimed one for 18.5 % of simulated people (tests/test_association.py,
    bad spells out of step with the calendar's weeks); shuffled within weeks, a week's
    headache days are compared only with its own other days: 4.5 % (3.0 % since the
    interval, which a claim needs too, allows for the weeks as well). None: every day may
    take any other's place (days independent).

    The interval is :func:`day_interval`'s, allowing for ``weeks`` (None at both ends when
    the data cannot give one, see :func:`welch_interval`): Welch's over single days covered
    no difference for only 83-93 % of people simulated with headaches in bad weeks, posture
    drifting by week and no link, while the p-value allowed for the weeks, so the interval
    could leave out no difference beside a large p. The p-value is a permutation test of the
    same statistic, Welch's t: shuffling which days are headache days keeps it exact when
    posture does not differ at all, and studentizing makes it a test of the difference in
    *means* even when the two groups vary differently, which is what the interval is about.
    With equal group sizes it ranks permutations exactly as the plain difference of means
    does.
    ``n_boot`` is ignored (the interval is no longer bootstrapped); it is accepted so
    existing callers keep working.
    """
    xs = np.asarray(x, float)
    ys = np.asarray(headache, bool)
    xh, xf = xs[ys], xs[~ys]
    diff = float(xh.mean() - xf.mean())
    n, nh = len(xs), len(xh)
    # centre first: t does not change, and sums of squares lose no precision
    xc = xs - xs.mean()
    total, total_sq = xc.sum(), (xc * xc).sum()

    def t_of(sum_h: np.ndarray, sq_h: np.ndarray) -> np.ndarray:
        return _welch_t(sum_h, sq_h, nh, total - sum_h, total_sq - sq_h, n - nh)

    observed = float(abs(t_of(np.array([xc[ys].sum()]), np.array([(xc[ys] ** 2).sum()]))[0]))
    if weeks is not None:  # rank the weeks 0, 1, ...: a day's key is its week + [0, 1)
        week_rank = np.unique(np.asarray(weeks), return_inverse=True)[1].astype(float)
        by_week = np.argsort(week_rank, kind="stable")  # the days, week by week
        xw, yw, week_sorted = xc[by_week], ys[by_week], week_rank[by_week]
    hits = 0
    done = 0
    while done < n_perm:  # shuffle which days are headache days, in vectorized chunks
        k = min(500, n_perm - done)
        if weeks is None:
            idx = np.argsort(rng.random((k, n)), axis=1)[:, :nh]
            sub = xc[idx]
            sum_h, sq_h = sub.sum(axis=1), (sub * sub).sum(axis=1)
        else:  # sorting by week + a random key shuffles each week's days among themselves
            order = np.argsort(week_sorted + rng.random((k, n)), axis=1)
            labels = yw[order]
            sum_h, sq_h = (labels * xw).sum(axis=1), (labels * xw * xw).sum(axis=1)
        t = np.abs(t_of(sum_h, sq_h))
        hits += int(np.sum(t >= observed * (1 - 1e-9)))
        done += k
    p = (hits + 1) / (n_perm + 1)
    ci = day_interval(xs, ys, weeks)
    lo, hi = ci if ci is not None else (None, None)
    return float(xh.mean()), float(xf.mean()), diff, lo, hi, float(p)


def week_of(day: date) -> int:
    """The number of ``day``'s calendar week, Monday to Sunday (0001-01-01 was a Monday)."""
    return (day.toordinal() - 1) // 7


@dataclass(frozen=True)
class LagRows:
    """One lag's exposures and outcomes, its cut (the headaches' median start, for days
    not cut at a headache of their own), the days left out and why, and (next day) how
    many days counted were measured only up to a headache of their own, or had one
    without a start time."""

    xs: list[float]
    ys: list[bool]
    intens: list[int]
    cutoff: Optional[time]
    left: LeftOut
    cut_at_own: int = 0
    untimed: int = 0
    measured: list[date] = field(default_factory=list)  # each exposure's day, as xs


def _lag_rows(days: Sequence[DayData], lag: int, min_desk_hours: float) -> LagRows:
    """The exposures and outcomes of one lag, its same-day cut, and how many days were
    left out and why. An outcome day that began inside a headache from the day before is
    left out of both lags: on the same day nothing at the desk came before that headache,
    and the day before it (the next-day comparison's exposure) was in it already, so its
    posture did not come before it either (a 48 h migraine's days after its first read
    as days before a headache, though the posture measured was the migraine's own).

    Next day: the day measured counts only up to its own first headache's start, where
    known. Why: headache days cluster, so a day with an evening headache is often
    followed by another headache day, and its posture in pain (a consequence of the
    headache) read as posture before the next day's headache. A day measured that began
    inside a headache from the day before has no desk time before a headache: left out,
    counted. A headache entered without a start time cannot be cut at it: its day counts,
    as it did, and the sentence names how many did. Every other day measured counts up to
    the median start of the headaches its days were cut at, as the same day's
    headache-free days do, so that all are measured over a like part of the day (mornings
    against whole days read an afternoon slump as less forward head before a headache: a
    link claimed for 11 % of 150 simulated people where there was none; 5 % so cut)."""
    by_day = {d.day: d for d in days}
    minimum = min_desk_hours * 3600
    xs: list[float] = []
    ys: list[bool] = []
    intens: list[int] = []
    low = no_onset = unknown = carried = early = unmonitored = began_in_pain = 0
    cut_at_own = untimed = 0
    measured: list[date] = []
    cutoff: Optional[time] = None

    def measured_before(d: DayData, at: time) -> bool:
        until = datetime.combine(d.day, at).timestamp()
        return not under_desk_minimum(exposure(d.pieces, until)[0] * 3600, minimum)

    def compared(d: DayData) -> bool:  # next day: an outcome is known for the day measured
        outcome = by_day.get(d.day + timedelta(days=1))
        return (
            outcome is not None and outcome.status in ("headache", "none") and not outcome.carried
        )

    onsets = [
        d.onset.hour * 60 + d.onset.minute
        for d in days
        if d.status == "headache"
        and d.onset is not None
        and not d.carried
        # next day: of the days measured up to their own headache, as the other days are
        # measured up to their median start (none such: every day counts whole; headaches
        # begun before any desk time must not cut away the days without one)
        and (lag == 0 or (compared(d) and measured_before(d, d.onset)))
    ]
    if onsets:
        m = int(statistics.median(onsets))
        cutoff = time(m // 60, m % 60)
    for d in days:
        outcome = by_day.get(d.day + timedelta(days=lag))
        if outcome is None:
            continue
        if outcome.status not in ("headache", "none"):
            unknown += not under_desk_minimum(exposure(d.pieces)[0] * 3600, minimum)
            continue
        if outcome.carried:
            carried += 1
            continue
        until: Optional[float] = None
        if lag == 0:
            cut = d.onset if d.status == "headache" else cutoff
            if d.status == "headache" and d.onset is None:
                # named for its start time only when that is what keeps it out: a day
                # under the desk minimum stays out with one ("adding the time each
                # headache began lets its day count" was said of days never monitored)
                if not d.pieces:
                    unmonitored += 1
                elif under_desk_minimum(exposure(d.pieces)[0] * 3600, minimum):
                    low += 1
                else:
                    no_onset += 1
                continue
            if cut is not None:
                until = datetime.combine(d.day, cut).timestamp()
        elif d.status == "headache":  # next day: the day measured had a headache of its own
            if d.carried:  # in a headache from its midnight: none of its desk time came before
                if not d.pieces:
                    unmonitored += 1
                elif under_desk_minimum(exposure(d.pieces)[0] * 3600, minimum):
                    low += 1
                else:
                    began_in_pain += 1
                continue
            if d.onset is not None:
                until = datetime.combine(d.day, d.onset).timestamp()
        if lag == 1 and until is None and cutoff is not None:
            # as on the same day: a day measured only up to its headache is compared with
            # days measured over the same part of the day (mornings against whole days
            # read an afternoon slump as less forward head before a headache)
            until = datetime.combine(d.day, cutoff).timestamp()
        if not d.pieces:  # not monitored at all: no short day, no day to count
            unmonitored += 1
            continue
        desk, fh = exposure(d.pieces, until)
        if under_desk_minimum(desk * 3600, minimum):  # as the summary shows the day
            if until is not None and not under_desk_minimum(exposure(d.pieces)[0] * 3600, minimum):
                early += 1  # enough in the day, not before the time compared
            else:
                low += 1
            continue
        xs.append(fh / desk)
        measured.append(d.day)
        ys.append(outcome.status == "headache")
        intens.append(outcome.intensity or 0)
        if lag == 1 and d.status == "headache":
            if d.onset is None:
                untimed += 1
            else:
                cut_at_own += 1
    left = LeftOut(low, no_onset, unknown, carried, early, unmonitored, began_in_pain)
    return LagRows(xs, ys, intens, cutoff, left, cut_at_own, untimed, measured)


def analyse(
    days: Sequence[DayData],
    min_desk_hours: float = MIN_DESK_HOURS,
    seed: int = 0,
    n_perm: int = N_PERM,
    n_boot: Optional[int] = None,
    alpha: float = ALPHA,
) -> Result:
    """Run the same-day and next-day comparisons and word the answer.

    ``n_boot`` is ignored (the interval is no longer bootstrapped); it is accepted so
    existing callers keep working.
    """
    rng = np.random.default_rng(seed)
    result = Result(min_desk_hours)
    for lag in (0, 1):
        rows = _lag_rows(days, lag, min_desk_hours)
        xs, ys, left, cutoff = rows.xs, rows.ys, rows.left, rows.cutoff
        nh = sum(ys)
        nf = len(ys) - nh
        if nh < MIN_GROUP or nf < MIN_GROUP:
            result.too_little[lag] = _too_little(nh, nf, left, min_desk_hours, lag, cutoff)
            continue
        weeks = [week_of(d) for d in rows.measured]
        mh, mf, diff, lo, hi, p = compare(xs, ys, rng, n_perm, weeks=weeks)
        result.comparisons.append(
            Comparison(
                *(lag, nh, nf, mh, mf, diff, lo, hi, p, left.low, left.no_onset, cutoff),
                intensity_rho=spearman(xs, rows.intens),
                excluded_unknown=left.unknown,
                excluded_carried=left.carried,
                excluded_early=left.early,
                excluded_unmonitored=left.unmonitored,
                excluded_began_in_pain=left.began_in_pain,
                cut_at_own_headache=rows.cut_at_own,
                untimed_headache=rows.untimed,
            )
        )
    # Holm over the lags that were tested; only mature comparisons may be claimed
    ordered = sorted(result.comparisons, key=lambda c: c.p_value)
    m = len(ordered)
    still = True
    for i, c in enumerate(ordered):
        ok = still and c.p_value <= alpha / (m - i)
        still = ok
        result.claimed[c.lag] = ok and c.mature and c.interval_excludes_zero
    result.sentences = [
        sentence(c, result.claimed.get(c.lag, False), min_desk_hours, alpha)
        for c in result.comparisons
    ]
    for lag, why in sorted(result.too_little.items()):
        result.sentences.append(f"{_lag_name(lag).capitalize()}: not enough data yet ({why}).")
    if result.comparisons:
        result.sentences.append(HOW_SURE)
    return result


def _days(n: int, kind: str = "") -> str:
    """'1 headache day', '2 headache days'."""
    return counted(n, f"{kind} day" if kind else "day")


def _too_little(
    nh: int,
    nf: int,
    left: LeftOut,
    min_desk_hours: float,
    lag: int = 0,
    cutoff: Optional[time] = None,
) -> str:
    """Why a lag has nothing to compare, naming every reason days were left out.

    Headache days without a start time are never checked for monitoring (the same-day cut
    needs the start), so they are counted apart and the user is told how to bring them in.
    So are days monitored long enough whose outcome has no diary entry: a month at the
    desk without a diary read "0 headache days and 0 headache-free days count" and left
    the user to guess that the diary was what was missing.
    """
    parts = [f"{_days(nh, 'headache')} and {_days(nf, 'headache-free')} count"]
    parts += _left_out(left, min_desk_hours, lag, cutoff)
    parts.append(f"at least {MIN_GROUP} of each are needed to compare")
    return "; ".join(parts)


def _left_out(
    left: LeftOut, min_desk_hours: float, lag: int = 0, cutoff: Optional[time] = None
) -> list[str]:
    """Each reason days were left out of a lag, with how many and how to bring them in;
    ``cutoff``: the same-day comparison's time of day for headache-free days."""
    low, no_onset, unknown, carried = left.low, left.no_onset, left.unknown, left.carried
    parts: list[str] = []
    if unknown:
        whose = "" if lag == 0 else " after"
        parts.append(
            f"{_days(unknown, 'monitored')} left out because the diary has no entry for "
            f"the day{whose} (unknown, not headache-free) - `posture-guard checkin --none "
            "--date D` records a headache-free day"
        )
    if no_onset:
        parts.append(
            f"{_days(no_onset, 'headache')} left out because no start time was entered - "
            "adding the time each headache began lets its day count"
        )
    if carried and lag == 0:
        parts.append(
            f"{_days(carried, 'headache')} left out because a headache begun the day before "
            "was still going at midnight (no time at the desk came before it)"
        )
    elif carried:
        parts.append(
            f"{_days(carried)} left out because the next day's headache had begun by then "
            "(still going at midnight), so the day's desk time did not come before it"
        )
    if left.began_in_pain:
        parts.append(
            f"{_days(left.began_in_pain)} left out because it began inside a headache from "
            "the day before (none of its desk time came before a headache)"
            if left.began_in_pain == 1
            else f"{_days(left.began_in_pain)} left out because they began inside a headache "
            "from the day before (none of their desk time came before a headache)"
        )
    if left.unmonitored:
        parts.append(f"{_days(left.unmonitored)} left out, not monitored at all")
    if low:
        parts.append(
            f"{_days(low)} left out with less than {min_desk_hours:g} h monitored at the desk"
        )
    if left.early and lag == 1:
        other = (
            ""
            if cutoff is None
            else f" (on other days, before {cutoff:%H:%M}, the median time the headaches began)"
        )
        parts.append(
            f"{_days(left.early)} left out with less than {min_desk_hours:g} h at the desk "
            f"before a headache of the same day began{other}, though more over the whole day"
        )
    elif left.early:
        free = (
            ""
            if cutoff is None
            else f" (on a headache-free day, before {cutoff:%H:%M}, the median time the "
            "headaches began)"
        )
        parts.append(
            f"{_days(left.early)} left out with less than {min_desk_hours:g} h at the desk "
            f"before the headache began{free}, though more over the whole day"
        )
    return parts


def _lag_name(lag: int) -> str:
    if lag == 0:
        return "same day (posture before the headache began)"
    return "next day (posture the day before, up to any headache of that day)"


def _more_needed(c: Comparison) -> str:
    short = [
        (n, kind)
        for n, kind in ((c.n_headache, "headache"), (c.n_free, "headache-free"))
        if n < MATURE_MIN_GROUP
    ]
    if c.n_days < ENOUGH_DAYS and c.n_headache < ENOUGH_HEADACHE_DAYS:
        need = (
            f"about {_days(ENOUGH_DAYS - c.n_days, 'more diary')} (or "
            f"{_days(ENOUGH_HEADACHE_DAYS - c.n_headache, 'more headache')}, "
            "whichever comes first)"
        )
        if short:
            need += f", with at least {MATURE_MIN_GROUP} days of each kind,"
    else:  # enough days overall, but too few of one kind
        need = " and ".join(
            f"at least {MATURE_MIN_GROUP} {kind} days in all ({n} so far)" for n, kind in short
        )
    return f"{need} are needed before posture_guard can say whether there is a link"


def _shown(x: float) -> str:
    """``abs(x)`` to 0.1, or to the first digit that is not zero where 0.1 would print a
    bound that leaves out no difference as 0.0 (an association claimed on an interval of
    0.04 to 6.5 read "anywhere between no difference and 6.5 minutes more")."""
    for digits in range(1, 7):
        if round(x, digits) != 0:
            return f"{abs(x):.{digits}f}"
    return f"{abs(x):.1g}"


def _signed(x: float) -> str:
    return f"{'-' if x < 0 else '+'}{_shown(x)}"


def interval_text(c: Comparison) -> str:
    """'95 % interval -1.2 to +3.4', or why there is none."""
    if c.ci_low is None or c.ci_high is None:
        return (
            f"no {100 * LEVEL:g} % interval: the days in each group all had the same value, "
            "so they cannot show how much a day varies"
        )
    return f"{100 * LEVEL:g} % interval {_signed(c.ci_low)} to {_signed(c.ci_high)}"


def interval_words(c: Comparison) -> str:
    """The interval in plain words, for the user's sentence.

    Why not only "95 % interval -1.7 to +1.9": that names neither what the numbers
    measure nor what the interval means, and a reader who is no statistician cannot tell
    from it that the true difference may lie anywhere between a little less and a little
    more forward head, so that the data do not yet tell which way it goes. The compact
    :func:`interval_text` stays for the therapist's headline, next to the difference."""
    if c.ci_low is None or c.ci_high is None:
        return interval_text(c)
    lo, hi = c.ci_low, c.ci_high

    def end(x: float) -> str:
        return "no difference" if x == 0 else f"{_shown(x)} minutes {'more' if x > 0 else 'less'}"

    if lo > 0 or hi < 0:  # one direction: nearer zero first, the unit once
        near, far = (lo, hi) if lo > 0 else (hi, lo)
        span = f"between {_shown(near)} and {end(far)}"
    else:
        span = f"anywhere between {end(lo)} and {end(hi)}"
    span += " per desk hour"
    if lo < 0 < hi:
        span += ", so it may go either way"
    return f"the true difference is probably {span} ({100 * LEVEL:g} % interval)"


def p_text(p: float) -> str:
    """'p = 0.012', or 'p < 0.001' where three decimals would print a p of 0.000 (never
    the case: the permutation test's smallest p is 1 in its number of shuffles)."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def sentence(
    c: Comparison, claimed: bool, min_desk_hours: float = MIN_DESK_HOURS, alpha: float = ALPHA
) -> str:
    """The plain-language answer for one lag: direction, size, interval, caveat, and the
    days left out. Why the last: 7 headache days entered read "6 headache ... days" with
    no word of the one left out for want of a start time, nor how to bring it in; the
    reasons were given only while there was too little to compare at all."""
    return _answer(c, claimed, alpha) + _left_out_text(c, min_desk_hours)


def _left_out_text(c: Comparison, min_desk_hours: float) -> str:
    parts = _used(c) + _left_out(c.left_out, min_desk_hours, c.lag, c.cutoff)
    return f" {'; '.join(parts)}." if parts else ""


def _used(c: Comparison) -> list[str]:
    """Next day: what was measured of each day. Why: a day's posture after its own
    headache began is pain's doing, not a cause of the next day's headache, so the user is
    told it was not counted, where it may have been (a headache without a start time
    cannot be cut) how to keep it out, and up to when the other days were measured."""
    if c.lag != 1:
        return []
    parts: list[str] = []
    if c.cut_at_own_headache:
        n = c.cut_at_own_headache
        parts.append(
            f"{_days(n)} measured had a headache of {'its' if n == 1 else 'their'} own: "
            "only the posture before it began counts (posture while in pain may be the "
            "headache's doing)"
        )
    if c.cutoff is not None:
        parts.append(
            f"the other days measured count up to {c.cutoff:%H:%M}, the median time the "
            "headaches began, so that all are measured over a like part of the day"
        )
    if c.untimed_headache:
        n = c.untimed_headache
        parts.append(
            f"{_days(n)} measured with a headache entered without a start time "
            f"{'counts' if n == 1 else 'count'} "
            f"{'whole' if c.cutoff is None else f'up to {c.cutoff:%H:%M}'}, posture during "
            "that headache perhaps too - adding the time each headache began keeps it out"
        )
    return parts


def _answer(c: Comparison, claimed: bool, alpha: float = ALPHA) -> str:
    direction = "more" if c.diff > 0 else "less"
    size = f"{abs(c.diff):.1f} {direction}" if round(abs(c.diff), 1) > 0 else "about the same"
    when = "on headache days" if c.lag == 0 else "on days before a headache"
    other = "on headache-free days" if c.lag == 0 else "before headache-free days"
    numbers = (
        f"{when} you spent {c.mean_headache:.1f} minutes per desk hour with your head "
        f"forward, against {c.mean_free:.1f} {other} "
        f"({size}; {interval_words(c)}; "
        f"{c.n_headache} headache and {c.n_free} headache-free days)"
    )
    head = _lag_name(c.lag).capitalize()
    no_interval = c.ci_low is None
    if not c.mature:
        why = "Without an interval nothing can be judged" if no_interval else "The interval is wide"
        return (
            f"{head}, EARLY LOOK (descriptive only, too few days to judge): {numbers}. "
            f"{why}; {_more_needed(c)}."
        )
    if claimed:
        return (
            f"{head}: an association - {numbers}, {p_text(c.p_value)}. "
            "This is an association in your own data, not proof that posture causes your "
            "headaches."
        )
    return (
        f"{head}: no clear association - {numbers}, {p_text(c.p_value)}. "
        f"{_why_no_claim(c, alpha)}; association would not mean causation either."
    )


def _why_no_claim(c: Comparison, alpha: float = ALPHA) -> str:
    """Why a comparison with enough days claims nothing, in words the numbers beside them
    bear out. Why not always "compatible with no link": a claim needs both a p of at most
    ``alpha`` after Holm's correction for the two comparisons and an interval without
    zero, so one can hold without the other. "Between 0.6 and 7.7 minutes more ...,
    p = 0.034. The data are compatible with no link" said the interval printed held no
    difference, while it left it out."""
    if c.ci_low is None:
        return "Without an interval the data can neither show nor rule out a link"
    level = f"{alpha:g}"
    holm = (
        "two comparisons were made (same day and next day), and corrected for that "
        f"(Holm's method: the smaller p must be at most {alpha / 2:g}) neither is small "
        "enough, so no link is claimed"
    )
    if not c.interval_excludes_zero:
        words = "The data are compatible with no link and with any effect inside the interval"
        if c.p_value <= alpha:
            words += (
                f" (p is at most {level}, but the interval still holds no difference: "
                "the two disagree, so no link is claimed)"
            )
        return words
    if c.p_value > alpha:
        return (
            f"The interval leaves out no difference, but p is above {level}: the two "
            "disagree, so no link is claimed"
        )
    return f"The interval leaves out no difference and p is at most {level}, but {holm}"


def collect_days(
    store: Store,
    first: date,
    last: date,
    pieces: Optional[dict[date, list[Piece]]] = None,
    diary_days: Optional[dict[date, DiaryDay]] = None,
) -> list[DayData]:
    """Posture pieces and diary status for each local day of ``first``..``last``.

    ``pieces`` and ``diary_days`` may be passed in when the caller has already read them.
    A headache day's onset is its first headache's start only when every headache begun
    that day has one: with one entered without a time beside one at 16:00, the day's first
    headache may have begun in the morning, and its desk time up to 16:00 was counted as
    posture before the headache (the day is left out as one without a start time).
    """
    if pieces is None:
        pieces = day_pieces(store, first, last)
    if diary_days is None:
        diary_days = Diary(store).days(first, last)
    out = []
    for d in sorted(pieces):
        dd = diary_days[d]
        out.append(
            DayData(
                d,
                dd.status,
                tuple(pieces[d]),
                dd.first_start if all(h.start is not None for h in dd.headaches) else None,
                dd.max_intensity,
                carried=bool(dd.continued),
            )
        )
    return out


__all__ = [
    "HOW_SURE",
    "Comparison",
    "DayData",
    "Result",
    "analyse",
    "collect_days",
    "compare",
    "day_interval",
    "exposure",
    "interval_text",
    "interval_words",
    "sentence",
    "t_quantile",
    "week_robust_interval",
    "welch_interval",
]
