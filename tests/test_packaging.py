"""What a built wheel ships: every folder of the application that Python can import,
named in pyproject.toml, so setuptools keeps shipping its files (the models, the demo
stream and the exercise library live in posture_guard/data, which holds no code)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

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


def test_the_license_text_ships_with_the_package() -> None:
    # MIT asks that its notice go with every copy: the wheel and the sdist had none (the
    # repository had no LICENSE), only the word "MIT" in their metadata.
    files = _project()["project"].get("license-files", [])
    assert files, "pyproject.toml names no license-files, so no license text is shipped"
    for name in files:
        text = (ROOT / name).read_text(encoding="utf-8")
        assert text.startswith("MIT License\n"), name
        assert "The above copyright notice and this permission notice shall be included" in text


# --- the sdist, and the wheel built from it ------------------------------------------------
#: what a fresh clone does not have: left out of the copy the sdist is built from
_NOT_IN_A_CLONE = (
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)


def _build(kind: str, source: Path, out: Path) -> Path:
    """Build an sdist or a wheel of ``source`` into ``out`` with setuptools itself, as pip
    and ``python -m build`` do (in a child process: setuptools works in its cwd)."""
    out.mkdir()
    code = f"import sys; from setuptools import build_meta; build_meta.build_{kind}(sys.argv[1])"
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        cwd=source, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (built,) = out.iterdir()
    return built


def test_the_sdist_builds_a_wheel_that_runs_and_carries_the_tests(tmp_path: Path) -> None:
    # The sdist held tests/test_*.py alone, without conftest.py, the helpers they import and
    # docs/, scripts/, benchmarks/ they read: a packager running them from it met collection
    # errors. The wheel built from the sdist must run on its own files (models, the demo
    # stream, the exercise library), with no source tree beside it.
    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip("building needs setuptools>=77: pip install -e '.[test]'")
    source = tmp_path / "clone"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*_NOT_IN_A_CLONE))
    sdist = _build("sdist", source, tmp_path / "sdist")
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.9.17 and later: no link outside
            tar.extractall(tmp_path / "unpacked", filter="data")
        else:  # pragma: no cover - an older 3.9 or 3.10
            tar.extractall(tmp_path / "unpacked")
        shipped = {Path(*Path(name).parts[1:]) for name in tar.getnames()}
    for folder in ("tests", "docs", "scripts", "benchmarks"):
        missing = {
            p.relative_to(source)
            for p in (source / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        } - shipped
        assert not missing, f"the sdist lacks {sorted(map(str, missing))}"

    (unpacked,) = (tmp_path / "unpacked").iterdir()
    wheel = _build("wheel", unpacked, tmp_path / "wheel")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    data = ROOT / "posture_guard" / "data"
    for path in data.iterdir():
        assert (site / path.relative_to(ROOT)).read_bytes() == path.read_bytes()

    # run from elsewhere, the wheel's files alone importable (not the repository's)
    home = tmp_path / "home"
    env = {**os.environ, "PYTHONPATH": str(site), "HOME": str(home)}
    env["POSTURE_GUARD_HOME"] = str(home / "posture-guard")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env.pop(name, None)
    where = subprocess.run(
        [sys.executable, "-c", "import posture_guard, calibration; print(posture_guard.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert where.stdout.strip() == str(site / "posture_guard" / "__init__.py"), where.stderr
    demo = subprocess.run(
        [sys.executable, "-m", "posture_guard", "demo"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert demo.returncode == 0 and "Traceback" not in demo.stderr, demo.stderr
    assert "coach: " in demo.stdout and "state changes" in demo.stdout


# --- Python 3.9 and 3.10, which requires-python admits ---------------------------------------
#: modules of the standard library that Python 3.9 lacks, and what stands in for each there
NEWER_STDLIB = {"tomllib": "tomli"}


def _python_files() -> list[Path]:
    """Every Python file that runs on the user's or the tester's Python (the tests too:
    ``PYTHON=python3.9 bash scripts/test.sh`` collects them all)."""
    tops = ("posture_guard", "calibration", "benchmarks", "tests")
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py"))


def _version_guarded(tree: ast.AST) -> set[int]:
    """The ids of the nodes under an ``if sys.version_info >= ...:`` branch."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "version_info" in ast.unparse(node.test):
            guarded.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return guarded


