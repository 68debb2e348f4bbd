"""Handler positions (layer 2: model): the handler references and route keys read from a
construct's props and method calls, where the catalog says they are.

The catalog (`catalog.prop_positions`, `catalog.method_positions`) says which props and methods
of a construct hold handlers, with which shape and label; this module names no construct kind
and has one reader per shape (`catalog.Shape`): a function definition (a handler string,
`{ handler }` props or `{ function }`: `function_site`), a named map of them
(`named_function_sites`), a routes map (`route_sites`), AppSync props, resolvers and data
sources (`appsync_sites`), EventBus rules (`rule_sites`), v2's `bus.subscribe(...)`
(`event_subscribe_sites`), v3's `.route(key, handler)` (`v3_route_site`), `.subscribe(...)`
(`subscriber_site`) and `.notify({...})` (`notification_sites`). Shapes that cannot be read
where a handler belongs count as unresolved.

The origins differ in what surrounds the positions: a v0-v2 construct sits in a stack and takes
default function props (`catalog.function_defaults`); a v3 component has neither, and its
positions are read only when its props are an object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node

from sst_lsp import catalog
from sst_lsp.catalog import Position
from sst_lsp.model.extract_context import FileContext, entry_of, get_prop
from sst_lsp.model.types import Construct, HandlerRef, RouteKey, Value
from sst_lsp.syntax.text import TextRange


@dataclass
class Defaults:
    """Function defaults from a construct's `defaults.function` / `defaultFunctionProps`."""

    runtime: Value | None = None
    src_path: Value | None = None


@dataclass
class Target:
    """Where a handler found inside a construct belongs."""

    stack: str | None
    construct: Construct
    defaults: Defaults = field(default_factory=Defaults)


# ------------------------------------------------------------------------------------------
# Handlers inside constructs.
def defaults_of(c: Construct, props: Value | None) -> Defaults:
    """The default function props (runtime, srcPath) `props` of a `c.origin` construct give."""
    d = Defaults()
    if props is None or props.kind != "object":
        return d
    for path in catalog.function_defaults(c.origin):
        fp = value_at(props, path)
        if fp is not None and fp.kind == "object":
            if fp.get("runtime") is not None:
                d.runtime = fp.get("runtime")
            if fp.get("srcPath") is not None:
                d.src_path = fp.get("srcPath")
    return d


def value_at(v: Value | None, path: tuple[str, ...]) -> Value | None:
    """The value at a prop path below `v` (each step an object's key); `v` itself for ()."""
    for key in path:
        v = get_prop(v, key)
    return v


def sst_handlers(cx: FileContext, c: Construct, props: Value | None) -> None:
    """The handlers in a v0-v2 construct's props."""
    if props is not None:
        prop_sites(cx, c, props, Target(c.stack, c, defaults_of(c, props)))


def v3_handlers(cx: FileContext, c: Construct, props: Value | None) -> None:
    """The handlers in a v3 component's props (an object: v3 reads nothing else)."""
    if props is not None and props.kind == "object":
        prop_sites(cx, c, props, Target(None, c, Defaults()))


def prop_sites(cx: FileContext, c: Construct, props: Value, tgt: Target) -> None:
    """Each catalog prop position of `c`, in order. A position at the props themselves reads
    them whatever they are when it holds a function definition (a Function's props); every
    other position needs the props to be an object."""
    is_object = props.kind == "object"
    for p in catalog.prop_positions(c.origin, c.kind):
        if p.requires is not None and (not is_object or props.get(p.requires) is None):
            continue
        if not p.prop:
            if is_object or p.shape == "function":
                value_sites(cx, p, props, tgt, label_of(p, props))
            continue
        if not is_object:
            continue
        v = value_at(props, p.prop)
        if v is None and p.fallback:
            v = value_at(props, p.fallback)
        value_sites(cx, p, v, tgt, label_of(p, props))


def label_of(p: Position, holder: Value | None) -> str:
    """A position's label, with the name `holder[p.name_key]` gives when it has one."""
    if p.name_key is None:
        return p.label
    name = get_prop(holder, p.name_key)
    return f'{p.label} "{name.value}"' if name is not None and name.kind == "string" else p.label


