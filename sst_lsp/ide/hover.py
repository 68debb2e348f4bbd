"""Hovers (layer 3: ide): what an SST object means in the current stage.

- Handler string (or its route key): the resolved file and export relative to the app root,
  the runtime and where it came from, the base directory (srcPath applied), and what is
  wrong when it does not resolve.
- Construct id: kind, stack, and the physical names it gets in the stage (naming.py).
- Stack registration / definition name: the CloudFormation stack name(s).
- In handler code, `Table.Notes` (v2 `sst/node/*`) or `Resource.MyBucket` (v3): the construct
  it reads, as on its id.

Every hover ends with the stage (and the baseline, when one is given) it was computed for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sst_lsp import catalog
from sst_lsp.ide.definition import route_handler
from sst_lsp.ide.lookup import file_source, hit_at
from sst_lsp.ide.naming import (
    app_name,
    is_stateful,
    physical_names,
    route_logical_id,
    shown_stack_name,
    stack_of,
    stack_physical,
)
from sst_lsp.ide.targets import relative
from sst_lsp.ide.types import HoverResult
from sst_lsp.model.handler_code import targets_of, use_at
from sst_lsp.model.types import (
    App,
    AppSnapshot,
    Construct,
    HandlerRef,
    RouteKey,
    StackDef,
    StackRegistration,
    Value,
)
from sst_lsp.syntax.parser import JS_LANGS, lang_for_path
from sst_lsp.syntax.text import Pos, TextRange

if TYPE_CHECKING:
    from sst_lsp.model.resolve import HandlerResolver, Resolution

#: How many tried paths a "file not found" hover lists.
MAX_TRIED = 3


def hover(
    snap: AppSnapshot,
    resolver: HandlerResolver,
    path: Path,
    pos: Pos,
    stage: str,
    baseline: str | None = None,
) -> HoverResult | None:
    """The hover for the SST object under `pos`, or None."""
    hit = hit_at(snap, path, pos)
    if hit is None:
        return _resource(snap, resolver, path, pos, stage, baseline)
    if hit.app is None:
        return None
    app, target = hit.app, hit.target
    lines: list[str]
    rng: TextRange
    if isinstance(target, HandlerRef):
        lines, rng = _handler(resolver, app, target, stage), target.range
    elif isinstance(target, RouteKey):
        ref = route_handler(app, target)
        head = f"**Route** `{target.key}` of {target.construct_kind} `{target.construct_id or '?'}`"
        lines = [head, ""] + (_handler(resolver, app, ref, stage)[2:] if ref is not None else ["No handler found."])
        rng = target.range
    elif isinstance(target, Construct):
        lines, rng = _construct(app, target, stage), target.id_range
    elif isinstance(target, StackRegistration):
        lines, rng = _registration(app, target, stage), target.range
    elif isinstance(target, StackDef):
        lines, rng = _stack_def(app, target, stage), target.name_range
    else:  # pragma: no cover - lookup returns only the kinds above.
        return None
    lines += ["", _footer(app, stage, baseline)]
    return HoverResult("\n".join(lines), rng)


def _resource(snap: AppSnapshot, resolver: HandlerResolver, path: Path, pos: Pos, stage: str,
              baseline: str | None) -> HoverResult | None:
    """`Table.Notes` / `Resource.MyBucket` in handler code: the construct it reads."""
    if lang_for_path(path) not in JS_LANGS:
        return None
    use = use_at(file_source(resolver), path, pos, cache=resolver.derived.code_facts)
    app = snap.app_for(path) if use is not None else None
    if use is None or app is None:
        return None
    found = sorted(targets_of(app, use), key=lambda c: (str(c.path), c.id_range.start))
    if not found:
        return None
    c = found[0]
    where = f"{relative(c.path, app.root)}:{c.id_range.start.line + 1}"
    lines = [f"`{use.proxy}.{use.name}` reads", ""] + _construct(app, c, stage) + [f"- Defined at `{where}`"]
    lines += ["", _footer(app, stage, baseline)]
    return HoverResult("\n".join(lines), use.range)


def _footer(app: App, stage: str, baseline: str | None) -> str:
    text = f"_App `{app_name(app)}` ({app.generation}), stage `{stage}`"
    if app.name_note:
        text += f" (app name: {app.name_note})"
    if baseline:
        text += f", baseline: `{baseline}`"
    return text + "_"


# ----------------------------------------------------------------------------------------------
# Handlers.
def _handler(resolver: HandlerResolver, app: App, ref: HandlerRef, stage: str) -> list[str]:
    res = resolver.resolve(app, ref)
    where = ref.position
    if ref.stack:
        where += f" · stack `{ref.stack}`"
    lines = [f"**Handler** `{ref.handler}` · {where}", ""]
    root = app.root
    if res.file is not None:
        lines.append(f"- File: `{relative(res.file, root)}`")
    elif res.target is not None:
        lines.append(f"- File: `{relative(res.target, root)}` (missing)")
    if res.export is not None:
        noun = "Function" if res.runtime_family == "python" else "Method" if "::" in res.export else "Export"
        missing = res.status == "export-missing" or (res.status == "case-mismatch" and bool(res.available))
        state = " — **not found**" if missing else ""
        lines.append(f"- {noun}: `{res.export}`{state}")
        if state and res.available:
            lines.append(f"- Available: {', '.join(f'`{n}`' for n in res.available[:8])}")
    lines.append(f"- Runtime: `{res.runtime}` ({_runtime_origin(app, ref)})")
    if res.src_path is not None:
        lines.append(f"- srcPath: `{res.src_path}` (the handler is relative to `{relative(res.base_dir, root) or '.'}`)")
    else:
        lines.append("- Relative to the app root (SST v2/v3 ignore srcPath for handler paths)")
    if ref.route is not None and ref.construct_id is not None and catalog.route_function_ids(ref.construct_kind or ""):
        stack_name = stack_physical(app, ref.stack, stage) or "<stack>"
        logical = route_logical_id(ref.construct_id, ref.route)
        lines.append(f"- Lambda name: generated by CloudFormation, e.g. `{stack_name}-{logical}…`")
    problem = _problem(res, root)
    if problem:
        lines += ["", problem]
    return lines


def _problem(res: Resolution, root: Path) -> str | None:
    if res.status == "file-missing":
        tried = [f"`{relative(p, root)}`" for p in res.tried[:MAX_TRIED]]
        more = ", …" if len(res.tried) > MAX_TRIED else ""
        return f"**File not found**: tried {', '.join(tried)}{more}"
    if res.status == "case-mismatch":
        real = f"`{relative(res.case_match, root)}`" if res.case_match is not None else "another path"
        return (f"**Letter case differs** from {real} on disk: this works on macOS and Windows, "
                "and fails on Lambda (Linux)")
    if res.status == "outside-app":
        return "**Outside the app**: the handler's path leaves the app root"
    if res.status == "export-missing" and res.export is None:
        return "**No export named**: write `file.export`, e.g. `src/list.main`"
    if res.status == "unchecked":
        return f"_Not checked: {res.message}_" if res.message else None
    return None


def _runtime_origin(app: App, ref: HandlerRef) -> str:
    """Where the effective runtime comes from, in SST's order of precedence."""
    if ref.runtime is None:
        return "SST's default"
    if ref.has_local_runtime:
        props = ref.function_props
        if props is not None and props.get("runtime") is not None:
            return "function props"
        return "the construct's function defaults"
    if ref.runtime_range is not None:
        s = stack_of(app, ref.stack)
        defaults: tuple[Value, ...] = s.definition.default_function_props if s and s.definition else ()
        for v in defaults:
            rt = v.get("runtime") if v.kind == "object" else None
            if rt is not None and rt.range == ref.runtime_range:
                return "stack default, `stack.setDefaultFunctionProps`"
    return "app default, `app.setDefaultFunctionProps`"


