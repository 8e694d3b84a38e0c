"""Lectures 1 and 2: the student predicts before the notebook reveals, and every stated number is computed.

Each `predict` cell is listed below with the output that reveals its answer (a regex whose groups
are the numbers the student should have predicted). The tests check that

- the cell comes before that output and no earlier output gives it away;
- it holds the blank `my_prediction = ...`, ends with `check_prediction(...)` and is stored unanswered;
- run with the revealed numbers filled in, the notebook's own answer key says "Right", and with a
  wrong number "Not yet" (so the key and the revealed output agree).
"""

from __future__ import annotations

import ast
import json
import re

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursegrad.notebooks import LECTURES, execute
from coursegrad.predict import ASK

L1 = LECTURES / "01_computational_graphs.ipynb"
L2 = LECTURES / "02_backpropagation.ipynb"

NUMBER = r"(-?\d+\.?\d*(?:e-?\d+)?)"

# predict cell id -> the output that reveals its answer (groups: the numbers to predict, in order)
REVEALS = {
    L1: {
        "predict-plus-gate": rf"df/dx = {NUMBER}, df/dy = {NUMBER}",
        "predict-nudge": rf"a change of {NUMBER}",
        "predict-tanh": rf"dg/da = {NUMBER}, dg/db = \S+, dg/dc = {NUMBER}",
    },
    L2: {
        "predict-neuron": rf"dx = \[{NUMBER}, ",
        "predict-running-sum": rf"x's running sum after steps 1-7: +(?:\S+ +){{4}}{NUMBER}",  # after step 5, at σ(x)
        "predict-twice": rf"after two: +a.grad = {NUMBER}",
        "predict-max": rf"max routes: +dz = {NUMBER}, dw = {NUMBER}",
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
        ("$\\partial b/\\partial a = 2$", "after one backward:          a.grad = 2.0"),
        ("about twice the work", "backward 36864 (1.89×)"),
        ("more than 20 times as long", "central differences take more than 20 times as long as backprop: True"),
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
        assert ast.unparse(last.value.func) in ("check_prediction", "predictions.check"), cell.id
        assert output_text(cell).strip() == ASK, f"{cell.id} is not stored in the unanswered state"


def _answered(path, tmp_path, pick):
    """The notebook executed (not stored) with every predict cell's blank filled by `pick(numbers)`."""
    nb = nbformat.read(path, as_version=4)
    revealed = {}
    for cell in nb.cells:
        for cid, pattern in REVEALS[path].items():
            match = re.search(pattern, output_text(cell))
            if match and cid not in revealed:
                revealed[cid] = [float(g) for g in match.groups()]
    for cell in nb.cells:
        if cell.id in REVEALS[path]:
            numbers = revealed[cell.id]
            answer = pick(numbers)
            cell.source = cell.source.replace("my_prediction = ...", f"my_prediction = {answer!r}", 1)
    copy = tmp_path / path.name
    copy.write_text(json.dumps(nb))
    done = execute(copy, store=False)
    return {c.id: output_text(c).strip() for c in done.cells if c.id in REVEALS[path]}


@pytest.mark.parametrize("path", sorted(REVEALS), ids=lambda p: p.name)
def test_the_answer_keys_agree_with_what_the_notebook_reveals(path, tmp_path):
    right = _answered(path, tmp_path, lambda ns: ns[0] if len(ns) == 1 else ns)
    assert all(v.startswith("✔ Right") for v in right.values()), right
    wrong = _answered(path, tmp_path, lambda ns: ns[0] + 1.5 if len(ns) == 1 else [n + 1.5 for n in ns])
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
# Lecture 2: the matrix drawing's gradients, recomputed from fresh leaves
# ---------------------------------------------------------------------------


def _cell(path, cell_id):
    (cell,) = [c for c in cells(path) if c.id == cell_id]
    return cell


def _layer_gradients(accumulated: bool):
    """The lecture's W, X (default_rng(0)), and the gradients of L = Σ relu(W X + b) on fresh leaves,
    or (accumulated=True) on leaves that first ran D.backward(dD), the bug the lecture had."""
    import numpy as np

    from coursegrad import Value

    rng = np.random.default_rng(0)
    W = Value(rng.standard_normal((5, 10)))
    X = Value(rng.standard_normal((10, 3)))
    dD = rng.standard_normal((5, 3))
    if accumulated:
        (W @ X).backward(dD)
    b = Value(np.zeros(3))
    ((W @ X + b).relu()).sum().backward()
    return W.grad, X.grad, b.grad


def test_the_matrix_drawing_shows_the_gradients_of_fresh_leaves():
    from coursegrad.drawing import summary

    dW, dX, db = _layer_gradients(accumulated=False)
    stale_W, stale_X, _ = _layer_gradients(accumulated=True)
    cell = _cell(L2, "cell-22")
    printed = output_text(cell)
    assert f"mean of W's gradient {dW.mean():.3f}, of X's {dX.mean():.3f}" in printed
    svg = "".join(o["data"]["image/svg+xml"] for o in cell.outputs if "image/svg+xml" in o.get("data", {}))
    drawn = [summary(dW, shape=False), summary(dX, shape=False), summary(db)]
    assert all(f">{text}<" in svg for text in drawn), f"the drawing does not show {drawn}"
    stale = [summary(stale_W, shape=False), summary(stale_X, shape=False)]
    assert stale != drawn[:2] and not any(f">{text}<" in svg for text in stale), "the drawing shows accumulated gradients"


def test_the_bias_gradient_is_explained_by_the_positive_entries_of_each_column():
    import numpy as np

    _, _, db = _layer_gradients(accumulated=False)
    shown = output_text(_cell(L2, "bias-grad"))
    assert f"b.grad:                          {db}" in shown
    counts = re.search(r"positive entries in each column: \[([\d ]+)\]", shown).group(1).split()
    assert np.array_equal(db, np.array(counts, dtype=float))


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
