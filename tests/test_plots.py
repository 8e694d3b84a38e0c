"""The numbers behind every figure of coursegrad.plots, checked against independent computations."""

import hashlib
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from coursegrad import nn, numerical_grad, plots


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def _numpy_loss(X, y, loss="logistic"):
    """The classifier's loss written directly in numpy: a forward pass only, an independent witness."""
    s = 2.0 * y - 1.0
    if loss == "logistic":
        return lambda w: float(np.mean(np.logaddexp(0.0, -s * (X @ w))))
    return lambda w: float(np.mean((X @ w - s) ** 2))


# ---------------------------------------------------------------------------
# Heavy imports stay out of `import coursegrad`
# ---------------------------------------------------------------------------


def _modules_after(code: str) -> set:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_import_coursegrad_imports_neither_matplotlib_nor_ipywidgets():
    loaded = _modules_after("import coursegrad, coursegrad.nn, coursegrad.gradcheck")
    assert "coursegrad" in loaded  # the check itself works
    assert "matplotlib" not in loaded
    assert "ipywidgets" not in loaded


def test_plots_imports_matplotlib_but_not_ipywidgets():
    loaded = _modules_after("import coursegrad.plots")
    assert "matplotlib" in loaded
    assert "ipywidgets" not in loaded
    assert "matplotlib.pyplot" not in loaded  # figures are made without pyplot's global state


# ---------------------------------------------------------------------------
# The sigmoid
# ---------------------------------------------------------------------------


def test_sigmoid_derivative_peaks_at_a_quarter_at_zero():
    d = plots.sigmoid_data()
    assert d["peak_x"] == 0.0
    assert d["peak"] == 0.25
    assert d["derivative"].max() == 0.25
    assert np.all(d["derivative"] <= 0.25)


def test_sigmoid_data_matches_formula_and_central_differences():
    d = plots.sigmoid_data()
    s = d["sigmoid"]
    np.testing.assert_allclose(s, 1.0 / (1.0 + np.exp(-d["x"])), rtol=1e-12)
    np.testing.assert_allclose(d["derivative"], s * (1 - s), rtol=1e-12, atol=1e-300)
    for x in (-7.3, -2.0, -0.5, 0.0, 1.0, 3.7, 9.5):
        (numeric,) = numerical_grad(_sigmoid, x)
        (engine,) = plots.sigmoid_data([x])["derivative"]
        assert engine == pytest.approx(numeric, rel=1e-6)  # rounding noise ~1e-16/h relative to σ ≈ 1


def test_sigmoid_saturates_beyond_four():
    d = plots.sigmoid_data()
    outside = np.abs(d["x"]) > plots.SATURATION
    assert d["derivative"][outside].max() < 0.018
    assert d["derivative"][~outside].max() == 0.25


def test_plot_sigmoid_marks_the_peak_and_shades_saturation():
    fig = plots.plot_sigmoid()
    (ax,) = fig.axes
    assert fig.get_size_inches().tolist() == [6.4, 3.6]
    marked = [line for line in ax.lines if len(line.get_xdata()) == 1]
    assert [(float(line.get_xdata()[0]), float(line.get_ydata()[0])) for line in marked] == [(0.0, 0.25)]
    spans = [p.get_x() for p in ax.patches]
    assert sorted(spans) == [-10.0, plots.SATURATION]
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "0.25" in texts and "saturated" in texts
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


# ---------------------------------------------------------------------------
# The multiplication effect
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("loss", plots.LOSSES)
def test_gradient_grows_exactly_like_the_data_scale(loss):
    d = plots.gradient_vs_scale_data((1, 10, 100, 1000), loss=loss)
    assert d["slope"] == pytest.approx(1.0, abs=1e-6)
    ratio = d["grad_norms"][-1] / d["grad_norms"][0]
    assert ratio == pytest.approx(1000.0, rel=1e-6)


@pytest.mark.parametrize("loss", plots.LOSSES)
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_weight_gradient_matches_central_differences(loss, scale):
    X, y = plots.linear_classifier_data()
    X = X * scale
    for w in (np.zeros(2), np.array([0.3, -0.2]) / scale):
        engine = plots.weight_gradient(X, y, w, loss=loss)
        (numeric,) = numerical_grad(_numpy_loss(X, y, loss), w, h=1e-5 / scale)
        np.testing.assert_allclose(engine, numeric, rtol=1e-6, atol=1e-9 * scale)


