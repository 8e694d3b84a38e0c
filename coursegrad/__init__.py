"""coursegrad: a small engine for teaching backpropagation.

    >>> from coursegrad import Value
    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> f.data, x.grad, y.grad, z.grad
    (-12.0, -4.0, -4.0, 3.0)

The core (`engine`, `gradcheck`, `nn`) needs only numpy. Drawings, plots and
slider explorers live in `coursegrad.draw`, `coursegrad.plots` and
`coursegrad.widgets` and import matplotlib / ipywidgets only when you use them.
"""

from coursegrad.engine import Rule, Step, Value, as_value, backprop, topological_order
from coursegrad.gradcheck import GradcheckReport, gradcheck, numerical_grad

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


def __getattr__(name: str):
    # `coursegrad.draw(f)` and `coursegrad.backward_steps(f)` without importing the drawing
    # code (and its dependencies) on `import coursegrad`.
    if name == "draw":
        from coursegrad.draw import draw

        return draw
    if name == "backward_steps":
        from coursegrad.steps import backward_steps

        return backward_steps
    raise AttributeError(f"module 'coursegrad' has no attribute {name!r}")
