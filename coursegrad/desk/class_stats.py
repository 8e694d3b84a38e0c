"""How the class did, per worksheet and per question, from a grade run's output folder.

    read(grades/, sources)  ->  [WorksheetStats, ...]   (one per worksheet, in gradebook order)

Read from the grader's plain outputs: `summary.csv` (each student's score, lateness),
`gradebook.csv` (each question's points), `similarity.csv` (the copying pairs) and the result records
`results/<worksheet>/<student>.json` (the seconds a submission took, and the values the kernel
reported for each test item). Students with no submission (status `missing`) count as missing, not
as zeros, in every statistic.

Per question: the mean points (over the submissions that have points), the share with full, partial and
no points and still to grade by hand. Per test item: the most common wrong values and how many students
gave each. An item's value is wrong when the grader's feedback line for it says so ("✗ name: ...");
the value is shown rounded to 4 significant digits, an error as the error's text.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SHOWN_CHARS = 60  # a wrong value longer than this is cut (…)
TOP_WRONG = 5  # the most common wrong values listed per item


@dataclass
class QuestionStats:
    """One graded cell across the class: `full + partial + none + pending == count`."""

    question: str
    max_points: float
    count: int = 0
    mean: float | None = None  # over the `count - pending` submissions that have points
    full: int = 0
    partial: int = 0
    none: int = 0
    pending: int = 0  # written answers still to grade by hand
    wrong: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # item -> [(value, students)], most first


@dataclass
class WorksheetStats:
    worksheet: str
    max_total: float
    finals: dict[str, float]  # student -> score after the late penalty (submitted work only)
    missing: list[str]
    questions: list[QuestionStats]
    late: list[dict]  # summary rows of the late submissions
    seconds: dict[str, float]  # student -> seconds its grading took
    pairs: list[dict]  # similarity.csv rows


def table(path: Path) -> list[dict]:
    """The rows of a CSV file the grader wrote ([] when there is none)."""
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def number(text: str | None) -> float | None:
    """A CSV cell as a number (None when empty or not a number)."""
    try:
        return float(str(text).strip().lstrip("'"))
    except (TypeError, ValueError):
        return None


def read(out: str | Path, sources: list = ()) -> list[WorksheetStats]:
    """The statistics of every worksheet in the output folder `out` (see the module docstring).

    `sources`: the instructor notebooks, for the names of the test items (else "item 1", ...)."""
    out = Path(out)
    summary, book = table(out / "summary.csv"), table(out / "gradebook.csv")
    pairs, records = table(out / "similarity.csv"), _records(out)
    names = item_names(sources)
    stats = []
    for ws in dict.fromkeys(r["worksheet"] for r in summary):
        rows = [r for r in summary if r["worksheet"] == ws]
        missing = [r["student"] for r in rows if r["status"] == "missing"]
        handed = [r for r in rows if r["status"] != "missing"]
        theirs = [r for r in book if r["worksheet"] == ws and r["student"] not in missing]
        recs = [rec for rec in records if rec.get("worksheet") == ws and rec["submission"]["student"] not in missing]
        stats.append(
            WorksheetStats(
                ws,
                max((number(r["max_total"]) or 0.0 for r in rows), default=0.0),
                {r["student"]: number(r["final"]) or 0.0 for r in handed},
                missing,
                [question_stats(q, theirs, recs, names.get((ws, q))) for q in dict.fromkeys(r["question"] for r in theirs)],
                [r for r in handed if r.get("late")],
                {rec["submission"]["student"]: float(rec["submission"].get("seconds") or 0.0) for rec in recs},
                [p for p in pairs if p["worksheet"] == ws],
            )
        )
    return stats


def _records(out: Path) -> list[dict]:
    found = []
    for path in sorted((out / "results").glob("*/*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a damaged record: the grader says so itself
        if isinstance(data, dict) and isinstance(data.get("submission"), dict):
            found.append(data)
    return found


def question_stats(question: str, rows: list[dict], records: list[dict], names: list[str] | None) -> QuestionStats:
    """The statistics of one question from its gradebook rows and the worksheet's result records."""
    mine = [r for r in rows if r["question"] == question]
    top = max((number(r["max_points"]) or 0.0 for r in mine), default=0.0)
    points = [number(r["points"]) for r in mine]
    have = [p for p in points if p is not None]
    q = QuestionStats(question, top, len(mine), sum(have) / len(have) if have else None)
    q.pending = len(points) - len(have)
    q.full = sum(p >= top for p in have)
    q.none = sum(p <= 0 for p in have if p < top)
    q.partial = len(have) - q.full - q.none
    q.wrong = wrong_values(question, records, names)
    return q


def wrong_values(question: str, records: list[dict], names: list[str] | None = None) -> dict[str, list[tuple[str, int]]]:
    """item -> its most common wrong values [(value shown, how many students)], most common first."""
    counts: dict[str, Counter] = {}
    for rec in records:
        for q in rec["submission"].get("questions", []):
            if q.get("grade_id") != question or not q.get("values"):
                continue
            verdicts = _verdicts(q.get("messages") or [])
            for i, value in enumerate(q["values"]):
                name = names[i] if names and i < len(names) else f"item {i + 1}"
                right = verdicts.get(name, q.get("status") == "passed")
                if not right:
                    counts.setdefault(name, Counter())[shown(value)] += 1
    return {name: c.most_common(TOP_WRONG) for name, c in counts.items()}


_VERDICT = re.compile(r"^([✓✗]) (\S+?)(:|$)")


def _verdicts(messages: list[str]) -> dict[str, bool]:
    """item name -> was it right, from the grader's feedback lines ("✓ x", "✗ y: not right yet")."""
    found = (_VERDICT.match(m) for m in messages)
    return {m.group(2): m.group(1) == "✓" for m in found if m}


def shown(value: object) -> str:
    """A reported item value ({"value": …} or {"error": …}) as short text: numbers to 4 significant digits."""
    if isinstance(value, dict) and "error" in value:
        text = "error: " + str(value["error"])
    else:
        text = _text(value.get("value") if isinstance(value, dict) else value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _text(v: object) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, float)):
        return f"{v:.4g}" if math.isfinite(v) else str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_text(x) for x in v[:20]) + (", …" if len(v) > 20 else "") + "]"
    return repr(str(v))


def item_names(sources: list) -> dict[tuple[str, str], list[str]]:
    """(worksheet, test grade_id) -> the names of its items, from the instructor notebooks."""
    import nbformat

    from coursegrad.grading import cells as C
    from coursegrad.grading.judge import items_of

    out = {}
    for source in sources:
        nb = nbformat.read(str(source), as_version=4)
        for cell in nb.cells:
            items = items_of(cell)[1]
            if items and C.grade_id(cell):
                out[(Path(source).stem, C.grade_id(cell))] = [str(i.get("name", i.get("expr", "?"))) for i in items]
    return out
