#!/usr/bin/env bash
# gradcheck's one entry point for a fresh machine: install what is missing, build, then run.
#
#   ./setup.sh check [gradcheck check options]   build and run the main job (a gradient check)
#   ./setup.sh test                              build and run the whole test suite through ctest
#   ./setup.sh sanitize                          build with AddressSanitizer + UBSan, run the suite
#   ./setup.sh build                             install and build only
#
# Debian packages are installed with apt-get only when missing, so a second run is a quick no-op.
# Environment: BUILD_DIR (default: build), JOBS (default: nproc).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build_dir="${BUILD_DIR:-$here/build}"
jobs="${JOBS:-$(nproc)}"

packages=(
  build-essential cmake
  libeigen3-dev libboost-test-dev librapidcheck-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev
  python3-numpy python3-junitparser libxml2-utils octave chromium
)

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 2; }

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "missing Debian packages (${missing[*]}); run as root or install sudo"
    sudo=(sudo)
  fi
  say "installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
  local build_dir="${1:-$build_dir}"
  shift || true
  mkdir -p "$build_dir"
  local log="$build_dir/build.log"
  say "building in $build_dir (log: $log)"
  if ! { cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@" &&
         cmake --build "$build_dir" -j "$jobs"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "build failed; the full log is $log"
  fi
}

mode="${1:-}"
[ $# -gt 0 ] && shift
case "$mode" in
  check) install_missing; build; exec "$build_dir/gradcheck" check "$@" ;;
  test)  install_missing; build; exec ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" "$@" ;;
  sanitize)
    install_missing
    build "$here/build-sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRADCHECK_SANITIZE=ON
    exec ctest --test-dir "$here/build-sanitize" --output-on-failure -j "$jobs" "$@" ;;
  build) install_missing; build ;;
  *) die "unknown mode '${mode}'; expected one of: check, test, sanitize, build (e.g. ./setup.sh check)" ;;
esac
