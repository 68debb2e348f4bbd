"""A small static evaluator of JS/TS expressions (layer 2: model).

It turns literals, object and array literals, constants, template strings built from such
values, `+` concatenation and object spreads into `Value`s with source ranges. With a `Program`
(model/modules.py) it follows imports into other modules (a value from another file carries
that file in `Value.path`), evaluates calls of the app's functions with their arguments
(`apply`: the returned expression, with the parameters bound) and reads the parameters and loop
variables that a call or loop being run has bound (`bind`). A conditional keeps both branches
(an "unknown" whose items are the branches). Everything else becomes a `ref`/`unknown` value:
never an exception. Depth is bounded, so pathological nesting costs nothing but precision.

For incremental extraction the evaluator also records which identifiers it resolved, to which
declarations (`Lookup`), and counts the places where the result depended on the order of
evaluation (`cutoffs`: depth limits, recursion limits, reference cycles) and those that went
through a call, a binding or another module (`opaque`: what the lookups do not describe);
`still_valid` checks such a record against another parse of the file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tree_sitter import Node, Query, QueryCursor

from sst_lsp.model import stage_values
from sst_lsp.model.js_values import _WRAPPERS, _string_content, _unescape, not_literal, tag, unwrap
from sst_lsp.model.types import Entry, Value
from sst_lsp.syntax.parser import ParsedFile, language
from sst_lsp.syntax.text import Pos, TextRange
from sst_lsp.syntax.ts_nodes import variable_declarators

if TYPE_CHECKING:
    from sst_lsp.model.modules import Module, Program

#: Nesting beyond this is reported as "unknown" rather than evaluated.
MAX_DEPTH = 64
#: Calls of app functions evaluated inside each other at most.
MAX_CALL_DEPTH = 8

_SCOPES = frozenset({"program", "statement_block", "class_body", "switch_body"})
_DECLS = frozenset({"lexical_declaration", "variable_declaration"})
_FUNCTIONS = frozenset(
    {"function_declaration", "function_expression", "arrow_function", "method_definition",
     "generator_function_declaration", "function"}
)
_LOOPS = frozenset({"for_in_statement", "for_statement"})
_FUNCTION_VALUES = frozenset({"function_expression", "arrow_function", "function"})
#: Nodes whose parameters (or loop variables, or caught error) bind names.
_BINDERS = _FUNCTIONS | _LOOPS | {"catch_clause"}




#: What a declaration's value node looked like: (row, byte column, code-point column, type,
#: text, has_error). Equal signatures evaluate to equal `Value`s (given equal lookups inside).
Signature = tuple[int, int, int, str, str, bool]

#: Node types `lookup` is called on.
_IDENT_TYPES = frozenset({"identifier", "shorthand_property_identifier"})


@dataclass(slots=True, eq=False)
class Lookup:
    """One identifier resolved while evaluating: where it sits (byte offset relative to the
    expression or declaration being evaluated, the base), its name, the signature of the value
    node it resolved to (None: not a same-file constant), whether something inside the base
    binds the name (`inner`), and the lookups made while evaluating that value node (relative
    to it). A name imported from another module of the app also holds the value it evaluated
    to there (`imported`, a 1-tuple): the lookup holds while the import evaluates to an equal
    value (the program evaluates it once per revision for all its readers)."""

    rel: int
    size: int
    name: str
    target: Signature | None
    inner: bool = True
    children: list[Lookup] = field(default_factory=list)
    imported: tuple[Value] | None = None


class SyntaxTables:
    """What an evaluator finds in its parse alone, shared by the evaluators of one parse (see
    `Program.syntax`): scope tables, function declarations by scope, parameter names, name
    resolutions and the names assigned anywhere."""

    __slots__ = ("assigned", "functions", "params", "resolutions", "scopes")

    def __init__(self) -> None:
        self.scopes: dict[int, dict[str, Node | None]] = {}
        self.functions: dict[tuple[int, str], Node] = {}
        self.params: dict[int, frozenset[str]] = {}
        self.resolutions: dict[tuple[str, int], tuple[Node | None, Node | None]] = {}
        self.assigned: frozenset[str] | None = None


def syntax_tables(pf: ParsedFile, program: Program | None, path: Path | None) -> SyntaxTables:
    """The tables of `pf`: those `program.syntax` keeps for `path` when they are of this very
    parse, else new ones (kept there for the next evaluator of it)."""
    store = program.syntax if program is not None else None
    if store is None or path is None:
        return SyntaxTables()
    got = store.get(path)
    if got is not None and got[0] == pf.serial and isinstance(got[1], SyntaxTables):
        return got[1]
    tables = SyntaxTables()
    store[path] = (pf.serial, tables)
    return tables


class Evaluator:
    """Evaluates expressions of one parsed file, resolving same-file constants by scope."""

    def __init__(self, pf: ParsedFile, program: Program | None = None, module: Module | None = None,
                 path: Path | None = None) -> None:
        self.pf = pf
        tables = syntax_tables(pf, program, path if path is not None else module.path if module is not None else None)
        self._tables = tables
        #: The app's other modules (imports are followed through it), and this file's module.
        self.program = program
        self.module = module
        #: Values of parameters and loop variables bound by an evaluation of a call or a loop
        #: body: (binder node id, name) -> value.
        self.env: dict[tuple[int, str], Value] = {}
        # Byte spans of the functions and loops whose bindings are in `env`: declarations inside
        # them depend on the bindings, so their values are not memoised.
        self._bound_spans: list[tuple[int, int]] = []
        self._calls: list[int] = []
        #: How many results went through a call, a binding or another module: the lookups
        #: recorded for them do not describe everything they depend on.
        self.opaque = 0
        # Whether the file may call through a namespace (see `may_call_through_namespace`).
        self._dynamic_imports: bool | None = None
        #: How many of those were reads of bound parameters and loop variables (a call memo
        #: keys on the arguments: such reads are described by them).
        self.bound_reads = 0
        # Scope node id -> {name: declarator value node | None (bound but not evaluable)}.
        self._scopes: dict[int, dict[str, Node | None]] = tables.scopes
        # Values of declarator value nodes reached through identifiers, memoised: without it a
        # chain of constants that each use the previous one twice costs 2^depth evaluations.
        # `None` marks a value being computed (a reference cycle such as `const a = {...a}`).
        self._memo: dict[int, Value | None] = {}
        # The lookups made while evaluating each memoised declarator value (by node id).
        self._children: dict[int, list[Lookup]] = {}
        # Memoised declarator values whose evaluation was opaque (see `opaque`).
        self._opaque_memo: set[int] = set()
        # (scope node id, name) -> function declaration (filled with the scope tables).
        self._functions: dict[tuple[int, str], Node] = tables.functions
        # Names bound by each function's parameters (by node id), and resolutions by (name,
        # scope node id) (a parse's scopes do not change).
        self._params: dict[int, frozenset[str]] = tables.params
        self._resolutions: dict[tuple[str, int], tuple[Node | None, Node | None]] = tables.resolutions
        # Recording: (base start and end bytes, records) of the expressions being evaluated,
        # innermost last.
        self._frames: list[tuple[int, int, list[Lookup]]] = []
        #: How many results depended on the order of evaluation (a depth or recursion limit, a
        #: reference cycle): such results must not be reused by another extraction.
        self.cutoffs = 0

    # Public API.
    def value(self, node: Node | None, depth: int = 0) -> Value:
        """The static value of an expression node."""
        if node is None:
            return Value("unknown", TextRange(Pos(0, 0), Pos(0, 0)))
        if depth > MAX_DEPTH:
            self.cutoffs += 1
            return self._unknown(node)
        try:
            return self._value(node, depth)
        except RecursionError:
            self.cutoffs += 1
            return self._unknown(node)

    def begin_recording(self, base: Node) -> None:
        """Starts recording the lookups made while evaluating expressions inside `base`."""
        self._frames.append((base.start_byte, base.end_byte, []))

    def end_recording(self) -> tuple[Lookup, ...]:
        """Stops the recording `begin_recording` started and returns its lookups. An enclosing
        recording (a call's body holding this `new` expression) gets them too, made relative to
        its own base (and looked up again there: `inner`)."""
        start, _end, records = self._frames.pop()
        if self._frames:
            outer_start, _e, outer = self._frames[-1]
            for r in records:
                outer.append(Lookup(r.rel + start - outer_start, r.size, r.name, r.target, True,
                                    r.children, r.imported))
        return tuple(records)

    def signature(self, node: Node | None) -> Signature | None:
        """What a lookup's target looked like (see `Signature`)."""
        if node is None:
            return None
        row, col = node.start_point
        return (row, col, self.pf.node_start(node).col, node.type, self.pf.node_text(node), node.has_error)

    def still_valid(self, base: Node, lookups: tuple[Lookup, ...] | list[Lookup]) -> bool:
        """True when every recorded lookup, made relative to an expression with `base`'s text,
        resolves in this file to a declaration with the same signature (recursively)."""
        for rec in lookups:
            if not rec.inner:
                # Nothing inside the base bound the name, and the base's text is the same:
                # nothing inside binds it now either. Resolve it from the base outwards.
                target, where = self._resolve(rec.name, base.parent)
                if self.signature(target) != rec.target:
                    return False
                if rec.imported is not None and not self._imported_holds(rec, where):
                    return False
                if rec.children and (target is None or not self.still_valid(target, rec.children)):
                    return False
                continue
            start = base.start_byte + rec.rel
            ident = base.descendant_for_byte_range(start, start + rec.size)
            if (
                ident is None
                or ident.start_byte != start
                or ident.end_byte != start + rec.size
                or ident.type not in _IDENT_TYPES
                or self.pf.node_text(ident) != rec.name
            ):
                return False
            target, where = self.binding(ident)
            if self.signature(target) != rec.target:
                return False
            if rec.imported is not None and not self._imported_holds(rec, where):
                return False
            if rec.children and (target is None or not self.still_valid(target, rec.children)):
                return False
        return True

    def _imported_holds(self, rec: Lookup, where: Node | None) -> bool:
        """True when the imported name `rec` recorded evaluates to an equal value now (each
        earlier value is compared once per program: the readers of one constant share it)."""
        if rec.imported is None or self.env or (where is not None and where.type != "program"):
            return False
        got = self._imported_value(rec.name, 0)
        if got is None or not got[1]:
            return False
        new, old = got[0], rec.imported[0]
        if new is old:
            return True
        program = self.program
        if program is None:
            return new == old
        cache = program.equal_values
        key = (id(new), id(old))
        hit = cache.get(key)
        if hit is not None and hit[0] is new and hit[1] is old:
            return hit[2]
        same = new == old
        cache[key] = (new, old, same)  # Holds both: their ids are not reused meanwhile.
        return same

    def lookup(self, ident: Node) -> Node | None:
        """The value node a same-file `const`/`let`/`var` binds the identifier to, if any."""
        return self._resolve(self.pf.node_text(ident), ident.parent)[0]

    def binding(self, ident: Node) -> tuple[Node | None, Node | None]:
        """(value node, binding scope or function) of an identifier (see `_resolve`)."""
        return self._resolve(self.pf.node_text(ident), ident.parent)

    def function_of(self, callee: Node) -> tuple[Evaluator, Node] | None:
        """The app function a callee expression names (same file or imported), with the
        evaluator of its file."""
        callee = unwrap(callee) or callee
        name = self.pf.node_text(callee)
        if callee.type == "identifier":
            target, where = self._resolve(name, callee.parent)
            if target is not None and target.type in _FUNCTION_VALUES:
                return self, target
            if where is not None and where.type in _SCOPES:
                fn = self._functions.get((where.id, name))
                if fn is not None:
                    return self, fn
                if target is None and self.program is not None:
                    # `const { addRoutes } = await import("./routes")`.
                    got_dyn = self._destructured_import(where, name)
                    if got_dyn is not None:
                        spec, key = got_dyn
                        mod = self._module_of_spec(spec)
                        if mod is not None:
                            got = self.program.function(self.program.export(mod, key))
                            if got is not None and got.module.ev is not None:
                                return cast(Evaluator, got.module.ev), got.node  # type: ignore[return-value]
            if (where is None or where.type == "program") and self.program is not None and (
                    self.module is not None and name in self.module.imports):
                got = self.program.function(self.program.local(self.module, name))
                if got is not None and got.module.ev is not None:
                    return cast(Evaluator, got.module.ev), got.node  # type: ignore[return-value]
            return None
        if callee.type == "member_expression":
            mod = self._namespace(callee.child_by_field_name("object"))
            prop = callee.child_by_field_name("property")
            if mod is not None and prop is not None and self.program is not None:
                got = self.program.function(self.program.export(mod, self.pf.node_text(prop)))
                if got is not None and got.module.ev is not None:
                    return cast(Evaluator, got.module.ev), got.node  # type: ignore[return-value]
        return None

    def bind(self, binder: Node, values: dict[str, Value]) -> None:
        """Binds parameters or loop variables of `binder` (until `unbind`)."""
        for name, v in values.items():
            self.env[(binder.id, name)] = v
        self._bound_spans.append((binder.start_byte, binder.end_byte))

    def unbind(self, binder: Node, names: list[str]) -> None:
        for name in names:
            self.env.pop((binder.id, name), None)
        if self._bound_spans:
            self._bound_spans.pop()

    def apply(self, fn: Node, args: list[Value | None], depth: int = 0) -> Value:
        """The value a call of the function `fn` (of this file) returns with `args`."""
        from sst_lsp.model.interp import bind_params, returned_expression

        if fn.id in self._calls or len(self._calls) >= MAX_CALL_DEPTH:
            self.cutoffs += 1
            return self._unknown(fn)
        values = bind_params(self, fn, list(args))
        self.bind(fn, values)
        self._calls.append(fn.id)
        try:
            ret = returned_expression(fn)
            return self.value(ret, depth + 1) if ret is not None else Value("null", self.pf.node_range(fn))
        finally:
            self._calls.pop()
            self.unbind(fn, list(values))

    def _resolve(self, name: str, scope: Node | None) -> tuple[Node | None, Node | None]:
        """`lookup` of `name` from `scope` outwards: (the value node, the scope or function that
        binds the name; None when nothing in the file does)."""
        cache = self._resolutions
        seen: list[int] = []
        found: tuple[Node | None, Node | None] = (None, None)
        while scope is not None:
            sid = scope.id
            got = cache.get((name, sid))
            if got is not None:
                found = got
                break
            seen.append(sid)
            t = scope.type
            if t in _SCOPES:
                table = self._scope_table(scope)
                if name in table:
                    found = (table[name], scope)
                    break
            elif t in _BINDERS and self._binds_param(scope, name):
                found = (None, scope)
                break
            scope = scope.parent
        for sid in seen:
            cache[(name, sid)] = found
        return found

    # Internals.
    def _lookup_rec(self, ident: Node) -> tuple[Node | None, Lookup]:
        """`lookup`, recorded in the innermost recording frame (if any)."""
        target, rec, _where = self._lookup_where(ident)
        return target, rec

    def _lookup_where(self, ident: Node) -> tuple[Node | None, Lookup, Node | None]:
        """`_lookup_rec` and the scope or binder that binds the name (None: nothing here)."""
        name = self.pf.node_text(ident)
        target, where = self._resolve(name, ident.parent)
        rec = Lookup(0, ident.end_byte - ident.start_byte, name, self.signature(target))
        if self._frames:
            start, end, records = self._frames[-1]
            rec.rel = ident.start_byte - start
            # Bound inside the base (the base itself included): `still_valid` must look the
            # identifier up again, since inner `let`s depend on assignments anywhere.
            rec.inner = where is not None and start <= where.start_byte and where.end_byte <= end
            records.append(rec)
        return target, rec, where

    def _bound(self, name: str, where: Node | None) -> Value | None:
        """The value an evaluated call or loop bound a parameter or loop variable to."""
        if where is None or not self.env:
            return None
        got = self.env.get((where.id, name))
        if got is not None:
            self.opaque += 1
            self.bound_reads += 1
        return got

    def _imported(self, name: str, use: Node, depth: int, rec: Lookup | None = None) -> Value | None:
        """The value of a name this file imports (None: not imported, or not evaluable). With
        the lookup `rec` of the use, a value the program remembers is recorded on it instead of
        making the result opaque (see `Lookup.imported`)."""
        program, mod = self.program, self.module
        if program is None or mod is None or name not in mod.imports:
            return None
        if not mod.imports[name][0].startswith("."):
            return None  # A package (`sst/constructs`, `aws-cdk-lib`): not the app's code.
        got = self._imported_value(name, depth)
        if got is None:
            self.opaque += 1
            return None
        value, remembered = got
        if rec is not None and remembered and self._frames and not self.env:
            rec.imported = (value,)
        else:
            self.opaque += 1
        return value

    def _imported_value(self, name: str, depth: int) -> tuple[Value, bool] | None:
        """(value, whether the program remembers it: it depends on nothing but the module
        graph) of a relative import that names a constant of another module; None otherwise."""
        program, mod = self.program, self.module
        if program is None or mod is None or name not in mod.imports or not mod.imports[name][0].startswith("."):
            return None
        tgt = program.local(mod, name)
        if tgt is None or tgt.node is None or tgt.module.ev is None:
            return None
        if tgt.node.type == "new_expression":
            return None
        value = program.value(tgt, mod, depth + 1)
        return value, program.remembers(tgt)

    def _relative_name(self, node: Node | None) -> bool:
        """True for an identifier the file imports from a relative module."""
        node = unwrap(node)
        mod = self.module
        if node is None or node.type != "identifier" or mod is None:
            return False
        got = mod.imports.get(self.pf.node_text(node))
        return got is not None and got[0].startswith(".")

    def _namespace(self, node: Node | None) -> Module | None:
        """The module an identifier names when the file imports it as a namespace
        (`import * as routes from`, `const routes = require(...)`)."""
        node = unwrap(node)
        program, mod = self.program, self.module
        if node is None or node.type != "identifier" or program is None or mod is None:
            return None
        name = self.pf.node_text(node)
        got = mod.imports.get(name)
        target, where = self._resolve(name, node.parent)
        if got is None or got[1] != "*" or not got[0].startswith(".") or (
                where is not None and where.type != "program"):
            # `const routes = await import("./routes")` (inside a helper, a v3 `run()`).
            spec = dynamic_import_spec(self.pf, target)
            if spec is None or not spec.startswith("."):
                return None
        else:
            spec = got[0]
        return self._module_of_spec(spec)

    def _module_of_spec(self, spec: str) -> Module | None:
        """The module of the app a relative specifier of this file names."""
        program, mod = self.program, self.module
        if program is None or mod is None or not spec.startswith("."):
            return None
        self.opaque += 1
        path = program.resolve(mod.path, spec)
        return program.module(path) if path is not None else None

    def _destructured_import(self, scope: Node, name: str) -> tuple[str, str] | None:
        """(specifier, exported name) when `scope` binds `name` by destructuring a literal
        dynamic import: `const { add } = await import("./routes")`, `{ add: f }` too."""
        for st in scope.named_children:
            if st.type not in _DECLS:
                continue
            for d, target in variable_declarators(st):
                if target.type != "object_pattern":
                    continue
                spec = dynamic_import_spec(self.pf, d.child_by_field_name("value"))
                if spec is None:
                    continue
                for c in target.named_children:
                    if c.type == "shorthand_property_identifier_pattern" and self.pf.node_text(c) == name:
                        return spec, name
                    if c.type == "pair_pattern":
                        k, v = c.child_by_field_name("key"), c.child_by_field_name("value")
                        if k is not None and v is not None and v.type == "identifier" and self.pf.node_text(v) == name:
                            return spec, self.pf.node_text(k).strip("\"'")
        return None

    def may_call_through_namespace(self) -> bool:
        """True when the file imports a relative module as a namespace, or its text may hold a
        dynamic `import(` (a prefilter on the bytes: a comment may hold the word too)."""
        if self._dynamic_imports is None:
            mod = self.module
            data = self.pf.data
            self._dynamic_imports = mod is not None and (
                any(form == "*" and spec.startswith(".") for spec, form in mod.imports.values())
                or b"import(" in data or b"import (" in data)
        return self._dynamic_imports

    def names_module(self, node: Node) -> bool:
        """True when an identifier may name a module of the app as a namespace (an `import *`
        or `require` of a relative module, or a constant holding a literal dynamic `import()`):
        cheap, without resolving the module."""
        mod = self.module
        if mod is None or node.type != "identifier":
            return False
        name = self.pf.node_text(node)
        got = mod.imports.get(name)
        if got is not None and got[1] == "*" and got[0].startswith("."):
            return True
        if not self.may_call_through_namespace():
            return False
        target = self._resolve(name, node.parent)[0]
        return dynamic_import_spec(self.pf, target) is not None

    def _unknown(self, node: Node, kind: str = "unknown") -> Value:
        text = self.pf.node_text(node)
        if len(text) > 200:
            text = text[:200] + "…"
        return Value(kind, self.pf.node_range(node), text=text)  # type: ignore[arg-type]

    def _scope_table(self, scope: Node) -> dict[str, Node | None]:
        key = scope.id
        table = self._scopes.get(key)
        if table is not None:
            return table
        table = {}
        for st in scope.named_children:
            decl = st
            if st.type == "export_statement":
                decl = st.child_by_field_name("declaration") or st
            if decl.type in _DECLS:
                for d, target in variable_declarators(decl):
                    if target.type == "identifier":
                        name = self.pf.node_text(target)
                        value = d.child_by_field_name("value")
                        if value is not None and not _is_const(decl) and name in self._reassigned():
                            value = None  # `let h = "a"; ... h = "b"`: which one is unknowable.
                        table[name] = value
                    else:  # Destructuring binds names we do not evaluate.
                        for n in _pattern_names(target):
                            table[self.pf.node_text(n)] = None
            elif decl.type in ("function_declaration", "class_declaration", "generator_function_declaration"):
                name_node = decl.child_by_field_name("name")
                if name_node is not None:
                    table[self.pf.node_text(name_node)] = None
                    if decl.type != "class_declaration":
                        self._functions[(key, self.pf.node_text(name_node))] = decl
        self._scopes[key] = table
        return table

    def _reassigned(self) -> frozenset[str]:
        """Names assigned anywhere in the file (`x = `, `x += `, `x++`), found once by a query."""
        tables = self._tables
        if tables.assigned is None:
            names: set[str] = set()
            cursor = QueryCursor(_assign_query(self.pf.lang))
            for nodes in cursor.captures(self.pf.root).values():
                names.update(self.pf.node_text(n) for n in nodes)
            tables.assigned = frozenset(names)
        return tables.assigned

    def _binds_param(self, fn: Node, name: str) -> bool:
        names = self._params.get(fn.id)
        if names is None:
            names = self._params[fn.id] = self._param_names(fn)
        return name in names

    def _param_names(self, fn: Node) -> frozenset[str]:
        """The names a function's parameters, a loop's head or a catch clause bind."""
        if fn.type in _LOOPS:
            head = fn.child_by_field_name("left") or fn.child_by_field_name("initializer")
        elif fn.type == "catch_clause":
            head = fn.child_by_field_name("parameter")
        else:
            head = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
        if head is None:
            return frozenset()
        return frozenset(self.pf.node_text(n) for n in _pattern_names(head))

    def _value(self, node: Node, depth: int) -> Value:
        pf = self.pf
        t = node.type
        while t in _WRAPPERS:  # `unwrap`, keeping the type (read once: each read makes a str).
            wrapped = node.named_children[0] if node.named_children else None
            if wrapped is None:
                break
            node = wrapped
            t = node.type
        if t == "string":
            text, rng = _string_content(pf, node)
            return Value("string", rng, value=text)
        if t == "template_string":
            return self._template(node, depth)
        if t == "number":
            try:
                num = float(pf.node_text(node).replace("_", ""))
            except ValueError:
                return self._unknown(node)
            return Value("number", pf.node_range(node), value=num)
        if t in ("true", "false"):
            return Value("bool", pf.node_range(node), value=(t == "true"))
        if t in ("null", "undefined"):
            return Value("null", pf.node_range(node))
        if t == "object":
            return self._object(node, depth)
        if t == "array":
            items: list[Value] = []
            partial = False
            for ch in node.named_children:
                if ch.type == "spread_element":
                    inner = self.value(ch.named_children[0] if ch.named_children else None, depth + 1)
                    if inner.kind == "unknown" and inner.items:
                        for opt in inner.items:
                            if opt.kind == "array":
                                items.extend(opt.items)
                                partial = partial or opt.partial
                            elif opt.kind not in ("null", "bool"):
                                partial = True
                    elif inner.kind == "array":
                        items.extend(inner.items)
                        partial = partial or inner.partial
                    else:
                        items.append(inner)
                        partial = True
                elif ch.type != "comment":
                    items.append(self.value(ch, depth + 1))
            return Value("array", pf.node_range(node), items=tuple(items), partial=partial)
        if t == "identifier":
            if pf.node_text(node) == "undefined":
                return Value("null", pf.node_range(node))
            target, rec, where = self._lookup_where(node)
            if target is None:
                name = pf.node_text(node)
                found = self._bound(name, where)
                if found is None and (where is None or where.type == "program"):
                    found = self._imported(name, node, depth, rec)
                if found is not None:
                    return found
            if target is None or target.type == "new_expression":
                # An instance (`const table = new Table(...)`) is known by its name.
                return self._unknown(node, "ref")
            if target.type == "call_expression" and self.module is not None and (
                    where is None or where.type == "program") and pf.node_text(node) in self.module.imports:
                found = self._imported(pf.node_text(node), node, depth)  # `const x = require("./x")`.
                if found is not None:
                    return found
            return self._through(target, node, depth, rec)
        if t == "member_expression":
            obj = node.child_by_field_name("object")
            prop = node.child_by_field_name("property")
            if obj is not None and prop is not None and prop.type == "property_identifier":
                ns = self._namespace(obj) if self.program is not None else None
                if ns is not None and self.program is not None:
                    tgt = self.program.export(ns, pf.node_text(prop))
                    if (tgt is not None and tgt.node is not None and tgt.node.type != "new_expression"
                            and tgt.module.ev is not None and self.module is not None):
                        return self.program.value(tgt, self.module, depth + 1)
                    # An instance (`storage.table`, a `new` of that module) is known by its name.
                    return self._unknown(node, "ref")
                base = self.value(obj, depth + 1)
                if base.kind == "object":
                    member = base.get(pf.node_text(prop))
                    if member is not None:
                        return not_literal(member)
            return self._unknown(node, "ref")
        if t == "subscript_expression":
            obj = node.child_by_field_name("object")
            idx = node.child_by_field_name("index")
            if obj is not None and idx is not None:
                base = self.value(obj, depth + 1)
                key = self.value(idx, depth + 1)
                if base.kind == "object" and key.kind == "string":
                    item = base.get(str(key.value))
                    if item is not None:
                        return not_literal(item)
            return self._unknown(node, "ref")
        if t == "call_expression" and self.program is not None:
            return self._call(node, depth)
        if t == "ternary_expression":
            # Either branch may run: an "unknown" whose items are the branches' values (what
            # reads one value sees an unknown; handler positions check every branch).
            # A condition on the stage is kept with them (`Value.cond`, decided per stage by
            # model/stage_values.py).
            cons = self.value(node.child_by_field_name("consequence"), depth + 1)
            alt = self.value(node.child_by_field_name("alternative"), depth + 1)
            cond = self._stage_cond(node.child_by_field_name("condition"), depth)
            return Value("unknown", pf.node_range(node), text=self._unknown(node).text, items=(cons, alt),
                         cond=None if cond is None else ("if", cond))
        if t == "unary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and op.type == "!":
                cond = self._stage_cond(node.child_by_field_name("argument"), depth)
                if cond is not None:
                    return Value("unknown", pf.node_range(node), text=self._unknown(node).text,
                                 cond=("bool", stage_values.negate(cond)))
            return self._unknown(node)
        if t == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and op.type in ("&&", "||"):
                # `cond && {...}` (in spreads): the right side, when it runs.
                cond = self._stage_cond(node.child_by_field_name("left"), depth)
                if op.type == "||" and cond is None:
                    return self._unknown(node)
                right = self.value(node.child_by_field_name("right"), depth + 1)
                return Value("unknown", pf.node_range(node), text=self._unknown(node).text, items=(right,),
                             cond=None if cond is None else ("and" if op.type == "&&" else "or", cond))
            if op is not None and op.type in ("===", "==", "!==", "!="):
                cmp = self._stage_cond(node, depth)
                if cmp is not None:
                    return Value("unknown", pf.node_range(node), text=self._unknown(node).text, cond=("bool", cmp))
                return self._unknown(node)
            if op is not None and pf.node_text(op) == "+":
                left = self.value(node.child_by_field_name("left"), depth + 1)
                right = self.value(node.child_by_field_name("right"), depth + 1)
                if left.kind in ("string", "number") and right.kind in ("string", "number") and (
                    left.kind == "string" or right.kind == "string"
                ):
                    return Value(
                        "string", pf.node_range(node), value=_str(left) + _str(right), literal=False
                    )
                # `app.stage + "-notes"`: a string per stage, like a template.
                lp = self._pieces(left, node.child_by_field_name("left"))
                rp = self._pieces(right, node.child_by_field_name("right"))
                if lp is not None and rp is not None and any(p[0] == "stage" for p in (*lp, *rp)):
                    return Value("unknown", pf.node_range(node), text=self._unknown(node).text, literal=False,
                                 cond=("template", (*lp, *rp)))
            return self._unknown(node)
        return self._unknown(node)

    def _pieces(self, v: Value, node: Node | None) -> list[tuple[str, str]] | None:
        """A concatenation operand as pieces of a string per stage (`stage_values.template_pieces`)."""
        if v.kind in ("string", "number"):
            return [("lit", _str(v))]
        inner = unwrap(node) if node is not None else None
        fact = _fact(self.pf, inner) if inner is not None and inner.type in ("identifier", "member_expression") else None
        return stage_values.template_pieces(v, fact)

    def _stage_cond(self, node: Node | None, depth: int) -> stage_values.Cond | None:
        """The condition on the stage that `node` is, compiled; None when it reads something else."""
        if node is None or depth + 1 > MAX_DEPTH:
            return None
        cond = self._cond(node, depth + 1)
        return cond if stage_values.known(cond) else None

    def _cond(self, node: Node, depth: int) -> stage_values.Cond:
        """A condition read from the syntax (cheap: only identifiers are evaluated, for the
        constants that hold a comparison or a string); model/stage_values.py decides it."""
        node = unwrap(node) or node
        t = node.type
        if t in ("true", "false"):
            return ("const", t == "true")
        if t in ("identifier", "member_expression"):
            fact = _fact(self.pf, node)
            if fact == "local":
                return ("local",)
            if t == "identifier" and fact is None and depth < MAX_DEPTH:
                return stage_values.condition_of(self.value(node, depth + 1))
            return stage_values.UNKNOWN
        if t == "unary_expression":
            op, arg = node.child_by_field_name("operator"), node.child_by_field_name("argument")
            if op is not None and op.type == "!" and arg is not None and depth < MAX_DEPTH:
                return stage_values.negate(self._cond(arg, depth + 1))
            return stage_values.UNKNOWN
        if t != "binary_expression" or depth >= MAX_DEPTH:
            return stage_values.UNKNOWN
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if op is None or left is None or right is None:
            return stage_values.UNKNOWN
        if op.type in ("&&", "||"):
            return ("and" if op.type == "&&" else "or", self._cond(left, depth + 1), self._cond(right, depth + 1))
        if op.type not in ("===", "==", "!==", "!="):
            return stage_values.UNKNOWN
        return stage_values.compare_sides(self._side(left, depth + 1), self._side(right, depth + 1), op.type)

    def _side(self, node: Node, depth: int) -> stage_values.Side | None:
        """One side of a comparison: a string, the stage or the mode, else None."""
        node = unwrap(node) or node
        if node.type == "string":
            return ("lit", _string_content(self.pf, node)[0])
        fact = _fact(self.pf, node) if node.type in ("identifier", "member_expression") else None
        if fact is not None:
            return (fact, "")
        if node.type == "identifier" and depth < MAX_DEPTH:
            return stage_values.side_of(self.value(node, depth + 1))
        return None

    def _call(self, node: Node, depth: int) -> Value:
        """A call of an app function: the value its body returns for the call's arguments."""
        fn = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        if fn is None or args_node is None:
            return self._unknown(node)
        inner = unwrap(fn) or fn
        if inner.type == "identifier" or (inner.type == "member_expression" and self._relative_name(
                inner.child_by_field_name("object"))):
            # What the call returns depends on a function's body, here or in another module,
            # which recorded lookups do not describe (even when it is not defined yet).
            self.opaque += 1
        callee = self.function_of(fn)
        if callee is None:
            return self._unknown(node)
        ev, fn_node = callee
        args: list[Value | None] = []
        for a in args_node.named_children:
            if a.type == "comment":
                continue
            if a.type == "spread_element":
                break
            v = self.value(a, depth + 1)
            args.append(tag(v, ev_path(self)) if ev is not self else v)
        got = ev.apply(fn_node, args, depth + 1)
        if ev is not self:
            got = tag(got, ev_path(ev))
        if got.kind == "unknown":
            return self._unknown(node) if not got.text.startswith("new ") else got
        return got

    def _template(self, node: Node, depth: int) -> Value:
        pf = self.pf
        parts: list[str] = []
        subs = False
        # Substitutions of parameters a call bound (`${name}` in a helper's `${FN}/${name}.handler`).
        bound: list[Value] = []
        #: The pieces of a string that depends on the stage (`stage_values.template_pieces`).
        pieces: list[tuple[str, str]] = []
        for ch in node.named_children:
            if ch.type == "string_fragment":
                parts.append(pf.node_text(ch))
            elif ch.type == "escape_sequence":
                parts.append(_unescape(pf.node_text(ch)))
            elif ch.type == "template_substitution":
                subs = True
                inner = ch.named_children[0] if ch.named_children else None
                v = self.value(inner, depth + 1)
                if v.kind not in ("string", "number"):
                    # `${app.stage}-notes`: a string per stage (model/stage_values.py).
                    got = stage_values.template_pieces(v, _fact(pf, inner) if inner is not None and inner.type in (
                        "identifier", "member_expression") else None)
                    if got is None:
                        return self._unknown(node)
                    pieces.extend((("lit", "".join(parts)),) if parts else ())
                    pieces.extend(got)
                    parts = []
                    continue
                parts.append(_str(v))
                if self.env and inner is not None and inner.type == "identifier":
                    where = self._resolve(pf.node_text(inner), inner.parent)[1]
                    if where is not None and (where.id, pf.node_text(inner)) in self.env:
                        bound.append(v)
        r = pf.node_range(node)
        if pieces:
            pieces.extend((("lit", "".join(parts)),) if parts else ())
            return Value("unknown", r, text=self._unknown(node).text, literal=False,
                         cond=("template", tuple(pieces)))
        if not subs:
            inner_r = TextRange(Pos(r.start.line, r.start.col + 1), Pos(r.end.line, max(r.end.col - 1, 0)))
            return Value("string", inner_r, value="".join(parts))
        if len(bound) == 1 and bound[0].kind == "string":
            # What varies between the calls is the argument: the string is where the caller wrote
            # it (a helper `fn("orders/get")` is fixed at the call, not in the helper's template).
            return Value("string", bound[0].range, value="".join(parts), literal=False, path=bound[0].path)
        return Value("string", r, value="".join(parts), literal=False)

    def _object(self, node: Node, depth: int) -> Value:
        pf = self.pf
        entries: list[Entry] = []
        partial = False
        for ch in node.named_children:
            t = ch.type
            if t == "pair":
                k = ch.child_by_field_name("key")
                v = ch.child_by_field_name("value")
                if k is None:
                    continue
                key = self._key(k, depth)
                if key is None:
                    partial = True  # A computed key we could not fold.
                    continue
                key_text, key_range = key
                if v is not None and depth < MAX_DEPTH and v.type == "string":
                    # `value` of a string literal, inline: the value of most entries of a
                    # large routes object (a handler string).
                    text, rng = _string_content(pf, v)
                    entries.append(Entry(key_text, key_range, Value("string", rng, text)))
                else:
                    entries.append(Entry(key_text, key_range, self.value(v, depth + 1)))
            elif t == "shorthand_property_identifier":
                name = pf.node_text(ch)
                r = pf.node_range(ch)
                target, rec, where = self._lookup_where(ch)
                if target is not None:
                    val = self._through(target, ch, depth, rec)
                else:
                    found = self._bound(name, where)
                    if found is None and (where is None or where.type == "program"):
                        found = self._imported(name, ch, depth, rec)
                    val = found if found is not None else Value("ref", r, text=name)
                entries.append(Entry(name, r, val))
            elif t == "spread_element":
                inner = self.value(ch.named_children[0] if ch.named_children else None, depth + 1)
                if inner.kind == "unknown" and inner.items:
                    # `...(cond ? {...} : {})`: the entries of every branch (checks that need
                    # a key see it whichever branch runs; handlers of each branch are real). A
                    # key that several branches set holds either value, like a ternary. Each
                    # entry keeps the condition under which its branch runs (`Entry.cond`), so
                    # that a stage decides it (model/stage_values.py).
                    branch_entries: list[tuple[int, Entry]] = []
                    whens = stage_values.branch_conds(inner.cond, len(inner.items), inner.text)
                    for i, (opt, when) in enumerate(zip(inner.items, whens, strict=True)):
                        if opt.kind == "object":
                            branch_entries.extend((i, stage_values.when(e, when)) for e in opt.entries)
                            partial = partial or opt.partial
                        elif opt.kind not in ("null", "bool"):
                            partial = True
                    entries.extend(_either(branch_entries, whens, inner.text))
                elif inner.kind == "object":
                    entries.extend(inner.entries)
                    partial = partial or inner.partial
                elif inner.kind != "null":
                    # `...props` we cannot see into: keys may be missing from `entries`.
                    partial = True
            elif t == "method_definition":
                k = ch.child_by_field_name("name")
                if k is not None:
                    key = self._key(k, depth)
                    if key is not None:
                        entries.append(Entry(key[0], key[1], self._unknown(ch)))
        return Value("object", pf.node_range(node), entries=tuple(entries), partial=partial)

    def _through(self, target: Node, use: Node, depth: int, rec: Lookup) -> Value:
        """The value of a constant's initialiser, reached from a use of its name (`rec` records
        the lookups the initialiser's evaluation makes)."""
        if self._bound_spans and any(s <= target.start_byte < e for s, e in self._bound_spans):
            # A declaration inside a function or loop being evaluated with bindings.
            return not_literal(self.value(target, depth + 1))
        key = target.id
        if key in self._memo:
            got = self._memo[key]
            if got is None:  # A cycle: the constant refers to itself.
                self.cutoffs += 1
                return self._unknown(use, "ref")
            rec.children = self._children.get(key, [])
            if key in self._opaque_memo:
                # Its first evaluation went through a call, a binding or another module: so
                # does every later reader of the remembered value.
                self.opaque += 1
            return got
        self._memo[key] = None
        op0 = self.opaque
        self._frames.append((target.start_byte, target.end_byte, rec.children))
        try:
            v = not_literal(self.value(target, depth + 1))
        finally:
            self._frames.pop()
        if v.kind == "unknown" and depth + 1 > MAX_DEPTH:
            # Cut off by depth, not by what the constant is: do not remember it.
            del self._memo[key]
            return v
        self._memo[key] = v
        if self.opaque != op0:
            self._opaque_memo.add(key)
        self._children[key] = rec.children
        return v

    def _key(self, k: Node, depth: int) -> tuple[str, TextRange] | None:
        pf = self.pf
        t = k.type
        if t == "string":
            return _string_content(pf, k)
        if t in ("property_identifier", "private_property_identifier"):
            return pf.node_text(k), pf.node_range(k)
        if t == "number":
            return pf.node_text(k), pf.node_range(k)
        if t == "computed_property_name":
            inner = k.named_children[0] if k.named_children else None
            v = self.value(inner, depth + 1)
            if v.kind == "string" and isinstance(v.value, str):
                return v.value, pf.node_range(k)
        return None


_ASSIGN_QUERY = """
(assignment_expression left: (identifier) @name)
(augmented_assignment_expression left: (identifier) @name)
(update_expression argument: (identifier) @name)
"""


@functools.cache
def _assign_query(lang: str) -> Query:
    return Query(language(lang), _ASSIGN_QUERY)


def _either(branched: list[tuple[int, Entry]], whens: list[stage_values.EntryCond], text: str) -> list[Entry]:
    """Entries of exclusive branches (with the index of the branch that sets each): one entry per
    key, whose value is an "unknown" holding each branch's value when several branches set it
    (the first keeps its place). Two branches of a condition on the stage that both set a key
    make a choice like a ternary (`Value.cond`), set whichever runs."""
    branches = len(whens)
    entries = [e for _, e in branched]
    by_key: dict[str, list[tuple[int, Entry]]] = {}
    for i, e in branched:
        by_key.setdefault(e.key, []).append((i, e))
    if all(len(v) == 1 for v in by_key.values()):
        return entries
    out: list[Entry] = []
    for key, group in by_key.items():
        first = group[0][1]
        if len(group) == 1:
            out.append(first)
            continue
        values = tuple(e.value for _, e in group)
        conds = [e.cond for _, e in group]
        # A ternary's two branches that both set the key: a choice on the condition, set always.
        choice = stage_values.merged_choice(conds)
        every = len({i for i, _ in group}) == branches and all(
            e.cond is None or e.cond == whens[i] for i, e in group)
        cond = None if every else stage_values.any_of(conds, text)
        out.append(Entry(key, first.key_range, Value("unknown", first.value.range, text=text, items=values,
                                                     literal=False, cond=choice), first.path, cond))
    return out


def dynamic_import_spec(pf: ParsedFile, node: Node | None) -> str | None:
    """The specifier of `import("./x")` / `await import("./x")` when it is a literal."""
    node = unwrap(node)
    if node is None or node.type != "call_expression":
        return None
    fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    if fn is None or fn.type != "import" or args is None:
        return None
    first = next((a for a in args.named_children if a.type != "comment"), None)
    if first is None or first.type != "string":
        return None
    return _string_content(pf, first)[0]


def _is_const(decl: Node) -> bool:
    """True for `const` declarations (`let`/`var` may be reassigned)."""
    first = decl.children[0] if decl.children else None
    return first is not None and first.type == "const"


def _fact(pf: ParsedFile, node: Node) -> str | None:
    """`stage`, `mode` or `local` for `app.stage`, `stack.stage`, `props.app.mode`, a destructured
    `stage`... (an identifier or a member expression named so), else None."""
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        name = pf.node_text(prop) if prop is not None and prop.type == "property_identifier" else ""
    else:
        name = pf.node_text(node)
    return name if name in ("stage", "mode", "local") else None


def _str(v: Value) -> str:
    if v.kind == "number" and isinstance(v.value, float) and v.value.is_integer():
        return str(int(v.value))
    return str(v.value)


def ev_path(ev: Evaluator) -> Path | None:
    return ev.module.path if ev.module is not None else None


def _pattern_names(node: Node) -> list[Node]:
    """Identifiers bound by a pattern (parameters, destructuring, loop heads), iteratively."""
    out: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        t = n.type
        if t in ("identifier", "shorthand_property_identifier_pattern"):
            out.append(n)
            continue
        if t == "pair_pattern":
            v = n.child_by_field_name("value")
            if v is not None:
                stack.append(v)
            continue
        if t in ("type_annotation", "predefined_type", "type_identifier"):
            continue
        if t in ("required_parameter", "optional_parameter"):
            p = n.child_by_field_name("pattern")
            if p is not None:
                stack.append(p)
            continue
        if t == "assignment_pattern" or t == "object_assignment_pattern":
            left = n.child_by_field_name("left")
            if left is not None:
                stack.append(left)
            continue
        if t in ("lexical_declaration", "variable_declaration"):
            for d in n.named_children:
                nm = d.child_by_field_name("name")
                if nm is not None:
                    stack.append(nm)
            continue
        stack.extend(n.named_children)
    return out
