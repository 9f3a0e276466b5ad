#!/usr/bin/env bash
# A fuzzing campaign on one target, time-bounded and resumable:
#
#   ci/fuzz.sh --engine afl|libfuzzer --target T [--jobs N] [--time DURATION]
#              [--resume] [--state DIR] [--status SECONDS] [--minimize]
#
#   --engine     afl: AFL++ in persistent mode (the afl preset), one main
#                (-M) and N-1 secondaries (-S); CmpLog (the afl-cmplog
#                preset) on the first secondary, or on the main with one
#                job; the structure-aware mutator library for
#                tcp_scenario_fuzzer; the target's dictionary.
#                libfuzzer: libFuzzer with ASan+UBSan (the libfuzzer
#                preset), -fork=N, the dictionary, crashes and timeouts
#                ignored so that the campaign goes on.
#   --time       30s, 10m, 2h, 1h30m or seconds (default 10m); the whole
#                campaign's budget, --resume spends what is left of it
#   --state      the campaign's folder (default build/fuzz/ENGINE-TARGET):
#                the engine's work folders, logs, status.tsv, crashes/,
#                plot/, coverage/ (nothing is lost when the script is
#                killed; --resume picks it up)
#   --status     seconds between status lines (default 30)
#   --minimize   minimize one input of each unique crash at the end
#
# Crashes are replayed through the ASan+UBSan standalone build (the asan
# preset) and grouped by signature: the "synfin oracle NAME: ..." line with
# its numbers taken out, or the sanitizer's error and top frames.
# crashes/index.tsv lists them: signature id, inputs, signature, smallest
# input. At the end: a coverage-over-time plot (gnuplot; afl-plot too),
# the corpus distilled (afl-cmin / libFuzzer -merge), the TCP states it
# reaches (tcp_scenario_fuzzer), and line coverage of the stack from the
# coverage preset (llvm-cov).
set -euo pipefail
# (the whole script is one block, read before it runs: editing the file
# does not disturb a campaign in progress)
{
cd "$(dirname "$0")/.."
. ci/fuzz-options.sh
root=$PWD

die() {
  echo "ci/fuzz.sh: $*" >&2
  exit 2
}

engine='' target='' jobs=1 time_arg='' resume=0 state='' status_every=30 minimize=0
while [ $# -gt 0 ]; do
  case $1 in
  --engine) engine=${2:?}; shift 2 ;;
  --target) target=${2:?}; shift 2 ;;
  --jobs) jobs=${2:?}; shift 2 ;;
  --time) time_arg=${2:?}; shift 2 ;;
  --resume) resume=1; shift ;;
  --state) state=${2:?}; shift 2 ;;
  --status) status_every=${2:?}; shift 2 ;;
  --minimize) minimize=1; shift ;;
  -h | --help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument $1 (see --help)" ;;
  esac
done
case $engine in afl | libfuzzer) ;; *) die "--engine afl or libfuzzer" ;; esac
case $target in
tcp_scenario_fuzzer | ip_packet_fuzzer | script_parser_fuzzer | pcap_reader_fuzzer) ;;
*) die "--target tcp_scenario_fuzzer, ip_packet_fuzzer, script_parser_fuzzer or pcap_reader_fuzzer" ;;
esac
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs takes a positive number"
[[ $status_every =~ ^[1-9][0-9]*$ ]] || die "--status takes seconds"

seconds() { # 90, 90s, 10m, 2h, 1h30m -> seconds
  local s=$1 total=0 n
  [[ $s =~ ^[0-9]+$ ]] && { echo "$s"; return; }
  [[ $s =~ ^([0-9]+[hms])+$ ]] || die "bad duration $s"
  while [[ $s =~ ^([0-9]+)([hms])(.*)$ ]]; do
    n=${BASH_REMATCH[1]}
    case ${BASH_REMATCH[2]} in h) n=$((n * 3600)) ;; m) n=$((n * 60)) ;; esac
    total=$((total + n))
    s=${BASH_REMATCH[3]}
  done
  echo "$total"
}

