#!/usr/bin/env bash
# Builds and runs the benchmarks (benchmarks/, one binary: ctnn, its hand-written Eigen baseline
# and the machine's FMA peak, measured in the same run) and ends with one line per case:
#   bench: case=<name> ns_per_sample=<x> gflops=<y> vs_eigen=<ratio> peak_fraction=<f>
# vs_eigen = Eigen's time / ctnn's time (> 1: ctnn is faster); peak_fraction = ctnn's GFLOP/s over
# the FMA peak. Figures are medians of CPU time over 3 repetitions. The int8 cases (one sample
# through ctnn::quantized_weights) end it with
#   bench: case=int8/<name> ns_per_sample=<x> gflops=<y> vs_float=<ratio> vs_eigen=<ratio>
# vs_float = the float inference layout's time / int8's (> 1: int8 is faster).
#
# usage: scripts/bench.sh [--smoke] [--opt 2|3] [--compiler g++|clang++]
#                         [Google Benchmark flags, e.g. --benchmark_filter=train]
#   --smoke     each case for a moment, one repetition: checks that everything builds, that ctnn
#               and Eigen agree, and that every case runs (for CI; its figures are not
#               measurements)
#   --opt N     the optimisation level of the benchmark binary, ctnn and Eigen alike (default 3;
#               users build with -O2 as often as -O3)
#   --compiler  the compiler (default g++; the README's figures name the one they were made with)
# Environment: CTNN_BENCH_BUILDDIR (default build-bench for g++ -O3, else
# build-bench-<compiler>-O<N>), CTNN_JOBS (compile jobs, default 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

smoke=0 opt=3 compiler=g++
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1; shift ;;
    --opt) [ $# -ge 2 ] || { echo "bench.sh: --opt needs 2 or 3" >&2; exit 2; }; opt=$2; shift 2 ;;
    --compiler) [ $# -ge 2 ] || { echo "bench.sh: --compiler needs a compiler" >&2; exit 2; }
                compiler=$2; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done
case $opt in 2|3) ;; *) echo "bench.sh: --opt $opt: 2 or 3" >&2; exit 2 ;; esac
command -v "$compiler" >/dev/null || { echo "bench.sh: compiler '$compiler' not found" >&2; exit 2; }

default_dir=build-bench
[ "$compiler" = g++ ] && [ "$opt" = 3 ] || default_dir=build-bench-${compiler//+/x}-O$opt
dir=${CTNN_BENCH_BUILDDIR:-$default_dir}
jobs=${CTNN_JOBS:-2}

bash scripts/setup.sh

# Only the benchmarks: the test suite has its own build directories (scripts/test.sh).
opts=(--buildtype=release -Dopt_level="$opt" -Dbenchmarks=enabled -Dtests=false -Dexamples=false)
if [ -f "$dir/meson-private/coredata.dat" ]; then
  meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
  CXX=$compiler meson setup "$dir" "${opts[@]}"
fi
echo "bench.sh: $("$compiler" --version | head -n 1), -O$opt -march=native ($dir)"

start=$(date +%s.%N)
ninja -C "$dir" -j "$jobs" benchmarks/ctnn_bench
echo "bench.sh: build of benchmarks/ctnn_bench took $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s" \
     "(0 when up to date; per translation unit: python3 scripts/compile_stats.py $dir)"

if [ $smoke -eq 1 ]; then
  run=(--benchmark_min_time=0.01)
else
  # The machine is shared: repetitions, and medians in the report, keep one disturbed run from
  # deciding a figure; the spread is printed so the noise is visible.
  run=(--benchmark_min_time=0.5 --benchmark_repetitions=3)
fi
# Eigen's threads are OpenMP's. Left to spin (libgomp's default) they keep the second core busy
# after each Eigen case, and the next 2-thread ctnn case ran at 1.50x one thread instead of 1.89x;
# passive waiting is also faster for Eigen's own 2-thread cases on this 2-core machine
# (2368 against 2515 ns per sample at batch 256).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
json=$dir/bench-results.json
"$dir/benchmarks/ctnn_bench" "${run[@]}" --benchmark_out="$json" --benchmark_out_format=json \
  "${extra[@]}"
echo
python3 benchmarks/bench_report.py "$json"
