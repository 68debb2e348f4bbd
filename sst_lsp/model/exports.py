"""What a handler file exports (layer 2: model; pure, tree-sitter based).

`exports_of(text, lang)` answers "which names can a Lambda runtime find in this file?" for the
languages SST handlers are written in. It is a pure function of its arguments (callers cache it
per content) and never raises: a file with syntax errors yields what lies outside the broken
region, because tree-sitter keeps the well-formed statements around an ERROR node.

Name formats by language:

- JS/TS/TSX: the export names (`main`, `default`). ESM forms (`export function`, `export const`,
  destructuring, `export { a as main }`, `export default`), TS `export =`, and CommonJS
  (`exports.main =`, `module.exports.main =`, `module.exports = { main }`,
  `Object.defineProperty(exports, "main", ...)`). Type-only exports (`export type`,
  `export interface`, `export { type T }`) are left out: they do not exist at run time.
  `module.exports = function ...` / `= class ...` / `= () => ...` is recorded as "default" (what
  an ESM `import x from` sees): a Lambda handler `file.main` cannot reach it, and the analyzer
  then suggests the names that exist. `module.exports = require("./x")` is a star re-export.
  `module.exports = someValue` that we cannot see through marks the table `dynamic`.
- Python: every name bound at module level (def, async def, class, assignments,
  `from x import a as name`, `import x as name`; not a plain `import os`), including inside
  module-level `if`/`try`/`with`/`for`/`while` blocks, where optional imports live. `from .x import *` is a star re-export; `from x import *` (absolute) marks the table
  `dynamic` since its module is found on `sys.path`, which we do not model.
- Go: top-level function names (`main`, `Handler`); methods are left out.
- C#: `Namespace.Class` for classes, records and structs (nested types as `Outer+Inner`, .NET's
  spelling), and `Namespace.Class::Method` for their methods: the shape of a .NET Lambda handler.
- Java: `package.Class` (nested `Outer$Inner`) and `package.Class::method`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from sst_lsp.model.js_module import export_clause, export_specifiers, import_bindings, require_arguments
from sst_lsp.syntax.parser import JS_LANGS, ParsedFile, parse
from sst_lsp.syntax.text import TextRange
from sst_lsp.syntax.ts_nodes import variable_declarators

__all__ = ["EMPTY", "ExportTable", "exports_of", "exports_of_parse"]


@dataclass(frozen=True)
class ExportTable:
    """The names a file exports, where each is defined, and where others come from."""

    #: Export name -> range of its defining name in this file (for go-to-definition). For
    #: `export { a as main }` the range is `a`'s local definition when it is in the file; for
    #: `export { x as main } from "./x"` it is the specifier in this file (see `reexports` to
    #: follow it).
    names: dict[str, TextRange] = field(default_factory=dict, hash=False)
    #: Specifiers of `export * from "./x"` (JS/TS), `module.exports = require("./x")` (CommonJS)
    #: and `from .x import *` (Python, written with its dots).
    star_from: tuple[str, ...] = ()
    #: (exported name, specifier, original name) for names that come from another module:
    #: `export { a as main } from "./x"`, `import { a } from "./x"; export { a as main }`, and
    #: Python `from .x import a as main`.
    reexports: tuple[tuple[str, str, str], ...] = ()
    #: True when the file exports names we cannot see statically (`module.exports = value`,
    #: `exports[key] = ...`, `from pkg import *`): a missing name is then not an error.
    dynamic: bool = False

    def has(self, name: str) -> bool:
        return name in self.names


#: The table of a file that exports nothing.
EMPTY = ExportTable()


def exports_of(text: str, lang: str) -> ExportTable:
    """The exports of `text` parsed with the grammar `lang` (see the module docstring).

    Returns an empty table for a grammar we do not know. Never raises on any text.
    """
    if lang not in _READERS:
        return EMPTY
    return exports_of_parse(parse(text, lang))


def exports_of_parse(pf: ParsedFile) -> ExportTable:
    """`exports_of` for a text already parsed (a caller that reads more from the same tree, as
    `handler_code.handler_file_facts` does, parses once)."""
    reader = _READERS.get(pf.lang)
    if reader is None:
        return EMPTY
    try:
        return reader(pf)
    except RecursionError:
        # Pathological nesting (thousands of levels) in user code: say "unknown" rather than
        # report names as missing.
        return ExportTable(dynamic=True)


# ----------------------------------------------------------------------------------------------
# Shared helpers.
# ----------------------------------------------------------------------------------------------


def _statements(node: Node) -> Iterator[Node]:
    """The named children of `node`, looking through ERROR nodes.

    Tree-sitter wraps the statements around a syntax error in an ERROR node; their well-formed
    parts are still statements of the enclosing block, so they still count.
    """
    # Iterative: errors can nest deeply in garbage input.
    stack = [iter(node.named_children)]
    while stack:
        c = next(stack[-1], None)
        if c is None:
            stack.pop()
        elif c.type == "ERROR":
            stack.append(iter(c.named_children))
        else:
            yield c


def _string_content(pf: ParsedFile, node: Node) -> str | None:
    """The value of a plain string literal (no escapes or substitutions), else None."""
    if node.type != "string":
        return None
    parts = [c for c in node.named_children]
    if not parts:
        return ""
    if len(parts) == 1 and parts[0].type == "string_fragment":
        return pf.node_text(parts[0])
    return None


def _string_range(pf: ParsedFile, node: Node) -> TextRange:
    """The range of a string literal's content (inside the quotes), else of the node."""
    if node.type == "string" and len(node.named_children) == 1:
        return pf.node_range(node.named_children[0])
    return pf.node_range(node)


