"""The instructor source of a batch, read and checksummed once.

Student code never gets to change what the grader uses as the worksheet: the batch reads the
source file once, before any submission runs, and hands its text to every worker (a student who
rewrote the file during grading would change nothing). `sha256` identifies it in the per-student
result files, so a rerun knows whether a stored result was graded against the same source.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat


@dataclass(frozen=True)
class Worksheet:
    """An instructor notebook as read once: its path (for its name), text and checksum.
    `reference`: the trusted reference values of its items (`reference.py`), once computed."""

    path: str
    text: str
    sha256: str
    reference: dict = field(default_factory=dict)

    @classmethod
    def read(cls, path: str | Path) -> Worksheet:
        data = Path(path).read_bytes()
        return cls(str(path), data.decode("utf-8"), hashlib.sha256(data).hexdigest())

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def stem(self) -> str:
        return Path(self.path).stem

    def notebook(self) -> nbformat.NotebookNode:
        """A fresh parsed copy (callers may change it)."""
        return nbformat.reads(self.text, as_version=4)


def worksheet(source: str | Path | Worksheet) -> Worksheet:
    """`source` as a `Worksheet` (read now if it is a path)."""
    return source if isinstance(source, Worksheet) else Worksheet.read(source)
