"""Time how long each lecture notebook takes to execute top to bottom in a fresh kernel.

    python benchmarks/bench_notebooks.py [--quick]

Targets (issue 4): each notebook under 20 s, the whole lecture set under 60 s on the
course's 2-core machine. The time includes starting the kernel, as for a student
who opens a notebook and runs all cells. Notebooks are executed in memory; nothing is written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: tools/ is not installed

from tools.notebooks import execute, lecture_notebooks  # noqa: E402

EACH_S, ALL_S = 20.0, 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of the best of three")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else 3
    times: dict[str, float] = {}
    for path in lecture_notebooks():
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            execute(path, store=False)
            best = min(best, time.perf_counter() - start)
        times[path.name] = best
    total = sum(times.values())
    print(f"| notebook | run all, fresh kernel (best of {rounds}) | target |")
    print("|---|---:|---|")
    for name, seconds in times.items():
        print(f"| {name} | {seconds:.1f} s | < {EACH_S:g} s: {'met' if seconds < EACH_S else 'MISSED'} |")
    print(f"| all {len(times)} lectures | {total:.1f} s | < {ALL_S:g} s: {'met' if total < ALL_S else 'MISSED'} |")
    return 0 if total < ALL_S and all(t < EACH_S for t in times.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
