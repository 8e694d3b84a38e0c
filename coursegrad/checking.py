"""A toolkit for checking a student's answers: strict reading, closeness, hints by kind of error, partial credit.

Nothing here knows any exercise. A worksheet's checks (`coursegrad.exercises.*`) compute the
right values privately and hand them to these functions, which say *what* is wrong, never
what the answer is:

    >>> judge("df_da", -6.0, 6.0, mistakes=[Mistake(2.0, "that is the local gradient alone.")])
    'df_da: the size is right but the sign is wrong. Follow the signs of the upstream and local gradients.'
    >>> judge("df_da", 2.0, 6.0, mistakes=[Mistake(2.0, "that is the local gradient alone.")])
    'df_da: that is the local gradient alone.'
    >>> judge("df_da", 6.0, 6.0) is None
    True

The kinds of error a hint can name, in the order `judge` tries them: not a number (or not a
finite one), a known mistake (`Mistake(value, hint)`: the value a typical slip gives, and what
that slip is), the right size with the wrong sign, and otherwise "not right yet" with the
exercise's general hint. `report` prints ✓ for the right answers and raises one
AssertionError listing the hints for the others; `partial_credit` prints the same and returns
the points earned (each part worth its share), which nbgrader takes as the cell's score.

One judgment: whether an answer is right is decided by `agrees`, which is the grader's own rule
(`coursegrad.grading.judge`, run on the data `coursegrad.grading.inkernel.probe.to_data` makes of a value, as
the grader sees it). A check cell and the grader therefore reach the same verdict; the hints only
say why an answer that `agrees` rejects is wrong. Answers are read strictly: only plain real numbers
(and numpy's) count, so an object that merely *says* it equals the answer earns nothing. Two numbers
agree when |got − want| ≤ max(abs_tol, rel·|want|).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "REL",
    "ABS",
    "Mistake",
    "as_number",
    "as_numbers",
    "as_array",
    "close",
    "agrees",
    "expect_close",
    "expect_shape",
    "expect_choice",
    "judge",
    "judge_all",
    "report",
    "partial_credit",
    "call_student",
]

REL, ABS = 1e-6, 1e-9  # the default tolerances, the same as the grader's judge
_EXACT_NUMBER_TYPES = {int, float} | {np.dtype(c).type for c in "bhilqBHILQefd"}
SIGN_HINT = "the size is right but the sign is wrong. Follow the signs of the upstream and local gradients."


class Mistake(NamedTuple):
    """A typical wrong answer: the value it gives, and a hint saying what the slip is (not the answer)."""

    value: Any
    hint: str


# ---------------------------------------------------------------------------
# Reading answers strictly
# ---------------------------------------------------------------------------


def as_number(name: str, x: Any) -> float:
    """Your answer `x` as a plain float, or an AssertionError saying what kind of value is expected.

    Only real numbers count. A subclass of float or int is read by its stored value
    (float.__float__), so overriding `__eq__` or `__sub__` cannot fake an answer.
    """
    if isinstance(x, (bool, np.bool_)):
        raise AssertionError(f"{name} should be a number, got the bool {x!r}.")
    if type(x) in _EXACT_NUMBER_TYPES or (type(x) is np.ndarray and x.shape == () and x.dtype.kind in "biuf"):
        value = float(x)
    elif isinstance(x, float):
        value = float.__float__(x)
    elif isinstance(x, int):
        value = float(int.__index__(x))
    elif hasattr(x, "grad") and hasattr(x, "data"):
        raise AssertionError(f"{name} should be a plain number; you assigned a Value. Use its .data or .grad.")
    else:
        raise AssertionError(f"{name} should be a number such as -1.5, got {type(x).__name__}.")
    if not math.isfinite(value):
        raise AssertionError(f"{name} is {value}: it should be a finite number.")
    return value


def as_numbers(name: str, x: Any, n: int) -> list[float]:
    """A list, tuple or 1-D array of `n` numbers, each read strictly."""
    if type(x) is np.ndarray and x.dtype.kind in "biuf" and x.ndim == 1:
        x = x.tolist()
    if type(x) not in (list, tuple):
        raise AssertionError(f"{name} should be a list of {n} numbers, e.g. [1.0, 2.0, ...], got {type(x).__name__}.")
    if len(x) != n:
        raise AssertionError(f"{name} should hold {n} numbers, it holds {len(x)}.")
    return [as_number(f"{name}[{i}]", v) for i, v in enumerate(x)]


def as_array(name: str, x: Any, shape: tuple[int, ...]) -> np.ndarray:
    """A numpy array of real, finite numbers with exactly `shape` (a gradient has its variable's shape)."""
    if type(x) is not np.ndarray:
        raise AssertionError(f"{name} should be a numpy array, got {type(x).__name__}.")
    if x.dtype.kind not in "biuf":
        raise AssertionError(f"{name} should hold real numbers, its dtype is {x.dtype}.")
    if x.shape != tuple(shape):
        raise AssertionError(f"{name} has shape {x.shape}; it should have the shape of the variable it is the gradient of.")
    if not np.all(np.isfinite(x)):
        raise AssertionError(f"{name} holds nan or inf.")
    return np.asarray(x, dtype=float)


def close(got: Any, want: Any, rel: float = REL, abs_tol: float = ABS) -> bool:
    """|got − want| ≤ max(abs_tol, rel·|want|) for every element (numbers or arrays of one shape)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return False
    return bool(np.all(np.abs(got - want) <= np.maximum(abs_tol, rel * np.abs(want))))


def agrees(got: Any, want: Any, rel: float = REL, abs_tol: float = ABS, compare: str = "values") -> bool:
    """The grader's verdict on one item: `got` and `want` as plain data (`probe.to_data`; a value that is
    not plain data never agrees), compared by `judge.matches` (or `judge.orders_match` for "topological_order")."""
    from coursegrad.grading.inkernel.probe import to_data
    from coursegrad.grading.judge import matches, orders_match

    try:
        have, expected = to_data(got), to_data(want)
    except TypeError:
        return False
    return (orders_match if compare == "topological_order" else matches)(have, expected, rel, abs_tol)


# ---------------------------------------------------------------------------
# Plain assertions (the hidden tests use these)
# ---------------------------------------------------------------------------


def expect_close(name: str, got: Any, want: Any, rel: float = REL, abs_tol: float = ABS) -> None:
    """Assert that the answer `got` (read strictly) is `want` within the tolerance of `close`.

    `want` may be a number, a list of numbers or an array; the message says which answer (or
    which elements) are wrong, not what they should be.
    """
    if isinstance(want, np.ndarray):
        values = as_array(name, got, want.shape)
    elif isinstance(want, (list, tuple)):
        values = np.array(as_numbers(name, got, len(want)))
    else:
        values = as_number(name, got)
    if isinstance(want, (list, tuple, np.ndarray)):
        wrong = [
            i for i, (v, w) in enumerate(zip(np.ravel(values), np.ravel(want), strict=True)) if not close(v, w, rel, abs_tol)
        ]
        if wrong:
            raise AssertionError(f"{name}: element(s) {wrong[:10]} are not right yet.")
    elif not close(values, want, rel, abs_tol):
        raise AssertionError(f"{name} is not right yet.")


def expect_shape(name: str, got: Any, want: tuple) -> None:
    """Assert that the answer `got` is the tuple of ints `want` (e.g. a shape (4, 3))."""
    if type(got) not in (tuple, list) or len(got) != len(want):
        example = "(4,)" if len(want) == 1 else "(2, 7)"
        raise AssertionError(f"{name} should be a tuple of {len(want)} integer(s), like {example}.")
    values = [as_number(f"{name}[{i}]", v) for i, v in enumerate(got)]
    if values != [float(w) for w in want]:
        raise AssertionError(f"{name} is not right yet.")


def expect_choice(name: str, got: Any, want: str, options: str) -> None:
    """Assert that the answer `got` is the letter `want`, one of `options` (e.g. "ABCD"); spaces around it are ignored."""
    if type(got) is not str or len(got.strip()) != 1 or got.strip() not in options:
        raise AssertionError(f"{name} should be one of the capital letters {', '.join(options)} (a string, e.g. 'A').")
    if got.strip() != want:
        raise AssertionError(f"{name} is not right yet.")


# ---------------------------------------------------------------------------
# Hints by kind of error, reports and partial credit
# ---------------------------------------------------------------------------


def judge(name: str, got: Any, want: Any, mistakes: Iterable[Mistake] = (), hint: str = "", rel: float = REL) -> str | None:
    """None if `got` is right; otherwise the hint for the kind of error it is (never the answer).

    `want` is a number or a list of numbers; the kinds are tried in this order: not (a list of)
    numbers, a known `Mistake`, the right size with the wrong sign, anything else.
    """
    if agrees(got, list(want) if isinstance(want, tuple) else want, rel):
        return None
    try:
        value = as_numbers(name, got, len(want)) if isinstance(want, (list, tuple)) else as_number(name, got)
    except AssertionError as err:
        return str(err)
    if close(value, want, rel):  # read by its stored value it would be right: it is not a plain number
        return f"{name} should be a plain number (int or float), got {type(got).__name__}."
    for wrong in mistakes:
        if close(value, wrong.value, rel) and not close(wrong.value, want, rel):
            return f"{name}: {wrong.hint}"
    if np.any(np.asarray(want) != 0) and close(value, -np.asarray(want, dtype=float), rel):
        return f"{name}: {SIGN_HINT}"
    if isinstance(want, (list, tuple)):
        wrong_at = [i for i, (v, w) in enumerate(zip(value, want, strict=True)) if not close(v, w, rel)]
        return f"{name}: element(s) {wrong_at} are not right yet. {hint}".rstrip()
    return f"{name}: not right yet. {hint}".rstrip()


def judge_all(expected: dict[str, tuple], answers: dict[str, Any], rel: float = REL) -> dict[str, str | None]:
    """`judge` every given answer against `expected[name] = (want, mistakes, hint)`; unknown names are a TypeError."""
    unknown = sorted(set(answers) - set(expected))
    if unknown:
        raise TypeError(f"unknown answer name(s) {unknown}; this check knows {sorted(expected)}.")
    if not answers:
        first = next(iter(expected))
        raise TypeError(f"pass your answers by name, e.g. {first}={first}.")
    return {name: judge(name, got, *expected[name], rel=rel) for name, got in answers.items()}


def report(judged: dict[str, str | None]) -> None:
    """Print ✓ for every right answer (hint None); raise one AssertionError listing the hints for the rest."""
    for name, hint in judged.items():
        if hint is None:
            print(f"✓ {name} is right")
    wrong = [hint for hint in judged.values() if hint is not None]
    if wrong:
        raise AssertionError("\n".join(wrong))


def partial_credit(judged: dict[str, str | None], points: float, weights: dict[str, float] | None = None) -> float:
    """Print ✓/✗ per part and 'points: p / points'; return p, the sum of the right parts' shares.

    Every part is worth an equal share of `points` unless `weights` (summing to `points`) says
    otherwise. Earning nothing raises AssertionError (so an unanswered cell fails, as in nbgrader).
    """
    weights = weights or {name: points / len(judged) for name in judged}
    for name, hint in judged.items():
        print(f"✓ {name} is right" if hint is None else f"✗ {hint}")
    earned = float(sum(weights[name] for name, hint in judged.items() if hint is None))
    print(f"points: {earned:g} / {float(points):g}")
    if earned == 0:
        raise AssertionError("no part is right yet: see the hints above.")
    return earned


CALL_SECONDS = 10.0  # CPU seconds one call of a student's function may use in a check (a hang costs only its question)
CALL_WALL_FACTOR = 6.0  # and wall seconds, as a multiple of those: code that waits instead of computing
_HUNG = "__coursegrad_hung__"  # set on a student function that did not finish: later checks say so at once


class _TooLong(BaseException):
    """Raised inside the student's code when a call runs past its time (BaseException: `except Exception` cannot eat it)."""

    def __init__(self, where: str):
        super().__init__(where)
        self.where = where


