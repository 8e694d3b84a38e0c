"""`coursegrad review`: grade three written answers with the keyboard in JupyterLab, reload, find them saved;
the gradebook after `coursegrad merge` holds them."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest
from browser_course import VIEWPORT

from conftest import LabServer, NotebookPage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: the generated class
from workflow_helpers import DESK_GRADE, cli, desk_class  # noqa: E402

from coursegrad.grading import manual  # noqa: E402

pytestmark = pytest.mark.browser
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def review_lab(tmp_path_factory, browser):
    """A JupyterLab of its own on the graded class, driven by the session's Chromium (one Playwright per session)."""
    root = desk_class(tmp_path_factory.mktemp("review"))
    assert cli(*DESK_GRADE, cwd=root).returncode == 0
    written = cli("review", "grades", "--no-lab", cwd=root)
    assert written.returncode == 0, written.stderr
    server = LabServer(tmp_path_factory.mktemp("lab-home"), root=root)
    server.start()
    try:
        yield server, browser, root
    finally:
        server.stop()


def open_screen(server, chromium, root) -> NotebookPage:
    nb = NotebookPage(server, chromium.new_context(viewport=VIEWPORT), root / "grades" / "review.ipynb")
    nb.open()
    nb.run_all()
    nb.page.get_by_text("graded", exact=False).first.wait_for(timeout=WAIT_MS)
    return nb


def points_box(page):
    return page.locator(".widget-text", has=page.locator("label", has_text="Points")).locator("input")


def test_grade_three_answers_with_the_keyboard_reload_and_merge(review_lab):
    server, chromium, root = review_lab
    nb = open_screen(server, chromium, root)
    page = nb.page
    page.get_by_text("0 of 6 graded").wait_for(timeout=WAIT_MS)
    assert page.get_by_text("Why does backprop multiply?").count() >= 1  # the question, rubric, model answer shown
    assert page.get_by_text("Rubric").count() >= 1
    points_box(page).click()
    for n, (student, points) in enumerate((("ann", "2"), ("ben", "1.5"), ("cat", "0.5")), start=1):
        page.locator("h3", has_text=f"· {student} (").wait_for(timeout=WAIT_MS)
        assert points_box(page).input_value() == ""  # not graded yet
        page.keyboard.type(points)  # the box has the focus: the screen gives it back after each answer
        page.keyboard.press("Enter")
        page.get_by_text(f"{n} of 6 graded").wait_for(timeout=WAIT_MS)
    page.locator("h3", has_text="· dov (").wait_for(timeout=WAIT_MS)
    rows = manual.read(root / "grades" / manual.NAME)
    assert {s: rows[("01_tiny", s, "q3_answer")]["points"] for s in ("ann", "ben", "cat", "dov")} == {
        "ann": "2", "ben": "1.5", "cat": "0.5", "dov": ""}  # fmt: skip
    assert page.locator(".katex, mjx-container, .MathJax").count() >= 1, "the student's math is rendered"
    nb.page.close()

    again = open_screen(server, chromium, root)  # a fresh page and kernel: what was saved is what it shows
    again.page.get_by_text("3 of 6 graded").wait_for(timeout=WAIT_MS)
    assert points_box(again.page).input_value() == "2"  # ann's answer, first by question
    again.page.close()

    assert cli("merge", "grades", "-o", "grades", cwd=root).returncode == 0
    with open(root / "grades" / "gradebook.csv", newline="", encoding="utf-8") as f:
        book = {r["student"]: r for r in csv.DictReader(f) if r["question"] == "q3_answer"}
    assert [(book[s]["points"], book[s]["status"]) for s in ("ann", "ben", "cat")] == [
        ("2", "hand-graded"), ("1.5", "hand-graded"), ("0.5", "hand-graded")]  # fmt: skip
