"""Late work: the due date, extensions, when a student handed in, and the late penalty.

The penalty policy (`--late-penalty`) is one of:

    none                   no penalty (the default)
    zero                   late work scores 0 (nbgrader's only other policy)
    P%/day[,max=M%]        P percent of the points per started day late, at most M percent (default 100%)
    P%/hour[,max=M%]       the same per started hour

so `10%/day,max=50%` takes 10% off for 0 < lateness ≤ 1 day, 20% up to 2 days, and never more than 50%:
penalty = min(M, P × ⌈lateness / unit⌉) / 100 of the raw score. An extension moves one student's
due date (extensions CSV: `student,due` and optionally `worksheet`).

When was the work handed in: nbgrader's `timestamp.txt` beside the notebook (in the student's
folder, or in nbgrader's `<student>/<assignment>/`), else the notebook file's modification time
(said so in the `submitted` column, since copying files can change it). Times are ISO 8601
(`2026-03-01 23:59`, `2026-03-01T23:59:00+01:00`, nbgrader's `2026-03-01 23:59:00.123456 UTC`);
a time without a zone is the grading machine's local time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coursegrad.grading import sheets

UNITS = {"day": 86400.0, "hour": 3600.0}
_RATE = re.compile(r"^(?P<p>\d+(\.\d+)?)%/(?P<unit>day|hour)(,\s*max=(?P<cap>\d+(\.\d+)?)%)?$")


@dataclass(frozen=True)
class Policy:
    """How lateness costs points: `percent` per started `unit` seconds, at most `cap` percent."""

    percent: float = 0.0
    unit: float = UNITS["day"]
    cap: float = 100.0
    text: str = "none"

    def fraction(self, seconds_late: float) -> float:
        """The fraction of the raw score taken off: min(cap, percent × ⌈late / unit⌉) / 100."""
        if seconds_late <= 0:
            return 0.0
        return min(self.cap, self.percent * math.ceil(seconds_late / self.unit)) / 100.0


def parse_policy(text: str) -> Policy:
    """`none`, `zero`, `P%/day[,max=M%]` or `P%/hour[,max=M%]`; ValueError saying what is accepted."""
    t = text.strip().lower().replace(" ", "")
    if t in ("none", "0", "0%"):
        return Policy()
    if t == "zero":
        return Policy(100.0, UNITS["day"], 100.0, "zero")
    m = _RATE.match(t)
    if not m:
        raise ValueError(f"--late-penalty {text!r} not understood: write none, zero, or e.g. 10%/day or 5%/hour,max=50%")
    cap = float(m["cap"]) if m["cap"] else 100.0
    if float(m["p"]) > 100 or cap > 100:
        raise ValueError(f"--late-penalty {text!r}: percentages must be at most 100%")
    return Policy(float(m["p"]), UNITS[m["unit"]], cap, t)


def parse_time(text: str, what: str = "time") -> datetime:
    """An aware datetime from ISO 8601 or nbgrader's `YYYY-MM-DD HH:MM:SS.ffffff ZONE`."""
    t = text.strip()
    zone = None
    parts = t.split(" ")
    if len(parts) == 3 or (len(parts) == 2 and re.fullmatch(r"[A-Za-z_/]+", parts[1])):
        t, zone = " ".join(parts[:-1]), parts[-1]
    try:
        when = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        example = "2026-03-01 23:59 or 2026-03-01T23:59:00+01:00"
        raise ValueError(f"{what} {text!r} is not a date and time: write e.g. {example}") from None
    if zone is not None:
        when = when.replace(tzinfo=_zone(zone, text, what))
    return when if when.tzinfo is not None else when.astimezone()


def _zone(name: str, text: str, what: str):
    if name.upper() in ("UTC", "GMT", "Z"):
        return timezone.utc
    offset = re.fullmatch(r"([+-])(\d\d):?(\d\d)", name)
    if offset:
        from datetime import timedelta

        sign = 1 if offset[1] == "+" else -1
        return timezone(sign * timedelta(hours=int(offset[2]), minutes=int(offset[3])))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{what} {text!r}: unknown time zone {name!r} (write UTC, +01:00 or e.g. Europe/Berlin)") from None


def read_extensions(path: str | Path) -> list[dict]:
    """The rows {student, worksheet ("" for all), due (ISO 8601)} of a CSV with columns student, due [, worksheet].

    Read as a spreadsheet saves it (`sheets.read`: `;` or `,`, a byte-order mark); ValueError naming the
    line of a bad date or of a second row for the same student and worksheet."""
    names, rows, _ = sheets.read(path)
    if not {"student", "due"} <= set(names):
        raise ValueError(f"{path}: an extensions CSV needs the columns student and due (and optionally worksheet)")
    out: dict[tuple[str, str], dict] = {}
    for line, row in enumerate(rows, start=2):
        student, ws = row["student"].strip(), (row.get("worksheet") or "").strip().removesuffix(".ipynb")
        if not student and not (row.get("due") or "").strip():
            continue  # an empty line
        if not student:
            raise ValueError(f"{path}, line {line}: no student")
        if (student, ws) in out:
            raise ValueError(f"{path}, line {line}: a second row for {student}{' and ' + ws if ws else ''}")
        due = parse_time(row["due"] or "", f"{path}, line {line}: due")
        out[student, ws] = {"student": student, "worksheet": ws, "due": due.isoformat()}
    return sorted(out.values(), key=lambda r: (r["student"], r["worksheet"]))


def extension_dates(rows: list[dict]) -> dict[tuple[str, str], datetime]:
    """{(worksheet or "", student): due date} of the rows `read_extensions` returns."""
    return {(r["worksheet"], r["student"]): datetime.fromisoformat(r["due"]) for r in rows}


def unknown_in_extensions(rows: list[dict], students: set[str], worksheets: set[str]) -> list[str]:
    """What an extension names that is not there: a student without a folder, a worksheet without a source."""
    problems = [f"student {r['student']!r} (no such student folder)" for r in rows if r["student"] not in students]
    named = [r for r in rows if r["worksheet"] and r["worksheet"] not in worksheets]
    problems += [f"worksheet {r['worksheet']!r} of {r['student']} (no such worksheet)" for r in named]
    return problems


def submitted_at(notebook: str | Path) -> tuple[datetime, str]:
    """When the notebook was handed in, and where that came from."""
    notebook = Path(notebook)
    stamp = notebook.parent / "timestamp.txt"
    why = ""
    if stamp.is_file():
        text = stamp.read_text(encoding="utf-8", errors="replace")[:200].strip()
        try:
            return parse_time(text, f"{stamp}"), "timestamp.txt"
        except ValueError:
            why = ", timestamp.txt unreadable"
    return datetime.fromtimestamp(notebook.stat().st_mtime, tz=timezone.utc), f"file modification time{why}"


def assess(due: datetime | None, policy: Policy, submitted: datetime, origin: str) -> tuple[str, float]:
    """(how late, in words; the penalty fraction) for work handed in at `submitted`."""
    if due is None:
        return "", 0.0
    seconds = (submitted - due).total_seconds()
    if seconds <= 0:
        return "", 0.0
    hours = seconds / 3600
    size = f"{hours / 24:.1f} days" if hours >= 24 else f"{hours:.1f} hours"
    return f"{size} late (by {origin}): −{100 * policy.fraction(seconds):g}% ({policy.text})", policy.fraction(seconds)
