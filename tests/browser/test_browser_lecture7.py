"""Lecture 7 (reverse mode) in JupyterLab: run all, answer nothing, move the slider, take screenshots.

The check of its explorer lives here and is also registered in test_browser_explorers.CHECKS,
so the course-wide slider test covers it too:

- checkpoint explorer: after a move of the segment slider, the readout shows what a fresh
  `chain_backward` gives for the new segment length (peak memory, step evaluations, checkpoints),
  the gradients are still equal to the plain backward's, and the marked points move along.
"""

from __future__ import annotations

import pytest
from browser_course import REPO

pytestmark = pytest.mark.browser

NOTEBOOK = REPO / "lectures" / "07_reverse_mode.ipynb"
ASK = "✎ Make your prediction first"


def check_checkpoint_explorer(ex) -> None:
    from test_browser_explorers import assert_same_size, assert_shows, new_value

    from coursegrad.memory import chain_backward, tanh_chain

    before = ex.facts()
    height, plot, readout = ex.height(), ex.html("coursegrad-plot"), ex.html("coursegrad-readout")
    point = ex.point("memory")
    _, sign = ex.move("segment", before)
    ex.wait_for_change("coursegrad-readout", readout)
    ex.wait_for_change("coursegrad-plot", plot)
    after = ex.facts()
    s = int(new_value(before, after, "segment", sign))
    step, x0, params = tanh_chain(after["steps"], after["width"])
    plain = chain_backward(step, x0, params)
    run = chain_backward(step, x0, params, s)
    shown = ex.numbers()
    assert_shows(shown, "segment", s, "the segment length")
    assert_shows(shown, "checkpoints", run.checkpoints, f"the checkpoints stored with s = {s}")
    assert_shows(shown, "peak_kb", run.peak_bytes / 1000, f"the peak memory with s = {s}")
    assert_shows(shown, "evaluations", run.evaluations, f"the step evaluations with s = {s}")
    assert_shows(shown, "plain_kb", plain.peak_bytes / 1000, "the plain backward's memory")
    text = ex.box.locator(".coursegrad-readout").inner_text()
    assert "gradients equal to the plain backward's: True" in text, text
    moved = ex.point("memory")
    assert sign * (moved[0] - point[0]) > 0, "the point on the memory curve did not move with s"
    assert_same_size(height, ex.height())


def test_lecture7_runs_and_its_sliders_change_what_the_student_sees(lab):
    from test_browser_explorers import PROBE_SOURCE, Explorer

    notebook = lab.executed(NOTEBOOK)
    cells = notebook.run_cells
    problems = notebook.problems(cells)
    assert not problems, f"lecture 7 in JupyterLab (screenshot: {notebook.run_shots[0]}):\n  " + "\n  ".join(problems)
    predict_cells = sum("predictions.check(" in c["source"] and "my_prediction = ..." in c["source"] for c in cells)
    asked = notebook.page.locator(".jp-NotebookPanel .jp-OutputArea-output", has_text=ASK).count()
    assert predict_cells >= 3 and asked == predict_cells, f"{asked} outputs ask for a prediction, {predict_cells} predict cells"
    explorers = {e["kind"]: e for e in notebook.explorers()}
    assert set(explorers) == {"coursegrad-checkpoint-explorer"}, sorted(explorers)
    notebook.kernel_eval("None", code=PROBE_SOURCE)
    before = {kind: notebook.explorer(e).inner_html() for kind, e in explorers.items()}
    check_checkpoint_explorer(Explorer(notebook, explorers["coursegrad-checkpoint-explorer"]))
    for kind, e in explorers.items():
        assert notebook.explorer(e).inner_html() != before[kind], f"{kind}: nothing changed on the page"
    shots = notebook.screenshot("lecture7-after-sliders")
    assert shots and all(p.stat().st_size > 10_000 for p in shots)