# ----------------------------------------------------------------------------------------------
# JavaScript / TypeScript.
# ----------------------------------------------------------------------------------------------

#: Declarations that create a run-time binding named by their `name` field.
_JS_NAMED_DECLS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "class_declaration",
        "abstract_class_declaration",
        "enum_declaration",
        "function_signature",
        "internal_module",
        "module",
    }
)
#: Declarations that exist only in the type system.
_JS_TYPE_DECLS = frozenset({"type_alias_declaration", "interface_declaration"})
_JS_FUNCTION_VALUES = frozenset(
    {"function_expression", "function", "arrow_function", "generator_function", "class"}
)


@dataclass(slots=True)
class _Local:
    """A module-level binding: where its name is, what kind of value it holds."""

    range: TextRange
    #: "function", "class", "object" (a variable holding an object literal), "fn" (a variable
    #: holding a function), "import", or "value".
    kind: str
    node: Node | None = None  # the object literal for kind "object"
    origin: tuple[str, str] | None = None  # (specifier, imported name) for kind "import"


class _JsExports:
    def __init__(self, pf: ParsedFile) -> None:
        self.pf = pf
        self._stmts: list[Node] = []
        self._locals: dict[str, _Local] | None = None
        self.names: dict[str, TextRange] = {}
        self.star: list[str] = []
        self.reexports: list[tuple[str, str, str]] = []
        self.dynamic = False

    @property
    def locals(self) -> dict[str, _Local]:
        """Module-level bindings, collected on first use: most handler files export their
        declarations directly and never need them (this saves a third of the time)."""
        if self._locals is None:
            self._locals = {}
            # All statements: `export { a as main }` may come before `a`'s declaration.
            for s in self._stmts:
                self._collect_locals(s)
        return self._locals

    def table(self) -> ExportTable:
        stmts = self._stmts = list(_statements(self.pf.root))
        for s in stmts:
            try:
                self._collect_exports(s)
            except (ValueError, IndexError):  # Defensive: odd trees from broken code.
                continue
        return ExportTable(
            names=self.names,
            star_from=tuple(dict.fromkeys(self.star)),
            reexports=tuple(self.reexports),
            dynamic=self.dynamic,
        )

    # Local bindings.
    def _add_local(self, name_node: Node, kind: str, node: Node | None = None,
                   origin: tuple[str, str] | None = None) -> None:
        name = self.pf.node_text(name_node)
        table = self._locals
        if table is not None and name and name not in table:
            table[name] = _Local(self.pf.node_range(name_node), kind, node, origin)

    def _collect_locals(self, s: Node) -> None:
        t = s.type
        if t == "export_statement":
            decl = s.child_by_field_name("declaration")
            if decl is not None:
                self._collect_locals(decl)
            return
        if t == "ambient_declaration":
            for c in s.named_children:
                self._collect_locals(c)
            return
        if t in _JS_NAMED_DECLS:
            name = s.child_by_field_name("name")
            if name is not None and name.type in ("identifier", "type_identifier"):
                kind = "class" if "class" in t else "function" if "function" in t else "value"
                self._add_local(name, kind)
            return
        if t in ("lexical_declaration", "variable_declaration"):
            for d, name in variable_declarators(s):
                value = d.child_by_field_name("value")
                if name.type == "identifier":
                    kind, obj = "value", None
                    if value is not None and value.type == "object":
                        kind, obj = "object", value
                    elif value is not None and value.type in _JS_FUNCTION_VALUES:
                        kind = "fn"
                    self._add_local(name, kind, obj)
                else:
                    for ident in _pattern_names(name):
                        self._add_local(ident, "value")
            return
        if t == "import_statement":
            self._collect_import(s)

    def _collect_import(self, s: Node) -> None:
        src = s.child_by_field_name("source")
        spec = _string_content(self.pf, src) if src is not None else None
        for b in import_bindings(s):
            if b.form == "require":  # import x = require("./x")
                self._add_local(b.local, "import")
            elif b.form == "default":  # import def from "./x"
                self._add_local(b.local, "import", origin=(spec, "default") if spec else None)
            elif b.form == "namespace":
                self._add_local(b.local, "import")
            elif b.imported is not None and not b.type_only:
                imported = self._module_name(b.imported)
                self._add_local(b.local, "import", origin=(spec, imported) if spec and imported else None)

    def _module_name(self, node: Node) -> str | None:
        """An export/import specifier's name: an identifier or a string (`"a-b"`)."""
        if node.type == "string":
            return _string_content(self.pf, node)
        return self.pf.node_text(node)

    # Exports.
    def _export(self, name: str | None, rng: TextRange) -> None:
        if name and name not in self.names:
            self.names[name] = rng

    def _export_local(self, name: str, fallback: Node) -> None:
        loc = self.locals.get(name)
        self._export(name, loc.range if loc else self.pf.node_range(fallback))

    def _collect_exports(self, s: Node) -> None:
        t = s.type
        if t == "export_statement":
            self._export_statement(s)
        elif t == "expression_statement":
            for e in s.named_children:
                self._cjs_expression(e)

    def _export_statement(self, s: Node) -> None:
        pf = self.pf
        tokens = {c.type for c in s.children if not c.is_named}
        if "default" in tokens:
            self._export_default(s)
            return
        if "=" in tokens:  # TS `export = value`
            value = next((c for c in s.named_children if c.type != "comment"), None)
            if value is not None:
                self._module_exports_value(value)
            return
        type_only = "type" in tokens
        decl = s.child_by_field_name("declaration")
        if decl is not None:
            self._export_declaration(decl)
            return
        src = s.child_by_field_name("source")
        spec = _string_content(pf, src) if src is not None else None
        clause = export_clause(s)
        ns = next((c for c in s.named_children if c.type == "namespace_export"), None)
        if type_only:
            return
        if clause is not None:
            for name_node, alias_node, type_only_name in export_specifiers(clause):
                if type_only_name:
                    continue
                local = self._module_name(name_node)
                exported = self._module_name(alias_node) if alias_node is not None else local
                if not local or not exported:
                    continue
                if src is not None:
                    # `export { a as main } from "./x"`: the definition is in ./x.
                    self._export(exported, pf.node_range(alias_node or name_node))
                    if spec:
                        self.reexports.append((exported, spec, local))
                    continue
                self._export(exported, self._local_range(local, name_node))
                loc = self.locals.get(local)
                if loc is not None and loc.origin is not None:
                    self.reexports.append((exported, loc.origin[0], loc.origin[1]))
            return
        if ns is not None:  # export * as ns from "./x"
            for ident in ns.named_children:
                if ident.type in ("identifier", "string"):
                    self._export(self._module_name(ident), pf.node_range(ident))
            return
        if src is not None and "*" in tokens:
            if spec is not None:
                self.star.append(spec)
            else:
                self.dynamic = True

    def _local_range(self, name: str, fallback: Node) -> TextRange:
        loc = self.locals.get(name)
        return loc.range if loc else self.pf.node_range(fallback)

    def _export_declaration(self, decl: Node) -> None:
        t = decl.type
        if t in _JS_TYPE_DECLS:
            return
        if t == "ambient_declaration":
            for c in decl.named_children:
                self._export_declaration(c)
            return
        if t in _JS_NAMED_DECLS:
            name = decl.child_by_field_name("name")
            if name is not None and name.type in ("identifier", "type_identifier"):
                self._export(self.pf.node_text(name), self.pf.node_range(name))
            return
        if t in ("lexical_declaration", "variable_declaration"):
            for _, name in variable_declarators(decl):
                if name.type == "identifier":
                    self._export(self.pf.node_text(name), self.pf.node_range(name))
                else:
                    for ident in _pattern_names(name):
                        self._export(self.pf.node_text(ident), self.pf.node_range(ident))

    def _export_default(self, s: Node) -> None:
        pf = self.pf
        target = s.child_by_field_name("declaration") or s.child_by_field_name("value")
        rng: TextRange | None = None
        if target is not None:
            name = target.child_by_field_name("name") if target.type != "identifier" else None
            if target.type == "identifier":
                rng = self._local_range(pf.node_text(target), target)
            elif name is not None and name.type in ("identifier", "type_identifier"):
                rng = pf.node_range(name)
        if rng is None:
            kw = next((c for c in s.children if not c.is_named and c.type == "default"), s)
            rng = pf.node_range(kw)
        self._export("default", rng)

    # CommonJS.
    def _exports_target(self, left: Node) -> tuple[str, Node] | None:
        """For `exports.X`/`module.exports.X`/`exports["X"]`: ("X", the node naming X).

        Returns ("", node) for `module.exports` itself and None for anything else.
        """
        pf = self.pf
        if left.type == "member_expression":
            obj = left.child_by_field_name("object")
            prop = left.child_by_field_name("property")
            if obj is None or prop is None:
                return None
            if self._is_module_exports(left):
                return ("", left)
            if obj.type == "identifier" and pf.node_text(obj) == "exports" or self._is_module_exports(obj):
                return (pf.node_text(prop), prop)
            return None
        if left.type == "subscript_expression":
            obj = left.child_by_field_name("object")
            index = left.child_by_field_name("index")
            if obj is None or index is None:
                return None
            if obj.type == "identifier" and pf.node_text(obj) == "exports" or self._is_module_exports(obj):
                key = _string_content(pf, index)
                if key is None:
                    self.dynamic = True
                    return None
                return (key, index)
        return None

    def _is_module_exports(self, node: Node) -> bool:
        if node.type != "member_expression":
            return False
        obj = node.child_by_field_name("object")
        prop = node.child_by_field_name("property")
        return (
            obj is not None
            and prop is not None
            and obj.type == "identifier"
            and self.pf.node_text(obj) == "module"
            and self.pf.node_text(prop) == "exports"
        )

    def _cjs_expression(self, e: Node) -> None:
        pf = self.pf
        if e.type == "assignment_expression":
            left = e.child_by_field_name("left")
            right = e.child_by_field_name("right")
            if left is None or right is None:
                return
            target = self._exports_target(left)
            if target is not None:
                name, node = target
                if name == "":
                    self._module_exports_value(right)
                elif name != "__esModule":
                    rng = _string_range(pf, node)
                    if right.type == "identifier":
                        rng = self._local_range(pf.node_text(right), node)
                    self._export(name, rng)
            # `exports.a = exports.b = fn`: the right side assigns too.
            if right.type == "assignment_expression":
                self._cjs_expression(right)
        elif e.type == "call_expression":
            # `Object.defineProperty(exports, "main", {...})`, as tsc's CommonJS output writes.
            fn = e.child_by_field_name("function")
            args = e.child_by_field_name("arguments")
            if fn is None or args is None or pf.node_text(fn) != "Object.defineProperty":
                return
            a = [c for c in args.named_children if c.type != "comment"]
            if len(a) >= 2 and (pf.node_text(a[0]) in ("exports", "module.exports")):
                key = _string_content(pf, a[1])
                if key is None:
                    self.dynamic = True
                elif key != "__esModule":
                    self._export(key, _string_range(pf, a[1]))
        elif e.type in ("sequence_expression", "parenthesized_expression"):
            for c in e.named_children:
                self._cjs_expression(c)

    def _module_exports_value(self, value: Node) -> None:
        """`module.exports = value` / `export = value`."""
        pf = self.pf
        while value.type == "parenthesized_expression" and value.named_children:
            value = value.named_children[0]
        if value.type == "object":
            self._object_exports(value)
        elif value.type in _JS_FUNCTION_VALUES:
            name = value.child_by_field_name("name")
            self._export("default", pf.node_range(name if name is not None else value))
        elif value.type == "call_expression" and self._require_spec(value) is not None:
            self.star.append(self._require_spec(value) or "")
        elif value.type == "identifier":
            loc = self.locals.get(pf.node_text(value))
            if loc is not None and loc.kind in ("function", "class", "fn"):
                self._export("default", loc.range)
            elif loc is not None and loc.kind == "object" and loc.node is not None:
                self._object_exports(loc.node)
            else:
                self.dynamic = True
        else:
            self.dynamic = True

    def _require_spec(self, call: Node) -> str | None:
        args = require_arguments(self.pf, call)
        if args is None:
            return None
        a = [c for c in args if c.type != "comment"]
        return _string_content(self.pf, a[0]) if len(a) == 1 else None

    def _object_exports(self, obj: Node) -> None:
        pf = self.pf
        for c in obj.named_children:
            if c.type == "shorthand_property_identifier":
                self._export_local(pf.node_text(c), c)
            elif c.type == "pair":
                key = c.child_by_field_name("key")
                value = c.child_by_field_name("value")
                if key is None:
                    continue
                if key.type in ("property_identifier", "identifier", "number"):
                    name: str | None = pf.node_text(key)
                elif key.type == "string":
                    name = _string_content(pf, key)
                else:  # A computed key.
                    self.dynamic = True
                    continue
                if name is None:
                    self.dynamic = True
                    continue
                rng = _string_range(pf, key)
                if value is not None and value.type == "identifier":
                    rng = self._local_range(pf.node_text(value), key)
                self._export(name, rng)
            elif c.type == "method_definition":
                name_node = c.child_by_field_name("name")
                if name_node is not None and name_node.type == "property_identifier":
                    self._export(pf.node_text(name_node), pf.node_range(name_node))
            elif c.type == "spread_element":
                inner = c.named_children[0] if c.named_children else None
                spec = self._require_spec(inner) if inner is not None and inner.type == "call_expression" else None
                if spec is not None:
                    self.star.append(spec)
                else:
                    self.dynamic = True


