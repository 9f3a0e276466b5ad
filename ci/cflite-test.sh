#!/usr/bin/env bash
# Tests .clusterfuzzlite/build.sh without Docker: exports what the
# OSS-Fuzz/ClusterFuzzLite builder would (CC CXX CFLAGS CXXFLAGS
# LIB_FUZZING_ENGINE FUZZING_ENGINE SANITIZER SRC WORK OUT), runs build.sh
# for libFuzzer and for AFL++ (both with ASan, as the builder's default),
# checks that $OUT holds every target with its seed corpus, dictionary and
# options, and runs each target over its seed corpus.
# Usage: ci/cflite-test.sh [libfuzzer|afl]...   (default both)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
engines=("$@")
[ ${#engines[@]} -gt 0 ] || engines=(libfuzzer afl)
targets=(tcp_scenario_fuzzer ip_packet_fuzzer script_parser_fuzzer
  pcap_reader_fuzzer)

tmp=${CFLITE_TMP:-$(mktemp -d)}
[ -n "${CFLITE_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src"
ln -sfn "$repo" "$tmp/src/synfin" # the Dockerfile copies the repo there

fail() {
  echo "cflite-test: $*" >&2
  exit 1
}

for engine in "${engines[@]}"; do
  echo "== $engine"
  export SRC=$tmp/src WORK=$tmp/work-$engine OUT=$tmp/out-$engine
  export SANITIZER=address FUZZING_ENGINE=$engine ARCHITECTURE=x86_64
  rm -rf "$WORK" "$OUT"
  mkdir -p "$WORK" "$OUT"
  # the builder's flags for ASan (infra/base-images/base-builder)
  flags="-O1 -fno-omit-frame-pointer -gline-tables-only
    -fsanitize=address -fsanitize-address-use-after-scope"
  case $engine in
  libfuzzer)
    export CC=clang CXX=clang++
    export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
    flags="$flags -fsanitize=fuzzer-no-link"
    ;;
  afl)
    export CC=afl-clang-fast CXX=afl-clang-fast++
    export LIB_FUZZING_ENGINE=/usr/lib/afl/libAFLDriver.a
    export AFL_QUIET=1
    ;;
  *) fail "engine $engine: libfuzzer or afl" ;;
  esac
  CFLAGS=$(echo $flags)
  CXXFLAGS=$CFLAGS
  export CFLAGS CXXFLAGS
  (cd "$SRC/synfin" && bash .clusterfuzzlite/build.sh) >"$tmp/build-$engine.log" 2>&1 ||
    { tail -30 "$tmp/build-$engine.log"; fail "build.sh failed for $engine"; }

  for t in "${targets[@]}"; do
    [ -x "$OUT/$t" ] || fail "$engine: no $OUT/$t"
    [ -s "$OUT/$t.dict" ] || fail "$engine: no $t.dict"
    grep -q "^dict = $t.dict" "$OUT/$t.options" || fail "$engine: bad $t.options"
    seeds=$tmp/seeds-$engine-$t
    rm -rf "$seeds"
    mkdir -p "$seeds"
    unzip -q "$OUT/${t}_seed_corpus.zip" -d "$seeds" ||
      fail "$engine: bad ${t}_seed_corpus.zip"
    n=$(find "$seeds" -type f | wc -l)
    [ "$n" -ge 5 ] || fail "$engine: only $n seeds for $t"
    log=$tmp/run-$engine-$t.log
    if [ "$engine" = libfuzzer ]; then
      # every seed once, then stop
      (cd "$tmp" && "$OUT/$t" -runs=0 -dict="$OUT/$t.dict" "$seeds") >"$log" 2>&1 ||
        { tail -20 "$log"; fail "$engine: $t fails on its seeds"; }
      grep -q "INITED" "$log" || fail "$engine: $t did not run its seeds"
    else
      # outside afl-fuzz, AFL++'s driver runs the files it is given
      find "$seeds" -type f -print0 | xargs -0 "$OUT/$t" >"$log" 2>&1 ||
        { tail -20 "$log"; fail "$engine: $t fails on its seeds"; }
      ran=$(grep -c "Execution successful" "$log" || true)
      [ "$ran" -eq "$n" ] || fail "$engine: $t ran $ran of $n seeds"
    fi
    echo "  $t: binary, ${t}_seed_corpus.zip ($n seeds), .dict, .options; seeds run"
  done
done
echo "cflite-test: ok"
