"""Fixtures for the ide tests; the fixture format is described in ide_fixtures.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from ide_fixtures import Fixture, load


@pytest.fixture
def fx(tmp_path: Path):  # type: ignore[no-untyped-def]
    """`fx(text)` -> Fixture, written below this test's tmp_path."""

    def make(text: str) -> Fixture:
        return load(tmp_path.resolve(), text)

    return make
