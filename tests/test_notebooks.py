"""The lecture notebooks are stored the way nbval needs them: executed, in order, without errors.

nbval (run by the README's test command on lectures/) re-executes each notebook and compares
every output with the stored one; these tests make sure there is something to compare.
"""

import json

import nbformat
import pytest

from coursegrad.notebooks import LECTURES, lecture_notebooks, problems

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
    "01_computational_graphs.ipynb": [("f = -12", "f = -12.0"), ("= -4", "df/dx = -4.0, df/dy = -4.0, df/dz = 3.0")],
    "02_backpropagation.ipynb": [
        ("output $0.73$", "f = 0.73"),
        ("[-0.20, -0.39, 0.20]", "dw = [-0.20, -0.39, 0.20]"),
        ("[0.39, -0.59]", "dx = [0.39, -0.59]"),
        ("approx 0.20", "local gradient σ(1-σ) = 0.20"),
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
