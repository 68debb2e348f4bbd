"""The on-disk cache of `sst-lsp check` (beside check.py: it writes files, which the pure layers
never do; the model reaches it only through the `FactStore` / `ResolutionStore` protocols).

Where: `<app>/.sst-lsp/cache/check-<fingerprint>.pickle`, one file per app, next to the
`.sst-lsp/outputs/` and `.sst-lsp/cdk.out/` sst-lsp already writes there (and which discovery
skips). Per app rather than one user cache folder: CI caches it with the checkout, deleting the
app deletes its cache, `sst-lsp cache clean` knows what to remove, and nothing grows without bound
in the home folder for projects that are long gone. The folder holds a `.gitignore` of `*`.

What: per app, entries keyed by content digest (BLAKE2b of the file's text):

- the `FileFacts` of each stack / config file (`facts`),
- the `ExportTable` of each handler file (`exports`),
- each handler resolution, with a fingerprint of every directory listing and file it read
  (`resolutions`); a listing or a file that changed invalidates exactly the resolutions that
  read it,
- a stat signature per file (mtime, ctime, size, inode -> digest), so that a warm run stats files
  instead of reading them. A signature is recorded only for a file last changed more than
  `STAT_MARGIN_NS` before it was read: a later edit then always moves the timestamps, even on
  file systems with coarse timestamps (git's "racily clean" rule).

Key: the file name holds a fingerprint of the tool (its version, `FORMAT`, the Python version and
the size and modification time of every module of the `sst_lsp` package), so any code change or
upgrade starts a new cache; files of other fingerprints are deleted when a new one is written.

Format and safety: `MAGIC`, a BLAKE2b digest of the payload, then a pickle of plain dicts and
tuples of our own frozen dataclasses. Pickle because it is the fastest way (C code) to rebuild
those objects with their `Path`s and `TextRange`s (a JSON/marshal form of plain tuples would have
to be rebuilt object by object in Python, several times slower for the large stack files of a
monorepo). The unpickler resolves only an allow-list of classes (our model's dataclasses and
pathlib's paths: no callables, nothing imported), and a payload whose digest does not match is
never unpickled: a corrupt, truncated or foreign entry is ignored (and rewritten), never executed,
never a crash. Writes go to a temporary file in the same folder and are renamed over the entry
(atomic on POSIX and Windows), so concurrent runs each see a complete file; the last writer wins.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import pickle
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sst_lsp import __version__
from sst_lsp.model.files import FileSource

try:  # BLAKE2 without loading OpenSSL's hashlib backend (a few ms of start-up).
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

log = logging.getLogger(__name__)

#: Bumped when the layout of the payload changes.
FORMAT = 1
#: The cache folder, relative to an app root.
CACHE_DIR = Path(".sst-lsp") / "cache"
MAGIC = b"SSTLSPC\x01"
_DIGEST = 32
#: A stat signature is trusted only for files unchanged this long before they were read.
STAT_MARGIN_NS = 2_000_000_000

#: Modules whose classes an entry may hold (our own frozen dataclasses).
_ALLOWED_MODULES = frozenset({
    "sst_lsp.model.types", "sst_lsp.syntax.text", "sst_lsp.model.exports", "sst_lsp.model.resolve",
})
_ALLOWED_PATHS = frozenset({"PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath"})

_StatSig = tuple[int, int, int, int]
_Digest = bytes


@functools.cache
def tool_fingerprint() -> str:
    """A short digest of everything that shapes an entry: sst-lsp's version, `FORMAT`, the Python
    version, and the name, size and modification time of each module of the package (cheap: one
    stat per module, no reads)."""
    h = blake2b(digest_size=8)
    h.update(f"{__version__}|{FORMAT}|{sys.version_info[:2]}|{sys.implementation.name}".encode())
    pkg = Path(__file__).resolve().parent
    stack = [str(pkg)]
    rows: list[str] = []
    while stack:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=False):
                        if e.name != "__pycache__":
                            stack.append(e.path)
                    elif e.name.endswith((".py", ".scm", ".json")):
                        st = e.stat()
                        rows.append(f"{os.path.relpath(e.path, pkg)}|{st.st_size}|{st.st_mtime_ns}")
        except OSError:
            continue
    for r in sorted(rows):
        h.update(r.encode())
    return h.hexdigest()


def content_digest(text: str) -> _Digest:
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _stat_sig(st: os.stat_result) -> _StatSig:
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


class _Unpickler(pickle.Unpickler):
    """Resolves only our model's dataclasses and pathlib's path classes."""

    def find_class(self, module: str, name: str) -> Any:
        if module in _ALLOWED_MODULES:
            mod = sys.modules.get(module)
            if mod is None:
                import importlib

                mod = importlib.import_module(module)
            obj = getattr(mod, name, None)
            if isinstance(obj, type) and hasattr(obj, "__dataclass_fields__") and obj.__module__ == module:
                return obj
        elif module == "pathlib" and name in _ALLOWED_PATHS:
            import pathlib

            return getattr(pathlib, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")


def decode(data: bytes) -> dict[str, Any] | None:
    """The payload of an entry file, or None when it is not one of ours, corrupt or unreadable."""
    head = len(MAGIC) + _DIGEST
    if len(data) < head or not data.startswith(MAGIC):
        return None
    payload = memoryview(data)[head:]
    if blake2b(payload, digest_size=_DIGEST).digest() != data[len(MAGIC):head]:
        return None
    try:
        got = _Unpickler(io.BytesIO(payload)).load()
    except Exception:  # An entry of a sister version that slipped through: ignore it.
        return None
    if not isinstance(got, dict) or got.get("format") != FORMAT:
        return None
    return got


def encode(payload: dict[str, Any]) -> bytes:
    body = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return MAGIC + blake2b(body, digest_size=_DIGEST).digest() + body


class _Section:
    """The entries of one app, as loaded, plus what this run used and added."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / CACHE_DIR
        self.file = self.dir / f"check-{tool_fingerprint()}.pickle"
        self.stats: dict[str, tuple[_StatSig, _Digest]] = {}
        self.facts: dict[str, tuple[_Digest, Any]] = {}
        self.exports: dict[str, tuple[_Digest, Any]] = {}
        self.resolutions: dict[Any, tuple[Any, tuple[tuple[Path, bytes], ...]]] = {}
        self.used: dict[str, set[Any]] = {"stats": set(), "facts": set(), "exports": set(), "resolutions": set()}
        self.dirty = False
        self._load()

    def _load(self) -> None:
        try:
            data = self.file.read_bytes()
        except OSError:
            return
        got = decode(data)
        if got is None:
            log.debug("ignoring the unreadable cache %s", self.file)
            self.dirty = True  # Rewritten at the end of the run.
            return
        try:
            self.stats = dict(got["stats"])
            self.facts = dict(got["facts"])
            self.exports = dict(got["exports"])
            self.resolutions = dict(got["resolutions"])
        except (KeyError, TypeError, ValueError):
            self.stats, self.facts, self.exports, self.resolutions = {}, {}, {}, {}
            self.dirty = True

    def save(self) -> None:
        """Writes what this run used (stale entries drop out), atomically."""
        if not self.dirty:
            for kind, used in self.used.items():
                if len(used) != len(getattr(self, kind)):
                    self.dirty = True
                    break
        if not self.dirty:
            return
        payload = {"format": FORMAT}
        for kind, used in self.used.items():
            table = getattr(self, kind)
            payload[kind] = {k: table[k] for k in used if k in table}  # type: ignore[assignment]
        try:
            data = encode(payload)
            self.dir.mkdir(parents=True, exist_ok=True)
            ignore = self.dir / ".gitignore"
            if not ignore.exists():
                _atomic_write(ignore, b"# Written by sst-lsp: the check cache (`sst-lsp cache clean`).\n*\n")
            _atomic_write(self.file, data)
            for old in self.dir.glob("check-*.pickle"):
                if old != self.file:
                    old.unlink(missing_ok=True)
        except Exception as e:
            # A read-only checkout, a full disk, a value that cannot be pickled: the check
            # itself is done, only the next one will not be faster.
            log.debug("cannot write the cache %s: %s", self.file, e)


