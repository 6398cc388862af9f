// How the passes treat general graphs (DAGs), beyond the gradient law of
// laws/gradcheck_random_dags*.cpp:
//   (a) a node used twice is one node, evaluated once per pass (per tile): a test op of our own,
//       one type in this file, counts its forward, vjp and jvp calls;
//   (b) no pass of a DAG allocates: in graph_allocation.cpp (its own program, as it replaces
//       the global operator new), on the DAG below, which it repeats;
//   (c) the threaded gradient of a DAG is bit-identical from run to run with the same thread
//       count, and agrees with the one-thread pass to rounding;
//   (d) shared weights: the gradient of a block that two dense nodes name is the sum of the
//       gradients of the same graph with two separate blocks holding the same values;
//   (e) stop_gradient: the parameters behind it get exactly zero gradient, and everything else
//       equals the gradient of the graph with that branch replaced by a constant input holding
//       the same values.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <ratio>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../laws/graph_gradcheck.hpp"
#include "two_head_dag.hpp"
#include "../support/compare.hpp"

namespace {

namespace op = ctnn::op;

using ctnn_test::bit_identical;         // support/compare.hpp
using ctnn_test::relative_difference;

// Two computations of one quantity by different kernels (or sums in another order): float
// rounding of sums of a few dozen terms; double to 1e-12.
template <class T>
constexpr double rounding = std::is_same_v<T, float> ? 2e-5 : 1e-12;

template <class T, std::size_t N>
std::span<const T> view(const std::array<T, N>& a) {
  return std::span<const T>(a);
}

// ---- (a) a node used twice is evaluated once --------------------------------------------------

// A test op: y = x ⊙ x, counting its calls. It follows the op concept of core/op.hpp (inputs,
// shape, forward, vjp, jvp) and nothing else: everything the passes need of a new op is this
// one type. The counters are per type, so per node.
template <class X>
struct counted_square {
  using inputs = ctnn::core::list<X>;
  using shape = ctnn::core::shape_of<X>;
  static constexpr std::string_view op_name = "counted_square";
  static constexpr std::size_t size = shape::size;
  static inline std::size_t forward_calls = 0, vjp_calls = 0, jvp_calls = 0;
  static void reset() { forward_calls = vjp_calls = jvp_calls = 0; }

  template <class Arch, class T>
  static void forward(const ctnn::core::forward_args<T, 1, 0>& a) {
    ++forward_calls;
    for (std::size_t k = 0; k < a.n * size; ++k) a.out[k] = a.in[0][k] * a.in[0][k];
  }

  // δx = 2x ⊙ δy, handed to the adjoint sink pack by pack (a sink may store, add, or multiply by
  // an activation's derivative first: see simd/sink.hpp).
  template <class Arch, class A>
  static void vjp(const A& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    ++vjp_calls;
    const auto& dx = std::get<0>(a.din);
    if (!dx.active()) return;
    ctnn::simd::for_each_pack<Arch, T>(a.n * size, [&]<class P>(std::size_t k) {
      using V = ctnn::simd::pack_traits<T, P>;
      dx.template put<V::lanes, P>(k, V::load(a.dout + k) * V::load(a.in[0] + k) * V::broadcast(T(2)));
    });
  }

