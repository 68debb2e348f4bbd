"""Project-mode synth (cloud layer): run the app's own toolchain and read the assembly it writes.

This runs the project's code (its stacks, its CDK), so it happens only when the user chose
synth mode `project`. The toolchain comes from the app's own node_modules (never downloaded):

- SST v0/v1/v2 apps: `node_modules/.bin/sst build --stage S` (what `npx sst build` resolves to);
  the assembly is `.build/cdk.out` (v0/v1) or `.sst/dist` (v2).
- Plain CDK apps (a `cdk.json`): `node_modules/.bin/cdk synth --output DIR`.

The command runs as a subprocess with an argv list (no shell); every output line is streamed to
the reporter's log. When it fails, file:line places in its output (stack frames, esbuild and tsc
messages) that point into the app become `SynthDiagnostic`s.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sst_lsp import catalog
from sst_lsp.model.types import App

if TYPE_CHECKING:
    from sst_lsp.cloud.reporter import Reporter
    from sst_lsp.cloud.synth_types import SynthDiagnostic, SynthResult

#: The toolchain gets this long before it is stopped.
PROJECT_TIMEOUT_S = 15 * 60
#: Lines of output kept for error messages and diagnostics.
MAX_OUTPUT_LINES = 5000

# Places in tool output (not JS source): node stack frames, esbuild, tsc.
_FRAME = re.compile(r"\(?((?:[A-Za-z]:)?[^\s():]+\.(?:[cm]?[jt]sx?)):(\d+):(\d+)\)?")
_TSC = re.compile(r"^((?:[A-Za-z]:)?[^\s():]+\.(?:[cm]?[jt]sx?))\((\d+),(\d+)\):\s*(?:error|warning)\s*(.*)$")
_ERROR_LINE = re.compile(
    r"^\s*(?:Error|[A-Z]\w*(?:Error|Exception|Endpoint|Failure)|✘ \[ERROR\])(?::\s*|\s+)(.+)$"
)
# A stack frame or a code excerpt under an error (not a message of its own).
_NOISE = re.compile(r"^\s*(?:at\s|\^+\s*$|\d+\s*\|)|^\s*$")
#: Lines of the toolchain's own output shown when it fails (its last words, frames left out).
TAIL_LINES = 8


def find_toolchain(app: App, out_dir: Path | None) -> tuple[list[str], Path] | str:
    """(argv, assembly dir) for the app's own toolchain, or why there is none."""
    bin_dir = app.root / "node_modules" / ".bin"
    if app.generation == "v3":
        return "SST v3 apps are Pulumi programs: `sst build` writes no cloud assembly"
    if app.config_path.name == "sst.json" or app.config_path.name.startswith("sst.config"):
        sst = _bin(bin_dir, "sst")
        if sst is None:
            return (f"project mode needs the app's own SST CLI ({_rel(bin_dir, app.root)}/sst); "
                    "install the app's dependencies first")
        assembly = app.root / (".sst/dist" if app.generation == "v2" else ".build/cdk.out")
        return ([str(sst), "build", "--stage", "{stage}"], assembly)
    if (app.root / "cdk.json").is_file():
        cdk = _bin(bin_dir, "cdk")
        if cdk is None:
            return "project mode needs the app's own CDK CLI (node_modules/.bin/cdk)"
        assembly = out_dir or app.root / "cdk.out"
        return ([str(cdk), "synth", "--quiet", "--output", str(assembly)], assembly)
    return "no SST or CDK project found at the app root"


def _bin(bin_dir: Path, name: str) -> Path | None:
    for n in (name, f"{name}.cmd", f"{name}.exe"):
        if (bin_dir / n).is_file():
            return bin_dir / n
    return None


def _rel(p: Path, root: Path) -> str:
    return p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p)


def synth_project(app: App, stage: str, out_dir: Path | None, reporter: Reporter | None) -> SynthResult:
    from sst_lsp.cloud.synth_types import SynthError, SynthResult

    t0 = time.perf_counter()
    found = find_toolchain(app, out_dir)
    if isinstance(found, str):
        raise SynthError(found)
    argv, assembly = found
    argv = [a.replace("{stage}", stage) for a in argv]
    if reporter is not None:
        reporter.progress(f"Running {' '.join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv))}")
    code, lines, cancelled = _run(argv, app.root, reporter)
    result = SynthResult(app=app.name or "", out_dir=assembly, mode="project", stage=stage)
    if cancelled:
        result.ok, result.error = False, "cancelled"
    elif code != 0:
        result.ok = False
        tool = Path(argv[0]).name
        tail = last_lines(lines)
        # The tool's own reason: its first error line, else its last words (SST's "Inaccessible
        # host: `ssm...'" comes without a prefix in some versions), never just an exit code.
        result.error = _first_error(lines) or (tail[-1].strip() if tail else None) or f"{tool} exited with code {code}"
        if tail:
            result.warnings.append(
                f"{tool} exited with code {code}; the last lines of its output:\n"
                + "\n".join(f"    {line}" for line in tail)
            )
        result.diagnostics = diagnostics_from_output(lines, app.root, result.error)
    else:
        try:
            _read_assembly(result, assembly, stage, app.name or "")
        except SynthError as e:
            result.ok, result.error = False, str(e)
        if result.ok and out_dir is not None and out_dir.resolve() != assembly.resolve():
            if out_dir.exists():
                shutil.rmtree(out_dir)
            shutil.copytree(assembly, out_dir)
            result.out_dir = out_dir
            result.stacks = [
                type(s)(s.id, s.name, out_dir / s.template_path.name, s.resources, s.outputs) for s in result.stacks
            ]
    result.duration_ms = int((time.perf_counter() - t0) * 1000)
    return result


