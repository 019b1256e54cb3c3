"""The monitor's log: a rotating file in the user's log dir, and a terse console.

A background monitor has no terminal anyone reads, so what it did (camera released,
camera busy and retried, database set aside) must land in a file the user can find:
``paths.log_dir() / "posture-guard.log"``, rotated at 1 MB with 3 old files kept, so
weeks of running never fill a disk. The console shows warnings only; each ``-v`` adds a
level (``-v`` info, ``-vv`` debug) to both the console and the file.

The log holds words and numbers only: no frame, no landmark array, never an image.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import IO, Optional

from . import paths
from .terminal import UTF8_NAMES

LOG_NAME = "posture-guard.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_posture_guard_handler"  # set on our handlers so setup() can replace them
#: ``extra=`` of a record for the log file only: a notice already printed on stderr
#: (with ``-v`` its info line reached the console too, and the terminal read it twice)
FILE_ONLY = {"file_only": True}


def _not_file_only(record: logging.LogRecord) -> bool:
    """The console handler's filter: leaves out what :data:`FILE_ONLY` marks."""
    return not getattr(record, "file_only", False)


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates the log, and each new one after a rotation, 0600: the log names posture
    states and the headaches recorded, not for the other users of the machine.

    A log (or its folder) removed while the monitor runs is made anew at its path at the
    next line, as a database removed is: the lines went into the removed file, which
    nothing could read while `run` and the README pointed to its path, and the first
    rotation, failing to open it again, printed a "--- Logging error ---" traceback for
    every line from then on. A line that still cannot be written is said once, in one
    line, not with a traceback each time."""

    _told = False

    def emit(self, record: logging.LogRecord) -> None:
        self._reopen_if_gone()
        super().emit(record)

    def _reopen_if_gone(self) -> None:
        stream = self.stream
        if stream is None:
            return  # opened on the next write
        try:
            on_disk = os.stat(self.baseFilename)
            open_file = os.fstat(stream.fileno())
            if (on_disk.st_dev, on_disk.st_ino) == (open_file.st_dev, open_file.st_ino):
                return
        except (FileNotFoundError, NotADirectoryError):
            pass  # gone (a file in its folder's place too)
        except (OSError, ValueError):  # cannot tell: write where it writes
            return
        self.stream = None  # type: ignore[assignment]  # the next write opens the path
        try:
            stream.close()
            os.makedirs(os.path.dirname(self.baseFilename), paths.PRIVATE_DIR, exist_ok=True)
        except OSError:
            pass  # the open says why, once (handleError)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if self._told or sys.stderr is None:
            return
        self._told = True
        why = sys.exc_info()[1]
        text = (why.strerror if isinstance(why, OSError) else None) or str(why)
        print(f"posture-guard: cannot write the log {self.baseFilename}: {text}", file=sys.stderr)

    def _open(self) -> IO[str]:
        return open(
            self.baseFilename,
            self.mode,
            encoding=self.encoding,
            errors=self.errors,
            opener=paths.private_opener,
        )


def log_file() -> Path:
    return paths.log_dir() / LOG_NAME


def levels(verbose: int) -> tuple[int, int]:
    """(file level, console level) for a ``-v`` count: each -v shows one level more."""
    file_level = logging.INFO if verbose <= 0 else logging.DEBUG
    console = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    return file_level, console


def setup(verbose: int = 0, console: Optional[IO[str]] = None, to_file: bool = True) -> Path:
    """Attach the rotating file and the console handler to the ``posture_guard`` logger.

    Calling it again (tests, a restarted loop) replaces the handlers instead of doubling
    every line. Returns the log file's path.
    """
    logger = logging.getLogger("posture_guard")
    for handler in list(logger.handlers):
        if getattr(handler, _MARK, False):
            logger.removeHandler(handler)
            handler.close()
    file_level, console_level = levels(verbose)
    path = log_file()
    if to_file:
        # a line naming a file in a home beyond ASCII under a C locale ("Jürgen Müller",
        # held as lone surrogates) was not written ("cannot write the log: 'utf-8' codec
        # can't encode"), nor, said once, any such line after it
        fh = _PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", errors=UTF8_NAMES
        )
        fh.setLevel(file_level)
        fh.setFormatter(logging.Formatter(_FORMAT))
        setattr(fh, _MARK, True)
        logger.addHandler(fh)
    ch = logging.StreamHandler(console if console is not None else sys.stderr)
    ch.setLevel(console_level)
    ch.setFormatter(logging.Formatter("posture-guard: %(message)s"))
    ch.addFilter(_not_file_only)
    setattr(ch, _MARK, True)
    logger.addHandler(ch)
    logger.setLevel(min(file_level, console_level))
    logger.propagate = False
    return path


def shutdown() -> None:
    """Flush and detach our handlers (end of a run; lets tests remove the folder)."""
    logger = logging.getLogger("posture_guard")
    for handler in list(logger.handlers):
        if getattr(handler, _MARK, False):
            logger.removeHandler(handler)
            handler.close()
    logger.propagate = True
