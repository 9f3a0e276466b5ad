#!/usr/bin/env bash
# Sets up the machine, then builds and runs every test in the release and the
# ASan+UBSan presets, then checks the live kernel's results on specs/ against
# specs/linux-status.md (docs/linux-sut.md).
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

echo "== specs/ against the live kernel"
# A private network namespace and a TUN device per script: without them
# there is nothing to check (a notice, not a failure).
if [ ! -c /dev/net/tun ]; then
  echo "SKIP: no /dev/net/tun on this machine; linux status not checked"
elif ! unshare -n true 2>/dev/null; then
  echo "SKIP: no privileges for a network namespace (needs root or" \
    "CAP_SYS_ADMIN+CAP_NET_ADMIN); linux status not checked"
else
  build/default/harness/synfin run --no-color -j"$jobs" --sut linux \
    --tolerance-usecs 20000 --timeout 70 \
    --linux-status specs/linux-status.md specs/ >build/default/linux-status.out ||
    {
      rc=$?
      sed -n '/^linux status differs/,$p' build/default/linux-status.out
      exit "$rc"
    }
  tail -n 1 build/default/linux-status.out
fi
