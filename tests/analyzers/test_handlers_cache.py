"""The handlers analyzer's per-ref finding cache: equal findings with and without it, and a
handler file created or deleted still flips the finding."""

from __future__ import annotations

from pathlib import Path

from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.analyzers.handlers import FindingCache, analyze
from sst_lsp.model.index import WorkspaceIndex

CONFIG = ('export default {\n  config() { return { name: "app", region: "us-east-1" }; },\n'
          '  stacks(app) { app.stack(S); },\n};\nimport { S } from "./stacks/S";\n')


def stack(n: int) -> str:
    lines = ['import { Function } from "sst/constructs";', "export function S({ stack }: any) {"]
    lines += [f'  new Function(stack, "F{i}", {{ handler: "src/h{i}.main" }});' for i in range(n)]
    return "\n".join(lines + ["}", ""])


def codes(index: WorkspaceIndex, cache: FindingCache | None) -> list[tuple[str, int, str]]:
    ctx = AnalysisContext(snapshot=index.snapshot(), resolver=index.resolver)
    return sorted((f.code, f.range.start.line, f.message) for f in analyze(ctx, cache))


def test_cache_equal_over_edits_and_flips_on_file_changes(tmp_path: Path) -> None:
    (tmp_path / "sst.config.ts").write_text(CONFIG)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "h0.ts").write_text("export const main = 1;\n")
    path = tmp_path / "stacks" / "S.ts"
    text = stack(5)
    path.write_text(text)
    index = WorkspaceIndex([tmp_path])
    cache = FindingCache(maxsize=3)
    for i in range(6):
        edited = text.replace(f'"src/h{i % 5}.main"', f'"src/h{i % 5}.mainx"')
        index.set_text(path, edited)
        assert codes(index, cache) == codes(index, None)
        assert len(cache) <= 3
    index.set_text(path, text)
    before = codes(index, cache)
    assert ("handler-not-found", 3, before[0][2]) in before  # src/h1 is missing.
    (tmp_path / "src" / "h1.ts").write_text("export const main = 1;\n")
    index.file_changed(tmp_path / "src" / "h1.ts")
    after = codes(index, cache)
    assert after == codes(index, None)
    assert not any(line == 3 for _, line, _ in after)
    (tmp_path / "src" / "h0.ts").unlink()
    index.file_changed(tmp_path / "src" / "h0.ts")
    gone = codes(index, cache)
    assert gone == codes(index, None)
    assert any(code == "handler-not-found" and line == 2 for code, line, _ in gone)
