"""The reports' charts are drawn with matplotlib, which keeps a font cache: it is kept in
posture_guard's own cache folder, private as the rest, unless the user set MPLCONFIGDIR.
matplotlib wrote it to ~/.cache/matplotlib, outside POSTURE_GUARD_HOME, and where the
home could not be written it printed its warnings under every report. Run as the user
runs it, in a process of its own."""

from __future__ import annotations

import os
import stat
from datetime import date, datetime
from pathlib import Path

import pytest

from posture_guard.states import PostureState
from posture_guard.store import Span, Store
from tests.cli_run import posture_guard

DAY = date(2024, 3, 4)


def _report(tmp_path: Path, pg_home: Path, kind: str) -> tuple[int, str]:
    db = tmp_path / "log.sqlite3"
    store = Store.open(db)
    start = datetime(DAY.year, DAY.month, DAY.day, 9).timestamp()
    store.add_spans([Span(PostureState.GOOD, start, start + 3600)])
    store.close()
    out = ["--pdf", str(tmp_path / "r.pdf"), "--therapist"] if kind == "pdf" else []
    out = out or ["--html", str(tmp_path / "r.html")]
    argv = ["report", *out, "--from", str(DAY), "--to", str(DAY), "--db", str(db)]
    old = os.umask(0o022)  # most desktops' umask: matplotlib's own files would be 0644
    try:
        done = posture_guard(argv, pg_home, capture_output=True)
    finally:
        os.umask(old)
    return done.returncode, done.stderr


@pytest.fixture
def unusable_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME no folder can be made in (a file: root writes into a read-only folder)."""
    home = tmp_path / "home-file"
    home.write_text("")
    monkeypatch.setenv("HOME", str(home))
    for name in ("MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_the_font_cache_is_kept_in_posture_guards_cache_folder(
    tmp_path: Path, pg_home: Path, unusable_home: Path, kind: str
) -> None:
    rc, err = _report(tmp_path, pg_home, kind)
    assert rc == 0 and "matplotlib" not in err.lower(), err
    folder = pg_home / "cache" / "matplotlib"
    cached = list(folder.glob("fontlist-*.json"))
    assert cached, sorted(p.name for p in folder.iterdir())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}


def test_an_mplconfigdir_the_user_set_is_kept(
    tmp_path: Path, pg_home: Path, unusable_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "my-matplotlib"
    own.mkdir()
    monkeypatch.setenv("MPLCONFIGDIR", str(own))
    rc, err = _report(tmp_path, pg_home, "html")
    assert rc == 0, err
    assert list(own.glob("fontlist-*.json"))
    assert not (pg_home / "cache" / "matplotlib").exists()
