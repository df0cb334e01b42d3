#!/usr/bin/env bash
# The Octave adapter through the real command line: the course's nnCostFunction.m, unchanged,
# in a student's folder. The correct homework passes; each classic mistake fails with exit 1 and
# a report that points at the right layer.
# Usage: adapter_octave.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$1"
homework="$here/../fixtures/octave"
source "$here/expect.sh"

# A correct ex4: checkNNGradients' problem, with and without λ, ex4's sizes, and self mode.
expect 0 'PASS( at [^:]*)?: J and the gradient match the reference' -- check --octave "$homework/correct"
# Octave passes arguments by value (copy-on-write): assigning into nn_params, X and y inside
# nnCostFunction changes its own copies only, so it is judged on its gradient alone.
expect 0 'PASS at λ = 0, λ = 3 and λ = 3 \(4-5-3, m = 6\): J and the gradient match the reference' -- check --octave "$homework/assigns_into_arguments"
# An error names the student's line and quotes it (Octave's own functions are never the place).
expect 3 'nnCostFunction.m line 33: product: nonconformant arguments .* in: d2 = \(d3 \* Theta2\) .\* sigmoidGradient\(z2\);' -- check --octave "$here/../fixtures/homework/nonconformant"
expect 0 'cost .* relative error [0-9.e+-]+, ok'     -- check --octave "$homework/correct" --lambda 3
expect 0 'PASS( at [^:]*)?: J and the gradient'                             -- check --octave "$homework/correct" --arch 400-25-10 --examples 20 --seed 1 --lambda 1
expect 0 'PASS( at [^:]*)?: J and the gradient'                             -- check --octave "$homework/correct" --arch 1-1-1 --examples 1
expect 0 'self mode, [2-9] requests'                     -- check --octave "$homework/correct" --self
expect 0 'self mode, 84 requests'                    -- check --octave "$homework/correct" --self --protocol 1
expect 1 'FAIL'                                      -- check --octave "$homework/sigmoid_for_gradient" --self --lambda 0
expect 0 'PASS at λ = 0, λ = 3 and λ = 3 \(4-5-3, m = 6\): .*\(a fast check along random directions' -- check --octave "$homework/correct" --directional --self
expect 1 'FAIL at λ = 3: gradient mismatch in Theta1'               -- check --octave "$homework/bias_regularized" --directional

# The classic mistakes, each where it lives.
expect 1 'Theta1 +5 × 4 .*MISMATCH \(5 of 20 entries\)' -- check --octave "$homework/bias_regularized" --lambda 3
expect 1 'Theta2 +3 × 6 .*MISMATCH \(3 of 18 entries\)' -- check --octave "$homework/bias_regularized" --lambda 3
expect 0 'PASS.*λ = 0 only: regularization not exercised' -- check --octave "$homework/bias_regularized" --lambda 0  # λ = 0 hides it
expect 1 'FAIL at λ = 3: .*likely mistake: bias column regularized' -- check --octave "$homework/bias_regularized"  # the default checks λ = 3 too
expect 1 'MISMATCH \(20 of 20 entries\)'                 -- check --octave "$homework/average_missing"
expect 1 'FAIL( at [^:]*)?: gradient mismatch in Theta1;'           -- check --octave "$homework/sigmoid_for_gradient"
expect 1 'Theta2 +3 × 6 .* ok'                         -- check --octave "$homework/sigmoid_for_gradient"
expect 1 'FAIL( at [^:]*)?: gradient mismatch in Theta1, Theta2' -- check --octave "$homework/row_major_unrolling"

# A problem exported from Octave as the README shows (ex4's variables through jsonencode; y is a
# column, so jsonencode writes it flat), checked against the reference and against the homework.
octave-cli --quiet --norc --eval '
  X = reshape(sin(1:20), 5, 4) / 10; y = [1; 2; 3; 1; 2];
  Theta1 = reshape(cos(1:25), 5, 5) / 10; Theta2 = reshape(cos(1:18), 3, 6) / 10;
  problem = struct("sizes", [4 5 3], "lambda", 1, "X", X, "labels", y, "theta", {{Theta1, Theta2}});
  fid = fopen("ex4.json", "w"); fputs(fid, jsonencode(problem)); fclose(fid);' 2>/dev/null  # Octave 7 prints a stray
# "error: ignoring const execution_exception& while preparing to exit" even after `x = 1`; the checks below catch a failed export
expect 0 'X, y and λ from ex4.json; Θ from the file'  -- check --problem ex4.json
expect 0 'm = 5, λ = 1, P = 43'                       -- check --problem ex4.json
expect 0 'PASS( at [^:]*)?: J and the gradient match the reference'    -- check --problem ex4.json --octave "$homework/correct"
expect 0 'PASS( at [^:]*)?: J and the gradient match the reference'    -- check --problem ex4.json --octave "$homework/correct/nnCostFunction.m"
expect 1 'diagnosis  bias column regularized'         -- check --problem ex4.json --octave "$homework/bias_regularized"

# What it printed: `m = 5` is Octave's echo of an assignment without ';', `m = 5 examples` a
# printf's, which the semicolon hint must not blame.
cp -r "$homework/correct" printing
sed -i 's/^m = size(X, 1);/&\nfprintf("m = %d examples\\n", m);/' printing/nnCostFunction.m
expect 0 "printed 2 lines .* 'm = 5 examples'" -- check --octave printing --lambda 3
if grep -q 'lines like' "$out"; then failed=$((failed + 1)); echo "FAIL the hint blamed a printf for a missing semicolon"; fi
sed -i 's/^\(fprintf.*\)$/\1\nJtest = 1.5e-05/' printing/nnCostFunction.m
expect 0 "lines like .Jtest = …. are Octave showing an assignment that has no semicolon \(Jtest\)" -- check --octave printing --lambda 3

# What a student can get wrong on the command line.
expect 2 'has no nnCostFunction.m; expected the folder of your ex4' -- check --octave "$work"
expect 2 'takes 3 layers of sigmoid units and the logistic cost'     -- check --octave "$homework/correct" --arch 3-4-4-2

# The course's starter code through its own J: J = 0 everywhere and a gradient of zeros agree, and
# say nothing: cannot judge (was exit 2, "the floor of parameter 0 is 0"); against the reference, FAIL.
expect 5 'a J that does not move cannot tell a backprop from none' -- check --self --octave "$here/../fixtures/homework/starter_code"
expect 1 'likely mistake: gradient never computed' -- check --octave "$here/../fixtures/homework/starter_code"

finish adapter_octave
