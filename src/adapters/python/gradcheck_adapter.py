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

__all__ = ["serve", "serve_model", "model_handler", "Session", "answer"]

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


# Models of named tensors (`gradcheck check --model`) live beside this file; imported last, as they
# use what is above (a module imported part-way has these names already).
from gradcheck_model import ReturnError, Unusable, model_handler, serve_model  # noqa: E402,F401
