"""snooze / pause / resume / status through the CLI, the control file, and the back-off."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from posture_guard import cli, control, service
from posture_guard.coach import CoachSettings, CoachSink
from posture_guard.control import Backoff, ControlPoller, Heartbeat, parse_duration
from posture_guard.errors import UserError
from posture_guard.notify import PrintingNotifier
from posture_guard.sinks import SessionInfo
from posture_guard.states import Decision, PostureState


@pytest.mark.parametrize(
    "text, seconds",
    [("30m", 1800), ("1h", 3600), ("1h30m", 5400), ("90s", 90), ("1.5h", 5400), (" 2 m ", 120)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["30", "", "soon", "0m", "-5m", "30x", "m30", "1h 30"])
def test_durations_that_are_not_are_user_errors(text):
    with pytest.raises(UserError) as info:
        parse_duration(text, "snooze duration")
    assert "snooze duration" in str(info.value)


@pytest.mark.parametrize(
    ("asked", "said"),
    [("90s", "1 min 30 s"), ("1h30s", "1 h 30 s"), ("45s", "45 s"), ("2h", "2 h")],
)
def test_snooze_repeats_the_duration_asked_for(capsys, asked, said):
    # "snooze 90s" answered "snoozed for 1 min": the seconds of a minute or more were dropped
    before = time.time()
    assert cli.main(["snooze", asked]) == 0
    state = control.read_control()
    assert state.snooze_until is not None
    assert before + parse_duration(asked, "x") <= state.snooze_until
    assert f"Coaching snoozed for {said}, until" in capsys.readouterr().out


def test_snooze_pause_resume_write_the_control_file(capsys):
    before = time.time()
    assert cli.main(["snooze", "30m"]) == 0
    state = control.read_control()
    assert state.snooze_until is not None
    assert before + 1800 <= state.snooze_until <= time.time() + 1800
    assert not state.paused
    out = capsys.readouterr().out
    assert "snoozed for 30 min" in out and "No monitor is running" in out

    assert cli.main(["pause"]) == 0
    state = control.read_control()
    assert state.paused and state.paused_at is not None
    assert state.snooze_until is not None  # pause keeps the snooze; resume clears both

    assert cli.main(["resume"]) == 0
    state = control.read_control()
    assert (state.paused, state.snooze_until) == (False, None)
    # atomic writes leave no temporary files behind (only the file and its lock)
    names = sorted(p.name for p in control.control_file().parent.iterdir())
    assert names == ["control.json", "control.lock"]


@pytest.mark.parametrize("argv", [["snooze", "30m"], ["pause"], ["resume"]])
def test_the_control_file_s_folder_is_synced_after_the_file_is_renamed_in(fsynced, argv):
    """The control file is written beside, synced and renamed over the old one; the
    rename lives in the folder, which was never synced, so a power cut could bring the
    old state (or none) back. Now the folder is synced after the rename."""
    folder = control.control_file().parent
    assert cli.main(argv) == 0
    synced = [names for p, names in fsynced if p == folder.resolve()]
    assert synced and control.CONTROL_NAME in synced[-1]
    assert not [n for n in synced[-1] if n.endswith(".tmp")]  # the rename was done


def test_status_reports_pause_and_snooze(capsys):
    cli.main(["status"])
    out = capsys.readouterr().out
    # (other areas append their own lines: camera, today's totals)
    assert out.splitlines()[:2] == ["monitor: not running", "coaching: active"]
    cli.main(["snooze", "1h"])
    capsys.readouterr()
    cli.main(["status"])
    out = capsys.readouterr().out
    assert "coaching: snoozed until" in out
    assert "(1 h left)" in out or "(59 min left)" in out
    cli.main(["pause"])
    capsys.readouterr()
    cli.main(["status"])
    assert "coaching: paused since" in capsys.readouterr().out


@pytest.mark.parametrize(
    "remaining, said", [(5400 - 2, "1 h 30 min"), (90 * 60 + 30, "1 h 31 min"), (45, "45 s")]
)
def test_a_snooze_counts_down_by_the_minute_begun(remaining, said):
    # `snooze 1h30m` said "snoozed for 1 h 30 min", and `status` a second later
    # "1 h 29 min left": a snooze shorter than the one asked for
    now = 1_800_000_000.0
    st = control.Status(
        running=False,
        heartbeat=None,
        control=control.ControlState(snooze_until=now + remaining),
        now=now,
    )
    (line,) = [x for x in st.lines() if x.startswith("coaching:")]
    assert line.endswith(f"({said} left)")


def test_a_snooze_or_pause_on_another_day_names_its_date(capsys):
    # `snooze 24h` at 21:56 said "until 21:56", and a pause of three days ago "paused
    # since 21:47": a clock time alone reads as today's
    assert cli.main(["snooze", "24h"]) == 0
    until = datetime.fromtimestamp(control.read_control().snooze_until)
    if until.date() != datetime.now().date():  # (the 25-hour day of a DST change aside)
        assert f"until {until:%Y-%m-%d %H:%M}." in capsys.readouterr().out
        assert cli.main(["status"]) == 0
        assert f"coaching: snoozed until {until:%Y-%m-%d %H:%M} (" in capsys.readouterr().out
    assert cli.main(["snooze", "1m"]) == 0  # today's moment keeps its short form
    soon = datetime.fromtimestamp(control.read_control().snooze_until)
    if soon.date() == datetime.now().date():  # (not a minute before midnight)
        assert f"until {soon:%H:%M}." in capsys.readouterr().out
    paused = time.time() - 3 * 86400
    control.pause(now_epoch=paused)
    capsys.readouterr()
    assert cli.main(["status"]) == 0
    since = datetime.fromtimestamp(paused)
    assert f"coaching: paused since {since:%Y-%m-%d %H:%M} (" in capsys.readouterr().out


def test_pause_while_paused_or_snoozed_says_so(capsys):
    """A second `pause` repeated "Coaching paused until ..." as if the pause had just
    begun; it keeps the first one's start, and now says it was already paused since then.
    A `pause` during a snooze (typed, or a notification's button the running monitor
    reports) says the snooze it outlasts."""
    first = time.time() - 3600
    control.pause(now_epoch=first)
    assert cli.main(["pause"]) == 0
    out = capsys.readouterr().out
    since = control.clock_text(first, time.time())
    assert out.startswith(f"Coaching was already paused since {since}; it stays paused until")
    assert control.read_control().paused_at == first  # the pause's start is kept

    assert cli.main(["resume"]) == 0
    capsys.readouterr()
    assert cli.main(["pause"]) == 0  # a pause from nothing is as before
    assert (
        capsys.readouterr().out.splitlines()[0] == "Coaching paused until `posture-guard resume`."
    )

    assert cli.main(["snooze", "10m"]) == 0
    until = control.clock_text(control.read_control().snooze_until, time.time())
    capsys.readouterr()
    assert cli.main(["pause"]) == 0
    assert capsys.readouterr().out.startswith(
        f"Coaching paused until `posture-guard resume` (it was snoozed until {until}; "
    )

    assert cli.main(["resume"]) == 0
    now = time.time()
    beat = Heartbeat(pid=os.getpid(), at=now, started=now - 60, snooze_until=now + 600)
    control.write_heartbeat(beat)
    capsys.readouterr()
    with service.InstanceLock():  # as the monitor that wrote the heartbeat holds it
        assert cli.main(["pause"]) == 0
    until = control.clock_text(now + 600, now)
    assert f"(it was snoozed until {until}; " in capsys.readouterr().out


def test_an_expired_snooze_is_active_again(capsys):
    control.snooze(60, now_epoch=time.time() - 120)
    cli.main(["status"])
    assert "coaching: active" in capsys.readouterr().out


def test_resume_with_nothing_paused_or_snoozed_says_so(capsys):
    # it said "Coaching resumed." whatever there was to resume, as if something had been
    # silencing the coach; `status` said "coaching: active" just before
    assert cli.main(["status"]) == 0
    assert "coaching: active" in capsys.readouterr().out
    assert cli.main(["resume"]) == 0
    out = capsys.readouterr().out
    assert out == "Coaching was not paused or snoozed; it stays active.\n"
    control.snooze(60, now_epoch=time.time() - 120)  # a snooze that ran out is none
    assert cli.main(["resume"]) == 0
    assert capsys.readouterr().out.startswith("Coaching was not paused or snoozed;")
    for asked in (["pause"], ["snooze", "10m"]):
        assert cli.main(asked) == 0
        capsys.readouterr()
        assert cli.main(["resume"]) == 0
        assert capsys.readouterr().out.startswith("Coaching resumed.\n")
    # a Snooze button's snooze, which the running monitor reports: `resume` lifts it
    now = time.time()
    beat = Heartbeat(pid=os.getpid(), at=now, started=now - 60, snooze_until=now + 600)
    control.write_heartbeat(beat)
    with service.InstanceLock():  # as the monitor that wrote the heartbeat holds it
        assert cli.main(["status"]) == 0
        assert "coaching: snoozed from a notification until" in capsys.readouterr().out
        assert cli.main(["resume"]) == 0
        assert capsys.readouterr().out.startswith("Coaching resumed.\n")


def test_bad_snooze_input_is_one_line_and_exit_2(capsys):
    assert cli.main(["snooze", "30"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a duration" in err and "30m" in err
    assert cli.main(["snooze", "2d"]) == 2
    assert cli.main(["snooze", "25h"]) == 2
    assert "longer than 24 h" in capsys.readouterr().err
    assert not control.control_file().exists()


@pytest.mark.parametrize("argv", [["snooze", "-5m"], ["-v", "snooze", "-5m"]])
def test_a_negative_snooze_says_it_must_be_positive(capsys, argv):
    # argparse read "-5m" as an unknown option and answered that the duration was missing
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err == "posture-guard: snooze duration '-5m' must be positive, e.g. 5m\n"
    assert not control.control_file().exists()


@pytest.mark.parametrize("text, unit", [("5m5m", "m"), ("1h30m1h", "h"), ("10s1m5s", "s")])
def test_a_duration_that_gives_a_unit_twice_is_refused(capsys, text, unit):
    # "5m5m" (a doubled word) snoozed for 10 min without a word
    assert cli.main(["snooze", text]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"posture-guard: snooze duration {text!r} gives {unit} more than once; "
        "use each unit once, e.g. 1h30m\n"
    )
    assert not control.control_file().exists()
    assert control.parse_duration("1h30m5s") == 5405.0  # each unit once is still fine


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [
        (["30min"], 1800),
        (["30", "min"], 1800),
        (["2", "hours"], 7200),
        (["1", "hr", "30", "mins"], 5400),
        (["1", "hour", "15", "minutes"], 4500),
        (["90", "sec"], 90),
        (["45", "seconds"], 45),
    ],
)
def test_a_snooze_takes_the_units_as_words(pg_home: Path, typed: list[str], seconds: int) -> None:
    # "snooze 30min", "snooze 30 min", "snooze 2 hours" were refused ("is not a
    # duration"), while the snooze before had said "snoozed for 30 min"; and what a
    # snooze says it snoozed for, typed back, snoozes as long
    def snooze(*words: str) -> tuple[str, float]:
        done = subprocess.run(
            [sys.executable, "-m", "posture_guard", "snooze", *words],
            env={**os.environ, "POSTURE_GUARD_HOME": str(pg_home)},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        state = control.read_control()
        assert state.snooze_until is not None and state.updated is not None
        return done.stdout, state.snooze_until - state.updated

    out, length = snooze(*typed)
    assert length == seconds
    said = out.split("Coaching snoozed for ", 1)[1].split(", until ", 1)[0]
    assert snooze(*said.split())[1] == seconds


def test_config_toml_durations_keep_their_letters() -> None:
    # config.toml's durations are a documented format ('15m', '1h30m'): the words a
    # snooze on the command line takes are not added to it
    from posture_guard.coach import _convert_setting

    assert _convert_setting("snooze_button_s", "15m", "config.toml") == 900
    with pytest.raises(UserError, match="is not a duration"):
        _convert_setting("snooze_button_s", "15 min", "config.toml")


def test_a_snooze_typed_in_two_words_is_one_duration(capsys):
    # "snooze 1h 30m" was refused by argparse ("unrecognized arguments: 30m"), while
    # "snooze '1h 30m'" was taken; a unit given twice across the words is still refused
    assert cli.main(["snooze", "1h", "30m"]) == 0
    assert capsys.readouterr().out.startswith("Coaching snoozed for 1 h 30 min, until ")
    state = control.read_control()
    assert state.snooze_until is not None and state.updated is not None
    assert state.snooze_until - state.updated == 5400
    assert cli.main(["snooze", "1h", "1h"]) == 2
    assert "snooze duration '1h 1h' gives h more than once" in capsys.readouterr().err


@pytest.mark.parametrize(
    "typed, shown",
    [
        ("999999999999999999999999s", "'999999999999999999999999s'"),
        ("99999999999999999999h", "'99999999999999999999h'"),
        ("1" + "0" * 300 + "s", "'" + "1" + "0" * 19 + "'..."),
    ],
)
def test_a_snooze_too_long_names_it_as_typed(capsys, typed, shown):
    # the figure was worked out from a float: "999999999999999999999999s" was refused as
    # "snooze of 277777777777777773117 h 26 min 24 s", a number never typed
    assert cli.main(["snooze", typed]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"posture-guard: snooze duration {shown} is longer than 24 h; "
        "use `posture-guard pause` and `posture-guard resume` instead\n"
    )
    assert not control.control_file().exists()


def test_snooze_refuses_what_would_be_over_at_once_and_names_a_fraction_past_a_day(capsys):
    assert cli.main(["snooze", "0.4s"]) == 2  # was "Coaching snoozed for 0 s"
    assert "shorter than a second" in capsys.readouterr().err
    assert cli.main(["snooze", "86400.4s"]) == 2  # was "snooze of 24 h is longer than 24 h"
    assert "snooze duration '86400.4s' is longer than 24 h" in capsys.readouterr().err
    assert not control.control_file().exists()
    # what is not a negative duration is still "not a duration", and help is still help
    assert cli.main(["snooze", "-x"]) == 2
    assert "'-x' is not a duration" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        cli.main(["snooze", "--help"])
    assert info.value.code == 0 and "duration" in capsys.readouterr().out


def test_a_damaged_control_file_is_named_by_status_and_repaired_by_resume(capsys):
    path = control.control_file()
    path.write_text('{"paused": tru', encoding="utf-8")
    assert cli.main(["status"]) == 2
    out, err = capsys.readouterr()
    assert str(path) in err and "damaged" in err and "resume" in err
    # the rest is still shown: status used to print nothing at all
    assert out.startswith("monitor: not running\n")
    assert "coaching: unknown (the control file cannot be read)" in out
    assert cli.main(["resume"]) == 0
    assert control.read_control().paused is False
    path.write_text('{"paused": "yes"}', encoding="utf-8")
    assert cli.main(["snooze", "10m"]) == 0  # a damaged file holds nothing worth keeping
    assert control.read_control().snooze_until is not None


def test_a_snooze_button_ends_only_a_longer_snooze_typed_before_it():
    """The button's end replaces a longer typed snooze; a pause, a shorter snooze and a
    command given after the press (what the user asked last) are kept as they are."""
    t = datetime(2026, 12, 1, 10, 0).timestamp()
    control.snooze(3600, now_epoch=t)
    state = control.button_snooze(t + 60, t + 960)
    assert (state.snooze_until, state.updated) == (t + 960, t)
    assert control.read_control() == state
    control.snooze(600, now_epoch=t)  # shorter than the button's: it ends first anyway
    assert control.button_snooze(t + 60, t + 960).snooze_until == t + 600
    control.snooze(3600, now_epoch=t + 120)  # typed after the press: the latest asked
    assert control.button_snooze(t + 60, t + 960).snooze_until == t + 3720
    control.pause(now_epoch=t + 130)
    assert control.button_snooze(t + 140, t + 1040).paused is True


def test_the_poller_rereads_only_changes_and_survives_damage():
    poller = ControlPoller()
    state, problem = poller.poll()
    assert (state.paused, problem) == (False, None)
    control.pause()
    assert poller.poll()[0].paused is True
    path = control.control_file()
    path.write_text("{not json", encoding="utf-8")
    state, problem = poller.poll()
    assert state.paused is True  # the last good state stays in force
    assert problem is not None and str(path) in problem
    assert poller.poll() == (state, None)  # reported once
    control.resume()
    assert poller.poll() == (control.read_control(), None)
    path.unlink()
    assert poller.poll()[0] == control.ControlState()


def test_the_poller_sees_a_rewrite_of_the_same_size_within_one_timestamp_tick():
    # Snooze until 10:15, then until 10:45: JSON of the same length. On a filesystem with
    # coarse timestamps (or two writes within one tick) both files had the same mtime and
    # size, and the running monitor kept the first snooze, ignoring the newer command.
    path = control.control_file()
    base = datetime(2026, 12, 1, 10, 0).timestamp()
    first = control.ControlState(snooze_until=base + 15 * 60, updated=base)
    second = control.ControlState(snooze_until=base + 45 * 60, updated=base + 30)
    control.write_control(first)
    before = path.stat()
    poller = ControlPoller()
    assert poller.poll() == (first, None)
    control.write_control(second)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same tick
    assert (path.stat().st_mtime_ns, path.stat().st_size) == (
        before.st_mtime_ns,
        before.st_size,
    )
    assert poller.poll() == (second, None)


def test_status_sees_a_running_monitor_by_its_heartbeat(capsys):
    now = time.time()
    control.write_heartbeat(
        Heartbeat(pid=os.getpid(), at=now - 5, started=now - 600, profile="desk")
    )
    with service.InstanceLock():  # as a running monitor holds it
        cli.main(["status"])
    out = capsys.readouterr().out
    assert out.startswith(f"monitor: running (pid {os.getpid()}, profile desk")
    # stale: no heartbeat for longer than HEARTBEAT_STALE_S
    control.write_heartbeat(
        Heartbeat(pid=os.getpid(), at=now - control.HEARTBEAT_STALE_S - 5, started=now - 900)
    )
    cli.main(["status"])
    assert capsys.readouterr().out.startswith("monitor: not running (last seen")


def test_a_heartbeat_from_a_dead_process_is_not_running(capsys):
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(proc.stdout)
    now = time.time()
    control.write_heartbeat(Heartbeat(pid=dead_pid, at=now, started=now - 60))
    assert control.read_status().running is False


def test_backoff_on_a_fake_clock():
    b = Backoff(initial_s=5, factor=2, max_s=60)
    assert b.due(0.0) and not b.waiting
    clock = 100.0
    waits = []
    for _ in range(7):
        b = b.failed(clock)
        assert not b.due(clock) and b.waiting
        assert b.retry_at is not None
        waits.append(b.retry_at - clock)
        assert not b.due(b.retry_at - 0.001)
        clock = b.retry_at
        assert b.due(clock)
    assert waits == [5, 10, 20, 40, 60, 60, 60]
    assert "camera busy; retry 8 in" in b.reason(clock - 30)
    b = b.succeeded()
    assert b.due(clock) and b.failures == 0
    assert b.failed(clock).retry_at == clock + 5


# --------------------------------------------------------------------------- live sink
def _live_sink(start: datetime) -> CoachSink:
    session = SessionInfo(start=start, profile="desk", live=True, source="webcam:0")
    return CoachSink(
        session,
        PrintingNotifier(io.StringIO()),
        settings=CoachSettings(checkin_time=None),
        control=ControlPoller(),
        heartbeat=True,
        memory_file=control.control_file().parent / "coach.json",
    )


def test_a_live_coach_obeys_snooze_and_resume_from_the_cli(capsys):
    start = datetime.now()
    sink = _live_sink(start)
    assert cli.main(["snooze", "30m"]) == 0
    for t in range(200):
        sink.on_decision(Decision(float(t), PostureState.FORWARD_HEAD))
    assert sink.sent == []
    assert [e.kind for e in sink.events] == ["snooze"]
    assert sink.events[0].payload["source"] == "control"
    # status: the monitor is running and the snooze shows
    capsys.readouterr()
    with service.InstanceLock():  # as the monitor that runs this coach holds it
        cli.main(["status"])
    out = capsys.readouterr().out
    assert out.startswith(f"monitor: running (pid {os.getpid()}, profile desk")
    assert "coaching: snoozed until" in out
    assert cli.main(["resume"]) == 0
    sink.on_decision(Decision(200.0, PostureState.FORWARD_HEAD))
    assert [e.kind for e in sink.events] == ["snooze", "resume", "alert", "exercise_prompted"]
    assert [n.kind for n, _ in sink.sent] == ["posture"]
    sink.close(200.0)
    assert not control.heartbeat_file().exists()  # a clean stop removes the heartbeat


def test_a_live_coach_remembers_the_checkin_day_across_restarts():
    start = datetime(2024, 3, 4, 17, 29, 30)
    session = SessionInfo(start=start, profile="desk", live=True)
    state_file = control.control_file().parent / "coach.json"

    def run() -> CoachSink:
        sink = CoachSink(
            session,
            PrintingNotifier(io.StringIO()),
            control=ControlPoller(),
            memory_file=state_file,
        )
        for t in range(60):
            sink.on_decision(Decision(float(t), PostureState.GOOD))
        sink.close(60.0)
        return sink

    first = run()
    assert [n.kind for n, _ in first.sent] == ["checkin"]
    assert json.loads(state_file.read_text())["last_checkin_day"] == "2024-03-04"
    second = run()
    assert second.sent == []


def test_a_snooze_typed_while_paused_ends_the_pause_when_it_runs_out(capsys):
    # `pause`, then `snooze 30m`: it said "Coaching snoozed for 30 min, until 10:30", yet
    # the pause held on and the coach stayed silent all day (`resume`, the only way out,
    # clears the snooze too)
    sink = _live_sink(datetime.now())
    assert cli.main(["pause"]) == 0
    paused_at = control.read_control().paused_at
    assert paused_at is not None
    for t in range(100):
        sink.on_decision(Decision(float(t), PostureState.FORWARD_HEAD))
    capsys.readouterr()
    assert cli.main(["snooze", "30m"]) == 0
    since = datetime.fromtimestamp(paused_at)
    assert f"The pause since {since:%H:%M} is lifted: the coach comes back then." in (
        capsys.readouterr().out
    )
    state = control.read_control()
    assert not state.paused and state.snooze_until is not None
    assert cli.main(["status"]) == 0
    assert "coaching: snoozed until" in capsys.readouterr().out
    for t in range(100, 29 * 60):
        sink.on_decision(Decision(float(t), PostureState.FORWARD_HEAD))
    assert sink.sent == []  # silent while snoozed: the lifted pause is no resume
    assert [e.kind for e in sink.events] == ["pause", "snooze"]
    for t in range(29 * 60, 32 * 60):
        sink.on_decision(Decision(float(t), PostureState.FORWARD_HEAD))
    # the snooze ran out: the forward head still there is alerted, with no pause left
    assert [n.kind for n, _ in sink.sent] == ["posture"]
    sink.close(32 * 60.0)


def test_snooze_written_before_the_monitor_starts_applies_when_it_starts():
    control.snooze(3600)
    sink = _live_sink(datetime.now() - timedelta(seconds=1))
    for t in range(300):
        sink.on_decision(Decision(float(t), PostureState.FORWARD_HEAD))
    assert sink.sent == []
    sink.close(300.0)


def test_prompt_ids_do_not_repeat_across_sessions():
    """The log pairs a Done button with its prompt by id, so a restart must not reuse ids."""
    ids = []
    for start in (datetime(2024, 3, 4, 9, 0), datetime(2024, 3, 4, 9, 30)):
        sink = CoachSink(
            SessionInfo(start=start, profile="p", live=False),
            PrintingNotifier(io.StringIO()),
            settings=CoachSettings(checkin_time=None),
        )
        for t in range(100):
            sink.on_decision(Decision(float(t), PostureState.FORWARD_HEAD))
        ids += [n.prompt_id for n, _ in sink.sent]
        sink.close(100.0)
    assert len(ids) == 2 and ids[0] != ids[1]


def test_the_coach_reads_its_settings_from_the_config_file(pg_home, capsys):
    from posture_guard import paths
    from posture_guard.coach import build_sink

    session = SessionInfo(start=datetime(2024, 3, 4, 9, 0), profile="p", live=False)
    paths.config_file().write_text(
        '[coach]\nalert_cooldown_s = "20m"\nquiet_hours = "22:00-07:00"\n', encoding="utf-8"
    )
    sink = build_sink(live=False, notify=False, demo=True, session=session, out=io.StringIO())
    assert sink is not None
    assert sink.coach.settings.alert_cooldown_s == 1200
    assert sink.coach.settings.quiet_hours is not None
    paths.config_file().write_text("[coach]\ncooldown = 5\n", encoding="utf-8")
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err
    assert str(paths.config_file()) in err and "unknown key 'cooldown'" in err
    assert err.count("\n") == 1


# --------------------------------------------------------------------------- DST
def test_a_snooze_across_the_autumn_dst_change_is_honoured(berlin, tmp_path):
    """A monitor started the evening before the clocks go back: the next morning a
    `snooze 30m` at 10:00 silences it until 10:30 real time, and an alert after that is
    logged at the moment it was shown."""
    from posture_guard.store import Store

    start = datetime(2026, 10, 24, 20, 0)  # naive, as datetime.now() gives it (CEST)
    store = Store.open(tmp_path / "log.sqlite3")
    sink = CoachSink(
        SessionInfo(start=start, profile="desk", live=True),
        PrintingNotifier(io.StringIO()),
        settings=CoachSettings(checkin_time=None),
        control=ControlPoller(),
        on_event=store.log_event,
    )

    def stream_t(hour: int, minute: int = 0) -> float:
        return datetime(2026, 10, 25, hour, minute, tzinfo=berlin).timestamp() - start.timestamp()

    snoozed_at = datetime(2026, 10, 25, 10, 0, tzinfo=berlin).timestamp()
    control.snooze(30 * 60, now_epoch=snoozed_at)
    for k in range(600):  # slouching 10:00-10:10, well inside the snooze
        sink.on_decision(Decision(stream_t(10) + k, PostureState.FORWARD_HEAD, changed=k == 0))
    assert sink.sent == []
    assert [e.kind for e in sink.events] == ["snooze"]
    for k in range(300):  # still slouching once the snooze has run out
        sink.on_decision(Decision(stream_t(10, 30) + k, PostureState.FORWARD_HEAD))
    assert [n.kind for n, _ in sink.sent] == ["posture"]
    (alert,) = [e for e in store.events(snoozed_at, snoozed_at + 3600) if e.kind == "alert"]
    assert snoozed_at + 30 * 60 <= alert.at <= snoozed_at + 35 * 60
    sink.close(stream_t(10, 35))
    store.close()


def test_a_control_file_that_is_a_folder_is_named_by_status_snooze_and_pause(capsys):
    path = control.control_file()
    path.mkdir()
    assert cli.main(["status"]) == 2
    out, err = capsys.readouterr()
    assert "coaching: unknown" in out and str(path) in err
    for argv in (["snooze", "10m"], ["pause"], ["resume"]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        # a folder is the user's to move away, as everywhere else, never the app's to remove
        assert (
            f"cannot write the control file {path}: it is a folder, not a file; move it away" in err
        )
        assert ".tmp" not in err and len(err.strip().splitlines()) == 1
    assert path.is_dir() and list(path.parent.glob(".control.json.*")) == []


REPO = Path(__file__).resolve().parents[1]


def test_a_read_only_state_folder_says_which_folder_to_check():
    """As root the folder's mode is no obstacle, so the command runs without the
    capabilities that bypass file permissions (where setpriv exists)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None and os.geteuid() == 0:
        pytest.skip("running as root without setpriv: permissions cannot be tested")
    folder = control.control_file().parent
    folder.chmod(0o555)
    try:
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner"]
        done = subprocess.run(
            [*(prefix if os.geteuid() == 0 else []), sys.executable, "-m", "posture_guard.cli",
             "pause"],
            capture_output=True, text=True, timeout=60, cwd=REPO,
        )  # fmt: skip
    finally:
        folder.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"posture-guard: cannot write the control file {control.control_file()}: "
        f"permission denied; check the permissions of the folder {folder}\n"
    )
    assert not control.control_file().exists()


