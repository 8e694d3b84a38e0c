"""Checking gradients numerically, the way you check a derivative by hand.

The central difference  ∂f/∂x ≈ (f(x + h) − f(x − h)) / 2h  needs nothing but
the forward pass, so it is an independent witness for the gradients that
backpropagation computes. `gradcheck` compares the two for every input element
and says, in words, whether they agree:

    relative error = |analytic − numeric| / max(|analytic|, |numeric|)

    > 1e-2        the gradient is wrong
    1e-4 … 1e-2   suspicious (acceptable only right at a kink such as relu at 0)
    1e-7 … 1e-4   probably fine (a typical level near kinks)
    < 1e-7        excellent

Differences no larger than rounding noise (about 1e-15·|f| / h) count as agreement,
and elements where f has a kink (relu at 0, max at a tie) are reported, not judged.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from coursegrad.engine import Value
from coursegrad.engine_checks import to_data

__all__ = ["numerical_grad", "gradcheck", "GradcheckReport", "InputCheck", "relative_error"]

WRONG, SUSPICIOUS, FINE = 1e-2, 1e-4, 1e-7
NOISE = 1e-15  # a few float64 rounding errors (machine epsilon is 2.2e-16)


def _as_float(result: Any, f: Callable) -> float:
    if isinstance(result, Value):
        result = result.data
    arr = np.asarray(result, dtype=np.float64) if not isinstance(result, float) else result
    if np.size(arr) != 1:
        raise ValueError(
            f"{getattr(f, '__name__', 'f')} must return one number, but returned shape {np.shape(arr)}; "
            "reduce it first, e.g. with .sum()."
        )
    return float(np.reshape(arr, ()))


def numerical_grad(f: Callable, *inputs: Any, h: float = 1e-5) -> list:
    """Central differences (f(x + h) − f(x − h)) / 2h for every element of every input.

    `f` is called with plain floats / numpy arrays and must return one number (or a
    one-element Value). Returns one gradient per input, shaped like that input.
    """
    xs = [to_data(x.data if isinstance(x, Value) else x, "numerical_grad input") for x in inputs]
    grads = [0.0 if isinstance(x, float) else np.zeros_like(x) for x in xs]
    for i, idx, f_plus, f_minus in _nudges(f, xs, h):
        slope = (f_plus - f_minus) / (2 * h)
        if idx is None:
            grads[i] = slope
        else:
            grads[i][idx] = slope
    return grads


def _nudges(f: Callable, xs: list, h: float):
    """For every element of every input: (input, element, f with it nudged by +h, by −h)."""
    for i, x in enumerate(xs):
        for idx in [None] if isinstance(x, float) else np.ndindex(x.shape):
            values = []
            for delta in (h, -h):
                args = list(xs)
                if idx is None:
                    args[i] = x + delta
                else:
                    args[i] = x.copy()
                    args[i][idx] += delta
                values.append(_as_float(f(*args), f))
            yield i, idx, values[0], values[1]


def relative_error(analytic: Any, numeric: Any) -> np.ndarray:
    """|a − n| / max(|a|, |n|), elementwise (0 where both are 0)."""
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    scale = np.maximum(np.abs(a), np.abs(n))
    return np.abs(a - n) / np.where(scale == 0, 1.0, scale)


def verdict(rel: float) -> str:
    """The standard advice on a relative error, in words."""
    if rel > WRONG:
        return "WRONG"
    if rel > SUSPICIOUS:
        return "suspicious"
    if rel > FINE:
        return "probably fine"
    return "excellent"


@dataclass
class InputCheck:
    """The comparison for one input: analytic and numeric gradient, relative error per element.

    Two kinds of element are not judged: those at a kink (`kink`: no derivative exists)
    and those where the two gradients differ by no more than rounding noise (`noise`).
    """

    name: str
    value: Any
    analytic: Any
    numeric: Any
    rel_error: np.ndarray
    kink: np.ndarray
    noise: np.ndarray

    @property
    def judged(self) -> np.ndarray:
        """Relative errors with the unjudged elements set to 0."""
        return np.where(np.asarray(self.kink) | np.asarray(self.noise), 0.0, self.rel_error)

    @property
    def worst(self) -> float:
        """The largest judged relative error."""
        return float(np.max(self.judged))

    @property
    def verdict(self) -> str:
        return verdict(self.worst)


@dataclass
class GradcheckReport:
    """What `gradcheck` found, for people: print it, or test `.passed`."""

    function: str
    output: float
    checks: list

    @property
    def passed(self) -> bool:
        """True if every input's worst relative error (kinks aside) is below 1e-4."""
        return all(c.worst <= SUSPICIOUS for c in self.checks)

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, name: str) -> InputCheck:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no input named {name!r}; inputs are {[c.name for c in self.checks]}")

    def __str__(self) -> str:
        lines = [f"gradcheck of {self.function} (output {_fmt(self.output)}), central differences:"]
        lines.append(f"  {'input':<8} {'analytic':>12} {'numeric':>12} {'rel. error':>11}  verdict")
        for c in self.checks:
            a, n, r = np.asarray(c.analytic), np.asarray(c.numeric), np.asarray(c.rel_error)
            # an array shows its worst judged element; if all agree (to rounding noise), its first one without a kink
            noteworthy = c.worst >= FINE  # below 1e-7 which element is "worst" is down to rounding, machine by machine
            score = c.judged if noteworthy else np.zeros(np.shape(c.judged))
            k = np.unravel_index(int(np.argmax(score - np.asarray(c.kink))), r.shape) if r.ndim else ()
            where = f"{c.name}{[int(i) for i in k]}" if r.ndim else c.name
            said = "at a kink: not judged" if np.asarray(c.kink)[k] else verdict(float(c.judged[k]))
            if np.asarray(c.noise)[k] and r[k] > FINE:
                said = "fine (the difference is rounding noise)"
            judged = int(np.size(c.kink) - np.count_nonzero(c.kink))
            if not r.ndim:
                more = ""
            elif noteworthy:
                more = f"   (worst of {a.size} elements)"
            else:
                more = f"   (all {judged} elements {'without a kink ' if judged < a.size else ''}agree)"
            lines.append(f"  {where:<8} {_fmt(a[k]):>12} {_fmt(n[k]):>12} {_fmt_rel(float(r[k])):>11}  {said}{more}")
            for idx in zip(*np.nonzero(np.atleast_1d(c.kink)), strict=True):
                place = f"{c.name}{[int(i) for i in idx]}" if r.ndim else c.name
                lines.append(
                    f"  note: f has a kink at {place} (the slopes from the left and from the right differ), "
                    "so no single derivative exists there; that element is not judged."
                )
        worst = max((c.worst for c in self.checks), default=0.0)  # kinks and rounding noise aside
        if self.passed and worst < FINE:
            lines.append("PASSED: backprop agrees with central differences to better than 1e-7 (rounding noise aside).")
        elif self.passed:
            lines.append(f"PASSED: backprop agrees with central differences (worst relative error {_fmt_rel(worst)}).")
        else:
            bad = [c.name for c in self.checks if c.worst > SUSPICIOUS]
            lines.append(
                f"FAILED: the gradient of {', '.join(bad)} disagrees with central differences "
                f"(worst relative error {_fmt_rel(worst)}; above 1e-2 means a wrong local gradient)."
            )
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows the report, not a dataclass dump
        printer.text(str(self))


