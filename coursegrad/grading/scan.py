"""Flag student code that reaches for the grading machinery, for a human to look at.

The guard (`inkernel/guard.py`) undoes the usual tampering before every test; this scan does not
change any points. It names what it saw in the gradebook's reason column ("for review: ..."),
so that an instructor can read the few notebooks that try something, instead of all of them.
"""

from __future__ import annotations

import re

PATTERNS = [
    (r"\bcoursegrad(\.\w+)+\s*=[^=]", "assigns to coursegrad"),
    (r"\bdef\s+(check_\w+|score_\w+|expect_\w+|as_number|gradcheck)\b", "defines a function named like a check"),
    (r"^\s*(check_\w+|score_\w+|expect_close|expect_shape|as_number|gradcheck)\s*=[^=]", "rebinds a check's name"),
    (r"\bbuiltins\b|__builtins__", "touches builtins"),
    (r"\bsetattr\s*\(|\bdelattr\s*\(", "uses setattr/delattr"),
    (r"\bsys\s*\.\s*modules\b|\bimportlib\b", "touches the module system"),
    (r"\bget_ipython\s*\(|\bIPython\b|\bipykernel\b", "touches IPython"),
    (r"\b(settrace|setprofile|addaudithook|_getframe)\b|\bgc\s*\.|\binspect\s*\.", "uses introspection hooks"),
    (r"\b(threading|multiprocessing|subprocess|ctypes|signal|socket)\b", "uses processes/threads/signals"),
    (r"\bos\s*\.\s*(system|kill|fork|_exit|exec\w*)\b", "uses processes/threads/signals"),
    (r"\bclass\s+\w+\s*\(\s*(float|int|np\.float64|numbers\.\w+)\s*\)", "subclasses a number type"),
    (r"\b_expected_\w+|\bcoursegrad\s*\.\s*exercises\b|\bfrom\s+coursegrad\.exercises\b", "reads the checks' private answers"),
    (r"\bdef\s+__(eq|ne|lt|le|gt|ge|float|abs|sub|rsub|round|bool|index)__\b", "overrides comparison/number methods"),
]


def suspicious(sources: list[str]) -> list[str]:
    """What in the student's code cells deserves a look (one short phrase per kind, in a fixed order)."""
    text = "\n".join(sources)
    return list(dict.fromkeys(label for pattern, label in PATTERNS if re.search(pattern, text, flags=re.MULTILINE)))
