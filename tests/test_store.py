"""The SQLite log: spans from decisions, batching, migrations, and damaged/locked files."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture_guard import cli, paths
from posture_guard.errors import UserError
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision, PostureState
from posture_guard.store import (
    MIGRATIONS,
    RETRY_LOCK_TIMEOUT,
    SCHEMA_VERSION,
    SLOWEST_INTERVAL,
    Span,
    Store,
    StoreSink,
    parse_pending,
    quarantine_damaged,
)
from tests.cli_run import posture_guard

START = datetime(2024, 3, 4, 9, 0)
T0 = START.timestamp()
G, F, A = PostureState.GOOD, PostureState.FORWARD_HEAD, PostureState.ABSENT


class FakeWall:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def session(live: bool = False) -> SessionInfo:
    return SessionInfo(start=START, profile="desk", live=live, source="test")


def feed(sink: StoreSink, states: list[PostureState], dt: float = 1.0) -> float:
    """Feed one decision per ``dt`` seconds; return the last stream time."""
    prev = None
    t = 0.0
    for i, s in enumerate(states):
        t = i * dt
        sink.on_decision(Decision(t, s, {"fh": float(i)}, s != prev))
        prev = s
    return t


def rows(path: Path) -> list[tuple]:
    """Spans as another program sees them (a separate connection)."""
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT state, start, end, samples FROM spans ORDER BY start").fetchall()
    finally:
        con.close()


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path / "home"))
    return tmp_path / "posture.sqlite3"


def test_consecutive_decisions_merge_into_spans_with_metric_medians(db):
    store = Store.open(db)
    sink = StoreSink(store, session())
    states = [G] * 5 + [F] * 3 + [G] * 2
    feed(sink, states)
    sink.close(10.0)
    spans = store.spans(T0 - 1, T0 + 100)
    assert [(s.state, s.start - T0, s.end - T0, s.samples) for s in spans] == [
        (G, 0.0, 5.0, 5),
        (F, 5.0, 8.0, 3),
        (G, 8.0, 10.0, 2),
    ]
    # the medians of the metric values fed (i = 0..4, 5..7, 8..9)
    assert [s.metrics["fh"] for s in spans] == [2.0, 6.0, 8.5]
    assert {s.profile for s in spans} == {"desk"}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([G, F, A, PostureState.HEAD_TILT]), min_size=1, max_size=60))
def test_spans_are_the_runs_of_the_state_sequence(tmp_path_factory, states):
    path = tmp_path_factory.mktemp("db") / "p.sqlite3"
    store = Store.open(path)
    sink = StoreSink(store, session(), wall_clock=FakeWall())
    last = feed(sink, states, dt=0.5)
    sink.close(last + 0.5)
    spans = store.spans(T0 - 1, T0 + 1000)
    runs: list[list] = []
    for s in states:
        if runs and runs[-1][0] == s:
            runs[-1][1] += 1
        else:
            runs.append([s, 1])
    assert [(s.state, s.samples) for s in spans] == [tuple(r) for r in runs]
    # spans tile the monitored time without gaps or overlaps
    assert spans[0].start == T0
    assert all(a.end == b.start for a, b in zip(spans, spans[1:]))
    assert spans[-1].end == pytest.approx(T0 + len(states) * 0.5)
    store.close()


def test_a_span_keeps_how_long_the_frame_edge_cut_the_user_off(db):
    store = Store.open(db)
    sink = StoreSink(store, session(), wall_clock=FakeWall())
    # good seen 0-3 s, held while cut off 3-7 s, seen again 7-9 s; then forward head cut
    # off from its second decision (10 s) to the end (12 s)
    for t, state, cut in [(0, G, 0), (1, G, 0), (2, G, 0), (3, G, 1), (5, G, 1), (7, G, 0),
                          (8, G, 0), (9, F, 0), (10, F, 1), (11, F, 1)]:  # fmt: skip
        sink.on_decision(Decision(float(t), state, cut_off=bool(cut)))
    sink.close(12.0)
    spans = store.spans(0, 2e10)
    assert [(s.state, s.seconds, s.cut_off) for s in spans] == [(G, 9.0, 4.0), (F, 3.0, 2.0)]
    # the open span's row, written at a commit and updated later, carries it too
    sink = StoreSink(store, session(), commit_every=2.0, wall_clock=FakeWall())
    for t in range(20, 30):
        sink.on_decision(Decision(float(t), G, cut_off=t >= 25))
    sink.close(30.0)
    assert [(s.seconds, s.cut_off) for s in store.spans(T0 + 19, 2e10)] == [(10.0, 5.0)]


def test_a_long_gap_closes_the_span_and_is_not_monitored(db):
    store = Store.open(db)
    sink = StoreSink(store, session(), max_gap=30.0)
    for t in range(0, 11):
        sink.on_decision(Decision(float(t), G))
    for t in range(100, 111):  # 90 s without decisions: the monitor was not running
        sink.on_decision(Decision(float(t), G))
    sink.close(110.0)
    got = [(s.start - T0, s.end - T0) for s in store.spans(T0 - 1, T0 + 1000)]
    assert got == [(0.0, 10.0 + SLOWEST_INTERVAL), (100.0, 110.0)]


def test_a_gap_within_the_sampling_range_keeps_the_span(db):
    store = Store.open(db)
    sink = StoreSink(store, session(), max_gap=30.0)
    for t in (0.0, 2.0, 22.0, 24.0):  # 20 s between decisions: slow but monitored
        sink.on_decision(Decision(t, G))
    sink.close(24.0)
    assert [(s.start - T0, s.end - T0) for s in store.spans(0, T0 + 1000)] == [(0.0, 24.0)]


def test_commits_at_least_every_10_s_of_stream_time_so_a_crash_loses_little(db):
    store = Store.open(db)
    wall = FakeWall()  # wall time stands still: only stream time can trigger commits
    sink = StoreSink(store, session(), wall_clock=wall)
    states = [G] * 30 + [F] * 40 + [G] * 25  # 95 s, never closed (the process "crashes")
    last = feed(sink, states)
    logged = rows(db)
    covered = sum(end - start for _, start, end, _ in logged)
    assert last - covered <= 10.0
    assert covered > 0
    # what was written is right as far as it goes
    assert [r[0] for r in logged] == ["good", "forward_head", "good"]
    assert logged[1][1] - T0 == 30.0 and logged[1][2] - T0 == 70.0


def test_commits_every_10_s_of_wall_time_even_when_stream_time_is_slow(db):
    store = Store.open(db)
    wall = FakeWall()
    sink = StoreSink(store, session(live=True), wall_clock=wall)
    sink.on_decision(Decision(0.0, G))
    sink.on_decision(Decision(1.0, F))
    assert rows(db) == []
    wall.now = 10.5
    sink.on_decision(Decision(2.0, F))
    assert [r[0] for r in rows(db)] == ["good", "forward_head"]


def test_open_span_is_updated_in_place_not_duplicated(db):
    store = Store.open(db)
    sink = StoreSink(store, session(), wall_clock=FakeWall())
    feed(sink, [G] * 35)  # commits at 10, 20, 30 while the same span stays open
    assert len(rows(db)) == 1
    sink.close(35.0)
    assert rows(db) == [("good", T0, T0 + 35.0, 35)]
    assert sink.commits >= 4


def test_database_uses_wal_and_current_schema(db):
    Store.open(db).close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def test_a_store_opened_for_writing_syncs_each_commit_to_the_disk(db):
    """synchronous=FULL: a commit that returned survives a power cut (with NORMAL, in WAL
    mode, the last ones could be rolled back). Also on the connection a closed store
    opens again for a late write (the coach logs events after the store sink closed)."""
    store = Store.open(db)
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()
    store.log_event("alert", T0)
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    store.close()


def test_old_database_is_migrated_and_keeps_its_data(db):
    con = sqlite3.connect(db)
    con.executescript(MIGRATIONS[0])
    con.execute(
        "INSERT INTO spans(profile, state, start, end, samples) VALUES ('p', 'good', ?, ?, 3)",
        (T0, T0 + 60),
    )
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    store = Store.open(db)
    assert store.schema_version == SCHEMA_VERSION
    # spans logged before the frame edge was counted read as never cut off
    assert [(s.state, s.seconds, s.cut_off) for s in store.spans(0, T0 + 100)] == [(G, 60.0, 0)]
    assert store.read("SELECT COUNT(*) FROM headaches") == [(0,)]


def test_newer_database_gets_a_clear_error_and_is_left_alone(db):
    Store.open(db).close()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 7}")
    con.commit()
    con.close()
    before = db.read_bytes()
    with pytest.raises(UserError, match="newer posture_guard") as err:
        Store.open(db)
    assert str(db) in str(err.value)
    assert db.read_bytes() == before


def test_another_programs_database_is_refused_and_left_unchanged(tmp_path, pg_home, capsys):
    # `summary --db places.sqlite` (a mistyped path) made posture_guard's tables in the
    # other program's database and switched it to WAL mode, then said nothing was recorded
    other = tmp_path / "places.sqlite"
    with closing(sqlite3.connect(other)) as con:
        con.execute("CREATE TABLE moz_places (url TEXT)")
        con.execute("INSERT INTO moz_places VALUES ('https://example.org')")
        con.commit()
    before = other.read_bytes()
    for argv in (["summary"], ["headache", "add", "--intensity", "3"], ["demo"]):
        assert cli.main([*argv, "--db", str(other)]) == 2
        assert capsys.readouterr().err == (
            f"posture-guard: database {other} is not a posture_guard database (it holds "
            "another program's tables: moz_places); it was left unchanged; check the --db path\n"
        )
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pg-home", "places.sqlite"]
    # an empty database file (sqlite's own, or a zero-length file) is still made ours
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    with Store.open(empty) as store:
        assert store.schema_version == SCHEMA_VERSION


def test_damaged_file_names_the_file_and_can_be_quarantined(db):
    db.write_bytes(b"this is not sqlite at all, just some bytes " * 100)
    before = db.read_bytes()
    with pytest.raises(UserError, match="damaged") as err:
        Store.open(db)
    assert str(db) in str(err.value)
    assert db.read_bytes() == before  # nothing recorded was overwritten
    moved = quarantine_damaged(db, now=datetime(2024, 1, 2, 3, 4, 5))
    assert moved.name == "posture.sqlite3.damaged-20240102T030405"
    assert moved.read_bytes() == before
    assert not db.exists()
    store = Store.open(db)  # a fresh database starts
    assert store.spans(0, 2e10) == []


def joined(spans: list[Span]) -> list[tuple[str, float, float]]:
    """(state, start, end) since T0 with touching spans of one state joined, as the
    summaries join them (a span set aside in parts)."""
    out: list[tuple[str, float, float]] = []
    for s in sorted(spans, key=lambda s: s.start):
        a, b = s.start - T0, s.end - T0
        if out and out[-1][0] == s.state.value and abs(out[-1][2] - a) < 1e-9:
            out[-1] = (out[-1][0], out[-1][1], b)
        else:
            out.append((s.state.value, a, b))
    return out


def kept(db: Path) -> list[Span]:
    """What a kill -9 would leave now: the committed spans and the side file's."""
    pending = db.with_name(db.name + ".pending.jsonl")
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT state, start, end, profile, samples, metrics, source, cut_off FROM spans"
        ).fetchall()
    finally:
        con.close()
    spans = [Span(PostureState(r[0]), *r[1:5], json.loads(r[5]), *r[6:]) for r in rows]
    if pending.exists():
        aside, bad = parse_pending(pending.read_bytes())
        assert not bad
        spans += aside
    return spans


