"""Lectures 1, 2 and 3: the student predicts before the notebook reveals, and every stated number is computed.

Each `predict` cell is listed below with the output that reveals its answer (a regex whose groups
are the numbers the student should have predicted). The tests check that

- the cell comes before that output and no earlier output gives it away;
- it holds the blank `my_prediction = ...`, ends with the check (`check_prediction(...)` or
  `predictions.check(...)`) and is stored unanswered;
- (lectures 2 and 3) the output that reveals the answer is the first one after it, stored collapsed;
- run with the revealed numbers filled in, the notebook's own answer key says "Right", and with a
  wrong number "Not yet" (so the key and the revealed output agree).
"""

from __future__ import annotations

import ast
import contextlib
import io
import re

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursegrad.predict import ASK
from tools.notebooks import LECTURES

L1 = LECTURES / "01_computational_graphs.ipynb"
L2 = LECTURES / "02_backpropagation.ipynb"
L3 = LECTURES / "03_backprop_algorithm.ipynb"

NUMBER = r"(-?\d+\.?\d*(?:e-?\d+)?)"

# predict cell id -> the output that reveals its answer (groups: the numbers to predict, in order)
REVEALS = {
    L1: {
        "predict-plus-gate": rf"df/dx = {NUMBER}, df/dy = {NUMBER}",
        "predict-nudge": rf"a change of {NUMBER}",
        "predict-tanh": rf"dg/da = {NUMBER}, dg/db = \S+, dg/dc = {NUMBER}",
    },
    L2: {
        "predict-gates": rf"computed by {NUMBER} gates",
        "predict-neuron": rf"dx = \[{NUMBER}, ",
        "predict-step": r"w0: .* \((up|down)\)",
        "predict-running-sum": rf"x's running sum after steps 1-7: +(?:\S+ +){{4}}{NUMBER}",  # after step 5, at σ(x)
    },
    L3: {
        "predict-twice": rf"after two: +a.grad = {NUMBER}",
        "predict-max": rf"max routes: +dz = {NUMBER}, dw = {NUMBER}",
        "predict-bias": rf"b.grad: \[{NUMBER} {NUMBER} {NUMBER} {NUMBER} {NUMBER}\]",
        "predict-paths": rf"paths from x to out: {NUMBER};",
    },
}

# Numbers the prose states, and how a computed output of the same notebook shows them.
CLAIMS = {
    L1: [
        ("nudging $x$ by $0.01$ changes $f$ by $-0.04$", "a change of -0.0400"),
        ("$\\partial f/\\partial z = 3$", "df/dz = 3.0"),
    ],
    L2: [
        ("is 8 gates", "computed by 8 gates"),
        ("to $10^{-9}$", "agrees with the engine to 1e-09"),
    ],
    L3: [
        ("$\\partial b/\\partial a = 2$", "after one backward:          a.grad = 2.0"),
        ("about twice the work", "backward 36864 (1.89×)"),
        ("the six-line `backward`", "the six lines:  df/dx = 2.059570, df/dy = 1.592233"),
        ("the six-line `backward`", "the engine:     df/dx = 2.059570, df/dy = 1.592233"),
        ("about $10^2$, $10^3$, $10^4$", "[2, 8, 8, 1]          105   about 10^2"),
        ("about $10^2$, $10^3$, $10^4$", "[2, 30, 30, 1]      1,051   about 10^3"),
        ("about $10^2$, $10^3$, $10^4$", "[2, 100, 100, 1]   10,501   about 10^4"),
    ],
}


def cells(path):
    return nbformat.read(path, as_version=4).cells


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") + str(out.get("data", {}).get("text/plain", "")))
    return "".join(parts)


def predict_cells(path):
    return [(i, c) for i, c in enumerate(cells(path)) if "predict" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", sorted(REVEALS), ids=lambda p: p.name)
def test_at_least_three_predict_cells_each_before_the_output_that_answers_it(path):
    found = predict_cells(path)
    assert len(found) >= 3, f"{path.name} has {len(found)} predict cells, the course asks for at least 3"
    listed = REVEALS[path]
    assert sorted(c.id for _, c in found) == sorted(listed), "every predict cell needs its revealing output listed here"
    nb = cells(path)
    for i, cell in found:
        pattern = re.compile(listed[cell.id])
        revealing = [j for j, c in enumerate(nb) if c.cell_type == "code" and pattern.search(output_text(c))]
        assert revealing, f"{cell.id}: no output matches {pattern.pattern!r}"
        assert revealing[0] > i, f"{cell.id} (cell {i}) comes after the output that answers it (cell {revealing[0]})"


@pytest.mark.parametrize("path", sorted(REVEALS), ids=lambda p: p.name)
def test_predict_cells_hold_a_blank_end_with_the_check_and_are_stored_unanswered(path):
    for _, cell in predict_cells(path):
        tree = ast.parse(cell.source)
        blanks = [
            s for s in tree.body
            if isinstance(s, ast.Assign) and [t.id for t in s.targets if isinstance(t, ast.Name)] == ["my_prediction"]
        ]  # fmt: skip
        assert blanks and isinstance(blanks[0].value, ast.Constant) and blanks[0].value.value is Ellipsis, cell.id
        last = tree.body[-1]
        assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call), f"{cell.id} must end with the check"
        func = last.value.func
        called = func.id if isinstance(func, ast.Name) else f"{getattr(func.value, 'id', '')}.{func.attr}"
        assert called in ("check_prediction", "predictions.check"), cell.id
        assert output_text(cell).strip() == ASK, f"{cell.id} is not stored in the unanswered state"


