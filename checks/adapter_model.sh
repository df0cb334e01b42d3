#!/usr/bin/env bash
# Models as named tensors (gradcheck check --model): a from-scratch numpy network in both weight
# layouts, a PyTorch convolutional network with custom autograd Functions, and code with no
# gradient function (an update step, scalar autograd). Correct ones pass;
# each planted mistake fails in exactly the tensors it touches, its worst entry named by indices.
# Usage: adapter_model.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$1"
python=/usr/bin/python3
mlp="$here/../fixtures/layouts/mlp.py"
conv="$here/../fixtures/torch/conv_net.py"
source "$here/expect.sh"

for layout in out-in in-out; do
  expect 0 "PASS: every tensor's gradient matches"              -- check --model -- "$python" "$mlp" "$layout"
  expect 0 'model      4 tensors, P = 39 parameters: W1 '      -- check --model -- "$python" "$mlp" "$layout"
  expect 1 'FAIL: gradient mismatch in b1, b2; worst entry b1\[[0-3]\]' -- check --model -- "$python" "$mlp" "$layout" bias_regularized
  expect 1 'FAIL: gradient mismatch in b1, b2; worst entry b[12]\[[0-3]\]' -- check --model -- "$python" "$mlp" "$layout" transposed_db_sum
  expect 1 'FAIL: gradient mismatch in W1, b1; worst entry W1\[[0-4], [0-4]\]' -- check --model -- "$python" "$mlp" "$layout" missing_tanh_derivative
  expect 1 'b2 +3 .* MISMATCH'                                   -- check --model --directional -- "$python" "$mlp" "$layout" bias_regularized
done
expect 0 'PASS'                                                  -- check --model --directional -- "$python" "$mlp" in-out
expect 0 'PASS: the 15 entries sampled across the tensors match .*\(24 not sampled\)' -- check -q --model --sample 4 -- "$python" "$mlp" in-out
expect 0 'W1 .*\(16 not sampled\)|not sampled'                   -- check --model --sample 4 -- "$python" "$mlp" in-out

# What a wrong gradient looks like (diagnosis/model_patterns.hpp): each planted pattern named in
# every mode, a tensor half halved and half shifted named by none.
patterns="$here/../fixtures/layouts/patterns.py"
expect 1 "likely mistake: every tensor's gradient is 0.5 × the right one\$"   -- check -q --model -- "$python" "$patterns" square_derivative_halved
expect 1 "likely mistake: every tensor's gradient is 0.5 × the right one \(on the entries sampled\)" -- check -q --model --sample 5 -- "$python" "$patterns" square_derivative_halved
expect 1 "likely mistake: every tensor's gradient is 0.5 × the right one \(along the directions tried\)" -- check -q --model --directional -- "$python" "$patterns" square_derivative_halved
expect 1 "likely mistake: every tensor's gradient is -1 × the right one"      -- check -q --model -- "$python" "$patterns" sign_flipped
expect 1 'likely mistake: fc2.weight is the transpose of the right gradient'   -- check -q --model -- "$python" "$patterns" fc2_weight_transposed
expect 1 'likely mistake: fc1.weight is the right gradient transposed \(4 × 5\) and read back in its shape' -- check -q --model -- "$python" "$patterns" fc1_weight_transposed
expect 1 'likely mistake: fc3.bias is zero in every entry'                     -- check -q --model -- "$python" "$patterns" fc3_bias_zero
expect 1 'likely mistake: fc2.weight is the right gradient \+ 0.01 in every entry' -- check -q --model -- "$python" "$patterns" decay_as_constant
expect 1 'likely mistake: only fc1.weight, fc1.bias, fc2.weight, fc2.bias \(the tensors declared before fc3.weight\) are wrong' -- check -q --model -- "$python" "$patterns" fc2_derivative_wrong
expect 1 'the error enters the backward pass between fc3 and fc2'              -- check --model -- "$python" "$patterns" fc2_derivative_wrong
expect 1 'FAIL: gradient mismatch in fc1.weight; worst entry fc1.weight\[[0-4], [0-3]\]$' -- check -q --model -- "$python" "$patterns" mixed
expect 1 'diagnosis  unrecognised discrepancy'                                 -- check --model -- "$python" "$patterns" mixed
expect 1 'report: p.json'                                                      -- check --model --out p.json -- "$python" "$patterns" fc3_bias_zero
"$python" -c "import json, sys; d = json.load(open('p.json'))['diagnosis']; sys.exit(d['patterns'] != ['zero'] or d['wrong_tensors'] != ['fc3.bias'])" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL p.json's diagnosis does not name fc3.bias zero"; }

