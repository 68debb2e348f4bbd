"""The construct catalog (layer 0: catalog): the one place that knows SST constructs.

Pure data plus small queries, importable from every layer (it imports only the standard
library). Each construct class is one `Spec` in `entries.py`, keyed by (origin, kind) as
`model.types.Construct` records them: origin "sst" (v0-v2, `@serverless-stack/resources` and
`sst/constructs`), "sst3" (v3 `sst.aws.*`), or the CDK module of a raw CDK class ("aws-dynamodb").
Tracked resources form `Family` entries (a DynamoDB table, an HTTP API, ...).

How to add a construct
----------------------

Add one `Spec(origin, kind, ...)` to `entries.py` (`_SST`, `_SST3` or `_CDK`) and fill in what
applies; every consumer reads it from there:

- `props` / `methods`: its handler positions (`Position`: a prop path, or a method and which
  argument, and a prop path below it; the shape of the value; the label, and the key naming it),
  in the order extraction reads them. Extraction (`model/handler_sites.py`, one reader per
  shape, and the query of `model/extract_memo.py`, which matches `method_names()`) finds
  handlers there and nowhere else (`tests/catalog` drives every position through it); code
  lenses, hover, symbols and synth show the labels. `links` asks `props_are_function`. v3's `.subscribe` and `.notify`
  are read on every component (the `ANY_KIND` entry); `named_subscribe` says a component's
  subscriber may come after a name.
- `route_grammar`, `default_route`, `route_function_ids`: how `analyzers/structure.py` checks its
  route keys, what `ide/completion.py` offers in them, and whether `ide/hover.py` shows the
  `{id}Lambda{METHOD}{path}` function name.
- `family` (plus `family_absent_in`, `family_v0_requires`, `resource_type`): the tracked
  resource (`baseline/kinds.py` builds its CloudFormation view and removal policy; the
  stateful analyzer compares it). A new family is a `Family` in `FAMILIES` (CloudFormation
  type, the words messages use, template shape, inner props, CDK's default removal policy,
  name property); `baseline/templates.py` reads templates back with it.
- `outlives_deploy`: renaming it warns (`ide/rename.py`, `ide/hover.py`).
- `naming`: the physical-name rule hovers and inlay hints show (`ide/naming.py`); SST's
  `{stage}-{app}-{id}` is `prefixed_name` here, used by ide, baseline and synth alike.
- `builder` (`builder_in` where one generation's class of that name is another construct; "cdk"
  on a raw CDK class that aws-cdk-lib builds from its literal props), `binding`,
  `synth_unsupported`(`_in`), `site`: the embedded synth's builder key
  (`cloud/synth_embedded.py: BUILDERS` maps each key to its primary and rest functions, and
  `cloud/synth_spec.py` prepares each key's input; `tests/cloud/test_synth_builders.py` checks
  both sides), what a binding exposes and grants, and why a construct cannot be built there.
- `table_keys`: the key fields `table-index-field-missing` checks (`analyzers/structure.py`).
- What handler code reads (`model/handler_code.py`): v1/v2's `sst/node/*` proxies and the
  kinds each reads are `NODE_PROXIES`; the names v3's `Resource` always has, `RESOURCE_ALWAYS`.

Which props replace a resource stays with cfn-lint's schemas (`model/cfn.py`).
"""

from __future__ import annotations

import functools

from sst_lsp.catalog.entries import ANY_KIND, FAMILIES, NODE_PROXIES, RESOURCE_ALWAYS, SPECS
from sst_lsp.catalog.spec import Binding, Family, Naming, Origin, Position, RouteGrammar, Shape, Spec

