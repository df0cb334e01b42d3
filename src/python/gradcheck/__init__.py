"""gradcheck in Python: check a gradient in your own process, from pytest or a notebook.

    import gradcheck

    def f(params):                       # a dict of named numpy arrays, any shapes
        ...
        return J, {"W1": dW1, "b1": db1}   # J one number, a gradient per name

    result = gradcheck.check(f, {"W1": W1, "b1": b1})
    result.assert_ok()                   # AssertionError: the verdict, where, the likely mistake

    gradcheck.torch.check_module(model, loss_fn, inputs, targets)     # a torch.nn.Module
    gradcheck.torch.check_function(MyFunction.apply, x, w)            # a custom autograd.Function
    gradcheck.ex4.check(nnCostFunction)                               # the course's Python edition

The judge is the one `gradcheck check` runs (its C++ library, through pybind11): the same checks,
tolerances, verdicts, diagnosis and report formats, only without a child process. Your function is
called in this process; an exception it raises reaches you as itself, with its traceback.
"""

import os
import sys

# Read by the adapters (gradcheck_adapter._in_process) as they are imported: in process, nothing is
# served over stdout, and what your code prints stays yours.
IN_PROCESS = True

_ADAPTERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "adapters")
if _ADAPTERS not in sys.path:
    sys.path.append(_ADAPTERS)

try:
    import numpy  # noqa: F401
except ImportError:
    # A python3 other than Debian's with the same ABI (pyenv's first on PATH; ./setup.sh installs the
    # package for it too): numpy and torch from Debian's python3-numpy and python3-torch, after its own.
    if os.path.isdir("/usr/lib/python3/dist-packages") and "/usr/lib/python3/dist-packages" not in sys.path:
        sys.path.append("/usr/lib/python3/dist-packages")

from ._run import check, GradcheckError  # noqa: E402
from .result import Result  # noqa: E402
from . import ex4  # noqa: E402

__all__ = ["check", "Result", "GradcheckError", "ex4", "torch"]
__version__ = "0.1.0"


def __getattr__(name):
    """gradcheck.torch is imported when first used: importing torch takes a second."""
    if name == "torch":
        import importlib
        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module 'gradcheck' has no attribute {name!r}")
