"""A tiny nbgrader worksheet and a class of submissions for the workflow tests (grading them is quick).

The worksheet: two answer cells (x, y; z) each followed by a test, and a written answer with a rubric.
Test cells carry the judge's items (`metadata.coursegrad`, see the grading protocol) as well as asserts.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from coursegrad.grading import cells as C
from coursegrad.grading.release import student_version
from coursegrad.grading.validate import solved

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = "**Rubric** (2 points): 1 point for naming the chain rule, 1 for saying the local gradients multiply."


def _meta(gid: str, grade=False, solution=False, locked=False, points=None) -> dict:
    m = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def _test(gid: str, source: str, items: list[tuple[str, float]]) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, metadata=_meta(gid, grade=True, locked=True, points=sum(p for _, p in items)))
    cell.metadata["coursegrad"] = {"items": [{"name": n, "expr": n, "points": p} for n, p in items]}
    return cell


def tiny_source(title: str = "Tiny worksheet") -> nbformat.NotebookNode:
    """An instructor source: 3 autograded points (x and y: 2, z: 1) and 2 points by hand."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md(f"# {title}", metadata=_meta("intro", locked=True)),
        code("import math", metadata=_meta("setup", locked=True)),
        md("## Question 1", metadata=_meta("q1_text", locked=True)),
        code("### BEGIN SOLUTION\nx = 2.5\ny = -1.0\n### END SOLUTION", metadata=_meta("q1_answer", solution=True)),
        _test(
            "q1_test",
            "assert math.isclose(x, 2.5)\nassert math.isclose(y, -1.0)\n### BEGIN HIDDEN TESTS\n"
            "assert x > 0\n### END HIDDEN TESTS",
            [("x", 1), ("y", 1)],
        ),
        md("## Question 2", metadata=_meta("q2_text", locked=True)),
        code("### BEGIN SOLUTION\nz = 7.0\n### END SOLUTION", metadata=_meta("q2_answer", solution=True)),
        _test("q2_test", "assert z == 7.0", [("z", 1)]),
        md("## Question 3\n\nWhy does backprop multiply?", metadata=_meta("q3_text", locked=True)),
        md(f"{RUBRIC}\n\n**Model answer**: the chain rule.", metadata=_meta("q3_answer", True, True, points=2)),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def blank(source) -> nbformat.NotebookNode:
    return student_version(source)


def solved_by(source, written: str = "Because of the chain rule.") -> nbformat.NotebookNode:
    nb = solved(student_version(source), source)
    for cell in nb.cells:
        if C.is_manual(cell):
            cell.source = written
    return nb


def answered(source, **answers: str) -> nbformat.NotebookNode:
    """The student version with the given answer cells (by grade_id) filled in."""
    nb = copy.deepcopy(student_version(source))
    for cell in nb.cells:
        if C.grade_id(cell) in answers:
            cell.source = answers[C.grade_id(cell)]
    return nb


def write(folder: Path, student: str, name: str, nb) -> Path:
    path = folder / student / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def cli(*args: str, cwd: Path = ROOT, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    """`coursegrad ARGS` in a process of its own, from `cwd`, with `env` added to this process's environment."""
    command = [sys.executable, "-m", "coursegrad.cli", *args]
    environ = None if env is None else {**os.environ, **env}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=environ)


SHEET = "01_tiny.ipynb"
DESK_DUE = "2026-03-01 23:59:00+00:00"
WRONG = {"q1_answer": "x = 3.0\ny = -1.0", "q2_answer": "z = 8.0"}  # x and z wrong, y right


def desk_class(root: Path, late: str = "2026-03-02 12:00:00.000000 UTC") -> Path:
    """worksheets/source/01_tiny.ipynb and submissions/ of five students for the instructor's desk:
    ann and ben solved it (ben late), cat, dov and eli gave the same wrong x and z (3 and 8), fin left
    it blank. Returns the course folder."""
    from datetime import datetime

    src = root / "worksheets" / "source"
    src.mkdir(parents=True)
    source = tiny_source("Worksheet one")
    nbformat.write(source, str(src / SHEET))
    subs = root / "submissions"
    for student in ("ann", "ben"):
        write(subs, student, SHEET, solved_by(source))
    for student in ("cat", "dov", "eli"):
        write(subs, student, SHEET, answered(source, **WRONG, q3_answer=f"It is the chain rule, says {student}: $a \\cdot b$."))
    write(subs, "fin", SHEET, blank(source))
    on_time = datetime.fromisoformat("2026-03-01T10:00:00+00:00").timestamp()
    for student in ("ann", "cat", "dov", "eli", "fin"):
        os.utime(subs / student / SHEET, (on_time, on_time))
    (subs / "ben" / "timestamp.txt").write_text(late)
    return root


DESK_GRADE = ("grade", "submissions", "-o", "grades", "--timeout", "10", "-q", "--due", DESK_DUE, "--late-penalty", "10%/day")


def graded_once(tmp_path_factory, name: str, make, *grade: str) -> Path:
    """A course made by `make(folder)` and graded with `coursegrad ARGS` once per test run, shared by every module
    and pytest-xdist worker that asks for the same `name` (`graded.shared`); returns a private copy (a folder named
    `name`: the records hold paths relative to the course folder)."""
    from graded import shared

    def grade_it() -> Path:
        root = make(tmp_path_factory.mktemp(f"graded-once-{name}") / name)
        result = cli(*grade, cwd=root)
        assert result.returncode == 0, result.stderr
        return root

    mine = tmp_path_factory.mktemp(name) / name
    shutil.copytree(shared(tmp_path_factory, f"graded-once-{name}", grade_it), mine, symlinks=True)
    return mine


def desk_graded(tmp_path_factory) -> Path:
    """`desk_class` graded with `DESK_GRADE` (once per test run: `graded_once`); a private copy of the course."""
    return graded_once(tmp_path_factory, "desk", desk_class, *DESK_GRADE)
