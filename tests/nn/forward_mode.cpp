// Forward mode (jacobian_vector_product): the tangent ẏ = J_θ·θ̇ + J_x·ẋ of every output against
// central differences of the forward pass, and against reverse mode by the dot-product identity
// ⟨ȳ, J·v⟩ = ⟨Jᵀ·ȳ, v⟩ (the gradient of the scalar ⟨ȳ, y⟩ taken by backprop), on chains and on a
// two-input, two-output graph that uses every op kind, in float and double, one sample and batches.

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <span>
#include <tuple>
#include <vector>

namespace {

namespace op = ctnn::op;

// A graph with every kind of op on the forward path.
using a_in = op::input<"a", 5>;
using b_in = op::input<"b", 3>;
using trunk = op::tanh<op::dense<"shared", 6, a_in>>;
using side = op::softmax<op::dense<"side", 5, op::concat<b_in, op::slice<a_in, 1, 3>>>>;
using again = op::gelu<op::dense<"shared", 6, op::flatten<op::reshape<side, ctnn::shape<5>>>>>;
using mixed = op::add<op::mul<trunk, again>, op::scale<op::sub<trunk, again>, std::ratio<1, 2>>>;
using out1 = op::dense<"head1", 4, mixed>;
using out2 = op::sigmoid<op::dense<"head2", 2, op::concat<mixed, op::elu<op::dense<"extra", 3, b_in>>>>>;
using dag = ctnn::graph<ctnn::inputs<a_in, b_in>, ctnn::outputs<out1, out2>>;

using chain = ctnn::network<ctnn::input<7>, ctnn::dense<19>, ctnn::mish, ctnn::dense<17>, ctnn::softmax,
                            ctnn::dense<3>>;

template <class Net, class T>
void fill(ctnn::parameters<Net, T>& p, ctnn::parameters<Net, T>& dp) {
  ctnn::initialize(p, 11);
  for (std::size_t k = 0; k < p.size(); ++k) {
    p[k] += T(0.05 * std::sin(0.9 * double(k)));
    dp[k] = T(std::cos(0.37 * double(k)));
  }
}

// The forward pass at p + h·dp, x + h·dx, for every output, flattened.
template <class Net, class T>
std::vector<double> outputs_at(const ctnn::parameters<Net, T>& p, const ctnn::parameters<Net, T>& dp,
                               const std::vector<std::vector<T>>& x, const std::vector<std::vector<T>>& dx,
                               std::size_t n, double h) {
  auto q = std::make_unique<ctnn::parameters<Net, double>>();
  for (std::size_t k = 0; k < p.size(); ++k) (*q)[k] = double(p[k]) + h * double(dp[k]);
  std::vector<std::vector<double>> xs(x.size());
  for (std::size_t k = 0; k < x.size(); ++k)
    for (std::size_t i = 0; i < x[k].size(); ++i) xs[k].push_back(double(x[k][i]) + h * double(dx[k][i]));
  std::vector<std::vector<double>> ys(Net::output_count);
  for (std::size_t o = 0; o < Net::output_count; ++o) ys[o].resize(n * Net::output_sizes[o]);
  auto ws = std::make_unique<ctnn::workspace<Net, double>>();
  if constexpr (Net::input_count == 1 && Net::output_count == 1) {
    ctnn::forward_batch(*q, xs[0], ys[0], *ws);
  } else {
    std::array<std::span<const double>, Net::input_count> xin;
    std::array<std::span<double>, Net::output_count> yout;
    for (std::size_t k = 0; k < Net::input_count; ++k) xin[k] = xs[k];
    for (std::size_t o = 0; o < Net::output_count; ++o) yout[o] = ys[o];
    ctnn::forward_batch(*q, xin, yout, *ws);
  }
  std::vector<double> flat;
  for (const auto& y : ys) flat.insert(flat.end(), y.begin(), y.end());
  return flat;
}

template <class Net, class T>
void check_tangents(std::size_t n) {
  auto p = std::make_unique<ctnn::parameters<Net, T>>();
  auto dp = std::make_unique<ctnn::parameters<Net, T>>();
  fill(*p, *dp);
  std::vector<std::vector<T>> x(Net::input_count), dx(Net::input_count);
  for (std::size_t k = 0; k < Net::input_count; ++k)
    for (std::size_t i = 0; i < n * Net::input_sizes[k]; ++i) {
      x[k].push_back(T(std::sin(1.0 + 0.7 * double(i + 13 * k))));
      dx[k].push_back(T(std::cos(0.3 * double(i) + double(k))));
    }
  std::vector<std::vector<T>> y(Net::output_count), dy(Net::output_count);
  for (std::size_t o = 0; o < Net::output_count; ++o) {
    y[o].resize(n * Net::output_sizes[o]);
    dy[o].resize(n * Net::output_sizes[o]);
  }
  auto tws = std::make_unique<ctnn::tangent_workspace<Net, T>>();
  if constexpr (Net::input_count == 1 && Net::output_count == 1) {
    ctnn::jacobian_vector_product_batch(*p, *dp, x[0], dx[0], y[0], dy[0], *tws);
  } else {
    std::array<std::span<const T>, Net::input_count> xin, dxin;
    std::array<std::span<T>, Net::output_count> yout, dyout;
    for (std::size_t k = 0; k < Net::input_count; ++k) xin[k] = x[k], dxin[k] = dx[k];
    for (std::size_t o = 0; o < Net::output_count; ++o) yout[o] = y[o], dyout[o] = dy[o];
    ctnn::jacobian_vector_product_batch(*p, *dp, xin, dxin, yout, dyout, *tws);
  }
  // Central differences in double, Richardson-extrapolated (error O(h⁴)).
  const double h = 0x1p-10;
  const auto up = outputs_at(*p, *dp, x, dx, n, h), down = outputs_at(*p, *dp, x, dx, n, -h);
  const auto up2 = outputs_at(*p, *dp, x, dx, n, h / 2), down2 = outputs_at(*p, *dp, x, dx, n, -h / 2);
  const auto y0 = outputs_at(*p, *dp, x, dx, n, 0);
  std::vector<double> got, values;
  for (std::size_t o = 0; o < Net::output_count; ++o) {
    got.insert(got.end(), dy[o].begin(), dy[o].end());
    values.insert(values.end(), y[o].begin(), y[o].end());
  }
  const double tolerance = std::is_same_v<T, float> ? 2e-3 : 1e-8;
  double scale = 0;
  for (std::size_t k = 0; k < got.size(); ++k) scale = std::max(scale, std::abs(double(got[k])));
  for (std::size_t k = 0; k < got.size(); ++k) {
    const double fd = (4 * (up2[k] - down2[k]) / h - (up[k] - down[k]) / (2 * h)) / 3;
    CAPTURE(k);
    CHECK(std::abs(values[k] - y0[k]) <= tolerance * std::max(1.0, std::abs(y0[k])));
    CHECK(std::abs(double(got[k]) - fd) <= tolerance * std::max(scale, 1e-3));
  }
  CHECK(scale > 0.01);  // the tangents are not all (nearly) zero
}

}  // namespace

