"""Code lenses (layer 3: ide).

- Above each function a handler string leads to (in the handler file): who uses it, e.g.
  `2 routes: GET /notes, GET /notes/{id} (ApiStack)` or `Cron job (JobsStack)`. Clicking shows
  the strings.
- Above each stack definition: the CloudFormation stack it deploys as in the stage, e.g.
  `deploys as dev-notes-core`. Clicking shows where it is registered.

Both lenses carry the command `sst.showReferences` with the arguments
`[path: str, line: int, col: int, locations: list[dict]]` (code-point columns; each location is
`Location.to_dict()`), which the server maps to the editor's "show references" command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.ide.lookup import apps_of
from sst_lsp.ide.naming import app_name, shown_stack_name
from sst_lsp.ide.targets import Site, sites
from sst_lsp.ide.types import Lens, Location
from sst_lsp.model.types import AppSnapshot
from sst_lsp.syntax.text import TextRange

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver

SHOW_REFERENCES = "sst.showReferences"
#: How many routes or positions a title names before "…".
MAX_NAMED = 3


def code_lenses(snap: AppSnapshot, resolver: HandlerResolver, path: Path, stage: str) -> list[Lens]:
    """The lenses of `path` (handler functions and stack definitions), in document order."""
    lenses = _handler_lenses(snap, resolver, path) + _stack_lenses(snap, path, stage)
    lenses.sort(key=lambda lens: lens.range.start)
    return lenses


def _command_args(path: Path, rng: TextRange, locations: list[Location]) -> list[object]:
    return [str(path), rng.start.line, rng.start.col, [loc.to_dict() for loc in locations]]


def _handler_lenses(snap: AppSnapshot, resolver: HandlerResolver, path: Path) -> list[Lens]:
    groups: dict[TextRange, list[Site]] = {}
    for s in sites(snap, resolver):
        if s.target is not None and s.target.path == path and s.res.status != "export-missing":
            groups.setdefault(s.target.range, []).append(s)
    lenses: list[Lens] = []
    for rng, group in groups.items():
        unique = list({s.location: s for s in group}.values())
        unique.sort(key=lambda s: (str(s.ref.path), s.ref.range.start))
        locations = [s.location for s in unique]
        lenses.append(Lens(rng, usage_title(unique), SHOW_REFERENCES, _command_args(path, rng, locations)))
    return lenses


def _named(items: list[str]) -> str:
    more = ", …" if len(items) > MAX_NAMED else ""
    return ", ".join(items[:MAX_NAMED]) + more


def usage_title(group: list[Site]) -> str:
    """`2 routes: GET /notes, GET /notes/{id} (ApiStack)`, `Cron job (JobsStack)`, ..."""
    routes = [s.ref.route for s in group if s.ref.route is not None]
    others = [s.ref.position for s in group if s.ref.route is None]
    parts: list[str] = []
    if routes:
        parts.append(f"{len(routes)} route{'s' if len(routes) != 1 else ''}: {_named(routes)}")
    if len(others) == 1:
        parts.append(others[0])
    elif others:
        parts.append(f"{len(others)} uses: {_named(others)}")
    several_apps = len({s.app.root for s in group}) > 1
    stacks: list[str] = []
    for s in group:
        if s.ref.stack:
            label = f"{app_name(s.app)}/{s.ref.stack}" if several_apps else s.ref.stack
            if label not in stacks:
                stacks.append(label)
    title = "; ".join(parts)
    return f"{title} ({', '.join(stacks)})" if stacks else title


def _stack_lenses(snap: AppSnapshot, path: Path, stage: str) -> list[Lens]:
    facts = snap.facts.get(path)
    if facts is None or not facts.stacks:
        return []
    apps = apps_of(snap, path)
    if not apps:
        app = snap.app_for(path)
        apps = [app] if app is not None else []
    lenses: list[Lens] = []
    for sd in facts.stacks:
        names: list[str] = []
        regs: list[Location] = []
        for app in apps:
            for s in app.stacks:
                if s.definition == sd:
                    names.append(shown_stack_name(s, stage, app))
                    if s.registration is not None:
                        regs.append(Location(s.registration.path, s.registration.range))
        if not names:
            continue  # The structure analyzer reports unregistered stacks.
        title = "deploys as " + ", ".join(dict.fromkeys(names))
        regs = list(dict.fromkeys(regs))
        lenses.append(Lens(sd.name_range, title, SHOW_REFERENCES, _command_args(path, sd.name_range, regs)))
    return lenses
