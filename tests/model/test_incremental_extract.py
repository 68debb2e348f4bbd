"""Incremental extraction (model/extract.py `ExtractMemo`) equals a from-scratch extraction.

The property: after any edit, `extract(reparse(previous, text), path, memo)` compares equal (by
value) to an extraction without the memo, and to `extract(parse(text), path)` whenever the
incremental and the full parse agree (inside broken syntax, tree-sitter's error recovery after an
incremental reparse sometimes differs from a full parse's; that is the parser's business, not
the memo's). Edits are random: characters, newlines, emoji, quotes and braces that break the
syntax, deletions, declarations that shadow or rebind the constants the constructs use, and
reverts to a known text that fix it again.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sst_lsp.model.evaluate import MAX_DEPTH
from sst_lsp.model.extract import ExtractMemo, extract
from sst_lsp.model.index import WorkspaceIndex
from sst_lsp.model.types import FileFacts
from sst_lsp.syntax.parser import ParsedFile, parse, reparse

PATH = Path("/app/stacks/Api.ts")

#: A stack file with the shapes extraction cares about: SST and CDK imports, constants (also a
#: `let` that is reassigned), constructs held in variables and referenced by routes, defaults,
#: callbacks and branches, spreads, templates, `use`, `add*` calls, two stack functions.
STACK = """import { Api, Bucket, Cron, Function, Queue, StackContext, Table, Topic, use } from "sst/constructs";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { aws_s3 as s3, RemovalPolicy } from "aws-cdk-lib";
import { Other } from "./Other";

const SRC = "packages/functions/src";
const shared = { runtime: "nodejs18.x", timeout: 10 };
let mutable = "src/a.main";
mutable = "src/b.main";

export function ApiStack({ stack, app }: StackContext) {
  const { bus } = use(Other);
  const h = `${SRC}/list.main`;
  const table = new Table(stack, "Notes", {
    fields: { pk: "string", sk: "string" },
    primaryIndex: { partitionKey: "pk", sortKey: "sk" },
  });
  const worker = new Function(stack, "Worker", { handler: "src/worker.main", ...shared });
  const api = new Api(stack, "Api", {
    defaults: { function: { bind: [table], runtime: "nodejs18.x" } },
    routes: {
      "GET /notes": h,
      "POST /notes": { function: { handler: SRC + "/create.main", timeout: 20 } },
      "GET /notes/{id}": "src/get.main",
      "PUT /notes/{id}": worker,
      "DELETE /notes/{id}": mutable,
      $default: "src/default.main",
    },
  });
  api.addRoutes(stack, { "GET /extra": "src/extra.main", "GET /more": h });
  if (app.stage === "prod") {
    new Bucket(stack, "Uploads", { notifications: { resize: "src/resize.main" } });
  } else {
    new Bucket(stack, "Uploads", { notifications: { resize: { handler: h } } });
  }
  ["a", "b"].forEach((name) => {
    new Queue(stack, `Queue${name}`, { consumer: "src/consume.main" });
  });
  new Cron(stack, "Cron", { job: { function: { handler: "src/cron.main", ...shared } } });
  new dynamodb.Table(stack, "Raw", { partitionKey: { name: "id", type: dynamodb.AttributeType.STRING } });
  new s3.Bucket(stack, "RawBucket", { removalPolicy: RemovalPolicy.RETAIN });
  stack.addOutputs({ url: api.url, emoji: "😋 é" });
}

