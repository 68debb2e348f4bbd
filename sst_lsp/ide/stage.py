"""Which stage the editor shows names for (layer 3: ide).

SST v2's CLI asks for a personal stage once and writes it to `.sst/stage` in the app root;
`sst deploy --stage X` does not change that file. The editor setting `sst.stage` wins over it,
and "dev" is the fallback (SST v1's default stage name). A `.sst/stage` that does not hold a name SST
accepts counts as absent; `choose_stage` says why, for the caller to log once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sst_lsp.model.files import FileSource
from sst_lsp.settings import stage_name_problem

DEFAULT_STAGE = "dev"
#: Where SST v2 keeps the personal stage.
STAGE_FILE = Path(".sst") / "stage"
#: Where `sst-lsp deploy` keeps the outputs of each stage it deployed (one JSON per stage).
OUTPUTS_DIR = Path(".sst-lsp") / "outputs"


@dataclass(frozen=True)
class StageChoice:
    """The stage names are computed for, where it came from, and why `.sst/stage` was passed
    over (None when it was absent or used): a reason for the caller to log once."""

    stage: str
    source: Literal["setting", "stage-file", "default"]
    problem: str | None = None


def read_stage_file(app_root: Path, fs: FileSource) -> tuple[str | None, str | None]:
    """`.sst/stage`'s stage name, or None with why it is not one (None: no such file).

    SST v2 writes the name alone and reads it back trimmed (`usePersonalStage`); it only ever
    writes names its own rule accepts (`isValidStageName`: a letter, then letters, digits and
    hyphens), which is `stage_name_problem`'s rule. An empty file, a binary one, or a name that
    rule rejects counts as no file.
    """
    path = app_root / STAGE_FILE
    text = fs.read_text(path)
    if text is None:
        if fs.is_file(path):
            return None, f"{path} is not a text file; using the default stage"
        return None, None
    value = text.strip().lstrip("\ufeff").strip()
    if "\ufffd" in value:
        # `read_text` replaced bytes that are not UTF-8.
        return None, f"{path} is not a text file; using the default stage"
    if not value:
        return None, f"{path} is empty; using the default stage"
    problem = stage_name_problem(value)
    if problem is not None:
        if len(value) > 64 or not value.isprintable():
            # Not worth quoting in a log line (several lines, control characters, a blob).
            problem = "it does not hold a stage name"
        return None, f"{path}: {problem}; using the default stage"
    return value, None


def choose_stage(app_root: Path, fs: FileSource, setting: str | None) -> StageChoice:
    """The stage names are computed for: the setting, else `.sst/stage`, else "dev"."""
    if setting and setting.strip():
        return StageChoice(setting.strip(), "setting")
    personal, problem = read_stage_file(app_root, fs)
    if personal is not None:
        return StageChoice(personal, "stage-file")
    return StageChoice(DEFAULT_STAGE, "default", problem)


def current_stage(app_root: Path, fs: FileSource, setting: str | None) -> str:
    """The stage names are computed for: the setting, else `.sst/stage`, else "dev"."""
    return choose_stage(app_root, fs, setting).stage


def known_stages(app_root: Path, fs: FileSource, setting: str | None) -> list[str]:
    """Stages worth offering in a picker: the current one first, then `.sst/stage`, stages
    `sst-lsp deploy` left outputs for, and "dev"; without duplicates."""
    found = [current_stage(app_root, fs, setting)]
    personal, _problem = read_stage_file(app_root, fs)
    if personal:
        found.append(personal)
    outputs = app_root / OUTPUTS_DIR
    for name, kind in sorted(fs.list_dir(outputs).items()):
        if kind == "f" and name.endswith(".json") and len(name) > len(".json"):
            found.append(name[: -len(".json")])
    found.append(DEFAULT_STAGE)
    return list(dict.fromkeys(found))
