"""The line each key and value of a TOML file is written on, for messages that point at it.

Why: config.toml, a plan and exercises.toml are edited by hand, and a value that breaks a
rule was named by its key alone ("exercise 'chin_tuck': 'reps' must be ..."): tomllib
gives positions only for the syntax it refuses, none for what it parsed, so a therapist
with a 120-line plan, several exercises each with a 'reps', had to hunt for the one
meant. The readers now say "line 42: ...", as a syntax error already does.

:func:`key_lines` reads the text itself, after tomllib has accepted it: tables,
arrays of tables, dotted and quoted keys, inline tables, multi-line strings and arrays,
and comments (a key's name in a comment or a string is no key). The lines it finds are
checked against what tomllib parsed: unless it found each table, key and array item
tomllib did, and no other, no line is given at all. A message without a line is better
than one that sends the user to the wrong one.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

#: Where a value sits in the parsed document: table keys and array indexes (from 0), as
#: ``("exercise", 2, "reps")`` for the third ``[[exercise]]``'s ``reps``.
KeyPath = tuple[Union[str, int], ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# a number, a date, a time, true, false, inf, nan: up to what ends a value
_SCALAR = re.compile(r"[^,\]}\n#]+")


class KeyLines:
    """The line (from 1) each key path of one TOML text starts on, found the first time
    one is asked for: a file read without a problem to point at is not read twice."""

    def __init__(self, text: Optional[str] = None, doc: Optional[Mapping[str, Any]] = None):
        self._text = text
        self._doc = doc
        self._lines: Optional[dict[KeyPath, int]] = None if text is not None else {}

    @property
    def lines(self) -> Mapping[KeyPath, int]:
        if self._lines is None:
            assert self._text is not None
            self._lines = _find(self._text, self._doc or {})
        return self._lines

    def line(self, *paths: KeyPath) -> Optional[int]:
        """The line of the first of ``paths`` written in the file, else None."""
        for path in paths:
            if path in self.lines:
                return self.lines[path]
        return None

    def at(self, *paths: KeyPath) -> str:
        """ "line N: " for the first of ``paths`` written in the file, else ""."""
        number = self.line(*paths)
        return f"line {number}: " if number is not None else ""

    def of(self, *paths: KeyPath) -> str:
        """ " line N" (to follow a file's name) for the first of ``paths``, else ""."""
        number = self.line(*paths)
        return f" line {number}" if number is not None else ""


#: No line known: a document given as a mapping, not as text.
NO_LINES = KeyLines()


def key_lines(text: str, doc: Mapping[str, Any]) -> KeyLines:
    """The lines of each table, key and array item of ``text``, which tomllib parsed into
    ``doc``; none when what is found here differs from ``doc`` in any way."""
    return KeyLines(text, doc)


def _find(text: str, doc: Mapping[str, Any]) -> dict[KeyPath, int]:
    try:
        found = _Scanner(text).scan()
    except Exception:  # a fault of this reader must not cost the user the message
        return {}
    if set(found) != set(_paths(doc)):
        return {}
    return found


def _paths(value: Any, prefix: KeyPath = ()) -> list[KeyPath]:
    """Every table key and array index below ``value``, as paths."""
    out: list[KeyPath] = []
    items: Sequence[tuple[Union[str, int], Any]]
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return out
    for key, inner in items:
        out.append((*prefix, key))
        out += _paths(inner, (*prefix, key))
    return out


class _NotUnderstood(Exception):
    """The text is not TOML as this reader knows it: no line is given."""


class _Scanner:
    """One pass over a TOML text that tomllib accepted, noting where each path starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.number = 1  # the line at self.i
        self.found: dict[KeyPath, int] = {}
        self.arrays: dict[KeyPath, int] = {}  # array of tables -> index of its last table

    # ------------------------------------------------------------------ the document
    def scan(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        while True:
            self._skip_blank(newlines=True)
            if self.i >= len(self.text):
                return self.found
            line = self.number
            if self.text.startswith("[[", self.i):
                self.i += 2
                keys = self._key(end="]")
                self._expect("]]")
                base = (*self._resolve(keys[:-1]), keys[-1])
                self.arrays[base] = self.arrays.get(base, -1) + 1
                self._note(base, line, implied=True)
                table = (*base, self.arrays[base])
                self._note_implied(base[:-1], line)
                self._note(table, line)
            elif self.text.startswith("[", self.i):
                self.i += 1
                keys = self._key(end="]")
                self._expect("]")
                table = self._resolve(keys)
                self._note_implied(table[:-1], line)
                self._note(table, line)
            else:
                self._pair(table)
            self._end_of_line()

    def _resolve(self, keys: Sequence[str]) -> KeyPath:
        """The path of a header's keys: an array of tables stands for its last table."""
        path: KeyPath = ()
        for key in keys:
            path = (*path, key)
            if path in self.arrays:
                path = (*path, self.arrays[path])
        return path

    def _note(self, path: KeyPath, line: int, implied: bool = False) -> None:
        if implied:
            self.found.setdefault(path, line)
        else:
            self.found[path] = line

    def _note_implied(self, path: KeyPath, line: int) -> None:
        """The tables a header or dotted key makes on its way: first met on ``line``."""
        for end in range(1, len(path) + 1):
            self._note(path[:end], line, implied=True)

    def _pair(self, table: KeyPath) -> None:
        """``key = value`` in ``table`` (a file's line, or an inline table's item)."""
        line = self.number
        keys = self._key(end="=")
        self._expect("=")
        path = (*table, *keys)
        self._note_implied(path[:-1], line)
        self._note(path, line)
        self._skip_blank()
        self._value(path)

    # ------------------------------------------------------------------ keys
    def _key(self, end: str) -> list[str]:
        """A key, dotted or not, its parts bare or quoted, up to ``end`` (not taken)."""
        keys: list[str] = []
        while True:
            self._skip_blank()
            if self._at('"') or self._at("'"):
                keys.append(self._quoted_key())
            else:
                bare = _BARE_KEY.match(self.text, self.i)
                if bare is None:
                    raise _NotUnderstood(self.number)
                keys.append(bare.group())
                self.i = bare.end()
            self._skip_blank()
            if self._at("."):
                self.i += 1
                continue
            if not self._at(end):
                raise _NotUnderstood(self.number)
            return keys

    def _quoted_key(self) -> str:
        start = self.i
        self._string()
        # the key as tomllib reads it (escapes and all), from that same text
        return str(_loads("k = " + self.text[start : self.i])["k"])

    # ------------------------------------------------------------------ values
    def _value(self, path: KeyPath) -> None:
        if self._at('"') or self._at("'"):
            self._string()
        elif self._at("["):
            self._array(path)
        elif self._at("{"):
            self._inline_table(path)
        else:
            scalar = _SCALAR.match(self.text, self.i)
            if scalar is None or not scalar.group().strip():
                raise _NotUnderstood(self.number)
            self.i += len(scalar.group().rstrip(" \t\r"))

    def _array(self, path: KeyPath) -> None:
        self.i += 1  # [
        index = 0
        while True:
            self._skip_blank(newlines=True)
            if self._at("]"):
                self.i += 1
                return
            self._note((*path, index), self.number)
            self._value((*path, index))
            index += 1
            self._skip_blank(newlines=True)
            if self._at(","):
                self.i += 1
            elif not self._at("]"):
                raise _NotUnderstood(self.number)

    def _inline_table(self, path: KeyPath) -> None:
        self.i += 1  # {
        while True:
            self._skip_blank(newlines=True)  # TOML 1.1 lets an inline table span lines
            if self._at("}"):
                self.i += 1
                return
            self._pair(path)
            self._skip_blank(newlines=True)
            if self._at(","):
                self.i += 1
            elif not self._at("}"):
                raise _NotUnderstood(self.number)

    def _string(self) -> None:
        """Past a string of any of TOML's four kinds, counting the lines it spans."""
        quote = self.text[self.i]
        if self.text.startswith(quote * 3, self.i):
            self.i += 3
            while True:
                if self.i >= len(self.text):
                    raise _NotUnderstood(self.number)
                char = self.text[self.i]
                if char == quote and self.text.startswith(quote * 3, self.i):
                    # up to two quotes more belong to the text: '''it's''''' ends at the last
                    run = 3
                    while run < 5 and self._at(quote * (run + 1)):
                        run += 1
                    self.i += run
                    return
                self._step(escapes=quote == '"')
        self.i += 1
        while True:
            if self.i >= len(self.text) or self.text[self.i] == "\n":
                raise _NotUnderstood(self.number)
            if self.text[self.i] == quote:
                self.i += 1
                return
            self._step(escapes=quote == '"')

    def _step(self, escapes: bool) -> None:
        """One character of a string on (an escape's two), counting a newline."""
        if escapes and self.text[self.i] == "\\":
            self.i += 1
        if self.text[self.i] == "\n":
            self.number += 1
        self.i += 1

    # ------------------------------------------------------------------ blanks
    def _skip_blank(self, newlines: bool = False) -> None:
        """Past spaces and tabs; with ``newlines``, past line ends and comments too."""
        while self.i < len(self.text):
            char = self.text[self.i]
            if char in " \t" or (char == "\r" and self._at("\r\n")):
                self.i += 1
            elif newlines and char == "\n":
                self.number += 1
                self.i += 1
            elif newlines and char == "#":
                end = self.text.find("\n", self.i)
                self.i = len(self.text) if end < 0 else end
            else:
                return

    def _end_of_line(self) -> None:
        self._skip_blank()
        if self._at("#"):
            end = self.text.find("\n", self.i)
            self.i = len(self.text) if end < 0 else end
        if self.i < len(self.text) and not self._at("\n"):
            raise _NotUnderstood(self.number)

    def _at(self, token: str) -> bool:
        return self.text.startswith(token, self.i)

    def _expect(self, token: str) -> None:
        if not self._at(token):
            raise _NotUnderstood(self.number)
        self.i += len(token)


def _loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    return tomllib.loads(text)
