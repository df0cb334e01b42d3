#!/usr/bin/env bash
# The bad-input catalog (checks/bad_inputs.txt): bad problem files, bad command-line values and
# faulty implementations. For each: the exit code, the message, exactly one line on stderr for
# exits 2 and 3, no hang (60 s at most) and no process of the implementation left behind.
# Usage: bad_inputs.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(realpath "$1")"
fixtures="$(cd "$here/../fixtures" && pwd)"
bad="$fixtures/bad" faulty="$fixtures/faulty" py=/usr/bin/python3
limited() { timeout -k 5 60 "$binary" "$@"; }  # a hang fails the case (exit 124) instead of the suite
gradcheck=limited
match=-F
source "$here/expect.sh"
# Files that are not regular files, for the catalog's --problem lines (in the scratch folder
# expect.sh made current): a FIFO nobody writes to, and a socket.
mkfifo fifo.json
"$py" -c 'import socket; socket.socket(socket.AF_UNIX).bind("socket.json")'
# For merge: the shards of a check, and links to /dev/zero, the FIFO and a folder.
"$binary" check --quiet --arch 2-2-1 --examples 3 --seed 1 --shard 1/2 --out ok-1.json >/dev/null
"$binary" check --quiet --arch 2-2-1 --examples 3 --seed 1 --shard 2/2 --out ok-2.json >/dev/null
ln -s /dev/zero zero.json && ln -s fifo.json fifo-link.json && mkdir folder && ln -s folder folder-link.json

# Every implementation gets this extra argument (they ignore it), so that looking for what is
# left behind finds this run's processes only, not those of tests running beside it.
marker="gradcheck-bad-inputs-$$"
cases=0
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  code="${line%% | *}" rest="${line#* | }"
  message="${rest%% | *}" arguments="${rest#* | }"
  eval "set -- $arguments"  # expands $bad, $faulty, $fixtures and $py; the table is ours
  case " $arguments " in *" -- "*) set -- "$@" "$marker" ;; esac
  cases=$((cases + 1))
  expect "$code" "$message" -- "$@"
  if leftover=$(pgrep -af "$marker"); then
    failed=$((failed + 1))
    echo "FAIL gradcheck $arguments left a process behind: $leftover"
    pkill -9 -f "$marker"
  fi
done <"$here/bad_inputs.txt"

# A file named reports where --reports (or a shard without --out) would make the folder.
mkdir blocked && touch blocked/reports && cd blocked
expect 2 'cannot make the folder reports/ here (Not a directory); expected reports to be a folder or absent' -- check --reports
expect 2 'cannot make the folder reports/ here' -- check --shard 1/2
cd ..

[ "$cases" -ge 30 ] || { echo "FAIL the catalog has $cases cases; expected at least 30"; failed=$((failed + 1)); }
finish "bad inputs ($cases cases)"