def test_plot_gradient_vs_scale_is_log_log_with_the_engine_numbers():
    fig = plots.plot_gradient_vs_scale(scales=(1, 10, 100, 1000))
    (ax,) = fig.axes
    assert ax.get_xscale() == ax.get_yscale() == "log"
    data = plots.gradient_vs_scale_data((1, 10, 100, 1000))
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), data["grad_norms"])
    assert "×1000 data → ×1000 gradient" in " ".join(t.get_text() for t in ax.texts)


def test_one_training_step_is_gradient_descent_on_the_loss():
    X, y = plots.linear_classifier_data()
    lr = 0.3
    losses = plots.train_linear_classifier(X, y, lr, steps=1)
    loss = _numpy_loss(X, y)
    (g,) = numerical_grad(loss, np.zeros(2))
    assert losses[0] == pytest.approx(math.log(2.0), rel=1e-12)  # w = 0: every score is 0
    assert losses[1] == pytest.approx(loss(-lr * g), rel=1e-8)


def test_scaled_data_with_the_same_learning_rate_does_not_learn():
    d = plots.loss_curves_data(learning_rates=(0.1,), scales=(1, 1000), steps=50)
    raw, scaled = d["curves"][(0.1, 1.0)], d["curves"][(0.1, 1000.0)]
    assert raw[-1] < 0.5 * raw[0]  # unscaled data: the loss goes down
    assert np.all(np.diff(raw) < 0)
    assert scaled.max() > 10 * scaled[0]  # ×1000 data: the first step overshoots and the loss shoots up
    assert scaled[-1] > scaled[0]  # and after 50 steps it is still worse than at the start


def test_a_learning_rate_divided_by_scale_squared_compensates_exactly():
    # wᵀ(c·x) = (c·w)ᵀx: with lr/c² the scaled problem takes the very same steps in c·w.
    X, y = plots.linear_classifier_data()
    raw = plots.train_linear_classifier(X, y, 0.1, 30)
    scaled = plots.train_linear_classifier(X * 1000, y, 0.1 / 1000**2, 30)
    np.testing.assert_allclose(scaled, raw, rtol=1e-9)


def test_mse_training_blows_up_and_stops():
    X, y = plots.linear_classifier_data()
    losses = plots.train_linear_classifier(X * 1000, y, 0.1, 50, loss="mse")
    ran = losses[~np.isnan(losses)]
    assert len(losses) == 51
    assert ran[-1] > plots.DIVERGED  # it grew past 1e30 ...
    assert np.all(np.diff(ran) > 0)  # ... monotonically ...
    assert np.isnan(losses[-1])  # ... and training stopped there
    fine = plots.train_linear_classifier(X, y, 0.1, 50, loss="mse")
    assert not np.isnan(fine).any() and fine[-1] < fine[0]


def test_plot_loss_curves_has_one_panel_per_scale_and_one_line_per_rate():
    fig = plots.plot_loss_curves(learning_rates=(0.01, 0.1), scales=(1, 1000), steps=20, loss="mse")
    raw, big = fig.axes
    data = plots.loss_curves_data(learning_rates=(0.01, 0.1), scales=(1, 1000), steps=20, loss="mse")
    for ax, c in ((raw, 1.0), (big, 1000.0)):
        lines = [line for line in ax.lines if line.get_label().startswith("lr = ")]
        assert [line.get_label() for line in lines] == ["lr = 0.01", "lr = 0.1"]
        for line, lr in zip(lines, (0.01, 0.1), strict=True):
            np.testing.assert_array_equal(line.get_ydata(), data["curves"][(lr, c)])
        legend = ax.get_legend()
        assert [t.get_text() for t in legend.get_texts()] == ["lr = 0.01", "lr = 0.1"]
        dashed = {line.get_linestyle() for line in legend.get_lines()}
        assert dashed == ({"-"} if c == 1.0 else {"--"})  # the legend shows the dashes the ×1000 lines are drawn with
    # the raw curves keep a linear axis, so they are not squashed under the ×1000 blow-up
    assert raw.get_yscale() == "linear" and big.get_yscale() == "log"
    low, high = raw.get_ylim()
    assert high < 2 and low > 0  # the raw panel spans the raw losses only (1 → 0.16)
    stopped = [line for line in big.lines if line.get_marker() == "x"]
    assert len(stopped) == 2 and big.get_xlim()[1] < 20  # both blew up: crosses where they stopped, axis cut there
    lines = [line for line in raw.lines + big.lines if line.get_marker() != "x"]
    styles = {(line.get_color(), line.get_linestyle(), line.get_marker()) for line in lines}
    assert len(styles) == 4  # told apart by style and marker, not by colour alone


