"""Lectures 4 and 5: the facts their prose states, the explorers behind them, and the cells that make students predict.

The learning-rate story of lecture 4, for the classifier wᵀx (no bias) on data ×c:
lr/c keeps the first step Δw the same size; lr/c² reproduces the raw run exactly at every
step, for any loss, from w = 0 or from the raw start divided by c; only the squared loss
also diverges at lr/c (its largest stable learning rate shrinks by c²).
"""

import contextlib
import io
import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursegrad import Value, plots
from coursegrad.predict import ASK, SUMMARY_HEADING
from tools.notebooks import LECTURES

X, Y = plots.linear_classifier_data()


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _numpy_gradient_descent(X, y, lr, steps, loss, w0=None):
    """An independent witness: gradient descent with the gradient written out by hand in numpy."""
    s = 2.0 * y - 1.0
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=float)
    weights = [w.copy()]
    for _ in range(steps):
        scores = X @ w
        if loss == "mse":  # L = mean((Xw − s)²): ∂L/∂w = 2/n Xᵀ(Xw − s)
            g = 2.0 / len(X) * X.T @ (scores - s)
        else:  # L = mean(log(1 + e^(−s·Xw))): ∂L/∂w = −1/n Xᵀ(s · σ(−s·Xw))
            g = -X.T @ (s * _sigmoid(-s * scores)) / len(X)
        w = w - lr * g
        weights.append(w.copy())
    return np.array(weights)


# ---------------------------------------------------------------------------
# Lecture 4: the learning-rate facts, in the package functions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("loss", plots.LOSSES)
def test_training_run_is_gradient_descent_with_the_handwritten_gradient(loss):
    w0 = np.array([0.4, -0.3])
    run = plots.linear_training_run(X, Y, 0.1, steps=20, loss=loss, w0=w0)
    np.testing.assert_allclose(run["weights"], _numpy_gradient_descent(X, Y, 0.1, 20, loss, w0), rtol=1e-10, atol=1e-13)
    assert run["losses"][0] == pytest.approx(plots.classifier_loss(Value(w0), X, Y, loss).item())
    assert run["losses"][-1] < run["losses"][0]


