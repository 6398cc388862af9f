// The residual MLP of residual_784.hpp on one thread: one-sample forward (forward/ from
// ctnn::inference_weights, forward_from_parameters/ from the parameter block; Eigen from its own
// column-major copy in both), forward_batch at 256, and training steps at batches 32 and 256
// (ctnn: train_step_batch, the SGD update fused into the backward pass; Eigen: the gradient, then
// the update). The 2-thread twins of the training cases are in residual_threads.cpp.

#include "residual_784.hpp"

namespace {

using residual::in;
using residual::out;
using workspace = ctnn::workspace<residual::net, float>;
using optimizer = ctnn::sgd<residual::net, float>;

std::span<const float, in> sample_x(const residual::setup& s) {
  return std::span<const float, in>(s.x_rows(0), in);
}
std::span<const float, out> sample_t(const residual::setup& s) {
  return std::span<const float, out>(s.t_rows(0), out);
}

float ctnn_train_step(residual::setup& s, optimizer& opt, workspace& ws, std::size_t row,
                      std::size_t batch) {
  return ctnn::train_step_batch(s.p, s.xs(row, batch), s.ts(row, batch), opt,
                                residual::learning_rate, s.g, ws);
}

float eigen_train_step(residual::setup& s, residual::eigen_residual& e, std::size_t row,
                       std::size_t batch) {
  const float loss =
      e.loss_and_gradient_batch(s.x_rows(row), s.t_rows(row), static_cast<Eigen::Index>(batch));
  e.sgd_step(residual::learning_rate);
  return loss;
}

// One sample: outputs (both forward passes), loss and gradient.
bool check_sample() {
  auto s = std::make_unique<residual::setup>();
  residual::eigen_residual e(s->p);
  std::array<float, out> y{}, ey{};
  ctnn::forward(s->p, sample_x(*s), y);
  e.forward(s->x_rows(0), ey.data());
  bool ok = bench::close("forward output", y, ey);
  const auto w = std::make_unique<ctnn::inference_weights<residual::net, float>>(s->p);
  ok &= bench::close("inference forward output", ctnn::forward(*w, sample_x(*s)), ey);
  const float loss = ctnn::loss_and_gradient(s->p, sample_x(*s), sample_t(*s), s->g);
  const float eloss = e.loss_and_gradient(s->x_rows(0), s->t_rows(0));
  ok &= bench::close("loss", loss, eloss);
  ok &= bench::close("gradient", s->g.flat(), e.flat_gradient());
  return ok;
}

// The batch gradient (unfused pass) and the parameters after one fused step, against Eigen's.
bool check_train(std::size_t batch) {
  auto s = std::make_unique<residual::setup>();
  auto ws = std::make_unique<workspace>();
  residual::eigen_residual e(s->p);
  e.reserve(static_cast<Eigen::Index>(batch));
  auto g = std::make_unique<ctnn::gradient<residual::net, float>>();
  ctnn::loss_and_gradient_batch(s->p, s->xs(0, batch), s->ts(0, batch), *g, *ws);
  optimizer opt;
  const float loss = ctnn_train_step(*s, opt, *ws, 0, batch);
  const float eloss = eigen_train_step(*s, e, 0, batch);
  bool ok = bench::close("loss", loss, eloss);
  ok &= bench::close("gradient", g->flat(), e.flat_gradient());
  ok &= bench::close("parameters after the step", s->p.flat(), e.flat_parameters());
  return ok;
}

bool check_forward_batch(std::size_t batch) {
  auto s = std::make_unique<residual::setup>();
  auto ws = std::make_unique<workspace>();
  residual::eigen_residual e(s->p);
  e.reserve(static_cast<Eigen::Index>(batch));
  std::vector<float> y(batch * out), ey(batch * out);
  ctnn::forward_batch(s->p, s->xs(0, batch), y, *ws);
  e.forward_batch(s->x_rows(0), ey.data(), static_cast<Eigen::Index>(batch));
  return bench::close("outputs", y, ey);
}

void ctnn_forward(benchmark::State& state) {
  auto s = std::make_unique<residual::setup>();
  const auto w = std::make_unique<ctnn::inference_weights<residual::net, float>>(s->p);
  std::array<float, out> y{};
  for (auto _ : state) {
    ctnn::forward(*w, sample_x(*s), y);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  bench::report(state, residual::forward_flops(), 1);
}

void ctnn_forward_from_parameters(benchmark::State& state) {
  auto s = std::make_unique<residual::setup>();
  std::array<float, out> y{};
  for (auto _ : state) {
    ctnn::forward(s->p, sample_x(*s), y);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  bench::report(state, residual::forward_flops(), 1);
}

void eigen_forward(benchmark::State& state) {
  auto s = std::make_unique<residual::setup>();
  residual::eigen_residual e(s->p);
  std::array<float, out> y{};
  for (auto _ : state) {
    e.forward(s->x_rows(0), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  bench::report(state, residual::forward_flops(), 1);
}

void ctnn_forward_batch(benchmark::State& state, std::size_t batch) {
  auto s = std::make_unique<residual::setup>();
  auto ws = std::make_unique<workspace>();
  std::vector<float> y(batch * out);
  std::size_t row = 0;
  for (auto _ : state) {
    ctnn::forward_batch(s->p, s->xs(row, batch), y, *ws);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    row = (row + batch) % residual::data_rows;
  }
  bench::report(state, static_cast<double>(batch) * residual::forward_flops(),
                static_cast<double>(batch));
}

void eigen_forward_batch(benchmark::State& state, std::size_t batch) {
  auto s = std::make_unique<residual::setup>();
  residual::eigen_residual e(s->p);
  e.reserve(static_cast<Eigen::Index>(batch));
  std::vector<float> y(batch * out);
  std::size_t row = 0;
  for (auto _ : state) {
    e.forward_batch(s->x_rows(row), y.data(), static_cast<Eigen::Index>(batch));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    row = (row + batch) % residual::data_rows;
  }
  bench::report(state, static_cast<double>(batch) * residual::forward_flops(),
                static_cast<double>(batch));
}

void ctnn_train(benchmark::State& state, std::size_t batch) {
  auto s = std::make_unique<residual::setup>();
  auto ws = std::make_unique<workspace>();
  optimizer opt;
  std::size_t row = 0;
  for (auto _ : state) {
    float loss = ctnn_train_step(*s, opt, *ws, row, batch);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
    row = (row + batch) % residual::data_rows;
  }
  bench::report(state, residual::train_flops(batch), static_cast<double>(batch));
}

void eigen_train(benchmark::State& state, std::size_t batch) {
  auto s = std::make_unique<residual::setup>();
  residual::eigen_residual e(s->p);
  e.reserve(static_cast<Eigen::Index>(batch));
  std::size_t row = 0;
  for (auto _ : state) {
    float loss = eigen_train_step(*s, e, row, batch);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
    row = (row + batch) % residual::data_rows;
  }
  bench::report(state, residual::train_flops(batch), static_cast<double>(batch));
}

const bool registered = [] {
  const std::string shape = residual::shape();
  benchmark::RegisterBenchmark(("ctnn/forward/" + shape).c_str(), ctnn_forward);
  benchmark::RegisterBenchmark(("eigen/forward/" + shape).c_str(), eigen_forward);
  benchmark::RegisterBenchmark(("ctnn/forward_from_parameters/" + shape).c_str(),
                               ctnn_forward_from_parameters);
  benchmark::RegisterBenchmark(("eigen/forward_from_parameters/" + shape).c_str(), eigen_forward);
  bench::checks().emplace_back(shape + " one sample", check_sample);

  const std::string fb = "forward_batch/" + shape + "/batch:256";
  benchmark::RegisterBenchmark(("ctnn/" + fb).c_str(), ctnn_forward_batch, 256);
  benchmark::RegisterBenchmark(("eigen/" + fb).c_str(), eigen_forward_batch, 256);
  bench::checks().emplace_back(fb, [] { return check_forward_batch(256); });

  for (std::size_t batch : {32, 256}) {
    static_assert(residual::data_rows % 256 == 0);
    const std::string name = "train/" + shape + "/batch:" + std::to_string(batch) + "/threads:1";
    benchmark::RegisterBenchmark(("ctnn/" + name).c_str(), ctnn_train, batch);
    benchmark::RegisterBenchmark(("eigen/" + name).c_str(), eigen_train, batch);
    bench::checks().emplace_back(name, [batch] { return check_train(batch); });
  }
  return true;
}();

}  // namespace
