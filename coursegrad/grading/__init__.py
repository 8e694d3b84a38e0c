"""Hand out and grade worksheets, nbgrader-compatible, without a database, JupyterHub or Docker.

- `release`: the student version of an instructor notebook (solutions and hidden tests removed).
- `validate`: the source passes every test; the student version fails every test, cleanly.
- `grade`: run each submission in a fresh kernel with the instructor's tests; gradebook and feedback.

The command line (`coursegrad --help`) wraps these.
"""