@settings(max_examples=25, deadline=None)
@given(
    scale=st.floats(0.01, 1e4),
    lr=st.floats(1e-3, 0.3),
    loss=st.sampled_from(plots.LOSSES),
    w0=st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
)
def test_lr_over_scale_squared_retraces_the_raw_run_for_any_loss_and_start(scale, lr, loss, w0):
    w0 = np.array(w0)
    raw = plots.linear_training_run(X, Y, lr, 15, loss, w0=w0)
    scaled = plots.linear_training_run(X * scale, Y, lr / scale**2, 15, loss, w0=w0 / scale)
    assert plots.same_run(scaled, raw, scale)
    np.testing.assert_allclose(scaled["losses"], raw["losses"], rtol=1e-7)
    np.testing.assert_allclose(scaled["weights"] * scale, raw["weights"], rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("loss", plots.LOSSES)
def test_lr_over_scale_keeps_the_first_step_but_is_not_the_raw_run(loss):
    d = plots.scaled_training_data(1000.0, 0.1 / 1000, loss)
    assert d["step"] == pytest.approx(d["reference_step"], rel=1e-12)
    assert not d["same"]
    exact = plots.scaled_training_data(1000.0, 0.1 / 1000**2, loss)
    assert exact["same"] and exact["step"] == pytest.approx(exact["reference_step"] / 1000, rel=1e-12)
    # lr / c on data ×c is the raw problem at lr · c, exactly
    fast = plots.linear_training_run(X, Y, 0.1 * 1000, 50, loss)
    assert plots.same_run({"losses": d["losses"], "weights": d["weights"]}, fast, 1000.0)


def test_only_the_squared_loss_diverges_at_lr_over_scale():
    mse = plots.scaled_training_data(1000.0, 0.1 / 1000, "mse")
    logistic = plots.scaled_training_data(1000.0, 0.1 / 1000, "logistic")
    assert np.isnan(mse["losses"][-1]) and np.nanmax(mse["losses"]) > plots.DIVERGED
    assert logistic["losses"][-1] < logistic["reference_losses"][-1] < logistic["losses"][0]


def test_stable_learning_rate_of_the_squared_loss_shrinks_by_scale_squared_and_is_the_real_boundary():
    raw, big = plots.mse_stable_learning_rate(X), plots.mse_stable_learning_rate(X * 1000)
    assert raw / big == pytest.approx(1e6, rel=1e-9)
    for c, limit in ((1, raw), (1000, big)):
        below = plots.train_linear_classifier(X * c, Y, 0.97 * limit, 1500, "mse")
        above = plots.train_linear_classifier(X * c, Y, 1.03 * limit, 1500, "mse")
        assert below[-1] < below[0]
        assert np.nanmax(above) > 1e6 * above[0]


def test_a_bias_breaks_the_exact_correspondence():
    ones = np.ones((len(X), 1))
    raw = plots.train_linear_classifier(np.hstack([X, ones]), Y, 0.1, 50, "mse")
    big = plots.train_linear_classifier(np.hstack([X * 1000, ones]), Y, 0.1 / 1000**2, 50, "mse")
    assert not np.allclose(raw, big)


@pytest.mark.parametrize("loss", plots.LOSSES)
@pytest.mark.parametrize("scale", [10.0, 1000.0])
def test_the_divisor_found_by_training_is_scale_squared(loss, scale):
    assert plots.lr_divisor_that_retraces(X, Y, scale, 0.1, loss) == pytest.approx(scale**2)


# ---------------------------------------------------------------------------
# Lecture 4: the multiplication explorer tells the same story
# ---------------------------------------------------------------------------

widgets = pytest.importorskip("coursegrad.widgets", reason="the explorers need ipywidgets")


def _shown(box, name):
    m = re.search(rf'data-name="{re.escape(name)}" data-value="([^"]+)"', box.value)
    assert m, f"{name!r} is not shown"
    return float(m.group(1))


def test_the_explorer_defaults_to_the_loss_the_text_uses():
    ex = widgets.multiplication_explorer(graph=False)
    assert ex.loss == "mse" and ex.sliders["loss"].value == "mse"
    np.testing.assert_array_equal(ex.state["losses"], plots.train_linear_classifier(X, Y, 0.1, 50, "mse"))


@pytest.mark.parametrize("loss", plots.LOSSES)
def test_explorer_at_lr_over_scale_squared_draws_the_raw_curve(loss):
    ex = widgets.multiplication_explorer(loss=loss, graph=False)
    raw = plots.train_linear_classifier(X, Y, 0.1, 50, loss)  # the raw curve, computed here
    ex.sliders["scale"].value = 1000.0
    ex.sliders["lr"].value = 0.1 / 1000**2
    np.testing.assert_allclose(ex.state["losses"], raw, rtol=1e-9)
    np.testing.assert_array_equal(ex.state["reference_losses"], raw)
    assert ex.state["same"] and "at every step: <b>yes</b>" in ex.readout.value
    assert _shown(ex.readout, "lr_power") == pytest.approx(2.0)
    assert _shown(ex.readout, "loss_end") == pytest.approx(raw[-1], rel=1e-9)


@pytest.mark.parametrize("loss", plots.LOSSES)
def test_explorer_at_lr_over_scale_keeps_the_step_size(loss):
    ex = widgets.multiplication_explorer(loss=loss, graph=False)
    ex.sliders["scale"].value = 1000.0
    ex.sliders["lr"].value = 0.1 / 1000
    X_, raw = X * 1000.0, plots.linear_training_run(X, Y, 0.1, 1, loss)
    first = -0.1 / 1000 * plots.weight_gradient(X_, Y, loss=loss)
    assert ex.state["step"] == pytest.approx(np.linalg.norm(first), rel=1e-12)
    assert ex.state["step"] == pytest.approx(np.linalg.norm(raw["weights"][1]), rel=1e-12)
    assert _shown(ex.readout, "step") == pytest.approx(_shown(ex.readout, "reference_step"), rel=1e-12)
    assert not ex.state["same"] and "at every step: no" in ex.readout.value
    if loss == "mse":  # the squared loss blows up; the logistic one learns, faster than the raw run
        assert "blew up" in ex.readout.value
    else:
        assert "it learns" in ex.readout.value and ex.state["losses"][-1] < ex.state["reference_losses"][-1]


def test_the_loss_menu_switches_every_number_and_the_gradient_plot():
    ex = widgets.multiplication_explorer(scale=10.0, graph=False)
    background = ex.plot.value.split('<g class="coursegrad-overlay">')[0]
    ex.sliders["loss"].value = "logistic"
    assert ex.state["loss"] == "logistic" and ex.loss == "logistic"
    np.testing.assert_array_equal(ex.state["losses"], plots.train_linear_classifier(X * 10, Y, 0.1, 50, "logistic"))
    assert ex.state["grad_norm"] == pytest.approx(np.linalg.norm(plots.weight_gradient(X * 10, Y, loss="logistic")))
    assert ex.state["grad_norm_unscaled"] == pytest.approx(np.linalg.norm(plots.weight_gradient(X, Y, loss="logistic")))
    assert "logistic loss" in ex.readout.value
    assert ex.plot.value.split('<g class="coursegrad-overlay">')[0] != background  # the slope-1 line was redrawn
    ex.sliders["loss"].value = "mse"
    assert ex.plot.value.split('<g class="coursegrad-overlay">')[0] == background


# ---------------------------------------------------------------------------
# Both lectures: predictions come before their answers, are checked, recorded and summed up
# ---------------------------------------------------------------------------

LECTURE_4 = LECTURES / "04_multiplication_effect.ipynb"
LECTURE_5 = LECTURES / "05_vanishing_sigmoid.ipynb"

# For each predict cell, in order: a right answer, a wrong one, the output text that reveals the answer,
# and phrases that would give the answer away if the prose above the cell said them.
PREDICTIONS = {
    LECTURE_4: [
        (1e6, 1e-6, "(df/db) / (df/da) = 1e+06", [r"\partial f/\partial b = a", "10^6", "million"]),
        ("c", "c²", "1000.000000", ["proportional to the data", "gradients ×1000"]),
        (1e6, 1000, "same loss as the raw run at every step", ["1000^2$ reproduces", "÷1000² reproduces", "cancels"]),
    ],
    LECTURE_5: [
        (0.25, 0.5, "    0   0.500000    2.500e-01", ["at most $0.25$", "reached at $x = 0$", "largest when both"]),
        ("about 1", "tiny", "dL/ds, label 0 (wrong)", [r"\sigma(s) - y", "σ′ cancels", r"$\sigma'$ cancels"]),
        (0.25**10, 2.5, "0.25^10 = 9.537e-07", ["0.25^{10}", "9.537e-07", "0.25^L"]),
        (1.0, 0.25, "   0       0.25          1", ["gain of 1", "gain is 1"]),
    ],
}
LECTURES_4_5 = sorted(PREDICTIONS)


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell):
    return "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", []))


