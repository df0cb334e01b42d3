#!/usr/bin/env bash
# The command line as a user meets it: reports, exit codes, one-line errors.
# Usage: cli.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$1"
source "$here/expect.sh"

# The course's checkNNGradients, as Quick start runs it.
expect 0 'PASS: D\^\(l\) matches'  -- check
expect 0 'Θ\^\(1\) +5 × 4 .* ok'   -- check
expect 0 'Θ\^\(2\) +3 × 6 .* ok'   -- check
expect 0 'm = 5, λ = 3'            -- check --lambda 3
expect 0 '^PASS'                   -- check --quiet
expect 0 'hidden g = tanh \(layer 2\), relu \(layer 3\)' -- check --arch 4-8-8-3 --activation tanh,relu --cost softmax-crossentropy --seed 7
expect 0 'order-4 central stencil' -- check --arch 2-3-1 --cost identity-quadratic --order 4 --epsilon 1e-3
expect 0 'PASS'                    -- check --arch 5-4-4-4-2 --activation relu --seed 3 --examples 16
expect 0 'Richardson extrapolation to order 6 over ε, ε/2, ε/4, ε = ε_mach\^\(1/7\)' -- check --stencil richardson --order 6 --scaled-step
expect 2 'not available for Richardson extrapolation; expected 4 or 6' -- check --stencil richardson
expect 0 'relative error ≤ 1e-09 per entry .* ≤ 1e-12'   -- check --complex-step
expect 1 'FAIL: gradient mismatch in Θ\^\(1\), Θ\^\(2\)' -- check --complex-step --lambda 3 --plant bias-regularized
expect 0 'relative error ≤ 0.0009 per entry'             -- check --epsilon 3e-4
# No option makes a wrong gradient pass: absurd steps and loose tolerances are refused up front.
expect 2 'too large for central differences.*expected 1e-08 ≤ ε ≤ 0.000316' -- check --epsilon 1e-3
expect 2 'too small for central differences.*expected 1e-08 ≤ ε ≤ 0.000316' -- check --epsilon 1e-300 --plant sign-flipped
expect 2 'too small for central differences'              -- check --epsilon 1e-15 --plant sign-flipped
expect 2 '--tolerance 0.5 is above 0.001'                  -- check --tolerance 0.5 --plant bias-regularized --lambda 3
expect 2 '--norm-tolerance 0.1 is above 0.0001'            -- check --norm-tolerance 0.1
expect 2 '--floor 10 is above 0.001'                       -- check --floor 10
# A huge J costs the reference nothing (it sums per-example changes): λ = 1e12 is judged, both ways.
expect 0 'PASS: D\^\(l\) matches'                        -- check --lambda 1e12
expect 1 'FAIL: gradient mismatch'                        -- check --lambda 1e12 --plant sign-flipped
expect 1 'FAIL: gradient mismatch .*likely mistake: sign of'  -- check --epsilon 1e-8 --plant sign-flipped
expect 0 'PASS: vᵀD matches'                             -- check --directional
expect 1 'FAIL: gradient mismatch in Θ\^\(1\) \(run without' -- check --directional --plant derivative-dropped
expect 1 'Θ\^\(1\) .* 1\.00 \(5e-01\)  MISMATCH'        -- check --directional --plant activation-for-derivative

# Planted mistakes fail with exit 1 and name the right layer.
expect 1 'FAIL: gradient mismatch in Θ\^\(1\), Θ\^\(2\)' -- check --lambda 3 --plant bias-regularized
expect 1 'FAIL: gradient mismatch in Θ\^\(1\);'          -- check --plant derivative-dropped
expect 1 'Θ\^\(2\) +3 × 6 .* ok'                         -- check --plant derivative-dropped
expect 1 'planted mistake: g′\(z\) dropped from δ'       -- check --plant derivative-dropped
expect 1 '^FAIL'                                         -- check --quiet --plant sign-flipped
# A tolerance below a difference quotient's own rounding would fail right gradients: refused.
expect 2 '--tolerance 1e-15 with --floor 0.0001 at ε = 0.0001 asks for more than a difference quotient resolves.*expected --tolerance ≥ 4.4e-08' -- check --tolerance 1e-15 --norm-tolerance 1e-20

