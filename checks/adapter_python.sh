#!/usr/bin/env bash
# The Python adapter through the real command line: the correct fixture passes on every kind of
# network, each buggy fixture fails with exit 1 and a report that points at the right layer.
# Usage: adapter_python.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$1"
python=/usr/bin/python3  # Debian's, with python3-numpy
fixtures="$here/../fixtures/python"
source "$here/expect.sh"

impl() { printf '%s\n' -- "$python" "$fixtures/$1.py"; }

# The correct numpy backprop passes against the reference, J included, on every activation and cost.
expect 0 'PASS( at [^:]*)?: J and the gradient match the reference' -- check $(impl correct)
expect 0 'PASS( at [^:]*)?: J and the gradient'  -- check --lambda 3 $(impl correct)
expect 0 'PASS( at [^:]*)?: J and the gradient'  -- check --arch 4-6-5-3 --activation tanh,relu --cost softmax-crossentropy --seed 1 --examples 7 --lambda 0.5 $(impl correct)
expect 0 'PASS( at [^:]*)?: J and the gradient'  -- check --arch 2-3-2 --activation identity --cost identity-quadratic --seed 2 $(impl correct)
expect 0 'PASS( at [^:]*)?: J and the gradient'  -- check --arch 3-4-2 --cost sigmoid-quadratic --seed 3 --lambda 1 $(impl correct)
# The newer activations, against an independent numpy implementation of them.
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient' -- check --arch 5-6-4-3 --activation leaky-relu,elu --seed 3 --examples 8 $(impl correct)
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient' -- check --arch 5-6-3 --activation softplus --cost softmax-crossentropy --seed 4 $(impl correct)
expect 1 'likely mistake: g\(z\) used in place of g′\(z\)' -- check --arch 5-6-3 --activation elu --seed 3 --lambda 1 $(impl sigmoid_for_derivative)
# Right but in float32: reference mode judges it (its D is right to float32's precision); its own J
# is too coarse to difference, which self mode measures (ECnoise) and says, exit 5: never a FAIL.
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient'  -- check $(impl float32)
expect 5 'CANNOT JUDGE at λ = 0: J is noisy'  -- check --self $(impl float32)
expect 5 'CANNOT JUDGE: J is noisy'            -- check --self --directional $(impl float32)
# Its mistakes, in float32, still fail: entries below the floor are judged within float32's
# rounding of the numbers each is computed from, no wider.
expect 1 'FAIL at λ = 3: .*likely mistake: bias column regularized'  -- check $(impl float32) bias_regularized
expect 1 'FAIL at λ = 0: .*likely mistake: g\(z\) used in place of g′\(z\)'  -- check $(impl float32) sigmoid_for_derivative
expect 1 'FAIL at λ = 3: J differs .*likely mistake: regularization missing from J'  -- check $(impl float32) cost_unregularized
# At a fitted θ the float32 gradient (entries ~1e-10) comes back ~1e-8 off, as far as the negated
# one: neither can be judged (it FAILed the right one). In float64 both are judged.
expect 5 'CANNOT JUDGE: Theta1_grad lies within what rounding at your implementation.s precision \(float32' -- check --problem "$here/../fixtures/python/linreg_near_fit.json" $(impl linreg_float32)
expect 5 'CANNOT JUDGE: Theta1_grad lies within what rounding'  -- check --problem "$here/../fixtures/python/linreg_near_fit.json" $(impl linreg_float32) negated
# A J that is not the course's: "where" describes the entries that failed (it said "only the bias
# column" where exactly the others failed, and nothing where exactly the bias column did).
expect 1 'where +wrong: Theta1_grad, Theta2_grad$'          -- check --self --lambda 3 $(impl own_penalty) double_penalty
expect 1 'where +wrong: Theta1_grad, Theta2_grad \(only the bias column' -- check --self --lambda 3 $(impl own_penalty) doubled_bias
# The tighter tolerances of --order 4 and --scaled-step are the reference's agreement with itself:
# an implementation is judged within central differences' 1e-4 and 1e-5 at the tightest (float32
# FAILed under them), and its mistakes still fail there.
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient'  -- check --order 4 $(impl float32)
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient'  -- check --scaled-step $(impl float32)
expect 0 'PASS at λ = 0 and λ = 3: .*\(a fast check along random directions'  -- check --stencil richardson --order 6 --directional $(impl float32)
expect 1 'FAIL at λ = 3: .*likely mistake: bias column regularized'  -- check --order 4 $(impl bias_regularized)
expect 1 'FAIL at λ = 3'                     -- check --scaled-step --directional $(impl bias_regularized)
# Regression targets of ±300 (J = 2.9e4): the reference's quotients sum per-example changes, so J's
# size costs them nothing; they used to be CANNOT JUDGE for the reference itself.
expect 0 'PASS( at [^:]*)?: D\^\(l\) matches'   -- check --problem $fixtures/large_targets.json
expect 0 'PASS( at [^:]*)?: J and the gradient'          -- check --problem $fixtures/large_targets.json $(impl correct)
expect 0 'PASS( at [^:]*)?: the gradient matches'   -- check --self --problem $fixtures/large_targets.json $(impl correct)
expect 1 'FAIL'                   -- check --problem $fixtures/large_targets.json $(impl sigmoid_for_derivative)
expect 1 'FAIL'                   -- check --self --problem $fixtures/large_targets.json $(impl bias_regularized)
# The squared error without ½ (δ^(L) = 2(a − y)), and the binary cross-entropy: one sigmoid output, labels 0 and 1.
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient' -- check --arch 4-5-3 --cost identity-mse --seed 3 $(impl correct)
expect 1 'likely mistake: δ\^\(L\) = a − y for the squared error without ½: its factor 2 dropped' -- check --arch 4-5-3 --cost identity-mse --seed 3 --lambda 0 $(impl squared_error_factor_dropped)
expect 1 'diagnosis  δ\^\(L\) = a − y for the squared error' -- check --self --arch 4-5-3 --cost identity-mse --seed 3 --lambda 0 $(impl squared_error_factor_dropped)
cat >binary.json <<'JSON'
{"sizes": [3, 4, 1], "cost": "binary-crossentropy", "lambda": 1,
 "X": [[0.1, -0.2, 0.3], [0.5, 0.4, -0.1], [-0.7, 0.2, 0.9], [0.3, 0.3, -0.6]], "labels": [0, 1, 1, 0]}
