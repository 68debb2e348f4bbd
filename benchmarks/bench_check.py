"""Benchmark: `sst-lsp check` against one tree-sitter parse of every source file (prints figures;
never pass/fail).

On two trees, the synthetic monorepo of gen_monorepo.py (20 apps, 200 stacks, 5,000 routes, 5,000
handler files) and a copy of the bundled example (examples/notes-app), it times in fresh
subprocesses, side by side in one run:

- parse: a Python process that reads every JS/TS/Python file of the tree (dependency and build
  folders left out, as check does) and parses it once with tree-sitter: what a parser-based tool
  needs at least;
- cold: `check --no-cache`;
- first run: `check` filling an empty cache (what a CI run without a restored cache costs);
- warm: `check` with the cache filled and the files' stamps trusted (a developer's second run);
- warm, after checkout: every file touched since the cache was written (stamps new, contents
  the same, as in CI after restoring the cache), so each input is read and hashed;
- warm, one edit: one handler file of one app changed (that app is rebuilt from the cached
  entries, the others come from the cache);
- the language server's first index, cold and with the check cache lent read-only (after the
  warm runs, so the cache holds every entry).

It prints the best wall time and CPU time (user + system) of each over --runs runs, each with its
ratio to parse (CPU time is the steadier figure on a shared machine), the peak RSS of each process,
whether the cached results equal the cold ones, and the start-up floor (`python -c pass`,
`import sst_lsp.cli`, `sst-lsp --version`). Goals (issue 14): cold <= 1.0x parse, warm <= 0.25x,
the example's warm check under 100 ms.

Subprocesses run with bytecode caching on (in a temporary PYTHONPYCACHEPREFIX, so the working
tree stays clean), as an installed sst-lsp would; PYTHONDONTWRITEBYTECODE would make every run
compile every module again.

Usage: python benchmarks/bench_check.py [--runs N] [--keep] [--apps N --stacks N --routes N]

Where a cold check of the monorepo goes (CPU, in-process, 5,000 handlers, measured at a load
average of 4-7 on 2 cores, so figures drift by 10% from run to run; best of 4): start-up about
65 ms (the analysis host and what it imports, the baseline package among them), compiling the
extraction query 35 ms (once per language on first use: about 22 ms TypeScript, 11 ms JavaScript;
py-tree-sitter cannot serialize a compiled query, and a check whose facts all come from the cache
never compiles it), extracting the 220 stack and config files about 215 ms, the handlers and the
analyzers about 365 ms: per handler file one read (about 30 ms for 5,000), one parse (60 ms), its
export table (37 ms) and its code facts (12 ms), both from that parse; the rest is the resolver's
own path logic and the analyzers. Whole processes, as the table prints them: cold about 670-770
ms CPU against a parse of every file of 146-156 ms (4.5-5.3x). A warm check (about 65 ms CPU) is
mostly the interpreter's start-up (about 20 ms), imports (about 25 ms: argparse, dataclasses,
pathlib, json, the cache), one stat per input (about 10 ms for 5,470) and the app discovery walk
(about 5 ms).

The language server's first index (`FIRST_INDEX`, at a load average of 2.5): 671 ms CPU cold,
351 ms with the check cache lent (0.52x; the facts of the stack files, the export tables and
the resolutions come from it; the analyzers still run, and read each handler file's text for
its code facts), same findings; on the example 29 -> 7 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from gen_monorepo import generate

#: What the parse baseline parses, and the folders it skips (check's own SKIP_DIRS).
PARSE_SUFFIXES = {".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
                  ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
                  ".py": "python"}

#: The parse baseline, run as its own process (`python -c PARSE_ALL DIR`).
PARSE_ALL = """
import os, sys
from tree_sitter import Language, Parser
import tree_sitter_javascript, tree_sitter_python, tree_sitter_typescript
from sst_lsp.model.files import SKIP_DIRS
langs = {"typescript": Language(tree_sitter_typescript.language_typescript()),
         "tsx": Language(tree_sitter_typescript.language_tsx()),
         "javascript": Language(tree_sitter_javascript.language()),
         "python": Language(tree_sitter_python.language())}
parsers = {k: Parser(v) for k, v in langs.items()}
suffixes = SUFFIXES
n = 0
for d, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [x for x in dirs if x not in SKIP_DIRS and not x.startswith(".")]
    for f in files:
        lang = suffixes.get(os.path.splitext(f)[1])
        if lang:
            with open(os.path.join(d, f), "rb") as fh:
                parsers[lang].parse(fh.read())
            n += 1
