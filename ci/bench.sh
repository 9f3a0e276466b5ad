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
