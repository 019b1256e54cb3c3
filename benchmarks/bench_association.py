"""Does the association's "95 % interval" cover the truth 95 % of the time? Prints a table.

Why: the headache diary shows a user an interval for "forward-head minutes per desk hour
on headache days minus on headache-free days" from as few as 3 days per group (an early
look). An interval labelled 95 % must contain the true difference in about 95 % of
datasets, at those sizes too, and must not buy that by being uselessly wide.

    python -m benchmarks.bench_association                 # well under a minute on 2 cores
    python -m benchmarks.bench_association --datasets 4000 # tighter figures, slower
    python -m benchmarks.bench_association --weeks         # days that go together by week

For each group size (headache days / headache-free days) and each shape of daily values,
``--datasets`` datasets are drawn with a known true difference of means (0 unless the
shape says otherwise) and each method's 95 % interval is computed from them:

* ``percentile bootstrap``: what association.py printed before (each group resampled with
  replacement, 2.5th and 97.5th percentiles of the resampled differences);
* ``Welch t``: :func:`posture_guard.association.welch_interval`, what it prints now;
* ``bootstrap-t``: the resampled Welch t statistics' percentiles put around the observed
  difference (a resample with no spread gives an infinite t, hence infinite widths).

Columns: coverage = share of datasets whose interval contains the truth (with the
binomial standard error about 0.7 points at 1000 datasets); median width in minutes per
desk hour; "none" = datasets for which the method gives no interval (Welch's when
neither group varies at all), left out of coverage and width.

Shapes (minutes of forward head per desk hour, one value per day):

* normal: mean 10, sd 3;
* skewed: gamma(shape 2, scale 3), as in the auditor's simulation (mean 6);
* outliers: normal(10, 3) with 1 day in 10 replaced by a bad day of 30-60;
* zero-heavy: 40 % of days with no forward head at all, the rest gamma(2, 3);
* unequal sd: same mean 10, sd 6 on headache days and 2 on headache-free days.

``--weeks``: days are not independent. Each simulated person's headaches come in bad
7-day spells (3 in 10; a headache on 55 % of their days, 10 % of others'), begun on any
weekday, and posture drifts from week to week (a random walk of the week's forward-head
share, sd 4 points a week, around each day's own noise of 3 points), with no link at all
between the two. For 2 to 18 weeks of diary it prints how often the interval over single
days (Welch's t, what the analysis printed before) and the printed interval
(:func:`posture_guard.association.day_interval`, which allows for the calendar weeks)
hold no difference, and their median widths. People with fewer than 3 days of either
kind are left out (the analysis compares nothing for them).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Optional

import numpy as np

from calibration.cli_args import positive_int
from posture_guard.association import LEVEL, day_interval, welch_interval

SIZES = ((3, 3), (3, 10), (5, 5), (10, 10), (30, 60))
N_BOOT = 1000

Draw = Callable[[np.random.Generator, int, bool], np.ndarray]


def _normal(rng: np.random.Generator, n: int, headache: bool) -> np.ndarray:
    return rng.normal(10.0, 3.0, n)


def _skewed(rng: np.random.Generator, n: int, headache: bool) -> np.ndarray:
    return rng.gamma(2.0, 3.0, n)


def _outliers(rng: np.random.Generator, n: int, headache: bool) -> np.ndarray:
    x = rng.normal(10.0, 3.0, n)
    bad = rng.random(n) < 0.1
    x[bad] = rng.uniform(30.0, 60.0, int(bad.sum()))
    return x


def _zero_heavy(rng: np.random.Generator, n: int, headache: bool) -> np.ndarray:
    return np.where(rng.random(n) < 0.4, 0.0, rng.gamma(2.0, 3.0, n))


def _unequal_sd(rng: np.random.Generator, n: int, headache: bool) -> np.ndarray:
    return rng.normal(10.0, 6.0 if headache else 2.0, n)


# name -> (draw one group's days, true difference of means headache minus free)
SHAPES: dict[str, tuple[Draw, float]] = {
    "normal": (_normal, 0.0),
    "skewed": (_skewed, 0.0),
    "outliers": (_outliers, 0.0),
    "zero-heavy": (_zero_heavy, 0.0),
    "unequal sd": (_unequal_sd, 0.0),
}

Interval = Optional[tuple[float, float]]


def percentile_bootstrap(xh: np.ndarray, xf: np.ndarray, rng: np.random.Generator) -> Interval:
    """The interval association.py printed before: stratified percentile bootstrap."""
    bh = xh[rng.integers(0, len(xh), (N_BOOT, len(xh)))].mean(axis=1)
    bf = xf[rng.integers(0, len(xf), (N_BOOT, len(xf)))].mean(axis=1)
    lo, hi = np.percentile(bh - bf, [50 * (1 - LEVEL), 50 * (1 + LEVEL)])
    return float(lo), float(hi)


def _se(h: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Welch standard error along the last axis."""
    return np.sqrt(h.var(axis=-1, ddof=1) / h.shape[-1] + f.var(axis=-1, ddof=1) / f.shape[-1])


