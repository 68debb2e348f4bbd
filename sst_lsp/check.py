"""`sst-lsp check`: the analyzers over files on disk, rendered as text, JSON or SARIF.

Sits beside the server (it uses the model and analyzers, never pygls). Paths in the output are
relative to the current directory; columns in JSON and SARIF are UTF-16 code units, as in LSP.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sst_lsp import __version__, logs
from sst_lsp.model.finding import Finding
from sst_lsp.syntax.text import LineIndex, TextRange

if TYPE_CHECKING:
    from sst_lsp.cache import CheckCache
    from sst_lsp.model.derived_facts import DerivedFacts
    from sst_lsp.model.discover import AppRoot

# The analyzers and the index (with tree-sitter) are imported where they are used: a check whose
# apps all come from the cache never loads them.

SEVERITY_RANK = {"error": 0, "warning": 1, "information": 2, "hint": 3}


@dataclass
class CheckResult:
    findings: list[Finding]
    apps: int = 0
    stacks: int = 0
    constructs: int = 0
    handlers: int = 0
    unresolved: int = 0
    files: int = 0
    baseline: str | None = None
    notes: list[str] = field(default_factory=list)
    #: Why a baseline was asked for but is missing for some app (empty when every app that has
    #: stacks got one, or no baseline was asked for): `--baseline-required` fails on these.
    baseline_problems: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def run_check(
    paths: Iterable[Path],
    baseline: str | None = None,
    severity_overrides: dict[str, str] | None = None,
    stage: str = "dev",
    exclude: Iterable[str] = (),
    use_cache: bool = False,
) -> CheckResult:
    """Analyzes every SST app under `paths` (directories, or files inside apps).

    With `use_cache`, facts, export tables and resolutions are read from and written to each
    app's `.sst-lsp/cache/` (see `sst_lsp.cache`); the findings are the same either way.
    """
    # A check builds many small immutable objects and keeps them all until it ends: the cyclic
    # garbage collector would only walk them over and over (about 15% of a large run).
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_check(paths, baseline, severity_overrides, stage, exclude, use_cache)
    finally:
        if gc_enabled:
            gc.enable()


def _run_check(
    paths: Iterable[Path],
    baseline: str | None,
    severity_overrides: dict[str, str] | None,
    stage: str,
    exclude: Iterable[str],
    use_cache: bool = False,
) -> CheckResult:
    roots: list[Path] = []
    only_files: set[Path] = set()
    for p in paths:
        p = Path(os.path.abspath(p))
        if p.is_file():
            only_files.add(p)
            roots.append(_app_dir_of(p) or p.parent)
        else:
            roots.append(p)
    if use_cache and (not baseline or baseline == "off"):
        return _run_cached(roots, tuple(exclude), only_files, severity_overrides, stage)
    logs.ensure()
    from sst_lsp.host.host import AnalysisHost, AnalysisOptions
    from sst_lsp.model.files import FileSource

    # The same host the language server drives: baselines and severity overrides are applied
    # there, so the checker and the editor cannot disagree.
    host = AnalysisHost(roots, exclude=exclude, fs=FileSource(texts={}))
    _unbounded_memos(host.resolver.derived)
    store = None
    if use_cache:
        from sst_lsp.cache import CheckCache

        store = CheckCache([a.root for a in host.app_roots()])
        host.index.store = store
        host.resolver.store = store
    analysis = host.analysis()
    snap = analysis.snapshot
    _drop_parses(host)
    notes: list[str] = []
    problems: list[str] = []
    spec = baseline if baseline and baseline != "off" else None
    loaded = analysis.baseline(spec)
    if spec is not None:
        notes.extend(loaded.notes)
        if loaded.missing:
            # The notes say why (no repository, unknown ref, no assembly, ...).
            problems.extend(notes or [f"No baseline {baseline} for {', '.join(map(str, loaded.missing))}"])
    findings = analysis.findings(AnalysisOptions(stage=stage, baseline=spec), severity_overrides)
    if store is not None:
        store.save()
    if only_files:
        findings = [f for f in findings if f.path in only_files]
    res = CheckResult(
        findings=findings,
        apps=len(snap.apps),
        stacks=sum(len(a.stacks) for a in snap.apps),
        constructs=sum(len(a.constructs) for a in snap.apps),
        handlers=sum(len(a.handlers) for a in snap.apps),
        unresolved=sum(a.unresolved for a in snap.apps),
        files=len(snap.facts),
        baseline=_describe_baseline(baseline, loaded.base, dict(loaded.per_app.items())),
        notes=notes,
        baseline_problems=problems,
    )
    return res


def _app_roots(roots: list[Path], exclude: tuple[str, ...]) -> list[AppRoot]:
    """The apps under `roots`, as `WorkspaceIndex.app_roots` finds them."""
    from sst_lsp.model.discover import discover_apps

    found: dict[Path, AppRoot] = {}
    for r in roots:
        for a in discover_apps(r, exclude):
            found.setdefault(a.root, a)
    return sorted(found.values(), key=lambda a: str(a.root))


def _run_cached(roots: list[Path], exclude: tuple[str, ...], only_files: set[Path],
                severity_overrides: dict[str, str] | None, stage: str) -> CheckResult:
    """The check without a baseline, one app at a time through the cache: an app none of whose
    inputs (the files it read, the folders it listed) changed takes its findings and counts from
    the cache; any other is built in an index of its own, recording its inputs, with the facts,
    export tables and resolutions that did not change taken from the cache."""
    from sst_lsp.cache import CheckCache

    app_roots = _app_roots(roots, exclude)
    store = CheckCache([a.root for a in app_roots])
    key = ("check", stage, exclude)
    findings: list[Finding] = []
    counts = [0, 0, 0, 0, 0]  # apps, stacks, constructs, handlers, unresolved
    files: set[str] = set()
    derived: DerivedFacts | None = None
    for ar in app_roots:
        got = store.result(ar.root, key)
        logs.debug(__name__, "%s: %s", ar.root, "result from the cache" if got is not None else "checking")
        if got is None:
            if derived is None:
                logs.ensure()  # What is built may log (a cached result logs nothing).
                from sst_lsp.model.derived_facts import DerivedFacts

                derived = _unbounded_memos(DerivedFacts())
            got = _check_app(ar, store, exclude, stage, derived)
            store.put_result(ar.root, key, got)
        app_findings, app_counts, app_files = got
        findings.extend(app_findings)
        counts = [a + b for a, b in zip(counts, app_counts)]
        files.update(app_files)
    store.save()
    findings.sort(key=Finding.sort_key)
    findings = apply_severity(findings, severity_overrides or {})
    if only_files:
        findings = [f for f in findings if f.path in only_files]
    return CheckResult(findings=findings, apps=counts[0], stacks=counts[1], constructs=counts[2],
                       handlers=counts[3], unresolved=counts[4], files=len(files))


#: Characters of parsed text from which `_drop_parses` collects the garbage at once.
COLLECT_AFTER_PARSES = 1_000_000


def _drop_parses(host: Any) -> None:
    """One run needs no trees kept for incremental reparses once the snapshot is built: they
    would only add to the analyzers' peak (a 200,000-route file: 476 -> 413 MB). The revision's
    module program holds them in reference cycles (and the check runs without the cyclic
    collector): a large one is collected at once (0.4 s for that file)."""
    if host.index.drop_parses() >= COLLECT_AFTER_PARSES:
        gc.collect()


def _check_app(ar: AppRoot, store: CheckCache, exclude: tuple[str, ...], stage: str,
               derived: DerivedFacts) -> tuple[object, ...]:
    """One app's findings and counts, built in an index of its own that records its inputs."""
    import dataclasses

    from sst_lsp.host.host import AnalysisHost, AnalysisOptions

    sub = AnalysisHost([ar.root], fs=store.recorder(), exclude=exclude)
    sub.index.store = sub.resolver.store = store
    # The text-derived facts are shared by the apps of one run (a monorepo's shared packages).
    sub.resolver.derived = derived
    analysis = sub.analysis()
    snap = analysis.snapshot
    _drop_parses(sub)
    apps = tuple(a for a in snap.apps if a.root == ar.root)
    mine = dataclasses.replace(analysis, snapshot=dataclasses.replace(snap, apps=apps))
    return (
        tuple(mine.findings(AnalysisOptions(stage=stage))),
        (len(apps), sum(len(a.stacks) for a in apps), sum(len(a.constructs) for a in apps),
         sum(len(a.handlers) for a in apps), sum(a.unresolved for a in apps)),
        tuple(sorted(map(str, snap.facts))),
    )