def _pattern_names(node: Node) -> Iterator[Node]:
    """The identifiers a destructuring pattern binds (`{ a, b: c, ...d }`, `[e, f = 1]`), in
    source order; iterative, as patterns can nest deeply."""
    stack = [node]
    while stack:
        n = stack.pop()
        t = n.type
        if t in ("identifier", "shorthand_property_identifier_pattern"):
            yield n
        elif t == "pair_pattern":
            v = n.child_by_field_name("value")
            if v is not None:
                stack.append(v)
        elif t in ("assignment_pattern", "object_assignment_pattern"):
            left = n.child_by_field_name("left")
            if left is not None:
                stack.append(left)
        elif t in ("object_pattern", "array_pattern", "rest_pattern"):
            stack.extend(reversed(n.named_children))


# ----------------------------------------------------------------------------------------------
# Python.
# ----------------------------------------------------------------------------------------------

#: Module-level compound statements whose blocks still bind module-level names.
_PY_COMPOUND = frozenset(
    {"if_statement", "try_statement", "with_statement", "for_statement", "while_statement"}
)
_PY_CLAUSES = frozenset(
    {"elif_clause", "else_clause", "except_clause", "except_group_clause", "finally_clause"}
)
_PY_TARGET_LISTS = frozenset(
    {"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern", "tuple", "list",
     "parenthesized_expression"}
)


