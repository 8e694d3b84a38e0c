"""Grade a course: every worksheet for every student, into one output folder, resumable.

    grade(sources, submissions/, grades/, settings)  ->  grades/results/<worksheet>/<student>.json, then
    publish(grades/, records, sources)               ->  gradebook.csv, summary.csv, feedback/, manual.csv, ...

Each student's notebooks are found by the worksheet's file name (`submissions/alice/02_x.ipynb`).
The batch grader keeps each result in `grades/cache/<worksheet>/` as soon as it is graded, so an
interrupted run loses only the submissions in flight, and a rerun skips every student whose
submission, instructor source and grading options are unchanged (`force` regrades all, `only`
regrades just those named). The course record adds the worksheet, late penalty and answers.
`shard=(k, N)` grades one share of the class (see `shard.py`); `merge` combines output folders.
The stages after grading (late penalties, hand grades, reports, the copying signal) run on the
records, so a merged folder is published exactly like a one-machine run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from coursegrad.desk import feedback_out, report_html
from coursegrad.grading import batch, late, manual, records, report, settings, shard, similarity
from coursegrad.grading.escape import file_name
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
    """Grade one worksheet (the batch grader resumes from `out/cache/<worksheet>/`); record each result."""
    ws = worksheet(source)
    nb_source, fresh = ws.notebook(), 0

    def save(sub: Submission) -> None:
        nonlocal fresh
        old = _previous(out, ws.stem, sub.student)
        g = record(ws.stem, nb_source, sub, sub.path, ws.sha256, settings)
        if g != old:
            records.save(out, g)
            fresh += old is None or old.submission != sub

    limited = settings.shard is not None or bool(settings.only)
    course = batch.Course(renamed, set(chosen) if limited else None, settings.scheduler, save)
    resume = not (settings.force or settings.only)
    cache = out / "cache" / file_name(ws.stem)
    batch.grade_folder(ws, folder, settings.jobs, settings.progress, cache, resume, course, **settings.options)
    return fresh


def _previous(out: Path, worksheet: str, student: str) -> Graded | None:
    path = records.path_of(out, worksheet, student)
    try:
        return records.load(path) if path.is_file() else None
    except ValueError:  # a damaged record is simply written again
        return None


def record(worksheet: str, nb_source, sub: Submission, path, source_sum: str, settings: Settings) -> Graded:
    """The record of a graded submission: checksums, hand-in time and late penalty, literal answers."""
    g = Graded(worksheet, sub, {"submission": records.checksum(path), "source": source_sum})
    if path is None or not Path(path).is_file():
        return g
    when, origin = late.submitted_at(path)
    g.submitted = when.isoformat(timespec="seconds") + ("" if origin == "timestamp.txt" else f" ({origin})")
    ext = settings.extensions
    due = ext.get((worksheet, sub.student)) or ext.get(("", sub.student)) or settings.due
    g.late, g.penalty = late.assess(due, settings.policy, when, origin)
    try:
        g.answers = similarity.answers(nb_source, load(path), sub)
    except (ValueError, OSError):
        g.answers = {}
    return g


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
    """Copy every record of the output folders `inputs` into `out`, and their settings.json; ValueError if
    two disagree on a record or were graded with different settings (`settings.differences`).

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
    if stored is not None:
        settings.save(out, stored)
    return records.load_all(out)


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
