"""gradcheck's adapters for code with no gradient function: an update step, or scalar autograd.

Both serve named tensors (`gradcheck check --model -- /usr/bin/python3 your_file.py`), J being
what your cost returns; only the gradient is derived here.

An update step (Nielsen's `update_mini_batch(batch, eta)`, any plain SGD step) moves every weight by
−lr·∇J. serve_update calls it at θ and reads the gradient back as (before − after)/lr:

    import gradcheck_nograd
    gradcheck_nograd.serve_update(gradcheck_nograd.lists(net, "weights", "biases"),
                                  step=lambda lr: net.update_mini_batch(batch, lr),
                                  cost=lambda: quadratic_cost(net, batch))   # the mean over the batch

Say the scaling by the cost you give: the step must move the weights by lr·∇cost. Nielsen's step
divides by len(batch), so its cost is the batch's mean; for a summed cost pass scale=1/len(batch)
(the step then moves by lr·scale·∇cost). Weight decay is part of the gradient: put its term in
the cost (Nielsen's network2: cost = net.total_cost(batch, lmbda), n = len(batch)).

The step is called three times per check, each from θ, the weights restored after each call:
twice at `lr` (they must move the weights alike: momentum, Adam's moments or dropout in the step
make the second move differ, and the check stops with exit 3 saying so), then once at a learning
rate 2^k·lr large enough that lr·g dwarfs the weights, so that before − after keeps every digit of
g (at lr, g loses the digits lr·g lacks beside w: ε_mach·|w|/lr; with Nielsen's network.py at
lr = 1e-10 that was a false FAIL, and near a minimum, g ~ 1e-8, at lr = 1e-5 already). The two must
agree to 1e-6 of g: a step that is not linear in lr (one that updates a layer before the error is
propagated through it, clips or projects the weights) stops the check with exit 3, naming the
entry. An adaptive step (Adam) moves by lr·m̂/(√v̂ + ε), not lr·∇J, and fails as it should.

Scalar autograd (micrograd's `Value`: .data, .grad, .backward()) is served by serve_values:

    loss = lambda: sum(((model(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0)) * (1 / len(xs))
    gradcheck_nograd.serve_values({f"layers[{i}]": [n.parameters() for n in layer.neurons]
                                   for i, layer in enumerate(model.layers)}, loss)

Duck-typed: any object with .data, .grad and a .backward() on the loss will do.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradcheck_adapter  # noqa: E402  (keeps stdout for replies from here on)

import numpy as np  # noqa: E402

__all__ = ["serve_update", "gradient_from_step", "lists", "serve_values"]

# The precise call moves the weights by up to this multiple of the largest weight: the rounding of
# before − after then costs g at most 2^-30·ε_mach·max|g|, far below what differences of J resolve.
_REACH = 2.0 ** 30
# A second call at the same θ may differ by this fraction of the largest move (threaded BLAS sums
# in another order); momentum (μ ≥ 1e-6) is far beyond it.
_SAME = 1e-9
# How far g at lr and at 2^k·lr may differ, relative to g and to ε·|w|/lr: float32 steps included.
_LINEAR = 1e-6


class lists:
    """The parameters held in an object's lists of arrays (Nielsen's net.weights, net.biases),
    named "weights[0]", "weights[1]", …, "biases[0]", …: read them, and write them back in place
    (a step may have rebound the lists: the object's current arrays are written)."""

    def __init__(self, owner, *attributes):
        self.owner, self.attributes = owner, attributes

    def get(self):
        return {f"{name}[{i}]": np.array(a, dtype=float) for name in self.attributes
                for i, a in enumerate(getattr(self.owner, name))}

    def set(self, values):
        for name in self.attributes:
            current = getattr(self.owner, name)
            for i in range(len(current)):
                if isinstance(current[i], np.ndarray) and current[i].flags.writeable:
                    current[i][...] = values[f"{name}[{i}]"]
                else:
                    current[i] = values[f"{name}[{i}]"].copy()


class _Arrays:
    """A dict of numpy arrays that the step changes in place."""

    def __init__(self, arrays):
        self.arrays = arrays

    def get(self):
        return {name: np.array(a, dtype=float) for name, a in self.arrays.items()}

    def set(self, values):
        for name, a in self.arrays.items():
            a[...] = values[name]


def _access(params):
    if hasattr(params, "get") and hasattr(params, "set") and not isinstance(params, dict):
        return params
    if isinstance(params, dict):
        return _Arrays(params)
    raise TypeError("params: a dict of numpy arrays the step changes in place, or an object with get() and "
                    "set(values), such as gradcheck_nograd.lists(net, 'weights', 'biases')")


def _moved(access, step, at, lr):
    """before − after of one call of step(lr) from `at`; the parameters are left at `at`."""
    access.set(at)
    step(lr)
    after = access.get()
    access.set(at)
    return {name: at[name] - after[name] for name in at}


def _worst(excess):
    """The name and index of the largest positive entry among the tensors of `excess`."""
    name = max(excess, key=lambda n: excess[n].max(initial=-np.inf))
    index = np.unravel_index(int(np.argmax(excess[name])), excess[name].shape)
    return name, index, f"{name}[{', '.join(map(str, index))}]" if index else name


def _named(step):
    """Where the step is defined, for messages: "your step (nielsen.py line 40)"."""
    code = getattr(step, "__code__", None) or getattr(getattr(step, "__func__", None), "__code__", None)
    return f"your step ({os.path.basename(code.co_filename)} line {code.co_firstlineno})" if code else "your step"


def gradient_from_step(access, step, at, lr=1.0, scale=1.0):
    """∇J at `at` from an SGD step that moves the weights by −lr·scale·∇J (see the module's text)."""
    first, again = _moved(access, step, at, lr), _moved(access, step, at, lr)
    largest = {n: np.max(np.abs(d), initial=0.0) for n, d in first.items()}
    excess = {n: np.abs(again[n] - first[n]) - _SAME * largest[n] - 4 * np.finfo(float).eps * np.abs(at[n])
              for n in at}
    name, index, entry = _worst(excess)
    if excess[name][index] > 0:
        raise RuntimeError(f"{_named(step)} called twice at the same θ moved {entry} by {first[name][index]:.17g} then "
                           f"by {again[name][index]:.17g}: it keeps state (momentum, Adam's moments) or draws random "
                           "numbers (dropout, shuffling); serve_update needs plain SGD, w ← w − lr·∇J")
    g = {n: d / (lr * scale) for n, d in first.items()}
    g_max = max((np.max(np.abs(v), initial=0.0) for v in g.values()), default=0.0)
    w_max = max((np.max(np.abs(v), initial=0.0) for v in at.values()), default=0.0)
    if g_max == 0 or not np.isfinite(g_max):
        return g
    k = int(np.ceil(np.log2(_REACH * max(w_max, 1.0) / (lr * abs(scale) * g_max))))
    if k <= 0:
        return g
    big = lr * 2.0 ** k
    precise = {n: d / (big * scale) for n, d in _moved(access, step, at, big).items()}
    eps = np.finfo(float).eps
    excess = {n: np.abs(precise[n] - g[n]) - _LINEAR * (np.abs(g[n]) + (np.abs(at[n]) + eps) / abs(lr * scale))
              for n in at}
    name, index, entry = _worst(excess)
    if not excess[name][index] <= 0:
        raise RuntimeError(f"{_named(step)} is not linear in the learning rate: (before − after)/lr for {entry} is "
                           f"{g[name][index]:.9g} at lr = {lr:g} and {precise[name][index]:.9g} at lr = {big:g}; a "
                           "plain SGD step moves by lr·∇J. Does it update a layer before propagating the error "
                           "through it, or clip or project the weights?")
    return precise


def _refusing(error, stdin=sys.stdin, stdout=None):
    """Answers every request with `error`, a mistake in how the adapter was called: gradcheck then
    quotes it (exit 3) rather than reporting a process that died before its first reply."""
    replies = stdout if stdout is not None else gradcheck_adapter._capture.replies
    for line in stdin:
        if line.strip():
            request = json.loads(line)
            gradcheck_adapter._send(replies, {"id": request.get("id"), "protocol": 2,
                                              "error": f"{type(error).__name__}: {error}"})


def serve_update(params, step, cost, lr=1.0, scale=1.0, **serving):
    """Serves J = cost() and the gradient that step(lr) applies (`gradcheck check --model`).

    params: a dict of numpy arrays that the step changes in place, or an object with get() → {name:
    array} and set({name: array}) (lists(net, "weights", "biases") for lists held by an object);
    step(lr): one plain SGD step, w ← w − lr·scale·∇cost; cost(): J at the current parameters.
    The parameters are restored after every call."""
    try:
        access = _access(params)
        start = access.get()
        if not lr > 0 or not np.isfinite(lr) or scale == 0 or not np.isfinite(scale):
            raise ValueError(f"lr = {lr!r}, scale = {scale!r}: expected lr > 0 and a finite scale ≠ 0")
    except (TypeError, ValueError) as error:
        return _refusing(error, **serving)

    def at(values, evaluate):
        try:
            access.set(values)
            return evaluate()
        finally:
            access.set(start)

    def cost_and_gradient(values):
        return at(values, cost), at(values, lambda: gradient_from_step(access, step, values, lr, scale))

    gradcheck_adapter.serve_model(start, cost_and_gradient, lambda values: at(values, cost), **serving)


def _leaves(nested, path, out):
    """Appends the Values of a nested list (or numpy object array) to `out`; returns its shape."""
    if hasattr(nested, "data") and hasattr(nested, "grad"):
        out.append(nested)
        return ()
    if isinstance(nested, np.ndarray) and nested.dtype != object:
        raise TypeError(f"{path} holds numbers, not Values (objects with .data and .grad)")
    try:
        items = list(nested)
    except TypeError:
        raise TypeError(f"{path} is {type(nested).__name__}; expected a Value (with .data and .grad) or a list of them")
    shapes = {_leaves(item, f"{path}[{i}]", out) for i, item in enumerate(items)}
    if len(shapes) > 1:
        raise ValueError(f"{path}: ragged nesting (its items have shapes {sorted(shapes)})")
    return (len(items),) + (shapes.pop() if shapes else ())


def _tensors(params):
    """name → (its Values in row-major order, its shape); a Value listed twice is refused."""
    tensors, seen = {}, {}
    for name, nested in params.items():
        values = []
        shape = _leaves(nested, name, values)
        for k, v in enumerate(values):
            where = f"{name}[{', '.join(map(str, np.unravel_index(k, shape)))}]" if shape else name
            if id(v) in seen:
                raise ValueError(f"{where} is the same Value as {seen[id(v)]}: list each parameter once (perturbing "
                                 "one would move the other)")
            seen[id(v)] = where
        tensors[name] = (values, shape)
    if not tensors or not any(values for values, _ in tensors.values()):
        raise ValueError("no Values to check: params is empty")
    return tensors


def serve_values(params, loss, **serving):
    """Serves scalar autograd (micrograd's Value): `params` maps each name to a Value or a nested list
    of Values (a plain list: one tensor named "parameters"); `loss()` builds the loss Value from
    them. The gradient is what loss().backward() leaves in each parameter's .grad (zeroed first)."""
    try:
        tensors = _tensors(params if isinstance(params, dict) else {"parameters": params})
    except (TypeError, ValueError) as error:
        return _refusing(error, **serving)

    def load(arrays):
        for name, (values, _) in tensors.items():
            for v, x in zip(values, np.ravel(arrays[name])):
                v.data = float(x)

    start = {name: np.array([v.data for v in values], dtype=float).reshape(shape) for name, (values, shape) in tensors.items()}

    def evaluate(arrays, backward):
        load(arrays)
        try:
            for values, _ in tensors.values():
                for v in values:
                    v.grad = 0.0
            out = loss()
            if not hasattr(out, "data"):
                raise TypeError(f"loss() returned {type(out).__name__}; expected a Value (with .data and .backward())")
            if not backward:
                return float(out.data)
            out.backward()
            return float(out.data), {name: np.array([float(v.grad) for v in values]).reshape(shape)
                                     for name, (values, shape) in tensors.items()}
        finally:
            load(start)

    gradcheck_adapter.serve_model(start, lambda arrays: evaluate(arrays, True), lambda arrays: evaluate(arrays, False),
                                  **serving)
