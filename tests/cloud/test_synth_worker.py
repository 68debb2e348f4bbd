"""The warm synth worker: JSON lines over a child process, restarts, errors as messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sst_lsp.cloud.synth import SynthError, synth_app
from sst_lsp.cloud.synth_worker import SynthWorker
from sst_lsp.model.index import WorkspaceIndex

pytestmark = pytest.mark.slow

APPS = Path(__file__).parent / "synth_data" / "apps"


@pytest.fixture(scope="module")
def worker() -> Iterator[SynthWorker]:
    lines: list[str] = []
    w = SynthWorker(on_stderr=lines.append)
    w.stderr_lines = lines  # type: ignore[attr-defined]
    yield w
    w.close()


def test_worker_synthesizes_repeatedly_in_one_process(worker: SynthWorker, tmp_path: Path) -> None:
    [app] = WorkspaceIndex([APPS / "rest-api-python"]).snapshot().apps
    worker.warm()
    pid = worker.pid
    assert pid is not None and pid != os.getpid()
    first = synth_app(app, "dev", tmp_path / "a", worker=worker)
    second = synth_app(app, "dev", tmp_path / "b", worker=worker)
    assert worker.pid == pid  # the same warm process served both
    for r in (first, second):
        assert [s.name for s in r.stacks] == ["dev-rest-api-python-MyStack"]
        assert r.stacks[0].resources == 22
    assert first.stacks[0].template_path.read_text() == second.stacks[0].template_path.read_text()
    # Nothing of jsii's chatter reached the protocol or the log.
    assert not any("jsii" in line.lower() or "node" in line.lower() for line in worker.stderr_lines)  # type: ignore[attr-defined]


def test_worker_restarts_after_it_died(worker: SynthWorker, tmp_path: Path) -> None:
    [app] = WorkspaceIndex([APPS / "rest-api-python"]).snapshot().apps
    worker.request("ping")
    old = worker.pid
    assert old is not None
    os.kill(old, signal.SIGKILL)
    restarts = worker.restarts
    result = synth_app(app, "dev", tmp_path / "c", worker=worker)
    assert result.stacks[0].resources == 22
    assert worker.pid not in (None, old) and worker.restarts == restarts + 1


def test_worker_errors_are_messages(worker: SynthWorker, tmp_path: Path) -> None:
    with pytest.raises(SynthError, match="unknown request 'nope'"):
        worker.request("nope")
    with pytest.raises(SynthError, match="internal error in the synth worker: KeyError"):
        worker.synth({"stage": "dev"}, tmp_path / "d")
    # The worker survives a bad request.
    assert worker.request("ping")["pid"] == worker.pid


def test_worker_protocol_by_hand(tmp_path: Path) -> None:
    """The raw protocol: one JSON line in, one JSON line out, nothing else on stdout."""
    from sst_lsp.cloud.synth_embedded import prepare_jsii_environment

    env = prepare_jsii_environment(dict(os.environ))
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    reqs = [{"id": 1, "op": "ping"}, {"id": 2, "op": "warm"}]
    proc = subprocess.run([sys.executable, "-m", "sst_lsp.cloud.synth_worker"],
                          input="".join(json.dumps(r) + "\n" for r in reqs), capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [a["id"] for a in answers] == [1, 2] and all(a["ok"] for a in answers)
    assert proc.returncode == 0


def _missing_asset_folders(out: Path) -> list[str]:
    """Asset folders named in the assembly's `*.assets.json` files that are not on disk."""
    missing = []
    manifests = sorted(out.glob("*.assets.json"))
    assert manifests, f"no asset manifests in {out}"
    for manifest in manifests:
        files = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
        for asset in files.values():
            source = asset["source"]["path"]
            if not (out / source).exists():
                missing.append(f"{manifest.name}: {source}")
    return missing


def test_second_synth_into_the_same_folder_keeps_the_staged_assets(worker: SynthWorker, tmp_path: Path) -> None:
    """The server synthesizes a stage into the same folder again and again: every synth must
    leave a complete assembly (aws-cdk-lib caches staged assets per process)."""
    [app] = WorkspaceIndex([APPS / "rest-api-python"]).snapshot().apps
    out = tmp_path / "same"
    first = synth_app(app, "dev", out, worker=worker)
    assert not _missing_asset_folders(out)
    second = synth_app(app, "dev", out, worker=worker)
    assert not _missing_asset_folders(out)
    assert first.stacks[0].template_path.read_text() == second.stacks[0].template_path.read_text()


def test_changed_handler_code_changes_the_asset_in_a_warm_worker(worker: SynthWorker, tmp_path: Path) -> None:
    """Editing a handler between two synths in one warm worker gives a new asset hash (a cached
    fingerprint would deploy the old code)."""
    import shutil

    src = tmp_path / "app"
    shutil.copytree(APPS / "rest-api-python", src)
    index = WorkspaceIndex([src])
    [app] = index.snapshot().apps
    out = tmp_path / "out"
    synth_app(app, "dev", out, worker=worker)
    before = {p.name for p in out.glob("asset.*")}
    handler = src / "services" / "functions" / "list.py"
    handler.write_text(handler.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    synth_app(app, "dev", out, worker=worker)
    after = {p.name for p in out.glob("asset.*")}
    assert before and after and before != after
    assert not _missing_asset_folders(out)
    staged = out / next(iter(after)) / "functions" / "list.py"
    assert staged.read_text(encoding="utf-8").endswith("# edited\n")


def test_warm_up_builds_every_kind_without_skipping(worker: SynthWorker) -> None:
    """The warm-up synthesizes one construct of each kind (so the first real synth finds every
    module loaded): a change in the engine that breaks it must show."""
    from sst_lsp.cloud.synth_embedded import MODELED_KINDS
    from sst_lsp.cloud.synth_worker import warm_spec

    kinds = {c["kind"] for st in warm_spec("/x")["stacks"] for c in st["constructs"]}
    assert kinds == MODELED_KINDS
    answer = worker.request("warm")
    assert answer["skipped"] == []
    assert answer["warnings"] == ["stack E has no modeled resources: it holds a placeholder"]
