"""A class of realistic submissions of both worksheets, each with the grade it DESERVES.

Every submission is the student version of a worksheet (`worksheets/release/`) with some answer
cells filled in as a student would: fully right, right but written another way, each classic
mistake, blank, partly answered, a hang, a crash, a forbidden tool, a copy. Its deserved points per
autograded question were written down from the worksheet's own text (its instructions and point
values), never read off the grader: `deserved` lists the questions where the submission does not
earn the base's points (all of them for base "solved", none for "blank"), each with the reason a
careful TA would write. `tests/test_grading_corpus.py` checks that the in-notebook check cells and
the grader both reach exactly these grades.

`known` marks where main's check cells or grader are known to disagree with the deserved grade
(issue 18): {"check" or "grader": the bug}. The test for that side is an expected failure (strict),
so it turns red (XPASS) the day the bug is fixed, and the mark must then go.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

WS1 = "01_backprop_worksheet.ipynb"
WS2 = "02_write_backprop.ipynb"

POINTS = {  # the autograded questions (test cells) and their points, as each worksheet's text gives them
    WS1: {
        "ex1_forward": 1,
        "ex1_backward_mul": 1,
        "ex1_backward_add_max": 1,
        "ex2_forward": 1,
        "ex2_fork": 2,
        "ex3_test": 2,
        "ex4_sigmoid_test": 2,
        "ex4_divide_test": 2,
        "ex5_test": 2,
        "ex6_test": 2,
        "ex7_shapes": 1,
        "ex7_square": 1,
        "ex7_backward": 2,
    },
    WS2: {
        "ex1_topo_test": 1,
        "ex1_backprop_test": 2,
        "ex1_long_chain": 1,
        "ex1_second_backward": 1,
        "ex2_numgrad_test": 2,
        "ex2_relerr_test": 1,
        "ex2_verdict_test": 1,
        "ex3_check_test": 1,
        "ex3_fix_test": 1,
        "ex4_test": 4,
    },
}


@dataclass(frozen=True)
class Submission:
    name: str
    worksheet: str
    what: str
    answers: dict[str, str | None] = field(default_factory=dict)  # answer cell -> the student's source (None: the instructor's)
    deserved: dict[str, tuple[float, str]] = field(default_factory=dict)  # question -> (points, why), where not the base's
    base: str = "solved"  # "solved": the instructor's answers typed in; "blank": the release as handed out
    written: bool = True  # the written (hand-graded) answers filled in
    known: dict[str, str] = field(default_factory=dict)  # "check"/"grader" -> the known bug that misgrades it today
    hangs: bool = False  # a cell loops forever: graded with a shorter timeout per cell (test_grading_corpus.HANG_TIMEOUT)

    def points(self) -> dict[str, float]:
        """The deserved points of every autograded question."""
        full = POINTS[self.worksheet]
        base = dict(full) if self.base == "solved" else dict.fromkeys(full, 0.0)
        base.update({q: p for q, (p, _) in self.deserved.items()})
        return {q: float(p) for q, p in base.items()}

    @property
    def total(self) -> float:
        return sum(self.points().values())


def copy_of(original: Submission, name: str) -> Submission:
    """Another student's submission identical to `original`, cell for cell: the same work earns the same
    points (whether it was copied is the instructor's to judge, from the grader's similarity report)."""
    return replace(original, name=name, what=f"a copy of {original.name}, cell for cell")


# ---------------------------------------------------------------------------
# Worksheet 1: backpropagation by hand (20 autograded points)
# ---------------------------------------------------------------------------

EX1_INTS = "q_value, m_value, f_value = -2, 3, -6\ndf_dq, df_dm = 3, -2\ndf_da, df_db, df_dc, df_dd, df_de = 6, -9, 3, 0, -2"
EX1_COMPUTED = """a, b, c, d, e = -3, 2, 4, -1, 3
q_value = a * b + c
m_value = max(d, e)
f_value = q_value * m_value
df_dq, df_dm = m_value, q_value  # multiply swaps
df_da, df_db, df_dc = df_dq * b, df_dq * a, df_dq  # ... and add distributes
df_dd, df_de = (df_dm, 0) if d > e else (0, df_dm)  # max routes
"""
EX1_SIGN = """q_value, m_value, f_value = -2.0, 3.0, -6.0
df_dq, df_dm = 3.0, -2.0
df_da, df_db, df_dc, df_dd, df_de = -6.0, 9.0, 3.0, 0.0, -2.0
"""
EX1_LOCAL_ONLY = """q_value, m_value, f_value = -2.0, 3.0, -6.0
df_dq, df_dm = 3.0, -2.0
df_da, df_db, df_dc, df_dd, df_de = 2.0, -3.0, 3.0, 0.0, -2.0
"""
EX2_COMPUTED = """x, y = 3, -2
a_value = x * y
b_value = a_value + x
g_value = b_value**2
dg_db = 2 * b_value
dg_da = dg_db
dx_via_a = dg_da * y
dx_direct = dg_db
dg_dx = dx_via_a + dx_direct
dg_dy = dg_da * x
"""
EX2_OVERWRITE = """a_value, b_value, g_value = -6.0, -3.0, 9.0
dg_db, dg_da = -6.0, -6.0
dx_via_a, dx_direct = 12.0, -6.0
dg_dx, dg_dy = 12.0, -18.0  # only the path through a: the direct contribution was never added
"""
EX3_NUMPY = """w, x, b = [0.5, 0.25], [2.0, -1.2], 0.1
n_value = w[0] * x[0] + w[1] * x[1] + b
o_value = np.tanh(n_value)
local = 1 - o_value**2
do_dw0, do_dw1, do_db = local * x[0], local * x[1], local
"""
EX3_ROUNDED = "n_value, o_value = 0.8, 0.664\ndo_dw0, do_dw1, do_db = 1.12, -0.671, 0.559"
EX3_WRONG_LOCAL = """n_value = 0.5 * 2.0 + 0.25 * -1.2 + 0.1
o_value = math.tanh(n_value)
do_dw0, do_dw1, do_db = (1 - n_value**2) * 2.0, (1 - n_value**2) * -1.2, 1 - n_value**2
"""
EX3_CRASH = """n_value = 0.5 * 2.0 + 0.25 * -1.2 + 0.1
o_value = tanh(n_value)
do_dw0, do_dw1, do_db = (1 - o_value**2) * 2.0, (1 - o_value**2) * -1.2, 1 - o_value**2
"""
SIGMOID_SIGMA_OP = '''def sigmoid_gate(x):
    """σ(x) = 1 / (1 + exp(-x)) as one gate: x is a Value; return the output Value."""
    s = 1 / (1 + math.exp(-x.data))
    return Value.from_gate(s, (x,), (s * (1 - s),), "σ")
'''
SIGMOID_EXP_FORM = '''def sigmoid_gate(x):
    """σ(x) = 1 / (1 + exp(-x)) as one gate: x is a Value; return the output Value."""
    e = np.exp(-x.data)
    return Value.from_gate(1 / (1 + e), (x,), (e / (1 + e) ** 2,), "sigmoid")
'''
SIGMOID_ENGINE = '''def sigmoid_gate(x):
    """σ(x) = 1 / (1 + exp(-x)) as one gate: x is a Value; return the output Value."""
    return x.sigmoid()
'''
DIVIDE_SIGN = '''def divide_gate(a, b):
    """a / b as one gate: a and b are Values; return the output Value."""
    return Value.from_gate(a.data / b.data, (a, b), (1 / b.data, a.data / b.data**2), "/")
'''
DIVIDE_ENGINE = '''def divide_gate(a, b):
    """a / b as one gate: a and b are Values; return the output Value."""
    return a / b
'''
DIVIDE_POWERS = '''def divide_gate(a, b):
    """a / b as one gate: a and b are Values; return the output Value."""
    return Value.from_gate(a.data * b.data**-1, (a, b), (b.data**-1, -a.data * b.data**-2), "a/b")
'''
EX5_ARRAYS = """w = np.array([0.5, -1.5, 2.0])
x = np.array([4.0, 1.0, -2.0])
dw = 2 * x  # the multiply gate hands w the data
dw_scaled = 2 * (1000 * x)
dx_scaled = 2 * w
lr_same_step = 1e-3
lr_same_training = 1e-6
"""
EX5_ONE_FACTOR = """dw = [8.0, 2.0, -4.0]
dw_scaled = [8000.0, 2000.0, -4000.0]
dx_scaled = [1.0, -3.0, 4.0]
lr_same_step = 1 / 1000
lr_same_training = 1 / 1000
"""
EX6_INTS_LOOP = """max_local_grad, max_at_x = 0.25, 0
bound_5_layers = max_local_grad**5
layers_below_1e6 = 1
while max_local_grad**layers_below_1e6 >= 1e-6:
    layers_below_1e6 += 1
