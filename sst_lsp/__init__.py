"""sst-lsp: editor tooling for SST (Serverless Stack) apps."""

from __future__ import annotations

__version__ = "0.1.0"
