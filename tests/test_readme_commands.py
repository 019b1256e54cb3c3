"""The options the README and the program's own messages name are options the command line
takes: a user follows them literally, and an option that does not exist (or exists under
another command) ends in argparse's "unrecognized arguments"."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from posture_guard import cli
from posture_guard.settings_watch import LIVE_NOTE

README = Path(__file__).resolve().parents[1] / "README.md"

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
    # and the README's list of the same
    text = " ".join(README.read_text(encoding="utf-8").split())
    (listed,) = re.findall(r"What the command line chose takes a restart: (.*?)\. ", text)
    named = set(OPTION.findall(listed))
    assert named and named <= takes, named - takes
