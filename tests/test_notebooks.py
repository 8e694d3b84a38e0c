"""The lecture notebooks are stored the way nbval needs them: executed, in order, without errors.

nbval (run by the README's test command on lectures/) re-executes each notebook and compares
every output with the stored one; these tests make sure there is something to compare.
"""

import ast
import json
import math
import re
import subprocess
import sys

import nbformat
import pytest

from coursegrad.predict import ASK, SUMMARY_HEADING
from tools.notebooks import LECTURES, collapsed_placeholder_text, lecture_notebooks, predict_cells, problems, reveal_cell

NOTEBOOKS = lecture_notebooks()


def test_there_are_lectures_in_reading_order():
    names = [p.name for p in NOTEBOOKS]
    assert len(names) >= 4, names
    assert [n[:3] for n in names] == [f"{i:02d}_" for i in range(1, len(names) + 1)], names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_executed_without_errors(path):
    assert problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_only_widget_cells_skip_output_comparison(path):
    """`nbval-ignore-output` is for cells that display widgets, never for a number the lesson depends on."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "nbval-ignore-output" in tags or "nbval-skip" in tags:
            assert "nbval-skip" not in tags, f"{path.name}: a cell is skipped entirely by nbval"
            kinds = {k for o in cell.outputs for k in o.get("data", {})}
            assert "application/vnd.jupyter.widget-view+json" in kinds, (
                f"{path.name}: cell {cell.source[:60]!r} is excluded from nbval but displays no widget"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_learning_goals_and_ends_with_a_summary(path):
    nb = nbformat.read(path, as_version=4)
    text = [c.source.lower() for c in nb.cells if c.cell_type == "markdown"]
    assert "learning goals" in text[0] or "learning goals" in text[1]
    assert any("summary" in t for t in text[-3:])


def test_check_detects_a_stripped_notebook(tmp_path):
    """A notebook committed without outputs must fail the check (nbval alone would pass it)."""
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = []
    stripped = tmp_path / "stripped.ipynb"
    stripped.write_text(json.dumps(nb))
    assert any("never executed" in p for p in problems(stripped))


def test_lectures_folder_is_where_the_readme_says():
    assert LECTURES.name == "lectures" and LECTURES.is_dir()


def _texts(path):
    nb = nbformat.read(path, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    shown = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            shown.append(out.get("text", "") + str(out.get("data", {}).get("text/plain", "")))
    return prose, "\n".join(shown)


# Numbers the prose states, and how a computed output of the same notebook shows them.
CLAIMS = {
    "01_computational_graphs.ipynb": [
        ("f = -12", "f = -12.0"),
        ("= -4", "df/dx = -4.0, df/dy = -4.0"),
        ("$h = 10^{-5}$", "gradcheck's h: 1e-05"),
        ("error about 10 times smaller and the central error about 100 times", " 1e-01             4e-02           9e-04"),
        ("error about 10 times smaller and the central error about 100 times", " 1e-02             4e-03           9e-06"),
        ("error about 10 times smaller and the central error about 100 times", " 1e-03             4e-04           9e-08"),
        ("until\nrounding wins", " 1e-08             3e-09           3e-09"),
    ],
    "02_backpropagation.ipynb": [
        ("output $0.73$", "f = 0.73"),
        ("[-0.20, -0.39, 0.20]", "dw = [-0.20, -0.39, 0.20]"),
        ("[0.39, -0.59]", "dx = [0.39, -0.59]"),
        ("approx 0.20", "local gradient σ(1-σ) = 0.20"),
    ],
    "03_backprop_algorithm.ipynb": [
        ("$X$ is $(3, 10)$, $W$ is $(10, 5)$ and $D$ is $(3, 5)$", "shapes: X (3, 10)  W (10, 5)  D (3, 5)"),
        ("the backward pass is two of the same size", "backward 36864 (1.89×)"),
    ],
    "04_multiplication_effect.ipynb": [
        ("exactly 1000.000000", "1000.000000"),
        ("(0.2772 on both)", "   0.2772             diverged   False"),
        ("(0.2772 on both)", "    x1     0.1          0.2772"),
        ("from 0.4357 to 4.357e-07", "stable for lr < 0.4357"),
        ("from 0.4357 to 4.357e-07", "stable for lr < 4.357e-07"),
        ("(0.02364\nagainst 0.1673", "loss after 50 steps 0.02364"),
        ("(0.02364\nagainst 0.1673", "raw data at lr 0.1: loss after 50 steps 0.1673"),
        ("learning rate 100", "the raw run at lr x 1000: True"),
    ],
    "05_vanishing_sigmoid.ipynb": [
        ("0.018% of a quarter", "0.018%"),
        ("So $\\sigma'(0) = 0.25$", "    0   0.500000    2.500e-01"),
        ("falls about 257,000-fold", "σ′ 257,000x, dw0 257,000x"),
        ("only about 16,000-fold", "dx0 16,000x"),
        ("|W₁| from 3.25 to 8.90", "    0  0.9638   3.25"),
        ("|W₁| from 3.25 to 8.90", " 1000  0.0130   8.90"),
        ("from 0.1% to 17.3%", "   3.25                    0.1%"),
        ("from 0.1% to 17.3%", "   8.90                   17.3%"),
        ("from 0.208 to 0.120", "0.1%                        0.208"),
        ("from 0.208 to 0.120", "17.3%                        0.120"),
        ("$\\sigma'(10) = 4.54 \\times 10^{-5}$", "     10   4.54e-05"),
        ("0.99995 at $s = 10$", "4.5398e-05                 0.99995"),
        ("$\\tanh'(4) = 0.00134$", "   4     0.0177    0.00134"),
        ("$\\tanh'(10) = 8.24 \\times 10^{-9}$", "  10   4.54e-05   8.24e-09"),
        ("receives 2.3e-05 of the gradient", "ratio first/last 2.3e-05"),
        ("allow at most 3.8e-06", "0.25^9 = 3.8e-06"),
        ("further at gain 0.5 (1.3e-07)", "  0.5                         1.3e-07"),
        ("at gain 8 (7.0e-01)", "    8                         7.0e-01      43.7%            60.5%"),
        ("1.7e+06 at layer 1 with gain 8", "    8                         7.0e-01      43.7%            60.5%        1.7e+06"),
        ("against 3.8e-02 at He's gain $\\sqrt2$ = 1.41", " 1.41                         2.5e-04       0.1%"),
        ("against 3.8e-02 at He's gain $\\sqrt2$ = 1.41", "0.1%             0.1%        3.8e-02"),
        ("every output is 0.5000 ± 4e-05", "sigmoid: loss 0.711 -> 0.693, every output is 0.5000 ± 4e-05"),
        ("control learns (83%)", "sigmoid, 1 hidden layer: loss 0.797 -> 0.363, accuracy 83%"),
        ("falls from 1.2e-01 to 7.1e-05 at layer 6", "     1          1.2e-01                    1.1e-05"),
        ("falls from 1.2e-01 to 7.1e-05 at layer 6", "     6          7.1e-05         0.26"),
        ("healthy gradient (4.9e-02)", "output                                     4.9e-02"),
        ("layer 1 gets 1.1e-05", "     1          1.2e-01                    1.1e-05"),
        ("fade (1.035 to 0.025)", "std 1/√n_in (LeCun)                    1.035  0.255  0.058   0.025"),
        ("From 0 nothing moves", "every weight 0    distinct hidden units:  1 of 16; loss 0.6931 -> 0.6931"),
        ("the 16 units learn as one", "every weight 0.5  distinct hidden units:  1 of 16"),
    ],
}


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_numbers_in_the_prose_are_the_computed_ones(name):
    prose, shown = _texts(LECTURES / name)
    for said, computed in CLAIMS[name]:
        assert said in prose, f"{name}: the prose no longer says {said!r}"
        assert computed in shown, f"{name}: no output shows {computed!r} (the prose says {said!r})"


# ---------------------------------------------------------------------------
# Predict before you see (issue 20). A prediction cell (tag `predict`) holds a blank and a
# check that never raises; the cell that reveals its answer is stored with its outputs
# collapsed; nothing above it gives the answer away; the lecture ends with the summary of
# what the student predicted. The answers are read from the stored output of that summary
# ("○ name: no prediction made; it was X."), which the lecture computes.
# ---------------------------------------------------------------------------

SUMMARY_CALL = "predictions.summary()"
SUMMARY_LINE = re.compile(r"^[○✔✘] (?P<name>.+?): (?:no prediction made|you predicted .*); it was (?P<answer>.+)\.$")
BLANK = re.compile(r"^my_prediction\s*=\s*\.\.\.", re.MULTILINE)
# A number as prose writes it: -4, −0.04, 257,000, 1.7e+06 (not a subscript like x_1 or a word like 2D).
NUMBER = re.compile(r"(?<![\w.])([-−]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:[eE]([-+−]?\d+))?(?![\w])")
MAX_WORDS = 1500
PROSE_COMMON = 9  # whole-number answers up to 9 are not looked for in prose (see _gives_away)
GOALS = (
    "**Learning goals.**\n\n1. What is a gate?\n2. Why is **normalising** the fix? (You write it.)\n3. draw a\n   graph\n\nRun."
)


def _lectures(check: str):
    """Every lecture, for `check` (the name says which check a parametrized test is)."""
    return [pytest.param(p, id=p.name) for p in NOTEBOOKS]


def _check_call(cell) -> ast.Call | None:
    """The `predictions.check(...)` call of a prediction cell, or None."""
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return None
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "check"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "predictions"
    ]
    return calls[0] if len(calls) == 1 else None


def _prediction_name(cell) -> str | None:
    call = _check_call(cell)
    if call and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _summary_answers(nb) -> list[tuple[str, str]] | None:
    """(name, answer as shown) for each line of the stored `predictions.summary()` output; None without one."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or code[-1].source.strip() != SUMMARY_CALL:
        return None
    text = "".join(o.get("text", "") for o in code[-1].get("outputs", []))
    return [(m["name"], m["answer"]) for m in map(SUMMARY_LINE.match, text.splitlines()) if m]


