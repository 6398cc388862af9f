// Data-parallel training passes (parallel/data_parallel.hpp) against the one-thread passes of
// passes.hpp, which are the reference:
//   - for 1, 2, 3 and 4 threads and batches of 1, 2, 3, 31, 32, 33 and 257 samples (fewer
//     samples than threads, one tile, one past a tile, many tiles), the threaded mean loss,
//     gradient and ∇ₓC equal the one-thread ones to within float (double) rounding of the
//     reordered sums (not bit for bit even on 1 thread: g++ contracts a·b + c into FMAs
//     (-ffp-contract=fast, its C++ default) differently in differently inlined copies of a loop);
//   - repeated runs with the same thread count give bit-identical results, and so does a whole
//     training run from the same seed;
//   - the contract errors of the one-thread functions, thrown on the caller's thread before any
//     buffer is touched;
//   - nothing allocates once the pool and the parallel_workspace exist (this binary replaces the
//     global operator new with a counting one, as tests/nn/allocation.cpp does).

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <ctnn/parallel/data_parallel.hpp>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../laws/gradcheck.hpp"

#include "../support/contract_message.hpp"
#include "../support/counting_new.hpp"
#include "../support/compare.hpp"

namespace {

using mnist_net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
using small_net =
    ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::tanh, ctnn::dense<3>, ctnn::sigmoid>;

constexpr std::size_t thread_counts[] = {1, 2, 3, 4};
constexpr std::size_t batch_sizes[] = {1, 2, 3, 31, 32, 33, 257};

using ctnn_test::bit_identical;         // support/compare.hpp
using ctnn_test::relative_difference;

// The reorderings of float sums over up to 257 samples: |Δ| ≲ n·ε of the largest term; observed
// below 1e-6 (float) and 1e-15 (double) relative to the largest entry.
template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 2e-5 : 1e-12;

// A batch problem for Net with Loss: seeded parameters, inputs and suitable targets.
template <class Net, class T, class Loss>
struct problem {
  static constexpr std::size_t in = Net::input_size, out = Net::output_size;
  std::unique_ptr<ctnn::parameters<Net, T>> p;
  std::vector<T> x, t;
  problem(std::size_t n, std::uint64_t seed)
      : p(laws::random_parameters<Net, T>(seed)),
        x(laws::random_values<T>(n * in, seed + 1, -1.0, 1.0)),
        t(laws::random_targets<Loss, T>(n, out, seed + 2)) {}
  std::span<const T> xs() const { return x; }
  std::span<const T> ts() const { return t; }
};

// One batch through both paths; checks loss, gradient and ∇ₓC.
template <class Net, class T, class Loss, std::size_t Tile = 32>
void check_against_one_thread(std::size_t threads, std::size_t n, std::uint64_t seed) {
  CAPTURE(threads);
  CAPTURE(n);
  CAPTURE(Tile);
  const problem<Net, T, Loss> q(n, seed);
  const Loss loss{};

  auto g_ref = std::make_unique<ctnn::gradient<Net, T>>();
  auto ws = std::make_unique<ctnn::workspace<Net, T, Tile>>();
  std::vector<T> dx_ref(q.x.size()), y_ref(n * Net::output_size),
      y_pass(n * Net::output_size, T(1e6));
  const T l_ref =
      ctnn::loss_and_gradient_batch(*q.p, loss, q.xs(), q.ts(), *g_ref, *ws, dx_ref, y_pass);
  const T lb_ref = ctnn::loss_batch(*q.p, loss, q.xs(), q.ts(), *ws);
  ctnn::forward_batch(*q.p, q.xs(), y_ref, *ws);
  // The gradient pass's outputs are forward_batch's: the same tiles through the same kernels.
  CHECK(bit_identical<T>(y_pass, y_ref));

  ctnn::thread_pool pool(threads);
  auto pws = std::make_unique<ctnn::parallel_workspace<Net, T, Tile>>(pool);
  auto g = std::make_unique<ctnn::gradient<Net, T>>();
  std::fill(g->values.begin(), g->values.end(), T(1e6));  // g must be overwritten, not added to
  std::vector<T> dx(q.x.size(), T(1e6)), y(n * Net::output_size, T(1e6));
  const T l = ctnn::loss_and_gradient_batch(pool, *q.p, loss, q.xs(), q.ts(), *g, *pws, dx, y);
  const T lb = ctnn::loss_batch(pool, *q.p, loss, q.xs(), q.ts(), *pws);

  const std::span<const T> gs(g->values), gs_ref(g_ref->values);
  const double g_error = relative_difference(gs, gs_ref);
  const double dx_error = relative_difference<T>(dx, dx_ref);
  CAPTURE(g_error);
  CAPTURE(dx_error);
  CHECK(g_error <= tolerance<T>);
  CHECK(dx_error <= tolerance<T>);
  CHECK(relative_difference<T>(y, y_ref) <= tolerance<T>);
  CHECK(std::abs(double(l) - double(l_ref)) <=
        tolerance<T> * std::max(1.0, std::abs(double(l_ref))));
  // The loss alone takes the same forward pass and the same sums as the loss with the gradient.
  CHECK(lb == l);
  CHECK(std::abs(double(lb) - double(lb_ref)) <=
        tolerance<T> * std::max(1.0, std::abs(double(lb_ref))));
}

TEST_CASE_TEMPLATE("threaded loss, gradient and input gradient equal the one-thread ones", T, float,
                   double) {
  for (std::size_t threads : thread_counts)
    for (std::size_t n : batch_sizes) {
      check_against_one_thread<small_net, T, ctnn::binary_cross_entropy>(threads, n, 11 + n);
      check_against_one_thread<small_net, T, ctnn::squared_error>(threads, n, 12 + n);
    }
  // Tiles of 8 samples: several tiles per chunk, chunks that end inside a tile.
  for (std::size_t threads : thread_counts)
    for (std::size_t n : {std::size_t{9}, std::size_t{70}, std::size_t{257}})
      check_against_one_thread<small_net, T, ctnn::squared_error, 8>(threads, n, 13 + n);
}

TEST_CASE("784-128-10 relu, softmax cross-entropy: threaded equals one-thread (float)") {
  for (std::size_t threads : thread_counts)
    for (std::size_t n : batch_sizes)
      check_against_one_thread<mnist_net, float, ctnn::softmax_cross_entropy>(threads, n, 5 + n);
}

TEST_CASE("the chunks: contiguous, covering the batch, non-empty first, on multiples of 4") {
  for (std::size_t parts : {1, 2, 3, 4, 7})
    for (std::size_t n : {1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 100, 257, 1000}) {
      CAPTURE(parts);
      CAPTURE(n);
      const ctnn::detail::batch_split split{n, parts};
      CHECK(split.begin(0) == 0);
      CHECK(split.begin(parts) == n);
      CHECK(split.begin(1) > 0);
      std::size_t largest = 0;
      for (std::size_t k = 0; k < parts; ++k) {
        CHECK(split.begin(k) <= split.begin(k + 1));
        if (split.begin(k + 1) != n) CHECK(split.begin(k + 1) % 4 == 0);
        largest = std::max(largest, split.begin(k + 1) - split.begin(k));
        // Empty chunks only at the end.
        if (k >= split.used())
          CHECK(split.begin(k) == split.begin(k + 1));
        else
          CHECK(split.begin(k) < split.begin(k + 1));
      }
      // Balanced: no chunk is more than one 4-sample block above an even share.
      CHECK(largest <= (n + parts - 1) / parts + 4);
      CHECK(split.used() == std::min(parts, (n + 3) / 4));
    }
}

TEST_CASE("repeated runs with the same thread count are bit-identical") {
  using T = float;
  for (std::size_t threads : {2, 3, 4})
    for (std::size_t n : {3, 33, 257}) {
      CAPTURE(threads);
      CAPTURE(n);
      const problem<mnist_net, T, ctnn::softmax_cross_entropy> q(n, 77);
      const ctnn::softmax_cross_entropy loss;
      auto first = std::make_unique<ctnn::gradient<mnist_net, T>>();
      auto again = std::make_unique<ctnn::gradient<mnist_net, T>>();
      std::vector<T> dx_first(q.x.size()), dx_again(q.x.size());
      ctnn::thread_pool pool(threads);
      auto pws = std::make_unique<ctnn::parallel_workspace<mnist_net, T>>(pool);
      const T l_first =
          ctnn::loss_and_gradient_batch(pool, *q.p, loss, q.xs(), q.ts(), *first, *pws, dx_first);
      for (int r = 0; r < 5; ++r) {
        const T l =
            ctnn::loss_and_gradient_batch(pool, *q.p, loss, q.xs(), q.ts(), *again, *pws, dx_again);
        CHECK(l == l_first);
        CHECK(bit_identical<T>(first->values, again->values));
        CHECK(bit_identical<T>(dx_first, dx_again));
      }
      // A fresh pool and workspace: same chunks, same sums.
      ctnn::thread_pool other(threads);
      auto other_pws = std::make_unique<ctnn::parallel_workspace<mnist_net, T>>(other);
      CHECK(ctnn::loss_and_gradient_batch(other, *q.p, loss, q.xs(), q.ts(), *again, *other_pws) ==
            l_first);
      CHECK(bit_identical<T>(first->values, again->values));
    }
}

// Mini-batch SGD on 784-128-10 for `steps` steps of `batch` samples, on `threads` threads (0: the
// one-thread functions). The data is learnable: the class of a sample is the index of the largest
// of its first 10 inputs. Returns the parameters and the loss over the whole set before and after.
struct training_result {
  std::unique_ptr<ctnn::parameters<mnist_net, float>> p;
  float before, after;
};

training_result train(std::size_t threads, std::uint64_t seed) {
  constexpr std::size_t rows = 256, batch = 32, steps = 24;
  constexpr std::size_t in = mnist_net::input_size, out = mnist_net::output_size;
  constexpr float learning_rate = 0.1f;
  const std::vector<float> x = laws::random_values<float>(rows * in, 900, 0.0, 1.0);
  std::vector<float> t(rows * out, 0.0f);
  for (std::size_t s = 0; s < rows; ++s)
    t[s * out + std::size_t(std::max_element(&x[s * in], &x[s * in] + out) - &x[s * in])] = 1.0f;
  const ctnn::softmax_cross_entropy loss;
  training_result r{std::make_unique<ctnn::parameters<mnist_net, float>>(), 0, 0};
  ctnn::initialize(*r.p, seed);
  auto g = std::make_unique<ctnn::gradient<mnist_net, float>>();
  auto ws = std::make_unique<ctnn::workspace<mnist_net, float>>();
  ctnn::thread_pool pool(std::max<std::size_t>(threads, 1));
  auto pws = std::make_unique<ctnn::parallel_workspace<mnist_net, float>>(pool);
  r.before = ctnn::loss_batch(*r.p, loss, x, t, *ws);
  for (std::size_t step = 0; step < steps; ++step) {
    const std::size_t first = step * batch % rows;
    const auto xs = std::span<const float>(x).subspan(first * in, batch * in);
    const auto ts = std::span<const float>(t).subspan(first * out, batch * out);
    if (threads == 0)
      ctnn::loss_and_gradient_batch(*r.p, loss, xs, ts, *g, *ws);
    else
      ctnn::loss_and_gradient_batch(pool, *r.p, loss, xs, ts, *g, *pws);
    for (std::size_t k = 0; k < r.p->size(); ++k) (*r.p)[k] -= learning_rate * (*g)[k];
  }
  r.after = ctnn::loss_batch(*r.p, loss, x, t, *ws);
  return r;
}

TEST_CASE("training with 2 threads twice from one seed gives bit-identical weights") {
  const training_result a = train(2, 3), b = train(2, 3), one = train(0, 3);
  CHECK(a.after < 0.9f * a.before);  // it trained
  CHECK(*a.p == *b.p);
  CHECK(bit_identical<float>(a.p->flat(), b.p->flat()));
  CHECK(a.after == b.after);
  // And it is the same training as on one thread, up to float rounding of the sums.
  const double drift = relative_difference<float>(a.p->flat(), one.p->flat());
  CAPTURE(drift);
  CHECK(drift <= 1e-4);
  CHECK(std::abs(a.after - one.after) <= 1e-4f * one.after);
  // A different seed is a different run (the comparison above can fail).
  const training_result c = train(2, 4);
  CHECK_FALSE(*a.p == *c.p);
}

// ---- contract --------------------------------------------------------------------------------

using ctnn_test::contract_message, ctnn_test::starts_with;

TEST_CASE("contract errors of the threaded passes, thrown before anything is touched") {
  using T = double;
  constexpr std::size_t in = small_net::input_size, out = small_net::output_size;
  ctnn::thread_pool pool(3);
  ctnn::parallel_workspace<small_net, T> pws(pool);
  const problem<small_net, T, ctnn::squared_error> q(5, 1);
  const ctnn::squared_error loss;
  const T sentinel = T(-12345.5);
  auto g = std::make_unique<ctnn::gradient<small_net, T>>();
  std::fill(g->values.begin(), g->values.end(), sentinel);
  std::vector<T> y(5 * out, sentinel), dx(5 * in, sentinel);
  const std::span<const T> empty;
  auto untouched = [&] {
    return std::all_of(g->values.begin(), g->values.end(), [&](T v) { return v == sentinel; }) &&
           std::all_of(y.begin(), y.end(), [&](T v) { return v == sentinel; }) &&
           std::all_of(dx.begin(), dx.end(), [&](T v) { return v == sentinel; });
  };

  std::string m = contract_message(
      [&] { ctnn::loss_and_gradient_batch(pool, *q.p, loss, empty, empty, *g, pws); });
  CHECK(starts_with(m, "ctnn::loss_and_gradient_batch: "));
  CHECK(m.find("empty") != std::string::npos);

  m = contract_message([&] {
    ctnn::loss_and_gradient_batch(pool, *q.p, loss, q.xs().first(4 * in + 2), q.ts(), *g, pws);
  });
  CHECK(m.find("not a whole number of samples") != std::string::npos);

  m = contract_message([&] {
    ctnn::loss_and_gradient_batch(pool, *q.p, loss, q.xs(), q.ts().first(4 * out), *g, pws);
  });
  CHECK(m.find("the target buffer holds 12 values, expected 5 samples") != std::string::npos);

  m = contract_message([&] {
    ctnn::loss_and_gradient_batch(pool, *q.p, loss, q.xs(), q.ts(), *g, pws,
                                  std::span<T>(dx).first(3 * in));
  });
  CHECK(m.find("the input-gradient buffer") != std::string::npos);

  m = contract_message([&] {
    ctnn::loss_and_gradient_batch(pool, *q.p, loss, q.xs(), q.ts(), *g, pws, {},
                                  std::span<T>(y).first(4 * out));
  });
  CHECK(m.find("the output buffer holds 12 values, expected 5 samples") != std::string::npos);
  m = contract_message([&] {
    ctnn::workspace<small_net, T> ws1;
    ctnn::loss_and_gradient_batch(*q.p, loss, q.xs(), q.ts(), *g, ws1, {},
                                  std::span<T>(y).first(4 * out));
  });
  CHECK(m.find("the output buffer holds 12 values, expected 5 samples") != std::string::npos);

  m = contract_message([&] { ctnn::loss_batch(pool, *q.p, loss, q.xs(), empty, pws); });
  CHECK(starts_with(m, "ctnn::loss_batch: the target buffer"));

  m = contract_message(
      [&] { ctnn::forward_batch(pool, *q.p, q.xs(), std::span<T>(y).first(2 * out), pws); });
  CHECK(starts_with(m, "ctnn::forward_batch: the output buffer"));

  // A workspace made for a smaller pool.
  ctnn::thread_pool bigger(4);
  m = contract_message(
      [&] { ctnn::loss_and_gradient_batch(bigger, *q.p, loss, q.xs(), q.ts(), *g, pws); });
  CHECK(starts_with(m,
                    "ctnn::loss_and_gradient_batch: the parallel_workspace has buffers for 3 "
                    "threads, the pool runs 4"));
  m = contract_message([&] { ctnn::forward_batch(bigger, *q.p, q.xs(), y, pws); });
  CHECK(starts_with(m, "ctnn::forward_batch: the parallel_workspace"));

  CHECK(untouched());
  using workspace_type = ctnn::parallel_workspace<small_net, T>;
  CHECK_THROWS_AS(workspace_type(std::size_t{0}), ctnn::contract_error);

  // The pool is fine afterwards, and a workspace for a larger pool serves a smaller one.
  ctnn::parallel_workspace<small_net, T> large(bigger);
  CHECK(std::isfinite(ctnn::loss_and_gradient_batch(pool, *q.p, loss, q.xs(), q.ts(), *g, large)));
  CHECK_FALSE(untouched());
}

// ---- allocation ------------------------------------------------------------------------------
#if CTNN_TEST_COUNTS_ALLOCATIONS

TEST_CASE("no allocation in the threaded passes once the pool and workspace exist") {
  // The counter sees allocations on every thread (and can fail): a worker that allocates.
  {
    ctnn::thread_pool pool(2);
    const std::size_t before = ctnn_test::allocation_count();
    pool.run([](std::size_t k) {
      if (k == 1) {
        auto* volatile v = new int(3);
        delete v;
      }
    });
    CHECK(ctnn_test::allocation_count() == before + 1);
  }

  using T = float;
  const ctnn::softmax_cross_entropy loss;
  const problem<mnist_net, T, ctnn::softmax_cross_entropy> q(257, 8);
  auto g = std::make_unique<ctnn::gradient<mnist_net, T>>();
  std::vector<T> dx(q.x.size()), y(257 * mnist_net::output_size);
  for (std::size_t threads : thread_counts) {
    CAPTURE(threads);
    ctnn::thread_pool pool(threads);
    auto pws = std::make_unique<ctnn::parallel_workspace<mnist_net, T>>(pool);
    double sink = 0;
    const std::size_t before = ctnn_test::allocation_count();
    for (int r = 0; r < 3; ++r)
      for (std::size_t n : batch_sizes) {
        const auto x = q.xs().first(n * mnist_net::input_size);
        const auto t = q.ts().first(n * mnist_net::output_size);
        sink += ctnn::loss_and_gradient_batch(pool, *q.p, loss, x, t, *g, *pws);
        sink += ctnn::loss_and_gradient_batch(pool, *q.p, loss, x, t, *g, *pws,
                                              std::span<T>(dx).first(x.size()));
        sink += ctnn::loss_batch(pool, *q.p, loss, x, t, *pws);
        ctnn::forward_batch(pool, *q.p, x, std::span<T>(y).first(t.size()), *pws);
        sink += y[0] + (*g)[0];
      }
    CHECK(ctnn_test::allocation_count() == before);
    CHECK(std::isfinite(sink));
  }
}

#endif

}  // namespace