# Sharding: the parts merge into the unsharded report, byte for byte but for the line naming the run.
for i in 1 2 3; do expect 0 "shard $i/3: .* written to reports/shard-$i-of-3.json" -- check --arch 6-5-4 --seed 9 --shard "$i/3"; done
expect 0 'PASS'                    -- merge reports/shard-3-of-3.json reports/shard-1-of-3.json reports/shard-2-of-3.json --out merged.json
expect 0 'report: whole.json' -- check --arch 6-5-4 --seed 9 --out whole.json
grep -v '^    "run": ' merged.json >merged.same && grep -v '^    "run": ' whole.json >whole.same
same_files merged.same whole.same
expect 2 'expected all N = 3'      -- merge reports/shard-1-of-3.json reports/shard-2-of-3.json
echo 'garbage' > garbage.json
expect 2 'garbage.json: is not valid JSON' -- merge garbage.json
expect 2 "is not i/N with 1 ≤ i ≤ N" -- check --shard 4/3
expect 2 'more than the 2088960 a shard report holds .*expected N ≥ 2' -- check --arch 3000-1000-10 --shard 1/1
expect 2 'cannot write in /nonexistent' -- check --out /nonexistent/report.json
for i in 1 2; do expect 0 "shard $i/2" -- check --plant derivative-dropped --shard "$i/2" --out "bad-$i.json"; done
expect 1 'FAIL: gradient mismatch in Θ\^\(1\);' -- merge bad-2.json bad-1.json
# The same shards edited by hand: no claim a check of the reference never writes is merged.
edit() {  # edit PYTHON-STATEMENT: applies it to r, bad-1.json's JSON, into edited-1.json
  /usr/bin/python3 -c "import json; r = json.load(open('bad-1.json')); $1; json.dump(r, open('edited-1.json', 'w'))"
}
edit 'r["floors"] = [1e300] * len(r["coordinates"]); r["stationary"] = r["coordinates"]'
expect 2 'edited-1.json: "floors" is there in a shard of the reference.s own check' -- merge edited-1.json bad-2.json
edit 'r["kinks"] = r["coordinates"]'
expect 2 'edited-1.json: kinks\[0\] \(Θ\^\(1\)_\{1,0\}\) is flagged a kink; expected none' -- merge edited-1.json bad-2.json
edit 'r["coordinates"][0] = 1'
expect 2 'edited-1.json: coordinates\[0\] is 1; expected 0' -- merge edited-1.json bad-2.json
edit 'r["gradcheck"]["version"] = "0.2.0"'
expect 2 'edited-1.json: gradcheck.version is "0.2.0"; expected "0.1.0"' -- merge edited-1.json bad-2.json

# Explain mode.
expect 0 'δ\^\(3\) = a\^\(3\) − y\^\(1\)' -- explain
expect 0 '── example t = 2'                           -- explain
expect 0 'D\^\(1\) = Δ\^\(1\)/m'                  -- explain --arch 2-2-1 --examples 1 --lambda 1
expect 0 'implementation \(-- /usr/bin/python3'      -- explain -- /usr/bin/python3 "$here/../fixtures/python/correct.py"
expect 2 'examples'                                   -- explain --examples 0

# Help that helps.
expect 0 'Examples:'               -- check --help
expect 0 'Exit codes: 0 pass, 1 gradient mismatch'   -- check --help
expect 0 '3 the implementation failed'               -- check --help
expect 0 'check'                   -- --help
expect 0 'gradcheck 0\.1\.0'       -- --version

# Bad usage: one line naming what was wrong and what was expected, exit 2.
expect 2 "layer size 'x'; expected positive integers" -- check --arch 3-x-3
expect 2 'expected at least an input and an output layer' -- check --arch 7
expect 2 'expected 1 or one per hidden layer \(1\)' -- check --activation tanh,relu
expect 2 "unknown activation 'softsign'; expected one of: sigmoid, tanh, relu, identity" -- check --activation softsign
expect 2 'cost'                    -- check --cost hinge
expect 2 'examples'                -- check --examples 0
expect 2 'lambda'                  -- check --lambda -1
expect 2 'epsilon'                 -- check --epsilon 0
expect 2 'too large; expected at most'  -- check --arch 100000-100000-10
expect 2 'subcommand'              -- 
expect 2 "unknown subcommand 'frobnicate'" -- frobnicate
expect 2 'plant'                   -- check --plant nonsense
expect 3 'cannot start extra-argument: No such file' -- check extra-argument

# Runs that share a folder: eight at once write the same -o r.json, half passing, half failing.
# Each exits with its own verdict; r.json is one whole report of one run; no temporary is left.
rm -f shared.json
pids=()
for k in 1 2 3 4 5 6 7 8; do
  if [ $((k % 2)) -eq 0 ]; then plant=(--plant bias-regularized --lambda 3); else plant=(); fi
  "$gradcheck" check --arch 12-8-4 --seed "$k" -q -o shared.json "${plant[@]}" >/dev/null 2>&1 &
  pids+=($!)
done
codes=""
for k in 0 1 2 3 4 5 6 7; do wait "${pids[$k]}"; codes+="$? "; done
if [ "$codes" = "0 1 0 1 0 1 0 1 " ] && /usr/bin/python3 -c 'import json,sys; json.load(open("shared.json"))' &&
   [ -z "$(ls shared.json.partial* 2>/dev/null)" ]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "FAIL concurrent runs on one -o: exit codes $codes; $(ls shared.json* 2>&1 | tr '\n' ' ')"
fi

# -o FILE -- CMD --flag: the implementation keeps its own flags.
expect 0 'PASS at λ = 0 and λ = 3' -- check -q -o sep.json -- /usr/bin/python3 "$here/../fixtures/python/correct.py" --serve
expect 0 'PASS at λ = 0 and λ = 3' -- check -q --out=sep.xml -- /usr/bin/python3 "$here/../fixtures/python/correct.py" --serve

# One sigmoid output (binary cross-entropy): targets drawn 0 and 1, not 1 … K = 1 (every y = 1),
# so J's −(1 − y) log(1 − h) half is exercised and a J without it fails, checkNNGradients-style
# and random problems alike; the course's homework still gets labels.
expect 0 'y = mod\(1:m, 2\) \(one output\)'                         -- check --arch 4-3-1 --cost binary-crossentropy
expect 1 'likely mistake: \(1 − y\) log\(1 − a\) term missing from J' -- check --arch 4-3-1 --cost binary-crossentropy --plant cost-positive-class-only
expect 1 'likely mistake: \(1 − y\) log\(1 − a\) term missing from J' -- check --arch 5-4-1 --seed 3 --plant cost-positive-class-only
expect 0 'PASS'                                                         -- check --arch 4-3-1 --seed 2 -- /usr/bin/python3 "$here/../fixtures/python/correct.py"

finish cli
