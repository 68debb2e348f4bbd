"""The one way the model reads files (layer 2's only IO boundary).

`FileSource` overlays open editor buffers on the disk, caches directory listings, and refuses
what is not source text: binary files, invalid UTF-8 (decoded with replacement), files above a
size limit. Analyzers and ide/ never touch the disk; they get a `FileSource` or a snapshot.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

#: Directories never entered when looking for apps or files.
SKIP_DIRS = frozenset(
    {"node_modules", ".build", ".sst", "cdk.out", ".git", "dist", ".venv", "venv", "__pycache__", ".sst-lsp",
     ".next", ".open-next", ".turbo", ".cache"}
)

#: Files larger than this are not read as source (a generated 10 MB stack file still is).
MAX_FILE_BYTES = 16 * 1024 * 1024


#: Opening never blocks (a FIFO named like a source file), never leaks into child processes.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def read_bytes(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes, else None (missing, a folder, a
    device, too large, unreadable). One open, one fstat and the reads (a stat by path and a
    buffered file object cost as much again, for every file a check reads)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        chunks = [os.read(fd, st.st_size + 1)]
        while chunks[-1]:  # Until the end of the file (it may have grown since the fstat).
            chunks.append(os.read(fd, 1 << 20))
            if sum(map(len, chunks)) > limit:
                return None
    except OSError:
        return None
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 2 else b"".join(chunks)


#: A text not read yet (None is a file that cannot be read).
_UNREAD: object = object()


class FileSource:
    """Reads texts: open buffers first, then the disk. Thread-safe for reads.

    With `texts` (a dict, possibly shared by several sources), each file is read from the disk
    once and its text (or None) remembered there until `invalidate`: for a one-shot run over
    files that do not change under it (`sst-lsp check`), where extraction, resolution and the
    analyzers would otherwise each read the same file. The server reads the disk every time."""

    def __init__(self, texts: dict[Path, str | None] | None = None) -> None:
        self._overlay: dict[Path, str] = {}
        self._listing: dict[Path, dict[str, str] | None] = {}
        self._lock = threading.Lock()
        self._texts = texts

    # Overlay (open buffers).
    def set_overlay(self, path: Path, text: str | None) -> None:
        with self._lock:
            if text is None:
                self._overlay.pop(path, None)
            else:
                self._overlay[path] = text

    def overlay_paths(self) -> list[Path]:
        return list(self._overlay)

    def overlay(self) -> dict[Path, str]:
        """A copy of the open buffers' texts (what an immutable analysis carries)."""
        with self._lock:
            return dict(self._overlay)

    def overlay_text(self, path: Path) -> str | None:
        """The open buffer's text of `path` (None when it has none)."""
        return self._overlay.get(path)

    def invalidate(self, path: Path | None = None) -> None:
        """Forgets cached directory listings (all, or the one holding `path`) and remembered
        texts (all, or `path`'s)."""
        with self._lock:
            if path is None:
                self._listing.clear()
                if self._texts is not None:
                    self._texts.clear()
            else:
                self._listing.pop(path.parent, None)
                self._listing.pop(path, None)
                if self._texts is not None:
                    self._texts.pop(path, None)

    # Reads.
    def read_text(self, path: Path) -> str | None:
        """The text of a file, or None if it is missing, a directory, binary or too large."""
        text = self._overlay.get(path)
        if text is not None:
            return text
        texts = self._texts
        if texts is None:
            return self._read_disk(path)
        got = texts.get(path, _UNREAD)  # One lookup: a `Path`'s hash is a Python call.
        if got is _UNREAD:
            got = texts[path] = self._read_disk(path)
        return got  # type: ignore[return-value]

    @staticmethod
    def _read_disk(path: Path) -> str | None:
        data = read_bytes(path)
        # `find` over the head, not `in` a slice of it: no copy of 8 KB per file.
        if data is None or data.find(b"\x00", 0, 8192) != -1:
            return None
        return data.decode("utf-8", errors="replace")

    def _names(self, directory: Path) -> dict[str, str] | None:
        """Entries of a directory: name -> "f" (file) / "d" (directory), cached."""
        got = self._listing.get(directory, False)
        if got is not False:
            return got  # type: ignore[return-value]
        names: dict[str, str] | None
        try:
            names = {}
            with os.scandir(directory) as it:
                for e in it:
                    try:
                        names[e.name] = "d" if e.is_dir() else "f"
                    except OSError:
                        continue
        except (OSError, ValueError):
            names = None
        with self._lock:
            self._listing[directory] = names
        return names

    def list_dir(self, directory: Path) -> dict[str, str]:
        """Entry name -> "f"/"d" (open buffers not yet on disk included)."""
        names = dict(self._names(directory) or {})
        for p in self._overlay:
            if p.parent == directory:
                names.setdefault(p.name, "f")
        return names

    def is_file(self, path: Path) -> bool:
        if path in self._overlay:
            return True
        names = self._names(path.parent)
        return names is not None and names.get(path.name) == "f"

    def is_dir(self, path: Path) -> bool:
        names = self._names(path.parent)
        if names is not None and names.get(path.name) == "d":
            return True
        return any(p.parent == path for p in self._overlay)

    def exists(self, path: Path) -> bool:
        return self.is_file(path) or self.is_dir(path)

    def case_insensitive_match(self, path: Path) -> Path | None:
        """The existing file whose name differs from `path` only in letter case, if any.

        Only the last component is compared; callers resolve directories first.
        """
        names = self.list_dir(path.parent)
        want = path.name.lower()
        for n, kind in names.items():
            if n.lower() == want and n != path.name and kind == "f":
                return path.parent / n
        return None
