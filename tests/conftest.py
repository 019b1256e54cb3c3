"""Shared fixtures: an isolated user home, and the real media (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture(scope="session")
def grace_hopper() -> Path:
    """matplotlib's bundled public-domain portrait: a real photo that is always at hand."""
    from matplotlib import cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
