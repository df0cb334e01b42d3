"""gradcheck's Python adapter: serve your cost-and-gradient function over gradcheck's protocol.

Write one function and hand it to serve():

    import gradcheck_adapter

    def cost_and_gradient(theta, X, Y, lam, spec):
        # theta: list of numpy arrays, theta[l-1] is Θ^(l), s_(l+1) × (s_l + 1), bias column first
        # X: m × s_1 (one example per row); Y: m × s_L (one-hot rows for class labels)
        # lam: λ; spec: dict with "sizes", "activations", "cost", "labels" (1..K or None),
        #       "want" (["J"], ["gradient"] or both: you may skip what is not wanted)
        ...
        return J, [D1, D2, ...]  # D[l-1] has Θ^(l)'s shape

    gradcheck_adapter.serve(cost_and_gradient)

then run `gradcheck check -- /usr/bin/python3 your_file.py`. The protocol is in docs/protocol.md:
one JSON request per line on stdin, one JSON reply per line on stdout. Keep stdout for replies:
print diagnostics to stderr.
"""

import json
import math
import sys
import traceback

import numpy as np

__all__ = ["serve"]


def _number(x):
    """JSON has no NaN or infinity: gradcheck reads them as strings."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _array(rows):
    return np.array([[float(v) for v in row] for row in rows], dtype=float).reshape(len(rows), -1)


def _reply(request, function):
    theta = [_array(layer) for layer in request["theta"]]
    X = _array(request["X"])
    Y = _array(request["Y"])
    spec = {key: request.get(key) for key in ("sizes", "activations", "cost", "labels", "want")}
    J, gradient = function(theta, X, Y, float(request["lambda"]), spec)
    reply = {"id": request["id"], "J": _number(J)}
    if "gradient" in request["want"]:
        reply["gradient"] = [[[_number(v) for v in row] for row in np.atleast_2d(D)] for D in gradient]
    return reply


def serve(function, stdin=sys.stdin, stdout=sys.stdout):
    """Answers gradcheck's requests with `function` until stdin closes."""
    for line in stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = _reply(request, function)
        except Exception as error:  # the user's code failed: say so in the reply, keep serving
            traceback.print_exc(file=sys.stderr)
            reply = {"id": request.get("id"), "error": f"{type(error).__name__}: {error}"}
        stdout.write(json.dumps(reply) + "\n")
        stdout.flush()
