"""The layers of the package import only downwards (README, "Layout").

api/ and web/ -> http/ -> services/ -> models/, storage/, security/ (http/ never reaches models/
directly); config/ stands apart. An
import running the other way (plumbing reaching up into a front end, a rule reaching into
Sanic) fails here with the file and the module it imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gamecoll"

# What each folder must not import: a module name, or the start of one followed by a dot.
FORBIDDEN = {
    "http": ("gamecoll.api", "gamecoll.web", "gamecoll.models"),
    "services": ("gamecoll.api", "gamecoll.web", "gamecoll.http", "sanic"),
    "models": ("gamecoll.api", "gamecoll.web", "gamecoll.http", "gamecoll.services", "sanic"),
    "storage": ("gamecoll.api", "gamecoll.web", "gamecoll.http", "gamecoll.services", "sanic"),
    "security": ("gamecoll.api", "gamecoll.web", "gamecoll.http", "gamecoll.services", "sanic"),
    "config": ("gamecoll.api", "gamecoll.web", "gamecoll.http", "gamecoll.services", "sanic"),
}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def breaks(module: str, forbidden: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in forbidden)


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(folder: str) -> None:
    files = sorted((PACKAGE / folder).glob("*.py"))
    assert files, folder
    wrong = [
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in files
        for module in sorted(imported_modules(path))
        if breaks(module, FORBIDDEN[folder])
    ]
    assert wrong == []


def test_the_check_sees_an_import_running_upwards(tmp_path: Path) -> None:
    upward = tmp_path / "guard.py"
    upward.write_text("def f():\n    from gamecoll.api.schemas import UserOut\n")
    assert breaks("gamecoll.api.schemas", FORBIDDEN["http"])
    assert "gamecoll.api.schemas" in imported_modules(upward)
    assert not breaks("gamecoll.http.responses", FORBIDDEN["http"])
