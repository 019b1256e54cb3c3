"""Where posture_guard keeps the user's data: platform dirs, or ``$POSTURE_GUARD_HOME``.

Everything the app writes lives under these directories: profiles and the config file
under ``config_dir()``, the database under ``data_dir()``, logs under ``log_dir()``,
control/lock files under ``state_dir()``. Setting ``POSTURE_GUARD_HOME`` puts all of them
below one folder, which is how tests keep a user's real data untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

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
