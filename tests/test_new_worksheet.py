"""A third, tiny worksheet written the way worksheets/README.md's ten-minute recipe says, graded from the command line.

The instructor writes only the notebook: solutions between `### BEGIN SOLUTION` markers and test cells as
plain Python (asserts, `expect_close`), no item JSON. `coursegrad generate` derives the items and writes
the student version, `coursegrad validate` passes, and `coursegrad grade` gives a right, a half-right and
a wrong submission 3, 2 and 0 of 3 points, question by question.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import nbformat

from coursegrad.grading import cells as C
from coursegrad.grading.release import read

NAME = "03_tiny.ipynb"


def meta(gid: str, *, solution: bool = False, points: float | None = None) -> dict:
    m = {"grade": points is not None, "grade_id": gid, "locked": not solution, "schema_version": 3, "solution": solution}
    return {"nbgrader": m | ({"points": points} if points is not None else {})}


def tiny_worksheet() -> nbformat.NotebookNode:
    """One function exercise (2 points) and one value exercise (1 point)."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md("# A tiny worksheet (3 points for the autograded exercises, 0 graded by hand)", metadata=meta("intro")),
        code("import math", metadata=meta("setup")),
        md("**1.** Write `square(x)`, which returns x²."),
        code(
            'def square(x):\n    """x², for a number x."""\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION',
            metadata=meta("square_answer", solution=True),
        ),
        code(
            'assert square(3) == 9, "square(3) should be 9"\n### BEGIN HIDDEN TESTS\nassert square(-1.5) == 2.25\n'
            "### END HIDDEN TESTS",
            metadata=meta("square_test", points=2),
        ),
        md("**2.** The slope of tanh at 0.5, `slope`, from tanh' = 1 − tanh²."),
        code(
            "# slope = ...\n### BEGIN SOLUTION\nslope = 1 - math.tanh(0.5) ** 2\n### END SOLUTION",
            metadata=meta("slope_answer", solution=True),
        ),
        code(
            "from coursegrad.checks import expect_close\n\n"
            'expect_close("slope", slope, (math.tanh(0.5 + 1e-5) - math.tanh(0.5 - 1e-5)) / 2e-5, rel=1e-6)',
            metadata=meta("slope_test", points=1),
        ),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def coursegrad(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coursegrad.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def submission(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        if C.grade_id(cell) in answers:
            cell.source = answers[C.grade_id(cell)]
    return nb


def test_a_new_worksheet_in_ten_minutes_generate_validate_release_grade(tmp_path):
    source = tmp_path / "worksheets" / "source" / NAME
    source.parent.mkdir(parents=True)
    nbformat.write(tiny_worksheet(), str(source))

    made = coursegrad("generate", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"wrote the items of 2 test cell(s) into worksheets/source/{NAME}: square_test, slope_test" in made.stdout
    items = {C.grade_id(c): c.metadata["coursegrad"]["items"] for c in read(source).cells if C.is_test(c)}
    assert items == {
        "square_test": [
            {"name": "square(3), square(-1.5)", "expr": "[square(3), square(-1.5)]", "points": 2, "rel": 0.0, "abs": 0.0}
        ],
        "slope_test": [{"name": "slope", "expr": "slope", "points": 1}],
    }
    assert coursegrad("generate", "--check", cwd=tmp_path).returncode == 0

    checked = coursegrad("validate", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "points: the solved worksheet 3 / 3 autograded, the unanswered one 0" in checked.stdout

    release = read(tmp_path / "worksheets" / "release" / NAME)  # what students get: no solution, no hidden test
    assert "x * x" not in str(release) and "-1.5) ==" not in "\n".join(c.source for c in release.cells)
    right = {"square_answer": "def square(x):\n    return x**2", "slope_answer": "slope = 1 / math.cosh(0.5) ** 2"}
    wrong = {"square_answer": "def square(x):\n    return 2 * x", "slope_answer": "slope = math.tanh(0.5)"}
    half = {"square_answer": right["square_answer"], "slope_answer": wrong["slope_answer"]}
    for student, answers in (("ada", right), ("bo", wrong), ("cy", half)):
        (tmp_path / "submissions" / student).mkdir(parents=True)
        nbformat.write(submission(release, answers), str(tmp_path / "submissions" / student / NAME))

    graded = coursegrad("grade", f"worksheets/source/{NAME}", "submissions", "-o", "grades", "-q", "--jobs", "1", cwd=tmp_path)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    with open(tmp_path / "grades" / "gradebook.csv", newline="") as f:
        points = {(r["student"], r["question"]): float(r["points"]) for r in csv.DictReader(f)}
    assert points == {
        ("ada", "square_test"): 2,
        ("ada", "slope_test"): 1,
        ("bo", "square_test"): 0,
        ("bo", "slope_test"): 0,
        ("cy", "square_test"): 2,
        ("cy", "slope_test"): 0,
    }
