"""Lecture 6 (a network by hand): its predict and write-it-yourself cells, the numbers its prose states,
its explorer (headless), the plots it draws and the never-raising array check."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

from coursegrad import nn, plots, two_layer
from coursegrad.array_checks import check_array
from tools.notebooks import LECTURES

NOTEBOOK = LECTURES / "06_network_by_hand.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def _outputs(cell) -> str:
    return "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", []))


def _shown(nb) -> str:
    return "\n".join(_outputs(c) for c in nb.cells if c.cell_type == "code")


# ---------------------------------------------------------------------------
# Students act: predictions before the outputs that answer them, a line to write
# ---------------------------------------------------------------------------


def test_at_least_three_prediction_cells_stored_unanswered(nb):
    predict = [i for i, c in enumerate(nb.cells) if "predict" in c.metadata.get("tags", [])]
    assert len(predict) >= 3
    for i in predict:
        source = nb.cells[i].source
        assert "my_prediction = ..." in source and source.rstrip().endswith(")") and "predictions.check(" in source
        assert _outputs(nb.cells[i]).startswith("✎ Make your prediction first"), f"cell {i} is stored answered"
        answer = source.split("my_prediction,", 1)[1].lstrip()
        assert answer.startswith("lambda:"), f"cell {i} writes its answer literally instead of computing it"


def test_every_reveal_starts_collapsed_and_the_summary_ends_the_lecture(nb):
    """The first code cell with outputs after a predict cell answers it: stored collapsed, so the student
    meets the question first; the lecture ends with predictions.summary() (made in the import cell)."""
    predict = [i for i, c in enumerate(nb.cells) if "predict" in c.metadata.get("tags", [])]
    assert len(predict) == 5
    for i in predict:
        reveal = next(c for c in nb.cells[i + 1 :] if c.cell_type == "code" and c.outputs)
        assert reveal.metadata.get("jupyter", {}).get("outputs_hidden") is True, reveal.source[:60]
    collapsed = [c for c in nb.cells if c.metadata.get("jupyter", {}).get("outputs_hidden")]
    assert len(collapsed) == len(predict) + 1  # the reveals and the summary (it lists every answer); nothing else
    assert "predictions = Predictions()" in nb.cells[1].source
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert last.source.strip() == "predictions.summary()"
    assert _outputs(last).count("no prediction made; it was") == len(predict)
    assert nb.cells[-1].source == "**Next:** [7 · Reverse mode](07_reverse_mode.ipynb)."  # the lecture leads on


def test_learning_goals_are_questions_and_the_lecture_is_at_most_1500_words(nb):
    from tools.notebooks import prose_words

    goals = nb.cells[0].source.split("**Learning goals.**", 1)[1]
    numbered = [line for line in goals.splitlines() if line[:2].rstrip(".").isdigit()]
    assert len(numbered) == 5 and all(line.rstrip().endswith("?") for line in numbered), numbered
    assert prose_words(NOTEBOOK) <= 1500
    assert "optional" in nb.cells[0].source
    (optional,) = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Optional")]
    assert "classifier_explorer" in nb.cells[nb.cells.index(optional) + 1].source


def test_each_prediction_is_answered_below_it_not_above(nb):
    """The output that answers a prediction comes after it; no cell above shows it."""
    answers = {  # a prediction's blank, and the printed text that answers it
        "the loss of the untrained network": "loss of the untrained network: 1.1229",
        "first example's right class": "-0.1674",
        "do all four candidates have the shape of W": "equals dW: False",
        "every row's upstream gradient for class 0 is 0.005": "db2 = [1.5 1.5 1.5]",
        "without zero_grad(), does the loss still fall": "without: the loss rose at 133 of 300 steps",
    }
    for blank, answer in answers.items():
        (i,) = [k for k, c in enumerate(nb.cells) if "predict" in c.metadata.get("tags", []) and blank in c.source]
        above = "\n".join(_outputs(c) for c in nb.cells[:i] if c.cell_type == "code")
        below = "\n".join(_outputs(c) for c in nb.cells[i + 1 : i + 3] if c.cell_type == "code")
        assert answer in below, f"the prediction '{blank}' is not answered right below it"
        assert answer not in above, f"the prediction '{blank}' is answered above it"


def test_the_predictions_accept_the_right_answer_and_hint_at_wrong_ones(capsys):
    """Run the lecture's checks with a right and a wrong answer, as a student would."""
    from coursegrad.predict import check_prediction

    s, y = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]]), np.array([0, 2])
    answer = lambda: nn.softmax_cross_entropy(s, y).local_grads[0][0, 0]  # noqa: E731 - the lecture's answer key
    check_prediction(-0.1674, answer, hint="h", rel=0.02)
    check_prediction(-0.3348, answer, hint="h", rel=0.02, mistakes=[(-0.3348, "mean over N")])
    out = capsys.readouterr().out.splitlines()
    assert out == ["✔ Right: -0.1674.", "✘ Not yet: mean over N"]


