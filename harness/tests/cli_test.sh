#!/bin/sh
# `synfin run` from the outside: exit codes, the summary line, TAP that
# prove accepts, well-formed JUnit, -j N output identical to -j 1, pcaps
# that tshark decodes without malformed packets, the -v trace, bad
# arguments. Tools that are missing (prove, xmllint, tshark) skip their
# checks with a message.
#
# usage: cli_test.sh SYNFIN SELFTEST_DIR
set -u

SYNFIN=$1
ST=$2
T=$(mktemp -d /tmp/synfin-cli-test.XXXXXX)
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

skip_check() {
  echo "SKIP: $*"
}

# run NAME ARGS...: runs synfin with ARGS; stdout in $T/NAME.out, stderr in
# $T/NAME.err, exit status in $rc.
run() {
  name=$1
  shift
  "$SYNFIN" run --no-color "$@" >"$T/$name.out" 2>"$T/$name.err"
  rc=$?
}

expect_rc() {
  if [ "$rc" -eq "$1" ]; then
    pass
  else
    fail "$2: exit status $rc, expected $1"
    sed 's/^/    /' "$T/$3.err" | head -5
  fi
}

# The last line of stdout is the summary.
expect_summary() {
  last=$(tail -n 1 "$T/$1.out")
  if [ "$last" = "$2" ]; then
    pass
  else
    fail "$1: summary '$last', expected '$2'"
  fi
}

