"""Where posture_guard keeps the user's data: platform dirs, or ``$POSTURE_GUARD_HOME``.

Everything the app writes lives under these directories: profiles and the config file
under ``config_dir()``, the database under ``data_dir()``, logs under ``log_dir()``,
control/lock files under ``state_dir()``. Setting ``POSTURE_GUARD_HOME`` puts all of them
below one folder, which is how tests keep a user's real data untouched.

They hold health data (the headache diary, posture logs), so they are the user's alone:
folders 0700 and files 0600 whatever the umask, which on a shared machine is usually 022
and would let every other user read them. Folders and files left readable by an earlier
version are tightened, quietly, the first time a process opens any of them.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Optional, TextIO, Union

import platformdirs

from .errors import UserError

APP = "posture-guard"
HOME_ENV = "POSTURE_GUARD_HOME"

#: The modes of what the app keeps: its owner's alone (POSIX; Windows ignores them).
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

#: The kinds of folder the app keeps (``config_dir()`` and so on).
KINDS = ("config", "data", "state", "log", "cache")

#: The sets of folders this process has made private (one walk each, not one per call).
_tightened: set[tuple[Path, ...]] = set()


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def _where(kind: str) -> Path:
    home = _home()
    if home is not None:
        return home / kind
    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP, appauthor=False))


def _dir(kind: str) -> Path:
    path = _where(kind)
    _make_folder(path, f"{kind} files")
    _tighten_existing()
    return path


def _make_folder(path: Path, what: str) -> None:
    """Make the app's folder ``path`` (for its ``what``), private, with those above it."""
    try:
        path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        # mkdir's own words ("File exists", "Not a directory") do not say that a file
        # stands where one of the folders must be, nor which one. Still an OSError, so
        # that callers which ride out a failing disk (the heartbeat) ride this out too.
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        link = next((p for p in (path, *path.parents) if p.is_symlink() and not p.exists()), None)
        stands, then = "a file where posture-guard needs a folder", ""
        if link is not None:
            # a folder kept elsewhere (a dotfiles repository, another drive) and linked
            # here, its link now leading nowhere: it read "a file where posture-guard
            # needs a folder", and no file was there
            blocker, stands = link, f"{dangling_link(link)}, where posture-guard needs a folder"
            then = f"; {MEND_LINK}"
        raise type(exc)(
            exc.errno, f"{stands} (for its {what}: {path}){then}", str(blocker)
        ) from None


#: What to do about a link of the user's that leads to nothing (see :func:`dangling_link`).
MEND_LINK = "a drive not mounted, or a folder moved? mount or restore it, or mend the link"


def dangling_link(path: Path) -> str:
    """A link that leads to nothing, named: "a link to TARGET, which is not there". For
    the user's own files kept elsewhere and linked into the app's folders, which after a
    move to another computer lead to the old one's paths."""
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return f"a link to {target}, which is not there"


def refuse_dangling_link(path: Path, what: str) -> None:
    """Raise a UserError when ``path`` (the user's ``what``) is a link that leads to
    nothing: taken for a file not there, it was passed over without a word."""
    if path.is_symlink() and not path.exists():
        raise UserError(f"{what} {path} is {dangling_link(path)} ({MEND_LINK})")


def _tighten_existing() -> None:
    """Once per process (and ``POSTURE_GUARD_HOME``): make every one of the app's
    folders that exists private, so that an upgrade tightens them all at the first
    command run, not each only when some command happens to need it."""
    folders = tuple(_where(kind) for kind in KINDS)
    if folders in _tightened:
        return
    _tightened.add(folders)
    for folder in folders:
        try:
            if folder.is_dir():
                tighten(folder)
        except OSError:
            pass  # a folder that may not be looked into: the command that needs it says so


def _make_private(path: Path, mode: int) -> None:
    """Take group and other permissions away from ``path`` (not a link) if it has any."""
    try:
        st = path.lstat()
        if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & mode)
    except OSError:
        pass  # not ours (a file left by `sudo`), or gone: nothing to do that we may do