def _fmt_rel(rel: float) -> str:
    """A relative error for people: below 1e-7 only "< 1e-07", since its digits there are rounding
    noise that differs from machine to machine (and would make notebook outputs machine-dependent)."""
    return f"{rel:.1e}" if rel >= FINE else "< 1e-07"


def _fmt(x: Any) -> str:
    return f"{float(x):.6g}"


def gradcheck(f: Callable[..., Value], *inputs: Any, h: float = 1e-5) -> GradcheckReport:
    """Compare backprop's gradients of `f` with central differences at `inputs`.

    `f` takes one `Value` per input and returns a one-element `Value`. Inputs may be
    numbers, arrays or Values (their `.data` is used; they are not modified).

        >>> print(gradcheck(lambda x, y: (x * y).sigmoid(), 2.0, -3.0))
        gradcheck of f(x, y) at x=2, y=-3 (output 0.00247262), central differences:
          input        analytic      numeric  rel. error  verdict
          x         -0.00739953  -0.00739953     < 1e-07  excellent
          y          0.00493302   0.00493302     < 1e-07  excellent
        PASSED: backprop agrees with central differences to better than 1e-7 (rounding noise aside).
    """
    names = _input_names(f, inputs)
    xs = [to_data(x.data if isinstance(x, Value) else x, "gradcheck input") for x in inputs]
    leaves = [Value(x, label=name) for x, name in zip(xs, names, strict=True)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(
            f"{getattr(f, '__name__', 'f')} returned {type(out).__name__}, not a Value: build the result "
            "from the Values it is given (use x.exp(), not math.exp(x))."
        )
    _as_float(out, f)
    out.backward()

    def f_plain(*args):
        return f(*(Value(a) for a in args))

    f0 = _as_float(out, f)
    numeric = [0.0 if isinstance(x, float) else np.zeros_like(x) for x in xs]
    kink = [np.zeros(np.shape(x), dtype=bool) for x in xs]
    noise = max(1.0, abs(f0)) * NOISE / h  # what rounding alone can make a difference quotient be off by
    for i, idx, f_plus, f_minus in _nudges(f_plain, xs, h):
        key = () if idx is None else idx
        central = (f_plus - f_minus) / (2 * h)
        if idx is None:
            numeric[i] = central
        else:
            numeric[i][idx] = central
        right, left = (f_plus - f0) / h, (f0 - f_minus) / h
        # a kink: the slopes from the right and from the left differ by more than curvature explains
        kink[i][key] = abs(right - left) > 1e-2 * max(1.0, abs(right), abs(left))
    checks = [
        InputCheck(leaf.label, x, leaf.grad, num, relative_error(leaf.grad, num), k, np.abs(leaf.grad - num) <= noise)
        for leaf, x, num, k in zip(leaves, xs, numeric, kink, strict=True)
    ]
    return GradcheckReport(_describe(f, names, xs), f0, checks)


def _input_names(f: Callable, inputs: tuple) -> list[str]:
    try:
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        params = [p.name for p in inspect.signature(f).parameters.values() if p.kind in positional]
    except (TypeError, ValueError):
        params = []
    names = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value) and x.label:
            names.append(x.label)
        elif i < len(params):
            names.append(params[i])
        else:
            names.append(f"x{i}")
    return names


def _describe(f: Callable, names: list, xs: list) -> str:
    fname = getattr(f, "__name__", "f")
    fname = "f" if fname == "<lambda>" else fname
    at = ", ".join(f"{n}={_fmt(x)}" if isinstance(x, float) else f"{n}: shape {x.shape}" for n, x in zip(names, xs, strict=True))
    return f"{fname}({', '.join(names)}) at {at}"
