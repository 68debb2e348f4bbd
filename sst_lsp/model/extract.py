"""Per-file fact extraction (layer 2: model): `ParsedFile` -> `FileFacts`.

What a JS/TS file says about an SST app: its imports, stack definitions (v0 classes, v1/v2
functions taking a StackContext), stack registrations (`app.stack(X)`, `new X(app, "id")`),
constructs (`new X(scope, "id", props)` for SST and CDK classes, `new sst.aws.X("id", props)`
for v3), handler strings in every position SST accepts a function, route keys, default function
props and the app config of `sst.config.*`.

Extraction never raises on user code: an unknown shape is skipped (and counted in
`unresolved` when it sits where a handler belongs).

Across files (with a `Program`, see `new_program`): values are followed through imports, calls
of the app's functions are run with their arguments (the body in the file that defines it, by
a sub-extractor of that module, placed in the caller's stack), loops over known items
(`for ... of`, `.forEach`/`.map`, `Object.entries/keys/values`, `readdirSync`) are run once per
item, and constructs reached through parameters, `use(OtherStack)` or imports are receivers of
handler methods. Each reference keeps the file its string is written in; `FileFacts.interpreted`
names the helper bodies whose unbound extraction in their own file the app then drops.

Extraction is incremental when the caller keeps an `ExtractMemo` per file: the products of each
`new X(...)` (its Construct, handlers, route keys and unresolved count) are remembered under
what they depend on (the expression's text and position, its class, enclosing stack, variable
and branch, the file's imports) and reused by the next extraction when the identifiers its
evaluation resolved still resolve to the same declarations. A product whose evaluation went
through a call, a binding or another module is not remembered (its lookups do not say what it
read). Typing inside one construct of a large stack file then evaluates that construct only;
the result is equal to a from-scratch extraction.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node, Query, QueryCursor

from sst_lsp.model import interp
from sst_lsp.model.evaluate import Evaluator, Lookup, string_content, tag, unwrap
from sst_lsp.model.files import FileSource
from sst_lsp.model.modules import Module, Program
from sst_lsp.model.types import (
    APP_TOKEN,
    STAGE_TOKEN,
    ConfigFacts,
    Construct,
    Entry,
    FileFacts,
    HandlerRef,
    ImportFact,
    RouteKey,
    StackDef,
    StackRegistration,
    Value,
)
from sst_lsp.syntax.parser import JS_LANGS, ParsedFile, lang_for_path, language, walk
from sst_lsp.syntax.text import TextRange
from sst_lsp.syntax.ts_nodes import variable_declarators

#: Methods whose calls we look at (everything else is skipped in C, by the query).
_METHODS = (
    "stack|setDefaultFunctionProps|addRoutes|addConsumer|addConsumers|addSubscribers|subscribe|"
    "addNotifications|addResolvers|addDataSources|addRules|addTargets|route|notify"
)
_QUERY_SRC = f"""
(new_expression) @new
(call_expression
  function: (member_expression property: (property_identifier) @method)
  (#match? @method "^({_METHODS})$")) @call
(call_expression function: (identifier) @fn (#eq? @fn "use")) @use
(call_expression function: (import) arguments: (arguments . (string) @dynimport))
(call_expression function: (import) arguments: (arguments . (_) @dynexpr))
(call_expression function: (identifier) @callee)
(call_expression
  function: (member_expression property: (property_identifier) @cbm)
  (#match? @cbm "^(forEach|map|flatMap)$")) @cbcall
(for_in_statement) @loop
"""

#: The query's captures that extraction reads, with the node type each captures.
_CAPTURE_TYPES = {
    "new": "new_expression",
    "call": "call_expression",
    "use": "call_expression",
    "callee": "identifier",
    "dynimport": "string",
    "dynexpr": "",
    "cbcall": "call_expression",
    "loop": "for_in_statement",
}
#: Beyond this many edited regions, an incremental query costs more than a full one.
_MAX_REQUERY_RANGES = 16

#: Nodes whose bodies run conditionally or repeatedly (see `_Extractor._branch`).
_BRANCH_FUNCTIONS = frozenset(
    {"function_declaration", "function_expression", "arrow_function", "method_definition",
     "generator_function_declaration", "function", "class_declaration", "class"}
)
_BRANCH_LOOPS = frozenset(
    {"for_statement", "for_in_statement", "while_statement", "do_statement"}
)

#: API-like constructs whose `routes` map keys to functions.
API_KINDS = frozenset({"Api", "ApiGatewayV1Api", "WebSocketApi", "GraphQLApi", "HttpApi"})
APPSYNC_KINDS = frozenset({"AppSyncApi"})
#: v3 components whose `.route()` takes a handler.
V3_ROUTERS = frozenset({"ApiGatewayV2", "ApiGatewayV1", "ApiGatewayWebSocket"})


@functools.cache
def _query(lang: str) -> Query:
    return Query(language(lang), _QUERY_SRC)


_RECOVER_SRC = """
(function_declaration) @fn
(function_expression) @fn
(generator_function_declaration) @fn
(class_declaration) @cls
(import_statement) @imp
"""


@functools.cache
def _recover_query(lang: str) -> Query:
    return Query(language(lang), _RECOVER_SRC)


def is_sst_module(spec: str) -> bool:
    return spec in ("@serverless-stack/resources", "sst/constructs") or spec.startswith(
        ("@serverless-stack/resources/", "sst/constructs/")
    )


def cdk_module(spec: str) -> str | None:
    """ "aws-cdk-lib/aws-dynamodb" -> "aws-dynamodb"; "aws-cdk-lib" -> ""; else None."""
    if spec == "aws-cdk-lib":
        return ""
    if spec.startswith("aws-cdk-lib/"):
        return spec[len("aws-cdk-lib/") :]
    if spec.startswith("@aws-cdk/"):
        return spec[len("@aws-cdk/") :]
    return None


@dataclass
class _Defaults:
    """Function defaults from a construct's `defaults.function` / `defaultFunctionProps`."""

    runtime: Value | None = None
    src_path: Value | None = None


@dataclass
class _Target:
    """Where a handler found inside a construct belongs."""

    stack: str | None
    construct: Construct | None
    defaults: _Defaults = field(default_factory=_Defaults)


#: Memo entries kept at least (beyond the current extraction's): edits that go back and forth
#: (undo, toggling a character) find the earlier products still there.
MEMO_MIN_ENTRIES = 256


@dataclass(slots=True, eq=False)
class _Product:
    """What one `new X(...)` contributed to a file's facts, and what it depended on."""

    construct: Construct
    handlers: tuple[HandlerRef, ...]
    routes: tuple[RouteKey, ...]
    unresolved: int
    lookups: tuple[Lookup, ...]
    #: `by_var` keys the handler extraction checked, with whether they were present.
    var_checks: tuple[tuple[tuple[str | None, str], bool], ...]


#: (text, start row, start byte column, start code-point column, the file's imports (see
#: `_imports_key`), enclosing stack, variable name) of a `new` expression. Not its branch, which
#: holds byte offsets that any edit above shifts: a remembered product gets the current branch
#: (nothing else depends on it).
_Key = tuple[str, int, int, int, str, "str | None", "str | None"]


class ExtractMemo:
    """The products of one file's `new` expressions, carried from one extraction to the next,
    and the query's captures of the parse last extracted: when the next parse is a `reparse` of
    that one, only the ranges its edit touched are queried again.

    Keep one per file and pass it to every `extract` of that file. It is bounded: the entries of
    the latest extraction plus the most recently used older ones, up to `MEMO_MIN_ENTRIES` or
    twice the latest extraction's, whichever is more. Not thread-safe: one extraction at a time.
    """

    __slots__ = ("_entries", "_spans", "hits", "lang", "misses", "path", "queried", "serial")

    def __init__(self) -> None:
        self.path: Path | None = None
        self.lang: str | None = None
        self._entries: OrderedDict[_Key, _Product] = OrderedDict()
        # The serial of the parse last extracted, and the byte spans of its query captures.
        self.serial: int | None = None
        self._spans: dict[str, list[tuple[int, int]]] | None = None
        #: Reused and evaluated `new` expressions in the latest extraction (for measurements).
        self.hits = 0
        self.misses = 0
        #: "full" or "incremental": how the latest extraction ran the query.
        self.queried = ""

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
        self.serial = self._spans = None
        self.hits = self.misses = 0

    def _bind(self, path: Path, lang: str) -> None:
        if self.path != path or self.lang != lang:
            self.clear()
            self.path, self.lang = path, lang
        self.hits = self.misses = 0

    def _get(self, key: _Key) -> _Product | None:
        return self._entries.get(key)

    def _put(self, key: _Key, product: _Product) -> None:
        self._entries[key] = product
        self._entries.move_to_end(key)

    def _trim(self, used: int) -> None:
        limit = max(MEMO_MIN_ENTRIES, 2 * used)
        while len(self._entries) > limit:
            self._entries.popitem(last=False)


def new_program(fs: FileSource | None = None, load: Callable[[Path], ParsedFile | None] | None = None) -> Program:
    """A `Program` whose modules get evaluators that follow imports through it (without
    `load`, the extracted file is the only module)."""
    holder: list[Program] = []

    def make_ev(m: Module) -> Evaluator:
        return Evaluator(m.pf, holder[0], m)

    prog = Program(fs or FileSource(), load or (lambda _p: None), make_ev)
    holder.append(prog)
    return prog


def extract(pf: ParsedFile, path: Path, memo: ExtractMemo | None = None,
            program: Program | None = None) -> FileFacts:
    """The facts of one JS/TS file. Never raises on any text.

    With a `memo` (one per file, see `ExtractMemo`), the products of `new` expressions that did
    not change are reused from earlier extractions; the facts are equal either way. With a
    `program` (see `new_program`), values, functions and constructs of the modules the file
    imports are followed; `program.deps` and `program.dirs` then say what the facts depend on.
    """
    if pf.lang not in JS_LANGS:
        if memo is not None:
            memo.clear()
        return FileFacts(path=path, lang=pf.lang)
    if memo is None:
        return _Extractor(pf, path, program=program).run()
    memo._bind(path, pf.lang)
    ex = _Extractor(pf, path, memo, program=program)
    try:
        facts = ex.run()
    except BaseException:
        memo.clear()
        raise
    if ex.order_dependent():
        # Some value was cut off by a depth limit or a reference cycle: what it evaluates to
        # depends on which expressions were evaluated before, so reused products could differ
        # from a fresh extraction. Extract afresh and remember no products from this file (the
        # query's captures do not depend on evaluation: they stay).
        memo._entries.clear()
        memo.hits = memo.misses = 0
        if ex.reused:
            facts = _Extractor(pf, path, program=program).run()
        return facts
    memo.hits, memo.misses = ex.reused, ex.evaluated
    memo._trim(ex.reused + ex.evaluated)
    return facts


#: Function calls and loop bodies evaluated inside each other at most.
MAX_INTERPRET_DEPTH = 8


class _Extractor:
    def __init__(self, pf: ParsedFile, path: Path, memo: ExtractMemo | None = None,
                 program: Program | None = None, module: Module | None = None,
                 parent: _Extractor | None = None) -> None:
        self.pf = pf
        self.path = path
        self.program = program if program is not None else new_program()
        if module is not None and module.ev is not None:
            # A sub-extractor of another module, run for the bodies its functions have when a
            # call of the extracted file evaluates them.
            self.ev = module.ev
            self.mod = module
        else:
            self.ev = Evaluator(pf, self.program)
            self.mod = self.program.set_home(path, pf, self.ev)
            self.ev.module = self.mod
        self.parent = parent
        #: (stack, branch) every construct and handler of a sub-extraction is placed in: those
        #: of the call that evaluates the body.
        self.forced: tuple[str | None, tuple[tuple[int, int], ...]] | None = None
        #: Constructs bound to parameters and loop variables: (binder node id, name) -> construct.
        self.bound: dict[tuple[int, str], Construct] = {}
        # Sub-extractors of other modules, by path (the root extractor's).
        self._subs: dict[Path, _Extractor] = {}
        # Functions and loops being evaluated (their node ids), innermost last.
        self._active: list[int] = []
        # Byte spans the main pass leaves to the evaluation of calls and loops.
        self._skip: list[tuple[int, int]] = []
        # Constructs built for `new` expressions of other modules (use(), imports), by node id.
        self._foreign: dict[tuple[Path, int], Construct | None] = {}
        #: Function bodies of other files evaluated for this file's calls.
        self.interpreted: list[tuple[Path, TextRange]] = []
        self._full_caps: dict[str, list[Node]] | None = None
        # True once a call or loop was run: a literal may then have been reached twice.
        self._expanded = False
        #: Where the main pass counted unresolved positions (range of the expression, count).
        self.unresolved_at: list[tuple[TextRange, int]] = []
        self.memo = memo
        # `new` expressions reused from / evaluated into the memo, and RecursionErrors caught.
        self.reused = 0
        self.evaluated = 0
        self.recursion_errors = 0
        # The `by_var` checks made while extracting one `new` expression's handlers.
        self._var_checks: list[tuple[tuple[str | None, str], bool]] | None = None
        self._imports_repr: str | None = None
        self.imports: list[ImportFact] = []
        # Local names bound to SST classes / namespaces, and to CDK modules / classes.
        self.sst_names: dict[str, str] = {}
        self.sst_ns: set[str] = set()
        self.cdk_names: dict[str, tuple[str, str]] = {}
        self.cdk_ns: dict[str, str] = {}
        self.local_names: set[str] = set()
        # Stack definition nodes (by node id) -> (name, form, node, name node).
        self.stack_nodes: dict[int, tuple[str, str, Node, Node]] = {}
        self.stack_defaults: dict[str, list[Value]] = {}
        self.stack_uses: dict[str, list[str]] = {}
        self.entry_params: set[int] = set()  # ids of function nodes that are app entries
        self.constructs: list[Construct] = []
        self.by_var: dict[tuple[str | None, str], Construct] = {}
        self.handlers: list[HandlerRef] = []
        self.routes: list[RouteKey] = []
        self.registrations: list[StackRegistration] = []
        self.app_defaults: list[Value] = []
        self.unresolved = 0
        self.default_export: str | None = None
        self.export_aliases: list[tuple[str, str]] = []
        self.config: ConfigFacts | None = None
        self.is_entry = False
        self.v3 = False
        self.default_anchor: TextRange | None = None
        # Stack definitions recovered from loose tokens inside ERROR nodes:
        # (name, start byte, end byte, name range, range).
        self.loose: list[tuple[str, int, int, TextRange, TextRange]] = []
        # Constructs by the id of their `new` node (for chained calls on `new X(...)`).
        self.by_node: dict[int, Construct] = {}

    # ------------------------------------------------------------------------------------------
    def run(self) -> FileFacts:
        root = self.pf.root
        for st in root.named_children:
            try:
                if st.type == "ERROR":
                    self._recover(st)
                else:
                    self._top_level(st)
            except RecursionError:
                self.recursion_errors += 1
                continue
        caps = self._captures()
        self._full_caps = caps
        news, calls, uses = caps["new"], caps["call"], caps["use"]
        called = {self.text(n) for n in caps["callee"]}
        for spec_node in caps["dynimport"]:
            # `await import("./infra/api")` (v3 `run()` bodies): the file is part of the app.
            got = string_content(self.pf, spec_node)
            if got is not None:
                self.imports.append(ImportFact(got[0], got[1], ()))
        # Registrations first: an inline `app.stack(function Site({ stack }) {...})` is a stack
        # definition the constructs inside it belong to.
        reg_calls = [c for c in calls if self._method_name(c) == "stack"]
        for c in reg_calls:
            self._guard(self._call, c)
        # Loops over known items and bodies of this file's functions that its calls evaluate
        # are left to that evaluation (below), which runs them with their bindings.
        regions, fcalls = self._regions(caps)
        skip = self._skip
        if skip:
            news = [n for n in news if not interp.inside(n, skip)]
            calls = [c for c in calls if not interp.inside(c, skip)]
        for n in news:
            u0 = self.unresolved
            self._guard(self._new, n)
            if self.unresolved != u0:
                self.unresolved_at.append((self.pf.node_range(n), self.unresolved - u0))
        for c in calls:
            if self._method_name(c) != "stack":
                u0 = self.unresolved
                self._guard(self._call, c)
                if self.unresolved != u0:
                    self.unresolved_at.append((self.pf.node_range(c), self.unresolved - u0))
        for u in uses:
            self._guard(self._use, u)
        for node in self._ordered(regions, fcalls):
            self._guard(self._interpret, node)
        found = [
            (node.start_byte, name, form, self.pf.node_range(name_node), self.pf.node_range(node))
            for name, form, node, name_node in self.stack_nodes.values()
        ]
        found.extend((start, name, "function", name_range, rng) for name, start, _end, name_range, rng in self.loose)
        found.sort(key=lambda s: s[0])
        stacks = tuple(
            StackDef(
                name=name,
                path=self.path,
                name_range=name_range,
                range=rng,
                form=form,  # type: ignore[arg-type]
                default_function_props=tuple(self.stack_defaults.get(name, ())),
                uses=tuple(dict.fromkeys(self.stack_uses.get(name, ()))),
            )
            for _start, name, form, name_range, rng in found
        )
        return FileFacts(
            path=self.path,
            lang=self.pf.lang,
            interpreted=tuple(dict.fromkeys(self.interpreted)),
            expanded=self._expanded,
            unresolved_at=tuple(self.unresolved_at),
            imports=tuple(self.imports),
            stacks=stacks,
            registrations=tuple(self.registrations),
            constructs=tuple(self.constructs),
            handlers=tuple(self.handlers),
            routes=tuple(self.routes),
            app_default_function_props=tuple(self.app_defaults),
            config=self.config,
            unresolved=self.unresolved,
            syntax_errors=tuple(self.pf.errors),
            is_entry=self.is_entry,
            default_export=self.default_export,
            export_aliases=tuple(self.export_aliases),
            called=tuple(sorted(called)),
        )

    # ------------------------------------------------------------------------------------------
    # The query's captures, by capture name, in document order (start, then end: `a.b(x).c(y)`
    # holds its inner call first, as the query reports it).
    def _captures(self) -> dict[str, list[Node]]:
        memo = self.memo
        pf = self.pf
        got = None
        if memo is not None and memo._spans is not None and memo.serial is not None and (
            pf.serial == memo.serial or (pf.base == memo.serial and pf.edit is not None)
        ):
            got = self._captures_incremental(memo._spans)
        if memo is not None:
            memo.queried = "full" if got is None else "incremental"
        if got is None:
            got = {k: [] for k in _CAPTURE_TYPES}
            for _, caps in QueryCursor(_query(pf.lang)).matches(pf.root):
                for k in _CAPTURE_TYPES:
                    got[k].extend(caps.get(k, ()))
        for nodes in got.values():
            nodes.sort(key=lambda n: (n.start_byte, n.end_byte))
        if memo is not None:
            memo.serial = pf.serial
            memo._spans = {k: [(n.start_byte, n.end_byte) for n in v] for k, v in got.items()}
        return got

    def _captures_incremental(self, old: dict[str, list[tuple[int, int]]]) -> dict[str, list[Node]] | None:
        """The captures of the memo's parse, carried over where the edit and the changed ranges
        do not touch them, plus a query over what they touch; None when that cannot be done."""
        pf = self.pf
        size = len(pf.data)
        ranges: list[tuple[int, int]] = []
        start = old_end = delta = 0
        edited = pf.serial != (self.memo.serial if self.memo is not None else None)
        if edited:
            assert pf.edit is not None
            start, old_end, new_end = pf.edit
            delta = new_end - old_end
            # Widened by a byte: a node that ends where the edit starts may now continue.
            for a, b in sorted([*pf.changed, (start, new_end)]):
                a, b = max(0, a - 1), min(size, b + 1)
                if ranges and a <= ranges[-1][1]:
                    ranges[-1] = (ranges[-1][0], max(ranges[-1][1], b))
                else:
                    ranges.append((a, b))
            if len(ranges) > _MAX_REQUERY_RANGES:
                return None

        def touched(s: int, e: int) -> bool:
            return any(e > a and s < b for a, b in ranges)

        root = pf.root
        out: dict[str, list[Node]] = {k: [] for k in _CAPTURE_TYPES}
        for kind, spans in old.items():
            want = _CAPTURE_TYPES[kind]
            dest = out[kind]
            for s, e in spans:
                if edited:
                    if e <= start:
                        pass
                    elif s >= old_end:
                        s, e = s + delta, e + delta
                    else:
                        continue
                    if touched(s, e):
                        continue
                # Outside every changed range the tree has the same structure: the node is there.
                node = root.descendant_for_byte_range(s, e)
                if node is None or node.start_byte != s or node.end_byte != e or (want and node.type != want):
                    return None
                dest.append(node)
        seen: set[tuple[str, int, int]] = set()
        for a, b in ranges:
            cursor = QueryCursor(_query(pf.lang))
            cursor.set_byte_range(a, b)
            for _, caps in cursor.matches(root):
                for kind in _CAPTURE_TYPES:
                    for node in caps.get(kind, ()):
                        key = (kind, node.start_byte, node.end_byte)
                        if key not in seen and touched(node.start_byte, node.end_byte):
                            seen.add(key)
                            out[kind].append(node)
        return out

    def _method_name(self, call: Node) -> str:
        fn = call.child_by_field_name("function")
        prop = fn.child_by_field_name("property") if fn is not None else None
        return self.text(prop) if prop is not None else ""

    def _guard(self, fn: object, node: Node) -> None:
        try:
            fn(node)  # type: ignore[operator]
        except RecursionError:
            self.recursion_errors += 1

    def _imports_key(self) -> str:
        """The local names bound to SST and CDK classes and modules (what `_classify` reads), as
        one string: computed once the top level is read, and cheap to hash again."""
        if self._imports_repr is None:
            self._imports_repr = repr((sorted(self.sst_names.items()), sorted(self.sst_ns),
                                       sorted(self.cdk_names.items()), sorted(self.cdk_ns.items()),
                                       sorted(self.mod.imports.items())))
        return self._imports_repr

    def order_dependent(self) -> bool:
        """True when a result depended on the order of evaluation (see `extract`)."""
        return self.ev.cutoffs > 0 or self.recursion_errors > 0

    def text(self, node: Node) -> str:
        return self.pf.node_text(node)

    # ------------------------------------------------------------------------------------------
    # Top level: imports, exports, stack definitions, entry functions, config.
    def _top_level(self, st: Node) -> None:
        t = st.type
        if t == "import_statement":
            self._import(st)
        elif t == "export_statement":
            self._export(st)
        elif t in ("function_declaration", "class_declaration"):
            self._definition(st, exported_default=False)
        elif t in ("lexical_declaration", "variable_declaration"):
            self._declaration(st)
        elif t == "expression_statement":
            self._commonjs(st)

    def _import(self, st: Node) -> None:
        src = st.child_by_field_name("source")
        if src is None:
            return
        got = string_content(self.pf, src)
        if got is None:
            return
        spec, spec_range = got
        names: list[tuple[str, str]] = []
        for clause in st.named_children:
            if clause.type != "import_clause":
                continue
            for c in clause.named_children:
                if c.type == "identifier":
                    names.append((self.text(c), "default"))
                elif c.type == "namespace_import":
                    ids = [x for x in c.named_children if x.type == "identifier"]
                    if ids:
                        names.append((self.text(ids[0]), "*"))
                elif c.type == "named_imports":
                    for s in c.named_children:
                        if s.type != "import_specifier":
                            continue
                        name = s.child_by_field_name("name")
                        alias = s.child_by_field_name("alias")
                        if name is None:
                            continue
                        names.append((self.text(alias or name), self.text(name)))
        self._bind_module(spec, names)
        self.imports.append(ImportFact(spec, spec_range, tuple(names)))

    def _bind_module(self, spec: str, names: list[tuple[str, str]]) -> None:
        if is_sst_module(spec):
            for local, imported in names:
                if imported in ("*", "default"):
                    self.sst_ns.add(local)
                else:
                    self.sst_names[local] = imported
            return
        mod = cdk_module(spec)
        if mod is None:
            return
        for local, imported in names:
            if imported in ("*", "default"):
                self.cdk_ns[local] = mod
            elif mod == "" and imported.startswith("aws_"):
                # `import { aws_dynamodb as dynamodb } from "aws-cdk-lib"`.
                self.cdk_ns[local] = imported.replace("_", "-")
            else:
                self.cdk_names[local] = (mod or "core", imported)

    def _commonjs(self, st: Node) -> None:
        """CommonJS entries and stacks (v0 JavaScript apps): `module.exports = function main(app)`,
        `exports.default = ...`, `module.exports = class MyStack extends sst.Stack {...}`."""
        expr = st.named_children[0] if st.named_children else None
        if expr is None or expr.type != "assignment_expression":
            return
        left = expr.child_by_field_name("left")
        right = unwrap(expr.child_by_field_name("right"))
        if left is None or right is None or self.text(left) not in ("module.exports", "exports.default"):
            return
        if right.type in ("function_expression", "function", "arrow_function"):
            self._maybe_stack_function(right, right.child_by_field_name("name"), default=True)
        elif right.type == "class":
            self._definition(right, exported_default=True)
        elif right.type == "identifier":
            self.default_export = self.text(right)

    def _declaration(self, st: Node, exported: bool = False) -> None:
        for d, name in variable_declarators(st):
            value = unwrap(d.child_by_field_name("value"))
            if value is None:
                continue
            # `const sst = require("@serverless-stack/resources")` and destructured requires.
            if value.type == "call_expression":
                fn = value.child_by_field_name("function")
                args = value.child_by_field_name("arguments")
                if fn is not None and self.text(fn) == "require" and args is not None and args.named_children:
                    got = string_content(self.pf, args.named_children[0])
                    if got is not None:
                        spec, spec_range = got
                        names: list[tuple[str, str]] = []
                        if name.type == "identifier":
                            names.append((self.text(name), "*"))
                        elif name.type == "object_pattern":
                            for p in name.named_children:
                                if p.type == "shorthand_property_identifier_pattern":
                                    names.append((self.text(p), self.text(p)))
                                elif p.type == "pair_pattern":
                                    k, v = p.child_by_field_name("key"), p.child_by_field_name("value")
                                    if k is not None and v is not None:
                                        names.append((self.text(v), self.text(k)))
                        self._bind_module(spec, names)
                        self.imports.append(ImportFact(spec, spec_range, tuple(names)))
                        continue
            if name.type == "identifier" and value.type in ("arrow_function", "function_expression", "function"):
                self._maybe_stack_function(value, name)

    def _export(self, st: Node) -> None:
        decl = st.child_by_field_name("declaration")
        is_default = any(c.type == "default" for c in st.children)
        if is_default and self.default_anchor is None:
            kw = next(c for c in st.children if c.type == "default")
            self.default_anchor = self.pf.node_range(kw)
        src = st.child_by_field_name("source")
        if src is not None:
            # Re-exports: `export * from "./x"`, `export { A as B } from "./x"`.
            got = string_content(self.pf, src)
            if got is None:
                return
            names: list[tuple[str, str]] = []
            clause = next((c for c in st.named_children if c.type == "export_clause"), None)
            if clause is None:
                names.append(("*", "*"))
            else:
                for s in clause.named_children:
                    if s.type == "export_specifier":
                        n = s.child_by_field_name("name")
                        a = s.child_by_field_name("alias")
                        if n is not None:
                            names.append((self.text(a or n), self.text(n)))
            self.imports.append(ImportFact(got[0], got[1], tuple(names), reexport=True))
            return
        if decl is not None:
            if decl.type in ("function_declaration", "class_declaration", "generator_function_declaration"):
                self._definition(decl, exported_default=is_default)
            elif decl.type in ("lexical_declaration", "variable_declaration"):
                self._declaration(decl, exported=True)
            return
        clause = next((c for c in st.named_children if c.type == "export_clause"), None)
        if clause is not None:
            for s in clause.named_children:
                if s.type == "export_specifier":
                    n = s.child_by_field_name("name")
                    a = s.child_by_field_name("alias")
                    if n is not None and a is not None:
                        self.export_aliases.append((self.text(a), self.text(n)))
                        if self.text(a) == "default":
                            self.default_export = self.text(n)
            return
        value = st.child_by_field_name("value")
        if is_default and value is not None:
            self._default_value(value)

    def _default_value(self, value: Node) -> None:
        v = unwrap(value)
        if v is None:
            return
        if v.type == "identifier":
            self.default_export = self.text(v)
            # `const config = {...} satisfies SSTConfig; export default config;`
            target = unwrap(self.ev.lookup(v))
            if target is not None and target.type == "object" and self.path.name.startswith("sst.config."):
                self._v2_config(target)
        elif v.type in ("function_expression", "function", "arrow_function", "class"):
            name_node = v.child_by_field_name("name")
            if v.type == "class":
                self._definition(v, exported_default=True)
            else:
                self._maybe_stack_function(v, name_node, default=True)
        elif v.type == "object":
            self._v2_config(v)
        elif v.type == "call_expression":
            fn = v.child_by_field_name("function")
            args = v.child_by_field_name("arguments")
            if fn is not None and self.text(fn) == "$config" and args is not None and args.named_children:
                obj = unwrap(args.named_children[0])
                if obj is not None and obj.type == "object":
                    self._v3_config(obj)

    def _definition(self, decl: Node, exported_default: bool) -> None:
        name_node = decl.child_by_field_name("name")
        if decl.type in ("function_declaration", "generator_function_declaration", "function_expression"):
            self._maybe_stack_function(decl, name_node, default=exported_default)
            return
        # Classes: v0 stacks extend sst.Stack / Stack (imported from SST).
        heritage = next((c for c in decl.named_children if c.type == "class_heritage"), None)
        if heritage is None:
            return
        sup = heritage.named_children[0] if heritage.named_children else None
        if sup is not None and sup.type == "extends_clause":
            sup = sup.child_by_field_name("value") or (sup.named_children[0] if sup.named_children else None)
        if sup is None:
            return
        if self._is_sst_class(sup, "Stack"):
            name = self.text(name_node) if name_node is not None else "default"
            self.stack_nodes[decl.id] = (name, "class", decl, name_node or decl)
            if exported_default:
                self.default_export = name

    def _is_sst_class(self, node: Node, cls: str) -> bool:
        if node.type == "identifier":
            return self.sst_names.get(self.text(node)) == cls
        if node.type == "member_expression":
            obj = node.child_by_field_name("object")
            prop = node.child_by_field_name("property")
            return (
                obj is not None
                and prop is not None
                and self.text(obj) in self.sst_ns
                and self.text(prop) == cls
            )
        return False

    def _maybe_stack_function(self, fn: Node, name_node: Node | None, default: bool = False) -> None:
        params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
        name = self.text(name_node) if name_node is not None else "default"
        if default:
            self.default_export = name
        first = None
        if params is not None:
            if params.type == "identifier":
                first = params
            else:
                first = next((p for p in params.named_children if p.type != "comment"), None)
        if name in ("main",) or (default and self._looks_like_app_param(first)):
            self.entry_params.add(fn.id)
            self.is_entry = True
            return
        if first is None:
            return
        if self._is_stack_param(first) or self._param_used_as_context(fn, first):
            self.stack_nodes[fn.id] = (name, "function", fn, name_node or fn)

    def _looks_like_app_param(self, first: Node | None) -> bool:
        if first is None:
            return False
        txt = self.text(first)
        return txt.startswith("app") or ": App" in txt or ":App" in txt

    def _param_used_as_context(self, fn: Node, p: Node) -> bool:
        """`function ApiStack(ctx) { new Api(ctx.stack, ...) }`: an untyped, undestructured
        StackContext, recognised by `ctx.stack` (or `const { stack } = ctx`) in the body."""
        pattern = p
        if p.type in ("required_parameter", "optional_parameter"):
            ty = p.child_by_field_name("type")
            if ty is not None and self.text(ty).lstrip(": ").strip() not in ("any", "unknown"):
                return False  # Typed as something other than StackContext.
            pattern = p.child_by_field_name("pattern") or p
        if pattern.type != "identifier":
            return False
        name = self.text(pattern)
        body = fn.child_by_field_name("body")
        if body is None:
            return False
        for n in walk(body):
            if n.type == "member_expression":
                obj = n.child_by_field_name("object")
                prop = n.child_by_field_name("property")
                if (
                    obj is not None
                    and prop is not None
                    and obj.type == "identifier"
                    and self.text(obj) == name
                    and self.text(prop) == "stack"
                ):
                    return True
            elif n.type == "variable_declarator":
                left = n.child_by_field_name("name")
                value = n.child_by_field_name("value")
                if (
                    left is not None
                    and value is not None
                    and left.type == "object_pattern"
                    and value.type == "identifier"
                    and self.text(value) == name
                    and any(self.text(x) == "stack" for x in left.named_children)
                ):
                    return True
        return False

    def _is_stack_param(self, p: Node) -> bool:
        pattern = p
        type_text = ""
        if p.type in ("required_parameter", "optional_parameter"):
            pattern = p.child_by_field_name("pattern") or p
            ty = p.child_by_field_name("type")
            type_text = self.text(ty) if ty is not None else ""
        elif p.type == "assignment_pattern":
            pattern = p.child_by_field_name("left") or p
        if "StackContext" in type_text:
            return True
        if pattern.type == "object_pattern":
            for c in pattern.named_children:
                if c.type == "shorthand_property_identifier_pattern" and self.text(c) == "stack":
                    return True
                if c.type == "pair_pattern":
                    k = c.child_by_field_name("key")
                    if k is not None and self.text(k) == "stack":
                        return True
                if c.type == "object_assignment_pattern":
                    left = c.child_by_field_name("left")
                    if left is not None and self.text(left) == "stack":
                        return True
        return False

    # Config files.
    def _v2_config(self, obj: Node) -> None:
        name = region = name_note = None
        name_range: TextRange | None = None
        anchor = self.default_anchor
        for key, key_node, ch in self._config_members(obj):
            if key == "config":
                anchor = self.pf.node_range(key_node)
                v = self._returned_value(ch)
                if v is not None:
                    name, name_range, name_note = self._app_name(self._returned_object(ch), v)
                    r = _string_value(v.get("region"))
                    if r is not None:
                        region = r.str_value
            elif key == "stacks":
                fn = _member_function(ch)
                if fn is not None:
                    self.entry_params.add(fn.id)
                    self.is_entry = True
        self.config = ConfigFacts(name=name, name_range=name_range, region=region, generation="v2", anchor=anchor,
                                  name_note=name_note)

    def _v3_config(self, obj: Node) -> None:
        self.v3 = True
        name = removal = name_note = None
        name_range: TextRange | None = None
        region = None
        anchor = self.default_anchor
        for key, key_node, ch in self._config_members(obj):
            if key == "app":
                anchor = self.pf.node_range(key_node)
                v = self._returned_value(ch)
                if v is not None:
                    name, name_range, name_note = self._app_name(self._returned_object(ch), v)
                    rm = _string_value(v.get("removal"))
                    if rm is not None:
                        removal = rm.str_value
                    rg = _string_value(_get(_get(v.get("providers"), "aws"), "region"))
                    if rg is not None:
                        region = rg.str_value
            elif key == "run":
                self.is_entry = True
        self.config = ConfigFacts(
            name=name, name_range=name_range, region=region, generation="v3", removal=removal, anchor=anchor,
            name_note=name_note,
        )

    def _app_name(self, obj: Node | None, v: Value) -> tuple[str | None, TextRange | None, str | None]:
        """The app name a config returns: (name, its range, a note when it is not certain).

        A string or constant is the name. `process.env.X || "notes"` (or `??`) is "notes" unless
        the environment says otherwise: the note says so. A name built from values known only
        when SST runs (`${input.stage}`, a call) is unknown: (None, range, note). No `name` at
        all: (None, None, None).
        """
        n = v.get("name")
        if n is None:
            return None, None, None
        if n.kind == "string":
            return n.str_value, n.range, None
        node = _object_member(obj, "name", self.pf)
        expr = unwrap(node)
        if expr is not None and expr.type == "binary_expression":
            op = expr.child_by_field_name("operator")
            left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
            if op is not None and self.text(op) in ("||", "??") and left is not None and right is not None:
                lv, rv = self.ev.value(left), self.ev.value(right)
                if lv.kind == "string" and (lv.value or self.text(op) == "??"):
                    return lv.str_value, lv.range, None
                if lv.kind in ("ref", "unknown") and rv.kind == "string":
                    return rv.str_value, rv.range, f"{self.text(left)} when set, else \"{rv.value}\""
        rng = self.pf.node_range(expr) if expr is not None else n.range
        return None, rng, f"computed when SST runs: {self.text(expr) if expr is not None else n.text}"

    def _config_members(self, obj: Node) -> Iterator[tuple[str, Node, Node]]:
        """(key, key node, member) for each property or method of a config object literal that
        has a key (`config() {...}`, `config: () => ({...})`, `stacks(app) {...}`)."""
        for ch in obj.named_children:
            key_node = ch.child_by_field_name("name") if ch.type == "method_definition" else ch.child_by_field_name("key")
            if key_node is not None:
                yield self.text(key_node), key_node, ch

    def _returned_value(self, member: Node) -> Value | None:
        """The evaluated object literal a method / arrow property returns, if it returns one."""
        ret = self._returned_object(member)
        return self.ev.value(ret) if ret is not None else None

    def _returned_object(self, member: Node) -> Node | None:
        """The object literal a method / arrow property returns, if it is one."""
        fn = _member_function(member)
        if fn is None:
            return None
        body = fn.child_by_field_name("body")
        if body is None:
            return None
        b = unwrap(body)
        if b is not None and b.type == "object":
            return b
        if body.type == "statement_block":
            for st in body.named_children:
                if st.type == "return_statement" and st.named_children:
                    r = unwrap(st.named_children[0])
                    if r is not None and r.type == "object":
                        return r
        return None

    # ------------------------------------------------------------------------------------------
    # Scopes.
    def _enclosing_stack(self, node: Node) -> str | None:
        if self.forced is not None:
            return self.forced[0]
        p = node.parent
        in_error = False
        while p is not None:
            got = self.stack_nodes.get(p.id)
            if got is not None:
                return got[0]
            in_error = in_error or p.type == "ERROR"
            p = p.parent
        if in_error:
            for name, start, end, _nr, _r in self.loose:
                if start <= node.start_byte < end:
                    return name
        return None

    # ------------------------------------------------------------------------------------------
    # Syntax errors: tree-sitter keeps the statements around a broken region, but a top-level
    # definition holding the error may come apart into loose tokens inside an ERROR node.
    def _recover(self, error: Node) -> None:
        """Finds stack definitions inside a top-level ERROR node."""
        cursor = QueryCursor(_recover_query(self.pf.lang))
        for _, caps in cursor.matches(error):
            for n in caps.get("fn", ()):
                name_node = n.child_by_field_name("name")
                if name_node is not None:
                    self._maybe_stack_function(n, name_node)
            for n in caps.get("cls", ()):
                self._definition(n, exported_default=False)
            for n in caps.get("imp", ()):
                self._import(n)
        # `export function ApiStack({ stack }: StackContext) {` whose body holds the error: the
        # tokens `function`, name and parameters are children of the ERROR node itself.
        kids = error.children
        starts: list[tuple[int, Node, Node]] = []
        for i in range(len(kids) - 2):
            if kids[i].type == "function" and kids[i + 1].type == "identifier" and kids[i + 2].type == "formal_parameters":
                first = next((p for p in kids[i + 2].named_children if p.type != "comment"), None)
                if first is not None and self._is_stack_param(first):
                    starts.append((i, kids[i], kids[i + 1]))
        for j, (_i, kw, name_node) in enumerate(starts):
            end_node = starts[j + 1][1] if j + 1 < len(starts) else None
            end_byte = end_node.start_byte if end_node is not None else error.end_byte
            end_pos = (
                self.pf.node_start(end_node) if end_node is not None
                else self.pf.index.pos_from_point(*error.end_point)
            )
            self.loose.append(
                (self.text(name_node), kw.start_byte, end_byte, self.pf.node_range(name_node),
                 TextRange(self.pf.node_start(kw), end_pos))
            )

    def _enclosing_entry(self, node: Node) -> Node | None:
        p = node.parent
        while p is not None:
            if p.id in self.entry_params:
                return p
            p = p.parent
        return None

    def _entry_param_name(self, fn: Node) -> str | None:
        params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
        if params is None:
            return None
        if params.type == "identifier":
            return self.text(params)
        for p in params.named_children:
            if p.type in ("required_parameter", "optional_parameter"):
                pat = p.child_by_field_name("pattern")
                return self.text(pat) if pat is not None else None
            if p.type == "identifier":
                return self.text(p)
            return None
        return None

    # ------------------------------------------------------------------------------------------
    # `new X(...)`.
    def _classify(self, ctor: Node) -> tuple[str, str] | None:
        """(kind, origin) of a constructor expression, or None when it is not ours."""
        ctor = unwrap(ctor) or ctor
        if ctor.type == "identifier":
            name = self.text(ctor)
            if name in self.sst_names:
                kind = self.sst_names[name]
                return None if kind in ("App", "Stack") else (kind, "sst")
            if name in self.cdk_names:
                mod, cls = self.cdk_names[name]
                return (cls, mod)
            return None
        if ctor.type == "member_expression":
            obj = ctor.child_by_field_name("object")
            prop = ctor.child_by_field_name("property")
            if obj is None or prop is None:
                return None
            cls = self.text(prop)
            obj_text = self.text(obj)
            if obj_text in self.sst_ns:
                return None if cls in ("App", "Stack") else (cls, "sst")
            if obj.type == "identifier" and self.text(obj) in self.sst_names:
                # `new Config.Secret(stack, "X")`.
                return (f"{self.sst_names[obj_text]}.{cls}", "sst")
            if obj.type == "identifier" and obj_text in self.cdk_ns:
                return (cls, self.cdk_ns[obj_text] or "core")
            if obj.type == "member_expression":
                o2 = obj.child_by_field_name("object")
                p2 = obj.child_by_field_name("property")
                if o2 is not None and p2 is not None:
                    o2t = self.text(o2)
                    if o2t in self.cdk_ns and self.cdk_ns[o2t] == "" and self.text(p2).startswith("aws_"):
                        return (cls, self.text(p2).replace("_", "-"))
                    if o2t == "sst" and self.text(p2) == "aws" and "sst" not in self.sst_ns:
                        return (cls, "sst3")
        return None

    def _new(self, node: Node) -> None:
        memo = self.memo
        stack, branch = self._place(node)
        var_name = self._var_name(node)
        key: _Key | None = None
        if memo is not None and not node.has_error and not self._active:
            # Everything the products depend on besides the identifiers resolved (checked by
            # `still_valid`) and the `by_var` checks: the text fixes every range inside relative
            # to the start, the start's code-point column the columns on its line, and the text
            # with the file's imports the construct's class.
            row, col = node.start_point
            key = (self.text(node), row, col, self.pf.index.pos_from_point(row, col).col, self._imports_key(),
                   stack, var_name)
            got = memo._get(key)
            if got is not None and self._reusable(got, node):
                if got.construct.branch != branch:
                    got.construct = dataclasses.replace(got.construct, branch=branch)
                self._reuse(got, node)
                memo._put(key, got)
                return
        ctor = node.child_by_field_name("constructor")
        args_node = node.child_by_field_name("arguments")
        if ctor is None or args_node is None:
            return
        args = [a for a in args_node.named_children if a.type != "comment"]
        cls = self._classify(ctor)
        if cls is None:
            self._maybe_v0_registration(node, ctor, args)
            return
        kind, origin = cls
        if origin == "sst3":
            if not args:
                return
            scope_text, id_node, props_node = "", args[0], args[1] if len(args) > 1 else None
        else:
            if len(args) < 2:
                return
            scope_text, id_node, props_node = self.text(args[0]), args[1], args[2] if len(args) > 2 else None
        h0, r0, u0 = len(self.handlers), len(self.routes), self.unresolved
        cut0, op0 = self.ev.cutoffs, self.ev.opaque
        self._var_checks = []
        self.ev.begin_recording(node)
        try:
            idv = self.ev.value(id_node)
            dynamic = idv.kind != "string"
            cid = str(idv.value) if not dynamic else self.text(id_node)
            props = self.ev.value(props_node) if props_node is not None else None
            c = Construct(
                kind=kind,
                origin=origin,
                id=cid,
                id_range=idv.range if not dynamic and idv.path in (None, self.path) else self.pf.node_range(id_node),
                path=self.path,
                range=self.pf.node_range(node),
                stack=stack,
                scope=scope_text,
                props=props,
                var_name=var_name,
                dynamic_id=dynamic,
                branch=branch,
            )
            self.constructs.append(c)
            self.by_node[node.id] = c
            if c.var_name:
                self.by_var[(stack, c.var_name)] = c
            if origin == "sst":
                self._sst_handlers(c, props)
            elif origin == "sst3":
                self._v3_handlers(c, props)
        finally:
            lookups = self.ev.end_recording()
            var_checks = tuple(self._var_checks)
            self._var_checks = None
        if key is not None and memo is not None and self.ev.cutoffs == cut0 and self.ev.opaque == op0:
            self.evaluated += 1
            memo._put(key, _Product(c, tuple(self.handlers[h0:]), tuple(self.routes[r0:]),
                                    self.unresolved - u0, lookups, var_checks))

    def _reusable(self, p: _Product, node: Node) -> bool:
        """True when a remembered product still holds for `node` (same key): every `by_var`
        check answers as before, and every identifier resolves to an equal declaration."""
        for k, present in p.var_checks:
            if (k in self.by_var) != present:
                return False
        return self.ev.still_valid(node, p.lookups)

    def _reuse(self, p: _Product, node: Node) -> None:
        """Adds a remembered product, with the side effects its extraction had."""
        c = p.construct
        self.constructs.append(c)
        self.by_node[node.id] = c
        if c.var_name:
            self.by_var[(c.stack, c.var_name)] = c
        self.handlers.extend(p.handlers)
        self.routes.extend(p.routes)
        self.unresolved += p.unresolved
        self.reused += 1

    def _var_name(self, node: Node) -> str | None:
        p = node.parent
        while p is not None and p.type in ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"):
            p = p.parent
        if p is None:
            return None
        if p.type == "variable_declarator":
            n = p.child_by_field_name("name")
            return self.text(n) if n is not None and n.type == "identifier" else None
        if p.type == "assignment_expression":
            left = p.child_by_field_name("left")
            return self.text(left) if left is not None else None
        if p.type in ("public_field_definition", "field_definition"):
            n = p.child_by_field_name("name") or p.child_by_field_name("property")
            return f"this.{self.text(n)}" if n is not None else None
        return None

    def _maybe_v0_registration(self, node: Node, ctor: Node, args: list[Node]) -> None:
        entry = self._enclosing_entry(node)
        if entry is None or ctor.type != "identifier" or len(args) < 2:
            return
        param = self._entry_param_name(entry)
        if param is None or self.text(args[0]) != param:
            return
        idv = self.ev.value(args[1])
        # `new ApiStack(app, "api", { stackName: ... })`: v0 stacks pass their props to cdk.Stack.
        stack_name = stack_name_expr = None
        if len(args) > 2 and _object_member(unwrap(args[2]), "stackName", self.pf) is not None:
            stack_name, stack_name_expr = self._stack_name_option(args[2], {param, "app"})
        self.registrations.append(
            StackRegistration(
                target=self.text(ctor),
                path=self.path,
                range=self.pf.node_range(ctor),
                explicit_id=idv.str_value,
                id_range=idv.range if idv.kind == "string" else None,
                stack_name=stack_name,
                stack_name_expr=stack_name_expr,
                branch=self._branch(node),
            )
        )

    def _branch(self, node: Node) -> tuple[tuple[int, int], ...]:
        """The conditionals and nested functions around `node` up to its stack or entry body
        (outermost first): (start byte of the if/ternary/switch/`&&`/function, branch taken)."""
        return self._place(node)[1]

    def _place(self, node: Node) -> tuple[str | None, tuple[tuple[int, int], ...]]:
        """`_enclosing_stack` and `_branch` of a node, in one walk up its ancestors."""
        if self.forced is not None:
            return self.forced
        out: list[tuple[int, int]] = []
        stacks, entries = self.stack_nodes, self.entry_params
        branching = True
        in_error = False
        child = node
        p = node.parent
        while p is not None:
            pid = p.id
            got = stacks.get(pid)
            if got is not None:
                out.reverse()
                return got[0], tuple(out)
            t = p.type
            if branching and pid in entries:
                branching = False
            elif not branching:
                pass
            elif t in ("if_statement", "ternary_expression"):
                cons = p.child_by_field_name("consequence")
                alt = p.child_by_field_name("alternative")
                if cons is not None and cons.id == child.id:
                    out.append((p.start_byte, 0))
                elif alt is not None and alt.id == child.id:
                    out.append((p.start_byte, 1))
            elif t in ("switch_case", "switch_default"):
                body = p.parent
                if body is not None:
                    idx = next((i for i, c in enumerate(body.named_children) if c.id == pid), 0)
                    out.append((body.start_byte, idx))
            elif t == "binary_expression":
                right = p.child_by_field_name("right")
                op = p.child_by_field_name("operator")
                if right is not None and right.id == child.id and op is not None and op.type in ("&&", "||", "??"):
                    out.append((p.start_byte, 1))
            elif t in _BRANCH_FUNCTIONS or t in _BRANCH_LOOPS:
                # A callback or loop body may run any number of times, or never.
                out.append((p.start_byte, 0))
            in_error = in_error or t == "ERROR"
            child = p
            p = p.parent
        out.reverse()
        stack = None
        if in_error:
            for name, start, end, _nr, _r in self.loose:
                if start <= node.start_byte < end:
                    stack = name
                    break
        return stack, tuple(out)

    # ------------------------------------------------------------------------------------------
    # Handlers inside constructs.
    def _defaults_of(self, props: Value | None) -> _Defaults:
        d = _Defaults()
        if props is None or props.kind != "object":
            return d
        for fp in (props.get("defaultFunctionProps"), _get(props.get("defaults"), "function")):
            if fp is not None and fp.kind == "object":
                if fp.get("runtime") is not None:
                    d.runtime = fp.get("runtime")
                if fp.get("srcPath") is not None:
                    d.src_path = fp.get("srcPath")
        return d

    def _sst_handlers(self, c: Construct, props: Value | None) -> None:
        tgt = _Target(c.stack, c, self._defaults_of(props))
        kind = c.kind
        if kind == "Function":
            if props is not None:
                self._fn(props, tgt, "Function")
            return
        if props is None or props.kind != "object":
            return
        if kind in API_KINDS:
            self._routes(props.get("routes"), tgt)
            if kind == "GraphQLApi":
                self._fn(props.get("server"), tgt, "GraphQL server")
        elif kind in APPSYNC_KINDS:
            self._appsync(props, tgt)
        elif kind == "Cron":
            self._fn(props.get("job"), tgt, "Cron job")
        elif kind == "Queue":
            self._fn(props.get("consumer"), tgt, "Queue consumer")
        elif kind == "Topic":
            self._named_fns(props.get("subscribers"), tgt, "Topic subscriber")
        elif kind == "Bucket":
            self._named_fns(props.get("notifications"), tgt, "Bucket notification")
        elif kind == "EventBus":
            self._rules(props.get("rules"), tgt)
        elif kind in ("KinesisStream", "Table"):
            self._named_fns(props.get("consumers"), tgt, f"{kind} consumer")
        elif kind in ("Auth", "Cognito"):
            if kind == "Auth":
                # v1.16+/v2 `Auth` (SST's own auth): `authenticator` is a FunctionDefinition.
                self._fn(props.get("authenticator"), tgt, "Auth authenticator")
            self._named_fns(props.get("triggers"), tgt, "trigger")
            cog = props.get("cognito")
            if cog is not None and cog.kind == "object":
                self._named_fns(cog.get("triggers"), tgt, "trigger")
        elif kind == "Script":
            for key in ("onCreate", "onUpdate", "onDelete"):
                self._fn(props.get(key), tgt, f"Script {key}")
        elif kind == "Job" and props.get("handler") is not None:
            self._fn(props, tgt, "Job")

    def _v3_handlers(self, c: Construct, props: Value | None) -> None:
        tgt = _Target(None, c, _Defaults())
        if props is None or props.kind != "object":
            return
        if c.kind == "Function":
            self._fn(props, tgt, "Function")
        elif c.kind == "Cron":
            self._fn(props.get("job") or props.get("function"), tgt, "Cron job")
        elif c.kind == "CognitoUserPool":
            self._named_fns(props.get("triggers"), tgt, "trigger")
        elif c.kind == "Auth":
            # `authenticator` (SST 3.0-3.2), renamed `issuer` later: both a handler or FunctionArgs.
            for key in ("authenticator", "issuer"):
                self._fn(props.get(key), tgt, f"Auth {key}")
        elif c.kind == "Realtime":
            self._fn(props.get("authorizer"), tgt, "Realtime authorizer")

    def _routes(self, routes: Value | None, tgt: _Target) -> None:
        if routes is None:
            return
        if routes.kind != "object":
            if routes.kind in ("ref", "unknown"):
                self.unresolved += 1
            return
        if routes.partial:
            self.unresolved += 1  # `...moreRoutes` we cannot see into.
        for e in routes.entries:
            self._route_key(e.key, e.key_range, tgt, e.path)
            self._fn(e.value, tgt, f'route "{e.key}"', route=e.key)

    def _route_key(self, key: str, key_range: TextRange, tgt: _Target, path: Path | None = None) -> None:
        c = tgt.construct
        self.routes.append(
            RouteKey(
                key=key,
                range=key_range,
                path=path or self.path,
                construct_kind=c.kind if c else "Api",
                construct_id=c.id if c else None,
                stack=tgt.stack,
            )
        )

    def _appsync(self, props: Value, tgt: _Target) -> None:
        ds = props.get("dataSources")
        if ds is not None and ds.kind == "object":
            for e in ds.entries:
                self._fn(e.value, tgt, f'data source "{e.key}"')
        # Data source names: SST takes a resolver string that names one (or that has no dot at
        # all) as a data source reference, not as a handler.
        ds_names = {e.key for e in ds.entries} if ds is not None and ds.kind == "object" else set()
        c = tgt.construct
        own = _get(c.props, "dataSources") if c is not None else None
        if own is not None and own.kind == "object":
            ds_names.update(e.key for e in own.entries)
        rs = props.get("resolvers")
        if rs is not None and rs.kind == "object":
            if rs.partial:
                self.unresolved += 1
            for e in rs.entries:
                self._route_key(e.key, e.key_range, tgt, e.path)
                v = e.value
                if v.kind == "object" and v.get("dataSource") is not None and v.get("function") is None:
                    continue
                if v.kind == "string" and (str(v.value) in ds_names or "." not in str(v.value)):
                    continue
                self._fn(v, tgt, f'resolver "{e.key}"', route=e.key)
        elif rs is not None and rs.kind in ("ref", "unknown"):
            self.unresolved += 1

    def _rules(self, rules: Value | None, tgt: _Target) -> None:
        if rules is None or rules.kind != "object":
            return
        for e in rules.entries:
            if e.value.kind == "object":
                self._named_fns(e.value.get("targets"), tgt, f'rule "{e.key}" target')

    def _named_fns(self, v: Value | None, tgt: _Target, position: str) -> None:
        """A map (v1+) or array (v0) of function definitions."""
        if v is None:
            return
        if v.kind == "object":
            for e in v.entries:
                self._fn(e.value, tgt, f'{position} "{e.key}"')
        elif v.kind == "array":
            for i, item in enumerate(v.items):
                self._fn(item, tgt, f"{position} #{i + 1}")
        elif v.kind in ("ref", "unknown"):
            self.unresolved += 1

    def _fn(self, v: Value | None, tgt: _Target, position: str, route: str | None = None) -> None:
        """A function definition: a handler string, `{ handler }` props, or `{ function }`."""
        if v is None:
            return
        if v.kind == "unknown" and v.items:
            # `cond ? "src/a.main" : "src/b.main"`: each branch is a real reference.
            for opt in v.items:
                if opt.kind != "null" and opt.kind != "bool":
                    self._fn(opt, tgt, position, route)
            return
        if v.kind == "string":
            self._emit(v, None, tgt, position, route)
        elif v.kind == "object":
            fn = v.get("function")
            if fn is not None:
                self._fn(fn, tgt, position, route)
                return
            h = v.get("handler")
            if h is None:
                return
            if h.kind == "unknown" and h.items:
                for opt in h.items:
                    if opt.kind == "string":
                        self._emit(opt, v, tgt, position, route)
                    elif opt.kind in ("ref", "unknown"):
                        self.unresolved += 1
                return
            if h.kind == "string":
                self._emit(h, v, tgt, position, route)
            elif h.kind in ("ref", "unknown"):
                self.unresolved += 1
        elif v.kind == "ref":
            if self._has_var((tgt.stack, v.text)) or self._has_var((None, v.text)):
                return  # A Function construct held in a variable: extracted where it was built.
            self.unresolved += 1
        elif v.kind == "unknown":
            if v.text.startswith("new "):
                return  # `new Function(...)` in place: extracted as a construct of its own.
            self.unresolved += 1

    def _has_var(self, key: tuple[str | None, str]) -> bool:
        """`key in by_var`, recorded while a `new` expression's products are being extracted."""
        present = key in self.by_var
        if self._var_checks is not None:
            self._var_checks.append((key, present))
        return present

    def _emit(self, h: Value, props: Value | None, tgt: _Target, position: str, route: str | None) -> None:
        runtime_v = props.get("runtime") if props is not None else None
        src_v = props.get("srcPath") if props is not None else None
        has_rt = runtime_v is not None or tgt.defaults.runtime is not None
        has_src = src_v is not None or tgt.defaults.src_path is not None
        runtime_v = runtime_v or tgt.defaults.runtime
        src_v = src_v or tgt.defaults.src_path
        c = tgt.construct
        # v3 `bundle`: a prebuilt folder the handler is relative to.
        bundle_v = props.get("bundle") if props is not None and c is not None and c.origin == "sst3" else None
        if any(v is not None and v.kind != "string" for v in (runtime_v, src_v, bundle_v)):
            # A computed runtime, srcPath or bundle: we cannot know where the handler points.
            self.unresolved += 1
            return
        self.handlers.append(
            HandlerRef(
                handler=str(h.value),
                path=h.path or self.path,
                range=h.range,
                position=position,
                stack=tgt.stack,
                construct_id=c.id if c else None,
                construct_kind=c.kind if c else None,
                route=route,
                runtime=runtime_v.str_value if runtime_v is not None else None,
                src_path=src_v.str_value if src_v is not None else None,
                runtime_range=runtime_v.range if runtime_v is not None else None,
                literal=h.literal,
                function_props=props,
                has_local_runtime=has_rt,
                has_local_src_path=has_src,
                bundle=bundle_v.str_value if bundle_v is not None else None,
            )
        )

    # ------------------------------------------------------------------------------------------
    # Method calls: registrations, defaults, `add*` methods, v3 `.route()` and friends.
    def _call(self, node: Node) -> None:
        fn = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        if fn is None or args_node is None:
            return
        recv = fn.child_by_field_name("object")
        prop = fn.child_by_field_name("property")
        if recv is None or prop is None:
            return
        method = self.text(prop)
        args = [a for a in args_node.named_children if a.type != "comment"]
        if method == "stack":
            self._registration(node, recv, args)
            return
        if method == "setDefaultFunctionProps":
            if not args:
                return
            v = self._props_arg(args[-1])
            recv_text = self.text(recv)
            stack = self._enclosing_stack(node)
            if stack is not None and recv_text in ("stack", "this", "ctx.stack", "props.stack"):
                self.stack_defaults.setdefault(stack, []).append(v)
            elif recv_text == "app" or recv_text.endswith(".app") or self._enclosing_entry(node) is not None:
                self.app_defaults.append(v)
            elif stack is not None:
                self.stack_defaults.setdefault(stack, []).append(v)
            return
        stack = self._enclosing_stack(node)
        inner = unwrap(recv)
        if inner is not None and inner.type == "new_expression":
            # `new sst.aws.ApiGatewayV2("Api").route("GET /", "src/get.handler")`.
            c = self.by_node.get(inner.id)
        else:
            c = self.by_var.get((stack, self.text(recv))) or self.by_var.get((None, self.text(recv)))
        elsewhere = False
        if c is None:
            # A construct of another stack (`use()`), another module, or a parameter.
            c = self._construct_of(recv)
            elsewhere = True
        if c is None:
            return
        if c.origin == "sst3":
            self._v3_method(c, method, args)
            return
        if c.origin != "sst":
            return
        tgt = _Target(stack if elsewhere else c.stack, c, self._defaults_of(c.props))
        # v1/v2 add* methods take the scope first: `api.addRoutes(stack, {...})`.
        rest = [self.ev.value(a) for a in args]
        obj_args = [v for v in rest if v.kind in ("object", "array", "string", "ref", "unknown")]
        if method == "addRoutes" and c.kind in API_KINDS:
            if rest:
                self._routes(rest[-1], tgt)
        elif method in ("addResolvers",) and c.kind in APPSYNC_KINDS:
            if rest:
                self._appsync(Value("object", rest[-1].range, entries=(
                    _entry("resolvers", rest[-1]),)), tgt)
        elif method in ("addDataSources",) and c.kind in APPSYNC_KINDS:
            if rest:
                self._appsync(Value("object", rest[-1].range, entries=(
                    _entry("dataSources", rest[-1]),)), tgt)
        elif method == "addConsumer" and c.kind == "Queue":
            if rest:
                self._fn(rest[-1], tgt, "Queue consumer")
        elif method == "addSubscribers" and c.kind == "Topic":
            if rest:
                self._named_fns(rest[-1], tgt, "Topic subscriber")
        elif method == "addConsumers" and c.kind in ("Table", "KinesisStream"):
            if rest:
                self._named_fns(rest[-1], tgt, f"{c.kind} consumer")
        elif method == "addNotifications" and c.kind == "Bucket":
            if rest:
                self._named_fns(rest[-1], tgt, "Bucket notification")
        elif method == "addRules" and c.kind == "EventBus":
            if rest:
                self._rules(rest[-1], tgt)
        elif method == "addTargets" and c.kind == "EventBus":
            if rest:
                self._named_fns(rest[-1], tgt, "rule target")
        elif method == "subscribe" and c.kind == "EventBus":
            # v2: `bus.subscribe([scope,] "type" | ["types"], target, props?)`.
            for i, v in enumerate(rest):
                if v.kind == "string" or (v.kind == "array" and v.items and all(x.kind == "string" for x in v.items)):
                    if i + 1 < len(rest):
                        label = v.value if v.kind == "string" else ", ".join(str(x.value) for x in v.items)
                        self._fn(rest[i + 1], tgt, f'subscriber "{label}"')
                    break
        del obj_args

    def _v3_method(self, c: Construct, method: str, args: list[Node]) -> None:
        tgt = _Target(None, c, _Defaults())
        vals = [self.ev.value(a) for a in args]
        if method == "route" and c.kind in V3_ROUTERS and len(vals) >= 2:
            key = vals[0]
            if key.kind == "string":
                self._route_key(str(key.value), key.range, tgt, key.path)
            self._fn(vals[1], tgt, f'route "{key.value}"' if key.kind == "string" else "route",
                     route=str(key.value) if key.kind == "string" else None)
        elif method == "subscribe" and vals:
            named = _v3_named_subscribe(c.kind, vals)
            sub_v, name_v = (vals[1], vals[0]) if named else (vals[0], None)
            named_as = name_v.str_value if name_v is not None else None
            self._fn(sub_v, tgt, f'subscriber "{named_as}"' if named_as is not None else "subscriber")
        elif method == "notify" and vals and vals[0].kind == "object":
            ns = vals[0].get("notifications")
            if ns is not None and ns.kind == "array":
                for i, n in enumerate(ns.items):
                    label = n.get("name") if n.kind == "object" else None
                    self._fn(n, tgt, f'notification "{label.value}"' if label is not None else f"notification #{i + 1}")

    def _props_arg(self, node: Node) -> Value:
        """`{...}` or `(stack) => ({...})` (SST accepts both for default function props)."""
        n = unwrap(node)
        if n is not None and n.type == "arrow_function":
            body = n.child_by_field_name("body")
            b = unwrap(body)
            if b is not None and b.type == "object":
                return self.ev.value(b)
        return self.ev.value(node)

    def _registration(self, node: Node, recv: Node, args: list[Node]) -> None:
        # The chain's root must be the app: `app.stack(A).stack(B)`.
        root = recv
        while root.type in ("call_expression", "member_expression", "parenthesized_expression"):
            if root.type == "call_expression":
                f = root.child_by_field_name("function")
                if f is None or f.type != "member_expression":
                    return
                root = f.child_by_field_name("object") or root
                if root is f:
                    return
            elif root.type == "member_expression":
                obj = root.child_by_field_name("object")
                if obj is None:
                    return
                root = obj
            else:
                inner = root.named_children[0] if root.named_children else None
                if inner is None:
                    return
                root = inner
        if root.type != "identifier":
            return
        entry = self._enclosing_entry(node)
        root_name = self.text(root)
        if not (root_name == "app" or (entry is not None and self._entry_param_name(entry) == root_name)):
            return
        if not args:
            return
        target = unwrap(args[0]) or args[0]
        opts = self.ev.value(args[1]) if len(args) > 1 else None
        explicit_id = stack_name = stack_name_expr = None
        id_range = None
        if opts is not None and opts.kind == "object":
            idv = opts.get("id")
            if idv is not None and idv.kind == "string":
                explicit_id, id_range = idv.str_value, idv.range
            if opts.get("stackName") is not None:
                stack_name, stack_name_expr = self._stack_name_option(args[1], {root_name, "app"})
        wrapped = None
        target_name = ""
        if target.type == "identifier":
            target_name = self.text(target)
        elif target.type in ("arrow_function", "function_expression", "function"):
            params = target.child_by_field_name("parameters") or target.child_by_field_name("parameter")
            first = None
            if params is not None:
                first = params if params.type == "identifier" else next(iter(params.named_children), None)
            name_node = target.child_by_field_name("name")
            if first is not None and self._is_stack_param(first) and (name_node is not None or explicit_id):
                # An inline stack definition.
                target_name = self.text(name_node) if name_node is not None else str(explicit_id)
                self.stack_nodes[target.id] = (target_name, "function", target, name_node or target)
            else:
                wrapped = self._wrapped_call(target)
                if wrapped is None:
                    self.unresolved += 1
        elif target.type == "member_expression":
            target_name = self.text(target)
        self.registrations.append(
            StackRegistration(
                target=target_name,
                path=self.path,
                range=self.pf.node_range(target),
                explicit_id=explicit_id,
                id_range=id_range,
                stack_name=stack_name,
                stack_name_expr=stack_name_expr,
                wrapped=wrapped,
                branch=self._branch(node),
            )
        )

    def _stack_name_option(self, opts: Node, app_names: set[str]) -> tuple[str | None, str | None]:
        """(template, None) for the `stackName` of a registration's options, or (None, its
        source) when it cannot be evaluated: SST deploys a name we cannot know, which hover and
        synth then say, never putting the default name in its place."""
        obj = unwrap(opts)
        if obj is not None and obj.type == "identifier":
            obj = unwrap(self.ev.lookup(obj))  # `const opts = { stackName: ... }`.
        node = _object_member(obj, "stackName", self.pf)
        if node is None:
            # Reached through a spread: present, not readable.
            return None, f"{self.text(opts)}.stackName"
        got = self._name_template(node, app_names)
        return (got, None) if got is not None else (None, self.text(node))

    def _name_template(self, node: Node, app_names: set[str], depth: int = 0) -> str | None:
        """A stack name as a template: `${app.stage}` becomes `STAGE_TOKEN` and `${app.name}`
        `APP_TOKEN` (SST's `app.stage`/`app.name`, known per stage); other parts must fold to
        strings. None when some part cannot be known."""
        n = unwrap(node)
        if n is None or depth > 16:
            return None
        if n.type == "member_expression":
            obj, prop = n.child_by_field_name("object"), n.child_by_field_name("property")
            if obj is not None and prop is not None and obj.type == "identifier" and self.text(obj) in app_names:
                got = {"stage": STAGE_TOKEN, "name": APP_TOKEN}.get(self.text(prop))
                if got is not None:
                    return got
        if n.type == "template_string":
            parts: list[str] = []
            for ch in n.named_children:
                if ch.type == "template_substitution":
                    inner = ch.named_children[0] if ch.named_children else None
                    got = self._name_template(inner, app_names, depth + 1) if inner is not None else None
                    if got is None:
                        return None
                    parts.append(got)
                elif ch.type == "string_fragment":
                    parts.append(self.text(ch))
                else:
                    return None  # An escape sequence: no valid stack name holds one.
            return "".join(parts)
        if n.type == "binary_expression":
            op = n.child_by_field_name("operator")
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if op is not None and self.text(op) == "+" and left is not None and right is not None:
                a = self._name_template(left, app_names, depth + 1)
                b = self._name_template(right, app_names, depth + 1)
                return a + b if a is not None and b is not None else None
            return None
        v = self.ev.value(n)
        return v.str_value

    def _wrapped_call(self, fn: Node) -> str | None:
        body = fn.child_by_field_name("body")
        b = unwrap(body)
        call = None
        if b is not None and b.type == "call_expression":
            call = b
        elif body is not None and body.type == "statement_block":
            for st in body.named_children:
                if st.type == "return_statement" and st.named_children:
                    r = unwrap(st.named_children[0])
                    if r is not None and r.type == "call_expression":
                        call = r
        if call is None:
            return None
        f = call.child_by_field_name("function")
        return self.text(f) if f is not None and f.type == "identifier" else None


    # ------------------------------------------------------------------------------------------
    # Calls of app functions and loops over known items: their bodies run once per call (with
    # the call's arguments) or per item (model/interp.py binds the values), in this file or in
    # the module that defines the function (a sub-extractor of it, see `_sub`).
    def _regions(self, caps: dict[str, list[Node]]) -> tuple[list[Node], list[Node]]:
        """The loops and callbacks over known items and the calls of app functions among
        `caps`; the spans the main pass leaves to them go to `self._skip`."""
        regions: list[Node] = []
        for loop in caps["loop"]:
            if interp.loop_head(loop) is not None and self._items(loop) is not None:
                regions.append(loop)
        for call in caps["cbcall"]:
            if interp.callback_of(call) is not None and self._items(call) is not None:
                regions.append(call)
        fcalls: list[Node] = []
        for ident in caps["callee"]:
            parent = ident.parent
            if parent is None or parent.type != "call_expression":
                continue
            call = parent
            got = self._callee(call)
            if got is None:
                continue
            fcalls.append(call)
            if got[0] is self.ev and got[1].id not in self._active:
                # (A recursive call inside the body being run does not hide that body.)
                self._skip.append(interp.span(got[1]))
        for r in regions:
            body = self._region_body(r)
            if body is not None:
                self._skip.append(interp.span(body))
        return regions, fcalls

    def _ordered(self, regions: list[Node], fcalls: list[Node]) -> list[Node]:
        """The regions and calls not inside another one's span, in document order."""
        skip = self._skip
        out = [n for n in regions + fcalls if not interp.inside(n, skip)]
        out.sort(key=lambda n: n.start_byte)
        return out

    def _region_body(self, node: Node) -> Node | None:
        if node.type == "for_in_statement":
            return node.child_by_field_name("body")
        cb = interp.callback_of(node)
        return cb[1] if cb is not None else None

    def _items(self, node: Node) -> list[Value] | None:
        """What a loop or a `.forEach`/`.map` iterates over, when it is known."""
        if node.type == "for_in_statement":
            head = interp.loop_head(node)
            expr = head[1] if head is not None else None
        else:
            cb = interp.callback_of(node)
            expr = cb[0] if cb is not None else None
        if expr is None:
            return None
        return interp.iteration(self.ev, expr, self._list_dir)

    def _list_dir(self, d: str) -> list[str] | None:
        """JS/TS files of a folder named relative to this file (`readdirSync("infra")` in
        sst.config.ts: SST runs it from the app root, where the config is)."""
        folder = Path(os.path.normpath(self.path.parent / d))
        names = self.program.list_dir(folder)
        return [n for n in names
                if lang_for_path(folder / n) in JS_LANGS and not n.endswith(".d.ts") and not _is_test_name(n)]

    def _callee(self, call: Node) -> tuple[Evaluator, Node] | None:
        """The app function a call runs (None: not one, or a stack or entry function, which
        SST runs itself)."""
        fn_expr = call.child_by_field_name("function")
        if fn_expr is None or self.text(fn_expr) in ("use", "require", "$config"):
            return None
        got = self.ev.function_of(fn_expr)
        if got is None:
            return None
        ev, fn = got
        if fn.child_by_field_name("body") is None:
            return None
        if ev is self.ev:
            if fn.id in self.stack_nodes or fn.id in self.entry_params:
                return None
            ctx = self
        else:
            if ev.module is None:
                return None
            ctx = self._sub(ev.module)
        params = interp.param_names(fn)
        first = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
        first_p = None
        if first is not None:
            first_p = first if first.type == "identifier" else next(
                (p for p in first.named_children if p.type != "comment"), None)
        if first_p is not None and (ctx._is_stack_param(first_p) or (
                params and params[0][2] == "" and ctx._param_used_as_context(fn, first_p))):
            return None  # A stack function called as a helper keeps its own stack.
        return got

    def _root(self) -> _Extractor:
        ex = self
        while ex.parent is not None:
            ex = ex.parent
        return ex

    def _sub(self, module: Module) -> _Extractor:
        """The sub-extractor of another module: its imports are read, what it finds goes to the
        root extractor's lists."""
        root = self._root()
        if module is root.mod:
            return root
        sub = root._subs.get(module.path)
        if sub is None:
            sub = _Extractor(module.pf, module.path, program=self.program, module=module, parent=root)
            sub.constructs, sub.handlers, sub.routes = root.constructs, root.handlers, root.routes
            sub._active = root._active
            sub._foreign = root._foreign
            if module.scan is None:
                for st in module.pf.root.named_children:
                    if st.type != "ERROR":
                        try:
                            sub._top_level(st)
                        except RecursionError:
                            root.recursion_errors += 1
                module.scan = (sub.sst_names, sub.sst_ns, sub.cdk_names, sub.cdk_ns, sub.stack_nodes,
                               sub.entry_params)
            else:
                (sub.sst_names, sub.sst_ns, sub.cdk_names, sub.cdk_ns, sub.stack_nodes,
                 sub.entry_params) = module.scan  # type: ignore[misc]
            sub.imports = []
            root._subs[module.path] = sub
        return sub

    def _caps_in(self, body: Node) -> dict[str, list[Node]]:
        """The query's captures inside `body`, in document order."""
        s, e = body.start_byte, body.end_byte
        if self._full_caps is not None:
            return {k: [n for n in v if s <= n.start_byte and n.end_byte <= e] for k, v in self._full_caps.items()}
        cached = self.mod.captures.get((s, e))
        if cached is not None:
            return cached
        got: dict[str, list[Node]] = {k: [] for k in _CAPTURE_TYPES}
        cursor = QueryCursor(_query(self.pf.lang))
        cursor.set_byte_range(s, e)
        for _, caps in cursor.matches(body):
            for k in _CAPTURE_TYPES:
                got[k].extend(n for n in caps.get(k, ()) if s <= n.start_byte and n.end_byte <= e)
        for nodes in got.values():
            nodes.sort(key=lambda n: (n.start_byte, n.end_byte))
        self.mod.captures[(s, e)] = got
        return got

    def _run_region(self, body: Node) -> None:
        """Extracts what a body holds, under the bindings in place (and its own loops and
        calls, each with theirs)."""
        caps = self._caps_in(body)
        saved = self._skip
        self._skip = []
        try:
            regions, fcalls = self._regions(caps)
            skip = self._skip
            for n in caps["new"]:
                if not interp.inside(n, skip):
                    self._guard(self._new, n)
            for c in caps["call"]:
                if not interp.inside(c, skip) and self._method_name(c) != "stack":
                    self._guard(self._call, c)
            for d in caps["dynexpr"]:
                if d.type != "string" and not interp.inside(d, skip):
                    self._guard(self._dynamic_import, d)
            for node in self._ordered(regions, fcalls):
                self._guard(self._interpret, node)
        finally:
            self._skip = saved

    def _interpret(self, node: Node) -> None:
        if len(self._active) >= MAX_INTERPRET_DEPTH or node.id in self._active:
            return
        self._root()._expanded = True
        if node.type == "for_in_statement":
            self._run_loop(node)
        elif interp.callback_of(node) is not None and self._items(node) is not None:
            self._run_callback(node)
        else:
            self._run_call(node)

    def _run_loop(self, loop: Node) -> None:
        head = interp.loop_head(loop)
        body = loop.child_by_field_name("body")
        items = self._items(loop)
        if head is None or body is None or items is None:
            return
        pattern = head[0]
        self._active.append(loop.id)
        try:
            for item in items:
                values: dict[str, Value] = {}
                interp.bind_pattern(self.ev, pattern, item, values)
                self.ev.bind(loop, values)
                try:
                    self._run_region(body)
                finally:
                    self.ev.unbind(loop, list(values))
        finally:
            self._active.pop()

    def _run_callback(self, call: Node) -> None:
        cb = interp.callback_of(call)
        items = self._items(call)
        if cb is None or items is None:
            return
        fn = cb[1]
        body = fn.child_by_field_name("body")
        if body is None:
            return
        self._active.append(call.id)
        try:
            for item in items:
                values = interp.bind_params(self.ev, fn, [item])
                self.ev.bind(fn, values)
                try:
                    self._run_region(body)
                finally:
                    self.ev.unbind(fn, list(values))
        finally:
            self._active.pop()

    def _run_call(self, call: Node) -> None:
        """Runs the body of the app function a call names with the call's arguments."""
        got = self._callee(call)
        args_node = call.child_by_field_name("arguments")
        if got is None or args_node is None:
            return
        ev, fn = got
        if fn.id in self._active:
            return  # Recursion: the body is being run already.
        ctx = self if ev is self.ev else self._sub(ev.module)  # type: ignore[arg-type]
        arg_nodes = [a for a in args_node.named_children if a.type != "comment"]
        args: list[Value | None] = []
        for a in arg_nodes:
            if a.type == "spread_element":
                break
            v = self.ev.value(a)
            args.append(tag(v, self.path) if ctx is not self else v)
        values = interp.bind_params(ev, fn, args)
        bound: dict[tuple[int, str], Construct] = {}
        for (name, _ident, _ty), a in zip(interp.param_names(fn), arg_nodes, strict=False):
            if name:
                c = self._construct_of(a)
                if c is not None:
                    bound[(fn.id, name)] = c
        place = self._place(call)
        saved_forced, saved_vars = ctx.forced, ctx.by_var
        ctx.forced = place
        if ctx is not self:
            ctx.by_var = {}
        ctx.bound.update(bound)
        ev.bind(fn, values)
        self._active.append(fn.id)
        body = fn.child_by_field_name("body")
        try:
            if body is not None:
                ctx._run_region(body)
        finally:
            self._active.pop()
            ev.unbind(fn, list(values))
            for k in bound:
                ctx.bound.pop(k, None)
            ctx.forced, ctx.by_var = saved_forced, saved_vars
        if ctx is not self:
            self.unresolved += ctx.unresolved
            ctx.unresolved = 0
            self._root().interpreted.append((ctx.path, ctx.pf.node_range(fn)))

    def _dynamic_import(self, expr: Node) -> None:
        """A dynamic `import()` of a computed path inside a loop over known names: a module of the app."""
        v = self.ev.value(expr)
        if v.kind == "string" and self.parent is None:
            self.imports.append(ImportFact(str(v.value), v.range if v.path is None else self.pf.node_range(expr), ()))

    # ------------------------------------------------------------------------------------------
    # Constructs reached from elsewhere: parameters, `use(OtherStack)`, other modules.
    def _construct_of(self, node: Node | None, depth: int = 0) -> Construct | None:
        """The construct an expression stands for, if one is known."""
        node = unwrap(node)
        if node is None or depth > MAX_INTERPRET_DEPTH:
            return None
        t = node.type
        if t == "new_expression":
            return self.by_node.get(node.id)
        if t == "member_expression":
            obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
            if obj is None or prop is None:
                return None
            outs = self._outputs_of(obj, depth + 1)
            return outs.get(self.text(prop)) if outs is not None else None
        if t != "identifier":
            return None
        name = self.text(node)
        stack = self._enclosing_stack(node)
        c = self.by_var.get((stack, name)) or self.by_var.get((None, name))
        if c is not None:
            return c
        target, where = self.ev.binding(node)
        if where is not None and where.type not in ("program", "statement_block", "class_body", "switch_body"):
            c = self.bound.get((where.id, name))
            if c is not None:
                return c
            if where.type in interp.FUNCTION_TYPES:
                return self._typed_param(where, name)
            return None
        if target is not None:
            if target.type == "new_expression":
                return self.by_node.get(target.id) or self._construct_at(self.mod, target, stack)
            return self._construct_of(target, depth + 1)  # `const t = use(S).table`.
        if where is not None:
            got = self._destructured(node, where)
            if got is not None:
                outs = self._outputs_of(got[0], depth + 1)
                return outs.get(got[1]) if outs is not None else None
        if (where is None or where.type == "program") and name in self.mod.imports:
            tgt = self.program.local(self.mod, name)
            if tgt is not None and tgt.node is not None and tgt.node.type == "new_expression":
                return self._construct_at(tgt.module, tgt.node, None)
        return None

    def _destructured(self, ident: Node, scope: Node) -> tuple[Node, str] | None:
        """(value, key) of the declaration in `scope` that binds `ident` by destructuring:
        `const { table } = use(StorageStack)` -> (use(StorageStack), "table")."""
        name = self.text(ident)
        for st in scope.named_children:
            decl = st.child_by_field_name("declaration") if st.type == "export_statement" else st
            if decl is None or decl.type not in ("lexical_declaration", "variable_declaration"):
                continue
            for d, pattern in variable_declarators(decl):
                value = d.child_by_field_name("value")
                if value is None or pattern.type != "object_pattern":
                    continue
                for p in pattern.named_children:
                    if p.type == "shorthand_property_identifier_pattern" and self.text(p) == name:
                        return value, name
                    if p.type == "pair_pattern":
                        k, v = p.child_by_field_name("key"), p.child_by_field_name("value")
                        if k is not None and v is not None and self.text(v) == name:
                            return value, self.text(k).strip("\"'")
        return None

    def _outputs_of(self, node: Node | None, depth: int = 0) -> dict[str, Construct] | None:
        """The constructs a stack returns, for `use(Stack)` (or a name bound to one)."""
        node = unwrap(node)
        if node is None or depth > MAX_INTERPRET_DEPTH:
            return None
        if node.type == "identifier":
            target = self.ev.lookup(node)
            return self._outputs_of(target, depth + 1) if target is not None else None
        if node.type != "call_expression":
            return None
        fn_expr = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn_expr is None or self.text(fn_expr) != "use" or args is None or not args.named_children:
            return None
        got = self.ev.function_of(args.named_children[0])
        if got is None or got[0].module is None:
            return None
        ev, fn = got
        module = ev.module
        assert module is not None
        ctx = self._sub(module)
        name_node = fn.child_by_field_name("name")
        if fn.id in ctx.stack_nodes:
            stack_name: str | None = ctx.stack_nodes[fn.id][0]
        else:
            stack_name = module.pf.node_text(name_node) if name_node is not None else None
        outs = interp.stack_outputs(fn)
        if outs is None:
            return None
        found: dict[str, Construct] = {}
        for ch in outs.named_children:
            if ch.type == "shorthand_property_identifier":
                key, value = module.pf.node_text(ch), ch
            elif ch.type == "pair":
                k, v = ch.child_by_field_name("key"), ch.child_by_field_name("value")
                if k is None or v is None:
                    continue
                key, value = module.pf.node_text(k).strip("\"'"), v
            else:
                continue
            v2: Node | None = unwrap(value) or value
            if v2 is not None and v2.type in ("identifier", "shorthand_property_identifier"):
                v2 = unwrap(ev.lookup(v2))
            if v2 is not None and v2.type == "new_expression":
                c = ctx.by_node.get(v2.id) if ctx is self._root() else None
                c = c or self._construct_at(module, v2, stack_name)
                if c is not None:
                    found[key] = c
        return found

    def _construct_at(self, module: Module, node: Node, stack: str | None) -> Construct | None:
        """A construct for a `new` expression of any module (not added to this file's)."""
        root = self._root()
        key = (module.path, node.start_byte)
        if key in root._foreign:
            return root._foreign[key]
        root._foreign[key] = None  # A cycle finds nothing.
        ctx = self._sub(module)
        ctor = node.child_by_field_name("constructor")
        args_node = node.child_by_field_name("arguments")
        c: Construct | None = None
        cls = ctx._classify(ctor) if ctor is not None else None
        if cls is not None and args_node is not None:
            kind, origin = cls
            args = [a for a in args_node.named_children if a.type != "comment"]
            id_node = args[0] if origin == "sst3" else (args[1] if len(args) > 1 else None)
            props_node = args[1 if origin == "sst3" else 2] if len(args) > (1 if origin == "sst3" else 2) else None
            if id_node is not None:
                idv = ctx.ev.value(id_node)
                dynamic = idv.kind != "string"
                props = ctx.ev.value(props_node) if props_node is not None else None
                if props is not None and module is not root.mod:
                    props = tag(props, module.path)
                c = Construct(
                    kind=kind, origin=origin, id=str(idv.value) if not dynamic else ctx.text(id_node),
                    id_range=ctx.pf.node_range(id_node), path=module.path, range=ctx.pf.node_range(node),
                    stack=stack if stack is not None else ctx._enclosing_stack(node),
                    scope="" if origin == "sst3" else ctx.text(args[0]), props=props,
                    var_name=ctx._var_name(node), dynamic_id=dynamic,
                )
        root._foreign[key] = c
        return c

    def _typed_param(self, fn: Node, name: str) -> Construct | None:
        """A parameter typed as an SST construct (`api: Api`, `queue: sst.aws.Queue`) that no
        evaluated call binds: the body's method calls on it are still handler positions."""
        for pname, ident, ty in interp.param_names(fn):
            if pname != name or not ty:
                continue
            ty = ty.split("<", 1)[0].strip()
            kind_origin: tuple[str, str] | None = None
            if ty in self.sst_names and self.sst_names[ty] not in ("App", "Stack", "StackContext"):
                kind_origin = (self.sst_names[ty], "sst")
            elif "." in ty:
                ns, _, cls = ty.rpartition(".")
                if ns in self.sst_ns:
                    kind_origin = (cls, "sst")
                elif ns == "sst.aws":
                    kind_origin = (cls, "sst3")
            if kind_origin is None:
                return None
            r = self.pf.node_range(ident)
            self._root()._expanded = True
            return Construct(kind=kind_origin[0], origin=kind_origin[1], id=name, id_range=r, path=self.path,
                             range=r, stack=self._enclosing_stack(fn), var_name=name, dynamic_id=True)
        return None

    def _use(self, node: Node) -> None:
        stack = self._enclosing_stack(node)
        args = node.child_by_field_name("arguments")
        if stack is None or args is None or not args.named_children:
            return
        a = args.named_children[0]
        if a.type == "identifier":
            self.stack_uses.setdefault(stack, []).append(self.text(a))


#: v3 components whose `subscribe` takes a subscriber name first (SST 3.3+):
#: `subscribe(name, subscriber, args?)`; before, and for Queue, Realtime and Bucket, it is
#: `subscribe(subscriber, args?)`.
_V3_NAMED_SUBSCRIBE = frozenset({"SnsTopic", "Bus", "Dynamo", "KinesisStream"})


def _v3_named_subscribe(kind: str, vals: list[Value]) -> bool:
    """True when a v3 `.subscribe(...)` call names its subscriber first."""
    if kind not in _V3_NAMED_SUBSCRIBE or len(vals) < 2:
        return False
    second = vals[1]
    if second.kind == "string":
        return True  # The args are an object, never a string: this is the subscriber.
    if second.kind == "object":
        # FunctionArgs hold a handler; the args (filter, pattern, ...) never do: then this is the
        # older `(subscriber, args, opts?)`.
        return second.get("handler") is not None
    if len(vals) >= 3:
        return True
    # A variable: the first argument is a name unless it reads like a handler path.
    first = vals[0]
    return not (first.kind == "string" and ("/" in str(first.value) or "." in str(first.value)))


def _object_member(obj: Node | None, key: str, pf: ParsedFile) -> Node | None:
    """The value node of `key: value` in an object literal (the last one, as in JS)."""
    found = None
    if obj is not None and obj.type == "object":
        for ch in obj.named_children:
            if ch.type == "pair":
                k = ch.child_by_field_name("key")
                if k is not None and (pf.node_text(k) == key or pf.node_text(k).strip("'\"") == key):
                    found = ch.child_by_field_name("value")
            elif ch.type == "shorthand_property_identifier" and pf.node_text(ch) == key:
                found = ch
    return found


def _is_test_name(name: str) -> bool:
    return ".test." in name or ".spec." in name


def _get(v: Value | None, key: str) -> Value | None:
    return v.get(key) if v is not None and v.kind == "object" else None


def _string_value(v: Value | None) -> Value | None:
    """`v` when it is a string, else None."""
    return v if v is not None and v.kind == "string" else None


def _member_function(member: Node) -> Node | None:
    """The function of an object member: a method itself, or a property's (unwrapped) value."""
    return member if member.type == "method_definition" else unwrap(member.child_by_field_name("value"))


def _entry(key: str, v: Value) -> Entry:
    return Entry(key, v.range, v)
