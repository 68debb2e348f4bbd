"""A construct added through the catalog only (issue 9, item 5): v3 `sst.aws.AppSync`'s
`addDataSource({ name, lambda })` and `sst.aws.ApiGatewayV2`'s `addAuthorizer({ name, lambda: {
function } })`, in a fixture app written the way real apps are (`$config`/`run()` importing infra
modules, the components held in variables, a helper module adding data sources).

The construct took `sst_lsp/catalog/entries.py` (the `AppSync` spec, the `addAuthorizer`
positions of the API Gateway specs) and `sst_lsp/catalog/spec.py` (`Position.name_key` and
`takes_arn`, read by the generic function-definition reader of `model/handler_sites.py`), plus
these tests and the fixture app.
"""

from __future__ import annotations

from pathlib import Path

from sst_lsp.ide.definition import goto_definition
from sst_lsp.ide.types import Location
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.syntax.text import Pos, TextRange
from tests.conftest import FIXTURE_APPS, check_fixture_app

ROOT = (FIXTURE_APPS / "v3-graphql-authorizers").resolve()


def test_fixture_app_diagnostics_match_markers() -> None:
    # A missing handler file or export is reported; existing handlers, an existing function by
    # its ARN, a DynamoDB data source and a JWT authorizer are not.
    assert check_fixture_app(ROOT)


def test_handlers_of_data_sources_and_authorizers() -> None:
    (app,) = WorkspaceIndex([ROOT]).snapshot().apps
    got = {(h.handler, h.position, h.construct_kind, h.construct_id) for h in app.handlers}
    fn = "packages/functions/src"
    assert got == {
        (f"{fn}/notes.handler", 'data source "notesDS"', "AppSync", "Graphql"),
        (f"{fn}/search.handler", 'data source "searchDS"', "AppSync", "Graphql"),
        (f"{fn}/gone.handler", 'data source "goneDS"', "AppSync", "Graphql"),
        (f"{fn}/search.hndler", 'data source "typoDS"', "AppSync", "Graphql"),
        # Through the helper module's `lambdaSource(api, name, handler)`.
        (f"{fn}/notes.list", 'data source "helperDS"', "AppSync", "Graphql"),
        (f"{fn}/notes.missing", 'data source "helperGoneDS"', "AppSync", "Graphql"),
        (f"{fn}/auth.handler", 'authorizer "Session"', "ApiGatewayV2", "Api"),
        (f"{fn}/auth.admin", 'authorizer "Admin"', "ApiGatewayV2", "Api"),
        (f"{fn}/notes.handler", 'route "GET /notes"', "ApiGatewayV2", "Api"),
    }
    assert not any(h.handler.startswith("arn:") for h in app.handlers)


def _pos_of(path: Path, needle: str) -> Pos:
    for i, line in enumerate(path.read_text(encoding="utf-8").split("\n")):
        col = line.find(needle)
        if col >= 0 and not line.lstrip().startswith("//"):
            return Pos(i, col + 3)
    raise AssertionError(needle)


def _export_range(path: Path, line_text: str, name: str) -> Location:
    for i, line in enumerate(path.read_text(encoding="utf-8").split("\n")):
        if line.startswith(line_text):
            col = line.index(name)
            return Location(path, TextRange(Pos(i, col), Pos(i, col + len(name))))
    raise AssertionError(line_text)


def test_definition_from_a_data_source_handler_goes_to_the_export() -> None:
    index = WorkspaceIndex([ROOT])
    graphql = ROOT / "infra/graphql.ts"
    got = goto_definition(index.snapshot(), index.resolver, graphql,
                          _pos_of(graphql, '"packages/functions/src/search.handler"'))
    search = ROOT / "packages/functions/src/search.ts"
    assert got == [_export_range(search, "export async function handler", "handler")]


def test_definition_from_an_authorizer_handler_goes_to_the_export() -> None:
    index = WorkspaceIndex([ROOT])
    api = ROOT / "infra/api.ts"
    got = goto_definition(index.snapshot(), index.resolver, api,
                          _pos_of(api, '"packages/functions/src/auth.handler"'))
    auth = ROOT / "packages/functions/src/auth.ts"
    assert got == [_export_range(auth, "export const handler", "handler")]
