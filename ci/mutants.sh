#!/usr/bin/env bash
# How many deliberately broken stacks specs/ catches: each mutant in
# ci/mutants.tsv changes one line of the stack; the stack is rebuilt and
# the whole suite runs against it. A mutant is caught when at least one spec
# fails. Prints one line per mutant and the total; exits 1 if a mutant
# escaped or a mutation no longer applies (its line is gone or not unique).
#
#   ci/mutants.sh [NAME...]     (default: every mutant)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
ci/setup.sh
work=$(mktemp -d /tmp/synfin-mutants.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
# a private copy of the sources, so the tree is never modified
tar --exclude=./build --exclude=./.git -cf - . | tar -C "$work" -xf -
src=$work
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$src/build" --target synfin -j"$(nproc)" >/dev/null
synfin=$src/build/harness/synfin
"$synfin" run --no-color -j"$(nproc)" "$root/specs" >/dev/null ||
  { echo "ci/mutants.sh: specs/ fails on the unmutated stack" >&2; exit 2; }

caught=0 total=0 bad=0
printf '%-36s %-8s %s\n' mutant result "failing specs (first)"
while IFS=$'\t' read -r -u 3 name file orig repl what; do
  case $name in '' | '#'*) continue ;; esac
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qxF "$name"; then
    continue
  fi
  total=$((total + 1))
  f=$src/$file
  cp "$root/$file" "$f"
  n=$(grep -cxF -- "$orig" "$f" || true)
  if [ "$n" != 1 ]; then
    printf '%-36s %-8s %s\n' "$name" STALE "the line occurs $n times in $file"
    bad=$((bad + 1))
    continue
  fi
  awk -v o="$orig" -v r="$repl" '$0 == o { print r; next } { print }' \
    "$root/$file" >"$f"
  if ! cmake --build "$src/build" --target synfin -j"$(nproc)" \
    >"$work/build.log" 2>&1; then
    printf '%-36s %-8s %s\n' "$name" NOBUILD "$(grep -m1 error "$work/build.log")"
    bad=$((bad + 1))
  else
    out=$("$synfin" run --no-color -j"$(nproc)" "$root/specs" 2>&1 || true)
    fails=$(printf '%s\n' "$out" | grep -c '^FAIL' || true)
    first=$(printf '%s\n' "$out" | grep -m1 '^FAIL' | sed 's/^FAIL *//; s|'"$root"'/||; s/:.*//' || true)
    if [ "$fails" -gt 0 ]; then
      caught=$((caught + 1))
      printf '%-36s %-8s %s\n' "$name" caught "$fails: $first"
    else
      printf '%-36s %-8s %s\n' "$name" ESCAPED "$what"
      bad=$((bad + 1))
    fi
  fi
  cp "$root/$file" "$f"
done 3<ci/mutants.tsv
echo "$caught of $total mutants caught by specs/"
[ "$bad" -eq 0 ]