def _close_while_locked(db: Path, seconds: int) -> tuple[str, Path]:
    """A session of ``seconds`` of good posture (one decision a second) whose end finds
    the database locked by another program: the error it ends with, and its side file."""
    store = Store.open(db, lock_timeout=0.05)
    sink = StoreSink(store, session(), own_store=True)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        for t in range(max(seconds, 1)):
            sink.on_decision(Decision(float(t), G, changed=t == 0))
        with pytest.raises(UserError) as caught:
            sink.close(float(seconds))
    finally:
        other.execute("ROLLBACK")
        other.close()
    return str(caught.value), db.with_name(db.name + ".pending.jsonl")


def test_a_locked_database_and_nothing_to_keep_names_no_side_file(db):
    """A replay of one sample (no posture time) into a locked database said "0 unsaved
    posture spans were kept in NAME.pending.jsonl", a file that was never written."""
    message, pending = _close_while_locked(db, 0)
    assert not pending.exists()
    assert "locked" in message and str(pending) not in message
    assert message.endswith("no posture time was left unsaved")


def test_a_locked_database_and_one_span_kept_says_one_span_was_kept(db):
    """A session of one state into a locked database ended "1 unsaved posture spans were
    kept in NAME.pending.jsonl"."""
    message, pending = _close_while_locked(db, 5)
    assert len(parse_pending(pending.read_bytes())[0]) == 1
    assert f"; 1 unsaved posture span was kept in {pending} and will be added" in message


def test_spans_a_locked_database_refuses_reach_the_side_file_at_once_and_come_back(db):
    """A commit the lock refuses puts the spans in the side file there and then (a kill
    -9 loses no more than with the database free), and the sink itself takes them in
    once the lock has gone, each span once."""
    store = Store.open(db, lock_timeout=0.2)
    wall = FakeWall()
    sink = StoreSink(store, session(live=True), wall_clock=wall)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    feed(sink, [G] * 12 + [F] * 10)  # commits fall due at 10 s and 20 s: both refused
    assert "locked" in str(sink.last_error)
    pending = db.with_name(db.name + ".pending.jsonl")
    assert rows(db) == [] and pending.exists()
    assert joined(kept(db)) == [("good", 0.0, 12.0), ("forward_head", 12.0, 20.0)]
    other.execute("ROLLBACK")
    other.close()
    wall.now = 10.0  # the next due commit tries the database again
    for t in range(22, 33):
        sink.on_decision(Decision(float(t), F))
    assert not pending.exists()  # taken in at the first commit after the wait (22 s)
    assert joined(kept(db)) == [("good", 0.0, 12.0), ("forward_head", 12.0, 32.0)]
    sink.close(33.0)
    spans = kept(db)
    assert joined(spans) == [("good", 0.0, 12.0), ("forward_head", 12.0, 33.0)]
    assert sum(s.seconds for s in spans) == pytest.approx(33.0)  # no part twice
    assert sum(s.samples for s in spans) == 33


def test_a_side_file_another_command_takes_in_meanwhile_is_not_logged_twice(db):
    """While the monitor keeps spans aside, a command that opens the database (``done``,
    ``diary``) may take the side file in once the lock has gone: the monitor then goes
    on with a new side file, and no span is logged twice."""
    store = Store.open(db, lock_timeout=0.2)
    wall = FakeWall()
    sink = StoreSink(store, session(live=True), wall_clock=wall)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    feed(sink, [G] * 15)  # the commit due at 10 s is refused: 0-10 s set aside
    other.execute("ROLLBACK")
    other.close()
    pending = db.with_name(db.name + ".pending.jsonl")
    assert pending.exists()
    Store.open(db).close()  # `posture-guard done` in another process
    assert not pending.exists()
    for t in range(15, 25):  # the commit due at 20 s: still in its wait before a retry
        sink.on_decision(Decision(float(t), G))
    assert pending.exists()
    wall.now = 10.0
    sink.close(25.0)
    assert not pending.exists()
    spans = kept(db)
    assert joined(spans) == [("good", 0.0, 25.0)]
    assert sum(s.seconds for s in spans) == pytest.approx(25.0)


def test_a_side_file_waiting_on_a_held_database_does_not_stop_the_monitor_starting(db, capsys):
    """Spans kept aside by a run that ended while another program held the database
    cannot go in while it still holds it: the next monitor starts all the same (it
    refused to, "locked"), and takes them in at its first commit once the lock has
    gone."""
    Store.open(db).close()
    pending = db.with_name(db.name + ".pending.jsonl")
    pending.write_bytes(_good_line(T0 - 100) + b"\n")
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    store = Store.open(db, lock_timeout=0.1)
    assert f"spans kept in {pending} meanwhile are not in it yet" in capsys.readouterr().err
    sink = StoreSink(store, session(live=True), wall_clock=FakeWall())
    other.execute("ROLLBACK")
    other.close()
    feed(sink, [G] * 12)  # the commit due at 10 s
    assert not pending.exists()
    sink.close(12.0)
    assert joined(kept(db)) == [("good", -100.0, -70.0), ("good", 0.0, 12.0)]


def test_a_reader_does_not_wait_for_a_held_database_to_take_the_side_file_in(db, capsys):
    """While another program holds the database, a running monitor keeps a side file:
    `status`, `summary` and the reports answer at once (each waited the lock timeout to
    take the file in, and said so), naming the file whose spans are not counted yet."""
    Store.open(db).close()
    pending = db.with_name(db.name + ".pending.jsonl")
    pending.write_bytes(_good_line(T0) + b"\n")
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with Store.open(db, lock_timeout=0.5, read_only=True) as reader:
            err = capsys.readouterr().err
            assert "waited" not in err
            assert f"spans kept in {pending} meanwhile are not in it yet" in err
            assert reader.spans(0, 2e10) == []
            assert pending.exists()
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Store.open(db, read_only=True) as reader:  # free again: taken in
        assert [s.start - T0 for s in reader.spans(0, 2e10)] == [0.0]
        # and a write waits for a lock as long as ever
        assert reader.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert not pending.exists()


