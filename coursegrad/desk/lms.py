"""Submissions as the LMS hands them out: Canvas's and Gradescope's zips, unpacked into the folder layout.

    unpack(submissions.zip, ["01_backprop_worksheet", ...], dest)  ->  dest/<student>/<worksheet>.ipynb

- Canvas "Download Submissions": one zip of files named `name_USERID_SUBMISSIONID_original.ipynb`, with
  `_late_` after the name when Canvas marked the work late and `-1`, `-2` … before the extension of a
  resubmitted file. The student is the numeric Canvas user id (what Canvas's gradebook `ID` column and its
  feedback re-upload match on); of several files for one worksheet the highest resubmission counts. The
  hand-in time is the zip entry's time, taken as UTC (written as nbgrader's `timestamp.txt`).
- Gradescope "Export Submissions": a folder per submission (`submission_NNNN/`) and
  `submission_metadata.yml` naming its submitters (`:sid:`, else `:email:`, else `:name:`) and `:created_at:`
  (written as nbgrader's `timestamp.txt`). A group submission goes to each member.

A notebook is matched to a worksheet by its original file name (without a resubmission suffix); when only
one worksheet is graded, a student's only notebook is taken whatever its name. The zip is only read:
nothing in it is extracted by its own path (no `..`, links or absolute paths can place a file), files
larger than the grader's limit are skipped, and `students.csv` in `dest` maps each folder to the student's
identity in the LMS: `name`, `lms` (canvas, gradescope), from Canvas the `user_id` and the latest `submission`
id (the feedback zip is named with them, `feedback_out.py`), from Gradescope the `sid` and `email`. These
ids are what `export canvas` matches Canvas's gradebook rows on (`students(out)` reads them back).
"""

from __future__ import annotations

import csv
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from coursegrad.grading.escape import file_name
from coursegrad.grading.grade import MAX_NOTEBOOK_BYTES

CANVAS = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_late)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
RESUBMITTED = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)$")
COLUMNS = ["folder", "name", "submission", "lms", "user_id", "sid", "email"]  # students.csv


@dataclass
class Found:
    """One student of an LMS zip: who (as the LMS names them) and the zip entries they handed in."""

    name: str
    lms: str
    entries: list = field(default_factory=list)  # [(zip entry, the file name it was handed in as)]
    when: datetime | None = None  # the hand-in time the LMS states (Gradescope), else the entry's time
    ids: dict = field(default_factory=dict)  # user_id and submission (Canvas); sid, email (Gradescope)


def kind(zip_path: str | Path) -> str:
    """ "gradescope", "canvas", or ValueError saying what the zip is not."""
    with zipfile.ZipFile(zip_path) as z:
        names = [PurePosixPath(n).name for n in z.namelist() if not n.endswith("/")]
    if "submission_metadata.yml" in names:
        return "gradescope"
    if any(CANVAS.match(n) for n in names if n.endswith(".ipynb")):
        return "canvas"
    raise ValueError(
        f"{zip_path}: neither a Canvas 'Download Submissions' zip (files name_USERID_SUBMISSIONID_file.ipynb) "
        "nor a Gradescope 'Export Submissions' zip (submission_metadata.yml): unzip it into one folder per student"
    )


