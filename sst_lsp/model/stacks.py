"""Stack discovery (layer 2: model): a file's top level, stack definitions and registrations.

The top level: imports (`import`, `require`), exports, CommonJS `module.exports`, v0 stack classes
(`extends sst.Stack`), v1/v2 stack functions (taking a StackContext), entry functions
(`main(app)`, `stacks(app)`), the default export (a config object goes to `app_config`), and the
stack definitions a syntax error left as loose tokens. Registrations: `app.stack(X, opts)`
chains and v0 `new X(app, "id")`, with their stack names; `use(OtherStack)` and
`setDefaultFunctionProps`. A sub-context reads another module's top level once (`sub_context`).
"""

from __future__ import annotations

import functools

from tree_sitter import Node, Query, QueryCursor

from sst_lsp.model import app_config, origins
from sst_lsp.model.extract_context import FileContext, object_member
from sst_lsp.model.js_module import (
    export_clause,
    export_specifiers,
    import_bindings,
    pattern_imports,
    require_arguments,
)
from sst_lsp.model.js_values import string_content, unwrap
from sst_lsp.model.modules import Module
from sst_lsp.model.types import (
    APP_TOKEN,
    STAGE_TOKEN,
    ImportFact,
    StackRegistration,
    Value,
)
from sst_lsp.syntax.parser import language, walk
from sst_lsp.syntax.text import TextRange
from sst_lsp.syntax.ts_nodes import variable_declarators

_RECOVER_SRC = """
(function_declaration) @fn
(function_expression) @fn
(generator_function_declaration) @fn
(class_declaration) @cls
(import_statement) @imp
"""


@functools.cache
def _recover_query(lang: str) -> Query:
    return Query(language(lang), _RECOVER_SRC)


# ------------------------------------------------------------------------------------------
# Top level: imports, exports, stack definitions, entry functions, config.
def top_level(cx: FileContext, st: Node) -> None:
    t = st.type
    if t == "import_statement":
        read_import(cx, st)
    elif t == "export_statement":
        export(cx, st)
    elif t in ("function_declaration", "class_declaration"):
        definition(cx, st, exported_default=False)
    elif t in ("lexical_declaration", "variable_declaration"):
        declaration(cx, st)
    elif t == "expression_statement":
        commonjs(cx, st)


def read_import(cx: FileContext, st: Node) -> None:
    src = st.child_by_field_name("source")
    if src is None:
        return
    got = string_content(cx.pf, src)
    if got is None:
        return
    spec, spec_range = got
    names: list[tuple[str, str]] = []
    for b in import_bindings(st):
        if b.form == "default":
            names.append((cx.text(b.local), "default"))
        elif b.form == "namespace":
            names.append((cx.text(b.local), "*"))
        elif b.form == "named" and b.imported is not None:
            names.append((cx.text(b.local), cx.text(b.imported)))
    origins.bind_module(cx, spec, names)
    cx.imports.append(ImportFact(spec, spec_range, tuple(names)))


def commonjs(cx: FileContext, st: Node) -> None:
    """CommonJS entries and stacks (v0 JavaScript apps): `module.exports = function main(app)`,
    `exports.default = ...`, `module.exports = class MyStack extends sst.Stack {...}`."""
    expr = st.named_children[0] if st.named_children else None
    if expr is None or expr.type != "assignment_expression":
        return
    left = expr.child_by_field_name("left")
    right = unwrap(expr.child_by_field_name("right"))
    if left is None or right is None or cx.text(left) not in ("module.exports", "exports.default"):
        return
    if right.type in ("function_expression", "function", "arrow_function"):
        maybe_stack_function(cx, right, right.child_by_field_name("name"), default=True)
    elif right.type == "class":
        definition(cx, right, exported_default=True)
    elif right.type == "identifier":
        cx.default_export = cx.text(right)


