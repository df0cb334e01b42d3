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

import torch
from torch.nn.utils.stateless import functional_call

from benchmark_cases import cases, course_function  # beside this file

# Run as a script, Python puts this folder first on sys.path, and with it the package's sources
# without their compiled judge: the package imported is PYTHONPATH's (build/python) or the installed one.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]
import gradcheck  # noqa: E402
import gradcheck.torch  # noqa: E402

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
