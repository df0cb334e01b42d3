"""PyTorch in process: a torch.nn.Module with its loss, or a custom torch.autograd.Function.

    import gradcheck.torch
    gradcheck.torch.check_module(model, torch.nn.functional.cross_entropy, x, y).assert_ok()
    gradcheck.torch.check_function(MyLinear.apply, x, w, b).assert_ok()

Both run in float64 on copies (your module, its dtype and its parameters are left as they were),
as `gradcheck check --model` runs src/adapters/python/gradcheck_torch.py, and report per tensor:
`fc1.weight[3, 0]`, or a Function's inputs by the names its forward gives them (`w[2, 1]`).
"""

import copy
import inspect

import torch  # noqa: F401  (Debian's python3-torch)

import gradcheck_adapter
import gradcheck_torch

from ._run import MODEL_OPTIONS, answering, flags, run

__all__ = ["check_module", "check_function"]


def check_module(module, loss_fn, inputs, targets, **options):
    """Checks J = loss_fn(module(inputs), targets) over the module's trainable parameters
    (named_parameters() with requires_grad) against central differences of J. `inputs` goes to the
    module as one argument (a tensor, or a tuple, list or dict of them). Keep dropout off
    (module.eval()): a J that changes from call to call cannot be differenced, and the check says
    so (CANNOT JUDGE). Options as gradcheck.check's. Returns a Result."""
    checked = _copy(module)
    model = gradcheck_torch.module_model(checked, loss_fn, inputs, targets)
    name = type(module).__name__
    return _run_model(model, name, options, "check_module")


def check_function(function, *inputs, seed=0x9E3779B9, **options):
    """Checks a function of tensors (a custom Function's `apply`) through J = <r, function(*inputs)>,
    r a fixed random tensor of ±U(0.5, 1.5): its backward's vector-Jacobian product rᵀ ∂f/∂input
    against central differences of J. As torch.autograd.gradcheck, the inputs with
    requires_grad=True are checked (the others, a mask or an index, are passed unchanged), or every
    floating-point one where none requires grad. One dict of named tensors may be given instead of
    the inputs. Options as gradcheck.check's. Returns a Result."""
    named = inputs[0] if len(inputs) == 1 and isinstance(inputs[0], dict) else dict(zip(_input_names(function, len(inputs)), inputs))
    model = gradcheck_torch.function_model(function, named, seed)
    return _run_model(model, model["label"], options, "check_function")


def _run_model(model, name, options, caller):
    handle = gradcheck_adapter.model_handler(model["parameters"], model["cost_and_gradient"], model["cost"], model["label"],
                                             model["watch_parameters"])
    return run(["--model"] + flags(options, MODEL_OPTIONS, caller) + ["--", name],
               answering(handle, gradcheck_adapter.ReturnError), name)


def _copy(module):
    """The module to check: a deep copy, so that converting it to float64 and moving its
    parameters leaves the caller's as they were."""
    try:
        return copy.deepcopy(module)
    except Exception as error:  # a module holding what cannot be copied (a lock, a generator)
        raise TypeError(f"check_module needs a copy of {type(module).__name__} (copy.deepcopy failed: {error}); "
                        "it checks in float64 and moves the parameters, which must not change yours") from error


def _input_names(function, count):
    """The names a function gives its inputs: forward's parameters after ctx for a Function's
    apply, the function's own otherwise; input0, input1, … where it has none."""
    target = function
    owner = getattr(function, "__self__", None)
    if isinstance(owner, type) and hasattr(owner, "forward"):
        target = owner.forward
    try:
        parameters = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    if target is not function and parameters and parameters[0].name == "ctx":
        parameters = parameters[1:]
    names = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(names) < count or len(set(names)) != len(names):
        names += [f"input{k}" for k in range(len(names), count)]
    return names[:count]
