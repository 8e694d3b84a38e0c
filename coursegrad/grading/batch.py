"""Grade a folder of submissions, two at a time, with a progress bar.

The folder holds one subfolder per student, named after the student, with the notebook in it
under the worksheet's file name (nbgrader's `submitted/<student>/<assignment>/<notebook>` layout
works too):

    submissions/alice/01_backprop_worksheet.ipynb
    submissions/bob/01_backprop_worksheet.ipynb

A student folder without that file but with exactly one other notebook is graded from that one
("renamed"); otherwise the student is "missing". Hidden folders are graded like the others (and
noted); symbolic links and special files are refused (noted, status "invalid"). Each submission
runs in its own kernel; `jobs` worker processes grade in parallel. The source is read and
checksummed once (`source.Worksheet`). If student code kills a worker process, the submissions
it had started are retried one by one, so only the one responsible is marked; which ones had
started, the workers tell the main process over a pipe (nothing a student could delete).
Workers die with the main process (`lifetime.die_with_parent`).

With `out` (an output folder), every finished student's record is written at once to the one result
store, `out/results/<worksheet>/<student>.json` (`records.Store`; atomically: a half-written file never
exists), with the checksums of the source and of the submission and the grading options; a rerun with
`resume=True` keeps a student's record when all three are unchanged, so an interrupted batch resumes
where it stopped and a rerun with nothing changed starts no kernel. The instructor's reference values
are computed once per batch, only if some submission is to be graded, and kept beside the records.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Collection
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TextIO

from coursegrad.grading import lifetime, records, worker
from coursegrad.grading.model import Submission, unreadable
from coursegrad.grading.records import Graded
from coursegrad.grading.reference import with_reference
from coursegrad.grading.sandbox import resolve
from coursegrad.grading.source import Worksheet, worksheet

REFUSED = "refused:"


@dataclass
class Course:
    """What grading a course adds to grading one folder: `renamed` False when there are several
    worksheets, only `students` (None: all), a Dask `scheduler` address, and `record(result, stored)`,
    called in this process for every result as it is ready, which makes the record to store from the
    result and the student's stored record (None if none): e.g. with the late penalty. Without it a
    record is the result alone."""

    renamed: bool = True
    students: Collection[str] | None = None
    scheduler: str | None = None
    record: Callable[[Submission, Graded | None], Graded] | None = None


def find_submissions(
    folder: str | Path, notebook_name: str, renamed: bool = True, others: Collection[str] = ()
) -> list[tuple[str, Path | None, str]]:
    """(student, notebook path or None, note) for every student folder, sorted by name.

    `renamed=False` (several worksheets): only a notebook with the worksheet's file name counts.
    `others`: the file names of the course's other worksheets; a notebook named like one of them is that
    worksheet, never this one renamed (a student who handed in only worksheet 2 is 'missing' worksheet 1).

    A note that starts with "refused:" marks a symbolic link or special file (graded "invalid");
    one that starts with "missing:" a student without a notebook.
    """
    out = []
    for entry in sorted(Path(folder).iterdir()):
        if entry.is_symlink():
            out.append((entry.name, None, f"{REFUSED} {entry.name} is a symbolic link, not a folder"))
        elif entry.is_dir():
            out.append(_find_in(entry, notebook_name, renamed, others))
    return out


def _find_in(
    student_dir: Path, notebook_name: str, renamed: bool = True, others: Collection[str] = ()
) -> tuple[str, Path | None, str]:
    student = student_dir.name
    hidden = f"hidden folder {student}/ graded like the others; " if student.startswith(".") else ""
    candidates = list(student_dir.glob("*.ipynb")) + list(student_dir.glob("*/*.ipynb"))
    notebooks = sorted(p for p in candidates if ".ipynb_checkpoints" not in p.parts)
    links = [p for p in notebooks if p.is_symlink() or p.parent.is_symlink() or not p.is_file()]
    notebooks = [p for p in notebooks if p not in links]
    exact = [p for p in notebooks if p.name == notebook_name]
    notebooks = [p for p in notebooks if p.name == notebook_name or p.name not in others]
    refused = ", ".join(str(p.relative_to(student_dir)) for p in links)
    if links and (not notebooks or any(p.name == notebook_name for p in links)):
        return student, None, f"{REFUSED} {hidden}{refused}: a symbolic link or special file, not a notebook"
    if exact:
        return student, exact[0], hidden.rstrip("; ")
    if len(notebooks) == 1 and renamed:
        rel = notebooks[0].relative_to(student_dir)
        return student, notebooks[0], f"{hidden}renamed: graded {rel} (expected {notebook_name})"
    if notebooks and renamed:
        names = ", ".join(str(p.relative_to(student_dir)) for p in notebooks)
        return student, None, f"missing: {hidden}no {notebook_name}, and several other notebooks ({names})"
    return student, None, f"missing: {hidden}no {notebook_name} in {student}/"


class Progress:
    """A one-line text progress bar on stderr (a line per tenth when stderr is not a terminal)."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None):
        self.total, self.label, self.done, self.start = total, label, 0, time.perf_counter()
        self.stream = stream if stream is not None else sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def step(self, what: str) -> None:
        self.done += 1
        elapsed = time.perf_counter() - self.start
        left = elapsed / self.done * (self.total - self.done)
        bar = "#" * round(20 * self.done / self.total)
        line = f"{self.label} [{bar:<20}] {self.done}/{self.total}  {what[:24]:<24} {elapsed:5.0f} s, ~{left:.0f} s left"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if self.done == self.total else ""))
        elif self.done == self.total or self.done % max(1, self.total // 10) == 0:
            self.stream.write(line + "\n")
        self.stream.flush()


def grade_folder(
    source_path: str | Path | Worksheet,
    folder: str | Path,
    jobs: int = 2,
    progress: bool = True,
    out: str | Path | None = None,
    resume: bool = True,
    course: Course | None = None,
    **options,
) -> list[Submission]:
    """Grade every student's submission in `folder`; results in student order.

    `options` go to `grade_notebook` (timeout, max_output, memory_mb, sandbox, budget, kit, judge); the
    sandbox is decided once here. `out`: the output folder whose result store (`records.Store`) gets each
    student's record as it finishes, and the instructor's reference values; with `resume`, unchanged
    students are kept from there, and the reference is computed (once) only if some submission is to be
    graded. `course`: the course-level choices (several worksheets, some students, a Dask cluster, the record).
    """
    lifetime.sweep()  # what killed runs left behind
    ws = worksheet(source_path)
    mode, unsandboxed = resolve(options.get("sandbox", "auto"))
    options = dict(options, sandbox=mode)
    course = course or Course()
    others = {p.name for p in Path(ws.path).parent.glob("*.ipynb")} - {ws.name}  # the course's other worksheets
    found = [_not_the_source(ws, *f) for f in find_submissions(folder, ws.name, course.renamed, others)]
    found = [f for f in found if course.students is None or f[0] in course.students]
    bar = Progress(len(found), f"grading {ws.stem}") if progress and found else None
    store = records.Store(out, ws.stem, ws.sha256, options) if out is not None else None
    results, todo = _kept(ws, found, store if resume else None, bar)

    def done(result: Submission) -> None:
        _noted(result, unsandboxed)
        if store:
            stored = store.stored(result.student)
            store.save(course.record(result, stored) if course.record else Graded(ws.stem, result))

    def finished(result: Submission) -> None:
        done(result)
        bar and bar.step(result.student)

    for student, _, _ in found:
        if student in results:
            done(results[student])
    if todo:
        if unsandboxed:
            print(f"WARNING: {unsandboxed}", file=sys.stderr)
        ready = _with_reference(ws, options, store)
        _run_todo(ready, todo, jobs, options, results, course.scheduler, finished)
    return [results[student] for student, _, _ in found]


def _kept(ws: Worksheet, found: list, store: records.Store | None, bar: Progress | None) -> tuple[dict, list]:
    """The results known without running anything (missing, refused, unchanged since stored) and the rest to grade."""
    results: dict[str, Submission] = {}
    todo = []
    for student, path, note in found:
        if path is None:
            status = "invalid" if note.startswith(REFUSED) else "missing"
            results[student] = unreadable(ws.notebook(), student, status, note)
        elif store and (kept := store.kept(student, path)):
            results[student] = dataclasses.replace(kept.submission, path=str(path))  # where it is now (folders move)
        else:
            todo.append((student, str(path), note))
            continue
        bar and bar.step(student)
    return results, todo


def _run_todo(ws: Worksheet, todo: list, jobs: int, options: dict, results: dict, scheduler: str | None, done) -> None:
    """Grade `todo` on a Dask cluster, in this process (one job) or in a pool of `jobs` processes."""
    jobs = max(1, min(jobs, len(todo)))
    if scheduler:
        from coursegrad.grading import cluster

        cluster.grade_todo(scheduler, ws, todo, options, results, done)
    elif jobs == 1:
        for task in todo:
            results[task[0]] = worker.grade_one(ws, *task, options)
            done(results[task[0]])
        worker.close_spare()
    else:
        _in_pool(ws, todo, jobs, options, results, done)


def _with_reference(ws: Worksheet, options: dict, store: records.Store | None) -> Worksheet:
    """The worksheet with the instructor's reference values (`reference.with_reference`): computed once per
    batch, before any submission runs, and kept beside the stored records (reused while the source and the
    kernel options are unchanged)."""
    if options.get("judge", "items") != "items":
        return ws
    kernel_options = {k: v for k, v in options.items() if k in worker.KERNEL_OPTIONS}
    kept = store.reference(kernel_options) if store else None
    if kept is not None:
        return dataclasses.replace(ws, reference=kept)
    ws, problems = with_reference(ws, **kernel_options)
    for problem in problems:
        print(f"WARNING: {problem}", file=sys.stderr)
    if store and not problems:
        store.save_reference(kernel_options, ws.reference)
    return ws


def _noted(result: Submission, note: str) -> Submission:
    """The instructor's note that the code ran without a sandbox (summary only, never the student's feedback)."""
    result.sandbox = result.sandbox or note
    return result


def _not_the_source(ws: Worksheet, student: str, path: Path | None, note: str) -> tuple[str, Path | None, str]:
    """A submission that is the instructor's file itself (a hard link) is refused."""
    try:
        same = path is not None and os.path.samefile(path, ws.path)
    except OSError:
        same = False
    return (student, None, f"{REFUSED} {path.name} is a link to the instructor's source") if same else (student, path, note)


def _in_pool(ws: Worksheet, todo: list, jobs: int, options: dict, results: dict, finished) -> None:
    """Grade `todo` in a pool of `jobs` processes. If student code kills a worker, the pool breaks:
    the submissions that had started are then graded one per process (so only the culprit fails)
    and the others go to a new pool."""
    ctx = get_context("spawn")
    while todo:
        events = ctx.SimpleQueue()
        broken = _pool_round(ws, todo, jobs, options, results, finished, events)
        started = set()
        while not events.empty():
            started.add(events.get())
        suspects = [t for t in broken if t[0] in started]
        todo = [t for t in broken if t not in suspects]
        for task in suspects:
            with ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=lifetime.die_with_parent) as pool:
                try:
                    results[task[0]] = pool.submit(worker.grade_one, ws, *task, options).result()
                except BrokenProcessPool:
                    reason = "the grading process was killed while running this notebook (e.g. os.kill of the grader)"
                    results[task[0]] = unreadable(ws.notebook(), task[0], "grader-error", reason, task[1])
            finished(results[task[0]])


def _pool_round(ws: Worksheet, todo: list, jobs: int, options: dict, results: dict, finished, events) -> list:
    """One pool over `todo`; returns the tasks lost to a broken pool."""
    broken = []
    ctx = get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=worker.start, initargs=(events,)) as pool:
        futures = {pool.submit(worker.grade_one, ws, *task, options): task for task in todo}
        for future in as_completed(futures):
            task = futures[future]
            try:
                results[task[0]] = future.result()
            except BrokenProcessPool:
                broken.append(task)
                continue
            finished(results[task[0]])
    return broken