def test_write_it_yourself_cell_then_a_hidden_worked_solution(nb):
    (i,) = [k for k, c in enumerate(nb.cells) if c.source.startswith("# Write it yourself")]
    cell, solution = nb.cells[i], nb.cells[i + 1]
    assert "dz1 = ...\n" in cell.source and "db1 = ...\n" in cell.source and "check_array(" in cell.source
    assert _outputs(cell).count("✎ Write the line for") == 2  # stored unanswered, and the check did not raise
    assert solution.metadata.get("jupyter", {}).get("source_hidden") is True
    assert "dz1 = dh * (z1 > 0)" in solution.source
    assert _outputs(solution).count("✔ Right") == 2


def test_widget_cell_is_the_only_one_not_compared(nb):
    ignored = [c for c in nb.cells if "nbval-ignore-output" in c.metadata.get("tags", [])]
    assert len(ignored) == 1 and "classifier_explorer(" in ignored[0].source


# ---------------------------------------------------------------------------
# Every number the prose states is a computed output
# ---------------------------------------------------------------------------

CLAIMS = [  # (the prose says, an output shows)
    ("a network with 303 parameters", "b2 (3,): 303 parameters"),
    ("$[4, 5, 6]$, lands in column 1", "dW =\n [[4. 0.]\n [5. 0.]\n [6. 0.]]"),
    ("`dS.T @ h` puts $[3, 4]$ into **row** 1", "dS.T @ h: shape (2, 2), [[3.0, 4.0], [0.0, 0.0]]  equals dW: False"),
    ("only `h.T @ dS` is right", " h.T @ dS: shape (2, 2), [[3.0, 0.0], [4.0, 0.0]]  equals dW: True"),
    ("cannot wrap around three arms: 48%", "H =  2, learning rate  1.0: loss 1.107 → 0.876, accuracy 48%"),
    ("$H = 5$ reaches 80%", "H =  5, learning rate  1.0: loss 1.119 → 0.449, accuracy 80%"),
    ("$H = 50$ reaches 97%", "H = 50, learning rate  1.0: loss 1.123 → 0.128, accuracy 97%"),
    ("only down to 0.556 and the accuracy is 68%", "H = 50, learning rate  0.1: loss 1.123 → 0.556, accuracy 68%"),
    ("(2.978 against 1.123) and the accuracy is 33%", "H = 50, learning rate 10.0: loss 1.123 → 2.978, accuracy 33%"),
    ("agree with the engine to $10^{-12}$", "W1: by hand == engine (to 1e-12): True"),
    ("the network separates the spiral", "training accuracy after 300 steps: 97.0%"),
    ("Each row of `dscores` sums to $0$", "row sums all 0: True"),
    ("the engine, like PyTorch, takes the gradient as $0$", "dz1 =\n [[1. 0. 3.]\n [0. 5. 0.]]"),
    ("a probability not far from $1/3$", "its probabilities lie between 0.18 and 0.52"),
    ("a little above it, 1.1229", "loss of the untrained network: 1.1229   (log 3 = 1.0986)"),
    ("(its mean is 0.332)", "mean probability of the right class 0.332"),
    ("the mean $p$, 1.1018", "−log of that mean 1.1018"),
    ("the loss rose at 133 of the 300 steps", "without: the loss rose at 133 of 300 steps"),
    ("as high as 1.233 after step 10", "highest after step 10: 1.233; at step 300: 0.055"),
    (
        "it ends lower, 0.055 against 0.128",
        "with zero_grad(): the loss rose at   0 of 300 steps; highest after step 10: 0.693; at step 300: 0.128",
    ),
    ("it ends lower, 0.055 against 0.128", "at step 300: 0.055"),
]


@pytest.mark.parametrize(("said", "computed"), CLAIMS, ids=[c[0][:40] for c in CLAIMS])
def test_numbers_in_the_prose_are_computed(nb, said, computed):
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert " ".join(said.split()) in " ".join(prose.split()), f"the prose no longer says {said!r}"
    assert computed in _shown(nb), f"no output shows {computed!r}"