def unpack(zip_path: str | Path, worksheets: list[str], dest: str | Path) -> Path:
    """Write the zip's notebooks into `dest/<student>/<worksheet>.ipynb` (see the module docstring); returns `dest`."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    found = _canvas(zip_path) if kind(zip_path) == "canvas" else _gradescope(zip_path)
    identities = []
    with zipfile.ZipFile(zip_path) as z:
        for student, who in sorted(found.items()):
            for worksheet, info in _by_worksheet(who.entries, worksheets).items():
                if info.file_size > MAX_NOTEBOOK_BYTES:
                    continue
                path = dest / file_name(student) / f"{worksheet}.ipynb"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(z.read(info))
                stamp = (who.when or datetime(*info.date_time, tzinfo=timezone.utc)).astimezone(timezone.utc)
                (path.parent / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
            identities.append({"folder": file_name(student), "name": who.name, "lms": who.lms, **who.ids})
    with open(dest / "students.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(sorted(identities, key=lambda r: r["folder"]))
    return dest


def students(out: str | Path) -> dict[str, dict]:
    """folder -> its row of students.csv (name, lms and the LMS's ids) for every student of the output folder
    `out` that was unpacked from an LMS zip (`out/lms/<zip>/students.csv`); {} when none was."""
    found: dict[str, dict] = {}
    for sheet in sorted(Path(out).glob("lms/*/students.csv")):
        with open(sheet, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                row = {k: (v or "").strip() for k, v in row.items() if k}
                if "lms" not in row and row.get("submission"):  # written before students.csv named the LMS
                    row |= {"lms": "canvas", "user_id": row["folder"]}
                found[row["folder"]] = row
    return found


def carry(inputs: list[str | Path], out: str | Path) -> None:
    """Copy the `lms/<zip>/students.csv` of output folders `inputs` into `out` (`coursegrad merge`), rows of one
    zip joined by folder, so the merged folder still knows each student's LMS ids (export canvas, feedback)."""
    for name in sorted({p.parent.name for folder in inputs for p in Path(folder).glob("lms/*/students.csv")}):
        target = Path(out) / "lms" / name / "students.csv"
        rows: dict[str, dict] = {}
        for sheet in [Path(folder) / "lms" / name / "students.csv" for folder in inputs] + [target]:
            if sheet.is_file():
                with open(sheet, newline="", encoding="utf-8") as f:
                    rows.update({r["folder"]: r for r in csv.DictReader(f)})
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, COLUMNS, restval="", extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows[k] for k in sorted(rows))


def _stem(original: str) -> tuple[str, int]:
    """(the worksheet name a file was handed in as, its resubmission number)."""
    stem = PurePosixPath(original).stem
    again = RESUBMITTED.match(stem)
    return (again["stem"], int(again["n"])) if again else (stem, 0)


def _by_worksheet(entries: list[zipfile.ZipInfo], worksheets: list[str]) -> dict[str, zipfile.ZipInfo]:
    """worksheet -> the entry that counts (the highest resubmission of a file named after it)."""
    best: dict[str, tuple[int, zipfile.ZipInfo]] = {}
    for info, original in entries:
        stem, n = _stem(original)
        if stem in worksheets and (stem not in best or n > best[stem][0]):
            best[stem] = (n, info)
    if not best and len(worksheets) == 1 and len(entries) == 1:
        best[worksheets[0]] = (0, entries[0][0])
    return {ws: info for ws, (_, info) in best.items()}


def _canvas(zip_path) -> dict[str, Found]:
    """Canvas user id -> who handed in what (the latest submission id among their files)."""
    out: dict[str, Found] = {}
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            m = CANVAS.match(PurePosixPath(info.filename).name)
            if info.is_dir() or not m or not m["file"].endswith(".ipynb"):
                continue
            who = out.setdefault(m["uid"], Found(m["name"], "canvas", ids={"user_id": m["uid"], "submission": m["sub"]}))
            who.entries.append((info, m["file"]))
            who.ids["submission"] = max(who.ids["submission"], m["sub"], key=int)
    return out


def _gradescope(zip_path) -> dict[str, Found]:
    """submitter id (sid, else e-mail, else name) -> who handed in what, and when."""
    import yaml

    out: dict[str, Found] = {}
    with zipfile.ZipFile(zip_path) as z:
        meta_name = next(n for n in z.namelist() if PurePosixPath(n).name == "submission_metadata.yml")
        meta = yaml.safe_load(z.read(meta_name)) or {}
        root = PurePosixPath(meta_name).parent
        for folder, about in meta.items():
            about = {str(k).strip(":"): v for k, v in (about or {}).items()}
            prefix = f"{root / str(folder)}/" if str(root) != "." else f"{folder}/"
            entries = [(i, PurePosixPath(i.filename).name) for i in z.infolist() if i.filename.startswith(prefix)]
            entries = [(i, n) for i, n in entries if n.endswith(".ipynb") and not i.is_dir()]
            when = _time(about.get("created_at"))
            for person in about.get("submitters") or []:
                person = {str(k).strip(":"): str(v or "").strip() for k, v in person.items()}
                student = person.get("sid") or person.get("email") or person.get("name") or str(folder)
                ids = {"sid": person.get("sid", ""), "email": person.get("email", "")}
                out[student] = Found(person.get("name") or student, "gradescope", entries, when, ids)
    return out


def _time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
