"""The text-derived caches one analysis driver owns (layer 2: model; see `derived`).

Apart from `derived` so that the readers (`handler_code`, `bindings`) import the memo type and
this module imports the readers' result types, one way.
"""

from __future__ import annotations

from sst_lsp.model.bindings import BindingCall
from sst_lsp.model.derived import TextMemo
from sst_lsp.model.handler_code import CodeFacts


class DerivedFacts:
    """The text-derived caches one analysis driver owns (see the module)."""

    __slots__ = ("binding_calls", "code_facts")

    def __init__(self) -> None:
        #: `handler_code.code_facts` of handler files (what links, references and hover read).
        self.code_facts: TextMemo[CodeFacts] = TextMemo(1024)
        #: `bindings.binding_calls` of stack and config files.
        self.binding_calls: TextMemo[tuple[BindingCall, ...]] = TextMemo(512)
