"""Reports over a date range: a self-contained HTML page with charts, and daily CSV rows.

Why self-contained: the page must open offline in any browser and be mailable to a
therapist, so the charts are PNGs rendered with matplotlib's Agg backend (no display
needed) and embedded as base64 data URIs; no script, stylesheet or font is fetched.

:func:`daily_rows` is the one place where a day's numbers (posture minutes, coach
counts, diary status) are put together, so the CSV, the HTML and a later therapist PDF
cannot disagree.
"""

from __future__ import annotations

import argparse
import base64
import csv
import html
import io
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Optional, TextIO, Union

from . import paths
from .association import HOW_SURE, MIN_DESK_HOURS, Result, analyse, collect_days
from .diary import ClinicalSummary, Diary, DiaryDay, clinical_summary
from .errors import UserError
from .states import PostureState
from .store import Store
from .summary import (
    PRESENT_STATES,
    STATES,
    DaySummary,
    Piece,
    counted,
    day_pieces,
    fmt_part_minutes,
    fmt_shown_minutes,
    hour_of_day,
    state_label,
    summarize_range,
    whole_minutes,
    whole_percents,
)

STATE_COLORS = {
    "good": "#4c9a2a",
    "forward_head": "#d1495b",
    "raised_shoulders": "#edae49",
    "head_tilt": "#8e6cbf",
    "absent": "#c8c8c8",
}
HEADACHE_COLOR = "#b00020"


@dataclass(frozen=True)
class DailyRow:
    """One local day: posture summary plus what the diary says about it."""

    posture: DaySummary
    diary: DiaryDay

    @property
    def day(self) -> date:
        return self.posture.day

    def csv_dict(self) -> dict[str, Any]:
        p, d = self.posture, self.diary
        share = p.good_share
        row: dict[str, Any] = {
            "date": p.day.isoformat(),
            "monitored_min": round(p.monitored_s / 60, 1),
            "desk_min": round(p.desk_s / 60, 1),
        }
        # the states add up to the monitored and desk minutes, as in `summary --json`
        minutes = p.state_minutes()
        row.update({f"{s}_min": minutes[s] for s in STATES})
        row.update(
            {
                "good_share": "" if share is None else round(share, 4),
                "longest_forward_head_min": p.longest_forward_head_minutes(
                    minutes[PostureState.FORWARD_HEAD.value]
                ),
                "alerts": p.alerts,
                "breaks": p.breaks,
                "exercises_done": p.exercises_done,
                "cut_off_min": round(p.cut_off_s / 60, 1),
                "cut_off_away_min": round(p.cut_off_away_s / 60, 1),
                "uncalibrated_min": round(p.uncalibrated_s / 60, 1),
                "headache": {"headache": "yes", "none": "no"}.get(d.status, "unknown"),
                "max_intensity": "" if d.max_intensity is None else d.max_intensity,
                "acute_medication": _medication_cell(d),
            }
        )
        return row


def _medication_cell(d: DiaryDay) -> str:
    """'yes' when a headache begun on the day was treated; on a later day of a treated
    headache begun before, 'counted on DAY' (its medication counts once, on that day, so
    summing the 'yes' rows gives the medication days); 'no' for a day known to the diary
    without any; empty when the diary says nothing of the day."""
    if d.medication:
        return "yes"
    counted_on = d.medication_counted_on
    if counted_on is not None:
        return f"counted on {counted_on.isoformat()}"
    return "no" if d.status != "unknown" else ""


CSV_COLUMNS = list(
    DailyRow(DaySummary(date(2000, 1, 1)), DiaryDay(date(2000, 1, 1), "unknown")).csv_dict()
)


@dataclass
class ReportData:
    """Everything a report shows for a range, computed once."""

    first: date
    last: date
    rows: list[DailyRow]
    hours: dict[str, list[float]]
    diary: ClinicalSummary
    association: Result


def daily_rows(
    store: Store, first: date, last: date, pieces: Optional[dict[date, list[Piece]]] = None
) -> list[DailyRow]:
    """Daily rows for ``first``..``last`` inclusive (reusable by any report format)."""
    if pieces is None:
        pieces = day_pieces(store, first, last)
    summaries = summarize_range(store, first, last, pieces)
    diary_days = Diary(store).days(first, last)
    return [DailyRow(s, diary_days[s.day]) for s in summaries]


