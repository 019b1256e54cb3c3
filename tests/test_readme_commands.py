"""The options the README, the command reference (docs/commands.md) and the program's own
messages name are options the command line takes: a user follows them literally, and an
option that does not exist (or exists under another command) ends in argparse's
"unrecognized arguments". The README's short table names every command; the reference
names every option."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from posture_guard import cli
from posture_guard.settings_watch import LIVE_NOTE

README = Path(__file__).resolve().parents[1] / "README.md"
REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "commands.md"

#: an option as the README and the messages write it: --word, or -v
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-v)\b")


def command_options(*path: str) -> set[str]:
    """Every option string of the parser at ``path`` ("run", or "headache", "add")."""
    parser: argparse.ArgumentParser = cli.build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return {s for a in parser._actions for s in a.option_strings}


def test_what_takes_a_restart_names_only_options_of_run_and_the_command() -> None:
    # a running monitor says, when it takes up an edited config.toml, which choices take a
    # restart; it named "the notifier (--notifier)", an option `run` does not have (only
    # replay and demo do: the monitor always picks the notification service itself)
    takes = command_options("run") | command_options()
    named = set(OPTION.findall(LIVE_NOTE))
    assert named and named <= takes, named - takes
    # and the command reference's list of the same
    text = " ".join(REFERENCE.read_text(encoding="utf-8").split())
    (listed,) = re.findall(r"What the command line chose takes a restart: (.*?)\. ", text)
    named = set(OPTION.findall(listed))
    assert named and named <= takes, named - takes


def subcommands() -> dict[str, set[str]]:
    """Each command of `posture-guard` and the options it (or its actions) takes."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))

    def options(p: argparse.ArgumentParser) -> set[str]:
        found = set()
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    found |= options(child)
            else:
                found |= {s for s in action.option_strings if s.startswith("--")}
        return found - {"--help"}

    return {name: options(p) for name, p in sub.choices.items()}


def command_table(path: Path = REFERENCE) -> list[tuple[str, str]]:
    """(what a command is called, everything said of it) per command: the README's short
    table under "## Command line", a row a command, or the reference, docs/commands.md, a
    section a command, headed by its command line."""
    text = path.read_text(encoding="utf-8")
    if path == README:
        section = text.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
        rows = [line for line in section.splitlines() if line.startswith("| `")]
        found = [(row.split(" | ", 1)[0], row) for row in rows]
    else:
        parts = text.split("\n## ")[1:]
        found = [(p.split("\n", 1)[0], p) for p in parts if p.startswith("`")]
    assert len(found) > 10
    return found


def named_commands(cell: str, commands: set[str]) -> set[str]:
    """The commands a cell names: `posture-guard run ...`, or a bare `pause`, `plan show`."""
    return {w for w in re.findall(r"`(?:posture-guard )?([a-z]+)", cell) if w in commands}


#: a command whose row says it takes another's options ("the options of `headache add`")
SAME_OPTIONS = {"checkin": ("headache", "the options of `headache add`")}


def row_options(first: str, row: str, commands: set[str]) -> dict[str, set[str]]:
    """The options a row names, by command: those in a code span that begins with a
    command (`checkin --headache`, `replay --db F`) are that command's, the others belong
    to the commands of the row's first cell."""
    owners = named_commands(first, commands)
    found: dict[str, set[str]] = {c: set() for c in owners}
    for span in re.findall(r"`([^`]*)`", row):
        named = re.match(r"(?:posture-guard )?([a-z]+)", span)
        for command in {named.group(1)} & commands if named else owners:
            found.setdefault(command, set()).update(OPTION.findall(span))
    return found


@pytest.mark.parametrize("path", [README, REFERENCE], ids=["README", "reference"])
def test_every_command_has_a_row_and_a_row_names_only_options_its_commands_take(
    path: Path,
) -> None:
    commands = subcommands()
    table = command_table(path)
    covered = set().union(*(named_commands(first, set(commands)) for first, _ in table))
    assert covered == set(commands), set(commands) ^ covered
    for first, row in table:
        for command, named in row_options(first, row, set(commands)).items():
            unknown = named - commands[command] - {"-v"}
            assert not unknown, f"{path.name} names {sorted(unknown)} for `{command}`: {first}"


def test_every_option_of_a_command_is_in_a_row_about_it() -> None:
    # replay's --every-sample, --all-frames and --quiet, demo's options, --db of the
    # diary and log commands, plan new's, assess --json and autostart's options were in
    # `--help` only: a user reading the table never learned of them
    commands = subcommands()
    said: dict[str, set[str]] = {c: set() for c in commands}
    for first, row in command_table():
        for command, named in row_options(first, row, set(commands)).items():
            said[command] |= named
        for command, (other, words) in SAME_OPTIONS.items():
            if command in named_commands(first, set(commands)) and words in row:
                said[command] |= commands[other]
    for command, options in commands.items():
        # --no-nausea and the like: the negation of an option the row names
        unsaid = {
            o
            for o in options - said[command]
            if not (o.startswith("--no-") and f"--{o[5:]}" in said[command])
        }
        assert not unsaid, f"docs/commands.md does not name `{command}` {sorted(unsaid)}"


def test_the_table_checks_can_fail() -> None:
    """The helpers find what they are meant to: an option a row names, one it does not."""
    commands = set(subcommands())
    assert named_commands("`posture-guard snooze 30m`, `pause`, `status`", commands) == {
        "snooze",
        "pause",
        "status",
    }
    first = "`posture-guard demo [--states-out F]`"
    row = f"| {first} | takes `replay`'s `--db`; `checkin --headache` and `--not-one` |"
    assert row_options(first, row, commands) == {
        "demo": {"--states-out", "--db", "--not-one"},
        "checkin": {"--headache"},
        "replay": set(),
    }
