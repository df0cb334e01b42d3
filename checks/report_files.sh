#!/usr/bin/env bash
# The report files' guarantees (README "Report files"): a run killed outright leaves INCOMPLETE
# reports naming it, never an earlier run's verdict; a path that is not a regular file (a device,
# a FIFO, a folder, any symbolic link) is refused with exit 2 and left as it was; two runs writing
# the same files at once leave the whole set of one of them.
# Usage: report_files.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$(realpath "$1")"
faulty="$(cd "$here/../fixtures/faulty" && pwd)"
octave_correct="$(cd "$here/../fixtures/octave/correct" && pwd)"
source "$here/expect.sh"

# check_that DESCRIPTION COMMAND…: one assertion.
check_that() {
  local what="$1"
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $what"; sed 's/^/  | /' "$out" "$err" | tail -5; fi
}
json() { /usr/bin/python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print($2)" "$1"; }
five="r.txt r.json r.xml r.md r.html"
outs() { for f in $five; do printf -- '-o %s ' "$1$f"; done; }

# started FILE: wait until the implementation has created FILE (it does on its first request,
# after gradcheck has written its INCOMPLETE reports), however long that takes.
started() { while [ ! -e "$1" ]; do sleep 0.05; done; }

# --- 1. SIGKILL mid-check, after an earlier run passed: every file says INCOMPLETE and names the new run.
"$gradcheck" check -q $(outs "") >"$out" 2>"$err"
check_that "the earlier run passes" test "$(json r.json 'r["pass"]')" = "True"
rm -f stalled
"$gradcheck" check -q $(outs "") -- /usr/bin/python3 "$faulty/stalls.py" "$PWD/stalled" >"$out" 2>"$err" &
pid=$!
started stalled
kill -KILL "$pid"
wait "$pid" 2>/dev/null
names_it() { grep -q "pid $pid, id " "$1"; }
check_that "after SIGKILL, the text report opens INCOMPLETE" bash -c "head -1 r.txt | grep -q INCOMPLETE"
check_that "after SIGKILL, the Markdown report opens INCOMPLETE" bash -c "head -1 r.md | grep -q INCOMPLETE"
check_that "after SIGKILL, the JSON says pass false, complete false" test "$(json r.json '(r["pass"], r["complete"])')" = "(False, False)"
check_that "after SIGKILL, the JUnit report carries an error" grep -q '<error type=' r.xml
check_that "after SIGKILL, the HTML says INCOMPLETE" grep -q 'class="verdict other">INCOMPLETE' r.html
for f in $five; do check_that "after SIGKILL, $f names the killed run (pid $pid)" names_it "$f"; done
check_that "the JSON names the command line" grep -q 'stalls.py' r.json

# Gradescope's results.json too: score 0, "did not finish", naming the run.
mkdir hw
cat >hw/ex4.py <<PY
import os, time
def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_=0.0):
    gradcheck = os.getppid()
    open("$PWD/stalled", "w").close()
    while os.getppid() == gradcheck:  # until gradcheck is gone
        time.sleep(0.05)
    raise SystemExit(1)
PY
echo '{"score": 100.0, "tests": []}' >results.json
rm -f stalled
"$gradcheck" check -q --python-ex4 hw --gradescope results.json >"$out" 2>"$err" &
pid=$!
started stalled
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check_that "after SIGKILL, results.json scores 0, says gradcheck did not finish and names the run" \
  test "$(json results.json '(r["score"], "gradcheck did not finish" in r["output"], "pid '"$pid"'," in r["output"])')" = "(0.0, True, True)"

# grade's class table too: stopped while a student's code runs, it says INCOMPLETE, never the last table.
mkdir -p class/alice grades
sed "s|$PWD/stalled|$PWD/grading|" hw/ex4.py >class/alice/ex4.py
for f in class.md class.csv class.html; do echo "the previous class table" >"grades/$f"; done
# (--no-sandbox: the student's code says it started in a file of the test's, which a sandbox hides.)
"$gradcheck" grade class --out grades -q --no-sandbox >"$out" 2>"$err" &
pid=$!
started grading
kill -INT "$pid"
wait "$pid" 2>/dev/null
for f in class.md class.csv class.html; do
  check_that "grade stopped: grades/$f says INCOMPLETE and names the run" \
    bash -c "grep -q INCOMPLETE grades/$f && grep -q 'pid $pid, id ' grades/$f && ! grep -q 'the previous class table' grades/$f"
done
check_that "grade stopped: stderr says the class table is incomplete" grep -q "the class table says INCOMPLETE" "$err"

