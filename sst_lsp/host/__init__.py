"""The analysis host (layer 3.5: between the analyzers/ide/baseline and their drivers).

`AnalysisHost` owns the inputs (file texts through one `FileSource`, workspace roots) and every
cache derived from them; `AnalysisHost.analysis()` hands out immutable `Analysis` snapshots.
The language server and `sst-lsp check` both drive it, so they cannot disagree.
"""

from __future__ import annotations

from sst_lsp.host.host import (
    Analysis,
    AnalysisHost,
    AnalysisOptions,
    LoadedBaseline,
    apply_severity,
)

__all__ = ["Analysis", "AnalysisHost", "AnalysisOptions", "LoadedBaseline", "apply_severity"]
