"""The frozen dataclasses with a hand-made `__init__` (model/types.py `_quick_init`, the
positions of syntax/text.py) take the same arguments, defaults included, as the generated one,
stay frozen, and pickle (the check cache stores them)."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from pathlib import Path

import pytest

from sst_lsp.model.types import Entry, HandlerRef, RouteKey, Value
from sst_lsp.syntax.text import Pos, TextRange


@pytest.mark.parametrize("cls", [Pos, TextRange, Value, Entry, HandlerRef, RouteKey])
def test_parameters_are_the_fields(cls: type) -> None:
    params = list(inspect.signature(cls).parameters.values())
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields):
        assert p.default is (inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default)


def test_values_are_frozen_equal_and_pickle() -> None:
    r = TextRange.of(1, 2, 1, 5)
    v = Value("object", r, entries=(Entry("a", r, Value("string", r, "x")),), partial=True)
    assert v == Value("object", r, None, (Entry("a", r, Value("string", r, value="x")),), (), "", True, True, None)
    assert pickle.loads(pickle.dumps(v)) == v
    assert hash(v) == hash(pickle.loads(pickle.dumps(v)))
    h = HandlerRef("src/a.main", Path("/app/stacks/A.ts"), r, "Function", None, route="GET /")
    assert pickle.loads(pickle.dumps(h)) == h
    assert dataclasses.replace(h, route=None).route is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.kind = "string"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.start = Pos(0, 0)  # type: ignore[misc]
    assert Pos(1, 2) < Pos(1, 3)
