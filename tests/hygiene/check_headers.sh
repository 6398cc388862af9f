#!/usr/bin/env bash
# Header self-containment: every header under <include dir>/ctnn must compile on its own.
#
#   check_headers.sh <include dir> -- <compiler> [flags...]
#
# For each header, compiles (-fsyntax-only) a translation unit that includes only that header,
# twice (a missing #pragma once shows up as a redefinition). The headers are found here, when the
# test runs, so a header added later is checked without touching the build files. Any diagnostic
# fails the header, warnings included: with -fsyntax-only they can only come from the header.
# Prints every failing header with the start of its compiler output, then "N headers, N failed".
# Exit status: 0 pass, 1 fail, 99 usage error (meson's "hard error").
set -uo pipefail

usage() { echo "usage: $0 <include dir> -- <compiler> [flags...]" >&2; exit 99; }

[ $# -ge 3 ] && [ "$2" = "--" ] || usage
include_dir=$1
shift 2
[ -d "$include_dir/ctnn" ] || { echo "check_headers.sh: no ctnn/ under $include_dir" >&2; exit 99; }

mapfile -t headers < <(cd "$include_dir" && find ctnn -name '*.hpp' -type f | LC_ALL=C sort)
[ ${#headers[@]} -gt 0 ] || { echo "check_headers.sh: no headers under $include_dir/ctnn" >&2; exit 99; }

out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT

# check <index>: compiles header <index>; its output goes to <index>.log, a failure adds <index>.fail.
check() {
  local k=$1 h=${headers[$1]}
  shift
  local status=0
  printf '#include <%s>\n#include <%s>\n' "$h" "$h" |
    LC_ALL=C "$@" -fdiagnostics-color=never -fsyntax-only -x c++ - >"$out_dir/$k.log" 2>&1 ||
    status=$?
  if [ $status -ne 0 ] || [ -s "$out_dir/$k.log" ]; then
    echo "$status" >"$out_dir/$k.fail"
  fi
}

# One compiler per core: each run takes about a second, mostly parsing xsimd and Boost.
jobs=$(nproc 2>/dev/null || echo 2)
running=0
for k in "${!headers[@]}"; do
  if [ $running -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  check "$k" "$@" &
  running=$((running + 1))
done
wait

failed=0
for k in "${!headers[@]}"; do
  [ -f "$out_dir/$k.fail" ] || continue
  failed=$((failed + 1))
  status=$(cat "$out_dir/$k.fail")
  if [ "$status" -eq 0 ]; then
    echo "FAIL: ${headers[$k]} compiles on its own, but with diagnostics"
  else
    echo "FAIL: ${headers[$k]} does not compile on its own (status $status)"
  fi
  echo "--- compiler output (first 30 lines) ---"
  head -n 30 "$out_dir/$k.log"
  echo
done
echo "command: $* -fsyntax-only -x c++ - (one translation unit per header)"
echo "${#headers[@]} headers, $failed failed"
[ $failed -eq 0 ]
