"""Lecture 7's package code: the memory a graph keeps (`graph_bytes`), checkpointing (`chain_backward`),
its explorers, and the numbers the lecture's prose states."""

import contextlib
import gc
import io
import re
import tracemalloc
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursegrad import Value
from coursegrad.memory import chain_backward, graph_bytes, sqrt_segment, tanh_chain, tanh_step
from coursegrad.predict import ASK


def build_chain(n_steps, width, seed=0):
    step, x0, params = tanh_chain(n_steps, width, seed)
    return run_chain(step, x0, params)


def run_chain(step, x0, params):
    x = Value(x0)
    for w in params:
        x = step(x, w)
    return x.sum()


def test_graph_bytes_counts_each_array_once():
    x = Value(np.ones(100))
    y = x * x  # local gradients are x's own data, twice: nothing new
    assert graph_bytes(y) == 2 * 800
    z = y.tanh()  # its data and its local gradient 1 − tanh²: two new arrays
    assert graph_bytes(z) == 4 * 800
    assert graph_bytes(Value(2.0) * 3.0) == 8 * 5  # three floats of data, two local gradients


def test_graph_bytes_agrees_with_what_python_really_allocates():
    """tracemalloc sees numpy's data buffers: the graph's arrays are nearly all the memory it keeps."""
    step, x0, params = tanh_chain(20, 5000)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = run_chain(step, x0, params)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    counted = graph_bytes(out) + x0.nbytes  # + the input leaf's .grad, an array of zeros from the start
    # tracemalloc also sees what other threads allocate meanwhile (pytest-xdist's messaging thread), so `kept`
    # may exceed the graph's own bytes a little, never fall short of them: the arrays are at least 95 % of it
    assert 0.95 * kept <= counted <= 1.01 * kept, (counted, kept)


def test_a_chain_holds_memory_in_proportion_to_its_length():
    one, two = graph_bytes(build_chain(10, 1000)), graph_bytes(build_chain(20, 1000))
    assert (two - 8000) / (one - 8000) == pytest.approx(2.0, rel=0.01)  # x₀ (8000 bytes) is held once


