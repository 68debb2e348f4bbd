"""Renames that keep handler strings right (layer 3: ide).

- `file_renames`: files or folders moved (`workspace/willRenameFiles`): every handler string
  whose file is moved is rewritten to name the new place, relative to the handler's base
  directory (the function's srcPath in v0/v1, the app root in v2/v3) and in the runtime's
  spelling (Node and Python without the extension, Go with it). A handler whose base directory
  moves with the folder does not change (its srcPath does, which is the user's to edit).
- `prepare_rename` / `rename` on a handler's export (the export in the handler file, or the
  export part of a handler string): the export's name in its file and every handler string
  naming it.
- On a construct id: the id and the handler code that reads it by that name (`Table.Notes`,
  `Resource.Notes`). Renaming a stateful construct's id replaces the resource (a new, empty
  table on the next deploy): `RenameTarget.warning` says so, and the server asks before it
  returns the edits.

Only the literal tail of a string is edited (`${NOTES}/list.main` keeps `${NOTES}`); a change
that falls inside an interpolation is skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.ide.lookup import file_source, hit_at
from sst_lsp.ide.naming import is_stateful
from sst_lsp.ide.references import resource_uses
from sst_lsp.ide.targets import export_span, handler_text
from sst_lsp.ide.types import TextEdit
from sst_lsp.model.files import FileSource
from sst_lsp.model.resolve import NODE_EXTENSIONS
from sst_lsp.model.types import App, AppSnapshot, Construct, HandlerRef
from sst_lsp.syntax.text import LineIndex, Pos, TextRange

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver, Resolution

Edits = dict[Path, list[TextEdit]]


@dataclass(frozen=True)
class RenameTarget:
    """What a rename at a position would rename."""

    range: TextRange  # the name under the cursor
    placeholder: str
    kind: str  # "export" or "construct"
    #: Why the user must confirm (a stateful construct's id), else None.
    warning: str | None = None


# ----------------------------------------------------------------------------------------------
# Files and folders.


def file_renames(snap: AppSnapshot, resolver: HandlerResolver, moves: list[tuple[Path, Path]]) -> Edits:
    """The edits that make every handler string follow the moved files and folders."""
    fs = file_source(resolver)
    out: Edits = {}
    for app in snap.apps:
        for ref in app.handlers:
            res = resolver.resolve(app, ref)
            if res.file is None or res.status not in ("ok", "export-missing"):
                continue
            for old, new in moves:
                new_handler = _moved_handler(app, ref, res, old, new)
                if new_handler is None or new_handler == ref.handler:
                    continue
                edit = _string_edit(fs, ref, new_handler)
                if edit is not None:
                    out.setdefault(ref.path, []).append(edit)
                break
    return out


def _named(res: Resolution) -> Path | None:
    """The path the handler string names (node/python: without extension; go: as written)."""
    if res.file is None:
        return None
    if res.runtime_family in ("node", "python"):
        return res.target or res.file.with_suffix("")
    if res.runtime_family == "go":
        return res.file
    return None


def _moved_handler(app: App, ref: HandlerRef, res: Resolution, old: Path, new: Path) -> str | None:
    named, file, base = _named(res), res.file, res.base_dir
    if named is None or file is None or base.is_relative_to(old):
        return None
    if file == old:
        # A file renamed: keep the spelling rule of the runtime (no extension for node/python).
        if named == file:
            new_named = new
        elif res.runtime_family == "node" and new.suffix in NODE_EXTENSIONS or res.runtime_family == "python" and new.suffix == ".py" and file.name != "__init__.py":
            new_named = new.with_suffix("")
        else:
            return None
    elif file.is_relative_to(old) and named.is_relative_to(old):
        new_named = new / named.relative_to(old)
    else:
        return None
    prefix = _path_prefix(ref.handler, base, named)
    if prefix is None:
        return None
    rel = Path(os.path.relpath(new_named, base)).as_posix()
    if prefix.startswith("./") and not rel.startswith("."):
        rel = "./" + rel
    return rel + ref.handler[len(prefix) :]


def _path_prefix(handler: str, base: Path, named: Path) -> str | None:
    """The longest prefix of `handler` that names `named` from `base` (`src/list` of
    `src/list.main`)."""
    cuts = [len(handler)] + [i for i in range(len(handler) - 1, 0, -1) if handler[i] == "."]
    for cut in cuts:
        p = handler[:cut]
        if Path(os.path.normpath(base / p)) == named:
            return p
    return None


def _string_edit(fs: FileSource, ref: HandlerRef, new_handler: str) -> TextEdit | None:
    """The smallest edit of `ref`'s string that makes it `new_handler` (in its literal tail)."""
    ht = handler_text(fs, ref)
    if ht is None:
        return None
    old = ref.handler
    a = 0
    while a < min(len(old), len(new_handler)) and old[a] == new_handler[a]:
        a += 1
    k = 0
    while k < min(len(old), len(new_handler)) - a and old[-1 - k] == new_handler[-1 - k]:
        k += 1
    rng = ht.range_of(a, len(old) - k)
    return TextEdit(rng, new_handler[a : len(new_handler) - k]) if rng is not None else None


