"""Snapshot of the model extracted from each fixture app (expected_model.json beside it).

Regenerate after an intended change with `UPDATE_EXPECT=1 python -m pytest tests/model/test_extract_snapshot.py`
and review the diff.
"""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURE_APPS, compare_with_expected_model

APPS = sorted(p.name for p in FIXTURE_APPS.iterdir() if p.is_dir())


@pytest.mark.parametrize("app", APPS)
def test_model_matches_expected(app: str) -> None:
    compare_with_expected_model(FIXTURE_APPS / app)
