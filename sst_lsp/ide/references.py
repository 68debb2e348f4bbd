"""Find references (layer 3: ide): which handler strings point at a function.

Two entry points, one answer (every handler string, across all apps, whose definition is the
same place):

- On a handler string or its route key: the strings leading to the same definition (the export
  as defined, after following re-exports). Strings whose export is missing group by the file
  and the name they ask for; a string that leads to no file answers only itself.
- In a handler file: on an exported name's definition, the strings leading to it. Elsewhere on
  the file's first line (where a module comment or the first import usually sits), every string
  that uses the file, whatever it asks of it: "who uses this file". Anywhere else: None, so the
  language's own server answers alone and a local variable never lists handler strings.

On a construct id, or on `Table.Notes` / `Resource.MyBucket` in handler code: every place in
the handler code of the app that reads that construct by name (the files the app's Node
handlers run, their relative imports included).

`include_declaration` adds the definition itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.ide.definition import route_handler
from sst_lsp.ide.lookup import file_source, hit_at
from sst_lsp.ide.targets import FILE_FOUND, Site, site_for, sites
from sst_lsp.ide.types import Location
from sst_lsp.model.handler_code import ResourceUse, code_facts_for, reachable, targets_of, use_at
from sst_lsp.model.types import AppSnapshot, Construct, HandlerRef, RouteKey
from sst_lsp.syntax.parser import JS_LANGS, lang_for_path
from sst_lsp.syntax.text import Pos

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver


def find_references(
    snap: AppSnapshot,
    resolver: HandlerResolver,
    path: Path,
    pos: Pos,
    include_declaration: bool = True,
) -> list[Location] | None:
    """Handler strings pointing at the function under `pos` (see the module docstring)."""
    hit = hit_at(snap, path, pos)
    if hit is not None and isinstance(hit.target, Construct):
        c = hit.target
        found = [Location(c.path, c.id_range)] if include_declaration else []
        found += [Location(f, u.range) for f, u in resource_uses(snap, resolver, c)]
        return found or None
    if hit is None and lang_for_path(path) in JS_LANGS:
        use = use_at(file_source(resolver), path, pos, cache=resolver.derived.code_facts)
        app = snap.app_for(path) if use is not None else None
        if use is not None and app is not None:
            targets = sorted(targets_of(app, use), key=lambda t: (str(t.path), t.id_range.start))
            if targets:
                out = [Location(t.path, t.id_range) for t in targets] if include_declaration else []
                out += [Location(f, u.range) for t in targets for f, u in resource_uses(snap, resolver, t)]
                return list(dict.fromkeys(out))
    if hit is not None and isinstance(hit.target, (HandlerRef, RouteKey)):
        ref = hit.target if isinstance(hit.target, HandlerRef) else route_handler(hit.app, hit.target)
        if ref is None:
            return None
        site = site_for(snap, resolver, hit.app, ref)
        if site is None:
            return None
        if site.target is None:
            # A string that leads nowhere shares nothing with others.
            return [site.location]
        return _same_target(snap, resolver, site, include_declaration)
    if hit is not None:
        return None
    return _in_handler_file(snap, resolver, path, pos, include_declaration)


def resource_uses(snap: AppSnapshot, resolver: HandlerResolver, c: Construct) -> list[tuple[Path, ResourceUse]]:
    """Where the handler code of `c`'s app reads `c` by name, in file order."""
    fs = file_source(resolver)
    cache = resolver.derived.code_facts
    out: list[tuple[Path, ResourceUse]] = []
    for app in snap.apps:
        if c not in app.constructs:
            continue
        files: dict[Path, None] = {}
        for h in app.handlers:
            res = resolver.resolve(app, h)
            if res.file is not None and res.runtime_family == "node" and res.status in ("ok", "export-missing"):
                files.update(dict.fromkeys(reachable(fs, res.file, app.root, cache=cache)))
        for f in sorted(files):
            out.extend((f, u) for u in code_facts_for(fs, f, cache=cache).resources if c in targets_of(app, u))
    return out


def _key(s: Site) -> tuple[object, ...] | None:
    """What two strings must share to be references of the same thing."""
    if s.target is None:
        return None
    if s.res.status == "export-missing":
        # No definition to compare: strings asking the same file for the same name group.
        return ("missing", s.res.file, s.res.export)
    return ("def", s.target)


def _same_target(snap: AppSnapshot, resolver: HandlerResolver, site: Site,
                 include_declaration: bool) -> list[Location]:
    key = _key(site)
    out: list[Location] = []
    if include_declaration and site.target is not None and site.res.status != "export-missing":
        out.append(site.target)
    for s in sites(snap, resolver):
        if _key(s) == key:
            out.append(s.location)
    return _unique(out)


def _in_handler_file(snap: AppSnapshot, resolver: HandlerResolver, path: Path, pos: Pos,
                     include_declaration: bool) -> list[Location] | None:
    all_sites = list(sites(snap, resolver))
    on_def = [
        s for s in all_sites
        if s.target is not None and s.target.path == path and s.target.range.start != s.target.range.end
        and s.target.range.contains(pos) and s.res.status != "export-missing"
    ]
    if on_def:
        out: list[Location] = []
        if include_declaration:
            out.extend(s.target for s in on_def if s.target is not None)
        out.extend(s.location for s in on_def)
        return _unique(out)
    if pos.line != 0:
        return None
    # The file's first line: every string that uses the file, whatever it asks of it.
    uses = [
        s.location for s in all_sites
        if (s.target is not None and s.target.path == path)
        or (s.res.file == path and s.res.status in FILE_FOUND)
    ]
    return _unique(uses) or None


def _unique(locs: list[Location]) -> list[Location]:
    """Without duplicates (a stack file shared by two apps yields its strings twice)."""
    return list(dict.fromkeys(locs))
