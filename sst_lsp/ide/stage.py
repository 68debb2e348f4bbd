"""Which stage the editor shows names for (layer 3: ide).

SST v2's CLI asks for a personal stage once and writes it to `.sst/stage` in the app root;
`sst deploy --stage X` does not change that file. The editor setting `sst.stage` wins over it,
and "dev" is the fallback (SST v1's default stage name).
"""

from __future__ import annotations

from pathlib import Path

from sst_lsp.model.files import FileSource

DEFAULT_STAGE = "dev"
#: Where SST v2 keeps the personal stage.
STAGE_FILE = Path(".sst") / "stage"
#: Where `sst-lsp deploy` keeps the outputs of each stage it deployed (one JSON per stage).
OUTPUTS_DIR = Path(".sst-lsp") / "outputs"


def _stage_file(app_root: Path, fs: FileSource) -> str | None:
    text = fs.read_text(app_root / STAGE_FILE)
    if text is None:
        return None
    value = text.strip()
    # A stage file holds one word; anything else is not a stage name we should show.
    return value if value and len(value.split()) == 1 else None


def current_stage(app_root: Path, fs: FileSource, setting: str | None) -> str:
    """The stage names are computed for: the setting, else `.sst/stage`, else "dev"."""
    if setting and setting.strip():
        return setting.strip()
    return _stage_file(app_root, fs) or DEFAULT_STAGE


def known_stages(app_root: Path, fs: FileSource, setting: str | None) -> list[str]:
    """Stages worth offering in a picker: the current one first, then `.sst/stage`, stages
    `sst-lsp deploy` left outputs for, and "dev"; without duplicates."""
    found = [current_stage(app_root, fs, setting)]
    personal = _stage_file(app_root, fs)
    if personal:
        found.append(personal)
    outputs = app_root / OUTPUTS_DIR
    for name, kind in sorted(fs.list_dir(outputs).items()):
        if kind == "f" and name.endswith(".json") and len(name) > len(".json"):
            found.append(name[: -len(".json")])
    found.append(DEFAULT_STAGE)
    return list(dict.fromkeys(found))
