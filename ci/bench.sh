#!/usr/bin/env bash
# Benchmarks (numbers for closing notes, never pass/fail): simulated
# throughput of the stack, the conformance suite's speed, and the speed of
# the fuzz target tcp_scenario_fuzzer under libFuzzer.
#
#   ci/bench.sh [SECTION...]   loopback, suite, fuzz (default: all three)
#
#   BENCH_MB         loopback: megabytes to send (default 50)
#   BENCH_FUZZ_RUNS  fuzz: libFuzzer runs per build (default 400000; fewer
#                    weigh start-up and the first findings more)
#   BENCH_TMPDIR     fuzz: where the work folder goes (default /dev/shm)
#   BUILD_JOBS       build parallelism (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/fuzz-options.sh

sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(loopback suite fuzz)
for s in "${sections[@]}"; do
  case $s in
  loopback | suite | fuzz) ;;
  -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "ci/bench.sh: unknown section $s (loopback, suite, fuzz)" >&2; exit 2 ;;
  esac
done
want() {
  local s
  for s in "${sections[@]}"; do [ "$s" = "$1" ] && return 0; done
  return 1
}
build_jobs=${BUILD_JOBS:-$(nproc)}
[[ $build_jobs =~ ^[1-9][0-9]*$ ]] || { echo "ci/bench.sh: BUILD_JOBS must be a positive number" >&2; exit 2; }

ci/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default -j"$build_jobs" >/dev/null

if want loopback; then
  echo "== loopback throughput (two stacks, simulated link)"
  build/default/harness/sf_bench_loopback "${BENCH_MB:-50}"
fi

if want suite; then
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
fi

# ---- fuzz target speed ----
# tcp_scenario_fuzzer under libFuzzer, without sanitizers (the
# libfuzzer-nosan preset) and with ASan+UBSan (the libfuzzer preset, what
# ci/fuzz.sh runs): a fixed number of executions (-runs, the inputs loaded
# at start included) from a copy of the committed seeds, with the
# dictionary and the structure-aware mutator, one process at a time (no
# -fork). libFuzzer stops at the first finding (the stack has shallow
# ones), so the run goes on in a new process, -seed=2, 3, ..., from the
# corpus grown so far, until the executions are done. The rate is the sum
# of libFuzzer's stat::number_of_executed_units over the wall time of the
# processes: start-up, corpus loading and the findings' reports (not
# symbolized) included. libFuzzer's own stat::average_exec_per_sec counts
# whole seconds (0 under one second), so it is shown for the longest
# process only.
fuzz_tmp=''
cleanup() { [ -z "$fuzz_tmp" ] || rm -rf "$fuzz_tmp"; }
trap cleanup EXIT

stat_of() { # libFuzzer log, stat name -> value (empty when missing)
  sed -n "s/^stat::$2: *\([0-9][0-9]*\).*/\1/p" "$1" | tail -n 1
}

