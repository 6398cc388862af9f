// Mini-batches through 784-128-10 ReLU: training steps at batches 1, 32, 256 with
// softmax_cross_entropy and SGD p −= lr·g (ctnn: train_step_batch, the update fused into the
// backward pass; Eigen: the gradient, then the update), and batched inference (forward_batch) at
// 256. Successive steps take successive batches of a 1024-sample set.

#include "mlp_784.hpp"

namespace {

using mlp::in;
using mlp::out;
using workspace = ctnn::workspace<mlp::net, float>;
using optimizer = ctnn::sgd<mlp::net, float>;

float ctnn_train_step(mlp::setup& s, optimizer& opt, workspace& ws, std::size_t row,
                      std::size_t batch) {
  return ctnn::train_step_batch(s.p, ctnn::softmax_cross_entropy{},
                                std::span<const float>(s.x_rows(row), batch * in),
                                std::span<const float>(s.t_rows(row), batch * out), opt,
                                mlp::learning_rate, s.g, ws);
}

float eigen_train_step(mlp::setup& s, mlp::eigen_mlp& e, std::size_t row, std::size_t batch) {
  const float loss =
      e.loss_and_gradient_batch(s.x_rows(row), s.t_rows(row), static_cast<Eigen::Index>(batch));
  e.sgd_step(mlp::learning_rate);
  return loss;
}

// The gradient (unfused pass) and the parameters after one fused step, against Eigen's.
bool check_train(std::size_t batch) {
  auto s = std::make_unique<mlp::setup>();
  auto ws = std::make_unique<workspace>();
  mlp::eigen_mlp e(s->p);
  auto g = std::make_unique<ctnn::gradient<mlp::net, float>>();
  ctnn::loss_and_gradient_batch(s->p, ctnn::softmax_cross_entropy{},
                                std::span<const float>(s->x_rows(0), batch * in),
                                std::span<const float>(s->t_rows(0), batch * out), *g, *ws);
  optimizer opt;
  const float loss = ctnn_train_step(*s, opt, *ws, 0, batch);
  const float eloss = eigen_train_step(*s, e, 0, batch);
  bool ok = bench::close("loss", loss, eloss);
  ok &= bench::close("gradient", g->flat(), e.flat_gradient());
  ok &= bench::close("parameters after the step", s->p.flat(), e.flat_parameters());
  return ok;
}

bool check_forward_batch(std::size_t batch) {
  auto s = std::make_unique<mlp::setup>();
  auto ws = std::make_unique<workspace>();
  mlp::eigen_mlp e(s->p);
  std::vector<float> y(batch * out), ey(batch * out);
  ctnn::forward_batch(s->p, std::span<const float>(s->x_rows(0), batch * in), y, *ws);
  e.forward_batch(s->x_rows(0), ey.data(), static_cast<Eigen::Index>(batch));
  return bench::close("outputs", y, ey);
}

void ctnn_train(benchmark::State& state, std::size_t batch) {
  auto s = std::make_unique<mlp::setup>();
  auto ws = std::make_unique<workspace>();
  optimizer opt;
  std::size_t row = 0;
  for (auto _ : state) {
    float loss = ctnn_train_step(*s, opt, *ws, row, batch);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
    row = (row + batch) % mlp::data_rows;
  }
  bench::report(state, mlp::train_flops(batch), static_cast<double>(batch));
}

void eigen_train(benchmark::State& state, std::size_t batch) {
  auto s = std::make_unique<mlp::setup>();
  mlp::eigen_mlp e(s->p);
  std::size_t row = 0;
  for (auto _ : state) {
    float loss = eigen_train_step(*s, e, row, batch);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
    row = (row + batch) % mlp::data_rows;
  }
  bench::report(state, mlp::train_flops(batch), static_cast<double>(batch));
}

void ctnn_forward_batch(benchmark::State& state, std::size_t batch) {
  auto s = std::make_unique<mlp::setup>();
  auto ws = std::make_unique<workspace>();
  std::vector<float> y(batch * out);
  std::size_t row = 0;
  for (auto _ : state) {
    ctnn::forward_batch(s->p, std::span<const float>(s->x_rows(row), batch * in), y, *ws);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    row = (row + batch) % mlp::data_rows;
  }
  bench::report(state, static_cast<double>(batch) * mlp::forward_flops(), static_cast<double>(batch));
}

void eigen_forward_batch(benchmark::State& state, std::size_t batch) {
  auto s = std::make_unique<mlp::setup>();
  mlp::eigen_mlp e(s->p);
  std::vector<float> y(batch * out);
  std::size_t row = 0;
  for (auto _ : state) {
    e.forward_batch(s->x_rows(row), y.data(), static_cast<Eigen::Index>(batch));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    row = (row + batch) % mlp::data_rows;
  }
  bench::report(state, static_cast<double>(batch) * mlp::forward_flops(), static_cast<double>(batch));
}

const bool registered = [] {
  // One thread here; the 2-thread twins are in mlp_threads.cpp.
  for (std::size_t batch : {1, 32, 256}) {
    static_assert(mlp::data_rows % 256 == 0);
    const std::string name = "train/784-128-10/batch:" + std::to_string(batch) + "/threads:1";
    benchmark::RegisterBenchmark(("ctnn/" + name).c_str(), ctnn_train, batch);
    benchmark::RegisterBenchmark(("eigen/" + name).c_str(), eigen_train, batch);
    bench::checks().emplace_back(name, [batch] { return check_train(batch); });
  }
  const std::string name = "forward_batch/784-128-10/batch:256";
  benchmark::RegisterBenchmark(("ctnn/" + name).c_str(), ctnn_forward_batch, 256);
  benchmark::RegisterBenchmark(("eigen/" + name).c_str(), eigen_forward_batch, 256);
  bench::checks().emplace_back(name, [] { return check_forward_batch(256); });
  return true;
}();

}  // namespace
