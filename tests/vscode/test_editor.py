"""sst-lsp in a real VS Code (code-server + the packaged .vsix, driven through Chromium): what a
user sees and does, from the Problems panel to a deploy. Slow: one code-server for the module."""

from __future__ import annotations

import json
import re

import pytest

from sst_lsp.cloud.local import LocalEndpoint
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


def test_completion_inside_a_handler_string(workbench: Workbench) -> None:
    wb = workbench
    wb.reset()
    wb.open_file(API)
    line, _ = wb.position_of(wb.workspace / API, '"DELETE /notes/{id}"')
    wb.go_to(line, 1)
    wb.page.keyboard.press("End")
    wb.page.keyboard.press("Enter")
    wb.page.keyboard.type('"PUT /notes": "packages/functions/src/notes/",')
    wb.page.keyboard.press("ArrowLeft")
    wb.page.keyboard.press("ArrowLeft")
    wb.page.keyboard.press("Control+Space")
    # The server's items: the folder's handler files (kind File), and nothing else.
    rows = wb.page.locator(".suggest-widget .monaco-list-row")
    for name in ("get", "list", "remove"):
        rows.and_(wb.page.locator(f'[aria-label="{name}, File"]')).wait_for()
    assert rows.count() == 3
    wb.screenshot("completion")
    wb.page.keyboard.press("Escape")
    wb.command("File: Revert File")
    wb.editor_line('"PUT /notes"').wait_for(state="detached")


def test_quick_fix_clears_its_diagnostic(workbench: Workbench) -> None:
    wb = workbench
    wb.reset()
    wb.open_file(API)
    path = wb.workspace / API
    wb.problems()
    wb.problem_row("handler-export-missing").wait_for()
    line, col = wb.position_of(path, "remove.handler", 8)
    wb.go_to(line, col)
    # The light bulb shows once the server answered the code actions at the cursor.
    bulb = wb.page.locator(".editor-group-container.active .lightBulbWidget").first
    bulb.wait_for()
    bulb.click()
    action = wb.page.locator(".action-widget .monaco-list-row", has_text="Change handler to").first
    action.wait_for()
    assert "`main`" in action.inner_text()
    action.click()
    wb.editor_line("notes/remove.main").wait_for()
    # The server re-checks the edited text: that diagnostic goes, the other one stays.
    wb.problem_row("handler-export-missing").wait_for(state="detached")
    wb.problem_row("handler-not-found", "create.main").wait_for()
    dirty = wb.page.locator(".tab.active.dirty", has_text="Api.ts")
    dirty.wait_for()
    wb.page.keyboard.press("Control+s")
    dirty.wait_for(state="detached")
    assert '"packages/functions/src/notes/remove.main"' in path.read_text(encoding="utf-8")


def test_go_to_definition_from_a_route(workbench: Workbench) -> None:
    wb = workbench
    wb.reset()
    wb.open_file(API)
    line, col = wb.position_of(wb.workspace / API, "notes/get.main", 7)
    wb.go_to(line, col)
    wb.page.keyboard.press("F12")
    wb.active_tab("get.ts").wait_for()
    target, _ = wb.position_of(wb.workspace / "notes/packages/functions/src/notes/get.ts", "export const main")
    wb.page.locator(".statusbar").get_by_text(re.compile(rf"^Ln {target}, Col \d+$")).wait_for()


def test_references_code_lens_opens_the_peek(workbench: Workbench) -> None:
    wb = workbench
    wb.reset()
    wb.open_file("notes/packages/functions/src/notes/list.ts")
    lens = wb.page.locator(".codelens-decoration a", has_text="2 routes").first
    lens.wait_for()
    assert "GET /notes" in lens.inner_text()
    assert "GET /users/{userId}/notes" in lens.inner_text()
    lens.click()
    peek = wb.page.locator(".peekview-widget").first
    peek.wait_for()
    # VS Code's own peek, on the stack file, listing both handler strings.
    peek.locator(".peekview-title", has_text="Api.ts").wait_for()
    rows = peek.locator(".ref-tree .monaco-list-row", has_text="notes/list.main")
    rows.nth(1).wait_for()
    assert rows.count() == 2
    wb.screenshot("code-lens-peek")


