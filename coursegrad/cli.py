"""The `coursegrad` command: hand out and grade worksheets.

coursegrad generate                      student versions of worksheets/source/*.ipynb -> worksheets/release/
coursegrad generate --check              fail if a committed student version is out of date
coursegrad validate                      solved worksheet passes, unanswered one fails cleanly
coursegrad grade SOURCE SUBMISSIONS -o grades/   gradebook.csv, summary.csv, feedback/, written_answers.md
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

SAFETY = """\
Safety: grading RUNS THE STUDENTS' CODE with your privileges (your files, your network).
The grader limits harm, it does not sandbox: each submission runs in a separate kernel
process, started in a temporary folder holding a copy of the notebook (the submission itself
is only read), with a per-cell timeout, a cap on output and on the kernel's memory, and the
kernel is killed if it stops responding. Student code could still read or delete files you
can, or use the network. For untrusted submissions run the grader as an unprivileged user,
in a container or VM."""

DEFAULT_SOURCE_DIR = Path("worksheets/source")


def _sources(paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    found = sorted(DEFAULT_SOURCE_DIR.glob("*.ipynb"))
    if not found:
        raise SystemExit(f"no worksheets given and none in {DEFAULT_SOURCE_DIR}/ (run from the course folder, or name them)")
    return found


def _only_source() -> Path:
    """The instructor notebook when none is named: the one worksheet in worksheets/source/."""
    found = _sources([])
    if len(found) > 1:
        names = ", ".join(str(p) for p in found)
        raise SystemExit(f"several worksheets ({names}): name the one to grade, e.g. coursegrad grade {found[0]} submissions/")
    return found[0]


def cmd_generate(args: argparse.Namespace) -> int:
    from coursegrad.grading import release

    stale = 0
    for src in _sources(args.sources):
        out = Path(args.out) / src.name if args.out else release.release_path(src)
        if args.check:
            current = release.is_current(src, out)
            stale += not current
            print(f"{'up to date' if current else 'OUT OF DATE'}: {out}")
        else:
            print(f"wrote {release.generate(src, out)}")
    if stale:
        print("run `coursegrad generate` and commit the result", file=sys.stderr)
    return 1 if stale else 0


def cmd_validate(args: argparse.Namespace) -> int:
    from coursegrad.grading.validate import validate

    failed = 0
    for src in _sources(args.sources):
        report = validate(src, timeout=args.timeout)
        failed += not report.ok
        print(f"{'OK' if report.ok else 'FAILED'}: {src}")
        for problem in report.problems:
            print(f"  - {problem}")
        raising = ", ".join(f"{i} {gid} ({ename})" for i, gid, ename in report.expected_errors) or "none"
        print(f"  cells that raise in the unanswered student version (index grade_id (error)): {raising}")
    return 1 if failed else 0


def cmd_grade(args: argparse.Namespace) -> int:
    try:
        from coursegrad.grading import batch, report
    except ImportError as err:
        raise SystemExit(f"grading needs Jupyter's packages ({err}): pip install 'coursegrad[course]'") from None

    if len(args.paths) > 2:
        raise SystemExit("coursegrad grade takes [SOURCE] SUBMISSIONS: at most two paths")
    *given, folder = (Path(p) for p in args.paths)
    source = given[0] if given else _only_source()
    if not source.is_file():
        raise SystemExit(f"no instructor notebook at {source}")
    if not folder.is_dir():
        raise SystemExit(f"no folder of submissions at {folder} (one subfolder per student)")
    for loose in sorted(folder.glob("*.ipynb")):
        print(f"ignored {loose}: put each submission in a folder named after the student", file=sys.stderr)
    options = {"timeout": args.timeout, "max_output": args.max_output, "memory_mb": args.memory_mb}
    results_dir = Path(args.out) / "results"  # one file per student, as each finishes: a rerun resumes from them
    results = batch.grade_folder(source, folder, jobs=args.jobs, progress=not args.quiet, results_dir=results_dir, **options)
    if not results:
        raise SystemExit(f"no student folders in {folder}")
    out = report.write_all(results, args.out, source.stem, rubrics=report.rubrics_of(source))
    graded = sum(r.status == "graded" for r in results)
    print(f"graded {graded} of {len(results)} submissions; wrote {out}/gradebook.csv, summary.csv, feedback/, written_answers.md")
    return 0


def default_jobs() -> int:
    """Two workers (this kit's machines have two cores), fewer if the machine has fewer."""
    return max(1, min(2, os.cpu_count() or 1))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="coursegrad",
        description="Hand out and grade coursegrad worksheets (nbgrader format; no database, JupyterHub or Docker).",
        epilog=SAFETY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = sub.add_parser("generate", help="write the student version of each worksheet (worksheets/release/)")
    g.add_argument("sources", nargs="*", help="instructor notebooks (default: worksheets/source/*.ipynb)")
    g.add_argument("--out", help="folder for the student versions (default: release/ next to source/)")
    g.add_argument("--check", action="store_true", help="write nothing; exit 1 if a student version is out of date")
    g.set_defaults(run=cmd_generate)

    v = sub.add_parser("validate", help="check that the solved worksheet passes and the unanswered one fails cleanly")
    v.add_argument("sources", nargs="*", help="instructor notebooks (default: worksheets/source/*.ipynb)")
    v.add_argument("--timeout", type=float, default=30, help="seconds per cell (default 30)")
    v.set_defaults(run=cmd_validate)

    r = sub.add_parser(
        "grade",
        help="grade a folder of submissions: gradebook CSV and feedback per student",
        usage="coursegrad grade [-h] [-o OUT] [--jobs N] [--timeout S] [--max-output N] [--memory-mb MB] [-q] "
        "[SOURCE] SUBMISSIONS",
        description="Grade SUBMISSIONS/<student>/<worksheet>.ipynb against the instructor SOURCE.\n\n" + SAFETY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="[SOURCE] SUBMISSIONS: the instructor notebook (default: the one in worksheets/source/), "
        "then the folder with one subfolder per student",
    )
    r.add_argument("-o", "--out", default="grades", help="output folder (default: grades/)")
    r.add_argument("--jobs", type=int, default=default_jobs(), help="submissions graded in parallel (default: 2)")
    r.add_argument("--timeout", type=float, default=30, help="seconds a cell may run before it is interrupted (default 30)")
    r.add_argument("--max-output", type=int, default=100_000, help="characters of output kept per cell (default 100000)")
    r.add_argument("--memory-mb", type=int, default=4096, help="memory limit of each kernel in MB (default 4096; 0: none)")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(run=cmd_grade)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
