"""The instructor's desk: what an instructor reads and does after a grade run.

- `class_stats`: per-worksheet and per-question statistics from the grader's output folder.
- `report_html`: `grades/report.html`, the statistics as one self-contained page.

Everything here reads the grader's plain outputs (gradebook.csv, summary.csv, similarity.csv and
the result records under results/); nothing here changes a grade.
"""