def _python_exports(pf: ParsedFile) -> ExportTable:
    names: dict[str, TextRange] = {}
    star: list[str] = []
    reexports: list[tuple[str, str, str]] = []
    dynamic = False

    def bind(node: Node) -> None:
        # The first binding in the file wins (blocks are visited out of order).
        name = pf.node_text(node)
        rng = pf.node_range(node)
        old = names.get(name)
        if name and (old is None or rng.start < old.start):
            names[name] = rng

    def targets(node: Node) -> None:
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type == "identifier":
                bind(n)
            elif n.type in _PY_TARGET_LISTS:
                stack.extend(n.named_children)

    # Iterative over nested blocks: user code may nest deeply.
    pending = [pf.root]
    while pending:
        for s in _statements(pending.pop()):
            t = s.type
            if t == "decorated_definition":
                d = s.child_by_field_name("definition")
                if d is not None:
                    s, t = d, d.type
            if t in ("function_definition", "class_definition"):
                name = s.child_by_field_name("name")
                if name is not None:
                    bind(name)
            elif t == "expression_statement":
                for e in s.named_children:
                    while e.type == "assignment":
                        left = e.child_by_field_name("left")
                        if left is not None:
                            targets(left)
                        right = e.child_by_field_name("right")
                        if right is None:
                            break
                        e = right
            elif t == "import_statement":
                # `import x as name` binds a name a handler could name; a plain `import os`
                # binds a module under its own name, never a handler, and would only clutter
                # the list of names we suggest.
                for n in s.children_by_field_name("name"):
                    if n.type == "aliased_import":
                        alias = n.child_by_field_name("alias")
                        if alias is not None:
                            bind(alias)
            elif t == "import_from_statement":
                mod = s.child_by_field_name("module_name")
                spec = pf.node_text(mod) if mod is not None else ""
                relative = mod is not None and mod.type == "relative_import"
                if any(c.type == "wildcard_import" for c in s.named_children):
                    if relative:
                        star.append(spec)
                    else:
                        dynamic = True
                    continue
                for n in s.children_by_field_name("name"):
                    if n.type == "aliased_import":
                        alias = n.child_by_field_name("alias")
                        orig = n.child_by_field_name("name")
                        if alias is None or orig is None:
                            continue
                        bind(alias)
                        if relative:
                            reexports.append((pf.node_text(alias), spec, pf.node_text(orig)))
                    elif n.type == "dotted_name" and n.named_children:
                        bind(n.named_children[-1])
                        if relative:
                            nm = pf.node_text(n.named_children[-1])
                            reexports.append((nm, spec, nm))
            elif t == "block":  # A clause's body.
                pending.append(s)
            elif t in _PY_COMPOUND or t in _PY_CLAUSES:
                pending.extend(c for c in s.named_children if c.type == "block" or c.type in _PY_CLAUSES)
    return ExportTable(names=names, star_from=tuple(dict.fromkeys(star)), reexports=tuple(reexports),
                       dynamic=dynamic)