def call_student(fn: Any, *args: Any, shown: str | None = None, seconds: float = CALL_SECONDS) -> Any:
    """Call the student's function `fn(*args)`; turn a failure into an AssertionError saying where it failed.

    `shown` is how the call is described in the message (default: the function's name and "...").
    A call that uses more than `seconds` of CPU time (an infinite loop?; CPU time, so a busy machine
    does not stop a correct call), or waits `CALL_WALL_FACTOR` times as long, is stopped and named, with
    the function it was stuck in; that function and `fn` then fail at once in later checks instead of hanging again.
    """
    name = getattr(fn, "__name__", "your function")
    call = shown or f"{name}(...)"
    if not callable(fn):
        raise AssertionError(f"{name} should be a function (def ...), got {type(fn).__name__}.")
    hung = getattr(fn, _HUNG, None)
    if isinstance(hung, str):
        raise AssertionError(f"{call} was not run again: {hung}")
    try:
        with _time_limit(seconds):
            return fn(*args)
    except _TooLong as stop:
        hang = f"{call} did not finish within {seconds:g} s of CPU time: it was stuck in {stop.where} (an infinite loop?)"
        _forget(stop)
    except KeyboardInterrupt:  # interrupted (by you, or by the grader's timeout per cell): a hang too, not to be run again
        _mark(fn, f"{call} was interrupted in an earlier call (an infinite loop?)")
        raise
    except MemoryError as err:  # an endless loop that grows a list ends here: a hang too, not to be run again
        hang = f"{call} ran out of memory in {_innermost(err)} (an endless loop that keeps growing a list?)"
        _forget(err)
    except NotImplementedError:
        raise AssertionError(f"{name} is not written yet (it raises NotImplementedError).") from None
    except RecursionError:
        raise AssertionError(f"{call} hit Python's recursion limit: use a loop (and a stack) instead of recursion.") from None
    except Exception as err:  # the student's code failed: say where, keep it short
        raise AssertionError(f"{call} raised {_say(err)}") from None
    _mark(fn, hang)
    raise AssertionError(hang)  # raised outside `except`: no __context__ keeps the stopped call's frames alive


