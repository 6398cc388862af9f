#pragma once
// The 784-128-10 ReLU net (Fashion-MNIST sized; logits out, softmax_cross_entropy), in ctnn and
// as a hand-written Eigen baseline: row-major batches, one sample per row, noalias matrix
// products Z = X·Wᵀ, the softmax cross-entropy gradient δz = (softmax(z)·Σt − t)/n, and the
// same SGD update p −= lr·g. W is stored out×in row-major on both sides.

#include <Eigen/Dense>
#include <array>
#include <cmath>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <vector>

#include "common.hpp"

namespace mlp {

using net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
constexpr int in = 784, hidden = 128, out = 10;
constexpr float learning_rate = 1e-3f;
// Training cycles through this many samples, so a batch is not the same rows every step.
constexpr std::size_t data_rows = 1024;

inline double forward_flops() { return bench::forward_flops({{in, hidden}, {hidden, out}}); }
inline double gradient_flops() { return bench::gradient_flops({{in, hidden}, {hidden, out}}); }
// One SGD step on a batch: the gradient of every sample, then p −= lr·g (2 FLOPs per parameter).
inline double train_flops(std::size_t batch) {
  return static_cast<double>(batch) * gradient_flops() + 2.0 * net::parameter_count;
}

struct eigen_mlp {
  using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using vector = Eigen::VectorXf;
  using const_map = Eigen::Map<const matrix>;
  using const_vector_map = Eigen::Map<const vector>;

  matrix w1, w2, gw1, gw2;
  vector b1, b2, gb1, gb2;
  // Batch buffers (n rows) and single-sample buffers.
  matrix z1, a1, z2, d2, d1;
  vector row_max, row_sum, target_mass;
  vector sz1, sa1, sz2, sd2, sd1;

  explicit eigen_mlp(const ctnn::parameters<net, float>& p) {
    w1 = const_map(p.layer<0>().weights().data(), hidden, in);
    b1 = const_vector_map(p.layer<0>().biases().data(), hidden);
    w2 = const_map(p.layer<1>().weights().data(), out, hidden);
    b2 = const_vector_map(p.layer<1>().biases().data(), out);
  }

  // ---- one sample (column vectors) ----
  void forward(const float* x, float* y) {
    sz1.noalias() = w1 * const_vector_map(x, in);
    sa1 = (sz1 + b1).cwiseMax(0.0f);
    Eigen::Map<vector> ym(y, out);
    ym.noalias() = w2 * sa1;
    ym += b2;
  }

  float loss_and_gradient(const float* x_ptr, const float* t_ptr) {
    const const_vector_map x(x_ptr, in), t(t_ptr, out);
    sz1.noalias() = w1 * x;
    sz1 += b1;
    sa1 = sz1.cwiseMax(0.0f);
    sz2.noalias() = w2 * sa1;
    sz2 += b2;
    // C = Σt·logsumexp(z) − t·z;  δz = softmax(z)·Σt − t.
    const float m = sz2.maxCoeff();
    sd2 = (sz2.array() - m).exp().matrix();
    const float s = sd2.sum(), mass = t.sum();
    const float loss = mass * (m + std::log(s)) - t.dot(sz2);
    sd2 = sd2 * (mass / s) - t;
    gw2.noalias() = sd2 * sa1.transpose();
    gb2 = sd2;
    sd1.noalias() = w2.transpose() * sd2;
    sd1 = (sz1.array() > 0.0f).select(sd1, 0.0f);
    gw1.noalias() = sd1 * x.transpose();
    gb1 = sd1;
    return loss;
  }

  // ---- batches (row-major, n rows) ----
  void forward_batch(const float* x_ptr, float* y_ptr, Eigen::Index n) {
    const const_map x(x_ptr, n, in);
    Eigen::Map<matrix> y(y_ptr, n, out);
    z1.noalias() = x * w1.transpose();
    z1.rowwise() += b1.transpose();
    a1 = z1.cwiseMax(0.0f);
    y.noalias() = a1 * w2.transpose();
    y.rowwise() += b2.transpose();
  }

  // Mean loss over the batch; gw, gb = its gradient.
  float loss_and_gradient_batch(const float* x_ptr, const float* t_ptr, Eigen::Index n) {
    const const_map x(x_ptr, n, in), t(t_ptr, n, out);
    z1.noalias() = x * w1.transpose();
    z1.rowwise() += b1.transpose();
    a1 = z1.cwiseMax(0.0f);
    z2.noalias() = a1 * w2.transpose();
    z2.rowwise() += b2.transpose();
    row_max = z2.rowwise().maxCoeff();
    d2 = (z2.colwise() - row_max).array().exp().matrix();
    row_sum = d2.rowwise().sum();
    target_mass = t.rowwise().sum();
    const float loss =
        ((row_max.array() + row_sum.array().log()) * target_mass.array()).sum() -
        t.cwiseProduct(z2).sum();
    const float scale = 1.0f / static_cast<float>(n);
    d2 = ((d2.array().colwise() * (target_mass.array() / row_sum.array())).matrix() - t) * scale;
    gw2.noalias() = d2.transpose() * a1;
    gb2 = d2.colwise().sum().transpose();
    d1.noalias() = d2 * w2;
    d1 = (z1.array() > 0.0f).select(d1, 0.0f);
    gw1.noalias() = d1.transpose() * x;
    gb1 = d1.colwise().sum().transpose();
    return loss * scale;
  }

  void sgd_step(float lr) {
    w1 -= lr * gw1;
    b1 -= lr * gb1;
    w2 -= lr * gw2;
    b2 -= lr * gb2;
  }

  // Parameters / gradient in ctnn's flat layout, for the start-up checks.
  static std::vector<float> flat(const matrix& wa, const vector& ba, const matrix& wb,
                                 const vector& bb) {
    std::vector<float> v;
    for (const auto* m : {&wa, &wb}) {
      const auto& b = m == &wa ? ba : bb;
      v.insert(v.end(), m->data(), m->data() + m->size());  // row-major: out×in as ctnn
      v.insert(v.end(), b.data(), b.data() + b.size());
    }
    return v;
  }
  std::vector<float> flat_parameters() const { return flat(w1, b1, w2, b2); }
  std::vector<float> flat_gradient() const { return flat(gw1, gb1, gw2, gb2); }
};

// Both sides of every 784-128-10 case start from these: seeded parameters, data_rows inputs in
// [0, 1) (pixel-like) and one-hot targets.
struct setup {
  ctnn::parameters<net, float> p;
  ctnn::gradient<net, float> g;
  std::vector<float> x = bench::uniform(data_rows * in, 0, 1, 21);
  std::vector<float> t = bench::one_hot_rows(data_rows, out, 23);
  setup() { ctnn::initialize(p, 5); }

  const float* x_rows(std::size_t first) const { return x.data() + first * in; }
  const float* t_rows(std::size_t first) const { return t.data() + first * out; }
};

}  // namespace mlp
