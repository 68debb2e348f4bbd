"""Per-file fact extraction (layer 2: model): `ParsedFile` -> `FileFacts`, the orchestrator.

What a JS/TS file says about an SST app: its imports, stack definitions (v0 classes, v1/v2
functions taking a StackContext), stack registrations (`app.stack(X)`, `new X(app, "id")`),
constructs (`new X(scope, "id", props)` for SST and CDK classes, `new sst.aws.X("id", props)`
for v3), handler strings in every position SST accepts a function, route keys, default function
props and the app config of `sst.config.*`.

Extraction never raises on user code: an unknown shape is skipped (and counted in
`unresolved` when it sits where a handler belongs).

Across files (with a `Program`, see `new_program`): values are followed through imports, calls
of the app's functions are run with their arguments (the body in the file that defines it, by
a sub-extractor of that module, placed in the caller's stack), loops over known items
(`for ... of`, `.forEach`/`.map`, `Object.entries/keys/values`, `readdirSync`) are run once per
item, and constructs reached through parameters, `use(OtherStack)` or imports are receivers of
handler methods. Each reference keeps the file its string is written in; `FileFacts.interpreted`
names the helper bodies whose unbound extraction in their own file the app then drops.

Extraction is incremental when the caller keeps an `ExtractMemo` per file: the products of each
`new X(...)` (its Construct, handlers, route keys and unresolved count) are remembered under
what they depend on (the expression's text and position, its class, enclosing stack, variable
and branch, the file's imports) and reused by the next extraction when the identifiers its
evaluation resolved still resolve to the same declarations. A product whose evaluation went
through a call, a binding or another module is not remembered (its lookups do not say what it
read). Typing inside one construct of a large stack file then evaluates that construct only;
the result is equal to a from-scratch extraction.

The work is split by concept, each part a module of functions over one `FileContext`
(`model/extract_context.py`): `origins`, `stacks`, `app_config`, `constructs`, `handler_sites`,
`expand` and `extract_memo`. This module runs them in order and keeps the public names.
"""

from __future__ import annotations

from pathlib import Path

from sst_lsp.model import constructs, expand, interp, stacks
from sst_lsp.model.extract_context import MAX_INTERPRET_DEPTH, FileContext, new_program
from sst_lsp.model.extract_memo import MEMO_MIN_ENTRIES, ExtractMemo
from sst_lsp.model.extract_query import captures
from sst_lsp.model.js_values import string_content
from sst_lsp.model.modules import Program
from sst_lsp.model.origins import cdk_module, is_sst_module
from sst_lsp.model.types import FileFacts, ImportFact, StackDef
from sst_lsp.syntax.parser import JS_LANGS, ParsedFile

__all__ = [
    "MAX_INTERPRET_DEPTH",
    "MEMO_MIN_ENTRIES",
    "ExtractMemo",
    "cdk_module",
    "extract",
    "is_sst_module",
    "new_program",
]


def extract(pf: ParsedFile, path: Path, memo: ExtractMemo | None = None,
            program: Program | None = None) -> FileFacts:
    """The facts of one JS/TS file. Never raises on any text.

    With a `memo` (one per file, see `ExtractMemo`), the products of `new` expressions that did
    not change are reused from earlier extractions; the facts are equal either way. With a
    `program` (see `new_program`), values, functions and constructs of the modules the file
    imports are followed; `program.deps` and `program.dirs` then say what the facts depend on.
    """
    if pf.lang not in JS_LANGS:
        if memo is not None:
            memo.clear()
        return FileFacts(path=path, lang=pf.lang)
    if memo is None:
        return run(FileContext(pf, path, program=program))
    memo._bind(path, pf.lang)
    ex = FileContext(pf, path, memo, program=program)
    try:
        facts = run(ex)
    except BaseException:
        memo.clear()
        raise
    if ex.order_dependent():
        # Some value was cut off by a depth limit or a reference cycle: what it evaluates to
        # depends on which expressions were evaluated before, so reused products could differ
        # from a fresh extraction. Extract afresh and remember no products from this file (the
        # query's captures do not depend on evaluation: they stay).
        memo._entries.clear()
        memo._calls.clear()
        memo.hits = memo.misses = memo.call_hits = 0
        if ex.reused:
            facts = run(FileContext(pf, path, program=program))
        return facts
    memo.hits, memo.misses, memo.call_hits = ex.reused, ex.evaluated, ex.call_reused
    memo._trim(ex.reused + ex.evaluated)
    return facts


