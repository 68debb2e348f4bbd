"""The `git:REF` baseline (layer 3: baseline): the app as it is at a commit, through the model.

The files at REF are read with git's plumbing (`rev-parse`, `ls-tree`, `cat-file`; argv lists,
never a shell, `GIT_OPTIONAL_LOCKS=0` so a running editor never takes the repository's index
lock) into a `GitTreeSource`, a `FileSource` that answers from the commit instead of the disk.
The very same `WorkspaceIndex` then builds the model, so the baseline and the current code are
understood alike. Paths are spelled as the working tree's paths, so a construct that did not
move has the same path on both sides.

A commit never changes: the state is computed once per (repository, commit, app root) and kept.
Each analysis costs one `git rev-parse` per repository to notice a new commit.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from sst_lsp.baseline.kinds import app_state
from sst_lsp.baseline.state import AppState
from sst_lsp.model.discover import CONFIG_NAMES, AppRoot
from sst_lsp.model.files import MAX_FILE_BYTES, SKIP_DIRS, FileSource
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.modules import SOURCE_EXTENSIONS

log = logging.getLogger(__name__)

#: Seconds a git command may take (a huge repository's ls-tree included).
GIT_TIMEOUT = 60
#: What one batch read of an app's sources may take at most.
PREFETCH_FILES = 2000
PREFETCH_BYTES = 16 * 1024 * 1024
_SOURCE_SUFFIXES = (*SOURCE_EXTENSIONS, "sst.json")


class GitError(Exception):
    """A git command failed; the message is for the user."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_OPTIONAL_LOCKS"] = "0"
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    return env


def run_git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Runs `git args...` in `cwd` and returns its stdout; raises GitError with git's message."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=_env(),
            input=stdin if stdin is not None else b"",
            capture_output=True,
            timeout=GIT_TIMEOUT,
            shell=False,
            check=False,
        )
    except FileNotFoundError as e:
        raise GitError("git is not installed (or not on PATH)") from e
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GitError(f"git {args[0]} failed: {e}") from e
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise GitError(msg[-1] if msg else f"git {args[0]} exited with {proc.returncode}")
    return proc.stdout


def toplevel(directory: Path) -> Path | None:
    """The working tree's top directory holding `directory`, or None outside any repository."""
    try:
        out = run_git(directory, "rev-parse", "--show-toplevel").decode("utf-8", errors="replace").strip()
    except GitError:
        return None
    return Path(out) if out else None


def resolve_commit(top: Path, ref: str) -> str:
    """The full sha of the commit `ref` names; GitError (with a clear message) otherwise."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n\r"):
        raise GitError(f'"{ref}" is not a valid git revision')
    try:
        out = run_git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError as e:
        raise GitError(f'"{ref}" does not name a commit in {top}') from e
    sha = out.decode("ascii", errors="replace").strip()
    if not sha:
        raise GitError(f'"{ref}" does not name a commit in {top}')
    return sha


@dataclass(frozen=True, slots=True)
class _Blob:
    oid: str
    size: int


class GitTree:
    """The files of one commit: a listing (from one `ls-tree`) and blobs read on demand."""

    def __init__(self, top: Path, sha: str) -> None:
        self.top = top
        self.sha = sha
        self.blobs: dict[str, _Blob] = {}
        self.dirs: dict[str, dict[str, str]] = {"": {}}
        self._texts: dict[str, str | None] = {}
        self._lock = threading.Lock()
        raw = run_git(top, "ls-tree", "-r", "-z", "-l", "--full-tree", sha)
        for rec in raw.split(b"\0"):
            if not rec:
                continue
            meta, _, name_b = rec.partition(b"\t")
            parts = meta.split()
            if len(parts) < 4 or parts[1] != b"blob":
                continue  # Submodules (commits) and odd records carry no text.
            mode = parts[0]
            if mode == b"120000":
                continue  # Symlinks: their target is not in the tree listing.
            name = name_b.decode("utf-8", errors="surrogateescape")
            try:
                size = int(parts[3])
            except ValueError:
                size = 0
            self.blobs[name] = _Blob(parts[2].decode("ascii"), size)
            # Register every parent directory.
            segs = name.split("/")
            for i in range(len(segs)):
                parent = "/".join(segs[:i])
                entry_kind = "f" if i == len(segs) - 1 else "d"
                self.dirs.setdefault(parent, {})[segs[i]] = entry_kind
                if entry_kind == "d":
                    self.dirs.setdefault("/".join(segs[: i + 1]), {})

    def prefetch(self, prefix: str) -> None:
        """Reads every JS/TS source (and sst.json) below `prefix` with one `git cat-file --batch`,
        instead of one process per file: an app's stack files are all needed anyway."""
        want: list[tuple[str, _Blob]] = []
        total = 0
        head = prefix + "/" if prefix else ""
        with self._lock:
            # Shallow files first: configs and stack folders before deep frontend trees.
            for rel, blob in sorted(self.blobs.items(), key=lambda kv: kv[0].count("/")):
                if not rel.startswith(head) or rel in self._texts:
                    continue
                if not rel.endswith(_SOURCE_SUFFIXES) or any(p in SKIP_DIRS for p in rel.split("/")[:-1]):
                    continue
                if blob.size > MAX_FILE_BYTES or total + blob.size > PREFETCH_BYTES or len(want) >= PREFETCH_FILES:
                    continue
                total += blob.size
                want.append((rel, blob))
        if not want:
            return
        try:
            out = run_git(self.top, "cat-file", "--batch", stdin=b"".join(b.oid.encode() + b"\n" for _, b in want))
        except GitError:
            log.debug("batch read below %s at %s failed", prefix, self.sha, exc_info=True)
            return
        texts: dict[str, str | None] = {}
        pos = 0
        for rel, _ in want:
            nl = out.find(b"\n", pos)
            if nl < 0:
                break
            header = out[pos:nl].split()
            pos = nl + 1
            if len(header) != 3:
                continue  # "<oid> missing"
            size = int(header[2])
            data = out[pos:pos + size]
            pos += size + 1
            texts[rel] = None if b"\x00" in data[:8192] else data.decode("utf-8", errors="replace")
        with self._lock:
            self._texts.update(texts)

    def text(self, rel: str) -> str | None:
        with self._lock:
            if rel in self._texts:
                return self._texts[rel]
        blob = self.blobs.get(rel)
        text: str | None = None
        if blob is not None and blob.size <= MAX_FILE_BYTES:
            try:
                data = run_git(self.top, "cat-file", "blob", blob.oid)
            except GitError:
                log.debug("reading %s at %s failed", rel, self.sha, exc_info=True)
                data = None
            if data is not None and b"\x00" not in data[:8192]:
                text = data.decode("utf-8", errors="replace")
        with self._lock:
            self._texts[rel] = text
        return text


