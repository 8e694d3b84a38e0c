"""Grade a folder of submissions, two at a time, with a progress bar.

The folder holds one subfolder per student, named after the student, with the notebook in it
under the worksheet's file name (nbgrader's `submitted/<student>/<assignment>/<notebook>` layout
works too):

    submissions/alice/01_backprop_worksheet.ipynb
    submissions/bob/01_backprop_worksheet.ipynb

A student folder without that file but with exactly one other notebook is graded from that one
("renamed"); otherwise the student is "missing". Each submission runs in its own kernel; `jobs`
worker processes grade in parallel. If student code kills a worker process, the submissions it
had in hand are retried one by one, so only the one responsible is marked.
"""

from __future__ import annotations

import atexit
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import TextIO

from coursegrad.grading.grade import Submission, grade_notebook, grading_kernel, unreadable
from coursegrad.grading.kernel import Kernel
from coursegrad.grading.release import read


def find_submissions(folder: str | Path, notebook_name: str) -> list[tuple[str, Path | None, str]]:
    """(student, notebook path or None, note) for every student folder, sorted by name."""
    out = []
    for student_dir in sorted(p for p in Path(folder).iterdir() if p.is_dir() and not p.name.startswith(".")):
        candidates = list(student_dir.glob("*.ipynb")) + list(student_dir.glob("*/*.ipynb"))
        notebooks = sorted(p for p in candidates if ".ipynb_checkpoints" not in p.parts)
        exact = [p for p in notebooks if p.name == notebook_name]
        if exact:
            out.append((student_dir.name, exact[0], ""))
        elif len(notebooks) == 1:
            rel = notebooks[0].relative_to(student_dir)
            out.append((student_dir.name, notebooks[0], f"renamed: graded {rel} (expected {notebook_name})"))
        elif notebooks:
            names = ", ".join(str(p.relative_to(student_dir)) for p in notebooks)
            out.append((student_dir.name, None, f"missing: no {notebook_name}, and several other notebooks ({names})"))
        else:
            out.append((student_dir.name, None, f"missing: no {notebook_name} in {student_dir.name}/"))
    return out


_spare: Kernel | None = None  # in a worker process: the kernel launched for the next submission


def _grade_one(source_path: str, student: str, path: str, note: str, options: dict) -> Submission:
    """Grade one submission in this (worker) process; a grader failure becomes a result, not a crash.

    The kernel for the next submission is launched as soon as this one's is taken, so that it
    boots while this submission runs (every submission still gets a kernel of its own).
    """
    global _spare
    options = dict(options)
    started = options.pop("started", None)
    if started:  # if this process gets killed, the batch grader knows who was running
        (Path(started) / _marker(student)).touch()
    kernel = _spare or grading_kernel(**options)
    _spare = grading_kernel(**options).launch()
    try:
        result = grade_notebook(source_path, path, student, kernel=kernel, **options)
    except Exception as err:
        result = unreadable(read(source_path), student, "grader-error", f"the grader failed: {type(err).__name__}: {err}", path)
    if note:
        result.notes.insert(0, note)
    if started:
        (Path(started) / _marker(student)).unlink()
    return result


def _close_spare() -> None:
    global _spare
    if _spare is not None:
        _spare.close()
        _spare = None


atexit.register(_close_spare)


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
    source_path: str | Path,
    folder: str | Path,
    jobs: int = 2,
    progress: bool = True,
    **options,
) -> list[Submission]:
    """Grade every student's submission in `folder`; results in student order.

    `options` go to `grade_notebook` (timeout, max_output, memory_mb).
    """
    source_path = str(source_path)
    found = find_submissions(folder, Path(source_path).name)
    bar = Progress(len(found), f"grading {Path(source_path).stem}") if progress and found else None
    results: dict[str, Submission] = {}
    todo = []
    for student, path, note in found:
        if path is None:
            results[student] = unreadable(read(source_path), student, "missing", note)
            bar and bar.step(student)
        else:
            todo.append((student, str(path), note))
    jobs = max(1, min(jobs, len(todo)))
    if jobs == 1:
        for task in todo:
            results[task[0]] = _grade_one(source_path, *task, options)
            bar and bar.step(task[0])
        _close_spare()
    else:
        _in_pool(source_path, todo, jobs, options, results, bar)
    return [results[student] for student, _, _ in found]


def _in_pool(source_path: str, todo: list, jobs: int, options: dict, results: dict, bar: Progress | None) -> None:
    """Grade `todo` in a pool of `jobs` processes. If student code kills a worker, the pool breaks:
    the submissions that had started are then graded one per process (so only the culprit fails)
    and the others go to a new pool."""
    with tempfile.TemporaryDirectory(prefix="coursegrad-started-") as started:
        while todo:
            broken = _pool_round(source_path, todo, jobs, dict(options, started=started), results, bar)
            suspects = [t for t in broken if (Path(started) / _marker(t[0])).exists()]
            todo = [t for t in broken if t not in suspects]
            for task in suspects:
                with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                    try:
                        results[task[0]] = pool.submit(_grade_one, source_path, *task, options).result()
                    except BrokenProcessPool:
                        reason = "the grading process was killed while running this notebook (e.g. os.kill of the grader)"
                        results[task[0]] = unreadable(read(source_path), task[0], "grader-error", reason, task[1])
                bar and bar.step(task[0])


def _pool_round(source_path: str, todo: list, jobs: int, options: dict, results: dict, bar: Progress | None) -> list:
    """One pool over `todo`; returns the tasks lost to a broken pool."""
    broken = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(_grade_one, source_path, *task, options): task for task in todo}
        for future in as_completed(futures):
            task = futures[future]
            try:
                results[task[0]] = future.result()
            except BrokenProcessPool:
                broken.append(task)
                continue
            bar and bar.step(task[0])
    return broken


def _marker(student: str) -> str:
    return re.sub(r"[^\w.-]", "_", student) + ".started"