def _forget(err: BaseException) -> None:
    """Free what the stopped call's frames hold (a list grown to the memory limit) now: later checks need that memory."""
    import traceback

    traceback.clear_frames(err.__traceback__)
    err.__traceback__ = None


def _say(err: BaseException) -> str:
    """An exception as 'Type: message', never with an empty message."""
    text = str(err)[:300].strip()
    return f"{type(err).__name__}: {text}" if text else f"{type(err).__name__} (with no message)"


class _time_limit:
    """Raise `_TooLong` in the running code after `seconds` of the process's CPU time (SIGPROF) or
    `CALL_WALL_FACTOR` times as many of wall time (SIGALRM); nothing on threads or where a limit already runs."""

    def __init__(self, seconds: float):
        self.seconds, self.armed, self.previous = seconds, False, {}

    def __enter__(self) -> None:
        import signal
        import threading

        if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
            return
        if signal.getitimer(signal.ITIMER_REAL)[0] > 0 or signal.getitimer(signal.ITIMER_PROF)[0] > 0:
            return  # an outer call's limit is running: it governs
        limits = ((signal.SIGPROF, signal.ITIMER_PROF, 1.0), (signal.SIGALRM, signal.ITIMER_REAL, CALL_WALL_FACTOR))
        for sig, timer, factor in limits:
            self.previous[sig] = signal.signal(sig, _stop)
            signal.setitimer(timer, self.seconds * factor)
        self.armed = True

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.armed:
            for timer in (signal.ITIMER_PROF, signal.ITIMER_REAL):
                signal.setitimer(timer, 0)
            for sig, handler in self.previous.items():
                signal.signal(sig, handler)


