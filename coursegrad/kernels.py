"""A Jupyter kernel manager that runs notebooks in *this* Python (shared by the authoring tools and the grader).

A `python3` kernelspec in the user's data folder may point at another Python without coursegrad;
`ThisPythonKernel` ignores it and starts `sys.executable -m ipykernel_launcher`.
"""

from __future__ import annotations

import sys

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

__all__ = ["ThisPythonKernel"]


class ThisPythonKernel(AsyncKernelManager):
    """A kernel manager that starts an IPython kernel in *this* Python, never whatever a `python3`
    kernelspec in the user's data folder points at. Subclasses add arguments with `kernel_args`."""

    @property
    def kernel_args(self) -> list[str]:
        return []

    @property
    def kernel_spec(self) -> KernelSpec:
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", *self.kernel_args]
        return KernelSpec(argv=argv, display_name="Python 3 (ipykernel)", language="python")
