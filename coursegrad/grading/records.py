"""One graded submission on disk: `OUT/results/<worksheet>/<student>.json`.

A record holds what the autograder found (the `Submission`), the worksheet it belongs to, the
checksums of the submission and of the instructor source it was graded with (so a rerun can skip
unchanged work), when it was handed in and the late penalty, and the numbers a student answered
(for the copying signal). Records are plain JSON, written atomically (a temporary file renamed
into place), so an interrupted batch leaves only whole records; `merge` and the reports read them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from coursegrad.grading.escape import file_name
from coursegrad.grading.model import Question, Submission

RESULTS = "results"


@dataclass
class Graded:
    """A submission's autograder result with what the course-level stages add to it."""

    worksheet: str
    submission: Submission
    checksums: dict[str, str] = field(default_factory=dict)  # "submission", "source": sha256
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


def save(out: str | Path, g: Graded) -> Path:
    """Write the record atomically: a reader sees the old one or the new one, never half of one."""
    path = path_of(out, g.worksheet, g.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(to_dict(g), f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load(path: str | Path) -> Graded:
    try:
        return from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not a coursegrad result record ({err})") from None


def load_all(out: str | Path) -> list[Graded]:
    """Every record under `out/results/`, ordered by worksheet then student."""
    found = [load(p) for p in sorted((Path(out) / RESULTS).glob("*/*.json"))]
    return sorted(found, key=lambda g: (g.worksheet, g.student))
