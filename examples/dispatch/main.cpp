// Run-time dispatch (docs/dispatch.md): the same network's forward pass built for AVX-512, AVX2
// and SSE4.2, each in its own library; this program, built for the SSE4.2 baseline, asks the CPU
// which it runs and calls the best. It then checks every copy the CPU can run against the scalar
// kernels (built here) and times each one.
//
// Usage: dispatch [--seed S]

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "network.hpp"

namespace {

using namespace dispatch_example;

struct variant {
  const char* name;
  forward_function forward;
  bool runs_here;
};

// In order of preference. __builtin_cpu_supports also checks that the OS saves the wider
// registers (XSAVE state), not only the CPUID bits.
std::array<variant, 3> variants() {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool sse4 = __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
  return {{{"avx512", forward_avx512, avx512}, {"avx2", forward_avx2, avx2}, {"sse4", forward_sse4, sse4}}};
}

double nanoseconds_per_call(forward_function f, const parameters& p, input x, output y) {
  constexpr int calls = 200000;
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < calls; ++k) {
    f(p, x, y);
    asm volatile("" : : "r"(y.data()) : "memory");  // keep every call
  }
  const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / calls;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned seed = 1;
  for (int k = 1; k < argc; ++k) {
    if (std::strcmp(argv[k], "--seed") == 0 && k + 1 < argc) {
      seed = static_cast<unsigned>(std::strtoul(argv[++k], nullptr, 10));
    } else {
      std::fprintf(stderr, "dispatch: unknown argument '%s'\nusage: dispatch [--seed S]\n", argv[k]);
      return 2;
    }
  }

  parameters p;
  ctnn::initialize(p, seed);
  std::array<float, net::input_size> x;
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  for (float& v : x) v = uniform(gen);

  std::array<float, net::output_size> expected;
  ctnn::forward<ctnn::simd::scalar_arch>(p, x, expected);

  const std::array<variant, 3> all = variants();
  const auto best = std::find_if(all.begin(), all.end(), [](const variant& v) { return v.runs_here; });
  if (best == all.end()) {
    std::fprintf(stderr, "dispatch: this CPU has none of AVX-512, AVX2, SSE4.2\n");
    return 1;
  }
  std::printf("dispatch: this CPU runs");
  for (const variant& v : all)
    if (v.runs_here) std::printf(" %s", v.name);
  std::printf("; calling %s\n", best->name);

  std::array<float, net::output_size> y{};
  best->forward(p, x, y);
  std::printf("outputs:");
  for (float v : y) std::printf(" %.5f", static_cast<double>(v));
  std::printf("\n");

  // Every copy the CPU runs agrees with the scalar kernels: within float rounding (fused
  // multiply-adds, another order of the sums, the packs' own tanh).
  bool ok = true;
  for (const variant& v : all) {
    if (!v.runs_here) {
      std::printf("%-7s not run (the CPU lacks it)\n", v.name);
      continue;
    }
    std::array<float, net::output_size> z{};
    v.forward(p, x, z);
    double worst = 0;
    for (std::size_t o = 0; o < z.size(); ++o)
      worst = std::max(worst, std::abs(static_cast<double>(z[o]) - expected[o]));
    const bool agrees = worst <= 1e-5;
    ok = ok && agrees;
    std::printf("%-7s max |y - y_scalar| = %.2e %s, %.1f ns per forward pass\n", v.name, worst,
                agrees ? "ok" : "TOO FAR", nanoseconds_per_call(v.forward, p, x, z));
  }
  if (!ok) {
    std::fprintf(stderr, "dispatch: a SIMD copy differs from the scalar kernels by more than 1e-5\n");
    return 1;
  }
  return 0;
}
