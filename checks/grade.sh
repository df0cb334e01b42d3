#!/usr/bin/env bash
# gradcheck grade on fixtures/class (33 submissions in both editions: right, wrong, erroring,
# hanging, exiting, printing 50 MB, a memory hog, one that starts a daemon, archives, an empty one,
# a stray file):
#   every row as fixtures/class_expected.tsv says; a feedback file and reports per student; the
#   CSV and Gradescope files well-formed; the HTML table rendered by headless Chromium with one
#   row per student; a hung submission stopped at its own limit; the submissions never modified;
#   a re-run reuses every unchanged result and re-checks a changed one; no daemon a submission
#   started is left running; bad options exit 2.
set -uo pipefail
gradcheck="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
limit=20

fingerprint() { (cd "$1" && find -L . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum); }
before="$(fingerprint "$here/fixtures/class")"

"$gradcheck" grade "$here/fixtures/class" --out "$scratch/grades" --time-limit "$limit" -j 2 \
  >"$scratch/stdout" 2>"$scratch/stderr"
code=$?
# python_daemon_left_running passes only once its daemon runs (it waits for it); in the sandbox the
# daemon cannot tell us its pid, so it is found by the words of its program.
if pgrep -f GRADCHECK_TEST_PIDS >/dev/null; then
  fail "the daemon of python_daemon_left_running outlived grade: $(pgrep -af GRADCHECK_TEST_PIDS | head -2)"
  pkill -KILL -f GRADCHECK_TEST_PIDS
fi
[ "$code" -eq 0 ] || fail "grade exited $code: $(tail -3 "$scratch/stderr")"
[ "$(fingerprint "$here/fixtures/class")" = "$before" ] || fail "the submissions folder was modified"
grep -q "^33 submissions: 9 passed" "$scratch/stdout" || fail "summary: $(head -1 "$scratch/stdout")"
grep -q "33/33 done" "$scratch/stderr" || fail "no progress reaching 33/33 on stderr"

/usr/bin/python3 - "$scratch/grades" "$here/fixtures/class_expected.tsv" "$limit" <<'PY' || failures=$((failures + 1))
import csv, json, os, re, sys
out, expected_file, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
rows = {r["student"]: r for r in csv.DictReader(open(os.path.join(out, "class.csv"), encoding="utf-8"))}
problems = []
expected = [l.rstrip("\n").split("\t") for l in open(expected_file, encoding="utf-8") if l.strip() and not l.startswith("#")]
if set(rows) != {e[0] for e in expected}:
    problems.append(f"students {sorted(set(rows) ^ {e[0] for e in expected})} differ from the expected list")
for student, verdict, mistake in expected:
    r = rows.get(student)
    if r is None:
        continue
    if r["verdict"] != verdict:
        problems.append(f"{student}: {r['verdict']}, expected {verdict} ({r['message'][:120]})")
    if r["mistakes"] != mistake:  # a wrong name is a failure, and so is a missing one
        problems.append(f"{student}: mistake {r['mistakes']!r}, expected {mistake!r}")
    if r["verdict"] == "TIMEOUT" and float(r["seconds"]) > limit + 5:
        problems.append(f"{student}: hung for {r['seconds']} s, beyond its limit of {limit} s")
    folder = os.path.join(out, "students", student)
    feedback = open(os.path.join(folder, "feedback.md"), encoding="utf-8").read() if os.path.exists(os.path.join(folder, "feedback.md")) else ""
    if not feedback.startswith(f"# {verdict}"):  # the first line is the verdict
        problems.append(f"{student}: feedback.md does not open with its verdict {verdict}: {feedback[:80]!r}")
    if feedback.count("## The smallest network on which your code fails") > 1 or len(re.findall(r"^  smallest ", feedback, re.M)) != len(set(re.findall(r"^  smallest .*", feedback, re.M))):
        problems.append(f"{student}: feedback.md repeats a block")
    if verdict == "FAIL" and mistake not in ("-", "unrecognised") and "The right version" not in feedback:
        problems.append(f"{student}: feedback.md names no right version for {mistake}")
    if verdict == "FAIL" and r["gradient"] == "failed" and r["ex4"] != "FAIL" and "smallest network on which your code fails" not in feedback:
        problems.append(f"{student}: feedback.md has no smallest failing network")
    if re.search(r"/gradcheck-[A-Za-z0-9]{6}/submission", feedback):
        problems.append(f"{student}: feedback.md shows the scratch copy's path, not the student's folder")
    if verdict in ("PASS", "FAIL"):
        results = json.load(open(os.path.join(folder, "results.json")))
        if len(results["tests"]) != 4 or abs(sum(t["score"] for t in results["tests"]) - results["score"]) > 1e-9:
            problems.append(f"{student}: results.json is not four tests summing to the score")
        if (verdict == "PASS") != (results["score"] == 100):
            problems.append(f"{student}: {verdict} with {results['score']} points")
        if not os.path.exists(os.path.join(folder, "report.html")):
            problems.append(f"{student}: no report.html")
        else:  # the page's first banner is the grade's, whatever the check at 3-5-3 said
            page = open(os.path.join(folder, "report.html"), encoding="utf-8").read()
            first = re.search(r'<p class="verdict [a-z]+">([^<]*)</p>', page)
            if not first or not first.group(1).startswith(verdict):
                problems.append(f"{student}: report.html opens with {first.group(1)[:60] if first else None!r}, not {verdict}")
        if not results["output"].startswith(verdict if verdict == "PASS" else ("FAIL", "ERROR")):
            problems.append(f"{student}: Gradescope's output opens with {results['output'][:60]!r}")