@pytest.mark.parametrize("segment", range(1, 13))
def test_checkpointed_gradients_equal_the_plain_backward(segment):
    step, x0, params = tanh_chain(12, 50, seed=3)
    plain = chain_backward(step, x0, params)
    run = chain_backward(step, x0, params, segment)
    np.testing.assert_array_equal(run.x0_grad, plain.x0_grad)
    assert run.param_grads == plain.param_grads and run.loss == plain.loss
    last = 12 - segment * ((12 - 1) // segment)
    assert run.evaluations == 12 + 12 - last  # every segment but the last is computed twice
    assert run.checkpoints == -(-12 // segment) - 1


def test_plain_backward_agrees_with_central_differences():
    step, x0, params = tanh_chain(5, 3, seed=1)
    run = chain_backward(step, x0, params)
    h, w = 1e-6, [p.data for p in params]

    def loss(ws):
        x = x0
        for wk in ws:
            x = np.tanh(wk * x)
        return x.sum()

    for k in range(5):
        up, down = list(w), list(w)
        up[k] += h
        down[k] -= h
        assert run.param_grads[k] == pytest.approx((loss(up) - loss(down)) / (2 * h), rel=1e-6)


def test_checkpointing_saves_memory_that_python_really_frees():
    """The peak that tracemalloc measures falls as the model says: √L segments hold far less than the plain graph."""
    step, x0, params = tanh_chain(64, 4000)

    def traced_peak(segment):
        gc.collect()
        tracemalloc.start()
        try:
            run = chain_backward(step, x0, params, segment)
            return run, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    plain, plain_peak = traced_peak(None)
    sparse, sparse_peak = traced_peak(sqrt_segment(64))
    assert sparse.peak_bytes < plain.peak_bytes / 4
    assert sparse_peak < plain_peak / 3, (sparse_peak, plain_peak)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: graph_bytes(np.ones(3)), TypeError, "needs a Value"),
        (lambda: chain_backward(tanh_step, np.ones(2), [Value(1.0)], 0), ValueError, "from 1 to 1"),
        (lambda: chain_backward(tanh_step, np.ones(2), [Value(1.0)] * 3, 4), ValueError, "from 1 to 3"),
        (lambda: chain_backward(tanh_step, np.ones(2), [1.0, 2.0]), TypeError, "must be Values"),
        (lambda: chain_backward(tanh_step, np.ones(2), []), ValueError, "at least one step"),
        (lambda: tanh_chain(0), ValueError, "at least one step"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_checkpoint_explorer_shows_what_a_fresh_run_gives():
    from coursegrad.reverse_mode_explorers import checkpoint_explorer

    explorer = checkpoint_explorer(segment=8, n_steps=16, width=100)
    explorer.sliders["segment"].value = 5
    step, x0, params = tanh_chain(16, 100)
    fresh = chain_backward(step, x0, params, 5)
    state = explorer.state
    assert (state["segment"], state["peak_bytes"], state["evaluations"]) == (5, fresh.peak_bytes, fresh.evaluations)
    assert state["same_gradients"] is True
    assert f'data-value="{fresh.peak_bytes / 1000!r}"' in explorer.readout.value
    assert 'data-name="memory"' in explorer.plot.value
    assert repr(explorer) == "CheckpointExplorer(segment=5)"


# ---------------------------------------------------------------------------
# The notebook: numbers in its prose are computed outputs; students predict before they see
# ---------------------------------------------------------------------------

NOTEBOOK = Path(__file__).resolve().parent.parent / "lectures" / "07_reverse_mode.ipynb"

# (what the prose says, what a computed output of the notebook shows)
CLAIMS = [
    ("750 here", "= 750 numbers"),
    ("68.7 GB", "= 68.7 GB of float64"),
    ("$[-0.20, -0.39, 0.20]$", "[-0.2  -0.39  0.2 ]"),
    ("the order of magnitude of their ratio", "time of forward mode / time of reverse mode: about 10^3"),
    ("about a thousand times faster, both ways round", "time of forward mode / time of reverse mode: about 10^3"),
    ("about a thousand times faster, both ways round", "time of reverse mode / time of forward mode: about 10^3"),
    ("each step keeps three arrays", "= 3 arrays of 1000 float64"),
    ("1545 kB and 64 evaluations", "        64            0      1545 kB                64  True"),
    ("224 kB for 124 evaluations", "         4           15       224 kB               124  True"),
    ("6.9× less memory for 1.94× the computation", "6.9× less memory, 1.94× the step evaluations"),
    ("push the peak back up to 536 kB", "         1           63       536 kB               127  True"),
    ("The gradients are *equal*, bit for bit", "gradients equal to plain"),
    ("differentiates like any other graph", "PASSED: backprop agrees"),
    ("calls it a jump, and does not check $x$", "jump: not checked"),
    ('verdict line says "not checked" for $x$', "Not checked: x (a jump)."),
    ("just below it the program returns about 3.86", "program(-1e-05, 2) = 3.86"),
    ("just above it about $8 \\cdot 10^{-9}$", "program(1e-09, 2) = 8e-09"),
    ("different branches and recorded different graphs", "operations recorded ['+', 'tanh', '*', '*']"),
]


def _cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def test_numbers_in_the_prose_are_computed_outputs():
    cells = _cells()
    prose = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    shown = "\n".join(o.get("text", "") for c in cells if c.cell_type == "code" for o in c.outputs)
    for said, computed in CLAIMS:
        assert " ".join(said.split()) in " ".join(prose.split()), f"the prose no longer says {said!r}"
        assert computed in shown, f"no output shows {computed!r} (the prose says {said!r})"
    assert "True" in shown and "False" not in shown, "a comparison the lesson relies on printed False"


def test_students_predict_before_the_output_that_answers_them():
    cells = _cells()
    predict = [i for i, c in enumerate(cells) if "predict" in c.metadata.get("tags", [])]
    assert len(predict) >= 3
    for i in predict:
        source, outputs = cells[i].source, cells[i].outputs
        assert "my_prediction = ..." in source and source.rstrip().endswith(")") and "predictions.check(" in source
        assert [o.get("text", "").strip() for o in outputs] == [ASK], "stored outputs must show the unanswered state"
        assert source.split("my_prediction,", 1)[1].lstrip().startswith("lambda:"), "the answer is computed, not written"


# reveals: the first output after each predict cell, and the outputs that repeat its answer right after it
REVEALS = {
    "how many numbers does the Jacobian": ["= 750 partial derivatives", "= 750 numbers"],
    "how many forward-mode passes": ["forward mode: 1000 passes"],
    "which mode gets all 2000 derivatives": ["forward mode: 1 pass; reverse mode: 1 forward pass + 2000 backward passes"],
    "How many times more bytes": ["1.97 × the 10 steps"],
    "how many step evaluations": [": 120 step evaluations", "         8            7       256 kB               120  True"],
}


def test_every_answer_is_stored_collapsed_below_its_question():
    """A student reading the stored notebook meets each question before its answer: every output that shows the
    answer comes after the predict cell and starts collapsed (`outputs_hidden`); nothing else is collapsed."""
    cells = _cells()
    collapsed = []
    for question, answers in REVEALS.items():
        (i,) = [k for k, c in enumerate(cells) if "predict" in c.metadata.get("tags", []) and question in c.source]
        above = "\n".join(o.get("text", "") for c in cells[:i] if c.cell_type == "code" for o in c.outputs)
        for answer in answers:
            (k,) = [
                k
                for k, c in enumerate(cells)
                if c.cell_type == "code" and answer in "".join(o.get("text", "") for o in c.outputs)
            ]
            assert k > i and answer not in above, answer
            assert cells[k].metadata.get("jupyter", {}).get("outputs_hidden") is True, f"{answer!r} is shown uncollapsed"
            collapsed.append(k)
        first = next(k for k, c in enumerate(cells) if k > i and c.cell_type == "code" and c.outputs)
        assert first in collapsed, f"the first output after {question!r} is not collapsed"
    last = [c for c in cells if c.cell_type == "code"][-1]
    collapsed.append(cells.index(last))  # the summary lists every answer: collapsed too
    assert sorted(set(collapsed)) == [k for k, c in enumerate(cells) if c.metadata.get("jupyter", {}).get("outputs_hidden")]
    assert last.source.strip() == "predictions.summary()" and "predictions = Predictions()" in cells[1].source
    assert "".join(o.get("text", "") for o in last.outputs).count("no prediction made; it was") == len(REVEALS)
    assert cells[-1].source.startswith("**Next:** worksheet 2 (`worksheets/release/02_write_backprop.ipynb`)")
    assert (NOTEBOOK.parent.parent / "worksheets" / "release" / "02_write_backprop.ipynb").exists()


def test_goals_are_questions_sections_4_and_5_optional_and_at_most_1500_words():
    from tools.notebooks import prose_words

    cells = _cells()
    goals = cells[0].source.split("**Learning goals.**", 1)[1]
    numbered = re.findall(r"^\d\. (.*?)(?=\n\d\. |\n\n|\Z)", goals, flags=re.S | re.M)
    assert len(numbered) == 4 and all(goal.rstrip().endswith("?") for goal in numbered), numbered
    headings = [c.source.splitlines()[0] for c in cells if c.cell_type == "markdown"]
    headings += [line for c in cells if c.cell_type == "markdown" for line in c.source.splitlines()[1:] if line.startswith("## ")]
    assert any(h.startswith("## 4 · Optional:") for h in headings) and any(h.startswith("## 5 · Optional:") for h in headings)
    assert prose_words(NOTEBOOK) <= 1500
    assert "Rule(" not in "\n".join(c.source for c in cells if c.cell_type == "markdown")  # engine jargon (L20)


def test_predict_cells_accept_the_answer_and_reject_a_wrong_one():
    """Run the notebook's code up to each predict cell, then answer it right and wrong."""
    cells = _cells()
    namespace: dict = {}
    for cell in cells:
        if cell.cell_type != "code" or "nbval-ignore-output" in cell.metadata.get("tags", []):
            continue
        if "predict" not in cell.metadata.get("tags", []):
            with contextlib.redirect_stdout(io.StringIO()):
                exec(cell.source, namespace)
            continue
        answer = eval(cell.source.split("lambda:", 1)[1].split("\n", 1)[0].rstrip().rstrip(","), namespace)
        wrong = "reverse" if answer == "forward" else answer * 3 + 7
        verdicts = []
        for guess in (answer, wrong):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(cell.source.replace("my_prediction = ...", f"my_prediction = {guess!r}"), namespace)
            verdicts.append(out.getvalue())
        assert verdicts[0].startswith("✔"), (cell.source, verdicts[0])
        assert verdicts[1].startswith("✘") and repr(answer) not in verdicts[1], (cell.source, verdicts[1])


def test_only_explorer_cells_skip_the_output_comparison():
    for cell in _cells():
        if "nbval-ignore-output" in cell.metadata.get("tags", []):
            assert re.fullmatch(r"(checkpoint|mode)_explorer\([^)]*\)", cell.source.strip()), cell.source


@settings(max_examples=30, deadline=None)
@given(n_steps=st.integers(1, 20), width=st.integers(1, 5), segment=st.integers(1, 20), seed=st.integers(0, 100))
def test_checkpointing_any_chain_gives_the_plain_gradients_for_the_counted_work(n_steps, width, segment, seed):
    segment = min(segment, n_steps)
    step, x0, params = tanh_chain(n_steps, width, seed)
    plain = chain_backward(step, x0, params)
    run = chain_backward(step, x0, params, segment)
    np.testing.assert_array_equal(run.x0_grad, plain.x0_grad)
    assert run.param_grads == plain.param_grads
    last = n_steps - segment * ((n_steps - 1) // segment)
    assert run.evaluations == 2 * n_steps - last
    assert run.peak_bytes <= plain.peak_bytes + 8 * width * run.checkpoints
