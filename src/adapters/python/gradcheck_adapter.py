"""gradcheck's Python adapter: serve your cost-and-gradient function over gradcheck's protocol.

Write one function and hand it to serve():

    import gradcheck_adapter

    def cost_and_gradient(theta, X, Y, lam, spec):
        # theta: list of numpy arrays, theta[l-1] is Θ^(l), s_(l+1) × (s_l + 1), bias column first
        # X: m × s_1 (one example per row); Y: m × s_L (one-hot rows for class labels)
        # lam: λ; spec: dict with "sizes", "activations", "cost", "labels" (1..K or None),
        #       "want" (["J"], ["gradient"] or both: you may skip what is not wanted),
        #       "conventions" ({"layout", "regularization", "reduction"}: with --layout w-out-in or
        #       w-in-out, theta is {"W": [W1, …], "b": [b1, …]} and you return {"W": [dW1, …], "b": [db1, …]})
        ...
        return J, [D1, D2, ...]  # D[l-1] has Θ^(l)'s shape

    gradcheck_adapter.serve(cost_and_gradient)

then run `gradcheck check -- /usr/bin/python3 your_file.py`. The protocol is in docs/protocol.md:
one JSON request per line on stdin, one JSON reply per line on stdout. This adapter speaks its
version 2: the problem (X, Y, λ, …) arrives once, and later requests carry only a new θ or many
points near it, each of which is one call of your function.

Your code may print: from the moment this module is imported, the process's stdout (file
descriptor 1, so print(), sys.stdout and C extensions alike) goes to a capture file, and the
replies go to a private copy of the original stdout. What your code printed travels in the
reply's "output" field; gradcheck shows it as a hint and never judges it. Import this module
before anything prints.
"""

import base64
import json
import math
import os
import sys
import tempfile
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradcheck_watch  # noqa: E402  (beside this file)

__all__ = ["serve", "serve_model", "Session", "answer"]

_OUTPUT_KEPT = 64 << 10


class _Capture:
    """Keeps fd 1 for the user's printing (read back per request) and a private fd for replies."""

    def __init__(self):
        sys.stdout.flush()
        self.replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
        self.file = tempfile.TemporaryFile()
        os.dup2(self.file.fileno(), 1)
        self.read_up_to = 0

    def take(self):
        """What was printed since the last call (at most 64 KiB of it) and its full size."""
        sys.stdout.flush()
        sys.stderr.flush()
        end = os.fstat(self.file.fileno()).st_size
        size = end - self.read_up_to
        text = os.pread(self.file.fileno(), min(size, _OUTPUT_KEPT), self.read_up_to) if size > 0 else b""
        self.read_up_to = end
        if end > (64 << 20):  # keep the capture file small however much is printed
            os.ftruncate(self.file.fileno(), 0)
            os.lseek(self.file.fileno(), 0, os.SEEK_SET)
            self.read_up_to = 0
        return text.decode("utf-8", "replace"), size


def _in_process():
    """Imported by gradcheck's Python package (`import gradcheck`), which answers in the caller's
    own process: nothing is served over stdout then, and what the caller prints stays theirs."""
    return getattr(sys.modules.get("gradcheck"), "IN_PROCESS", False)


_capture = None if _in_process() else _Capture()