JSON
expect 0 'PASS( at [^:]*)?: J and the gradient'                  -- check --problem binary.json $(impl correct)
expect 1 'J = .*MISMATCH'                 -- check --problem binary.json $(impl cost_unregularized)
sed 's/\[0, 1, 1, 0\]/[0, 2, 1, 0]/' binary.json >label_2.json
expect 2 '"labels" entry 2: is 2; expected 0 or 1 \(one output unit' -- check --problem label_2.json
# ReLU kinks. Θ^(1) = 0 puts every hidden z at 0 exactly, where J has no derivative: g′(0) = 0 and
# g′(0) = 1 are both right and pass against the reference's D; ½ and 1000 match neither side, and
# no difference of J can say which is meant (exit 5, never a PASS); a mistake elsewhere still fails.
cat >zero_init.json <<'JSON'
{"sizes": [2, 3, 2], "activations": ["relu"], "cost": "softmax-crossentropy", "lambda": 0,
 "X": [[0.27, -0.46], [-0.92, -0.97], [0.63, 0.83], [0.21, 0.46]], "labels": [1, 2, 1, 2],
 "theta": [[[0, 0, 0], [0, 0, 0], [0, 0, 0]], [[0.09, 0.87, 0.63, -0.99], [0.71, -0.93, 0.46, -0.65]]]}
JSON
expect 0 'PASS( at [^:]*)?: J and the gradient'                                  -- check --problem zero_init.json $(impl correct)
expect 0 'PASS( at [^:]*)?: J and the gradient'                                  -- check --problem zero_init.json $(impl relu_right_at_zero)
expect 0 'D the reference.s entry by entry in Theta1'   -- check --directional --problem zero_init.json $(impl relu_right_at_zero)
expect 5 'CANNOT JUDGE: 9 entries of Theta1 sit on a ReLU kink' -- check --problem zero_init.json $(impl relu_half_at_zero)
expect 5 'CANNOT JUDGE: 9 entries of Theta1 sit on a ReLU kink' -- check --problem zero_init.json $(impl relu_huge_at_zero)
expect 5 'CANNOT JUDGE: 9 entries of Theta1'          -- check --directional --problem zero_init.json $(impl relu_huge_at_zero)
expect 5 'differences of your J cannot judge them'        -- check --self --problem zero_init.json $(impl correct)
expect 5 'differences of your J cannot judge them'        -- check --self --directional --problem zero_init.json $(impl correct)
expect 1 'likely mistake: 1/m missing'                    -- check --problem zero_init.json $(impl average_missing)
expect 0 'shard 1/2'                                      -- check --shard 1/2 --out kink1.json --problem zero_init.json $(impl relu_huge_at_zero)
expect 0 'shard 2/2'                                      -- check --shard 2/2 --out kink2.json --problem zero_init.json $(impl relu_huge_at_zero)
expect 5 'CANNOT JUDGE: 9 entries of Theta1 sit on a ReLU kink' -- merge kink1.json kink2.json
# At a random θ of a wide ReLU network many differences straddle a kink (z ≠ 0): the reference's
# exact D judges those entries, and in self mode the implementation's J at a step that stays on
# one side; the noise of J is measured along the output layer, where no kink is crossed.
relu_net=(--arch 10-30-20-4 --activation relu --seed 1 --examples 300 --lambda 0)
expect 0 'straddling a ReLU kink, against the reference.s exact D'  -- check "${relu_net[@]}" $(impl correct)
expect 0 'where it straddles a ReLU kink, again at a smaller ε'     -- check --self "${relu_net[@]}" $(impl correct)
expect 0 'PASS'                                                     -- check --self --directional "${relu_net[@]}" $(impl correct)
expect 1 'likely mistake: g\(z\) used in place of g′\(z\)'        -- check --self "${relu_net[@]}" $(impl sigmoid_for_derivative)

# A fitted regression: every entry of D near 1e-9, under the floor 1e-4, where differences measure
# their own truncation and the floor would pass any value. The reference's exact D judges those
# entries, with a floor from the rounding that could move them: the right D passes, D·m fails.
"$python" - >fitted.json <<'PY'
import json, numpy as np
r = np.random.default_rng(5)
X = r.uniform(-1, 1, (6, 3)); T1 = r.uniform(-1, 1, (4, 4)); T2 = r.uniform(-1, 1, (2, 5))
a2 = np.tanh(np.hstack([np.ones((6, 1)), X]) @ T1.T)
Y = np.hstack([np.ones((6, 1)), a2]) @ T2.T + 1e-9 * r.uniform(-1, 1, (6, 2))
print(json.dumps({"sizes": [3, 4, 2], "activations": ["tanh"], "cost": "identity-quadratic", "lambda": 0,
                  "X": X.tolist(), "Y": Y.tolist(), "theta": [T1.tolist(), T2.tolist()]}))
PY
expect 0 'PASS( at [^:]*)?: J and the gradient'                                  -- check --problem fitted.json $(impl correct)
expect 1 'FAIL( at [^:]*)?: gradient mismatch in Theta1, Theta2' -- check --problem fitted.json $(impl average_missing)
expect 1 'FAIL( at [^:]*)?: gradient mismatch in Theta1'          -- check --problem fitted.json $(impl sigmoid_for_derivative)
# Through the implementation's own J nothing can judge them: θ is (nearly) a stationary point, where
# −D and 0 would pass the floor as well. Exit 5, in the full and the fast mode, right or wrong, and
# in reference fast mode too (its differences are the reference J's); a mistake J resolves still fails.
for mode in --self "--self --directional" --directional; do
  expect 5 'Theta1_grad and Theta2_grad lie below what differences of your J resolve' -- check $mode --problem fitted.json $(impl correct)
  expect 5 'θ is at or near a stationary point of J'     -- check $mode --problem fitted.json $(impl sigmoid_for_derivative)
done
# An outsider's linear regression 1e-10 off its least-squares fit (a problem file): D ~ 1e-11, J
# quadratic, so the differences are exact but for rounding. Judged entry by entry below the floor
# (the norm figure of a gradient under the floor measures rounding): PASS, never a FAIL with an
# invented "bias column" diagnosis.
# A J scaled by 1e-20 is not the course's J: its mistake fails, named by nothing in the catalog
# (it was "gradient never computed: every D^(l) is zero", as its 1e-20 gradient is beside the course's).
expect 0 'PASS at λ = 0 and λ = 3: the gradient'                  -- check --self $(impl scaled_cost)
expect 1 "evidence   your J is not the course's J"     -- check --self $(impl scaled_cost) sigmoid_for_derivative
expect 0 'PASS( at [^:]*)?: the gradient' -- check --self --problem "$here/../fixtures/python/linreg_near_fit.json" $(impl correct)
# The same fit computed from the normal equations' sums: its J is off by 5e-10 of itself (the form
# cancels), its gradient by 1e-16. That J error once set the floor of the entries judged by the
# reference's exact D, and −D and 0 passed; the floor is now what the gradient's own rounding allows.
expect 0 'PASS( at [^:]*)?: J and the gradient' -- check --problem "$here/../fixtures/python/linreg_near_fit.json" $(impl linreg_normal_equations)
expect 1 'FAIL( at [^:]*)?: gradient mismatch in Theta1' -- check --problem "$here/../fixtures/python/linreg_near_fit.json" $(impl linreg_normal_equations) negated
expect 1 'gradient never computed' -- check --problem "$here/../fixtures/python/linreg_near_fit.json" $(impl linreg_normal_equations) zero
# D·m (6 × 1e-9) is still within what J resolves there (6.7e-9): not judged either, never a PASS.
expect 5 'lie below what differences of your J resolve' -- check --self --problem fitted.json $(impl average_missing)

# Self mode: the gradient against central differences of the implementation's own J, in a few
# requests (how many depends on the child's measured speed: batches are sized to about a second).
expect 0 'self mode, [2-9] requests'       -- check --self $(impl correct)
# Protocol version 1, as gradcheck spoke it before: the whole problem in each of 84 requests (76 for the differences, 1 for J and D, 7 to measure J's noise).
expect 0 'self mode, 84 requests'      -- check --self --protocol 1 $(impl correct)
expect 2 '--protocol: Value 3 not in range 1 to 2' -- check --self --protocol 3 $(impl correct)
# An implementation that speaks version 1 only, and refuses any key it does not know, still passes.
strict=("--" "$python" "$here/../fixtures/protocol_v1/strict_v1.py")
expect 0 'self mode, 84 requests'                        -- check --self "${strict[@]}"
expect 0 'PASS at λ = 0 and λ = 3: the gradient'                     -- check --self "${strict[@]}"
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient'                -- check "${strict[@]}"
# Request 1 in base64 with --encoding base64: the adapter reads it from request 1 on; the strict
# version-1 child, which does not, fails on it (so it was sent so), and --protocol 1 overrides it.
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient'                -- check --encoding base64 $(impl correct)
expect 0 'self mode, [2-9] requests'                                   -- check --self --encoding base64 $(impl correct)
expect 3 'request 1 \(J and the gradient\).*not .dict.'               -- check --encoding base64 "${strict[@]}"
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient'                -- check --encoding base64 --protocol 1 "${strict[@]}"
expect 2 '--encoding: bogus not in'                                    -- check --encoding bogus $(impl correct)
expect 0 'PASS at λ = 0 and λ = 3: the 8 entries sampled across the layers match the numerical gradient \(717 not sampled\)' -- check -q --self --sample 4 --arch 30-20-5 --seed 4 $(impl correct)
expect 0 '717 of 725 entries were not sampled' -- check --self --sample 4 --arch 30-20-5 --seed 4 $(impl correct)