fuzz_speed() {
  local target=tcp_scenario_fuzzer runs=${BENCH_FUZZ_RUNS:-400000}
  local seeds=corpus/$target dict=corpus/$target.dict max_procs=1000
  [[ $runs =~ ^[1-9][0-9]{0,11}$ ]] || {
    echo "ci/bench.sh: BENCH_FUZZ_RUNS must be a positive number" >&2
    exit 2
  }
  local nseeds=0
  [ -d "$seeds" ] && nseeds=$(find "$seeds" -type f | wc -l)
  echo "== fuzz target speed ($target, libFuzzer, $runs executions from seed 1, $nseeds seeds from $seeds)"
  if [ "$nseeds" -eq 0 ]; then
    echo "  no seeds in $seeds: skipped"
    return 0
  fi

  # the seeds' size, from `synfin scenario dump` (event lines are
  # "NNN ...", inbound packets "NNN < ...": segments and raw datagrams)
  { find "$seeds" -type f -print0 |
    xargs -0 -r build/default/harness/synfin scenario dump 2>/dev/null || true; } |
    awk -v n="$nseeds" '/^ *[0-9]+ / { ev++ } /^ *[0-9]+ < / { pk++ }
      END { printf "  seeds: %.1f events and %.1f inbound packets per input (%d events, %d packets, %d inputs)\n",
              ev / n, pk / n, ev, pk, n }'

  local preset
  for preset in libfuzzer-nosan libfuzzer; do
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j"$build_jobs" --target "$target" >/dev/null
  done

  # the work folder in memory when there is a tmpfs (corpus writes and
  # reloads on a disk made the rates vary by half from one run to the next)
  local tmp_parent=${BENCH_TMPDIR:-/dev/shm}
  if [ -d "$tmp_parent" ] && [ -w "$tmp_parent" ]; then
    fuzz_tmp=$(mktemp -d "$tmp_parent/synfin-bench.XXXXXX")
  else
    fuzz_tmp=$(mktemp -d)
  fi
  local max_len
  max_len=$(fuzz_max_len "$target")
  local args=(-max_len="${max_len:-4096}" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
    -artifact_prefix="$fuzz_tmp/artifacts/")
  [ -f "$dict" ] && args+=(-dict="$(pwd)/$dict")
  local bin log start end rc units eps what first total wall procs findings
  local best_units best_eps
  local -A rate=()
  for preset in libfuzzer-nosan libfuzzer; do
    case $preset in libfuzzer) what="ASan+UBSan" ;; *) what="no sanitizers" ;; esac
    bin=$(pwd)/build/$preset/harness/fuzz/$target
    rm -rf "$fuzz_tmp/corpus" "$fuzz_tmp/artifacts"
    mkdir -p "$fuzz_tmp/corpus" "$fuzz_tmp/artifacts"
    find "$seeds" -type f -exec cp -t "$fuzz_tmp/corpus" {} +
    total=0 wall=0 procs=0 findings=0 first='' best_units=0 best_eps=''
    while [ "$total" -lt "$runs" ] && [ "$procs" -lt "$max_procs" ]; do
      procs=$((procs + 1))
      log=$fuzz_tmp/$preset.$procs.log
      rc=0
      start=$(date +%s.%N)
      (cd "$fuzz_tmp" && ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=0} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-symbolize=0} exec "$bin" "${args[@]}" \
        -runs=$((runs - total)) -seed="$procs" "$fuzz_tmp/corpus") >"$log" 2>&1 || rc=$?
      end=$(date +%s.%N)
      units=$(stat_of "$log" number_of_executed_units)
      eps=$(stat_of "$log" average_exec_per_sec)
      if [ -z "$units" ] || [ "$units" -eq 0 ]; then
        echo "  $preset ($what): process $procs ended without executions (exit $rc); the end of its log:"
        tail -n 5 "$log" | sed 's/^/    /'
        break
      fi
      total=$((total + units))
      wall=$(awk -v w="$wall" -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", w + (e - s) }')
      if [ "$units" -gt "$best_units" ]; then
        best_units=$units best_eps=${eps:-?}
        [ "$best_eps" != 0 ] || best_eps="<1 s, no"
      fi
      [ "$rc" -eq 0 ] && break
      findings=$((findings + 1))
      [ -n "$first" ] || first=$(grep -m1 -E 'ERROR: |^synfin oracle |runtime error:' "$log" |
        sed -E 's/^==[0-9]+== ?//; s/ on unknown address.*//' || true)
    done
    [ "$total" -gt 0 ] || continue
    rate[$preset]=$(awk -v u="$total" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0) ? u / w : 0 }')
    printf '  %-16s %-14s %8d runs in %6.1f s = %6d exec/s (%d process(es); libFuzzer: %s exec/s over %d runs)\n' \
      "$preset" "$what" "$total" "$wall" "${rate[$preset]}" "$procs" "${best_eps:-?}" "$best_units"
    if [ "$findings" -gt 0 ]; then
      echo "    $findings finding(s) ended a process; the first: ${first:-see the log}"
    fi
    if [ "$total" -lt "$runs" ]; then
      echo "    stopped short of $runs executions"
    fi
  done
  if [ -n "${rate[libfuzzer-nosan]:-}" ] && [ -n "${rate[libfuzzer]:-}" ] &&
    [ "${rate[libfuzzer]}" -gt 0 ]; then
    awk -v a="${rate[libfuzzer-nosan]}" -v b="${rate[libfuzzer]}" \
      'BEGIN { printf "  ASan+UBSan costs %.1fx\n", a / b }'
  fi
  rm -rf "$fuzz_tmp"
  fuzz_tmp=''
}

if want fuzz; then
  fuzz_speed
fi
