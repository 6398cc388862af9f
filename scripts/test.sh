#!/usr/bin/env bash
# Builds and runs the whole test suite (unit, compile-fail, examples, packaging) in four
# configurations, never stopping at the first failing one. Each builds what only it can check
# (the suite must stay inside 30 minutes on an idle 2-core machine):
#   gcc       g++ -O2, build-gcc: every test, the gradient law on 44 of the 52 random graphs
#             (-Dlaw_seeds=most), the examples (built once, here);
#   clang     clang++ -O3, build-clang: every test but the header check (tests/meson.build says
#             why), the laws of activations and losses and the law on the other 8 random graphs
#             (-Dlaw_seeds=some: the comparisons of two computations, random chains, scalar
#             against SIMD kernels and PyTorch, are gcc's), the benchmarks (built once, here).
#             Users build with -O2 and -O3, g++ and clang: between them the two configurations
#             compile both levels and both compilers;
#   scalar    g++ -O2, build-scalar, -Dsimd=false: the tests that run the kernels (not those that
#             only format, read or write numbers: tests/meson.build lists them), the law on 8
#             random graphs and of activations and losses (-Dlaw_seeds=some; the laws at -O1, as
#             everywhere); not the compiler-only suites (syntax, compile_fail, static), which do
#             not depend on the architecture, nor the comparisons (random chains, PyTorch), nor
#             the packaging routes that build ctnn inside a consumer (only those that install
#             it, which carry CTNN_NO_SIMD to the consumer). -O2,
#             the level most projects build with: g++ 12 -O2 -march=native once crashed the
#             scalar build's batch input-delta kernel (simd/pack.hpp, local_alignment), which
#             -O1, -O3 and clang did not (simd/batch_kernels checks those kernels at each
#             configuration's level);
#   sanitize  clang++, build-sanitize, AddressSanitizer (with leak checks) and UBSan at -O0 (the
#             laws and the tests that run many passes, at -O1) with line tables only:
#             the sanitizers find the same faults, and -O1 doubled the build (-O3 with full debug
#             information tripled it). Runs only the tests that execute our programs (suites unit
#             and hygiene but not syntax; no examples), and of the arithmetic laws only one
#             random-graph file (-Dlaw_seeds=one; no PyTorch comparison either), whose finite
#             differences probe one entry in seven (laws/gradcheck.hpp): the other
#             configurations check the arithmetic, this one memory. clang, because g++ 12 takes
#             about ten times as long (and several minutes per file) to compile our tests with
#             both sanitizers.
# The tests are compiled with precompiled headers (tests/pch/; -Db_pch=false turns them off).
# and ends with one line summing meson's results over all of them:
#   N passed, N failed[, N skipped]
# passed = Ok + Expected Fail; failed = Fail + Timeout + Unexpected Pass, plus one for each test
# whose program did not build and one for each configuration that could not be set up (or whose
# build failed outside the tests). Exits non-zero if anything failed or if
# no test ran at all.
#
# Environment:
#   CTNN_CONFIGS  subset to run, e.g. CTNN_CONFIGS=gcc or CTNN_CONFIGS="gcc scalar"
#   CTNN_JOBS     parallel compile jobs and test processes (default 2)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=${CTNN_JOBS:-2}
configs=${CTNN_CONFIGS:-gcc clang scalar sanitize}
configs=${configs//,/ }

total_passed=0 total_failed=0 total_skipped=0
report=()

finish() {
  local line="$total_passed passed, $total_failed failed"
  [ "$total_skipped" -gt 0 ] && line+=", $total_skipped skipped"
  echo
  echo "=== summary ==="
  [ ${#report[@]} -gt 0 ] && printf '%s\n' "${report[@]}"
  echo "$line"
  if [ "$total_failed" -gt 0 ] || [ $((total_passed + total_failed)) -eq 0 ]; then
    exit 1
  fi
  exit 0
}

if ! bash scripts/setup.sh; then
  report+=("setup: scripts/setup.sh failed")
  total_failed=$((total_failed + 1))
  finish
fi

# run_config <name> <compiler> <build dir> [meson setup options...] [-- meson test options...]
# (a later --buildtype overrides the default release)
run_config() {
  local name=$1 cxx=$2 dir=$3; shift 3
  local opts=(--buildtype=release -Dtests=true -Dexamples=true) test_opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift && test_opts=("$@")
  local start=$SECONDS
  echo
  echo "=== $name: CXX=$cxx ${opts[*]} ($dir) ==="

  local cxx_path
  if ! cxx_path=$(command -v "$cxx"); then
    report+=("$name: compiler $cxx not found")
    total_failed=$((total_failed + 1))
    return
  fi
  # Identifies the compiler; a build dir configured with another one is wiped.
  local identity
  identity="$(readlink -f "$cxx_path") $("$cxx" --version | head -n 1)"
  local stamp=$dir/ctnn-compiler.txt

  local ok=1
  if [ -f "$dir/meson-private/coredata.dat" ] && [ -f "$stamp" ] \
     && [ "$(cat "$stamp")" = "$identity" ]; then
    meson setup --reconfigure "$dir" "${opts[@]}" || ok=0
  else
    rm -rf "$dir"
    CXX=$cxx meson setup "$dir" "${opts[@]}" || ok=0
  fi
  if [ $ok -eq 0 ]; then
    report+=("$name: meson setup failed")
    total_failed=$((total_failed + 1))
    return
  fi
  echo "$identity" >"$stamp"

  # Remove previously linked test programs so that one whose source no longer compiles cannot
  # pass as a stale binary; relinking is cheap, the objects are kept.
  meson introspect "$dir" --targets | python3 -c '
import json, os, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable":
        for f in t["filename"]:
            if os.path.exists(f):
                os.remove(f)
'
  # -k 0: build everything that compiles, so the tests that can run do run.
  local build_failed=0
  ninja -C "$dir" -j "$jobs" -k 0 || build_failed=1

  # meson refuses to run anything if one test program is missing, so run the tests that were
  # built by name and count each test whose program failed to build as one failure.
  local missing=() present=()
  if [ $build_failed -ne 0 ]; then
    while IFS=$'\t' read -r state test_name; do
      if [ "$state" = missing ]; then missing+=("$test_name"); else present+=("$test_name"); fi
    done < <(meson introspect "$dir" --tests | python3 -c '
import json, os, sys
for t in json.load(sys.stdin):
    print("present" if os.path.exists(t["cmd"][0]) else "missing", t["name"], sep="\t")
')
  fi

  local log=$dir/ctnn-test-output.txt test_status=0
  if [ ${#missing[@]} -gt 0 ] && [ ${#present[@]} -eq 0 ]; then
    : >"$log"
  else
    meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$jobs" "${test_opts[@]}" \
      "${present[@]}" 2>&1 | tee "$log"
    test_status=${PIPESTATUS[0]}
  fi

  count() { awk -F: -v k="$1" '$1 == k { gsub(/[[:space:]]/, "", $2); n = $2 } END { print n + 0 }' "$log"; }
  local ok_n xfail_n fail_n xpass_n skip_n timeout_n
  ok_n=$(count "Ok") xfail_n=$(count "Expected Fail") fail_n=$(count "Fail")
  xpass_n=$(count "Unexpected Pass") skip_n=$(count "Skipped") timeout_n=$(count "Timeout")

  local passed=$((ok_n + xfail_n)) failed=$((fail_n + timeout_n + xpass_n))
  local note=""
  if [ ${#missing[@]} -gt 0 ]; then
    failed=$((failed + ${#missing[@]}))
    note+=" (not built: ${missing[*]})"
  elif [ $build_failed -ne 0 ]; then
    failed=$((failed + 1)); note+=" (+1: build failed)"
  fi
  if [ "$test_status" -ne 0 ] && [ $((fail_n + timeout_n + xpass_n)) -eq 0 ]; then
    failed=$((failed + 1)); note+=" (+1: meson test exited with $test_status without a failed test)"
  fi
  report+=("$name: $passed passed, $failed failed, $skip_n skipped$note ($((SECONDS - start)) s)")
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skip_n))
}

for c in $configs; do
  case $c in
    gcc)    run_config gcc g++ build-gcc -Dsimd=true -Dopt_level=2 -Dlaw_seeds=most -Dbenchmarks=disabled ;;
    clang)  run_config clang clang++ build-clang -Dsimd=true -Dlaw_seeds=some -Dexamples=false \
              -Dbenchmarks=enabled ;;
    scalar) run_config scalar g++ build-scalar -Dsimd=false -Dopt_level=2 -Dlaw_seeds=some -Dexamples=false \
              -Dbenchmarks=disabled -- --no-suite syntax --no-suite compile_fail --no-suite static ;;
    # halt_on_error: UBSan only reports by default, and a report must fail the test.
    sanitize)
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
        run_config sanitize clang++ build-sanitize -Dsimd=true --buildtype=plain -Dopt_level=0 \
          -Dcpp_args=-gline-tables-only -Dlaw_seeds=one -Dexamples=false \
          -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=disabled \
          -- --suite unit --suite hygiene --no-suite syntax ;;
    *)      report+=("$c: unknown configuration (known: gcc clang scalar sanitize)")
            total_failed=$((total_failed + 1)) ;;
  esac
done

finish