def test_engine_and_by_hand_agree_in_the_stored_outputs(nb):
    shown = _shown(nb)
    for name in ("W1", "b1", "W2", "b2"):
        assert f"{name}: by hand == engine (to 1e-12): True" in shown
    assert "engine and by-hand losses agree at every step: True" in shown
    assert "PASSED: backprop agrees with central differences" in shown
    assert shown.count("largest difference / largest gradient = < 1e-6") == 4


def test_the_lectures_training_matches_an_independent_numpy_run():
    """The lecture's numbers (300 steps, H = 50, lr 1) from a training loop written here, not the notebook's."""
    X, y = nn.spiral_dataset()
    W1, b1, W2, b2 = (p.data.copy() for p in nn.MLP([2, 50, 3], activation="relu", seed=0).parameters())
    n = len(y)
    for _ in range(300):
        z1 = X @ W1 + b1
        h = np.maximum(z1, 0)
        s = h @ W2 + b2
        p = np.exp(s - s.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        d = (p - np.eye(3)[y]) / n
        dz1 = d @ W2.T * (z1 > 0)
        W1, b1, W2, b2 = W1 - X.T @ dz1, b1 - dz1.sum(0), W2 - h.T @ d, b2 - d.sum(0)
    accuracy = np.mean(np.argmax(two_layer.two_layer_scores([W1, b1, W2, b2], X), axis=1) == y)
    assert f"{accuracy:.1%}" == "97.0%"
    run = two_layer.train_two_layer_classifier(X, y, hidden=50, learning_rate=1.0, steps=300)
    np.testing.assert_allclose(run["snapshots"][300][0], W1, rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------------------
# The explorer, without a browser
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def explorer():
    from coursegrad.classifier_explorer import classifier_explorer

    return classifier_explorer(hidden=5, lr=1.0, steps=60)


def test_explorer_shows_the_engines_training(explorer):
    X, y = nn.spiral_dataset()
    run = two_layer.train_two_layer_classifier(X, y, hidden=5, learning_rate=1.0, steps=60, every=20)
    st = explorer.state
    assert (st["hidden"], st["step"], st["parameters"], st["error"]) == (5, 60, 2 * 5 + 5 + 5 * 3 + 3, None)
    assert st["loss"] == pytest.approx(run["loss"][60], rel=1e-12)
    acc = np.mean(np.argmax(two_layer.two_layer_scores(run["snapshots"][60], X), axis=1) == y)
    assert st["accuracy"] == pytest.approx(acc)
    assert f'data-name="loss" data-value="{st["loss"]!r}"' in explorer.readout.value
    assert explorer.plot.value.count('class="coursegrad-regions"') == 1
    groups = re.findall(r'<g class="coursegrad-data" data-name="class(\d)"[^>]*>(.*?)</g>', explorer.plot.value)
    assert [k for k, _ in groups] == ["0", "1", "2"]  # one group per class, a marker per point
    assert [g.count("<") for _, g in groups] == [int(np.sum(y == k)) for k in range(3)] == [100, 100, 100]
    px, py = explorer.canvas.xy(explorer.ax_regions, X[y == 1, 0], X[y == 1, 1])
    first = re.match(r'<rect x="([-\d.]+)" y="([-\d.]+)"', groups[1][1])  # class 1: squares, at their corner
    assert float(first[1]) == pytest.approx(px[0] - 2.6, abs=0.06) and float(first[2]) == pytest.approx(py[0] - 2.6, abs=0.06)


def test_explorer_trains_every_setting_once_when_built_and_a_slider_move_only_looks_up(explorer):
    from coursegrad.classifier_explorer import HIDDEN_SIZES, LEARNING_RATES

    assert len(explorer._runs) == len(HIDDEN_SIZES) * len(LEARNING_RATES) == 7 * 13
    assert explorer.state["build_seconds"] > 0
    before = explorer.plot.value
    explorer.sliders["step"].value = 20
    assert explorer.state["step"] == 20 and explorer.plot.value != before
    assert explorer.state["loss"] == pytest.approx(explorer.state["losses"][20])
    runs = dict(explorer._runs)
    explorer.sliders["hidden"].value = 10
    assert explorer.state["parameters"] == 2 * 10 + 10 + 10 * 3 + 3 and explorer.state["hidden"] == 10
    explorer.sliders["hidden"].value = 5
    explorer.sliders["lr"].value = 10.0
    assert explorer.state["lr"] == 10.0 and explorer.state["error"] is None
    assert explorer._runs == runs  # no slider move trained anything: the same runs, the same objects
    assert all(explorer._runs[k] is runs[k] for k in runs)
    assert explorer.state["losses"] is explorer.run(5, 10.0)["loss"]
    assert repr(explorer) == "ClassifierExplorer(hidden=5, lr=10.0, step=20)"
    explorer.run(7, 0.5)  # a setting the sliders do not offer: the engine trains it, once
    assert len(explorer._runs) == len(runs) + 1


def test_every_run_the_explorer_shows_is_the_engines_to_1e_12(explorer):
    """The explorer's runs (numpy, all learning rates of one H at once) against the engine, one run at a time."""
    from coursegrad.classifier_explorer import HIDDEN_SIZES, LEARNING_RATES

    X, y = nn.spiral_dataset()
    for hidden in HIDDEN_SIZES:
        for lr in LEARNING_RATES:
            engine, shown = two_layer.train_two_layer_classifier(X, y, hidden, lr, 60, 20), explorer.run(hidden, lr)
            assert shown["diverged"] == engine["diverged"] and shown["snapshots"].keys() == engine["snapshots"].keys()
            np.testing.assert_allclose(shown["loss"], engine["loss"], rtol=0, atol=1e-12)
            for step, params in engine["snapshots"].items():
                for a, b in zip(shown["snapshots"][step], params, strict=True):
                    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_numpy_training_matches_the_engine_at_the_lectures_length_and_when_it_diverges():
    X, y = nn.spiral_dataset()
    rates = [0.1, 1.0, 10.0, 1e100]
    runs = two_layer.train_two_layer_classifiers(X, y, 20, rates, steps=300, every=50)
    for lr, run in zip(rates, runs, strict=True):
        engine = two_layer.train_two_layer_classifier(X, y, 20, lr, steps=300, every=50)
        assert run["diverged"] == engine["diverged"] and run["snapshots"].keys() == engine["snapshots"].keys()
        np.testing.assert_allclose(run["loss"], engine["loss"], rtol=0, atol=1e-12)
        for step, params in engine["snapshots"].items():
            for a, b in zip(run["snapshots"][step], params, strict=True):
                np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert runs[-1]["diverged"] is not None and runs[0]["diverged"] is None
    with pytest.raises(ValueError, match="learning_rates must be positive"):
        two_layer.train_two_layer_classifiers(X, y, 5, [1.0, -1.0])


def test_explorer_rejects_steps_that_are_not_a_multiple_of_every():
    from coursegrad.classifier_explorer import ClassifierExplorer

    with pytest.raises(ValueError, match="must be a multiple of every"):
        ClassifierExplorer(steps=30, every=20)
    with pytest.raises(ValueError, match="hidden must be one of the slider's sizes"):
        ClassifierExplorer(hidden=6)


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------


def test_decision_regions_classify_each_grid_point_by_argmax():
    X = np.array([[-1.0, -1.0], [1.0, 1.0]])
    regions = plots.decision_regions(lambda P: np.c_[P[:, 0], -P[:, 0]], X, resolution=5, margin=0.0)
    assert regions["extent"] == (-1.0, 1.0, -1.0, 1.0)
    assert regions["classes"][:, -1].tolist() == [0] * 5 and regions["classes"][:, 0].tolist() == [1] * 5


def test_training_diverges_cleanly_and_rejects_bad_settings():
    X, y = nn.spiral_dataset(20)
    run = two_layer.train_two_layer_classifier(X, y, hidden=5, learning_rate=1e100, steps=50, every=1)
    assert run["diverged"] is not None and np.isnan(run["loss"][run["diverged"] :]).all()
    assert max(run["snapshots"]) < run["diverged"]
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        two_layer.train_two_layer_classifier(X, y, learning_rate=-1.0)
    with pytest.raises(ValueError, match="whole numbers"):
        two_layer.train_two_layer_classifier(X, y, steps=10, every=0)


def test_two_layer_figure_has_two_axes_and_is_deterministic():
    X, y = nn.spiral_dataset(20)
    run = two_layer.train_two_layer_classifier(X, y, hidden=5, steps=20)
    params = run["snapshots"][20]
    figs = [plots.plot_two_layer_training(lambda P: two_layer.two_layer_scores(params, P), X, y, run["loss"]) for _ in range(2)]
    assert repr(figs[0]) == "<Figure size 1000x420 with 2 Axes>"
    assert plots.figure_to_svg(figs[0]) == plots.figure_to_svg(figs[1])


# ---------------------------------------------------------------------------
# check_array: never raises, never shows the answer
# ---------------------------------------------------------------------------

WANT = np.array([[1.0, 0.0], [0.0, 2.5]])


@pytest.mark.parametrize(
    ("yours", "expected"),
    [
        (..., "✎ Write the line for g first"),
        (None, "✎ Write the line for g first"),
        (WANT.copy(), "✔ Right: g agrees with the answer in all 4 entries."),
        (WANT.T.copy() + np.eye(2), "✘ Not yet: 2 of 4 entries of g differ. HINT"),
        (WANT[0], "✘ Not yet: g has shape (2,), but a gradient has the shape of what it is the gradient of: (2, 2). HINT"),
        (-WANT, "✘ Not yet: the sign"),
        ("text", "✘ g should be an array of numbers; you have str 'text'."),
    ],
)
def test_check_array_verdicts(capsys, yours, expected):
    check_array("g", yours, lambda: WANT, hint="HINT", mistakes=[(-WANT, "the sign")])
    out = capsys.readouterr().out
    assert out.startswith(expected), out
    assert "2.5" not in out  # never the answer


def test_check_array_never_raises(capsys):
    check_array("g", np.ones(2), lambda: 1 / 0, hint="")
    assert capsys.readouterr().out.startswith("✘ Could not check g (ZeroDivisionError")


# ---------------------------------------------------------------------------
# The cells a student fills in, answered: right answers are accepted, known mistakes get their hint
# ---------------------------------------------------------------------------


def _run_until_the_explorer(nb, answers: dict[str, dict[str, str]]) -> None:
    """Execute the lecture's code cells (up to its explorer) in one namespace; in a cell whose first line
    contains a key of `answers`, replace each blank line `old` by `new`."""
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "classifier_explorer" in cell.source:
            break
        source = cell.source
        for key, lines in answers.items():
            if key in source.splitlines()[0]:
                for old, new in lines.items():
                    assert old in source, f"the cell {key!r} has no line {old!r}"
                    source = source.replace(old, new)
        exec(compile(source, "<lecture 6>", "exec"), namespace)  # noqa: S102 - the course's own notebook


BLANK = "my_prediction = ..."


RIGHT = {
    "the loss of the untrained network": {BLANK: "my_prediction = 1.0986"},
    "first example's right class": {BLANK: "my_prediction = -0.1674"},
    "do all four candidates": {BLANK: 'my_prediction = "yes"'},
    "upstream gradient for class 0": {BLANK: "my_prediction = 1.5"},
    "without zero_grad()": {BLANK: 'my_prediction = "no"'},
    "Write it yourself": {"dz1 = ...": "dz1 = dh * (z1 > 0)", "db1 = ...": "db1 = dz1.sum(axis=0)"},
}
WRONG = {
    "the loss of the untrained network": {BLANK: "my_prediction = 1 / 3"},
    "first example's right class": {BLANK: "my_prediction = -0.3348"},
    "upstream gradient for class 0": {BLANK: "my_prediction = 0.005"},
    "without zero_grad()": {BLANK: 'my_prediction = "yes"'},
    "Write it yourself": {"dz1 = ...": "dz1 = dh * (z1 >= 0)", "db1 = ...": "db1 = (dh * (z1 > 0)).sum(axis=1)"},
}
SAID_TO_WRONG = [
    "✘ Not yet: that is the probability of the right class; the loss is −log of it.",
    "✘ Not yet: that is p₀ − 1; the loss is the mean over N = 2 examples.",
    "✘ Not yet: that is what one row sends",
    "✘ Not yet: what does p.grad hold after three steps",
    "✘ Not yet: at z1 = 0 exactly (the 3 points at the centre)",
    "✘ Not yet: db1 has shape (300,), but a gradient has the shape of what it is the gradient of: (50,).",
]


@pytest.mark.parametrize(("answers", "right"), [(RIGHT, True), (WRONG, False)], ids=["right", "known mistakes"])
def test_filled_in_cells_are_judged(nb, capsys, monkeypatch, answers, right):
    """Right answers: every check says right. Known mistakes: each gets its own hint."""
    monkeypatch.chdir(NOTEBOOK.parent)
    _run_until_the_explorer(nb, answers)
    out = capsys.readouterr().out
    if right:
        assert "✎" not in out and "✘" not in out, out
        assert out.count("✔ Right") == 5 + 2 + 2  # five predictions, the two written lines, the worked solution
    else:
        missing = [said for said in SAID_TO_WRONG if said not in out]
        assert not missing, out
