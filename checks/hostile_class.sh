#!/usr/bin/env bash
# gradcheck grade on a hostile class (issue 30): fixtures/hostile/'s attackers, each honestly worth 0
# points, graded among honest classmates from fixtures/class, plus archives built here (a zip bomb,
# links out of the submission, a tar that writes through a link). Asserts:
#   every honest row has the verdict, points and tests it has when the honest ones are graded alone
#   (and again on the cached re-run); every attacker gets 0 points and no PASS; a row per student;
#   nothing outside the output folder changed (the submissions, the gradcheck copy grade runs, a
#   planted HOME, /tmp); no process an attacker started outlives grade; class.csv is the same 3 s
#   after grade exited; no connection reached the listener; the HOME secret, a forged "PASS at λ = 0"
#   and a ptrace success appear nowhere; no attacker exceeds the memory or process bound; the HTML
#   and Markdown show the injected markup as text (and Chromium runs none of it).
# Everything runs in an arena folder whose path holds "gcatk-arena": the attacks touch nothing else.
# Prints one "ATTACK SUCCEEDED: …" line per attack that worked, and exits 1 if any did.
# GCATK_KEEP=1 keeps the arena (its path is printed) to read the rows, reports and stderr.
set -uo pipefail
gradcheck="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
arena="$(mktemp -d "${TMPDIR:-/tmp}/gcatk-arena.XXXXXX")"
listener_pid="" sampler_pid=""
cleanup() {
  [ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  kill_survivors >/dev/null
  rm -f /tmp/gcatk-planted-* /dev/shm/gcatk-planted-* /var/tmp/gcatk-planted-*
  if [ -n "${GCATK_KEEP:-}" ]; then echo "the arena is kept: $arena"; else rm -rf "$arena"; fi
}
trap cleanup EXIT
failures=0
succeeded() { echo "ATTACK SUCCEEDED: $*"; failures=$((failures + 1)); }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
limit=30 memory=1024
py=/usr/bin/python3

# The processes attackers left behind (their command lines hold gcatk-proc), and grade's own
# checks (gcatk-arena), listed then killed by pid.
survivors() {
  "$py" - "$arena" "$$" <<'PY'
import os, sys
arena, me = sys.argv[1], int(sys.argv[2])
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) in (me, os.getpid()):
        continue
    try:
        argv = open(f"/proc/{p}/cmdline", "rb").read().decode("utf-8", "replace").replace("\0", " ")
    except OSError:
        continue
    if ("gcatk-proc" in argv or arena in argv) and not any(w in argv for w in ("hostile_class.sh", "sampler.py", "listener.py", "import os, sys\narena")):
        print(p, argv[:100])
PY
}
kill_survivors() { survivors | while read -r pid _; do kill -KILL "$pid" 2>/dev/null; done; }

# Every name, type, mode and file content under a folder, links not followed.
fingerprint() {
  "$py" - "$1" <<'PY'
import hashlib, os, stat, sys
h = hashlib.sha256()
for root, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(dirs + files):
        path = os.path.join(root, name)
        st = os.lstat(path)
        h.update(f"{os.path.relpath(path, sys.argv[1])}\0{st.st_mode}\0".encode("utf-8", "surrogateescape"))
        if stat.S_ISREG(st.st_mode):
            h.update(open(path, "rb").read())
        elif stat.S_ISLNK(st.st_mode):
            h.update(os.readlink(path).encode("utf-8", "surrogateescape"))
print(h.hexdigest())
PY
}

# ---- the class -------------------------------------------------------------------------------
mkdir -p "$arena/bin" "$arena/home" "$arena/tmp" "$arena/outside" "$arena/class" "$arena/honest"
cp "$gradcheck" "$arena/bin/gradcheck"  # the attacks may replace this copy, never the build's
secret="gcatk-secret-$RANDOM$RANDOM$RANDOM"
echo "$secret" >"$arena/home/gcatk-secret.txt"
honest=(octave_correct_vectorized octave_starter_code python_correct_loop_prints python_bias_regularized
        octave_correct_loop_octave python_correct_notebook octave_sign_flipped_loop zipped_correct_helpers.zip)
