# Shared by the shell checks: run gradcheck, require an exit code and a pattern.
# Source it with $gradcheck set; it makes a scratch directory and cds into it.
passed=0 failed=0
out=$(mktemp) err=$(mktemp) work=$(mktemp -d)
trap 'rm -rf "$out" "$err" "$work"' EXIT
cd "$work" || exit 1

# expect CODE PATTERN -- ARGS…: run gradcheck ARGS, require exit CODE and PATTERN (grep -E, or
# grep -F with match=-F) in stdout+stderr; failures (codes 2 and 3) must say so in exactly one
# line on stderr.
expect() {
  local code="$1" pattern="$2"
  shift 3
  "$gradcheck" "$@" >"$out" 2>"$err"
  local got=$?
  local why=""
  [ "$got" -eq "$code" ] || why="exit $got, expected $code"
  grep -q "${match:--E}" -- "$pattern" "$out" "$err" || why="${why:+$why; }output lacks /$pattern/"
  if [ "$code" -ge 2 ] && [ "$(wc -l <"$err")" -ne 1 ]; then why="${why:+$why; }stderr has $(wc -l <"$err") lines, expected 1"; fi
  if [ -z "$why" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL gradcheck %s: %s\n' "$*" "$why"
    sed 's/^/  | /' "$out" "$err" | head -30
  fi
}

# same_files A B: the two files are identical.
same_files() {
  if cmp -s "$1" "$2"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $1 differs from $2"; fi
}

# finish NAME: the closing line and the exit code.
finish() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
