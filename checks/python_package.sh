#!/usr/bin/env bash
# The Python package (import gradcheck) from the build tree: its own tests (checks/python/), the
# README's pytest examples (docs/examples/python/), what pytest shows for a planted bug, and the ex4
# notebook executed headless by Jupyter, right and with the regularization left out of the gradient.
#   python_package.sh BUILD_DIR
set -uo pipefail
build="$1"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
export PYTHONPATH="$build/python" PYTHONDONTWRITEBYTECODE=1
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }
pytest() { (cd "$scratch" && /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@"); }

pytest "$here/python/test_package.py" || fail "the package's own tests"
pytest "$root/docs/examples/python" || fail "the README's pytest examples"

# A failing gate: pytest exits 1, and its report shows the verdict with the tensor and the entry.
out="$(pytest "$here/python/planted_gate.py" 2>&1)"; code=$?
[ "$code" -eq 1 ] || fail "the planted gate exited $code, expected 1"
grep -q "AssertionError: FAIL: gradient mismatch in w; worst entry w\[1, 2\]" <<<"$out" ||
  fail "pytest's output does not show the verdict: $(tail -5 <<<"$out")"

# The notebook, executed as Jupyter runs it: its last cell shows the HTML report and the verdict.
notebook() {  # notebook NAME EXPECTED_VERDICT_PREFIX
  jupyter nbconvert --to notebook --execute "$scratch/$1.ipynb" --output "$1.out.ipynb" >/dev/null 2>"$scratch/$1.log" ||
    { fail "the notebook $1 did not run: $(tail -3 "$scratch/$1.log")"; return; }
  /usr/bin/python3 - "$scratch/$1.out.ipynb" "$2" <<'PY' || fail "notebook $1"
import json, sys
cell = json.load(open(sys.argv[1]))["cells"][-1]
data = cell["outputs"][0]["data"]
plain, page = "".join(data["text/plain"]), "".join(data["text/html"])
assert plain.startswith("<gradcheck.Result " + sys.argv[2]), plain
assert page.startswith('<iframe title="gradcheck report"') and "verdict" in page, page[:200]
PY
}
cp "$root/docs/examples/python/ex4_check.ipynb" "$scratch/right.ipynb"
notebook right "PASS at λ = 0, λ = 3"
# The same notebook with the gradient's regularization left out: the last cell names it.
/usr/bin/python3 - "$scratch/right.ipynb" "$scratch/planted.ipynb" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
for cell in nb["cells"]:
    source = "".join(cell["source"])
    cell["source"] = "\n".join(line for line in source.split("\n") if "+= (lambda_ / m)" not in line)
json.dump(nb, open(sys.argv[2], "w"))
PY
notebook planted "FAIL at λ = 3: gradient mismatch in Theta1, Theta2; worst entry"
grep -q "regularization missing from D" "$scratch/planted.out.ipynb" || fail "the planted notebook's report does not name the mistake"

[ "$failures" -eq 0 ] && echo "python_package: all passed"
exit $((failures > 0))
