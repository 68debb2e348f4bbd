"""Structure diagnostics (layer 3: analyzers): mistakes in how an app is put together that SST,
CDK or CloudFormation would only reject at synth or deploy time.

- route-invalid: a route (or AppSync resolver) key SST cannot parse, or a path API Gateway
  refuses. The rules follow SST's own parsing (v2 `Api.ts` `addRoute`: the key is split on
  whitespace into exactly `METHOD path`, the method is upper-cased and must be an HTTP method,
  `$default` stands alone) and CDK's (`HttpRouteKey.with`: an HTTP API path starts with "/" and
  does not end with one; REST API path parts are `[a-zA-Z0-9:._$-]` or `{name}` / `{name+}`).
- duplicate-construct-id: two constructs with one id in one scope (CDK: "There is already a
  Construct with name ..."). Only literal ids; two constructs in exclusive branches
  (`if (a) X else X`) or in different callbacks are never reported.
- duplicate-stack-id: two registrations producing one stack id, or (v1/v2) one stack function
  registered twice (SST: "StackDuplicates").
- stack-not-registered: a stack defined in the app's stack files and never registered.
- table-index-field-missing: a Table index key that `fields` does not declare (SST: "Please
  define ... in fields").
- config-invalid: problems reading `sst.json` / `sst.config.*` (from `App.config_errors`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from sst_lsp import catalog
from sst_lsp.analyzers.base import AnalysisContext, CodeInfo
from sst_lsp.analyzers.memo import aligned
from sst_lsp.model.types import (
    App,
    AppSnapshot,
    Construct,
    Finding,
    Related,
    RouteKey,
    Stack,
    Value,
)
from sst_lsp.syntax.text import TextRange

CODES: dict[str, CodeInfo] = {
    "route-invalid": CodeInfo(
        "route-invalid",
        "error",
        "A route or resolver key that SST cannot parse or API Gateway refuses.",
        "Rule: HTTP API routes (Api, ApiGatewayV2) are `METHOD /path` with METHOD one of GET POST "
        "PUT PATCH DELETE HEAD OPTIONS ANY, or `$default`; the path starts with `/` and does not "
        "end with one. REST routes (ApiGatewayV1Api) use the same methods and path parts of "
        "`[a-zA-Z0-9:._$-]`. Path parameters are `{name}`; a greedy `{name+}` only as the last "
        "part. WebSocket routes are `$connect`, `$disconnect`, `$default` or an action name. "
        "AppSync resolvers are `Type field`.\n\n"
        'Example: `routes: { "GET notes": "src/list.main" }` (no leading slash) or '
        '`"GET /notes/{id": ...`.\n\n'
        'Fix: write `"GET /notes"`, `"GET /notes/{id}"`; put `{proxy+}` last.',
    ),
    "duplicate-construct-id": CodeInfo(
        "duplicate-construct-id",
        "error",
        "Two constructs with the same id in the same scope: CDK throws at synth.",
        "Rule: construct ids must be unique among the children of one scope (a stack, or the "
        "construct passed as the first argument).\n\n"
        'Example: `new Table(stack, "Notes", ...)` twice in one stack.\n\n'
        "Fix: rename one of them. Renaming a deployed stateful construct replaces it (its data is "
        "lost), so rename the new one.",
    ),
    "duplicate-stack-id": CodeInfo(
        "duplicate-stack-id",
        "error",
        "Two stack registrations produce the same stack id (or register one stack function twice).",
        "Rule: stack ids are unique in an app; SST v1/v2 also refuse to register the same stack "
        "function twice (\"StackDuplicates\").\n\n"
        'Example: `app.stack(ApiStack).stack(ApiStack)` or two `{ id: "api" }` options.\n\n'
        'Fix: remove the second registration, or give it its own function and `{ id }`.',
    ),
    "stack-not-registered": CodeInfo(
        "stack-not-registered",
        "warning",
        "A stack is defined in the app's stack files but never registered, so it is never deployed.",
        "Rule: every stack function (v1/v2) or Stack class (v0) in the files the app's entry "
        "reaches, or in `stacks/`, should be registered with `app.stack(X)` (v1/v2) or "
        '`new X(app, "id")` (v0) in the entry.\n\n'
        "Example: `export function CronStack({ stack }: StackContext)` in stacks/CronStack.ts "
        "with no `app.stack(CronStack)` in `stacks(app)`.\n\n"
        "Fix: register it, or delete it if it is no longer used.",
    ),
    "table-index-field-missing": CodeInfo(
        "table-index-field-missing",
        "error",
        "A Table index key is not declared in the Table's `fields`: SST throws at synth.",
        "Rule: every partitionKey and sortKey of `primaryIndex`, `globalIndexes` and "
        "`localIndexes` (v3 Dynamo: hashKey and rangeKey) must be a key of `fields`.\n\n"
        'Example: `fields: { userId: "string" }, primaryIndex: { partitionKey: "userId", '
        'sortKey: "noteId" }`.\n\n'
        'Fix: declare the field (`noteId: "string"`) or correct the key\'s spelling.',
    ),
    "config-invalid": CodeInfo(
        "config-invalid",
        "error",
        "The app's sst.json or sst.config file cannot be used as it is.",
        "Rule: sst.json must be a JSON object with a `name`, and its `main` (SST's default: "
        "lib/index.ts, else lib/index.js) must exist; sst.config.ts must `export default` a v2 "
        "`{ config, stacks }` object or a v3 `$config({...})` whose config()/app() returns a "
        "name SST accepts (v3: letters, digits and hyphens, starting with a letter; v2: letters, "
        "digits and hyphens, as its stack names are made of it). A name computed when SST runs "
        "(`process.env.APP || \"notes\"`) is not reported. A v1/v2 `stackName` must hold the "
        "stage (start with `${stage}-`, end in `-${stage}` or contain `-${stage}-`), as SST "
        "checks at synth, unless v2's `advanced.disableParameterizedStackNameCheck` is true; a "
        "name computed when SST runs, or a fixed name that spells a stage (`prod-db`), is not "
        "reported.\n\n"
        'Example: sst.json `{ "region": "us-east-1" }` (no name); '
        '`app.stack(Db, { stackName: "database" })`.\n\n'
        "Fix: add the missing setting or file; build the stack name from `app.stage`.",
    ),
}

HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
WEBSOCKET_RESERVED = frozenset({"$connect", "$disconnect", "$default"})

#: A path parameter's name (API Gateway accepts the REST path-part characters).
_PARAM_NAME = re.compile(r"[A-Za-z0-9:._$-]+")
_REST_PART = re.compile(r"[A-Za-z0-9:._$-]+")
_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
#: JavaScript's `\s` (what `key.split(/\s+/)` splits on).
_JS_WS = re.compile(r"[\s\ufeff\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def analyze(ctx: AnalysisContext) -> Iterable[Finding]:
    snap = ctx.snapshot
    for app in snap.apps:
        yield from _config(app)
        # Per route and per construct, kept between runs for those an edit left alone.
        for found in aligned(ctx.memo, "structure.routes", app, app.routes, _route):
            if found is not None:
                yield found
        yield from _duplicate_constructs(app)
        yield from _duplicate_stacks(app)
        yield from _unregistered(app, snap)
        for table in aligned(ctx.memo, "structure.tables", app, app.constructs, _table):
            yield from table


def _finding(path: Path, rng: TextRange, code: str, message: str,
             related: tuple[Related, ...] = ()) -> Finding:
    return Finding(path=path, range=rng, severity=CODES[code].severity, code=code, message=message,
                   related=related)


# ----------------------------------------------------------------------------------------------
# config-invalid
# ----------------------------------------------------------------------------------------------


def _config(app: App) -> Iterator[Finding]:
    for e in app.config_errors:
        yield _finding(e.path, e.range, "config-invalid", e.message)


# ----------------------------------------------------------------------------------------------
# route-invalid
# ----------------------------------------------------------------------------------------------


def _route(rk: RouteKey) -> Finding | None:
    problem = route_problem(rk.key, rk.construct_kind)
    return _finding(rk.path, rk.range, "route-invalid", problem) if problem is not None else None


@functools.lru_cache(maxsize=1 << 18)
def route_problem(key: str, kind: str) -> str | None:
    """Why `key` is not a valid route of a `kind` construct, or None when it is valid.

    Memoized: every analysis checks every route of the workspace again, and route keys rarely
    change between keystrokes."""
    grammar = catalog.route_grammar(kind)
    if grammar == "websocket":
        return _websocket_problem(key)
    if grammar == "appsync":
        return _resolver_problem(key)
    rest = grammar == "rest"
    if not rest and key == "$default":
        return None
    parts = _JS_WS.split(key)
    if len(parts) != 2 or not parts[0]:
        if key == "$default":
            return 'A REST API (ApiGatewayV1Api) has no "$default" route: write "ANY /{proxy+}".'
        if key.startswith("$"):
            return f'Route "{key}" is not valid: the only special route is "$default".'
        example = '"GET /notes"' + ("" if rest else ' or "$default"')
        return f'Route "{key}" is not "METHOD /path" (e.g. {example}).'
    method, path = parts
    if method.upper() not in HTTP_METHODS:
        return (
            f'Route "{key}" has an unknown method "{method}": use one of '
            "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY."
        )
    if not path:
        return f'Route "{key}" has no path.'
    if rest:
        return _rest_path_problem(key, path)
    return _http_path_problem(key, path)


def _http_path_problem(key: str, path: str) -> str | None:
    if path != "/" and (not path.startswith("/") or path.endswith("/")):
        if not path.startswith("/"):
            return f'Route "{key}": the path must start with "/" (write "/{path}").'
        return f'Route "{key}": the path must not end with "/" (write "{path.rstrip("/") or "/"}").'
    segments = path.split("/")[1:]
    if path == "/":
        return None
    for i, seg in enumerate(segments):
        if seg == "":
            return f'Route "{key}" has an empty path segment ("//").'
        problem = _param_problem(key, seg, last=i == len(segments) - 1)
        if problem is not None:
            return problem
    return None


def _rest_path_problem(key: str, path: str) -> str | None:
    # CDK's `resourceForPath`: an optional leading "/", then parts split on "/", a trailing "/"
    # ignored; an empty part in the middle is refused.
    body = path.removeprefix("/")
    body = body.removesuffix("/")
    if not body:
        return None
    segments = body.split("/")
    for i, seg in enumerate(segments):
        if seg == "":
            return f'Route "{key}" has an empty path segment ("//").'
        if "{" in seg or "}" in seg:
            problem = _param_problem(key, seg, last=i == len(segments) - 1)
            if problem is not None:
                return problem
        elif not _REST_PART.fullmatch(seg):
            return (
                f'Route "{key}": path part "{seg}" may only hold letters, digits and ":._$-" '
                "(REST API resource paths)."
            )
    return None


def _param_problem(key: str, seg: str, last: bool) -> str | None:
    if "{" not in seg and "}" not in seg:
        return None
    if not (seg.startswith("{") and seg.endswith("}")) or seg.count("{") != 1 or seg.count("}") != 1:
        return f'Route "{key}": path parameter "{seg}" is malformed; write "{{name}}" as a whole path part.'
    name = seg[1:-1]
    greedy = name.endswith("+")
    if greedy:
        name = name[:-1]
    if not name:
        return f'Route "{key}": path parameter "{seg}" has no name.'
    if not _PARAM_NAME.fullmatch(name):
        return f'Route "{key}": path parameter name "{name}" may only hold letters, digits and ":._$-".'
    if greedy and not last:
        return f'Route "{key}": the greedy parameter "{seg}" must be the last part of the path.'
    return None


def _websocket_problem(key: str) -> str | None:
    if not key.strip():
        return "A WebSocket route key cannot be empty."
    if key.startswith("$") and key not in WEBSOCKET_RESERVED:
        return (
            f'WebSocket route "{key}" is not valid: the "$" routes are $connect, $disconnect and '
            "$default (custom routes are action names without \"$\")."
        )
    return None


def _resolver_problem(key: str) -> str | None:
    parts = _JS_WS.split(key)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return f'Resolver "{key}" is not "Type field" (e.g. "Query listNotes").'
    for part in parts:
        if not _GRAPHQL_NAME.fullmatch(part):
            return f'Resolver "{key}": "{part}" is not a GraphQL name.'
    return None


# ----------------------------------------------------------------------------------------------
# duplicate-construct-id / duplicate-stack-id
# ----------------------------------------------------------------------------------------------


def _may_both_run(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> bool:
    """True when two places can both run: one's branch path is a prefix of the other's."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return long_[: len(short)] == short


