"""Gradescope end to end: build the autograder zip with the CLI, run its setup.sh into a fresh virtual
environment, run run_autograder on a solved, a blank, a hostile and an empty submission, and validate
each results.json against Gradescope's documented schema.

The fresh environment sees the test environment's packages through a path entry (so setup.sh can
install the kit with `--no-deps --no-index` in seconds), but the kit itself comes from the zip's wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest
from workflow_helpers import ROOT, cli

from coursegrad.grading import cells as C
from coursegrad.grading.release import read, student_version
from coursegrad.grading.validate import solved

SOURCE = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"
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
HOSTILE = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)  # kill the grading process"


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """/autograder (as GRADESCOPE_ROOT) after setup.sh, and the environment to run it with."""
    tmp = tmp_path_factory.mktemp("gradescope")
    result = cli("export", "gradescope", str(SOURCE), "-o", str(tmp / "autograder.zip"))
    assert result.returncode == 0, result.stderr
    root = tmp / "autograder"
    with zipfile.ZipFile(tmp / "autograder.zip") as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", "constraints.txt", f"worksheet/{SOURCE.name}", "settings.json"} <= names
        assert any(n.startswith("kit/coursegrad-") and n.endswith(".whl") for n in names)
        z.extractall(root / "source")
        for info in z.infolist():  # unzip keeps the scripts' executable bits; zipfile needs telling
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) or 0o644)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], capture_output=True,
                          text=True, check=True).stdout.strip()
    Path(site, "_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")  # a path entry only
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(COURSEGRAD_PYTHON=str(python), COURSEGRAD_PIP_OPTIONS="--no-deps --no-index", GRADESCOPE_ROOT=str(root))
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True, timeout=300)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    where = subprocess.run([str(python), "-c", "import coursegrad; print(coursegrad.__file__)"], env=env, cwd=tmp,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), f"the kit was not installed into the fresh environment: {where}"
    return root, env


def run_autograder(autograder, notebook) -> dict:
    root, env = autograder
    shutil.rmtree(root / "submission", ignore_errors=True)
    (root / "submission").mkdir()
    if notebook is not None:
        nbformat.write(notebook, str(root / "submission" / SOURCE.name))
    run = root / "source" / "run_autograder"
    assert os.stat(run).st_mode & stat.S_IXUSR, "run_autograder must be executable"
    done = subprocess.run([str(run)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    validate(data)
    return data


def validate(data: dict) -> None:
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is in the test environment
        pytest.fail("jsonschema is needed to validate results.json")
    jsonschema.validate(data, RESULTS_SCHEMA)
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    assert all(t["score"] <= t["max_score"] for t in data["tests"])


def auto_points() -> dict[str, float]:
    return {C.grade_id(c): C.points(c) for c in read(SOURCE).cells if C.is_test(c)}


def test_solved_submission_scores_full_marks_and_hides_hidden_tests_until_the_due_date(autograder):
    data = run_autograder(autograder, solved(student_version(read(SOURCE)), read(SOURCE)))
    points = auto_points()
    assert len(data["tests"]) == len(points)
    assert data["score"] == sum(points.values())
    assert all(t["status"] == "passed" for t in data["tests"])
    hidden = {C.grade_id(c) for c in read(SOURCE).cells if C.is_test(c) and "BEGIN HIDDEN TESTS" in c.source}
    for t in data["tests"]:
        gid = t["name"].rsplit(": ", 1)[-1]
        assert t["visibility"] == ("after_due_date" if gid in hidden else "visible"), t["name"]
    assert "graded by hand" in data["output"]


def test_blank_submission_scores_zero_with_hints(autograder):
    data = run_autograder(autograder, student_version(read(SOURCE)))
    assert data["score"] == 0 and all(t["status"] == "failed" for t in data["tests"])
    assert any("NameError" in t["output"] for t in data["tests"])


def test_hostile_submission_that_kills_the_grader_still_gets_results(autograder):
    nb = solved(student_version(read(SOURCE)), read(SOURCE))
    nb.cells.insert(2, nbformat.v4.new_code_cell(HOSTILE))
    data = run_autograder(autograder, nb)
    if "grading process was killed" in data["output"]:  # no sandbox: the kill reached the grading process
        assert data["score"] == 0
    else:  # in the bubblewrap sandbox the kill stays inside: graded like the solved notebook
        assert data["score"] == sum(auto_points().values()), data["output"]


def test_no_notebook_uploaded_still_gets_results(autograder):
    data = run_autograder(autograder, None)
    assert data["score"] == 0 and "upload the worksheet notebook" in data["output"]
