"""Hand out and grade worksheets, nbgrader-compatible, without a database, JupyterHub or Docker.

The command line (`coursegrad --help`, `cli.py`) wraps these stages. Stages pass plain data forward
(`Worksheet`, `Plan`, `CellResult`, `Question`/`Submission`, `Graded`); nothing imports a later stage,
and there are no import cycles (`tests/test_package_structure.py`).

THE MAP — stage: module(s) [where it runs] reads → writes

Before grading (the instructor's process):
0. Author: `derive.py` — each test cell's code (read with `ast`, never run) → its items in `metadata.coursegrad`.
1. Hand out: `release.py` (`cells.py`: nbgrader's cell flags) — source notebook → student version, `solved()`.
2. Check the source: `validate.py` [+ kernels] — source → problems, point totals (runs the source as a student would).
3. Read the source once, with its reference values: `source.py` (`Worksheet`), `reference.py` (`prepare`,
   `with_reference`) [+ one kernel: the solved worksheet] — source → `Worksheet.reference` {grade_id: item values}.

A batch (`batch.py`, the instructor's process: discovery, what is kept, the worker pool and its recovery):
4. Find the submissions: `batch.find_submissions` — submissions folder → (student, path, note).
5. Grade one: `worker.py` (`grade_one`) [a worker process of the pool, or a Dask worker: `cluster.py`] —
   `Worksheet`, a submission's path, options → `Submission` (`model.py`).
   a. Plan it: `match.py` — source, student version, submission → `Plan` of `Step`s (which cell runs, whose source).
   b. Run it: `grade.py` (`grade_notebook`), `kernel.py`, `sandbox.py` (bubblewrap), `lifetime.py` — the
      submission's bytes (a private copy) → `CellResult`s and, per test, its items' values as JSON text.
   c. INSIDE THE STUDENT'S KERNEL: `inkernel/guard.py` (puts the checks back before each test),
      `inkernel/probe.py` (reports the items' values) — the notebook's namespace → base64 JSON text.
      The trust boundary: it trusts nothing, and nothing outside trusts what it returns.
   d. Judge outside the kernel: `judge.py` (`parse`, `matches`, `orders_match`, `score`, `forbidden`) — the
      report, the reference values, the items → points and ✓/✗ lines. The check cells judge with the same
      functions (`coursegrad.checking.agrees`): one judgment. `scan.py` flags code for a human to review.
6. Store, the one result store: `records.py` (`Store`, `Graded`) — each result as it is ready (made a record by
   stage 7), with the checksums of source and submission and the grading options, and the reference values
   once per worksheet → `OUT/results/<worksheet>/<student>.json`, `OUT/results/<worksheet>.reference.json`.
   A rerun keeps every record whose three are unchanged (an interrupted batch resumes; nothing changed: no kernel).

After grading (the instructor's process):
7. Record: `course.py` (`record`, `merge`; `late.py`, `similarity.py`, `shard.py`, `settings.py`) — `Submission`,
   hand-in times, settings → the `Graded` record stage 6 stores (late penalty, answers); shards' records merged.
8. Report: `report.py`, `manual.py`, `similarity.py`, `sheets.py`, `escape.py` — `Graded` records, manual.csv →
   gradebook.csv, summary.csv, feedback/, written_answers.md, manual.csv, similarity.csv.
9. Export: `coursegrad/export/` — records, source → a Gradescope zip (whose `export/autograder.py` runs
   stages 3 and 5 on Gradescope), a Canvas CSV.
"""
