"""Check a worksheet the way nbgrader's validation would, before handing it out.

1. The instructor source is in nbgrader's format, and the committed student version is current.
2. The source, run as a student would (the student version with the instructor's answers typed in,
   `solved`), passes every check cell, hidden tests included; every item's reference value agrees
   with what its check computes (`reference.py`); and it earns every autograded point when graded
   against those reference values (computed once, by this run).
3. The student version as handed out, unanswered, fails every autograder test, and cleanly:
   each test errors (no time-out, no dead kernel), and runs in the grader give 0 points.
4. Run as a student runs it (Restart & Run All), only answer cells (NotImplementedError) and
   check cells raise; `expected_errors` lists them, for the browser tests and the README.
5. Every autograded cell carries the items the grader's judge scores outside the kernel
   (`metadata.coursegrad.items`: a name, a Python expression and points each; the points sum
   to the cell's nbgrader points; see worksheets/README.md, "Grading protocol"), and they are what
   `coursegrad generate` derives from the cell's code (`derive.py`); a cell it cannot read is named,
   with the line and what to write instead (hand-written items are kept, and noted).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from coursegrad.grading import cells as C
from coursegrad.grading import derive, judge, release
from coursegrad.grading.grade import grade_notebook
from coursegrad.grading.kernel import Kernel
from coursegrad.grading.reference import reference_run
from coursegrad.grading.release import solved  # noqa: F401  (re-exported: the tests build solved worksheets with it)
from coursegrad.grading.sandbox import resolve
from coursegrad.grading.source import Worksheet

CLEAN_ERRORS = ("NameError", "NotImplementedError", "AssertionError")


@dataclass
class Validation:
    source: str
    problems: list[str] = field(default_factory=list)
    expected_errors: list[tuple[int, str, str]] = field(default_factory=list)  # (cell index, grade_id, error)
    points: dict[str, float] = field(default_factory=dict)  # solved, blank, max_auto, manual: the point totals
    notes: list[str] = field(default_factory=list)  # what was not checked, and why (not problems)

    @property
    def ok(self) -> bool:
        return not self.problems


def item_problems(source: nbformat.NotebookNode) -> list[str]:
    """What is wrong with the judge's items of each autograded cell (empty list: fine)."""
    problems = []
    for cell in source.cells:
        if not C.is_test(cell):
            continue
        gid, spec = C.grade_id(cell), cell.metadata.get("coursegrad", {})
        items = spec.get("items") if isinstance(spec, dict) else None
        if not isinstance(items, list) or not items:
            problems.append(f"{gid}: no metadata.coursegrad.items for the grader's judge (`coursegrad generate` writes them)")
            continue
        if not isinstance(spec.get("setup", ""), str):
            problems.append(f"{gid}: metadata.coursegrad.setup should be Python source (a string)")
        names = [i.get("name") if isinstance(i, dict) else None for i in items]
        for item in items:
            ok = isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("expr"), str)
            if not ok or not isinstance(item.get("points"), (int, float)) or item["points"] <= 0:
                problems.append(f"{gid}: item {item!r} needs a name, an expr (strings) and points > 0")
            elif "expected" in item and not isinstance(item["expected"], str):
                problems.append(f"{gid}: item {item['name']}: `expected` should be a Python expression (a string)")
            elif item.get("compare", "values") not in judge.COMPARE:
                problems.append(f"{gid}: item {item['name']}: compare should be one of {', '.join(judge.COMPARE)}")
        if len(set(names)) != len(names):
            problems.append(f"{gid}: item names repeat ({names})")
        total = sum(i["points"] for i in items if isinstance(i, dict) and isinstance(i.get("points"), (int, float)))
        if abs(total - C.points(cell)) > 1e-9:
            problems.append(f"{gid}: its items' points sum to {total:g}, the cell is worth {C.points(cell):g}")
    return problems


