"""The analysis host (pure layer, between the analyzers/ide/baseline and their drivers).

`host.AnalysisHost` owns the inputs (file texts through one `FileSource`, workspace roots) and
every cache derived from them; `AnalysisHost.analysis()` hands out immutable `host.Analysis`
snapshots. The language server and `sst-lsp check` both drive it, so they cannot disagree.
`severity.apply_severity` is the one place severity overrides are applied.

This package module imports nothing, so `sst_lsp.host.severity` stays light (a check whose
results all come from its cache loads no parser).
"""
