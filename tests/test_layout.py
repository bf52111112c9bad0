"""The architecture the tree shows: packages by role, imports flowing one way, no cycle.

``conformance/__init__.py`` states the layout. Here every import statement of the project's
packages (module level and inside functions alike) is read with ``ast`` into a graph, which
must have no cycle and no arrow that goes up a layer; then every module is imported alone,
in a fresh set of project modules, so that an import that works only in some order fails.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("conformance", "models", "implementations")

#: what each layer may import (besides itself and outside packages); a module's layer is the
#: longest prefix of its name listed here
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "conformance": (),  # the package itself: a docstring
    # the front doors: the CLI, the pytest plugin and the suite the plugin runs
    "conformance.cli": ("conformance", "models"),
    "conformance.plugin": ("conformance", "models"),
    "conformance.suite": ("conformance", "models"),
    # what a CI keeps beside a run (expectations, corpus, shards): read by both front doors
    "conformance.ci": ("conformance.iut", "conformance.reporting", "models"),
    "conformance.__main__": ("conformance.cli",),
    # public import paths kept at the top (re-exports of the implementation side)
    "conformance.adapter": ("conformance.iut",),
    "conformance.subprocess_adapter": ("conformance.iut",),
    "conformance.model_adapter": ("conformance.iut",),
    "conformance.engine": ("conformance.iut", "conformance.reporting", "models"),
    "conformance.iut": ("models",),
    "conformance.reporting": ("models",),
    "models": (),
    # implementations talk to the suite through the adapter protocol only, and never use the
    # model (so that agreeing with it means something)
    "implementations": ("conformance.iut.adapter", "conformance.adapter"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "node_modules" in path.parts:  # the PouchDB implementation's npm packages
                continue
            found[module_name(path)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an imported name belongs to (``a.b.c`` may be a name in ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports (anywhere in its source)."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # ``from a import b`` imports module a.b when there is one, else a name of a
                names = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            else:
                continue
            for imported in names:
                target = _resolve(imported, modules)
                if target is not None and target != name:
                    targets.add(target)
        graph[name] = targets
    return graph


def layer_of(module: str) -> str:
    candidates = [
        layer for layer in MAY_IMPORT if module == layer or module.startswith(layer + ".")
    ]
    if not candidates:
        raise AssertionError(f"{module} belongs to no layer of MAY_IMPORT")
    return max(candidates, key=len)


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_conformance_is_grouped_by_role() -> None:
    top = {p.name for p in (ROOT / "conformance").iterdir() if not p.name.startswith("__py")}
    assert {"engine", "iut", "reporting", "suite", "cli.py", "plugin.py"} <= top
    for package in ("engine", "iut", "reporting"):
        doc = ast.get_docstring(
            ast.parse((ROOT / "conformance" / package / "__init__.py").read_text())
        )
        assert doc and "May import" in doc, (
            f"conformance/{package}/__init__.py says what it may import"
        )


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """The arrows that leave a module's layer for one it may not import."""
    wrong = []
    for module, targets in sorted(graph.items()):
        layer = layer_of(module)
        for target in sorted(targets):
            if layer_of(target) != layer and not _within(target, MAY_IMPORT[layer]):
                wrong.append(f"{module} imports {target}")
    return wrong


def test_the_flow_check_finds_an_upward_import() -> None:
    graph = {
        "conformance.reporting.report": {"conformance.engine.machine", "models.rules"},
        "implementations.sample.adapter": {"models.system", "conformance.iut.adapter"},
        "conformance.engine.machine": {"conformance.iut.adapter"},
    }
    assert upward_imports(graph) == [
        "conformance.reporting.report imports conformance.engine.machine",
        "implementations.sample.adapter imports models.system",
    ]


def test_imports_flow_one_way() -> None:
    assert upward_imports(import_graph()) == []


def test_every_module_imports_alone() -> None:
    """Each module imported first, with no project module loaded before it: an import that
    works only when another module happened to be imported earlier fails here."""
    names = [n for n in project_modules() if not n.endswith("__main__")]
    script = f"""
import importlib, json, sys, traceback
failures = {{}}
for name in {names!r}:
    for loaded in [m for m in sys.modules if m.split(".")[0] in {PACKAGES!r}]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failures[name] = traceback.format_exc(limit=3)
print(json.dumps(failures))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("conformance.adapter", ["Adapter", "AdapterError", "AdapterFactory", "ALL_CAPABILITIES"]),
        ("conformance.subprocess_adapter", ["SubprocessAdapter", "factory_for"]),
        ("conformance.model_adapter", ["ModelAdapter", "factory"]),
        ("conformance.plugin", ["pytest_addoption", "pytest_configure"]),
        ("conformance.cli", ["main"]),
    ],
)
def test_public_import_paths_still_work(module: str, names: list[str]) -> None:
    """The names README and the protocol README tell users to import."""
    imported = __import__(module, fromlist=names)
    for name in names:
        assert hasattr(imported, name), f"{module}.{name}"


def test_readme_python_imports_resolve() -> None:
    """Every ``from conformance... import ...`` and ``--iut conformance...`` in the READMEs
    names something that exists."""
    import importlib
    import re

    texts = [ROOT / "README.md", ROOT / "conformance" / "iut" / "protocol" / "README.md"]
    checked = 0
    for path in texts:
        text = path.read_text()
        for module, names in re.findall(r"from (conformance[\w.]*) import ([\w, ]+)", text):
            imported = importlib.import_module(module)
            for name in names.split(","):
                assert hasattr(imported, name.strip()), f"{path.name}: {module}.{name.strip()}"
                checked += 1
        for module, attr in re.findall(r"--iut (conformance[\w.]*):(\w+)", text):
            assert hasattr(importlib.import_module(module), attr), f"{path.name}: {module}:{attr}"
            checked += 1
    assert checked >= 3
