"""Handler diagnostics (layer 3: analyzers): does every handler string lead to code?

For each handler of each app the resolver (model/resolve.py) applies SST's rules; this module
turns what it found into findings a user understands without docs, with paths relative to the
app root, and puts in `Finding.data` what the quick fixes need:

- `file`: the file to create (file-missing) or the file that exists (the others), absolute;
- `export`: the export/function/method the handler asks for; `available`: the names that do
  exist, closest first; `closest`: the one worth suggesting ("did you mean"), or None;
- `fixedHandler`: the handler string with its letter case fixed (case-mismatch), or None;
- `language`: "ts"/"js" (node: TS when the app's stack files are TypeScript), "python", "go",
  "csharp", "java", or None; `runtime`: the runtime family; `handler`: the handler string.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path

from sst_lsp.analyzers.base import AnalysisContext, CodeInfo
from sst_lsp.analyzers.memo import handler_table, per_ref
from sst_lsp.model.resolve import NODE_EXTENSIONS, Resolution
from sst_lsp.model.types import App, Finding, HandlerRef, Related
from sst_lsp.syntax.text import TextRange

#: How many existing names a message lists (the data carries them all).
MAX_LISTED = 8

CODES: dict[str, CodeInfo] = {
    "handler-not-found": CodeInfo(
        "handler-not-found",
        "error",
        "The file (or folder) a handler names does not exist.",
        doc=(
            "Rule: a handler such as `src/list.main` must name an existing file: for Node, "
            "`src/list` plus one of .ts .tsx .mts .cts .js .jsx .mjs .cjs (tried in that order); "
            "for Python `src/list.py` (or the package `src/list/__init__.py`); for Go a .go file "
            "or a package folder; for containers a folder with a Dockerfile; for .NET the project "
            "(`Assembly.csproj`, `.fsproj` or `.vbproj`); for Java `package/Class.java`. The path is "
            "relative to the function's `srcPath` in SST v0/v1, to the app root in v2/v3, and to "
            "the `bundle` folder of a v3 function that has one.\n\n"
            "Example: `new Function(stack, \"Fn\", { handler: \"src/lis.main\" })` while the file "
            "is `src/list.ts`.\n\n"
            "Fix: correct the path, or create the file (the quick fix creates it with the export)."
        ),
    ),
    "handler-export-missing": CodeInfo(
        "handler-export-missing",
        "error",
        "The handler's file exists but does not export the function the handler names.",
        doc=(
            "Rule: the part after the last dot of a handler (`main` in `src/list.main`) must be "
            "exported by the file: `export const main`, `export function main`, "
            "`export { x as main }`, `exports.main = ...`, or for Python a module-level `def main`. "
            "Re-exports (`export * from`, `export { main } from`) are followed. For .NET and Java "
            "the class and method must exist.\n\n"
            "Example: `handler: \"src/list.mian\"` while `src/list.ts` exports `main`.\n\n"
            "Fix: correct the export name (the quick fix offers the closest one) or add the export."
        ),
    ),
    "handler-case-mismatch": CodeInfo(
        "handler-case-mismatch",
        "error",
        "The handler's path exists only with different letter case.",
        doc=(
            "Rule: Lambda runs on Linux, where file names are case-sensitive. A handler "
            "`src/List.main` finds `src/list.ts` on macOS and Windows, so it works in `sst dev`, "
            "and fails once deployed.\n\n"
            "Example: `handler: \"src/Notes/list.main\"` while the folder is `src/notes`.\n\n"
            "Fix: spell the handler as the path is on disk (the quick fix rewrites it), or rename "
            "the file."
        ),
    ),
    "handler-outside-app": CodeInfo(
        "handler-outside-app",
        "error",
        "The handler's path leaves the app's root directory.",
        doc=(
            "Rule: a handler (with its `srcPath`) must stay inside the app root, the folder of "
            "`sst.json` / `sst.config.ts`: SST resolves and bundles functions from there, and code "
            "above it is not part of the app.\n\n"
            "Example: `handler: \"../../shared/x.main\"`.\n\n"
            "Fix: move the code into the app (for example a workspace package) and point the "
            "handler there."
        ),
    ),
}

_STATUS_CODE = {
    "file-missing": "handler-not-found",
    "export-missing": "handler-export-missing",
    "case-mismatch": "handler-case-mismatch",
    "outside-app": "handler-outside-app",
}


def analyze(ctx: AnalysisContext) -> Iterable[Finding]:
    """One finding per handler that does not lead to its code."""
    memo = ctx.memo
    for app in ctx.snapshot.apps:
        table = handler_table(memo, ctx.resolver, ctx.snapshot, app)
        ts = _stack_files_ts(app)
        # A finding reads its reference, its resolution and, of its app, these (`sig`).
        results = per_ref(memo, "handlers", app, table, (app.root, ts), functools.partial(_finding, app, ts=ts))
        yield from (f for f in results if f is not None)


def _finding(app: App, ref: HandlerRef, res: Resolution, *, ts: bool) -> Finding | None:
    code = _STATUS_CODE.get(res.status)
    if code is None:
        return None
    return Finding(
        path=ref.path,
        range=ref.range,
        severity=CODES[code].severity,
        code=code,
        message=_message(app, ref, res),
        related=_related(app, res),
        data=_data(app, ref, res, ts),
    )


# ----------------------------------------------------------------------------------------------
# Messages.
# ----------------------------------------------------------------------------------------------


def _rel(app: App, path: Path | None) -> str:
    if path is None:
        return "?"
    try:
        return Path(os.path.relpath(path, app.root)).as_posix()
    except ValueError:
        return path.as_posix()


def _context(res: Resolution) -> str:
    """`(srcPath "services", runtime nodejs16.x)`: what the path was relative to."""
    parts = []
    if res.src_path not in (None, "."):
        parts.append(f'srcPath "{res.src_path}"')
    parts.append(f"runtime {res.runtime}")
    return "(" + ", ".join(parts) + ")"


def _names(names: Iterable[str]) -> str:
    listed = list(names)
    more = len(listed) - MAX_LISTED
    text = ", ".join(listed[:MAX_LISTED])
    return text + (f" and {more} more" if more > 0 else "")


def _message(app: App, ref: HandlerRef, res: Resolution) -> str:
    h = ref.handler
    if res.status == "outside-app":
        where = _rel(app, res.target) if res.target is not None else "?"
        return (
            f'Handler "{h}" resolves outside the app ({where}, above the app root "{app.root.name}"): '
            "SST bundles functions from inside the app."
        )
    if res.status == "file-missing":
        return _missing_message(app, ref, res)
    if res.status == "case-mismatch":
        wanted = _wanted_path(app, res)
        actual = _rel(app, res.case_match)
        fix = f' Write "{res.case_fixed_handler}".' if res.case_fixed_handler else ""
        return (
            f'"{wanted}" exists only as "{actual}": letter case matters on Lambda\'s Linux '
            f"(works on macOS).{fix}"
        )
    # export-missing
    return _export_message(app, ref, res)


def _wanted_path(app: App, res: Resolution) -> str:
    """The path the handler spells, with the extension of the file found in another case."""
    if res.target is None or res.case_match is None:
        return _rel(app, res.case_match)
    name = res.case_match.name
    if res.runtime_family == "node":
        ext = next((e for e in NODE_EXTENSIONS if name.lower().endswith(e)), "")
        return _rel(app, res.target.parent / (res.target.name + ext))
    if res.runtime_family == "python":
        if name.lower() == "__init__.py":
            return _rel(app, res.target / "__init__.py")
        return _rel(app, res.target.parent / (res.target.name + ".py"))
    if res.runtime_family == "java" and res.tried:
        return _rel(app, res.tried[0])
    return _rel(app, res.target)


def _missing_message(app: App, ref: HandlerRef, res: Resolution) -> str:
    h = ref.handler
    tried = ", ".join(_rel(app, p) for p in res.tried)
    ctx = _context(res)
    fam = res.runtime_family
    if fam == "go":
        if res.tried and res.tried[0].name == "*.go":
            return f'Handler folder for "{h}" has no .go files: {_rel(app, res.target)} {ctx}'
        return f'Handler not found for "{h}": no file or package folder {tried} {ctx}'
    if fam == "container":
        if res.target is not None and res.tried and res.tried[0] != res.target:
            return f'Container handler "{h}" has no Dockerfile: {tried} does not exist {ctx}'
        return f'Container handler folder not found for "{h}": {tried} {ctx}'
    if fam == "dotnet":
        return f'.NET project not found for handler "{h}": looked for {tried} {ctx}'
    if fam == "java":
        return (
            f'Handler class file not found for "{h}": no {res.export and res.export.split("::")[0]} '
            f"source below {_rel(app, res.base_dir)} (typically {tried}) {ctx}"
        )
    return f'Handler file not found for "{h}": tried {tried} {ctx}'


def _export_message(app: App, ref: HandlerRef, res: Resolution) -> str:
    file = _rel(app, res.file)
    closest = res.closest
    hint = f' Did you mean "{closest}"?' if closest else ""
    if res.runtime_family in ("dotnet", "java"):
        export = res.export or ""
        type_name, _, member = export.partition("::")
        if res.class_missing:
            listed = f" Classes: {_names(res.available)}." if res.available else ""
            return f'Class "{type_name}" not found in the sources of {file}.{hint}{listed}'
        methods = [n.partition("::")[2] for n in res.available]
        close = closest.partition("::")[2] if closest else None
        hint = f' Did you mean "{close}"?' if close else ""
        listed = f" Methods: {_names(methods)}." if methods else ""
        return f'"{type_name}" in {file} has no method "{member}".{hint}{listed}'
    noun = "function" if res.runtime_family == "python" else "export"
    if res.export is None:
        example = f'"{ref.handler}.{res.available[0]}"' if res.available else f'"{ref.handler}.main"'
        listed = f" ({noun}s of {file}: {_names(res.available)})" if res.available else ""
        return f'Handler "{ref.handler}" names no {noun}: write "file.{noun}", e.g. {example}{listed}.'
    if not res.available:
        return f'"{file}" has no {noun} "{res.export}"; it {"defines" if noun == "function" else "exports"} nothing.'
    label = "Functions" if noun == "function" else "Exports"
    return f'"{file}" has no {noun} "{res.export}".{hint} {label}: {_names(res.available)}'


def _related(app: App, res: Resolution) -> tuple[Related, ...]:
    if res.status == "case-mismatch" and res.case_match is not None:
        return (Related(res.case_match, TextRange.of(0, 0, 0, 0), "the path as it is on disk"),)
    if res.status == "export-missing" and res.file is not None and res.file.suffix:
        return (Related(res.file, TextRange.of(0, 0, 0, 0), "the file the handler names"),)
    return ()


# ----------------------------------------------------------------------------------------------
# Data for quick fixes.
# ----------------------------------------------------------------------------------------------


_TS_SUFFIXES = (".ts", ".tsx", ".mts", ".cts")


def _stack_files_ts(app: App) -> bool:
    """True when the app's stack files are TypeScript (a Node handler to create is, too)."""
    files = list(app.files) or ([app.entry] if app.entry else [])
    return any(p.suffix in _TS_SUFFIXES for p in files)


