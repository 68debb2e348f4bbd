"""Stack outputs after a deploy (cloud layer): print them and keep ``.sst-lsp/outputs/{stage}.json``.

The file maps each deployed stack name to its outputs (``{"dev-app-Api": {"ApiEndpoint": "..."}}``),
sorted for stable diffs. A deploy of some stacks merges into the file; a remove deletes the
entries of the stacks it deleted (and the file when none is left).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

OUTPUTS_DIR = Path(".sst-lsp") / "outputs"


def outputs_path(root: Path, stage: str) -> Path:
    return Path(root) / OUTPUTS_DIR / f"{stage}.json"


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
    ordered = {k: dict(sorted(v.items())) for k, v in sorted(data.items())}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(ordered, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
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
