"""Construct recognition (layer 2: model): `new X(...)` and the constructs method calls reach.

Each `new X(scope, "id", props)` of an SST or CDK class (and `new sst.aws.X("id", props)` of
v3) becomes a `Construct` with its id, props, stack, variable and branch; its handler positions
are read by `handler_sites`. Products are remembered in the file's `ExtractMemo` and reused
while what they depend on stays. A method call's receiver is found among this file's constructs,
a parameter bound by an evaluated call, `use(OtherStack)` outputs or another module's
`new` expression (`construct_of`).
"""

from __future__ import annotations

import dataclasses

from tree_sitter import Node

from sst_lsp.model import handler_sites, interp, origins, stacks
from sst_lsp.model.extract_context import MAX_INTERPRET_DEPTH, FileContext
from sst_lsp.model.extract_memo import Keyed, Product
from sst_lsp.model.js_values import tag, unwrap
from sst_lsp.model.modules import Module
from sst_lsp.model.types import Construct
from sst_lsp.syntax.ts_nodes import variable_declarators


def new_construct(cx: FileContext, node: Node) -> None:
    memo = cx.memo
    stack, branch = cx.place(node)
    var_name = cx.var_name(node)
    key: Keyed | None = None
    if memo is not None and not node.has_error and not cx.active:
        # Everything the products depend on besides the identifiers resolved (checked by
        # `still_valid`) and the `by_var` checks: the text fixes every range inside relative
        # to the start, the start's code-point column the columns on its line, and the text
        # with the file's imports the construct's class. The start is a position, not
        # tree-sitter's point: with a lone CR its rows are not the file's lines.
        start = cx.pf.node_start(node)
        key = Keyed((cx.text(node), start.line, start.col, node.start_point[1], cx.imports_key(),
                     stack, var_name))
        for got in memo._get(key):
            if reusable(cx, got, node):
                if got.construct.branch != branch:
                    got.construct = dataclasses.replace(got.construct, branch=branch)
                reuse(cx, got, node)
                memo._put(key, got)
                return
    ctor = node.child_by_field_name("constructor")
    args_node = node.child_by_field_name("arguments")
    if ctor is None or args_node is None:
        return
    args = [a for a in args_node.named_children if a.type != "comment"]
    cls = origins.classify(cx, ctor)
    if cls is None:
        stacks.maybe_v0_registration(cx, node, ctor, args)
        return
    kind, origin = cls
    if origin == "sst3":
        if not args:
            return
        scope_text, id_node, props_node = "", args[0], args[1] if len(args) > 1 else None
    else:
        if len(args) < 2:
            return
        scope_text, id_node, props_node = cx.text(args[0]), args[1], args[2] if len(args) > 2 else None
    h0, r0, u0 = len(cx.handlers), len(cx.routes), cx.unresolved
    cut0, op0 = cx.ev.cutoffs, cx.ev.opaque
    cx.var_checks = []
    cx.ev.begin_recording(node)
    try:
        idv = cx.ev.value(id_node)
        dynamic = idv.kind != "string"
        cid = str(idv.value) if not dynamic else cx.text(id_node)
        props = cx.ev.value(props_node) if props_node is not None else None
        c = Construct(
            kind=kind,
            origin=origin,
            id=cid,
            id_range=idv.range if not dynamic and idv.path in (None, cx.path) else cx.pf.node_range(id_node),
            path=cx.path,
            range=cx.pf.node_range(node),
            stack=stack,
            scope=scope_text,
            props=props,
            var_name=var_name,
            dynamic_id=dynamic,
            branch=branch,
        )
        cx.constructs.append(c)
        cx.by_node[node.id] = c
        if c.var_name:
            cx.by_var[(stack, c.var_name)] = c
        if origin == "sst":
            handler_sites.sst_handlers(cx, c, props)
        elif origin == "sst3":
            handler_sites.v3_handlers(cx, c, props)
    finally:
        lookups = cx.ev.end_recording()
        var_checks = tuple(cx.var_checks)
        cx.var_checks = None
    if key is not None and memo is not None and cx.ev.cutoffs == cut0 and cx.ev.opaque == op0:
        cx.evaluated += 1
        memo._put(key, Product(c, tuple(cx.handlers[h0:]), tuple(cx.routes[r0:]),
                                cx.unresolved - u0, lookups, var_checks))


def reusable(cx: FileContext, p: Product, node: Node) -> bool:
    """True when a remembered product still holds for `node` (same key): every `by_var`
    check answers as before, and every identifier resolves to an equal declaration."""
    for k, present in p.var_checks:
        if (k in cx.by_var) != present:
            return False
    return cx.ev.still_valid(node, p.lookups)


def reuse(cx: FileContext, p: Product, node: Node) -> None:
    """Adds a remembered product, with the side effects its extraction had."""
    c = p.construct
    cx.constructs.append(c)
    cx.by_node[node.id] = c
    if c.var_name:
        cx.by_var[(c.stack, c.var_name)] = c
    cx.handlers.extend(p.handlers)
    cx.routes.extend(p.routes)
    cx.unresolved += p.unresolved
    cx.reused += 1


