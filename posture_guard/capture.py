"""Frame sources: a webcam by index, a video file (anything OpenCV reads, GIF included),
or a still image. Frames live in memory only; nothing here ever writes pixels.

A source hands out :class:`Frame` objects on demand. Video files are read in order and can
skip frames cheaply (``skip_until``), so the sampling policy decides which frames are
analysed exactly as it would for a camera. A still image is presented as a clip of that
image held still (``still_seconds`` long at ``still_fps``), which is what calibrating or
replaying "from a photo" means.
"""

from __future__ import annotations

import errno
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Optional, Protocol

import numpy as np

from .errors import UserError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
# The frame size asked of a webcam: enough for head and shoulders at a desk (the pose
# model sees a 256-pixel crop), and cheap to grab and convert. The cost benchmark
# measures frames of this size.
CAMERA_WIDTH = 640
CAMERA_HEIGHT = 480
# The frame rates a video file is believed to state: webcams and clips record at 1 to
# 240 fps, high-speed cameras up to 1000, and a GIF slideshow or a time-lapse may show
# a frame for seconds (down to one a 100 s; from 1 fps up, a GIF of 2 s a frame was
# called damaged and timed at 25 fps). A rate outside them is a damaged header (an MP4
# whose track time scale FFmpeg found invalid, "defaulting to 1", states 0.001 fps),
# and the file is timed at ASSUMED_FPS, as one that states no rate (0 fps) is; the note
# on its damage says so of both.
PLAUSIBLE_FPS = (0.01, 1000.0)
ASSUMED_FPS = 25.0
# A frame's time as its container states it (the presentation time stamp) within this of
# its place at the stated rate is taken as that place: the time base of a clip of constant
# rate (an MP4's 12800ths of a second) gave times differing from index / fps in their last
# digits, and a replay of such a clip keeps the times it always had.
ON_THE_RATE = 0.001
# The longest a frame is believed to be shown, as by the slowest rate believed: a time
# stated further on from the frame before is none the file can hold.
LONGEST_GAP = 1.0 / PLAUSIBLE_FPS[0]


class CameraError(UserError):
    """The camera cannot be opened or stopped giving frames."""


@dataclass
class Frame:
    """One picture in memory: ``image`` is BGR (OpenCV's order), ``t`` seconds from start."""

    t: float
    image: np.ndarray


class FrameSource(Protocol):
    width: int
    height: int
    fps: float
    name: str

    def read(self) -> Optional[Frame]:
        """The next frame, or None at the end of the input."""

    def skip_until(self, t: float) -> int:
        """Drop frames before stream time ``t`` without decoding them fully; how many."""

    def close(self) -> None: ...


def _cv2():
    import cv2  # imported lazily: the posture decision never needs OpenCV

    return cv2


# "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55f5fd71c780] " or "[ WARN:0@0.012] ": who spoke, not what
_NATIVE_PREFIX = re.compile(r"^\[[^\]]*\]\s*")


def _gist(raw: bytes) -> str:
    """`` (the decoder said: moov atom not found)``, or "" when nothing was said: the
    lines without who said them (a memory address means nothing to a user)."""
    said: list[str] = []
    for line in raw.decode("utf-8", "replace").splitlines():
        line = _NATIVE_PREFIX.sub("", line).strip()
        # a line quoting the file's own bytes ("Got: \ufffdU.") is no words for a user
        if line and line.isprintable() and "\ufffd" not in line and line not in said:
            said.append(line)
    if not said:
        return ""
    words = "; ".join(said[:2])
    return f" (the decoder said: {words if len(words) <= 120 else words[:117] + '...'})"


def reusable_sink() -> Optional[IO[bytes]]:
    """An unbuffered temporary file for :class:`NativeStderrHeld` to hold descriptor 2 in
    at every frame (emptied each time: no new file per hold), or None where none can be
    made, and each hold then tries a file of its own."""
    try:
        return tempfile.TemporaryFile(buffering=0)
    except OSError:
        return None


