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
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradcheck_adapter  # noqa: E402  (keeps stdout for replies from here on)
import gradcheck_watch  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

__all__ = ["serve_module", "serve_function", "module_model", "function_model"]

_INVALID_GRADIENT = re.compile(r"Function (\w+?)(?:Backward)?\d* returned an invalid gradient at index (\d+)")


def _backward_of(error):
    """Where the user's backward is, for an error torch's autograd engine raises about what it
    returned ("Function LinearFnBackward returned an invalid gradient at index 1 …"): no frame of
    the traceback is in the user's files then, but the Function's class is."""
    found = _INVALID_GRADIENT.search(str(error))
    if not found:
        return None
    for module in list(sys.modules.values()):
        cls = getattr(module, found.group(1), None)
        frame = gradcheck_watch.defined_at(getattr(cls, "backward", None)) if isinstance(cls, type) else None
        if frame is not None:
            return frame
    return None


def _refused(error, names):
    """(input name, why) for torch's "Function FBackward returned an invalid gradient at index 1 -
    got [] but expected shape compatible with [6]" (the index counts forward's inputs), else
    (None, None)."""
    found = _INVALID_GRADIENT.search(str(error))
    shapes = re.search(r"got \[([\d, ]*)\] but expected shape compatible with \[([\d, ]*)\]", str(error))
    if not found or not shapes or int(found.group(2)) >= len(names):
        return None, None
    got = tuple(int(d) for d in shapes.group(1).replace(" ", "").split(",") if d)
    wanted = tuple(int(d) for d in shapes.group(2).replace(" ", "").split(",") if d)
    frame = _backward_of(error)
    where = f" ({os.path.basename(frame.filename)} line {frame.lineno}, in backward)" if frame else ""
    said = "the gradient is a scalar" if not got else f"the gradient has shape {got}"
    return names[int(found.group(2))], f"{said}; expected shape {wanted}: backward returned it{where}"


def _tensors(x, name):
    """The tensors in x (a tensor, or tuples, lists and dicts of them) with their names."""
    if torch.is_tensor(x):
        return [(name, x)]
    if isinstance(x, (tuple, list)):
        return [pair for i, v in enumerate(x) for pair in _tensors(v, f"{name}[{i}]")]
    if isinstance(x, dict):
        return [pair for k, v in x.items() for pair in _tensors(v, f"{name}[{k!r}]")]
    return []


class _Kept:
    """Tensors the user's code is given, kept: what a call changed of them (gradcheck_watch's
    "changed" entries), after which they are put back, so later calls see what gradcheck sent.
    `copies`, where given, are what they hold now (the values they were loaded from), which
    nothing else changes: no clone per call (inputs of 16 MB cloned per evaluation were 8% of a
    check's time)."""

    def __init__(self, label, input_name, named, why, copies=None):
        self.label, self.input_name, self.why = label, input_name, why
        self.named = named
        self.copies = copies if copies is not None else [t.detach().clone() for _, t in named]

    def changed(self):
        if all(torch.equal(c, t.detach()) for c, (_, t) in zip(self.copies, self.named)):
            return []  # the common case, asked after every call: no NaN, nothing moved
        names = [name for name, _ in self.named]
        before = [c.numpy() for c in self.copies]
        after = [t.detach().numpy() for _, t in self.named]
        said = gradcheck_watch.changes(names, before, after)
        if not said:
            return []
        with torch.no_grad():
            for (_, t), c in zip(self.named, self.copies):
                t.copy_(c)
        return [{"input": self.input_name, "says": f"{self.label} changes {self.input_name} in place: {said}; {self.why}"}]


def _load(tensors, values):
    with torch.no_grad():
        for name, tensor in tensors.items():
            tensor.copy_(torch.from_numpy(values[name]))


def _one(J, what):
    """J as a tensor of one number, or a ReturnError saying what it is instead."""
    if not torch.is_tensor(J):
        raise gradcheck_adapter.ReturnError(f"{what} returned a {type(J).__name__}; expected a tensor of one number")
    if J.numel() != 1:
        raise gradcheck_adapter.ReturnError(f"{what} returned a tensor of shape {tuple(J.shape)}; expected one number "
                                            "(a loss with reduction='none'? give it reduction='mean' or 'sum')")
    return J


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
    gradcheck_adapter.serve_model(**module_model(module, loss_fn, inputs, targets))


def module_model(module, loss_fn, inputs, targets):
    """serve_module()'s model: the keyword arguments of gradcheck_adapter.serve_model and
    model_handler (the module converted to float64 in place, as served)."""
    module.double()
    inputs, targets = _double(inputs), _double(targets)
    tensors = {name: t for name, t in module.named_parameters() if t.requires_grad}
    if not tensors:
        raise ValueError("the module has no parameter with requires_grad: nothing to check")
    start = {name: t.detach().numpy().copy() for name, t in tensors.items()}
    label = f"{type(module).__name__} (its forward, or the loss)"
    # Copied once: a call that changes them is said and they are put back, so the copies stay theirs.
    data = [_Kept(label, "inputs", _tensors(inputs, "inputs"), "the caller's data changes"),
            _Kept(label, "targets", _tensors(targets, "targets"), "the caller's targets change")]

    def watched(values):
        """The parameters just loaded from `values`, the inputs and the targets, kept to compare after a call."""
        return [_Kept(label, "its parameters", list(tensors.items()), "an optimizer's step would start from other values",
                      [torch.from_numpy(values[name]) for name in tensors])] + data

    def cost_and_gradient(values):
        _load(tensors, values)
        kept = watched(values)
        module.zero_grad(set_to_none=True)
        J = _one(loss_fn(module(inputs), targets), "loss_fn")
        J.backward()
        # A parameter J does not reach has no .grad: its gradient is 0, judged as such.
        gradient = {name: (t.grad if t.grad is not None else torch.zeros_like(t)).numpy().copy() for name, t in tensors.items()}
        return J.item(), gradient, [c for k in kept for c in k.changed()]

    def cost(values):
        _load(tensors, values)
        kept = watched(values)
        with torch.no_grad():
            J = _one(loss_fn(module(inputs), targets), "loss_fn").item()
        return J, None, [c for k in kept for c in k.changed()]

    return dict(parameters=start, cost_and_gradient=cost_and_gradient, cost=cost, label=label, fallback=_backward_of,
                watch_parameters=False)  # loaded into the module's own tensors, which _Kept watches


