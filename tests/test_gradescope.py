"""Gradescope end to end, in a simulated /autograder (`GRADESCOPE_ROOT`): build the autograder zip with the
CLI, run its setup.sh into a fresh virtual environment (as root, it creates the unprivileged user), run
run_autograder on solved, blank, broken, missing and hostile submissions, and validate each results.json
against Gradescope's documented schema (grading-facts: the fields of results.json and of a test).

The hostile submissions try what a student on Gradescope would: print the instructor source, read
/autograder/source and the reference values, forge results.json from a detached process, write into the
source folder and rewrite run_autograder, kill their parent, capture the test code the grader sends. Each
results.json is searched for the solution lines, the hidden tests' lines and the reference values.

The fresh environment sees the test environment's packages through a path entry (so setup.sh installs the kit
with `--no-deps --no-index` in seconds), but the kit itself comes from the zip's wheel. The simulated root lives
in a world-readable temporary folder (pytest's own is root-only), as /autograder does.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from workflow_helpers import ROOT, cli

from coursegrad.grading import cells as C
from coursegrad.grading import sandbox
from coursegrad.grading.release import read, student_version
from coursegrad.grading.validate import solved

SOURCE = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"
USER = "coursegrad-student"
VISIBILITY = ["hidden", "after_due_date", "after_published", "visible"]
FORMATS = ["text", "html", "simple_format", "md", "ansi"]
TEST_SCHEMA = {
    "type": "object",
    "required": ["name", "score", "max_score", "status", "output", "visibility"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "number": {"type": "string"},
        "score": {"type": "number", "minimum": 0},
        "max_score": {"type": "number", "minimum": 0},
        "status": {"enum": ["passed", "failed"]},
        "output": {"type": "string"},
        "output_format": {"enum": FORMATS},
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": {"enum": VISIBILITY},
    },
    "additionalProperties": False,
}
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "execution_time", "output", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "integer", "minimum": 0},
        "output": {"type": "string"},
        "output_format": {"enum": FORMATS},
        "visibility": {"enum": VISIBILITY},
        "stdout_visibility": {"enum": VISIBILITY},
        "tests": {"type": "array", "items": TEST_SCHEMA},
    },
    "additionalProperties": False,
}
as_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="the unprivileged user needs root and setpriv (Gradescope runs the autograder as root)",
)


@pytest.fixture(scope="module")
def autograder():
    """(the simulated /autograder after setup.sh, the environment to run it with, a world-writable outbox)."""
    tmp = Path(tempfile.mkdtemp(prefix="coursegrad-gradescope-"))
    os.chmod(tmp, 0o755)
    try:
        result = cli("export", "gradescope", str(SOURCE), "-o", str(tmp / "autograder.zip"))
        assert result.returncode == 0, result.stderr
        root = tmp / "autograder"
        with zipfile.ZipFile(tmp / "autograder.zip") as z:
            names = set(z.namelist())
            wanted = {"setup.sh", "run_autograder", "constraints.txt", f"worksheet/{SOURCE.name}", "settings.json"}
            assert wanted | {"reference.json"} <= names
            assert any(n.startswith("kit/coursegrad-") and n.endswith(".whl") for n in names)
            z.extractall(root / "source")
            for info in z.infolist():  # unzip keeps the scripts' executable bits; zipfile needs telling
                os.chmod(root / "source" / info.filename, (info.external_attr >> 16) or 0o644)
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope's image build does
        venv = tmp / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        python = venv / "bin" / "python"
        site = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        Path(site, "_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")  # a path entry only
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(
            COURSEGRAD_PYTHON=str(python),
            COURSEGRAD_PIP_OPTIONS="--no-deps --no-index",
            GRADESCOPE_ROOT=str(root),
            COURSEGRAD_NO_APT="1",
        )
        setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True, timeout=300)
        assert setup.returncode == 0, setup.stdout + setup.stderr
        where = subprocess.run(
            [str(python), "-c", "import coursegrad; print(coursegrad.__file__)"],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert where.startswith(str(venv)), f"the kit was not installed into the fresh environment: {where}"
        outbox = tmp / "outbox"
        outbox.mkdir(mode=0o777)
        os.chmod(outbox, 0o1777)
        yield root, env, outbox
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_autograder(autograder, notebook, raw: bytes | None = None) -> dict:
    root, env, _ = autograder
    if (root / "submission").exists():
        shutil.rmtree(root / "submission")
    (root / "submission").mkdir()
    if raw is not None:
        (root / "submission" / SOURCE.name).write_bytes(raw)
    elif notebook is not None:
        nbformat.write(notebook, str(root / "submission" / SOURCE.name))
    run = root / "run_autograder"
    assert os.stat(run).st_mode & stat.S_IXUSR, "run_autograder must be executable"
    done = subprocess.run([str(run)], env=env, capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    validate(data)
    uid = _uid()
    assert uid is None or not sandbox.processes_of(uid), "a process of the student's user outlived the grading"
    return data


def _uid() -> int | None:
    import pwd

    try:
        return pwd.getpwnam(USER).pw_uid
    except KeyError:
        return None


def validate(data: dict) -> None:
    import jsonschema

    jsonschema.validate(data, RESULTS_SCHEMA)
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    assert all(t["score"] <= t["max_score"] for t in data["tests"])


def auto_points() -> dict[str, float]:
    return {C.grade_id(c): C.points(c) for c in read(SOURCE).cells if C.is_test(c)}


def scored(data: dict) -> list[dict]:
    """The tests that carry points (not the 0-point 'checks in your notebook' beside a hidden test)."""
    return [t for t in data["tests"] if t["max_score"] > 0]


def secrets_of(autograder) -> list[str]:
    """What must never reach a student: the source's solution and hidden-test lines, and the reference values."""
    root = autograder[0]
    source, release = read(SOURCE), student_version(read(SOURCE))
    handed_out = {line.strip() for cell in release.cells for line in cell.source.splitlines()}
    lines = set()
    for cell in source.cells:
        for begin, end in ((C.BEGIN_SOLUTION, C.END_SOLUTION), (C.BEGIN_HIDDEN, C.END_HIDDEN)):
            for part in cell.source.split(begin)[1:]:
                lines |= {s.strip() for s in part.split(end)[0].splitlines()[1:-1]}
    lines = {s for s in lines if len(s) >= 12 and s not in handed_out and not s.startswith(("from ", "import "))}
    numbers = distinctive(json.loads((root / "source" / "reference.json").read_text()))
    return sorted(lines) + sorted(numbers)


