"""Handler stub templates (layer 3: ide): the code quick fixes write, in one place.

Each template answers a minimal API Gateway-style response, so a new route works at once.
`stub(language, name)` returns None when `name` cannot be written as a function in that
language (a keyword, `default`, a dotted or `Class::Method` name): no quick fix then.
"""

from __future__ import annotations

import keyword
from pathlib import Path

TS_STUB = """export async function {name}(event: unknown) {{
  return {{ statusCode: 200, body: "" }};
}}
"""

JS_STUB = """export async function {name}(event) {{
  return {{ statusCode: 200, body: "" }};
}}
"""

#: CommonJS files (.cjs) cannot use `export`.
CJS_STUB = """exports.{name} = async function {name}(event) {{
  return {{ statusCode: 200, body: "" }};
}};
"""

PYTHON_STUB = """def {name}(event, context):
    return {{"statusCode": 200, "body": ""}}
"""

TEMPLATES = {"ts": TS_STUB, "js": JS_STUB, "cjs": CJS_STUB, "python": PYTHON_STUB}

#: Words JS reserves (a function cannot be named so).
_JS_RESERVED = frozenset(
    {
        "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do",
        "else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in",
        "instanceof", "new", "null", "return", "super", "switch", "this", "throw", "true", "try",
        "typeof", "var", "void", "while", "with", "yield", "let", "static", "implements", "interface",
        "package", "private", "protected", "public", "await",
    }
)


def language_of(path: Path, fallback: str | None = None) -> str | None:
    """The stub language for a file: "ts", "js", "cjs" or "python" (else `fallback`)."""
    suffix = path.suffix.lower()
    if suffix in (".ts", ".tsx", ".mts", ".cts"):
        return "ts"
    if suffix == ".cjs":
        return "cjs"
    if suffix in (".js", ".jsx", ".mjs"):
        return "js"
    if suffix == ".py":
        return "python"
    return fallback


def valid_name(language: str, name: str) -> bool:
    """True when `name` can name a function in `language`."""
    if language == "python":
        return name.isidentifier() and not keyword.iskeyword(name)
    return name.replace("$", "_").isidentifier() and name not in _JS_RESERVED


def stub(language: str | None, name: str) -> str | None:
    """The stub handler `name` in `language`, or None (unknown language, invalid name)."""
    if language is None or language not in TEMPLATES or not valid_name(language, name):
        return None
    return TEMPLATES[language].format(name=name)


def append_text(existing: str, code: str) -> str:
    """What to insert at the end of `existing` to add `code` after one blank line."""
    if not existing.strip():
        return code
    prefix = "" if existing.endswith("\n") else "\n"
    return prefix + "\n" + code
