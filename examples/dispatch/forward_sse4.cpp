// Compiled with -march=x86-64-v2 (SSE4.2, every x86-64 CPU of the last fifteen years).
#include <type_traits>

#include "network.hpp"

static_assert(std::is_same_v<ctnn::simd::default_arch, xsimd::sse4_2>,
              "forward_sse4.cpp must be compiled with -march=x86-64-v2");

namespace dispatch_example {
void forward_sse4(const parameters& p, input x, output y) { ctnn::forward<xsimd::sse4_2>(p, x, y); }
}  // namespace dispatch_example
