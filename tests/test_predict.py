"""The prediction check a lecture's `predict` cells end with: it never raises and never prints the answer."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursegrad.predict import ASK, GATE_FILL, SUMMARY_HEADING, check_gate, check_prediction


def said(capsys, *args, **kwargs) -> str:
    check_prediction(*args, hint=kwargs.pop("hint", "look at the local gradient"), **kwargs)
    return capsys.readouterr().out.strip()


def test_unanswered_asks_for_a_prediction_and_does_not_compute_the_answer(capsys):
    def boom():
        raise AssertionError("the answer must not be computed before a prediction is made")

    assert said(capsys, ..., boom) == ASK
    assert said(capsys, None, boom) == ASK


def test_right_within_tolerance_and_wrong_outside(capsys):
    assert said(capsys, 0.26, 0.25, rel=0.05).startswith("✔ Right")
    out = said(capsys, 0.3, 0.25, rel=0.05)
    assert out == "✘ Not yet: look at the local gradient"


def test_known_mistake_gets_its_own_hint_but_never_the_answer(capsys):
    out = said(capsys, 0.5, lambda: 0.25, mistakes=[(0.5, "that is σ(0), not σ'(0)")])
    assert out == "✘ Not yet: that is σ(0), not σ'(0)"
    assert "0.25" not in out


def test_lists_compare_elementwise(capsys):
    assert said(capsys, [1, -2.0], np.array([1.0, -2.0])).startswith("✔")
    assert said(capsys, [1, 2.0], [1.0, -2.0]).startswith("✘ Not yet")
    assert said(capsys, [1], [1.0, -2.0]).startswith("✘ Not yet")


def test_choices_are_case_insensitive_and_a_bad_form_says_what_is_expected(capsys):
    assert said(capsys, " Smaller", "smaller", choices=("bigger", "smaller")).startswith("✔")
    out = said(capsys, 3, "smaller", choices=("bigger", "smaller"))
    assert "one of 'bigger', 'smaller'" in out
    assert "a number" in said(capsys, "0.25", 0.25)


def test_an_answer_that_cannot_be_computed_is_reported_not_raised(capsys):
    out = said(capsys, 1.0, lambda: undefined_name)  # noqa: F821
    assert out.startswith("✘ Could not check") and "NameError" in out


@given(st.one_of(st.none(), st.floats(allow_nan=True), st.text(), st.lists(st.floats()), st.booleans(), st.integers()))
def test_never_raises_whatever_the_student_writes(prediction):
    check_prediction(prediction, 0.25, hint="h")
    check_prediction(prediction, [0.25, 1.0], hint="h")
    check_prediction(prediction, "yes", hint="h", choices=("yes", "no"))


def test_nan_is_never_right(capsys):
    assert said(capsys, float("nan"), 0.25).startswith("✘")


@pytest.mark.parametrize("value", [True, False])
def test_bools_are_not_numbers(capsys, value):
    assert said(capsys, value, 1.0).startswith("✘")


def test_predictions_summary_shows_each_prediction_beside_what_it_was(capsys):
    from coursegrad.predict import Predictions

    p = Predictions()
    p.check("σ'(0)", 0.25, lambda: 0.25, hint="h")
    p.check("gates", 7, 8, hint="count them")
    p.check("direction", ..., "down", hint="h", choices=("up", "down"))
    p.check("gates", 9, 8, hint="count them")  # running a cell again replaces its prediction
    capsys.readouterr()
    p.summary()
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        SUMMARY_HEADING,
        "✔ σ'(0): you predicted 0.25; it was 0.25.",
        "✘ gates: you predicted 9; it was 8.",
        "○ direction: no prediction made; it was 'down'.",
    ]


def test_predictions_summary_never_raises(capsys):
    from coursegrad.predict import Predictions

    p = Predictions()
    p.summary()
    assert "No predictions" in capsys.readouterr().out
    p.check("broken", 1.0, lambda: 1 / 0, hint="h")
    p.summary()
    assert "broken: could not be summarised (ZeroDivisionError" in capsys.readouterr().out.splitlines()[-1]


def test_predictions_summary_shows_numpy_answers(capsys):
    """A lecture's answer is often a numpy scalar (np.float64 from a loss, np.int64 from a sum): shown as a number."""
    from coursegrad.predict import Predictions

    p = Predictions()
    p.check("loss", ..., lambda: np.float64(1.12291), hint="h")
    p.check("count", 4, lambda: np.int64(4), hint="h")
    p.check("row", [1.0, 2.0], np.array([1.0, 2.0]), hint="h")
    capsys.readouterr()
    p.summary()
    assert capsys.readouterr().out.splitlines() == [
        SUMMARY_HEADING,
        "○ loss: no prediction made; it was 1.12291.",
        "✔ count: you predicted 4; it was 4.",
        "✔ row: you predicted [1, 2]; it was [1, 2].",
    ]


