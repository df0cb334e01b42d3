#!/usr/bin/env bash
# gradcheck check --gradescope: results.json in Gradescope's documented autograder format, for a
# right, a wrong, an erroring and a missing submission, in both editions; custom and bad --points.
set -uo pipefail
gradcheck="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# results.json's fields as Gradescope documents them, and the score expected: SCORE or
# SCORE:STATUS,STATUS,STATUS,STATUS for the four tests.
valid() {
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
path, expected = sys.argv[1], sys.argv[2]
r = json.load(open(path))
problems = []
if not isinstance(r.get("score"), (int, float)): problems.append("score is not a number")
for key in ("output", "visibility", "stdout_visibility"):
    if not isinstance(r.get(key), str): problems.append(f"{key} is not a string")
if r.get("visibility") not in ("hidden", "after_due_date", "after_published", "visible"): problems.append("top-level visibility")
tests = r.get("tests")
if not isinstance(tests, list) or len(tests) != 4: problems.append("tests is not a list of 4")
else:
    for t in tests:
        if not isinstance(t.get("name"), str) or not t["name"]: problems.append("a test without a name")
        if not all(isinstance(t.get(k), (int, float)) for k in ("score", "max_score")): problems.append(f"{t.get('name')}: score/max_score")
        if t.get("status") not in ("passed", "failed"): problems.append(f"{t.get('name')}: status")
        if t.get("visibility") not in ("hidden", "after_due_date", "after_published", "visible"): problems.append("visibility")
        if not isinstance(t.get("output"), str) or not t["output"]: problems.append(f"{t.get('name')}: no output")
        if (t.get("status") == "passed") != (t.get("score") == t.get("max_score")) and t.get("max_score"): problems.append("status vs score")
    if abs(sum(t["score"] for t in tests) - r["score"]) > 1e-9: problems.append("score is not the sum of the tests'")
score, _, statuses = expected.partition(":")
if abs(r.get("score", -1) - float(score)) > 1e-9: problems.append(f"score {r.get('score')}, expected {score}")
if statuses and [t["status"] for t in tests] != statuses.split(","): problems.append(f"statuses {[t['status'] for t in tests]}, expected {statuses}")
print("; ".join(problems))
PY
}

# case NAME EXIT EXPECTED ARGS…
case_() {
  local name="$1" code="$2" expected="$3"
  shift 3
  local file="$scratch/$name.json"
  echo '{"score": 100, "stale": true}' >"$file"  # a stale result must never survive
  "$gradcheck" check "$@" --gradescope "$file" -q >"$scratch/$name.out" 2>"$scratch/$name.err"
  local got=$?
  [ "$got" -eq "$code" ] || fail "$name: exit $got, expected $code: $(cat "$scratch/$name.err")"
  local problems
  problems="$(valid "$file" "$expected")"
  [ -z "$problems" ] || fail "$name: $problems"
  grep -q stale "$file" && fail "$name: the stale results.json was left"
  [ "$failures" -eq 0 ] && echo "ok   $name"
}

py="$here/fixtures/python_ex4"
case_ python_correct 0 "100:passed,passed,passed,passed" --python-ex4 "$py/correct_notebook"
case_ python_bias_regularized 1 "70:passed,passed,passed,failed" --python-ex4 "$py/bias_regularized"
case_ python_cost_and_gradient_wrong 1 "0:failed,failed,failed,failed" --python-ex4 "$py/theta_reshape_order_F"
case_ python_syntax_error 3 "0:failed,failed,failed,failed" --python-ex4 "$py/syntax_error"
case_ python_points 1 "3:passed,passed,failed,failed" --python-ex4 "$py/average_missing" --points 1,2,3,4
# A notebook beside a .py file, both defining nnCostFunction: check and grade take the notebook
# (they took different files), and the report names it and the other.
mkdir -p "$scratch/two_files" && cp "$py/bias_regularized/exercise4.ipynb" "$py/correct_loop_prints/nnCostFunction.py" "$scratch/two_files/"
case_ python_two_files 1 "70:passed,passed,passed,failed" --python-ex4 "$scratch/two_files"
"$gradcheck" check --python-ex4 "$scratch/two_files" --lambda 3 >"$scratch/two_files.out" 2>/dev/null
grep -q "two_files/exercise4.ipynb (also defined in nnCostFunction.py: give that file" "$scratch/two_files.out" ||
  fail "python_two_files: the report does not name the file checked"
# Only the statement `def nnCostFunction(` is a definition: a file that mentions it in a comment or
# a print is not named as another one (every .py with the words was).
mkdir -p "$scratch/mentions" && cp "$py/correct_notebook/exercise4.ipynb" "$scratch/mentions/"
printf '# notes: def nnCostFunction(nn_params, ...) lives in the notebook\nprint("def nnCostFunction(")\n' >"$scratch/mentions/notes.py"
"$gradcheck" check --python-ex4 "$scratch/mentions" --lambda 0 >"$scratch/mentions.out" 2>&1
code=$?
[ "$code" -eq 0 ] && ! grep -q "also defined" "$scratch/mentions.out" ||
  fail "python_mentions: exit $code, or a file that only mentions nnCostFunction named as a definition: $(head -c 300 "$scratch/mentions.out")"
# A folder where nothing defines nnCostFunction is bad input, exit 2, as --octave's (it was 3, as if
# the student's code had failed).
mkdir -p "$scratch/no_function" && cp "$scratch/mentions/notes.py" "$scratch/no_function/"
"$gradcheck" check --python-ex4 "$scratch/no_function" >"$scratch/no_function.out" 2>&1
code=$?
[ "$code" -eq 2 ] && grep -q "no .ipynb or .py file in .*no_function defines nnCostFunction" "$scratch/no_function.out" ||
  fail "python_no_function: exit $code, expected 2 naming the folder: $(head -c 300 "$scratch/no_function.out")"
