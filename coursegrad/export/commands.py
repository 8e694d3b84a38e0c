"""The `coursegrad export` command: `export gradescope` and `export canvas`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_gradescope(args: argparse.Namespace) -> int:
    from coursegrad.export import gradescope

    source = Path(args.source) if args.source else _one_source()
    if not source.is_file():
        raise SystemExit(f"no instructor notebook at {source}")
    try:
        given = dict(_pair(v) for v in args.visibility or [])
        out = gradescope.build(source, args.out, timeout=args.timeout, visibility=given)
    except ValueError as err:
        raise SystemExit(f"coursegrad export gradescope: {err}") from None
    print(f"wrote {out}: upload it as the assignment's autograder (Gradescope: Configure Autograder, zip file upload)")
    return 0


def _pair(text: str) -> tuple[str, str]:
    gid, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"--visibility takes GRADE_ID=VALUE, e.g. ex7_backward=after_due_date, not {text!r}")
    return gid.strip(), value.strip()


def _one_source() -> Path:
    found = sorted(Path("worksheets/source").glob("*.ipynb"))
    if len(found) != 1:
        names = ", ".join(str(p) for p in found) or "none in worksheets/source/"
        raise SystemExit(f"name the worksheet to export ({names})")
    return found[0]


def cmd_canvas(args: argparse.Namespace) -> int:
    from coursegrad.export import canvas

    try:
        unmatched = canvas.export(args.grades, args.roster, args.out, column=args.match_column)
    except ValueError as err:
        raise SystemExit(f"coursegrad export canvas: {err}") from None
    for student in unmatched:
        print(f"not in the gradebook: {student}", file=sys.stderr)
    if unmatched:
        print(
            f"coursegrad export canvas: {len(unmatched)} student(s) of the grades are not in {args.roster}, so their scores "
            f"are not in {args.out}: export the gradebook again from this course, or give each a '{args.match_column}' "
            "column value (the folder name)",
            file=sys.stderr,
        )
    print(f"wrote {args.out}: import it in Canvas (Grades, Import)")
    return 1 if unmatched else 0


def add_export(sub) -> None:
    e = sub.add_parser("export", help="grades out: a Gradescope autograder zip, a Canvas gradebook CSV")
    kinds = e.add_subparsers(dest="kind", required=True, metavar="KIND")
    g = kinds.add_parser("gradescope", help="the autograder zip for Gradescope (setup.sh, run_autograder, kit, source)")
    g.add_argument("source", nargs="?", help="the instructor notebook (default: the one in worksheets/source/)")
    g.add_argument("-o", "--out", default="autograder.zip", help="the zip to write (default autograder.zip)")
    g.add_argument("--timeout", type=float, default=30, help="seconds per cell when grading on Gradescope (default 30)")
    g.add_argument(
        "--visibility",
        action="append",
        metavar="GRADE_ID=VALUE",
        help="when students see a test: visible, after_due_date, after_published or hidden (default: "
        "after_due_date for a cell whose hidden tests try cases of their own, else visible); repeatable",
    )
    g.set_defaults(run=cmd_gradescope)
    c = kinds.add_parser("canvas", help="a CSV for Canvas's gradebook import: one column per worksheet, final scores")
    c.add_argument("grades", help="an output folder of coursegrad grade (its summary.csv), or that summary.csv")
    book = (
        "Canvas's own gradebook export (Grades, Export: Student, ID, SIS User ID, SIS Login ID, Section); students "
        "graded from an LMS zip are found in it by their Canvas user id or Gradescope sid/e-mail"
    )
    c.add_argument("--gradebook", "--roster", dest="roster", required=True, metavar="CSV", help=book)
    c.add_argument(
        "--match-column",
        default="coursegrad",
        metavar="COLUMN",
        help="gradebook column holding a student's folder name (default: 'coursegrad'; else the LMS ids, or for "
        "folders not from an LMS zip SIS Login ID, SIS User ID, ID, Student are tried)",
    )
    c.add_argument("-o", "--out", default="canvas.csv", help="the CSV to write (default canvas.csv)")
    c.set_defaults(run=cmd_canvas)
