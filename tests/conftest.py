"""Shared test helpers: fixture apps with inline expectations, and the model snapshot.

Fixture apps live in tests/fixtures/apps/<name>/. Expected diagnostics are written in the
fixture files themselves, rust-analyzer style: a comment line holding carets under the exact
range of the line above it, then the severity and the code:

    "GET /missing": "src/missing.handler",
//                   ^^^^^^^^^^^^^^^^^^^ error handler-not-found

Several marker lines may follow one line; they all refer to the nearest line above that is not
a marker. Columns are code points (what `TextRange` counts). `check_fixture_app(path)` parses the
markers of every file of an app, runs every analyzer over the app and compares the sets of
(path, range, severity, code) exactly, so a missing and an unexpected diagnostic both fail.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from sst_lsp.analyzers import all_codes, run_all
from sst_lsp.analyzers.base import AnalysisContext
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import App, AppSnapshot, Finding, Value
from sst_lsp.syntax.text import TextRange

FIXTURE_APPS = Path(__file__).parent / "fixtures" / "apps"

#: `//   ^^^^ error code` or `#   ^^^^ warning code` (the carets must follow the comment start).
_MARKER = re.compile(r"^\s*(?://|#)(?P<pad>[^\^]*)(?P<carets>\^+)\s+(?P<severity>error|warning|information|hint)"
                     r"\s+(?P<code>[a-z0-9-]+)\s*$")

#: A comment line of carets: a marker, which must then match `_MARKER` (a misspelt severity or a
#: missing code would otherwise make it a plain comment that expects nothing).
_CARETS = re.compile(r"^\s*(?://|#)[^\^]*\^+")

Key = tuple[str, tuple[int, int, int, int], str, str]


@dataclass(frozen=True)
class Marker:
    path: Path
    range: TextRange
    severity: str
    code: str


def parse_markers(path: Path, text: str) -> list[Marker]:
    """The expectation markers of one file's text."""
    out: list[Marker] = []
    target: int | None = None
    for i, line in enumerate(text.split("\n")):
        m = _MARKER.match(line)
        if m is None:
            if _CARETS.match(line) and target is not None:
                raise AssertionError(f"{path}:{i + 1}: a marker must read `^^^ <severity> <code>`: {line.strip()!r}")
            target = i
            continue
        if target is None:
            raise AssertionError(f"{path}:{i + 1}: a marker needs a line above it")
        col = m.start("carets")
        out.append(
            Marker(path, TextRange.of(target, col, target, col + len(m.group("carets"))), m.group("severity"),
                   m.group("code"))
        )
    return out


def fixture_markers(root: Path) -> list[Marker]:
    """Markers of every text file below `root` (build and dependency folders included: a marker
    there would be a bug in the fixture, since nothing may be reported there)."""
    out: list[Marker] = []
    for dirpath, _dirs, files in os.walk(root):
        for name in sorted(files):
            p = Path(dirpath) / name
            try:
                text = p.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            out.extend(parse_markers(p, text))
    return out


def check_marker_codes(root: Path, markers: list[Marker]) -> None:
    """Fails when a marker names a code that no analyzer declares."""
    known = set(all_codes())
    unknown = sorted({(m.path.relative_to(root).as_posix(), m.range.start.line + 1, m.code)
                      for m in markers if m.code not in known})
    if unknown:
        listed = "\n".join(f"  {p}:{line}: {code}" for p, line, code in unknown)
        raise AssertionError(f"fixture app {root.name}: markers name codes that no analyzer declares:\n{listed}")


def analyze_app(root: Path) -> tuple[WorkspaceIndex, AppSnapshot, list[Finding]]:
    index = WorkspaceIndex([root])
    snap = index.snapshot()
    findings = run_all(AnalysisContext(snapshot=snap, resolver=index.resolver))
    return index, snap, findings


def _key(root: Path, path: Path, r: TextRange, severity: str, code: str) -> Key:
    return (path.relative_to(root).as_posix(), (r.start.line, r.start.col, r.end.line, r.end.col), severity, code)


def _describe(root: Path, keys: set[Key], lines: dict[str, list[str]]) -> str:
    out = []
    for rel, (sl, sc, el, ec), sev, code in sorted(keys):
        src = lines.get(rel, [])
        text = src[sl][sc:ec] if sl < len(src) and sl == el else "…"
        out.append(f"  {rel}:{sl + 1}:{sc + 1}-{el + 1}:{ec + 1} {sev} {code}  [{text!r}]")
    return "\n".join(out)


