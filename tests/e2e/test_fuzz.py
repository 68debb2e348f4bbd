"""Fuzzed edits against the real server process (pytest-lsp): seeded sequences of insertions,
deletions, truncations at any byte, pasted binary, invalid UTF-8 on disk, very long lines, emoji
and combining characters and CRLF, over the fixture app's stack and handler files.

After each sequence the test waits for the diagnostics of that revision and sends a batch of
requests (hover, definition, completion, code lens, document symbols, document links); every
answer must come, and every range in it (and in the published diagnostics) must lie inside the
document as the client holds it. The client applies its own edits with LSP's rules, so a server
that applied an edit elsewhere (or answered from a text it never had) shows as a range outside.

How diagnostics are awaited: a probe stack (`stacks/ZProbe.ts`, registered after the others)
names a missing handler file that changes at the end of every sequence, so the analysis of that
revision always publishes its `handler-not-found` with the new name; the server publishes one analysis' files in
path order, so when the probe's arrives, the fuzzed documents' (if they changed) came before.

`benchmarks/bench_robust.py --only fuzz` runs 10,000 sequences and prints latency percentiles;
here the waits only detect hangs (no timing assertions).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities, make_test_lsp_client

from tests.e2e.conftest import APPS, TIMEOUT, server_env

#: Sequences in the suite: SEEDS x PER_SEED (at least 2,000).
SEEDS = (1, 2, 3, 4)
PER_SEED = int(os.environ.get("SST_LSP_FUZZ_PER_SEED", "500"))

PROBE = (
    'import {{ Function, StackContext }} from "sst/constructs";\n\nexport function Probe({{ stack }}: StackContext) {{\n'
    '  new Function(stack, "Probe", {{ handler: "packages/functions/src/probe{n}.main" }});\n}}\n'
)

SNIPPETS = [
    "}", "{", "(", ")", '"', "'", "`", "${", "/*", "//", ",", ";", "\n", "\r\n", "\r\n\r\n",
    "😋", "e\u0301", "👩\u200d👩\u200d👧", "\u2028", "\x0c", "\x85", "\t", "\u00a0",
    '      "GET /fuzz/{id}": "packages/functions/src/list.main",\n',
    '  new Api(stack, "Fuzz", { routes: { "POST /z": "packages/functions/src/nothere.main" } });\n',
    '  new Function(stack, "Fn😋", { handler: "packages/functions/src/get.main" });\r\n',
    "export const main = async () => ({});\n",
    "import { x } from './stacks/Api';\n",
]


def fuzz_workspace(tmp: Path) -> Path:
    """A copy of the fixture apps with the probe stack file; returns the notes app."""
    ws = tmp / "ws"
    shutil.copytree(APPS, ws)
    notes = ws / "notes"
    (notes / "stacks" / "ZProbe.ts").write_text(PROBE.format(n=0), encoding="utf-8")
    config = notes / "sst.config.ts"
    text = config.read_text(encoding="utf-8")
    text = text.replace('import { Emoji } from "./stacks/Emoji";\n',
                        'import { Emoji } from "./stacks/Emoji";\nimport { Probe } from "./stacks/ZProbe";\n')
    config.write_text(text.replace("app.stack(API).stack(Emoji);", "app.stack(API).stack(Emoji).stack(Probe);"),
                      encoding="utf-8")
    return notes


def units(s: str, enc: str) -> int:
    if enc == "utf-8":
        return len(s.encode("utf-8", errors="surrogatepass"))
    if enc == "utf-32":
        return len(s)
    return len(s.encode("utf-16-le", errors="surrogatepass")) // 2


def lines_of(text: str) -> list[str]:
    """Lines as LSP counts them here: split at "\\n", a "\\r" before it is the line ending."""
    return [ln.removesuffix("\r") for ln in text.split("\n")]


def position_at(text: str, offset: int, enc: str) -> types.Position:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=units(text[start:offset], enc))


def snap_offset(text: str, k: int) -> int:
    """`k`, moved off the middle of a "\\r\\n" (no LSP position names that place)."""
    k = max(0, min(k, len(text)))
    if 0 < k < len(text) and text[k - 1] == "\r" and text[k] == "\n":
        k -= 1
    return k


class FuzzSession:
    """One server process, its documents as the client holds them, and the checks."""

    def __init__(self, app: Path, rnd: random.Random, kind: str = "visual-studio-code") -> None:
        self.app = app
        self.rnd = rnd
        self.kind = kind
        self.stack = app / "stacks" / "Api.ts"
        self.handler = app / "packages" / "functions" / "src" / "list.ts"
        self.disk_handler = app / "packages" / "functions" / "src" / "get.ts"
        self.probe = app / "stacks" / "ZProbe.ts"
        self.originals = {p: p.read_text(encoding="utf-8") for p in (self.stack, self.handler, self.probe)}
        self.disk_original = self.disk_handler.read_bytes()
        self.texts = dict(self.originals)
        self.versions = dict.fromkeys(self.texts, 1)
        self.seq = 0
        self.client: Any = None
        self.enc = "utf-16"
        self.requests = 0
        self.violations: list[str] = []
        self.latencies: list[float] = []

    async def start(self, env: dict[str, str] | None = None) -> None:
        client = make_test_lsp_client()
        client.set_configuration({"diagnostics": {"debounceMs": 0}, "baseline": "off"}, section="sst")

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def on_register(params: types.RegistrationParams) -> None:
            return None

        await client.start_io(sys.executable, "-m", "sst_lsp", "serve", env=env or server_env())
        result = await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities(self.kind),
            workspace_folders=[types.WorkspaceFolder(uri=self.app.as_uri(), name=self.app.name)],
        ))
        self.enc = str(result.capabilities.position_encoding or "utf-16")
        self.client = client
        for p, text in self.texts.items():
            client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
                uri=p.as_uri(), language_id="typescript", version=1, text=text)))
        await self._wait_probe("probe0.main")

    async def stop(self) -> None:
        if self.client is not None:
            try:
                await asyncio.wait_for(self.client.shutdown_session(), TIMEOUT)
            finally:
                await self.client.stop()

    # ------------------------------------------------------------------------------------------
    # Edits.
    def _send(self, path: Path, change: Any, new_text: str) -> None:
        self.versions[path] += 1
        self.texts[path] = new_text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=self.versions[path]),
            content_changes=[change]))

    def _replace(self, path: Path, a: int, b: int, new: str) -> None:
        text = self.texts[path]
        a, b = snap_offset(text, a), snap_offset(text, b)
        rng = types.Range(start=position_at(text, a, self.enc), end=position_at(text, b, self.enc))
        self._send(path, types.TextDocumentContentChangePartial(range=rng, text=new), text[:a] + new + text[b:])

    def _whole(self, path: Path, new: str) -> None:
        self._send(path, types.TextDocumentContentChangeWholeDocument(text=new), new)

    def _snippet(self) -> str:
        r = self.rnd
        pick = r.random()
        if pick < 0.08:
            # Pasted binary (no lone carriage returns: tree-sitter and LSP count lines differently there).
            return bytes(r.randrange(256) for _ in range(r.randrange(1, 64))).decode("latin-1").replace("\r", "")
        if pick < 0.12:
            return "x" * r.choice((2_000, 20_000, 100_000))  # A very long line.
        return r.choice(SNIPPETS)

    def edit(self) -> None:
        r = self.rnd
        path = self.stack if r.random() < 0.7 else self.handler
        text = self.texts[path]
        n = len(text)
        op = r.random()
        if op < 0.40:
            k = r.randrange(n + 1)
            self._replace(path, k, k, self._snippet())
        elif op < 0.65:
            a = r.randrange(n + 1)
            self._replace(path, a, min(n, a + r.randrange(1, 200)), "")
        elif op < 0.72:
            self._replace(path, r.randrange(n + 1), n, "")  # Truncation.
        elif op < 0.80:
            data = self.originals[path].encode("utf-8")
            self._whole(path, data[: r.randrange(len(data) + 1)].decode("utf-8", errors="ignore"))
        elif op < 0.86:
            self._whole(path, self.originals[path].replace("\n", "\r\n"))  # CRLF.
        elif op < 0.92:
            a = r.randrange(n + 1)
            self._replace(path, a, min(n, a + r.randrange(1, 40)), self._snippet())
        else:
            self._whole(path, self.originals[path])

    def disk(self) -> None:
        """A file that is not open changes on disk: invalid UTF-8, binary, or restored."""
        r = self.rnd.random()
        if r < 0.4:
            data = b"export const main = \xff\xfe\xc3\x28 async () => ({});\n"
        elif r < 0.6:
            data = bytes(self.rnd.randrange(256) for _ in range(300))
        else:
            data = self.disk_original
        self.disk_handler.write_bytes(data)
        self.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=self.disk_handler.as_uri(), type=types.FileChangeType.Changed)]))

    # ------------------------------------------------------------------------------------------
    # Checks.
    async def _wait_probe(self, name: str) -> None:
        uri = self.probe.as_uri()

        def seen() -> bool:
            return any(name in d.message for d in self.client.diagnostics.get(uri, ()))

        async def loop() -> None:
            while not seen():
                await self.client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

        await asyncio.wait_for(loop(), TIMEOUT)

    def _check_range(self, path: Path, rng: types.Range | None, what: str) -> None:
        if rng is None:
            return
        lines = lines_of(self.texts[path])
        for p in (rng.start, rng.end):
            if p.line >= len(lines) or p.character > units(lines[p.line], self.enc):
                self.violations.append(f"{what} of {path.name}: {rng} outside the document (seq {self.seq})")
                return

    def _check_location(self, loc: Any, what: str) -> None:
        for path in self.texts:
            if getattr(loc, "uri", None) == path.as_uri():
                self._check_range(path, loc.range, what)
            if getattr(loc, "target_uri", None) == path.as_uri():
                self._check_range(path, loc.target_range, what)
                self._check_range(path, loc.target_selection_range, what)

    def _check_symbols(self, path: Path, syms: Any) -> None:
        for s in syms or []:
            if isinstance(s, types.DocumentSymbol):
                self._check_range(path, s.range, "symbol")
                self._check_range(path, s.selection_range, "symbol selection")
                self._check_symbols(path, s.children)
            else:
                self._check_location(s.location, "symbol")

    async def _timed(self, coro: Any) -> Any:
        loop = asyncio.get_running_loop()
        t = loop.time()
        got = await asyncio.wait_for(coro, TIMEOUT)
        self.latencies.append((loop.time() - t) * 1000)
        self.requests += 1
        return got

    async def requests_batch(self, path: Path) -> None:
        text = self.texts[path]
        doc = types.TextDocumentIdentifier(uri=path.as_uri())
        pos = position_at(text, snap_offset(text, self.rnd.randrange(len(text) + 1)), self.enc)
        c = self.client
        hover, definition, completion, lenses, symbols, links = await asyncio.gather(
            self._timed(c.text_document_hover_async(types.HoverParams(text_document=doc, position=pos))),
            self._timed(c.text_document_definition_async(types.DefinitionParams(text_document=doc, position=pos))),
            self._timed(c.text_document_completion_async(types.CompletionParams(text_document=doc, position=pos))),
            self._timed(c.text_document_code_lens_async(types.CodeLensParams(text_document=doc))),
            self._timed(c.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc))),
            self._timed(c.text_document_document_link_async(types.DocumentLinkParams(text_document=doc))),
        )
        if hover is not None:
            self._check_range(path, hover.range, "hover")
        for loc in (definition if isinstance(definition, list) else [definition] if definition else []):
            self._check_location(loc, "definition")
        items = completion.items if isinstance(completion, types.CompletionList) else (completion or [])
        for it in items:
            te = it.text_edit
            if isinstance(te, types.TextEdit):
                self._check_range(path, te.range, "completion edit")
            elif isinstance(te, types.InsertReplaceEdit):
                self._check_range(path, te.insert, "completion insert")
                self._check_range(path, te.replace, "completion replace")
        for lens in lenses or []:
            self._check_range(path, lens.range, "code lens")
        self._check_symbols(path, symbols)
        for link in links or []:
            self._check_range(path, link.range, "document link")

    async def sequence(self) -> None:
        """A few edits (sometimes a change on disk), the diagnostics of that revision, then a
        batch of requests on one of the fuzzed documents."""
        self.seq += 1
        for _ in range(self.rnd.randrange(1, 4)):
            self.edit()
        if self.rnd.random() < 0.05:
            self.disk()
        name = f"probe{self.seq}.main"
        self._whole(self.probe, PROBE.format(n=self.seq))
        await self._wait_probe(name)
        for path in (self.stack, self.handler):
            for d in self.client.diagnostics.get(path.as_uri(), ()):
                self._check_range(path, d.range, f"diagnostic {d.code}")
        await self.requests_batch(self.stack if self.rnd.random() < 0.7 else self.handler)


@pytest.mark.parametrize("seed", SEEDS)
async def test_fuzzed_edits_keep_the_server_answering_inside_the_document(tmp_path: Path, seed: int) -> None:
    app = fuzz_workspace(tmp_path)
    session = FuzzSession(app, random.Random(seed), kind="neovim" if seed % 2 == 0 else "visual-studio-code")
    await session.start()
    try:
        for _ in range(PER_SEED):
            await session.sequence()
        assert session.violations == []
        assert session.requests == 6 * PER_SEED
        # The server still analyses: the original texts give the fixture's one broken handler.
        for p in (session.stack, session.handler):
            session._whole(p, session.originals[p])
        session.disk_handler.write_bytes(session.disk_original)
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=session.disk_handler.as_uri(), type=types.FileChangeType.Changed)]))
        session.seq += 1
        session._whole(session.probe, PROBE.format(n=session.seq))
        await session._wait_probe(f"probe{session.seq}.main")
        codes = sorted(str(d.code) for d in session.client.diagnostics.get(session.stack.as_uri(), ()))
        assert codes == ["handler-not-found"]
    finally:
        await session.stop()
