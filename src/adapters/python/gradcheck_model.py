"""gradcheck's Python adapter for models of named tensors (`gradcheck check --model`): serve_model()
over the protocol, model_handler() for one request (the in-process package answers with it too).

    import gradcheck_adapter
    gradcheck_adapter.serve_model({"W": W, "b": b}, cost_and_gradient)

Part of gradcheck_adapter (which imports it, and whose capture and replies it uses): import that.
"""

import base64
import json
import sys

import numpy as np

import gradcheck_adapter
import gradcheck_watch
from gradcheck_adapter import _error_reply, _number, _send, _vector

__all__ = ["serve_model", "model_handler", "ReturnError", "Unusable"]


class Unusable:
    """A tensor's gradient that cannot be compared, with why (gradcheck_torch: one torch refused)."""

    def __init__(self, why):
        self.why = why


def _tensor_gradient(name, gradient, shape, function):
    """One tensor's gradient as a flat list of numbers, or why it cannot be compared ("the
    gradient is a scalar; expected shape (5,)"): gradcheck fails that tensor alone and still judges
    the others."""
    if isinstance(gradient, Unusable):
        return None, gradient.why
    if gradient is None:
        return None, f"the gradient is None ({function} returned None for {name}); expected shape {shape}"
    if isinstance(gradient, (str, bytes)):
        return None, f"the gradient is a {type(gradient).__name__}, not numbers; expected shape {shape}"
    try:
        values = np.asarray(_detached(gradient), dtype=float)
    except (TypeError, ValueError):
        return None, f"the gradient is a {type(gradient).__name__}, not numbers; expected shape {shape}"
    if values.ndim == 0 and shape != ():
        return None, f"the gradient is a scalar; expected shape {shape}"
    if values.shape != shape:
        # The same entries in another shape pass only where a step p − lr·g keeps p's shape ((out,)
        # for a (1, out) bias); (3, 1) for a (3,) bias would broadcast the step to (3, 3).
        if values.size != np.prod(shape, dtype=int):
            return None, f"the gradient has shape {values.shape}; expected shape {shape}"
        stepped = np.broadcast_shapes(shape, values.shape) if _broadcastable(shape, values.shape) else None
        if stepped != tuple(shape):
            return None, (f"the gradient has shape {values.shape}; expected shape {shape}"
                          + (f" (a step {name} − lr·g would make {name} {stepped})" if stepped else ""))
    return _numbers(values), None


def _numbers(values):
    """A flat array for a reply: base64 of its little-endian doubles ({"base64", "shape"}, which
    gradcheck reads exactly and fast) beyond a few numbers, JSON numbers below."""
    flat = np.ascontiguousarray(np.ravel(values), dtype="<f8")
    if flat.size <= 16:
        return [_number(v) for v in flat]
    return {"base64": base64.b64encode(flat.tobytes()).decode("ascii"), "shape": [int(flat.size)]}


def _broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def _detached(x):
    """A torch tensor as numpy (detached from autograd, on the CPU); anything else as it is."""
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):
        return x.detach().cpu().numpy()
    return x


def _moved(values, size):
    """The parameters a request moves a model to ("values": flat, in the order declared)."""
    moved = _vector(values)
    if moved.size != size:
        raise ValueError(f'a request with {moved.size} "values"; expected {size}, one per parameter declared')
    return moved


def serve_model(parameters, cost_and_gradient, cost=None, stdin=sys.stdin, stdout=None, label=None, fallback=None,
                watch_parameters=True):
    """Serves a model of named tensors (`gradcheck check --model`): `parameters` maps each name to
    a numpy array of any shape (its value where the gradient is checked), in the order to report;
    `cost_and_gradient(params)` returns (J, {name: gradient shaped like the parameter}) for a dict
    of arrays like `parameters`; `cost(params)`, if given, returns J alone (else the gradient is
    computed and dropped).

    Either may return a third value, the "changed" entries of gradcheck_watch.Watched for what it
    changed of inputs it owns (gradcheck_torch does so); the arrays in `params` are watched here.
    `label` names the user's code in those sentences, `fallback` locates an error that has no
    frame in the user's files (gradcheck_watch.located). `watch_parameters=False` leaves out the
    watch of `params`, for functions that only copy them into what they watch themselves."""
    replies = stdout if stdout is not None else gradcheck_adapter._capture.replies
    handle = model_handler(parameters, cost_and_gradient, cost, label, watch_parameters)
    for line in stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = handle(request)
        except Exception as error:  # the user's code failed: say so in the reply, keep serving
            reply = _error_reply(request, error, fallback)
        _send(replies, reply)


