# Sourced by the fuzzing scripts: libFuzzer's settings for a target's
# campaigns come from corpus/<target>.options (the file ClusterFuzzLite
# gets too), so that campaigns, benchmarks and the bug zoo run alike.

# fuzz_max_len TARGET: the max_len of corpus/TARGET.options, or nothing
fuzz_max_len() {
  [ -f "corpus/$1.options" ] || return 0
  sed -n 's/^max_len *= *\([0-9][0-9]*\) *$/\1/p' "corpus/$1.options" | tail -n 1
}
