"""Load and bad input against the real server: didChange as fast as the pipe takes them (the
server coalesces, and its final diagnostics equal a cold `check` of the final text), a baseline
that cannot be loaded (one warning, however many analyses follow), a stage setting that is not
a stage name (refused with a message; hovers keep the default), and a `}` missing mid-edit (a
syntax error, the other diagnostics kept). The paced 50/s version and the memory figures are
benchmarks (benchmarks/bench_robust.py --only load)."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from sst_lsp.check import run_check
from tests.e2e.conftest import codes, open_doc, position, start, wait_until

HANDLERS = 20


def big_stack(app: Path, lines: int = 3000) -> tuple[Path, list[int]]:
    """A 3,000-line stack file in the notes app (registered in place of Emoji), with Tables,
    Functions and Apis of 40 routes; returns it and the lines of its route handler strings."""
    src = app / "packages" / "functions" / "src"
    for i in range(HANDLERS):
        (src / f"h{i:02d}.ts").write_text("export async function main() {\n  return {};\n}\n", encoding="utf-8")
    out = ['import { Api, Function, StackContext, Table } from "sst/constructs";', "",
           "export function Emoji({ stack }: StackContext) {"]
    route_lines: list[int] = []
    n = 0
    while len(out) < lines - 5:
        out += [
            f'  const table{n} = new Table(stack, "Table{n}", {{',
            '    fields: { pk: "string" },',
            '    primaryIndex: { partitionKey: "pk" },',
            "  });",
            f'  new Function(stack, "Worker{n}", {{ handler: "packages/functions/src/h{n % HANDLERS:02d}.main" }});',
            f'  new Api(stack, "Api{n}", {{',
            f"    defaults: {{ function: {{ bind: [table{n}] }} }},",
            "    routes: {",
        ]
        for k in range(40):
            route_lines.append(len(out))
            out.append(f'      "GET /a{n}/r{k:02d}": "packages/functions/src/h{(n + k) % HANDLERS:02d}.main",')
        out += ["    },", "  });"]
        n += 1
    # One broken handler, so that the first analysis publishes.
    out += ['  new Function(stack, "Broken", { handler: "packages/functions/src/missing.main" });', "}", ""]
    path = app / "stacks" / "Emoji.ts"
    path.write_text("\n".join(out), encoding="utf-8")
    return path, route_lines


def cold_check(app: Path, stack: Path, text: str) -> list[tuple[int, int, str]]:
    stack.write_text(text, encoding="utf-8")
    res = run_check([app], baseline="off")
    return sorted((f.range.start.line, f.range.start.col, f.code) for f in res.findings if f.path == stack)


async def test_fast_edits_coalesce_and_end_where_a_cold_check_ends(client: LanguageClient, workspace: Path) -> None:
    notes = workspace / "notes"
    stack, route_lines = big_stack(notes)
    await start(client, [workspace], configuration={"baseline": "off"})
    text = stack.read_text(encoding="utf-8")
    open_doc(client, stack, text)
    await wait_until(client, lambda: stack.as_uri() in client.diagnostics, "the first analysis")
    publishes: list[int | None] = []
    original = client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        if params.uri == stack.as_uri():
            publishes.append(params.version)
        original(params)

    client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = on_publish
    lines = text.split("\n")
    rnd = random.Random(50)
    version = 1
    edits = 500
    for _ in range(edits):
        version += 1
        ln = rnd.choice(route_lines)
        col = lines[ln].index(".main") + len(".main")
        broken = lines[ln][col] == "x"
        end = col + 1 if broken else col
        rng = types.Range(start=types.Position(line=ln, character=col), end=types.Position(line=ln, character=end))
        new = "" if broken else "x"
        lines[ln] = lines[ln][:col] + new + lines[ln][end:]
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=stack.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new)]))
    final = "\n".join(lines)
    expected = cold_check(notes, stack, final)
    assert expected, "the edits leave broken handlers"

    def done() -> bool:
        got = sorted((d.range.start.line, d.range.start.character, str(d.code))
                     for d in client.diagnostics.get(stack.as_uri(), ()))
        return version in publishes and got == expected

    await wait_until(client, done, "the diagnostics of the last edit, equal to a cold check")
    # Coalesced: far fewer analyses published than edits sent.
    assert len(publishes) < edits / 2


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


async def test_unloadable_baseline_warns_once(client: LanguageClient, workspace: Path) -> None:
    _git(workspace, "init", "-q")
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "-qm", "init")
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace], configuration={"baseline": "git:nosuchref", "diagnostics": {"debounceMs": 0}})
    text = api.read_text(encoding="utf-8")
    open_doc(client, api, text)
    await wait_until(client, lambda: any("git:nosuchref" in m.message for m in client.messages),
                     "the baseline warning", method=types.WINDOW_SHOW_MESSAGE)
    # More analyses (edits, a save that reloads baselines): still the one message.
    for v in range(2, 6):
        text = text.replace("create.main", "create.mai" if v % 2 else "create.main")
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=api.as_uri(), version=v),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text + "\n" * v)]))
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=api.as_uri())))
    await wait_until(client, lambda: codes(client, api) == ["handler-not-found"], "the last analysis")
    warned = [m for m in client.messages if "git:nosuchref" in m.message]
    assert len(warned) == 1
    assert warned[0].type == types.MessageType.Warning
    assert "stateful-change warnings are off" in warned[0].message
    assert '"nosuchref" does not name a commit' in warned[0].message


async def test_stage_setting_that_is_not_a_stage_name_is_refused(client: LanguageClient, workspace: Path) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace], configuration={"stage": "dev;rm -rf /"})
    open_doc(client, api)
    await wait_until(client, lambda: bool(client.messages), "the settings message", method=types.WINDOW_SHOW_MESSAGE)
    (msg,) = client.messages
    assert "Invalid stage name 'dev;rm -rf /'" in msg.message
    got = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=api.as_uri()), position=position(client, api, '"Notes"', 2)))
    assert got is not None and isinstance(got.contents, types.MarkupContent)
    assert "stage `dev`" in got.contents.value and "rm -rf" not in got.contents.value


async def test_missing_brace_mid_edit_shows_a_syntax_error_and_keeps_the_rest(
    client: LanguageClient, workspace: Path
) -> None:
    api = workspace / "notes" / "stacks" / "Api.ts"
    await start(client, [workspace], configuration={"diagnostics": {"debounceMs": 0}})
    text = api.read_text(encoding="utf-8")
    open_doc(client, api, text)
    await wait_until(client, lambda: codes(client, api) == ["handler-not-found"], "the first analysis")
    broken = text.replace("    primaryIndex: { partitionKey: \"id\" },\n  });", "    primaryIndex: { partitionKey: \"id\" },\n  ", 1)
    assert broken != text
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=api.as_uri(), version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=broken)]))
    await wait_until(client, lambda: set(codes(client, api)) == {"handler-not-found", "syntax-error"}, "the syntax error")
    (kept,) = [d for d in client.diagnostics[api.as_uri()] if d.code == "handler-not-found"]
    assert "create" in kept.message
    syms = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=api.as_uri())))
    assert syms
    names = [c.name for s in syms if isinstance(s, types.DocumentSymbol) for c in (s.children or [])]
    assert "Notes" in names and "Api" in names
