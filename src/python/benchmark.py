"""gradcheck in process (import gradcheck) beside torch.autograd.gradcheck, in one run, on the same
networks, data and planted mistake; prints the Markdown table of the README's "In process, beside
torch.autograd.gradcheck".

    PYTHONPATH=build/python /usr/bin/python3 src/python/benchmark.py [--runs N] [--quick]

Every cell is timed in each of N runs (default 3), the cells interleaved within a run so that the
machine's load falls on both alike; a cell's time is its median. The planted mistake is one entry
of one gradient 1% off (an identity Function on the weight whose backward scales that entry), so
that gradcheck's check and torch's see the same backward. --quick: the MLP on less data and
without the course network (a smoke run, ctest python_benchmark_smoke). Exits 1 unless gradcheck
passed every right gradient and failed every planted mistake in the tensor planted; the times are
not judged.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.stateless import functional_call

# Run as a script, Python puts this folder first on sys.path, and with it the package's sources
# without their compiled judge: the package imported is PYTHONPATH's (build/python) or the installed one.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]
import gradcheck  # noqa: E402
import gradcheck.torch  # noqa: E402

EPS = 1e-5


class Plant(torch.autograd.Function):
    """The identity, whose backward makes the gradient's entry `where` 1% too large (or, where is
    None, changes nothing: the right network has the very same graph)."""

    @staticmethod
    def forward(ctx, w, where):
        ctx.where = where
        return w.clone()

    @staticmethod
    def backward(ctx, grad):
        if ctx.where is None:
            return grad, None
        grad = grad.clone()
        grad[ctx.where] *= 1.01
        return grad, None


def normalize_function(where):
    """A layer-norm-like Function with its backward by hand (as fixtures/torch/custom_function.py),
    x's gradient 1% off at `where` (None: right)."""

    class Normalize(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, gain, bias):
            mu = x.mean(dim=1, keepdim=True)
            sigma = torch.sqrt(x.var(dim=1, unbiased=False, keepdim=True) + EPS)
            xhat = (x - mu) / sigma
            ctx.save_for_backward(xhat, sigma, gain)
            return gain * xhat + bias

        @staticmethod
        def backward(ctx, grad):
            xhat, sigma, gain = ctx.saved_tensors
            dxhat = grad * gain
            dx = (dxhat - dxhat.mean(dim=1, keepdim=True) - xhat * (dxhat * xhat).mean(dim=1, keepdim=True)) / sigma
            if where is not None:
                dx[where] *= 1.01
            return dx, (grad * xhat).sum(dim=0), grad.sum(dim=0)

    return Normalize


class MLP(torch.nn.Module):
    """fc1, fc2, …: Linear layers with `activation` between them; fc1.weight goes through Plant."""

    def __init__(self, sizes, activation):
        super().__init__()
        for k in range(len(sizes) - 1):
            setattr(self, f"fc{k + 1}", torch.nn.Linear(sizes[k], sizes[k + 1]))
        self.layers, self.activation, self.where = len(sizes) - 1, activation, None

    def forward(self, x):
        for k in range(1, self.layers + 1):
            layer = getattr(self, f"fc{k}")
            weight = Plant.apply(layer.weight, self.where) if k == 1 else layer.weight
            x = F.linear(x, weight, layer.bias)
            if k < self.layers:
                x = self.activation(x)
        return x


class ConvNet(torch.nn.Module):
    """Conv2d(3, 8, 3) + ReLU + Linear(8·4·4, 4) on 6 × 6 images; conv.weight goes through Plant."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)
        self.fc = torch.nn.Linear(8 * 4 * 4, 4)
        self.where = None

    def pre_activation(self, x):
        return F.conv2d(x, Plant.apply(self.conv.weight, self.where), self.conv.bias)

    def forward(self, x):
        return self.fc(torch.relu(self.pre_activation(x)).flatten(1))


def logistic_cost(out, y):
    """The course's cost: sigmoid outputs, J = (1/m) Σ −y log h − (1 − y) log(1 − h)."""
    return F.binary_cross_entropy_with_logits(out, y, reduction="sum") / y.shape[0]


def conv_problem(margin):
    """The conv net and data of the first seed whose ReLU inputs are all at least `margin` from the
    kink: a step of ε ≤ 1e-4 in one weight moves a pre-activation by at most ε·max|x| < margin, so
    no difference crosses a kink (with one, neither tool could judge that entry)."""
    for seed in range(1000):
        torch.manual_seed(seed)
        net, x = ConvNet().double(), torch.randn(5, 3, 6, 6, dtype=torch.float64)
        with torch.no_grad():
            if net.pre_activation(x).abs().min() > margin:
                return net, x, torch.randn(5, 4, dtype=torch.float64), seed
    raise RuntimeError("no seed keeps the ReLU inputs away from the kink")


