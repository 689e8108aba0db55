"""The stages of plugins/module_utils import only downward, and nothing imports in a cycle.

Each subpackage of module_utils is one stage of the data flow (docs/development.md). A module may
import its own stage and the stages below it; plugins (modules, filters, inventory) sit above every
stage. The check parses every Python file (no import side effects) so it also covers code paths a
test run never reaches.
"""

from __future__ import annotations

import ast
import os
from typing import Dict, List, Set, Tuple

import pytest

PLUGINS = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "plugins"))
PREFIX = "ansible_collections.meshops.sidecar_injection.plugins."

# Lowest first. probe before remediation: a remediation verifies itself with the probe.
LAYERS = (
    "core",
    "k8s",
    "snapshot",
    "model",
    "decision",
    "analysis",
    "rules",
    "probe",
    "remediation",
    "report",
    "runners",
)
TOP = len(LAYERS)  # plugins/modules, plugins/filter, plugins/inventory, ...


def layer_of(module: str) -> int:
    """Stage index of a dotted module name below `plugins.` (e.g. `module_utils.rules.engine`)."""
    parts = module.split(".")
    if parts[0] != "module_utils":
        return TOP
    if len(parts) < 2 or parts[1] not in LAYERS:
        raise ValueError("%s is not inside a stage package (one of %s)" % (module, ", ".join(LAYERS)))
    return LAYERS.index(parts[1])


def imports_of(source: str, module: str) -> List[Tuple[str, int]]:
    """(imported module below `plugins.`, line) for every import of this collection's plugins."""
    found: List[Tuple[str, int]] = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        names: List[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
                base = PREFIX + base
            # `from pkg import mod` imports pkg.mod when mod is a module; keep both candidates
            names = [base] + ["%s.%s" % (base, alias.name) for alias in node.names]
        for name in names:
            if name.startswith(PREFIX):
                found.append((name[len(PREFIX) :], node.lineno))
    return found


def violations(sources: Dict[str, str]) -> List[str]:
    """Upward imports and import cycles among `sources` ({dotted module below plugins.: source})."""
    problems: List[str] = []
    graph: Dict[str, Set[str]] = {name: set() for name in sources}
    for module, source in sorted(sources.items()):
        try:
            own = layer_of(module)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        for target, line in imports_of(source, module):
            if target not in sources:
                continue  # `from pkg import name` where name is not a module
            graph[module].add(target)
            if layer_of(target) > own:
                problems.append(
                    "%s:%d imports %s: stage %s may not import the higher stage %s"
                    % (module, line, target, LAYERS[own] if own < TOP else "plugins", LAYERS[layer_of(target)])
                )
    problems.extend("import cycle: " + " -> ".join(cycle) for cycle in cycles(graph))
    return problems


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """One representative cycle per strongly connected component (Tarjan), sorted for stable output."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component) + [sorted(component)[0]])

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def collection_sources() -> Dict[str, str]:
    out: Dict[str, str] = {}
    for root, _dirs, files in os.walk(PLUGINS):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, PLUGINS)[: -len(".py")].replace(os.sep, ".")
            if rel.endswith(".__init__"):
                rel = rel[: -len(".__init__")]
            with open(path, encoding="utf-8") as handle:
                out[rel] = handle.read()
    return out


def test_every_module_util_lives_in_a_stage_and_imports_only_downward():
    sources = collection_sources()
    stages = {m.split(".")[1] for m in sources if m.startswith("module_utils.") and m.count(".") >= 2}
    assert stages >= {"core", "k8s", "snapshot", "model", "decision", "analysis", "rules", "report", "runners"}
    edges = sum(
        1 for module, text in sources.items() for target, _line in imports_of(text, module) if target in sources
    )
    assert edges > 150  # the parser really sees the collection's imports (192 when this test was written)
    assert violations(sources) == []


def _fake(**modules: str) -> Dict[str, str]:
    return {name.replace("__", "."): source for name, source in modules.items()}


def test_an_upward_import_is_reported_with_its_line():
    sources = _fake(
        module_utils__core__findings="import os\nfrom %smodule_utils.rules.engine import rule\n" % PREFIX,
        module_utils__rules__engine="",
    )
    assert violations(sources) == [
        "module_utils.core.findings:2 imports module_utils.rules.engine: "
        "stage core may not import the higher stage rules"
    ]


def test_a_relative_upward_import_is_reported_too():
    sources = _fake(module_utils__model__mesh="from ..report import document\n", module_utils__report__document="")
    assert violations(sources) == [
        "module_utils.model.mesh:1 imports module_utils.report.document: "
        "stage model may not import the higher stage report"
    ]


def test_a_cycle_inside_one_stage_is_reported():
    sources = _fake(
        module_utils__rules__a="from %smodule_utils.rules import b\n" % PREFIX,
        module_utils__rules__b="from %smodule_utils.rules.a import thing\n" % PREFIX,
    )
    assert violations(sources) == ["import cycle: module_utils.rules.a -> module_utils.rules.b -> module_utils.rules.a"]


def test_a_module_outside_every_stage_is_reported():
    with pytest.raises(ValueError, match="not inside a stage package"):
        layer_of("module_utils.helpers")
    assert violations(_fake(module_utils__helpers="")) == [
        "module_utils.helpers is not inside a stage package (one of %s)" % ", ".join(LAYERS)
    ]


def test_plugins_may_import_every_stage_and_downward_imports_pass():
    sources = _fake(
        modules__injection_diagnose="from %smodule_utils.runners.diagnose import run\n" % PREFIX,
        module_utils__runners__diagnose="from %smodule_utils.core.catalogue import entry\n" % PREFIX,
        module_utils__core__catalogue="",
    )
    assert violations(sources) == []