# Printing never touches the replies: a correct implementation that prints everywhere (at import,
# in every call, text that looks like a reply, straight to fd 1) passes, and the report says so.
expect 0 'PASS at λ = 0 and λ = 3'       -- check $(impl chatty)
# J NaN at one point near θ: among the differences, the implementation's failure with the entries
# named; among the noise measurement's points, no advice on float64 or dropout (it gave that).
expect 3 'ERROR: the implementation failed: .*its J was NaN or ±∞ near θ: 1 numerical entry is not finite, first at Theta1\[4, 1\]' -- check --self --lambda 0 $(impl nan_at_one_point) 20
expect 5 'CANNOT JUDGE: J is NaN or ±∞ at a point near θ' -- check --self --lambda 0 $(impl nan_at_one_point) 80
expect 0 "hint .*your code printed [0-9]+ lines .*'loading the network...'" -- check $(impl chatty)
# An error in the user's code names their file and line, not the adapter's.
expect 3 "ERROR: the implementation failed: .*an error: raises.py line 13 \(in cost_and_gradient\): ValueError: matmul.* — in: z3 = a2 @ theta\[1\]" -- check $(impl raises)

# Each classic mistake fails, in the layers where it lives.
expect 1 'Theta1 +5 × 4 .*MISMATCH \(5 of 20 entries\)' -- check --lambda 3 $(impl bias_regularized)
expect 1 'Theta2 +3 × 6 .*MISMATCH \(3 of 18 entries\)' -- check --lambda 3 $(impl bias_regularized)
expect 1 'FAIL( at [^:]*)?: gradient mismatch in Theta1, Theta2' -- check $(impl average_missing)
expect 1 'FAIL( at [^:]*)?: gradient mismatch in Theta1;'           -- check $(impl sigmoid_for_derivative)
expect 1 'Theta2 +3 × 6 .* ok'                         -- check $(impl sigmoid_for_derivative)
expect 1 'FAIL: J differs from the reference J, while the gradient matches' -- check --lambda 3 $(impl cost_unregularized)
expect 1 'cost .* MISMATCH'                                -- check --lambda 3 $(impl cost_unregularized)
# Self mode judges the gradient against the implementation's own J: a J without its
# regularization is not the J of that gradient, so they disagree; at λ = 0 they agree.
expect 1 'FAIL( at [^:]*)?: gradient mismatch'     -- check --self --lambda 3 $(impl cost_unregularized)
expect 0 'PASS'                        -- check --self --lambda 0 $(impl cost_unregularized)
expect 1 'FAIL at λ = 3'               -- check --self $(impl cost_unregularized)  # the default checks λ = 3 too
expect 1 'FAIL( at [^:]*)?: gradient mismatch'     -- check --self $(impl average_missing)
# A JSON report says the same.
expect 1 'report: r.json'         -- check --lambda 3 --out r.json $(impl cost_unregularized)
grep -q '"relative_error": 0.0211' r.json && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL r.json lacks the J comparison"; }

# The fast mode through an implementation: a few requests, every classic mistake caught, in both modes.
expect 0 'fast mode, self mode, [2-9] requests'  -- check --directional --self $(impl correct)
expect 0 'PASS at λ = 0 and λ = 3: .*\(a fast check along random directions' -- check --directional $(impl correct)
expect 1 'FAIL at λ = 3: gradient mismatch in Theta1'      -- check --directional $(impl bias_regularized)
expect 1 'FAIL at λ = 0: gradient mismatch in .*\(λ = 3: FAIL\)'          -- check --directional --self $(impl average_missing)
expect 1 'Theta1 .* MISMATCH'            -- check --directional --self --lambda 0 $(impl sigmoid_for_derivative)
expect 1 'J differs from the reference J'   -- check --directional --lambda 3 $(impl cost_unregularized)
# The fast mode writes every format too, its verdict first; it cannot be sharded.
expect 1 'report: fast.xml' -- check --directional --out fast.json --out fast.xml --out fast.html --out fast.txt $(impl sigmoid_for_derivative)
if head -1 fast.txt | grep -q '^FAIL at λ = 0: gradient mismatch in Theta1'; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL fast.txt does not open with the fast mode's verdict"; fi
expect 2 '--directional cannot be sharded' -- check --directional --shard 1/2 --lambda 0 $(impl correct)

