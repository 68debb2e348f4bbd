"""Quick fixes for handler findings (layer 3: ide).

Built from what the handler analyzer puts in `Finding.data` (see analyzers/handlers.py):

- handler-not-found: create the file with a stub handler (TS, JS or Python; stubs.py);
- handler-export-missing: (a) add a stub export at the end of the file; (b) change the
  string's export part to the closest existing export (preferred when it is close, i.e.
  `closest` is set); a handler naming no export at all (`src/list`) gets `.name` appended;
  .NET/Java handlers get their method part changed when the class exists;
- handler-case-mismatch: rewrite the string with the letter case as on disk;
- handler-not-found, a typo in the file name (`functions/lst.main` beside `functions/list.ts`):
  change the string to the closest existing file of the folder;
- resource-not-linked: add the construct to the function's `bind`/`link`;
  environment-variable-missing: set the variable (empty, to be filled in) in the function's
  `environment` (both computed in the finding's data, analyzers/links.py).

A created file whose folder does not exist yet carries `make_dirs`: the server sends it as a
command run after the edit, because LSP's `CreateFile` has no "with parents" option and
Neovim's client does not create folders.

Edits on a handler string touch only the characters that change, in the literal tail of the
string as written: a template such as `${NOTES}/list.handler` is fixed in place without
expanding `${NOTES}`. When the changed part lies inside an interpolation, there is no fix.
"""

from __future__ import annotations

import difflib
import logging
from pathlib import Path

from sst_lsp.ide.stubs import append_text, language_of, stub
from sst_lsp.ide.targets import export_span, handler_text, relative
from sst_lsp.ide.types import FILE_START, CodeAction, TextEdit
from sst_lsp.model.files import FileSource
from sst_lsp.model.resolve import NODE_EXTENSIONS
from sst_lsp.model.types import App, AppSnapshot, Finding, HandlerRef
from sst_lsp.syntax.text import LineIndex, TextRange

log = logging.getLogger(__name__)

CODES = ("handler-not-found", "handler-export-missing", "handler-case-mismatch", "resource-not-linked",
         "environment-variable-missing")


def code_actions(
    snap: AppSnapshot, findings_at_range: list[Finding], path: Path, fs: FileSource | None = None
) -> list[CodeAction]:
    """Quick fixes for the findings of `path` the editor asked about.

    Args:
        snap: the snapshot the findings were computed from.
        findings_at_range: findings overlapping the requested range (others are ignored).
        path: the document.
        fs: where to read texts (pass the index's `FileSource` so open buffers count); the disk
            when None.
    """
    fs = fs or FileSource()
    out: list[CodeAction] = []
    for f in findings_at_range:
        if f.path != path or f.code not in CODES or not isinstance(f.data, dict):
            continue
        try:
            out.extend(_for_finding(snap, f, fs))
        except Exception:  # One malformed finding must not cost the others their fixes.
            log.exception("quick fixes for %s failed", f.code)
    return out


def _for_finding(snap: AppSnapshot, f: Finding, fs: FileSource) -> list[CodeAction]:
    data = f.data or {}
    app, ref = _handler_of(snap, f)
    if f.code in ("resource-not-linked", "environment-variable-missing"):
        return _link(f, data)
    if f.code == "handler-not-found":
        return _closest_file(f, data, app, ref, fs) + _create_file(f, data, app, fs)
    if f.code == "handler-export-missing":
        return _export_missing(f, data, app, ref, fs)
    return _case_mismatch(f, data, ref, fs)


def _handler_of(snap: AppSnapshot, f: Finding) -> tuple[App | None, HandlerRef | None]:
    for app in snap.apps:
        for h in app.handlers:
            if h.path == f.path and h.range == f.range:
                return app, h
    return snap.app_for(f.path), None


def _str(data: dict[str, object], key: str) -> str | None:
    v = data.get(key)
    return v if isinstance(v, str) and v else None


def _action(f: Finding, title: str, edits: dict[Path, list[TextEdit]], creates: list[Path] | None = None,
            preferred: bool = False) -> CodeAction:
    return CodeAction(
        title=title,
        kind="quickfix",
        edits=edits,
        creates=creates or [],
        is_preferred=preferred,
        fixes_codes=(f.code,),
        diagnostic_range=f.range,
    )