def test_lock_that_outlasts_the_session_saves_spans_aside_and_loses_nothing(db):
    store = Store.open(db, lock_timeout=0.1)
    sink = StoreSink(store, session(), wall_clock=FakeWall())
    feed(sink, [G] * 8)  # no commit due yet
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    for t in range(8, 15):
        sink.on_decision(Decision(float(t), F, cut_off=t >= 12))
    with pytest.raises(UserError, match="locked") as err:
        sink.close(15.0)
    assert "kept in" in str(err.value)
    other.execute("ROLLBACK")
    other.close()
    store.close()
    pending = db.with_name(db.name + ".pending.jsonl")
    assert pending.exists()
    reopened = Store.open(db)
    spans = reopened.spans(0, 2e10)
    assert sum(s.seconds for s in spans) == pytest.approx(15.0)
    assert {s.state for s in spans} == {G, F}
    assert [s.cut_off for s in spans if s.state is F] == [3.0]  # 12-15 s, via the side file
    assert not pending.exists()


def test_a_locked_tail_of_a_span_already_written_keeps_only_its_own_cut_off_time(db):
    store = Store.open(db, lock_timeout=0.1)
    sink = StoreSink(store, session(), commit_every=2.0, wall_clock=FakeWall())
    for t in range(5):  # commits at 2 s and 4 s write the open span: 0-4 s, 1 s cut off
        sink.on_decision(Decision(float(t), G, cut_off=t >= 3))
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    for t in range(5, 10):
        sink.on_decision(Decision(float(t), G, cut_off=True))
    with pytest.raises(UserError, match="kept in"):
        sink.close(10.0)
    other.execute("ROLLBACK")
    other.close()
    store.close()
    spans = Store.open(db).spans(0, 2e10)
    assert [(s.start - T0, s.end - T0, s.cut_off) for s in spans] == [(0, 4, 1), (4, 10, 6)]


def test_log_event_stores_kind_time_and_payload(db):
    store = Store.open(db)
    at = datetime(2024, 3, 4, 10, 15)
    store.log_event("alert", at, {"state": "forward_head", "seconds": 42})
    store.log_event("break_taken", at.timestamp() + 60)
    events = store.events(T0, T0 + 7200)
    assert [(e.kind, e.at - T0) for e in events] == [("alert", 4500.0), ("break_taken", 4560.0)]
    assert events[0].payload == {"seconds": 42, "state": "forward_head"}
    assert [e.kind for e in store.events(T0, T0 + 7200, kinds=["alert"])] == ["alert"]


@pytest.mark.parametrize(
    "kind, payload, message",
    [
        ("", {}, "kind"),
        ("alert", {"x": object()}, "payload"),
        ("alert", {"x": float("nan")}, "payload"),
    ],
)
def test_log_event_rejects_bad_input_and_writes_nothing(db, kind, payload, message):
    store = Store.open(db)
    with pytest.raises(UserError, match=message):
        store.log_event(kind, T0, payload)
    assert store.read("SELECT COUNT(*) FROM events") == [(0,)]


def test_add_spans_round_trip(db):
    store = Store.open(db)
    span = Span(F, T0, T0 + 90, "p", 40, {"fh": 0.1}, "src")
    store.add_spans([span])
    assert store.spans(T0, T0 + 1) == [span]


# ---------------------------------------------------------------------- through the CLI
def synth_stream(tmp_path: Path) -> Path:
    from calibration import synth

    out = tmp_path / "demo.jsonl"
    rc = synth.main(["--scene", "demo", "--seed", "1", "--out", str(out)])
    assert rc in (0, None)
    return out


def states_file_seconds(path: Path, t_end: float) -> dict[str, float]:
    """Seconds per state from a states file (each line holds until the next)."""
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    out: dict[str, float] = {}
    for a, b in zip(lines, lines[1:] + [{"t": t_end}]):
        out[a["state"]] = out.get(a["state"], 0.0) + b["t"] - a["t"]
    return out


def last_sample_t(stream: Path) -> float:
    return json.loads(stream.read_text().splitlines()[-1])["t"]


def test_replay_with_db_logs_the_stream_from_start(db, tmp_path, capsys):
    stream = synth_stream(tmp_path)
    states = tmp_path / "states.jsonl"
    argv = ["replay", "--landmarks", str(stream), "--calibrate-seconds", "15", "--quiet"]
    argv += ["--states-out", str(states), "--db", str(db), "--start", "2024-03-04T09:00"]
    assert cli.main(argv) == 0
    store = Store.open(db)
    spans = store.spans(0, 2e10)
    assert spans[0].start == T0 + 15  # from the end of the calibration on
    got: dict[str, float] = {}
    for s in spans:
        got[s.state.value] = got.get(s.state.value, 0.0) + s.seconds
    want = states_file_seconds(states, last_sample_t(stream))
    assert set(got) == set(want)
    for k in want:
        assert got[k] == pytest.approx(want[k], abs=0.01)
    assert F.value in got  # the demo scene has a forward-head segment


def test_replay_with_a_bad_start_is_one_line_exit_2(db, tmp_path, capsys):
    stream = synth_stream(tmp_path)
    capsys.readouterr()
    argv = ["replay", "--landmarks", str(stream), "--calibrate-seconds", "15", "--quiet"]
    rc = cli.main(argv + ["--db", str(db), "--start", "monday-ish"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "--start" in err and len(err.strip().splitlines()) == 1


def test_a_closed_store_reopens_for_a_late_event(db):
    # the store sink closes its store at session end; the coach may log one more event
    store = Store.open(db)
    sink = StoreSink(store, session(), own_store=True)
    feed(sink, [G] * 3)
    sink.close(3.0)
    store.log_event("break_taken", T0 + 4)
    assert [e.kind for e in Store.open(db).events(T0, T0 + 10)] == ["break_taken"]


def test_a_live_session_leaves_out_the_time_already_logged_after_a_clock_set_back(db):
    """The clock set back makes the monitor start a new session at the new time (see
    service.run), inside what the session before logged: that time was logged twice. The
    new session now logs only the time not logged yet; what it saw meanwhile is left out."""
    from datetime import timedelta

    from posture_guard.summary import summarize_day

    store = Store.open(db)
    first = StoreSink(store, session(live=True), wall_clock=FakeWall())
    feed(first, [G] * 600)  # 09:00:00-09:09:59, and closed at 09:10
    first.close(600.0)
    # at 09:10 the clock is set back 5 min: a new session from 09:05 by the new time
    later = replace(session(live=True), start=START + timedelta(minutes=5))
    second = StoreSink(store, later, wall_clock=FakeWall())
    feed(second, [F] * 200 + [G] * 400)  # 09:05-09:08:19 forward head, then good
    second.close(600.0)
    spans = [(s.state, s.start - T0, s.end - T0) for s in store.spans(T0, T0 + 3600)]
    assert spans == [(G, 0.0, 600.0), (G, 600.0, 900.0)]
    summary = summarize_day(store, START.date())
    assert summary.monitored_s == 900.0  # not 1200 s between 09:00 and 09:15
    assert summary.state_seconds["good"] == 900.0  # the forward head was logged over


def test_a_live_session_ends_a_span_where_time_already_logged_begins(db):
    """(Time logged later than the session's start, inside its time: the span before it
    ends there, and the next starts after it.)"""
    store = Store.open(db)
    store.add_spans([Span(A, T0 + 100.0, T0 + 130.0, "desk")])
    sink = StoreSink(store, session(live=True), wall_clock=FakeWall())
    feed(sink, [G] * 200)
    sink.close(200.0)
    spans = [(s.state, s.start - T0, s.end - T0) for s in store.spans(T0, T0 + 3600)]
    assert spans == [(G, 0.0, 100.0), (A, 100.0, 130.0), (G, 130.0, 200.0)]


@pytest.mark.parametrize(
    "states, end, want",
    [
        # the state seen at 98 s holds from 100 s, where the logged time ends, to 101.5 s
        ([F] * 30, 104.0, [(G, 0.0, 100.0), (F, 100.0, 104.0)]),
        ([F] * 29 + [G], 104.0, [(G, 0.0, 100.0), (F, 100.0, 101.5), (G, 101.5, 104.0)]),
        # the session ends before its next decision: the state holds to its end
        ([F] * 29, 100.8, [(G, 0.0, 100.0), (F, 100.0, 100.8)]),
    ],
)
def test_a_live_session_logs_the_step_after_the_time_already_logged_ends(db, states, end, want):
    """Decisions every 3.5 s; 0-100 s is logged already (a clock set back makes a new
    session go through it again). The decision at 98 s, inside it, logs nothing, and the
    log went on only from the next, at 101.5 s: 1.5 s lost that nothing had logged."""
    store = Store.open(db)
    store.add_spans([Span(G, T0, T0 + 100.0, "desk")])
    sink = StoreSink(store, session(live=True), wall_clock=FakeWall())
    feed(sink, states, dt=3.5)
    sink.close(end)
    got = [(s.state, s.start - T0, s.end - T0) for s in store.spans(T0, T0 + 3600)]
    assert got == [(st, pytest.approx(a), pytest.approx(b)) for st, a, b in want]


def test_after_a_gap_the_step_after_the_time_already_logged_holds_no_longer_than_before(db):
    """A decision inside the logged time, then none for 2 min (a pause): its state holds
    the slowest sampling interval after it, as after any gap, only the part of that after
    the logged time logged."""
    store = Store.open(db)
    store.add_spans([Span(G, T0, T0 + 100.0, "desk")])
    sink = StoreSink(store, session(live=True), wall_clock=FakeWall())
    for t in (98.0, 218.0, 219.0):
        sink.on_decision(Decision(t, F))
    sink.close(219.0)
    got = [(s.state, s.start - T0, s.end - T0) for s in store.spans(T0, T0 + 3600)]
    held = 98.0 + SLOWEST_INTERVAL
    assert got == [(G, 0.0, 100.0), (F, 100.0, pytest.approx(held)), (F, 218.0, 219.0)]


def test_live_runs_always_log_to_the_user_database(tmp_path, monkeypatch):
    import argparse

    from posture_guard import paths

    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path / "home"))
    args = argparse.Namespace(command="run")
    sinks = [s for s in cli.session_sinks(args, session(live=True)) if isinstance(s, StoreSink)]
    assert len(sinks) == 1
    sinks[0].on_decision(Decision(0.0, F))
    sinks[0].close(5.0)
    assert [(r[0], r[2] - r[1]) for r in rows(paths.database_file())] == [("forward_head", 5.0)]
    replay_args = argparse.Namespace(command="replay", db=None, start=None)
    replay_sinks = cli.session_sinks(replay_args, session(live=False))
    assert not any(isinstance(s, StoreSink) for s in replay_sinks)  # replays log only with --db