def value_sites(cx: FileContext, p: Position, v: Value | None, tgt: Target, label: str) -> None:
    """The handlers in one value of a position (a prop, or a method's argument), by the
    position's shape. The method shapes that read the call's arguments themselves (route,
    subscriber, notifications, event_subscribe) are `method_sites`'."""
    shape = p.shape
    if shape == "function":
        function_site(cx, v, tgt, label, arn_ok=p.takes_arn)
    elif shape == "functions":
        named_function_sites(cx, v, tgt, label)
    elif shape == "routes":
        route_sites(cx, v, tgt)
    elif shape == "rules":
        rule_sites(cx, v, tgt)
    elif shape == "appsync":
        if v is not None and v.kind == "object":
            appsync_sites(cx, v, tgt)
    elif shape in ("resolvers", "data_sources") and v is not None:
        key = "resolvers" if shape == "resolvers" else "dataSources"
        appsync_sites(cx, Value("object", v.range, entries=(entry_of(key, v),)), tgt)


def route_sites(cx: FileContext, routes: Value | None, tgt: Target) -> None:
    if routes is None:
        return
    if routes.kind != "object":
        if routes.kind in ("ref", "unknown"):
            cx.unresolved += 1
        return
    if routes.partial:
        cx.unresolved += 1  # `...moreRoutes` we cannot see into.
    for e in routes.entries:
        route_key(cx, e.key, e.key_range, tgt, e.path)
        function_site(cx, e.value, tgt, f'route "{e.key}"', route=e.key)


def route_key(cx: FileContext, key: str, key_range: TextRange, tgt: Target, path: Path | None = None) -> None:
    c = tgt.construct
    cx.routes.append(
        RouteKey(
            key=key,
            range=key_range,
            path=path or cx.path,
            construct_kind=c.kind,
            construct_id=c.id,
            stack=tgt.stack,
        )
    )


def appsync_sites(cx: FileContext, props: Value, tgt: Target) -> None:
    ds = props.get("dataSources")
    if ds is not None and ds.kind == "object":
        for e in ds.entries:
            function_site(cx, e.value, tgt, f'data source "{e.key}"')
    # Data source names: SST takes a resolver string that names one (or that has no dot at
    # all) as a data source reference, not as a handler.
    ds_names = {e.key for e in ds.entries} if ds is not None and ds.kind == "object" else set()
    own = get_prop(tgt.construct.props, "dataSources")
    if own is not None and own.kind == "object":
        ds_names.update(e.key for e in own.entries)
    rs = props.get("resolvers")
    if rs is not None and rs.kind == "object":
        if rs.partial:
            cx.unresolved += 1
        for e in rs.entries:
            route_key(cx, e.key, e.key_range, tgt, e.path)
            v = e.value
            if v.kind == "object" and v.get("dataSource") is not None and v.get("function") is None:
                continue
            if v.kind == "string" and (str(v.value) in ds_names or "." not in str(v.value)):
                continue
            function_site(cx, v, tgt, f'resolver "{e.key}"', route=e.key)
    elif rs is not None and rs.kind in ("ref", "unknown"):
        cx.unresolved += 1


def rule_sites(cx: FileContext, rules: Value | None, tgt: Target) -> None:
    if rules is None or rules.kind != "object":
        return
    for e in rules.entries:
        if e.value.kind == "object":
            named_function_sites(cx, e.value.get("targets"), tgt, f'rule "{e.key}" target')


def named_function_sites(cx: FileContext, v: Value | None, tgt: Target, position: str) -> None:
    """A map (v1+) or array (v0) of function definitions."""
    if v is None:
        return
    if v.kind == "object":
        for e in v.entries:
            function_site(cx, e.value, tgt, f'{position} "{e.key}"')
    elif v.kind == "array":
        for i, item in enumerate(v.items):
            function_site(cx, item, tgt, f"{position} #{i + 1}")
    elif v.kind in ("ref", "unknown"):
        cx.unresolved += 1


