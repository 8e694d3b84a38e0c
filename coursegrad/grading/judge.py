"""Judge a test cell in the grader's own process, from plain data the student's kernel reported.

A worksheet's autograded test cell lists its items in `cell.metadata["coursegrad"]`:

    {"setup": "<python, optional>", "items": [{"name": "q", "expr": "q", "points": 0.5, "rel": 1e-6, "abs": 1e-9}, ...]}

The kernel evaluates each item (`inkernel/probe.py`) and reports JSON text; `parse` reads it (size-limited,
schema-checked, never pickle or eval). The instructor's values come from running the instructor
source through the same items once per batch (`reference.py`). An item scores its points when the
student's value has the reference's structure and every number is within max(abs, rel·|ref|)
(NaN and infinities never match; strings and bools compare exactly, strings after strip). An item
with `"compare": "topological_order"` is judged by `orders_match` instead: the kernel reports each
graph's order as node numbers and the grader checks it against the instructor run's edges, so no
verdict ("valid", a count) comes from the student's kernel. The cell scores the sum. Nothing the
kernel does to its own Python state or messages enters this comparison except the values themselves.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re

MAX_REPORT_CHARS = 4_000_000
MAX_NODES = 200_000
MAX_DEPTH = 24
MAX_STRING = 20_000
_BASE64_REPR = re.compile(r"^'([A-Za-z0-9+/=]*)'$")


def items_of(cell: dict) -> tuple[str, list[dict]]:
    """The setup and items of a test cell ("" and [] when it has none)."""
    spec = cell.get("metadata", {}).get("coursegrad") or {}
    return str(spec.get("setup") or ""), list(spec.get("items") or [])


def forbid_of(cell: dict) -> dict:
    """What a test cell's answers may not use: {"answers": [grade_id, ...], "modules": [...], "why": "..."} or {}."""
    spec = cell.get("metadata", {}).get("coursegrad") or {}
    forbid = spec.get("forbid") if isinstance(spec, dict) else None
    return dict(forbid) if isinstance(forbid, dict) else {}


def forbidden(forbid: dict, answers: dict[str, str]) -> str | None:
    """Why the answers (grade_id -> the student's source) break the task's `forbid` rule, or None.

    Read here, outside the kernel: an answer cell that imports or names a forbidden module (comments
    do not count; strings do, e.g. `__import__("coursegrad")`)."""
    modules = [str(m) for m in forbid.get("modules", [])]
    for gid in forbid.get("answers", []):
        code = _without_comments(answers.get(gid, ""))
        used = [m for m in modules if re.search(rf"\b{re.escape(m)}\b", code)]
        if used:
            why = str(forbid.get("why") or f"this task may not use {', '.join(used)}")
            return f"no points: {why} (cell {gid!r} uses {', '.join(used)})"
    return None


def _without_comments(source: str) -> str:
    import io
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source
    return " ".join(t.string for t in tokens if t.type != tokenize.COMMENT)


def parse(text: str, count: int) -> list[dict]:
    """The kernel's report (the repr of a base64 string) as `count` results {"value": …} or {"error": …}.
    Whatever is malformed, too large or not plain data becomes an error for every item."""
    found = _BASE64_REPR.match(text.strip()) if len(text) <= MAX_REPORT_CHARS else None
    try:
        data = json.loads(base64.b64decode(found.group(1), validate=True).decode("utf-8")) if found else None
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
        data = None
    if not (isinstance(data, list) and len(data) == count and all(_result_ok(r) for r in data)):
        return [{"error": "the kernel's report was not valid data"} for _ in range(count)]
    if sum(_nodes(r.get("value")) for r in data) > MAX_NODES:
        return [{"error": "the kernel reported too much data"} for _ in range(count)]
    return data


def _result_ok(result: object) -> bool:
    if not isinstance(result, dict) or len(result) != 1:
        return False
    if "error" in result:
        return isinstance(result["error"], str) and len(result["error"]) <= MAX_STRING
    return "value" in result and _data_ok(result["value"], 0)