def test_a_live_coach_keeps_its_heartbeat_between_decisions():
    """While the camera is released no decision comes; the live loop's polls keep the
    heartbeat every ~10 s, so `status` still sees the monitor."""
    sink = _live_sink(datetime.now())
    sink.on_decision(Decision(0.0, PostureState.GOOD))
    beat = control.heartbeat_file()
    assert beat.exists()
    beat.unlink()
    sink.poll(5.0)
    assert not beat.exists()  # every ~10 s, not at every tick
    sink.poll(10.0)
    assert beat.exists() and control.read_status().running
    sink.close(10.0)
    assert not beat.exists()


def test_pause_snooze_resume_see_a_running_monitor_by_its_lock(capsys):
    """The lock says for certain that a monitor runs, even with no fresh heartbeat (its
    camera released for a while): no "No monitor is running" note then."""
    from posture_guard import service

    assert not control.heartbeat_file().exists()
    lock = service.InstanceLock().acquire()
    try:
        for argv in (["pause"], ["snooze", "10m"], ["resume"]):
            assert cli.main(argv) == 0
            assert "No monitor is running" not in capsys.readouterr().out
    finally:
        lock.release()
    assert cli.main(["pause"]) == 0
    assert "No monitor is running" in capsys.readouterr().out
    assert cli.main(["resume"]) == 0
    assert "No monitor is running" in capsys.readouterr().out


