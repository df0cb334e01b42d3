"""The trained-checkpoint study: the CS231n-style ReLU net (fixtures/python/trained_relu.py) checked
with `gradcheck check --model` after 200, 1,000 and 5,000 steps of gradient descent, over many
seeds, right and with each planted mistake. Prints the table README shows; exits 1 when a right
gradient FAILs or a planted mistake PASSes (a false verdict) where it changes the gradient (by
1e-12 or more: a ReLU unit dead at every example, its W2 row decayed to 0, makes no_relu_mask
change nothing), else 0.

    /usr/bin/python3 checks/trained_relu.py GRADCHECK [--seeds 50] [--steps 200,1000,5000]
        [--mistakes no_relu_mask,reg_factor,unaveraged_db2] [--jobs 2] [-- extra gradcheck options]
"""
import argparse
import collections
import concurrent.futures
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
fixture = os.path.join(here, "..", "fixtures", "python", "trained_relu.py")
verdicts = {0: "PASS", 1: "FAIL", 5: "CANNOT JUDGE"}


def run(gradcheck, seed, steps, mistake, extra):
    command = [gradcheck, "check", "-q", "--model", *extra, "--", sys.executable, fixture, str(seed), str(steps)]
    if mistake != "right":
        command.append(mistake)
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, text=True)
    verdict = verdicts.get(done.returncode, f"exit {done.returncode}")
    if mistake != "right" and verdict == "PASS":  # right after all where the mistake changes nothing here
        effect = subprocess.run([sys.executable, fixture, str(seed), str(steps), mistake, "effect"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, text=True)
        if float(effect.stderr.strip().splitlines()[-1]) < 1e-12:
            verdict = "PASS (no effect)"
    return verdict, " ".join(command[-3:]), done.stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gradcheck")
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--steps", default="200,1000,5000")
    parser.add_argument("--mistakes", default="no_relu_mask,reg_factor,unaveraged_db2")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("extra", nargs="*", help="more gradcheck options, after --")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    kinds = ["right"] + [m for m in args.mistakes.split(",") if m]
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(args.jobs, 8))) as pool:
        for s in steps:
            for kind in kinds:
                for seed in range(args.seeds):
                    jobs[(s, kind, seed)] = pool.submit(run, args.gradcheck, seed, s, kind, args.extra)
    counts = collections.defaultdict(collections.Counter)
    false_verdicts = []
    for (s, kind, seed), job in jobs.items():
        verdict, what, line = job.result()
        counts[(s, kind)][verdict] += 1
        if (kind == "right" and verdict == "FAIL") or (kind != "right" and verdict == "PASS") or verdict.startswith("exit"):
            false_verdicts.append(f"{verdict}: {what}: {line}")
    print(f"| steps | gradient ({args.seeds} seeds) | PASS | FAIL | CANNOT JUDGE | PASS, the mistake changing nothing there | other |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for s in steps:
        for kind in kinds:
            c = counts[(s, kind)]
            other = sum(v for k, v in c.items() if k not in ("PASS", "FAIL", "CANNOT JUDGE", "PASS (no effect)"))
            print(f"| {s:,} | {kind} | {c['PASS']} | {c['FAIL']} | {c['CANNOT JUDGE']} | {c['PASS (no effect)']} | {other} |")
    for line in false_verdicts:
        print("false verdict or error:", line, file=sys.stderr)
    return 1 if false_verdicts else 0


if __name__ == "__main__":
    sys.exit(main())
