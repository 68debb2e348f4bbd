"""The on-disk cache of `sst-lsp check` (beside check.py: it writes files, which the pure layers
never do; the model reaches it only through the `FactStore` and `ResolutionStore` protocols of
model/index.py and model/resolve.py).

Where: `<app>/.sst-lsp/cache/`, per app, next to the `.sst-lsp/outputs/` and `.sst-lsp/cdk.out/`
sst-lsp already writes there (and which discovery skips). Per app rather than one user cache
folder: CI caches it with the checkout (`actions/cache` of `**/.sst-lsp/cache`), deleting an app
deletes its cache, `sst-lsp cache clean` knows what to remove, and nothing grows without bound in
a home folder for projects long gone. The folder holds a `.gitignore` of `*`.

What, in two files per app:

- `result-<fp>.pickle`: the app's findings and counts, with every input they were made from:
  each file read and each folder listed while building the app and running the analyzers, with
  a fingerprint (the file's content digest, the folder's listing digest). An app none of whose
  inputs changed takes its result from here: nothing is parsed, resolved or analysed (the
  parser, the index and the analyzers are not even imported).
- `check-<fp>.pickle`, read only when a result is stale: the entries a result is rebuilt from,
  each keyed by the content digest (BLAKE2b) of its file: the `FileFacts` of each stack and
  config file, the `ExportTable` of each handler file (with its `CodeFacts` for JS/TS: both come
  from one parse), and each handler resolution with the fingerprints of the files and listings
  it read (a listing or a file that changed invalidates exactly the resolutions that read it).

Both record stat signatures (mtime, ctime, size, inode), so that a warm run stats its inputs
instead of reading them. A signature is recorded only for a file or folder last changed more than
`STAT_MARGIN_NS` before it was seen: a later change then always moves its stamps, even on file
systems with coarse timestamps (git's "racily clean" rule). A checkout gives every file new
stamps: each input is then read and hashed once, and the results still come from the cache.

Key: the file names hold a fingerprint of the tool (its version, `FORMAT`, the Python version and
the size and modification time of every module of the `sst_lsp` package: one stat per module),
so any code change or upgrade starts a new cache; files of other fingerprints are deleted when a
new one is written. Results are keyed by the arguments that shape them (stage, exclusions);
severity overrides and file filters apply afterwards.

Format and safety: `MAGIC`, a BLAKE2b digest of the payload, then a pickle of plain dicts, tuples
and our own frozen dataclasses (each entry pickled on its own and unpickled on use). Pickle
because it rebuilds those objects, with their `Path`s and `TextRange`s, in C: a JSON or marshal
form of plain tuples would have to be turned back into objects one by one in Python (we pickle
dataclasses as calls of their class with their fields, which is what such a decoder would do,
only driven by C). The unpickler resolves only an allow-list (our model's dataclasses, pathlib's
path classes and this module's `_path`): no other callable, nothing else imported. A file whose
digest does not match is never unpickled; a corrupt, truncated, foreign or hostile file or entry
is ignored and rewritten, never executed, never a crash. Writes go to a temporary file in the same
folder renamed over the old one (atomic on POSIX and Windows): concurrent runs each read a
complete file, and the last writer wins.
"""

from __future__ import annotations

import _pickle  # The C pickler alone: `pickle` (its Python module) costs start-up and adds nothing here.
import functools
import io
import os
import pathlib
import stat
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sst_lsp import __version__, logs
from sst_lsp.model.files import FileSource, read_bytes

try:  # BLAKE2 without loading OpenSSL's hashlib backend (a few ms of start-up).
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b


#: Bumped when the layout of the payload changes.
FORMAT = 2
#: The cache folder, relative to an app root.
CACHE_DIR = Path(".sst-lsp") / "cache"
MAGIC = b"SSTLSPC\x01"
_DIGEST = 32
#: A stat signature is trusted only for files unchanged this long before they were read.
STAT_MARGIN_NS = 2_000_000_000

#: Modules whose classes an entry may hold (our own frozen dataclasses).
_ALLOWED_MODULES = frozenset({
    "sst_lsp.model.types", "sst_lsp.syntax.text", "sst_lsp.model.exports", "sst_lsp.model.resolve",
    "sst_lsp.model.handler_code", "sst_lsp.model.finding",
})
_ALLOWED_PATHS = frozenset({"PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath"})

