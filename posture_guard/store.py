"""The local SQLite log: posture spans, coach events and the headache diary.

Why spans and not frames: the monitor decides up to 5 times a second, but what anyone asks
later is "how long was I in which posture". Consecutive decisions with the same state are
merged into one row (state, start, end, profile, metric medians, seconds cut off by the
frame edge), the way ActivityWatch merges heartbeats, so a year of 8-hour days stays small
and fast to summarize.

Why batched writes: committing every decision would wear the disk and slow the loop; the
sink keeps closed spans in memory and commits at least every ``commit_every`` seconds of
stream *or* wall time (default 10 s), and the still-open span is written (then updated)
at each commit, so a crash loses at most that much.

Times are stored as POSIX seconds (UTC); local dates are derived when summarizing.
Nothing but numbers and the user's own diary text is stored: no images, ever.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Callable, Optional, Union

from . import paths
from .classify import Smoothing
from .errors import KeptAside, UserError
from .sampling import SamplingPolicy
from .sinks import SessionInfo
from .states import Decision, PostureState

# Each entry upgrades the schema by one version; index i takes version i to i + 1.
# Never edit a released entry: add a new one, so every existing database can follow.
MIGRATIONS: tuple[str, ...] = (
    # v1: posture spans and coach events
    """
    CREATE TABLE spans (
        id      INTEGER PRIMARY KEY,
        profile TEXT NOT NULL,
        state   TEXT NOT NULL,
        start   REAL NOT NULL,
        end     REAL NOT NULL,
        samples INTEGER NOT NULL,
        metrics TEXT NOT NULL DEFAULT '{}',
        source  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX spans_start ON spans(start);
    CREATE TABLE events (
        id      INTEGER PRIMARY KEY,
        at      REAL NOT NULL,
        kind    TEXT NOT NULL,
        payload TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_at ON events(at);
    """,
    # v2: headache diary and daily check-ins
    """
    CREATE TABLE headaches (
        id          INTEGER PRIMARY KEY,
        day         TEXT NOT NULL,
        start       TEXT,
        duration_min REAL,
        intensity   INTEGER NOT NULL,
        type        TEXT NOT NULL DEFAULT 'unsure',
        aura        INTEGER NOT NULL DEFAULT 0,
        medication  TEXT,
        triggers    TEXT NOT NULL DEFAULT '[]',
        note        TEXT,
        clinical    TEXT NOT NULL DEFAULT '{}',
        created     REAL NOT NULL,
        updated     REAL NOT NULL
    );
    CREATE INDEX headaches_day ON headaches(day);
    CREATE TABLE checkins (
        day     TEXT PRIMARY KEY,
        status  TEXT NOT NULL,
        at      REAL NOT NULL
    );
    """,
    # v3: of each span, the seconds in which the frame edge cut the user off (posture not
    # judged, the state held); spans logged before this read 0
    """
    ALTER TABLE spans ADD COLUMN cut_off REAL NOT NULL DEFAULT 0;
    """,
    # v4: the side file of spans kept while the database was locked, as last taken in:
    # its length and a hash of its bytes, written in the transaction that adds its spans,
    # so that a crash before the file is removed does not add them a second time
    """
    CREATE TABLE taken_in (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        length  INTEGER NOT NULL,
        sha256  TEXT NOT NULL,
        at      REAL NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

DEFAULT_LOCK_TIMEOUT = 5.0
# how long the running monitor's retry of a database that refused it waits for the lock:
# its spans are safe in the side file by then, and each second waited is a second the
# loop reads no frames (the full lock timeout, 5 s, every 10-15 s while a lock lasted)
RETRY_LOCK_TIMEOUT = 0.1
SYNCHRONOUS = "FULL"  # every commit on the disk when it returns (see Store._prepare)
PENDING_SUFFIX = ".pending.jsonl"

When = Union[datetime, float, int]
log = logging.getLogger(__name__)


def to_timestamp(at: When) -> float:
    """POSIX seconds for a datetime (naive = local time) or a number already in seconds."""
    if isinstance(at, datetime):
        return at.timestamp()
    value = float(at)
    if not math.isfinite(value):
        raise UserError(f"time {at!r} is not a finite number")
    return value


@dataclass(frozen=True)
class Span:
    """A stretch of time in one posture state (``end`` > ``start``, POSIX seconds)."""

    state: PostureState
    start: float
    end: float
    profile: str = "default"
    samples: int = 1
    metrics: dict[str, float] = field(default_factory=dict)
    source: str = ""
    #: seconds of the span in which the frame edge cut the user off: the state was held
    #: from before, not seen (see :attr:`~posture_guard.states.Decision.cut_off`)
    cut_off: float = 0.0

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Event:
    """Something the coach did or saw (alert, break_taken, snooze, ...) at ``at``."""

    at: float
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


# What a sqlite error means for the user's file. Only DAMAGED may ever lead to setting a
# database aside: a file the user cannot read or write holds sound data and must stay.
LOCKED, ACCESS, DAMAGED, OTHER = "locked", "access", "damaged", "other"

# sqlite's primary result codes (sqlite3.h); an extended code keeps its primary code in
# the low byte, e.g. SQLITE_READONLY_DIRECTORY = SQLITE_READONLY | (6 << 8).
_PROBLEM_OF_CODE = {
    3: ACCESS,  # SQLITE_PERM
    5: LOCKED,  # SQLITE_BUSY
    6: LOCKED,  # SQLITE_LOCKED
    8: ACCESS,  # SQLITE_READONLY (a read-only file, folder, -wal or -shm)
    11: DAMAGED,  # SQLITE_CORRUPT
    14: ACCESS,  # SQLITE_CANTOPEN
    23: ACCESS,  # SQLITE_AUTH
    26: DAMAGED,  # SQLITE_NOTADB
}


def sqlite_problem(exc: sqlite3.Error) -> str:
    """What a sqlite error says about the file: LOCKED, ACCESS, DAMAGED or OTHER.

    Python 3.11 gives sqlite's own result code; an error without one (raised by the
    sqlite3 module itself) is told by its text.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _PROBLEM_OF_CODE.get(code & 0xFF, OTHER)
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return LOCKED
    if "readonly" in text or "unable to open" in text or "not authorized" in text:
        return ACCESS
    if "malformed" in text or "not a database" in text:
        return DAMAGED
    return OTHER


def _real_file(path: Union[str, Path]) -> Path:
    """The file a database path names, through any links: where sqlite keeps its -wal and
    -shm files, and what is moved when the file is set aside.

    Why: a user who keeps the database on another drive and links it from the data
    folder had its side files looked for beside the link, where sqlite never puts them
    (another database's -wal, the monitor's own -wal left for a restored copy, a damaged
    file's -wal went unseen), and a damaged database set aside moved the link: the
    damaged file stayed on the drive and a new database was made in the data folder."""
    return Path(os.path.realpath(path))


def _side_files(path: Path) -> list[Path]:
    """The files sqlite keeps next to a database while it is in use (WAL mode), beside
    the file a link names (see :func:`_real_file`)."""
    real = _real_file(path)
    return [real.with_name(real.name + suffix) for suffix in ("-wal", "-shm")]


def access_problem(path: Path, exc: sqlite3.Error) -> str:
    """Which file or folder keeps sqlite from using the database at ``path``, in words.

    sqlite only says "unable to open database file" or "attempt to write a readonly
    database"; the user needs to know what to fix: the database, its folder, or a
    ``-wal``/``-shm`` file left behind read-only (say, after the database was made
    writable again). Falls back to sqlite's words when every permission looks right.
    """
    folder = _real_file(path).parent  # where sqlite makes the -wal and -shm files
    if not os.access(folder, os.X_OK):
        return f"permission denied on the folder {folder}"
    problems: list[str] = []
    files = [f for f in (path, *_side_files(path)) if f.exists()]
    for f in files:
        if not os.access(f, os.R_OK):
            problems.append(f"permission denied reading {f}")
        elif not os.access(f, os.W_OK):
            problems.append(f"{f} is read-only")
    if not os.access(folder, os.W_OK):
        problems.append(f"the folder {folder} is read-only")
    return ", ".join(problems) if problems else str(exc)


#: free space under which an I/O error is taken for a full disk: sqlite's -shm file alone
#: takes 32 KiB, and a commit a page or more in the -wal
FULL_DISK_BYTES = 1 << 20


def full_disk(path: Path, exc: sqlite3.Error) -> Optional[str]:
    """What a full disk that ``exc`` came of is, in words ("no space left: 0 KB free in
    FOLDER"), or None when it is not one.

    Why: with no -shm file yet (none is left while no program has the database open)
    sqlite cannot make one on a full disk and says only "disk I/O error"
    (SQLITE_IOERR_SHMSIZE), which every command passed on, readers too: nothing told the
    user to make room. SQLITE_FULL is one; an I/O error is one when the folder's disk has
    almost no room left."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary not in (10, 13):  # SQLITE_IOERR, SQLITE_FULL
        return None
    folder = _real_file(path).parent  # the disk the file and its -wal are on
    try:
        st = os.statvfs(folder)
    except OSError:
        return "no space left" if primary == 13 else None
    # what this user may still write (root may use the blocks kept for it)
    free = (st.f_bfree if os.geteuid() == 0 else st.f_bavail) * st.f_frsize
    if primary == 10 and free >= FULL_DISK_BYTES:
        return None  # a real I/O error: sqlite's words stand
    return f"no space left: {free // 1024} KB free in {folder}"


class DatabaseLocked(UserError):
    """Another program held the database for the whole wait: worth trying again later
    (the coach does, for a "No headache" answer), unlike a refusal or a damaged file."""


def _locked_error(
    path: Path, lock_timeout: float, advice: str = "close it and try again"
) -> UserError:
    """The UserError for a database another program held for the whole wait."""
    return DatabaseLocked(
        f"database {path} is locked by another program (waited {lock_timeout:g} s); {advice}"
    )


def _open_error(path: Path, exc: sqlite3.Error, lock_timeout: float) -> UserError:
    """The UserError for a database that could not be opened or prepared, by cause."""
    problem = sqlite_problem(exc)
    if problem == LOCKED:
        return _locked_error(path, lock_timeout)
    if problem == ACCESS:
        return UserError(f"cannot access the database {path} ({access_problem(path, exc)})")
    full = full_disk(path, exc)
    if full is not None:
        return UserError(f"cannot open database {path} ({full}); make room and try again")
    if problem == DAMAGED:
        # Only `run` sets a damaged database aside by itself (prepare_database); any other
        # command leaves the file as it is, so the message must not promise more. Nor is a
        # new one started at a --db path once the file is moved (only replay and demo make
        # one there): `summary --db notes.txt` said so, and then refused the path as empty.
        what = f"database {path} is damaged or not a posture_guard database ({exc})"
        if not _is_users_database(path):
            return UserError(
                f"{what}; check the path, and keep the file if it is a database of yours (a "
                "recovery tool may still save its data): `replay --db` and `demo --db` start "
                "a new one"
            )
        return UserError(
            f"{what}; move or rename it (keep it: a recovery tool may still save its data) "
            "and a new one is started"
        )
    return UserError(f"cannot open database {path}: {exc}")


class ForeignWal(UserError):
    """The -wal file beside a database is another database's: the database file is sound
    and must not be set aside as damaged (see :func:`foreign_wal`)."""


def foreign_wal(path: Path) -> Optional[Path]:
    """The -wal file beside the posture_guard database at ``path`` when it is not that
    database's own, else None.

    Why: sqlite takes any -wal file beside a database as that database's and lays its
    pages over the file (a -wal copied or restored with another database, or left by one
    that was replaced while nothing had it open). With another database's pages the file
    read as schema version 0 without its tables: the next command made them anew, empty,
    and closing merged the -wal in for good, the posture log and the diary lost without a
    word. A database's own -wal only adds to it: a schema version as high and every table
    and index the file holds (by name: a VACUUM not yet checkpointed moves their root
    pages); one that takes either away is another's. Read
    only (the file alone with ``immutable=1``, then through the -wal); a file that cannot
    be read so is left to the open, which names its trouble."""
    real = _real_file(path)
    wal = _side_files(real)[0]
    try:
        if wal.stat().st_size <= 32:  # a header alone (32 bytes): no page in it
            return None
    except OSError:
        return None
    alone = _schema_of(f"{real.as_uri()}?mode=ro&immutable=1")
    if alone is None or alone[0] == 0:
        return None  # no posture_guard tables in the file: nothing of the record to lose
    through = _schema_of(f"{real.as_uri()}?mode=ro")
    if through is None:
        return None
    if through[0] < alone[0] or not alone[1] <= through[1]:
        return wal
    return None


def emptied_with_wal(path: Path) -> Optional[Path]:
    """The -wal file beside the database at ``path`` when the file is cut to nothing (0
    bytes) and that -wal holds pages, else None.

    Why: sqlite takes a file of 0 bytes for a new database and deletes any -wal beside
    it at the first open, read-only too: a database file cut to nothing (a crash, a copy
    or a sync cut short) lost with it the -wal that held its latest changes, the last
    minutes of posture or more, and every command went on with a new, empty database. No
    database posture_guard writes is ever so (sqlite writes its first page to the file
    before any -wal), so it is taken for damaged, and the -wal is kept. Looked at without
    opening anything."""
    wal = _side_files(path)[0]
    try:
        if _real_file(path).stat().st_size == 0 and wal.stat().st_size > 32:
            return wal  # more than a header: pages in it
    except OSError:
        pass
    return None


def _emptied_error(path: Path, wal: Path) -> UserError:
    """The refusal of a database file cut to nothing with its -wal beside it (see
    :func:`emptied_with_wal`); nothing is opened or changed."""
    what = (
        f"database {path} is damaged: the file is empty (cut to nothing: a crash, or a copy "
        f"cut short?) and its -wal file {wal} holds its latest changes"
    )
    if not _is_users_database(path):
        return UserError(
            f"{what}; check the path, and keep both files (a recovery tool may still save "
            "their data): `replay --db` and `demo --db` start a new one"
        )
    return UserError(
        f"{what}; move or rename both (keep them: a recovery tool may still save their data) "
        "and a new one is started"
    )


def _schema_of(target: str) -> Optional[tuple[int, frozenset[tuple[Any, ...]]]]:
    """(schema version, the names of the tables and indexes) of the database
    the sqlite URI ``target`` opens, or None when it cannot be read."""
    try:
        conn = sqlite3.connect(target, uri=True, timeout=0.1, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        rows = conn.execute("SELECT type, name FROM sqlite_master").fetchall()
        return version, frozenset(rows)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _is_users_database(path: Path) -> bool:
    """Whether ``path`` is the user's own database (which any command that writes makes
    anew when it is not there), not one named with --db."""
    try:
        return Path(path).resolve() == paths.database_file().resolve()
    except (OSError, UserError):
        return False


def _not_ours(path: Path, names: str) -> UserError:
    """The refusal of an SQLite database that posture_guard never wrote (no schema
    version of its own, and tables of another program). Why: `summary --db` given
    another program's database made posture_guard's tables in it, and set it to WAL mode,
    changing a file that is not ours, and then reported that nothing was recorded."""
    what = (
        f"database {path} is not a posture_guard database (it holds another program's "
        f"tables: {names if len(names) <= 80 else names[:77] + '...'}); it was left unchanged"
    )
    if not _is_users_database(path):
        return UserError(f"{what}; check the --db path")
    return UserError(f"{what}; move or rename it and a new one is started")


def _newer_schema(path: Path, version: int) -> str:
    return (
        f"database {path} was written by a newer posture_guard "
        f"(schema version {version}; this version reads up to {SCHEMA_VERSION}); "
        "update posture_guard to use it"
    )


def newer_schema(path: Path) -> Optional[str]:
    """The refusal every command opening the database at ``path`` gives when a newer
    posture_guard wrote it (a schema version beyond :data:`SCHEMA_VERSION`), else None:
    no file, this version's or an older schema, or a file that cannot be read (which the
    commands say themselves).

    Why: `autostart enable` asks it, read only (nothing locked, migrated or made), so
    that a monitor set to start at login where nobody reads its refusal is said not to
    start, as it is for a profile that cannot be used.

    A file cut to nothing beside its -wal is not opened (None: `run` sets both aside
    and starts anew): sqlite deleted that -wal at this open, read only as it is, and
    with it the posture it held (see :func:`emptied_with_wal`)."""
    if not Path(path).is_file() or emptied_with_wal(Path(path)) is not None:
        return None
    try:
        conn = sqlite3.connect(
            f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=1.0, isolation_level=None
        )
    except sqlite3.Error:
        return None
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return _newer_schema(path, version) if version > SCHEMA_VERSION else None


def _tell_user(message: str) -> None:
    """A notice the user must see whatever the command (on stderr), kept in the log too."""
    print(f"posture-guard: {message}", file=sys.stderr)
    log.info("%s", message)


#: seconds a database file overwritten in place is left to settle before it is taken
#: up: a copy still under way would be opened half-written
OVERWRITE_SETTLE_S = 2.0


@dataclass(frozen=True)
class _FileMark:
    """A database file as the connection writing it last left it: its (size, mtime_ns),
    the connection's ``data_version`` (None while it is closed) and the (device, inode)
    of the -wal and -shm files, to tell a file written over from outside sqlite, and the
    side files that are the connection's own."""

    stamp: Optional[tuple[int, int]]
    data_version: Optional[int]
    sides: tuple[Optional[tuple[int, int]], ...]


class Store:
    """One open posture_guard database.

    Open with :meth:`open`; every sqlite error that stems from the file (damaged, locked,
    written by a newer version, unreadable) becomes a :class:`UserError` naming the file.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        lock_timeout: float,
        target: Optional[str] = None,
    ):
        self._conn = conn
        self._closed = False
        self.path = path
        self.lock_timeout = lock_timeout
        #: whether the file was readied (schema read and upgraded, WAL mode) at the open;
        #: False only for one opened with ``lock_later`` while another program held it
        self.prepared = True
        #: the sqlite URI of a read-only connection, or None for the usual read-write one
        self._target = target
        #: (device, inode) of the file the connection writes; see :meth:`_follow_file`
        self._file_id = _file_id(path)
        #: the database file and its -wal and -shm files as this connection last left
        #: them (see :meth:`_overwritten`); None until it has written
        self._mark: Optional[_FileMark] = None
        #: how often a write found the file removed or replaced and opened the new one:
        #: a row id from before names a row of the old file
        self.reopened = 0
        #: :meth:`log_event` adds no event the log holds already (the same moment, kind
        #: and payload): set for a replay finishing the log of a run of it cut short,
        #: whose coach logs again what it did (see :class:`StoreSink`)
        self.events_once = False

    @property
    def read_only(self) -> bool:
        """Whether this store was opened read-only (see :meth:`open`)."""
        return self._target is not None

    def _connect(self) -> sqlite3.Connection:
        if self._target is not None:
            return sqlite3.connect(
                self._target, uri=True, timeout=self.lock_timeout, isolation_level=None
            )
        conn = sqlite3.connect(str(self.path), timeout=self.lock_timeout, isolation_level=None)
        conn.execute(f"PRAGMA synchronous={SYNCHRONOUS}")  # per connection (see _prepare)
        return conn

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        path: Union[str, Path],
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        *,
        create: bool = True,
        read_only: bool = False,
        take_in: bool = True,
        lock_later: bool = False,
    ) -> Store:
        """Open (creating and migrating as needed) the database at ``path``.

        ``lock_timeout`` is how long a write waits for another program holding the
        database before giving up with a UserError.

        ``create=False`` refuses a path with no database ("no database at F") and creates
        nothing: a mistyped ``--db`` of a command that only reads would otherwise make an
        empty database and report that nothing was recorded.

        ``read_only=True`` is for a caller that only reads. The database is still opened
        for writing when it can be (to upgrade its schema and take in the side file of
        spans kept while it was locked), but when the file or its folder cannot be
        written it is opened read-only instead of failing.

        ``take_in=False`` leaves the side file for a later open: for a check that the
        database opens, followed by the open that uses it (the monitor's start waited
        the lock timeout, and said the spans were not in yet, once for each).

        ``lock_later=True`` is for the running monitor's store (each session opens its
        own): a database another program holds for the whole wait is not refused but
        returned not yet readied (:attr:`prepared` False), the side file left; its first
        read or write readies it, or meets the lock as a write would (a DatabaseLocked),
        so the monitor keeps its spans in the side file meanwhile. Why: a lock taken
        between two sessions (after the clock was set, at a plan's midnight) stopped the
        monitor with exit status 2, "refused for good", which the login entry does not
        restart, though a lock is temporary and one met at a flush only sends the
        spans to the side file.
        """
        path = Path(path)
        try:
            found = path.exists()
        except OSError as exc:  # a folder on the way that may not be looked into
            raise UserError(f"cannot access the database {path} ({exc.strerror})") from exc
        if not found and path.is_symlink():
            _refuse_dangling_link(path, create)
        if not found and not create:
            raise UserError(f"no database at {path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create the folder for database {path}: {exc}") from exc
        if path.is_dir():
            raise UserError(f"database path {path} is a folder, not a file")
        if found and not path.is_file():
            # a device or a pipe: `replay --db /dev/null` was told "cannot open database
            # /dev/null: cannot rollback - no transaction is active"
            raise UserError(
                f"database path {path} is a device or other special file, not a file; "
                "give the path of a database file"
            )
        if not found:
            # sqlite would make it 0644 less the umask; its -wal and -shm files take the
            # database's mode, so they come out private too, wherever --db puts them
            try:
                paths.create_private(path)
            except OSError:
                pass  # refused: sqlite3.connect tries too, and its error is reported
        wal = emptied_with_wal(path) if found else None
        if wal is not None:  # before any open: sqlite would delete that -wal
            raise _emptied_error(path, wal)
        wal = foreign_wal(path) if found else None
        if wal is not None:
            raise ForeignWal(
                f"database {path} has another database's -wal file beside it (read with "
                "it, the database would lose its tables, the posture log and diary with "
                f"them); move {wal} away (keep it) and try again"
            )
        conn = None
        try:
            conn = sqlite3.connect(str(path), timeout=lock_timeout, isolation_level=None)
            store = cls(conn, path, lock_timeout)
            try:
                store._prepare()
            except sqlite3.Error as exc:
                if not (lock_later and sqlite_problem(exc) == LOCKED):
                    raise
                store.prepared = False
                log.warning(
                    "%s; posture spans are kept in %s until it can be written",
                    _locked_error(path, lock_timeout),
                    store.pending_path,
                )
                return store  # readied, and the side file taken in, once it is free
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            cannot_write = sqlite_problem(exc) == ACCESS or full_disk(path, exc) is not None
            if read_only and cannot_write and path.is_file():
                return cls._open_read_only(path, lock_timeout, exc)
            raise _open_error(path, exc, lock_timeout) from exc
        except UserError:
            if conn is not None:
                conn.close()
            raise
        if not take_in:
            return store
        try:
            store._import_pending(wait=not read_only)
        except DatabaseLocked:
            # a reader does not wait (a monitor keeps a side file for as long as another
            # program holds the database: `status` took lock_timeout each time), and a
            # command that writes meets the lock itself; the running monitor, or a later
            # open, takes the spans in
            _tell_user(
                f"database {path} is locked by another program; the posture spans kept "
                f"in {store.pending_path} meanwhile are not in it yet"
            )
        except UserError as exc:
            if not read_only:
                store.close()
                raise
            # a reader still gets its answer; the spans wait for a writable open
            _tell_user(f"{exc}; the unsaved posture spans stay in {store.pending_path}")
        return store

    @classmethod
    def _open_read_only(cls, path: Path, lock_timeout: float, why: sqlite3.Error) -> Store:
        """Open a database that cannot be written, for reading only.

        ``mode=ro`` reads a WAL database as long as sqlite can use its ``-shm`` file; in
        a read-only folder without one it cannot, and only ``immutable=1`` (no locking,
        the ``-wal`` file ignored) reads it. That is safe only while no ``-wal`` file
        holds changes not yet in the database; with one, the access problem is reported.
        """
        base = path.resolve().as_uri()
        targets = [f"{base}?mode=ro"]
        wal = _side_files(path)[0]
        if not wal.exists() or wal.stat().st_size == 0:
            targets.append(f"{base}?mode=ro&immutable=1")
        for target in targets:
            conn = None
            try:
                conn = sqlite3.connect(target, uri=True, timeout=lock_timeout, isolation_level=None)
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.Error as exc:
                if conn is not None:
                    conn.close()
                if sqlite_problem(exc) == ACCESS or full_disk(path, exc) is not None:
                    continue  # the next, laxer way may still read it
                raise _open_error(path, exc, lock_timeout) from exc
            if version == SCHEMA_VERSION:
                return cls(conn, path, lock_timeout, target)
            conn.close()
            if version > SCHEMA_VERSION:
                raise UserError(_newer_schema(path, version))
            raise UserError(
                f"cannot access the database {path} ({access_problem(path, why)}); it was "
                "written by an older posture_guard and must be upgraded, which needs it "
                "to be writable"
            )
        raise _open_error(path, why, lock_timeout) from why

    def _prepare(self) -> None:
        conn = self._conn
        # one statement, one snapshot: a posture_guard database being made by another
        # process is either still empty or already at its version
        version, names = conn.execute(
            "SELECT (SELECT user_version FROM pragma_user_version), (SELECT group_concat(name, "
            "', ') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%')"
        ).fetchone()
        if version > SCHEMA_VERSION:
            raise UserError(_newer_schema(self.path, version))
        if version <= 0 and names:
            raise _not_ours(self.path, names)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL syncs the WAL at every commit: with NORMAL a power cut could roll back the
        # last commits (the minutes of posture before it, a diary entry just saved). It
        # costs 1.9-3.5 ms a flush (NORMAL: 0.13-0.17 ms), in an 8-hour day of 5,760
        # flushes 10-20 s of waiting and under 1.2 CPU-s more: negligible beside the
        # loop's 5 s between flushes (python -m benchmarks.bench_sync).
        conn.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
        conn.execute("PRAGMA foreign_keys=ON")
        if version < SCHEMA_VERSION:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # re-read inside the write lock: another process may have migrated already
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                for number in range(version, SCHEMA_VERSION):
                    for statement in _statements(MIGRATIONS[number]):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _ready(self) -> None:
        """Ready a file opened with ``lock_later`` while it was held (see :meth:`open`),
        at its first read or write; a lock that still holds is a DatabaseLocked."""
        if self.prepared:
            return
        conn = self.conn
        try:
            self._prepare()
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise self._user_error(exc) from exc
        self.prepared = True

    def close(self) -> None:
        """Close the connection; a later read or write reopens it (sinks close in order,
        and the coach may still log an event after the store sink has finished)."""
        self._conn.close()
        self._closed = True
        self._mark = None  # closing may have copied the -wal into the file

    @property
    def conn(self) -> sqlite3.Connection:
        if self._closed:
            try:
                self._conn = self._connect()
            except sqlite3.Error as exc:
                raise _open_error(self.path, exc, self.lock_timeout) from exc
            self._closed = False
        return self._conn

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def waiting_at_most(self, seconds: float) -> Iterator[None]:
        """Writes inside wait at most ``seconds`` (never more than ``lock_timeout``) for
        another program's lock: for a try that need not succeed now, as the running
        monitor's retry, whose spans wait in the side file meanwhile."""
        full = self.lock_timeout
        seconds = min(seconds, full)
        self.conn.execute(f"PRAGMA busy_timeout = {round(seconds * 1000)}")
        self.lock_timeout = seconds  # what a lock error says was waited
        try:
            yield
        finally:
            self.lock_timeout = full
            self.conn.execute(f"PRAGMA busy_timeout = {round(full * 1000)}")

    def write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn(conn)`` in one write transaction; lock/damage become UserErrors.

        sqlite itself retries a busy database for ``lock_timeout`` seconds before this
        gives up; on failure nothing of the transaction is kept, so callers can retry.
        """
        self._follow_file()
        self._ready()
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._user_error(exc) from exc
        try:
            result = fn(conn)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise self._user_error(exc) from exc
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._mark = self._file_mark()  # a commit may have copied the -wal into the file
        return result

    def _follow_file(self) -> None:
        """Open the database anew (created if none) when the file at :attr:`path` is no
        longer the one the connection writes: removed (to start afresh) or replaced (a
        backup restored) while the monitor ran. Why: sqlite went on writing the removed
        file, which nothing can open, so the rest of the day's posture was lost without a
        word and `status` and the report showed none of it. So too when the file was
        overwritten in place (``cp backup posture.db``, see :meth:`_overwritten`). A new
        file that cannot be opened is a UserError (the monitor keeps its spans in the
        side file meanwhile)."""
        if self.read_only or self._file_id is None:
            return
        in_place = _file_id(self.path) == self._file_id
        if in_place and not self._overwritten():
            return
        self._let_go_of_old_file(in_place)
        fresh = Store.open(self.path, self.lock_timeout)
        log.warning(
            "database %s was %s while in use; what follows is logged in the file now there",
            self.path,
            "overwritten (a copy restored?)" if in_place else "removed or replaced",
        )
        self._conn, self._closed, self._file_id = fresh._conn, False, fresh._file_id
        self._mark = fresh._mark
        self.reopened += 1

    def _file_mark(self) -> _FileMark:
        """The database file and its -wal and -shm files as they are now (see
        :class:`_FileMark`)."""
        try:
            st = os.stat(self.path)
            stamp: Optional[tuple[int, int]] = (st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = None
        version = None
        if not self._closed:
            try:
                version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:
                pass
        sides = tuple(_file_id(side) for side in _side_files(self.path))
        return _FileMark(stamp, version, sides)

    def _overwritten(self) -> bool:
        """Whether the database file was written over in place (``cp backup posture.db``)
        since this connection last wrote. In WAL mode only a checkpoint writes the file,
        and one by another program follows a commit of its own, which this connection
        sees as a new ``data_version``: a file changed with none came from outside sqlite.

        A file written less than :data:`OVERWRITE_SETTLE_S` ago may be a copy still under
        way: the write is refused for now (a UserError; the monitor keeps its spans in the
        side file meanwhile) and tried again at the next flush."""
        mark = self._mark
        if mark is None or mark.data_version is None or self._closed:
            return False
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns) == mark.stamp:
            return False
        try:
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return False
        if version != mark.data_version:  # another program's commit, and its checkpoint
            self._mark = self._file_mark()
            return False
        if time.time() - st.st_mtime < OVERWRITE_SETTLE_S:
            raise UserError(
                f"database {self.path} is being overwritten (a copy restored?); it is "
                "taken up once the copy is done"
            )
        return True

    def _let_go_of_old_file(self, in_place: bool) -> None:
        """Close the connection to the file it wrote and remove its -wal and -shm files,
        which hold its latest pages, before the file now at the path is opened.

        Why: sqlite takes a -wal file beside a database as that database's, so the new
        connection laid the old file's latest pages over the restored one, and the
        database could no longer be read ("database disk image is malformed"). A file
        overwritten in place is moved aside while the connection closes, since closing
        copies the -wal file into the file at the path; -wal and -shm files that are not
        this connection's (restored with the database) are left as they are."""
        aside = None
        real = _real_file(self.path)  # the file itself, not a link to it
        if in_place:
            aside = _free_name(real.with_name(f"{real.name}.restored"))
            try:
                os.replace(real, aside)
            except OSError as exc:
                raise UserError(
                    f"database {self.path} was overwritten while in use and cannot be "
                    f"taken up: {exc.strerror or exc}"
                ) from exc
        try:
            if not self._closed:
                self._conn.close()
                self._closed = True
            mine = self._mark.sides if self._mark is not None else ()
            for side, ident in zip(_side_files(self.path), mine):
                if ident is not None and ident != (-1, -1) and _file_id(side) == ident:
                    with contextlib.suppress(FileNotFoundError):
                        side.unlink()
        finally:
            if aside is not None:
                os.replace(aside, real)

    def _user_error(self, exc: sqlite3.Error, doing: str = "written") -> UserError:
        problem = sqlite_problem(exc)
        if problem == LOCKED:
            return _locked_error(self.path, self.lock_timeout)
        if problem == DAMAGED:
            # damage inside a file that opened is found by the query that reads it: the
            # user needs what a file that does not open is told, what to do with it
            return _open_error(self.path, exc, self.lock_timeout)
        if problem == ACCESS:
            why = access_problem(self.path, exc)
            return UserError(f"database {self.path} could not be {doing} ({why})")
        full = full_disk(self.path, exc)
        if full is not None:
            return UserError(
                f"database {self.path} could not be {doing} ({full}); make room and try again"
            )
        return UserError(f"database {self.path} could not be {doing}: {exc}")

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query; a damaged file becomes a UserError naming the database."""
        self._ready()
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._user_error(exc, "read") from exc

    def add_spans(self, spans: Sequence[Span]) -> None:
        """Insert finished spans in one transaction (import, tests, the sink's flush)."""
        self.write(lambda conn: [_insert_span(conn, s) for s in spans])

    def log_event(self, kind: str, at: When, payload: Optional[dict[str, Any]] = None) -> int:
        """Record a coach event now (events are rare, so each one is committed at once).

        ``kind`` is a short name such as ``alert``, ``break_taken`` or ``snooze``;
        ``payload`` any JSON-serializable details. Returns the event's row id.
        """
        if not isinstance(kind, str) or not kind.strip():
            raise UserError(f"event kind must be a non-empty name, not {kind!r}")
        try:
            text = json.dumps(payload or {}, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise UserError(f"event {kind!r} payload is not plain JSON: {exc}") from exc
        ts = to_timestamp(at)
        row = (ts, kind.strip(), text)

        def insert(conn: sqlite3.Connection) -> Any:
            if self.events_once:
                sql = "SELECT id FROM events WHERE at = ? AND kind = ? AND payload = ? LIMIT 1"
                found = conn.execute(sql, row).fetchone()
                if found is not None:
                    return found[0]
            return conn.execute(
                "INSERT INTO events(at, kind, payload) VALUES (?, ?, ?)", row
            ).lastrowid

        return int(self.write(insert))

    # ------------------------------------------------------------------ reading
    def spans(self, start: When, end: When) -> list[Span]:
        """Spans overlapping [start, end), in time order (not clipped)."""
        t0, t1 = to_timestamp(start), to_timestamp(end)
        rows = self.read(
            "SELECT state, start, end, profile, samples, metrics, source, cut_off FROM spans "
            "WHERE start < ? AND end > ? ORDER BY start",
            (t1, t0),
        )
        return [
            Span(PostureState(r[0]), r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7])
            for r in rows
        ]

    def span_tuples(
        self, start: When, end: When, profile: Optional[str] = None
    ) -> list[tuple[str, float, float]]:
        """(state, start, end) of spans overlapping [start, end), only those judged
        against ``profile`` when it is given: the fast path for summaries."""
        t0, t1 = to_timestamp(start), to_timestamp(end)
        where, args = "start < ? AND end > ?", (t1, t0)
        if profile is not None:
            where, args = where + " AND profile = ?", (*args, profile)
        sql = f"SELECT state, start, end FROM spans WHERE {where} ORDER BY start, id"
        return self.read(sql, args)

    def cut_off_tuples(self, start: When, end: When) -> list[tuple[float, float, float, bool]]:
        """(start, end, seconds cut off, read absent) of the spans overlapping [start, end),
        in the order of :meth:`span_tuples`. While a posture was held, time cut off by the
        frame edge is desk time not seen; in a span read absent, someone cut off for longer
        than the decision holds a state (sat down too close to be measured, or leaned in
        past the hold), which is not desk time. Spans with nothing cut off come too: time
        logged twice is counted once, left to the earlier span, whether or not that one
        was cut off (see :func:`~posture_guard.summary.counted_once`)."""
        t0, t1 = to_timestamp(start), to_timestamp(end)
        rows = self.read(
            "SELECT start, end, cut_off, state = ? FROM spans "
            "WHERE start < ? AND end > ? ORDER BY start, id",
            (PostureState.ABSENT.value, t1, t0),
        )
        return [(s, e, cut, bool(absent)) for s, e, cut, absent in rows]

    def events(self, start: When, end: When, kinds: Optional[Sequence[str]] = None) -> list[Event]:
        t0, t1 = to_timestamp(start), to_timestamp(end)
        rows = self.read(
            "SELECT at, kind, payload FROM events WHERE at >= ? AND at < ? ORDER BY at, id",
            (t0, t1),
        )
        out = [Event(r[0], r[1], json.loads(r[2])) for r in rows]
        if kinds is not None:
            out = [e for e in out if e.kind in kinds]
        return out

    # ------------------------------------------------------------------ pending file
    @property
    def pending_path(self) -> Path:
        """The side file: beside the file the database path names, through any links.

        Why: with the database kept on another drive and linked from the data folder, the
        spans went into a file beside the link, away from the data, where an open of the
        file itself (`--db` the drive's path) never looked: it reported them missing."""
        real = _real_file(self.path) if self.path.is_symlink() else self.path
        return real.with_name(real.name + PENDING_SUFFIX)

    def _pending_paths(self) -> list[Path]:
        """Every side file to take in: :attr:`pending_path`, and one an older version
        left beside the link the database path is, if it is one."""
        beside_link = self.path.with_name(self.path.name + PENDING_SUFFIX)
        here = self.pending_path
        if beside_link == here or not (beside_link.exists() or beside_link.is_symlink()):
            return [here]
        return [here, beside_link]

    def waiting_spans(self) -> list[Span]:
        """The spans the side file holds (see :meth:`save_pending`): time logged while
        another program held the database, not in it yet. A side file that cannot be
        read is taken as holding none (the open that takes it in names its trouble)."""
        spans: list[Span] = []
        for pending in self._pending_paths():
            try:
                spans.extend(parse_pending(pending.read_bytes())[0])
            except OSError:
                pass  # no side file (the usual case), or one that cannot be read
        return spans

    def has_pending(self) -> bool:
        """Whether a side file waits to be taken in (see :meth:`_pending_paths`)."""
        return any(p.exists() or p.is_symlink() for p in self._pending_paths())

    def save_pending(self, spans: Sequence[Span]) -> Path:
        """Append spans that could not be committed to the side file, read on next open.

        The lines reach the disk (fsync, and the folder's too when the file is new)
        before this returns: the monitor sets spans aside here at each flush the
        database refuses, so a kill or a power cut while another program holds the
        database loses no more than a normal flush would.
        The side file's lock keeps another process (a ``diary`` or ``done`` opening the
        database) from taking the file in while lines are added; a file taken in and
        removed meanwhile is started anew. On failure nothing is added (the file is cut
        back) and a UserError says why: the caller still holds the spans.
        """
        pending = self.pending_path
        text = "".join(json.dumps(_span_to_json(s)) + "\n" for s in spans).encode("utf-8")
        try:
            while True:
                with open(pending, "ab", opener=paths.private_opener) as fh:
                    _lock_file(fh)
                    if not _still_at(fh, pending):
                        continue  # taken in and removed while we waited: a new file
                    size = os.fstat(fh.fileno()).st_size
                    try:
                        fh.write(text)
                        fh.flush()
                        os.fsync(fh.fileno())
                    except OSError:
                        fh.truncate(size)  # no half line for the next import to trip on
                        raise
                    if size == 0:  # new here: its name must outlast a power cut too
                        paths.sync_folder(pending.parent)
                    return pending
        except OSError as exc:
            raise UserError(
                f"cannot keep posture spans in {pending} ({exc.strerror or exc})"
            ) from exc

    def _import_pending(self, wait: bool = True) -> int:
        """Add the spans of the side file to the database, then remove the file; return
        how many were added. ``wait=False``: a database another program holds is not
        waited for (DatabaseLocked at once).

        The transaction that adds the spans also records what of the file they came
        from (:func:`_mark_taken_in`): a process killed (or a power cut) after its commit
        and before the file is gone leaves the file behind, and the next import skips
        the part already in, taking only lines a monitor added since. Before, those
        spans were added again and their time counted twice.

        A side file that cannot be read, or has lines that are not spans, must not stop
        the app from opening its database: the good spans are added, the file is set
        aside as ``NAME.damaged-<time>`` (kept, as the user's own record) and the user
        is told. A read-only store leaves the file for a later, writable open.

        The file is read and removed under its lock (taken once the database's write
        lock is held, so a monitor adding lines never waits on another program's
        database lock): lines a running monitor adds at that moment go into the
        database or into a new side file, never into a file being removed.

        A side file an older version left beside a link to the database is taken in too.
        """
        return sum(self._import_pending_file(p, wait) for p in self._pending_paths())

    def _import_pending_file(self, pending: Path, wait: bool) -> int:
        """:meth:`_import_pending` of the side file ``pending``."""
        if self.read_only or not (pending.exists() or pending.is_symlink()):
            return 0
        if not pending.is_file():
            self._set_pending_aside(pending, "it is not a file")
            return 0
        with contextlib.ExitStack() as held:

            def take_in(conn: sqlite3.Connection) -> Optional[tuple[list[Span], str]]:
                try:
                    fh = held.enter_context(open(pending, "rb"))
                except FileNotFoundError:
                    return None  # another process took it in meanwhile
                _lock_file(fh)
                if not _still_at(fh, pending):
                    return None
                data = fh.read()
                done = _taken_in_already(conn, data)
                spans, bad = parse_pending(data[done:])
                if done and not bad:
                    _, bad = parse_pending(data[:done])  # still damaged: set it aside
                for s in _join_parts(spans):
                    _insert_span(conn, s)
                if len(data) > done:
                    _mark_taken_in(conn, data)
                return spans, bad

            try:
                with self.waiting_at_most(self.lock_timeout if wait else 0.0):
                    found = self.write(take_in)
            except OSError as exc:
                _tell_user(
                    f"cannot read the unsaved posture spans in {pending} "
                    f"({exc.strerror or exc}); they stay there for the next time"
                )
                return 0
            if found is None:
                return 0
            spans, bad = found
            if bad:
                self._set_pending_aside(pending, f"{bad}; the good spans ({len(spans)}) were added")
                return len(spans)
            try:
                pending.unlink()
            except OSError as exc:
                with contextlib.suppress(OSError):
                    # emptied, its spans are not added again (the running monitor takes
                    # the file in every time the database frees up)
                    os.truncate(pending, 0)
                    return len(spans)
                raise UserError(
                    f"the posture spans in {pending} were added to database {self.path}, "
                    f"but the file could not be removed ({exc.strerror or exc}); remove "
                    "it, or they will be added again"
                ) from exc
        return len(spans)

    def _set_pending_aside(self, pending: Path, why: str) -> None:
        target = _damaged_name(pending)
        try:
            pending.rename(target)
        except OSError as exc:
            raise UserError(
                f"the side file of unsaved posture spans {pending} is damaged ({why}) and "
                f"cannot be moved aside ({exc.strerror or exc}); move it away by hand"
            ) from exc
        _tell_user(
            f"the side file of unsaved posture spans {pending} was damaged ({why}); "
            f"it is kept as {target}"
        )


def _taken_in_already(conn: sqlite3.Connection, data: bytes) -> int:
    """How many bytes at the start of the side file's ``data`` the database already
    holds: the length of the file last taken in if ``data`` begins with those very bytes
    (its removal did not happen: a crash right after the commit), else 0.

    A new side file cannot begin with the same bytes unless it holds the same spans:
    each line carries its times to the microsecond."""
    row = conn.execute("SELECT length, sha256 FROM taken_in WHERE id = 1").fetchone()
    if row is None:
        return 0
    length, digest = int(row[0]), str(row[1])
    if 0 < length <= len(data) and hashlib.sha256(data[:length]).hexdigest() == digest:
        return length
    return 0


def _mark_taken_in(conn: sqlite3.Connection, data: bytes) -> None:
    """Record, in the transaction that adds its spans, that the side file's ``data`` is
    in the database (see :func:`_taken_in_already`)."""
    conn.execute(
        "INSERT OR REPLACE INTO taken_in(id, length, sha256, at) VALUES (1, ?, ?, ?)",
        (len(data), hashlib.sha256(data).hexdigest(), time.time()),
    )


def _join_parts(spans: Sequence[Span]) -> list[Span]:
    """The side file's spans with the parts of one span joined again.

    A span the database refused for a while was set aside in parts, one per due commit
    (each ends where the next begins); joined, the database gets one row for it, as if
    the lock had never been."""
    out: list[Span] = []
    for s in spans:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.end == s.start
            and (prev.state, prev.profile, prev.source) == (s.state, s.profile, s.source)
        ):
            out[-1] = replace(
                prev,
                end=s.end,
                samples=prev.samples + s.samples,
                metrics=s.metrics,  # the medians of the span up to its later part
                cut_off=round(prev.cut_off + s.cut_off, 3),
            )
        else:
            out.append(s)
    return out


def _lock_file(fh: IO[bytes]) -> None:
    """Hold the side file's lock until ``fh`` is closed (waiting for another holder).

    An OS lock (``flock``) dies with its process, so a monitor killed while it held it
    blocks no one. Windows has no ``flock``: there the file is not locked.
    """
    try:
        import fcntl
    except ImportError:  # Windows
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)


def _still_at(fh: IO[bytes], path: Path) -> bool:
    """Whether the open file ``fh`` is still the file at ``path``: not taken in and
    removed (or set aside) by another process while this one waited for its lock."""
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fh.fileno())
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)


def parse_pending(data: bytes) -> tuple[list[Span], str]:
    """The spans in a side file's bytes, and what was wrong with it ("" if nothing).

    Any line that is not a span (not UTF-8 text, not JSON, a field missing or out of
    range) makes the file count as damaged, even a last line cut short by a crash while
    saving: the good spans are taken all the same, and the caller keeps the file.
    """
    spans: list[Span] = []
    bad: list[int] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            spans.append(_span_from_json(json.loads(raw.decode("utf-8"))))
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
            bad.append(number)  # UnicodeDecodeError and JSONDecodeError are ValueErrors
    if not bad:
        return spans, ""
    shown = ", ".join(str(n) for n in bad[:5]) + (", ..." if len(bad) > 5 else "")
    if len(bad) == 1:
        return spans, f"line {shown} is not a posture span"
    return spans, f"lines {shown} are not posture spans"


def _file_id(path: Path) -> Optional[tuple[int, int]]:
    """(device, inode) of the file at ``path``, or None when there is none (or it cannot
    be looked at: then nothing is known to have changed)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (-1, -1)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _damaged_name(path: Path, now: Optional[datetime] = None) -> Path:
    """Where a damaged file is kept: ``NAME.damaged-YYYYmmddTHHMMSS`` (``-1``, ``-2``, ...
    if that is taken), beside it."""
    stamp = (now or datetime.now()).strftime("%Y%m%dT%H%M%S")
    return _free_name(path.with_name(f"{path.name}.damaged-{stamp}"))


def _free_name(target: Path) -> Path:
    """``target``, or ``target-1``, ``target-2``, ... whichever does not exist yet."""
    candidate, n = target, 1
    while candidate.exists() or candidate.is_symlink():
        candidate = target.with_name(f"{target.name}-{n}")
        n += 1
    return candidate


def open_for_reading(db: Optional[Union[str, Path]]) -> Store:
    """The database of a command that only reads (summary, report, headache list).

    A ``--db`` that names no database is refused: a typo must not make an empty
    database and report "nothing recorded". The user's own database is created when it
    is not there yet, so that a fresh user's first summary says nothing was monitored.
    Either is opened read-only when it cannot be written (see :meth:`Store.open`).
    """
    if db:
        _refuse_missing_db(db)
        return Store.open(db, create=False, read_only=True)
    return Store.open(paths.database_file(), read_only=True)


def open_for_adding(db: Optional[Union[str, Path]]) -> Store:
    """The database of a command that adds to the user's record (headache add/edit/
    delete, checkin, done).

    A ``--db`` that names no database is refused, as for a reader: a mistyped path made
    a new database there (folders and all) and the entry went where no summary or report
    would ever look. The user's own database is created when it is not there yet, so a
    fresh user's first ``headache add`` works before the monitor has ever run. Only the
    commands that log posture (``run``, ``replay --db``, ``demo --db``) start a new
    database at a ``--db`` path.
    """
    if db:
        _refuse_missing_db(db)
        return Store.open(db, create=False)
    return Store.open(paths.database_file())


def _refuse_dangling_link(path: Path, create: bool) -> None:
    """The one-line refusal of a database path that is a link to nothing: the database
    kept on a drive not mounted now, or in a folder since moved.

    Why: sqlite said only "unable to open database file", and `status` "nothing logged
    yet", while the record was whole where the link points. A link into a folder that
    is there still makes the user's own database there when first needed."""
    try:
        target = os.readlink(path)
    except OSError:
        return  # no longer a link: the open names what it finds
    folder = Path(os.path.realpath(path)).parent
    if create and folder.is_dir():
        return
    raise UserError(
        f"database {path} is a link to {target}, which is not there (a drive not mounted, "
        "or a folder moved?); mount or restore it, or mend the link"
    )


def _refuse_missing_db(db: Union[str, Path]) -> None:
    """The one-line refusal of a ``--db`` with no file: what is wrong and how one is made."""
    try:
        found = Path(db).exists() or Path(db).is_symlink()  # Store.open names a link's
    except OSError:
        return  # Store.open names the folder that may not be looked into
    if not found:
        raise UserError(
            f"--db {db}: no posture_guard database is there (check the path; "
            "`replay --db` or `demo --db` make one, and without --db your own is used)"
        )


def _statements(script: str) -> Iterator[str]:
    for part in script.split(";"):
        if part.strip():
            yield part


def _insert_span(conn: sqlite3.Connection, s: Span) -> int:
    cur = conn.execute(
        "INSERT INTO spans(profile, state, start, end, samples, metrics, source, cut_off) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            s.profile,
            s.state.value,
            s.start,
            s.end,
            s.samples,
            json.dumps(s.metrics, sort_keys=True),
            s.source,
            s.cut_off,
        ),
    )
    return int(cur.lastrowid)


def _span_to_json(s: Span) -> dict[str, Any]:
    return {
        "state": s.state.value,
        "start": s.start,
        "end": s.end,
        "profile": s.profile,
        "samples": s.samples,
        "metrics": s.metrics,
        "source": s.source,
        "cut_off": s.cut_off,
    }


def _span_from_json(obj: dict[str, Any]) -> Span:
    """The span a side-file line holds; ValueError (or KeyError, TypeError) if it is none.

    The checks are what the spans table needs: sqlite would refuse a NaN start (it
    stores NaN as NULL) and that one line would keep the whole file out forever.
    """
    span = Span(
        PostureState(obj["state"]),
        float(obj["start"]),
        float(obj["end"]),
        str(obj["profile"]),
        int(obj["samples"]),
        {str(k): float(v) for k, v in dict(obj["metrics"]).items()},
        str(obj.get("source", "")),
        float(obj.get("cut_off", 0.0)),  # a side file written before the column existed
    )
    numbers = (span.start, span.end, span.cut_off, *span.metrics.values())
    if not all(math.isfinite(x) for x in numbers) or span.end < span.start:
        raise ValueError("not a finite time span")
    return span


def quarantine_damaged(path: Union[str, Path], now: Optional[datetime] = None) -> Path:
    """Move a damaged database (and its -wal/-shm files) aside; return where it went.

    Nothing is deleted: the file is renamed to ``NAME.damaged-YYYYmmddTHHMMSS`` so the
    user (or a recovery tool) still has it, and the next open starts a fresh database.
    Its -wal file, which may hold its latest changes, becomes ``NAME.damaged-...-wal``
    (see :func:`kept_wal`).
    A path that is a link stays one: the file it names is moved, beside itself, and the
    new database is made there, through the link.
    """
    path = _real_file(path)
    target = _damaged_name(path, now)
    try:
        shutil.move(str(path), str(target))
        for extra, kept in zip(_side_files(path), _side_files(target)):
            if extra.exists():
                shutil.move(str(extra), str(kept))
    except OSError as exc:
        raise UserError(f"cannot move damaged database {path} aside: {exc}") from exc
    return target


def kept_wal(moved: Path) -> Optional[Path]:
    """The -wal file kept beside a database set aside at ``moved`` when it holds pages
    (changes not in the file itself), else None: what the user is told is kept with it."""
    wal = moved.with_name(moved.name + "-wal")
    try:
        return wal if wal.stat().st_size > 32 else None
    except OSError:
        return None


# ---------------------------------------------------------------------- the sink
#: Seconds between frames at the monitor's slowest rate (the sampler's steady interval): the
#: time the last decision before a gap stands for.
SLOWEST_INTERVAL = SamplingPolicy().steady
#: Decisions further apart than this mean the time between was not monitored (the
#: monitor samples every 0.5-3.5 s): a span ends there (see :class:`StoreSink`). The
#: decision's own rule for such a pause (its cut-off graces count watched time only).
MAX_GAP = Smoothing().max_gap
MEDIAN_CAP = 4096  # metric values kept per span for its medians (thinned beyond that)


class _MedianAcc:
    """Keeps a bounded, evenly thinned sample of values so a long span's median is cheap."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self._stride = 1
        self._seen = 0

    def add(self, value: float) -> None:
        if self._seen % self._stride == 0 and math.isfinite(value):
            self.values.append(value)
            if len(self.values) >= MEDIAN_CAP:
                self.values = self.values[::2]
                self._stride *= 2
        self._seen += 1

    def median(self) -> Optional[float]:
        if not self.values:
            return None
        ordered = sorted(self.values)
        mid = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[mid]
        return (ordered[mid - 1] + ordered[mid]) / 2


@dataclass
class _OpenSpan:
    state: PostureState
    start: float  # stream time
    last: float  # stream time of the latest decision in it
    samples: int = 0
    metrics: dict[str, _MedianAcc] = field(default_factory=dict)
    cut_off: float = 0.0  # seconds of it in which the frame edge cut the user off
    last_cut_off: bool = False  # ... and whether the latest decision was one of them
    # What of it is kept so far, as a mark (stream time, cut-off seconds and samples up
    # to there): the part before ``head`` is in the side file (the database was locked),
    # and the database row ``row_id``, once written, holds the part from ``head`` to
    # ``written``.
    head: Optional[tuple[float, float, int]] = None  # None: from its start
    row_id: Optional[int] = None
    written: Optional[tuple[float, float, int]] = None

    def add(self, decision: Decision) -> None:
        self.extend_to(decision.t)
        self.samples += 1
        self.last = decision.t
        self.last_cut_off = decision.cut_off
        for key, value in decision.metrics.items():
            self.metrics.setdefault(key, _MedianAcc()).add(float(value))

    def extend_to(self, t: float) -> None:
        """Credit the time from the latest decision to ``t`` as that decision saw it: a
        decision's state (and whether it was cut off) stands until the next one."""
        if self.samples and self.last_cut_off and t > self.last:
            self.cut_off += t - self.last

    def mark(self) -> tuple[float, float, int]:
        """Where it stands now: its latest decision, with the cut-off seconds and samples
        up to there."""
        return (self.last, self.cut_off, self.samples)

    def medians(self) -> dict[str, float]:
        out = {}
        for key, acc in self.metrics.items():
            m = acc.median()
            if m is not None:
                out[key] = round(m, 6)
        return out


class StoreSink:
    """Merges decisions into spans and logs them, committing at least every 10 s.

    A span ends when the state changes (at the new decision's time, so spans tile the
    monitored time) or when decisions stop for longer than ``max_gap`` seconds (the
    monitor samples every 0.5-3.5 s, so a gap that long means it was not monitoring); then
    the span ends ``SLOWEST_INTERVAL`` after its last decision and the gap stays unlogged.

    If the database cannot be written when a commit is due (another program holds it
    locked, say), the spans not yet in it go to the side file next to the database at
    once, and so at each commit due after that, so a ``kill -9`` meanwhile loses no more
    than it would with the database free. A span that goes on is continued in a row of
    its own after the part set aside (the summaries join touching spans). Every
    ``commit_every`` seconds of wall time the sink tries the database again, waiting
    only ``RETRY_LOCK_TIMEOUT`` for the lock (the loop reads no frames while it waits),
    and takes the side file in itself when the lock has gone; at ``close`` it tries once
    more, waiting the whole lock timeout, and if the database is still held a KeptAside
    says where the spans are kept (they are added the next time the database opens), so
    no recorded posture is lost.

    A session logs no time that is logged already. A live session's times are its start
    plus a clock that never jumps, but when the wall clock is set back (NTP correcting a
    clock that ran fast, or the user) the monitor starts a new session at the new time, before
    the end of what the last one logged: that time was logged twice, and the day's
    summary counted more monitored time than its clock hours hold. So a live session
    leaves out the time that spans already stored (or kept aside) cover: a span ends
    where such time begins, and the decisions inside it log nothing. (A replay's time is
    checked before it starts: only one finishing the log of a run of it cut short, a
    kill -9 or Ctrl-C, goes through time logged already, and leaves it out so.)
    """

    def __init__(
        self,
        store: Store,
        session: SessionInfo,
        commit_every: float = 10.0,
        max_gap: float = MAX_GAP,
        wall_clock: Callable[[], float] = time.monotonic,
        own_store: bool = False,
    ):
        self.store = store
        self.own_store = own_store
        self.session = session
        self.commit_every = commit_every
        self.max_gap = max_gap
        self._wall = wall_clock
        self._t0 = session.start.timestamp()
        self._open: Optional[_OpenSpan] = None
        self._done: list[_OpenSpan] = []  # closed spans not yet committed
        self._last_commit_t: Optional[float] = None
        self._last_commit_wall = wall_clock()
        self.commits = 0
        self.spans_written = 0
        self.last_error: Optional[UserError] = None
        self._failing = False  # the database refused: spans go to the side file
        self._reopened = store.reopened  # the store's file the row ids are of
        self._tried_wall = self._last_commit_wall  # when the database was last tried
        if store.has_pending() or not store.prepared:
            # left by an earlier session and not taken in at the open, or a store not
            # readied (the database was held): the first commit tries it, waiting no
            # longer than a retry, and takes the side file in
            self._failing, self._tried_wall = True, float("-inf")
        self.set_aside = 0  # spans put in the side file since the database last took any
        self._warned = 0
        self._retry_wait = RETRY_LOCK_TIMEOUT  # the last try, at close, waits it all
        #: the time (POSIX seconds, merged, in order) logged already after this
        #: session's start, which it leaves out (see the class); empty but for a clock
        #: set back, or a replay finishing the log of a run of it cut short
        self._logged = self._logged_after_start()
        if self._logged and not session.live:
            # a replay finishing the log of a run of it cut short (the only one let go
            # through time logged already): its coach does again what it did then, and
            # logged its prompts twice, those after that run's last commit too
            store.events_once = True
        #: the latest decision left out as inside time logged already, with the moment
        #: (POSIX seconds) that time ends: its state holds past there, up to the next
        #: decision
        self._held: Optional[tuple[Decision, float]] = None

    def _logged_after_start(self) -> list[tuple[float, float]]:
        """The time spans already stored or kept aside cover after the session's start.
        A database that cannot be read now is taken as holding none: the first commit
        meets its trouble anyway."""
        found: list[tuple[float, float]] = []
        # a database held at the open is not waited for again (the loop has frames to read)
        wait = self.store.lock_timeout if self.store.prepared else RETRY_LOCK_TIMEOUT
        try:
            with self.store.waiting_at_most(wait):
                rows = self.store.read(
                    "SELECT start, end FROM spans WHERE end > ? ORDER BY start", (self._t0,)
                )
            found.extend((float(a), float(b)) for a, b in rows)
        except UserError:
            pass
        found.extend((s.start, s.end) for s in self.store.waiting_spans() if s.end > self._t0)
        merged: list[tuple[float, float]] = []
        for a, b in sorted(found):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            elif b > a:
                merged.append((a, b))
        return merged

    def _logged_already(self, t: float) -> bool:
        """Whether stream time ``t`` lies in time logged already. The open span is
        closed where such time begins, if it runs into it."""
        logged, cur, at = self._logged, self._open, self._t0 + t
        if cur is not None:
            while logged and logged[0][1] <= self._t0 + cur.last:
                logged.pop(0)  # behind the open span
            if logged and logged[0][0] <= at:
                self._close_open(logged[0][0] - self._t0)
        while logged and logged[0][1] <= at:
            logged.pop(0)  # behind t
        return bool(logged) and logged[0][0] <= at

    def _take_up_held(self, t: float, closing: bool = False) -> None:
        """Log the state of the decision left out last (:attr:`_held`) from where the
        time logged already ends to stream time ``t`` (the next decision, or the end).

        Why: a decision inside time logged already logs nothing, and its state holds
        until the next one; when that time ended in between, the log went on only from
        the next decision, and the step before it (up to 3.5 s; up to the slowest
        sampling interval after a gap) was lost though nothing had logged it. A clock
        set back lost it at the end of the time it went through again."""
        held, self._held = self._held, None
        if held is None:
            return
        decision, free_at = held
        until = t if t - decision.t <= self.max_gap else decision.t + SLOWEST_INTERVAL
        if self._t0 + until <= free_at + 1e-6:
            return  # the next decision is still inside that time, or the state ended first
        while self._logged and self._logged[0][1] <= free_at:
            self._logged.pop(0)  # the time it lay in
        free_from = free_at - self._t0
        cur = self._open = _OpenSpan(decision.state, free_from, free_from)
        cur.add(replace(decision, t=free_from))
        if until < t or closing:
            self._close_open(until)

    def on_decision(self, decision: Decision) -> None:
        t = decision.t
        if self._last_commit_t is None:
            self._last_commit_t = t
        if self._held is not None:
            self._take_up_held(t)
        if self._logged and self._logged_already(t):
            self._held = (decision, self._logged[0][1])
        else:
            cur = self._open
            if cur is not None and t - cur.last > self.max_gap:
                self._close_open(cur.last + SLOWEST_INTERVAL)
                cur = None
            if cur is not None and cur.state != decision.state:
                self._close_open(t)
                cur = None
            if cur is None:
                cur = self._open = _OpenSpan(decision.state, t, t)
            cur.add(decision)
        waited = self._wall() - self._last_commit_wall >= self.commit_every
        if waited or t - self._last_commit_t >= self.commit_every:
            try:
                self.flush(t)
            except UserError as exc:
                # neither the database nor the side file took the spans: they stay
                # buffered, and the next due commit tries both again
                self.last_error = exc
                if self._warned < 2:
                    log.warning("%s; posture spans stay buffered and will be retried", exc)
                    self._warned += 1

    def _close_open(self, end: float) -> None:
        cur = self._open
        assert cur is not None
        if self._logged:  # not into time logged already (the next such is first)
            end = max(min(end, self._logged[0][0] - self._t0), cur.last)
        cur.extend_to(end)
        cur.last = max(cur.last, end)
        self._done.append(cur)
        self._open = None

    def _piece(self, s: _OpenSpan, since: Optional[tuple[float, float, int]]) -> Span:
        """The part of ``s`` from the mark ``since`` (None: its start) to its latest
        decision, as a span."""
        start, cut_before, samples_before = since or (s.start, 0.0, 0)
        return Span(
            state=s.state,
            start=self._t0 + start,
            end=self._t0 + max(s.last, start),
            profile=self.session.profile,
            samples=max(s.samples - samples_before, 0),
            metrics=s.medians(),
            source=self.session.source,
            cut_off=round(min(s.cut_off - cut_before, max(s.last - start, 0.0)), 3),
        )

    @property
    def buffered(self) -> int:
        """Closed spans waiting for a commit."""
        return len(self._done)

    def flush(self, t_now: Optional[float] = None) -> None:
        """Commit closed spans and write (or update) the open one.

        When the database refuses, the spans not in it go to the side file instead (see
        the class); a UserError only when that cannot be written either: then every
        span is kept here for the next try.
        """
        try:
            if not self._failing:
                try:
                    self._commit()
                    return
                except UserError as exc:
                    self._refused(exc)
            unkept: Optional[UserError] = None
            try:
                self._keep_aside()
            except UserError as exc:
                unkept = exc  # all stays here; the database may take it after all
            if self._wall() - self._tried_wall >= self.commit_every:
                self._retry(self._retry_wait)
            if self._failing and unkept is not None:
                why = f"{self.last_error}; " if self.last_error is not None else ""
                raise UserError(f"{why}{unkept}") from unkept
        finally:
            self._last_commit_wall = self._wall()
            if t_now is not None:
                self._last_commit_t = t_now

    def _commit(self) -> None:
        """Write the closed spans and the open one (as ending at its latest decision, its
        row updated at the next commit) in one transaction; on failure keep all."""
        done = list(self._done)
        cur = self._open
        parts = [*done, *([cur] if cur is not None else [])]

        def work(conn: sqlite3.Connection) -> list[int]:
            # a database file removed or replaced since the last commit (the store opened
            # the new one, at this write or an event's) holds no row of a span written
            # before: what came after its last commit starts a row there, as after a part
            # set aside (the old part went with the old file: a restored copy may hold it)
            if self.store.reopened != self._reopened:
                for s in parts:
                    if s.row_id is not None:
                        s.head, s.row_id, s.written = s.written, None, None
            ids = []
            for s in parts:
                span = self._piece(s, s.head)
                if s.row_id is None:
                    ids.append(_insert_span(conn, span))
                else:
                    _update_span(conn, s.row_id, span)
                    ids.append(s.row_id)
            return ids

        ids = self.store.write(work)
        self._reopened = self.store.reopened
        if cur is not None:
            cur.row_id = ids[-1]
            cur.written = cur.mark()
        del self._done[: len(done)]
        self.spans_written += len(done)
        self.commits += 1

    def _refused(self, exc: UserError) -> None:
        self.last_error = exc
        self._failing = True
        self._tried_wall = self._wall()
        if self._warned < 2:
            log.warning(
                "%s; posture spans are kept in %s until it can be written",
                self._why(exc),
                self.store.pending_path,
            )
            self._warned += 1

    def _why(self, exc: UserError) -> str:
        """What ``exc``, the database's refusal, tells the user. A replay's lock says
        "close it", not "close it and try again": a replay run again was refused as
        logged already (the open took its spans in), and given another --start, as that
        refusal says, logged its time twice."""
        if self.session.live or not isinstance(exc, DatabaseLocked):
            return str(exc)
        return str(_locked_error(self.store.path, self.store.lock_timeout, "close it"))

    def _keep_aside(self) -> None:
        """Put what the database does not hold yet in the side file: the closed spans
        (of one written while open, the part after its row) and the open one up to its
        latest decision, which then goes on as a part of its own."""
        parts = [*self._done, *([self._open] if self._open is not None else [])]
        spans = [self._piece(s, s.written if s.row_id is not None else s.head) for s in parts]
        spans = [span for span in spans if span.end > span.start]
        if spans:
            self.store.save_pending(spans)
            self.set_aside += len(spans)
        self._done.clear()
        cur = self._open
        if cur is not None:
            cur.head, cur.row_id, cur.written = cur.mark(), None, None

    def _retry(self, wait: float = RETRY_LOCK_TIMEOUT) -> None:
        """Try the database again: take the side file in and commit what is left,
        waiting at most ``wait`` seconds for a lock (the spans are in the side file: a
        loop kept from its frames for the full lock timeout gains nothing by it)."""
        try:
            with self.store.waiting_at_most(wait):
                brought = self.store._import_pending()
                self._commit()
        except UserError as exc:
            self.last_error = exc
            self._tried_wall = self._wall()
            return
        log.info(
            "database %s can be written again: %d posture spans taken in from %s",
            self.store.path,
            brought,
            self.store.pending_path,
        )
        self._failing = False
        self.last_error = None
        self.set_aside = 0

    def close(self, t_end: float) -> None:
        if self._held is not None:
            self._take_up_held(t_end, closing=True)
        if self._open is not None:
            last = self._open.last
            end = t_end if t_end - last <= self.max_gap else last + SLOWEST_INTERVAL
            self._close_open(max(end, last))
        try:
            self._tried_wall = float("-inf")  # a last try, however recent the one before
            self._retry_wait = self.store.lock_timeout  # no frames to miss any more
            self.flush(t_end)
            if self._failing:
                assert self.last_error is not None
                why = self._why(self.last_error)
                if not self.set_aside:  # a session with no posture time: no side file
                    raise KeptAside(f"{why}; no posture time was left unsaved") from self.last_error
                n = self.set_aside  # one span held all session read "1 ... spans were kept"
                kept = (
                    f"{n} unsaved posture span was" if n == 1 else f"{n} unsaved posture spans were"
                )
                error = KeptAside(
                    f"{why}; {kept} kept in {self.store.pending_path} and will be "
                    "added the next time the database opens"
                )
                error.spans = n
                raise error from self.last_error
        finally:
            if self.own_store:
                self.store.close()


def _update_span(conn: sqlite3.Connection, row_id: int, s: Span) -> None:
    conn.execute(
        "UPDATE spans SET end = ?, samples = ?, metrics = ?, cut_off = ? WHERE id = ?",
        (s.end, s.samples, json.dumps(s.metrics, sort_keys=True), s.cut_off, row_id),
    )


def session_with_start(session: SessionInfo, start: Optional[str]) -> SessionInfo:
    """The session with ``start`` replaced by a parsed ``--start ISO-DATETIME``, if given."""
    if not start:
        return session
    return replace(session, start=parse_start(start))


def parse_start(text: str) -> datetime:
    """Parse ``--start``: an ISO date-time (local time unless it names an offset), on a
    day in :mod:`posture_guard.dates`' range (near year 1 or 9999 the spans' day
    arithmetic overflowed)."""
    from .dates import ascii_digits, check_day

    try:  # digits as dates take them (full-width, Arabic-Indic)
        value = datetime.fromisoformat(ascii_digits(text).strip())
    except ValueError as exc:
        raise UserError(
            f"--start {text!r} is not an ISO date-time such as 2024-03-04T09:00"
        ) from exc
    check_day(value.date(), "--start")  # before astimezone(), which overflows at year 1
    if value.tzinfo is not None:
        instant = value.timestamp()
        value = value.astimezone().replace(tzinfo=None)
        # an offset in the hour the clocks go back names one of its two passes: the local
        # time keeps which (fold), so ``timestamp()`` gives the instant named. Without it
        # 02:20+01:00 (the second pass) was logged at 02:20+02:00, an hour early, and a
        # replay of the second pass was refused as overlapping one of the first.
        if value.timestamp() != instant:
            value = value.replace(fold=1)
    else:
        _refuse_skipped(text, value)
    return value


def _refuse_skipped(text: str, value: datetime) -> None:
    """A UserError when the naive local time ``value`` is one the clock skipped (02:30
    on the night the clocks go forward at 02:00): such a --start was logged from 03:30
    without a word, the replay's log and its prompts an hour off the time typed. A
    time the clock shows twice (the night they go back) is its first pass, as before;
    an offset names the other."""
    jump = value.replace(fold=0).timestamp() - value.replace(fold=1).timestamp()
    if jump <= 0:
        return
    shown = datetime.fromtimestamp(value.timestamp())
    minutes = round(jump / 60)
    by = "an hour" if minutes == 60 else f"{minutes} min"
    raise UserError(
        f"--start {text!r} is a time the clock skipped that night (it went forward {by}); "
        f"give the time it showed ({shown:%Y-%m-%dT%H:%M} is the moment it would have been)"
    )


__all__ = [
    "Event",
    "ForeignWal",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Span",
    "Store",
    "StoreSink",
    "access_problem",
    "emptied_with_wal",
    "foreign_wal",
    "kept_wal",
    "newer_schema",
    "open_for_adding",
    "open_for_reading",
    "parse_pending",
    "parse_start",
    "quarantine_damaged",
    "session_with_start",
    "sqlite_problem",
]
