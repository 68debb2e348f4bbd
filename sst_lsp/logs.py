"""How the command line logs (a leaf: `logging` itself is imported only when something may log).

`sst-lsp check` with every app in its cache logs nothing and need not load `logging` (a tenth of
its start-up): `configure(verbose, defer=True)` then only remembers the level, and `ensure()`
(called before any app is built) sets up the handler, the same one `configure` would have.
`debug` logs only when `logging` is loaded: before that no handler could show the message, since
the level is WARNING unless `--verbose` configured (and loaded) it.
"""

from __future__ import annotations

import sys

#: The format of every line the command line logs to stderr.
FORMAT = "%(levelname)s %(name)s: %(message)s"

_pending: list[bool] = []


def configure(verbose: bool, defer: bool = False) -> None:
    """Logs to stderr, DEBUG with `verbose`, else WARNING; with `defer` (and not `verbose`),
    only at the first `ensure()`."""
    if defer and not verbose:
        _pending[:] = [verbose]
        return
    _pending.clear()
    import logging

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr, format=FORMAT)


def ensure() -> None:
    """Sets up the logging `configure` deferred, if it did."""
    if _pending:
        configure(_pending[0])


def debug(name: str, msg: str, *args: object, exc_info: bool = False) -> None:
    """`logging.getLogger(name).debug(msg, *args)`, when `logging` is loaded (see the module)."""
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.getLogger(name).debug(msg, *args, exc_info=exc_info)
