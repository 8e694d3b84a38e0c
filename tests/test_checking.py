"""The checking toolkit (`coursegrad.checking`), and the rule that no public function of the checking modules returns an answer.

The answers are what the instructor sources' solution cells assign, and the reference values
of every item the grader's judge compares (the solutions' outputs on the graded cases). Every
public function of `coursegrad.checking`, `coursegrad.checks` and `coursegrad.exercises.*` is
called in every way a student could call it without knowing the answer (no arguments, wrong
answers by name, unwritten functions, plain values); none may hand back an answer.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import coursegrad.exercises
from coursegrad import checking
from coursegrad.checking import Mistake, judge, partial_credit
from coursegrad.grading import cells as C
from coursegrad.grading import release
from coursegrad.grading.validate import solved

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "worksheets" / "source").glob("*.ipynb"))
MODULES = ["coursegrad.checking", "coursegrad.checks"] + [
    f"coursegrad.exercises.{m.name}" for m in pkgutil.iter_modules(coursegrad.exercises.__path__)
]
TRIVIAL = {0.0, 1.0, -1.0, 0.5, 0.25}  # 0.5: σ(0), an input of many tasks; 0.25: max σ', which lecture 5 teaches


def run_solutions(path: Path) -> dict:
    """The namespace after the setup and solution cells of a worksheet, with each test cell's item setup run."""
    source = release.read(path)
    ns: dict = {}
    for cell in solved(release.student_version(source), source).cells:
        if cell.cell_type == "code" and not C.is_test(cell):
            exec(compile(cell.source, C.grade_id(cell) or "cell", "exec"), ns)
    return ns


def answers_of(path: Path) -> tuple[list[float], list[str]]:
    """Every non-trivial number and every string the solutions assign or their items evaluate to."""
    ns, source = run_solutions(path), release.read(path)
    values = [v for k, v in ns.items() if not k.startswith("_") and not callable(v) and not inspect.ismodule(v)]
    for cell in source.cells:
        spec = cell.metadata.get("coursegrad", {})
        if spec.get("setup"):
            exec(spec["setup"], ns)
        values += [eval(item["expr"], ns) for item in spec.get("items", [])]
    numbers, strings = [], []
    for v in values:
        _flatten(v, numbers, strings)
    return [x for x in numbers if x not in TRIVIAL], strings


def _flatten(v, numbers: list, strings: list) -> None:
    if isinstance(v, str):
        strings.append(v)
    elif isinstance(v, (bool, type(None))):
        return
    elif isinstance(v, (int, float, np.number)):
        numbers.append(float(v))
    elif isinstance(v, np.ndarray) and v.dtype.kind == "f":  # (integer arrays are labels and indices: no answer)
        numbers.extend(float(x) for x in v.ravel())
    elif isinstance(v, (list, tuple)):
        for x in v:
            _flatten(x, numbers, strings)
    elif isinstance(v, dict):
        _flatten(list(v.values()), numbers, strings)


def leaked(result, numbers: list[float], strings: list[str], given=()) -> list:
    """The answers found in `result` (a return value): equal numbers (to 1e-9) and equal strings, except what
    was `given` to the call (a function may hand back its inputs: that tells the caller nothing new)."""
    got_numbers, got_strings, in_numbers, in_strings = [], [], [], []
    _flatten(result, got_numbers, got_strings)
    _flatten(given, in_numbers, in_strings)
    found = [
        x
        for x in got_numbers
        if x not in TRIVIAL and x not in in_numbers and any(math.isclose(x, a, rel_tol=1e-9) for a in numbers)
    ]
    return found + [s for s in got_strings if s in strings and s not in in_strings]


def unwritten(*args):
    raise NotImplementedError()


def private_attempts(Node: type) -> list[tuple]:
    """The inputs the private helpers take: the tasks' own cases, graphs, gates, seeds and points (no answers)."""
    from coursegrad.exercises import write_backprop as ws2

    ns = run_solutions(SOURCES[1])
    gates = {g: ns[g] for g in ("sigmoid", "divide", "square")}
    out: list[tuple] = [(seed,) for seed in range(6)] + [(Node, kind) for kind in ("tanh", "mixed")] + [(Node, gates)]
    for case in ws2.ALL:
        root, nodes = ws2._graph(Node, case)
        out += [(Node, case), (root,), (case, [n.data for n in nodes], [0.0] * len(nodes)), (Node, case, [0.0] * len(nodes))]
    for name, xs in ws2.GATE_POINTS.items():
        out += [(gates[name], Node, xs), (gates[name], Node, xs, [0.0] * len(xs)), (gates[name], Node, xs, [0.0] * len(xs), 0.5)]
        out += [(Node, gates[name], xs), (unwritten, Node, gates, name)]
    out += [(seed, (3, 3, 3)) for seed in (0, 1, 7, 838)] + [(unwritten, seed) for seed in range(6)]
    return out


