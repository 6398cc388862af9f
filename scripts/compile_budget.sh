#!/usr/bin/env bash
# The compile budget: "the 784-128-10 example must compile in under 10 s and 1 GiB with g++ -O2
# on these machines".
#
#   bash scripts/compile_budget.sh [--compiler g++] [--seconds 10] [--mib 1024] [--runs 3]
#                                  [file.cpp ...]        (default: examples/assembly.cpp)
#
# Builds each file into a program (compile and link, as a user would: -std=c++20 -O2
# -march=native -pthread, zlib) `runs` times, one build at a time, under /usr/bin/time, and
# prints the wall time, CPU time (user + system) and peak memory (max RSS) of each build, their
# minimum and median, and the load average before and after. The machines are shared, so a build
# can be slowed by others' builds: the time budget is judged on the fastest run (the least
# disturbed), and when even that is over budget on a loaded machine (1-minute load average above
# the number of cores) while its CPU time is within budget, the verdict is "loaded" rather than
# a failure: the compiler did less than 10 s of work, it waited for a core. The memory budget is
# judged on the largest peak. Exit 1 when over budget, 2 on usage or build errors.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
compiler=g++ seconds=10 mib=1024 runs=3
files=()

usage() { sed -n '5,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --compiler) [ $# -ge 2 ] || usage; compiler=$2; shift 2 ;;
    --seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
    --mib) [ $# -ge 2 ] || usage; mib=$2; shift 2 ;;
    --runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "compile_budget.sh: unknown option '$1'" >&2; usage ;;
    *) files+=("$1"); shift ;;
  esac
done
[ ${#files[@]} -gt 0 ] || files=("$root/examples/assembly.cpp")
[ -x /usr/bin/time ] || { echo "compile_budget.sh: needs /usr/bin/time (package 'time')" >&2; exit 2; }
[ "$runs" -ge 1 ] 2>/dev/null || { echo "compile_budget.sh: --runs must be at least 1" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "compile budget: $seconds s and $mib MiB per build; $("$compiler" --version | head -n 1)"
echo "flags: -std=c++20 -O2 -march=native -pthread; $(nproc) cores; load average before: $(load)"
status=0
for file in "${files[@]}"; do
  [ -f "$file" ] || { echo "compile_budget.sh: no such file: $file" >&2; exit 2; }
  times=() peaks=() cpus=()
  for ((k = 1; k <= runs; ++k)); do
    if ! /usr/bin/time -o "$work/time" -f '%e %M %U %S' "$compiler" -std=c++20 -O2 -march=native \
        -pthread -I"$root/include" "$file" -o "$work/program" -lz 2>"$work/log"; then
      echo "compile_budget.sh: building $file failed:" >&2
      cat "$work/log" >&2
      exit 2
    fi
    read -r wall kib user system <"$work/time"
    times+=("$wall")
    peaks+=("$kib")
    cpus+=("$(awk -v u="$user" -v s="$system" 'BEGIN { printf "%.2f", u + s }')")
  done
  summary=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END {
      printf "%.2f %.2f", t[1], (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2) }')
  read -r fastest median <<<"$summary"
  # CPU time of the run with the fastest wall time.
  for ((k = 0; k < runs; ++k)); do
    if [ "$(printf '%.2f' "${times[k]}")" = "$fastest" ]; then cpu=${cpus[k]}; break; fi
  done
  peak=$(printf '%s\n' "${peaks[@]}" | sort -n | tail -n 1)
  peak_mib=$(awk -v k="$peak" 'BEGIN { printf "%.0f", k / 1024 }')
  verdict=ok
  over() { awk -v t="$1" -v b="$seconds" 'BEGIN { exit !(t + 0 > b + 0) }'; }
  if over "$fastest"; then
    if ! over "$cpu" && awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { exit !(l + 0 > n + 0) }'; then
      verdict="loaded (wall over budget, CPU time within it, load above $(nproc))"
    else
      verdict="OVER (time)"; status=1
    fi
  fi
  if [ "$peak_mib" -gt "$mib" ]; then verdict="OVER (memory)"; status=1; fi
  echo "${file#"$root"/}: wall ${times[*]} s -> min $fastest s (CPU $cpu s), median $median s;" \
       "peak $peak_mib MiB; $verdict"
  echo "budget: file=${file#"$root"/} compiler=$compiler runs=$runs min_s=$fastest cpu_s=$cpu median_s=$median peak_mib=$peak_mib verdict=${verdict%% *}"
done
echo "load average after: $(load)"
exit $status
