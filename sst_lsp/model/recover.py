"""Facts of a file that does not parse (layer 2: model): the last good facts, kept where the
text did not change.

A missing `}` mid-edit makes tree-sitter's error recovery nest everything after it somewhere
else: the routes of an Api become entries of its `defaults`, a stack's constructs fall out of
the stack function, and every diagnostic, symbol and hover of the file would go away while the
user types. rust-analyzer keeps the editor "partially available even when the build is broken";
we do the same per file: `keep_good_facts` merges the facts of the file's last version that
parsed without errors with the facts of the current text.

The texts are compared by lines (common prefix and suffix): what the old facts say about lines
outside the changed middle still holds, moved by the number of lines the edit added or removed;
what sits entirely inside the changed middle comes from the new parse (the user may be typing a
new route there). Syntax errors, the unresolved count and the calls are the new text's.

What a call of the file reached in another file (a helper's literals) has no line of this file:
the good facts' are kept as they are, never moved, and the new text's are added. The good facts
must then be those of the good text read with the other files as they are now (the index
extracts the good text again when a file it read changed), or the result would depend on the
order of the edits.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sst_lsp.model.types import FileFacts
from sst_lsp.syntax.text import Pos, TextRange


@dataclasses.dataclass(frozen=True, slots=True)
class LineMap:
    """Where the lines of an old text went in a new one: `prefix` lines equal at the start,
    `suffix` lines equal at the end, the middle replaced."""

    prefix: int
    old_end: int  # First old line of the common suffix.
    new_end: int  # First new line of the common suffix.

    @property
    def delta(self) -> int:
        return self.new_end - self.old_end

    @staticmethod
    def between(old: str, new: str) -> LineMap:
        a, b = old.split("\n"), new.split("\n")
        n = min(len(a), len(b))
        p = 0
        while p < n and a[p] == b[p]:
            p += 1
        s = 0
        while s < n - p and a[-1 - s] == b[-1 - s]:
            s += 1
        return LineMap(p, len(a) - s, len(b) - s)

    def old_in_middle(self, line: int) -> bool:
        return self.prefix <= line < self.old_end

    def new_in_middle(self, line: int) -> bool:
        return self.prefix <= line < self.new_end

    def pos(self, p: Pos) -> Pos:
        if p.line < self.prefix:
            return p
        if p.line >= self.old_end:
            return Pos(p.line + self.delta, p.col) if self.delta else p
        # Inside the replaced middle: the same line when the middle still has it, else the
        # start of the first line after it.
        if p.line < self.new_end:
            return p
        return Pos(self.new_end, 0)


def keep_good_facts(good_text: str, good: FileFacts, text: str, new: FileFacts) -> FileFacts:
    """The facts of `text` (which has syntax errors, parsed into `new`), with what `good` (the
    facts of `good_text`, which parsed) knows about the lines the edit left alone."""
    lm = LineMap.between(good_text, text)
    # As many lines as before: every kept position is where it was.
    shift: Any = _Shifter(lm) if lm.delta else (lambda x: x)
    path = new.path

    def merge(old_items: tuple[Any, ...], new_items: tuple[Any, ...]) -> tuple[Any, ...]:
        # What sits in another file (a helper's literal that a call of this file reached) has
        # no line of this file: the good facts' are kept (the caller must have extracted them
        # with the other files as they are now), and the new text's that differ are added.
        kept = [x if _elsewhere(x, path) else shift(x) for x in old_items
                if _elsewhere(x, path) or not _inside(x, lm.old_in_middle)]
        fresh = [x for x in new_items if not _elsewhere(x, path) and _inside(x, lm.new_in_middle)]
        foreign = {x for x in kept if _elsewhere(x, path)}
        fresh.extend(x for x in new_items if _elsewhere(x, path) and x not in foreign)
        if not fresh:
            return tuple(kept)
        out = kept + fresh
        out.sort(key=_start_key)
        return tuple(out)

    return dataclasses.replace(
        new,
        imports=merge(good.imports, new.imports),
        stacks=merge(good.stacks, new.stacks),
        registrations=merge(good.registrations, new.registrations),
        constructs=merge(good.constructs, new.constructs),
        handlers=merge(good.handlers, new.handlers),
        routes=merge(good.routes, new.routes),
        app_default_function_props=merge(good.app_default_function_props, new.app_default_function_props),
        config=new.config if good.config is None else shift(good.config),
        is_entry=good.is_entry or new.is_entry,
        default_export=good.default_export or new.default_export,
        export_aliases=tuple(dict.fromkeys(good.export_aliases + new.export_aliases)),
        called=tuple(sorted(set(good.called) | set(new.called))),
        interpreted=tuple(dict.fromkeys(good.interpreted + new.interpreted)),
        expanded=good.expanded or new.expanded,
    )


def _elsewhere(x: Any, path: Any) -> bool:
    """True for a fact written in another file than `path` (it has a `path` of its own)."""
    p = getattr(x, "path", None)
    return p is not None and p != path


def _range_of(x: Any) -> TextRange | None:
    r = getattr(x, "range", None)
    return r if isinstance(r, TextRange) else None


def _inside(x: Any, in_middle: Any) -> bool:
    """True when `x` lies entirely in the changed middle (as `in_middle` tells for lines)."""
    r = _range_of(x)
    if r is None:
        return False
    return bool(in_middle(r.start.line) and in_middle(r.end.line))


def _start_key(x: Any) -> tuple[int, int]:
    r = _range_of(x)
    return (r.start.line, r.start.col) if r is not None else (-1, -1)


class _Shifter:
    """Moves every position inside a (frozen dataclass) fact through a `LineMap`; objects that
    need no change are returned as they are (shared sub-objects stay shared)."""

    def __init__(self, lm: LineMap) -> None:
        self.lm = lm
        self._memo: dict[int, Any] = {}

    def __call__(self, x: Any) -> Any:
        lm = self.lm
        if isinstance(x, Pos):
            return lm.pos(x)
        if isinstance(x, TextRange):
            # Nothing at or after the edit: the range is unchanged (the common case, cheap).
            if x.end.line < lm.prefix:
                return x
            s, e = lm.pos(x.start), lm.pos(x.end)
            return x if (s is x.start and e is x.end) else TextRange(s, max(s, e))
        if isinstance(x, tuple):
            items = [self(v) for v in x]
            return x if all(a is b for a, b in zip(items, x)) else tuple(items)
        if dataclasses.is_dataclass(x) and not isinstance(x, type):
            got = self._memo.get(id(x))
            if got is not None:
                return got[1]
            r = _range_of(x)
            if r is not None and r.end.line < lm.prefix:
                out = x  # Entirely before the edit: every position inside is unchanged.
            else:
                changes = {}
                for f in dataclasses.fields(x):
                    v = getattr(x, f.name)
                    nv = self(v)
                    if nv is not v:
                        changes[f.name] = nv
                out = dataclasses.replace(x, **changes) if changes else x
            self._memo[id(x)] = (x, out)  # Keeps `x` alive, so its id is not reused.
            return out
        return x