def _run(argv: list[str], cwd: Path, reporter: Reporter | None) -> tuple[int, list[str], bool]:
    env = dict(os.environ)
    env.update({"NO_COLOR": "1", "FORCE_COLOR": "0", "CI": env.get("CI", "1")})
    try:
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
                                env=env, shell=False)
    except OSError as e:
        from sst_lsp.cloud.synth_types import SynthError

        raise SynthError(f"Cannot run {argv[0]}: {e.strerror or e}") from None
    lines: list[str] = []
    cancelled = False
    timer = threading.Timer(PROJECT_TIMEOUT_S, proc.kill)
    timer.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = _strip_ansi(line.rstrip("\n"))
            if len(lines) < MAX_OUTPUT_LINES:
                lines.append(line)
            if reporter is not None:
                reporter.log(line)
                if reporter.cancelled:
                    cancelled = True
                    proc.kill()
                    break
        code = proc.wait()
    finally:
        timer.cancel()
    return code, lines, cancelled


def _strip_ansi(s: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", s)


def last_lines(lines: list[str], n: int = TAIL_LINES) -> list[str]:
    """The toolchain's last ``n`` meaningful output lines (stack frames and blanks left out)."""
    return [line.rstrip() for line in lines if not _NOISE.match(line)][-n:]


def _first_error(lines: list[str]) -> str | None:
    for line in lines:
        m = _ERROR_LINE.match(line)
        if m:
            return m.group(1).strip()
    return None


def diagnostics_from_output(lines: list[str], root: Path, message: str | None) -> list[SynthDiagnostic]:
    """File:line places in the toolchain's output that lie in the app (not in node_modules)."""
    from sst_lsp.cloud.synth_types import SynthDiagnostic

    out: list[SynthDiagnostic] = []
    seen: set[tuple[Path, int, int]] = set()
    current = message
    for line in lines:
        m_err = _ERROR_LINE.match(line)
        if m_err:
            current = m_err.group(1).strip()
        tsc = _TSC.match(line.strip())
        places: list[tuple[str, str, str, str | None]] = []
        if tsc:
            places.append((tsc.group(1), tsc.group(2), tsc.group(3), tsc.group(4).strip() or None))
        else:
            for m in _FRAME.finditer(line):
                places.append((m.group(1), m.group(2), m.group(3), None))
        for file, ln, col, msg in places:
            p = Path(file)
            p = p if p.is_absolute() else root / p
            p = Path(os.path.normpath(str(p)))
            if not p.is_relative_to(root) or "node_modules" in p.parts or not p.is_file():
                continue
            if any(part in (".build", ".sst") for part in p.relative_to(root).parts):
                continue
            key = (p, int(ln) - 1, max(int(col) - 1, 0))
            if key in seen:
                continue
            seen.add(key)
            out.append(SynthDiagnostic(p, key[1], key[2], msg or current or "synth failed here"))
    return out


def _read_assembly(result: SynthResult, assembly: Path, stage: str, app_name: str) -> None:
    from sst_lsp.cloud.synth_types import StackResult, SynthError

    manifest_path = assembly / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SynthError(f"The toolchain succeeded but {manifest_path} cannot be read: {e}") from None
    prefix = catalog.stack_prefix(stage, app_name)
    for art_id, art in (manifest.get("artifacts") or {}).items():
        if not isinstance(art, dict) or art.get("type") != "aws:cloudformation:stack":
            continue
        props = art.get("properties") or {}
        name = str(props.get("stackName") or art.get("displayName") or art_id)
        tpath = assembly / str(props.get("templateFile", f"{art_id}.template.json"))
        try:
            tpl: dict[str, Any] = json.loads(tpath.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            tpl = {}
        sid = name.removeprefix(prefix)
        result.stacks.append(
            StackResult(sid, name, tpath, len(tpl.get("Resources", {})), sorted(tpl.get("Outputs", {})))
        )
