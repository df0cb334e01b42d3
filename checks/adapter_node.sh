#!/usr/bin/env bash
# The Node.js adapter through the real command line: the correct fixture passes in every mode, on
# every kind of network and in every layout; the buggy ones fail with the right layers and the
# mistake named; models served from an update step alone (serveUpdate) too.
# Usage: adapter_node.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$1"
node="$(command -v node || command -v nodejs)" || { echo "adapter_node: node is not installed (./setup.sh test installs nodejs)"; exit 1; }
fixtures="$here/../fixtures/node"
adapter="$here/../src/adapters/node/gradcheck_adapter.js"
source "$here/expect.sh"

impl() { printf '%s\n' -- "$node" "$fixtures/$1.js"; }

expect 0 'PASS at λ = 0 and λ = 3: J and the gradient match the reference' -- check $(impl correct)
expect 0 'PASS( at [^:]*)?: J and the gradient' -- check --arch 4-6-5-3 --activation tanh,relu --cost softmax-crossentropy --seed 1 --examples 7 --lambda 0.5 $(impl correct)
expect 0 'PASS( at [^:]*)?: J and the gradient' -- check --arch 3-4-2 --cost sigmoid-quadratic --seed 3 --lambda 1 $(impl correct)
expect 0 'PASS( at [^:]*)?: J and the gradient' -- check --arch 2-3-2 --activation identity --cost identity-quadratic --seed 2 $(impl correct)
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient' -- check --arch 5-6-4-3 --activation softplus,leaky-relu --seed 3 $(impl correct)
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient' -- check --arch 5-6-3 --activation elu --cost identity-quadratic --seed 5 $(impl correct)
expect 0 'self mode, [2-9] requests'                  -- check --self $(impl correct)
expect 0 'PASS at λ = 0 and λ = 3: .*\(a fast check along random directions'  -- check --directional --self $(impl correct)

expect 1 'FAIL at λ = 3: gradient mismatch in Theta1, Theta2; worst entry Theta1\[[0-9]+, 0\]; likely mistake: bias column regularized \(λ = 0: PASS\)' -- check $(impl bias_regularized)
expect 1 'Theta1 +5 × 4 .*MISMATCH \(5 of 20 entries\)' -- check --lambda 3 $(impl bias_regularized)
expect 1 'likely mistake: 1/m missing from D'    -- check $(impl average_missing)
expect 1 'FAIL( at [^:]*)?: gradient mismatch'               -- check --self --lambda 0 $(impl average_missing)
expect 1 'FAIL at λ = 3: gradient mismatch in Theta1'           -- check --directional $(impl bias_regularized)

# Printing, even before the adapter is loaded (it is preloaded with --require), never reaches the replies.
expect 0 'PASS at λ = 0 and λ = 3'               -- check -- "$node" --require "$adapter" "$fixtures/chatty.js"
expect 0 "hint .*your code printed [0-9]+ lines .*'loading the network...'.*straight to fd 1" -- check -- "$node" --require "$adapter" "$fixtures/chatty.js"
# An exception in the user's code names their file and line.
expect 3 'an error: raises.js line 5: TypeError: row.undefinedMethod is not a function' -- check $(impl raises)
# W and b apart, in both orientations and every regularization and reduction; the mistakes fail in
# the tensors they touch, named in the user's layout.
# The adapter reads base64 arrays (docs/protocol.md "Compact numbers"), from request 1 on with
# --encoding base64: X, θ, W and b decoded wrong would make J differ from the reference's.
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient' -- check --encoding base64 $(impl correct)
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient' -- check --encoding base64 --layout w-in-out $(impl layout_w_in_out)
expect 0 'PASS at λ = 0 and λ = 3: the gradient'       -- check --self --encoding base64 --layout w-out-in $(impl layout_w_out_in)
expect 1 'likely mistake: bias column regularized'      -- check --encoding base64 $(impl bias_regularized)
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient' -- check --layout w-out-in $(impl layout_w_out_in)
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient' -- check --layout w-in-out $(impl layout_w_in_out)
expect 0 'PASS( at [^:]*)?: J and the gradient' -- check --layout w-in-out --regularization l2 --reduction sum --lambda 0.5 $(impl layout_w_in_out)
expect 0 'PASS( at [^:]*)?: J and the gradient' -- check --layout w-out-in --regularization none --arch 4-6-5-3 --activation tanh,sigmoid --cost softmax-crossentropy --seed 1 $(impl layout_w_out_in)
expect 0 'PASS( at [^:]*)?: J and the gradient' -- check --layout w-out-in --reduction sum --arch 2-3-2 --activation identity --cost identity-quadratic --seed 2 $(impl layout_w_out_in)
expect 0 'PASS at λ = 0 and λ = 3: the gradient' -- check --self --layout w-in-out $(impl layout_w_in_out)
expect 0 'PASS at λ = 0 and λ = 3' -- check --directional --layout w-out-in $(impl layout_w_out_in)
expect 1 'FAIL at λ = 3: gradient mismatch in W1, b1, W2, b2; worst entry b[12]\[[0-9]\]; likely mistake: b regularized in the gradient \(λ·b in db\) \(λ = 0: PASS\)' -- check --layout w-out-in $(impl layout_w_out_in) bias_regularized
expect 1 'likely mistake: b regularized in the gradient' -- check --layout w-in-out --regularization l2 $(impl layout_w_in_out) bias_regularized
expect 1 'FAIL( at [^:]*)?: gradient mismatch in W1, b1, W2, b2' -- check --layout w-in-out --lambda 0 $(impl layout_w_in_out) average_missing