# check_gate: the student writes a gate (its output and local gradient); lecture 1's tanh gate.
TANH_MISTAKES = [
    (lambda s: 1 - s**2, "you squared the input"),
    (lambda s: math.tanh(s) * (1 - math.tanh(s)), "that is the sigmoid's"),
]


def gate_says(capsys, gate, points=(0.25, -1.5, 0.0, 2.0)) -> str:
    check_gate(gate, lambda v: v.tanh(), points, hint="differentiate tanh", mistakes=TANH_MISTAKES)
    return capsys.readouterr().out.strip()


def test_a_right_gate_passes_however_it_is_written(capsys):
    def from_output(s):
        out = math.tanh(s)
        return out, 1 - out**2

    def from_exponentials(s):
        return (math.exp(2 * s) - 1) / (math.exp(2 * s) + 1), 4 / (math.exp(s) + math.exp(-s)) ** 2

    assert gate_says(capsys, from_output).startswith("✔ Right")
    assert gate_says(capsys, from_exponentials).startswith("✔ Right")


def test_a_blank_gate_asks_to_fill_it_in(capsys):
    def blank(s):
        out = ...
        local_grad = ...
        return out, local_grad

    def half_blank(s):
        out = math.tanh(s)
        return out, 1 - ... ** 2

    assert gate_says(capsys, blank) == GATE_FILL
    assert gate_says(capsys, half_blank) == GATE_FILL


def test_a_wrong_gate_hears_what_is_off_and_where_but_never_the_answer(capsys):
    out = gate_says(capsys, lambda s: (math.tanh(s), 1 - s**2))
    assert out == "✘ Not yet: your local gradient is off at s = 0.25. you squared the input"
    out = gate_says(capsys, lambda s: (math.tanh(s), math.tanh(s) * (1 - math.tanh(s))))
    assert out.endswith("that is the sigmoid's")
    out = gate_says(capsys, lambda s: (math.sinh(s), 1 - math.tanh(s)))
    assert out == "✘ Not yet: your output and your local gradient are off at s = 0.25. differentiate tanh"
    for right in (math.tanh(0.25), 1 - math.tanh(0.25) ** 2):
        assert f"{right:.3g}" not in out


def test_a_gate_right_at_one_point_only_is_caught_at_another(capsys):
    out = gate_says(capsys, lambda s: (math.tanh(s), 1.0), points=(0.0, 1.0))
    assert out.startswith("✘ Not yet: your local gradient is off at s = 1.")


def test_a_gate_that_raises_or_returns_the_wrong_form_is_told_so(capsys):
    assert gate_says(capsys, lambda s: 1 / 0).startswith("✘ Your gate raised ZeroDivisionError at s = 0.25")
    assert gate_says(capsys, lambda s: math.tanh(s)).startswith("✘ Return two numbers, (output, local gradient)")
    from coursegrad import Value

    out = gate_says(capsys, lambda s: (Value(s).tanh(), 1.0))
    assert out == "✘ Return plain numbers (floats): your output is a Value."


@given(st.one_of(st.none(), st.floats(allow_nan=True), st.text(), st.tuples(st.floats(), st.floats()), st.booleans()))
def test_check_gate_never_raises(returned):
    check_gate(lambda s: returned, lambda v: v.tanh(), (0.25, 1.0), hint="h", mistakes=TANH_MISTAKES)


def test_a_mistake_can_be_computed_so_the_cell_does_not_show_part_of_the_answer(capsys):
    half_right = lambda: [0.47, 0.94]  # noqa: E731 - as a lecture writes it
    assert said(capsys, [0.47, 0.94], [-1.41, 0.94], mistakes=[(half_right, "multiply swaps")]) == "✘ Not yet: multiply swaps"
    assert said(capsys, [-1.41, 0.94], [-1.41, 0.94], mistakes=[(half_right, "multiply swaps")]).startswith("✔ Right")


