"""The layers import downwards only: no import cycle between the package's modules.

Imports are read from the source (``ast``), including imports inside functions; imports under
``if TYPE_CHECKING:`` are annotations only and are left out. A package's ``__init__`` that
re-exports its own submodules is not a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"specialeplan": "specialeplan", "specialeplan.model": "model",
            "specialeplan.solvers": "solvers", "specialeplan.scenarios": "scenarios",
            "specialeplan.data": "data"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    package = {folder: name for name, folder in PACKAGES.items()}[rel.parts[0]]
    return ".".join([package, *(p for p in rel.parts[1:] if p != "__init__")])


def import_graph() -> nx.DiGraph:
    """Module → imported module, for every module of the installed package."""
    files = [p for folder in PACKAGES.values() for p in (ROOT / folder).rglob("*.py")
             if "scripts" not in p.parts]
    modules = {_module_name(p): p for p in files}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and getattr(node.test, "id", "") == "TYPE_CHECKING"
                       for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target in modules and target != name and not name.startswith(target + "."):
                    graph.add_edge(name, target)
    return graph


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert graph.number_of_edges() > 30  # the graph was really read
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_solver_layer_knows_no_domain() -> None:
    """solvers/ imports nothing from the model, scenarios, data or the application."""
    graph = import_graph()
    for name in graph:
        if name.startswith("specialeplan.solvers"):
            bad = [t for t in graph.successors(name) if not t.startswith("specialeplan.solvers")
                   and t != "specialeplan.errors"]
            assert not bad, f"{name} imports {bad}"


def test_scenario_layer_knows_no_application() -> None:
    """scenarios/ (the scenario and sweep schemas) imports nothing from the results folders,
    the analyses, the API or the command line: those read scenarios, not the other way."""
    graph = import_graph()
    above = ("specialeplan.results", "specialeplan.analyses", "specialeplan.cli",
             "specialeplan.api", "specialeplan.checker", "specialeplan.maps")
    for name in graph:
        if name.startswith("specialeplan.scenarios"):
            bad = [t for t in graph.successors(name) if t.startswith(above)]
            assert not bad, f"{name} imports {bad}"


def test_cli_stays_a_thin_wrapper() -> None:
    """No function of the command line is longer than 80 lines (signature included): a
    command parses, calls the API or an analysis, and prints; anything longer is split."""
    long = []
    for path in sorted((ROOT / "specialeplan" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 80:
                    long.append(f"{path.name}:{node.name} ({lines} lines)")
    assert not long, "split these: " + ", ".join(long)


#: The layers, lowest first: a module imports only from its own layer or those below it
#: (no upward arrow). ``base`` is the package itself and ``errors``.
LAYERS = ("base", "solvers", "model", "data", "scenarios", "api", "results", "checker",
          "maps", "pipeline", "analyses", "classic", "cli")


def _layer(module: str) -> str:
    parts = module.split(".")
    return "base" if len(parts) == 1 or parts[1] == "errors" else parts[1]


def test_imports_point_down_the_layers_only() -> None:
    graph = import_graph()
    assert {_layer(m) for m in graph} == set(LAYERS), "a module outside the known layers"
    upward = [f"{a} -> {b}" for a, b in graph.edges()
              if LAYERS.index(_layer(b)) > LAYERS.index(_layer(a))]
    assert not upward, "imports up the layers:\n" + "\n".join(upward)
