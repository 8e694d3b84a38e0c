"""Runs in a worker process (of the batch's pool, or a Dask worker): grade one submission.

`grade_one` grades a submission in a fresh kernel, launching the kernel for the next submission as
soon as this one's is taken, so that it boots while this submission runs (every submission still
gets a kernel of its own). A grader failure becomes a result ("grader-error"), never a crash. In a
pool worker, `start` runs first: the process dies with the main process, and it tells the main
process over a pipe which student it starts (so that a worker killed by student code is blamed on
the right submission).
"""

from __future__ import annotations

import atexit

from coursegrad.grading import lifetime
from coursegrad.grading.grade import grade_notebook, grading_kernel
from coursegrad.grading.kernel import Kernel
from coursegrad.grading.model import Submission, unreadable
from coursegrad.grading.source import Worksheet

KERNEL_OPTIONS = ("timeout", "max_output", "memory_mb", "sandbox", "kit")  # the options `grading_kernel` takes

_spare: Kernel | None = None  # in a worker process: the kernel launched for the next submission
_events = None  # in a worker process: the pipe on which it tells the main process whom it starts


def start(events) -> None:
    """Runs first in every worker process: die with the main process; keep the pipe for `grade_one`."""
    global _events
    lifetime.die_with_parent()
    _events = events


def grade_one(ws: Worksheet, student: str, path: str, note: str, options: dict) -> Submission:
    """Grade one submission in this (worker) process; a grader failure becomes a result, not a crash.

    The kernel for the next submission is launched as soon as this one's is taken, so that it
    boots while this submission runs (every submission still gets a kernel of its own).
    """
    global _spare
    if _events is not None:  # if this process gets killed, the main process knows who was running
        _events.put(student)
    kernel_options = {k: v for k, v in options.items() if k in KERNEL_OPTIONS}
    kernel = _spare or grading_kernel(**kernel_options)
    _spare = grading_kernel(**kernel_options).launch()
    try:
        result = grade_notebook(ws, path, student, kernel=kernel, **options)
    except Exception as err:
        result = unreadable(ws.notebook(), student, "grader-error", f"the grader failed: {type(err).__name__}: {err}", path)
    if note:
        result.notes.insert(0, note)
    return result


def close_spare() -> None:
    global _spare
    if _spare is not None:
        _spare.close()
        _spare = None


atexit.register(close_spare)
