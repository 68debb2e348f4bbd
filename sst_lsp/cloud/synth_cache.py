"""Incremental embedded synth (cloud layer): which stacks changed, and a complete assembly swapped
into place. Used by `synth_embedded.synthesize`; imports neither jsii nor the model.

A warm synth worker synthesizes the same stage into the same folder again and again, usually
after a small edit. Rebuilding every stack with aws-cdk-lib costs ~50 ms per stack of jsii round
trips, so the engine rebuilds only what changed and reuses the rest of the previous assembly:

- **Groups.** Stacks that refer to each other's constructs (`use(StorageStack)`, a Table's
  `tableName` in another stack's environment) are coupled: CDK writes an export into the
  producer's template for each import in the consumer. `stack_groups` joins every stack with
  the stacks its references may resolve to (the same rule as the engine's variable lookup), and
  a group is rebuilt or reused as a whole. Groups share nothing else: their templates are the
  same whether or not the other groups are in the same CDK app.
- **Keys.** A group's key hashes its stacks' specs, the app-wide settings, and a signature of
  every asset folder its functions ship (`asset_signature`: relative paths, inodes, sizes and
  modification times of the files CDK would fingerprint, the same file identity aws-cdk-lib's
  own fingerprint cache trusts). An edited handler therefore rebuilds the groups that ship it.
- **Swap.** Every synth writes a fresh staging folder next to the output folder: the rebuilt
  groups come from CDK, the reused groups' files (templates, asset manifests, metadata, staged
  asset folders) are moved over from the previous assembly, manifest.json and tree.json are
  merged, and the staging folder then replaces the output folder. A failed synth leaves the
  previous assembly as it was, and a reader never sees a half-written one.
- **Trust.** The previous assembly is reused only while its manifest.json is byte for byte the
  one this process wrote and every file a reused group needs is still there; otherwise
  everything is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Bumped when the engine's output for the same spec changes shape (keys from older code die).
ENGINE_REVISION = "2"

#: How many output folders one process remembers (one per stage the user works with).
MAX_FOLDERS = 16

#: Characters that make an exclude pattern a glob this module does not interpret.
_GLOB_CHARS = frozenset("*?[]{}!+@()")


# ----------------------------------------------------------------------------------------------
# Which stacks depend on which.
# ----------------------------------------------------------------------------------------------

Decls = Mapping[str, Sequence[tuple[str, str]]]


def declarations(stacks: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """Variable name -> the (stack id, construct id) of every construct held in a variable."""
    out: dict[str, list[tuple[str, str]]] = {}
    for st in stacks:
        for c in st.get("constructs", []):
            var = c.get("var")
            if isinstance(var, str) and var:
                out.setdefault(var, []).append((str(st["id"]), str(c["id"])))
    return out


def resolve_var(decls: Decls, var: str, stack: str) -> tuple[str, str] | None:
    """The construct a variable names when used in `stack`: the stack's own construct of that
    name (JavaScript scoping: a stack function's `const` wins), else the only one in the app
    (a construct handed over by `use()` or a stack's return value), else none."""
    found = decls.get(var, ())
    same = [d for d in found if d[0] == stack]
    if same:
        return same[0] if len(same) == 1 else None
    return found[0] if len(found) == 1 else None


def references(stack: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """The variables a stack's spec refers to (`{"$ref": "table.tableName"}`, a route's
    `fn_ref`, a topic's queue subscriber) and the stacks of the constructs it names directly
    (`{"$construct": {"stack": ...}}`, a construct created inside a `bind` list)."""
    names: set[str] = set()
    stacks: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            ref = v.get("$ref")
            if isinstance(ref, str):
                names.add(ref.split(".")[0])
            made = v.get("$construct")
            if isinstance(made, dict) and made.get("stack") is not None:
                stacks.add(str(made["stack"]))
            fn_ref = v.get("fn_ref")
            if isinstance(fn_ref, str):
                names.add(fn_ref)
            for k, x in v.items():
                if k != "var":
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for c in stack.get("constructs", []):
        walk(c)
        for q in c.get("queue_subscribers", []):
            if isinstance(q, dict) and isinstance(q.get("var"), str):
                names.add(q["var"])
    walk(stack.get("outputs", []))
    walk(stack.get("auth_grants", []))
    return names, stacks


def stack_groups(stacks: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """The stacks (as indexes) that must be built together, each group in spec order, groups
    ordered by their first stack. Conservative: a reference joins its stack with every stack
    declaring that name unless the stack declares it itself."""
    parent = list(range(len(stacks)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int | None) -> None:
        if j is not None:
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)

    index = {str(st["id"]): i for i, st in enumerate(stacks)}
    decls = declarations(stacks)
    for i, st in enumerate(stacks):
        names, direct = references(st)
        for var in names:
            found = decls.get(var, ())
            if any(sid == str(st["id"]) for sid, _ in found):
                continue
            for sid, _ in found:
                join(i, index.get(sid))
        for sid in direct:
            join(i, index.get(sid))
    groups: dict[int, list[int]] = {}
    for i in range(len(stacks)):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


# ----------------------------------------------------------------------------------------------
# Change detection.
# ----------------------------------------------------------------------------------------------


def _prunable(excludes: Sequence[str]) -> tuple[frozenset[str], frozenset[str], tuple[tuple[str, str], ...]]:
    """The exclude patterns whose meaning under aws-cdk-lib's glob ignore (minimatch with
    `matchBase`) is certain: literal base names (any depth), literal relative paths, and
    literal relative paths ending in `*`. Anything else is not pruned (a walk that looks at more
    files than CDK can only see spurious changes, never miss one). A negated pattern can bring
    back anything, so with one present nothing is pruned."""
    if any(p.startswith("!") for p in excludes):
        return frozenset(), frozenset(), ()
    names: set[str] = set()
    paths: set[str] = set()
    prefixes: list[tuple[str, str]] = []
    for p in excludes:
        p = p.strip().strip("/")
        if not p or p.startswith("./"):
            continue
        if "/" not in p:
            if not _GLOB_CHARS & set(p):
                names.add(p)
            continue
        head, _, last = p.rpartition("/")
        if _GLOB_CHARS & set(head):
            continue
        if not _GLOB_CHARS & set(last):
            paths.add(p)
        elif last.endswith("*") and last[:-1] and not _GLOB_CHARS & set(last[:-1]):
            prefixes.append((head, last[:-1]))
    return frozenset(names), frozenset(paths), tuple(prefixes)


def asset_signature(folder: str | Path, excludes: Sequence[str] = ()) -> str:
    """A digest that changes whenever a file CDK would ship from `folder` may have changed.

    Symbolic links are followed (CDK's default for Lambda code follows links that leave the
    folder and hashes the target of the others; following all of them sees at least as much).
    """
    root = Path(folder)
    h = hashlib.sha256()
    try:
        st = root.stat()
    except OSError:
        return "missing"
    if not stat.S_ISDIR(st.st_mode):
        h.update(f"file|{st.st_ino}|{st.st_mtime_ns}|{st.st_size}".encode())
        return h.hexdigest()
    names, paths, prefixes = _prunable(excludes)
    seen: set[tuple[int, int]] = set()

    def pruned(rel: str, name: str) -> bool:
        if name in names or rel in paths:
            return True
        head = rel.rpartition("/")[0]
        return any(head == ph and name.startswith(pp) for ph, pp in prefixes)

    def walk(d: Path, rel: str, dst: os.stat_result) -> None:
        ident = (dst.st_dev, dst.st_ino)
        if ident in seen:
            h.update(f"cycle|{rel}\n".encode())
            return
        seen.add(ident)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as err:
            h.update(f"unreadable|{rel}|{err.errno}\n".encode())
            return
        for e in entries:
            erel = f"{rel}/{e.name}" if rel else e.name
            if pruned(erel, e.name):
                continue
            try:
                is_link = e.is_symlink()
                target = os.readlink(e.path) if is_link else ""
                est = os.stat(e.path)
            except OSError:
                h.update(f"broken|{erel}|{target if is_link else ''}\n".encode())
                continue
            if stat.S_ISDIR(est.st_mode):
                # Like CDK's fingerprint, only files and links count: an empty folder ships nothing.
                if is_link:
                    h.update(f"link|{erel}|{target}\n".encode())
                walk(Path(e.path), erel, est)
            else:
                h.update(f"file|{erel}|{target}|{est.st_ino}|{est.st_mtime_ns}|{est.st_size}\n".encode())
        seen.discard(ident)

    walk(root, "", st)
    return h.hexdigest()


class Signatures:
    """Asset signatures memoised for one synth (many functions ship the same folder)."""

    def __init__(self) -> None:
        self._memo: dict[tuple[str, tuple[str, ...]], str] = {}

    def of(self, folder: str, excludes: Sequence[str]) -> str:
        key = (folder, tuple(excludes))
        if key not in self._memo:
            self._memo[key] = asset_signature(folder, excludes)
        return self._memo[key]


def _assets_of(v: Any, out: set[tuple[str, tuple[str, ...]]]) -> None:
    if isinstance(v, dict):
        asset = v.get("asset")
        if isinstance(asset, str) and "handler" in v:
            out.add((asset, tuple(str(x) for x in v.get("exclude") or ())))
        for x in v.values():
            _assets_of(x, out)
    elif isinstance(v, list):
        for x in v:
            _assets_of(x, out)


def group_key(spec: Mapping[str, Any], stacks: Sequence[Mapping[str, Any]], signatures: Signatures) -> str:
    """The identity of a group's output: its stacks' specs, the app's settings, its assets."""
    assets: set[tuple[str, tuple[str, ...]]] = set()
    _assets_of(list(stacks), assets)
    data = {
        "engine": ENGINE_REVISION,
        "app": spec.get("app"),
        "stage": spec.get("stage"),
        "region": spec.get("region"),
        "stacks": list(stacks),
        "assets": sorted([a, list(x), signatures.of(a, x)] for a, x in assets),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# The pieces of an assembly, and putting them together.
# ----------------------------------------------------------------------------------------------


@dataclass
class Piece:
    """What one group contributed to an assembly, enough to put it into the next one."""

    key: str
    #: {id, name, template (file name), resources, outputs} per stack, in spec order.
    stacks: list[dict[str, Any]]
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The manifest artifacts of its stacks (each stack's asset manifest and stack), in order.
    artifacts: dict[str, Any] = field(default_factory=dict)
    #: tree.json's node for each of its stacks.
    tree: dict[str, Any] = field(default_factory=dict)
    #: Every file or folder of the assembly it needs, relative to the assembly.
    files: list[str] = field(default_factory=list)

    def present_in(self, folder: Path) -> bool:
        return all((folder / f).exists() for f in self.files)


@dataclass
class FolderCache:
    """What this process last wrote into one output folder."""

    manifest_digest: str = ""
    keys: list[str] = field(default_factory=list)
    pieces: dict[str, Piece] = field(default_factory=dict)
    #: manifest.json without the stacks' artifacts, tree.json without the stacks' nodes.
    base_manifest: dict[str, Any] = field(default_factory=dict)
    base_tree: dict[str, Any] | None = None
    version_file: str = ""


_FOLDERS: OrderedDict[str, FolderCache] = OrderedDict()


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def cache_for(out: Path) -> FolderCache:
    """This process's record of `out`, or an empty one when the folder is not what it wrote."""
    key = str(out.resolve())
    cache = _FOLDERS.get(key)
    if cache is None or not cache.manifest_digest or _digest(out / "manifest.json") != cache.manifest_digest:
        return FolderCache()
    return cache


def remember(out: Path, cache: FolderCache) -> None:
    key = str(out.resolve())
    _FOLDERS[key] = cache
    _FOLDERS.move_to_end(key)
    while len(_FOLDERS) > MAX_FOLDERS:
        _FOLDERS.popitem(last=False)


def forget_all() -> None:
    """Drops every record (the next synth of any folder rebuilds everything)."""
    _FOLDERS.clear()


def staging_dir(out: Path) -> Path:
    """The fresh folder a synth writes before it replaces `out` (a sibling, same file system)."""
    return out.parent / f"{out.name}.next-{os.getpid()}"


def sibling_patterns(name: str) -> tuple[str, ...]:
    """Glob patterns (relative to the output folder's parent) of the temporary siblings a synth
    creates, for asset excludes."""
    return (f"{name}.next-*", f"{name}.old-*")


def _stack_artifacts(manifest: Mapping[str, Any], name: str) -> dict[str, Any]:
    arts = manifest.get("artifacts") or {}
    return {aid: a for aid, a in arts.items() if aid == name or str(aid).startswith(name + ".")}


def _artifact_files(folder: Path, artifacts: Mapping[str, Any]) -> list[str]:
    files: list[str] = []
    for a in artifacts.values():
        props = a.get("properties") or {}
        for f in (props.get("templateFile"), props.get("file"), a.get("additionalMetadataFile")):
            if isinstance(f, str):
                files.append(f)
        if a.get("type") == "cdk:asset-manifest" and isinstance(props.get("file"), str):
            try:
                am = json.loads((folder / props["file"]).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for entry in (am.get("files") or {}).values():
                p = (entry.get("source") or {}).get("path")
                if isinstance(p, str):
                    files.append(p)
            for entry in (am.get("dockerImages") or {}).values():
                p = (entry.get("source") or {}).get("directory")
                if isinstance(p, str):
                    files.append(p)
    return list(dict.fromkeys(files))


def read_assembly(folder: Path) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """A fresh CDK assembly's manifest.json, tree.json (when written) and version file."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    tree: dict[str, Any] | None = None
    tree_file = folder / "tree.json"
    if tree_file.is_file():
        tree = json.loads(tree_file.read_text(encoding="utf-8"))
    try:
        version = (folder / "cdk.out").read_text(encoding="utf-8")
    except OSError:
        version = ""
    return manifest, tree, version


def fill_piece(piece: Piece, folder: Path, manifest: Mapping[str, Any], tree: Mapping[str, Any] | None) -> None:
    """Records a freshly built group's artifacts, tree nodes and files."""
    children = ((tree or {}).get("tree") or {}).get("children") or {}
    for s in piece.stacks:
        arts = _stack_artifacts(manifest, s["name"])
        piece.artifacts.update(arts)
        piece.files.extend(f for f in _artifact_files(folder, arts) if f not in piece.files)
        if s["name"] in children:
            piece.tree[s["name"]] = children[s["name"]]


def bases(manifest: Mapping[str, Any], tree: Mapping[str, Any] | None,
          names: Iterable[str]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """manifest.json and tree.json without the given stacks' artifacts and nodes."""
    stack_arts: set[str] = set()
    names = list(names)
    for n in names:
        stack_arts.update(_stack_artifacts(manifest, n))
    base = dict(manifest)
    base["artifacts"] = {k: v for k, v in (manifest.get("artifacts") or {}).items() if k not in stack_arts}
    base_tree: dict[str, Any] | None = None
    if tree is not None:
        # Shallow copies: the nodes themselves are never changed, only which ones are listed.
        root = dict(tree.get("tree") or {})
        children = root.get("children")
        if isinstance(children, dict):
            root["children"] = {k: v for k, v in children.items() if k not in names}
        base_tree = {**tree, "tree": root}
    return base, base_tree


def merge_into(stage: Path, previous: Path, pieces: Sequence[Piece], reused: set[str], cache: FolderCache) -> None:
    """Moves the reused pieces' files from `previous` into `stage` and writes the merged
    manifest.json and tree.json there (the stacks in `pieces` order, then the app's own
    artifacts and nodes)."""
    for p in pieces:
        if p.key not in reused:
            continue
        for f in p.files:
            src, dst = previous / f, stage / f
            if dst.exists() or not src.exists():
                # Staged assets are named by content: a rebuilt group may have staged it already.
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    artifacts: dict[str, Any] = {}
    for p in pieces:
        artifacts.update(p.artifacts)
    artifacts.update(cache.base_manifest.get("artifacts") or {})
    manifest = {**cache.base_manifest, "artifacts": artifacts}
    # Compact: `indent` makes json use its pure-Python encoder, which cost most of a warm
    # re-synth of one stack (tree.json holds every construct of every stack).
    (stage / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if cache.base_tree is not None:
        root = dict(cache.base_tree.get("tree") or {})
        children = root.get("children")
        if isinstance(children, dict):
            nodes: dict[str, Any] = {}
            for p in pieces:
                nodes.update(p.tree)
            root["children"] = {**nodes, **children}
        tree = {**cache.base_tree, "tree": root}
        (stage / "tree.json").write_text(json.dumps(tree), encoding="utf-8")
    if cache.version_file and not (stage / "cdk.out").exists():
        (stage / "cdk.out").write_text(cache.version_file, encoding="utf-8")


def swap(stage: Path, out: Path) -> None:
    """Puts `stage` in the place of `out` (two renames on one file system) and deletes the old
    assembly."""
    old = out.parent / f"{out.name}.old-{os.getpid()}"
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        os.replace(out, old)
    os.replace(stage, out)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def digest(path: Path) -> str:
    return _digest(path)
