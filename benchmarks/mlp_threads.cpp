// 784-128-10 ReLU on 2 threads: training steps (train_step_batch(pool, ...) with
// softmax_cross_entropy and SGD p −= lr·g, the update fused into the threads' reduction of the
// gradient; Eigen: its threaded gradient, then the update) at batches 1, 32, 256, and
// batched inference forward_batch(pool, ...) at 256. The one-thread twins of these cases are in
// mlp_batch.cpp; bench_report.py pairs "<case>/threads:2" with them for vs_one_thread.
//
// The Eigen twins run Eigen's own threaded matrix products (OpenMP, Eigen::setNbThreads(2));
// everywhere else in this binary Eigen is held to 1 thread (set below, before main).
//
// Timing: wall-clock time (->UseRealTime()): the CPU time of the calling thread would not see
// the second thread's work. On a shared machine the wall clock also sees other processes, so
// compare these cases with the one-thread ones of the same run only.


#include "mlp_784.hpp"

namespace {

using mlp::in;
using mlp::out;
constexpr std::size_t threads = 2;
using parallel_workspace = ctnn::parallel_workspace<mlp::net, float>;

// Eigen with OpenMP would use every core in every product, including the one-thread baselines of
// the other files: hold it to 1 thread, and let the cases below ask for more while they run.
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

// The whole threaded setup of one case: pool, per-thread buffers, data.
struct threaded_setup {
  ctnn::thread_pool pool{threads};
  std::unique_ptr<parallel_workspace> pws = std::make_unique<parallel_workspace>(pool);
  std::unique_ptr<mlp::setup> s = std::make_unique<mlp::setup>();
  ctnn::sgd<mlp::net, float> opt;
};

float ctnn_train_step(threaded_setup& c, std::size_t row, std::size_t batch) {
  mlp::setup& s = *c.s;
  return ctnn::train_step_batch(c.pool, s.p, ctnn::softmax_cross_entropy{},
                                std::span<const float>(s.x_rows(row), batch * in),
                                std::span<const float>(s.t_rows(row), batch * out), c.opt,
                                mlp::learning_rate, s.g, *c.pws);
}

float eigen_train_step(mlp::setup& s, mlp::eigen_mlp& e, std::size_t row, std::size_t batch) {
  const float loss =
      e.loss_and_gradient_batch(s.x_rows(row), s.t_rows(row), static_cast<Eigen::Index>(batch));
  e.sgd_step(mlp::learning_rate);
  return loss;
}

// Eigen must really run on 2 threads, or the Eigen twins below would measure one.
bool eigen_is_threaded() {
  const eigen_threads two(threads);
  const bool ok = Eigen::nbThreads() == static_cast<int>(threads);
  if (!ok)
    std::fprintf(stderr,
                 "  Eigen runs on %d thread(s), not %zu: is the benchmark built with "
                 "OpenMP?\n",
                 Eigen::nbThreads(), threads);
  return ok;
}

bool check_train(std::size_t batch) {
  threaded_setup c;
  auto s = std::make_unique<mlp::setup>();
  mlp::eigen_mlp e(s->p);
  const eigen_threads two(threads);
  // The gradient from the unfused threaded pass; then one fused step from the same start.
  auto g = std::make_unique<ctnn::gradient<mlp::net, float>>();
  ctnn::loss_and_gradient_batch(c.pool, c.s->p, ctnn::softmax_cross_entropy{},
                                std::span<const float>(c.s->x_rows(0), batch * in),
                                std::span<const float>(c.s->t_rows(0), batch * out), *g, *c.pws);
  const float loss = ctnn_train_step(c, 0, batch);
  const float eloss = eigen_train_step(*s, e, 0, batch);
  bool ok = eigen_is_threaded();
  ok &= bench::close("loss", loss, eloss);
  ok &= bench::close("gradient", g->flat(), e.flat_gradient());
  ok &= bench::close("parameters after the step", c.s->p.flat(), e.flat_parameters());
  return ok;
}

bool check_forward_batch(std::size_t batch) {
  threaded_setup c;
  mlp::eigen_mlp e(c.s->p);
  const eigen_threads two(threads);
  std::vector<float> y(batch * out), ey(batch * out);
  ctnn::forward_batch(c.pool, c.s->p, std::span<const float>(c.s->x_rows(0), batch * in), y,
                      *c.pws);
  e.forward_batch(c.s->x_rows(0), ey.data(), static_cast<Eigen::Index>(batch));
  return eigen_is_threaded() && bench::close("outputs", y, ey);
}

void ctnn_train(benchmark::State& state, std::size_t batch) {
  threaded_setup c;
  std::size_t row = 0;
  for (auto _ : state) {
    float loss = ctnn_train_step(c, row, batch);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
    row = (row + batch) % mlp::data_rows;
  }
  bench::report(state, mlp::train_flops(batch), static_cast<double>(batch));
}

void eigen_train(benchmark::State& state, std::size_t batch) {
  auto s = std::make_unique<mlp::setup>();
  mlp::eigen_mlp e(s->p);
  const eigen_threads two(threads);
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
  threaded_setup c;
  std::vector<float> y(batch * out);
  std::size_t row = 0;
  for (auto _ : state) {
    ctnn::forward_batch(c.pool, c.s->p, std::span<const float>(c.s->x_rows(row), batch * in), y,
                        *c.pws);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    row = (row + batch) % mlp::data_rows;
  }
  bench::report(state, static_cast<double>(batch) * mlp::forward_flops(),
                static_cast<double>(batch));
}

void eigen_forward_batch(benchmark::State& state, std::size_t batch) {
  auto s = std::make_unique<mlp::setup>();
  mlp::eigen_mlp e(s->p);
  const eigen_threads two(threads);
  std::vector<float> y(batch * out);
  std::size_t row = 0;
  for (auto _ : state) {
    e.forward_batch(s->x_rows(row), y.data(), static_cast<Eigen::Index>(batch));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    row = (row + batch) % mlp::data_rows;
  }
  bench::report(state, static_cast<double>(batch) * mlp::forward_flops(),
                static_cast<double>(batch));
}

const bool registered = [] {
  const std::string suffix = "/threads:" + std::to_string(threads);
  for (std::size_t batch : {1, 32, 256}) {
    static_assert(mlp::data_rows % 256 == 0);
    const std::string name = "train/784-128-10/batch:" + std::to_string(batch) + suffix;
    benchmark::RegisterBenchmark(("ctnn/" + name).c_str(), ctnn_train, batch)->UseRealTime();
    benchmark::RegisterBenchmark(("eigen/" + name).c_str(), eigen_train, batch)->UseRealTime();
    bench::checks().emplace_back(name, [batch] { return check_train(batch); });
  }
  const std::string name = "forward_batch/784-128-10/batch:256" + suffix;
  benchmark::RegisterBenchmark(("ctnn/" + name).c_str(), ctnn_forward_batch, 256)->UseRealTime();
  benchmark::RegisterBenchmark(("eigen/" + name).c_str(), eigen_forward_batch, 256)->UseRealTime();
  bench::checks().emplace_back(name, [] { return check_forward_batch(256); });
  return true;
}();

}  // namespace
