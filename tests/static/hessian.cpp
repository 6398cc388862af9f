// Compiling is passing: Hessian-vector products evaluated by the compiler. On a small tanh net,
// H·u matches central differences of the gradient (both constant-evaluated: the dual pass against
// two ordinary reverse passes), and the Hessian is symmetric (uᵀHv = vᵀHu).
#include <array>
#include <ctnn/ctnn.hpp>
#include <span>

namespace {

using net = ctnn::network<ctnn::input<2>, ctnn::dense<3>, ctnn::tanh, ctnn::dense<2>, ctnn::sigmoid,
                          ctnn::dense<1>>;
constexpr std::size_t P = net::parameter_count;
constexpr std::array<double, 6> x{0.5, -1.0, 0.25, 2.0, -0.75, 0.1};
constexpr std::array<double, 3> t{0.3, -0.2, 0.9};

constexpr ctnn::parameters<net, double> start() {
  ctnn::parameters<net, double> p{};
  ctnn::initialize(p, 5);
  return p;
}
constexpr ctnn::parameters<net, double> direction(double phase) {
  ctnn::parameters<net, double> u{};
  for (std::size_t k = 0; k < P; ++k) u[k] = (k % 3 == 0 ? 0.5 : -0.25) + phase / double(k + 2);
  return u;
}

constexpr ctnn::gradient<net, double> hessian_times(const ctnn::parameters<net, double>& u) {
  ctnn::gradient<net, double> hu{};
  ctnn::hessian_workspace<net, double, 4> hws{};
  ctnn::hessian_vector(start(), ctnn::squared_error{}, std::span<const double>(x), std::span<const double>(t),
                       u, hu, hws);
  return hu;
}

constexpr ctnn::gradient<net, double> gradient_at(const ctnn::parameters<net, double>& p) {
  ctnn::gradient<net, double> g{};
  ctnn::workspace<net, double, 4> ws{};
  ctnn::loss_and_gradient_batch(p, ctnn::squared_error{}, std::span<const double>(x), std::span<const double>(t),
                                g, ws);
  return g;
}

constexpr double abs(double v) { return v < 0 ? -v : v; }

// max_k |H·u − (∇C(p + h·u) − ∇C(p − h·u)) / 2h|, h = 10⁻⁵ (error O(h²) ≈ 10⁻¹⁰).
constexpr double difference_error() {
  const auto u = direction(0.3);
  const auto hu = hessian_times(u);
  const double h = 1e-5;
  auto plus = start(), minus = start();
  for (std::size_t k = 0; k < P; ++k) plus[k] += h * u[k], minus[k] -= h * u[k];
  const auto gp = gradient_at(plus), gm = gradient_at(minus);
  double worst = 0;
  for (std::size_t k = 0; k < P; ++k) {
    const double e = abs(hu[k] - (gp[k] - gm[k]) / (2 * h));
    worst = e > worst ? e : worst;
  }
  return worst;
}

constexpr double largest_entry() {
  const auto hu = hessian_times(direction(0.3));
  double m = 0;
  for (std::size_t k = 0; k < P; ++k) m = abs(hu[k]) > m ? abs(hu[k]) : m;
  return m;
}

// uᵀ(H·v) − vᵀ(H·u)
constexpr double asymmetry() {
  const auto u = direction(0.3), v = direction(-0.7);
  const auto hu = hessian_times(u), hv = hessian_times(v);
  double uhv = 0, vhu = 0;
  for (std::size_t k = 0; k < P; ++k) uhv += u[k] * hv[k], vhu += v[k] * hu[k];
  return abs(uhv - vhu);
}

static_assert(largest_entry() > 1e-2, "a Hessian that is not zero");
static_assert(difference_error() < 1e-6 * largest_entry(), "H·u matches differences of the gradient");
static_assert(asymmetry() < 1e-12, "the Hessian is symmetric");

}  // namespace
