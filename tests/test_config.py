"""config.toml is documented where a user finds it: docs/config-example.toml lists every
key the loader takes, with its default, and the example cannot drift from the code; and
`posture-guard config` says where the file is and which settings are in force."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
import tomllib

from posture_guard import coach, paths
from posture_guard.errors import UserError

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
