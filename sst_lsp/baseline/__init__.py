"""Baselines (layer 3: baseline): the "before" state that stateful changes are measured against.

Setting `sst.baseline`, CLI `--baseline`:

* `git:REF` (default `git:HEAD`): the app's files at a commit, through the same model as the
  current code (see `baseline/git.py`);
* `assembly:PATH`: a cloud assembly (manifest.json + templates [+ tree.json]) such as SST v1's
  `.build/cdk.out` or v2's `.sst/dist` (see `baseline/templates.py`); a relative PATH is looked
  up in each app's root first, then in the current directory;
* `stage:NAME`: the templates of a deployed stage. This layer never talks to AWS: the caller
  (server or CLI) injects a `StageReader` that returns the stage's stacks (the cloud layer's
  `DeployedStack` objects fit as they are).

`load_baselines` returns the baseline per app root plus notes, the messages to show once
("No baseline: ... is not in a git repository"). States are cached in a `BaselineCache`: a git
state per commit sha, an assembly per manifest modification time, a stage until invalidated.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sst_lsp.baseline.git import GitError, GitTree, git_app_state, resolve_commit, toplevel, worktree_base
from sst_lsp.baseline.state import AppState, CfnView, Policy, StackState, TrackedConstruct
from sst_lsp.baseline.templates import (
    AssemblyStack,
    BaselineError,
    TemplateStack,
    find_manifest,
    read_assembly,
    stacks_for_app,
    state_from_templates,
)
from sst_lsp.model.files import FileSource
from sst_lsp.model.types import App, AppSnapshot

log = logging.getLogger(__name__)

BaselineKind = Literal["git", "assembly", "stage"]

#: Reads a deployed stage's stacks for an app: (app, stage name) -> stacks. Raises
#: `BaselineError` (or any exception, whose message is shown) when the stage cannot be read.
StageReader = Callable[[App, str], Iterable[TemplateStack]]

DEFAULT_SPEC = "git:HEAD"


@dataclass
class Baseline:
    """One baseline source and the before-state of the apps it covers."""

    description: str
    """What hover and the CLI show, e.g. "git:HEAD (a1b2c3d)"."""
    kind: BaselineKind
    apps: dict[Path, AppState] = field(default_factory=dict)

    def app(self, root: Path) -> AppState | None:
        return self.apps.get(root)


class BaselineCache:
    """Keeps baseline states between analyses (thread-safe). A commit never changes, so git
    states live until evicted; assemblies are re-read when their manifest changes; deployed
    stages are kept until `invalidate()` (call it after a deploy or on a refresh command)."""

    MAX_COMMITS = 8

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tops: dict[Path, Path | None] = {}
        self._trees: OrderedDict[tuple[Path, str], GitTree] = OrderedDict()
        self._git_states: dict[tuple[Path, str, Path], AppState] = {}
        self._assemblies: dict[Path, tuple[tuple[int, int], list[AssemblyStack]]] = {}
        self._stages: dict[tuple[Path, str], AppState] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._tops.clear()
            self._assemblies.clear()
            self._stages.clear()

    def toplevel(self, directory: Path) -> Path | None:
        with self._lock:
            if directory in self._tops:
                return self._tops[directory]
        top = toplevel(directory)
        with self._lock:
            self._tops[directory] = top
        return top

    def git_state(self, top: Path, sha: str, app_root: Path) -> AppState:
        key = (top, sha, app_root)
        with self._lock:
            got = self._git_states.get(key)
            if got is not None:
                return got
            tree = self._trees.get((top, sha))
            if tree is not None:
                self._trees.move_to_end((top, sha))
        if tree is None:
            tree = GitTree(top, sha)
            with self._lock:
                self._trees[(top, sha)] = tree
                while len(self._trees) > self.MAX_COMMITS:
                    old, _ = self._trees.popitem(last=False)
                    for k in [k for k in self._git_states if (k[0], k[1]) == old]:
                        del self._git_states[k]
        base = worktree_base(app_root, top) or top
        state = git_app_state(tree, base, app_root)
        with self._lock:
            self._git_states[key] = state
        return state

    def assembly(self, path: Path) -> list[AssemblyStack]:
        manifest = find_manifest(path)
        try:
            st = manifest.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError as e:
            raise BaselineError(f"{manifest} cannot be read: {e}") from e
        with self._lock:
            got = self._assemblies.get(manifest)
            if got is not None and got[0] == stamp:
                return got[1]
        stacks = read_assembly(manifest)
        with self._lock:
            self._assemblies[manifest] = (stamp, stacks)
        return stacks

    def stage(self, app: App, name: str, reader: StageReader) -> AppState:
        key = (app.root, name)
        with self._lock:
            got = self._stages.get(key)
            if got is not None:
                return got
        stacks = list(reader(app, name))
        state = state_from_templates(app.root, app.name, stacks)
        if not stacks:
            state = AppState(root=app.root, name=app.name, stacks={}, constructs=(), stage=name, exists=False)
        with self._lock:
            self._stages[key] = state
        return state


def parse_spec(spec: str | None) -> tuple[BaselineKind, str] | None | str:
    """("git", "HEAD") / ("assembly", path) / ("stage", name); None for "off"; a message when bad."""
    s = (spec or "").strip()
    if s in ("", "off", "none"):
        return None
    if s == "git":
        return ("git", "HEAD")
    kind, sep, arg = s.partition(":")
    if not sep or kind not in ("git", "assembly", "stage"):
        return f'Unknown baseline "{s}": use git:REF, assembly:PATH or stage:NAME'
    arg = arg.strip()
    if not arg:
        if kind == "git":
            return ("git", "HEAD")
        return f'Baseline "{s}" needs a {"path" if kind == "assembly" else "stage name"} after the colon'
    return (kind, arg)  # type: ignore[return-value]


def load_baselines(
    spec: str | None,
    snapshot: AppSnapshot,
    fs: FileSource | None = None,
    *,
    cache: BaselineCache | None = None,
    stage_reader: StageReader | None = None,
    cwd: Path | None = None,
) -> tuple[Baseline | None, dict[Path, Baseline | None], list[str]]:
    """The baselines of a snapshot's apps for a spec such as "git:HEAD".

    Returns (the baseline of the first app that has one — for a single description —, the
    baseline per app root, None where no baseline is available, and the notes to show once).
    Never raises: every problem becomes a note.
    """
    del fs  # Baselines read commits and assemblies, never the open buffers.
    # No module-level cache: a caller that loads baselines more than once (the analysis host)
    # passes its own; without one, this load reads everything afresh.
    cache = cache or BaselineCache()
    notes: list[str] = []
    per_app: dict[Path, Baseline | None] = {}
    parsed = parse_spec(spec if spec is not None else DEFAULT_SPEC)
    if parsed is None:
        return None, {}, []
    if isinstance(parsed, str):
        return None, {a.root: None for a in snapshot.apps}, [parsed]
    kind, arg = parsed
    loader = {"git": _load_git, "assembly": _load_assembly, "stage": _load_stage}[kind]
    sources: dict[object, Any] = {}
    for app in snapshot.apps:
        if app.generation == "v3":
            per_app[app.root] = None  # v3 deploys through Pulumi: no stacks to compare.
            continue
        try:
            per_app[app.root] = loader(arg, app, snapshot, cache, sources, notes, stage_reader, cwd)
        except Exception as e:  # A bug or an odd repository must not cost the analysis.
            log.exception("loading the %s baseline of %s failed", spec, app.root)
            _note(notes, f"No baseline for {app.root}: {e.__class__.__name__}: {e}")
            per_app[app.root] = None
    first = next((b for b in per_app.values() if b is not None), None)
    return first, per_app, notes


def _note(notes: list[str], msg: str) -> None:
    if msg not in notes:
        notes.append(msg)


def _load_git(ref: str, app: App, snapshot: AppSnapshot, cache: BaselineCache, sources: dict[object, Any],
              notes: list[str], stage_reader: StageReader | None, cwd: Path | None) -> Baseline | None:
    top = cache.toplevel(app.root)
    if top is None:
        _note(notes, f"No baseline: {app.root} is not in a git repository")
        return None
    # One `rev-parse` per repository and load, however many apps it holds.
    sha_or_error = sources.get(("sha", top))
    if sha_or_error is None:
        try:
            sha_or_error = resolve_commit(top, ref)
        except GitError as e:
            sha_or_error = e
        sources[("sha", top)] = sha_or_error
    if isinstance(sha_or_error, GitError):
        _note(notes, f"No baseline: {sha_or_error}")
        return None
    sha = str(sha_or_error)
    state = cache.git_state(top, sha, app.root)
    b = sources.get((top, sha))
    if b is None:
        b = sources[(top, sha)] = Baseline(f"git:{ref} ({sha[:7]})", "git")
    b.apps[app.root] = state
    if not state.exists:
        _note(notes, f"{app.root} has no SST app at git:{ref}: nothing to compare")
    return b


def _load_assembly(arg: str, app: App, snapshot: AppSnapshot, cache: BaselineCache,
                   sources: dict[object, Any], notes: list[str], stage_reader: StageReader | None,
                   cwd: Path | None) -> Baseline | None:
    p = Path(os.path.expanduser(arg))
    candidates = [p] if p.is_absolute() else [app.root / p, (cwd or Path.cwd()) / p]
    path = next((c for c in candidates if c.exists()), None)
    if path is None:
        _note(notes, f"No baseline: the assembly {arg} does not exist (looked in {app.root} and the "
                     "current directory)")
        return None
    try:
        stacks = cache.assembly(path)
    except BaselineError as e:
        _note(notes, f"No baseline: {e}")
        return None
    mine = stacks_for_app(stacks, app.name, only_app=len(snapshot.apps) == 1)
    if not mine:
        _note(notes, f"No baseline for app {app.name or app.root}: the assembly {arg} holds none of its stacks")
        return None
    state = state_from_templates(app.root, app.name, mine)
    key = ("assembly", find_manifest(path))
    b = sources.get(key)
    if b is None:
        where = f", stage {state.stage}" if state.stage else ""
        b = sources[key] = Baseline(f"assembly:{arg}{where}", "assembly")
    b.apps[app.root] = state
    return b


def _load_stage(name: str, app: App, snapshot: AppSnapshot, cache: BaselineCache,
                sources: dict[object, Any], notes: list[str], stage_reader: StageReader | None,
                cwd: Path | None) -> Baseline | None:
    if stage_reader is None:
        _note(notes, f"No baseline: stage:{name} needs the deployed stage, which this run cannot read")
        return None
    try:
        state = cache.stage(app, name, stage_reader)
    except Exception as e:  # The reader talks to AWS: any failure is a note, not a crash.
        log.debug("reading stage %s failed", name, exc_info=True)
        _note(notes, f"No baseline: stage {name} of {app.name or app.root} cannot be read: {e}")
        return None
    if not state.exists:
        _note(notes, f"Stage {name} of {app.name or app.root} has no deployed stacks: nothing to compare")
    b = sources.get(("stage", name))
    if b is None:
        b = sources[("stage", name)] = Baseline(f"stage:{name}", "stage")
    b.apps[app.root] = state
    return b


__all__ = [
    "DEFAULT_SPEC",
    "AppState",
    "Baseline",
    "BaselineCache",
    "BaselineError",
    "CfnView",
    "Policy",
    "StackState",
    "StageReader",
    "TemplateStack",
    "TrackedConstruct",
    "load_baselines",
    "parse_spec",
]
