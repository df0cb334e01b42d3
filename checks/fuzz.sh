#!/usr/bin/env bash
# gradcheck fuzz through the real command line: correct implementations pass every random network;
# buggy ones shrink to their smallest failing network, and the command printed for it reproduces
# the failure on its own.
# Usage: fuzz.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$1"
python=/usr/bin/python3
fixtures="$here/../fixtures"
source "$here/expect.sh"

expect 0 'PASS: all 40 random networks pass \(the same search: --seed 11\)' -- fuzz --seed 11 --cases 40 -- "$python" "$fixtures/python/correct.py"
expect 0 'PASS: all 15 random networks pass' -- fuzz --seed 11 --cases 15 --octave "$fixtures/octave/correct"
expect 0 'g ∈ \{sigmoid\}, cost ∈ \{sigmoid-logistic\}' -- fuzz --seed 11 --cases 5 --octave "$fixtures/octave/correct"
expect 0 'PASS'  -- fuzz --seed 11 --cases 10 --self --activation tanh --cost identity-quadratic -- "$python" "$fixtures/python/correct.py"

# A regularized bias column shows on the smallest network there is, once λ > 0.
expect 1 'smallest failing network:' -- fuzz --seed 2 --cases 40 -- "$python" "$fixtures/python/bias_regularized.py"
expect 1 '^  1-1, .*, m = 1, λ = 0.1, seed 0$' -- fuzz --seed 2 --cases 40 -- "$python" "$fixtures/python/bias_regularized.py"
# Row-major unrolling needs a layer with two rows and two columns: 1-1-2.
expect 1 '^  1-1-2, hidden g = sigmoid' -- fuzz --seed 3 --cases 30 --octave "$fixtures/octave/row_major_unrolling"
# The printed command reproduces the failure on its own.
"$gradcheck" fuzz --seed 3 --cases 30 -q --octave "$fixtures/octave/row_major_unrolling" > found.txt
command=$(grep -A1 '^check it on its own with:' found.txt | tail -1 | sed 's/^  gradcheck //')
# shellcheck disable=SC2086
expect 1 'FAIL: gradient mismatch' -- $command
# The report of the smallest network can be written in any format.
expect 1 'report: small.xml' -- fuzz --seed 2 --cases 40 -o small.xml -- "$python" "$fixtures/python/bias_regularized.py"
grep -q '<testsuite name="gradcheck [0-9-]* at λ = [0-9.]*: the smallest failing network' small.xml && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL small.xml"; }

# An implementation that fails outright: shrunk, then exit 3.
expect 3 'implementation failed: .*false' -- fuzz --seed 1 --cases 5 -- /bin/false
expect 2 'no implementation to fuzz' -- fuzz --cases 5
expect 2 'sample applies to --self' -- fuzz --sample 3 -- "$python" "$fixtures/python/correct.py"
expect 2 "unknown activation 'swish'" -- fuzz --activation swish -- "$python" "$fixtures/python/correct.py"

finish fuzz
