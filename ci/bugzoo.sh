#!/usr/bin/env bash
# The bug zoo: how fast the fuzzers find the planted bugs of stack/bugs.h
# (in the style of Magma). For each bug it builds a libFuzzer binary of
# tcp_scenario_fuzzer with that bug alone (-DSYNFIN_BUGS=NAME), in two
# flavours: with the structure-aware mutator (LLVMFuzzerCustomMutator of
# harness/fuzz/mutator_libfuzzer.c, when the build has it) and with
# libFuzzer's byte-level mutations only. It checks that the bug's witness
# (ci/bugzoo/NAME.pkt, made into a scenario by `synfin corpus from-specs`)
# triggers it and whether the seeds alone do, then fuzzes from the seeds in
# corpus/tcp_scenario_fuzzer/ (or, when that is empty, seeds made from
# specs/) several times per flavour and prints the median time to trigger
# and how many runs triggered. A run counts as triggered when the canary
# writes its marker ($SYNFIN_BUG_MARKERS/NAME.triggered); libFuzzer runs
# with -fork=1 and ignores other crashes, so that a finding of another
# kind does not end the run.
#
# usage: ci/bugzoo.sh [--quick] [--time SECONDS] [--runs N] [--bugs A,B,...]
#                     [--jobs N] [--out DIR]
#   --time   seconds per fuzzing run (default 60; --quick: 10)
#   --runs   runs per bug and mutator, with seeds 1..N (default 3; --quick 1)
#   --bugs   which bugs (default: all of stack/bugs.h; --quick: two)
#   --jobs   build parallelism (default 1; fuzzing runs one at a time so
#            that they do not compete for the CPU)
#   --out    where builds and results go (default build/bugzoo)
#   --quick  a short check of the machinery: two bugs, one 10-second run each
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/fuzz-options.sh
root=$(pwd)

all_bugs=(OPTLEN0_LOOP SACK_PAST_SND_NXT URG_PTR_OVERFLOW WSCALE_GT_14
  FRAG_OVERLAP_OVERFLOW SEQ_WRAP_COMPARE FIN_IN_SYN_RECEIVED
  ZERO_WINDOW_PROBE TS_ECR_RTT)
time_s=60
runs=3
jobs=1
out=build/bugzoo
bugs=""
quick=0
while [ $# -gt 0 ]; do
  case $1 in
  --quick) quick=1 ;;
  --time) time_s=$2; shift ;;
  --runs) runs=$2; shift ;;
  --bugs) bugs=$2; shift ;;
  --jobs) jobs=$2; shift ;;
  --out) out=$2; shift ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "ci/bugzoo.sh: unknown argument $1 (see --help)" >&2
    exit 2
    ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then
  [ "$time_s" = 60 ] && time_s=10
  [ "$runs" = 3 ] && runs=1
  [ -z "$bugs" ] && bugs=FIN_IN_SYN_RECEIVED,OPTLEN0_LOOP
fi
[ -z "$bugs" ] && bugs=$(IFS=,; echo "${all_bugs[*]}")
IFS=, read -r -a selected <<<"$bugs"
for b in "${selected[@]}"; do
  ok=0
  for k in "${all_bugs[@]}"; do [ "$b" = "$k" ] && ok=1; done
  if [ "$ok" = 0 ]; then
    echo "ci/bugzoo.sh: unknown bug $b (stack/bugs.h: ${all_bugs[*]})" >&2
    exit 2
  fi
done
for tool in clang cmake python3; do
  command -v "$tool" >/dev/null || {
    echo "ci/bugzoo.sh: $tool is needed" >&2
    exit 2
  }
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/log
mkdir -p "$log"
say() { echo "bugzoo: $*" >&2; }

# ---- a normal build: synfin (seeds, witnesses) ----
say "building synfin (no bugs) in $out/normal"
cmake -S . -B "$out/normal" -DCMAKE_BUILD_TYPE=Release -DSYNFIN_BUGS= \
  >"$log/normal.cmake" 2>&1
