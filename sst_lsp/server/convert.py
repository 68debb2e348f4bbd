"""Conversions between the model's terms and LSP's (layer 4: server).

The only module that knows both sides: code-point `Pos`/`TextRange` against the client's
position encoding (UTF-16 by default, or what `initialize` negotiated: UTF-8 or UTF-32), `Path`
against URIs, and the ide/ PODs against lsprotocol types. Column arithmetic itself lives in
`sst_lsp.syntax.text.LineIndex`; this module picks the method for the encoding.

A `Converter` reads texts through a callback (the index's `FileSource`, so open buffers win
over the disk) and caches one `LineIndex` per text.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls import uris

from sst_lsp.model.types import Finding, Severity
from sst_lsp.syntax.text import LineIndex, Pos, TextRange

#: Where `Diagnostic.codeDescription` points (the README's table of codes).
CODES_URL = "https://github.com/sst-lsp/sst-lsp#diagnostic-codes"
SOURCE = "sst-lsp"

#: The json module's string escaper (its C one where available), as `json.dumps` escapes.
_escape: Callable[[str], str] = json.encoder.encode_basestring_ascii

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}

_COMPLETION_KIND = {
    "file": types.CompletionItemKind.File,
    "folder": types.CompletionItemKind.Folder,
    "function": types.CompletionItemKind.Function,
    "method": types.CompletionItemKind.Method,
    "value": types.CompletionItemKind.Value,
    "keyword": types.CompletionItemKind.Keyword,
}

_SYMBOL_KIND = {
    "stack": types.SymbolKind.Module,
    "construct": types.SymbolKind.Object,
    "route": types.SymbolKind.Method,
    "function": types.SymbolKind.Function,
    "file": types.SymbolKind.File,
}


_SYMBOL_KIND_VALUE = {k: v.value for k, v in _SYMBOL_KIND.items()}


class _JsonStrings:
    """JSON string literals (ASCII, as `json.dumps` writes them), each string escaped once."""

    __slots__ = ("_done",)

    def __init__(self) -> None:
        self._done: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        got = self._done.get(text)
        if got is None:
            got = self._done[text] = _escape(text)
        return got


# ----------------------------------------------------------------------------------------------
# URIs and paths.
# ----------------------------------------------------------------------------------------------


def uri_to_path(uri: str) -> Path | None:
    """The local path of a `file:` URI (None for other schemes), normalised lexically."""
    fs = uris.to_fs_path(uri)
    if fs is None:
        return None
    return Path(os.path.normpath(fs))


def path_to_uri(path: Path) -> str:
    uri = uris.from_fs_path(str(path))
    return uri if uri is not None else path.as_uri()


class UriMap:
    """Remembers the exact URI a client used for a path (VS Code spells drive letters and
    some characters its own way), so what we publish matches what it opened."""

    def __init__(self) -> None:
        self._by_path: dict[Path, str] = {}
        self._lock = threading.Lock()

    def remember(self, uri: str) -> Path | None:
        path = uri_to_path(uri)
        if path is not None:
            with self._lock:
                self._by_path[path] = uri
        return path

    def uri(self, path: Path) -> str:
        got = self._by_path.get(path)
        return got if got is not None else path_to_uri(path)


# ----------------------------------------------------------------------------------------------
# Positions.
# ----------------------------------------------------------------------------------------------


def encoding_of(kind: types.PositionEncodingKind | str | None) -> str:
    """"utf-16" (LSP's default), "utf-8" or "utf-32"."""
    value = kind.value if isinstance(kind, types.PositionEncodingKind) else (kind or "utf-16")
    return value if value in ("utf-8", "utf-32") else "utf-16"


def to_lsp_position(li: LineIndex, pos: Pos, encoding: str = "utf-16") -> types.Position:
    if encoding == "utf-32":
        return types.Position(line=pos.line, character=pos.col)
    if encoding == "utf-8":
        line, col = li.point_from_pos(pos)
        return types.Position(line=line, character=col)
    return types.Position(line=pos.line, character=li.to_utf16(pos))


def from_lsp_position(li: LineIndex, position: types.Position, encoding: str = "utf-16") -> Pos:
    if encoding == "utf-32":
        return Pos(position.line, position.character)
    if encoding == "utf-8":
        return li.pos_from_point(position.line, position.character)
    return li.from_utf16(position.line, position.character)


def to_lsp_range(li: LineIndex, rng: TextRange, encoding: str = "utf-16") -> types.Range:
    return types.Range(start=to_lsp_position(li, rng.start, encoding), end=to_lsp_position(li, rng.end, encoding))


def from_lsp_range(li: LineIndex, rng: types.Range, encoding: str = "utf-16") -> TextRange:
    return TextRange(from_lsp_position(li, rng.start, encoding), from_lsp_position(li, rng.end, encoding))


def _clamp(li: LineIndex, pos: Pos) -> Pos:
    """`pos`, or the nearest position inside the text (end of its line, end of the text)."""
    lines = li.lines
    if pos.line >= len(lines):
        return Pos(len(lines) - 1, len(lines[-1]))
    if pos.line < 0:
        return Pos(0, 0)
    line = lines[pos.line]
    # A "\r" before the "\n" is the line ending (CRLF), not a column a client can name.
    n = len(line) - 1 if line.endswith("\r") else len(line)
    if pos.col > n:
        return Pos(pos.line, n)
    if pos.col < 0:
        return Pos(pos.line, 0)
    return pos


class Converter:
    """Converts for one client (its encoding) against the current texts.

    `text_of(path)` gives a file's current text (None when it cannot be read: the conversion
    then treats the file as empty, which leaves ASCII columns unchanged).
    """

    def __init__(
        self,
        text_of: Callable[[Path], str | None],
        uri_of: Callable[[Path], str] = path_to_uri,
        encoding: str = "utf-16",
    ) -> None:
        self.text_of = text_of
        self.uri_of = uri_of
        self.encoding = encoding
        self._cache: dict[Path, tuple[str, LineIndex]] = {}
        self._ascii_cache: dict[Path, tuple[LineIndex, bool]] = {}
        self._lock = threading.Lock()

    def line_index(self, path: Path, text: str | None = None) -> LineIndex:
        if text is None:
            text = self.text_of(path) or ""
        cached = self._cache.get(path)
        if cached is not None and (cached[0] is text or cached[0] == text):
            return cached[1]
        li = LineIndex(text)
        with self._lock:
            self._cache[path] = (text, li)
        return li

    def forget(self, path: Path) -> None:
        with self._lock:
            self._cache.pop(path, None)

    # Model -> LSP. Positions are clamped into the current text: an answer computed from facts
    # a keystroke old (a request served while the analysis of the newest text runs) must still
    # name a place inside the document.
    def position(self, path: Path, pos: Pos) -> types.Position:
        li = self.line_index(path)
        return to_lsp_position(li, _clamp(li, pos), self.encoding)

    def range(self, path: Path, rng: TextRange) -> types.Range:
        li = self.line_index(path)
        return self._range(li, self._ascii(path, li), rng)

    def _range(self, li: LineIndex, ascii_text: bool, rng: TextRange) -> types.Range:
        start, end = _clamp(li, rng.start), _clamp(li, rng.end)
        if (end.line, end.col) < (start.line, start.col):
            end = start
        if ascii_text:
            # Every unit is one character: no per-line conversion (a generated stack file's
            # outline has hundreds of thousands of ranges).
            return types.Range(start=types.Position(line=start.line, character=start.col),
                               end=types.Position(line=end.line, character=end.col))
        return types.Range(start=to_lsp_position(li, start, self.encoding),
                           end=to_lsp_position(li, end, self.encoding))

    def _ascii(self, path: Path, li: LineIndex) -> bool:
        got = self._ascii_cache.get(path)
        if got is not None and got[0] is li:
            return got[1]
        value = li.text.isascii()
        self._ascii_cache[path] = (li, value)
        return value

    def location(self, path: Path, rng: TextRange) -> types.Location:
        return types.Location(uri=self.uri_of(path), range=self.range(path, rng))

    # LSP -> model.
    def pos(self, path: Path, position: types.Position) -> Pos:
        return from_lsp_position(self.line_index(path), position, self.encoding)

    def text_range(self, path: Path, rng: types.Range) -> TextRange:
        return from_lsp_range(self.line_index(path), rng, self.encoding)

    # ------------------------------------------------------------------------------------------
    # Findings.
    def diagnostic(self, f: Finding, severity: Severity | None = None) -> types.Diagnostic:
        related = [
            types.DiagnosticRelatedInformation(location=self.location(r.path, r.range), message=r.message)
            for r in f.related
        ]
        return types.Diagnostic(
            range=self.range(f.path, f.range),
            message=f.message,
            severity=_SEVERITY[severity or f.severity],
            code=f.code,
            code_description=types.CodeDescription(href=CODES_URL),
            source=SOURCE,
            related_information=related or None,
            data=f.data,
        )

    # ------------------------------------------------------------------------------------------
    # ide/ results.
    def locations(self, locs: Iterable[Any]) -> list[types.Location]:
        return [self.location(loc.path, loc.range) for loc in locs]

    def hover(self, path: Path, h: Any, markdown: bool = True) -> types.Hover:
        kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
        return types.Hover(contents=types.MarkupContent(kind=kind, value=h.markdown), range=self.range(path, h.range))

    def completion_item(self, path: Path, item: Any, commit_characters: bool = True) -> types.CompletionItem:
        rng = self.range(path, item.replace_range)
        chars = list(getattr(item, "commit_characters", ()) or ()) if commit_characters else []
        return types.CompletionItem(
            label=item.label,
            kind=_COMPLETION_KIND.get(item.kind, types.CompletionItemKind.Text),
            detail=item.detail,
            sort_text=item.sort_text,
            filter_text=item.insert_text if item.insert_text != item.label else None,
            text_edit=types.TextEdit(range=rng, new_text=item.insert_text),
            commit_characters=chars or None,
        )

    def text_edit(self, path: Path, e: Any) -> types.TextEdit:
        return types.TextEdit(range=self.range(path, e.range), new_text=e.new_text)

    def document_symbol(self, s: Any) -> types.DocumentSymbol:
        li = self.line_index(s.path)
        return self._document_symbol(s, s.path, li, self._ascii(s.path, li))

    def _document_symbol(self, s: Any, path: Path, li: LineIndex, ascii_text: bool) -> types.DocumentSymbol:
        # One line index for the whole tree: a generated stack file's outline has hundreds of
        # thousands of symbols, and a lookup by Path per range costs more than the range.
        if s.path is not path:
            if s.path != path:
                li = self.line_index(s.path)
                ascii_text = self._ascii(s.path, li)
            path = s.path  # Children share their parent's Path object: `is` from here on.
        return types.DocumentSymbol(
            name=s.name or "?",
            kind=_SYMBOL_KIND.get(s.kind, types.SymbolKind.Object),
            detail=s.detail,
            range=self._range(li, ascii_text, s.range),
            selection_range=self._range(li, ascii_text, s.selection_range),
            children=[self._document_symbol(c, path, li, ascii_text) for c in s.children] or None,
        )

    def document_symbols_json(self, symbols: Iterable[Any]) -> str:
        """`document_symbol` of each of `symbols`, as the JSON text LSP sends.

        A generated stack file's outline has hundreds of thousands of symbols: lsprotocol
        objects and their cattrs unstructuring cost several times the outline itself, and so
        do plain dicts written by `json.dumps`, so the text is written here (ASCII, strings
        escaped by the json module's C escaper) and sent as it is (see `server.RawResult`)."""
        out: list[str] = []
        esc = _JsonStrings()
        for i, s in enumerate(symbols):
            if i:
                out.append(",")
            li = self.line_index(s.path)
            self._symbol_text(s, s.path, li, self._ascii(s.path, li), out, esc)
        return "[" + "".join(out) + "]"

    def _symbol_text(self, s: Any, path: Path, li: LineIndex, ascii_text: bool, out: list[str],
                     esc: _JsonStrings) -> None:
        if s.path is not path:
            if s.path != path:
                li = self.line_index(s.path)
                ascii_text = self._ascii(s.path, li)
            path = s.path  # Children share their parent's Path object: `is` from here on.
        kind = _SYMBOL_KIND_VALUE.get(s.kind, 19)
        detail = "" if s.detail is None else f',"detail":{esc(s.detail)}'
        out.append(f'{{"name":{esc(s.name or "?")},"kind":{kind}{detail},"range":{self._range_text(li, ascii_text, s.range)},'
                   f'"selectionRange":{self._range_text(li, ascii_text, s.selection_range)}')
        children = s.children
        if children:
            out.append(',"children":[')
            first = True
            for c in children:
                if not first:
                    out.append(",")
                first = False
                self._symbol_text(c, path, li, ascii_text, out, esc)
            out.append("]")
        out.append("}")

    def _range_text(self, li: LineIndex, ascii_text: bool, rng: TextRange) -> str:
        """`_range` as LSP's JSON text."""
        start, end = rng.start, rng.end
        if ascii_text and start.line == end.line:
            # The common case, without `_clamp`'s objects: a one-line range inside its line.
            lines = li.lines
            line, sc, ec = start.line, start.col, end.col
            if 0 <= line < len(lines) and 0 <= sc <= ec:
                text = lines[line]
                n = len(text) - 1 if text.endswith("\r") else len(text)
                if ec <= n:
                    return (f'{{"start":{{"line":{line},"character":{sc}}},'
                            f'"end":{{"line":{line},"character":{ec}}}}}')
        start, end = _clamp(li, start), _clamp(li, end)
        if (end.line, end.col) < (start.line, start.col):
            end = start
        if ascii_text:
            return (f'{{"start":{{"line":{start.line},"character":{start.col}}},'
                    f'"end":{{"line":{end.line},"character":{end.col}}}}}')
        p, q = to_lsp_position(li, start, self.encoding), to_lsp_position(li, end, self.encoding)
        return (f'{{"start":{{"line":{p.line},"character":{p.character}}},'
                f'"end":{{"line":{q.line},"character":{q.character}}}}}')

    def symbol_information(self, s: Any, container: str | None = None) -> list[types.SymbolInformation]:
        """A symbol and its children, flattened (for clients without hierarchical symbols)."""
        out = [
            types.SymbolInformation(
                name=s.name or "?",
                kind=_SYMBOL_KIND.get(s.kind, types.SymbolKind.Object),
                location=self.location(s.path, s.range),
                container_name=container,
            )
        ]
        for c in s.children:
            out.extend(self.symbol_information(c, s.name))
        return out

    def workspace_symbol(self, s: Any) -> types.WorkspaceSymbol:
        return types.WorkspaceSymbol(
            name=s.name or "?",
            kind=_SYMBOL_KIND.get(s.kind, types.SymbolKind.Object),
            location=self.location(s.path, s.selection_range),
            container_name=s.detail,
        )

    def document_link(self, path: Path, link: Any, tooltip: bool = True) -> types.DocumentLink:
        return self.document_links(path, [link], tooltip)[0]

    def document_links(self, path: Path, links: Iterable[Any], tooltip: bool = True) -> list[types.DocumentLink]:
        """The links of one document (see `document_links_json`)."""
        li = self.line_index(path)
        ascii_text = self._ascii(path, li)
        targets: dict[tuple[Path, Any], str] = {}
        return [types.DocumentLink(range=self._range(li, ascii_text, link.range), target=self._link_target(link, targets),
                                   tooltip=link.tooltip if tooltip else None) for link in links]

    def document_links_json(self, path: Path, links: Iterable[Any], tooltip: bool = True) -> str:
        """`document_links` as the JSON text LSP sends (a generated stack file has a link per
        handler string: see `document_symbols_json`). Each target (a handful of files,
        thousands of links) is converted once."""
        li = self.line_index(path)
        ascii_text = self._ascii(path, li)
        targets: dict[tuple[Path, Any], str] = {}
        esc = _JsonStrings()
        out: list[str] = []
        for link in links:
            tip = f',"tooltip":{esc(link.tooltip)}' if tooltip and link.tooltip is not None else ""
            out.append(f'{{"range":{self._range_text(li, ascii_text, link.range)},'
                       f'"target":{esc(self._link_target(link, targets))}{tip}}}')
        return "[" + ",".join(out) + "]"

    def _link_target(self, link: Any, targets: dict[tuple[Path, Any], str]) -> str:
        key = (link.target, link.target_range)
        target = targets.get(key)
        if target is None:
            target = self.uri_of(link.target)
            if link.target_range is not None:
                # VS Code opens `file:///x.ts#L12,5` at line 12, column 5 (1-based); others ignore it.
                p = self.position(link.target, link.target_range.start)
                target += f"#L{p.line + 1},{p.character + 1}"
            targets[key] = target
        return target

    def json_argument(self, path: Path, value: Any) -> Any:
        """Command arguments from ide/ (plain data with code-point columns) for the client:
        `{"path", "range"}` becomes an LSP Location, `{"line", "col"}` an LSP Position in
        `path`, any other `path` string a URI."""
        if isinstance(value, dict):
            p = value.get("path")
            r = value.get("range")
            if isinstance(p, str) and isinstance(r, dict) and set(value) <= {"path", "range"}:
                target = Path(p)
                tr = _range_from_dict(r)
                if tr is not None:
                    loc = self.location(target, tr)
                    return {"uri": loc.uri, "range": _range_json(loc.range)}
            if set(value) == {"line", "col"} and all(isinstance(v, int) for v in value.values()):
                pos = self.position(path, Pos(value["line"], value["col"]))
                return {"line": pos.line, "character": pos.character}
            out = {}
            for k, v in value.items():
                if k == "path" and isinstance(v, str):
                    out["uri"] = self.uri_of(Path(v))
                else:
                    out[k] = self.json_argument(path, v)
            return out
        if isinstance(value, (list, tuple)):
            return [self.json_argument(path, v) for v in value]
        if isinstance(value, Path):
            return self.uri_of(value)
        if isinstance(value, Pos):
            pos = self.position(path, value)
            return {"line": pos.line, "character": pos.character}
        if isinstance(value, TextRange):
            return _range_json(self.range(path, value))
        if hasattr(value, "path") and hasattr(value, "range") and isinstance(value.path, Path):
            loc = self.location(value.path, value.range)
            return {"uri": loc.uri, "range": _range_json(loc.range)}
        return value


def _range_from_dict(r: dict[str, Any]) -> TextRange | None:
    try:
        s, e = r["start"], r["end"]
        return TextRange(Pos(int(s["line"]), int(s["col"])), Pos(int(e["line"]), int(e["col"])))
    except (KeyError, TypeError, ValueError):
        return None


def _range_json(r: types.Range) -> dict[str, dict[str, int]]:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }
