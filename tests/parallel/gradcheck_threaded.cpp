// The gradient law (tests/laws/gradcheck.hpp) for the threaded pass: the ∂C/∂θ and ∇ₓC that
// ctnn::loss_and_gradient_batch(pool, ...) returns must agree with Richardson central differences
// of the mean loss computed in double by the one-thread ctnn::loss_batch, at the law's own
// tolerances. This is independent of the one-thread gradient: a threaded gradient that lost a
// chunk, counted one twice, or scaled a chunk by its own size instead of the batch's, fails here.
// Small networks (smooth and with a kink), double and float, 1 to 4 threads, batches of 1 (fewer
// samples than threads), 3, 33 (one past a tile) and 70.

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <ctnn/parallel/data_parallel.hpp>
#include <memory>
#include <span>
#include <vector>

#include "../laws/gradcheck.hpp"

namespace {

// The law's batch check with the threaded pass as the backprop under test.
template <class Net, class T, class Loss>
laws::gradcheck_report check_threaded(ctnn::thread_pool& pool, const ctnn::parameters<Net, T>& p,
                                      const Loss& loss, std::span<const T> x,
                                      std::span<const T> t) {
  auto pd = std::make_unique<ctnn::parameters<Net, double>>();
  auto pws = std::make_unique<ctnn::parallel_workspace<Net, T>>(pool);
  auto wsd = std::make_unique<ctnn::workspace<Net, double>>();
  std::vector<double> xd;
  const std::vector<double> td(t.begin(), t.end());
  laws::gradcheck_report r;
  laws::detail::problem q = laws::detail::make_problem<Net, T, Loss>(
      p, x, *pd, xd,
      [&](ctnn::gradient<Net, T>& g, std::span<T> dx) {
        return ctnn::loss_and_gradient_batch(pool, p, loss, x, t, g, *pws, dx);
      },
      r);
  q.cost = [&] {
    return static_cast<double>(ctnn::loss_batch(*pd, loss, std::span<const double>(xd),
                                                std::span<const double>(td), *wsd));
  };
  laws::detail::run(q, laws::gradcheck_options::for_type<T>(), r);
  r.batch = true;
  return r;
}

template <class Net, class T, class Loss>
void check_network(std::uint64_t seed) {
  for (std::size_t threads : {1, 2, 3, 4}) {
    ctnn::thread_pool pool(threads);
    for (std::size_t n : {1, 3, 33, 70}) {
      CAPTURE(threads);
      CAPTURE(n);
      const auto p = laws::random_parameters<Net, T>(seed + n);
      const auto x = laws::random_values<T>(n * Net::input_size, seed + n + 1);
      const auto t = laws::random_targets<Loss, T>(n, Net::output_size, seed + n + 2);
      const laws::gradcheck_report r =
          check_threaded<Net, T>(pool, *p, Loss{}, std::span<const T>(x), std::span<const T>(t));
      CHECK_MESSAGE(r.ok(), r.describe());
    }
  }
}

using tanh_net =
    ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::tanh, ctnn::dense<3>, ctnn::sigmoid>;
using relu_net = ctnn::network<ctnn::input<4>, ctnn::dense<9>, ctnn::relu, ctnn::dense<6>,
                               ctnn::softplus, ctnn::dense<3>>;

TEST_CASE_TEMPLATE("gradient law, threaded: tanh/sigmoid net with binary cross-entropy", T, double,
                   float) {
  check_network<tanh_net, T, ctnn::binary_cross_entropy>(100);
}

TEST_CASE_TEMPLATE("gradient law, threaded: relu net (a kink) with softmax cross-entropy", T,
                   double, float) {
  check_network<relu_net, T, ctnn::softmax_cross_entropy>(200);
}

TEST_CASE("gradient law, threaded: squared error, double") {
  check_network<tanh_net, double, ctnn::squared_error>(300);
}

// The law can fail on this path: a gradient that misses one chunk (here: thread 1's share
// zeroed, as if its partial were never added) is reported.
TEST_CASE("the threaded law detects a missing chunk") {
  using Net = tanh_net;
  using T = double;
  constexpr std::size_t n = 33;
  ctnn::thread_pool pool(2);
  const auto p = laws::random_parameters<Net, T>(7);
  const auto x = laws::random_values<T>(n * Net::input_size, 8);
  const auto t = laws::random_targets<ctnn::squared_error, T>(n, Net::output_size, 9);
  auto pd = std::make_unique<ctnn::parameters<Net, double>>();
  auto pws = std::make_unique<ctnn::parallel_workspace<Net, T>>(pool);
  auto wsd = std::make_unique<ctnn::workspace<Net, double>>();
  std::vector<double> xd;
  laws::gradcheck_report r;
  const ctnn::squared_error loss;
  laws::detail::problem q = laws::detail::make_problem<Net, T, ctnn::squared_error>(
      *p, std::span<const T>(x), *pd, xd,
      [&](ctnn::gradient<Net, T>& g, std::span<T> dx) {
        // Only the first chunk's samples, still scaled by 1/n of the whole batch.
        const std::size_t first = ctnn::detail::batch_split{n, 2}.begin(1);
        const T l = ctnn::loss_and_gradient_batch(pool, *p, loss, std::span<const T>(x),
                                                  std::span<const T>(t), g, *pws, dx);
        auto g_first = std::make_unique<ctnn::gradient<Net, T>>();
        auto ws = std::make_unique<ctnn::workspace<Net, T>>();
        ctnn::loss_and_gradient_batch(
            *p, loss, std::span<const T>(x).first(first * Net::input_size),
            std::span<const T>(t).first(first * Net::output_size), *g_first, *ws);
        for (std::size_t k = 0; k < Net::parameter_count; ++k)
          g[k] = (*g_first)[k] * T(first) / T(n);
        return l;
      },
      r);
  q.cost = [&] {
    return ctnn::loss_batch(*pd, loss, std::span<const double>(xd),
                            std::span<const double>(t.begin(), t.end()), *wsd);
  };
  laws::detail::run(q, laws::gradcheck_options::for_type<T>(), r);
  CHECK_FALSE(r.ok());
}

}  // namespace
