"""The CLI's TerminalReporter: --yes, non-interactive runs, typed confirmations."""

from __future__ import annotations

import io

from sst_lsp.cloud.reporter import NullReporter, Reporter, TerminalReporter


def answers(*replies: str):  # type: ignore[no-untyped-def]
    it = iter(replies)
    return lambda prompt: next(it)


def test_reporters_satisfy_the_protocol() -> None:
    assert isinstance(TerminalReporter(stream=io.StringIO(), interactive=False), Reporter)
    assert isinstance(NullReporter(), Reporter)


def test_yes_picks_the_first_action_and_passes_typed_checks() -> None:
    out = io.StringIO()
    r = TerminalReporter(yes=True, stream=out, interactive=False)
    assert r.confirm("Remove stage 'dev'?", ["delete stack dev-a-B"], ["Remove", "Cancel"]) == "Remove"
    assert r.confirm_typed("type it", "prod")
    assert "delete stack dev-a-B" in out.getvalue()


def test_non_interactive_answers_no() -> None:
    r = TerminalReporter(stream=io.StringIO(), interactive=False, input_fn=answers("1"))
    assert r.confirm("?", [], ["Deploy anyway", "Cancel"]) is None
    assert not r.confirm_typed("type it", "prod")


def test_interactive_prompts() -> None:
    r = TerminalReporter(
        stream=io.StringIO(), interactive=True, input_fn=answers("1", "cancel", "nope", "prod", "prd")
    )
    assert r.confirm("?", [], ["Deploy anyway", "Cancel"]) == "Deploy anyway"
    assert r.confirm("?", [], ["Deploy anyway", "Cancel"]) == "Cancel"
    assert r.confirm("?", [], ["Deploy anyway", "Cancel"]) is None
    assert r.confirm_typed("type it", "prod")
    assert not r.confirm_typed("type it", "prod")


def test_progress_log_and_cancel() -> None:
    out = io.StringIO()
    r = TerminalReporter(stream=out, interactive=False)
    r.progress("Deploying", 40)
    r.log("dev-a-B | CREATE_COMPLETE | AWS::SQS::Queue Q")
    assert out.getvalue() == "[ 40%] Deploying\n  dev-a-B | CREATE_COMPLETE | AWS::SQS::Queue Q\n"
    assert not r.cancelled
    r.cancel()
    assert r.cancelled
