#!/usr/bin/env bash
# Every report format opens with the run's verdict, and that verdict is the exit code's: over the
# catalog of planted mistakes at λ = 0 and λ = 3, implementations checked at both λ at once (a
# mistake seen at one λ only, an implementation failing at λ = 3 after passing λ = 0, NaN in the
# gradient, a float32 J self mode cannot judge), homework in both editions, and model mode.
# Usage: verdict_first.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$1"
fixtures="$here/../fixtures"
py=/usr/bin/python3
source "$here/expect.sh"

word_of() {  # the verdict word an exit code means
  case "$1" in
    0) echo PASS ;; 1) echo FAIL ;; 2|3|4) echo ERROR ;; 5) echo "CANNOT JUDGE" ;; 129|130|143) echo INCOMPLETE ;; *) echo "exit $1" ;;
  esac
}

# agree WANTED_CODE ARGS…: run with every format and -q; the exit code is WANTED_CODE and every
# format's first line, and -q's, says its word.
n=0
agree() {
  local wanted="$1"
  shift
  n=$((n + 1))
  "$gradcheck" "$1" -q -o "r$n.txt" -o "r$n.md" -o "r$n.html" -o "r$n.xml" -o "r$n.json" "${@:2}" >"q$n" 2>/dev/null
  local code=$?
  local why=""
  [ "$code" -eq "$wanted" ] || why="exit $code, expected $wanted; "
  if ! why+=$("$py" "$here/first_line.py" "$(word_of "$code")" "r$n" --quiet "q$n"); then
    failed=$((failed + 1))
    echo "FAIL gradcheck $*: $why"
  else
    passed=$((passed + 1))
  fi
}

# The catalog: every planted mistake, at λ = 0 and λ = 3 (some are invisible at λ = 0: PASS).
for mistake in $("$gradcheck" check --help | sed -n 's/.*--plant TEXT:{none,\([^}]*\)}.*/\1/p' | tr ',' ' '); do
  # The two mistakes that need a network of their kind get one.
  network=() && case "$mistake" in
    derivative-confused) network=(--activation leaky-relu) ;;
    squared-error-factor-dropped) network=(--cost identity-mse) ;;
  esac
  for lambda in 0 3; do
    "$gradcheck" check --plant "$mistake" --lambda "$lambda" "${network[@]}" -q >/dev/null 2>&1
    agree $? check --plant "$mistake" --lambda "$lambda" "${network[@]}"
  done
done
[ "$n" -ge 58 ] || { failed=$((failed + 1)); echo "FAIL only $n catalog runs: the --plant list was not read"; }

# Implementations at λ = 0 and λ = 3 in one run: the part that decides comes first.
agree 0 check -- "$py" "$fixtures/python/correct.py"
for mistake in average_missing bias_regularized sigmoid_for_derivative cost_unregularized; do
  agree 1 check -- "$py" "$fixtures/python/$mistake.py"
done
agree 1 check --layout w-in-out --regularization l2 --arch 4-5-3 --seed 2 -- "$py" "$fixtures/python/conventions.py" bias_regularized
agree 3 check -- "$py" "$fixtures/faulty/nan_gradient.py"
agree 3 check -- "$py" "$fixtures/faulty/crashes.py"
agree 3 check --timeout 2 -- "$py" "$fixtures/faulty/hangs_when_regularized.py" "$work/marker"
agree 5 check --self -- "$py" "$fixtures/python/float32.py"
agree 1 check --self -- "$py" "$fixtures/python/average_missing.py"

# Homework, both editions; model mode.
agree 0 check --octave "$fixtures/octave/correct"
agree 1 check --octave "$fixtures/octave/bias_regularized"
agree 1 check --octave "$fixtures/octave/sigmoid_for_gradient"
agree 1 check --python-ex4 "$fixtures/python_ex4/bias_regularized"
agree 0 check --python-ex4 "$fixtures/python_ex4/correct_notebook"
agree 0 check --model -- "$py" "$fixtures/layouts/mlp.py" out-in
agree 1 check --model -- "$py" "$fixtures/layouts/mlp.py" out-in bias_regularized

# Shards merged (the merged report too).
for i in 1 2; do "$gradcheck" check --plant derivative-dropped --shard "$i/2" >/dev/null 2>&1; done
agree 1 merge reports/shard-1-of-2.json reports/shard-2-of-2.json

finish verdict_first