# Shards of an implementation: N processes at once, then merge, the same verdict as one run.
python_conventions=("--" "$python" "$fixtures/conventions.py")
shards() {  # shards N EXTRA-ARGS…: runs the N shards at once into s-i.json
  local n="$1" i
  shift
  rm -f s-*.json
  for i in $(seq 1 "$n"); do "$gradcheck" check --quiet --lambda 3 --arch 12-7-4 --seed 5 --shard "$i/$n" --out "s-$i.json" "$@" & done
  wait
}
shards 3 --self $(impl correct)
expect 0 'PASS( at [^:]*)?: the gradient matches'      -- merge s-1.json s-2.json s-3.json
# A J too noisy to judge by is so in every shard; merge says so too (it used to FAIL a right float32 net).
shards 2 --self $(impl float32)
expect 5 'CANNOT JUDGE: J is noisy'      -- merge s-1.json s-2.json
# A summed J of 2e4: its shards carry the floor its rounding allows, and merge judges with it.
rm -f s-*.json
for i in 1 2; do "$gradcheck" check -q --self --lambda 0 --reduction sum --arch 20-10-5 --examples 5000 --shard "$i/2" --out "s-$i.json" "${python_conventions[@]}" & done
wait
expect 0 'PASS( at [^:]*)?: the gradient matches'      -- merge s-1.json s-2.json
shards 4 $(impl bias_regularized)
expect 1 'FAIL( at [^:]*)?: gradient mismatch in Theta1, Theta2' -- merge s-1.json s-2.json s-3.json s-4.json
shards 2 $(impl cost_unregularized)
expect 1 'cost .* MISMATCH'                -- merge s-1.json s-2.json
expect 1 'J differs from the reference J'  -- merge s-1.json s-2.json
# Those shards edited by hand so that J would pass: refused, whichever field says it.
"$python" -c "import json; r = json.load(open('s-1.json')); r['cost']['relative_error'] = 0; json.dump(r, open('e-1.json', 'w'))"
expect 2 'e-1.json: cost.relative_error is 0; expected' -- merge e-1.json s-2.json
"$python" -c "import json; r = json.load(open('s-1.json')); r['cost']['rounding'] = 1e300; json.dump(r, open('e-1.json', 'w'))"
expect 2 'e-1.json: cost.pass is false; expected true' -- merge e-1.json s-2.json
"$python" -c "import json; r = json.load(open('s-1.json')); r['cost']['rounding'] = 1e300; r['cost']['pass'] = True; json.dump(r, open('e-1.json', 'w'))"
expect 2 'e-1.json: cost.rounding is 1e\+300; expected 0: the merged gradient is not a float32 one' -- merge e-1.json s-2.json
"$python" -c "import json; r = json.load(open('s-1.json')); del r['cost']; json.dump(r, open('e-1.json', 'w'))"
expect 2 'e-1.json: "cost" is missing; expected J compared with the reference' -- merge e-1.json s-2.json
expect 2 '--shard checks one λ; give --lambda' -- check --shard 1/2 $(impl correct)
expect 3 'raises.py line 13'               -- check --lambda 3 --shard 1/2 --out s-1.json $(impl raises)
test ! -e s-1.json && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL a failed shard left its file"; }