OTHER_CHOICE = {"up": "down", "down": "up"}  # the wrong answer to a prediction made by choosing


def _revealed(group: str):
    return float(group) if re.fullmatch(NUMBER, group) else group


def _right(ns):
    return ns[0] if len(ns) == 1 else ns


def _wrong(ns):
    if isinstance(ns[0], str):
        return OTHER_CHOICE[ns[0]]
    return ns[0] + 1.5 if len(ns) == 1 else [n + 1.5 for n in ns]


def _answered(path, pick):
    """What each predict cell prints with its blank filled by `pick(revealed answers)`: the notebook's code
    cells run in order, in this process (as a kernel would, without starting one), up to its last predict cell."""
    nb = nbformat.read(path, as_version=4)
    revealed = {}
    for cell in nb.cells:
        for cid, pattern in REVEALS[path].items():
            match = re.search(pattern, output_text(cell))
            if match and cid not in revealed:
                revealed[cid] = [_revealed(g) for g in match.groups()]
    last = max(i for i, c in enumerate(nb.cells) if c.id in REVEALS[path])
    namespace, printed = {"__name__": "__main__"}, {}
    for cell in nb.cells[: last + 1]:
        if cell.cell_type != "code":
            continue
        source = cell.source
        if cell.id in REVEALS[path]:
            source = source.replace("my_prediction = ...", f"my_prediction = {pick(revealed[cell.id])!r}", 1)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, f"{path.name}:{cell.id}", "exec"), namespace)
        printed[cell.id] = out.getvalue().strip()
    return {cid: printed[cid] for cid in REVEALS[path]}


@pytest.mark.parametrize("path", sorted(REVEALS), ids=lambda p: p.name)
def test_the_answer_keys_agree_with_what_the_notebook_reveals(path):
    right = _answered(path, _right)
    assert all(v.startswith("✔ Right") for v in right.values()), right
    wrong = _answered(path, _wrong)
    assert all(v.startswith("✘ Not yet") for v in wrong.values()), wrong
    for cid, said in wrong.items():
        numbers = re.search(REVEALS[path][cid], "\n".join(output_text(c) for c in cells(path))).groups()
        assert not any(n in said for n in numbers), f"{cid}: a wrong prediction's hint gives the answer away: {said!r}"


@pytest.mark.parametrize("path", sorted(CLAIMS), ids=lambda p: p.name)
def test_numbers_in_the_prose_are_computed_outputs(path):
    nb = cells(path)
    prose = "\n".join(c.source for c in nb if c.cell_type == "markdown")
    shown = "\n".join(output_text(c) for c in nb)
    for said, computed in CLAIMS[path]:
        assert said in prose, f"{path.name}: the prose no longer says {said!r}"
        assert computed in shown, f"{path.name}: no output shows {computed!r} (the prose says {said!r})"


@pytest.mark.parametrize("path", [L2, L3], ids=lambda p: p.name)
def test_each_reveal_is_the_next_output_after_its_prediction_and_is_stored_collapsed(path):
    """The answer is printed in the stored notebook, but folded away until the student has answered."""
    nb = cells(path)
    for i, cell in predict_cells(path):
        after = [c for c in nb[i + 1 :] if c.cell_type == "code" and c.get("outputs")]
        reveal = after[0]
        assert re.search(REVEALS[path][cell.id], output_text(reveal)), f"{cell.id}: the next output is not its reveal"
        assert reveal.metadata.get("jupyter", {}).get("outputs_hidden") is True, f"{cell.id}: its reveal is not collapsed"
    summary = [c for c in nb if c.cell_type == "code" and "predictions.summary()" in c.source]
    assert len(summary) == 1 and summary[0] is [c for c in nb if c.cell_type == "code"][-1], "the last code cell sums up"
    assert output_text(summary[0]).count("no prediction made; it was") == len(predict_cells(path))


