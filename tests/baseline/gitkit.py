"""Helpers for baseline tests: git repositories built in temporary directories (git through
subprocess argv lists, identity given with -c), and a one-call check of the stateful analyzer
against a baseline."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from sst_lsp.analyzers import stateful
from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.baseline import Baseline, BaselineCache, StageReader, load_baselines
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import Finding
from sst_lsp.syntax.text import LineIndex, TextRange

#: Identity and settings for commits made by tests (no user config is needed or read).
GIT_CONFIG = (
    "-c", "user.name=sst-lsp tests",
    "-c", "user.email=tests@example.invalid",
    "-c", "commit.gpgsign=false",
    "-c", "init.defaultBranch=main",
    "-c", "core.hooksPath=/dev/null",
)


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *GIT_CONFIG, *args], cwd=cwd, capture_output=True, check=True, shell=False)
    return proc.stdout.decode()


class Repo:
    """A git repository in a temporary directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "-q")

    def write(self, files: dict[str, str]) -> None:
        for rel, text in files.items():
            p = self.root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def remove(self, *rels: str) -> None:
        for rel in rels:
            (self.root / rel).unlink()

    def commit(self, message: str = "commit") -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)
        return git(self.root, "rev-parse", "HEAD").strip()


class Checked:
    """The result of `run`: findings, notes and the baselines used."""

    def __init__(self, findings: list[Finding], notes: list[str], baseline: Baseline | None,
                 per_app: dict[Path, Baseline | None]) -> None:
        self.findings = findings
        self.notes = notes
        self.baseline = baseline
        self.per_app = per_app

    def codes(self) -> list[str]:
        return sorted(f.code for f in self.findings)

    def only(self, code: str) -> Finding:
        got = [f for f in self.findings if f.code == code]
        assert len(got) == 1, [(f.code, f.message) for f in self.findings]
        return got[0]


def run(app_root: Path, spec: str = "git:HEAD", *, cache: BaselineCache | None = None,
        stage_reader: StageReader | None = None, stage: str = "dev", cwd: Path | None = None) -> Checked:
    """The stateful analyzer's findings for the app(s) under `app_root` against `spec`."""
    index = WorkspaceIndex([app_root])
    snap = index.snapshot()
    first, per_app, notes = load_baselines(
        spec, snap, index.fs, cache=cache or BaselineCache(), stage_reader=stage_reader, cwd=cwd
    )
    ctx = AnalysisContext(snapshot=snap, resolver=index.resolver, stage=stage, baseline=first,
                          baselines=dict(per_app))
    findings = sorted(stateful.analyze(ctx), key=Finding.sort_key)
    return Checked(findings, notes, first, per_app)


def range_of(path: Path, needle: str, nth: int = 0) -> TextRange:
    """The range of the `nth` occurrence of `needle` (a quoted id: the range inside the quotes)."""
    text = path.read_text(encoding="utf-8")
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    if needle.startswith('"') and needle.endswith('"'):
        start += 1
        needle = needle[1:-1]
    li = LineIndex(text)
    return TextRange(li.pos_at(start), li.pos_at(start + len(needle)))
