"""nbgrader's cell metadata, read the way nbgrader reads it.

An nbgrader notebook marks cells in `cell.metadata["nbgrader"]`:

    grade      the cell is graded (an autograder test, or a written answer graded by hand)
    solution   the student writes in this cell (it is replaced by a placeholder in the student version)
    locked     read-only (instructions, setup code)
    task       a task cell (graded by hand, nbgrader >= 0.7)
    grade_id   a unique name for the cell; the grader matches cells by it, never by position
    points     what a grade cell is worth
    schema_version  3 for nbgrader 0.9

These helpers follow `nbgrader.utils` exactly (including the checksum), so a student
version made here is interchangeable with one from `nbgrader generate_assignment`.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
BEGIN_MARK_SCHEME, END_MARK_SCHEME = "BEGIN MARK SCHEME", "END MARK SCHEME"
GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]+$")


def meta(cell: Any) -> dict:
    """The cell's nbgrader metadata ({} for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell: Any) -> str | None:
    return meta(cell).get("grade_id") or None


def is_grade(cell: Any) -> bool:
    return bool(meta(cell).get("grade", False))


def is_solution(cell: Any) -> bool:
    return bool(meta(cell).get("solution", False))


def is_task(cell: Any) -> bool:
    return bool(meta(cell).get("task", False))


def is_locked(cell: Any) -> bool:
    """Read-only: grade cells that are not solutions, and cells marked locked (nbgrader's rule)."""
    m = meta(cell)
    if not m or m.get("solution", False):
        return False
    return bool(m.get("grade", False) or m.get("locked", False))


def is_test(cell: Any) -> bool:
    """An autograder test: a graded code cell the student does not write in."""
    return cell.get("cell_type") == "code" and is_grade(cell) and not is_solution(cell)


def is_manual(cell: Any) -> bool:
    """Graded by hand: a graded answer cell (typically a Markdown written answer), or a task cell."""
    return (is_grade(cell) and is_solution(cell)) or is_task(cell)


def points(cell: Any) -> float:
    return float(meta(cell).get("points", 0.0)) if is_grade(cell) or is_task(cell) else 0.0


def compute_checksum(cell: Any) -> str:
    """md5 of the cell's source, type, flags, id and points: `nbgrader.utils.compute_checksum`."""
    m = hashlib.md5()
    m.update(cell["source"].encode("utf-8"))
    m.update(cell["cell_type"].encode("utf-8"))
    m.update(str(is_grade(cell)).encode("utf-8"))
    m.update(str(is_solution(cell)).encode("utf-8"))
    m.update(str(is_locked(cell)).encode("utf-8"))
    m.update(meta(cell)["grade_id"].encode("utf-8"))
    if is_grade(cell):
        m.update(str(float(meta(cell)["points"])).encode("utf-8"))
    return m.hexdigest()


def replace_region(source: str, begin: str, end: str, stub: str | None) -> tuple[str, bool]:
    """Replace each `begin`…`end` region (marker lines included) by `stub`, indented like the marker.

    `stub=None` deletes the region. Returns the new source and whether a region was found.
    Raises ValueError for a nested or unterminated region (as nbgrader does).
    """
    out, inside, found = [], False, False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise ValueError(f"nested '{begin}' markers")
            inside = found = True
            if stub is not None:
                indent = re.match(r"\s*", line).group(0)
                out.extend(indent + s for s in stub.split("\n"))
        elif end in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"'{begin}' without a matching '{end}'")
    return "\n".join(out), found


def format_problems(nb: Any) -> list[str]:
    """What nbgrader would reject in an instructor source notebook (empty list: fine)."""
    problems, seen = [], set()
    for i, cell in enumerate(nb.cells):
        m = meta(cell)
        where = f"cell {i} ({m.get('grade_id', 'no grade_id')})"
        src = cell.source
        if any(marker in src for marker in (BEGIN_SOLUTION, END_SOLUTION)) and not is_solution(cell):
            problems.append(f"{where}: a SOLUTION region in a cell that is not a solution cell")
        if any(marker in src for marker in (BEGIN_HIDDEN, END_HIDDEN)) and not is_grade(cell):
            problems.append(f"{where}: a HIDDEN TESTS region in a cell that is not a grade cell")
        for begin, end in ((BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN), (BEGIN_MARK_SCHEME, END_MARK_SCHEME)):
            try:
                replace_region(src, begin, end, None)
            except ValueError as err:
                problems.append(f"{where}: {err}")
        if not m:
            continue
        if m.get("schema_version") != 3:
            problems.append(f"{where}: nbgrader schema_version should be 3, is {m.get('schema_version')!r}")
        for key in ("grade", "solution", "locked"):
            if not isinstance(m.get(key), bool):
                problems.append(f"{where}: nbgrader metadata needs a boolean {key!r}")
        gid = m.get("grade_id")
        if (is_grade(cell) or is_solution(cell) or m.get("locked") or is_task(cell)) and not gid:
            problems.append(f"{where}: no grade_id")
        if gid is not None and not GRADE_ID.match(str(gid)):
            problems.append(f"{where}: grade_id {gid!r} may only hold letters, digits, _ and -")
        if gid in seen:
            problems.append(f"{where}: duplicate grade_id {gid!r}")
        seen.add(gid)
        if (is_grade(cell) or is_task(cell)) and not isinstance(m.get("points"), (int, float)):
            problems.append(f"{where}: a grade cell needs points")
        if cell.cell_type == "markdown" and is_grade(cell) and not is_solution(cell) and not is_task(cell):
            problems.append(f"{where}: a graded Markdown cell must also be a solution cell")
    return problems
