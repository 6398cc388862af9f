// (b) of graph_behaviour.cpp: no pass of a DAG allocates. Forward, loss and gradient (one sample
// and batches smaller than, equal to and larger than a tile, with and without ∇ₓ and output
// buffers, SIMD and scalar), train_step and train_step_batch, and the threaded passes
// (forward_batch, loss_batch, loss_and_gradient_batch, train_step_batch) once the thread_pool and
// the parallel_workspace exist. This binary replaces every global operator new with a counting one
// (support/counting_new.hpp), so it is a program of its own, as tests/nn/allocation.cpp is for
// chains. Everything that may allocate (doctest, the buffers) happens outside the counted regions.
// A net with batch norm and dropout, under each run rule, is checked the same way.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <ratio>
#include <span>
#include <tuple>
#include <vector>

#include "../laws/graph_gradcheck.hpp"
#include "two_head_dag.hpp"
#include "../support/counting_new.hpp"

namespace {

namespace op = ctnn::op;

namespace dag = two_head_dag;  // two_head_dag.hpp

// ---- (b) no allocation ------------------------------------------------------------------------------
#if CTNN_TEST_COUNTS_ALLOCATIONS

// Stores through a volatile pointer so the compiler cannot elide the new/delete pair below.
const void* volatile escaped = nullptr;

template <class T>
struct dag_runner {
  using net = dag::net;
  static constexpr std::size_t largest = 100;
  std::unique_ptr<ctnn::parameters<net, T>> p = laws::random_graph_parameters<net, T>(3);
  std::unique_ptr<ctnn::gradient<net, T>> g = std::make_unique<ctnn::gradient<net, T>>();
  std::unique_ptr<ctnn::gradient<net, T>> scratch = std::make_unique<ctnn::gradient<net, T>>();
  std::unique_ptr<ctnn::workspace<net, T>> ws = std::make_unique<ctnn::workspace<net, T>>();
  std::unique_ptr<ctnn::adam<net, T>> opt = std::make_unique<ctnn::adam<net, T>>();
  laws::graph_data<net, T> d = laws::random_graph_data<net, T>(largest, 11);
  std::vector<T> y1 = std::vector<T>(largest * 10), y2 = std::vector<T>(largest * 3),
                 y3 = std::vector<T>(largest * 2);
  std::vector<T> dx = std::vector<T>(largest * 19), du = std::vector<T>(largest * 5);
  std::array<T, 19> x1{};
  std::array<T, 5> u1{};
  std::array<T, 10> t1{}, o1{};
  std::array<T, 3> t2{}, o2{};
  std::array<T, 2> o3{};
  std::array<T, 19> dx1{};
  std::array<T, 5> du1{};
  double sink = 0;

  dag_runner() {
    std::copy_n(d.x[0].begin(), 19, x1.begin());
    std::copy_n(d.x[1].begin(), 5, u1.begin());
    std::copy_n(d.t[0].begin(), 10, t1.begin());
    std::copy_n(d.t[1].begin(), 3, t2.begin());
  }

  std::array<std::span<const T>, 2> inputs(std::size_t n) const {
    return {std::span<const T>(d.x[0].data(), n * 19), std::span<const T>(d.x[1].data(), n * 5)};
  }
  std::array<std::span<const T>, 2> targets(std::size_t n) const {
    return {std::span<const T>(d.t[0].data(), n * 10), std::span<const T>(d.t[1].data(), n * 3)};
  }
  std::array<std::span<T>, 3> outputs(std::size_t n) {
    return {std::span<T>(y1.data(), n * 10), std::span<T>(y2.data(), n * 3),
            std::span<T>(y3.data(), n * 2)};
  }
  std::array<std::span<T>, 2> input_gradients(std::size_t n) {
    return {std::span<T>(dx.data(), n * 19), std::span<T>(du.data(), n * 5)};
  }

  // Every one-thread pass, `repeats` times; returns the allocations meanwhile.
  std::size_t run(int repeats) {
    const std::size_t before = ctnn_test::allocation_count();
    for (int r = 0; r < repeats; ++r) {
      const auto y = ctnn::forward(*p, {x1, u1});
      sink += double(std::get<0>(y)[0] + std::get<2>(y)[1]);
      ctnn::forward(*p, {x1, u1}, {o1, o2, o3});
      sink += double(ctnn::loss(*p, {x1, u1}, {t1, t2}));
      sink += double(ctnn::loss_and_gradient(*p, {x1, u1}, {t1, t2}, *g));
      sink += double(ctnn::loss_and_gradient(*p, {x1, u1}, {t1, t2}, *g, {dx1, du1}));
      sink += double(ctnn::loss_and_gradient<ctnn::simd::scalar_arch>(*p, {x1, u1}, {t1, t2}, *g));
      for (const std::size_t n : {1, 31, 32, 33, 100}) {
        ctnn::forward_batch(*p, inputs(n), outputs(n), *ws);
        sink += double(ctnn::loss_batch(*p, inputs(n), targets(n), *ws));
        sink += double(ctnn::loss_and_gradient_batch(*p, inputs(n), targets(n), *g, *ws));
        sink += double(ctnn::loss_and_gradient_batch(*p, inputs(n), targets(n), *g, *ws,
                                                     input_gradients(n), outputs(n)));
        sink += double((*g)[0] + dx[0] + y1[0]);
      }
      ctnn::forward_batch<ctnn::simd::scalar_arch>(*p, inputs(33), outputs(33), *ws);
      sink += double(ctnn::loss_and_gradient_batch<ctnn::simd::scalar_arch>(
          *p, inputs(33), targets(33), *g, *ws, input_gradients(33)));
      // Training steps, tiny rate: the parameters stay where they were, near enough.
      sink += double(ctnn::train_step(*p, {x1, u1}, {t1, t2}, *opt, 1e-6));
      for (const std::size_t n : {1, 33, 100})
        sink += double(ctnn::train_step_batch(*p, inputs(n), targets(n), *opt, 1e-6, *scratch, *ws,
                                              outputs(n)));
    }
    return ctnn_test::allocation_count() - before;
  }

