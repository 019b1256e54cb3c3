"""The running monitor takes up an edited config.toml and a plan imported while it runs,
and rides out a broken edit with the settings it has (posture_guard/settings_watch.py).

Each test drives the real `run` (MediaPipe on a real photo, the database, the coach)
on the fake camera and clock, and edits the real files in the user's config folder
part-way through."""

from __future__ import annotations

import io
import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from posture_guard import cli, notify, paths
from posture_guard.plan import active_plan_path
from tests.buttons import ButtonNotifier
from tests.fake_camera import CameraWorld, FakeClock
from tests.test_service import LIVE_START, _coach_events, _run_live

#: a break prompt 3 minutes after sitting down (09:03), and no check-in in the way
BREAK_AT_3 = '[coach]\nbreak_after_s = "3m"\ncheckin_time = "off"\n'
#: the same, with quiet hours from 09:02
QUIET_FROM_0902 = BREAK_AT_3 + 'quiet_hours = "09:02-10:00"\n'


def _config(text: str) -> None:
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text(text, encoding="utf-8")


@pytest.fixture
def notifier(monkeypatch: pytest.MonkeyPatch) -> ButtonNotifier:
    """What the coach and the monitor show as notifications."""
    shown = ButtonNotifier()
    monkeypatch.setattr(notify, "make_notifier", lambda choice="auto": shown)
    return shown


def _log_text() -> str:
    return (paths.log_dir() / "posture-guard.log").read_text(encoding="utf-8")


@pytest.mark.parametrize("edited", [False, True], ids=["as started", "quiet hours added"])
def test_quiet_hours_set_in_config_while_running_close_the_camera_and_silence_the_coach(
    grace_hopper: Path, notifier: ButtonNotifier, edited: bool
) -> None:
    """A desk worker sets quiet hours from 09:02 at 09:01 with the monitor running: from
    09:02 the camera is closed and the break prompt due at 09:03 is not shown. Without
    the edit (the control case) it is shown, and the camera reads on."""
    _config(BREAK_AT_3)
    clock = FakeClock(stop_at=300)
    world = CameraWorld(clock, clock())
    if edited:
        clock.at(60, lambda: _config(QUIET_FROM_0902))
    out = io.StringIO()
    assert _run_live(grace_hopper, clock, world, out=out) == 0

    breaks = [m for m in notifier.shown if m.kind == "break"]
    late_reads = [t for t in world.reads if 126 < t < 300]
    if not edited:
        assert breaks and late_reads
        return
    assert not breaks and not late_reads
    assert [t for t in world.reads if 60 < t < 120]  # watching until 09:02
    said = out.getvalue()
    assert "posture-guard: config.toml changed: the coach and the camera's quiet hours" in said
    assert "--camera" in said  # what does not change live is said too
    assert not [m for m in notifier.shown if m.kind == "monitor"]  # nothing went wrong


def test_a_broken_config_edit_keeps_the_settings_and_is_told_once_per_version(
    grace_hopper: Path, notifier: ButtonNotifier
) -> None:
    """Two broken saves of config.toml (not TOML at 09:01, a bad quiet_hours at 09:01:30)
    stop nothing and change nothing: the break prompt still comes at 09:03, the camera
    reads on, and each broken version is told once, naming the file and the fault, in
    the log and as a notification. The fixed file (quiet hours from 09:04) is then taken
    up: the camera closes from 09:04."""
    _config(BREAK_AT_3)
    clock = FakeClock(stop_at=360)
    world = CameraWorld(clock, clock())
    clock.at(60, lambda: _config(BREAK_AT_3 + "quiet_hours = [09:02\n"))
    clock.at(90, lambda: _config(BREAK_AT_3 + 'quiet_hours = "9 to 10"\n'))
    clock.at(200, lambda: _config(BREAK_AT_3 + 'quiet_hours = "09:04-10:00"\n'))
    assert _run_live(grace_hopper, clock, world) == 0

    assert [m for m in notifier.shown if m.kind == "break"]  # the old settings held
    assert [t for t in world.reads if 150 < t < 235]
    assert not [t for t in world.reads if 246 < t < 360]  # the fixed file's quiet hours
    config = str(paths.config_file())
    told = [m for m in notifier.shown if m.kind == "monitor"]
    assert [m.title for m in told] == ["posture-guard: config.toml not used"] * 2
    assert f"config file {config} is not valid TOML" in told[0].body
    assert "'quiet_hours' must look like '22:00-07:00'" in told[1].body
    assert all("keeps the settings it has" in m.body for m in told)
    log = _log_text()
    assert log.count("is not valid TOML") == 1  # once, though looked at every 5 s
    assert log.count("'quiet_hours' must look like") == 1
    assert "config.toml changed" in log  # the fixed version


