"""A replay into a database cut short (kill -9, Ctrl-C) and run again: the rerun finishes
the log, no minute logged twice, the log then as one uninterrupted replay's.

Real processes, killed while they write, and real SQLite files: the state a rerun meets is
what a kill leaves on the disk (the spans up to the last commit), not one a test builds.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Callable

import pytest

from posture_guard.monitor import demo_stream_path, logged_hours
from posture_guard.store import Store, parse_pending
from posture_guard.stream import load_stream, write_stream
from tests.cli_run import posture_guard, posture_guard_ok

REPO = Path(__file__).resolve().parents[1]
START = "2026-11-30T08:00"
#: the replays coach too, printing their prompts
COACHED = ["--quiet", "--notify", "--notifier", "print", "--start", START]


def _home(folder: Path) -> Path:
    """A home whose coach prompts a break after 10 min sitting: at 10 min, before the
    replays below are stopped, and again after."""
    (folder / "config").mkdir(parents=True, exist_ok=True)
    (folder / "config" / "config.toml").write_text(
        '[coach]\nbreak_after_s = "10m"\n', encoding="utf-8"
    )
    return folder


@pytest.fixture(scope="module")
def long_stream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled demo stream played 8 times end to end: 55 min of stream, some 10 s
    to replay, long enough to be stopped half-way."""
    header, samples = load_stream(demo_stream_path())
    length = samples[-1].t + 0.2
    path = tmp_path_factory.mktemp("streams") / "long.jsonl"
    write_stream(path, header, [replace(s, t=s.t + k * length) for k in range(8) for s in samples])
    return path