def _duplicate_constructs(app: App) -> Iterator[Finding]:
    groups: dict[tuple[object, ...], list[Construct]] = {}
    for c in app.constructs:
        if c.dynamic_id:
            continue
        if c.origin == "sst3":
            # v3 component names share one namespace per app (Pulumi URNs).
            key: tuple[object, ...] = ("sst3", c.id)
        elif c.stack is None:
            continue  # A helper outside any stack: the scope it gets is unknown.
        else:
            key = (c.stack, c.scope, c.id)
        groups.setdefault(key, []).append(c)
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda c: (str(c.path), c.range.start))
        for i, c in enumerate(members):
            first = next(
                (p for p in members[:i] if p.path != c.path or _may_both_run(p.branch, c.branch)),
                None,
            )
            if first is None:
                continue
            where = f'stack "{c.stack}"' if c.stack else "the app"
            scope = f" (scope `{c.scope}`)" if c.scope and c.scope not in ("stack", "this") else ""
            yield _finding(
                c.path,
                c.id_range,
                "duplicate-construct-id",
                f'Construct id "{c.id}" is already used in {where}{scope} by the {first.kind} on line '
                f"{first.range.start.line + 1}{_file_note(first.path, c.path)}: "
                + ("SST refuses two components with one name." if c.origin == "sst3"
                   else "CDK refuses two children with one id."),
                (Related(first.path, first.id_range, f'the first "{c.id}"'),),
            )