def _answers(nb) -> dict[int, tuple[str, list[float] | None]]:
    """For each prediction cell: (its name, its numeric answer as a list, None if not numeric), from the summary."""
    shown = dict(_summary_answers(nb) or [])
    found = {}
    for i in predict_cells(nb):
        name = _prediction_name(nb.cells[i])
        if name in shown:
            text = shown[name]
            numbers = None if text.startswith("'") else [float(v) for v in re.findall(r"[-+]?[\d.]+(?:e[-+]?\d+)?|inf|nan", text)]
            found[i] = (name, numbers)
    return found


def _prose_numbers(text: str) -> list[tuple[float, int, int, int]]:
    """(value, decimals written, significant digits written, position) of every number in the text
    (not the "4." that numbers an item of a list)."""
    found = []
    for m in NUMBER.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if not text[line_start : m.start()].strip() and re.match(r"[.)]\s", text[m.end() : m.end() + 2]):
            continue
        sign, whole, frac, exp = m.groups()
        digits = (whole.replace(",", "") + (frac or "")[1:]).lstrip("0") or "0"
        value = float(f"{'-' if sign else ''}{whole.replace(',', '')}{frac or ''}e{(exp or '0').replace('−', '-')}")
        decimals = len(frac or ".") - 1 - int((exp or "0").replace("−", "-"))
        found.append((value, decimals, len(digits), m.start()))
    return found