def _number(x):
    """JSON has no NaN or infinity: gradcheck reads them as strings."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _decoded(value):
    """An array sent as {"base64": little-endian doubles, row-major, "shape": [...]}, or None."""
    if isinstance(value, dict) and "base64" in value:
        return np.frombuffer(base64.b64decode(value["base64"]), dtype="<f8").astype(float).reshape(value["shape"])
    return None


def _array(rows):
    decoded = _decoded(rows)
    if decoded is not None:
        return decoded.reshape(decoded.shape[0], -1)
    try:
        return np.array(rows, dtype=float).reshape(len(rows), -1)  # numpy reads the nested lists at C speed
    except (TypeError, ValueError):  # "NaN" and the like as strings, or ragged rows
        return np.array([[float(v) for v in row] for row in rows], dtype=float).reshape(len(rows), -1)


def _vector(values):
    decoded = _decoded(values)
    return decoded.ravel() if decoded is not None else np.array(values, dtype=float).ravel()


class Session:
    """What version 2 of the protocol lets a request leave out: the problem sent last, and θ.

    evaluations(request) gives, for any request, the parameters of each evaluation it asks for
    (one, or one per point of "at"): a list of numpy matrices Θ^(l), or in a W, b layout
    (problem["conventions"]["layout"] is "w-out-in" or "w-in-out") a dict {"W": [...], "b": [...]}.
    """

    def __init__(self):
        self.problem = None
        self.arrays = None  # the parameters last sent, in the protocol's order: every Θ, or every W then every b
        self.split = False  # W and b apart

    def evaluations(self, request):
        if "sizes" in request:  # a whole request: a new problem
            self.problem = {key: request.get(key) for key in ("sizes", "activations", "cost", "lambda", "labels")}
            self.problem["conventions"] = request.get("conventions") or {"layout": "theta", "regularization": "course",
                                                                          "reduction": "mean"}
            self.problem["X"] = _array(request["X"])
            self.problem["Y"] = _array(request["Y"])
        elif self.problem is None:
            raise ValueError("a request without the problem before any request with it")
        if "theta" in request or "W" in request:
            self.split = "W" in request
            self.arrays = ([_array(W) for W in request["W"]] + [_vector(b) for b in request["b"]]
                           if self.split else [_array(layer) for layer in request["theta"]])
            return [self._parameters([a.copy() for a in self.arrays])]  # the user's code may change what it is given
        if "at" not in request or self.arrays is None:
            raise ValueError('a request with neither parameters nor "at" after them')
        flat = np.concatenate([a.ravel() for a in self.arrays])  # the protocol's order: row by row
        directions = [_vector(v) for v in request.get("directions", [])]
        points = []
        for index, step in request["at"]:
            point = flat.copy()
            if directions:
                point += float(step) * directions[int(index)]
            else:
                point[int(index)] += float(step)
            arrays, at = [], 0
            for a in self.arrays:
                arrays.append(point[at:at + a.size].reshape(a.shape))
                at += a.size
            points.append(self._parameters(arrays))
        return points

    def _parameters(self, arrays):
        if not self.split:
            return arrays
        half = len(arrays) // 2
        return {"W": arrays[:half], "b": arrays[half:]}


def answer(request, session, evaluate):
    """The reply to a request, `evaluate(problem, parameters, want)` giving one (J, gradient or None)
    or (J, gradient, changed): the "changed" entries of gradcheck_watch.Watched, sent in the reply."""
    want = request.get("want", ["J", "gradient"])
    many = "at" in request
    reply = {"id": request["id"], "protocol": 2, "encodings": ["base64"]}
    results = []
    for parameters in session.evaluations(request):
        J, gradient, *changed = evaluate(session.problem, parameters, want)
        gradcheck_watch.note_changed(reply, changed[0] if changed else None)
        results.append((J, gradient))
    if many:
        reply["J"] = [_number(J) for J, _ in results]
        return reply
    J, gradient = results[0]
    reply["J"] = _number(J)
    if "gradient" in want:
        rows = lambda D: [[_number(v) for v in row] for row in np.atleast_2d(D)]  # noqa: E731
        if session.split:
            dW, db = (gradient["W"], gradient["b"]) if isinstance(gradient, dict) else gradient
            reply["dW"] = [rows(D) for D in dW]
            reply["db"] = [[_number(v) for v in np.ravel(d)] for d in db]
        else:
            reply["gradient"] = [rows(D) for D in gradient]
    return reply


def _evaluator(function):
    kept = {}  # X and Y of the problem last sent, handed to every call without a copy (gradcheck_watch.Kept)

    def evaluate(problem, theta, want):
        for key in ("X", "Y"):
            if key not in kept or kept[key].pristine is not problem[key]:
                kept[key] = gradcheck_watch.Kept(problem[key])
        spec = {key: problem[key] for key in ("sizes", "activations", "cost", "labels", "conventions")}
        spec["want"] = want
        watched = gradcheck_watch.Watched(function)
        if isinstance(theta, dict):
            for key in ("W", "b"):
                watched.give("theta", theta[key], [f'theta["{key}"][{l}]' for l in range(len(theta[key]))],
                             "the caller's θ changes")
        else:
            watched.give("theta", theta, [f"theta[{l}]" for l in range(len(theta))], "the caller's θ changes")
        X, Y = watched.give("X", kept["X"], why="the caller's data changes"), watched.give(
            "Y", kept["Y"], why="the caller's targets change")
        J, gradient = function(theta, X, Y, float(problem["lambda"]), spec)
        if np.ndim(J) != 0:
            raise TypeError(f"the function returned J with shape {np.shape(J)}; expected one number")
        if "gradient" in want:
            _check_layers(gradient, theta)
        return J, gradient, watched.changed()
    return evaluate


def _check_layers(gradient, theta):
    """A gradient of one array per layer, each of its layer's shape, or a TypeError naming the
    first layer that is not (gradcheck would only say "a gradient for Θ^(2) that is 3 rows")."""
    pairs = ([(f'gradient["{key}"][{l}]', g, t) for key in ("W", "b") if isinstance(gradient, dict)
              for l, (g, t) in enumerate(zip(gradient.get(key, []), theta[key]))] if isinstance(theta, dict) else [])
    if not isinstance(theta, dict):
        if gradient is None or not hasattr(gradient, "__len__") or len(gradient) != len(theta):
            got = "None" if gradient is None else f"{len(gradient)} gradient matrices" if hasattr(gradient, "__len__") \
                else f"a {type(gradient).__name__}"
            raise TypeError(f"the function returned {got}; expected {len(theta)}, one per Θ^(l)")
        pairs = [(f"gradient[{l}]", g, t) for l, (g, t) in enumerate(zip(gradient, theta))]
    for name, g, t in pairs:
        if g is None:
            raise TypeError(f"{name} is None; expected an array of shape {np.shape(t)}, like theta's")
        if np.size(g) != np.size(t):
            raise TypeError(f"{name} has shape {np.shape(g)}; expected {np.shape(t)}, the shape of its layer's parameters")


def _error_reply(request, error, fallback=None):
    """The reply saying the user's code raised `error` (its traceback goes to stderr), told from
    the deepest line in their own files (gradcheck_watch.located)."""
    traceback.print_exc(file=sys.stderr)
    return {"id": request.get("id"), "protocol": 2, "error": gradcheck_watch.located(error, fallback)}


def _send(replies, reply):
    """Writes one reply line, with what the user's code printed meanwhile."""
    output, size = _capture.take()
    if size:
        reply["output"] = output
    replies.write(json.dumps(reply) + "\n")
    replies.flush()


def serve(function, stdin=sys.stdin, stdout=None):
    """Answers gradcheck's requests with `function` until stdin closes."""
    replies = stdout if stdout is not None else _capture.replies
    session = Session()
    evaluate = _evaluator(function)
    for line in stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = answer(request, session, evaluate)
        except Exception as error:  # the user's code failed: say so in the reply, keep serving
            reply = _error_reply(request, error, lambda _: gradcheck_watch.defined_at(function))
        _send(replies, reply)


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
    replies = stdout if stdout is not None else _capture.replies
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

    def unflat(vector):
        out, at = {}, 0
        for name, shape, size in zip(names, shapes, sizes):
            out[name] = vector[at:at + size].reshape(shape).copy()
            at += size
        return out

    def called(function, reply, params):
        """function(params), what it changed noted in `reply`; its result without that."""
        watched = gradcheck_watch.Watched(label)
        if watch_parameters:
            watched.give("params", [params[name] for name in names], [f"params[{name!r}]" for name in names],
                         "the caller's parameters change")
        result = function(params)
        many = isinstance(result, tuple) and len(result) == 3
        gradcheck_watch.note_changed(reply, watched.changed() + (result[2] if many else []))
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
                J = called(J_only, reply, unflat(point))
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
