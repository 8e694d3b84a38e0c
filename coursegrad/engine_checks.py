"""What may go into a node, checked before it goes in: shared by the engine and forward mode.

Each check raises with a message that says what was wrong and what to do, so a student's
mistake stops at the operation that made it. `engine.py` (reverse mode, `Value`) and
`forward.py` (forward mode, `Dual`) both call these, so the two modes refuse the same inputs
with the same words:

    >>> to_data([1, 2])
    array([1., 2.])
    >>> is_real_number(True), is_real_number(2)
    (False, True)

A graph node (a `Value` or a `Dual`) names where its number is in a class attribute
`number_is`; `to_data` uses it to tell the student to pass that number instead of the node.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "ACCEPTED",
    "to_data",
    "is_real_number",
    "is_finite",
    "require_finite",
    "check_divisor",
    "check_power",
    "check_exp",
    "check_log",
    "check_matmul",
    "check_mean",
    "reshaped",
]

ACCEPTED = "a Python int or float, a list of numbers, or a numpy array of real numbers"


def is_real_number(x: Any) -> bool:
    """True for a real number (int, float, numpy number) that is not a bool: `True + 1` is no lesson's arithmetic."""
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def to_data(data: Any, what: str = "Value", bool_arrays: bool = True) -> float | np.ndarray:
    """Turn user input into a float or a float64 array (always a copy), or say clearly why not.

    `bool_arrays=False` refuses an array of bools too (a single bool is always refused).
    """
    if type(data) is float and math.isfinite(data):  # the common case first
        return data
    where = getattr(type(data), "number_is", None)  # a graph node: say where its number is
    if where is not None:
        name = type(data).__name__
        raise TypeError(f"{what} got a {name}; pass its number ({where}) or use the {name} itself in an expression.")
    if isinstance(data, (bool, np.bool_)):
        raise TypeError(f"{what} got a bool ({data!r}); it accepts {ACCEPTED}. Use 1.0 or 0.0 if you meant a number.")
    if isinstance(data, (np.ndarray, list, tuple)):
        return _array_data(data, what, "biuf" if bool_arrays else "iuf")
    if isinstance(data, numbers.Real):
        require_finite(float(data), f"{what}({data!r})", "Inputs must be finite numbers.")
        return float(data)
    raise TypeError(f"{what} got {type(data).__name__} {data!r}; it accepts {ACCEPTED}.")


def _array_data(data: Any, what: str, kinds: str) -> float | np.ndarray:
    """A list, tuple or array as a float64 array (a 0-d array as a float), or a clear error."""
    try:
        arr = np.asarray(data)
    except ValueError as err:  # ragged lists
        raise TypeError(f"{what} got a ragged list ({err}); it accepts {ACCEPTED}.") from None
    if arr.dtype.kind not in kinds:
        raise TypeError(
            f"{what} got an array of dtype {arr.dtype} (from {type(data).__name__}); "
            f"it accepts {ACCEPTED}. Convert with np.asarray(x, dtype=float) if the entries are numbers."
        )
    arr = arr.astype(np.float64)  # always a copy: a node never shares memory with the caller
    if arr.ndim == 0:
        return to_data(float(arr), what)
    require_finite(arr, f"{what} array", "Inputs must be finite numbers.")
    return arr


def require_finite(x: float | np.ndarray, where: str, hint: str) -> None:
    """Raise FloatingPointError naming `where` if x holds a nan or an inf."""
    if not is_finite(x):
        raise FloatingPointError(f"{where} is not finite (nan or inf). {hint}")


def is_finite(x: float | np.ndarray) -> bool:
    """No nan or inf in x (a float or an array).

    For an array, `np.isfinite(x).all()`: one elementwise pass and one reduction, exact for any
    numbers, with no BLAS call (BLAS's dot product runs on several threads above 10,000 elements,
    and on a busy machine waiting for them took milliseconds per call). Measured faster than
    checking the largest and smallest elements (two reductions) at every size from 256 to 10⁶.
    """
    if type(x) is float:
        return math.isfinite(x)
    return bool(np.isfinite(x).all())