def _unbounded_memos(derived: DerivedFacts) -> DerivedFacts:
    """A check reads each file once and keeps its text anyway (`FileSource(texts=...)`): its
    text-derived memos need no bound (the server's keep theirs)."""
    for memo in (derived.code_facts, derived.binding_calls):
        memo.maxsize = memo.max_chars = sys.maxsize
    return derived


def apply_severity(findings: list[Finding], overrides: dict[str, str]) -> list[Finding]:
    """Per-code severity overrides ("off" drops the code): the host's, for cached findings."""
    from sst_lsp.host.severity import apply_severity as host_apply_severity

    return host_apply_severity(findings, overrides)


def _app_dir_of(p: Path) -> Path | None:
    from sst_lsp.model.discover import CONFIG_NAMES

    for d in p.parents:
        if (d / "sst.json").is_file() or any((d / n).is_file() for n in CONFIG_NAMES):
            return d
    return None


# ----------------------------------------------------------------------------------------------
# Rendering.
class _Lines:
    """UTF-16 conversion per file, reading each file once."""

    def __init__(self) -> None:
        self._idx: dict[Path, LineIndex] = {}

    def index(self, path: Path) -> LineIndex:
        li = self._idx.get(path)
        if li is None:
            try:
                text = path.read_bytes().decode("utf-8", errors="replace")
            except OSError:
                text = ""
            li = self._idx[path] = LineIndex(text)
        return li

    def utf16(self, path: Path, r: TextRange) -> dict[str, dict[str, int]]:
        li = self.index(path)
        return {
            "start": {"line": r.start.line, "character": li.to_utf16(r.start)},
            "end": {"line": r.end.line, "character": li.to_utf16(r.end)},
        }