def run(cx: FileContext) -> FileFacts:
    root = cx.pf.root
    for st in root.named_children:
        try:
            if st.type == "ERROR":
                stacks.recover(cx, st)
            else:
                stacks.top_level(cx, st)
        except RecursionError:
            cx.recursion_errors += 1
            continue
    caps = captures(cx)
    cx.full_caps = caps
    news, calls, uses = caps["new"], caps["call"], caps["use"]
    called = {cx.text(n) for n in caps["callee"]}
    for spec_node in caps["dynimport"]:
        # `await import("./infra/api")` (v3 `run()` bodies): the file is part of the app.
        got = string_content(cx.pf, spec_node)
        if got is not None:
            cx.imports.append(ImportFact(got[0], got[1], ()))
    # Registrations first: an inline `app.stack(function Site({ stack }) {...})` is a stack
    # definition the constructs inside it belong to.
    reg_calls = [c for c in calls if cx.method_name(c) == "stack"]
    for c in reg_calls:
        cx.guard(constructs.method_call, c)
    # Loops over known items and bodies of this file's functions that its calls evaluate
    # are left to that evaluation (below), which runs them with their bindings.
    regions, fcalls = expand.find_regions(cx, caps, root)
    skip = cx.skip
    if skip:
        news = [n for n in news if not interp.inside(n, skip)]
        calls = [c for c in calls if not interp.inside(c, skip)]
    for n in news:
        u0 = cx.unresolved
        cx.guard(constructs.new_construct, n)
        if cx.unresolved != u0:
            cx.unresolved_at.append((cx.pf.node_range(n), cx.unresolved - u0))
    for c in calls:
        if cx.method_name(c) != "stack":
            u0 = cx.unresolved
            cx.guard(constructs.method_call, c)
            if cx.unresolved != u0:
                cx.unresolved_at.append((cx.pf.node_range(c), cx.unresolved - u0))
    for u in uses:
        cx.guard(stacks.use_call, u)
    for node in expand.in_order(cx, regions, fcalls):
        cx.guard(expand.interpret, node)
    found = [
        (node.start_byte, name, form, cx.pf.node_range(name_node), cx.pf.node_range(node))
        for name, form, node, name_node in cx.stack_nodes.values()
    ]
    found.extend((start, name, "function", name_range, rng) for name, start, _end, name_range, rng in cx.loose)
    found.sort(key=lambda s: s[0])
    stack_defs = tuple(
        StackDef(
            name=name,
            path=cx.path,
            name_range=name_range,
            range=rng,
            form=form,  # type: ignore[arg-type]
            default_function_props=tuple(cx.stack_defaults.get(name, ())),
            uses=tuple(dict.fromkeys(cx.stack_uses.get(name, ()))),
        )
        for _start, name, form, name_range, rng in found
    )
    return FileFacts(
        path=cx.path,
        lang=cx.pf.lang,
        interpreted=tuple(dict.fromkeys(cx.interpreted)),
        expanded=cx.expanded,
        unresolved_at=tuple(cx.unresolved_at),
        imports=tuple(cx.imports),
        stacks=stack_defs,
        registrations=tuple(cx.registrations),
        constructs=tuple(cx.constructs),
        handlers=tuple(cx.handlers),
        routes=tuple(cx.routes),
        app_default_function_props=tuple(cx.app_defaults),
        config=cx.config,
        unresolved=cx.unresolved,
        syntax_errors=tuple(cx.pf.errors),
        is_entry=cx.is_entry,
        default_export=cx.default_export,
        export_aliases=tuple(cx.export_aliases),
        called=tuple(sorted(called)),
    )