def _any(condition: bool | np.ndarray) -> bool:
    """True if a condition on a float, or on any element of an array, holds."""
    return bool(condition) if isinstance(condition, bool) else bool(np.any(condition))


def check_divisor(divisor: float | np.ndarray, a: str = "a", b: str = "b") -> None:
    """Refuse a / b where b is 0 or has a 0 entry (`a`, `b`: the names to show)."""
    if _any(divisor == 0):
        raise ZeroDivisionError(
            f"division by zero in {a} / {b}: the divisor is 0 "
            "(or has a 0 entry). Add a small epsilon to the divisor or avoid dividing by it."
        )


def check_power(a: float | np.ndarray, exponent: Any) -> float:
    """The exponent n of a ** n as a float, once a ** n and its gradient n · a^(n-1) are known to exist."""
    if not is_real_number(exponent):
        raise TypeError(
            f"** takes a plain int or float exponent, got {type(exponent).__name__}. "
            "For a learnable exponent b write (b * a.log()).exp()."
        )
    n = float(exponent)
    if not n.is_integer() and _any(a < 0):
        raise ValueError(f"a ** {n:g} with a negative base has no real value; use an integer exponent or a positive base.")
    if n < 0 and _any(a == 0):
        raise ZeroDivisionError(f"0 ** {n:g} is infinite; keep the base away from 0.")
    if 0 < n < 1 and _any(a == 0):
        raise ValueError(f"the gradient of a ** {n:g} at a = 0 is infinite; keep the base away from 0.")
    log_a = math.log(abs(a)) if isinstance(a, float) and a != 0 and n != 0 else 0.0  # Python floats raise on overflow:
    if max(n * log_a, (n - 1) * log_a) > 709.78:  # log of the largest float64, 1.8e308
        raise OverflowError(f"a ** {n:g} at a = {a:g} overflows a float64 (max 1.8e308); scale the base down.")
    return n


def check_exp(x: float | np.ndarray) -> None:
    """Refuse eˣ for x > 709: it overflows a float64."""
    if _any(x > 709.0):
        raise OverflowError(f"exp of {np.max(x):g} overflows a float64 (exp(710) > 1.8e308); scale the input down.")


def check_log(x: float | np.ndarray) -> None:
    """Refuse log x for x ≤ 0: it has no real value there."""
    if _any(x <= 0):
        raise ValueError(
            f"log is only defined for positive inputs, got {np.min(x):g}. "
            "Clip the input (e.g. add a small epsilon) or use a loss built for logits."
        )


def check_matmul(A: float | np.ndarray, B: float | np.ndarray) -> None:
    """Refuse A @ B unless A and B are 1-D or 2-D with A's last dimension equal to B's first."""
    if np.ndim(A) == 0 or np.ndim(B) == 0 or np.ndim(A) > 2 or np.ndim(B) > 2:
        raise ValueError(
            f"@ needs 1-D or 2-D arrays on both sides, got shapes {np.shape(A)} and {np.shape(B)}; use * for scalars."
        )
    if A.shape[-1] != B.shape[0]:
        raise ValueError(
            f"shape mismatch in A @ B: A is {A.shape} and B is {B.shape}, but A's last dimension ({A.shape[-1]}) "
            f"must equal B's first ({B.shape[0]}). Transpose one of them (.T) or check the layer sizes."
        )


def check_mean(x: np.ndarray, total: np.ndarray, op: str) -> int:
    """How many numbers went into each sum; a mean of none is an error."""
    n = x.size // max(total.size, 1)
    if op == "mean" and n == 0:
        raise ValueError(f"mean of an empty array (shape {x.shape}) is undefined: there is nothing to average.")
    return n


def reshaped(x: float | np.ndarray, shape: tuple) -> np.ndarray:
    """np.reshape(x, shape), accepting v.reshape((2, 3)) as well as v.reshape(2, 3), with a clear error."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    x = np.asarray(x)
    try:
        return x.reshape(shape)
    except (ValueError, TypeError) as err:
        raise ValueError(f"cannot reshape a Value of shape {x.shape} ({x.size} numbers) into shape {shape}: {err}") from None