"""
EX6_OFF_BY_ONE = "max_local_grad, max_at_x = 0.25, 0.0\nbound_5_layers = 0.25**5\nlayers_below_1e6 = 9"
SHAPES_LISTS = "shape_dY = [5, 4]\nshape_dX = [5, 3]\nshape_dW = [3, 4]\nshape_db = [4]"
SQUARE_TRANSPOSED = 'square_dX = "A"\nsquare_dW = "D"\nsquare_db = "A"'
SQUARE_BIAS_AXIS = 'square_dX = "A"\nsquare_dW = "B"\nsquare_db = "B"'
AFFINE_HEAD = '''def affine_backward(X, W, b, dY):
    """Gradients of Y = X @ W + b: given dY = ∂L/∂Y, return (dX, dW, db) as numpy arrays."""
'''
AFFINE_TRANSPOSED = AFFINE_HEAD + "    return dY @ W.T, dY.T @ X, dY.sum(axis=0)\n"
AFFINE_BIAS_AXIS = AFFINE_HEAD + "    return dY @ W.T, X.T @ dY, dY.sum(axis=1)\n"
AFFINE_LISTS = AFFINE_HEAD + "    return (dY @ W.T).tolist(), (X.T @ dY).tolist(), dY.sum(axis=0).tolist()\n"
AFFINE_EINSUM = AFFINE_HEAD + '    return [np.einsum("nm,dm->nd", dY, W), np.einsum("nd,nm->dm", X, dY), np.sum(dY, 0)]\n'
AFFINE_LOOPS = (
    AFFINE_HEAD
    + """    N, D = X.shape
    M = W.shape[1]
    dX, dW, db = np.zeros((N, D)), np.zeros((D, M)), np.zeros(M)
    for n in range(N):
        for m in range(M):
            db[m] += dY[n, m]
            for d in range(D):
                dX[n, d] += dY[n, m] * W[d, m]
                dW[d, m] += X[n, d] * dY[n, m]
    return dX, dW, db