# Models (serveModel) with only an update step (serveUpdate): the toy network's train() passes; σ′
# missing at the hidden layer fails there; the hidden error taken after the output weights moved,
# and momentum, leave no gradient to read (exit 3, said in words).
expect 0 "PASS: every tensor's gradient matches"                 -- check --model $(impl update_step)
expect 0 'model +4 tensors, P = 26 parameters: weightsIH 4 × 3, biasH 4, weightsHO 2 × 4, biasO 2' -- check --model $(impl update_step)
expect 0 'PASS'                                                  -- check --model --directional $(impl update_step)
expect 0 'at θ jittered \(--jitter, --seed 3\)'            -- check --model --jitter --seed 3 $(impl update_step)
expect 1 'FAIL: gradient mismatch in weightsIH, biasH; worst entry (weightsIH|biasH)\[' -- check --model $(impl update_step) hidden_slope_missing
expect 3 'your step is not linear in the learning rate: \(before − after\)/lr for biasH\[[0-9]\]' -- check --model $(impl update_step) errors_after_update
expect 3 'your step called twice at the same θ moved biasO\[[01]\] by .*momentum' -- check --model $(impl update_step) momentum

# Side effects: a right backprop that changes theta or X in place FAILs with the sentence; a copy passes.
expect 1 "FAIL at λ = 0: costAndGradient changes theta in place: column 0 of theta\[0\] \(every row\) set to 0; the caller's θ changes; apart from that" -- check $(impl changes_inputs) theta
expect 1 "costAndGradient changes X in place: every entry of X multiplied by 0.5"  -- check --lambda 0 $(impl changes_inputs) X
# X is kept once per problem, not copied per call: every call after the one that halved it is
# given the caller's X again (else its own J would differ from call to call).
expect 1 "changes X in place: every entry of X multiplied by 0.5; the caller's data changes; apart from that, the gradient matches" -- check --self --lambda 0 $(impl changes_inputs) X
expect 0 'PASS at λ = 0 and λ = 3'                                                 -- check $(impl changes_inputs) none
# A model (serveModel) that writes into the parameters it is given FAILs with what it changed.
expect 0 "PASS: every tensor's gradient matches"                 -- check --model $(impl model_changes_params)
expect 1 "FAIL: leastSquares changes its parameters in place: W\[0, 0\] changed from 0.3 to 0 \(2 of 4 entries of W\)" -- check --model $(impl model_changes_params) clips
# Errors at the deepest frame in the user's own file, with its line; a layer of the wrong shape named.
expect 3 "wrong_shape.js line 10: TypeError: Cannot read properties of undefined .*— in: return a.map" -- check $(impl wrong_shape) throws
expect 3 "TypeError: gradient\[1\] is 3 rows of 5; expected 3 rows of 6, theta\[1\]'s shape" -- check $(impl wrong_shape)

finish adapter_node