# ---------------------------------------------------------------------------
# Vanishing gradients
# ---------------------------------------------------------------------------


def test_gradients_vanish_with_depth_for_sigmoid_but_not_for_relu_with_he_init():
    d = plots.layer_gradient_norms_data(("sigmoid", "tanh", "relu"), depth=10)
    sig, relu = d["curves"][("sigmoid", 1.0)], d["curves"][("relu", math.sqrt(2))]
    assert len(sig) == len(relu) == 11 and list(d["layers"]) == list(range(1, 12))
    hidden_sig, hidden_relu = sig[:-1], relu[:-1]
    assert hidden_sig[0] / hidden_sig[-1] < 1e-3  # layer 1 gets under a thousandth of what layer 10 gets
    assert np.all(np.diff(np.log(hidden_sig[1:])) > 0)  # shrinking at every layer from layer 10 down to layer 2
    assert 0.3 < hidden_relu[0] / hidden_relu[-1] < 3.0  # about the same size all the way down


def test_no_weight_scale_stops_a_sigmoid_network_from_shrinking_the_gradient():
    # Larger weights pass more gradient back through W but saturate more sigmoids: σ' ≤ 0.25 always wins.
    gains = (0.5, 1.0, 2.0, 4.0, 8.0)
    d = plots.layer_gradient_norms_data("sigmoid", gains=gains, depth=6)
    for g in gains:
        hidden = d["curves"][("sigmoid", g)][:-1]
        assert hidden[0] < hidden[-1], g
    # relu is linear where it is on: activations grow by the gain per layer as the gradients shrink by it,
    # so ∂loss/∂W = aᵀδ is about the same at every layer; the gain sets the size of all of them together.
    relu = plots.layer_gradient_norms_data("relu", gains=gains, depth=6)["curves"]
    for g in gains:
        hidden = relu[("relu", g)][:-1]
        assert 0.3 < hidden[0] / hidden[-1] < 3.0, g
    assert relu[("relu", 4.0)][0] > 1e4 * relu[("relu", 0.5)][0]


def test_layer_gradient_norms_match_central_differences():
    depth, width, n = 3, 4, 8
    X, y = nn.toy_dataset(n, "blobs", noise=0.1, seed=0)
    norms = plots.deep_gradient_norms("sigmoid", depth, gain=2.0, width=width, n=n)
    model = plots.deep_network("sigmoid", depth, 2.0, width)
    for i, layer in enumerate(model.layers):
        W0 = layer.W.data.copy()

        def loss(W, layer=layer):
            layer.W.data = W
            return nn.logistic_loss(model(X), y).item()

        (g,) = numerical_grad(loss, W0)
        layer.W.data = W0
        assert norms[i] == pytest.approx(np.sqrt(np.mean(g**2)), rel=1e-5)


def test_deep_network_uses_gain_over_root_fan_in():
    model = plots.deep_network("relu", depth=2, gain=None, width=400, seed=1)
    hidden = model.layers[1].W.data  # 400 → 400
    assert hidden.std() == pytest.approx(math.sqrt(2) / math.sqrt(400), rel=0.02)


def test_plot_layer_gradient_norms_lines_and_log_scale():
    fig = plots.plot_layer_gradient_norms(activations=("sigmoid", "relu"), depth=5)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.lines] == ["sigmoid, gain 1 (LeCun)", "relu, gain √2 (He)"]
    data = plots.layer_gradient_norms_data(("sigmoid", "relu"), depth=5)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), data["curves"][("sigmoid", 1.0)])


# ---------------------------------------------------------------------------
# Deterministic output, notebook setup, bad input
# ---------------------------------------------------------------------------

FIGURES = [
    plots.plot_sigmoid,
    plots.plot_gradient_vs_scale,
    lambda: plots.plot_loss_curves(steps=20),
    lambda: plots.plot_layer_gradient_norms(depth=4),
]


@pytest.mark.parametrize("make", FIGURES, ids=["sigmoid", "gradient_vs_scale", "loss_curves", "layer_norms"])
def test_same_call_same_svg_bytes(make):
    first, second = plots.figure_to_svg(make()), plots.figure_to_svg(make())
    assert first == second
    assert "<dc:date>" not in first
    assert first.lstrip().startswith("<?xml")


