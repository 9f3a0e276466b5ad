#!/bin/sh
# `synfin corpus` from the outside: seeds from every spec and from every
# committed capture of real Linux traffic (both sides) are written under
# their SHA-1, never overwritten, and replay through tcp_scenario_fuzzer
# without a finding; bad input (missing or empty paths, garbage, truncated
# captures, unknown link types) gives exit status 2 and a message naming the
# file (and the byte offset for captures).
#
# usage: corpus_test.sh SYNFIN FUZZER SOURCE_DIR [ENGINE]
set -u

SYNFIN=$1
FUZZER=$2
SRC=$3
ENGINE=${4:-none}
DATA=$SRC/harness/tests/data
T=$(mktemp -d /tmp/synfin-corpus-test.XXXXXX)
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

# corpus NAME ARGS...: stdout in $T/NAME.out, stderr in $T/NAME.err, status
# in $rc.
corpus() {
  name=$1
  shift
  "$SYNFIN" corpus "$@" >"$T/$name.out" 2>"$T/$name.err"
  rc=$?
}

expect_rc() {
  if [ "$rc" -eq "$1" ]; then
    pass
  else
    fail "$2: exit status $rc, expected $1"
    sed 's/^/    /' "$T/$3.out" "$T/$3.err" | tail -5
  fi
}

expect_grep() {
  if grep -q -- "$2" "$T/$1"; then
    pass
  else
    fail "$1 does not say '$2'"
    sed 's/^/    /' "$T/$1" | tail -5
  fi
}

# Every file is named by the SHA-1 of its bytes.
check_names() {
  bad=0
  for f in "$1"/*; do
    [ -f "$f" ] || continue
    sum=$(sha1sum "$f" | cut -d' ' -f1)
    [ "$sum" = "$(basename "$f")" ] || bad=$((bad + 1))
  done
  if [ "$bad" -eq 0 ]; then pass; else fail "$bad files in $1 not named by their SHA-1"; fi
}

replay() {
  case $ENGINE in
  libfuzzer) "$FUZZER" -runs=0 "$1" >"$T/replay.out" 2>&1 ;;
  afl) return 0 ;;
  *) "$FUZZER" "$1" >"$T/replay.out" 2>&1 ;;
  esac
  if [ $? -eq 0 ]; then
    pass
  else
    fail "$2: the fuzz target found something in $1"
    tail -5 "$T/replay.out"
  fi
}

# ---- from-specs ----

corpus specs from-specs "$SRC/specs" -o "$T/specs"
expect_rc 0 "from-specs specs/" specs
expect_grep specs.out " 0 rejected"
n=$(ls "$T/specs" | wc -l)
if [ "$n" -gt 50 ]; then pass; else fail "from-specs wrote only $n scenarios"; fi
check_names "$T/specs"
replay "$T/specs" "from-specs"

# the same again: nothing new, nothing overwritten
corpus again from-specs "$SRC/specs" -o "$T/specs"
expect_rc 0 "from-specs a second time" again
expect_grep again.out ": 0 written to"
expect_grep again.out "already in"

# a file under a scenario's name with other bytes is never overwritten
victim=$(ls "$T/specs" | head -n 1)
printf 'not a scenario' >"$T/specs/$victim"
corpus conflict from-specs "$SRC/specs" -o "$T/specs"
expect_rc 1 "from-specs over a damaged file" conflict
expect_grep conflict.out "not overwritten"
if [ "$(cat "$T/specs/$victim")" = "not a scenario" ]; then pass; else fail "a file was overwritten"; fi

# ---- from-pcap: real Linux traffic, every link type, both sides ----

for cap in "$DATA"/*.pcap "$DATA"/*.pcapng; do
  [ -f "$cap" ] || continue
  b=$(basename "$cap")
  for side in server client; do
    corpus "pcap-$b-$side" from-pcap --stack-side "$side" "$cap" \
      -o "$T/pcap-$side"
    expect_rc 0 "from-pcap --stack-side $side $b" "pcap-$b-$side"
    expect_grep "pcap-$b-$side.out" " 0 rejected"
    if grep -q -e ": wrote " -e "already in" "$T/pcap-$b-$side.out"; then
      pass
    else
      fail "from-pcap $b ($side): no scenario"
    fi
  done
done
expect_grep "pcap-linux-eth.pcap-server.out" "offloaded segments split"
expect_grep "pcap-linux-lo.pcapng-client.out" "offloaded segments split"
for side in server client; do
  check_names "$T/pcap-$side"
  replay "$T/pcap-$side" "from-pcap ($side)"
done

# ---- bad input ----

corpus missing from-pcap "$T/no-such.pcap" -o "$T/x"
expect_rc 2 "a missing capture" missing
expect_grep missing.err "no-such.pcap"

corpus missing-spec from-specs "$T/no-such-dir" -o "$T/x"
expect_rc 2 "a missing spec directory" missing-spec
expect_grep missing-spec.err "no-such-dir"

mkdir "$T/empty"
corpus emptydir from-specs "$T/empty" -o "$T/x"
expect_rc 2 "an empty spec directory" emptydir
expect_grep emptydir.err "no .pkt scripts"

: >"$T/empty.pcap"
corpus emptyfile from-pcap "$T/empty.pcap" -o "$T/x"
expect_rc 2 "an empty capture" emptyfile
expect_grep emptyfile.err "empty.pcap: byte 0"

printf 'GET / HTTP/1.0\r\nHost: example\r\n\r\n' >"$T/garbage.pcap"
corpus garbage from-pcap "$T/garbage.pcap" -o "$T/x"
expect_rc 2 "a garbage capture" garbage
expect_grep garbage.err "garbage.pcap: byte 0: not a readable pcap"

# cut inside the fourth packet's data
head -c 400 "$DATA/linux-raw.pcap" >"$T/truncated.pcap"
corpus truncated from-pcap "$T/truncated.pcap" -o "$T/x"
expect_rc 2 "a truncated capture" truncated
expect_grep truncated.err "truncated.pcap: byte [0-9]*: packet [0-9]*"

# a truncated pcapng
head -c 700 "$DATA/linux-sll2.pcapng" >"$T/truncated.pcapng"
corpus truncatedng from-pcap "$T/truncated.pcapng" -o "$T/x"
expect_rc 2 "a truncated pcapng" truncatedng
expect_grep truncatedng.err "truncated.pcapng: byte [0-9]*"

# link type 147 (USER0) instead of raw IP: byte 20 of the file header
{
  head -c 20 "$DATA/linux-raw.pcap"
  printf '\223\000\000\000'
  tail -c +25 "$DATA/linux-raw.pcap"
} >"$T/user0.pcap"
corpus linktype from-pcap "$T/user0.pcap" -o "$T/x"
expect_rc 2 "an unknown link type" linktype
expect_grep linktype.err "user0.pcap: byte 20: link type 147 is not supported"

corpus dir from-pcap "$T/empty" -o "$T/x"
expect_rc 2 "a directory as a capture" dir
expect_grep dir.err "a directory"

corpus side from-pcap --stack-side middle "$DATA/linux-raw.pcap" -o "$T/x"
expect_rc 2 "a bad --stack-side" side
expect_grep side.err "expected server or client"

corpus sub from-nowhere x
expect_rc 2 "an unknown subcommand" sub
corpus noargs from-pcap -o "$T/x"
expect_rc 2 "no capture named" noargs

if [ -e "$T/x" ] && [ -n "$(ls "$T/x")" ]; then
  fail "bad input wrote something"
else
  pass
fi

echo "$checks checks passed, $failures failed"
[ "$failures" -eq 0 ]
