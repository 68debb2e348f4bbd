"""Scopes and evaluation of extraction (layer 2: model): calls of app functions and loops over
known items, run with their bindings.

A call of one of the app's functions runs its body once with the call's arguments (in this
file, or in a sub-context of the module that defines it, placed in the caller's stack); a loop
over known items (`for ... of`, `.forEach`/`.map`, `Object.entries/keys/values`, `readdirSync`)
runs its body once per item. `model/interp.py` binds the values; `model/evaluate.py` evaluates.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tree_sitter import Node

from sst_lsp.model import constructs, handler_sites, interp, stacks
from sst_lsp.model.evaluate import Evaluator, Lookup
from sst_lsp.model.extract_context import MAX_INTERPRET_DEPTH, FileContext, get_prop
from sst_lsp.model.extract_memo import CallProduct, Keyed
from sst_lsp.model.extract_query import captures_in, member_callees
from sst_lsp.model.js_values import tag
from sst_lsp.model.types import Construct, ImportFact, Value
from sst_lsp.syntax.parser import JS_LANGS, lang_for_path


# ------------------------------------------------------------------------------------------
# Calls of app functions and loops over known items: their bodies run once per call (with
# the call's arguments) or per item (model/interp.py binds the values), in this file or in
# the module that defines the function (a sub-context of it, see `stacks.sub_context`).
def find_regions(cx: FileContext, caps: dict[str, list[Node]], within: Node) -> tuple[list[Node], list[Node]]:
    """The loops and callbacks over known items and the calls of app functions among
    `caps` (the captures inside `within`); the spans the main pass leaves to them go to
    `cx.skip`."""
    regions: list[Node] = []
    for loop in caps["loop"]:
        if interp.loop_head(loop) is not None and items_of(cx, loop) is not None:
            regions.append(loop)
    for call in caps["cbcall"]:
        if interp.callback_of(call) is not None and items_of(cx, call) is not None:
            regions.append(call)
    fcalls: list[Node] = []
    for fn_node in namespace_callees(cx, caps, within):
        parent = fn_node.parent
        if parent is None or parent.type != "call_expression":
            continue
        call = parent
        got = callee(cx, call)
        if got is None:
            continue
        fcalls.append(call)
        if got[0] is cx.ev and got[1].id not in cx.active:
            # (A recursive call inside the body being run does not hide that body.)
            cx.skip.append(interp.span(got[1]))
    for r in regions:
        body = region_body(cx, r)
        if body is not None:
            cx.skip.append(interp.span(body))
    return regions, fcalls


def namespace_callees(cx: FileContext, caps: dict[str, list[Node]], within: Node) -> list[Node]:
    """The callee nodes of calls that may name an app function: identifiers (`add(...)`) and
    members of a namespace (`routes.add(...)` after `import * as routes`, or after
    `const routes = await import("./routes")`), in document order. Only a file that imports a
    relative module as a namespace, or may hold a dynamic import, is queried for the latter."""
    ev = cx.ev
    if not ev.may_call_through_namespace():
        return caps["callee"]
    out = list(caps["callee"])
    for m in member_callees(cx.pf, within):
        obj = m.child_by_field_name("object")
        if obj is not None and ev.names_module(obj):
            out.append(m)
    out.sort(key=lambda n: n.start_byte)
    return out


def in_order(cx: FileContext, regions: list[Node], fcalls: list[Node]) -> list[Node]:
    """The regions and calls not inside another one's span, in document order."""
    skip = cx.skip
    out = [n for n in regions + fcalls if not interp.inside(n, skip)]
    out.sort(key=lambda n: n.start_byte)
    return out


def region_body(cx: FileContext, node: Node) -> Node | None:
    if node.type == "for_in_statement":
        return node.child_by_field_name("body")
    cb = interp.callback_of(node)
    return cb[1] if cb is not None else None


def items_of(cx: FileContext, node: Node) -> list[Value] | None:
    """What a loop or a `.forEach`/`.map` iterates over, when it is known."""
    if node.type == "for_in_statement":
        head = interp.loop_head(node)
        expr = head[1] if head is not None else None
    else:
        cb = interp.callback_of(node)
        expr = cb[0] if cb is not None else None
    if expr is None:
        return None
    return interp.iteration(cx.ev, expr, lambda d: list_dir(cx, d))


def list_dir(cx: FileContext, d: str) -> list[str] | None:
    """JS/TS files of a folder named relative to this file (`readdirSync("infra")` in
    sst.config.ts: SST runs it from the app root, where the config is)."""
    folder = Path(os.path.normpath(cx.path.parent / d))
    names = cx.program.list_dir(folder)
    return [n for n in names
            if lang_for_path(folder / n) in JS_LANGS and not n.endswith(".d.ts") and not is_test_name(n)]