# The killer and the binary replacers, when they succeed, wreck every row after theirs: each is
# graded in a small class of its own, with its own copy of gradcheck.
isolated="python_killer python_binary_replacer octave_binary_replacer"
attackers=()
for a in "$here"/fixtures/hostile/*/; do attackers+=("$(basename "$a")"); done
# Interleaved, so that an attacker is graded beside a classmate (-j 2): its copies, caches and files
# are there to be reached. The numbers keep the order (grade sorts by name).
k=0 h=0
add() {  # add SOURCE NAME: a copy with links resolved, numbered, its name left in $name
  name="$(printf '%02d_%s' "$k" "$2")"; k=$((k + 1))
  if [ -d "$1" ]; then cp -rL "$1" "$arena/class/$name"; else cp -L "$1" "$arena/class/$name"; fi
}
for a in "${attackers[@]}"; do
  if [ $((k % 3)) -eq 0 ] && [ "$h" -lt "${#honest[@]}" ]; then
    src="${honest[$h]}"; h=$((h + 1))
    add "$here/fixtures/class/$src" "$src"
  fi
  case " $isolated " in *" $a "*) continue;; esac  # graded in a class of its own below
  add "$here/fixtures/hostile/$a" "hostile_$a"
  cp "$here"/fixtures/hostile/gcatk*.py "$arena/class/$name/"
done
while [ "$h" -lt "${#honest[@]}" ]; do src="${honest[$h]}"; h=$((h + 1)); add "$here/fixtures/class/$src" "$src"; done

# Built here, since they hold this machine's paths or would weigh a gigabyte in git.
# Graded in a class of their own (below), so that no other attacker's writes change their rows.
mkdir -p "$arena/archives"
"$py" - "$arena" "$here" 1 <<'PY' || fail "the archives could not be built"
import io, os, shutil, sys, tarfile, zipfile
arena, here, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
cls = os.path.join(arena, "archives")
# The links point at a copy in the arena, never at the project's own files (an attack writing
# through them would change the checkout).
right = os.path.join(arena, "elsewhere", "correct_vectorized")
shutil.copytree(os.path.join(here, "fixtures", "homework", "correct_vectorized"), right)
starter = open(os.path.join(here, "fixtures", "homework", "starter_code", "nnCostFunction.m"), "rb").read()
# A folder holding only a link to a right solution outside it.
os.makedirs(os.path.join(cls, f"{k:02d}_hostile_link_folder"))
os.symlink(right, os.path.join(cls, f"{k:02d}_hostile_link_folder", "ex4"))
# A zip whose files are links to a right solution's files.
with zipfile.ZipFile(os.path.join(cls, f"{k + 1:02d}_hostile_link_zip.zip"), "w") as z:
    for name in ("nnCostFunction.m", "sigmoid.m", "sigmoidGradient.m"):
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (0o120777 << 16)
        z.writestr(info, os.path.join(right, name))
# A tar that plants a file through a link, and one with a ../ name.
with tarfile.open(os.path.join(cls, f"{k + 2:02d}_hostile_tar_slip.tar"), "w") as t:
    def add(name, data=None, link=None):
        info = tarfile.TarInfo(name)
        if link:
            info.type, info.linkname = tarfile.SYMTYPE, link
            t.addfile(info)
        else:
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    add("nnCostFunction.m", starter)
    add("up", link=os.path.join(arena, "outside"))
    add("up/gcatk-slipped.txt", b"slipped\n")
    add("../../../gcatk-slipped-dotdot.txt", b"slipped\n")
# A zip bomb: 1 MB that unpacks to 1 GiB, around the starter code.
with zipfile.ZipFile(os.path.join(cls, f"{k + 3:02d}_hostile_zip_bomb.zip"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr("nnCostFunction.m", starter)
    zeros = b"\0" * (1 << 20)
    with z.open("data.bin", "w", force_zip64=True) as f:
        for _ in range(1024):
            f.write(zeros)
PY
# The HTML injector's folder name carries markup too.
"$py" - "$arena/class" <<'PY'
import os, sys
cls = sys.argv[1]
old = next(n for n in os.listdir(cls) if n.endswith("hostile_python_html_injector"))
os.rename(os.path.join(cls, old), os.path.join(cls, old[:3] + "hostile_html<img src=x onerror=\"document.title='gcatkpwned'\">"))
PY
# The honest ones alone, under the same names: the rows the hostile class must not change.
for d in "$arena"/class/*; do
  case "$(basename "$d")" in *hostile_*) ;; *) cp -r "$d" "$arena/honest/" ;; esac
done
ls "$arena/class" >"$arena/class.list"

# ---- watchers: a listener counting connections, a sampler of the attackers' processes -------
cat >"$arena/listener.py" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", 47613))
except OSError as e:
    open(sys.argv[1], "a").write(f"unbound {e}\n"); sys.exit(0)
s.listen(16)
while True:
    c, _ = s.accept(); open(sys.argv[1], "a").write("connection\n"); c.close()
PY
: >"$arena/listener.log"
"$py" "$arena/listener.py" "$arena/listener.log" & listener_pid=$!
cat >"$arena/sampler.py" <<'PY'
import os, sys, time
log = sys.argv[1]
peak = {}
while not os.path.exists(log + ".stop"):
    now = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            argv = open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
            rss = int(open(f"/proc/{p}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
        for kind in (b"forkbomb", b"memhog"):
            if any(b"gcatk-proc-" + kind in a for a in argv):
                n, r = now.get(kind, (0, 0))
                now[kind] = (n + 1, r + rss)
    for kind, (n, r) in now.items():
        pn, pr = peak.get(kind, (0, 0))
        peak[kind] = (max(n, pn), max(r, pr))
    open(log, "w").write("".join(f"{k.decode()} {n} {r >> 20}\n" for k, (n, r) in peak.items()))
    time.sleep(0.2)
PY
"$py" "$arena/sampler.py" "$arena/peaks" & sampler_pid=$!

# ---- grade: the honest ones alone, then the hostile class --------------------------------------
run_grade() {  # run_grade CLASS OUT LOG: grade with a planted HOME and TMPDIR, the arena's binary copy
  HOME="$arena/home" TMPDIR="$arena/tmp" timeout 1200 "$arena/bin/gradcheck" grade "$1" --out "$2" \
    --time-limit "$limit" --memory "$memory" -j 2 >"$3.out" 2>"$3.err"
}
run_grade "$arena/honest" "$arena/honest_out" "$arena/honest"
[ $? -eq 0 ] || fail "grading the honest ones alone failed: $(tail -2 "$arena/honest.err")"
cp "$arena/honest_out/class.csv" "$arena/honest.csv"

fixtures_before="$(fingerprint "$here/fixtures")"
teacher_before="$(for f in class honest bin home outside elsewhere; do fingerprint "$arena/$f"; done)"
started=$SECONDS
run_grade "$arena/class" "$arena/out" "$arena/hostile"
code=$?
echo "the hostile class took $((SECONDS - started)) s, grade exited $code"
[ "$code" -eq 0 ] || succeeded "grade exited $code on the hostile class: $(tail -2 "$arena/hostile.err" | cut -c1-200)"
csv_then="$(sha256sum <"$arena/out/class.csv" 2>/dev/null)"
sleep 3
[ "$(sha256sum <"$arena/out/class.csv" 2>/dev/null)" = "$csv_then" ] || succeeded "daemon: class.csv changed after grade exited"
left="$(survivors)"
[ -z "$left" ] || succeeded "processes outlived grade: $(echo "$left" | cut -c1-80 | sort -k2 | uniq -f1 -c | head -8 | tr '\n' ';')"
kill_survivors
touch "$arena/peaks.stop"

teacher_after="$(for f in class honest bin home outside elsewhere; do fingerprint "$arena/$f"; done)"
if [ "$teacher_after" != "$teacher_before" ]; then
  cmp -s "$gradcheck" "$arena/bin/gradcheck" || succeeded "binary_replacer: the gradcheck copy grade runs was changed"
  [ -e "$arena/home/gcatk-planted-by-student" ] && succeeded "home_reader: wrote into the teacher's HOME"
  [ -n "$(find "$arena/outside" -mindepth 1)" ] && succeeded "tar_slip: written outside the submission: $(find "$arena/outside" -mindepth 1)"
  diff -rq "$here/fixtures/homework/correct_vectorized" "$arena/elsewhere/correct_vectorized" >/dev/null ||
    succeeded "a write through a link in a submission changed the file it points to (outside the submission)"
  changed="$(cd "$arena/honest" && for d in *; do diff -rq "$d" "$arena/class/$d" >/dev/null 2>&1 || echo "$d"; done)"
  [ -n "$changed" ] && succeeded "source_tamperer: classmates' submissions changed: $(echo $changed)"
  fail "the teacher's side changed (the submissions, the gradcheck copy, HOME or a folder outside)"
fi
planted="$(ls -d /tmp/gcatk-planted-* /dev/shm/gcatk-planted-* /var/tmp/gcatk-planted-* "$arena"/tmp/gcatk-planted-* 2>/dev/null)"
[ -z "$planted" ] || succeeded "tmp_writer: planted $(echo $planted | cut -c1-200)"
slipped="$(find "$arena" "${TMPDIR:-/tmp}" -maxdepth 4 -name 'gcatk-slipped*' -not -path "$arena/out/*" 2>/dev/null | grep -v '/submission/')"
[ -z "$slipped" ] || succeeded "tar_slip: $(echo $slipped)"
[ -s "$arena/listener.log" ] && succeeded "network: $(sort "$arena/listener.log" | uniq -c | tr '\n' ' ')"
grep -rlF "$secret" "$arena/out" >/dev/null 2>&1 && succeeded "home_reader: the teacher's HOME secret is in $(grep -rlF "$secret" "$arena/out" | head -2 | sed "s|$arena/||" | tr '\n' ' ')"
grep -rlF "gcatk-ptrace-attached" "$arena/out" >/dev/null 2>&1 && succeeded "ptracer: attached to gradcheck ($(grep -rhoF 'gcatk-ptrace-attached' "$arena/out" | head -1))"
grep -rlF "gcatk-fd-forged" "$arena/out" --include='class.*' --include='check.*' --include='*.json' >/dev/null 2>&1 &&
  succeeded "descriptor_reader: a forged line in $(grep -rlF "gcatk-fd-forged" "$arena/out" --include='class.*' --include='check.*' --include='*.json' | head -3 | sed "s|$arena/||" | tr '\n' ' ')"
out_mib=$(du -sm "$arena/out" 2>/dev/null | cut -f1)
[ "${out_mib:-0}" -le 64 ] || succeeded "huge_output: the output folder holds $out_mib MiB"
sleep 0.5
while read -r kind n mib; do
  [ "$kind" = memhog ] && [ "$mib" -gt $((memory * 11 / 10)) ] && succeeded "memory_hog: $n processes of one student held $mib MiB at once under --memory $memory"
  [ "$kind" = forkbomb ] && [ "$n" -ge 1000 ] && succeeded "fork_bomb: $n processes of one student alive at once"
done <"$arena/peaks"
echo "peaks of the attackers' processes: $(tr '\n' ';' <"$arena/peaks")"

# ---- the rows ----------------------------------------------------------------------------------
check_rows() {  # check_rows OUT WHEN
  "$py" - "$1/class.csv" "$arena/honest.csv" "$arena/class.list" "$2" <<'PY'
import csv, sys
table, honest_file, listing, when = sys.argv[1:5]
try:
    rows = {r["student"]: r for r in csv.DictReader(open(table, encoding="utf-8"))}
except OSError:
    print(f"ATTACK SUCCEEDED: {when}: no class.csv"); sys.exit(1)
honest = {r["student"]: r for r in csv.DictReader(open(honest_file, encoding="utf-8"))}
students = [l.rstrip("\n") for l in open(listing, encoding="utf-8") if l.strip()]
bad = 0
for s in students:
    name = next((n for n in (".zip", ".tar") if s.endswith(n)), None)
    s = s[: -len(name)] if name else s
    r = rows.get(s)
    if r is None:
        print(f"ATTACK SUCCEEDED: {when}: no row for {s}"); bad += 1; continue
    if "hostile_" in s:
        if r["verdict"] == "PASS" or float(r["score"] or 0) != 0:
            print(f"ATTACK SUCCEEDED: {when}: {s} got {r['verdict']} {r['score']}/{r['max_score']}: {r['message'][:100]}"); bad += 1
        # refused while unpacking, with a line that says so (not a time or memory limit hit later)
        bomb_words = ("bomb", "too large", "too big", "too many", "exceed", "bytes", "cap", "would unpack to")
        if "hostile_zip_bomb" in s and (r["verdict"] != "ERROR" or not any(w in r["message"].lower() for w in bomb_words)):
            print(f"ATTACK SUCCEEDED: {when}: {s} was unpacked, not refused as a bomb: {r['verdict']}: {r['message'][:100]}"); bad += 1
        if "gcatk-fd-forged" in r["message"]:
            print(f"ATTACK SUCCEEDED: {when}: {s}'s row reads the forged line: {r['message'][:100]}"); bad += 1
        continue
    h = honest[s]
    for col in ("verdict", "score", "max_score", "cost", "regularized_cost", "gradient", "regularized_gradient", "ex4", "fuzz"):
        if r[col] != h[col]:
            print(f"ATTACK SUCCEEDED: {when}: honest {s}: {col} {r[col]!r}, alone {h[col]!r} ({r['message'][:90]})"); bad += 1
            break
    if "gcatk" in r["message"]:
        print(f"ATTACK SUCCEEDED: {when}: honest {s}'s message: {r['message'][:100]}"); bad += 1
for s in students:
    r = rows.get(s.rsplit(".", 1)[0] if s.endswith((".zip", ".tar")) else s)
    if r and "hostile_" in s:
        print(f"  {when}: {s[:40]}: {r['verdict']} {r['score']}/{r['max_score']}: {r['message'][:110]}")
print(f"{when}: {len(students)} students, {bad} rows wrong")
sys.exit(1 if bad else 0)
PY
}
check_rows "$arena/out" "the hostile class" || failures=$((failures + 1))

# ---- injected markup -------------------------------------------------------------------------------
"$py" - "$arena/out" <<'PY' || failures=$((failures + 1))
import glob, os, re, sys
out = sys.argv[1]
bad = 0
tag = re.compile(r"<(script|img|svg)\b[^>]*>", re.I)
pages = [os.path.join(out, "class.html"), os.path.join(out, "class.md")] + \
        glob.glob(os.path.join(out, "students", "*hostile_html*", "*"))
for page in pages:
    if not os.path.isfile(page) or not page.endswith((".html", ".md")):
        continue
    text = open(page, encoding="utf-8", errors="replace").read()
    if page.endswith(".md"):  # markup inside a code span or block is shown as text
        # a fenced block: a fence of 3 or more backticks (or tildes) up to one at least as long
        text = re.sub(r"(?ms)^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\1[`~]*[ \t]*$", "", text)
        text = re.sub(r"(`+)(?:(?!\1).)+?\1", "", text)
    for m in tag.finditer(text):
        if "gcatk" in text[m.start():m.end() + 80]:
            print(f"ATTACK SUCCEEDED: html_injector: unescaped {m.group(0)[:60]!r} in {os.path.relpath(page, out)}"); bad += 1
            break
    # a link: an unescaped "](" (a backslash before the bracket makes it text)
    if page.endswith(".md") and re.search(r"(?<!\\)\]\(\s*<?javascript:", text, re.I):
        print(f"ATTACK SUCCEEDED: html_injector: a javascript: link in {os.path.relpath(page, out)}"); bad += 1
sys.exit(1 if bad else 0)
PY
chromium="$(command -v chromium || command -v chromium-browser || true)"
if [ -n "$chromium" ]; then
  for page in "$arena/out/class.html" "$arena"/out/students/*hostile_html*/report.html; do
    [ -f "$page" ] || continue
    url="$("$py" -c 'import pathlib, sys; print(pathlib.Path(sys.argv[1]).as_uri())' "$page")"  # the name holds <, " and spaces
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --virtual-time-budget=3000 --dump-dom "$url" \
      >"$arena/dom.html" 2>/dev/null
    grep -q '<title>gcatkpwned' "$arena/dom.html" && succeeded "html_injector: Chromium ran the injected script in ${page#$arena/}"
  done
