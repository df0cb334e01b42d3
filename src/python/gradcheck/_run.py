"""How the package runs a check: keyword options become `gradcheck check` options, the user's
function answers the check's requests in this process, and the report files become a Result."""

import json
import os
import re
import tempfile

import numpy as np

import gradcheck_adapter  # the adapters' model handler (gradcheck/adapters/, on sys.path)

from . import _gradcheck
from .result import Result

# Keyword options of a model check, as `gradcheck check --model` has them (a bool is a flag).
MODEL_OPTIONS = ("directional", "directions", "sample", "seed", "epsilon", "order", "stencil", "scaled_step",
                 "tolerance", "norm_tolerance", "floor", "worst", "jitter", "threads")
_FORMATS = (".txt", ".json", ".md", ".html", ".xml")


class GradcheckError(ValueError):
    """A check gradcheck refuses to run: an option or an input it cannot take, said in one line
    (the command line's exit 2)."""


def flags(options, allowed, function):
    """`gradcheck check` options for keyword `options`: `sample=50` is --sample 50, `jitter=True`
    --jitter; a TypeError for a keyword not in `allowed`, as Python's own for a wrong keyword."""
    out = []
    for key, value in options.items():
        if key not in allowed:
            raise TypeError(f"{function}() got an unexpected keyword argument {key!r}; expected one of: {', '.join(allowed)}")
        if value is None or value is False:
            continue
        flag = "--" + key.rstrip("_").replace("_", "-")
        if value is True:
            out.append(flag)
        elif isinstance(value, float):
            out += [flag, repr(value)]
        else:
            out += [flag, str(value)]
    return out


def answering(handle, *refused):
    """The channel's callable: a request line in, a reply line out, through `handle(request)`.
    An exception of the `refused` kinds (what the function returned cannot be read) becomes the
    reply's "error", which the check reports; any other propagates to the caller as itself."""
    def answer(line):
        request = json.loads(line)
        try:
            reply = handle(request)
        except refused as error:
            reply = {"id": request.get("id"), "protocol": 2, "error": str(error)}
        return json.dumps(reply)
    return answer


def _report_folder():
    """Where the report files go for the moment they are read: shared memory where it has room
    (creating, renaming and removing five files on a busy disk took 10–20 ms, a small check's
    whole time), else the system's temporary folder."""
    try:
        shm = os.statvfs("/dev/shm")
        if shm.f_bavail * shm.f_frsize >= 1 << 30 and os.access("/dev/shm", os.W_OK):
            return "/dev/shm"
    except OSError:
        pass
    return None


def run(args, answer, name):
    """`gradcheck check ARGS…` with `answer` as the implementation: its Result, every format
    written by the command line's own code into a folder that goes when read."""
    with tempfile.TemporaryDirectory(prefix="gradcheck-", dir=_report_folder()) as folder:
        paths = [os.path.join(folder, "report" + extension) for extension in _FORMATS]
        argv = ["gradcheck", "check", "-q"] + [x for path in paths for x in ("-o", path)] + list(args)
        code, out, err = _gradcheck.run(argv, answer, name)
        said = [line for line in err.splitlines() if line.strip()]
        if code == 2:
            raise GradcheckError(_without_prefix(said[-1] if said else "bad options"))
        if code == 4:
            raise RuntimeError(_without_prefix(said[-1] if said else "internal error"))
        reports = {}
        for extension, path in zip(_FORMATS, paths):
            with open(path, encoding="utf-8") as file:
                reports[extension] = file.read()
    return Result(code, reports, stderr=err)


def _without_prefix(line):
    """The command line's one line in the package's terms: `sample` for --sample, no pointer to
    the command's --help."""
    for prefix in ("gradcheck: error: ", "gradcheck: internal error: ", "gradcheck: "):
        if line.startswith(prefix):
            line = line[len(prefix):]
            break
    line = line.replace(" (see 'gradcheck --help')", "")
    return re.sub(r"(?<![\w-])--([a-z][a-z0-9-]*)", lambda m: _KEYWORDS.get(m.group(1), m.group(1).replace("-", "_")), line)


