#!/usr/bin/env bash
# gradcheck's one entry point for a fresh machine: install what is missing, build, then run.
#
#   ./setup.sh check [gradcheck check options]   build the gradcheck executable only and run the main job
#   ./setup.sh test                              build, install the Python package, run the whole test
#                                                suite through ctest
#   ./setup.sh sanitize                          build with AddressSanitizer + UBSan, run the suite
#   ./setup.sh fuzz [seconds]                    build the parsers' libFuzzer target with clang, run it
#                                                (default 60 s) over the seed corpus fixtures/fuzz/corpus
#   ./setup.sh python                            build the Python package and install it into the system
#                                                Python (/usr/bin/python3: import gradcheck)
#   ./setup.sh build                             install and build only (the Python package installed too)
#   ./setup.sh autograder                        build the gradcheck executable for any x86-64 CPU (no
#                                                -march=native), as Gradescope's setup.sh does (README)
#
# Debian packages are installed with apt-get only when missing, so a second run is a quick no-op.
# Environment: BUILD_DIR (default: build), JOBS (default: nproc).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build_dir="${BUILD_DIR:-$here/build}"
jobs="${JOBS:-$(nproc)}"

# What each mode needs: the check builds the gradcheck executable only (and bubblewrap, grade's sandbox); the tests also run the
# adapters (numpy, Octave, Node.js, PyTorch), read reports back (junitparser, xmllint) and render HTML (Chromium);
# the fuzzer needs clang and its runtime.
build_packages=(
  build-essential cmake
  libeigen3-dev librapidcheck-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev
  bubblewrap  # the sandbox grade runs each student's code in
)
# The Python package (import gradcheck): pybind11 over the system's Python 3, which has numpy and torch.
python_packages=(pybind11-dev python3-dev python3-numpy)
test_packages=(libboost-test-dev python3-numpy python3-junitparser libxml2-utils octave chromium nodejs python3-torch
               "${python_packages[@]}" python3-pytest python3-ipykernel jupyter-nbconvert)
fuzz_packages=(clang libclang-rt-dev)
packages=("${build_packages[@]}")

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