cmake --build "$out/normal" -j"$jobs" --target synfin >"$log/normal.build" 2>&1 || {
  tail -20 "$log/normal.build" >&2
  exit 1
}
synfin=$out/normal/harness/synfin

seeds=$root/corpus/tcp_scenario_fuzzer
if [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
  seeds=$out/seeds
  say "corpus/tcp_scenario_fuzzer is empty: seeds from specs/ in $seeds"
  rm -rf "$seeds"
  "$synfin" corpus from-specs specs -o "$seeds" >"$log/seeds" 2>&1 || true
fi
nseeds=$(ls "$seeds" | wc -l)
say "$nseeds seeds in $seeds"
max_len=$(fuzz_max_len tcp_scenario_fuzzer)
max_len=${max_len:-4096}

rm -rf "$out/witness"
for b in "${selected[@]}"; do
  "$synfin" corpus from-specs "ci/bugzoo/$b.pkt" -o "$out/witness/$b" \
    >"$log/witness-$b" 2>&1 || {
    cat "$log/witness-$b" >&2
    exit 1
  }
done

# ---- one build per bug ----
has_custom() {
  local syms
  syms=$(nm "$1" 2>/dev/null || true)
  grep -q " T LLVMFuzzerCustomMutator$" <<<"$syms"
}

build_bug() {
  local b=$1 dir=$out/$1
  cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release \
    -DSYNFIN_FUZZ=libfuzzer -DSYNFIN_BUGS="$b" >"$log/$b.cmake" 2>&1
  cmake --build "$dir" -j"$jobs" --target tcp_scenario_fuzzer \
    >"$log/$b.build" 2>&1 || {
    tail -20 "$log/$b.build" >&2
    return 1
  }
  # the byte-level flavour: the same target without the custom mutator
  clang -O2 -fsanitize=fuzzer -D_DEFAULT_SOURCE -std=c11 \
    -I harness/include -I stack/include harness/fuzz/tcp_scenario_fuzzer.c \
    "$dir/harness/fuzz/libsynfin_fuzz.a" "$dir/stack/libsynfin_stack.a" \
    -o "$dir/bytes" >>"$log/$b.build" 2>&1
  if has_custom "$dir/harness/fuzz/tcp_scenario_fuzzer"; then
    cp "$dir/harness/fuzz/tcp_scenario_fuzzer" "$dir/struct"
  else
    rm -f "$dir/struct"
  fi
}

# Whether running BIN on INPUT (a file or -runs=0 over a directory) fires
# bug B's canary.
fires() {
  local bin=$1 b=$2 input=$3 mk
  mk=$(mktemp -d)
  if [ -d "$input" ]; then
    SYNFIN_BUG_MARKERS=$mk "$bin" -runs=0 "$input" >/dev/null 2>&1 || true
  else
    SYNFIN_BUG_MARKERS=$mk "$bin" "$input" >/dev/null 2>&1 || true
  fi
  local r=none
  [ -e "$mk/$b.reached" ] && r=reached
  [ -e "$mk/$b.triggered" ] && r=triggered
  rm -rf "$mk"
  echo "$r"
}

# Ends a run's process group: libFuzzer's -fork children (a merge, say)
# can outlive their parent's SIGTERM and keep the binary busy.
stop_group() {
  kill -TERM -- "-$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  sleep 0.2
  kill -KILL -- "-$1" 2>/dev/null || true
}

# One fuzzing run; prints the seconds to trigger, or "-".
campaign() {
  local bin=$1 b=$2 seed=$3 tag=$4
  local w=$out/runs/$b-$tag-$seed
  rm -rf "$w"
  mkdir -p "$w/corpus" "$w/markers" "$w/artifacts"
  cp "$seeds"/* "$w/corpus/" 2>/dev/null || true
  local start now pid
  start=$(date +%s%N)
  SYNFIN_BUG_MARKERS=$w/markers setsid "$bin" -seed="$seed" \
    -max_len="$max_len" \
    -max_total_time="$time_s" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
    -ignore_ooms=1 -timeout=10 -artifact_prefix="$w/artifacts/" \
    "$w/corpus" >"$w/fuzz.log" 2>&1 &
  pid=$!
  local deadline=$((start + (time_s + 15) * 1000000000))
  while kill -0 "$pid" 2>/dev/null; do
    now=$(date +%s%N)
    if [ -e "$w/markers/$b.triggered" ]; then
      stop_group "$pid"
      awk -v d="$((now - start))" 'BEGIN { printf "%.1f\n", d / 1e9 }'
      return
    fi
    if [ "$now" -gt "$deadline" ]; then
      break
    fi
    sleep 0.2
  done
  stop_group "$pid"
  if [ -e "$w/markers/$b.triggered" ]; then
    now=$(stat -c %Y "$w/markers/$b.triggered")
    awk -v d="$((now - start / 1000000000))" 'BEGIN { printf "%.1f\n", d }'
  else
    echo "-"
  fi
}

median() { # values ("-" is never), count: median with "-" as infinity
  python3 - "$time_s" "$@" <<'PY'
import sys
limit = float(sys.argv[1])
vals = [float('inf') if v == '-' else float(v) for v in sys.argv[2:]]
if not vals:
    print('n/a'); sys.exit()
vals.sort()
n = len(vals)
m = vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2
print(f'>{limit:.0f}s' if m == float('inf') else f'{m:.1f}s')
PY
}

results=$out/results.tsv
: >"$results"
for b in "${selected[@]}"; do
  say "$b: building"
  build_bug "$b" || exit 1
  dir=$out/$b
  witness=$(ls "$out/witness/$b"/* | head -n 1)
  w_bytes=$(fires "$dir/bytes" "$b" "$witness")
  seedrun=$(fires "$dir/bytes" "$b" "$seeds")
  if [ "$w_bytes" != triggered ]; then
    say "$b: the witness does not trigger the bug ($w_bytes)"
    exit 1
  fi
  say "$b: witness triggers it; the seeds: $seedrun"
  for tag in struct bytes; do
    bin=$dir/$tag
    times=()
    if [ ! -x "$bin" ]; then
      printf '%s\t%s\t%s\t%s\n' "$b" "$seedrun" "$tag" "n/a" >>"$results"
      continue
    fi
    for ((s = 1; s <= runs; s++)); do
      t=$(campaign "$bin" "$b" "$s" "$tag")
      say "$b: $tag seed $s: ${t}"
      times+=("$t")
    done
    printf '%s\t%s\t%s\t%s\n' "$b" "$seedrun" "$tag" "${times[*]}" >>"$results"
  done
done

# ---- the table ----
echo
printf 'planted bugs, time to trigger (%s runs of %ss each; median, ">" when\n' "$runs" "$time_s"
printf 'fewer than half triggered)\n\n'
printf '%-22s %-9s %-18s %-18s\n' "bug" "seeds" "structure-aware" "byte-level"
for b in "${selected[@]}"; do
  row_seed=""
  cols=()
  for tag in struct bytes; do
    line=$(awk -F'\t' -v b="$b" -v t="$tag" '$1 == b && $3 == t' "$results")
    row_seed=$(echo "$line" | cut -f2)
    vals=$(echo "$line" | cut -f4)
    if [ "$vals" = "n/a" ] || [ -z "$vals" ]; then
      cols+=("n/a (no mutator)")
      continue
    fi
    read -r -a arr <<<"$vals"
    hit=0
    for v in "${arr[@]}"; do [ "$v" != "-" ] && hit=$((hit + 1)); done
    cols+=("$(median "${arr[@]}") ${hit}/${#arr[@]}")
  done
  printf '%-22s %-9s %-18s %-18s\n' "$b" "$row_seed" "${cols[0]}" "${cols[1]}"
done
echo
echo "raw times: $results (seconds; - = not triggered)"
