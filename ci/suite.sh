#!/usr/bin/env bash
# The main job: builds synfin and runs the conformance suite in specs/
# against the built-in stack, with a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default -j"$(nproc)" >/dev/null
exec build/default/harness/synfin run -j"$(nproc)" "$@" specs/
