"""A copying signal: pairs of students who give the same WRONG numbers on several questions.

For each answer cell the grader keeps the numbers a student typed in (`name = 0.25`,
`a, b = -3.0, 2`: literals read from the notebook's text, never run), the numbers the kernel
reported for the items of the tests after it (`Question.values`, when the tests have items: computed
answers too), and whether those tests lost points. Two students "share" an answer cell when both lost points there and
typed exactly the same numbers. Mistakes many students make (a wrong answer given by more than
`common` of the class, e.g. a sign error everyone makes) say nothing about copying and are ignored.
`similarity.csv` lists pairs sharing at least `min_shared` answer cells, most shared first:

    worksheet, student_a, student_b, shared, questions

It is a signal for a human to look at, never a penalty: nothing here changes any points.
"""

from __future__ import annotations

import ast
import csv
import math
from collections import Counter
from itertools import combinations
from pathlib import Path

import nbformat

from coursegrad.grading import cells as C
from coursegrad.grading.escape import csv_cell
from coursegrad.grading.model import Submission

FIELDS = ["worksheet", "student_a", "student_b", "shared", "questions"]


def literal_numbers(code: str) -> dict[str, float]:
    """{name: number} for every `name = <number>` (and tuple unpacking of numbers) in `code`."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return {}
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                values = node.value.elts if isinstance(node.value, ast.Tuple) and isinstance(target, ast.Tuple) else [node.value]
                for name, value in zip(names, values, strict=False):
                    number = _number(value)
                    if isinstance(name, ast.Name) and number is not None:
                        out[name.id] = number
    return out


def _number(node: ast.AST) -> float | None:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def answers(source: nbformat.NotebookNode, notebook: nbformat.NotebookNode, result: Submission) -> dict[str, dict]:
    """{answer grade_id: {"lost": did the tests after it lose points, "values": its literal numbers}}."""
    theirs = {C.grade_id(c): c.source for c in notebook.cells if C.grade_id(c)}
    points = {q.grade_id: (q.points or 0.0) < q.max_points for q in result.questions if q.kind == "auto"}
    reported = {q.grade_id: reported_numbers(getattr(q, "values", None)) for q in result.questions if q.kind == "auto"}
    out, current = {}, None
    for cell in source.cells:
        gid = C.grade_id(cell)
        if C.is_solution(cell) and cell.cell_type == "code":
            current = gid
            out[gid] = {"lost": False, "values": literal_numbers(theirs.get(gid, ""))}
        elif C.is_test(cell) and current is not None:
            out[current]["lost"] = out[current]["lost"] or points.get(gid, False)
            out[current]["values"].update({f"{gid}[{i}]": v for i, v in enumerate(reported.get(gid, []))})
    return {gid: a for gid, a in out.items() if a["values"]}


def reported_numbers(values: list | None, limit: int = 50) -> list[float]:
    """The numbers in the items' reported values (nested lists flattened, at most `limit`), rounded to 12 digits."""
    out: list[float] = []
    stack = [v.get("value") for v in reversed(values or []) if isinstance(v, dict) and "value" in v]
    while stack and len(out) < limit:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(reversed(v))
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            out.append(round(float(v), 12))
    return out


def pairs(by_student: dict[str, dict[str, dict]], min_shared: int = 2, common: float = 0.25) -> list[tuple[str, str, list[str]]]:
    """(student a, student b, answer cells where both gave the same wrong numbers), most shared first."""
    wrong = {s: {gid: tuple(sorted(a["values"].items())) for gid, a in ans.items() if a["lost"]} for s, ans in by_student.items()}
    seen = Counter((gid, v) for answers in wrong.values() for gid, v in answers.items())
    limit = max(3, common * len(by_student))
    found = []
    for a, b in combinations(sorted(wrong), 2):
        shared = [gid for gid, v in wrong[a].items() if wrong[b].get(gid) == v and seen[(gid, v)] <= limit]
        if len(shared) >= min_shared:
            found.append((a, b, sorted(shared)))
    return sorted(found, key=lambda p: (-len(p[2]), p[0], p[1]))


def write(out: str | Path, graded: list, min_shared: int = 2) -> Path:
    """Write `out/similarity.csv` for every worksheet in `graded` (records with `.answers`)."""
    by_worksheet: dict[str, dict[str, dict]] = {}
    for g in graded:
        by_worksheet.setdefault(g.worksheet, {})[g.student] = g.answers
    rows = [
        {"worksheet": ws, "student_a": a, "student_b": b, "shared": len(shared), "questions": " ".join(shared)}
        for ws, students in sorted(by_worksheet.items())
        for a, b, shared in pairs(students, min_shared)
    ]
    path = Path(out) / "similarity.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    return path
