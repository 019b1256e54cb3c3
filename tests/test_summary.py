"""Daily summaries: local-day splitting, the numbers people read, text and JSON output."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture_guard import cli
from posture_guard.classify import POPULATION_PROFILE
from posture_guard.states import PostureState
from posture_guard.store import MIGRATIONS, Span
from posture_guard.summary import (
    STATES,
    DaySummary,
    day_pieces,
    day_start,
    hour_of_day,
    longest_run,
    split_by_day,
    summarize_day,
    summarize_range,
    whole_percents,
)

G, F, R, T, A = (
    PostureState.GOOD,
    PostureState.FORWARD_HEAD,
    PostureState.RAISED_SHOULDERS,
    PostureState.HEAD_TILT,
    PostureState.ABSENT,
)
DAY = date(2024, 3, 4)


def at(hh: int, mm: int = 0, d: date = DAY) -> float:
    return datetime(d.year, d.month, d.day, hh, mm).timestamp()


def test_span_crossing_midnight_is_split_across_the_two_days(store):
    store.add_spans([Span(F, at(23, 30), at(0, 45, DAY + timedelta(days=1)))])
    first, second = summarize_range(store, DAY, DAY + timedelta(days=1))
    assert first.state_seconds["forward_head"] == 30 * 60
    assert second.state_seconds["forward_head"] == 45 * 60
    assert first.longest_forward_head_s == 30 * 60


def test_time_cut_off_by_the_frame_edge_is_counted_per_day_and_not_as_seen(store):
    # 20 min cut off in a span of 75 min that crosses midnight: shared 30:45 in proportion
    store.add_spans([
        Span(G, at(9), at(10), cut_off=6 * 60),
        Span(A, at(10), at(10, 5), cut_off=5 * 60),  # read absent: not desk time, left out
        Span(G, at(23, 30), at(0, 45, DAY + timedelta(days=1)), cut_off=20 * 60),
    ])  # fmt: skip
    first, second = summarize_range(store, DAY, DAY + timedelta(days=1))
    assert first.cut_off_s == pytest.approx(6 * 60 + 8 * 60)
    assert second.cut_off_s == pytest.approx(12 * 60)
    assert first.cut_off_share == pytest.approx(14 / 90)
    assert first.cut_off_away_s == pytest.approx(5 * 60) and second.cut_off_away_s == 0.0
    assert first.state_seconds["good"] == 90 * 60  # the held state still counts as its state


def test_the_summary_says_how_long_posture_was_not_judged_and_advises_only_when_often(
    store, capsys
):
    day2 = DAY + timedelta(days=1)
    store.add_spans([
        Span(G, at(9), at(11), cut_off=5 * 60),  # 4 % of desk time: said, no advice
        Span(G, at(9, d=day2), at(11, d=day2), cut_off=6 * 60),  # 5 %: advice
    ])  # fmt: skip
    said = {}
    for d in (DAY, day2, DAY - timedelta(days=1)):
        assert cli.main(["summary", "--date", d.isoformat(), "--db", str(store.path)]) == 0
        said[d] = capsys.readouterr().out
    line = "of which not judged (cut off by the frame edge)"
    assert line in said[DAY] and "5 min  (4 % of desk time)" in said[DAY]
    assert "note:" not in said[DAY]
    assert line in said[day2] and "6 min  (5 % of desk time)" in said[day2]
    assert "often out of the picture" in said[day2] and "further back" in said[day2]
    assert line not in said[DAY - timedelta(days=1)]  # nothing cut off: nothing said


def test_a_user_too_close_to_be_measured_all_day_is_not_an_empty_desk(store, capsys):
    # Sat down too close: every span reads absent, with the frame edge cutting someone
    # off for 2 h of it. There is no desk time, yet the summary says what happened and
    # gives the advice; an empty desk (absent, nothing cut off) gets neither.
    day2 = DAY + timedelta(days=1)
    store.add_spans([
        Span(A, at(9), at(12), cut_off=2 * 3600),
        Span(A, at(9, d=day2), at(12, d=day2)),
    ])  # fmt: skip
    (s,) = summarize_range(store, DAY, DAY)
    assert s.desk_s == 0 and s.cut_off_share is None
    assert s.edge_share == pytest.approx(1.0) and s.advise_camera_back
    said = {}
    for d in (DAY, day2):
        assert cli.main(["summary", "--date", d.isoformat(), "--db", str(store.path)]) == 0
        said[d] = capsys.readouterr().out
    row = re.search(r"of which cut off by the edge\s+(.+)", said[DAY])
    assert row is not None and row.group(1).strip() == "2 h 00 min"
    assert "often out of the picture" in said[DAY]
    assert "cut off" not in said[day2] and "note:" not in said[day2]
    # Cut off within desk time and while read absent add up, over the time in the picture.
    mixed = DaySummary(DAY, cut_off_s=60.0, cut_off_away_s=300.0)
    mixed.state_seconds.update(good=3600.0, absent=600.0)
    assert mixed.edge_share == pytest.approx(360 / 3900)


def test_the_summary_says_how_much_desk_time_went_without_calibration(store, capsys):
    # Population defaults miss most forward heads (python -m calibration.evaluate), so a
    # day judged partly without a profile says how much, and at 5 % what to do.
    day2 = DAY + timedelta(days=1)
    bare = POPULATION_PROFILE
    store.add_spans([
        Span(G, at(9), at(10, 55)),
        Span(G, at(10, 55), at(11), profile=bare),  # 5 of 120 desk min: said, no advice
        Span(A, at(11), at(12), profile=bare),  # nobody there: not desk time
        Span(G, at(9, d=day2), at(10, d=day2), profile=bare),
        Span(F, at(10, d=day2), at(11, d=day2), profile="work"),
        Span(G, at(23, 30, d=day2), at(0, 30, day2 + timedelta(days=1)), profile=bare),
    ])  # fmt: skip
    first, second = summarize_range(store, DAY, day2)
    assert first.uncalibrated_s == 5 * 60 and first.uncalibrated_share == pytest.approx(5 / 120)
    assert not first.advise_calibrate
    assert second.uncalibrated_s == 90 * 60  # the span across midnight: its 30 min today
    assert second.advise_calibrate
    said = {}
    for d in (DAY, day2):
        assert cli.main(["summary", "--date", d.isoformat(), "--db", str(store.path)]) == 0
        said[d] = capsys.readouterr().out
    assert "judged without calibration" in said[DAY] and "5 min  (4 % of desk time)" in said[DAY]
    assert "note:" not in said[DAY]
    assert "1 h 30 min  (60 % of desk time)" in said[day2]
    assert "most forward-head postures go unseen" in said[day2]
    assert "posture-guard calibrate" in said[day2]
    assert "part of this day was judged without" in said[day2]


def test_a_day_judged_wholly_without_calibration_is_not_called_part_of_it(store, capsys):
    # A user who never calibrated read "part of this day was judged without a calibration"
    # beside "(100 % of desk time)".
    bare = POPULATION_PROFILE
    store.add_spans([
        Span(G, at(9), at(10), profile=bare),
        Span(F, at(10), at(10, 30), profile=bare),
        Span(A, at(10, 30), at(11)),  # nobody there: not desk time
    ])  # fmt: skip
    assert cli.main(["summary", "--date", DAY.isoformat(), "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "1 h 30 min  (100 % of desk time)" in out
    assert "this whole day was judged without a calibration of your own" in out
    assert "part of this day" not in out


def test_day_numbers_match_the_spans_and_events_that_went_in(store):
    store.add_spans(
        [
            Span(G, at(9), at(9, 40)),
            Span(F, at(9, 40), at(10, 0)),
            Span(F, at(10, 0), at(10, 15)),  # touching: one 35-minute stretch
            Span(G, at(10, 15), at(11)),
            Span(A, at(11), at(11, 30)),
            Span(F, at(13), at(13, 50)),  # after a gap: a separate, longer stretch
            Span(R, at(13, 50), at(14)),
        ]
    )
    for kind, minute in [("alert", 5), ("alert", 50), ("break_taken", 10)]:
        store.log_event(kind, at(10, minute))
    # a done names its exercise (the Done button's and `done`'s alike), as adherence counts it
    store.log_event("exercise_done", at(10, 20), {"exercise": "chin_tuck", "via": "cli"})
    store.log_event("snooze", at(10, 30))
    store.log_event("alert", at(9, 0, DAY + timedelta(days=1)))  # next day: not counted
    s = summarize_day(store, DAY)
    assert s.state_seconds == {
        "good": 85 * 60.0,
        "forward_head": 85 * 60.0,
        "raised_shoulders": 10 * 60.0,
        "head_tilt": 0.0,
        "absent": 30 * 60.0,
    }
    assert s.monitored_s == 210 * 60
    assert s.desk_s == 180 * 60
    assert s.good_share == pytest.approx(85 / 180)
    assert s.longest_forward_head_s == 50 * 60
    assert (s.alerts, s.breaks, s.exercises_done) == (2, 1, 1)


def test_alerts_the_first_versions_logged_as_alert_fired_are_counted(tmp_path, capsys):
    """The coach's first versions (f21c1a9 to 67083e4) logged a posture alert under the
    kind 'alert_fired', in a schema-2 database: such a day read "alerts 0"."""
    db = tmp_path / "old.sqlite3"
    con = sqlite3.connect(db)
    for script in MIGRATIONS[:2]:  # the schema those versions made (released, never edited)
        con.executescript(script)
    con.execute(
        "INSERT INTO spans(profile, state, start, end, samples, metrics, source) "
        "VALUES ('replay', 'forward_head', ?, ?, 40, '{}', 'demo')",
        (at(10), at(10, 5)),
    )
    payload = '{"bad_share": 0.7, "fault": "forward_head", "prompt": 1, "window_s": 90.0}'
    con.execute("INSERT INTO events(at, kind, payload) VALUES (?, 'alert_fired', ?)",
                (at(10, 2), payload))  # fmt: skip
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    assert cli.main(["summary", "--date", DAY.isoformat(), "--json", "--db", str(db)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["alerts"] == 1 and obj["state_minutes"]["forward_head"] == 5.0


def test_time_logged_twice_by_an_earlier_version_is_counted_once(store):
    """After the clock was set back 20 min at 10:00, an earlier version logged 09:40-10:00
    again (the new session's time): the summary said 105 min monitored between 09:00 and
    10:20, 80 min of clock time, and a forward-head stretch longer than the time it took."""
    store.add_spans([
        Span(F, at(9), at(10)),  # the session before the clock was set back
        Span(F, at(9, 40), at(10, 10)),  # the next session, from 09:40 by the new time
        Span(G, at(10, 10), at(10, 20), profile=POPULATION_PROFILE),
        Span(G, at(10, 15), at(10, 20), profile=POPULATION_PROFILE),  # wholly inside
    ])  # fmt: skip
    summary = summarize_day(store, DAY)
    assert summary.monitored_s == 80 * 60
    assert summary.state_seconds["forward_head"] == 70 * 60
    assert summary.state_seconds["good"] == 10 * 60
    assert summary.longest_forward_head_s == 70 * 60
    assert summary.uncalibrated_s == 10 * 60
    assert sum(hour_of_day(day_pieces(store, DAY, DAY))["forward_head"]) == 70 * 60


def test_time_cut_off_logged_twice_by_an_earlier_version_is_counted_once(store):
    """Set back 20 min at 10:00, an earlier version logged 09:40-10:00 twice, each time
    with the frame edge cutting the user off: the summary counted the monitored time once
    but the time cut off twice, 60 min of 70 at the desk where the clock held 40."""
    store.add_spans([
        Span(G, at(9), at(10), cut_off=30 * 60),  # cut off 09:30-10:00
        Span(G, at(9, 40), at(10, 10), cut_off=30 * 60),  # 09:40-10:10 by the new time
        Span(A, at(11), at(11, 30)),  # absent, seen whole
        Span(A, at(11, 10), at(11, 40), cut_off=30 * 60),  # too close, 20 min over the above
    ])  # fmt: skip
    summary = summarize_day(store, DAY)
    assert summary.desk_s == 70 * 60
    # the later span keeps the 10 min of its own the summary counts, and their share of its cut
    assert summary.cut_off_s == pytest.approx(30 * 60 + 10 * 60)
    assert summary.cut_off_away_s == pytest.approx(10 * 60)
    assert summary.cut_off_share == pytest.approx(40 / 70)


def test_longest_run_joins_touching_spans_and_breaks_at_gaps():
    pieces = [("forward_head", 0, 10), ("forward_head", 10, 25), ("forward_head", 40, 60)]
    assert longest_run(pieces, "forward_head") == 25
    pieces = [("forward_head", 0, 10), ("good", 10, 12), ("forward_head", 12, 20)]
    assert longest_run(pieces, "forward_head") == 10


def test_a_day_without_monitoring_has_no_good_share(store):
    s = summarize_day(store, DAY)
    assert s.monitored_s == 0 and s.good_share is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(STATES),
            st.floats(0, 3 * 86400, allow_nan=False),
            st.floats(1, 30 * 3600, allow_nan=False),
        ),
        max_size=20,
    )
)
def test_splitting_by_day_keeps_all_time_inside_the_range(raw):
    first, last = DAY, DAY + timedelta(days=2)
    lo, hi = day_start(first), day_start(last + timedelta(days=1))
    pieces = sorted(((s, lo - 3600 + a, lo - 3600 + a + d) for s, a, d in raw), key=lambda p: p[1])
    by_day = split_by_day(pieces, first, last)
    want = sum(max(0.0, min(e, hi) - max(s, lo)) for _, s, e in pieces)
    got = sum(e - s for ps in by_day.values() for _, s, e in ps)
    assert got == pytest.approx(want, abs=1e-6)
    for d, ps in by_day.items():  # every piece lies inside its own day
        for _, s, e in ps:
            assert day_start(d) <= s < e <= day_start(d + timedelta(days=1))
    hours = hour_of_day(by_day)
    assert sum(map(sum, hours.values())) == pytest.approx(want, abs=1e-6)


def test_hour_of_day_puts_time_in_the_right_hours(store):
    store.add_spans([Span(F, at(9, 30), at(11, 15))])
    pieces = split_by_day(store.span_tuples(at(0), at(23, 59)), DAY, DAY)
    fh = hour_of_day(pieces)["forward_head"]
    assert fh[9] == 30 * 60 and fh[10] == 3600 and fh[11] == 15 * 60
    assert sum(fh) == 105 * 60


FALL_BACK, SPRING_FORWARD = date(2026, 10, 25), date(2026, 3, 29)


def test_hour_of_day_counts_the_repeated_hour_twice_when_the_clocks_go_back(store, berlin):
    # A whole 25-hour day monitored: 02:00-03:00 happens twice and holds two hours.
    nxt = FALL_BACK + timedelta(days=1)
    store.add_spans([Span(G, at(0, d=FALL_BACK), at(0, d=nxt))])
    pieces = day_pieces(store, FALL_BACK, FALL_BACK)
    (summary,) = summarize_range(store, FALL_BACK, FALL_BACK, pieces)
    good = hour_of_day(pieces)["good"]
    assert summary.monitored_s == 25 * 3600
    assert sum(good) == summary.monitored_s
    assert good[2] == 2 * 3600
    assert all(good[h] == 3600 for h in range(24) if h != 2)


def test_hour_of_day_files_the_evening_under_its_clock_hours_when_the_clocks_go_back(store, berlin):
    nxt = FALL_BACK + timedelta(days=1)
    store.add_spans([Span(F, at(22, d=FALL_BACK), at(0, d=nxt))])
    fh = hour_of_day(day_pieces(store, FALL_BACK, FALL_BACK))["forward_head"]
    assert fh[22] == 3600 and fh[23] == 3600 and sum(fh) == 2 * 3600


def test_hour_of_day_leaves_the_skipped_hour_empty_when_the_clocks_go_forward(store, berlin):
    nxt = SPRING_FORWARD + timedelta(days=1)
    store.add_spans([
        Span(G, at(0, d=SPRING_FORWARD), at(9, d=SPRING_FORWARD)),
        Span(F, at(9, d=SPRING_FORWARD), at(10, d=SPRING_FORWARD)),
        Span(G, at(10, d=SPRING_FORWARD), at(0, d=nxt)),
    ])  # fmt: skip
    pieces = day_pieces(store, SPRING_FORWARD, SPRING_FORWARD)
    (summary,) = summarize_range(store, SPRING_FORWARD, SPRING_FORWARD, pieces)
    hours = hour_of_day(pieces)
    assert summary.monitored_s == 23 * 3600
    assert sum(map(sum, hours.values())) == summary.monitored_s
    assert hours["forward_head"][9] == 3600 and sum(hours["forward_head"]) == 3600
    assert hours["good"][2] == 0  # 02:00-03:00 never happened on the clock
    assert all(hours["good"][h] == 3600 for h in range(24) if h not in (2, 9))


def assert_whole_percents_of(shown: list[int], parts: list[float]) -> None:
    """Shown percents add up to 100 and each is off its exact share by less than 1."""
    total = sum(Fraction(p) for p in parts)
    assert len(shown) == len(parts) and sum(shown) == 100
    for pct, part in zip(shown, parts):
        assert abs(pct - 100 * Fraction(part) / total) < 1


def test_whole_percents_of_three_equal_shares_add_up_to_100():
    shown = whole_percents([1200.0, 1200.0, 1200.0, 0.0])
    assert_whole_percents_of(shown, [1200.0, 1200.0, 1200.0, 0.0])
    assert sorted(shown) == [0, 33, 33, 34]


def test_whole_percents_that_rounded_alone_make_101_add_up_to_100():
    parts = [5 * 60.0, 10 * 60.0, 15 * 60.0, 43 * 60.0]
    alone = [round(100 * p / sum(parts)) for p in parts]
    assert sum(alone) == 101  # the case the report got wrong
    assert_whole_percents_of(whole_percents(parts), parts)


def test_whole_percents_of_nothing_are_zeros_and_whole_shares_stay_whole():
    assert whole_percents([0.0, 0.0]) == [0, 0]
    assert whole_percents([0.0, 3.0]) == [0, 100]
    assert whole_percents([1.0, 3.0]) == [25, 75]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(0, 10**6).map(float), st.floats(0, 1e6, allow_nan=False)),
        min_size=1,
        max_size=6,
    ).filter(lambda parts: sum(parts) > 0)
)
def test_whole_percents_of_any_split_add_up_to_100_each_within_1_of_its_share(parts):
    assert_whole_percents_of(whole_percents(parts), parts)


def state_percents(text: str) -> dict[str, int]:
    """The "(N % of desk time)" of each posture state row of the summary text."""
    rows = re.findall(r"^ {4}(\w+(?: \w+)*)  +\S.*\((\d+) % of desk time\)$", text, re.M)
    return {name: int(pct) for name, pct in rows}


@pytest.mark.parametrize(
    "minutes",
    [
        {"good": 20, "forward_head": 20, "raised_shoulders": 20},  # 33 % each alone: 99 %
        {"good": 5, "forward_head": 10, "raised_shoulders": 15, "head_tilt": 43},  # 101 %
    ],
)
def test_summary_state_shares_add_up_to_100_and_agree_with_the_good_share(store, capsys, minutes):
    start, spans = at(9), []
    for name, mins in minutes.items():
        spans.append(Span(PostureState(name), start, start + 60 * mins))
        start += 60 * mins
    store.add_spans(spans)
    assert cli.main(["summary", "--date", DAY.isoformat(), "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    shown = state_percents(out)
    assert list(shown) == ["good", "forward head", "raised shoulders", "head tilt"]
    assert_whole_percents_of(list(shown.values()), [minutes.get(s.value, 0) for s in (G, F, R, T)])
    good = re.search(r"good posture share +(\d+) %", out)
    assert good is not None and int(good.group(1)) == shown["good"]


def test_summary_cli_json_has_stable_keys_and_the_right_minutes(store, capsys):
    store.add_spans([
        Span(G, at(9), at(10), cut_off=90.0),
        Span(F, at(10), at(10, 30), profile=POPULATION_PROFILE),
        Span(A, at(11), at(11, 30), cut_off=20 * 60),  # someone too close, read absent
    ])  # fmt: skip
    store.log_event("alert", at(10, 10))
    rc = cli.main(["summary", "--date", DAY.isoformat(), "--json", "--db", str(store.path)])
    assert rc == 0
    obj = json.loads(capsys.readouterr().out)
    assert list(obj) == [
        "date",
        "monitored_minutes",
        "desk_minutes",
        "state_minutes",
        "good_share",
        "longest_forward_head_minutes",
        "alerts",
        "breaks",
        "exercises_done",
        "cut_off_minutes",
        "cut_off_away_minutes",
        "uncalibrated_minutes",
        "headache",
    ]
    assert obj["state_minutes"]["good"] == 60.0
    assert obj["state_minutes"]["forward_head"] == 30.0
    assert obj["good_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert obj["longest_forward_head_minutes"] == 30.0
    assert obj["alerts"] == 1
    assert obj["cut_off_minutes"] == 1.5  # of desk time only
    assert obj["cut_off_away_minutes"] == 20.0
    assert obj["uncalibrated_minutes"] == 30.0
    assert obj["headache"] == "unknown"


def test_summary_cli_table_shows_times_and_share(store, capsys):
    store.add_spans([Span(G, at(9), at(10, 30)), Span(F, at(10, 30), at(11))])
    assert cli.main(["summary", "--date", DAY.isoformat(), "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "2 h 00 min" in out  # monitored
    assert "75 %" in out  # good share of desk time
    assert "no entry (unknown)" in out


def test_summary_cli_bad_date_is_one_line_exit_2(store, capsys):
    rc = cli.main(["summary", "--date", "2024-13-45", "--db", str(store.path)])
    err = capsys.readouterr().err
    assert rc == 2 and "2024-13-45" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv, option, day",
    [
        (["summary", "--date", "9999-12-31"], "--date", "9999-12-31"),
        (["summary", "--date", "0001-01-01"], "--date", "0001-01-01"),
        (["summary", "--date", "1999-12-31"], "--date", "1999-12-31"),
        (["report", "--to", "9999-12-31", "--csv", "x.csv"], "--to", "9999-12-31"),
        (["report", "--to", "2101-01-01", "--csv", "x.csv"], "--to", "2101-01-01"),
        (
            ["report", "--from", "0001-01-01", "--to", "2024-01-05", "--csv", "x.csv"],
            "--from",
            "0001-01-01",
        ),
    ],
)
def test_dates_outside_the_accepted_range_name_the_option_and_the_range(
    store, capsys, tmp_path, monkeypatch, argv, option, day
):
    """Near year 1 or 9999 the day arithmetic overflowed: an internal error instead of a
    message, for dates no real user means."""
    monkeypatch.chdir(tmp_path)
    rc = cli.main([*argv, "--db", str(store.path)])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    from posture_guard.dates import EARLIEST_DAY, LATEST_DAY

    assert f"{option} {day}" in err and f"{EARLIEST_DAY} to {LATEST_DAY}" in err
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("as_json", [False, True])
def test_a_day_still_to_come_is_said_to_be_after_today_not_unmonitored(store, capsys, as_json):
    # It printed "nothing was monitored on this day" (and JSON of zero minutes and an
    # unknown diary), exit 0, as if the user had missed a day that has not happened.
    today = date.today()
    coming = today + timedelta(days=2)
    argv = ["summary", "--date", coming.isoformat(), "--db", str(store.path)]
    assert cli.main(argv + (["--json"] if as_json else [])) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"posture-guard: --date {coming} is after today ({today}): nothing is recorded yet\n"
    )
    assert cli.main(["summary", "--date", today.isoformat(), "--db", str(store.path)]) == 0


def test_the_first_and_last_accepted_days_are_summarised(store, capsys, tmp_path):
    import csv

    from posture_guard.dates import EARLIEST_DAY, LATEST_DAY

    # an hour at the desk on each edge day, 40 min of it good
    for day in (EARLIEST_DAY, LATEST_DAY):
        store.add_spans([Span(G, at(9, d=day), at(9, 40, d=day)),
                         Span(F, at(9, 40, d=day), at(10, d=day))])  # fmt: skip
    argv = ["summary", "--date", EARLIEST_DAY.isoformat(), "--json", "--db", str(store.path)]
    assert cli.main(argv) == 0
    obj = json.loads(capsys.readouterr().out)
    assert (obj["date"], obj["monitored_minutes"]) == (EARLIEST_DAY.isoformat(), 60.0)
    assert obj["state_minutes"]["good"] == 40.0
    assert obj["good_share"] == pytest.approx(2 / 3, abs=1e-4)
    # the last day is still to come, which the command refuses; its arithmetic holds
    last = summarize_day(store, LATEST_DAY)
    assert (last.monitored_s, last.state_seconds["good"]) == (3600.0, 2400.0)
    path = tmp_path / "edge.csv"
    argv = ["report", "--from", str(EARLIEST_DAY), "--to", str(EARLIEST_DAY + timedelta(6))]
    assert cli.main([*argv, "--csv", str(path), "--db", str(store.path)]) == 0
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["date"] for r in rows] == [str(EARLIEST_DAY + timedelta(i)) for i in range(7)]
    assert [float(r["good_min"]) for r in rows] == [40.0] + [0.0] * 6


def shown_minutes(text: str) -> int:
    """Minutes of a shown duration: '1 h 05 min' or '12 min' ('under 1 min' is none of
    a whole minute: its row had some seconds, and the whole minutes went elsewhere)."""
    if text.strip() == "under 1 min":
        return 0
    m = re.fullmatch(r"(?:(\d+) h )?(\d+) min", text.strip())
    assert m is not None, text
    return 60 * int(m.group(1) or 0) + int(m.group(2))


@pytest.mark.parametrize(
    "seconds",
    [
        {"good": 95 * 60 + 29, "raised_shoulders": 4 * 60 + 29},  # 1 h 35 + 4 under 1 h 40
        {"good": 1224, "forward_head": 1224, "raised_shoulders": 1224},  # 20 x 3 under 61
        {"good": 3000, "forward_head": 31, "head_tilt": 31, "absent": 1770},  # 50+1+1, 30
    ],
)
def test_the_rows_of_the_summary_and_of_the_report_add_up_to_their_totals(
    store, capsys, tmp_path, seconds
):
    """Each state's minutes were rounded alone: 95.5 min good and 4.5 min of raised
    shoulders showed as 1 h 35 min and 4 min under 'at the desk 1 h 40 min'."""
    start, spans = at(9), []
    for name, secs in seconds.items():
        spans.append(Span(PostureState(name), start, start + secs))
        start += secs
    store.add_spans(spans)
    db = ["--db", str(store.path)]
    assert cli.main(["summary", "--date", DAY.isoformat(), *db]) == 0
    out = capsys.readouterr().out
    rows = dict(re.findall(r"^ {2,4}(\w+(?: \w+)*?)  +((?:under )?\d+ (?:h \d+ )?min)", out, re.M))
    states = ["good", "forward head", "raised shoulders", "head tilt"]
    desk = shown_minutes(rows["at the desk"])
    assert sum(shown_minutes(rows[s]) for s in states) == desk
    assert desk + shown_minutes(rows["absent"]) == shown_minutes(rows["monitored"])
    for name, secs in seconds.items():  # each row within a minute of its exact time
        assert abs(shown_minutes(rows[name.replace("_", " ")]) - secs / 60) < 1

    page = tmp_path / "r.html"
    argv = ["report", "--from", DAY.isoformat(), "--to", DAY.isoformat(), "--html", str(page)]
    assert cli.main([*argv, *db]) == 0
    text = page.read_text()
    total = re.search(r"; ([^;<]+) at the desk in total", text)
    assert total is not None and shown_minutes(total.group(1)) == desk
    cells = dict(re.findall(r"<tr><td>([\w ]+)</td><td>([^<]+)</td>", text.split("<h2>")[0]))
    assert sum(shown_minutes(cells[s]) for s in states) == desk  # named as the summary does


def test_a_day_with_little_desk_time_says_its_share_is_too_little_to_judge_by(store, capsys):
    """Eight minutes at the desk, all good, read 'good posture share 100 %' like a whole
    good day, without a word; a day of an hour and more is summed up as before."""
    day2 = DAY + timedelta(days=1)
    store.add_spans(
        [
            Span(G, at(9), at(9, 8)),
            Span(A, at(9, 8), at(11)),
            Span(G, at(9, 0, day2), at(10, 0, day2)),
        ]
    )
    db = ["--db", str(store.path)]
    assert cli.main(["summary", "--date", DAY.isoformat(), *db]) == 0
    out = capsys.readouterr().out
    assert re.search(r"good posture share +100 %", out)
    assert "note: only 8 min at the desk: too little time to judge the day's posture by" in out
    assert cli.main(["summary", "--date", day2.isoformat(), *db]) == 0
    assert "too little time" not in capsys.readouterr().out


def test_an_hour_shown_as_1_h_00_min_is_not_called_too_little(store, capsys, tmp_path):
    """A replayed hour ends at its last frame, 59 min 59.9 s: the summary showed 'at the
    desk 1 h 00 min' and beside it 'only 1 h 00 min at the desk: too little time', and
    the report drew the day as a short one."""
    from posture_guard.report import daily_figure, daily_rows

    day2 = DAY + timedelta(days=1)
    store.add_spans([Span(G, at(9), at(10) - 0.1), Span(G, at(9, 0, day2), at(9, 59, day2) + 20)])
    db = ["--db", str(store.path)]
    assert cli.main(["summary", "--date", DAY.isoformat(), *db]) == 0
    out = capsys.readouterr().out
    assert re.search(r"at the desk +1 h 00 min", out) and "too little" not in out
    assert cli.main(["summary", "--date", day2.isoformat(), *db]) == 0
    assert "note: only 59 min at the desk" in capsys.readouterr().out
    line, hollow = daily_figure(daily_rows(store, DAY, day2)).axes[1].lines
    assert list(line.get_ydata()[:1]) == [100] and list(hollow.get_ydata()) == [100]


def test_a_few_seconds_cut_off_or_uncalibrated_read_under_a_minute_not_none(store, capsys):
    # Rows shown only when there is some of it said "0 min" for a few seconds of it,
    # which reads as none; they say "under 1 min" (and "under 1 %" for a share of 0).
    store.add_spans([
        Span(G, at(9), at(11), cut_off=20),
        Span(G, at(11), at(11, 0) + 10, profile=POPULATION_PROFILE),
        Span(A, at(12), at(12, 10), cut_off=15),
    ])  # fmt: skip
    assert cli.main(["summary", "--date", DAY.isoformat(), "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    row = {m.group(1): m.group(2).strip() for m in re.finditer(r"  (\S.*?)  +(\S.*)", out)}
    assert row["of which cut off by the edge"] == "under 1 min"
    assert row["of which not judged (cut off by the frame edge)"] == (
        "under 1 min  (under 1 % of desk time)"
    )
    assert row["judged without calibration"] == "under 1 min  (under 1 % of desk time)"
    assert row["monitored"] == "2 h 10 min"  # whole minutes elsewhere, as before


def test_a_day_of_a_few_seconds_reads_under_a_minute_not_none(store, capsys, tmp_path):
    """A replay of a few seconds read 'monitored 0 min', 'at the desk 0 min' and 'good
    0 min (100 % of desk time)', then 'note: only 0 min at the desk', and the report
    '0 min at the desk in total' over a row of 100 %: as if nothing had been seen."""
    store.add_spans([Span(G, at(10), at(10) + 20), Span(F, at(10) + 20, at(10) + 30)])
    db = ["--db", str(store.path)]
    assert cli.main(["summary", "--date", DAY.isoformat(), *db]) == 0
    out = capsys.readouterr().out
    row = {m.group(1): m.group(2).strip() for m in re.finditer(r"^  +(\S.*?)  +(\S.*)", out, re.M)}
    assert row["monitored"] == row["at the desk"] == "under 1 min"
    assert row["good"] == "under 1 min  (67 % of desk time)"
    assert row["forward head"] == "under 1 min  (33 % of desk time)"
    assert row["head tilt"] == "0 min  (0 % of desk time)"  # none of it: still 0
    assert row["absent"] == "0 min"
    assert row["longest forward head"] == "under 1 min"
    assert "note: under 1 min at the desk: too little time" in out

    page = tmp_path / "r.html"
    argv = ["report", "--from", DAY.isoformat(), "--to", DAY.isoformat(), "--html", str(page)]
    assert cli.main([*argv, *db]) == 0
    text = page.read_text()
    assert "; under 1 min at the desk in total" in text
    cells = dict(re.findall(r"<tr><td>([\w ]+)</td><td>([^<]+)</td>", text.split("<h2>")[0]))
    assert cells["good"] == cells["forward head"] == "under 1 min"
    assert cells["head tilt"] == cells["absent"] == "0 min"


# good 10.6 min, then one forward-head stretch of 2.55 min, raised shoulders 0.85 min and
# 1.5 min away: each rounded alone, the states read 10.6 + 2.5 + 0.8 = 13.9 desk minutes
# beside a desk total of 14.0, and the stretch 3 whole minutes beside 2 of forward head
UNEVEN = [(G, 636.0), (F, 153.0), (R, 51.0), (A, 90.0)]


def add_uneven(store) -> None:
    start, spans = at(9), []
    for state, secs in UNEVEN:
        spans.append(Span(state, start, start + secs))
        start += secs
    store.add_spans(spans)


def test_the_json_state_minutes_add_up_to_the_monitored_and_desk_minutes(store, capsys):
    add_uneven(store)
    argv = ["summary", "--date", DAY.isoformat(), "--json", "--db", str(store.path)]
    assert cli.main(argv) == 0
    obj = json.loads(capsys.readouterr().out)
    minutes = obj["state_minutes"]
    desk = [minutes[s] for s in STATES if s != A.value]
    assert round(sum(desk), 1) == obj["desk_minutes"] == 14.0
    assert round(sum(desk) + minutes[A.value], 1) == obj["monitored_minutes"] == 15.5
    for state, secs in UNEVEN:  # each within 0.1 min of its exact time
        assert abs(minutes[state.value] - secs / 60) < 0.1
    assert obj["longest_forward_head_minutes"] <= minutes[F.value]


def test_the_longest_forward_head_stretch_is_no_longer_than_all_forward_head(store, capsys):
    add_uneven(store)
    assert cli.main(["summary", "--date", DAY.isoformat(), "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    row = {m.group(1): m.group(2).strip() for m in re.finditer(r"^  +(\S.*?)  +(\S.*)", out, re.M)}
    assert row["forward head"] == "2 min  (18 % of desk time)"  # the minute went to others
    assert row["longest forward head"] == "2 min"