def _says(number: tuple[float, int, int, int], answer: float) -> bool:
    """Does a number written in prose give away `answer` (up to sign; to the digits written, if at least 2)?"""
    value, decimals, significant, _ = number
    if math.isclose(abs(value), abs(answer), rel_tol=1e-9):
        return True
    return value != 0 and significant >= 2 and abs(abs(value) - abs(answer)) <= 0.5 * 10.0**-decimals


def _gives_away(text: str, answer: list[float], common: int = 2) -> str | None:
    """Where `text` writes the answer (a number; a list's numbers in order, within 80 characters); None if it does not.

    Whole-number answers up to `common` in size (alone, or a list of only such numbers) are too common to
    count as evidence: 0, ±1, ±2 in an output line; in prose, where notebook, section and example counts
    abound ("Notebook 3 of 7", "3 examples"), up to 9."""
    if all(a == round(a) and abs(a) <= common for a in answer):
        return None
    numbers = _prose_numbers(text)
    for start, first in enumerate(numbers):
        if not _says(first, answer[0]):
            continue
        found, rest = [first], numbers[start + 1 :]
        for wanted in answer[1:]:
            found += [next((n for n in rest if n[3] > found[-1][3] and _says(n, wanted)), None)]
            if found[-1] is None or found[-1][3] - first[3] > 80:
                break
        else:
            return text[max(0, first[3] - 40) : found[-1][3] + 20].replace("\n", " ")
    return None


