"""Worksheet 1's checks: right answers pass, known mistakes get their hint, no hint gives the answer.

Also: every number the instructor source gives as right is backed by central differences (not only by
backprop), and the checks accept it. The right values live in the instructor source (`S`, its solution
cells run); the checks compute what they compare with inside each check and return none of it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_checking import SOURCES, run_solutions

from coursegrad import Value, checking, numerical_grad
from coursegrad.exercises import backprop_by_hand as K

S = run_solutions(SOURCES[0])  # the instructor's answers to worksheet 1

# ---------------------------------------------------------------------------
# The right answers are right: central differences agree with the source's answers, and the checks accept them
# ---------------------------------------------------------------------------


def test_exercise_1_values_agree_with_central_differences(capsys):
    g = K.GRAPH_INPUTS
    f = lambda a, b, c, d, e: (a * b + c) * max(d, e)
    assert S["f_value"] == f(*g.values()) == -6.0
    assert (S["q_value"], S["m_value"]) == (g["a"] * g["b"] + g["c"], max(g["d"], g["e"]))
    assert np.allclose([S["df_dq"], S["df_dm"]], numerical_grad(lambda q, m: q * m, S["q_value"], S["m_value"]))
    # d < e by a margin, so max is smooth at this point and central differences apply
    numeric = numerical_grad(lambda *v: f(*v), *g.values())
    assert np.allclose([S[f"df_d{k}"] for k in g], numeric, atol=1e-8)
    K.check_graph_backward(**{f"df_d{k}": S[f"df_d{k}"] for k in g})
    assert capsys.readouterr().out.count("✓") == 5


def test_exercise_2_values_agree_with_central_differences():
    x, y = K.FORK_INPUTS.values()
    g = lambda x, y: (x * y + x) ** 2
    assert S["g_value"] == g(x, y)
    assert math.isclose(S["dg_da"], numerical_grad(lambda a: (a + x) ** 2, x * y)[0], rel_tol=1e-7)
    assert np.allclose([S["dg_dx"], S["dg_dy"]], numerical_grad(g, x, y), atol=1e-6)
    assert S["dx_via_a"] + S["dx_direct"] == S["dg_dx"]  # the fork: the two paths add up
    fork = {k: S[k] for k in ("dg_dx", "dg_dy", "dx_via_a", "dx_direct")}
    assert K.score_fork_backward(points=2.0, **fork) == 2.0


def test_exercise_3_values_agree_with_central_differences():
    w, x, b = K.TANH_INPUTS["w"], K.TANH_INPUTS["x"], K.TANH_INPUTS["b"]
    o = lambda w0, w1, b: math.tanh(w0 * x[0] + w1 * x[1] + b)
    assert math.isclose(S["o_value"], o(*w, b))
    assert np.allclose([S["do_dw0"], S["do_dw1"], S["do_db"]], numerical_grad(o, *w, b), rtol=1e-7)
    K.check_tanh_neuron(**{k: S[k] for k in ("n_value", "o_value", "do_dw0", "do_dw1", "do_db")})


def test_exercise_5_values_agree_with_central_differences():
    s = K.SCALE_INPUTS
    for key, scale in (("", 1.0), ("_scaled", s["scale"])):
        x = np.array(s["x"]) * scale
        L = lambda w, x: s["upstream"] * float(np.dot(w, x))
        dw, dx = numerical_grad(L, np.array(s["w"]), x)
        assert np.allclose(S["dw" + key], dw, rtol=1e-6)
        assert key == "" or np.allclose(S["dx" + key], dx, rtol=1e-6)
    assert math.isclose(S["lr_same_step"], 1e-3) and math.isclose(S["lr_same_training"], 1e-6)
    K.check_scaling(**{k: S[k] for k in ("dw", "dw_scaled", "dx_scaled", "lr_same_step", "lr_same_training")})


def _train(X, y, lr, steps=30):
    """Plain gradient descent on the MSE of s = X @ w from w = 0 (lecture 4's setting): the loss at every step."""
    w, losses = np.zeros(X.shape[1]), []
    for _ in range(steps):
        s = X @ w
        losses.append(float(np.mean((s - y) ** 2)))
        w = w - lr * (2 * X.T @ (s - y) / len(y))
    return np.array(losses)


def test_exercise_5_factors_do_what_the_worksheet_says():
    """lr·1e-3 keeps the first step Δw the same; only lr·1e-6 reproduces the raw training at every step."""
    r = S
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    raw = _train(X, y, 0.05)
    assert np.allclose(_train(1000 * X, y, 0.05 * r["lr_same_training"]), raw, rtol=1e-9)
    assert not np.allclose(_train(1000 * X, y, 0.05 * r["lr_same_step"]), raw, rtol=1e-3)
    step = lambda X, lr: lr * (2 * X.T @ (0 - y) / len(y))  # the first step, from w = 0
    assert np.allclose(step(1000 * X, 0.05 * r["lr_same_step"]), step(X, 0.05))


def test_exercise_6_the_bound_is_a_bound_and_not_attained():
    sup = K._chain_sup()
    assert 6.80e-4 < sup < 6.82e-4 < 0.25**5  # the composed chain never reaches the lecture's bound
    x = np.linspace(-2, 2, 801)
    h = x
    for _ in range(5):
        h = 1 / (1 + np.exp(-h))
    slope = np.gradient(h, x)  # central differences on the composed chain
    assert abs(slope.max() - sup) < 1e-6


def test_exercise_6_values():
    r = S
    sig = lambda x: 1 / (1 + math.exp(-x))
    slope = numerical_grad(sig, 0.0)[0]
    assert math.isclose(r["max_local_grad"], 0.25) and math.isclose(slope, 0.25, rel_tol=1e-8)
    assert r["max_at_x"] == 0.0 and r["bound_5_layers"] == 0.25**5
    assert 0.25 ** r["layers_below_1e6"] < 1e-6 <= 0.25 ** (r["layers_below_1e6"] - 1)
    K.check_sigmoid_depth(**{k: S[k] for k in ("max_local_grad", "max_at_x", "bound_5_layers", "layers_below_1e6")})


def test_exercise_7_reference_agrees_with_central_differences(capsys):
    X, W, b, dY = K._affine_inputs(0, (5, 3, 4))
    dX, dW, db = S["affine_backward"](X, W, b, dY)
    L = lambda X, W, b: float(np.sum((X @ W + b) * dY))
    nX, nW, nb = numerical_grad(L, X, W, b)
    assert np.allclose(dX, nX, atol=1e-7) and np.allclose(dW, nW, atol=1e-7) and np.allclose(db, nb, atol=1e-7)
    assert [S[f"shape_d{k}"] for k in "YXWb"] == [(5, 4), (5, 3), (3, 4), (4,)]
    K.check_shapes(**{f"shape_d{k}": S[f"shape_d{k}"] for k in "YXWb"})
    assert capsys.readouterr().out.count("✓") == 4


def test_exercise_7_square_case_has_exactly_one_right_candidate_per_gradient():
    X, W, b, dY = K._affine_inputs(7, (3, 3, 3))
    Xv, Wv, bv = Value(X), Value(W), Value(b)
    (Xv @ Wv + bv).backward(dY)
    for (name, (_, candidates)), grad in zip(K._CANDIDATES.items(), (Xv.grad, Wv.grad, bv.grad), strict=True):
        right = [letter for letter, f in candidates.items() if np.allclose(f(X, W, dY), grad)]
        assert right == [S[name]], name
        assert all(f(X, W, dY).shape == grad.shape for f in candidates.values()), "shapes alone do not decide"
    K.check_square_case(**{name: S[name] for name in K._CANDIDATES})


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
    K.check_graph_forward(q_value=-2, m_value=3.0, f_value=-6.0)
    K.check_graph_backward(df_dq=3.0, df_dm=-2.0, df_da=6, df_db=-9.0, df_dc=3.0, df_dd=0.0, df_de=np.float64(-2.0))
    assert capsys.readouterr().out.count("✓") == 10


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
    no_answer_in(message, S[name])


def test_every_wrong_answer_is_named(capsys):
    message = hint(K.check_graph_backward, df_da=6.0, df_db=9.0, df_dc=0.0)
    assert "✓ df_da is right" in capsys.readouterr().out
    assert message.count("\n") == 1 and message.startswith("df_db:") and "df_dc" in message


def test_forward_hint():
    assert "max(d, e) is the larger of d and e" in hint(K.check_graph_forward, f_value=2.0)  # q·d instead of q·e
    assert "product of the two nodes" in hint(K.check_graph_forward, f_value=5.0)
    assert "add c after the product" in hint(K.check_graph_forward, q_value=-6.0)
    assert "max(d, e) is the larger" in hint(K.check_graph_forward, m_value=-1.0)
    assert "Which input does the multiply gate swap in?" in hint(K.check_graph_backward, df_dq=-2.0)


def test_fork_partial_points(capsys):
    points = K.score_fork_backward(points=2.0, dg_dx=12.0, dg_dy=-18.0, dx_via_a=12.0, dx_direct=-6.0)
    out = capsys.readouterr().out
    assert type(points) is float and points == 1.5
    assert "x is used twice" in out and "points: 1.5 / 2" in out
    no_answer_in(out.replace("points: 1.5 / 2", ""), 6.0)
    assert K.score_fork_backward(points=2.0, dg_dx=6.0, dg_dy=-18.0, dx_via_a=12.0, dx_direct=-6.0) == 2.0
    assert K.score_fork_backward(points=2.0, dg_dx=6.0) == 0.5  # unanswered ones count as wrong
    assert "no part is right yet" in hint(K.score_fork_backward, points=2.0, dg_dx=1.0)  # nothing earned: the cell fails
    K.check_fork_forward(a_value=-6.0, b_value=-3.0, g_value=9.0, dg_db=-6.0, dg_da=-6.0)
    assert "that is b, not the slope" in hint(K.check_fork_forward, dg_db=-3.0)
    assert "that is a; add x" in hint(K.check_fork_forward, b_value=-6.0)


def test_tanh_neuron_hints():
    r = {"n": S["n_value"], "o": S["o_value"]}
    K.check_tanh_neuron(n_value=0.8, o_value=0.664, do_dw0=1.12, do_dw1=-0.671, do_db=0.559)  # three significant digits
    n, x0 = r["n"], K.TANH_INPUTS["x"][0]
    assert "you used n where" in hint(K.check_tanh_neuron, do_dw0=(1 - n * n) * x0)
    assert "not by its local gradient" in hint(K.check_tanh_neuron, do_dw0=r["o"] * x0)
    assert "the tanh gate's local gradient is missing" in hint(K.check_tanh_neuron, do_db=1.0)
    assert "that is n" in hint(K.check_tanh_neuron, o_value=n)
    for message in (hint(K.check_tanh_neuron, do_dw0=5.0), hint(K.check_tanh_neuron, do_db=1.0)):
        assert "1 − o²" not in message and "1 − tanh" not in message  # hints say what is wrong, not the formula


def test_scaling_hints():
    K.check_scaling(
        dw=[8, 2, -4],
        dw_scaled=np.array([8000.0, 2000.0, -4000.0]),
        dx_scaled=(1.0, -3.0, 4.0),
        lr_same_step=0.001,
        lr_same_training=1e-6,
    )
    assert "the multiply gate sends the data to w" in hint(K.check_scaling, dw_scaled=[8.0, 2.0, -4.0])
    assert "the multiply gate sends w to x" in hint(K.check_scaling, dx_scaled=[1000.0, -3000.0, 4000.0])
    assert "smaller step" in hint(K.check_scaling, lr_same_step=1000)
    assert "this asks only for the step" in hint(K.check_scaling, lr_same_step=1e-6)
    assert "moves every score 1000× further" in hint(K.check_scaling, lr_same_training=1e-3)
    assert "should hold 3 numbers" in hint(K.check_scaling, dw=[8.0, 2.0])
    assert "element(s) [2]" in hint(K.check_scaling, dw=[8.0, 2.0, 4.0])
    message = hint(K.check_scaling, dw=[1.0, 1.0, 1.0])
    assert "∂s/∂wᵢ = xᵢ" not in message and "= x" not in message  # no formula in the hint


def test_sigmoid_depth_hints():
    K.check_sigmoid_depth(max_local_grad=0.25, max_at_x=0, bound_5_layers=0.25**5, layers_below_1e6=10)
    assert "multiply along a chain" in hint(K.check_sigmoid_depth, bound_5_layers=1.25)
    assert "not σ(0)" in hint(K.check_sigmoid_depth, bound_5_layers=0.5**5)
    assert "the lecture's bound" in hint(K.check_sigmoid_depth, bound_5_layers=K._chain_sup())
    for message in (hint(K.check_sigmoid_depth, layers_below_1e6=9), hint(K.check_sigmoid_depth, layers_below_1e6=3)):
        assert "below 1e-6" in message and "0.25" not in message and "**" not in message
        no_answer_in(message, 10)
    assert "1/2" not in hint(K.check_sigmoid_depth, max_at_x=2.0)


def test_shape_hints():
    K.check_shapes(shape_dY=(5, 4), shape_dX=[5, 3], shape_dW=(3, 4), shape_db=(4,))
    assert "that is Y's shape" in hint(K.check_shapes, shape_dW=(5, 4))
    assert "tuple of 2 integer(s)" in hint(K.check_shapes, shape_dX=15)
    assert "tuple of 1 integer(s), like (4,)" in hint(K.check_shapes, shape_db=4)


def test_square_case_hints():
    K.check_square_case(square_dX="A", square_dW=" B", square_db="A")
    message = hint(K.check_square_case, square_dX="B", square_dW="D", square_db="B")
    assert message.count("right shape only because the matrices are square") == 3
    assert "which index of W" in message and "which index of X" in message
    assert "one of the capital letters A, B" in hint(K.check_square_case, square_db="C")
    assert "capital letters" in hint(K.check_square_case, square_dX="a")  # the judge compares strings exactly


def right_affine(X, W, b, dY):
    return dY @ W.T, X.T @ dY, dY.sum(axis=0)


def test_affine_backward_check():
    K.check_affine_backward(right_affine)
    K.check_affine_backward(right_affine, cases=((838, (3, 3, 3)), (839, (1, 1, 1))))
    assert "has shape (5, 3)" in hint(K.check_affine_backward, lambda X, W, b, dY: (dY @ W.T, X, dY.sum(axis=0)))
    assert "right shape but wrong values" in hint(
        K.check_affine_backward, lambda X, W, b, dY: (dY @ W.T, X.T @ dY, dY.sum(axis=0) / len(dY))
    )
    square_only = lambda X, W, b, dY: (dY @ W, X.T @ dY, dY.sum(axis=0))  # right shape only when D = M
    assert "right shape but wrong values for (N, D, M) = (3, 3, 3)" in hint(
        K.check_affine_backward, square_only, cases=((838, (3, 3, 3)),)
    )
    assert "return three arrays: dX, dW and db" in hint(K.check_affine_backward, lambda X, W, b, dY: dY @ W.T)

    def unanswered(X, W, b, dY):
        raise NotImplementedError()

    assert "not written yet" in hint(K.check_affine_backward, unanswered)
    rows = K.probe_affine(unanswered, [[0, [2, 2, 2]]])
    assert rows == ["affine_backward is not written yet (it raises NotImplementedError)."] or "not written yet" in rows[0]


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
    assert "(1 −" not in hint(K.check_sigmoid_gate, forgot_one_minus)  # no formula in the hint
    assert "depends on a too" in hint(K.check_divide_gate, no_factor)
    assert "Check the sign" in hint(K.check_sigmoid_gate, wrong_sign)
    assert "Value.from_gate(...)" in hint(K.check_sigmoid_gate, built_in)
    assert "write ONE gate" in hint(K.check_sigmoid_gate, chain)
    assert "not written yet" in hint(K.check_sigmoid_gate, unanswered)
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
    assert checking.as_number("f", Anything(1.0)) == 1.0
    assert "not right yet" in hint(K.check_graph_forward, f_value=Anything(1.0))
    with pytest.raises(AssertionError):
        checking.expect_close("f_value", Anything(1.0), -6.0)


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
    checking.expect_close("x", 0.1 + 0.2, 0.3)
    checking.expect_close("v", [1, 2.0], [1.0, 2.0])
    checking.expect_close("a", np.array([[1.0, 2.0]]), np.array([[1.0, 2.0 + 1e-12]]))
    checking.expect_shape("s", (4, 3), (4, 3))
    for bad in (
        lambda: checking.expect_close("x", 0.31, 0.3),
        lambda: checking.expect_close("v", [1.0], [1.0, 2.0]),
        lambda: checking.expect_close("a", [[1.0, 2.0]], np.array([[1.0, 2.0]])),  # a list where an array is asked for
        lambda: checking.expect_close("a", np.array([1.0, 2.0]), np.array([[1.0, 2.0]])),
        lambda: checking.expect_shape("s", (3, 4), (4, 3)),
        lambda: checking.expect_choice("c", "B", "A", "AB"),
    ):
        with pytest.raises(AssertionError):
            bad()
    with pytest.raises(TypeError, match="unknown answer name"):
        K.check_graph_backward(df_dz=1.0)
