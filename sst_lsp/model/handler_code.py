"""What a handler's own code needs from its function (layer 2: model).

A Lambda handler reads the resources its function was given: in SST v2 through the proxies of
`sst/node/*` (`Table.Notes.tableName` from `sst/node/table`, `Config.STRIPE_KEY` from
`sst/node/config`), in v3 through `Resource.MyBucket` from `sst`, and in both through
`process.env.NAME`. SST's runtime is the spec:

- v2 `packages/sst/src/node/util/index.ts`: `createProxy(constructName)` throws "Cannot use
  Table.Notes. Please make sure it is bound to this function." for a property the function's
  environment does not carry; the property is normalised (`my-table` -> `my_table`) and matched
  against the bound construct's id normalised the same way. `Config` (`sst/node/config`) merges
  the bound `Config.Secret`s and `Config.Parameter`s and always has `APP` and `STAGE`.
- SST v1 (1.16+) has the same proxies in `@serverless-stack/node/*`, bound through `bind` or the
  older `config` prop.
- v3 `sdk/js/src/resource.ts`: `Resource.X` throws `"X" is not linked in your sst.config.ts` for
  a name that is not linked; `App` is always there (`SST_RESOURCE_App`).

`code_facts(text, lang)` reads one file with tree-sitter (no regex): the uses of those proxies,
the `process.env` reads, and the relative imports (a handler's helpers run in the same function,
so `functions_of` in analyzers/links.py follows them). Results are memoized per text.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node, Query, QueryCursor

from sst_lsp import catalog
from sst_lsp.model.derived import TextMemo, cached
from sst_lsp.model.exports import ExportTable, exports_of_parse
from sst_lsp.model.files import FileSource
from sst_lsp.model.js_module import export_clause, export_specifiers, import_bindings
from sst_lsp.model.modules import resolve_import
from sst_lsp.model.types import App, Construct
from sst_lsp.syntax.parser import JS_LANGS, ParsedFile, lang_for_path, language, parse
from sst_lsp.syntax.text import Pos, TextRange

#: v2 proxies exported by `sst/node/*` (the construct kinds each one reads: `catalog.node_proxy_kinds`).
V2_PROXIES = catalog.node_proxies()
#: Names `Resource` (v3) always has.
V3_ALWAYS = catalog.resource_always()


@dataclass(frozen=True, slots=True)
class ResourceUse:
    """`Table.Notes` (v2) or `Resource.MyBucket` (v3) in handler code."""

    generation: str  # "v2" or "v3"
    proxy: str  # "Table", "Config", ... for v2; "Resource" for v3
    name: str  # the property as written (`Notes`, `my-table`)
    range: TextRange  # the whole `Proxy.Name` expression
    name_range: TextRange  # the property
    #: The export whose code holds the use (`main` for `export const main = ...`), or None when
    #: it runs whatever the function imports: module top level, or a local, non-exported helper.
    scope: str | None = None

    @property
    def key(self) -> str:
        """The name SST matches: v2 normalises `-` to `_`."""
        return self.name.replace("-", "_") if self.generation == "v2" else self.name


@dataclass(frozen=True, slots=True)
class EnvRead:
    """`process.env.NAME` or `process.env["NAME"]`."""

    name: str
    range: TextRange
    scope: str | None = None  # as `ResourceUse.scope`


@dataclass(frozen=True, slots=True)
class CodeFacts:
    resources: tuple[ResourceUse, ...] = ()
    env_reads: tuple[EnvRead, ...] = ()
    #: Relative import specifiers (`./db`, `../core/notes`), static imports and re-exports.
    relative_imports: tuple[str, ...] = ()
    #: (specifier, the names imported from it), None for the whole module (`import * as`,
    #: `export * from`, a side-effect import, a default import: its code is not named apart).
    imported_names: tuple[tuple[str, tuple[str, ...] | None], ...] = ()

    def runs(self, scope: str | None, exports: frozenset[str] | None) -> bool:
        """True when code in `scope` runs for a function that uses `exports` of this file
        (None: every export)."""
        return scope is None or exports is None or scope in exports


EMPTY = CodeFacts()


def code_facts_for(fs: FileSource, path: Path, memo: dict[Path, CodeFacts] | None = None,
                   cache: TextMemo[CodeFacts] | None = None) -> CodeFacts:
    """The facts of one file as `fs` has it (open buffers count); EMPTY for non-JS files.

    `memo` (path -> facts) lets one analysis run read each file once; `cache` (the driver's,
    `DerivedFacts.code_facts`) keeps the facts of unchanged texts across runs."""
    if memo is not None and path in memo:
        return memo[path]
    lang = lang_for_path(path)
    text = fs.read_text(path) if lang in JS_LANGS else None
    got = code_facts(text, lang, cache) if text is not None and lang is not None else EMPTY
    if memo is not None:
        memo[path] = got
    return got


def code_facts(text: str, lang: str, cache: TextMemo[CodeFacts] | None = None) -> CodeFacts:
    """The resource uses, env reads and relative imports of a JS/TS text (through `cache`, the
    driver's, when given)."""
    return cached(cache, text, lang, _code_facts)


def _code_facts(text: str, lang: str) -> CodeFacts:
    if lang not in JS_LANGS:
        return EMPTY
    return code_facts_of_parse(parse(text, lang))


def handler_file_facts(text: str, lang: str) -> tuple[ExportTable, CodeFacts | None]:
    """What the resolver and the links analyzer read from a handler file, from one parse: its
    export table and, for JS/TS, its code facts (None for other languages)."""
    pf = parse(text, lang)
    return exports_of_parse(pf), code_facts_of_parse(pf) if lang in JS_LANGS else None


#: The expressions that may read a v2/v3 proxy (`Table.Notes`, `Resource["my-bucket"]`): a
#: member or subscript of an identifier, which is then looked up among the file's proxies.
_PROXY_QUERY = """
(member_expression object: (identifier) @obj property: (property_identifier)) @use
(subscript_expression object: (identifier) @obj index: (string)) @use
"""
#: `process.env.NAME` and `process.env["NAME"]`.
_ENV_QUERY = """
(member_expression
  object: (member_expression object: (identifier) @p property: (_) @e (#eq? @p "process") (#eq? @e "env"))
  property: (property_identifier)) @use
(subscript_expression
  object: (member_expression object: (identifier) @p property: (_) @e (#eq? @p "process") (#eq? @e "env"))
  index: (string)) @use
"""


@functools.cache
def _query(lang: str, source: str) -> Query:
    return Query(language(lang), source)


def _uses(pf: ParsedFile, source: str) -> list[Node]:
    """The `@use` nodes of a query, in document (pre-)order, as a walk of the tree meets them."""
    nodes = QueryCursor(_query(pf.lang, source)).captures(pf.root).get("use", [])
    nodes.sort(key=lambda n: (n.start_byte, -n.end_byte))
    return nodes


def code_facts_of_parse(pf: ParsedFile) -> CodeFacts:
    """The code facts of a parsed JS/TS file (see `code_facts`)."""
    proxies: dict[str, tuple[str, str]] = {}  # local name -> (generation, proxy)
    rel: list[str] = []
    names: dict[str, set[str] | None] = {}
    for s in pf.root.named_children:
        if s.type not in ("import_statement", "export_statement"):
            continue
        src = s.child_by_field_name("source")
        spec = _string(pf, src) if src is not None else None
        if spec is None:
            continue
        named = _imported(pf, s)
        if spec.startswith("."):
            rel.append(spec)
            have = names.get(spec, set())
            names[spec] = None if named is None or have is None else have | set(named)
        if s.type != "import_statement":
            continue
        for local, imported in _named_imports(pf, s):
            if spec.startswith(("sst/node/", "@serverless-stack/node/")) and imported in V2_PROXIES:
                proxies[local] = ("v2", imported)
            elif spec == "sst" and imported == "Resource":
                proxies[local] = ("v3", "Resource")
    resources: list[ResourceUse] = []
    env: list[EnvRead] = []
    # Two queries (in C) rather than a walk over every node; each runs only when the file can
    # hold what it finds (the substring test is a shortcut, the query decides).
    if proxies:
        for n in _uses(pf, _PROXY_QUERY):
            obj = n.child_by_field_name("object")
            gp = proxies.get(pf.node_text(obj)) if obj is not None else None
            if gp is None:
                continue
            name, name_node = _member_name(pf, n)
            if name is not None and name_node is not None:
                resources.append(ResourceUse(gp[0], gp[1], name, pf.node_range(n), pf.node_range(name_node),
                                             _scope(pf, n)))
    if b"process" in pf.data:
        for n in _uses(pf, _ENV_QUERY):
            name, name_node = _member_name(pf, n)
            if name is not None and name_node is not None:
                env.append(EnvRead(name, pf.node_range(n), _scope(pf, n)))
    by_spec = tuple((spec, None if got is None else tuple(sorted(got))) for spec, got in names.items())
    return CodeFacts(tuple(resources), tuple(env), tuple(dict.fromkeys(rel)), by_spec)


def _imported(pf: ParsedFile, stmt: Node) -> list[str] | None:
    """The names an import or re-export takes from its module; None for all of it."""
    if stmt.type == "export_statement":
        clause = export_clause(stmt)
        if clause is None:
            return None  # export * from
        return [pf.node_text(name) for name, _alias, _type_only in export_specifiers(clause)]
    clause = next((c for c in stmt.named_children if c.type == "import_clause"), None)
    if clause is None:
        return None  # import "./side-effect"
    if any(c.type in ("namespace_import", "identifier") for c in clause.named_children):
        return None  # import * as db / import db (default): the module as a whole
    return [imported for _local, imported in _named_imports(pf, stmt)]


def _scope(pf: ParsedFile, node: Node) -> str | None:
    """The exported name of the top-level declaration holding `node` (see ResourceUse.scope)."""
    n = node
    while n.parent is not None and n.parent.type != "program":
        n = n.parent
    if n.type != "export_statement":
        return None  # Top level, or a local helper: runs for whatever the module is used for.
    if any(c.type == "default" for c in n.children) or pf.node_text(n).startswith("export default"):
        return "default"
    decl = n.child_by_field_name("declaration")
    if decl is None:
        return None
    if decl.type in ("function_declaration", "generator_function_declaration", "class_declaration"):
        name = decl.child_by_field_name("name")
        return pf.node_text(name) if name is not None else None
    if decl.type in ("lexical_declaration", "variable_declaration"):
        declarators = [c for c in decl.named_children if c.type == "variable_declarator"]
        if len(declarators) == 1:
            name = declarators[0].child_by_field_name("name")
            if name is not None and name.type == "identifier":
                return pf.node_text(name)
    return None


def reachable(fs: FileSource, start: Path, root: Path, limit: int = 200,
              memo: dict[Path, CodeFacts] | None = None, cache: TextMemo[CodeFacts] | None = None) -> list[Path]:
    """`start` and the files its relative imports reach (transitively, inside `root`)."""
    return list(reached_exports(fs, start, None, root, limit, memo, cache))


def reached_exports(fs: FileSource, start: Path, export: str | None, root: Path, limit: int = 200,
                    memo: dict[Path, CodeFacts] | None = None, cache: TextMemo[CodeFacts] | None = None
                    ) -> dict[Path, frozenset[str] | None]:
    """The files a function whose handler is `start`'s `export` runs, each with the exports of
    it that are used (None: all of it): the handler file, then what its imports name, and so on
    (inside `root`)."""
    seen: dict[Path, frozenset[str] | None] = {start: frozenset({export}) if export else None}
    todo = [start]
    while todo and len(seen) < limit:
        p = todo.pop()
        for spec, names in code_facts_for(fs, p, memo, cache).imported_names:
            target = resolve_relative(fs, p, spec)
            if target is None or not target.is_relative_to(root):
                continue
            new = None if names is None else frozenset(names)
            if target in seen:
                old = seen[target]
                merged = None if old is None or new is None else old | new
                if merged == old:
                    continue
                new = merged
            seen[target] = new
            todo.append(target)
    return seen


def resolve_relative(fs: FileSource, importer: Path, spec: str) -> Path | None:
    """The file a relative specifier names (model/modules.py's `resolve_import`, the one resolver)."""
    return resolve_import(fs, importer, spec)


def targets_of(app: App, use: ResourceUse) -> set[Construct]:
    """The constructs of `app` that `use` reads; empty when it needs none (always there) or
    when the app defines no construct of that kind and id (a loop, a helper: unknown)."""
    if use.generation == "v3":
        if use.name in V3_ALWAYS:
            return set()
        return {c for c in app.constructs if not c.dynamic_id and c.origin == "sst3" and c.id == use.name}
    if use.key in catalog.node_proxy_always(use.proxy):
        return set()
    kinds = catalog.node_proxy_kinds(use.proxy)
    return {
        c for c in app.constructs
        if not c.dynamic_id and c.origin == "sst" and c.kind in kinds and c.id.replace("-", "_") == use.key
    }


def use_at(fs: FileSource, path: Path, pos: Pos, cache: TextMemo[CodeFacts] | None = None) -> ResourceUse | None:
    """The resource use under `pos` in a handler file, if any."""
    for use in code_facts_for(fs, path, cache=cache).resources:
        if use.range.contains(pos):
            return use
    return None


# ----------------------------------------------------------------------------------------------
# Tree helpers.


def _string(pf: ParsedFile, node: Node) -> str | None:
    if node.type != "string":
        return None
    text = pf.node_text(node)
    return text[1:-1] if len(text) >= 2 else None


def _named_imports(pf: ParsedFile, stmt: Node) -> list[tuple[str, str]]:
    """(local, imported) of each `{ a as b }` name an import statement binds."""
    return [(pf.node_text(b.local), pf.node_text(b.imported)) for b in import_bindings(stmt)
            if b.form == "named" and b.imported is not None]


def _member_name(pf: ParsedFile, n: Node) -> tuple[str | None, Node | None]:
    """The property a member or subscript expression reads, when it is written out."""
    if n.type == "member_expression":
        prop = n.child_by_field_name("property")
        if prop is not None and prop.type == "property_identifier":
            return pf.node_text(prop), prop
        return None, None
    index = n.child_by_field_name("index")
    if index is not None and index.type == "string":
        s = _string(pf, index)
        if s:
            frag = next((c for c in index.named_children if c.type == "string_fragment"), index)
            return s, frag
    return None, None


