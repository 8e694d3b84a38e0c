"""Code that runs INSIDE the student's kernel: the trust boundary.

The grader imports these modules in each grading kernel by string templates (`grade.INSTALL`,
`grade.PROBE`): `guard` puts the checking machinery back before every test, `probe` reports the
values of a test's items as plain JSON data. Everything here must assume hostile neighbours (student
code in the same process can change it), and nothing outside may trust what it returns: the grader's
own process parses and judges the reports (`judge.py`). Imports only the standard library, numpy and
coursegrad's own checking modules.
"""
