// The second-order law on random graphs (random_dag.hpp): for every graph, H·u from
// ctnn::hessian_vector (the reverse pass run on dual numbers, scalar architecture) matches central
// differences of the gradient along u (ctnn::loss_and_gradient_batch in double, the SIMD reverse
// pass), with max |H·u − difference| ≤ 10⁻⁶ · max |difference|. The graphs carry dense nodes,
// every activation, softmax inside, residual adds, sub, mul (h ⊙ h), concat/slice, views, shared
// blocks, two inputs and weighted objectives of two losses.
//
// Kinks: a graph with ReLU, leaky ReLU or ELU has a gradient that jumps (or bends) where a
// pre-activation crosses 0, and a difference whose step carries one across measures the jump, not
// H. Such entries are recognised by the difference itself: at steps h and h/2 it disagrees with
// itself; they are skipped, and at most 1 % of the entries may be.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph_gradcheck.hpp"
#include "random_dag.hpp"

namespace {

// A tenth of the gradient law's seeds, spread over its list.
inline constexpr std::array<std::uint64_t, 6> hessian_seeds{3, 11, 19, 27, 36, 45};

template <class Net>
std::unique_ptr<ctnn::gradient<Net, double>> gradient_at(const ctnn::parameters<Net, double>& p,
                                                         const laws::graph_data<Net, double>& d) {
  auto g = std::make_unique<ctnn::gradient<Net, double>>();
  auto ws = std::make_unique<ctnn::workspace<Net, double>>();
  ctnn::loss_and_gradient_batch(p, laws::detail::dynamic_spans<ctnn::batch_inputs<Net, double>>(d.x),
                                laws::detail::dynamic_spans<ctnn::batch_targets<Net, double>>(d.t), *g, *ws);
  return g;
}

template <std::uint64_t Seed>
void check_seed() {
  using generated = laws::random_dag<Seed>;
  using net = typename generated::graph;
  const auto p = laws::random_graph_parameters<net, double>(1000 + Seed);
  const auto u = laws::random_graph_parameters<net, double>(5000 + Seed);
  const auto d = laws::random_graph_data<net, double>(3, 2000 + Seed);

  auto hu = std::make_unique<ctnn::gradient<net, double>>();
  auto hws = std::make_unique<ctnn::hessian_workspace<net, double>>();
  ctnn::hessian_vector(*p, laws::detail::dynamic_spans<ctnn::batch_inputs<net, double>>(d.x),
                       laws::detail::dynamic_spans<ctnn::batch_targets<net, double>>(d.t), *u, *hu, *hws);

  const auto central = [&](double h) {
    auto q = std::make_unique<ctnn::parameters<net, double>>();
    for (std::size_t k = 0; k < p->size(); ++k) (*q)[k] = (*p)[k] + h * (*u)[k];
    const auto plus = gradient_at(*q, d);
    for (std::size_t k = 0; k < p->size(); ++k) (*q)[k] = (*p)[k] - h * (*u)[k];
    const auto minus = gradient_at(*q, d);
    std::vector<double> diff(p->size());
    for (std::size_t k = 0; k < p->size(); ++k) diff[k] = ((*plus)[k] - (*minus)[k]) / (2 * h);
    return diff;
  };
  const auto coarse = central(2e-6), fine = central(1e-6);
  double size = 1e-3;
  for (double v : fine) size = std::max(size, std::abs(v));
  double worst = 0;
  std::size_t worst_at = 0, skipped = 0;
  for (std::size_t k = 0; k < fine.size(); ++k) {
    if (std::abs(coarse[k] - fine[k]) > 1e-5 * size) {  // a kink between p − 2h·u and p + 2h·u
      ++skipped;
      continue;
    }
    const double e = std::abs((*hu)[k] - fine[k]);
    if (e > worst) worst = e, worst_at = k;
  }
  CHECK_MESSAGE(worst <= 1e-6 * size, "seed ", Seed, ": max |H·u − difference| = ", worst, " at parameter ",
                worst_at, " (H·u ", (*hu)[worst_at], ", difference ", fine[worst_at], ", largest ", size,
                ")\n  plan:", laws::describe(generated::plan));
  CHECK_MESSAGE(skipped * 100 <= fine.size(), "seed ", Seed, ": ", skipped, " of ", fine.size(),
                " entries straddle a kink");
  if (!laws::graph_has_kinks<net>()) CHECK(skipped == 0);
}

}  // namespace

TEST_CASE("H·u matches differences of the gradient on random graphs") {
  laws::for_each_index<hessian_seeds.size()>([]<std::size_t K>() { check_seed<hessian_seeds[K]>(); });
}
