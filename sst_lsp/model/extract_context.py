"""The per-file state of one extraction (layer 2: model), shared by the extraction modules.

A `FileContext` holds what extracting one JS/TS file has found so far (imports bound to SST and
CDK names, stack definitions, constructs, handlers, route keys, registrations, the app config)
and the evaluation state (the file's `Evaluator`, bound parameters, the bodies being run), with
the small questions every part asks of it: the text of a node, the stack and branch it sits in,
its variable. The parts themselves are functions over a context, one module per concept:
`origins` (which module a name comes from), `stacks` (top level, stack definitions and
registrations), `app_config` (sst.config.* / sst.json's app), `constructs` (`new X(...)`),
`handler_sites` (which props and methods of which construct hold handlers), `expand` (calls of
app functions and loops, run with their bindings) and `extract_memo` (the query and what one
extraction carries to the next); `extract` drives them.

A sub-extraction (the body of another module's function that a call of this file runs) has its
own context, whose found lists are the root context's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tree_sitter import Node

from sst_lsp.model.evaluate import Evaluator
from sst_lsp.model.files import FileSource
from sst_lsp.model.js_values import unwrap
from sst_lsp.model.modules import Module, Program
from sst_lsp.model.types import (
    ConfigFacts,
    Construct,
    Entry,
    HandlerRef,
    ImportFact,
    RouteKey,
    StackRegistration,
    Value,
)
from sst_lsp.syntax.parser import ParsedFile
from sst_lsp.syntax.text import TextRange

if TYPE_CHECKING:
    from sst_lsp.model.extract_memo import ExtractMemo

#: Function calls and loop bodies evaluated inside each other at most.
MAX_INTERPRET_DEPTH = 8

#: Nodes whose bodies run conditionally or repeatedly (see `FileContext.branch`).
_BRANCH_FUNCTIONS = frozenset(
    {"function_declaration", "function_expression", "arrow_function", "method_definition",
     "generator_function_declaration", "function", "class_declaration", "class"}
)
_BRANCH_LOOPS = frozenset(
    {"for_statement", "for_in_statement", "while_statement", "do_statement"}
)


def new_program(fs: FileSource | None = None, load: Callable[[Path], ParsedFile | None] | None = None) -> Program:
    """A `Program` whose modules get evaluators that follow imports through it (without
    `load`, the extracted file is the only module)."""
    holder: list[Program] = []

    def make_ev(m: Module) -> Evaluator:
        return Evaluator(m.pf, holder[0], m)

    prog = Program(fs or FileSource(), load or (lambda _p: None), make_ev)
    holder.append(prog)
    return prog


class FileContext:
    """What one extraction of a file has found, and its evaluation state (see the module)."""

    def __init__(self, pf: ParsedFile, path: Path, memo: ExtractMemo | None = None,
                 program: Program | None = None, module: Module | None = None,
                 parent: FileContext | None = None) -> None:
        self.pf = pf
        self.path = path
        self.program = program if program is not None else new_program()
        if module is not None and module.ev is not None:
            # A sub-extractor of another module, run for the bodies its functions have when a
            # call of the extracted file evaluates them.
            # The program's modules hold the evaluators extraction made (`evaluate.Evaluator`).
            self.ev = cast(Evaluator, module.ev)
            self.mod = module
        else:
            self.ev = Evaluator(pf, self.program, path=path)
            self.mod = self.program.set_home(path, pf, self.ev)
            self.ev.module = self.mod
        self.parent = parent
        #: (stack, branch) every construct and handler of a sub-extraction is placed in: those
        #: of the call that evaluates the body.
        self.forced: tuple[str | None, tuple[tuple[int, int], ...]] | None = None
        #: Constructs bound to parameters and loop variables: (binder node id, name) -> construct.
        self.bound: dict[tuple[int, str], Construct] = {}
        # Sub-extractors of other modules, by path (the root extractor's).
        self.subs: dict[Path, FileContext] = {}
        # Functions and loops being evaluated (their node ids), innermost last.
        self.active: list[int] = []
        # Byte spans the main pass leaves to the evaluation of calls and loops.
        self.skip: list[tuple[int, int]] = []
        # Constructs built for `new` expressions of other modules (use(), imports), by node id.
        self.foreign: dict[tuple[Path, int], Construct | None] = {}
        #: Function bodies of other files evaluated for this file's calls.
        self.interpreted: list[tuple[Path, TextRange]] = []
        self.full_caps: dict[str, list[Node]] | None = None
        # True once a call or loop was run: a literal may then have been reached twice.
        self.expanded = False
        #: Where the main pass counted unresolved positions (range of the expression, count).
        self.unresolved_at: list[tuple[TextRange, int]] = []
        self.memo = memo
        # Constructs found for expressions (`constructs.construct_of`), and how many of them
        # were parameters bound by a call (see `expand.run_call`'s memo).
        self.construct_reads = 0
        self.bound_construct_reads = 0
        # What `expand.callee` found for each call node (by id) in this context.
        self.callees: dict[int, tuple[Evaluator, Node] | None] = {}
        # App function calls run, and those whose product the memo gave (see `expand.run_call`).
        self.calls_run = 0
        self.call_reused = 0
        # `new` expressions reused from / evaluated into the memo, and RecursionErrors caught.
        self.reused = 0
        self.evaluated = 0
        self.recursion_errors = 0
        # The `by_var` checks made while extracting one `new` expression's handlers.
        self.var_checks: list[tuple[tuple[str | None, str], bool]] | None = None
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

    def is_use(self, fn_expr: Node | None) -> bool:
        """True for the callee of SST's `use(Stack)`: `use`, or `sst.use` on an SST namespace."""
        if fn_expr is None:
            return False
        if fn_expr.type == "identifier":
            return self.text(fn_expr) == "use"
        if fn_expr.type != "member_expression":
            return False
        obj, prop = fn_expr.child_by_field_name("object"), fn_expr.child_by_field_name("property")
        return (obj is not None and prop is not None and obj.type == "identifier" and self.text(prop) == "use"
                and self.text(obj) in self.sst_ns)

    def method_name(self, call: Node) -> str:
        fn = call.child_by_field_name("function")
        prop = fn.child_by_field_name("property") if fn is not None else None
        return self.text(prop) if prop is not None else ""

    def guard(self, fn: Callable[[FileContext, Node], None], node: Node) -> None:
        """`fn(self, node)`, counting a RecursionError (deeply nested user code) instead."""
        try:
            fn(self, node)
        except RecursionError:
            self.recursion_errors += 1

    def imports_key(self) -> str:
        """The local names bound to SST and CDK classes and modules (what `origins.classify` reads), as
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
    # Scopes.
    def enclosing_stack(self, node: Node) -> str | None:
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

    def enclosing_entry(self, node: Node) -> Node | None:
        p = node.parent
        while p is not None:
            if p.id in self.entry_params:
                return p
            p = p.parent
        return None

    def entry_param_name(self, fn: Node) -> str | None:
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

    def var_name(self, node: Node) -> str | None:
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

    def branch(self, node: Node) -> tuple[tuple[int, int], ...]:
        """The conditionals and nested functions around `node` up to its stack or entry body
        (outermost first): (start byte of the if/ternary/switch/`&&`/function, branch taken)."""
        return self.place(node)[1]

    def place(self, node: Node) -> tuple[str | None, tuple[tuple[int, int], ...]]:
        """`enclosing_stack` and `branch` of a node, in one walk up its ancestors."""
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

    def has_var(self, key: tuple[str | None, str]) -> bool:
        """`key in by_var`, recorded while a `new` expression's products are being extracted."""
        present = key in self.by_var
        if self.var_checks is not None:
            self.var_checks.append((key, present))
        return present

    def root(self) -> FileContext:
        ex = self
        while ex.parent is not None:
            ex = ex.parent
        return ex


def object_member(obj: Node | None, key: str, pf: ParsedFile) -> Node | None:
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


def get_prop(v: Value | None, key: str) -> Value | None:
    return v.get(key) if v is not None and v.kind == "object" else None


def string_value(v: Value | None) -> Value | None:
    """`v` when it is a string, else None."""
    return v if v is not None and v.kind == "string" else None


def member_function(member: Node) -> Node | None:
    """The function of an object member: a method itself, or a property's (unwrapped) value."""
    return member if member.type == "method_definition" else unwrap(member.child_by_field_name("value"))


def entry_of(key: str, v: Value) -> Entry:
    return Entry(key, v.range, v)