def test_svg_bytes_are_the_same_in_another_process():
    code = (
        "import hashlib\nfrom coursegrad import plots\n"
        "print(hashlib.sha256(plots.figure_to_svg(plots.plot_sigmoid()).encode()).hexdigest())"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == hashlib.sha256(plots.figure_to_svg(plots.plot_sigmoid()).encode()).hexdigest()


def test_plot_into_a_given_axes_returns_its_figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3))
    left, right = fig.subplots(1, 2)
    assert plots.plot_sigmoid(ax=left) is fig
    assert plots.plot_gradient_vs_scale(ax=right) is fig
    assert left.lines and right.lines


def test_setup_notebook_registers_deterministic_inline_figures():
    code = textwrap.dedent(
        """
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        from coursegrad import plots
        plots.setup_notebook("svg")
        a, _ = shell.display_formatter.format(plots.plot_sigmoid())
        b, _ = shell.display_formatter.format(plots.plot_sigmoid())
        assert a["image/svg+xml"] == b["image/svg+xml"], "SVG differs between two renders"
        assert "<dc:date>" not in a["image/svg+xml"]
        print(a["text/plain"])
        assert a["text/html"].startswith('<img class="coursegrad-image" src="data:image/svg+xml;base64,')
        plots.setup_notebook("png")
        fig = plots.plot_sigmoid()
        c, md = shell.display_formatter.format(fig)
        assert "image/png" in c and "image/svg+xml" not in c
        # JupyterLab shows the text/html: the same PNG as an <img> with the figure's description as alt text
        import base64
        from coursegrad.describe import describe_figure, image_html
        assert md["image/png"] == {"alt": describe_figure(fig)}
        png = c["image/png"] if isinstance(c["image/png"], bytes) else base64.b64decode(c["image/png"])
        assert png[:4] == b"\\x89PNG" and c["text/html"] == image_html(png, "image/png", describe_figure(fig))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "<Figure size 640x360 with 1 Axes>"


def test_setup_notebook_outside_ipython_only_sets_rcparams():
    code = (
        "import sys\nfrom coursegrad import plots\nplots.setup_notebook()\n"
        "import matplotlib as mpl\nfrom IPython.core.interactiveshell import InteractiveShell\n"
        "print(mpl.rcParams['svg.hashsalt'], InteractiveShell.initialized())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [plots.SVG_SALT, "False"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: plots.setup_notebook("jpeg"), "figure_format must be 'png' or 'svg'"),
        (lambda: plots.gradient_vs_scale_data([10]), "at least two positive scales"),
        (lambda: plots.gradient_vs_scale_data([0, 10]), "at least two positive scales"),
        (lambda: plots.train_linear_classifier(np.ones((2, 2)), np.ones(2), -0.1), "learning_rate must be a positive number"),
        (lambda: plots.train_linear_classifier(np.ones((2, 2)), np.ones(2), 0.1, steps=2.5), "steps must be a whole number"),
        (lambda: plots.weight_gradient(np.ones((2, 2)), np.ones(2), loss="hinge"), "unknown loss 'hinge'"),
        (lambda: plots.deep_network("softmax"), "unknown activation 'softmax'"),
        (lambda: plots.deep_network("relu", depth=0), "depth must be a whole number"),
        (lambda: plots.deep_network("relu", gain=-1.0), "gain must be a positive number"),
    ],
)
def test_bad_input_says_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_deep_sigmoid_network_does_not_train_but_tanh_and_relu_do():
    results = plots.activation_training_data(depth=6, width=16, steps=300)
    sigmoid, tanh, relu = (results[a] for a in ("sigmoid", "tanh", "relu"))
    assert len(sigmoid["loss"]) == 301
    assert abs(sigmoid["loss"][-1] - np.log(2.0)) < 1e-3  # stuck at the loss of guessing
    assert tanh["loss"][-1] < 0.2 and relu["loss"][-1] < 0.2
    assert tanh["accuracy"] > 0.95 and relu["accuracy"] > 0.95
    fig = plots.plot_activation_training(results)
    labels = [line.get_label() for line in fig.axes[0].get_lines()][:3]
    assert labels[0].startswith("sigmoid (every output is 0.5000 ± ")  # no accuracy: every output is the same
    assert labels[1:] == [f"{a} (accuracy {results[a]['accuracy']:.0%})" for a in ("tanh", "relu")]
