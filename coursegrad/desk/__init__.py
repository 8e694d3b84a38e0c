"""The instructor's desk: what an instructor reads and does around a grade run.

- `class_stats`: per-worksheet and per-question statistics from the grader's output folder.
- `report_html`: `grades/report.html`, those statistics as one self-contained page.
- `hand_grades`, `review`: grading the written answers on one screen (`coursegrad review`), saved to manual.csv.
- `lms`: Canvas's and Gradescope's submission zips, unpacked into the folder layout (`coursegrad grade x.zip`).
- `feedback_out`: feedback as HTML, zipped for Canvas's re-upload (`coursegrad feedback`).
- `written_pdf`: the written answers as one PDF per student (`coursegrad written-pdf`); `math_html`: their
  Markdown as HTML with the math as MathML (offline, no script).
- `commands`: the command-line entries of the above.

Everything here reads the grader's plain outputs (gradebook.csv, summary.csv, similarity.csv, manual.csv and
the result records under results/); only `hand_grades.save` writes, one row of manual.csv at a time.
"""
