"""A CSV that Canvas's gradebook import accepts: the roster's identity columns, then one column per worksheet.

    Student, ID, SIS User ID, SIS Login ID, Section, 01_backprop_worksheet, 02_write_backprop
        Points Possible, , , , , 23, 30
    "Lovelace, Ada", 1234, ada01, ada, Section 1, 20.7, 30

The roster is Canvas's own gradebook export (Grades → Export), the dependable way to get its
identity columns exactly as Canvas wants them back. A student's folder name (in the grades) is
matched against the roster column `column` (e.g. a column `coursegrad` you add), else against
SIS Login ID, SIS User ID, ID, then Student (case-insensitively). Each worksheet's column is the roster's
column for the assignment named after it (Canvas names it `01_backprop_worksheet (5678)`), so the import
updates that assignment; a worksheet without one, or whose assignment is worth other points, is an error
(never a new assignment by accident). The rows Canvas puts above the students ("Manual Posting" for an
assignment whose grades are posted by hand, "    Points Possible") are kept as they are. The score is
`final` (after late penalties, with hand grades folded in). Students in the grades but not in the roster are returned
(the command reports them and exits 1); roster rows without grades keep empty cells, which Canvas ignores.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
FALLBACK_KEYS = ["SIS Login ID", "SIS User ID", "ID", "Student"]


def _read(path: str | Path, what: str) -> list[dict]:
    if not Path(path).is_file():
        raise ValueError(f"no {what} at {path}")
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _summary(grades: str | Path) -> list[dict]:
    path = Path(grades) / "summary.csv" if Path(grades).is_dir() else Path(grades)
    rows = _read(path, "summary.csv (the output of coursegrad grade)")
    if rows and not {"worksheet", "student", "final", "max_total"} <= set(rows[0]):
        raise ValueError(f"{path} has no worksheet/student/final columns: grade again with this version of coursegrad")
    return rows


def _matcher(roster: list[dict], column: str):
    """A function: folder name -> roster row (or None)."""
    if not roster or "Student" not in roster[0]:
        raise ValueError("the roster needs Canvas's columns " + ", ".join(IDENTITY) + " (export it from Canvas)")
    keys = [column] + FALLBACK_KEYS if column in roster[0] else FALLBACK_KEYS
    index: dict[str, dict] = {}
    for key in reversed([k for k in keys if k in roster[0]]):
        index.update({(row.get(key) or "").strip().lower(): row for row in roster if (row.get(key) or "").strip()})
    return lambda name: index.get(name.strip().lower())


def export(grades: str | Path, roster_path: str | Path, out: str | Path, column: str = "coursegrad") -> list[str]:
    """Write the Canvas CSV to `out`; returns the students of the grades who are not in the roster.

    ValueError when a worksheet has no assignment column in the roster, or one worth other points."""
    summary = _summary(grades)
    rows = _read(roster_path, "roster")
    special = [r for r in rows if _special(r)]  # Canvas's "Manual Posting" and "Points Possible" rows
    roster = [r for r in rows if not _special(r)]
    match = _matcher(roster, column)
    possible = {r["worksheet"]: r["max_total"] for r in summary}
    header = _columns(list(rows[0]), possible, next((r for r in special if _kind(r) == "Points Possible"), None))
    worksheets = sorted(possible)
    scores: dict[int, dict[str, str]] = {}
    unmatched = []
    for r in summary:
        row = match(r["student"])
        if row is None:
            unmatched.append(r["student"])
        else:
            scores.setdefault(id(row), {})[header[r["worksheet"]]] = r["final"]
    if not any(_kind(r) == "Points Possible" for r in special):  # a roster written by hand: Canvas's row, ours
        special.append({"Student": "    Points Possible", **{header[ws]: possible[ws] for ws in worksheets}})
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(IDENTITY + [header[ws] for ws in worksheets])
        for row in special:  # kept as they are, in Canvas's order, before the students
            writer.writerow([row.get(k) or "" for k in IDENTITY] + [row.get(header[ws]) or "" for ws in worksheets])
        for row in roster:
            given = scores.get(id(row), {})
            writer.writerow([row.get(k, "") for k in IDENTITY] + [given.get(header[ws], "") for ws in worksheets])
    return sorted(set(unmatched))


def _kind(row: dict) -> str:
    """ "Points Possible" or "Manual Posting" for those rows of Canvas's export, "" for a student."""
    if (row.get("Student") or "").strip() == "Points Possible":
        return "Points Possible"
    identity = any((row.get(k) or "").strip() for k in IDENTITY)
    return "Manual Posting" if not identity and any("Manual Posting" in (v or "") for v in row.values()) else ""


def _special(row: dict) -> bool:
    return _kind(row) != ""


def _columns(names: list[str], possible: dict[str, str], points_row: dict | None) -> dict[str, str]:
    """worksheet -> its assignment column in the roster: named as the worksheet, or that and Canvas's
    ` (id)`; ValueError listing the worksheets without one, or whose assignment has other points."""
    header, problems = {}, []
    for ws, points in sorted(possible.items()):
        found = [h for h in names if h == ws or re.fullmatch(re.escape(ws) + r" \(\d+\)", h)]
        if len(found) != 1:
            problems.append(f"{ws}: {'no assignment column' if not found else 'several columns: ' + ', '.join(found)}")
            continue
        header[ws] = found[0]
        stated = ((points_row or {}).get(found[0]) or "").strip()
        if stated and _number(stated) != _number(points):
            problems.append(f"{ws}: {found[0]!r} is worth {stated} points in Canvas, the worksheet {points}")
    if problems:
        listed = "\n  ".join(problems)
        raise ValueError(
            f"the roster's assignments do not match the worksheets:\n  {listed}\nin Canvas, give each worksheet an "
            "assignment named after it (e.g. 01_backprop_worksheet) worth the worksheet's points, export the gradebook again"
        )
    return header


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