# --------------------------------------------------------------------------- what went wrong
def _error_of(action) -> sqlite3.Error:
    """The sqlite error a real action on a real file raises."""
    with pytest.raises(sqlite3.Error) as err:
        action()
    return err.value


def test_sqlite_errors_tell_a_file_that_cannot_be_used_from_a_damaged_one(db, tmp_path):
    """Only a damaged file may be set aside; one that cannot be opened or written, or is
    locked, holds sound data. Each error here is the one sqlite gives for the real case."""
    from posture_guard.store import ACCESS, DAMAGED, LOCKED, sqlite_problem

    Store.open(db).close()
    uri = db.resolve().as_uri()
    missing = (tmp_path / "no such folder" / "x.sqlite3").as_uri()
    cannot_open = _error_of(lambda: sqlite3.connect(f"{missing}?mode=ro", uri=True))
    ro = sqlite3.connect(f"{uri}?mode=ro", uri=True)
    read_only = _error_of(lambda: ro.execute("INSERT INTO checkins VALUES ('d', 'none', 0)"))
    ro.close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    waiter = sqlite3.connect(db, timeout=0, isolation_level=None)
    locked = _error_of(lambda: waiter.execute("BEGIN IMMEDIATE"))
    holder.execute("ROLLBACK")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all " * 200)
    not_a_db = _error_of(lambda: sqlite3.connect(junk).execute("PRAGMA user_version"))
    assert [sqlite_problem(e) for e in (cannot_open, read_only, locked, not_a_db)] == [
        ACCESS,
        ACCESS,
        LOCKED,
        DAMAGED,
    ]


@pytest.mark.parametrize("argv", [["summary"], ["headache", "add", "--intensity", "3"]])
def test_a_damaged_database_message_promises_nothing_the_command_did_not_do(db, capsys, argv):
    junk = b"this is not a database " * 200
    db.write_bytes(junk)
    assert cli.main([*argv, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and str(db) in err
    # the file stays where it was, and the message says so: it claims no copy kept aside
    assert db.read_bytes() == junk and not list(db.parent.glob("*.damaged-*"))
    assert "damaged-" not in err and "keeps it" not in err
    # nor a new database at a --db path once the file is moved: only replay and demo make one
    assert "a new one is started" not in err and "`replay --db`" in err


def test_a_damaged_database_of_the_users_own_is_started_anew_as_its_message_says(capsys):
    from posture_guard import paths

    junk = b"this is not a database " * 200
    paths.database_file().parent.mkdir(parents=True, exist_ok=True)
    paths.database_file().write_bytes(junk)
    assert cli.main(["summary"]) == 2
    assert "move or rename it" in capsys.readouterr().err
    paths.database_file().rename(paths.database_file().with_name("kept.sqlite3"))
    assert cli.main(["summary"]) == 0  # as it said: a new one is started


def _foreign_wal_beside(db: Path) -> Path:
    """Another program's database killed before its -wal was checkpointed, that -wal
    copied beside ``db`` (restored with another database, or left by one replaced)."""
    other = db.with_name("other.sqlite3")
    script = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')\n"
        "c.execute('CREATE TABLE notes(text)')\n"
        "c.executemany('INSERT INTO notes VALUES (?)', [('x' * 500,)] * 40)\n"
        "os._exit(0)  # killed: its pages are in its -wal alone\n"
    )
    subprocess.run([sys.executable, "-c", script, str(other)], check=True, timeout=60)
    wal = db.with_name(db.name + "-wal")
    shutil.copyfile(other.with_name(other.name + "-wal"), wal)
    return wal


def _diary_and_spans(db: Path) -> list[tuple]:
    """The headaches and spans of ``db`` read from the file alone (no -wal)."""
    uri = f"{db.resolve().as_uri()}?mode=ro&immutable=1"
    with closing(sqlite3.connect(uri, uri=True)) as con:
        return con.execute(
            "SELECT 'h', day, intensity FROM headaches "
            "UNION ALL SELECT state, start, end FROM spans"
        ).fetchall()


@pytest.mark.parametrize(
    "argv", [["summary"], ["headache", "list"], ["headache", "add", "--intensity", "2"]]
)
def test_another_databases_wal_beside_the_database_is_refused_and_the_record_kept(db, argv):
    """A -wal file of another database beside the user's was laid over it: the file read
    as schema version 0 with no table, the command made them anew, empty, and the posture
    log and diary were gone for good, with no word (`summary` said nothing was monitored)."""
    with Store.open(db) as store:
        store.add_spans([Span(G, T0, T0 + 600)])
    assert (
        cli.main(["headache", "add", "--intensity", "4", "--date", "2024-03-04", "--db", str(db)])
        == 0
    )
    Store.open(db).close()  # checkpointed: the record is in the file, the -wal gone
    record = _diary_and_spans(db)
    assert len(record) == 2
    wal = _foreign_wal_beside(db)
    done = posture_guard([*argv, "--db", str(db)], db.parent / "home", capture_output=True)
    assert done.returncode == 2, done.stdout
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1
    assert "another database's -wal file" in done.stderr
    assert f"move {wal} away (keep it)" in done.stderr and "Traceback" not in done.stderr
    assert wal.exists() and _diary_and_spans(db) == record
    wal.rename(db.with_name("kept-wal"))  # as the message says: then all is there
    with Store.open(db) as store:
        assert [(s.start, s.end) for s in store.spans(0, 2e10)] == [(T0, T0 + 600)]
        assert len(store.read("SELECT * FROM headaches")) == 1


def test_the_monitor_start_leaves_a_database_with_another_databases_wal_as_it_is(db):
    """The monitor's start neither sets the sound file aside as damaged nor lays the
    other database's pages over it."""
    from posture_guard.service import prepare_database

    with Store.open(db) as store:
        store.add_spans([Span(G, T0, T0 + 600)])
    record = _diary_and_spans(db)
    wal = _foreign_wal_beside(db)
    with pytest.raises(UserError, match="another database's -wal file"):
        prepare_database(db)
    assert not list(db.parent.glob("*.damaged-*")) and wal.exists()
    assert _diary_and_spans(db) == record


def _on_a_full_disk(db: Path, tmp_path: Path, commands: list[list[str]]) -> list[tuple]:
    """Run each posture_guard command (with ``--db``) on a copy of ``db`` on a filesystem
    of its own (a 512 KB tmpfs, mounted in a mount namespace) filled to the last block:
    (exit status, standard output, standard error) of each, then the file's rows."""
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        'mount -t tmpfs -o size=512k tmpfs "$1" || exit 99\n'
        'cp "$2" "$1/d.sqlite3"\n'
        'dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null\n'  # stops at ENOSPC: the disk full
        "shift 2; n=0\n"
        'for c in "$@"; do n=$((n + 1)); eval "$c" >"$OUT/$n.out" 2>"$OUT/$n.err"; '
        'echo $? >"$OUT/$n.rc"; done\n'
        'rm "$DISK/fill"; cp "$DISK/d.sqlite3" "$OUT/after.sqlite3"\n'
    )
    lines = [
        " ".join([sys.executable, "-m", "posture_guard", *c, "--db", str(disk / "d.sqlite3")])
        for c in commands
    ]
    env = {**os.environ, "OUT": str(tmp_path), "DISK": str(disk)}
    env["POSTURE_GUARD_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(disk), str(db), *lines],
        env=env,
        timeout=300,
        capture_output=True,
        text=True,
    )
    if done.returncode == 99 or "unshare" in done.stderr:
        pytest.skip(f"no filesystem of its own to fill here: {done.stderr.strip()}")
    results = [
        (
            int((tmp_path / f"{n}.rc").read_text()),
            (tmp_path / f"{n}.out").read_text(),
            (tmp_path / f"{n}.err").read_text(),
        )
        for n in range(1, len(commands) + 1)
    ]
    return [*results, _diary_and_spans(tmp_path / "after.sqlite3")]


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_a_full_disk_is_named_by_a_command_that_writes_and_a_reader_still_reads(db, tmp_path):
    """With no program having the database open (no -shm file), sqlite cannot make its
    -shm file on a full disk: every command, `headache list` and `summary` too, said
    "cannot open database F: disk I/O error", nothing saying the disk was full."""
    with Store.open(db) as store:
        store.add_spans([Span(G, T0, T0 + 600)])
    assert (
        cli.main(["headache", "add", "--intensity", "4", "--date", "2024-03-04", "--db", str(db)])
        == 0
    )
    record = _diary_and_spans(db)
    add, listed, summary, after = _on_a_full_disk(
        db,
        tmp_path,
        [
            ["headache", "add", "--intensity", "2"],
            ["headache", "list", "--from", "2024-03-01", "--to", "2024-03-10"],
            ["summary", "--date", "2024-03-04"],
        ],
    )
    assert add[0] == 2 and add[1] == "" and len(add[2].splitlines()) == 1
    assert "no space left: 0 KB free in " in add[2] and "make room and try again" in add[2]
    assert "disk I/O error" not in add[2] and "Traceback" not in add[2]
    assert listed[0] == 0 and "#1  2024-03-04  intensity 4" in listed[1], listed
    assert summary[0] == 0 and "monitored             10 min" in summary[1], summary
    assert after == record  # nothing recorded was lost, nothing half-added


