#!/usr/bin/env bash
# The sandbox grade runs each student's code in (README "The sandbox"), held to its table:
#   bubblewrap: the teacher's folders hidden, /etc/shadow unreadable, no loopback of the
#   machine's, its own PIDs, a clean environment, /tmp private; files capped at --scratch, processes
#   at --processes; nothing left running or planted afterwards;
#   --sandbox user (root): the same user, /tmp cleaned, every process of the user killed; refused
#   while the class's files are readable by others;
#   --no-sandbox: said in the class table.
set -uo pipefail
gradcheck="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
listener=""
cleanup() {
  [ -n "$listener" ] && kill "$listener" 2>/dev/null
  chmod 755 "$scratch" 2>/dev/null
  rm -rf "$scratch" /tmp/planted-by-looks-around
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
message() { /usr/bin/python3 -c 'import csv,sys; print({r["student"]: r["message"] for r in csv.DictReader(open(sys.argv[1]))}.get(sys.argv[2], "no row"))' "$@"; }

if [ "$(id -u)" -ne 0 ] && ! bwrap --ro-bind / / true 2>/dev/null; then
  echo "SKIP: neither root nor user namespaces here"
  exit 77
fi

# A port listening on the machine's loopback: the sandbox must not reach it.
port=$((20000 + RANDOM % 20000))
/usr/bin/python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(600)' "$port" &
listener=$!
sleep 0.3

class="$scratch/class"
mkdir -p "$class"
cp -r "$here/fixtures/sandbox/looks_around" "$here/fixtures/sandbox/writes_too_much" "$here/fixtures/sandbox/forks_too_many" "$class/"
echo "$port $class $scratch $here $HOME" >"$class/looks_around/look_at.txt"

"$gradcheck" grade "$class" --out "$scratch/out" --fuzz-cases 0 --scratch 128 --processes 64 -q >"$scratch/stdout" 2>"$scratch/stderr"
code=$?
[ "$code" -eq 0 ] || fail "grade in bubblewrap exited $code: $(tail -2 "$scratch/stderr")"
looked="$(message "$scratch/out/class.csv" looks_around)"
case "$looked" in *LOOKED*) ;; *) fail "looks_around said: $looked" ;; esac
for folder in "$class" "$scratch" "$here" /root /home; do
  case "$looked" in *"$folder=hidden"*) ;; *) fail "bubblewrap showed $folder: $looked" ;; esac
done
case "$looked" in *shadow=refused*) ;; *) fail "bubblewrap let /etc/shadow be read: $looked" ;; esac
case "$looked" in *loopback=refused*) ;; *) fail "bubblewrap reached the machine's loopback: $looked" ;; esac
case "$looked" in *environment=HOME,LANG,PATH,TMPDIR*|*environment=HOME,PATH,TMPDIR*) ;; *) fail "environment: $looked" ;; esac
processes="$(sed -n 's/.*processes=\([0-9]*\).*/\1/p' <<<"$looked")"
[ -n "$processes" ] && [ "$processes" -le 5 ] || fail "bubblewrap showed $processes processes: $looked"
[ ! -e /tmp/planted-by-looks-around ] || fail "bubblewrap let a file be planted in the machine's /tmp"
wrote="$(message "$scratch/out/class.csv" writes_too_much)"
mib="$(sed -n 's/.*WROTE \([0-9]*\) MiB then.*/\1/p' <<<"$wrote")"
[ -n "$mib" ] && [ "$mib" -le 128 ] || fail "--scratch 128 let it write: $wrote"
forked="$(message "$scratch/out/class.csv" forks_too_many)"
count="$(sed -n 's/.*FORKED \([0-9]*\) then.*/\1/p' <<<"$forked")"
[ -n "$count" ] && [ "$count" -le 64 ] || fail "--processes 64 let it start: $forked"
pgrep -f forks_too_many_marker >/dev/null && fail "processes of the class outlived grade: $(pgrep -af forks_too_many_marker | head -2)"
grep -q "bubblewrap" "$scratch/out/class.md" || fail "class.md does not say the code ran in bubblewrap"

if [ "$(id -u)" -eq 0 ]; then
  # --sandbox user: refused while the class's files are readable by others …
  "$gradcheck" grade "$class" --out "$scratch/out_user" --fuzz-cases 0 --sandbox user -q >/dev/null 2>"$scratch/refused"
  code=$?
  [ "$code" -eq 2 ] && grep -q "every user may read" "$scratch/refused" || fail "--sandbox user with readable files: exit $code: $(cat "$scratch/refused")"
  # … and, with them private (the project's fixtures too, for this run), the user alone confines it.
  chmod 700 "$scratch"
  fixtures_mode="$(stat -c %a "$here/fixtures")"
  chmod o-rwx "$here/fixtures"
  "$gradcheck" grade "$class" --out "$scratch/out_user" --fuzz-cases 0 --sandbox user --scratch 128 --processes 64 -q \
    >/dev/null 2>"$scratch/user.err"
  code=$?
  chmod "$fixtures_mode" "$here/fixtures"
  [ "$code" -eq 0 ] || fail "grade --sandbox user exited $code: $(tail -2 "$scratch/user.err")"
  looked="$(message "$scratch/out_user/class.csv" looks_around)"
  case "$looked" in *"$class=hidden"*) ;; *) fail "--sandbox user showed the submissions: $looked" ;; esac
  case "$looked" in *uid=0*|*"uid=$(id -u) "*) fail "--sandbox user ran it as grade's own user: $looked" ;; esac
  case "$looked" in *shadow=refused*) ;; *) fail "--sandbox user let /etc/shadow be read: $looked" ;; esac
  [ ! -e /tmp/planted-by-looks-around ] || fail "--sandbox user left the file planted in /tmp"
  forked="$(message "$scratch/out_user/class.csv" forks_too_many)"
  count="$(sed -n 's/.*FORKED \([0-9]*\) then.*/\1/p' <<<"$forked")"
  [ -n "$count" ] && [ "$count" -le 64 ] || fail "--sandbox user --processes 64 let it start: $forked"
  pgrep -f forks_too_many_marker >/dev/null && fail "--sandbox user: processes of the class outlived grade"
fi

# --no-sandbox: said where the teacher reads the grades.
mkdir -p "$scratch/trusted"
cp -rL "$here/fixtures/class/python_correct_loop_prints" "$scratch/trusted/"
"$gradcheck" grade "$scratch/trusted" --out "$scratch/out_none" --no-sandbox --fuzz-cases 0 -q >/dev/null 2>&1
grep -q -- "--no-sandbox" "$scratch/out_none/class.md" || fail "class.md does not say --no-sandbox"

[ "$failures" -eq 0 ] && echo "sandbox: every promise held" || echo "sandbox: $failures failure(s)"
[ "$failures" -eq 0 ]