for p in problems:
    print("FAIL:", p)
print(f"class table: {len(rows) - len(problems)} of {len(expected)} rows as expected" if not problems else "")
sys.exit(1 if problems else 0)
PY

# The HTML table as Chromium renders it: one row per student, each linking to its report.
chromium="$(command -v chromium || command -v chromium-browser || true)"
if [ -n "$chromium" ]; then
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --dump-dom "file://$scratch/grades/class.html" \
    >"$scratch/dom.html" 2>/dev/null
  rows=$(grep -o '<tr class=' "$scratch/dom.html" | wc -l)
  links=$(grep -o 'href="students/[^"]*/report.html"' "$scratch/dom.html" | wc -l)
  [ "$rows" -eq 33 ] && [ "$links" -eq 33 ] || fail "Chromium rendered $rows rows and $links report links, expected 33"
  grep -q 'id="summary">33 submissions' "$scratch/dom.html" || fail "Chromium's DOM has no summary"
else
  fail "no chromium to render the class table (./setup.sh test installs it)"
fi

# A re-run reuses every unchanged submission; a changed one is checked again.
cp -rL "$here/fixtures/class" "$scratch/class"
"$gradcheck" grade "$scratch/class" --out "$scratch/grades" --time-limit "$limit" >/dev/null 2>"$scratch/rerun"
[ "$(grep -c ', unchanged)' "$scratch/rerun")" -eq 33 ] || fail "re-run: $(grep -c ', unchanged)' "$scratch/rerun") of 33 reused"
printf '\n%% a comment added after the deadline\n' >>"$scratch/class/octave_correct_vectorized/nnCostFunction.m"
"$gradcheck" grade "$scratch/class" --out "$scratch/grades" --time-limit "$limit" >/dev/null 2>"$scratch/rerun"
grep -q 'octave_correct_vectorized: PASS)' "$scratch/rerun" || fail "the changed submission was not checked again"
[ "$(grep -c ', unchanged)' "$scratch/rerun")" -eq 32 ] || fail "the changed run reused $(grep -c ', unchanged)' "$scratch/rerun") of 32"

# Two identical submissions, one holding a link in a loop: grade finishes (it aborted), the one that
# cannot be copied is an ERROR with 0 points, not the other's 100 (they shared a cache folder).
mkdir -p "$scratch/twins/alice" "$scratch/twins/bob"
for who in alice bob; do cp "$here/fixtures/python_ex4/correct_module_lambda/nnCostFunction.py" "$scratch/twins/$who/"; done
ln -s loop "$scratch/twins/bob/loop"
"$gradcheck" grade "$scratch/twins" --out "$scratch/twins_grades" --time-limit "$limit" --fuzz-cases 0 >/dev/null 2>"$scratch/twins.err"
code=$?
[ "$code" -eq 0 ] || fail "grade with a link in a loop exited $code: $(tail -2 "$scratch/twins.err")"
grep -q '^"bob",-,ERROR,0,0,' "$scratch/twins_grades/class.csv" || fail "bob: $(grep '^"bob"' "$scratch/twins_grades/class.csv" | cut -c1-120)"
grep -q '^"alice",Python,PASS,100,100,' "$scratch/twins_grades/class.csv" || fail "alice: $(grep '^"alice"' "$scratch/twins_grades/class.csv" | cut -c1-120)"

# Bad options and folders: exit 2, one line.
for args in "$scratch/nowhere" "$here/README.md" "$here/fixtures/class --points 1,2" "$here/fixtures/class --time-limit 0" \
            "$scratch/class --out $scratch/class/grades"; do
  "$gradcheck" grade $args >/dev/null 2>"$scratch/bad.err"
  code=$?
  { [ "$code" -eq 2 ] && [ "$(wc -l <"$scratch/bad.err")" -eq 1 ]; } || fail "grade $args: exit $code: $(cat "$scratch/bad.err")"
done

[ "$failures" -eq 0 ] && echo "grade: the class as expected"
[ "$failures" -eq 0 ]