def module_case(name, net, loss_fn, x, y, tensor):
    """A module case, its mistake planted in `tensor`'s entry of largest |gradient| (where 1% of it
    is above torch's absolute tolerance of 1e-5: the bug is there for both to see)."""
    net.zero_grad()
    loss_fn(net(x), y).backward()
    grad = dict(net.named_parameters())[tensor].grad
    where = tuple(int(i) for i in divmod_all(int(grad.abs().argmax()), grad.shape))
    net.zero_grad(set_to_none=True)
    return {"name": name, "module": net, "loss": loss_fn, "x": x, "y": y, "tensor": tensor, "where": where}


def divmod_all(flat, shape):
    out = []
    for size in reversed(shape):
        flat, i = divmod(flat, size)
        out.append(i)
    return reversed(out)


def cases(quick):
    torch.manual_seed(1)
    normalize = {"name": "LayerNorm-style custom Function, x 4 × 6, gain 6, bias 6", "function": normalize_function,
                 "inputs": (torch.randn(4, 6, dtype=torch.float64), torch.randn(6, dtype=torch.float64),
                            torch.randn(6, dtype=torch.float64)), "tensor": "x", "where": (1, 2)}
    torch.manual_seed(2)
    m = 20 if quick else 100
    mlp = module_case(f"20-50-10 MLP, tanh, cross-entropy, m = {m}", MLP([20, 50, 10], torch.tanh).double(), F.cross_entropy,
                      torch.randn(m, 20, dtype=torch.float64), torch.randint(0, 10, (m,)), "fc1.weight")
    net, x, y, seed = conv_problem(margin=2e-3)
    conv = module_case("conv net: Conv2d(3, 8, 3) + ReLU + Linear(128, 4), 5 images 3 × 6 × 6, MSE",
                       net, F.mse_loss, x, y, "conv.weight")
    conv["note"] = f"seed {seed}: every ReLU input at least 2e-3 from 0"
    if quick:
        return [normalize, mlp, conv]
    torch.manual_seed(4)
    m = 5000
    X = torch.rand(m, 400, dtype=torch.float64) * 2 - 1
    Y = F.one_hot(torch.randint(0, 10, (m,)), 10).double()
    course = module_case("ex4's network 400-25-10, sigmoid, logistic cost, m = 5,000", MLP([400, 25, 10], torch.sigmoid).double(),
                         logistic_cost, X, Y, "fc1.weight")
    course["fast_only"] = True
    return [normalize, mlp, conv, course]


def course_function(planted):
    """The Python edition's nnCostFunction, vectorized as students write it; `planted`: Theta1[16, 171]'s
    gradient 1% off, the entry planted in the module."""
    def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_=0.0):
        n1 = hidden_layer_size * (input_layer_size + 1)
        Theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)
        Theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)
        m = y.size
        a1 = np.hstack([np.ones((m, 1)), X])
        z2 = a1 @ Theta1.T
        a2 = np.hstack([np.ones((m, 1)), 1 / (1 + np.exp(-z2))])
        a3 = 1 / (1 + np.exp(-(a2 @ Theta2.T)))
        Y = np.eye(num_labels)[y]
        J = -np.sum(Y * np.log(a3) + (1 - Y) * np.log(1 - a3)) / m \
            + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
        d3 = a3 - Y
        d2 = (d3 @ Theta2[:, 1:]) * a2[:, 1:] * (1 - a2[:, 1:])
        G1, G2 = d2.T @ a1 / m, d3.T @ a2 / m
        G1[:, 1:] += lambda_ / m * Theta1[:, 1:]
        G2[:, 1:] += lambda_ / m * Theta2[:, 1:]
        if planted:
            G1[16, 171] *= 1.01
        return J, np.concatenate([G1.ravel(), G2.ravel()])
    return nnCostFunction


def gradcheck_course(planted):
    """gradcheck.ex4.check at ex4's size: every entry against gradcheck's reference (its exact
    numerical gradient of the reference J), one call of the student's function."""
    fn = course_function(planted)
    return lambda fast: gradcheck_says(gradcheck.ex4.check(fn, arch="400-25-10", examples=5000, lambda_=0))


# ---- what each tool says ------------------------------------------------------------------------

def torch_says(J, inputs, fast):
    try:
        ok = torch.autograd.gradcheck(J, inputs, fast_mode=fast)
        return "passes" if ok else "returns False"
    except Exception as error:  # torch's GradcheckError: the first line of its message
        return "raises " + str(error).strip().splitlines()[0].rstrip(",")


