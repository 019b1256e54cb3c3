"""What a built wheel ships: every folder of the application that Python can import,
named in pyproject.toml, so setuptools keeps shipping its files (the models, the demo
stream and the exercise library live in posture_guard/data, which holds no code)."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9 and 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_folder_of_the_application_is_a_named_package_with_its_files() -> None:
    tool = _project()["tool"]["setuptools"]
    named = set(tool["packages"])
    for top in ("posture_guard", "calibration"):
        folders = [
            p
            for p in (ROOT / top).rglob("*")
            if p.is_dir() and p.name != "__pycache__" and any(p.iterdir())
        ]
        for folder in [ROOT / top, *folders]:
            dotted = ".".join(folder.relative_to(ROOT).parts)
            assert dotted in named, f"{dotted} is not in [tool.setuptools] packages"
    # posture_guard/data holds no code: every file of it is package data
    data = ROOT / "posture_guard" / "data"
    assert not list(data.glob("*.py"))
    assert tool["package-data"]["posture_guard.data"] == ["*"]
    assert {p.name for p in data.iterdir()} >= {"model-slouch.json.gz", "demo-stream.jsonl.gz"}


def test_the_license_is_an_spdx_expression_the_build_backend_can_read() -> None:
    # A TOML table here is deprecated by setuptools, whose builds refuse it from 2027-02-18.
    project = _project()
    assert project["project"]["license"] == "MIT"
    requires = project["build-system"]["requires"]
    assert any(r.startswith("setuptools>=") and int(r.split(">=")[1]) >= 77 for r in requires)