# PyTorch: conv.weight is 8 × 3 × 3 × 3; the custom Functions' backward passes are what is checked.
expect 0 'conv.weight +8 × 3 × 3 × 3 .* ok'                      -- check --model -- "$python" "$conv"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$conv"
expect 1 'FAIL: gradient mismatch in conv.weight, conv.bias; worst entry conv.weight\[[0-7], [0-2], [0-2], [0-2]\]' -- check --model -- "$python" "$conv" swish_backward
expect 1 'FAIL: gradient mismatch in fc_bias; worst entry fc_bias\[[0-3]\]' -- check --model -- "$python" "$conv" linear_bias_grad
expect 1 'FAIL: gradient mismatch in fc_weight; worst entry fc_weight\[[0-3], [0-9]+\]' -- check --model -- "$python" "$conv" linear_weight_scale
expect 1 'FAIL: gradient mismatch in fc_bias'                    -- check --model --directional -- "$python" "$conv" linear_bias_grad
expect 1 'report: m.json'                                        -- check --model --out m.json -- "$python" "$conv" linear_bias_grad
grep -q '"entry": "fc_bias\[' m.json && grep -q '"pass": false' m.json && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL m.json lacks the verdict or the named worst entry"; }
# A custom autograd Function alone (serve_function): its backward against J = <r, f(x, gain, bias)>.
function="$here/../fixtures/torch/custom_function.py"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$function"
expect 1 'FAIL: gradient mismatch in x; worst entry x\[[0-3], [0-5]\]' -- check --model -- "$python" "$function" mean_term_dropped
expect 1 'FAIL: gradient mismatch in gain; worst entry gain\[[0-5]\]' -- check --model -- "$python" "$function" gain_gradient_unsummed
# Tiny tensors drawn after torch.manual_seed(0): the projection r is drawn apart from them, so a
# transposed weight gradient fails (with r = x it passed).
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$here/../fixtures/torch/linear_seed0.py"
expect 1 'FAIL: gradient mismatch in W; worst entry W'           -- check --model -- "$python" "$here/../fixtures/torch/linear_seed0.py" transposed_weight
# A mask beside x, only x with requires_grad=True (backward returns None for the mask): x alone
# is checked, as torch.autograd.gradcheck does (the mask was checked too, and a right one failed).
masked="$here/../fixtures/torch/masked_function.py"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$masked"
expect 0 'model +1 tensors, P = 12 parameters: x 3 × 4$'         -- check --model -- "$python" "$masked"
expect 1 'FAIL: gradient mismatch in x; worst entry x'           -- check --model -- "$python" "$masked" mask_ignored_in_backward
# Right but not judgeable from its own J: float32 throughout, or dropout left on (J random). Exit 5.
expect 5 'CANNOT JUDGE: J is noisy'                              -- check --model -- "$python" "$mlp" in-out float32
expect 5 'CANNOT JUDGE: J is noisy'                              -- check --model --directional -- "$python" "$mlp" out-in dropout
# A frozen layer is not a parameter: only head.weight and head.bias are checked (inputs as a tuple).
expect 0 '2 tensors, P = 10 parameters: head.weight 2 × 4, head.bias 2' -- check --model -- "$python" "$here/../fixtures/torch/frozen_layer.py"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$here/../fixtures/torch/frozen_layer.py"
# Max-pooling and a leaky ReLU (an outside user's CNN): differences that cross a corner at ε are
# looked at again at ε/10 and ε/100, so the right model passes and the forgotten slope fails; a
# corner at θ itself (a pre-activation exactly 0) leaves its entries unjudged: exit 5, not a FAIL.
maxpool="$here/../fixtures/torch/maxpool_net.py"
expect 0 'entries that disagreed looked at again at ε/10 and ε/100' -- check --model -- "$python" "$maxpool"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$maxpool"
expect 1 'FAIL: gradient mismatch in conv.weight, conv.bias'     -- check --model -- "$python" "$maxpool" leaky_slope
expect 5 'CANNOT JUDGE: 3 entries \(conv.bias\[0\], …\) give differences that do not settle' -- check --model -- "$python" "$maxpool" corner_at_theta
# The fast mode looks again the same way, direction by direction: a corner at θ leaves its tensor
# unjudged (exit 5, it used to FAIL a right model), the forgotten slope still fails.
expect 5 'the directional derivatives along conv.bias do not settle' -- check --model --directional -- "$python" "$maxpool" corner_at_theta
expect 1 'FAIL: gradient mismatch in conv.weight'                -- check --model --directional -- "$python" "$maxpool" leaky_slope
expect 0 'PASS'                                                  -- check --model --directional -- "$python" "$maxpool"