__all__ = [
    "ANY_KIND",
    "FAMILIES",
    "HTTP_METHODS",
    "SPECS",
    "Binding",
    "Family",
    "Naming",
    "Origin",
    "Position",
    "RouteGrammar",
    "Shape",
    "Spec",
    "api_families",
    "builder_keys",
    "builders",
    "family",
    "family_for_type",
    "function_defaults",
    "method_names",
    "method_positions",
    "modeled_kinds",
    "named_subscribe",
    "node_proxies",
    "node_proxy_always",
    "node_proxy_kinds",
    "prefixed_name",
    "prop_positions",
    "resource_always",
    "route_function_ids",
    "route_grammar",
    "route_words",
    "spec_for",
    "sst_kinds",
    "stack_prefix",
    "stateful_families",
    "stateful_kind_names",
]

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")

_BY_KEY: dict[tuple[str, str], Spec] = {s.key: s for s in SPECS}
_FAMILIES: dict[str, Family] = {f.name: f for f in FAMILIES}
#: Route keys carry their construct's kind only (`RouteKey.construct_kind`): v0-v2 and v3 route
#: kinds do not share names, so the kind alone finds the spec.
_ROUTED: dict[str, Spec] = {s.kind: s for s in SPECS if s.route_grammar != "none"}
#: The words a route key starts with, per grammar.
_ROUTE_WORDS: dict[str, tuple[str, ...]] = {
    "http": HTTP_METHODS,
    "rest": HTTP_METHODS,
    "websocket": ("$connect", "$disconnect"),
    "appsync": ("Query", "Mutation", "Subscription"),
}
#: Where v0-v2 constructs take default function props (`defaults.function` in v1+,
#: `defaultFunctionProps` before); v3 has none.
_FUNCTION_DEFAULTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "sst": (("defaultFunctionProps",), ("defaults", "function")),
}


def spec_for(origin: Origin, kind: str) -> Spec | None:
    """The spec of a construct class, or None when the catalog does not know it."""
    return _BY_KEY.get((origin, kind))


def prop_positions(origin: Origin, kind: str) -> tuple[Position, ...]:
    """Handler positions in a construct's props, in the order extraction reads them.

    A position with an empty `prop` reads the props value itself (a Function's props are its
    FunctionDefinition). Every other position needs the props to be an object; v3 components
    read none unless they are."""
    s = _BY_KEY.get((origin, kind))
    return s.props if s is not None else ()


def method_positions(origin: Origin, kind: str, method: str) -> tuple[Position, ...]:
    """Handler positions of `construct.method(...)`: the kind's own, then those every component
    of its origin has (v3's `subscribe` and `notify`)."""
    out = tuple(p for p in getattr(_BY_KEY.get((origin, kind)), "methods", ()) if p.method == method)
    anyk = _BY_KEY.get((origin, ANY_KIND))
    if anyk is not None:
        out += tuple(p for p in anyk.methods if p.method == method and p not in out)
    return out


def props_are_function(origin: Origin, kind: str) -> bool:
    """True when a construct's props are themselves a FunctionDefinition (a Function's)."""
    return any(p.shape == "function" and not p.prop for p in prop_positions(origin, kind))


@functools.cache
def method_names() -> tuple[str, ...]:
    """Every method some construct takes handlers in (sorted)."""
    return tuple(sorted({p.method for s in SPECS for p in s.methods if p.method}))


def function_defaults(origin: Origin) -> tuple[tuple[str, ...], ...]:
    """Prop paths holding a construct's default function props (runtime, srcPath)."""
    return _FUNCTION_DEFAULTS.get(origin, ())


def route_grammar(kind: str) -> RouteGrammar:
    """How route keys of a `kind` construct are parsed; "http" for a kind without one of its own
    (as route checks always did)."""
    s = _ROUTED.get(kind)
    return s.route_grammar if s is not None else "http"


def route_words(kind: str) -> tuple[tuple[str, ...], bool] | None:
    """(words a route key starts with, whether `$default` is offered), or None for a kind
    without routes."""
    s = _ROUTED.get(kind)
    if s is None:
        return None
    return _ROUTE_WORDS[s.route_grammar], s.default_route