def bootstrap_t(xh: np.ndarray, xf: np.ndarray, rng: np.random.Generator) -> Interval:
    """Studentized bootstrap: percentiles of (resampled diff - diff) / resampled SE."""
    se = float(_se(xh, xf))
    if se == 0:
        return None
    diff = xh.mean() - xf.mean()
    bh = xh[rng.integers(0, len(xh), (N_BOOT, len(xh)))]
    bf = xf[rng.integers(0, len(xf), (N_BOOT, len(xf)))]
    d = bh.mean(axis=1) - bf.mean(axis=1) - diff
    bse = _se(bh, bf)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(bse > 0, d / np.where(bse > 0, bse, 1.0), np.sign(d) * np.inf)
    t = np.sort(np.where(np.isnan(t), 0.0, t))
    k_lo = int(math.floor(N_BOOT * (1 - LEVEL) / 2))
    k_hi = int(math.ceil(N_BOOT * (1 + LEVEL) / 2)) - 1
    return float(diff - t[k_hi] * se), float(diff - t[k_lo] * se)


def welch(xh: np.ndarray, xf: np.ndarray, rng: np.random.Generator) -> Interval:
    return welch_interval(xh, xf)


METHODS: dict[str, Callable[[np.ndarray, np.ndarray, np.random.Generator], Interval]] = {
    "percentile bootstrap": percentile_bootstrap,
    "Welch t": welch,
    "bootstrap-t": bootstrap_t,
}


def coverage(
    method: Callable[[np.ndarray, np.ndarray, np.random.Generator], Interval],
    draw: Draw,
    truth: float,
    nh: int,
    nf: int,
    datasets: int,
    seed: int,
) -> tuple[float, float, int]:
    """(coverage, median width, datasets without an interval) of one method in one cell.

    Every method sees the same datasets for a given cell (the data generator's seed does
    not depend on the method), so their differences are not sampling noise between them.
    """
    data_rng = np.random.default_rng(seed)
    method_rng = np.random.default_rng(seed + 1)
    hits = 0
    widths: list[float] = []
    none = 0
    for _ in range(datasets):
        xh = draw(data_rng, nh, True)
        xf = draw(data_rng, nf, False)
        ci = method(xh, xf, method_rng)
        if ci is None:
            none += 1
            continue
        hits += ci[0] <= truth <= ci[1]
        widths.append(ci[1] - ci[0])
    shown = datasets - none
    return (
        hits / shown if shown else math.nan,
        statistics.median(widths) if widths else math.nan,
        none,
    )


def run(
    datasets: int, sizes: Sequence[tuple[int, int]] = SIZES, seed: int = 0
) -> list[tuple[str, str, str, float, float, int]]:
    """Rows of (size, shape, method, coverage, median width, datasets without interval)."""
    rows = []
    for i, (nh, nf) in enumerate(sizes):
        for j, (shape, (draw, truth)) in enumerate(SHAPES.items()):
            for method_name, method in METHODS.items():
                cov, width, none = coverage(
                    method, draw, truth, nh, nf, datasets, seed + 1000 * i + 10 * j
                )
                rows.append((f"{nh}/{nf}", shape, method_name, cov, width, none))
    return rows