def _rel(app: App | None, p: Path) -> str:
    return relative(p, app.root) if app is not None else p.name


# ----------------------------------------------------------------------------------------------
# handler-not-found.
def _create_file(f: Finding, data: dict[str, object], app: App | None, fs: FileSource) -> list[CodeAction]:
    file = _str(data, "file")
    if file is None:
        return []
    target = Path(file)
    if not target.is_absolute() and app is not None:
        target = app.root / target
    lang = language_of(target, _str(data, "language"))
    export = _str(data, "export") or ("handler" if lang == "python" else "main")
    code = stub(lang, export)
    if code is None:
        return []
    action = _action(
        f,
        f"Create {_rel(app, target)} with `{export}`",
        {target: [TextEdit(FILE_START, code)]},
        creates=[target],
        preferred=True,
    )
    missing = _missing_folder(fs, target.parent)
    if missing is not None:
        action.make_dirs.append(target.parent)
    return [action]


def _missing_folder(fs: FileSource, folder: Path) -> Path | None:
    return None if fs.is_dir(folder) else folder


def _closest_file(f: Finding, data: dict[str, object], app: App | None, ref: HandlerRef | None,
                  fs: FileSource) -> list[CodeAction]:
    """`functions/lst.main` -> "Change to functions/list.main" when `functions/list.ts` exists;
    a folder typo on the way (`functoins/list.main`) is corrected the same way, one closest
    existing folder per missing level."""
    file = _str(data, "file")
    runtime = _str(data, "runtime") or "node"
    if file is None or ref is None or runtime not in ("node", "python"):
        return []
    target = Path(file)
    stem = target.name[: -len(target.suffix)] if target.suffix else target.name
    h = ref.handler
    i = h.rfind("/") + 1
    if h[i : i + len(stem)] != stem:
        return []
    parts = [p for p in h[:i].split("/") if p]
    if any(p in (".", "..") for p in parts) or len(target.parents) <= len(parts):
        return []
    base = target.parents[len(parts)]
    # Walk down from the base directory, replacing each missing folder by its closest sibling.
    d, fixed_parts = base, []
    for part in parts:
        dirs = [n for n, kind in fs.list_dir(d).items() if kind == "d"]
        if part in dirs:
            fixed_parts.append(part)
        else:
            best_dir = difflib.get_close_matches(part, sorted(dirs), n=1, cutoff=0.6)
            if not best_dir:
                return []
            fixed_parts.append(best_dir[0])
        d = d / fixed_parts[-1]
    exts = NODE_EXTENSIONS if runtime == "node" else (".py",)
    names = {
        n[: -len(Path(n).suffix)]
        for n, kind in fs.list_dir(d).items()
        if kind == "f" and Path(n).suffix in exts
    }
    if stem in names:
        new_stem = stem
    else:
        best = difflib.get_close_matches(stem, sorted(names), n=1, cutoff=0.6)
        if not best:
            return []
        new_stem = best[0]
    new_path = "".join(p + "/" for p in fixed_parts) + new_stem
    old_path = h[: i + len(stem)]
    # Edit from the first change only, so an interpolated prefix (`${DIR}/`) stays as written.
    new = new_path
    if new == old_path:
        return []
    a = 0
    while a < min(len(old_path), len(new)) and old_path[a] == new[a]:
        a += 1
    ht = handler_text(fs, ref)
    rng = ht.range_of(a, len(old_path)) if ht is not None else None
    if rng is None:
        return []
    return [_action(f, f"Change to {new + h[i + len(stem):]}", {ref.path: [TextEdit(rng, new[a:])]})]


