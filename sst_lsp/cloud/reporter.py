"""How the cloud engine talks to its caller (cloud layer): progress, log, questions, cancellation.

One engine serves two front ends. The CLI passes a ``TerminalReporter`` (prints, prompts on a
TTY, honours ``--yes``); the language server passes its own implementation that turns
``progress`` into ``$/progress``, ``log`` into the output channel, ``confirm`` into
``window/showMessageRequest`` and ``cancelled`` into the work-done progress token's state. The
engine is synchronous (boto3): the server runs it in a thread.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Protocol, TextIO, runtime_checkable


@runtime_checkable
class Reporter(Protocol):
    """The engine's only channel to the user."""

    def progress(self, message: str, percent: int | None = None) -> None:
        """A short status line (the work-done progress message)."""

    def log(self, line: str) -> None:
        """A line for the log / output channel (every stack event goes here)."""

    def confirm(self, title: str, items: list[str], actions: list[str]) -> str | None:
        """Ask the user; return the chosen action (one of ``actions``) or None (dismissed)."""

    def confirm_typed(self, prompt: str, expected: str) -> bool:
        """Ask the user to type ``expected`` (the stage name of a protected stage)."""

    @property
    def cancelled(self) -> bool:
        """True once the user asked to cancel; the engine stops at the next safe point."""


class NullReporter:
    """Says nothing, answers every question with "no"."""

    cancelled = False

    def progress(self, message: str, percent: int | None = None) -> None:
        pass

    def log(self, line: str) -> None:
        pass

    def confirm(self, title: str, items: list[str], actions: list[str]) -> str | None:
        return None

    def confirm_typed(self, prompt: str, expected: str) -> bool:
        return False


class TerminalReporter:
    """The CLI's reporter: progress and log lines to ``stream`` (stderr), questions on the TTY.

    ``yes=True`` answers generic confirmations with their first action (``--yes``); when stdin is
    not a terminal and ``yes`` is False every question is answered "no", so a CI run never
    hangs. Data-loss consent is a separate flag of the engine (``--allow-data-loss``): the
    engine does not ask when it is given, and ``yes`` does not imply it.
    """

    def __init__(
        self,
        *,
        yes: bool = False,
        stream: TextIO | None = None,
        input_fn: Callable[[str], str] | None = None,
        interactive: bool | None = None,
        verbose: bool = True,
    ) -> None:
        self.yes = yes
        self.stream = stream if stream is not None else sys.stderr
        self.input_fn = input_fn if input_fn is not None else input
        self.interactive = sys.stdin.isatty() if interactive is None else interactive
        self.verbose = verbose
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Called from a SIGINT handler: the engine stops at its next safe point."""
        self._cancelled = True

    def progress(self, message: str, percent: int | None = None) -> None:
        prefix = f"[{percent:3d}%] " if percent is not None else ""
        print(f"{prefix}{message}", file=self.stream, flush=True)

    def log(self, line: str) -> None:
        if self.verbose:
            print(f"  {line}", file=self.stream, flush=True)

    def confirm(self, title: str, items: list[str], actions: list[str]) -> str | None:
        print(title, file=self.stream)
        for item in items:
            print(f"  - {item}", file=self.stream)
        if self.yes and actions:
            return actions[0]
        if not self.interactive or not actions:
            return None
        choices = "/".join(f"[{i + 1}] {a}" for i, a in enumerate(actions))
        try:
            answer = self.input_fn(f"{choices} (anything else: no): ").strip()
        except EOFError:
            return None
        for i, action in enumerate(actions):
            if answer == str(i + 1) or answer.lower() == action.lower():
                return action
        return None

    def confirm_typed(self, prompt: str, expected: str) -> bool:
        if self.yes:
            return True
        if not self.interactive:
            print(f"{prompt} (not a terminal: pass --yes)", file=self.stream)
            return False
        try:
            return self.input_fn(f"{prompt}: ").strip() == expected
        except EOFError:
            return False
