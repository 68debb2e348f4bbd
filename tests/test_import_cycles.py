"""No import cycles inside sst_lsp, checked on the AST of every module.

The graph has an edge from a module to every sst_lsp module it imports, wherever the import is
written: at the top, inside a function (a lazy import is still a dependency), or under
`TYPE_CHECKING`. `from pkg import name` counts as an import of `pkg.name` when that is a
module, else of `pkg`. The strongly connected components with more than one module (and the
modules that import themselves) are the cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "sst_lsp"

#: Cycles tolerated, one frozenset of module names per strongly connected component: none. A
#: new cycle fails the test (a listed one that is gone must leave the list).
ALLOWED_CYCLES: set[frozenset[str]] = set()


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py")) if "__pycache__" not in p.parts}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The sst_lsp modules `path` imports (absolute names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path)
    # The package relative imports start from (an __init__ is its own package).
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = []
            for a in node.names:
                sub = f"{mod}.{a.name}"
                targets.append(sub if sub in known else mod)
        else:
            continue
        for t in targets:
            # `import a.b.c` names the module a.b.c; keep the longest known prefix.
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t.startswith("sst_lsp"):
                out.add(t)
    out.discard(name)
    return out


def import_graph() -> dict[str, set[str]]:
    mods = all_modules()
    known = set(mods)
    return {m: imports_of(p, known) for m, p in mods.items()}


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: set[frozenset[str]] = set()
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp: set[str] = set()
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.add(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    out.add(frozenset(comp))
    return out


def test_graph_sees_lazy_and_type_checking_imports() -> None:
    graph = import_graph()
    # A function-level import and a TYPE_CHECKING one are edges like any other.
    assert "sst_lsp.server.server" in graph["sst_lsp.server.factory"]
    assert any(m.startswith("sst_lsp.model") for m in graph["sst_lsp.server.documents"])


def test_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == {frozenset({"a", "b", "c"})}


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    shown = "\n".join(sorted(" <-> ".join(sorted(c)) for c in found - ALLOWED_CYCLES))
    assert found - ALLOWED_CYCLES == set(), f"import cycles:\n{shown}"
    # A listed cycle that is gone must leave the list too (it only ever shrinks).
    assert ALLOWED_CYCLES - found == set(), sorted(sorted(c) for c in ALLOWED_CYCLES - found)