# ReLU kinks are not noise: a conv net (Conv2d, ReLU, Linear) whose last tensor, conv.bias, lies
# before the ReLU. The noise probe along it alone crossed kinks and called J noisy (exit 5, right or
# wrong); probed along every tensor, the right net passes and a 1% mistake in one entry fails, in
# every order, with max-pooling too, in the full and the fast mode.
relu_conv="$here/../fixtures/torch/relu_conv.py"
for order in conv_last conv_first pool_conv_last; do
  expect 0 "PASS: every tensor's gradient matches"               -- check --model -- "$python" "$relu_conv" $order
  expect 1 'FAIL: gradient mismatch in conv.bias; worst entry conv.bias\[3\]' -- check --model -- "$python" "$relu_conv" $order one_bias
  expect 1 'FAIL: gradient mismatch in conv.weight; worst entry conv.weight\[2, 1, 0, 1\]' -- check --model -- "$python" "$relu_conv" $order one_weight
done
expect 0 'PASS'                                                  -- check --model --directional -- "$python" "$relu_conv" conv_last
expect 1 'FAIL: gradient mismatch in conv.bias$'                 -- check --model --directional -- "$python" "$relu_conv" conv_last one_bias
# Weights stored in float32, J and a right gradient in float64 from them, a zero bias: every step
# lands on float32's grid (quotients off by 1.7e-4), while J looks quiet along the zero bias. It
# was a FAIL; the rounding is probed directly (J deaf to a step of 2^-30 of a weight): exit 5.
f32w="$here/../fixtures/python/float32_weights.py"
# A mistake far beyond what the grid explains (db1 doubled) still FAILs.
expect 5 'CANNOT JUDGE: the implementation rounds its parameters to float32 .*keep the parameters in float64' -- check --model -- "$python" "$f32w"
expect 1 'FAIL: gradient mismatch in .*b1.*; worst entry b1\['     -- check --model -- "$python" "$f32w" b1_x2
# A C¹ cost whose second derivative jumps at θ (relu² at 0): central differences are off by h/2,
# first order, at every step; the closer look sees the first-order convergence and judges its
# limit. The right model passes (it failed); mistakes in b (even where J's slope is 0) fail.
sqrelu="$here/../fixtures/python/squared_relu.py"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$sqrelu" 0
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$sqrelu" 1e-9
expect 1 'FAIL: gradient mismatch in b; worst entry b\[[0-2]\]'   -- check --model -- "$python" "$sqrelu" 0 b_offset
expect 1 'FAIL: gradient mismatch in b; worst entry b\[3\]'       -- check --model -- "$python" "$sqrelu" 0 b_x1.01
expect 1 'FAIL: gradient mismatch in w'                          -- check --model -- "$python" "$sqrelu" 0 w_x2
# A trained checkpoint (the CS231n two-layer ReLU net after 5,000 steps of gradient descent):
# truncation beside a gradient near 0 failed W2's norm figure, and pre-activations stuck near 0
# put corners within ε/1000. Looked at closer, the right net passes; planted mistakes fail.
trained="$here/../fixtures/python/trained_relu.py"
expect 0 "entries looked at closer, at ε down to ε/1000"          -- check --model -- "$python" "$trained" 38 5000
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$trained" 0 5000
expect 1 'FAIL: gradient mismatch in W1, W2'                     -- check --model -- "$python" "$trained" 38 5000 reg_factor
expect 1 'FAIL: gradient mismatch in W1, b1'                     -- check --model -- "$python" "$trained" 0 5000 no_relu_mask
# A corner within ε/1000 at 1,000 steps (seed 11): not judged, the way out named; --jitter checks
# at a random θ nearby, where the right net passes and a mistake fails, and every report says so.
expect 5 'do not settle as ε shrinks.*--jitter moves θ off the corners' -- check --model -- "$python" "$trained" 11 1000
expect 0 "PASS: every tensor's gradient matches"                 -- check --model --jitter -- "$python" "$trained" 11 1000
expect 0 'θ jittered \(--jitter\): each entry moved by u · 1% of its tensor'"'"'s root mean square' -- check --model --jitter --seed 3 -- "$python" "$trained" 11 1000
expect 1 'FAIL: gradient mismatch in W1, W2'                     -- check --model --jitter -- "$python" "$trained" 11 1000 reg_factor
expect 1 'report: j.json'                                        -- check --model --jitter -o j.json -- "$python" "$relu_conv" conv_last one_bias
grep -q '"jitter": "θ jittered' j.json && grep -q 'at θ jittered (--jitter, --seed 0)' j.json && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL j.json does not say θ was jittered"; }
expect 3 'does not declare the parameters it was asked to move to' -- check --model --jitter -- "$python" "$here/../fixtures/faulty/model_without_values.py"
expect 2 '--jitter applies to --model'                           -- check --jitter

