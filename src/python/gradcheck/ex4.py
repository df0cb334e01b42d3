"""The course's Python edition, from a notebook cell, as `utils.checkNNGradients` is called:

    import gradcheck
    gradcheck.ex4.check(nnCostFunction)              # λ = 0 and λ = 3, as checkNNGradients and (3)
    gradcheck.ex4.check(nnCostFunction, lambda_=3)   # that λ alone

The checks and the diagnosis of `gradcheck check --python-ex4`: the edition's exact call
`nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_)`,
against gradcheck's reference on checkNNGradients' 3-5-3 network (then the same kind of network
with its sizes apart), entries named as the edition names them (`Theta1[2, 1]`).
"""

import gradcheck_adapter
import gradcheck_ex4
from gradcheck_ex4_load import StudentError

from ._run import answering, flags, run

__all__ = ["check"]

# Keyword options, as `gradcheck check --python-ex4` has them (lambda_ is --lambda).
OPTIONS = ("lambda_", "arch", "examples", "seed", "directional", "directions", "self", "sample", "epsilon", "order",
           "stencil", "scaled_step", "tolerance", "norm_tolerance", "floor", "worst", "threads", "notation")


def check(nnCostFunction, lambda_=None, **options):
    """Checks the edition's nnCostFunction: at λ = 0 and λ = 3 unless `lambda_` is given.
    Options: arch ("3-5-3"), examples, seed, directional, self, sample, epsilon, tolerance, … as
    on the command line. Returns a Result (shown as the report in a notebook); an exception
    nnCostFunction raises reaches you as itself."""
    if not callable(nnCostFunction):
        raise TypeError(f"check() takes the function nnCostFunction; got a {type(nnCostFunction).__name__}")
    session = gradcheck_adapter.Session()
    evaluate = gradcheck_ex4._evaluator(nnCostFunction)
    def handle(request):
        try:
            return gradcheck_adapter.answer(request, session, evaluate)
        except StudentError:
            raise
        except Exception as error:  # nnCostFunction's own: it propagates, saying on which problem
            if hasattr(error, "add_note") and session.problem is not None:
                error.add_note(_asked(session.problem))
            raise

    name = getattr(nnCostFunction, "__name__", "nnCostFunction")
    args = ["--python-ex4", name] + flags(dict(options, lambda_=lambda_), OPTIONS, "check")
    return run(args, answering(handle, StudentError), name)


def _asked(problem):
    """The problem an exception was raised on, for its note: the check's later networks differ
    from checkNNGradients' on purpose (every size apart, a class with no example)."""
    sizes = [int(s) for s in problem["sizes"]]
    m = problem["X"].shape[0]
    labels = set(int(label) for label in problem.get("labels") or [])
    note = (f"gradcheck.ex4.check called nnCostFunction with input_layer_size={sizes[0]}, hidden_layer_size={sizes[1]}, "
            f"num_labels={sizes[2]}, X {m} x {sizes[0]}, lambda_={problem['lambda']:g}")
    if len(set(sizes + [m])) == len(sizes) + 1 and sizes[2] not in labels:
        note += (f" (every size apart, and no example of class {sizes[2] - 1} in y: is a size read from another argument, "
                 "or are the classes counted from y rather than taken from num_labels?)")
    return note
