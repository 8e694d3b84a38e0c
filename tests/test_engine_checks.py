"""engine_checks: the engine (reverse mode) and forward mode refuse the same inputs with the same words."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from coursegrad import Value
from coursegrad.engine_checks import ACCEPTED, is_real_number, to_data
from coursegrad.forward import Dual

PACKAGE = Path(__file__).resolve().parent.parent / "coursegrad"

SAME = [  # (what to do to a Value or a Dual, the error, words both say)
    (lambda v: v(800.0).exp(), OverflowError, r"exp of 800 overflows a float64"),
    (lambda v: v(-1.0).log(), ValueError, r"log is only defined for positive inputs, got -1"),
    (lambda v: v(-2.0) ** 0.5, ValueError, r"a \*\* 0.5 with a negative base has no real value"),
    (lambda v: v(0.0) ** -1, ZeroDivisionError, r"0 \*\* -1 is infinite; keep the base away from 0"),
    (lambda v: v(0.0) ** 0.5, ValueError, r"the gradient of a \*\* 0.5 at a = 0 is infinite"),
    (lambda v: v(1.0) ** "2", TypeError, r"\*\* takes a plain int or float exponent, got str"),
    (lambda v: v(1.0) ** True, TypeError, r"\*\* takes a plain int or float exponent, got bool"),
    (lambda v: v(1.0) / 0.0, ZeroDivisionError, r"division by zero in .* the divisor is 0"),
    (lambda v: v(np.ones(2)) @ v(np.ones(3)), ValueError, r"shape mismatch in A @ B"),
    (lambda v: v(np.ones((2, 2, 2))) @ v(np.ones(2)), ValueError, r"@ needs 1-D or 2-D arrays"),
    (lambda v: v(True), TypeError, r"got a bool \(True\); it accepts " + ACCEPTED),
    (lambda v: v("3"), TypeError, r"got str '3'; it accepts " + ACCEPTED),
    (lambda v: v([1.0, [2.0, 3.0]]), TypeError, r"got a ragged list"),
    (lambda v: v(float("nan")), FloatingPointError, r"is not finite \(nan or inf\)"),
]


@pytest.mark.parametrize("make, error, words", SAME)
@pytest.mark.parametrize("node", [Value, Dual], ids=["Value", "Dual"])
def test_engine_and_forward_mode_refuse_alike(node, make, error, words):
    with pytest.raises(error, match=words):
        make(node)


@pytest.mark.parametrize("node, where", [(Value, r"`v.data`"), (Dual, r"`d.value`")])
def test_a_node_where_a_number_belongs_says_where_its_number_is(node, where):
    with pytest.raises(TypeError, match=rf"got a {node.__name__}; pass its number \({where}\)"):
        node(node(1.0))


def test_bool_arrays_are_numbers_to_the_engine_but_refused_by_forward_mode():
    assert Value(np.array([True, False])).data.tolist() == [1.0, 0.0]  # a mask, as before
    with pytest.raises(TypeError, match="dtype bool"):
        Dual(np.array([True, False]))


@pytest.mark.parametrize(
    "x, real",
    [(2, True), (2.5, True), (np.float32(1.0), True), (True, False), (np.bool_(True), False), ("2", False), (1j, False)],
)
def test_a_real_number_but_not_a_bool(x, real):
    assert is_real_number(x) is real


def test_to_data_copies_and_converts():
    a = np.arange(3)
    out = to_data(a)
    assert out.dtype == np.float64 and out.tolist() == [0.0, 1.0, 2.0]
    out[0] = 9.0
    assert a[0] == 0  # a node never shares memory with the caller
    assert to_data(np.array(2.5)) == 2.5 and isinstance(to_data(np.array(2.5)), float)


def test_forward_mode_writes_no_check_of_its_own():
    """forward.py calls engine_checks and imports no private name of the engine."""
    tree = ast.parse((PACKAGE / "forward.py").read_text(encoding="utf-8"))
    imported = {(n.module, a.name) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not [name for module, name in imported if module == "coursegrad.engine" and name.startswith("_")]
    assert {"check_exp", "check_log", "check_power", "check_divisor", "to_data"} <= {
        n for m, n in imported if m == "coursegrad.engine_checks"
    }
    raises = [n for n in ast.walk(tree) if isinstance(n, ast.Raise)]
    messages = " ".join(ast.unparse(r) for r in raises)
    assert "overflows" not in messages and "positive inputs" not in messages and "negative base" not in messages
