"""Reports: daily rows, CSV, self-contained HTML, and the whole path from replayed streams."""

from __future__ import annotations

import base64
import csv
import json
import re
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from pathlib import Path

import pytest

from posture_guard import cli
from posture_guard.classify import POPULATION_PROFILE
from posture_guard.diary import Diary, Headache
from posture_guard.report import CSV_COLUMNS, daily_rows, gather, render_html
from posture_guard.states import PostureState
from posture_guard.store import Span, Store

G, F, A = PostureState.GOOD, PostureState.FORWARD_HEAD, PostureState.ABSENT
D1 = date(2024, 3, 4)


def ts(d: date, hh: int, mm: int = 0) -> float:
    return datetime(d.year, d.month, d.day, hh, mm).timestamp()


def fill(store: Store) -> None:
    """Three days: a headache day, a confirmed headache-free day, a day without entry."""
    d2, d3 = D1 + timedelta(days=1), D1 + timedelta(days=2)
    store.add_spans(
        [
            Span(G, ts(D1, 9), ts(D1, 10)),
            Span(F, ts(D1, 10), ts(D1, 10, 45), cut_off=9 * 60),
            Span(A, ts(D1, 10, 45), ts(D1, 11)),
            Span(G, ts(d2, 9), ts(d2, 12), profile=POPULATION_PROFILE),
            Span(A, ts(d3, 9), ts(d3, 9, 30), cut_off=20 * 60),  # too close, read absent
            Span(F, ts(d3, 23), ts(d3, 23, 30)),
        ]
    )
    store.log_event("alert", ts(D1, 10, 20))
    store.log_event("break_taken", ts(D1, 10, 50))
    diary = Diary(store)
    diary.add(Headache(D1, 7, start=time(15, 0), medication="ibuprofen"))
    diary.check_in_none(d2)


def test_daily_rows_and_csv_match_what_went_in(store, tmp_path):
    fill(store)
    rows = daily_rows(store, D1, D1 + timedelta(days=3))
    out = tmp_path / "r.csv"
    assert (
        cli.main(
            [
                "report",
                "--from",
                "2024-03-04",
                "--to",
                "2024-03-07",
                "--csv",
                str(out),
                "--db",
                str(store.path),
            ]
        )
        == 0
    )
    with open(out, newline="") as fh:
        table = list(csv.DictReader(fh))
    assert list(table[0]) == CSV_COLUMNS
    assert [r["date"] for r in table] == ["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07"]
    assert [r["headache"] for r in table] == ["yes", "no", "unknown", "unknown"]
    first = table[0]
    assert float(first["good_min"]) == 60 and float(first["forward_head_min"]) == 45
    assert float(first["absent_min"]) == 15 and float(first["desk_min"]) == 105
    assert float(first["cut_off_min"]) == 9 and float(table[1]["cut_off_min"]) == 0
    assert float(first["cut_off_away_min"]) == 0 and float(table[2]["cut_off_away_min"]) == 20
    assert float(first["uncalibrated_min"]) == 0 and float(table[1]["uncalibrated_min"]) == 180
    assert float(first["good_share"]) == pytest.approx(60 / 105, abs=1e-4)
    assert (first["alerts"], first["breaks"], first["max_intensity"]) == ("1", "1", "7")
    assert first["acute_medication"] == "yes"
    assert table[1]["acute_medication"] == "no" and table[2]["acute_medication"] == ""
    assert float(table[2]["forward_head_min"]) == 30
    assert [r.csv_dict() for r in rows] == [
        {k: type(v)(t[k]) if v != "" else "" for k, v in r.csv_dict().items()}
        for r, t in zip(rows, table)
    ]


