"""Handler positions (layer 2: model): which props and methods of which construct kind hold
function definitions, and the handler references and route keys read from them.

v0-v2 SST constructs (`sst_handlers`: `routes` of APIs, `consumer` of a Queue, `subscribers` of a
Topic, ...), their `add*` methods (`method_sites`), v3 components (`v3_handlers`) and their
methods (`v3_method`: `.route()`, `.subscribe()`, `.notify()`); a function definition is a
handler string, `{ handler }` props or `{ function }` (`function_site`). Shapes that cannot be
read where a handler belongs count as unresolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node

from sst_lsp.model.extract_context import FileContext, entry_of, get_prop
from sst_lsp.model.types import Construct, HandlerRef, RouteKey, Value
from sst_lsp.syntax.text import TextRange

#: API-like constructs whose `routes` map keys to functions.
API_KINDS = frozenset({"Api", "ApiGatewayV1Api", "WebSocketApi", "GraphQLApi", "HttpApi"})
APPSYNC_KINDS = frozenset({"AppSyncApi"})
#: v3 components whose `.route()` takes a handler.
V3_ROUTERS = frozenset({"ApiGatewayV2", "ApiGatewayV1", "ApiGatewayWebSocket"})


@dataclass
class Defaults:
    """Function defaults from a construct's `defaults.function` / `defaultFunctionProps`."""

    runtime: Value | None = None
    src_path: Value | None = None


@dataclass
class Target:
    """Where a handler found inside a construct belongs."""

    stack: str | None
    construct: Construct | None
    defaults: Defaults = field(default_factory=Defaults)


# ------------------------------------------------------------------------------------------
# Handlers inside constructs.
def defaults_of(cx: FileContext, props: Value | None) -> Defaults:
    d = Defaults()
    if props is None or props.kind != "object":
        return d
    for fp in (props.get("defaultFunctionProps"), get_prop(props.get("defaults"), "function")):
        if fp is not None and fp.kind == "object":
            if fp.get("runtime") is not None:
                d.runtime = fp.get("runtime")
            if fp.get("srcPath") is not None:
                d.src_path = fp.get("srcPath")
    return d


def sst_handlers(cx: FileContext, c: Construct, props: Value | None) -> None:
    tgt = Target(c.stack, c, defaults_of(cx, props))
    kind = c.kind
    if kind == "Function":
        if props is not None:
            function_site(cx, props, tgt, "Function")
        return
    if props is None or props.kind != "object":
        return
    if kind in API_KINDS:
        route_sites(cx, props.get("routes"), tgt)
        if kind == "GraphQLApi":
            function_site(cx, props.get("server"), tgt, "GraphQL server")
    elif kind in APPSYNC_KINDS:
        appsync_sites(cx, props, tgt)
    elif kind == "Cron":
        function_site(cx, props.get("job"), tgt, "Cron job")
    elif kind == "Queue":
        function_site(cx, props.get("consumer"), tgt, "Queue consumer")
    elif kind == "Topic":
        named_function_sites(cx, props.get("subscribers"), tgt, "Topic subscriber")
    elif kind == "Bucket":
        named_function_sites(cx, props.get("notifications"), tgt, "Bucket notification")
    elif kind == "EventBus":
        rule_sites(cx, props.get("rules"), tgt)
    elif kind in ("KinesisStream", "Table"):
        named_function_sites(cx, props.get("consumers"), tgt, f"{kind} consumer")
    elif kind in ("Auth", "Cognito"):
        if kind == "Auth":
            # v1.16+/v2 `Auth` (SST's own auth): `authenticator` is a FunctionDefinition.
            function_site(cx, props.get("authenticator"), tgt, "Auth authenticator")
        named_function_sites(cx, props.get("triggers"), tgt, "trigger")
        cog = props.get("cognito")
        if cog is not None and cog.kind == "object":
            named_function_sites(cx, cog.get("triggers"), tgt, "trigger")
    elif kind == "Script":
        for key in ("onCreate", "onUpdate", "onDelete"):
            function_site(cx, props.get(key), tgt, f"Script {key}")
    elif kind == "Job" and props.get("handler") is not None:
        function_site(cx, props, tgt, "Job")


def v3_handlers(cx: FileContext, c: Construct, props: Value | None) -> None:
    tgt = Target(None, c, Defaults())
    if props is None or props.kind != "object":
        return
    if c.kind == "Function":
        function_site(cx, props, tgt, "Function")
    elif c.kind == "Cron":
        function_site(cx, props.get("job") or props.get("function"), tgt, "Cron job")
    elif c.kind == "CognitoUserPool":
        named_function_sites(cx, props.get("triggers"), tgt, "trigger")
    elif c.kind == "Auth":
        # `authenticator` (SST 3.0-3.2), renamed `issuer` later: both a handler or FunctionArgs.
        for key in ("authenticator", "issuer"):
            function_site(cx, props.get(key), tgt, f"Auth {key}")
    elif c.kind == "Realtime":
        function_site(cx, props.get("authorizer"), tgt, "Realtime authorizer")


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
            construct_kind=c.kind if c else "Api",
            construct_id=c.id if c else None,
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
    c = tgt.construct
    own = get_prop(c.props, "dataSources") if c is not None else None
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