def distinctive(data) -> set[str]:
    """The reference's numbers that could not turn up by chance, as a student would see them printed."""
    found = set()
    if isinstance(data, dict):
        for v in data.values():
            found |= distinctive(v)
    elif isinstance(data, list):
        for v in data:
            found |= distinctive(v)
    elif type(data) is float and len(f"{abs(data):.6g}".replace(".", "").lstrip("0").rstrip("0")) >= 4:
        found |= {repr(data), f"{data:.6g}", f"{data:.4g}"}
    return found


def assert_no_secrets(autograder, data: dict) -> None:
    text = json.dumps(data, ensure_ascii=False)
    leaked = [s for s in secrets_of(autograder) if s in text]
    assert not leaked, f"results.json shows what only the instructor may see: {leaked[:5]}"


def with_cell(nb, code: str):
    nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    return nb


def test_the_zip_ships_the_reference_and_a_visibility_per_test(autograder):
    root = autograder[0]
    settings = json.loads((root / "source" / "settings.json").read_text())
    reference = json.loads((root / "source" / "reference.json").read_text())
    assert set(reference) == set(auto_points())  # computed once, when the zip was built
    shown = settings["visibility"]
    assert sorted(g for g, v in shown.items() if v != "visible") == ["ex4_divide_test", "ex4_sigmoid_test", "ex7_backward"]
    assert sum(v == "visible" for v in shown.values()) == 10  # hidden parts that only restate the answer key hide nothing


