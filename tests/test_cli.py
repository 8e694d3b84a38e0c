"""The `coursegrad` command line: help, generate (and --check), validate's failures, grade end to end."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import nbformat
import pytest

from coursegrad.cli import main
from coursegrad.grading import cells as C
from coursegrad.grading.release import read, student_version
from coursegrad.grading.validate import solved

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"
RELEASE = ROOT / "worksheets" / "release" / "01_backprop_worksheet.ipynb"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coursegrad.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_console_script_is_declared():
    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts.get("coursegrad") == "coursegrad.cli:main"


def test_help_names_the_commands_and_warns_about_running_student_code():
    top = cli("--help")
    assert top.returncode == 0
    for word in ("generate", "validate", "grade", "RUNS THE STUDENTS' CODE", "timeout"):
        assert word in top.stdout
    grade = cli("grade", "--help")
    assert grade.returncode == 0
    for word in ("--timeout", "--jobs", "--max-output", "--memory-mb", "RUNS THE STUDENTS' CODE", "--sandbox", "--budget"):
        assert word in grade.stdout


def test_no_command_is_a_usage_error():
    result = cli()
    assert result.returncode == 2 and "usage: coursegrad" in result.stderr


def test_generate_check_passes_on_the_committed_worksheet(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["generate", "--check"]) == 0
    out = capsys.readouterr().out
    assert out.count("up to date") == 2 * len(list((ROOT / "worksheets" / "source").glob("*.ipynb"))) == 4, out  # items, release


def test_validate_checks_every_worksheet_by_default(monkeypatch, capsys):
    from coursegrad.grading import validate as V

    seen = []
    monkeypatch.setattr(V, "validate", lambda src, timeout: seen.append(Path(src).name) or V.Validation(str(src)))
    monkeypatch.chdir(ROOT)
    assert main(["validate"]) == 0
    assert seen == ["01_backprop_worksheet.ipynb", "02_write_backprop.ipynb"]
    assert capsys.readouterr().out.count("OK: ") == 2


def test_generate_writes_the_student_version_and_check_notices_a_stale_one(tmp_path, capsys):
    course = tmp_path / "worksheets"
    (course / "source").mkdir(parents=True)
    src = course / "source" / SOURCE.name
    shutil.copy(SOURCE, src)
    assert main(["generate", str(src)]) == 0
    out = course / "release" / SOURCE.name
    assert out.read_bytes() == RELEASE.read_bytes()
    nb = read(src)
    nb.cells[0].source += "\n\nA new sentence."
    nbformat.write(nb, str(src))
    assert main(["generate", "--check", str(src)]) == 1
    assert "OUT OF DATE" in capsys.readouterr().out
    assert main(["generate", "--out", str(tmp_path / "elsewhere"), str(src)]) == 0
    assert "A new sentence." in (tmp_path / "elsewhere" / SOURCE.name).read_text()


def test_validate_reports_a_malformed_source(tmp_path, capsys):
    nb = read(SOURCE)
    nb.cells[1].source += "\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION"
    bad = tmp_path / "source" / "bad.ipynb"
    bad.parent.mkdir()
    nbformat.write(nb, str(bad))
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "SOLUTION region in a cell that is not a solution cell" in out


def test_grade_missing_inputs_say_what_is_wrong(tmp_path):
    with pytest.raises(SystemExit, match="no instructor notebook"):
        main(["grade", str(tmp_path / "nope.ipynb"), str(tmp_path)])
    with pytest.raises(SystemExit, match="no folder of submissions"):
        main(["grade", str(SOURCE), str(tmp_path / "nope")])
    with pytest.raises(SystemExit, match="no student folders"):
        main(["grade", str(SOURCE), str(tmp_path), "-o", str(tmp_path / "out"), "-q"])


def test_grade_a_small_class_end_to_end(tmp_path):
    blank = student_version(read(SOURCE))
    good = solved(blank, read(SOURCE))
    for student, nb in (("ada", good), ("bo", blank)):
        (tmp_path / "in" / student).mkdir(parents=True)
        nbformat.write(nb, str(tmp_path / "in" / student / SOURCE.name))
    (tmp_path / "in" / "cy").mkdir()  # handed in nothing
    result = cli("grade", str(SOURCE), str(tmp_path / "in"), "-o", str(tmp_path / "grades"), "--timeout", "20", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert "graded 2 submission(s); 1 missing" in result.stdout  # a missing worksheet is not counted as graded
    assert "grading 01_backprop_worksheet [" in result.stderr and "3/3" in result.stderr  # the progress bar
    with open(tmp_path / "grades" / "summary.csv", newline="") as f:
        summary = {r["student"]: r for r in csv.DictReader(f)}
    assert {s: (r["total"], r["status"]) for s, r in summary.items()} == {
        "ada": ("20", "graded"),
        "bo": ("0", "graded"),
        "cy": ("0", "missing"),
    }
    with open(tmp_path / "grades" / "gradebook.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    graded = [C.grade_id(c) for c in read(SOURCE).cells if C.is_test(c) or C.is_manual(c)]
    assert [r["question"] for r in rows] == graded * 3
    feedback = {p.name for p in (tmp_path / "grades" / "feedback").iterdir()}
    assert feedback == {f"{s}.{kind}" for s in ("ada", "bo", "cy") for kind in ("md", "html")}  # HTML too (desk/feedback_out.py)
    written = (tmp_path / "grades" / "written_answers.md").read_text(encoding="utf-8")
    assert "## ex8a_answer\n\n**Rubric (2 points).**\n- 1 point: two different reasons" in written  # graders see the rubric


def test_grade_takes_every_worksheet_when_source_is_omitted(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    (tmp_path / "in" / "ada").mkdir(parents=True)
    (tmp_path / "in" / "ada" / SOURCE.name).write_text("not json")
    assert main(["grade", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q"]) == 0
    with open(tmp_path / "out" / "summary.csv", newline="") as f:
        rows = {r["worksheet"]: (r["student"], r["status"]) for r in csv.DictReader(f)}
    assert set(rows) == {p.stem for p in (ROOT / "worksheets" / "source").glob("*.ipynb")}
    assert rows[SOURCE.stem] == ("ada", "invalid")
    assert all(status == "missing" for ws, (_, status) in rows.items() if ws != SOURCE.stem)
    with pytest.raises(SystemExit, match="at most two paths"):
        main(["grade", "a", "b", "c"])