def _source(cell):
    return "".join(cell["source"])


def _predict_cells(path):
    return [i for i, c in enumerate(_cells(path)) if "predict" in c["metadata"].get("tags", [])]


def _reveal(cells, i):
    """The reveal of predict cell i: the first code cell with outputs after it."""
    return next(j for j in range(i + 1, len(cells)) if cells[j]["cell_type"] == "code" and cells[j].get("outputs"))


def _prose_words(path):
    return sum(len(_source(c).split()) for c in _cells(path) if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", LECTURES_4_5, ids=lambda p: p.name)
def test_predict_cells_come_before_their_answers_and_are_stored_unanswered(path):
    cells, where = _cells(path), _predict_cells(path)
    assert len(where) >= 3 and len(where) == len(PREDICTIONS[path])
    for i, (_, _, reveal, _) in zip(where, PREDICTIONS[path], strict=True):
        source = _source(cells[i])
        assert "my_prediction = ...\n" in source and "predictions.check(" in source and "check_prediction(" not in source
        assert _text(cells[i]).strip() == ASK
        first = next(j for j, c in enumerate(cells) if reveal in _text(c))
        assert first > i, f"{path.name}: {reveal!r} is shown in cell {first}, before the predict cell {i}"


@pytest.mark.parametrize("path", LECTURES_4_5, ids=lambda p: p.name)
def test_every_reveal_is_stored_collapsed_and_holds_the_answer(path):
    """A student reading the stored notebook meets each question before its answer: the reveal's outputs start collapsed."""
    cells = _cells(path)
    for i, (_, _, reveal, _) in zip(_predict_cells(path), PREDICTIONS[path], strict=True):
        j = _reveal(cells, i)
        assert cells[j]["metadata"].get("jupyter", {}).get("outputs_hidden") is True, f"{path.name}: cell {j} shows its answer"
        assert reveal in _text(cells[j]), (
            f"{path.name}: the reveal of predict cell {i} is cell {j}, which does not show {reveal!r}"
        )


@pytest.mark.parametrize("path", LECTURES_4_5, ids=lambda p: p.name)
def test_no_prose_above_a_predict_cell_gives_its_answer(path):
    cells, where = _cells(path), _predict_cells(path)
    for i, (_, _, _, spoilers) in zip(where, PREDICTIONS[path], strict=True):
        prose = "\n".join(_source(c) for c in cells[:i] if c["cell_type"] == "markdown")  # goals included
        for phrase in spoilers:
            assert phrase not in prose, f"{path.name}: the prose above predict cell {i} says {phrase!r}"


@pytest.mark.parametrize("path", LECTURES_4_5, ids=lambda p: p.name)
def test_learning_goals_are_questions(path):
    goals = re.findall(r"^\d\. (.+(?:\n   .+)*)", _source(_cells(path)[0]), flags=re.M)
    assert len(goals) >= 3 and all(g.rstrip().endswith("?") or "?" in g for g in goals), goals


@pytest.mark.parametrize("path", LECTURES_4_5, ids=lambda p: p.name)
def test_the_lecture_ends_with_the_summary_of_its_predictions(path):
    cells = _cells(path)
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "predictions = Predictions()" in _source(code[0])
    last = code[-1]
    assert _source(last).strip() == "predictions.summary()"
    assert last["metadata"].get("jupyter", {}).get("outputs_hidden") is True  # it shows every answer
    names = [re.search(r'predictions\.check\("([^"]+)"', _source(cells[i])).group(1) for i in _predict_cells(path)]
    heading, *lines = _text(last).strip().splitlines()
    assert heading == SUMMARY_HEADING  # all a collapsed output shows: no answer
    assert [line.split(":")[0] for line in lines] == [f"○ {n}" for n in names]


@pytest.mark.parametrize("path", LECTURES_4_5, ids=lambda p: p.name)
def test_each_lecture_has_at_most_about_1500_words_of_prose(path):
    assert _prose_words(path) <= 1550, f"{path.name}: {_prose_words(path)} words of prose"


def _run_with_predictions(path, answers: dict, upto: int | None = None) -> dict:
    """Run the notebook's code cells in order, to its last predict cell (or `upto`), with `answers` filled in: their prints."""
    cells, where = _cells(path), _predict_cells(path)
    namespace, printed = {}, {}
    for i, cell in enumerate(cells[: (where[-1] if upto is None else upto) + 1]):
        if cell["cell_type"] != "code" or "nbval-ignore-output" in cell["metadata"].get("tags", []):
            continue
        source = _source(cell)
        if i in answers:
            source = source.replace("my_prediction = ...", f"my_prediction = {answers[i]!r}")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, f"{path.name}:cell{i}", "exec"), namespace)
        printed[i] = out.getvalue()
    return printed