# ----------------------------------------------------------------------------------------------
# Go, C#, Java.
# ----------------------------------------------------------------------------------------------


def _go_exports(pf: ParsedFile) -> ExportTable:
    names: dict[str, TextRange] = {}
    for s in _statements(pf.root):
        if s.type == "function_declaration":
            name = s.child_by_field_name("name")
            if name is not None:
                names.setdefault(pf.node_text(name), pf.node_range(name))
    return ExportTable(names=names)


_CS_TYPES = frozenset({"class_declaration", "record_declaration", "struct_declaration"})


def _type_members(pf: ParsedFile, names: dict[str, TextRange], node: Node, prefix: str,
                  types: frozenset[str], nested_sep: str) -> None:
    """Records a C# or Java type declaration as `prefix + Name`, its methods as `Name::method`
    and its nested types (of the kinds in `types`) as `Name{nested_sep}Inner`, recursively.

    A Java enum keeps its methods in an `enum_body_declarations` node; the C# grammar has no
    such node, so looking into it changes nothing for C#.
    """
    name = node.child_by_field_name("name")
    body = node.child_by_field_name("body")
    if name is None:
        return
    full = prefix + pf.node_text(name)
    names.setdefault(full, pf.node_range(name))
    if body is None:
        return
    for m in _statements(body):
        if m.type == "method_declaration":
            _add_method(pf, names, full, m)
        elif m.type in types:
            _type_members(pf, names, m, full + nested_sep, types, nested_sep)
        elif m.type == "enum_body_declarations":
            for mm in m.named_children:
                if mm.type == "method_declaration":
                    _add_method(pf, names, full, mm)


