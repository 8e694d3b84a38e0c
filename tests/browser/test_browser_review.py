"""`coursegrad review`: grade three written answers with the keyboard only in JupyterLab (the keys work from
anywhere on the screen, not while typing a comment), reload, find them saved; the gradebook after `coursegrad
merge` holds them. And the page `coursegrad written-pdf` prints lays its math out (MathML, no script)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from conftest import NotebookPage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: the generated class
from workflow_helpers import cli  # noqa: E402

from coursegrad.grading import manual  # noqa: E402

pytestmark = pytest.mark.browser
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def review_lab(copy_of_graded_desk_class, lab):
    """The graded class with its review screen written, and the session's JupyterLab (the class is inside its root)."""
    root = copy_of_graded_desk_class  # graded with workflow_helpers.DESK_GRADE
    written = cli("review", "grades", "--no-lab", cwd=root)
    assert written.returncode == 0, written.stderr
    return lab, root


def open_screen(lab, root) -> NotebookPage:
    """The review screen opened in JupyterLab with a new kernel and run."""
    nb = lab.open(root / "grades" / "review.ipynb")
    nb.run_all()
    nb.page.get_by_text("graded", exact=False).first.wait_for(timeout=WAIT_MS)
    return nb


def points_box(page):
    return page.locator(".widget-text", has=page.locator("label", has_text="Points")).locator("input")


def comment_box(page):
    return page.locator(".cg-comment input")


def focused_class(page) -> str:
    """The classes of the focused element and its ancestors up to the screen: where the keys go."""
    return page.evaluate(
        "() => { let e = document.activeElement, c = []; while (e && e !== document.body) "
        "{ c.push(e.className || e.tagName); e = e.parentElement; } return c.join(' < '); }"
    )


def test_grade_three_answers_with_the_keyboard_reload_and_merge(review_lab):
    lab, root = review_lab
    nb = open_screen(lab, root)
    page, key = nb.page, nb.page.keyboard
    page.get_by_text("0 of 6 graded").wait_for(timeout=WAIT_MS)
    assert page.get_by_text("Why does backprop multiply?").count() >= 1  # the question, rubric, model answer shown
    assert page.get_by_text("Rubric").count() >= 1
    assert page.locator("kbd", has_text="q").count() >= 1 and page.get_by_text("next student").count() >= 1  # keys listed
    cells = page.locator(".jp-Cell").count()

    page.locator("h3", has_text="· ann (").click()  # anywhere on the screen (the title): from here on, keys only
    assert "cg-review" in focused_class(page)
    key.press("g")  # the points box
    key.type("2")
    key.press("Enter")  # saved, next answer (ben), the points box focused again
    page.get_by_text("1 of 6 graded").wait_for(timeout=WAIT_MS)
    page.locator("h3", has_text="· ben (").wait_for(timeout=WAIT_MS)
    key.press("c")  # the comment box; no letter typed there is a shortcut
    key.type("names the rule; quick, precise, good use of notation")
    key.press("Enter")  # the comment saved
    page.get_by_text("Saved no points for ben").wait_for(timeout=WAIT_MS)
    page.locator("h3", has_text="· ben (").wait_for(timeout=WAIT_MS)  # still ben: n, p, q, s, u, g, c typed as text
    key.press("Escape")  # out of the comment box, back on the screen
    key.type("1.5")  # a number anywhere on the screen goes to the points box
    key.press("Enter")
    page.get_by_text("2 of 6 graded").wait_for(timeout=WAIT_MS)
    page.locator("h3", has_text="· cat (").wait_for(timeout=WAIT_MS)
    key.press("p")  # back to ben: what was saved shows
    page.locator("h3", has_text="· ben (").wait_for(timeout=WAIT_MS)
    assert points_box(page).input_value() == "1.5" and comment_box(page).input_value().startswith("names the rule")
    key.press("u")  # the next answer not graded yet: cat
    page.locator("h3", has_text="· cat (").wait_for(timeout=WAIT_MS)
    key.type("0.5")
    key.press("Enter")
    page.get_by_text("3 of 6 graded").wait_for(timeout=WAIT_MS)
    page.locator("h3", has_text="· dov (").wait_for(timeout=WAIT_MS)
    key.press("s")  # the next answer of another student: eli (one written question, so q stays put)
    page.locator("h3", has_text="· eli (").wait_for(timeout=WAIT_MS)
    assert page.locator(".jp-Cell").count() == cells, "no key reached JupyterLab's notebook commands (a, b, c, x …)"

    rows = manual.read(root / "grades" / manual.NAME)
    got = {s: (rows[("01_tiny", s, "q3_answer")]["points"], rows[("01_tiny", s, "q3_answer")]["comment"]) for s in
           ("ann", "ben", "cat", "dov")}  # fmt: skip
    assert got == {"ann": ("2", ""), "ben": ("1.5", "names the rule; quick, precise, good use of notation"),
                   "cat": ("0.5", ""), "dov": ("", "")}  # fmt: skip
    assert page.locator(".katex, mjx-container, .MathJax").count() >= 1, "the student's math is rendered"
    nb.close()

    again = open_screen(lab, root)  # a fresh notebook tab and kernel: what was saved is what it shows
    again.page.get_by_text("3 of 6 graded").wait_for(timeout=WAIT_MS)
    assert points_box(again.page).input_value() == "2"  # ann's answer, first by question
    again.close()

    assert cli("merge", "grades", "-o", "grades", cwd=root).returncode == 0
    with open(root / "grades" / "gradebook.csv", newline="", encoding="utf-8") as f:
        book = {r["student"]: r for r in csv.DictReader(f) if r["question"] == "q3_answer"}
    assert [(book[s]["points"], book[s]["status"]) for s in ("ann", "ben", "cat")] == [
        ("2", "hand-graded"), ("1.5", "hand-graded"), ("0.5", "hand-graded")]  # fmt: skip


def test_the_written_answers_page_lays_its_math_out(browser):
    """The page `coursegrad written-pdf` prints, in Chromium without JavaScript (as it prints it): the fraction's
    numerator sits above its denominator and the square is raised, so the MathML is laid out as math."""
    from coursegrad.desk.hand_grades import Answer
    from coursegrad.desk.written_pdf import html_of

    answer = Answer("01_tiny", "cat", "q3_answer", 2, "Because $\\frac{\\partial L}{\\partial w} = x^2$.", prompt="Why?")
    context = browser.new_context(offline=True, java_script_enabled=False)
    page = context.new_page()
    try:
        page.set_content(html_of("cat", [answer]))
        top, bottom = (page.locator("mfrac > *").nth(i).bounding_box() for i in (0, 1))
        base, power = (page.locator("msup > *").nth(i).bounding_box() for i in (0, 1))
        assert top["y"] + top["height"] <= bottom["y"] + 1, (top, bottom)
        assert power["y"] + power["height"] / 2 < base["y"] + base["height"] / 2, (base, power)
        assert "$" not in page.inner_text("body") and "frac" not in page.inner_text("body")
    finally:
        context.close()
