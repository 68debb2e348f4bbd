"""SST's `setDefaultRemovalPolicy` calls (layer 2: model), read once and decided per stage.

Both sides that must agree read them here: the embedded synth (cloud/synth_spec.py puts the
policy into the templates) and the stateful warnings (baseline/kinds.py says whether a moved or
removed data store is deleted or orphaned).

`read_policy_calls` reads the calls of an app's entry and stack files into plain data
(`PolicyCall`: the conditions around the call and its argument, compiled to small trees that do
not hold the parse), so that a state read once from a commit can be decided for any stage;
`decide_policies` decides them for one stage the way SST runs them:

* on the app (anywhere in the entry file, or on `app` inside a stack function) the policy
  applies to every stack, as SST applies it to every resource at the end of synth; on a stack's
  own receiver (`stack`, `this`) to that stack, over the app's; the last call wins;
* a call under a condition on the stage (`if (app.stage !== "prod")`, `&&`, a ternary argument,
  a constant holding such a comparison) is decided for the stage; `app.local` and `app.mode ===
  "dev"` are false (a deploy is neither `sst start` nor `sst dev`). The conditions are compiled
  and decided by model/stage_values.py, which the embedded synth uses for construct props too;
* a call whose value or condition cannot be decided is left out (`undecided`): each resource
  keeps its own policy, the safe side for a production stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sst_lsp.model.stage_values import UNKNOWN, Cond, condition_of, holds
from sst_lsp.model.types import App
from sst_lsp.syntax.parser import ParsedFile, walk
from sst_lsp.syntax.text import TextRange

POLICY_WORDS = frozenset({"destroy", "retain", "snapshot"})

#: A compiled argument: ("word", policy), ("ternary", cond, then, else), ("unknown",).
Expr = tuple[Any, ...]

_UNKNOWN: Cond = UNKNOWN
_STACK_RECEIVERS = ("stack", "this", "ctx.stack", "props.stack")


@dataclass(frozen=True, slots=True)
class PolicyCall:
    """One `app.setDefaultRemovalPolicy(x)` / `stack.setDefaultRemovalPolicy(x)` call."""

    path: Path
    line: int
    """1-based, for messages."""
    stack: str | None
    """The stack it applies to; None: the app (every stack)."""
    guards: tuple[tuple[Cond, bool], ...]
    """The conditions around the call, innermost first, with the branch the call sits in (True:
    the condition must hold); `(("unknown",), True)` for a loop or a `||` around it."""
    value: Expr
    condition: str = ""
    """The source of the innermost condition around it (or its ternary's), for messages."""

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"

    def at(self, stage: str | None) -> str | None:
        """The policy the call sets at `stage`: a policy word, "" when a condition around it does
        not hold, None when that cannot be told statically."""
        for cond, taken in self.guards:
            holds = evaluate(cond, stage)
            if holds is None:
                return None
            if holds != taken:
                return ""
        return _expr_at(self.value, stage)

    @property
    def conditional(self) -> bool:
        return bool(self.guards) or self.value[0] != "word"


@dataclass
class PolicyDecision:
    """What the calls set at one stage."""

    app: str | None = None
    stacks: dict[str, str] = field(default_factory=dict)
    #: The call (by stack id, None for the app) each policy comes from.
    sources: dict[str | None, PolicyCall] = field(default_factory=dict)
    #: Calls left out because their value or condition cannot be decided (in source order).
    undecided: list[PolicyCall] = field(default_factory=list)

    def for_stack(self, stack: str | None) -> str | None:
        if stack is not None and stack in self.stacks:
            return self.stacks[stack]
        return self.app

    def source(self, stack: str | None) -> PolicyCall | None:
        if stack is not None and stack in self.stacks:
            return self.sources.get(stack)
        return self.sources.get(None) if self.app is not None else None

    def undecided_for(self, stack: str | None) -> list[PolicyCall]:
        return [c for c in self.undecided if c.stack is None or c.stack == stack]


def decide_policies(calls: Iterable[PolicyCall], stage: str | None) -> PolicyDecision:
    out = PolicyDecision()
    for call in calls:
        got = call.at(stage)
        if got is None:
            out.undecided.append(call)
        elif got:
            if call.stack is not None:
                out.stacks[call.stack] = got
            else:
                out.app = got
            out.sources[call.stack] = call
    return out


def read_policy_calls(app: App, parsed: Callable[[Path], ParsedFile | None]) -> tuple[PolicyCall, ...]:
    """The app's `setDefaultRemovalPolicy` calls in the order SST runs them (the entry file,
    then each stack definition's file), from `parsed(path)` of each file."""
    defs: dict[Path, list[tuple[TextRange, str]]] = {}
    for s in app.stacks:
        if s.definition is not None:
            defs.setdefault(s.definition.path, []).append((s.definition.range, s.id))
    files = list(defs)
    if app.entry is not None and app.entry not in defs:
        files.insert(0, app.entry)
    out: list[PolicyCall] = []
    for path in files:
        pf = parsed(path)
        if pf is not None:
            out.extend(calls_in_file(pf, path, defs.get(path, []), path == app.entry))
    return tuple(out)


def calls_in_file(pf: ParsedFile, path: Path, stacks: Sequence[tuple[TextRange, str]],
                  is_entry: bool) -> list[PolicyCall]:
    """One file's calls; `stacks` are the (range, stack id) of the stack functions written in it.
    Outside the entry file, only calls inside a stack function count."""
    from sst_lsp.model.evaluate import Evaluator

    out: list[PolicyCall] = []
    ev: Evaluator | None = None
    for node in walk(pf.root):
        if node.type != "call_expression":
            continue
        fn = node.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            continue
        prop = fn.child_by_field_name("property")
        recv = fn.child_by_field_name("object")
        if prop is None or recv is None or pf.node_text(prop) != "setDefaultRemovalPolicy":
            continue
        args = node.child_by_field_name("arguments")
        named = [a for a in args.named_children if a.type != "comment"] if args is not None else []
        if not named:
            continue
        rng = pf.node_range(node)
        owner = next((sid for r, sid in stacks if r.contains_range(rng)), None)
        if owner is None and not is_entry:
            continue
        on_stack = owner is not None and pf.node_text(recv) in _STACK_RECEIVERS
        ev = ev or Evaluator(pf)
        guards, cond_text = _guards(node, pf, ev)
        arg = named[0]
        while arg.type == "parenthesized_expression" and arg.named_children:
            arg = arg.named_children[0]
        if not cond_text and arg.type == "ternary_expression":
            cond_text = _source(arg.child_by_field_name("condition") or arg, pf)
        out.append(PolicyCall(path, rng.start.line + 1, owner if on_stack else None, guards,
                              _expr(arg, ev, pf), cond_text))
    return out


def _expr_at(e: Expr, stage: str | None) -> str | None:
    if e[0] == "word":
        return str(e[1])
    if e[0] == "ternary":
        holds = evaluate(e[1], stage)
        if holds is None:
            return None
        return _expr_at(e[2] if holds else e[3], stage)
    return None


def evaluate(c: Cond, stage: str | None) -> bool | None:
    """A compiled condition at `stage` (None: the stage is not known); model/stage_values.py."""
    return holds(c, stage)


# ----------------------------------------------------------------------------------------------
# Compiling the source (tree-sitter nodes) into conditions and expressions.
# ----------------------------------------------------------------------------------------------

_SCOPES = ("function_declaration", "arrow_function", "function_expression", "method_definition", "program")
_LOOPS = ("for_statement", "for_in_statement", "while_statement", "do_statement", "switch_case",
          "switch_default", "try_statement", "catch_clause")


def _guards(call: Any, pf: ParsedFile, ev: Any) -> tuple[tuple[tuple[Cond, bool], ...], str]:
    """The conditions around a call up to its function, innermost first."""
    out: list[tuple[Cond, bool]] = []
    text = ""
    node = call
    while node.parent is not None:
        parent = node.parent
        if parent.type in _SCOPES:
            break
        cond = None
        taken = True
        if parent.type == "if_statement":
            cons = parent.child_by_field_name("consequence")
            alt = parent.child_by_field_name("alternative")
            cond = parent.child_by_field_name("condition")
            if alt is not None and alt.id == node.id:
                taken = False
            elif cons is None or cons.id != node.id:
                cond = None
        elif parent.type == "ternary_expression":
            cond = parent.child_by_field_name("condition")
            consequence = parent.child_by_field_name("consequence")
            taken = consequence is not None and consequence.id == node.id
            if cond is not None and cond.id == node.id:
                cond = None
        elif parent.type == "binary_expression":
            op = parent.child_by_field_name("operator")
            right = parent.child_by_field_name("right")
            if op is not None and op.type == "&&" and right is not None and right.id == node.id:
                cond = parent.child_by_field_name("left")
            elif op is not None and op.type in ("||", "??") and right is not None and right.id == node.id:
                out.append((_UNKNOWN, True))
                text = text or pf.node_text(parent.child_by_field_name("left") or parent)
        elif parent.type in _LOOPS:
            out.append((_UNKNOWN, True))
            text = text or pf.node_text(parent).split("\n", 1)[0]
        if cond is not None:
            out.append((_condition(cond, ev), taken))
            text = text or _source(cond, pf)
        node = parent
    return tuple(out), text


def _source(node: Any, pf: ParsedFile) -> str:
    """A condition's source without the parentheses an `if` puts around it."""
    while node.type == "parenthesized_expression" and len(node.named_children) == 1:
        node = node.named_children[0]
    return pf.node_text(node)


def _expr(arg: Any, ev: Any, pf: ParsedFile) -> Expr:
    """The argument compiled."""
    inner = arg
    while inner.type == "parenthesized_expression" and inner.named_children:
        inner = inner.named_children[0]
    if inner.type == "ternary_expression":
        cond = inner.child_by_field_name("condition")
        cons = inner.child_by_field_name("consequence")
        alt = inner.child_by_field_name("alternative")
        if cond is None or cons is None or alt is None:
            return _UNKNOWN
        return ("ternary", _condition(cond, ev), _expr(cons, ev, pf), _expr(alt, ev, pf))
    v = ev.value(inner)
    word: str | None = v.str_value
    if word is None and v.kind == "ref" and "." in v.text:
        word = v.text.rsplit(".", 1)[1]  # `RemovalPolicy.DESTROY`
    word = word.lower() if word else None
    return ("word", word) if word in POLICY_WORDS else _UNKNOWN


def _condition(node: Any, ev: Any) -> Cond:
    """A condition on the stage (`app.stage === "prod"`, `stage !== "dev"`, `!(...)`, `a && b`,
    `a || b`, `app.local`, `app.mode === "dev"`, a constant holding one), compiled by the
    evaluator (model/stage_values.py); anything else is unknown."""
    return condition_of(ev.value(node))


def describe(calls: Sequence[PolicyCall]) -> str:
    """`index.ts:4 (under `process.env.CI`)`, for messages."""
    return ", ".join(f"{c.where}" + (f" (under `{c.condition}`)" if c.condition else "") for c in calls)