def _add_method(pf: ParsedFile, names: dict[str, TextRange], owner: str, method: Node) -> None:
    mname = method.child_by_field_name("name")
    if mname is not None:
        names.setdefault(f"{owner}::{pf.node_text(mname)}", pf.node_range(mname))


def _csharp_exports(pf: ParsedFile) -> ExportTable:
    names: dict[str, TextRange] = {}

    def members(node: Node, ns: str) -> None:
        current = ns
        for s in _statements(node):
            if s.type == "namespace_declaration":
                name = s.child_by_field_name("name")
                body = s.child_by_field_name("body")
                if name is not None and body is not None:
                    inner = pf.node_text(name).replace(" ", "")
                    members(body, f"{current}.{inner}" if current else inner)
            elif s.type == "file_scoped_namespace_declaration":
                # `namespace X;` applies to the declarations that follow it.
                name = s.child_by_field_name("name")
                if name is not None:
                    current = pf.node_text(name).replace(" ", "")
            elif s.type in _CS_TYPES:
                _type_members(pf, names, s, f"{current}." if current else "", _CS_TYPES, "+")

    members(pf.root, "")
    return ExportTable(names=names)


_JAVA_TYPES = frozenset({"class_declaration", "record_declaration", "enum_declaration"})


def _java_exports(pf: ParsedFile) -> ExportTable:
    names: dict[str, TextRange] = {}
    package = ""
    for s in _statements(pf.root):
        if s.type == "package_declaration":
            for c in s.named_children:
                if c.type in ("scoped_identifier", "identifier"):
                    package = pf.node_text(c).replace(" ", "")
    for s in _statements(pf.root):
        if s.type in _JAVA_TYPES:
            _type_members(pf, names, s, f"{package}." if package else "", _JAVA_TYPES, "$")
    return ExportTable(names=names)


def _js_exports(pf: ParsedFile) -> ExportTable:
    return _JsExports(pf).table()


#: The export reader of each grammar.
_READERS: dict[str, Callable[[ParsedFile], ExportTable]] = {
    **dict.fromkeys(JS_LANGS, _js_exports),
    "python": _python_exports,
    "go": _go_exports,
    "csharp": _csharp_exports,
    "java": _java_exports,
}
