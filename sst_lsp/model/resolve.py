"""Handler strings -> the file and export they name (layer 2: model).

`HandlerResolver.resolve(app, ref)` applies SST's own rules (its runtime handlers are the spec:
v1 `packages/core/src/runtime/handler/*.ts`, v2 `packages/sst/src/runtime/handlers/*.ts`):

- Base directory: v0/v1 join the handler to the function's `srcPath` (default "."); v2/v3 take
  it relative to the app root and ignore `srcPath`; a v3 function with a `bundle` (a prebuilt
  folder) names a file of that folder.
- node (`nodejs*`): v0/v1 cut the file name at its FIRST dot (`path.basename(h).split(".")[0]`,
  which is also where Lambda's Node runtime cuts: `a.b.main` is property `b.main` of module
  `a`, so the export that must exist is `b`); v2/v3 use `path.parse` (the LAST dot). The file is
  the first of `.ts .tsx .mts .cts .js .jsx .mjs .cjs` that exists, in that order. A handler
  without a dot names no export: "export-missing" with `export=None`.
- python: `dir/module.function`, cut at the last dot, as Lambda's Python runtime does; the
  module is `module.py` or the package `module/__init__.py`. The function must be bound at
  module level.
- go: the handler is a `.go` file or a package folder; nothing is exported by name (the
  go-to-definition target is `func main`).
- dotnet: `Assembly::Namespace.Class::Method`. v2 needs `Assembly.csproj` (or `.fsproj`, `.vbproj`)
  somewhere below the app root (SST's `findBelow`), v0/v1 a project file in `srcPath`; for C# the
  class and method are looked up in the `.cs` files of that project (bin/ and obj/ skipped); F# and
  Visual Basic projects are found, their sources not read ("unchecked").
- java: `package.Class::method` (or `package.Class`, meaning `handleRequest`): a file
  `**/package/Class.java` below the base directory, with that method in that class.
- container: a folder holding a `Dockerfile` (or the `container.file` the props name).
- rust and runtimes we do not know: "unchecked".

Paths are normalised lexically, like node's `path.join`: `src/../x` never needs `src` to exist.
A handler that leaves the app root is "outside-app". When the exact path is missing but one
that differs only in letter case exists (the file or any directory on the way), the result is
"case-mismatch": macOS finds such a file, Lambda's Linux does not.

A handler file that exists but cannot be read as text (binary, or above the size limit of
`FileSource`) resolves to "unchecked": its file was found and its exports are unknown, so we
report nothing rather than guess.

Caching: export tables are cached per (path, text); results are memoized per
(app root, generation, handler, runtime, srcPath), each remembering the files and directory
listings it looked at, so `invalidate(path)` drops exactly the results that could change.

Cost: a cold check resolves every handler once, so node and python resolutions work on strings
(`os.path`), look each candidate name up in one cached listing of its folder, and keep the
candidates tried (`Candidates`) and the target as strings: `Resolution.tried` and `.target`
make their `Path`s only when a message, hover or fix asks.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, TypeVar, cast

from sst_lsp.model.derived_facts import DerivedFacts
from sst_lsp.model.exports import ExportTable
from sst_lsp.model.files import SKIP_DIRS, FileSource
from sst_lsp.model.handler_code import CodeFacts, handler_file_facts
from sst_lsp.model.modules import IMPORT_SUFFIXES, SOURCE_EXTENSIONS, resolve_import
from sst_lsp.model.types import App, HandlerRef
from sst_lsp.syntax.parser import lang_for_path
from sst_lsp.syntax.text import TextRange

__all__ = ["NODE_EXTENSIONS", "Candidates", "HandlerResolver", "Resolution", "Status", "runtime_family"]

Status = Literal["ok", "file-missing", "export-missing", "case-mismatch", "outside-app", "unchecked"]

#: The extensions SST tries for a Node handler, in its order (defined once, in model/modules.py).
NODE_EXTENSIONS = SOURCE_EXTENSIONS
#: Extensions tried for a relative import specifier in a re-export: the import order, and JSON.
_IMPORT_EXTENSIONS = IMPORT_SUFFIXES + (".json",)
#: .NET project files, in the order one is chosen when several name the assembly.
DOTNET_PROJECTS = (".csproj", ".fsproj", ".vbproj")
#: Directories never searched for .cs/.java sources (build outputs).
_BUILD_DIRS = frozenset({"bin", "obj", "build", "target", "out", ".gradle", ".idea"})
#: A directory walk stops after this many entries (a safety net for huge trees).
_WALK_LIMIT = 50_000


def runtime_family(runtime: str | None) -> str:
    """"node", "python", "go", "dotnet", "java", "container", "rust" or "unknown"."""
    if runtime is None or runtime.startswith("nodejs") or runtime == "node":
        return "node"
    for family in ("python", "go", "dotnet", "java", "container", "rust"):
        if runtime.startswith(family):
            return family
    return "unknown"


@dataclass(frozen=True)
class Resolution:
    """Where a handler string leads, and why not when it leads nowhere."""

    status: Status
    runtime_family: str
    base_dir: Path  # the directory the handler is relative to (srcPath applied)
    file: Path | None  # the target file (or folder for a go package / container)
    export: str | None  # the export / function / method name the handler asks for
    export_range: TextRange | None  # its definition in `file`
    #: The candidate paths tried, in order: see `tried` (kept as strings until a message asks).
    tried_spec: tuple[Path, ...] | Candidates
    available: tuple[str, ...]  # exports that do exist, closest to `export` first
    case_match: Path | None  # for case-mismatch: the path as it exists on disk
    case_fixed_handler: str | None  # for case-mismatch: the handler with the case fixed
    message: str | None = None  # why "unchecked" (unknown runtime, unreadable file, ...)
    #: The effective runtime (the function's, else the app default).
    runtime: str = "nodejs"
    #: The effective srcPath (None where SST ignores it: v2/v3).
    src_path: str | None = None
    #: `target` as a string (a `Path` is made only when a message asks for it).
    target_at: str | None = None
    #: For "export-missing" in .NET/Java: True when the class itself is missing.
    class_missing: bool = False

    @property
    def target(self) -> Path | None:
        """The path the handler names after normalisation (without extension for node/python),
        for messages about "outside-app" and "file-missing"."""
        at = self.target_at
        return None if at is None else Path(at)

    @property
    def tried(self) -> tuple[Path, ...]:
        """The candidate paths tried, in order (built on demand: only findings and hovers
        about a missing file name them)."""
        spec = self.tried_spec
        return spec.paths() if isinstance(spec, Candidates) else spec

    @property
    def closest(self) -> str | None:
        """The available name close enough to `export` to suggest it ("did you mean")."""
        if not self.export or not self.available:
            return None
        import difflib  # Here: only messages about a missing export need it (start-up time).

        best = self.available[0]
        ratio = difflib.SequenceMatcher(None, self.export.lower(), best.lower()).ratio()
        return best if ratio >= 0.6 else None


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate paths `folder/stem+suffix` for each of `suffixes`, in order, as strings: a
    resolve keeps them this way and `paths()` makes the `Path`s when a message needs them
    (making them for every handler was a good part of a cold check)."""

    folder: str
    stem: str
    #: Each appended to the stem; may hold a "/" (python's "/__init__.py").
    suffixes: tuple[str, ...]

    def paths(self) -> tuple[Path, ...]:
        return tuple(Path(self.folder, self.stem + s) for s in self.suffixes)


