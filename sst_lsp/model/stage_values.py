"""Conditions on the stage, and the values that depend on them, decided for one stage (layer 2:
model; pure).

SST runs an app's stack code for one stage at a time, so a prop written
`stack.stage === "prod" ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY`, `autoPause: app.stage
!== "prod"` or `memorySize: isProd ? 1024 : 256` has one value per stage. The evaluator
(model/evaluate.py) keeps such a choice in the `Value` (`Value.cond`, see `Choice`) with the
condition compiled to a small tree (`Cond`) that holds no parse; `decide` picks the branch for a
stage, and `holds` decides a condition. An entry set by a conditional spread (`...(isProd ? {
memorySize: 2048 } : {})`, `...(cond && {...})`) keeps its branch's condition (`Entry.cond`),
which `decide` applies (the entry is there or not); a string built from the stage (``
`${app.stage}-notes` ``, `stage + "-q"`) is a ("template", pieces) choice. Readers that check
every branch (handler references) see the entries and branches as before and ignore both. model/removal.py (`setDefaultRemovalPolicy` under an
`if`) and the embedded synth (cloud/synth_spec.py, construct props) both decide here.

What a condition may read: the stage (`app.stage`, `stack.stage`, `stage` destructured from
either, through constants), `app.mode` (SST v2: "deploy", "dev", "remove") and `app.local`
(`sst start`), compared (`===`, `==`, `!==`, `!=`) with strings, and combined with `!`, `&&`,
`||`. Anything else (`process.env.X`, a call) is unknown: a choice under it stays undecided
and keeps its source text, so the synth leaves out what needs it, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sst_lsp.model.types import Entry, Value

if TYPE_CHECKING:
    from pathlib import Path

    from sst_lsp.syntax.text import TextRange

#: A compiled condition: ("const", bool), ("stage", literal) (the stage equals it), ("mode",
#: literal), ("local",), ("not", c), ("and", a, b), ("or", a, b), ("unknown",).
Cond = tuple[Any, ...]
#: What a `Value` with a condition (`Value.cond`) stands for:
#: ("if", c): `c ? items[0] : items[1]`; ("and", c): `c && items[0]` (false when c does not hold);
#: ("or", c): `c || items[0]` (true when c holds); ("bool", c): the condition's own truth value;
#: ("template", pieces): a string made of ("lit", text) and ("stage", "") pieces (``
#: `${app.stage}-notes` ``), one per stage.
Choice = tuple[str, Cond]

UNKNOWN: Cond = ("unknown",)
#: What `Entry.cond` holds: (the condition under which a conditional spread sets the entry, the
#: spread's source text).
EntryCond = tuple[Cond, str]


@dataclass(frozen=True, slots=True)
class StageFacts:
    """What a condition may read of the run: the stage name (None: not known), `app.mode` and
    `app.local`. A deploy (and the embedded synth) is mode "deploy", not local."""

    stage: str | None
    mode: str = "deploy"
    local: bool = False


def facts(stage: str | StageFacts | None) -> StageFacts:
    return stage if isinstance(stage, StageFacts) else StageFacts(stage)


def holds(c: Cond, stage: str | StageFacts | None) -> bool | None:
    """A compiled condition at `stage`: True, False, or None when it cannot be told."""
    f = facts(stage)
    kind = c[0]
    if kind == "const":
        return bool(c[1])
    if kind == "stage":
        return None if f.stage is None else f.stage == c[1]
    if kind == "mode":
        return f.mode == str(c[1])
    if kind == "local":
        return f.local
    if kind == "not":
        got = holds(c[1], f)
        return None if got is None else not got
    if kind in ("and", "or"):
        a, b = holds(c[1], f), holds(c[2], f)
        if kind == "and":
            return False if a is False or b is False else (None if a is None or b is None else True)
        return True if a is True or b is True else (None if a is None or b is None else False)
    return None


# ----------------------------------------------------------------------------------------------
# Building conditions from evaluated operands (the evaluator calls these).
# ----------------------------------------------------------------------------------------------


def _ref_name(v: Value) -> str | None:
    """`stage`, `mode`, `local` for a reference to the app's or stack's (or a destructured) one."""
    if v.kind != "ref":
        return None
    last = v.text.rsplit(".", 1)[-1].strip()
    return last if last in ("stage", "mode", "local") else None


def condition_of(v: Value) -> Cond:
    """The condition an evaluated operand stands for, read for its truth: a literal, a
    comparison or combination that the evaluator compiled, `app.local`; else unknown."""
    if v.kind == "bool":
        return ("const", bool(v.value))
    if v.kind == "null":
        return ("const", False)
    if v.kind == "string":
        return ("const", bool(v.value))
    if v.kind == "number":
        return ("const", bool(v.value))
    if v.kind in ("object", "array"):
        return ("const", True)
    if _ref_name(v) == "local":
        return ("local",)
    if v.cond is not None:
        kind, c = v.cond[0], v.cond[1]
        if kind == "bool":
            return tuple(c)
        if kind in ("and", "or") and v.items:
            return (kind, tuple(c), condition_of(v.items[0]))
    return UNKNOWN


#: One side of a comparison: ("lit", string), ("stage", ""), ("mode", "").
Side = tuple[str, str]


def side_of(v: Value) -> Side | None:
    if v.kind == "string" and isinstance(v.value, str):
        return ("lit", v.value)
    name = _ref_name(v)
    return (name, "") if name in ("stage", "mode") else None


def compare_sides(a: Side | None, b: Side | None, op: str) -> Cond:
    """`a op b` for `===`, `==`, `!==`, `!=` when one side is the stage (or the mode) and the
    other a string (or both the same one); else unknown."""
    if op not in ("===", "==", "!==", "!=") or a is None or b is None:
        return UNKNOWN
    if a[0] == "lit" and b[0] == "lit":
        eq: Cond = ("const", a[1] == b[1])
    elif a[0] != "lit" and b[0] != "lit":
        if a[0] != b[0]:
            return UNKNOWN
        eq = ("const", True)
    else:
        fact, lit = (a[0], b[1]) if a[0] != "lit" else (b[0], a[1])
        eq = (fact, lit)
    return eq if op in ("===", "==") else ("not", eq)


def negate(c: Cond) -> Cond:
    return UNKNOWN if c == UNKNOWN else ("not", c)


def known(c: Cond) -> bool:
    """Whether the condition reads nothing but literals and the run's facts (so that some stage
    decides it)."""
    kind = c[0]
    if kind == "unknown":
        return False
    if kind == "not":
        return known(c[1])
    if kind in ("and", "or"):
        return known(c[1]) or known(c[2])
    return True


def branch_conds(choice: Choice | None, n: int, text: str) -> list[EntryCond]:
    """For a spread of an "unknown" with `n` branches (`Value.items`): the condition under which
    each branch's entries are set. `c ? a : b`: c, then !c; `c && a`: c; `c || a`: !c;
    anything else (a condition on something other than the stage): unknown."""
    if choice is not None:
        kind, c = choice[0], tuple(choice[1])
        if kind == "if" and n == 2:
            return [(c, text), (negate(c), text)]
        if kind == "and" and n == 1:
            return [(c, text)]
        if kind == "or" and n == 1:
            return [(negate(c), text)]
    return [(UNKNOWN, text)] * n


def template_pieces(v: Value, fact: str | None) -> list[tuple[str, str]] | None:
    """The pieces a template substitution adds to a string that depends on the stage: the stage
    itself (`fact` is "stage": `${app.stage}`, `${stack.stage}`, a destructured `stage`), or a
    constant that is such a string; None for anything else."""
    if fact == "stage" or _ref_name(v) == "stage":
        return [("stage", "")]
    if v.cond is not None and v.cond[0] == "template":
        return [(str(p[0]), str(p[1])) for p in v.cond[1]]
    return None


def when(e: Entry, cond: EntryCond) -> Entry:
    """`e` set only when `cond` holds (and its own condition, from a spread nested in the
    branch, too)."""
    c = cond if e.cond is None else (("and", cond[0], e.cond[0]), cond[1])
    return Entry(e.key, e.key_range, e.value, e.path, c)


def merged_choice(conds: list[tuple[Any, ...] | None]) -> Choice | None:
    """The choice that a key set by both branches of a ternary on the stage is (`...(isProd ? {
    memorySize: 2048 } : { memorySize: 512 })`): ("if", c); None for anything else."""
    if len(conds) != 2 or conds[0] is None or conds[1] is None:
        return None
    c = tuple(conds[0][0])
    return ("if", c) if known(c) and tuple(conds[1][0]) == negate(c) else None


def any_of(conds: list[tuple[Any, ...] | None], text: str) -> EntryCond | None:
    """The condition under which one of several entries is set: None when one of them always is."""
    if any(c is None for c in conds):
        return None
    got: Cond | None = None
    for c in conds:
        assert c is not None
        got = tuple(c[0]) if got is None else ("or", got, tuple(c[0]))
    return (got or UNKNOWN, text)


def undecided(v: Value | None) -> str | None:
    """The source text of a conditional spread that `v` (decided for a stage) still holds an
    entry of: a condition no stage decides. None when there is none."""
    if v is None:
        return None
    if v.kind == "object":
        for e in v.entries:
            if e.cond is not None:
                return str(e.cond[1])
            got = undecided(e.value)
            if got is not None:
                return got
    elif v.kind == "array":
        for i in v.items:
            got = undecided(i)
            if got is not None:
                return got
    return None


# ----------------------------------------------------------------------------------------------
# Deciding values for a stage.
# ----------------------------------------------------------------------------------------------


def decide(v: Value | None, stage: str | StageFacts | None) -> Value | None:
    """`v` with every choice on the stage that `stage` decides replaced by its outcome (inside
    objects and arrays too); a choice it cannot decide stays as it was (an "unknown" value)."""
    if v is None:
        return None
    return _decide(v, facts(stage))


def _decide(v: Value, f: StageFacts) -> Value:
    if v.kind == "object":
        if not any(e.cond is not None or _depends(e.value) for e in v.entries):
            return v
        kept: list[Entry] = []
        for e in v.entries:
            cond = e.cond
            if cond is not None:
                got = holds(tuple(cond[0]), f)
                if got is False:
                    continue  # A conditional spread's branch that does not run at this stage.
                if got is True:
                    cond = None
            kept.append(Entry(e.key, e.key_range, _decide(e.value, f), e.path, cond))
        return Value(v.kind, v.range, v.value, tuple(kept), v.items, v.text, v.literal, v.partial, v.path)
    if v.kind == "array":
        if not any(_depends(i) for i in v.items):
            return v
        items = tuple(_decide(i, f) for i in v.items)
        return Value(v.kind, v.range, v.value, v.entries, items, v.text, v.literal, v.partial, v.path)
    if v.cond is None:
        return v
    kind, c = v.cond[0], v.cond[1]
    if kind == "template":
        if f.stage is None:
            return v
        text = "".join(f.stage if p[0] == "stage" else str(p[1]) for p in c)
        return Value("string", v.range, text, literal=False, path=v.path)
    got = holds(c, f)
    if got is None:
        return v
    if kind == "if" and len(v.items) == 2:
        return _decide(v.items[0] if got else v.items[1], f)
    if kind == "and" and v.items:
        return _decide(v.items[0], f) if got else _bool(v, False)
    if kind == "or" and v.items:
        return _bool(v, True) if got else _decide(v.items[0], f)
    if kind == "bool":
        return _bool(v, got)
    return v


def _bool(v: Value, b: bool) -> Value:
    return Value("bool", v.range, b, literal=False, path=v.path)


def _depends(v: Value) -> bool:
    if v.cond is not None:
        return True
    if v.kind == "object":
        return any(e.cond is not None or _depends(e.value) for e in v.entries)
    if v.kind == "array":
        return any(_depends(i) for i in v.items)
    return False


def depends_on_stage(v: Value | None) -> bool:
    """Whether `v` holds a choice on the stage (decided or not by some stage)."""
    return v is not None and _depends(v)


def dropped(v: Value | None, stage: str | StageFacts | None) -> list[tuple[Path | None, TextRange]]:
    """Where the values are (file, None for the value's own file; range) that `decide(v, stage)`
    drops: the branches that do not run at `stage` (a ternary's other branch, a conditional
    spread's entries). The handlers found there are not part of that stage's app."""
    out: list[tuple[Path | None, TextRange]] = []
    if v is not None and _depends(v):
        _dropped(v, facts(stage), out)
    return out


def _dropped(v: Value, f: StageFacts, out: list[tuple[Path | None, TextRange]]) -> None:
    if v.kind == "object":
        for e in v.entries:
            if e.cond is not None and holds(tuple(e.cond[0]), f) is False:
                out.append((e.value.path or e.path, e.value.range))
            elif _depends(e.value):
                _dropped(e.value, f, out)
        return
    if v.kind == "array":
        for i in v.items:
            if _depends(i):
                _dropped(i, f, out)
        return
    if v.cond is None:
        return
    kind, c = v.cond[0], v.cond[1]
    if kind not in ("if", "and", "or") or not v.items:
        return
    got = holds(c, f)
    if got is None:
        return
    if kind == "if" and len(v.items) == 2:
        run, skip = (v.items[0], v.items[1]) if got else (v.items[1], v.items[0])
        out.append((skip.path, skip.range))
        _dropped(run, f, out)
    elif (kind == "and" and not got) or (kind == "or" and got):
        out.append((v.items[0].path, v.items[0].range))
    else:
        _dropped(v.items[0], f, out)
