"""The app's module graph (layer 2: model): import resolution and cross-file bindings.

One resolver of relative import specifiers (`resolve_import`, TypeScript's order of
extensions) and a `Program`: the modules one extraction may read besides its own file, loaded
on demand through the index's parses. A `Module` knows what its top level binds: imports
(ESM and CommonJS `require`), exports (named, default, aliases, re-exports, `export * from`,
`module.exports` / `exports.x`), and top-level declarations. `Program.export` follows an
exported name to the node that defines it, across files, cycle-safe and depth-bounded.

A `Program` records every file it read (`deps`) and every folder it listed (`dirs`), with what
it saw: the facts of the extracting file stay valid while those stay the same.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tree_sitter import Node

from sst_lsp.model.files import SKIP_DIRS, FileSource
from sst_lsp.model.js_module import (
    export_clause,
    export_specifiers,
    import_bindings,
    pattern_imports,
    require_arguments,
)
from sst_lsp.model.js_values import not_literal, string_content, tag, unwrap
from sst_lsp.syntax.parser import JS_LANGS, ParsedFile, lang_for_path
from sst_lsp.syntax.ts_nodes import variable_declarators

if TYPE_CHECKING:
    from sst_lsp.model.types import Value

#: JS/TS source extensions, TypeScript's first: the order SST tries for a Node handler (its
#: `[".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"]`) and the one a relative import
#: is resolved in (TS sources before JS, as esbuild does in a TS project). The one definition:
#: `resolve.NODE_EXTENSIONS`, the IDE's completion and the git baseline use it.
SOURCE_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
#: Suffixes tried for a relative import (see `resolve_import`).
IMPORT_SUFFIXES = SOURCE_EXTENSIONS
#: `import "./x.js"` in TS source means `./x.ts`: what each JS extension may stand for.
TS_FOR_JS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
#: Re-export hops and nested cross-file evaluations followed at most.
MAX_MODULE_DEPTH = 16
#: Modules one extraction reads at most besides its own file (a safety bound).
MAX_MODULES = 200

_FUNCTION_TYPES = frozenset({"function_declaration", "generator_function_declaration", "function_expression",
                             "arrow_function", "function"})


class ModuleEvaluator(Protocol):
    """What the module graph asks of a module's evaluator (`evaluate.Evaluator` is one): the
    value of a node, and whether that value depended on anything but the modules."""

    #: Evaluations cut short (depth or call limits) so far.
    cutoffs: int
    #: Names bound by calls and loops being evaluated (non-empty: the value depends on them).
    env: dict[tuple[int, str], Value]

    def value(self, node: Node | None, depth: int = 0) -> Value: ...


def is_relative_specifier(spec: str) -> bool:
    """True for "./x", "../x", "." and "..": what Node resolves against the importer."""
    return spec.startswith(("./", "../")) or spec in (".", "..")


def resolve_import(fs: FileSource, importer: Path, spec: str, *, is_file: Callable[[Path], bool] | None = None,
                   extensions: tuple[str, ...] = IMPORT_SUFFIXES) -> Path | None:
    """The file a relative import specifier names (TypeScript's resolution, simplified): the
    file itself, the TS source a JS name stands for, then `extensions` appended, then
    `index` + `extensions`. None for packages, dependency folders and missing files.

    `is_file` (default `fs.is_file`) lets a caller record what it looked at; `extensions` may
    add kinds a caller follows besides sources (the handler resolver adds ".json")."""
    if not is_relative_specifier(spec):
        return None
    base = Path(os.path.normpath(str(importer.parent / spec)))
    if any(part in SKIP_DIRS for part in base.parts):
        return None
    exists = is_file or fs.is_file
    if (lang_for_path(base) in JS_LANGS or base.suffix in extensions) and exists(base):
        return base
    # ESM-style TypeScript imports name the compiled file: "./Api.js" means Api.ts.
    for suf in TS_FOR_JS.get(base.suffix, ()):
        cand = base.with_suffix(suf)
        if exists(cand):
            return cand
    for suf in extensions:
        cand = base.parent / (base.name + suf)
        if exists(cand):
            return cand
    for suf in extensions:
        cand = base / ("index" + suf)
        if exists(cand):
            return cand
    return None


class Module:
    """What one file's top level binds (read on first use, once per `Program`)."""

    __slots__ = ("_cjs_value", "_export_nodes", "_exports", "_imports", "_locals", "_read", "_reexports", "_star",
                 "captures", "closure", "ev", "path", "pf", "scan")

    def __init__(self, path: Path, pf: ParsedFile) -> None:
        self.path = path
        self.pf = pf
        self.ev: ModuleEvaluator | None = None
        #: What extraction reads from the module's top level once (its SST and CDK names, ...),
        #: kept for the sub-extractions of other files' calls into it.
        self.scan: object = None
        #: The module and every app module it imports, transitively (see `Program.closure`).
        self.closure: tuple[Path, ...] | None = None
        #: Query captures inside function bodies other files' calls ran, by body span.
        self.captures: dict[tuple[int, int], dict[str, list[Node]]] = {}
        self._read = False
        self._imports: dict[str, tuple[str, str]] = {}
        self._exports: dict[str, str] = {}
        self._export_nodes: dict[str, Node] = {}
        self._reexports: dict[str, tuple[str, str]] = {}
        self._star: list[str] = []
        self._locals: dict[str, Node] = {}
        self._cjs_value: Node | None = None

    def _ensure(self) -> None:
        if not self._read:
            self._read = True
            _read_top_level(self)

    @property
    def imports(self) -> dict[str, tuple[str, str]]:
        """local name -> (specifier, imported name: "default", "*" or the exported name)."""
        self._ensure()
        return self._imports

    @property
    def exports(self) -> dict[str, str]:
        """exported name -> local name (`export const x`, `export { a as b }`, `export function f`)."""
        self._ensure()
        return self._exports

    @property
    def export_nodes(self) -> dict[str, Node]:
        """exported name -> value node (`export default <expr>`, `module.exports = {a: ...}`, `exports.a = ...`)."""
        self._ensure()
        return self._export_nodes

    @property
    def reexports(self) -> dict[str, tuple[str, str]]:
        """exported name -> (specifier, original name) for `export { a as b } from "./x"`."""
        self._ensure()
        return self._reexports

    @property
    def star(self) -> list[str]:
        """`export * from "./x"` specifiers, in order."""
        self._ensure()
        return self._star

    @property
    def locals(self) -> dict[str, Node]:
        """top-level name -> its defining node: a declarator's value, a function or class."""
        self._ensure()
        return self._locals

    @property
    def cjs_value(self) -> Node | None:
        """`module.exports = <expr>` (CommonJS): what `require()` and a default import see."""
        self._ensure()
        return self._cjs_value

    def text(self, node: Node) -> str:
        return self.pf.node_text(node)


def _read_module(path: Path, pf: ParsedFile) -> Module:
    return Module(path, pf)


def _read_top_level(m: Module) -> None:
    pf = m.pf
    txt = pf.node_text
    for st in pf.root.named_children:
        t = st.type
        if t == "import_statement":
            src = st.child_by_field_name("source")
            spec = _string(pf, src)
            if spec is None:
                continue
            for b in import_bindings(st):
                if b.form == "default":
                    m._imports[txt(b.local)] = (spec, "default")
                elif b.form == "namespace":
                    m._imports[txt(b.local)] = (spec, "*")
                elif b.form == "named" and b.imported is not None:
                    m._imports[txt(b.local)] = (spec, txt(b.imported))
        elif t == "export_statement":
            _read_export(m, st)
        elif t in ("lexical_declaration", "variable_declaration"):
            _read_declaration(m, st)
        elif t in ("function_declaration", "generator_function_declaration", "class_declaration"):
            n = st.child_by_field_name("name")
            if n is not None:
                m._locals[txt(n)] = st
        elif t == "expression_statement":
            _read_commonjs(m, st)


def _string(pf: ParsedFile, node: Node | None) -> str | None:
    if node is None or node.type != "string":
        return None

    got = string_content(pf, node)
    return got[0] if got is not None else None


def _require_spec(pf: ParsedFile, node: Node | None) -> str | None:
    """"./x" of `require("./x")`."""
    args = require_arguments(pf, node)
    return _string(pf, args[0]) if args else None


def _read_declaration(m: Module, decl: Node, exported: bool = False) -> None:
    pf = m.pf
    for d, name in variable_declarators(decl):
        value = d.child_by_field_name("value")
        spec = _require_spec(pf, value)
        if name.type == "identifier":
            if spec is not None:
                m._imports[pf.node_text(name)] = (spec, "*")
            elif value is not None:
                m._locals[pf.node_text(name)] = value
            if exported:
                m._exports[pf.node_text(name)] = pf.node_text(name)
        elif name.type == "object_pattern" and spec is not None:
            for local, key in pattern_imports(name):
                if local.type in ("identifier", "shorthand_property_identifier_pattern"):
                    m._imports[pf.node_text(local)] = (spec, pf.node_text(key))


def _read_export(m: Module, st: Node) -> None:
    pf = m.pf
    txt = pf.node_text
    src = st.child_by_field_name("source")
    clause = export_clause(st)
    if src is not None:
        spec = _string(pf, src)
        if spec is None:
            return
        if clause is None:
            ns = next((c for c in st.named_children if c.type == "namespace_export"), None)
            if ns is not None:  # `export * as ns from "./x"`.
                ids = [x for x in ns.named_children if x.type in ("identifier", "string")]
                if ids:
                    m._reexports[txt(ids[0]).strip("\"'")] = (spec, "*")
            else:
                m._star.append(spec)
            return
        for n, a, _type_only in export_specifiers(clause):
            m._reexports[txt(a or n)] = (spec, txt(n))
        return
    decl = st.child_by_field_name("declaration")
    is_default = any(c.type == "default" for c in st.children)
    if decl is not None:
        if decl.type in ("lexical_declaration", "variable_declaration"):
            _read_declaration(m, decl, exported=True)
        else:
            dn = decl.child_by_field_name("name")
            if dn is not None:
                m._locals[txt(dn)] = decl
                m._exports["default" if is_default else txt(dn)] = txt(dn)
            elif is_default:
                m._export_nodes["default"] = decl
        return
    if clause is not None:
        for n, a, _type_only in export_specifiers(clause):
            m._exports[txt(a or n)] = txt(n)
        return
    value = st.child_by_field_name("value")
    if is_default and value is not None:

        v = unwrap(value) or value
        if v.type == "identifier":
            m._exports["default"] = txt(v)
        else:
            if v.type in ("function_expression", "function", "class") and v.child_by_field_name("name") is not None:
                name_node = v.child_by_field_name("name")
                assert name_node is not None
                m._locals.setdefault(txt(name_node), v)
            m._export_nodes["default"] = v


def _read_commonjs(m: Module, st: Node) -> None:
    """`module.exports = ...`, `module.exports.x = ...`, `exports.x = ...`."""

    pf = m.pf
    expr = st.named_children[0] if st.named_children else None
    if expr is None or expr.type != "assignment_expression":
        return
    left = expr.child_by_field_name("left")
    right = expr.child_by_field_name("right")
    if left is None or right is None:
        return
    lt = pf.node_text(left)
    value = unwrap(right) or right
    if lt == "module.exports":
        m._cjs_value = value
        spec = _require_spec(pf, value)
        if spec is not None:
            m._star.append(spec)
        elif value.type == "object":
            for ch in value.named_children:
                if ch.type == "pair":
                    k, v = ch.child_by_field_name("key"), ch.child_by_field_name("value")
                    if k is not None and v is not None:
                        m._export_nodes[pf.node_text(k).strip("\"'")] = v
                elif ch.type == "shorthand_property_identifier":
                    m._exports[pf.node_text(ch)] = pf.node_text(ch)
        elif value.type == "identifier":
            m._exports["default"] = pf.node_text(value)
        else:
            m._export_nodes["default"] = value
    elif lt.startswith(("module.exports.", "exports.")) and left.type == "member_expression":
        prop = left.child_by_field_name("property")
        if prop is not None:
            m._export_nodes[pf.node_text(prop)] = value


@dataclass(frozen=True, slots=True)
class Target:
    """Where an exported name leads: a node of a module, or a whole module (`import * as ns`)."""

    module: Module
    node: Node | None  # None: the module itself (a namespace)


class Program:
    """The modules one extraction reads, loaded on demand (see the module docstring).

    `load` gives the current parse of a file (the index's, so parses are shared); `make_ev`
    builds the evaluator of a loaded module.
    """

    def __init__(self, fs: FileSource, load: Callable[[Path], ParsedFile | None],
                 make_ev: Callable[[Module], ModuleEvaluator] | None = None) -> None:
        self.fs = fs
        self._load = load
        self._make_ev = make_ev
        self._modules: dict[Path, Module | None] = {}
        self._resolved: dict[tuple[Path, str], Path | None] = {}
        self._values: dict[tuple[Path, int], Value] = {}
        # `local` answers by module path, then name (an extraction's start drops its file's).
        self._local_cache: dict[Path, dict[str, Target | None]] = {}
        #: Comparisons of a value of this program with one an earlier extraction remembered:
        #: (id of the new, id of the old) -> (new, old, equal) (see `Evaluator._imported_holds`).
        self.equal_values: dict[tuple[int, int], tuple[Value, Value, bool]] = {}
        #: Files read (path -> the text seen) and folders listed (path -> the names seen).
        self.deps: dict[Path, str] = {}
        self.dirs: dict[Path, tuple[str, ...]] = {}
        #: True when a relative import did not resolve (a file created later may change that).
        self.missing = False
        #: The file being extracted (never a dependency of itself), and its module.
        self.home: Path | None = None
        self._home_mod: Module | None = None
        #: What evaluators derived from a parse alone (scope tables, resolutions), by file:
        #: (the parse's serial, the tables). A caller that keeps one across programs (the
        #: index, one program per revision) lets the evaluators of unchanged files start from
        #: what earlier ones found; None: each evaluator finds them afresh.
        self.syntax: dict[Path, tuple[int, object]] | None = None

    def release(self) -> None:
        """Breaks the program's reference cycles (program -> module -> evaluator -> program,
        and the evaluator factory's closure): called by its owner when it drops the program, so
        reference counting frees its parses at once. Left to the cycle collector, they would
        wait for a full collection; a server that freezes its heap after each analysis
        (`gc.freeze`) froze them too, and the syntax tree of every replaced parse stayed."""
        for mod in [*self._modules.values(), self._home_mod]:
            if mod is not None:
                mod.ev = None
        self._modules.clear()
        self._home_mod = None
        self._make_ev = None

    def resolve(self, importer: Path, spec: str) -> Path | None:
        key = (importer, spec)
        if key not in self._resolved:
            self._resolved[key] = resolve_import(self.fs, importer, spec)
        got = self._resolved[key]
        if got is None and spec.startswith("."):
            self.missing = True
        return got

    def module(self, path: Path) -> Module | None:
        got = self._modules.get(path, False)
        mod = self._loaded(path) if got is False else got
        if isinstance(mod, Module):
            if mod is not self._home_mod:
                self._depend(mod)
            return mod
        return None

    def _loaded(self, path: Path) -> Module | None:
        if len(self._modules) >= MAX_MODULES:
            return None
        pf = self._load(path)
        mod = None
        if pf is not None and pf.lang in JS_LANGS:
            mod = _read_module(path, pf)
            if self._make_ev is not None:
                mod.ev = self._make_ev(mod)
        self._modules[path] = mod
        return mod

    def _depend(self, mod: Module) -> None:
        """Records that the current extraction read `mod`: it and the modules it imports (the
        values it hands out may come from them, and may be remembered from an earlier read)."""
        if mod.path in self.deps:
            return
        for p in self.closure(mod):
            if p != self.home and p not in self.deps:
                got = self._modules.get(p)
                if isinstance(got, Module):
                    self.deps[p] = got.pf.text

    def closure(self, mod: Module) -> tuple[Path, ...]:
        """`mod` and every app module it imports, transitively (cycle-safe)."""
        if mod.closure is not None:
            return mod.closure
        out: dict[Path, None] = {mod.path: None}
        queue = [mod]
        while queue and len(out) < MAX_MODULES:
            m = queue.pop()
            specs = [spec for spec, _ in m.imports.values()] + [spec for spec, _ in m.reexports.values()] + m.star
            for spec in specs:
                if not spec.startswith("."):
                    continue
                p = self.resolve(m.path, spec)
                if p is None or p in out:
                    continue
                got = self._modules.get(p, False)
                nxt = self._loaded(p) if got is False else got
                out[p] = None
                if isinstance(nxt, Module):
                    queue.append(nxt)
        mod.closure = tuple(out)
        return mod.closure

    def begin(self, path: Path, pf: ParsedFile, ev: ModuleEvaluator) -> Module:
        """Starts the extraction of `path` with its own evaluator: what it reads from other
        modules is recorded afresh in `deps`, `dirs` and `missing`."""
        self.home = path
        self.deps = {}
        self.dirs = {}
        self.missing = False
        mod = _read_module(path, pf)
        mod.ev = ev
        self._modules[path] = mod
        self._home_mod = mod
        self._local_cache.pop(path, None)
        return mod

    set_home = begin

    def list_dir(self, d: Path) -> tuple[str, ...]:
        names = tuple(sorted(self.fs.list_dir(d)))
        self.dirs[d] = names
        return names

    def imported(self, mod: Module, local: str) -> Target | None:
        """What a name `mod` imports leads to."""
        got = mod.imports.get(local)
        if got is None:
            return None
        spec, name = got
        path = self.resolve(mod.path, spec)
        if path is None:
            return None
        tgt = self.module(path)
        if tgt is None:
            return None
        if name == "*":
            return Target(tgt, None)
        return self.export(tgt, name)

    def export(self, mod: Module, name: str, depth: int = 0, seen: set[tuple[Path, str]] | None = None) -> Target | None:
        """The node that `mod`'s export `name` is bound to (following imports, re-exports and
        `export *`), or None."""
        seen = seen if seen is not None else set()
        if depth > MAX_MODULE_DEPTH or (mod.path, name) in seen:
            return None
        seen.add((mod.path, name))
        if name in mod.export_nodes:
            return Target(mod, mod.export_nodes[name])
        if name == "default" and mod.cjs_value is not None and mod.cjs_value.type == "object":
            return Target(mod, mod.cjs_value)
        local = mod.exports.get(name)
        if local is not None:
            got = self.local(mod, local, depth, seen)
            if got is not None:
                return got
        if name in mod.reexports:
            spec, orig = mod.reexports[name]
            path = self.resolve(mod.path, spec)
            tgt = self.module(path) if path is not None else None
            if tgt is not None:
                return Target(tgt, None) if orig == "*" else self.export(tgt, orig, depth + 1, seen)
        for spec in mod.star:
            if name == "default":
                break
            path = self.resolve(mod.path, spec)
            tgt = self.module(path) if path is not None else None
            if tgt is not None:
                got = self.export(tgt, name, depth + 1, seen)
                if got is not None:
                    return got
        return None

    def local(self, mod: Module, name: str, depth: int = 0, seen: set[tuple[Path, str]] | None = None) -> Target | None:
        """What a top-level name of `mod` is bound to: a local definition or an import."""
        if depth == 0 and seen is None:
            names = self._local_cache.get(mod.path)
            if names is None:
                names = self._local_cache[mod.path] = {}
            elif name in names:
                got = names[name]
                if got is not None:
                    self.module(got.module.path)  # Recorded as read by this extraction too.
                return got
            got = self._local(mod, name, 0, None)
            names[name] = got
            return got
        return self._local(mod, name, depth, seen)

    def _local(self, mod: Module, name: str, depth: int, seen: set[tuple[Path, str]] | None) -> Target | None:
        node = mod.locals.get(name)
        if node is not None:
            return Target(mod, node)
        if name in mod.imports:
            spec, imported = mod.imports[name]
            path = self.resolve(mod.path, spec)
            tgt = self.module(path) if path is not None else None
            if tgt is None:
                return None
            if imported == "*":
                if tgt.cjs_value is not None:
                    return Target(tgt, tgt.cjs_value)
                return Target(tgt, None)
            return self.export(tgt, imported, depth + 1, seen)
        return None

    def value(self, target: Target, user: Module, depth: int) -> Value:
        """The value of a module's top-level node as `user` sees it (its ranges placed in the
        module's file), remembered for the program's other readers."""

        assert target.node is not None and target.module.ev is not None
        key = (target.module.path, target.node.id)
        got = self._values.get(key)
        if got is None:
            ev = target.module.ev
            cut0 = ev.cutoffs
            got = tag(not_literal(ev.value(target.node, depth)), target.module.path)
            if ev.cutoffs == cut0 and not ev.env:
                self._values[key] = got
        return got

    def remembers(self, target: Target) -> bool:
        """True when `value(target, ...)` is remembered: it depends on the modules alone (no
        bindings of a call, no depth cut-off)."""
        return target.node is not None and (target.module.path, target.node.id) in self._values

    def function(self, target: Target | None) -> Target | None:
        """`target` when it is a function (a declaration, or a function or arrow value)."""
        if target is None or target.node is None:
            return None
        return target if target.node.type in _FUNCTION_TYPES else None