"""
)
AFFINE_HANGS = (
    AFFINE_HEAD
    + """    dW = np.zeros_like(W)
    n = 0
    while n < X.shape[0]:
        dW += np.outer(X[n], dY[n])
    return dY @ W.T, dW, dY.sum(axis=0)
"""
)

_WS1 = [
    Submission("w1_right", WS1, "the instructor's answers, typed in"),
    Submission(
        "w1_ints_and_rounded",
        WS1,
        "whole numbers as ints, tanh values to three significant digits, numpy arrays where lists are asked, "
        "shapes as lists, the depth counted by a loop",
        {
            "ex1_answer": EX1_INTS,
            "ex3_answer": EX3_ROUNDED,
            "ex5_answer": EX5_ARRAYS,
            "ex6_answer": EX6_INTS_LOOP,
            "ex7_shapes_answer": SHAPES_LISTS,
        },
    ),
    Submission(
        "w1_computed",
        WS1,
        "every number computed by code from the exercise's inputs (max routing by a conditional, np.tanh)",
        {"ex1_answer": EX1_COMPUTED, "ex2_answer": EX2_COMPUTED, "ex3_answer": EX3_NUMPY},
    ),
    Submission(
        "w1_sigmoid_sigma_label",
        WS1,
        "sigmoid_gate written with Value.from_gate and labelled 'σ' (the engine's own label)",
        {"ex4_sigmoid_gate": SIGMOID_SIGMA_OP},
    ),
    Submission(
        "w1_sigmoid_exp_form",
        WS1,
        "sigmoid_gate with np.exp and the slope written e^(−x)/(1 + e^(−x))², a divide gate with powers",
        {"ex4_sigmoid_gate": SIGMOID_EXP_FORM, "ex4_divide_gate": DIVIDE_POWERS},
    ),
    Submission(
        "w1_sigmoid_engine",
        WS1,
        "sigmoid_gate returns x.sigmoid()",
        {"ex4_sigmoid_gate": SIGMOID_ENGINE},
        {"ex4_sigmoid_test": (0, "the task forbids x.sigmoid(): the backward rule is not the student's")},
    ),
    Submission(
        "w1_divide_engine",
        WS1,
        "divide_gate returns a / b",
        {"ex4_divide_gate": DIVIDE_ENGINE},
        {"ex4_divide_test": (0, "the task forbids a / b: it is the engine's chain of gates, not one written gate")},
    ),
    Submission(
        "w1_divide_sign",
        WS1,
        "divide_gate with +a/b² for the divisor",
        {"ex4_divide_gate": DIVIDE_SIGN},
        {"ex4_divide_test": (0, "∂(a/b)/∂b = −a/b²: the sign is wrong, the gate's gradient is wrong")},
    ),
    Submission(
        "w1_sign_error",
        WS1,
        "df_da and df_db with the wrong sign",
        {"ex1_answer": EX1_SIGN},
        {"ex1_backward_mul": (0, "df_da = 6, df_db = −9: both signs wrong")},
    ),
    Submission(
        "w1_local_only",
        WS1,
        "df_da, df_db: the multiply gate's local gradients without the upstream df_dq",
        {"ex1_answer": EX1_LOCAL_ONLY},
        {"ex1_backward_mul": (0, "local gradient alone (2, −3), not times upstream 3")},
    ),
    Submission(
        "w1_fork_overwrite",
        WS1,
        "dg_dx: only the path through a (the other contribution overwritten, not added)",
        {"ex2_answer": EX2_OVERWRITE},
        {"ex2_fork": (1.5, "dg_dx = 12 + (−6) = 6, not 12: the one wrong value of four costs its 0.5")},
    ),
    Submission(
        "w1_tanh_local_from_input",
        WS1,
        "the tanh slope written 1 − n² instead of 1 − tanh²(n)",
        {"ex3_answer": EX3_WRONG_LOCAL},
        {"ex3_test": (0, "the three gradients are wrong (the cell is 2 points for all five values)")},
    ),
    Submission(
        "w1_one_factor_1000",
        WS1,
        "lr_same_training = 1/1000 (the scores' own factor 1000 forgotten)",
        {"ex5_answer": EX5_ONE_FACTOR},
        {"ex5_test": (1, "the gradients (parts 1–2) are right: 1 point; the factors (parts 3–4): lr_same_training is 1/1000²")},
    ),
    Submission(
        "w1_off_by_one_depth",
        WS1,
        "layers_below_1e6 = 9",
        {"ex6_answer": EX6_OFF_BY_ONE},
        {"ex6_test": (0, "0.25⁹ ≈ 3.8e−6 is not below 1e−6; the cell is 2 points for its four values")},
    ),
    Submission(
        "w1_transposed_dW",
        WS1,
        "dW = dY.T @ X (and 'D' in the square case)",
        {"ex7_square_answer": SQUARE_TRANSPOSED, "ex7_backward_answer": AFFINE_TRANSPOSED},
        {
            "ex7_square": (0, "square_dW is B (X.T @ dY), not D"),
            "ex7_backward": (0, "dW has the shape (M, D), the transpose of W's"),
        },
    ),
    Submission(
        "w1_bias_axis",
        WS1,
        "db = dY.sum(axis=1) (and 'B' in the square case)",
        {"ex7_square_answer": SQUARE_BIAS_AXIS, "ex7_backward_answer": AFFINE_BIAS_AXIS},
        {
            "ex7_square": (0, "square_db is A (sum over the batch, axis 0)"),
            "ex7_backward": (0, "db sums over the outputs, not over the batch"),
        },
    ),
    Submission(
        "w1_affine_loops",
        WS1,
        "affine_backward with three nested loops instead of matrix products",
        {"ex7_backward_answer": AFFINE_LOOPS},
    ),
    Submission(
        "w1_affine_einsum_list",
        WS1,
        "affine_backward with np.einsum, returning a list of the three arrays",
        {"ex7_backward_answer": AFFINE_EINSUM},
    ),
    Submission(
        "w1_affine_returns_lists",
        WS1,
        "affine_backward returns nested Python lists (.tolist())",
        {"ex7_backward_answer": AFFINE_LISTS},
        {"ex7_backward": (0, "the task asks for numpy arrays (the docstring: 'as numpy arrays'), and the check says so")},
    ),
    Submission(
        "w1_hangs_in_affine",
        WS1,
        "affine_backward loops forever (a while loop whose counter never grows)",
        {"ex7_backward_answer": AFFINE_HANGS},
        {"ex7_backward": (0, "affine_backward never returns; nothing else calls it")},
        hangs=True,
    ),
    Submission(
        "w1_crash_in_ex3",
        WS1,
        "exercise 3's cell raises NameError (tanh instead of math.tanh) halfway",
        {"ex3_answer": EX3_CRASH},
        {"ex3_test": (0, "o_value and the gradients are never assigned; every other exercise is independent of it")},
    ),
    Submission("w1_blank", WS1, "the release, untouched", base="blank", written=False),
    Submission(
        "w1_first_three_only",
        WS1,
        "exercises 1–3 answered (right), the rest left as handed out",
        {"ex1_answer": EX1_INTS, "ex2_answer": EX2_COMPUTED, "ex3_answer": EX3_NUMPY},
        {
            "ex1_forward": (1, "right"),
            "ex1_backward_mul": (1, "right"),
            "ex1_backward_add_max": (1, "right"),
            "ex2_forward": (1, "right"),
            "ex2_fork": (2, "right"),
            "ex3_test": (2, "right"),
        },
        base="blank",
    ),
]

# ---------------------------------------------------------------------------
# Worksheet 2: write backpropagation yourself (15 autograded points)
# ---------------------------------------------------------------------------

TOPO_HEAD = '''def topological_order(root):
    """Every node `root` depends on (root included), each once, each after all of its inputs."""
'''
TOPO_KAHN = (
    TOPO_HEAD
    + """    consumers, seen, stack = {}, {root}, [root]
    while stack:  # count how many gates use each node
        node = stack.pop()
        for i in node.inputs:
            consumers[i] = consumers.get(i, 0) + 1
            if i not in seen:
                seen.add(i)
                stack.append(i)
    ready, backwards = [root], []
    while ready:  # Kahn: a node is ready when every gate that uses it is placed
        node = ready.pop()
        backwards.append(node)
        for i in node.inputs:
            consumers[i] -= 1
            if consumers[i] == 0:
                ready.append(i)
    return backwards[::-1]
