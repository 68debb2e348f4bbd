"""Runs every benchmark in turn and prints their figures (`make bench`). Never pass/fail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_check.py", "bench_lsp.py", "bench_robust.py", "bench_synth.py", "bench_deploy.py"]


def main() -> int:
    for name in BENCHES:
        script = HERE / name
        if not script.exists():
            continue
        print(f"=== {name}", flush=True)
        proc = subprocess.run([sys.executable, str(script)], check=False)
        if proc.returncode != 0:
            print(f"({name} exited with {proc.returncode})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
