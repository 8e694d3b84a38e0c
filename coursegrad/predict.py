"""Predict, then see: the check at the end of a lecture's prediction cell.

A prediction cell (cell tag `predict`) asks the student to commit to an answer
before the cells below reveal it. It holds a blank and ends with this check:

    my_prediction = ...     # your prediction, e.g. 0.25
    check_prediction(my_prediction, lambda: sigmoid_grad_at_zero(), hint="Where is σ(x) = 1/2?")

The check never raises. Unanswered (the blank `...` or None) it asks for a
prediction; answered, it says right or not yet, with the hint for what is wrong.
It never prints the answer: the cells after it show that. The answer may be given
as a zero-argument function, so it is only computed once a prediction is made;
`engine_gradients(f, *inputs)` makes such an answer key for a gradient.

A lecture keeps its predictions in a `Predictions` record, made once at its top, so that its
last cell can show each one beside what it turned out to be:

    predictions = Predictions()
    predictions.check("σ'(0)", my_prediction, lambda: sigmoid_grad_at_zero(), hint="Where is σ(x) = 1/2?")
    ...
    predictions.summary()      # you predicted …, it was …

`check_backward` checks, in the same never-raising way, a backward pass the student
writes in plain Python (the staged backward of lecture 2) against the engine, and
`check_function` any small function the student writes (`standardise` in lecture 4)
against a reference, naming a typical slip when the student's function makes it, and
`check_gate` a gate the student writes: its output and its local gradient (lecture 1's tanh gate).

    >>> check_prediction(..., 0.25, hint="Where is σ' largest?")
    ✎ Make your prediction first: replace the ... after my_prediction = with your answer and run this cell again.
    >>> check_prediction(0.25, lambda: 0.25, hint="Where is σ' largest?")
    ✔ Right: 0.25.
    >>> check_prediction(0.5, 0.25, hint="Where is σ' largest?", mistakes=[(0.5, "That is σ(0), not σ'(0).")])
    ✘ Not yet: That is σ(0), not σ'(0).
    >>> check_prediction("bigger", "smaller", choices=("bigger", "smaller"), hint="Which input does × swap in?")
    ✘ Not yet: Which input does × swap in?
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from coursegrad.engine import Value

__all__ = ["check_prediction", "Predictions", "engine_gradients", "check_backward", "check_gate", "check_function"]

SUMMARY_HEADING = "What you predicted, and what it was (✔ right, ✘ not yet, ○ no prediction made):"
ASK = "✎ Make your prediction first: replace the ... after my_prediction = with your answer and run this cell again."


def check_prediction(
    prediction: Any,
    answer: Any,
    *,
    hint: str,
    rel: float = 0.05,
    mistakes: Sequence[tuple[Any, str]] = (),
    choices: Sequence[str] | None = None,
) -> None:
    """Print whether `prediction` matches `answer` (numbers to relative tolerance `rel`); never raise.

    `answer` is a number, a list of numbers, a string (one of `choices`), or a function
    returning one of these. `mistakes` pairs a known wrong answer (or a function returning
    it) with a hint for it; any other wrong answer gets `hint`.
    """
    try:
        print(_verdict(prediction, answer, hint, rel, mistakes, choices))
    except Exception as err:  # a lesson must go on whatever the student typed
        print(f"✘ Could not check this prediction ({type(err).__name__}: {err}). Run the cells above first, then this one.")


class Predictions:
    """The predictions one lecture asks for, each kept under a short name for the summary at its end.

    `check(name, prediction, answer, ...)` is `check_prediction` that also remembers the prediction
    (running a cell again replaces what it remembered); `summary()` prints, for every prediction asked
    so far, what the student predicted and what it was. Like the check, neither ever raises.
    """

    def __init__(self) -> None:
        self.asked: dict[str, tuple[Any, Any, dict]] = {}  # name -> (prediction, answer, the check's options)

    def check(self, name: str, prediction: Any, answer: Any, *, hint: str, **options: Any) -> None:
        """Check `prediction` as `check_prediction` does, and remember it as `name`, with the answer as it is here.

        An answer given as a function is computed now (silently), not at the summary: the names it
        reads (x, f, W, ...) may mean something else by the end of the lecture.
        """
        if callable(answer):
            try:
                answer = answer()
            except Exception:  # noqa: BLE001 - the check below and the summary report it
                pass
        self.asked[name] = (prediction, answer, dict(options, hint=hint))
        check_prediction(prediction, answer, hint=hint, **options)

    def summary(self) -> None:
        """Print a heading, then one line per prediction: what you predicted, what it was, and whether they agree.

        The heading holds no answer: it is all JupyterLab shows of the summary's stored output collapsed.
        """
        if not self.asked:
            print("No predictions were asked for yet: run the lecture's prediction cells first.")
        else:
            print(SUMMARY_HEADING)
        for name, (prediction, answer, options) in self.asked.items():
            try:
                print(self._line(name, prediction, answer, options))
            except Exception as err:  # noqa: BLE001 - a summary must go on whatever the student typed
                print(f"{name}: could not be summarised ({type(err).__name__}: {err}).")

    @staticmethod
    def _line(name: str, prediction: Any, answer: Any, options: dict) -> str:
        want = answer() if callable(answer) else answer
        it_was = f"it was {_show(want)}"
        if prediction is ... or prediction is None:
            return f"○ {name}: no prediction made; {it_was}."
        right = _form_problem(prediction, options.get("choices")) is None and _matches(prediction, want, options.get("rel", 0.05))
        mark = "✔" if right else "✘"
        return f"{mark} {name}: you predicted {_show(prediction)}; {it_was}."


def _verdict(prediction, answer, hint, rel, mistakes, choices) -> str:
    if prediction is ... or prediction is None:
        return ASK
    problem = _form_problem(prediction, choices)
    if problem:
        return f"✘ {problem}"
    want = answer() if callable(answer) else answer
    if _matches(prediction, want, rel):
        return f"✔ Right: {_show(prediction)}."
    for wrong, wrong_hint in mistakes:
        wrong = wrong() if callable(wrong) else wrong  # computed, so that the cell does not print half an answer
        if _matches(prediction, wrong, rel) and not _matches(wrong, want, rel):
            return f"✘ Not yet: {wrong_hint}"
    return f"✘ Not yet: {hint}"


def _form_problem(prediction: Any, choices: Sequence[str] | None) -> str | None:
    """What is wrong with the *form* of the prediction (not its value), or None."""
    if choices is not None:
        options = ", ".join(repr(c) for c in choices)
        if not isinstance(prediction, str) or prediction.strip().lower() not in [c.lower() for c in choices]:
            return f"Answer with one of {options} (a string in quotes); you wrote {prediction!r}."
        return None
    if isinstance(prediction, str):
        return f"Answer with a number, like 0.5 or -3; you wrote the text {prediction!r}."
    return None


def _matches(got: Any, want: Any, rel: float) -> bool:
    if isinstance(want, str):
        return isinstance(got, str) and got.strip().lower() == want.strip().lower()
    if isinstance(want, Sequence) or hasattr(want, "__len__"):
        if not hasattr(got, "__len__") or isinstance(got, str) or len(got) != len(want):
            return False
        return all(_matches(g, w, rel) for g, w in zip(got, want, strict=True))
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        return False
    got, want = float(got), float(want)
    return math.isfinite(got) and abs(got - want) <= max(1e-12, rel * abs(want))


def _show(x: Any) -> str:
    if hasattr(x, "tolist"):  # a numpy array or scalar: its plain Python value
        x = x.tolist()
    if isinstance(x, str):
        return repr(x)
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in x) + "]"
    return f"{x:g}" if isinstance(x, float) else f"{x}"


def engine_gradients(f: Callable[..., Value], *inputs: float) -> list:
    """[∂f/∂input for each input]: f evaluated on fresh `Value`s at `inputs` and backpropagated by the engine."""
    leaves = [Value(x) for x in inputs]
    f(*leaves).backward()
    return [leaf.grad for leaf in leaves]


class _Unanswered(Exception):
    """What to print instead of a verdict: the student's code left a blank, or raised."""