def _file_note(first: Path, here: Path) -> str:
    return "" if first == here else f" of {first.name}"


def _duplicate_stacks(app: App) -> Iterator[Finding]:
    if app.generation == "v3":
        return
    seen_ids: dict[str, Stack] = {}
    seen_names: dict[str, Stack] = {}
    seen_defs: dict[tuple[Path, str], Stack] = {}
    for s in app.stacks:
        reg = s.registration
        if reg is None:
            continue
        rng = reg.id_range or reg.range
        first = seen_ids.get(s.id)
        if first is not None and _compatible(first, s):
            yield _finding(
                reg.path, rng, "duplicate-stack-id",
                f'Stack id "{s.id}" is already registered{_line(first)}: two stacks cannot share an id.',
                _related_reg(first, f'the first "{s.id}"'),
            )
            continue
        seen_ids.setdefault(s.id, s)
        if s.stack_name:
            firstn = seen_names.get(s.stack_name)
            if firstn is not None and _compatible(firstn, s):
                yield _finding(
                    reg.path, rng, "duplicate-stack-id",
                    f'Stack name "{s.stack_name}" is already used{_line(firstn)}: CloudFormation stack '
                    "names are unique per region.",
                    _related_reg(firstn, f'the first "{s.stack_name}"'),
                )
                continue
            seen_names.setdefault(s.stack_name, s)
        d = s.definition
        if d is not None and d.form == "function" and app.generation in ("v1", "v2"):
            key = (d.path, d.name)
            firstd = seen_defs.get(key)
            if firstd is not None and _compatible(firstd, s):
                yield _finding(
                    reg.path, reg.range, "duplicate-stack-id",
                    f'Stack function "{d.name}" is already registered{_line(firstd)}: SST registers a '
                    'stack function once ("StackDuplicates"), whatever its id.',
                    _related_reg(firstd, f'the first registration of "{d.name}"'),
                )
                continue
            seen_defs.setdefault(key, s)


