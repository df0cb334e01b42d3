#!/usr/bin/env bash
# The report formats: JUnit XML read by a standard consumer (junitparser) and well-formed for
# xmllint, Markdown for pull requests, text and JSON; all from one run.
# Usage: reports.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$1"
source "$here/expect.sh"

validate() {  # validate FILE CASES FAILURES [TEXT]
  if xmllint --noout "$1" && /usr/bin/python3 "$here/validate_junit.py" "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
}
contains() {  # contains FILE TEXT
  if grep -qF -- "$2" "$1"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $1 lacks '$2'"; fi
}

expect 0 'report: pass.xml'  -- check -o pass.xml -o pass.md -o pass.txt -o pass.json
validate pass.xml 2 0
contains pass.md '### gradcheck: ✅ PASS: D^(l) matches the numerical gradient in every layer'
contains pass.md '| Θ^(2) | 3 × 6 |'
contains pass.txt 'PASS: D^(l) matches'
contains pass.json '"pass": true'

expect 1 'report: fail.xml'  -- check --lambda 3 --plant derivative-dropped -o fail.xml -o fail.md
validate fail.xml 3 1 'worst Θ^(1)_{5,0} (Theta1(5,1))'  # two layers and J
contains fail.md '### gradcheck: ❌ FAIL: gradient mismatch in Θ^(1); worst entry Θ^(1)_{5,0}'
contains fail.md 'planted mistake: g′(z) dropped from δ'
contains fail.md '| Θ^(1) | 5 × 4 | 7.51e-01'

# An implementation's J gets a testcase of its own.
expect 1 'report: j.xml' -- check --lambda 3 -o j.xml -- /usr/bin/python3 "$here/../fixtures/python/cost_unregularized.py"
validate j.xml 3 1 'J = 2.1009505699 (implementation), 2.14635981502 (reference)'

# Merged shards write every format too.
for i in 1 2; do expect 0 "shard $i/2" -- check --arch 4-4-2 --seed 5 --shard "$i/2"; done
expect 0 'report: merged.xml' -- merge reports/shard-1-of-2.json reports/shard-2-of-2.json -o merged.xml
validate merged.xml 2 0

# --reports: every format under reports/.
expect 0 'report: reports/gradcheck.md' -- check --reports
validate reports/gradcheck.xml 2 0
contains reports/gradcheck.json '"report": "check"'

expect 2 "unknown report format '.csv'" -- check -o report.csv
expect 2 'a shard writes one partial JSON report' -- check --shard 1/2 -o part.xml

finish reports