# An implementation written for other settings than the check's (run without its --activation and
# --cost): J differs, and the report names the options under which the reference's J is its J.
expect 1 'likely mistake: J differs from the reference.s because the settings differ: with --activation relu --cost softmax-crossentropy the reference.s J matches yours' -- check --lambda 0 $(impl fixed_settings) relu softmax-crossentropy
expect 1 'with --activation tanh the reference.s J matches yours'  -- check --lambda 3 --arch 4-5-3 --seed 2 $(impl fixed_settings) tanh sigmoid-logistic
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient'             -- check --activation relu --cost softmax-crossentropy $(impl fixed_settings) relu softmax-crossentropy
expect 1 'likely mistake: J differs from the reference.s because the settings differ: with --activation tanh the reference.s J matches yours' -- check --directional $(impl fixed_settings) tanh sigmoid-logistic
# A course homework's settings are the course's: its J differing names no setting to rerun with.
"$gradcheck" check --python-ex4 "$here/../fixtures/python_ex4/starter_code" >homework.txt 2>&1
grep -q 'J is [0-9.]*, the reference' homework.txt && ! grep -q "J matches yours\|setting gradcheck supports" homework.txt &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL a homework's J differing named settings to rerun with"; }
expect 1 'evidence   J differs from the reference in no way the catalog knows; no other setting gradcheck supports' -- check --layout w-out-in --regularization l2 --arch 4-5-3 --seed 2 "--" "$python" "$fixtures/conventions.py" J_without_half

# Conventions: the same numpy backprop in every weight layout, regularization and reduction passes
# in reference mode; its mistakes fail, named in its own terms and entries in its own layout.
conventions=("--" "$python" "$fixtures/conventions.py")
for layout in theta w-out-in w-in-out; do
  for regularization in course l2 none; do
    for reduction in mean sum; do
      # The course's λ/(2m) Σ Θ² on a summed J is checked at λ = 3m (m = 5) to weigh as λ = 3 does.
      lambda=3 && [[ $regularization == course && $reduction == sum ]] && lambda=15
      gradient="the gradient"
      # No regularization: nothing for λ > 0 to exercise, so λ = 0 alone, and no caveat saying so.
      verdict="PASS at λ = 0 and λ = $lambda: J and $gradient" && [[ $regularization == none ]] && verdict="PASS: J and $gradient match the reference in every layer\$"
      expect 0 "$verdict" -- check --layout "$layout" --regularization "$regularization" \
        --reduction "$reduction" --arch 4-5-3 --seed 2 "${conventions[@]}"
    done
  done
done
expect 1 'likely mistake: b regularized in the gradient \(λ·b in db\)' -- check --layout w-in-out --regularization l2 --reduction sum --arch 4-5-3 --seed 2 "${conventions[@]}" bias_regularized
expect 1 '  b1\[0\]  +'                                -- check --layout w-in-out --regularization l2 --lambda 3 --arch 4-5-3 --seed 2 "${conventions[@]}" bias_regularized
expect 1 "likely mistake: the gradient's data term m times too small" -- check --layout w-out-in --reduction sum --arch 4-5-3 --seed 2 "${conventions[@]}" mean_gradient
expect 1 'J differs from the reference J'                               -- check --layout w-out-in --regularization l2 --arch 4-5-3 --seed 2 "${conventions[@]}" J_without_half
expect 1 'conventions W\^\(l\) outputs × inputs and b\^\(l\) apart'   -- check --layout w-out-in --regularization l2 --arch 4-5-3 --seed 2 "${conventions[@]}" J_without_half
expect 0 'PASS at λ = 0 and λ = 15: the gradient'                                  -- check --self --layout w-in-out --reduction sum --arch 4-5-3 --seed 2 "${conventions[@]}"
# Summed over m = 5,000: λ = 3m exercises the course's penalty (at λ = 3 a regularized bias hid
# below the tolerance), and a J of 2e4, whose rounding resolves no entry below 5e-4, is judged with
# that floor instead of refused as noisy.
expect 1 'FAIL at λ = 15000: .*likely mistake: bias column regularized' -- check --reduction sum --arch 20-10-5 --examples 5000 "${conventions[@]}" bias_regularized
expect 0 'PASS at λ = 0 and λ = 15000: the gradient'                              -- check --self --reduction sum --arch 20-10-5 --examples 5000 "${conventions[@]}"
expect 0 "floor 0.0005., below which J's rounding resolves nothing"     -- check --self --lambda 0 --reduction sum --arch 20-10-5 --examples 5000 "${conventions[@]}"
expect 1 'FAIL at λ = 0: .*m times too small'                            -- check --self --reduction sum --arch 20-10-5 --examples 5000 "${conventions[@]}" mean_gradient
# λ = 3 given with a sum over m = 2,000: the verdict line says the penalty was barely exercised.
expect 0 'regularization barely exercised; give --lambda 6000 \(3m\)' -- check --self --lambda 3 --reduction sum --arch 4-5-3 --examples 2000 --seed 2 "${conventions[@]}" bias_regularized
expect 5 "J = 6.96e\+04 keeps its changes only to its own rounding"     -- check --self --lambda 0 --reduction sum --arch 20-10-5 --examples 20000 "${conventions[@]}"
expect 1 'FAIL at λ = 3: gradient mismatch in W1, b1'                                 -- check --directional --self --layout w-in-out --arch 4-5-3 --seed 2 "${conventions[@]}" bias_regularized
expect 2 '--layout, --regularization and --reduction describe an implementation' -- check --layout w-in-out
expect 2 'layout: w-in-ot not in'                                       -- check --layout w-in-ot "${conventions[@]}"