class _Deps:
    """The paths one computation looked at (files read, directories listed), as strings (a
    string's hash is kept by the string; a `Path`'s is a Python call each time), and the export
    tables it read (so one computation reads each file once)."""

    __slots__ = ("paths", "tables")

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.tables: dict[str, ExportTable | None] = {}


#: An export table not read yet (None is a file that cannot be read).
_UNREAD: object = object()


class _Unknown:
    """Marker: whether a name is exported cannot be known (dynamic exports, packages)."""


UNKNOWN = _Unknown()
_FindResult = tuple[Path, TextRange] | _Unknown | None
_T = TypeVar("_T")


def _norm(p: Path) -> Path:
    """Lexical normalisation (`a/b/../c` -> `a/c`), as node's `path.join` does."""
    return Path(os.path.normpath(p))


def _inside(p: Path, root: Path) -> bool:
    return _inside_str(str(p), str(root))


def _inside_str(ps: str, rs: str) -> bool:
    return ps == rs or ps.startswith(rs.rstrip(os.sep) + os.sep)


def _target_str(base: Path, path_part: str, v1: bool) -> str:
    """`HandlerResolver._target` as a string (string operations: this runs once per handler,
    and pathlib's joins are slow)."""
    part = path_part.lstrip("/") if v1 else path_part
    return os.path.normpath(os.path.join(str(base), part))


def _rank(wanted: str | None, names: set[str] | list[str]) -> tuple[str, ...]:
    """`names` with the closest to `wanted` first (difflib ratio, then name)."""
    if not wanted:
        return tuple(sorted(names))
    import difflib  # Here: only a missing export needs it (start-up time).

    w = wanted.lower()

    def key(n: str) -> tuple[float, str]:
        return (-difflib.SequenceMatcher(None, w, n.lower()).ratio(), n)

    return tuple(sorted(names, key=key))


@dataclass(frozen=True, slots=True)
class _Split:
    """A path-like handler cut into the path part and the suffix naming the export."""

    path_part: str  # "src/list" (what is joined to the base directory)
    suffix: str  # ".main" (kept as written when fixing the case)
    export: str | None


class ResolutionStore(Protocol):
    """Resolutions and export tables remembered across runs (the CLI's on-disk cache,
    `sst_lsp/cache.py`). `get_resolution` answers only when every path the resolution read (file
    contents, directory listings) is as it was; `get_exports` (a file's export table and, for
    JS/TS, its code facts) only for the same content."""

    def get_resolution(self, root: Path, key: tuple[object, ...]) -> tuple[Resolution, frozenset[str]] | None: ...

    def put_resolution(self, root: Path, key: tuple[object, ...], value: Resolution,
                       deps: frozenset[str]) -> None: ...

    def get_exports(self, path: Path) -> tuple[ExportTable, CodeFacts | None] | None: ...

    def put_exports(self, path: Path, text: str, table: ExportTable, facts: CodeFacts | None) -> None: ...