def tighten(folder: Path) -> None:
    """Make ``folder`` (one of the app's own) and everything in it private.

    An earlier version left them as the umask made them (0755 folders, 0644 files). Links
    are left alone and not followed (a config file kept in a dotfiles repository stays
    as it is there); what cannot be changed (a file owned by root) is skipped, quietly:
    inside a 0700 folder no one else reaches it anyway. Only on POSIX: Windows keeps
    its own access lists and would read the modes as "read-only or not".
    """
    if os.name != "posix":
        return
    _make_private(folder, PRIVATE_DIR)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            _make_private(Path(root, name), PRIVATE_DIR)
        for name in files:
            _make_private(Path(root, name), PRIVATE_FILE)


def create_private(path: Union[str, Path]) -> None:
    """Create ``path``, empty and 0600, if it does not exist; a file that does is left as
    it is (contents and mode). For files a library opens itself (sqlite, gzip, a PDF
    writer, an image encoder), which would make them 0666 less the umask: the library
    then opens a file that exists and keeps its mode."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))


def private_opener(path: str, flags: int) -> int:
    """``opener`` for :func:`open` that creates a missing file 0600 instead of 0666 less
    the umask; a file that exists keeps its mode (``tighten`` sees to the app's own)."""
    return os.open(path, flags, PRIVATE_FILE)


def config_dir() -> Path:
    return _dir("config")


def data_dir() -> Path:
    return _dir("data")


def state_dir() -> Path:
    return _dir("state")


def log_dir(make: bool = True) -> Path:
    """The log folder; ``make=False`` names it without making it, for a command that only
    says where the logs go (`autostart status` and `disable` in a read-only home were
    refused, "log: Permission denied", and the login entry could not be turned off)."""
    return _dir("log") if make else _where("log")


def cache_dir() -> Path:
    return _dir("cache")


#: The variable that tells matplotlib where to keep its settings and its font cache.
MATPLOTLIB_ENV = "MPLCONFIGDIR"


def matplotlib_folder() -> Optional[Path]:
    """Point matplotlib (the reports' charts) at a folder of posture_guard's cache, unless
    the user has set ``MPLCONFIGDIR``; call before matplotlib is imported. The folder set
    here, else None.

    Why: matplotlib kept its font cache in ~/.cache/matplotlib, outside posture_guard's
    folders (so outside ``POSTURE_GUARD_HOME`` too), and where the home cannot be written
    it printed three lines of warnings ("Matplotlib created a temporary cache directory
    ...") under every report. Where posture_guard's own cache cannot be made either, a
    private temporary folder, removed at exit, takes its place, without a word: the
    report needs no cache, only to be written."""
    if os.environ.get(MATPLOTLIB_ENV) or "matplotlib" in sys.modules:
        return None  # the user's choice; or too late, matplotlib has found its folder
    try:
        folder = cache_dir() / "matplotlib"
        _make_folder(folder, "charts' font cache")
    except OSError:
        import atexit
        import shutil

        folder = Path(tempfile.mkdtemp(prefix="posture-guard-matplotlib-"))  # 0700
        atexit.register(shutil.rmtree, folder, True)
    os.environ[MATPLOTLIB_ENV] = str(folder)
    return folder


#: The names of the files the app keeps in its folders (see :func:`own_files`).
CONFIG_NAME = "config.toml"
DATABASE_NAME = "posture.sqlite3"
ACTIVE_PLAN_NAME = "plan.toml"


def config_file() -> Path:
    """The optional TOML config file (settings the user may change)."""
    return config_dir() / CONFIG_NAME


def database_file() -> Path:
    return data_dir() / DATABASE_NAME


def own_files() -> dict[str, Path]:
    """The user's files that no output may name, even with ``--force``, by what a refusal
    calls them: the database (the posture log and the headache diary), the active plan
    and config.toml. Where they are kept, without making their folders: a command that
    only writes its output (``record``) makes none. ``demo --states-out DB`` and
    ``record --landmarks-out DB --force`` wrote over the whole database."""
    config = _where("config")
    return {
        "the database": _where("data") / DATABASE_NAME,
        "the active plan": config / ACTIVE_PLAN_NAME,
        "the config file": config / CONFIG_NAME,
    }


def profiles_dir() -> Path:
    path = config_dir() / "profiles"
    # a file named "profiles" read only "profiles: File exists", from calibrate too
    _make_folder(path, "calibration profiles")
    return path


def sync_folder(folder: Path) -> None:
    """Put ``folder``'s own entries on the disk: a file just created or renamed in it
    keeps its name after a power cut. Why: on POSIX a file's fsync syncs its contents, not
    the folder entry that names it, so a synced file could still vanish, or the rename
    over the old one be undone. Where a folder cannot be opened or synced (Windows, some
    file systems) nothing is done: the file itself is written all the same."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a
    partial one (a temporary file beside it, synced, then renamed over it, and the folder
    synced so that the rename outlasts a power cut). ``durable=False`` skips both syncs,
    for a file rewritten every few seconds that a power cut makes stale anyway (the
    monitor's heartbeat): two disk flushes every 10 s all day would buy nothing. The
    folder is made if need be. What the system refuses is an OSError; the temporary file
    is removed (see :func:`write_refusal` for the words a user sees). The file is 0600
    (``mkstemp``'s mode), whatever the mode of the file it replaces."""
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        sync_folder(path.parent)


def folder_in_place(what: str, path: Path, then: str, expected: str = "a file") -> UserError:
    """The refusal when a folder stands where the user's ``what`` (config file, exercise
    library, active plan) goes: "Is a directory" from the OS named the path twice or was
    blamed on a damaged file. The folder is the user's to move (it may hold anything),
    never the app's to remove; ``then`` says what holds meanwhile."""
    return UserError(f"{what} {path} is a folder, not {expected}; move it away ({then})")


def write_refusal(doing: str, path: Path, exc: OSError) -> UserError:
    """``exc`` from :func:`write_atomic` as a UserError naming ``path`` and what to check,
    not the temporary file the OS error names, which would only confuse. ``doing``: e.g.
    "cannot write the control file". A folder in the way is the user's to move, as
    :func:`folder_in_place` says, not to remove (it may hold anything)."""
    if isinstance(exc, IsADirectoryError):
        why = "it is a folder, not a file; move it away"
    elif isinstance(exc, PermissionError):
        why = f"permission denied; check the permissions of the folder {path.parent}"
    elif isinstance(exc, (FileExistsError, NotADirectoryError)):
        why = f"a file stands where the folder {path.parent} (or one above it) must be"
    else:
        why = exc.strerror or str(exc)
    return UserError(f"{doing} {path}: {why}")


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two names lead to one file (the same name, ``./x`` and ``x``, a link)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would be
        try:
            return Path(a).resolve() == Path(b).resolve()
        except RuntimeError:  # a symbolic link loop: it leads to no file, let alone b
            # (Path.resolve raised it through every output option: "internal error")
            return False


def refuse_same_file(
    output: Optional[Union[str, Path]],
    option: str,
    inputs: Mapping[str, Optional[Union[str, Path]]],
) -> None:
    """Stop before ``output`` is opened if it is one of the ``inputs`` (option -> path).

    Opening a file for writing empties it, so a repeated or swapped name would destroy
    the recording, the database, the plan or the other report the command is about to
    read or write.
    """
    if not output:
        return
    for name, path in inputs.items():
        if path and same_file(output, path):
            raise UserError(
                f"{option} {output} is the same file as {name} {path}, which writing it "
                "would destroy; choose another name for the output"
            )


#: The name that stands for standard output, as it does for most commands that write a
#: file: ``replay --states-out -`` wrote a file named "-".
STANDARD_OUTPUT = "-"


#: The names of descriptor 1, which name no file while it is closed.
_STDOUT_NAMES = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


def is_standard_output(path: str | Path, option: str) -> bool:
    """Whether an output option names standard output: ``-``, /dev/stdout, or the file
    standard output is redirected to.

    One closed when the command started (``>&-``) is refused: descriptor 1 is then the
    first file the command opened itself, and /dev/stdout that file. ``replay --landmarks
    REC --states-out /dev/stdout >&-`` wrote the states over the recording it replayed."""
    path = str(path)
    closed = sys.__stdout__ is None  # Python's word for a descriptor 1 closed at its start
    if not (path == STANDARD_OUTPUT or is_stdout(path) or (closed and path in _STDOUT_NAMES)):
        return False
    if closed:
        raise UserError(
            f"{option} {path} is standard output, which is closed (the command was started "
            "with >&-); name a file to write"
        )
    return True


def standard_output(what: str, instead: str) -> TextIO:
    """Standard output, for a command whose product is printed there (``plan new``
    without a file, ``plan example``). Refused while it is closed (``>&-``), saying
    ``what`` goes there and, in ``instead``, how else to get it: Python then sets
    ``sys.stdout`` to None, and both commands ended in "internal error"."""
    if sys.stdout is None:
        raise UserError(
            f"{what} goes to standard output, which is closed (the command was started "
            f"with >&-); {instead}"
        )
    return sys.stdout


def is_stdout(path: str) -> bool:
    """Whether ``path`` is the file standard output (descriptor 1) goes to: /dev/stdout,
    /dev/fd/1, or a file it is redirected to; False where either cannot be looked at."""
    try:
        stream, stdout = os.stat(path), os.fstat(1)
    except OSError:
        return False
    return (stream.st_dev, stream.st_ino) == (stdout.st_dev, stdout.st_ino)


def check_output(path: str | Path, option: str) -> None:
    """Refuse an output file that cannot be written, before the command does its work:
    a folder, a folder on the way that does not exist, one not writable, a link loop.
    ``report --html r.html --csv FOLDER`` wrote the page, said so, then failed on the CSV;
    ``plan new FOLDER`` said it "already exists; add --force", which then failed too.
    ``option`` names the output in the message (``--csv``, ``plan file``). Standard
    output passes (:func:`is_standard_output`). As ``assess --out`` checks its file."""
    if is_standard_output(path, option):
        return
    given = Path(path)
    try:
        mode: Optional[int] = given.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # a link loop, a file named as a folder on the way
        raise UserError(f"cannot write {option} {path}: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise UserError(f"{option} {path} is a folder; give a file name")
    exists = mode is not None
    # where the file would be made: a dangling link makes its target, in its own folder
    folder = Path(os.path.realpath(given)).parent if given.is_symlink() else given.parent
    if not exists and not folder.is_dir():
        raise UserError(f"cannot write {option} {path}: the folder {folder} does not exist")
    if not os.access(given if exists else folder, os.W_OK):
        why = "the file is read-only to you" if exists else f"the folder {folder} is not writable"
        raise UserError(f"cannot write {option} {path}: {why}")


@contextmanager
def open_output(
    path: str | Path,
    option: str,
    what: str,
    newline: Optional[str] = None,
    binary: bool = False,
) -> Iterator[IO[Any]]:
    """The file an output option (``report --csv``, ``--html``; ``--pdf`` with ``binary``)
    names, open to write (UTF-8 text, or bytes), 0600 if made here; standard output for
    ``-`` (or /dev/stdout), as ``replay --states-out -`` and ``record --landmarks-out -``
    take it: a file named "-" was written. Standard output is written where it goes, not
    opened again by name (that would empty a file it appends to). What the system
    refuses is a UserError naming ``what`` and ``path``. One function for text and
    bytes, so that the PDF goes to standard output, and is refused, as the CSV is.

    A file is written whole or not at all: into a temporary file beside it, renamed over
    it once complete (:func:`_beside`). A command stopped part way (Ctrl-C, SIGTERM from
    ``timeout`` or a shutdown, a full disk) left the part written: a therapist PDF cut
    off after its first pages, which the next run refused to replace without --force,
    or the earlier report it was written over, emptied."""
    mode, text = ("wb", {}) if binary else ("w", {"encoding": "utf-8", "newline": newline})
    if is_standard_output(path, option):
        shown = "standard output" if str(path) == STANDARD_OUTPUT else str(path)
        if sys.stdout is not None:
            sys.stdout.flush()  # what was printed before goes first
        try:
            with open(os.dup(1), mode, **text) as fh:
                yield fh
        except BrokenPipeError:
            # its reader has what it wanted (`report --csv - | head -1`): nothing is wrong,
            # as for every other output (see cli._handle); it exited 2, "Broken pipe"
            raise
        except OSError as exc:
            raise UserError(f"cannot write {what} to {shown}: {exc.strerror or exc}") from None
        return
    made = not Path(path).exists()
    with _beside(path) as (temporary, kept):
        try:
            fh = open(temporary, mode, opener=private_opener, **text)
        except OSError as exc:
            raise UserError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
        try:
            with fh:
                yield fh
                if temporary != path:
                    fh.flush()
                    _synced(fh.fileno())
            if temporary != path:
                os.replace(temporary, os.path.realpath(path))
        except OSError as exc:
            left = kept if temporary != path else discard_partial(path, made)
            raise UserError(f"cannot write {what} {path}: {exc.strerror or exc}{left}") from None


def _synced(fd: int) -> None:
    """Put a file's contents on the disk before it is renamed over the old one (else a
    power cut could leave the new name on an empty file). A file system that cannot
    sync (EINVAL, ENOTSUP: some network and FUSE mounts) writes the file all the same;
    a failed write it reports (no space, an I/O error) is raised."""
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.ENOSYS):
            raise


@contextmanager
def _beside(path: str | Path) -> Iterator[tuple[str | Path, str]]:
    """The name to write ``path``'s new contents under, and the words that say, if the
    write fails, that ``path`` is as it was ("" when it did not exist).

    A temporary file in the folder of the file ``path`` names (a link's target, which
    stays a link), with the mode of the file it replaces; removed unless renamed over it
    (by :func:`open_output`), also when SIGTERM or SIGHUP end the command meanwhile,
    which then ends by that signal all the same. ``path`` itself where there is no file
    to rename over (a device, a pipe: ``--pdf >(lpr)``) or the folder takes no new file
    (a file writable in a folder that is not): that is written in place, as before."""
    real = os.path.realpath(path)
    try:
        st: Optional[os.stat_result] = os.stat(real)
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        yield path, ""
        return
    made: list[str] = []

    def stopped(signum: int, frame: Any) -> None:
        for name in made:
            try:
                os.unlink(name)
            except OSError:
                pass
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    caught = {}
    held: Any = None  # signals held while the temporary file is made, not yet known
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            kind = getattr(signal, name, None)
            if kind is not None and signal.getsignal(kind) == signal.SIG_DFL:
                caught[kind] = signal.signal(kind, stopped)
        held = getattr(signal, "pthread_sigmask", None)  # POSIX
    try:
        folder, name = os.path.split(real)
        if held is not None:
            before = held(signal.SIG_BLOCK, {signal.SIGINT, *caught})
        try:
            fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            made.append(temporary)
        except OSError:
            fd = -1
        finally:
            if held is not None:
                held(signal.SIG_SETMASK, before)  # one that came meanwhile acts now
        if fd < 0:
            yield path, ""
            return
        os.close(fd)
        if st is not None:
            try:
                os.chmod(temporary, stat.S_IMODE(st.st_mode))  # --force keeps its mode
            except OSError:
                pass
        yield temporary, "" if st is None else f"; {path} is left as it was"
    finally:
        for name in made:
            try:
                os.unlink(name)
            except OSError:
                pass  # renamed over the file: nothing left to remove
        for kind, handler in caught.items():
            signal.signal(kind, handler)


def discard_partial(path: str | Path, made: bool) -> str:
    """After a write cut short (a full disk, a file size limit): remove the file if this
    command ``made`` it, as the user is told nothing was written (the part written stayed:
    ``config new`` then refused to write the example again over "your settings"); else
    the words that say an existing file is left incomplete ("" for a device such as
    /dev/full, which is never removed). A dangling link made its target: that goes."""
    if made:
        try:
            Path(os.path.realpath(path)).unlink(missing_ok=True)
        except OSError:
            pass  # the folder may not be written in now: the message names the file
        return ""
    return f"; {path} is left incomplete" if Path(path).is_file() else ""


_TOML_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)$")
_TOML_HEADER = re.compile(r"\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_TOML_KEY = re.compile(r"\s*([^\s=#\[][^=]*?)\s*=")


_TOML_LONG_NUMBER = re.compile(r"\d(?:_?\d){4300}")


def load_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads(text)``, every refusal a ``TOMLDecodeError`` that the loaders of
    config.toml, exercises.toml and plans name as not valid TOML.

    tomllib lets two other errors out: a ValueError for a whole number longer than the
    4300 digits Python turns from text, and a RecursionError for arrays or tables nested
    a thousand deep. Both stopped ``config``, ``run`` and ``plan import`` with "internal
    error" (the first also told the user to call ``sys.set_int_max_str_digits()``)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raise
    except ValueError:
        lines = text.splitlines()
        at = next((n for n, line in enumerate(lines, 1) if _TOML_LONG_NUMBER.search(line)), 0)
        where = f"line {at}: " if at else ""
        raise tomllib.TOMLDecodeError(
            f"{where}a number of more than 4300 digits, longer than any setting takes"
        ) from None
    except RecursionError:
        raise tomllib.TOMLDecodeError(
            "arrays or tables nested too deep for a reader to hold"
        ) from None


def toml_problem(text: str, error: ValueError) -> str:
    """What is wrong with the TOML ``text`` that tomllib refused with ``error``: its own
    message, except for a key or a table given twice. tomllib calls that "Cannot
    overwrite a value (at line 4, column 22)", pointing past the end of the value and
    naming no key, so a user looked for a fault in the value. Said now: "line 4:
    break_after_s is given twice in [coach] (first on line 2); keep one"."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib

    message = str(error)
    lines = text.splitlines()
    at = _TOML_AT_LINE.search(message)
    if not (message.startswith("Cannot overwrite a value") or "twice" in message):
        return _unquoted_text(lines, int(at.group(1)) if at else 0, tomllib.loads) or message
    end = min(int(at.group(1)), len(lines)) if at else len(lines)  # "at end of document"
    # the statement that failed starts on the last line up to ``end`` that begins one
    # after a valid prefix (a value may span lines: the error is where it ends)
    start = 0
    for number in range(end, 0, -1):
        line = lines[number - 1]
        if not (_TOML_HEADER.match(line) or _TOML_KEY.match(line)):
            continue
        try:
            tomllib.loads("\n".join(lines[: number - 1]))
        except ValueError:
            continue
        start = number
        break
    if not start:
        return message
    table, table_line = "", 0  # the header the statement is under, and its line
    for number in range(start - 1, 0, -1):
        if header := _TOML_HEADER.match(lines[number - 1]):
            table, table_line = _header_text(header), number
            break
    if header := _TOML_HEADER.match(lines[start - 1]):
        name = _header_text(header)
        first = [
            n
            for n in range(1, start)
            if (h := _TOML_HEADER.match(lines[n - 1]))
            and h.group(1) == header.group(1)
            and _dotted(h.group(2)) == _dotted(header.group(2))
        ]
        if first:
            return f"line {start}: table {name} is given twice (first on line {first[0]}); keep one"
        return f"line {start}: table {name} is given over a key of that name set before"
    keyed = _TOML_KEY.match(lines[start - 1])
    assert keyed is not None  # the loop above found a header or a key there
    key = _dotted(keyed.group(1))
    where = f" in {table}" if table else ""
    first = [
        n
        for n in range(table_line + 1, start)
        if (k := _TOML_KEY.match(lines[n - 1]))
        and _dotted(k.group(1)) == key
        and not _TOML_HEADER.match(lines[n - 1])
    ]
    if first:
        return f"line {start}: {key} is given twice{where} (first on line {first[0]}); keep one"
    return f"line {start}: {key} sets a key already given{where}"


_TOML_BARE = re.compile(r"\s*([A-Za-z0-9_\-]+)\s*=\s*([^\s\"'\[{#][^#]*?)\s*(#.*)?$")


def _unquoted_text(lines: list[str], number: int, loads: Any) -> Optional[str]:
    """ "line 2: 45m is text, which TOML takes in quotes: break_after_s = "45m"" for a
    line ``number`` whose value is text typed without quotes, else None.

    Why: a duration or a time copied from the README without its quotes
    (``break_after_s = 45m``, ``checkin_time = 17:30``) was refused as "Expected newline
    or end of document after a statement (at line 2, column 19)", which says neither."""
    if not 0 < number <= len(lines):
        return None
    bare = _TOML_BARE.match(lines[number - 1])
    if bare is None:
        return None
    key, value = bare.group(1), bare.group(2)
    quoted = f'{key} = "{value}"'
    for candidate, should_load in ((lines[number - 1], False), (quoted, True)):
        try:
            loads(candidate)
        except ValueError:
            if should_load:
                return None
        else:
            if not should_load:
                return None  # the line alone is valid: the fault is elsewhere
    return f"line {number}: {value} is text, which TOML takes in quotes: {quoted}"


def _header_text(header: re.Match[str]) -> str:
    """A table header as "[coach]" or "[[exercise]]", whatever spaces it was typed with."""
    brackets = header.group(1)
    return f"{brackets}{_dotted(header.group(2))}{brackets.replace('[', ']')}"


def _dotted(key: str) -> str:
    """A TOML key as written, with no spaces around its dots ("a . b" is "a.b")."""
    return re.sub(r"\s*\.\s*", ".", key.strip())


def config_text(raw: bytes, what: str) -> str:
    """The text of a TOML file of the config folder (config.toml, exercises.toml).

    A byte order mark is not part of the text: Windows editors (Notepad's "UTF-8 with
    BOM") write one, and TOML refused the file as an "Invalid statement (at line 1,
    column 1)" that no editor shows (a plan is read the same way, see
    ``plan.parse_plan_text``). A file saved as UTF-16 is named so, with what to do: the
    decoder's "can't decode byte 0xff in position 0" said neither."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UserError(f"{what} is saved as UTF-16; save it as UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # named by its line and byte, with what to do: a file saved by a Windows editor
        # as "ANSI" (Windows-1252: "# für Jürgen" in a comment) said only "is not UTF-8
        # text (invalid start byte at byte 26)", a place no editor shows
        text = bytes(exc.object)  # after a byte order mark, which exc.start counts from
        line = text.count(b"\n", 0, exc.start) + 1
        # in characters, as an editor counts them: what comes before it is UTF-8
        column = len(text[text.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode()) + 1
        raise UserError(
            f"{what} line {line} is not UTF-8 text (byte 0x{text[exc.start]:02x} at column "
            f"{column}: saved as ANSI, Windows-1252 or Latin-1?); save it as UTF-8"
        ) from None