def check_fixture_app(root: Path) -> list[Finding]:
    """Runs every analyzer over the app at `root` and compares its findings with the markers.

    A marker whose code no analyzer declares fails the check (a typo in a code, or an analyzer
    that is missing, must not pass silently). Returns the findings for further checks.
    """
    root = root.resolve()
    markers = fixture_markers(root)
    check_marker_codes(root, markers)
    _index, _snap, findings = analyze_app(root)
    expected = {_key(root, m.path, m.range, m.severity, m.code) for m in markers}
    actual = {_key(root, f.path, f.range, f.severity, f.code) for f in findings}
    if expected != actual:
        lines: dict[str, list[str]] = {}
        for rel, *_ in expected | actual:
            try:
                lines[rel] = (root / rel).read_text(encoding="utf-8").split("\n")
            except OSError:
                lines[rel] = []
        messages = {
            _key(root, f.path, f.range, f.severity, f.code): f.message for f in findings
        }
        unexpected = actual - expected
        detail = "\n".join(f"  {messages[k]}" for k in sorted(unexpected))
        raise AssertionError(
            f"fixture app {root.name}: diagnostics differ from the markers\n"
            f"missing (marked, not reported):\n{_describe(root, expected - actual, lines) or '  -'}\n"
            f"unexpected (reported, not marked):\n{_describe(root, unexpected, lines) or '  -'}\n"
            f"messages of the unexpected ones:\n{detail or '  -'}"
        )
    return findings


# ----------------------------------------------------------------------------------------------
# The model snapshot (expected_model.json beside each fixture app).
# ----------------------------------------------------------------------------------------------


def _r(r: TextRange | None) -> list[int] | None:
    return None if r is None else [r.start.line, r.start.col, r.end.line, r.end.col]


def _rel(p: Path | None, root: Path) -> str | None:
    if p is None:
        return None
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return p.as_posix()


def _value(v: Value | None) -> object:
    return None if v is None else v.to_python()


def app_model(app: App, snap: AppSnapshot, root: Path) -> dict[str, object]:
    """A JSON-able description of one app's model, paths relative to `root`."""
    return {
        "root": _rel(app.root, root),
        "config": _rel(app.config_path, root),
        "generation": app.generation,
        "name": app.name,
        "region": app.region,
        "entry": _rel(app.entry, root),
        "files": [_rel(p, root) for p in app.files],
        "config_errors": [
            {"path": _rel(e.path, root), "range": _r(e.range), "message": e.message} for e in app.config_errors
        ],
        "stacks": [
            {
                "id": s.id,
                "definition": None if s.definition is None else {
                    "name": s.definition.name, "path": _rel(s.definition.path, root), "form": s.definition.form,
                },
                "registration": None if s.registration is None else {
                    "target": s.registration.target, "path": _rel(s.registration.path, root),
                    "range": _r(s.registration.range), "explicit_id": s.registration.explicit_id,
                    "wrapped": s.registration.wrapped,
                },
                "stack_name": s.stack_name,
            }
            for s in app.stacks
        ],
        "stack_defs": [
            {
                "name": d.name, "path": _rel(d.path, root), "form": d.form, "name_range": _r(d.name_range),
                "default_function_props": [_value(v) for v in d.default_function_props], "uses": list(d.uses),
            }
            for d in app.stack_defs
        ],
        "constructs": [
            {
                "kind": c.kind, "origin": c.origin, "id": c.id, "stack": c.stack, "scope": c.scope,
                "path": _rel(c.path, root), "range": _r(c.range), "id_range": _r(c.id_range),
                "var": c.var_name, "dynamic_id": c.dynamic_id, "props": _value(c.props),
            }
            for c in app.constructs
        ],
        "handlers": [
            {
                "handler": h.handler, "path": _rel(h.path, root), "range": _r(h.range), "position": h.position,
                "stack": h.stack, "construct": h.construct_id, "route": h.route, "runtime": h.runtime,
                "src_path": h.src_path, "literal": h.literal,
            }
            for h in app.handlers
        ],
        "routes": [
            {"key": rk.key, "path": _rel(rk.path, root), "range": _r(rk.range), "kind": rk.construct_kind,
             "construct": rk.construct_id, "stack": rk.stack}
            for rk in app.routes
        ],
        "unresolved": app.unresolved,
        "syntax_errors": {
            _rel(p, root): [_r(r) for r in snap.facts[p].syntax_errors]
            for p in app.files
            if p in snap.facts and snap.facts[p].syntax_errors
        },
    }


def model_snapshot(root: Path) -> dict[str, object]:
    root = root.resolve()
    index = WorkspaceIndex([root])
    snap = index.snapshot()
    return {"apps": [app_model(a, snap, root) for a in snap.apps]}


#: Ranges ([line, col, line, col]) on one line keep expected_model.json readable.
_RANGE_JSON = re.compile(r"\[\s+(-?\d+),\s+(-?\d+),\s+(-?\d+),\s+(-?\d+)\s+\]")


def compare_with_expected_model(root: Path) -> None:
    """Compares the model of the app at `root` with `expected_model.json` beside it
    (UPDATE_EXPECT=1 rewrites the file instead)."""
    expected_path = root / "expected_model.json"
    actual = model_snapshot(root)
    text = _RANGE_JSON.sub(r"[\1, \2, \3, \4]", json.dumps(actual, indent=1, ensure_ascii=False)) + "\n"
    if os.environ.get("UPDATE_EXPECT") == "1" or not expected_path.exists():
        expected_path.write_text(text, encoding="utf-8")
        if os.environ.get("UPDATE_EXPECT") != "1":
            pytest.fail(f"{expected_path} did not exist; written now, check it and run again")
        return
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected, (
        f"the model of {root.name} changed; if that is intended, run with UPDATE_EXPECT=1 "
        "and review the diff of expected_model.json"
    )


@pytest.fixture
def fixture_apps() -> Path:
    return FIXTURE_APPS