"""
)
TOPO_ITERATORS = (
    TOPO_HEAD
    + """    order, visited = [], {id(root)}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, inputs = stack[-1]
        for i in inputs:
            if id(i) not in visited:
                visited.add(id(i))
                stack.append((i, iter(i.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    return order
"""
)
TOPO_RECURSIVE = (
    TOPO_HEAD
    + """    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            for i in node.inputs:
                visit(i)
            order.append(node)

    visit(root)
    return order
"""
)
BACKPROP_HEAD = '''def backprop(root):
    """Fill in node.grad = ∂root/∂node for every node `root` depends on."""
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        for child, local in zip(node.inputs, node.local_grads):
'''
BACKPROP_OVERWRITE = BACKPROP_HEAD + "            child.grad = local * node.grad\n"
BACKPROP_LOCAL_ONLY = BACKPROP_HEAD + "            child.grad += local\n"
NUMGRAD_HEAD = '''def numerical_gradient(f, x, h=1e-5):
    """Central differences of f at x, element by element, as an array shaped like x."""
'''
NUMGRAD_FLAT = (
    NUMGRAD_HEAD
    + """    grad = np.zeros_like(x, dtype=float)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)  # views of x and grad
    for i in range(flat_x.size):
        keep = flat_x[i]
        flat_x[i] = keep + h
        up = f(x)
        flat_x[i] = keep - h
        down = f(x)
        flat_x[i] = keep
        flat_grad[i] = (up - down) / (2 * h)
    return grad
"""
)
NUMGRAD_NOT_RESTORED = (
    NUMGRAD_HEAD
    + """    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
"""
)
NUMGRAD_HANGS = (
    NUMGRAD_HEAD
    + """    grad = np.zeros(x.shape)
    flat = x.reshape(-1)
    i = 0
    while i < flat.size:
        old = flat[i]
        flat[i] = old + h
        f_plus = f(x)
        flat[i] = old - h
        f_minus = f(x)
        flat[i] = old
        grad.reshape(-1)[i] = (f_plus - f_minus) / (2 * h)
    return grad
"""
)
RELERR_RIGHT = '''def relative_error(a, b):
    """The largest |a − b| / max(|a|, |b|) over the elements (0 where both are 0)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.abs(a), np.abs(b))
    return float(np.max(np.abs(a - b) / np.where(scale == 0, 1.0, scale)))
'''
RELERR_LOOPS = '''def relative_error(a, b):
    """The largest |a − b| / max(|a|, |b|) over the elements (0 where both are 0)."""
    worst = 0.0
    for u, v in zip(np.ravel(a), np.ravel(b)):
        if max(abs(u), abs(v)) > 0:
            worst = max(worst, abs(u - v) / max(abs(u), abs(v)))
    return worst
'''
RELERR_NAN = '''def relative_error(a, b):
    """The largest |a − b| / max(|a|, |b|) over the elements (0 where both are 0)."""
    return np.max(np.abs(a - b) / np.maximum(np.abs(a), np.abs(b)))
'''
VERDICT_RIGHT = '''def verdict(err, kink=False):
    """CS231n's advice on a relative error, in coursegrad.gradcheck's words; kink: f has a kink there."""
    if err > 1e-2:
        return "WRONG"
    if err > 1e-4:
        return "uncomfortable"
    if err > 1e-7:
        return "okay at a kink" if kink else "too high for a smooth f"
    return "excellent"
'''
VERDICT_TABLE = '''def verdict(err, kink=False):
    """CS231n's advice on a relative error, in coursegrad.gradcheck's words; kink: f has a kink there."""
    middle = "okay at a kink" if kink else "too high for a smooth f"
    for limit, word in ((1e-2, "WRONG"), (1e-4, "uncomfortable"), (1e-7, middle)):
        if err > limit:
            return word
    return "excellent"
'''
VERDICT_AT_EDGES = '''def verdict(err, kink=False):
    """CS231n's advice on a relative error, in coursegrad.gradcheck's words; kink: f has a kink there."""
    if err >= 1e-2:
        return "WRONG"
    elif err >= 1e-4:
        return "uncomfortable"
    elif err >= 1e-7:
        return "okay at a kink" if kink else "too high for a smooth f"
    return "excellent"
'''
VERDICT_NO_KINK = '''def verdict(err, kink=False):
    """CS231n's advice on a relative error, in coursegrad.gradcheck's words; kink: f has a kink there."""
    if err > 1e-2:
        return "WRONG"
    if err > 1e-4:
        return "uncomfortable"
    if err > 1e-7:
        return "too high for a smooth f"
    return "excellent"
'''
VERDICT_HANGS = '''def verdict(err, kink=False):
    """CS231n's advice on a relative error, in coursegrad.gradcheck's words; kink: f has a kink there."""
    levels = [(1e-2, "WRONG"), (1e-4, "uncomfortable"), (1e-7, "okay at a kink" if kink else "too high for a smooth f")]
    i = 0
    while i < len(levels):
        if err > levels[i][0]:
            return levels[i][1]
    return "excellent"
'''
GATE_ERROR_SCRATCH = '''def gate_relative_error(gate, xs):
    """The relative error between backprop's and central differences' gradients of gate(*xs)."""
    nodes = [Node(x) for x in xs]
    backprop(gate(*nodes))
    analytic = np.array([n.grad for n in nodes])
    numeric = numerical_gradient(lambda v: gate(*[Node(t) for t in v]).data, np.array(xs, dtype=float), 1e-5)
    return relative_error(analytic, numeric)


print(gate_relative_error(divide, 3.0, -2.0))  # scratch work left in: TypeError (xs is one list)
'''
FIX_WRONG_GATE = """buggy_gate = "divide"


def fixed_gate(a, b):
    return Node(a.data / b.data, (a, b), (1 / b.data, -a.data / b.data**2), "/")
"""
NET_HEAD = '''def two_layer_backward(X, y, W1, b1, W2, b2, reg):
    """Loss and gradients of affine - tanh - affine - softmax cross-entropy + reg/2·(ΣW1² + ΣW2²)."""
    N = X.shape[0]
    Z = X @ W1 + b1
    H = np.tanh(Z)
    S = H @ W2 + b2
    shifted = S - S.max(axis=1, keepdims=True)
    P = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = float(np.mean(-np.log(P[np.arange(N), y]))) + 0.5 * reg * (np.sum(W1**2) + np.sum(W2**2))
    dS = P.copy()
    dS[np.arange(N), y] -= 1
'''
NET_NO_MEAN = (
    NET_HEAD
    + """    dW2, db2 = H.T @ dS + reg * W2, dS.sum(axis=0)
    dZ = (dS @ W2.T) * (1 - H**2)
    return loss, X.T @ dZ + reg * W1, dZ.sum(axis=0), dW2, db2
"""
)
NET_TRANSPOSED = (
    NET_HEAD
    + """    dS /= N
    dW2, db2 = dS.T @ H + reg * W2.T, dS.sum(axis=0)
    dZ = (dS @ W2.T) * (1 - H**2)
    return loss, X.T @ dZ + reg * W1, dZ.sum(axis=0), dW2, db2
"""
)
NET_BIAS_AXIS = (
    NET_HEAD
    + """    dS /= N
    dW2, db2 = H.T @ dS + reg * W2, dS.sum(axis=1)
    dZ = (dS @ W2.T) * (1 - H**2)
    return loss, X.T @ dZ + reg * W1, dZ.sum(axis=1), dW2, db2
"""
)
NET_TANH_OF_Z = (
    NET_HEAD
    + """    dS /= N
    dW2, db2 = H.T @ dS + reg * W2, dS.sum(axis=0)
    dZ = (dS @ W2.T) / np.cosh(Z) ** 2  # tanh' = 1/cosh², from the input instead of the output
    return loss, X.T @ dZ + reg * W1, dZ.sum(axis=0), dW2, db2
"""
)
NET_NO_PENALTY_GRAD = (
    NET_HEAD
    + """    dS /= N
    dW2, db2 = H.T @ dS, dS.sum(axis=0)
    dZ = (dS @ W2.T) * (1 - H**2)
    return loss, X.T @ dZ, dZ.sum(axis=0), dW2, db2
"""
)
NET_LECTURE_6 = '''def two_layer_backward(X, y, W1, b1, W2, b2, reg):
    """Lecture 6's forward and backward, pasted: ReLU, no penalty."""
    N = len(y)
    z1 = X @ W1 + b1
    h = np.maximum(z1, 0.0)
    scores = h @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    dscores = p.copy()
    dscores[np.arange(N), y] -= 1.0
    dscores /= N
    dW2, db2 = h.T @ dscores, dscores.sum(axis=0)
    dz1 = (dscores @ W2.T) * (z1 > 0)
    return loss, X.T @ dz1, dz1.sum(axis=0), dW2, db2
'''
NET_LOOPS = '''def two_layer_backward(X, y, W1, b1, W2, b2, reg):
    """Loss and gradients of affine - tanh - affine - softmax cross-entropy + reg/2·(ΣW1² + ΣW2²)."""
    N = X.shape[0]
    Z = X @ W1 + b1
    H = np.tanh(Z)
    S = H @ W2 + b2
    loss, dS = 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2)), np.zeros_like(S)
    for n in range(N):  # one example at a time
        s = S[n] - np.max(S[n])
        p = np.exp(s) / np.sum(np.exp(s))
        loss += -np.log(p[y[n]]) / N
        dS[n] = p / N
        dS[n, y[n]] -= 1 / N
    dW2, db2 = reg * W2, np.zeros_like(b2)
    dW1, db1 = reg * W1, np.zeros_like(b1)
    for n in range(N):
        dW2 += np.outer(H[n], dS[n])
        db2 += dS[n]
        dz = (W2 @ dS[n]) * (1 - H[n] ** 2)
        dW1 += np.outer(X[n], dz)
        db1 += dz
    return loss, dW1, db1, dW2, db2
