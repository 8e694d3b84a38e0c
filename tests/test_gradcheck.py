"""gradcheck and numerical_grad: right answers, wrong gates caught, kinks called out, a report for humans."""

from __future__ import annotations

import importlib
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursegrad import GradcheckReport, Rule, Value, gradcheck, numerical_grad
from coursegrad.gradcheck import relative_error, verdict

settings.register_profile("coursegrad", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("coursegrad-ci", parent=settings.get_profile("coursegrad"), derandomize=True, print_blob=True)
PROFILE = settings.get_profile("coursegrad-ci" if os.environ.get("CI", "").lower() == "true" else "coursegrad")

# ---------------------------------------------------------------------------
# numerical_grad against derivatives known in closed form
# ---------------------------------------------------------------------------


def test_numerical_grad_of_known_derivatives():
    (g,) = numerical_grad(lambda x: math.sin(x), 0.3)
    assert g == pytest.approx(math.cos(0.3), abs=1e-9)
    gx, gy = numerical_grad(lambda x, y: x * y**2, 2.0, -3.0)
    assert (gx, gy) == (pytest.approx(9.0, abs=1e-8), pytest.approx(-12.0, abs=1e-8))
    (g,) = numerical_grad(lambda x: math.exp(x), 1.0)
    assert g == pytest.approx(math.e, rel=1e-9)


def test_numerical_grad_on_arrays_keeps_shapes():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    w = np.array([0.5, -1.0, 2.0])
    gx, gw = numerical_grad(lambda x, w: float(np.sum((x @ w) ** 2)), x, w)
    assert gx.shape == (2, 3) and gw.shape == (3,)
    np.testing.assert_allclose(gx, 2 * np.outer(x @ w, w), atol=1e-6)  # d/dX Σ(Xw)² = 2(Xw)wᵀ
    np.testing.assert_allclose(gw, 2 * x.T @ (x @ w), atol=1e-6)


@settings(PROFILE, max_examples=40)
@given(hnp.arrays(np.float64, st.sampled_from([(), (3,), (2, 2)]), elements=st.floats(-2, 2)))
def test_numerical_grad_of_a_cubic(x):
    """d/dx Σ x³ = 3x², a polynomial: central differences are exact up to h² · 1 and rounding."""
    x = float(x) if np.shape(x) == () else x
    (g,) = numerical_grad(lambda a: float(np.sum(np.asarray(a) ** 3)), x)
    np.testing.assert_allclose(g, 3 * np.asarray(x) ** 2, atol=1e-6)
    assert np.shape(g) == np.shape(x)


def test_numerical_grad_accepts_values_and_functions_returning_values():
    (g,) = numerical_grad(lambda x: Value(x).tanh(), Value(0.5))
    assert g == pytest.approx(1 - math.tanh(0.5) ** 2, abs=1e-9)


def test_numerical_grad_does_not_modify_its_inputs():
    x = np.array([1.0, 2.0])
    numerical_grad(lambda a: float(np.sum(a**2)), x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_grad_needs_one_number():
    with pytest.raises(ValueError, match=r"must return one number, but returned shape \(2,\); reduce it first"):
        numerical_grad(lambda x: x * 2, np.array([1.0, 2.0]))


def test_numerical_grad_rejects_bad_inputs():
    with pytest.raises(TypeError, match="numerical_grad input got str"):
        numerical_grad(lambda x: x, "1")


# ---------------------------------------------------------------------------
# gradcheck passes correct gates
# ---------------------------------------------------------------------------


def neuron(w0, x0, w1, x1, w2):
    return 1.0 / (1.0 + (-(w0 * x0 + w1 * x1 + w2)).exp())


def test_passes_the_lecture_neuron():
    report = gradcheck(neuron, 2.0, -1.0, -3.0, -2.0, -3.0)
    assert report.passed and bool(report)
    assert [c.name for c in report.checks] == ["w0", "x0", "w1", "x1", "w2"]
    assert report["w0"].analytic == pytest.approx(-0.1966, abs=1e-4)
    assert all(c.verdict == "excellent" for c in report.checks)


@pytest.mark.parametrize(
    "f, inputs",
    [
        (lambda x, y: (x * y).sigmoid(), (2.0, -3.0)),
        (lambda x: x.log() / x, (1.7,)),
        (lambda a, b: a.maximum(b) * a, (2.0, 1.0)),
        (lambda x: (x**3 - x).tanh(), (0.4,)),
        (lambda x: x.softplus().exp(), (-0.2,)),
    ],
)
def test_passes_correct_scalar_gates(f, inputs):
    assert gradcheck(f, *inputs).passed


def test_passes_on_arrays():
    rng = np.random.default_rng(1)
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    report = gradcheck(lambda X, W, b: ((X @ W + b).tanh() ** 2).mean(), X, W, b)
    assert report.passed
    assert report["W"].analytic.shape == (3, 2) and report["W"].numeric.shape == (3, 2)
    assert report["W"].rel_error.shape == (3, 2)
    text = str(report)
    assert "(all 6 elements agree)" in text and "X: shape (5, 3)" in text  # W: every element within 1e-7


def test_passes_a_correct_user_gate():
    def sigmoid_gate(x: Value) -> Value:
        s = 1.0 / (1.0 + math.exp(-x.data))
        return Value.from_gate(s, (x,), (s * (1.0 - s),), "σ")

    assert gradcheck(sigmoid_gate, 0.8).passed


def test_does_not_touch_the_callers_values():
    x = Value(2.0, "x")
    x.grad = 5.0
    report = gradcheck(lambda x: x * x, x)
    assert report.passed and x.grad == 5.0 and x.data == 2.0
    assert report.checks[0].name == "x"  # a labelled Value gives its label


# ---------------------------------------------------------------------------
# gradcheck catches wrong gates
# ---------------------------------------------------------------------------


def wrong_sigmoid(x: Value) -> Value:
    """Forgets the (1 - s) factor."""
    s = 1.0 / (1.0 + math.exp(-x.data))
    return Value.from_gate(s, (x,), (s,), "σ")


def swapped_multiply(a: Value, b: Value) -> Value:
    """Multiply that does NOT swap its inputs: ∂/∂a given as a (should be b)."""
    return Value.from_gate(a.data * b.data, (a, b), (a.data, b.data), "*")


def test_fails_a_wrong_local_gradient_and_says_wrong():
    report = gradcheck(wrong_sigmoid, 0.8)
    assert not report.passed and not bool(report)
    assert report["x"].verdict == "WRONG"
    text = str(report)
    assert "WRONG" in text
    assert "FAILED: the gradient of x disagrees with central differences" in text
    assert "f is smooth there, so above 1e-06 the gradient is wrong" in text


def test_fails_only_the_wrong_input():
    report = gradcheck(swapped_multiply, 2.0, -3.0)
    assert not report.passed
    assert report["a"].verdict == "WRONG" and report["b"].verdict == "WRONG"  # both wrong when a ≠ b
    assert "gradient of a, b disagrees" in str(report)
    one_wrong = gradcheck(lambda a, b: Value.from_gate(a.data * b.data, (a, b), (b.data, 2 * a.data), "*"), 2.0, -3.0)
    assert one_wrong["a"].verdict == "excellent" and one_wrong["b"].verdict == "WRONG"
    assert "gradient of b disagrees" in str(one_wrong)


def test_fails_a_wrong_array_gate_and_points_at_the_element():
    def bad_square(x: Value) -> Value:
        local = 2 * x.data
        local[1, 0] *= 1.5  # one element wrong
        return Value.from_gate(x.data**2, (x,), (local,), "x²")

    report = gradcheck(lambda x: bad_square(x).sum(), np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert not report.passed
    assert "x[1, 0]" in str(report) and "WRONG" in str(report)
    assert report["x"].judged[1, 0] > 1e-2 and report["x"].judged[0, 0] == 0.0


def test_fails_a_wrong_rule():
    def bad_sum(x: Value) -> Value:
        return Value.from_gate(float(np.sum(x.data)), (x,), (Rule(lambda G: 2.0 * G * np.ones(x.shape), "2G"),), "Σ")

    assert not gradcheck(bad_sum, np.array([1.0, 2.0])).passed


def test_uncomfortable_error_fails_but_is_not_called_wrong():
    def slightly_off(x: Value) -> Value:
        return Value.from_gate(x.data**2, (x,), (2 * x.data * (1 + 1e-3),), "x²")

    report = gradcheck(slightly_off, 1.5)
    assert report["x"].verdict == "uncomfortable" and not report.passed


def tanh_off_by(factor: float):
    """A tanh gate whose local gradient is (1 − t²)·factor: right only for factor 1."""

    def gate(x: Value) -> Value:
        t = np.tanh(x.data)
        return Value.from_gate(t, (x,), ((1 - t * t) * factor,), "tanh")

    return gate


def test_a_tanh_gate_wrong_by_five_in_a_hundred_thousand_fails():
    """CS231n: without kinks, 1e-4 is too high. The smooth tanh is judged strictly (above 1e-6 fails)."""
    report = gradcheck(tanh_off_by(1 + 5e-5), 0.7)
    assert report["x"].rel_error == pytest.approx(5e-5, rel=1e-3)
    assert not report.passed and report.checked_all
    text = str(report)
    assert "too high for a smooth f" in text and text.splitlines()[-1].startswith("FAILED: the gradient of x")
    assert gradcheck(tanh_off_by(1.0), 0.7).passed  # the control: the right gate passes


@settings(PROFILE)
@given(x=st.floats(-3, 3), exponent=st.floats(-5.5, -2))
def test_any_smooth_gate_off_by_more_than_1e_6_fails(x, exponent):
    """Wherever tanh is (smooth everywhere), a local gradient off by a factor 1 + 10^exponent ≥ 3e-6 fails."""
    report = gradcheck(lambda v: tanh_off_by(1 + 10**exponent)(v) * 2.0, x)
    assert report.checked_all and not report.passed, str(report)


@settings(PROFILE)
@given(hnp.arrays(np.float64, st.sampled_from([(), (3,), (2, 2)]), elements=st.floats(-2, 2)))
def test_right_smooth_gradients_agree_far_below_the_limit(x):
    """In float64 with h = 1e-5 a right gradient of a smooth f agrees to ~1e-10: SMOOTH_LIMIT 1e-6 leaves room."""
    x = float(x) if np.shape(x) == () else x
    report = gradcheck(lambda v: ((v * 1.3 + 0.2).tanh() * v.sigmoid() + (v * v).exp() * 0.1).sum(), x)
    assert report.passed and report.checked_all, str(report)
    assert report.checks[0].worst < 1e-8


# ---------------------------------------------------------------------------
# kinks: relu at 0, max at a tie
# ---------------------------------------------------------------------------


def test_relu_at_zero_is_a_kink_not_an_error():
    report = gradcheck(lambda x: x.relu(), 0.0)
    assert report.checks[0].kink and not report.checks[0].jump
    assert report.passed and not report.checked_all  # nothing checked disagreed; but x was not checked
    text = str(report)
    assert "kink: not checked" in text
    assert "note: f has a kink at x (the slopes from the left and from the right differ)" in text
    assert text.splitlines()[-1] == ("NOT CHECKED: x (a kink): f is not smooth there, so central differences cannot judge it.")
    assert "PASSED" not in text


def test_max_at_a_tie_is_a_kink_for_both_inputs():
    report = gradcheck(lambda a, b: a.maximum(b), 1.0, 1.0)
    assert report["a"].kink and report["b"].kink and report.passed
    assert "PASSED" not in str(report)


def test_kinks_in_arrays_are_flagged_elementwise():
    report = gradcheck(lambda x: x.relu().sum(), np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(report["x"].kink, [False, True, False])
    assert report.passed
    text = str(report)
    assert "kink at x[1]" in text and "(all 2 checked elements agree)" in text
    assert text.splitlines()[-1].endswith("Not checked: 1 of 3 elements of x (a kink).")


@settings(PROFILE)
@given(offset=st.floats(-0.99, 0.99), slope=st.floats(0.2, 5.0), bend=st.floats(0.5, 5.0))
def test_a_kink_within_h_is_never_judged_as_a_smooth_point(offset, slope, bend):
    """f = slope·x + bend·relu(x − d) with the corner d anywhere within h of x: either the element is
    called a kink (not checked), or the central difference still agrees (the corner barely matters)."""
    h = 1e-5
    corner = offset * h
    report = gradcheck(lambda x: x * slope + (x - corner).relu() * bend, 0.0, h=h)
    check = report["x"]
    assert not check.jump
    assert bool(check.kink) or check.passed, str(report)
    assert report.passed  # a kink is never reported as a wrong gradient


@settings(PROFILE)
@given(offset=st.floats(-0.99, 0.99), size=st.floats(0.01, 10.0), slope=st.floats(-3.0, 3.0))
def test_a_jump_within_h_is_called_a_jump_not_a_kink(offset, size, slope):
    """f = slope·x + size·[x > d] (a step) with d within h of x: a jump, not checked, never PASSED for x."""
    h = 1e-5
    corner = offset * h

    def step(x: Value) -> Value:
        return x * slope + (size if x.data > corner else 0.0)

    report = gradcheck(step, 0.0, h=h)
    assert report["x"].jump and not report["x"].kink, str(report)
    text = str(report)
    assert "jump: not checked" in text and "PASSED" not in text and "f jumps at x" in text


def test_the_branch_switch_of_lecture_7_is_a_jump():
    """Lecture 7's program at x = 1e-9: the first if sits next to z = 0 and f drops from 3.86 to 8e-9."""

    def program(x, y):
        z = x
        for _ in range(3):
            z = z * y if z.data > 0 else (z + y).tanh()
        return z

    report = gradcheck(program, 1e-9, 2.0)
    assert report["x"].jump and report["y"].passed and not report["y"].unchecked
    last = str(report).splitlines()[-1]
    assert last.startswith("PASSED for y:") and last.endswith("Not checked: x (a jump).")


def test_smooth_points_are_not_kinks():
    report = gradcheck(lambda x: (x * x * 40.0).sigmoid(), 0.01)  # steep but smooth
    assert not report.checks[0].kink and report.passed


# ---------------------------------------------------------------------------
# the report, for humans
# ---------------------------------------------------------------------------


def test_report_text_has_the_key_parts():
    def loss(weight, bias):
        return (weight * 3.0 + bias).tanh()

    report = gradcheck(loss, 0.5, -1.0)
    text = str(report)
    lines = text.splitlines()
    assert lines[0].startswith("gradcheck of loss(weight, bias) at weight=0.5, bias=-1 (output")
    assert "central differences" in lines[0]
    header = lines[1]
    for column in ("input", "analytic", "numeric", "rel. error", "verdict"):
        assert column in header
    assert lines[2].split()[0] == "weight" and lines[3].split()[0] == "bias"
    assert f"{report['weight'].analytic:.6g}" in lines[2]
    assert lines[-1].startswith("PASSED: backprop agrees with central differences")


def test_report_names_inputs_by_parameter_names_labels_or_position():
    assert [c.name for c in gradcheck(lambda alpha, beta: alpha * beta, 1.0, 2.0).checks] == ["alpha", "beta"]
    assert [c.name for c in gradcheck(lambda *xs: xs[0] * xs[1], 1.0, 2.0).checks] == ["x0", "x1"]
    assert [c.name for c in gradcheck(lambda a, b: a * b, Value(1.0, "w"), 2.0).checks] == ["w", "b"]
    assert "f(alpha, beta)" in str(gradcheck(lambda alpha, beta: alpha * beta, 1.0, 2.0))  # lambdas are called f


def test_report_lookup_by_name():
    report = gradcheck(lambda x, y: x * y, 1.0, 2.0)
    assert report["y"].analytic == 1.0
    with pytest.raises(KeyError, match=r"no input named 'z'; inputs are \['x', 'y'\]"):
        report["z"]


def test_report_in_ipython_is_the_text():
    report = gradcheck(lambda x: x * x, 3.0)

    class Printer:
        def __init__(self):
            self.out = ""

        def text(self, s):
            self.out += s

    p = Printer()
    report._repr_pretty_(p, False)
    assert p.out == str(report)
    assert isinstance(report, GradcheckReport)


def test_rounding_noise_counts_as_agreement():
    """At x = 1e-7 the true ∂(x² + eʸ)/∂x = 2e-7 is tiny next to f ≈ 7.4, so rounding in f(x ± h)
    gives a relative error near 1e-4: that is noise, not a wrong gradient, and the report says so."""
    report = gradcheck(lambda x, y: x * x + y.exp(), 1e-7, 2.0)
    assert report["x"].rel_error > 1e-5 and report["x"].noise
    assert report.passed and report["x"].verdict == "excellent"
    text = str(report)
    assert "fine (the difference is rounding noise)" in text
    # noise is not reported as the worst error
    assert text.splitlines()[-1].endswith("to better than 1e-7 (rounding noise aside).")


# ---------------------------------------------------------------------------
# verdicts and relative errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel, kink, said",
    [
        (0.5, False, "WRONG"),
        (2e-2, True, "WRONG"),
        (1e-2, False, "uncomfortable"),  # at an edge the milder word
        (1e-3, True, "uncomfortable"),
        (1e-4, False, "too high for a smooth f"),
        (1e-6, False, "too high for a smooth f"),
        (1e-6, True, "okay at a kink"),
        (1e-7, False, "excellent"),
        (1e-9, True, "excellent"),
    ],
)
def test_verdicts_follow_cs231n_bands(rel, kink, said):
    assert verdict(rel, kink) == said


def test_the_module_quotes_cs231n_bands():
    module = importlib.import_module("coursegrad.gradcheck")  # the package's name gradcheck is the function

    for quoted in (
        '"usually means the gradient is probably wrong"',
        '"should make you feel uncomfortable"',
        '"is usually okay for objectives with kinks. But if',
        '"you should be happy"',
        "O(h²)",
        "float64",
    ):
        assert quoted in module.__doc__


def test_relative_error():
    np.testing.assert_allclose(relative_error(1.0, 1.1), 0.1 / 1.1)
    assert relative_error(0.0, 0.0) == 0.0
    np.testing.assert_allclose(relative_error([1.0, -2.0], [1.0, 2.0]), [0.0, 2.0])


# ---------------------------------------------------------------------------
# bad use
# ---------------------------------------------------------------------------


def test_f_must_return_a_value():
    with pytest.raises(TypeError, match=r"returned float, not a Value: build the result from the Values it is given"):
        gradcheck(lambda x: math.exp(x.data), 1.0)


def test_f_must_return_one_number():
    with pytest.raises(ValueError, match="must return one number"):
        gradcheck(lambda x: x * 2.0, np.array([1.0, 2.0]))


def test_bad_inputs_are_named():
    with pytest.raises(TypeError, match="gradcheck input got NoneType"):
        gradcheck(lambda x: x, None)


def test_relative_errors_below_1e_7_are_shown_without_their_noise_digits():
    """Digits of a relative error below 1e-7 are rounding noise that differs between machines."""
    good = str(gradcheck(lambda x, y: (x * y).sigmoid(), 2.0, -3.0))
    assert "< 1e-07" in good and "e-10" not in good and "e-11" not in good
    wrong = gradcheck(lambda x: Value.from_gate(x.data**2, (x,), (3 * x.data,), "sq"), 1.5)
    assert "3.3e-01" in str(wrong)  # a real error keeps its digits: |4.5 - 3| / 4.5


def test_an_array_with_a_real_error_shows_its_worst_element():
    def wrong(W):  # the local gradient of the element [1, 0] is off by 10%
        local = 2 * W.data
        local[1, 0] *= 1.1
        return Value.from_gate(float((W.data**2).sum()), (W,), (local,), "sumsq").__mul__(1.0)

    text = str(gradcheck(wrong, np.array([[1.0, 2.0], [3.0, 4.0]])))
    assert "W[1, 0]" in text and "(worst of 4 elements)" in text and "WRONG" in text
