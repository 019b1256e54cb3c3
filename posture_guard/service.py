"""The live monitor as a background service: one instance, a camera it lets go of, and
faults it rides out.

``posture-guard run`` lands here (``monitor.run_command`` is a one-line call). The loop is
a thin shell around small pure parts, so every rule is tested with a fake clock and a fake
camera (the only stand-in: a webcam cannot exist in a test):

- :func:`release_reason`: whether the camera must be closed now, and why (paused, screen
  locked, snoozed, quiet hours). While released no frame is read at all.
- :class:`FrameHealth` / :func:`check_frame`: black frames (a covered or failing sensor)
  and frozen frames (a driver that repeats its last buffer) are camera faults, not
  posture: they are never analysed, so they never become "absent" (or stale "good")
  time; lasting 3 s (black) or 10 s (frozen) they count as a fault.
- :class:`control.Backoff`: after a fault (vanished camera, black/frozen frames, a camera
  another program holds) the camera is closed and re-opened later and later (5 s, 10 s,
  ... capped at 60 s), logged each time, with no prompt meanwhile (no decisions flow, so
  the coach stays silent); it resumes by itself, and says so on the console.

Around the loop: :class:`InstanceLock` (one monitor per user, an OS file lock that dies
with its process, so a crashed run never blocks the next), :func:`prepare_database`
(a damaged database is kept aside as ``*.damaged-*`` and a new one started), a status
file ``service.json`` that ``posture-guard status`` reads (camera in use or released and
why, the posture state now), and a flush of the sinks every ``flush_every_s`` (5 s), done
when due (the loop's sleeps end there): the open span is written up to its latest
decision, so a ``kill -9`` loses at most 5 s plus one sampling interval (up to 3.5 s while
the user sits still) of posture, 8.5 s.
``python -m benchmarks.bench_stop`` measures it on the real loop (MediaPipe on the test
video, tests/fake_camera.py): 5.72, 7.11 and 5.70 s at most, 3.56, 4.82 and 3.80 s on
average, in three runs of 15 kills at random moments on the 2-core build machine.

SIGTERM, Ctrl-C and SIGHUP (the terminal it was started in closed) set a stop flag that
every wait in the loop watches: the sinks are flushed, the open span ending at the last
analysed frame (up to one sampling interval before the signal), and the process exits;
the same benchmark measured at most 0.40 s from the signal to the exit (2 stops per
signal, the machine's other core busy), the prompts on screen closed on the way.

Screen lock (Linux): asked over D-Bus with ``dbus-send`` every 5 s, best effort: logind's
``LockedHint`` for the caller's session (system bus), then the session bus's
``org.freedesktop.ScreenSaver`` and ``org.gnome.ScreenSaver`` ``GetActive``. Where none
answers (no D-Bus, macOS, Windows) the screen counts as unlocked, so the monitor keeps
watching; pausing or snoozing still releases the camera everywhere.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Callable, Optional

import numpy as np

from . import control, logs, paths
from .capture import CameraError, CameraSource, FrameSource, no_camera_on_this_machine
from .errors import KeptAside, TryAgainLater, UserError
from .landmarks import Sample, StreamHeader
from .settings_watch import (
    CHECK_S,
    LIVE_NOTE,
    Change,
    Coaching,
    SettingsWatch,
    load_coach_settings,
    plan_starts_later,
    record_plan_at_start,
    record_plan_change,
)
from .sinks import SessionInfo, Sink
from .states import PostureState

log = logging.getLogger(__name__)

LOCK_NAME = "monitor.lock"
#: usable frames after a fault before the console is told the camera is back (see
#: :meth:`Service._tell_back`)
BACK_AFTER_FRAMES = 2
STATUS_NAME = "service.json"

#: a live session's sinks, the coach coaching by the given settings and library (those in
#: force: see :func:`run`)
SinkFactory = Callable[[SessionInfo, Coaching], list]
Clock = Callable[[], float]
Sleep = Callable[[float], bool]  # sleeps up to N s; True when asked to stop
CameraFactory = Callable[[], FrameSource]


def pick_stream_clock() -> Clock:
    """The clock the live loop's stream time runs on: one that keeps counting while the
    machine sleeps.

    Sinks turn stream time into wall time as the session's start plus ``t`` seconds. On
    Linux ``time.monotonic`` stops during a suspend, so after a laptop slept for eight
    hours every span and coach event would be logged eight hours early (and snooze ends
    and quiet hours read that early too). CLOCK_BOOTTIME counts the suspended time and,
    unlike the wall clock, never jumps when the clock is set. A suspend then shows as
    one long gap between decisions, which the coach and the store already treat as
    unobserved time. macOS's ``time.monotonic`` stops during sleep as well, while its
    CLOCK_MONOTONIC is documented to keep counting. Elsewhere (Windows: Python 3.11's
    ``time.monotonic`` is GetTickCount64, which counts sleep) the monotonic clock.
    """
    if sys.platform.startswith("linux") and hasattr(time, "CLOCK_BOOTTIME"):
        boot = time.CLOCK_BOOTTIME
        return lambda: time.clock_gettime(boot)
    if sys.platform == "darwin" and hasattr(time, "CLOCK_MONOTONIC"):
        mono = time.CLOCK_MONOTONIC
        return lambda: time.clock_gettime(mono)
    return time.monotonic


STREAM_CLOCK: Clock = pick_stream_clock()


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class ServiceSettings:
    """Timing of the loop; see the module docstring for why.

    ``black_after_s``: a camera's first frames are often dark while exposure settles, so
    only black lasting this long is a fault. ``frozen_after_s``: a real sensor's noise
    changes every frame, so a bit-identical picture for this long means a stuck driver.
    ``healthy_reset_s``: the back-off restarts from 5 s only after the camera has
    behaved this long, so a camera that freezes every minute is retried less and less.
    """

    poll_s: float = 1.0  # how often conditions are re-checked while released/waiting
    bad_frame_retry_s: float = 0.5
    black_after_s: float = 3.0
    frozen_after_s: float = 10.0
    healthy_reset_s: float = 60.0
    flush_every_s: float = 5.0
    status_every_s: float = 10.0
    screen_check_s: float = 5.0
    #: how often the local time zone is read again (see :meth:`Service.follow_local_zone`)
    zone_check_s: float = 60.0
    #: how often config.toml, the plan and exercises.toml are looked at (``stat`` only;
    #: see :meth:`Service.follow_settings`)
    settings_check_s: float = CHECK_S
    #: how far the time of day may move from the session's start plus the stream clock
    #: before the clock counts as set (see :meth:`Service.clock_set_by`); below it, the
    #: two clocks' own drift (a resume that reads the hardware clock, NTP's small steps)
    clock_step_s: float = 60.0
    #: how often a monitor started with ``--wait-for-camera`` on a machine with no camera
    #: looks for one (:func:`wait_for_a_camera`): a glob of /dev, nothing loaded meanwhile
    camera_wait_s: float = 10.0
    backoff: control.Backoff = control.Backoff(initial_s=5.0, factor=2.0, max_s=60.0)


# --------------------------------------------------------------------------- pure rules
@dataclass(frozen=True)
class Conditions:
    """What the world says at one moment about whether the camera may be used."""

    paused: bool = False
    snoozed: bool = False
    quiet_hours: bool = False
    screen_locked: bool = False


def release_reason(c: Conditions) -> Optional[str]:
    """Why the camera must be closed now, or None when it may be used.

    Pause first (the user's explicit wish), then the locked screen (nobody is there),
    then snooze and quiet hours.
    """
    if c.paused:
        return "paused"
    if c.screen_locked:
        return "screen locked"
    if c.snoozed:
        return "snoozed"
    if c.quiet_hours:
        return "quiet hours"
    return None


@dataclass(frozen=True)
class FrameHealth:
    """Running memory of recent frames for the black/frozen checks."""

    black_since: Optional[float] = None
    same_since: Optional[float] = None
    signature: Optional[bytes] = None


BLACK_MEAN = 8.0  # out of 255: darker than any lit room the camera can expose for


def frame_signature(image: np.ndarray) -> bytes:
    """A digest of a thinned copy of the frame: equal only for a repeated buffer."""
    return hashlib.blake2b(np.ascontiguousarray(image[::4, ::4]).tobytes(), digest_size=16).digest()


def check_frame(
    health: FrameHealth, t: float, image: np.ndarray, settings: ServiceSettings
) -> tuple[FrameHealth, Optional[str], bool]:
    """(new health, fault or None, whether the frame may be analysed)."""
    black = image.size == 0 or float(image.mean()) < BLACK_MEAN
    if black:
        since = health.black_since if health.black_since is not None else t
        health = replace(health, black_since=since, same_since=None, signature=None)
        if t - since >= settings.black_after_s:
            return health, f"camera gives black frames ({t - since:.0f} s)", False
        return health, None, False
    sig = frame_signature(image)
    if sig == health.signature:
        since = health.same_since if health.same_since is not None else t
        health = replace(health, black_since=None, same_since=since)
        if t - since >= settings.frozen_after_s:
            return health, f"camera picture frozen ({t - since:.0f} s unchanged)", False
        return health, None, False  # a repeated picture says nothing new about posture
    return FrameHealth(black_since=None, same_since=None, signature=sig), None, True


# --------------------------------------------------------------------------- single instance
class InstanceLock:
    """One monitor per user: an OS lock on ``state_dir()/monitor.lock`` holding our pid.

    The lock is the kernel's (``flock``, or ``msvcrt.locking`` on Windows), so it vanishes
    with the process however it dies; a pid left in the file by a crashed run is only
    reported as recovered. A second ``run`` gets a UserError naming the running pid.
    """

    def __init__(self, path: Optional[Path] = None):
        self.path = path or paths.state_dir() / LOCK_NAME
        self._fh: Optional[IO[str]] = None
        self.recovered_pid: Optional[int] = None

    def acquire(self, attempts: int = 3, wait_s: float = 0.2) -> InstanceLock:
        fh = open(self.path, "a+", encoding="utf-8", opener=paths.private_opener)
        for i in range(attempts):
            if _try_lock(fh):
                break
            if i + 1 < attempts:
                time.sleep(wait_s)  # a `status` may hold a shared lock for a moment
        else:
            pid = _read_pid(self.path)
            fh.close()
            who = f"pid {pid}" if pid else "pid unknown"
            raise UserError(
                f"a posture-guard monitor is already running ({who}); stop it first "
                "(or check `posture-guard status`)"
            )
        old = _read_pid(self.path)
        if old and old != os.getpid():
            self.recovered_pid = old
            # for the log file: `run` says it on the terminal in its own words (both lines
            # reached the terminal, the recovery told twice)
            log.warning(
                "recovered a stale monitor lock left by pid %d (not running)",
                old,
                extra=logs.FILE_ONLY,
            )
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is None:
            return
        try:
            fh.seek(0)
            fh.truncate()
            fh.flush()
        finally:
            _unlock(fh)
            fh.close()

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def running_pid(path: Optional[Path] = None) -> Optional[int]:
    """The pid of the running monitor, or None; never blocks a monitor that is starting."""
    path = path or paths.state_dir() / LOCK_NAME
    if not path.exists():
        return None
    pid = _read_pid(path)
    try:
        import fcntl
    except ImportError:  # Windows: no shared locks; trust a live pid
        return pid if pid and control.pid_alive(pid) else None
    with open(path, encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return pid or -1
        fcntl.flock(fh, fcntl.LOCK_UN)
    return None


def _try_lock(fh: IO[str]) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fh: IO[str]) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            pass
        return
    fcntl.flock(fh, fcntl.LOCK_UN)


def _read_pid(path: Path) -> Optional[int]:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


# --------------------------------------------------------------------------- screen lock
class ScreenLockProbe:
    """Asks D-Bus whether the screen is locked (see the module docstring); best effort.

    ``runner`` runs one argv and returns its stdout or None; a probe that never answers
    is asked again only every ``retry_unavailable_s``.
    """

    QUERIES: tuple[tuple[str, ...], ...] = (
        (
            "--system",
            "--dest=org.freedesktop.login1",
            "/org/freedesktop/login1/session/auto",
            "org.freedesktop.DBus.Properties.Get",
            "string:org.freedesktop.login1.Session",
            "string:LockedHint",
        ),
        (
            "--session",
            "--dest=org.freedesktop.ScreenSaver",
            "/org/freedesktop/ScreenSaver",
            "org.freedesktop.ScreenSaver.GetActive",
        ),
        (
            "--session",
            "--dest=org.gnome.ScreenSaver",
            "/org/gnome/ScreenSaver",
            "org.gnome.ScreenSaver.GetActive",
        ),
    )

    def __init__(
        self,
        runner: Optional[Callable[[list[str]], Optional[str]]] = None,
        retry_unavailable_s: float = 60.0,
    ):
        self._dbus_send = shutil.which("dbus-send")
        self._run = runner or _run_quiet
        self.retry_unavailable_s = retry_unavailable_s
        self._unavailable_until = float("-inf")
        self.source: Optional[str] = None  # which query answered last

    def locked(self, now: float) -> Optional[bool]:
        """True/False when some query answered, None when none could be asked."""
        if sys.platform != "linux" or self._dbus_send is None:
            return None
        if now < self._unavailable_until:
            return None
        answers: list[bool] = []
        for query in self.QUERIES:
            argv = [self._dbus_send, "--print-reply", "--reply-timeout=500", *query]
            out = self._run(argv)
            if out is None:
                continue
            value = _dbus_boolean(out)
            if value is None:
                continue
            self.source = query[1].split("=", 1)[1]
            if value:
                return True
            answers.append(value)
        if not answers:
            self._unavailable_until = now + self.retry_unavailable_s
            return None
        return False


def _run_quiet(argv: list[str]) -> Optional[str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=2.0, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _dbus_boolean(reply: str) -> Optional[bool]:
    for token in reply.split():
        if token == "true":
            return True
        if token == "false":
            return False
    return None


# --------------------------------------------------------------------------- the database
def prepare_database(path: Path, out: Optional[IO[str]] = None) -> Optional[Path]:
    """Make sure the database at ``path`` can be opened; set a damaged one aside.

    Returns where a damaged file was moved (and says so on ``out`` and in the log), or
    None. Damaged means sqlite cannot open it, or its quick check finds damage inside,
    or the file is cut to nothing with its -wal beside it. Damage is looked for read only
    before the file is opened to write: that open, closing, copied the -wal into the
    damaged file and removed it (and sqlite deleted the -wal of a file of 0 bytes unread),
    so the file set aside was not the one found damaged and its -wal, which may hold the
    last minutes of posture, was gone. Both are moved aside as they were.
    A database another program holds for the whole wait is left alone and the start is
    refused for now (TryAgainLater: exit 75, which the login entry restarts): a lock is
    temporary, and its 2, "refused for good", left the monitor off. A file the user
    may not read or write is not damaged and stays where it is: the UserError names it.
    Any other problem (a newer schema, a folder in the way) stays a UserError.
    """
    from .store import (
        ACCESS,
        LOCKED,
        DatabaseLocked,
        ForeignWal,
        Store,
        foreign_wal,
        full_disk,
        kept_wal,
        quarantine_damaged,
        sqlite_problem,
    )

    # read only, the -wal read but left as it is (another database's -wal is no damage:
    # the open below refuses it)
    if foreign_wal(path) is not None or not _is_damaged(path):
        try:
            # the side file waits for the monitor's own open (and its store sink)
            Store.open(path, take_in=False).close()
            # Opening reads the schema alone: a file damaged inside (bytes overwritten, a
            # page lost) opened, and every flush the damage refused went to the side
            # file, start after start, while the monitor ran on and `status` said the log
            # could not be read. sqlite's quick check finds it (a few ms per MB, once a
            # start), above, and here again for a file that could not be read then.
            if not _is_damaged(path):
                return None
        except ForeignWal:
            raise  # the file is sound: another database's -wal is what must move
        except UserError as exc:
            cause = exc.__cause__
            if isinstance(cause, sqlite3.Error) and full_disk(path, cause) is not None:
                # it holds only until room is made: exit 75, which the login entry
                # restarts (a UserError's 2 is "refused for good", and the monitor
                # stayed off)
                raise TryAgainLater(str(exc)) from exc
            if isinstance(exc, DatabaseLocked):
                # held by another program (`PRAGMA locking_mode=EXCLUSIVE` keeps it so
                # until that program closes it): gone later, as a full disk's hold is
                raise TryAgainLater(str(exc)) from exc
            if isinstance(cause, sqlite3.Error) and sqlite_problem(cause) in (ACCESS, LOCKED):
                raise
            if not _is_damaged(path):
                raise
    moved = quarantine_damaged(path)
    wal = kept_wal(moved)
    kept = f"{moved}, its -wal file (its latest changes) as {wal}," if wal else f"{moved}"
    message = f"the database {path} was damaged; it is kept as {kept} and a new one was started"
    log.error("%s", message)
    print(f"posture-guard: {message}", file=out or sys.stderr)
    Store.open(path).close()
    return moved


def _is_damaged(path: Path) -> bool:
    """Whether sqlite itself says the file is not a sound database.

    Never for a lock, nor for a file sqlite cannot open or write (permissions, a
    read-only folder or -shm file): that file is sound, and moving it aside would hide
    the user's data behind a new, empty database.
    """
    from .store import DAMAGED, emptied_with_wal, sqlite_problem

    if not path.is_file():
        return False
    if emptied_with_wal(path) is not None:
        return True  # before any open: sqlite would delete that -wal
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error as exc:
        return sqlite_problem(exc) == DAMAGED
    try:
        row = conn.execute("PRAGMA quick_check").fetchone()
        return row is None or row[0] != "ok"
    except sqlite3.Error as exc:
        return sqlite_problem(exc) == DAMAGED
    finally:
        conn.close()


# --------------------------------------------------------------------------- status file
@dataclass(frozen=True)
class ServiceStatus:
    """What the loop tells `posture-guard status` (``state_dir()/service.json``)."""

    pid: int
    at: float  # Unix seconds
    camera: str  # "in use", "released", "unavailable", "starting"
    reason: str = ""
    state: Optional[str] = None
    state_since: Optional[float] = None
    camera_since: Optional[float] = None  # Unix seconds: released or unavailable since

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "at": self.at,
            "camera": self.camera,
            "reason": self.reason,
            "state": self.state,
            "state_since": self.state_since,
            "camera_since": self.camera_since,
        }


def status_file() -> Path:
    return paths.state_dir() / STATUS_NAME


def read_service_status(path: Optional[Path] = None) -> Optional[ServiceStatus]:
    path = path or status_file()
    try:
        import json

        obj = json.loads(path.read_text(encoding="utf-8"))
        return ServiceStatus(
            pid=int(obj["pid"]),
            at=float(obj["at"]),
            camera=str(obj["camera"]),
            reason=str(obj.get("reason", "")),
            state=obj.get("state"),
            state_since=obj.get("state_since"),
            camera_since=obj.get("camera_since"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def status_lines(
    today: Optional[date] = None,
    db: Optional[Path] = None,
    start_again: Optional[Callable[[], str]] = None,
) -> list[str]:
    """Lines `posture-guard status` adds below the monitor's own line: camera and posture
    now (of the monitor that holds the lock), and today; ``start_again``: see
    :func:`_start_refusals`."""
    out: list[str] = []
    pid = running_pid()
    st = read_service_status()
    # a monitor left running for days: "released (quiet hours) since 22:00" read the next
    # morning as tonight's 22:00, so a moment of another day carries its date
    now = time.time()
    if pid is not None:
        if st is not None and st.pid == pid:
            cam = f"camera: {st.camera}" + (f" ({st.reason})" if st.reason else "")
            if st.camera in ("released", "unavailable") and st.camera_since:
                cam += f" since {control.clock_text(st.camera_since, now)}"
            out.append(cam)
            # a posture seen before the camera was let go is not the posture now
            if st.state and st.camera == "in use":
                since = (
                    f" since {control.clock_text(st.state_since, now)}" if st.state_since else ""
                )
                out.append(f"posture now: {st.state}{since}")
    else:
        out.extend(_start_refusals(today or date.today(), start_again))
    out.extend(_today_lines(today or date.today(), db))
    return out


def _start_refusals(day: date, start_again: Optional[Callable[[], str]] = None) -> list[str]:
    """Why no monitor runs when `run` refuses to start on the settings (config.toml, the
    plan, exercises.toml that cannot be used), as a line naming the file, or nothing.

    Why: the monitor the login entry starts is refused on such a file (exit status 2, not
    started again), and an XDG entry's output goes nowhere, so the monitor stayed off and
    `status` said only "not running". A file an older version took and this one refuses
    (config.toml's alert_hold_s = 5, below today's 10 s) did so at the first login after
    the upgrade, without a word. ``start_again`` (the shell's) gives the command that
    starts it again once they are mended (:func:`start_again_text`)."""
    try:
        load_coach_settings(day)
    except UserError as exc:
        return [
            f"note: the monitor does not start while its settings cannot be used: {exc} "
            f"(`posture-guard config` checks them once mended; {start_again_text(start_again)})"
        ]
    except OSError:  # a home folder the monitor cannot use either: run names it
        return []
    return []


def _today_lines(day: date, db: Optional[Path]) -> list[str]:
    path = db or paths.database_file()
    if not path.exists() and not path.is_symlink():  # a link to nothing is named below
        return ["today: nothing logged yet"]
    try:
        from .store import Store
        from .summary import fmt_part_minutes, fmt_part_share, summarize_day

        # read-only: `status` only reads, and must answer from a database it cannot write
        with Store.open(path, create=False, read_only=True) as store:
            s = summarize_day(store, day)
    except (UserError, ImportError) as exc:
        return [f"today: cannot read the log ({exc})"]
    if s.monitored_s <= 0:
        # no posture: a headache or an exercise logged today is not nothing, as the old
        # "nothing logged yet" said beside a summary listing them
        return ["today: nothing monitored yet"]
    # each share names its base, as the summary's do: "not judged 8%" was of the time
    # someone was in the picture (absent time cut off too) beside the summary's "not
    # judged ... 3 % of desk time" for the same day
    # a few seconds are "under 1 min", as the summary says them ("monitored 0 min" said
    # there was none, beside a good-posture share of it)
    parts = [f"monitored {fmt_part_minutes(s.monitored_s)}"]
    good = s.good_percent  # as the summary of the day rounds it
    if good is not None:
        parts.append(f"good posture {good} % of desk time")
    if s.advise_camera_back:  # the summary says why and what to do
        edge = fmt_part_share(s.edge_share or 0.0)
        parts.append(f"cut off by the frame edge {edge} of the time in the picture")
    if s.advise_calibrate:
        bare = fmt_part_share(s.uncalibrated_share or 0.0)
        parts.append(f"judged without calibration {bare} of desk time")
    return ["today: " + ", ".join(parts)]


# --------------------------------------------------------------------------- the loop
@dataclass
class LoopReport:
    """What one run did: for the closing line and for tests."""

    frames_read: int = 0
    frames_analysed: int = 0
    faults: int = 0
    open_attempts: list[float] = None  # type: ignore[assignment]
    releases: int = 0
    last_t: float = 0.0
    #: seconds the wall clock was set forward (negative: back) when the loop ended for it
    clock_set_by: Optional[float] = None
    #: the new local day whose coach settings are not the session's, when the loop ended
    #: for it (a therapist plan starts or has ended)
    new_day: Optional[date] = None

    def __post_init__(self) -> None:
        if self.open_attempts is None:
            self.open_attempts = []


class Service:
    """The live loop's shell: reads the world, applies the pure rules, performs effects.

    ``clock`` gives monotonic seconds that count a suspend (:data:`STREAM_CLOCK`);
    ``sleep(s)`` waits up to ``s`` and returns True when
    the run should stop (the real one waits on the stop signals' flag). ``open_camera``
    returns a :class:`FrameSource` or raises CameraError. ``is_quiet(datetime)`` and
    ``screen.locked(now)`` may be left out. Wall-clock moments are ``session.start`` plus
    the clock's elapsed time, so a fake clock drives quiet hours and snooze too; ``t0`` is
    the clock's reading at ``session.start`` (by default, when the Service is made).
    ``wall_clock`` (POSIX seconds, ``time.time`` in a real run) is only watched for being
    set: the loop ends when it is (:meth:`clock_set_by`), and :func:`run` starts a new
    session at the new time. ``renew(day)`` says whether a new local day needs a new
    session (:func:`plan_changes`): the loop ends at that midnight, for :func:`run` to
    start one. ``watch`` notices an edited config.toml or plan, which the session takes
    up (:meth:`follow_settings`); what it says goes to the log and to ``out``. ``coach``
    is the (settings, library) the session's coach started with, and then the version
    it took up: the settings in force, which a new session keeps when the files do not
    load (:func:`run`).
    """

    def __init__(
        self,
        pipeline: Any,  # monitor.Pipeline (not imported: monitor imports this module)
        detector: Any,
        open_camera: CameraFactory,
        session: SessionInfo,
        clock: Clock = STREAM_CLOCK,
        sleep: Optional[Sleep] = None,
        settings: ServiceSettings = ServiceSettings(),
        control_poller: Optional[control.ControlPoller] = None,
        is_quiet: Optional[Callable[[datetime], bool]] = None,
        screen: Optional[ScreenLockProbe] = None,
        write_status: bool = True,
        wall_clock: Optional[Clock] = None,
        renew: Optional[Callable[[date], bool]] = None,
        t0: Optional[float] = None,
        watch: Optional[SettingsWatch] = None,
        out: Optional[IO[str]] = None,
        coach: Optional[Coaching] = None,
    ):
        self.pipeline = pipeline
        self.detector = detector
        self.open_camera = open_camera
        self.session = session
        self.clock = clock
        self.sleep = sleep or (lambda s: (time.sleep(max(0.0, s)), False)[1])
        self.settings = settings
        self.control = control_poller
        self.is_quiet = is_quiet
        self.screen = screen
        self.write_status = write_status
        self.wall_clock = wall_clock
        self.renew = renew
        self.watch = watch
        self.out = out
        self.coach = coach
        self.report = LoopReport()
        self.source: Optional[FrameSource] = None
        self.backoff = settings.backoff
        self.health = FrameHealth()
        self._t0 = clock() if t0 is None else t0
        # what the wall clock reads beyond the session's time at the start (with
        # ``t0`` given, nothing): only a change of it is the clock being set
        self._wall_ahead = 0.0 if wall_clock is None else wall_clock() - session.epoch(self.now())
        self._day = session.wall(0.0).date()
        self._healthy_since: Optional[float] = None
        self._screen_locked = False
        self._screen_checked = float("-inf")
        self._zone_checked = float("-inf")
        self._last_flush = 0.0
        self._flush_paused_until = float("-inf")
        self._last_status = float("-inf")
        self._camera = ("starting", "")
        self._camera_since = 0.0
        self._state: Optional[PostureState] = None
        self._state_since: Optional[float] = None
        self._released_for: Optional[str] = None
        self._fault_why = "camera unavailable"
        # after a fault: how many more usable frames until the console hears it is back
        self._back_in = 0

    # ----------------------------------------------------------------- helpers
    def now(self) -> float:
        """Seconds since the loop started (the pipeline's stream time)."""
        return self.clock() - self._t0

    def wall(self, t: float) -> datetime:
        """Stream time ``t`` as an aware local datetime: real seconds after the start,
        so snooze ends and quiet hours agree with the coach across a DST change."""
        return self.session.wall(t)

    def clock_set_by(self, t: float) -> Optional[float]:
        """Seconds the wall clock was set forward (negative: back) since the session
        started, or None while it keeps to the session's time within ``clock_step_s``.

        The session's time is its start plus the stream clock, which never jumps: a
        suspend is counted, a clock being set is not. So when NTP corrects a clock that
        was wrong at boot, or the user sets it, the session went on in the old time: it
        logged the rest of the day at the old time and read quiet hours and snooze ends
        there (a `snooze 5m` given after the clock went forward an hour silenced the coach
        and closed the camera for 65 minutes)."""
        if self.wall_clock is None:
            return None
        moved = self.wall_clock() - self.session.epoch(t) - self._wall_ahead
        return moved if abs(moved) > self.settings.clock_step_s else None

    def _renewed_on(self, t: float) -> bool:
        """Whether ``t`` is the first moment of a new local day that needs a new session
        (noted in the report as ``new_day``)."""
        day = self.wall(t).date()
        if day == self._day:
            return False
        self._day = day
        if self.renew is None or not self.renew(day):
            return False
        self.report.new_day = day
        return True

    def follow_local_zone(self, t: float) -> None:
        """Read the system's time zone again, at most every ``zone_check_s``.

        A process reads the zone once (the C library's tzset) and keeps it: when a
        laptop travels and the desktop sets the new zone (timedated replaces
        /etc/localtime), a monitor left running went on reading quiet hours, the
        check-in and plan slots on the old zone's clock, e.g. quiet hours from 12:00 in
        Berlin at 06:00 in New York. The log is not affected (it stores UTC seconds).
        Python has no tzset on Windows: there a new zone still takes a restart."""
        tzset = getattr(time, "tzset", None)
        if tzset is not None and t - self._zone_checked >= self.settings.zone_check_s:
            self._zone_checked = t
            tzset()

    def follow_settings(self, t: float) -> None:
        """Take up a new version of config.toml, the plan or exercises.toml (see
        ``settings_watch``): the coach's settings and the camera's quiet hours from now.

        A version that cannot be used changes nothing: the monitor goes on with the
        settings it has, and says what is wrong, naming the file, once per version: in
        the log and the console, and as a notification, since a monitor started at login
        has no console anyone reads."""
        change = self.watch.poll(t) if self.watch is not None else None
        if change is None:
            return
        from .plan import plans_on

        day = self.wall(t).date()
        try:
            plans = plans_on(day)  # read once: the settings, and when a new plan starts
            settings, library = load_coach_settings(day, plans)
        except UserError as exc:
            self.refuse_settings(change, exc)
            return
        record_plan_change(change, self.wall(t))
        self.coach = (settings, library)
        self.is_quiet = _quiet_rule(settings.quiet_hours)
        for sink in self.pipeline.sinks:
            follow = getattr(sink, "follow_settings", None)
            if callable(follow):
                follow(settings, library)
        if self.renew is not None:
            self.renew = plan_changes(day)  # a plan imported today is today's
        later = plan_starts_later(change, plans)
        when = "from now" if later is None else f"from now, the plan from its start on {later}"
        message = (
            f"{change.names()} changed: the coach and the camera's quiet hours follow it "
            f"{when} ({LIVE_NOTE})"
        )
        log.info("%s", message)
        if self.out is not None:
            print(f"posture-guard: {message}", file=self.out)

    def refuse_settings(self, change: Change, exc: UserError) -> None:
        """Say that the ``change``d files cannot be used (``exc`` names the file and the
        fault) and that the settings in force stay: in the log, and as a notification."""
        message = f"{exc}; the monitor keeps the settings it has until the file is fixed"
        log.warning("%s", message)
        for sink in self.pipeline.sinks:
            tell = getattr(sink, "tell", None)
            if callable(tell):
                tell(f"posture-guard: {change.names()} not used", message)

    def conditions(self, t: float) -> Conditions:
        paused = snoozed = False
        if self.control is not None:
            state, problem = self.control.poll()
            if problem:
                log.warning("%s", problem)
            paused = state.paused
            snoozed = state.snoozed(self.wall(t).timestamp())
        quiet = bool(self.is_quiet and self.is_quiet(self.wall(t)))
        if self.screen is not None and t - self._screen_checked >= self.settings.screen_check_s:
            self._screen_checked = t
            self._screen_locked = bool(self.screen.locked(t))
        return Conditions(paused, snoozed, quiet, self._screen_locked)

    def _set_camera(self, camera: str, reason: str, t: float) -> None:
        changed = (camera, reason) != self._camera
        # "since" counts from the release for this reason, or from the first failed
        # attempt (whose text changes with each retry)
        if camera != self._camera[0] or (camera == "released" and changed):
            self._camera_since = t
        self._camera = (camera, reason)
        if changed or t - self._last_status >= self.settings.status_every_s:
            self._status(t)

    def _status(self, t: float) -> None:
        self._last_status = t
        if not self.write_status:
            return
        st = ServiceStatus(
            pid=os.getpid(),
            at=self.wall(t).timestamp(),
            camera=self._camera[0],
            reason=self._camera[1],
            state=self._state.value if self._state else None,
            state_since=self.wall(self._state_since).timestamp()
            if self._state_since is not None
            else None,
            camera_since=self.wall(self._camera_since).timestamp(),
        )
        try:
            control.write_json_atomic(status_file(), st.to_json())
        except OSError as exc:
            log.warning("cannot write the status file: %s", exc)

    def _close_camera(self) -> None:
        # Nothing is seen until the camera is back: the posture before it is not current,
        # and the first decision after it starts a new "since".
        self._state = self._state_since = None
        src, self.source = self.source, None
        if src is not None:
            try:
                src.close()
            except Exception as exc:  # a dying driver must not end the monitor
                log.debug("closing the camera failed: %s", exc)

    def _fault(self, t: float, why: str) -> None:
        self._fault_why = why
        self._back_in = BACK_AFTER_FRAMES
        self._close_camera()
        self.report.faults += 1
        self.health = FrameHealth()
        self._healthy_since = None
        self.backoff = self.backoff.failed(t)
        reason = self._waiting_text(t, why)
        log.warning("%s", reason)
        self._set_camera("unavailable", reason, t)

    def _waiting_text(self, t: float, why: str) -> str:
        b = self.backoff
        left = 0.0 if b.retry_at is None else max(0.0, b.retry_at - t)
        return (
            f"{why}; retrying in {control.format_duration(left)} "
            f"({b.failures} failed attempt{'s' if b.failures != 1 else ''} so far)"
        )

    def _tell_back(self, name: str) -> None:
        """At the second usable frame after a fault, say on the console that monitoring
        goes on: the faults are warnings there, one a minute while the camera is gone,
        and the last of them ("retrying in 1 min") was all a user at the terminal saw
        once it came back (the log's "camera open" is info, which the console leaves out).
        Not at the open itself: a camera behind a closed privacy shutter opens, then gives
        black frames; nor at the first frame, the only new one of a frozen driver."""
        n = self.backoff.failures
        if self.out is not None:
            attempts = "1 failed attempt" if n == 1 else f"{n} failed attempts"
            print(
                f"posture-guard: the camera ({name}) gives pictures again after {attempts}; "
                "monitoring goes on",
                file=self.out,
            )

    def _poll_sinks(self, t: float) -> None:
        """Give the sinks a moment with no decision (see :meth:`CoachSink.poll`): while
        the camera is released or unavailable, buttons pressed and the heartbeat still
        have to be served about every second."""
        for sink in self.pipeline.sinks:
            poll = getattr(sink, "poll", None)
            if callable(poll):
                poll(t)

    def _flush(self, t: float) -> None:
        self._last_flush = t
        if t < self._flush_paused_until:
            return
        for sink in self.pipeline.sinks:
            flush = getattr(sink, "flush", None)
            if not callable(flush):
                continue
            try:
                flush(t)
            except UserError as exc:
                # neither the database (locked by a report, say) nor its side file
                # took the spans: the sink keeps them and tries again; wait a minute
                # before forcing another flush
                log.warning("%s; will retry", exc)
                self._flush_paused_until = t + 60.0

    def _nap(self, t: float, seconds: float) -> bool:
        """Sleep up to ``seconds`` from ``t``, waking when the next flush is due; True
        when the run should stop. So the flush is done when due, not at the loop's next
        look up to ``poll_s`` later: a kill -9 loses up to ``poll_s`` less posture."""
        due_in = self._last_flush + self.settings.flush_every_s - t
        return self.sleep(min(seconds, max(due_in, 0.0)))

    # ----------------------------------------------------------------- the loop
    def run(self) -> LoopReport:
        """Loop until ``sleep`` reports a stop; the caller closes the pipeline."""
        s = self.settings
        while True:
            t = self.now()
            moved = self.clock_set_by(t)
            if moved is not None:
                self.report.clock_set_by = moved
                return self.report
            self.follow_local_zone(t)
            self.follow_settings(t)
            if self._renewed_on(t):
                return self.report
            if t - self._last_flush >= s.flush_every_s:
                self._flush(t)
            reason = release_reason(self.conditions(t))
            if reason is not None:
                if self.source is not None or self._released_for != reason:
                    if self.source is not None:
                        log.info("camera released: %s", reason)
                    self._close_camera()
                    self.report.releases += 1
                    self._released_for = reason
                self._set_camera("released", reason, t)
                self._poll_sinks(t)
                if self._nap(t, s.poll_s):
                    return self.report
                continue
            self._released_for = None
            if self.source is None:
                if not self.backoff.due(t):
                    self._set_camera("unavailable", self._waiting_text(t, self._fault_why), t)
                    self._poll_sinks(t)
                    assert self.backoff.retry_at is not None
                    if self._nap(t, min(self.backoff.retry_at - t, s.poll_s)):
                        return self.report
                    continue
                self.report.open_attempts.append(t)
                try:
                    self.source = self.open_camera()
                except CameraError as exc:
                    self._fault(t, f"{exc}")
                    continue
                src = self.source
                # the frame's true size scales x against y in the metrics
                self.pipeline.header = StreamHeader(src.width, src.height, src.fps, src.name)
                log.info("camera open: %s", src.name)
                self._set_camera("in use", "", t)
            wait = self.pipeline.next_due - t
            if wait > 0:
                if self._nap(t, min(wait, s.poll_s)):
                    return self.report
                continue
            try:
                frame = self.source.read()
            except CameraError as exc:
                self._fault(t, f"{exc}")
                continue
            if frame is None:
                self._fault(t, "the camera stopped giving frames")
                continue
            self.report.frames_read += 1
            t = self.now()
            self.health, problem, usable = check_frame(self.health, t, frame.image, s)
            if problem is not None:
                self._fault(t, problem)
                continue
            if not usable:
                if self._nap(t, s.bad_frame_retry_s):
                    return self.report
                continue
            if self._back_in > 0:
                self._back_in -= 1
                if self._back_in == 0:
                    self._tell_back(self.source.name)
            if self._healthy_since is None:
                self._healthy_since = t
            elif self.backoff.waiting and t - self._healthy_since >= s.healthy_reset_s:
                self.backoff = self.backoff.succeeded()
            decision = self.pipeline.offer(Sample(t, self.detector.detect(frame.image)))
            if decision is not None:
                self.report.frames_analysed += 1
                self.report.last_t = t
                if decision.state != self._state:
                    self._state, self._state_since = decision.state, t
            self._set_camera("in use", "", t)

    def close(self) -> None:
        """Let go of the camera; a button pressed since the last decision or tick is read
        now, at the real end (the pipeline closes the sinks at the last analysed frame)."""
        self._close_camera()
        t = self.now()
        self._poll_sinks(t)
        self._set_camera("stopped", "", t)


# --------------------------------------------------------------------------- settings file
def _quiet_rule(quiet: Any) -> Optional[Callable[[datetime], bool]]:
    """``quiet`` hours (start, end), or None, as a predicate on a moment.

    ``run`` gives it the quiet hours of the coach's own settings (a therapist plan's
    laid over config.toml's, see :func:`settings_watch.load_coach_settings`), and
    :meth:`Service.follow_settings` those of a new version of the files, so the camera
    is closed exactly when the coach is silent for quiet hours, under a plan too."""
    from .coach import in_quiet_hours

    if quiet is None:
        return None
    return lambda moment: in_quiet_hours(moment.time(), quiet)


def plan_changes(since: date) -> Callable[[date], bool]:
    """Whether a later day's coach settings differ from those of a session that started
    on ``since``: a therapist plan starts or has ended in between. A plan's settings
    replace the user's on its days only, and a session keeps the settings it started
    with, so a monitor that is never restarted (suspended at night, not logged out)
    never took up a plan that started after it, and kept one after its last day.

    The plan is read now, for the session's settings, and again on each new day. A plan
    or config file that cannot be read then changes nothing: the session goes on with
    the settings it has (a new one could not start). The running monitor's watch of the
    files (:meth:`Service.follow_settings`) says why, once per version: said here as
    well, the same broken config.toml was told a second time at a plan's midnight."""
    from .plan import plan_in_force

    def covered(day: date) -> Optional[Any]:
        """The plan the coach follows on ``day`` (its origin apart), None for none: a plan
        imported to start later takes over from the one in force at its first midnight."""
        plan = plan_in_force(day)
        return replace(plan, origin="") if plan is not None and plan.active_on(day) else None

    unread = object()
    try:
        at_start: Any = covered(since)
    except UserError:
        at_start = unread

    def differs(day: date) -> bool:
        try:
            if at_start is unread or covered(day) == at_start:
                return False
            load_coach_settings(day)  # what the new session's coach will load
            return True
        except UserError as exc:
            log.debug("%s; no new session for %s, the coach keeps its settings", exc, day)
            return False

    return differs


# --------------------------------------------------------------------------- the command
#: The title of the notification that says why the monitor did not start.
REFUSED_START_TITLE = "posture-guard: the monitor did not start"


def start_again_text(start_again: Optional[Callable[[], str]]) -> str:
    """The words a refusal on the settings ends with: "then `COMMAND` starts the monitor
    again, or log in again", COMMAND the shell's ``start_again`` (the login entry's unit,
    or its `run` apart from the terminal), or `posture-guard run` without one."""
    command = "posture-guard run"
    if start_again is not None:
        try:
            command = start_again()
        except (OSError, UserError) as exc:  # an entry it cannot read: `run` still starts it
            log.debug("cannot read the login entry: %s", exc)
    return f"then `{command}` starts the monitor again, or log in again"


def tell_refused_start(exc: UserError, start_again: Optional[Callable[[], str]] = None) -> None:
    """Say why the monitor does not start on its settings (``exc`` names config.toml, the
    plan or exercises.toml and its line) as a desktop notification too, and in the log,
    when its error output is not a terminal: the login entry's `run`, whose output an XDG
    entry discards and systemd keeps in a journal nobody reads.

    Why: a file an older version took and this one refuses (config.toml's
    alert_hold_s = 5, below today's 10 s; a hold of 0.5 s in exercises.toml) stopped the
    monitor at the first login after the upgrade, refused for good (exit status 2, not
    started again), and nothing on screen said so: the coaching silently stayed off.
    Both name the command that starts it again once mended (``start_again``, see
    :func:`start_again_text`): `posture-guard run`, typed in a terminal, stopped when the
    terminal closed, and the unit stayed failed until the next login."""
    again = start_again_text(start_again)
    log.info("the monitor did not start: %s; mend it, %s", exc, again)
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            return  # the user reads the refusal in the terminal
    except (ValueError, OSError):  # a closed stream: nobody reads it either
        pass
    from .notify import Message, make_notifier

    try:
        notifier = make_notifier("auto")
    except Exception as exc2:  # no notification library: the log and stderr say it
        log.debug("cannot show why the monitor did not start: %s", exc2)
        return
    body = f"{exc}. Mend it, {again}."
    try:
        notifier.send(Message(title=REFUSED_START_TITLE, body=body, kind="monitor"))
    except Exception as exc2:  # no desktop to show it on: the log and stderr say it
        log.debug("cannot show why the monitor did not start: %s", exc2)
    finally:
        notifier.close()


def older_entry_refreshed(refresh: Optional[Callable[[], Optional[str]]], out: IO[str]) -> bool:
    """Whether this `run`, finding no camera, was started by a login entry an older version
    wrote (``run`` without --wait-for-camera), now written anew by ``refresh`` to wait
    (the shell's :func:`autostart.refresh_older`, which says what it did): then it waits
    for a camera itself, as the entry now has it do.

    Only when its error output is not a terminal (the login entry's, as in
    :func:`tell_refused_start`): a `run` typed in a terminal with no camera exits with 75
    and says so, and the user's own entry files are not touched from there."""
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            return False
    except (ValueError, OSError):  # a closed stream: nobody reads it either
        pass
    if refresh is None:
        return False
    try:
        said = refresh()
    except (OSError, UserError) as exc:
        log.warning("%s", exc)
        return False
    if said is None:
        return False
    log.info("%s", said)
    print(f"posture-guard: {said}", file=out, flush=True)
    return True


def run(
    args: argparse.Namespace,
    make_sinks: SinkFactory,
    *,
    open_camera: Optional[CameraFactory] = None,
    detector: Any = None,
    clock: Clock = STREAM_CLOCK,
    sleep: Optional[Sleep] = None,
    settings: ServiceSettings = ServiceSettings(),
    screen: Optional[ScreenLockProbe] = None,
    start: Optional[datetime] = None,
    out: Optional[IO[str]] = None,
    install_signals: bool = True,
    header: Optional[StreamHeader] = None,
    wall_clock: Optional[Clock] = None,
    camera_absent: Optional[Callable[[], bool]] = None,
    older_entry: Optional[Callable[[], Optional[str]]] = None,
    start_again: Optional[Callable[[], str]] = None,
) -> int:
    """`posture-guard run`: monitor until SIGTERM / Ctrl-C / SIGHUP, riding out camera faults.

    Everything after ``make_sinks`` is injectable for tests; the defaults are the real
    webcam (``--camera``), MediaPipe Pose, :data:`STREAM_CLOCK` and the stop signals' flag.
    ``wall_clock`` is the time of day, watched for being set (then the session ends and
    a new one starts at the new time, as a restart would begin it): ``time.time`` by
    default, and none with a given ``start`` (a test's pretend day, on which the clock
    is never set unless the test sets it). ``camera_absent`` says that no camera exists
    at all (:func:`capture.no_camera_on_this_machine` for the real webcam): then the
    monitor exits with 75, or with ``--wait-for-camera`` waits for one
    (:func:`wait_for_a_camera`), as it does when ``older_entry`` (the shell's) refreshed
    a login entry an older version wrote (:func:`older_entry_refreshed`).
    ``start_again`` (the shell's) names the command that starts it again in what a start
    refused on its settings says (:func:`tell_refused_start`).
    """
    from .classify import Decider
    from .monitor import ConsolePrinter, Pipeline, StopFlag, other_computer_note, resolve_baseline
    from .sampling import SamplingPolicy

    out = out if out is not None else sys.stdout
    logs.setup(getattr(args, "verbose", 0))
    # An instant, not a naive local time: the loop reads the time zone again while it
    # runs (Service.follow_local_zone), and a naive start would move with the zone.
    started = (start or datetime.now()).astimezone()
    if wall_clock is None and start is None:
        wall_clock = time.time
    # Stream time 0 of the first session is this moment, its start: the clock read later
    # (after the pose model and the database opened, seconds on a slow laptop) logged
    # every span and event that much earlier than it was seen.
    t0: Optional[float] = clock()
    monitor_start = started.timestamp()  # what `status` gives as "since", all sessions long
    try:
        # the files as the first session reads them: a later version is taken up
        watch = SettingsWatch(check_s=settings.settings_check_s)
        # nothing is in force yet: a file that does not load is refused here
        try:
            coach = load_coach_settings(started.date())
        except UserError as exc:
            tell_refused_start(exc, start_again)
            raise
        lock = InstanceLock().acquire()
        if camera_absent is None and open_camera is None:
            camera_absent = no_camera_on_this_machine
        waits = bool(getattr(args, "wait_for_camera", False))
        try:
            if camera_absent is not None and not waits and camera_absent():
                waits = older_entry_refreshed(older_entry, out)
            if camera_absent is not None and not waits and camera_absent():
                # Nothing to wait for: no camera exists (not one held by a call). Say so,
                # with the status that asks to be started again: at login a USB webcam or
                # a dock may come later, and the systemd unit restarts this refusal (and
                # no other).
                from .monitor import no_camera_message

                raise TryAgainLater(no_camera_message(int(getattr(args, "camera", 0) or 0)))
            record_plan_at_start(started)  # the plan this monitor coaches by holds from now
        except BaseException:
            # a start that fails leaves no pid behind for the next to "recover"
            lock.release()
            raise
    except UserError:
        logs.shutdown()
        raise
    if lock.recovered_pid:
        print(
            f"posture-guard: recovered the lock of an earlier monitor (pid "
            f"{lock.recovered_pid}) that did not stop cleanly",
            file=out,
        )
    stop = StopFlag()
    if install_signals:
        stop.install()
    if sleep is None:
        sleep = stop.event.wait
    camera_index = int(getattr(args, "camera", 0) or 0)
    if open_camera is None:

        def open_camera() -> FrameSource:
            return CameraSource(camera_index)

    own_detector = detector is None
    pipeline = None
    service: Optional[Service] = None
    try:
        baseline, profile = resolve_baseline(getattr(args, "profile", None), out)
        moved = other_computer_note(profile) if baseline.calibrated else None
        if moved:
            print(moved, file=out)
        prepare_database(paths.database_file(), out=sys.stderr)
        close_left_prompts(out, own=False)
        if waits and camera_absent is not None and camera_absent():
            # every refusal for good is said above, before the wait: the pose model is
            # loaded only once a camera is there
            if wait_for_a_camera(camera_index, camera_absent, sleep, settings, out):
                return 0  # stopped while waiting
            # the monitor starts now, on the day the camera came, with that day's settings
            started = datetime.now().astimezone() if start is None else started
            t0 = clock()
            monitor_start = started.timestamp()
            watch = SettingsWatch(check_s=settings.settings_check_s)
            coach = load_coach_settings(started.date())
        if own_detector:
            from .pose import MediaPipePose

            detector = MediaPipePose()
        source = f"webcam:{camera_index}"
        # replaced by the camera's real geometry each time it opens
        header = header or StreamHeader(640, 480, 30.0, source)
        announced = False
        unused: Optional[tuple[Change, UserError]] = None  # for the new session to tell
        while True:
            session = SessionInfo(
                start=started,
                profile=profile,
                live=True,
                source=source,
                monitor_start=monitor_start,
            )
            sinks: list[Sink] = [ConsolePrinter(out, session.wall)]
            sinks.extend(make_sinks(session, coach))
            pipeline = Pipeline(header, Decider(baseline), sinks, SamplingPolicy())
            service = Service(
                pipeline,
                detector,
                open_camera,
                session,
                clock=clock,
                sleep=sleep,
                settings=settings,
                control_poller=control.ControlPoller(),
                is_quiet=_quiet_rule(coach[0].quiet_hours),
                screen=screen if screen is not None else ScreenLockProbe(),
                wall_clock=wall_clock,
                renew=plan_changes(started.date()),
                t0=t0,
                watch=watch,
                out=out,
                coach=coach,
            )
            if unused is not None:
                service.refuse_settings(*unused)
            t0 = None  # a later session starts when it is made
            if not announced:
                print(
                    f"monitoring camera {camera_index} with profile {profile!r}; "
                    f"log in {logs.log_file()}; Ctrl-C to stop",
                    file=out,
                )
                log.info("monitor started (pid %d, profile %s)", os.getpid(), profile)
                announced = True
            report = service.run()
            if report.clock_set_by is None and report.new_day is None:
                break
            # This session ends where it is, and a new one starts now, as a restart would
            # begin it (the coach keeps its limits in coach.json): after the clock was set,
            # at the new time; at the midnight a plan starts or has ended, with the coach
            # settings of the new day.
            ended, closed = service, pipeline
            service = pipeline = None  # closed once, also when closing fails
            try:
                _end_session(ended, closed, out)
            except UserError as exc:
                # the database held by another program as the session ends: its spans
                # are in the side file, which the next session takes in once it is free
                # (this ended the monitor with exit status 2, "refused for good")
                log.warning("%s", exc)
            moved = report.clock_set_by
            level = logging.WARNING
            if moved is not None and wall_clock is not None:
                started = datetime.fromtimestamp(wall_clock()).astimezone()
                monitor_start += moved  # the same moment, read by the new time
                way = "forward" if moved > 0 else "back"
                message = (
                    f"the clock was set {way} by {control.format_duration(abs(moved))}; "
                    f"monitoring goes on from {started:%Y-%m-%d %H:%M} by the new time"
                )
            else:
                started = ended.wall(ended.now())
                level = logging.INFO
                message = (
                    f"a therapist plan starts or has ended on {started:%Y-%m-%d}: the coach "
                    "follows that day's settings from now"
                )
            log.log(level, "%s", message)
            print(f"posture-guard: {message}", file=out)
            # The new session loads the files as a start would. One that does not load
            # must not stop a monitor left running all day: the settings in force stay,
            # and a version the ended session had not seen is told (once, as its watch
            # tells one).
            seen, watch = watch, SettingsWatch(check_s=settings.settings_check_s)
            try:
                coach, unused = load_coach_settings(started.date()), None
            except UserError as exc:
                coach = ended.coach or coach  # the version it took up, or its first
                change = watch.changed_since(seen)
                unused = (change, exc) if change is not None else None
    finally:
        try:
            try:
                _end_session(service, pipeline, out)
            except KeptAside as exc:
                # the database held by another program as the monitor stops: its spans
                # wait in the side file, taken in at the next open. A stop the user asked
                # for is no refusal: it exits 0 (it was 2, "refused for good", which left
                # the login entry's unit failed), the prompts closed as at any stop
                log.warning("%s", exc)  # on stderr too, as "posture-guard: ..."
            close_left_prompts(out, own=True)
            if own_detector and detector is not None:
                detector.close()
        finally:
            lock.release()
            log.info("monitor stopped")
            logs.shutdown()
    return 0


def wait_for_a_camera(
    index: int,
    camera_absent: Callable[[], bool],
    sleep: Sleep,
    settings: ServiceSettings,
    out: IO[str],
) -> bool:
    """Wait, holding the lock, until a camera exists; True when asked to stop meanwhile.

    Why: the login entry starts ``run --wait-for-camera``. A monitor that exited with 75
    on a machine with no webcam (a laptop whose USB camera or dock is plugged in later,
    or never) was started again by the systemd unit every 30 s all session long, each
    start 1.1 CPU-s of Python and imports and two journal lines: about 130 CPU-s an hour
    for nothing (XDG and Windows entries started it once and it stayed off). Here it
    looks for a camera every ``camera_wait_s`` (a glob of /dev; measured: 0.02 CPU-s in
    2 min of waiting, under 1 CPU-s an hour), without loading the pose model (52 MB
    resident), and `status` says it is waiting."""
    every = settings.camera_wait_s
    reason = (
        f"waiting for a camera to be plugged in: there is none on this machine "
        f"(looked for every {control.format_duration(every)})"
    )
    now = time.time()
    st = ServiceStatus(pid=os.getpid(), at=now, camera="unavailable", reason=reason,
                       camera_since=now)  # fmt: skip
    try:
        control.write_json_atomic(status_file(), st.to_json())
    except OSError as exc:
        log.warning("cannot write the status file: %s", exc)
    message = f"no camera at index {index} yet: {reason}; Ctrl-C to stop"
    log.info("%s", message)
    print(f"posture-guard: {message}", file=out, flush=True)
    while True:  # absent when called: look again after the first wait
        if sleep(every):
            return True
        if not camera_absent():
            break
    log.info("a camera is there now: starting")
    print("posture-guard: a camera is there now: monitoring starts", file=out, flush=True)
    return False


def close_left_prompts(out: IO[str], own: bool) -> None:
    """Close the monitor's prompts with buttons left on screen (:func:`notify.close_prompts`):
    its own as it stops (``own``), or at its start those of a monitor that did not stop
    cleanly. Their buttons would act on a monitor that did not show them, or on none.
    A check-in closed unanswered is named with the commands that answer it: it is not
    asked again, and its day would stay unknown in the diary."""
    from . import notify

    try:
        closed = notify.close_prompts(own)
    except Exception as exc:  # the monitor stops, or starts, all the same
        log.info("could not close the prompts left on screen: %s", exc)
        return
    if not closed:
        return
    whose = (
        "as the monitor stopped"
        if own
        else "at this start (a monitor that did not stop cleanly left it on screen)"
    )
    log.info("closed %d prompt(s) with buttons %s", len(closed), whose)
    for record in closed:
        commands = record.get("commands") or {}
        if record.get("kind") != "checkin" or record.get("answered") or not commands:
            continue
        day = record.get("day") or "its day"
        answers = " or ".join(f"`{c}`" for c in commands.values())
        text = f"the check-in about {day} was closed unanswered {whose}: {answers} answers it"
        log.info("%s", text, extra=logs.FILE_ONLY)
        print(f"posture-guard: {text}", file=out)


def _end_session(service: Optional[Service], pipeline: Any, out: IO[str]) -> None:
    """Let go of the camera, close the sinks at the last analysed frame and print the
    session's totals (of a monitor stopping, or of a session a new one replaces)."""
    from .monitor import print_totals

    if service is not None:
        service.close()
    if pipeline is not None:
        end = service.report.last_t if service is not None else None
        try:
            totals = pipeline.close(end)
        except UserError:
            # the database held by another program (the spans wait in the side file):
            # the session's totals are said all the same (they were left out)
            print_totals(pipeline.totals, out)
            raise
        print_totals(totals, out)


__all__: Sequence[str] = (
    "Conditions",
    "FrameHealth",
    "InstanceLock",
    "ScreenLockProbe",
    "Service",
    "ServiceSettings",
    "check_frame",
    "prepare_database",
    "release_reason",
    "run",
    "running_pid",
    "status_lines",
    "wait_for_a_camera",
)
