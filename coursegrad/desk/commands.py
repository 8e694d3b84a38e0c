"""`coursegrad review OUT`: the grading screen for written answers (`review.py`), opened in JupyterLab."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def add_review(sub) -> None:
    r = sub.add_parser("review", help="grade the written answers on one screen in JupyterLab (saved to OUT/manual.csv)")
    r.add_argument("out", help="the output folder of coursegrad grade (it has manual.csv)")
    r.add_argument("sources", nargs="*", help="instructor notebooks (default: worksheets/source/*.ipynb)")
    r.add_argument("--no-lab", action="store_true", help="only write OUT/review.ipynb; do not start JupyterLab")
    r.set_defaults(run=cmd_review)
    f = sub.add_parser("feedback", help="zip the HTML feedback for Canvas's 'Re-Upload Submissions' (from a Canvas zip)")
    f.add_argument("out", help="the output folder of coursegrad grade")
    f.add_argument("-o", "--zip", required=True, help="the zip to write, e.g. feedback_for_canvas.zip")
    f.set_defaults(run=cmd_feedback)
    w = sub.add_parser("written-pdf", help="one PDF of the written answers per student (for grading them on Gradescope)")
    w.add_argument("out", help="the output folder of coursegrad grade")
    w.add_argument("sources", nargs="*", help="instructor notebooks (default: worksheets/source/*.ipynb)")
    w.add_argument("-o", "--to", required=True, help="the folder to write <student>.pdf into")
    w.set_defaults(run=cmd_written_pdf)


def cmd_written_pdf(args: argparse.Namespace) -> int:
    from coursegrad.desk.written_pdf import write_pdfs

    sources = [Path(s) for s in args.sources] or sorted(Path("worksheets/source").glob("*.ipynb"))
    try:
        written = write_pdfs(args.out, sources, args.to)
    except (RuntimeError, ImportError) as err:
        print(f"coursegrad written-pdf: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} PDF(s) into {args.to}")
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from coursegrad.desk import feedback_out

    count, left_out = feedback_out.canvas_zip(args.out, args.zip)
    print(f"wrote {args.zip}: feedback for {count} Canvas student(s)")
    if left_out:
        print(f"left out (not from a Canvas zip): {', '.join(left_out)}", file=sys.stderr)
    return 0 if count else 1


def cmd_review(args: argparse.Namespace) -> int:
    from coursegrad.desk.review import write_notebook
    from coursegrad.grading import manual

    out = Path(args.out)
    if not (out / manual.NAME).is_file():
        print(f"{out / manual.NAME} not found: run coursegrad grade first", file=sys.stderr)
        return 2
    sources = [Path(s) for s in args.sources] or sorted(Path("worksheets/source").glob("*.ipynb"))
    path = write_notebook(out, sources)
    print(f"wrote {path}")
    if args.no_lab:
        return 0
    if shutil.which("jupyter") is None and not Path(sys.executable).with_name("jupyter").exists():
        print("JupyterLab is not installed (pip install 'coursegrad[course]'); open the notebook above in it", file=sys.stderr)
        return 1
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", str(path)])