@pytest.mark.parametrize("path", _lectures("predict_cells"))
def test_predict_cells_hold_a_blank_and_a_check_that_never_raises(path):
    """`my_prediction = ...` and one `predictions.check("name", my_prediction, answer, hint=...)`, the answer
    computed (not written out in the cell), stored unanswered; the import cell makes `predictions = Predictions()`."""
    nb = nbformat.read(path, as_version=4)
    cells = predict_cells(nb)
    assert cells, f"{path.name} asks for no prediction"
    made = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "predictions = Predictions()" in c.source), None)
    assert made is not None and made < cells[0], f"{path.name}: no `predictions = Predictions()` before the first prediction"
    names = []
    for i in cells:
        cell, call = nb.cells[i], _check_call(nb.cells[i])
        assert BLANK.search(cell.source), f"{path.name} cell {i}: no blank `my_prediction = ...`"
        assert call is not None, f"{path.name} cell {i}: no single `predictions.check(...)` call"
        assert _prediction_name(cell), f"{path.name} cell {i}: predictions.check needs a name (a string) first"
        assert len(call.args) >= 3 and ast.unparse(call.args[1]) == "my_prediction", f"{path.name} cell {i}: check what?"
        assert "hint" in {k.arg for k in call.keywords}, f"{path.name} cell {i}: a check needs a hint"
        with pytest.raises((ValueError, SyntaxError, TypeError)):  # M1: the answer must not stand in the cell
            ast.literal_eval(call.args[2])
        shown = "".join(o.get("text", "") for o in cell.outputs).strip()
        assert shown == ASK, f"{path.name} cell {i}: stored answered or with other output: {shown[:80]!r}"
        names.append(_prediction_name(cell))
    assert len(set(names)) == len(names), f"{path.name}: two predictions share a name: {names}"


@pytest.mark.parametrize("path", _lectures("reveals_collapsed"))
def test_each_reveal_is_stored_with_its_outputs_collapsed(path):
    """The first code cell with outputs after a prediction cell shows the answer: it opens collapsed.

    JupyterLab 4 reads nbformat's older `collapsed` key first when both are stored (@jupyter/ydoc copies
    it over `jupyter.outputs_hidden`), so a stored `collapsed: false` would show the answer."""
    nb = nbformat.read(path, as_version=4)
    for i in predict_cells(nb):
        j = reveal_cell(nb, i)
        if j is not None:
            hidden = nb.cells[j].metadata.get("jupyter", {}).get("outputs_hidden")
            assert hidden is True, f"{path.name}: cell {j} reveals prediction cell {i} but its outputs are not collapsed"
            older = nb.cells[j].metadata.get("collapsed", True)  # nbformat's older key, if stored, must agree
            assert older is True, f"{path.name}: cell {j} has outputs_hidden but collapsed = {older!r}"


@pytest.mark.parametrize("path", _lectures("placeholder"))
def test_a_collapsed_reveal_does_not_show_its_answer_in_its_placeholder(path):
    """JupyterLab shows a collapsed output's first line in its place: that line must not hold the answer."""
    nb = nbformat.read(path, as_version=4)
    answers = _answers(nb)
    assert answers, f"{path.name}: no predictions.summary() output to read the answers from"
    for i, (name, answer) in answers.items():
        j = reveal_cell(nb, i)
        if j is not None and answer:
            line = collapsed_placeholder_text(nb.cells[j])
            assert not _gives_away(line, answer), f"{path.name}: collapsed cell {j} shows {line!r}, the answer to {name!r}"


@pytest.mark.parametrize("path", _lectures("prose_gives_answer"))
def test_no_prose_above_a_prediction_gives_its_answer(path):
    """No markdown cell between the lecture's start and a prediction cell writes its numeric answer (checked:
    numbers as the summary shows them, to the digits the prose writes, sign aside; not words, choices, or
    whole numbers up to 9, which prose writes for other reasons all the time).

    An answer the question itself states (∂(ab)/∂b = a: "with a = 1000 ...", in the prediction cell's
    comment) is no giveaway in the prose either, so it is not checked."""
    nb = nbformat.read(path, as_version=4)
    answers = _answers(nb)
    assert answers, f"{path.name}: no predictions.summary() output to read the answers from"
    for i, (name, answer) in answers.items():
        question = "\n".join(line for line in nb.cells[i].source.splitlines() if line.lstrip().startswith("#"))
        if not answer or _gives_away(question, answer, common=PROSE_COMMON):
            continue
        for k, cell in enumerate(nb.cells[:i]):
            where = cell.cell_type == "markdown" and _gives_away(cell.source, answer, common=PROSE_COMMON)
            assert not where, f"{path.name}: markdown cell {k} gives away {name!r} (cell {i}) before it is asked: {where!r}"