def test_modules_newer_than_python_3_9_are_imported_only_where_the_version_has_them() -> None:
    # tests/test_config.py imported tomllib outright: on Python 3.9 and 3.10 the test command
    # stopped collecting with "No module named 'tomllib'", every other file passing.
    unguarded = []
    for path in _python_files():
        text = path.read_text(encoding="utf-8")
        if not any(name in text for name in NEWER_STDLIB):
            continue  # most files: parsed only where they name such a module
        tree = ast.parse(text, str(path))
        guarded = _version_guarded(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                if name.split(".")[0] in NEWER_STDLIB and id(node) not in guarded:
                    unguarded.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert unguarded == [], "without an `if sys.version_info >= (3, 11):` guard: " + "; ".join(
        unguarded
    )


def test_python_3_9_and_3_10_read_the_toml_that_3_11_and_3_12_read() -> None:
    # tomli 2.4 and later read TOML 1.1, the tomllib of Python 3.11 and 3.12 TOML 1.0: on
    # Python 3.9 `checkin_time = 17:30` (no quotes) was taken, and the same config.toml was
    # refused on 3.11 ("17:30 is text, which TOML takes in quotes"); a plan written on one
    # machine could be refused on the patient's. Pinned, every Python reads TOML 1.0.
    from packaging.requirements import Requirement

    tomli = [
        req
        for req in map(Requirement, _project()["project"]["dependencies"])
        if req.name == "tomli"
    ]
    assert len(tomli) == 1
    (req,) = tomli
    for python, needs in (("3.9", True), ("3.10", True), ("3.11", False), ("3.12", False)):
        assert req.marker is not None and req.marker.evaluate({"python_version": python}) == needs
    assert req.specifier.contains("2.3.2") and not req.specifier.contains("2.4.0")
    if sys.version_info < (3, 11):  # pragma: no cover - Python 3.9 and 3.10
        import tomli as installed

        with pytest.raises(installed.TOMLDecodeError):
            installed.loads("checkin_time = 17:30\n")


# --- scripts/quickstart.sh on a fresh machine ----------------------------------------------
# The script is run for real by bash, against stand-ins for python3 and for what pip would
# install (no network, no real venv): each stand-in notes its command line in a log.

_VENV_PYTHON = """#!/bin/bash
# the stand-in of a working .venv/bin/python (Python {version}, with pip)
if [ "$1" = -c ]; then echo {version}; exit 0; fi
echo "venv-python $*" >> "$STUB_LOG"
"""
_POSTURE_GUARD = """#!/bin/bash
echo "posture-guard $*" >> "$STUB_LOG"
echo "$PWD" > "$STUB_LOG.cwd"
"""
_SYSTEM_PYTHON = """#!/bin/bash
# the stand-in of python3 {version}: answers the version question and makes a venv
if [ "$1" = -c ]; then echo {version}; exit 0; fi
if [ "$1 $2" = "-m venv" ]; then
  dir="${{@: -1}}"
  echo "made venv: $*" >> "$STUB_LOG"
  rm -rf "$dir" && mkdir -p "$dir/bin"
  cp "$(dirname "$0")/venv-python" "$dir/bin/python"
  cp "$(dirname "$0")/posture-guard" "$dir/bin/posture-guard"
  exit 0
fi
exit 3
"""


def _write_exe(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


def _quickstart(tmp_path: Path, python_version: str, *args: str, cwd: Path | None = None):
    """Run a copy of scripts/quickstart.sh with ``PYTHON`` a stand-in of that version."""
    import subprocess

    repo = tmp_path / "repo"
    for name in ("quickstart.sh", "venv.sh"):
        target = repo / "scripts" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / "scripts" / name).read_bytes())
    stubs = tmp_path / "stubs"
    _write_exe(stubs / "venv-python", _VENV_PYTHON.format(version=python_version))
    _write_exe(stubs / "posture-guard", _POSTURE_GUARD)
    python = _write_exe(stubs / "python3", _SYSTEM_PYTHON.format(version=python_version))
    log = tmp_path / "log"
    log.write_text("", encoding="utf-8")  # this run's commands only
    env = {"PATH": "/usr/bin:/bin", "PYTHON": str(python), "STUB_LOG": str(log)}
    done = subprocess.run(
        ["bash", str(repo / "scripts" / "quickstart.sh"), *args],
        env=env, capture_output=True, text=True, timeout=60, cwd=cwd,
    )  # fmt: skip
    return done, log.read_text(encoding="utf-8").splitlines(), repo


