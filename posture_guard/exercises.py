"""The exercise library: loading, validating and picking the coach's exercises.

The exercises themselves are data (``posture_guard/data/exercises.toml``), not code, so a
therapist can change a dose or a wording without touching Python. A user copy at
``<config dir>/exercises.toml`` replaces the bundled one; both are validated the same way
and any mistake is a :class:`UserError` naming the file, the line, the exercise and the key.

:func:`pick_exercise` is the pure rotation rule the coach uses: exercises that fit the
fault, least recently used first, never the same one twice in a row.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from . import paths
from .errors import UserError
from .terminal import control_chars
from .toml_lines import NO_LINES, KeyLines, KeyPath, key_lines

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

# When the coach may pick an exercise: the three posture faults, a long-sitting break and
# the optional 20-20-20 micro prompt.
TARGETS = ("forward_head", "raised_shoulders", "head_tilt", "break", "micro")

# A notification shows a few lines; longer steps are cut off by most notification servers.
MAX_STEPS_CHARS = 220

_REQUIRED = ("id", "name", "muscles", "targets", "steps", "caution", "source")
_OPTIONAL = ("dosage",)
_DOSAGE_KEYS = ("reps", "hold_s", "per_side", "times_per_day", "unit")
#: The bounds of a dose in exercises.toml, a plan's own (``plan.py``: 'reps' 1 to 100,
#: 'hold_s' 1 to 600 s, 'times_per_day' 1 to 12): a hold of 1e-7 s or 1e9 reps passed
#: as "positive" and was shown in every prompt of that exercise ("10 x 1e-07 s hold").
DOSAGE_BOUNDS: dict[str, tuple[float, float, str]] = {
    "reps": (1, 100, "a whole number"),
    "hold_s": (1, 600, "seconds"),
    "times_per_day": (1, 12, "times a day"),
}

Range = tuple[float, float]


@dataclass(frozen=True)
class Dosage:
    """How much: ``reps`` x ``hold_s`` (a range when lo != hi), per side or not."""

    reps: Optional[int] = None
    hold_s: Optional[Range] = None
    per_side: bool = False
    times_per_day: Optional[Range] = None
    unit: str = ""

    def text(self) -> str:
        """Human wording such as '3 x 30 s hold, each side' or '10 x 5-10 s hold'."""
        parts: list[str] = []
        if self.reps is not None and self.hold_s is not None:
            parts.append(f"{self.reps} x {_range_text(self.hold_s)} s hold")
        elif self.reps is not None:
            parts.append(f"{self.reps} {self.unit or 'times'}")
        elif self.hold_s is not None:
            parts.append(f"hold {_range_text(self.hold_s)} s")
        if self.per_side:
            parts.append("each side")
        if self.times_per_day is not None:
            lo, hi = self.times_per_day
            n = _range_text(self.times_per_day)
            parts.append(f"{n} time{'s' if hi > 1 or lo != hi else ''} a day")
        return ", ".join(parts)


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    muscles: tuple[str, ...]
    targets: tuple[str, ...]
    steps: tuple[str, ...]
    caution: str
    source: str
    dosage: Dosage = Dosage()

    def name_in_sentence(self) -> str:
        """The name as it reads inside a sentence ("Time for your chin tuck"): its first
        letter lowercased only where the name is a plain capitalized phrase (the second
        letter lowercase, no other capital in it); any other name as it is written.

        Why: the whole name was lowercased, so "SCM stretch" read "scm stretch" and a
        German "Nacken-Dehnung" lost the capitals its nouns take."""
        name = self.name
        if len(name) < 2 or not (name[0].isupper() and name[1].islower()):
            return name
        if any(c.isupper() for c in name[1:]):
            return name
        return name[0].lower() + name[1:]

    def short_text(self) -> str:
        """Steps plus dose, sized for a notification body."""
        dose = self.dosage.text()
        text = " ".join(self.steps)
        return f"{text} ({dose})" if dose else text


@dataclass(frozen=True)
class Library:
    exercises: tuple[Exercise, ...]
    origin: str

    def by_id(self, exercise_id: str) -> Exercise:
        for ex in self.exercises:
            if ex.id == exercise_id:
                return ex
        raise KeyError(exercise_id)

    def for_target(self, target: str) -> tuple[Exercise, ...]:
        return tuple(ex for ex in self.exercises if target in ex.targets)


def bundled_path() -> Path:
    return Path(__file__).with_name("data") / "exercises.toml"


def user_path() -> Path:
    """Where a therapist's edited copy goes; it replaces the bundled library when present."""
    return paths.config_dir() / "exercises.toml"


