"""Grade a course: every worksheet for every student, into one output folder, resumable.

    grade(sources, submissions/, grades/, settings)  ->  grades/results/<worksheet>/<student>.json, then
    publish(grades/, records, sources)               ->  gradebook.csv, summary.csv, feedback/, manual.csv, ...

Each student's notebooks are found by the worksheet's file name (`submissions/alice/02_x.ipynb`).
The records are the one result store (`records.Store`): the batch grader writes each student's record
as soon as it is graded, so an interrupted run loses only the submissions in flight, and a rerun keeps
every record whose submission, instructor source and grading options are unchanged (`force` regrades
all, `only` regrades just those named) and starts no kernel when nothing changed. The course record adds
the worksheet, late penalty and answers to the batch's result; a kept record gets the late penalty again
(the due date may have changed), not its answers.
`shard=(k, N)` grades one share of the class (see `shard.py`); `merge` combines output folders.
The stages after grading (late penalties, hand grades, reports, the copying signal) run on the
records, so a merged folder is published exactly like a one-machine run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from coursegrad.desk import feedback_out, report_html
from coursegrad.grading import batch, late, manual, records, report, settings, shard, similarity
from coursegrad.grading.grade import load
from coursegrad.grading.model import Submission
from coursegrad.grading.records import Graded
from coursegrad.grading.source import worksheet


@dataclass
class Settings:
    """How to grade: parallelism and kernel limits (`options`), which students, and the late policy."""

    jobs: int = 2
    progress: bool = True
    options: dict = field(default_factory=dict)  # timeout, max_output, memory_mb
    only: list[str] = field(default_factory=list)
    force: bool = False
    shard: tuple[int, int] | None = None
    scheduler: str | None = None  # a Dask scheduler address: grade on that cluster
    due: datetime | None = None
    policy: late.Policy = field(default_factory=late.Policy)
    extensions: dict = field(default_factory=dict)  # (worksheet or "", student) -> due


def students_in(folder: str | Path, settings: Settings) -> list[str]:
    """The student folders this run grades (after --shard and --only); ValueError for unknown names."""
    everyone = sorted(p.name for p in Path(folder).iterdir() if p.is_dir() or p.is_symlink())
    unknown = sorted(set(settings.only) - set(everyone))
    if unknown:
        raise ValueError(f"--only: no folder for {', '.join(unknown)} in {folder}")
    chosen = shard.select(everyone, *settings.shard) if settings.shard else everyone
    return [s for s in chosen if not settings.only or s in settings.only]


def grade(sources: list[Path], folder: str | Path, out: str | Path, settings: Settings) -> tuple[list[Graded], int]:
    """Grade (or resume grading) every worksheet in `sources`.

    Returns every record in `out` and how many submissions were graded now (the rest were unchanged)."""
    chosen = students_in(folder, settings)
    fresh = sum(_grade_worksheet(Path(s), folder, Path(out), chosen, settings, len(sources) == 1) for s in sources)
    return records.load_all(out), fresh


def _grade_worksheet(source: Path, folder, out: Path, chosen: list[str], settings: Settings, renamed: bool) -> int:
    """Grade one worksheet into `out/results/<worksheet>/`, resuming from the records there; how many
    records have a new result (graded now, or missing since)."""
    ws = worksheet(source)
    nb_source, fresh = ws.notebook(), 0

    def make(sub: Submission, stored: Graded | None) -> Graded:
        nonlocal fresh
        fresh += not same_result(stored, sub)
        return record(ws.stem, nb_source, sub, settings, stored)

    limited = settings.shard is not None or bool(settings.only)
    course = batch.Course(renamed, set(chosen) if limited else None, settings.scheduler, make)
    resume = not (settings.force or settings.only)
    batch.grade_folder(ws, folder, settings.jobs, settings.progress, out, resume, course, **settings.options)
    return fresh


def record(worksheet: str, nb_source, sub: Submission, settings: Settings, stored: Graded | None = None) -> Graded:
    """The record of a graded submission: hand-in time and late penalty, literal answers (those of `stored`,
    the student's stored record, when it holds this very result). The store adds the checksums and options."""
    g = Graded(worksheet, sub)
    path = sub.path
    if path is None or not Path(path).is_file():
        return g
    when, origin = late.submitted_at(path)
    g.submitted = when.isoformat(timespec="seconds") + ("" if origin == "timestamp.txt" else f" ({origin})")
    ext = settings.extensions
    due = ext.get((worksheet, sub.student)) or ext.get(("", sub.student)) or settings.due
    g.late, g.penalty = late.assess(due, settings.policy, when, origin)
    if same_result(stored, sub):  # kept: the same submission, graded the same way
        g.answers = stored.answers
        return g
    try:
        g.answers = similarity.answers(nb_source, load(path), sub)
    except (ValueError, OSError):
        g.answers = {}
    return g


def same_result(stored: Graded | None, sub: Submission) -> bool:
    """True if the record `stored` holds the result `sub` (wherever the submission's folder is now)."""
    return stored is not None and dataclasses.replace(stored.submission, path=sub.path) == sub


def old_cache(out: str | Path) -> str:
    """What to tell the instructor about `out/cache/`, a second copy of the results that coursegrad kept
    before the records became the one result store ("" if there is none). It is never read; nothing
    in it is lost by deleting it (every result in it is also a record in `out/results/`)."""
    cache = Path(out) / "cache"
    if not any(cache.glob("*/*.json")):
        return ""
    results = Path(out) / records.RESULTS
    return (
        f"{cache}/ is a second copy of results from an earlier coursegrad, no longer read (they are in {results}/): "
        "you can delete it"
    )


def publish(out: str | Path, graded: list[Graded], sources: list[Path], extra_manual: list[dict] = ()) -> int:
    """Fold in the hand grades, then write gradebook, summary, feedback, written answers and similarity.csv.

    Returns how many hand grades were applied."""
    rubric = {Path(s).stem: report.rubrics_of(s) for s in sources}
    applied = manual.fold(out, graded, rubric, list(extra_manual))
    report.write_graded(graded, out, rubric)
    similarity.write(out, graded)
    report_html.write(out, sources)  # grades/report.html: the class's statistics, from the files above
    feedback_out.write_html(out)  # feedback/<student>.html beside each .md
    return applied


def merge(inputs: list[Path], out: Path) -> list[Graded]:
    """Copy every record of the output folders `inputs` into `out`, with their reference values and their
    settings.json; ValueError if two disagree on a record or were graded with different settings
    (`settings.differences`).

    Returns every record in `out`, and the filled rows of the inputs' manual.csv go with them."""
    for folder in inputs:
        if not (Path(folder) / records.RESULTS).is_dir():
            raise ValueError(f"{folder}: no {records.RESULTS}/ folder (not an output folder of coursegrad grade)")
    differ = settings.differences(inputs)
    if differ:
        lines = "\n  ".join(differ)
        raise ValueError(f"the folders were graded with different settings:\n  {lines}\ngrade them again with the same settings")
    stored = settings.load(inputs[0])
    seen: dict[tuple[str, str], tuple[Path, Graded]] = {}
    for folder in inputs:
        for g in records.load_all(folder):
            key = (g.worksheet, g.student)
            if key in seen and seen[key][1].checksums != g.checksums:
                raise ValueError(f"{g.worksheet}/{g.student} was graded differently in {seen[key][0]} and {folder}")
            seen[key] = (Path(folder), g)
    for _, g in seen.values():
        records.save(out, g)
    _copy_references(inputs, out)
    if stored is not None:
        settings.save(out, stored)
    return records.load_all(out)


def _copy_references(inputs: list[Path], out: Path) -> None:
    """The inputs' reference values go with their records (each file carries the source and options it is
    for, so a stale one is only computed again); where several inputs have one, the first input's."""
    for folder in reversed(inputs):
        for kept in records.references(folder):
            target = Path(out) / records.RESULTS / kept.name
            if not target.exists() or not target.samefile(kept):
                records.write_atomically(target, kept.read_text(encoding="utf-8"))


def manual_rows(folders: list[Path]) -> list[dict]:
    """The filled rows of the folders' manual.csv files; ValueError listing every hand grade they disagree on."""
    rows: dict[tuple[str, str, str], tuple[Path, dict]] = {}
    conflicts = []
    for folder in folders:
        for key, row in manual.filled(manual.read(Path(folder) / manual.NAME)).items():
            if key in rows and _hand_grade(rows[key][1]) != _hand_grade(row):
                said = [
                    f"{p or 'no'} points, comment {c!r} in {f}"
                    for f, (p, c) in ((rows[key][0], _hand_grade(rows[key][1])), (folder, _hand_grade(row)))
                ]
                conflicts.append(f"{'/'.join(key)}: " + "; ".join(said))
            rows.setdefault(key, (Path(folder), row))
    if conflicts:
        listed = "\n  ".join(conflicts)
        raise ValueError(
            f"the manual.csv files disagree on {len(conflicts)} hand grade(s):\n  {listed}\nmake them agree, then merge"
        )
    return [row for _, row in rows.values()]


def _hand_grade(row: dict) -> tuple[str, str]:
    """(points, comment) of a manual.csv row, the points as a number would print them."""
    points = (row.get("points") or "").strip()
    try:
        points = f"{float(points.replace(',', '.')):g}" if points else ""
    except ValueError:
        pass
    return points, (row.get("comment") or "").strip()
