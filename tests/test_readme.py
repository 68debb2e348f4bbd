"""The README documents every public diagnostic code and every setting (it must stay current)."""

from __future__ import annotations

from pathlib import Path

from sst_lsp.analyzers import all_codes

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_diagnostic_code_is_in_the_readme_table() -> None:
    codes = all_codes()
    assert len(codes) >= 16
    missing = [c for c in codes if f"| `{c}` | {codes[c].severity} |" not in README]
    assert missing == []


def test_every_setting_is_in_the_readme() -> None:
    for key in ("sst.stage", "sst.baseline", "sst.synth.mode", "sst.aws.profile", "sst.aws.region",
                "sst.aws.endpointUrl", "sst.protectedStages", "sst.diagnostics.severity",
                "sst.diagnostics.debounceMs", "sst.exclude", "sst.server.path", "sst.server.python"):
        assert f"`{key}`" in README, key
