#!/usr/bin/env bash
# Installs what synfin needs to build and test, if it is missing (Debian).
set -euo pipefail

# chromium: the screenshot of `synfin run --html` (harness/tests/html_test.sh)
packages=(cmake make gcc clang pkg-config check libpcap-dev tshark chromium)
# `ci/setup.sh fuzz` (ci/fuzz.sh, ci/cflite-test.sh): AFL++, llvm-cov and
# llvm-profdata for coverage reports, zip for seed corpora, and gnuplot for
# the coverage-over-time plots (afl-plot's and ci/fuzz.sh's own; the
# no-X11 build)
if [ "${1:-}" = fuzz ]; then
  packages+=(afl++ llvm zip gnuplot-nox)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "ci/setup.sh: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