class HandlerResolver:
    """Resolves handler strings against the files of a `FileSource`; thread-safe."""

    def __init__(self, fs: FileSource) -> None:
        self._fs = fs
        self._lock = threading.RLock()
        self._exports: dict[Path, tuple[str, ExportTable]] = {}
        #: Memoized results (resolutions and directory walks) with the paths they depend on.
        #: (Paths as strings: see `_Deps`.)
        self._memo: dict[tuple[object, ...], tuple[object, frozenset[str]]] = {}
        self._rdeps: dict[str, set[tuple[object, ...]]] = {}
        #: Directory listings (name -> "f"/"d", open buffers included) and their lower-case
        #: index, read once per directory: checking a candidate is then a dict lookup.
        self._listings: dict[Path, dict[str, str]] = {}
        self._folders: dict[str, Path] = {}
        self._lowers: dict[Path, dict[str, list[tuple[str, str]]]] = {}
        #: Results remembered across runs, for files without an open buffer (None: off).
        self.store: ResolutionStore | None = None
        #: The export tables taken from the store, kept once it is detached (until invalidated).
        self._stored_exports: dict[Path, ExportTable] = {}
        #: Facts derived from file texts (handler code, binding calls), kept across runs by the
        #: resolver's owner (the server or `check`) instead of module-level caches.
        self.derived = DerivedFacts()
        #: Bumped whenever `invalidate` drops a memoized result: a caller that kept resolutions
        #: (per reference) knows they all still hold while it has not moved.
        self.generation = 0

    # ------------------------------------------------------------------------------------------
    # Public API.
    # ------------------------------------------------------------------------------------------

    @property
    def fs(self) -> FileSource:
        """The file source the resolver reads through (open buffers over the disk)."""
        return self._fs

    def resolve_key(self, app: App, ref: HandlerRef) -> tuple[object, ...]:
        """What `ref`'s resolution in `app` depends on besides the files: the key `resolve`
        memoizes it under (see `memoized`)."""
        runtime = ref.runtime or app.default_runtime or "nodejs"
        src_path = None if app.generation in ("v2", "v3") else (ref.src_path or ".")
        # v3 `bundle`: the handler names a file of that prebuilt folder.
        bundle = ref.bundle if app.generation == "v3" else None
        # The root as a string: the key is hashed several times per handler, and a `Path`'s
        # hash is a Python call even once cached.
        return ("resolve", str(app.root), app.generation, ref.handler, runtime, src_path, _container_file(ref), bundle)

    def memoized(self, key: tuple[object, ...]) -> Resolution | None:
        """The resolution memoized under `key` (a `resolve_key`), None when none is (or no
        longer is, after `invalidate`): one lookup, for callers that keep results per reference."""
        got = self._memo.get(key)
        return got[0] if got is not None else None  # type: ignore[return-value]

    def resolve(self, app: App, ref: HandlerRef) -> Resolution:
        """Where `ref`'s handler leads in `app` (memoized; see `invalidate`)."""
        key = self.resolve_key(app, ref)
        got = self._memo.get(key)
        if got is not None:
            # The common case (every analyzer asks for every handler): one lookup, no closure.
            return got[0]  # type: ignore[return-value]
        runtime, src_path = cast(str, key[4]), cast("str | None", key[5])
        container_file, bundle = cast("str | None", key[6]), cast("str | None", key[7])

        def compute(deps: _Deps) -> Resolution:
            try:
                return self._resolve(app, ref.handler, runtime, src_path, container_file, deps, bundle)
            except RecursionError:
                # A re-export chain hundreds of files long: give up quietly, report nothing.
                family = runtime_family(runtime)
                return _Builder(family, app.root, runtime, src_path).make(
                    "unchecked", message="re-exports nest too deeply to follow")

        store = self.store
        if store is None or key in self._memo:
            return self._memoized(key, compute)
        # An open buffer's text and the listing of its folder are not what the store saw.
        overlay = self._fs.overlay_paths()
        edited = {str(q) for p in overlay for q in (p, p.parent)} if overlay else None
        hit = store.get_resolution(app.root, key)
        if hit is not None and (edited is None or edited.isdisjoint(hit[1])):
            with self._lock:
                self._memo[key] = hit
                for p in hit[1]:
                    self._rdeps.setdefault(p, set()).add(key)
            return hit[0]
        value = self._memoized(key, compute)
        deps = self._memo[key][1]
        if edited is None or edited.isdisjoint(deps):
            store.put_resolution(app.root, key, value, deps)
        return value

    def exports(self, path: Path) -> ExportTable | None:
        """The export table of a file (cached per text), or None when it cannot be read."""
        return self._exports_tracked(path, None)

    def resolve_export(self, path: Path, name: str) -> tuple[Path, TextRange] | None:
        """Where `name` exported by `path` is defined, following re-exports (cycle-safe)."""
        found = self._find_export(path, name, _Deps(), set())
        return found if isinstance(found, tuple) else None

    def invalidate(self, path: Path | None = None, content_only: bool = False) -> None:
        """Forgets what depends on `path` (a file changed, was created or deleted; None: all).

        Also drops the `FileSource`'s cached listings of its directory and the one above (a
        renamed folder shows in its parent's listing, which case-insensitive lookups read),
        unless `content_only` says only the file's text changed (an open buffer's edit): no
        listing can have moved then. `generation` counts the calls that dropped a resolution.
        """
        if not content_only:
            self._fs.invalidate(path)
            if path is not None:
                self._fs.invalidate(path.parent)
        with self._lock:
            if path is None:
                self._exports.clear()
                self._stored_exports.clear()
                self._memo.clear()
                self._rdeps.clear()
                self._listings.clear()
                self._lowers.clear()
                self.generation += 1
                return
            self._exports.pop(path, None)
            self._stored_exports.pop(path, None)
            keys: set[tuple[object, ...]] = set()
            for d in (path,) if content_only else (path, path.parent, path.parent.parent):
                if not content_only:
                    self._listings.pop(d, None)
                    self._lowers.pop(d, None)
                keys |= self._rdeps.pop(str(d), set())
            for k in keys:
                self._memo.pop(k, None)
            if keys:
                self.generation += 1

    # ------------------------------------------------------------------------------------------
    # Memo with dependencies.
    # ------------------------------------------------------------------------------------------

    def _memoized(self, key: tuple[object, ...], compute: Callable[[_Deps], _T],
                  outer: _Deps | None = None) -> _T:
        got = self._memo.get(key)
        if got is not None:
            value, deps_used = got
            if outer is not None:
                outer.paths |= deps_used
            return value  # type: ignore[return-value]
        deps = _Deps()
        value = compute(deps)
        frozen = frozenset(deps.paths)
        with self._lock:
            self._memo[key] = (value, frozen)
            for p in frozen:
                self._rdeps.setdefault(p, set()).add(key)
        if outer is not None:
            outer.paths |= frozen
        return value

    # Tracked file system access.
    def _list(self, d: Path, deps: _Deps) -> dict[str, str]:
        deps.paths.add(str(d))
        got = self._listings.get(d)
        if got is None:
            got = self._fs.list_dir(d)
            with self._lock:
                self._listings[d] = got
        return got

    def _lower(self, d: Path, deps: _Deps) -> dict[str, list[tuple[str, str]]]:
        """The listing of `d` indexed by lower-case name (sorted, for stable answers)."""
        got = self._lowers.get(d)
        if got is None:
            got = {}
            for name, kind in sorted(self._list(d, deps).items()):
                got.setdefault(name.lower(), []).append((name, kind))
            with self._lock:
                self._lowers[d] = got
        else:
            deps.paths.add(str(d))
        return got

    def _is_file(self, p: Path, deps: _Deps) -> bool:
        return self._list(p.parent, deps).get(p.name) == "f"

    def _is_dir(self, p: Path, deps: _Deps) -> bool:
        if self._list(p.parent, deps).get(p.name) == "d":
            return True
        # A folder that only holds open, unsaved buffers.
        deps.paths.add(str(p))
        return self._fs.is_dir(p)

    def _exports_tracked(self, path: Path, deps: _Deps | None) -> ExportTable | None:
        if deps is None:
            return self._read_exports(path)
        key = str(path)  # One string for both lookups (see `_Deps`).
        got = deps.tables.get(key, _UNREAD)
        if got is not _UNREAD:
            return got  # type: ignore[return-value]
        deps.paths.add(key)
        table = deps.tables[key] = self._read_exports(path)
        return table

    def _read_exports(self, path: Path) -> ExportTable | None:
        store = self.store
        lang = lang_for_path(path)
        if (store is not None or self._stored_exports) and path not in self._fs.overlay_paths():
            kept = self._stored_exports.get(path)
            if kept is not None:
                return kept
            stored = store.get_exports(path) if store is not None else None
            if stored is not None:
                table, stored_facts = stored
                if stored_facts is not None and lang is not None:
                    # The links analyzer reads this file's code facts next: its text keys them.
                    text = self._fs.read_text(path)
                    if text is not None:
                        self.derived.code_facts.get(text, lang, lambda _t, _l: stored_facts)
                with self._lock:
                    self._stored_exports[path] = table
                return table
        text = self._fs.read_text(path)
        if text is None:
            return None
        cached = self._exports.get(path)
        if cached is not None and (cached[0] is text or cached[0] == text):
            return cached[1]
        facts = None
        if lang is None:
            table = ExportTable()
        else:
            # One parse for the export table and the code facts the links analyzer reads of
            # the same file (kept in the driver's memo, keyed by this text).
            table, facts = handler_file_facts(text, lang)
            if facts is not None:
                got = facts
                self.derived.code_facts.get(text, lang, lambda _t, _l: got)
        with self._lock:
            self._exports[path] = (text, table)
        if store is not None:
            store.put_exports(path, text, table, facts)
        return table

    # ------------------------------------------------------------------------------------------
    # Locating paths, with letter case.
    # ------------------------------------------------------------------------------------------

    def _locate_ci(self, path: Path, root: Path, kind: str, deps: _Deps) -> Path | None:
        """The existing path equal to `path` ignoring letter case, walking down from `root`.

        `kind` is "f" (a file), "d" (a directory) or "" (either). Exact names win over
        case-insensitive ones at each step.
        """
        if not _inside(path, root) or path == root:
            return None
        cur = root
        parts = path.relative_to(root).parts
        for i, part in enumerate(parts):
            want = kind if i == len(parts) - 1 else "d"
            found = self._list(cur, deps).get(part)
            if found is not None and (not want or found == want):
                cur = cur / part
                continue
            match = next((n for n, k in self._lower(cur, deps).get(part.lower(), ()) if not want or k == want),
                         None)
            if match is None:
                return None
            cur = cur / match
        return cur

    def _find_ci(self, candidates: list[tuple[Path, str]], root: Path, deps: _Deps) -> Path | None:
        """Among files `(directory, name)` none of which exists as spelled: the real path of
        the first that exists in another letter case, else None."""
        real_dirs: dict[Path, Path | None] = {}
        for d, name in candidates:
            if d not in real_dirs:
                real_dirs[d] = d if d == root else self._locate_ci(d, root, "d", deps)
            real_d = real_dirs[d]
            if real_d is None:
                continue
            match = next((n for n, k in self._lower(real_d, deps).get(name.lower(), ()) if k == "f"), None)
            if match is not None:
                return real_d / match
        return None

    # ------------------------------------------------------------------------------------------
    # Resolution per runtime.
    # ------------------------------------------------------------------------------------------

    def _resolve(self, app: App, handler: str, runtime: str, src_path: str | None,
                 container_file: str | None, deps: _Deps, bundle: str | None = None) -> Resolution:
        family = runtime_family(runtime)
        root = app.root
        sub = bundle if bundle is not None else src_path
        if sub is None:
            base = root
        else:
            # Most handlers of an app share their srcPath: one base folder object for them all.
            base = self._folder(os.path.normpath(os.path.join(str(root), sub)))
        res = _Builder(family, base, runtime, src_path)
        if family in ("rust", "unknown"):
            return res.make("unchecked", message=f'handlers of runtime "{runtime}" are not checked')
        if sub is not None and not _inside(base, root):
            return res.make("outside-app", target=base)
        v1 = src_path is not None
        if family == "node":
            return self._resolve_node(app, handler, v1, res, deps)
        if family == "python":
            return self._resolve_python(app, handler, res, deps)
        if family == "go":
            return self._resolve_go(app, handler, v1, res, deps)
        if family == "container":
            return self._resolve_container(app, handler, v1, container_file, res, deps)
        if family == "dotnet":
            return self._resolve_dotnet(app, handler, v1, res, deps)
        return self._resolve_java(app, handler, res, deps)

    def _target(self, base: Path, path_part: str, v1: bool) -> Path:
        """The path a handler's path part names: joined to the base, normalised.

        v0/v1 join with `path.join(srcPath, handler)`, which treats a leading "/" as relative;
        v2/v3 resolve the handler on its own (an absolute path stays absolute).
        """
        return Path(_target_str(base, path_part, v1))

    def _folder(self, path: str) -> Path:
        """One `Path` object per folder (handlers share their folders: the listing lookups and
        dependency sets of each then hash and compare the same object, which pathlib caches)."""
        got = self._folders.get(path)
        if got is None:
            got = self._folders[path] = Path(path)
        return got

    def _resolve_node(self, app: App, handler: str, v1: bool, res: _Builder, deps: _Deps) -> Resolution:
        split = _split_node(handler, v1)
        where = _target_str(res.base, split.path_part, v1)
        if not _inside_str(where, str(app.root)):
            return res.make("outside-app", target=where, export=split.export)
        folder, stem = os.path.split(where)
        parent = self._folder(folder)
        if not split.path_part or split.path_part.endswith("/"):
            return res.make("file-missing", target=where, export=split.export,
                            tried=Candidates(folder, stem, NODE_EXTENSIONS))
        # The common case: the file is there, spelled as written (one listing, one lookup per
        # extension, no path made for the names that are not there).
        listing = self._list(parent, deps)
        for i, ext in enumerate(NODE_EXTENSIONS):
            if listing.get(stem + ext) == "f":
                found = parent / (stem + ext)
                tried = Candidates(folder, stem, NODE_EXTENSIONS[:i + 1])
                return self._check_export(app, handler, split, where, None, found, res, tried, deps)
        every = Candidates(folder, stem, NODE_EXTENSIONS)
        hit = self._find_ci([(parent, stem + ext) for ext in NODE_EXTENSIONS], app.root, deps)
        if hit is None:
            return res.make("file-missing", target=where, export=split.export, tried=every)
        ext = next((e for e in NODE_EXTENSIONS if hit.name.lower().endswith(e)), "")
        real_target = hit.parent / hit.name[: len(hit.name) - len(ext)]
        return self._check_export(app, handler, split, where, real_target, hit, res, every, deps)

    def _resolve_python(self, app: App, handler: str, res: _Builder, deps: _Deps) -> Resolution:
        split = _split_last(handler)
        v1 = res.src_path is not None
        where = _target_str(res.base, split.path_part, v1)
        if not _inside_str(where, str(app.root)):
            return res.make("outside-app", target=where, export=split.export)
        folder, stem = os.path.split(where)
        parent = self._folder(folder)
        target = parent / stem  # Listed when there is no `stem.py`.
        every = Candidates(folder, stem, (".py", "/__init__.py"))
        if not split.path_part or split.path_part.endswith("/"):
            return res.make("file-missing", target=target, export=split.export, tried=every)
        if self._list(parent, deps).get(stem + ".py") == "f":
            found = parent / (stem + ".py")
            return self._check_export(app, handler, split, where, None, found, res,
                                      Candidates(folder, stem, (".py",)), deps)
        if self._list(target, deps).get("__init__.py") == "f":
            return self._check_export(app, handler, split, where, None, target / "__init__.py", res, every, deps)
        hit = self._find_ci([(parent, stem + ".py"), (target, "__init__.py")], app.root, deps)
        if hit is None:
            return res.make("file-missing", target=target, export=split.export, tried=every)
        real_target = hit.parent if hit.name.lower() == "__init__.py" else hit.parent / hit.name[: -len(".py")]
        return self._check_export(app, handler, split, where, real_target, hit, res, every, deps)

    def _check_export(self, app: App, handler: str, split: _Split, target: str, real_target: Path | None,
                      found: Path, res: _Builder, tried: Candidates, deps: _Deps) -> Resolution:
        """The export part of a node/python resolution, once the file is found: as written
        (`real_target` None) or in another letter case (`real_target` the target as on disk)."""
        table = self._exports_tracked(found, deps)
        export = split.export
        exact = real_target is None
        fixed = None if real_target is None else _fix_handler(split, Path(target), real_target, res.base, app.root)

        def make(status: Status, rng: TextRange | None = None, available: tuple[str, ...] = (),
                 message: str | None = None) -> Resolution:
            return res.make(status, target=target, export=export, tried=tried, file=found,
                            export_range=rng, available=available, message=message,
                            case_match=None if exact else found, case_fixed_handler=fixed)

        if table is None:
            if not exact:
                return make("case-mismatch")
            return make("unchecked", message=f'"{_rel(found, app.root)}" could not be read as text; '
                        "its exports were not checked")
        rng: TextRange | None = None
        available: tuple[str, ...] = ()
        present = False
        if export and export in table.names and not table.reexports:
            # The common case, as `_find_export` would find it: defined in the file itself.
            present, rng = True, table.names[export]
        elif export:
            hit = self._find_export(found, export, deps, set())
            if isinstance(hit, tuple):
                # A definition in another file (a re-export) leaves the range of the name in
                # `found`, if it is spelled there; go-to-definition follows `resolve_export`.
                present = True
                rng = hit[1] if hit[0] == found else table.names.get(export)
            elif isinstance(hit, _Unknown):
                present = True
        if not present:
            names, _dynamic = self._all_names(found, deps, set())
            available = _rank(export, names)
        if not exact:
            return make("case-mismatch", rng, available)
        if not present:
            return make("export-missing", available=available)
        return make("ok", rng)

    def _resolve_go(self, app: App, handler: str, v1: bool, res: _Builder, deps: _Deps) -> Resolution:
        target = self._target(res.base, handler, v1)
        split = _Split(handler, "", None)
        if not _inside(target, app.root):
            return res.make("outside-app", target=target)
        found: Path | None = target
        exact = self._is_file(target, deps) or self._is_dir(target, deps)
        if not exact:
            found = self._locate_ci(target, app.root, "", deps)
        if found is None:
            return res.make("file-missing", target=target, tried=(target,))
        main_file, rng = self._go_main(found, deps)
        if not exact:
            return res.make("case-mismatch", target=target, file=main_file or found, case_match=found,
                            case_fixed_handler=_fix_handler(split, target, found, res.base, app.root),
                            export="main", export_range=rng, tried=(target,))
        if main_file is None and self._is_dir(found, deps):
            # A folder without any .go file cannot be built.
            return res.make("file-missing", target=target, tried=(target / "*.go",))
        return res.make("ok", target=target, file=main_file or found, export="main", export_range=rng,
                        tried=(target,))

    def _go_main(self, path: Path, deps: _Deps) -> tuple[Path | None, TextRange | None]:
        """The Go file holding `func main` for a file or package folder, and its range."""
        files = [path] if path.suffix == ".go" and not self._is_dir(path, deps) else [
            path / n for n, k in sorted(self._list(path, deps).items()) if k == "f" and n.endswith(".go")
            and not n.endswith("_test.go")
        ]
        for f in files:
            table = self._exports_tracked(f, deps)
            if table is not None and "main" in table.names:
                return f, table.names["main"]
        return (files[0] if files else None), None

    def _resolve_container(self, app: App, handler: str, v1: bool, container_file: str | None,
                           res: _Builder, deps: _Deps) -> Resolution:
        target = self._target(res.base, handler, v1)
        split = _Split(handler, "", None)
        if not _inside(target, app.root):
            return res.make("outside-app", target=target)
        exact = self._is_dir(target, deps)
        folder = target if exact else self._locate_ci(target, app.root, "d", deps)
        if folder is None:
            return res.make("file-missing", target=target, tried=(target,))
        dockerfile = _norm(folder / (container_file or "Dockerfile"))
        if not exact:
            return res.make("case-mismatch", target=target, file=folder, case_match=folder,
                            case_fixed_handler=_fix_handler(split, target, folder, res.base, app.root),
                            tried=(target,))
        if not self._is_file(dockerfile, deps):
            return res.make("file-missing", target=target, file=None, tried=(dockerfile,))
        return res.make("ok", target=target, file=folder, tried=(dockerfile,))

    def _walk(self, base: Path, suffixes: tuple[str, ...], deps: _Deps) -> tuple[Path, ...]:
        """Files below `base` ending with one of `suffixes` (skipping dependency and build
        folders), memoized with the listings it read."""

        def compute(d: _Deps) -> tuple[Path, ...]:
            out: list[Path] = []
            stack = [base]
            seen = 0
            while stack:
                cur = stack.pop()
                for name, kind in sorted(self._list(cur, d).items()):
                    seen += 1
                    if seen > _WALK_LIMIT:
                        return tuple(out)
                    if kind == "d":
                        if name not in SKIP_DIRS and name not in _BUILD_DIRS and not name.startswith("."):
                            stack.append(cur / name)
                    elif name.endswith(suffixes):
                        out.append(cur / name)
            return tuple(sorted(out))

        return self._memoized(("walk", base, suffixes), compute, deps)

    def _resolve_dotnet(self, app: App, handler: str, v1: bool, res: _Builder, deps: _Deps) -> Resolution:
        parts = handler.split("::")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            return res.make("unchecked", message=f'"{handler}" is not of the form Assembly::Namespace.Class::Method')
        assembly, type_name, method = (p.strip() for p in parts)
        export = f"{type_name}::{method}"
        names = tuple(f"{assembly}{suffix}" for suffix in DOTNET_PROJECTS)
        if v1:
            # v1 runs `dotnet publish` in srcPath: a project file must be there.
            projects = [res.base / n for n, k in sorted(self._list(res.base, deps).items())
                        if k == "f" and n.endswith(DOTNET_PROJECTS)]
            tried: tuple[Path, ...] = tuple(res.base / n for n in names)
        else:
            found = [p for p in self._walk(app.root, DOTNET_PROJECTS, deps) if p.name in names]
            # C# first, then F#, then Visual Basic (one assembly name, one project).
            projects = sorted(found, key=lambda p: (DOTNET_PROJECTS.index(p.suffix), str(p)))
            tried = tuple(app.root / "**" / n for n in names)
        if not projects:
            return res.make("file-missing", export=export, tried=tried)
        project = projects[0]
        if project.suffix != ".csproj":
            # F# and Visual Basic sources are not read (no parser for them here): the project is
            # there, the function inside it is not checked.
            language = "F#" if project.suffix == ".fsproj" else "Visual Basic"
            return res.make("unchecked", file=project, export=export, tried=tried,
                            message=f"{language} project {_rel(project, app.root)} found; {language} sources "
                                    f'are not read, so "{export}" is not checked')
        sources = self._walk(project.parent, (".cs",), deps)
        return self._lookup_member(sources, type_name, export, project, res, app, deps)

    def _lookup_member(self, sources: tuple[Path, ...], type_name: str, export: str, fallback: Path,
                       res: _Builder, app: App, deps: _Deps, tried: tuple[Path, ...] = ()) -> Resolution:
        """Finds `Type::member` among the export tables of `sources` (.NET and Java)."""
        classes: set[str] = set()
        members: set[str] = set()
        class_file: Path | None = None
        for src in sources:
            table = self._exports_tracked(src, deps)
            if table is None:
                continue
            if export in table.names:
                return res.make("ok", file=src, export=export, export_range=table.names[export], tried=tried)
            for name in table.names:
                if "::" in name:
                    if name.split("::", 1)[0] == type_name:
                        members.add(name)
                else:
                    classes.add(name)
            if type_name in table.names and class_file is None:
                class_file = src
        if class_file is not None:
            return res.make("export-missing", file=class_file, export=export, available=_rank(export, members),
                            tried=tried)
        return res.make("export-missing", file=fallback, export=export, available=_rank(type_name, classes),
                        tried=tried, class_missing=True)

    def _resolve_java(self, app: App, handler: str, res: _Builder, deps: _Deps) -> Resolution:
        type_name, _, method = handler.partition("::")
        type_name, method = type_name.strip(), (method.strip() or "handleRequest")
        if not type_name:
            return res.make("unchecked", message=f'"{handler}" is not of the form package.Class::method')
        export = f"{type_name}::{method}"
        outer = type_name.split("$", 1)[0]
        rel = outer.replace(".", "/") + ".java"
        sources = self._walk(res.base, (".java",), deps)
        suffix = "/" + rel
        exact = [p for p in sources if p.as_posix().endswith(suffix)]
        typical = res.base / "src" / "main" / "java" / rel
        if exact:
            return self._lookup_member(tuple(exact), type_name, export, exact[0], res, app, deps,
                                       tried=(typical,))
        low = suffix.lower()
        near = [p for p in sources if p.as_posix().lower().endswith(low)]
        if near:
            real = near[0]
            n = rel.count("/") + 1
            real_parts = real.with_suffix("").parts[-n:]
            fixed_type = ".".join(real_parts) + type_name[len(outer):]
            fixed = fixed_type + (handler[handler.index("::"):] if "::" in handler else "")
            return res.make("case-mismatch", file=real, export=export, case_match=real, case_fixed_handler=fixed,
                            tried=(typical,))
        return res.make("file-missing", export=export, tried=(typical,))

    # ------------------------------------------------------------------------------------------
    # Exports across files.
    # ------------------------------------------------------------------------------------------

    def _find_export(self, path: Path, name: str, deps: _Deps, seen: set[tuple[Path, str]]) -> _FindResult:
        """(file, range) where `name` exported by `path` is defined; UNKNOWN when that cannot be
        known (unreadable file, dynamic exports, unresolvable star re-export); None if absent."""
        if (path, name) in seen:
            return None
        seen.add((path, name))
        table = self._exports_tracked(path, deps)
        if table is None:
            return UNKNOWN
        for exported, spec, orig in table.reexports:
            if exported != name or orig == "*":
                continue
            target = self._resolve_specifier(path, spec, deps)
            if target is not None:
                hit = self._find_export(target, orig, deps, seen)
                if isinstance(hit, tuple):
                    return hit
            break
        if name in table.names:
            return (path, table.names[name])
        unknown = table.dynamic
        if name != "default":  # `export *` never re-exports the default export.
            for spec in table.star_from:
                target = self._resolve_specifier(path, spec, deps)
                if target is None:
                    unknown = True
                    continue
                hit = self._find_export(target, name, deps, seen)
                if isinstance(hit, tuple):
                    return hit
                if isinstance(hit, _Unknown):
                    unknown = True
        return UNKNOWN if unknown else None

    def _all_names(self, path: Path, deps: _Deps, seen: set[Path]) -> tuple[set[str], bool]:
        """Every name `path` exports, through star re-exports; and whether some are unknown."""
        if path in seen:
            return set(), False
        seen.add(path)
        table = self._exports_tracked(path, deps)
        if table is None:
            return set(), True
        names = set(table.names)
        dynamic = table.dynamic
        for spec in table.star_from:
            target = self._resolve_specifier(path, spec, deps)
            if target is None:
                dynamic = True
                continue
            more, dyn = self._all_names(target, deps, seen)
            names |= {n for n in more if n != "default"}
            dynamic = dynamic or dyn
        return names, dynamic

    def _resolve_specifier(self, importer: Path, spec: str, deps: _Deps) -> Path | None:
        """The file a relative import specifier names, or None (packages, missing files)."""
        if importer.suffix == ".py":
            return self._resolve_python_module(importer, spec, deps)
        return resolve_import(self._fs, importer, spec, is_file=lambda c: self._is_file(c, deps),
                              extensions=_IMPORT_EXTENSIONS)

    def _resolve_python_module(self, importer: Path, spec: str, deps: _Deps) -> Path | None:
        dots = len(spec) - len(spec.lstrip("."))
        if dots == 0:
            return None
        base = importer.parent
        for _ in range(dots - 1):
            base = base.parent
        rest = spec[dots:]
        target = base.joinpath(*rest.split(".")) if rest else base
        candidates = [target / "__init__.py"] if not rest else [
            target.parent / (target.name + ".py"), target / "__init__.py"
        ]
        for c in candidates:
            if self._is_file(c, deps):
                return c
        return None


