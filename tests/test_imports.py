"""The package's import structure: no import cycles, and every module imports on its own.

The graph is read from the source with `ast` (imports inside functions included, as a
lazy import that closes a cycle is still a cycle), independently of what Python happens
to have imported, and checked with networkx.
"""

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("maps", "planners", "sim", "viz", "benchmarks")  # installed as dronesim.<name>


def package_modules() -> dict[str, Path]:
    """Every module of the distribution: dotted name -> source file."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = ("dronesim", package, *path.relative_to(ROOT / package).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def import_graph() -> nx.DiGraph:
    """Edges module -> module it imports (anywhere in its source)."""
    modules = package_modules()

    def resolve(name: str) -> str | None:
        # The longest known module the dotted name starts with ("a.b.c" -> "a.b" if c is
        # an attribute of module a.b).
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in modules:
                return candidate
        return None

    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = here[: len(here) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # "from package import module" imports the module; "from module import
                # name" imports the module.
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                resolved = resolve(target)
                if resolved is not None and resolved != name:
                    graph.add_edge(name, resolved)
    return graph


def test_the_graph_reader_sees_module_and_function_level_imports():
    graph = import_graph()
    assert len(graph) > 30
    # Module level: the engine imports the report and the run log.
    assert graph.has_edge("dronesim.sim.engine", "dronesim.sim.report")
    assert graph.has_edge("dronesim.sim.engine", "dronesim.sim.runlog")
    # Inside a function ("from package import module" resolves to the module).
    assert graph.has_edge("dronesim.sim.cli", "dronesim.benchmarks.rasterize")
    assert graph.has_edge("dronesim.sim.cli", "dronesim.viz.app")


def test_package_has_no_import_cycle():
    graph = import_graph()
    cycles = [cycle for cycle, _ in zip(nx.simple_cycles(graph), range(5))]
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c + c[:1]) for c in cycles)


def test_report_recording_and_viz_do_not_import_the_engine():
    graph = import_graph()
    for reader in ("dronesim.sim.report", "dronesim.sim.recording", "dronesim.sim.runlog"):
        assert "dronesim.sim.engine" not in nx.descendants(graph, reader), reader
    for module in graph:
        if module.startswith("dronesim.viz"):
            assert "dronesim.sim.engine" not in nx.descendants(graph, module), module


def test_every_module_imports_alone_in_a_fresh_interpreter():
    # One interpreter; before each module every dronesim module is forgotten, so each is
    # imported first, on its own (third-party packages stay loaded: faster, same check).
    names = sorted(package_modules())
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        f"for name in {names!r}:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('dronesim')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as error:\n"
        "        failed.append(f'{name}: {type(error).__name__}: {error}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