  // ẏ = 2x ⊙ ẋ.
  template <class Arch, class T>
  static void jvp(const ctnn::core::jvp_args<T, 1, 0>& a) {
    ++jvp_calls;
    for (std::size_t k = 0; k < a.n * size; ++k) a.tout[k] = T(2) * a.in[0][k] * a.tin[0][k];
  }
};

// counted_square<h> is spelled twice below: one type, so one node, read by two consumers (add and
// tanh). 20 values: a whole float pack and a part one.
namespace counting {
using x = op::input<"x", 6>;
using h = op::dense<"a", 20, x>;
using c = counted_square<h>;
using y = op::dense<"b", 3, op::add<counted_square<h>, op::tanh<counted_square<h>>>>;
using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::squared_error<y>>>;
// The same graph with the library's own h ⊙ h: the reference for the values.
using y_ref = op::dense<"b", 3, op::add<op::mul<h, h>, op::tanh<op::mul<h, h>>>>;
using reference = ctnn::graph<ctnn::outputs<y_ref>, ctnn::objective<op::squared_error<y_ref>>>;
static_assert(ctnn::core::index_of<net::nodes, c>() < net::node_count);
// x, a, c, tanh, add, b, loss: the two spellings of c are one node.
static_assert(net::node_count == 7);
static_assert(net::parameter_count == reference::parameter_count);
}  // namespace counting

TEST_CASE_TEMPLATE("a node read twice is evaluated once per pass: forward, loss, gradient, "
                   "train step, forward mode", T, float, double) {
  using net = counting::net;
  using ref = counting::reference;
  using c = counting::c;
  constexpr std::size_t tile = 32;
  auto p = laws::random_graph_parameters<net, T>(5);
  auto pr = std::make_unique<ctnn::parameters<ref, T>>();
  pr->values = p->values;  // one layout: a then b
  auto g = std::make_unique<ctnn::gradient<net, T>>();
  auto gr = std::make_unique<ctnn::gradient<ref, T>>();
  auto ws = std::make_unique<ctnn::workspace<net, T, tile>>();
  auto wsr = std::make_unique<ctnn::workspace<ref, T, tile>>();
  const auto d = laws::random_graph_data<net, T>(70, 9);
  std::array<T, 6> x1{};
  std::array<T, 3> t1{};
  std::copy_n(d.x[0].begin(), 6, x1.begin());
  std::copy_n(d.t[0].begin(), 3, t1.begin());

  // One sample.
  c::reset();
  const auto y1 = ctnn::forward(*p, x1);
  CHECK(c::forward_calls == 1);
  CHECK(c::vjp_calls == 0);
  CHECK(relative_difference<T>(view(y1), view(ctnn::forward(*pr, x1))) <= rounding<T>);

  c::reset();
  const T l = ctnn::loss(*p, x1, t1);
  CHECK(c::forward_calls == 1);
  CHECK(c::vjp_calls == 0);

  c::reset();
  std::array<T, 6> dx{}, dx_ref{};
  const T lg = ctnn::loss_and_gradient(*p, x1, t1, *g, dx);
  CHECK(c::forward_calls == 1);
  CHECK(c::vjp_calls == 1);
  CHECK(lg == l);
  // Against the graph with op::mul<h, h>: the test op's rules are right, and its two readers'
  // adjoints were summed before its vjp ran once.
  const T lr = ctnn::loss_and_gradient(*pr, x1, t1, *gr, dx_ref);
  CHECK(std::abs(double(lg) - double(lr)) <= rounding<T> * std::max(1.0, std::abs(double(lr))));
  CHECK(relative_difference<T>(g->flat(), gr->flat()) <= rounding<T>);
  CHECK(relative_difference<T>(view(dx), view(dx_ref)) <= rounding<T>);

  // Batches: once per tile of 32 samples.
  for (const std::size_t n : {1, 32, 33, 70}) {
    CAPTURE(n);
    const std::size_t tiles = (n + tile - 1) / tile;
    const std::span<const T> xs(d.x[0].data(), n * 6), ts(d.t[0].data(), n * 3);
    std::vector<T> y(n * 3), dxs(n * 6), dxs_ref(n * 6);

    c::reset();
    ctnn::forward_batch(*p, xs, y, *ws);
    CHECK(c::forward_calls == tiles);
    CHECK(c::vjp_calls == 0);

    c::reset();
    static_cast<void>(ctnn::loss_batch(*p, xs, ts, *ws));
    CHECK(c::forward_calls == tiles);
    CHECK(c::vjp_calls == 0);

    c::reset();
    const T lb = ctnn::loss_and_gradient_batch(*p, xs, ts, *g, *ws, dxs);
    CHECK(c::forward_calls == tiles);
    CHECK(c::vjp_calls == tiles);
    const T lbr = ctnn::loss_and_gradient_batch(*pr, xs, ts, *gr, *wsr, dxs_ref);
    CHECK(std::abs(double(lb) - double(lbr)) <= rounding<T> * std::max(1.0, std::abs(double(lbr))));
    CHECK(relative_difference<T>(g->flat(), gr->flat()) <= rounding<T>);
    CHECK(relative_difference<T>(dxs, dxs_ref) <= rounding<T>);

    c::reset();
    static_cast<void>(ctnn::loss_and_gradient_batch<ctnn::simd::scalar_arch>(*p, xs, ts, *g, *ws));
    CHECK(c::forward_calls == tiles);
    CHECK(c::vjp_calls == tiles);

    // The fused training step: one forward and one backward pass per tile as well.
    auto q = std::make_unique<ctnn::parameters<net, T>>(*p);
    auto scratch = std::make_unique<ctnn::gradient<net, T>>();
    ctnn::sgd<net, T> opt;
    c::reset();
    static_cast<void>(ctnn::train_step_batch(*q, xs, ts, opt, 0.01, *scratch, *ws));
    CHECK(c::forward_calls == tiles);
    CHECK(c::vjp_calls == tiles);
  }

  c::reset();
  {
    auto q = std::make_unique<ctnn::parameters<net, T>>(*p);
    ctnn::sgd<net, T> opt;
    static_cast<void>(ctnn::train_step(*q, x1, t1, opt, 0.01));
  }
  CHECK(c::forward_calls == 1);
  CHECK(c::vjp_calls == 1);

  // Forward mode: one forward and one jvp per pass; the tangent against op::mul<h, h>'s.
  c::reset();
  std::array<T, 6> dx1{};
  dx1[2] = T(1);
  const auto [yt, dyt] = ctnn::jacobian_vector_product(*p, *g, x1, dx1);
  CHECK(c::forward_calls == 1);
  CHECK(c::jvp_calls == 1);
  CHECK(c::vjp_calls == 0);
  const auto [yr, dyr] = ctnn::jacobian_vector_product(*pr, *gr, x1, dx1);
  CHECK(relative_difference<T>(view(dyt), view(dyr)) <= 10 * rounding<T>);
}

namespace dag = two_head_dag;  // two_head_dag.hpp

// ---- (c) bit-identical per thread count ---------------------------------------------------------------

template <class T>
struct threaded_result {
  T loss{};
  std::unique_ptr<ctnn::gradient<dag::net, T>> g = std::make_unique<ctnn::gradient<dag::net, T>>();
  std::vector<T> dx, du, y1, y2, y3;
};

template <class T>
threaded_result<T> run_threaded_gradient(ctnn::thread_pool& pool,
                                     ctnn::parallel_workspace<dag::net, T>& pws,
                                     const ctnn::parameters<dag::net, T>& p,
                                     const laws::graph_data<dag::net, T>& d) {
  threaded_result<T> r;
  const std::size_t n = d.n;
  // Garbage first: every buffer must be overwritten.
  std::fill(r.g->values.begin(), r.g->values.end(), T(1e6));
  r.dx.assign(n * 19, T(1e6));
  r.du.assign(n * 5, T(1e6));
  r.y1.assign(n * 10, T(1e6));
  r.y2.assign(n * 3, T(1e6));
  r.y3.assign(n * 2, T(1e6));
  r.loss = ctnn::loss_and_gradient_batch(pool, p, {d.x[0], d.x[1]}, {d.t[0], d.t[1]}, *r.g, pws,
                                         {r.dx, r.du}, {r.y1, r.y2, r.y3});
  return r;
}

TEST_CASE_TEMPLATE("the threaded gradient of a DAG is bit-identical per thread count", T, float,
                   double) {
  using net = dag::net;
  const auto p = laws::random_graph_parameters<net, T>(21);
  for (const std::size_t n : {3, 70, 257}) {
    CAPTURE(n);
    const auto d = laws::random_graph_data<net, T>(n, 100 + n);
    // The one-thread pass, the reference for every thread count.
    auto g_ref = std::make_unique<ctnn::gradient<net, T>>();
    auto ws = std::make_unique<ctnn::workspace<net, T>>();
    std::vector<T> dx_ref(n * 19), du_ref(n * 5);
    const T l_ref = ctnn::loss_and_gradient_batch(*p, {d.x[0], d.x[1]}, {d.t[0], d.t[1]}, *g_ref,
                                                  *ws, {dx_ref, du_ref});
    for (const std::size_t threads : {1, 2, 3}) {
      CAPTURE(threads);
      ctnn::thread_pool pool(threads);
      auto pws = std::make_unique<ctnn::parallel_workspace<net, T>>(pool);
      const auto a = run_threaded_gradient(pool, *pws, *p, d);
      const auto b = run_threaded_gradient(pool, *pws, *p, d);
      CHECK(std::memcmp(&a.loss, &b.loss, sizeof(T)) == 0);
      CHECK(bit_identical<T>(a.g->flat(), b.g->flat()));
      CHECK(bit_identical<T>(a.dx, b.dx));
      CHECK(bit_identical<T>(a.du, b.du));
      CHECK(bit_identical<T>(a.y1, b.y1));
      CHECK(bit_identical<T>(a.y2, b.y2));
      CHECK(bit_identical<T>(a.y3, b.y3));
      // A fresh pool and workspace of the same size: the same bits again.
      ctnn::thread_pool pool2(threads);
      auto pws2 = std::make_unique<ctnn::parallel_workspace<net, T>>(pool2);
      const auto c = run_threaded_gradient(pool2, *pws2, *p, d);
      CHECK(bit_identical<T>(a.g->flat(), c.g->flat()));
      CHECK(bit_identical<T>(a.dx, c.dx));
      // And the one-thread result, to rounding (chunks sum in another order).
      CHECK(std::abs(double(a.loss) - double(l_ref)) <=
            rounding<T> * std::max(1.0, std::abs(double(l_ref))));
      CHECK(relative_difference<T>(a.g->flat(), g_ref->flat()) <= rounding<T>);
      CHECK(relative_difference<T>(a.dx, dx_ref) <= rounding<T>);
      CHECK(relative_difference<T>(a.du, du_ref) <= rounding<T>);
    }
  }
}

// ---- (d) shared weights ----------------------------------------------------------------------------------

// Block "s" named by two dense nodes on different inputs (a tanh and a sigmoid branch), both
// read further on; the twin has blocks "s1" and "s2" in its place.
namespace sharing {
using x = op::input<"x", 13>;
using a = op::tanh<op::dense<"pre", 20, x>>;
using b = op::sigmoid<op::dense<"side", 20, x>>;
template <ctnn::name First, ctnn::name Second>
struct twin {
  using s1 = op::dense<First, 9, a>;
  using s2 = op::dense<Second, 9, b>;
  using y = op::dense<"head", 4, op::concat<op::elu<s1>, op::mul<s1, s2>, s2>>;
  using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::squared_error<y>>>;
};
using shared = twin<"s", "s">::net;
using separate = twin<"s1", "s2">::net;
static_assert(shared::block_count + 2 == separate::block_count);
static_assert(separate::parameter_count - shared::parameter_count == 9 * 21);
}  // namespace sharing

template <class V>
std::span<const typename V::value_type> values(const V& v) {
  return v;
}

TEST_CASE_TEMPLATE("the gradient of a shared block is the sum of its users' gradients", T, float,
                   double) {
  using shared = sharing::shared;
  using separate = sharing::separate;
  const auto p = laws::random_graph_parameters<shared, T>(33);
  auto q = std::make_unique<ctnn::parameters<separate, T>>();
  // The same values, block by block: s in both s1 and s2.
  auto copy_layer = [](auto from, auto to) {
    std::copy(from.weights().begin(), from.weights().end(), to.weights().begin());
    std::copy(from.biases().begin(), from.biases().end(), to.biases().begin());
  };
  copy_layer(p->template layer<"pre">(), q->template layer<"pre">());
  copy_layer(p->template layer<"side">(), q->template layer<"side">());
  copy_layer(p->template layer<"head">(), q->template layer<"head">());
  copy_layer(p->template layer<"s">(), q->template layer<"s1">());
  copy_layer(p->template layer<"s">(), q->template layer<"s2">());

  auto gs = std::make_unique<ctnn::gradient<shared, T>>();
  auto gq = std::make_unique<ctnn::gradient<separate, T>>();
  auto ws = std::make_unique<ctnn::workspace<shared, T>>();
  auto wq = std::make_unique<ctnn::workspace<separate, T>>();

  auto compare = [&](T ls, T lq, std::span<const T> dxs, std::span<const T> dxq) {
    CHECK(std::abs(double(ls) - double(lq)) <= rounding<T> * std::max(1.0, std::abs(double(lq))));
    CHECK(relative_difference<T>(values(gs->template layer<"pre">().weights()),
                                 values(gq->template layer<"pre">().weights())) <= rounding<T>);
    CHECK(relative_difference<T>(values(gs->template layer<"side">().weights()),
                                 values(gq->template layer<"side">().weights())) <= rounding<T>);
    CHECK(relative_difference<T>(values(gs->template layer<"head">().weights()),
                                 values(gq->template layer<"head">().weights())) <= rounding<T>);
    CHECK(relative_difference<T>(values(gs->template layer<"head">().biases()),
                                 values(gq->template layer<"head">().biases())) <= rounding<T>);
    // ∂s = ∂s1 + ∂s2 (summed here in double).
    const auto s = gs->template layer<"s">();
    const auto s1 = gq->template layer<"s1">(), s2 = gq->template layer<"s2">();
    std::vector<T> sum_w(s.weights().size()), sum_b(s.biases().size());
    for (std::size_t k = 0; k < sum_w.size(); ++k)
      sum_w[k] = T(double(s1.weights()[k]) + double(s2.weights()[k]));
    for (std::size_t k = 0; k < sum_b.size(); ++k)
      sum_b[k] = T(double(s1.biases()[k]) + double(s2.biases()[k]));
    CHECK(relative_difference<T>(values(s.weights()), sum_w) <= rounding<T>);
    CHECK(relative_difference<T>(values(s.biases()), sum_b) <= rounding<T>);
    // Not a sum of zeros: both users contribute.
    CHECK(relative_difference<T>(values(s1.weights()), values(s2.weights())) > 0.01);
    CHECK(relative_difference<T>(dxs, dxq) <= rounding<T>);
  };

  SUBCASE("one sample") {
    const auto d = laws::random_graph_data<shared, T>(1, 5);
    std::array<T, 13> x{}, dxs{}, dxq{};
    std::array<T, 4> t{};
    std::copy_n(d.x[0].begin(), 13, x.begin());
    std::copy_n(d.t[0].begin(), 4, t.begin());
    const T ls = ctnn::loss_and_gradient(*p, x, t, *gs, dxs);
    const T lq = ctnn::loss_and_gradient(*q, x, t, *gq, dxq);
    compare(ls, lq, dxs, dxq);
  }
  SUBCASE("batches of one tile and of three") {
    for (const std::size_t n : {5, 70}) {
      CAPTURE(n);
      const auto d = laws::random_graph_data<shared, T>(n, 6 + n);
      std::vector<T> dxs(n * 13), dxq(n * 13);
      const T ls = ctnn::loss_and_gradient_batch(*p, d.x[0], d.t[0], *gs, *ws, dxs);
      const T lq = ctnn::loss_and_gradient_batch(*q, d.x[0], d.t[0], *gq, *wq, dxq);
      compare(ls, lq, dxs, dxq);
    }
  }
}

// ---- (e) stop_gradient ------------------------------------------------------------------------------------

// The branch b = sigmoid(dense "b"(x)) is read twice through stop_gradient; the twin reads an
// input k in its place, fed with b's values (an output of the first graph).
namespace stopping {
using x = op::input<"x", 11>;
using h = op::tanh<op::dense<"a", 16, x>>;
using b = op::sigmoid<op::dense<"b", 16, x>>;
using sb = op::stop_gradient<b>;
using y = op::dense<"c", 5, op::add<op::mul<h, sb>, sb>>;
using net = ctnn::graph<ctnn::inputs<x>, ctnn::outputs<y, b>, ctnn::objective<op::squared_error<y>>>;
using k = op::input<"k", 16>;
using y_const = op::dense<"c", 5, op::add<op::mul<h, k>, k>>;
using twin = ctnn::graph<ctnn::inputs<x, k>, ctnn::outputs<y_const>,
                         ctnn::objective<op::squared_error<y_const>>>;
}  // namespace stopping

TEST_CASE_TEMPLATE("stop_gradient: zero gradient behind it, the rest as with a constant input", T,
                   float, double) {
  using net = stopping::net;
  using twin = stopping::twin;
  const auto p = laws::random_graph_parameters<net, T>(44);
  auto q = std::make_unique<ctnn::parameters<twin, T>>();
  auto copy_layer = [](auto from, auto to) {
    std::copy(from.weights().begin(), from.weights().end(), to.weights().begin());
    std::copy(from.biases().begin(), from.biases().end(), to.biases().begin());
  };
  copy_layer(p->template layer<"a">(), q->template layer<"a">());
  copy_layer(p->template layer<"c">(), q->template layer<"c">());
  auto g = std::make_unique<ctnn::gradient<net, T>>();
  auto gq = std::make_unique<ctnn::gradient<twin, T>>();

  auto check = [&](T l, T lq, std::span<const T> dx, std::span<const T> dxq) {
    // Exactly zero, though g held garbage before the pass.
    const auto behind = g->template layer<"b">();
    CHECK(std::all_of(behind.weights().begin(), behind.weights().end(), [](T v) { return v == T(0); }));
    CHECK(std::all_of(behind.biases().begin(), behind.biases().end(), [](T v) { return v == T(0); }));
    CHECK(std::abs(double(l) - double(lq)) <= rounding<T> * std::max(1.0, std::abs(double(lq))));
    for (const auto& [mine, theirs] :
         {std::pair{values(g->template layer<"a">().weights()), values(gq->template layer<"a">().weights())},
          std::pair{values(g->template layer<"a">().biases()), values(gq->template layer<"a">().biases())},
          std::pair{values(g->template layer<"c">().weights()), values(gq->template layer<"c">().weights())},
          std::pair{values(g->template layer<"c">().biases()), values(gq->template layer<"c">().biases())}})
      CHECK(relative_difference<T>(mine, theirs) <= rounding<T>);
    CHECK(relative_difference<T>(dx, dxq) <= rounding<T>);
    // The gradient is not zero everywhere: the comparisons above compared something.
    CHECK(std::any_of(dxq.begin(), dxq.end(), [](T v) { return v != T(0); }));
  };

  SUBCASE("one sample") {
    const auto d = laws::random_graph_data<net, T>(1, 8);
    std::array<T, 11> x{}, dx{}, dxq{};
    std::array<T, 5> t{};
    std::array<T, 16> dk{};
    std::copy_n(d.x[0].begin(), 11, x.begin());
    std::copy_n(d.t[0].begin(), 5, t.begin());
    const auto [y, kv] = ctnn::forward(*p, x);
    static_cast<void>(y);
    std::fill(g->values.begin(), g->values.end(), T(1e6));
    const T l = ctnn::loss_and_gradient(*p, x, t, *g, dx);
    const T lq = ctnn::loss_and_gradient(*q, {x, kv}, t, *gq, {dxq, dk});
    check(l, lq, dx, dxq);
  }
  SUBCASE("batches of one tile and of three") {
    auto ws = std::make_unique<ctnn::workspace<net, T>>();
    auto wq = std::make_unique<ctnn::workspace<twin, T>>();
    for (const std::size_t n : {5, 70}) {
      CAPTURE(n);
      const auto d = laws::random_graph_data<net, T>(n, 9 + n);
      std::vector<T> y(n * 5), kv(n * 16), dx(n * 11), dxq(n * 11), dk(n * 16);
      ctnn::forward_batch(*p, d.x[0], {y, kv}, *ws);
      std::fill(g->values.begin(), g->values.end(), T(1e6));
      const T l = ctnn::loss_and_gradient_batch(*p, d.x[0], d.t[0], *g, *ws, dx);
      const T lq = ctnn::loss_and_gradient_batch(*q, {d.x[0], kv}, d.t[0], *gq, *wq, {dxq, dk});
      check(l, lq, dx, dxq);
    }
  }
}

}  // namespace
