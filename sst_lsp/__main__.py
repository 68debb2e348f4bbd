"""`python -m sst_lsp` runs the CLI."""

from __future__ import annotations

from sst_lsp.cli import entry

if __name__ == "__main__":
    entry()
