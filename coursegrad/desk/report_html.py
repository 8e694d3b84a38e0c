"""`grades/report.html`: how the class did, as one self-contained page (opens offline, from a file).

Per worksheet: the distribution of scores (a histogram), a table of the questions (mean points, the
share with full, partial and no points, still to grade by hand) with a stacked bar chart of those
shares, the most common wrong values of each test item with how many students gave each (what tells
an instructor which misconception to reteach), the late submissions, the seconds each submission
took to grade, and the pairs of students who gave the same wrong numbers (`similarity.csv`).

The figures are matplotlib PNGs embedded as data: URLs, each with a text alternative, and every
number in a figure is also in a table. Everything that comes from a submission (names, values) is
HTML-escaped. The page is written by every grade run (`write`) from the output folder's plain files
(`class_stats.read`); it needs matplotlib (the `course` extra) and is skipped, with a reason, without it.
"""

from __future__ import annotations

import base64
import io
import statistics
from html import escape
from pathlib import Path

from coursegrad.desk.class_stats import QuestionStats, WorksheetStats, read
from coursegrad.grading import records

NAME = "report.html"
COLORS = {"full": "#1b7837", "partial": "#e6ab02", "none": "#b2182b", "pending": "#6a6a6a"}  # colour-blind safe
STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1a1a1a;background:#fff;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1.2rem}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #8a8a8a;padding:.25rem .5rem;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#eef0f3}img{max-width:100%;height:auto}section{margin-bottom:2.5rem}p.note{color:#3d3d3d}
"""


def write(out: str | Path, sources: list = ()) -> Path | None:
    """Write `out/report.html` (atomically) from the output folder; None, with nothing written, without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return None
    page = render(read(out, sources))
    path = Path(out) / NAME
    return records.write_atomically(path, page)


def render(stats: list[WorksheetStats]) -> str:
    """The whole page: a heading, a list of the worksheets and a section for each."""
    toc = "".join(f'<li><a href="#{_id(s.worksheet)}">{escape(s.worksheet)}</a></li>' for s in stats)
    body = "".join(section(s) for s in stats) or "<p>Nothing was graded yet.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Grading report</title><style>{STYLE}</style></head><body><main>"
        f'<h1>Grading report</h1><nav aria-label="Worksheets"><ul>{toc}</ul></nav>{body}</main></body></html>\n'
    )


def _id(worksheet: str) -> str:
    return "ws-" + "".join(c if c.isalnum() else "-" for c in worksheet)


def section(s: WorksheetStats) -> str:
    """One worksheet: scores, questions, wrong values, late work, grading times, copying pairs."""
    wid = _id(s.worksheet)
    finals = list(s.finals.values())
    said = f"{len(finals)} submissions, {len(s.missing)} missing"
    if finals:
        said += f"; median score {statistics.median(finals):g} of {s.max_total:g}, mean {statistics.mean(finals):.2f}"
    parts = [f'<section id="{wid}" aria-labelledby="{wid}-h"><h2 id="{wid}-h">{escape(s.worksheet)}</h2>']
    parts.append(f'<p id="{wid}-counts">{escape(said)}.</p>')
    if finals:
        parts.append(_figure(score_histogram(finals, s.max_total), f"Histogram of the scores of {said}."))
    parts.append(questions_table(s, wid))
    if s.questions:
        parts.append(
            _figure(
                shares_chart(s.questions),
                "Stacked bars: for each question the share of students with "
                "full, partial and no points, and still to grade (the numbers are in the table above).",
            )
        )
    parts += [wrong_table(s, wid), late_table(s, wid), time_part(s, wid), pairs_table(s, wid), "</section>"]
    return "".join(parts)


