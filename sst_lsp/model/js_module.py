"""The one reader of JS/TS import and export statements (layer 2: model).

What an `import` statement binds (`import d, * as ns, { a as b, type T } from "./x"`,
`import x = require("./x")`), the specifiers of an `export { a as b }` clause, the arguments of a
`require(...)` call and the names a destructuring `const { a, b: c } = require(...)` binds.
Extraction (`model/stacks.py`), the module graph (`model/modules.py`) and the export tables of
handler files (`model/exports.py`) all read the statements through it, each keeping what it
needs (the graph ignores type-only names, for instance, and the export tables skip them).

The specifier strings themselves are read by the callers (`evaluate.string_content`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from tree_sitter import Node

from sst_lsp.syntax.parser import ParsedFile

ImportForm = Literal["default", "namespace", "named", "require"]


@dataclass(frozen=True, slots=True)
class ImportBinding:
    """One local name an `import` statement binds."""

    #: The identifier bound in this module (the alias of a named import when it has one).
    local: Node
    #: "default" (`import d`), "namespace" (`* as ns`), "named" (`{ a as b }`) or "require"
    #: (TypeScript's `import x = require("./x")`).
    form: ImportForm
    #: The imported name's node, for a named import (an identifier or a string).
    imported: Node | None = None
    #: `import { type T }`: a type, erased at run time.
    type_only: bool = False


def has_token(node: Node, token: str) -> bool:
    """True when `node` has an anonymous child token spelled `token` (e.g. "type")."""
    return any(not c.is_named and c.type == token for c in node.children)


def import_bindings(st: Node) -> Iterator[ImportBinding]:
    """The names an `import_statement` binds, in source order."""
    for clause in st.named_children:
        if clause.type == "import_require_clause":
            ident = clause.named_children[0] if clause.named_children else None
            if ident is not None and ident.type == "identifier":
                yield ImportBinding(ident, "require")
            continue
        if clause.type != "import_clause":
            continue
        for c in clause.named_children:
            if c.type == "identifier":
                yield ImportBinding(c, "default")
            elif c.type == "namespace_import":
                ids = [x for x in c.named_children if x.type == "identifier"]
                if ids:
                    yield ImportBinding(ids[0], "namespace")
            elif c.type == "named_imports":
                for s in c.named_children:
                    if s.type != "import_specifier":
                        continue
                    name = s.child_by_field_name("name")
                    if name is None:
                        continue
                    alias = s.child_by_field_name("alias")
                    yield ImportBinding(alias or name, "named", name, has_token(s, "type"))


def export_clause(st: Node) -> Node | None:
    """The `{ ... }` clause of an `export_statement`, if it has one."""
    return next((c for c in st.named_children if c.type == "export_clause"), None)


def export_specifiers(clause: Node) -> Iterator[tuple[Node, Node | None, bool]]:
    """(name, alias or None, type-only) of each specifier of an `export { ... }` clause."""
    for s in clause.named_children:
        if s.type != "export_specifier":
            continue
        name = s.child_by_field_name("name")
        if name is not None:
            yield name, s.child_by_field_name("alias"), has_token(s, "type")


def require_arguments(pf: ParsedFile, node: Node | None) -> list[Node] | None:
    """The argument nodes of a `require(...)` call (comments included), else None."""
    if node is None or node.type != "call_expression":
        return None
    fn = node.child_by_field_name("function")
    args = node.child_by_field_name("arguments")
    if fn is None or args is None or pf.node_text(fn) != "require":
        return None
    return list(args.named_children)


def pattern_imports(pattern: Node) -> Iterator[tuple[Node, Node]]:
    """(local, key) of each name a destructuring `{ a, b: c }` of a `require(...)` binds:
    (a, a) and (c, b). The local node of a pair may itself be a pattern."""
    for p in pattern.named_children:
        if p.type == "shorthand_property_identifier_pattern":
            yield p, p
        elif p.type == "pair_pattern":
            k, v = p.child_by_field_name("key"), p.child_by_field_name("value")
            if k is not None and v is not None:
                yield v, k
