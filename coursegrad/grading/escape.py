"""Make untrusted text (what a student printed or typed, a folder's name) safe where the grader writes it.

- `csv_cell`: a spreadsheet reads a cell that begins with `= + - @`, a tab or a carriage return as a
  formula; such a cell gets a leading `'` (OWASP's advice for CSV injection). Plain numbers stay numbers.
- `md_inline`: one line of Markdown text that cannot make a heading, a list, a link, a code span or
  HTML: newlines become spaces, `<`, `>` and `&` become entities, Markdown's punctuation is backslashed.
- `md_block`: text shown as it is, in a fenced code block whose fence is longer than any run of
  backticks in the text (so nothing in the text can close it); HTML inside is not interpreted.
- `file_name`: a file name for a student; different students always get different names.
"""

from __future__ import annotations

import hashlib
import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_PLAIN_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*(-[a-z0-9_]+)*$")
_HASHED = re.compile(r"-[0-9a-f]{16}$")


def csv_cell(value: object) -> object:
    """`value` as a CSV cell no spreadsheet runs as a formula (numbers and non-text unchanged)."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START) or _NUMBER.match(value):
        return value
    return "'" + value


def md_inline(text: str) -> str:
    """`text` as inert inline Markdown: one line, no markup, no HTML."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_PUNCTUATION.sub(r"\\\1", text)


def md_block(text: str, indent: str = "") -> list[str]:
    """`text` verbatim in a fenced code block (each line prefixed by `indent`) that the text cannot close."""
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * max(3, 1 + max(runs, default=0))
    lines = [line.replace("\r", "") for line in text.split("\n")]
    return [indent + fence + "text", *(indent + line for line in lines), indent + fence]


def file_name(student: str) -> str:
    """A file name (no extension) for `student`: the name itself when it is plain lower-case
    letters, digits, `_` and `-`, else a readable part and a hash of the exact name, so that
    `bob smith`, `bob_smith` and `Bob_Smith` never share a file (on any file system)."""
    if _PLAIN_NAME.match(student) and not _HASHED.search(student) and len(student) <= 80:
        return student
    readable = re.sub(r"[^A-Za-z0-9_]+", "_", student).strip("_")[:40] or "student"
    return f"{readable}-{hashlib.sha256(student.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"
