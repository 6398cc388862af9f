// Hessian-vector products (ctnn::hessian_vector) against the gradient of the same mean loss
// (ctnn::loss_and_gradient_batch), float, a batch of 64, on the 16-32-32-1 tanh net and the
// 784-128-10 ReLU classifier: hessian/hvp/<shape> and hessian/gradient/<shape>; bench_report.py
// prints hvp_over_gradient = H·u time / gradient time (the cost of one product in gradients).
// The start-up check holds the gradient hessian_vector returns beside H·u to the gradient pass's.

#include <ctnn/ctnn.hpp>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common.hpp"

namespace {

using small_net = ctnn::network<ctnn::input<16>, ctnn::dense<32>, ctnn::tanh, ctnn::dense<32>, ctnn::tanh,
                                ctnn::dense<1>>;
using mnist_net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;

template <class Net, class Loss>
struct hessian_case {
  static constexpr std::size_t rows = 64;
  std::unique_ptr<ctnn::parameters<Net, float>> p = std::make_unique<ctnn::parameters<Net, float>>();
  std::unique_ptr<ctnn::parameters<Net, float>> u = std::make_unique<ctnn::parameters<Net, float>>();
  std::unique_ptr<ctnn::gradient<Net, float>> g = std::make_unique<ctnn::gradient<Net, float>>();
  std::unique_ptr<ctnn::gradient<Net, float>> hu = std::make_unique<ctnn::gradient<Net, float>>();
  std::unique_ptr<ctnn::workspace<Net, float>> ws = std::make_unique<ctnn::workspace<Net, float>>();
  std::unique_ptr<ctnn::hessian_workspace<Net, float>> hws = std::make_unique<ctnn::hessian_workspace<Net, float>>();
  std::vector<float> x = bench::uniform(rows * Net::input_size, -1, 1, 31);
  std::vector<float> t = Net::output_size == 1 ? bench::uniform(rows, -1, 1, 32)
                                               : bench::one_hot_rows(rows, Net::output_size, 32);
  hessian_case() {
    ctnn::initialize(*p, 5);
    ctnn::initialize(*u, 6);
  }
};

template <class Net, class Loss>
hessian_case<Net, Loss>& shared_case() {
  static hessian_case<Net, Loss> c;
  return c;
}

template <class Net, class Loss>
void hvp(benchmark::State& state, double flops) {
  auto& c = shared_case<Net, Loss>();
  for (auto _ : state) {
    ctnn::hessian_vector(*c.p, Loss{}, c.x, c.t, *c.u, *c.hu, *c.hws);
    benchmark::DoNotOptimize(c.hu->data());
    benchmark::ClobberMemory();
  }
  bench::report(state, flops, hessian_case<Net, Loss>::rows);
}

template <class Net, class Loss>
void gradient(benchmark::State& state, double flops) {
  auto& c = shared_case<Net, Loss>();
  for (auto _ : state) {
    ctnn::loss_and_gradient_batch(*c.p, Loss{}, c.x, c.t, *c.g, *c.ws);
    benchmark::DoNotOptimize(c.g->data());
    benchmark::ClobberMemory();
  }
  bench::report(state, flops, hessian_case<Net, Loss>::rows);
}

template <class Net, class Loss>
bool gradients_agree() {
  auto& c = shared_case<Net, Loss>();
  auto g = std::make_unique<ctnn::gradient<Net, float>>();
  ctnn::hessian_vector(*c.p, Loss{}, c.x, c.t, *c.u, *c.hu, *c.hws, g.get());
  ctnn::loss_and_gradient_batch(*c.p, Loss{}, c.x, c.t, *c.g, *c.ws);
  return bench::close("gradient beside H·u", std::span<const float>(g->data(), g->size()),
                      std::span<const float>(c.g->data(), c.g->size()), 1e-4, "hessian_vector - gradient");
}

template <class Net, class Loss>
bool register_case(const std::string& shape, double gradient_flops) {
  benchmark::RegisterBenchmark(("hessian/gradient/" + shape).c_str(), gradient<Net, Loss>, gradient_flops);
  // Reported with the gradient's flops: the rate says how far the product is from a gradient.
  benchmark::RegisterBenchmark(("hessian/hvp/" + shape).c_str(), hvp<Net, Loss>, gradient_flops);
  bench::checks().emplace_back("hessian_vector " + shape, gradients_agree<Net, Loss>);
  return true;
}

const bool registered =
    register_case<small_net, ctnn::squared_error>(
        "16-32-32-1/batch:64", 64 * bench::gradient_flops({{16, 32}, {32, 32}, {32, 1}})) &&
    register_case<mnist_net, ctnn::softmax_cross_entropy>(
        "784-128-10/batch:64", 64 * bench::gradient_flops({{784, 128}, {128, 10}}));

}  // namespace
