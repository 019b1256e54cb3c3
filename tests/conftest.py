"""Shared fixtures: an isolated user home, the real media (skipped when absent), a local
time zone with daylight-saving changes, and a real SQLite store."""

from __future__ import annotations

import os
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

SHARED_MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"


@pytest.fixture(autouse=True)
def pg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own POSTURE_GUARD_HOME: no test touches a real user's data."""
    home = tmp_path / "pg-home"
    monkeypatch.setenv("POSTURE_GUARD_HOME", str(home))
    return home


@pytest.fixture
def shared_media() -> Path:
    if not SHARED_MEDIA.is_dir():
        pytest.skip(f"real test media not present at {SHARED_MEDIA} (../shared is absent)")
    return SHARED_MEDIA


@pytest.fixture
def video(shared_media: Path) -> Path:
    """A real upright webcam clip (skipped with a reason when ../shared is absent)."""
    path = shared_media / "frontal_upright_man_intel.gif"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real SQLite store in a scratch folder, closed after the test."""
    from posture_guard.store import Store

    monkeypatch.setenv("POSTURE_GUARD_HOME", str(tmp_path / "home"))
    s = Store.open(tmp_path / "p.sqlite3")
    yield s
    s.close()


@pytest.fixture(scope="session")
def grace_hopper() -> Path:
    """matplotlib's bundled public-domain portrait: a real photo that is always at hand."""
    from matplotlib import cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


@pytest.fixture
def berlin():
    """Local time is Europe/Berlin (clocks go back on 2026-10-25 03:00 -> 02:00, forward on
    2026-03-29), set back to what it was after the test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "Europe/Berlin")
        time.tzset()
        yield ZoneInfo("Europe/Berlin")
    time.tzset()


@pytest.fixture
def fsynced(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, frozenset[str]]]:
    """What the code fsyncs from Python, in order: (the path of each descriptor synced,
    the names in its folder then). The real ``os.fsync`` still runs; this only records,
    since a power cut that would show a folder left unsynced cannot be made in a test.
    Linux only (``/proc/self/fd``)."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc/self/fd to name a synced descriptor")
    real = os.fsync
    seen: list[tuple[Path, frozenset[str]]] = []

    def recording(fd: int) -> None:
        path = Path(os.readlink(f"/proc/self/fd/{fd}"))
        folder = path if path.is_dir() else path.parent
        seen.append((path, frozenset(os.listdir(folder))))
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return seen