def derivation_problems(source: nbformat.NotebookNode) -> tuple[list[str], list[str]]:
    """(problems, notes): per test cell, what `coursegrad generate` could not derive from its code and what to write
    instead (a problem if the cell has no items, a note if it keeps hand-written ones), and stored items that are
    not what it derives now."""
    cells = {C.grade_id(c): c for c in source.cells}
    problems, notes = [], []
    for derived in derive.derive(source):
        has = derive.stored(cells[derived.grade_id])
        if derived.spec is None:
            say = f"{derived.grade_id}: {'hand-written items kept; ' if has else ''}generate could not derive its items:"
            (notes if has else problems).extend(f"{say} {p}" for p in derived.problems)
        elif not derive.is_current(cells[derived.grade_id], derived.spec):
            problems.append(f"{derived.grade_id}: its items are not what `coursegrad generate` derives from its code: run it")
    return problems, notes


def item_notes(source: nbformat.NotebookNode) -> list[str]:
    """The items with no `expected` expression: their reference value is checked only by the source's own
    check cell passing, not by a second computation. The worksheets' bundled checks return no answer
    (issue 19, tests/test_bundle.py), so no function a student holds may compute an item's expected value."""
    out = []
    for cell in source.cells:
        for item in judge.items_of(cell)[1] if C.is_test(cell) else []:
            if isinstance(item, dict) and "expected" not in item:
                out.append(
                    f"{C.grade_id(cell)}: item {item.get('name')!r}: no `expected` expression, so its reference value is "
                    "checked only by the solved source passing its check cell"
                )
    return out


def validate(source_path: str | Path, release_path: str | Path | None = None, timeout: float = 30) -> Validation:
    """Run the checks above on one worksheet."""
    source_path = Path(source_path)
    release_path = Path(release_path) if release_path else release.release_path(source_path)
    report = Validation(str(source_path))
    source = release.read(source_path)
    derived, notes = derivation_problems(source)
    report.problems += C.format_problems(source) + item_problems(source) + derived
    report.notes += notes + item_notes(source)
    if report.problems:
        return report
    if not release.is_current(source_path, release_path):
        report.problems.append(f"{release_path} is not what `coursegrad generate` makes now: regenerate and commit it")
    student = release.student_version(source)
    sandbox = resolve("auto")[0]  # once: each grade_notebook(sandbox="auto") would start bubblewrap to try it again
    ws, problems, _ = reference_run(Worksheet.read(source_path), timeout=timeout, sandbox=sandbox)
    report.problems += problems
    with tempfile.TemporaryDirectory(prefix="coursegrad-validate-") as tmp:
        for name, nb, want_full in (("solved", solved(student, source), True), ("blank", student, False)):
            path = Path(tmp) / name / source_path.name
            path.parent.mkdir()
            nbformat.write(nb, str(path))
            result = grade_notebook(ws, path, name, timeout=timeout, sandbox=sandbox)
            report.points[name] = result.total
            report.points |= {"max_auto": result.max_auto, "manual": result.max_total - result.max_auto}
            if want_full and result.total < result.max_auto:
                report.problems.append(f"the solved worksheet earns {result.total:g} of {result.max_auto:g} autograded points")
            for q in result.questions:
                if q.kind != "auto":
                    continue
                if want_full and q.status != "passed":
                    report.problems.append(f"the solved worksheet fails {q.grade_id}: {' / '.join(q.messages)[:300]}")
                if not want_full and (q.status != "failed" or q.points):
                    report.problems.append(f"the unanswered worksheet gets {q.points:g} points in {q.grade_id} ({q.status})")
        _run_as_student(student, tmp, timeout, report)
    return report


def _run_as_student(student: nbformat.NotebookNode, workdir: str, timeout: float, report: Validation) -> None:
    """Restart & Run All on the student version: which cells raise, and are they the intended ones?"""
    with Kernel(workdir, timeout=timeout) as kernel:
        for index, cell in enumerate(student.cells):
            if cell.cell_type != "code":
                continue
            gid = C.grade_id(cell) or "(no id)"
            r = kernel.run(cell.source)
            if r.status in ("timeout", "dead"):
                report.problems.append(f"the student version's cell {gid} crashed ({r.status})")
                return
            if r.status == "error":
                report.expected_errors.append((index, gid, r.ename))
                if not (C.is_solution(cell) or C.is_test(cell)):
                    report.problems.append(f"the student version's read-only cell {gid} raises {r.ename}: {r.evalue}")
                elif r.ename not in CLEAN_ERRORS:
                    report.problems.append(f"the student version's cell {gid} raises {r.ename}, not a clean failure")
            elif C.is_test(cell):
                report.problems.append(f"the unanswered student version passes the check cell {gid}")