class NativeStderrHeld:
    """While in effect, what native code (FFmpeg, OpenCV) writes to file descriptor 2 goes
    to a temporary file instead of the terminal, so that a broken file's complaints do not
    come before our one-line error; :meth:`gist` words them for that error, and
    :meth:`pass_on` writes them out as they were when the file turned out readable. Only
    OpenCV calls run inside, so none of our own messages is held. Where descriptor 2
    cannot be duplicated (none open, a platform without descriptors) nothing is held."""

    def __init__(self, sink: Optional[IO[bytes]] = None) -> None:
        self.raw = b""
        self._saved: Optional[int] = None
        self._sink: Optional[IO[bytes]] = None
        # an unbuffered temporary file of the caller's, emptied and used again: a hold at
        # every frame then costs no new file (a tenth of a millisecond each)
        self._given = sink

    def __enter__(self) -> NativeStderrHeld:
        try:
            sys.stderr.flush()
            self._sink = self._given if self._given is not None else tempfile.TemporaryFile()
            self._sink.seek(0)
            self._sink.truncate()
            self._saved = os.dup(2)
            os.dup2(self._sink.fileno(), 2)
        except (OSError, ValueError, AttributeError):
            self._close()  # nothing held: native output reaches the terminal as before
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is None or self._sink is None:
            return
        try:
            os.dup2(self._saved, 2)  # always given back, whatever happened inside
            self._sink.seek(0)
            self.raw = self._sink.read()
        finally:
            self._close()

    def _close(self) -> None:
        if self._saved is not None:
            os.close(self._saved)
            self._saved = None
        if self._sink is not None and self._sink is not self._given:
            self._sink.close()
        self._sink = None

    def gist(self) -> str:
        """`` (the decoder said: moov atom not found)``, or "" when nothing was said."""
        return _gist(self.raw)

    def pass_on(self, drop: Optional[re.Pattern[bytes]] = None) -> None:
        """Write what was held to descriptor 2 as it would have been written, but for the
        lines that ``drop`` matches at their start."""
        rest = self.raw
        if drop is not None:
            lines = rest.splitlines(keepends=True)
            rest = b"".join(line for line in lines if not drop.match(line))
        try:
            while rest:
                rest = rest[os.write(2, rest) :]
        except OSError:
            pass


# FFmpeg's and OpenCV's lines open with who said them: "[mpeg4 @ 0x...]", "[ WARN:..."
_BRACKETED = re.compile(rb"\[")
# FFmpeg's alone: "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55f5fd71c780] ". While a file is opened,
# only they speak of the file; OpenCV may warn of its backends then (GStreamer's, where
# it is built in), which says nothing of damage and is passed on.
_FFMPEG = re.compile(rb"\[[^\]]* @ (0x)?[0-9a-fA-F]+\]")


# FFmpeg, on a track whose time scale it cannot use: "Invalid mdhd time scale -1,
# defaulting to 1" (libavformat/mov.c)
_TIME_SCALE = re.compile(rb"\] Invalid \w+ time scale")


class _DecoderLog:
    """What native code writes to descriptor 2 while each frame of a video is read, kept
    from the terminal. FFmpeg complains of a file damaged after its first frame at every
    frame it cannot decode: a replay of a clip with bytes overwritten in the middle
    printed thousands of "[mpeg4 @ 0x55...] marker does not match f_code" lines. Held
    only for the length of one OpenCV call, so our own messages, MediaPipe's and a
    Python traceback, all written between calls, reach the terminal as ever; a line held
    that does not open with "[" as FFmpeg's ("[mpeg4 @ 0x...]") and OpenCV's ("[ WARN:")
    do is passed on. The first complaint is kept for :meth:`VideoFileSource.damage`, the
    rest dropped. Where no temporary file or descriptor 2 is to be had, nothing is held."""

    def __init__(self) -> None:
        self.first: Optional[int] = None  # the frame whose reading drew the first complaint
        self.words = b""  # what the decoder said then
        self._sink = reusable_sink()

    @contextmanager
    def reading(self, index: int) -> Iterator[None]:
        """Hold descriptor 2 while frame ``index`` is read or grabbed."""
        held = NativeStderrHeld(self._sink)
        try:
            with held:
                yield
        finally:
            self.keep(index, held)

    def keep(
        self, index: int, held: NativeStderrHeld, theirs: re.Pattern[bytes] = _BRACKETED
    ) -> None:
        """Take what ``held`` held while frame ``index`` was read: the decoder's lines
        (those ``theirs`` matches) are kept (the first complaint) and dropped, any other
        line is passed on."""
        said = b"".join(line for line in held.raw.splitlines(keepends=True) if theirs.match(line))
        if said and self.first is None:
            self.first, self.words = index, said
        held.pass_on(drop=theirs)

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None


