"""Lecture 1's writing exercise (the tanh gate), its collapsed worked solution, and the table of difference errors.

The exercise is stored asking for its blanks; the worked solution, its code collapsed, fills
exactly those blanks and passes the check; the wrong gates a student is likely to write get a
hint that says what is wrong without the formula. The errors the lecture states for one-sided
and central differences are recomputed here.
"""

from __future__ import annotations

import math
import re

import nbformat
import pytest

from coursegrad.predict import GATE_FILL
from tools.notebooks import LECTURES

L1 = LECTURES / "01_computational_graphs.ipynb"


def _cell(cell_id: str):
    (cell,) = [c for c in nbformat.read(L1, as_version=4).cells if c.id == cell_id]
    return cell


def _output(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs)


def _says(source: str, capsys) -> str:
    """What the cell's check prints, run after the lecture's import cell."""
    namespace: dict = {}
    exec(compile(_cell("cell-01").source, "<lecture 1 imports>", "exec"), namespace)
    capsys.readouterr()
    exec(compile(source, "<lecture 1 exercise>", "exec"), namespace)
    return capsys.readouterr().out.strip()


def test_the_exercise_is_stored_asking_for_its_blanks(capsys):
    exercise = _cell("tanh-exercise")
    assert "out = ..." in exercise.source and "local_grad = ..." in exercise.source
    assert _output(exercise).strip() == GATE_FILL
    assert _says(exercise.source, capsys) == GATE_FILL


def test_the_collapsed_solution_fills_exactly_the_blanks_and_passes(capsys):
    ids = [c.id for c in nbformat.read(L1, as_version=4).cells]
    exercise, solution = _cell("tanh-exercise"), _cell("tanh-solution")
    assert ids.index("tanh-exercise") < ids.index("tanh-solution")
    assert solution.metadata["jupyter"] == {"source_hidden": True}, "the worked solution's code must open collapsed"
    body = exercise.source[exercise.source.index("def tanh_gate") : exercise.source.index("check_gate(")]
    given = [line for line in body.splitlines() if line.strip() and "..." not in line]
    assert all(line in solution.source.splitlines() for line in given), "the solution changes lines the exercise gives"
    assert _output(solution).startswith("✔ Right")
    assert _says(solution.source, capsys).startswith("✔ Right: your gate's output and local gradient agree")


@pytest.mark.parametrize(
    ("local_grad", "told"),
    [
        ("1 - s**2", "you squared the input s"),
        ("1 - out", "look again at the power of tanh(s)"),
        ("out * (1 - out)", "the sigmoid's pattern"),
        ("1 / math.cosh(s)", "differentiate (e^s − e^−s)/(e^s + e^−s) with the quotient rule"),
    ],
)
def test_a_wrong_gate_hears_what_is_wrong_not_the_formula(capsys, local_grad, told):
    exercise = _cell("tanh-exercise").source
    wrong = exercise.replace("out = ...", "out = math.tanh(s)").replace("local_grad = ...", f"local_grad = {local_grad}")
    said = _says(wrong, capsys)
    assert said.startswith("✘ Not yet: your local gradient is off at s = ") and told in said, said
    assert "1 - out**2" not in said and "tanh²" not in said and "1 − tanh" not in said


def test_a_gate_written_another_way_passes(capsys):
    exercise = _cell("tanh-exercise").source
    other = exercise.replace("out = ...", "out = (math.exp(2 * s) - 1) / (math.exp(2 * s) + 1)")
    other = other.replace("local_grad = ...", "local_grad = 4 / (math.exp(s) + math.exp(-s)) ** 2")
    assert _says(other, capsys).startswith("✔ Right")


def test_the_difference_table_shows_the_errors_it_computes():
    """One-sided error ~ h, central ~ h² (each row recomputed), and rounding wins at h = 1e-12."""
    shown = _output(_cell("central-table"))
    rows = re.findall(r"^\s*(\d\S*)\s+(\d\S*)\s+(\d\S*)$", shown, re.MULTILINE)
    assert len(rows) == 6
    for h, one_sided, central in rows:
        h = float(h)
        want_one = abs((math.sin(1 + h) - math.sin(1)) / h - math.cos(1))
        want_central = abs((math.sin(1 + h) - math.sin(1 - h)) / (2 * h) - math.cos(1))
        assert (one_sided, central) == (f"{want_one:.0e}", f"{want_central:.0e}")
    errors = {float(h): float(c) for h, _, c in rows}
    assert min(errors, key=errors.get) == 1e-5, "the prose says gradcheck's h is near the central difference's best"
    assert errors[1e-12] > errors[1e-5] * 1e5