# A tiny J (loss and gradient × 1e-11): every entry far below the floor 1e-4, which would pass any
# value there. Finer differences (ε/10, ε/100) settle and judge each with its own floor: the right
# model passes, each mistake fails in its tensors, in the full and the fast mode.
expect 0 'entries below the floor judged at ε/100'              -- check --model -- "$python" "$mlp" out-in tiny
expect 0 'PASS'                                                  -- check --model --directional -- "$python" "$mlp" in-out tiny
expect 1 'FAIL: gradient mismatch in b1, b2; worst entry b[12]\[[0-3]\]' -- check --model -- "$python" "$mlp" out-in tiny_bias_regularized
expect 1 'FAIL: gradient mismatch in W1, b1'                     -- check --model -- "$python" "$mlp" in-out tiny_missing_tanh_derivative
expect 1 'FAIL: gradient mismatch in b1, b2'                     -- check --model --directional -- "$python" "$mlp" out-in tiny_transposed_db_sum
# J = 1 + 1e-12·J: every change of J is lost in its rounding, so nothing can be judged, right or
# wrong (the floor alone would pass −D): exit 5, never a PASS.
expect 5 'W1, b1, W2 and b2 lie below what differences of your J resolve' -- check --model -- "$python" "$mlp" out-in offset
expect 5 'lost in its rounding'                                  -- check --model -- "$python" "$mlp" in-out offset_bias_regularized
# J = 1e6 + J: its rounding resolves entries above 0.02 only. The right one cannot be judged; a
# mistake far above the noise's reach FAILs (it used to be CANNOT JUDGE too).
expect 5 'J = 1e\+06 keeps its changes only to its own rounding'     -- check --model -- "$python" "$mlp" out-in shifted
expect 1 'FAIL: gradient mismatch in W1, b1'                       -- check --model -- "$python" "$mlp" out-in shifted_missing_tanh_derivative
# J too noisy to judge every entry, one tensor wrong beyond the noise: the FAIL names that tensor
# alone, and the worst entry is its own (all four were MISMATCH, the worst a right W1 entry).
noisy="$here/../fixtures/layouts/noisy_one_wrong.py"
expect 1 'FAIL: gradient mismatch in b2; worst entry b2\['             -- check --model -- "$python" "$noisy" float32 b2 1.1
expect 1 'FAIL: gradient mismatch in b1; worst entry b1\['             -- check --model -- "$python" "$noisy" offset b1 1.01
expect 1 "only differences beyond it are judged"                      -- check --model -- "$python" "$noisy" offset b1 1.01
expect 5 'CANNOT JUDGE: J is noisy'                                   -- check --model -- "$python" "$noisy" float32 b2 1
# The same in the fast mode: the wrong tensor alone (all four were MISMATCH, and the Taylor column
# said "kink" on a smooth tanh); the right one is still CANNOT JUDGE.
expect 1 'FAIL: gradient mismatch in b2$'                             -- check --model --directional -- "$python" "$noisy" float32 b2 1.1
expect 1 'FAIL: gradient mismatch in b1$'                             -- check --model --directional -- "$python" "$noisy" offset b1 1.1
expect 1 'W1 .* noise  ok'                                            -- check --model --directional -- "$python" "$noisy" offset b1 1.1
expect 5 'CANNOT JUDGE: J is noisy'                                   -- check --model --directional -- "$python" "$noisy" float32 b2 1
expect 5 'lie below what differences of your J resolve'          -- check --model --directional -- "$python" "$mlp" out-in offset_bias_regularized
# A second tensor wrong within the noise, beside the one wrong beyond it: not judged, never ok
# (b2 × 1.01 was ok beside a failing W1); where nothing fails beyond the noise, the fast mode's
# table is labelled the same way (every tensor was MISMATCH, rel.err 1.00 on values 5% apart,
# "kink" on a smooth tanh).
expect 1 "b2 .* not judged: within J's noise"                         -- check --model -- "$python" "$noisy" float32 W1,b2 1.05,1.01
expect 1 "W1 .* noise  not judged: within J's noise"                  -- check --model --directional -- "$python" "$noisy" offset W2,W1 1.05,1.01
expect 5 "W1 .* noise  not judged: within J's noise"                  -- check --model --directional -- "$python" "$noisy" float32 W1 1.03
expect 5 "b1 .* noise  ok"                                            -- check --model --directional -- "$python" "$noisy" float32 W1 1.03
# J's noise probed along each tensor too reads float32's σ a little lower (the quietest line):
# W1 5% wrong stands beyond it and FAILs, where it was not judged.
expect 1 'FAIL: gradient mismatch in W1$'                             -- check --model --directional -- "$python" "$noisy" float32 W1 1.05
# A float64 J with logits near 80: its rounding (σ ≈ 1e-12) is far above ε_mach·|J|, yet the
# gradient's entries (order 1) stand high above it: judged, not refused as noisy.
logits="$here/../fixtures/torch/large_logits.py"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$logits"
expect 1 'FAIL: gradient mismatch in bias; worst entry bias\['  -- check --model -- "$python" "$logits" bias_doubled
# A batch norm at a trained θ: differences at ε are off by 1e-3 in l1.weight (large J‴), settled
# at ε/10 and ε/100 and extrapolated; l1.bias's gradient is zero by structure (J flat along it).
bn="$here/../fixtures/torch/batchnorm_net.py"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$bn" trained
expect 1 'FAIL: gradient mismatch in l2.weight; worst entry l2.weight' -- check --model -- "$python" "$bn" trained sign
expect 0 'PASS'                                                  -- check --model --directional -- "$python" "$bn"

