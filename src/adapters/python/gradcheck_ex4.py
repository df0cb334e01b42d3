"""gradcheck's driver for the course's Python edition of ex4: serves the student's nnCostFunction.

    python3 gradcheck_ex4.py PATH      (PATH: a .py file, a notebook .ipynb, or a folder holding one)

The edition's exact call is made, unchanged:

    J, grad = nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_)

with nn_params = np.concatenate([Theta1.ravel(), Theta2.ravel()]) (numpy's row-major order), y the
labels 0 … K − 1 as a 1-D integer array, and grad read back the same way. From the student's file
only the imports, the function (and class) definitions and the assignments that call nothing but
numpy or math (`sigmoid = lambda z: …`, `EPS = 1e-8`) are taken, cell by cell for a notebook:
nothing else in it runs, so loading data, training or plotting cells cost nothing and cannot fail
the check. A module that is not installed here (matplotlib, scipy) is replaced by a stand-in that
fails only if the function really uses it. `import utils` gets the student's utils.py when it is
there (its definitions only), else the course's sigmoid.

Speaks gradcheck's protocol (docs/protocol.md) through gradcheck_adapter's capture, so whatever
the student prints travels in the reply's "output" field and never mixes with the replies.
"""

import builtins
import json
import os
import sys

import gradcheck_adapter  # before anything prints: fd 1 becomes the capture file
import gradcheck_watch
import numpy as np
from gradcheck_ex4_load import StudentError, load



def _located(error):
    """The error as the student should read it: their file (and cell) and line first, then the
    message and the line's text (gradcheck_watch.located: the deepest frame in their own files)."""
    if isinstance(error, StudentError):
        return str(error)
    if isinstance(error, SystemExit):
        frame = gradcheck_watch.user_frame(error)
        where = ""
        if frame is not None:
            where = f"{os.path.basename(frame.filename) if os.path.isabs(frame.filename) else frame.filename} line {frame.lineno}"
            where += f" (in {frame.name}): " if frame.name != "<module>" else ": "
        code = f" with {error.code!r}" if error.code not in (None, 0) else ""
        called = "os._exit()" if isinstance(error, _OsExit) else "exit()"
        return f"{where}nnCostFunction called {called}{code}; it must return J, grad"
    return gradcheck_watch.located(error)


def _shape(a):
    return " x ".join(str(d) for d in np.shape(a)) or "scalar"


def _returned(result, sizes):
    """J and (Theta1_grad, Theta2_grad) from what nnCostFunction returned, or a StudentError saying what is wrong."""
    s1, s2, s3 = sizes
    n1, n2 = s2 * (s1 + 1), s3 * (s2 + 1)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        what = f"a {type(result).__name__}" if not isinstance(result, (tuple, list)) else f"{len(result)} values"
        raise StudentError(f"nnCostFunction returned {what}; expected two: return J, grad")
    J, grad = result
    if J is None or grad is None:
        raise StudentError(f"nnCostFunction returned {'J' if J is None else 'grad'} = None; expected "
                           + ("one number (the cost)" if J is None else "a vector: np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])"))
    try:
        J = np.asarray(J)
        if J.dtype == object:
            raise TypeError
    except Exception:
        raise StudentError(f"nnCostFunction returned J as a {type(result[0]).__name__}; expected one number")
    if J.size != 1:
        raise StudentError(f"nnCostFunction returned J with shape ({_shape(J)}); expected one number "
                           "(sum over the m examples and the K classes: np.sum(...))")
    if np.iscomplexobj(J):
        raise StudentError("nnCostFunction returned a complex J; expected a real number")
    if isinstance(grad, (tuple, list)) and len(grad) > 0 and all(np.ndim(g) == 2 for g in grad):
        raise StudentError(f"nnCostFunction returned grad as a {type(grad).__name__} of {len(grad)} matrices; expected "
                           "one vector: np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])")
    try:
        grad = np.asarray(grad, dtype=float)
    except (TypeError, ValueError):
        raise StudentError(f"nnCostFunction returned grad as a {type(result[1]).__name__}; expected a vector of numbers")
    if grad.size != n1 + n2 or sum(d != 1 for d in grad.shape) > 1:
        message = (f"nnCostFunction returned grad with shape ({_shape(grad)}); expected {n1 + n2} = {n1} + {n2} entries "
                   f"in one vector (np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()]), Theta1_grad {s2} x {s1 + 1} "
                   f"and Theta2_grad {s3} x {s2 + 1})")
        if grad.size == n1 and n1 != n2:
            message += "; it holds as many as Theta1_grad alone: is Theta2_grad missing from grad?"
        elif grad.size == n2 and n1 != n2:
            message += "; it holds as many as Theta2_grad alone: is Theta1_grad missing from grad?"
        raise StudentError(message)
    grad = grad.ravel()
    return float(J.real.item()), grad[:n1].reshape(s2, s1 + 1), grad[n1:].reshape(s3, s2 + 1)