def function_site(cx: FileContext, v: Value | None, tgt: Target, position: str, route: str | None = None) -> None:
    """A function definition: a handler string, `{ handler }` props, or `{ function }`."""
    if v is None:
        return
    if v.kind == "unknown" and v.items:
        # `cond ? "src/a.main" : "src/b.main"`: each branch is a real reference.
        for opt in v.items:
            if opt.kind != "null" and opt.kind != "bool":
                function_site(cx, opt, tgt, position, route)
        return
    if v.kind == "string":
        emit(cx, v, None, tgt, position, route)
    elif v.kind == "object":
        fn = v.get("function")
        if fn is not None:
            function_site(cx, fn, tgt, position, route)
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
    bundle_v = props.get("bundle") if props is not None and c is not None and c.origin == "sst3" else None
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
            construct_id=c.id if c else None,
            construct_kind=c.kind if c else None,
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
    """The handler positions of a v1/v2 construct's method call (`rest`: its evaluated
    arguments; the scope, when one is passed first, is skipped by reading from the end)."""
    tgt = Target(stack, c, defaults_of(cx, c.props))
    if method == "addRoutes" and c.kind in API_KINDS:
        if rest:
            route_sites(cx, rest[-1], tgt)
    elif method in ("addResolvers",) and c.kind in APPSYNC_KINDS:
        if rest:
            appsync_sites(cx, Value("object", rest[-1].range, entries=(
                entry_of("resolvers", rest[-1]),)), tgt)
    elif method in ("addDataSources",) and c.kind in APPSYNC_KINDS:
        if rest:
            appsync_sites(cx, Value("object", rest[-1].range, entries=(
                entry_of("dataSources", rest[-1]),)), tgt)
    elif method == "addConsumer" and c.kind == "Queue":
        if rest:
            function_site(cx, rest[-1], tgt, "Queue consumer")
    elif method == "addSubscribers" and c.kind == "Topic":
        if rest:
            named_function_sites(cx, rest[-1], tgt, "Topic subscriber")
    elif method == "addConsumers" and c.kind in ("Table", "KinesisStream"):
        if rest:
            named_function_sites(cx, rest[-1], tgt, f"{c.kind} consumer")
    elif method == "addNotifications" and c.kind == "Bucket":
        if rest:
            named_function_sites(cx, rest[-1], tgt, "Bucket notification")
    elif method == "addRules" and c.kind == "EventBus":
        if rest:
            rule_sites(cx, rest[-1], tgt)
    elif method == "addTargets" and c.kind == "EventBus":
        if rest:
            named_function_sites(cx, rest[-1], tgt, "rule target")
    elif method == "subscribe" and c.kind == "EventBus":
        # v2: `bus.subscribe([scope,] "type" | ["types"], target, props?)`.
        for i, v in enumerate(rest):
            if v.kind == "string" or (v.kind == "array" and v.items and all(x.kind == "string" for x in v.items)):
                if i + 1 < len(rest):
                    label = v.value if v.kind == "string" else ", ".join(str(x.value) for x in v.items)
                    function_site(cx, rest[i + 1], tgt, f'subscriber "{label}"')
                break


def v3_method(cx: FileContext, c: Construct, method: str, args: list[Node]) -> None:
    tgt = Target(None, c, Defaults())
    vals = [cx.ev.value(a) for a in args]
    if method == "route" and c.kind in V3_ROUTERS and len(vals) >= 2:
        key = vals[0]
        if key.kind == "string":
            route_key(cx, str(key.value), key.range, tgt, key.path)
        function_site(cx, vals[1], tgt, f'route "{key.value}"' if key.kind == "string" else "route",
                 route=str(key.value) if key.kind == "string" else None)
    elif method == "subscribe" and vals:
        named = v3_named_subscribe(c.kind, vals)
        sub_v, name_v = (vals[1], vals[0]) if named else (vals[0], None)
        named_as = name_v.str_value if name_v is not None else None
        function_site(cx, sub_v, tgt, f'subscriber "{named_as}"' if named_as is not None else "subscriber")
    elif method == "notify" and vals and vals[0].kind == "object":
        ns = vals[0].get("notifications")
        if ns is not None and ns.kind == "array":
            for i, n in enumerate(ns.items):
                label = n.get("name") if n.kind == "object" else None
                function_site(cx, n, tgt, f'notification "{label.value}"' if label is not None else f"notification #{i + 1}")


#: v3 components whose `subscribe` takes a subscriber name first (SST 3.3+):
#: `subscribe(name, subscriber, args?)`; before, and for Queue, Realtime and Bucket, it is
#: `subscribe(subscriber, args?)`.
_V3_NAMED_SUBSCRIBE = frozenset({"SnsTopic", "Bus", "Dynamo", "KinesisStream"})


def v3_named_subscribe(kind: str, vals: list[Value]) -> bool:
    """True when a v3 `.subscribe(...)` call names its subscriber first."""
    if kind not in _V3_NAMED_SUBSCRIBE or len(vals) < 2:
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
