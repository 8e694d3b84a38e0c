"""Hand grading on one screen: the answers with question, rubric and model answer; each grade saved at
once to manual.csv under a lock, merged by row; the gradebook after `coursegrad merge` holds them.

The browser test (tests/browser/test_browser_review.py) grades with the keyboard in JupyterLab.
"""

from __future__ import annotations

import csv
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from workflow_helpers import DESK_GRADE, RUBRIC, SHEET, cli, desk_class

from coursegrad.desk import hand_grades
from coursegrad.desk.review import Desk, inert
from coursegrad.desk.written_pdf import html_of
from coursegrad.grading import manual

pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = desk_class(tmp_path_factory.mktemp("review"))
    result = cli(*DESK_GRADE, cwd=root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def grades(course, tmp_path):
    """A private copy of the graded course (each test grades its own manual.csv)."""
    root = tmp_path / "course"
    shutil.copytree(course, root)
    return root


def sources(root: Path) -> list[Path]:
    return [root / "worksheets" / "source" / SHEET]


def test_each_answer_comes_with_its_question_rubric_and_model_answer(grades):
    found = hand_grades.answers(grades / "grades", sources(grades))
    assert [a.student for a in found] == ["ann", "ben", "cat", "dov", "eli", "fin"]  # one question, every student
    cat = found[2]
    assert "Why does backprop multiply?" in cat.prompt and cat.rubric == RUBRIC and "the chain rule" in cat.model
    assert cat.text == "It is the chain rule, says cat: $a \\cdot b$." and cat.max_points == 2 and not cat.graded


def test_the_screen_saves_each_grade_at_once_and_moves_on(grades):
    out = grades / "grades"
    desk = Desk(out, sources(grades))
    assert desk.progress.value == "<b>0 of 6 graded</b>"
    desk.points.value = "1.5"  # what the browser sends on Enter
    assert manual.read(out / manual.NAME)[("01_tiny", "ann", "q3_answer")]["points"] == "1.5"
    assert desk.current.student == "ben" and desk.progress.value == "<b>1 of 6 graded</b>"
    desk.comment.value = "name the rule"
    desk.points.value = "2"
    assert manual.read(out / manual.NAME)[("01_tiny", "ben", "q3_answer")]["comment"] == "name the rule"
    desk.points.value = "p"
    assert desk.current.student == "ben" and desk.points.value == "2"  # back, showing what was saved
    desk.points.value = "5"  # more than the 2 points of the question
    assert "Not saved" in desk.status.value and desk.current.student == "ben"
    assert manual.read(out / manual.NAME)[("01_tiny", "ben", "q3_answer")]["points"] == "2"
    desk.points.value = "u"
    assert desk.current.student == "cat"  # the next one not graded yet


def test_by_student_order_and_a_students_html_is_inert(grades):
    desk = Desk(grades / "grades", sources(grades), by="student")
    assert desk.current.student == "ann"
    assert inert("<img src=x onerror=alert(1)> $a<b$ [x](javascript:alert(1))") == (
        "&lt;img src=x onerror=alert(1)&gt; $a&lt;b$ [x](javascript&#58;alert(1))"
    )


def _grade_rows(out: str, students: list[str], rounds: int) -> None:
    for i in range(rounds):
        for answer in hand_grades.answers(out):
            if answer.student in students:
                hand_grades.save(out, answer, str(i % 3), f"round {i}")


def test_two_graders_at_once_never_lose_each_others_grades(grades):
    out = str(grades / "grades")
    with ProcessPoolExecutor(2) as pool:
        jobs = [pool.submit(_grade_rows, out, group, 20) for group in (["ann", "cat", "eli"], ["ben", "dov", "fin"])]
        for job in jobs:
            job.result()
    rows = manual.read(Path(out) / manual.NAME)
    everyone = "ann ben cat dov eli fin".split()
    assert {k[1]: (r["points"], r["comment"]) for k, r in rows.items()} == {s: ("1", "round 19") for s in everyone}


def test_the_gradebook_after_merge_holds_the_hand_grades(grades):
    out = grades / "grades"
    for answer in hand_grades.answers(out)[:3]:
        hand_grades.save(out, answer, "2", "good")
    result = cli("merge", "grades", "-o", "grades", cwd=grades)
    assert result.returncode == 0, result.stderr
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f) if r["question"] == "q3_answer"}
    assert [(s, rows[s]["points"], rows[s]["status"]) for s in ("ann", "ben", "cat")] == [("ann", "2", "hand-graded")] + [
        ("ben", "2", "hand-graded"),
        ("cat", "2", "hand-graded"),
    ]
    assert rows["dov"]["status"] == "manual"
    report = (out / "report.html").read_text(encoding="utf-8")  # rewritten by the merge: the hand grades count
    assert "<tr><td>q3_answer</td><td class=n>2</td><td class=n>1.50</td><td class=n>3 (50%)</td>" in report


def test_review_writes_the_notebook_that_opens_the_screen(grades):
    result = cli("review", "grades", "--no-lab", cwd=grades)
    assert result.returncode == 0, result.stderr
    notebook = (grades / "grades" / "review.ipynb").read_text()
    assert "Desk(" in notebook and "01_tiny.ipynb" in notebook
    assert cli("review", "nowhere", "--no-lab", cwd=grades).returncode == 2


def test_written_answers_print_as_one_pdf_per_student(grades):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium not found at /usr/bin/chromium (apt-get install chromium)")
    result = cli("written-pdf", "grades", "-o", "pdfs", cwd=grades, timeout=300)
    assert result.returncode == 0, result.stderr
    pdfs = sorted((grades / "pdfs").glob("*.pdf"))
    assert [p.stem for p in pdfs] == ["ann", "ben", "cat", "dov", "eli", "fin"]
    data = pdfs[2].read_bytes()
    assert data.startswith(b"%PDF-") and b"/Type /Page" in data
    cat = [a for a in hand_grades.answers(grades / "grades", sources(grades)) if a.student == "cat"]
    page = html_of("cat", cat)
    assert "It is the chain rule, says cat" in page and "Why does backprop multiply?" in page


def test_a_second_grader_sees_the_first_graders_grades(grades):
    out = grades / "grades"
    first, second = Desk(out, sources(grades)), Desk(out, sources(grades))
    first.points.value = "2"  # ann
    second.go("n")
    assert second.progress.value == "<b>1 of 6 graded</b>"
    second.go("p")
    assert second.points.value == "2", "ann's grade, saved by the other screen"
