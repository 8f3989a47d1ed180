"""The sandbox's modules import one another one way only: no cycle, and none hidden by an import
inside a function (every import statement counts, wherever it is)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "points_sandbox"


def intra_package_imports() -> dict[str, set[str]]:
    """module -> the sandbox modules it imports, from every import statement in its source."""
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    graph = {}
    for path in PACKAGE.glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:  # from . import x / from .x import y
                if node.module:
                    found.add(node.module.split(".")[0])
                else:
                    found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("points_sandbox."):
                found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("points_sandbox."))
        graph[path.stem] = {name for name in found if name in modules and name != path.stem}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_is_read_from_every_import_statement():
    graph = intra_package_imports()
    # The arrows the refactoring fixed: the worker imports checkout; nothing below imports it back.
    assert "checkout" in graph["delivery"] and "webhooks" in graph["delivery"]
    assert "webhooks" in graph["orders"] and "orders" in graph["checkout"]
    assert not graph["webhooks"] & {"orders", "checkout", "delivery", "control", "api"}
    assert graph["chaos"] <= {"extensions", "models"} and graph["models"] <= {"extensions"}


def test_there_is_no_import_cycle():
    assert find_cycle(intra_package_imports()) is None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