def declaration(cx: FileContext, st: Node, exported: bool = False) -> None:
    for d, name in variable_declarators(st):
        value = unwrap(d.child_by_field_name("value"))
        if value is None:
            continue
        # `const sst = require("@serverless-stack/resources")` and destructured requires.
        req = require_arguments(cx.pf, value)
        if req:
            got = string_content(cx.pf, req[0])
            if got is not None:
                spec, spec_range = got
                names: list[tuple[str, str]] = []
                if name.type == "identifier":
                    names.append((cx.text(name), "*"))
                elif name.type == "object_pattern":
                    names.extend((cx.text(local), cx.text(key)) for local, key in pattern_imports(name))
                origins.bind_module(cx, spec, names)
                cx.imports.append(ImportFact(spec, spec_range, tuple(names)))
                continue
        if name.type == "identifier" and value.type in ("arrow_function", "function_expression", "function"):
            maybe_stack_function(cx, value, name)


def export(cx: FileContext, st: Node) -> None:
    decl = st.child_by_field_name("declaration")
    is_default = any(c.type == "default" for c in st.children)
    if is_default and cx.default_anchor is None:
        kw = next(c for c in st.children if c.type == "default")
        cx.default_anchor = cx.pf.node_range(kw)
    src = st.child_by_field_name("source")
    if src is not None:
        # Re-exports: `export * from "./x"`, `export { A as B } from "./x"`.
        got = string_content(cx.pf, src)
        if got is None:
            return
        names: list[tuple[str, str]] = []
        clause = export_clause(st)
        if clause is None:
            names.append(("*", "*"))
        else:
            names.extend((cx.text(a or n), cx.text(n)) for n, a, _type_only in export_specifiers(clause))
        cx.imports.append(ImportFact(got[0], got[1], tuple(names), reexport=True))
        return
    if decl is not None:
        if decl.type in ("function_declaration", "class_declaration", "generator_function_declaration"):
            definition(cx, decl, exported_default=is_default)
        elif decl.type in ("lexical_declaration", "variable_declaration"):
            declaration(cx, decl, exported=True)
        return
    clause = export_clause(st)
    if clause is not None:
        for n, a, _type_only in export_specifiers(clause):
            if a is not None:
                cx.export_aliases.append((cx.text(a), cx.text(n)))
                if cx.text(a) == "default":
                    cx.default_export = cx.text(n)
        return
    value = st.child_by_field_name("value")
    if is_default and value is not None:
        default_export_value(cx, value)


def default_export_value(cx: FileContext, value: Node) -> None:
    v = unwrap(value)
    if v is None:
        return
    if v.type == "identifier":
        cx.default_export = cx.text(v)
        # `const config = {...} satisfies SSTConfig; export default config;`
        target = unwrap(cx.ev.lookup(v))
        if target is not None and target.type == "object" and cx.path.name.startswith("sst.config."):
            app_config.v2_config(cx, target)
    elif v.type in ("function_expression", "function", "arrow_function", "class"):
        name_node = v.child_by_field_name("name")
        if v.type == "class":
            definition(cx, v, exported_default=True)
        else:
            maybe_stack_function(cx, v, name_node, default=True)
    elif v.type == "object":
        app_config.v2_config(cx, v)
    elif v.type == "call_expression":
        app_config.config_call(cx, v)


def definition(cx: FileContext, decl: Node, exported_default: bool) -> None:
    name_node = decl.child_by_field_name("name")
    if decl.type in ("function_declaration", "generator_function_declaration", "function_expression"):
        maybe_stack_function(cx, decl, name_node, default=exported_default)
        return
    # Classes: v0 stacks extend sst.Stack / Stack (imported from SST).
    heritage = next((c for c in decl.named_children if c.type == "class_heritage"), None)
    if heritage is None:
        return
    sup = heritage.named_children[0] if heritage.named_children else None
    if sup is not None and sup.type == "extends_clause":
        sup = sup.child_by_field_name("value") or (sup.named_children[0] if sup.named_children else None)
    if sup is None:
        return
    if origins.is_sst_class(cx, sup, "Stack"):
        name = cx.text(name_node) if name_node is not None else "default"
        cx.stack_nodes[decl.id] = (name, "class", decl, name_node or decl)
        if exported_default:
            cx.default_export = name


