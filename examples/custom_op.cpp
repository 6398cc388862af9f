// A new op in one type: op `feature_scale<"name", x>` computes y = γ ⊙ x + β with parameter blocks
// "name.gamma" and "name.beta" of x's shape (a learned per-feature affine map, as the affine part
// of a normalisation layer). Nothing else in ctnn changes: the derivation, the buffer plan, the
// passes, the model files and the printouts take it from what the type states.
//
// The program checks its rules against central differences (the gradient law), trains a small
// graph that uses it, and prints its equations. The last line is
//   result: worst_gradient_error=<e> loss_before=<a> loss_after=<b>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <iostream>
#include <string_view>
#include <tuple>

// [op]
template <ctnn::name Name, class X>
struct feature_scale {
  // The node: its inputs, its shape from theirs, its parameter blocks.
  using inputs = ctnn::core::list<X>;
  using shape = ctnn::core::shape_of<X>;
  using parameters = ctnn::core::list<ctnn::core::parameter<Name, "gamma", shape>,
                                      ctnn::core::parameter<Name, "beta", shape>>;
  static constexpr std::size_t size = shape::size;

  // forward: y = γ ⊙ x + β, for a tile of n samples (rows of `size` values).
  template <class Arch, class T>
  static constexpr void forward(const ctnn::core::forward_args<T, 1, 2>& a) {
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t i = 0; i < size; ++i)
        a.out[s * size + i] = a.param[0][i] * a.in[0][s * size + i] + a.param[1][i];
  }

  // vjp: δx = γ ⊙ δy into the input's adjoint sink; ∂γ = Σ_s δy ⊙ x, ∂β = Σ_s δy into the
  // gradient sink (blocks one after the other: γ at 0, β at size), adding to the sums so far when
  // asked (a later tile, or another node sharing the blocks).
  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    using scalar = ctnn::simd::scalar_arch;
    const auto& dx = std::get<0>(a.din);
    if (dx.active())
      for (std::size_t k = 0; k < a.n * size; ++k)
        dx.template put<1, scalar>(k, a.param[0][k % size] * a.dout[k]);
    for (std::size_t i = 0; i < size; ++i) {
      T dgamma = a.accumulate[0] ? a.g_in[i] : T(0);
      T dbeta = a.accumulate[1] ? a.g_in[size + i] : T(0);
      for (std::size_t s = 0; s < a.n; ++s) {
        dgamma += a.dout[s * size + i] * a.in[0][s * size + i];
        dbeta += a.dout[s * size + i];
      }
      a.gradient.template put<1, scalar>(i, dgamma);
      a.gradient.template put<1, scalar>(size + i, dbeta);
    }
  }

  // jvp: ẏ = γ̇ ⊙ x + γ ⊙ ẋ + β̇.
  template <class Arch, class T>
  static constexpr void jvp(const ctnn::core::jvp_args<T, 1, 2>& a) {
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t i = 0; i < size; ++i) {
        const std::size_t k = s * size + i;
        a.tout[k] = a.tparam[0][i] * a.in[0][k] + a.param[0][i] * a.tin[0][k] + a.tparam[1][i];
      }
  }

  // How printouts and model files name it.
  static constexpr auto label = Name;
  static constexpr std::string_view op_name = "feature_scale";
  static constexpr std::string_view spelling = "feature_scale<\"{label}\", {in0}>";
  struct notation {
    static constexpr std::string_view value = "{p0} ⊙ {x0} + {p1}";
    static constexpr std::string_view adjoint[1] = {"{p0} ⊙ {dy}"};
    static constexpr std::string_view gradient[2] = {"Σ {dy} ⊙ {x0}", "Σ {dy}"};
  };
};
// [op]

namespace {

// [graph]
namespace op = ctnn::op;
using x = op::input<"x", 6>;
using h = op::tanh<feature_scale<"scale", op::dense<"fc1", 8, x>>>;
using y = op::dense<"head", 2, h>;
using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::squared_error<y>>>;
// [graph]

}  // namespace

int main() {
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 7);  // dense layers; the new blocks start at 0: set γ = 1, β = 0.1
  for (std::size_t b = 0; b < net::block_count; ++b)
    if (net::block_owner(b) == "scale")
      for (std::size_t k = net::layout::offset[b]; k < net::layout::offset[b + 1]; ++k)
        p[k] = net::block_role(b) == "gamma" ? 1.0 : 0.1;

  // The gradient law: backprop against central differences, every parameter and input.
  std::array<double, 6> x0{};
  for (std::size_t i = 0; i < x0.size(); ++i) x0[i] = std::sin(1.0 + double(i));
  const std::array<double, 2> t0{0.5, -0.25};
  const ctnn::gradient_check_report check = ctnn::gradient_check(p, x0, t0);

  // A few steps of plain gradient descent on one sample.
  ctnn::gradient<net, double> g;
  const double before = ctnn::loss(p, x0, t0);
  for (int step = 0; step < 200; ++step) {
    ctnn::loss_and_gradient(p, x0, t0, g);
    for (std::size_t k = 0; k < p.size(); ++k) p[k] -= 0.05 * g[k];
  }
  const double after = ctnn::loss(p, x0, t0);

  std::cout << ctnn::inspect::equations<net>();
  std::printf("gradient check: worst error %.2e over %zu entries\n", check.worst_error, check.checked);
  std::printf("result: worst_gradient_error=%.2e loss_before=%.6f loss_after=%.6f\n",
              check.worst_error, before, after);
  return check.worst_error < 1e-6 && after < before ? 0 : 1;
}