# Side effects are mistakes: a right backprop that changes what it is given FAILs (exit 1), the
# sentence first, in every mode and format; a copy first passes. The planted bug: without the
# adapter's comparison each call gets a fresh copy and it PASSed.
expect 1 "FAIL at λ = 0: cost_and_gradient changes theta in place: theta\[0\]\[:, 0\] set to 0; the caller's θ changes; apart from that, J and the gradient match the reference" -- check $(impl changes_inputs) theta
expect 1 "mistake +cost_and_gradient changes theta in place"             -- check --lambda 3 $(impl changes_inputs) theta
expect 1 'diagnosis +the function changes its inputs in place \(a side effect\)' -- check --lambda 3 $(impl changes_inputs) theta
expect 1 "FAIL: cost_and_gradient changes theta in place"                -- check --self --lambda 0 $(impl changes_inputs) theta
expect 1 "FAIL: cost_and_gradient changes theta in place"                -- check --directional --lambda 0 $(impl changes_inputs) theta
expect 1 "changes X in place: every entry of X shifted column by column \(centred: each column's mean subtracted\); the caller's data changes; and gradient mismatch in Theta1, Theta2; .*J differs from the reference J too" -- check --lambda 0 $(impl changes_inputs) X
# X is kept once per problem, not copied per call: a call that halves it is told, and every later
# call is still given the caller's X (else its own J would differ from call to call: "J is noisy").
expect 1 "changes X in place: every entry of X multiplied by 0.5; the caller's data changes; apart from that, the gradient matches" -- check --self --lambda 0 $(impl changes_inputs) X_half
expect 1 "changes X in place: every entry of X multiplied by 0.5; the caller's data changes; apart from that, vᵀD matches" -- check --self --directional --lambda 0 $(impl changes_inputs) X_half
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient'                  -- check $(impl changes_inputs) none
expect 1 'report: side.json'                                              -- check --lambda 0 --out side.json $(impl changes_inputs) theta
/usr/bin/python3 -c 'import json,sys; r=json.load(open("side.json")); assert r["pass"] is False and r["outcome"] == "FAIL" and "theta[0][:, 0] set to 0" in r["side_effects"][0] and r["verdict"].startswith("FAIL: cost_and_gradient changes theta")' &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL side.json lacks the side effect"; }
expect 1 'report: side.xml'                                               -- check --lambda 0 --out side.xml $(impl changes_inputs) theta
grep -q '<failure type="SideEffect" message="cost_and_gradient changes theta in place' side.xml && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL side.xml lacks the SideEffect failure"; }
expect 3 'changes theta in place.*shard 1/2 is not written'             -- check --lambda 3 --shard 1/2 --out s-side.json $(impl changes_inputs) theta
# A layer's gradient of the wrong shape is named by the adapter, at the user's function.
expect 3 'wrong_layer_shape.py line 7 \(in cost_and_gradient\): TypeError: gradient\[1\] has shape \(3, 5\); expected \(3, 6\)' -- check $(impl wrong_layer_shape)

finish adapter_python
