#!/usr/bin/env bash
# The HTML report: self-contained, rendered by headless Chromium (its DOM read back and a
# screenshot taken), with the diagnosis, a heatmap per layer, the smallest failing network and
# the command that reproduces the run.
# Usage: html.sh path/to/gradcheck
set -u
here="$(cd "$(dirname "$0")" && pwd)"
gradcheck="$1"
source "$here/expect.sh"

check() {  # check DESCRIPTION COMMAND…: a shell test of its own
  local what="$1"
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $what"; fi
}
chrome() {  # the flags this machine's network needs (see the machine notes), a fresh profile
  timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile-$RANDOM" --hide-scrollbars "$@" 2>/dev/null
}

expect 1 'report: report.html' -- check --arch 4-8-6-3 --seed 3 --lambda 1 --plant derivative-of-activation --shrink -o report.html
# Self-contained: nothing to fetch, nothing to run.
check "report.html loads nothing" bash -c "! grep -qE '(src|href)=\"(https?:)?//|<script|<link' report.html"
# Chromium renders it: the DOM it builds holds every part.
chrome --dump-dom "file://$work/report.html" > dom.html
for part in 'Diagnosis: g′ applied to a^(l) instead of z^(l)' 'Θ^(1) (8 × 5): MISMATCH' 'Θ^(3) (3 × 7): ok' \
            '<svg' 'bias' 'The smallest failing network' 'Reproduce this run' \
            'gradcheck check --arch 4-8-6-3 --seed 3 --lambda 1 --plant derivative-of-activation'; do
  check "the rendered page lacks '$part'" grep -qF -- "$part" dom.html
done
check "one heatmap per layer" test "$(grep -o '<svg' dom.html | wc -l)" -eq 4  # 3 layers and the legend
# And a picture of it.
chrome --window-size=1200,1600 --screenshot="$work/report.png" "file://$work/report.html" >/dev/null
check "a screenshot of the report" test "$(head -c 8 report.png | od -An -c | tr -d ' ')" = '211PNG\r\n032\n'
check "a screenshot with content" test "$(stat -c %s report.png)" -gt 50000
# A big layer is shown in blocks that keep its worst entry.
expect 0 'report: big.html' -- check --arch 300-60-10 --examples 20 --seed 1 -o big.html
check "big layers in blocks" grep -qF 'blocks of 2 × 2, each showing its largest error' big.html

finish html
