"""Completion inside handler strings and route keys (layer 3: ide).

Handler strings (any string in a handler position, even half typed, is a `HandlerRef`):

- Path segments: the folders (`notes/`) and handler files of the directory typed so far,
  relative to the effective base directory (the function's srcPath in v0/v1, the app root in
  v2/v3). Node and Python files are offered without extension (`list`, not `list.ts`), Go files
  with it (a Go handler names the file or its folder), containers offer folders only.
- Exports: once the name of an existing file is followed by a dot (`src/notes/list.`), the
  names it exports (JS/TS exports; Python top-level functions). Right after a complete file
  name (`src/notes/list`), `.name` items are offered too, so a file and its export can be
  picked in turn.

Each item replaces the segment typed so far (from its start to the cursor). Inside a template,
only the literal part after the last `${...}` is completed.

A string still being typed (`"functions/li|` with no closing quote) completes the same way: the
model recovers such a string with its range cut one character short (it assumes a closing
quote), and `_recovered` lines it up with the source again. Folders outside the app root
(`"../../|"`) are never offered: SST cannot bundle code from there.

Route keys: at the method part of an Api route key, the HTTP methods (and `$default` for HTTP
APIs); `$connect`/`$disconnect`/`$default` for WebSocket APIs; `Query`/`Mutation`/
`Subscription` for AppSync resolvers. In the path part, the paths of the app's other routes
(`/notes/{id}` while typing `GET /no`), so a new method on an existing path is a pick away.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp import catalog
from sst_lsp.ide.lookup import file_source, hit_at
from sst_lsp.ide.targets import HandlerText, handler_text, line_index
from sst_lsp.ide.types import CompletionItem, CompletionKind
from sst_lsp.model.files import SKIP_DIRS, FileSource
from sst_lsp.model.resolve import NODE_EXTENSIONS
from sst_lsp.model.types import App, AppSnapshot, HandlerRef, RouteKey
from sst_lsp.syntax.parser import parse
from sst_lsp.syntax.text import Pos, TextRange

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver

#: Node handler file extensions, in SST's order (kept in sync with model/resolve.py).
_NODE_EXTENSIONS = NODE_EXTENSIONS

HTTP_METHODS = catalog.HTTP_METHODS


def complete(snap: AppSnapshot, resolver: HandlerResolver, path: Path, pos: Pos) -> list[CompletionItem] | None:
    """Completions at `pos`, or None when the cursor is in no handler string or route key."""
    hit = hit_at(snap, path, pos)
    if hit is None:
        got = _recovered(snap, resolver, path, pos)
        if got is None:
            return None
        app, ref = got
        return _handler_items(resolver, app, ref, pos)
    if isinstance(hit.target, RouteKey):
        return _route_items(hit.target, pos, hit.app)
    if isinstance(hit.target, HandlerRef) and hit.app is not None:
        return _handler_items(resolver, hit.app, hit.target, pos)
    return None


# ----------------------------------------------------------------------------------------------
# Route keys.
def _recovered(snap: AppSnapshot, resolver: HandlerResolver, path: Path, pos: Pos) -> tuple[App, HandlerRef] | None:
    """A handler string without its closing quote that ends at the cursor, with its range
    lined up with the source (the recovered range is one character short)."""
    facts = snap.facts.get(path)
    app = snap.app_for(path)
    if facts is None or app is None:
        return None
    text = file_source(resolver).read_text(path)
    if text is None:
        return None
    line = line_index(text).line_text(pos.line)
    refs = [h for h in app.handlers if h.path == path] or list(facts.handlers)
    for h in refs:
        r = h.range
        end = r.start.col + len(h.handler)
        if (
            h.literal and r.start.line == r.end.line == pos.line and r.start.col <= pos.col <= end
            and line[r.start.col : end] == h.handler and line[end:].strip() == ""
            and r.start.col > 0 and line[r.start.col - 1] in "\"'`"
        ):
            return app, dataclasses.replace(h, range=TextRange(r.start, Pos(pos.line, end)))
    return None


def _route_items(key: RouteKey, pos: Pos, app: App | None = None) -> list[CompletionItem] | None:
    words = catalog.route_words(key.construct_kind)
    r = key.range
    if words is None or r.start.line != r.end.line or r.end.col - r.start.col != len(key.key):
        return None
    typed = key.key[: pos.col - r.start.col]
    if " " in typed:
        return _route_paths(key, app)
    space = key.key.find(" ")
    word_end = space if space != -1 else len(key.key)
    rng = TextRange(r.start, Pos(r.start.line, r.start.col + word_end))
    has_path = space != -1
    names, with_default = words
    items: list[CompletionItem] = []
    for i, m in enumerate(names):
        # A method needs a path after it: leave the cursor after a space when none is there yet.
        insert = m + " " if not has_path and not m.startswith("$") else m
        items.append(CompletionItem(m, "keyword", _route_detail(key.construct_kind, m), insert, rng, f"{i:02d}"))
    if with_default:
        items.append(CompletionItem("$default", "keyword", "catch-all route", "$default", rng, "99"))
    return items


def _route_paths(key: RouteKey, app: App | None) -> list[CompletionItem] | None:
    """The paths of the app's other routes, replacing the path part of `key`."""
    if app is None:
        return None
    space = key.key.find(" ")
    r = key.range
    rng = TextRange(Pos(r.start.line, r.start.col + space + 1), r.end)
    own = key.key[space + 1 :]
    paths: dict[str, list[str]] = {}
    for rk in app.routes:
        if rk is key or " " not in rk.key or catalog.route_words(rk.construct_kind) != catalog.route_words(key.construct_kind):
            continue
        method, _, p = rk.key.partition(" ")
        p = p.strip()
        if p and p != own:
            paths.setdefault(p, []).append(method)
    return [
        CompletionItem(p, "value", "route of " + ", ".join(sorted(set(methods))), p, rng, p)
        for p, methods in sorted(paths.items())
    ] or None


