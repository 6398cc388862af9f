// One Levenberg–Marquardt iteration of the diabetes example's net (10-16-1 tanh, 342 samples,
// 193 parameters, double): ctnn::levenberg_marquardt::step (Jacobian by one reverse pass per
// sample, JᵀJ, Cholesky, one trial forward pass) against the same iteration hand-written with
// Eigen, as an engineer would for this net: the forward pass over the batch as matrix products,
// the Jacobian rows by hand (∂y/∂W2 = h, ∂y/∂W1 = (W2ᵀ ⊙ (1 − h²)) xᵀ), JᵀJ as one product
// (Eigen's GEMM), LLT, and a trial forward pass. Both solve once per iteration (max_tries = 1)
// from the same parameters, with μ = 1 (μ·I; a smaller μ refuses this first step): fixed on
// Eigen's side, the starting value on ctnn's (each timed iteration restarts from the same state).
// Cases ctnn/lm_step/<shape> and eigen/lm_step/<shape>; the start-up check holds the two steps
// and the losses after them together, and requires the step to be taken.

#include <Eigen/Dense>
#include <ctnn/ctnn.hpp>
#include <cstdio>
#include <memory>
#include <vector>

#include "common.hpp"

namespace {

using net = ctnn::network<ctnn::input<10>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<1>>;
constexpr int samples = 342, in = 10, hidden = 16, P = int(net::parameter_count);
constexpr double damping = 1.0;

struct lm_data {
  std::vector<double> x, t;
  ctnn::parameters<net, double> start;
  lm_data() {
    const auto xf = bench::uniform(samples * in, -2, 2, 41), tf = bench::uniform(samples, -1, 1, 42);
    x.assign(xf.begin(), xf.end());
    t.assign(tf.begin(), tf.end());
    ctnn::initialize(start, 7);
  }
};
const lm_data& data() {
  static const lm_data d;
  return d;
}

// The Eigen iteration. Parameters in ctnn's layout (W1 16×10 row-major, b1, W2 1×16, b2).
struct eigen_lm {
  using mat = Eigen::MatrixXd;
  using vec = Eigen::VectorXd;
  Eigen::Map<const Eigen::Matrix<double, in, Eigen::Dynamic>> x;  // one column per sample
  Eigen::Map<const Eigen::Matrix<double, 1, Eigen::Dynamic>> t;
  mat h = mat(hidden, samples), J = mat(samples, P), A = mat(P, P);
  vec r = vec(samples), g = vec(P), delta = vec(P), trial = vec(P);
  Eigen::LLT<mat> llt{P};

  eigen_lm() : x(data().x.data(), in, samples), t(data().t.data(), 1, samples) {}

  static auto w1(const double* p) { return Eigen::Map<const Eigen::Matrix<double, hidden, in, Eigen::RowMajor>>(p); }
  static auto b1(const double* p) { return Eigen::Map<const Eigen::Matrix<double, hidden, 1>>(p + hidden * in); }
  static auto w2(const double* p) {
    return Eigen::Map<const Eigen::Matrix<double, 1, hidden>>(p + hidden * in + hidden);
  }
  static double b2(const double* p) { return p[hidden * in + 2 * hidden]; }

  // h = tanh(W1 x + b1) for every sample; returns the loss, r = y − t.
  double forward(const double* p) {
    h.noalias() = w1(p) * x;
    h.colwise() += b1(p);
    h = h.array().tanh().matrix();
    r.noalias() = (w2(p) * h).transpose();
    r.array() += b2(p) - t.transpose().array();
    return 0.5 * r.squaredNorm() / samples;
  }

  // One iteration from p into out (p when refused); returns the loss after it.
  double step(const double* p, double* out) {
    const double loss = forward(p);
    const auto v2 = w2(p);
    for (int s = 0; s < samples; ++s) {
      auto row = J.row(s);
      for (int j = 0; j < hidden; ++j) {
        const double dz = v2(j) * (1 - h(j, s) * h(j, s));
        for (int i = 0; i < in; ++i) row(j * in + i) = dz * x(i, s);
        row(hidden * in + j) = dz;
        row(hidden * in + hidden + j) = h(j, s);
      }
      row(P - 1) = 1;
    }
    A.noalias() = J.transpose() * J;
    A.diagonal().array() += damping;
    g.noalias() = J.transpose() * r;
    llt.compute(A);
    delta = llt.solve(-g);
    trial = Eigen::Map<const vec>(p, P) + delta;
    const double trial_loss = forward(trial.data());
    const bool taken = trial_loss < loss;
    Eigen::Map<vec>(out, P) = taken ? trial : Eigen::Map<const vec>(p, P);
    return taken ? trial_loss : loss;
  }
};

void ctnn_lm_step(benchmark::State& state) {
  const auto& d = data();
  ctnn::levenberg_marquardt<net, double> lm(samples, {.initial_damping = damping, .max_tries = 1});
  auto p = std::make_unique<ctnn::parameters<net, double>>();
  for (auto _ : state) {
    *p = d.start;
    const auto it = lm.step(*p, d.x, d.t);
    benchmark::DoNotOptimize(it.loss);
    benchmark::ClobberMemory();
  }
  bench::report(state, 2.0 * samples * P * P + P * double(P) * P / 3, samples);
}

void eigen_lm_step(benchmark::State& state) {
  eigen_lm e;
  std::vector<double> out(P);
  for (auto _ : state) {
    benchmark::DoNotOptimize(e.step(data().start.data(), out.data()));
    benchmark::ClobberMemory();
  }
  bench::report(state, 2.0 * samples * P * P + P * double(P) * P / 3, samples);
}

bool steps_agree() {
  const auto& d = data();
  ctnn::levenberg_marquardt<net, double> lm(samples, {.initial_damping = damping, .max_tries = 1});
  auto p = std::make_unique<ctnn::parameters<net, double>>(d.start);
  const ctnn::lm_iteration it = lm.step(*p, d.x, d.t);
  eigen_lm e;
  std::vector<double> out(P);
  const double eigen_loss = e.step(d.start.data(), out.data());
  // The step must be taken (else both would return the start, and agree trivially).
  if (!it.taken) std::fprintf(stderr, "  the step was refused (loss %.6g): nothing to compare\n", it.loss_before);
  std::vector<float> a(P), b(P);
  for (int k = 0; k < P; ++k) a[k] = float((*p)[k] - d.start[k]), b[k] = float(out[k] - d.start[k]);
  return it.taken && bench::close("loss after one step", float(it.loss), float(eigen_loss)) &&
         bench::close("the step (new - start)", a, b, 1e-4);
}

const bool registered = [] {
  benchmark::RegisterBenchmark("ctnn/lm_step/10-16-1x342", ctnn_lm_step);
  benchmark::RegisterBenchmark("eigen/lm_step/10-16-1x342", eigen_lm_step);
  bench::checks().emplace_back("lm_step 10-16-1x342", steps_agree);
  return true;
}();

}  // namespace