export function TopicStack({ stack }: StackContext) {
  const h = "src/topic.main";
  const topic = new Topic(stack, "Topic", { subscribers: { one: h, two: "src/two.main" } });
  topic.addSubscribers(stack, { three: "src/three.main" });
  const table = new Table(stack, "Notes", { fields: { id: "string" }, primaryIndex: { partitionKey: "id" } });
  new Api(stack, "Api2", { defaults: { function: { bind: [table] } }, routes: { "GET /": h } });
}
"""

#: Text inserted at random places: characters that break and fix the syntax, newlines, emoji,
#: and declarations that shadow or rebind the names the constructs use.
INSERTS = [
    "a", "x", "😋", "é", "\n", "\n\n", " ", '"', "'", "`", "{", "}", "(", ")", "[", "]", ",", ";",
    "/*", "*/", "//", ".main", "${h}",
    'const h = "src/shadow.main";\n',
    "const SRC = `other`;\n",
    "let table = 1;\n",
    "h = 1;\n",
    "mutable += 1;\n",
    'new Function(stack, "Extra", { handler: h });\n',
    'const worker = "src/w2.main";\n',
    "if (x) {\n",
    "function Inner({ stack }: StackContext) {\n",
    "(h) => ",
    'import { Queue as Function } from "sst/constructs";\n',
]


def _edit(rng: random.Random, text: str, known: list[str]) -> str:
    r = rng.random()
    if r < 0.05:
        return rng.choice(known)  # A revert: the syntax is fixed again.
    i = rng.randrange(len(text) + 1)
    if r < 0.35 and text:
        j = min(len(text), i + rng.choice([1, 1, 1, 2, 5, 20, 80]))
        return text[:i] + text[j:]
    if r < 0.45:
        # Rename an identifier occurrence (lookups must notice).
        for name in ("h", "table", "SRC", "shared", "worker", "mutable"):
            k = text.find(name, i)
            if k != -1:
                return text[:k] + name + "2" + text[k + len(name) :]
    if r < 0.55:
        # Insert at a line start, where declarations land in a scope.
        i = text.rfind("\n", 0, i) + 1
    return text[:i] + rng.choice(INSERTS) + text[i:]


def _check(pf: ParsedFile, memo: ExtractMemo, path: Path = PATH, where: str = "") -> FileFacts:
    """Extracts with the memo and checks the property; returns the facts."""
    got = extract(pf, path, memo=memo)
    assert got == extract(pf, path), f"{where}: the memo changed the facts of:\n{pf.text}"
    full = parse(pf.text, pf.lang)
    if str(full.root) == str(pf.root):
        assert got == extract(full, path), f"{where}: differs from a full parse's facts for:\n{pf.text}"
    return got


@pytest.mark.parametrize("seed", range(6))
def test_random_edits_match_full_extraction(seed: int) -> None:
    rng = random.Random(seed)
    memo = ExtractMemo()
    text = STACK
    pf = parse(text, "typescript")
    extract(pf, PATH, memo=memo)
    known = [STACK]
    reused = queried = 0
    for step in range(120):
        text = _edit(rng, text, known)
        pf = reparse(pf, text)
        _check(pf, memo, where=f"step {step}")
        reused += memo.hits
        queried += memo.queried == "incremental"
        if step % 30 == 0:
            known.append(text)
    assert reused > 0, "the memo was never used: the property would hold trivially"
    assert queried > 0, "the query never ran on the edited ranges only"


def test_edits_far_apart_keep_reused_objects() -> None:
    """Typing inside one construct re-evaluates only that construct; the others are the same
    objects, except that constructs inside branches get the branch's shifted byte offsets."""
    memo = ExtractMemo()
    pf = parse(STACK, "typescript")
    before = extract(pf, PATH, memo=memo)
    text = STACK.replace('"GET /notes/{id}": "src/get.main"', '"GET /notes/{id}": "src/get.mainx"')
    pf = reparse(pf, text)
    after = extract(pf, PATH, memo=memo)
    assert after == extract(parse(text, "typescript"), PATH)
    assert memo.misses == 1, "only the edited Api is evaluated again"
    changed = [c for c in after.constructs if not c.branch and c not in before.constructs]
    assert [c.id for c in changed] == ["Api"]
    same = [c for c in after.constructs if c.id != "Api" and not c.branch]
    assert same and all(any(c is b for b in before.constructs) for c in same)
    moved = [c for c in after.constructs if c.branch and c.stack == "ApiStack"]
    assert moved and all(c not in before.constructs for c in moved), "their branch offsets moved"


def test_shadowing_declaration_is_noticed() -> None:
    """A declaration added after a construct (hoisted into its scope) changes what a name means."""
    memo = ExtractMemo()
    pf = parse(STACK, "typescript")
    extract(pf, PATH, memo=memo)
    text = STACK.replace("  api.addRoutes(", '  const SRC = "elsewhere";\n  api.addRoutes(', 1)
    pf = reparse(pf, text)
    got = extract(pf, PATH, memo=memo)
    assert got == extract(parse(text, "typescript"), PATH)
    assert any(h.handler == "elsewhere/create.main" for h in got.handlers)


def test_construct_in_a_variable_that_stops_being_one() -> None:
    """`"PUT /notes/{id}": worker` names a Function construct held in a variable; when `Function`
    is no longer imported from SST, `worker` is an unknown reference (counted as unresolved),
    although the name still resolves to the same `new` expression."""
    memo = ExtractMemo()
    pf = parse(STACK, "typescript")
    before = extract(pf, PATH, memo=memo)
    text = STACK.replace("Cron, Function, Queue", "Cron, Queue", 1)
    pf = reparse(pf, text)
    after = _check(pf, memo)
    assert after.unresolved > before.unresolved


def test_line_shift_moves_ranges() -> None:
    """A newline above the constructs moves all of them a line down: nothing stale remains."""
    memo = ExtractMemo()
    pf = parse(STACK, "typescript")
    before = extract(pf, PATH, memo=memo)
    text = "\n" + STACK
    pf = reparse(pf, text)
    after = extract(pf, PATH, memo=memo)
    assert after == extract(parse(text, "typescript"), PATH)
    assert [c.range.start.line for c in after.constructs] == [c.range.start.line + 1 for c in before.constructs]


