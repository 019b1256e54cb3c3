"""A value that breaks a rule in config.toml, a plan or exercises.toml is named with the
line it is written on, as a TOML syntax error is: with the key alone ("exercise
'chin_tuck': 'reps' must be ..."), a therapist with a long plan had to hunt for it.
Comments and strings that hold a key's name, multi-line values, dotted, quoted and
inline keys must not move the line; where none can be named, none is."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from posture_guard import cli, coach, exercises, paths, plan
from posture_guard.errors import UserError
from posture_guard.toml_lines import key_lines

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The line (from 1) of the ``occurrence``-th line of ``text`` holding ``fragment``."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(found) >= occurrence, (fragment, found)
    return found[occurrence - 1]


# --------------------------------------------------------------------------- config.toml
CONFIG = """\
# Your settings. alert_hold_s = 90 is the default; so is quiet_hours = "off".
[coach]
# alert_hold_s: how long a fault lasts before an alert
quiet_hours = "22:00-07:00"   # alert_hold_s = 5 would be too quick
checkin_time = '''17:30'''
alert_hold_s = inf
"""


def test_a_bad_value_in_config_toml_is_named_with_its_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = paths.config_file()
    path.write_text(CONFIG, encoding="utf-8")
    assert cli.main(["config"]) == 2
    err = capsys.readouterr().err
    line = line_of(CONFIG, "alert_hold_s = inf")
    assert line == 6
    assert err.strip() == (
        f"posture-guard: config file {path} line {line}: [coach] 'alert_hold_s' must be a "
        "finite number of seconds, not inf"
    )


def test_config_toml_problems_each_name_their_line_dotted_and_quoted_keys_too() -> None:
    text = (
        "# [coch] and snooze_button_s = 0 here are only a comment\n"
        'coach."snooze_button_s" = 0\n'
        "coach.quiet_hours = 'off'\n"
        "oops = [\n"
        "  1,\n"
        "]\n"
        "[coch]\n"
        "x = 1\n"
    )
    path = paths.config_file()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        coach.load_settings(path)
    assert str(caught.value) == (
        f"config file {path} is not valid (3 problems): "
        f"(1) line {line_of(text, 'oops')}: setting 'oops' is outside any table; coach "
        "settings go under [coach]; "
        f"(2) line {line_of(text, '[coch]', 2)}: unknown table [coch] (known: [coach]); "
        f"(3) line {line_of(text, 'coach.')}: [coach] 'snooze_button_s' must be longer than zero"
    )


def test_a_check_across_two_settings_points_at_the_one_written() -> None:
    # framing_window_s is left at its default: the line is the one the user wrote
    text = '[coach]\n\nframing_after_s = "40m"\n'
    path = paths.config_file()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        coach.load_settings(path)
    assert str(caught.value).startswith(f"config file {path} line 3: [coach] 'framing_after_s'")


# --------------------------------------------------------------------------- plans
PLAN = '''\
# A plan with every tricky shape. reps = 0 and times_per_day = 99 in a comment.
schema = 1
start = 2026-12-01
end = 2026-12-31
"break_interval_min" = 5
target.forward_head_max_share = 2

[[exercise]]
id = "chin_tuck"   # reps = 0 in a comment
times_per_day = 3
note = """
reps = 0
[[exercise]]
"""

[[exercise]]
id = "my_own"
name = 'Mine'
steps = [
  """A long step,
