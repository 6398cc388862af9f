// The machine's float FMA peak on one core, measured in the same run as the cases so that every
// case can be reported as a fraction of it: N independent chains of a·m + c on xsimd batches of
// the widest architecture the compiler targets. N accumulators cover FMA latency × FMA ports
// (e.g. 4 cycles × 2 ports = 8 chains); 16 leaves room for wider cores, 8 shows whether that
// already suffices. Both are reported; the report takes the faster as the peak.

#include <cstddef>
#include <string>
#include <utility>
#include <xsimd/xsimd.hpp>

#include "common.hpp"

namespace {

using batch = xsimd::batch<float>;  // xsimd::default_arch: the widest the target has

template <std::size_t Chains>
void fma_peak(benchmark::State& state) {
  constexpr int steps = 1024;  // FMAs per chain per benchmark iteration
  float m_value = 0.999f, c_value = 1e-3f;
  // The compiler must not know the values, or it could fold the chains.
  benchmark::DoNotOptimize(m_value);
  benchmark::DoNotOptimize(c_value);
  const batch m(m_value), c(c_value);
  batch acc[Chains];
  for (std::size_t k = 0; k < Chains; ++k) acc[k] = batch(static_cast<float>(k));
  // The chains are unrolled with constant indices, so the accumulators live in registers at
  // every optimisation level (with a loop over k, g++ -O2 kept them in memory, and the store and
  // reload on each chain halved the measured peak).
  const auto step = [&]<std::size_t... K>(std::index_sequence<K...>) {
    ((acc[K] = xsimd::fma(acc[K], m, c)), ...);
  };
  for (auto _ : state) {
    for (int s = 0; s < steps; ++s) step(std::make_index_sequence<Chains>{});
  }
  // The chains converge to c / (1 − m) = 1: no overflow, no denormals.
  float sum = 0;
  for (std::size_t k = 0; k < Chains; ++k) sum += xsimd::hadd(acc[k]);
  benchmark::DoNotOptimize(sum);
  bench::report(state, 2.0 * batch::size * Chains * steps, 1);
  state.SetLabel(std::string(batch::arch_type::name()) + ", " + std::to_string(batch::size) +
                 " floats per FMA");
}

const bool registered = [] {
  benchmark::RegisterBenchmark("fma_peak/chains:8", fma_peak<8>);
  benchmark::RegisterBenchmark("fma_peak/chains:16", fma_peak<16>);
  return true;
}();

}  // namespace
