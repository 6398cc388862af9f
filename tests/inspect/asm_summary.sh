#!/usr/bin/env bash
# The machine code of the 784-128-10 example's entry points, as scripts/asm.sh summarises it:
#   - all three summaries are there (forward and gradient of a tile, inference of one sample);
#   - nothing on their hot path allocates (and scripts/asm.sh exits 0);
#   - the allocation detector is not blind: it does find operator new on the contract checks'
#     error path (which builds a message in a std::string before it throws) of a batch pass over
#     buffers of run-time size (tests/inspect/asm_user.cpp, controller::batch_loss);
#   - at least ASM_SIMD_FLOOR (default 0.33) of the instructions are packed SIMD, and at least
#     ASM_WIDE_FLOOR (default 0.25) use the widest registers the target has (zmm with AVX-512,
#     ymm with AVX2). Measured on the AVX-512 machines (docs/assembly.md): packed 0.42-0.57 and
#     zmm 0.34-0.45 with g++ 12 and clang++ 14 (packed was 0.52-0.58 before the batch forward
#     reduced its dot products with one shuffle tree instead of 16 horizontal sums: less SIMD
#     work, a lower share). clang's gradient fell to 0.37 when its multiplies and adds became
#     single FMAs (fewer packed instructions for the same work), hence 0.33; the scalar kernels (CTNN_NO_SIMD=1), left to the auto-vectoriser,
#     give packed 0.13-0.45 but zmm only 0.03-0.08, which is what the second floor catches.
#   - where the target has fused multiply-add (__FMA__), every entry point uses it: with clang,
#     xsimd 8.1's AVX-512 fma (a*b + c, which only g++ contracts) once left every kernel without
#     a single vfmadd (simd/math.hpp, math::fma);
#   - the same for a user's own program: scripts/asm.sh FILE FUNCTION finds a function by its
#     C++ name (tests/inspect/asm_user.cpp, controller::predict), summarises it and what it
#     calls, and a name that is not there is a plain error (exit 2) that names close matches.
#
#   asm_summary.sh <source root> <compiler>
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 <source root> <compiler>" >&2; exit 99; }
root=$1 compiler=$2
floor=${ASM_SIMD_FLOOR:-0.33}
wide_floor=${ASM_WIDE_FLOOR:-0.25}

# ASM_ARGS: extra options for scripts/asm.sh, e.g. --scalar to see the floors fail.
output=$(bash "$root/scripts/asm.sh" --summary-only --compiler "$compiler" ${ASM_ARGS:-} 2>&1)
status=$?
echo "$output"
fail=0
if [ $status -ne 0 ]; then
  echo "FAIL: scripts/asm.sh exited with status $status"
  fail=1
fi

macros=$(echo | "$compiler" -march=native -dM -E - 2>/dev/null)
wide=""
if grep -q '__AVX512F__' <<<"$macros"; then wide=zmm; elif grep -q '__AVX2__' <<<"$macros"; then wide=ymm; fi
has_fma=0
if grep -q '__FMA__' <<<"$macros" && [ -z "${ASM_ARGS:-}" ]; then has_fma=1; fi
# fma_used LINE NAME: fails the test when the target has FMA and the summary LINE counts none.
fma_used() {
  local n
  n=$(sed -n 's/.* fma=\([0-9]*\).*/\1/p' <<<"$1")
  if [ $has_fma -eq 1 ] && [ "${n:-0}" -eq 0 ]; then
    echo "FAIL: $2: no fused multiply-add instruction, on a target that has them"
    fail=1
  fi
}

for function in forward gradient inference; do
  line=$(grep -E "^asm: function=$function " <<<"$output")
  if [ -z "$line" ]; then
    echo "FAIL: no summary line for $function"
    fail=1
    continue
  fi
  value() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  if [ "$(value allocates)" != no ]; then
    echo "FAIL: $function allocates on its hot path"
    fail=1
  fi
  share=$(value simd_share)
  if ! awk -v s="$share" -v f="$floor" 'BEGIN { exit !(s + 0 >= f + 0) }'; then
    echo "FAIL: $function: packed SIMD share $share is below the floor $floor"
    fail=1
  fi
  fma_used "$line" "$function"
  if [ "$(value instructions)" -lt 100 ]; then
    echo "FAIL: $function: only $(value instructions) instructions; the kernels were not followed"
    fail=1
  fi
  if [ -n "$wide" ]; then
    wide_share=$(awk -v w="$(value $wide)" -v n="$(value instructions)" 'BEGIN { printf "%.3f", w / n }')
    if ! awk -v s="$wide_share" -v f="$wide_floor" 'BEGIN { exit !(s + 0 >= f + 0) }'; then
      echo "FAIL: $function: $wide_share of the instructions use $wide registers, below the floor $wide_floor"
      fail=1
    fi
  fi
done
user=$root/tests/inspect/asm_user.cpp
output=$(bash "$root/scripts/asm.sh" --summary-only --compiler "$compiler" "$user" controller::predict 2>&1)
status=$?
line=$(grep -E "^asm: function=controller::predict " <<<"$output")
if [ $status -ne 0 ] || [ -z "$line" ]; then
  echo "FAIL: scripts/asm.sh $user controller::predict (status $status):"
  echo "$output" | tail -n 20
  fail=1
else
  echo "$line"
  n=$(sed -n 's/.* instructions=\([0-9]*\).*/\1/p' <<<"$line")
  if [ "$n" -lt 50 ] || ! grep -q " allocates=no " <<<"$line"; then
    echo "FAIL: controller::predict: $n instructions (the forward pass was not followed) or it allocates"
    fail=1
  fi
  fma_used "$line" controller::predict
fi
# A batch pass over buffers of run-time size keeps its contract checks, whose error path builds a
# message in a std::string: the allocation detector must find that allocation there (and none on
# the hot path), or it may be blind. (The example's entry points take sizes the compiler knows,
# so their checks fold away and leave no error path to look at.)
output=$(bash "$root/scripts/asm.sh" --summary-only --compiler "$compiler" "$user" controller::batch_loss 2>&1)
line=$(grep -E "^asm: function=controller::batch_loss " <<<"$output")
echo "$line"
if ! grep -q " allocates=no " <<<"$line" || ! grep -q " error_path_allocates=yes" <<<"$line"; then
  echo "FAIL: controller::batch_loss: allocates on its hot path, or the allocation detector found no" \
       "allocation on the contract checks' error path, where std::string building allocates (blind?)"
  echo "$output" | tail -n 5
  fail=1
fi
output=$(bash "$root/scripts/asm.sh" --summary-only --compiler "$compiler" "$user" predict 2>&1)
status=$?
if [ $status -ne 2 ] || ! grep -q "predict not found" <<<"$output" ||
   ! grep -q "controller::predict(...)" <<<"$output"; then
  echo "FAIL: a name that is not in the program should exit 2 and name close matches (status $status):"
  echo "$output" | tail -n 5
  fail=1
fi

[ $fail -eq 0 ] && echo "asm_summary: ok ($compiler; floors: packed $floor, ${wide:-no wide registers} $wide_floor)"
exit $fail