@pytest.mark.parametrize("argv", [["summary"], ["headache", "add", "--intensity", "2"], ["status"]])
def test_a_database_linked_to_a_drive_not_mounted_is_named_so_and_nothing_made(tmp_path, argv):
    """The database kept on a drive (or in a folder) linked from the data folder: while
    the drive is not mounted, every command said only "cannot access the database F
    (unable to open database file)", and `status` "today: nothing logged yet"."""
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    drive = tmp_path / "media" / "usb"  # not mounted: not there
    link = home / "data" / "posture.sqlite3"
    link.symlink_to(drive / "posture.sqlite3")
    done = posture_guard(argv, home, capture_output=True)
    said = f"database {link} is a link to {drive / 'posture.sqlite3'}, which is not there"
    if argv == ["status"]:
        assert done.returncode == 0 and f"today: cannot read the log ({said}" in done.stdout
        assert "nothing logged yet" not in done.stdout
    else:
        assert done.returncode == 2 and said in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and "unable to open" not in done.stderr
        assert len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "media").exists() and link.is_symlink()


def _start_in_a_process(home: Path) -> subprocess.CompletedProcess[str]:
    """What the monitor's start does to the database (``service.prepare_database``),
    in a process of its own with ``home`` as POSTURE_GUARD_HOME: no connection of this
    one may keep its files open."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from posture_guard import paths, service\n"
            "service.prepare_database(paths.database_file())\n",
        ],
        env={**os.environ, "POSTURE_GUARD_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_monitor_start_sets_aside_the_damaged_file_a_link_names_not_the_link(tmp_path):
    """The database kept on another drive, linked from the data folder, damaged: the
    monitor's start moved the link aside as `posture.sqlite3.damaged-TIME` and made a new
    database in the data folder, the damaged file left on the drive under its old name
    (where the link no longer led). The file is set aside beside itself, the link stays,
    and the new database is made on the drive, through it."""
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    drive = tmp_path / "drive"
    drive.mkdir()
    link = home / "data" / "posture.sqlite3"
    real = drive / "posture.sqlite3"
    link.symlink_to(real)
    assert posture_guard(["headache", "add", "--intensity", "4"], home).returncode == 0
    damaged = b"not a database, not any more" + real.read_bytes()[28:]
    real.write_bytes(damaged)  # its header written over: sqlite cannot open it
    done = _start_in_a_process(home)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert [p.name for p in (home / "data").iterdir()] == [link.name]
    (kept,) = drive.glob("posture.sqlite3.damaged-*")
    assert f"it is kept as {kept} and a new one was started" in done.stderr
    assert kept.read_bytes() == damaged
    with Store.open(link) as store:  # the new database, on the drive
        assert store.read("SELECT COUNT(*) FROM headaches") == [(0,)]
    assert sorted(p.name for p in drive.iterdir()) == sorted([real.name, kept.name])


def _killed_with_its_wal(db: Path, home: Path) -> bytes:
    """A monitor's database with 200 spans checkpointed into the file and, its process
    killed before the next checkpoint, the changes after them in its -wal alone: 20
    spans added and 30 of the earlier ones' ends moved. The -wal's bytes."""
    script = (
        "import os, sys\n"
        "from posture_guard.states import PostureState as P\n"
        "from posture_guard.store import Span, Store\n"
        "with Store.open(sys.argv[1]) as s:\n"
        "    s.add_spans([Span(P.GOOD, 1000.0 + i * 10, 1005.0 + i * 10) for i in range(200)])\n"
        "s = Store.open(sys.argv[1])\n"
        "s.conn.execute('PRAGMA wal_autocheckpoint=0')\n"
        "s.write(lambda c: c.execute('UPDATE spans SET end = end + 1 WHERE id > 170'))\n"
        "s.add_spans([Span(P.FORWARD_HEAD, 9000.0 + i * 10, 9005.0 + i * 10) for i in range(20)])\n"
        "os._exit(0)  # killed: the last changes are in the -wal alone\n"
    )
    env = {**os.environ, "POSTURE_GUARD_HOME": str(home)}
    subprocess.run([sys.executable, "-c", script, str(db)], check=True, env=env, timeout=120)
    wal = db.with_name(db.name + "-wal")
    assert wal.stat().st_size > 4096
    return wal.read_bytes()


@pytest.mark.parametrize("damage", ["header written over", "a page written over", "emptied"])
def test_the_monitor_start_keeps_a_damaged_databases_wal_with_it_as_it_was(tmp_path, damage):
    """A monitor killed (its last changes in the -wal alone), then its database damaged.
    The start opened the file to write before setting it aside: closing, sqlite copied
    the -wal into the damaged file and removed it, so the file kept was not the one found
    damaged, and a file cut to nothing (0 bytes) had its -wal deleted unread and was not
    set aside at all (an empty file opens): the last posture was lost. Both are kept now,
    byte for byte, and the message says where."""
    home = tmp_path / "home"
    db = home / "data" / "posture.sqlite3"
    db.parent.mkdir(parents=True)
    wal = _killed_with_its_wal(db, home)
    data = bytearray(db.read_bytes())
    if damage == "header written over":
        data[:16] = b"not a database!!"
    elif damage == "a page written over":
        data[4096 * 3 : 4096 * 3 + 600] = b"\xaa" * 600
    else:
        data = bytearray()
    db.write_bytes(bytes(data))
    done = _start_in_a_process(home)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    kept = [p for p in db.parent.glob("posture.sqlite3.damaged-*") if "-" not in p.name[-4:]]
    assert len(kept) == 1, done.stderr
    (moved,) = kept
    moved_wal = moved.with_name(moved.name + "-wal")
    assert moved.read_bytes() == bytes(data)  # the file as it was found
    assert moved_wal.read_bytes() == wal  # and its -wal, with the last posture
    assert (
        f"the database {db} was damaged; it is kept as {moved}, its -wal file (its latest "
        f"changes) as {moved_wal}, and a new one was started"
    ) in done.stderr
    with Store.open(db) as store:  # a new, sound database took its place
        assert store.read("SELECT COUNT(*) FROM spans") == [(0,)]


@pytest.mark.parametrize("argv", [["summary"], ["headache", "add", "--intensity", "2"]])
def test_a_database_cut_to_nothing_is_refused_and_its_wal_kept(tmp_path, argv):
    """A database file cut to nothing beside the -wal of its latest changes: sqlite takes
    a file of 0 bytes for a new database and deleted that -wal at the first open, every
    command's, and `summary` said nothing was monitored. It is refused in one line, as a
    damaged file, and both files stay as they are."""
    home = tmp_path / "home"
    db = home / "data" / "posture.sqlite3"
    db.parent.mkdir(parents=True)
    wal = _killed_with_its_wal(db, home)
    db.write_bytes(b"")
    done = posture_guard(argv, home, capture_output=True)
    assert done.returncode == 2 and done.stdout == "", done.stdout
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert (
        f"database {db} is damaged: the file is empty (cut to nothing: a crash, or a copy cut "
        f"short?) and its -wal file {db}-wal holds its latest changes; move or rename both"
    ) in done.stderr
    assert db.read_bytes() == b"" and db.with_name(db.name + "-wal").read_bytes() == wal


@pytest.mark.parametrize("action", ["enable", "status"])
def test_autostart_keeps_the_wal_of_a_database_cut_to_nothing(
    tmp_path, pg_home, monkeypatch, capsys, action
):
    """`autostart enable` and `status` (of an entry that is on) ask whether a newer
    version wrote the database, read only; sqlite deleted the -wal of a file cut to
    nothing at that open, unread, read only as it was, and the posture in it was lost:
    the next `summary` said nothing was monitored. Both files are left as they are, for
    every other command to refuse and `run` to set aside."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    if action == "status":
        assert cli.main(["autostart", "enable", "--no-manager"]) == 0
    db = paths.database_file()
    db.parent.mkdir(parents=True, exist_ok=True)
    wal = _killed_with_its_wal(db, pg_home)
    db.write_bytes(b"")
    capsys.readouterr()
    assert cli.main(["autostart", action, "--no-manager"]) == 0
    said = capsys.readouterr().out
    assert "autostart: on" in said if action == "status" else "autostart enabled" in said
    assert db.read_bytes() == b"" and db.with_name(db.name + "-wal").read_bytes() == wal
    assert cli.main(["summary"]) == 2  # still refused as damaged, naming both files
    assert f"and its -wal file {db}-wal holds its latest changes" in capsys.readouterr().err


