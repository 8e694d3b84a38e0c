"""nbgrader itself (0.9) on the instructor source: the same student version, the same points.

Runs `nbgrader generate_assignment` and `nbgrader autograde` in a temporary course folder, with a
kernelspec pointing at this Python, and compares with `coursegrad generate` and `coursegrad grade`
for a solved and an unanswered submission.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursegrad.grading import batch
from coursegrad.grading import cells as C
from coursegrad.grading.release import read
from coursegrad.grading.validate import solved

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"
RELEASE = ROOT / "worksheets" / "release" / "01_backprop_worksheet.ipynb"
ASSIGNMENT = "ws01"


def nbgrader(course: Path, *args: str) -> None:
    env = dict(os.environ, JUPYTER_PATH=str(course / "jupyter"), PYTHONHASHSEED="0")
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force"], cwd=course, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
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
    (course / "source" / ASSIGNMENT / SOURCE.name).write_bytes(SOURCE.read_bytes())
    nbgrader(course, "generate_assignment", ASSIGNMENT)

    handed_out = read(course / "release" / ASSIGNMENT / SOURCE.name)
    answered = solved(handed_out, read(SOURCE))
    for student, nb in (("correct", answered), ("blank", handed_out)):
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / SOURCE.name))
    nbgrader(course, "autograde", ASSIGNMENT)
    return course


def nbgrader_scores(course: Path, student: str) -> dict[str, float | None]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(SOURCE.stem, ASSIGNMENT, student)
        return {g.name: g.auto_score for g in notebook.grades}


def test_nbgraders_student_version_is_byte_identical_to_ours(course):
    assert (course / "release" / ASSIGNMENT / SOURCE.name).read_bytes() == RELEASE.read_bytes()


def test_nbgrader_autograde_gives_the_same_points_as_coursegrad(course):
    ours = {r.student: r for r in batch.grade_folder(SOURCE, course / "submitted", jobs=2, progress=False, timeout=60)}
    graded_cells = {C.grade_id(c) for c in read(SOURCE).cells if C.is_test(c) or C.is_manual(c)}
    for student in ("correct", "blank"):
        theirs = nbgrader_scores(course, student)
        assert set(theirs) == graded_cells
        mine = {q.grade_id: q.points for q in ours[student].questions}
        assert mine == theirs, student
    correct = nbgrader_scores(course, "correct")
    assert sum(v for v in correct.values() if v is not None) == 20
    manual = {C.grade_id(c) for c in read(SOURCE).cells if C.is_manual(c)}
    assert manual == {"ex5_reasons", "ex8a_answer", "ex8b_answer"}
    assert all(v is None for k, v in correct.items() if k in manual)  # written answers: graded by hand
    assert set(nbgrader_scores(course, "blank").values()) == {0}
