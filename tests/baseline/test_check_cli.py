"""`sst-lsp check --baseline ...` end to end: the CLI prints the stateful findings and notes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gitkit import Repo
from test_git_baseline import V1_APP

PROJECT = Path(__file__).resolve().parents[2]


def check(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "sst_lsp", "check", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, shell=False, check=False)


def test_check_with_a_git_baseline(repo: Repo) -> None:
    repo.write(V1_APP)
    repo.commit()
    p = repo.root / "stacks/StorageStack.ts"
    p.write_text(p.read_text().replace('"Uploads"', '"Files"'))
    out = check(repo.root, "--baseline", "git:HEAD", ".")
    assert out.returncode == 0, out.stderr  # Warnings only.
    line = next(x for x in out.stdout.splitlines() if "stateful-construct-renamed" in x)
    assert line.startswith("stacks/StorageStack.ts:8:37: ")
    assert "warning stateful-construct-renamed" in line and "git:HEAD (" in line
    js = json.loads(check(repo.root, "--baseline", "git:HEAD", "--format", "json", ".").stdout)
    assert [d["code"] for d in js if d["code"].startswith("stateful")] == ["stateful-construct-renamed"]


def test_check_outside_git_notes_it_once(tmp_path: Path) -> None:
    root = tmp_path / "app"
    for rel, text in V1_APP.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    out = check(root, "--baseline", "git:HEAD", ".")
    notes = [x for x in out.stdout.splitlines() if x.startswith("note:")]
    assert len(notes) == 1 and "is not in a git repository" in notes[0]
    assert "stateful" not in out.stdout
