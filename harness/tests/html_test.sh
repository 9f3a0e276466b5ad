#!/bin/sh
# `synfin run --html DIR` from the outside: the report of the runner's
# self-test scripts (some pass, some fail, some skip) has a row per script
# with links to its capture and ladder diagram that exist, the failures
# with their diffs, no JavaScript; and it renders: a screenshot taken by
# headless Chromium is a PNG of the window's size that is not blank.
# Without Chromium (ci/setup.sh installs it) the screenshot is skipped
# (exit status 77).
#
# usage: html_test.sh SYNFIN SELFTEST_DIR
set -u

SYNFIN=$1
SELF=$2
T=$(mktemp -d /tmp/synfin-html-test.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

"$SYNFIN" run --no-color -j 2 --html "$T/report" "$SELF" >"$T/run.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "synfin run --html: exit status $rc, expected 1"
H=$T/report/index.html
[ -f "$H" ] || {
  echo "FAIL: no $H"
  exit 1
}
scripts=$(find "$SELF" -name '*.pkt' | wc -l)
rows=$(grep -c '^<tr id="s' "$H")
[ "$rows" -eq "$scripts" ] || fail "$rows rows for $scripts scripts"
grep -q '<span class="st st-fail">fail</span>' "$H" || fail "no failed row"
grep -q '<span class="st st-pass">pass</span>' "$H" || fail "no passed row"
grep -q '<span class="st st-skip">skip</span>' "$H" || fail "no skipped row"
grep -q '<h2>Failures</h2>' "$H" || fail "no failures section"
grep -q '<pre>' "$H" || fail "no failure diff"
grep -q '<script' "$H" && fail "the report has JavaScript"
# every link points at a file beside it
for f in $(sed -n 's/.*href="\([^"#][^"]*\)".*/\1/p; s/.*src="\([^"]*\)".*/\1/p' "$H" |
  tr ' ' '\n' | grep -v '^$' | sort -u); do
  [ -f "$T/report/$f" ] || fail "link to a missing file: $f"
done
grep -q '>pcap</a>' "$H" || fail "no capture linked"
grep -q '>ladder</a>' "$H" || fail "no ladder diagram linked"
svg=$(ls "$T/report"/*missing-packet*.svg 2>/dev/null | head -1)
if [ -z "$svg" ] || ! grep -q 'class="exp"' "$svg"; then
  fail "the diagram of a missing packet shows no expected packet"
fi

chrome=""
for c in chromium chromium-browser google-chrome; do
  if command -v "$c" >/dev/null 2>&1; then
    chrome=$c
    break
  fi
done
if [ -z "$chrome" ]; then
  echo "$failures failures; SKIP: no Chromium for the screenshot"
  [ "$failures" -eq 0 ] && exit 77
  exit 1
fi
PNG=$T/report.png
timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --disable-quic --user-data-dir="$T/profile" --screenshot="$PNG" \
  --window-size=1280,900 "file://$H" >"$T/chrome.out" 2>&1
if [ ! -f "$PNG" ]; then
  fail "no screenshot"
  tail -5 "$T/chrome.out"
else
  # the PNG signature, the IHDR's width and height, and a size that a
  # blank page (a few kB) does not reach
  head=$(od -An -tx1 -N24 "$PNG" | tr -d ' \n')
  case $head in
  89504e470d0a1a0a*) ;;
  *) fail "the screenshot is not a PNG: $head" ;;
  esac
  [ "$(echo "$head" | cut -c33-48)" = "0000050000000384" ] ||
    fail "the screenshot is not 1280x900: $head"
  size=$(wc -c <"$PNG")
  [ "$size" -gt 40000 ] || fail "the screenshot looks blank ($size bytes)"
  if [ -n "${SYNFIN_KEEP_SCREENSHOT:-}" ]; then
    cp "$PNG" "$SYNFIN_KEEP_SCREENSHOT"
  fi
fi
echo "$failures failures"
[ "$failures" -eq 0 ]
