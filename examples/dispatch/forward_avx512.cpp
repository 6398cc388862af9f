// Compiled with -mavx512f -mavx512cd -mavx512dq -mavx512bw -mavx512vl -mfma (examples/meson.build).
#include <type_traits>

#include "network.hpp"

static_assert(std::is_same_v<ctnn::simd::default_arch, xsimd::avx512bw>,
              "forward_avx512.cpp must be compiled with the AVX-512 (F, CD, DQ, BW, VL) flags");

namespace dispatch_example {
void forward_avx512(const parameters& p, input x, output y) { ctnn::forward<xsimd::avx512bw>(p, x, y); }
}  // namespace dispatch_example
