#!/usr/bin/env bash
# A homework corpus (CORPUS/corpus.tsv, default fixtures/homework) through the real CLI and real
# Octave, or Python for the Python edition's submissions (a folder without nnCostFunction.m).
#   pass  : the default command (λ = 0 and λ = 3), --lambda 3 and ex4's 400-25-10 all exit 0
#   fail  : the default command exits 1, and the mistake it names is the expected one; with
#           `unrecognised` expected it names none. A wrong name fails this test.
#   error : exit 3 with one line on stderr that names the student's file and line (when known)
#           and holds no temporary path, interpreter command line or protocol word.
# Usage: homework.sh GRADCHECK [--table] [CORPUS]   (--table prints the README's corpus table)
set -uo pipefail
gradcheck="$1"
shift
here="$(cd "$(dirname "$0")/.." && pwd)"
table="" corpus="$here/fixtures/homework"
for arg in "$@"; do
  case "$arg" in --table) table=1 ;; *) corpus="$(cd "$arg" && pwd)" ;; esac
done
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

[ -f "$corpus/corpus.tsv" ] || { echo "no $corpus/corpus.tsv"; exit 1; }

# The named mistakes of a JSON report, one run or several ("checks"), comma-separated; and what
# its diagnosis claims held to its own per-layer verdicts ("contradicted: …" when one does not).
named() {
  /usr/bin/python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
names, contradicted = [], []
for c in r.get("checks", [r]):
    d = c.get("diagnosis") or {}
    passing = {layer["l"]: layer["pass"] for layer in c.get("layers", [])}
    contradicted += [f"D^({l}) called wrong but matches" for l in d.get("wrong_layers", []) if passing.get(l)]
    contradicted += [f"D^({l}) called right but mismatches" for l in d.get("right_layers", []) if not passing.get(l, True)]
    if d.get("gradient_said_right") and not all(passing.values()):
        contradicted.append("the gradient called right while a layer mismatches")
    if d.get("kind") == "recognised":
        names += [m for m in d.get("mistakes", []) if m not in names]
print("contradicted: " + "; ".join(contradicted) if contradicted else ",".join(names) if names else "unrecognised")
EOF
}

check_one() {
  local folder="$1" expected="$2" key="$3" where="$4"
  local dir="$corpus/$folder" out="$scratch/$folder" problems="" edition=--octave
  [ -f "$dir/nnCostFunction.m" ] || edition=--python-ex4
  mkdir -p "$out"
  case "$expected" in
    pass)
      for args in "" "--lambda 3" "--arch 400-25-10 --examples 20 --seed 1"; do
        timeout 300 "$gradcheck" check "$edition" "$dir" $args -q >"$out/stdout" 2>"$out/stderr"
        code=$?
        [ "$code" -eq 0 ] || problems+="exit $code with '${args:-default}': $(head -c 300 "$out/stdout" "$out/stderr" | tr '\n' ' '); "
      done
      verdict="PASS" ;;
    fail)
      timeout 300 "$gradcheck" check "$edition" "$dir" -q -o "$out/r.json" >"$out/stdout" 2>"$out/stderr"
      code=$?
      verdict="$(head -n 1 "$out/stdout")"
      if [ "$code" -ne 1 ]; then
        problems+="exit $code, expected 1: $(tr '\n' ' ' <"$out/stdout" | head -c 300) $(head -c 300 "$out/stderr"); "
      else
        got="$(named "$out/r.json")"
        if [[ "$got" == contradicted* ]]; then
          problems+="the diagnosis says what the numbers contradict: $got; "
        elif [ "$key" = unrecognised ]; then
          [ "$got" = unrecognised ] || problems+="named '$got', expected unrecognised; "
        elif [ "$got" != unrecognised ] && [[ ",$got," != *",$key,"* ]]; then
          problems+="named '$got', expected '$key' (a wrong name); "
        elif [ "$got" = unrecognised ]; then
          verdict+=" [unrecognised]"
        fi
      fi ;;
    error)
      timeout 300 "$gradcheck" check "$edition" "$dir" -q -o "$out/r.json" >"$out/stdout" 2>"$out/stderr"
      code=$?
      verdict="$(cat "$out/stderr")"
      [ "$code" -eq 3 ] || problems+="exit $code, expected 3; "
      [ "$(wc -l <"$out/stderr")" -eq 1 ] || problems+="stderr is not one line; "
      if [ "$where" != "-" ]; then
        file="${where%%:*}" line="${where##*:}"
        grep -q "$file line $line" "$out/stderr" || problems+="no '$file line $line' in: $verdict; "
      fi
      grep -qE '/tmp/gradcheck-|octave-cli|python3 -E|in reply to request|gradcheck_serve|gradcheck_ex4|gradcheck_adapter' "$out/stderr" &&
        problems+="driver details in: $verdict; "
      /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r.get("pass") is False' "$out/r.json" 2>/dev/null ||
        problems+="no failed JSON report; " ;;
    *) problems="unknown expectation '$expected'" ;;
  esac
  if [ -n "$table" ]; then
    printf '| `%s` | %s | %s | %s |\n' "$folder" "$expected" "$key" "$(printf '%s' "$verdict" | sed 's/|/\\|/g' | cut -c1-220)"
  elif [ -n "$problems" ]; then
    printf 'FAIL %s (%s %s): %s\n' "$folder" "$expected" "$key" "$problems"
  else
    printf 'ok   %s (%s %s)\n' "$folder" "$expected" "$key"
  fi
}
while IFS=$'\t' read -r folder expected key where _; do
  case "$folder" in ''|'#'*|folder) continue ;; esac
  check_one "$folder" "$expected" "$key" "$where" >>"$scratch/results" &
  while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
done <"$corpus/corpus.tsv"
wait
sort "$scratch/results"
if [ -z "$table" ]; then
  total=$(wc -l <"$scratch/results")
  failed=$(grep -c '^FAIL' "$scratch/results")
  echo "homework corpus $(basename "$corpus"): $((total - failed)) of $total as expected"
  [ "$failed" -eq 0 ]
fi
