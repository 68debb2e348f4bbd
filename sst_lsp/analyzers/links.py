"""Resource links checked in handler code (layer 3: analyzers).

For every Node handler of an app the resolver gives its file; that file and the files its
relative imports reach run in the function. Within each file only the code on the function's
path counts: the export the handler (or the importing file) names, top-level code and local,
non-exported helpers; code in another export runs for other functions (model/handler_code.py
records each use's export). Their uses of SST's resource proxies and of
`process.env` (model/handler_code.py) are checked against what each function using them is
given: its own `bind`/`link` and `environment`, its construct's `defaults.function` (v1
`defaultFunctionProps`; v3 `transform.route.handler`), the stack's and the app's
`setDefaultFunctionProps`, `addDefaultFunctionBinding`, `addDefaultFunctionEnv`, `x.bind([...])`
on the construct, and v3 `$transform(sst.aws.Function, ...)` (model/bindings.py).

Nothing is reported where the answer is not known: a bound item that is not a plain name of a
construct, an `environment` with spreads, a `$transform` that hands its args to a helper, a
resource whose construct the app does not define under that id (a loop, a helper).

`Finding.data` of resource-not-linked carries the quick fixes, JSON-ready: `fixes`, a list of
`{title, path, edits: [[line, col, end line, end col, new text], ...]}` (code-point columns).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from sst_lsp import catalog
from sst_lsp.analyzers.base import AnalysisContext, CodeInfo
from sst_lsp.analyzers.memo import handler_table, per_ref
from sst_lsp.model.bindings import BindingCall, binding_calls, item_name
from sst_lsp.model.derived import TextMemo
from sst_lsp.model.files import FileSource
from sst_lsp.model.handler_code import CodeFacts, ResourceUse, code_facts_for, reached_exports, targets_of
from sst_lsp.model.resolve import Resolution, runtime_family
from sst_lsp.model.types import App, AppSnapshot, Construct, Finding, HandlerRef, Related, Value
from sst_lsp.syntax.parser import JS_LANGS, ParsedFile, lang_for_path, parse, walk

CODES: dict[str, CodeInfo] = {
    "resource-not-linked": CodeInfo(
        "resource-not-linked",
        "error",
        "Handler code reads a resource that a function using it does not bind (v2) or link (v3).",
        doc=(
            "Rule: `Table.Notes` (from `sst/node/table`), `Config.STRIPE_KEY`, `Bucket.Uploads`, ... "
            "in SST v2 and `Resource.MyBucket` (from `sst`) in v3 only work in a function that binds "
            "or links that construct: its own `bind`/`link`, the construct's `defaults.function`, "
            "`addDefaultFunctionBinding`, or `$transform`. Otherwise SST throws at run time "
            "(\"Cannot use Table.Notes. Please make sure it is bound to this function.\", "
            "`\"MyBucket\" is not linked in your sst.config.ts`). `Resource.App`, `Config.APP` and "
            "`Config.STAGE` are always there.\n\n"
            "Example: `\"GET /notes\": \"src/list.main\"` while `src/list.ts` reads `Table.Notes` and "
            "only `POST /notes` binds the table.\n\n"
            "Fix: add the construct to the function's `bind` (v2) or `link` (v3); the quick fix does."
        ),
    ),
    "environment-variable-missing": CodeInfo(
        "environment-variable-missing",
        "warning",
        "Handler code reads `process.env.NAME` that no function using it sets.",
        doc=(
            "Rule: a variable read in handler code must be set by every function that runs it: its "
            "`environment`, the construct's `defaults.function.environment`, the stack's or app's "
            "default function props or `addDefaultFunctionEnv`. Names Lambda or SST set "
            "(`AWS_REGION`, `AWS_LAMBDA_FUNCTION_NAME`, `SST_*`, `NODE_OPTIONS`, ...) are never "
            "reported.\n\n"
            "Example: `process.env.STRIPE_KEY` in `src/pay.ts` while its function has no "
            "`environment`.\n\n"
            "Fix: set the variable in the function's `environment` (or in the defaults); the quick fix adds it "
            "empty, for you to fill in."
        ),
    ),
}

#: Variables the Lambda runtime sets (AWS docs, "Defined runtime environment variables") and
#: ones SST sets for every function (NODE_OPTIONS for source maps, AWS_NODEJS_CONNECTION_REUSE_*).
ALWAYS_SET = frozenset(
    {"_HANDLER", "_X_AMZN_TRACE_ID", "LANG", "PATH", "LD_LIBRARY_PATH", "NODE_PATH", "NODE_OPTIONS", "NODE_ENV",
     "NODE_EXTRA_CA_CERTS", "TZ", "IS_LOCAL", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}
)
ALWAYS_SET_PREFIXES = ("AWS_", "SST_", "LAMBDA_", "_")


def env_always_set(name: str) -> bool:
    """True for a variable Lambda or SST sets in every function."""
    return name in ALWAYS_SET or name.startswith(ALWAYS_SET_PREFIXES)


@dataclass
class Given:
    """What one function is given: construct ids it binds and the environment it sets."""

    bound: set[Construct] = field(default_factory=set)
    any_bound: bool = False
    env: set[str] = field(default_factory=set)
    any_env: bool = False


def analyze(ctx: AnalysisContext) -> Iterable[Finding]:
    fs = ctx.resolver.fs
    for app in ctx.snapshot.apps:
        yield from _analyze_app(ctx, app, fs)


def _reach_key(app: App, ref: HandlerRef, res: Resolution) -> tuple[Path, str | None] | None:
    """The handler file and export a Node function runs (None: not Node, or no file)."""
    if runtime_family(ref.runtime or app.default_runtime) != "node":
        return None
    if res.file is None or res.status not in ("ok", "export-missing"):
        return None
    return (res.file, res.export if res.status == "ok" else None)


def functions_of(ctx: AnalysisContext, app: App, memo: dict[Path, CodeFacts] | None = None,
                 wanted: Callable[[Path], bool] | None = None
                 ) -> dict[Path, list[tuple[HandlerRef, frozenset[str] | None]]]:
    """File -> the handlers whose function runs it (the handler file and what its imports
    name), each with the exports of the file it uses (None: all of them); only the files
    `wanted` accepts, when given."""
    table = handler_table(ctx.memo, ctx.resolver, ctx.snapshot, app)
    # What `_reach_key` reads of the app (`sig`) besides the reference and its resolution.
    keys = per_ref(ctx.memo, "links", app, table, (app.default_runtime,), functools.partial(_reach_key, app))
    reached: dict[tuple[Path, str | None], dict[Path, frozenset[str] | None]] = {}
    for key in dict.fromkeys(keys):
        if key is not None:
            got = _reached(ctx, app, key, memo)
            if wanted is not None:
                got = {f: names for f, names in got.items() if wanted(f)}
            if got:
                reached[key] = got
    by_file: dict[Path, list[tuple[HandlerRef, frozenset[str] | None]]] = {}
    if not reached:
        return by_file
    for ref, key in zip(table.refs, keys, strict=True):
        files = reached.get(key) if key is not None else None
        if files is not None:
            for f, names in files.items():
                by_file.setdefault(f, []).append((ref, names))
    return by_file


def _reached(ctx: AnalysisContext, app: App, key: tuple[Path, str | None], memo: dict[Path, CodeFacts] | None
             ) -> dict[Path, frozenset[str] | None]:
    """`reached_exports` of a handler file and export, kept in the run's memo with the code
    facts of the files it read (the run's `memo` gets those), until one of them is edited."""
    kept = ctx.memo
    mkey = ("reached", app.root, key)
    got = kept.read(mkey) if kept is not None else None
    if got is not None:
        kept_reached, kept_facts = cast("tuple[dict[Path, frozenset[str] | None], dict[Path, CodeFacts]]", got)
        if memo is not None:
            for f, cf in kept_facts.items():
                memo.setdefault(f, cf)
        return kept_reached
    serial = kept.serial if kept is not None else 0
    run: dict[Path, CodeFacts] = memo if memo is not None else {}
    reached = reached_exports(ctx.resolver.fs, key[0], key[1], app.root, memo=run, cache=ctx.resolver.derived.code_facts)
    if kept is not None:
        facts = {f: run[f] for f in reached if f in run}
        kept.keep(mkey, serial, list(reached), (reached, facts))
    return reached


def _analyze_app(ctx: AnalysisContext, app: App, fs: FileSource) -> Iterator[Finding]:
    memo: dict[Path, CodeFacts] = {}

    def used(f: Path) -> bool:
        facts = code_facts_for(fs, f, memo, ctx.resolver.derived.code_facts)
        return bool(facts.resources or facts.env_reads)

    # Only the files that read resources or the environment have findings to give.
    by_file = functions_of(ctx, app, memo, wanted=used)
    if not by_file:
        return
    given_cache: dict[HandlerRef, Given] = {}
    calls = _calls(app, fs, ctx.resolver.derived.binding_calls, ctx.parsed)
    defaults = app_defaults(ctx.snapshot, app)

    def given(ref: HandlerRef) -> Given:
        g = given_cache.get(ref)
        if g is None:
            g = given_cache[ref] = given_to(app, ref, calls, defaults)
        return g

    for file, users in sorted(by_file.items(), key=lambda kv: str(kv[0])):
        facts = code_facts_for(fs, file, memo)
        for use in facts.resources:
            targets = targets_of(app, use)
            if not targets:
                continue
            # Only the functions whose code path holds the use: the export they run, top-level
            # code and local helpers (code in another export runs for other functions).
            refs = list(dict.fromkeys(r for r, names in users if facts.runs(use.scope, names)))
            lacking = [r for r in refs if not given(r).any_bound and not (given(r).bound & targets)]
            if lacking:
                yield _not_linked(app, fs, file, use, targets, lacking)
        for read in facts.env_reads:
            if env_always_set(read.name):
                continue
            refs = list(dict.fromkeys(r for r, names in users if facts.runs(read.scope, names)))
            lacking = [r for r in refs if not given(r).any_env and read.name not in given(r).env]
            if lacking:
                yield Finding(
                    path=file,
                    range=read.range,
                    severity=CODES["environment-variable-missing"].severity,
                    code="environment-variable-missing",
                    message=(
                        f"process.env.{read.name} is not set for {_names(app, lacking)}: it is undefined "
                        f"there. Set `{read.name}` in their `environment` (or in the function defaults)."
                    ),
                    related=tuple(
                        Related(r.path, r.range, f"{label(r)} does not set {read.name}") for r in lacking
                    ),
                    data={"name": read.name, "fixes": _env_fixes(app, fs, read.name, lacking)},
                )


# ----------------------------------------------------------------------------------------------
# What a function is given.


@dataclass
class _Calls:
    """The binding calls of the app, sorted by where they apply."""

    app_wide: list[BindingCall] = field(default_factory=list)
    by_stack: dict[str, list[BindingCall]] = field(default_factory=dict)
    #: (file, construct var name) -> calls on that construct.
    by_var: dict[tuple[Path, str], list[BindingCall]] = field(default_factory=dict)


def _calls(app: App, fs: FileSource, cache: TextMemo[tuple[BindingCall, ...]] | None = None,
           parsed: Callable[[Path], ParsedFile | None] | None = None) -> _Calls:
    out = _Calls()
    for path in app.files:
        lang = lang_for_path(path)
        if lang not in JS_LANGS or lang is None:
            continue
        pf = parsed(path) if parsed is not None else None
        text = pf.text if pf is not None else fs.read_text(path)
        if text is None:
            continue
        calls = binding_calls(text, lang, cache, pf)
        if not calls:
            continue
        vars_here = {c.var_name for c in app.constructs if c.path == path and c.var_name}
        defs = [sd for sd in app.stack_defs if sd.path == path]
        for call in calls:
            if call.kind in ("bind", "env") and call.receiver in vars_here:
                out.by_var.setdefault((path, call.receiver), []).append(call)
                continue
            sd = next((d for d in defs if d.range.contains_range(call.range)), None)
            if call.kind in ("default-binding", "default-env") and sd is not None:
                out.by_stack.setdefault(sd.name, []).append(call)
            else:
                # App defaults, $transform, and calls on receivers we cannot place: they may
                # reach any function, which can only silence findings.
                out.app_wide.append(call)
    return out


def _construct_of(app: App, ref: HandlerRef) -> Construct | None:
    best: Construct | None = None
    for c in app.constructs:
        if c.path != ref.path or c.id != ref.construct_id or c.kind != ref.construct_kind:
            continue
        if best is None or c.range.contains_range(ref.range):
            best = c
    return best


def given_to(app: App, ref: HandlerRef, calls: _Calls, app_props: list[Value]) -> Given:
    """What the function of `ref` is given (bindings/links and environment)."""
    g = Given()
    keys = ("link",) if app.generation == "v3" else ("bind", "config") if app.generation in ("v0", "v1") else ("bind",)
    props: list[Value | None] = [ref.function_props]
    c = _construct_of(app, ref)
    if c is not None and c.props is not None:
        # A part we cannot read (`defaults: shared`, `...common`) may hold anything: it goes in
        # as it is, and a non-object or partial value makes the function "may have anything".
        props.append(_path(c.props, "defaults", "function"))
        props.append(c.props.get("defaultFunctionProps"))
        props.append(_path(c.props, "transform", "route", "handler"))
        if c.props.partial or c.props is ref.function_props or (catalog.props_are_function(c.origin, c.kind) and ref.function_props is None):
            props.append(c.props)
    sd = next((d for d in app.stack_defs if d.name == ref.stack), None)
    if sd is not None:
        props.extend(sd.default_function_props)
    props.extend(app_props)
    for p in props:
        if p is None:
            continue
        if p.kind != "object" or p.partial:
            g.any_bound = g.any_env = True
            continue
        for key in keys:
            _add_items(app, g, p.get(key))
        _add_env(g, p.get("environment"))
    extra = list(calls.app_wide) + calls.by_stack.get(ref.stack or "", [])
    if c is not None and c.var_name:
        extra += calls.by_var.get((c.path, c.var_name), [])
    for call in extra:
        if call.items is None:
            g.any_bound = True
        else:
            _add_names(app, g, call.items)
        if call.env is None:
            g.any_env = True
        else:
            g.env.update(call.env)
    return g


def _path(v: Value, *keys: str) -> Value | None:
    """The value at `keys` below `v`; a non-object on the way is returned as it is (unknown)."""
    for k in keys:
        if v.kind != "object":
            return v
        got = v.get(k)
        if got is None:
            return None
        v = got
    return v


def app_defaults(snap: AppSnapshot, app: App) -> list[Value]:
    """The app's `app.setDefaultFunctionProps({...})` values (from its files' facts)."""
    out: list[Value] = []
    for p in app.files:
        f = snap.facts.get(p)
        if f is not None:
            out.extend(f.app_default_function_props)
    return out


def _add_items(app: App, g: Given, arr: Value | None) -> None:
    if arr is None:
        return
    if arr.kind != "array" or arr.partial:
        g.any_bound = True
        return
    names: list[str | None] = []
    for item in arr.items:
        names.append(item_name(item.text) if item.kind == "ref" else None)
    _add_names(app, g, tuple(names))


def _add_names(app: App, g: Given, names: tuple[str | None, ...]) -> None:
    for name in names:
        found = [c for c in app.constructs if name is not None and c.var_name == name]
        if not found:
            g.any_bound = True
        g.bound.update(found)


def _add_env(g: Given, env: Value | None) -> None:
    if env is None:
        return
    if env.kind != "object" or env.partial:
        g.any_env = True
        return
    g.env.update(e.key for e in env.entries)


# ----------------------------------------------------------------------------------------------
# Messages and fixes.


def _rel(app: App, p: Path) -> str:
    try:
        return p.relative_to(app.root).as_posix()
    except ValueError:
        return p.as_posix()


def label(r: HandlerRef) -> str:
    """A function as a user names it: `route "GET /notes"`, `Cron "Nightly"`, `Function "Fn"`."""
    if r.route is not None or not r.construct_id or f'"{r.construct_id}"' in r.position:
        return r.position
    return f'{r.construct_kind or r.position} "{r.construct_id}"'


def _names(app: App, refs: list[HandlerRef]) -> str:
    parts = [f"{label(r)} ({_rel(app, r.path)}:{r.range.start.line + 1})" for r in refs[:4]]
    more = f" and {len(refs) - 4} more" if len(refs) > 4 else ""
    return ", ".join(parts) + more


def _not_linked(app: App, fs: FileSource, file: Path, use: ResourceUse, targets: set[Construct],
                lacking: list[HandlerRef]) -> Finding:
    c = min(targets, key=lambda t: (str(t.path), t.range.start))
    v3 = use.generation == "v3"
    expr = f"{use.proxy}.{use.name}"
    verb, key = ("linked", "link") if v3 else ("bound", "bind")
    what = f'{c.kind} "{c.id}" ({_rel(app, c.path)}:{c.id_range.start.line + 1})'
    message = (
        f"{expr} is not {verb} to {_names(app, lacking)}: SST throws "
        + (f'`"{use.name}" is not linked in your sst.config.ts`' if v3
           else f'"Cannot use {expr}. Please make sure it is bound to this function."')
        + f" there. Add the {what} to their `{key}`."
    )
    related = [Related(r.path, r.range, f"{label(r)} does not {key} {c.id}") for r in lacking]
    related.append(Related(c.path, c.id_range, f"the {c.kind} {c.id}"))
    fixes: list[dict[str, object]] = []
    if c.var_name:
        for r in lacking:
            edits = _fix_edits(fs, r, key, c.var_name, v3)
            if edits:
                fixes.append({
                    "title": f"Add {c.var_name} to the {key} of {label(r)}",
                    "path": str(r.path),
                    "edits": edits,
                })
    return Finding(
        path=file,
        range=use.range,
        severity=CODES["resource-not-linked"].severity,
        code="resource-not-linked",
        message=message,
        related=tuple(related),
        data={"resource": c.id, "kind": c.kind, "fixes": fixes},
    )


def _env_fixes(app: App, fs: FileSource, name: str, lacking: list[HandlerRef]) -> list[dict[str, object]]:
    """Quick fixes that set `name` (to an empty string, for the user to fill in) per function."""
    out: list[dict[str, object]] = []
    for r in lacking:
        text = fs.read_text(r.path)
        if text is None or lang_for_path(r.path) not in JS_LANGS or not name.isidentifier():
            continue
        edits = _add_to_props(text, r, "environment", f'{name}: ""', "object", app.generation == "v3")
        if edits:
            out.append({"title": f"Set {name} in the environment of {label(r)}", "path": str(r.path), "edits": edits})
    return out


def _fix_edits(fs: FileSource, ref: HandlerRef, key: str, name: str, v3: bool) -> list[list[object]] | None:
    """The edits that add construct variable `name` to the function's `bind`/`link`."""
    text = fs.read_text(ref.path)
    lang = lang_for_path(ref.path)
    if text is None or lang not in JS_LANGS:
        return None
    written = _written(text, lang, name)
    return _add_to_props(text, ref, key, written, "array", v3) if written is not None else None


def _add_to_props(text: str, ref: HandlerRef, key: str, item: str, container: str, v3: bool
                  ) -> list[list[object]] | None:
    """The edits that add `item` to the function's `key` (an array such as `bind`, or an object
    such as `environment`), creating `key`, or turning a bare handler string into props."""
    lines = text.split("\n")
    opening, closing = ("[", "]") if container == "array" else ("{", "}")

    def char(line: int, col: int) -> str:
        return lines[line][col] if 0 <= line < len(lines) and 0 <= col < len(lines[line]) else ""

    fp = ref.function_props
    if fp is not None and fp.kind == "object" and fp.literal:
        got = fp.get(key)
        if got is not None:
            end = got.range.end
            if got.kind != ("array" if container == "array" else "object") or not got.literal or got.partial \
                    or char(end.line, end.col - 1) != closing:
                return None
            filled = bool(got.items if container == "array" else got.entries)
            new = f", {item}" if filled else (item if container == "array" else f" {item} ")
            at = end.col - 1
            if filled and container == "object" and char(end.line, at - 1) == " ":
                at -= 1  # `{ A: "1" }` -> `{ A: "1", B: "" }`
            return [[end.line, at, end.line, at, new]]
        start = fp.range.start
        if char(start.line, start.col) != "{":
            return None
        inner = f"[{item}]" if container == "array" else f"{{ {item} }}"
        return [[start.line, start.col + 1, start.line, start.col + 1, f" {key}: {inner},"]]
    if fp is None and ref.literal:
        s, e = ref.range.start, ref.range.end
        quote = char(s.line, s.col - 1)
        if s.line != e.line or not quote or quote not in "\"'`" or char(e.line, e.col) != quote:
            return None
        handler = f"{quote}{ref.handler}{quote}"
        inner = f"{opening}{item}{closing}" if container == "array" else f"{{ {item} }}"
        new = (f"{{ handler: {handler}, {key}: {inner} }}" if v3
               else f"{{ function: {{ handler: {handler}, {key}: {inner} }} }}")
        return [[s.line, s.col - 1, e.line, e.col + 1, new]]
    return None


@functools.lru_cache(maxsize=256)
def _written(text: str, lang: str, name: str) -> str | None:
    """How the stack file can name the construct whose variable is `name`: `name` itself when
    the file declares it, else a member expression ending in it that the file already uses
    (`storage.bucket` after `const storage = await import("./infra/storage")`); None if neither."""
    pf = parse(text, lang)
    if _declared(pf, name):
        return name
    for n in walk(pf.root):
        if n.type == "member_expression":
            prop, obj = n.child_by_field_name("property"), n.child_by_field_name("object")
            if prop is not None and obj is not None and obj.type == "identifier" and pf.node_text(prop) == name:
                return pf.node_text(n)
    return None


def _declared(pf: ParsedFile, name: str) -> bool:
    """True when the parsed file declares `name` (a variable, a destructured name, an import,
    a parameter)."""
    for n in walk(pf.root):
        if n.type not in ("identifier", "shorthand_property_identifier_pattern") or pf.node_text(n) != name:
            continue
        parent = n.parent
        if parent is None:
            continue
        if n.type == "shorthand_property_identifier_pattern":
            return True
        if parent.type == "variable_declarator" and parent.child_by_field_name("name") == n:
            return True
        if parent.type in ("import_specifier", "import_clause", "required_parameter", "optional_parameter",
                           "formal_parameters", "array_pattern", "pair_pattern"):
            return True
    return False