TEST_CASE_TEMPLATE("tangents match central differences of the forward pass", T, float, double) {
  for (std::size_t n : {1, 3, 33}) {
    CAPTURE(n);
    check_tangents<chain, T>(n);
    check_tangents<dag, T>(n);
  }
}

TEST_CASE("forward and reverse mode agree: <ybar, J v> = <J^T ybar, v>") {
  // The scalar s = Σ_o ⟨ȳ_o, y_o⟩ is a graph with an objective: Σ of squared errors against
  // targets t = ȳ-shifted values gives ∂s/∂y = y − t; choose t = y − ȳ so that it is ȳ.
  using T = double;
  using objective_graph =
      ctnn::graph<ctnn::inputs<a_in, b_in>, ctnn::outputs<out1, out2>,
                  ctnn::objective<op::add<op::squared_error<out1>, op::squared_error<out2>>>>;
  ctnn::parameters<objective_graph, T> p, dp;
  fill(p, dp);
  std::array<T, 5> a{};
  std::array<T, 3> b{};
  std::array<T, 5> da{};
  std::array<T, 3> db{};
  for (std::size_t i = 0; i < 5; ++i) a[i] = std::sin(0.4 + double(i)), da[i] = std::cos(2.0 * double(i));
  for (std::size_t i = 0; i < 3; ++i) b[i] = std::cos(0.9 + double(i)), db[i] = std::sin(3.0 * double(i));
  const auto [y, dy] = ctnn::jacobian_vector_product(p, dp, {a, b}, {da, db});
  std::array<T, 4> ybar1{0.3, -0.7, 1.1, 0.25};
  std::array<T, 2> ybar2{-0.4, 0.9};
  std::array<T, 4> t1{};
  std::array<T, 2> t2{};
  for (std::size_t k = 0; k < 4; ++k) t1[k] = std::get<0>(y)[k] - ybar1[k];
  for (std::size_t k = 0; k < 2; ++k) t2[k] = std::get<1>(y)[k] - ybar2[k];
  ctnn::gradient<objective_graph, T> g;
  std::array<T, 5> ga{};
  std::array<T, 3> gb{};
  ctnn::loss_and_gradient(p, {a, b}, {t1, t2}, g, {ga, gb});
  double forward = 0, reverse = 0;
  for (std::size_t k = 0; k < 4; ++k) forward += ybar1[k] * std::get<0>(dy)[k];
  for (std::size_t k = 0; k < 2; ++k) forward += ybar2[k] * std::get<1>(dy)[k];
  for (std::size_t k = 0; k < p.size(); ++k) reverse += g[k] * dp[k];
  for (std::size_t i = 0; i < 5; ++i) reverse += ga[i] * da[i];
  for (std::size_t i = 0; i < 3; ++i) reverse += gb[i] * db[i];
  CHECK(std::abs(forward) > 0.1);
  CHECK(std::abs(forward - reverse) <= 1e-12 * std::abs(forward));
}
