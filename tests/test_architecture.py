"""The floors of ARCHITECTURE.md, checked on the source: what may import what, and module size.

- `planet/` never imports `payments` or `workers` (not at module level, not inside a function,
  not through `importlib`); the app factory names their blueprints as strings only.
- `payments/` never imports `workers`.
- `planet/web/` is the ground floor: it imports no feature area.
- No module in `planet/`, `payments/` or `workers/` is over 500 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("planet", "payments", "workers")
MAX_LINES = 500
# The floor below the areas: what planet/web may build on.
GROUND = {
    "planet",
    "planet.config",
    "planet.dbutil",
    "planet.errors",
    "planet.extensions",
    "planet.i18n",
    "planet.jobs",
    "planet.logs",
    "planet.metrics",
    "planet.models",
    "planet.policy",
    "planet.text",
}
FACTORY = ROOT / "planet" / "__init__.py"


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module named by an import statement or an import_module/import_string call."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in ("import_module", "import_string") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value.split(":")[0]))
    return found


def _violations(package: str, forbidden) -> list[str]:
    problems = []
    for path in _modules(package):
        for line, module in _imports(path):
            if forbidden(path, module):
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return problems


def _top(module: str) -> str:
    return module.split(".")[0]


def test_planet_never_imports_payments_or_workers():
    problems = _violations("planet", lambda path, module: _top(module) in ("payments", "workers"))
    assert problems == []


def test_payments_never_imports_workers():
    assert _violations("payments", lambda path, module: _top(module) == "workers") == []


def test_web_floor_imports_no_feature_area():
    def forbidden(path: Path, module: str) -> bool:
        if not path.is_relative_to(ROOT / "planet" / "web") or _top(module) != "planet":
            return False
        if module.startswith("planet.web"):
            return False
        parts = module.split(".")
        prefixes = {".".join(parts[:n]) for n in range(2, len(parts) + 1)}
        return module not in GROUND and not prefixes & GROUND

    assert _violations("planet", forbidden) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_over_500_lines(package):
    too_long = {
        str(path.relative_to(ROOT)): count
        for path in _modules(package)
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


def test_the_checks_can_fail(tmp_path):
    """The walker sees lazy imports and importlib strings, not only top-level statements."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import importlib\n"
        "def f():\n"
        "    from payments.models import Payment\n"
        "    return importlib.import_module('workers.app')\n"
    )
    names = {module for _, module in _imports(probe)}
    assert {"payments.models", "workers.app"} <= names
