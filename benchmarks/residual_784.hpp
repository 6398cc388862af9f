#pragma once
// A residual MLP, 784 → h = relu(W1 x + b1) (128) → r = h + relu(W2 h + b2) (128) → W3 r + b3
// (10 logits), trained with softmax_cross_entropy and SGD p −= lr·g: in ctnn as a graph with an
// objective (the skip connection reads h twice, one node), and as a hand-written Eigen baseline.
//
// Eigen baseline: column-major matrices throughout. Each W is out×in column-major (copied once
// from ctnn's row-major block), a batch is in×n with one sample per column (the very memory of
// ctnn's row-major n×in batch, mapped without a copy), so every layer is one GEMM Z = W X, and the
// backward pass is ∂W = Δ Xᵀ, Δ_prev = Wᵀ Δ, with the skip's adjoint added by accumulating
// W2ᵀ Δz2 onto δr in the same GEMM (δh = δr + W2ᵀ δz2). One sample runs the same code as
// matrix-vector products. Every buffer is sized before the timed loop.

#include <Eigen/Dense>
#include <array>
#include <cmath>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common.hpp"

namespace residual {

namespace op = ctnn::op;
using x = op::input<"x", 784>;
using h = op::relu<op::dense<"fc1", 128, x>>;
using r = op::add<h, op::relu<op::dense<"fc2", 128, h>>>;
using y = op::dense<"head", 10, r>;
using net = ctnn::graph<ctnn::inputs<x>, ctnn::outputs<y>,
                        ctnn::objective<op::softmax_cross_entropy<y>>>;

constexpr int in = 784, hidden = 128, out = 10;
constexpr float learning_rate = 1e-3f;
// Training cycles through this many samples, so a batch is not the same rows every step.
constexpr std::size_t data_rows = 1024;
// The shape part of the case names.
inline std::string shape() { return "residual-784-128-128-10"; }

// The residual add is O(hidden) and not counted, as activations and biases are not.
inline double forward_flops() {
  return bench::forward_flops({{in, hidden}, {hidden, hidden}, {hidden, out}});
}
inline double gradient_flops() {
  return bench::gradient_flops({{in, hidden}, {hidden, hidden}, {hidden, out}});
}
inline double train_flops(std::size_t batch) {
  return static_cast<double>(batch) * gradient_flops() + 2.0 * net::parameter_count;
}

struct eigen_residual {
  using matrix = Eigen::MatrixXf;  // column-major
  using vector = Eigen::VectorXf;
  using const_map = Eigen::Map<const matrix>;
  using const_vector_map = Eigen::Map<const vector>;
  using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  matrix w1, w2, w3, gw1, gw2, gw3;
  vector b1, b2, b3, gb1, gb2, gb3;
  // Batch buffers, one column per sample: h = relu(z1) (its mask is z1's), z2 (+ b2), r, logits,
  // then δ of the logits, δr (then δh), δz2.
  matrix hb, z2, rb, d3, dr, dz2;
  Eigen::RowVectorXf col_max, col_sum, target_mass;
  // One-sample buffers.
  vector sh, sz2, sr, sd3, sdr, sdz2;

  explicit eigen_residual(const ctnn::parameters<net, float>& p) {
    auto copy = [](matrix& w, vector& b, auto layer) {
      w = Eigen::Map<const row_major>(layer.weights().data(), static_cast<Eigen::Index>(layer.out),
                                      static_cast<Eigen::Index>(layer.in));
      b = const_vector_map(layer.biases().data(), static_cast<Eigen::Index>(layer.out));
    };
    copy(w1, b1, p.layer<"fc1">());
    copy(w2, b2, p.layer<"fc2">());
    copy(w3, b3, p.layer<"head">());
    gw1.resize(hidden, in), gw2.resize(hidden, hidden), gw3.resize(out, hidden);
    gb1.resize(hidden), gb2.resize(hidden), gb3.resize(out);
    sh.resize(hidden), sz2.resize(hidden), sr.resize(hidden), sd3.resize(out);
    sdr.resize(hidden), sdz2.resize(hidden);
  }

  // Sizes the batch buffers for n samples (outside the timed loops).
  void reserve(Eigen::Index n) {
    hb.resize(hidden, n), z2.resize(hidden, n), rb.resize(hidden, n), d3.resize(out, n);
    dr.resize(hidden, n), dz2.resize(hidden, n);
    col_max.resize(n), col_sum.resize(n), target_mass.resize(n);
  }

  // ---- one sample ----
  void forward(const float* x_ptr, float* y_ptr) {
    const const_vector_map xv(x_ptr, in);
    Eigen::Map<vector> yv(y_ptr, out);
    sh.noalias() = w1 * xv;
    sh = (sh + b1).cwiseMax(0.0f);
    sz2.noalias() = w2 * sh;
    sr = sh + (sz2 + b2).cwiseMax(0.0f);
    yv.noalias() = w3 * sr;
    yv += b3;
  }