def _plan_with_a_dose_at_0905(folder: Path) -> Path:
    """A one-exercise plan for today whose working day 09:00-09:10 puts its single
    dose mid-way, at 09:05."""
    text = (
        "schema = 1\n"
        f"start = {LIVE_START.date().isoformat()}\n"
        f"end = {date(2026, 12, 31).isoformat()}\n"
        'workday = "09:00-09:10"\n'
        "[[exercise]]\n"
        'id = "chin_tuck"\n'
        "times_per_day = 1\n"
    )
    path = folder / "new-plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_plan_imported_while_running_has_its_dose_prompted(
    grace_hopper: Path, notifier: ButtonNotifier, tmp_path: Path, capsys
) -> None:
    """The patient imports the therapist's new plan at 09:01 with the monitor running:
    its 09:05 chin tuck is prompted, and `plan import` says the monitor follows it."""
    _config(BREAK_AT_3.replace('"3m"', '"45m"'))
    plan = _plan_with_a_dose_at_0905(tmp_path)
    clock = FakeClock(stop_at=360)
    world = CameraWorld(clock, clock())
    clock.at(60, lambda: cli.main(["plan", "import", str(plan)]))
    assert _run_live(grace_hopper, clock, world) == 0

    (dose,) = [m for m in notifier.shown if m.kind == "exercise"]
    assert dose.exercise == "chin_tuck"
    ((at, payload),) = _coach_events(LIVE_START)["exercise_prompted"]
    assert 300 <= at <= 310 and payload["exercise"] == "chin_tuck"
    assert "a running monitor follows it within seconds" in capsys.readouterr().out


def test_a_plan_imported_to_start_later_is_said_to_hold_from_its_start(
    grace_hopper: Path, notifier: ButtonNotifier, tmp_path: Path
) -> None:
    """The patient imports on Wednesday the plan that starts on Thursday: the running
    monitor says it follows the plan from its start, not "from now" (the plan in force
    stays until then), and no dose of it is prompted today."""
    _config(BREAK_AT_3.replace('"3m"', '"45m"'))
    plan = _plan_with_a_dose_at_0905(tmp_path)
    tomorrow = LIVE_START.date() + timedelta(days=1)
    plan.write_text(
        plan.read_text(encoding="utf-8").replace(
            f"start = {LIVE_START.date().isoformat()}", f"start = {tomorrow.isoformat()}"
        ),
        encoding="utf-8",
    )
    clock = FakeClock(stop_at=360)
    world = CameraWorld(clock, clock())
    clock.at(60, lambda: cli.main(["plan", "import", str(plan)]))
    out = io.StringIO()
    assert _run_live(grace_hopper, clock, world, out=out) == 0

    (line,) = [x for x in out.getvalue().splitlines() if "new-plan" in x or "plan.toml" in x]
    assert f"the plan from its start on {tomorrow}" in line
    assert not [m for m in notifier.shown if m.kind == "exercise"]