_StatSig = tuple[int, int, int, int]
_Digest = bytes


#: Files whose text is longer than this keep no facts entry (see `CheckCache.put_facts`).
MAX_CACHED_FACTS_TEXT = 2_000_000


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


_PATH_TYPES = (pathlib.PosixPath, pathlib.WindowsPath, pathlib.PurePosixPath, pathlib.PureWindowsPath)
_paths: dict[tuple[type, str], pathlib.PurePath] = {}


def _path(cls_name: str, text: str) -> pathlib.PurePath:
    """A path read back from the cache: one object per distinct path in this process (a file's
    entries name the same folders over and over, and building a `Path` is slow)."""
    cls = _PATH_CLASSES[cls_name]
    got = _paths.get((cls, text))
    if got is None:
        got = _paths[(cls, text)] = cls(text)
    return got


_PATH_CLASSES: dict[str, type[pathlib.PurePath]] = {c.__name__: c for c in _PATH_TYPES}

#: Per class: the names of its fields when it is one of our dataclasses that can be rebuilt by
#: calling it with them in order (None when it cannot: it is then pickled the usual way).
_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _fields_of(cls: type) -> tuple[str, ...] | None:
    got = _FIELDS.get(cls, False)
    if got is not False:
        return got  # type: ignore[return-value]
    import dataclasses  # Here: only writing entries needs it.

    names: tuple[str, ...] | None = None
    fields = getattr(cls, "__dataclass_fields__", None)
    if fields is not None and cls.__module__ in _ALLOWED_MODULES and not hasattr(cls, "__post_init__"):
        # Plain fields only (no InitVar/ClassVar pseudo-fields, none kept out of __init__ or
        # keyword-only), in declaration order: `cls(*values)` then rebuilds the object.
        fs = list(fields.values())
        if all(f._field_type is dataclasses._FIELD and f.init and not f.kw_only for f in fs):  # type: ignore[attr-defined]
            names = tuple(f.name for f in fs)
    _FIELDS[cls] = names
    return names


def _dispatch_table() -> dict[type, Any]:
    """Reducers for pickling: each of our dataclasses as a call of its class with its field
    values (rebuilt by the generated `__init__`, several times faster than the per-field
    `__setstate__` of a frozen slots dataclass; read with `attrgetter`, in C), and paths as
    strings. Built on first use from the model modules loaded by then."""
    global _DISPATCH
    if _DISPATCH is None:
        import copyreg
        from operator import attrgetter

        table: dict[type, Any] = dict(copyreg.dispatch_table)

        def path_reducer(cls: type) -> Any:
            name = cls.__name__
            return lambda p: (_path, (name, str(p)))

        def fields_reducer(cls: type, names: tuple[str, ...]) -> Any:
            if len(names) == 1:
                one = attrgetter(names[0])
                return lambda o: (cls, (one(o),))
            many = attrgetter(*names)
            return lambda o: (cls, many(o))

        for c in _PATH_TYPES:
            table[c] = path_reducer(c)
        for module in _ALLOWED_MODULES:
            mod = sys.modules.get(module)
            for obj in vars(mod).values() if mod is not None else ():
                if isinstance(obj, type) and obj.__module__ == module:
                    names = _fields_of(obj)
                    if names:
                        table[obj] = fields_reducer(obj, names)
        _DISPATCH = table
    return _DISPATCH


_DISPATCH: dict[type, Any] | None = None


class _Unpickler(_pickle.Unpickler):
    """Resolves only our model's dataclasses, pathlib's path classes and `_path`."""

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
            return getattr(pathlib, name)
        elif module == __name__ and name == "_path":
            return _path
        raise _pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")


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
    except Exception:  # noqa: BLE001 - an entry of a sister version that slipped through: ignore it.
        return None
    if not isinstance(got, dict) or got.get("format") != FORMAT:
        return None
    return got


def encode(payload: dict[str, Any]) -> bytes:
    body = _dumps(payload)
    return MAGIC + blake2b(body, digest_size=_DIGEST).digest() + body


_Entry = tuple[_Digest, bytes]
#: What one input looked like: (path, fingerprint, stat signature when it may be trusted).
_Input = tuple[str, bytes, "_StatSig | None"]


