"""The analysis host's findings after edits equal a fresh check's (analyzers/memo.py keeps
per-reference results between runs; the resolver, the binding calls and the handler code's
facts are kept too): random edits of a stack file (routes broken and fixed, lines inserted and
removed, bindings added) and of handler files (open buffers, files created and deleted on disk)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sst_lsp.analyzers.memo import AnalysisMemo, build_table, common_ends
from sst_lsp.host.host import AnalysisHost
from sst_lsp.model.types import Finding

CONFIG = """import { SSTConfig } from "sst";
import { Big } from "./stacks/Big";

export default {
  config(_input) {
    return { name: "inc", region: "us-east-1" };
  },
  stacks(app) {
    app.stack(Big);
  },
} satisfies SSTConfig;
"""

HANDLERS = 6


def _routes(n: int) -> list[str]:
    return [f'      "GET /a{n}/r{k}": "packages/functions/src/h{(n + k) % HANDLERS}.main",' for k in range(6)]


def _stack() -> str:
    out = ['import { Api, Function, StackContext, Table } from "sst/constructs";', "",
           "export function Big({ stack }: StackContext) {",
           '  const notes = new Table(stack, "Notes", { fields: { pk: "string" }, primaryIndex: { partitionKey: "pk" } });']
    for n in range(4):
        out += [f'  const api{n} = new Api(stack, "Api{n}", {{',
                f"    defaults: {{ function: {{ {'bind: [notes], ' if n % 2 else ''}timeout: 10 }} }},",
                "    routes: {", *_routes(n), "    },", "  });",
                f'  new Function(stack, "Fn{n}", {{ handler: "packages/functions/src/h{n}.main" }});']
    out += ["}", ""]
    return "\n".join(out)


def _handler(i: int) -> str:
    if i % 3 == 2:
        # Its resource use is in a module it imports.
        return f'import {{ db }} from "./lib/db";\n\nexport async function main() {{\n  return db("h{i}");\n}}\n'
    uses = "  Table.Notes.tableName;\n" if i % 3 == 0 else ""
    env = "  process.env.STRIPE_KEY;\n" if i % 3 == 1 else ""
    return (f'import {{ Table }} from "sst/node/table";\n\nexport async function main() {{\n{uses}{env}'
            f'  return "h{i}";\n}}\n')


LIB = 'import { Table } from "sst/node/table";\n\nexport function db(x: string) {\n  return Table.Notes.tableName + x;\n}\n'
LIB_UNUSED = 'export function db(x: string) {\n  return x;\n}\n'


def _app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "stacks").mkdir(parents=True)
    src = root / "packages" / "functions" / "src"
    src.mkdir(parents=True)
    (root / "sst.config.ts").write_text(CONFIG, encoding="utf-8")
    (root / "stacks" / "Big.ts").write_text(_stack(), encoding="utf-8")
    for i in range(HANDLERS):
        (src / f"h{i}.ts").write_text(_handler(i), encoding="utf-8")
    (src / "lib").mkdir()
    (src / "lib" / "db.ts").write_text(LIB, encoding="utf-8")
    return root


def _key(findings: list[Finding]) -> list[tuple[object, ...]]:
    return [(f.path, f.range, f.code, f.severity, f.message, f.related, repr(f.data)) for f in findings]


def _edit_stack(rng: random.Random, lines: list[str]) -> list[str]:
    """A line-level edit that keeps the file parsing."""
    routes = [i for i, ln in enumerate(lines) if ".main" in ln and ln.lstrip().startswith(('"GET', '"GOT', '"POST'))]
    r = rng.random()
    if r < 0.1 and routes:
        # route-invalid: an unknown method, and back.
        i = rng.choice(routes)
        ln = lines[i]
        lines[i] = ln.replace('"GOT ', '"GET ') if '"GOT ' in ln else ln.replace('"GET ', '"GOT ')
    elif r < 0.15:
        # table-index-field-missing: the Table's partition key is not a declared field, and back.
        i = next(k for k, ln in enumerate(lines) if "new Table(" in ln)
        ln = lines[i]
        lines[i] = ln.replace('partitionKey: "id"', 'partitionKey: "pk"') if '"id"' in ln else ln.replace('partitionKey: "pk"', 'partitionKey: "id"')
    elif r < 0.35 and routes:
        i = rng.choice(routes)
        ln = lines[i]
        lines[i] = ln.replace(".mainx", ".main") if ".mainx" in ln else ln.replace(".main", ".mainx")
    elif r < 0.5 and routes:
        i = rng.choice(routes)
        lines[i] = lines[i].replace("/h", "/missing", 1) if "/h" in lines[i] else lines[i].replace("/missing", "/h", 1)
    elif r < 0.65:
        lines.insert(rng.randrange(3, len(lines) - 1), "  // a comment")
    elif r < 0.75 and routes:
        i = rng.choice(routes)
        lines.insert(i, lines[i].replace('"GET ', '"POST ', 1))
    elif r < 0.85 and len(routes) > 1:
        del lines[rng.choice(routes)]
    else:
        bind = [i for i, ln in enumerate(lines) if "defaults: { function:" in ln]
        if bind:
            i = rng.choice(bind)
            ln = lines[i]
            lines[i] = ln.replace("bind: [notes], ", "") if "bind:" in ln else ln.replace("{ function: { ", "{ function: { bind: [notes], ")
    return lines


@pytest.mark.parametrize("seed", range(5))
def test_random_edits_match_a_fresh_check(tmp_path: Path, seed: int) -> None:
    root = _app(tmp_path)
    stack = root / "stacks" / "Big.ts"
    src = root / "packages" / "functions" / "src"
    host = AnalysisHost([root])
    lines = _stack().split("\n")
    host.apply_change(stack, "\n".join(lines), 1)
    open_texts: dict[Path, str] = {stack: "\n".join(lines)}
    first = _key(host.analysis().findings())
    rng = random.Random(seed)
    differed = 0
    for step in range(70):
        r = rng.random()
        what = "stack"
        if r < 0.55:
            lines = _edit_stack(rng, lines)
            open_texts[stack] = "\n".join(lines)
            host.apply_change(stack, open_texts[stack], step + 2)
        elif r < 0.7:
            # A handler file's open buffer: its export renamed, or its resource use dropped.
            i = rng.randrange(HANDLERS)
            p = src / f"h{i}.ts"
            text = open_texts.get(p, _handler(i))
            text = rng.choice([text.replace("function main", "function mian"), text.replace("function mian", "function main"),
                               text.replace("  Table.Notes.tableName;\n", ""), _handler(i)])
            open_texts[p] = text
            host.apply_change(p, text, step + 2)
            what = p.name
        elif r < 0.8:
            # A module the handlers import, changed on disk (closed) or in its buffer (open).
            lib = src / "lib" / "db.ts"
            if rng.random() < 0.5:
                if lib in open_texts:
                    del open_texts[lib]
                    host.apply_change(lib, None)
                lib.write_text(LIB_UNUSED if lib.read_text(encoding="utf-8") == LIB else LIB, encoding="utf-8")
                host.file_changed(lib)
                what = "disk lib/db.ts"
            else:
                open_texts[lib] = LIB_UNUSED if open_texts.get(lib, LIB) == LIB else LIB
                host.apply_change(lib, open_texts[lib], step + 2)
                what = "buffer lib/db.ts"
        elif r < 0.9:
            # A handler file created or deleted on disk (its buffer closed first).
            i = rng.randrange(HANDLERS)
            p = src / f"h{i}.ts"
            if p in open_texts:
                del open_texts[p]
                host.apply_change(p, None)
            if p.exists():
                p.unlink()
            else:
                p.write_text(_handler(i), encoding="utf-8")
            host.file_changed(p)
            what = f"disk {p.name}"
        else:
            new = src / "missing.ts"
            if new.exists():
                new.unlink()
            else:
                new.write_text("export const main = async () => 1;\n", encoding="utf-8")
            host.file_changed(new)
            what = "disk missing.ts"
        got = _key(host.analysis().findings())
        fresh = AnalysisHost([root])
        for p, t in open_texts.items():
            fresh.apply_change(p, t, 1)
        assert got == _key(fresh.analysis().findings()), f"step {step} ({what})"
        differed += got != first
    assert differed > 10, "the edits did not change the findings: the property would hold trivially"


def test_common_ends() -> None:
    a = tuple("abcdefgh")
    assert common_ends(a, a) == (8, 0)
    assert common_ends(a, tuple("abcXefgh")) == (3, 4)
    assert common_ends(a, tuple("abcdXYefgh")) == (4, 4)
    assert common_ends(a, tuple("abgh")) == (2, 2)
    assert common_ends(a, ()) == (0, 0)
    assert common_ends(tuple("aaa"), tuple("aaaa")) == (3, 0)


def test_an_edit_resolves_only_the_references_it_touched(tmp_path: Path) -> None:
    root = _app(tmp_path)
    stack = root / "stacks" / "Big.ts"
    host = AnalysisHost([root])
    lines = _stack().split("\n")
    host.apply_change(stack, "\n".join(lines), 1)
    snap = host.analysis().snapshot
    memo = AnalysisMemo()
    table = memo.table(host.resolver, snap, snap.apps[0])
    assert table.prev is None and list(table.changed) == list(range(len(table.refs)))
    i = next(k for k, ln in enumerate(lines) if "/a2/r3" in ln)
    lines[i] = lines[i].replace(".main", ".mainx")
    host.apply_change(stack, "\n".join(lines), 2)
    snap2 = host.analysis().snapshot
    table2 = memo.table(host.resolver, snap2, snap2.apps[0])
    assert table2.prev is table
    # The edited Api's handlers (its construct was extracted again), not the others'.
    touched = {table2.refs[k].construct_id for k in table2.changed}
    assert touched == {"Api2"}, touched
    assert [r.handler for r in table2.refs] == [r.handler for r in snap2.apps[0].handlers]
    assert table2.res == build_table(host.resolver, snap2.apps[0]).res
    # The same revision: the same table (the analyzers of one run share it).
    assert memo.table(host.resolver, snap2, snap2.apps[0]) is table2


def test_a_buffer_edit_drops_only_the_resolutions_that_read_it(tmp_path: Path) -> None:
    root = _app(tmp_path)
    stack = root / "stacks" / "Big.ts"
    h0 = root / "packages" / "functions" / "src" / "h0.ts"
    host = AnalysisHost([root])
    host.apply_change(stack, _stack(), 1)
    host.apply_change(h0, _handler(0), 1)
    host.analysis().findings()
    gen = host.resolver.generation
    # The stack file's own edit: no handler reads it, no listing moved.
    host.apply_change(stack, _stack() + "\n// edited\n", 2)
    assert host.analysis().findings() and host.resolver.generation == gen
    # The handler file's edit: the resolutions that read its exports are dropped.
    host.apply_change(h0, _handler(0).replace("function main", "function mian"), 2)
    found = host.analysis().findings()
    assert host.resolver.generation > gen
    assert any(f.code == "handler-export-missing" and f.data and f.data.get("file") == str(h0) for f in found)