def calls(fn, names: list[str], Node: type, private: bool = False):
    """Every way to call `fn` without knowing an answer: (what it returned, the inputs) for each (errors return nothing)."""
    attempts = [(), (None,), (unwritten,), (unwritten, [0.5]), (unwritten, [[1.0, 2.0]]), (unwritten, [[0, [2, 2, 2]]])]
    attempts += [("x", 12345.0), ("x", 12345.0, 1.0), (unwritten, "chain"), (unwritten, unwritten, "chain")]
    attempts += [(Node, unwritten, ["chain", "diamond", "twice", "twice_twice", "neuron"]), (Node, unwritten, unwritten)]
    attempts += [(Node, unwritten, unwritten, unwritten), (unwritten, ["square", "cubic", "layer"]), (unwritten, Node, "divide")]
    attempts += [(unwritten, [0, 1, 2, 3, 4, 5], part) for part in ("loss", "dW1", "db1", "dW2", "db2")]
    attempts += [(unwritten, Node, {}), (unwritten, unwritten, Node, {})]
    attempts += private_attempts(Node) if private else []
    kwargs = [{name: 12345.0} for name in names] + [{name: "Z"} for name in names] + [{"points": 2.0}]
    for args in attempts:
        yield from _call(fn, args, {})
    for kw in kwargs:
        yield from _call(fn, (), kw)


def _call(fn, args, kwargs):
    try:
        yield fn(*args, **kwargs), (args, kwargs)
    except Exception:  # a check that refuses the input returns nothing
        return


def public_functions(modules=MODULES, private: bool = False):
    for name in modules:
        module = importlib.import_module(name)
        for attr, fn in vars(module).items():
            if (private or not attr.startswith("_")) and inspect.isfunction(fn) and fn.__module__ == name:
                yield f"{name}.{attr}", fn


@pytest.fixture(scope="module")
def answers():
    numbers, strings, names = [], [], []
    for path in SOURCES:
        n, s = answers_of(path)
        numbers += n
        strings += s
        names += [k for k in run_solutions(path) if not k.startswith("_")]
    return numbers, strings, sorted(set(names))


def test_the_answer_set_is_not_empty_and_the_detector_catches_a_leak(answers):
    numbers, strings, names = answers
    assert len(numbers) > 50 and {"A", "B"} <= set(strings) and "df_da" in names
    from coursegrad.exercises import backprop_by_hand as ws1

    old_graph = {"q": -2.0, "m": 3.0, "f": -6.0, "df_dq": 3.0, "df_da": 6.0}  # what the old private _graph() returned
    assert leaked(old_graph, numbers, strings), "the old _graph() returned answers: the test must see that"
    assert leaked(ws1.probe_affine(lambda X, W, b, dY: (dY @ W.T, X.T @ dY, dY.sum(axis=0)), [[838, [3, 3, 3]]]), numbers, [])
    from coursegrad.exercises import write_backprop as ws2

    ns = run_solutions(SOURCES[1])
    X, y, *params = ws2._net_case(3)
    assert leaked(ns["two_layer_backward"](X, y, *params)[1], numbers, strings), (
        "a reference net would leak: the test must see it"
    )
    root, nodes = ws2._graph(ns["Node"], "neuron")
    ns["backprop"](root)
    assert leaked([n.grad for n in nodes], numbers, strings), "the old _graph()'s gradients: the test must see them"


def test_no_public_function_of_the_checking_modules_returns_an_answer(answers, capsys):
    numbers, strings, names = answers
    functions = dict(public_functions())
    assert len(functions) > 20
    Node = run_solutions(SOURCES[1])["Node"]
    for qualified, fn in functions.items():
        for result, given in calls(fn, names, Node):
            assert not leaked(result, numbers, strings, given), f"{qualified} returned an answer: {result!r:.200}"


# Functions of the lessons that compute a taught formula, whose value at a point is also an answer's (the kit's
# Value.sigmoid computes the same for anyone): named here with the reason, so the list cannot grow unseen.
FORMULAS = {
    "coursegrad.exercises.lecture_exercises._sigmoid_prime": "σ′(x) of lecture 5: worksheet 1's gate probes σ′ at points",
}


def answers_returned(functions: dict, answers, Node: type) -> list[str]:
    """Each call (with the tasks' own inputs, see `calls`) of these functions that returned an answer value."""
    numbers, strings, names = answers
    found = []
    for qualified, fn in functions.items():
        for result, given in calls(fn, names, Node, private=True):
            if leaked(result, numbers, strings, given) and qualified not in FORMULAS:
                found.append(f"{qualified} returned {result!r:.120}")
    return found