state=${state:-build/fuzz/$engine-$target}
mkdir -p "$state"
state=$(cd "$state" && pwd)
conf=$state/campaign.env

# ---- the campaign's budget ----
if [ "$resume" = 1 ]; then
  [ -f "$conf" ] || die "--resume: no campaign in $state"
  # shellcheck disable=SC1090
  . "$conf"
  [ "$ENGINE" = "$engine" ] && [ "$TARGET" = "$target" ] ||
    die "--resume: $state holds a $ENGINE campaign on $TARGET"
  [ -n "$time_arg" ] && TOTAL=$(seconds "$time_arg")
else
  if [ -f "$conf" ]; then
    die "$state holds a campaign: --resume it or remove the folder"
  fi
  ENGINE=$engine TARGET=$target TOTAL=$(seconds "${time_arg:-10m}") ELAPSED=0
fi
save_conf() {
  printf 'ENGINE=%s\nTARGET=%s\nTOTAL=%s\nELAPSED=%s\nJOBS=%s\n' \
    "$ENGINE" "$TARGET" "$TOTAL" "$ELAPSED" "$jobs" >"$conf.tmp"
  mv "$conf.tmp" "$conf"
}
save_conf

# ---- builds ----
build_jobs=${BUILD_JOBS:-2}
build() { # preset, targets...
  local preset=$1
  shift
  echo "== building $* ($preset preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$build_jobs" --target "$@" >/dev/null
}
ci/setup.sh fuzz
export AFL_QUIET=1 # afl-cc's notes while building
if [ "$engine" = afl ]; then
  build afl "$target" synfin_afl_mutator
  build afl-cmplog "$target"
  bin=$root/build/afl/harness/fuzz/$target
  cmplog_bin=$root/build/afl-cmplog/harness/fuzz/$target
  mutator_lib=$root/build/afl/harness/fuzz/libsynfin_afl_mutator.so
else
  build libfuzzer "$target"
  bin=$root/build/libfuzzer/harness/fuzz/$target
fi
build asan "$target" # triage: the standalone replay under ASan+UBSan
triage_bin=$root/build/asan/harness/fuzz/$target
dict=$root/corpus/$target.dict
seeds=$root/corpus/$target
[ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ] || die "no seeds in $seeds"

mkdir -p "$state/logs" "$state/crashes" "$state/plot"
status_tsv=$state/status.tsv
[ -f "$status_tsv" ] ||
  printf 'elapsed_s\texecs\texec_per_s\tcoverage\tcorpus\tcrashes\n' >"$status_tsv"

# ---- crashes: replay, signature, one folder per signature ----
# (for the replays only: afl-fuzz has its own ideas about ASAN_OPTIONS)
triage_env=(ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}")

signature() { # report file -> one line
  local r=$1 line
  line=$(grep -m1 -E '^synfin oracle [a-z]+: ' "$r" || true)
  if [ -n "$line" ]; then
    # numbers vary from one input to the next, except the ones that say
    # which check broke (timer ids, option kinds, protocols)
    echo "$line" | sed -E 's/ \((event|datagram) -?[0-9]+\)$//;
      s/(timer|kind|protocol) ([0-9]+)/\1 @\2/g; s/(^|[^@0-9])[0-9]+/\1N/g;
      s/@//g'
    return
  fi
  line=$(grep -m1 -E 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:' "$r" ||
    true)
  if [ -n "$line" ]; then
    local what frames
    if [[ $line == *"runtime error:"* ]]; then
      what=$(echo "$line" | sed -E 's/^(.*\/)?([^/ :]+:[0-9]+):[0-9]+: runtime error: (.*)$/ubsan \2: \3/;
        s/0x[0-9a-f]+/0xX/g; s/[0-9]{3,}/N/g')
    else
      what=$(echo "$line" | sed -E 's/^.*ERROR: ([A-Za-z]+Sanitizer): ([A-Za-z-]+).*/\1 \2/')
    fi
    frames=$(grep -E '^ +#[0-9]+ 0x[0-9a-f]+ in ' "$r" |
      sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in ([^ ]+).*/\1/' |
      grep -v -E '^(__|_start|abort|raise|memcpy|memmove|memset|strlen|gsignal|fuzzer::)|interceptor|sanitizer' |
      head -3 | paste -sd '<' -)
    echo "$what: $frames"
    return
  fi
  echo "no report: $(tail -n 1 "$r" | cut -c1-80)"
}

triage_one() { # input file
  local f=$1 rep sig id dir size old
  rep=$(mktemp)
  # (a subshell, so that "Aborted" is not printed for every crash)
  (env "${triage_env[@]}" timeout --foreground 60 "$triage_bin" "$f" \
    >"$rep" 2>&1 || true) 2>/dev/null
  sig=$(signature "$rep")
  case $(basename "$f") in timeout-* | slow-unit-*) sig="timeout" ;; oom-*) sig="out of memory" ;; esac
  id=$(printf '%s' "$sig" | sha1sum | cut -c1-12)
  dir=$state/crashes/$id
  mkdir -p "$dir"
  printf '%s\n' "$sig" >"$dir/signature"
  echo "$f" >>"$dir/inputs"
  size=$(stat -c %s "$f")
  old=$([ -f "$dir/input" ] && stat -c %s "$dir/input" || echo 999999999)
  if [ "$size" -lt "$old" ]; then
    cp "$f" "$dir/input"
    mv "$rep" "$dir/report.txt"
  else
    rm -f "$rep"
  fi
}