def gather(store: Store, first: date, last: date, seed: int = 0) -> ReportData:
    if last < first:
        raise UserError(f"--to {last} is before --from {first}")
    pieces = day_pieces(store, first, last)
    rows = daily_rows(store, first, last, pieces)
    days = collect_days(store, first, last, pieces, {r.day: r.diary for r in rows})
    return ReportData(
        first,
        last,
        rows,
        hour_of_day(pieces),
        clinical_summary({r.day: r.diary for r in rows}),
        analyse(days, seed=seed),
    )


# ---------------------------------------------------------------------- CSV
def write_csv(rows: Sequence[DailyRow], path: Union[str, Path]) -> None:
    """One row per day; ``-`` is standard output (see :func:`paths.open_output`)."""
    with paths.open_output(path, "--csv", "CSV", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow(r.csv_dict())


# ---------------------------------------------------------------------- charts
def legend(ax: Any, **kwargs: Any) -> None:
    """A legend for ``ax`` when it has labelled lines or bars: a chart of days without
    data has none, and matplotlib would warn on the user's terminal about it. A state
    named in it reads as the summary says it (:func:`state_label`): the page's charts and
    the therapist PDF's, which all come here, said ``forward_head``."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        shown = [state_label(name) if name in STATES else name for name in labels]
        ax.legend(handles, shown, **kwargs)


#: At most this many labelled days on a chart's x axis; a longer range labels every 2nd,
#: 3rd, 7th, ... day (about as matplotlib thinned them).
MAX_DAY_TICKS = 10
_DAY_TICK_STEPS = (1, 2, 3, 7, 14, 28)


def day_axis(ax: Any, first: date, last: date, fmt: str) -> None:
    """Put the days ``first``..``last`` on a chart's x axis (bars and points drawn at each
    day's midnight), one tick per day, or every few days on a long range, each labelled
    ``fmt``. Why not matplotlib's own date ticks: on a range of a day or two it put a tick
    every few hours, each labelled with its date, so a report of 12-01 alone read
    "11-30 11-30 11-30 11-30 12-01 ...", naming a day outside the report; longer ranges
    had a first tick on the day before too. The axis spans the whole range, half a day
    either side, not only the days with something drawn."""
    import matplotlib.dates as mdates

    n = (last - first).days + 1
    step = next(
        (s for s in _DAY_TICK_STEPS if math.ceil(n / s) <= MAX_DAY_TICKS),
        math.ceil(n / MAX_DAY_TICKS),
    )
    start = datetime.combine(first, datetime.min.time())
    half = timedelta(hours=12)
    ax.set_xlim(start - half, start + timedelta(days=n - 1) + half)
    ax.set_xticks([start + timedelta(days=i) for i in range(0, n, step)])
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def use_matplotlib() -> Any:
    """matplotlib on its Agg backend (no display), its settings and font cache kept in
    posture_guard's cache folder (:func:`paths.matplotlib_folder`), the font cache it
    writes there made private as every file of that folder is (matplotlib writes it as
    the umask says, 0644)."""
    folder = paths.matplotlib_folder()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.font_manager  # noqa: F401  (writes the font cache if there is none)

    if folder is not None:
        paths.tighten(folder)
    return matplotlib


def chart_daily(rows: Sequence[DailyRow]) -> str:
    """Stacked hours per state per day, and the good-posture share, headache days marked."""
    return _png(daily_figure(rows))


def daily_figure(rows: Sequence[DailyRow]) -> Any:
    """The figure of :func:`chart_daily` (a matplotlib Figure), to be rendered or read.

    Why the share line is broken: a line drawn from one day to the next through a day
    without desk time showed a share for a day that was never seen, and a day of a few
    minutes at the desk (a share of 0 or 100 % from one stretch) weighed in the line as
    much as a full day. The line joins only consecutive days with at least
    :data:`~posture_guard.association.MIN_DESK_HOURS` at the desk (the analysis of
    headaches leaves shorter days out too); a shorter day is a hollow circle of its own.
    """
    use_matplotlib()
    import matplotlib.pyplot as plt

    days = [datetime.combine(r.day, datetime.min.time()) for r in rows]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, height_ratios=[3, 2])
    bottom = [0.0] * len(rows)
    for s in STATES:
        vals = [r.posture.state_seconds[s] / 3600 for r in rows]
        top_s = [b + v for b, v in zip(bottom, vals)]
        if len(rows) <= 62:
            ax1.bar(days, vals, bottom=bottom, color=STATE_COLORS[s], width=0.8, label=s, lw=0)
        else:  # hundreds of bars are slow to draw: filled steps look the same at that scale
            ax1.fill_between(days, bottom, top_s, step="mid", color=STATE_COLORS[s], label=s, lw=0)
        bottom = top_s
    ax1.set_ylabel("hours")
    ax1.set_title("Time per posture state each day")
    head = [d for d, r in zip(days, rows) if r.diary.status == "headache"]
    top = max(bottom + [1.0])
    ax1.scatter(head, [top * 1.05] * len(head), marker="v", color=HEADACHE_COLOR, label="headache")
    ax1.set_ylim(0, top * 1.35)  # room above the bars for the markers and the legend
    legend(ax1, loc="upper left", fontsize=7, ncol=6)
    full: list[float] = []  # NaN breaks the line: no share, or one from too little time
    short: list[tuple[datetime, float]] = []
    for d, r in zip(days, rows):
        share = r.posture.good_share
        enough = not r.posture.little_desk_time
        full.append(100 * share if share is not None and enough else math.nan)
        if share is not None and not enough:
            short.append((d, 100 * share))
    green = STATE_COLORS["good"]
    if any(not math.isnan(v) for v in full):
        ax2.plot(days, full, "o-", color=green, lw=1, ms=4)
    if short:
        ax2.plot(
            [p[0] for p in short],
            [p[1] for p in short],
            "o",
            color=green,
            mfc="none",
            ms=5,
            ls="none",
            label=f"under {MIN_DESK_HOURS:g} h at the desk (little to go on)",
        )
        legend(ax2, loc="lower left", fontsize=7)
    for d in head:
        ax2.axvline(d, color=HEADACHE_COLOR, alpha=0.25, lw=2)
    ax2.set_ylim(0, 100)
    ax2.set_ylabel("good posture, % of desk time")
    ax2.set_title(
        "Good-posture share (red lines: headache days; no line across a day not monitored)"
    )
    if rows:
        day_axis(ax2, rows[0].day, rows[-1].day, "%Y-%m-%d")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def chart_hours(hours: dict[str, list[float]], n_days: int) -> str:
    """Average minutes per state in each hour of the day (over monitored days)."""
    use_matplotlib()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.2))
    bottom = [0.0] * 24
    for s in STATES:
        vals = [v / 60 / max(n_days, 1) for v in hours[s]]
        ax.bar(range(24), vals, bottom=bottom, color=STATE_COLORS[s], label=s, width=0.85)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("hour of day")
    ax.set_ylabel("minutes per monitored day")
    ax.set_title("Hour-of-day pattern")
    ax.set_ylim(0, max(bottom + [1.0]) * 1.3)
    legend(ax, loc="upper left", fontsize=7, ncol=5)
    fig.tight_layout()
    return _png(fig)


# ---------------------------------------------------------------------- HTML
_CSS = """
body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px}
th{background:#eee}img{max-width:100%}.note{color:#555;font-size:90%}
.early{background:#fff6d5;padding:.5em}.claim{background:#e8f3ff;padding:.5em}
"""


def daily_alt_text(first: date, last: date) -> str:
    """The daily chart's text for those who cannot see it: what it shows and where its
    numbers are (it was "daily posture chart", which told a screen reader's user nothing
    of what the picture held)."""
    return (
        f"Chart of each day from {first} to {last}: hours in each posture state (good, "
        "forward head, raised shoulders, head tilt, absent) stacked, headache days marked, "
        "and below it the good-posture share of desk time; the Days table below gives "
        "the same numbers."
    )


def hours_alt_text(hours: dict[str, list[float]], n_days: int) -> str:
    """The hour-of-day chart's text for those who cannot see it: what it shows and, as its
    numbers are in no table, the clock hour with the most forward-head time (it was
    "hour of day chart")."""
    if n_days == 0:
        return "Chart of the hours of the day: empty, as no day of the range was monitored."
    text = (
        "Chart of the hours of the day: minutes in each posture state in each clock hour, "
        f"averaged over the {counted(n_days, 'monitored day')}"
    )
    forward = hours[PostureState.FORWARD_HEAD.value]
    most = max(range(24), key=lambda h: forward[h])  # the earliest of equal hours
    if forward[most] > 0:
        per_day = fmt_part_minutes(forward[most] / max(n_days, 1))
        text += (
            f"; the most forward-head time from {most:02d}:00 to {(most + 1) % 24:02d}:00 "
            f"({per_day} a monitored day)"
        )
    return text + "."


def render_html(data: ReportData) -> str:
    rows = data.rows
    esc = html.escape
    monitored_days = sum(1 for r in rows if r.posture.monitored_s > 0)
    # days whose shares rest on little time: said, not left for the chart to hide
    short_days = sum(1 for r in rows if r.posture.little_desk_time)
    under = f"less than {MIN_DESK_HOURS:g} h at the desk"
    short = ""
    if short_days == monitored_days == 1:  # "1 of 1 day monitored (1 of them ..." read oddly
        short = f" (with {under}: its shares rest on little time)"
    elif short_days:
        whose = "its shares rest" if short_days == 1 else "their shares rest"
        short = f" ({short_days} of them with {under}: {whose} on little time)"
    total = {s: sum(r.posture.state_seconds[s] for r in rows) for s in STATES}
    desk = sum(r.posture.desk_s for r in rows)
    parts = [
        # the language, so that a screen reader reads the page in English
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>posture_guard report {data.first} to {data.last}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Posture and headaches, {data.first} to {data.last}</h1>",
        f"<p>{monitored_days} of {counted(len(rows), 'day')} monitored{short}; "
        f"{esc(fmt_part_minutes(desk))} at the desk in total.</p>",
        "<table><tr><th>state</th><th>time</th><th>share of desk time</th></tr>",
    ]
    # shares of desk time, rounded together so that the column adds up to 100 %
    percent: dict[str, int] = {}
    if desk > 0:
        percent = dict(zip(PRESENT_STATES, whole_percents([total[s] for s in PRESENT_STATES])))
    shown = whole_minutes(total)  # adding up to the desk total above
    for s in STATES:
        share = f"{percent[s]} %" if s in percent else ""
        time_text = esc(fmt_shown_minutes(shown[s], total[s]))
        name = esc(state_label(s))  # as the summary names it: "forward head"
        parts.append(f"<tr><td>{name}</td><td>{time_text}</td><td>{share}</td></tr>")
    parts.append("</table>")
    if rows:
        daily_alt = esc(daily_alt_text(data.first, data.last), quote=True)
        parts.append(f"<img alt='{daily_alt}' src='data:image/png;base64,{chart_daily(rows)}'>")
        hours_alt = esc(hours_alt_text(data.hours, monitored_days), quote=True)
        parts.append(
            f"<img alt='{hours_alt}' "
            f"src='data:image/png;base64,{chart_hours(data.hours, monitored_days)}'>"
        )
    parts.append("<h2>Headache diary</h2><ul>")
    parts += [f"<li>{esc(line.strip())}</li>" for line in data.diary.lines()]
    parts.append("</ul>")
    res = data.association
    parts.append("<h2>Does posture go with headaches?</h2>")
    parts.append(
        f"<p class='note'>Exposure: forward-head minutes per monitored desk hour; days with "
        f"less than {res.min_desk_hours:g} h monitored at the desk are excluded. "
        "Days without a diary entry are unknown and left out.</p>"
    )
    for c, text in zip(res.comparisons, res.sentences):
        cls = "claim" if res.claimed.get(c.lag) else ("early" if not c.mature else "")
        parts.append(f"<p class='{cls}'>{esc(text)}</p>")
    parts += [
        f"<p class='{'note' if t == HOW_SURE else 'early'}'>{esc(t)}</p>"
        for t in res.sentences[len(res.comparisons) :]
    ]
    parts.append("<h2>Days</h2><table><tr>")
    parts += [f"<th>{esc(c)}</th>" for c in CSV_COLUMNS]
    parts.append("</tr>")
    for r in rows:
        d = r.csv_dict()
        parts.append("<tr>" + "".join(f"<td>{esc(str(d[c]))}</td>" for c in CSV_COLUMNS) + "</tr>")
    parts.append(
        "</table><p class='note'>Made offline by posture_guard from posture numbers; "
        "no camera image was ever stored.</p></body></html>"
    )
    return "\n".join(parts)


def write_html(data: ReportData, path: Union[str, Path]) -> None:
    """The page; ``-`` is standard output (see :func:`paths.open_output`)."""
    text = render_html(data)
    with paths.open_output(path, "--html", "HTML report") as fh:
        fh.write(text)


def refuse_overwriting_inputs(
    outputs: dict[str, Optional[str]], inputs: dict[str, Optional[Union[str, Path]]]
) -> None:
    """Stop before any report file is written if one names an input or another output.

    Writing a report empties its file first: ``--csv`` naming the database replaced the
    whole posture log and diary with a few rows of CSV, ``--pdf`` naming ``--plan`` the
    therapist's plan, and ``--html`` and ``--csv`` naming one file kept only the CSV,
    while both were reported as written. ``outputs`` and ``inputs`` map an option (or
    what the input is) to its path; None is an option not given.
    Standard output (``-``, /dev/stdout) takes one of them: two there would run into one
    another, and it may not go to an input (``>> posture.sqlite3``). Nor may a report
    name the user's own database, active plan or config.toml while it reads another
    (``--db``): it was written over them (:func:`paths.own_files`)."""
    named = {**paths.own_files(), **inputs}
    seen: dict[str, Union[str, Path]] = {name: path for name, path in named.items() if path}
    to_stdout = [f"{o} {p}" for o, p in outputs.items() if p and paths.is_standard_output(p, o)]
    if len(to_stdout) > 1:
        raise UserError(
            f"{' and '.join(to_stdout)} both name standard output, which holds one file; "
            "name a file for one of them"
        )
    for option, path in outputs.items():
        if path and paths.is_standard_output(path, option):
            where = next((f"{k} {v}" for k, v in seen.items() if paths.is_stdout(str(v))), None)
            if where is not None:
                raise UserError(
                    f"{option} {path} is standard output, which goes to {where}: the report "
                    "would be written into it; send standard output elsewhere"
                )
        elif path:
            paths.refuse_same_file(path, option, seen)
            seen[option] = path


def check_outputs(outputs: dict[str, Optional[str]], force: bool = False) -> None:
    """Each report file given can be written (:func:`paths.check_output`), checked before
    the report is gathered: one that could not stopped the command after another was
    written and said to be. An existing file is kept unless ``force``, as ``record``,
    ``assess --out`` and ``plan new`` keep theirs: a report sent to a therapist, or the
    baseline weeks' one kept to compare, was replaced without a word by a report of
    other dates given the same name (a device such as /dev/null, and standard output,
    are written to as before)."""
    for option, path in outputs.items():
        if not path:
            continue
        paths.check_output(path, option)
        if not force and not paths.is_standard_output(path, option) and Path(path).is_file():
            raise UserError(f"{option} {path} already exists; choose another name or add --force")


def shown(path: str) -> str:
    """An output's name in "wrote ...": ``-`` is standard output, not a file "-"."""
    return "standard output" if path == paths.STANDARD_OUTPUT else path


def own_lines(outputs: Sequence[Optional[str]]) -> TextIO:
    """Where a report command prints its own lines ("wrote ..."): standard error while a
    report goes to standard output, which then holds the report alone (they were written
    into the CSV, or over the start of the page)."""
    if any(p and paths.is_standard_output(p, "") for p in outputs):
        return sys.stderr
    return sys.stdout


def cmd_report(args: argparse.Namespace) -> int:
    """``posture-guard report --from D --to D (--html F | --csv F)``."""
    from .dates import end_by_today, parse_day, refuse_after_today, refuse_reversed
    from .store import open_for_reading

    last = parse_day(args.to, "--to")
    first = parse_day(args.from_, "--from") if args.from_ else last - timedelta(days=27)
    refuse_reversed(first, last, args.from_ is not None, args.to is not None)
    if not (args.html or args.csv):
        raise UserError("say where to write the report: --html FILE and/or --csv FILE")
    # a day yet to come is neither "not monitored" nor "without a diary entry": counted
    # as both, it made a range past today read as gaps in the patient's record
    given = "" if args.from_ else " (27 days before --to, as --from was not given)"
    refuse_after_today(first, "--from", given)
    last, ends_today = end_by_today(last)
    db = getattr(args, "db", None)
    refuse_overwriting_inputs(
        {"--html": args.html, "--csv": args.csv},
        {"--db" if db else "the database": db or paths.database_file()},
    )
    check_outputs({"--html": args.html, "--csv": args.csv}, args.force)
    note = own_lines([args.html, args.csv])
    store = open_for_reading(getattr(args, "db", None))
    if ends_today:
        print(ends_today, file=note)
    try:
        if args.html:
            data = gather(store, first, last, seed=args.seed)
            write_html(data, args.html)
            rows = data.rows
            print(f"wrote {shown(args.html)} ({first} to {last})", file=note)
            for text in data.association.sentences:
                print(f"  {text}", file=note)
        else:
            rows = daily_rows(store, first, last)
        if args.csv:
            write_csv(rows, args.csv)
            print(f"wrote {shown(args.csv)} ({counted(len(rows), 'daily row')})", file=note)
    finally:
        store.close()
    return 0
