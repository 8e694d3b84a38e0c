"""Every operation of the engine, checked against numpy (values) and central differences (gradients).

Each test builds leaves, applies one op (or a random expression), reduces the output to one
number with fixed random weights (so every output element matters, each differently), runs
backward, and compares each leaf's gradient with an independent central difference of the
same computation written in plain numpy. Inputs are drawn by hypothesis, kept away from
kinks (relu at 0, max at a tie) and singularities (log at 0, division by 0), with modest
magnitudes. Shapes include scalars (Python floats) and broadcasting pairs.

In CI (CI=true) the hypothesis profile is derandomized, so a run is reproducible.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursegrad import Rule, Value

# ---------------------------------------------------------------------------
# hypothesis profiles: reproducible in CI, random locally
# ---------------------------------------------------------------------------

settings.register_profile("coursegrad", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("coursegrad-ci", parent=settings.get_profile("coursegrad"), derandomize=True, print_blob=True)
PROFILE = settings.get_profile("coursegrad-ci" if os.environ.get("CI", "").lower() == "true" else "coursegrad")


def prop(max_examples: int = 25):
    """The settings for one property test (the module's profile with its own example count)."""
    return settings(PROFILE, max_examples=max_examples)


# ---------------------------------------------------------------------------
# an independent gradient: central differences on the plain-numpy computation
# ---------------------------------------------------------------------------

H = 1e-6


def central_diff(f, xs: list, h: float = H) -> list:
    """(f(x + h e_k) - f(x - h e_k)) / 2h for every element k of every input; f takes numpy values."""
    grads = []
    for i, x in enumerate(xs):
        x = np.asarray(x, dtype=np.float64)
        g = np.zeros(x.shape)
        for k in np.ndindex(x.shape):
            values = []
            for step in (h, -h):
                nudged = x.copy()
                nudged[k] += step
                args = list(xs)
                args[i] = as_input(nudged)
                values.append(f(*args))
            g[k] = (values[0] - values[1]) / (2 * h)
        grads.append(g)
    return grads


def as_input(x) -> float | np.ndarray:
    """What a student passes to Value: a Python float for a single number, else a float64 array."""
    x = np.asarray(x, dtype=np.float64)
    return float(x) if x.shape == () else x


def weights_for(shape: tuple) -> float | np.ndarray:
    """Fixed, distinct, non-zero weights for each output element (so no gradient is trivially 1)."""
    rng = np.random.default_rng(len(shape) * 31 + int(np.prod(shape, dtype=int)))
    w = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return as_input(w)


def weighted_sum(out):
    """Σ w ⊙ out for a Value (with engine ops) or a numpy value."""
    w = weights_for(np.shape(out.data if isinstance(out, Value) else out))
    if isinstance(out, Value):
        return (out * w).sum() if out.shape else out * w
    return float(np.sum(np.asarray(out) * w))


def assert_close_grad(analytic, numeric, scale: float = 1.0) -> None:
    assert np.shape(analytic) == np.shape(numeric), (np.shape(analytic), np.shape(numeric))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6 * max(1.0, scale))


def check_op(value_fn, numpy_fn, *xs) -> list[Value]:
    """Check value_fn (on Values) against numpy_fn (on numpy): forward values and every leaf's gradient."""
    xs = [as_input(x) for x in xs]
    leaves = [Value(x) for x in xs]
    out = value_fn(*leaves)
    expected = numpy_fn(*xs)
    assert isinstance(out, Value)
    assert out.shape == np.shape(expected)
    assert isinstance(out.data, float) == (np.shape(expected) == ()), "a single number is a Python float"
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    loss = weighted_sum(out)
    loss.backward()
    numeric = central_diff(lambda *a: weighted_sum(numpy_fn(*a)), xs)
    scale = float(np.max(np.abs(expected))) if np.size(expected) else 1.0
    for leaf, num in zip(leaves, numeric, strict=True):
        assert isinstance(leaf.grad, float) == isinstance(leaf.data, float)
        assert_close_grad(leaf.grad, num, scale)
    return leaves


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------

