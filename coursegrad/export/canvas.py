"""A CSV that Canvas's gradebook import accepts: the roster's identity columns, then one column per worksheet.

    Student, ID, SIS User ID, SIS Login ID, Section, 01_backprop_worksheet, 02_write_backprop
        Points Possible, , , , , 23, 30
    "Lovelace, Ada", 1234, ada01, ada, Section 1, 20.7, 30

The roster is Canvas's own gradebook export (Grades → Export), the dependable way to get its
identity columns exactly as Canvas wants them back. A student's folder name (in the grades) is
matched against the roster column `column` (e.g. a column `coursegrad` you add), else against
SIS Login ID, SIS User ID, ID, then Student (case-insensitively). A worksheet column reuses the
roster's header for that assignment when there is one (Canvas names it `01_backprop_worksheet (5678)`),
so the import updates it; otherwise Canvas creates a new assignment. The score is `final` (after late
penalties, with hand grades folded in). Students in the grades but not in the roster are returned
(the command reports them and exits 1); roster rows without grades keep empty cells, which Canvas ignores.
"""

from __future__ import annotations

import csv
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
    """Write the Canvas CSV to `out`; returns the students of the grades who are not in the roster."""
    summary = _summary(grades)
    roster = [r for r in _read(roster_path, "roster") if "Points Possible" not in (r.get("Student") or "")]
    match = _matcher(roster, column)
    worksheets = sorted({r["worksheet"] for r in summary})
    header = {ws: next((h for h in roster[0] if h.startswith(ws)), ws) if roster else ws for ws in worksheets}
    possible = {r["worksheet"]: r["max_total"] for r in summary}
    scores: dict[int, dict[str, str]] = {}
    unmatched = []
    for r in summary:
        row = match(r["student"])
        if row is None:
            unmatched.append(r["student"])
        else:
            scores.setdefault(id(row), {})[header[r["worksheet"]]] = r["final"]
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(IDENTITY + [header[ws] for ws in worksheets])
        writer.writerow(["    Points Possible", "", "", "", ""] + [possible[ws] for ws in worksheets])
        for row in roster:
            given = scores.get(id(row), {})
            writer.writerow([row.get(k, "") for k in IDENTITY] + [given.get(header[ws], "") for ws in worksheets])
    return sorted(set(unmatched))
