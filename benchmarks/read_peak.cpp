// The machine's read bandwidth for the weights of the benchmarked nets, measured in the same run
// as the cases. A one-sample forward pass reads every weight once and does one multiply-add per
// weight: with 0.4-0.5 MB of float weights (784-128-10, the residual MLP) the weights live in L2,
// not L1, and the pass cannot be faster than one core reads that many bytes from L2. Here: sums
// over a buffer of that size with 8 independent accumulators of the widest packs (enough loads in
// flight to cover the L2 latency), reported as bytes per second. A forward case's bytes per
// second (weights / time) over this is how close it runs to the bound.

#include <cstddef>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "common.hpp"

namespace {

using batch = xsimd::batch<float>;

void read_peak(benchmark::State& state) {
  constexpr std::size_t L = batch::size, chains = 8;
  const std::size_t bytes = static_cast<std::size_t>(state.range(0));
  const std::size_t n = bytes / sizeof(float) / (chains * L) * (chains * L);
  std::vector<float, xsimd::aligned_allocator<float>> w(n, 1e-3f);
  batch acc[chains];
  for (auto& a : acc) a = batch(0.0f);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; i += chains * L)
      for (std::size_t k = 0; k < chains; ++k) acc[k] += batch::load_aligned(w.data() + i + k * L);
    benchmark::ClobberMemory();
  }
  float sum = 0;
  for (const auto& a : acc) sum += xsimd::hadd(a);
  benchmark::DoNotOptimize(sum);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(n * sizeof(float)));
  state.SetLabel(std::string(batch::arch_type::name()) + ", " + std::to_string(n * sizeof(float)) +
                 " bytes");
}

const bool registered = [] {
  // The float weights of 784-128-10 (407,080 bytes) and of the residual MLP (473,128 bytes).
  benchmark::RegisterBenchmark("read_peak/784-128-10", read_peak)->Arg(407080);
  benchmark::RegisterBenchmark("read_peak/residual-784-128-128-10", read_peak)->Arg(473128);
  return true;
}();

}  // namespace