WEEKS = (2, 4, 6, 8, 13, 18)


def bad_weeks(rng: np.random.Generator, n_weeks: int) -> tuple[np.ndarray, ...]:
    """One person's days with no link (see ``--weeks`` above): (forward-head minutes
    per desk hour, headache day or not, calendar week), one of each per day."""
    n_days = 7 * n_weeks
    level = np.clip(0.15 + np.cumsum(rng.normal(0.0, 0.04, n_weeks + 1)), 0.02, 0.45)
    bad = rng.random(n_weeks + 1) < 0.3
    offset = int(rng.integers(0, 7))  # spells out of step with the calendar's weeks
    day = np.arange(n_days)
    share = np.clip(level[day // 7] + rng.normal(0.0, 0.03, n_days), 0.0, 0.6)
    headache = rng.random(n_days) < np.where(bad[(day + offset) // 7], 0.55, 0.1)
    return 60 * share, headache, day // 7


def week_rows(
    people: int, weeks: Sequence[int] = WEEKS, seed: int = 0
) -> list[tuple[int, int, str, float, float]]:
    """Rows of (weeks, people compared, method, coverage of no difference, median width)."""
    rows = []
    for n_weeks in weeks:
        rng = np.random.default_rng(seed + n_weeks)
        hits = {"Welch t, single days": 0, "printed (allows for weeks)": 0}
        widths: dict[str, list[float]] = {k: [] for k in hits}
        compared = 0
        for _ in range(people):
            x, y, week = bad_weeks(rng, n_weeks)
            if min(y.sum(), (~y).sum()) < 3:
                continue
            for name, ci in zip(hits, (welch_interval(x[y], x[~y]), day_interval(x, y, week))):
                if ci is None:  # no spread in either group: cannot happen with noise
                    continue
                hits[name] += ci[0] <= 0 <= ci[1]
                widths[name].append(ci[1] - ci[0])
            compared += 1
        for name in hits:
            rows.append(
                (
                    n_weeks,
                    compared,
                    name,
                    hits[name] / compared if compared else math.nan,
                    statistics.median(widths[name]) if widths[name] else math.nan,
                )
            )
    return rows


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_association",
        description="Coverage and width of the association's 95 % interval, per method.",
    )
    ap.add_argument("--datasets", type=positive_int, default=1000, help="datasets per cell (1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--weeks",
        action="store_true",
        help="people whose headaches and posture both run by week, with no link: how often "
        "each interval holds no difference (--datasets people per diary length)",
    )
    args = ap.parse_args(argv)
    start = time.perf_counter()
    if args.weeks:
        print(
            f"Nominal {100 * LEVEL:g} % intervals, no link, headaches in bad weeks and "
            f"posture drifting by week; {args.datasets} people per diary length."
        )
        print(f"{'weeks':>5}{'people':>8}  {'method':28}{'holds 0':>8}{'median width':>14}")
        for n_weeks, compared, method, cov, width in week_rows(args.datasets, seed=args.seed):
            print(f"{n_weeks:5d}{compared:8d}  {method:28}{100 * cov:7.1f}%{width:14.1f}")
        print(f"({time.perf_counter() - start:.0f} s)")
        return 0
    rows = run(args.datasets, seed=args.seed)
    print(
        f"Nominal {100 * LEVEL:g} % intervals for the difference of means (headache minus "
        f"free days), {args.datasets} datasets per cell; coverage standard error about "
        f"{100 * math.sqrt(LEVEL * (1 - LEVEL) / args.datasets):.1f} points."
    )
    print(f"{'days h/f':9}{'shape':12}{'method':22}{'coverage':>9}{'median width':>14}{'none':>6}")
    last = None
    for size, shape, method, cov, width, none in rows:
        if last is not None and (size, shape) != last:
            print()
        last = (size, shape)
        print(f"{size:9}{shape:12}{method:22}{100 * cov:8.1f}%{width:14.1f}{none:6d}")
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
