"""Hostile submissions against the sandbox: harming classmates and the instructor, reading the solutions,
outliving grading, stopping the batch. Every attack first runs with `--sandbox none` (the control: it
works there) and then in the bubblewrap sandbox, where it must not.

Skipped where bubblewrap does not work, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hostile_worksheet as H
import nbformat
import pytest

from coursegrad.grading import batch, lifetime, report, sandbox
from coursegrad.grading.grade import grade_notebook
from coursegrad.grading.kernel import Kernel
from coursegrad.grading.reference import prepare

MARKER = f"coursegrad-hostile-test-marker-{os.getpid()}"  # this session's: other sessions on the machine run these tests too
PROBLEM = sandbox.probe()
if PROBLEM is not None and os.environ.get("CI"):
    raise RuntimeError(f"the sandbox tests must run in CI: {PROBLEM}")
pytestmark = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")

SPY = """
import glob, os, tempfile
from jupyter_client import BlockingKernelClient
mine = os.path.dirname(os.getcwd())
for f in glob.glob(os.path.join(tempfile.gettempdir(), "**", "kernel.json"), recursive=True):
    if os.path.dirname(f) == mine:
        continue
    try:
        kc = BlockingKernelClient(connection_file=f)
        kc.load_connection_file()
        kc.start_channels()
        kc.execute("pwned = 'by a classmate'")
        kc.get_shell_msg(timeout=5)
        kc.stop_channels()
    except Exception as err:
        print("spy:", err)
"""

VANDAL = """
import os, subprocess, sys
for target in {targets!r}:
    try:
        with open(target, "a") as f:
            f.write({payload!r})
    except OSError as err:
        print("could not write", target, err)
