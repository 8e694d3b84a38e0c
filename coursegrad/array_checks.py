"""Write it yourself: the never-raising check of an array a student computes in a lecture.

Lecture 6 asks for single lines of a backward pass (the ReLU mask, a bias gradient). The
cell holds a blank and ends with this check:

    dz1 = ...    # write this line
    check_array("dz1", dz1, lambda: dh * (z1 > 0), hint="Where did the ReLU pass its input on?")

Unanswered (the blank `...`) it asks for the line; a wrong shape gets the shape it must
have; wrong numbers get how many entries differ and the hint (or the hint of a known
mistake). It never prints the answer, and never raises: the cells after it go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["check_array"]


def check_array(
    name: str,
    yours: Any,
    answer: Any,
    *,
    hint: str,
    mistakes: Sequence[tuple[Any, str]] = (),
    rtol: float = 1e-9,
    atol: float = 1e-12,
) -> None:
    """Print whether the array `yours` equals `answer` (to rtol/atol, entry by entry); never raise.

    `answer` is an array or a function returning one (computed only once there is something
    to check). `mistakes` pairs a known wrong array (or a function giving one) with its hint.
    """
    try:
        print(_verdict(name, yours, answer, hint, mistakes, rtol, atol))
    except Exception as err:  # a lesson must go on whatever the student wrote
        print(f"✘ Could not check {name} ({type(err).__name__}: {err}). Run the cells above first, then this one.")


def _verdict(name: str, yours: Any, answer: Any, hint: str, mistakes, rtol: float, atol: float) -> str:
    if yours is ... or yours is None:
        return f"✎ Write the line for {name} first: replace the ... with your code and run this cell again."
    got = np.asarray(yours)
    if got.dtype.kind not in "biuf":
        return f"✘ {name} should be an array of numbers; you have {type(yours).__name__} {yours!r:.60}."
    want = np.asarray(_value(answer), dtype=np.float64)
    if got.shape != want.shape:
        return (
            f"✘ Not yet: {name} has shape {got.shape}, but a gradient has the shape of what it is the gradient of: "
            f"{want.shape}. {hint}"
        )
    close = np.isclose(got.astype(np.float64), want, rtol=rtol, atol=atol)
    if close.all():
        return f"✔ Right: {name} agrees with the answer in all {want.size} entries."
    for wrong, wrong_hint in mistakes:
        wrong = np.asarray(_value(wrong), dtype=np.float64)
        if wrong.shape == got.shape and np.allclose(got, wrong, rtol=rtol, atol=atol) and not np.allclose(wrong, want):
            return f"✘ Not yet: {wrong_hint}"
    return f"✘ Not yet: {int(close.size - close.sum())} of {want.size} entries of {name} differ. {hint}"


def _value(x: Any) -> Any:
    return x() if callable(x) else x