def _stop(signum: int, frame: Any) -> None:
    """The SIGPROF/SIGALRM handler: name the student function the call was stuck in, mark it, stop it."""
    where = frame
    while where is not None and _is_ours(where.f_code.co_filename):
        where = where.f_back
    if where is None:
        raise _TooLong("the check itself")
    name = where.f_code.co_name
    function = where.f_globals.get(name)
    if getattr(function, "__code__", None) is where.f_code:
        _mark(function, f"{name} did not finish in an earlier call (an infinite loop?)")
    raise _TooLong(f"{name}()" if name != "<module>" else "a cell's top-level code")


def _innermost(err: BaseException) -> str:
    """The student function an exception was raised in (marked as hung), from its traceback."""
    tb, where = err.__traceback__, None
    while tb is not None:
        if not _is_ours(tb.tb_frame.f_code.co_filename):
            where = tb.tb_frame
        tb = tb.tb_next
    if where is None:
        return "the check itself"
    name = where.f_code.co_name
    function = where.f_globals.get(name)
    if getattr(function, "__code__", None) is where.f_code:
        _mark(function, f"{name} ran out of memory in an earlier call (an endless loop?)")
    return f"{name}()" if name != "<module>" else "a cell's top-level code"


def _is_ours(filename: str) -> bool:
    """True for code that is not the student's: this package, the standard library and installed packages."""
    import os
    import sysconfig

    here = os.path.dirname(os.path.abspath(__file__))
    paths = sysconfig.get_paths()
    roots = [here, paths["stdlib"], paths["purelib"], paths["platlib"]]
    return filename.startswith("<frozen") or any(os.path.abspath(filename).startswith(r + os.sep) for r in roots)


def _mark(function: Any, why: str) -> None:
    try:
        setattr(function, _HUNG, why)
    except (AttributeError, TypeError):  # a builtin or an object that refuses attributes: nothing to remember
        pass
