"""What a user does in VS Code's workbench, as Playwright actions on code-server's page.

Every step waits on the UI state it leads to (a quick input, a tab, a row, a widget), never
on a timer. Selectors are VS Code's own DOM classes (stable across releases for years:
`.quick-input-widget`, `.monaco-list-row`, `.markers-panel`, `.suggest-widget`, ...).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

QUICK_INPUT = ".quick-input-widget"
QUICK_ROW = ".quick-input-widget .quick-input-list .monaco-list-row"


class Workbench:
    def __init__(self, page: Page, workspace: Path, shots: Path, readme_shots: Path | None) -> None:
        self.page = page
        self.workspace = workspace
        self.shots = shots
        self.readme_shots = readme_shots

    # -- the workbench ---------------------------------------------------------------------

    def wait_ready(self) -> None:
        """The workbench is up and the extension activated (its status bar item shows)."""
        self.page.wait_for_selector(".monaco-workbench")
        self.status_item("SST: ").wait_for()

    def reset(self) -> None:
        """No quick input, notification, peek or open editor left by an earlier test."""
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("Escape")
        self.command("Notifications: Clear All Notifications")
        self.command("View: Close All Editors")
        self.page.locator(".editor-group-container .tab").first.wait_for(state="detached")

    def status_item(self, text: str) -> Locator:
        return self.page.locator(".statusbar .statusbar-item", has_text=text).first

    def screenshot(self, name: str) -> Path:
        """A screenshot of the page (pytest's temporary folder; also docs/screenshots/ with
        UPDATE_SCREENSHOTS=1)."""
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path))
        if self.readme_shots is not None:
            self.readme_shots.mkdir(parents=True, exist_ok=True)
            (self.readme_shots / f"{name}.png").write_bytes(path.read_bytes())
        return path

    # -- quick inputs --------------------------------------------------------------------

    def quick_input(self) -> Locator:
        loc = self.page.locator(QUICK_INPUT)
        loc.wait_for()
        return loc

    def quick_row(self, text: str) -> Locator:
        return self.page.locator(QUICK_ROW, has_text=text).first

    def first_row(self) -> Locator:
        """The quick input's first row: the one Enter picks."""
        return self.page.locator(f'{QUICK_ROW}[data-index="0"]')

    def command(self, title: str) -> None:
        """Runs a palette command by its full title (`SST: Deploy Stage...`)."""
        self.page.keyboard.press("F1")
        box = self.page.locator(f"{QUICK_INPUT} input")
        box.wait_for()
        box.fill(f">{title}")
        row = self.page.locator(QUICK_ROW, has=self.page.get_by_text(title, exact=True)).first
        row.wait_for()
        row.click()

    def open_file(self, rel: str) -> None:
        """Opens a workspace file through Go to File (Ctrl+P) and waits for its tab."""
        self.page.keyboard.press("Control+p")
        box = self.page.locator(f"{QUICK_INPUT} input")
        box.wait_for()
        box.fill(rel)
        name = rel.rsplit("/", 1)[-1]
        # The row of that very file (its description is the folder it is in).
        folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
        row = self.first_row().filter(has_text=name)
        if folder:
            row = row.filter(has_text=folder)
        row.wait_for()
        self.page.keyboard.press("Enter")
        self.active_tab(name).wait_for()
        self.page.locator(".monaco-editor.focused").first.wait_for()

    def active_tab(self, name: str) -> Locator:
        return self.page.locator(".tab.active", has=self.page.get_by_text(name, exact=True)).first

    def go_to(self, line: int, column: int) -> None:
        """Puts the cursor at 1-based `line`:`column` (Go to Line, Ctrl+G)."""
        self.page.keyboard.press("Control+g")
        box = self.page.locator(f"{QUICK_INPUT} input")
        box.wait_for()
        box.fill(f":{line}:{column}")
        self.page.keyboard.press("Enter")
        self.page.locator(".statusbar").get_by_text(f"Ln {line}, Col {column}", exact=True).wait_for()

    def editor_line(self, text: str) -> Locator:
        """The rendered line of the active editor that contains `text`."""
        return self.page.locator(".editor-group-container.active .view-lines .view-line", has_text=text).first

    def position_of(self, path: Path, needle: str, offset: int = 0) -> tuple[int, int]:
        """1-based line and column of `needle` (+ offset) in a workspace file."""
        for i, line in enumerate(path.read_text(encoding="utf-8").split("\n")):
            col = line.find(needle)
            if col >= 0:
                return i + 1, col + 1 + offset
        raise AssertionError(f"{needle!r} not in {path}")

    # -- panels --------------------------------------------------------------------------

    def problems(self) -> Locator:
        """The Problems panel (opened with Ctrl+Shift+M)."""
        panel = self.page.locator(".markers-panel")
        if not panel.is_visible():
            self.command("View: Focus Problems (Errors, Warnings, Infos)")
        panel.wait_for()
        return panel

    def problem_row(self, code: str, text: str = "") -> Locator:
        """The Problems row of an sst-lsp diagnostic with that code (and text in its message)."""
        rows = self.page.locator(".markers-panel .monaco-list-row", has_text=f"{code}")
        if text:
            rows = rows.filter(has_text=text)
        return rows.first

    def notification(self, text: str | re.Pattern[str]) -> Locator:
        return self.page.locator(".notifications-toasts .notification-toast", has_text=text).first