def test_a_snooze_of_more_digits_than_a_float_holds_is_one_line_and_exit_2(capsys):
    # 400 nines of hours overflowed to infinity and ended in "internal error"
    assert cli.main(["snooze", "9" * 400 + "h"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("posture-guard: snooze duration") and "too long" in err
    assert err.count("\n") == 1 and len(err) < 200
    assert not control.control_file().exists()


def test_a_resume_a_moment_after_a_done_keeps_the_dones_break(capsys):
    """`done` answered a break prompt, then `resume` (after a Snooze button) before the
    monitor read the file: the break must still reach the coach, and the resume too. The
    resume wrote a fresh file without ``break_done``, so the coach prompted the break
    again as if it had not been taken."""
    assert cli.main(["pause"]) == 0
    taken = time.time() - 5
    control.break_done(taken)
    assert cli.main(["resume"]) == 0
    state = ControlPoller().poll()[0]  # what a monitor reads next
    assert (state.paused, state.break_done) == (False, taken)
    # and the other way round: a done after a resume keeps the resume
    assert cli.main(["pause"]) == 0
    assert cli.main(["resume"]) == 0
    control.break_done(taken + 1)
    state = ControlPoller().poll()[0]
    assert (state.paused, state.break_done) == (False, taken + 1)


def _waiting_on(lock: Path) -> bool:
    """Whether a process waits for an flock on ``lock`` (Linux's /proc/locks marks a
    blocked request with "->"), read from the kernel, not guessed from a delay."""
    st = os.stat(lock)
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    lines = Path("/proc/locks").read_text(encoding="ascii").splitlines()
    return any("->" in line and inode in line.split() for line in lines)


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_a_resume_while_a_done_writes_waits_and_neither_is_lost(capsys):
    """`done` is between reading and writing the control file when `resume` (a real
    process) runs: the resume waits for the done's write, then lifts the pause, and the
    done's break stays. Without the lock the resume wrote at once and the done then wrote
    the pause it had read back over it: "Coaching resumed." and still paused."""
    assert cli.main(["pause"]) == 0
    lock = control.control_file().with_name(control.CONTROL_LOCK_NAME)
    taken = time.time()
    resume: list[subprocess.Popen[str]] = []

    def done_meanwhile(current: control.ControlState) -> control.ControlState:
        assert current.paused
        resume.append(
            subprocess.Popen(
                [sys.executable, "-m", "posture_guard.cli", "resume"],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
        )
        give_up = time.monotonic() + 60  # a bound for a broken run, not a measure
        while not _waiting_on(lock):
            assert resume[0].poll() is None, "resume did not wait for the done's write"
            assert time.monotonic() < give_up, "resume never came to the lock"
            time.sleep(0.01)
        return dataclasses.replace(current, break_done=taken)

    control.update_control(done_meanwhile, keep_damaged=True)
    out, err = resume[0].communicate(timeout=60)
    assert resume[0].returncode == 0, err
    assert "Coaching resumed." in out
    state = control.read_control()
    assert (state.paused, state.break_done) == (False, taken)


def test_the_heartbeat_is_written_whole_but_not_synced_to_disk(fsynced, tmp_path):
    """The monitor rewrites its heartbeat every ~10 s all day: syncing file and folder each
    time would flush the disk every 10 s for a file a power cut makes stale anyway. It is
    still replaced whole (readers never see half a heartbeat)."""
    path = tmp_path / "heartbeat.json"
    beat = control.Heartbeat(pid=4321, at=1000.0, started=900.0, note="camera busy")
    control.write_heartbeat(beat, path)
    assert control.read_heartbeat(path) == beat
    folder = tmp_path.resolve()
    assert not [p for p, _ in fsynced if folder in (p, p.parent)]  # no file, no folder
    assert [p.name for p in tmp_path.iterdir()] == ["heartbeat.json"]  # no temporary left
    control.snooze(60)  # the control file is still synced, file and folder
    assert control.control_file().parent.resolve() in {p for p, _ in fsynced}
