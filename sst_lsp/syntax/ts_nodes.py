"""Small helpers over JavaScript/TypeScript tree-sitter nodes (layer 1: syntax).

Shared by the model's export tables, fact extraction and static evaluator, which each walk
variable declarations in their own way but start from the same declarators.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node


def variable_declarators(decl: Node) -> Iterator[tuple[Node, Node]]:
    """(declarator, name node) for each `variable_declarator` of a `const`/`let`/`var`
    declaration that has a name; the name may be an identifier or a destructuring pattern."""
    for d in decl.named_children:
        if d.type != "variable_declarator":
            continue
        name = d.child_by_field_name("name")
        if name is not None:
            yield d, name
