"""Plans: validation that lists every problem, import/show/clear, CERT text, scheduling,
and the coach following the plan (pure engine, fake clock)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture_guard import cli, plan
from posture_guard.coach import Coach, CoachSettings, Observation
from posture_guard.errors import UserError
from posture_guard.exercises import load_library
from posture_guard.states import PostureState
from tests.cli_run import posture_guard, posture_guard_ok

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "docs" / "plan-example.toml"


def example_doc() -> dict:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_documented_example_is_a_valid_plan() -> None:
    p = plan.load_plan_file(EXAMPLE)
    assert [x.id for x in p.prescriptions] == ["chin_tuck", "upper_trapezius_stretch", "wall_angel"]
    assert p.patient == "RM-03"
    assert (p.start, p.end) == (date(2024, 3, 4), date(2024, 3, 31))
    assert p.quiet_hours == (time(12), time(13))
    assert p.forward_head_max_share == pytest.approx(0.2)
    chin = p.by_id("chin_tuck")
    assert chin is not None and not chin.custom and chin.times_per_day == 3
    assert chin.exercise.dosage.reps == 10 and chin.days == (0, 1, 2, 3, 4)
    wall = p.by_id("wall_angel")
    assert wall is not None and wall.custom and wall.exercise.name == "Wall angel"
    assert wall.exercise.targets == ()  # never picked for posture alerts


def test_invalid_plan_lists_every_problem_at_once() -> None:
    doc = example_doc()
    doc["schema"] = 0
    doc["end"] = date(2024, 1, 1)
    doc["alert_sensitivity"] = "max"
    doc["colour"] = "blue"
    doc["exercise"][0]["times_per_day"] = 0
    del doc["exercise"][2]["caution"]
    doc["exercise"].append({"id": "chin_tuck", "times_per_day": 1})
    with pytest.raises(UserError) as info:
        plan.parse_plan(doc, "p.toml")
    msg = str(info.value)
    assert "7 problems" in msg
    for fragment in (
        "unknown key 'colour'",
        "'schema' must be 1",
        "'end' 2024-01-01 is before 'start' 2024-03-04",
        "'alert_sensitivity' must be one of low, normal, high",
        "exercise 'chin_tuck': 'times_per_day' must be a whole number from 1 to 12",
        "exercise 'wall_angel' is not in the exercise library",
        "exercise 'chin_tuck' is prescribed twice",
    ):
        assert fragment in msg, fragment
    assert "\n" not in msg


def test_a_setting_written_under_the_wrong_table_is_named_with_where_it_goes() -> None:
    """Keys a therapist appends at the end of the file land, for TOML, in the table
    above them: the plan's quiet hours under [target], its break interval in the last
    exercise, the target's share before any table. Each read "unknown key
    'target.quiet_hours'", "exercise 'chin_tuck': unknown key 'break_interval_min'",
    "unknown key 'forward_head_max_share'": keys the plan format documents, with no word
    of what was wrong; a start written there was "missing" too."""
    text = (
        "schema = 1\nforward_head_max_share = 0.2\nend = 2024-03-31\n"
        '[target]\nquiet_hours = "12:00-13:00"\n'
        '[[exercise]]\nid = "chin_tuck"\ntimes_per_day = 3\nbreak_interval_min = 30\n'
        "start = 2024-03-04\n"
    )
    with pytest.raises(UserError) as info:
        plan.parse_plan_text(text, "p.toml")
    msg = str(info.value)
    for fragment in (
        "'forward_head_max_share' belongs under [target]",
        "'quiet_hours' is a setting of the plan, but written below [target]",
        "exercise 'chin_tuck': 'break_interval_min' is a setting of the plan, but written "
        "below [[exercise]]",
        "exercise 'chin_tuck': 'start' is a setting of the plan",
        "move it above the first [table] line",
    ):
        assert fragment in msg, fragment
    assert "unknown key" not in msg
    doc = example_doc()
    doc["target"]["times_per_day"] = 2
    with pytest.raises(UserError, match=r"'times_per_day' belongs to an exercise"):
        plan.parse_plan(doc, "p.toml")


def test_a_start_or_end_with_a_time_of_day_is_refused_at_import_naming_it() -> None:
    """A therapist in another time zone writes the moment of the session: TOML takes
    '2026-12-07T20:00:00-08:00' (Dec 8, 05:00 for a patient in Berlin) and '2026-12-20
    12:00:00'. Both were taken as their written day, the time and the zone dropped without a
    word: the plan started on Dec 7 and ran all of Dec 20. A plan already imported so
    still reads (a copy in the plan history judges its days), by its written days."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("start = 2024-03-04", "start = 2026-12-07T20:00:00-08:00")
    text = text.replace("end = 2024-03-31", "end = 2026-12-20 12:00:00")
    with pytest.raises(UserError) as info:
        plan.parse_plan_text(text, "p.toml")
    msg = str(info.value)
    assert "(2 problems)" in msg
    assert "'start' must be a day like 2024-03-04, not a moment (2026-12-07 20:00:00-08:00)" in msg
    assert "'end' must be a day like 2024-03-04, not a moment (2026-12-20 12:00:00)" in msg
    kept = plan.parse_plan_text(text, "p.toml", imported=True)
    assert (kept.start, kept.end) == (date(2026, 12, 7), date(2026, 12, 20))


@pytest.mark.parametrize("hold", [0, 0.5, 600.5, -3, float("nan"), True])
def test_hold_outside_the_stated_limits_is_refused(hold: float) -> None:
    # the message says "from 1 to 600": half a second was taken (and shown as "0.5 s hold")
    doc = example_doc()
    doc["exercise"][0]["hold_s"] = hold
    with pytest.raises(UserError, match="'hold_s' must be seconds from 1 to 600"):
        plan.parse_plan(doc)
    doc["exercise"][0]["hold_s"] = 1
    assert plan.parse_plan(doc).prescriptions[0].exercise.dosage.hold_s == (1.0, 1.0)


def test_quiet_hours_covering_the_day_and_overfull_days_are_rejected() -> None:
    doc = example_doc()
    doc["quiet_hours"] = "08:00-18:00"
    with pytest.raises(UserError, match="cover the whole 'workday'"):
        plan.parse_plan(doc)
    doc = example_doc()
    doc["workday"] = "09:00-10:00"
    doc["quiet_hours"] = "off"
    doc["exercise"][0]["times_per_day"] = 12
    with pytest.raises(UserError, match="prompts a day do not fit 60 free minutes"):
        plan.parse_plan(doc)