def maybe_stack_function(cx: FileContext, fn: Node, name_node: Node | None, default: bool = False) -> None:
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    name = cx.text(name_node) if name_node is not None else "default"
    if default:
        cx.default_export = name
    first = None
    if params is not None:
        if params.type == "identifier":
            first = params
        else:
            first = next((p for p in params.named_children if p.type != "comment"), None)
    if name in ("main",) or (default and looks_like_app_param(cx, first)):
        cx.entry_params.add(fn.id)
        cx.is_entry = True
        return
    if first is None:
        return
    if is_stack_param(cx, first) or param_used_as_context(cx, fn, first):
        cx.stack_nodes[fn.id] = (name, "function", fn, name_node or fn)


def looks_like_app_param(cx: FileContext, first: Node | None) -> bool:
    if first is None:
        return False
    txt = cx.text(first)
    return txt.startswith("app") or ": App" in txt or ":App" in txt


def param_used_as_context(cx: FileContext, fn: Node, p: Node) -> bool:
    """`function ApiStack(ctx) { new Api(ctx.stack, ...) }`: an untyped, undestructured
    StackContext, recognised by `ctx.stack` (or `const { stack } = ctx`) in the body."""
    pattern = p
    if p.type in ("required_parameter", "optional_parameter"):
        ty = p.child_by_field_name("type")
        if ty is not None and cx.text(ty).lstrip(": ").strip() not in ("any", "unknown"):
            return False  # Typed as something other than StackContext.
        pattern = p.child_by_field_name("pattern") or p
    if pattern.type != "identifier":
        return False
    name = cx.text(pattern)
    body = fn.child_by_field_name("body")
    if body is None:
        return False
    for n in walk(body):
        if n.type == "member_expression":
            obj = n.child_by_field_name("object")
            prop = n.child_by_field_name("property")
            if (
                obj is not None
                and prop is not None
                and obj.type == "identifier"
                and cx.text(obj) == name
                and cx.text(prop) == "stack"
            ):
                return True
        elif n.type == "variable_declarator":
            left = n.child_by_field_name("name")
            value = n.child_by_field_name("value")
            if (
                left is not None
                and value is not None
                and left.type == "object_pattern"
                and value.type == "identifier"
                and cx.text(value) == name
                and any(cx.text(x) == "stack" for x in left.named_children)
            ):
                return True
    return False


def _names_stack_context(cx: FileContext, ty: Node) -> bool:
    """True when a parameter's type is the StackContext itself (`StackContext`,
    `sst.StackContext`, `StackContext & {...}`), not a type read from it: a helper taking
    `stack: StackContext["stack"]` is a function of the stack, not a stack."""
    todo = [ty]
    while todo:
        n = todo.pop()
        if n.type == "lookup_type":
            continue
        if n.type == "type_identifier" and cx.text(n) == "StackContext":
            return True
        todo.extend(n.named_children)
    return False


def is_stack_param(cx: FileContext, p: Node) -> bool:
    pattern = p
    ty: Node | None = None
    type_text = ""
    if p.type in ("required_parameter", "optional_parameter"):
        pattern = p.child_by_field_name("pattern") or p
        ty = p.child_by_field_name("type")
        type_text = cx.text(ty) if ty is not None else ""
    elif p.type == "assignment_pattern":
        pattern = p.child_by_field_name("left") or p
    if "StackContext" in type_text and ty is not None and _names_stack_context(cx, ty):
        return True
    if pattern.type == "object_pattern":
        for c in pattern.named_children:
            if c.type == "shorthand_property_identifier_pattern" and cx.text(c) == "stack":
                return True
            if c.type == "pair_pattern":
                k = c.child_by_field_name("key")
                if k is not None and cx.text(k) == "stack":
                    return True
            if c.type == "object_assignment_pattern":
                left = c.child_by_field_name("left")
                if left is not None and cx.text(left) == "stack":
                    return True
    return False