def callee(cx: FileContext, call: Node) -> tuple[Evaluator, Node] | None:
    """The app function a call runs (None: not one, or a stack or entry function, which
    SST runs itself). Asked once per call and context (finding the calls, then running them)."""
    cache = cx.callees
    if call.id in cache:
        return cache[call.id]
    got = cache[call.id] = _callee(cx, call)
    return got


def _callee(cx: FileContext, call: Node) -> tuple[Evaluator, Node] | None:
    fn_expr = call.child_by_field_name("function")
    if fn_expr is None or cx.text(fn_expr) in ("require", "$config") or cx.is_use(fn_expr):
        return None
    got = cx.ev.function_of(fn_expr)
    if got is None:
        return None
    ev, fn = got
    if fn.child_by_field_name("body") is None:
        return None
    if ev is cx.ev:
        if fn.id in cx.stack_nodes or fn.id in cx.entry_params:
            return None
        ctx = cx
    else:
        if ev.module is None:
            return None
        ctx = stacks.sub_context(cx, ev.module)
    params = interp.param_names(fn)
    first = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    first_p = None
    if first is not None:
        first_p = first if first.type == "identifier" else next(
            (p for p in first.named_children if p.type != "comment"), None)
    if first_p is not None and (stacks.is_stack_param(ctx, first_p) or (
            params and params[0][2] == "" and stacks.param_used_as_context(ctx, fn, first_p))):
        return None  # A stack function called as a helper keeps its own stack.
    return got


def run_region(cx: FileContext, body: Node) -> None:
    """Extracts what a body holds, under the bindings in place (and its own loops and
    calls, each with theirs)."""
    caps = captures_in(cx, body)
    saved = cx.skip
    cx.skip = []
    try:
        regions, fcalls = find_regions(cx, caps, body)
        skip = cx.skip
        for n in caps["new"]:
            if not interp.inside(n, skip):
                cx.guard(constructs.new_construct, n)
        for c in caps["call"]:
            if not interp.inside(c, skip) and cx.method_name(c) != "stack":
                cx.guard(constructs.method_call, c)
        for d in caps["dynexpr"]:
            if d.type != "string" and not interp.inside(d, skip):
                cx.guard(dynamic_import, d)
        for node in in_order(cx, regions, fcalls):
            cx.guard(interpret, node)
    finally:
        cx.skip = saved


def interpret(cx: FileContext, node: Node) -> None:
    if len(cx.active) >= MAX_INTERPRET_DEPTH or node.id in cx.active:
        return
    cx.root().expanded = True
    if node.type == "for_in_statement":
        run_loop(cx, node)
    elif interp.callback_of(node) is not None and items_of(cx, node) is not None:
        run_callback(cx, node)
    else:
        run_call(cx, node)


def run_loop(cx: FileContext, loop: Node) -> None:
    head = interp.loop_head(loop)
    body = loop.child_by_field_name("body")
    items = items_of(cx, loop)
    if head is None or body is None or items is None:
        return
    pattern = head[0]

    def bind(item: Value) -> dict[str, Value]:
        values: dict[str, Value] = {}
        interp.bind_pattern(cx.ev, pattern, item, values)
        return values

    run_for_each(cx, loop, loop, body, items, bind)


def run_callback(cx: FileContext, call: Node) -> None:
    cb = interp.callback_of(call)
    items = items_of(cx, call)
    if cb is None or items is None:
        return
    fn = cb[1]
    body = fn.child_by_field_name("body")
    if body is None:
        return
    run_for_each(cx, call, fn, body, items, lambda item: interp.bind_params(cx.ev, fn, [item]))


def run_for_each(cx: FileContext, node: Node, binder: Node, body: Node, items: list[Value],
                 bind: Callable[[Value], dict[str, Value]]) -> None:
    """Runs `body` once per item, with the names `bind(item)` gives bound on `binder` (a loop's
    head or a callback's parameters); `node` is the loop or call being interpreted."""
    cx.active.append(node.id)
    try:
        for item in items:
            values = bind(item)
            cx.ev.bind(binder, values)
            try:
                run_region(cx, body)
            finally:
                cx.ev.unbind(binder, list(values))
    finally:
        cx.active.pop()


