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
  start time cannot be cut and are left out of the same-day comparison (counted).
* Next day (lag 1): the whole day's exposure against the next day's outcome.
* Effect = difference in mean exposure, headache days minus headache-free days, with a
  stratified bootstrap 95 % interval and a two-sided permutation p-value (labels shuffled
  across the person's own days). Two lags are two tests, so Holm's correction keeps the
  chance of any false claim at ``alpha`` (5 %).
* A claim needs enough data: per-person studies need about 90 diary days or 24 headache
  days to detect a strong association. Before that the result is an "early look":
  descriptive numbers, a wide interval, how many more days are needed, and no claim.

Randomness comes from a seeded numpy Generator so a report is reproducible.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Optional

import numpy as np

from .diary import Diary, DiaryDay
from .states import PostureState
from .store import Store
from .summary import PRESENT_STATES, Piece, day_pieces

MIN_DESK_HOURS = 1.0
ENOUGH_DAYS = 90
ENOUGH_HEADACHE_DAYS = 24
MIN_GROUP = 3  # fewer days than this in either group: nothing to compare yet
ALPHA = 0.05
N_PERM = 2000
N_BOOT = 2000
FH = PostureState.FORWARD_HEAD.value


@dataclass(frozen=True)
class DayData:
    """One day as the analysis sees it: its posture pieces and its diary status."""

    day: date
    status: str  # headache / none / unknown
    pieces: tuple[Piece, ...] = ()
    onset: Optional[time] = None
    intensity: Optional[int] = None


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
class Comparison:
    """Exposure on headache days vs headache-free days for one lag."""

    lag: int
    n_headache: int
    n_free: int
    mean_headache: float
    mean_free: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    excluded_low_monitoring: int = 0
    excluded_no_onset: int = 0
    cutoff: Optional[time] = None  # same-day cut applied to headache-free days
    intensity_rho: Optional[float] = None  # Spearman: exposure vs intensity (0 = free day)

    @property
    def n_days(self) -> int:
        return self.n_headache + self.n_free

    @property
    def mature(self) -> bool:
        return self.n_days >= ENOUGH_DAYS or self.n_headache >= ENOUGH_HEADACHE_DAYS


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


def compare(
    x: Sequence[float],
    headache: Sequence[bool],
    rng: np.random.Generator,
    n_perm: int = N_PERM,
    n_boot: int = N_BOOT,
) -> tuple[float, float, float, float, float, float]:
    """(mean headache, mean free, diff, ci_low, ci_high, p) for exposures ``x``."""
    xs = np.asarray(x, float)
    ys = np.asarray(headache, bool)
    xh, xf = xs[ys], xs[~ys]
    diff = float(xh.mean() - xf.mean())
    n, nh = len(xs), len(xh)
    total = xs.sum()
    # permutation: shuffle which days are headache days (vectorized in chunks)
    hits = 0
    done = 0
    while done < n_perm:
        k = min(500, n_perm - done)
        idx = np.argsort(rng.random((k, n)), axis=1)[:, :nh]
        sh = xs[idx].sum(axis=1)
        d = sh / nh - (total - sh) / (n - nh)
        hits += int(np.sum(np.abs(d) >= abs(diff) - 1e-12))
        done += k
    p = (hits + 1) / (n_perm + 1)
    # stratified bootstrap: resample each group's days with replacement
    bh = xh[rng.integers(0, nh, (n_boot, nh))].mean(axis=1)
    bf = xf[rng.integers(0, len(xf), (n_boot, len(xf)))].mean(axis=1)
    lo, hi = np.percentile(bh - bf, [2.5, 97.5])
    return float(xh.mean()), float(xf.mean()), diff, float(lo), float(hi), float(p)


def _lag_rows(
    days: Sequence[DayData], lag: int, min_desk_hours: float
) -> tuple[list[float], list[bool], list[int], int, int, Optional[time]]:
    by_day = {d.day: d for d in days}
    xs: list[float] = []
    ys: list[bool] = []
    intens: list[int] = []
    low = no_onset = 0
    cutoff: Optional[time] = None
    if lag == 0:
        onsets = [
            d.onset.hour * 60 + d.onset.minute
            for d in days
            if d.status == "headache" and d.onset is not None
        ]
        if onsets:
            m = int(statistics.median(onsets))
            cutoff = time(m // 60, m % 60)
    for d in days:
        outcome = by_day.get(d.day + timedelta(days=lag))
        if outcome is None or outcome.status not in ("headache", "none"):
            continue
        until: Optional[float] = None
        if lag == 0:
            cut = d.onset if d.status == "headache" else cutoff
            if d.status == "headache" and d.onset is None:
                no_onset += 1
                continue
            if cut is not None:
                until = datetime.combine(d.day, cut).timestamp()
        desk, fh = exposure(d.pieces, until)
        if desk < min_desk_hours:
            low += 1
            continue
        xs.append(fh / desk)
        ys.append(outcome.status == "headache")
        intens.append(outcome.intensity or 0)
    return xs, ys, intens, low, no_onset, cutoff


def analyse(
    days: Sequence[DayData],
    min_desk_hours: float = MIN_DESK_HOURS,
    seed: int = 0,
    n_perm: int = N_PERM,
    n_boot: int = N_BOOT,
    alpha: float = ALPHA,
) -> Result:
    """Run the same-day and next-day comparisons and word the answer."""
    rng = np.random.default_rng(seed)
    result = Result(min_desk_hours)
    for lag in (0, 1):
        xs, ys, intens, low, no_onset, cutoff = _lag_rows(days, lag, min_desk_hours)
        nh = sum(ys)
        nf = len(ys) - nh
        if nh < MIN_GROUP or nf < MIN_GROUP:
            result.too_little[lag] = (
                f"{nh} headache days and {nf} headache-free days with at least "
                f"{min_desk_hours:g} h monitored at the desk; at least {MIN_GROUP} of each "
                "are needed to compare"
            )
            continue
        mh, mf, diff, lo, hi, p = compare(xs, ys, rng, n_perm, n_boot)
        result.comparisons.append(
            Comparison(
                lag, nh, nf, mh, mf, diff, lo, hi, p, low, no_onset, cutoff, spearman(xs, intens)
            )
        )
    # Holm over the lags that were tested; only mature comparisons may be claimed
    ordered = sorted(result.comparisons, key=lambda c: c.p_value)
    m = len(ordered)
    still = True
    for i, c in enumerate(ordered):
        ok = still and c.p_value <= alpha / (m - i)
        still = ok
        result.claimed[c.lag] = ok and c.mature
    result.sentences = [sentence(c, result.claimed.get(c.lag, False)) for c in result.comparisons]
    for lag, why in sorted(result.too_little.items()):
        result.sentences.append(f"{_lag_name(lag).capitalize()}: not enough data yet ({why}).")
    return result


def _lag_name(lag: int) -> str:
    return "same day (posture before the headache began)" if lag == 0 else "next day"


def _more_needed(c: Comparison) -> str:
    days = max(0, ENOUGH_DAYS - c.n_days)
    heads = max(0, ENOUGH_HEADACHE_DAYS - c.n_headache)
    return (
        f"about {days} more diary days (or {heads} more headache days, whichever comes "
        "first) are needed before posture_guard can say whether there is a link"
    )


def sentence(c: Comparison, claimed: bool) -> str:
    """The plain-language answer for one lag: direction, size, interval, caveat."""
    direction = "more" if c.diff > 0 else "less"
    size = f"{abs(c.diff):.1f} {direction}" if round(abs(c.diff), 1) > 0 else "about the same"
    when = "on headache days" if c.lag == 0 else "on days before a headache"
    other = "on headache-free days" if c.lag == 0 else "before headache-free days"
    numbers = (
        f"{when} you spent {c.mean_headache:.1f} minutes per desk hour with your head "
        f"forward, against {c.mean_free:.1f} {other} "
        f"({size}; 95 % interval {c.ci_low:+.1f} to {c.ci_high:+.1f}; "
        f"{c.n_headache} headache and {c.n_free} headache-free days)"
    )
    head = _lag_name(c.lag).capitalize()
    if not c.mature:
        return (
            f"{head}, EARLY LOOK (descriptive only, too few days to judge): {numbers}. "
            f"The interval is wide; {_more_needed(c)}."
        )
    if claimed:
        return (
            f"{head}: an association - {numbers}, p = {c.p_value:.3f}. "
            "This is an association in your own data, not proof that posture causes your "
            "headaches."
        )
    return (
        f"{head}: no clear association - {numbers}, p = {c.p_value:.2f}. "
        "The data are compatible with no link and with any effect inside the interval; "
        "association would not mean causation either."
    )


def collect_days(
    store: Store,
    first: date,
    last: date,
    pieces: Optional[dict[date, list[Piece]]] = None,
    diary_days: Optional[dict[date, DiaryDay]] = None,
) -> list[DayData]:
    """Posture pieces and diary status for each local day of ``first``..``last``.

    ``pieces`` and ``diary_days`` may be passed in when the caller has already read them.
    """
    if pieces is None:
        pieces = day_pieces(store, first, last)
    if diary_days is None:
        diary_days = Diary(store).days(first, last)
    out = []
    for d in sorted(pieces):
        dd = diary_days[d]
        out.append(DayData(d, dd.status, tuple(pieces[d]), dd.first_start, dd.max_intensity))
    return out


__all__ = [
    "Comparison",
    "DayData",
    "Result",
    "analyse",
    "collect_days",
    "compare",
    "exposure",
    "sentence",
]