# ------------------------------------------------------------------------------------------
# Syntax errors: tree-sitter keeps the statements around a broken region, but a top-level
# definition holding the error may come apart into loose tokens inside an ERROR node.
def recover(cx: FileContext, error: Node) -> None:
    """Finds stack definitions inside a top-level ERROR node."""
    cursor = QueryCursor(_recover_query(cx.pf.lang))
    for _, caps in cursor.matches(error):
        for n in caps.get("fn", ()):
            name_node = n.child_by_field_name("name")
            if name_node is not None:
                maybe_stack_function(cx, n, name_node)
        for n in caps.get("cls", ()):
            definition(cx, n, exported_default=False)
        for n in caps.get("imp", ()):
            read_import(cx, n)
    # `export function ApiStack({ stack }: StackContext) {` whose body holds the error: the
    # tokens `function`, name and parameters are children of the ERROR node itself.
    kids = error.children
    starts: list[tuple[int, Node, Node]] = []
    for i in range(len(kids) - 2):
        if kids[i].type == "function" and kids[i + 1].type == "identifier" and kids[i + 2].type == "formal_parameters":
            first = next((p for p in kids[i + 2].named_children if p.type != "comment"), None)
            if first is not None and is_stack_param(cx, first):
                starts.append((i, kids[i], kids[i + 1]))
    for j, (_i, kw, name_node) in enumerate(starts):
        end_node = starts[j + 1][1] if j + 1 < len(starts) else None
        end_byte = end_node.start_byte if end_node is not None else error.end_byte
        end_pos = (
            cx.pf.node_start(end_node) if end_node is not None
            else cx.pf.node_end(error)
        )
        cx.loose.append(
            (cx.text(name_node), kw.start_byte, end_byte, cx.pf.node_range(name_node),
             TextRange(cx.pf.node_start(kw), end_pos))
        )


def maybe_v0_registration(cx: FileContext, node: Node, ctor: Node, args: list[Node]) -> None:
    entry = cx.enclosing_entry(node)
    if entry is None or ctor.type != "identifier" or len(args) < 2:
        return
    param = cx.entry_param_name(entry)
    if param is None or cx.text(args[0]) != param:
        return
    idv = cx.ev.value(args[1])
    # `new ApiStack(app, "api", { stackName: ... })`: v0 stacks pass their props to cdk.Stack.
    stack_name = stack_name_expr = None
    stack_name_range = None
    if len(args) > 2 and object_member(unwrap(args[2]), "stackName", cx.pf) is not None:
        stack_name, stack_name_expr, stack_name_range = stack_name_option(cx, args[2], {param, "app"})
    cx.registrations.append(
        StackRegistration(
            target=cx.text(ctor),
            path=cx.path,
            range=cx.pf.node_range(ctor),
            explicit_id=idv.str_value,
            id_range=idv.range if idv.kind == "string" else None,
            stack_name=stack_name,
            stack_name_expr=stack_name_expr,
            stack_name_range=stack_name_range,
            branch=cx.branch(node),
        )
    )


def props_arg(cx: FileContext, node: Node) -> Value:
    """`{...}` or `(stack) => ({...})` (SST accepts both for default function props)."""
    n = unwrap(node)
    if n is not None and n.type == "arrow_function":
        body = n.child_by_field_name("body")
        b = unwrap(body)
        if b is not None and b.type == "object":
            return cx.ev.value(b)
    return cx.ev.value(node)