class _Section:
    """One app's cache: its entries (loaded on first use) and its last results (loaded first)."""

    KINDS = ("stats", "facts", "exports", "resolutions")

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / CACHE_DIR
        fp = tool_fingerprint()
        self.entries_file = self.dir / f"check-{fp}.pickle"
        self.results_file = self.dir / f"result-{fp}.pickle"
        self.tables: dict[str, dict[Any, Any]] | None = None
        self.used: dict[str, set[Any]] = {k: set() for k in self.KINDS}
        self.dirty = False
        self.results: dict[Any, tuple[tuple[_Input, ...], bytes]] | None = None
        self.results_dirty = False

    # Entries: file facts, export tables, resolutions (each pickled on its own, unpickled on use).
    def table(self, kind: str) -> dict[Any, Any]:
        if self.tables is None:
            self.tables = {k: {} for k in self.KINDS}
            got = _read(self.entries_file)
            if got is None:
                self.dirty = self.entries_file.exists()  # A broken file is rewritten.
            else:
                try:
                    for k in self.KINDS:
                        self.tables[k] = dict(got[k])
                except (KeyError, TypeError, ValueError):
                    self.tables = {k: {} for k in self.KINDS}
                    self.dirty = True
        return self.tables[kind]

    # Results: the findings and counts of the whole app, with every input they were made from.
    def result_table(self) -> dict[Any, tuple[tuple[_Input, ...], bytes]]:
        if self.results is None:
            self.results = {}
            got = _read(self.results_file)
            if got is None:
                self.results_dirty = self.results_file.exists()
            else:
                try:
                    self.results = dict(got["results"])
                except (KeyError, TypeError, ValueError):
                    self.results_dirty = True
        return self.results

    def save(self) -> None:
        """Writes what this run used (stale entries drop out), atomically."""
        try:
            if self.tables is not None:
                dirty = self.dirty or any(len(self.used[k]) != len(self.tables[k]) for k in self.KINDS)
                if dirty:
                    payload: dict[str, Any] = {"format": FORMAT}
                    for k in self.KINDS:
                        t = self.tables[k]
                        payload[k] = {key: t[key] for key in self.used[k] if key in t}
                    self._write(self.entries_file, encode(payload))
            if self.results is not None and self.results_dirty:
                self._write(self.results_file, encode({"format": FORMAT, "results": self.results}))
        except Exception as e:  # noqa: BLE001 - see below.
            # A read-only checkout, a full disk, a value that cannot be pickled: the check
            # itself is done, only the next one will not be faster.
            logs.debug(__name__, "cannot write the cache in %s: %s", self.dir, e)

    def _write(self, file: Path, data: bytes) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        ignore = self.dir / ".gitignore"
        if not ignore.exists():
            _atomic_write(ignore, b"# Written by sst-lsp: the check cache (`sst-lsp cache clean`).\n*\n")
        _atomic_write(file, data)
        prefix = file.name.split("-", 1)[0] + "-"
        for old in self.dir.glob(prefix + "*.pickle"):
            if old != file:  # Written by another version of sst-lsp.
                old.unlink(missing_ok=True)
        for tmp in self.dir.glob("*.tmp"):  # Left by a run killed while writing.
            try:
                if time.time() - tmp.stat().st_mtime > 3600:
                    tmp.unlink()
            except OSError:
                pass


def _read(file: Path) -> dict[str, Any] | None:
    try:
        data = file.read_bytes()
    except OSError:
        return None
    got = decode(data)
    if got is None:
        logs.debug(__name__, "ignoring the unreadable cache file %s", file)
    return got


def _loads(blob: bytes) -> Any:
    """One entry's value (None when it cannot be read back: then it is recomputed)."""
    try:
        return _Unpickler(io.BytesIO(blob)).load()
    except Exception:  # noqa: BLE001 - what cannot be read back is recomputed.
        return None


def _dumps(value: object) -> bytes:
    buf = io.BytesIO()
    pickler = _pickle.Pickler(buf, protocol=5)  # pickle.HIGHEST_PROTOCOL
    pickler.dispatch_table = _dispatch_table()
    pickler.dump(value)
    return buf.getvalue()


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


