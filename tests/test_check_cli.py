"""`sst-lsp check`: output formats, columns, statistics and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sst_lsp.cli import main
from tests.conftest import FIXTURE_APPS, fixture_markers

REPO = Path(__file__).resolve().parent.parent
V1 = FIXTURE_APPS / "v1-functional-ts"
V2 = FIXTURE_APPS / "v2-monorepo"
#: The diagnostics the v2 fixture app expects (its inline markers).
V2_MARKED = fixture_markers(V2)


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture apps these tests check, copied: a cached check writes `.sst-lsp/cache/` into
    each app it checks, which must not land in tests/fixtures."""
    root = tmp_path_factory.mktemp("apps")
    for src in (V1, V2):
        shutil.copytree(src, root / src.name, ignore=shutil.ignore_patterns(".sst-lsp"))
    return root


@pytest.fixture(autouse=True)
def use_copies(copies: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = sys.modules[__name__]
    monkeypatch.setattr(here, "APPS", copies)
    monkeypatch.setattr(here, "V1", copies / V1.name)
    monkeypatch.setattr(here, "V2", copies / V2.name)


#: Where the tests find the apps (their copies, see `use_copies`).
APPS = FIXTURE_APPS


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    return root


def test_text_format(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(APPS)
    code, out, _err = run(["v2-monorepo"], capsys)
    assert code == 1
    lines = out.strip().split("\n")
    assert "v2-monorepo/stacks/Unused.ts:3:17: warning stack-not-registered: " in out
    assert "v2-monorepo/sst.config.ts:20:15: error duplicate-stack-id: " in out
    errors = sum(1 for m in V2_MARKED if m.severity == "error")
    warnings = sum(1 for m in V2_MARKED if m.severity == "warning")
    assert (errors, warnings) == (10, 1)
    assert lines[-1] == f"1 app(s), 5 stack(s), 23 handler(s): {errors} error(s), {warnings} warning(s)"
    # Every finding line is `path:line:col: severity code: message`, the path relative to cwd.
    for line in lines[:-1]:
        path, ln, col, rest = line.split(":", 3)
        assert path.startswith("v2-monorepo/") and int(ln) >= 1 and int(col) >= 1
        assert rest.split(" ", 3)[1] in ("error", "warning")


def test_json_format_uses_utf16_columns(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(V2)
    code, out, _err = run([".", "--format", "json"], capsys)
    assert code == 1
    items = json.loads(out)
    assert isinstance(items, list) and len(items) == len(V2_MARKED)
    assert set(items[0]) == {"path", "range", "severity", "code", "message", "source"}
    assert all(i["source"] == "sst-lsp" for i in items)
    emoji = next(i for i in items if "emoji" in i["message"])
    # `/* ünïcødé 😀 */` precedes the handler: 😀 is one code point but two UTF-16 units.
    line = (V2 / "stacks/api/Api.ts").read_text(encoding="utf-8").split("\n")[30]
    col = line.index('"packages/functions/src/notes/emoji.handler"') + 1
    assert emoji["path"] == "stacks/api/Api.ts"
    assert emoji["range"] == {
        "start": {"line": 30, "character": col + 1},
        "end": {"line": 30, "character": col + 1 + len("packages/functions/src/notes/emoji.handler")},
    }


def test_json_text_is_what_json_dumps_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`render_json` writes its items from a template: byte for byte json's own indented text,
    for messages with quotes, backslashes, control characters and characters beyond the BMP."""
    from sst_lsp.check import CheckResult, render_json
    from sst_lsp.model.types import Finding
    from sst_lsp.syntax.text import Pos, TextRange

    monkeypatch.chdir(tmp_path)
    src = write(tmp_path, {"a b/ü.ts": 'const s = "😀";\nnew Function(stack, "F", { handler: "x" });\n'}) / "a b/ü.ts"
    messages = ['plain', 'say "hi"\\ and \u00e9 \U0001f600', "tab\tnew\nline\x01\x7f\u2028", ""]
    findings = [Finding(src, TextRange(Pos(i % 2, i * 7), Pos(1, 10 + i)), "warning" if i else "error", f"code-{i}", m)
                for i, m in enumerate(messages)]
    got = render_json(CheckResult(findings=findings))
    li = [{"path": os.path.relpath(src),
           "range": {"start": {"line": f.range.start.line,
                               "character": f.range.start.col + (1 if f.range.start.line == 0 and f.range.start.col > 11 else 0)},
                     "end": {"line": f.range.end.line, "character": f.range.end.col}},
           "severity": f.severity, "code": f.code, "message": f.message, "source": "sst-lsp"} for f in findings]
    assert got == json.dumps(li, indent=2, ensure_ascii=False)
    assert render_json(CheckResult(findings=[])) == json.dumps([], indent=2, ensure_ascii=False)


def test_sarif_format(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(V2)
    code, out, _err = run([".", "--format", "sarif"], capsys)
    assert code == 1
    doc = json.loads(out)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    (run_,) = doc["runs"]
    assert run_["columnKind"] == "utf16CodeUnits"
    rules = run_["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert {"route-invalid", "duplicate-stack-id", "handler-not-found"} <= set(ids)
    assert all(r["fullDescription"]["text"] for r in rules)
    results = run_["results"]
    assert len(results) == len(V2_MARKED)
    for r in results:
        assert ids[r["ruleIndex"]] == r["ruleId"]
        assert r["level"] in ("error", "warning", "note")
    emoji = next(r for r in results if "emoji" in r["message"]["text"])
    region = emoji["locations"][0]["physicalLocation"]["region"]
    assert emoji["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stacks/api/Api.ts"
    line = (V2 / "stacks/api/Api.ts").read_text(encoding="utf-8").split("\n")[30]
    code_points = line.index('"packages/functions/src/notes/emoji.handler"') + 1
    assert region["startLine"] == 31 and region["startColumn"] == code_points + 1 + 1  # UTF-16, 1-based.


def test_stats(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(V1)
    code, out, _err = run(["--stats"], capsys)
    assert code == 1
    # The loop over a literal list and the helper returning a handler are followed (three
    # handlers); the loop over an environment variable's items stays unresolved.
    assert out.strip().split("\n")[-1] == (
        "stats: apps=1 stacks=4 files=6 constructs=22 handlers=60 unresolved=1 "
        "(handler positions skipped: not statically resolvable)"
    )
    code, out, err = run(["--stats", "--format", "json"], capsys)
    assert isinstance(json.loads(out), list)
    assert "unresolved=1" in err


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    clean = write(tmp_path / "clean", {
        "sst.config.ts": 'import { A } from "./stacks/A";\nimport { B } from "./stacks/B";\n'
                         'export default { config() { return { name: "c" }; }, stacks(app) { app.stack(A); } };\n',
        "stacks/A.ts": 'import { Function } from "sst/constructs";\n'
                       'export function A({ stack }) { new Function(stack, "F", { handler: "src/a.handler" }); }\n',
        "stacks/B.ts": "export function B({ stack }) {}\n",
        "src/a.ts": "export const handler = async () => {};\n",
    })
    monkeypatch.chdir(tmp_path)
    code, out, _err = run(["clean"], capsys)
    assert code == 0  # A warning alone does not fail the check.
    assert "warning stack-not-registered" in out
    code, _out, err = run(["nope"], capsys)
    assert code == 2 and "no such file or directory: nope" in err
    with pytest.raises(SystemExit) as exc:
        main(["check", "--format", "xml"])
    assert exc.value.code == 2
    (tmp_path / "empty").mkdir()
    code, out, err = run(["empty"], capsys)
    assert code == 0 and "no SST app found" in err
    assert clean.exists()


def test_file_arguments_limit_the_report_to_those_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(V2)
    code, out, _err = run(["stacks/Database.ts", "--format", "json"], capsys)
    items = json.loads(out)
    assert {i["path"] for i in items} == {"stacks/Database.ts"} and len(items) == 3
    assert code == 1


def test_no_traceback_on_bad_input_in_a_subprocess(tmp_path: Path) -> None:
    write(tmp_path, {"a/sst.json": "{ broken", "b/sst.config.ts": "export default {{{{"})
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "sst.json").write_bytes(b"\x00\xff\x00")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run(
        [sys.executable, "-m", "sst_lsp", "check", str(tmp_path), "--format", "json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert {(i["path"], i["code"]) for i in json.loads(proc.stdout)} == {
        ("a/sst.json", "config-invalid"),
        ("b/sst.config.ts", "config-invalid"),
        ("b/sst.config.ts", "syntax-error"),
        ("c/sst.json", "config-invalid"),
    }
