"""RA-style fixtures for the ide tests (imported by name: tests/ is not a package): a multi-file text becomes a real app on disk.

A fixture is a text with `//- relative/path` headers, one per file. In file contents:

- `$0` marks the cursor (at most one in the whole fixture);
- `[[` and `]]` mark expected ranges (any number, in any file; `[[]]` is an empty range).

`load(tmp_path, text)` writes the files, builds a `WorkspaceIndex`, and returns a `Fixture`
with the snapshot, the resolver, the cursor's path and position, and the marked ranges.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from sst_lsp.ide.types import Location
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.resolve import HandlerResolver
from sst_lsp.model.types import AppSnapshot
from sst_lsp.syntax.text import Pos, TextRange


@dataclass
class Fixture:
    root: Path
    index: WorkspaceIndex
    snap: AppSnapshot
    resolver: HandlerResolver
    path: Path
    pos: Pos
    marks: list[Location] = field(default_factory=list)

    def p(self, rel: str) -> Path:
        return self.root / rel


def _split_files(text: str) -> list[tuple[str, str]]:
    files: list[tuple[str, list[str]]] = []
    for line in textwrap.dedent(text).strip("\n").split("\n"):
        if line.startswith("//- "):
            files.append((line[4:].strip(), []))
        elif files:
            files[-1][1].append(line)
        elif line.strip():
            raise ValueError("fixture text must start with a `//- path` header")
    return [(name, "\n".join(lines).rstrip("\n") + "\n") for name, lines in files]


def _strip_markers(text: str) -> tuple[str, Pos | None, list[TextRange]]:
    out: list[str] = []
    line = col = 0
    cursor: Pos | None = None
    opened: list[Pos] = []
    ranges: list[TextRange] = []
    i = 0
    while i < len(text):
        two = text[i : i + 2]
        if two == "$0":
            cursor = Pos(line, col)
            i += 2
            continue
        if two == "[[":
            opened.append(Pos(line, col))
            i += 2
            continue
        if two == "]]" and opened:
            ranges.append(TextRange(opened.pop(), Pos(line, col)))
            i += 2
            continue
        ch = text[i]
        out.append(ch)
        if ch == "\n":
            line, col = line + 1, 0
        else:
            col += 1
        i += 1
    return "".join(out), cursor, ranges


def load(root: Path, text: str) -> Fixture:
    """Writes a fixture below `root` and indexes it."""
    cursor_path: Path | None = None
    cursor: Pos | None = None
    marks: list[Location] = []
    for name, content in _split_files(text):
        body, cur, ranges = _strip_markers(content)
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
        if cur is not None:
            cursor_path, cursor = path, cur
        marks.extend(Location(path, r) for r in ranges)
    index = WorkspaceIndex([root])
    snap = index.snapshot()
    return Fixture(
        root=root,
        index=index,
        snap=snap,
        resolver=index.resolver,
        path=cursor_path or root,
        pos=cursor or Pos(0, 0),
        marks=marks,
    )


# Shared app skeletons (a v2 app with the notes layout).
V2_CONFIG = """
//- sst.config.ts
import { SSTConfig } from "sst";
import { StorageStack } from "./stacks/StorageStack";
import { ApiStack } from "./stacks/ApiStack";

export default {
  config(_input) {
    return { name: "notes", region: "us-east-1" };
  },
  stacks(app) {
    app.stack(StorageStack).stack(ApiStack);
  },
} satisfies SSTConfig;
"""
