"""The analysis host: one owner of texts, revisions and caches; immutable analyses; the
language server and `sst-lsp check` see the same findings through it."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from sst_lsp.check import run_check
from sst_lsp.host import host as host_module
from sst_lsp.host.host import AnalysisHost, AnalysisOptions, apply_severity
from tests.e2e.conftest import APPS

PKG = Path(__file__).resolve().parents[2] / "sst_lsp"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A copy of the e2e fixture apps: notes (SST v2, broken handlers) and legacy (SST v1)."""
    dst = tmp_path / "ws"
    shutil.copytree(APPS, dst)
    return dst


def _key(findings: list[object]) -> list[tuple[object, ...]]:
    return sorted((f.path, f.range, f.code, f.severity, f.message) for f in findings)  # type: ignore[attr-defined]


def test_an_analysis_keeps_the_texts_of_its_revision(ws: Path) -> None:
    host = AnalysisHost([ws])
    api = ws / "notes" / "stacks" / "Api.ts"
    disk = api.read_text(encoding="utf-8")
    host.apply_change(api, disk + "\n// one\n", version=3)
    first = host.analysis()
    host.apply_change(api, disk + "\n// two\n", version=4)
    second = host.analysis()
    assert second.revision > first.revision
    assert first.text(api) == disk + "\n// one\n"
    assert second.text(api) == disk + "\n// two\n"
    assert host.versions() == {api: 4} and host.open_paths() == [api]
    host.apply_change(api, None)  # Closed: the disk counts again.
    assert host.analysis().text(api) == disk and host.versions() == {}
    assert first.text(api) == disk + "\n// one\n"


def test_check_and_the_host_agree_with_severity_overrides(ws: Path) -> None:
    overrides = {"handler-not-found": "warning", "handler-export-missing": "off"}
    host = AnalysisHost([ws])
    ours = host.analysis().findings(AnalysisOptions(stage="dev"), overrides)
    checked = run_check([ws], severity_overrides=overrides).findings
    assert ours and _key(ours) == _key(checked)
    assert {f.severity for f in ours if f.code == "handler-not-found"} == {"warning"}
    assert not any(f.code == "handler-export-missing" for f in ours)


def test_overrides_per_file_and_unknown_values(ws: Path) -> None:
    findings = AnalysisHost([ws]).analysis().findings()
    assert findings
    target = findings[0].path
    out = apply_severity(findings, lambda p: {findings[0].code: "off"} if p == target else {})
    assert not any(f.path == target and f.code == findings[0].code for f in out)
    # A value that is no severity leaves the finding as it is.
    assert apply_severity(findings, {findings[0].code: "loud"}) == findings


def test_apps_are_grouped_by_their_options(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, list[str]]] = []

    def fake_run_all(ctx: object) -> list[object]:
        seen.append((ctx.stage, sorted(a.root.name for a in ctx.snapshot.apps)))  # type: ignore[attr-defined]
        return []

    monkeypatch.setattr(host_module, "run_all", fake_run_all)
    AnalysisHost([ws]).analysis().findings(lambda app: AnalysisOptions(stage=app.root.name))
    assert sorted(seen) == [("legacy", ["legacy"]), ("notes", ["notes"])]


def test_baselines_are_loaded_once_per_setting_and_cleared(ws: Path) -> None:
    host = AnalysisHost([ws])
    analysis = host.analysis()
    # Not a git repository: no baseline, and the notes say why.
    first = analysis.baseline("git:HEAD")
    assert first.base is None and first.notes and first.missing
    assert analysis.baseline("git:HEAD") is first
    host.settings_changed()
    assert analysis.baseline("git:HEAD") is not first
    assert analysis.baseline("off").per_app == {}


def test_a_scoped_host_shares_texts_and_caches(ws: Path) -> None:
    host = AnalysisHost([ws])
    api = ws / "notes" / "stacks" / "Api.ts"
    host.apply_change(api, "// emptied\n")
    scoped = host.scoped([ws / "notes"])
    assert scoped.fs is host.fs and scoped.track_cache is host.track_cache and scoped.baselines is host.baselines
    assert [a.root.name for a in scoped.analysis().snapshot.apps] == ["notes"]
    assert scoped.analysis().text(api) == "// emptied\n"


def test_hosts_do_not_share_caches() -> None:
    a, b = AnalysisHost(), AnalysisHost()
    assert a.track_cache is not b.track_cache
    assert a.baselines is not b.baselines and a.baselines.states is not b.baselines.states


# Module-level caches of derived data that the host now owns (the files this change covers).
HOST_OWNED = ["baseline/__init__.py", "baseline/kinds.py", "host/host.py", "model/index.py", "model/files.py",
              "check.py", "server/documents.py", "server/server.py"]


@pytest.mark.parametrize("rel", HOST_OWNED)
def test_no_module_level_cache_instances(rel: str) -> None:
    tree = ast.parse((PKG / rel).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            assert not name.endswith("Cache"), f"{rel}:{node.lineno}: a module-level {name}()"
