"""Read and write landmark streams (JSONL), the contract in docs/landmark-stream.md.

A stream can be recorded without images, replayed, shared with a therapist and scored
against ground truth. The reader is strict: a line that is not JSON, a sample with the
wrong number of landmarks or values, a non-finite number, a time that goes backwards, a
visibility outside 0..1 (all named by the contract), and beyond it a negative time or one
no recording can reach (:data:`MAX_T`), a frame size no camera gives (:data:`MAX_SIDE_PX`),
and a ``.gz`` file that is cut off or damaged, raise :class:`StreamError` naming the file
and line, and never anything else. What the contract allows is read, however odd: a pause
of days between samples, and points far outside the picture (they count as not seen,
features.visibility).
"""

from __future__ import annotations

import gzip
import json
import math
import shlex
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Optional, Union

import numpy as np

from .errors import UserError
from .landmarks import N_LANDMARKS, N_VALUES, Sample, StreamHeader
from .terminal import UTF8_NAMES

PathLike = Union[str, Path]


#: The largest ``t`` a sample may carry: about 32 years of seconds. The contract bounds no
#: step (a recording may pause for days), but no recording's clock runs this long: such a
#: time is damaged (1e300 s would be logged as millennia at the desk, on dates no calendar
#: holds).
MAX_T = 1e9
#: The largest side of a frame, in pixels, and the most one side may be of the other (a
#: 32:9 monitor-wide camera is 3.6). No camera or video frame is beyond either: a header
#: that is was damaged or hand-edited, and its numbers were used as they were, the
#: positions' aspect ratio with them (an image_height of 1e308 was refused as "a side
#: view", an image_width of 1e308 judged a different posture).
MAX_SIDE_PX = 100_000
MAX_SIDE_RATIO = 10.0
#: The longest line a reader takes, in characters: a sample of 33 rows is about 1500, and
#: a header with many extra keys some thousands.
MAX_LINE_CHARS = 1_000_000
#: The first two bytes of every gzip file (RFC 1952).
GZIP_MAGIC = b"\x1f\x8b"


class StreamError(UserError):
    """A landmark stream that does not follow the format; the message names the line."""


def _fail(where: str, lineno: int, what: str) -> StreamError:
    return StreamError(f"{where}, line {lineno}: {what}")


def finite_number(value: Union[int, float]) -> bool:
    """Whether a JSON number is finite as a float. JSON's whole numbers have no size
    limit, and Python's math fails on one too large for a float (a 400-digit ``t``),
    which is as far off any double as ``1e400``, read as infinity. (The profile loader,
    calibration.baseline, reads its JSON numbers with it too.)"""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _shown(value: object) -> str:
    """A number for a message, cut short: a damaged line may hold thousands of digits."""
    text = repr(value)
    return text if len(text) <= 24 else text[:20] + "..."


def _parse_header(obj: Any, where: str) -> StreamHeader:
    if not isinstance(obj, dict):
        raise _fail(where, 1, "the header must be a JSON object")
    known = {}
    for key, kind in (("image_width", int), ("image_height", int), ("fps", float)):
        value = obj.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(where, 1, f"header needs a number '{key}'")
        if not finite_number(value) or value <= 0:
            raise _fail(where, 1, f"header '{key}' must be a positive finite number")
        if kind is int and value != int(value):
            raise _fail(where, 1, f"header '{key}' must be a whole number of pixels")
        known[key] = kind(value)
    width, height = known["image_width"], known["image_height"]
    if max(width, height) > MAX_SIDE_PX or max(width / height, height / width) > MAX_SIDE_RATIO:
        raise _fail(
            where,
            1,
            f"header: a frame of {float(width):g} x {float(height):g} pixels is no camera's or "
            f"video's (at most {MAX_SIDE_PX} a side, one side at most {MAX_SIDE_RATIO:g} "
            "times the other): damaged",
        )
    source = obj.get("source", "")
    extra = {
        k: v for k, v in obj.items() if k not in ("image_width", "image_height", "fps", "source")
    }
    return StreamHeader(source=str(source), extra=extra, **known)


