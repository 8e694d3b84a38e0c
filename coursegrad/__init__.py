"""coursegrad: a small engine for teaching backpropagation.

    >>> from coursegrad import Value
    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> f.data, x.grad, y.grad, z.grad
    (-12.0, -4.0, -4.0, 3.0)

The core (`engine`, `gradcheck`, `nn`, the SVG drawings of `drawing` and the
step-through of `steps`) needs only numpy. Plots and slider explorers live in
`coursegrad.plots` and `coursegrad.widgets`, which import matplotlib and ipywidgets;
`import coursegrad` imports neither.
"""

from coursegrad.drawing import draw
from coursegrad.engine import Rule, Step, Value, as_value, backprop, topological_order
from coursegrad.gradcheck import GradcheckReport, gradcheck, numerical_grad
from coursegrad.steps import backward_steps

__version__ = "0.1.0"

__all__ = [
    "Value",
    "Rule",
    "Step",
    "as_value",
    "backprop",
    "topological_order",
    "gradcheck",
    "numerical_grad",
    "GradcheckReport",
    "draw",
    "backward_steps",
    "__version__",
]