@pytest.mark.parametrize("path", LECTURES_4_5, ids=lambda p: p.name)
def test_predict_cells_say_right_for_the_answer_and_give_a_hint_otherwise(path):
    where = _predict_cells(path)
    right = _run_with_predictions(path, {i: r for i, (r, _, _, _) in zip(where, PREDICTIONS[path], strict=True)})
    wrong = _run_with_predictions(path, {i: w for i, (_, w, _, _) in zip(where, PREDICTIONS[path], strict=True)})
    for i, (r, _, _, _) in zip(where, PREDICTIONS[path], strict=True):
        assert right[i].startswith("✔ Right"), (i, right[i])
        assert wrong[i].startswith("✘ Not yet"), (i, wrong[i])
        shown = [f"'{r}'", f'"{r}"'] + ([r] if len(r) > 2 else []) if isinstance(r, str) else [f"{r:g}"]
        assert not any(a in wrong[i] for a in shown), (i, wrong[i])  # the hint never gives the answer away


@pytest.mark.parametrize("path", LECTURES_4_5, ids=lambda p: p.name)
def test_the_summary_shows_what_was_predicted_and_what_it_was(path):
    cells, where = _cells(path), _predict_cells(path)
    last = max(i for i, c in enumerate(cells) if c["cell_type"] == "code")
    answers = {i: r for i, (r, _, _, _) in zip(where, PREDICTIONS[path], strict=True)}
    answers[where[0]] = PREDICTIONS[path][0][1]  # the first one wrong
    heading, *lines = _run_with_predictions(path, answers, upto=last)[last].strip().splitlines()
    assert heading == SUMMARY_HEADING and len(lines) == len(where)
    assert lines[0].startswith("✘") and all(line.startswith("✔") for line in lines[1:]), lines
    assert all("you predicted" in line and "it was" in line for line in lines)


# ---------------------------------------------------------------------------
# Lecture 4: the writing exercise, the logistic loss defined before its use, the explorer's a and b
# ---------------------------------------------------------------------------


