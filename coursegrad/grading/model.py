"""The grading data model: what a graded notebook is, as plain data every stage passes on.

`Question` is one graded cell's result, `Submission` one student's notebook's. They hold only
numbers, strings and lists, so they travel between processes (the worker pool, a Dask cluster)
and to disk (`records.py`) as they are. Nothing here runs code or reads files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nbformat

from coursegrad.grading import cells as C


@dataclass
class Question:
    """One graded cell's result. status: passed, partial, failed, timeout, not-run, manual, blank,
    missing (no submission) or invalid (the submission could not be read); after the hand grades are
    folded in (`manual.fold`), hand-graded or regrade (a new answer since it was graded by hand)."""

    grade_id: str
    title: str
    kind: str  # "auto" or "manual"
    max_points: float
    points: float | None = 0.0
    status: str = "not-run"
    messages: list[str] = field(default_factory=list)
    values: list | None = None  # what the kernel reported for the test's items ({"value": …} or {"error": …})
    hints: list[str] = field(default_factory=list)  # a test's visible check, as the student's notebook shows it
    expected: list | None = None  # judge "collect" only: what the check's own `expected` expressions computed


@dataclass
class Submission:
    student: str
    questions: list[Question]
    path: str | None = None
    status: str = "graded"  # graded, missing, invalid, grader-error
    notes: list[str] = field(default_factory=list)  # for the student (feedback) and the instructor
    written: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    sandbox: str = ""  # for the instructor only (summary): why the code ran without a sandbox, if it did

    @property
    def total(self) -> float:
        return sum(q.points or 0.0 for q in self.questions)

    @property
    def max_auto(self) -> float:
        return sum(q.max_points for q in self.questions if q.kind == "auto")

    @property
    def max_total(self) -> float:
        return sum(q.max_points for q in self.questions)


def questions_of(source: nbformat.NotebookNode) -> list[Question]:
    """The graded cells of the instructor source, each titled by the heading above it."""
    out, title = [], ""
    for cell in source.cells:
        if cell.cell_type == "markdown":
            heading = next((line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#")), None)
            title = heading or title
        if C.is_test(cell) or C.is_manual(cell):
            kind = "auto" if C.is_test(cell) else "manual"
            out.append(Question(C.grade_id(cell), title, kind, C.points(cell)))
    return out


def unreadable(source: nbformat.NotebookNode, student: str, status: str, reason: str, path: str | None = None) -> Submission:
    """A submission that could not be run: every question gets 0 points and the reason."""
    qs = questions_of(source)
    for q in qs:
        q.status, q.messages = status, [reason]
    return Submission(student, qs, path, status, [reason])
