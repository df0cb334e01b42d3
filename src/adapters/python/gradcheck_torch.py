"""gradcheck's PyTorch adapter (Debian's python3-torch): check a torch.nn.Module with its loss, or
a custom torch.autograd.Function's backward, as named tensors (`gradcheck check --model`).

    import gradcheck_torch
    gradcheck_torch.serve_module(model, loss_fn, inputs, targets)   # the model's named_parameters()
    gradcheck_torch.serve_function(MyFunction.apply, {"x": x, "w": w})  # J = <r, f(x, w)>, r random

then `gradcheck check --model -- /usr/bin/python3 your_file.py`. Everything runs in float64 (the
module is converted with .double()), so that central differences can judge it; J is what
loss_fn returns, and the gradient is what autograd's backward passes produce, custom Functions
included. A function's output is reduced to one number by a fixed random projection r, so its
gradient is the vector-Jacobian product rᵀ ∂f/∂input that backward computes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradcheck_adapter  # noqa: E402  (keeps stdout for replies from here on)

import numpy as np  # noqa: E402
import torch  # noqa: E402

__all__ = ["serve_module", "serve_function"]


def _load(tensors, values):
    with torch.no_grad():
        for name, tensor in tensors.items():
            tensor.copy_(torch.from_numpy(values[name]))


def _double(x):
    """Floating tensors in float64, inside tuples, lists and dicts too; anything else as it is."""
    if torch.is_tensor(x):
        return x.double() if x.is_floating_point() else x
    if isinstance(x, (tuple, list)):
        return type(x)(_double(v) for v in x)
    if isinstance(x, dict):
        return {k: _double(v) for k, v in x.items()}
    return x


def serve_module(module, loss_fn, inputs, targets):
    """Serves `loss_fn(module(inputs), targets)` as J of the module's trainable parameters (those
    with requires_grad; frozen ones stay as they are). `inputs` goes to the module as it is, one
    argument (floating tensors in it, in tuples, lists or dicts too, are made float64)."""
    module.double()
    inputs, targets = _double(inputs), _double(targets)
    tensors = {name: t for name, t in module.named_parameters() if t.requires_grad}
    if not tensors:
        raise ValueError("the module has no parameter with requires_grad: nothing to check")
    start = {name: t.detach().numpy().copy() for name, t in tensors.items()}

    def cost_and_gradient(values):
        _load(tensors, values)
        module.zero_grad(set_to_none=True)
        J = loss_fn(module(inputs), targets)
        J.backward()
        return J.item(), {name: (t.grad if t.grad is not None else torch.zeros_like(t)).numpy().copy()
                          for name, t in tensors.items()}

    def cost(values):
        _load(tensors, values)
        with torch.no_grad():
            return loss_fn(module(inputs), targets).item()

    gradcheck_adapter.serve_model(start, cost_and_gradient, cost)


def serve_function(function, inputs, seed=0x9E3779B9):
    """Serves J = <r, function(*inputs.values())> over the named inputs, r a fixed random tensor.

    The inputs checked are those with requires_grad=True, as torch.autograd.gradcheck has it (a
    mask or an index among them passes unchanged); where none has it, every floating-point one.

    r's entries are ±U(0.5, 1.5) from a generator of its own with a seed nobody picks: drawn as
    torch.randn after manual_seed(0), r equalled the user's x of the same shape, and with r = x the
    gradient of x·W, xᵀx, is symmetric, so a transposed dW passed.
    """
    # As torch.autograd.gradcheck: where some inputs require grad, those alone are checked, the
    # rest (a mask, an index) passed unchanged; where none does, every floating-point input.
    chosen = [name for name, t in inputs.items() if torch.is_tensor(t) and t.requires_grad]
    checked = [name for name, t in inputs.items()
               if torch.is_tensor(t) and t.is_floating_point() and (not chosen or name in chosen)]
    if not checked:
        raise ValueError("serve_function: no floating-point tensor among the inputs to check")
    start = {name: inputs[name].detach().double().numpy().copy() for name in checked}
    generator = torch.Generator().manual_seed(seed)
    projection = []

    def J_of(values, with_gradient):
        leaves = {name: torch.from_numpy(v.copy()).requires_grad_(with_gradient) for name, v in values.items()}
        out = function(*(leaves[name] if name in leaves else t for name, t in inputs.items()))
        if not projection:
            size = torch.rand(out.shape, generator=generator, dtype=torch.float64) + 0.5
            sign = torch.randint(0, 2, out.shape, generator=generator, dtype=torch.float64) * 2 - 1
            projection.append(size * sign)
        J = (projection[0] * out).sum()
        if not with_gradient:
            return J.item(), None
        J.backward()
        return J.item(), {name: (t.grad if t.grad is not None else torch.zeros_like(t)).numpy() for name, t in leaves.items()}

    with torch.no_grad():
        J_of(start, False)  # fixes r's shape before any request
    gradcheck_adapter.serve_model(start, lambda v: J_of(v, True), lambda v: J_of(v, False)[0])