def test_a_broken_plan_file_keeps_the_plan_in_force(
    grace_hopper: Path, notifier: ButtonNotifier, tmp_path: Path
) -> None:
    """The active plan file edited by hand into one that breaks a rule (times_per_day
    0) at 09:01: the plan in force stays (its 09:05 dose is prompted) and the message
    names the plan file and the rule."""
    _config(BREAK_AT_3.replace('"3m"', '"45m"'))
    assert cli.main(["plan", "import", str(_plan_with_a_dose_at_0905(tmp_path))]) == 0
    broken = (
        active_plan_path()
        .read_text(encoding="utf-8")
        .replace("times_per_day = 1", "times_per_day = 0")
    )
    clock = FakeClock(stop_at=360)
    world = CameraWorld(clock, clock())
    clock.at(60, lambda: active_plan_path().write_text(broken, encoding="utf-8"))
    assert _run_live(grace_hopper, clock, world) == 0

    assert [m.exercise for m in notifier.shown if m.kind == "exercise"] == ["chin_tuck"]
    (told,) = [m for m in notifier.shown if m.kind == "monitor"]
    assert told.title == "posture-guard: plan.toml not used"
    assert "the active plan cannot be used" in told.body and "times_per_day" in told.body
    assert "the active plan cannot be used" in _log_text()


def _run_live_turning_into_a_folder(path: Path, grace_hopper: Path, stop_at: float) -> int:
    """A live run in which the file at ``path`` is replaced by a folder of that name at
    09:01 (60 s in)."""

    def to_folder() -> None:
        path.unlink()
        path.mkdir()

    clock = FakeClock(stop_at=stop_at)
    world = CameraWorld(clock, clock())
    clock.at(60, to_folder)
    return _run_live(grace_hopper, clock, world)


def _the_one_monitor_notice(notifier: ButtonNotifier, name: str):
    """The run's only notice about its own settings, which says ``name`` is not used."""
    (told,) = [m for m in notifier.shown if m.kind == "monitor"]
    assert told.title == f"posture-guard: {name} not used"
    return told


def test_a_plan_file_turned_into_a_folder_keeps_the_plan_in_force(
    grace_hopper: Path, notifier: ButtonNotifier, tmp_path: Path
) -> None:
    """The active plan replaced at 09:01 by a folder named plan.toml: the plan in force
    stays (its 09:05 dose is prompted) and the folder is told as a folder, naming it
    (it was told as "Is a directory", blamed on a damaged file or an earlier version)."""
    _config(BREAK_AT_3.replace('"3m"', '"45m"'))
    assert cli.main(["plan", "import", str(_plan_with_a_dose_at_0905(tmp_path))]) == 0

    assert _run_live_turning_into_a_folder(active_plan_path(), grace_hopper, stop_at=360) == 0

    assert [m.exercise for m in notifier.shown if m.kind == "exercise"] == ["chin_tuck"]
    told = _the_one_monitor_notice(notifier, "plan.toml")
    assert f"{active_plan_path()} is a folder, not a plan file" in told.body
    assert "earlier version" not in told.body and "keeps the settings it has" in told.body


def test_an_exercise_library_turned_into_a_folder_keeps_the_library_in_force(
    grace_hopper: Path, notifier: ButtonNotifier
) -> None:
    """The user's exercises.toml (with an exercise of their own, first for a break) is
    replaced at 09:01 by a folder of that name: the library in force stays (the 09:03
    break prompt carries the user's exercise) and the folder is told, naming the path, as
    a broken file is. (The bundled library was taken up in silence instead.)"""
    from posture_guard.exercises import bundled_path, user_path

    _config(BREAK_AT_3)
    own = (
        "[[exercise]]\n"
        'id = "own_walk"\nname = "Walk to the window"\nmuscles = []\ntargets = ["break"]\n'
        'steps = ["Walk to the window and back."]\ncaution = "None."\nsource = "Own."\n\n'
    )
    user_path().write_text(own + bundled_path().read_text(encoding="utf-8"), encoding="utf-8")

    assert _run_live_turning_into_a_folder(user_path(), grace_hopper, stop_at=300) == 0

    assert [m.exercise for m in notifier.shown if m.kind == "break"] == ["own_walk"]
    told = _the_one_monitor_notice(notifier, "exercises.toml")
    assert f"{user_path()} is a folder, not a file" in told.body
    assert "keeps the settings it has" in told.body


