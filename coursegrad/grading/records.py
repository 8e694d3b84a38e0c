"""The one result store: each graded submission's record, `OUT/results/<worksheet>/<student>.json`.

A record holds what the autograder found (the `Submission`), the worksheet it belongs to, the
checksums of the submission and of the instructor source it was graded with and the grading options
(so a rerun regrades only what changed: `Store.kept`), when it was handed in and the late penalty,
and the numbers a student answered (for the copying signal). Beside each worksheet's folder, not in
it, `OUT/results/<worksheet>.reference.json` keeps the instructor's reference values, computed once
per batch (`Store.reference`): no student's record, so `load_all`, `merge` and the reports never
list it. Records are plain JSON, written atomically (a temporary file renamed into place) as each
student finishes, so an interrupted batch leaves only whole records; `merge` and the reports read them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from coursegrad.grading.escape import file_name
from coursegrad.grading.model import Question, Submission

RESULTS = "results"
REFERENCE = ".reference.json"  # OUT/results/<worksheet>.reference.json: the worksheet's reference values


@dataclass
class Graded:
    """A submission's autograder result with what the course-level stages add to it."""

    worksheet: str
    submission: Submission
    checksums: dict[str, str] = field(default_factory=dict)  # "submission", "source": sha256
    options: dict = field(default_factory=dict)  # the grading options it was graded with (timeout, sandbox, ...)
    submitted: str = ""  # ISO time the work was handed in ("" unknown)
    late: str = ""  # how late and where the time came from, in words ("" on time)
    penalty: float = 0.0  # fraction of the points taken off for lateness, 0..1
    answers: dict[str, dict] = field(default_factory=dict)  # answer cell -> {"lost": bool, "values": {name: number}}

    @property
    def student(self) -> str:
        return self.submission.student

    @property
    def final(self) -> float:
        """The score after the late penalty: total × (1 − penalty)."""
        return self.submission.total * (1.0 - self.penalty)


def checksum(path: str | Path | None) -> str:
    """sha256 of a file's bytes ("" when there is no file)."""
    if path is None or not Path(path).is_file():
        return ""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def plain(options: dict) -> dict:
    """Options as JSON data (what a stored record's options are compared as)."""
    return json.loads(json.dumps(options, sort_keys=True, default=str))


def to_dict(g: Graded) -> dict:
    return asdict(g)


def from_dict(data: dict) -> Graded:
    """A record read back; raises ValueError if it is not one."""
    try:
        sub = dict(data["submission"])
        sub["questions"] = [Question(**q) for q in sub["questions"]]
        return Graded(**{**data, "submission": Submission(**sub)})
    except (KeyError, TypeError) as err:
        raise ValueError(f"not a coursegrad result record ({err})") from None


def path_of(out: str | Path, worksheet: str, student: str) -> Path:
    return Path(out) / RESULTS / file_name(worksheet) / f"{file_name(student)}.json"


def reference_path(out: str | Path, worksheet: str) -> Path:
    """Where a worksheet's reference values are kept: beside its folder of records, not in it."""
    return Path(out) / RESULTS / f"{file_name(worksheet)}{REFERENCE}"


def write_atomically(path: str | Path, text: str) -> Path:
    """Write `text` to `path` so that a reader sees the old file or the new one, never half of one
    (a temporary `.tmp-*.tmp` file, flushed to disk, given the old file's mode, renamed into place; removed if
    writing fails). Every file the grader and `generate` write whole goes through here."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save(out: str | Path, g: Graded) -> Path:
    """Write the record atomically: a reader sees the old one or the new one, never half of one."""
    return write_atomically(path_of(out, g.worksheet, g.student), json.dumps(to_dict(g), indent=1, sort_keys=True))


def load(path: str | Path) -> Graded:
    try:
        return from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not a coursegrad result record ({err})") from None


def load_all(out: str | Path) -> list[Graded]:
    """Every record under `out/results/`, ordered by worksheet then student (the reference values are none)."""
    found = [load(p) for p in sorted((Path(out) / RESULTS).glob("*/*.json")) if not p.name.startswith(".")]
    return sorted(found, key=lambda g: (g.worksheet, g.student))


def references(out: str | Path) -> list[Path]:
    """The files of reference values kept in `out/results/` (one per worksheet graded there)."""
    return sorted((Path(out) / RESULTS).glob(f"*{REFERENCE}"))


class Store:
    """The records of one worksheet in the output folder `out`, for a batch graded from the source with
    checksum `source` and with `options`: what a rerun keeps, where each result is written as it is ready."""

    def __init__(self, out: str | Path, worksheet: str, source: str, options: dict):
        self.out, self.worksheet, self.source, self.options = Path(out), worksheet, source, plain(options)
        self._shas: dict[str, str] = {}
        self._stored: dict[str, Graded | None] = {}

    def checksums(self, student: str, path: str | Path | None) -> dict[str, str]:
        """The checksums a record of `student` graded now carries (the submission read once per batch)."""
        if student not in self._shas:
            self._shas[student] = checksum(path)
        return {"submission": self._shas[student], "source": self.source}

    def stored(self, student: str) -> Graded | None:
        """The stored record of `student` (None if there is none or it is damaged: it is then written again)."""
        if student not in self._stored:
            path = path_of(self.out, self.worksheet, student)
            try:
                g = load(path) if path.is_file() else None
            except (OSError, ValueError):
                g = None
            self._stored[student] = g if g is not None and g.student == student else None
        return self._stored[student]

    def kept(self, student: str, path: str | Path) -> Graded | None:
        """The stored record of `student` if it was graded from the same source and submission with the same options."""
        g = self.stored(student)
        same = g is not None and g.options == self.options and g.checksums == self.checksums(student, path)
        return g if same else None

    def save(self, g: Graded) -> None:
        """Store `g` with this batch's checksums and options, unless the stored record is the same; if it cannot
        be written, say so and go on (the batch still reports every student; a rerun grades it again)."""
        g.checksums, g.options = self.checksums(g.student, g.submission.path), self.options
        if g == self.stored(g.student):
            return
        try:
            save(self.out, g)
            self._stored[g.student] = g
        except OSError as err:
            print(f"WARNING: could not store the result of {g.student!r} ({err}); a rerun grades it again", file=sys.stderr)

    def reference(self, kernel_options: dict) -> dict | None:
        """The reference values kept for this source and these kernel options, if any."""
        try:
            kept = json.loads(reference_path(self.out, self.worksheet).read_text(encoding="utf-8"))
            same = kept["key"] == {"source": self.source, "options": plain(kernel_options)}
            return kept["reference"] if same and isinstance(kept["reference"], dict) else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save_reference(self, kernel_options: dict, reference: dict) -> None:
        """Keep the reference values beside the records (a failure only means computing them again next time)."""
        key = {"source": self.source, "options": plain(kernel_options)}
        try:
            write_atomically(reference_path(self.out, self.worksheet), json.dumps({"key": key, "reference": reference}))
        except OSError:
            pass