def test_lectures_2_and_3_lead_from_one_to_the_next():
    for path, number, of, following in ((L2, 2, 7, "03_backprop_algorithm.ipynb"), (L3, 3, 7, "04_multiplication_effect.ipynb")):
        nb = cells(path)
        assert f"Notebook {number} of {of}." in nb[0].source
        assert f"]({following})" in nb[-1].source and "**Next:**" in nb[-1].source, f"{path.name} does not lead on"


# ---------------------------------------------------------------------------
# check_backward: the check of a backward pass the student writes in plain Python
# ---------------------------------------------------------------------------


def _product(a, b):
    return a * b + a


def test_check_backward_says_right_for_a_correct_pass_and_names_the_wrong_gradient(capsys):
    from coursegrad.predict import check_backward

    check_backward(lambda a, b: (b + 1, a), _product, [(2.0, 3.0), (-1.0, 0.5)], hint="h")
    assert capsys.readouterr().out.startswith("✔ Right")
    check_backward(lambda a, b: (b, a), _product, [(2.0, 3.0)], hint="a is used twice.")  # forgot the fork
    said = capsys.readouterr().out.strip()
    assert said == "✘ Not yet: da is off at a = 2, b = 3 (db is right). a is used twice."


def test_check_backward_catches_a_pass_that_only_fits_the_first_point(capsys):
    from coursegrad.predict import check_backward

    check_backward(lambda a, b: (4.0, 2.0), _product, [(2.0, 3.0), (-1.0, 0.5)], hint="h")
    assert capsys.readouterr().out.startswith("✘ Not yet: da and db are off at a = -1, b = 0.5")


def test_check_backward_asks_for_the_blanks_and_never_raises(capsys):
    from coursegrad.predict import FILL, check_backward

    def blank(a, b):
        da = ...
        da += ...
        return da, b

    check_backward(blank, _product, [(2.0, 3.0)], hint="h")
    check_backward(lambda a, b: (..., 1.0), _product, [(2.0, 3.0)], hint="h")
    assert capsys.readouterr().out.splitlines() == [FILL, FILL]
    for broken in (lambda a, b: 1 / 0, lambda a, b: 3.0, lambda a, b: ("x", 1.0), lambda a: (1, 2), None):
        check_backward(broken, _product, [(2.0, 3.0)], hint="h")
        assert capsys.readouterr().out.startswith("✘")


# ---------------------------------------------------------------------------
# Lecture 3: the matrix drawing's gradients, recomputed from fresh leaves
# ---------------------------------------------------------------------------


def _cell(path, cell_id):
    (cell,) = [c for c in cells(path) if c.id == cell_id]
    return cell


def _layer_gradients(accumulated: bool):
    """The lecture's X, W (default_rng(0)), and the gradients of L = Σ relu(X W + b) on fresh leaves,
    or (accumulated=True) on leaves that first ran D.backward(dD), the bug the lecture once had."""
    import numpy as np

    from coursegrad import Value

    rng = np.random.default_rng(0)
    X = Value(rng.standard_normal((3, 10)))
    W = Value(rng.standard_normal((10, 5)))
    dD = rng.standard_normal((3, 5))
    if accumulated:
        (X @ W).backward(dD)
    b = Value(np.zeros(5))
    ((X @ W + b).relu()).sum().backward()
    return W.grad, X.grad, b.grad


def _rms(g):
    import numpy as np

    return np.sqrt(np.mean(np.square(g)))


def test_the_matrix_drawing_shows_the_gradients_of_fresh_leaves():
    from coursegrad.drawing import summary

    dW, dX, db = _layer_gradients(accumulated=False)
    stale_W, stale_X, _ = _layer_gradients(accumulated=True)
    cell = _cell(L3, "cell-22")
    printed = output_text(cell)
    assert f"RMS of W's gradient {_rms(dW):.3f}, of X's {_rms(dX):.3f}" in printed
    svg = "".join(o["data"]["image/svg+xml"] for o in cell.outputs if "image/svg+xml" in o.get("data", {}))
    drawn = [summary(dW, shape=False), summary(dX, shape=False), summary(db, shape=False)]
    assert all(f">{text}<" in svg for text in drawn), f"the drawing does not show {drawn}"
    assert all(text.startswith("rms ") for text in drawn), "array gradients are drawn by their RMS, not their mean"
    stale = [summary(stale_W, shape=False), summary(stale_X, shape=False)]
    assert stale != drawn[:2] and not any(f">{text}<" in svg for text in stale), "the drawing shows accumulated gradients"


def test_the_bias_gradient_is_explained_by_the_positive_entries_of_each_column():
    import numpy as np

    _, _, db = _layer_gradients(accumulated=False)
    shown = output_text(_cell(L3, "bias-grad"))
    printed = re.search(r"b.grad: +\[([\d. ]+)\]", shown).group(1).split()
    assert np.array_equal(db, np.array(printed, dtype=float))
    counts = re.search(r"positive entries in each column: +\[([\d ]+)\]", shown).group(1).split()
    assert np.array_equal(db, np.array(counts, dtype=float))