def test_select_stage_updates_the_status_bar(workbench: Workbench) -> None:
    wb = workbench
    wb.reset()
    wb.open_file(API)
    wb.status_item("SST: dev").wait_for()
    wb.command("SST: Select Stage...")
    wb.quick_input().locator("input").fill("staging")
    wb.quick_row("new stage").wait_for()
    wb.page.keyboard.press("Enter")
    wb.status_item("SST: staging").wait_for()
    settings = json.loads((wb.workspace / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    assert settings["sst.stage"] == "staging"
    # The server follows the setting: a handler's hover names the function in that stage.
    wb.editor_line("notes/get.main").get_by_text("get.main", exact=False).last.hover()
    hover = wb.page.locator(".monaco-hover:visible").first
    hover.get_by_text("staging-notes-API-", exact=False).first.wait_for()


@pytest.fixture(scope="module")
def deployment(workbench: Workbench) -> dict[str, str]:
    """SST: Deploy Stage... of the `jobs` app to stage e2e on the test's moto server, as a user
    does it: the app and the stage picked."""
    wb = workbench
    try:
        return _deploy(wb)
    except Exception:
        wb.screenshot("failed-deployment")
        raise


def _deploy(wb: Workbench) -> dict[str, str]:
    wb.reset()
    wb.open_file("jobs/stacks/Jobs.ts")
    wb.command("SST: Deploy Stage...")
    wb.quick_row("ws/jobs").click()
    wb.quick_input().locator("input").fill("e2e")
    wb.quick_row("new stage").wait_for()
    wb.page.keyboard.press("Enter")
    progress = wb.status_item("SST: deploy e2e")
    progress.wait_for()
    # The endpoint is a moto server (it answers /moto-api/): the server treats it as the local
    # endpoint, so the CDK bootstrap is seeded without a question and the outputs are computed.
    wb.screenshot("deploy-progress")
    done = wb.notification(re.compile(r'Deployed stage "e2e"|Deploy of stage "e2e"'))
    done.wait_for(timeout=180_000)
    notification = done.inner_text()
    progress.wait_for(state="detached")
    done.get_by_role("button", name="Show Output").click()
    out = wb.page.locator(".panel .view-lines", has_text="deploy e2e: deployed").first
    out.wait_for()
    wb.screenshot("deploy")
    return {"notification": notification, "output": out.inner_text()}


def test_deploy_stage_to_the_local_endpoint_with_progress(
    deployment: dict[str, str], moto_server: LocalEndpoint
) -> None:
    assert 'Deployed stage "e2e"' in deployment["notification"], deployment
    import boto3

    cf = boto3.client("cloudformation", endpoint_url=moto_server.endpoint_url, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    (stack,) = cf.describe_stacks(StackName="e2e-jobs-Jobs")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"


def test_deploy_shows_the_stack_outputs(deployment: dict[str, str]) -> None:
    assert "WorkerName" in deployment["notification"], deployment


def test_moving_a_file_in_the_explorer_updates_its_handler_strings(workbench: Workbench) -> None:
    wb = workbench
    wb.reset()
    # Opening get.ts reveals it in the explorer; the stack stays open beside it.
    wb.open_file("notes/packages/functions/src/notes/get.ts")
    wb.open_file(API)
    wb.problems()
    wb.problem_row("handler-not-found", "get.main").wait_for(state="detached")
    explorer = wb.page.locator(".explorer-folders-view")
    source = explorer.locator(".monaco-list-row", has=wb.page.get_by_text("get.ts", exact=True)).first
    target = explorer.locator(".monaco-list-row", has=wb.page.get_by_text("functions", exact=True)).first
    source.drag_to(target)
    # VS Code asks before it applies an extension's edits for a file move: the user says OK.
    dialog = wb.page.locator(".monaco-dialog-box", has_text="wants to make refactoring changes with this file move")
    dialog.wait_for()
    wb.screenshot("move-refactoring")
    dialog.get_by_role("button", name="OK", exact=True).click()
    # Either the stack's handler string follows the file, or the server reports it missing.
    renamed = wb.editor_line('"packages/functions/get.main"')
    broken = wb.problem_row("handler-not-found", "get.main")
    renamed.or_(broken).first.wait_for()
    assert renamed.is_visible(), "the handler string still names the old path"
    wb.command("File: Save All")
    wb.page.locator(".tab.dirty").first.wait_for(state="detached")
    text = (wb.workspace / API).read_text(encoding="utf-8")
    assert '"GET /notes/{id}": "packages/functions/get.main"' in text
    assert (wb.workspace / "notes/packages/functions/get.ts").is_file()
    broken.wait_for(state="detached")