written over two lines""",  # reps = 0
  "two",
]
caution = "careful"
times_per_day = 2
days = [
  "mon",
  "frx",
]
reps = 0

[[exercise]]
id = "chin_tuck"
'''


def test_plan_problems_each_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        plan.load_plan_file(path)
    frx, again = line_of(PLAN, '  "frx"'), line_of(PLAN, 'id = "chin_tuck"', 2)
    reps = [n for n, row in enumerate(PLAN.splitlines(), 1) if row == "reps = 0"][-1]
    assert str(caught.value) == (
        f"plan {path} is not valid (6 problems): "
        f"(1) line {line_of(PLAN, 'break_interval_min')}: 'break_interval_min' must be a "
        "number of minutes from 10 to 180; "
        f"(2) line {line_of(PLAN, 'target.')}: 'target.forward_head_max_share' must be a "
        "share between 0 and 1 (0.2 = 20 %); "
        f"(3) line {line_of(PLAN, 'note')}: exercise 'chin_tuck': unknown key 'note'; "
        f"(4) line {reps}: exercise 'my_own': 'reps' must be a whole number from 1 to 100; "
        f"(5) line {frx}: exercise 'my_own': 'days' has 'frx'; use mon, tue, wed, thu, fri, "
        "sat, sun; "
        f"(6) line {again}: exercise 'chin_tuck' is prescribed twice"
    )
    # the line of the key, not of a comment's or a string's "reps = 0" before it
    assert reps == 30 and line_of(PLAN, "reps = 0") == 1


def test_a_plan_import_names_the_line_the_therapist_must_mend(
    tmp_path: Path, pg_home: Path
) -> None:
    # in its own process, as the therapist sees it: one line, the file and the line
    text = EXAMPLE_PLAN.read_text(encoding="utf-8")
    bad = text.replace("times_per_day = 2", "times_per_day = 20", 1)
    assert bad != text
    path = tmp_path / "plan.toml"
    path.write_text(bad, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "posture_guard", "plan", "import", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "POSTURE_GUARD_HOME": str(pg_home)},
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"posture-guard: plan {path} is not valid (1 problem): "
        f"(1) line {line_of(bad, 'times_per_day = 20')}: exercise 'upper_trapezius_stretch': "
        "'times_per_day' must be a whole number from 1 to 12"
    ]
    assert not plan.active_plan_path().exists()


EXAMPLE_PLAN = REPO / "docs" / "plan-example.toml"


def test_a_key_left_out_points_at_its_exercise_and_one_with_no_place_at_none(
    tmp_path: Path,
) -> None:
    text = (
        "schema = 1\n"
        "end = 2026-12-31\n"
        "exercise = [\n"
        '  { id = "chin_tuck", times_per_day = 2 },\n'
        '  { id = "neck_rotation" },\n'
        "]\n"
    )
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        plan.load_plan_file(path)
    # 'start' has no line to be written on: none is named, rather than a wrong one
    assert str(caught.value) == (
        f"plan {path} is not valid (2 problems): "
        "(1) 'start' is missing (a date like start = 2024-03-04); "
        f"(2) line {line_of(text, 'neck_rotation')}: exercise 'neck_rotation': "
        "'times_per_day' is missing (how often a day, 1-12)"
    )


def test_a_plan_given_as_a_table_has_no_lines_to_name() -> None:
    doc = tomllib.loads(EXAMPLE_PLAN.read_text(encoding="utf-8"))
    doc["break_interval_min"] = 5
    with pytest.raises(UserError) as caught:
        plan.parse_plan(doc)
    assert str(caught.value) == (
        "plan <plan> is not valid (1 problem): "
        "(1) 'break_interval_min' must be a number of minutes from 10 to 180"
    )


# --------------------------------------------------------------------------- exercises.toml
def _user_library(pg_home: Path, text: str) -> Path:
    path = exercises.user_path()
    path.write_text(text, encoding="utf-8")
    return path


BUNDLED = exercises.bundled_path().read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "old, new, fragment, occurrence, problem",
    [
        # a [exercise.dosage] table of the second exercise
        (
            "reps = 3",
            "reps = 0",
            "reps = 0",
            1,
            "'dosage.reps' must be a whole number from 1 to 100",
        ),
        # the same dosage written inline: the key inside it is named
        (
            "[exercise.dosage]\nreps = 3\nhold_s = 30\nper_side = true\n",
            "dosage = { hold_s = 30, per_side = true, reps = 0 }\n",
            "reps = 0 }",
            1,
            "'dosage.reps' must be a whole number from 1 to 100",
        ),
        # a dotted key in the exercise's own table
        (
            "[exercise.dosage]\nreps = 3\nhold_s = 30\nper_side = true\n",
            "dosage.hold_s = 30\ndosage.per_side = 'yes'\n",
            "dosage.per_side",
            1,
            "'dosage.per_side' must be true or false",
        ),
    ],
)
def test_a_library_problem_names_its_line(
    pg_home: Path,
    old: str,
    new: str,
    fragment: str,
    occurrence: int,
    problem: str,
) -> None:
    text = BUNDLED.replace(old, new, 1)
    assert text != BUNDLED
    path = _user_library(pg_home, text)
    with pytest.raises(UserError) as caught:
        exercises.load_library()
    message = str(caught.value)
    assert message.startswith(f"{path} line {line_of(text, fragment, occurrence)}: exercise '")
    assert message.endswith(problem)


def _headers(text: str) -> list[int]:
    """The offsets of the [[exercise]] lines of ``text``."""
    return [n for n in range(len(text)) if text.startswith("\n[[exercise]]", n - 1)]


def test_a_library_names_the_line_of_a_second_id_a_target_and_a_key_left_out(
    pg_home: Path,
) -> None:
    # the second exercise takes the first's id
    second = _headers(BUNDLED)[1]
    first_id = 'id = "chin_tuck"'
    own_id = BUNDLED[second:].splitlines()[1]
    assert own_id.startswith("id = ") and first_id in BUNDLED[:second]
    twice = BUNDLED[:second] + BUNDLED[second:].replace(own_id, first_id, 1)
    path = _user_library(pg_home, twice)
    with pytest.raises(UserError) as caught:
        exercises.load_library()
    assert str(caught.value) == (
        f"{path} line {line_of(twice, first_id, 2)}: exercise id 'chin_tuck' appears twice"
    )

    # a target typed wrong, on its own line of a multi-line list
    targets = 'targets = ["forward_head", "break"]'
    wrong = BUNDLED.replace(targets, 'targets = [\n  "break",\n  "fowrard_head",\n]', 1)
    assert wrong != BUNDLED
    path = _user_library(pg_home, wrong)
    with pytest.raises(UserError) as caught:
        exercises.load_library()
    assert str(caught.value).startswith(
        f"{path} line {line_of(wrong, 'fowrard_head')}: exercise 'chin_tuck': 'targets' has "
        "unknown target 'fowrard_head'"
    )

    # 'caution' left out of the third exercise: named at its [[exercise]] line
    third = _headers(BUNDLED)[2]
    caution = next(line for line in BUNDLED[third:].splitlines() if line.startswith("caution"))
    gone = BUNDLED[:third] + BUNDLED[third:].replace(caution + "\n", "", 1)
    path = _user_library(pg_home, gone)
    with pytest.raises(UserError) as caught:
        exercises.load_library()
    header = 1 + gone[:third].count("\n")
    assert gone.splitlines()[header - 1] == "[[exercise]]"
    assert str(caught.value).startswith(f"{path} line {header}: exercise '")
    assert str(caught.value).endswith("missing key 'caution'")


# --------------------------------------------------------------------------- the lines
@pytest.mark.parametrize(
    "path",
    [
        exercises.bundled_path(),
        EXAMPLE_PLAN,
        REPO / "docs" / "config-example.toml",
    ],
    ids=lambda p: p.name,
)
def test_every_key_of_the_shipped_files_is_found_on_its_own_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.name == "config-example.toml":  # every setting commented out: take them in
        text = "\n".join(
            line[2:] if line.startswith("# ") and " = " in line else line
            for line in text.splitlines()
        )
    doc = tomllib.loads(text)
    lines = key_lines(text, doc).lines
    assert lines, "no line found"
    rows = text.splitlines()
    for key_path, number in lines.items():
        last = key_path[-1]
        if isinstance(last, str):
            row = rows[number - 1].split("#")[0]
            assert last in row, (key_path, number, rows[number - 1])


def test_a_text_other_than_the_one_parsed_gives_no_line() -> None:
    # what was found must be what tomllib read, or no line is given at all
    text = "[coach]\nalert_hold_s = 5\n"
    assert key_lines(text, tomllib.loads(text)).line(("coach", "alert_hold_s")) == 2
    other = tomllib.loads('[coach]\n\nalert_hold_s = 5\nquiet_hours = "off"\n')
    assert key_lines(text, other).line(("coach", "alert_hold_s")) is None
    assert key_lines(text, other).at(("coach", "alert_hold_s")) == ""


KEYS = ("reps", "id", "times_per_day", "a b", "x.y", "días", "1979-05-27", "#c")


def _written(rng: random.Random) -> tuple[str, dict[tuple, int]]:
    """A TOML text of random shapes, and the line each key and item was written on."""
    out: list[str] = []
    where: dict[tuple, int] = {}

    def key(name: str) -> str:
        bare = name.replace("_", "").replace("-", "").isalnum() and name.isascii()
        if bare and rng.random() < 0.7:
            return name
        return f"'{name}'" if rng.random() < 0.5 else f'"{name}"'

    def comment() -> str:
        # a key's name in a comment is no key
        return f"  # {rng.choice(KEYS)} = 1, [[{rng.choice(KEYS)}]]" if rng.random() < 0.4 else ""

    def scalar(path: tuple) -> str:
        kind = rng.randrange(5)
        if kind == 0:
            return str(rng.randrange(-99, 99))
        if kind == 1:
            return rng.choice(("true", "false", "inf", "1979-05-27", "07:32:00", "1e3"))
        if kind == 2:
            return f"'{rng.choice(KEYS)} = 3 # ['"
        if kind == 3:  # a multi-line string: its lines hold what looks like keys
            lines = [f"{rng.choice(KEYS)} = {n}" for n in range(rng.randrange(1, 4))]
            return '"""\n' + "\n".join(lines) + "\n[[reps]]\n" + '"""'
        return f'"{rng.choice(KEYS)}"'

    def value(path: tuple, start: int) -> str:
        """The value's text; items of a multi-line array noted at their lines."""
        if rng.random() < 0.25:
            items = rng.randrange(0, 4)
            if rng.random() < 0.5:  # one item a line
                parts = ["["]
                for n in range(items):
                    text = scalar((*path, n))
                    where[(*path, n)] = start + sum(p.count("\n") + 1 for p in parts)
                    parts.append(f"  {text},{comment()}")
                parts.append("]")
                return "\n".join(parts)
            for n in range(items):
                where[(*path, n)] = start
            return "[" + ", ".join(_one_line(rng) for _ in range(items)) + "]"
        if rng.random() < 0.15:  # an inline table
            names = rng.sample(KEYS, rng.randrange(1, 3))
            for name in names:
                where[(*path, name)] = start
            return "{ " + ", ".join(f"{key(n)} = {_one_line(rng)}" for n in names) + " }"
        return scalar(path)

    def pair(table: tuple, name: str) -> None:
        start = len(out) + 1
        where[(*table, name)] = start
        text = f"{key(name)} = {value((*table, name), start)}"
        out.extend((text + comment()).split("\n"))

    top = rng.sample(KEYS, rng.randrange(0, 4))
    for name in top:
        pair((), name)
    rest = [k for k in KEYS if k not in top]
    dotted = rest.pop() if rest and rng.random() < 0.5 else None
    if dotted:  # dotted keys: the table is where its first key is
        for name in rng.sample(KEYS, rng.randrange(1, 3)):
            where.setdefault((dotted,), len(out) + 1)
            where[(dotted, name)] = len(out) + 1
            out.append(f"{key(dotted)} . {key(name)} = {_one_line(rng)}{comment()}")
    for table in rng.sample(rest, min(len(rest), rng.randrange(0, 3))):
        many = rng.random() < 0.5
        for n in range(rng.randrange(1, 4) if many else 1):
            out.append("")
            path: tuple = (table, n) if many else (table,)
            where.setdefault((table,), len(out) + 1)
            where[path] = len(out) + 1
            out.append(f"[[{key(table)}]]" if many else f"[ {key(table)} ]{comment()}")
            for name in rng.sample(KEYS, rng.randrange(0, 4)):
                pair(path, name)
    return "\n".join(out) + "\n", where


