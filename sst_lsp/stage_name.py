"""The one rule for stage names (a leaf: the standard library only, so that `sst-lsp check`
validates `--stage` without loading the settings' attrs and cattrs; `sst_lsp.settings` exports
the same names)."""

from __future__ import annotations

#: CloudFormation's longest stack name; a stage name is part of every stack name.
STACK_NAME_MAX = 128


def stage_name_problem(stage: str) -> str | None:
    """Why `stage` is not a valid stage name, or None: the one rule for the `sst.stage`
    setting and every CLI `--stage` (SST names stacks `{stage}-{app}-{stack}`, and
    CloudFormation allows letters, digits and hyphens, starting with a letter)."""
    if not stage:
        return "The stage name is empty"
    if not (stage[0].isascii() and stage[0].isalpha()) or not all(
        c.isascii() and (c.isalnum() or c == "-") for c in stage
    ):
        return f"Invalid stage name '{stage}': use letters, digits and hyphens, starting with a letter"
    if len(stage) > STACK_NAME_MAX:
        return f"Invalid stage name '{stage}': longer than {STACK_NAME_MAX} characters"
    return None