def test_setup_installs_only_what_grading_needs(autograder):
    root = autograder[0]
    setup = (root / "source" / "setup.sh").read_text()
    assert "[grade]" in setup and "[course]" not in setup and "sys.version_info < (3, 10)" in setup
    wheel = next((root / "source" / "kit").glob("*.whl"))
    with zipfile.ZipFile(wheel) as z:
        meta = z.read(next(n for n in z.namelist() if n.endswith("METADATA"))).decode()
    grade = [line for line in meta.splitlines() if 'extra == "grade"' in line]
    assert grade and not any("jupyterlab" in line or "ipywidgets" in line or "matplotlib" in line for line in grade)


def test_solved_submission_scores_full_marks_with_hidden_tests_after_the_due_date(autograder):
    data = run_autograder(autograder, solved(student_version(read(SOURCE)), read(SOURCE)))
    points = auto_points()
    assert len(scored(data)) == len(points) and data["score"] == sum(points.values())
    assert all(t["status"] == "passed" for t in data["tests"])
    shown = {t["name"].rsplit(": ", 1)[-1]: t["visibility"] for t in scored(data)}
    assert sorted(g for g, v in shown.items() if v == "after_due_date") == ["ex4_divide_test", "ex4_sigmoid_test", "ex7_backward"]
    feedback = [t for t in data["tests"] if t["max_score"] == 0]
    assert len(feedback) == 3 and all(t["visibility"] == "visible" and "✓" in t["output"] for t in feedback)
    assert "graded by hand" in data["output"]


def test_blank_submission_scores_zero_with_hints_and_no_secrets(autograder):
    data = run_autograder(autograder, student_version(read(SOURCE)))
    assert data["score"] == 0 and all(t["status"] == "failed" for t in data["tests"])
    assert any("NameError" in t["output"] for t in data["tests"])
    assert_no_secrets(autograder, data)


def test_broken_and_missing_submissions_still_get_results(autograder):
    data = run_autograder(autograder, None, raw=b'{"cells": [1, 2')
    assert data["score"] == 0 and "invalid JSON" in data["tests"][0]["output"]
    data = run_autograder(autograder, None)
    assert data["score"] == 0 and "upload the worksheet notebook" in data["output"]


PRINT_SOURCE = """
import glob, os
for path in glob.glob({root!r} + '/**', recursive=True) + [{root!r} + '/source/worksheet/01_backprop_worksheet.ipynb',
                                                           {root!r} + '/source/reference.json']:
    try:
        print(path, open(path).read()[:100000])
    except Exception as err:
        print(path, type(err).__name__)
"""
CAPTURE_TESTS = """
ip = get_ipython()
ip.events.register('pre_run_cell', lambda info: print('SENT TO ME:', info.raw_cell))
ip.events.register('post_run_cell', lambda result: print('RAN:', result.info.raw_cell))
"""
FORGER = """
import os, subprocess, time
code = (
    "import json, sys, time\\n"
    "root, logs = sys.argv[1], sys.argv[2:]\\n"
    "for i in range(300):\\n"
    "    for target in (root + '/results/results.json', root + '/results/forged.json', root + '/source/settings.json'):\\n"
    "        try:\\n"
    "            with open(target, 'w') as f:\\n"
    "                json.dump({{'score': 999, 'tests': []}}, f)\\n"
    "            said = 'WROTE ' + target\\n"
    "        except Exception as err:\\n"
    "            said = type(err).__name__\\n"
    "        for where in logs:\\n"
    "            try:\\n"
    "                with open(where + '/forger.log', 'a') as log:\\n"
    "                    log.write(str(i) + ' ' + said + chr(10))\\n"
    "            except OSError:\\n"
    "                pass\\n"
    "    time.sleep(0.1)\\n"
)
# a daemon in a session of its own (python3 from PATH: the system's, which any user may run)
subprocess.Popen(['python3', '-c', code, {root!r}, os.getcwd(), {outbox!r}], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1)
"""
FORGER_SAYS = """
import time
time.sleep(1)
raise RuntimeError('FORGER LOG ' + ' | '.join(open('forger.log').read().splitlines()[-6:]))  # shows in the notes
"""
WRITE_SOURCE = """
for target, mode in (({root!r} + '/source/evil.py', 'w'), ({root!r} + '/source/worksheet/01_backprop_worksheet.ipynb', 'a'),
                     ({root!r} + '/run_autograder', 'a'), ({root!r} + '/source/run_autograder', 'a')):
    try:
        open(target, mode).write('echo pwned')
        print('WROTE', target)
    except Exception as err:
        print(target, type(err).__name__)
"""
KILL_PARENT = """
import os, signal
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except Exception as err:
        print('kill', pid, type(err).__name__)
"""


