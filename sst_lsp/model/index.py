"""The workspace index (layer 2: model): inputs -> cached facts -> immutable snapshots.

Inputs are the workspace roots, the texts of open buffers (overlaid on the disk by the
`FileSource`) and the exclusion globs. Derived, memoised state: app roots (rediscovered only
when a config file appears or goes), a `ParsedFile` and `FileFacts` per source file (recomputed
only when its text changes; parsing is incremental from the previous tree, extraction from the
file's previous extraction through an `ExtractMemo`), and the `App`s.
`snapshot()` returns an immutable `AppSnapshot` that handlers and analyzers read while edits
go on.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
import threading
import time
from collections.abc import Iterable
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sst_lsp.model.discover import CONFIG_NAMES, AppRoot, config_name_errors, discover_apps, read_sst_json
from sst_lsp.model.files import MAX_FILE_BYTES, SKIP_DIRS, FileSource
from sst_lsp.model.modules import Program, resolve_import
from sst_lsp.model.recover import keep_good_facts
from sst_lsp.model.types import (
    APP_TOKEN,
    App,
    AppSnapshot,
    ConfigError,
    Construct,
    FileFacts,
    Generation,
    HandlerRef,
    RouteKey,
    Stack,
    StackDef,
    StackRegistration,
    Value,
    stack_name_problem,
)
from sst_lsp.syntax.parser import JS_LANGS, ParsedFile, lang_for_path, parse, reparse
from sst_lsp.syntax.text import Pos, TextRange

if TYPE_CHECKING:
    from sst_lsp.model.extract import ExtractMemo

#: `resolve_import` lives in model/modules.py (the one resolver); importers of it from here stay.
__all__ = ["MAX_APP_FILES", "MAX_STACK_DIR_FILES", "WorkspaceIndex", "resolve_import"]

log = logging.getLogger(__name__)

#: Seconds of the last (incremental) build above which a caller of `snapshot(wait=...)` takes
#: the newest snapshot built rather than building the current one itself.
SELF_BUILD_LIMIT = 0.5

#: Files per app followed from the entry at most (a safety bound).
MAX_APP_FILES = 5000
#: Files of the stack folders read for stacks that nothing imports (a safety bound).
MAX_STACK_DIR_FILES = 2000
#: Folders of tests inside stack folders (tests build stacks too; they are not the app's).
_TEST_DIRS = frozenset({"test", "tests", "__tests__", "__mocks__"})


#: What the facts of a file were read from besides its text: (the other files' texts, the
#: folders listed with their names, the disk epoch or -1 when no folder or missing import counts).
_Deps = tuple[tuple[tuple[Path, str], ...], tuple[tuple[Path, tuple[str, ...]], ...], int]


class FactStore(Protocol):
    """Facts remembered across runs (the CLI's on-disk cache, `sst_lsp/cache.py`): `get_facts`
    answers only when the file's content is the one the facts were extracted from."""

    def get_facts(self, path: Path) -> FileFacts | None: ...

    def put_facts(self, path: Path, text: str, facts: FileFacts) -> None: ...


class WorkspaceIndex:
    """Holds everything known about the SST apps under some roots. Thread-safe."""

    def __init__(self, roots: Iterable[Path] = (), fs: FileSource | None = None, exclude: Iterable[str] = ()) -> None:
        from sst_lsp.model.resolve import HandlerResolver

        self.fs = fs or FileSource()
        self.roots: list[Path] = [Path(r) for r in roots]
        self.exclude: tuple[str, ...] = tuple(exclude)
        self.revision = 0
        self.resolver = HandlerResolver(self.fs)
        # Two locks: `_lock` serialises the derived state (parses, facts, apps, snapshots: a
        # large file takes seconds), `_inputs` guards the inputs and the revision only, so an
        # edit arriving on the event loop never waits for a snapshot being built.
        self._lock = threading.RLock()
        self._inputs = threading.Lock()
        self._app_roots: list[AppRoot] | None = None
        #: Bumped whenever the app roots must be rediscovered (a discovery in flight when it
        #: moves does not store its stale answer).
        self._roots_gen = 0
        self._parsed: dict[Path, ParsedFile] = {}
        self._facts: dict[Path, tuple[str, FileFacts]] = {}
        # Per file whose facts read other files: (texts read, folders listed, disk epoch).
        self._deps: dict[Path, _Deps] = {}
        # Per such file: its text, facts and `_deps` one extraction before the latest (an edit
        # undone, in the file or in what it read, finds them again without extracting).
        self._earlier: dict[Path, tuple[str, FileFacts, _Deps]] = {}
        # Bumped by every change on disk: facts that followed imports which did not resolve,
        # or listed folders, may see other files now.
        self._disk_epoch = 0
        self._program: Program | None = None
        # Texts of dependencies read at this revision (see `_deps_hold`).
        self._dep_texts: dict[Path, str | None] = {}
        # Import resolutions, kept until a file changes on disk (which may add or remove one).
        self._resolutions: dict[tuple[Path, str], Path | None] = {}
        # What evaluators found in each file's parse alone, for the programs of later revisions
        # (see `Program.syntax`): an edit of a helper re-extracts its users, whose parses stay.
        self._syntax: dict[Path, tuple[int, object]] = {}
        # Per file: the products of its `new` expressions, reused by its next extraction.
        self._memos: dict[Path, ExtractMemo] = {}
        # Per file: the text and facts of its last version without syntax errors, and the texts
        # of other files those facts were read from (see model/recover.py: a file that does not
        # parse keeps them for its unchanged lines; they are extracted again when those texts
        # changed, so what is kept never depends on the order of the edits).
        self._good: dict[Path, tuple[str, FileFacts, tuple[tuple[Path, str], ...]]] = {}
        # Per file: (its text, its facts, the good facts, their merge) for the last merge made
        # (the text too: two broken texts may have equal facts, but keep different lines).
        self._recovered: dict[Path, tuple[str, FileFacts, FileFacts, FileFacts]] = {}
        # Imported files already logged as left out (unreadable, too large, gone).
        self._skipped_logged: set[Path] = set()
        self._apps: dict[Path, tuple[tuple[object, ...], App]] = {}
        self._snapshot: AppSnapshot | None = None
        #: Facts remembered across runs, consulted for files without an open buffer (None: off).
        self.store: FactStore | None = None
        self._stored: dict[Path, FileFacts] = {}
        #: The newest snapshot built, even if the revision moved since (`latest_snapshot`).
        self._last_snapshot: AppSnapshot | None = None
        #: Seconds the last build after the first took (see `snapshot`'s `wait`).
        self._rebuild_seconds = 0.0
        # The revision `_program` and `_dep_texts` belong to: inputs change under `_inputs`
        # only, so derived state is reset lazily, under `_lock`, by the next build.
        self._derived_rev = -1

    # ------------------------------------------------------------------------------------------
    # Inputs.
    def set_roots(self, roots: Iterable[Path], exclude: Iterable[str] | None = None) -> None:
        with self._inputs:
            self.roots = [Path(r) for r in roots]
            if exclude is not None:
                self.exclude = tuple(exclude)
            self._forget_roots()
            self._bump()

    def set_text(self, path: Path, text: str | None) -> None:
        """An open buffer's text (None: the buffer closed, read the disk again).

        Never waits for a snapshot being built: that build reads the texts it started with or
        this one, and is stale either way (its revision is older than this edit's)."""
        with self._inputs:
            if text is None or path not in self._facts:
                # A buffer of a file not seen before (maybe not on disk), or one going away:
                # imports may resolve differently now.
                self._resolutions.clear()
                self._disk_epoch += 1
            # An open buffer's new text: no folder listing moved (open buffers are listed).
            content_only = text is not None and self.fs.overlay_text(path) is not None
            self.fs.set_overlay(path, text)
            self._changed(path, content_only)

    def file_changed(self, path: Path) -> None:
        """A file changed, appeared or went away on disk (watched files, saves, renames)."""
        with self._inputs:
            self.fs.invalidate(path)
            self._disk_epoch += 1
            self._resolutions.clear()
            self._changed(path)

    def _changed(self, path: Path, content_only: bool = False) -> None:
        # The cached facts stay: `facts()` compares texts, and when the new text yields equal
        # facts it keeps the old object, so the apps built from it stay valid. The resolver
        # and the file source have locks of their own.
        self.resolver.invalidate(path, content_only)
        if not content_only and lang_for_path(path) is None:
            self._stored.clear()  # A folder moved: what is below it may differ.
        else:
            self._stored.pop(path, None)
        self._skipped_logged.discard(path)
        if path.name in CONFIG_NAMES or path.name == "sst.json":
            self._forget_roots()
        self._bump()

    def _forget_roots(self) -> None:
        self._app_roots = None
        self._roots_gen += 1

    def _bump(self) -> None:
        self.revision += 1

    # ------------------------------------------------------------------------------------------
    # Derived state.
    def app_roots(self) -> list[AppRoot]:
        with self._lock:
            got = self._app_roots
            if got is None:
                gen, roots, exclude = self._roots_gen, list(self.roots), self.exclude
                found: dict[Path, AppRoot] = {}
                for r in roots:
                    for a in discover_apps(r, exclude):
                        found.setdefault(a.root, a)
                got = sorted(found.values(), key=lambda a: str(a.root))
                with self._inputs:
                    if self._roots_gen == gen:
                        self._app_roots = got
            return got

    def parsed(self, path: Path) -> ParsedFile | None:
        """The parse of a file's current text (None if it is not a parseable text file)."""
        lang = lang_for_path(path)
        if lang is None:
            return None
        text = self.fs.read_text(path)
        if text is None:
            return None
        with self._lock:
            old = self._parsed.get(path)
            if old is not None and old.text is text:
                return old
            if old is not None and old.lang == lang:
                pf = reparse(old, text)
            else:
                pf = parse(text, lang)
            self._parsed[path] = pf
            return pf

    def _drop_program(self) -> None:
        """Forgets the revision's module program, breaking its reference cycles (see
        `Program.release`) so that the parses only it holds are freed now."""
        if self._program is not None:
            self._program.release()
            self._program = None

    def drop_parses(self) -> int:
        """Forgets the parses kept for incremental reparsing (and the revision's module
        program, which holds some); returns the characters of the texts they parsed. A one-shot
        driver calls this once the snapshot is built, so the syntax trees (about 150 MB for a
        7 MB stack file) are freed before the analyzers run. A later `facts` of a changed file
        parses it in full."""
        with self._lock:
            size = sum(len(pf.text) for pf in self._parsed.values())
            self._parsed.clear()
            self._syntax.clear()
            self._drop_program()
        return size

    def facts(self, path: Path) -> FileFacts | None:
        """The facts of a JS/TS file (cached until its text changes)."""
        lang = lang_for_path(path)
        if lang not in JS_LANGS:
            return None
        store = self.store
        # Facts taken from the store stay after it is detached (a driver's first index), until
        # their file changes.
        if (store is not None or self._stored) and path not in self.fs.overlay_paths():
            got = self._stored.get(path)
            if got is None and store is not None:
                got = store.get_facts(path)
                if got is not None:
                    self._stored[path] = got
            if got is not None:
                return got
        text = self.fs.read_text(path)
        if text is None:
            return None
        with self._lock:
            if self._derived_rev != self.revision:
                # A new revision: modules and dependency texts are read afresh.
                self._derived_rev = self.revision
                self._drop_program()
                self._dep_texts.clear()
            cached = self._facts.get(path)
            if cached is not None and cached[0] == text and self._deps_hold(path):
                return cached[1]
            earlier = self._earlier.get(path)
            if earlier is not None and earlier[0] == text and self._deps_entry_holds(earlier[2]):
                # The text and what it read are as they were one extraction ago (an undo, a
                # toggle in a helper): those facts hold again. The latest ones become the earlier.
                if cached is not None and path in self._deps:
                    self._earlier[path] = (cached[0], cached[1], self._deps[path])
                else:
                    del self._earlier[path]
                self._facts[path] = (text, earlier[1])
                self._deps[path] = earlier[2]
                if not earlier[1].syntax_errors:
                    self._good[path] = (text, earlier[1], earlier[2][0])
                return earlier[1]
            pf = self.parsed(path)
            if pf is None:
                return None
            # Imported here: a run whose facts all come from the store never loads the extractor.
            from sst_lsp.model.extract import ExtractMemo, extract, new_program

            memo = self._memos.get(path)
            if memo is None:
                memo = self._memos[path] = ExtractMemo()
            failed = False
            program = self._program
            if program is None:
                # One per revision: the modules it reads (and the values of their constants)
                # are shared by every file extracted at that revision.
                program = self._program = new_program(self.fs, self.parsed)
                program._resolved = self._resolutions
                program.syntax = self._syntax
            try:
                facts = extract(pf, path, memo=memo, program=program)
            except Exception:  # A bug must not cost the whole index: log, return empty facts.
                log.exception("extracting facts from %s failed", path)
                memo.clear()
                facts = FileFacts(path=path, lang=pf.lang)
                failed = True
            if not facts.syntax_errors:
                self._good[path] = (text, facts, tuple(program.deps.items()))
            if cached is not None and cached[1] == facts:
                facts = cached[1]  # Keep identity: apps built from it stay valid.
            elif cached is not None and path in self._deps:
                self._earlier[path] = (cached[0], cached[1], self._deps[path])
            self._facts[path] = (text, facts)
            cross_file = bool(program.deps or program.dirs or program.missing)
            if cross_file:
                self._deps[path] = (tuple(program.deps.items()), tuple(program.dirs.items()),
                                    self._disk_epoch if (program.dirs or program.missing) else -1)
            else:
                self._deps.pop(path, None)
            # The store is keyed by this file's content alone: facts read from other files (or
            # folders) are not remembered there, and a failure is not either (a fix retries it).
            if store is not None and not failed and not cross_file:
                store.put_facts(path, text, facts)
            return facts

    def _deps_hold(self, path: Path) -> bool:
        """True when the other files (and folders) the facts of `path` were read from are as
        they were: an edit of a helper module re-extracts the files that use it, and only those."""
        got = self._deps.get(path)
        return got is None or self._deps_entry_holds(got)

    def _deps_entry_holds(self, got: _Deps) -> bool:
        """`_deps_hold` of one record of what facts were read from."""
        texts, dirs, epoch = got
        if epoch >= 0 and epoch != self._disk_epoch:
            return False
        seen = self._dep_texts
        for p, t in texts:
            if p in seen:
                now = seen[p]
            else:
                now = seen[p] = self.fs.read_text(p)  # Once per revision, however many use it.
            if now is not t and now != t:
                return False
        for d, names in dirs:
            if tuple(sorted(self.fs.list_dir(d))) != names:
                return False
        return True

    def dependents(self, path: Path) -> list[Path]:
        """Files whose facts were read from `path` besides their own text (reverse
        dependencies across files), as of their latest extraction."""
        with self._lock:
            return sorted(p for p, (texts, _dirs, _e) in self._deps.items() if any(q == path for q, _t in texts))

    def model_facts(self, path: Path) -> FileFacts | None:
        """The facts the app model uses: `facts()`, except for a file with syntax errors whose
        earlier version parsed, whose facts are then kept for the lines the edit left alone
        (model/recover.py)."""
        facts = self.facts(path)
        if facts is None or not facts.syntax_errors:
            return facts
        with self._lock:
            good = self._good.get(path)
            if good is None:
                return facts
            if not self._texts_hold(good[2]):
                good = self._good_again(path, good[0])
                if good is None:
                    return facts
            text = self._facts[path][0]
            got = self._recovered.get(path)
            if got is not None and got[1] is facts and got[2] is good[1] and got[0] == text:
                return got[3]
            try:
                merged = keep_good_facts(good[0], good[1], text, facts)
            except Exception:  # A bug here must not cost the file's (new) facts.
                log.exception("keeping the last good facts of %s failed", path)
                return facts
            if got is not None and got[3] == merged:
                merged = got[3]  # Keep identity: apps built from it stay valid.
            self._recovered[path] = (text, facts, good[1], merged)
            return merged

    def _texts_hold(self, texts: tuple[tuple[Path, str], ...]) -> bool:
        """True when every file in `texts` still has that text (read once per revision)."""
        seen = self._dep_texts
        for p, t in texts:
            if p in seen:
                now = seen[p]
            else:
                now = seen[p] = self.fs.read_text(p)
            if now is not t and now != t:
                return False
        return True

    def _good_again(self, path: Path, good_text: str) -> tuple[str, FileFacts, tuple[tuple[Path, str], ...]] | None:
        """The last good text of `path` extracted again with the other files as they are now,
        by a program of its own (the revision's program keeps the current text's module; the
        current parse and memo of `path` stay as they are)."""
        from sst_lsp.model.extract import extract, new_program

        lang = lang_for_path(path)
        if lang is None:
            return None
        program = new_program(self.fs, self.parsed)
        program._resolved = self._resolutions
        try:
            facts = extract(parse(good_text, lang), path, program=program)
        except Exception:  # A bug here must not cost the file's (new) facts.
            log.exception("extracting the last good text of %s again failed", path)
            self._good.pop(path, None)
            program.release()
            return None
        got = self._good[path] = (good_text, facts, tuple(program.deps.items()))
        program.release()
        return got

    def snapshot(self, wait: float | None = None) -> AppSnapshot:
        """An immutable view of every app at the current revision.

        With `wait` (seconds), a caller that would wait longer for another thread's build gets
        the newest snapshot already built instead (requests answer at once, from facts at most
        a few keystrokes old; rust-analyzer's editor stays "partially available" the same way);
        so does one that would build itself when the last build took over `SELF_BUILD_LIMIT`
        (an edit always schedules the driver's analysis, which builds it).
        """
        snap = self._snapshot
        if snap is not None and snap.revision == self.revision:
            return snap
        if wait is not None and self._last_snapshot is not None:
            if self._rebuild_seconds > SELF_BUILD_LIMIT:
                # A build would keep this caller for seconds (a 200,000-route file), and the
                # driver's own analysis of the edit builds it: no wait.
                return self._last_snapshot
            if not self._lock.acquire(timeout=wait):
                return self._last_snapshot
            self._lock.release()
        with self._lock:
            snap = self._snapshot
            rev = self.revision
            if snap is not None and snap.revision == rev:
                return snap
            started = time.perf_counter()
            apps: list[App] = []
            all_facts: dict[Path, FileFacts] = {}
            for ar in self.app_roots():
                try:
                    app, facts = self._app(ar)
                except Exception:
                    log.exception("building the model of %s failed", ar.root)
                    continue
                apps.append(app)
                all_facts.update(facts)
            snap = AppSnapshot(rev, tuple(apps), all_facts)
            with self._inputs:
                if self._last_snapshot is not None:
                    # Decaying: one quick build (an edit whose facts the memo had) does not make
                    # the requests of a file whose builds take seconds build the next one.
                    self._rebuild_seconds = max(time.perf_counter() - started, self._rebuild_seconds / 2)
                self._last_snapshot = snap
                if self.revision == rev:
                    self._snapshot = snap
            return snap

    def latest_snapshot(self) -> AppSnapshot | None:
        """The newest snapshot built (possibly of an older revision), without building one."""
        return self._last_snapshot

    # ------------------------------------------------------------------------------------------
    # App assembly.
    def _app(self, ar: AppRoot) -> tuple[App, dict[Path, FileFacts]]:
        errors: list[ConfigError] = []
        name = region = None
        entry: Path | None = None
        generation: Generation = "v1"
        config_facts: FileFacts | None = None
        if ar.kind == "sst.json":
            cfg = read_sst_json(ar, self.fs)
            name, region, entry = cfg.name, cfg.region, cfg.entry
            errors.extend(cfg.errors)
        else:
            config_facts = self.model_facts(ar.config_path)
            entry = ar.config_path
            if config_facts is None:
                errors.append(ConfigError(ar.config_path, _zero(), f"{ar.config_path.name} cannot be read"))
            elif config_facts.config is None:
                errors.append(
                    ConfigError(
                        ar.config_path,
                        _zero(),
                        f"{ar.config_path.name} has no `export default {{ config, stacks }}` "
                        "(v2) or `export default $config({...})` (v3)",
                    )
                )
            else:
                name, region = config_facts.config.name, config_facts.config.region
                generation = config_facts.config.generation
                errors.extend(config_name_errors(ar.config_path, config_facts.config))
        files, facts = self._follow(entry, ar.root) if entry is not None else ([], {})
        check_names = config_facts is None or config_facts.config is None or config_facts.config.stack_name_check
        if generation != "v3" and check_names:
            errors.extend(_stack_name_errors(files, facts, name))
        # Stack files not reached from the entry (nothing imports them) still count: their stacks
        # for `stack-not-registered`, and their handlers and route keys are checked like any other
        # (one import and one `app.stack` away from a deploy). Their constructs stay out: nothing
        # deploys them, so they are no stateful resources and clash with no construct id.
        stack_defs: list[StackDef] = [s for p in files for s in facts[p].stacks]
        loose: list[Path] = []
        if generation != "v3":
            for p in self._stack_dir_files(ar.root, entry):
                if p in facts:
                    continue
                f = self.model_facts(p)
                if f is not None and f.stacks:
                    facts[p] = f
                    loose.append(p)
                    stack_defs.extend(f.stacks)
        key: tuple[object, ...] = (ar, name, region, tuple(errors), tuple(id(facts[p]) for p in files),
                                   tuple(stack_defs), tuple(id(facts[p]) for p in loose))
        cached = self._apps.get(ar.root)
        if cached is not None and cached[0] == key:
            return cached[1], facts
        if ar.kind == "sst.json" and any(s.form == "class" for s in stack_defs):
            generation = "v0"
        app = _assemble(ar, name, region, entry, generation, files, facts, stack_defs, errors, self.fs, loose)
        if config_facts is not None and config_facts.config is not None and config_facts.config.name_note:
            app = dataclasses.replace(app, name_note=config_facts.config.name_note)
        self._apps[ar.root] = (key, app)
        return app, facts

    def _resolve(self, importer: Path, spec: str) -> Path | None:
        """`resolve_import`, remembered until a file changes on disk."""
        key = (importer, spec)
        got = self._resolutions.get(key, False)
        if got is False:
            got = self._resolutions[key] = resolve_import(self.fs, importer, spec)
        return got  # type: ignore[return-value]

    def _skipped(self, path: Path) -> None:
        """Logs once per file (until it changes) that an imported file was left out."""
        if path in self._skipped_logged or path in self.fs.overlay_paths():
            return
        self._skipped_logged.add(path)
        log.warning("%s is left out of the app: %s", path, unreadable_reason(path))

    def _stack_dir_files(self, root: Path, entry: Path | None) -> list[Path]:
        """JS/TS files of the app's stack folders (`stacks/`, and the entry's own folder when it
        is not the app root, like v0's `lib/`), recursively, tests and build output left out."""
        dirs = [root / "stacks"]
        if entry is not None and entry.parent != root and entry.parent not in dirs:
            dirs.append(entry.parent)
        out: list[Path] = []
        seen: set[str] = set()
        queue = [d for d in dirs if self.fs.is_dir(d)]
        while queue and len(out) < MAX_STACK_DIR_FILES:
            d = queue.pop(0)
            real = os.path.realpath(d)  # A symlinked folder is visited once (loops end).
            if real in seen:
                continue
            seen.add(real)
            for nm, kind in sorted(self.fs.list_dir(d).items()):
                p = d / nm
                if kind == "d":
                    if nm not in SKIP_DIRS and nm not in _TEST_DIRS and not nm.startswith("."):
                        queue.append(p)
                elif lang_for_path(p) in JS_LANGS and not _is_test_file(nm) and not nm.endswith(".d.ts"):
                    out.append(p)
        return out[:MAX_STACK_DIR_FILES]

    def _follow(self, entry: Path, root: Path) -> tuple[list[Path], dict[Path, FileFacts]]:
        """The entry and every file its relative imports reach (breadth first, cycle-safe)."""
        files: list[Path] = []
        facts: dict[Path, FileFacts] = {}
        queue = [entry]
        seen = {entry}
        while queue and len(files) < MAX_APP_FILES:
            p = queue.pop(0)
            f = self.model_facts(p)
            if f is None:
                self._skipped(p)
                continue
            files.append(p)
            facts[p] = f
            for imp in f.imports:
                target = self._resolve(p, imp.specifier)
                if target is not None and target not in seen:
                    seen.add(target)
                    queue.append(target)
        return files, facts


def unreadable_reason(path: Path) -> str:
    """Why a source file of an app yields no facts (for the log line that says so)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "it was deleted (or is a dangling symlink)"
    except OSError as e:
        return f"it cannot be read ({e.strerror or e})"
    if not stat.S_ISREG(st.st_mode):
        return "it is not a regular file"
    if st.st_size > MAX_FILE_BYTES:
        return f"it is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"
    if not os.access(path, os.R_OK):
        return "it cannot be read (permission denied)"
    return "it is not text (binary content)"


def _stack_name_errors(files: list[Path], facts: dict[Path, FileFacts], app_name: str | None) -> list[ConfigError]:
    """`stackName`s SST refuses on every stage (see `stack_name_problem`), where they are written."""
    out: list[ConfigError] = []
    for p in files:
        for r in facts[p].registrations:
            if r.stack_name is None:
                continue
            template = r.stack_name.replace(APP_TOKEN, app_name) if app_name else r.stack_name
            problem = stack_name_problem(template)
            if problem is not None:
                out.append(ConfigError(r.path, r.stack_name_range or r.range, problem))
    return out


def _is_test_file(name: str) -> bool:
    return ".test." in name or ".spec." in name


def _zero() -> TextRange:
    return TextRange(Pos(0, 0), Pos(0, 0))


def _assemble(
    ar: AppRoot,
    name: str | None,
    region: str | None,
    entry: Path | None,
    generation: Generation,
    files: list[Path],
    facts: dict[Path, FileFacts],
    stack_defs: list[StackDef],
    errors: list[ConfigError],
    fs: FileSource,
    loose: list[Path] | None = None,
) -> App:
    # Stack definitions by (file, name) and each file's export table for linking.
    defs_by_file: dict[Path, dict[str, StackDef]] = {}
    for s in stack_defs:
        defs_by_file.setdefault(s.path, {})[s.name] = s

    def find_def(path: Path, name: str, depth: int = 0) -> StackDef | None:
        """The StackDef that `name` (as exported by `path`) refers to, following re-exports."""
        if depth > 8:
            return None
        f = facts.get(path)
        local = defs_by_file.get(path, {})
        if name in ("default", "*") and f is not None and f.default_export:
            # `import X from` and CommonJS `const X = require(...)` both see the default export.
            name = f.default_export
        if f is not None:
            for exported, loc in f.export_aliases:
                if exported == name:
                    name = loc
        if name in local:
            return local[name]
        if f is None:
            return None
        for imp in f.imports:
            for local_name, imported in imp.names:
                if local_name == name or (imp.reexport and local_name == "*"):
                    tgt = resolve_import(fs, path, imp.specifier)
                    if tgt is None:
                        continue
                    if tgt not in facts:
                        continue
                    got = find_def(tgt, imported if local_name == name else name, depth + 1)
                    if got is not None:
                        return got
        return None

    stacks: list[Stack] = []
    regs: list[StackRegistration] = [r for p in files for r in facts[p].registrations]
    for r in regs:
        target = r.wrapped or r.target
        d: StackDef | None = None
        if target:
            if "." in target:
                ns, _, member = target.partition(".")
                f = facts.get(r.path)
                for imp in f.imports if f else ():
                    if (ns, "*") in imp.names:
                        tgt = resolve_import(fs, r.path, imp.specifier)
                        if tgt is not None:
                            d = find_def(tgt, member)
            else:
                d = find_def(r.path, target)
        sid = r.explicit_id or (d.name if d is not None else (target.rsplit(".", 1)[-1] if target else None))
        if not sid:
            continue
        stack_name = r.stack_name
        if stack_name is not None and name is not None:
            stack_name = stack_name.replace(APP_TOKEN, name)  # `${app.name}` is known here.
        stacks.append(Stack(id=sid, definition=d, registration=r, stack_name=stack_name,
                            stack_name_expr=r.stack_name_expr))

    # Constructs, handlers and routes carry the stack *id* in an App.
    def_to_id: dict[str, str] = {}
    for st in stacks:
        if st.definition is not None:
            def_to_id.setdefault(st.definition.name, st.id)
    stack_defaults: dict[str, list[Value]] = {}
    for sd in stack_defs:
        stack_defaults.setdefault(def_to_id.get(sd.name, sd.name), []).extend(sd.default_function_props)
    app_defaults: list[Value] = [v for p in files for v in facts[p].app_default_function_props]

    # Function bodies that calls evaluated with their arguments: what their own file extracted
    # there with the parameters unbound gives way to what the calls produced.
    superseded: dict[Path, list[TextRange]] = {}
    for p in files:
        for q, fn_range in facts[p].interpreted:
            if q != p:
                superseded.setdefault(q, []).append(fn_range)
    # A literal of a helper that several calls reach is one reference (the first call's).
    seen_refs: set[tuple[object, ...]] = set()

    constructs: list[Construct] = []
    handlers: list[HandlerRef] = []
    routes: list[RouteKey] = []
    unresolved = 0
    for p in files:
        f = facts[p]
        unresolved += f.unresolved
        if p in superseded:
            f = _without(f, superseded[p])
            unresolved -= sum(n for r, n in f.unresolved_at if any(sp.contains_range(r) for sp in superseded[p]))
        # Identity first: the extraction hands its file's path object to what it makes (a
        # Path compared by value costs a Python call, thousands per keystroke).
        if f.expanded or any(h.path is not p and h.path != p for h in f.handlers) \
                or any(rk.path is not p and rk.path != p for rk in f.routes):
            f = _first_refs(f, seen_refs)
        if not app_defaults and _as_is(f, def_to_id, stack_defaults):
            # The common case, and a large stack file's thousands of routes are then copied, not
            # visited, on every keystroke.
            constructs.extend(f.constructs)
            routes.extend(f.routes)
            handlers.extend(f.handlers)
            continue
        for c in f.constructs:
            sid = def_to_id.get(c.stack, c.stack) if c.stack else None
            constructs.append(c if sid == c.stack else dataclasses.replace(c, stack=sid))
        for rk in f.routes:
            sid = def_to_id.get(rk.stack, rk.stack) if rk.stack else None
            routes.append(rk if sid == rk.stack else dataclasses.replace(rk, stack=sid))
        for h in f.handlers:
            sid = def_to_id.get(h.stack, h.stack) if h.stack else None
            handlers.append(_with_defaults(h, sid, stack_defaults.get(sid or "", []), app_defaults))
    for p in loose or ():
        # Stack files nothing imports: handlers and route keys only (see `WorkspaceIndex._app`).
        f = facts[p]
        unresolved += f.unresolved
        routes.extend(f.routes)
        for h in f.handlers:
            handlers.append(_with_defaults(h, h.stack, stack_defaults.get(h.stack or "", []), app_defaults))
    return App(
        root=ar.root,
        config_path=ar.config_path,
        generation=generation,
        name=name,
        region=region,
        entry=entry,
        files=tuple(files),
        stacks=tuple(stacks) if generation != "v3" else (),
        constructs=tuple(constructs),
        handlers=tuple(handlers),
        routes=tuple(routes),
        config_errors=tuple(errors),
        unresolved=unresolved,
        stack_defs=tuple(stack_defs),
    )


def _without(f: FileFacts, spans: list[TextRange]) -> FileFacts:
    """`f` without the constructs, handlers and routes of its own file inside `spans`."""
    path = f.path

    def keep(p: Path, r: TextRange) -> bool:
        return p != path or not any(s.contains_range(r) for s in spans)

    return dataclasses.replace(
        f,
        constructs=tuple(c for c in f.constructs if keep(c.path, c.range)),
        handlers=tuple(h for h in f.handlers if keep(h.path, h.range)),
        routes=tuple(rk for rk in f.routes if keep(rk.path, rk.range)),
    )


def _first_refs(f: FileFacts, seen: set[tuple[object, ...]]) -> FileFacts:
    """`f` without the handlers and routes that an earlier file (or an earlier call in `f`)
    already reached at the same place with the same meaning: those in other files, and all of
    them when `f` evaluated calls, loops or typed parameters (its own helper's body, with the
    parameters unbound, may reach what a call reached with them bound)."""
    everything = f.expanded
    names: dict[int, str] = {}

    def where(p: Path, r: TextRange) -> tuple[str, int, int, int, int]:
        name = names.get(id(p))
        if name is None:
            name = names[id(p)] = str(p)
        return (name, r.start.line, r.start.col, r.end.line, r.end.col)

    handlers: list[HandlerRef] = []
    for h in f.handlers:
        if everything or h.path != f.path:
            key: tuple[object, ...] = (where(h.path, h.range), h.handler, h.runtime, h.src_path)
            if key in seen:
                continue
            seen.add(key)
        handlers.append(h)
    routes: list[RouteKey] = []
    for rk in f.routes:
        if everything or rk.path != f.path:
            key = (where(rk.path, rk.range), rk.key, rk.construct_kind, None)
            if key in seen:
                continue
            seen.add(key)
        routes.append(rk)
    if len(handlers) == len(f.handlers) and len(routes) == len(f.routes):
        return f
    return dataclasses.replace(f, handlers=tuple(handlers), routes=tuple(routes))


def _as_is(f: FileFacts, def_to_id: dict[str, str], stack_defaults: dict[str, list[Value]]) -> bool:
    """True when `_assemble` would keep every construct, route and handler of `f` as it is
    (given no app defaults): each stack they sit in keeps its name as its id and has no default
    function props."""
    get = attrgetter("stack")
    used: set[str | None] = set(map(get, f.constructs))
    used.update(map(get, f.routes))
    used.update(map(get, f.handlers))
    for name in used:
        if name is None:
            if stack_defaults.get(""):
                return False
        elif not name or def_to_id.get(name, name) != name or stack_defaults.get(name):
            return False
    return True


def _with_defaults(h: HandlerRef, stack_id: str | None, stack_defaults: list[Value], app_defaults: list[Value]) -> HandlerRef:
    """Applies SST's default order: function props > construct defaults > stack > app."""
    runtime, src_path = h.runtime, h.src_path
    runtime_range = h.runtime_range
    if not h.has_local_runtime or not h.has_local_src_path:
        for layer in (stack_defaults, app_defaults):
            for v in reversed(layer):
                if v.kind != "object":
                    continue
                if not h.has_local_runtime and runtime is None:
                    rt = v.get("runtime")
                    if rt is not None and rt.kind == "string":
                        runtime, runtime_range = rt.str_value, rt.range
                if not h.has_local_src_path and src_path is None:
                    sp = v.get("srcPath")
                    if sp is not None and sp.kind == "string":
                        src_path = sp.str_value
    if stack_id == h.stack and runtime == h.runtime and src_path == h.src_path:
        return h
    # `dataclasses.replace`, by hand: it walks the fields in Python, once per handler of the app.
    fields = list(_REF_FIELDS(h))
    fields[_REF_STACK], fields[_REF_RUNTIME], fields[_REF_SRC_PATH], fields[_REF_RUNTIME_RANGE] = (
        stack_id, runtime, src_path, runtime_range)
    return HandlerRef(*fields)


_REF_NAMES = [f.name for f in dataclasses.fields(HandlerRef) if f.init]
assert len(_REF_NAMES) == len(dataclasses.fields(HandlerRef))  # All of them: `HandlerRef(*fields)` rebuilds one.
#: A HandlerRef's fields in order, read in C.
_REF_FIELDS = attrgetter(*_REF_NAMES)
_REF_STACK, _REF_RUNTIME, _REF_SRC_PATH, _REF_RUNTIME_RANGE = (
    _REF_NAMES.index(n) for n in ("stack", "runtime", "src_path", "runtime_range"))