def _compatible(a: Stack, b: Stack) -> bool:
    ra, rb = a.registration, b.registration
    if ra is None or rb is None:
        return False
    if ra.path != rb.path:
        return True
    return _may_both_run(ra.branch, rb.branch)


def _line(s: Stack) -> str:
    r = s.registration
    return f" on line {r.range.start.line + 1}" if r is not None else ""


def _related_reg(s: Stack, message: str) -> tuple[Related, ...]:
    r = s.registration
    if r is None:
        return ()
    return (Related(r.path, r.id_range or r.range, message),)


# ----------------------------------------------------------------------------------------------
# stack-not-registered
# ----------------------------------------------------------------------------------------------


def _unregistered(app: App, snap: AppSnapshot) -> Iterator[Finding]:
    if app.generation == "v3" or app.entry is None:
        return
    facts = snap.facts
    # A registration we could not link to a definition (a loop over stack functions, a variable)
    # might register any stack: say nothing rather than guess. Stacks imported from packages
    # (`import { Auth } from "@org/stacks"`) are linked to nothing and are fine.
    for s in app.stacks:
        if s.definition is None and s.registration is not None and not _from_package(s, snap):
            return
    registered = {(s.definition.path, s.definition.name) for s in app.stacks if s.definition is not None}
    called: set[str] = set()
    for p in app.files:
        f = facts.get(p)
        if f is not None:
            called.update(f.called)
    wrapped = {s.registration.wrapped for s in app.stacks if s.registration and s.registration.wrapped}
    seen: set[tuple[Path, str]] = set()
    for d in app.stack_defs:
        key = (d.path, d.name)
        if key in registered or key in seen:
            continue
        seen.add(key)
        if d.name in wrapped:
            continue
        if d.form == "function" and d.name in called:
            continue  # Called by another stack: a helper taking a StackContext.
        how = f'new {d.name}(app, "id")' if d.form == "class" else f"app.stack({d.name})"
        entry = app.entry.name if app.entry else "the entry"
        yield _finding(
            d.path, d.name_range, "stack-not-registered",
            f'Stack "{d.name}" is never registered, so it is never deployed: add `{how}` in {entry}.',
        )


