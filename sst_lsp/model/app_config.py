"""Config reading (layer 2: model): the app an sst.config.* declares.

v2 `export default { config() { return { name, region } }, stacks(app) {...} }` and v3
`export default $config({ app() { return { name, removal, providers } }, run() {...} })`: the
app name (and how certain it is), region, removal policy, and the entry function (`stacks`,
`run`).
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from sst_lsp.model.extract_context import (
    FileContext,
    get_prop,
    member_function,
    object_member,
    string_value,
)
from sst_lsp.model.js_values import unwrap
from sst_lsp.model.types import ConfigFacts, Value
from sst_lsp.syntax.text import TextRange


# Config files.
def config_call(cx: FileContext, call: Node) -> None:
    """`export default $config({...})`: a v3 config (anything else default-exported as a call
    is not one)."""
    fn = call.child_by_field_name("function")
    args = call.child_by_field_name("arguments")
    if fn is not None and cx.text(fn) == "$config" and args is not None and args.named_children:
        obj = unwrap(args.named_children[0])
        if obj is not None and obj.type == "object":
            v3_config(cx, obj)


def v2_config(cx: FileContext, obj: Node) -> None:
    name = region = name_note = None
    name_range: TextRange | None = None
    check_names = True
    anchor = cx.default_anchor
    for key, key_node, ch in config_members(cx, obj):
        if key == "config":
            anchor = cx.pf.node_range(key_node)
            v = returned_value(cx, ch)
            if v is not None:
                name, name_range, name_note = app_name(cx, returned_object(cx, ch), v)
                r = string_value(v.get("region"))
                if r is not None:
                    region = r.str_value
                off = get_prop(get_prop(v, "advanced"), "disableParameterizedStackNameCheck")
                # SST compares with `!== true`: only a literal `true` turns the check off, but
                # a value we cannot read may be true when SST runs (no false alarm then).
                check_names = off is None or off.kind == "null" or (off.kind == "bool" and off.value is not True)
        elif key == "stacks":
            fn = member_function(ch)
            if fn is not None:
                cx.entry_params.add(fn.id)
                cx.is_entry = True
    cx.config = ConfigFacts(name=name, name_range=name_range, region=region, generation="v2", anchor=anchor,
                              name_note=name_note, stack_name_check=check_names)


def v3_config(cx: FileContext, obj: Node) -> None:
    cx.v3 = True
    name = removal = name_note = None
    name_range: TextRange | None = None
    region = None
    anchor = cx.default_anchor
    for key, key_node, ch in config_members(cx, obj):
        if key == "app":
            anchor = cx.pf.node_range(key_node)
            v = returned_value(cx, ch)
            if v is not None:
                name, name_range, name_note = app_name(cx, returned_object(cx, ch), v)
                rm = string_value(v.get("removal"))
                if rm is not None:
                    removal = rm.str_value
                rg = string_value(get_prop(get_prop(v.get("providers"), "aws"), "region"))
                if rg is not None:
                    region = rg.str_value
        elif key == "run":
            cx.is_entry = True
    cx.config = ConfigFacts(
        name=name, name_range=name_range, region=region, generation="v3", removal=removal, anchor=anchor,
        name_note=name_note,
    )


def app_name(cx: FileContext, obj: Node | None, v: Value) -> tuple[str | None, TextRange | None, str | None]:
    """The app name a config returns: (name, its range, a note when it is not certain).

    A string or constant is the name. `process.env.X || "notes"` (or `??`) is "notes" unless
    the environment says otherwise: the note says so. A name built from values known only
    when SST runs (`${input.stage}`, a call) is unknown: (None, range, note). No `name` at
    all: (None, None, None).
    """
    n = v.get("name")
    if n is None:
        return None, None, None
    if n.kind == "string":
        return n.str_value, n.range, None
    node = object_member(obj, "name", cx.pf)
    expr = unwrap(node)
    if expr is not None and expr.type == "binary_expression":
        op = expr.child_by_field_name("operator")
        left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
        if op is not None and cx.text(op) in ("||", "??") and left is not None and right is not None:
            lv, rv = cx.ev.value(left), cx.ev.value(right)
            if lv.kind == "string" and (lv.value or cx.text(op) == "??"):
                return lv.str_value, lv.range, None
            if lv.kind in ("ref", "unknown") and rv.kind == "string":
                return rv.str_value, rv.range, f"{cx.text(left)} when set, else \"{rv.value}\""
    rng = cx.pf.node_range(expr) if expr is not None else n.range
    return None, rng, f"computed when SST runs: {cx.text(expr) if expr is not None else n.text}"


def config_members(cx: FileContext, obj: Node) -> Iterator[tuple[str, Node, Node]]:
    """(key, key node, member) for each property or method of a config object literal that
    has a key (`config() {...}`, `config: () => ({...})`, `stacks(app) {...}`)."""
    for ch in obj.named_children:
        key_node = ch.child_by_field_name("name") if ch.type == "method_definition" else ch.child_by_field_name("key")
        if key_node is not None:
            yield cx.text(key_node), key_node, ch


def returned_value(cx: FileContext, member: Node) -> Value | None:
    """The evaluated object literal a method / arrow property returns, if it returns one."""
    ret = returned_object(cx, member)
    return cx.ev.value(ret) if ret is not None else None


def returned_object(cx: FileContext, member: Node) -> Node | None:
    """The object literal a method / arrow property returns, if it is one."""
    fn = member_function(member)
    if fn is None:
        return None
    body = fn.child_by_field_name("body")
    if body is None:
        return None
    b = unwrap(body)
    if b is not None and b.type == "object":
        return b
    if body.type == "statement_block":
        for st in body.named_children:
            if st.type == "return_statement" and st.named_children:
                r = unwrap(st.named_children[0])
                if r is not None and r.type == "object":
                    return r
    return None