# ----------------------------------------------------------------------------------------------
# Helpers.
# ----------------------------------------------------------------------------------------------


class _Builder:
    """Fills the fields every Resolution of one resolve shares."""

    __slots__ = ("base", "family", "runtime", "src_path")

    def __init__(self, family: str, base: Path, runtime: str, src_path: str | None) -> None:
        self.family, self.base, self.runtime, self.src_path = family, base, runtime, src_path

    def make(self, status: Status, *, file: Path | None = None, export: str | None = None,
             export_range: TextRange | None = None, tried: tuple[Path, ...] | Candidates = (),
             available: tuple[str, ...] = (), case_match: Path | None = None,
             case_fixed_handler: str | None = None, message: str | None = None,
             target: Path | str | None = None, class_missing: bool = False) -> Resolution:
        return Resolution(
            status=status, runtime_family=self.family, base_dir=self.base, file=file, export=export,
            export_range=export_range, tried_spec=tried, available=available, case_match=case_match,
            case_fixed_handler=case_fixed_handler, message=message, runtime=self.runtime,
            src_path=self.src_path, target_at=None if target is None else str(target), class_missing=class_missing,
        )


def _split_node(handler: str, v1: bool) -> _Split:
    """Cuts a Node handler like SST: v0/v1 at the first dot of the file name, v2/v3 at the last."""
    slash = handler.rfind("/")
    dirpart, name = handler[: slash + 1], handler[slash + 1 :]
    if v1:
        dot = name.find(".")
        if dot <= 0:
            return _Split(handler, "", None)
        rest = name[dot + 1 :]
        # Lambda reads `a.b.main` as property `b.main` of module `a`: `b` must be exported.
        return _Split(dirpart + name[:dot], name[dot:], rest.split(".")[0] or None)
    return _split_last(handler)


