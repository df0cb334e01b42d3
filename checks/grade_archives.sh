#!/usr/bin/env bash
# gradcheck grade on hostile submissions that hostile_submissions.py builds (a 1 GiB zip bomb, a
# 512 MiB tar.gz bomb, a zip whose headers lie about its size, tars with a ../ member, an absolute
# one, a link out, a chain of links out and a device, a zip and a folder whose nnCostFunction.m
# links to the teacher's solution outside, a folder of 20000 files) beside honest ones (links
# inside, a right folder, a wrong tar.gz):
#   each hostile one an ERROR with its one line; each honest one its verdict; nothing landed
#   outside the scratch copies, and these never held more than the cap per student at once.
set -uo pipefail
gradcheck="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
chmod 755 "$scratch"  # the scratch copies live under it (TMPDIR): a sandbox's user must reach its own
watcher=""
trap '[ -n "$watcher" ] && kill "$watcher" 2>/dev/null; rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
cap=16  # MiB a submission may hold
jobs=2

/usr/bin/python3 "$here/checks/hostile_submissions.py" "$scratch/class" "$scratch/outside" \
  "$here/fixtures/class/octave_correct_vectorized" || { echo "FAIL: the fixtures could not be built"; exit 1; }
cp "$here/fixtures/class/tarred_python_bias_regularized.tar.gz" "$scratch/class/honest_tar_wrong.tar.gz"
mkdir "$scratch/tmp"

# The scratch copies' peak size on disk, polled while grading runs.
(
  peak=0
  while :; do
    k=$(du -sk "$scratch/tmp" 2>/dev/null | cut -f1)
    if [ "${k:-0}" -gt "$peak" ]; then peak=$k; echo "$peak" >"$scratch/peak"; fi
    sleep 0.05
  done
) &
watcher=$!
TMPDIR="$scratch/tmp" timeout 900 "$gradcheck" grade "$scratch/class" --out "$scratch/grades" --max-submission-mib "$cap" \
  --time-limit 90 --fuzz-cases 0 -j "$jobs" -q >"$scratch/stdout" 2>"$scratch/stderr"
code=$?
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
watcher=""
[ "$code" -eq 0 ] || fail "grade exited $code: $(tail -3 "$scratch/stderr")"

/usr/bin/python3 - "$scratch/grades/class.csv" "$cap" <<'PY' || failures=$((failures + 1))
import csv, re, sys
rows = {r["student"]: r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))}
cap = sys.argv[2]
expected = {
    "zip_bomb": ("ERROR", rf"^the archive would unpack to 1\.0 GiB, more than the {cap} MiB a submission may hold$"),
    "targz_bomb": ("ERROR", rf"^the archive would unpack to at least 512\.0 MiB, more than the {cap} MiB a submission may hold$"),
    "zip_lying_header": ("ERROR", rf"^the archive unpacked to more than the {cap} MiB a submission may hold \(its listing declared 2\.8 KiB\): unpacking was stopped$"),
    "zip_link_outside": ("ERROR", r"^the archive holds a link, nnCostFunction\.m -> /.*/outside/solution\.m, to a place outside the submission$"),
    "tar_dotdot": ("ERROR", r"^the archive holds \.\./\.\./escaped_dotdot\.m, which would land outside the submission \(an absolute path or \.\.\)$"),
    "tar_absolute": ("ERROR", r"^the archive holds /.*/outside/escaped_absolute\.m, which would land outside the submission"),
    "tar_link_outside": ("ERROR", r"^the archive holds a link, nnCostFunction\.m -> /.*/outside/solution\.m, to a place outside the submission$"),
    "tar_link_chain_outside": ("ERROR", r"^the unpacked archive holds a link, up -> b/\.\., to a place outside the submission$"),
    "tar_device": ("ERROR", r"^the archive holds disk, which is neither a file, a folder nor a link \(a device or FIFO\)$"),
    "folder_link_outside": ("ERROR", r"^the submission holds a link, nnCostFunction\.m -> /.*/outside/solution\.m, to a place outside the submission$"),
    "folder_20000_files": ("ERROR", r"^the submission holds more than 10000 files and folders, the most a submission may hold$"),
    "honest_folder": ("PASS", r""),
    "honest_link_inside": ("PASS", r""),
    "honest_zip_link_inside": ("PASS", r""),
    "honest_tar_wrong": ("FAIL", r""),
}
problems = []
if set(rows) != set(expected):
    problems.append(f"students {sorted(set(rows) ^ set(expected))} differ from the expected list")
for student, (verdict, message) in expected.items():
    r = rows.get(student)
    if r is None:
        continue
    if r["verdict"] != verdict or not re.search(message, r["message"]):
        problems.append(f"{student}: {r['verdict']} ({r['message'][:200]}), expected {verdict} /{message}/")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY

# Nothing escaped: the teacher's folder holds the solution alone, and no escaped member landed anywhere.
[ "$(ls "$scratch/outside")" = "solution.m" ] || fail "outside holds $(ls "$scratch/outside" | tr '\n' ' ')"
escaped="$(find "$scratch" -name 'escaped_*' | head -3)"
[ -z "$escaped" ] || fail "a member landed outside its submission: $escaped"
# The scratch copies held at most the cap per student graded at once (plus the right submission's
# few KiB and the checks' files), and the results folder a few MiB.
peak="$(cat "$scratch/peak" 2>/dev/null || echo 0)"
[ "$peak" -le $(((jobs * cap + 8) * 1024)) ] || fail "the scratch copies grew to $peak KiB, past $jobs x $cap MiB"
out_kib="$(du -sk "$scratch/grades" | cut -f1)"
[ "$out_kib" -le $((cap * 1024)) ] || fail "the results folder grew to $out_kib KiB"
echo "scratch peak $peak KiB, results $out_kib KiB"

# The caps are options: out of range or not a number, exit 2 in one line naming the option.
for bad in "--max-submission-mib 0" "--max-submission-mib nan" "--max-submission-files 0" "--max-submission-files -1"; do
  # shellcheck disable=SC2086
  "$gradcheck" grade "$scratch/class" --out "$scratch/bad" $bad >/dev/null 2>"$scratch/bad.err"
  c=$?
  { [ "$c" -eq 2 ] && [ "$(wc -l <"$scratch/bad.err")" -eq 1 ] && grep -q -- "${bad%% *}" "$scratch/bad.err"; } ||
    fail "grade $bad: exit $c, $(head -2 "$scratch/bad.err")"
done

[ "$failures" -eq 0 ] && echo "grade_archives: passed" || echo "grade_archives: $failures failed"
[ "$failures" -eq 0 ]
