#!/bin/sh
# `synfin repro`, `minimize`, `triage` and `promote` from the outside:
#  - every committed seed of corpus/tcp_scenario_fuzzer round-trips: its
#    script (repro --pkt) passes `synfin run` with the scenario's trace hash;
#  - findings of SYNFIN_BUGS (a synfin whose stack has the planted bugs
#    OPTLEN0_LOOP and FIN_IN_SYN_RECEIVED, and whose wire oracle fails any
#    retransmission) reproduce with exit status 1, their scripts fail on it
#    the same way and pass on the real stack; minimize keeps the signature;
#    triage groups; promote stores the regression and its script;
#  - bad input gives exit status 2 and says where and what was expected.
#
# usage: repro_test.sh SYNFIN SYNFIN_BUGS FUZZER SOURCE_DIR
set -u

SYNFIN=$1
BUGS=$2
FUZZER=$3
SRC=$4
T=$(mktemp -d /tmp/synfin-repro-test.XXXXXX)
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

# hex BYTE...: writes the bytes (POSIX printf has octal escapes only).
hex() {
  for b in "$@"; do
    printf "\\$(printf '%03o' "0x$b")"
  done
}

# run NAME CMD...: stdout+stderr in $T/NAME.out, status in $rc.
run() {
  name=$1
  shift
  "$@" >"$T/$name.out" 2>&1
  rc=$?
}

expect_rc() {
  if [ "$rc" -eq "$1" ]; then
    pass
  else
    fail "$2: exit status $rc, expected $1"
    sed 's/^/    /' "$T/$3.out" | tail -8
  fi
}

expect_grep() {
  if grep -q -- "$2" "$T/$1.out"; then
    pass
  else
    fail "$1 does not say '$2'"
    sed 's/^/    /' "$T/$1.out" | tail -8
  fi
}

hash_of() {
  sed -n 's/^trace hash \([0-9a-f]*\).*/\1/p' "$T/$1.out" | tail -1
}

# ---- the seeds round-trip through their scripts ----

