#!/usr/bin/env bash
# Builds and runs the benchmarks (benchmarks/, one binary: ctnn, its hand-written Eigen baseline
# and the machine's FMA peak, measured in the same run) and ends with one line per case:
#   bench: case=<name> ns_per_sample=<x> gflops=<y> vs_eigen=<ratio> peak_fraction=<f>
# vs_eigen = Eigen's time / ctnn's time (> 1: ctnn is faster); peak_fraction = ctnn's GFLOP/s over
# the FMA peak. Figures are medians of CPU time over 3 repetitions.
#
# usage: scripts/bench.sh [--smoke] [Google Benchmark flags, e.g. --benchmark_filter=train]
#   --smoke  each case for a moment, one repetition: checks that everything builds, that ctnn and
#            Eigen agree, and that every case runs (for CI; its figures are not measurements)
# Environment: CTNN_BENCH_BUILDDIR (default build-bench), CTNN_JOBS (compile jobs, default 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

smoke=0
extra=()
for a in "$@"; do
  case $a in
    --smoke) smoke=1 ;;
    *) extra+=("$a") ;;
  esac
done

dir=${CTNN_BENCH_BUILDDIR:-build-bench}
jobs=${CTNN_JOBS:-2}

bash scripts/setup.sh

# Only the benchmarks: the test suite has its own build directories (scripts/test.sh).
opts=(--buildtype=release -Dbenchmarks=enabled -Dtests=false -Dexamples=false)
if [ -f "$dir/meson-private/coredata.dat" ]; then
  meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
  meson setup "$dir" "${opts[@]}"
fi

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
