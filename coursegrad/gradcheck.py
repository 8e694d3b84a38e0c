"""Checking gradients numerically, the way you check a derivative by hand.

The central difference  ∂f/∂x ≈ (f(x + h) − f(x − h)) / 2h  needs nothing but
the forward pass, so it is an independent witness for the gradients that
backpropagation computes. `gradcheck` compares the two for every input element
and says, in words, whether they agree:

    relative error = |analytic − numeric| / max(|analytic|, |numeric|)

CS231n's bands, quoted (https://cs231n.github.io/neural-networks-3/#gradcheck):

    relative error > 1e-2          "usually means the gradient is probably wrong"      WRONG
    1e-2 > relative error > 1e-4   "should make you feel uncomfortable"                uncomfortable
    1e-4 > relative error          "is usually okay for objectives with kinks. But if  okay at a kink /
                                   there are no kinks (...), then 1e-4 is too high."   too high for a smooth f
    1e-7 and less                  "you should be happy"                               excellent

Where f is smooth, a right gradient agrees much better than 1e-7: in float64 with
h = 1e-5 the central difference is off by its truncation error, about f‴·h²/6 ≈ 1e-10
relative, and by rounding, about 1e-16·|f|/h. So `gradcheck` judges every smooth
element strictly and fails it above 1e-6 (`SMOOTH_LIMIT`): a tanh gate whose
local gradient is wrong by 0.005% fails.

Why central differences and this h: the one-sided difference (f(x + h) − f(x)) / h is
off by f″·h/2, O(h); the central one by f‴·h²/6, O(h²): at h = 1e-5 that is 1e-5
against 1e-10. A smaller h shrinks that truncation error, but each f is rounded to
about 1e-16·|f| (float64), and dividing by h magnifies that rounding into ~1e-16·|f|/h,
so the total is least near h = 1e-5 (about the cube root of 1e-16). In float32 (rounding
1e-7·|f|) no h gets below about 1e-5 relative error: check gradients in float64.

Central differences can judge only a function that is smooth within h of x. Each
element is therefore also evaluated at x ± h/2 (one-sided slopes, in halves):

- a **kink** (relu at 0, max at a tie, a branch that bends): the slope changes within h,
  f stays continuous; no single derivative exists, and the element is **not checked**;
- a **jump** (a discontinuity, e.g. a branch switching to a different formula): f changes
  over one half-step by far more than its slope and curvature explain; the local gradient
  says nothing about the change f makes there, and the element is **not checked**.

Differences no larger than rounding noise (about 1e-15·|f| / h) count as agreement.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from coursegrad.engine import Value
from coursegrad.engine_checks import to_data

__all__ = ["numerical_grad", "gradcheck", "GradcheckReport", "InputCheck", "relative_error", "verdict"]

WRONG, UNCOMFORTABLE, HAPPY = 1e-2, 1e-4, 1e-7  # CS231n's band edges
SMOOTH_LIMIT = 1e-6  # where f is smooth, gradcheck fails an element above this (a right gradient gives ~1e-10)
NOISE = 1e-15  # a few float64 rounding errors (machine epsilon is 2.2e-16)
JUMP = 100  # a half-step's change this many times what the slopes around it explain is a jump


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
    for i, idx, (f_plus, f_minus) in _nudges(f, xs, (h, -h)):
        slope = (f_plus - f_minus) / (2 * h)
        if idx is None:
            grads[i] = slope
        else:
            grads[i][idx] = slope
    return grads


def _nudges(f: Callable, xs: list, deltas: tuple):
    """For every element of every input: (input, element, [f with that element nudged by each delta])."""
    for i, x in enumerate(xs):
        for idx in [None] if isinstance(x, float) else np.ndindex(x.shape):
            values = []
            for delta in deltas:
                args = list(xs)
                if idx is None:
                    args[i] = x + delta
                else:
                    args[i] = x.copy()
                    args[i][idx] += delta
                values.append(_as_float(f(*args), f))
            yield i, idx, values


def relative_error(analytic: Any, numeric: Any) -> np.ndarray:
    """|a − n| / max(|a|, |n|), elementwise (0 where both are 0)."""
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    scale = np.maximum(np.abs(a), np.abs(n))
    return np.abs(a - n) / np.where(scale == 0, 1.0, scale)


def verdict(rel: float, kink: bool = False) -> str:
    """CS231n's advice on a relative error, in words; `kink`: f has a kink there (else it is smooth).

    > 1e-2 WRONG · 1e-4 … 1e-2 uncomfortable · 1e-7 … 1e-4 okay at a kink, too high for a smooth f ·
    ≤ 1e-7 excellent. At an edge itself the milder word applies.
    """
    if rel > WRONG:
        return "WRONG"
    if rel > UNCOMFORTABLE:
        return "uncomfortable"
    if rel > HAPPY:
        return "okay at a kink" if kink else "too high for a smooth f"
    return "excellent"


def classify(f0: float, nudged: list, analytic: float, h: float) -> str:
    """ "smooth", "kink" or "jump": what f looks like within h of x, from f at x, x ± h and x ± h/2.

    `nudged` is [f(x+h), f(x−h), f(x+h/2), f(x−h/2)]. Smooth: halving the step halves the difference
    of the one-sided slopes (f″·h) and leaves the central difference (to O(h²)). Otherwise: a jump if one
    half-step changes f by more than JUMP × what the other half-steps' slopes and the gradient explain
    (a discontinuity: the change does not shrink with the step); else a kink (the slope changes, f is continuous).
    """
    fp, fm, fp2, fm2 = nudged
    slack = 10 * NOISE * max(1.0, abs(f0)) / h  # rounding, magnified by the division by h or h/2
    c1, c2 = (fp - fm) / (2 * h), (fp2 - fm2) / h
    gap1, gap2 = (fp - 2 * f0 + fm) / h, (fp2 - 2 * f0 + fm2) / (h / 2)
    tol = slack + HAPPY * max(abs(c1), abs(c2), abs(analytic))
    if abs(c1 - c2) <= tol and abs(gap2 - gap1 / 2) <= tol:
        return "smooth"
    halves = np.abs([fp - fp2, fp2 - f0, f0 - fm2, fm2 - fm])  # f's change over each half-step, right to left
    k = int(np.argmax(halves))
    others = max(np.delete(halves, k).max(), abs(analytic) * h / 2, h / 2)
    return "jump" if halves[k] > JUMP * others else "kink"


@dataclass
class InputCheck:
    """The comparison for one input: analytic and numeric gradient, relative error per element.

    Three kinds of element are not judged: those at a kink (`kink`) or a jump (`jump`), where no
    derivative exists and central differences cannot check one (they are *not checked*), and those
    where the two gradients differ by no more than rounding noise (`noise`: they agree).
    """

    name: str
    value: Any
    analytic: Any
    numeric: Any
    rel_error: np.ndarray
    kink: np.ndarray
    noise: np.ndarray
    jump: np.ndarray

    @property
    def unchecked(self) -> np.ndarray:
        """The elements central differences could not check: at a kink or a jump."""
        return np.asarray(self.kink) | np.asarray(self.jump)

    @property
    def judged(self) -> np.ndarray:
        """Relative errors with the unjudged elements (unchecked, or rounding noise) set to 0."""
        return np.where(self.unchecked | np.asarray(self.noise), 0.0, self.rel_error)

    @property
    def worst(self) -> float:
        """The largest judged relative error."""
        return float(np.max(self.judged))

    @property
    def passed(self) -> bool:
        """True if no checked element is off by more than SMOOTH_LIMIT (every checked element is smooth)."""
        return self.worst <= SMOOTH_LIMIT

    @property
    def verdict(self) -> str:
        return verdict(self.worst)


@dataclass
class GradcheckReport:
    """What `gradcheck` found, for people: print it, or test `.passed` (and `.checked_all`)."""

    function: str
    output: float
    checks: list

    @property
    def passed(self) -> bool:
        """True if no checked element disagrees by more than SMOOTH_LIMIT; see `checked_all` for the rest."""
        return all(c.passed for c in self.checks)

    @property
    def checked_all(self) -> bool:
        """True if every element was checked (none sits at a kink or a jump)."""
        return not any(c.unchecked.any() for c in self.checks)

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
            lines.append(_row(c))
            lines.extend(_notes(c))
        lines.append(self._conclusion())
        return "\n".join(lines)

    def _conclusion(self) -> str:
        """The verdict line: PASSED only for what was checked, and the rest named as not checked."""
        failed = [c.name for c in self.checks if not c.passed]
        unchecked = [_unchecked(c) for c in self.checks if c.unchecked.any()]
        skipped = f" Not checked: {'; '.join(unchecked)}." if unchecked else ""
        worst = max((c.worst for c in self.checks), default=0.0)
        if failed:
            return (
                f"FAILED: the gradient of {', '.join(failed)} disagrees with central differences (worst relative "
                f"error {_fmt_rel(worst)}; f is smooth there, so above {SMOOTH_LIMIT:.0e} the gradient is wrong).{skipped}"
            )
        checked = [c.name for c in self.checks if not c.unchecked.all()]
        if not checked:
            return f"NOT CHECKED: {'; '.join(unchecked)}: f is not smooth there, so central differences cannot judge it."
        how = "to better than 1e-7 (rounding noise aside)" if worst <= HAPPY else f"(worst relative error {_fmt_rel(worst)})"
        which = f" for {', '.join(checked)}" if unchecked else ""
        return f"PASSED{which}: backprop agrees with central differences {how}.{skipped}"

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows the report, not a dataclass dump
        printer.text(str(self))


def _row(c: InputCheck) -> str:
    """One table row for an input: a number, or an array's most telling element and a count."""
    a, n, r = np.asarray(c.analytic), np.asarray(c.numeric), np.asarray(c.rel_error)
    noteworthy = c.worst > HAPPY  # below 1e-7 which element is "worst" is down to rounding, machine by machine
    score = np.where(c.unchecked, -1.0, c.judged if noteworthy else 0.0)  # prefer a checked element
    k = np.unravel_index(int(np.argmax(score)), r.shape) if r.ndim else ()
    where = f"{c.name}{[int(i) for i in k]}" if r.ndim else c.name
    row = f"  {where:<8} {_fmt(a[k]):>12} {_fmt(n[k]):>12} {_fmt_rel(float(r[k])):>11}  {_said(c, k)}"
    if not r.ndim:
        return row
    checked = int(r.size - np.count_nonzero(c.unchecked))
    if noteworthy:
        return f"{row}   (worst of {checked} checked elements)" if checked < r.size else f"{row}   (worst of {r.size} elements)"
    return f"{row}   (all {checked} {'checked ' if checked < r.size else ''}elements agree)"


