"""The SST app model (layer 2): frozen, tree-sitter-free facts about apps.

Flow: each file's text -> `FileFacts` (model/extract.py, cached per content) -> `App`s
(model/index.py assembles discovered app roots with the facts of the files their entry
reaches) -> `AppSnapshot` (immutable; what analyzers and ide/ see).

Paths are absolute `Path`s. Ranges are `TextRange`s (code-point columns) in the file named
beside them.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from sst_lsp import catalog
from sst_lsp.model import finding as _finding
from sst_lsp.syntax.text import TextRange

Generation = Literal["v0", "v1", "v2", "v3"]

# Findings live in a leaf module (a cached check reads them without this one); named here too.
Finding = _finding.Finding
Related = _finding.Related
Severity = _finding.Severity

#: Placeholders in a stack name template (v2 ``stackName: `${app.stage}-db` ``): the stage
#: (the same token baseline/state.py substitutes) and the app name.
STAGE_TOKEN = "${stage}"
APP_TOKEN = "${app}"


def stack_name_problem(template: str) -> str | None:
    """Why SST refuses a stack name on every stage (a template holding `STAGE_TOKEN`, see
    `model/stacks.name_template`), or None.

    SST's `App` (v1 `@serverless-stack/resources`, v2 `sst/constructs`) throws at synth for a
    stack whose name neither starts with `${stage}-`, ends in `-${stage}` nor contains
    `-${stage}-` (v2 unless `advanced.disableParameterizedStackNameCheck` is set). A fixed name
    with a hyphen passes on a stage it spells (`prod-db` on `prod`): not refused here."""
    t = STAGE_TOKEN
    if template.startswith(t + "-") or template.endswith("-" + t) or f"-{t}-" in template:
        return None
    if t not in template and "-" in template:
        return None
    shown = template.replace(APP_TOKEN, "${app.name}").replace(t, "${app.stage}")
    return (f'stack name "{shown}" is not parameterized with the stage name: SST refuses it on every '
            'stage; it must start with "${stage}-", end in "-${stage}" or contain "-${stage}-"')


_T = TypeVar("_T")


def _quick_init(cls: type[_T]) -> type[_T]:
    """Gives a frozen dataclass an `__init__` that sets its fields through one bound
    `object.__setattr__`, with the same parameters and defaults as the generated one (which
    looks the method up again for every field). For the classes made once per value, route or
    handler of a file: a 200,000-route stack file makes millions of them."""
    ns: dict[str, object] = {"_set": object.__setattr__}
    params, body = [], []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.default_factory is not dataclasses.MISSING or not f.init:
            raise TypeError(f"{cls.__name__}.{f.name}: only plain fields and defaults are supported")
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            ns[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        body.append(f"    _set(self, {f.name!r}, {f.name})")
    exec(f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body), ns)  # noqa: S102
    init = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    setattr(cls, "__init__", init)  # noqa: B010 (mypy refuses assigning to a method)
    # Pickled as a constructor call with the fields in order (the dataclass's own state
    # functions call `fields()` per object: the check cache of a big stack file pickles millions).
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if len(names) < 2:
        raise TypeError(f"{cls.__name__}: attrgetter gives a tuple for two fields or more")
    get = operator.attrgetter(*names)

    def __reduce__(self: object) -> tuple[type, tuple[object, ...]]:
        return (cls, get(self))

    __reduce__.__qualname__ = f"{cls.__qualname__}.__reduce__"
    setattr(cls, "__reduce__", __reduce__)  # noqa: B010
    return cls

# ----------------------------------------------------------------------------------------------
# Values: a small static evaluation of JS expressions, kept with their ranges.
# ----------------------------------------------------------------------------------------------

ValueKind = Literal[
    "string",  # value: str (after same-file constant folding of templates/concatenation)
    "number",  # value: float
    "bool",  # value: bool
    "null",  # null / undefined
    "object",  # entries
    "array",  # items
    "ref",  # a reference we could not evaluate: `text` holds its source, e.g. "RemovalPolicy.RETAIN"
    "unknown",  # anything else (calls, functions, ...): `text` holds its source
]


@_quick_init
@dataclass(frozen=True, slots=True)
class Value:
    """A statically evaluated JS expression with its source range.

    For strings, `range` covers the string's content (inside the quotes) when it comes from one
    literal; for values folded from several pieces, it covers the whole expression.
    """

    kind: ValueKind
    range: TextRange
    value: str | float | bool | None = None
    entries: tuple[Entry, ...] = ()
    items: tuple[Value, ...] = ()
    text: str = ""
    literal: bool = True
    """False when the value was reached through a variable or folded from several pieces."""
    partial: bool = False
    """True when an object or array holds spreads (or items) we could not evaluate, so its
    entries are not all there: checks that need every key (table fields) must skip it."""
    path: Path | None = None
    """The file `range` is in when it is not the file being extracted (a constant imported
    from another module, an argument passed into a helper in another file)."""
    cond: tuple[Any, ...] | None = None
    """For an "unknown" that is a choice on the stage (`cond ? a : b`, `stage === "prod"`, ...):
    the choice and its compiled condition (model/stage_values.py `Choice`); `items` hold the
    branches. None for everything else."""

    def get(self, key: str) -> Value | None:
        """The value of `key` in an object (last one wins, as in JS), else None."""
        found = None
        for e in self.entries:
            if e.key == key:
                found = e.value
        return found

    def entry(self, key: str) -> Entry | None:
        found = None
        for e in self.entries:
            if e.key == key:
                found = e
        return found

    @property
    def str_value(self) -> str | None:
        return self.value if self.kind == "string" and isinstance(self.value, str) else None

    def to_python(self) -> object:
        """Plain Python data (dicts, lists, scalars; refs/unknown become their source text)."""
        if self.kind == "object":
            return {e.key: e.value.to_python() for e in self.entries}
        if self.kind == "array":
            return [i.to_python() for i in self.items]
        if self.kind in ("ref", "unknown"):
            return {"$ref": self.text} if self.kind == "ref" else {"$unknown": self.text}
        return self.value


@_quick_init
@dataclass(frozen=True, slots=True)
class Entry:
    """One `key: value` of an object literal (computed keys that fold to a string included)."""

    key: str
    key_range: TextRange
    value: Value
    path: Path | None = None
    """The file `key_range` is in, when it is not the file being extracted (see `Value.path`)."""
    cond: tuple[Any, ...] | None = None
    """For an entry that a conditional spread sets (`...(isProd ? { memorySize: 2048 } : {})`,
    `...(cond && {...})`): (the condition under which it is set, compiled as
    model/stage_values.py `Cond`, "unknown" when it reads something else; the spread's source
    text). None for an entry that is always set. Readers that check every branch ignore it."""


# ----------------------------------------------------------------------------------------------
# Per-file facts.
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportFact:
    """`import {a as b} from "./x"`, `import * as ns from "./x"`, `export * from "./x"`, ..."""

    specifier: str
    range: TextRange  # of the specifier string's content
    #: local name -> imported name ("default", "*" for a namespace, or the exported name).
    #: For re-exports (`export {a as b} from`), exported name -> original name; ("*", "*") for
    #: `export * from`.
    names: tuple[tuple[str, str], ...] = ()
    reexport: bool = False


@dataclass(frozen=True, slots=True)
class StackDef:
    """A stack definition: a v1/v2 function taking a StackContext, or a v0 class."""

    name: str  # the function or class name ("ApiStack"); "default" for an anonymous default export
    path: Path
    name_range: TextRange
    range: TextRange  # the whole definition
    form: Literal["function", "class"]
    #: `stack.setDefaultFunctionProps({...})` calls inside it, in source order.
    default_function_props: tuple[Value, ...] = ()
    #: Names of other stacks this one `use()`s (v1/v2) — dependencies.
    uses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StackRegistration:
    """A place that adds a stack to the app: `app.stack(X, {id})`, `new X(app, "id")`."""

    target: str  # the local name used (function/class identifier), "" for an inline arrow function
    path: Path
    range: TextRange  # of the target expression
    explicit_id: str | None = None  # v0's id argument, v2's `{ id }`
    id_range: TextRange | None = None
    stack_name: str | None = None  # v2's `{ stackName }`, a template (see `Stack.physical_name`)
    #: The source of a `stackName` that could not be evaluated (then `stack_name` is None).
    stack_name_expr: str | None = None
    #: Where the `stackName` value is written (None: reached through a spread).
    stack_name_range: TextRange | None = None
    #: For inline wrappers `.stack((ctx) => ApiStack({...ctx}))`, the wrapped function's name.
    wrapped: str | None = None
    #: Where the registration sits among conditionals: see `Construct.branch`.
    branch: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Construct:
    """`new X(scope, "id", props)` for an SST construct or a raw CDK stateful construct."""

    kind: str  # "Table", "Bucket", "Api", "Function", ... (the class name as SST/CDK spells it)
    #: Where the class comes from: "sst" (v0-v2 constructs), "sst3" (v3 `sst.aws.*`), or the CDK
    #: module such as "aws-dynamodb", "aws-s3", "aws-rds", "aws-cognito", "aws-lambda".
    origin: str
    id: str
    id_range: TextRange
    path: Path
    range: TextRange  # the whole `new` expression
    stack: str | None  # the StackDef name it is created in (None: outside any stack, or v3)
    scope: str = ""  # source text of the scope argument ("stack", "this", "props.stack", ...)
    props: Value | None = None
    var_name: str | None = None  # `const table = new Table(...)` -> "table"
    #: True when the id is computed (loop variable, call): such constructs never produce
    #: structure or stateful findings.
    dynamic_id: bool = False
    #: The conditionals and nested functions between the construct and its stack (or file)
    #: body, outermost first, as (byte offset of the if/ternary/switch/function, branch taken).
    #: Two constructs clash only when one path is a prefix of the other: `if (a) X else X`
    #: never runs both, `X; if (a) X` does when `a` holds.
    branch: tuple[tuple[int, int], ...] = ()

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.stack, self.id)


@_quick_init
@dataclass(frozen=True, slots=True)
class HandlerRef:
    """A handler string in a place SST accepts a function.

    `runtime`/`src_path`/`bundle` are the values from the function's own props and the
    construct's defaults as seen in this file; the app model fills in stack and app defaults
    (SST's order: function props > construct defaults > stack defaults > app defaults).
    """

    handler: str
    path: Path
    range: TextRange  # the string content (inside the quotes), or the whole expression if folded
    position: str  # human description: 'route "GET /notes"', 'Cron "job"', 'Function', ...
    stack: str | None
    construct_id: str | None = None
    construct_kind: str | None = None
    route: str | None = None  # route key for Api-like constructs
    runtime: str | None = None
    src_path: str | None = None
    runtime_range: TextRange | None = None
    literal: bool = True  # False when the string came through a constant or was folded
    #: The props object the handler sits in (for hover/synth), if any.
    function_props: Value | None = None
    #: True when `runtime`/`src_path` were given on the function itself or its construct's
    #: defaults (so stack/app defaults must not override them).
    has_local_runtime: bool = False
    has_local_src_path: bool = False
    #: v3 `bundle`: the folder (relative to the app root) the handler is relative to.
    bundle: str | None = None


@_quick_init
@dataclass(frozen=True, slots=True)
class RouteKey:
    """A route key of an Api-like construct (checked by the route-invalid analyzer)."""

    key: str
    range: TextRange  # the key's string content
    path: Path
    construct_kind: str
    construct_id: str | None
    stack: str | None


@dataclass(frozen=True, slots=True)
class ConfigFacts:
    """What an `sst.config.ts/js` says: v2 `config()`/`stacks(app)`, or v3 `app()`/`run()`."""

    name: str | None = None
    name_range: TextRange | None = None
    region: str | None = None
    generation: Generation = "v2"
    #: For v3: `app(input)` may set `home`, `removal`, ...
    removal: str | None = None
    #: Where config problems are reported: the `config`/`app` key, else `export default`.
    anchor: TextRange | None = None
    #: Set when the name is not certain: `process.env.APP || "notes"` (then `name` is the fallback)
    #: or a name computed when SST runs (then `name` is None). Says how the name is made.
    name_note: str | None = None
    #: False when `config()` sets `advanced.disableParameterizedStackNameCheck: true` (v2): SST
    #: then deploys stack names that do not hold the stage.
    stack_name_check: bool = True


@dataclass(frozen=True, slots=True)
class FileFacts:
    """Everything one file contributes to the model. Compared by value: an edit that leaves the
    facts equal does not invalidate the app model."""

    path: Path
    lang: str
    imports: tuple[ImportFact, ...] = ()
    stacks: tuple[StackDef, ...] = ()
    registrations: tuple[StackRegistration, ...] = ()
    constructs: tuple[Construct, ...] = ()
    handlers: tuple[HandlerRef, ...] = ()
    routes: tuple[RouteKey, ...] = ()
    #: `app.setDefaultFunctionProps({...})` calls (entry files).
    app_default_function_props: tuple[Value, ...] = ()
    config: ConfigFacts | None = None
    #: Handler positions whose value could not be resolved statically (counted by --stats).
    unresolved: int = 0
    syntax_errors: tuple[TextRange, ...] = ()
    #: True when the file defines `main(app)`/`default function(app)`/`stacks(app)`/`run()`.
    is_entry: bool = False
    #: The local name the file exports as default (`export default function ApiStack`), if any.
    default_export: str | None = None
    #: Local names exported under another name: exported -> local (`export { A as B }`).
    export_aliases: tuple[tuple[str, str], ...] = ()
    #: Names called as plain functions anywhere in the file (`ApiRoutes(ctx)`), sorted: a stack
    #: function called by another stack is a helper, not an unregistered stack.
    called: tuple[str, ...] = ()
    #: Function bodies of other files this file's calls evaluated with their arguments (file,
    #: range of the function): what those files extracted there with unbound parameters is
    #: superseded by what the calls produced (model/index.py drops it).
    interpreted: tuple[tuple[Path, TextRange], ...] = ()
    #: True when calls, loops or typed parameters were evaluated: a literal may be reached from
    #: several places (the app keeps one reference per literal and meaning).
    expanded: bool = False
    #: The expressions whose handler positions `unresolved` counts, with their counts (a call
    #: that evaluates a helper with its arguments supersedes those inside the helper's body).
    unresolved_at: tuple[tuple[TextRange, int], ...] = ()


# ----------------------------------------------------------------------------------------------
# Apps.
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigError:
    path: Path
    range: TextRange
    message: str


@dataclass(frozen=True, slots=True)
class Stack:
    """A stack of an app: a definition and (usually) its registration."""

    id: str  # the construct id SST uses ("ApiStack", or v0's "my-stack")
    definition: StackDef | None
    registration: StackRegistration | None
    #: An explicit CloudFormation stack name (v2 `stackName`): a template holding `STAGE_TOKEN`
    #: and `APP_TOKEN` where it reads `app.stage` / `app.name`.
    stack_name: str | None = None
    #: The source of a `stackName` that could not be evaluated: SST deploys some other name than
    #: `physical_name` says, and whoever shows that name must say so.
    stack_name_expr: str | None = None

    def physical_name(self, stage: str, app: str) -> str:
        """The CloudFormation stack name: `{stage}-{app}-{id}` unless given explicitly."""
        if self.stack_name:
            return self.stack_name.replace(STAGE_TOKEN, stage).replace(APP_TOKEN, app)
        return catalog.prefixed_name(stage, app, self.id)


@dataclass(frozen=True, slots=True)
class App:
    """One SST app: a root with a config, its stacks and what they contain."""

    root: Path
    config_path: Path
    generation: Generation
    name: str | None
    region: str | None
    entry: Path | None  # stacks/index.ts (v0/v1), sst.config.ts (v2/v3)
    files: tuple[Path, ...]  # every source file reached from the entry (entry first)
    stacks: tuple[Stack, ...]
    constructs: tuple[Construct, ...]
    handlers: tuple[HandlerRef, ...]  # runtime/src_path filled with stack and app defaults
    routes: tuple[RouteKey, ...] = ()
    #: v0/v1 `sst.json` `srcPath`-like settings do not exist; but v1 default runtime does.
    default_runtime: str = "nodejs"
    config_errors: tuple[ConfigError, ...] = ()
    unresolved: int = 0
    #: Stack definitions found in the app's files (registered or not).
    stack_defs: tuple[StackDef, ...] = ()
    #: How the app name is made when it is not certain (see `ConfigFacts.name_note`).
    name_note: str | None = None

    def stack(self, stack_def_name: str | None) -> Stack | None:
        for s in self.stacks:
            if s.definition is not None and s.definition.name == stack_def_name:
                return s
        return None

    def stack_id_for(self, stack_def_name: str | None) -> str | None:
        """The stack id of the stack whose definition has this name (None if unregistered)."""
        s = self.stack(stack_def_name)
        return s.id if s else None


@dataclass(frozen=True)
class AppSnapshot:
    """An immutable view of every app in the workspace at one revision."""

    revision: int
    apps: tuple[App, ...]
    #: Facts for every file known to the index (stack files and parsed handler files).
    facts: dict[Path, FileFacts] = field(default_factory=dict)

    def app_for(self, path: Path) -> App | None:
        """The app whose files include `path`, else the innermost app whose root holds it."""
        for app in self.apps:
            if path in app.files:
                return app
        best: App | None = None
        for app in self.apps:
            if path.is_relative_to(app.root) and (best is None or len(app.root.parts) > len(best.root.parts)):
                best = app
        return best

    def handlers(self) -> Iterator[tuple[App, HandlerRef]]:
        for app in self.apps:
            for h in app.handlers:
                yield app, h
