"""dvc.yaml lists every module a stage runs, so a change to any of them re-runs the stage."""

import ast
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_ROOT

SRC = PROJECT_ROOT / "src"
STAGES = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]


def module_file(module: str) -> Path | None:
    """The file of a module or package of this project, or None for anything else."""
    base = SRC / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """The celestial modules a file imports, `from package import module` included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("celestial") and module_file(name)}


def code_of(module: str) -> set[str]:
    """Every source file a module runs: itself and what it imports, transitively.

    Package __init__ files hold docstrings and the version only, so they are left out.
    """
    seen, pending = set(), [module]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending += imported_modules(module_file(name))
    files = {module_file(name) for name in seen}
    return {str(f.relative_to(PROJECT_ROOT)) for f in files if f.name != "__init__.py"}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_lists_the_code_it_runs(stage: str) -> None:
    command = STAGES[stage]["cmd"].split()
    assert command[:2] == ["python", "-m"], "a stage runs a module of the package"
    listed = {dep for dep in STAGES[stage]["deps"] if dep.startswith("src/")}
    assert listed == code_of(command[2])
