#!/usr/bin/env bash
# SIGINT and SIGTERM: gradcheck stops the work and the implementation, writes what it measured as
# a report marked incomplete, exits 128 + the signal; an existing report is never half-written.
# Usage: signals.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$(realpath "$1")"
faulty="$(cd "$here/../fixtures/faulty" && pwd)"
python="$(cd "$here/../fixtures/python" && pwd)"
source "$here/expect.sh"

# check_that DESCRIPTION COMMAND…: one assertion.
check_that() {
  local what="$1"
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $what"; sed 's/^/  | /' "$out" "$err" | tail -5; fi
}

# interrupt SIGNAL SECONDS ARGS…: start gradcheck ARGS, send SIGNAL after SECONDS, wait; sets $code.
interrupt() {
  local signal="$1" seconds="$2"
  shift 2
  "$gradcheck" "$@" >"$out" 2>"$err" &
  local pid=$!
  sleep "$seconds"
  kill "-$signal" "$pid"
  wait "$pid"
  code=$?
}

# Implementations get this extra argument (they ignore it): what is left behind is looked for
# among this run's processes only, not those of tests running beside it.
marker="gradcheck-signals-$$"
gone() { ! pgrep -f "$marker" >/dev/null; }
json() { /usr/bin/python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print($2)" "$1"; }

# A long reference check (235,146 parameters), stopped part-way by SIGINT.
interrupt INT 1 check --arch 784-256-128-10 --examples 200 --seed 1 --threads 1 --out big.json --out big.xml
check_that "SIGINT exits 130 (got $code)" test "$code" -eq 130
check_that "stderr says the report is incomplete" grep -q "interrupted by SIGINT: the report covers what was measured and is marked incomplete" "$err"
check_that "the verdict says INCOMPLETE" grep -qE "^INCOMPLETE: stopped after [0-9]+ of 235146 entries" "$out"
check_that "the JSON report is marked incomplete and does not pass" test "$(json big.json '(r["complete"], r["pass"], r["unchecked"] > 0)')" = "(False, False, True)"
check_that "the JUnit report carries an error" grep -q '<error type="Interrupted"' big.xml

# SIGTERM while an implementation hangs: nothing measured, yet the report of an earlier run must not
# survive (a CI publisher would show it green): it is replaced by one that says what happened.
echo '{"pass": true, "the previous report": true}' >kept.json
interrupt TERM 1 check --out kept.json --out kept.xml -- /usr/bin/python3 "$faulty/hangs.py" "$marker"
check_that "SIGTERM exits 143 (got $code)" test "$code" -eq 143
check_that "stderr names the request in flight" grep -q "interrupted by SIGTERM: interrupted while waiting for the reply to request 1 (J and the gradient); the report files say so" "$err"
check_that "the stale report is replaced by an INCOMPLETE one, as exit 143 says" test "$(json kept.json '(r["outcome"], r["pass"], r["complete"], "SIGTERM" in r["verdict"])')" = "('INCOMPLETE', False, False, True)"
check_that "the JUnit report carries an error" grep -q '<error type="Interrupted" message="INCOMPLETE: interrupted by SIGTERM' kept.xml
check_that "the implementation is gone" gone

# SIGTERM while the implementation hangs at λ = 3, after λ = 0 was judged: the report keeps the
# finished λ = 0 check beside an incomplete λ = 3 one.
interrupt TERM 4 check --out both.json --out both.md -- /usr/bin/python3 "$faulty/hangs_when_regularized.py" "$marker"
check_that "SIGTERM at λ = 3 exits 143 (got $code)" test "$code" -eq 143
check_that "stderr says the report covers what was measured" grep -q "interrupted by SIGTERM: the report covers what was measured and is marked incomplete" "$err"
check_that "the JSON keeps λ = 0 judged and passing, λ = 3 incomplete (shown first), the whole not passing" test \
  "$(json both.json '(r["outcome"], r["pass"], [(c["subject"]["lambda"], c["pass"], c["complete"]) for c in r["checks"]])')" = \
  "('INCOMPLETE', False, [(3.0, False, False), (0.0, True, True)])"
check_that "the Markdown says λ = 3 stopped before any entry" grep -q "INCOMPLETE at λ = 3: stopped before any entry was measured" both.md
check_that "the implementation is gone" gone

# SIGHUP (a closed terminal, a CI runner giving up) is honoured like SIGTERM, by every subcommand.
interrupt HUP 1 check --out hup.json -- /usr/bin/python3 "$faulty/hangs.py" "$marker"
check_that "SIGHUP exits 129 (got $code)" test "$code" -eq 129
check_that "the implementation is gone after SIGHUP" gone
interrupt INT 1 catalog --networks 5000
check_that "catalog: SIGINT exits 130 (got $code)" test "$code" -eq 130
check_that "catalog says it was interrupted" grep -q "interrupted by SIGINT" "$err"
interrupt TERM 1 fuzz --cases 100000 --max-units 3 -- /usr/bin/python3 "$python/correct.py" "$marker"
check_that "fuzz: SIGTERM exits 143 (got $code)" test "$code" -eq 143
check_that "fuzz never says PASS when interrupted" bash -c "! grep -q PASS '$out'"
check_that "fuzz: the implementation is gone" gone

# Self mode (two requests per parameter), stopped part-way: the entries measured are judged.
interrupt INT 3 check --self --arch 200-100-10 --out self.json -- /usr/bin/python3 "$python/correct.py" "$marker"
check_that "self mode: SIGINT exits 130 (got $code)" test "$code" -eq 130
check_that "self mode: the report is incomplete" test "$(json self.json 'r["complete"]')" = "False"
check_that "self mode: the stop is not blamed on the implementation" test "$(json self.json 'r.get("failure")')" = "None"
check_that "self mode: one line on stderr" test "$(wc -l <"$err")" -eq 1
check_that "self mode: the implementation is gone" gone

# A shard stopped part-way writes nothing, and a stale shard file is removed: merge needs whole shards.
echo '{}' >shard.json
interrupt INT 1 check --arch 784-256-128-10 --examples 200 --seed 1 --threads 1 --shard 1/2 --out shard.json
check_that "a shard: SIGINT exits 130 (got $code)" test "$code" -eq 130
check_that "a shard stopped part-way is not written" test ! -e shard.json

# No signal, but no verdict either: a command line gradcheck refuses (an unknown option, a bad
# value) and a refused merge replace the report of an earlier run with one that says so.
for args in "--bogus" "--lambda x"; do
  echo '{"pass": true, "the previous report": true}' >kept.json
  "$gradcheck" check $args --out kept.json -- /usr/bin/python3 "$python/correct.py" >"$out" 2>"$err"
  code=$?
  check_that "check $args exits 2 (got $code)" test "$code" -eq 2
  check_that "check $args: the stale report is replaced by a failed one" test "$(json kept.json '(r["pass"], "bad usage" in r["failure"])')" = "(False, True)"
done
# One -o refused (no such folder, an unknown format, a folder): the others still get this run's error.
for bad in no-such-folder/r.xml r.pdf .; do
  for sub in check "check --model" fuzz; do
    echo '{"pass": true, "the previous report": true}' >kept.json
    "$gradcheck" $sub --out kept.json --out "$bad" -- /usr/bin/python3 "$python/correct.py" >"$out" 2>"$err"
    code=$?
    check_that "$sub --out $bad exits 2 (got $code)" test "$code" -eq 2
    check_that "$sub --out kept.json --out $bad: the stale report is replaced" test "$(json kept.json 'r["pass"]')" = "False"
  done
done
echo '{"pass": true, "the previous report": true}' >kept.json
"$gradcheck" merge --out kept.json no-such-shard.json >"$out" 2>"$err"
check_that "a refused merge: the stale report is replaced" test "$(json kept.json '(r["pass"], "no-such-shard.json is not there" in r["failure"])')" = "(False, True)"
"$gradcheck" check --arch 4-3-2 --lambda 0 --shard 1/2 --out half.json >"$out" 2>"$err"
echo '{"pass": true, "the previous report": true}' >kept.json
"$gradcheck" merge --out kept.json half.json >"$out" 2>"$err"
check_that "a merge short of a shard: the stale report is replaced" test "$(json kept.json '(r["pass"], "1 shard reports given" in r["failure"])')" = "(False, True)"
# A mistyped, missing or misplaced subcommand (a CI script's typo) replaces the report too.
for args in "chek --out kept.json" "--out kept.json" "--out kept.json check"; do
  echo '{"pass": true, "the previous report": true}' >kept.json
  "$gradcheck" $args >"$out" 2>"$err"
  code=$?
  check_that "gradcheck $args exits 2 (got $code)" test "$code" -eq 2
  check_that "gradcheck $args: the stale report is replaced" test "$(json kept.json '(r["pass"], "bad usage" in r["failure"])')" = "(False, True)"
done
# Gradescope's results.json too, whether the command line, --points or --arch is what was refused.
for args in "--bogus" "--points 10,10" "--arch 3-x-3" "--lambda"; do
  echo '{"score": 100.0, "tests": []}' >results.json
  "$gradcheck" check --gradescope results.json --octave "$here/../fixtures/octave/correct" $args >"$out" 2>"$err"
  code=$?
  check_that "check --gradescope … $args exits 2 (got $code)" test "$code" -eq 2
  check_that "check --gradescope … $args: results.json scores 0 and says why" \
    test "$(json results.json '(r["score"], len(r["tests"]), "could not check" in r["output"])')" = "(0.0, 4, True)"
done

finish "signals"
