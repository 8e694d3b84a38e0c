"""How numbers are written for people: in graph drawings, step descriptions and explorer readouts.

>>> fmt(-12.0), fmt(0.7310585), fmt(1.2e-05), fmt(-0.0), fmt(0.123456, digits=4)
('-12', '0.731', '1.2e-05', '0', '0.1235')
>>> summary(np.array([[0.5, -0.5], [1.0, -1.0]]), gradient=True)
'(2, 2) rms 0.791'
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


def summary(x: Any, shape: bool = True, gradient: bool = False) -> str:
    """Short text for a value or gradient: a number, a short list, or for a larger array its shape and its mean
    (a value) or its root mean square √(mean x²) (a `gradient`: its size; a mean can be ~0 with large entries,
    as in softmax's gradient, whose rows sum to 0)."""
    if isinstance(x, np.ndarray):
        if x.ndim == 1 and x.size <= 3:
            return "[" + ", ".join(fmt(v) for v in x) + "]"
        if x.size == 1:
            return fmt(x.reshape(()))
        size = f"rms {fmt(np.sqrt(np.mean(np.square(x))))}" if gradient else f"mean {fmt(x.mean())}"
        return (f"{tuple(x.shape)} " if shape else "") + size
    return fmt(x)


def superscript(n: Any) -> str:
    """The number n in superscript characters: -3 -> '⁻³' (for exponents such as 10⁻³ and x²)."""
    return str(n).translate(_SUPERSCRIPT)
