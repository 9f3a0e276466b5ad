#!/usr/bin/env bash
# Writes the fuzzers' seed corpora into corpus/<target>/, each file named by
# the SHA-1 of its contents (files already there are kept):
#   tcp_scenario_fuzzer, ip_packet_fuzzer: hand-built by sf_make_seeds
#     (harness/fuzz/make_seeds.c), which replays every scenario and fails
#     when one breaks an oracle;
#   script_parser_fuzzer: copies of specs in every style the language has;
#   pcap_reader_fuzzer: pcaps the runner writes with --pcap, and captures
#     in the other formats libpcap reads (from sf_make_seeds).
# Usage: ci/make-seeds.sh [BUILD_DIR]   (default build/default)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/default}
if [ "$build" = build/default ]; then
  cmake --preset default >/dev/null
fi
cmake --build "$build" -j"${BUILD_JOBS:-2}" --target sf_make_seeds synfin >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build/harness/fuzz/sf_make_seeds" "$tmp/gen"

mkdir -p "$tmp/gen/script_parser_fuzzer"
specs=(
  specs/rfc9293/handshake/passive-open.pkt
  specs/rfc9293/handshake/simultaneous-open.pkt
  specs/rfc9293/close/linger-zero-sends-rst.pkt
  specs/rfc9293/checksum/bad-checksum-rst-ignored.pkt
  specs/rfc9293/urgent/urgent-data-remains-signalled.pkt
  specs/rfc9293/urgent/urgent-last-octet-out-of-band-linux.pkt
  specs/rfc9293/options/option-truncated-in-data-segment.pkt
  specs/rfc5961/rst-in-window-challenge-ack.pkt
  specs/rfc2018/sack-block-above-snd-nxt-ignored.pkt
  specs/rfc2018/sack-not-used-when-synack-lacks-it.pkt
  specs/rfc7323/paws-drops-old-tsval.pkt
  specs/ipv4/fragments-reversed-reassembled.pkt
  specs/ipv4/header-ihl-below-5-dropped.pkt
  specs/icmp/hard-error-aborts-connect.pkt
  specs/linux/tlp/probe-resends-the-last-segment.pkt
)
for s in "${specs[@]}"; do
  if [ -f "$s" ]; then
    cp "$s" "$tmp/gen/script_parser_fuzzer/"
  else
    echo "make-seeds: $s is gone; pick another spec" >&2
  fi
done

# the runner's own pcaps (nanosecond timestamps, LINKTYPE_RAW)
mkdir -p "$tmp/pcap"
"$build/harness/synfin" run --no-color --pcap "$tmp/pcap" \
  specs/rfc9293/handshake/passive-open.pkt \
  specs/rfc9293/close/linger-zero-sends-rst.pkt \
  specs/rfc2018/sack-block-above-snd-nxt-ignored.pkt \
  specs/ipv4/fragments-reversed-reassembled.pkt \
  specs/icmp/hard-error-aborts-connect.pkt >/dev/null || true
find "$tmp/pcap" -name '*.pcap' -exec cp {} "$tmp/gen/pcap_reader_fuzzer/" \;

for dir in "$tmp"/gen/*/; do
  target=$(basename "$dir")
  mkdir -p "corpus/$target"
  added=0
  for f in "$dir"*; do
    sum=$(sha1sum "$f" | cut -d' ' -f1)
    if [ ! -e "corpus/$target/$sum" ]; then
      cp "$f" "corpus/$target/$sum"
      added=$((added + 1))
    fi
  done
  echo "corpus/$target: $added new, $(find "corpus/$target" -type f | wc -l) in all"
done
