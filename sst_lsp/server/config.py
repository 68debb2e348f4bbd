"""Settings by scope for the server (layer 4: server).

Holds the raw `sst` sections from each source (initializationOptions, then
`workspace/configuration` pulls) and answers "which settings apply to this path". The effective
section of a workspace folder is the first present of: the folder's pulled section, the folder's
entry in VS Code's initializationOptions, the global pulled section, the global
initializationOptions. Sections are not merged key by key: VS Code already resolves the folder
scope against the user and workspace scopes, and other editors send one dict.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sst_lsp.server.convert import uri_to_path
from sst_lsp.settings import (
    DEFAULTS,
    InitializationOptions,
    Settings,
    parse_settings,
    split_initialization_options,
)


def _folder_path(name: str) -> Path | None:
    if "://" in name:
        return uri_to_path(name)
    return Path(name) if name else None


class SettingsStore:
    """The settings of every workspace folder, parsed once per change. Thread-safe reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._init = InitializationOptions()
        self._init_folders: dict[Path, dict[str, Any]] = {}
        self._pulled_global: dict[str, Any] | None = None
        self._pulled: dict[Path, dict[str, Any] | None] = {}
        self._folders: list[Path] = []
        self._parsed: dict[Path | None, Settings] = {}
        self._errors: list[str] = []

    # Inputs.
    def set_folders(self, folders: list[Path]) -> None:
        with self._lock:
            self._folders = sorted(set(folders), key=lambda p: len(p.parts), reverse=True)
            self._reparse()

    def set_initialization_options(self, opts: object) -> None:
        with self._lock:
            self._init = split_initialization_options(opts)
            self._init_folders = {}
            for name, raw in self._init.folders_raw.items():
                p = _folder_path(name)
                if p is not None:
                    self._init_folders[p] = raw
            self._reparse()

    def set_pulled(self, global_raw: object, per_folder: dict[Path, object]) -> None:
        """Sections from a `workspace/configuration` pull (None or non-dicts: "nothing set")."""
        with self._lock:
            self._pulled_global = global_raw if isinstance(global_raw, dict) else None
            self._pulled = {p: (r if isinstance(r, dict) else None) for p, r in per_folder.items()}
            self._reparse()

    # Outputs.
    @property
    def folders(self) -> list[Path]:
        return list(self._folders)

    @property
    def errors(self) -> list[str]:
        """Problems found in the current sections, one line each (duplicates removed)."""
        return list(self._errors)

    def global_settings(self) -> Settings:
        return self._parsed.get(None, DEFAULTS)

    def for_path(self, path: Path | None) -> Settings:
        """The settings of the innermost workspace folder holding `path` (else the global ones)."""
        if path is not None:
            for f in self._folders:
                if path == f or path.is_relative_to(f):
                    return self._parsed.get(f, self.global_settings())
        return self.global_settings()

    def all(self) -> list[Settings]:
        """The settings of every folder (and the global ones)."""
        return [self.global_settings(), *(self._parsed.get(f, self.global_settings()) for f in self._folders)]

    # Parsing.
    def _global_raw(self) -> dict[str, Any] | None:
        return self._pulled_global if self._pulled_global is not None else self._init.global_raw

    def _reparse(self) -> None:
        errors: list[str] = list(self._init.errors)
        parsed: dict[Path | None, Settings] = {}
        g, errs = parse_settings(self._global_raw())
        parsed[None] = g
        errors.extend(errs)
        for f in self._folders:
            raw = self._pulled.get(f)
            if raw is None:
                raw = self._init_folders.get(f)
            if raw is None:
                parsed[f] = g
                continue
            s, errs = parse_settings(raw)
            parsed[f] = s
            errors.extend(errs)
        self._parsed = parsed
        self._errors = list(dict.fromkeys(errors))