def _atomic_write(path: Path, data: bytes) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class CheckCache:
    """The cache of one check run over some apps: a `FactStore` for the index and a
    `ResolutionStore` for the resolver. Call `save()` at the end of the run."""

    def __init__(self, fs: FileSource, app_roots: Iterable[Path]) -> None:
        self.fs = fs
        self._sections: dict[Path, _Section | None] = {Path(r): None for r in app_roots}
        self._section_of_dir: dict[Path, _Section | None] = {}
        self._digests: dict[Path, _Digest | None] = {}
        self._fps: dict[Path, bytes] = {}
        self.hits = 0
        self.misses = 0

    # Sections.
    def _section_at(self, root: Path) -> _Section:
        s = self._sections.get(root)
        if s is None:
            s = self._sections[root] = _Section(root)
        return s

    def _section(self, path: Path) -> _Section | None:
        d = path.parent
        if d in self._section_of_dir:
            return self._section_of_dir[d]
        found: _Section | None = None
        for cand in (d, *d.parents):
            if cand in self._sections:
                found = self._section_at(cand)
                break
        self._section_of_dir[d] = found
        return found

    # Content digests through stat signatures.
    def digest(self, path: Path) -> _Digest | None:
        """The digest of a file's text (None: missing or not text), read only when its stat
        signature is not known to match."""
        if path in self._digests:
            return self._digests[path]
        got = self._digest(path)
        self._digests[path] = got
        return got

    def _digest(self, path: Path) -> _Digest | None:
        sec = self._section(path)
        key = str(path)
        try:
            st = os.stat(path)
        except OSError:
            return None
        sig = _stat_sig(st)
        if sec is not None:
            known = sec.stats.get(key)
            if known is not None and known[0] == sig:
                sec.used["stats"].add(key)
                return known[1]
        text = self.fs.read_text(path)
        if text is None:
            return None
        d = content_digest(text)
        self._remember(sec, key, st, d)
        return d

    def _remember(self, sec: _Section | None, key: str, st: os.stat_result, d: _Digest) -> None:
        if sec is None:
            return
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > STAT_MARGIN_NS:
            sec.stats[key] = (_stat_sig(st), d)
            sec.used["stats"].add(key)
            sec.dirty = True

    def _digest_of_text(self, path: Path, text: str) -> _Digest:
        d = content_digest(text)
        if path not in self._digests:
            self._digests[path] = d
            try:
                st = os.stat(path)
            except OSError:
                return d
            # Only when the text is what the disk holds now (not an unsaved buffer).
            if st.st_size == len(text.encode("utf-8", "surrogatepass")):
                self._remember(self._section(path), str(path), st, d)
        return d

    # FactStore.
    def get_facts(self, path: Path) -> Any:
        return self._get("facts", path)

    def put_facts(self, path: Path, text: str, facts: object) -> None:
        self._put("facts", path, text, facts)

    # ExportTable store.
    def get_exports(self, path: Path) -> Any:
        return self._get("exports", path)

    def put_exports(self, path: Path, text: str, table: object) -> None:
        self._put("exports", path, text, table)

    def _get(self, kind: str, path: Path) -> Any:
        sec = self._section(path)
        if sec is None:
            return None
        key = str(path)
        entry = getattr(sec, kind).get(key)
        if entry is None or self.digest(path) != entry[0]:
            self.misses += 1
            return None
        sec.used[kind].add(key)
        self.hits += 1
        return entry[1]

    def _put(self, kind: str, path: Path, text: str, value: object) -> None:
        sec = self._section(path)
        if sec is None:
            return
        key = str(path)
        d = self._digest_of_text(path, text)
        getattr(sec, kind)[key] = (d, value)
        sec.used[kind].add(key)
        sec.dirty = True

    # ResolutionStore.
    def _fingerprint(self, p: Path) -> bytes:
        """What a resolution saw of `p`: a file's digest, or a directory's listing."""
        got = self._fps.get(p)
        if got is None:
            if self.fs.is_file(p):
                got = b"f" + (self.digest(p) or b"")
            else:
                listing = "\0".join(f"{n}\1{k}" for n, k in sorted(self.fs.list_dir(p).items()))
                got = b"d" + blake2b(listing.encode("utf-8", "surrogatepass"), digest_size=16).digest()
            self._fps[p] = got
        return got

    def get_resolution(self, root: Path, key: tuple[object, ...]) -> tuple[Any, frozenset[Path]] | None:
        """A resolution of app `root` whose every input is as it was, with those inputs."""
        if root not in self._sections:
            return None
        sec = self._section_at(root)
        entry = sec.resolutions.get(key)
        if entry is None:
            self.misses += 1
            return None
        value, deps = entry
        for p, fp in deps:
            if self._fingerprint(p) != fp:
                self.misses += 1
                return None
        sec.used["resolutions"].add(key)
        self.hits += 1
        return value, frozenset(p for p, _ in deps)

    def put_resolution(self, root: Path, key: tuple[object, ...], value: object, deps: Iterable[Path]) -> None:
        if root not in self._sections:
            return
        sec = self._section_at(root)
        sec.resolutions[key] = (value, tuple((p, self._fingerprint(p)) for p in sorted(deps)))
        sec.used["resolutions"].add(key)
        sec.dirty = True

    def save(self) -> None:
        for s in self._sections.values():
            if s is not None:
                s.save()


def clean(app_roots: Iterable[Path]) -> list[Path]:
    """Removes the cache folder of each app; returns the folders removed."""
    import shutil

    removed = []
    for root in app_roots:
        d = Path(root) / CACHE_DIR
        if d.is_dir():
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed
