"""Stack outputs after a deploy (cloud layer): print them and keep ``.sst-lsp/outputs/{stage}.json``.

The file maps each deployed stack name to its outputs (``{"dev-app-Api": {"ApiEndpoint": "..."}}``),
sorted for stable diffs. A deploy of some stacks merges into the file; a remove deletes the
entries of the stacks it deleted (and the file when none is left).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

STATE_DIR = Path(".sst-lsp")
OUTPUTS_DIR = STATE_DIR / "outputs"
#: ``.sst-lsp/`` holds generated files only (assemblies, outputs, local endpoint state).
GITIGNORE_TEXT = "# sst-lsp's generated files (assemblies, outputs, local endpoint state)\n*\n"


def ensure_state_dir(root: Path) -> Path:
    """``<root>/.sst-lsp/``, created with its own ``.gitignore`` (ignoring everything in it)."""
    folder = Path(root) / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        try:
            ignore.write_text(GITIGNORE_TEXT, encoding="utf-8")
        except OSError:
            pass
    return folder


#: Outputs of deploys to a local endpoint: apart, so that their placeholders never land in the
#: file a real stage uses.
LOCAL_OUTPUTS_DIR = STATE_DIR / "local" / "outputs"


def outputs_path(root: Path, stage: str, *, local: bool = False) -> Path:
    """``.sst-lsp/outputs/{stage}.json``; for a local endpoint ``.sst-lsp/local/outputs/{stage}.json``."""
    return Path(root) / (LOCAL_OUTPUTS_DIR if local else OUTPUTS_DIR) / f"{stage}.json"


def display_path(path: Path, cwd: Path | None = None) -> str:
    """``path`` relative to ``cwd`` (default: the current directory) when it lies below it."""
    try:
        return str(Path(path).resolve().relative_to((cwd or Path.cwd()).resolve()))
    except (ValueError, OSError):
        return str(path)


def read_outputs_file(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.items() if isinstance(v, dict)}


def write_outputs_file(path: Path, outputs: Mapping[str, Mapping[str, str]], *, merge: bool = True) -> Path:
    """Write (merging with what is there) and return the path."""
    data = read_outputs_file(path) if merge else {}
    for stack, values in outputs.items():
        data[stack] = dict(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.parents:
        if parent.name == STATE_DIR.name:
            ensure_state_dir(parent.parent)
            break
    ordered = {k: dict(sorted(v.items())) for k, v in sorted(data.items())}
    # Atomic: a reader (or a deploy interrupted here) sees the old file or the new one, whole.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(json.dumps(ordered, indent=2) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def drop_from_outputs_file(path: Path, stacks: list[str]) -> None:
    """Forget removed stacks; delete the file when it becomes empty."""
    if not path.exists():
        return
    data = read_outputs_file(path)
    for s in stacks:
        data.pop(s, None)
    if data:
        write_outputs_file(path, data, merge=False)
    else:
        path.unlink(missing_ok=True)


def is_cdk_export(key: str) -> bool:
    """CDK's outputs for cross-stack references (``ExportsOutputRef...``), not the app's own."""
    return key.startswith("ExportsOutput")


def format_outputs(outputs: Mapping[str, Mapping[str, str]], *, exports: bool = False) -> list[str]:
    """Lines for the terminal / log: one header per stack, one line per output. CDK's
    cross-stack exports are left out unless ``exports`` (they stay in the outputs file)."""
    lines: list[str] = []
    for stack, values in outputs.items():
        shown = {k: v for k, v in values.items() if exports or not is_cdk_export(k)}
        if not shown:
            continue
        lines.append(f"{stack}")
        for key, value in sorted(shown.items()):
            lines.append(f"  {key}: {value}")
    return lines
