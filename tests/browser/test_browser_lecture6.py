"""Lecture 6 in JupyterLab: run all, then move the classifier explorer's sliders the way a student does.

After Run All the notebook must show no error and a working explorer. Then, for each slider
(training step, hidden units, learning rate), the test presses an arrow key on its handle and
checks what the student sees against numbers computed here, with coursegrad itself, for the
slider's new value: the step, the number of weights and biases, the loss and the training
accuracy in the readout; the coloured regions and the marked point of the loss curve must be
redrawn, and the explorer must keep its size. Screenshots of the whole notebook are saved
after the run and after the sliders.
"""

from __future__ import annotations

import numpy as np
import pytest
from browser_course import REPO
from test_browser_explorers import Explorer, assert_same_size, assert_shows, new_value, the_explorer

from coursegrad import nn, two_layer

pytestmark = pytest.mark.browser

NOTEBOOK = REPO / "lectures" / "06_network_by_hand.ipynb"
KIND = "coursegrad-classifier-explorer"


def _expected(facts: dict) -> dict:
    """What the explorer should show for the kernel's slider values: the engine's run, made here."""
    c = facts["controls"]
    hidden, lr, step = int(c["hidden"]["value"]), float(c["lr"]["value"]), int(c["step"]["value"])
    X, y = nn.spiral_dataset()
    run = two_layer.train_two_layer_classifier(X, y, hidden, lr, facts["steps"], c["step"]["step"])
    params = run["snapshots"][step]
    accuracy = float(np.mean(np.argmax(two_layer.two_layer_scores(params, X), axis=1) == y))
    return {"hidden": hidden, "lr": lr, "step": step, "loss": float(run["loss"][step]), "accuracy": 100 * accuracy,
            "parameters": sum(p.size for p in params)}  # fmt: skip


def _check_shows(ex: Explorer, facts: dict, what: str) -> None:
    want = _expected(facts)
    shown = ex.numbers()
    for name in ("hidden", "step", "parameters", "loss", "accuracy"):
        assert_shows(shown, name, want[name], f"{name} ({what})")
    assert_shows(shown, "lr", want["lr"], f"the learning rate ({what})")


def _regions(ex: Explorer) -> str:
    image = ex.box.locator(".coursegrad-plot image.coursegrad-regions")
    assert image.count() == 1, f"the plot shows {image.count()} region images, expected 1"
    return image.get_attribute("href")


def _move(ex: Explorer, name: str) -> tuple[dict, dict, float]:
    """Press an arrow key on slider `name`; wait until the plot is redrawn. Returns facts before, after, new value."""
    before = ex.facts()
    plot = ex.html("coursegrad-plot")
    _, sign = ex.move(name, before)
    ex.wait_for_change("coursegrad-plot", plot)
    after = ex.facts()
    return before, after, new_value(before, after, name, sign)


def test_lecture6_runs_and_its_explorer_answers_every_slider(lab):
    notebook = lab.executed(NOTEBOOK)
    ex = the_explorer(notebook, KIND)
    height = ex.height()
    _check_shows(ex, ex.facts(), "as displayed after Run All")

    regions, point = _regions(ex), ex.point("loss")
    before, after, step = _move(ex, "step")
    _check_shows(ex, after, f"at training step {step:g}")
    assert _regions(ex) != regions, "moving the training step did not redraw the regions"
    assert ex.point("loss") != point, "the marked point on the loss curve did not move with the step"

    for name in ("hidden", "lr"):  # each trains a new network in the kernel (once the handle is let go)
        regions = _regions(ex)
        before, after, value = _move(ex, name)
        _check_shows(ex, after, f"{name} = {value:.4g}")
        assert _regions(ex) != regions, f"moving {name} did not redraw the regions"
    assert_same_size(height, ex.height())
    failures = [f"the page logged an error: {line[:300]}" for line in notebook.console_errors(serious=True)]
    shots = notebook.screenshot("after-sliders")
    ex.box.screenshot(path=str(shots[0].with_name(f"{notebook.name}--classifier-explorer.png")))
    assert not failures, f"lecture 6 (screenshot: {shots[0]}):\n  " + "\n  ".join(failures)
