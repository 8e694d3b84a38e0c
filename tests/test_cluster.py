"""Grading on a real local Dask cluster (`dask scheduler` and two `dask worker` processes on 127.0.0.1):
the gradebook equals the one-machine run, and a submission that kills its worker is recorded against
that submission alone (not retried on the other worker)."""

from __future__ import annotations

import csv
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from workflow_helpers import answered, blank, cli, solved_by, tiny_source, write

distributed = pytest.importorskip("distributed", reason="coursegrad[cluster] (Dask distributed) is in the test extra")

NAME = "01_tiny.ipynb"
KILLER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)  # kill the process that grades me"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A scheduler and two 1-thread workers, as separate processes; all killed at the end."""
    port = _free_port()
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    logs = tmp_path_factory.mktemp("dask")
    procs = [
        subprocess.Popen(
            [*dask, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            cwd=logs,
            stdout=subprocess.DEVNULL,
            stderr=open(logs / "scheduler.log", "w"),
        )
    ]
    address = f"tcp://127.0.0.1:{port}"
    worker = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-dashboard"]
    for i in range(2):
        procs.append(
            subprocess.Popen(
                [*worker, "--name", f"w{i}"], cwd=logs, stdout=subprocess.DEVNULL, stderr=open(logs / f"worker{i}.log", "w")
            )
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with distributed.Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for p in procs:
            p.kill()
            p.wait(timeout=30)


def table(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("sandbox", ["none", "auto"])
def test_cluster_gradebook_equals_the_one_machine_run(scheduler, tmp_path, sandbox):
    """Without the sandbox the killer kills its worker (recorded against it, not retried); in the
    sandbox (where bubblewrap works) it cannot reach the worker and is graded like the others."""
    source = tiny_source()
    (tmp_path / "src").mkdir()
    nbformat.write(source, str(tmp_path / "src" / NAME))
    subs = tmp_path / "subs"
    write(subs, "ada", NAME, solved_by(source))
    write(subs, "bo", NAME, blank(source))
    write(subs, "cy", NAME, answered(source, q1_answer="x = 2.5\ny = -1.0", q2_answer="z = 8.0"))
    killer = solved_by(source)
    killer.cells.insert(2, nbformat.v4.new_code_cell(KILLER))
    write(subs, "dan", NAME, killer)
    (tmp_path / "empty").mkdir()  # a student folder without a notebook
    shutil.move(tmp_path / "empty", subs / "eve")
    common = (str(tmp_path / "src" / NAME), str(subs), "--timeout", "10", "-q", "--sandbox", sandbox)
    local = cli("grade", *common, "-o", str(tmp_path / "local"), "--jobs", "2")
    assert local.returncode == 0, local.stderr
    remote = cli("grade", *common, "-o", str(tmp_path / "cluster"), "--scheduler", scheduler)
    assert remote.returncode == 0, remote.stderr
    one, many = table(tmp_path / "local" / "gradebook.csv"), table(tmp_path / "cluster" / "gradebook.csv")
    assert [r for r in one if r["student"] != "dan"] == [r for r in many if r["student"] != "dan"]
    totals = {r["student"]: r["total"] for r in many}
    assert {s: t for s, t in totals.items() if s != "dan"} == {"ada": "3", "bo": "0", "cy": "2", "eve": "0"}
    dan_one = {(r["question"], r["points"], r["status"]) for r in one if r["student"] == "dan"}
    dan_many = {(r["question"], r["points"], r["status"]) for r in many if r["student"] == "dan"}
    assert dan_one == dan_many  # the same verdict on both engines
    killed = [r for r in many if r["student"] == "dan" and r["status"] == "grader-error"]
    if sandbox == "none":
        assert killed and "Dask worker) was killed" in killed[0]["reason"] and "not retried" in killed[0]["reason"]
    elif not killed:  # the sandbox kept the kill inside: graded like a solved notebook
        assert totals["dan"] == "3"


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    source = tiny_source()
    nbformat.write(source, str(tmp_path / NAME))
    write(tmp_path / "subs", "ada", NAME, solved_by(source))
    port = _free_port()  # nothing listens there
    result = cli(
        "grade",
        str(tmp_path / NAME),
        str(tmp_path / "subs"),
        "-q",
        "-o",
        str(tmp_path / "out"),
        "--scheduler",
        f"tcp://127.0.0.1:{port}",
        env={"COURSEGRAD_SCHEDULER_TIMEOUT": "2"},
    )  # not 15 s
    assert result.returncode != 0 and "cannot reach the Dask scheduler within 2 s" in result.stderr, result.stderr
