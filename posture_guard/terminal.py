"""Free text the user typed, made safe to print on a terminal.

Why: a diary note or a medication is stored as typed, but printed raw, control
characters act on the terminal instead of showing: an escape sequence (``ESC[31m``)
recolours or clears the screen, a carriage return overwrites the line, and bidirectional
overrides reorder what is shown. So they are printed as visible escapes (``\\n``,
``\\x1b``, ``\\u202e``), the way Python shows them, and every other character as it is.
"""

from __future__ import annotations

import unicodedata

# Bidirectional embedding, override and isolate controls (category Cf): they reorder the
# text after them on screen ("Trojan Source"). Other Cf characters, such as the zero-width
# joiner inside emoji, do no harm and stay.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with each control character replaced by a visible escape."""
    return "".join(_shown(ch) for ch in text)


def control_chars(text: str, allowed: str = "\n\t") -> str:
    """The control characters in ``text`` but those ``allowed``, escaped and each named
    once ("" when none): for refusing them where a file's text is read (a plan, the
    exercise library), whose texts are printed later (`plan show`, the coach's prompts).
    Newlines and tabs are allowed by default (a long step may wrap in the file)."""
    found = dict.fromkeys(ch for ch in text if ch not in allowed and _shown(ch) != ch)
    return " ".join(_shown(ch) for ch in found)


def _shown(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
        code = ord(ch)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return ch