def test_same_line_width_change_before_construct() -> None:
    """`é` (two bytes) replaced by `ab` before a construct on its line keeps its byte column but
    not its code-point column: the construct is evaluated again."""
    src = STACK.replace('  new Cron(stack, "Cron"', '  /*é*/ new Cron(stack, "Cron"')
    memo = ExtractMemo()
    pf = parse(src, "typescript")
    extract(pf, PATH, memo=memo)
    text = src.replace("/*é*/", "/*ab*/")
    pf = reparse(pf, text)
    got = extract(pf, PATH, memo=memo)
    assert got == extract(parse(text, "typescript"), PATH)


def test_order_dependent_values_fall_back_to_full_extraction() -> None:
    """Values cut off by the depth limit or a reference cycle depend on evaluation order: the
    memo is dropped and the extraction equals a fresh one."""
    deep = "const deep = " + "{ a: " * (MAX_DEPTH + 5) + '"x"' + " }" * (MAX_DEPTH + 5) + ";\n"
    body = (
        "const a = { ...b, h: \"src/a.main\" };\nconst b = { ...a };\n" + deep
        + 'export function S({ stack }: StackContext) {\n'
        + '  new Function(stack, "F1", { handler: "src/f.main", extra: deep, more: b });\n'
        + '  new Function(stack, "F2", { handler: "src/g.main", extra: deep, more: a });\n}\n'
    )
    src = 'import { Function, StackContext } from "sst/constructs";\n' + body
    memo = ExtractMemo()
    pf = parse(src, "typescript")
    extract(pf, PATH, memo=memo)
    assert len(memo) == 0, "nothing order-dependent is remembered"
    rng = random.Random(3)
    text = src
    for _ in range(40):
        text = _edit(rng, text, [src])
        pf = reparse(pf, text)
        _check(pf, memo)


def test_memo_is_bounded() -> None:
    memo = ExtractMemo()
    pf = parse(STACK, "typescript")
    for i in range(400):
        text = STACK.replace('"Api", {', f'"Api{i}", {{', 1)
        pf = reparse(pf, text)
        extract(pf, PATH, memo=memo)
    assert len(memo) <= 256


def test_memo_follows_the_file_it_is_used_for() -> None:
    """A memo handed another path or grammar starts over (HandlerRef paths would be wrong)."""
    memo = ExtractMemo()
    extract(parse(STACK, "typescript"), PATH, memo=memo)
    other = Path("/app/stacks/Copy.ts")
    got = extract(parse(STACK, "typescript"), other, memo=memo)
    assert got == extract(parse(STACK, "typescript"), other)
    assert all(h.path == other for h in got.handlers)
    assert memo.hits == 0


def test_index_facts_equal_fresh_extraction(tmp_path: Path) -> None:
    """The index keeps a memo per file: its facts after a series of edits are fresh ones."""
    root = tmp_path / "app"
    (root / "stacks").mkdir(parents=True)
    (root / "sst.config.ts").write_text(
        'import { ApiStack } from "./stacks/Api";\nexport default {\n  config() { return { name: "a" }; },\n'
        "  stacks(app) { app.stack(ApiStack); },\n};\n",
        encoding="utf-8",
    )
    path = root / "stacks" / "Api.ts"
    path.write_text(STACK, encoding="utf-8")
    index = WorkspaceIndex([root])
    index.snapshot()
    rng = random.Random(11)
    text = STACK
    for _ in range(60):
        text = _edit(rng, text, [STACK])
        index.set_text(path, text)
        index.snapshot()
        pf = index.parsed(path)
        assert pf is not None and pf.text == text
        assert index.facts(path) == extract(pf, path)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param('await import("./infra/api");', 'await importa("./infra/api");', id="import-unmade"),
        pytest.param('await importa("./infra/api");', 'await import("./infra/api");', id="import-made"),
        pytest.param("addRoutes(stack, api);", "addRoutes.x(stack, api);", id="callee-unmade"),
        pytest.param("routes.add(stack, api);", "(routes.add)(stack, api);", id="member-callee-wrapped"),
    ],
)
def test_an_edit_of_the_call_around_a_capture_is_seen(before: str, after: str) -> None:
    """The query matches a dynamic import's argument and a callee by the call around them: an
    edit of the call alone (not of the capture's own text) makes or unmakes the capture."""
    text = f"async function run(stack, api) {{\n  {before}\n}}\n"
    pf = parse(text, "typescript")
    memo = ExtractMemo()
    _check(pf, memo)
    _check(reparse(pf, text.replace(before, after)), memo)
