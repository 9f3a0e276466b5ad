#!/usr/bin/env bash
# Sets up the machine, then builds and runs every test in the release and the
# ASan+UBSan presets.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
for preset in default asan; do
  echo "== $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  ctest --preset "$preset" -j"$jobs"
done
