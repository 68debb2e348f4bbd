"""sst-lsp in a real VS Code (code-server + the packaged .vsix, driven through Chromium): what a
user sees and does, from the Problems panel to a deploy. Slow: one code-server for the module."""

from __future__ import annotations

import pytest

from tests.vscode.workbench import Workbench

pytestmark = pytest.mark.slow

API = "notes/stacks/Api.ts"


def test_problems_panel_lists_the_servers_diagnostics_with_a_hover(workbench: Workbench) -> None:
    wb = workbench
    wb.reset()
    wb.open_file(API)
    wb.problems()
    missing = wb.problem_row("handler-not-found", "create.main")
    export = wb.problem_row("handler-export-missing", "remove.ts")
    missing.wait_for()
    export.wait_for()
    assert "sst-lsp" in export.inner_text()
    assert "Exports: main" in export.inner_text()
    # Hovering the broken handler string shows the diagnostic and the server's hover.
    wb.editor_line("remove.handler").get_by_text("remove.handler", exact=False).last.hover()
    hover = wb.page.locator(".monaco-hover:visible").first
    hover.wait_for()
    hover.get_by_text("has no export", exact=False).first.wait_for()
    wb.screenshot("problems-hover")
