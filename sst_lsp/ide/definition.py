"""Go to definition (layer 3: ide).

- On a handler string: the export it names in the handler file (a TS/JS export, a Python
  def, Go's `func main`, a C#/Java method), following re-exports to the defining file; the
  start of the file when the export is missing; nothing when the file is missing.
- On a route key: the same as on its handler string.
- On a stack registration target (`app.stack(ApiStack)`, `new ApiStack(app, "api")`): the name
  of the stack definition.
- On the argument of `use(StorageStack)` in a stack: the stack definition of that name in the
  file's app (found by parsing the file around the cursor; the TypeScript server answers too,
  with the import, and editors show both).
- In handler code, on `Table.Notes` (v2 `sst/node/*`) or `Resource.MyBucket` (v3): the id of the
  construct it reads, in its stack.
- On a construct id or a stack definition's name: nothing (find references covers the other way).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.ide.lookup import apps_of, file_source, hit_at
from sst_lsp.ide.targets import site_for
from sst_lsp.ide.types import Location
from sst_lsp.model.handler_code import targets_of, use_at
from sst_lsp.model.types import App, AppSnapshot, HandlerRef, RouteKey, StackRegistration
from sst_lsp.syntax.parser import JS_LANGS, lang_for_path, parse
from sst_lsp.syntax.text import Pos

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver


def goto_definition(snap: AppSnapshot, resolver: HandlerResolver, path: Path, pos: Pos) -> list[Location] | None:
    """Where the SST object under `pos` is defined, or None when there is nothing to go to."""
    hit = hit_at(snap, path, pos)
    if hit is None:
        return _used_stack(snap, resolver, path, pos) or _resource(snap, resolver, path, pos)
    target, app = hit.target, hit.app
    if isinstance(target, RouteKey):
        ref = route_handler(app, target)
        if ref is None:
            return None
        target = ref
    if isinstance(target, HandlerRef):
        site = site_for(snap, resolver, app, target)
        return [site.target] if site is not None and site.target is not None else None
    if isinstance(target, StackRegistration):
        for a in ([app] if app is not None else []) + [a for a in snap.apps if a is not app]:
            for s in a.stacks:
                if s.registration == target and s.definition is not None:
                    return [Location(s.definition.path, s.definition.name_range)]
        return None
    return None


def route_handler(app: App | None, key: RouteKey) -> HandlerRef | None:
    """The handler string that belongs to a route key (the value next to it)."""
    if app is None:
        return None
    best: HandlerRef | None = None
    for h in app.handlers:
        if (
            h.path == key.path
            and h.route == key.key
            and h.construct_id == key.construct_id
            and h.range.start >= key.range.end
            and (best is None or h.range.start < best.range.start)
        ):
            best = h
    return best


def _resource(snap: AppSnapshot, resolver: HandlerResolver, path: Path, pos: Pos) -> list[Location] | None:
    """The construct that `Table.Notes` / `Resource.MyBucket` under the cursor reads."""
    if lang_for_path(path) not in JS_LANGS:
        return None
    use = use_at(file_source(resolver), path, pos, cache=resolver.derived.code_facts)
    app = snap.app_for(path) if use is not None else None
    if use is None or app is None:
        return None
    found = sorted(targets_of(app, use), key=lambda c: (str(c.path), c.id_range.start))
    return [Location(c.path, c.id_range) for c in found] or None


def _used_stack(snap: AppSnapshot, resolver: HandlerResolver, path: Path, pos: Pos) -> list[Location] | None:
    """The definition of the stack named by `use(Name)` under the cursor, if that is where it is."""
    facts = snap.facts.get(path)
    if facts is None or not any(sd.uses for sd in facts.stacks) or lang_for_path(path) not in JS_LANGS:
        return None
    text = file_source(resolver).read_text(path)
    lang = lang_for_path(path)
    if text is None or lang is None:
        return None
    pf = parse(text, lang)
    node = None
    # A cursor right after the name (`use(Name|)`) touches it from the end.
    for p in (pos, Pos(pos.line, pos.col - 1)) if pos.col > 0 else (pos,):
        point = pf.point_at(p)
        node = pf.root.named_descendant_for_point_range(point, point)
        if node is not None and node.type == "identifier":
            break
    if node is None or node.type != "identifier":
        return None
    args = node.parent
    call = args.parent if args is not None else None
    fn = call.child_by_field_name("function") if call is not None else None
    if args is None or args.type != "arguments" or fn is None or pf.node_text(fn) != "use":
        return None
    name = pf.node_text(node)
    apps = apps_of(snap, path) or [a for a in [snap.app_for(path)] if a is not None]
    found = [Location(sd.path, sd.name_range) for a in apps for sd in a.stack_defs if sd.name == name]
    return list(dict.fromkeys(found)) or None