# Options whose keyword is not the flag's name with _ for -: λ's, and the flags (True to turn on).
_KEYWORDS = {"lambda": "lambda_", "self": "self=True", "directional": "directional=True", "jitter": "jitter=True",
             "scaled-step": "scaled_step=True"}


def _label(function, fallback):
    return getattr(function, "__qualname__", None) or getattr(function, "__name__", None) or fallback


def check(f, params, cost=None, **options):
    """Checks `f`'s gradient against central differences of its own J, every entry.

    `params` is a dict of named arrays (any shapes, reported by name: `W1[3, 7]`), or one array;
    `f(params)` returns (J, gradient): J one number, the gradient a dict {name: array of that
    parameter's shape} (an array like `params` when `params` is one). `f` is given float64 copies,
    so it may change them. `cost(params)`, if given, returns J alone, for the many evaluations of
    J that need no gradient.

    Options, as `gradcheck check --model` has them: directional=True (the fast mode), directions,
    sample (entries per tensor), seed, epsilon, order, stencil ("central", "richardson"),
    scaled_step, tolerance, norm_tolerance, floor, worst, jitter, threads.

    Returns a Result; raises GradcheckError for options or parameters it cannot take, and lets
    every exception `f` raises through."""
    one = not isinstance(params, dict)
    _check_params({"params": params} if one else params)
    if one:
        if np.ndim(params) == 0:
            raise GradcheckError(f"params is {type(params).__name__}; expected a dict of named arrays or one array")
        named = {"params": params}
        g, J_only = f, cost
        f = lambda p: _one(g(p["params"]))  # noqa: E731
        cost = None if J_only is None else (lambda p: J_only(p["params"]))
    else:
        named = params
    if not named:
        raise GradcheckError("params is empty; expected a dict of named arrays, one per parameter")
    name = _label(f if not one else g, "f")
    f, cost = _consistent(f, cost, name)
    handle = gradcheck_adapter.model_handler(named, f, cost, label=name)
    return run(["--model"] + flags(options, MODEL_OPTIONS, "check") + ["--", name],
               answering(handle, gradcheck_adapter.ReturnError), name)


def _check_params(params):
    """A GradcheckError naming the first parameter gradcheck cannot take: the caller's mistake,
    before the function is ever called."""
    if not params:
        raise GradcheckError("params is empty; expected a dict of named arrays, one per parameter")
    for key, value in params.items():
        if not isinstance(key, str) or not key:
            raise GradcheckError(f"params has the key {key!r}; expected names (non-empty strings), one per parameter")
        if np.iscomplexobj(value):
            raise GradcheckError(f"params[{key!r}] is complex; expected real numbers")
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise GradcheckError(f"params[{key!r}] is a {type(value).__name__}, not numbers; expected an array") from None
        if array.size == 0:
            raise GradcheckError(f"params[{key!r}] is empty (shape {array.shape}); expected at least one entry")


def _consistent(f, cost, name):
    """f refusing what is not (J, gradient), and `cost` held to f's J: asked once at the parameters
    where f was last called, it must give f's J (else the differences of one are held against the
    gradient of the other, and they look like noise)."""
    seen = {}

    def f_checked(params):
        result = f(params)
        if isinstance(result, tuple) and len(result) == 3:
            raise gradcheck_adapter.ReturnError(f"{name} returned 3 values; expected two: J and a dict {{name: gradient}}")
        if isinstance(result, (tuple, list)) and len(result) == 2:
            seen.update(at={k: v.copy() for k, v in params.items()}, J=result[0])
        return result

    def cost_checked(params):
        if "at" in seen and not seen.get("held"):
            seen["held"] = True
            J, again = float(np.asarray(seen["J"], dtype=float)), float(np.asarray(cost(seen["at"]), dtype=float))
            if not (J == again or abs(J - again) <= 1e-12 * max(abs(J), abs(again))):
                raise gradcheck_adapter.ReturnError(f"cost(params) is {again!r} where {name}(params) gave J = {J!r}, at the "
                                                    "same parameters; cost must return the same J, without the gradient")
        return cost(params)

    return f_checked, None if cost is None else cost_checked


def _one(result):
    """(J, {"params": gradient}) from f's (J, gradient) over one array."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return result  # said as it is by the model handler
    return result[0], {"params": result[1]}
