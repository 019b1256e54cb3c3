"""config.toml is documented where a user finds it: docs/config-example.toml lists every
key the loader takes, with its default, and the example cannot drift from the code; and
`posture-guard config` says where the file is and which settings are in force."""

from __future__ import annotations

import re
import stat
import sys
from dataclasses import fields, replace
from datetime import date, time
from pathlib import Path

import pytest

from posture_guard import cli, coach, paths
from posture_guard.coach import CoachSettings
from posture_guard.errors import UserError
from posture_guard.settings_watch import load_coach_settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9 and 3.10
    import tomli as tomllib

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "config-example.toml"

#: a commented setting (or the table header) in the example: "# key = value"
SETTING = re.compile(r"^# (\[coach\]|[a-z_]+ = .*)$")


def uncommented(text: str) -> str:
    """The example with its settings switched on, as a user who removes the "# " has it."""
    return "\n".join(
        m.group(1) if (m := SETTING.match(line)) else line for line in text.splitlines()
    )


def example_keys(text: str) -> list[str]:
    found = [m.group(1) for line in text.splitlines() if (m := SETTING.match(line))]
    return [s.split(" = ")[0] for s in found if s != "[coach]"]


def config_keys() -> set[str]:
    """Every key config.toml's [coach] table takes (plan_slots comes only from a plan)."""
    return {f.name for f in fields(coach.CoachSettings)} - {"plan_slots"}


def test_the_example_lists_every_setting_once() -> None:
    keys = example_keys(EXAMPLE.read_text(encoding="utf-8"))
    assert sorted(keys) == sorted(config_keys())


def test_the_example_as_copied_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert coach.load_settings(path) == coach.CoachSettings()
    assert path.read_text(encoding="utf-8").strip()  # and is not empty


def test_the_example_uncommented_loads_and_gives_the_defaults() -> None:
    # in the user's own config file, where a monitor reads it
    paths.config_file().write_text(uncommented(EXAMPLE.read_text(encoding="utf-8")))
    loaded = coach.load_settings()
    assert loaded == coach.CoachSettings()
    # every key really was read (a key left commented would give its default too)
    table = tomllib.loads(paths.config_file().read_text())["coach"]
    assert set(table) == config_keys()


def test_removing_the_hash_before_one_setting_sets_it(tmp_path: Path) -> None:
    """The README, the example's own header and `config new` all say: remove the "# "
    before a setting to change it. Done so to one line of the copied example, the file
    was refused ("setting 'quiet_hours' is outside any table"): the [coach] header above
    it was commented out too, so the user had to know to uncomment it as well."""
    path = tmp_path / "config.toml"
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.startswith("# quiet_hours = ")]
    lines[at] = 'quiet_hours = "22:00-07:00"'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert coach.load_settings(path) == replace(
        coach.CoachSettings(), quiet_hours=(time(22), time(7))
    )


def test_a_changed_default_or_a_refused_key_fails_the_check(tmp_path: Path) -> None:
    """The checks above can fail: a default that differs from the example, or a key the
    loader refuses, shows in what load_settings gives."""
    text = uncommented(EXAMPLE.read_text(encoding="utf-8"))
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace('break_after_s = "45m"', 'break_after_s = "40m"'))
    assert coach.load_settings(wrong) != coach.CoachSettings()
    wrong.write_text(text.replace("min_gap_s = ", "min_gap_sec = "))
    with pytest.raises(UserError, match="min_gap_sec"):
        coach.load_settings(wrong)


