#!/usr/bin/env bash
# What docs/dispatch.md promises of the dispatch example's libraries, read from their machine code:
#   - the SSE4.2 library holds no VEX or EVEX instruction (none of AVX, AVX2, AVX-512), so it runs
#     on any x86-64-v2 CPU; the AVX2 library uses ymm registers and never a zmm one; the AVX-512
#     library does use zmm registers;
#   - each library exports exactly one function of the example (its entry point): everything else,
#     ctnn's and the standard library's inline functions included, is hidden, so no copy compiled
#     for one instruction set can be picked by the dynamic linker for another.
#
#   check_isa.sh <directory of the libraries>
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 <directory of libctnn_dispatch_*.so>" >&2; exit 2; }
dir=$1
command -v objdump >/dev/null || { echo "check_isa.sh: objdump not found (binutils)" >&2; exit 2; }

fail=0
check() {  # check <condition text> <0|1>
  if [ "$2" = 1 ]; then echo "ok:   $1"; else echo "FAIL: $1"; fail=1; fi
}

for isa in avx512 avx2 sse4; do
  lib=$dir/libctnn_dispatch_$isa.so
  [ -f "$lib" ] || { echo "FAIL: $lib not found"; fail=1; continue; }
  listing=$(objdump -d --no-show-raw-insn "$lib")
  # Mnemonics starting with v are the VEX/EVEX-encoded ones (vmovups, vfmadd231ps, vzeroupper, ...).
  vex=$(grep -cE '^\s+[0-9a-f]+:\s+v[a-z]' <<<"$listing")
  ymm=$(grep -c '%ymm' <<<"$listing")
  zmm=$(grep -c '%zmm' <<<"$listing")
  exported=$(nm -D --defined-only "$lib" | c++filt | grep -c 'dispatch_example::')
  echo "$isa: $vex VEX/EVEX instructions, $ymm with ymm, $zmm with zmm; $exported exported functions of the example"
  case $isa in
    sse4) check "sse4 has no VEX/EVEX instruction" $((vex == 0)) ;;
    avx2) check "avx2 uses ymm" $((ymm > 0)); check "avx2 never uses zmm" $((zmm == 0)) ;;
    avx512) check "avx512 uses zmm" $((zmm > 0)) ;;
  esac
  check "$isa exports its entry point only" $((exported == 1))
done
exit $fail