def default_function_props(cx: FileContext, node: Node, recv: Node, args: list[Node]) -> None:
    """`stack.setDefaultFunctionProps(...)` (the stack's) or `app.setDefaultFunctionProps(...)`."""
    if not args:
        return
    v = props_arg(cx, args[-1])
    recv_text = cx.text(recv)
    stack = cx.enclosing_stack(node)
    if stack is not None and recv_text in ("stack", "this", "ctx.stack", "props.stack"):
        cx.stack_defaults.setdefault(stack, []).append(v)
    elif recv_text == "app" or recv_text.endswith(".app") or cx.enclosing_entry(node) is not None:
        cx.app_defaults.append(v)
    elif stack is not None:
        cx.stack_defaults.setdefault(stack, []).append(v)


def registration(cx: FileContext, node: Node, recv: Node, args: list[Node]) -> None:
    # The chain's root must be the app: `app.stack(A).stack(B)`.
    root = recv
    while root.type in ("call_expression", "member_expression", "parenthesized_expression"):
        if root.type == "call_expression":
            f = root.child_by_field_name("function")
            if f is None or f.type != "member_expression":
                return
            root = f.child_by_field_name("object") or root
            if root is f:
                return
        elif root.type == "member_expression":
            obj = root.child_by_field_name("object")
            if obj is None:
                return
            root = obj
        else:
            inner = root.named_children[0] if root.named_children else None
            if inner is None:
                return
            root = inner
    if root.type != "identifier":
        return
    entry = cx.enclosing_entry(node)
    root_name = cx.text(root)
    if not (root_name == "app" or (entry is not None and cx.entry_param_name(entry) == root_name)):
        return
    if not args:
        return
    target = unwrap(args[0]) or args[0]
    opts = cx.ev.value(args[1]) if len(args) > 1 else None
    explicit_id = stack_name = stack_name_expr = None
    id_range = stack_name_range = None
    if opts is not None and opts.kind == "object":
        idv = opts.get("id")
        if idv is not None and idv.kind == "string":
            explicit_id, id_range = idv.str_value, idv.range
        if opts.get("stackName") is not None:
            stack_name, stack_name_expr, stack_name_range = stack_name_option(cx, args[1], {root_name, "app"})
    wrapped = None
    target_name = ""
    if target.type == "identifier":
        target_name = cx.text(target)
    elif target.type in ("arrow_function", "function_expression", "function"):
        params = target.child_by_field_name("parameters") or target.child_by_field_name("parameter")
        first = None
        if params is not None:
            first = params if params.type == "identifier" else next(iter(params.named_children), None)
        name_node = target.child_by_field_name("name")
        if first is not None and is_stack_param(cx, first) and (name_node is not None or explicit_id):
            # An inline stack definition.
            target_name = cx.text(name_node) if name_node is not None else str(explicit_id)
            cx.stack_nodes[target.id] = (target_name, "function", target, name_node or target)
        else:
            wrapped = wrapped_call(cx, target)
            if wrapped is None:
                cx.unresolved += 1
    elif target.type == "member_expression":
        target_name = cx.text(target)
    cx.registrations.append(
        StackRegistration(
            target=target_name,
            path=cx.path,
            range=cx.pf.node_range(target),
            explicit_id=explicit_id,
            id_range=id_range,
            stack_name=stack_name,
            stack_name_expr=stack_name_expr,
            stack_name_range=stack_name_range,
            wrapped=wrapped,
            branch=cx.branch(node),
        )
    )


def stack_name_option(cx: FileContext, opts: Node,
                      app_names: set[str]) -> tuple[str | None, str | None, TextRange | None]:
    """(template, None, range) for the `stackName` of a registration's options, or (None, its
    source, range) when it cannot be evaluated: SST deploys a name we cannot know, which hover
    and synth then say, never putting the default name in its place. The range is None when
    the name is reached through a spread."""
    obj = unwrap(opts)
    if obj is not None and obj.type == "identifier":
        obj = unwrap(cx.ev.lookup(obj))  # `const opts = { stackName: ... }`.
    node = object_member(obj, "stackName", cx.pf)
    if node is None:
        # Reached through a spread: present, not readable.
        return None, f"{cx.text(opts)}.stackName", None
    got = name_template(cx, node, app_names)
    rng = cx.pf.node_range(node)
    return (got, None, rng) if got is not None else (None, cx.text(node), rng)


