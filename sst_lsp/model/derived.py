"""Caches of facts derived from a file's text (layer 2: model), owned by whoever drives the
analysis.

The pure readers of handler code (`handler_code.code_facts`) and of binding calls
(`bindings.binding_calls`) take a `TextMemo` argument; without one they compute afresh. The
long-lived driver (the handler resolver that the server and `check` build once, see
`resolve.HandlerResolver.derived`, a `derived_facts.DerivedFacts`) owns one per kind of fact, so a file whose text did not change
is read once across analysis runs. No module-level caches: a fresh driver starts empty.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class TextMemo(Generic[T]):
    """Values derived from (text, lang), the most recently used kept: at most `maxsize`
    entries and `max_chars` characters of key text (an edited file leaves one entry per
    keystroke's text: a count alone would keep hundreds of versions of a big file). Thread-safe:
    analyzers of several requests may read it at once."""

    __slots__ = ("_chars", "_entries", "_lock", "max_chars", "maxsize")

    def __init__(self, maxsize: int, max_chars: int = 4_000_000) -> None:
        self.maxsize = maxsize
        self.max_chars = max_chars
        self._entries: OrderedDict[tuple[str, str], T] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def chars(self) -> int:
        """Characters of key text kept."""
        return self._chars

    def get(self, text: str, lang: str, compute: Callable[[str, str], T]) -> T:
        """The value for (text, lang), computed by `compute(text, lang)` when not kept."""
        key = (text, lang)
        with self._lock:
            got = self._entries.get(key)
            if got is not None:
                self._entries.move_to_end(key)
                return got
        value = compute(text, lang)
        if len(text) > self.max_chars:
            return value  # Bigger than the whole memo: computed, not kept.
        with self._lock:
            if key not in self._entries:
                self._chars += len(text)
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize or self._chars > self.max_chars:
                (old, _lang), _ = self._entries.popitem(last=False)
                self._chars -= len(old)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0


def cached(memo: TextMemo[T] | None, text: str, lang: str, compute: Callable[[str, str], T]) -> T:
    """`compute(text, lang)`, through `memo` when there is one."""
    return compute(text, lang) if memo is None else memo.get(text, lang, compute)