# A NaN in the gradient or in J at θ: the implementation's failure (exit 3), the entry named.
expect 3 'NaN or ±∞ in 1 entry of its gradient, first b2\[1\] = nan' -- check --model -- "$python" "$mlp" out-in nan_gradient
expect 3 'NaN or ±∞ in 1 entry of its gradient, first b2\[1\] = nan' -- check --model --directional -- "$python" "$mlp" in-out nan_gradient
expect 3 'J = nan \(often log\(0\)'                             -- check --model -- "$python" "$mlp" out-in nan_cost
expect 3 'a reply with "b2" twice in one object'                -- check --model -- "$python" "$mlp" out-in repeated_key
expect 3 'parameters\[0\] is named "\\x1b\[31mW1"; expected printable text' -- check --model -- "$python" "$mlp" out-in escape_name

# Code with no gradient function (gradcheck_nograd.py). An update step of Nielsen's shape: the
# gradient is read back from the step; a wrong σ′ fails in the layer it touches; a step with
# momentum, or one that updates a layer before propagating through it, has no gradient to read
# (exit 3, said in words); weight decay passes when its term is in the cost, and fails without.
nielsen="$here/../fixtures/python/nielsen_style.py"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$nielsen"
expect 0 'model +6 tensors, P = 46 parameters: weights\[0\] 4 × 3, weights\[1\] 4 × 4' -- check --model -- "$python" "$nielsen"
expect 0 'PASS'                                                  -- check --model --directional -- "$python" "$nielsen"
expect 1 'FAIL: gradient mismatch in weights\[0\], biases\[0\]; worst entry (weights|biases)\[0\]\[' -- check --model -- "$python" "$nielsen" wrong_z
expect 1 'FAIL: gradient mismatch in weights\[0\], biases\[0\]' -- check --model --directional -- "$python" "$nielsen" wrong_z
expect 3 'called twice at the same θ moved weights\[2\]\[[0-9], [0-9]\] by .*momentum' -- check --model -- "$python" "$nielsen" momentum
expect 3 'is not linear in the learning rate: \(before − after\)/lr for .* at lr = 1 and' -- check --model -- "$python" "$nielsen" update_during_backprop
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$nielsen" regularized
expect 1 'FAIL: gradient mismatch in weights\[0\], weights\[1\], weights\[2\]; worst entry weights' -- check --model -- "$python" "$nielsen" regularized_cost_missing
# At lr = 1e-10, (before − after)/lr alone is off by ε_mach·|w|/lr and FAILs the right step; the
# adapter's second call at 2^k·lr keeps g's digits, and the right step passes.
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$nielsen" tiny_lr
expect 1 'FAIL: gradient mismatch in weights\[0\]'              -- check --model -- "$python" "$nielsen" tiny_lr_unscaled
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$nielsen" lost_lr
# Scalar autograd in micrograd's style: .grad after backward() is the gradient; pow's backward
# without its exponent fails everywhere, tanh's derivative taken from its input in the hidden layer.
micrograd="$here/../fixtures/python/micrograd_style.py"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$micrograd"
expect 0 'model +4 tensors, P = 21 parameters: layers\[0\].w 4 × 3, layers\[0\].b 4' -- check --model -- "$python" "$micrograd"
expect 1 'FAIL: gradient mismatch in layers\[0\].w, layers\[0\].b, layers\[1\].w, layers\[1\].b' -- check --model -- "$python" "$micrograd" pow_exponent_dropped
expect 1 'FAIL: gradient mismatch in layers\[0\].w, layers\[0\].b; worst entry layers\[0\]' -- check --model -- "$python" "$micrograd" tanh_derivative_of_output
expect 3 'again\[0\] is the same Value as layers\[1\].b\[0\]'   -- check --model -- "$python" "$micrograd" shared

