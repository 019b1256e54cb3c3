"""Free text the user typed, made safe to print on a terminal.

Why: a diary note or a medication is stored as typed, but printed raw, control
characters act on the terminal instead of showing: an escape sequence (``ESC[31m``)
recolours or clears the screen, a carriage return overwrites the line, and bidirectional
overrides reorder what is shown. So they are printed as visible escapes (``\\n``,
``\\x1b``, ``\\u202e``), the way Python shows them, and every other character as it is.
"""

from __future__ import annotations

import codecs
import sys
import unicodedata
from typing import Any

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


def typed_text(text: str) -> str:
    """Text given as an argument (a diary note, a patient label, an exercise id), as the
    user typed it: bytes the locale could not decode, which Python holds as lone
    surrogates, are read as UTF-8 when they are UTF-8.

    Why: under ``LC_ALL=C`` with ``PYTHONUTF8=0`` (cron, a login without a locale)
    Python decodes arguments as ASCII, so "Kopfweh ü" typed in a UTF-8 terminal was
    refused as "not UTF-8 text (a terminal set to another encoding?)". Bytes that are
    not UTF-8 either (typed in a Latin-1 terminal) stay as they are, for the check that
    refuses them. File names are not read so: the file system takes back their bytes."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        return text


#: The error handler of a standard stream that cannot encode every character (see
#: :func:`keep_streams_printable`).
SHOWN = "posture_guard.shown"


def _shown_instead(exc: UnicodeError) -> tuple[bytes, int]:
    """A file name's undecodable byte (a lone surrogate, as Python holds it) as that byte,
    as ``surrogateescape`` writes it; any other character the stream's encoding lacks as
    its escape (``\\xfc``), as ``backslashreplace`` writes it."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = bytearray()
    for ch in exc.object[exc.start : exc.end]:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(code - 0xDC00)
        else:
            out += ch.encode("ascii", "backslashreplace")
    return bytes(out), exc.end


codecs.register_error(SHOWN, _shown_instead)


def keep_streams_printable(streams: Any = None) -> None:
    """Standard output and error that cannot encode every character write what they
    cannot as escapes instead of failing.

    Why: under ``LC_ALL=C`` with ``PYTHONUTF8=0``, or with ``PYTHONIOENCODING=ascii``,
    Python writes standard output in ASCII, strictly (or with ``surrogateescape``, which
    only takes a file name's bytes): a diary note, an exercise or a folder named in
    another language ("Jürgen Müller") ended ``headache list`` or ``config`` in an
    internal error (UnicodeEncodeError), the rest of the output lost; standard error
    escaped such a folder's bytes ("J\\udcc3\\udcbcrgen"), which now reach the terminal
    as they are. Only the terminal's copy is escaped; the data files are written in UTF-8
    whatever the locale."""
    for stream in streams if streams is not None else (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        reconfigure = getattr(stream, "reconfigure", None)
        if not encoding or reconfigure is None:
            continue
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            continue
        if name == "utf-8":
            # every character is written, but a file name's bytes held as lone
            # surrogates are not: under a UTF-8 locale (en_US.UTF-8, where Python writes
            # strictly) a folder named in Latin-1 ("M\\udcfcller", from an old archive or
            # a USB stick) ended `config`, or `report` after writing it, in an internal
            # error (UnicodeEncodeError), as under LC_ALL=C with PYTHONIOENCODING=utf-8
            # any name beyond ASCII did; surrogateescape (C.UTF-8) writes them already
            if getattr(stream, "errors", "") == "surrogateescape":
                continue
            handler = UTF8_NAMES
        elif name.startswith("utf"):
            continue
        else:
            handler = SHOWN
        try:
            reconfigure(errors=handler)
        except (ValueError, OSError):
            pass  # closed or detached: nothing is written to it anyway


#: The error handler of a UTF-8 file whose text may name a file (see :func:`_utf8_instead`).
UTF8_NAMES = "posture_guard.utf8_names"


def _utf8_instead(exc: UnicodeError) -> tuple[bytes, int]:
    """A file name's bytes that Python holds as lone surrogates (a name beyond ASCII
    under ``LC_ALL=C`` with ``PYTHONUTF8=0``: "J\\udcc3\\udcbcrgen") written as the
    UTF-8 text they are ("Jürgen"); bytes that are not UTF-8 as escapes (``\\xfc``), so
    the file stays UTF-8."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out: list[str] = []
    raw = bytearray()
    for ch in exc.object[exc.start : exc.end]:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            raw.append(code - 0xDC00)
            continue
        out.append(raw.decode("utf-8", "backslashreplace"))
        raw.clear()
        out.append(ch.encode("ascii", "backslashreplace").decode("ascii"))
    out.append(raw.decode("utf-8", "backslashreplace"))
    # as bytes: Python's UTF-8 encoder takes a replacement text only if it is ASCII
    return "".join(out).encode("utf-8"), exc.end


codecs.register_error(UTF8_NAMES, _utf8_instead)