def _parse_sample(obj: Any, where: str, lineno: int, last_t: Optional[float]) -> Sample:
    """One sample line; ``last_t`` is the time of the sample before (None for the first)."""
    if not isinstance(obj, dict):
        raise _fail(where, lineno, "a sample must be a JSON object")
    t = obj.get("t")
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise _fail(where, lineno, "a sample needs a number 't' (seconds)")
    if not finite_number(t):
        raise _fail(where, lineno, f"'t' is not a finite number ({_shown(t)})")
    if t < 0:
        raise _fail(where, lineno, f"'t' is negative ({t}): it counts seconds from the start")
    if last_t is not None and t < last_t:
        raise _fail(where, lineno, f"'t' goes backwards ({t} after {last_t})")
    if t > MAX_T:
        raise _fail(
            where, lineno, f"'t' is {t:g} s, more than any recording lasts ({MAX_T:g} s): damaged"
        )
    if "landmarks" not in obj:
        raise _fail(where, lineno, "a sample needs 'landmarks' (a list of 33 rows, or null)")
    raw = obj["landmarks"]
    if raw is None:
        return Sample(float(t), None)
    if not isinstance(raw, list) or len(raw) != N_LANDMARKS:
        n = len(raw) if isinstance(raw, list) else type(raw).__name__
        raise _fail(where, lineno, f"expected {N_LANDMARKS} landmarks, got {n}")
    for i, row in enumerate(raw):
        if not isinstance(row, list) or len(row) != N_VALUES:
            raise _fail(where, lineno, f"landmark {i} must be [x, y, z, visibility]")
        for v in row:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise _fail(where, lineno, f"landmark {i} holds a non-number ({v!r})")
            if not finite_number(v):
                raise _fail(where, lineno, f"landmark {i} holds a non-finite number ({_shown(v)})")
        if not 0.0 <= row[3] <= 1.0:
            raise _fail(where, lineno, f"landmark {i} has visibility {row[3]:g} (must be 0..1)")
    return Sample(float(t), np.asarray(raw, dtype=float))