# --------------------------------------------------------------------------- the side file
def _good_line(start: float) -> bytes:
    return json.dumps(
        {
            "state": "good",
            "start": start,
            "end": start + 30,
            "profile": "p",
            "samples": 3,
            "metrics": {"fh": 1.5},
            "source": "t",
            "cut_off": 0,
        }
    ).encode()


@pytest.mark.parametrize(
    "damage",
    [
        b"\xff\xfe",  # not UTF-8 text at all
        b"{not json\n",
        b'{"state": "good", "start": NaN, "end": 1, "profile": "p", "samples": 1, '
        b'"metrics": {}}\n',  # sqlite would refuse it, and with it the whole file
        b'["a", "list"]\n',
        b'{"state": "good"',  # a last line cut short
    ],
)
def test_a_damaged_side_file_is_kept_aside_and_its_good_spans_are_added(db, capsys, damage):
    Store.open(db).close()
    pending = db.with_name(db.name + ".pending.jsonl")
    pending.write_bytes(_good_line(T0) + b"\n" + damage)
    store = Store.open(db)  # no crash: the database opens
    assert [(s.start - T0, s.seconds) for s in store.spans(0, 2e10)] == [(0.0, 30.0)]
    store.close()
    assert not pending.exists()
    kept = list(db.parent.glob(pending.name + ".damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == _good_line(T0) + b"\n" + damage
    err = capsys.readouterr().err
    assert str(pending) in err and str(kept[0]) in err and "line 2" in err
    Store.open(db).close()  # the next open neither complains nor adds the span again
    assert capsys.readouterr().err == "" and len(rows(db)) == 1


def test_a_folder_where_the_side_file_belongs_is_moved_aside(db, capsys):
    Store.open(db).close()
    pending = db.with_name(db.name + ".pending.jsonl")
    pending.mkdir()
    (pending / "note.txt").write_text("the user's own file")
    Store.open(db).close()
    kept = list(db.parent.glob(pending.name + ".damaged-*"))
    assert len(kept) == 1 and (kept[0] / "note.txt").read_text() == "the user's own file"
    assert str(pending) in capsys.readouterr().err
    # the sink can use the side file again when the database is locked
    store = Store.open(db)
    assert store.save_pending([Span(G, T0, T0 + 5)]) == pending and pending.is_file()
    store.close()


def test_a_new_side_file_has_its_folder_synced_after_it_is_made(db, fsynced):
    """The side file's own fsync puts its lines on the disk but not its name in the
    folder (POSIX), so a power cut could lose the whole file the monitor kept while the
    database was held. The folder was never synced; now it is, once the file is there,
    and only when the file is new (a line added later changes no name)."""
    store = Store.open(db)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    fsynced.clear()
    pending = store.save_pending([Span(G, T0, T0 + 5)])
    folder = db.parent.resolve()
    assert [p for p, _ in fsynced] == [pending.resolve(), folder]
    assert pending.name in fsynced[1][1]  # synced with the new name in it
    store.save_pending([Span(G, T0 + 5, T0 + 10)])
    assert [p for p, _ in fsynced].count(folder) == 1
    other.execute("ROLLBACK")
    other.close()
    store.close()


# --------------------------------------------------------------------------- --db
@pytest.mark.parametrize(
    "argv",
    [
        # commands that only read
        ["summary"],
        ["headache", "list"],
        ["report", "--csv", "{tmp}/out.csv"],
        ["report", "--therapist", "--pdf", "{tmp}/out.pdf", "--plan", "{plan}"],
        # commands that add to an existing record: a typo made a new database there
        # (folders and all) and the entry was saved where no summary or report looks
        ["headache", "add", "--intensity", "4"],
        ["headache", "edit", "1", "--intensity", "3"],
        ["headache", "delete", "1"],
        ["checkin", "--none"],
        ["checkin", "--headache", "--intensity", "5"],
        ["done", "chin_tuck"],
    ],
)
def test_a_command_on_a_db_that_is_not_there_refuses_it_and_creates_nothing(tmp_path, capsys, argv):
    plan = Path(__file__).resolve().parents[1] / "docs" / "plan-example.toml"
    typo = tmp_path / "nodir" / "sub.sqlite3"
    argv = [a.format(tmp=tmp_path, plan=plan) for a in argv]
    assert cli.main([*argv, "--db", str(typo)]) == 2
    err = capsys.readouterr().err
    assert f"--db {typo}: no posture_guard database is there" in err
    assert "replay --db" in err  # how one is made
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "nodir").exists()  # nothing was created
    assert not list(tmp_path.glob("out.*"))
    assert not paths.database_file().exists()  # nor put in the user's own instead


def test_a_command_that_adds_writes_to_an_existing_db_and_a_fresh_user_s_own(db):
    """(A guard: an existing --db, even one never logged to, takes the entry; without
    --db a fresh user's first entry makes their own database, before any monitor ran.)"""
    Store.open(db).close()
    assert cli.main(["headache", "add", "--intensity", "4", "--db", str(db)]) == 0
    assert cli.main(["checkin", "--none", "--date", "yesterday", "--db", str(db)]) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM headaches").fetchone() == (1,)
        assert conn.execute("SELECT COUNT(*) FROM checkins").fetchone() == (1,)
    assert not paths.database_file().exists()
    assert cli.main(["headache", "add", "--intensity", "5"]) == 0
    with sqlite3.connect(paths.database_file()) as conn:
        assert conn.execute("SELECT COUNT(*) FROM headaches").fetchone() == (1,)


def test_a_fresh_user_s_first_summary_says_nothing_was_monitored(db, capsys):
    """Without --db the user's own database may simply not exist yet: no error then."""
    assert cli.main(["summary"]) == 0
    assert "nothing was monitored" in capsys.readouterr().out


@pytest.mark.parametrize("start", ["0001-01-01T00:00", "9999-12-31T23:00", "1999-12-31T23:59"])
def test_a_start_outside_the_accepted_dates_is_one_line_exit_2_and_logs_nothing(db, capsys, start):
    """Year 1 crashed the replay ("year 0 is out of range") with its spans lost; year
    9999 was logged on days no report could reach."""
    rc = cli.main(["demo", "--db", str(db), "--start", start])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    from posture_guard.dates import EARLIEST_DAY, LATEST_DAY

    assert f"--start {start[:10]}" in err and f"{EARLIEST_DAY} to {LATEST_DAY}" in err
    if db.exists():
        store = Store.open(db)
        assert store.spans(-1e12, 1e13) == []
        store.close()


def test_a_start_still_to_come_is_refused_with_db_and_logs_nothing(db, capsys):
    """A mistyped year (2062 for 2026) logged the replay on days to come, which `report`
    then refused as "after today: nothing is recorded yet" while the database held them."""
    from datetime import datetime, timedelta

    # 10:00 two days on: still to come, and the demo's prompt not held back by the 17:30
    # check-in (the coach keeps 5 minutes between two notifications)
    later = (datetime.now() + timedelta(days=2)).replace(hour=10, minute=0)
    later = later.replace(second=0, microsecond=0)
    start = later.isoformat(timespec="minutes")
    from posture_guard.monitor import demo_stream_path

    replay = ["replay", "--landmarks", str(demo_stream_path()), "--calibrate-seconds", "20"]
    for argv in (["demo"], replay):
        rc = cli.main([*argv, "--db", str(db), "--start", start])
        err = capsys.readouterr().err
        assert rc == 2 and len(err.strip().splitlines()) == 1
        assert f"--start {later:%Y-%m-%d %H:%M} is in the future" in err
        assert not db.exists()
    # the same start without --db logs nothing either way: it only sets the prompts' times
    assert cli.main(["demo", "--start", start]) == 0
    assert "coach: Your head has drifted forward" in capsys.readouterr().out


def test_a_replay_into_a_database_logs_no_posture_after_now(db, capsys):
    """A start from which the stream runs on past now was taken, and no start at all
    meant now: `replay --db` logged the recording's minutes (or hours) still to come,
    which today's summary counted (and a day after today's, which no report takes)."""
    from datetime import datetime, timedelta

    from posture_guard.monitor import demo_stream_path

    stream = demo_stream_path()
    import gzip

    lines = gzip.open(stream, "rt").read().splitlines()
    length = json.loads(lines[-1])["t"]
    assert length > 300  # over 5 minutes: a start 3 minutes ago runs on past now
    replay = ["replay", "--landmarks", str(stream), "--calibrate-seconds", "20", "--quiet"]
    recent = (datetime.now() - timedelta(minutes=3)).replace(second=0, microsecond=0)
    rc = cli.main([*replay, "--db", str(db), "--start", recent.isoformat(timespec="minutes")])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert f"--start {recent:%Y-%m-%d %H:%M}: the replay would log posture up to" in err
    assert not db.exists()
    # without --start the recording is logged as ending now, all of it in the past
    assert cli.main([*replay, "--db", str(db)]) == 0
    now = datetime.now().timestamp()
    with Store.open(db) as store:
        spans = store.spans(-1e12, 1e13)
    assert spans and max(sp.end for sp in spans) <= now
    # all but the 20 s calibrated on, which are not monitoring
    assert sum(sp.end - sp.start for sp in spans) == pytest.approx(length - 20, abs=1.0)


class CountingStore(Store):
    """A real store that counts its write transactions (each one may wait for a lock)."""

    tries = 0

    def write(self, fn):
        self.tries += 1
        return super().write(fn)


def test_a_replay_on_a_locked_database_does_not_wait_once_per_10_s_of_stream(db):
    # A replay runs through its recording far faster than real time: 10 s of stream time
    # pass in milliseconds of wall time. Each commit try waits lock_timeout for the lock
    # (5 s by default), so retrying per 10 s of stream time made an 8-hour recording wait
    # 4 hours on a database another program held.
    store = CountingStore.open(db, lock_timeout=0.05)
    wall = FakeWall()
    sink = StoreSink(store, session(), wall_clock=wall)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    feed(sink, [G] * 300 + [F] * 300)  # 600 s of stream, no wall time passes
    assert store.tries == 1  # the first due commit failed; no retry before 10 s of wall time
    wall.now = 10.0
    sink.on_decision(Decision(600.0, F))
    assert store.tries == 2  # and then it does retry
    other.execute("ROLLBACK")
    other.close()
    sink.close(601.0)  # the lock is gone: everything is logged
    assert [(r[0], r[1] - T0, r[2] - T0) for r in rows(db)] == [
        ("good", 0.0, 300.0),
        ("forward_head", 300.0, 601.0),
    ]


class Stopped(Exception):
    """Raised by the test's own SIGTERM handler, were the replay to leave it in force."""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_replay_stopped_by_a_signal_logs_exactly_what_it_replayed(db, capsys, monkeypatch, sig):
    import os
    import signal

    from posture_guard import monitor

    def stopped(*_: object) -> None:
        raise Stopped()

    # stands in for Python's default at SIGTERM (end on the spot), which would end pytest
    previous = signal.signal(signal.SIGTERM, stopped)
    shown = monitor.ConsolePrinter.on_decision
    sent = []

    def user_stops_it(self, d):  # the user presses Ctrl-C (or the system sends SIGTERM)
        shown(self, d)
        if d.t >= 150 and not sent:
            sent.append(d.t)
            os.kill(os.getpid(), getattr(signal, sig))

    monkeypatch.setattr(monitor.ConsolePrinter, "on_decision", user_stops_it)
    stream = str(monitor.demo_stream_path())
    argv = ["replay", "--landmarks", stream, "--db", str(db), "--start", "2024-03-04T09:00"]
    try:
        try:
            rc = cli.main(argv)
        except (Stopped, KeyboardInterrupt):  # the replay did not end cleanly
            rc = None
        assert signal.getsignal(signal.SIGTERM) is stopped  # the handler in force is back
    finally:
        signal.signal(signal.SIGTERM, previous)
    out, err = capsys.readouterr()
    assert rc == 130
    assert "interrupted" in err and str(db) in err
    logged = sum(end - start for _, start, end, _ in rows(db))
    # the log ends where the replay stopped (a sample or so after the signal), and the
    # totals it printed count the same time
    assert sent[0] <= logged <= sent[0] + 5.0
    monitored = next(line for line in out.splitlines() if line.startswith("monitored "))
    assert monitored.split()[1].rstrip(";") == monitor.fmt_clock(logged)


class WaitWatchingStore(Store):
    """A real store that notes, at each write transaction, how long sqlite would wait
    there for another program's lock (its busy timeout, in ms)."""

    def write(self, fn):
        waits = self.__dict__.setdefault("waits", [])
        waits.append(self.conn.execute("PRAGMA busy_timeout").fetchone()[0])
        return super().write(fn)


def test_the_running_monitors_retries_of_a_held_database_do_not_wait_its_lock_timeout(db):
    """Once the database refused a commit, the spans go to the side file at each flush:
    the retry every 10 s waits only a moment for the lock, so the loop goes on reading
    frames (each retry waited the whole lock timeout, 5 s in which no frame was read),
    and nothing is lost or doubled."""
    store = WaitWatchingStore.open(db, lock_timeout=0.5)
    wall = FakeWall()
    sink = StoreSink(store, session(live=True), wall_clock=wall)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    feed(sink, [G] * 12)  # the commit due at 10 s is refused, after the full wait
    assert store.waits == [500]
    for t in range(12, 60):
        wall.now = float(t)  # real time passes as the stream does: a retry per 10 s
        sink.on_decision(Decision(float(t), G))
    retries = store.waits[1:]
    assert len(retries) >= 4
    assert all(ms <= RETRY_LOCK_TIMEOUT * 1000 for ms in retries)
    assert "locked" in str(sink.last_error)
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 500  # back after each
    other.execute("ROLLBACK")
    other.close()
    wall.now = 100.0
    sink.on_decision(Decision(60.0, G))  # the retry after the lock went: all taken in
    assert not db.with_name(db.name + ".pending.jsonl").exists()
    sink.close(61.0)
    assert store.waits[-1] == 500  # free again, a commit waits for a lock as long as ever
    spans = kept(db)
    assert joined(spans) == [("good", 0.0, 61.0)]
    assert sum(s.seconds for s in spans) == pytest.approx(61.0)


def _remove_database(db: Path) -> None:
    for f in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        f.unlink(missing_ok=True)


def test_a_database_removed_while_the_monitor_logs_is_started_anew_not_written_unseen(db):
    """The user removes the database to start afresh while the monitor runs: sqlite went
    on writing the removed file through its open handle, so the rest of the day's posture
    (and the coach's events) went where nothing can read them, without a word. Now the
    next write opens a new database at the path and logs there what came after the last
    commit."""
    store = Store.open(db)
    wall = FakeWall()
    sink = StoreSink(store, session(live=True), wall_clock=wall)
    feed(sink, [G] * 25)  # committed at 10 and 20 s; the open span's row ends at 20
    _remove_database(db)
    store.log_event("alert", T0 + 25, {"why": "test"})  # the coach writes first
    for t in range(25, 60):
        sink.on_decision(Decision(float(t), F if t >= 40 else G))
    sink.close(60.0)
    assert [(s, a - T0, b - T0) for s, a, b, _ in rows(db)] == [
        ("good", 20.0, 40.0),
        ("forward_head", 40.0, 60.0),
    ]
    with Store.open(db) as again:
        assert [e.kind for e in again.events(T0, T0 + 100)] == ["alert"]


def test_a_database_replaced_by_a_copy_while_the_monitor_logs_gets_what_followed(db):
    """A backup restored over the database while the monitor runs: what follows the last
    commit goes into the restored file (it went into the replaced one, gone), and no time
    the copy already holds is logged twice."""
    store = Store.open(db)
    wall = FakeWall()
    sink = StoreSink(store, session(live=True), wall_clock=wall)
    for t in range(0, 15):
        sink.on_decision(Decision(float(t), G))  # committed at 10 s
    copy = db.with_name("copy.sqlite3")
    with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(copy)) as dst:
        src.backup(dst)  # the copy holds the open span's row as it was at 10 s
    for t in range(15, 25):
        sink.on_decision(Decision(float(t), G))  # committed at 20 s (into the old file)
    _remove_database(db)
    copy.rename(db)
    for t in range(25, 40):
        sink.on_decision(Decision(float(t), G))
    sink.close(40.0)
    spans = [(s, a - T0, b - T0) for s, a, b, _ in rows(db)]
    assert spans == [("good", 0.0, 10.0), ("good", 20.0, 40.0)]