def _rel(p: Path) -> str:
    try:
        return os.path.relpath(p)
    except ValueError:
        return str(p)


def render_text(res: CheckResult, stats: bool = False) -> str:
    lines = []
    for f in res.findings:
        lines.append(
            f"{_rel(f.path)}:{f.range.start.line + 1}:{f.range.start.col + 1}: {f.severity} {f.code}: {f.message}"
        )
    for n in res.notes:
        lines.append(f"note: {n}")
    errors = res.errors
    warnings = sum(1 for f in res.findings if f.severity == "warning")
    summary = f"{res.apps} app(s), {res.stacks} stack(s), {res.handlers} handler(s): {errors} error(s), {warnings} warning(s)"
    if res.baseline:
        summary += f" (baseline {res.baseline})"
    lines.append(summary)
    if stats:
        lines.append(render_stats(res))
    return "\n".join(lines)


def render_stats(res: CheckResult) -> str:
    """One line of counts; `unresolved` counts handler positions that were skipped because their
    value is not statically known (loop variables, function calls, imports)."""
    return (
        f"stats: apps={res.apps} stacks={res.stacks} files={res.files} constructs={res.constructs} "
        f"handlers={res.handlers} unresolved={res.unresolved} (handler positions skipped: not statically resolvable)"
    )


def render_json(res: CheckResult) -> str:
    """A JSON list of diagnostics (ranges 0-based, characters in UTF-16 code units, as in LSP).

    The text is what `json.dumps(items, indent=2, ensure_ascii=False)` writes, built from one
    template per item with its strings escaped by json's own (C) encoder: json's indenting
    encoder is written in Python and took a tenth of a cached check's time."""
    from json.encoder import encode_basestring as q

    li = _Lines()
    items = []
    for f in res.findings:
        r = li.utf16(f.path, f.range)
        start, end = r["start"], r["end"]
        items.append(_JSON_ITEM.format(
            path=q(_rel(f.path)), sl=int(start["line"]), sc=int(start["character"]), el=int(end["line"]),
            ec=int(end["character"]), severity=q(f.severity), code=q(f.code), message=q(f.message)))
    return "[\n" + ",\n".join(items) + "\n]" if items else "[]"


#: One diagnostic of `render_json`, indented as an item of the list.
_JSON_ITEM = """  {{
    "path": {path},
    "range": {{
      "start": {{
        "line": {sl},
        "character": {sc}
      }},
      "end": {{
        "line": {el},
        "character": {ec}
      }}
    }},
    "severity": {severity},
    "code": {code},
    "message": {message},
    "source": "sst-lsp"
  }}"""


_SARIF_LEVEL = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}


def render_sarif(res: CheckResult) -> str:
    """SARIF 2.1.0 for code scanning (columns 1-based, UTF-16 as GitHub expects)."""
    import json

    from sst_lsp.analyzers import all_codes

    li = _Lines()
    codes = all_codes()
    used = sorted({f.code for f in res.findings} | set(codes))
    rules = []
    for c in used:
        info = codes.get(c)
        rules.append(
            {
                "id": c,
                "name": c,
                "shortDescription": {"text": info.summary if info else c},
                "fullDescription": {"text": (info.doc or info.summary) if info else c},
                "defaultConfiguration": {"level": _SARIF_LEVEL[info.severity] if info else "warning"},
            }
        )
    rule_index = {c: i for i, c in enumerate(used)}
    results = []
    for f in res.findings:
        r = li.utf16(f.path, f.range)
        results.append(
            {
                "ruleId": f.code,
                "ruleIndex": rule_index[f.code],
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": Path(_rel(f.path)).as_posix()},
                            "region": {
                                "startLine": r["start"]["line"] + 1,
                                "startColumn": r["start"]["character"] + 1,
                                "endLine": r["end"]["line"] + 1,
                                "endColumn": r["end"]["character"] + 1,
                            },
                        }
                    }
                ],
            }
        )
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sst-lsp",
                        "version": __version__,
                        "informationUri": "https://github.com/sst-lsp/sst-lsp",
                        "rules": rules,
                    }
                },
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _describe_baseline(spec: str | None, base: object, per_app: dict[object, object]) -> str | None:
    """The baseline as the user should see it: its description (with the resolved commit)."""
    if not spec or spec == "off":
        return None
    descs = {getattr(b, "description", None) for b in [base, *per_app.values()] if b is not None}
    descs.discard(None)
    if len(descs) == 1:
        return str(descs.pop())
    return spec
