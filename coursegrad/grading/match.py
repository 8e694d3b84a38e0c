"""Match a submission's cells to the instructor source by nbgrader grade_id, and decide what to run.

The notebook that is run for grading is built from the *instructor source*, in its order:

- read-only cells and test cells: the instructor's source (tests with their hidden part),
  whatever the student did to their copies;
- answer cells: the student's source, found by grade_id (a deleted answer counts as blank);
- cells the student added (scratch work, helper functions): kept, after the cell they follow.

Everything unusual is recorded as a `Problem`: deleted, duplicated or reordered cells, changed
metadata, edited read-only cells, cells with unknown grade_ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nbformat

from coursegrad.grading import cells as C
from coursegrad.grading.judge import forbid_of, items_of


@dataclass
class Step:
    """One cell of the grading run. `role`: "given" (instructor code), "answer", "extra" (added by
    the student), "test" (instructor test), "written" (a manually graded answer: not run)."""

    role: str
    source: str
    grade_id: str | None = None
    points: float = 0.0
    setup: str = ""  # a test's items for the judge outside the kernel (judge.items_of), from the source
    items: list = field(default_factory=list)
    given: str = ""  # an answer cell: what the student version handed out (its stub)
    forbid: dict = field(default_factory=dict)  # a test: what its answers may not use (judge.forbid_of)


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


_FLAGS = ("grade", "solution", "locked", "task", "points", "grade_id")


def plan(source: nbformat.NotebookNode, student_version: nbformat.NotebookNode, submission: nbformat.NotebookNode) -> Plan:
    """What to run to grade `submission` against the instructor `source` (with its `student_version`)."""
    result = Plan()
    handed_out = {C.grade_id(c): c for c in student_version.cells if C.grade_id(c)}
    source_ids = [C.grade_id(c) for c in source.cells if C.grade_id(c)]
    by_id: dict[str, list] = {}
    extras: dict[str | None, list[str]] = {}  # anchor grade_id -> code the student added after it
    anchor = None
    for cell in submission.cells:
        gid = C.grade_id(cell)
        if gid in handed_out:
            by_id.setdefault(gid, []).append(cell)
            anchor = gid
        else:
            code = cell.get("cell_type") == "code" and cell.get("source", "").strip()
            if gid:
                then = "; run as an added cell" if code else ""
                result.problems.append(f"unknown cell id {gid!r} (renamed or copied in?){then}")
            if code:
                extras.setdefault(anchor, []).append(cell.source)

    first_seen = [gid for gid in dict.fromkeys(C.grade_id(c) for c in submission.cells) if gid in handed_out]
    if first_seen != [gid for gid in source_ids if gid in by_id]:
        result.problems.append("cells were moved (reordered); graded in the worksheet's order")

    result.steps += [Step("extra", src) for src in extras.get(None, [])]
    for cell in source.cells:
        gid = C.grade_id(cell)
        if not gid:  # an ordinary cell: the student's copy of it runs as an added cell, as in nbgrader
            continue
        copies = by_id.get(gid, [])
        if not copies:
            what = "answer cell" if C.is_solution(cell) else "cell"
            result.problems.append(f"deleted {what} {gid!r}" + ("" if C.is_solution(cell) else " (the original was used)"))
        if len(copies) > 1:
            result.problems.append(f"duplicated cell {gid!r} ({len(copies)} copies; the first was used)")
        theirs = copies[0] if copies else None
        if theirs is not None:
            _compare(gid, handed_out[gid], theirs, result.problems)
        result.steps.append(_step(cell, theirs, handed_out.get(gid)))
        result.steps += [Step("extra", src) for src in extras.get(gid, [])]
    return result


def _step(cell: nbformat.NotebookNode, theirs: nbformat.NotebookNode | None, given: nbformat.NotebookNode | None) -> Step:
    gid, pts = C.grade_id(cell), C.points(cell)
    if C.is_manual(cell):
        text = theirs.source if theirs is not None else ""
        return Step("written", text, gid, pts)
    if cell.cell_type != "code":
        return Step("markdown", cell.source, gid)
    if C.is_test(cell):
        setup, items = items_of(cell)
        return Step("test", cell.source, gid, pts, setup, items, forbid=forbid_of(cell))
    if C.is_solution(cell):  # a deleted answer runs nothing (and is noted)
        stub = given.source if given is not None else ""
        return Step("answer", theirs.source if theirs is not None else "", gid, pts, given=stub)
    return Step("given", cell.source, gid)


def _compare(gid: str, given: nbformat.NotebookNode, theirs: nbformat.NotebookNode, problems: list[str]) -> None:
    """Record metadata changes, and edits to cells the student was not meant to edit."""
    mine, yours = C.meta(given), C.meta(theirs)
    changed = [k for k in _FLAGS if mine.get(k) != yours.get(k)]
    if theirs.get("cell_type") != given.cell_type:
        changed.append("cell type")
    if changed:
        problems.append(f"changed metadata of {gid!r} ({', '.join(changed)}); the worksheet's was used")
    if not C.is_solution(given) and theirs.get("source", "") != given.source:
        problems.append(f"edited read-only cell {gid!r} (the original was used)")