def function_site(cx: FileContext, v: Value | None, tgt: Target, position: str, route: str | None = None,
                  arn_ok: bool = False) -> None:
    """A function definition: a handler string, `{ handler }` props, or `{ function }`; where
    the position takes one (`arn_ok`), an `arn:` string names an existing function."""
    if v is None:
        return
    if arn_ok and v.kind == "string" and str(v.value).startswith("arn:"):
        return
    if v.kind == "unknown" and v.items:
        # `cond ? "src/a.main" : "src/b.main"`: each branch is a real reference.
        for opt in v.items:
            if opt.kind != "null" and opt.kind != "bool":
                function_site(cx, opt, tgt, position, route, arn_ok)
        return
    if v.kind == "string":
        emit(cx, v, None, tgt, position, route)
    elif v.kind == "object":
        fn = v.get("function")
        if fn is not None:
            function_site(cx, fn, tgt, position, route, arn_ok)
            return
        h = v.get("handler")
        if h is None:
            return
        if h.kind == "unknown" and h.items:
            for opt in h.items:
                if opt.kind == "string":
                    emit(cx, opt, v, tgt, position, route)
                elif opt.kind in ("ref", "unknown"):
                    cx.unresolved += 1
            return
        if h.kind == "string":
            emit(cx, h, v, tgt, position, route)
        elif h.kind in ("ref", "unknown"):
            cx.unresolved += 1
    elif v.kind == "ref":
        if cx.has_var((tgt.stack, v.text)) or cx.has_var((None, v.text)):
            return  # A Function construct held in a variable: extracted where it was built.
        cx.unresolved += 1
    elif v.kind == "unknown":
        if v.text.startswith("new "):
            return  # `new Function(...)` in place: extracted as a construct of its own.
        cx.unresolved += 1


def emit(cx: FileContext, h: Value, props: Value | None, tgt: Target, position: str, route: str | None) -> None:
    runtime_v = props.get("runtime") if props is not None else None
    src_v = props.get("srcPath") if props is not None else None
    has_rt = runtime_v is not None or tgt.defaults.runtime is not None
    has_src = src_v is not None or tgt.defaults.src_path is not None
    runtime_v = runtime_v or tgt.defaults.runtime
    src_v = src_v or tgt.defaults.src_path
    c = tgt.construct
    # v3 `bundle`: a prebuilt folder the handler is relative to.
    bundle_v = props.get("bundle") if props is not None and c.origin == "sst3" else None
    if any(v is not None and v.kind != "string" for v in (runtime_v, src_v, bundle_v)):
        # A computed runtime, srcPath or bundle: we cannot know where the handler points.
        cx.unresolved += 1
        return
    cx.handlers.append(
        HandlerRef(
            handler=str(h.value),
            path=h.path or cx.path,
            range=h.range,
            position=position,
            stack=tgt.stack,
            construct_id=c.id,
            construct_kind=c.kind,
            route=route,
            runtime=runtime_v.str_value if runtime_v is not None else None,
            src_path=src_v.str_value if src_v is not None else None,
            runtime_range=runtime_v.range if runtime_v is not None else None,
            literal=h.literal,
            function_props=props,
            has_local_runtime=has_rt,
            has_local_src_path=has_src,
            bundle=bundle_v.str_value if bundle_v is not None else None,
        )
    )


def sst_method(cx: FileContext, c: Construct, method: str, rest: list[Value], stack: str | None) -> None:
    """The handler positions of a v0-v2 construct's method call (`rest`: its evaluated
    arguments; the scope, when one is passed first, is skipped by reading from the end)."""
    positions = catalog.method_positions(c.origin, c.kind, method)
    if positions:
        method_sites(cx, positions, rest, Target(stack, c, defaults_of(c, c.props)))


def v3_method(cx: FileContext, c: Construct, method: str, args: list[Node]) -> None:
    """The handler positions of a v3 component's method call (`args`: its argument nodes)."""
    vals = [cx.ev.value(a) for a in args]
    positions = catalog.method_positions(c.origin, c.kind, method)
    if positions:
        method_sites(cx, positions, vals, Target(None, c, Defaults()))