def test_a_plan_copied_in_by_hand_while_running_is_recorded_in_the_history(
    grace_hopper: Path, notifier: ButtonNotifier, tmp_path: Path
) -> None:
    """An older plan restored over plan.toml at 09:01 without `plan import`, keeping the
    backup's date (cp -p): the monitor follows it, and the plan history records it at the
    moment the monitor took it up, so a report judges today by it."""
    from posture_guard.plan import import_plan, plan_history

    _config(BREAK_AT_3.replace('"3m"', '"45m"'))
    older = _plan_with_a_dose_at_0905(tmp_path)
    import_plan(older, now=LIVE_START - timedelta(days=9))
    revised = tmp_path / "revised.toml"
    revised.write_text(older.read_text(encoding="utf-8").replace("09:10", "09:30"))
    import_plan(revised, now=LIVE_START - timedelta(days=2))

    def restore() -> None:
        active_plan_path().write_bytes(older.read_bytes())
        old = (LIVE_START - timedelta(days=9)).timestamp()
        os.utime(active_plan_path(), (old, old))

    clock = FakeClock(stop_at=360)
    world = CameraWorld(clock, clock())
    clock.at(60, restore)
    assert _run_live(grace_hopper, clock, world) == 0

    assert [m.exercise for m in notifier.shown if m.kind == "exercise"] == ["chin_tuck"]
    *_, last = plan_history()
    assert last.path.read_bytes() == older.read_bytes()
    assert 60 <= (last.at - LIVE_START).total_seconds() <= 70


#: quiet hours from 10:05, which the monitor reaches only after the clock is set an hour on
QUIET_FROM_1005 = '[coach]\ncheckin_time = "off"\nquiet_hours = "10:05-11:00"\n'


@pytest.mark.parametrize("broken_at", [60.0, 119.0], ids=["told before", "broken as it is set"])
def test_a_config_broken_before_the_clock_is_set_keeps_the_monitor_and_its_settings(
    grace_hopper: Path, notifier: ButtonNotifier, broken_at: float
) -> None:
    """config.toml is saved broken (at 09:01, or at 09:01:59 as the clock is set), then
    NTP sets the clock an hour on at 09:01:59: the new session at 10:01:59 starts with
    the settings in force (quiet hours from 10:05 close the camera), spans are logged at
    the new time, and the broken version is told once, before the step or at it."""
    _config(QUIET_FROM_1005)
    clock = FakeClock(stop_at=480)
    world = CameraWorld(clock, clock())
    moved = [0.0]

    def wall() -> float:
        return (LIVE_START + timedelta(seconds=clock.elapsed)).timestamp() + moved[0]

    clock.at(broken_at, lambda: _config("[coach\n"))
    clock.at(119, lambda: moved.__setitem__(0, 3600.0))
    out = io.StringIO()
    assert _run_live(grace_hopper, clock, world, out=out, wall_clock=wall) == 0

    assert "the clock was set forward by 1 h;" in out.getvalue()
    assert [t for t in world.reads if 125 < t < 295]  # the new session watches
    assert not [t for t in world.reads if 305 < t < 480]  # 10:05: quiet hours in force
    told = [m for m in notifier.shown if m.kind == "monitor"]
    assert [m.title for m in told] == ["posture-guard: config.toml not used"]
    assert "is not valid TOML" in told[0].body and "keeps the settings it has" in told[0].body
    assert _log_text().count("is not valid TOML") == 1
    from posture_guard.store import Store

    t0 = LIVE_START.timestamp()
    with Store.open(paths.database_file()) as store:
        after = [s for s in store.spans(t0, t0 + 7200) if s.start >= t0 + 3600]
    assert after and abs(after[0].start - (t0 + 3600 + 119)) < 5  # at the new time
