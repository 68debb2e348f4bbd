"""Benchmark: `sst-lsp check` cold on a generated monorepo (prints figures; never pass/fail).

Generates the synthetic monorepo of gen_monorepo.py (20 apps, 200 stacks, 5,000 routes, 5,000
handler files) into a temporary directory, then runs `python -m sst_lsp check --stats` on it in
a fresh subprocess several times and reports the wall time of each run and the peak RSS of the
child processes (`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`).

Targets from the issue: under 2 s and under 250 MB on a 2-core machine.

Usage: python benchmarks/bench_check.py [--runs N] [--keep] [--apps N --stacks N --routes N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from gen_monorepo import generate


def run_once(target: Path) -> tuple[float, int, str]:
    env = dict(os.environ)
    # Run the working tree's package whether or not it is installed.
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sst_lsp", "check", str(target), "--stats"],
        capture_output=True, text=True, env=env, cwd=target, check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"check failed with exit {proc.returncode}:\n{proc.stderr}")
    lines = proc.stdout.strip().splitlines()
    summary = " | ".join(lines[-2:]) if len(lines) >= 2 else proc.stdout.strip()
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="sst-lsp check, cold, on a synthetic monorepo")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", action="store_true", help="keep the generated monorepo")
    p.add_argument("--apps", type=int, default=20)
    p.add_argument("--stacks", type=int, default=10)
    p.add_argument("--routes", type=int, default=25)
    args = p.parse_args(argv)
    dest = Path(tempfile.mkdtemp(prefix="sst-lsp-bench-"))
    try:
        t0 = time.perf_counter()
        counts = generate(dest, args.apps, args.stacks, args.routes)
        print(f"generated {', '.join(f'{k}={v}' for k, v in counts.items())} in "
              f"{time.perf_counter() - t0:.2f} s at {dest}")
        walls = []
        for i in range(args.runs):
            wall, rss_kb, summary = run_once(dest)
            walls.append(wall)
            print(f"run {i + 1}: {wall:.2f} s wall, peak RSS so far {rss_kb / 1024:.0f} MB  ({summary})")
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"check (cold subprocess): first {walls[0]:.2f} s, median {statistics.median(walls):.2f} s, "
              f"peak RSS {rss_mb:.0f} MB  (targets: < 2 s, < 250 MB)")
    finally:
        if args.keep:
            print(f"kept {dest}")
        else:
            shutil.rmtree(dest, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