child = {child!r}
subprocess.Popen([sys.executable, "-c", child, {gradebook!r}, {marker!r}], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
"""
LATER = """import os, sys, time
for _ in range(600):  # wait for the grader to write the gradebook, then overwrite it
    if os.path.exists(sys.argv[1]):
        break
    time.sleep(0.2)
time.sleep(0.5)
open(sys.argv[1], "w").write("student,points\\nvandal,100\\n")
"""
PATCHED_CHECK = "\n\ndef expect_close(*args, **kwargs):  # vandalised\n    return None\n"
PATCHED_CHECK += "\n\ndef report(*args, **kwargs):  # vandalised: every later kernel reports nothing\n    return ''\n"

READER = """
import glob, os, re
import coursegrad
answer = 1.0
places = [os.path.dirname(os.path.dirname(coursegrad.__file__))]
try:
    places.append(os.readlink(f"/proc/{os.getppid()}/cwd"))
except OSError:
    pass
for place in places:
    for path in glob.glob(os.path.join(place, "**", "*.ipynb"), recursive=True):
        try:
            text = open(path).read()
        except OSError:
            continue
        found = "BEGIN SOLUTION" in text and re.search(r"answer = (-?[0-9]+[.]?[0-9]*)", text)
        if found:
            answer = float(found.group(1))
"""

DELETER = """
import os, shutil, tempfile
for entry in os.listdir(tempfile.gettempdir()):
    path = os.path.join(tempfile.gettempdir(), entry)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        os.remove(path)
"""


def digest(*paths: Path) -> dict[str, str]:
    """sha256 of every file under `paths`."""
    files = [p for path in paths for p in ([path] if path.is_file() else sorted(path.rglob("*"))) if p.is_file()]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if "__pycache__" not in p.parts}


def marked_processes() -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if MARKER.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            pass
    return found


def kill_marked() -> None:
    for pid in marked_processes():
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def private_tmp(monkeypatch):
    """A $TMPDIR of this test's own: the hostile code in `--sandbox none` runs wild in it, not in /tmp.
    (A short path: Unix socket paths have at most 107 characters.)"""
    folder = Path(tempfile.mkdtemp(prefix="cgt-", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    kill_marked()
    shutil.rmtree(folder, ignore_errors=True)


def course(tmp_path: Path) -> dict:
    """A course folder (source, submissions, output), a copy of the kit for the kernels, and the class."""
    root = tmp_path / "course"
    (root / "source").mkdir(parents=True)
    src = H.write_source(root / "source")
    kit = tmp_path / "kit" / "coursegrad"
    shutil.copytree(Path(sandbox.KIT), kit, ignore=shutil.ignore_patterns("__pycache__"))
    out = root / "out"
    vandal = VANDAL.format(
        targets=[
            str(src),
            str(kit / "checks.py"),
            str(kit / "grading" / "inkernel" / "probe.py"),
            str(root / "subs" / "b_honest" / H.NAME),
        ]
        + [str(tmp_path / "outside.txt")],
        payload=PATCHED_CHECK,
        child=LATER,
        gradebook=str(out / "gradebook.csv"),
        marker=MARKER,
    )
    (tmp_path / "outside.txt").write_text("the instructor's file\n")
    students = {
        "a_spy": H.with_cell(H.wrong(), "q_a", SPY),
        "a_vandal": H.with_cell(H.wrong(), "q_a", vandal),
        "b_honest": H.correct(),
        "c_honest": H.correct(),
        "a_reader": H.with_cell(H.wrong(), "q_a", READER),
        "z_wrong": H.wrong(),
    }
    subs = H.write_class(root / "subs", students)
    return {"root": root, "src": src, "kit": kit, "subs": subs, "out": out, "outside": tmp_path / "outside.txt"}


def run_class(c: dict, mode: str, jobs: int) -> dict:
    """Grade the class with a classmate's kernel running alongside; what happened to everything around it."""
    before = digest(c["src"], c["kit"], c["subs"], c["outside"])
    with Kernel(sandboxed=mode == "bwrap") as victim:
        victim.run("x = 1")
        results = batch.grade_folder(c["src"], c["subs"], jobs=jobs, progress=False, timeout=10, sandbox=mode, kit=str(c["kit"]))
        pwned = victim.evaluate("'pwned' in globals()")
    outlived = marked_processes()
    report.write_all(results, c["out"], H.NAME)
    written = (c["out"] / "gradebook.csv").read_text()
    rewritten = rewritten_within(c["out"] / "gradebook.csv", written, 2.5)  # the vandal's detached child writes
    after = digest(c["src"], c["kit"], c["subs"], c["outside"])  # half a second after the gradebook appears, if alive
    return {
        "totals": {r.student: r.total for r in results},
        "points": {(r.student, q.grade_id): q.points for r in results for q in r.questions},
        "changed": sorted(p for p in before if before[p] != after.get(p)),
        "pwned": pwned,
        "gradebook_rewritten": rewritten,
        "outlived": outlived,
    }


def rewritten_within(path: Path, written: str, seconds: float) -> bool:
    """Whether `path` holds something other than `written` within `seconds` (polled: it returns once it does)."""
    deadline = time.monotonic() + seconds
    while path.read_text() == written and time.monotonic() < deadline:
        time.sleep(0.1)
    return path.read_text() != written


def test_without_the_sandbox_the_attacks_work(tmp_path, private_tmp, monkeypatch):
    """The control: with --sandbox none, each attack of the class does what it set out to do."""
    c = course(tmp_path)
    monkeypatch.chdir(c["root"])  # the instructor grades from the course folder
    seen = run_class(c, "none", jobs=1)
    assert seen["pwned"] == (True, "True"), "the spy reached a classmate's kernel"
    assert str(c["src"]) in seen["changed"] and str(c["kit"] / "checks.py") in seen["changed"]
    assert str(c["subs"] / "b_honest" / H.NAME) in seen["changed"] and str(c["outside"]) in seen["changed"]
    assert seen["outlived"] and seen["gradebook_rewritten"], "the detached child outlived grading and rewrote the gradebook"
    assert seen["points"][("a_reader", "t_a")] == 1.0, "the reader found the solution"
    assert seen["totals"]["c_honest"] == 0, "the vandalised kit cost a later classmate every point"
    assert seen["totals"]["b_honest"] == 0, "the overwritten classmate's notebook is no longer readable"


def test_in_the_sandbox_the_attacks_fail(tmp_path, private_tmp, monkeypatch):
    c = course(tmp_path)
    monkeypatch.chdir(c["root"])
    seen = run_class(c, "bwrap", jobs=2)
    assert seen["pwned"] == (True, "False")
    assert seen["changed"] == [], "files outside the output folder were changed"
    assert not seen["outlived"] and not seen["gradebook_rewritten"]
    assert seen["totals"] == {"a_spy": 0, "a_vandal": 0, "b_honest": 3, "c_honest": 3, "a_reader": 0, "z_wrong": 0}


@pytest.mark.parametrize("mode", ["none", "bwrap"])
def test_deleting_the_temporary_folder_harms_only_without_the_sandbox(tmp_path, private_tmp, mode):
    canary = private_tmp / "canary.txt"
    canary.write_text("the grader's or another program's file")
    subs = H.write_class(
        tmp_path / "subs", {"a_deleter": H.with_cell(H.correct(), "q_a", DELETER), "b": H.correct(), "c": H.correct()}
    )
    src = H.write_source(tmp_path)
    results = batch.grade_folder(src, subs, jobs=2, progress=False, timeout=10, sandbox=mode)
    assert [r.student for r in results] == ["a_deleter", "b", "c"]  # every batch completes with a row per student
    if mode == "none":
        assert not canary.exists(), "control: without the sandbox the student deletes files in $TMPDIR"
    else:
        assert canary.exists()
        assert [r.total for r in results] == [3.0, 3.0, 3.0]


BUSY = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.75:\n    pass"


@pytest.mark.parametrize(("cell", "budget"), [(BUSY, 1.5), ("import time\ntime.sleep(1.5)", 1)], ids=["computes", "sleeps"])
def test_the_time_budget_stops_many_cells_each_under_the_timeout(tmp_path, cell, budget):
    """Four cells, each under the timeout, that together compute 3 CPU seconds (budget 1.5 CPU seconds) or
    sleep 6 s (budget 1: code that waits is stopped after 4 x 1 s of wall time)."""
    nb = H.correct()
    for _ in range(4):
        H.with_cell(nb, "t_a", cell)
    path = tmp_path / "slow" / H.NAME
    path.parent.mkdir()
    nbformat.write(nb, str(path))
    ws = prepare(H.write_source(tmp_path), timeout=30)
    unlimited = grade_notebook(ws, path, "slow", timeout=30, budget=None, sandbox="bwrap")
    assert unlimited.total == 3.0 and not unlimited.notes  # control: no cell is over the timeout
    limited = grade_notebook(ws, path, "slow", timeout=30, budget=budget, sandbox="bwrap")
    points = {q.grade_id: (q.points, q.status) for q in limited.questions}
    assert points["t_a"] == (1.0, "passed") and points["t_b"] == (0.0, "not-run")
    assert any(f"time budget of {budget} s" in n for n in limited.notes)


@pytest.mark.parametrize("mode", ["none", "bwrap"])
def test_killing_the_grader_ends_every_process_it_started(tmp_path, private_tmp, mode):
    """Kill `coursegrad grade` while kernels run: workers, kernels and what they started must end with it."""
    child = f"[sys.executable, '-c', 'import time; time.sleep(60)', {MARKER!r}]"
    stay = f"import subprocess, sys, time\nsubprocess.Popen({child}, start_new_session=True)\ntime.sleep(60)"
    subs = H.write_class(tmp_path / "subs", {s: H.with_cell(H.correct(), "q_a", stay) for s in ("a", "b")})
    src = H.write_source(tmp_path)
    env = dict(os.environ, TMPDIR=str(private_tmp))
    cmd = [sys.executable, "-m", "coursegrad.cli", "grade", str(src), str(subs), "-o", str(tmp_path / "out")]
    cmd += ["--sandbox", mode, "--timeout", "100"]
    main = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180  # polled: a loaded machine only makes it wait longer
        while len(marked_processes()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(marked_processes()) == 2, "the two submissions' processes did not start"
        started = descendants(main.pid)
        main.kill()
        main.wait()
        detached = set(marked_processes())
        deadline = time.monotonic() + 3  # polled: until the grader's processes are gone and reaped (zombies too:
        while time.monotonic() < deadline and (  # the next start removes a scratch folder once its process is gone)
            any(lifetime.alive(pid) for pid in started if pid not in detached) or (mode == "bwrap" and marked_processes())
        ):
            time.sleep(0.1)
        if mode == "none":  # control: without the sandbox, the detached children outlive the grader
            assert len(marked_processes()) == 2
        else:
            assert survivors(started) == [] and marked_processes() == []
        left = list((private_tmp / f"coursegrad-{os.getuid()}").iterdir())
        assert left, "the killed grader could not remove its scratch folders"
        (tmp_path / "empty").mkdir()  # the next start removes them
        subprocess.run([*cmd[:5], str(tmp_path / "empty"), "-o", str(tmp_path / "out2")], env=env, capture_output=True)
        assert not any(p.exists() for p in left)
    finally:
        main.kill()
        kill_marked()


def survivors(pids: list[int]) -> list[int]:
    return [pid for pid in pids if lifetime.alive(pid) and not zombie(pid)]


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            ppid = int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(p))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


FORK_BOMB = """
import threading, time
threading.stack_size(64 * 1024)
started = 0
try:
    while started < 5000:  # every thread counts against the user's process limit, like a process
        threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
        started += 1
except RuntimeError:  # the limit: "can't start new thread"
    pass
time.sleep(600)  # holds its threads until the test kills it
"""
if os.environ.get("CI") and PROBLEM is None and not sandbox.drops_user():
    raise RuntimeError("the sandbox's users are tested as root: CI must run as root")
as_root = pytest.mark.skipif(not sandbox.drops_user(), reason="not root: every sandbox is in a user namespace of its own")


def bomb_in_place(bomb: concurrent.futures.Future, deadline: float) -> tuple[int, int]:
    """(pid, threads) of a process this test started that started at least 1000 threads and then no more
    for a second (its process limit said no), once there is one. Polls until then, however loaded the
    machine; fails with what the bomb's grading returned if it ended first, or at `deadline`."""
    seen: dict[int, tuple[int, float]] = {}  # pid: (threads, since when)
    while time.monotonic() < deadline and not bomb.done():
        for pid in descendants(os.getpid()):  # never another test's bomb (other graders may run on this machine)
            try:
                status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
            except (OSError, ValueError):
                continue
            threads = int(status.get("Threads", "0"))
            if threads < 1000:
                continue
            before, since = seen.get(int(pid), (-1, time.monotonic()))
            if threads != before:
                seen[int(pid)] = (threads, time.monotonic())
            elif time.monotonic() - since >= 1:
                return int(pid), threads
        time.sleep(0.1)
    pytest.fail(f"the fork bomb did not reach its limit: {bomb.result() if bomb.done() else 'still growing'}")


@as_root
def test_concurrent_sandboxes_run_as_different_unprivileged_users():
    with Kernel(sandboxed=True) as a, Kernel(sandboxed=True) as b:
        ids = [k.evaluate("(__import__('os').getuid(), __import__('os').getgid(), __import__('os').getgroups())") for k in (a, b)]
    (ok_a, ids_a), (ok_b, ids_b) = ids
    assert ok_a and ok_b
    uid_a, uid_b = eval(ids_a)[0], eval(ids_b)[0]  # noqa: S307 (our own kernels' tuples of ints)
    assert uid_a != uid_b and eval(ids_a) == (uid_a, uid_a, []) and eval(ids_b) == (uid_b, uid_b, [])  # noqa: S307
    assert all(sandbox.FIRST_UID <= u < sandbox.FIRST_UID + sandbox.USERS for u in (uid_a, uid_b))


@as_root
@pytest.mark.parametrize("shared", [True, False])
def test_a_fork_bomb_uses_up_only_its_own_process_limit(tmp_path, monkeypatch, shared):
    """One submission starts threads until its process limit says no, then waits; a classmate graded
    meanwhile gets full marks. The control (every sandbox as one uid, as with `nobody` before) starves them."""
    one = sandbox.claim_user()  # the control's one uid for all, locked: no other grader on this machine gets it
    if shared:
        monkeypatch.setattr(sandbox, "claim_user", lambda: sandbox.KernelUser(one.uid))
    subs = H.write_class(tmp_path / "subs", {"a_bomb": H.with_cell(H.correct(), "q_a", FORK_BOMB), "b": H.correct()})
    ws = prepare(H.write_source(tmp_path), timeout=10)  # before the bomb: the classmate needs one kernel only
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        bomb = pool.submit(grade_notebook, ws, subs / "a_bomb" / H.NAME, "a_bomb", timeout=900, budget=None, sandbox="bwrap")
        bomber, threads = bomb_in_place(bomb, time.monotonic() + 300)
        assert threads <= sandbox.KERNEL_PROCESSES  # the limit held it, not the bomb's own 5000
        try:
            classmate = grade_notebook(ws, subs / "b" / H.NAME, "b", timeout=10, sandbox="bwrap").total
        except RuntimeError as err:  # no kernel could start
            classmate = str(err)
        assert not bomb.done(), "the bomb must still hold its processes while the classmate is graded"
        os.kill(bomber, signal.SIGKILL)  # it would hold them for 10 minutes
        bomb.result()
    one.release()
    if shared:
        assert classmate in (0, "Kernel died before replying to kernel_info"), "control: one uid for all starves the classmate"
    else:
        assert classmate == 3.0
