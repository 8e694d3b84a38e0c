"""A small worksheet in nbgrader's format for the hostile-submission tests (fast to grade).

    q_a (1 point)   `answer = 6.0`, checked with coursegrad.checks.expect_close
    q_b (2 points)  `def gate(x): return 2 * x`, partial credit: the test's result is the points (nbgrader's rule)
    q_w (1 point)   a written answer, graded by hand

Each test cell carries the items of the grading protocol (`metadata.coursegrad`), so the grader can
judge it outside the kernel. `write_class(folder, {student: notebook})` lays out a submissions folder.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from coursegrad.grading import cells as C
from coursegrad.grading.release import student_version
from coursegrad.grading.validate import solved

NAME = "hostile_ws.ipynb"
TEST_B = """from coursegrad.checks import expect_close

_points = 0.0
for _x, _want in ((1.0, 2.0), (-3.0, -6.0)):
    try:
        expect_close(f"gate({_x})", gate(_x), _want)
        _points += 1.0
    except AssertionError as _err:
        print(_err)
_points"""


def _cell(kind: str, source: str, gid: str | None = None, **flags) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if gid:
        meta = {"grade": False, "solution": False, "locked": False, "grade_id": gid, "schema_version": 3}
        meta.update(flags)
        cell.metadata["nbgrader"] = meta
    return cell


def source() -> nbformat.NotebookNode:
    """The instructor source."""
    test_a = _cell(
        "code",
        'from coursegrad.checks import expect_close\n\nexpect_close("answer", answer, 6.0)',
        "t_a",
        grade=True,
        locked=True,
        points=1,
    )
    test_a.metadata["coursegrad"] = {"items": [{"name": "answer", "expr": "answer", "points": 1}]}
    test_b = _cell("code", TEST_B, "t_b", grade=True, locked=True, points=2)
    items = [{"name": "gate(1.0)", "expr": "gate(1.0)", "points": 1}, {"name": "gate(-3.0)", "expr": "gate(-3.0)", "points": 1}]
    test_b.metadata["coursegrad"] = {"items": items}
    cells = [
        _cell("markdown", "# A small worksheet", "intro", locked=True),
        _cell("code", "import math\n\nfrom coursegrad.checks import expect_close", "setup", locked=True),
        _cell("markdown", "## Question A", "q_a_text", locked=True),
        _cell("code", "# answer = ...\n### BEGIN SOLUTION\nanswer = 6.0\n### END SOLUTION", "q_a", solution=True),
        test_a,
        _cell("markdown", "## Question B", "q_b_text", locked=True),
        _cell("code", "def gate(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "q_b", solution=True),
        test_b,
        _cell("markdown", "## Question W", "q_w_text", locked=True),
        _cell("markdown", "Because it is.", "q_w", grade=True, solution=True, points=1),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return nb


def blank() -> nbformat.NotebookNode:
    return student_version(source())


def correct() -> nbformat.NotebookNode:
    return solved(blank(), source())


def wrong() -> nbformat.NotebookNode:
    """Every answer wrong: answer 1.0, gate returns 0."""
    return answered(answer="answer = 1.0", gate="def gate(x):\n    return 0.0 * x")


def answered(answer: str | None = None, gate: str | None = None, written: str | None = None) -> nbformat.NotebookNode:
    nb = correct()
    for cell in nb.cells:
        new = {"q_a": answer, "q_b": gate, "q_w": written}.get(C.grade_id(cell))
        if new is not None:
            cell.source = new
    return nb


def with_cell(nb: nbformat.NotebookNode, after: str, code: str) -> nbformat.NotebookNode:
    """`nb` with a student's own code cell added after the cell `after` (a grade_id)."""
    i = next(i for i, c in enumerate(nb.cells) if C.grade_id(c) == after)
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(code))
    return nb


def write_source(folder: Path) -> Path:
    path = folder / NAME
    nbformat.write(source(), str(path))
    return path


def write_class(folder: Path, notebooks: dict[str, nbformat.NotebookNode | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for student, nb in notebooks.items():
        (folder / student).mkdir()
        data = nb if isinstance(nb, bytes) else nbformat.writes(nb).encode()
        (folder / student / NAME).write_bytes(data)
    return folder
