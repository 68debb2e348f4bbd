"""Stack-file calls that give functions resources and environment (layer 2: model).

The props of each function (`bind`, `link`, `environment`, construct `defaults.function`,
`setDefaultFunctionProps`) are already in the model's `Value` trees. What is not there are the
calls that add them afterwards, read here with tree-sitter from a stack or config text:

- `stack.addDefaultFunctionBinding([a, b])`, `app.addDefaultFunctionBinding([...])` (v2);
- `stack.addDefaultFunctionEnv({...})`, `app.addDefaultFunctionEnv({...})` (v1/v2);
- `api.bind([table])`, `fn.bind([...])` (every function of that construct, v2) and
  `fn.addEnvironment("NAME", value)`;
- v3 `$transform(sst.aws.Function, (args) => { args.link = [...]; args.environment = {...} })`.

Each bound item is the name it is written with (`table`, or the last property of
`storage.table`), or None when it is not a plain name (a spread, a call): callers must then
assume anything may be bound.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from tree_sitter import Node, Query, QueryCursor

from sst_lsp.model.derived import TextMemo, cached
from sst_lsp.syntax.parser import JS_LANGS, ParsedFile, language, parse, walk
from sst_lsp.syntax.text import TextRange


@dataclass(frozen=True, slots=True)
class BindingCall:
    """One call that binds resources or sets environment variables."""

    kind: str  # "default-binding", "default-env", "bind", "env", "transform"
    receiver: str  # source text of the receiver (`stack`, `app`, `api`; "$transform")
    range: TextRange
    #: Bound items (None: not a plain name); `None` for the whole tuple: not a literal array.
    items: tuple[str | None, ...] | None = ()
    #: Environment names set; None when the names are not all known (spread, variable).
    env: tuple[str, ...] | None = ()


def binding_calls(text: str, lang: str, cache: TextMemo[tuple[BindingCall, ...]] | None = None,
                  parsed: ParsedFile | None = None) -> tuple[BindingCall, ...]:
    """The binding and environment calls of a stack or config file, in source order (through
    `cache`, the driver's `DerivedFacts.binding_calls`, when given). `parsed`, a parse of
    `text` the caller holds (the index's), saves parsing it again."""
    if parsed is not None and (parsed.text is not text or parsed.lang != lang):
        parsed = None
    return cached(cache, text, lang, _binding_calls if parsed is None else lambda _t, _l: _calls_in(parsed))


#: Each call read here names one of these: a text without them has none (and is not parsed).
_NAMES = ("addDefaultFunctionBinding", "bind", "addDefaultFunctionEnv", "addEnvironment", "$transform")
#: The calls read, found by a query (in C: a large stack file's other nodes are never visited
#: in Python).
_QUERY_SRC = """
(call_expression
  function: (member_expression property: (_) @method
    (#any-of? @method "addDefaultFunctionBinding" "bind" "addDefaultFunctionEnv" "addEnvironment"))) @call
(call_expression function: (identifier) @fn (#eq? @fn "$transform")) @call
"""


@functools.cache
def _query(lang: str) -> Query:
    return Query(language(lang), _QUERY_SRC)


def _binding_calls(text: str, lang: str) -> tuple[BindingCall, ...]:
    if lang not in JS_LANGS or not any(name in text for name in _NAMES):
        return ()
    return _calls_in(parse(text, lang))


def _calls_in(pf: ParsedFile) -> tuple[BindingCall, ...]:
    if pf.lang not in JS_LANGS or not any(name in pf.text for name in _NAMES):
        return ()
    found: dict[tuple[int, int], Node] = {}
    for _, caps in QueryCursor(_query(pf.lang)).matches(pf.root):
        for n in caps.get("call", ()):
            found[(n.start_byte, -n.end_byte)] = n
    out: list[BindingCall] = []
    # Pre-order (an outer call before the calls inside it), as a walk of the tree meets them.
    for key in sorted(found):
        call = _call(pf, found[key])
        if call is not None:
            out.append(call)
    return tuple(out)


def _call(pf: ParsedFile, n: Node) -> BindingCall | None:
    fn = n.child_by_field_name("function")
    args = n.child_by_field_name("arguments")
    if fn is None or args is None:
        return None
    argv = [a for a in args.named_children if a.type != "comment"]
    if fn.type == "identifier" and pf.node_text(fn) == "$transform":
        return _transform(pf, n, argv)
    if fn.type != "member_expression":
        return None
    obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
    if obj is None or prop is None:
        return None
    method, receiver, rng = pf.node_text(prop), pf.node_text(obj), pf.node_range(n)
    first = argv[0] if argv else None
    if method in ("addDefaultFunctionBinding", "bind"):
        if method == "bind" and (first is None or first.type != "array"):
            return None  # `handler.bind(this)`: a JS function's bind, not SST's.
        kind = "default-binding" if method == "addDefaultFunctionBinding" else "bind"
        return BindingCall(kind, receiver, rng, items=_items(pf, first))
    if method == "addDefaultFunctionEnv":
        return BindingCall("default-env", receiver, rng, items=(), env=_env_names(pf, first))
    if method == "addEnvironment" and first is not None:
        name = _string(pf, first)
        return BindingCall("env", receiver, rng, items=(), env=(name,) if name else None)
    return None


def _transform(pf: ParsedFile, call: Node, argv: list[Node]) -> BindingCall | None:
    """`$transform(sst.aws.Function, (args) => {...})`: what it links and sets."""
    if len(argv) < 2 or pf.node_text(argv[0]).replace(" ", "") not in ("sst.aws.Function", "aws.Function"):
        return None
    cb = argv[1]
    params = cb.child_by_field_name("parameters") or cb.child_by_field_name("parameter")
    if params is None:
        return BindingCall("transform", "$transform", pf.node_range(call), items=None, env=None)
    names = [pf.node_text(p) for p in walk(params) if p.type == "identifier"]
    if not names:
        return BindingCall("transform", "$transform", pf.node_range(call), items=None, env=None)
    arg = names[0]
    items: tuple[str | None, ...] | None = ()
    env: tuple[str, ...] | None = ()
    for n in walk(cb):
        if n.type != "assignment_expression" and n.type != "augmented_assignment_expression":
            continue
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if left is None or right is None:
            continue
        target = pf.node_text(left).replace(" ", "")
        if target == f"{arg}.link":
            got = _items(pf, right)
            items = None if got is None or items is None else items + got
        elif target == f"{arg}.environment":
            got_env = _env_names(pf, right)
            env = None if got_env is None or env is None else env + got_env
        elif target.startswith(f"{arg}.environment."):
            env = None if env is None else env + (target.rsplit(".", 1)[-1],)
    # Other mutations of the args (`args.link.push(x)`, a helper called with them) are unknown.
    for n in walk(cb):
        if n.type != "call_expression":
            continue
        f, a = n.child_by_field_name("function"), n.child_by_field_name("arguments")
        if f is not None and pf.node_text(f).replace(" ", "").startswith(f"{arg}.link."):
            items = None
        if a is not None and any(c.type == "identifier" and pf.node_text(c) == arg for c in a.named_children):
            items, env = None, None
    return BindingCall("transform", "$transform", pf.node_range(call), items=items, env=env)


def _items(pf: ParsedFile, node: Node | None) -> tuple[str | None, ...] | None:
    if node is None or node.type != "array":
        return None
    out: list[str | None] = []
    for el in node.named_children:
        if el.type == "comment":
            continue
        out.append(item_name(pf.node_text(el)) if el.type in ("identifier", "member_expression") else None)
    return tuple(out)


def item_name(text: str) -> str | None:
    """The name a bound item is written with: `table` -> table, `storage.table` -> table."""
    last = text.replace("?.", ".").rsplit(".", 1)[-1].strip()
    return last if last.isidentifier() else None


def _env_names(pf: ParsedFile, node: Node | None) -> tuple[str, ...] | None:
    if node is None or node.type != "object":
        return None
    out: list[str] = []
    for p in node.named_children:
        if p.type == "pair":
            key = p.child_by_field_name("key")
            if key is None:
                return None
            if key.type == "string":
                s = _string(pf, key)
                if s is None:
                    return None
                out.append(s)
            elif key.type == "property_identifier":
                out.append(pf.node_text(key))
            else:
                return None
        elif p.type == "shorthand_property_identifier":
            out.append(pf.node_text(p))
        elif p.type == "comment":
            continue
        else:
            return None
    return tuple(out)


def _string(pf: ParsedFile, node: Node) -> str | None:
    if node.type != "string":
        return None
    text = pf.node_text(node)
    return text[1:-1] if len(text) >= 2 else None