print(n)
""".replace("SUFFIXES", repr(PARSE_SUFFIXES))

#: The language server's first index (`index_workspace`: find the apps, warm each, one analysis)
#: without a store or with the check cache lent read-only, as its own process (`python -c
#: FIRST_INDEX DIR cold|cache`): prints the index's own wall and CPU seconds (the modules the
#: server has loaded by then imported first) and a digest of the findings.
FIRST_INDEX = """
import hashlib, sys, time
from pathlib import Path
from sst_lsp.cache import CheckCache
from sst_lsp.host.host import AnalysisHost
import sst_lsp.model.extract, sst_lsp.analyzers
root = Path(sys.argv[1])
w0, c0 = time.perf_counter(), time.process_time()
host = AnalysisHost([root])
roots = host.app_roots()
if sys.argv[2] == "cache":
    host.use_store(CheckCache([ar.root for ar in roots], read_only=True))
for ar in roots:
    host.warm(ar)
found = sorted(repr(f) for f in host.analysis().findings())
host.use_store(None)
print(time.perf_counter() - w0, time.process_time() - c0, hashlib.sha256("\\n".join(found).encode()).hexdigest())
"""


#: One process: wall seconds, CPU seconds (user + system), peak RSS in MB, stdout.
Sample = tuple[float, float, float, str]


class Runner:
    def __init__(self, pycache: Path) -> None:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
        # Run the working tree's package whether or not it is installed.
        env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.env = env

    def run(self, argv: list[str], cwd: Path) -> Sample:
        """One process's wall time, CPU time, peak RSS and output."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            proc = subprocess.Popen([sys.executable, *argv], stdout=out, stderr=err, cwd=cwd, env=self.env)
            # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN is a maximum over all).
            _pid, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = code = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(), err.read().decode()
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} failed with exit {code}:\n{stderr}")
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout

    def check(self, tree: Path, *flags: str) -> Sample:
        return self.run(["-m", "sst_lsp", "check", str(tree), "--format", "json", "--stats", *flags], cwd=tree)


def _best(runs: int, fn: Callable[[], Sample]) -> Sample:
    """The best wall and CPU times of `runs` runs (the least disturbed by other work on a shared
    machine, as `timeit` reports), the highest peak RSS, the last output."""
    results = [fn() for _ in range(runs)]
    return min(r[0] for r in results), min(r[1] for r in results), max(r[2] for r in results), results[-1][3]


def _touch_all(tree: Path) -> None:
    """New stamps, same contents (what a checkout does to files the cache saw)."""
    for d, dirs, files in os.walk(tree):
        dirs[:] = [x for x in dirs if x != ".sst-lsp"]
        for f in files:
            os.utime(os.path.join(d, f))


def _settle(since: float) -> None:
    """Waits until files written at `since` are older than the cache's stamp margin (2 s), so
    that the next run records their signatures (a benchmark may wait; tests never do)."""
    left = since + 2.2 - time.time()
    if left > 0:
        time.sleep(left)


def bench_tree(runner: Runner, name: str, tree: Path, runs: int, edit: Path | None) -> dict[str, object]:
    written = time.time()
    parse = _best(runs, lambda: runner.run(["-c", PARSE_ALL, str(tree)], cwd=tree))
    files = int(parse[3].strip() or 0)
    cold = _best(runs, lambda: runner.check(tree, "--no-cache"))
    _settle(written)

    def fill_once() -> Sample:
        runner.run(["-m", "sst_lsp", "cache", "clean", str(tree)], cwd=tree)
        return runner.check(tree)  # Fills the cache (and trusts the stamps: the files are settled).

    fill = _best(runs, fill_once)
    warm = _best(runs, lambda: runner.check(tree))
    first: dict[str, tuple[float, float, str]] = {}
    for mode in ("cold", "cache"):
        outs = [runner.run(["-c", FIRST_INDEX, str(tree), mode], cwd=tree)[3].split() for _ in range(runs)]
        first[mode] = (min(float(o[0]) for o in outs), min(float(o[1]) for o in outs), outs[-1][2])
    one_edit = None
    if edit is not None:
        original = edit.read_text(encoding="utf-8")
        count = [0]

        def edited() -> Sample:
            count[0] += 1
            edit.write_text(original + f"\nexport const benchEdit{count[0]} = {count[0]};\n", encoding="utf-8")
            return runner.check(tree)

        one_edit = _best(runs, edited)
        edit.write_text(original, encoding="utf-8")

    def after_checkout() -> Sample:
        _touch_all(tree)
        return runner.check(tree)

    checkout = _best(runs, after_checkout)
    same = warm[3] == cold[3] and checkout[3] == cold[3] and fill[3] == cold[3]
    return {"name": name, "files": files, "parse": parse, "cold": cold, "fill": fill, "warm": warm,
            "checkout": checkout, "one_edit": one_edit, "same": same, "first": first}