# ----------------------------------------------------------------------------------------------
# resource-not-linked, environment-variable-missing.
def _link(f: Finding, data: dict[str, object]) -> list[CodeAction]:
    out: list[CodeAction] = []
    raw_fixes = data.get("fixes")
    fixes = raw_fixes if isinstance(raw_fixes, list) else []
    for fix in fixes:
        if not isinstance(fix, dict):
            continue
        title, path, raw = fix.get("title"), fix.get("path"), fix.get("edits")
        if not isinstance(title, str) or not isinstance(path, str) or not isinstance(raw, list):
            continue
        edits = [
            TextEdit(TextRange.of(int(e[0]), int(e[1]), int(e[2]), int(e[3])), str(e[4]))
            for e in raw
            if isinstance(e, (list, tuple)) and len(e) == 5
        ]
        if edits:
            out.append(_action(f, title, {Path(path): edits}, preferred=len(fixes) == 1))
    return out


# ----------------------------------------------------------------------------------------------
# handler-export-missing.
def _export_missing(f: Finding, data: dict[str, object], app: App | None, ref: HandlerRef | None,
                    fs: FileSource) -> list[CodeAction]:
    out: list[CodeAction] = []
    file = _str(data, "file")
    export = _str(data, "export")
    runtime = _str(data, "runtime") or "node"
    raw = data.get("available")
    available = [a for a in raw if isinstance(a, str)] if isinstance(raw, (list, tuple)) else []
    closest = _str(data, "closest")
    # (b) Point the string at an export that exists.
    suggestion = closest or (available[0] if available else None)
    if ref is not None and suggestion is not None:
        fix = _rename_export(ref, app, runtime, export, suggestion, fs)
        if fix is not None:
            rng, new_text = fix
            shown = suggestion.partition("::")[2] if "::" in suggestion else suggestion
            out.append(
                _action(f, f"Change handler to `{shown}`", {ref.path: [TextEdit(rng, new_text)]},
                        preferred=closest is not None)
            )
    # (a) Add the export the string asks for.
    if file is not None and export is not None:
        target = Path(file)
        text = fs.read_text(target)
        lang = language_of(target, _str(data, "language"))
        code = stub(lang, export)
        if text is not None and code is not None:
            end = LineIndex(text).pos_at(len(text))
            out.append(
                _action(f, f"Add `{export}` to {_rel(app, target)}",
                        {target: [TextEdit(TextRange(end, end), append_text(text, code))]})
            )
    return out


def _rename_export(ref: HandlerRef, app: App | None, runtime: str, export: str | None, new: str,
                   fs: FileSource) -> tuple[TextRange, str] | None:
    """The edit that makes the handler string name `new` instead of `export`."""
    ht = handler_text(fs, ref)
    if ht is None:
        return None
    h = ref.handler
    if runtime in ("dotnet", "java"):
        if export is None or "::" not in h or "::" not in new:
            return None
        if export.partition("::")[0] != new.partition("::")[0]:
            return None  # The class is missing: renaming a method cannot help.
        start = h.rfind("::") + 2
        span: tuple[int, int] | None = (start, len(h))
        new = new.partition("::")[2]
    elif export is None:
        # `src/list` names no export: append one.
        span, new = (len(h), len(h)), "." + new
    else:
        first = runtime == "node" and app is not None and app.generation in ("v0", "v1")
        span = export_span(h, export, first)
    if span is None:
        return None
    rng = ht.range_of(*span)
    return (rng, new) if rng is not None else None


# ----------------------------------------------------------------------------------------------
# handler-case-mismatch.
def _case_mismatch(f: Finding, data: dict[str, object], ref: HandlerRef | None,
                   fs: FileSource) -> list[CodeAction]:
    fixed = _str(data, "fixedHandler")
    if fixed is None or ref is None or fixed == ref.handler:
        return []
    ht = handler_text(fs, ref)
    if ht is None:
        return []
    # Replace only the characters that differ, so an interpolated prefix stays as written.
    sm = difflib.SequenceMatcher(None, ref.handler, fixed, autojunk=False)
    blocks = [op for op in sm.get_opcodes() if op[0] != "equal"]
    if not blocks:
        return []
    # A plain string is rewritten whole; a template from its first changed character on.
    a0, b0 = (0, 0) if ht.editable_from == 0 else (blocks[0][1], blocks[0][3])
    rng = ht.range_of(a0, len(ref.handler))
    if rng is None:
        return []
    return [
        _action(f, f'Fix letter case: "{fixed}"', {ref.path: [TextEdit(rng, fixed[b0:])]}, preferred=True)
    ]