class RecordingFileSource(FileSource):
    """A `FileSource` that notes every file it reads and every directory it lists (the inputs
    of one app's result), and the digest of each text it reads."""

    def __init__(self, cache: CheckCache, inputs: set[str]) -> None:
        super().__init__(texts=cache.texts)
        self._cache = cache
        self.inputs = inputs

    def read_text(self, path: Path) -> str | None:
        key = str(path)
        self.inputs.add(key)
        text = super().read_text(path)
        # Text without U+FFFD was decoded losslessly: its encoding is the file's bytes, whose
        # digest `CheckCache._read_digest` computes (else the cache reads the file itself).
        if text is not None and key not in self._cache._digests and "\ufffd" not in text:
            self._cache._digests[key] = content_digest(text)
        return text

    def _names(self, directory: Path) -> dict[str, str] | None:
        self.inputs.add(str(directory))
        return super()._names(directory)


class CheckCache:
    """The cache of one check run over some apps: per app a result (findings and counts, valid
    while each of its inputs is as it was), and the entries a result is rebuilt from when it is
    not: a `FactStore` for the index and a `ResolutionStore` for the resolver. Call `save()` at
    the end of the run."""

    def __init__(self, app_roots: Iterable[Path], *, read_only: bool = False) -> None:
        #: Reads entries but never adds, renews or writes any (the language server's first
        #: index: it shares what `check` wrote, and leaves the files to `check`).
        self.read_only = read_only
        #: The cache's own reads (not recorded as inputs).
        self.fs = FileSource()
        #: The texts read while building apps, shared by their recorders (an app's inputs are
        #: still recorded per app; a file two apps read is read once).
        self.texts: dict[Path, str | None] = {}
        self._sections: dict[Path, _Section | None] = {Path(r): None for r in app_roots}
        self._roots = {str(r): Path(r) for r in self._sections}
        self._section_of_dir: dict[str, _Section | None] = {}
        self._digests: dict[str, _Digest | None] = {}
        self._probes: dict[str, tuple[bytes, _StatSig | None]] = {}
        self._pending_stats: set[str] = set()
        #: The inputs of the app being built (None: none is).
        self.recording: set[str] | None = None
        self.hits = 0
        self.misses = 0

    # Sections.
    def _section_at(self, root: Path) -> _Section:
        s = self._sections.get(root)
        if s is None:
            s = self._sections[root] = _Section(root)
        return s

    def _section(self, path: Path | str) -> _Section | None:
        """The section of the innermost app holding `path` (string operations: this runs for
        every file, and pathlib's `parent` builds a new object each time)."""
        d = os.path.dirname(str(path))
        got = self._section_of_dir.get(d, False)
        if got is not False:
            return got  # type: ignore[return-value]
        found: _Section | None = None
        cand = d
        while True:
            root = self._roots.get(cand)
            if root is not None:
                found = self._section_at(root)
                break
            up = os.path.dirname(cand)
            if up == cand:
                break
            cand = up
        self._section_of_dir[d] = found
        return found

    # Fingerprints of paths.
    def _read_digest(self, key: str) -> _Digest | None:
        """The digest of a file's text as `FileSource.read_text` would return it (None when it
        would return None), from its bytes: for UTF-8 text they are the text's own encoding (a
        file that is not valid UTF-8 gets another digest than its decoded text, so it is simply
        never taken from the cache)."""
        if key in self._digests:
            return self._digests[key]
        d: _Digest | None = None
        data = read_bytes(key)
        if data is not None and b"\x00" not in data[:8192]:
            d = blake2b(data, digest_size=16).digest()
        self._digests[key] = d
        return d

    def _probe(self, key: str, st: os.stat_result | None = None) -> tuple[bytes, _StatSig | None]:
        """What `key` is now: b"n" (nothing), b"d" + its listing's digest, b"f" + its text's
        digest; and for a file unchanged for a while, its stat signature."""
        got = self._probes.get(key)
        if got is not None:
            return got
        try:
            if st is None:
                st = os.stat(key)
        except (OSError, ValueError):
            got = (b"n", None)
        else:
            if stat.S_ISDIR(st.st_mode):
                # Adding, removing or renaming an entry moves a folder's stamps too.
                got = (b"d" + _listing_digest(key), _stat_sig(st) if _settled(st) else None)
            elif stat.S_ISREG(st.st_mode):
                sig = _stat_sig(st) if _settled(st) else None
                got = (b"f" + (self._read_digest(key) or b""), sig)
            else:
                got = (b"o", None)
        self._probes[key] = got
        return got

    def _unchanged(self, key: str, fp: bytes, sig: _StatSig | None) -> bool:
        st = None
        if sig is not None and key not in self._probes:
            try:
                st = os.stat(key)
            except (OSError, ValueError):
                return fp == b"n"
            if _stat_sig(st) == sig:
                return True
        return self._probe(key, st)[0] == fp

    def _record(self, paths: Iterable[str]) -> None:
        if self.recording is not None:
            self.recording.update(paths)

    # Whole-app results.
    def result(self, root: Path, key: tuple[object, ...]) -> Any:
        """The result stored for app `root` under `key` if none of its inputs changed."""
        if root not in self._sections:
            return None
        sec = self._section_at(root)
        entry = sec.result_table().get(key)
        if entry is None:
            return None
        inputs, blob = entry
        restamped = False
        probes, stat_ = self._probes, os.stat
        # `_unchanged`, inlined: this loop runs once per file of every app on every warm run.
        for path, fp, sig in inputs:
            if sig is not None and path not in probes:
                try:
                    st = stat_(path)
                except (OSError, ValueError):
                    return None
                if (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino) == sig:
                    continue
                if self._probe(path, st)[0] != fp:
                    return None
                restamped = True
            elif self._probe(path)[0] != fp:
                return None
            else:
                restamped = True
        value = _loads(blob)
        if value is not None and restamped:
            # Same contents under new stamps (a checkout, a touch): keep the new signatures, so
            # that the next run stats these files again instead of reading them.
            rows = tuple((path, fp, self._probes[path][1] if path in self._probes else sig)
                         for path, fp, sig in inputs)
            if rows != inputs:
                sec.result_table()[key] = (rows, blob)
                sec.results_dirty = True
        return value

    def recorder(self) -> RecordingFileSource:
        """A file source for building one app; what it reads becomes that app's inputs."""
        self.recording = set()
        return RecordingFileSource(self, self.recording)

    def put_result(self, root: Path, key: tuple[object, ...], value: object) -> None:
        """Stores the result of the app built through the last `recorder()`."""
        inputs, self.recording = self.recording or set(), None
        if root not in self._sections:
            return
        rows = []
        for path in sorted(inputs):
            fp, sig = self._probe(path)
            rows.append((path, fp, sig))
        sec = self._section_at(root)
        table = sec.result_table()
        table.clear()  # One result per app: the last run's arguments.
        table[key] = (tuple(rows), _dumps(value))
        sec.results_dirty = True

    # Content digests of entries, through the stat signatures of the entries table.
    def digest(self, path: Path) -> _Digest | None:
        key = str(path)
        if key in self._digests:
            return self._digests[key]
        sec = self._section(path)
        try:
            st = os.stat(key)
        except OSError:
            self._digests[key] = None
            return None
        if sec is not None:
            stats = sec.table("stats")
            known = stats.get(key)
            if known is not None and known[0] == _stat_sig(st):
                sec.used["stats"].add(key)
                d: _Digest = known[1]
                self._digests[key] = d
                return d
        read = self._read_digest(key)
        if sec is not None and read is not None:
            self._remember(sec, key, st, read)
        return read

    def _remember(self, sec: _Section, key: str, st: os.stat_result, d: _Digest) -> None:
        if _settled(st):
            sec.table("stats")[key] = (_stat_sig(st), d)
            sec.used["stats"].add(key)
            sec.dirty = True

    # FactStore.
    def get_facts(self, path: Path) -> Any:
        return self._get("facts", path)

    def put_facts(self, path: Path, text: str, facts: object) -> None:
        if self.read_only or len(text) > MAX_CACHED_FACTS_TEXT:
            # A generated stack file of megabytes: pickling its facts costs about as much as
            # extracting them again (and doubles the run's memory), for a file that rarely
            # changes alone. The app's result is still cached.
            return
        self._put("facts", path, text, facts)

    # Export tables (with the code facts of JS/TS files, read from the same parse).
    def get_exports(self, path: Path) -> Any:
        got = self._get("exports", path)
        return got if isinstance(got, tuple) and len(got) == 2 else None

    def put_exports(self, path: Path, text: str, table: object, facts: object) -> None:
        self._put("exports", path, text, (table, facts))

    def _get(self, kind: str, path: Path) -> Any:
        sec = self._section(path)
        if sec is None:
            return None
        key = str(path)
        entry = sec.table(kind).get(key)
        if entry is None or self.digest(path) != entry[0]:
            self.misses += 1
            return None
        value = _loads(entry[1])
        if value is None:
            return None
        sec.used[kind].add(key)
        self._record((key,))
        self.hits += 1
        return value

    def _put(self, kind: str, path: Path, text: str, value: object) -> None:
        sec = self._section(path) if not self.read_only else None
        if sec is None:
            return
        key = str(path)
        d = self._digests.get(key)
        if d is None:
            d = self._digests[key] = content_digest(text)
        try:
            blob = _dumps(value)
        except Exception:  # noqa: BLE001 - not picklable (a bug): simply not cached.
            logs.debug(__name__, "cannot cache %s of %s", kind, key, exc_info=True)
            return
        sec.table(kind)[key] = (d, blob)
        sec.used[kind].add(key)
        sec.dirty = True
        # Its stat signature is recorded at `save()`, from the probe the app's result made anyway.
        self._pending_stats.add(key)

    # ResolutionStore.
    def get_resolution(self, root: Path, key: tuple[object, ...]) -> tuple[Any, frozenset[str]] | None:
        """A resolution of app `root` whose every input is as it was, with those inputs."""
        if root not in self._sections:
            return None
        sec = self._section_at(root)
        entry = sec.table("resolutions").get(key)
        if entry is None:
            self.misses += 1
            return None
        deps, blob = entry
        for p, fp, sig in deps:
            if not self._unchanged(p, fp, sig):
                self.misses += 1
                return None
        value = _loads(blob)
        if value is None:
            return None
        sec.used["resolutions"].add(key)
        self._record(p for p, _, _ in deps)
        self.hits += 1
        return value, frozenset(p for p, _, _ in deps)

    def put_resolution(self, root: Path, key: tuple[object, ...], value: object, deps: Iterable[str]) -> None:
        if self.read_only or root not in self._sections:
            return
        sec = self._section_at(root)
        rows = tuple((k, *self._probe(k)) for k in sorted(deps))
        try:
            blob = _dumps(value)
        except Exception:  # noqa: BLE001 - a value that cannot be pickled is not cached.
            return
        sec.table("resolutions")[key] = (rows, blob)
        sec.used["resolutions"].add(key)
        sec.dirty = True

    def forget(self, path: Path | None) -> None:
        """What was probed of `path` (None: of every path) is read again on the next question:
        a long-lived driver calls this when the disk moved."""
        if path is None:
            self._digests.clear()
            self._probes.clear()
            return
        for key in (str(path), str(path.parent)):
            self._digests.pop(key, None)
            self._probes.pop(key, None)

    def save(self) -> None:
        if self.read_only:
            return
        for key in self._pending_stats:
            sec = self._section(key)
            if sec is None:
                continue
            fp, sig = self._probe(key)
            known = sec.table("stats").get(key)
            if sig is not None and fp[:1] == b"f" and (known is None or known != (sig, fp[1:])):
                sec.table("stats")[key] = (sig, fp[1:])
                sec.used["stats"].add(key)
                sec.dirty = True
        for s in self._sections.values():
            if s is not None:
                s.save()


def _settled(st: os.stat_result) -> bool:
    """True when a file last changed long enough ago that a later change moves its stamps."""
    return time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > STAT_MARGIN_NS


def _listing_digest(directory: str) -> bytes:
    """The digest of a directory's entries as `FileSource` lists them (name, file or folder).

    The `.sst-lsp` folder is left out: the cache itself appears in the app root after a run, and
    nothing in the model looks into it (discovery and walks skip it)."""
    rows = []
    try:
        with os.scandir(directory) as it:
            for e in it:
                if e.name == ".sst-lsp":
                    continue
                try:
                    rows.append(f"{e.name}\1{'d' if e.is_dir() else 'f'}")
                except OSError:
                    continue
    except OSError:
        return b"?"
    rows.sort()
    return blake2b("\0".join(rows).encode("utf-8", "surrogatepass"), digest_size=16).digest()


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
