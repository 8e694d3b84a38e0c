"""Grade on a Dask cluster: one task per submission, the same per-submission grading on every worker.

    coursegrad grade submissions/ -o grades/ --scheduler tcp://HOST:8786      (pip install 'coursegrad[cluster]')

Start the cluster with `dask scheduler` on one machine and `dask worker tcp://HOST:8786 --nthreads 1`
on each grading machine (one thread per worker process: the grading of a submission runs kernels
of its own; run several workers per machine for several cores). Workers need this kit installed,
nothing else: each task carries the instructor source (read and checksummed once) and the
submission's bytes, and the worker grades a private copy with the same `grade_notebook`, kernel,
guard and limits as the process pool (`worker.grade_one`). The result comes back as a `Submission`.

A submission that kills its worker process is recorded against that submission ("grader-error")
and not retried on other workers: before submitting, the client sets the scheduler's
`allowed_failures` to 0 (Dask's default, 3, would run a killer on three more workers) and its
worker saturation to 1.0, so a 1-thread worker holds one task at a time and a dying worker takes
no innocent queued submission with it. These two settings change the scheduler for every client:
use a scheduler of its own for grading.

The client waits up to `CONNECT_TIMEOUT` seconds for the scheduler to answer (the environment variable
COURSEGRAD_SCHEDULER_TIMEOUT, in seconds, sets another wait) before saying it cannot reach it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from coursegrad.grading import worker
from coursegrad.grading.model import Submission, unreadable
from coursegrad.grading.source import Worksheet

CONNECT_TIMEOUT = 15.0  # seconds to wait for the scheduler (COURSEGRAD_SCHEDULER_TIMEOUT overrides)


def _one_at_a_time(dask_scheduler=None) -> None:
    """Runs on the scheduler: no retries of a task that killed its worker, one task per worker thread."""
    dask_scheduler.allowed_failures = 0
    dask_scheduler.WORKER_SATURATION = 1.0


def grade_remote(ws: Worksheet, student: str, name: str, data: bytes, note: str, options: dict) -> Submission:
    """Runs on a worker: grade the submission `data` (file name `name`) in a private folder."""
    with tempfile.TemporaryDirectory(prefix="coursegrad-task-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return worker.grade_one(ws, student, str(path), note, options)


def grade_todo(scheduler: str, ws: Worksheet, todo: list, options: dict, results: dict, finished) -> None:
    """Grade the (student, path, note) tasks of `todo` on the cluster at `scheduler`; each result goes
    into `results[student]` and to `finished(result)` as it arrives."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ValueError("--scheduler needs Dask distributed: pip install 'coursegrad[cluster]'") from None
    seconds = float(os.environ.get("COURSEGRAD_SCHEDULER_TIMEOUT") or CONNECT_TIMEOUT)
    try:
        client = Client(scheduler, timeout=f"{seconds:g}s")
    except OSError as err:
        raise ValueError(f"--scheduler {scheduler}: cannot reach the Dask scheduler within {seconds:g} s ({err})") from None
    with client:
        client.run_on_scheduler(_one_at_a_time)
        futures = {}
        for student, path, note in todo:
            data = Path(path).read_bytes()
            future = client.submit(grade_remote, ws, student, Path(path).name, data, note, options, pure=False, retries=0)
            futures[future] = (student, path)
        for future in as_completed(futures):
            student, path = futures[future]
            result = _result(future, ws, student, path)
            result.path = path
            results[student] = result
            finished(result)


def _result(future, ws: Worksheet, student: str, path: str) -> Submission:
    """The task's result, or a grader-error result saying why there is none."""
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker:
        reason = "the grading process (a Dask worker) was killed while running this notebook; not retried elsewhere"
    except Exception as err:  # the task failed on the worker: the grader's failure, recorded
        reason = f"grading on the cluster failed: {type(err).__name__}: {err}"
    return unreadable(ws.notebook(), student, "grader-error", reason, path)
