// One sample through int8 weights (ctnn::quantized_weights, calibrated on the benchmark's 64
// input rows) against the float inference layout (ctnn::inference_weights) of the same trained-
// shape nets, in the same binary: int8/forward/<shape> is compared with ctnn/forward/<shape>
// (bench_report.py prints vs_float = float time / int8 time, and vs_eigen against the case's
// Eigen baseline). The start-up check holds the int8 outputs to the float outputs within 0.05.

#include <array>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <span>
#include <string>

#include "common.hpp"
#include "mlp_784.hpp"
#include "residual_784.hpp"

namespace {

template <int In, int H1, int H2, int Out>
using tanh_net = ctnn::network<ctnn::input<In>, ctnn::dense<H1>, ctnn::tanh, ctnn::dense<H2>,
                               ctnn::tanh, ctnn::dense<Out>, ctnn::tanh>;

// A net's seeded parameters, rows of inputs, and both inference layouts.
template <class Net>
struct int8_case {
  static constexpr std::size_t in = Net::input_size, out = Net::output_sizes[0];
  static constexpr std::size_t rows = 64;
  std::unique_ptr<ctnn::parameters<Net, float>> p = std::make_unique<ctnn::parameters<Net, float>>();
  std::unique_ptr<ctnn::inference_weights<Net, float>> w;
  std::unique_ptr<ctnn::quantized_weights<Net>> q;
  std::vector<float> x;

  int8_case(std::uint64_t seed, float low, float high)
      : x(bench::uniform(rows * in, low, high, 21)) {
    ctnn::initialize(*p, seed);
    w = std::make_unique<ctnn::inference_weights<Net, float>>(*p);
    ctnn::quantization_ranges<Net> ranges;
    for (std::size_t r = 0; r < rows; ++r) ctnn::observe(ranges, *w, sample(r));
    q = std::make_unique<ctnn::quantized_weights<Net>>(*p, ranges);
  }
  std::span<const float, in> sample(std::size_t r) const { return std::span<const float, in>(x.data() + r * in, in); }
};

template <class Net, std::uint64_t Seed, int Low, int High>
int8_case<Net>& shared_case() {
  static int8_case<Net> c(Seed, float(Low), float(High));
  return c;
}

template <class Net, std::uint64_t Seed, int Low, int High>
void int8_forward(benchmark::State& state, double flops) {
  const auto& c = shared_case<Net, Seed, Low, High>();
  std::array<float, int8_case<Net>::out> y{};
  std::size_t r = 0;
  for (auto _ : state) {
    ctnn::forward(*c.q, c.sample(r), y);
    r = (r + 1) % int8_case<Net>::rows;
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  bench::report(state, flops, 1);
}

template <class Net, std::uint64_t Seed, int Low, int High>
bool int8_close() {
  const auto& c = shared_case<Net, Seed, Low, High>();
  bool ok = true;
  for (std::size_t r = 0; r < int8_case<Net>::rows; ++r)
    ok &= bench::close("output", ctnn::forward(*c.q, c.sample(r)), ctnn::forward(*c.w, c.sample(r)),
                       0.05, "int8 - float");
  return ok;
}

template <class Net, std::uint64_t Seed, int Low, int High>
bool register_int8(const std::string& shape, double flops) {
  benchmark::RegisterBenchmark(("int8/forward/" + shape).c_str(), int8_forward<Net, Seed, Low, High>, flops);
  bench::checks().emplace_back("int8 " + shape, int8_close<Net, Seed, Low, High>);
  return true;
}

// The float cases' nets and seeds (mlp_784.hpp, residual_784.hpp, small_nets.cpp); inputs in the
// same ranges as theirs.
const bool registered =
    register_int8<mlp::net, 5, 0, 1>("784-128-10", mlp::forward_flops()) &&
    register_int8<residual::net, 9, 0, 1>(residual::shape(), residual::forward_flops()) &&
    register_int8<tanh_net<16, 32, 32, 1>, 7, -1, 1>(
        "16-32-32-1", bench::forward_flops({{16, 32}, {32, 32}, {32, 1}})) &&
    register_int8<tanh_net<64, 64, 64, 1>, 7, -1, 1>(
        "64-64-64-1", bench::forward_flops({{64, 64}, {64, 64}, {64, 1}}));

}  // namespace