def _one_line(rng: random.Random) -> str:
    return rng.choice(("1", "'a = 1'", '"[x]"', "2024-03-04", "[1, 2]", "{ a = 1 }"))


def test_the_line_of_every_key_and_item_of_random_shapes_is_the_one_written() -> None:
    for seed in range(300):
        rng = random.Random(seed)
        text, where = _written(rng)
        doc = tomllib.loads(text)
        found = key_lines(text, doc).lines
        # the values of _one_line hold keys and items of their own: on their key's line
        expected = {}
        for path in _paths_of(doc):
            nearest = max((p for p in where if path[: len(p)] == p), key=len)
            expected[path] = where[nearest]
        assert set(where) <= set(expected)
        assert found == expected, (seed, text)


def _paths_of(value: object) -> list[tuple]:
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    return [p for k, v in items for p in [(k,), *((k, *q) for q in _paths_of(v))]]


def test_a_fault_of_the_line_reader_leaves_the_message_without_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the line is a help; the problem itself must reach the user whatever befalls it
    from posture_guard import toml_lines

    def broken(self: object, path: tuple) -> None:
        raise TypeError("a fault of the reader")

    monkeypatch.setattr(toml_lines._Scanner, "_value", broken)
    path = tmp_path / "plan.toml"
    path.write_text(
        EXAMPLE_PLAN.read_text(encoding="utf-8").replace(
            "break_interval_min = 45", "break_interval_min = 5"
        ),
        encoding="utf-8",
    )
    with pytest.raises(UserError) as caught:
        plan.load_plan_file(path)
    assert str(caught.value) == (
        f"plan {path} is not valid (1 problem): "
        "(1) 'break_interval_min' must be a number of minutes from 10 to 180"
    )
