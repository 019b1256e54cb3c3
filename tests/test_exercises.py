"""The exercise library: the bundled data, its validation, and the rotation rule."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posture_guard import exercises
from posture_guard.errors import UserError
from posture_guard.exercises import MAX_STEPS_CHARS, load_library, parse_library, pick_exercise

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REQUIRED_IDS = {
    "chin_tuck",
    "upper_trapezius_stretch",
    "levator_scapulae_stretch",
    "suboccipital_release",
    "doorway_pectoral_stretch",
    "scapular_retraction",
    "neck_rotation",
    "relaxation_breathing",
    "hydration",
}


def bundled_doc() -> dict:
    return tomllib.loads(exercises.bundled_path().read_text(encoding="utf-8"))


def test_bundled_library_has_the_issue_exercises_complete_and_short():
    lib = load_library()
    ids = {ex.id for ex in lib.exercises}
    assert REQUIRED_IDS <= ids
    for ex in lib.exercises:
        assert ex.name and ex.caution and ex.source and ex.steps
        assert sum(len(s) + 1 for s in ex.steps) <= MAX_STEPS_CHARS
        if ex.id not in ("hydration",):
            assert ex.muscles, ex.id
    assert lib.origin == str(exercises.bundled_path())


def test_starting_doses_are_the_ones_the_issue_asks_for():
    lib = load_library()
    chin = lib.by_id("chin_tuck").dosage
    assert (chin.reps, chin.hold_s, chin.times_per_day) == (10, (10.0, 10.0), (1.0, 2.0))
    for ex_id in (
        "upper_trapezius_stretch",
        "levator_scapulae_stretch",
        "doorway_pectoral_stretch",
        "suboccipital_release",
    ):
        d = lib.by_id(ex_id).dosage
        assert (d.reps, d.hold_s) == (3, (30.0, 30.0)), ex_id
    for ex_id in (
        "upper_trapezius_stretch",
        "levator_scapulae_stretch",
        "doorway_pectoral_stretch",
    ):
        assert lib.by_id(ex_id).dosage.per_side
    retraction = lib.by_id("scapular_retraction").dosage
    assert (retraction.reps, retraction.hold_s) == (10, (5.0, 10.0))


def test_dose_wording_reads_as_a_person_would_write_it():
    lib = load_library()
    assert lib.by_id("chin_tuck").dosage.text() == "10 x 10 s hold, 1-2 times a day"
    assert lib.by_id("upper_trapezius_stretch").dosage.text() == "3 x 30 s hold, each side"
    assert lib.by_id("scapular_retraction").dosage.text() == "10 x 5-10 s hold"
    assert lib.by_id("relaxation_breathing").dosage.text() == "6 slow breaths"
    assert lib.by_id("hydration").dosage.text() == ""
    short = lib.by_id("chin_tuck").short_text()
    assert short.startswith("Sit tall") and short.endswith("(10 x 10 s hold, 1-2 times a day)")


def test_the_evidence_named_in_the_issue_is_cited():
    sources = " ".join(ex.source for ex in load_library().exercises)
    for needle in (
        "Jull",
        "2002",
        "van Ettekoven",
        "2006",
        "Sheikhhoseini",
        "2018",
        "Mongini",
        "2012",
        "McLean",
        "2001",
    ):
        assert needle in sources, needle


def test_faults_map_to_the_exercises_that_fit_them():
    lib = load_library()
    assert pick_exercise(lib, "forward_head", []).id == "chin_tuck"
    first_two = {
        pick_exercise(lib, "raised_shoulders", []).id,
        pick_exercise(lib, "raised_shoulders", ["upper_trapezius_stretch"]).id,
    }
    assert first_two == {"upper_trapezius_stretch", "relaxation_breathing"}
    for target in ("forward_head", "raised_shoulders", "head_tilt", "break", "micro"):
        assert all(target in ex.targets for ex in lib.for_target(target))
        assert lib.for_target(target)


@given(
    st.lists(
        st.sampled_from(["forward_head", "raised_shoulders", "head_tilt", "break"]),
        min_size=1,
        max_size=40,
    )
)
def test_rotation_never_repeats_and_fits_the_fault_when_it_can(targets):
    lib = load_library()
    recent: list[str] = []
    for target in targets:
        ex = pick_exercise(lib, target, recent)
        if recent:
            assert ex.id != recent[-1]
        fitting = [e.id for e in lib.for_target(target) if not recent or e.id != recent[-1]]
        if fitting:
            assert target in ex.targets
        recent = [e for e in recent if e != ex.id] + [ex.id]


def test_rotation_goes_through_every_fitting_exercise_before_repeating():
    lib = load_library()
    for target in ("forward_head", "break"):
        n = len(lib.for_target(target))
        recent: list[str] = []
        picks = []
        for _ in range(n):
            ex = pick_exercise(lib, target, recent)
            picks.append(ex.id)
            recent = [e for e in recent if e != ex.id] + [ex.id]
        assert sorted(picks) == sorted(e.id for e in lib.for_target(target))


def test_a_sole_fitting_exercise_is_not_repeated_twice_in_a_row():
    doc = bundled_doc()
    lib = parse_library(doc)
    # eye_rest is the only "micro" exercise: after it, something else comes
    assert pick_exercise(lib, "micro", []).id == "eye_rest"
    assert pick_exercise(lib, "micro", ["eye_rest"]).id != "eye_rest"


def _write_user_copy(home: Path, doc_text: str) -> Path:
    path = exercises.user_path()
    path.write_text(doc_text, encoding="utf-8")
    return path


def test_a_therapists_copy_in_the_config_dir_replaces_the_bundled_doses(pg_home):
    text = exercises.bundled_path().read_text(encoding="utf-8")
    changed = text.replace("reps = 10\nhold_s = 10\n", "reps = 6\nhold_s = 5\n", 1)
    assert changed != text
    path = _write_user_copy(pg_home, changed)
    lib = load_library()
    assert lib.origin == str(path)
    assert lib.by_id("chin_tuck").dosage.text() == "6 x 5 s hold, 1-2 times a day"


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda d: d["exercise"][0].update(colour="red"),
            "exercise 'chin_tuck': unknown key 'colour'",
        ),
        (lambda d: d["exercise"][0].pop("caution"), "exercise 'chin_tuck': missing key 'caution'"),
        (lambda d: d["exercise"][1].update(id="chin_tuck"), "'chin_tuck' appears twice"),
        (lambda d: d["exercise"][0].update(targets=["slouch"]), "unknown target 'slouch'"),
        (lambda d: d["exercise"][0].update(steps=["x" * 300]), "'steps' are too long"),
        (lambda d: d["exercise"][0].update(steps=[]), "'steps' must not be empty"),
        (lambda d: d["exercise"][0]["dosage"].update(reps=0), "'dosage.reps' must be"),
        (lambda d: d["exercise"][0]["dosage"].update(hold_s=[10, 5]), "'dosage.hold_s' must be"),
        (lambda d: d["exercise"][0]["dosage"].update(sets=2), "unknown key 'dosage.sets'"),
        (lambda d: d["exercise"][0].update(name=""), "'name' must be non-empty text"),
        (lambda d: d["exercise"][0].update(id="Chin Tuck"), "'id' must be lower_case"),
        (lambda d: d.update(exercises=[]), "unknown top-level key 'exercises'"),
        (
            lambda d: d.update(
                exercise=[e for e in d["exercise"] if "head_tilt" not in e["targets"]]
            ),
            "no exercise targets 'head_tilt'",
        ),
    ],
)
def test_a_broken_library_is_a_user_error_naming_the_exercise_and_key(mutate, message):
    doc = bundled_doc()
    mutate(doc)
    with pytest.raises(UserError) as info:
        parse_library(doc, origin="lib.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("lib.toml")


def test_a_user_copy_that_is_not_toml_names_the_file(pg_home):
    path = _write_user_copy(pg_home, "[[exercise]\nid = ")
    with pytest.raises(UserError) as info:
        load_library()
    assert str(path) in str(info.value) and "not valid TOML" in str(info.value)


def test_a_folder_named_like_the_user_copy_is_refused_naming_it(pg_home, capsys):
    # A folder where exercises.toml goes was passed over for the bundled library: the
    # user's own exercises were silently missing.
    from posture_guard import cli

    path = exercises.user_path()
    path.mkdir(parents=True)
    with pytest.raises(UserError) as info:
        load_library()
    assert f"exercise library {path} is a folder, not a file" in str(info.value)
    # the commands that load it say so in one line, exit 2, as for a broken file
    assert cli.main(["config"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and f"{path} is a folder" in err


def test_a_user_copy_linked_to_a_file_not_there_is_refused_naming_the_link(
    pg_home, tmp_path, capsys
):
    # A therapist's copy kept elsewhere and linked here, the link leading to the old
    # computer's path after a move, was passed over for the bundled library unsaid.
    from posture_guard import cli

    path = exercises.user_path()
    gone = tmp_path / "old-home" / "exercises.toml"
    path.symlink_to(gone)
    with pytest.raises(UserError) as info:
        load_library()
    assert str(info.value) == (
        f"exercise library {path} is a link to {gone}, which is not there (a drive not "
        "mounted, or a folder moved? mount or restore it, or mend the link)"
    )
    assert cli.main(["config"]) == 2
    assert f"{path} is a link to {gone}, which is not there" in capsys.readouterr().err


def test_the_coach_refuses_to_start_on_a_broken_user_library(pg_home):
    from datetime import datetime

    from posture_guard.coach import CoachSink
    from posture_guard.notify import PrintingNotifier
    from posture_guard.sinks import SessionInfo

    _write_user_copy(pg_home, "exercise = 3\n")
    with pytest.raises(UserError) as info:
        CoachSink(SessionInfo(datetime(2024, 3, 4, 9), "p", live=False), PrintingNotifier())
    assert "no [[exercise]] entries" in str(info.value)


@pytest.mark.parametrize("typed", ["inf", "[5, inf]", "1" + "0" * 400])
def test_a_dose_no_finite_number_gives_is_refused_naming_the_file_and_key(typed, pg_home, capsys):
    # inf was taken, and the prompt read "10 x inf s hold"; 1 and 400 zeros, which no
    # float holds, stopped demo, run and config with "internal error (OverflowError ...)"
    from posture_guard import cli

    text = exercises.bundled_path().read_text(encoding="utf-8")
    changed = text.replace("reps = 10\nhold_s = 10\n", f"reps = 10\nhold_s = {typed}\n", 1)
    assert changed != text
    path = _write_user_copy(pg_home, changed)
    assert cli.main(["config"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and str(path) in err
    assert "exercise 'chin_tuck': 'dosage.hold_s' must be a finite number" in err


@pytest.mark.parametrize(
    "key, typed, shown",
    [
        ("name", "\x1b[2J\x1b[31mChin tuck", "\\x1b"),
        ("caution", "Stop if it hurts\r", "\\r"),
        ("steps", "Sit tall \u202eeert", "\\u202e"),
        ("muscles", "deep neck flexors\x07", "\\x07"),
        ("dosage.unit", "times\x1b[8m", "\\x1b"),
    ],
)
def test_control_characters_in_a_librarys_text_are_refused_as_a_plans_are(key, typed, shown):
    # A therapist's copy was never checked for them, as a plan's texts are.
    doc = bundled_doc()
    first = doc["exercise"][0]
    if key == "dosage.unit":
        first["dosage"]["unit"] = typed
    elif key in ("steps", "muscles"):
        first[key] = [typed]
    else:
        first[key] = typed
    with pytest.raises(UserError) as info:
        parse_library(doc, origin="lib.toml")
    assert f"lib.toml: exercise 'chin_tuck': {key!r} holds control characters ({shown})" == str(
        info.value
    )


def test_a_command_refuses_a_library_with_control_characters_in_one_line(pg_home, capsys):
    # an escape sequence in a name cleared and recoloured the terminal when `demo`
    # printed the prompt; now the command says which text holds it, shown escaped
    from posture_guard import cli

    text = exercises.bundled_path().read_text(encoding="utf-8")
    changed = text.replace('name = "Chin tuck"', 'name = "Chin \\u001b[31mtuck"', 1)
    assert changed != text
    path = _write_user_copy(pg_home, changed)
    assert cli.main(["demo"]) == 2
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err
    line = 1 + changed[: changed.index('name = "Chin ')].count("\n")
    assert err.strip().splitlines() == [
        f"posture-guard: {path} line {line}: exercise 'chin_tuck': 'name' holds control "
        "characters (\\x1b)"
    ]


def test_a_newline_or_tab_in_a_librarys_text_is_kept_as_a_plans_is():
    doc = bundled_doc()
    doc["exercise"][0]["caution"] = "Stop if it hurts.\n\tAsk your therapist."
    lib = parse_library(doc, origin="lib.toml")
    assert lib.by_id("chin_tuck").caution == "Stop if it hurts.\n\tAsk your therapist."
