#!/usr/bin/env bash
# gradcheck grade's reports against a hostile class (issue 30): students whose folder names, error
# messages and printed output are HTML, script and Markdown (fixtures/hostile_reports), and a cache whose
# files were tampered with.
#   class.html and each report.html rendered by headless Chromium: no injected script or handler
#   runs (document.title stays gradcheck's), its Content-Security-Policy lets only the page's own
#   nonce'd script run, and sorting by a column still works;
#   class.md and feedback.md: no student text opens a link, raw HTML or a table cell;
#   a results.json, report.json or row.json that is not what gradcheck writes is that student's
#   ERROR row (or a re-check), never exit 4, and every student has a row;
#   interrupted, the class table has a row for every student: the graded ones and INCOMPLETE.
# Usage: grade_hostile_reports.sh path/to/gradcheck
set -uo pipefail
gradcheck="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
chrome() {  # as checks/html.sh runs it: a fresh profile, nothing fetched
  timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$scratch/profile-$RANDOM" "$@" 2>/dev/null
}
grade() { timeout -k 5 300 "$gradcheck" grade "$scratch/class" --out "$scratch/grades" --time-limit 60 --fuzz-cases 0 -j 2 "$@"; }

# The class: a right submission that prints markup, and two that raise it, named with markup.
name_img="<img src=x onerror=\"document.title='PWNED-name'\">[n](javascript:x)|cell|&amp;"
name_newline=$'line1\n<b>line2<b> `tick'  # a folder's name holds no slash
mkdir -p "$scratch/class"
cp -r "$here/fixtures/hostile_reports/prints_markup" "$scratch/class/a_right"
cp -r "$here/fixtures/hostile_reports/raises_markup" "$scratch/class/$name_img"
cp -r "$here/fixtures/hostile_reports/raises_markup" "$scratch/class/$name_newline"
students=3

grade >"$scratch/out1" 2>"$scratch/err1"
code=$?
[ "$code" -eq 0 ] || fail "grade exited $code: $(tail -3 "$scratch/err1")"
grep -q "^$students submissions: 1 passed, 2 ERROR" "$scratch/out1" || fail "summary: $(head -1 "$scratch/out1")"
# Progress stays one line a student: a name's newline is a space there.
[ "$(grep -c 'gradcheck grade: [0-9]/3 done' "$scratch/err1")" -eq 3 ] && ! grep -q '^<b>line2' "$scratch/err1" ||
  fail "progress lines: $(cat -v "$scratch/err1" | head -5)"

# Markdown: nothing a student wrote opens a link, an image, raw HTML or a table cell.
/usr/bin/python3 - "$scratch/grades" "$students" <<'PY' || failures=$((failures + 1))
import os, re, sys
out, students = sys.argv[1], int(sys.argv[2])
problems = []
unescaped = lambda pattern: re.compile(r"(?<!\\)" + pattern)
opening = {"raw HTML <img": unescaped(r"<img"), "raw HTML <script": unescaped(r"<script"), "raw HTML <a": unescaped(r"<a "),
           "raw HTML <b>": unescaped(r"<b>"), "a link": unescaped(r"\]\(javascript"), "an image": unescaped(r"!\[")}
def inert(label, text):
    for what, pattern in opening.items():
        if pattern.search(text):
            problems.append(f"{label}: a student's text opens {what}: {pattern.search(text).group(0)!r}")
table = open(os.path.join(out, "class.md"), encoding="utf-8").read()
inert("class.md", table)
rows = [l for l in table.splitlines() if l.startswith("| [")]
if len(rows) != students:
    problems.append(f"class.md has {len(rows)} student rows, expected {students}")
for row in rows:
    cells = len(re.findall(r"(?<!\\)\|", row)) - 1
    if cells != 12:
        problems.append(f"class.md row has {cells} cells, expected 12: {row[:160]!r}")
for student in os.listdir(os.path.join(out, "students")):
    feedback = open(os.path.join(out, "students", student, "feedback.md"), encoding="utf-8").read()
    inert(f"{student!r}/feedback.md", feedback)
    if re.search(r"^# not a heading", feedback, re.M):
        problems.append(f"{student!r}/feedback.md: a student's newline started a heading")
    fences = [l for l in feedback.splitlines() if l.startswith("```")]
    if len(fences) % 2:
        problems.append(f"{student!r}/feedback.md: a code fence left open")
printed = open(os.path.join(out, "students", "a_right", "feedback.md"), encoding="utf-8").read()
if "PWNED-printed" not in printed:  # shown, as text: the hint quotes what the code printed
    problems.append("a_right/feedback.md does not quote what the code printed")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY

# HTML: rendered by Chromium, no injected script or handler runs, and only the page's own script may.
html_inert() {  # html_inert FILE LABEL: Chromium's DOM of FILE keeps gradcheck's title and no injected element
  chrome --dump-dom "file://$1" >"$scratch/dom.html"
  local title
  title="$(grep -o '<title>[^<]*</title>' "$scratch/dom.html" | head -1)"
  case "$title" in *gradcheck*) ;; *) fail "$2: the page's title became $title" ;; esac
  grep -q 'PWNED' <<<"$title" && fail "$2: an injected script ran: $title"
  grep -qiE '<img|<a href="javascript|<b>line2' "$scratch/dom.html" && fail "$2: a student's markup became an element"
}
html_inert "$scratch/grades/class.html" class.html
for student in a_right "$name_img"; do
  html_inert "$scratch/grades/students/$student/report.html" "$student/report.html"
done
csp="$(grep -o '<meta http-equiv="Content-Security-Policy" content="[^"]*">' "$scratch/grades/class.html")"
nonce="$(sed -n "s/.*script-src 'nonce-\([0-9a-f]*\)'.*/\1/p" <<<"$csp")"
[ "${#nonce}" -ge 32 ] || fail "class.html's policy names no nonce for its script: $csp"
grep -q "default-src 'none'" <<<"$csp" || fail "class.html's policy does not forbid loading: $csp"
grep -q "<script nonce=\"$nonce\">" "$scratch/grades/class.html" || fail "class.html's script does not carry the policy's nonce"
grep -q "Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'none'" \
  "$scratch/grades/students/a_right/report.html" || fail "report.html has no policy forbidding scripts"

# Sorting still works: a script with the page's nonce clicks the points heading once (ascending);
# a script without it, and an element's handler, written into the page past escaping, must not run.
sed "s#</body>#<script nonce=\"$nonce\">document.querySelectorAll('\#class th')[3].click();</script><script>document.title='PWNED-unnonced';</script><img src=x onerror=\"document.title='PWNED-handler'\"></body>#" \
  "$scratch/grades/class.html" >"$scratch/grades/sorted.html"
chrome --dump-dom "file://$scratch/grades/sorted.html" >"$scratch/sorted_dom.html"
grep -q 'PWNED' <(grep -o '<title>[^<]*</title>' "$scratch/sorted_dom.html") && fail "a script without the nonce, or a handler, ran"
order="$(grep -o '<tr class="[A-Z]*"><td><a href="students/[^"]*/report.html"' "$scratch/sorted_dom.html" | sed 's#.*students/\([^/]*\)/report.html"#\1#' | tr '\n' ' ')"
[ "$(awk '{print $NF}' <<<"$order")" = a_right ] || fail "sorting by points (ascending) did not put a_right (100) last: $order"
[ "$(grep -o 'students/[^"/]*/report.html' "$scratch/grades/class.html" | sed -n 2p)" = students/a_right/report.html ] ||
  fail "class.html's rows are not in name order (a_right second) before sorting"
# A new nonce for every file written.
grade >/dev/null 2>&1
[ "$(grep -o "nonce-[0-9a-f]*" "$scratch/grades/class.html" | head -1)" != "nonce-$nonce" ] || fail "the nonce is the same in two runs"

# Tampered cache files: each is that student's ERROR row (or a fresh check), never the class's loss.
right_cache="$(dirname "$(ls "$scratch"/grades/.cache/*/report.md | xargs grep -l 'PWNED-printed' | head -1)")"
/usr/bin/python3 - "$scratch/grades/.cache" "$right_cache" <<'PY'
import json, os, sys
cache, right = sys.argv[1], sys.argv[2]
others = sorted(d for d in (os.path.join(cache, k) for k in os.listdir(cache)) if d != right)
r = json.load(open(os.path.join(right, "results.json")))
r["score"] = "100"  # a string where gradcheck writes a number
json.dump(r, open(os.path.join(right, "results.json"), "w"))
open(os.path.join(others[0], "results.json"), "wb").write(b'{"score": 0, "tests": [{"name": "\xff\xfe <img", "status": "passed", "score": 0, "max_score": 0}]}')
with open(os.path.join(others[1], "results.json"), "w") as f:  # 17 MiB: past what grade reads
    f.write('{"score": 0, "tests": [], "pad": "' + "x" * (17 << 20) + '"}')
PY
grade >"$scratch/out3" 2>"$scratch/err3"
code=$?
[ "$code" -eq 0 ] || fail "grade with tampered results.json exited $code: $(tail -2 "$scratch/err3")"
/usr/bin/python3 - "$scratch/grades/class.csv" "$students" <<'PY' || failures=$((failures + 1))
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
bad = [r for r in rows if r["verdict"] != "ERROR" or "results for this student were unreadable" not in r["message"] or r["score"] != "0"]
if len(rows) != int(sys.argv[2]) or bad:
    print("FAIL: tampered results.json: expected every row ERROR, unreadable, 0 points:", [(r["student"][:20], r["verdict"], r["score"], r["message"][:100]) for r in rows])
    sys.exit(1)
for needle in ('"score" is "100"', "is not valid JSON", "larger than 16 MiB"):
    if not any(needle in r["message"] for r in rows):
        print(f"FAIL: no row says why: {needle}")
        sys.exit(1)
PY
# A second round, every file well-typed JSON: markup where grade shows a test's status (results.json),
# a mistake's name (report.json), the verdict and ex4's (row.json). None of it may reach a page.
/usr/bin/python3 - "$scratch/grades/.cache" "$right_cache" <<'PY'
import json, os, sys
cache, right = sys.argv[1], sys.argv[2]
others = sorted(d for d in (os.path.join(cache, k) for k in os.listdir(cache)) if d != right)
markup = lambda what: f"<img src=x onerror=\"document.title='PWNED-{what}'\">"
r = json.load(open(os.path.join(right, "results.json")))
r["score"] = sum(t["score"] for t in r["tests"])  # round one's string score undone
r["tests"][0]["status"] = markup("test-status")
json.dump(r, open(os.path.join(right, "results.json"), "w"))
json.dump({"diagnosis": {"kind": "recognised", "mistakes": [markup("mistake")]}}, open(os.path.join(others[0], "report.json"), "w"))
os.remove(os.path.join(others[0], "results.json"))
row = json.load(open(os.path.join(others[1], "row.json")))
row["status"], row["ex4"] = markup("status"), markup("ex4")
json.dump(row, open(os.path.join(others[1], "row.json"), "w"))
PY
grade >"$scratch/out4" 2>"$scratch/err4"
code=$?
[ "$code" -eq 0 ] || fail "grade with markup in results.json, report.json and row.json exited $code: $(tail -2 "$scratch/err4")"
[ "$(tail -n +2 "$scratch/grades/class.csv" | grep -c '^"')" -eq "$students" ] || fail "class.csv lacks a student: $(cat "$scratch/grades/class.csv")"
grep -q 'a status other than passed or failed' "$scratch/grades/class.csv" || fail "a test status that is markup was not refused"
grep -q 'names a mistake that is not a catalog name' "$scratch/grades/class.csv" || fail "a mistake that is markup was not refused"
grep -q 'PWNED-status\|PWNED-ex4' "$scratch/grades/class.csv" && fail "a row.json's status that is no verdict was shown"
html_inert "$scratch/grades/class.html" "class.html from a tampered cache"
# And a results.json nested wrong, a FIFO where a report was: ERROR rows, not exit 4 (nor a hang).
/usr/bin/python3 -c 'import json, sys; json.dump({"score": 0, "tests": {"name": "cost"}}, open(sys.argv[1], "w"))' "$right_cache/results.json"
other_cache="$(ls -d "$scratch"/grades/.cache/*/ | grep -v "^$right_cache/\$" | head -1)"
rm -f "$other_cache/report.txt" && mkfifo "$other_cache/report.txt"
grade >"$scratch/out5" 2>"$scratch/err5"
code=$?
[ "$code" -eq 0 ] || fail "grade with results.json nested wrong exited $code: $(tail -2 "$scratch/err5")"
grep -q 'tests"" is not a list' "$scratch/grades/class.csv" || fail "results.json nested wrong: $(grep a_right "$scratch/grades/class.csv")"
grep -q 'report.txt is not a regular file' "$scratch/grades/class.csv" || fail "a FIFO in a cache folder: $(cat "$scratch/grades/class.csv")"

# Interrupted: a row for every student, the graded one as graded and the rest INCOMPLETE.
rm -rf "$scratch/class" "$scratch/grades"
mkdir -p "$scratch/class"
cp -r "$here/fixtures/hostile_reports/prints_markup" "$scratch/class/a_right"
cp -r "$here/fixtures/class/python_infinite_loop" "$scratch/class/z_hangs"
"$gradcheck" grade "$scratch/class" --out "$scratch/grades" --time-limit 120 --fuzz-cases 0 -j 1 >"$scratch/out6" 2>"$scratch/err6" &
pid=$!
for _ in $(seq 600); do grep -qs '1/2 done' "$scratch/err6" && break; sleep 0.2; done
sleep 1
kill -INT "$pid"
wait "$pid"
code=$?
[ "$code" -eq 130 ] || fail "grade interrupted by SIGINT exited $code, expected 130: $(tail -2 "$scratch/err6")"
grep -q '^"a_right",Python,PASS,100,100,' "$scratch/grades/class.csv" &&
  grep -q '^"z_hangs",[^,]*,INCOMPLETE,0,0,.*interrupted by SIGINT' "$scratch/grades/class.csv" ||
  fail "interrupted: expected a_right PASS and z_hangs INCOMPLETE: $(cat "$scratch/grades/class.csv")"
grep -q "^INCOMPLETE: interrupted by SIGINT (the run .*pid $pid, id " <(sed -n 3p "$scratch/grades/class.md") || fail "class.md does not open with INCOMPLETE: $(sed -n 3p "$scratch/grades/class.md")"

[ "$failures" -eq 0 ] && echo "grade_hostile_reports: every student's text inert, every row there"
[ "$failures" -eq 0 ]
