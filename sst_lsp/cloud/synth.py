"""Synthesizing an SST app into a CloudFormation cloud assembly (cloud layer): the entry point.

Two backends, chosen by the `sst.synth.mode` setting (CLI: `--synth-mode`):

- `embedded` (default): `synth_spec.app_to_spec` describes the app from the static model, and
  `synth_embedded.synthesize` builds it with aws-cdk-lib (jsii) into a real cloud assembly. No
  user code runs (esbuild, when the app has it installed, only bundles handler sources).
- `project`: `synth_project.py` runs the app's own toolchain (`sst build` / `cdk synth`) and
  reads the assembly it writes. This runs the project's code, so it happens only on request.

Where jsii runs: `synth_app(..., worker=None)` synthesizes in the calling process, which is what
the CLI does (one synth per process, no worker start-up to pay). The language server must pass
its `SynthWorker` (synth_worker.py): jsii keeps a node child process and ~150 MB in whatever
Python process imports it, and a warm worker makes repeated synths take tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sst_lsp.cloud.synth_spec import SpecBuildError, app_to_spec, esbuild_binary, iter_functions
from sst_lsp.cloud.synth_types import (
    SkippedConstruct,
    StackResult,
    SynthDiagnostic,
    SynthError,
    SynthResult,
    is_export,
    result_from_raw,
)
from sst_lsp.model.types import App

if TYPE_CHECKING:
    from sst_lsp.cloud.reporter import Reporter
    from sst_lsp.cloud.synth_worker import SynthWorker

SynthMode = Literal["embedded", "project"]
SYNTH_MODES: tuple[str, ...] = ("embedded", "project")

#: The result types live in `synth_types` (a leaf module the backends import); they stay
#: importable from here.
__all__ = [
    "SYNTH_MODES", "SkippedConstruct", "StackResult", "SynthDiagnostic", "SynthError", "SynthMode",
    "SynthResult", "default_out_dir", "display_path", "dumps", "format_text", "is_export", "result_from_raw",
    "synth_app",
]

#: esbuild gets this long per handler (a local binary bundling one file).
ESBUILD_TIMEOUT_S = 60


def default_out_dir(app: App, stage: str) -> Path:
    """`<app>/.sst-lsp/cdk.out/<stage>`."""
    return app.root / ".sst-lsp" / "cdk.out" / stage


def synth_app(
    app: App,
    stage: str,
    out_dir: Path | None = None,
    mode: SynthMode | str = "embedded",
    reporter: Reporter | None = None,
    *,
    worker: SynthWorker | None = None,
) -> SynthResult:
    """Synthesizes `app` for `stage` into `out_dir` (default `default_out_dir`).

    Raises `SynthError` with a user-facing message when nothing could be synthesized (bad stage,
    v3 app, output folder that is not an assembly, CDK failure). Constructs that cannot be built
    are listed in `result.skipped`. In project mode a failing toolchain is a result with
    `ok=False`, its `error` and `diagnostics`.
    """
    from sst_lsp.cloud.naming import stage_name_problem

    problem = stage_name_problem(stage)
    if problem:
        raise SynthError(problem)
    if mode not in SYNTH_MODES:
        raise SynthError(f"Unknown synth mode {mode!r}: use one of {', '.join(SYNTH_MODES)}")
    if mode == "project":
        from sst_lsp.cloud.synth_project import synth_project

        return synth_project(app, stage, out_dir, reporter)
    t0 = time.perf_counter()
    out = Path(out_dir) if out_dir is not None else default_out_dir(app, stage)
    _check_out_dir(out)
    esbuild = esbuild_binary(app.root)
    try:
        spec = app_to_spec(app, stage, esbuild=str(esbuild) if esbuild else None)
    except SpecBuildError as e:
        raise SynthError(str(e)) from None
    if reporter is not None:
        reporter.progress(f"Synthesizing {app.name} ({stage})")
    if esbuild is not None:
        _bundle(spec, esbuild, out, reporter)
    _exclude_output_folders(spec, out)
    if worker is not None:
        raw = worker.synth(spec, out)
    else:
        from sst_lsp.cloud.synth_embedded import SpecError, synthesize

        try:
            raw = synthesize(spec, out)
        except SpecError as e:
            raise SynthError(str(e)) from None
    result = result_from_raw(app.name or "", out, raw)
    result.stage = stage
    result.duration_ms = int((time.perf_counter() - t0) * 1000)
    if reporter is not None:
        for w in result.warnings:
            reporter.log(f"warning: {w}")
        for s in result.skipped:
            reporter.log(f"skipped {s.kind} {s.id}{f' ({s.stack})' if s.stack else ''}: {s.reason}")
    return result


def _check_out_dir(out: Path) -> None:
    """Refuses to touch a folder that is something other than a cloud assembly. The engine
    writes a fresh assembly next to it and swaps it in (a stale template of a stack that went
    away cannot survive, and a failed synth keeps the previous assembly)."""
    from sst_lsp.cloud.synth_embedded import SpecError, check_out_dir

    try:
        check_out_dir(out)
    except SpecError as e:
        raise SynthError(str(e)) from None


def _exclude_output_folders(spec: dict[str, Any], out: Path) -> None:
    """An asset folder that holds the output folder must not ship (or copy into) itself, nor the
    esbuild bundles and the synth's temporary siblings next to it."""
    from sst_lsp.cloud.synth_cache import sibling_patterns

    for fs in iter_functions(spec):
        asset = Path(fs["asset"]) if fs.get("asset") else None
        if asset is None:
            continue
        parent = out.parent.resolve()
        if not parent.is_relative_to(asset.resolve()):
            continue
        rel = parent.relative_to(asset.resolve())
        names = (out.name, f"{out.name}.bundles", *sibling_patterns(out.name))
        excludes = fs.setdefault("exclude", [])
        for n in names:
            excludes.append((rel / n).as_posix())


