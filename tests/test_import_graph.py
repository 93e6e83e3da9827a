"""The package's import graph has no circles, between modules or between its sub-packages, and data
flows one way: data/ never imports audit/, evaluation/ or training/."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mer_keras"


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """``{module: {mer_keras modules it imports}}``, from the source (imports inside functions included)."""
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mer_keras"):
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the components of more than one node (the circles)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    def top(name):
        parts = name.split(".")
        return ".".join(parts[:2])

    packages: dict[str, set[str]] = {}
    for name, targets in graph.items():
        packages.setdefault(top(name), set()).update(top(t) for t in targets if top(t) != top(name))
    return packages


def test_the_circle_finder_finds_a_planted_circle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_between_modules():
    assert strongly_connected(import_graph()) == []


def test_no_import_circle_between_subpackages():
    assert strongly_connected(package_graph(import_graph())) == []


def test_data_flows_one_way():
    packages = package_graph(import_graph())
    assert not packages["mer_keras.data"] & {"mer_keras.audit", "mer_keras.evaluation", "mer_keras.training",
                                            "mer_keras.models", "mer_keras.features", "mer_keras.runs"}
    assert "mer_keras.training" not in packages["mer_keras.evaluation"]
    assert not packages["mer_keras.runs"] & {"mer_keras.training", "mer_keras.evaluation"}
    assert not packages["mer_keras.inference"] & {"mer_keras.training", "mer_keras.evaluation"}