def _refuse_link_loop(path: Path, what: str) -> None:
    """Refuse a link that leads back to itself, naming it so: ``exists()`` is False for
    one, and `replay --video LOOP` said "video file not found" of a name that is there."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UserError(
                f"{what} {path} is a link that leads back to itself (a link loop)"
            ) from None


class VideoFileSource:
    """Frames of a video file, each timed as its container states (see :meth:`_time`).

    A phone or a screen recorder writes frames at a variable rate (a phone slows down in
    dim light, a screen recorder writes a frame only when the screen changes), and states
    as its frame rate the average: each frame timed by its index at that rate put every
    state change, span and calibration window at the wrong time (a clip of 6 s at 30 fps
    and then 24 s at 1 fps stated 7.3 fps, and its change at 6 s was timed at 24.7 s).
    Where the container gives no time for a frame, or one that cannot be right, the frame
    is timed one frame at the stated rate after the one before, and :meth:`damage` says
    from which frame.
    """

    def __init__(self, path: str | Path):
        cv2 = _cv2()
        self.path = Path(path)
        if not self.path.exists():
            _refuse_link_loop(self.path, "video file")
            raise UserError(f"video file not found: {self.path}")
        if self.path.is_dir():  # it read "OpenCV cannot read this file as a video"
            raise UserError(f"{self.path} is a folder, not a video file")
        _check_readable(self.path, "video file")
        # FFmpeg writes its complaints about a broken file ("[mov,mp4,... @ 0x55...] moov
        # atom not found") straight to descriptor 2, where they came before our one-line
        # error: held while the file is opened and its first frame read, they become part
        # of that error, or, when the file is readable all the same, the first complaint
        # of its decoder log, said in the one line on its damage, as a complaint drawn by
        # a later frame is. (They were passed on unchanged: a first frame damaged, or an
        # index FFmpeg found odd, printed FFmpeg's lines at every opening, twice for a
        # replay, and no note on the damage.)
        with NativeStderrHeld() as held:
            # one decoding thread: FFmpeg's frame threads went on decoding (and complaining
            # on descriptor 2) after a read had returned, past _DecoderLog's hold. One
            # thread decoded a 640x480 clip no slower on two cores; the pose model's time
            # is the replay's.
            with _opencv_name(self.path, "video file") as name:
                self._cap = cv2.VideoCapture(name, cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, 1])
            opened = self._cap.isOpened()
            if opened:
                # a phone keeps a video filmed upright as landscape pixels and says how to
                # turn them; this OpenCV left them unturned unless asked, and a portrait
                # clip was analysed lying on its side, 1280x720 instead of 720x1280
                self._cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
            ok, first = self._cap.read() if opened else (False, None)
        if not opened:
            raise UserError(f"{self.path}: OpenCV cannot read this file as a video{held.gist()}")
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        # FFmpeg's "Invalid mdhd time scale -1, defaulting to 1": whatever rate it then
        # gives (1 fps for a 25 fps clip timed in 25ths) is none the file states
        believed = PLAUSIBLE_FPS[0] <= fps < PLAUSIBLE_FPS[1] and not _TIME_SCALE.search(held.raw)
        self.fps = fps if believed else ASSUMED_FPS
        # a rate stated but not believed, said in the note on damage: a time scale FFmpeg
        # found invalid made 0.001 fps, frames 17 minutes apart ("00:17:04 of 17:04:00")
        # (0 fps, or no number, as OpenCV's own AVI reader gives for a stream header
        # stating a rate of 0: timed at 25 fps without a word, each time a guess)
        self._unbelieved: Optional[float] = None if believed else fps
        self.width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.name = f"video:{self.path.name}"
        self._index = 0  # frames handed out or skipped
        if not ok or first is None:
            self._cap.release()
            raise UserError(f"{self.path}: the video has no readable frames{held.gist()}")
        self._log = _DecoderLog()
        self._log.keep(0, held, _FFMPEG)  # any other line reaches the user as before
        self.height, self.width = first.shape[:2]
        # stream time of the last frame, as the container states it: what a replay into a
        # database checks against the time already logged there, and ends now. None when
        # it states no length (a WebM a browser recorded: OpenCV gives -9.2e16 frames),
        # or one no file of its size holds (an AVI length of 4294967295 frames), which
        # made the span 0 s, and a 30 s clip was logged up to 30 s after now, or 13.6
        # years: a replay of 3 s was logged in 2013 (monitor.video_span counts them).
        count = float(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0)
        believed = math.isfinite(count) and 1 <= count <= self.path.stat().st_size
        self._stated = int(count) if believed else 0
        self.stated_frames = self._stated  # 0 where it states none to believe
        # the last frame's own time, looked up when first asked (:attr:`duration`)
        self._duration: Optional[float] = None
        self._duration_known = not believed  # None: no length to believe
        self._ended = False  # read to where decoding stopped
        self._origin: Optional[float] = None  # the container's time of the first frame (s)
        self._last_t = 0.0  # stream time of the last frame handed out or skipped
        self._untimed: Optional[int] = None  # the first frame the container gave no time for
        self._untimed_count = 0
        self._first_t: Optional[float] = None  # time of the frame the decoder complained of
        # the frame grabbed and not yet handed out or skipped, with its time (the first,
        # read above, as its picture): skipping looks at a frame's time, which only its
        # container knows, before it is given out
        self._next: Optional[float] = self._time(0)
        self._next_image: Optional[np.ndarray] = first
        self._note_complaint(0.0)

    def _time(self, index: int) -> float:
        """Stream time of frame ``index``, just grabbed: what its container states, from
        the first frame's, when that comes after the frame before by at most
        LONGEST_GAP; else one frame at the stated rate after the frame before (none
        stated, as OpenCV gives 0 for a frame with no time stamp; going back, as two
        recordings joined end to end do; or a jump ahead, as a time stamp reset in a
        live stream makes). A frame rate not believed (see PLAUSIBLE_FPS) is a time base
        not believed: those frames are timed at ASSUMED_FPS by their index, as before.
        (The length the file states is no bound: OpenCV states a GIF of two frames 2 s
        apart as 2 frames at 100 fps, its time base.)"""
        on_rate = index / self.fps
        if self._unbelieved is not None:
            return on_rate
        previous = self._last_t if index > 0 else -math.inf
        stated = float(self._cap.get(_cv2().CAP_PROP_POS_MSEC)) / 1000.0
        if index == 0 and math.isfinite(stated):
            self._origin = stated
        t = stated - self._origin if self._origin is not None else math.nan
        latest = previous + LONGEST_GAP if index > 0 else 0.0
        if not (math.isfinite(t) and previous < t <= latest):
            if self._untimed is None:
                self._untimed = index
            self._untimed_count += 1
            return previous + 1.0 / self.fps if index > 0 else 0.0
        if abs(t - on_rate) <= ON_THE_RATE and on_rate > previous:
            return on_rate
        return t

    @property
    def duration(self) -> Optional[float]:
        """Stream time of the last frame, as the container states it, or None where it
        states no length to believe. Why the container's: a variable-rate video's (stated
        frames - 1) / average rate is not its last frame's time (a clip of 30 s stated
        7.3 fps, 205 frames: 27.96 s), and a replay into a database without --start, which
        ends the log now, logged it ending 2 s after now. Where the container gives no
        time to believe for the last frame, or a rate not believed times the frames by
        their index, it is that count at the stated rate, as before."""
        if not self._duration_known:
            self._duration_known = True
            on_rate = (self._stated - 1) / self.fps
            last = self._stated_last_time() if self._unbelieved is None else None
            self._duration = on_rate if last is None or abs(last - on_rate) <= ON_THE_RATE else last
        return self._duration

    def _stated_last_time(self) -> Optional[float]:
        """The last frame's time as its container states it, from the first frame's: the
        file opened once more, sought to its last stated frame and read to its end (a
        seek by frame on a variable-rate file may land earlier), or None."""
        cv2 = _cv2()
        last = math.nan
        with NativeStderrHeld(), _opencv_name(self.path, "video file") as name:
            cap = cv2.VideoCapture(name, cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, 1])
            try:
                if cap.isOpened() and cap.set(cv2.CAP_PROP_POS_FRAMES, self._stated - 1):
                    while cap.grab():
                        last = float(cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0
            finally:
                cap.release()
        if self._origin is None or not math.isfinite(last) or last - self._origin <= 0:
            return None
        return last - self._origin

    def _grab(self) -> bool:
        """Grab the next frame (decoded, not yet converted) and time it; False at the end."""
        if self._next is not None:
            return True
        with self._log.reading(self._index):
            ok = self._cap.grab()
        if not ok:
            self._ended = True
            return False
        self._next = self._time(self._index)
        self._note_complaint(self._next)
        return True

    def _note_complaint(self, t: float) -> None:
        """Keep the time of the frame the decoder first complained of, for :meth:`damage`."""
        if self._first_t is None and self._log.first is not None:
            self._first_t = t if self._log.first >= self._index else self._last_t

    def _hand_on(self) -> float:
        """The grabbed frame is handed out or skipped: its time."""
        t = self._next if self._next is not None else self._last_t
        self._next, self._next_image = None, None
        self._last_t = t
        self._index += 1
        return t

    @property
    def last_t(self) -> float:
        """Stream time of the last frame read or skipped: at the end, the clip's last
        frame, which the replay counts to as a landmark replay counts to its last sample."""
        return self._last_t

    def read(self) -> Optional[Frame]:
        if not self._grab():
            return None
        image = self._next_image
        if image is None:
            with self._log.reading(self._index):
                ok, image = self._cap.retrieve()
            self._note_complaint(self._next if self._next is not None else self._last_t)
            if not ok or image is None:
                self._ended = True
                self._next = None
                return None
        return Frame(self._hand_on(), image)

    def skip_until(self, t: float) -> int:
        skipped = 0
        while self._grab() and self._next is not None and self._next < t - 1e-9:
            self._hand_on()
            skipped += 1
        return skipped

    def damage(self, used: bool = True) -> Optional[str]:
        """One line on a file found damaged after its first frame, or None: from which
        frame the decoder complained, or where decoding stopped short of the frames the
        file states, and what the frames read cover; and a frame rate it states that was
        not believed, and what its times assume instead. (A replay of such a file printed
        FFmpeg's lines and then totals of the part decoded, as if that were the video.)
        Unless ``used``, frames the decoder complained of are not said to be used: a
        calibration refuses them."""
        stated = self._stated
        short = self._ended and stated - self._index > max(self.fps, 0.02 * stated)
        first = self._log.first
        rate = None
        if self._unbelieved is not None:
            given = self._unbelieved
            # NaN and infinity from a rate of 0/0 or n/0: "(nan fps)" said nothing
            said = f"({given:.3g} fps) cannot be right" if math.isfinite(given) else "is no number"
            rate = f"the frame rate it states {said}, so its times assume {self.fps:g} fps"
        elif self._untimed is not None:
            # the same words as a rate not believed: those frames' times are a guess
            rate = (
                f"{self._untimed_count} of its frames from frame {self._untimed + 1} state no "
                "time, or one going back or over 100 s on, so each is timed one frame at its "
                f"stated {self.fps:.3g} fps after the frame before"
            )
        if first is None and not short:
            return f"{self.path} is damaged: {rate}" if rate else None
        if rate and first == 0 and not short:  # what the decoder said on opening it
            return f"{self.path} is damaged: {rate}{_gist(self._log.words)}"
        at = first if first is not None else self._index
        if short:
            what = (
                f"decoding stopped after {self._index} of the {stated} frames it states "
                f"({_clock(self._index / self.fps)} of {_clock(stated / self.fps)}): the "
                "rest could not be read"
            )
        else:
            what = "the frames from there on " + (
                "were used as decoded, some perhaps garbled" if used else "may be garbled"
            )
        if rate:
            what = f"{what}; {rate}"
        return (
            f"{self.path} is damaged from about {_clock(self._time_of(at))} (frame {at + 1}): "
            f"{what}{_gist(self._log.words)}"
        )

    def _time_of(self, at: int) -> float:
        """Stream time of frame ``at``: its own, for the frame the decoder complained of,
        else counted at the stated rate from the last frame handed out."""
        if at == self._log.first and self._first_t is not None:
            return self._first_t
        if self._index == 0:
            return at / self.fps
        return self._last_t + (at - self._index + 1) / self.fps

    def close(self) -> None:
        with self._log.reading(self._index):  # the decoder drained: its last complaints
            self._cap.release()
        self._log.close()


@contextmanager
def _opencv_name(path: Path, what: str) -> Iterator[str]:
    """The name to give OpenCV for ``path``, good while the context lasts.

    OpenCV takes a name as UTF-8 text, and a file name that is not (a Linux name in
    Latin-1, from an old camera or a USB stick: Python holds its bytes as lone
    surrogates) crashed the process with a segmentation fault. Such a file is given as
    the descriptor it is open on (``/proc/self/fd/N``), where there is one to give."""
    name = str(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        yield name
        return
    if not Path("/proc/self/fd").is_dir():
        raise UserError(
            f"{path}: OpenCV cannot open a file whose name is not UTF-8 text; rename the "
            f"{what} and try again"
        )
    fd = _open_readable(path, what)
    try:
        yield f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)


def _check_readable(path: Path, what: str) -> None:
    """A file we may not open is named so, with the system's reason ("Permission
    denied"): OpenCV says only that it cannot read it, which a video without read
    permission made "OpenCV cannot read this file as a video", and a photo "not found or
    not an image OpenCV can read"."""
    os.close(_open_readable(path, what))


def _open_readable(path: Path, what: str) -> int:
    """A descriptor open for reading ``path``, or the UserError naming why there is none
    ("cannot read video file F: Permission denied"). Opened without waiting, so a named
    pipe is no hang."""
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _clock(seconds: float) -> str:
    """``00:01:05``: stream time as the totals give it."""
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def read_image(path: Path, what: str = "image") -> Optional[np.ndarray]:
    """The picture in the file at ``path`` (BGR, 8 bits), or None when OpenCV cannot read
    it as one. A file we may not read is named so (see _check_readable), and one whose
    name is not UTF-8 text is read all the same (see _opencv_name): `assess` of such a
    photo, which gave OpenCV the name itself, died of a segmentation fault."""
    if path.is_file():
        _check_readable(path, what)
    with _opencv_name(path, what) as name:
        return _cv2().imread(name)


class StillImageSource:
    """A photo presented as a short clip of itself (see the module docstring)."""

    def __init__(
        self,
        path: str | Path,
        still_seconds: float = 10.0,
        still_fps: float = 2.0,
        image: Optional[np.ndarray] = None,
    ):
        """``image``: the picture, already read from ``path`` (a GIF of one picture)."""
        self.path = Path(path)
        _refuse_link_loop(self.path, "image")
        if image is None:
            image = read_image(self.path) if self.path.exists() else None
        if image is None:
            raise UserError(f"{self.path}: not found or not an image OpenCV can read")
        self._image = image
        self.height, self.width = image.shape[:2]
        self.fps = still_fps
        self.name = f"image:{self.path.name}"
        self._n = max(1, int(round(still_seconds * still_fps)))
        self._index = 0
        self.duration = (self._n - 1) / self.fps  # stream time of the last frame

    @property
    def last_t(self) -> float:
        """Stream time of the last frame read or skipped (see VideoFileSource.last_t)."""
        return max(self._index - 1, 0) / self.fps

    def read(self) -> Optional[Frame]:
        if self._index >= self._n:
            return None
        frame = Frame(self._index / self.fps, self._image)
        self._index += 1
        return frame

    def skip_until(self, t: float) -> int:
        start = self._index
        while self._index < self._n and self._index / self.fps < t - 1e-9:
            self._index += 1
        return self._index - start

    def close(self) -> None:
        pass


#: The largest webcam index opened: OpenCV takes an index as a C int, and past a few
#: hundred an index names a backend's range (700 + n is DirectShow's camera n), no camera.
MAX_CAMERA_INDEX = 9999


class CameraSource:
    """A webcam. Times are seconds since the camera was opened (monotonic clock)."""

    def __init__(self, index: int = 0, width: int = CAMERA_WIDTH, height: int = CAMERA_HEIGHT):
        if not 0 <= index <= MAX_CAMERA_INDEX:
            # OpenCV refused an index past a C int with a TypeError: `record` and
            # `calibrate --camera 99999999999999999999999` ended in "internal error"
            raise CameraError(
                f"cannot open camera {index}: webcams are numbered 0, 1, 2 and so on "
                f"(at most {MAX_CAMERA_INDEX})"
            )
        cv2 = _cv2()
        self.index = index
        # OpenCV prints its own [WARN]/[ERROR] lines when no camera answers; the error
        # below says what is wrong and what to do, so its chatter is silenced meanwhile.
        level = cv2.getLogLevel()
        cv2.setLogLevel(0)  # silent
        try:
            self._cap = cv2.VideoCapture(index)
        finally:
            cv2.setLogLevel(level)
        if not self._cap.isOpened():
            self._cap.release()
            raise CameraError(
                f"cannot open camera {index}: no camera at that index, or another program "
                "(a video call?) is using it"
            )
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self.width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)) or width
        self.height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) or height
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 30.0)
        self.name = f"webcam:{index}"
        self._t0 = time.monotonic()

    def read(self) -> Optional[Frame]:
        # Drop one buffered frame so the analysed picture is current, not seconds old.
        self._cap.grab()
        ok, image = self._cap.read()
        if not ok or image is None:
            raise CameraError(f"camera {self.index} stopped giving frames")
        return Frame(time.monotonic() - self._t0, image)

    def skip_until(self, t: float) -> int:
        delay = t - (time.monotonic() - self._t0)
        if delay > 0:
            time.sleep(delay)
        return 0  # a webcam's frames meanwhile were never taken

    def close(self) -> None:
        self._cap.release()