BROADCAST_PAIRS = [
    ((), ()),
    ((), (3,)),
    ((3,), ()),
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((3, 1), (4,)),
    ((4,), (3, 1)),
    ((2, 1), (1, 3)),
    ((2, 3), (2, 1)),
    ((1,), (2, 3)),
    ((2, 1, 3), (4, 1)),
]
SHAPES = [(), (1,), (3,), (2, 3), (3, 1), (2, 1, 3)]


def arrays(shape, elements):
    return hnp.arrays(np.float64, shape, elements=elements)


def modest(lo: float = -3.0, hi: float = 3.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float = 0.5, hi: float = 3.0):
    """|x| in [lo, hi], either sign."""
    return st.one_of(st.floats(-hi, -lo), st.floats(lo, hi))


@st.composite
def pair(draw, left=None, right=None):
    """Two inputs of broadcast-compatible shapes."""
    a_shape, b_shape = draw(st.sampled_from(BROADCAST_PAIRS))
    a = draw(arrays(a_shape, modest() if left is None else left))
    b = draw(arrays(b_shape, modest() if right is None else right))
    return a, b


@st.composite
def one(draw, elements=None, shapes=SHAPES):
    return draw(arrays(draw(st.sampled_from(shapes)), modest() if elements is None else elements))


def sigmoid_np(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------------------
# binary elementwise ops, with broadcasting
# ---------------------------------------------------------------------------


@prop(40)
@given(pair())
def test_add(ab):
    check_op(lambda a, b: a + b, np.add, *ab)


@prop(40)
@given(pair())
def test_sub(ab):
    check_op(lambda a, b: a - b, np.subtract, *ab)


@prop(40)
@given(pair())
def test_mul(ab):
    check_op(lambda a, b: a * b, np.multiply, *ab)


@prop(40)
@given(pair(right=away_from_zero()))
def test_div(ab):
    check_op(lambda a, b: a / b, np.divide, *ab)


@prop(30)
@given(pair(left=st.integers(-3, 3).map(lambda k: k + 0.3), right=st.integers(-3, 3).map(lambda k: k + 0.7)))
def test_maximum(ab):
    """Inputs on two interleaved grids (k + 0.3 and k + 0.7): never a tie, so max has a derivative."""
    check_op(lambda a, b: a.maximum(b), np.maximum, *ab)


@prop(30)
@given(one(), modest(), st.sampled_from(["+", "-", "*", "/", "r+", "r-", "r*", "r/"]))
def test_plain_number_on_either_side(x, c, op):
    """A Python number on the left or the right is wrapped as a constant node."""
    c = c if abs(c) > 0.5 else c + 1.0
    fns = {
        "+": (lambda v: v + c, lambda a: a + c),
        "-": (lambda v: v - c, lambda a: a - c),
        "*": (lambda v: v * c, lambda a: a * c),
        "/": (lambda v: v / c, lambda a: a / c),
        "r+": (lambda v: c + v, lambda a: c + a),
        "r-": (lambda v: c - v, lambda a: c - a),
        "r*": (lambda v: c * v, lambda a: c * a),
        "r/": (lambda v: c / (v * v + 1.0), lambda a: c / (a * a + 1.0)),
    }
    check_op(*fns[op], x)


NUMPY_LEFT = {
    "+": (lambda a, v: a + v, np.add),
    "-": (lambda a, v: a - v, np.subtract),
    "*": (lambda a, v: a * v, np.multiply),
    "/": (lambda a, v: a / (v * v + 1.0), lambda a, b: a / (b * b + 1.0)),
}


@prop(30)
@given(pair(), st.sampled_from(sorted(NUMPY_LEFT)))
def test_numpy_array_on_the_left_builds_a_node(ab, op):
    """ndarray ⊕ Value: numpy defers to Value, so the result is one node (not an array of Values)."""
    a, b = ab
    a = np.atleast_1d(a)
    on_values, on_numpy = NUMPY_LEFT[op]
    out = on_values(a, Value(as_input(b)))
    assert isinstance(out, Value) and isinstance(out.data, np.ndarray) and out.data.dtype == np.float64
    check_op(lambda v: on_values(a, v), lambda bb: on_numpy(a, bb), b)


# ---------------------------------------------------------------------------
# unary elementwise ops
# ---------------------------------------------------------------------------


@prop()
@given(one())
def test_neg(x):
    check_op(lambda v: -v, np.negative, x)


@prop()
@given(one())
def test_exp(x):
    check_op(lambda v: v.exp(), np.exp, x)


@prop()
@given(one(st.floats(0.1, 5.0)))
def test_log(x):
    check_op(lambda v: v.log(), np.log, x)


@prop()
@given(one(modest(-5, 5)))
def test_tanh(x):
    check_op(lambda v: v.tanh(), np.tanh, x)


@prop()
@given(one(modest(-6, 6)))
def test_sigmoid(x):
    check_op(lambda v: v.sigmoid(), sigmoid_np, x)


@prop()
@given(one(away_from_zero(0.01, 3.0)))
def test_relu_away_from_the_kink(x):
    check_op(lambda v: v.relu(), lambda a: np.maximum(a, 0.0), x)


@prop()
@given(one(modest(-6, 6)))
def test_softplus(x):
    check_op(lambda v: v.softplus(), lambda a: np.log1p(np.exp(a)), x)


@prop(40)
@given(st.data())
def test_pow(data):
    """a ** n for integer and fractional, positive and negative exponents, each on a base where it is smooth."""
    n = data.draw(st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, 1.5, 2.5, -0.5]))
    if isinstance(n, float) or n < 0:  # fractional powers need a positive base; negative ones a base away from 0
        base = st.floats(0.5, 3.0) if isinstance(n, float) else away_from_zero(0.5, 2.0)
    else:
        base = modest(-2, 2)
    x = data.draw(one(base))
    (leaf,) = check_op(lambda v: v**n, lambda a: np.power(a, float(n)), x)
    assert leaf.grad is not None


