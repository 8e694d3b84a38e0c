"""The public checks of the worksheet: right answers pass, known mistakes get their hint, no hint gives the answer.

Also: every number the checks treat as right is backed by central differences (not only by backprop).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from coursegrad import Value, numerical_grad
from coursegrad import checks as K

# ---------------------------------------------------------------------------
# The right answers are right: central differences agree with the engine
# ---------------------------------------------------------------------------


def test_exercise_1_values_agree_with_central_differences():
    g, r = K.GRAPH_INPUTS, K.graph_values()
    f = lambda a, b, c, d, e: (a * b + c) * max(d, e)
    assert r["f"] == f(*g.values()) == -6.0
    # d < e by a margin, so max is smooth at this point and central differences apply
    numeric = numerical_grad(lambda *v: f(*v), *g.values())
    assert np.allclose([r[f"df_d{k}"] for k in g], numeric, atol=1e-8)


def test_exercise_2_values_agree_with_central_differences():
    r, (x, y) = K.fork_values(), K.FORK_INPUTS.values()
    g = lambda x, y: (x * y + x) ** 2
    assert r["g"] == g(x, y)
    assert np.allclose([r["dg_dx"], r["dg_dy"]], numerical_grad(g, x, y), atol=1e-6)
    assert r["dx_via_a"] + r["dx_direct"] == r["dg_dx"]  # the fork: the two paths add up


def test_exercise_3_values_agree_with_central_differences():
    r, w, x, b = K.tanh_values(), K.TANH_INPUTS["w"], K.TANH_INPUTS["x"], K.TANH_INPUTS["b"]
    o = lambda w0, w1, b: math.tanh(w0 * x[0] + w1 * x[1] + b)
    assert math.isclose(r["o"], o(*w, b))
    assert np.allclose([r["dw0"], r["dw1"], r["db"]], numerical_grad(o, *w, b), rtol=1e-7)


def test_exercise_5_values_agree_with_central_differences():
    r, s = K.scaling_values(), K.SCALE_INPUTS
    for key, scale in (("", 1.0), ("_scaled", s["scale"])):
        x = np.array(s["x"]) * scale
        L = lambda w, x: s["upstream"] * float(np.dot(w, x))
        dw, dx = numerical_grad(L, np.array(s["w"]), x)
        assert np.allclose(r["dw" + key], dw, rtol=1e-6) and np.allclose(r["dx" + key], dx, rtol=1e-6)
    assert r["lr_factor"] == 1 / 1000


def test_exercise_6_values():
    r = K.sigmoid_depth_values()
    sig = lambda x: 1 / (1 + math.exp(-x))
    slope = numerical_grad(sig, 0.0)[0]
    assert math.isclose(r["max_local_grad"], 0.25) and math.isclose(slope, 0.25, rel_tol=1e-8)
    assert r["max_at_x"] == 0.0 and r["bound_5_layers"] == 0.25**5
    assert 0.25 ** r["layers_below_1e6"] < 1e-6 <= 0.25 ** (r["layers_below_1e6"] - 1)


def test_exercise_7_reference_agrees_with_central_differences():
    W, X, dD, dW, dX = K.matmul_case(0)
    L = lambda W, X: float(np.sum((W @ X) * dD))
    nW, nX = numerical_grad(L, W, X)
    assert np.allclose(dW, nW, atol=1e-7) and np.allclose(dX, nX, atol=1e-7)


# ---------------------------------------------------------------------------
# Right answers pass, wrong ones get a hint that does not give the answer away
# ---------------------------------------------------------------------------


def hint(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as err:
        check(*args, **kwargs)
    return str(err.value)


def no_answer_in(message: str, *answers: float) -> None:
    for a in answers:
        assert f"{a:g}" not in message.replace("1e-6", "").replace("0.25**", ""), (message, a)


def test_exercise_1_right_answers_pass(capsys):
    K.check_graph_forward(-6.0)
    K.check_graph_backward(df_da=6, df_db=-9.0, df_dc=3.0, df_dd=0.0, df_de=np.float64(-2.0))
    assert capsys.readouterr().out.count("✓") == 6


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"df_da": -6.0}, "the sign is wrong"),
        ({"df_da": 2.0}, "multiply it by the gradient flowing into the gate from above"),
        ({"df_da": -9.0}, "Which input does the multiply gate swap in?"),
        ({"df_db": 6.0}, "Which input does the multiply gate swap in?"),
        ({"df_dc": 1.0}, "multiply it by the gradient"),
        ({"df_dd": -2.0}, "the max gate routes the whole gradient to the input that won"),
        ({"df_de": 0.0}, "the max gate routes"),
        ({"df_de": 3.0}, "Which input does the multiply gate swap in?"),
        ({"df_da": 123.0}, "not right yet"),
    ],
)
def test_exercise_1_mistakes_get_hints(answers, expected):
    message = hint(K.check_graph_backward, **answers)
    assert expected in message
    name = next(iter(answers))
    no_answer_in(message, K.graph_values()[name])


def test_every_wrong_answer_is_named(capsys):
    message = hint(K.check_graph_backward, df_da=6.0, df_db=9.0, df_dc=0.0)
    assert "✓ df_da is right" in capsys.readouterr().out
    assert message.count("\n") == 1 and message.startswith("df_db:") and "df_dc" in message


def test_forward_hint():
    assert "max(d, e) is the larger of d and e" in hint(K.check_graph_forward, 2.0)  # q·d instead of q·e
    assert "Compute q = a·b + c" in hint(K.check_graph_forward, 5.0)


def test_fork_partial_points(capsys):
    points = K.score_fork_backward(points=2.0, dg_dx=12.0, dg_dy=-18.0, dx_via_a=12.0, dx_direct=-6.0)
    out = capsys.readouterr().out
    assert type(points) is float and points == 1.5
    assert "x is used twice" in out and "points: 1.5 / 2" in out
    no_answer_in(out.replace("points: 1.5 / 2", ""), 6.0)
    assert K.score_fork_backward(points=2.0, dg_dx=6.0, dg_dy=-18.0, dx_via_a=12.0, dx_direct=-6.0) == 2.0
    assert K.score_fork_backward(points=2.0, dg_dx=6.0) == 0.5  # unanswered ones count as wrong
    K.check_fork_forward(g_value=9.0, dg_db=-6.0)
    assert "the local gradient of b² is 2b" in hint(K.check_fork_forward, dg_db=-3.0)


def test_tanh_neuron_hints():
    r = K.tanh_values()
    K.check_tanh_neuron(o_value=0.664, do_dw0=1.12, do_dw1=-0.671, do_db=0.559)  # three significant digits
    n, x0 = r["n"], K.TANH_INPUTS["x"][0]
    assert "1 − n²" in hint(K.check_tanh_neuron, do_dw0=(1 - n * n) * x0)
    assert "not tanh(n)" in hint(K.check_tanh_neuron, do_dw0=r["o"] * x0)
    assert "multiply by tanh's local gradient" in hint(K.check_tanh_neuron, do_db=1.0)
    assert "that is n" in hint(K.check_tanh_neuron, o_value=n)


def test_scaling_hints():
    K.check_scaling(dw=[8, 2, -4], dw_scaled=np.array([8000.0, 2000.0, -4000.0]), dx_scaled=(1.0, -3.0, 4.0), lr_factor=0.001)
    assert "dw's local gradient is the data" in hint(K.check_scaling, dw_scaled=[8.0, 2.0, -4.0])
    assert "dx's local gradient is w" in hint(K.check_scaling, dx_scaled=[1000.0, -3000.0, 4000.0])
    assert "smaller step" in hint(K.check_scaling, lr_factor=1000)
    assert "should hold 3 numbers" in hint(K.check_scaling, dw=[8.0, 2.0])
    assert "element(s) [2]" in hint(K.check_scaling, dw=[8.0, 2.0, 4.0])


def test_sigmoid_depth_hints():
    K.check_sigmoid_depth(max_local_grad=0.25, max_at_x=0, bound_5_layers=0.25**5, layers_below_1e6=10)
    assert "multiply along a chain" in hint(K.check_sigmoid_depth, bound_5_layers=1.25)
    assert "not σ(0)" in hint(K.check_sigmoid_depth, bound_5_layers=0.5**5)
    message = hint(K.check_sigmoid_depth, layers_below_1e6=9)
    assert "really below" in message
    no_answer_in(message, 10)


def test_shape_hints():
    K.check_shapes(shape_dW=(4, 3), shape_dX=[3, 5])
    assert "that is D's shape" in hint(K.check_shapes, shape_dW=(4, 5))
    assert "tuple of 2 integers" in hint(K.check_shapes, shape_dX=15)


def test_matmul_backward_check():
    K.check_matmul_backward(lambda W, X, dD: (dD @ X.T, W.T @ dD))
    assert "has shape (3, 5)" in hint(K.check_matmul_backward, lambda W, X, dD: (X, W.T @ dD))
    assert "right shape but wrong values" in hint(K.check_matmul_backward, lambda W, X, dD: (2 * dD @ X.T, W.T @ dD))
    assert "return dW, dX" in hint(K.check_matmul_backward, lambda W, X, dD: dD @ X.T)

    def unanswered(W, X, dD):
        raise NotImplementedError()

    assert "not written yet" in hint(K.check_matmul_backward, unanswered)


# ---------------------------------------------------------------------------
# Gates written with Value.from_gate
# ---------------------------------------------------------------------------


def sigmoid_gate(x):
    s = 1.0 / (1.0 + math.exp(-x.data))
    return Value.from_gate(s, (x,), (s * (1.0 - s),), "sigmoid")


def divide_gate(a, b):
    return Value.from_gate(a.data / b.data, (a, b), (1.0 / b.data, -a.data / b.data**2), "div")


def test_right_gates_pass_and_show_the_gradcheck_report(capsys):
    K.check_sigmoid_gate(sigmoid_gate)
    K.check_divide_gate(divide_gate)
    out = capsys.readouterr().out
    assert out.count("PASSED") == 2 and "✓ sigmoid_gate" in out and "✓ divide_gate" in out


def test_gate_mistakes_get_hints():
    def forgot_one_minus(x):
        s = 1.0 / (1.0 + math.exp(-x.data))
        return Value.from_gate(s, (x,), (s,), "sigmoid")

    def wrong_sign(x):
        s = 1.0 / (1.0 + math.exp(-x.data))
        return Value.from_gate(s, (x,), (-s * (1 - s),), "sigmoid")

    def built_in(x):
        return x.sigmoid()

    def chain(x):
        return 1 / (1 + (-x).exp())

    def unanswered(x):
        raise NotImplementedError()

    def no_factor(a, b):
        return Value.from_gate(a.data / b.data, (a, b), (1.0 / b.data, -1.0 / b.data**2), "div")

    def sign_b(a, b):
        return Value.from_gate(a.data / b.data, (a, b), (1.0 / b.data, a.data / b.data**2), "div")

    assert "That is σ(x) itself" in hint(K.check_sigmoid_gate, forgot_one_minus)
    assert "Check the sign" in hint(K.check_sigmoid_gate, wrong_sign)
    assert "Value.from_gate(...)" in hint(K.check_sigmoid_gate, built_in)
    assert "write ONE gate" in hint(K.check_sigmoid_gate, chain)
    assert "not written yet" in hint(K.check_sigmoid_gate, unanswered)
    assert "you left out a factor" in hint(K.check_divide_gate, no_factor)
    assert "Check the sign" in hint(K.check_divide_gate, sign_b)
    assert "returned float" in hint(K.check_divide_gate, lambda a, b: a.data / b.data)


# ---------------------------------------------------------------------------
# Answers are read strictly
# ---------------------------------------------------------------------------


class Anything(float):
    """An answer that claims to equal everything."""

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__

    def __sub__(self, other):
        return 0.0

    def __float__(self):
        return -6.0


def test_objects_pretending_to_be_the_answer_get_nothing():
    assert K.as_number("f", Anything(1.0)) == 1.0
    assert "not right yet" in hint(K.check_graph_forward, Anything(1.0))
    with pytest.raises(AssertionError):
        K.expect_close("f_value", Anything(1.0), -6.0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "got the bool"),
        ("6", "got str"),
        (Value(6.0), "Use its .data or .grad"),
        (float("nan"), "finite"),
        (None, "got NoneType"),
    ],
)
def test_answers_that_are_not_numbers_are_explained(value, expected):
    assert expected in hint(K.check_graph_backward, df_da=value)


def test_expect_helpers():
    K.expect_close("x", 0.1 + 0.2, 0.3)
    K.expect_close("v", [1, 2.0], [1.0, 2.0])
    K.expect_shape("s", (4, 3), (4, 3))
    for bad in (
        lambda: K.expect_close("x", 0.31, 0.3),
        lambda: K.expect_close("v", [1.0], [1.0, 2.0]),
        lambda: K.expect_shape("s", (3, 4), (4, 3)),
    ):
        with pytest.raises(AssertionError):
            bad()
    with pytest.raises(TypeError, match="unknown answer name"):
        K.check_graph_backward(df_dz=1.0)
