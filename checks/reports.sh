#!/usr/bin/env bash
# The report formats: JUnit XML read by a standard consumer (junitparser) and well-formed for
# xmllint, Markdown for pull requests, text and JSON; all from one run.
# Usage: reports.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$1"
source "$here/expect.sh"

validate() {  # validate FILE CASES FAILURES [TEXT [SUITES]]: well-formed, valid against the JUnit schema, read by junitparser
  if xmllint --noout --schema "$here/junit.xsd" "$1" 2>/dev/null && /usr/bin/python3 "$here/validate_junit.py" "$@"; then
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

# An implementation at λ = 0 and λ = 3: one suite each, named with λ, the failing one first; cases
# named in the implementation's own names and λ, so no dashboard merges the two.
expect 1 'report: both.xml' -- check -o both.xml -o both.md -o both.txt -- /usr/bin/python3 "$here/../fixtures/python/bias_regularized.py"
validate both.xml 6 2 'FAIL at λ = 3: gradient mismatch in Theta1, Theta2' 2
contains both.xml '<testcase classname="gradcheck.3-5-3 at λ = 3" name="Theta1 (5 × 4) at λ = 3"'
contains both.xml '<testcase classname="gradcheck.3-5-3 at λ = 0" name="J at λ = 0"'
contains both.md '#### ❌ FAIL at λ = 3'
contains both.md '#### ✅ PASS at λ = 0'
if [ "$(grep -c '^### gradcheck' both.md)" -eq 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL both.md has the run's verdict heading more than once"; fi
# The W/b layout's names everywhere: the verdict, the tables, the worst entries, JUnit cases.
expect 1 'FAIL at λ = 3: gradient mismatch in W1, b1, W2, b2; worst entry b[12]\[[0-9]\]' -- check --layout w-in-out --regularization l2 --arch 4-5-3 --seed 2 -o wb.xml -o wb.json -o wb.html -- /usr/bin/python3 "$here/../fixtures/python/conventions.py" bias_regularized
validate wb.xml 6 2 'worst b' 2
contains wb.xml 'name="W1, b1 (5 × 5) at λ = 3"'
contains wb.json '"name": "b'
contains wb.html '<title>W1[0, 0]: '
# Model mode writes every format, the tensors named as declared.
expect 0 'report: model.xml' -- check --model -o model.xml -o model.md -o model.html -- /usr/bin/python3 "$here/../fixtures/layouts/mlp.py" out-in
validate model.xml 4 0
contains model.md '| W1 | 4 × 5 |'
contains model.html '<title>W1[0, 0]: '

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
