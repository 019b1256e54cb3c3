"""The ``config`` command: where config.toml is, whether it exists, and the coach settings
in force, each with where it comes from (the therapist's plan, config.toml or the default);
``config new`` writes the commented example there, to edit.

Why: a user who wants quiet hours had to know that the file exists, where it lives and
which keys it takes; and with a plan active, a key set in config.toml that the plan
overrides seemed to do nothing. The settings are loaded as a new session of the monitor
loads them (:func:`settings_watch.load_coach_settings`), so a file that the monitor would
refuse is refused here too, with the same one-line error naming the file and the fault.

The settings are printed as ``key = value`` lines under ``[coach]``, every other line a
comment, so the output is itself a config.toml that gives the same settings.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import fields
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Any, Optional

from . import paths
from .coach import CoachSettings, load_settings
from .errors import UserError
from .settings_watch import load_coach_settings

EXAMPLE = "docs/config-example.toml"
#: the same example as package data, which ``config new`` writes (an installed package
#: has no docs/ folder; tests/test_config.py checks that the two are the same)
EXAMPLE_DATA = "config-example.toml"


def settings_in_force(
    day: date, plans: Optional[Any] = None
) -> tuple[CoachSettings, dict[str, str], Optional[Any]]:
    """(settings, key -> "plan" / "config.toml" / "default", the plan active on ``day`` or
    None). A file that does not load is a UserError naming it. ``plans``:
    ``plan.plans_on(day)`` if already read (plan.toml is read once for all of them)."""
    from .plan import plan_setting_changes, plans_on

    plans = plans or plans_on(day)
    settings, _library = load_coach_settings(day, plans)
    plan = plans.in_force
    if plan is not None and not plan.active_on(day):
        plan = None
    # what the plan lays over the user's own settings (see plan.coach_settings)
    plan_keys = set(plan_setting_changes(plan, load_settings())) if plan is not None else set()
    in_file = config_table_keys(paths.config_file())
    sources = {
        k: "plan" if k in plan_keys else "config.toml" if k in in_file else "default"
        for k in setting_keys()
    }
    return settings, sources, plan


def setting_keys() -> list[str]:
    """The keys config.toml's ``[coach]`` takes (``plan_slots`` comes only from a plan)."""
    return [f.name for f in fields(CoachSettings) if f.name != "plan_slots"]


def config_table_keys(path: Path) -> set[str]:
    """The keys set in ``[coach]`` of ``path`` (already loaded once, so valid TOML)."""
    if not path.exists():
        return set()
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    table = tomllib.loads(paths.config_text(path.read_bytes(), str(path))).get("coach", {})
    return set(table)


def toml_value(key: str, value: Any) -> str:
    """``value`` as config.toml takes it for ``key``: durations as "15m"/"1h" or seconds."""
    if value is None:
        return '"off"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, time):
        return f'"{value:%H:%M}"'
    if key == "quiet_hours":
        start, end = value
        return f'"{start:%H:%M}-{end:%H:%M}"'
    if key.endswith("_s"):
        if value == int(value):
            s = int(value)
            if s >= 3600 and s % 3600 == 0:
                return f'"{s // 3600}h"'
            if s >= 60 and s % 60 == 0:
                return f'"{s // 60}m"'
            return str(s)
        return repr(float(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value)


def cmd_config(args: argparse.Namespace) -> int:
    if getattr(args, "config_action", "show") == "new":
        return cmd_config_new(args)
    path = paths.config_file()
    from .plan import active_plan_path, held_until, plans_on

    day = date.today()
    plans = plans_on(day)
    settings, sources, plan = settings_in_force(day, plans)
    out = sys.stdout
    if path.exists():
        print(f"# config file: {path} (exists)", file=out)
    else:
        print(
            f"# config file: {path} (not there: no settings of your own; "
            "`posture-guard config new` writes one listing every key, to edit)",
            file=out,
        )
    if plan is not None:
        active = plans.active
        # the plan a plan imported to start later replaces: in force till that start, or
        # till a plan imported before it starts, or its own end
        until = held_until(plans)
        if active is None or until is None:
            which = f"{active_plan_path()} is"
        elif until == active.start:
            which = f"the plan in force until {until}, when {active_plan_path()} starts, is"
        else:
            which = f"the plan in force until {until} is"
        print(
            f"# plan: {which} active today ({plan.start}..{plan.end}); "
            'the settings marked "plan" are its own and override config.toml',
            file=out,
        )
    else:
        print("# plan: none active today", file=out)
    print("# the coach settings in force (a new monitor session would use these):", file=out)
    print("[coach]", file=out)
    for key in setting_keys():
        line = f"{key} = {toml_value(key, getattr(settings, key))}"
        print(f"{line:<36} # {sources[key]}", file=out)
    return 0


def example_text() -> str:
    return (resources.files("posture_guard") / "data" / EXAMPLE_DATA).read_text(encoding="utf-8")


def _is_the_example(path: Path) -> bool:
    """Whether ``path`` holds the example as `config new` writes it, not one changed by
    hand (a file that cannot be read counts as the user's own: it is never written over)."""
    if not path.is_file():  # a FIFO would be waited on
        return False
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read(len(example_text()) + 1) == example_text()
    except (OSError, UnicodeError):
        return False


def cmd_config_new(args: argparse.Namespace) -> int:
    """Write the commented example to config.toml (0600), never over an existing file: it
    holds the user's own settings. Every line of it is a comment, so it changes nothing
    until the user removes a "# "."""
    path = paths.config_file()
    try:
        # "x": created here or refused, also if a file appeared since a look
        fh = open(path, "x", encoding="utf-8", opener=paths.private_opener)
    except FileExistsError:
        if path.is_dir():  # no settings in it to keep, nor to edit
            raise UserError(
                f"{path} is a folder, not a file; move it away and run `posture-guard "
                "config new` again"
            ) from None
        if _is_the_example(path):
            # a second `config new` said the untouched example "holds your settings"
            raise UserError(
                f"{path} exists and is the example `config new` wrote, untouched (every "
                'setting at its default); remove the "# " before a setting to change it'
            ) from None
        raise UserError(
            f"{path} exists and holds your settings; edit it (`posture-guard config` shows "
            "what it sets), or move it away first to start again from the example"
        ) from None
    try:
        with fh:
            fh.write(example_text())
    except OSError as exc:
        # a full disk: the part written is removed, which was refused the next time as
        # "exists and holds your settings", and the error named no file
        paths.discard_partial(path, made=True)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(
        f'wrote {path}: every setting at its default, commented out; remove the "# " '
        "before a setting to change it (a running monitor takes it up within about 5 s)"
    )
    return 0
