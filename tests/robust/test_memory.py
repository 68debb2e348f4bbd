"""What an edit replaces is freed by reference counting, not left to the cycle collector: the
server freezes its heap after each analysis (`server.settle_heap`, `gc.freeze`) and collects
in full only every so many analyses, so garbage in reference cycles (a replaced revision's
module program with its parses and syntax trees) would stay for that long."""

from __future__ import annotations

import gc
from pathlib import Path

from sst_lsp.host.host import AnalysisHost
from sst_lsp.syntax.parser import ParsedFile
from tests.host.test_incremental_findings import CONFIG, HANDLERS, _handler, _stack


def test_an_edit_leaves_no_parse_in_a_reference_cycle(tmp_path: Path) -> None:
    (tmp_path / "sst.config.ts").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "stacks").mkdir()
    stack = tmp_path / "stacks" / "Big.ts"
    text = _stack()
    stack.write_text(text, encoding="utf-8")
    src = tmp_path / "packages" / "functions" / "src"
    src.mkdir(parents=True)
    for i in range(HANDLERS):
        (src / f"h{i}.ts").write_text(_handler(i), encoding="utf-8")
    host = AnalysisHost([tmp_path])
    host.apply_change(stack, text, 1)
    host.analysis().findings()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for v in range(2, 6):
            text = text.replace("h1.main", "h2.main" if v % 2 else "h1.main", 1).replace(
                "timeout: 10", f"timeout: {10 + v}", 1)
            host.apply_change(stack, text, v)
            codes = {f.code for f in host.analysis().findings()}
        gc.collect()
        cyclic = [o for o in gc.garbage if isinstance(o, ParsedFile)]
        kinds = sorted({type(o).__name__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert "handler-not-found" not in codes  # The edits were analysed (and found nothing).
    assert cyclic == [], f"parses freed only by the cycle collector, with {kinds}"