# build DIR TARGET [CMAKE ARGS…]: configure and build TARGET ("all" for everything), with ccache
# when it is installed.
build() {
  local build_dir="${1:-$build_dir}" target="${2:-all}"
  shift 2 || true
  mkdir -p "$build_dir"
  local log="$build_dir/build.log" launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    # Files compiled with a precompiled header are cached only with these (ccache's manual, "Precompiled headers").
    export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
  fi
  say "building $target in $build_dir (log: $log)"
  if ! { cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@" &&
         cmake --build "$build_dir" -j "$jobs" --target "$target"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "build failed; the full log is $log"
  fi
}

# install_python_package DIR: the package built in DIR/python/gradcheck into the system Python's
# site-packages (/usr/local/lib/python3.X/dist-packages on Debian), replacing an older copy whole.
install_python_package() {
  local built="$1/python/gradcheck" site
  [ -f "$built/__init__.py" ] && ls "$built"/_gradcheck*.so >/dev/null 2>&1 || die "the Python package was not built in $built"
  site="$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && [ ! -w "$site" ] && sudo=(sudo)
  "${sudo[@]}" mkdir -p "$site"
  "${sudo[@]}" rm -rf "$site/gradcheck.new"
  "${sudo[@]}" cp -r "$built" "$site/gradcheck.new"
  "${sudo[@]}" find "$site/gradcheck.new" -name __pycache__ -prune -exec rm -rf {} +
  "${sudo[@]}" rm -rf "$site/gradcheck"
  "${sudo[@]}" mv "$site/gradcheck.new" "$site/gradcheck"
  say "installed the Python package: $site/gradcheck (import gradcheck)"
  # A python3 first on PATH that is not Debian's (pyenv's, say) but runs the same ABI gets the
  # package too; it then takes numpy and torch from Debian's python3-numpy and python3-torch.
  local other tag
  other="$(command -v python3 || true)"
  tag='import sys; print(sys.implementation.cache_tag)'
  if [ -n "$other" ] && [ "$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)" != /usr/bin/python3 ] &&
     [ "$(python3 -c "$tag" 2>/dev/null)" = "$(/usr/bin/python3 -c "$tag")" ]; then
    site="$(python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
    if [ -w "$site" ] || [ ${#sudo[@]} -gt 0 ]; then
      "${sudo[@]}" rm -rf "$site/gradcheck"
      "${sudo[@]}" cp -r "$built" "$site/gradcheck"
      "${sudo[@]}" find "$site/gradcheck" -name __pycache__ -prune -exec rm -rf {} +
      say "and for $other ($(python3 --version 2>&1)): $site/gradcheck"
    fi
  fi
}

mode="${1:-}"
[ $# -gt 0 ] && shift
case "$mode" in
  check)
    # No tests configured: Boost.Test, the tests' only extra library, is not needed to check.
    install_missing; build "$build_dir" gradcheck_cli -DBUILD_TESTING=OFF; exec "$build_dir/gradcheck" check "$@" ;;
  test)
    packages+=("${test_packages[@]}")
    install_missing; build "$build_dir" all -DBUILD_TESTING=ON; install_python_package "$build_dir"; exec ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" "$@" ;;
  sanitize)
    packages+=("${test_packages[@]}")
    install_missing
    # -O1 -g1: the sanitizers need frame pointers and line tables, not full debug information,
    # which doubles the compile time of the template-heavy tests.
    build "$here/build-sanitize" all -DBUILD_TESTING=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
      -DGRADCHECK_SANITIZE=ON
    # Not the tests labelled slow (the hostile class, students' Python and Octave; adapter_cpp, a
    # project compiled against the library), which the Release suite runs: .ci/run under 25 minutes.
    exec ctest --test-dir "$here/build-sanitize" --output-on-failure -j "$jobs" -LE slow "$@" ;;
  fuzz)
    seconds="${1:-60}"
    [[ "$seconds" =~ ^[0-9]+$ ]] || die "fuzz takes a number of seconds, e.g. ./setup.sh fuzz 60; got '$seconds'"
    packages+=("${fuzz_packages[@]}")
    install_missing
    mkdir -p "$here/build-fuzz"
    if ! { cmake -S "$here/checks/fuzz" -B "$here/build-fuzz" -DCMAKE_CXX_COMPILER=clang++ &&
           cmake --build "$here/build-fuzz" -j "$jobs"; } >"$here/build-fuzz/build.log" 2>&1; then
      tail -n 40 "$here/build-fuzz/build.log" >&2
      die "fuzz build failed; the full log is $here/build-fuzz/build.log"
    fi
    # New inputs go to a scratch folder; the committed corpus is only read. A crash leaves its
    # input in build-fuzz/ (crash-…), replayed with: build-fuzz/gradcheck_fuzz_parsers FILE
    found="$(mktemp -d)"
    trap 'rm -rf "$found"' EXIT
    say "fuzzing the request, reply and problem-file parsers for $seconds s"
    cd "$here/build-fuzz"
    status=0
    ./gradcheck_fuzz_parsers -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      -dict="$here/fixtures/fuzz/json.dict" "$found" "$here/fixtures/fuzz/corpus" >fuzz.log 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
      tail -n 60 fuzz.log >&2
      die "the fuzzer found a failing input (exit $status): see build-fuzz/crash-* and build-fuzz/fuzz.log"
    fi
    grep -E '^(Done|stat::(number_of_executed_units|new_units_added|peak_rss_mb))' fuzz.log ;;
  autograder)
    # The image is built on one machine and run on others: code for this CPU could stop there with
    # SIGILL, so no -march=native.
    install_missing; build "$build_dir" gradcheck_cli -DBUILD_TESTING=OFF -DGRADCHECK_NATIVE=OFF ;;
  python)
    packages+=("${python_packages[@]}")
    install_missing; build "$build_dir" gradcheck_python -DBUILD_TESTING=OFF; install_python_package "$build_dir" ;;
  build) packages+=("${test_packages[@]}"); install_missing; build "$build_dir" all -DBUILD_TESTING=ON; install_python_package "$build_dir" ;;
  *) die "unknown mode '${mode}'; expected one of: check, test, python, sanitize, fuzz, build, autograder (e.g. ./setup.sh check)" ;;
esac