def _language(res: Resolution, ts: bool) -> str | None:
    fam = res.runtime_family
    if fam == "node":
        if res.file is not None and res.file.suffix:
            return "ts" if res.file.suffix in _TS_SUFFIXES else "js"
        return "ts" if ts else "js"
    return {"python": "python", "go": "go", "dotnet": "csharp", "java": "java"}.get(fam)


def _file_for_data(app: App, res: Resolution, language: str | None) -> Path | None:
    """The file that exists, or for file-missing the one a quick fix would create."""
    if res.status != "file-missing":
        return res.case_match or res.file
    if res.runtime_family == "node" and res.target is not None:
        return res.target.parent / (res.target.name + (".ts" if language == "ts" else ".js"))
    if res.runtime_family == "python" and res.target is not None:
        return res.target.parent / (res.target.name + ".py")
    return res.tried[0] if res.tried else res.target


def _data(app: App, ref: HandlerRef, res: Resolution, ts: bool) -> dict[str, object]:
    language = _language(res, ts)
    file = _file_for_data(app, res, language)
    return {
        "file": str(file) if file is not None else None,
        "export": res.export,
        "available": list(res.available),
        "closest": res.closest,
        "fixedHandler": res.case_fixed_handler,
        "language": language,
        "runtime": res.runtime_family,
        "handler": ref.handler,
    }