def _goals(nb) -> list[str]:
    """The items of the learning goals' list (numbered or bulleted), each with its continuation lines."""
    cell = next((c.source for c in nb.cells[:3] if c.cell_type == "markdown" and "learning goals" in c.source.lower()), "")
    items: list[str] = []
    after = cell[cell.lower().find("learning goals") :]
    for line in after.splitlines():
        if re.match(r"^\s*(\d+\.|[-*])\s", line):
            items.append(line.strip())
        elif items and line.startswith("   ") and line.strip():
            items[-1] += " " + line.strip()
        elif items and not line.strip():
            break
    return items


def _statements(items: list[str]) -> list[str]:
    """The goals that are not questions (a question may end with a remark in parentheses: "...? (You write it.)")."""
    asked = [re.sub(r"\s*\([^()]*\)$", "", item.rstrip("*_ ")) for item in items]
    return [item for item, question in zip(items, asked, strict=True) if not question.rstrip("*_ ").endswith("?")]


@pytest.mark.parametrize("path", _lectures("goals_are_questions"))
def test_learning_goals_are_questions(path):
    """Goals stated as facts ("σ′ is at most 0.25, at x = 0") answer the predictions below them."""
    items = _goals(nbformat.read(path, as_version=4))
    assert len(items) >= 2, f"{path.name}: no list of learning goals"
    statements = _statements(items)
    assert not statements, f"{path.name}: learning goals that are not questions: {statements}"


@pytest.mark.parametrize("path", _lectures("summary"))
def test_lecture_ends_with_what_you_predicted_and_what_it_was(path):
    """The last code cell is `predictions.summary()`, stored with one line per prediction cell, in order, and
    collapsed: it holds every answer, and a student who scrolls to the end must not meet them there first."""
    nb = nbformat.read(path, as_version=4)
    summary = _summary_answers(nb)
    assert summary is not None, f"{path.name}: the last code cell is not {SUMMARY_CALL}"
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert last.metadata.get("jupyter", {}).get("outputs_hidden") is True, f"{path.name}: the summary's output is not collapsed"
    assert last.metadata.get("collapsed", True) is True, f"{path.name}: the summary has outputs_hidden but collapsed = false"
    assert collapsed_placeholder_text(last) == SUMMARY_HEADING, (
        f"{path.name}: the collapsed summary does not open with its heading"
    )
    asked = [_prediction_name(nb.cells[i]) for i in predict_cells(nb)]
    assert [name for name, _ in summary] == asked, f"{path.name}: the summary lists {summary}, the lecture asks {asked}"


def _words(markdown: str) -> int:
    """Words of prose: whitespace-separated tokens with a letter, outside code blocks and display math."""
    text = re.sub(r"```.*?```|\$\$.*?\$\$", " ", markdown, flags=re.S)
    return sum(1 for token in text.split() if re.search(r"[A-Za-z]", token))