def _from_package(s: Stack, snap: AppSnapshot) -> bool:
    reg = s.registration
    if reg is None or not reg.target:
        return False
    f = snap.facts.get(reg.path)
    if f is None:
        return False
    head = reg.target.split(".", 1)[0]
    for imp in f.imports:
        if any(local == head for local, _ in imp.names):
            return not imp.specifier.startswith(".")
    return False


# ----------------------------------------------------------------------------------------------
# table-index-field-missing
# ----------------------------------------------------------------------------------------------


def _table(c: Construct) -> tuple[Finding, ...]:
    """The findings of one construct (those of a Table; none for the others)."""
    return tuple(_table_findings(c))


def _table_findings(c: Construct) -> Iterator[Finding]:
    props = c.props
    if props is None or props.kind != "object":
        return
    spec = catalog.spec_for(c.origin, c.kind)
    if spec is None or spec.table_keys is None:
        return
    keys, index_props = spec.table_keys
    fields = props.get("fields")
    if fields is None or fields.kind != "object" or fields.partial:
        return
    declared = {e.key for e in fields.entries}
    where: list[tuple[str, Value | None, tuple[str, ...]]] = [("primary index", props.get("primaryIndex"), keys)]
    for prop, index_keys in index_props:
        idx = props.get(prop)
        if idx is None or idx.kind != "object":
            continue
        for e in idx.entries:
            where.append((f'index "{e.key}"', e.value, index_keys))
    for label, index, wanted in where:
        if index is None or index.kind != "object":
            continue
        for k in wanted:
            v = index.get(k)
            if v is None or v.kind != "string" or v.str_value in declared:
                continue
            listed = ", ".join(sorted(declared)) or "none"
            yield _finding(
                c.path, v.range, "table-index-field-missing",
                f'{k} "{v.str_value}" of the {label} of Table "{c.id}" is not declared in `fields` '
                f"(declared: {listed}).",
                (Related(c.path, fields.range, "the Table's fields"),),
            )