# ---------------------------------------------------------------------------
# array ops: @, sum, mean, transpose, reshape, []
# ---------------------------------------------------------------------------


@st.composite
def matmul_operands(draw):
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["matrix @ matrix", "vector @ matrix", "matrix @ vector", "vector @ vector"]))
    a_shape = (k,) if kind.startswith("vector") else (n, k)
    b_shape = (k,) if kind.endswith("vector") else (k, m)
    return draw(arrays(a_shape, modest())), draw(arrays(b_shape, modest()))


@prop(40)
@given(matmul_operands())
def test_matmul(ab):
    check_op(lambda a, b: a @ b, np.matmul, *ab)


@prop(15)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.data())
def test_matmul_rules_are_the_slide_formulas(n, k, m, data):
    """For D = W @ X (matrices): dW = G @ Xᵀ and dX = Wᵀ @ G for the upstream gradient G."""
    W, X = data.draw(arrays((n, k), modest())), data.draw(arrays((k, m), modest()))
    w, x = Value(W), Value(X)
    D = w @ x
    G = np.arange(1.0, n * m + 1).reshape(n, m)
    D.backward(G)
    np.testing.assert_allclose(w.grad, G @ X.T)
    np.testing.assert_allclose(x.grad, W.T @ G)
    assert w.grad.shape == W.shape and x.grad.shape == X.shape  # dimension analysis: dW has W's shape
    assert all(isinstance(r, Rule) for r in D.local_grads)
    assert [r.formula for r in D.local_grads] == ["G @ Bᵀ", "Aᵀ @ G"]


@st.composite
def array_and_axis(draw):
    shape = draw(st.sampled_from([(3,), (2, 3), (3, 1), (2, 1, 3), (2, 3, 2)]))
    x = draw(arrays(shape, modest()))
    nd = len(shape)
    axis = draw(
        st.one_of(
            st.none(),
            st.integers(-nd, nd - 1),
            st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True).map(tuple),
        )
    )
    return x, axis