def _events(db: Path) -> list[tuple[float, str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT at, kind, payload FROM events ORDER BY at, id").fetchall()


def _spans(db: Path) -> list[tuple[str, float, float, float]]:
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT state, start, end, cut_off FROM spans ORDER BY start, id")
        return rows.fetchall()


def _logged_seconds(db: Path) -> float:
    """How far the log reaches past its first span (read beside a running replay)."""
    try:
        with closing(sqlite3.connect(db)) as conn:
            row = conn.execute("SELECT max(end) - min(start) FROM spans").fetchone()
    except sqlite3.OperationalError:  # no spans table yet
        return 0.0
    return row[0] or 0.0


def _aside_seconds(db: Path) -> float:
    """How far the spans waiting in the database's side file reach past the first."""
    try:
        spans, _ = parse_pending(db.with_name(db.name + ".pending.jsonl").read_bytes())
    except OSError:
        return 0.0
    return max(s.end for s in spans) - min(s.start for s in spans) if spans else 0.0


def _stopped_half_way(
    argv: list[str],
    db: Path,
    home: Path,
    sig: int,
    reach: Callable[[Path], float] = _logged_seconds,
) -> tuple[int, str]:
    """``posture-guard ARGV`` sent ``sig`` once its log reaches 15 minutes of the stream
    (committed: a kill -9 keeps it; ``reach``: how far, the database by default); its
    exit status and standard error."""
    env = {**os.environ, "POSTURE_GUARD_HOME": str(home), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "posture_guard", *argv],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while reach(db) < 900 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the replay ended before it could be stopped half-way"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def _by_state(spans: list[tuple[str, float, float, float]]) -> dict[str, float]:
    """Seconds logged in each state, and of them cut off by the frame edge."""
    out: dict[str, float] = {}
    for state, start, end, cut in spans:
        out[state] = out.get(state, 0.0) + end - start
        out[f"{state}, cut off"] = out.get(f"{state}, cut off", 0.0) + cut
    return out


def _as_one_replay(spans: list[tuple[str, float, float, float]], whole: Path) -> None:
    """``spans`` tile the time with no minute twice, as the uninterrupted replay's do."""
    assert all(b[1] >= a[2] - 1e-6 for a, b in zip(spans, spans[1:]))  # none overlaps
    once = _spans(whole)
    assert spans[0][1] == once[0][1] and spans[-1][2] == pytest.approx(once[-1][2], abs=1e-6)
    assert _by_state(spans) == pytest.approx(_by_state(once), abs=1e-3)


@pytest.fixture(scope="module")
def whole(long_stream: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same replay, not stopped."""
    folder = _home(tmp_path_factory.mktemp("whole"))
    db = folder / "whole.sqlite3"
    posture_guard_ok(["replay", "--landmarks", str(long_stream), "--db", str(db), *COACHED], folder)
    return db


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill -9", "Ctrl-C"])
def test_a_replay_cut_short_and_run_again_finishes_its_log(
    long_stream: Path, whole: Path, tmp_path: Path, sig: int
) -> None:
    """Run again, a replay killed half-way was refused as "already holds posture logged
    from 08:00:00 to 08:16:50", though it had logged a fifth of its time, and given
    another --start, as the refusal says, it logged that fifth twice. Its coach's
    prompts too: their events are logged once, and those the first run showed are not
    shown again."""
    db = tmp_path / "log.sqlite3"
    argv = ["replay", "--landmarks", str(long_stream), "--db", str(db), *COACHED]
    status, err = _stopped_half_way(argv, db, _home(tmp_path), sig)
    cut = _spans(db)
    prompted = _events(db)
    assert prompted  # the break at 10 min
    assert cut and cut[-1][2] < _spans(whole)[-1][2] - 60  # half-way
    if sig == signal.SIGINT:
        assert status == 130 and "(the same command again logs the rest)" in err
    else:
        assert status == -signal.SIGKILL
    out = posture_guard_ok(argv, tmp_path)
    assert out.startswith(f"note: --db {db} holds 2026-11-30 08:00:00 to ")
    assert "logged by a run of it that stopped there (killed, Ctrl-C, or the input" in out
    spans = _spans(db)
    assert spans[: len(cut) - 1] == cut[:-1]  # what it logged is kept as it was
    _as_one_replay(spans, whole)
    assert _events(db) == _events(whole)
    shown = [line for line in out.splitlines() if "] coach: Time for a short break" in line]
    breaks = [e for e in _events(whole) if e[1] == "break_prompted"]
    before = [e for e in breaks if e[0] < cut[-1][2]]  # shown by the first run, logged
    assert before and len(shown) == len(breaks) - len(before) > 0
    # the last line names the hours this run logged: from where the first one stopped
    last = out.strip().splitlines()[-1]
    t0 = datetime.fromisoformat(START).timestamp()
    hours = logged_hours(cut[-1][2], t0 + round(spans[-1][2] - t0))
    assert last.startswith(f"logged to {db}: {hours} (")
    # and once whole, a replay of the same time is refused as before
    again = posture_guard(argv, tmp_path, capture_output=True)
    assert again.returncode == 2 and "already holds posture logged from" in again.stderr
    assert _spans(db) == spans


def test_a_replay_with_a_states_file_cut_short_asks_for_force_to_log_the_rest(
    long_stream: Path, tmp_path: Path
) -> None:
    """Ctrl-C's line said "the same command again logs the rest", which, its --states-out
    file there now, is refused as existing: it names --force for that file, and the
    command run so logs the rest."""
    db, states = tmp_path / "log.sqlite3", tmp_path / "states.jsonl"
    argv = ["replay", "--landmarks", str(long_stream), "--db", str(db), *COACHED]
    argv += ["--states-out", str(states)]
    status, err = _stopped_half_way(argv, db, _home(tmp_path), signal.SIGINT)
    assert status == 130, err
    assert f"(the same command again, with --force for --states-out {states}, logs the rest)" in err
    again = posture_guard(argv, tmp_path, capture_output=True)
    assert again.returncode == 2
    assert (
        f"--states-out {states} already exists; choose another name or add --force" in again.stderr
    )
    cut = _spans(db)
    posture_guard_ok([*argv, "--force"], tmp_path)
    assert _spans(db)[-1][2] > cut[-1][2] + 60  # the rest logged


def test_a_replay_without_start_cut_short_is_finished_at_the_time_it_began(
    long_stream: Path, whole: Path, tmp_path: Path
) -> None:
    """Without --start a replay is logged as ending now: run again, the one killed
    half-way was logged anew at the new now, its first part twice in the day's log (or
    refused, run soon enough for the two times to overlap)."""
    db = tmp_path / "log.sqlite3"
    argv = ["replay", "--landmarks", str(long_stream), "--quiet", "--db", str(db)]
    _stopped_half_way(argv, db, tmp_path, signal.SIGKILL)
    cut = _spans(db)
    time.sleep(1.0)  # a new "now"
    out = posture_guard_ok(argv, tmp_path)
    assert "logs what follows; give --start to log it at another time" in out
    spans = _spans(db)
    assert spans[0] == cut[0]  # finished where it began, not at a new time
    assert all(b[1] >= a[2] - 1e-6 for a, b in zip(spans, spans[1:]))
    moved = spans[0][1] - _spans(whole)[0][1]  # that replay ran from START
    shifted = [(s, a - moved, b - moved, c) for s, a, b, c in spans]
    assert _by_state(shifted) == pytest.approx(_by_state(_spans(whole)), abs=1e-3)


def test_a_replay_cut_short_while_its_database_is_held_is_finished_at_the_time_it_began(
    long_stream: Path, whole: Path, tmp_path: Path
) -> None:
    """A replay stopped half-way while another program held its database keeps what it
    logged in the side file. Run again without --start while that program still held it,
    the check for a run cut short read the database alone: the rerun was logged anew,
    ending now, its first part a second time (the day's total longer than the
    recording). The spans waiting in the side file count as logged: the rerun finishes
    that log, which, taken in once the database is free, is one uninterrupted replay's."""
    db = tmp_path / "log.sqlite3"
    Store.open(db).close()
    argv = ["replay", "--landmarks", str(long_stream), "--quiet", "--db", str(db)]
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program's long write
    try:
        status, _ = _stopped_half_way(argv, db, tmp_path, signal.SIGINT, _aside_seconds)
        assert status == 130
        time.sleep(1.0)  # a new "now"
        again = posture_guard(argv, tmp_path, capture_output=True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert again.returncode == 0, again.stderr
    assert "logs what follows; give --start to log it at another time" in again.stdout
    Store.open(db).close()  # takes the side file in
    spans = _spans(db)
    assert all(b[1] >= a[2] - 1e-6 for a, b in zip(spans, spans[1:]))
    moved = spans[0][1] - _spans(whole)[0][1]  # that replay ran from START
    shifted = [(s, a - moved, b - moved, c) for s, a, b, c in spans]
    assert _by_state(shifted) == pytest.approx(_by_state(_spans(whole)), abs=1e-3)


def test_a_calibrated_replay_without_start_cut_short_is_finished_from_its_own_start(
    long_stream: Path, tmp_path: Path
) -> None:
    """Calibrating on its first 10.1 s, a replay's first decision is on the next frame,
    at 10.2 s: the start found for the rerun was taken as 0.1 s after the run's own
    (ending now gives whole seconds), and the rest of the replay logged 0.1 s off."""
    db = tmp_path / "log.sqlite3"
    argv = ["replay", "--landmarks", str(long_stream), "--quiet", "--db", str(db),
            "--calibrate-seconds", "10.1"]  # fmt: skip
    _stopped_half_way(argv, db, tmp_path, signal.SIGKILL)
    cut = _spans(db)
    own = datetime.fromtimestamp(round(cut[0][1] - 10.2)).astimezone()
    out = posture_guard_ok(argv, tmp_path)
    assert f"from the same --start {own.isoformat(timespec='seconds')}, logs what" in out
    spans = _spans(db)
    assert all(b[1] >= a[2] - 1e-6 for a, b in zip(spans, spans[1:]))
    last_t = load_stream(long_stream)[1][-1].t
    assert spans[-1][2] == pytest.approx(own.timestamp() + last_t, abs=1e-6)


def test_a_video_damaged_half_way_replayed_again_logs_nothing_more_and_says_so(
    tmp_path: Path,
) -> None:
    """A video damaged half-way logs up to the damage, every time: replayed again, it
    was taken for a run cut short, said to log the rest, and named hours it had not
    logged ("logged to F: 09:00:03 to 09:00:04")."""
    from tests.test_cli import _mp4_damaged_after_its_start

    _, damaged = _mp4_damaged_after_its_start(tmp_path)
    db = tmp_path / "log.sqlite3"
    argv = ["replay", "--video", str(damaged), "--quiet", "--db", str(db), "--start", START]
    posture_guard_ok(argv, tmp_path)
    logged = _spans(db)
    out = posture_guard_ok(argv, tmp_path)
    assert _spans(db) == logged
    t0 = datetime.fromisoformat(START).timestamp()
    hours = logged_hours(t0, round(logged[-1][2]))
    last = out.strip().splitlines()[-1]
    assert last == (
        f"nothing more logged to {db}: it held all this replay could log ({hours}; the "
        "input ends there, or its time is logged already)"
    )
