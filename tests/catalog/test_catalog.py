"""The construct catalog: its queries, and that its handler positions are where extraction finds
handlers (each position is driven through `model/extract.py` with a generated snippet)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sst_lsp import catalog
from sst_lsp.catalog import Position, Spec
from sst_lsp.model import extract_query
from sst_lsp.model.extract import extract
from sst_lsp.syntax.parser import parse

PATH = Path("/app/stacks/S.ts")
H = "src/h.main"


# ----------------------------------------------------------------------------------------------
# Queries.


def test_spec_for_keys_by_origin_and_kind() -> None:
    table = catalog.spec_for("sst", "Table")
    assert table is not None and table.family == "dynamodb-table" and table.builder == "table"
    assert catalog.spec_for("aws-dynamodb", "Table") is not None
    assert catalog.spec_for("sst3", "Table") is None
    assert catalog.spec_for("sst", "NoSuchThing") is None


def test_prop_and_method_positions() -> None:
    assert catalog.prop_positions("sst", "Queue") == (Position("function", "Queue consumer", prop=("consumer",)),)
    assert catalog.prop_positions("sst", "Nope") == ()
    (p,) = catalog.method_positions("sst", "Api", "addRoutes")
    assert p.shape == "routes" and p.arg == "last"
    assert catalog.method_positions("sst", "Api", "subscribe") == ()
    # v3's subscribe and notify are read on every component.
    assert [p.shape for p in catalog.method_positions("sst3", "Queue", "subscribe")] == ["subscriber"]
    assert [p.shape for p in catalog.method_positions("sst3", "Whatever", "notify")] == ["notifications"]
    assert [p.shape for p in catalog.method_positions("sst3", "ApiGatewayV2", "route")] == ["route"]
    auth = catalog.prop_positions("sst", "Auth")
    assert ("cognito", "triggers") in [p.prop for p in auth]


def test_route_queries() -> None:
    assert catalog.route_grammar("Api") == catalog.route_grammar("ApiGatewayV2") == "http"
    assert catalog.route_grammar("ApiGatewayV1Api") == catalog.route_grammar("ApiGatewayV1") == "rest"
    assert catalog.route_grammar("WebSocketApi") == catalog.route_grammar("ApiGatewayWebSocket") == "websocket"
    assert catalog.route_grammar("AppSyncApi") == "appsync"
    assert catalog.route_words("GraphQLApi") == (catalog.HTTP_METHODS, False)
    assert catalog.route_words("Api") == (catalog.HTTP_METHODS, True)
    assert catalog.route_words("Table") is None
    assert catalog.route_function_ids("Api") and not catalog.route_function_ids("WebSocketApi")


def test_naming_and_families() -> None:
    assert catalog.prefixed_name("dev", "notes", "Notes") == "dev-notes-Notes"
    assert catalog.prefixed_name("dev", "notes", "x").startswith(catalog.stack_prefix("dev", "notes"))
    for s in catalog.SPECS:
        if s.family is not None:
            catalog.family(s.family)  # Every family a spec names exists.
    assert catalog.family_for_type()["AWS::DynamoDB::GlobalTable"] == "dynamodb-table"
    assert catalog.stateful_families() | catalog.api_families() == {f.name for f in catalog.FAMILIES}


def test_node_proxies() -> None:
    assert "Table" in catalog.node_proxies() and catalog.node_proxy_kinds("Table") == {"Table"}
    assert "Config.Secret" in catalog.node_proxy_kinds("Config")
    assert catalog.node_proxy_always("Config") == {"APP", "STAGE"} and catalog.node_proxy_always("Table") == set()
    assert catalog.node_proxy_kinds("Nope") == set() and catalog.resource_always() == {"App"}


def test_keys_are_unique() -> None:
    keys = [s.key for s in catalog.SPECS]
    assert len(keys) == len(set(keys))
    assert len({f.name for f in catalog.FAMILIES}) == len(catalog.FAMILIES)


# ----------------------------------------------------------------------------------------------
# The extraction query matches every method the catalog names.


def test_extraction_query_matches_catalog_methods() -> None:
    assert set(catalog.method_names()) <= set(extract_query._METHODS.split("|"))


# ----------------------------------------------------------------------------------------------
# Every position, driven through extraction.


def _nest(path: tuple[str, ...], value: str) -> str:
    for k in reversed(path):
        value = f"{{ {k}: {value} }}"
    return value


def _value(p: Position, handler: str = f'"{H}"') -> tuple[str, str]:
    """(JS value for the position, the label extraction gives the handler)."""
    if p.shape == "function":
        return (handler, p.label)
    if p.shape == "functions":
        return (f"{{ n: {handler} }}", f'{p.label} "n"')
    if p.shape == "routes":
        return (f'{{ "GET /": {handler} }}', 'route "GET /"')
    if p.shape == "rules":
        return (f"{{ r: {{ targets: {{ t: {handler} }} }} }}", 'rule "r" target "t"')
    if p.shape == "resolvers":
        return (f'{{ "Query f": {handler} }}', 'resolver "Query f"')
    if p.shape == "data_sources":
        return (f"{{ ds: {handler} }}", 'data source "ds"')
    raise AssertionError(p.shape)


def _prop_cases() -> list[tuple[Spec, Position]]:
    return [(s, p) for s in catalog.SPECS if s.origin in ("sst", "sst3") for p in s.props]


def _method_cases() -> list[tuple[Spec, Position]]:
    out = [(s, p) for s in catalog.SPECS if s.origin in ("sst", "sst3") and s.kind != catalog.ANY_KIND
           for p in s.methods]
    anyk = catalog.spec_for("sst3", catalog.ANY_KIND)
    assert anyk is not None
    for kind in ("Queue", "SnsTopic", "Bucket"):
        spec = catalog.spec_for("sst3", kind)
        assert spec is not None
        out += [(spec, p) for p in anyk.methods]
    return out


def _facts(spec: Spec, props: str | None, calls: str = "") -> list[tuple[str, str, str | None]]:
    args = f', {props}' if props is not None else ""
    if spec.origin == "sst":
        body = f'const x = new sst.{spec.kind}(stack, "X"{args});\n{calls}'
        src = f'import * as sst from "sst/constructs";\nexport function S({{ stack }}) {{\n{body}\n}}\n'
    else:
        body = f'const x = new sst.aws.{spec.kind}("X"{args});\n{calls}'
        src = f"export default $config({{\n  async run() {{\n{body}\n  }},\n}});\n"
    f = extract(parse(src, "typescript"), PATH)
    return [(h.handler, h.position, h.construct_kind) for h in f.handlers]


def _id(case: tuple[Spec, Position]) -> str:
    s, p = case
    return f"{s.origin}-{s.kind}-{p.method or '.'.join(p.prop) or 'props'}-{p.shape}"


@pytest.mark.parametrize("case", _prop_cases(), ids=_id)
def test_prop_positions_are_where_extraction_finds_handlers(case: tuple[Spec, Position]) -> None:
    spec, p = case
    if p.shape == "appsync":
        value, label = '{ dataSources: { ds: "src/h.main" } }', 'data source "ds"'
    else:
        value, label = _value(p)
    if not p.prop:
        props = f'{{ handler: "{H}" }}' if p.shape == "function" else value
    else:
        props = _nest(p.prop, value)
    assert (H, label, spec.kind) in _facts(spec, props)
    if p.fallback:
        assert (H, label, spec.kind) in _facts(spec, _nest(p.fallback, value))


def test_a_job_needs_its_handler() -> None:
    job = catalog.spec_for("sst", "Job")
    assert job is not None and job.props[0].requires == "handler"
    assert _facts(job, '{ function: "src/h.main" }') == []


@pytest.mark.parametrize("case", _method_cases(), ids=_id)
def test_method_positions_are_where_extraction_finds_handlers(case: tuple[Spec, Position]) -> None:
    spec, p = case
    m = p.method
    if p.shape == "event_subscribe":
        call, label = f'x.{m}(stack, "type", "{H}");', 'subscriber "type"'
    elif p.shape == "route":
        call, label = f'x.{m}("GET /", "{H}");', 'route "GET /"'
    elif p.shape == "subscriber":
        if spec.named_subscribe:
            call, label = f'x.{m}("N", "{H}");', 'subscriber "N"'
        else:
            call, label = f'x.{m}("{H}");', "subscriber"
    elif p.shape == "notifications":
        call, label = f'x.{m}({{ notifications: [{{ name: "n", function: "{H}" }}] }});', 'notification "n"'
    elif p.arg == "last":
        value, label = _value(p)
        call = f"x.{m}(stack, {value});"
    else:
        # One args object (v3 `addDataSource({ name, lambda })`), its name labelling the handler.
        value, label = _value(p)
        arg = _nest(p.prop, value)
        if p.name_key is not None:
            arg = f'{{ {p.name_key}: "n", ...{arg} }}'
            label = f'{label} "n"'
        args = ", ".join(["{}"] * p.arg + [arg])
        call = f"x.{m}({args});"
        if p.takes_arn:
            arn = _nest(p.prop, '"arn:aws:lambda:us-east-1:123456789012:function:f"')
            assert _facts(spec, None if spec.origin == "sst3" else "{}", f"x.{m}({arn});") == []
    props = None if spec.origin == "sst3" else "{}"
    assert (H, label, spec.kind) in _facts(spec, props, call)


def test_props_are_function() -> None:
    assert catalog.props_are_function("sst", "Function") and catalog.props_are_function("sst3", "Function")
    assert not catalog.props_are_function("sst", "Queue")