def test_quickstart_remakes_a_venv_left_without_pip(tmp_path: Path) -> None:
    # What Debian's python3 leaves behind without python3-venv: a .venv whose Python has
    # no pip. Once python3-venv is installed, the next run must work, not fail forever.
    broken = "#!/bin/bash\necho 'No module named pip' >&2\nexit 1\n"
    _write_exe(tmp_path / "repo" / ".venv" / "bin" / "python", broken)
    done, log, _ = _quickstart(tmp_path, "3.11", "status")
    assert done.returncode == 0, done.stderr
    assert "has no working pip" in done.stdout
    assert log[0].startswith("made venv: -m venv --clear")
    assert "venv-python -m pip install -q -e ." in log
    assert log[-1] == "posture-guard status"


def test_quickstart_follows_python_to_another_version(tmp_path: Path) -> None:
    # A .venv of another Python made by an earlier run would ignore PYTHON=python3.12.
    older = _VENV_PYTHON.format(version="3.13")
    _write_exe(tmp_path / "repo" / ".venv" / "bin" / "python", older)
    done, log, _ = _quickstart(tmp_path, "3.12", "status")
    assert done.returncode == 0, done.stderr
    assert "runs Python 3.13" in done.stdout
    assert log[0].startswith("made venv") and log[-1] == "posture-guard status"
    # ... and one of the right version is kept as it is.
    done, log, _ = _quickstart(tmp_path, "3.12", "status")
    assert done.returncode == 0 and not any(line.startswith("made venv") for line in log)


def test_quickstart_runs_the_command_from_the_callers_folder(tmp_path: Path) -> None:
    # bash ~/posture_guard/scripts/quickstart.sh report --html r.html, typed in another
    # folder, must write r.html there, not into the repository: the install happens from
    # the repository's root, the command runs where the user called it from.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done, log, repo = _quickstart(tmp_path, "3.11", "report", "--html", "r.html", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert log[-1] == "posture-guard report --html r.html"
    assert Path(f"{tmp_path / 'log'}.cwd").read_text(encoding="utf-8").strip() == str(elsewhere)
    assert any(line.startswith("venv-python -m pip install -q -e .") for line in log)


def test_quickstart_refuses_a_python_mediapipe_has_no_wheel_for(tmp_path: Path) -> None:
    done, log, repo = _quickstart(tmp_path, "3.13")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: posture-guard needs Python 3.9-3.12 and {tmp_path / 'stubs' / 'python3'} is "
        f"3.13; name another: PYTHON=python3.12 bash {repo / 'scripts' / 'quickstart.sh'}"
    )
    assert log == [] and not (repo / ".venv").exists()


def test_quickstart_without_a_webcam_runs_the_demo(tmp_path: Path) -> None:
    if list(Path("/dev").glob("video*")):
        pytest.skip("this machine has a /dev/video device")
    done, log, _ = _quickstart(tmp_path, "3.9")
    assert done.returncode == 0, done.stderr
    assert "no webcam found: running the demo instead" in done.stdout
    assert log[-1] == "posture-guard demo"