@prop(40)
@given(array_and_axis())
def test_sum(x_axis):
    x, axis = x_axis
    check_op(lambda v: v.sum(axis), lambda a: np.sum(a, axis=axis), x)


@prop(40)
@given(array_and_axis())
def test_mean(x_axis):
    x, axis = x_axis
    check_op(lambda v: v.mean(axis), lambda a: np.mean(a, axis=axis), x)


@prop()
@given(modest())
def test_sum_and_mean_of_a_single_number(x):
    check_op(lambda v: v.sum(), lambda a: a, x)
    check_op(lambda v: v.mean(), lambda a: a, x)


@prop()
@given(one(shapes=[(), (3,), (2, 3), (3, 1), (2, 1, 3)]))
def test_transpose(x):
    check_op(lambda v: v.T, np.transpose, x)
    check_op(lambda v: v.transpose(), np.transpose, x)


@prop(30)
@given(st.data())
def test_reshape(data):
    shape, new_shapes = data.draw(
        st.sampled_from(
            [
                ((2, 3), [(3, 2), (6,), (1, 6), (-1,), (3, -1), (2, 1, 3)]),
                ((6,), [(2, 3), (6, 1), (1, 2, 3)]),
                ((1,), [(), (1, 1)]),
                ((), [(1,), (1, 1)]),
                ((1, 1), [()]),
            ]
        )
    )
    new = data.draw(st.sampled_from(new_shapes))
    x = data.draw(arrays(shape, modest()))
    check_op(lambda v: v.reshape(*new), lambda a: np.reshape(a, new), x)
    check_op(lambda v: v.reshape(new), lambda a: np.reshape(a, new), x)  # a tuple works too, as in numpy


@prop(40)
@given(st.data())
def test_getitem(data):
    x = data.draw(arrays((3, 4), modest()))
    index = data.draw(
        st.sampled_from(
            [
                0,
                -1,
                (1, 2),
                (-1, 0),
                slice(1, 3),
                (slice(None), 1),
                (slice(None), slice(1, None, 2)),
                np.array([0, 0, 2]),  # a repeated index: its gradients add up
                (np.array([0, 2, 0]), np.array([1, 1, 1])),
                x[:, 0] > 0,  # a boolean mask
            ]
        )
    )
    check_op(lambda v: v[index], lambda a: np.asarray(a)[index], x)


def test_getitem_with_repeated_index_adds_gradients():
    x = Value(np.array([1.0, 2.0, 3.0]))
    y = x[np.array([0, 0, 0, 2])].sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


# ---------------------------------------------------------------------------
# gates written by users: Value.from_gate
# ---------------------------------------------------------------------------


def cube_gate(x: Value) -> Value:
    """x³ with its local gradient 3x², elementwise."""
    return Value.from_gate(x.data**3, (x,), (3 * x.data**2,), "cube")


def affine_gate(a: Value, b: Value) -> Value:
    """a·b + a, with local gradients (b + 1, a); works on broadcast shapes."""
    return Value.from_gate(a.data * b.data + a.data, (a, b), (b.data + 1.0, a.data), "ab+a")


def sum_of_squares_gate(x: Value) -> Value:
    """Σ x² as one gate whose local gradient is a Rule: G ↦ 2x·G."""
    return Value.from_gate(float(np.sum(x.data**2)), (x,), (Rule(lambda G: 2 * x.data * G, "2x·G"),), "Σx²")


@prop()
@given(one())
def test_from_gate_elementwise(x):
    check_op(cube_gate, lambda a: a**3, x)


@prop()
@given(pair())
def test_from_gate_with_two_inputs_and_broadcasting(ab):
    check_op(affine_gate, lambda a, b: a * b + a, *ab)


@prop()
@given(one(shapes=[(3,), (2, 3)]))
def test_from_gate_with_a_rule(x):
    check_op(sum_of_squares_gate, lambda a: float(np.sum(a**2)), x)