def test_html_is_self_contained_with_png_charts(store, tmp_path):
    fill(store)
    out = tmp_path / "r.html"
    rc = cli.main(
        [
            "report",
            "--from",
            "2024-03-04",
            "--to",
            "2024-03-07",
            "--html",
            str(out),
            "--db",
            str(store.path),
        ]
    )
    assert rc == 0
    text = out.read_text()
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    assert len(images) == 2
    for img in images:
        assert base64.b64decode(img)[:8] == b"\x89PNG\r\n\x1a\n"
    # nothing to fetch: no external URLs, scripts or stylesheets
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", text)
    assert "<script" not in text
    assert "headache days: 1" in text
    assert "unknown, not headache-free" in text
    assert "not enough data yet" in text  # 1 headache day: no association claimed


@pytest.mark.parametrize(
    "minutes",
    [
        {"good": 20, "forward_head": 20, "raised_shoulders": 20},  # 33 % each alone: 99 %
        {"good": 5, "forward_head": 10, "raised_shoulders": 15, "head_tilt": 43},  # 101 %
    ],
)
def test_html_state_shares_add_up_to_100(store, minutes):
    start, spans = ts(D1, 9), []
    for name, mins in minutes.items():
        spans.append(Span(PostureState(name), start, start + 60 * mins))
        start += 60 * mins
    spans.append(Span(A, start, start + 3600))  # away: not desk time, no share
    store.add_spans(spans)
    table = render_html(gather(store, D1, D1)).split("<table>")[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>([\w ]+)</td><td>[^<]*</td><td>(?:(\d+) %)?</td></tr>", table)
    shown = {state.replace(" ", "_"): pct for state, pct in rows}
    assert list(shown) == ["good", "forward_head", "raised_shoulders", "head_tilt", "absent"]
    assert shown.pop("absent") == ""
    assert sum(int(p) for p in shown.values()) == 100
    desk = sum(minutes.values())
    for state, pct in shown.items():  # each within a point of its exact share
        assert abs(int(pct) - Fraction(100 * minutes.get(state, 0), desk)) < 1


def test_the_page_and_the_charts_name_states_as_the_summary_does(store):
    """The summary says "forward head"; the page's state table and the legends of its
    charts, and of the therapist PDF's, said ``forward_head``, the name used in files."""
    import matplotlib.pyplot as plt

    from posture_guard import therapist
    from posture_guard.report import daily_figure

    t = ts(D1, 9)
    store.add_spans(
        [
            Span(G, t, t + 600),
            Span(F, t + 600, t + 1200),
            Span(PostureState.RAISED_SHOULDERS, t + 1200, t + 1500),
            Span(PostureState.HEAD_TILT, t + 1500, t + 1800),
        ]
    )
    names = ["good", "forward head", "raised shoulders", "head tilt", "absent"]
    table = render_html(gather(store, D1, D1)).split("<table>")[1].split("</table>")[0]
    assert re.findall(r"<tr><td>([^<]*)</td>", table) == names, "table"
    fig = daily_figure(daily_rows(store, D1, D1))
    shown = [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
    assert [n for n in shown if n != "headache"] == names
    data = therapist.gather(store, D1, D1, None)
    for draw in (therapist._draw_trend, therapist._draw_hours):
        fig = plt.figure()
        draw(fig, data)
        texts = [
            x.get_text() for ax in fig.axes if ax.get_legend() for x in ax.get_legend().get_texts()
        ]
        plt.close(fig)
        assert "forward head" in texts and "forward_head" not in texts, draw.__name__


def test_html_escapes_diary_text(store):
    # The page shows what the entry means (a headache day, medication taken), never the
    # markup typed into it: read from the diary, not left out by missing the entry.
    Diary(store).add(Headache(D1, 5, medication="<b>x</b>", note="<script>alert(1)</script>"))
    page = render_html(gather(store, D1, D1))
    assert "headache days: 1" in page
    (row,) = re.findall(rf"<tr><td>{D1}</td>.*</tr>", page)
    cells = dict(zip(CSV_COLUMNS, re.findall(r"<td>(.*?)</td>", row)))
    assert (cells["headache"], cells["max_intensity"], cells["acute_medication"]) == (
        "yes",
        "5",
        "yes",
    )
    assert "<b>" not in page and "<script" not in page


def test_report_errors_are_one_line(store, tmp_path, capsys):
    rc = cli.main(
        [
            "report",
            "--from",
            "2024-03-09",
            "--to",
            "2024-03-01",
            "--csv",
            str(tmp_path / "x.csv"),
            "--db",
            str(store.path),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "before" in err and len(err.strip().splitlines()) == 1
    rc = cli.main(["report", "--from", "2024-03-01", "--to", "2024-03-02", "--db", str(store.path)])
    assert rc == 2 and "--html" in capsys.readouterr().err


def test_a_report_never_writes_over_the_database_or_its_other_output(store, tmp_path, capsys):
    # Writing empties the file first: --csv naming the database replaced the whole log and
    # diary with a few CSV rows, and --html with --csv on one name kept only the CSV.
    from posture_guard import paths

    fill(store)
    store.close()
    db = Path(store.path)
    before = db.read_bytes()
    days = ["--from", "2024-03-04", "--to", "2024-03-06"]
    assert cli.main(["report", *days, "--db", str(db), "--csv", str(db)]) == 2
    err = capsys.readouterr().err
    assert f"is the same file as --db {db}" in err and err.count("\n") == 1
    assert db.read_bytes() == before
    both = tmp_path / "r.out"
    argv = ["report", *days, "--db", str(db), "--html", str(both), "--csv", f"{tmp_path}/./r.out"]
    assert cli.main(argv) == 2
    assert "same file as --html" in capsys.readouterr().err and not both.exists()
    # the user's own database, when no --db is given
    own = paths.database_file()
    with Store.open(own) as mine:
        fill(mine)
    before = own.read_bytes()
    assert cli.main(["report", *days, "--csv", str(own)]) == 2
    assert "same file as the database" in capsys.readouterr().err
    assert own.read_bytes() == before
    # nor, reporting on another log (--db), the user's own database or config.toml: the
    # report was written over them
    paths.config_file().write_text('[coach]\nquiet_hours = "22:00-07:00"\n', encoding="utf-8")
    for named, path in (("the database", own), ("the config file", paths.config_file())):
        before = path.read_bytes()
        for option in ("--csv", "--html"):
            assert cli.main(["report", *days, "--db", str(db), option, str(path)]) == 2
            err = capsys.readouterr().err
            assert f"{option} {path} is the same file as {named} {path}" in err, err
        argv = ["report", "--therapist", *days, "--db", str(db), "--pdf", str(path)]
        assert cli.main(argv) == 2
        assert f"--pdf {path} is the same file as {named}" in capsys.readouterr().err
        assert path.read_bytes() == before


# ---------------------------------------------------------------------- end to end
def states_seconds(path: Path, t_end: float) -> dict[str, float]:
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    out: dict[str, float] = {}
    for a, b in zip(lines, lines[1:] + [{"t": t_end}]):
        out[a["state"]] = out.get(a["state"], 0.0) + b["t"] - a["t"]
    return out


def test_replayed_days_and_diary_give_the_right_summary_csv_and_html(tmp_path, monkeypatch, capsys):
    from calibration import synth

    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path / "home"))
    db = str(tmp_path / "log.sqlite3")
    want: dict[str, dict[str, float]] = {}
    for i, seed in enumerate((1, 2, 3)):
        stream, states = tmp_path / f"s{seed}.jsonl", tmp_path / f"st{seed}.jsonl"
        synth.main(["--scene", "demo", "--seed", str(seed), "--out", str(stream)])
        day = D1 + timedelta(days=i)
        argv = ["replay", "--landmarks", str(stream), "--calibrate-seconds", "15", "--quiet"]
        argv += ["--states-out", str(states), "--db", db, "--start", f"{day}T09:00"]
        assert cli.main(argv) == 0
        t_end = json.loads(stream.read_text().splitlines()[-1])["t"]
        want[day.isoformat()] = states_seconds(states, t_end)
    assert (
        cli.main(
            [
                "headache",
                "add",
                "--date",
                "2024-03-05",
                "--start",
                "14:00",
                "--intensity",
                "6",
                "--db",
                db,
            ]
        )
        == 0
    )
    assert cli.main(["checkin", "--date", "2024-03-04", "--none", "--db", db]) == 0
    capsys.readouterr()

    for day, secs in want.items():
        assert cli.main(["summary", "--date", day, "--json", "--db", db]) == 0
        obj = json.loads(capsys.readouterr().out)
        for state, minutes in obj["state_minutes"].items():
            assert minutes == pytest.approx(secs.get(state, 0.0) / 60, abs=0.051)
        desk = sum(v for k, v in secs.items() if k != "absent")
        assert obj["good_share"] == pytest.approx(secs.get("good", 0.0) / desk, abs=1e-3)
    assert obj["headache"] == "unknown"

    out_csv, out_html = tmp_path / "r.csv", tmp_path / "r.html"
    argv = ["report", "--from", "2024-03-04", "--to", "2024-03-06", "--db", db]
    assert cli.main(argv + ["--csv", str(out_csv), "--html", str(out_html)]) == 0
    with open(out_csv, newline="") as fh:
        table = {r["date"]: r for r in csv.DictReader(fh)}
    for day, secs in want.items():
        for state in ("good", "forward_head", "raised_shoulders", "head_tilt", "absent"):
            got = float(table[day][f"{state}_min"])
            assert got == pytest.approx(secs.get(state, 0.0) / 60, abs=0.051)
    assert [table[d]["headache"] for d in sorted(table)] == ["no", "yes", "unknown"]
    html = out_html.read_text()
    assert "2024-03-05" in html and "data:image/png;base64," in html


def test_the_share_chart_neither_bridges_a_day_not_seen_nor_weighs_a_short_day_in(store, tmp_path):
    """The good-posture line ran from Monday to Wednesday through a Tuesday without any
    monitoring, as if it had a share half-way, and a day of 10 minutes at the desk (all
    good: 100 %) stood in the line like a full day; the page said neither."""
    import math
    from html.parser import HTMLParser

    days = [D1 + timedelta(days=i) for i in range(5)]
    spans = []
    for d, minutes in zip(days, (120, 0, 120, 10, 120)):
        if minutes:
            spans += [Span(G, ts(d, 9), ts(d, 9) + 60 * minutes * 3 // 4)]
            spans += [Span(F, ts(d, 9) + 60 * minutes * 3 // 4, ts(d, 9) + 60 * minutes)]
    store.add_spans(spans)
    out = tmp_path / "r.html"
    argv = ["report", "--from", f"{days[0]}", "--to", f"{days[-1]}", "--html", str(out)]
    assert cli.main(argv + ["--db", str(store.path)]) == 0

    class Paragraphs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.texts: list[str] = []
            self.inside = False

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag == "p":
                self.inside, self.texts = True, [*self.texts, ""]

        def handle_endtag(self, tag: str) -> None:
            self.inside = self.inside and tag != "p"

        def handle_data(self, data: str) -> None:
            if self.inside:
                self.texts[-1] += data

    page = Paragraphs()
    page.feed(out.read_text())
    assert page.texts[0].startswith(
        "4 of 5 days monitored (1 of them with less than 1 h at the desk: "
        "its shares rest on little time)"
    )

    from posture_guard.report import daily_figure  # the chart's figure, before its PNG

    share_axes = daily_figure(daily_rows(store, days[0], days[-1])).axes[1]
    line, hollow = share_axes.lines  # the joined line, then the short days' circles
    ys = [float(y) for y in line.get_ydata()]
    assert ys[0] == ys[2] == ys[4] == pytest.approx(75)
    assert math.isnan(ys[1]) and math.isnan(ys[3])  # no share drawn, nothing joined
    assert list(hollow.get_ydata()) == [pytest.approx(75)]
    assert hollow.get_markerfacecolor() == "none" and hollow.get_linestyle() == "None"


def test_a_report_past_today_ends_today_and_counts_no_day_to_come_as_a_gap(store, tmp_path, capsys):
    """The days after today are not recorded yet: they were rows 'not monitored' and
    'without a diary entry' (6 days, 3 of them to come, read '1 of 6 days monitored')."""
    today = date.today()
    yesterday = today - timedelta(days=1)
    store.add_spans([Span(G, ts(yesterday, 9), ts(yesterday, 11))])
    Diary(store).check_in_none(yesterday)
    html_out, csv_out = tmp_path / "r.html", tmp_path / "r.csv"
    argv = ["report", "--from", f"{today - timedelta(days=2)}", "--to"]
    argv += [f"{today + timedelta(days=3)}", "--db", str(store.path)]
    assert cli.main([*argv, "--html", str(html_out), "--csv", str(csv_out)]) == 0
    out = capsys.readouterr().out
    assert f"the report ends today, {today}; the days after it are not recorded yet" in out
    assert f"wrote {html_out} ({today - timedelta(days=2)} to {today})" in out
    with csv_out.open(newline="", encoding="utf-8") as fh:
        days = [row["date"] for row in csv.DictReader(fh)]
    assert days == [f"{today - timedelta(days=n)}" for n in (2, 1, 0)]
    page = html_out.read_text(encoding="utf-8")
    assert "1 of 3 days monitored" in page
    assert "3 days: 1 recorded, 2 without an entry" in page
    # a range wholly to come is refused in one line, and writes nothing
    tomorrow = today + timedelta(days=1)
    argv = ["report", "--from", f"{tomorrow}", "--to", f"{tomorrow}", "--db", str(store.path)]
    assert cli.main([*argv, "--csv", str(tmp_path / "later.csv")]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"posture-guard: --from {tomorrow} is after today ({today}): nothing is recorded yet\n"
    )
    assert not (tmp_path / "later.csv").exists()


def test_a_range_refused_names_only_what_the_user_typed_as_given(store, capsys, tmp_path):
    """`headache list --from` a day to come said "--to TODAY is before --from D", and
    `report --to` a far day "--from D-27 is after today": each named an option the user
    never typed as if it were their mistake."""
    today = date.today()
    later = today + timedelta(days=4)
    db = ["--db", str(store.path)]
    for argv in (["headache", "list"], ["report", "--csv", str(tmp_path / "r.csv")]):
        assert cli.main([*argv, "--from", f"{later}", *db]) == 2
        err = capsys.readouterr().err
        assert f"--to {today} (the default: --to was not given) is before --from {later}" in err
    far = today + timedelta(days=60)
    assert cli.main(["report", "--to", f"{far}", "--csv", str(tmp_path / "r.csv"), *db]) == 2
    err = capsys.readouterr().err
    assert (
        f"--from {far - timedelta(days=27)} (27 days before --to, as --from was not given)" in err
    )
    # what the user typed is named as before
    early = today - timedelta(days=4)
    assert cli.main(["headache", "list", "--from", f"{today}", "--to", f"{early}", *db]) == 2
    assert capsys.readouterr().err == f"posture-guard: --to {early} is before --from {today}\n"
    assert not (tmp_path / "r.csv").exists()


def test_a_one_day_report_counts_one_day_and_one_row(store, tmp_path, capsys):
    """A report of a single day said "wrote r.csv (1 daily rows)" and its diary line
    "(1 days: 0 recorded, 1 without an entry ...)"; the counts now agree with one."""
    store.add_spans([Span(G, ts(D1, 9), ts(D1, 10)), Span(F, ts(D1, 10), ts(D1, 10, 30))])
    out, page = tmp_path / "r.csv", tmp_path / "r.html"
    day = ["--from", D1.isoformat(), "--to", D1.isoformat(), "--db", str(store.path)]
    assert cli.main(["report", *day, "--csv", str(out), "--html", str(page)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out} (1 daily row)\n" in printed
    with open(out, newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 1
    html_text = page.read_text(encoding="utf-8")
    assert f"Diary {D1} to {D1} (1 day: 0 recorded, 1 without an entry" in html_text
    # two days are still days and rows
    assert cli.main(["report", *day[:3], "2024-03-05", *day[4:], "--csv", str(out), "--force"]) == 0
    assert f"wrote {out} (2 daily rows)\n" in capsys.readouterr().out


def test_a_one_day_page_counts_one_day_monitored(store, tmp_path):
    """The page of a one-day report said "0 of 1 days monitored" (or "1 of 1 days")."""
    page = tmp_path / "r.html"
    d2 = D1 + timedelta(days=1)
    store.add_spans([Span(G, ts(d2, 9), ts(d2, 11))])
    for first, last, said in (
        (D1, D1, "0 of 1 day monitored;"),
        (d2, d2, "1 of 1 day monitored;"),
        (D1, d2, "1 of 2 days monitored;"),
    ):
        argv = ["report", "--from", f"{first}", "--to", f"{last}", "--html", str(page)]
        assert cli.main([*argv, "--db", str(store.path), "--force"]) == 0
        assert f"<p>{said} " in page.read_text(encoding="utf-8")


def test_the_daily_chart_of_a_short_report_labels_each_day_of_it_once(store):
    """The page's daily chart of a one-day report labelled its x axis with the day before
    too, a tick every few hours ("2024-03-03" five times, then "2024-03-04" six times);
    a two-week one began with the day before the report. Now one tick per day, or every
    few days on a long range, and none outside the report's days."""
    import matplotlib.pyplot as plt

    from posture_guard.report import daily_figure

    store.add_spans([Span(G, ts(D1, 9), ts(D1, 11))])
    for n, step in ((1, 1), (2, 1), (14, 2), (90, 14)):
        days = [D1 + timedelta(days=i) for i in range(n)]
        fig = daily_figure(daily_rows(store, days[0], days[-1]))
        fig.canvas.draw()
        labels = [t.get_text() for t in fig.axes[1].get_xticklabels()]  # shared with the top
        assert labels == [f"{d}" for d in days[::step]], n
        plt.close(fig)


def test_csv_medication_of_a_long_headache_points_its_later_days_to_its_first(store, tmp_path):
    # A 48 h migraine treated on its first evening: its medication counts once, on that
    # day, but its later days read 'no' as if the headache then went untreated.
    d2, d3, d4 = (D1 + timedelta(days=i) for i in (1, 2, 3))
    diary = Diary(store)
    diary.add(Headache(D1, 8, start=time(20, 0), duration_min=48 * 60, medication="sumatriptan"))
    diary.check_in_none(d4)
    rows = {r.day: r.csv_dict()["acute_medication"] for r in daily_rows(store, D1, d4)}
    assert rows == {D1: "yes", d2: f"counted on {D1}", d3: f"counted on {D1}", d4: "no"}
    out = tmp_path / "r.csv"  # a range starting inside the headache names its first day too
    argv = ["report", "--from", str(d3), "--to", str(d4), "--csv", str(out)]
    assert cli.main([*argv, "--db", str(store.path)]) == 0
    with open(out, newline="") as fh:
        assert [r["acute_medication"] for r in csv.DictReader(fh)] == [f"counted on {D1}", "no"]


def test_csv_state_minutes_add_up_to_the_monitored_and_desk_minutes(store, tmp_path):
    """Each state rounded alone to 0.1 min: every day of `demo --db` read good 2.6,
    forward head 2.0, raised shoulders 0.7 and absent 1.0 beside 5.2 desk and 6.2
    monitored minutes, so a spreadsheet's sum of a row did not give its total."""
    start, spans = ts(D1, 9), []
    for state, secs in [("good", 636.0), ("forward_head", 153.0), ("raised_shoulders", 51.0)]:
        spans.append(Span(PostureState(state), start, start + secs))
        start += secs
    spans.append(Span(PostureState.ABSENT, start, start + 90.0))
    store.add_spans(spans)
    out = tmp_path / "r.csv"
    argv = ["report", "--from", D1.isoformat(), "--to", D1.isoformat(), "--csv", str(out)]
    assert cli.main([*argv, "--db", str(store.path)]) == 0
    with open(out, newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    desk = sum(Fraction(row[f"{s}_min"]) for s in ("good", "forward_head", "raised_shoulders"))
    desk += Fraction(row["head_tilt_min"])
    assert desk == Fraction(row["desk_min"]) == 14
    assert desk + Fraction(row["absent_min"]) == Fraction(row["monitored_min"]) == Fraction("15.5")
    assert abs(float(row["forward_head_min"]) - 2.55) < 0.1
    assert float(row["longest_forward_head_min"]) <= float(row["forward_head_min"])


def page_parts(text: str) -> tuple[dict[str, str], list[str]]:
    """The attributes of a page's html element and the alt text of each image, as a
    browser (and a screen reader) reads them."""
    from html.parser import HTMLParser

    found: tuple[dict[str, str], list[str]] = ({}, [])

    class Parts(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "html":
                found[0].update({k: v or "" for k, v in attrs})
            elif tag == "img":
                found[1].append(dict(attrs).get("alt") or "")

    Parts().feed(text)
    return found


def test_the_page_names_its_language_and_says_what_each_chart_shows(store, tmp_path):
    """The page named no language, and its charts' text was 'daily posture chart' and
    'hour of day chart': a screen reader's user heard nothing of what they showed."""
    fill(store)  # forward head 10:00-10:45 on one day, 23:00-23:30 on another
    out = tmp_path / "r.html"
    argv = ["report", "--from", "2024-03-04", "--to", "2024-03-07", "--html", str(out)]
    assert cli.main([*argv, "--db", str(store.path)]) == 0
    attrs, (daily, hours) = page_parts(out.read_text())
    assert attrs.get("lang") == "en"
    assert "each day from 2024-03-04 to 2024-03-07" in daily and "Days table" in daily
    assert "averaged over the 3 monitored days" in hours
    assert "the most forward-head time from 10:00 to 11:00 (15 min a monitored day)" in hours

    argv = ["report", "--from", "2024-02-01", "--to", "2024-02-03", "--html", str(out)]
    assert cli.main([*argv, "--db", str(store.path), "--force"]) == 0
    _, (_, hours) = page_parts(out.read_text())
    assert hours == "Chart of the hours of the day: empty, as no day of the range was monitored."


def test_the_page_says_one_short_day_in_the_singular(store, tmp_path):
    """A one-day report of a short day read "1 of 1 day monitored (1 of them with less
    than 1 h at the desk: their shares rest on little time)"."""
    d2, d3 = D1 + timedelta(days=1), D1 + timedelta(days=2)
    store.add_spans([Span(G, ts(D1, 9), ts(D1, 9, 20)), Span(G, ts(d2, 9), ts(d2, 9, 20))])
    store.add_spans([Span(G, ts(d3, 9), ts(d3, 11))])
    page = tmp_path / "r.html"
    for first, last, said in (
        (D1, D1, "1 of 1 day monitored (with less than 1 h at the desk: its shares rest"),
        (D1, d3, "3 of 3 days monitored (2 of them with less than 1 h at the desk: their "),
        (d2, d3, "2 of 2 days monitored (1 of them with less than 1 h at the desk: its "),
    ):
        argv = ["report", "--from", f"{first}", "--to", f"{last}", "--html", str(page)]
        assert cli.main([*argv, "--db", str(store.path), "--force"]) == 0
        assert f"<p>{said}" in page.read_text(encoding="utf-8")


def test_dash_writes_the_csv_or_the_page_to_standard_output_and_not_both(
    store, tmp_path, capfd, monkeypatch
):
    """`-` is standard output, as for `replay --states-out -`: the report wrote a file
    named "-" ("wrote - (3 daily rows)"). Its own lines go to standard error then, so that
    standard output holds the CSV or the page alone; both there at once are refused."""
    fill(store)
    store.close()
    monkeypatch.chdir(tmp_path)
    argv = ["report", "--from", "2024-03-04", "--to", "2024-03-06", "--db", str(store.path)]
    assert cli.main([*argv, "--csv", "-"]) == 0
    out, err = capfd.readouterr()
    assert not (tmp_path / "-").exists()
    rows = list(csv.DictReader(out.splitlines()))
    assert [r["date"] for r in rows] == ["2024-03-04", "2024-03-05", "2024-03-06"]
    assert rows[0]["headache"] == "yes" and "wrote standard output (3 daily rows)" in err
    assert cli.main([*argv, "--html", "-", "--csv", str(tmp_path / "r.csv")]) == 0
    out, err = capfd.readouterr()
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
    assert "wrote standard output (2024-03-04 to 2024-03-06)" in err and "wrote " not in out
    assert cli.main([*argv, "--html", "-", "--csv", "-"]) == 2
    out, err = capfd.readouterr()
    assert out == "" and "--html - and --csv - both name standard output" in err
    assert not (tmp_path / "-").exists()


def test_an_output_that_cannot_be_written_is_refused_before_any_is_written(store, tmp_path, capsys):
    """`--html r.html --csv FOLDER` wrote the page, said "wrote r.html", then failed on the
    CSV. Now a folder, a missing folder, a dangling link's missing folder and a link loop
    are named before anything is gathered or written, as `assess --out` names them."""
    fill(store)
    store.close()
    (tmp_path / "folder").mkdir()
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere" / "r.csv")
    page = tmp_path / "r.html"
    argv = ["report", "--from", "2024-03-04", "--to", "2024-03-06", "--db", str(store.path)]
    for csv_out, said in (
        ("folder", "is a folder; give a file name"),
        ("no/r.csv", f"the folder {tmp_path / 'no'} does not exist"),
        ("dangling", f"the folder {tmp_path / 'nowhere'} does not exist"),
        ("loop", "Too many levels of symbolic links"),
    ):
        assert cli.main([*argv, "--html", str(page), "--csv", str(tmp_path / csv_out)]) == 2
        out, err = capsys.readouterr()
        assert said in err and err.count("\n") == 1 and "wrote" not in out
        assert not page.exists()


def test_a_page_cut_short_by_a_full_disk_is_not_left_half_written(store, tmp_path):
    """A disk that filled part way left the page written so far (60 kB of a 85 kB page)
    after "cannot write"; a page written over was left incomplete, and is now kept as it
    was (the new one is written beside it, and renamed over it only when whole)."""
    from tests.cut_short import run_cut_short

    fill(store)
    store.close()
    argv = ["report", "--from", "2024-03-04", "--to", "2024-03-06", "--db", str(store.path)]
    page = tmp_path / "r.html"
    done = run_cut_short([*argv, "--html", str(page)], 40_000, tmp_path / "home")
    assert done.returncode == 2 and not page.exists(), done.stderr
    assert done.stderr == f"posture-guard: cannot write HTML report {page}: File too large\n"
    page.write_text("an earlier page")
    done = run_cut_short([*argv, "--html", str(page), "--force"], 40_000, tmp_path / "home")
    assert done.stderr.endswith(f"File too large; {page} is left as it was\n"), done.stderr
    assert page.read_text() == "an earlier page"
    assert sorted(p.name for p in tmp_path.iterdir() if "r.html" in p.name) == ["r.html"]