def route_function_ids(kind: str) -> bool:
    """True when a `kind` construct's route functions get `{id}Lambda{METHOD}{path}` logical ids."""
    s = _ROUTED.get(kind)
    return s is not None and s.route_function_ids


@functools.cache
def stateful_kind_names() -> frozenset[str]:
    """Kind names whose data outlives a deploy (matched by name, whatever the origin)."""
    return frozenset(s.kind for s in SPECS if s.outlives_deploy)


def family(name: str) -> Family:
    """A family by name (KeyError for an unknown one)."""
    return _FAMILIES[name]


@functools.cache
def stateful_families() -> frozenset[str]:
    return frozenset(f.name for f in FAMILIES if f.stateful)


@functools.cache
def api_families() -> frozenset[str]:
    return frozenset(f.name for f in FAMILIES if not f.stateful)


@functools.cache
def family_for_type() -> dict[str, str]:
    """CloudFormation type -> family, for reading templates (an ApiGatewayV2 Api is an HTTP API
    unless its ProtocolType says WEBSOCKET)."""
    out: dict[str, str] = {}
    for f in FAMILIES:
        out.setdefault(f.resource_type, f.name)
    for s in SPECS:
        if s.resource_type is not None and s.family is not None:
            out.setdefault(s.resource_type, s.family)
    return out


@functools.cache
def builders() -> dict[str, str]:
    """v0-v2 kind -> the embedded synth's builder key."""
    return {s.kind: s.builder for s in SPECS if s.origin == "sst" and s.builder is not None}


@functools.cache
def builder_keys() -> frozenset[str]:
    """Every builder key the catalog names, generation-specific ones (`Spec.builder_in`) too."""
    return (frozenset(s.builder for s in SPECS if s.builder is not None)
            | frozenset(b for s in SPECS for _, b in s.builder_in))


@functools.cache
def modeled_kinds() -> frozenset[str]:
    """The v0-v2 kinds the embedded synth builds."""
    return frozenset(builders())


@functools.cache
def sst_kinds() -> frozenset[str]:
    """Every v0-v2 kind the catalog knows."""
    return frozenset(s.kind for s in SPECS if s.origin == "sst")


def prefixed_name(stage: str, app: str, name: str) -> str:
    """SST's `app.logicalPrefixedName(name)`: `{stage}-{app}-{name}` (stacks, tables, queues, ...)."""
    return f"{stack_prefix(stage, app)}{name}"


def stack_prefix(stage: str, app: str) -> str:
    """What every name `prefixed_name` builds for a stage of an app starts with."""
    return f"{stage}-{app}-"


_PROXIES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    name: (frozenset(kinds), frozenset(always)) for name, kinds, always in NODE_PROXIES
}


@functools.cache
def node_proxies() -> frozenset[str]:
    """The proxies v1/v2 handler code imports from `sst/node/*` (`Table`, `Config`, ...)."""
    return frozenset(_PROXIES)


def node_proxy_kinds(proxy: str) -> frozenset[str]:
    """The construct kinds a v1/v2 proxy's properties read (empty for an unknown proxy)."""
    got = _PROXIES.get(proxy)
    return got[0] if got is not None else frozenset()


def node_proxy_always(proxy: str) -> frozenset[str]:
    """The properties a v1/v2 proxy has whatever is bound (`Config.APP`, `Config.STAGE`)."""
    got = _PROXIES.get(proxy)
    return got[1] if got is not None else frozenset()


def resource_always() -> frozenset[str]:
    """The names v3's `Resource` has whatever is linked (`Resource.App`)."""
    return _RESOURCE_ALWAYS


_RESOURCE_ALWAYS = frozenset(RESOURCE_ALWAYS)


def named_subscribe(origin: Origin, kind: str) -> bool:
    """True when a component's `.subscribe(...)` may name its subscriber first (SST 3.3+)."""
    s = _BY_KEY.get((origin, kind))
    return s is not None and s.named_subscribe