def _said(c: InputCheck, k: tuple) -> str:
    """The verdict on one element in words."""
    if np.asarray(c.jump)[k]:
        return "jump: not checked"
    if np.asarray(c.kink)[k]:
        return "kink: not checked"
    if np.asarray(c.noise)[k] and np.asarray(c.rel_error)[k] > HAPPY:
        return "fine (the difference is rounding noise)"
    rel = float(c.judged[k])
    if HAPPY < rel <= SMOOTH_LIMIT:
        return "acceptable (f is smooth: within 1e-6)"
    return verdict(rel)


def _notes(c: InputCheck, most: int = 3) -> list[str]:
    """A note on each element at a kink or a jump (the first `most` of them), saying why it was not checked."""
    notes = []
    for idx in list(zip(*np.nonzero(np.atleast_1d(c.unchecked)), strict=True))[:most]:
        key = idx if np.ndim(c.rel_error) else ()
        place = f"{c.name}{[int(i) for i in idx]}" if np.ndim(c.rel_error) else c.name
        if np.asarray(c.jump)[key]:
            notes.append(
                f"  note: f jumps at {place} (within h it changes by far more than its slope explains: a "
                f"discontinuity), so the gradient {_fmt(np.asarray(c.analytic)[key])} says nothing about the "
                "change f makes there; not checked."
            )
        else:
            notes.append(
                f"  note: f has a kink at {place} (the slopes from the left and from the right differ), "
                "so no single derivative exists there; not checked."
            )
    more = int(np.count_nonzero(c.unchecked)) - most
    return notes + ([f"  note: and {more} more elements of {c.name} at a kink or a jump; not checked."] if more > 0 else [])


