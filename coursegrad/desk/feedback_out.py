"""Feedback the way it goes back: each `feedback/<student>.md` also as a self-contained HTML page, and a zip
for Canvas's feedback re-upload.

    write_html(grades/)               ->  grades/feedback/<student>.html   (written by every grade run)
    canvas_zip(grades/, feedback.zip) ->  name_USERID_SUBMISSIONID_feedback.html for each Canvas student

The HTML is the Markdown rendered by mistune with HTML escaped (the Markdown is already inert, see
`report.feedback`), in one page with its style inside: it opens offline and can be attached anywhere.
The zip's entries are named the way Canvas's "Download Submissions" named the student's file
(`lms.py` keeps the name and submission id in `grades/lms/<zip>/students.csv`), so Canvas's
"Re-Upload Submissions" attaches each file to its student; students who did not come from a Canvas zip
are listed as left out.
"""

from __future__ import annotations

import zipfile
from html import escape
from pathlib import Path

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:48rem;margin:0 auto;padding:1rem;color:#1a1a1a;background:#fff;"
    "line-height:1.45}pre{background:#f3f4f6;padding:.5rem;overflow-x:auto;white-space:pre-wrap}"
)


def page(markdown_text: str, title: str) -> str:
    """One self-contained HTML page of the Markdown `markdown_text` (its HTML escaped, never interpreted)."""
    import mistune

    body = mistune.create_markdown(escape=True)(markdown_text)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><main>{body}</main></body></html>\n"
    )


def write_html(out: str | Path) -> list[Path]:
    """Write `feedback/<student>.html` beside each `feedback/<student>.md` in the output folder `out`."""
    written = []
    for md in sorted((Path(out) / "feedback").glob("*.md")):
        html = md.with_suffix(".html")
        html.write_text(page(md.read_text(encoding="utf-8"), f"Feedback: {md.stem}"), encoding="utf-8")
        written.append(html)
    return written


def canvas_students(out: str | Path) -> dict[str, dict]:
    """folder -> its students.csv row (name, user_id, submission) for every student unpacked from a Canvas zip."""
    from coursegrad.desk import lms

    return {folder: row for folder, row in lms.students(out).items() if row.get("lms") == "canvas"}


def canvas_zip(out: str | Path, target: str | Path) -> tuple[int, list[str]]:
    """Write the feedback zip for Canvas's re-upload; (how many files, the students left out)."""
    from coursegrad.grading.escape import file_name

    out = Path(out)
    students = canvas_students(out)
    count, left_out = 0, []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for html in sorted((out / "feedback").glob("*.html")):
            row = next((r for folder, r in students.items() if file_name(folder) == html.stem), None)
            if row is None:
                left_out.append(html.stem)
                continue
            z.write(html, f"{row['name']}_{row['user_id']}_{row['submission']}_feedback.html")
            count += 1
    return count, left_out