def _fmt(res: Sample | None, base: Sample, i: int) -> str:
    if res is None:
        return "-"
    if i == 2:
        return f"{res[2]:.0f} MB"
    return f"{res[i] * 1000:.0f} ms {res[i] / base[i]:.2f}x"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="sst-lsp check, cold and warm, against parsing every file once")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", action="store_true", help="keep the generated trees")
    p.add_argument("--apps", type=int, default=20)
    p.add_argument("--stacks", type=int, default=10)
    p.add_argument("--routes", type=int, default=25)
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="sst-lsp-bench-"))
    runner = Runner(work / "pycache")
    try:
        t0 = time.perf_counter()
        mono = work / "monorepo"
        counts = generate(mono, args.apps, args.stacks, args.routes)
        print(f"generated {', '.join(f'{k}={v}' for k, v in counts.items())} in "
              f"{time.perf_counter() - t0:.2f} s")
        example = work / "notes-app"
        shutil.copytree(REPO / "examples" / "notes-app", example,
                        ignore=shutil.ignore_patterns(".sst-lsp", "node_modules"))
        runner.run(["-m", "sst_lsp", "check", str(example), "--no-cache"], cwd=example)  # Compiles bytecode.
        mono_edit = next((mono / "apps" / "app00").rglob("route000.ts"), None)
        rows = [
            bench_tree(runner, "monorepo", mono, args.runs, mono_edit),
            bench_tree(runner, "notes-app", example, max(args.runs, 5),
                       example / "packages" / "functions" / "src" / "notes" / "get.ts"),
        ]
        cols = [("parse", "parse"), ("cold", "cold (--no-cache)"), ("fill", "first run (fills)"),
                ("warm", "warm"), ("one_edit", "warm, one edit"), ("checkout", "warm, after checkout")]
        for i, what in ((0, "wall time (best of the runs) and its ratio to parse"),
                        (1, "CPU time, user + system (best of the runs) and its ratio to parse"),
                        (2, "peak RSS")):
            print()
            print(what)
            print(f"{'tree':10} {'files':>5}  " + "  ".join(f"{label:>20}" for _, label in cols))
            for r in rows:
                base = r["parse"]
                print(f"{r['name']:10} {r['files']:5}  "
                      + "  ".join(f"{_fmt(r[k], base, i):>20}" for k, _ in cols))  # type: ignore[arg-type]
        print()
        print("cached results identical to cold ones: "
              + ", ".join(f"{r['name']} {'yes' if r['same'] else 'NO'}" for r in rows))
        print()
        print("language server's first index (in-process, best of the runs): cold vs the check cache lent")
        for r in rows:
            f = r["first"]
            cold_i, cached_i = f["cold"], f["cache"]  # type: ignore[index]
            print(f"{r['name']:10} wall {cold_i[0] * 1000:.0f} -> {cached_i[0] * 1000:.0f} ms "
                  f"({cached_i[0] / cold_i[0]:.2f}x), CPU {cold_i[1] * 1000:.0f} -> {cached_i[1] * 1000:.0f} ms "
                  f"({cached_i[1] / cold_i[1]:.2f}x), same findings: {'yes' if cold_i[2] == cached_i[2] else 'NO'}")
        print()
        floor = [
            ("python -c pass", ["-c", "pass"]),
            ("import sst_lsp.cli", ["-c", "import sst_lsp.cli"]),
            ("sst-lsp --version", ["-m", "sst_lsp", "--version"]),
        ]
        print("start-up (best of 5): " + ", ".join(
            f"{label} {min(runner.run(a, cwd=work)[0] for _ in range(5)) * 1000:.0f} ms"
            for label, a in floor))
        print("goals: cold <= 1.00x parse, warm <= 0.25x parse, notes-app warm < 100 ms")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