def test_the_summary_keeps_each_answer_as_it_was_where_it_was_asked(capsys):
    """A lecture reuses names (x is a float, later a Value): the summary must not recompute an answer from them."""
    from coursegrad.predict import Predictions

    p = Predictions()
    lecture = {"x": -2.0}
    p.check("change", ..., lambda: lecture["x"] * 0.01, hint="h")
    p.check("later", -0.02, lambda: lecture["x"] * 0.01, hint="h", mistakes=[(lambda: 1 / 0, "never needed")])
    lecture["x"] = "now something else"
    capsys.readouterr()
    p.summary()
    assert capsys.readouterr().out.splitlines()[1:] == [
        "○ change: no prediction made; it was -0.02.",
        "✔ later: you predicted -0.02; it was -0.02.",
    ]


def test_predictions_summary_shows_numpy_numbers_as_numbers(capsys):
    """An answer computed with numpy (a gradient entry, np.float64) is summarised like a float, not refused."""
    from coursegrad.predict import Predictions

    p = Predictions()
    p.check("b.grad[0]", ..., lambda: np.zeros(5)[0] + 3.0, hint="h")
    p.check("b.grad", 3.0, lambda: np.full(2, 3.0), hint="h")
    capsys.readouterr()
    p.summary()
    assert capsys.readouterr().out.splitlines()[1:] == [  # after the heading
        "○ b.grad[0]: no prediction made; it was 3.",
        "✘ b.grad: you predicted 3; it was [3, 3].",
    ]


def test_predictions_summary_shows_numpy_answers_as_plain_numbers(capsys):
    """A lecture's answer key often computes with numpy: a numpy scalar or array is shown as its plain value."""
    from coursegrad.predict import Predictions

    p = Predictions()
    p.check("ratio", 1000.0, lambda: np.float64(1000.0), hint="h")
    p.check("vector", ..., lambda: np.array([0.5, 2.0]), hint="h")
    capsys.readouterr()
    p.summary()
    assert capsys.readouterr().out.splitlines()[1:] == [
        "✔ ratio: you predicted 1000; it was 1000.",
        "○ vector: no prediction made; it was [0.5, 2].",
    ]


# ---------------------------------------------------------------------------
# check_function: a small function the student writes, against a reference
# ---------------------------------------------------------------------------


def _function_said(capsys, fn, **kwargs) -> str:
    from coursegrad.predict import check_function

    square = lambda x: np.asarray(x, dtype=float) ** 2
    check_function(fn, square, [(2.0,), (np.array([1.0, -3.0]),)], hint=kwargs.pop("hint", "square each entry"), **kwargs)
    return capsys.readouterr().out.strip()


def test_check_function_right_blank_wrong_and_a_named_slip(capsys):
    from coursegrad.predict import WRITE

    assert _function_said(capsys, lambda x: x * x).startswith("✔ Right: <lambda> agrees with the reference to 1e-09 on all 2")
    assert _function_said(capsys, lambda x: ...) == WRITE
    assert _function_said(capsys, lambda x: (x - ...) * x) == WRITE  # a blank left inside an expression
    doubled = _function_said(capsys, lambda x: 2 * x, mistakes=[(lambda x: 2 * x, "you doubled it")])
    assert doubled == "✘ Not yet: <lambda> is off on test 2 of 2. you doubled it"  # 2 · 2 = 2²: test 1 agrees
    other = _function_said(capsys, lambda x: x + 1, mistakes=[(lambda x: 2 * x, "you doubled it")])
    assert other.endswith("square each entry") and "4" not in other  # never the reference's value


def test_check_function_never_raises_and_says_what_came_back(capsys):
    assert _function_said(capsys, lambda x: 1 / 0).startswith("✘ <lambda> raised ZeroDivisionError on test 1 of 2")
    assert _function_said(capsys, lambda x: None).startswith("✘ <lambda> returned None")
    assert "should return a number" in _function_said(capsys, lambda x: "four")
    assert "should return an array of shape (2,)" in _function_said(capsys, lambda x: 4.0 if np.ndim(x) == 0 else [1.0])
    assert _function_said(capsys, lambda x: float("nan")).startswith("✘ Not yet")
    assert _function_said(capsys, 42).startswith("✘ Check a function (written with def ...); this is int 42")
