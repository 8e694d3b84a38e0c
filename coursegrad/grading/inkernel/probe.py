"""Runs inside the student's kernel: the values of a test cell's items, as plain JSON data.

The grader sends, for each autograded test cell with items (`metadata.coursegrad`, see
worksheets/README.md), one call `report(globals(), setup, exprs, limit)`. It runs `setup`, then
evaluates every expression and converts its value to JSON data: numbers, strings, bools, None and
nested lists (tuples and numpy arrays become lists, numpy scalars numbers). Anything else — a
float subclass, a `Value`, a function — is not data: that item reports an error. The answer is
base64 text, so that nothing in it can be mistaken for anything but one string.

Nothing here decides points: student code can change this module as it likes and make the kernel
report any values it wants. Only the grader's own process compares them with the instructor's
values (`judge.py`), so reporting the right values means computing them — answering.
"""

from __future__ import annotations

import base64
import json

MAX_DEPTH = 20


def to_data(value: object, depth: int = 0) -> object:
    """`value` as JSON data, or TypeError saying what it is instead."""
    if depth > MAX_DEPTH:
        raise TypeError("nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind in (list, tuple):
        return [to_data(v, depth + 1) for v in value]
    module = getattr(kind, "__module__", "")
    if module == "numpy" and hasattr(value, "tolist") and kind.__name__ == "ndarray":
        return to_data(value.tolist(), depth + 1)
    if module == "numpy" and hasattr(value, "item"):  # numpy's scalar types (float64, int64, bool_)
        return to_data(value.item(), depth + 1)
    raise TypeError(f"not plain data: a {kind.__name__}")


def report(namespace: dict, setup: str, exprs: list[str], limit: int = 1_000_000) -> str:
    """Run `setup`, evaluate each of `exprs` in `namespace`; base64 of the JSON list of results,
    each {"value": data} or {"error": "Type: message"}."""
    results: list[dict] = []
    try:
        if setup:
            exec(setup, namespace)  # noqa: S102  (instructor code from the worksheet's metadata)
    except Exception as err:
        results = [{"error": f"the setup failed: {_say(err)}"} for _ in exprs]
    for expr in exprs[len(results) :]:
        try:
            results.append({"value": to_data(eval(expr, namespace))})  # noqa: S307  (the worksheet's expression)
        except Exception as err:
            results.append({"error": _say(err)})
    text = json.dumps(results)
    if len(text) > limit:
        text = json.dumps([{"error": f"the values are too large (over {limit} characters)"} for _ in exprs])
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _say(err: BaseException) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text}"[:300] if text else f"{type(err).__name__} (with no message)"
