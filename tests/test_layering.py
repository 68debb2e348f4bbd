"""The layering rule, checked on the AST of every module under sst_lsp/.

catalog -> syntax -> model -> analyzers/ide -> host -> server, with baseline beside the analyzers
and cloud beside everything (called only from server/commands.py and cli.py). The catalog (what the
project knows about each construct) is pure data: it imports the standard library and itself only.
The analysis host (sst_lsp/host) is pure too: the server and `check` drive it. The pure layers never import
LSP, AWS or CDK libraries; only sst_lsp/server speaks LSP.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "sst_lsp"

PURE_LAYERS = ("catalog", "syntax", "model", "analyzers", "ide", "baseline", "host")
#: What the pure layers must never import (imports inside functions and TYPE_CHECKING count).
FORBIDDEN_IN_PURE = ("pygls", "lsprotocol", "boto3", "botocore", "aws_cdk", "sst_lsp.server", "sst_lsp.cloud")
LSP_LIBS = ("pygls", "lsprotocol")
#: Inner layers do not reach outward.
OUTWARD = {
    "catalog": ("sst_lsp.syntax", "sst_lsp.model", "sst_lsp.analyzers", "sst_lsp.ide", "sst_lsp.baseline",
                "sst_lsp.server", "sst_lsp.cloud", "sst_lsp.settings", "sst_lsp.cache", "sst_lsp.check",
                "sst_lsp.cli", "sst_lsp.host"),
    "syntax": ("sst_lsp.model", "sst_lsp.analyzers", "sst_lsp.ide", "sst_lsp.baseline", "sst_lsp.host"),
    "model": ("sst_lsp.analyzers", "sst_lsp.ide", "sst_lsp.host"),
    # The host drives the analyzers and ide; they never reach back to it.
    "analyzers": ("sst_lsp.host",),
    "ide": ("sst_lsp.host",),
    "baseline": ("sst_lsp.host",),
}
#: The only modules outside sst_lsp/cloud that may call the cloud layer.
CLOUD_CALLERS = ("server/commands.py", "cli.py")


def modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def imports_of(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """Every module name an `import` or `from ... import` of this file names (absolute)."""
    text = source if source is not None else path.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(path))
    rel = path.relative_to(PKG.parent).with_suffix("")
    # The package a relative import starts from (for __init__.py, the package itself).
    package = list(rel.parts[:-1])
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
            # `from sst_lsp import server` imports the subpackage.
            out.extend((node.lineno, f"{mod}.{a.name}") for a in node.names)
    return out


def _hits(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layer_of(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_modules_found() -> None:
    found = {layer_of(p) for p in modules()}
    assert {"syntax", "model", "analyzers", "ide", "host", "server", "settings"} <= found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_module_respects_layers(path: Path) -> None:
    layer = layer_of(path)
    rel = path.relative_to(PKG).as_posix()
    problems = []
    for line, name in imports_of(path):
        where = f"{rel}:{line} imports {name}"
        if layer in PURE_LAYERS and _hits(name, FORBIDDEN_IN_PURE):
            problems.append(where)
        if layer != "server" and _hits(name, LSP_LIBS):
            problems.append(where + " (only sst_lsp/server speaks LSP)")
        if _hits(name, OUTWARD.get(layer, ())):
            problems.append(where + f" (layer {layer} must not reach outward)")
        if layer not in ("cloud",) and rel not in CLOUD_CALLERS and _hits(name, ("sst_lsp.cloud",)):
            problems.append(where + " (cloud is called only from server/commands.py and cli.py)")
    assert problems == []


@pytest.mark.parametrize("path", sorted((PKG / "catalog").glob("*.py")), ids=lambda p: p.name)
def test_catalog_imports_the_standard_library_only(path: Path) -> None:
    import sys

    bad = [
        f"{line}: {name}" for line, name in imports_of(path)
        if not name.startswith("sst_lsp.catalog") and name.split(".")[0] not in sys.stdlib_module_names
        and name != "__future__" and not name.startswith("__future__.")
    ]
    assert bad == []


def test_the_checker_sees_relative_and_nested_imports() -> None:
    # The rule is only as good as the import finder: a relative import inside a function and
    # a TYPE_CHECKING import must be seen.
    mod = PKG / "ide" / "definition.py"
    names = [n for _, n in imports_of(mod)]
    assert any(n.startswith("sst_lsp.") for n in names)
    src = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from lsprotocol import types\n"
        "def f():\n    from ..server import convert\n"
    )
    got = [n for _, n in imports_of(PKG / "ide" / "probe.py", src)]
    assert "lsprotocol" in got and "sst_lsp.server" in got
