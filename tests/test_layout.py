"""The layout shows the pipeline and keeps it honest: no import cycle among unseen's modules,
counting imports inside functions (a cycle hidden in a function is still a cycle)."""
from __future__ import annotations

import ast
from pathlib import Path

import unseen

ROOT = Path(unseen.__file__).resolve().parent


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every unseen module ``path`` imports, wherever the import statement is."""
    mod = _module(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                out.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    # a module's own package is where it lives, not something it depends on
    return {m for m in out if m in known and m != mod and not mod.startswith(m + ".")}


def import_graph() -> dict[str, set[str]]:
    files = sorted(ROOT.rglob("*.py"))
    known = {_module(f) for f in files}
    return {_module(f): _imports(f, known) for f in files}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 30 and graph["unseen.pipeline.still"]  # the graph was really read
    cycle = _cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_analysis_and_audit_do_not_depend_on_rendering() -> None:
    """Finding is apart from hiding: the detectors, the audit and the media readers never
    import the pipelines (audit used to import the cleaning pipeline to find faces)."""
    graph = import_graph()
    for mod, deps in graph.items():
        if mod.startswith(("unseen.detect", "unseen.media", "unseen.audit", "unseen.track", "unseen.verify", "unseen.plan")):
            assert not {d for d in deps if d.startswith("unseen.pipeline")}, mod