# --- 2. Paths that are not regular files: exit 2, one line naming the path and why, nothing changed.
mkfifo fifo.json
ln -s /dev/null null.json
mkdir folder.json
ln -s nowhere/r.json dangling.json
echo '{"the target": true}' >target.json
ln -s target.json link.json
# refused PATH WHY ARGS…: gradcheck ARGS exits 2 with one line naming PATH and WHY (a hang is a failure).
refused() {
  local path="$1" why="$2"
  shift 2
  timeout 60 "$gradcheck" "$@" >"$out" 2>"$err"
  local code=$?
  check_that "gradcheck $* exits 2 (got $code)" test "$code" -eq 2
  check_that "gradcheck $*: one line on stderr naming $path: $why" \
    bash -c "[ \$(wc -l <'$err') -eq 1 ] && grep -qF -- 'report file $path $why' '$err'"
}
unchanged() {
  check_that "fifo.json is still a FIFO" test -p fifo.json
  check_that "null.json still links to /dev/null" test "$(readlink null.json)" = /dev/null
  check_that "/dev/null is still a character device" test -c /dev/null
  check_that "folder.json is still an empty folder" bash -c '[ -d folder.json ] && [ -z "$(ls -A folder.json)" ]'
  check_that "dangling.json still dangles" bash -c '[ -L dangling.json ] && [ ! -e dangling.json ]'
  check_that "link.json still links to target.json" test "$(readlink link.json)" = target.json
  check_that "target.json is untouched" grep -q '"the target": true' target.json
}
refused fifo.json "is a FIFO" check -o fifo.json
refused null.json "is a symbolic link to /dev/null, a character device" check -o null.json
refused folder.json "is a folder" check -o folder.json --lambda 3
refused dangling.json "is a symbolic link to nowhere/r.json, which is not there" check -o dangling.json
refused link.json "is a symbolic link to target.json" check -o link.json
refused null.json "is a symbolic link to /dev/null" merge -o null.json no-such-shard.json
refused null.json "is a symbolic link to /dev/null" fuzz -o null.json -- /usr/bin/python3 "$faulty/exits.py"
refused null.json "is a symbolic link to /dev/null" check --model -o null.json -- /usr/bin/python3 "$faulty/exits.py"
refused null.json "is a symbolic link to /dev/null" check --octave "$octave_correct" --gradescope null.json
refused fifo.json "is a FIFO" check --octave "$octave_correct" --gradescope fifo.json
mkdir -p reports && ln -sf /dev/null reports/gradcheck.json
refused reports/gradcheck.json "is a symbolic link to /dev/null" check --reports
check_that "reports/gradcheck.json still links to /dev/null" test "$(readlink reports/gradcheck.json)" = /dev/null
rm -rf reports
ln -sf /dev/null grades/class.csv
refused "$PWD/grades/class.csv" "is a symbolic link to /dev/null" grade class --out grades
check_that "grades/class.csv still links to /dev/null" test "$(readlink grades/class.csv)" = /dev/null
# A refused command line names the path first; the other report files get its error report.
echo '{"pass": true, "the previous report": true}' >kept.json
refused null.json "is a symbolic link to /dev/null" check --bogus -o null.json -o kept.json
check_that "beside it, the stale report is replaced by this run's error" test "$(json kept.json '(r["pass"], "null.json" in r["failure"])')" = "(False, True)"
refused fifo.json "is a FIFO" chek -o fifo.json
refused null.json "is a symbolic link to /dev/null" check --points 1,2 --octave "$octave_correct" --gradescope null.json
unchanged
# As root, a device itself: never replaced (the write would put a file where /dev/null was).
if [ "$(id -u)" -eq 0 ] && mknod device.json c 1 3 2>/dev/null; then
  refused device.json "is a character device" check -o device.json
  refused device.json "is a character device" check --bogus -o device.json
  refused device.json "is a character device" check --octave "$octave_correct" --gradescope device.json
  check_that "device.json is still a character device" test -c device.json
fi

# --- 3. Two runs writing the same five files at once, 20 times: the five always agree on one run.
mkdir same
for round in $(seq 20); do
  "$gradcheck" check -q $(outs same/) >/dev/null 2>&1 &
  passing=$!
  "$gradcheck" check -q --plant derivative-dropped $(outs same/) >/dev/null 2>&1 &
  failing=$!
  wait "$passing" "$failing"
  runs="$(cat same/r.* | grep -o 'pid [0-9]*, id [0-9a-f]*' | sort -u)"
  check_that "round $round: the five files name one run (got: $(echo $runs))" test -n "$runs" -a "$(echo "$runs" | wc -l)" -eq 1
  for f in $five; do check_that "round $round: same/$f names a run" grep -q "$runs" "same/$f"; done
  expected=False
  [ "$runs" = "$(echo "$runs" | grep "pid $passing,")" ] && expected=True
  verdicts="$(json same/r.json 'r["pass"]') $(head -1 same/r.md | grep -q '✅' && echo ✅ || echo ❌)"
  verdicts="$verdicts $(grep -q '<testsuites name="gradcheck" tests="[0-9]*" failures="0" errors="0"' same/r.xml && echo 0 || echo 1)"
  [ "$expected" = True ] && want="True ✅ 0" || want="False ❌ 1"
  check_that "round $round: the verdicts are the run's (expected $want, got $verdicts)" test "$verdicts" = "$want"
done
check_that "no lock file or temporary is left beside the reports" test "$(ls -A same | tr '\n' ' ')" = "r.html r.json r.md r.txt r.xml "

# --- A holder of the report folder's lock that never lets go (a process an implementation left):
# the run still writes its reports, unlocked, within about 10 s, never waiting for ever.
mkdir -p held
flock held sleep 60 &
holder=$!
sleep 0.3
start=$SECONDS
timeout 50 "$gradcheck" check -q -o held/r.json >"$out" 2>"$err"
code=$?
check_that "a held lock delays the reports by at most ~10 s in all (exit $code after $((SECONDS - start)) s)" test "$code" -eq 0 -a $((SECONDS - start)) -le 16
check_that "and they are this run's" test "$(json held/r.json 'r["outcome"]')" = "PASS"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

finish report_files
