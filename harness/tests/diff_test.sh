#!/bin/sh
# `synfin diff` from the outside: on a few seeds made from specs, every
# scenario gets one line ("PATH: same (...)", "PATH: N differences" with
# indented details, or "PATH: skipped: ...") and a summary line; the exit
# status says whether anything differed. Without root it must fail with a
# clear message; bad input gives exit status 2. Skips (exit 77) when this
# machine has no TUN device or namespaces.
#
# usage: diff_test.sh SYNFIN SOURCE_DIR
set -u

SYNFIN=$1
SRC=$2
T=$(mktemp -d /tmp/synfin-diff-test.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

failures=0
checks=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

pass() {
  checks=$((checks + 1))
}

# ---- without privileges: a clear error ----

if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$T/one"
  "$SYNFIN" corpus from-specs "$SRC/specs/rfc9293/handshake/passive-open.pkt" \
    -o "$T/one" >/dev/null 2>&1
  chmod -R a+rX "$T"
  setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$SYNFIN" diff "$T/one" >"$T/noroot.out" 2>"$T/noroot.err"
  rc=$?
  if [ "$rc" -eq 2 ] && grep -q "needs root" "$T/noroot.err"; then
    pass
  else
    fail "without root: exit $rc, expected 2 and 'needs root'"
    cat "$T/noroot.err"
  fi
fi

# ---- bad input ----

"$SYNFIN" diff "$T/no-such-file" >"$T/missing.out" 2>"$T/missing.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "no-such-file" "$T/missing.err"; then pass; else
  fail "a missing file: exit $rc"
fi
mkdir -p "$T/empty"
"$SYNFIN" diff "$T/empty" >"$T/empty.out" 2>"$T/empty.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "no scenario files" "$T/empty.err"; then pass; else
  fail "an empty directory: exit $rc"
fi
"$SYNFIN" diff --tolerance-ms soon x >/dev/null 2>"$T/opt.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "tolerance-ms" "$T/opt.err"; then pass; else
  fail "a bad option: exit $rc"
fi

# ---- a few seeds against the kernel ----

if [ ! -c /dev/net/tun ] || ! unshare -n true 2>/dev/null; then
  echo "SKIP: no TUN device or network namespaces here ($checks checks passed)"
  exit 77
fi

mkdir -p "$T/seeds"
for spec in rfc9293/handshake/passive-open.pkt rfc9293/data/inbound-data.pkt \
  rfc9293/close/passive-close.pkt rfc9293/handshake/active-open.pkt; do
  "$SYNFIN" corpus from-specs "$SRC/specs/$spec" -o "$T/seeds" \
    >>"$T/seeds.log" 2>&1
done
n=$(ls "$T/seeds" | wc -l)
"$SYNFIN" diff --max-time 5 "$T/seeds" >"$T/diff.out" 2>"$T/diff.err"
rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]; then pass; else
  fail "synfin diff on $n seeds: exit $rc"
  cat "$T/diff.err"
fi
# one line per scenario, details indented, a summary line last
lines=$(grep -c -E "^$T/seeds/[0-9a-f]{40}: (same \([0-9]+ packets, [0-9]+ calls\)|[0-9]+ differences?|skipped: .*)$" "$T/diff.out")
if [ "$lines" -eq "$n" ]; then pass; else
  fail "expected $n scenario lines, found $lines"
  cat "$T/diff.out"
fi
if grep -v -E "^$T/seeds/|^  |^synfin diff: " "$T/diff.out" | grep -q .; then
  fail "lines in an unexpected format"
  cat "$T/diff.out"
else
  pass
fi
if tail -n 1 "$T/diff.out" |
  grep -q -E "^synfin diff: $n scenarios: [0-9]+ same, [0-9]+ differ, [0-9]+ skipped$"; then
  pass
else
  fail "no summary line"
  tail -n 1 "$T/diff.out"
fi
differ=$(tail -n 1 "$T/diff.out" | sed -E 's/.* ([0-9]+) differ.*/\1/')
if { [ "$differ" -eq 0 ] && [ "$rc" -eq 0 ]; } ||
  { [ "$differ" -gt 0 ] && [ "$rc" -eq 1 ]; }; then
  pass
else
  fail "exit status $rc with $differ scenarios differing"
fi
# the passive open itself is the same on both
if grep -q ": same " "$T/diff.out"; then pass; else
  fail "not even one seed plays the same on the stack and the kernel"
  cat "$T/diff.out"
fi

echo "$checks checks passed, $failures failed"
[ "$failures" -eq 0 ]
