"""The shape of `handlers/`: one package per capability, no import cycles, nothing hidden.

Every import counts, at the top of a module, inside a function or under `TYPE_CHECKING`: a
cycle dodged by a late import is still a cycle for the next reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
CAPABILITIES = {
    "onboarding",
    "faq",
    "repairs",
    "complaints",
    "inquiries",
    "emergencies",
    "my_cases",
    "staff",
    "cases",
    "intake",
    "notices",
    "events",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(HANDLERS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in HANDLERS.rglob("*.py")}


def _imports(path: Path, known: set[str]) -> set[str]:
    """The handler modules `path` imports, wherever in the file the import stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from handlers.repairs import review` names a module; `from x import f` a name.
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph = {name: _imports(path, known) - {name} for name, path in modules.items()}
    # A package's __init__ is imported on the way to any of its modules.
    for name, imported in graph.items():
        for target in list(imported):
            parent = target.rsplit(".", 1)[0]
            if parent in known and parent != name and not name.startswith(parent + "."):
                imported.add(parent)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_among_handler_modules() -> None:
    assert _cycle(_graph()) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("path", sorted(HANDLERS.rglob("*.py")), ids=lambda p: p.name)
def test_no_imports_inside_functions(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = [
        f"{path.name}:{inner.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
        if isinstance(inner, ast.Import | ast.ImportFrom)
    ]
    assert not hidden


def test_one_package_per_capability_and_few_shared_modules() -> None:
    packages = {p.name for p in HANDLERS.iterdir() if (p / "__init__.py").exists()}
    assert packages >= CAPABILITIES
    shared = [p.name for p in HANDLERS.glob("*.py")]
    assert len(shared) <= 8, shared