count() {
  c=0
  for f in "$1"/*.pkt; do [ -f "$f" ] && c=$((c + 1)); done
  echo "$c"
}

npass=$(count "$ST/pass")
nfail=$(count "$ST/fail")
nskip=$(count "$ST/skip")
nall=$((npass + nfail + nskip))

# ---- exit codes and the summary line ----

run pass "$ST/pass"
expect_rc 0 "only passing scripts" pass
expect_summary pass "$npass passed, 0 failed, 0 skipped"

run fail "$ST/fail"
expect_rc 1 "only failing scripts" fail
expect_summary fail "0 passed, $nfail failed, 0 skipped"

run skip "$ST/skip"
expect_rc 1 "only skipped scripts (no script ran)" skip
expect_summary skip "0 passed, 0 failed, $nskip skipped"

run passskip "$ST/pass" "$ST/skip"
expect_rc 0 "passing and skipped scripts" passskip
expect_summary passskip "$npass passed, 0 failed, $nskip skipped"

run one "$ST/pass/timing-relative.pkt" "$ST/fail/wrong-ack.pkt"
expect_rc 1 "a pass and a failure" one
expect_summary one "1 passed, 1 failed, 0 skipped"

mkdir "$T/empty"
run empty "$T/empty"
expect_rc 1 "a directory without scripts (no script ran)" empty
grep -q "no .pkt scripts" "$T/empty.err" && pass ||
  fail "empty directory: no message on stderr"

printf '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) wnd 1\n' \
  >"$T/syntax.pkt"
run syntax "$T/syntax.pkt"
expect_rc 1 "a script with a syntax error" syntax
grep -q "^ERROR $T/syntax.pkt: $T/syntax.pkt:2:15: " "$T/syntax.out" && pass ||
  fail "syntax error: no 'ERROR file: file:2:15:' line in: $(cat "$T/syntax.out")"
expect_summary syntax "0 passed, 1 failed, 0 skipped (errors included)"

# ---- bad arguments: exit 2 with a message ----

bad_args() {
  what=$1
  shift
  "$SYNFIN" run "$@" >"$T/bad.out" 2>"$T/bad.err"
  rc=$?
  if [ "$rc" -ne 2 ]; then
    fail "$what: exit status $rc, expected 2"
  elif [ ! -s "$T/bad.err" ]; then
    fail "$what: no message on stderr"
  else
    pass
  fi
}

bad_args "-j 0" -j 0 "$ST/pass"
bad_args "-j -1" -j -1 "$ST/pass"
bad_args "-j x" -j x "$ST/pass"
bad_args "an unknown option" --no-such-option "$ST/pass"
bad_args "no path" -j 2
bad_args "a path that does not exist" "$T/does-not-exist.pkt"
bad_args "--profile bsd" --profile bsd "$ST/pass"
bad_args "--seed x" --seed x "$ST/pass"
bad_args "--timeout 0" --timeout 0 "$ST/pass"

# ---- a failure names file:line, shows expected and actual and the last
# packets, and the pcap ----

run failout --pcap "$T/failpcap" "$ST/fail/wrong-ack.pkt"
out="$T/failout.out"
grep -q "^FAIL  $ST/fail/wrong-ack.pkt:12: outbound packet differs from the script in ack" "$out" &&
  pass || fail "failure line: $(head -1 "$out")"
grep -q "^  expected: +0 > \. 1:1(0) ack 100" "$out" && pass ||
  fail "failure: no expected line"
grep -q "^  actual:   0\.200000 > \. 1:1(0) ack 101" "$out" && pass ||
  fail "failure: no actual line"
grep -q "^  \* ack  *100  *101" "$out" && pass ||
  fail "failure: the differing field is not marked"
grep -q "^  last packets:" "$out" && pass || fail "failure: no last packets"
grep -q "^  pcap: $T/failpcap/" "$out" && pass || fail "failure: no pcap path"

# ---- --strict: packets after the last event ----

cat >"$T/trailing.pkt" <<'EOF'
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1000>
EOF
run trailing "$T/trailing.pkt"
expect_rc 0 "a SYN-ACK after the last event" trailing
run trailing_strict --strict "$T/trailing.pkt"
expect_rc 1 "a SYN-ACK after the last event with --strict" trailing_strict
grep -q "trailing.pkt:4: unexpected outbound packet after the last event" \
  "$T/trailing_strict.out" && pass ||
  fail "--strict: $(head -1 "$T/trailing_strict.out")"

# ---- --profile: the default profile of scripts that name none ----

run profile_linux "$ST/fail/profile-default-linux.pkt"
expect_rc 1 "rfc option layout under the linux profile" profile_linux
run profile_rfc --profile rfc "$ST/fail/profile-default-linux.pkt"
expect_rc 0 "rfc option layout with --profile rfc" profile_rfc

# ---- -v: the trace ----

run verbose -v "$ST/pass/timing-relative.pkt"
expect_rc 0 "-v" verbose
grep -Eq '^ *0\.100000 < S 0:0\(0\) win 65535 <mss 1000>$' "$T/verbose.out" &&
  pass || fail "-v: no inbound SYN in the trace"
grep -Eq '^ *0\.100000 > S\. 0:0\(0\) ack 1 win [0-9]+ <mss 1460>$' \
  "$T/verbose.out" && pass || fail "-v: no outbound SYN-ACK in the trace"
grep -q "^ok  *$ST/pass/timing-relative.pkt" "$T/verbose.out" && pass ||
  fail "-v: no ok line"
run quiet "$ST/pass/timing-relative.pkt"
[ "$(wc -l <"$T/quiet.out")" -eq 1 ] && pass ||
  fail "without -v a passing script prints only the summary"

# ---- -j 4 prints what -j 1 prints ----

run j1 -j 1 "$ST"
run j4 -j 4 "$ST"
cmp -s "$T/j1.out" "$T/j4.out" && pass || {
  fail "-j 4 output differs from -j 1"
  diff "$T/j1.out" "$T/j4.out" | head -10
}
expect_summary j4 "$npass passed, $nfail failed, $nskip skipped"
run j1v -v -j 1 "$ST/pass"
run j3v -v -j 3 "$ST/pass"
cmp -s "$T/j1v.out" "$T/j3v.out" && pass || fail "-v -j 3 output differs from -v -j 1"

# ---- --tap ----

run tap --tap "$ST"
expect_rc 1 "--tap" tap
head -n 1 "$T/tap.out" | grep -qx "TAP version 13" && pass ||
  fail "--tap: no 'TAP version 13' first line"
grep -qx "1\.\.$nall" "$T/tap.out" && pass || fail "--tap: no plan 1..$nall"
[ "$(grep -c '^ok ' "$T/tap.out")" -eq $((npass + nskip)) ] && pass ||
  fail "--tap: wrong number of ok lines"
[ "$(grep -c '^not ok ' "$T/tap.out")" -eq "$nfail" ] && pass ||
  fail "--tap: wrong number of not ok lines"
[ "$(grep -c '^ok .* # SKIP unsupported ' "$T/tap.out")" -eq "$nskip" ] &&
  pass || fail "--tap: skips are not marked # SKIP"
if ! grep -q "passed," "$T/tap.out"; then pass; else
  fail "--tap: the summary line is not TAP"
fi
run tappass --tap "$ST/pass" "$ST/skip"
if command -v prove >/dev/null 2>&1; then
  prove -e cat "$T/tappass.out" >"$T/prove-pass.txt" 2>&1 && pass || {
    fail "prove rejects the TAP of passing scripts"
    sed 's/^/    /' "$T/prove-pass.txt" | tail -5
  }
  prove -e cat "$T/tap.out" >"$T/prove-all.txt" 2>&1
  prc=$?
  if [ "$prc" -eq 0 ]; then
    fail "prove accepts failing scripts"
  elif grep -qi "parse error" "$T/prove-all.txt"; then
    fail "prove reports TAP parse errors"
    grep -i "parse error" "$T/prove-all.txt" | head -3
  elif grep -q "Failed $nfail/$nall subtests" "$T/prove-all.txt"; then
    pass
  else
    fail "prove does not count $nfail of $nall as failed"
    tail -5 "$T/prove-all.txt"
  fi
else
  skip_check "prove is not installed: TAP not checked with it"
fi

# ---- --junit ----

run junit --junit "$T/junit.xml" --pcap "$T/junitpcap" "$ST"
expect_rc 1 "--junit" junit
j="$T/junit.xml"
if [ -s "$j" ]; then
  pass
else
  fail "--junit: no file written"
fi
if command -v xmllint >/dev/null 2>&1; then
  xmllint --noout "$j" 2>"$T/xmllint.txt" && pass || {
    fail "--junit: not well-formed XML"
    head -5 "$T/xmllint.txt"
  }
  n=$(xmllint --xpath 'count(//testsuite)' "$j")
  [ "$n" = 3 ] && pass || fail "--junit: $n testsuites, expected 3 (one per directory)"
  n=$(xmllint --xpath 'count(//testcase)' "$j")
  [ "$n" = "$nall" ] && pass || fail "--junit: $n testcases, expected $nall"
  n=$(xmllint --xpath 'count(//testcase/failure)' "$j")
  [ "$n" = "$nfail" ] && pass || fail "--junit: $n failures, expected $nfail"
  n=$(xmllint --xpath 'count(//testcase/skipped)' "$j")
  [ "$n" = "$nskip" ] && pass || fail "--junit: $n skipped, expected $nskip"
  n=$(xmllint --xpath "count(//testsuite[@name='$ST/fail' and @failures='$nfail'])" "$j")
  [ "$n" = 1 ] && pass || fail "--junit: no testsuite $ST/fail with $nfail failures"
  t=$(xmllint --xpath "string(//testcase[@name='wrong-ack.pkt']/failure)" "$j")
  case "$t" in
  *"expected: +0 > . 1:1(0) ack 100"*"actual:"*"$T/junitpcap/"*) pass ;;
  *) fail "--junit: the failure lacks expected/actual/pcap: $t" ;;
  esac
  t=$(xmllint --xpath "string(//testcase[@name='udp.pkt']/skipped/@message)" "$j")
  case "$t" in
  "unsupported udp ("*"udp.pkt:5)") pass ;;
  *) fail "--junit: the skip lacks its reason: $t" ;;
  esac
else
  skip_check "xmllint is not installed: JUnit checked with grep only"
  head -n 1 "$j" | grep -q '^<?xml' && pass || fail "--junit: no XML declaration"
  [ "$(grep -c '<testsuite ' "$j")" -eq 3 ] && pass || fail "--junit: testsuites"
  [ "$(grep -c '<testcase ' "$j")" -eq "$nall" ] && pass || fail "--junit: testcases"
  [ "$(grep -c '<failure ' "$j")" -eq "$nfail" ] && pass || fail "--junit: failures"
  [ "$(grep -c '<skipped ' "$j")" -eq "$nskip" ] && pass || fail "--junit: skips"
fi

# ---- --pcap ----

run pcap --pcap "$T/pcap" "$ST/pass"
expect_rc 0 "--pcap" pcap
n=0
for f in "$T"/pcap/*.pcap; do [ -f "$f" ] && n=$((n + 1)); done
[ "$n" -eq "$npass" ] && pass || fail "--pcap: $n files, expected $npass"
if command -v tshark >/dev/null 2>&1; then
  # The ext-* scripts send broken datagrams on purpose: tshark reads their
  # pcaps, but only the others must be free of malformed packets. One
  # tshark over all of them (it is slow to start); file by file when it
  # finds something.
  : >"$T/clean.txt"
  for f in "$T"/pcap/*.pcap; do
    case "$f" in *_ext-*) ;; *) echo "$f" >>"$T/clean.txt" ;; esac
  done
  # shellcheck disable=SC2046 # the names are ours, without blanks
  if command -v mergecap >/dev/null 2>&1 &&
    mergecap -w "$T/all.pcap" $(cat "$T/clean.txt") 2>"$T/mergecap.err"; then
    bad=$(tshark -r "$T/all.pcap" -Y _ws.malformed 2>/dev/null)
  else
    bad=unknown
  fi
  if [ -z "$bad" ]; then
    pass
  else
    for f in $(cat "$T/clean.txt"); do
      bad=$(tshark -r "$f" -Y _ws.malformed 2>/dev/null)
      [ -z "$bad" ] || {
        fail "tshark finds malformed packets in $f:"
        echo "$bad" | head -3
      }
    done
  fi
  n=$(tshark -r "$T/all.pcap" 2>/dev/null | wc -l)
  [ "$n" -gt 100 ] && pass || fail "tshark reads $n packets of the pcaps"
  for f in "$T"/pcap/*_ext-*.pcap; do
    capinfos -c "$f" >/dev/null 2>"$T/capinfos.err" && pass ||
      fail "cannot read $f: $(cat "$T/capinfos.err")"
  done
  for f in "$T"/pcap/*timing-relative_pkt.pcap; do :; done
  capinfos -E -T "$f" 2>/dev/null | grep -qi "raw" && pass ||
    fail "--pcap: not raw IP: $(capinfos -E -T "$f" 2>&1 | tail -1)"
  # virtual time from the epoch: the handshake at 0.1 s; both directions
  first=$(tshark -r "$f" -T fields -e frame.time_epoch -c 1 2>/dev/null)
  case "$first" in
  0.100000000*) pass ;;
  *) fail "--pcap: first packet at $first, expected 0.100000000" ;;
  esac
  dirs=$(tshark -r "$f" -T fields -e ip.src 2>/dev/null | sort -u | tr '\n' ' ')
  [ "$dirs" = "192.0.2.1 192.168.0.1 " ] && pass ||
    fail "--pcap: addresses '$dirs', expected both directions"
  capinfos -a "$f" 2>/dev/null | grep -qi "nanosecond" ||
    capinfos "$f" 2>/dev/null | grep -qi "nanoseconds" && pass ||
    fail "--pcap: timestamps are not in nanoseconds"
else
  skip_check "tshark is not installed: pcaps not decoded"
fi

echo "cli_test: $checks checks passed, $failures failed"
[ "$failures" -eq 0 ]