def name_template(cx: FileContext, node: Node, app_names: set[str], depth: int = 0) -> str | None:
    """A stack name as a template: `${app.stage}` becomes `STAGE_TOKEN` and `${app.name}`
    `APP_TOKEN` (SST's `app.stage`/`app.name`, known per stage); other parts must fold to
    strings. None when some part cannot be known."""
    n = unwrap(node)
    if n is None or depth > 16:
        return None
    if n.type == "member_expression":
        obj, prop = n.child_by_field_name("object"), n.child_by_field_name("property")
        if obj is not None and prop is not None and obj.type == "identifier" and cx.text(obj) in app_names:
            got = {"stage": STAGE_TOKEN, "name": APP_TOKEN}.get(cx.text(prop))
            if got is not None:
                return got
    if n.type == "template_string":
        parts: list[str] = []
        for ch in n.named_children:
            if ch.type == "template_substitution":
                inner = ch.named_children[0] if ch.named_children else None
                got = name_template(cx, inner, app_names, depth + 1) if inner is not None else None
                if got is None:
                    return None
                parts.append(got)
            elif ch.type == "string_fragment":
                parts.append(cx.text(ch))
            else:
                return None  # An escape sequence: no valid stack name holds one.
        return "".join(parts)
    if n.type == "binary_expression":
        op = n.child_by_field_name("operator")
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if op is not None and cx.text(op) == "+" and left is not None and right is not None:
            a = name_template(cx, left, app_names, depth + 1)
            b = name_template(cx, right, app_names, depth + 1)
            return a + b if a is not None and b is not None else None
        return None
    v = cx.ev.value(n)
    return v.str_value


def wrapped_call(cx: FileContext, fn: Node) -> str | None:
    body = fn.child_by_field_name("body")
    b = unwrap(body)
    call = None
    if b is not None and b.type == "call_expression":
        call = b
    elif body is not None and body.type == "statement_block":
        for st in body.named_children:
            if st.type == "return_statement" and st.named_children:
                r = unwrap(st.named_children[0])
                if r is not None and r.type == "call_expression":
                    call = r
    if call is None:
        return None
    f = call.child_by_field_name("function")
    return cx.text(f) if f is not None and f.type == "identifier" else None


def sub_context(cx: FileContext, module: Module) -> FileContext:
    """The sub-extractor of another module: its imports are read, what it finds goes to the
    root extractor's lists."""
    root = cx.root()
    if module is root.mod:
        return root
    sub = root.subs.get(module.path)
    if sub is None:
        sub = FileContext(module.pf, module.path, program=cx.program, module=module, parent=root)
        sub.constructs, sub.handlers, sub.routes = root.constructs, root.handlers, root.routes
        sub.active = root.active
        sub.foreign = root.foreign
        if module.scan is None:
            for st in module.pf.root.named_children:
                if st.type != "ERROR":
                    try:
                        top_level(sub, st)
                    except RecursionError:
                        root.recursion_errors += 1
            module.scan = (sub.sst_names, sub.sst_ns, sub.cdk_names, sub.cdk_ns, sub.stack_nodes,
                           sub.entry_params)
        else:
            (sub.sst_names, sub.sst_ns, sub.cdk_names, sub.cdk_ns, sub.stack_nodes,
             sub.entry_params) = module.scan  # type: ignore[misc]
        sub.imports = []
        root.subs[module.path] = sub
    return sub


def use_call(cx: FileContext, node: Node) -> None:
    """`use(OtherStack)` (or `sst.use(...)`) in a stack: the stack depends on the other."""
    stack = cx.enclosing_stack(node)
    args = node.child_by_field_name("arguments")
    if stack is None or args is None or not args.named_children or not cx.is_use(node.child_by_field_name("function")):
        return
    a = args.named_children[0]
    if a.type == "identifier":
        cx.stack_uses.setdefault(stack, []).append(cx.text(a))
