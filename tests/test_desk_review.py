"""Hand grading on one screen: the answers with question, rubric and model answer; each grade saved at
once to manual.csv under a lock, merged by row; the gradebook after `coursegrad merge` holds them.

The browser test (tests/browser/test_browser_review.py) grades with the keyboard in JupyterLab.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from workflow_helpers import RUBRIC, SHEET, cli, desk_graded

from coursegrad.desk import hand_grades
from coursegrad.desk.review import Desk, inert
from coursegrad.desk.written_pdf import html_of
from coursegrad.grading import manual, records, report, sheets

pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return desk_graded(tmp_path_factory)


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


def test_the_keys_move_by_question_and_by_student_and_are_listed(grades):
    from coursegrad.desk.review import HELP, KEYS

    desk = Desk(grades / "grades", sources(grades))
    two = [hand_grades.Answer("w", s, q, 2, "") for q in ("q1", "q2") for s in ("ann", "ben", "cat")]  # by question
    desk.answers, desk.index = two, 0
    desk.go("q")
    assert (desk.current.question, desk.current.student) == ("q2", "ann")  # the first answer to the next question
    desk.go("q")
    assert (desk.current.question, desk.current.student) == ("q2", "ann")  # none after it: stays
    desk.answers, desk.index = sorted(two, key=lambda a: (a.student, a.question)), 0  # by student
    desk.go("s")
    assert (desk.current.student, desk.current.question) == ("ben", "q1")
    desk.go("q")
    assert (desk.current.student, desk.current.question) == ("ben", "q2")
    assert all(f"<kbd>{k}</kbd> {what}" in HELP for k, what in KEYS) and "not while typing a comment" in HELP
    assert HELP in desk.widget.children[-1].value  # on the screen


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


def _fold(out: str) -> int:
    """What a grade run or merge does with manual.csv: fold it into the records (and rewrite it)."""
    source = Path(out).parent / "worksheets" / "source" / SHEET
    return manual.fold(out, records.load_all(out), {"01_tiny": report.rubrics_of(source)})


def _fold_while_a_grade_is_saved(out: Path) -> tuple[dict, int]:
    """A fold paused between reading manual.csv and writing it back; meanwhile a grader saves ann's grade.
    Returns the sheet afterwards and how many grades the fold applied."""
    read, saved, applied = threading.Event(), threading.Event(), []
    write = sheets.write

    def paused_write(*args, **kwargs):
        if threading.current_thread().name == "fold":  # the fold has read the sheet: let the grader in
            read.set()
            saved.wait(1.0)  # with the lock the save waits for the fold, so this times out
        write(*args, **kwargs)

    ann = next(a for a in hand_grades.answers(out) if a.student == "ann")
    with _patched(sheets, "write", paused_write):
        fold = threading.Thread(target=lambda: applied.append(_fold(str(out))), name="fold")
        fold.start()
        assert read.wait(30)
        grader = threading.Thread(target=lambda: (hand_grades.save(out, ann, "2", "while folding"), saved.set()))
        grader.start()
        fold.join(30)
        grader.join(30)
    return manual.read(out / manual.NAME), applied[0]


@contextlib.contextmanager
def _patched(owner, name, value):
    old = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)


def test_a_fold_during_grading_never_loses_a_saved_grade(grades):
    out = grades / "grades"
    hand_grades.save(out, hand_grades.answers(out)[1], "1", "before the fold")  # ben
    rows, applied = _fold_while_a_grade_is_saved(out)
    assert (rows[("01_tiny", "ann", "q3_answer")]["points"], rows[("01_tiny", "ann", "q3_answer")]["comment"]) == (
        "2", "while folding")  # fmt: skip
    assert rows[("01_tiny", "ben", "q3_answer")]["points"] == "1" and applied == 1  # the fold saw ben's, not ann's yet


def test_without_the_lock_the_same_fold_loses_the_grade(grades, monkeypatch):
    """The control: the fold above, with `manual.locked` taking no lock, writes back the sheet it read."""
    monkeypatch.setattr(manual, "locked", lambda out: contextlib.nullcontext())
    rows, _ = _fold_while_a_grade_is_saved(grades / "grades")
    assert rows[("01_tiny", "ann", "q3_answer")]["points"] == "", "without the lock, ann's grade is overwritten"


def _fold_again_and_again(out: str, rounds: int) -> None:
    for _ in range(rounds):
        _fold(out)


def test_folds_and_saves_at_once_lose_nothing(grades):
    out = str(grades / "grades")
    with ProcessPoolExecutor(2) as pool:
        jobs = [pool.submit(_grade_rows, out, "ann ben cat dov eli fin".split(), 12), pool.submit(_fold_again_and_again, out, 12)]
        for job in jobs:
            job.result()
    rows = manual.read(Path(out) / manual.NAME)
    assert {k[1]: (r["points"], r["comment"]) for k, r in rows.items()} == {
        s: ("2", "round 11") for s in "ann ben cat dov eli fin".split()}  # fmt: skip


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
    chromium = os.environ.get("COURSEGRAD_CHROMIUM", "/usr/bin/chromium")  # the path written_pdf uses
    if not Path(chromium).exists():
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"Chromium not found at {chromium} (apt-get install chromium)")
    result = cli("written-pdf", "grades", "-o", "pdfs", cwd=grades, timeout=300)
    assert result.returncode == 0, result.stderr
    pdfs = sorted((grades / "pdfs").glob("*.pdf"))
    assert [p.stem for p in pdfs] == ["ann", "ben", "cat", "dov", "eli", "fin"]
    data = pdfs[2].read_bytes()
    assert data.startswith(b"%PDF-") and b"/Type /Page" in data
    cat = [a for a in hand_grades.answers(grades / "grades", sources(grades)) if a.student == "cat"]
    page = html_of("cat", cat)
    assert "It is the chain rule, says cat" in page and "Why does backprop multiply?" in page
    assert '<math display="inline"><mrow><mi>a</mi><mo>·</mo><mi>b</mi></mrow></math>' in page  # $a \cdot b$
    assert "$" not in page and "\\cdot" not in page, "the math is rendered, not left as its TeX source"


def test_math_becomes_mathml_and_nothing_else_gets_through():
    from coursegrad.desk.math_html import markdown, mathml

    html = markdown("Chain rule: $\\frac{\\partial L}{\\partial w} = a^2$, then\n\n$$x < y$$\n\ncosts $5 and $10")
    assert "<mfrac><mrow><mo>∂</mo><mi>L</mi></mrow><mrow><mo>∂</mo><mi>w</mi></mrow></mfrac>" in html
    assert "<msup><mi>a</mi><mn>2</mn></msup>" in html and '<math display="block">' in html and "<mo>&lt;</mo>" in html
    assert "costs $5 and $10" in html  # money is not math
    hostile = "$\\text{<img src=x onerror=alert(1)>}$ <script>alert(1)</script> $\\href{javascript:alert(1)}{x}$"
    html = markdown(hostile)
    assert "<img" not in html and "<script" not in html and ' href="' not in html  # latex2mathml would pass all three
    assert html.count('<code class="tex">') == 2 and "$\\text{&lt;img src=x onerror=alert(1)&gt;}$" in html  # as source
    assert (
        mathml("x^") == '<code class="tex">$x^$</code>'
        and mathml("\\left(", display=True) == '<code class="tex">$$\\left($$</code>'
    )


def test_a_second_grader_sees_the_first_graders_grades(grades):
    out = grades / "grades"
    first, second = Desk(out, sources(grades)), Desk(out, sources(grades))
    first.points.value = "2"  # ann
    second.go("n")
    assert second.progress.value == "<b>1 of 6 graded</b>"
    second.go("p")
    assert second.points.value == "2", "ann's grade, saved by the other screen"