def no_camera_on_this_machine() -> bool:
    """True only when we can tell for sure that no camera exists (Linux: no /dev/video*).

    Elsewhere, or when devices exist, a camera that fails to open may merely be busy (a
    video call holds it), which the monitor waits out instead of giving up.
    """
    import sys

    return sys.platform.startswith("linux") and not any(Path("/dev").glob("video*"))


def open_file(path: str | Path, still_seconds: float = 10.0) -> FrameSource:
    """A video or still image source, chosen by the file's suffix; a still image is held
    for ``still_seconds``, and so is a GIF of one picture.

    GIF is a picture format that may animate: a GIF of one picture (a photo saved as GIF,
    as an image editor or a chat app saves one) was replayed as a clip of one frame,
    "monitored 00:00:00", and calibrate said "the input holds only 0.0 s". One that states
    more than one frame is a video, whatever it turns out to hold; one that states one, or
    none, is read to its second frame. (A video file of one frame stays a clip of one.)"""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return StillImageSource(path, still_seconds=still_seconds)
    source = VideoFileSource(path)
    if suffix != ".gif" or source.stated_frames > 1:
        return source
    try:
        first = source.read()
        single = first is not None and source.read() is None and source.damage() is None
    finally:
        source.close()
    if single and first is not None:
        return StillImageSource(path, still_seconds=still_seconds, image=first.image)
    return VideoFileSource(path)  # read again from its first frame
