#!/usr/bin/env bash
# README's Gradescope autograder run as Gradescope runs it: as root, docs/gradescope/run_autograder
# (the script README shows verbatim) at /autograder/run_autograder, the upload in
# /autograder/submission, the score read from /autograder/results/results.json; bubblewrap gives
# each run its own /autograder. For right, wrong, right-but-wrong-at-ex4's-size, nested-folder,
# Python-notebook, hung and empty submissions, the Gradescope score, total and tests equal what
# `gradcheck grade` gives the same submission in class.csv, and each equals its known value.
# A results.json says ERROR when the run is killed or an option is bad. Skipped (77) unless root.
set -uo pipefail
gradcheck="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: Gradescope runs the autograder as root; run this test as root"; exit 77; }
command -v bwrap >/dev/null || { echo "SKIP: needs bubblewrap (bwrap) to give the autograder its own /autograder"; exit 77; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
limit=20
run_autograder="$here/docs/gradescope/run_autograder"

# 1. README shows the two scripts exactly as they are in docs/gradescope/: what the test runs is
#    what a teacher copies.
for script in "$here/docs/gradescope/setup.sh" "$run_autograder"; do
  /usr/bin/python3 - "$here/README.md" "$script" <<'PY' || fail "README does not show $script verbatim"
import sys
readme, script = (open(p, encoding="utf-8").read() for p in sys.argv[1:])
sys.exit(0 if "```sh\n" + script + "```\n" in readme else 1)
PY
done
grep -q -- "-DGRADCHECK_NATIVE=OFF" <(sed -n '/^  autograder)/,/;;/p' "$here/setup.sh") ||
  fail "./setup.sh autograder does not build without -march=native"

# 2. The class: one folder per student, as `grade` takes them.
class="$scratch/class"
mkdir -p "$class"
cp -rL "$here/fixtures/class/octave_correct_vectorized" "$class/right"
cp -rL "$here/fixtures/class/octave_sign_flipped_loop" "$class/wrong"
cp -rL "$here/fixtures/class/octave_three_classes_hardcoded" "$class/ex4_size"  # right at 3-5-3 only
mkdir -p "$class/nested/Downloads/ex4"                                           # the whole ex4 folder uploaded
cp -rL "$here/fixtures/class/octave_bias_regularized_helpers/." "$class/nested/Downloads/ex4/"
cp -rL "$here/fixtures/class/python_correct_notebook" "$class/python_notebook"
cp -rL "$here/fixtures/class/octave_infinite_loop" "$class/hung"
mkdir -p "$class/empty" && echo "nothing here" >"$class/empty/notes.txt"
# score/100, verdict, the word results.json's summary must hold
expected="right 100 PASS
wrong 40 FAIL
ex4_size 0 FAIL
nested 70 FAIL
python_notebook 100 PASS
hung 0 TIMEOUT
empty 0 ERROR"

timeout 600 "$gradcheck" grade "$class" --out "$scratch/grades" --points 20,20,30,30 --time-limit "$limit" -j 2 -q \
  >"$scratch/grade.out" 2>"$scratch/grade.err" || fail "grade exited $?: $(tail -3 "$scratch/grade.err")"

# 3. Each submission through run_autograder in a root of its own: the host's folders, and an
#    /autograder holding only what Gradescope's holds.
binds=()
for entry in /*; do
  case "$entry" in /proc | /dev | /autograder) continue ;; esac
  if [ -L "$entry" ]; then binds+=(--symlink "$(readlink "$entry")" "$entry")
  elif [ -d "$entry" ]; then binds+=(--dev-bind "$entry" "$entry"); fi
done
gradescope() {  # NAME: grades $class/NAME as Gradescope would, into $scratch/autograder-NAME
  local ag="$scratch/autograder-$1"
  mkdir -p "$ag/source/gradcheck/build" "$ag/submission" "$ag/results"
  cp "$gradcheck" "$ag/source/gradcheck/build/gradcheck"
  cp "$run_autograder" "$ag/run_autograder"
  cp -r "$class/$1/." "$ag/submission/"
  # A root with every capability, as in Gradescope's container (bwrap drops them unless told), so
  # grade's own sandbox (bubblewrap, unprivileged users) works inside as it does there. The host's
  # /proc, not a new one: a bwrap inside cannot mount its own proc under a fresh one.
  (cd / && timeout $((limit * 3 + 60)) bwrap --die-with-parent --cap-add ALL --tmpfs / "${binds[@]}" \
    --dev-bind /proc /proc --dev-bind /dev /dev \
    --bind "$ag" /autograder --chdir /autograder --setenv GRADCHECK_TIME_LIMIT "$limit" /autograder/run_autograder) \
    >"$ag/stdout" 2>"$ag/stderr"
}
# One at a time, as one container runs one: two grade runs as root share the sandbox's users, and
# each kills every process of its user after each check.
while read -r name _; do gradescope "$name"; done <<<"$expected"

/usr/bin/python3 - "$scratch" "$expected" <<'PY' || failures=$((failures + 1))
import csv, json, os, sys
scratch, expected = sys.argv[1], sys.argv[2]
rows = {r["student"]: r for r in csv.DictReader(open(os.path.join(scratch, "grades", "class.csv"), encoding="utf-8"))}
columns = ["cost", "regularized_cost", "gradient", "regularized_gradient"]
problems = []
for line in expected.splitlines():
    name, score, verdict = line.split()
    row = rows.get(name)
    path = os.path.join(scratch, f"autograder-{name}", "results", "results.json")
    try:
        results = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError) as e:
        problems.append(f"{name}: no readable results.json from run_autograder ({e}); stderr: "
                        + open(os.path.join(scratch, f"autograder-{name}", "stderr")).read()[-300:])
        continue
    tests = results.get("tests", [])
    total = sum(t.get("max_score", 0) for t in tests)
    got = (results.get("score"), total, [t.get("status") for t in tests])
    if row is None:
        problems.append(f"{name}: not in grade's class.csv")
    else:
        table = (float(row["score"]), float(row["max_score"]), [row[c] for c in columns])
        if got != table:
            problems.append(f"{name}: Gradescope scored {got}, grade's class.csv {table} ({row['message'][:120]})")
        if row["verdict"] != verdict:
            problems.append(f"{name}: class.csv verdict {row['verdict']}, expected {verdict}")
    if results.get("score") != float(score) or total != 100:
        problems.append(f"{name}: Gradescope scored {results.get('score')}/{total}, expected {score}/100")
    if len(tests) != 4 or abs(sum(t.get("score", 0) for t in tests) - results.get("score", -1)) > 1e-9:
        problems.append(f"{name}: results.json is not four tests summing to the score")
    summary = results.get("output", "")
    if not summary.startswith(f"# {verdict}") or results.get("output_format") != "md":
        problems.append(f"{name}: results.json's output does not open with the verdict {verdict}: {summary[:100]!r}")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY

# 4. Whatever happens, results.json says ERROR and why: a bad option, a run killed outright.
out="$scratch/direct"
mkdir -p "$out"
echo '{"score": 100}' >"$out/results.json"
"$gradcheck" grade --gradescope "$out/results.json" --points 1,2 --out "$out/grades" "$class/right" >/dev/null 2>&1
grep -q '"score": 0' "$out/results.json" && grep -q 'ERROR.*--points' "$out/results.json" ||
  fail "a bad --points left results.json: $(head -c 300 "$out/results.json")"
echo '{"score": 100}' >"$out/results.json"
# In a PID namespace of its own, so the kill takes the hung Octave too (grade's checks run in
# process groups of their own, out of reach of a kill of gradcheck's group).
bwrap --dev-bind / / --unshare-pid --die-with-parent \
  "$gradcheck" grade --gradescope "$out/results.json" --out "$out/grades" --time-limit 60 "$class/hung" >/dev/null 2>&1 &
killed=$!
sleep 3
{ kill -KILL "$killed" && wait "$killed"; } 2>/dev/null
grep -q '"score": 0' "$out/results.json" && grep -q 'did not finish' "$out/results.json" ||
  fail "a run killed outright left results.json: $(head -c 300 "$out/results.json")"

[ "$failures" -eq 0 ] && echo "gradescope_autograder: OK (run_autograder's score equals grade's for 7 submissions)"
exit $((failures > 0))