def test_broken_toml_is_a_user_error_naming_the_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text("schema = 1\nstart = [", encoding="utf-8")
    with pytest.raises(UserError, match=f"plan {f} is not valid TOML"):
        plan.load_plan_file(f)


def test_a_plan_saved_with_a_byte_order_mark_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Windows editors (Notepad's "UTF-8 with BOM") start the file with U+FEFF; TOML
    # itself refuses it, with "Invalid statement (at line 1, column 1)"
    f = tmp_path / "bom.toml"
    f.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    assert cli.main(["plan", "import", str(f)]) == 0, capsys.readouterr().err
    active = plan.load_active_plan()  # and the saved copy loads again at the coach's start
    assert active is not None
    assert replace(active, origin="") == replace(plan.load_plan_file(EXAMPLE), origin="")


def test_a_plan_saved_as_utf16_is_named_so_and_nothing_is_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Notepad's "Unicode" is UTF-16: the plan said only "is not UTF-8 text", where
    # config.toml says what the file is and what to do (both read through config_text)
    f = tmp_path / "utf16.toml"
    f.write_bytes(EXAMPLE.read_text(encoding="utf-8").encode("utf-16"))
    assert cli.main(["plan", "import", str(f)]) == 2
    assert f"plan {f} is saved as UTF-16; save it as UTF-8" in capsys.readouterr().err
    assert plan.load_active_plan() is None


def test_more_than_four_exercises_warns_but_is_accepted() -> None:
    doc = example_doc()
    for ex_id in ("neck_rotation", "scapular_retraction"):
        doc["exercise"].append({"id": ex_id, "times_per_day": 1})
    p = plan.parse_plan(doc)
    assert len(p.prescriptions) == 5
    assert len(p.warnings) == 1 and "5 exercises" in p.warnings[0]
    assert any("Warning: this plan has 5 exercises" in line for line in p.describe())
    assert plan.parse_plan(example_doc()).warnings == []


def test_a_plan_denser_than_the_coach_can_prompt_on_time_warns_naming_the_entries(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """28 doses in a 9 h working day, one every 19 min: valid, but the coach shows at most
    6 notifications an hour, alerts and breaks among them, so doses come late or are
    missed. Import and show say so and name the entries with the most doses."""
    doc = {
        "schema": 1,
        "start": date(2024, 3, 4),
        "end": date(2024, 3, 31),
        "exercise": [
            {"id": "neck_rotation", "times_per_day": 9},
            {"id": "chin_tuck", "times_per_day": 10, "days": ["mon", "tue"]},
            {"id": "scapular_retraction", "times_per_day": 9},
        ],
    }
    p = plan.parse_plan(doc)
    [warning] = p.warnings
    assert warning.startswith("28 doses a day on Mon, Tue in 9 h of working day")
    assert "prescribe at most 27 a day (3 an hour)" in warning
    assert warning.endswith(
        "fewer of exercise #2 'chin_tuck' (10 a day), exercise #1 'neck_rotation' (9 a day), "
        "exercise #3 'scapular_retraction' (9 a day)"
    )
    assert f"Warning: {warning}" in p.describe()
    f = tmp_path / "dense.toml"
    f.write_text(
        "schema = 1\nstart = 2024-03-04\nend = 2024-03-31\n"
        + "".join(
            f'[[exercise]]\nid = "{e["id"]}"\ntimes_per_day = {e["times_per_day"]}\n'
            + (f"days = {e['days']!r}\n".replace("'", '"') if "days" in e else "")
            for e in doc["exercise"]
        ),
        encoding="utf-8",
    )
    assert cli.main(["plan", "import", str(f)]) == 0
    assert f"warning: {warning}" in capsys.readouterr().out
    # 27 a day (3 an hour) fit: no warning
    doc["exercise"][1]["times_per_day"] = 9
    assert plan.parse_plan(doc).warnings == []


@pytest.mark.parametrize(
    "chin_tuck_days, said",
    [
        (None, "30 doses a day in 9 h"),  # every day alike: no weekday (it said "on a Monday")
        (["tue"], "30 doses on a Tuesday in 9 h"),  # the one busiest day is named
        (["mon", "tue", "wed", "thu", "fri"], "30 doses a day on Mon-Fri in 9 h"),
        (["wed", "sat"], "30 doses a day on Wed, Sat in 9 h"),
    ],
)
def test_the_dose_warning_names_the_busiest_days_or_none_when_every_day_is_alike(
    chin_tuck_days: list[str] | None, said: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    days = f"days = {chin_tuck_days!r}\n".replace("'", '"') if chin_tuck_days else ""
    f = tmp_path / "dense.toml"
    f.write_text(
        "schema = 1\nstart = 2024-03-04\nend = 2024-03-31\n"
        '[[exercise]]\nid = "neck_rotation"\ntimes_per_day = 10\n'
        f'[[exercise]]\nid = "chin_tuck"\ntimes_per_day = 10\n{days}'
        '[[exercise]]\nid = "scapular_retraction"\ntimes_per_day = 10\n',
        encoding="utf-8",
    )
    assert cli.main(["plan", "import", str(f)]) == 0
    [line] = [x for x in capsys.readouterr().out.splitlines() if "doses" in x]
    assert line.startswith(f"warning: {said} of working day are one every 18 min")


def test_cert_description_names_dosage_progression_and_tailoring() -> None:
    p = plan.load_plan_file(EXAMPLE)
    text = "\n".join(p.describe(today=date(2024, 3, 10)))
    assert "(running)" in text
    assert "Dosage (CERT 14a): 10 reps x 10 s hold, 1 set, 3 times a day, Mon-Fri" in text
    assert "Progression (CERT 7): add 2 reps each week, up to 15 reps; then 2 sets" in text
    assert "Tailoring (CERT 14b): if the neck is sore, do 5 reps and hold 5 s" in text
    assert "3 reps x 30 s hold, each side, 1 set, 2 times a day, every day" in text
    assert "10 reps, 1 set, 1 time a day, Mon, Wed, Fri" in text
    assert "custom exercise from the therapist" in text


# --------------------------------------------------------------------------- import/show/clear
def test_import_show_clear_cycle(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "show"]) == 0
    assert "no active plan" in capsys.readouterr().out
    assert cli.main(["plan", "import", str(EXAMPLE)]) == 0
    assert plan.active_plan_path().read_bytes() == EXAMPLE.read_bytes()  # comments kept
    capsys.readouterr()
    assert cli.main(["plan", "show"]) == 0
    out = capsys.readouterr().out
    assert "Plan for RM-03: 2024-03-04 to 2024-03-31" in out
    assert "1. Chin tuck [chin_tuck]" in out
    assert cli.main(["plan", "clear"]) == 0
    assert not plan.active_plan_path().exists()
    assert plan.load_active_plan() is None


def test_rejected_import_leaves_the_active_plan_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["plan", "import", str(EXAMPLE)]) == 0
    before = plan.active_plan_path().read_bytes()
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace("times_per_day = 3", "times_per_day = 30"))
    capsys.readouterr()
    assert cli.main(["plan", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("posture-guard: plan ") and err.count("\n") == 1
    assert "'times_per_day' must be a whole number from 1 to 12" in err
    assert plan.active_plan_path().read_bytes() == before


def test_damaged_active_plan_is_reported_with_the_way_out() -> None:
    plan.active_plan_path().write_text("schema = 1\n", encoding="utf-8")
    with pytest.raises(UserError, match="active plan cannot be used.*plan clear"):
        plan.load_active_plan()


def test_a_folder_named_plan_toml_is_one_line_naming_it_in_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder where `plan import` puts the active plan was "cannot read plan PATH: Is
    a directory (a damaged file, or a plan imported with an earlier version ...)" and
    offered `plan clear`, which failed on it too. Every command that reads the active
    plan, clears or imports one says the folder is in the way, once, naming it (`plan
    import` said "cannot save ...: it is a folder; remove it and try again", the only
    place told to remove a folder that may hold anything); clear and import leave the
    history as it was."""
    assert cli.main(["plan", "import", str(EXAMPLE)]) == 0
    path = plan.active_plan_path()
    path.unlink()
    path.mkdir()
    history = sorted(p.name for p in plan.plan_history_dir().iterdir())
    capsys.readouterr()
    commands = (
        ["plan", "show"],
        ["config"],
        ["report", "--therapist", "--pdf", str(tmp_path / "r.pdf")],
        ["plan", "clear"],
    )
    for argv in commands:
        assert cli.main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1, argv
        assert f"the active plan {path} is a folder, not a plan file; move it away" in err
        assert err.count(str(path)) == 1 and "earlier version" not in err, argv
    assert not (tmp_path / "r.pdf").exists()
    assert cli.main(["plan", "import", str(EXAMPLE)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.count(str(path)) == 1 and "remove it" not in err
    assert (
        f"the active plan {path} is a folder, not a plan file; move it away (nothing was "
        "imported; the plan history is as it was)" in err
    )
    assert path.is_dir() and sorted(p.name for p in plan.plan_history_dir().iterdir()) == history
    # done records the answer all the same, saying why the plan is left out
    assert cli.main(["done", "chin_tuck"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("chin_tuck: done at ") and "recorded without the plan" in err
    assert f"{path} is a folder, not a plan file" in err and "earlier version" not in err


def test_a_plan_of_a_newer_schema_is_refused_as_such_and_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan a newer posture_guard imported (plan schema 2, a key this version does not
    know), posture_guard then downgraded: every command that reads the active plan
    listed its new key and schema as problems and called it "a damaged file, or a plan
    imported with an earlier version", offering to replace it. The plan of schema 2 is
    written inline: no version writing one exists yet."""
    newer = EXAMPLE.read_text(encoding="utf-8").replace(
        "schema = 1 ", 'schema = 2\nreminder_style = "gentle"\n', 1
    )
    assert newer.count("schema = 2") == 1
    path = plan.active_plan_path()
    path.write_text(newer, encoding="utf-8")
    said = (
        f"plan {path} is of plan schema 2, written for a newer posture_guard (this version "
        "reads plan schema 1); update posture_guard to use it, or `posture-guard plan clear` "
        "to go on without it"
    )
    for argv in (["plan", "show"], ["config"], ["demo"]):
        capsys.readouterr()
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and said in err, argv
        assert "damaged" not in err and "reminder_style" not in err, argv
    assert cli.main(["done", "chin_tuck"]) == 0  # the answer is recorded all the same
    assert said in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == newer
    # importing such a plan says the same, and keeps the active plan as it was
    other = tmp_path / "newer.toml"
    other.write_text(newer, encoding="utf-8")
    assert cli.main(["plan", "import", str(other)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"posture-guard: plan {other} is of plan schema 2, written for a newer posture_guard "
        "(this version reads plan schema 1); update posture_guard to use it\n"
    )
    assert path.read_text(encoding="utf-8") == newer


def test_an_active_plan_an_older_version_accepted_still_lets_done_be_recorded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A plan imported before a rule was added (hold_s under 1 s was accepted) is refused
    when loaded, and was called damaged; `done` then refused the patient's answer too."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "hold_s = 10" in text
    plan.active_plan_path().parent.mkdir(parents=True, exist_ok=True)
    plan.active_plan_path().write_text(text.replace("hold_s = 10", "hold_s = 0.5", 1), "utf-8")
    with pytest.raises(UserError, match="cannot be used.*earlier version.*plan import"):
        plan.load_active_plan()
    capsys.readouterr()
    assert cli.main(["done", "chin_tuck"]) == 0
    captured = capsys.readouterr()
    assert "recorded without the plan" in captured.err and "hold_s" in captured.err
    assert captured.out.startswith("chin_tuck: done at ")
    from posture_guard import paths
    from posture_guard.store import Store

    with Store.open(paths.database_file()) as store:
        kinds = [e.kind for e in store.events(0, 4e9, ("exercise_done",))]
    assert kinds == ["exercise_done"]


def test_a_plan_naming_an_exercise_the_users_own_library_left_out_still_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The user's exercises.toml, a copy of the bundled one without the chin tuck, came
    after a plan prescribing it: the plan still holds, its chin tuck the bundled one, its
    doses prompted and done, but the coach's posture alerts and break prompts never pick
    it. The plan was refused everywhere as "a damaged file": the monitor would not start,
    and `plan show`, `done` and the report refused it."""
    from posture_guard.exercises import bundled_path, user_path

    today = date.today()
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("start = 2024-03-04", f"start = {today}")
    text = text.replace("end = 2024-03-31", f"end = {today + timedelta(days=27)}")
    f = tmp_path / "plan.toml"
    f.write_text(text, encoding="utf-8")
    assert cli.main(["plan", "import", str(f)]) == 0
    head, *blocks = bundled_path().read_text(encoding="utf-8").split("[[exercise]]")
    kept = [b for b in blocks if 'id = "chin_tuck"' not in b]
    assert len(kept) == len(blocks) - 1
    user_path().write_text("[[exercise]]".join([head, *kept]), encoding="utf-8")
    assert "chin_tuck" not in [ex.id for ex in load_library().exercises]

    active = plan.load_active_plan()
    assert active is not None
    tuck = active.by_id("chin_tuck")
    assert tuck is not None and not tuck.custom
    assert tuck.exercise.steps == load_library(bundled_path()).by_id("chin_tuck").steps
    settings, library = plan.coach_overrides(max(today, active.start))
    assert settings is not None and library is not None
    assert library.by_id("chin_tuck").targets == ()  # the user's choice for suggestions
    assert "chin_tuck" not in [ex.id for ex in library.for_target("forward_head")]
    capsys.readouterr()
    assert cli.main(["plan", "show"]) == 0
    assert "Chin tuck [chin_tuck] (posture_guard library)" in capsys.readouterr().out
    assert cli.main(["done", "chin_tuck"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("chin_tuck: done at ") and err == ""


def test_a_plan_naming_an_exercise_since_taken_out_of_the_users_library_still_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan prescribing by id an exercise of the user's own exercises.toml (one the
    therapist added there), imported, and the exercise then taken out of that file: the
    plan still holds, its dose prompted by its id and counted, `plan show` saying what
    happened. The active plan and its history copy were refused as "a damaged file":
    the monitor would not start, `plan show` and the report refused it, and a done of
    any exercise was recorded "without the plan"."""
    from posture_guard.exercises import bundled_path, user_path

    library = bundled_path().read_text(encoding="utf-8")
    own = (
        '\n[[exercise]]\nid = "wall_slide"\nname = "Wall slide"\nmuscles = ["lower trapezius"]'
        '\ntargets = ["break"]\nsteps = ["Back to a wall, slide your arms up and down."]'
        '\ncaution = "Stop if it pinches."\nsource = "the therapist"\n'
    )
    user_path().parent.mkdir(parents=True, exist_ok=True)
    user_path().write_text(library + own, encoding="utf-8")
    today = date.today()
    f = tmp_path / "plan.toml"
    f.write_text(
        f"schema = 1\nstart = {today}\nend = {today + timedelta(days=27)}\n"
        '[[exercise]]\nid = "wall_slide"\ntimes_per_day = 2\n'
        '[[exercise]]\nid = "chin_tuck"\ntimes_per_day = 2\n',
        encoding="utf-8",
    )
    assert cli.main(["plan", "import", str(f)]) == 0
    user_path().write_text(library, encoding="utf-8")  # wall_slide taken out again
    # a plan to import still needs its exercise described: the typo of an id is refused
    with pytest.raises(UserError, match="'wall_slide' is not in the exercise library"):
        plan.load_plan_file(f)

    active = plan.load_active_plan()
    assert active is not None
    slide = active.by_id("wall_slide")
    assert slide is not None and slide.times_per_day == 2
    assert [s.exercise for s in plan.schedule_day(active, today)].count("wall_slide") == 2
    settings, lib = plan.coach_overrides(today)
    assert settings is not None and lib is not None
    assert lib.by_id("wall_slide").targets == ()  # never suggested outside its doses
    (period,) = plan.plan_periods(today, today, active)  # the history copy reads too
    assert period.plan is not None and period.plan.by_id("wall_slide") is not None
    capsys.readouterr()
    assert cli.main(["plan", "show"]) == 0
    out = capsys.readouterr().out
    assert "wall_slide" in out and "no longer in" in out
    assert str(user_path().parent) not in out  # the therapist's PDF shows it: no user name
    assert cli.main(["done", "wall_slide"]) == 0
    out, err = capsys.readouterr()
    assert "(1 of 2 prescribed today)" in out and err == ""


def test_plan_new_writes_a_plan_that_imports(tmp_path: Path) -> None:
    out = tmp_path / "new.toml"
    rc = cli.main(
        ["plan", "new", str(out), "--patient", "AB", "--start", "2030-01-07", "--weeks", "2",
         "--exercise", "chin_tuck", "--exercise", "neck_rotation"]
    )  # fmt: skip
    assert rc == 0
    p = plan.load_plan_file(out)
    assert (p.start, p.end, p.patient) == (date(2030, 1, 7), date(2030, 1, 20), "AB")
    assert [x.id for x in p.prescriptions] == ["chin_tuck", "neck_rotation"]
    assert cli.main(["plan", "new", str(out)]) == 2  # never overwrites without --force
    assert cli.main(["plan", "new", str(out), "--exercise", "nope", "--force"]) == 2


def test_plan_new_with_a_patient_label_that_is_not_utf8_writes_no_file(tmp_path: Path) -> None:
    # A label typed in a Latin-1 terminal ("José" as b"Jos\xe9") reached the plan as a
    # lone surrogate: an internal error (exit 70) that left an empty plan file behind,
    # which the next `plan new` refused as existing.
    import os
    import subprocess

    out = tmp_path / "new.toml"
    done = subprocess.run(
        [sys.executable, "-m", "posture_guard", "plan", "new", os.fsencode(out),
         "--patient", b"Jos\xe9"],
        capture_output=True, timeout=120,
    )  # fmt: skip
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2 and len(err.strip().splitlines()) == 1, err
    assert "--patient 'Jos\\udce9' is not UTF-8 text" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--patient", "RM\n03"], "--patient 'RM\\n03': the label must be at most 40 characters"),
        (["--patient", "R" * 41], "--patient is 41 characters long: the label must be at most 40"),
        (["--exercise", "chin_tuck", "--exercise", "eye_rest", "--exercise", "chin_tuck"],
         "--exercise chin_tuck is given twice"),
    ],
)  # fmt: skip
def test_plan_new_names_the_option_the_plan_would_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    # A two-line label said "plan <new plan> is not valid TOML: Illegal character '\n'
    # (at line 4, column 13)", about a file the user never wrote; a repeated --exercise
    # "plan <new plan> is not valid (1 problem): (1) exercise 'chin_tuck' is prescribed
    # twice"
    out = tmp_path / "new.toml"
    assert cli.main(["plan", "new", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and said in err
    assert "<new plan>" not in err and not out.exists()


# --------------------------------------------------------------------------- scheduling
def test_schedule_spreads_doses_and_respects_days_dates_and_quiet_hours() -> None:
    p = plan.load_plan_file(EXAMPLE)
    monday = date(2024, 3, 4)
    slots = plan.schedule_day(p, monday)
    assert [s.exercise for s in slots].count("chin_tuck") == 3
    assert [s.exercise for s in slots].count("upper_trapezius_stretch") == 2
    assert [s.exercise for s in slots].count("wall_angel") == 1
    times = [s.at for s in slots]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert all(time(8, 30) <= t < time(17, 30) and not time(12) <= t < time(13) for t in times)
    # 6 doses over 480 free minutes: 80 min apart (measured in free minutes)
    free = [_free_minute(t) for t in times]
    assert [b - a for a, b in zip(free, free[1:])] == [80] * 5
    saturday = date(2024, 3, 9)
    assert [s.exercise for s in plan.schedule_day(p, saturday)] == ["upper_trapezius_stretch"] * 2
    assert plan.schedule_day(p, date(2024, 4, 1)) == []  # after the plan's end
    assert plan.schedule_day(p, date(2024, 3, 3)) == []  # before its start


def _free_minute(t: time) -> int:
    m = t.hour * 60 + t.minute - (8 * 60 + 30)
    return m - 60 if t >= time(13) else m


clock = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@settings(max_examples=150, deadline=None)
@given(
    work=st.tuples(st.integers(5 * 60, 11 * 60), st.integers(60, 11 * 60)),
    quiet=st.one_of(st.none(), st.tuples(clock, clock).filter(lambda q: q[0] != q[1])),
    doses=st.lists(st.integers(1, 6), min_size=1, max_size=5),
)
def test_schedule_properties(work: tuple[int, int], quiet, doses: list[int]) -> None:
    start, length = work
    end = min(start + length, 23 * 60 + 59)
    workday = (time(start // 60, start % 60), time(end // 60, end % 60))
    ids = ["chin_tuck", "neck_rotation", "scapular_retraction", "hydration", "eye_rest"]
    lib = load_library()
    prescriptions = tuple(
        plan.Prescription(lib.by_id(ex_id), False, n) for ex_id, n in zip(ids, doses)
    )
    p = plan.Plan(date(2024, 1, 1), date(2024, 12, 31), prescriptions, workday=workday,
                  quiet_hours=quiet)  # fmt: skip
    slots = plan.schedule_day(p, date(2024, 6, 3))
    free = plan._free_intervals(workday, quiet)
    if not free:
        assert slots == []
        return
    assert len(slots) == sum(doses)
    for pr in prescriptions:
        assert sum(1 for s in slots if s.exercise == pr.id) == pr.times_per_day
    for s in slots:
        m = s.at.hour * 60 + s.at.minute
        assert any(a <= m < b for a, b in free), (s, free)
        if quiet is not None:
            assert not plan._in_range(s.at, quiet)
    assert [s.at for s in slots] == sorted(s.at for s in slots)


# --------------------------------------------------------------------------- the coach follows
def test_coach_settings_follow_the_plan() -> None:
    doc = example_doc()
    doc["alert_sensitivity"] = "high"
    doc["break_interval_min"] = 30
    doc["quiet_hours"] = "17:00-18:00"  # swallows the default 17:30 check-in
    p = plan.parse_plan(doc)
    s = plan.coach_settings(p, CoachSettings())
    assert s.break_after_s == 30 * 60
    assert s.quiet_hours == (time(17), time(18))
    assert (s.alert_hold_s, s.alert_bad_share, s.alert_cooldown_s) == (60.0, 0.6, 600.0)
    assert s.checkin_time is None  # the workday ends 17:30, inside the quiet hours too
    s.validate()  # the coach accepts the settings
    normal = plan.coach_settings(plan.parse_plan(example_doc()), CoachSettings())
    assert normal.alert_hold_s == CoachSettings().alert_hold_s


def _write_config(text: str) -> Path:
    from posture_guard import paths

    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_plan_is_laid_over_the_users_own_coach_settings() -> None:
    """The user's [coach] table survives an active plan, except where the plan prescribes."""
    from posture_guard.coach import load_settings

    _write_config(
        '[coach]\nframing_prompts = false\ncheckin_time = "21:00"\nmicro_prompts = true\n'
        'snooze_button_s = "45m"\nalert_hold_s = 100\nquiet_hours = "22:00-07:00"\n'
    )
    own = load_settings()
    assert cli.main(["plan", "import", str(EXAMPLE)]) == 0
    p = plan.load_active_plan()
    assert p is not None and p.quiet_hours is not None and p.alert_sensitivity == "normal"
    settings_, library = plan.coach_overrides(p.start)
    assert settings_ is not None and library is not None
    # the user's choices the plan says nothing about
    assert settings_.framing_prompts is own.framing_prompts is False
    assert settings_.micro_prompts is own.micro_prompts is True
    assert settings_.snooze_button_s == own.snooze_button_s == 45 * 60
    assert settings_.checkin_time == own.checkin_time == time(21)
    assert settings_.alert_hold_s == own.alert_hold_s  # "normal" sensitivity keeps the user's
    # what the plan prescribes
    assert settings_.quiet_hours == p.quiet_hours != own.quiet_hours
    assert settings_.break_after_s == p.break_interval_min * 60
    assert settings_.plan_slots is not None
    settings_.validate()


def test_a_plan_without_quiet_hours_keeps_the_users() -> None:
    _write_config('[coach]\nquiet_hours = "22:00-07:00"\n')
    doc = example_doc()
    doc["quiet_hours"] = "off"
    p = plan.parse_plan(doc)
    from posture_guard.coach import load_settings

    assert plan.coach_settings(p, load_settings()).quiet_hours == (time(22), time(7))


def test_without_plan_quiet_hours_doses_are_spread_around_the_users_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The coach is silent in the user's own quiet hours when the plan has none, so the
    doses go where it can prompt them, and `plan show` says so and lists those times
    (it said "quiet hours: none" and listed a dose the coach could only send late)."""
    _write_config('[coach]\nquiet_hours = "09:00-10:00"\n')
    today = date.today()
    text = (
        EXAMPLE.read_text(encoding="utf-8")
        .replace("start = 2024-03-04", f"start = {today}")
        .replace("end = 2024-03-31", f"end = {today + timedelta(days=6)}")
        .replace('quiet_hours = "12:00-13:00"', 'quiet_hours = "off"')
    )
    text = "\n".join(x for x in text.splitlines() if not x.startswith("days ="))  # every day
    f = tmp_path / "off.toml"
    f.write_text(text, encoding="utf-8")
    assert cli.main(["plan", "import", str(f)]) == 0
    p = plan.load_active_plan()
    assert p is not None and p.quiet_hours is None
    # the plan's own schedule has a dose in the user's quiet hours: the case in question
    quiet = (time(9), time(10))
    assert any(quiet[0] <= s.at < quiet[1] for s in plan.schedule_day(p, today))
    settings_, _ = plan.coach_overrides(today)
    assert settings_ is not None and settings_.plan_slots is not None
    coach_times = [at for at, _ in settings_.plan_slots(today)]
    assert len(coach_times) == len(plan.schedule_day(p, today))  # no dose dropped
    assert not any(quiet[0] <= at < quiet[1] for at in coach_times)
    capsys.readouterr()
    assert cli.main(["plan", "show"]) == 0
    out = capsys.readouterr().out
    assert "quiet hours: none set by the plan; your own 09:00-10:00 hold" in out
    listed = out.split("Today's prompts: ")[1].splitlines()[0]
    assert listed == ", ".join(f"{at:%H:%M} {ex}" for at, ex in settings_.plan_slots(today))


def test_import_warns_when_the_users_own_quiet_hours_leave_no_dose_a_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan without quiet hours keeps the patient's own, and the coach is silent in
    them: own quiet hours over the plan's whole working day (a night worker's sleep)
    leave no dose a time to be prompted. The import said nothing of it, only that the
    monitor follows the plan; every dose then went unprompted, and the report counted
    each as "not prompted"."""
    _write_config('[coach]\nquiet_hours = "08:00-18:00"\ncheckin_time = "19:00"\n')
    doc = EXAMPLE.read_text(encoding="utf-8")
    f = tmp_path / "off.toml"
    f.write_text(doc.replace('quiet_hours = "12:00-13:00"', 'quiet_hours = "off"'), "utf-8")
    capsys.readouterr()
    assert cli.main(["plan", "import", str(f)]) == 0
    out = capsys.readouterr().out
    assert (
        "warning: your own quiet hours (08:00-18:00, config.toml) cover the plan's working "
        "day (08:30-17:30)" in out
    )
    assert "no dose of the plan is prompted" in out
    p = plan.load_active_plan()
    assert p is not None
    settings_, _ = plan.coach_overrides(p.start)
    assert settings_ is not None and settings_.plan_slots is not None
    assert settings_.plan_slots(p.start) == ()  # as the warning says
    # the plan's own quiet hours replace the user's: no warning then
    assert cli.main(["plan", "import", str(EXAMPLE)]) == 0
    assert "quiet hours" not in capsys.readouterr().out


def test_the_dose_warning_takes_the_users_own_quiet_hours_out_of_the_working_day(
    tmp_path: Path, pg_home: Path
) -> None:
    """24 doses in the 9 h working day fit (27 would, 3 an hour), but a plan without quiet
    hours keeps the patient's own, 12:00-16:00 here, and the coach spreads the doses over
    the 5 h left: one every 12 min, more than it shows on time. Import and `plan show`
    said nothing; they warn as for a plan with those quiet hours of its own, saying whose
    they are. Own quiet hours outside the working day change nothing."""

    def posture_guard(*argv: str) -> str:
        return posture_guard_ok(argv, pg_home)

    today = date.today()
    f = tmp_path / "dense.toml"
    f.write_text(
        f"schema = 1\nstart = {today}\nend = {today + timedelta(days=6)}\n"
        '[[exercise]]\nid = "chin_tuck"\ntimes_per_day = 12\n'
        '[[exercise]]\nid = "neck_rotation"\ntimes_per_day = 12\n',
        encoding="utf-8",
    )
    warning = (
        "24 doses a day in 5 h of working day outside your own quiet hours (12:00-16:00) "
        "are one every 12 min; the coach shows at most 6 notifications an hour"
    )
    _write_config('[coach]\nquiet_hours = "12:00-16:00"\n')
    assert f"warning: {warning}" in posture_guard("plan", "import", str(f))
    assert f"Warning: {warning}" in posture_guard("plan", "show")
    # what the coach will do: 24 doses between 08:30 and 17:30 outside 12:00-16:00
    settings_, _ = plan.coach_overrides(today)
    assert settings_ is not None and settings_.plan_slots is not None
    times = [at.hour * 60 + at.minute for at, _ in settings_.plan_slots(today)]
    assert len(times) == 24 and max(b - a for a, b in zip(times, times[1:]) if b < 16 * 60) < 15
    _write_config('[coach]\nquiet_hours = "22:00-07:00"\n')
    assert "warning:" not in posture_guard("plan", "import", str(f))


def test_a_broken_config_under_a_plan_is_a_user_error_naming_the_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _write_config("[coach]\nframing_prompts = 3\n")
    assert cli.main(["plan", "import", str(EXAMPLE)]) == 0
    with pytest.raises(
        UserError, match=f"config file {path} line 2: \\[coach\\] 'framing_prompts'"
    ):
        plan.coach_overrides(date(2024, 3, 5))
    _write_config("[coach\n")
    with pytest.raises(UserError, match=f"config file {path} is not valid TOML"):
        plan.coach_overrides(date(2024, 3, 5))


def test_coach_engine_prompts_prescribed_exercises_at_their_slots() -> None:
    """Fake clock: a person at the desk all day gets each scheduled dose once, on time."""
    doc = example_doc()
    doc["break_interval_min"] = 180  # keep break prompts out of the way
    doc["quiet_hours"] = "off"
    p = plan.parse_plan(doc)
    settings_ = plan.coach_settings(p, CoachSettings(checkin_time=None))
    coach = Coach(settings_, plan.library_with(p, load_library()))
    day = date(2024, 3, 4)
    state = coach.initial()
    prompted: list[tuple[time, str]] = []
    now = datetime.combine(day, time(8, 0))
    while now < datetime.combine(day, time(18, 0)):
        # away 2 min every 40 min, so long sitting never builds up
        present = (now.minute % 40) >= 2
        obs = Observation(now, PostureState.GOOD if present else PostureState.ABSENT)
        state, effects = coach.step(state, obs)
        for e in effects:
            if getattr(e, "kind", None) == "exercise_prompted" and e.payload["for"] == "plan":
                prompted.append((e.at.time(), e.payload["exercise"]))
        now += timedelta(seconds=20)
    expected = [(s.at, s.exercise) for s in plan.schedule_day(p, day)]
    assert [ex for _, ex in prompted] == [ex for _, ex in expected]
    for (got, _), (want, _) in zip(prompted, expected):
        late = datetime.combine(day, got) - datetime.combine(day, want)
        assert timedelta(0) <= late <= timedelta(minutes=3)


def test_coach_drops_a_slot_missed_by_more_than_an_hour() -> None:
    p = plan.parse_plan(example_doc())
    coach = Coach(plan.coach_settings(p, CoachSettings(checkin_time=None)),
                  plan.library_with(p, load_library()))  # fmt: skip
    day = date(2024, 3, 4)
    first = plan.schedule_day(p, day)[0]
    state = coach.initial()
    arrive = datetime.combine(day, first.at) + timedelta(minutes=61)
    state, effects = coach.step(state, Observation(arrive, PostureState.GOOD))
    assert not [e for e in effects if getattr(e, "kind", None) == "exercise_prompted"]


def test_an_unknown_key_with_a_line_break_is_named_on_one_line(tmp_path: Path) -> None:
    f = tmp_path / "odd.toml"
    f.write_text('schema = 1\n[target]\n"max\\nshare" = 1\n', encoding="utf-8")
    with pytest.raises(UserError) as err:
        plan.load_plan_file(f)
    assert "'target.max\\nshare'" in str(err.value)
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- dates and texts
@pytest.mark.parametrize("key, day", [("start", date(1, 1, 1)), ("end", date(9999, 12, 31))])
def test_plan_dates_outside_the_accepted_range_are_refused(key: str, day: date) -> None:
    """A plan from year 1 to 9999 imported, and then every `report --therapist` without
    --from crashed at the plan's first day until the plan was cleared."""
    doc = example_doc()
    doc[key] = day
    with pytest.raises(UserError) as info:
        plan.parse_plan(doc, "p.toml")
    from posture_guard.dates import EARLIEST_DAY, LATEST_DAY

    assert f"'{key}' {day} is outside" in str(info.value)
    assert f"{EARLIEST_DAY} to {LATEST_DAY}" in str(info.value)


def test_a_plan_longer_than_two_years_is_refused_and_not_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan of a century imported, and the therapist report over its days never
    finished."""
    text = EXAMPLE.read_text(encoding="utf-8")
    start = date(2024, 3, 4)

    def plan_until(end: date) -> Path:
        f = tmp_path / f"until-{end}.toml"
        f.write_text(text.replace("end = 2024-03-31", f"end = {end}"), encoding="utf-8")
        return f

    assert cli.main(["plan", "import", str(plan_until(date(2099, 12, 31)))]) == 2
    assert not plan.active_plan_path().exists()
    from posture_guard.plan import MAX_PLAN_DAYS

    longest = start + timedelta(days=MAX_PLAN_DAYS - 1)
    assert plan.load_plan_file(plan_until(longest)).end == longest
    capsys.readouterr()
    assert cli.main(["plan", "import", str(plan_until(longest + timedelta(days=1)))]) == 2
    err = capsys.readouterr().err
    assert f"lasts {MAX_PLAN_DAYS + 1} days, more than {MAX_PLAN_DAYS}" in err


@pytest.mark.parametrize(
    "where, value",
    [
        ("patient", "AB\x1b[31m"),
        ("name", "Wall\x1b[2J angel"),
        ("caution", "Stop\rif it hurts"),
        ("steps", ["Stand.", "Slide\x1b]0;title\x07 up."]),
    ],
)
def test_plan_texts_with_control_characters_are_refused(where: str, value) -> None:
    """Plan texts are printed (`plan show`, the coach's prompts); raw escape sequences
    would act on the terminal."""
    doc = example_doc()
    if where == "patient":
        doc["patient"] = value
    else:
        doc["exercise"][2][where] = value
    with pytest.raises(UserError) as info:
        plan.parse_plan(doc, "p.toml")
    assert f"'{where}'" in str(info.value)
    assert "\x1b" not in str(info.value) and "\r" not in str(info.value)


def test_plan_text_may_span_lines() -> None:
    doc = example_doc()
    doc["exercise"][2]["caution"] = "Stop if it pinches.\nSee your therapist."
    assert plan.parse_plan(doc).by_id("wall_angel").exercise.caution.endswith("therapist.")


def test_a_plan_that_cannot_be_saved_names_the_folder_not_a_temporary_file(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "config"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(UserError) as err:
        plan._write_atomic(blocked / "plan.toml", b"schema = 1\n")
    message = str(err.value)
    assert f"cannot save the active plan to {blocked / 'plan.toml'}" in message
    assert f"the folder {blocked}" in message and ".tmp" not in message


@pytest.mark.parametrize(
    "argv", [["plan", "import"], ["report", "--therapist", "--pdf", "x.pdf", "--plan"]]
)
def test_a_plan_longer_than_any_plan_is_refused_unread(argv, tmp_path: Path, capsys) -> None:
    # A device given as the plan (/dev/zero) was read whole, and never ended: the command
    # hung while it took all the memory there was. The bound is tried on a file here: a
    # test reading /dev/zero with the old code would take the machine's memory.
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * (plan.MAX_PLAN_BYTES + 1))
    assert cli.main([*argv, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"plan {path} is longer than 1 MB, more than any plan" in err
    assert not (tmp_path / "x.pdf").exists() and plan.active_plan_path().exists() is False


def test_plan_new_names_a_folder_or_a_missing_folder_not_an_existing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`plan new FOLDER` said it "already exists; choose another name or add --force", and
    with --force "cannot write FOLDER: Is a directory". The check `report` makes of its
    outputs names the folder, with or without --force."""
    (tmp_path / "plans").mkdir()
    for force in ([], ["--force"]):
        assert cli.main(["plan", "new", str(tmp_path / "plans"), *force]) == 2
        err = capsys.readouterr().err
        assert f"plan file {tmp_path / 'plans'} is a folder; give a file name" in err
    assert cli.main(["plan", "new", str(tmp_path / "no" / "p.toml")]) == 2
    assert f"the folder {tmp_path / 'no'} does not exist" in capsys.readouterr().err


def test_plan_new_cut_short_by_a_full_disk_leaves_no_half_plan(tmp_path: Path) -> None:
    """A disk that filled part way left the first kilobyte of the plan after "cannot
    write": a plan cut off mid-line, which `plan new` then refused to replace as existing."""
    from tests.cut_short import run_cut_short

    out = tmp_path / "p.toml"
    done = run_cut_short(["plan", "new", str(out)], 500, tmp_path / "home")
    assert done.returncode == 2 and not out.exists(), done.stderr
    assert done.stderr == f"posture-guard: cannot write plan {out}: File too large\n"


def test_plan_new_never_writes_over_the_database_or_the_active_plan_even_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`plan new DB --force` wrote a plan over the user's database (posture log and diary
    lost), and `plan new ACTIVE --force` replaced the active plan without `plan import`'s
    checks or history. Refused, as `report` refuses its outputs naming its inputs."""
    from posture_guard import paths

    assert cli.main(["checkin", "--none"]) == 0
    out = tmp_path / "p.toml"
    assert cli.main(["plan", "new", str(out)]) == 0
    assert cli.main(["plan", "import", str(out)]) == 0
    capsys.readouterr()
    for own, named in (
        (paths.database_file(), "the database"),
        (plan.active_plan_path(), "the active plan"),
    ):
        before = own.read_bytes()
        assert cli.main(["plan", "new", str(own), "--force", "--weeks", "2"]) == 2
        err = capsys.readouterr().err
        assert f"is the same file as {named}" in err and err.count("\n") == 1
        assert own.read_bytes() == before


def test_import_and_show_say_when_the_plans_quiet_hours_switch_the_checkin_off(
    tmp_path: Path, pg_home: Path
) -> None:
    """Quiet hours of 17:00-08:00 cover the check-in at 17:30 and the working day's end
    (17:30), where the check-in moves when it falls in them: the coach then shows no
    daily check-in at all. `plan import` and `plan show` said nothing of it; they warn,
    and a plan that leaves the end of the day free (the check-in moved there) does not."""

    def posture_guard(*argv: str) -> str:
        return posture_guard_ok(argv, pg_home)

    today = date.today()
    doc = (
        EXAMPLE.read_text(encoding="utf-8")
        .replace("start = 2024-03-04", f"start = {today}")
        .replace("end = 2024-03-31", f"end = {today + timedelta(days=27)}")
    )
    evening = tmp_path / "evening.toml"
    evening.write_text(doc.replace('"12:00-13:00"', '"17:00-08:00"'), encoding="utf-8")
    warning = (
        "the plan's quiet hours (17:00-08:00) cover your daily check-in time (17:30) and "
        "the end of the plan's working day (17:30), where the check-in moves when it falls "
        "in them, so no daily headache check-in is shown while this plan is in force"
    )
    assert f"warning: {warning}" in " ".join(posture_guard("plan", "import", str(evening)).split())
    assert f"Warning: {warning}" in " ".join(posture_guard("plan", "show").split())
    settings_, _ = plan.coach_overrides(today)
    assert settings_ is not None and settings_.checkin_time is None  # as the warning says

    # the check-in moved to 17:00, the end of a working day the quiet hours leave free
    moved = tmp_path / "moved.toml"
    text = doc.replace('"12:00-13:00"', '"17:15-08:00"').replace('"08:30-17:30"', '"08:30-17:00"')
    moved.write_text(text, encoding="utf-8")
    assert "no daily headache check-in" not in posture_guard("plan", "import", str(moved))
    assert "no daily headache check-in" not in posture_guard("plan", "show")
    settings_, _ = plan.coach_overrides(today)
    assert settings_ is not None and settings_.checkin_time == time(17)


def test_import_and_show_say_when_the_plans_quiet_hours_move_the_checkin(
    tmp_path: Path, pg_home: Path
) -> None:
    """Quiet hours of 17:15-08:00 cover the check-in at 17:30 but not the working day's
    end (17:00): the coach moves the check-in there. `plan import` and `plan show` said
    nothing of it; they say the time it is shown at, as they warn when it is switched
    off, and a plan whose quiet hours leave the check-in time free says nothing."""

    def posture_guard(*argv: str) -> str:
        return " ".join(posture_guard_ok(argv, pg_home).split())

    today = date.today()
    doc = (
        EXAMPLE.read_text(encoding="utf-8")
        .replace("start = 2024-03-04", f"start = {today}")
        .replace("end = 2024-03-31", f"end = {today + timedelta(days=27)}")
    )
    moved = tmp_path / "moved.toml"
    text = doc.replace('"12:00-13:00"', '"17:15-08:00"').replace('"08:30-17:30"', '"08:30-17:00"')
    moved.write_text(text, encoding="utf-8")
    warning = (
        "the plan's quiet hours (17:15-08:00) cover your daily check-in time (17:30), so "
        "the check-in is shown at the end of the plan's working day (17:00) instead while "
        "this plan is in force"
    )
    assert f"warning: {warning}" in posture_guard("plan", "import", str(moved))
    assert f"Warning: {warning}" in posture_guard("plan", "show")
    settings_, _ = plan.coach_overrides(today)
    assert settings_ is not None and settings_.checkin_time == time(17)  # as it says

    lunch = tmp_path / "lunch.toml"  # the example's 12:00-13:00 leaves 17:30 free
    lunch.write_text(doc, encoding="utf-8")
    assert "check-in" not in posture_guard("plan", "import", str(lunch))
    assert "check-in" not in posture_guard("plan", "show")


@pytest.mark.parametrize(
    ("argv", "instead"),
    [
        (["plan", "new"], "name a file to write: `posture-guard plan new FILE`"),
        (["plan", "new", "-"], "name a file to write: `posture-guard plan new FILE`"),
        (["plan", "example"], "send it to a file: `posture-guard plan example > FILE`"),
    ],
)
def test_a_plan_for_standard_output_closed_is_refused_not_a_bug(
    argv: list[str], instead: str, tmp_path: Path, pg_home: Path
) -> None:
    """`posture-guard plan example >&-` (and `plan new`, which prints the plan without a
    file) ended in "internal error (AttributeError: 'NoneType' object has no attribute
    'write')", exit status 70: Python sets sys.stdout to None while descriptor 1 is
    closed. Refused now, as `report --csv -` is, with a way to get the plan, status 2,
    and no file written in its place."""
    import os

    work = tmp_path / "work"
    work.mkdir()
    done = posture_guard(
        argv,
        pg_home,
        cwd=work,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
    )
    shown = " ".join(argv[1:]) if argv[-1] != "new" else "new without a file"
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"posture-guard: plan {shown} goes to standard output, which is closed (the "
        f"command was started with >&-); {instead}\n"
    )
    assert list(work.iterdir()) == []


def test_plan_new_and_its_help_name_an_example_an_installed_user_has(
    tmp_path: Path, pg_home: Path
) -> None:
    """`plan new` wrote "# Documented example: docs/plan-example.toml" and its help named
    that file, which is not in the installed package: `plan example` prints it, from the
    package's own data (the same bytes as docs/plan-example.toml), and both name that."""

    def posture_guard(*argv: str) -> str:
        # no docs/ folder beside it, as for an installed user
        return posture_guard_ok(argv, pg_home, cwd=tmp_path)

    data = Path(plan.__file__).with_name("data") / "plan-example.toml"
    assert data.read_bytes() == EXAMPLE.read_bytes()
    printed = posture_guard("plan", "example")
    assert printed == EXAMPLE.read_text(encoding="utf-8")
    new = posture_guard("plan", "new")
    assert "docs/" not in new and "`posture-guard plan example`" in new
    helped = " ".join(posture_guard("plan", "--help").split())
    assert "docs/" not in helped and "`posture-guard plan example` prints" in helped
    copy = tmp_path / "mine.toml"
    copy.write_text(printed, encoding="utf-8")
    assert "imported plan" in posture_guard("plan", "import", str(copy))
