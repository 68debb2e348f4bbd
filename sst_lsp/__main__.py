"""`python -m sst_lsp` runs the CLI."""

from __future__ import annotations

import sys

from sst_lsp.cli import main

if __name__ == "__main__":
    sys.exit(main())