# ----------------------------------------------------------------------------------------------
# Exports and construct ids.


def prepare_rename(snap: AppSnapshot, resolver: HandlerResolver, path: Path, pos: Pos) -> RenameTarget | None:
    """What can be renamed at `pos`, or None (the position is not ours: other servers answer)."""
    got = _at(snap, resolver, path, pos)
    return got[0] if got is not None else None


def rename(snap: AppSnapshot, resolver: HandlerResolver, path: Path, pos: Pos, new_name: str) -> Edits | None:
    """The edits of a rename at `pos` to `new_name`, or None when nothing SST-specific is there."""
    got = _at(snap, resolver, path, pos)
    if got is None or not new_name or not valid_name(new_name, got[0].kind):
        return None
    target, subject = got
    fs = file_source(resolver)
    out: Edits = {}
    if isinstance(subject, Construct):
        out.setdefault(subject.path, []).append(TextEdit(subject.id_range, new_name))
        for f, use in resource_uses(snap, resolver, subject):
            out.setdefault(f, []).append(TextEdit(use.name_range, new_name))
        return out
    file, export = subject
    old_range = target.range if path == file else _export_range(resolver, file, export)
    if old_range is not None:
        out.setdefault(file, []).append(TextEdit(old_range, new_name))
    for app, ref in _handlers_naming(snap, resolver, file, export):
        ht = handler_text(fs, ref)
        first = app.generation in ("v0", "v1") and resolver.resolve(app, ref).runtime_family == "node"
        span = export_span(ref.handler, export, first)
        rng = ht.range_of(*span) if ht is not None and span is not None else None
        if rng is not None:
            out.setdefault(ref.path, []).append(TextEdit(rng, new_name))
    for edits in out.values():
        edits[:] = list(dict.fromkeys(edits))
    return out


def valid_name(name: str, kind: str) -> bool:
    """An export must be an identifier; a construct id starts with a letter and holds letters,
    digits, `-` and `_` (what SST accepts)."""
    if kind == "export":
        return name.isidentifier()
    return all(ch.isalnum() or ch in "-_" for ch in name) and name[:1].isalpha()


def _export_range(resolver: HandlerResolver, file: Path, export: str) -> TextRange | None:
    """The range of the export's own name in its file (None when the file spells it otherwise:
    `export { a as main }`, a re-export, `export default`)."""
    table = resolver.exports(file)
    rng = table.names.get(export) if table is not None else None
    return rng if rng is not None and _spells(file_source(resolver), file, rng, export) else None


def _spells(fs: FileSource, file: Path, rng: TextRange, name: str) -> bool:
    text = fs.read_text(file)
    if text is None or rng.start.line != rng.end.line:
        return False
    return LineIndex(text).line_text(rng.start.line)[rng.start.col : rng.end.col] == name


def _handlers_naming(snap: AppSnapshot, resolver: HandlerResolver, file: Path, export: str) -> list[tuple[App, HandlerRef]]:
    out: list[tuple[App, HandlerRef]] = []
    for app in snap.apps:
        for ref in app.handlers:
            res = resolver.resolve(app, ref)
            if res.file == file and res.export == export and res.runtime_family in ("node", "python"):
                out.append((app, ref))
    return out


def _at(snap: AppSnapshot, resolver: HandlerResolver, path: Path, pos: Pos
        ) -> tuple[RenameTarget, Construct | tuple[Path, str]] | None:
    hit = hit_at(snap, path, pos)
    fs = file_source(resolver)
    if hit is not None and isinstance(hit.target, Construct):
        c = hit.target
        if c.dynamic_id:
            return None
        warning = None
        if is_stateful(c):
            warning = (
                f'Renaming the {c.kind} "{c.id}" replaces it: the next deploy creates a new, empty '
                f"{c.kind.lower()} under the new id and deletes (or orphans, when retained) the old "
                "one with its data."
            )
        return RenameTarget(c.id_range, c.id, "construct", warning), c
    if hit is not None and isinstance(hit.target, HandlerRef) and hit.app is not None:
        ref, app = hit.target, hit.app
        res = resolver.resolve(app, ref)
        if res.file is None or res.export is None or res.status != "ok" or res.runtime_family not in ("node", "python"):
            return None
        ht = handler_text(fs, ref)
        first = app.generation in ("v0", "v1") and res.runtime_family == "node"
        span = export_span(ref.handler, res.export, first)
        rng = ht.range_of(*span) if ht is not None and span is not None else None
        if rng is None or not rng.contains(pos):
            return None
        return RenameTarget(rng, res.export, "export"), (res.file, res.export)
    # In a handler file: an export that some handler string names.
    table = resolver.exports(path)
    if table is None:
        return None
    for name, rng in table.names.items():
        if rng.contains(pos) and _spells(fs, path, rng, name) and _handlers_naming(snap, resolver, path, name):
            return RenameTarget(rng, name, "export"), (path, name)
    return None
