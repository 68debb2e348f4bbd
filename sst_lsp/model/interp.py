"""Evaluating code with values bound (layer 2: model): calls of app functions and loops.

Pure helpers over tree-sitter nodes and an `Evaluator`: which names a function's parameters
(or a loop's head, or a callback's parameters) bind to which argument values, what a function
returns, and what a loop iterates over when that is known statically (literal arrays,
`Object.entries/keys/values` of literal objects, `readdirSync` of a folder of the app). The
extraction (model/extract.py) runs a body once per binding and collects what it finds there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tree_sitter import Node

from sst_lsp.model.js_values import unwrap
from sst_lsp.model.types import Value
from sst_lsp.syntax.parser import ParsedFile


class Evaluator(Protocol):
    """What interpreting a call or a loop asks of the evaluator (`evaluate.Evaluator` is one,
    and imports this module: the protocol keeps the imports one way)."""

    pf: ParsedFile

    def value(self, node: Node | None, depth: int = 0) -> Value: ...

#: Items of one statically known iteration at most (larger loops stay unresolved).
MAX_LOOP_ITEMS = 256

FUNCTION_TYPES = frozenset({"function_declaration", "generator_function_declaration", "function_expression",
                            "arrow_function", "function", "method_definition"})


def _params(fn: Node) -> list[Node]:
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    if params is None:
        return []
    if params.type == "identifier":
        return [params]
    return [p for p in params.named_children if p.type != "comment"]


def param_names(fn: Node) -> list[tuple[str, Node, str]]:
    """(name, identifier node, type annotation text) of a function's plain parameters."""
    out: list[tuple[str, Node, str]] = []
    for p in _params(fn):
        pattern, ty = p, ""
        if p.type in ("required_parameter", "optional_parameter"):
            pattern = p.child_by_field_name("pattern") or p
            t = p.child_by_field_name("type")
            ty = t.text.decode("utf-8", "replace").lstrip(":").strip() if t is not None and t.text else ""
        if pattern.type == "identifier" and pattern.text is not None:
            out.append((pattern.text.decode("utf-8", "replace"), pattern, ty))
        else:
            out.append(("", pattern, ty))
    return out


def bind_params(ev: Evaluator, fn: Node, args: list[Value | None]) -> dict[str, Value]:
    """The values a call with `args` binds `fn`'s parameters to (defaults evaluated in `ev`)."""
    out: dict[str, Value] = {}
    for i, p in enumerate(_params(fn)):
        if p.type == "rest_pattern":
            break
        pattern, default = p, None
        if p.type in ("required_parameter", "optional_parameter"):
            pattern = p.child_by_field_name("pattern") or p
            default = p.child_by_field_name("value")
        bind_pattern(ev, pattern, args[i] if i < len(args) else None, out, default)
    return out


def bind_pattern(ev: Evaluator, pattern: Node, value: Value | None, out: dict[str, Value],
                 default: Node | None = None) -> None:
    """Binds the names of a (destructuring) pattern to the parts of `value`."""
    if pattern.type == "assignment_pattern":
        left, right = pattern.child_by_field_name("left"), pattern.child_by_field_name("right")
        if left is not None:
            bind_pattern(ev, left, value, out, right)
        return
    if (value is None or value.kind == "null") and default is not None:
        value = ev.value(default)
    t = pattern.type
    if t == "identifier":
        if value is not None:
            out[ev.pf.node_text(pattern)] = value
    elif t == "object_pattern":
        for c in pattern.named_children:
            if c.type == "shorthand_property_identifier_pattern":
                got = value.get(ev.pf.node_text(c)) if value is not None and value.kind == "object" else None
                if got is not None:
                    out[ev.pf.node_text(c)] = got
            elif c.type == "pair_pattern":
                k, v = c.child_by_field_name("key"), c.child_by_field_name("value")
                if k is not None and v is not None:
                    key = ev.pf.node_text(k).strip("\"'")
                    got = value.get(key) if value is not None and value.kind == "object" else None
                    bind_pattern(ev, v, got, out)
            elif c.type == "object_assignment_pattern":
                left, right = c.child_by_field_name("left"), c.child_by_field_name("right")
                if left is not None:
                    got = value.get(ev.pf.node_text(left)) if value is not None and value.kind == "object" else None
                    bind_pattern(ev, left, got, out, right)
    elif t == "array_pattern":
        items = value.items if value is not None and value.kind == "array" else ()
        i = 0
        for c in pattern.named_children:
            if c.type == "comment":
                continue
            if c.type == "rest_pattern":
                break
            bind_pattern(ev, c, items[i] if i < len(items) else None, out)
            i += 1


