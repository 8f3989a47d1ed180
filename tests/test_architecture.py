"""The storefront's modules import one another one way only, as style.md draws the house:
pages (the blueprint packages) -> the integration (storefront/points/) and the shop's domain ->
models and settings. Every import statement counts, wherever it is (inside a function too)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "storefront"
BLUEPRINTS = ("shop", "cart", "checkout", "webhooks", "admin", "presenter")
# Models and settings: they import nothing of the shop but each other.
FOUNDATION = {"storefront.models", "storefront.extensions", "storefront.config", "storefront.money"}
# What wires the app together: it may import anything, and nothing imports it.
ENTRY_POINTS = {"storefront", "storefront.cli"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """module -> the storefront modules (and points_sandbox, if any) it imports."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    target = f"{base}.{node.module}" if node.module else base
                else:
                    target = node.module or ""
                # "from x import y": y is a module of x, or a name in x.
                for alias in node.names:
                    found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in paths else target)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {t for t in found if t in paths or t.split(".")[0] == "points_sandbox"} - {name}
    return graph


def blueprint_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in BLUEPRINTS else None


def layer(module: str) -> str:
    if module in ENTRY_POINTS:
        return "entry"
    if blueprint_of(module):
        return "pages"
    if module in FOUNDATION:
        return "foundation"
    return "domain"


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


def without_blueprint_own_cycles(graph):
    """A blueprint package's ``__init__`` makes ``bp`` and imports its views, which import ``bp``
    back: Flask's own pattern, the one cycle allowed."""
    return {
        module: {t for t in targets if not (blueprint_of(module) and t == f"storefront.{blueprint_of(module)}")}
        for module, targets in graph.items()
    }


def test_the_graph_is_read_from_every_import_statement():
    graph = imports()
    assert "storefront.points.client" in graph["storefront.points.checkout"]
    assert "storefront.points.locks" in graph["storefront.points.webhook"]
    assert "storefront.points.webhook" in graph["storefront.webhooks.views"]
    assert "storefront.shop.views" in graph["storefront.shop"]  # the blueprint's own cycle
    assert {"storefront.admin", "storefront.shop"} <= graph["storefront"]  # create_app, inside a function


def test_there_is_no_import_cycle_but_a_blueprint_packages_own():
    assert find_cycle(without_blueprint_own_cycles(imports())) is None


@pytest.mark.parametrize("module", sorted(imports()))
def test_every_arrow_points_from_pages_to_the_domain_to_models(module):
    allowed = {
        "entry": {"entry", "pages", "domain", "foundation"},
        "pages": {"pages", "domain", "foundation"},
        "domain": {"domain", "foundation"},
        "foundation": {"foundation"},
    }[layer(module)]
    wrong = {target for target in imports()[module] if layer(target) not in allowed}
    assert not wrong, f"{module} ({layer(module)}) imports {sorted(wrong)}"


def test_a_blueprint_imports_no_other_blueprint():
    for module, targets in imports().items():
        if module in ENTRY_POINTS:
            continue  # create_app registers them all
        others = {blueprint_of(t) for t in targets if blueprint_of(t)} - {blueprint_of(module), None}
        assert not others, f"{module} imports the {sorted(others)} blueprint"


def test_the_integration_knows_nothing_of_pages_or_page_caching():
    for module, targets in imports().items():
        if module.startswith("storefront.points"):
            assert "storefront.page_cache" not in targets and "storefront.session_cart" not in targets, module


def test_the_storefront_never_imports_the_sandbox():
    assert not any(t.startswith("points_sandbox") for targets in imports().values() for t in targets)


def test_the_checks_find_what_they_look_for():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer("storefront.cart.views") == "pages" and layer("storefront.carts") == "domain"
    assert layer("storefront.models") == "foundation" and layer("storefront") == "entry"
