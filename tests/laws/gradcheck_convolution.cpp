// Convolution and pooling nodes: forward against a direct evaluation of their definitions (loops
// written from PyTorch's formulas, not from the kernels), backprop against central differences
// (the graph law), forward mode against differences of the outputs; odd sizes, stride 2, padding,
// dilation, 1 and 7 channels, overlapping pooling windows, a shared conv weight, float and
// double, the SIMD and the scalar architecture.

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "graph_gradcheck.hpp"

namespace {

namespace op = ctnn::op;

// 1 channel 7 × 7: conv 3×3 padding 1 → tanh → 2×2 max pool → dense → softmax cross-entropy.
namespace lenet_like {
using x = op::input<"x", 1, 7, 7>;
using c = op::conv2d<"c1", 3, op::kernel<3>, x, op::padding<1>>;
using p = op::max_pool2d<op::tanh<c>, op::kernel<2>>;
using y = op::dense<"head", 4, op::flatten<p>>;
using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::softmax_cross_entropy<y>>>;
}  // namespace lenet_like

// 7 channels 9 × 8: a rectangular kernel with stride 2, padding and dilation → sigmoid → 3×3
// average pool, stride 1, padding 1 → global average → dense → squared error.
namespace strided {
using x = op::input<"x", 7, 9, 8>;
using c = op::conv2d<"c1", 5, op::kernel<3, 2>, x, op::stride<2>, op::padding<1, 2>,
                     op::dilation<2, 1>>;
using a = op::avg_pool2d<op::sigmoid<c>, op::kernel<3>, op::stride<1>, op::padding<1>>;
using y = op::dense<"head", 2, op::global_avg_pool<a>>;
using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::squared_error<y>>>;
}  // namespace strided

// One conv weight used twice (its gradients add), no bias, stride <2, 1>; overlapping max pool
// windows (kernel 3, stride 2, padding 1) whose input adjoints add up; a residual add.
namespace shared {
using x = op::input<"x", 2, 6, 5>;
template <class In>
using conv = op::conv2d<"same", 2, op::kernel<3>, In, op::padding<1>, op::no_bias>;
using h = op::tanh<conv<x>>;
using r = op::add<h, op::tanh<conv<h>>>;
using p = op::max_pool2d<r, op::kernel<3>, op::stride<2>, op::padding<1>>;
using y = op::dense<"head", 3, op::flatten<p>>;
using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::squared_error<y>>>;
}  // namespace shared

// 17 output channels: ∂W as outer products over δyᵀ (a full pack and a part pack of float and of
// double), at stride 1 with dilation.
namespace many_channels {
using x = op::input<"x", 2, 5, 6>;
using c = op::conv2d<"c1", 17, op::kernel<3>, x, op::padding<2>, op::dilation<2, 1>>;
using y = op::dense<"head", 2, op::global_avg_pool<op::tanh<c>>>;
using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::squared_error<y>>>;
}  // namespace many_channels

// Batch normalisation of a convolution's channels and of a dense layer's features, and dropout
// (the law runs the training rule: the tile's statistics, the gradient pass's draw).
namespace normed {
using x = op::input<"x", 3, 6, 5>;
using c = op::conv2d<"c1", 4, op::kernel<3>, x, op::padding<1>>;
using h = op::avg_pool2d<op::tanh<op::batch_norm<"bn1", c>>, op::kernel<2>>;
using d = op::dense<"fc", 6, op::flatten<h>>;
using e = op::dropout<op::tanh<op::batch_norm<"bn2", d, std::ratio<1, 3>>>, std::ratio<1, 4>>;
using y = op::dense<"head", 2, e>;
using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::squared_error<y>>>;
}  // namespace normed

// The definitions, evaluated directly: y[o, i, j] = b[o] + Σ W[o, c, p, q] x[c, i·s + p·d − pad,
// j·s + q·d − pad] (0 outside), and the pools.
struct window2d {
  std::size_t c, h, w, kh, kw, sh, sw, ph, pw, dh, dw;
  std::size_t oh() const { return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
  std::size_t ow() const { return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }
  // x[c, i·s + p·d − pad, ...] or NaN outside.
  double at(const double* x, std::size_t ch, std::size_t i, std::size_t j, std::size_t p,
            std::size_t q) const {
    const long r = long(i * sh + p * dh) - long(ph), k = long(j * sw + q * dw) - long(pw);
    if (r < 0 || k < 0 || r >= long(h) || k >= long(w)) return std::numeric_limits<double>::quiet_NaN();
    return x[(ch * h + std::size_t(r)) * w + std::size_t(k)];
  }
};

std::vector<double> direct_conv(const window2d& g, std::size_t out, const double* x,
                                const double* wt, const double* b) {
  std::vector<double> y(out * g.oh() * g.ow());
  for (std::size_t o = 0; o < out; ++o)
    for (std::size_t i = 0; i < g.oh(); ++i)
      for (std::size_t j = 0; j < g.ow(); ++j) {
        double sum = b ? b[o] : 0.0;
        for (std::size_t c = 0; c < g.c; ++c)
          for (std::size_t p = 0; p < g.kh; ++p)
            for (std::size_t q = 0; q < g.kw; ++q) {
              const double v = g.at(x, c, i, j, p, q);
              if (!std::isnan(v)) sum += wt[((o * g.c + c) * g.kh + p) * g.kw + q] * v;
            }
        y[(o * g.oh() + i) * g.ow() + j] = sum;
      }
  return y;
}

std::vector<double> direct_pool(const window2d& g, const double* x, bool max) {
  std::vector<double> y(g.c * g.oh() * g.ow());
  for (std::size_t c = 0; c < g.c; ++c)
    for (std::size_t i = 0; i < g.oh(); ++i)
      for (std::size_t j = 0; j < g.ow(); ++j) {
        double r = max ? -std::numeric_limits<double>::infinity() : 0.0;
        for (std::size_t p = 0; p < g.kh; ++p)
          for (std::size_t q = 0; q < g.kw; ++q) {
            const double v = g.at(x, c, i, j, p, q);
            if (!std::isnan(v)) r = max ? std::max(r, v) : r + v;
          }
        y[(c * g.oh() + i) * g.ow() + j] = max ? r : r / double(g.kh * g.kw);
      }
  return y;
}

// Where block owner.role starts in Net's parameters.
template <class Net>
std::size_t block_at(std::string_view owner, std::string_view role) {
  for (std::size_t b = 0; b < Net::block_count; ++b)
    if (Net::block_owner(b) == owner && Net::block_role(b) == role) return Net::layout::offset[b];
  FAIL("no block ", owner, ".", role);
  return 0;
}

// The node's values for one sample through ctnn's tile program.
template <class Net, class Node, class Arch = ctnn::simd::default_arch>
std::vector<double> node_values(const ctnn::parameters<Net, double>& p, const std::vector<double>& x) {
  using probe = ctnn::graph<ctnn::outputs<Node>>;
  auto q = std::make_unique<ctnn::parameters<probe, double>>();
  for (std::size_t b = 0; b < probe::block_count; ++b)
    for (std::size_t k = 0; k < probe::layout::offset[b + 1] - probe::layout::offset[b]; ++k)
      (*q)[probe::layout::offset[b] + k] = p[block_at<Net>(probe::block_owner(b), probe::block_role(b)) + k];
  auto ws = std::make_unique<ctnn::workspace<probe, double>>();
  std::vector<double> y(ctnn::core::shape_of<Node>::size);
  ctnn::forward_batch<Arch>(*q, std::span<const double>(x), std::span<double>(y), *ws);
  return y;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    CHECK_MESSAGE(std::abs(got[i] - want[i]) <= 1e-12 * (1 + std::abs(want[i])),
                  "value ", i, ": ", got[i], " against ", want[i]);
}

template <class Net, class T, class Arch = ctnn::simd::default_arch>
void check_law(std::uint64_t seed, std::size_t n) {
  const auto p = laws::random_graph_parameters<Net, T>(seed);
  const auto data = laws::random_graph_data<Net, T>(n, seed + 5);
  const auto r = laws::check_graph_gradient_batch<Arch>(*p, data);
  CHECK_MESSAGE(r.ok(), r.describe());
  const auto one = laws::random_graph_data<Net, T>(1, seed + 9);
  const auto r1 = laws::check_graph_gradient<Arch>(*p, one);
  CHECK_MESSAGE(r1.ok(), r1.describe());
}

}  // namespace

TEST_CASE("conv2d and the pools compute their definitions") {
  std::vector<double> x(7 * 9 * 8);
  laws::random_stream rng(3);
  for (double& v : x) v = rng.uniform(-1, 1);
  {
    using net = strided::net;
    const auto p = laws::random_graph_parameters<net, double>(11);
    const window2d g{7, 9, 8, 3, 2, 2, 2, 1, 2, 2, 1};
    const double* w = p->data() + block_at<net>("c1", "weight");
    const double* b = p->data() + block_at<net>("c1", "bias");
    const auto want = direct_conv(g, 5, x.data(), w, b);
    check_close(node_values<net, strided::c>(*p, x), want);
    check_close(node_values<net, strided::c, ctnn::simd::scalar_arch>(*p, x), want);
    // the 3×3 average pool (stride 1, padding 1, zeros counted) of sigmoid(c)
    std::vector<double> s(want.size());
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = 1 / (1 + std::exp(-want[i]));
    const window2d pool{5, g.oh(), g.ow(), 3, 3, 1, 1, 1, 1, 1, 1};
    check_close(node_values<net, strided::a>(*p, x), direct_pool(pool, s.data(), false));
  }
  {
    using net = shared::net;
    const auto p = laws::random_graph_parameters<net, double>(12);
    std::vector<double> x2(x.begin(), x.begin() + 2 * 6 * 5);
    const double* w = p->data() + block_at<net>("same", "weight");
    const window2d g{2, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1};
    auto h = direct_conv(g, 2, x2.data(), w, nullptr);
    for (double& v : h) v = std::tanh(v);
    auto r = direct_conv(g, 2, h.data(), w, nullptr);
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = h[i] + std::tanh(r[i]);
    check_close(node_values<net, shared::r>(*p, x2), r);
    const window2d pool{2, 6, 5, 3, 3, 2, 2, 1, 1, 1, 1};
    check_close(node_values<net, shared::p>(*p, x2), direct_pool(pool, r.data(), true));
  }
  static_assert(std::is_same_v<ctnn::core::shape_of<strided::c>, ctnn::shape<5, 4, 6>>);
  static_assert(std::is_same_v<ctnn::core::shape_of<shared::p>, ctnn::shape<2, 3, 3>>);
  static_assert(shared::net::block_count == 3);  // one conv weight (no bias), the head's two
  {
    using net = many_channels::net;
    const auto p = laws::random_graph_parameters<net, double>(13);
    std::vector<double> x3(x.begin(), x.begin() + 2 * 5 * 6);
    const window2d g{2, 5, 6, 3, 3, 1, 1, 2, 2, 2, 1};
    const auto want = direct_conv(g, 17, x3.data(), p->data() + block_at<net>("c1", "weight"),
                                  p->data() + block_at<net>("c1", "bias"));
    check_close(node_values<net, many_channels::c>(*p, x3), want);
  }
}

TEST_CASE_TEMPLATE("backprop through conv2d and pooling matches central differences", T, float,
                   double) {
  check_law<lenet_like::net, T>(1, 5);
  check_law<strided::net, T>(2, 3);
  check_law<shared::net, T>(3, 4);
  check_law<many_channels::net, T>(7, 3);
  check_law<normed::net, T>(9, 6);
}

TEST_CASE_TEMPLATE("the scalar architecture passes the same law", T, float, double) {
  check_law<lenet_like::net, T, ctnn::simd::scalar_arch>(4, 3);
  check_law<strided::net, T, ctnn::simd::scalar_arch>(5, 2);
  check_law<shared::net, T, ctnn::simd::scalar_arch>(6, 3);
  check_law<many_channels::net, T, ctnn::simd::scalar_arch>(8, 2);
  check_law<normed::net, T, ctnn::simd::scalar_arch>(10, 3);
}

TEST_CASE("forward mode through conv2d and pooling matches differences of the outputs") {
  using net = strided::net;
  const auto p = laws::random_graph_parameters<net, double>(21);
  auto dp = std::make_unique<ctnn::parameters<net, double>>();
  laws::random_stream rng(22);
  for (double& v : dp->values) v = rng.uniform(-1, 1);
  std::array<double, 7 * 9 * 8> x, dx;
  for (double& v : x) v = rng.uniform(-1, 1);
  for (double& v : dx) v = rng.uniform(-1, 1);
  const auto [y, dy] = ctnn::jacobian_vector_product(*p, *dp, x, dx);
  // (f(θ + h·dθ, x + h·dx) − f(θ − h·dθ, x − h·dx)) / 2h
  const double h = 1e-5;
  const auto at = [&](double t) {
    auto q = std::make_unique<ctnn::parameters<net, double>>(*p);
    for (std::size_t k = 0; k < net::parameter_count; ++k) (*q)[k] += t * (*dp)[k];
    std::array<double, 7 * 9 * 8> xt;
    for (std::size_t k = 0; k < xt.size(); ++k) xt[k] = x[k] + t * dx[k];
    return ctnn::forward(*q, xt);
  };
  const auto plus = at(h), minus = at(-h);
  for (std::size_t k = 0; k < dy.size(); ++k)
    CHECK(dy[k] == doctest::Approx((plus[k] - minus[k]) / (2 * h)).epsilon(1e-6));
}

// A pass that asks for no ∇ₓ skips the input adjoint and its layout of δy; ∂W and ∂b must not
// change (the law above checks them against differences with ∇ₓ asked for). Out = 17 fills a
// pack of float and of double: ∂W by outer products.
TEST_CASE_TEMPLATE("conv2d's parameter gradient without the input gradient", T, float, double) {
  using net = many_channels::net;
  const auto p = laws::random_graph_parameters<net, T>(31);
  const auto d = laws::random_graph_data<net, T>(5, 32);
  auto ws = std::make_unique<ctnn::workspace<net, T>>();
  auto with = std::make_unique<ctnn::gradient<net, T>>();
  auto without = std::make_unique<ctnn::gradient<net, T>>();
  std::vector<T> dx(d.x[0].size());
  const std::span<const T> x(d.x[0]), t(d.t[0]);
  ctnn::loss_and_gradient_batch(*p, x, t, *with, *ws, std::span<T>(dx));
  ctnn::loss_and_gradient_batch(*p, x, t, *without, *ws);
  CHECK(std::memcmp(with->data(), without->data(), sizeof(T) * with->size()) == 0);
}