def _route_detail(kind: str, word: str) -> str:
    if catalog.route_grammar(kind) == "appsync":
        return f"{word} type field"
    if word == "ANY":
        return "any HTTP method"
    if word.startswith("$"):
        return "WebSocket route"
    return "HTTP method"


# ----------------------------------------------------------------------------------------------
# Handler strings.
def _handler_items(resolver: HandlerResolver, app: App, ref: HandlerRef, pos: Pos) -> list[CompletionItem] | None:
    fs = file_source(resolver)
    ht = handler_text(fs, ref)
    if ht is None:
        return None
    idx = ht.index_of(pos)
    if idx is None:
        return None  # Inside `${...}`: the value there is not ours to complete.
    res = resolver.resolve(app, ref)
    family = res.runtime_family
    if family not in ("node", "python", "go", "container"):
        return None
    typed = ref.handler[:idx]
    seg = typed.rfind("/") + 1
    name = typed[seg:]
    directory = Path(os.path.normpath(res.base_dir / typed[:seg])) if typed[:seg] else res.base_dir
    if not directory.is_relative_to(app.root):
        return []  # Outside the app: SST does not bundle code from there, so offer nothing.
    if family in ("node", "python") and "." in name.lstrip("."):
        got = _export_items(fs, resolver, ht, directory, name, seg, pos, family)
        if got is not None:
            return got
    start = ht.pos_of(seg)
    if start is None:
        return None
    items = _path_items(fs, directory, family, TextRange(start, pos))
    if family in ("node", "python") and name:
        module = _module(fs, directory, name, family)
        if module is not None:
            items.extend(_exports_of(fs, resolver, module, family, TextRange(pos, pos), dot=True))
    return items


def _export_items(fs: FileSource, resolver: HandlerResolver, ht: HandlerText, directory: Path, name: str,
                  seg: int, pos: Pos, family: str) -> list[CompletionItem] | None:
    """Exports of the file named before a dot of `name` (the longest name that exists wins)."""
    for dot in sorted((i for i, ch in enumerate(name) if ch == "." and i > 0), reverse=True):
        module = _module(fs, directory, name[:dot], family)
        if module is None:
            continue
        start = ht.pos_of(seg + dot + 1)
        if start is None:
            return None
        return _exports_of(fs, resolver, module, family, TextRange(start, pos), dot=False)
    return None


def _module(fs: FileSource, directory: Path, stem: str, family: str) -> Path | None:
    """The handler file `directory/stem` names, as SST looks it up."""
    if family == "node":
        for ext in _NODE_EXTENSIONS:
            p = directory / (stem + ext)
            if fs.is_file(p):
                return p
        return None
    for p in (directory / (stem + ".py"), directory / stem / "__init__.py"):
        if fs.is_file(p):
            return p
    return None


def _exports_of(fs: FileSource, resolver: HandlerResolver, module: Path, family: str, rng: TextRange,
                dot: bool) -> list[CompletionItem]:
    table = resolver.exports(module)
    if table is None:
        return []
    names = list(table.names)
    if family == "python":
        names = _python_functions(fs, module) or names
    items: list[CompletionItem] = []
    kind: CompletionKind = "function"
    for n in names:
        prefix = "." if dot else ""
        # `default` works (esbuild's CommonJS output has `exports.default`) but is rarely meant.
        sort = ("9" if n == "default" else "1") + n
        detail = f"{'def' if family == 'python' else 'export'} in {module.name}"
        items.append(CompletionItem(prefix + n, kind, detail, prefix + n, rng, sort))
    return items


def _python_functions(fs: FileSource, module: Path) -> list[str]:
    """Top-level `def`s of a Python file (decorated ones included), in source order."""
    text = fs.read_text(module)
    if text is None:
        return []
    pf = parse(text, "python")
    out: list[str] = []
    for node in pf.root.named_children:
        if node.type == "decorated_definition":
            node = node.child_by_field_name("definition") or node
        if node.type == "function_definition":
            name = node.child_by_field_name("name")
            if name is not None:
                out.append(pf.node_text(name))
    return out


def _path_items(fs: FileSource, directory: Path, family: str, rng: TextRange) -> list[CompletionItem]:
    items: list[CompletionItem] = []
    seen: set[str] = set()
    entries = fs.list_dir(directory) if fs.is_dir(directory) else {}
    for entry, kind in sorted(entries.items()):
        if entry.startswith(".") or entry in SKIP_DIRS:
            continue
        if kind == "d":
            label = entry + "/"
            items.append(CompletionItem(label, "folder", None, label, rng, "0" + entry))
            continue
        stem = _handler_stem(entry, family)
        if stem is None or stem in seen:
            continue
        seen.add(stem)
        commit = (".",) if family in ("node", "python") else ()
        items.append(CompletionItem(stem, "file", entry, stem, rng, "1" + stem, commit))
    return items


def _handler_stem(entry: str, family: str) -> str | None:
    """How a file is written in a handler (None: it cannot be a handler of this runtime)."""
    if ".test." in entry or ".spec." in entry:
        return None
    if family == "node":
        if entry.endswith(".d.ts"):
            return None
        for ext in _NODE_EXTENSIONS:
            if entry.endswith(ext) and len(entry) > len(ext):
                return entry[: -len(ext)]
        return None
    if family == "python":
        if entry.endswith(".py") and entry != "__init__.py":
            return entry[:-3]
        return None
    if family == "go":
        return entry if entry.endswith(".go") and not entry.endswith("_test.go") else None
    return None