def _fingerprint(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / "source").rglob("*")) if p.is_file()} | {
        "run_autograder": hashlib.sha256((root / "run_autograder").read_bytes()).hexdigest()
    }


@as_root
@pytest.mark.parametrize("attack", ["print the source", "capture the tests", "write into the source"])
def test_hostile_submission_reaches_neither_the_key_nor_the_grading_files(autograder, attack):
    root = autograder[0]
    code = {"print the source": PRINT_SOURCE, "capture the tests": CAPTURE_TESTS, "write into the source": WRITE_SOURCE}[attack]
    before = _fingerprint(root)
    data = run_autograder(autograder, with_cell(student_version(read(SOURCE)), code.format(root=str(root))))
    assert data["score"] == 0  # a blank worksheet: whatever it read would show up as points or text
    assert_no_secrets(autograder, data)
    assert _fingerprint(root) == before, "the submission changed what the grading reads or runs"
    assert not (root / "source" / "evil.py").exists()


@as_root
def test_capturing_the_tests_sees_no_hidden_test(autograder, tmp_path):
    """A solved notebook that hooks every cell it is sent keeps its points and shows no hidden line (what reaches the
    kernel at all: `test_a_test_judged_outside_the_kernel_sends_it_no_hidden_test`)."""
    nb = with_cell(solved(student_version(read(SOURCE)), read(SOURCE)), CAPTURE_TESTS)
    data = run_autograder(autograder, nb)
    assert data["score"] == sum(auto_points().values())
    assert "touches IPython" in data["output"]  # the hooks were installed (and flagged for review)
    # the notebook's own check output is where captured text would appear: it is never shown with the hidden part
    assert "BEGIN HIDDEN" not in json.dumps(data) and 'expect_close("q_value", q_value, -2.0)' not in json.dumps(data)


@as_root
def test_a_detached_process_cannot_forge_results_and_is_killed_first(autograder):
    """A daemon keeps writing results.json (and the source); a later cell reports what it achieved, through the
    one channel a notebook has to the output (its error). Where bubblewrap runs, /autograder is not even there."""
    root, _, outbox = autograder
    log = outbox / "forger.log"  # seen only without bubblewrap (with it the kernel has a /tmp of its own)
    log.unlink(missing_ok=True)
    nb = student_version(read(SOURCE))
    nb.cells.append(nbformat.v4.new_code_cell(FORGER_SAYS))
    data = run_autograder(autograder, with_cell(nb, FORGER.format(root=str(root), outbox=str(outbox))))
    assert data["score"] == 0
    said = next(line for line in data["output"].splitlines() if "FORGER LOG" in line)
    assert "Error" in said and "WROTE" not in said, said  # it ran, kept trying, and every write failed
    if log.exists():
        tries = log.read_text().splitlines()
        time.sleep(1)
        assert len(log.read_text().splitlines()) == len(tries), "the forger was still running after results.json was written"
    assert json.loads((root / "results" / "results.json").read_text()) == data
    assert not (root / "results" / "forged.json").exists()


@as_root
def test_killing_the_parent_fails_and_the_work_is_graded(autograder):
    nb = with_cell(solved(student_version(read(SOURCE)), read(SOURCE)), KILL_PARENT)
    data = run_autograder(autograder, nb)
    assert data["score"] == sum(auto_points().values()), data["output"]


