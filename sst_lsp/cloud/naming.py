"""Stage and stack naming rules (cloud layer, pure).

SST names a stage's stacks ``{stage}-{app}-{stack}``; CloudFormation allows letters, digits and
hyphens, starting with a letter, at most 128 characters. A stage name follows the same alphabet
so that every stack name built from it is valid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sst_lsp import catalog
from sst_lsp.settings import STACK_NAME_MAX, stage_name_problem

# The stage rule lives with the settings: the editor's `sst.stage` and the CLI's `--stage` share it.
__all__ = ["STACK_NAME_MAX", "stage_name_problem"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")

DEFAULT_PROTECTED_STAGES: tuple[str, ...] = ("prod", "production")


def stack_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid CloudFormation stack name, or None."""
    if not _NAME.match(name or ""):
        return f"Invalid stack name '{name}': use letters, digits and hyphens, starting with a letter"
    if len(name) > STACK_NAME_MAX:
        return f"Stack name '{name}' is {len(name)} characters long; CloudFormation allows {STACK_NAME_MAX}"
    return None


def stage_prefix(stage: str, app_name: str) -> str:
    """What the names of a stage's stacks start with (the catalog's naming rule)."""
    return catalog.stack_prefix(stage, app_name)


def is_protected(stage: str, protected: Iterable[str]) -> bool:
    return stage in set(protected)