'''
NET_ENGINE = '''def two_layer_backward(X, y, W1, b1, W2, b2, reg):
    """Loss and gradients of affine - tanh - affine - softmax cross-entropy + reg/2·(ΣW1² + ΣW2²)."""
    from coursegrad import Value
    from coursegrad.nn import softmax_cross_entropy

    W1, b1, W2, b2 = Value(W1), Value(b1), Value(W2), Value(b2)
    loss = softmax_cross_entropy((X @ W1 + b1).tanh() @ W2 + b2, y) + 0.5 * reg * ((W1 * W1).sum() + (W2 * W2).sum())
    loss.backward()
    return float(loss.data), W1.grad, b1.grad, W2.grad, b2.grad
'''

_LOST_TO_BACKPROP = "backprop's gradients are wrong on graphs with forks (diamond, a + a, o·o)"
_WS2 = [
    Submission("w2_right", WS2, "the instructor's answers, typed in"),
    Submission(
        "w2_kahn_order",
        WS2,
        "topological order by Kahn's algorithm (another valid order), loops in relative_error and in the net",
        {"ex1_topo_answer": TOPO_KAHN, "ex2_relerr_answer": RELERR_LOOPS + "\n\n" + VERDICT_TABLE, "ex4_answer": NET_LOOPS},
    ),
    Submission(
        "w2_iterator_order",
        WS2,
        "topological order by a stack of iterators (inputs in forward order), numerical_gradient on flat views, "
        "tanh's local gradient from its input (1/cosh²)",
        {"ex1_topo_answer": TOPO_ITERATORS, "ex2_numgrad_answer": NUMGRAD_FLAT, "ex4_answer": NET_TANH_OF_Z},
    ),
    Submission(
        "w2_recursive_order",
        WS2,
        "topological order by recursion (the task says to use a loop)",
        {"ex1_topo_answer": TOPO_RECURSIVE},
        {"ex1_long_chain": (0, "recursion fails on the 5,000-node chain; the small graphs are right")},
    ),
    Submission(
        "w2_overwrite",
        WS2,
        "backprop writes child.grad = ... (= instead of +=)",
        {"ex1_backprop_answer": BACKPROP_OVERWRITE},
        {
            "ex1_backprop_test": (0, _LOST_TO_BACKPROP),
            "ex1_second_backward": (0, "the graphs of the second pass have forks"),
        },
    ),
    Submission(
        "w2_overwrite_kahn",
        WS2,
        "= instead of += in backprop, with a Kahn topological order",
        {"ex1_topo_answer": TOPO_KAHN, "ex1_backprop_answer": BACKPROP_OVERWRITE},
        {
            "ex1_backprop_test": (0, _LOST_TO_BACKPROP),
            "ex1_second_backward": (0, "the graphs of the second pass have forks"),
        },
    ),
    Submission(
        "w2_local_only",
        WS2,
        "backprop adds the local gradient alone (upstream gradient forgotten)",
        {"ex1_backprop_answer": BACKPROP_LOCAL_ONLY},
        {
            "ex1_backprop_test": (0, "gradients below the first gate miss the upstream factor"),
            "ex1_long_chain": (0, "the first node's gradient on the chain is wrong"),
            "ex1_second_backward": (0, "wrong gradients, twice"),
        },
    ),
    Submission(
        "w2_numgrad_not_restored",
        WS2,
        "numerical_gradient leaves x nudged (x[i] -= 2h, never put back)",
        {"ex2_numgrad_answer": NUMGRAD_NOT_RESTORED},
        {
            "ex2_numgrad_test": (0, "the task: 'Leave x as you found it'"),
            "ex3_check_test": (
                0,
                "gate_relative_error builds on it (as the task says): on the right divide gate the drifted x gives "
                "an error of about 1e-5 where a right check gives rounding noise",
            ),
        },
    ),
    Submission(
        "w2_numgrad_hangs",
        WS2,
        "numerical_gradient loops forever (its counter never grows); gate_relative_error calls it",
        {"ex2_numgrad_answer": NUMGRAD_HANGS},
        {
            "ex2_numgrad_test": (0, "numerical_gradient never returns"),
            "ex3_check_test": (0, "gate_relative_error calls the hanging numerical_gradient"),
        },
        hangs=True,
    ),
    Submission(
        "w2_relerr_nan",
        WS2,
        "relative_error without the 0-where-both-are-0 case (nan)",
        {"ex2_relerr_answer": RELERR_NAN + "\n\n" + VERDICT_RIGHT},
        {"ex2_relerr_test": (0, "0/0 gives nan where both are 0; the task says 0")},
    ),
    Submission(
        "w2_verdict_at_edges",
        WS2,
        "verdict with >= at the thresholds",
        {"ex2_relerr_answer": RELERR_RIGHT + "\n\n" + VERDICT_AT_EDGES},
        {"ex2_verdict_test": (0, "'above 1e−2' is WRONG: at exactly 1e−2 the verdict is 'uncomfortable'")},
    ),
    Submission(
        "w2_verdict_ignores_kink",
        WS2,
        "verdict calls everything between 1e−7 and 1e−4 too high, kink or not",
        {"ex2_relerr_answer": RELERR_RIGHT + "\n\n" + VERDICT_NO_KINK},
        {"ex2_verdict_test": (0, "CS231n: 1e−4 > error is usually okay for objectives with kinks")},
    ),
    Submission(
        "w2_verdict_hangs",
        WS2,
        "verdict loops forever below 1e−2 (a while loop whose counter never grows)",
        {"ex2_relerr_answer": RELERR_RIGHT + "\n\n" + VERDICT_HANGS},
        {"ex2_verdict_test": (0, "verdict never returns for small errors; nothing else calls it")},
        hangs=True,
    ),
    Submission(
        "w2_scratch_call_crashes",
        WS2,
        "gate_relative_error right, but a scratch call at the end of its cell raises TypeError",
        {"ex3_check_answer": GATE_ERROR_SCRATCH},
    ),
    Submission(
        "w2_wrong_gate",
        WS2,
        "buggy_gate = 'divide' (the gate a reader suspects), with an unchanged divide as the fix",
        {"ex3_fix_answer": FIX_WRONG_GATE},
        {"ex3_fix_test": (0, "the planted bug is in sigmoid (the ½ of x/2)")},
    ),
    Submission(
        "w2_net_no_mean",
        WS2,
        "two_layer_backward forgets the 1/N in the gradients (the loss is the mean)",
        {"ex4_answer": NET_NO_MEAN},
        {"ex4_test": (1, "the loss is right (1 point); every gradient is N times too large")},
    ),
    Submission(
        "w2_net_transposed_dW2",
        WS2,
        "dW2 = dS.T @ H (+ reg · W2ᵀ)",
        {"ex4_answer": NET_TRANSPOSED},
        {"ex4_test": (3, "dW2 (1 point) has the shape (C, H), the transpose of W2's; the rest is right")},
    ),
    Submission(
        "w2_net_bias_axis",
        WS2,
        "db1, db2 summed over the wrong axis (axis=1)",
        {"ex4_answer": NET_BIAS_AXIS},
        {"ex4_test": (3, "db1 and db2 (0.5 each) sum over the units instead of the batch")},
    ),
    Submission(
        "w2_net_penalty_forgotten",
        WS2,
        "the penalty in the loss, but not in dW1 and dW2",
        {"ex4_answer": NET_NO_PENALTY_GRAD},
        {"ex4_test": (2, "the loss (1), db1 and db2 (0.5 each) are right; dW1 and dW2 miss reg · W")},
    ),
    Submission(
        "w2_net_lecture_6_pasted",
        WS2,
        "lecture 6's ReLU network pasted, without the penalty",
        {"ex4_answer": NET_LECTURE_6},
        {"ex4_test": (0, "a tanh hidden layer and an L2 penalty: every part differs")},
    ),
    Submission(
        "w2_net_with_the_engine",
        WS2,
        "two_layer_backward built on coursegrad's Value and softmax_cross_entropy",
        {"ex4_answer": NET_ENGINE},
        {"ex4_test": (0, "the worksheet says not to use coursegrad in answers: the backward pass is the engine's")},
    ),
    Submission("w2_blank", WS2, "the release, untouched", base="blank", written=False),
    Submission(
        "w2_exercise_1_only",
        WS2,
        "exercise 1 answered (right), the rest left as handed out",
        {"ex1_topo_answer": TOPO_ITERATORS, "ex1_backprop_answer": None},
        {
            "ex1_topo_test": (1, "right"),
            "ex1_backprop_test": (2, "right"),
            "ex1_long_chain": (1, "right"),
            "ex1_second_backward": (1, "right"),
        },
        base="blank",
    ),
]

_BY_NAME = {s.name: s for s in _WS1 + _WS2}
SUBMISSIONS: list[Submission] = [
    *_WS1,
    copy_of(_BY_NAME["w1_sign_error"], "w1_copy_of_sign_error"),
    *_WS2,
    copy_of(_BY_NAME["w2_overwrite"], "w2_copy_of_overwrite"),
]