class ReturnError(TypeError):
    """What the user's function returned cannot be read (a gradient that is not a dict, J that is
    not one number): said in the reply as the implementation's failure. In process (`import
    gradcheck`) it is reported, where an exception the user's own code raises propagates."""


def model_handler(parameters, cost_and_gradient, cost=None, label=None, watch_parameters=True):
    """The reply to each request of a model check, as serve_model() sends it: `handle(request)`
    for a parsed request, raising whatever the user's functions raise (ReturnError for what they
    returned that cannot be read)."""
    label = label or getattr(cost_and_gradient, "__name__", "cost_and_gradient")
    names = list(parameters)
    shapes = [np.shape(parameters[name]) for name in names]
    sizes = [int(np.prod(shape)) for shape in shapes]
    flat = np.concatenate([np.asarray(parameters[name], dtype=float).ravel() for name in names])

    def unflat(vector, copy=True):
        """The arrays of `vector`: copies, or views of a point made for one call (copy=False)."""
        out, at = {}, 0
        for name, shape, size in zip(names, shapes, sizes):
            part = vector[at:at + size].reshape(shape)
            out[name] = part.copy() if copy else part
            at += size
        return out

    def called(function, reply, params):
        """function(params), what it changed noted in `reply`; its result without that."""
        watched = gradcheck_watch.Watched(label) if watch_parameters else None
        if watched:
            watched.give("params", [params[name] for name in names], [f"params[{name!r}]" for name in names],
                         "the caller's parameters change")
        result = function(params)
        many = isinstance(result, tuple) and len(result) == 3
        gradcheck_watch.note_changed(reply, (watched.changed() if watched else []) + (result[2] if many else []))
        return result[:2] if many else result

    J_only = cost if cost is not None else (lambda params: cost_and_gradient(params)[0])

    def handle(request):
        nonlocal flat
        reply = {"id": request["id"], "protocol": 2, "encodings": ["base64"]}
        if "at" in request:
            directions = [_vector(v) for v in request.get("directions", [])]
            values = []
            for index, step in request["at"]:
                point = flat.copy()
                if directions:
                    point += float(step) * directions[int(index)]
                else:
                    point[int(index)] += float(step)
                J = called(J_only, reply, unflat(point, copy=False))  # point: this call's own
                values.append(_number(_one_number(J[0] if isinstance(J, tuple) else J, label)))
            reply["J"] = values
            return reply
        if "values" in request:  # gradcheck --jitter: checked here from now on, "at" perturbs it
            flat = _moved(request["values"], flat.size)
        result = called(cost_and_gradient, reply, unflat(flat))
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ReturnError(f"{label} returned {'a ' + type(result).__name__ if not isinstance(result, (tuple, list)) else f'{len(result)} values'}; "
                              "expected two: J and a dict {name: gradient}")
        J, gradient = result
        reply["parameters"] = [{"name": name, "shape": list(shape), "values": _numbers(flat_part)}
                               for name, shape, flat_part in zip(names, shapes, np.split(flat, np.cumsum(sizes)[:-1]))]
        reply["J"] = _number(_one_number(J, label))
        if not isinstance(gradient, dict):
            raise ReturnError(f"{label} returned a gradient that is {'None' if gradient is None else 'a ' + type(gradient).__name__}; "
                              f"expected a dict {{name: array}}, one per parameter ({', '.join(names)})")
        unknown = [key for key in gradient if key not in names]
        if unknown:
            raise ReturnError(f"{label} returned a gradient for {unknown[0]!r}, which is not among the parameters "
                              f"({', '.join(map(repr, names))})")
        reply["gradient"], errors = {}, {}
        for name, shape in zip(names, shapes):
            if name not in gradient:
                errors[name] = f"the gradient has no entry for {name} ({label} returned none); expected shape {shape}"
                continue
            values, why = _tensor_gradient(name, gradient[name], shape, label)
            if why:
                errors[name] = why
            else:
                reply["gradient"][name] = values
        if errors:
            reply["gradient_errors"] = errors
        return reply

    return handle


def _one_number(J, label):
    """J as one float, or a ReturnError saying what it is instead."""
    if isinstance(J, (str, bytes)) or J is None:
        raise ReturnError(f"{label} returned J as {'None' if J is None else 'a ' + type(J).__name__}; expected one number")
    try:
        value = np.asarray(_detached(J), dtype=float)
    except (TypeError, ValueError):
        raise ReturnError(f"{label} returned J as a {type(J).__name__}; expected one number") from None
    if value.size != 1:
        raise ReturnError(f"{label} returned J with shape {value.shape}; expected one number (a sum or a mean)")
    return value.item()
