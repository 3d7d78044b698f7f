"""The code is laid out by capability and imports flow one way (docs/layout.md).

grimp (import-linter's graph builder) reads every import statement, including the ones inside
functions, so a cycle cannot hide behind a late import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top: a capability may import the ones below it, never one above it. The project
# layer (settings, urls, the apps' model registries, admin, demo seed, template tags,
# management commands) wires everything together, so it sits on top.
LAYERS = [
    ("common", ["clinic.common"]),
    ("staff", ["clinic.staff"]),
    ("patients", ["patients"]),
    ("booking", ["clinic.booking"]),
    ("intake", ["patients.intake"]),
    ("knowledge", ["needling.knowledge"]),
    ("screening", ["needling.screening"]),
    ("plans", ["needling.plans"]),
    ("sessions", ["needling.sessions"]),
    ("api", ["needling.api"]),
    ("fhir", ["needling.fhir"]),
    ("reports", ["clinic.reports"]),
    ("project", ["clinic", "needling"]),
]
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}
# Side by side: neither of these imports the other.
SIBLINGS = {frozenset({"api", "fhir"})}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("clinic", "patients", "needling", cache_dir=None)


def layer_of(module: str) -> str:
    best, best_len = "", -1
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = name, len(prefix)
    return best


def code_modules(graph) -> list[str]:
    return sorted(m for m in graph.modules if ".migrations" not in m)


def imports(graph) -> list[tuple[str, str, int]]:
    modules = set(code_modules(graph))
    found = []
    for importer in sorted(modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & modules):
            details = graph.get_import_details(importer=importer, imported=imported)
            found.append((importer, imported, details[0]["line_number"] if details else 0))
    return found


def test_every_module_belongs_to_a_layer(graph):
    assert [m for m in code_modules(graph) if not layer_of(m)] == []


def test_imports_only_go_down_the_layers(graph):
    upward = []
    for importer, imported, line in imports(graph):
        a, b = layer_of(importer), layer_of(imported)
        if a == b:
            continue
        if RANK[b] > RANK[a] or frozenset({a, b}) in SIBLINGS:
            upward.append(f"{importer}:{line} imports {imported} ({a} -> {b})")
    assert upward == []


def test_there_is_no_import_cycle(graph):
    edges: dict[str, set[str]] = {m: set() for m in code_modules(graph)}
    for importer, imported, _ in imports(graph):
        edges[importer].add(imported)
    # Tarjan's strongly connected components, iteratively.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    assert cycles == []


def test_the_screening_engine_stays_pure(graph):
    """needling.screening imports no Django and no models: only the knowledge base's data
    modules and the questionnaire's declaration."""
    allowed = {"needling.knowledge.rules", "needling.knowledge.catalogue", "patients.questions"}
    engine = [m for m in code_modules(graph) if layer_of(m) == "screening"]
    outside = {
        f"{m} -> {i}"
        for m in engine
        for i in graph.find_modules_directly_imported_by(m)
        if layer_of(i) != "screening" and i not in allowed
    }
    assert outside == set()
    with_packages = grimp.build_graph(
        "clinic", "patients", "needling", include_external_packages=True, cache_dir=None
    )
    reached = set()
    for start in engine:
        reached |= with_packages.find_downstream_modules(start) | {start}
    externals = {m for m in reached if m.split(".")[0] not in {"clinic", "patients", "needling"}}
    assert "django" not in externals
    assert not {m for m in reached if m.endswith(".models")}


def test_the_knowledge_packages_init_loads_no_models():
    """needling/knowledge/__init__.py is imported by the pure engine: it must not pull in the
    knowledge base's Django models."""
    tree = ast.parse((ROOT / "needling/knowledge/__init__.py").read_text())
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert modules <= {
        "needling.knowledge.catalogue",
        "needling.knowledge.rules",
        "needling.knowledge.suggest",
    }
