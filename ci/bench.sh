#!/usr/bin/env bash
# Benchmarks (numbers for closing notes, never pass/fail): simulated
# throughput of the stack, and the conformance suite's speed.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default -j"$(nproc)" >/dev/null
echo "== loopback throughput (two stacks, simulated link)"
build/default/harness/sf_bench_loopback "${BENCH_MB:-50}"

echo "== conformance suite speed (specs/, one process per script)"
n=$(find specs -name '*.pkt' | wc -l)
for jobs in 1 "$(nproc)"; do
  start=$(date +%s.%N)
  for _ in 1 2 3 4 5; do
    build/default/harness/synfin run --no-color -j"$jobs" specs/ >/dev/null || true
  done
  end=$(date +%s.%N)
  awk -v n="$n" -v s="$start" -v e="$end" -v j="$jobs" \
    'BEGIN { printf "-j%-3s %d scripts x 5 runs in %.2f s = %.0f scripts/s\n", j, n, e - s, 5 * n / (e - s) }'
done
