"""No import cycles in `scanner/`.

The graph is built with `ast` over every module of the package: an edge for
every `import` and `from … import`, at module level and inside functions. A
function-level import is how this code base defers a costly import (libcst,
SQLAlchemy, PyJWT) to the moment it is needed; it is still a dependency, and
two modules that reach each other that way are one part in two files. So they
count. Two kinds of import do not, because they never run as a dependency of
the importing module's code:

- imports under `if TYPE_CHECKING:` (annotations only, never executed);
- imports inside a package's module-level `__getattr__` (PEP 562): the lazy
  re-exports of the public API (`scanner.scan`), run only when a caller reads
  that name from the package. Counting them would put every module that reads
  `scanner.__version__` in a cycle with the whole pipeline.

An import of `a.b.c` also runs `a/__init__` and `a/b/__init__`; those implicit
edges are not counted (a package's `__init__` importing its own modules is how
it offers them). Strongly connected components (Tarjan) of more than one
module are cycles.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import scanner

PACKAGE = Path(scanner.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _not_run(tree: ast.Module, is_package: bool) -> set[int]:
    """ids of the nodes under `if TYPE_CHECKING:` and in a package's `__getattr__`."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for part in node.body for n in ast.walk(part))
    for node in tree.body:
        if is_package and isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            skipped.update(id(n) for n in ast.walk(node))
    return skipped


def _imported(node: ast.AST, package: str) -> Iterator[str]:
    """Every dotted name an import statement may load."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parent = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*parent, base] if base else parent)
        yield base
        yield from (f"{base}.{alias.name}" for alias in node.names)


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module of the package that `name` is, or lies in (None: outside)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        package = name if is_package else name.rpartition(".")[0]
        tree = ast.parse(path.read_bytes(), filename=str(path))
        skipped = _not_run(tree, is_package)
        for node in ast.walk(tree):
            if id(node) in skipped or not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            graph[name].update(_targets(node, package, modules) - {name})
    return graph


def _targets(node: ast.AST, package: str, modules: dict[str, Path]) -> set[str]:
    """`from a.b import c` loads the module a.b.c when there is one, else a.b."""
    names = list(_imported(node, package))
    if isinstance(node, ast.ImportFrom):
        base, members = names[0], names[1:]
        found = {m for m in members if m in modules}
        if len(found) < len(members):
            found.add(base)
        names = list(found)
    return {t for t in (_resolve(n, modules) for n in names) if t is not None}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with a cycle (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root not in index:
            _strongconnect(root, graph, index, low, stack, on_stack, found)
    return found


def _strongconnect(
    root: str,
    graph: dict[str, set[str]],
    index: dict[str, int],
    low: dict[str, int],
    stack: list[str],
    on_stack: set[str],
    found: list[list[str]],
) -> None:
    work = [(root, iter(sorted(graph[root])))]
    index[root] = low[root] = len(index)
    stack.append(root)
    on_stack.add(root)
    while work:
        node, children = work[-1]
        child = next(children, None)
        if child is None:
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                _pop_component(node, stack, on_stack, found)
        elif child not in index:
            index[child] = low[child] = len(index)
            stack.append(child)
            on_stack.add(child)
            work.append((child, iter(sorted(graph[child]))))
        elif child in on_stack:
            low[node] = min(low[node], index[child])


def _pop_component(node: str, stack: list[str], on_stack: set[str], found: list[list[str]]) -> None:
    component = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == node:
            break
    if len(component) > 1:
        found.append(sorted(component))


def test_the_graph_sees_every_module_and_its_imports() -> None:
    graph = import_graph()
    assert "scanner.pipeline" in graph and "scanner.sources.archives.zips" in graph
    assert "scanner.keys.formats" in graph["scanner.keys.dispatch"]
    # a function-level import counts: the registry loader is imported inside load_registry
    assert "scanner.registry.loading" in graph["scanner.registry"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"f"}, "f": {"e", "a"}}
    assert sorted(cycles(graph)) == [["a", "b", "c"], ["e", "f"]]


def test_no_import_cycles_in_scanner() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)