def _by_id(path, cell_id):
    (cell,) = [c for c in _cells(path) if c.get("id") == cell_id]
    return cell


def _exec(sources):
    namespace, out = {}, io.StringIO()
    with contextlib.redirect_stdout(out):
        for source in sources:
            exec(compile(source, "<lecture>", "exec"), namespace)
    return out.getvalue().strip()


def _check_exercise(path, name, slips):
    """The exercise is stored asking to be written; its collapsed solution passes; typical slips get their hints."""
    from coursegrad.predict import WRITE

    exercise, solution = _by_id(path, f"{name}-exercise"), _by_id(path, f"{name}-solution")
    ids = [c.get("id") for c in _cells(path)]
    assert ids.index(f"{name}-exercise") < ids.index(f"{name}-solution")
    assert solution["metadata"].get("jupyter", {}).get("source_hidden") is True
    assert _text(exercise).strip() == WRITE and _text(solution).strip().startswith("✔ Right")
    given = [line for line in _source(exercise).splitlines() if "..." not in line]
    assert all(line in _source(solution).splitlines() for line in given), "the solution changes lines the exercise gives"
    imports = _source(_cells(path)[1]).replace("plots.setup_notebook()", "")
    assert _exec([imports, _source(exercise)]) == WRITE
    assert _exec([imports, _source(solution)]).startswith("✔ Right")
    blank = next(line for line in _source(exercise).splitlines() if "..." in line)
    for body, hint in slips:
        said = _exec([imports, _source(exercise).replace(blank, blank.replace("...", body))])
        assert said.startswith("✘ Not yet") and hint in said, (body, said)


def test_lecture_4_standardise_exercise():
    _check_exercise(
        LECTURE_4,
        "standardise",
        [
            ("(X - X.mean()) / X.std()", "each feature (column) needs its own"),
            ("(X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)", "each example (row)"),
            ("X - X.mean(axis=0)", "not standard deviation 1"),
            ("(X - X.mean(axis=0)) / X.std(axis=0, ddof=1)", "ddof=1"),
            ("X * 0", "mean 0 and standard deviation 1"),
        ],
    )


def test_lecture_5_depth_check_exercise():
    _check_exercise(
        LECTURE_5,
        "sigmoid_chain",
        [
            ("sum(1 / (1 + np.exp(-x)) * (1 - 1 / (1 + np.exp(-x))) for x in xs)", "you added them"),
            ("float(np.prod([1 / (1 + np.exp(-x)) for x in xs]))", "outputs σ(x)"),
            ("0.25 ** len(xs)", "That is the bound"),
            ("1.0", "local gradient σ′(x)"),
        ],
    )


def test_lecture_4_defines_the_logistic_loss_before_using_it_and_says_where_facts_depend_on_the_loss():
    prose = [_source(c) for c in _cells(LECTURE_4) if c["cell_type"] == "markdown"]
    first = next(k for k, t in enumerate(prose) if "logistic" in t)
    assert r"\log(1 + e^{-t_i s_i})" in prose[first] and r"dL/ds = \sigma(s) - y" in prose[first]
    assert r"t_i = 2y_i - 1" in prose[first]  # the targets ±1 from the labels 0/1
    text = "\n".join(prose)
    assert "holds for it too" not in text
    assert "With the squared loss, an unchanged learning rate fails" in text


def test_the_multiplication_explorer_has_room_for_1000_times_0_001():
    ex = widgets.multiplication_explorer(graph=False)
    for name in ("a", "b"):
        slider = ex.sliders[name]
        assert (slider.base, slider.min, slider.max) == (10, -3, 3), name
    ex.sliders["a"].value, ex.sliders["b"].value = 1000.0, 0.001
    assert ex.state["db"] == pytest.approx(1000.0) and ex.state["da"] == pytest.approx(0.001)
    with pytest.raises(ValueError, match="from 0.001 to 1000"):
        widgets.multiplication_explorer(b=-2.0)


