"""Grade written answers on one screen, in JupyterLab: `coursegrad review grades/` opens `grades/review.ipynb`.

    Desk(grades/, sources).show()

One answer at a time: the question, the rubric and the model answer (the instructor's), the student's
answer (Markdown and math rendered by JupyterLab), a points box and a comment box, and the progress
("12 of 40 graded"). All the answers to one question come before the next question (the default: it
keeps grading consistent); "by student" goes through each student's answers instead. Each grade and comment
is written to manual.csv the moment it is entered (`hand_grades.save`: under a lock, merged by row, atomic);
an answer handed in again after it was graded is shown flagged "grade again".

Keys (listed on the screen, `KEYS`) work wherever the focus is in the screen (click anywhere on it), never
while typing in the comment box: `n`/`p` the next/previous answer, `u` the next not graded, `q` the next
answer to another question, `s` the next answer of another student, `g` the points box, `c` the comment box
(Escape leaves it; Enter saves the comment). In the points box a number then Enter saves it and opens the
next answer, and the focus comes back to the points box after each move. The keys are a small script
(`KEYS_JS`, shown once with the screen) that presses the screen's own buttons and focuses its boxes: it
sends nothing else to the kernel, and stops JupyterLab's single-key notebook commands (`c` copies a cell,
digits make headings) while the focus is in the screen. Where the frontend runs no script, the points box
still takes `n`, `p`, `u`, `q`, `s` then Enter.
"""

from __future__ import annotations

from pathlib import Path

from coursegrad.desk import hand_grades
from coursegrad.desk.hand_grades import Answer

KEYS = (("n", "next answer"), ("p", "previous answer"), ("u", "next not graded"), ("q", "next question"),
        ("s", "next student"), ("g", "points box"), ("c", "comment box"))  # fmt: skip
MOVES = ("n", "p", "u", "q", "s")
HELP = (
    "<b>Keys</b>, anywhere on this screen (click it first), not while typing a comment: "
    + " · ".join(f"<kbd>{k}</kbd> {what}" for k, what in KEYS)
    + " · in the points box, a number then <kbd>Enter</kbd>: saved, next answer · <kbd>Esc</kbd> leaves the comment box"
)
KEYS_JS = r"""
(() => {
  if (window.coursegradReviewKeys) return;  // one listener for every review screen on the page
  window.coursegradReviewKeys = true;
  const NUMBER = /^[0-9.,]$/;
  const screenOf = (e) => (e.target.closest ? e.target.closest(".cg-review") : null);
  const box = (root, name) => root.querySelector(`.cg-${name} input, .cg-${name} textarea`);
  const focusable = (root) => { if (root.tabIndex < 0) root.tabIndex = 0; return root; };
  window.addEventListener("mousedown", (e) => { const root = screenOf(e); if (root) focusable(root); }, true);
  window.addEventListener("keydown", (e) => {
    const root = screenOf(e);
    if (!root || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const stop = () => { e.preventDefault(); e.stopPropagation(); };
    if (e.target.closest(".cg-comment")) {  // typing a comment: no key is a shortcut
      if (e.key === "Escape") { stop(); focusable(root).focus(); }
      return;
    }
    const inPoints = e.target.closest(".cg-points");
    if (e.key.length > 1 || e.key === " " || (inPoints && NUMBER.test(e.key))) return;  // Enter, Tab, Space; points
    stop();
    const button = /^[a-z]$/.test(e.key) ? root.querySelector(`.cg-key-${e.key}`) : null;
    if (button) button.click();
    else if (e.key === "g") box(root, "points").focus();
    else if (e.key === "c") box(root, "comment").focus();
    else if (NUMBER.test(e.key)) { const points = box(root, "points"); points.focus(); points.value += e.key; }
  }, true);
  document.querySelectorAll(".cg-review").forEach(focusable);
})();
"""


