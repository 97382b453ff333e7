"""The map in docs/architecture.md, enforced: each room imports only the rooms it may.

Imports are read with ``ast`` (module level and inside functions alike: a lazy import is still
an arrow). A new arrow changes docs/architecture.md and this table in the same commit. Training
entry points (``train.py``: ``python -m ...train`` refits shipped weights) may also read the
validation corpus; nothing at run time does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "mhsafe"

MAY_IMPORT: dict[str, set[str]] = {
    "schema": set(),
    "stats": set(),
    "openai_chat": {"schema"},
    "models": {"schema"},
    "store": {"schema"},
    "judges": {"schema", "openai_chat", "models", "stats"},
    "redact": {"judges"},
    "suites": {"schema", "openai_chat", "models", "judges", "stats"},
    "audit": {"schema", "openai_chat", "models", "judges", "redact", "store", "stats"},
    "safeguard": {"schema", "openai_chat", "models", "judges", "redact"},
    "validation": {"schema", "audit", "judges", "stats"},
    "axes": {"schema", "stats", "validation"},
    "report": {"schema", "axes", "stats"},
    "review": {"schema", "store", "stats"},
}


#: Single files with a recorded arrow of their own (docs/architecture.md says why). None now:
#: `mhsafe judge` reads its input with `openai_chat.read_line`, below judges and audit alike.
EXCEPTIONS: dict[str, set[str]] = {}


def _room_of(path: Path) -> str | None:
    rel = path.relative_to(PKG)
    name = rel.parts[0].removesuffix(".py")
    return name if name in MAY_IMPORT else None


def _imported_rooms(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "mhsafe" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("room", sorted(MAY_IMPORT))
def test_room_imports_only_what_the_map_allows(room: str) -> None:
    files = [PKG / f"{room}.py"] if (PKG / f"{room}.py").exists() else sorted(
        (PKG / room).rglob("*.py"))
    wrong: dict[str, set[str]] = {}
    for path in files:
        allowed = MAY_IMPORT[room] | ({"validation", "audit"} if path.name == "train.py" else set())
        allowed |= EXCEPTIONS.get(str(path.relative_to(PKG)), set())
        extra = {r for r in _imported_rooms(path) if r in MAY_IMPORT and r != room} - allowed
        if extra:
            wrong[str(path.relative_to(PKG))] = extra
    assert wrong == {}, f"arrows not on the map (docs/architecture.md): {wrong}"


def test_nothing_imports_the_cli() -> None:
    for path in PKG.rglob("*.py"):
        if path.name in ("cli.py", "_demo.py", "__main__.py"):
            continue
        assert "cli" not in _imported_rooms(path), path
