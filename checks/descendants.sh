#!/usr/bin/env bash
# Nothing an implementation starts outlives gradcheck, not even a daemon (fork, setsid, fork: out
# of the implementation's process group and session) or a process that keeps forking: after a
# PASS, an implementation that exits, a --timeout, a SIGTERM; and under `gradcheck grade`, after a
# PASS, a Ctrl-C, and a check killed before it could stop its implementation. Every process of
# the fixtures writes its pid to a file before the implementation goes on; none may answer
# `kill -0` once gradcheck has exited.
# Usage: descendants.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$(realpath "$1")"
fixtures="$(cd "$here/../fixtures" && pwd)"
py=/usr/bin/python3
source "$here/expect.sh"
match=-F
all_pids=()
trap 'for p in "${all_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$out" "$err" "$work"' EXIT

# none_left NAME PIDS: no process whose pid is in the file PIDS is left, nor any in the process
# group of the first (the daemon leads its group: a process hopping from pid to pid stays in it).
none_left() {
  local name="$1" file="$2" left=()
  [ -s "$file" ] || { failed=$((failed + 1)); echo "FAIL $name: no pid was written (the fixture did not run)"; return; }
  for p in $(cat "$file"); do
    all_pids+=("$p")
    kill -0 "$p" 2>/dev/null && left+=("$p")
  done
  kill -0 -- "-$(head -1 "$file")" 2>/dev/null && left+=("group $(head -1 "$file")")
  if [ ${#left[@]} -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: left running after gradcheck exited: ${left[*]:0:5} ($(wc -l <"$file") pids written)"
    for p in $(cat "$file"); do kill -KILL "$p" 2>/dev/null; done
    kill -KILL -- "-$(head -1 "$file")" 2>/dev/null
  fi
}

# wait_for FILE [N]: until the file holds N pids (1 by default; 60 s at most).
wait_for() { for _ in $(seq 600); do [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "${2:-1}" ] && return; sleep 0.1; done; }

daemon="$fixtures/faulty/daemonizes.py"

# (a) The implementation starts a daemon, then exits without a reply.
expect 3 'no reply (it closed its stdout) in reply to request 1' -- check -- $py "$daemon" a.pids sleeper exit
none_left "a daemon of an implementation that exits" a.pids

# (b) … then answers right: PASS, and still nothing is left; so too for a daemon that ignores
# SIGTERM, SIGHUP and SIGINT, one that forks every 10 ms, and one whose pid never stays put.
for kind in sleeper stubborn forker hopper; do
  expect 0 'J and the gradient match the reference in every layer' -- check -- $py "$daemon" "b_$kind.pids" "$kind" serve
  none_left "a $kind daemon of a passing implementation" "b_$kind.pids"
done

# (c) … then hangs, stopped by --timeout.
expect 3 'no reply within 1 s (raise the limit with --timeout) in reply to request 1' -- \
  check --timeout 1 -- $py "$daemon" c.pids sleeper hang
none_left "a daemon of an implementation stopped by --timeout" c.pids

# (d) SIGTERM to gradcheck while the implementation hangs, its daemon (one that forks) running.
"$gradcheck" check -- $py "$daemon" d.pids forker hang >"$out" 2>"$err" &
checking=$!
wait_for d.pids
kill -TERM "$checking"
wait "$checking"
code=$?
if [ "$code" -eq 143 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL SIGTERM: exit $code, expected 143"; fi
none_left "a daemon of an implementation interrupted by SIGTERM" d.pids

# (e) gradcheck grade: a submission that starts a daemon (fixtures/class) passes, and leaves nothing.
student="$fixtures/class/python_daemon_left_running"
mkdir -p class/daemon
cp "$student/nnCostFunction.py" class/daemon/
# (--no-sandbox: the daemon writes its pid where the test reads it; hostile_class.sh checks the sandbox.)
GRADCHECK_TEST_PIDS="$PWD/e.pids" expect 0 '1 submissions: 1 passed.' -- grade class --out grades --time-limit 60 -q --no-sandbox
none_left "a daemon of a graded submission" e.pids

# The same submission, hung after its daemon started (its own pid written too): Ctrl-C to grade …
mkdir -p hung/daemon
$py - "$student/nnCostFunction.py" hung/daemon/nnCostFunction.py <<'PY'
import sys
source = open(sys.argv[1]).read()
start = "        _logger = start_progress_logger()\n"
assert start in source
hang = start + ('        open(os.environ["GRADCHECK_TEST_PIDS"], "a").write("%d\\n" % os.getpid())\n'
                "        while True:\n            __import__('time').sleep(1)\n")
open(sys.argv[2], "w").write(source.replace(start, hang))
PY
GRADCHECK_TEST_PIDS="$PWD/f.pids" "$gradcheck" grade hung --out grades_f --time-limit 60 -q --no-sandbox >"$out" 2>"$err" &
grading=$!
wait_for f.pids 2
kill -INT "$grading"
wait "$grading"
code=$?
if [ "$code" -eq 130 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL Ctrl-C to grade: exit $code, expected 130"; fi
none_left "a daemon of a submission graded when Ctrl-C came" f.pids

# … and the student's check killed (SIGKILL: it cannot stop its implementation); grade does.
GRADCHECK_TEST_PIDS="$PWD/g.pids" "$gradcheck" grade hung --out grades_g --time-limit 60 -q --no-sandbox >"$out" 2>"$err" &
grading=$!
wait_for g.pids 2
kill -KILL $(pgrep -P "$grading")
wait "$grading"
code=$?
if [ "$code" -eq 0 ] && grep -q '^"daemon",Python,CRASH' grades_g/class.csv; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL grade with its check killed: exit $code; $(grep daemon grades_g/class.csv 2>/dev/null)"
fi
none_left "a daemon of a submission whose check was killed" g.pids

finish "descendants"