def _long_day(sink: StoreSink, store: Store, first: int, last: int) -> None:
    """Decisions from ``first`` to ``last`` s, and events: enough pages that the WAL holds
    some and the file others (the database of a monitor that has run for a while)."""
    for t in range(first, last):
        sink.on_decision(Decision(float(t), G if (t // 7) % 2 else F))
    for i in range(40):
        store.log_event("alert", T0 + first + i, {"i": i, "note": "x" * 200})


@pytest.mark.parametrize("linked", [False, True], ids=["file", "link"])
@pytest.mark.parametrize("how", ["moved over it", "copied into it"])
def test_a_backup_restored_while_the_monitor_logs_stays_readable_and_gets_what_followed(
    db: Path, how: str, linked: bool
) -> None:
    """A backup of the morning restored over the database while the monitor runs, by
    `mv backup posture.sqlite3` (another file at the path) or `cp backup posture.sqlite3`
    (the same file overwritten), the monitor's -wal file left beside it as the user does.
    That -wal held the monitor's latest pages of the old file: sqlite laid them over the
    restored one (read through them, wrote them into it), and the database could no
    longer be read at all ("database disk image is malformed"), the backup with it. Now
    the restored file is taken as it is and what follows the last flush is logged in it.

    The database path a link to the file on another drive, the backup restored there:
    the monitor's -wal was looked for beside the link, where sqlite never puts it, and
    was laid over the copy all the same; a copy written in place moved the link aside
    and not the file."""
    real = db
    if linked:
        real = db.parent / "drive" / db.name
        real.parent.mkdir()
        db.symlink_to(real)
    store = Store.open(db)
    # sqlite copies the -wal file into the database every 1,000 pages written; here
    # sooner, so that a short day does what a monitor's does
    store.conn.execute("PRAGMA wal_autocheckpoint = 20")
    sink = StoreSink(store, session(live=True), wall_clock=FakeWall())
    _long_day(sink, store, 0, 1000)
    backup = db.with_name("backup.sqlite3")
    with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(backup)) as dst:
        src.backup(dst)  # the morning's backup: 0..1000 s
    _long_day(sink, store, 1000, 3100)  # the latest pages are in the -wal file only
    assert real.with_name(real.name + "-wal").stat().st_size > 0
    if how == "moved over it":
        os.replace(shutil.copyfile(backup, real.with_name("restore.tmp")), real)
    else:
        shutil.copyfile(backup, real)
        with pytest.raises(UserError, match="is being overwritten"):  # may be under way
            store.log_event("praise", T0 + 3100)
        old = time.time() - 10  # done copying a while before the next flush
        os.utime(real, (old, old))
    for t in range(3100, 3200):
        sink.on_decision(Decision(float(t), G))
    store.log_event("praise", T0 + 3150)
    sink.close(3200.0)
    store.close()
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        ends = con.execute("SELECT MAX(end) FROM spans WHERE end <= ?", (T0 + 1000,))
        assert ends.fetchone()[0] - T0 >= 990  # the backup's morning
        kinds = con.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind").fetchall()
        assert sorted(kinds) == [("alert", 40), ("praise", 1)]  # the backup's, and the new
        later = con.execute("SELECT MIN(start), MAX(end) FROM spans WHERE start > ?", (T0 + 1000,))
        # from the last flush before the restore (one every 10 s here) on
        assert [round(x - T0) for x in later.fetchone()] == [3090, 3200]
    assert store.reopened == 1
    if linked:  # the link and the file as they were, nothing left beside the file
        assert db.is_symlink() and [p.name for p in real.parent.iterdir()] == [db.name]


def test_another_programs_writes_and_the_monitors_own_close_are_no_restore(db: Path) -> None:
    """What changes the database file besides a restore: another program's commit (and
    its checkpoint), and the monitor's own checkpoint when its store closes and a late
    coach event opens it again. None of them is taken for a file copied over it."""
    store = Store.open(db)
    sink = StoreSink(store, session(live=True), wall_clock=FakeWall())
    _long_day(sink, store, 0, 500)
    with Store.open(db) as other:  # `posture-guard done`, say
        other.log_event("exercise_done", T0 + 500)
        other.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _long_day(sink, store, 500, 600)
    sink.close(600.0)
    store.close()  # the last connection: checkpoints into the file
    store.log_event("praise", T0 + 601)  # opened again for it
    store.close()
    assert store.reopened == 0
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        kinds = dict(con.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind").fetchall())
        assert kinds == {"alert": 80, "exercise_done": 1, "praise": 1}


@pytest.mark.parametrize(
    "argv",
    [["summary", "--date", "2024-03-04"], ["report", "--csv", "-"]],
)
def test_a_database_damaged_inside_is_named_with_what_to_do(db, argv):
    """A file that opens but is damaged inside (bytes overwritten on a page) was told
    only "database F could not be read: database disk image is malformed", where one
    that does not open is told what to do: move it aside, kept for a recovery tool."""
    with Store.open(db) as store:
        store.add_spans([Span(G, T0 + 60 * i, T0 + 60 * i + 60) for i in range(200)])
    with closing(sqlite3.connect(db)) as conn:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'spans'").fetchone()
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    with open(db, "r+b") as fh:  # the spans' root page overwritten past its header
        fh.seek((root[0] - 1) * page + 8)
        fh.write(os.urandom(200))
    damaged = db.read_bytes()
    done = posture_guard([*argv, "--db", str(db)], db.parent / "home", capture_output=True)
    assert done.returncode == 2 and done.stdout == "", done.stdout
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert f"database {db} is damaged" in done.stderr, done.stderr
    assert "keep the file if it is a database of yours (a recovery tool" in done.stderr
    assert db.read_bytes() == damaged  # left as it is


def test_the_databases_own_wal_after_a_vacuum_is_not_taken_for_another_databases(db):
    """A VACUUM by another program while the monitor holds the database leaves the
    tables at new root pages in the -wal, not yet in the file: that -wal is its own."""
    with Store.open(db) as store:
        store.add_spans([Span(G, T0 + 60 * i, T0 + 60 * i + 60) for i in range(300)])
        store.write(lambda conn: conn.execute("DELETE FROM spans WHERE id % 2 = 0"))
    monitor = Store.open(db)  # holds the -wal open, so the VACUUM's pages stay in it
    try:
        monitor.read("SELECT 1")
        with closing(sqlite3.connect(db, isolation_level=None)) as other:
            other.execute("PRAGMA wal_autocheckpoint = 0")
            other.execute("VACUUM")
        assert cli.main(["headache", "add", "--intensity", "3", "--db", str(db)]) == 0
        assert len(monitor.spans(0, 2e10)) == 150
    finally:
        monitor.close()


def _linked_database(tmp_path: Path) -> tuple[Path, Path]:
    """The database kept on another drive and linked from where --db names it: (the link,
    the file it names), the database made with its tables."""
    (tmp_path / "data").mkdir()
    (tmp_path / "drive").mkdir()
    real = tmp_path / "drive" / "posture.sqlite3"
    link = tmp_path / "data" / "posture.sqlite3"
    link.symlink_to(real)
    Store.open(link).close()
    return link, real


def test_spans_kept_aside_of_a_linked_database_go_beside_the_file_it_names(tmp_path):
    """A demo logged through a link to a database on another drive while another program
    held it kept its spans in `posture.sqlite3.pending.jsonl` beside the link, away from
    the data: an open of the file itself (`summary --db` the drive's path) never took
    them in and said nothing was monitored. They are kept beside the file, and read."""
    link, real = _linked_database(tmp_path)
    holder = sqlite3.connect(real, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program's long write
    try:
        done = posture_guard(
            ["demo", "--db", str(link), "--start", "2026-11-02T09:00"],
            tmp_path / "home",
            capture_output=True,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    kept = real.with_name(real.name + ".pending.jsonl")
    assert done.returncode == 0 and f"were kept in {kept} and will be added" in done.stderr
    assert kept.exists() and sorted(p.name for p in link.parent.iterdir()) == [link.name]
    summary = posture_guard(
        ["summary", "--db", str(real), "--date", "2026-11-02"],
        tmp_path / "home",
        capture_output=True,
    )
    assert summary.returncode == 0 and "nothing was monitored" not in summary.stdout
    assert not kept.exists()


def test_a_side_file_an_older_version_left_beside_the_link_is_still_taken_in(tmp_path):
    """An older version kept the spans beside the link: opened through the link, they
    are taken in as before, and the file removed."""
    link, real = _linked_database(tmp_path)
    old = link.with_name(link.name + ".pending.jsonl")
    old.write_bytes(_good_line(T0) + b"\n" + _good_line(T0 + 30) + b"\n")
    done = posture_guard(
        ["summary", "--db", str(link), "--date", START.date().isoformat()],
        tmp_path / "home",
        capture_output=True,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "monitored             1 min" in done.stdout, done.stdout
    assert not old.exists()
    with Store.open(real) as store:
        assert [(s.start, s.end) for s in store.spans(0, 2e10)] == [(T0, T0 + 60)]