# ----------------------------------------------------------------------------------------------
# Constructs and stacks.
def _construct(app: App, c: Construct, stage: str) -> list[str]:
    head = f"**{c.kind}** `{c.id}`"
    if c.stack:
        head += f" · stack `{c.stack}`"
    lines = [head, ""]
    if c.dynamic_id:
        lines.append("- The id is computed at synth time: names are not known here")
        return lines
    stack_name = stack_physical(app, c.stack, stage)
    if stack_name is not None:
        lines.append(f"- CloudFormation stack: `{stack_name}`")
    elif c.stack is not None:
        lines.append(f"- Stack `{c.stack}` is not registered in the app: not deployed")
    routes = [r.key for r in app.routes if r.construct_id == c.id and r.stack == c.stack and r.path == c.path]
    for label, value in physical_names(app, c, stage, routes):
        lines.append(f"- {label}: {value}")
    if is_stateful(c):
        lines.append(
            f"- Stateful: renaming `{c.id}` or moving it to another stack replaces it with a new, "
            "empty resource"
        )
    return lines


def _registration(app: App, reg: StackRegistration, stage: str) -> list[str]:
    for s in app.stacks:
        if s.registration == reg:
            name = shown_stack_name(s, stage, app)
            return [f"**Stack** `{s.id}`", "", f"- CloudFormation stack: `{name}`"]
    return [f"**Stack** `{reg.target or '?'}`", "", "- Not part of the app's stacks"]


def _stack_def(app: App, sd: StackDef, stage: str) -> list[str]:
    stacks = [s for s in app.stacks if s.definition == sd]
    lines = [f"**Stack** `{sd.name}`", ""]
    if not stacks:
        lines.append("- Not registered in the app: not deployed")
    for s in stacks:
        lines.append(f"- Deploys as `{shown_stack_name(s, stage, app)}` (id `{s.id}`)")
    if sd.uses:
        lines.append(f"- Uses: {', '.join(f'`{u}`' for u in sd.uses)}")
    return lines
