"""Predict before you see, in JupyterLab: every lecture opens with its reveals collapsed.

A prediction cell (tag `predict`) asks for an answer that the next cell with outputs (the
reveal) shows; the summary at the end shows them all. The reveal is stored with `metadata.jupyter.outputs_hidden`, so JupyterLab
opens it collapsed: in place of its outputs a `.jp-OutputPlaceholder` shows only the first
line of the first output. Running the reveal (after the student answered) shows its outputs.
These tests read that from the page a student sees: before anything runs (recorded by the
`lab` fixture right after the notebook opened), and after Run All.

A small notebook written for the test proves first that the page reading can tell a
collapsed output from a shown one.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from browser_course import FIXTURE_NOTEBOOKS, lecture_notebooks, notebook_id

from tools.notebooks import collapsed_placeholder_text, predict_cells, reveal_cell

pytestmark = pytest.mark.browser


def _lectures():
    return [pytest.param(p, id=notebook_id(p)) for p in lecture_notebooks()]


@pytest.fixture(scope="session")
def collapsed_notebook():
    """A prediction, its collapsed reveal (stored output 'hidden answer: 42'), and a cell whose output is shown."""
    path = FIXTURE_NOTEBOOKS["collapsed_notebook"]
    path.parent.mkdir(parents=True, exist_ok=True)
    new = nbformat.v4
    nb = new.new_notebook(
        cells=[
            new.new_code_cell("my_prediction = ...", metadata={"tags": ["predict"]}, execution_count=1),
            new.new_code_cell('print("hidden answer: 42")\nprint("second line")', execution_count=2),
            new.new_code_cell('print("shown from the start")', execution_count=3),
        ]
    )
    nb.cells[1].metadata["jupyter"] = {"outputs_hidden": True}
    nb.cells[1].outputs = [new.new_output("stream", name="stdout", text="hidden answer: 42\nsecond line\n")]
    nb.cells[2].outputs = [new.new_output("stream", name="stdout", text="shown from the start\n")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    path.write_text(json.dumps(nb))
    return path


def test_the_page_reading_tells_collapsed_outputs_from_shown_ones(lab, collapsed_notebook):
    notebook = lab.executed(collapsed_notebook)
    before = notebook.opened_outputs
    assert before[1]["collapsed"] and not before[1]["shown"], before[1]
    assert (
        before[1]["placeholder"]
        == "hidden answer: 42"
        == collapsed_placeholder_text(nbformat.read(collapsed_notebook, 4).cells[1])
    )
    assert "second line" not in before[1]["text"]
    assert not before[2]["collapsed"] and before[2]["shown"] and "shown from the start" in before[2]["text"], before[2]
    after = notebook.outputs_shown()  # running a collapsed cell shows its outputs (CodeCell.execute)
    assert after[1]["shown"] and not after[1]["collapsed"] and "second line" in after[1]["text"], after[1]


@pytest.mark.parametrize("path", _lectures())
def test_a_lecture_opens_with_every_reveal_collapsed_and_running_it_shows_it(lab, path):
    nb = nbformat.read(path, as_version=4)
    reveals = {j: i for i in predict_cells(nb) if (j := reveal_cell(nb, i)) is not None}
    assert reveals, f"{path.name}: no prediction cell is followed by a cell with outputs"
    last = max(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert nb.cells[last].source.strip() == "predictions.summary()", f"{path.name} does not end with the predictions' summary"
    reveals[last] = "all"  # the summary holds every answer: it opens collapsed too
    notebook = lab.executed(path)
    before = notebook.opened_outputs
    assert len(before) == len(nb.cells), "JupyterLab shows a different number of cells than the file holds"
    for j, i in reveals.items():
        seen = before[j]
        where = f"{path.name}: cell {j} (the reveal of prediction cell {i})"
        assert seen["collapsed"] and not seen["shown"], f"{where} opens with its outputs shown: {seen}"
        assert seen["placeholder"] == collapsed_placeholder_text(nb.cells[j]), f"{where}: placeholder {seen['placeholder']!r}"
    after = notebook.outputs_shown()
    hidden = [j for j in reveals if not (after[j]["shown"] and after[j]["outputs"])]
    assert not hidden, f"{path.name}: after Run All, reveal cells {hidden} still hide their outputs"