fi

# ---- a re-run from the cache: the poisoned entries must not be read back ----------------------
run_grade "$arena/class" "$arena/out" "$arena/rerun"
check_rows "$arena/out" "the cached re-run" || failures=$((failures + 1))
kill_survivors

# ---- the killer, the binary replacers and the archives, each in a class of its own ----------------------------
for a in $isolated archives; do
  rm -rf "$arena/class2" "$arena/out2" "$arena/bin"; mkdir -p "$arena/class2" "$arena/bin"
  cp "$gradcheck" "$arena/bin/gradcheck"
  if [ "$a" = archives ]; then
    cp -a "$arena/archives/." "$arena/class2/"
  else
    cp -rL "$here/fixtures/hostile/$a" "$arena/class2/01_hostile_$a"
    cp "$here"/fixtures/hostile/gcatk*.py "$arena/class2/01_hostile_$a/"
  fi
  for s in "$arena"/honest/*; do case "$s" in *python_correct_loop_prints|*octave_correct_vectorized) cp -r "$s" "$arena/class2/";; esac; done
  ls "$arena/class2" >"$arena/class.list"
  run_grade "$arena/class2" "$arena/out2" "$arena/$a"
  code=$?
  [ "$code" -eq 0 ] || succeeded "$a: grade exited $code ($(tail -1 "$arena/$a.err" | cut -c1-120))"
  cmp -s "$gradcheck" "$arena/bin/gradcheck" || succeeded "$a: the gradcheck copy grade runs was changed"
  check_rows "$arena/out2" "$a's class" || failures=$((failures + 1))
  sleep 1
  left="$(survivors)"
  [ -z "$left" ] || succeeded "$a: processes outlived grade: $(echo "$left" | head -3 | tr '\n' ';')"
  kill_survivors
done
[ -z "$(find "$arena/outside" -mindepth 1)" ] || succeeded "tar_slip: written outside the submission: $(find "$arena/outside" -mindepth 1)"
diff -rq "$here/fixtures/homework/correct_vectorized" "$arena/elsewhere/correct_vectorized" >/dev/null ||
  succeeded "a write through a link in a submission changed the file it points to (outside the submission)"
slipped="$(find "$arena" "${TMPDIR:-/tmp}" -maxdepth 4 -name 'gcatk-slipped*' -not -path "$arena/out*" 2>/dev/null | grep -v '/submission/')"
[ -z "$slipped" ] || succeeded "tar_slip: $(echo $slipped)"

[ "$(fingerprint "$here/fixtures")" = "$fixtures_before" ] || succeeded "the project's own fixtures changed (git status fixtures/)"
[ "$failures" -eq 0 ] && echo "hostile class: every attack failed"
[ "$failures" -eq 0 ]