def _data_ok(value: object, depth: int) -> bool:
    if depth > MAX_DEPTH:
        return False
    if value is None or type(value) in (bool, int, float):
        return True
    if type(value) is str:
        return len(value) <= MAX_STRING
    return type(value) is list and all(_data_ok(v, depth + 1) for v in value)


def _nodes(value: object) -> int:
    return 1 + sum(_nodes(v) for v in value) if type(value) is list else 1


def matches(got: object, want: object, rel: float = 1e-6, abs_tol: float = 1e-9) -> bool:
    """True when `got` has the structure of `want` and every number is within max(abs_tol, rel·|want|)."""
    if type(want) is list:
        return (
            type(got) is list
            and len(got) == len(want)
            and all(matches(g, w, rel, abs_tol) for g, w in zip(got, want, strict=True))
        )
    if type(want) is bool or type(got) is bool:
        return type(got) is type(want) and got == want
    if type(want) in (int, float):
        if type(got) not in (int, float) or not all(math.isfinite(x) for x in (got, want)):
            return False
        return abs(got - want) <= max(abs_tol, rel * abs(want))
    if type(want) is str:
        return type(got) is str and got.strip() == want.strip()
    return want is None and got is None


COMPARE = ("values", "topological_order")


def orders_match(got: object, want: object, rel: float = 1e-6, abs_tol: float = 1e-9) -> bool:
    """Per graph, the reference is [its order, its edges [input, node], *more values] (node numbers 0…n−1):
    `got` matches when each graph's order is a permutation of the n nodes with the reference's last
    node (the root) last and every input before its node, and the more values match (`matches`)."""
    if type(want) is not list or type(got) is not list or len(got) != len(want):
        return False
    for have, case in zip(got, want, strict=True):
        if type(case) is not list or len(case) < 2 or type(case[0]) is not list or not case[0]:
            if not matches(have, case, rel, abs_tol):  # the instructor's own run gave no order here
                return False
        elif type(have) is not list or len(have) != len(case) or not _order_ok(have[0], case[0], case[1]):
            return False
        elif not matches(have[2:], case[2:], rel, abs_tol):
            return False
    return True


def _order_ok(order: object, ref_order: list, edges: object) -> bool:
    n = len(ref_order)
    if type(order) is not list or len(order) != n or any(type(i) is not int for i in order):
        return False
    if sorted(order) != list(range(n)) or order[-1] != ref_order[-1] or type(edges) is not list:
        return False
    place = {node: k for k, node in enumerate(order)}
    pairs = [e for e in edges if type(e) is list and len(e) == 2]
    return len(pairs) == len(edges) and all(place.get(a, n) < place.get(b, -1) for a, b in pairs)


def score(items: list[dict], reference: list[dict] | None, got: list[dict]) -> tuple[float, list[str]]:
    """The points of a cell and one line per item ("✓ name" or "✗ name: why") for the feedback."""
    points, lines = 0.0, []
    if not reference or len(reference) != len(items):
        reference = [{"error": "no reference value"} for _ in items]
    for item, want, have in zip(items, reference, got, strict=True):
        name = str(item.get("name", item.get("expr", "?")))
        if "error" in want:
            lines.append(f"✗ {name}: the grader could not compute the instructor's value ({want['error']}); ask your instructor")
        elif "error" in have:
            lines.append(f"✗ {name}: {have['error']}")
        elif (orders_match if item.get("compare") == "topological_order" else matches)(
            have["value"], want["value"], float(item.get("rel", 1e-6)), float(item.get("abs", 1e-9))
        ):
            points += float(item.get("points", 0))
            lines.append(f"✓ {name}")
        else:
            lines.append(f"✗ {name}: {_said(have['value'], want['value']) or 'not right yet'}")
    return points, lines


def _said(have: object, want: object, depth: int = 0) -> str | None:
    """The first text the student's run reported where the reference has no text (a probe's message saying
    what failed: a function that raised or hung, a value of the wrong type), if any."""
    if type(have) is str and type(want) is not str:
        return have.strip()[:300] or None
    if type(have) is list and type(want) is list and depth < MAX_DEPTH:
        return next((t for h, w in zip(have, want, strict=False) if (t := _said(h, w, depth + 1))), None)
    return None