  // The threaded passes on a pool of `threads`, once it and the parallel_workspace exist.
  std::size_t run_threaded(std::size_t threads, int repeats) {
    ctnn::thread_pool pool(threads);
    auto pws = std::make_unique<ctnn::parallel_workspace<net, T>>(pool);
    const std::size_t before = ctnn_test::allocation_count();
    for (int r = 0; r < repeats; ++r)
      for (const std::size_t n : {1, 3, 33, 100}) {
        ctnn::forward_batch(pool, *p, inputs(n), outputs(n), *pws);
        sink += double(ctnn::loss_batch(pool, *p, inputs(n), targets(n), *pws));
        sink += double(ctnn::loss_and_gradient_batch(pool, *p, inputs(n), targets(n), *g, *pws,
                                                     input_gradients(n), outputs(n)));
        sink += double(ctnn::train_step_batch(pool, *p, inputs(n), targets(n), *opt, 1e-6,
                                              *scratch, *pws));
        sink += double((*g)[0] + y2[0]);
      }
    return ctnn_test::allocation_count() - before;
  }
};

// Batch norm (its statistics, state blocks, the optimizer's state copy) and dropout (its draws)
// under both rules: nothing allocates either.
namespace normed {
using x = op::input<"x", 2, 6, 6>;
using c = op::conv2d<"c", 4, op::kernel<3>, x, op::padding<1>, op::no_bias>;
using h = op::dropout<op::relu<op::batch_norm<"bn", c>>, std::ratio<1, 5>>;
using net = ctnn::graph<ctnn::outputs<op::dense<"head", 3, op::flatten<h>>>>;
}  // namespace normed

template <class T>
std::size_t normed_allocations(int repeats) {
  using net = normed::net;
  constexpr std::size_t n = 40, in = 72;
  auto p = laws::random_graph_parameters<net, T>(5);
  auto g = std::make_unique<ctnn::gradient<net, T>>();
  auto scratch = std::make_unique<ctnn::gradient<net, T>>();
  auto ws = std::make_unique<ctnn::workspace<net, T>>();
  auto opt = std::make_unique<ctnn::adamw<net, T>>();
  std::vector<T> x(n * in, T(0.25)), t(n * 3, T(0.5)), y(n * 3), dx(n * in);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = T(std::sin(0.3 * double(k)));
  std::array<T, in> x1{};
  std::array<T, 3> t1{};
  std::copy_n(x.begin(), in, x1.begin());
  ctnn::thread_pool pool(2);
  auto pws = std::make_unique<ctnn::parallel_workspace<net, T>>(pool);
  const ctnn::squared_error loss;
  const std::span<const T> xs(x), ts(t);
  double sink = 0;
  const std::size_t before = ctnn_test::allocation_count();
  for (int r = 0; r < repeats; ++r) {
    for (const auto rule : {ctnn::run_rule::by_pass, ctnn::run_rule::training, ctnn::run_rule::evaluation}) {
      ws->rule = rule;
      ctnn::forward_batch(*p, xs, std::span<T>(y), *ws);
      sink += double(ctnn::loss_batch(*p, loss, xs, ts, *ws));
      sink += double(ctnn::loss_and_gradient_batch(*p, loss, xs, ts, *g, *ws, std::span<T>(dx)));
      sink += double(ctnn::train_step_batch(*p, loss, xs, ts, *opt, 1e-6, *scratch, *ws));
    }
    sink += double(ctnn::forward(*p, x1)[0]);
    sink += double(ctnn::loss_and_gradient(*p, loss, x1, t1, *g));
    sink += double(ctnn::train_step(*p, loss, x1, t1, *opt, 1e-6));
    sink += double(ctnn::loss_and_gradient_batch(pool, *p, loss, xs, ts, *g, *pws));
    sink += double(ctnn::train_step_batch(pool, *p, loss, xs, ts, *opt, 1e-6, *scratch, *pws));
  }
  const std::size_t allocations = ctnn_test::allocation_count() - before;
  CHECK(std::isfinite(sink));
  return allocations;
}

TEST_CASE_TEMPLATE("no pass of a net with batch norm and dropout allocates", T, float, double) {
  CHECK(normed_allocations<T>(3) == 0);
}

TEST_CASE("the counting operator new sees allocations (so the tests below can fail)") {
  const std::size_t before = ctnn_test::allocation_count();
  int* one = new int(7);
  escaped = one;
  CHECK(ctnn_test::allocation_count() == before + 1);
  delete one;
}

TEST_CASE_TEMPLATE("no pass of a DAG allocates: one sample, batches, scalar, train steps", T,
                   float, double) {
  auto runner = std::make_unique<dag_runner<T>>();
  CHECK(runner->run(3) == 0);
  CHECK(std::isfinite(runner->sink));
}

TEST_CASE_TEMPLATE("no threaded pass of a DAG allocates once the pool and workspace exist", T,
                   float, double) {
  auto runner = std::make_unique<dag_runner<T>>();
  for (const std::size_t threads : {1, 2, 3}) {
    CAPTURE(threads);
    CHECK(runner->run_threaded(threads, 3) == 0);
  }
  CHECK(std::isfinite(runner->sink));
}

#endif

}  // namespace
