// Compiled with -mavx2 -mfma (examples/meson.build).
#include <type_traits>

#include "network.hpp"

static_assert(std::is_same_v<ctnn::simd::default_arch, xsimd::fma3<xsimd::avx2>>,
              "forward_avx2.cpp must be compiled with -mavx2 -mfma");

namespace dispatch_example {
void forward_avx2(const parameters& p, input x, output y) { ctnn::forward<xsimd::fma3<xsimd::avx2>>(p, x, y); }
}  // namespace dispatch_example