def run_call(cx: FileContext, call: Node) -> None:
    """Runs the body of the app function a call names with the call's arguments.

    A call of another module's function at the top of an extraction is remembered in the file's
    memo, keyed on the callee's text and position, its module's imports (which classes its `new`
    expressions name), the call's place, its argument values and
    what the body can read of the constructs they bind (`bound_signature`); the next extraction
    reuses the product while every identifier the body resolved still resolves alike in the
    callee's module. A body that read anything else (another call, a namespace, a constant of
    another module with its parameters bound, a construct not bound by the call) is not
    remembered: its lookups would not say what it read.
    """
    got = callee(cx, call)
    args_node = call.child_by_field_name("arguments")
    if got is None or args_node is None:
        return
    ev, fn = got
    if fn.id in cx.active:
        return  # Recursion: the body is being run already.
    root = cx.root()
    root.calls_run += 1
    ctx = cx if ev is cx.ev else stacks.sub_context(cx, ev.module)  # type: ignore[arg-type]
    arg_nodes = [a for a in args_node.named_children if a.type != "comment"]
    args: list[Value | None] = []
    for a in arg_nodes:
        if a.type == "spread_element":
            break
        v = cx.ev.value(a)
        args.append(tag(v, cx.path) if ctx is not cx else v)
    bound: dict[tuple[int, str], Construct] = {}
    for (name, _ident, _ty), a in zip(interp.param_names(fn), arg_nodes, strict=False):
        if name:
            c = constructs.construct_of(cx, a)
            if c is not None:
                bound[(fn.id, name)] = c
    place = cx.place(call)
    memo = root.memo
    key: Keyed | None = None
    if memo is not None and ctx is not cx and not cx.active and not call.has_error and not fn.has_error:
        start = ctx.pf.node_start(fn)
        key = Keyed((ctx.path, start.line, start.col, ctx.text(fn), ctx.imports_key(), place, tuple(args),
                     tuple((name, bound_signature(c)) for (_id, name), c in bound.items())))
        prod = memo._get_call(key)
        if prod is not None and ev.still_valid(fn, prod.lookups):
            root.constructs.extend(prod.constructs)
            root.handlers.extend(prod.handlers)
            root.routes.extend(prod.routes)
            cx.unresolved += prod.unresolved
            root.interpreted.append(prod.interpreted)
            root.call_reused += 1
            memo._put_call(key, prod)
            return
    values = interp.bind_params(ev, fn, args)
    saved_forced, saved_vars = ctx.forced, ctx.by_var
    ctx.forced = place
    if ctx is not cx:
        ctx.by_var = {}
    ctx.bound.update(bound)
    ev.bind(fn, values)
    cx.active.append(fn.id)
    body = fn.child_by_field_name("body")
    n_c, n_h, n_r = len(root.constructs), len(root.handlers), len(root.routes)
    counts = (ev.opaque - ev.bound_reads, ev.cutoffs, root.calls_run,
              root.construct_reads - root.bound_construct_reads, root.recursion_errors)
    if key is not None:
        ev.begin_recording(fn)
    lookups: tuple[Lookup, ...] = ()
    try:
        if body is not None:
            run_region(ctx, body)
    finally:
        if key is not None:
            lookups = ev.end_recording()
        cx.active.pop()
        ev.unbind(fn, list(values))
        for k in bound:
            ctx.bound.pop(k, None)
        ctx.forced, ctx.by_var = saved_forced, saved_vars
    if ctx is not cx:
        unresolved = ctx.unresolved
        cx.unresolved += unresolved
        ctx.unresolved = 0
        where = (ctx.path, ctx.pf.node_range(fn))
        root.interpreted.append(where)
        if key is not None and memo is not None and counts == (
                ev.opaque - ev.bound_reads, ev.cutoffs, root.calls_run,
                root.construct_reads - root.bound_construct_reads, root.recursion_errors):
            memo._put_call(key, CallProduct(tuple(root.constructs[n_c:]), tuple(root.handlers[n_h:]),
                                            tuple(root.routes[n_r:]), unresolved, where, lookups))


def bound_signature(c: Construct) -> tuple[object, ...]:
    """What a helper's body can read of a construct a call binds to a parameter: what it is,
    where it is, and the props `handler_sites` reads of a receiver (the function defaults, an
    AppSync API's data sources), not its routes or other props."""
    props = c.props
    d = handler_sites.defaults_of(c, props)
    return (c.kind, c.origin, c.id, c.path, c.range, c.stack, c.var_name, c.dynamic_id, c.branch,
            d.runtime, d.src_path, get_prop(props, "dataSources"))


def dynamic_import(cx: FileContext, expr: Node) -> None:
    """A dynamic `import()` of a computed path inside a loop over known names: a module of the app."""
    v = cx.ev.value(expr)
    if v.kind == "string" and cx.parent is None:
        cx.imports.append(ImportFact(str(v.value), v.range if v.path is None else cx.pf.node_range(expr), ()))


def is_test_name(name: str) -> bool:
    return ".test." in name or ".spec." in name
