// The residual MLP of residual_784.hpp on 2 threads: training steps at batches 32 and 256
// (train_step_batch(pool, ...), the SGD update fused into the threads' reduction of the gradient;
// Eigen: its threaded gradient (OpenMP, Eigen::setNbThreads(2)), then the update). The one-thread
// twins are in residual.cpp. Timed by the wall clock, as in mlp_threads.cpp.

#include "residual_784.hpp"

namespace {

using residual::in;
using residual::out;
constexpr std::size_t threads = 2;
using parallel_workspace = ctnn::parallel_workspace<residual::net, float>;

// Eigen is held to 1 thread everywhere but in the cases below (as mlp_threads.cpp does; said here
// too, so that residual.cpp's one-thread baselines do not depend on that file being built).
const bool eigen_one_thread = [] {
  Eigen::setNbThreads(1);
  return true;
}();

struct eigen_threads {
  explicit eigen_threads(int n) { Eigen::setNbThreads(n); }
  ~eigen_threads() { Eigen::setNbThreads(1); }
  eigen_threads(const eigen_threads&) = delete;
  eigen_threads& operator=(const eigen_threads&) = delete;
};

struct threaded_setup {
  ctnn::thread_pool pool{threads};
  std::unique_ptr<parallel_workspace> pws = std::make_unique<parallel_workspace>(pool);
  std::unique_ptr<residual::setup> s = std::make_unique<residual::setup>();
  ctnn::sgd<residual::net, float> opt;
};

float ctnn_train_step(threaded_setup& c, std::size_t row, std::size_t batch) {
  residual::setup& s = *c.s;
  return ctnn::train_step_batch(c.pool, s.p, s.xs(row, batch), s.ts(row, batch), c.opt,
                                residual::learning_rate, s.g, *c.pws);
}

float eigen_train_step(residual::setup& s, residual::eigen_residual& e, std::size_t row,
                       std::size_t batch) {
  const float loss =
      e.loss_and_gradient_batch(s.x_rows(row), s.t_rows(row), static_cast<Eigen::Index>(batch));
  e.sgd_step(residual::learning_rate);
  return loss;
}

bool check_train(std::size_t batch) {
  threaded_setup c;
  auto s = std::make_unique<residual::setup>();
  residual::eigen_residual e(s->p);
  e.reserve(static_cast<Eigen::Index>(batch));
  const eigen_threads two(threads);
  bool ok = Eigen::nbThreads() == static_cast<int>(threads);
  if (!ok) std::fprintf(stderr, "  Eigen runs on %d thread(s), not %zu\n", Eigen::nbThreads(), threads);
  // The gradient from the unfused threaded pass; then one fused step from the same start.
  auto g = std::make_unique<ctnn::gradient<residual::net, float>>();
  ctnn::loss_and_gradient_batch(c.pool, c.s->p, c.s->xs(0, batch), c.s->ts(0, batch), *g, *c.pws);
  const float loss = ctnn_train_step(c, 0, batch);
  const float eloss = eigen_train_step(*s, e, 0, batch);
  ok &= bench::close("loss", loss, eloss);
  ok &= bench::close("gradient", g->flat(), e.flat_gradient());
  ok &= bench::close("parameters after the step", c.s->p.flat(), e.flat_parameters());
  return ok;
}

void ctnn_train(benchmark::State& state, std::size_t batch) {
  threaded_setup c;
  std::size_t row = 0;
  for (auto _ : state) {
    float loss = ctnn_train_step(c, row, batch);
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
  const eigen_threads two(threads);
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
  for (std::size_t batch : {32, 256}) {
    const std::string name = "train/" + residual::shape() + "/batch:" + std::to_string(batch) +
                             "/threads:" + std::to_string(threads);
    benchmark::RegisterBenchmark(("ctnn/" + name).c_str(), ctnn_train, batch)->UseRealTime();
    benchmark::RegisterBenchmark(("eigen/" + name).c_str(), eigen_train, batch)->UseRealTime();
    bench::checks().emplace_back(name, [batch] { return check_train(batch); });
  }
  return true;
}();

}  // namespace