def gradcheck_says(result):
    """"PASS", or the verdict line, which names the tensor (and in a full check the worst entry)."""
    return "PASS" if result.passed else result.verdict


def torch_function(case, planted):
    fn = case["function"](case["where"] if planted else None).apply
    inputs = tuple(t.detach().clone().requires_grad_(True) for t in case["inputs"])
    return lambda fast: torch_says(fn, inputs, fast)


def gradcheck_function(case, planted):
    fn = case["function"](case["where"] if planted else None).apply
    inputs = tuple(t.detach().clone().requires_grad_(True) for t in case["inputs"])
    return lambda fast: gradcheck_says(gradcheck.torch.check_function(fn, *inputs, directional=fast))


def torch_module(case, planted, only=None):
    """torch.autograd.gradcheck over the module's parameters as inputs (functional_call, float64);
    `only` the names checked (the others passed without requires_grad, so not differenced)."""
    net = case["module"]
    names = [name for name, _ in net.named_parameters()]
    values = tuple(p.detach().clone().requires_grad_(only is None or name in only) for name, p in net.named_parameters())

    def J(*given):
        return case["loss"](functional_call(net, dict(zip(names, given)), (case["x"],)), case["y"])

    def run(fast):
        net.where = case["where"] if planted else None  # the cases share one module
        return torch_says(J, values, fast)

    return run


def gradcheck_module(case, planted, only=None):
    net = case["module"]
    frozen = [p for name, p in net.named_parameters() if only is not None and name not in only]

    def run(fast):
        net.where = case["where"] if planted else None  # the cases share one module; check_module copies it
        for p in frozen:  # check_module checks the parameters with requires_grad: the others are frozen
            p.requires_grad_(False)
        try:
            return gradcheck_says(gradcheck.torch.check_module(net, case["loss"], case["x"], case["y"], directional=fast))
        finally:
            for p in frozen:
                p.requires_grad_(True)

    return run


def timed(run, fast):
    start = time.perf_counter()
    said = run(fast)
    return time.perf_counter() - start, said


# ---- the table --------------------------------------------------------------------------------

SUBSETS = (("fc2.bias",), ("fc2.bias", "fc1.bias"))  # 10 and 35 entries of the course network
COLUMNS = [("torch full", "torch", False), ("torch fast_mode", "torch", True),
           ("gradcheck full", "gradcheck", False), ("gradcheck directional", "gradcheck", True)]


def cells(case, quick):
    """(row, column) → a function timing that cell once: (seconds, what it said)."""
    out = {}
    function = "function" in case
    for planted in (False, True):
        for column, tool, fast in COLUMNS:
            if case.get("fast_only") and not fast:
                continue
            if function:
                run = (torch_function if tool == "torch" else gradcheck_function)(case, planted)
            else:
                run = (torch_module if tool == "torch" else gradcheck_module)(case, planted)
            out[(planted, column)] = (lambda r=run, f=fast: timed(r, f))
    if case.get("fast_only"):
        for planted in (False, True):
            out[(planted, EX4)] = (lambda r=gradcheck_course(planted): timed(r, False))
        # Full mode over all P = 10,285 entries would take many minutes for each tool: both are timed
        # on fc2.bias alone (10 entries) and with fc1.bias (35), the others frozen, and the time
        # per entry between the two carried to P: an estimate, said as one.
        for k, only in enumerate(SUBSETS):
            for column, tool, fast in COLUMNS[0], COLUMNS[2]:
                run = (torch_module if tool == "torch" else gradcheck_module)(case, False, only)
                out[("subset", column, k)] = (lambda r=run: timed(r, False))
    return out


EX4 = "gradcheck.ex4.check (every entry, reference)"


def parameters(case):
    if "function" in case:
        return sum(t.numel() for t in case["inputs"])
    return sum(p.numel() for p in case["module"].parameters())


def show(seconds):
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of every cell; its time is the median (default 3)")
    parser.add_argument("--quick", action="store_true", help="the MLP on less data, and not the course network")
    options = parser.parse_args()

    all_cases = cases(options.quick)
    timers = [(case, key, run) for case in all_cases for key, run in cells(case, options.quick).items()]
    times, said = {}, {}
    for _ in range(options.runs):
        for case, key, run in timers:
            seconds, words = run()
            times.setdefault((case["name"], key), []).append(seconds)
            said[(case["name"], key)] = words
    median = {key: statistics.median(values) for key, values in times.items()}
    print_table(all_cases, median, said, options.runs)
    wrong = misjudged(all_cases, said)
    for line in wrong:
        print(f"benchmark: gradcheck said the wrong thing: {line}", file=sys.stderr)
    return 1 if wrong else 0