def _bundle(spec: dict[str, Any], esbuild: Path, out: Path, reporter: Reporter | None) -> None:
    """Bundles node handlers with the app's own esbuild; on failure keeps the source folder.

    A bundle is rebuilt only when a file esbuild read for it (its metafile's inputs), a folder
    holding one (a new file may change what an import resolves to), esbuild itself or the
    command changed; and its file is replaced only when the bytes differ. Unchanged bundles
    keep their identity, so the engine can reuse the stacks that ship them.
    """
    bundles = out.parent / f"{out.name}.bundles"
    root = Path(spec["root"])
    done: dict[str, tuple[bool, list[str]]] = {}
    for fs in iter_functions(spec):
        b = fs.get("bundle")
        if not b:
            continue
        key = hashlib.sha256(f"{b['entry']}|{b['out']}".encode()).hexdigest()[:16]
        target = bundles / key
        if key not in done:
            done[key] = _bundle_one(esbuild, root, b, bundles, key)
        ok, detail = done[key]
        if ok:
            fs["asset"] = str(target)
        else:
            # Fall back to the app root: `Handler` is relative to it, the template stays deployable.
            fs["asset"] = str(root)
            spec.setdefault("warnings", []).append(
                f"esbuild failed for {b['entry']}: {' '.join(detail)}; shipping its source folder instead"
            )
            if reporter is not None:
                reporter.log(f"esbuild failed for {b['entry']}")
        fs.pop("bundle", None)


