"""Diagnostics across files end to end (issue 10): a handler written in a helper module is
reported in the helper, and editing the helper re-validates the stacks that use it."""

from __future__ import annotations

import shutil
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.conftest import FIXTURE_APPS
from tests.e2e.conftest import diags, find, open_doc, replace_in_doc, start, wait_until


async def test_editing_a_helper_module_updates_its_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(FIXTURE_APPS / "v2-helpers-ts", app)
    helpers = app / "stacks" / "shared" / "helpers.ts"
    api = app / "stacks" / "Api.ts"
    await start(client, [app])
    purge = "packages/functions/src/admin/purge.handler"
    line, col = find(helpers, purge)

    def at_purge() -> list[types.Diagnostic]:
        return [d for d in diags(client, helpers) if d.range.start == types.Position(line=line, character=col)]

    # Nothing is open: the helper's literal is reported by the indexing of the app that calls it.
    await wait_until(client, lambda: len(at_purge()) == 1, "the helper's broken route")
    assert at_purge()[0].code == "handler-not-found" and "purge" in at_purge()[0].message
    await wait_until(client, lambda: len(diags(client, api)) == 7, "the stack's own diagnostics")

    text = helpers.read_text(encoding="utf-8")
    open_doc(client, helpers, text)
    text = replace_in_doc(client, helpers, text, purge, "packages/functions/src/admin/list.handler", version=2)
    await wait_until(client, lambda: helpers.as_uri() in client.diagnostics and not at_purge(), "fixed in the helper")
    # Break it another way: the file exists, the export does not.
    replace_in_doc(client, helpers, text, "admin/list.handler\",\n", "admin/list.handlr\",\n", version=3)
    await wait_until(client, lambda: [d.code for d in at_purge()] == ["handler-export-missing"], "broken again")
    assert len(diags(client, api)) == 7, "the stacks' own diagnostics stay"
