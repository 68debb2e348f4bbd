"""Finding SST apps and reading their config (layer 2: model).

An app root is a directory holding `sst.json` (v0/v1) or `sst.config.ts/.js/.mjs` (v2/v3).
Discovery walks below a directory, skipping dependency and build folders and never following
a symlinked directory twice (loops end). Config reading never raises: problems become
`ConfigError`s placed at the config file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp.model.files import SKIP_DIRS
from sst_lsp.syntax.text import Pos, TextRange

if TYPE_CHECKING:
    from sst_lsp.model.files import FileSource
    from sst_lsp.model.types import ConfigError, ConfigFacts

# `json`, `re` and the model's types are imported where config is read: a cached check only
# finds the app roots (`discover_apps`) and loads none of them.

CONFIG_NAMES = ("sst.config.ts", "sst.config.js", "sst.config.mjs")
#: The entry SST v0/v1 load when `sst.json` has no `main` (`getDefaultMainPath` in SST's
#: `packages/cli/bin/scripts.mjs`): `lib/index.ts` when it exists, else `lib/index.js`.
DEFAULT_MAIN = ("lib/index.ts", "lib/index.js")
#: Where apps that forgot `main` usually keep their entry (create-sst's v1 template writes
#: `"main": "stacks/index.ts"`): read for analysis, with a config error, since SST would not.
FALLBACK_ENTRIES = ("stacks/index.ts", "stacks/index.js", "stacks/index.tsx", "stacks/index.mjs")
#: Stop walking after this many directories (a safety bound for huge trees).
MAX_DIRS = 200_000

_ZERO = TextRange(Pos(0, 0), Pos(0, 0))


@dataclass(frozen=True, slots=True)
class AppRoot:
    root: Path
    config_path: Path
    kind: str  # "sst.json" | "sst.config"


def discover_apps(top: Path, exclude: tuple[str, ...] = ()) -> list[AppRoot]:
    """Every SST app root at or below `top` (sorted by path)."""
    found: list[AppRoot] = []
    seen: set[tuple[int, int]] = set()
    # Folders as strings, made `Path`s only for the app roots: a monorepo has hundreds of
    # folders, and this walk is most of what a cached check does besides its stats.
    stack: list[str] = [str(top)]
    count = 0
    skip = SKIP_DIRS
    while stack and count < MAX_DIRS:
        d = stack.pop()
        count += 1
        try:
            st = os.stat(d)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue
        seen.add(key)
        try:
            with os.scandir(d) as it:
                entries = list(it)
        except OSError:
            continue
        names = {e.name for e in entries}
        cfg = next((n for n in CONFIG_NAMES if n in names), None)
        if cfg is not None or "sst.json" in names:
            root = top if d == str(top) else Path(d)
            if cfg is not None:
                found.append(AppRoot(root, root / cfg, "sst.config"))
            else:
                found.append(AppRoot(root, root / "sst.json", "sst.json"))
        for e in entries:
            name = e.name
            if name in skip or name.startswith("."):
                continue
            try:
                if e.is_dir():
                    if exclude and _excluded(Path(e.path), top, exclude):
                        continue
                    stack.append(e.path)
            except OSError:
                continue
    found.sort(key=lambda a: str(a.root))
    return found


def _excluded(p: Path, top: Path, globs: tuple[str, ...]) -> bool:
    try:
        rel = p.relative_to(top)
    except ValueError:
        return False
    return any(rel.match(g) or rel.full_match(g) if hasattr(rel, "full_match") else rel.match(g) for g in globs)


@dataclass(frozen=True, slots=True)
class SstJson:
    """What an `sst.json` says."""

    name: str | None
    region: str | None
    entry: Path | None
    errors: tuple[ConfigError, ...]


def read_sst_json(app: AppRoot, fs: FileSource) -> SstJson:
    """Reads `sst.json`: name, region and the entry file (`main`, else SST's default
    `lib/index.ts`, then `lib/index.js`).

    Without `main` and without either default file, SST fails to build. A `stacks/index.*` is
    then still read as the entry (so its stacks are analyzed), and the error says to add `main`.
    """
    import json

    from sst_lsp.model.types import ConfigError

    path = app.config_path
    text = fs.read_text(path)
    errors: list[ConfigError] = []
    if text is None:
        return SstJson(None, None, None, (ConfigError(path, _ZERO, "sst.json cannot be read (missing or not text)"),))
    try:
        data = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as e:
        r = TextRange(Pos(max(e.lineno - 1, 0), max(e.colno - 1, 0)), Pos(max(e.lineno - 1, 0), max(e.colno, 1)))
        return SstJson(None, None, None, (ConfigError(path, r, f"sst.json is not valid JSON: {e.msg}"),))
    if not isinstance(data, dict):
        return SstJson(None, None, None, (ConfigError(path, _ZERO, "sst.json must hold a JSON object"),))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append(ConfigError(path, _key_range(text, "name"), 'sst.json has no "name": SST needs the app name'))
        name = None
    region = data.get("region") if isinstance(data.get("region"), str) else None
    main = data.get("main")
    entry: Path | None = None
    if isinstance(main, str) and main.strip():
        entry = app.root / main
        if not fs.is_file(entry):
            errors.append(
                ConfigError(path, _key_range(text, "main"), f'The entry file "{main}" named by "main" does not exist')
            )
            entry = None
    else:
        entry = next((app.root / c for c in DEFAULT_MAIN if fs.is_file(app.root / c)), None)
        if entry is None:
            fallback = next((c for c in FALLBACK_ENTRIES if fs.is_file(app.root / c)), None)
            if fallback is not None:
                entry = app.root / fallback
                errors.append(
                    ConfigError(
                        path,
                        _ZERO,
                        f'sst.json has no "main", so SST loads lib/index.ts, else lib/index.js, and neither '
                        f'exists: add "main": "{fallback}" (read here as the entry meanwhile)',
                    )
                )
            else:
                errors.append(
                    ConfigError(
                        path,
                        _ZERO,
                        'No entry file: sst.json has no "main" and neither lib/index.ts nor lib/index.js exists '
                        "(SST's default entry)",
                    )
                )
    return SstJson(name, region, entry, tuple(errors))


#: v3 rejects an app name that does not start with a letter or holds anything but letters,
#: digits and hyphens (`InvalidAppRegex` in SST's pkg/project/project.go).
_V3_APP_NAME = r"^[A-Za-z][A-Za-z0-9-]*$"
#: v2 names its stacks `{stage}-{name}-{id}`, which CloudFormation (and CDK's synth) only accept
#: made of letters, digits and hyphens.
_V2_APP_NAME = r"^[A-Za-z0-9-]+$"


def config_name_errors(path: Path, config: ConfigFacts) -> list[ConfigError]:
    """Problems with the app name of an `sst.config.*`: only what is certain. A name SST computes
    when it runs (`process.env.X || "notes"`, `${input.stage}`) is not checked beyond what is
    known (the fallback is the name when the variable is unset, so it is not an error either)."""
    import re  # Its compiled patterns are cached by `re` itself.

    from sst_lsp.model.types import ConfigError

    where = "config()" if config.generation == "v2" else "app()"
    name = config.name
    if name is None:
        if config.name_note is not None:
            return []  # Computed when SST runs: nothing certain to say.
        return [ConfigError(path, config.anchor or _ZERO,
                            f'{path.name} sets no app name: {where} must return {{ name: "..." }}')]
    if config.name_note is not None:
        return []
    rng = config.name_range or config.anchor or _ZERO
    if not name.strip():
        return [ConfigError(path, rng, f"{path.name}: the app name is empty; {where} must return a name")]
    if config.generation == "v3" and not re.match(_V3_APP_NAME, name):
        return [ConfigError(path, rng, f'Invalid app name "{name}": SST takes letters, digits and hyphens, '
                                       "starting with a letter")]
    if config.generation == "v2" and not re.match(_V2_APP_NAME, name):
        return [ConfigError(path, rng, f'Invalid app name "{name}": stacks are named "{{stage}}-{name}-{{stack}}", '
                                       "and CloudFormation takes only letters, digits and hyphens")]
    return []


def _key_range(text: str, key: str) -> TextRange:
    """The range of `"key"` in a JSON text (line-based; JSON is not JS, so no parser needed)."""
    needle = f'"{key}"'
    for i, line in enumerate(text.split("\n")):
        col = line.find(needle)
        if col != -1:
            return TextRange(Pos(i, col), Pos(i, col + len(needle)))
    return _ZERO