def _call_student(fn: Callable[..., Any], args: Sequence, blank: str, who: str, where: str) -> Any:
    """fn(*args), or _Unanswered(message): `blank` for a `...` left in the code, else what `who` raised `where`."""
    try:
        return fn(*args)
    except Exception as err:  # noqa: BLE001 - reported to the student, never raised
        if isinstance(err, TypeError) and "ellipsis" in str(err):
            raise _Unanswered(blank) from None
        raise _Unanswered(f"✘ {who} raised {type(err).__name__} {where}: {err}") from None


FILL = "✎ Fill in the lines marked ... (each one `name = local gradient × upstream gradient`) and run this cell again."


def check_backward(
    backward: Callable[..., Sequence[float]],
    f: Callable[..., Value],
    points: Sequence[Sequence[float]],
    *,
    hint: str,
    tol: float = 1e-9,
) -> None:
    """Print whether `backward(*point)` returns f's gradients at every point; never raise.

    A gradient agrees when |yours − engine's| ≤ tol · max(1, |engine's|), the engine's
    being `engine_gradients(f, *point)`. Blanks (`...`) still in `backward` get a request
    to fill them; a wrong gradient gets its name, the point, and `hint`, never the answer.
    """
    try:
        print(_backward_verdict(backward, f, points, hint, tol))
    except Exception as err:  # a lesson must go on whatever the student wrote
        print(f"✘ Could not check your backward pass ({type(err).__name__}: {err}).")


