"""How long grading a class takes: N submissions of worksheet 1, graded with `jobs` workers.

    python benchmarks/bench_grading.py            # 100 submissions, 2 workers (the target: under 120 s)
    python benchmarks/bench_grading.py -n 20 --jobs 1
    python benchmarks/bench_grading.py --quick    # 10 submissions (a smoke test)

The submissions are made from the worksheet: a third solved, a third unanswered, a third half
solved, so the tests both pass and fail. Prints the wall time, the time per submission and
checks that every solved one got full points.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"


def make_class(folder: Path, n: int) -> None:
    from coursegrad.grading import cells as C
    from coursegrad.grading.release import read, student_version
    from coursegrad.grading.validate import solved

    source = read(SOURCE)
    blank = student_version(source)
    full = solved(blank, source)
    half = nbformat.from_dict(nbformat.from_dict(full))
    answers = [c for c in half.cells if C.is_solution(c) and c.cell_type == "code"]
    for cell in answers[len(answers) // 2 :]:
        cell.source = C.CODE_STUB
    for i in range(n):
        nb = (full, blank, half)[i % 3]
        (folder / f"student{i:03d}").mkdir()
        nbformat.write(nb, str(folder / f"student{i:03d}" / SOURCE.name))


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", type=int, default=100, help="number of submissions (default 100)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--quick", action="store_true", help="10 submissions only")
    args = p.parse_args(argv)
    if args.quick:
        args.n = 10
    from coursegrad.grading.batch import grade_folder

    with tempfile.TemporaryDirectory() as tmp:
        make_class(Path(tmp), args.n)
        start = time.perf_counter()
        results = grade_folder(SOURCE, tmp, jobs=args.jobs, progress=True, timeout=30)
        wall = time.perf_counter() - start
    full = [r for i, r in enumerate(results) if i % 3 == 0]
    assert all(r.total == r.max_auto for r in full), "a solved submission lost points"
    assert all(r.status == "graded" for r in results)
    inside = sum(r.seconds for r in results) / len(results)
    print("\n| submissions | workers | wall time | per submission | each inside a worker | target |")
    print("|---|---|---|---|---|---|")
    print(f"| {args.n} | {args.jobs} | {wall:.1f} s | {wall / args.n:.2f} s | {inside:.2f} s | 100 in < 120 s |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
