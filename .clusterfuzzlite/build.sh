#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of synfin's fuzz targets. Honours the
# builder's CC, CXX, CFLAGS, CXXFLAGS (sanitizer and coverage flags come in
# them), LIB_FUZZING_ENGINE, SANITIZER, SRC, WORK and OUT, and puts into
# $OUT for each target: the binary, <target>_seed_corpus.zip,
# <target>.dict and <target>.options.
#
# Without Docker: ci/cflite-test.sh exports those variables and runs this
# script for libFuzzer and for AFL++.
src=${SYNFIN_SRC:-$SRC/synfin}
build=$WORK/synfin-build
targets=(tcp_scenario_fuzzer ip_packet_fuzzer script_parser_fuzzer
  pcap_reader_fuzzer)

# libpcap comes from the distribution, uninstrumented: MemorySanitizer
# would report its writes as uninitialized reads
if [ "${SANITIZER:-}" = memory ]; then
  targets=(tcp_scenario_fuzzer ip_packet_fuzzer script_parser_fuzzer)
fi

# AFL++'s driver (libAFLDriver.a, FUZZING_ENGINE=afl) or anything else
# linked like libFuzzer
engine=libfuzzer
if [ "${FUZZING_ENGINE:-}" = afl ] || [[ $LIB_FUZZING_ENGINE == *AFL* ]]; then
  engine=afl
fi

# The builder's flags as they are: no build type of our own on top, no
# -Werror (other compilers, other warnings).
cmake -S "$src" -B "$build" \
  -DCMAKE_BUILD_TYPE= \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DSYNFIN_FUZZ="$engine" -DSYNFIN_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DSYNFIN_FUZZ_LINK_CXX=ON -DSYNFIN_WERROR=OFF
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

for t in "${targets[@]}"; do
  cp "$build/harness/fuzz/$t" "$OUT/"
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "$src/corpus/$t" && zip -q -j "$OUT/${t}_seed_corpus.zip" ./*)
  cp "$src/corpus/$t.dict" "$OUT/$t.dict"
  {
    echo "[libfuzzer]"
    echo "dict = $t.dict"
    # the campaigns' own settings (max_len): corpus/<target>.options
    if [ -f "$src/corpus/$t.options" ]; then
      grep -v -e '^\[' -e '^#' "$src/corpus/$t.options" || true
    fi
  } >"$OUT/$t.options"
done