  float loss_and_gradient(const float* x_ptr, const float* t_ptr) {
    const const_vector_map xv(x_ptr, in), t(t_ptr, out);
    sh.noalias() = w1 * xv;
    sh = (sh + b1).cwiseMax(0.0f);
    sz2.noalias() = w2 * sh;
    sz2 += b2;
    sr = sh + sz2.cwiseMax(0.0f);
    sd3.noalias() = w3 * sr;
    sd3 += b3;
    // C = Σt·logsumexp(z) − t·z;  δz = softmax(z)·Σt − t.
    const float m = sd3.maxCoeff(), mass = t.sum();
    const float zt = t.dot(sd3);
    sd3 = (sd3.array() - m).exp().matrix();
    const float s = sd3.sum();
    const float loss = mass * (m + std::log(s)) - zt;
    sd3 = sd3 * (mass / s) - t;
    gw3.noalias() = sd3 * sr.transpose();
    gb3 = sd3;
    sdr.noalias() = w3.transpose() * sd3;
    sdz2 = (sz2.array() > 0.0f).select(sdr, 0.0f);
    gw2.noalias() = sdz2 * sh.transpose();
    gb2 = sdz2;
    sdr.noalias() += w2.transpose() * sdz2;  // δh = δr + W2ᵀ δz2
    sdr = (sh.array() > 0.0f).select(sdr, 0.0f);
    gw1.noalias() = sdr * xv.transpose();
    gb1 = sdr;
    return loss;
  }

  // ---- batches: ctnn's row-major n×in rows are Eigen's column-major in×n ----
  void forward_batch(const float* x_ptr, float* y_ptr, Eigen::Index n) {
    const const_map xb(x_ptr, in, n);
    Eigen::Map<matrix> yb(y_ptr, out, n);
    hb.noalias() = w1 * xb;
    hb = (hb.colwise() + b1).cwiseMax(0.0f);
    z2.noalias() = w2 * hb;
    rb = hb + (z2.colwise() + b2).cwiseMax(0.0f);
    yb.noalias() = w3 * rb;
    yb.colwise() += b3;
  }

  // Mean loss over the batch; gw, gb = its gradient.
  float loss_and_gradient_batch(const float* x_ptr, const float* t_ptr, Eigen::Index n) {
    const const_map xb(x_ptr, in, n), t(t_ptr, out, n);
    hb.noalias() = w1 * xb;
    hb = (hb.colwise() + b1).cwiseMax(0.0f);
    z2.noalias() = w2 * hb;
    z2.colwise() += b2;
    rb = hb + z2.cwiseMax(0.0f);
    d3.noalias() = w3 * rb;
    d3.colwise() += b3;
    col_max = d3.colwise().maxCoeff();
    target_mass = t.colwise().sum();
    const float zt = t.cwiseProduct(d3).sum();
    d3 = (d3.rowwise() - col_max).array().exp().matrix();
    col_sum = d3.colwise().sum();
    const float loss =
        ((col_max.array() + col_sum.array().log()) * target_mass.array()).sum() - zt;
    const float scale = 1.0f / static_cast<float>(n);
    d3 = ((d3.array().rowwise() * (target_mass.array() / col_sum.array())).matrix() - t) * scale;
    gw3.noalias() = d3 * rb.transpose();
    gb3 = d3.rowwise().sum();
    dr.noalias() = w3.transpose() * d3;
    dz2 = (z2.array() > 0.0f).select(dr, 0.0f);
    gw2.noalias() = dz2 * hb.transpose();
    gb2 = dz2.rowwise().sum();
    dr.noalias() += w2.transpose() * dz2;  // δh = δr + W2ᵀ δz2
    dr = (hb.array() > 0.0f).select(dr, 0.0f);
    gw1.noalias() = dr * xb.transpose();
    gb1 = dr.rowwise().sum();
    return loss * scale;
  }

  void sgd_step(float lr) {
    w1 -= lr * gw1;
    b1 -= lr * gb1;
    w2 -= lr * gw2;
    b2 -= lr * gb2;
    w3 -= lr * gw3;
    b3 -= lr * gb3;
  }

  // Parameters / gradient in ctnn's layout (each block where ctnn's parameters put it), for the
  // start-up checks.
  static std::vector<float> flat(const matrix& wa, const vector& ba, const matrix& wb,
                                 const vector& bb, const matrix& wc, const vector& bc) {
    auto p = std::make_unique<ctnn::parameters<net, float>>();
    auto put = [](auto layer, const matrix& w, const vector& b) {
      Eigen::Map<row_major>(layer.weights().data(), w.rows(), w.cols()) = w;
      Eigen::Map<vector>(layer.biases().data(), b.size()) = b;
    };
    put(p->layer<"fc1">(), wa, ba);
    put(p->layer<"fc2">(), wb, bb);
    put(p->layer<"head">(), wc, bc);
    return {p->flat().begin(), p->flat().end()};
  }
  std::vector<float> flat_parameters() const { return flat(w1, b1, w2, b2, w3, b3); }
  std::vector<float> flat_gradient() const { return flat(gw1, gb1, gw2, gb2, gw3, gb3); }
};

// Both sides of every residual case start from these: seeded parameters, data_rows inputs in
// [0, 1) (pixel-like) and one-hot targets.
struct setup {
  ctnn::parameters<net, float> p;
  ctnn::gradient<net, float> g;
  std::vector<float> x = bench::uniform(data_rows * in, 0, 1, 31);
  std::vector<float> t = bench::one_hot_rows(data_rows, out, 33);
  setup() { ctnn::initialize(p, 9); }

  const float* x_rows(std::size_t first) const { return x.data() + first * in; }
  const float* t_rows(std::size_t first) const { return t.data() + first * out; }
  std::span<const float> xs(std::size_t first, std::size_t n) const { return {x_rows(first), n * in}; }
  std::span<const float> ts(std::size_t first, std::size_t n) const { return {t_rows(first), n * out}; }
};

}  // namespace residual