# --------------------------------------------------------------------------- the config command
def run_config(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(["config"])
    out, err = capsys.readouterr()
    return status, out, err


def shown(out: str) -> tuple[CoachSettings, dict[str, str]]:
    """The settings the output gives when read as a config.toml, and each key's source."""
    settings = CoachSettings.from_mapping(tomllib.loads(out)["coach"])
    sources = {
        line.split(" = ")[0]: line.rsplit("# ", 1)[1]
        for line in out.splitlines()
        if " = " in line and not line.startswith("#")
    }
    return settings, sources


def test_config_without_a_file_names_where_it_goes_and_every_default(
    capsys: pytest.CaptureFixture[str], pg_home: Path
) -> None:
    status, out, err = run_config(capsys)
    assert status == 0, err
    first = out.splitlines()[0]
    assert str(pg_home / "config" / "config.toml") in first and "not there" in first
    settings, sources = shown(out)
    assert settings == CoachSettings()
    assert sources == {k: "default" for k in config_keys()}
    assert not paths.config_file().exists()  # looking creates nothing


def test_config_shows_the_users_own_settings_as_from_config_toml(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths.config_file().write_text(
        '[coach]\nquiet_hours = "22:00-07:00"\nframing_prompts = false\nmin_gap_s = 100\n'
        # a key set to its default value still comes from the file
        'checkin_time = "17:30"\n'
    )
    status, out, err = run_config(capsys)
    assert status == 0, err
    assert "(exists)" in out.splitlines()[0]
    settings, sources = shown(out)
    assert settings == coach.load_settings()
    assert settings.quiet_hours == (time(22), time(7)) and settings.min_gap_s == 100
    own = {"quiet_hours", "framing_prompts", "min_gap_s", "checkin_time"}
    assert {k for k, v in sources.items() if v == "config.toml"} == own
    assert {k for k, v in sources.items() if v == "default"} == config_keys() - own


def test_config_under_a_plan_shows_the_plan_laid_over_config_toml(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    paths.config_file().write_text('[coach]\nframing_prompts = false\nbreak_after_s = "30m"\n')
    plan_file = tmp_path / "plan.toml"
    assert cli.main(["plan", "new", str(plan_file)]) == 0  # starts today
    text = plan_file.read_text()
    text = re.sub(r"(?m)^break_interval_min = .*$", "break_interval_min = 50", text)
    text = re.sub(r"(?m)^quiet_hours = .*$", 'quiet_hours = "12:00-13:00"', text)
    plan_file.write_text(text)
    assert cli.main(["plan", "import", str(plan_file)]) == 0
    capsys.readouterr()
    status, out, err = run_config(capsys)
    assert status == 0, err
    assert "is active today" in out
    settings, sources = shown(out)
    in_force, _ = load_coach_settings(date.today())
    assert settings == replace(in_force, plan_slots=None)
    assert settings.break_after_s == 50 * 60 and settings.quiet_hours == (time(12), time(13))
    # the plan's break interval wins over config.toml's; the user's framing choice holds
    assert sources["break_after_s"] == "plan" and sources["quiet_hours"] == "plan"
    assert sources["framing_prompts"] == "config.toml"
    assert sources["micro_prompts"] == "default"


def test_config_with_a_broken_file_is_one_line_naming_it_and_the_fault(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths.config_file().write_text('[coach]\nquiet_hour = "22:00-07:00"\n')
    status, out, err = run_config(capsys)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert str(paths.config_file()) in err and "'quiet_hour'" in err
    paths.config_file().write_text("[coach\n")
    status, out, err = run_config(capsys)
    assert status == 2 and "not valid TOML" in err and str(paths.config_file()) in err


@pytest.mark.parametrize("typed, part", [("22-7", "22"), ("22:00-7am", "7am")])
def test_quiet_hours_typed_without_minutes_are_told_as_a_range(
    typed: str, part: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # "'quiet_hours' must be a time like '17:30' (got '22')": the user then wrote
    # quiet_hours = "22:00" and was refused again, as no range
    path = paths.config_file()
    path.write_text(f'[coach]\nquiet_hours = "{typed}"\n')
    status, out, err = run_config(capsys)
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert (
        f"'quiet_hours' must look like '22:00-07:00' or 'off' (got '{typed}': '{part}' is not "
        "a time like '17:30')" in err
    )


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("1979-05-27T07:32:00", "1979-05-27T07:32:00, a date-time"),
        ("2026-12-02", "2026-12-02, a date"),
    ],
)
def test_a_checkin_time_given_a_toml_date_is_echoed_as_written(
    typed: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # unquoted, TOML reads a date or date-time; the message showed Python's text for it,
    # "(got datetime.datetime(1979, 5, 27, 7, 32))", not what the user wrote
    paths.config_file().write_text(f"[coach]\ncheckin_time = {typed}\n")
    status, out, err = run_config(capsys)
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert f"'checkin_time' must be a time of day like '17:30', in quotes (got {said})" in err
    assert "datetime." not in err


def test_every_problem_of_config_toml_is_named_at_once_the_file_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Only the first wrong key was named: the user fixed it, ran again and met the next.
    path = paths.config_file()
    path.write_text(
        '[coach]\nbreak_after_s = "-5m"\nquiet_hours = "25:00-07:00"\nbreak_aftr_s = 3\n'
        'framing_after_s = "40m"\n'
    )
    status, out, err = run_config(capsys)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.count(str(path)) == 1
    assert (
        f"config file {path} [coach] is not valid (4 problems): (1) line 2: 'break_after_s' " in err
    )
    assert (
        "(2) line 3: 'quiet_hours' must look like '22:00-07:00' or 'off' (got '25:00-07:00': "
        "'25:00' is not a time like '17:30')" in err
    )
    assert "(3) line 4: unknown key 'break_aftr_s'" in err
    assert "(4) line 5: 'framing_after_s' is longer than 'framing_window_s'" in err
    # `run` reads it through the same loader: the same message
    with pytest.raises(UserError) as caught:
        load_coach_settings(date(2026, 12, 2))
    assert str(caught.value) == err.strip().removeprefix("posture-guard: ")


def test_a_wrong_table_and_wrong_keys_are_named_together() -> None:
    path = paths.config_file()
    path.write_text("oops = 1\n[coach]\nsnooze_button_s = 0\n[coch]\nx = 1\n")
    with pytest.raises(UserError) as caught:
        coach.load_settings(path)
    assert str(caught.value) == (
        f"config file {path} is not valid (3 problems): "
        "(1) line 1: setting 'oops' is outside any table; coach settings go under [coach]; "
        "(2) line 4: unknown table [coch] (known: [coach]); "
        # one problem per key: 0 s is not also told as "must be from 1 s"
        "(3) line 3: [coach] 'snooze_button_s' must be longer than zero"
    )


def test_one_problem_keeps_its_own_message_and_a_check_across_a_wrong_key_is_left_out() -> None:
    path = paths.config_file()
    # framing_window_s is wrong, so framing_after_s is not judged against the default 30m
    path.write_text('[coach]\nframing_after_s = "40m"\nframing_window_s = "x"\n')
    with pytest.raises(UserError) as caught:
        coach.load_settings(path)
    assert str(caught.value) == (
        f"config file {path} line 3: [coach] 'framing_window_s' 'x' is not a duration; "
        "use e.g. 30m, 1h or 90s"
    )
    path.write_text("[coch]\nx = 1\n")
    with pytest.raises(UserError) as caught:
        coach.load_settings(path)
    assert str(caught.value) == f"config file {path} line 1: unknown table [coch] (known: [coach])"


def test_a_folder_named_config_toml_is_named_once_as_a_folder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # It was "cannot read config file PATH: [Errno 21] Is a directory: 'PATH'": the path
    # twice, and an OS error number for the user to decode.
    path = paths.config_file()
    path.mkdir(parents=True)
    status, out, err = run_config(capsys)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert f"config file {path} is a folder, not a file" in err and err.count(str(path)) == 1
    # plan show, which only warns about a broken config.toml, says the same once
    plan = Path(__file__).resolve().parents[1] / "docs" / "plan-example.toml"
    assert cli.main(["plan", "import", str(plan)]) == 0
    capsys.readouterr()
    assert cli.main(["plan", "show"]) == 0
    (warning,) = [x for x in capsys.readouterr().out.splitlines() if str(path) in x]
    assert "is a folder, not a file" in warning and warning.count(str(path)) == 1


def test_a_config_toml_linked_to_a_file_not_there_is_named_not_passed_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A config.toml kept in a dotfiles repository and linked here, copied to a new
    # computer where the link leads to the old one's path: `config` said "not there: no
    # settings of your own", and the monitor coached by the defaults without a word.
    path = paths.config_file()
    gone = tmp_path / "old-home" / "dotfiles" / "config.toml"
    path.symlink_to(gone)
    status, out, err = run_config(capsys)
    assert (status, out) == (2, "")
    assert err == (
        f"posture-guard: config file {path} is a link to {gone}, which is not there (a drive "
        "not mounted, or a folder moved? mount or restore it, or mend the link)\n"
    )
    with pytest.raises(UserError, match="is a link to .*, which is not there"):
        load_coach_settings(date.today())  # what `run` starts on, and a running one reads
    gone.parent.mkdir(parents=True)
    gone.write_text('[coach]\nquiet_hours = "22:00-07:00"\n', encoding="utf-8")
    assert load_coach_settings(date.today())[0].quiet_hours == (time(22), time(7))  # mended


def test_config_new_writes_the_example_privately_and_never_over_a_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the copy that an installed package writes is the documented example
    data = Path(coach.__file__).with_name("data") / "config-example.toml"
    assert data.read_bytes() == EXAMPLE.read_bytes()
    assert cli.main(["config", "new"]) == 0, capsys.readouterr().err
    path = paths.config_file()
    assert str(path) in capsys.readouterr().out
    assert path.read_bytes() == EXAMPLE.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert coach.load_settings() == CoachSettings()  # as written, it changes nothing
    own = '[coach]\nquiet_hours = "22:00-07:00"\n'
    path.write_text(own)
    assert cli.main(["config", "new"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and str(path) in err and "exists" in err
    assert path.read_text() == own  # the user's settings are kept


def test_config_new_over_a_folder_says_it_is_a_folder(capsys: pytest.CaptureFixture[str]) -> None:
    # A folder named config.toml was refused as a file that "holds your settings; edit
    # it", which sent the user looking for settings in a folder.
    path = paths.config_file()
    path.mkdir(parents=True)
    (path / "keep.txt").write_text("the user's own file")
    assert cli.main(["config", "new"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert f"{path} is a folder, not a file" in err and "holds your settings" not in err
    assert (path / "keep.txt").read_text() == "the user's own file"


def test_a_config_toml_saved_with_a_byte_order_mark_is_read_and_utf16_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Notepad's "UTF-8 with BOM" starts the file with U+FEFF: `config` (and the monitor's
    # start) refused it as "not valid TOML: Invalid statement (at line 1, column 1)", a
    # line that looks fine in every editor; exercises.toml was refused the same way.
    text = '[coach]\nquiet_hours = "22:00-07:00"\n'
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    status, out, err = run_config(capsys)
    assert status == 0, err
    settings, sources = shown(out)
    assert settings.quiet_hours == (time(22), time(7)) and sources["quiet_hours"] == "config.toml"
    from posture_guard import exercises

    bundled = exercises.bundled_path().read_bytes()
    exercises.user_path().write_bytes(b"\xef\xbb\xbf" + bundled)
    own, shipped = exercises.load_library(), exercises.load_library(exercises.bundled_path())
    assert own.origin == str(exercises.user_path()) and own.exercises == shipped.exercises
    # UTF-16 (Notepad's "Unicode") was "'utf-8' codec can't decode byte 0xff in position 0"
    paths.config_file().write_bytes(text.encode("utf-16"))
    status, out, err = run_config(capsys)
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert f"config file {paths.config_file()} is saved as UTF-16; save it as UTF-8" in err


def test_a_key_given_twice_is_named_with_its_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # tomllib says "Cannot overwrite a value (at line 4, column 22)": a column past the
    # value's end, no key, nothing saying it is a repeat, so the user looked at the value
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[coach]\nbreak_after_s = "30m"\nmin_gap_s = "5m"\nbreak_after_s = "40m"\n')
    status, out, err = run_config(capsys)
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert (
        f"config file {path} is not valid TOML: line 4: break_after_s is given twice in "
        "[coach] (first on line 2); keep one"
    ) in err
    path.write_text('[coach]\nquiet_hours = "off"\n\n[coach]\nmin_gap_s = "5m"')
    status, out, err = run_config(capsys)
    assert status == 2 and "line 4: table [coach] is given twice (first on line 1)" in err

    from posture_guard import exercises, plan

    # the exercise library: a key of one [[exercise]] given again, over three lines
    bundled = exercises.bundled_path().read_text(encoding="utf-8")
    doubled = bundled.replace('name = "Chin tuck"\n', 'name = "Chin tuck"\nid = [\n  "x",\n]\n', 1)
    exercises.user_path().write_text(doubled, encoding="utf-8")
    with pytest.raises(UserError) as info:
        exercises.load_library()
    lines = doubled.splitlines()
    first, again = lines.index('id = "chin_tuck"') + 1, lines.index("id = [") + 1
    assert f"line {again}: id is given twice in [[exercise]] (first on line {first})" in (
        str(info.value)
    )
    # a plan, as `plan import` reads it
    example = (Path(__file__).resolve().parents[1] / "docs" / "plan-example.toml").read_text()
    twice = example.replace("schema = 1", "schema = 1\nschema = 1", 1)
    with pytest.raises(UserError) as info:
        plan.parse_plan_text(twice.encode("utf-8"), str(tmp_path / "p.toml"))
    line = twice.splitlines().index("schema = 1") + 1
    assert f"line {line + 1}: schema is given twice (first on line {line}); keep one" in (
        str(info.value)
    )


@pytest.mark.parametrize(
    ("line", "value"),
    [("break_after_s = 45m", "45m"), ("checkin_time = 17:30  # after work", "17:30")],
)
def test_a_duration_or_time_without_its_quotes_is_named_with_the_quotes_it_needs(
    capsys: pytest.CaptureFixture[str], line: str, value: str
) -> None:
    # tomllib said "Expected newline or end of document after a statement (at line 3,
    # column 19)": neither the value nor that text takes quotes in TOML
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[coach]\nquiet_hours = "off"\n{line}\n')
    status, out, err = run_config(capsys)
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    key = line.split(" = ")[0]
    assert (
        f"config file {path} is not valid TOML: line 3: {value} is text, which TOML takes in "
        f'quotes: {key} = "{value}"'
    ) in err
    path.write_text(f'[coach]\nquiet_hours = "off"\n{key} = "{value}"\n')  # as it says
    assert run_config(capsys)[0] == 0


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("alert_hold_s", "'alert_hold_s' must be a finite number of seconds, not a whole number "
         "of 401 digits"),
        ("alert_bad_share", "'alert_bad_share' must be in (0, 1]"),
    ],
)  # fmt: skip
def test_a_whole_number_no_float_holds_is_refused_naming_the_key(
    key: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # TOML's integers have no size limit: float() of this one raised OverflowError, and
    # `config` and `run` ended in "internal error (OverflowError: int too large ...)"
    paths.config_file().write_text(f"[coach]\n{key} = 1{'0' * 400}\n")
    status, out, err = run_config(capsys)
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert str(paths.config_file()) in err and said in err


def test_config_new_cut_short_by_a_full_disk_leaves_no_half_file(tmp_path: Path) -> None:
    """A disk that filled part way left the first kilobyte of config.toml after a message
    naming no file ("File too large"); `config new` then refused to write the example,
    calling the part written "your settings"."""
    from tests.cut_short import run_cut_short

    home = tmp_path / "home"
    done = run_cut_short(["config", "new"], 500, home)
    config = home / "config" / "config.toml"
    assert done.returncode == 2 and not config.exists(), done.stderr
    assert done.stderr == f"posture-guard: cannot write {config}: File too large\n"
    done = run_cut_short(["config", "new"], 1_000_000, home)
    assert done.returncode == 0 and config.read_text().startswith("#"), done.stderr


def test_a_second_config_new_says_the_file_is_the_untouched_example(pg_home: Path) -> None:
    # A second `config new` said the example it had just written "holds your settings",
    # sending the user to look for settings of their own in it.
    import os
    import subprocess

    def config_new() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "posture_guard", "config", "new"],
            env={**os.environ, "POSTURE_GUARD_HOME": str(pg_home)},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    assert config_new().returncode == 0
    path = paths.config_file()
    again = config_new()
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr == (
        f"posture-guard: {path} exists and is the example `config new` wrote, untouched "
        '(every setting at its default); remove the "# " before a setting to change it\n'
    )
    # once a setting is changed, it holds the user's settings, kept as they are
    example = path.read_text(encoding="utf-8")
    own = example.replace('# quiet_hours = "off"', 'quiet_hours = "off"', 1)
    assert own != EXAMPLE.read_text(encoding="utf-8")
    path.write_text(own, encoding="utf-8")
    edited = config_new()
    assert edited.returncode == 2 and "exists and holds your settings" in edited.stderr
    assert path.read_text(encoding="utf-8") == own