def _table(tid: str, caption: str, head: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{escape(str(v))}</td>" for i, v in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<table id="{tid}"><caption>{escape(caption)}</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _share(n: int, total: int) -> str:
    return f"{n} ({100 * n / total:.0f}%)" if total else "0"


def questions_table(s: WorksheetStats, wid: str) -> str:
    head = ["Question", "Max points", "Mean points", "Full points", "Partial points", "No points", "To grade by hand"]
    rows = [
        [
            q.question,
            f"{q.max_points:g}",
            "" if q.mean is None else f"{q.mean:.2f}",
            _share(q.full, q.count),
            _share(q.partial, q.count),
            _share(q.none, q.count),
            q.pending,
        ]
        for q in s.questions
    ]
    return _table(f"{wid}-questions", "Points per question", head, rows, {1, 2, 3, 4, 5, 6})


def wrong_table(s: WorksheetStats, wid: str) -> str:
    rows = [[q.question, item, value, n] for q in s.questions for item, top in q.wrong.items() for value, n in top]
    if not rows:
        return f'<p id="{wid}-wrong">No wrong values were reported for the test items.</p>'
    caption = "Most common wrong values of each test item (what to reteach)"
    return _table(f"{wid}-wrong", caption, ["Question", "Item", "Wrong value", "Students"], rows, {3})


def late_table(s: WorksheetStats, wid: str) -> str:
    if not s.late:
        return f'<p id="{wid}-late">No late submissions.</p>'
    rows = [[r["student"], r["submitted"], r["late"], r["penalty"], r["final"]] for r in s.late]
    head = ["Student", "Handed in", "Late", "Penalty (points)", "Final score"]
    return _table(f"{wid}-late", f"Late submissions ({len(rows)})", head, rows, {3, 4})


def time_part(s: WorksheetStats, wid: str) -> str:
    if not s.seconds:
        return ""
    times = sorted(s.seconds.items(), key=lambda kv: -kv[1])
    said = f"Grading took {statistics.median(s.seconds.values()):.1f} s per submission (median), at most {times[0][1]:.1f} s"
    figure = _figure(time_histogram(list(s.seconds.values())), f"Histogram of the seconds per submission. {said}.")
    rows = [[student, f"{sec:.1f}"] for student, sec in times[:10]]
    slowest = _table(f"{wid}-time", "The slowest submissions", ["Student", "Seconds"], rows, {1})
    return f"<p>{escape(said)}.</p>" + figure + slowest


def pairs_table(s: WorksheetStats, wid: str) -> str:
    if not s.pairs:
        return f'<p id="{wid}-pairs">No pair of students gave the same wrong numbers on several questions.</p>'
    rows = [[p["student_a"], p["student_b"], p["shared"], p["questions"]] for p in s.pairs]
    caption = "Pairs who gave the same wrong numbers (a signal to look at, never a penalty)"
    return _table(f"{wid}-pairs", caption, ["Student", "Student", "Answers shared", "Answer cells"], rows, {2})


def _figure(fig, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{data}" alt="{escape(alt)}"></figure>'


def _new_figure(height: float = 2.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, height), layout="constrained")
    return fig, fig.add_subplot()


def score_histogram(finals: list[float], max_total: float):
    """Scores after the late penalty, in bins one point wide (or 20 bins over 0..max for large totals)."""
    fig, ax = _new_figure()
    top = max(max_total, max(finals), 1.0)
    bins = int(top) + 1 if top <= 20 else 20
    ax.hist(finals, bins=bins, range=(0, top + (1 if top <= 20 else 0)), color="#2c6fbb", edgecolor="white")
    ax.set_xlabel(f"score (of {max_total:g})")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    return fig


def shares_chart(questions: list[QuestionStats]):
    """One horizontal bar per question, split into the shares with full, partial, no points and pending."""
    fig, ax = _new_figure(1.6 + 0.35 * len(questions))
    labels = [q.question for q in questions][::-1]
    left = [0.0] * len(labels)
    for part, color in COLORS.items():
        widths = [getattr(q, part) / q.count if q.count else 0 for q in questions][::-1]
        ax.barh(labels, widths, left=left, color=color, label=part)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the submissions")
    ax.legend(ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return fig


def time_histogram(seconds: list[float]):
    fig, ax = _new_figure(2.2)
    ax.hist(seconds, bins=min(20, max(1, len(seconds))), color="#5e3c99", edgecolor="white")
    ax.set_xlabel("seconds to grade one submission")
    ax.set_ylabel("submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    return fig