@prop()
@given(modest(), modest())
def test_from_gate_inside_a_bigger_expression(a, b):
    check_op(lambda x, y: cube_gate(x * y + 1.0).tanh() * x, lambda x, y: np.tanh((x * y + 1.0) ** 3) * x, a, b)


def test_from_gate_records_what_it_was_given():
    x = Value(2.0, "x")
    y = Value.from_gate(8.0, (x, 3.0), (12.0, 0.0), "mine")
    assert (y.data, y.op, y.local_grads) == (8.0, "mine", (12.0, 0.0))
    assert y.inputs[0] is x and y.inputs[1].constant and y.inputs[1].data == 3.0
    y.backward()
    assert x.grad == 12.0


# ---------------------------------------------------------------------------
# composite expressions: random programs over a pool of nodes (forks included)
# ---------------------------------------------------------------------------

UNARY = {
    "tanh": (Value.tanh, np.tanh),
    "sigmoid": (Value.sigmoid, sigmoid_np),
    "softplus": (Value.softplus, lambda a: np.log1p(np.exp(a))),
    "neg": (lambda v: -v, np.negative),
    "square": (lambda v: v * v, lambda a: a * a),
    "pow3": (lambda v: v**3, lambda a: a**3),
    "exp(tanh)": (lambda v: v.tanh().exp(), lambda a: np.exp(np.tanh(a))),
    "log(1+x²)": (lambda v: (v * v + 1.0).log(), lambda a: np.log(a * a + 1.0)),
    "2 - x": (lambda v: 2.0 - v, lambda a: 2.0 - a),
}
BINARY = {
    "+": (lambda a, b: a + b, np.add),
    "-": (lambda a, b: a - b, np.subtract),
    "*": (lambda a, b: a * b, np.multiply),
    "a / (1 + b²)": (lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
    "tanh(a) * b": (lambda a, b: a.tanh() * b, lambda a, b: np.tanh(a) * b),
}


@st.composite
def programs(draw, shapes):
    n_inputs = len(shapes)
    steps = []
    for k in range(draw(st.integers(1, 8))):
        pool = n_inputs + k
        if draw(st.booleans()):
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, pool - 1)), None))
        else:
            i, j = draw(st.integers(0, pool - 1)), draw(st.integers(0, pool - 1))  # i == j is x ⊕ x: a fork
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))), i, j))
    return steps


def run_program(steps, inputs, numpy_side: bool):
    pool = list(inputs)
    for kind, name, i, j in steps:
        fn = (UNARY if kind == "unary" else BINARY)[name][1 if numpy_side else 0]
        pool.append(fn(pool[i]) if kind == "unary" else fn(pool[i], pool[j]))
    outputs = pool[len(inputs) :]
    if numpy_side:
        return sum(weighted_sum(o) for o in outputs)
    total = weighted_sum(outputs[0])
    for o in outputs[1:]:
        total = total + weighted_sum(o)
    return total


SHAPE_SETS = [[(), ()], [(), (3,)], [(3,), (3,), ()], [(2, 3), (3,)], [(3, 1), (4,)], [(2, 1), (1, 3), ()]]


@prop(60)
@given(st.data())
def test_random_expressions(data):
    """Random expressions mixing every elementwise op, reusing nodes (forks), scalars and broadcast arrays."""
    shapes = data.draw(st.sampled_from(SHAPE_SETS))
    xs = [as_input(data.draw(arrays(s, modest(-2, 2)))) for s in shapes]
    steps = data.draw(programs(shapes))
    leaves = [Value(x) for x in xs]
    loss = run_program(steps, leaves, numpy_side=False)
    expected = run_program(steps, xs, numpy_side=True)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-10, atol=1e-10)
    loss.backward()
    numeric = central_diff(lambda *a: run_program(steps, a, numpy_side=True), xs)
    for leaf, num in zip(leaves, numeric, strict=True):
        assert_close_grad(leaf.grad, num, scale=abs(expected))


