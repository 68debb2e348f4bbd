"""`app_state`'s per-construct track cache: equal states with and without it over edits, bounded."""

from __future__ import annotations

from pathlib import Path

from sst_lsp.baseline.kinds import TrackCache, app_state
from sst_lsp.model.index import WorkspaceIndex

CONFIG = ('export default {\n  config() { return { name: "app", region: "us-east-1" }; },\n'
          '  stacks(app) { app.stack(S); },\n};\nimport { S } from "./stacks/S";\n')


def test_track_cache_equal_and_bounded(tmp_path: Path) -> None:
    (tmp_path / "sst.config.ts").write_text(CONFIG)
    (tmp_path / "stacks").mkdir()
    path = tmp_path / "stacks" / "S.ts"
    body = ['import { Bucket, Table } from "sst/constructs";', "export function S({ stack }: any) {"]
    body += [f'  new Table(stack, "T{i}", {{ fields: {{ pk: "string" }}, primaryIndex: {{ partitionKey: "pk" }} }});'
             for i in range(6)]
    text = "\n".join(body + ['  new Bucket(stack, "B");', "}", ""])
    path.write_text(text)
    index = WorkspaceIndex([tmp_path])
    cache = TrackCache(maxsize=4)
    for i in range(6):
        edited = text.replace(f'"T{i}"', f'"T{i}x"').replace('partitionKey: "pk" } });\n  new Bucket',
                                                           f'partitionKey: "pk{i}" }} }});\n  new Bucket')
        index.set_text(path, edited)
        app = index.snapshot().apps[0]
        cached = app_state(app, cache=cache)
        assert cached == app_state(app, cache=None)
        assert cached == app_state(app, cache=cache)
        assert len(cached.constructs) == 7
        assert len(cache) <= 4
