#!/usr/bin/env bash
# Installs gradcheck into a scratch prefix, builds checks/consumer/ against it with
# find_package(gradcheck), and runs that project's tests.
# Usage: consumer.sh BUILD_DIR
set -euo pipefail
build="$1"
here="$(cd "$(dirname "$0")" && pwd)"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
# A sanitized gradcheck needs a consumer built with the same sanitizers.
flags=()
if grep -q '^GRADCHECK_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  flags=(-DCMAKE_CXX_FLAGS="-fsanitize=address,undefined" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined")
fi
cmake -S "$here/consumer" -B "$prefix/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  "${flags[@]}" >/dev/null
cmake --build "$prefix/consumer-build" -j 2 >/dev/null
"$prefix/consumer-build/consumer_tests"

# The same network served over the protocol (gradcheck/io/serve.hpp), checked by the installed
# command: right, it passes in every mode; with each planted mistake, it fails where it lives.
gradcheck="$prefix/bin/gradcheck"
server="$prefix/consumer-build/serve_two_layer"
set +e  # expect.sh counts failures itself
source "$here/expect.sh"
trap 'rm -rf "$out" "$err" "$work" "$prefix"' EXIT
expect 0 'PASS at λ = 0 and λ = 3: J and the gradient'            -- check --arch 4-5-3 --seed 1 -- "$server"
expect 0 "hint .*your code printed .*'serve_two_layer: starting \(none\)'" -- check --arch 4-5-3 --seed 1 -- "$server"
expect 0 'self mode, [2-9] requests'                       -- check --self --arch 4-5-3 --seed 1 -- "$server"
expect 0 'PASS at λ = 0 and λ = 3: .*\(a fast check along random directions'      -- check --directional --self --arch 4-5-3 --seed 1 -- "$server"
expect 0 'PASS at λ = 0 and λ = 3'                     -- check --self --layout w-in-out --arch 4-5-3 --seed 1 -- "$server"
expect 1 'likely mistake: bias column regularized'     -- check --arch 4-5-3 --seed 1 -- "$server" bias_regularized
expect 1 'likely mistake: 1/m missing from D'          -- check --arch 4-5-3 --seed 1 -- "$server" average_missing
expect 1 'FAIL: gradient mismatch'                     -- check --self --lambda 0 --arch 4-5-3 --seed 1 -- "$server" derivative_dropped
finish served_cpp