def print_table(all_cases, median, said, runs):
    """The Markdown table; a course network's full-mode cells are estimates, written into `median`."""
    print(f"torch {torch.__version__}, {torch.get_num_threads()} torch thread(s); medians of {runs} runs\n")
    print("| case | P | gradient | torch full | torch fast_mode | gradcheck full | gradcheck directional "
          "| full: gradcheck / torch | fast: gradcheck / torch |")
    print("|---|---:|---|---|---|---|---|---:|---:|")
    notes = []
    for case in all_cases:
        P = parameters(case)
        for planted in (False, True):
            row = []
            for column, _, _ in COLUMNS:
                key = (case["name"], (planted, column))
                if not planted and case.get("fast_only") and column.endswith("full") and (case["name"], ("subset", column, 0)) in median:
                    median[key] = estimate(median, case, P, column)
                    row.append(f"≈ {show(median[key])} (estimated)")
                    continue
                if key not in median:
                    row.append("")
                    continue
                seconds = median[key]
                row.append(f"{show(seconds)}: {said[key]}")
            full = ratio(median, case["name"], planted, "gradcheck full", "torch full")
            fast = ratio(median, case["name"], planted, "gradcheck directional", "torch fast_mode")
            what = f"1% off at {case['tensor']}{list(case['where'])}" if planted else "right"
            print(f"| {case['name'] if not planted else ''} | {P if not planted else ''} | {what} | "
                  + " | ".join(row) + f" | {full} | {fast} |")
        if "note" in case:
            notes.append(f"{case['name'].split(':')[0]}: {case['note']}")
    print()
    for note in notes:
        print(f"- {note}")
    for case in all_cases:
        if (case["name"], (False, EX4)) not in median:
            continue
        print("\nThe course network as the course writes it, a student's `nnCostFunction` (numpy), checked by "
              "`gradcheck.ex4.check(nnCostFunction, arch=\"400-25-10\", examples=5000, lambda_=0)` against gradcheck's "
              "reference, beside torch's fast_mode on the module above, in the same run:\n")
        print("| gradient | torch fast_mode (module) | gradcheck.ex4.check: every entry | gradcheck / torch |")
        print("|---|---|---|---:|")
        for planted in (False, True):
            ours, theirs = (case["name"], (planted, EX4)), (case["name"], (planted, "torch fast_mode"))
            what = "1% off at Theta1[16, 171] (fc1.weight[16, 170] in the module)" if planted else "right"
            print(f"| {what} | {show(median[theirs])}: {said[theirs]} | {show(median[ours])}: {said[ours]} | "
                  f"{median[ours] / median[theirs]:.2f}× |")


def misjudged(all_cases, said):
    """What gradcheck said wrong: a right gradient not PASSed, a planted mistake not FAILed in its tensor."""
    columns = COLUMNS + [(EX4, "gradcheck", False)]
    return [f"{name}, {'planted' if planted else 'right'}, {column}: {said[(name, (planted, column))]}"
            for case in all_cases for name in [case["name"]] for planted in (False, True) for column, tool, _ in columns
            if tool == "gradcheck" and (name, (planted, column)) in said
            and not judged_right(said[(name, (planted, column))], planted, "Theta1" if column == EX4 else case["tensor"])]


def judged_right(said, planted, tensor):
    """PASS for the right gradient; for the planted mistake a FAIL naming the tensor planted, and
    no other ("gradient mismatch in x" and not "… in x, gain")."""
    if not planted:
        return said == "PASS"
    return said.startswith("FAIL: gradient mismatch in ") and said.split("; ")[0] == f"FAIL: gradient mismatch in {tensor}"


def estimate(median, case, P, column):
    """Full mode's time over all P entries, from its times on SUBSETS: the first's plus the time per
    entry between the two for each entry more."""
    small, large = (median[(case["name"], ("subset", column, k))] for k in range(2))
    sizes = [sum(dict(case["module"].named_parameters())[name].numel() for name in only) for only in SUBSETS]
    return small + (large - small) / (sizes[1] - sizes[0]) * (P - sizes[0])


def ratio(median, name, planted, ours, theirs):
    a, b = median.get((name, (planted, ours))), median.get((name, (planted, theirs)))
    if not (a and b):
        return ""
    estimated = (name, ("subset", ours.replace("directional", "full"), 0)) in median and ours.endswith("full")
    return f"{'≈ ' if estimated else ''}{a / b:.2f}×"


if __name__ == "__main__":
    sys.exit(main())