@prop(30)
@given(arrays((4, 3), modest()), arrays((3, 2), modest()), arrays((2,), modest()), arrays((4, 2), modest()))
def test_composite_layer_with_every_array_op(X, W, b, T):
    """A layer, a loss and reshuffles: tanh(X @ W + b), transposed, reshaped, indexed, reduced."""

    def f_value(X, W, b, T):
        h = (X @ W + b).tanh()
        z = h.T.reshape(8)[np.array([0, 3, 3, 7])]
        return ((h - T) ** 2).mean() + z.sum() * 0.1 + h.mean(axis=0).sigmoid().sum()

    def f_numpy(X, W, b, T):
        h = np.tanh(X @ W + b)
        z = h.T.reshape(8)[np.array([0, 3, 3, 7])]
        return np.mean((h - T) ** 2) + z.sum() * 0.1 + sigmoid_np(h.mean(axis=0)).sum()

    check_op(f_value, f_numpy, X, W, b, T)


# ---------------------------------------------------------------------------
# what each op records: op name, inputs, local gradients, constants
# ---------------------------------------------------------------------------


def test_the_lecture_example_records_local_gradients():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    assert (q.op, f.op) == ("+", "*")
    assert q.inputs == (x, y) and f.inputs == (q, z)
    assert q.local_grads == (1.0, 1.0)
    assert f.local_grads == (-4.0, 3.0)  # multiply swaps its inputs: ∂f/∂q = z, ∂f/∂z = q
    f.backward()
    assert (f.data, x.grad, y.grad, z.grad, q.grad) == (-12.0, -4.0, -4.0, 3.0, -4.0)


@pytest.mark.parametrize(
    "build, op",
    [
        (lambda v: v + 1.0, "+"),
        (lambda v: v * 2.0, "*"),
        (lambda v: -v, "neg"),
        (lambda v: v - 1.0, "-"),
        (lambda v: v / 2.0, "/"),
        (lambda v: v**2, "**2"),
        (lambda v: v.exp(), "exp"),
        (lambda v: v.log(), "log"),
        (lambda v: v.tanh(), "tanh"),
        (lambda v: v.sigmoid(), "σ"),
        (lambda v: v.relu(), "relu"),
        (lambda v: v.softplus(), "softplus"),
        (lambda v: v.maximum(0.0), "max"),
        (lambda v: v @ np.ones(2), "@"),
        (lambda v: v.sum(), "sum"),
        (lambda v: v.T, "T"),
        (lambda v: v.reshape(2, 1), "reshape"),
        (lambda v: v[0], "[]"),
    ],
)
def test_op_names(build, op):
    v = Value(np.array([1.5, 2.5]), "v")
    out = build(v)
    assert out.op == op
    assert out.inputs[0] is v
    assert len(out.local_grads) == len(out.inputs)
    assert v.op == "" and v.inputs == () and v.local_grads == ()


def test_plain_numbers_become_constant_leaves():
    x = Value(3.0, "x")
    y = 2.0 * x + 1.0
    constants = [y.inputs[0].inputs[1], y.inputs[1]]  # 2·x is x * 2 (multiply commutes)
    assert all(c.constant and c.op == "" for c in constants)
    assert [c.label for c in constants] == ["2", "1"]
    assert not x.constant


def test_value_copies_its_input_and_converts_to_float64():
    a = np.array([1, 2, 3])
    v = Value(a)
    assert v.data.dtype == np.float64 and v.grad.shape == (3,)
    a[0] = 100
    assert v.data[0] == 1.0
    assert isinstance(Value(3).data, float) and isinstance(Value(np.float32(2.5)).data, float)
    assert isinstance(Value(np.array(4.0)).data, float)  # a 0-d array is a single number


def test_item_repr_and_shape():
    x = Value(np.array([[1.0, 2.0]]), "w")
    assert x.shape == (1, 2)
    assert Value(2.5).shape == ()
    assert Value(np.array([7.0])).item() == 7.0
    assert "w" in repr(x) and "shape=(1, 2)" in repr(x)
    assert repr(Value(2.0, "a")) == "Value('a', data=2, grad=0)"