class Desk:
    """The grading screen over the answers of `out/manual.csv` (see the module docstring)."""

    def __init__(self, out: str | Path, sources: list = (), by: str = "question"):
        import ipywidgets as w

        self.out, self.sources = Path(out), list(sources)
        self.answers: list[Answer] = hand_grades.answers(self.out, self.sources, by)
        self.index, self._loading = 0, False
        self.order = w.ToggleButtons(options=[("by question", "question"), ("by student", "student")], value=by,
                                     description="Order")  # fmt: skip
        self.title, self.progress, self.status = w.HTML(), w.HTML(), w.HTML()
        self.shown = w.Output()
        # Not continuous: a box's value reaches the kernel on Enter or when it loses the focus, in one message
        # with what was typed (ipywidgets' separate "submit" message may overtake it, so it is not used).
        self.points = w.Text(description="Points", continuous_update=False, placeholder="e.g. 1.5")
        self.comment = w.Text(description="Comment", continuous_update=False, layout=w.Layout(width="95%"))
        labels = {"p": "◀ previous", "n": "next ▶", "u": "next not graded", "q": "next question", "s": "next student"}
        buttons = [w.Button(description=labels[k], tooltip=f"{what} ({k})") for k, what in KEYS if k in MOVES]
        for button, step in zip(buttons, [k for k, _ in KEYS if k in MOVES], strict=True):
            button.add_class(f"cg-key-{step}")
            button.on_click(lambda _b, step=step: self.save() and self.go(step))
        self.points.observe(self._points_entered, "value")
        self.comment.observe(self._comment_entered, "value")
        self.order.observe(self._reorder, "value")
        keys = w.HTML(f"<small>{HELP}</small>")
        self.points.add_class("cg-points")
        self.comment.add_class("cg-comment")
        self.widget = w.VBox([self.order, self.title, self.progress, self.shown, self.comment, self.points,
                              w.HBox(buttons), self.status, keys])  # fmt: skip
        self.widget.add_class("cg-review")
        self.load()

    def show(self):
        from IPython.display import Javascript, display

        display(self.widget)
        display(Javascript(KEYS_JS))  # the keys (see the module docstring)
        self.points.focus()
        return self

    @property
    def current(self) -> Answer | None:
        return self.answers[self.index] if self.answers else None

    def graded(self) -> int:
        return sum(a.graded for a in self.answers)

    def load(self) -> None:
        """Show the current answer and the progress."""
        from html import escape

        from IPython.display import Markdown, display

        hand_grades.refresh(self.out, self.answers)  # what another grader saved meanwhile shows too
        a = self.current
        self.progress.value = f"<b>{self.graded()} of {len(self.answers)} graded</b>"
        self.shown.clear_output()
        if a is None:
            self.title.value = "No written answers to grade (run coursegrad grade first)."
            return
        self._loading = True  # the boxes first: once the title shows, the boxes hold this answer's values
        self.points.value, self.comment.value = a.points, a.comment
        self._loading = False
        flag = " <b>· grade again: the answer changed after it was graded</b>" if a.regrade.strip() else ""
        self.title.value = (f"<h3>{escape(a.worksheet)} · {escape(a.question)} · {escape(a.student)}"
                            f" ({a.max_points:g} points)</h3>{flag}")  # fmt: skip
        with self.shown:
            for heading, text in (("Question", a.prompt), ("Rubric", a.rubric), ("Model answer", a.model)):
                if text.strip():
                    display(Markdown(f"**{heading}**\n\n{text}"))
            display(Markdown(f"**Answer of {escape(a.student)}**\n\n" + (inert(a.text) or "*(not answered)*")))

    def go(self, step: str) -> None:
        """Move: "n" next, "p" previous, "u" the next answer not graded yet (wrapping round), "q" the next answer
        to another question, "s" the next answer of another student (staying put when there is none)."""
        if not self.answers:
            return
        n, here = len(self.answers), self.current
        if step == "p":
            self.index = max(0, self.index - 1)
        elif step == "u":
            later = [(self.index + k) % n for k in range(1, n + 1)]
            self.index = next((i for i in later if not self.answers[i].graded), self.index)
        elif step in ("q", "s"):
            other = (lambda a: a.student != here.student) if step == "s" else (lambda a: a.key[::2] != here.key[::2])
            self.index = next((i for i in range(self.index + 1, n) if other(self.answers[i])), self.index)
        else:
            self.index = min(n - 1, self.index + 1)
        self.load()
        self.points.focus()

    def save(self) -> bool:
        """Write the points and comment shown into manual.csv; False (and why, on screen) when they are not valid."""
        a = self.current
        if a is None or (a.points, a.comment) == (self.points.value.strip(), self.comment.value.strip()):
            return a is not None
        try:
            hand_grades.save(self.out, a, self.points.value, self.comment.value)
        except (ValueError, OSError) as err:
            self.status.value = f"<b>Not saved</b>: {_escape(err)}"
            return False
        self.status.value = f"Saved {a.points or 'no'} points for {_escape(a.student)}, {_escape(a.question)}."
        self.progress.value = f"<b>{self.graded()} of {len(self.answers)} graded</b>"
        return True

    def _points_entered(self, _change) -> None:
        """Points typed (Enter or leaving the box): saved, then the next answer; or n, p, u, q, s: move."""
        if self._loading:
            return
        typed = self.points.value.strip().lower()
        if typed in MOVES:
            self._loading = True
            self.points.value = self.current.points if self.current else ""
            self._loading = False
            self.go(typed)
        elif self.save():
            self.go("n")

    def _comment_entered(self, _change) -> None:
        if not self._loading:
            self.save()

    def _reorder(self, change) -> None:
        key = self.current.key if self.current else None
        self.answers = hand_grades.answers(self.out, self.sources, change["new"])
        self.index = next((i for i, a in enumerate(self.answers) if a.key == key), 0)
        self.load()


def inert(text: str) -> str:
    """A student's Markdown with its HTML shown as text, not run (`<`, `>`, `&` escaped; math still renders)
    and no `javascript:` links."""
    from html import escape

    return escape(text.strip(), quote=False).replace("javascript:", "javascript&#58;")


def _escape(x: object) -> str:
    from html import escape

    return escape(str(x))


NOTEBOOK_CODE = "from coursegrad.desk.review import Desk\n\ndesk = Desk({out!r}, {sources!r}).show()"


def write_notebook(out: str | Path, sources: list) -> Path:
    """`out/review.ipynb`: one cell that opens the grading screen on `out` with the instructor `sources`."""
    import nbformat

    out = Path(out).resolve()
    intro = ("# Grading the written answers\n\nRun the cell below. Every grade is saved to `manual.csv` at once; "
             "run `coursegrad grade` (or `merge`) again to put them in the gradebook and feedback.")  # fmt: skip
    code = NOTEBOOK_CODE.format(out=str(out), sources=[str(Path(s).resolve()) for s in sources])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(intro), nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = out / "review.ipynb"
    nbformat.write(nb, str(path))
    return path