crash_files() {
  if [ "$engine" = afl ]; then
    find "$state/afl" -path '*/crashes/id:*' -type f 2>/dev/null || true
  else
    find "$state/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' \
      -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null || true
  fi
}

triage() { # the crashes not seen yet
  local seen=$state/crashes/.seen f
  touch "$seen"
  crash_files | sort >"$seen.now"
  comm -13 "$seen" "$seen.now" | while read -r f; do
    triage_one "$f"
    echo "$f" >>"$seen"
  done
  sort -o "$seen" "$seen"
  rm -f "$seen.now"
  {
    printf 'id\tinputs\tsignature\tinput\n'
    for d in "$state"/crashes/*/; do
      [ -f "$d/signature" ] || continue
      printf '%s\t%s\t%s\t%s\n' "$(basename "$d")" "$(wc -l <"$d/inputs")" \
        "$(cat "$d/signature")" "$d"input
    done
  } >"$state/crashes/index.tsv"
}

unique_crashes() {
  local n
  n=$(($(wc -l <"$state/crashes/index.tsv" 2>/dev/null || echo 1) - 1))
  echo $((n < 0 ? 0 : n))
}

# ---- the engines ----
pids=()
stop_engines() {
  local p
  for p in "${pids[@]}"; do
    # each engine leads its own process group (setsid): its children too
    kill -TERM -- "-$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  pids=()
  rm -f "$state/pids"
}

# Engines of an earlier run of this campaign that outlived their script.
if [ -f "$state/pids" ]; then
  while read -r p; do
    if [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" |
      grep -q -e "$target"; then
      echo "== stopping the engine $p left by an earlier run"
      kill -TERM -- "-$p" 2>/dev/null || true
    fi
  done <"$state/pids"
  rm -f "$state/pids"
  sleep 1
fi

remaining=$((TOTAL - ELAPSED))
session_start=$(date +%s)
base_elapsed=$ELAPSED

start_afl() {
  local out=$state/afl name args i
  export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
  export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_ALLOW_TMP=1
  local input=$seeds
  if [ -d "$out/main/queue" ]; then
    input=- # AFL++ resumes from its queue
  fi
  for ((i = 0; i < jobs; i++)); do
    if [ $i -eq 0 ]; then name=main args=(-M main); else name=s$i args=(-S "s$i"); fi
    [ -f "$dict" ] && args+=(-x "$dict")
    # CmpLog on one instance: the first secondary (or the main alone)
    if { [ $i -eq 1 ] || [ "$jobs" -eq 1 ]; } && [ -x "$cmplog_bin" ]; then
      args+=(-c "$cmplog_bin")
    fi
    local env=()
    # the scenario mutator beside AFL++'s own stages, and its
    # post-processing (raw datagrams repaired) on every instance
    if [ "$target" = tcp_scenario_fuzzer ]; then
      env=(AFL_CUSTOM_MUTATOR_LIBRARY="$mutator_lib")
    fi
    setsid env "${env[@]}" afl-fuzz -i "$input" -o "$out" -V "$remaining" \
      -t 2000+ -m none "${args[@]}" -- "$bin" \
      >>"$state/logs/afl-$name.log" 2>&1 &
    pids+=($!)
    if [ $i -eq 0 ]; then
      sleep 2 # the main creates the output folder
    fi
  done
}

start_libfuzzer() {
  mkdir -p "$state/corpus" "$state/artifacts"
  local args=(-fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1
    -ignore_ooms=1 -max_total_time="$remaining" -timeout=10
    -rss_limit_mb=4096 -print_final_stats=1
    -artifact_prefix="$state/artifacts/")
  [ -f "$dict" ] && args+=(-dict="$dict")
  local max_len
  max_len=$(fuzz_max_len "$target")
  [ -z "$max_len" ] || args+=(-max_len="$max_len")
  (cd "$state" && exec setsid "$bin" "${args[@]}" "$state/corpus" "$seeds") \
    >>"$state/logs/libfuzzer.log" 2>&1 &
  pids+=($!)
}

stat_of() { # fuzzer_stats file, key
  sed -n "s/^$2 *: *//p" "$1" 2>/dev/null | head -1
}

# executions so far, and until when: the instances' counts and the latest
# time they wrote them (AFL++ writes its stats about once a minute), or the
# last status line of the log (libFuzzer's -fork counts from the session's
# start)
count_execs() {
  local f execs=0 upto=0 t line
  if [ "$engine" = afl ]; then
    for f in "$state"/afl/*/fuzzer_stats; do
      [ -f "$f" ] || continue
      execs=$((execs + $(stat_of "$f" execs_done)))
      t=$(stat_of "$f" last_update)
      [ "${t:-0}" -le "$upto" ] || upto=$t
    done
  else
    line=$(grep -E '^#[0-9]+: cov: ' "$state/logs/libfuzzer.log" 2>/dev/null | tail -1 || true)
    [ -z "$line" ] || execs=$(echo "$line" | sed -E 's/^#([0-9]+):.*/\1/')
    upto=$(date +%s)
  fi
  echo "$execs $upto"
}

status() {
  local now elapsed execs=0 rate=0 cov='?' corp=0 crashes=0 f line
  now=$(date +%s)
  elapsed=$((base_elapsed + now - session_start))
  ELAPSED=$((elapsed > TOTAL ? TOTAL : elapsed))
  save_conf
  local upto
  read -r execs upto < <(count_execs)
  if [ "$engine" = afl ]; then
    for f in "$state"/afl/*/fuzzer_stats; do
      [ -f "$f" ] || continue
      corp=$((corp + $(stat_of "$f" corpus_count)))
      crashes=$((crashes + $(stat_of "$f" saved_crashes)))
    done
    f=$state/afl/main/fuzzer_stats
    [ -f "$f" ] && cov="$(stat_of "$f" edges_found) edges ($(stat_of "$f" bitmap_cvg))"
  else
    line=$(grep -E '^#[0-9]+: cov: ' "$state/logs/libfuzzer.log" 2>/dev/null | tail -1 || true)
    if [ -n "$line" ]; then
      cov=$(echo "$line" | sed -E 's/.* cov: ([0-9]+) ft: ([0-9]+).*/\1 edges, \2 features/')
      corp=$(echo "$line" | sed -E 's/.* corp: ([0-9]+).*/\1/')
      crashes=$(echo "$line" | sed -E 's/.*oom\/timeout\/crash: ([0-9]+)\/([0-9]+)\/([0-9]+).*/\1 \2 \3/' |
        awk '{print $1 + $2 + $3}')
    fi
  fi
  # the session's rate, from the executions counted: the engines' own
  # figures are averages since a start that AFL++ sets apart for each
  # instance (a secondary's first one read 1.8M exec/s); a count below the
  # one the session began with started again from zero
  [ "$execs" -ge "$session_execs" ] || session_execs=0
  if [ "$upto" -gt "$session_start" ]; then
    rate=$(((execs - session_execs) / (upto - session_start)))
  fi
  triage
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$elapsed" "$execs" "$rate" \
    "$(echo "$cov" | grep -oE '^[0-9]+' || echo 0)" "$corp" "$crashes" \
    >>"$status_tsv"
  printf '[%s] %s %s: %s/%ss, %s exec/s, %s execs, coverage %s, corpus %s, crashes %s (%s unique)\n' \
    "$(date +%T)" "$engine" "$target" "$elapsed" "$TOTAL" "$rate" "$execs" \
    "$cov" "$corp" "$crashes" "$(unique_crashes)"
}

finish() {
  trap - INT TERM
  local ran=${#pids[@]}
  stop_engines
  if [ "$ran" -gt 0 ]; then status >/dev/null; else triage; fi
  echo "== crashes (replayed under ASan+UBSan, grouped by signature)"
  if [ "$(unique_crashes)" -gt 0 ]; then
    awk -F '\t' 'NR > 1 {printf "  %s  %5s input(s)  %s\n", $1, $2, $3}' \
      "$state/crashes/index.tsv"
  else
    echo "  none"
  fi
  [ "$minimize" = 1 ] && minimize_crashes
  distill
  plot
  coverage_report
  echo "== campaign state: $state (ci/fuzz.sh ... --resume continues it)"
}

interrupted() {
  echo "== interrupted: stopping the engines (--resume continues)"
  finish
  exit 130
}

minimize_crashes() {
  echo "== minimizing one input per signature"
  local d sig out
  for d in "$state"/crashes/*/; do
    [ -f "$d/input" ] && [ ! -f "$d/minimized" ] || continue
    sig=$(cat "$d/signature")
    [ "$sig" = timeout ] && continue
    out=$d/minimized.try
    if [ "$engine" = afl ]; then
      timeout --foreground 300 afl-tmin -i "$d/input" -o "$out" \
        -t 2000 -m none -- "$bin" >/dev/null 2>&1 || true
    else
      (cd "$state" && timeout --foreground 300 "$bin" -minimize_crash=1 -max_total_time=30 \
        -exact_artifact_path="$out" "$d/input" >/dev/null 2>&1) || true
    fi
    if [ -s "$out" ]; then
      (env "${triage_env[@]}" timeout --foreground 60 "$triage_bin" "$out" \
        >"$out.rep" 2>&1 || true) 2>/dev/null
      if [ "$(signature "$out.rep")" = "$sig" ]; then
        mv "$out" "$d/minimized"
        echo "  $(basename "$d"): $(stat -c %s "$d/input") -> $(stat -c %s "$d/minimized") bytes"
      fi
    fi
    rm -f "$out" "$out.rep"
  done
}

# The corpus without redundant inputs, in state/cmin.
distill() {
  local all=$state/cmin.all
  rm -rf "$state/cmin" "$all"
  mkdir -p "$state/cmin" "$all"
  if [ "$engine" = afl ]; then
    find "$state"/afl/*/queue -maxdepth 1 -type f -name 'id:*' \
      -exec cp -t "$all" {} + 2>/dev/null || true
    AFL_ALLOW_TMP=1 AFL_SKIP_BIN_CHECK=1 timeout --foreground 900 afl-cmin -i "$all" \
      -o "$state/cmin" -t 5000 -m none -- "$bin" >"$state/logs/cmin.log" 2>&1 ||
      cp -r "$all"/. "$state/cmin/"
  else
    (cd "$state" && timeout --foreground 900 "$bin" -merge=1 "$state/cmin" "$state/corpus" \
      "$seeds" >"$state/logs/cmin.log" 2>&1) || cp -r "$state/corpus"/. "$state/cmin/"
  fi
  rm -rf "$all"
  echo "== corpus distilled: $(find "$state/cmin" -type f | wc -l) inputs in $state/cmin"
  if [ "$target" = tcp_scenario_fuzzer ]; then
    cmake --build --preset default -j"$build_jobs" --target sf_scenario_states >/dev/null 2>&1 ||
      { cmake --preset default >/dev/null && cmake --build --preset default \
        -j"$build_jobs" --target sf_scenario_states >/dev/null; }
    build/default/harness/fuzz/sf_scenario_states "$state/cmin" >"$state/states.txt" 2>&1 || true
    echo "== TCP states the corpus reaches (inputs): $(sed -n '/^states reached/,/^transitions/p' \
      "$state/states.txt" | grep -vE '^(states|transitions)' | awk '$2 > 0 {printf "%s%s %s", s, $1, $2; s=", "}')"
  fi
}

plot() {
  if ! command -v gnuplot >/dev/null; then
    echo "== no gnuplot: no plot (ci/setup.sh installs gnuplot-nox)"
    return
  fi
  if [ "$(wc -l <"$status_tsv")" -lt 3 ]; then
    echo "== too few status lines for a plot"
    return
  fi
  gnuplot <<EOF || true
set terminal png size 960,540 noenhanced
set output "$state/plot/coverage.png"
set title "$engine $target: coverage over time"
set xlabel "seconds"
set ylabel "coverage (edges)"
set y2label "exec/s"
set y2tics
set ytics nomirror
set key left top
set datafile separator "\t"
plot "$status_tsv" using 1:4 skip 1 with lines lw 2 title "coverage", \
     "$status_tsv" using 1:3 skip 1 axes x1y2 with lines title "exec/s"
EOF
  if [ "$engine" = afl ] && [ -f "$state/afl/main/plot_data" ]; then
    afl-plot "$state/afl/main" "$state/plot/afl" >/dev/null 2>&1 || true
  fi
  echo "== plot: $state/plot/coverage.png"
}

# Line and region coverage of the stack by the distilled corpus, from the
# coverage preset's standalone build.
coverage_report() {
  local prof=$state/coverage cov_bin=$root/build/coverage/harness/fuzz/$target
  command -v llvm-cov-14 >/dev/null || command -v llvm-cov >/dev/null || return 0
  local llvm_cov llvm_profdata
  llvm_cov=$(command -v llvm-cov-14 || command -v llvm-cov)
  llvm_profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata)
  build coverage "$target" || return 0
  rm -rf "$prof"
  mkdir -p "$prof"
  # a pool of profiles merged as processes end; an input that aborts
  # loses only its own batch
  find "$state/cmin" -type f -print0 |
    LLVM_PROFILE_FILE="$prof/cov-%4m.profraw" xargs -0 -n 20 \
      timeout --foreground 120 "$cov_bin" >/dev/null 2>&1 || true
  "$llvm_profdata" merge -sparse "$prof"/*.profraw -o "$prof/merged.profdata" 2>/dev/null ||
    return 0
  "$llvm_cov" report "$cov_bin" -instr-profile="$prof/merged.profdata" \
    "$root/stack" >"$prof/report.txt" 2>/dev/null || true
  echo "== stack coverage by the corpus (llvm-cov, $prof/report.txt):"
  grep -E '^TOTAL' "$prof/report.txt" | awk '{printf "  regions %s, functions %s, lines %s\n", $4, $7, $10}'
}

if [ "$remaining" -le 0 ]; then
  echo "== the campaign's $TOTAL s are spent: triage and reports only"
  finish
  exit 0
fi

echo "== $engine on $target, $jobs job(s), ${remaining}s of ${TOTAL}s; state $state"
trap interrupted INT TERM
# status(): the session's rate counts from what earlier sessions counted
read -r session_execs _ < <(count_execs)
if [ "$engine" = afl ]; then start_afl; else start_libfuzzer; fi
printf '%s\n' "${pids[@]}" >"$state/pids"

while :; do
  alive=0
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ $alive = 1 ] || break
  for ((w = 0; w < status_every && alive; w++)); do
    sleep 1
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  done
  status
done
if [ $(($(date +%s) - session_start)) -lt $((remaining * 9 / 10)) ]; then
  echo "== the engine stopped early; the end of its log:"
  tail -n 5 "$state"/logs/*.log | sed 's/^/  /'
fi
finish
exit
}
