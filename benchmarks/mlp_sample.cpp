// One sample through 784-128-10 ReLU: forward, and gradient = forward + backward of
// softmax_cross_entropy on the logits. Eigen baseline: matrix-vector products on row-major W.
// forward/ runs ctnn::inference_weights (the weights copied once into the inference layout),
// forward_from_parameters/ ctnn::forward on the parameter block itself.

#include "mlp_784.hpp"

namespace {

using mlp::in;
using mlp::out;

std::span<const float, in> sample_x(const mlp::setup& s) { return std::span<const float, in>(s.x_rows(0), in); }
std::span<const float, out> sample_t(const mlp::setup& s) { return std::span<const float, out>(s.t_rows(0), out); }

bool check() {
  auto s = std::make_unique<mlp::setup>();
  mlp::eigen_mlp e(s->p);
  std::array<float, out> y{}, ey{};
  ctnn::forward(s->p, sample_x(*s), y);
  e.forward(s->x_rows(0), ey.data());
  bool ok = bench::close("forward output", y, ey);
  const auto w = std::make_unique<ctnn::inference_weights<mlp::net, float>>(s->p);
  ok &= bench::close("inference forward output", ctnn::forward(*w, sample_x(*s)), ey);
  const float loss =
      ctnn::loss_and_gradient(s->p, ctnn::softmax_cross_entropy{}, sample_x(*s), sample_t(*s), s->g);
  const float eloss = e.loss_and_gradient(s->x_rows(0), s->t_rows(0));
  ok &= bench::close("loss", loss, eloss);
  ok &= bench::close("gradient", s->g.flat(), e.flat_gradient());
  return ok;
}

void ctnn_forward(benchmark::State& state) {
  auto s = std::make_unique<mlp::setup>();
  const auto w = std::make_unique<ctnn::inference_weights<mlp::net, float>>(s->p);
  std::array<float, out> y{};
  for (auto _ : state) {
    ctnn::forward(*w, sample_x(*s), y);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  bench::report(state, mlp::forward_flops(), 1);
}

void ctnn_forward_from_parameters(benchmark::State& state) {
  auto s = std::make_unique<mlp::setup>();
  std::array<float, out> y{};
  for (auto _ : state) {
    ctnn::forward(s->p, sample_x(*s), y);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  bench::report(state, mlp::forward_flops(), 1);
}

void eigen_forward(benchmark::State& state) {
  auto s = std::make_unique<mlp::setup>();
  mlp::eigen_mlp e(s->p);
  std::array<float, out> y{};
  for (auto _ : state) {
    e.forward(s->x_rows(0), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  bench::report(state, mlp::forward_flops(), 1);
}

void ctnn_gradient(benchmark::State& state) {
  auto s = std::make_unique<mlp::setup>();
  for (auto _ : state) {
    float loss = ctnn::loss_and_gradient(s->p, ctnn::softmax_cross_entropy{}, sample_x(*s),
                                         sample_t(*s), s->g);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  bench::report(state, mlp::gradient_flops(), 1);
}

void eigen_gradient(benchmark::State& state) {
  auto s = std::make_unique<mlp::setup>();
  mlp::eigen_mlp e(s->p);
  for (auto _ : state) {
    float loss = e.loss_and_gradient(s->x_rows(0), s->t_rows(0));
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  bench::report(state, mlp::gradient_flops(), 1);
}

const bool registered = [] {
  benchmark::RegisterBenchmark("ctnn/forward/784-128-10", ctnn_forward);
  benchmark::RegisterBenchmark("eigen/forward/784-128-10", eigen_forward);
  benchmark::RegisterBenchmark("ctnn/forward_from_parameters/784-128-10",
                               ctnn_forward_from_parameters);
  benchmark::RegisterBenchmark("eigen/forward_from_parameters/784-128-10", eigen_forward);
  benchmark::RegisterBenchmark("ctnn/gradient/784-128-10", ctnn_gradient);
  benchmark::RegisterBenchmark("eigen/gradient/784-128-10", eigen_gradient);
  bench::checks().emplace_back("784-128-10 one sample", check);
  return true;
}();

}  // namespace
