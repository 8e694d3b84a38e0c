"""nbgrader itself (0.9) on each instructor source: the same student version, the same points.

Runs `nbgrader generate_assignment` and `nbgrader autograde` in a temporary course folder, with a
kernelspec pointing at this Python, and compares with `coursegrad generate` and coursegrad's grades
for a solved, an unanswered and a partly wrong submission of each worksheet (worksheet 2's
writes `=` instead of `+=` in its backward pass). Ours are `grade_notebook`'s (what `coursegrad grade`
runs for each submission) with 60 s per cell, computed once per session (`graded.grade_once`):
test_worksheet_items.py grades the same three notebooks with the same options.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from graded import grade_once

from coursegrad.grading import cells as C
from coursegrad.grading.release import read, release_path
from coursegrad.grading.validate import solved

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "worksheets" / "source").glob("*.ipynb"))
ASSIGNMENT = "assignment"
# a partly wrong answer per worksheet: (grade_id, old text, new text), and the autograded points it should keep
PARTLY = {
    "01_backprop_worksheet": (("ex2_answer", "dg_dx, dg_dy = 6.0, -18.0", "dg_dx, dg_dy = 12.0, 18.0"), 19),
    "02_write_backprop": (("ex1_backprop_answer", "child.grad += local", "child.grad = local"), 12),
}
TOTALS = {"01_backprop_worksheet": 20, "02_write_backprop": 15}


def nbgrader(course: Path, *args: str) -> None:
    env = dict(os.environ, JUPYTER_PATH=str(course / "jupyter"), PYTHONHASHSEED="0")
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force"], cwd=course, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def partly_wrong(nb: nbformat.NotebookNode, gid: str, old: str, new: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    cell = next(c for c in nb.cells if C.grade_id(c) == gid)
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    return nb


@pytest.fixture(scope="module", params=SOURCES, ids=lambda p: p.stem)
def course(request, tmp_path_factory):
    source = request.param
    course = tmp_path_factory.mktemp(f"course-{source.stem}")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'backprop'\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
        "c.Execute.timeout = 60\n"
    )
    kernel = course / "jupyter" / "kernels" / "python3"  # nbgrader runs the kernel named in the notebook
    kernel.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3",
        "language": "python",
    }
    (kernel / "kernel.json").write_text(json.dumps(spec))
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "source" / ASSIGNMENT / source.name).write_bytes(source.read_bytes())
    nbgrader(course, "generate_assignment", ASSIGNMENT)

    handed_out = read(course / "release" / ASSIGNMENT / source.name)
    answered = solved(handed_out, read(source))
    (gid, old, new), _ = PARTLY[source.stem]
    submitted = {"correct": answered, "blank": handed_out, "partly": partly_wrong(answered, gid, old, new)}
    for student, nb in submitted.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / source.name))
    nbgrader(course, "autograde", ASSIGNMENT)
    return source, course, submitted


def nbgrader_scores(course: Path, source: Path, student: str) -> dict[str, float | None]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(source.stem, ASSIGNMENT, student)
        return {g.name: g.auto_score for g in notebook.grades}


def test_nbgraders_student_version_is_byte_identical_to_ours(course):
    source, folder, _ = course
    assert (folder / "release" / ASSIGNMENT / source.name).read_bytes() == release_path(source).read_bytes()


def test_nbgrader_autograde_gives_the_same_points_as_coursegrad(course, tmp_path_factory):
    source, folder, submitted = course
    ours = {student: grade_once(tmp_path_factory, source, nb, timeout=60) for student, nb in submitted.items()}
    graded_cells = {C.grade_id(c) for c in read(source).cells if C.is_test(c) or C.is_manual(c)}
    for student in ("correct", "blank", "partly"):
        theirs = nbgrader_scores(folder, source, student)
        assert set(theirs) == graded_cells
        mine = {q.grade_id: q.points for q in ours[student].questions}
        assert mine == theirs, student
    correct = nbgrader_scores(folder, source, "correct")
    assert sum(v for v in correct.values() if v is not None) == TOTALS[source.stem]
    manual = {C.grade_id(c) for c in read(source).cells if C.is_manual(c)}
    assert manual and all(v is None for k, v in correct.items() if k in manual)  # written answers: graded by hand
    assert set(nbgrader_scores(folder, source, "blank").values()) == {0}
    partly = nbgrader_scores(folder, source, "partly")
    assert sum(v for v in partly.values() if v is not None) == PARTLY[source.stem][1]