def method_sites(cx: FileContext, positions: tuple[Position, ...], vals: list[Value], tgt: Target) -> None:
    """Each position of a method call, read from its evaluated arguments."""
    for p in positions:
        shape = p.shape
        if shape == "route":
            v3_route_site(cx, vals, tgt, p.takes_arn)
        elif shape == "subscriber":
            subscriber_site(cx, vals, tgt, p.takes_arn)
        elif shape == "notifications":
            notification_sites(cx, vals, tgt, p.takes_arn)
        elif shape == "event_subscribe":
            event_subscribe_sites(cx, vals, tgt)
        else:
            arg = argument(vals, p.arg)
            if arg is not None:
                value_sites(cx, p, value_at(arg, p.prop), tgt, label_of(p, arg))


def argument(vals: list[Value], arg: int | str) -> Value | None:
    """The argument a position reads: an index, or "last"."""
    if not vals:
        return None
    if arg == "last":
        return vals[-1]
    return vals[arg] if isinstance(arg, int) and 0 <= arg < len(vals) else None


def v3_route_site(cx: FileContext, vals: list[Value], tgt: Target, arn_ok: bool = False) -> None:
    """`.route(key, handler, args?)`: a route key and its handler."""
    if len(vals) < 2:
        return
    key = vals[0]
    if key.kind == "string":
        route_key(cx, str(key.value), key.range, tgt, key.path)
    function_site(cx, vals[1], tgt, f'route "{key.value}"' if key.kind == "string" else "route",
                  route=str(key.value) if key.kind == "string" else None, arn_ok=arn_ok)


def subscriber_site(cx: FileContext, vals: list[Value], tgt: Target, arn_ok: bool = False) -> None:
    """`.subscribe(handler, args?)`, or `.subscribe(name, handler, args?)` where the component
    may name its subscriber first."""
    if not vals:
        return
    named = named_subscribe(tgt.construct, vals)
    sub_v, name_v = (vals[1], vals[0]) if named else (vals[0], None)
    named_as = name_v.str_value if name_v is not None else None
    function_site(cx, sub_v, tgt, f'subscriber "{named_as}"' if named_as is not None else "subscriber",
                  arn_ok=arn_ok)


def notification_sites(cx: FileContext, vals: list[Value], tgt: Target, arn_ok: bool = False) -> None:
    """`.notify({ notifications: [...] })`: each item a function definition, labelled by its name."""
    if not vals or vals[0].kind != "object":
        return
    ns = vals[0].get("notifications")
    if ns is not None and ns.kind == "array":
        for i, n in enumerate(ns.items):
            label = n.get("name") if n.kind == "object" else None
            function_site(cx, n, tgt, f'notification "{label.value}"' if label is not None else f"notification #{i + 1}",
                          arn_ok=arn_ok)


def event_subscribe_sites(cx: FileContext, vals: list[Value], tgt: Target) -> None:
    """v2 `bus.subscribe([scope,] "type" | ["types"], target, props?)`: the argument after the
    first string (or array of strings) is the target."""
    for i, v in enumerate(vals):
        if v.kind == "string" or (v.kind == "array" and v.items and all(x.kind == "string" for x in v.items)):
            if i + 1 < len(vals):
                label = v.value if v.kind == "string" else ", ".join(str(x.value) for x in v.items)
                function_site(cx, vals[i + 1], tgt, f'subscriber "{label}"')
            break


def named_subscribe(c: Construct, vals: list[Value]) -> bool:
    """True when a v3 `.subscribe(...)` call names its subscriber first (SST 3.3+:
    `subscribe(name, subscriber, args?)`, on the components the catalog marks
    `named_subscribe`; before, and on the others, `subscribe(subscriber, args?)`)."""
    if not catalog.named_subscribe(c.origin, c.kind) or len(vals) < 2:
        return False
    second = vals[1]
    if second.kind == "string":
        return True  # The args are an object, never a string: this is the subscriber.
    if second.kind == "object":
        # FunctionArgs hold a handler; the args (filter, pattern, ...) never do: then this is the
        # older `(subscriber, args, opts?)`.
        return second.get("handler") is not None
    if len(vals) >= 3:
        return True
    # A variable: the first argument is a name unless it reads like a handler path.
    first = vals[0]
    return not (first.kind == "string" and ("/" in str(first.value) or "." in str(first.value)))