def serve_function(function, inputs, seed=0x9E3779B9):
    """Serves J = <r, function(*inputs.values())> over the named inputs, r a fixed random tensor.

    The inputs checked are those with requires_grad=True, as torch.autograd.gradcheck has it (a
    mask or an index among them passes unchanged); where none has it, every floating-point one.

    r's entries are ±U(0.5, 1.5) from a generator of its own with a seed nobody picks: drawn as
    torch.randn after manual_seed(0), r equalled the user's x of the same shape, and with r = x the
    gradient of x·W, xᵀx, is symmetric, so a transposed dW passed.
    """
    gradcheck_adapter.serve_model(**function_model(function, inputs, seed))


def function_model(function, inputs, seed=0x9E3779B9):
    """serve_function()'s model: the keyword arguments of gradcheck_adapter.serve_model and
    model_handler."""
    # As torch.autograd.gradcheck: where some inputs require grad, those alone are checked, the
    # rest (a mask, an index) passed unchanged; where none does, every floating-point input.
    chosen = [name for name, t in inputs.items() if torch.is_tensor(t) and t.requires_grad]
    checked = [name for name, t in inputs.items()
               if torch.is_tensor(t) and t.is_floating_point() and (not chosen or name in chosen)]
    if not checked:
        raise ValueError("serve_function: no floating-point tensor among the inputs to check")
    start = {name: inputs[name].detach().double().numpy().copy() for name in checked}
    # The inputs not checked go in float64 too: float32 data beside float64 weights stops most ops.
    inputs = {name: t if name in checked else _double(t).detach() if torch.is_tensor(t) else t for name, t in inputs.items()}
    generator = torch.Generator().manual_seed(seed)
    projection = []
    # The inputs passed unchanged, copied once (put back after a call that changes them).
    unchecked = {name: t.detach().clone() for name, t in inputs.items() if torch.is_tensor(t) and name not in start}

    label = getattr(function, "__qualname__", None) or getattr(function, "__name__", "the function")
    if label == "apply" and hasattr(function, "__self__"):
        label = f"{function.__self__.__name__}.apply"

    def J_of(values, with_gradient, refused=None):
        """J, and with_gradient the gradient; an input whose gradient torch's engine refuses (a
        backward returning a scalar for a vector) is retried without it and reported alone."""
        refused = refused if refused is not None else {}
        leaves = {name: torch.from_numpy(v.copy()).requires_grad_(with_gradient and name not in refused)
                  for name, v in values.items()}
        given = [(name, leaves[name] if name in leaves else t) for name, t in inputs.items() if torch.is_tensor(t)]
        kept = _Kept(label, "its inputs", given, "the caller's tensors change",
                     [torch.from_numpy(values[name]) if name in leaves else unchecked[name] for name, _ in given])
        out = function(*(leaves[name] if name in leaves else t for name, t in inputs.items()))
        # Several outputs (a tuple, as torch.autograd.gradcheck takes): each floating one projected.
        outs = [o for o in (out if isinstance(out, (tuple, list)) else (out,)) if torch.is_tensor(o) and o.is_floating_point()]
        if not outs:
            raise gradcheck_adapter.ReturnError(f"{label} returned {type(out).__name__}; expected a floating-point tensor "
                                                "or a tuple of them")
        if not projection:
            for o in outs:
                size = torch.rand(o.shape, generator=generator, dtype=torch.float64) + 0.5
                sign = torch.randint(0, 2, o.shape, generator=generator, dtype=torch.float64) * 2 - 1
                projection.append(size * sign)
        if [tuple(r.shape) for r in projection] != [tuple(o.shape) for o in outs]:
            raise gradcheck_adapter.ReturnError(f"{label}'s outputs changed shape between calls: "
                                                f"{[tuple(o.shape) for o in outs]}, first {[tuple(r.shape) for r in projection]}")
        J = sum((r * o).sum() for r, o in zip(projection, outs))
        if not with_gradient:
            return J.item(), None, kept.changed()
        if J.requires_grad:
            try:
                J.backward()
            except RuntimeError as error:
                name, why = _refused(error, list(inputs))
                if name not in leaves or name in refused:
                    raise
                refused[name] = why
                return J_of(values, with_gradient, refused)
        gradient = {}
        for name, t in leaves.items():
            if name in refused:
                gradient[name] = gradcheck_adapter.Unusable(refused[name])
                continue
            if t.grad is None:  # backward returned None for it: 0, right only where J does not move with it
                print(f"gradcheck_torch: {name}.grad is None after backward ({label}'s backward returned None for it, "
                      "or the output does not depend on it); judged as zeros")
            gradient[name] = (t.grad if t.grad is not None else torch.zeros_like(t)).numpy()
        return J.item(), gradient, kept.changed()

    with torch.no_grad():
        J_of(start, False)  # fixes r's shape before any request
    return dict(parameters=start, cost_and_gradient=lambda v: J_of(v, True), cost=lambda v: J_of(v, False), label=label,
                fallback=_backward_of, watch_parameters=False)  # copied into fresh leaves, which _Kept watches
