"""The README's code map is the import structure: each layer of modules imports only the
layers above it, so the posture decision never learns that a camera, a coach or a report
exists. The layers are read from the README's table, so the map and the code cannot drift
apart unnoticed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "posture_guard"

#: Command handlers that import a later layer when called, as the README says: `pause`,
#: `snooze`, `resume` and `status` ask the service whether a monitor runs; `status` prints
#: the day.
ALLOWED_LATE_IMPORTS = {
    ("control", "cmd_status", "service"),
    ("control", "status_by_lock", "service"),
    ("control", "_note_if_not_running", "service"),
    ("service", "_today_lines", "summary"),
}


def readme_layers() -> list[tuple[str, list[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Code map", 1)[1].split("\n## ", 1)[0]
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    layers = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("layer", "---"):
            continue
        names = [n for n in re.findall(r"`([a-z_]+)`", cells[1]) if n in modules]
        layers.append((cells[0], names))
    return layers


def package_imports(module: str) -> list[tuple[str, str]]:
    """(function or "" for module level, imported module) for each relative import."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if not function and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = child.name
            if isinstance(child, ast.ImportFrom) and child.level == 1:
                if child.module:
                    found.append((function, child.module.split(".")[0]))
                else:
                    found.extend((function, a.name) for a in child.names)
            visit(child, inner)

    visit(tree, "")
    return found


def test_the_code_map_names_every_module_once() -> None:
    named = [m for _, names in readme_layers() for m in names]
    modules = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert len(readme_layers()) >= 5
    assert sorted(named) == modules, "README code map and posture_guard/ differ"


def test_each_layer_imports_only_the_layers_above_it() -> None:
    rank = {m: i for i, (_, names) in enumerate(readme_layers()) for m in names}
    wrong = []
    for module, own in rank.items():
        for function, imported in package_imports(module):
            if imported not in rank or rank[imported] <= own:
                continue
            if function and (module, function, imported) in ALLOWED_LATE_IMPORTS:
                continue
            wrong.append(f"{module} ({function or 'module level'}) imports {imported}")
    assert wrong == []


def test_the_allowed_late_imports_still_exist() -> None:
    # an exception that is no longer needed is taken off the list, not kept as a loophole
    for module, function, imported in ALLOWED_LATE_IMPORTS:
        assert (function, imported) in package_imports(module), (module, function)
