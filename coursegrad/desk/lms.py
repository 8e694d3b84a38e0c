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
larger than the grader's limit are skipped, and `students.csv` in `dest` maps each folder to the LMS name
(and, from Canvas, the latest submission id: the feedback zip is named with it, `feedback_out.py`).
"""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from coursegrad.grading.escape import file_name
from coursegrad.grading.grade import MAX_NOTEBOOK_BYTES

CANVAS = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_late)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
RESUBMITTED = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)$")


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
    names = {}
    with zipfile.ZipFile(zip_path) as z:
        for student, (display, entries, when, submission) in sorted(found.items()):
            chosen = _by_worksheet(entries, worksheets)
            for worksheet, info in chosen.items():
                if info.file_size > MAX_NOTEBOOK_BYTES:
                    continue
                path = dest / file_name(student) / f"{worksheet}.ipynb"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(z.read(info))
                stamp = (when or datetime(*info.date_time, tzinfo=timezone.utc)).astimezone(timezone.utc)
                (path.parent / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
            names[file_name(student)] = (display, submission)
    with open(dest / "students.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["folder", "name", "submission"], *((k, *v) for k, v in sorted(names.items()))])
    return dest


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


def _canvas(zip_path) -> dict[str, tuple[str, list, None, str]]:
    """Canvas user id -> (name, [(entry, original file name)], None, the latest submission id)."""
    out: dict[str, tuple[str, list, None, str]] = {}
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            m = CANVAS.match(PurePosixPath(info.filename).name)
            if info.is_dir() or not m or not m["file"].endswith(".ipynb"):
                continue
            name, entries, _, sub = out.get(m["uid"], (m["name"], [], None, ""))
            out[m["uid"]] = (name, [*entries, (info, m["file"])], None, max(sub, m["sub"], key=lambda x: int(x or 0)))
    return out


def _gradescope(zip_path) -> dict[str, tuple[str, list, datetime | None, str]]:
    """submitter id -> (name, [(entry, file name)], created_at, "")."""
    import yaml

    out: dict[str, tuple[str, list, datetime | None, str]] = {}
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
                person = {str(k).strip(":"): v for k, v in person.items()}
                student = str(person.get("sid") or person.get("email") or person.get("name") or folder)
                out[student] = (str(person.get("name") or student), entries, when, "")
    return out


def _time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