n=0
bad=0
for seed in "$SRC"/corpus/tcp_scenario_fuzzer/*; do
  [ -f "$seed" ] || continue
  n=$((n + 1))
  "$SYNFIN" repro -q "$seed" --pkt "$T/seed.pkt" >"$T/seed.out" 2>&1
  a=$(hash_of seed)
  "$SYNFIN" run -v --no-color "$T/seed.pkt" >"$T/seedrun.out" 2>&1
  src=$?
  b=$(hash_of seedrun)
  if [ "$src" -ne 0 ] || [ -z "$a" ] || [ "$a" != "$b" ]; then
    bad=$((bad + 1))
    [ $bad -le 3 ] && {
      echo "  $(basename "$seed"): repro hash '$a', run hash '$b', run status $src"
      tail -5 "$T/seedrun.out" | sed 's/^/    /'
    }
  fi
done
if [ "$n" -gt 0 ] && [ "$bad" -eq 0 ]; then
  pass
else
  fail "round trip: $bad of $n seeds differ"
fi

# ---- inputs ----

SETUP_LISTEN="53 01 00 00 00 00 00 00 00 00 00 00 00 00"
# a segment without flags whose option 254 has length 0 (OPTLEN0_LOOP):
# kind, flags, seq, ack, window, urgent pointer, length, corruption, data
# offset, option bytes, the options
hex $SETUP_LISTEN 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 04 \
  fe 00 00 00 >"$T/optlen0"

# the same in an established connection with data, calls and time around
# it: what minimize takes away
{
  hex 53 01 02 00 0f 00 00 00 07 ff ff 01 00 05
  hex 02 00 00 27 10                                   # +10000 us
  hex 00 18 00 00 00 00 00 00 00 00 00 00 00 00 00 64 00 00 00 # P. 100 bytes
  hex 04 00 00 64                                      # read(100)
  hex 04 01 00 c8                                      # write(200)
  hex 00 10 00 00 00 00 00 00 00 c8 00 00 00 00 00 00 00 00 00 # . ack +200
  hex 00 18 00 00 00 00 00 00 00 00 10 00 00 00 00 32 00 00 0c \
    01 01 08 0a 00 00 00 00 00 00 00 00 # P. 50 bytes, a timestamp
  hex 00 18 00 00 00 00 00 00 00 00 10 00 00 00 00 32 00 00 08 \
    01 01 fe 00 00 00 00 00 # P. 50 bytes, option 254 of length 0
  hex 02 00 0f 42 40                                   # +1 s
  hex 04 04 00 00                                      # close
} >"$T/optlen0-big"

# a FIN without ACK in SYN-RECEIVED, at RCV.NXT (FIN_IN_SYN_RECEIVED)
hex 53 01 01 00 00 00 00 00 00 00 00 00 00 00 >"$T/fin-synrcvd"
hex 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 >>"$T/fin-synrcvd"

# 1000 bytes written and never acknowledged: a retransmission a second
# later (the test trip of SYNFIN_BUGS's wire oracle)
hex 53 01 02 00 00 00 00 00 00 ff ff 03 e8 00 02 00 0f 42 40 >"$T/retransmit"

# ---- a crash: reproduced, its script crashes SYNFIN_BUGS, passes here ----

run crash "$BUGS" repro "$T/optlen0" --pkt "$T/crash.pkt" --svg \
  "$T/crash.svg" --pcap "$T/crash.pcap"
expect_rc 1 "repro of a planted bug" crash
expect_grep crash "synfin bug OPTLEN0_LOOP triggered"
expect_grep crash "signature: bug OPTLEN0_LOOP triggered"
expect_grep crash "-- event 0: <"
run crashpkt "$BUGS" run --no-color "$T/crash.pkt"
expect_rc 1 "its script on the buggy stack" crashpkt
expect_grep crashpkt "crashed: signal"
run crashfixed "$SYNFIN" run --no-color "$T/crash.pkt"
expect_rc 0 "its script on the real stack" crashfixed
run crashfixedrepro "$SYNFIN" repro "$T/optlen0"
expect_rc 0 "repro on the real stack" crashfixedrepro
expect_grep crashfixedrepro "no failure"
if grep -q "<svg" "$T/crash.svg" && grep -q "class=\"bad\"\|class=\"fail\"" \
  "$T/crash.svg"; then pass; else fail "the ladder diagram"; fi
if [ "$(od -An -tx1 -N4 "$T/crash.pcap" | tr -d ' ')" = "4d3cb2a1" ]; then
  pass
else
  fail "the capture's magic: $(od -An -tx1 -N4 "$T/crash.pcap")"
fi

# FIN_IN_SYN_RECEIVED, in a file named as libFuzzer names crashes
cp "$T/fin-synrcvd" "$T/crash-5f1e0a3c2b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f"
run fin "$BUGS" repro "$T/crash-5f1e0a3c2b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f" \
  --pkt "$T/fin.pkt"
expect_rc 1 "repro of a libFuzzer crash file" fin
expect_grep fin "synfin bug FIN_IN_SYN_RECEIVED triggered"
run finpkt "$BUGS" run --no-color "$T/fin.pkt"
expect_rc 1 "its script on the buggy stack" finpkt
run finfixed "$SYNFIN" run --no-color "$T/fin.pkt"
expect_rc 0 "its script on the real stack" finfixed

# ---- an oracle failure at a time event ----

run trip "$BUGS" repro "$T/retransmit" --pkt "$T/trip.pkt" --svg "$T/trip.svg"
expect_rc 1 "repro of an oracle failure" trip
expect_grep trip "synfin oracle wire: test trip: 536 bytes sent again at 1 (event 0)"
expect_grep trip "signature: oracle wire: test trip: # bytes sent again at #"
expect_grep trip "> 8080>40000 P. 537:1001(464)"
run trippkt "$BUGS" run --no-color "$T/trip.pkt"
expect_rc 1 "its script fails the same way" trippkt
expect_grep trippkt "oracle wire: test trip: 536 bytes sent again at 1"
run tripfixed "$SYNFIN" run --no-color "$T/trip.pkt"
expect_rc 0 "its script passes without the trip" tripfixed
if grep -q "^--oracles" "$T/trip.pkt" && grep -q "^--profile=linux" \
  "$T/trip.pkt" && grep -q "0.000000...0.201000 poll(\[\], 0, 201) = 0" \
  "$T/trip.pkt"; then
  pass
else
  fail "the script's options and time mark"
  sed 's/^/    /' "$T/trip.pkt"
fi

# ---- ip_packet_fuzzer datagrams round-trip too ----

{
  hex 00 28 45 00 00 28 00 01 40 00 40 06 00 00 c0 00 02 01 c0 a8 00 01
  hex 9c 40 1f 90 00 0f 42 41 00 00 00 01 50 10 ff ff 00 00 00 00
  hex 00 05 45 00 00 05 00
} >"$T/datagrams"
run dg "$SYNFIN" repro -q "$T/datagrams" --pkt "$T/dg.pkt"
expect_rc 0 "repro of datagrams" dg
run dgrun "$SYNFIN" run -v --no-color "$T/dg.pkt"
expect_rc 0 "their script" dgrun
if [ -n "$(hash_of dg)" ] && [ "$(hash_of dg)" = "$(hash_of dgrun)" ]; then
  pass
else
  fail "datagrams: hash $(hash_of dg) vs $(hash_of dgrun)"
fi

# ---- minimize ----

run min "$BUGS" minimize "$T/optlen0-big" -o "$T/optlen0-min"
expect_rc 0 "minimize" min
expect_grep min "signature: bug OPTLEN0_LOOP triggered"
if [ -f "$T/optlen0-min" ] &&
  [ "$(wc -c <"$T/optlen0-min")" -lt "$(wc -c <"$T/optlen0-big")" ]; then
  pass
else
  fail "minimize did not shrink the input"
fi
run minrepro "$BUGS" repro -q "$T/optlen0-min"
expect_rc 1 "the minimised input" minrepro
expect_grep minrepro "signature: bug OPTLEN0_LOOP triggered"
run minnone "$SYNFIN" minimize "$T/optlen0-big" -o "$T/nothing"
expect_rc 1 "minimize of an input that does not fail" minnone

# ---- triage ----

mkdir "$T/crashes"
cp "$T/optlen0" "$T/crashes/id:000000,sig:06,src:000000,time:120,execs:33,op:havoc,rep:2"
cp "$T/optlen0-big" "$T/crashes/id:000001,sig:06,src:000003,time:950,execs:301,op:havoc,rep:4"
cp "$T/fin-synrcvd" "$T/crashes/crash-0123456789abcdef0123456789abcdef01234567"
cp "$T/retransmit" "$T/crashes/leak-aaaa"
echo "Command line used to find this crash: ..." >"$T/crashes/README.txt"
printf 'garbage\001\002\003' >"$T/crashes/odd"
run triage "$BUGS" triage "$T/crashes"
expect_rc 1 "triage" triage
expect_grep triage "2  bug OPTLEN0_LOOP triggered .*id:000000,sig:06"
expect_grep triage "1  bug FIN_IN_SYN_RECEIVED triggered"
expect_grep triage "1  oracle wire: test trip"
expect_grep triage "1  bad input"
expect_grep triage "5 files, 4 groups"

# ---- promote ----

mkdir -p "$T/repo"
run promote "$BUGS" promote --root "$T/repo" "$T/optlen0-big"
expect_rc 0 "promote" promote
reg=$(ls "$T/repo/corpus/regressions/tcp_scenario_fuzzer" 2>/dev/null | head -1)
if [ -n "$reg" ] && [ "$(sha1sum \
  "$T/repo/corpus/regressions/tcp_scenario_fuzzer/$reg" | cut -d' ' -f1)" = "$reg" ]; then
  pass
else
  fail "promote: no regression named by its SHA-1"
fi
if [ -f "$T/repo/specs/regressions/$reg.pkt" ]; then pass; else fail "promote: no script"; fi
run promoterun "$SYNFIN" run --no-color "$T/repo/specs/regressions"
expect_rc 0 "the promoted script on the real stack" promoterun
run promotebug "$BUGS" run --no-color "$T/repo/specs/regressions"
expect_rc 1 "the promoted script on the buggy stack" promotebug
run promotereplay "$FUZZER" "$T/repo/corpus/regressions/tcp_scenario_fuzzer"
expect_rc 0 "the fuzz target replays the regression" promotereplay
run promoteagain "$BUGS" promote --root "$T/repo" "$T/optlen0-big"
expect_grep promoteagain "already there"

# ---- bad input: exit status 2, where and what ----

run missing "$SYNFIN" repro "$T/no-such-file"
expect_rc 2 "a missing file" missing
expect_grep missing "no-such-file: No such file or directory"
: >"$T/empty"
run empty "$SYNFIN" repro "$T/empty"
expect_rc 2 "an empty file" empty
expect_grep empty "byte 0: empty file, expected a scenario"
hex 53 01 02 00 0f >"$T/short-setup"
run short "$SYNFIN" repro "$T/short-setup"
expect_rc 2 "a truncated setup" short
expect_grep short "byte 5: truncated setup (starting at byte 2): 9 more bytes expected"
hex $SETUP_LISTEN 00 18 00 00 >"$T/short-event"
run shortev "$SYNFIN" repro "$T/short-event"
expect_rc 2 "a truncated event" shortev
expect_grep shortev "byte 18: truncated segment event (starting at byte 14)"
run shortevt "$SYNFIN" repro --target tcp_scenario_fuzzer "$T/short-event"
expect_rc 0 "the same read as the fuzzer reads it" shortevt
hex 53 07 00 00 00 00 00 00 00 00 00 00 00 00 >"$T/version"
run version "$SYNFIN" repro "$T/version"
expect_rc 2 "an unknown version" version
expect_grep version "byte 1: version 7, expected 1"
hex 53 >"$T/magic-only"
run magic "$SYNFIN" repro "$T/magic-only"
expect_rc 2 "a lone 'S'" magic
expect_grep magic "byte 1: truncated, expected the version"
head -c 30 "$T/crash.pcap" >"$T/short.pcap"
run shortpcap "$SYNFIN" repro "$T/short.pcap"
expect_rc 2 "a truncated capture" shortpcap
expect_grep shortpcap "short.pcap: byte"
hex d4 c3 >"$T/pcap-magic"
run pmagic "$SYNFIN" repro "$T/pcap-magic"
expect_rc 2 "half a capture magic" pmagic
expect_grep pmagic "byte 2: truncated, expected a 4-byte pcap or pcapng magic"
hex 00 28 45 00 00 28 >"$T/short-dg"
run shortdg "$SYNFIN" repro "$T/short-dg"
expect_rc 2 "truncated datagrams" shortdg
expect_grep shortdg "byte 2: truncated datagram 1: 40 bytes declared, 4 left"
hex 00 01 02 03 04 05 06 07 >"$T/garbage"
run garbage "$SYNFIN" repro "$T/garbage"
expect_rc 2 "an unknown format" garbage
expect_grep garbage "byte 0: unknown format (0x00...)"
printf '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...\n' \
  >"$T/broken.pkt"
run script "$SYNFIN" repro "$T/broken.pkt"
expect_rc 2 "a script that does not parse" script
expect_grep script "broken.pkt:3:1: expected ',' or ')'"
run dir "$SYNFIN" repro "$T"
expect_rc 2 "a directory" dir
expect_grep dir "Is a directory"
run target "$SYNFIN" repro --target nonsense "$T/optlen0"
expect_rc 2 "an unknown target" target
expect_grep target "--target nonsense: expected tcp_scenario_fuzzer"

echo "$checks checks passed, $failures failed"
[ "$failures" -eq 0 ]