def _namespace_after(path, *cell_ids) -> dict:
    """The names the given cells of a lecture define, run in order (outputs discarded)."""
    import contextlib
    import io

    namespace: dict = {}
    for cell_id in cell_ids:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(_cell(path, cell_id).source, f"<{path.name}:{cell_id}>", "exec"), namespace)
    return namespace


def test_the_bias_is_one_per_unit_and_its_gradient_is_summed_over_the_batch_axis():
    """Review item H1: the layer is batch-first (X @ W + b, one example per row), b has one entry per unit,
    and db is the upstream gradient summed over axis 0, the examples; never one bias per example."""
    import numpy as np

    ns = _namespace_after(L3, "cell-01", "cell-18", "bias-sum", "cell-22")
    X, W, b, Z = ns["X"], ns["W"], ns["b"], ns["Z"]
    examples, features = X.shape
    units = W.shape[1]
    assert examples != units, "with as many examples as units the two axes could be confused"
    assert W.shape[0] == features and Z.shape == (examples, units), "the layer is X @ W: one example per row"
    assert b.shape == (units,), f"b must hold one number per unit ({units}), not one per example ({examples})"
    upstream = (Z.data > 0) * 1.0
    assert np.array_equal(b.grad, upstream.sum(axis=0)), "db is the upstream gradient summed over the batch (axis 0)"
    assert b.grad.max() <= examples, "each entry of db adds at most one term per example"
    prose = "\n".join(c.source for c in cells(L3) if c.cell_type == "markdown")
    assert "summed over the\nrows, the batch" in prose and "dZ.sum(axis=0)" in prose
    for path in (L2, L3):  # the column layout with a bias (the review's H1) appears in no code cell
        sources = "\n".join(c.source for c in cells(path) if c.cell_type == "code")
        assert not re.search(r"W\s*@\s*X\s*\+\s*b", sources), f"{path.name} builds a layer as W @ X + b"


# ---------------------------------------------------------------------------
# Lecture 2: the staged backward exercise and its collapsed worked solution
# ---------------------------------------------------------------------------


def _run(sources: list[str]) -> None:
    namespace: dict = {}
    for source in sources:
        exec(compile(source, "<lecture 2>", "exec"), namespace)


def test_the_staged_backward_exercise_is_stored_asking_for_its_blanks():
    from coursegrad.predict import FILL

    exercise = _cell(L2, "staged-exercise")
    assert "dx += ..." in exercise.source and "check_backward(" in exercise.source
    assert output_text(exercise).strip() == FILL


def test_the_collapsed_solution_passes_the_check_and_fills_exactly_the_blanks(capsys):
    nb = cells(L2)
    ids = [c.id for c in nb]
    exercise, solution = _cell(L2, "staged-exercise"), _cell(L2, "staged-solution")
    assert ids.index("staged-exercise") < ids.index("staged-solution"), "the solution must follow the exercise"
    assert solution.metadata.get("jupyter", {}).get("source_hidden") is True, "the worked solution's input must be collapsed"
    assert "..." not in solution.source
    given = [line for line in exercise.source.splitlines() if "..." not in line]
    assert all(line in solution.source.splitlines() for line in given), "the solution changes lines the exercise gives"

    imports = _cell(L2, "cell-01").source
    _run([imports, exercise.source])
    assert capsys.readouterr().out.strip().startswith("✎")
    _run([imports, solution.source])
    assert capsys.readouterr().out.strip().startswith("✔ Right: your backward pass agrees with the engine to 1e-09")
    overwriting = solution.source.replace("dx += ", "dx = ").replace("dy += ", "dy = ")  # the bug the section warns of
    _run([imports, overwriting])
    assert capsys.readouterr().out.strip().startswith("✘ Not yet: dx and dy are off")


def test_check_backward_holds_a_pass_to_1e_minus_9(capsys):
    from coursegrad.predict import check_backward

    check_backward(lambda a, b: (b + 1 + 1e-7, a), _product, [(2.0, 3.0)], hint="h")
    assert capsys.readouterr().out.startswith("✘ Not yet: da is off")
    check_backward(lambda a, b: (b + 1 + 1e-12, a), _product, [(2.0, 3.0)], hint="h")
    assert capsys.readouterr().out.startswith("✔ Right")


@given(st.one_of(st.none(), st.floats(allow_nan=True), st.text(), st.lists(st.floats(allow_nan=True)), st.booleans()))
def test_check_backward_never_raises_whatever_the_pass_returns(returned):
    from coursegrad.predict import check_backward

    check_backward(lambda a, b: returned, _product, [(2.0, 3.0)], hint="h")
