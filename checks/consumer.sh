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