# ------------------------------------------------------------------------------------------
# Method calls: registrations, defaults, `add*` methods, v3 `.route()` and friends.
def method_call(cx: FileContext, node: Node) -> None:
    fn = node.child_by_field_name("function")
    args_node = node.child_by_field_name("arguments")
    if fn is None or args_node is None:
        return
    recv = fn.child_by_field_name("object")
    prop = fn.child_by_field_name("property")
    if recv is None or prop is None:
        return
    method = cx.text(prop)
    args = [a for a in args_node.named_children if a.type != "comment"]
    if method == "stack":
        stacks.registration(cx, node, recv, args)
        return
    if method == "setDefaultFunctionProps":
        stacks.default_function_props(cx, node, recv, args)
        return
    stack = cx.enclosing_stack(node)
    inner = unwrap(recv)
    if inner is not None and inner.type == "new_expression":
        # `new sst.aws.ApiGatewayV2("Api").route("GET /", "src/get.handler")`.
        c = cx.by_node.get(inner.id)
    else:
        c = cx.by_var.get((stack, cx.text(recv))) or cx.by_var.get((None, cx.text(recv)))
    elsewhere = False
    if c is None:
        # A construct of another stack (`use()`), another module, or a parameter.
        c = construct_of(cx, recv)
        elsewhere = True
    if c is None:
        return
    if c.origin == "sst3":
        handler_sites.v3_method(cx, c, method, args)
        return
    if c.origin != "sst":
        return
    # v1/v2 add* methods take the scope first: `api.addRoutes(stack, {...})`.
    handler_sites.sst_method(cx, c, method, [cx.ev.value(a) for a in args], stack if elsewhere else c.stack)


# ------------------------------------------------------------------------------------------
# Constructs reached from elsewhere: parameters, `use(OtherStack)`, other modules.
def construct_of(cx: FileContext, node: Node | None, depth: int = 0) -> Construct | None:
    """The construct an expression stands for, if one is known (counted in the root
    context's `construct_reads`: see `expand.run_call`'s memo)."""
    got = _construct_of(cx, node, depth)
    if got is not None and depth == 0:
        cx.root().construct_reads += 1
    return got


def _construct_of(cx: FileContext, node: Node | None, depth: int = 0) -> Construct | None:
    node = unwrap(node)
    if node is None or depth > MAX_INTERPRET_DEPTH:
        return None
    t = node.type
    if t == "new_expression":
        return cx.by_node.get(node.id)
    if t == "member_expression":
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if obj is None or prop is None:
            return None
        outs = outputs_of(cx, obj, depth + 1)
        return outs.get(cx.text(prop)) if outs is not None else None
    if t != "identifier":
        return None
    name = cx.text(node)
    stack = cx.enclosing_stack(node)
    c = cx.by_var.get((stack, name)) or cx.by_var.get((None, name))
    if c is not None:
        return c
    target, where = cx.ev.binding(node)
    if where is not None and where.type not in ("program", "statement_block", "class_body", "switch_body"):
        c = cx.bound.get((where.id, name))
        if c is None and where.type in interp.FUNCTION_TYPES:
            c = typed_param(cx, where, name)
        if c is not None:
            cx.root().bound_construct_reads += 1  # Described by the call's arguments and text.
        return c
    if target is not None:
        if target.type == "new_expression":
            return cx.by_node.get(target.id) or construct_at(cx, cx.mod, target, stack)
        return _construct_of(cx, target, depth + 1)  # `const t = use(S).table`.
    if where is not None:
        got = destructured(cx, node, where)
        if got is not None:
            outs = outputs_of(cx, got[0], depth + 1)
            return outs.get(got[1]) if outs is not None else None
    if (where is None or where.type == "program") and name in cx.mod.imports:
        tgt = cx.program.local(cx.mod, name)
        if tgt is not None and tgt.node is not None and tgt.node.type == "new_expression":
            return construct_at(cx, tgt.module, tgt.node, None)
    return None


def destructured(cx: FileContext, ident: Node, scope: Node) -> tuple[Node, str] | None:
    """(value, key) of the declaration in `scope` that binds `ident` by destructuring:
    `const { table } = use(StorageStack)` -> (use(StorageStack), "table")."""
    name = cx.text(ident)
    for st in scope.named_children:
        decl = st.child_by_field_name("declaration") if st.type == "export_statement" else st
        if decl is None or decl.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for d, pattern in variable_declarators(decl):
            value = d.child_by_field_name("value")
            if value is None or pattern.type != "object_pattern":
                continue
            for p in pattern.named_children:
                if p.type == "shorthand_property_identifier_pattern" and cx.text(p) == name:
                    return value, name
                if p.type == "pair_pattern":
                    k, v = p.child_by_field_name("key"), p.child_by_field_name("value")
                    if k is not None and v is not None and cx.text(v) == name:
                        return value, cx.text(k).strip("\"'")
    return None


