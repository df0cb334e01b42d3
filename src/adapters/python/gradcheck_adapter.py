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


_capture = _Capture()


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
    """The reply to a request, `evaluate(problem, parameters, want)` giving one (J, gradient or None)."""
    want = request.get("want", ["J", "gradient"])
    many = "at" in request
    results = [evaluate(session.problem, parameters, want) for parameters in session.evaluations(request)]
    reply = {"id": request["id"], "protocol": 2, "encodings": ["base64"]}
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
    def evaluate(problem, theta, want):
        spec = {key: problem[key] for key in ("sizes", "activations", "cost", "labels", "conventions")}
        spec["want"] = want
        J, gradient = function(theta, problem["X"].copy(), problem["Y"].copy(), float(problem["lambda"]), spec)
        if np.ndim(J) != 0:
            raise TypeError(f"the function returned J with shape {np.shape(J)}; expected one number")
        if "gradient" in want and not isinstance(theta, dict) and len(gradient) != len(theta):
            raise TypeError(f"the function returned {len(gradient)} gradient matrices; expected {len(theta)}, "
                            "one per Θ^(l)")
        return J, gradient
    return evaluate


def _located(error):
    """The error as its author should read it: the last frame in their own file, then the message."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if os.path.abspath(f.filename) != os.path.abspath(__file__)]
    where = f"{os.path.basename(frames[-1].filename)} line {frames[-1].lineno}: " if frames else ""
    return f"{where}{type(error).__name__}: {error}"


def _error_reply(request, error):
    """The reply saying the user's code raised `error` (its traceback goes to stderr)."""
    traceback.print_exc(file=sys.stderr)
    return {"id": request.get("id"), "protocol": 2, "error": _located(error)}


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
            reply = _error_reply(request, error)
        _send(replies, reply)


def _moved(values, size):
    """The parameters a request moves a model to ("values": flat, in the order declared)."""
    moved = _vector(values)
    if moved.size != size:
        raise ValueError(f'a request with {moved.size} "values"; expected {size}, one per parameter declared')
    return moved


def serve_model(parameters, cost_and_gradient, cost=None, stdin=sys.stdin, stdout=None):
    """Serves a model of named tensors (`gradcheck check --model`): `parameters` maps each name to
    a numpy array of any shape (its value where the gradient is checked), in the order to report;
    `cost_and_gradient(params)` returns (J, {name: gradient shaped like the parameter}) for a dict
    of arrays like `parameters`; `cost(params)`, if given, returns J alone (else the gradient is
    computed and dropped)."""
    replies = stdout if stdout is not None else _capture.replies
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

    J_only = cost if cost is not None else (lambda params: cost_and_gradient(params)[0])
    for line in stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = {"id": request["id"], "protocol": 2}
            if "at" in request:
                directions = [np.asarray(v, dtype=float) for v in request.get("directions", [])]
                values = []
                for index, step in request["at"]:
                    point = flat.copy()
                    if directions:
                        point += float(step) * directions[int(index)]
                    else:
                        point[int(index)] += float(step)
                    values.append(_number(J_only(unflat(point))))
                reply["J"] = values
            else:
                if "values" in request:  # gradcheck --jitter: checked here from now on, "at" perturbs it
                    flat = _moved(request["values"], flat.size)
                J, gradient = cost_and_gradient(unflat(flat))
                reply["parameters"] = [{"name": name, "shape": list(shape), "values": [_number(v) for v in flat_part]}
                                       for name, shape, flat_part in zip(names, shapes, np.split(flat, np.cumsum(sizes)[:-1]))]
                reply["J"] = _number(J)
                missing = [name for name in names if name not in gradient]
                if missing:
                    raise TypeError(f"the gradient has no entry for {', '.join(missing)}; expected one per parameter")
                reply["gradient"] = {name: [_number(v) for v in np.asarray(gradient[name], dtype=float).ravel()]
                                     for name in names}
        except Exception as error:  # the user's code failed: say so in the reply, keep serving
            reply = _error_reply(request, error)
        _send(replies, reply)
