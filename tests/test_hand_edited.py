"""Values of hand-edited files (a plan, config.toml, exercises.toml) that Python took for
what the file does not say: ``true`` and ``1.0`` equal 1, ``0`` equals false, and a
duration of 1e-7 s is more than zero. Each is refused in one line naming its line, as the
files' other mistakes are; the command runs as the user runs it, in a process of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from posture_guard import plan
from tests.cli_run import posture_guard, posture_guard_ok

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "docs" / "plan-example.toml"


def _plan_with(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "edited.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _line_of(path: Path, start: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith(start))


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("schema = 1 ", "schema = true ", "'schema' must be 1, not true"),
        ("schema = 1 ", "schema = 1.0 ", "'schema' must be 1, not 1.0"),
        ('quiet_hours = "12:00-13:00"', "quiet_hours = 0", "'quiet_hours' must look like"),
    ],
    ids=["true", "1.0", "quiet_hours 0"],
)
def test_a_plan_value_python_equates_with_another_is_refused_at_import(
    tmp_path: Path, pg_home: Path, old: str, new: str, said: str
) -> None:
    """`schema = true` and `schema = 1.0` were imported as plan schema 1, and
    `quiet_hours = 0` as no quiet hours; each is refused, naming its line, and the plan
    in force stays."""
    posture_guard_ok(["plan", "import", str(EXAMPLE)], pg_home)
    active = plan.active_plan_path().read_bytes()
    edited = _plan_with(tmp_path, old, new)
    done = posture_guard(["plan", "import", str(edited)], pg_home, capture_output=True)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    key = new.split(" ")[0]
    assert f"line {_line_of(edited, key + ' =')}: {said}" in line, line
    assert plan.active_plan_path().read_bytes() == active


def test_a_plan_imported_with_schema_true_before_still_reads(pg_home: Path) -> None:
    """One such plan imported by an earlier version is in the plan history and judges
    its days in the reports: it still reads, as it was judged."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("schema = 1 ", "schema = true ", 1)
    path = plan.active_plan_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace('quiet_hours = "12:00-13:00"', "quiet_hours = 0"))
    shown = posture_guard_ok(["plan", "show"], pg_home)
    assert "RM-03" in shown
    assert plan.load_plan_file(path, imported=True).quiet_hours is None


def test_a_duration_far_too_short_in_config_toml_is_refused_naming_line_and_bounds(
    pg_home: Path,
) -> None:
    """`break_after_s = 45` (meant as minutes), `alert_hold_s = 1e-7` and a `min_gap_s`
    of 5 s passed as "longer than zero": a break prompt every 45 s, an alert on one
    frame. Each is refused with its line and the bounds; the shortest allowed, and
    `min_gap_s = 0` (no gap), are taken."""
    from posture_guard import paths

    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "[coach]\nbreak_after_s = 45\nalert_hold_s = 1e-7\nmin_gap_s = 5\n", encoding="utf-8"
    )
    for argv in (["config"], ["demo"]):
        done = posture_guard(argv, pg_home, capture_output=True)
        assert done.returncode == 2, argv
        (line,) = done.stderr.splitlines()
        for said in (
            "line 2: 'break_after_s' must be from 1 min to 24 h (got 45 s)",
            "line 3: 'alert_hold_s' must be from 10 s to 24 h (got 1e-07 s)",
            "line 4: 'min_gap_s' must be 0 or from 10 s to 24 h (got 5 s)",
        ):
            assert said in line, (argv, line)
    config.write_text(
        '[coach]\nbreak_after_s = "1m"\nalert_hold_s = 10\nmin_gap_s = 0\n', encoding="utf-8"
    )
    shown = posture_guard_ok(["config"], pg_home)
    assert "break_after_s = " in shown and "min_gap_s = 0" in shown


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("hold_s = 10\n", "hold_s = 1e-7\n", "'dosage.hold_s' must be from 1 to 600 seconds"),
        ("hold_s = 10\n", "hold_s = [5, 1e9]\n", "'dosage.hold_s' must be from 1 to 600 seconds"),
        ("reps = 10\n", "reps = 1000\n", "'dosage.reps' must be a whole number from 1 to 100"),
        (
            "times_per_day = [1, 2]\n",
            "times_per_day = 1e-7\n",
            "'dosage.times_per_day' must be from 1 to 12 times a day",
        ),
    ],
    ids=["hold 1e-7", "hold 1e9", "reps 1000", "times 1e-7"],
)
def test_a_dose_no_one_prescribes_in_exercises_toml_is_refused_naming_its_line(
    pg_home: Path, old: str, new: str, said: str
) -> None:
    """A hold of 1e-7 s passed as "positive" and every prompt of the exercise read "10 x
    1e-07 s hold"; the bounds are a plan's own."""
    from posture_guard import exercises

    text = exercises.bundled_path().read_text(encoding="utf-8")
    assert old in text
    path = exercises.user_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    done = posture_guard(["config"], pg_home, capture_output=True)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    key = new.split(" ")[0]
    assert f"{path} line {_line_of(path, key + ' =')}: exercise 'chin_tuck': {said}" in line