def outputs_of(cx: FileContext, node: Node | None, depth: int = 0) -> dict[str, Construct] | None:
    """The constructs a stack returns, for `use(Stack)` (or a name bound to one)."""
    node = unwrap(node)
    if node is None or depth > MAX_INTERPRET_DEPTH:
        return None
    if node.type == "identifier":
        target = cx.ev.lookup(node)
        return outputs_of(cx, target, depth + 1) if target is not None else None
    if node.type != "call_expression":
        return None
    fn_expr = node.child_by_field_name("function")
    args = node.child_by_field_name("arguments")
    if not cx.is_use(fn_expr) or args is None or not args.named_children:
        return None
    got = cx.ev.function_of(args.named_children[0])
    if got is None or got[0].module is None:
        return None
    ev, fn = got
    module = ev.module
    assert module is not None
    ctx = stacks.sub_context(cx, module)
    name_node = fn.child_by_field_name("name")
    if fn.id in ctx.stack_nodes:
        stack_name: str | None = ctx.stack_nodes[fn.id][0]
    else:
        stack_name = module.pf.node_text(name_node) if name_node is not None else None
    outs = interp.stack_outputs(fn)
    if outs is None:
        return None
    found: dict[str, Construct] = {}
    for ch in outs.named_children:
        if ch.type == "shorthand_property_identifier":
            key, value = module.pf.node_text(ch), ch
        elif ch.type == "pair":
            k, v = ch.child_by_field_name("key"), ch.child_by_field_name("value")
            if k is None or v is None:
                continue
            key, value = module.pf.node_text(k).strip("\"'"), v
        else:
            continue
        v2: Node | None = unwrap(value) or value
        if v2 is not None and v2.type in ("identifier", "shorthand_property_identifier"):
            v2 = unwrap(ev.lookup(v2))
        if v2 is not None and v2.type == "new_expression":
            c = ctx.by_node.get(v2.id) if ctx is cx.root() else None
            c = c or construct_at(cx, module, v2, stack_name)
            if c is not None:
                found[key] = c
    return found


def construct_at(cx: FileContext, module: Module, node: Node, stack: str | None) -> Construct | None:
    """A construct for a `new` expression of any module (not added to this file's)."""
    root = cx.root()
    key = (module.path, node.start_byte)
    if key in root.foreign:
        return root.foreign[key]
    root.foreign[key] = None  # A cycle finds nothing.
    ctx = stacks.sub_context(cx, module)
    ctor = node.child_by_field_name("constructor")
    args_node = node.child_by_field_name("arguments")
    c: Construct | None = None
    cls = origins.classify(ctx, ctor) if ctor is not None else None
    if cls is not None and args_node is not None:
        kind, origin = cls
        args = [a for a in args_node.named_children if a.type != "comment"]
        id_node = args[0] if origin == "sst3" else (args[1] if len(args) > 1 else None)
        props_node = args[1 if origin == "sst3" else 2] if len(args) > (1 if origin == "sst3" else 2) else None
        if id_node is not None:
            idv = ctx.ev.value(id_node)
            dynamic = idv.kind != "string"
            props = ctx.ev.value(props_node) if props_node is not None else None
            if props is not None and module is not root.mod:
                props = tag(props, module.path)
            c = Construct(
                kind=kind, origin=origin, id=str(idv.value) if not dynamic else ctx.text(id_node),
                id_range=ctx.pf.node_range(id_node), path=module.path, range=ctx.pf.node_range(node),
                stack=stack if stack is not None else ctx.enclosing_stack(node),
                scope="" if origin == "sst3" else ctx.text(args[0]), props=props,
                var_name=ctx.var_name(node), dynamic_id=dynamic,
            )
    root.foreign[key] = c
    return c


def typed_param(cx: FileContext, fn: Node, name: str) -> Construct | None:
    """A parameter typed as an SST construct (`api: Api`, `queue: sst.aws.Queue`) that no
    evaluated call binds: the body's method calls on it are still handler positions."""
    for pname, ident, ty in interp.param_names(fn):
        if pname != name or not ty:
            continue
        ty = ty.split("<", 1)[0].strip()
        kind_origin: tuple[str, str] | None = None
        if ty in cx.sst_names and cx.sst_names[ty] not in ("App", "Stack", "StackContext"):
            kind_origin = (cx.sst_names[ty], "sst")
        elif "." in ty:
            ns, _, cls = ty.rpartition(".")
            if ns in cx.sst_ns:
                kind_origin = (cls, "sst")
            elif ns == "sst.aws":
                kind_origin = (cls, "sst3")
        if kind_origin is None:
            return None
        r = cx.pf.node_range(ident)
        cx.root().expanded = True
        return Construct(kind=kind_origin[0], origin=kind_origin[1], id=name, id_range=r, path=cx.path,
                         range=r, stack=cx.enclosing_stack(fn), var_name=name, dynamic_id=True)
    return None