def _json(line: str, where: str, lineno: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise _fail(where, lineno, f"not JSON ({exc.msg})") from None
    except ValueError:  # Python refuses to convert a whole number of over 4300 digits
        raise _fail(where, lineno, "not JSON a reader can hold (a number too long)") from None
    except RecursionError:
        raise _fail(where, lineno, "not JSON a reader can hold (nested too deep)") from None


def parse_lines(
    lines: Iterable[str], where: str = "<stream>"
) -> tuple[StreamHeader, Iterator[Sample]]:
    """Parse a stream from text lines; samples are produced lazily, errors name the line."""
    it = iter(enumerate(lines, start=1))
    header = None
    for lineno, line in it:
        if not line.strip():
            continue
        obj = _json(line, where, lineno)
        header = _parse_header(obj, where) if lineno == 1 else None
        if header is None:
            raise _fail(where, lineno, "the first line must be the header")
        break
    if header is None:
        raise StreamError(f"{where}: the stream is empty (no header line)")

    def samples() -> Iterator[Sample]:
        last_t: Optional[float] = None
        for lineno, line in it:
            if not line.strip():
                continue
            sample = _parse_sample(_json(line, where, lineno), where, lineno, last_t)
            last_t = sample.t
            yield sample

    return header, samples()


def read_stream(path: PathLike) -> tuple[StreamHeader, Iterator[Sample]]:
    """Open a landmark stream file. The file is read lazily, line by line.

    A ``.gz`` file is decompressed as it is read. A cut-off download or a damaged
    compressed body shows only once the reading gets there, so the error names the last
    line that could be read. A ``.gz`` file that does not begin with gzip's magic bytes
    is read as plain text: ``record`` wrote its recordings so under a ``.gz`` name until
    2026-12-01 (5e3bb53), and they are the user's. A byte-order mark before the header
    (some Windows editors write one) is UTF-8 too and is skipped; bytes that are not
    UTF-8 are named by line.
    """
    path = Path(path)
    packed = path.suffix == ".gz" and _begins_as_gzip(path)
    # The file is decoded in chunks of many lines, so a decoding error would not say which
    # line holds the bad bytes: they are kept as escapes and each line is checked alone.
    text = {"encoding": "utf-8-sig", "errors": "surrogateescape"}
    try:
        handle = gzip.open(path, "rt", **text) if packed else path.open(**text)
    except OSError as exc:
        raise StreamError(f"{path}: cannot open landmark stream ({exc.strerror})") from None

    def lines() -> Iterator[str]:
        n = 0  # lines read whole, for the errors below
        with handle:
            try:
                # read a line at most MAX_LINE_CHARS long: a device (/dev/zero) or a
                # binary file without line breaks was one endless line, read whole until
                # the memory ran out ("internal error (MemoryError)", or the machine
                # swapping, for `calibrate --landmarks /dev/zero`)
                for line in iter(lambda: handle.readline(MAX_LINE_CHARS + 1), ""):
                    n += 1
                    if len(line) > MAX_LINE_CHARS:
                        raise _fail(
                            str(path),
                            n,
                            f"longer than {MAX_LINE_CHARS:,} characters, more than any line "
                            "of a landmark stream (is it one?)",
                        )
                    if not line.isascii() and not _is_utf8(line):
                        raise _fail(str(path), n, "not UTF-8 text")
                    if not line.endswith("\n") and _incomplete(line):
                        raise _fail(str(path), n, _cut_off_line(path, n, packed))
                    yield line
            except EOFError:  # only gzip raises it: the compressed data ends too soon
                after = f"after line {n}" if n else "in its first line"
                raise StreamError(
                    f"{path}: the gzip stream is cut off {after} (an incomplete copy, or a "
                    f"recording that was killed){_salvage(path, n)}"
                ) from None
            except (OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
                if not packed:
                    what = f"cannot read after line {n}"
                elif n == 0:
                    what = "not a gzip file, or damaged in its first line"
                else:
                    what = f"damaged gzip data after line {n}"
                raise StreamError(f"{path}: {what} ({exc})") from None

    return parse_lines(lines(), where=str(path))


def _incomplete(last: str) -> bool:
    """Whether the file's last line, which no newline ends, is not JSON: the file ends
    inside it."""
    if not last.strip():
        return False
    try:
        json.loads(last)
    except (ValueError, RecursionError):
        return True
    return False


def _cut_off_line(path: Path, lineno: int, packed: bool) -> str:
    """What is wrong with a last line cut half-way, and how to keep the lines before it.

    A plain-text recording killed while it wrote a line (a power cut, a copy stopped
    half-way) ends inside that line. The contract has a line that is not JSON refused,
    so the stream is refused whole, as a cut-off ``.gz`` one is, but every line before
    the cut is a whole sample: the message gives the command that keeps them (it said
    only "not JSON (Expecting ',' delimiter)", as if the recording were damaged all
    through)."""
    what = (
        "cut off (the file ends inside this line: a recording that was killed, or an "
        "incomplete copy)"
    )
    if lineno < 3:
        return f"{what}, and no whole sample comes before it"
    quoted, kept = shlex.quote(str(path)), shlex.quote(str(_kept_name(path)))
    keep = f"head -n {lineno - 1}"
    command = f"gzip -dc {quoted} | {keep} > {kept}" if packed else f"{keep} {quoted} > {kept}"
    return f"{what}; `{command}` keeps the {lineno - 1} whole lines before it"


def _kept_name(path: Path) -> Path:
    """Where a salvage command puts the lines it keeps: ``desk.jsonl.gz`` and
    ``desk.jsonl`` both give ``desk-kept.jsonl``, beside them."""
    name = path.name[: -len(".gz")] if path.suffix == ".gz" else path.name
    stem, suffix = Path(name).stem, Path(name).suffix
    return path.with_name(f"{stem}-kept{suffix or '.jsonl'}")


def _salvage(path: Path, whole: int) -> str:
    """How to keep the ``whole`` lines of a cut-off gzip stream read before the cut: a
    `record` killed (kill -9, a power cut) ends its file without gzip's trailer, yet every
    sample it wrote was flushed and can be read; the stream is still refused whole, as an
    incomplete copy would be. ``head`` leaves out the line the cut ends inside, which
    ``gzip -dc`` writes too (the file it made was refused again, as "not JSON")."""
    if whole < 2:
        return "; no whole sample comes before it"
    kept = shlex.quote(str(_kept_name(path)))
    command = f"gzip -dc {shlex.quote(str(path))} | head -n {whole} > {kept}"
    return f"; `{command}` keeps the {whole} whole lines before it"


def _begins_as_gzip(path: Path) -> bool:
    """Whether the file begins with gzip's two magic bytes (True when it cannot be read:
    opening it as gzip then names what is wrong)."""
    try:
        with path.open("rb") as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError:
        return True


def _is_utf8(line: str) -> bool:
    """Whether a line read with ``surrogateescape`` came from UTF-8 bytes (the bytes that
    are not UTF-8 became lone surrogates, which cannot be encoded back)."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def looks_like_stream(path: PathLike) -> bool:
    """Whether ``path`` is a regular file that begins with a landmark stream's header.

    Used to keep an output option from overwriting a recording; devices and pipes are
    never read (a terminal would wait for input). A gzip recording is seen whatever the
    name it is reached by: /dev/stdout going to ``>> rec.jsonl.gz`` was read as plain
    text, its header not seen, and the plain text ``record --landmarks-out -`` appended
    left the recording damaged.
    """
    path = Path(path)
    if not path.is_file():
        return False
    try:
        read_stream(path)
    except UserError:
        return path.suffix != ".gz" and _begins_as_gzip(path) and _gzip_header(path)
    return True


def _gzip_header(path: Path) -> bool:
    """Whether the gzip file ``path`` (of any name) begins with a landmark stream's header."""
    text = {"encoding": "utf-8-sig", "errors": "surrogateescape"}
    try:
        with gzip.open(path, "rt", **text) as handle:
            parse_lines(iter(lambda: handle.readline(MAX_LINE_CHARS + 1), ""), str(path))
    except (UserError, OSError, EOFError, zlib.error):
        return False
    return True


def load_stream(path: PathLike) -> tuple[StreamHeader, list[Sample]]:
    """Read a whole stream into memory (validating every line before returning)."""
    header, samples = read_stream(path)
    return header, list(samples)


def header_to_json(header: StreamHeader) -> dict[str, Any]:
    obj: dict[str, Any] = dict(header.extra)
    obj.update(
        image_width=header.image_width,
        image_height=header.image_height,
        fps=header.fps,
        # a video named beyond ASCII under LC_ALL=C with PYTHONUTF8=0 ("föto.jpg", held
        # as lone surrogates) was written as JSON's escapes of them ("f\\udcc3\\udcb6to"),
        # a name no other reader of the recording could make out: its UTF-8 text instead
        source=header.source.encode("utf-8", UTF8_NAMES).decode("utf-8"),
    )
    return obj


def sample_to_json(sample: Sample, digits: int = 5) -> dict[str, Any]:
    if sample.landmarks is None:
        return {"t": round(sample.t, 4), "landmarks": None}
    rows = [[round(float(v), digits) for v in row] for row in sample.landmarks]
    return {"t": round(sample.t, 4), "landmarks": rows}


class StreamWriter:
    """Writes a header then samples, one JSON object per line, flushing as it goes."""

    def __init__(self, handle: IO[str], header: StreamHeader):
        self._handle = handle
        handle.write(json.dumps(header_to_json(header)) + "\n")

    def write(self, sample: Sample) -> None:
        self._handle.write(json.dumps(sample_to_json(sample), separators=(",", ":")) + "\n")
        self._handle.flush()


def write_stream(path: PathLike, header: StreamHeader, samples: Iterable[Sample]) -> int:
    """Write a whole stream to ``path``; returns the number of samples written.

    A ``.gz`` name is written compressed, as ``record`` writes it: the readers take a
    ``.gz`` file for gzip, so plain text under that name (``calibration.synth --out
    x.jsonl.gz``) could not be replayed."""
    n = 0
    path = Path(path)
    opened = gzip.open(path, "wt", encoding="utf-8") if path.suffix == ".gz" else None
    with opened or path.open("w", encoding="utf-8") as handle:
        writer = StreamWriter(handle, header)
        for sample in samples:
            writer.write(sample)
            n += 1
    return n
