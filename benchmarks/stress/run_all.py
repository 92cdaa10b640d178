"""The whole stress suite at full size, one script after the other, each against a fresh server.

    .venv/bin/python benchmarks/stress/run_all.py [--quick] [--serve-args "--max-concurrency 2 --threads 1"]

``--quick`` runs the sizes the tests use. Run it on an otherwise idle machine:
the load figures (CPU, latency) mean nothing while other work competes for the
cores. The exit status is the number of scripts that reported failures.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--serve-args", default="", help="server options for the load script")
    args = parser.parse_args()
    full = not args.quick
    runs = [
        ["fuzz_schema.py", "--cases", "5000" if full else "300"],
        ["fuzz_text.py", "--random", "500" if full else "20"],
        ["raw_http.py", "--random", "500" if full else "60"],
        ["load.py", "--clients", "50" if full else "8", "--seconds", "60" if full else "10",
         "--settle", "30" if full else "5", *(["--serve-args", args.serve_args] if args.serve_args else [])],
        ["faults.py"],
        ["memory_cycle.py", "--cycles", "100" if full else "3"],
    ]
    failed = 0
    for command in runs:
        started = time.monotonic()
        print(f"\n=== {' '.join(shlex.quote(c) for c in command)}", flush=True)
        result = subprocess.run([sys.executable, str(HERE / command[0]), *command[1:]])
        print(f"=== {command[0]}: exit {result.returncode} in {time.monotonic() - started:.0f} s", flush=True)
        failed += result.returncode != 0
    return failed


if __name__ == "__main__":
    sys.exit(main())