def _split_last(handler: str) -> _Split:
    slash = handler.rfind("/")
    dirpart, name = handler[: slash + 1], handler[slash + 1 :]
    dot = name.rfind(".")
    if dot <= 0:
        return _Split(handler, "", None)
    return _Split(dirpart + name[:dot], name[dot:], name[dot + 1 :] or None)


def _fix_handler(split: _Split, target: Path, real: Path, base: Path, root: Path) -> str | None:
    """The handler with its path components spelled as on disk (None if a wrong letter case
    lies outside the handler, e.g. in srcPath)."""
    if len(target.parts) != len(real.parts):
        return None
    comps = split.path_part.split("/")
    # The components that survive normalisation map onto the last parts of the target path.
    stack: list[int] = []
    for i, c in enumerate(comps):
        if c in ("", "."):
            continue
        if c == "..":
            if stack:
                stack.pop()
            continue
        stack.append(i)
    n = len(stack)
    if n == 0:
        return None
    head_t, head_r = target.parts[:-n], real.parts[:-n]
    if head_t != head_r:
        return None
    for idx, t_part, r_part in zip(stack, target.parts[-n:], real.parts[-n:]):
        if t_part != r_part:
            comps[idx] = r_part
    return "/".join(comps) + split.suffix


def _container_file(ref: HandlerRef) -> str | None:
    props = ref.function_props
    if props is None:
        return None
    container = props.get("container")
    if container is None:
        return None
    f = container.get("file")
    return f.str_value if f is not None else None


def _rel(path: Path, root: Path) -> str:
    """`path` relative to `root` with forward slashes (as users write handlers)."""
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:
        return path.as_posix()