class GitTreeSource(FileSource):
    """A `FileSource` that reads the files of a commit. Paths are working-tree paths: `base` is
    the repository's top directory spelled as the caller spells its paths."""

    def __init__(self, tree: GitTree, base: Path) -> None:
        super().__init__()
        self.tree = tree
        self.base = base

    def _rel(self, path: Path) -> str | None:
        try:
            rel = path.relative_to(self.base)
        except ValueError:
            return None
        s = rel.as_posix()
        return "" if s == "." else s

    def read_text(self, path: Path) -> str | None:
        rel = self._rel(path)
        return self.tree.text(rel) if rel else None

    def _names(self, directory: Path) -> dict[str, str] | None:
        rel = self._rel(directory)
        if rel is None:
            return None
        got = self.tree.dirs.get(rel)
        return dict(got) if got is not None else None


class _FixedRootsIndex(WorkspaceIndex):
    """A `WorkspaceIndex` over given app roots (discovery walks the disk; a commit has none)."""

    def __init__(self, fs: FileSource, roots: list[AppRoot]) -> None:
        super().__init__((), fs=fs)
        self._fixed = roots

    def app_roots(self) -> list[AppRoot]:
        return list(self._fixed)


def _app_root_in(fs: FileSource, root: Path) -> AppRoot | None:
    """The app root at `root` in the baseline's files (configs in discovery's order)."""
    for n in CONFIG_NAMES:
        if fs.is_file(root / n):
            return AppRoot(root, root / n, "sst.config")
    if fs.is_file(root / "sst.json"):
        return AppRoot(root, root / "sst.json", "sst.json")
    return None


def worktree_base(app_root: Path, top: Path) -> Path | None:
    """The repository top spelled like `app_root` (which may go through a symlink git resolved)."""
    try:
        rel = Path(os.path.realpath(app_root)).relative_to(os.path.realpath(top))
    except ValueError:
        return None
    base = app_root
    for _ in rel.parts:
        base = base.parent
    return base


def git_app_state(tree: GitTree, base: Path, app_root: Path) -> AppState:
    """The state of the app at `app_root` in the commit `tree` holds."""
    fs = GitTreeSource(tree, base)
    rel_root = fs._rel(app_root)
    if rel_root is not None:
        tree.prefetch(rel_root)
    ar = _app_root_in(fs, app_root)
    if ar is None:
        return AppState(root=app_root, name=None, stacks={}, constructs=(), exists=False)
    index = _FixedRootsIndex(fs, [ar])
    snap = index.snapshot()
    app = next((a for a in snap.apps if a.root == app_root), None)
    if app is None:
        return AppState(root=app_root, name=None, stacks={}, constructs=(), exists=False)
    return app_state(app, parsed=index.parsed)
