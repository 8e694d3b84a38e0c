"""How numbers are written for people: in graph drawings, step descriptions and explorer readouts.

>>> fmt(-12.0), fmt(0.7310585), fmt(1.2e-05), fmt(-0.0), fmt(0.123456, digits=4)
('-12', '0.731', '1.2e-05', '0', '0.1235')
>>> "10" + superscript(-3)
'10⁻³'
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["fmt", "summary", "superscript"]

_SUPERSCRIPT = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")


def fmt(x: Any, digits: int = 3) -> str:
    """A number in at most `digits` significant digits, no trailing zeros, -0 written as 0."""
    x = float(x)
    if x == 0:
        return "0"  # also turns -0.0 into 0
    return f"{x:.{digits}g}"


def summary(x: Any, shape: bool = True) -> str:
    """Short text for a value or gradient: a number, a short list, or shape and RMS for larger arrays.

    The RMS √(mean of the squares) is the typical size of an entry. (A mean can be about 0 while every
    entry is large, as for a softmax gradient, whose rows sum to 0: it would read as "no gradient".)
    """
    if isinstance(x, np.ndarray):
        if x.ndim == 1 and x.size <= 3:
            return "[" + ", ".join(fmt(v) for v in x) + "]"
        if x.size == 1:
            return fmt(x.reshape(()))
        return (f"{tuple(x.shape)} " if shape else "") + f"rms {fmt(np.sqrt(np.mean(np.square(x))))}"
    return fmt(x)


def superscript(n: Any) -> str:
    """The number n in superscript characters: -3 -> '⁻³' (for exponents such as 10⁻³ and x²)."""
    return str(n).translate(_SUPERSCRIPT)
