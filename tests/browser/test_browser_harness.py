"""The browser harness can fail: it sees an error, a cell that did not run, a slider that moved.

Runs a small notebook written for the test (into the git-ignored `test-artifacts/` inside the
server's root) through the same code paths as the course notebooks, so that a selector that
silently stopped matching would turn these tests red instead of every course test green.
"""

from __future__ import annotations

import json
import sys

import pytest
from browser_course import REPO, intended_errors

pytestmark = pytest.mark.browser

CELLS = [
    ("markdown", "# Harness check", {}),
    ("code", "import ipywidgets as widgets", {}),
    # An unanswered answer cell of a student worksheet: an intended error.
    ("code", "def answer():\n    raise NotImplementedError()\n\nanswer()", {"nbgrader": {"solution": True, "grade": False}}),
    ("code", "print('this ran after the intended error')", {}),
    (
        "code",
        "slider = widgets.IntSlider(value=3, min=0, max=10, description='x')\n"
        "picture = widgets.HTML()\n"
        "def redraw(change=None):\n"
        '    picture.value = f\'<svg width="120" height="24"><text x="4" y="18">x*x = {slider.value ** 2}</text></svg>\'\n'
        "redraw()\n"
        "slider.observe(redraw, 'value')\n"
        "explorer = widgets.VBox([slider, picture])\n"
        "explorer.add_class('harness-explorer')\n"
        "explorer",
        {},
    ),
    ("code", "1 / 0", {}),
    ("code", "print('never reached')", {}),
]


@pytest.fixture(scope="module")
def harness_notebook():
    folder = REPO / "test-artifacts" / "browser-harness"  # git-ignored, inside the server root
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "harness.ipynb"
    cells = [
        {"cell_type": kind, "metadata": meta, "source": source}
        | ({"outputs": [], "execution_count": None} if kind == "code" else {})
        for kind, source, meta in CELLS
    ]
    kernelspec = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    path.write_text(json.dumps({"cells": cells, "metadata": {"kernelspec": kernelspec}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_harness_sees_errors_and_runs_past_only_the_intended_ones(lab, harness_notebook):
    allowed = intended_errors(harness_notebook)
    assert allowed == {2: {"NotImplementedError"}}
    notebook = lab.executed(harness_notebook)
    # The kernel is this test environment's own Python, not whatever a `python3` kernelspec elsewhere says.
    assert notebook.kernel_eval("__import__('sys').executable") == sys.executable
    cells = notebook.cells()
    assert [e["ename"] for e in cells[2]["errors"]] == ["NotImplementedError"]
    assert cells[3]["executionCount"] is None, "Run All should stop at the first error"

    notebook.run_past_errors(allowed)
    cells = notebook.cells()
    assert cells[3]["executionCount"] is not None, "the cell after the intended error did not run"
    problems = notebook.problems(cells, allowed=allowed)
    assert problems == [
        "cell 5 ('1 / 0') shows ZeroDivisionError: division by zero",
        "cell 6 (\"print('never reached')\") did not run",
    ]
    # Without the allowance the intended error is reported too.
    assert "cell 2 ('def answer():') shows NotImplementedError: " in notebook.problems(cells)


def test_harness_moves_a_slider_and_sees_the_kernel_redraw(lab, harness_notebook):
    from playwright.sync_api import expect

    notebook = lab.executed(harness_notebook)
    explorer = notebook.page.locator(".harness-explorer")
    expect(explorer).to_have_count(1)
    picture = explorer.locator(".widget-html-content svg")
    expect(picture).to_have_text("x*x = 9")
    assert notebook.press_on_slider(explorer.locator(".widget-hslider"), "ArrowRight") == ("3", "4")
    expect(picture).to_have_text("x*x = 16")
    assert notebook.press_on_slider(explorer.locator(".widget-hslider"), "ArrowLeft", presses=2) == ("4", "2")
    expect(picture).to_have_text("x*x = 4")
    # The same slider through the check for sliders outside coursegrad explorers.
    (other,) = notebook.other_sliders()
    assert other["label"] == "x"
    assert notebook.moving_changes_output(other)
    expect(picture).to_have_text("x*x = 9")
    notebook.screenshot("after-sliders")