def load_library(path: Optional[Path] = None) -> Library:
    """Load and validate ``path``, else the user copy if present, else the bundled file.

    A folder where the user copy goes is refused, not passed over: the bundled library in
    its place left the user's own exercises silently missing; so is a link to nothing."""
    if path is None:
        candidate = user_path()
        # nor a copy linked from elsewhere whose link leads nowhere (after a move, the old
        # computer's path): the bundled exercises took its place unsaid
        paths.refuse_dangling_link(candidate, "exercise library")
        path = candidate if candidate.is_file() or candidate.is_dir() else bundled_path()
    if path.is_dir():
        raise paths.folder_in_place(
            "exercise library", path, "without it the bundled exercises are used"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read exercise library {path}: {exc.strerror or exc}") from exc
    text = paths.config_text(raw, f"exercise library {path}")
    try:
        doc = paths.load_toml(text)
    except tomllib.TOMLDecodeError as exc:
        problem = paths.toml_problem(text, exc)
        raise UserError(f"exercise library {path} is not valid TOML: {problem}") from exc
    return parse_library(doc, origin=str(path), lines=key_lines(text, doc))


def parse_library(
    doc: Mapping[str, Any], origin: str = "<library>", lines: KeyLines = NO_LINES
) -> Library:
    """Validate a parsed document; every problem names the exercise and the key, and the
    line of the file (``lines``, of the text ``doc`` was read from) where one holds it."""
    unknown = sorted(set(doc) - {"exercise"})
    if unknown:
        raise UserError(
            f"{origin}{lines.of((unknown[0],))}: unknown top-level key {unknown[0]!r} "
            "(expected [[exercise]])"
        )
    items = doc.get("exercise")
    if not isinstance(items, list) or not items:
        raise UserError(f"{origin}{lines.of(('exercise',))}: no [[exercise]] entries")
    exercises: list[Exercise] = []
    seen: set[str] = set()
    for i, item in enumerate(items, start=1):
        ex = _parse_exercise(item, origin, i, lines)
        if ex.id in seen:
            at = lines.of(("exercise", i - 1, "id"))
            raise UserError(f"{origin}{at}: exercise id {ex.id!r} appears twice")
        seen.add(ex.id)
        exercises.append(ex)
    lib = Library(tuple(exercises), origin)
    for target in ("forward_head", "raised_shoulders", "head_tilt", "break"):
        if not lib.for_target(target):
            raise UserError(f"{origin}: no exercise targets {target!r}; the coach needs one")
    if len(exercises) < 2:
        raise UserError(f"{origin}: at least two exercises are needed so prompts can rotate")
    return lib


def pick_exercise(library: Library, target: str, recent: Sequence[str]) -> Exercise:
    """The exercise to suggest for ``target`` given ``recent`` picks (oldest first).

    Candidates are the exercises that fit the target, least recently used first (never
    used counts as oldest; ties keep library order). The last pick is never repeated: if
    it is the only fitting one, a break exercise (or any other) is chosen instead.
    """
    last = recent[-1] if recent else None
    candidates = [ex for ex in library.for_target(target) if ex.id != last]
    if not candidates:
        candidates = [ex for ex in library.for_target("break") if ex.id != last]
    if not candidates:
        candidates = [ex for ex in library.exercises if ex.id != last]
    order = {ex_id: i for i, ex_id in enumerate(recent)}  # later index = more recent
    return min(candidates, key=lambda ex: order.get(ex.id, -1))


# --------------------------------------------------------------------------- validation helpers
def _parse_exercise(item: Any, origin: str, number: int, lines: KeyLines) -> Exercise:
    """The ``number``-th [[exercise]] of the library ``origin``; a problem names the
    line of the key it is about (the exercise's own line for a key left out)."""
    table: KeyPath = ("exercise", number - 1)
    ex_id = item.get("id") if isinstance(item, Mapping) else None
    named = f"exercise {ex_id!r}" if isinstance(ex_id, str) and ex_id else f"exercise #{number}"

    def where(*keys: str | int) -> str:
        return f"{origin}{lines.of((*table, *keys), table)}: {named}"

    if not isinstance(item, Mapping):
        raise UserError(f"{where()}: must be a table")
    for key in item:
        if key not in _REQUIRED and key not in _OPTIONAL:
            raise UserError(f"{where(key)}: unknown key {key!r}")
    for key in _REQUIRED:
        if key not in item:
            raise UserError(f"{where()}: missing key {key!r}")
    ex_id = _text(item, "id", where("id"))
    if not ex_id.replace("_", "").isalnum() or ex_id.lower() != ex_id:
        raise UserError(f"{where('id')}: 'id' must be lower_case letters, digits and '_'")
    targets = _text_list(item, "targets", where("targets"), allow_empty=False)
    for index, target in enumerate(targets):
        if target not in TARGETS:
            raise UserError(
                f"{where('targets', index)}: 'targets' has unknown target {target!r} "
                f"(known: {', '.join(TARGETS)})"
            )
    steps = _text_list(item, "steps", where("steps"), allow_empty=False)
    if sum(len(s) + 1 for s in steps) > MAX_STEPS_CHARS:
        raise UserError(
            f"{where('steps')}: 'steps' are too long for a notification "
            f"(max {MAX_STEPS_CHARS} characters)"
        )
    return Exercise(
        id=ex_id,
        name=_text(item, "name", where("name")),
        muscles=_text_list(item, "muscles", where("muscles"), allow_empty=True),
        targets=targets,
        steps=steps,
        caution=_text(item, "caution", where("caution")),
        source=_text(item, "source", where("source")),
        dosage=_parse_dosage(item.get("dosage", {}), lambda *keys: where("dosage", *keys)),
    )


def _parse_dosage(raw: Any, where: Callable[..., str]) -> Dosage:
    """The dosage table; ``where(key)`` names the exercise and the line of its ``key``."""
    if not isinstance(raw, Mapping):
        raise UserError(f"{where()}: 'dosage' must be a table")
    for key in raw:
        if key not in _DOSAGE_KEYS:
            raise UserError(f"{where(key)}: unknown key {'dosage.' + str(key)!r}")
    reps = raw.get("reps")
    low, high, _ = DOSAGE_BOUNDS["reps"]
    if reps is not None and (
        isinstance(reps, bool) or not isinstance(reps, int) or not low <= reps <= high
    ):
        raise UserError(
            f"{where('reps')}: 'dosage.reps' must be a whole number from {low:g} to {high:g}"
        )
    per_side = raw.get("per_side", False)
    if not isinstance(per_side, bool):
        raise UserError(f"{where('per_side')}: 'dosage.per_side' must be true or false")
    unit = raw.get("unit", "")
    if not isinstance(unit, str):
        raise UserError(f"{where('unit')}: 'dosage.unit' must be text")
    _refuse_control_chars(unit, "dosage.unit", where("unit"))
    return Dosage(
        reps=reps,
        hold_s=_range(raw, "hold_s", where("hold_s")),
        per_side=per_side,
        times_per_day=_range(raw, "times_per_day", where("times_per_day")),
        unit=unit,
    )


def _range(raw: Mapping[str, Any], key: str, where: str) -> Optional[Range]:
    value = raw.get(key)
    if value is None:
        return None
    if _is_number(value):
        lo = hi = _as_float(value)
    elif isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value):
        lo, hi = _as_float(value[0]), _as_float(value[1])
    else:
        raise UserError(f"{where}: 'dosage.{key}' must be a number or [min, max]")
    # TOML has inf and nan, and whole numbers no float holds: a prompt read "10 x inf s
    # hold", and 1 and 400 zeros stopped demo and run with an OverflowError
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise UserError(f"{where}: 'dosage.{key}' must be a finite number or [min, max]")
    if not (0 < lo <= hi):
        raise UserError(f"{where}: 'dosage.{key}' must be positive with min <= max")
    low, high, unit = DOSAGE_BOUNDS[key]
    if not low <= lo <= hi <= high:
        raise UserError(
            f"{where}: 'dosage.{key}' must be from {low:g} to {high:g} {unit} "
            f"(got {_range_text((lo, hi))})"
        )
    return (lo, hi)


def _as_float(value: float) -> float:
    """A TOML number as a float; infinity for a whole number too large for one."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item[key]
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{where}: {key!r} must be non-empty text")
    _refuse_control_chars(value, key, where)
    return value.strip()


def _text_list(item: Mapping[str, Any], key: str, where: str, allow_empty: bool) -> tuple[str, ...]:
    value = item[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UserError(f"{where}: {key!r} must be a list of non-empty texts")
    if not value and not allow_empty:
        raise UserError(f"{where}: {key!r} must not be empty")
    for text in value:
        _refuse_control_chars(text, key, where)
    return tuple(v.strip() for v in value)


def _refuse_control_chars(text: str, key: str, where: str) -> None:
    """Refuse a text holding control characters, as a plan's are refused: the library's
    texts are printed (the coach's prompts, `demo`, `plan show`), and an escape sequence
    in a name cleared and recoloured the terminal there."""
    bad = control_chars(text)
    if bad:
        raise UserError(f"{where}: {key!r} holds control characters ({bad})")


def _range_text(r: Range) -> str:
    lo, hi = r
    fmt = "{:g}"
    return fmt.format(lo) if lo == hi else f"{fmt.format(lo)}-{fmt.format(hi)}"
