"""Where posture_guard keeps the user's data: platform dirs, or ``$POSTURE_GUARD_HOME``.

Everything the app writes lives under these directories: profiles and the config file
under ``config_dir()``, the database under ``data_dir()``, logs under ``log_dir()``,
control/lock files under ``state_dir()``. Setting ``POSTURE_GUARD_HOME`` puts all of them
below one folder, which is how tests keep a user's real data untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Optional, Union

import platformdirs

from .errors import UserError

APP = "posture-guard"
HOME_ENV = "POSTURE_GUARD_HOME"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def _dir(kind: str) -> Path:
    home = _home()
    if home is not None:
        path = home / kind
    else:
        path = Path(getattr(platformdirs, f"user_{kind}_dir")(APP, appauthor=False))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        # mkdir's own words ("File exists", "Not a directory") do not say that a file
        # stands where one of the folders must be, nor which one. Still an OSError, so
        # that callers which ride out a failing disk (the heartbeat) ride this out too.
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        raise type(exc)(
            exc.errno,
            f"a file where posture-guard needs a folder (for its {kind} files: {path})",
            str(blocker),
        ) from None
    return path


def config_dir() -> Path:
    return _dir("config")


def data_dir() -> Path:
    return _dir("data")


def state_dir() -> Path:
    return _dir("state")


def log_dir() -> Path:
    return _dir("log")


def cache_dir() -> Path:
    return _dir("cache")


def config_file() -> Path:
    """The optional TOML config file (settings the user may change)."""
    return config_dir() / "config.toml"


def database_file() -> Path:
    return data_dir() / "posture.sqlite3"


def profiles_dir() -> Path:
    path = config_dir() / "profiles"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a
    partial one (a temporary file beside it, synced, then renamed over it). The folder is
    made if need be. What the system refuses is an OSError; the temporary file is removed
    (see :func:`write_refusal` for the words a user sees)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_refusal(doing: str, path: Path, exc: OSError) -> UserError:
    """``exc`` from :func:`write_atomic` as a UserError naming ``path`` and what to check,
    not the temporary file the OS error names, which would only confuse. ``doing``: e.g.
    "cannot write the control file"."""
    if isinstance(exc, IsADirectoryError):
        why = "it is a folder; remove it and try again"
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
        return Path(a).resolve() == Path(b).resolve()


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
