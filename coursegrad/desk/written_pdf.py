"""The written answers as one PDF per student, for courses that grade them on Gradescope.

    write_pdfs(grades/, sources, pdfs/)  ->  pdfs/<student>.pdf

Each PDF has, per worksheet and written question, the question (the instructor's Markdown above the
answer cell) and the student's answer, rendered from Markdown with HTML escaped and `$…$`/`$$…$$` math as
MathML (`math_html`: latex2mathml, offline; Chromium lays MathML out itself, so the page runs no JavaScript
and fetches nothing, no MathJax). Chromium prints it: Debian's `/usr/bin/chromium` (or
`$COURSEGRAD_CHROMIUM`) driven by playwright through `executable_path`. nbconvert's `webpdf` is not used
because it launches playwright's own browser build, which must be downloaded (`--allow-chromium-download`).
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from coursegrad.desk.hand_grades import Answer, answers

CHROMIUM = "/usr/bin/chromium"
STYLE = (
    "body{font-family:sans-serif;font-size:11pt;color:#111}h2{border-bottom:1px solid #999}pre{white-space:pre-wrap}"
    "math{font-size:115%}"
)


def html_of(student: str, theirs: list[Answer]) -> str:
    """The page printed for one student: each question, then the answer (HTML in either shown as text, math as MathML)."""
    from coursegrad.desk.math_html import markdown as md

    parts = [f"<h1>Written answers: {escape(student)}</h1>"]
    for a in theirs:
        parts.append(f"<h2>{escape(a.worksheet)} · {escape(a.question)} ({a.max_points:g} points)</h2>")
        if a.prompt.strip():
            parts.append(f"<section><h3>Question</h3>{md(a.prompt)}</section>")
        parts.append(f"<section><h3>Answer</h3>{md(a.text) if a.text.strip() else '<p>(not answered)</p>'}</section>")
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Written answers: {escape(student)}</title>'
        f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )


def write_pdfs(out: str | Path, sources: list, target: str | Path) -> list[Path]:
    """Print every student's written answers into `target/<student>.pdf`; RuntimeError if Chromium is missing."""
    from playwright.sync_api import sync_playwright

    from coursegrad.grading.escape import file_name

    chromium = os.environ.get("COURSEGRAD_CHROMIUM", CHROMIUM)
    if not Path(chromium).exists():
        raise RuntimeError(f"Chromium not found at {chromium}: apt-get install chromium, or set COURSEGRAD_CHROMIUM")
    by_student: dict[str, list[Answer]] = {}
    for a in answers(out, sources, by="student"):
        by_student.setdefault(a.student, []).append(a)
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"], headless=True)
        try:
            context = browser.new_context(offline=True, java_script_enabled=False)
            page = context.new_page()
            for student, theirs in sorted(by_student.items()):
                page.set_content(html_of(student, theirs))
                path = target / f"{file_name(student)}.pdf"
                page.pdf(path=str(path), format="A4", margin={"top": "2cm", "bottom": "2cm", "left": "2cm", "right": "2cm"})
                written.append(path)
        finally:
            browser.close()
    return written