def _backward_verdict(backward, f, points, hint, tol) -> str:
    names = list(inspect.signature(f).parameters)
    for point in points:
        where = ", ".join(f"{n} = {x:g}" for n, x in zip(names, point, strict=True))
        try:
            yours = _call_student(backward, point, FILL, "Your backward pass", f"at {where}")
        except _Unanswered as said:
            return str(said)
        if yours is ... or (isinstance(yours, (tuple, list)) and any(g is ... for g in yours)):
            return FILL
        if not isinstance(yours, (tuple, list)) or len(yours) != len(names):
            return f"✘ Return one gradient per input, as ({', '.join('d' + n for n in names)}); you returned {yours!r}."
        want = engine_gradients(f, *point)
        wrong = [f"d{n}" for n, g, w in zip(names, yours, want, strict=True) if not _agrees(g, w, tol)]
        if wrong:
            right = [f"d{n}" for n in names if f"d{n}" not in wrong]
            also = f" ({', '.join(right)} {'is' if len(right) == 1 else 'are'} right)" if right else ""
            return f"✘ Not yet: {' and '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} off at {where}{also}. {hint}"
    return f"✔ Right: your backward pass agrees with the engine to {tol:g} at {len(points)} points."


def _agrees(got: Any, want: float, tol: float) -> bool:
    if isinstance(got, bool) or not isinstance(got, numbers.Real) or not math.isfinite(got):
        return False
    return abs(float(got) - want) <= tol * max(1.0, abs(want))


GATE_FILL = "✎ Fill in the lines marked ... (the gate's output and its local gradient) and run this cell again."


def check_gate(
    gate: Callable[[float], Sequence[float]],
    op: Callable[[Value], Value],
    points: Sequence[float],
    *,
    hint: str,
    mistakes: Sequence[tuple[Callable[[float], float], str]] = (),
    tol: float = 1e-9,
) -> None:
    """Print whether `gate(x)` returns (output, local gradient) of the engine's `op` at every point; never raise.

    The engine's are `op(Value(x)).data` and, after backward, `Value(x).grad`; they agree when
    |yours − engine's| ≤ tol · max(1, |engine's|). A wrong value is named (output or local gradient)
    with the point and `hint`, or the hint of a known wrong local gradient in `mistakes` (a function
    of x paired with its hint); never with the answer.
    """
    try:
        print(_gate_verdict(gate, op, points, hint, mistakes, tol))
    except Exception as err:  # a lesson must go on whatever the student wrote
        print(f"✘ Could not check your gate ({type(err).__name__}: {err}).")