def _bundle_one(esbuild: Path, root: Path, b: dict[str, Any], bundles: Path, key: str) -> tuple[bool, list[str]]:
    outfile = bundles / key / b["out"]
    record = bundles / f"{key}.inputs.json"
    stage = bundles / f"{key}.tmp-{os.getpid()}"
    argv = [str(esbuild), b["entry"], "--bundle", "--platform=node", "--format=cjs",
            "--target=node18", "--external:@aws-sdk/*", "--external:aws-sdk", "--log-level=error"]
    command = [*argv, _stat_key(esbuild)]
    if outfile.is_file() and _bundle_inputs_unchanged(record, root, command):
        return True, []
    shutil.rmtree(stage, ignore_errors=True)
    staged, meta = stage / b["out"], stage / "meta.json"
    try:
        proc = subprocess.run([*argv, f"--outfile={staged}", f"--metafile={meta}"], cwd=root, capture_output=True,
                              text=True, timeout=ESBUILD_TIMEOUT_S, shell=False, check=False)
        ok = proc.returncode == 0 and staged.is_file()
        detail = (proc.stderr or proc.stdout).strip().splitlines()[:3]
        if ok:
            if not (outfile.is_file() and outfile.read_bytes() == staged.read_bytes()):
                outfile.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, outfile)
            _write_bundle_record(record, root, meta, command)
        else:
            record.unlink(missing_ok=True)
        return ok, detail
    except (OSError, subprocess.TimeoutExpired) as e:
        record.unlink(missing_ok=True)
        return False, [str(e)]
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _stat_key(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"{path}|missing"
    return f"{path}|{st.st_ino}|{st.st_mtime_ns}|{st.st_size}"


def _bundle_inputs(root: Path, inputs: list[str]) -> dict[str, str]:
    files = {p: _stat_key(root / p) for p in inputs}
    folders = {str(Path(p).parent): _stat_key((root / p).parent) for p in inputs}
    return {**files, **{f"{d}/": v for d, v in folders.items()}}


def _write_bundle_record(record: Path, root: Path, meta: Path, command: list[str]) -> None:
    try:
        inputs = sorted(json.loads(meta.read_text(encoding="utf-8")).get("inputs", {}))
    except (OSError, ValueError, AttributeError):
        record.unlink(missing_ok=True)
        return
    if not inputs:
        record.unlink(missing_ok=True)
        return
    data = {"command": command, "inputs": inputs, "stats": _bundle_inputs(root, inputs)}
    record.write_text(json.dumps(data), encoding="utf-8")


def _bundle_inputs_unchanged(record: Path, root: Path, command: list[str]) -> bool:
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        inputs = [str(p) for p in data["inputs"]]
        return bool(data["command"] == command and inputs and data["stats"] == _bundle_inputs(root, inputs))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def display_path(path: Path, cwd: Path | None = None) -> str:
    """`path` relative to `cwd` (default: the current directory) when it lies below it."""
    base = (cwd or Path.cwd()).resolve()
    try:
        resolved = path.resolve()
    except OSError:
        return str(path)
    if resolved == base:
        return "."
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else str(path)


def format_text(result: SynthResult, cwd: Path | None = None) -> str:
    """The CLI's human-readable summary (paths relative to `cwd`, default the current one)."""

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    seconds = f"{result.duration_ms / 1000:.2f} s"
    what = f"{result.app} ({'stage ' + result.stage + ', ' if result.stage else ''}{result.mode})"
    if not result.ok:
        lines = [f"Synth of {what} failed after {seconds}: {result.error or 'see the output above'}"]
    else:
        counts = f"{plural(len(result.stacks), 'stack')}, {plural(result.resources, 'resource')}"
        lines = [f"Synthesized {what} in {seconds}: {counts}"]
    if result.stacks or result.ok:
        lines.append(f"Cloud assembly: {display_path(result.out_dir, cwd)}")
    width = max((len(s.name) for s in result.stacks), default=0)
    count_width = max((len(str(s.resources)) for s in result.stacks), default=0)
    for s in result.stacks:
        own = [o for o in s.outputs if not is_export(o)]
        exports = len(s.outputs) - len(own)
        extra = ""
        if own:
            extra += f"  outputs: {', '.join(own)}"
        if exports:
            extra += f"{'' if own else '  '} (+{plural(exports, 'cross-stack export')})"
        reused = "  (unchanged)" if s.id in result.reused else ""
        lines.append(f"  {s.name:<{width}}  {s.resources:>{count_width}} {'resource' if s.resources == 1 else 'resources'}"
                     f"{extra}{reused}".rstrip())
    if result.skipped:
        lines.append(f"Skipped ({len(result.skipped)}):")
        for k in result.skipped:
            where = f" (stack {k.stack})" if k.stack else ""
            lines.append(f'  {k.kind} "{k.id}"{where}: {k.reason}')
    if result.warnings:
        lines.append(f"Warnings ({len(result.warnings)}):")
        lines.extend(f"  {w}" for w in result.warnings)
    for d in result.diagnostics:
        lines.append(f"{display_path(d.path, cwd)}:{d.line + 1}:{d.col + 1}: {d.severity}: {d.message}")
    return "\n".join(lines)


def dumps(result: SynthResult) -> str:
    return json.dumps(result.to_json(), indent=2)
