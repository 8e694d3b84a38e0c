"""The browser harness can fail: it sees an error, a cell that did not run, a slider that moved.

Runs a small notebook written for the test (`harness_notebook` in conftest.py) through the
same code paths as the course notebooks, so that a selector that silently stopped matching
would turn these tests red instead of every course test green.
"""

from __future__ import annotations

import sys

import pytest
from browser_course import intended_errors

pytestmark = pytest.mark.browser


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
        "cell 6 ('1 / 0') shows ZeroDivisionError: division by zero",
        "cell 7 (\"print('never reached')\") did not run",
    ]
    # Running a notebook leaves the repository alone: no checkpoint folder beside it, the file as it was.
    assert not (harness_notebook.parent / ".ipynb_checkpoints").exists()
    assert '"execution_count": null' in harness_notebook.read_text()
    # A widget that fails in the browser logs an error there: that is reported too.
    with notebook.page.expect_console_message(lambda m: m.type == "error"):
        notebook.page.evaluate("() => console.error('Error displaying widget: a harness check')")
    assert "the page logged an error: [error] Error displaying widget: a harness check" in notebook.problems(cells, allowed)
    notebook.console.clear()
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
    (other,) = notebook.other_sliders()  # the broken explorer's slider is inside an explorer
    assert other["label"] == "x"
    assert notebook.moving_changes_output(other)
    expect(picture).to_have_text("x*x = 9")
    notebook.screenshot("after-sliders")