# ---------------------------------------------------------------------------
# Lecture 5: the facts its prose states
# ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(x=st.floats(-12, 12), activation=st.sampled_from(["sigmoid", "tanh"]))
def test_local_gradients_match_central_differences(x, activation):
    f = {"sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)), "tanh": np.tanh}[activation]
    (engine,) = plots.local_gradient_data(activation, [x])["derivative"]
    h = 1e-5
    assert engine == pytest.approx((f(x + h) - f(x - h)) / (2 * h), rel=1e-5, abs=1e-10)


def test_gains_sigmoid_a_quarter_tanh_one_and_tanh_saturates_too():
    assert plots.local_gradient_data("sigmoid")["peak"] == pytest.approx(0.25) and plots.sigmoid_data()["peak_x"] == 0
    tanh = plots.local_gradient_data("tanh")
    assert tanh["peak"] == pytest.approx(1.0) and tanh["peak_x"] == 0
    at4 = {a: plots.local_gradient_data(a, [4.0])["derivative"][0] for a in ("sigmoid", "tanh")}
    assert at4["tanh"] < at4["sigmoid"] < 0.02  # tanh's tail is even flatter at the same x


@settings(max_examples=30, deadline=None)
@given(score=st.floats(-15, 15), label=st.sampled_from([0.0, 1.0]))
def test_sigmoid_with_cross_entropy_has_no_sigma_prime_factor(score, label):
    from coursegrad import nn

    s = Value(np.array([score]))
    nn.logistic_loss(s, [label]).backward()
    assert s.grad[0] == pytest.approx(_sigmoid(score) - label, abs=1e-12)
    h = 1e-6
    numeric = (np.logaddexp(0, -(2 * label - 1) * (score + h)) - np.logaddexp(0, -(2 * label - 1) * (score - h))) / (2 * h)
    assert s.grad[0] == pytest.approx(numeric, abs=1e-6)


def test_saturation_causes_recomputed_with_numpy():
    from coursegrad import nn

    rows = {cause.strip(): (settings_, fractions) for cause, settings_, fractions in plots.saturation_causes_data()}
    X4, _ = nn.toy_dataset(200, "blobs", seed=0)
    layer = nn.Layer(2, 16, "sigmoid", rng=0)
    for c, fraction in zip((1, 10, 1000), rows["1. unnormalised inputs"][1], strict=True):
        assert fraction == pytest.approx(np.mean(np.abs(X4 * c @ layer.W.data + layer.b.data) > 4))
    fan_in, lecun = rows["3. fan-in, N(0, 1) weights"][1], rows["fan-in, N(0, 1/n_in)"][1]
    assert fan_in == sorted(fan_in) and fan_in[-1] > 0.8 and max(lecun) < 0.01


def test_hidden_layer_saturates_more_as_training_goes_on():
    from coursegrad import nn

    rows = plots.hidden_saturation_during_training(report=(0, 10, 100, 1000), learning_rate=3.0)
    assert [r["step"] for r in rows] == [0, 10, 100, 1000]
    for key, sign in (("w_norm", 1), ("saturated", 1), ("mean_gain", -1)):
        assert np.all(sign * np.diff([r[key] for r in rows]) > 0), key
    assert rows[-1]["saturated"] > 10 * rows[0]["saturated"]
    X4, _ = nn.toy_dataset(200, "blobs", seed=0)  # step 0 recomputed from a fresh network of the same seed
    first = nn.MLP([2, 16, 1], activation="sigmoid", seed=0).layers[0]
    pre = X4 @ first.W.data + first.b.data
    assert rows[0]["mean_gain"] == pytest.approx(np.mean(_sigmoid(pre) * (1 - _sigmoid(pre))))
    assert rows[0]["w_norm"] == pytest.approx(np.linalg.norm(first.W.data))


@pytest.fixture(scope="module")
def training():
    return plots.activation_training_data(("sigmoid", "tanh", "relu"), depth=6, width=16, steps=300, shallow=("sigmoid",))


def test_deep_sigmoid_plateaus_with_every_output_at_one_half(training):
    deep = training["sigmoid"]
    low, high = deep["outputs"]
    assert 0.5 - 1e-3 < low <= high < 0.5 + 1e-3
    assert abs(deep["loss"][-1] - np.log(2)) < 1e-3
    assert plots.training_summary(deep).startswith("every output is 0.5000 ± ")
    assert "accuracy" not in plots.training_summary(deep)


def test_the_one_hidden_layer_control_learns_at_the_same_rate_and_steps(training):
    control = training["sigmoid, 1 hidden layer"]
    assert len(control["loss"]) == len(training["sigmoid"]["loss"]) == 301
    assert control["accuracy"] > 0.75 and control["loss"][-1] < 0.5
    assert plots.training_summary(control) == f"accuracy {control['accuracy']:.0%}"


def test_the_deep_sigmoid_plateau_is_not_a_wall():
    """Lecture 5 says: at 10 × the learning rate and 10 × the steps, the deep sigmoid network does leave the plateau."""
    from coursegrad import nn

    X4, y4 = nn.toy_dataset(200, "moons", seed=0)
    result = plots.train_mlp([2] + [16] * 6 + [1], "sigmoid", X4, y4, steps=3000, learning_rate=1.0)
    assert result["loss"][-1] < 0.6 and result["accuracy"] > 0.8


def test_relu_gradients_explode_with_large_weights_and_sigmoid_units_saturate():
    he = plots.deep_gradient_data("relu", depth=10)["norms"][0]
    big = plots.deep_gradient_data("relu", depth=10, gain=8.0)["norms"][0]
    assert big > 1e6 * he
    assert plots.deep_gradient_data("sigmoid", depth=10, gain=8.0)["saturated"] > 0.4
    assert plots.deep_gradient_data("tanh", depth=10, gain=8.0)["saturated"] > 0.5


def test_deep_explorer_says_what_saturation_means_for_each_activation():
    ex = widgets.deep_sigmoid_explorer(depth=2)
    for activation in ("sigmoid", "tanh"):
        ex.sliders["activation"].value = activation
        edge = 1 - np.tanh(4.0) ** 2 if activation == "tanh" else _sigmoid(4.0) * (1 - _sigmoid(4.0))
        assert f"(saturated: {activation}′ &lt; {edge:.3g})" in ex.readout.value
    ex.sliders["activation"].value = "relu"
    assert "ReLU does not saturate there" in ex.readout.value and "saturated:" not in ex.readout.value


# ---------------------------------------------------------------------------
# Lecture 5: the summary's claim on depth against the table it summarises (H2), forward collapse, initialisation
# ---------------------------------------------------------------------------


def _gain_table(path=LECTURE_5):
    """{gain: layer 1 / last hidden layer} from the stored table of lecture 5, and the σ′ bound it prints."""
    (cell,) = [c for c in _cells(path) if "sigmoid: layer 1 / last hidden" in _text(c)]
    rows = re.findall(r"^\s*([\d.]+)\s+([\d.]+e[-+]\d+)\s+[\d.]+%", _text(cell), flags=re.M)
    bound = float(re.search(r"0\.25\^9 = ([\d.]+e-\d+)", _text(cell)).group(1))
    return {float(g): float(r) for g, r in rows}, bound


def _summary_bullet(path=LECTURE_5):
    summary = next(_source(c) for c in _cells(path) if c["cell_type"] == "markdown" and "## Summary" in _source(c))
    bullets = re.split(r"\n- ", summary.split("## Summary", 1)[1])
    (bullet,) = [b for b in bullets if "0.25^L" in b]
    return " ".join(bullet.split())


def test_the_summary_bounds_only_the_sigma_prime_factors_as_the_table_shows():
    """H2: 'the gradient shrinks by up to 0.25^L' is contradicted by the lecture's own table; the summary must not say it."""
    ratios, bound = _gain_table()
    assert bound == pytest.approx(0.25**9, rel=0.05)
    assert len(ratios) == 6
    below = [g for g, r in ratios.items() if r < bound]
    above = [g for g, r in ratios.items() if r > bound]
    assert below and above, "the table no longer shows the weights shrinking and amplifying: revisit the summary"
    bullet = _summary_bullet()
    # A bound on the whole gradient would have to hold for every row of the table: it does not.
    whole = re.search(r"the gradient (shrinks|falls|vanishes) by (up to|at most|at least)", bullet)
    assert whole is None or all(r <= bound for r in ratios.values()), bullet
    assert r"$\sigma'$ factors alone" in bullet and "shrink it further" in bullet and "make up for it" in bullet
    # the numbers the bullet quotes are the table's: one row on each side of the bound, and the bound itself
    quoted = [float(x) for x in re.findall(r"\d\.\de-?[+-]?\d\d", bullet)]
    assert any(q == pytest.approx(ratios[min(below)], rel=0.01) for q in quoted)
    assert any(q == pytest.approx(ratios[max(above)], rel=0.01) for q in quoted)
    assert any(q == pytest.approx(bound, rel=0.01) for q in quoted)


def test_the_gain_table_is_what_the_package_computes_and_the_sigma_prime_bound_holds_on_every_path():
    from coursegrad import nn

    ratios, _ = _gain_table()
    for gain in (0.5, 8.0):
        norms = plots.deep_gradient_data("sigmoid", depth=10, gain=gain)["norms"]
        assert ratios[gain] == pytest.approx(norms[0] / norms[-2], rel=0.05)
    model = plots.deep_network("sigmoid", 10, 1.0)  # what does hold: the product of σ′ along any path ≤ 0.25^9
    X, _ = nn.toy_dataset(64, "blobs", noise=0.1, seed=0)
    model(X)
    sig = [_sigmoid(layer.pre_activation.data) for layer in model.layers[:-1]]
    gains = np.array([s * (1 - s) for s in sig[:9]])  # (9 layers, examples, units)
    assert gains.max() <= 0.25 and np.prod(gains.max(axis=(1, 2))) <= 0.25**9


def test_forward_spread_collapses_as_the_gradient_vanishes_in_the_deep_sigmoid_network():
    from coursegrad import nn

    sig, tanh = plots.layer_statistics("sigmoid"), plots.layer_statistics("tanh")
    assert len(sig["spread"]) == len(sig["grad_rms"]) == 7
    assert np.all(np.diff(sig["spread"][:6]) < 0) and sig["spread"][5] < 1e-3 * sig["spread"][0]
    per_layer = sig["spread"][1:6] / sig["spread"][:5]  # the lecture: about σ′(0) = 1/4 per layer
    assert np.all((0.15 < per_layer) & (per_layer < 0.35)), per_layer
    assert sig["grad_rms"][0] < 1e-3 * sig["grad_rms"][-1]
    assert tanh["spread"].min() > 0.1 and tanh["grad_rms"].min() > 1e-3
    X, y = nn.toy_dataset(200, "moons", seed=0)  # recomputed by hand: the activations of the same untrained network
    model = nn.MLP([2] + [16] * 6 + [1], activation="sigmoid", seed=0)
    a = X
    for k, layer in enumerate(model.layers[:-1]):
        a = _sigmoid(a @ layer.W.data + layer.b.data)
        assert sig["spread"][k] == pytest.approx(np.mean(np.std(a, axis=0)), rel=1e-9)
    assert sig["grad_rms"] == pytest.approx(nn.layer_gradient_norms(model, X, y), rel=1e-9)


def test_the_variance_argument_he_keeps_relu_signals_lecun_lets_them_fade():
    lecun, he, double = (plots.preactivation_spread("relu", g, depth=10) for g in (1.0, 2**0.5, 2.0))
    assert lecun[-1] < 0.1 * lecun[0] and double[-1] > 5 * double[0]
    assert 0.3 < he[-1] / he[0] < 3 and 0.3 < he.min() and he.max() < 3
    # one layer, many units: Var(x) = n_in · Var(w) · E[a²] (He: Var(w) = 2/n_in, a = relu of unit-variance inputs)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 256))
    w = rng.normal(size=(256, 256)) * np.sqrt(2 / 256)
    assert np.var(np.maximum(x, 0) @ w) == pytest.approx(1.0, rel=0.05)


def test_equal_initial_weights_never_break_symmetry():
    zero, half, random = (plots.constant_init_training(v) for v in (0.0, 0.5, None))
    assert zero["distinct_units"] == half["distinct_units"] == 1 and zero["same_gradients"] and half["same_gradients"]
    assert zero["loss"][-1] == zero["loss"][0] == pytest.approx(np.log(2))  # from 0 nothing moves (balanced classes)
    assert half["loss"][-1] < half["loss"][0]
    assert random["distinct_units"] == 16 and not random["same_gradients"]
    assert random["accuracy"] > half["accuracy"] + 0.1


def test_plots_distinct_rows_counts_rows_equal_to_rounding():
    a = np.array([[1.0, 2.0], [1.0 + 1e-13, 2.0], [1.0, 2.5]])
    assert plots.distinct_rows(a) == 2 and plots.distinct_rows(a[:2]) == 1


def test_the_training_figure_keeps_its_legend_below_the_axes(training):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = plots.plot_activation_training(training)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    (ax,) = fig.axes
    assert ax.get_legend().get_window_extent(renderer).y1 < ax.get_window_extent(renderer).y0


def test_the_deep_explorer_ratio_is_the_lectures_layer_1_over_last_hidden():
    ex = widgets.deep_sigmoid_explorer(depth=10)
    norms = plots.deep_gradient_norms("sigmoid", 10, 1.0)
    assert ex.state["ratio"] == pytest.approx(norms[0] / norms[-2])
    ratios, _ = _gain_table()
    assert ex.state["ratio"] == pytest.approx(ratios[1.0], rel=0.05)  # the "Try it" numbers match the text
    assert "at the last hidden layer" in ex.readout.value
