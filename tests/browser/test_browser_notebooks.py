"""Every course notebook, opened and run the way a student does it, in JupyterLab in Chromium.

Open the notebook, Run -> Run All Cells, wait for the kernel to go idle, then look at what
the student sees: no error output in any cell, no widget showing "Error displaying widget"
or "model not found" (or stuck at "Loading widget..."), every cell executed. A screenshot
of the whole notebook is saved for a reviewer.

The student version of a worksheet is handed out unanswered: its answer cells raise
NotImplementedError and the checks that depend on them fail. Run All stops at the first
such error, so the test goes on from the next cell (as a student would), and accepts exactly
those intended errors (worksheets/README.md's table of them) and nothing else.
"""

from __future__ import annotations

import warnings

import pytest
from browser_course import (
    VIEWPORT,
    documented_errors,
    extra_notebooks,
    intended_errors,
    lecture_notebooks,
    notebook_id,
    student_worksheets,
)

pytestmark = pytest.mark.browser


def test_the_course_has_notebooks_to_open():
    """An empty glob must not turn the browser suite into a silent pass."""
    assert lecture_notebooks(), "no notebooks found in lectures/"


@pytest.mark.parametrize("path", lecture_notebooks() + extra_notebooks(), ids=notebook_id)
def test_lecture_runs_in_jupyterlab_without_errors(lab, path):
    notebook = lab.executed(path)
    cells = notebook.run_cells
    shots = notebook.run_shots
    _warn_about_what_is_not_an_error(path, cells, notebook)
    problems = notebook.problems(cells)
    assert not problems, f"{notebook_id(path)} in JupyterLab (screenshot: {shots[0]}):\n  " + "\n  ".join(problems)
    assert any(cell["executionCount"] for cell in cells), "no cell ran"


@pytest.mark.parametrize("path", student_worksheets(), ids=notebook_id)
def test_student_worksheet_runs_with_only_the_intended_errors(lab, path):
    allowed = intended_errors(path)
    notebook = lab.executed(path)  # Run All, then on past each intended error
    cells = notebook.run_cells
    shots = notebook.run_shots
    _warn_about_what_is_not_an_error(path, cells, notebook)
    problems = notebook.problems(cells, allowed=allowed)
    assert not problems, f"{notebook_id(path)} in JupyterLab (screenshot: {shots[0]}):\n  " + "\n  ".join(problems)
    shown = {cell["index"]: {e["ename"] for e in cell["errors"]} for cell in cells if cell["errors"]}
    assert shown, "the unanswered student version shows no error at all: are the answer cells really unanswered?"
    documented = documented_errors(path)
    if documented is not None:  # exactly the table in worksheets/README.md, cell by cell
        assert shown == documented, f"errors shown {shown} differ from worksheets/README.md's table {documented}"


def _warn_about_what_is_not_an_error(path, cells: list[dict], notebook) -> None:
    """Red warning boxes and outputs wider than the page are not errors, but a reviewer should hear about them."""
    for cell in cells:
        for text in cell.get("stderr", []):
            warnings.warn(f"{notebook_id(path)} cell {cell['index']} writes to stderr: {text.strip()[:200]}", stacklevel=1)
        for wide, room in cell.get("tooWide", []):
            warnings.warn(
                f"{notebook_id(path)} cell {cell['index']} ({cell['source'].splitlines()[0][:50]!r}): an output is {wide}px wide "
                f"in a {room}px column (window {VIEWPORT['width']}px): the student scrolls sideways",
                stacklevel=1,
            )
    for line in notebook.console_errors(serious=False):
        warnings.warn(f"{notebook_id(path)}: the browser console logged {line[:300]}", stacklevel=1)
