"""Expensive grading results several test files need, computed once per test session.

Under pytest-xdist a `scope="session"` fixture runs once per WORKER, so `shared` keeps each result in a
pickle under the session's common temporary folder, guarded by a file lock (pytest-xdist's recipe): the
first worker that asks computes it, the others wait for it and read it. Without xdist it is computed
in this process. A result is shared only between calls that compute it identically: the key names
every option it depends on (`prepared(tmp_path_factory, source, timeout=60)` and the default options
are two different results).

- `prepared`: an instructor worksheet carrying its reference values (`reference.prepare`, the step a batch
  runs before its first submission; `batch.grade_folder` and `grade_notebook` take it instead of a path).
- `grade_once`: a notebook graded by `grade_notebook` against `prepared(source, **options)` with the same options
  (what a batch computes for it); keyed by the notebook's text, so the same notebook graded with the same
  options in two files (test_worksheet_items.py and test_nbgrader_compat.py) is graded once.
- `validated`: `coursegrad validate SOURCE` run from the command line: (exit code, stdout, stderr).
- (`workflow_helpers.graded_once` shares a graded course folder the same way.)
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from filelock import FileLock

from coursegrad.grading.grade import grade_notebook
from coursegrad.grading.model import Submission
from coursegrad.grading.reference import prepare
from coursegrad.grading.source import Worksheet

ROOT = Path(__file__).resolve().parent.parent
_HERE: dict[str, Any] = {}  # this process's results (xdist: this worker's copies of the shared ones)


def shared(tmp_path_factory, key: str, compute: Callable[[], Any]) -> Any:
    """`compute()` once per test session, whichever xdist worker asks first; `key` names it (a file name)."""
    if key not in _HERE:
        if os.environ.get("PYTEST_XDIST_WORKER") is None:
            _HERE[key] = compute()
        else:
            path = tmp_path_factory.getbasetemp().parent / "shared" / f"{key}.pickle"  # the session's, not the worker's
            path.parent.mkdir(exist_ok=True)
            with FileLock(f"{path}.lock"):
                if not path.is_file():
                    path.write_bytes(pickle.dumps(compute()))
                _HERE[key] = pickle.loads(path.read_bytes())
    return _HERE[key]


def prepared(tmp_path_factory, source: Path, **options) -> Worksheet:
    """`source` with its reference values, computed as a batch with these `options` computes them."""
    key = "-".join([f"prepared-{source.stem}", *_named(options)])
    return shared(tmp_path_factory, key, lambda: prepare(source, **options))


def grade_once(tmp_path_factory, source: Path, nb: nbformat.NotebookNode, **options) -> Submission:
    """`nb` graded against `source` with `options`, as student "student" (a file in a folder of its own)."""
    text = nbformat.writes(nb)
    key = "-".join([f"graded-{source.stem}", hashlib.sha256(text.encode()).hexdigest()[:16], *_named(options)])

    def grade() -> Submission:
        path = tmp_path_factory.mktemp("graded") / source.name
        path.write_text(text, encoding="utf-8")
        return grade_notebook(prepared(tmp_path_factory, source, **options), path, "student", **options)

    return shared(tmp_path_factory, key, grade)


def _named(options: dict) -> list[str]:
    return [f"{k}={v}" for k, v in sorted(options.items())]


def validated(tmp_path_factory, source: Path) -> tuple[int, str, str]:
    """`coursegrad validate source` (the default 30 s per cell): its exit code, stdout and stderr."""

    def run() -> tuple[int, str, str]:
        command = [sys.executable, "-m", "coursegrad.cli", "validate", str(source)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
        return done.returncode, done.stdout, done.stderr

    return shared(tmp_path_factory, f"validated-{source.stem}", run)