mkdir -p "$scratch/class/student" && cp "$scratch/two_files/"* "$scratch/class/student/"
"$gradcheck" grade "$scratch/class" --out "$scratch/class_grades" --fuzz-cases 0 >/dev/null 2>&1
grep -q '^"student",Python,FAIL,70' "$scratch/class_grades/class.csv" || fail "python_two_files: grade judged another file: $(tail -1 "$scratch/class_grades/class.csv")"
# The course's folder as shipped (utils.py subclasses submission.py's SubmissionBase from the folder
# above): graded whole, each student's upload the assignments folder. Every such notebook was an
# ERROR at utils.py's `class Grader` line, right or wrong.
course="$py/course"
mkdir -p "$scratch/course_class/right" "$scratch/course_class/wrong"
cp -rL "$course/submission.py" "$course/Exercise4" "$scratch/course_class/right/"
cp -L "$course/submission.py" "$scratch/course_class/wrong/" && cp -rL "$course/Exercise4_bias_regularized" "$scratch/course_class/wrong/Exercise4"
"$gradcheck" grade "$scratch/course_class" --out "$scratch/course_grades" --fuzz-cases 0 >/dev/null 2>&1
grep -q '^"right",Python,PASS,100' "$scratch/course_grades/class.csv" && grep -q '^"wrong",Python,FAIL,70' "$scratch/course_grades/class.csv" ||
  fail "course_folder: grade on the course's layout: $(tail -n +2 "$scratch/course_grades/class.csv" | tr '\n' ' ' | head -c 400)"
# The classes counted from y (y.max() + 1) rather than taken from num_labels: right on the course's
# problems, wrong where a class has no example, as in a minibatch. The network with its sizes apart
# has none of class K, so check and grade stop it there and say why (only grade's random networks
# failed it, 0/100 with no reason given).
mkdir -p "$scratch/labels_class/student" "$scratch/fuzz_class/student"
sed 's/yt = np.zeros(num_labels)/yt = np.zeros(int(y.max()) + 1)/' "$py/correct_loop_prints/nnCostFunction.py" >"$scratch/labels_class/student/nnCostFunction.py"
"$gradcheck" grade "$scratch/labels_class" --out "$scratch/labels_grades" --fuzz-cases 0 >/dev/null 2>&1
grep -q '^"student",Python,ERROR,.*no example of class 3: .* classes counted from y' "$scratch/labels_grades/class.csv" ||
  fail "labels_class: $(tail -n +2 "$scratch/labels_grades/class.csv" | head -c 400)"
# Wrong only on the smallest problems (a special case for m < 4): grade's random networks fail it,
# and the class table's message names the smallest failing network (it ended at "network:").
sed 's/^    return J, grad$/    if X.shape[0] < 4:\n        grad = grad * 1.01\n    return J, grad/' "$py/correct_loop_prints/nnCostFunction.py" >"$scratch/fuzz_class/student/nnCostFunction.py"
"$gradcheck" grade "$scratch/fuzz_class" --out "$scratch/fuzz_grades" >/dev/null 2>&1
grep -q '^"student",Python,FAIL,.*,PASS,FAIL,.*"FAIL on random networks: smallest failing network [0-9]*-[0-9]*-[0-9]*, .*m = [0-9]' "$scratch/fuzz_grades/class.csv" ||
  fail "fuzz_class: $(tail -n +2 "$scratch/fuzz_grades/class.csv" | head -c 400)"
case_ octave_correct 0 "100" --octave "$here/fixtures/octave/correct"
case_ octave_cost_without_regularization 1 "70:passed,failed,passed,passed" --octave "$here/fixtures/homework/cost_without_reg" --points 30,30,20,20
# Right on checkNNGradients' 3-5-3 only (m taken from Θ^(1)'s rows in a helper): the check with the
# sizes apart fails the regularized cost, and that test alone loses its points.
case_ octave_right_on_3_5_3_only 1 "80:passed,failed,passed,passed" --octave "$here/fixtures/homework/reg_helper_m_from_theta1"
grep -q 'at λ = 3 (4-5-3, m = 6); the reference J' "$scratch/octave_right_on_3_5_3_only.json" ||
  fail "octave_right_on_3_5_3_only: the failing test does not say which network"
case_ missing_submission 2 "0:failed,failed,failed,failed" --octave "$scratch"
grep -q "no nnCostFunction.m" "$scratch/missing_submission.json" || fail "missing_submission: results.json does not say what is missing"

# Bad --points: exit 2, one line, saying what is expected.
for points in "1,2,3" "a,b,c,d" "1,2,3,-4" "1,2,3,nan"; do
  "$gradcheck" check --octave "$here/fixtures/octave/correct" --gradescope "$scratch/bad.json" --points "$points" -q \
    >/dev/null 2>"$scratch/bad.err"
  code=$?
  { [ "$code" -eq 2 ] && [ "$(wc -l <"$scratch/bad.err")" -eq 1 ] && grep -q "expected four numbers" "$scratch/bad.err"; } ||
    fail "--points $points: exit $code: $(cat "$scratch/bad.err")"
done
"$gradcheck" check --gradescope "$scratch/ref.json" -q >/dev/null 2>"$scratch/ref.err"
[ $? -eq 2 ] || fail "--gradescope without a submission was accepted"

[ "$failures" -eq 0 ] && echo "gradescope: every results.json as expected"
[ "$failures" -eq 0 ]