def _unchecked(c: InputCheck) -> str:
    """What of one input was not checked, and why: "x (a jump)", "2 of 6 elements of W (kinks)"."""
    kinds = [k for k, m in (("kink", c.kink), ("jump", c.jump)) if np.any(m)]
    if np.ndim(c.rel_error) == 0:
        return f"{c.name} (a {kinds[0]})"
    count = int(np.count_nonzero(c.unchecked))
    named = " and ".join(k + "s" for k in kinds) if count > 1 else f"a {kinds[0]}"
    return f"{count} of {np.size(c.rel_error)} elements of {c.name} ({named})"


def _fmt_rel(rel: float) -> str:
    """A relative error for people: below 1e-7 only "< 1e-07", since its digits there are rounding
    noise that differs from machine to machine (and would make notebook outputs machine-dependent)."""
    return f"{rel:.1e}" if rel >= HAPPY else "< 1e-07"


def _fmt(x: Any) -> str:
    return f"{float(x):.6g}"


def gradcheck(f: Callable[..., Value], *inputs: Any, h: float = 1e-5) -> GradcheckReport:
    """Compare backprop's gradients of `f` with central differences at `inputs`.

    `f` takes one `Value` per input and returns a one-element `Value`. Inputs may be
    numbers, arrays or Values (their `.data` is used; they are not modified). Each element
    is also tried at ± h/2 to tell a smooth f from a kink or a jump (`classify`).

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
    f0 = _as_float(out, f)
    out.backward()

    def f_plain(*args):
        return f(*(Value(a) for a in args))

    numeric = [np.zeros(np.shape(x)) for x in xs]
    shape = [np.full(np.shape(x), "smooth", dtype=object) for x in xs]
    for i, idx, nudged in _nudges(f_plain, xs, (h, -h, h / 2, -h / 2)):
        key = () if idx is None else idx
        numeric[i][key] = (nudged[0] - nudged[1]) / (2 * h)
        shape[i][key] = classify(f0, nudged, float(np.asarray(leaves[i].grad)[key]), h)
    noise = max(1.0, abs(f0)) * NOISE / h  # what rounding alone can make a difference quotient be off by
    checks = []
    for leaf, x, num, kind in zip(leaves, xs, numeric, shape, strict=True):
        num = float(num) if isinstance(x, float) else num
        rel, close = relative_error(leaf.grad, num), np.abs(leaf.grad - num) <= noise
        checks.append(InputCheck(leaf.label, x, leaf.grad, num, rel, kind == "kink", close, kind == "jump"))
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