def _evaluator(function):
    """One call of the student's nnCostFunction, given the problem and Θ^(1), Θ^(2)."""
    kept = {}  # X and y of the problem last sent, handed to every call without a copy (gradcheck_watch.Kept)

    def evaluate(problem, theta, want):
        sizes = [int(s) for s in problem["sizes"]]
        if len(sizes) != 3 or problem.get("cost") != "sigmoid-logistic" or any(a != "sigmoid" for a in problem["activations"]):
            raise StudentError("nnCostFunction takes the course's network: 3 layers, sigmoid units, the logistic cost")
        if problem.get("labels") is None:
            raise StudentError("nnCostFunction takes class labels y in 0..K-1; the request has none")
        nn_params = np.concatenate([theta[0].reshape(sizes[1], sizes[0] + 1).ravel(),
                                    theta[1].reshape(sizes[2], sizes[1] + 1).ravel()])
        if kept.get("of") is not problem["X"]:
            kept.update({"of": problem["X"], "X": gradcheck_watch.Kept(problem["X"].reshape(-1, sizes[0])),
                         "y": gradcheck_watch.Kept(np.array(problem["labels"], dtype=int) - 1)})
        X, y = kept["X"].array, kept["y"].array
        before = nn_params.copy()
        J, G1, G2 = _returned(function(nn_params, sizes[0], sizes[1], sizes[2], X, y, float(problem["lambda"])), sizes)
        return J, (G1, G2), _changed((before, kept["X"], kept["y"]), (nn_params, X, y), sizes)
    return evaluate


def _changed(kept, given, sizes):
    """What nnCostFunction changed of nn_params, X and y (the protocol's "changed"), nn_params told
    as the edition's Theta1 and Theta2 (its reshapes: views, so assigning into them writes into
    nn_params, and the caller's θ, scipy.optimize's, changes). X and y are gradcheck_watch.Kept:
    compared with their pristine copies, and made pristine again for the next call."""
    n1 = sizes[1] * (sizes[0] + 1)
    shapes = (sizes[1], sizes[0] + 1), (sizes[2], sizes[1] + 1)
    before, after = kept[0], given[0]
    if after.shape != before.shape or after.dtype != before.dtype:  # nn_params.shape = (P, 1), in place
        return [{"input": "nn_params", "says": f"nnCostFunction changes nn_params in place: its shape {before.shape} "
                 f"and type {before.dtype} became {after.shape} and {after.dtype} (an assignment to nn_params.shape "
                 "or .dtype); the caller's θ changes, so an optimizer calling it gets back another array "
                 "(reshape a copy: nn_params.reshape(…))"}] + _changed((before, kept[1], kept[2]),
                                                                       (before, given[1], given[2]), sizes)
    said = gradcheck_watch.changes(["Theta1", "Theta2"], [before[:n1].reshape(shapes[0]), before[n1:].reshape(shapes[1])],
                                   [after[:n1].reshape(shapes[0]), after[n1:].reshape(shapes[1])])
    out = []
    if said:
        out.append({"input": "nn_params", "says": f"nnCostFunction changes nn_params in place: {said} (Theta1 and Theta2 "
                    "reshaped from nn_params are views of it: assigning into them writes into nn_params); the caller's θ "
                    "changes, so an optimizer calling it moves from other weights than it holds (copy first: "
                    "Theta1 = ….copy())"})
    for name, kept_input, why in (("X", kept[1], "the caller's data changes"), ("y", kept[2], "the caller's labels change")):
        said = kept_input.restored(name)
        if said:
            out.append({"input": name, "says": f"nnCostFunction changes {name} in place: {said}; {why}"})
    return out


class _OsExit(SystemExit):
    """os._exit, raised instead of ending the process: the check says where it was called."""


def _os_exit(status=0):
    raise _OsExit(status)


def main():
    requests = sys.stdin
    sys.stdin = open(os.devnull)           # input() in the student's code reads nothing, never a request
    builtins.input = lambda *args, **kwargs: ""
    sys.breakpointhook = lambda *args, **kwargs: None   # breakpoint() left in: nobody is at the prompt
    os.environ["PYTHONBREAKPOINT"] = "0"
    os._exit = _os_exit  # it would end the check with no reply, and no file or line to show
    np.seterr(all="ignore")  # log(0) and the like give nan or inf, which gradcheck reports as such
    try:
        function = load(sys.argv[1])
        failure = None
    except BaseException as error:  # the file itself fails: every request gets the same error
        function, failure = None, _located(error)
    capture = gradcheck_adapter._capture
    session = gradcheck_adapter.Session()
    evaluate = _evaluator(function)
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            if failure:
                raise StudentError(failure)
            reply = gradcheck_adapter.answer(request, session, evaluate)
        except BaseException as error:  # the student's code failed (exit() included): say so, keep serving
            if isinstance(error, KeyboardInterrupt):
                raise
            reply = {"id": request.get("id"), "protocol": 2, "error": _located(error)}
        output, size = capture.take()
        if size:
            reply["output"] = output
        capture.replies.write(json.dumps(reply) + "\n")
        capture.replies.flush()


if __name__ == "__main__":
    main()