def returned_expression(fn: Node) -> Node | None:
    """The expression a function returns: an arrow's expression body, else the first `return`
    at the top level of its body."""
    body = fn.child_by_field_name("body")
    if body is None:
        return None
    if body.type != "statement_block":
        return body
    for st in body.named_children:
        if st.type == "return_statement":
            return st.named_children[0] if st.named_children else None
    return None


def loop_head(loop: Node) -> tuple[Node, Node] | None:
    """(binding pattern, iterated expression) of `for (const x of xs)`, else None."""
    if loop.type != "for_in_statement":
        return None
    if not any(c.type == "of" for c in loop.children):
        return None
    left, right = loop.child_by_field_name("left"), loop.child_by_field_name("right")
    if left is None or right is None:
        return None
    return left, right


def iteration(ev: Evaluator, expr: Node, list_dir: Callable[[str], list[str] | None] | None = None) -> list[Value] | None:
    """The items `expr` iterates over when they are known: a literal array (or a constant
    holding one), `Object.entries/keys/values` of a literal object, `readdirSync("dir")`."""
    node = unwrap(expr) or expr
    if node.type == "call_expression":
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        arg_nodes = [a for a in args.named_children if a.type != "comment"] if args is not None else []
        fn_text = ev.pf.node_text(fn) if fn is not None else ""
        if fn_text in ("Object.entries", "Object.keys", "Object.values") and len(arg_nodes) == 1:
            obj = ev.value(arg_nodes[0])
            if obj.kind != "object" or obj.partial:
                return None
            out: list[Value] = []
            for e in obj.entries:
                key = Value("string", e.key_range, value=e.key, literal=False, path=e.path)
                if fn_text == "Object.keys":
                    out.append(key)
                elif fn_text == "Object.values":
                    out.append(e.value)
                else:
                    out.append(Value("array", e.key_range, items=(key, e.value), literal=False, path=e.path))
            return out[:MAX_LOOP_ITEMS] if len(out) <= MAX_LOOP_ITEMS else None
        if fn_text.rsplit(".", 1)[-1] == "readdirSync" and list_dir is not None and arg_nodes:
            d = ev.value(arg_nodes[0])
            if d.kind != "string":
                return None
            names = list_dir(str(d.value))
            if names is None:
                return None
            r = ev.pf.node_range(node)
            return [Value("string", r, value=n, literal=False) for n in names]
        if fn is not None and fn.type == "member_expression":
            # `xs.filter(...)`: the same items or fewer; `readdirSync(...).filter(...)` too.
            method = fn.child_by_field_name("property")
            recv = fn.child_by_field_name("object")
            if method is not None and recv is not None and ev.pf.node_text(method) == "filter":
                return iteration(ev, recv, list_dir)
        return None
    arr = ev.value(node)
    if arr.kind != "array" or arr.partial or len(arr.items) > MAX_LOOP_ITEMS:
        return None
    return list(arr.items)


def callback_of(call: Node) -> tuple[Node, Node] | None:
    """(receiver, inline callback) of `xs.forEach(cb)` / `xs.map(cb)` / `xs.flatMap(cb)`."""
    fn = call.child_by_field_name("function")
    args = call.child_by_field_name("arguments")
    if fn is None or fn.type != "member_expression" or args is None:
        return None
    prop = fn.child_by_field_name("property")
    obj = fn.child_by_field_name("object")
    if prop is None or obj is None or prop.text not in (b"forEach", b"map", b"flatMap"):
        return None
    first = next((a for a in args.named_children if a.type != "comment"), None)
    first = unwrap(first)
    if first is None or first.type not in ("arrow_function", "function_expression", "function"):
        return None
    return obj, first


def stack_outputs(fn: Node) -> Node | None:
    """The object literal a stack function returns (`return { table, api }`), if any."""
    ret = unwrap(returned_expression(fn))
    return ret if ret is not None and ret.type == "object" else None


def span(node: Node) -> tuple[int, int]:
    return node.start_byte, node.end_byte


def inside(node: Node, spans: list[tuple[int, int]]) -> bool:
    s = node.start_byte
    return any(a <= s < b for a, b in spans)

