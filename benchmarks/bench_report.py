"""A year of posture spans and a diary, summarized and reported: prints the seconds taken.

Target (issue 5): under 2 s on a 2-core machine for a year of 8-hour days.

    python -m benchmarks.bench_report [--days 365] [--keep DIR]

Builds a fresh database in a temporary folder (8 h of spans a day with a state change
every 20 s to 3 min, a few coach events a day, a diary with check-ins), then times the
three things a user waits for: `summary` of one day, the CSV of daily rows, and the full
HTML report (daily rows, diary summary, association with resampling, two charts).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Optional

import numpy as np

from calibration.cli_args import positive_int
from posture_guard.diary import Diary, Headache
from posture_guard.report import daily_rows, gather, write_csv, write_html
from posture_guard.states import PostureState
from posture_guard.store import Span, Store
from posture_guard.summary import summarize_day

STATES = [s for s in PostureState]
WEIGHTS = [0.55, 0.2, 0.08, 0.07, 0.1]


def build(path: Path, first: date, n_days: int, seed: int = 0) -> int:
    """Fill a database with ``n_days`` of synthetic spans, events and diary; return spans."""
    rng = np.random.default_rng(seed)
    store = Store.open(path)
    diary = Diary(
        store, now=lambda: datetime.combine(first + timedelta(days=n_days), datetime.min.time())
    )
    n_spans = 0
    for i in range(n_days):
        d = first + timedelta(days=i)
        t = datetime(d.year, d.month, d.day, 9).timestamp()
        end = t + 8 * 3600
        spans = []
        while t < end:
            dur = float(rng.uniform(20, 180))
            state = STATES[int(rng.choice(len(STATES), p=WEIGHTS))]
            spans.append(Span(state, t, min(t + dur, end), "default", int(dur)))
            t += dur
        store.add_spans(spans)
        n_spans += len(spans)
        for k in range(4):
            store.log_event("alert", spans[k * 10].start, {"state": "forward_head"})
        store.log_event("break_taken", spans[5].start)
        if rng.random() < 0.25:
            diary.add(
                Headache(d, int(rng.integers(2, 9)), start=datetime.min.time().replace(hour=14))
            )
        elif rng.random() < 0.8:
            diary.check_in_none(d)
    store.close()
    return n_spans


def main(argv: Optional[Sequence[str]] = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_report", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--days", type=positive_int, default=365)
    ap.add_argument("--keep", help="build the database in this folder and keep it")
    args = ap.parse_args(argv)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="pg-bench-"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        ap.error(f"--keep {args.keep}: cannot make that folder: {err.strerror}")
    db = folder / "bench.sqlite3"
    if db.exists():
        db.unlink()
    first = date(2023, 1, 2)
    last = first + timedelta(days=args.days - 1)
    t0 = time.perf_counter()
    n = build(db, first, args.days)
    print(f"built {args.days} days, {n} spans in {time.perf_counter() - t0:.2f} s (not timed)")

    store = Store.open(db)
    t0 = time.perf_counter()
    summarize_day(store, last)
    t_summary = time.perf_counter() - t0

    t0 = time.perf_counter()
    write_csv(daily_rows(store, first, last), folder / "year.csv")
    t_csv = time.perf_counter() - t0

    t0 = time.perf_counter()
    write_html(gather(store, first, last), folder / "year.html")
    t_html = time.perf_counter() - t0
    store.close()
    print(f"summary of one day:        {t_summary:.3f} s")
    print(f"CSV of {args.days} daily rows:    {t_csv:.3f} s")
    print(f"HTML report of {args.days} days:  {t_html:.3f} s")
    total = t_summary + t_csv + t_html
    print(f"total:                     {total:.3f} s  (target: under 2 s)")
    print(f"files in {folder}")


if __name__ == "__main__":
    main()
