"""The `coursegrad` command: hand out and grade worksheets.

coursegrad generate                      the grader's items from the test cells' code; student versions -> worksheets/release/
coursegrad generate --check              fail if the stored items or a committed student version are out of date
coursegrad validate                      solved worksheet passes, unanswered one fails cleanly
coursegrad grade SOURCE SUBMISSIONS -o grades/   gradebook.csv, summary.csv, feedback/, written_answers.md
coursegrad merge OUT1 OUT2 ... -o grades/        combine the output folders of shards (--shard k/N)
coursegrad export gradescope|canvas ...          a Gradescope autograder zip; a Canvas gradebook CSV
coursegrad bundle -o student-course/             what students receive: lectures, student worksheets, the kit, no answers
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from datetime import datetime
from pathlib import Path

SAFETY = """\
Safety: on Linux with bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), each submission's
kernel runs in a sandbox (--sandbox auto, the default): it sees a read-only system, Python and
the kit's package, and its own folder with a copy of the notebook -- not the instructor source,
the other submissions or the output folder; no network; its own processes only (all killed
with it); as an unprivileged user of its own when you grade as root; a per-cell timeout, memory and time limits
(--timeout, --memory-mb, --budget).
Without bubblewrap (macOS, Windows, --sandbox none) grading RUNS THE STUDENTS' CODE with your
privileges (your files, your network): the grader says so on the terminal and in summary.csv's
notes (never in the students' feedback); then run it as an unprivileged user, in a container or VM. See worksheets/README.md."""

DEFAULT_SOURCE_DIR = Path("worksheets/source")


def _sources(paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    found = sorted(DEFAULT_SOURCE_DIR.glob("*.ipynb"))
    if not found:
        raise SystemExit(f"no worksheets given and none in {DEFAULT_SOURCE_DIR}/ (run from the course folder, or name them)")
    return found


def cmd_generate(args: argparse.Namespace) -> int:
    from coursegrad.grading import derive, records, release

    stale = missing = 0
    for src in _sources(args.sources):
        out = Path(args.out) / src.name if args.out else release.release_path(src)
        nb = release.read(src)
        changed, failed = derive.update(nb)
        missing += _not_derived(nb, failed)
        if args.check:
            current = release.is_current(src, out)
            stale += bool(changed) + (not current)
            print(f"{'OUT OF DATE: ' + ', '.join(changed) if changed else 'up to date'}: the items of {src}")
            print(f"{'up to date' if current else 'OUT OF DATE'}: {out}")
            continue
        if changed:
            records.write_atomically(src, release.to_text(nb))
            print(f"wrote the items of {len(changed)} test cell(s) into {src}: {', '.join(changed)}")
        print(f"wrote {release.generate(src, out)}")
    if stale:
        print("run `coursegrad generate` and commit the result", file=sys.stderr)
    if missing:
        print(f"{missing} test cell(s) have no items: the grader cannot score them (see above)", file=sys.stderr)
    return 1 if stale or missing else 0


def _not_derived(nb, failed: list) -> int:
    """Say which test cells generate could not read, why and what to write; how many are left without items."""
    from coursegrad.grading import cells as C
    from coursegrad.grading import derive

    cells = {C.grade_id(c): c for c in nb.cells}
    missing = 0
    for d in failed:
        kept = bool(derive.stored(cells[d.grade_id]))
        missing += not kept
        print(f"  could not derive the items of {d.grade_id} ({'kept its hand-written items' if kept else 'it has none'}):")
        for problem in d.problems:
            print(f"    - {problem}")
    return missing


def cmd_validate(args: argparse.Namespace) -> int:
    from coursegrad.grading.validate import validate

    failed = 0
    for src in _sources(args.sources):
        report = validate(src, timeout=args.timeout)
        failed += not report.ok
        print(f"{'OK' if report.ok else 'FAILED'}: {src}")
        if report.points:
            pts = report.points
            print(
                f"  points: the solved worksheet {pts['solved']:g} / {pts['max_auto']:g} autograded, the unanswered one "
                f"{pts['blank']:g}; {pts['manual']:g} more graded by hand"
            )
        for problem in report.problems:
            print(f"  - {problem}")
        for note in report.notes:
            print(f"  note: {note}")
        raising = ", ".join(f"{i} {gid} ({ename})" for i, gid, ename in report.expected_errors) or "none"
        print(f"  cells that raise in the unanswered student version (index grade_id (error)): {raising}")
    return 1 if failed else 0


def cmd_grade(args: argparse.Namespace) -> int:
    try:
        from coursegrad.grading import course, lifetime
        from coursegrad.grading import settings as stored_settings
    except ImportError as err:
        raise SystemExit(f"grading needs Jupyter's packages ({err}): pip install 'coursegrad[course]'") from None
    lifetime.sweep()  # temporary folders of a grader that was killed

    if len(args.paths) > 2:
        raise SystemExit("coursegrad grade takes [SOURCE] SUBMISSIONS: at most two paths")
    *given, folder = (Path(p) for p in args.paths)
    sources = _sources([]) if not given else sorted(given[0].glob("*.ipynb")) if given[0].is_dir() else given
    if not sources or not all(s.is_file() for s in sources):
        raise SystemExit(f"no instructor notebook at {given[0] if given else DEFAULT_SOURCE_DIR}")
    if folder.suffix.lower() == ".zip" and folder.is_file():  # Canvas's or Gradescope's download (desk/lms.py)
        from coursegrad.desk import lms

        try:
            folder = lms.unpack(folder, [s.stem for s in sources], Path(args.out) / "lms" / folder.stem)
        except (ValueError, OSError, zipfile.BadZipFile) as err:
            raise SystemExit(f"coursegrad grade: {err}") from None
    if not folder.is_dir():
        raise SystemExit(f"no folder of submissions at {folder} (one subfolder per student, or an LMS zip)")
    for loose in sorted(folder.glob("*.ipynb")):
        print(f"ignored {loose}: put each submission in a folder named after the student", file=sys.stderr)
    try:
        settings, values = _settings(args, sources, folder)
        stored_settings.save(args.out, values)  # before grading: every record written from now on follows them
        graded, fresh = course.grade(sources, folder, args.out, settings)
        applied = course.publish(args.out, graded, sources)
    except ValueError as err:
        raise SystemExit(f"coursegrad grade: {err}") from None
    print(
        f"{count_line(graded)} ({len(sources)} worksheet(s); {fresh} graded now, the rest unchanged since last time); "
        f"{applied} hand grade(s) folded in"
    )
    print(f"wrote {args.out}/gradebook.csv, summary.csv, feedback/, written_answers.md, manual.csv, similarity.csv")
    if note := course.old_cache(args.out):
        print(note)
    return 0


def count_line(graded: list) -> str:
    """'graded 43 submission(s); 1 missing, 2 unreadable': a missing worksheet is never counted as graded."""
    by: dict[str, int] = {}
    for g in graded:
        by[g.submission.status] = by.get(g.submission.status, 0) + 1
    done = by.pop("graded", 0)
    words = {"missing": "missing", "invalid": "unreadable", "grader-error": "failed in the grader"}
    rest = ", ".join(f"{n} {words.get(status, status)}" for status, n in sorted(by.items()))
    return f"graded {done} submission(s)" + (f"; {rest}" if rest else "")


def _given(args: argparse.Namespace) -> dict:
    """The grading settings given on the command line (`grading.settings`), checked; ValueError if malformed."""
    from coursegrad.grading import late

    limits = ("timeout", "budget", "max_output", "memory_mb", "sandbox")
    given = {k: getattr(args, k) for k in limits if getattr(args, k) is not None}
    if args.due is not None:
        given["due"] = None if args.due.strip().lower() == "none" else late.parse_time(args.due, "--due").isoformat()
    if args.late_penalty is not None:
        given["late_penalty"] = late.parse_policy(args.late_penalty).text
    if args.extensions is not None and args.extensions.strip().lower() != "none":
        if not Path(args.extensions).is_file():
            raise ValueError(f"--extensions: no file {args.extensions}")
        given["extensions"] = late.read_extensions(args.extensions)
    elif args.extensions is not None:
        given["extensions"] = []
    return given


def _settings(args: argparse.Namespace, sources: list[Path], folder: Path):
    """This run's settings: those given on the command line, the rest kept from OUT/settings.json (said so,
    then stored there); ValueError for anything malformed or inconsistent."""
    from coursegrad.grading import course, late, shard
    from coursegrad.grading import settings as stored_settings

    stored = stored_settings.load(args.out)
    values, kept, changed = stored_settings.combine(_given(args), stored)
    if values["due"] is None and values["late_penalty"] != "none":
        why = "" if args.late_penalty is not None else f" (kept from {args.out}/settings.json)"
        raise ValueError(f"--late-penalty {values['late_penalty']}{why} needs --due: the due date it counts from")
    everyone = {p.name for p in folder.iterdir() if p.is_dir() or p.is_symlink()}
    worksheets = {s.stem for s in sources} | {p.stem for s in sources for p in s.parent.glob("*.ipynb")}
    unknown = late.unknown_in_extensions(values["extensions"], everyone, worksheets)
    if unknown:
        where = "--extensions" if args.extensions else f"the extensions kept in {args.out}/settings.json"
        raise ValueError(f"{where} name {', '.join(unknown)}: correct the file, give it as --extensions (students: {folder}/)")
    options = {k: values[k] for k in ("timeout", "max_output", "memory_mb", "sandbox")} | {"budget": values["budget"] or None}
    s = course.Settings(jobs=args.jobs, progress=not args.quiet, options=options, force=args.force, scheduler=args.scheduler)
    s.only = [name.strip() for name in (args.only or "").split(",") if name.strip()]
    s.shard = shard.parse(args.shard) if args.shard else None
    s.due = datetime.fromisoformat(values["due"]) if values["due"] else None
    s.policy = late.parse_policy(values["late_penalty"])
    s.extensions = late.extension_dates(values["extensions"])
    if not course.students_in(folder, s):
        raise SystemExit(f"no student folders in {folder}" + (" for this --shard/--only" if args.shard or args.only else ""))
    if changed and (s.only or s.shard):
        _not_for_some(s, args.out, sources, folder, changed)
    _say(args.out, stored, values, kept, changed)
    return s, values


def _say(out: str, stored: dict | None, values: dict, kept: list[str], changed: list[str]) -> None:
    """Tell the instructor which settings this run keeps, changes or stores for the first time."""
    from coursegrad.grading import settings as stored_settings

    if stored is None:
        first = [stored_settings.describe(k, v) for k, v in values.items() if v != stored_settings.DEFAULTS[k]]
        older = " (the results there were graded before coursegrad kept its settings)" if (Path(out) / "results").is_dir() else ""
        print(f"settings stored in {out}/settings.json{older}, a rerun keeps them: {'; '.join(first) or 'the defaults'}")
    for said, which in (("kept from", kept), ("changed in", changed)):
        if which:
            print(f"settings {said} {out}/settings.json: {'; '.join(which)}")


def _not_for_some(s, out: str, sources: list[Path], folder: Path, changed: list[str]) -> None:
    """A changed setting with --only/--shard would leave the other students' records graded the old way: refuse."""
    from coursegrad.grading import course, records

    everyone = {p.name for p in folder.iterdir() if p.is_dir() or p.is_symlink()}
    left_out = everyone - set(course.students_in(folder, s))
    others = sorted(st for st in left_out if any(records.path_of(out, w.stem, st).is_file() for w in sources))
    if others:
        names = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        raise ValueError(
            f"changed settings ({'; '.join(changed)}) must apply to every student, but --only/--shard leaves out "
            f"{names}, graded before with the old ones: run without --only/--shard (unchanged submissions are "
            "not graded again), or keep the settings"
        )


def cmd_merge(args: argparse.Namespace) -> int:
    from coursegrad.desk import lms
    from coursegrad.grading import course

    inputs = [Path(p) for p in args.folders]
    out = Path(args.out)
    try:
        # the output folder's own hand grades first: they must agree with the inputs', like the inputs' with each other
        rows = course.manual_rows([out] * (out.resolve() not in {p.resolve() for p in inputs}) + inputs)
        graded = course.merge(inputs, out)
        lms.carry(inputs, out)  # each student's LMS ids (export canvas, the feedback zip) come along
        sources = sorted(DEFAULT_SOURCE_DIR.glob("*.ipynb"))
        applied = course.publish(args.out, graded, sources, rows)
    except ValueError as err:
        raise SystemExit(f"coursegrad merge: {err}") from None
    print(f"merged {len(graded)} graded submissions from {len(inputs)} folder(s); {applied} hand grade(s) folded in")
    print(f"wrote {args.out}/gradebook.csv, summary.csv, feedback/, written_answers.md, manual.csv, similarity.csv")
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    from coursegrad.export import bundle

    try:
        out = bundle.build(args.out)
    except ValueError as err:
        raise SystemExit(f"coursegrad bundle: {err}") from None
    print(f"wrote {out}: give students this folder (e.g. as a public repository); keep the full course private")
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

    g = sub.add_parser(
        "generate",
        help="derive the grader's items from each test cell's code (written into the source), and write the student version",
    )
    g.add_argument("sources", nargs="*", help="instructor notebooks (default: worksheets/source/*.ipynb)")
    g.add_argument("--out", help="folder for the student versions (default: release/ next to source/)")
    g.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the stored items or a student version are out of date"
    )
    g.set_defaults(run=cmd_generate)

    v = sub.add_parser("validate", help="check that the solved worksheet passes and the unanswered one fails cleanly")
    v.add_argument("sources", nargs="*", help="instructor notebooks (default: worksheets/source/*.ipynb)")
    v.add_argument("--timeout", type=float, default=30, help="seconds per cell (default 30)")
    v.set_defaults(run=cmd_validate)

    r = sub.add_parser(
        "grade",
        help="grade a folder of submissions: gradebook CSV and feedback per student",
        usage="coursegrad grade [-h] [-o OUT] [--jobs N] [--timeout S] [--budget S] [--max-output N] [--memory-mb MB] "
        "[--sandbox {auto,bwrap,none}] [-q] "
        "[--due T] [--late-penalty P] [--extensions CSV] [--only A,B] [--force] [--shard k/N] [--scheduler ADDR] "
        "[SOURCE] SUBMISSIONS",
        description="Grade SUBMISSIONS/<student>/<worksheet>.ipynb against the instructor SOURCE (a notebook, or a folder "
        "of them; default: every worksheet in worksheets/source/).\n\n" + SAFETY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="[SOURCE] SUBMISSIONS: the instructor notebook or folder (default: every one in worksheets/source/), "
        "then the folder with one subfolder per student",
    )
    r.add_argument("-o", "--out", default="grades", help="output folder (default: grades/)")
    r.add_argument("--jobs", type=int, default=default_jobs(), help="submissions graded in parallel (default: 2)")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _limit_options(r)
    _workflow_options(r)
    r.set_defaults(run=cmd_grade)

    _merge_and_bundle(sub)
    from coursegrad.export.commands import add_export

    add_export(sub)
    from coursegrad.desk.commands import add_review

    add_review(sub)
    return p


def _merge_and_bundle(sub) -> None:
    """`coursegrad merge` (shards into one gradebook) and `coursegrad bundle` (what students receive)."""
    m = sub.add_parser("merge", help="combine output folders (of --shard runs) into one gradebook; fold in manual.csv")
    m.add_argument("folders", nargs="+", metavar="OUT", help="output folders of coursegrad grade")
    m.add_argument("-o", "--out", required=True, help="the merged output folder (may be one of the inputs)")
    m.set_defaults(run=cmd_merge)

    b = sub.add_parser("bundle", help="what students receive: lectures, student worksheets, the kit without answers")
    b.add_argument("-o", "--out", default="student-course", help="a new folder to write (default student-course/)")
    b.set_defaults(run=cmd_bundle)


def _limit_options(r: argparse.ArgumentParser) -> None:
    """What each submission's kernel may do: its sandbox, time and memory (defaults: `grading.settings.DEFAULTS`;
    an option not given keeps the value stored in OUT/settings.json by the last run)."""
    r.add_argument("--timeout", type=float, help="seconds a cell may run before it is interrupted (default 30)")
    r.add_argument(
        "--budget", type=float, help="CPU seconds all cells of a submission may use (4x that in wall time; default 120; 0: none)"
    )
    r.add_argument(
        "--sandbox",
        choices=["auto", "bwrap", "none"],
        help="run each kernel in a bubblewrap sandbox: auto (where it works, default), bwrap (or fail), none",
    )
    r.add_argument("--max-output", type=int, help="characters of output kept per cell (default 100000)")
    r.add_argument("--memory-mb", type=int, help="memory limit of each kernel in MB (default 4096; 0: none)")


def _workflow_options(r: argparse.ArgumentParser) -> None:
    w = r.add_argument_group(
        "workflow (late work, regrading, several machines)",
        "The grading settings (--due, --late-penalty, --extensions and the kernel's limits above) are stored in "
        "OUT/settings.json: a rerun keeps those it is not given, and says so.",
    )
    w.add_argument("--due", help="due date, e.g. '2026-03-01 23:59' (local time) or 2026-03-01T23:59+01:00; none: no due date")
    w.add_argument("--late-penalty", help="none, zero, or e.g. 10%%/day or 5%%/hour,max=50%% (default none; needs --due)")
    w.add_argument("--extensions", help="CSV with columns student, due [, worksheet]: later due dates; none: no extensions")
    w.add_argument("--only", help="regrade only these students (comma-separated folder names)")
    w.add_argument("--force", action="store_true", help="regrade everyone (default: skip unchanged, already graded work)")
    w.add_argument("--shard", help="grade share k of N of the students (k/N); combine with coursegrad merge")
    w.add_argument("--scheduler", help="grade on a Dask cluster at this address, e.g. tcp://HOST:8786 (coursegrad[cluster])")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
