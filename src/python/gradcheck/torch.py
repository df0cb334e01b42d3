"""PyTorch in process: a torch.nn.Module with its loss, or a custom torch.autograd.Function.

    import gradcheck.torch
    gradcheck.torch.check_module(model, torch.nn.functional.cross_entropy, x, y).assert_ok()
    gradcheck.torch.check_function(MyLinear.apply, x, w, b).assert_ok()

Both run in float64, your module's parameters, buffers, dtypes and .grad put back as they were
after the check, as `gradcheck check --model` runs src/adapters/python/gradcheck_torch.py, and
report per tensor:
`fc1.weight[3, 0]`, or a Function's inputs by the names its forward gives them (`w[2, 1]`).
"""

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
    so (CANNOT JUDGE). Options as gradcheck.check's. Returns a Result.

    The module itself is checked, in float64, so that its hooks (a parameter's register_hook, a
    pruning mask) shape the gradient as in training; its parameters, buffers, their dtypes and
    .grad are put back as they were when the check ends."""
    restored = _Restored(module)
    try:
        model = gradcheck_torch.module_model(module, loss_fn, inputs, targets)
        return _run_model(model, type(module).__name__, options, "check_module")
    finally:
        restored.restore()


def check_function(function, *inputs, seed=0x9E3779B9, **options):
    """Checks a function of tensors (a custom Function's `apply`) through J = Σ <r, output>, r a
    fixed random tensor of ±U(0.5, 1.5) per floating-point output: its backward's vector-Jacobian
    product against central differences of J. As torch.autograd.gradcheck, the inputs with
    requires_grad=True are checked (the others, a mask or an index, are passed unchanged, floating
    ones in float64), or every floating-point one where none requires grad. The inputs are named
    as forward names them; one dict {name: tensor} matching those names may be given instead.
    Options as gradcheck.check's. Returns a Result."""
    names = _input_names(function, len(inputs[0]) if len(inputs) == 1 and isinstance(inputs[0], dict) else len(inputs))
    if len(inputs) == 1 and isinstance(inputs[0], dict):
        named = inputs[0]
        if set(named) == set(names):
            named = {name: named[name] for name in names}  # forward's order: the call is positional
        elif not all(name.startswith("input") for name in names):
            raise TypeError(f"check_function: the inputs are named {', '.join(named)}; {_label(function)} takes "
                            f"{', '.join(names)} (give a dict with those names, or the inputs in order)")
    else:
        named = dict(zip(names, inputs))
    model = gradcheck_torch.function_model(function, named, seed)
    return _run_model(model, model["label"], options, "check_function")


def _run_model(model, name, options, caller):
    handle = gradcheck_adapter.model_handler(model["parameters"], model["cost_and_gradient"], model["cost"], model["label"],
                                             model["watch_parameters"])
    return run(["--model"] + flags(options, MODEL_OPTIONS, caller) + ["--", name],
               answering(_noted(handle), gradcheck_adapter.ReturnError), name)


def _noted(handle):
    """`handle`, with a note on a dtype error raised in the user's code: the check runs in float64."""
    def noted(request):
        try:
            return handle(request)
        except gradcheck_adapter.ReturnError:
            raise
        except Exception as error:
            said = str(error)
            if hasattr(error, "add_note") and ("Double" in said or "double" in said) and ("Float" in said or "float" in said):
                error.add_note("gradcheck.torch checks in float64: the module (or the function's inputs), the inputs and "
                               "the targets were made float64; a tensor made inside forward or the loss without dtype= "
                               "(torch.ones(2, 2)), or a .float(), stays float32: make it with dtype=x.dtype")
            raise
    return noted


class _Restored:
    """A module's parameters (their data and .grad), and its buffers, as they were: put back by
    restore() after the check has made them float64 and moved them. The Parameter objects stay the
    same, so their hooks, an optimizer's references and tied weights are untouched."""

    def __init__(self, module):
        self.parameters = [(p, p.data, p.grad, None if p.grad is None else p.grad.data) for p in module.parameters()]
        self.buffers = [(m, key, b) for m in module.modules() for key, b in m._buffers.items()]

    def restore(self):
        with torch.no_grad():
            for p, data, grad, grad_data in self.parameters:
                p.data = data
                if grad is not None:
                    grad.data = grad_data
                p.grad = grad
        for m, key, b in self.buffers:
            m._buffers[key] = b


def _label(function):
    owner = getattr(function, "__self__", None)
    return f"{owner.__name__}.apply" if isinstance(owner, type) else getattr(function, "__qualname__", "the function")


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
