"""Broken workspaces degrade with a clear diagnostic or log line, never a hang or a traceback:
symlink loops, unreadable and vanishing files, a 20 MB file, 10,000 files in one folder, 500
stacks, an `sst.json` that is not JSON, an entry importing itself, a `.git` that is not a
repository, a baseline ref that does not exist.

Each case runs `sst-lsp check` in a subprocess (a traceback or a hang shows there; the timeout
only detects hangs) and, where the message comes from the index, the index in process with
the log captured.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sst_lsp.analyzers import AnalysisContext, run_all
from sst_lsp.model.index import WorkspaceIndex

REPO = Path(__file__).resolve().parents[2]

CONFIG = """import { SSTConfig } from "sst";
import { Api } from "./stacks/Api";

export default {
  config(_input) {
    return { name: "broken", region: "us-east-1" };
  },
  stacks(app) {
    app.stack(Api);
  },
} satisfies SSTConfig;
"""
STACK = """import { Api as SstApi, StackContext } from "sst/constructs";

export function Api({ stack }: StackContext) {
  new SstApi(stack, "Api", {
    routes: {
      "GET /": "src/list.main",
      "GET /missing": "src/missing.main",
    },
  });
}
"""


def app(root: Path, config: str = CONFIG, stack: str = STACK) -> Path:
    (root / "stacks").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "sst.config.ts").write_text(config, encoding="utf-8")
    (root / "stacks" / "Api.ts").write_text(stack, encoding="utf-8")
    (root / "src" / "list.ts").write_text("export const main = async () => ({});\n", encoding="utf-8")
    return root


def check(root: Path, *args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess[str], list[dict[str, object]]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([sys.executable, "-m", "sst_lsp", "check", str(root), "--format", "json", *args],
                          capture_output=True, text=True, env=env, cwd=root, check=False, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr
    items = json.loads(proc.stdout) if proc.stdout.strip() else []
    return proc, items


def codes(items: list[dict[str, object]]) -> list[tuple[str, str]]:
    return sorted((str(i["path"]), str(i["code"])) for i in items)


def in_process(root: Path) -> list[tuple[str, int]]:
    index = WorkspaceIndex([root])
    snap = index.snapshot()
    return [(f.code, f.range.start.line) for f in run_all(AnalysisContext(snapshot=snap, resolver=index.resolver))]


def test_symlink_loops(tmp_path: Path) -> None:
    root = app(tmp_path / "a")
    os.symlink(root / "stacks", root / "stacks" / "loop")  # A folder that contains itself.
    os.symlink(root / "src" / "b.ts", root / "src" / "a.ts")  # A file loop: a -> b -> a.
    os.symlink(root / "src" / "a.ts", root / "src" / "b.ts")
    os.symlink(root, root / "src" / "up")
    proc, items = check(root)
    assert proc.returncode == 1
    assert codes(items) == [("stacks/Api.ts", "handler-not-found")]


def test_stack_file_that_is_a_fifo_is_left_out_with_a_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A named pipe blocks a reader forever; a file nobody may read (chmod 000 means nothing to
    # root, who runs CI containers) ends the same way: left out, with one line saying why.
    root = app(tmp_path / "a")
    other = root / "stacks" / "Other.ts"
    os.mkfifo(other)
    cfg = CONFIG.replace('import { Api } from "./stacks/Api";\n',
                         'import { Api } from "./stacks/Api";\nimport { Other } from "./stacks/Other";\n')
    (root / "sst.config.ts").write_text(cfg.replace("app.stack(Api);", "app.stack(Api).stack(Other);"),
                                        encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="sst_lsp.model.index"):
        got = in_process(root)
    assert ("handler-not-found", 6) in got
    assert any("Other.ts is left out of the app: it is not a regular file" in r.getMessage() for r in caplog.records)
    _proc, items = check(root)
    assert ("stacks/Api.ts", "handler-not-found") in codes(items)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_stack_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = app(tmp_path / "a")
    (root / "stacks" / "Api.ts").chmod(0)
    try:
        with caplog.at_level(logging.WARNING, logger="sst_lsp.model.index"):
            in_process(root)
        assert any("cannot be read" in r.getMessage() for r in caplog.records)
        check(root)
    finally:
        (root / "stacks" / "Api.ts").chmod(0o644)


def test_file_deleted_between_listing_and_reading(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = app(tmp_path / "a")
    index = WorkspaceIndex([root])
    # The listings are read (and cached) first, as indexing does; then the file goes.
    assert index.fs.is_file(root / "stacks" / "Api.ts")
    (root / "stacks" / "Api.ts").unlink()
    with caplog.at_level(logging.WARNING, logger="sst_lsp.model.index"):
        snap = index.snapshot()
    assert snap.apps and snap.apps[0].handlers == ()
    assert any("Api.ts is left out of the app: it was deleted" in r.getMessage() for r in caplog.records)


def test_a_20_mb_stack_file_is_left_out_with_a_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = app(tmp_path / "a")
    big = STACK + "// " + "x" * 100 + "\n"
    with open(root / "stacks" / "Api.ts", "w", encoding="utf-8") as f:
        f.write(big)
        line = "// " + "y" * 1020 + "\n"
        f.writelines(line for _ in range(20 * 1024))
    assert (root / "stacks" / "Api.ts").stat().st_size > 20 * 1024 * 1024
    with caplog.at_level(logging.WARNING, logger="sst_lsp.model.index"):
        in_process(root)
    assert any("larger than 16 MB" in r.getMessage() for r in caplog.records)
    proc, items = check(root)
    assert proc.returncode == 0 and items == []


def test_10000_files_in_one_folder(tmp_path: Path) -> None:
    routes = "\n".join(f'      "GET /r{i}": "src/h{i}.main",' for i in range(0, 10_000, 100))
    root = app(tmp_path / "a", stack=STACK.replace('      "GET /": "src/list.main",', routes))
    for i in range(10_000):
        (root / "src" / f"h{i}.ts").write_text("export const main = async () => ({});\n", encoding="utf-8")
    _proc, items = check(root)
    assert codes(items) == [("stacks/Api.ts", "handler-not-found")]


def test_an_app_with_500_stacks(tmp_path: Path) -> None:
    root = tmp_path / "a"
    (root / "stacks").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "list.ts").write_text("export const main = async () => ({});\n", encoding="utf-8")
    names = [f"S{i:03d}" for i in range(500)]
    imports = "".join(f'import {{ {n} }} from "./stacks/{n}";\n' for n in names)
    regs = "".join(f"    app.stack({n});\n" for n in names)
    (root / "sst.config.ts").write_text(
        f'{imports}\nexport default {{\n  config() {{\n    return {{ name: "many", region: "us-east-1" }};\n  }},\n'
        f"  stacks(app) {{\n{regs}  }},\n}};\n", encoding="utf-8")
    for n in names:
        handler = "src/missing.main" if n == "S250" else "src/list.main"
        (root / "stacks" / f"{n}.ts").write_text(
            f'import {{ Function, StackContext }} from "sst/constructs";\n\nexport function {n}({{ stack }}: StackContext) {{\n'
            f'  new Function(stack, "Fn", {{ handler: "{handler}" }});\n}}\n', encoding="utf-8")
    proc, items = check(root, "--stats")
    assert codes(items) == [("stacks/S250.ts", "handler-not-found")]
    assert "stacks=500" in proc.stderr


def test_sst_json_that_is_not_json(tmp_path: Path) -> None:
    root = tmp_path / "a"
    root.mkdir()
    (root / "sst.json").write_text('{ "name": "x", ', encoding="utf-8")
    proc, items = check(root)
    assert proc.returncode == 1
    (item,) = items
    assert item["code"] == "config-invalid" and "JSON" in str(item["message"])


def test_entry_importing_itself(tmp_path: Path) -> None:
    cfg = CONFIG.replace('import { Api } from "./stacks/Api";\n',
                         'import { Api } from "./stacks/Api";\nimport "./sst.config";\nexport * from "./sst.config";\n')
    root = app(tmp_path / "a", config=cfg)
    stack = STACK.replace('import { Api as SstApi', 'import "./Api";\nimport { Api as SstApi')
    (root / "stacks" / "Api.ts").write_text(stack, encoding="utf-8")
    _proc, items = check(root)
    assert codes(items) == [("stacks/Api.ts", "handler-not-found")]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_dot_git_that_is_not_a_repository(tmp_path: Path) -> None:
    root = app(tmp_path / "a")
    (tmp_path / ".git").write_text("gitdir: /nowhere/at/all\n", encoding="utf-8")
    (root / ".git").mkdir()  # An empty folder: not a repository either.
    proc, items = check(root, "--baseline", "git:HEAD")
    assert proc.returncode == 1
    assert codes(items) == [("stacks/Api.ts", "handler-not-found")]
    required, _ = check(root, "--baseline", "git:HEAD", "--baseline-required")
    assert required.returncode == 2
    assert "cannot be loaded" in required.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_baseline_ref_that_does_not_exist(tmp_path: Path) -> None:
    root = app(tmp_path / "a")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    proc, items = check(root, "--baseline", "git:nosuchref")
    assert proc.returncode == 1 and codes(items) == [("stacks/Api.ts", "handler-not-found")]
    required, _ = check(root, "--baseline", "git:nosuchref", "--baseline-required")
    assert required.returncode == 2
    assert 'baseline git:nosuchref cannot be loaded: No baseline: "nosuchref" does not name a commit' in required.stderr
    ok, _ = check(root, "--baseline", "git:HEAD", "--baseline-required")
    assert ok.returncode == 1  # Loaded: the usual exit code (an error is reported).
    for bad in ("nonsense", "assembly:"):
        usage, _ = check(root, "--baseline", bad)
        assert usage.returncode == 2 and "sst-lsp: error:" in usage.stderr
    gone, _ = check(root, "--baseline", "assembly:/nope", "--baseline-required")
    assert gone.returncode == 2 and "the assembly /nope does not exist" in gone.stderr


def test_invalid_stage_is_refused_by_check(tmp_path: Path) -> None:
    root = app(tmp_path / "a")
    proc, _ = check(root, "--stage", "dev;rm -rf /")
    assert proc.returncode == 2
    assert "Invalid stage name 'dev;rm -rf /'" in proc.stderr