@pytest.mark.parametrize(
    "module",
    [
        "coursegrad.checking",
        "coursegrad.exercises.backprop_by_hand",
        "coursegrad.exercises.write_backprop",
    ],
)
def test_no_private_function_returns_an_answer_either(module, answers, capsys):
    """A submission that reads an answer from a private helper (`_graph()["df_da"]`) must find none."""
    functions = dict(public_functions([module], private=True))
    assert functions
    found = answers_returned(functions, answers, run_solutions(SOURCES[1])["Node"])
    assert not found, found[:5]


# ---------------------------------------------------------------------------
# The toolkit
# ---------------------------------------------------------------------------


def test_judge_names_the_kind_of_error_in_order():
    mistakes = [Mistake(2.0, "the local gradient alone.")]
    assert judge("x", 6.0, 6.0, mistakes) is None
    assert judge("x", 2.0, 6.0, mistakes) == "x: the local gradient alone."
    assert "sign is wrong" in judge("x", -6.0, 6.0, mistakes)
    assert judge("x", 7.0, 6.0, mistakes, hint="Look again.") == "x: not right yet. Look again."
    assert "got str" in judge("x", "6", 6.0)
    assert "element(s) [1]" in judge("v", [1.0, 3.0], [1.0, 2.0])
    assert "sign is wrong" in judge("v", [-1.0, -2.0], [1.0, 2.0])
    assert judge("x", 2.0, 2.0, mistakes) is None  # a "mistake" that is the answer is never reported


def test_partial_credit_prints_each_part_and_returns_the_points(capsys):
    assert partial_credit({"a": None, "b": "b: wrong.", "c": None, "d": "d: wrong."}, 2.0) == 1.0
    out = capsys.readouterr().out
    assert "✓ a is right" in out and "✗ b: wrong." in out and "points: 1 / 2" in out
    assert partial_credit({"a": None, "b": "b: wrong."}, 3.0, weights={"a": 2.0, "b": 1.0}) == 2.0
    with pytest.raises(AssertionError, match="no part is right yet"):
        partial_credit({"a": "a: wrong."}, 1.0)


def test_call_student_says_what_failed():
    def recursive(n):
        return recursive(n + 1)

    with pytest.raises(AssertionError, match="not written yet"):
        checking.call_student(unwritten)
    with pytest.raises(AssertionError, match="recursion limit: use a loop"):
        checking.call_student(recursive, 0)
    with pytest.raises(AssertionError, match=r"f\(\.\.\.\) raised ZeroDivisionError"):
        checking.call_student(lambda: 1 / 0, shown="f(...)")
    with pytest.raises(AssertionError, match="should be a function"):
        checking.call_student(3.0)
    assert checking.call_student(lambda x: x + 1, 1) == 2


def test_as_array_is_strict():
    checking.as_array("dW", np.zeros((2, 3)), (2, 3))
    for bad, message in (
        ([[0.0]], "should be a numpy array"),
        (np.zeros((3, 2)), "has shape"),
        (np.array([np.nan]), "nan or inf"),
        (np.array(["a"]), "real numbers"),
    ):
        with pytest.raises(AssertionError, match=message):
            checking.as_array("dW", bad, np.shape(bad) if message != "has shape" else (2, 3))


def test_close_is_the_judges_rule():
    assert checking.close(1.0 + 1e-7, 1.0) and not checking.close(1.0 + 1e-5, 1.0)
    assert checking.close(1e-10, 0.0) and not checking.close(1e-8, 0.0)
    assert not checking.close([1.0, 2.0], [1.0])  # shapes differ


def test_call_student_limits_cpu_time_so_a_busy_machine_does_not_stop_a_correct_call():
    import time

    def waits(seconds):
        time.sleep(seconds)  # no CPU: under a CPU-time limit, as a correct call slowed by a loaded machine would be
        return "done"

    def spins():
        while True:
            pass

    assert checking.call_student(waits, 0.6, seconds=0.3) == "done"  # 2x the limit in wall time, none in CPU time
    with pytest.raises(AssertionError, match=r"within 0.3 s of CPU time: it was stuck in spins\(\)"):
        checking.call_student(spins, seconds=0.3)
    with pytest.raises(AssertionError, match="stuck in waits"):  # waiting forever: stopped after CALL_WALL_FACTOR x as long
        checking.call_student(waits, 60, seconds=0.1)
    with pytest.raises(AssertionError, match="was not run again"):
        checking.call_student(spins)