# What a model check refuses, in one line each.
expect 3 'a model check needs protocol version 2'                -- check --model --protocol 1 -- "$python" "$mlp" in-out
expect 2 '--model: the implementation owns its data'             -- check --model --lambda 3 -- "$python" "$mlp" in-out
expect 2 '--model checks an implementation'                      -- check --model
expect 3 'request without the problem'                           -- check --model -- "$python" "$here/../fixtures/python/correct.py"

# One bad tensor does not stop the check: CS231n's batch norm by hand (serve_model). A scalar
# dgamma, a None dbeta fail that tensor alone, its reason as its row, the others still judged;
# a shape error deep in numpy is told at the user's line; x centred in place is a side effect.
bn="$here/../fixtures/torch/batchnorm_numpy.py"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$bn"
expect 1 "FAIL: gamma: the gradient is a scalar; expected shape \(5,\); the other tensors' gradients match" -- check --model -- "$python" "$bn" scalar_dgamma
expect 1 'gamma +5 .*FAIL: the gradient is a scalar; expected shape \(5,\)' -- check --model -- "$python" "$bn" scalar_dgamma
expect 1 'x +4 × 5 .* ok'                                        -- check --model -- "$python" "$bn" scalar_dgamma
expect 1 'FAIL: beta: the gradient is None \(cost_and_gradient returned None for beta\); expected shape \(5,\)' -- check --model -- "$python" "$bn" dbeta_none
expect 1 'beta +5 .*FAIL: the gradient is None'                  -- check --model --directional -- "$python" "$bn" dbeta_none
expect 1 'report: bn.json'                                       -- check --model --out bn.json -- "$python" "$bn" dbeta_none
/usr/bin/python3 -c 'import json; r=json.load(open("bn.json")); t={x["name"]: x for x in r["checks"][0]["tensors"]} if "checks" in r else {x["name"]: x for x in r["tensors"]}; assert r["pass"] is False and t["beta"]["pass"] is False and "None" in t["beta"]["unusable"] and t["x"]["pass"] is True' &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL bn.json lacks beta's reason or x's verdict"; }
expect 3 'batchnorm_numpy.py line 39 \(in batchnorm_backward\): ValueError: shapes \(4,5\) and \(4,5\) not aligned.* — in: dx = np.dot\(dxhat, xhat\) / N' -- check --model -- "$python" "$bn" shape_error
expect 1 "FAIL: cost_and_gradient changes params in place: every entry of params\['x'\] shifted column by column" -- check --model -- "$python" "$bn" normalizes_x
# A custom Function's backward returning a scalar for gain: torch's engine refuses it; gain fails
# alone, named at the user's backward (not torch's __init__.py), x and bias still judged.
expect 1 'FAIL: gain: the gradient is a scalar; expected shape \(6,\): backward returned it \(custom_function.py line [0-9]+, in backward\); the other tensors' -- check --model -- "$python" "$function" gain_gradient_scalar
# A module whose loss clips its weights in place, or whose forward scales its input in place.
inplace="$here/../fixtures/torch/inplace_net.py"
expect 0 "PASS: every tensor's gradient matches"                 -- check --model -- "$python" "$inplace"
expect 1 'FAIL: Net \(its forward, or the loss\) changes its parameters in place: 2 of 12 entries of fc1.weight set to -0.3' -- check --model -- "$python" "$inplace" clips_weights
expect 1 'FAIL: Net \(its forward, or the loss\) changes inputs in place: every entry of inputs multiplied by 0.5' -- check --model --directional -- "$python" "$inplace" scales_inputs

finish adapter_model