@pytest.mark.parametrize("path", _lectures("words"))
def test_lecture_prose_is_at_most_1500_words(path):
    """About an hour at a student's pace (issue 20): at most 1,500 words of markdown."""
    nb = nbformat.read(path, as_version=4)
    words = _words("\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))
    assert words <= MAX_WORDS, f"{path.name}: {words} words of prose, more than {MAX_WORDS}"


def test_the_answer_finder_finds_what_it_should_and_nothing_else():
    """The checks above are only as good as this matcher: known spoilers are found, near misses are not."""
    assert _gives_away("goal: show that it is at most $0.25$, reached at $x = 0$", [0.25])
    assert _gives_away("f goes down by 0.04 when x moves", [-0.04])
    assert _gives_away("so the + gate sends $[-4, -4]$ back", [-4.0, -4.0])
    assert _gives_away("about 0.20 of it", [0.19661])
    assert _gives_away("257,000-fold", [257000.0])
    assert not _gives_away("about 0.2 of it", [0.19661])  # one significant digit is not the answer
    assert not _gives_away("the upstream gradient is -4, the local gradient 1", [-4.0, -4.0])
    assert _gives_away("dg/da = -1.4100, dg/db = 0.4700, dg/dc = 0.9400", [-1.41002, 0.940015])  # in order, not adjacent
    assert not _gives_away("dg/dc = 0.9400, dg/da = -1.4100", [-1.41002, 0.940015])  # not in order
    assert not _gives_away("x_4 and 2D", [4.0])
    assert not _gives_away("3. What is it?\n4. For a layer, what?", [4.0])  # list numbers
    assert _gives_away("3. What is it?\n4 times, and 4.", [4.0])
    assert not _gives_away("gain 1 instead of 2", [1.0])  # too common to tell
    assert _gives_away("computed by 8 gates", [8.0]) and not _gives_away("Notebook 8 of 9", [8.0], common=PROSE_COMMON)
    assert _goals(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(GOALS)])) == [
        "1. What is a gate?",
        "2. Why is **normalising** the fix? (You write it.)",
        "3. draw a graph",
    ]
    assert _statements(["1. What is a gate?", "2. Why? (You write it.)", "3. draw a graph", "4. say (why)"]) == [
        "3. draw a graph",
        "4. say (why)",
    ]
    assert (
        collapsed_placeholder_text(nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("stream", text="\nfirst\nsecond")]))
        == "first"
    )


# ---------------------------------------------------------------------------
# The tools keep what the checks above rely on.
# ---------------------------------------------------------------------------


def _tiny_notebook(path, reveal_output: str, summary: bool = False):
    """A prediction, its collapsed reveal (stored output `reveal_output`), a hidden worked solution, and a summary if asked."""
    new = nbformat.v4
    nb = new.new_notebook(
        cells=[
            new.new_code_cell("my_prediction = ...", metadata={"tags": ["predict"]}),
            new.new_code_cell('print("the answer:", 6 * 7)', metadata={"jupyter": {"outputs_hidden": True}}),
            new.new_code_cell("solution = 42", metadata={"jupyter": {"source_hidden": True}, "tags": ["solution"]}),
        ]
        + ([new.new_code_cell("predictions.summary()")] if summary else [])
    )
    nb.cells[0].source = "from coursegrad.predict import Predictions\n\npredictions = Predictions()\nmy_prediction = ..."
    nb.cells[1].outputs = [new.new_output("stream", name="stdout", text=reveal_output)]
    for count, cell in enumerate(nb.cells, 1):
        cell.execution_count = count
    nbformat.write(nb, path)


def test_refresh_of_one_notebook_keeps_collapsed_outputs_hidden_sources_and_tags(tmp_path):
    """`python3 run.py refresh lectures/NN_….ipynb` re-runs that notebook only and keeps each cell's metadata."""
    from tools.notebooks import main

    path = tmp_path / "tiny.ipynb"
    _tiny_notebook(path, "stale output\n", summary=True)
    assert main(["refresh", str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].outputs[0].text == "the answer: 42\n"  # it did run
    assert nb.cells[0].metadata["tags"] == ["predict"]
    assert nb.cells[1].metadata["jupyter"] == {"outputs_hidden": True}
    assert nb.cells[1].metadata["collapsed"] is True  # as JupyterLab saves it (the classic Notebook reads this key)
    assert "collapsed" not in nb.cells[0].metadata and "collapsed" not in nb.cells[2].metadata
    summary = nb.cells[3]  # run unanswered it lists every answer: refresh stores it collapsed
    assert summary.metadata["jupyter"] == {"outputs_hidden": True} and summary.metadata["collapsed"] is True
    assert nb.cells[2].metadata["jupyter"] == {"source_hidden": True} and nb.cells[2].metadata["tags"] == ["solution"]


@pytest.mark.parametrize(("stored", "passes"), [("the answer: 42\n", True), ("the answer: 41\n", False)])
def test_nbval_compares_the_outputs_of_collapsed_cells(tmp_path, stored, passes):
    """Collapsing a reveal hides it from the student, not from nbval: a wrong stored answer fails strict mode."""
    path = tmp_path / "tiny.ipynb"
    _tiny_notebook(path, stored)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "--nbval", "--nbval-current-env", "-q"]
    run = subprocess.run([*command, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert (run.returncode == 0) == passes, run.stdout[-2000:]
