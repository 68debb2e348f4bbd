"""What one extraction of a file carries to the next (layer 2: model).

An `ExtractMemo` keeps, per file, the byte spans of the last parse's captures (a `reparse` then
queries only the ranges its edit touched: `extract_query.captures`), the products of each
`new X(...)` (see `constructs.new_construct`) and of each call of another module's function
(see `expand.run_call`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from sst_lsp.model.evaluate import Lookup
from sst_lsp.model.types import Construct, HandlerRef, RouteKey
from sst_lsp.syntax.text import TextRange

#: Memo entries kept at least (beyond the current extraction's): edits that go back and forth
#: (undo, toggling a character) find the earlier products still there.
MEMO_MIN_ENTRIES = 256

#: Products kept per `new` expression (its key), for different values of what they read: the
#: first one remembered (the state before an edit began: an undo, a toggle back, finds it) and
#: the latest others. An edit of a constant other modules read, then of something else, then
#: finds the product for the constant's value as it is again.
MEMO_ALTERNATIVES = 3


@dataclass(slots=True, eq=False)
class Product:
    """What one `new X(...)` contributed to a file's facts, and what it depended on."""

    construct: Construct
    handlers: tuple[HandlerRef, ...]
    routes: tuple[RouteKey, ...]
    unresolved: int
    lookups: tuple[Lookup, ...]
    #: `by_var` keys the handler extraction checked, with whether they were present.
    var_checks: tuple[tuple[tuple[str | None, str], bool], ...]


@dataclass(slots=True, eq=False)
class CallProduct:
    """What running one call of another module's function contributed, and the lookups the
    callee's evaluator made in its body (relative to the function)."""

    constructs: tuple[Construct, ...]
    handlers: tuple[HandlerRef, ...]
    routes: tuple[RouteKey, ...]
    unresolved: int
    interpreted: tuple[Path, TextRange]
    lookups: tuple[Lookup, ...]


#: (callee module, function start row and code-point column, function text, the module's
#: imports, the call's place (stack, branch), its argument values, the bound constructs as the
#: body can read them).
CallKey = tuple[object, ...]


#: (text, start row, start byte column, start code-point column, the file's imports (see
#: `FileContext.imports_key`), enclosing stack, variable name) of a `new` expression. Not its branch, which
#: holds byte offsets that any edit above shifts: a remembered product gets the current branch
#: (nothing else depends on it).
MemoKey = tuple[str, int, int, int, str, "str | None", "str | None"]


class Keyed:
    """A memo key (a `MemoKey` or `CallKey`) with its hash computed once: a key holds the text of a construct or function
    (kilobytes in a large stack), and a hit looks it up, then moves it to the end."""

    __slots__ = ("_hash", "key")

    def __init__(self, key: tuple[object, ...]) -> None:
        self.key = key
        self._hash = hash(key)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Keyed) and self._hash == other._hash and (
            self.key is other.key or self.key == other.key)


class ExtractMemo:
    """The products of one file's `new` expressions, carried from one extraction to the next,
    and the query's captures of the parse last extracted: when the next parse is a `reparse` of
    that one, only the ranges its edit touched are queried again.

    Keep one per file and pass it to every `extract` of that file. It is bounded: the entries of
    the latest extraction plus the most recently used older ones, up to `MEMO_MIN_ENTRIES` or
    twice the latest extraction's, whichever is more. Not thread-safe: one extraction at a time.
    """

    __slots__ = ("_calls", "_entries", "_spans", "call_hits", "hits", "lang", "misses", "path", "queried", "serial")

    def __init__(self) -> None:
        self.path: Path | None = None
        self.lang: str | None = None
        self._entries: OrderedDict[Keyed, tuple[Product, ...]] = OrderedDict()
        self._calls: OrderedDict[Keyed, CallProduct] = OrderedDict()
        #: Calls whose product the latest extraction reused (for measurements and tests).
        self.call_hits = 0
        # The serial of the parse last extracted, and the byte spans of its query captures.
        self.serial: int | None = None
        self._spans: dict[str, list[tuple[int, int]]] | None = None
        #: Reused and evaluated `new` expressions in the latest extraction (for measurements).
        self.hits = 0
        self.misses = 0
        #: "full" or "incremental": how the latest extraction ran the query.
        self.queried = ""

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
        self._calls.clear()
        self.serial = self._spans = None
        self.hits = self.misses = self.call_hits = 0

    def _bind(self, path: Path, lang: str) -> None:
        if self.path != path or self.lang != lang:
            self.clear()
            self.path, self.lang = path, lang
        self.hits = self.misses = self.call_hits = 0

    def _get(self, key: Keyed) -> tuple[Product, ...]:
        """The products remembered for `key`: the first one remembered, then the most recently
        used first."""
        return self._entries.get(key, ())

    def _put(self, key: Keyed, product: Product) -> None:
        """Remembers `product` for `key` as the most recently used (see `MEMO_ALTERNATIVES`)."""
        old = self._entries.get(key)
        if not old:
            self._entries[key] = (product,)
        elif product is not old[0]:
            recent = (product, *(p for p in old[1:] if p is not product))
            self._entries[key] = (old[0], *recent[:MEMO_ALTERNATIVES - 1])
        self._entries.move_to_end(key)

    def _get_call(self, key: Keyed) -> CallProduct | None:
        return self._calls.get(key)

    def _put_call(self, key: Keyed, product: CallProduct) -> None:
        if self._calls.get(key) is not product:
            self._calls[key] = product
        self._calls.move_to_end(key)

    def _trim(self, used: int) -> None:
        limit = max(MEMO_MIN_ENTRIES, 2 * used)
        while len(self._entries) > limit:
            self._entries.popitem(last=False)
        while len(self._calls) > MEMO_MIN_ENTRIES:
            self._calls.popitem(last=False)