def _gate_verdict(gate, op, points, hint, mistakes, tol) -> str:
    name = next(iter(inspect.signature(gate).parameters), "x")
    for x in points:
        where = f"{name} = {x:g}"
        try:
            yours = _call_student(gate, (x,), GATE_FILL, "Your gate", f"at {where}")
        except _Unanswered as said:
            return str(said)
        if yours is ... or (isinstance(yours, (tuple, list)) and any(v is ... for v in yours)):
            return GATE_FILL
        if not isinstance(yours, (tuple, list)) or len(yours) != 2:
            return f"✘ Return two numbers, (output, local gradient); you returned {yours!r}."
        kinds = [f"your {what} is a {type(v).__name__}" for what, v in zip(("output", "local gradient"), yours, strict=True)
                 if isinstance(v, bool) or not isinstance(v, numbers.Real)]  # fmt: skip
        if kinds:
            return f"✘ Return plain numbers (floats): {' and '.join(kinds)}."
        leaf = Value(x)
        out = op(leaf)
        out.backward()
        wrong = [what for what, g, w in zip(("output", "local gradient"), yours, (out.data, leaf.grad), strict=True)
                 if not _agrees(g, w, tol)]  # fmt: skip
        if wrong:
            known = [h for f, h in mistakes if _agrees(yours[1], f(x), tol) and not _agrees(f(x), leaf.grad, tol)]
            why = known[0] if "local gradient" in wrong and known else hint
            return f"✘ Not yet: your {' and your '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} off at {where}. {why}"
    return f"✔ Right: your gate's output and local gradient agree with the engine's to {tol:g} at {len(points)} points."


WRITE = "✎ Write the body of your function (replace the ...) and run this cell again."


def check_function(
    fn: Callable[..., Any],
    reference: Callable[..., Any],
    cases: Sequence[tuple],
    *,
    hint: str,
    mistakes: Sequence[tuple[Callable[..., Any], str]] = (),
    tol: float = 1e-9,
) -> None:
    """Print whether `fn(*case)` equals `reference(*case)` for every case; never raise, never show the answer.

    Values agree when |yours − reference| ≤ tol · max(1, |reference|), entry by entry. A body still
    `...` gets a request to write it; a wrong function gets, for the first case it fails, the hint of
    the first `mistakes` function (a typical slip, with what it gets wrong) that it agrees with on
    every case, or else `hint`.
    """
    try:
        print(_function_verdict(fn, reference, cases, hint, mistakes, tol))
    except Exception as err:  # a lesson must go on whatever the student wrote
        print(f"✘ Could not check your function ({type(err).__name__}: {err}).")


def _function_verdict(fn, reference, cases, hint, mistakes, tol) -> str:
    name = getattr(fn, "__name__", "your function")
    if not callable(fn):
        return f"✘ Check a function (written with def ...); this is {type(fn).__name__} {fn!r}."
    for k, case in enumerate(cases, start=1):
        try:
            yours = _call_student(fn, case, WRITE, name, f"on test {k} of {len(cases)}")
        except _Unanswered as said:
            return str(said)
        if yours is ... or yours is None:
            return WRITE if yours is ... else f"✘ {name} returned None: did you forget the return?"
        want = np.asarray(reference(*case), dtype=float)
        got = np.asarray(yours, dtype=float) if _numeric(yours) else None
        if got is None or got.shape != want.shape:
            shape = "a number" if want.ndim == 0 else f"an array of shape {want.shape}"
            return f"✘ {name} should return {shape}; on test {k} it returned {type(yours).__name__} {np.shape(yours)}."
        if not _all_agree(got, want, tol):
            slip = next((h for wrong, h in mistakes if all(_agrees_with(fn, wrong, c, tol) for c in cases)), hint)
            return f"✘ Not yet: {name} is off on test {k} of {len(cases)}. {slip}"
    return f"✔ Right: {name} agrees with the reference to {tol:g} on all {len(cases)} tests."


def _numeric(x: Any) -> bool:
    try:
        return np.asarray(x).dtype.kind in "biuf"
    except Exception:  # noqa: BLE001 - ragged or odd objects are simply not numbers
        return False


def _all_agree(got: np.ndarray, want: np.ndarray, tol: float) -> bool:
    return bool(np.all(np.isfinite(got)) and np.all(np.abs(got - want) <= tol * np.maximum(1.0, np.abs(want))))


def _agrees_with(fn, other, case, tol) -> bool:
    try:
        got, want = np.asarray(fn(*case), dtype=float), np.asarray(other(*case), dtype=float)
    except Exception:  # noqa: BLE001 - a slip that does not run on this case is not the student's slip
        return False
    return got.shape == want.shape and _all_agree(got, want, tol)
