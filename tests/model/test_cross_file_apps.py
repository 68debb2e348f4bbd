"""Fixture apps that are programs: values, calls, loops and `use()` across files (issue 10).

Each app's inline markers are its expected diagnostics (tests/conftest.py `check_fixture_app`):
the handlers written in helper modules, constant modules and loops are reported where their
literals are, and the traps (a helper never called, a loop over items known only at run time)
report nothing.
"""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURE_APPS, check_fixture_app

APPS = ["v1-commonjs-js", "v1-lib-js", "v2-esm-js", "v2-helpers-ts", "v2-lib-routes-ts", "v3-infra-dynamic", "v3-lib-routes-ts"]


@pytest.mark.parametrize("app", APPS)
def test_cross_file_app_diagnostics_match_markers(app: str) -> None:
    findings = check_fixture_app(FIXTURE_APPS / app)
    assert findings, "each fixture app carries at least one expected diagnostic"