@as_root
def test_nothing_the_grading_reads_or_runs_is_open_to_the_student_user(autograder):
    root = autograder[0]
    import coursegrad

    run_autograder(autograder, student_version(read(SOURCE)))  # the permissions as grading leaves them
    uid = _uid()
    kit = Path(
        subprocess.run(
            [autograder[1]["COURSEGRAD_PYTHON"], "-c", "import coursegrad; print(coursegrad.__file__)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    ).parent
    assert Path(coursegrad.__file__).exists()

    def can(flag: str, path: Path) -> bool:
        return subprocess.run(sandbox.as_user(["test", flag, str(path)], uid), check=False).returncode == 0

    for path in (root / "source", root / "source" / "reference.json", root / "results", root / "submission"):
        assert not can("-r", path) and not can("-w", path), path
    for path in (root / "run_autograder", root, kit, kit / "export" / "autograder.py", kit / "grading"):
        assert can("-r", path) or path == root, path
        assert not can("-w", path), path


def test_run_autograder_cannot_be_rewritten_while_it_runs(tmp_path):
    """bash reads a script as it goes: the old, unwrapped script runs what a process appends meanwhile; ours does not."""
    from coursegrad.export.gradescope import RUN

    naive = '#!/usr/bin/env bash\nROOT="$GRADESCOPE_ROOT"\n"$COURSEGRAD_PYTHON"\necho ok > "$ROOT/done"\n'
    for script, rewritten in ((naive, True), (RUN, False)):
        root = tmp_path / ("naive" if rewritten else "ours")
        (root / "results").mkdir(parents=True)
        target = root / "run_autograder"
        target.write_text(script)
        attacker = tmp_path / "python"  # stands in for the grading: appends to the running script
        attacker.write_text(f"#!/bin/sh\nprintf '\\necho FORGED > {root}/forged\\n' >> {target}\n")
        attacker.chmod(0o755)
        env = dict(os.environ, GRADESCOPE_ROOT=str(root), COURSEGRAD_PYTHON=str(attacker))
        subprocess.run(["bash", str(target)], env=env, capture_output=True, timeout=60, check=False)
        assert (root / "forged").exists() == rewritten, script


class RecordingKernel:
    """Stands in for the student's kernel: records every cell sent to it (the guard's steps answer as the guard would)."""

    alive, over_budget = True, False

    def __init__(self):
        self.sent: list[str] = []

    def evaluate(self, expression: str, timeout: float = 10):
        import re

        nonce = re.search(r"'([0-9a-f]{16})'", expression)
        return True, repr(f"ok {nonce.group(1)}") if nonce else "True"

    def run(self, source: str, **options):
        from coursegrad.grading.kernel import CellResult

        self.sent.append(source)
        return CellResult("ok")


@pytest.mark.parametrize("judge", ["items", "kernel"])
def test_a_test_judged_outside_the_kernel_sends_it_no_hidden_test(judge):
    """What reaches the student's kernel: the visible check only (judged by items); the whole cell only in the
    nbgrader-style mode (`judge="kernel"`): the control, showing the hidden part is really there to send."""
    from coursegrad.grading import grade, match

    source = read(SOURCE)
    plan = match.plan(source, student_version(source), student_version(source))
    steps = [s for s in plan.steps if s.role == "test" and C.BEGIN_HIDDEN in s.source]
    assert len(steps) == 12
    kernel = RecordingKernel()
    for step in steps:
        q = grade.Question(step.grade_id, "", "auto", step.points)
        grade._test(kernel, step, q, judge, [{"error": "no reference in this test"}] * len(step.items))
    sent = {line.strip() for cell in kernel.sent for line in cell.splitlines()}
    visible = {line.strip() for s in steps for line in s.source.split(C.BEGIN_HIDDEN)[0].splitlines()}
    hidden = {line.strip() for s in steps for line in s.source.split(C.BEGIN_HIDDEN)[1].splitlines()[1:-1]} - visible
    assert 'expect_close("q_value", q_value, -2.0)' in hidden
    leaked = [line for line in hidden if line in sent and not line.startswith(("from ", "import "))]
    assert (not leaked) if judge == "items" else len(leaked) > 30
