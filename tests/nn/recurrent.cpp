// Recurrent nets (nn/recurrent.hpp, ops/unroll.hpp, nn/recurrent_stream.hpp, train/fit_stream.hpp):
// the unrolled cells against loops written from PyTorch's equations, a starting state, chunks
// and tiles, threads, the streaming step and the one-step net against the unrolled pass, training
// with truncated BPTT on a task that only a carried state can learn, and no allocation in any of
// their passes. This binary replaces operator new (support/counting_new.hpp).

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <ctnn/nn/recurrent.hpp>
#include <ctnn/nn/recurrent_stream.hpp>
#include <ctnn/train/fit_stream.hpp>
#include <memory>
#include <span>
#include <tuple>
#include <vector>

#include "../laws/graph_gradcheck.hpp"
#include "../support/counting_new.hpp"

namespace {

namespace op = ctnn::op;

double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }

// The blocks of a cell named `owner` in net Net, by role.
template <class Net, class T>
const T* block(const ctnn::parameters<Net, T>& p, std::string_view owner, std::string_view role) {
  const std::size_t b = ctnn::detail::block_named<Net>(owner, role);
  REQUIRE(b != ctnn::core::none);
  return p.data() + Net::layout::offset[b];
}

// W x + b for a row-major W (rows × cols).
std::vector<double> affine(const double* w, const double* b, const double* x, std::size_t rows,
                           std::size_t cols) {
  std::vector<double> z(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    z[r] = b[r];
    for (std::size_t c = 0; c < cols; ++c) z[r] += w[r * cols + c] * x[c];
  }
  return z;
}

// One step of each cell, from PyTorch's documentation of nn.RNN, nn.GRU and nn.LSTM.
struct cell_weights {
  const double *wih, *whh, *bih, *bhh;
};
std::vector<double> rnn_step(const cell_weights& w, const double* x, const std::vector<double>& h,
                             std::size_t in, std::size_t H) {
  const auto a = affine(w.wih, w.bih, x, H, in), b = affine(w.whh, w.bhh, h.data(), H, H);
  std::vector<double> next(H);
  for (std::size_t k = 0; k < H; ++k) next[k] = std::tanh(a[k] + b[k]);
  return next;
}
std::vector<double> gru_step(const cell_weights& w, const double* x, const std::vector<double>& h,
                             std::size_t in, std::size_t H) {
  const auto gi = affine(w.wih, w.bih, x, 3 * H, in), gh = affine(w.whh, w.bhh, h.data(), 3 * H, H);
  std::vector<double> next(H);
  for (std::size_t k = 0; k < H; ++k) {
    const double r = sigmoid(gi[k] + gh[k]), z = sigmoid(gi[H + k] + gh[H + k]);
    const double n = std::tanh(gi[2 * H + k] + r * gh[2 * H + k]);
    next[k] = (1 - z) * n + z * h[k];
  }
  return next;
}
std::vector<double> lstm_step(const cell_weights& w, const double* x, const std::vector<double>& s,
                              std::size_t in, std::size_t H) {
  const auto g = affine(w.wih, w.bih, x, 4 * H, in), gh = affine(w.whh, w.bhh, s.data(), 4 * H, H);
  std::vector<double> next(2 * H);
  for (std::size_t k = 0; k < H; ++k) {
    const double i = sigmoid(g[k] + gh[k]), f = sigmoid(g[H + k] + gh[H + k]);
    const double c = std::tanh(g[2 * H + k] + gh[2 * H + k]), o = sigmoid(g[3 * H + k] + gh[3 * H + k]);
    next[H + k] = f * s[H + k] + i * c;
    next[k] = o * std::tanh(next[H + k]);
  }
  return next;
}

// The states after each step of a cell over n sequences of T steps from `start` (or zeros),
// computed with `step`; compared with the unrolled layer's forward_batch.
template <class Cell, std::size_t T, class Step>
void check_definition(Step step, std::uint64_t seed) {
  using x = op::input<"x", T, Cell::input_size>;
  using start = op::input<"start", Cell::state_size>;
  using layer = ctnn::recurrent<Cell, T, x, start>;
  using net = ctnn::graph<ctnn::inputs<x, start>, ctnn::outputs<layer>>;
  constexpr std::size_t in = Cell::input_size, H = Cell::hidden_size, S = Cell::state_size, n = 37;
  const auto p = laws::random_graph_parameters<net, double>(seed);
  const auto d = laws::random_graph_data<net, double>(n, seed + 1);
  const std::string owner(Cell::label.view());
  const cell_weights w{block(*p, owner, "weight_ih_l0"), block(*p, owner, "weight_hh_l0"),
                       block(*p, owner, "bias_ih_l0"), block(*p, owner, "bias_hh_l0")};
  std::vector<double> y(n * T * S);
  auto ws = std::make_unique<ctnn::workspace<net, double>>();
  ctnn::forward_batch(*p, {std::span<const double>(d.x[0]), std::span<const double>(d.x[1])},
                      std::span<double>(y), *ws);
  double worst = 0;
  for (std::size_t s = 0; s < n; ++s) {
    std::vector<double> state(d.x[1].begin() + std::ptrdiff_t(s * S), d.x[1].begin() + std::ptrdiff_t((s + 1) * S));
    for (std::size_t t = 0; t < T; ++t) {
      state = step(w, d.x[0].data() + (s * T + t) * in, state, in, H);
      for (std::size_t k = 0; k < S; ++k)
        worst = std::max(worst, std::abs(y[(s * T + t) * S + k] - state[k]));
    }
  }
  CHECK(worst < 1e-13);
}

TEST_CASE("the unrolled cells compute PyTorch's equations") {
  check_definition<ctnn::rnn_cell<"rnn", 3, 5>, 6>(rnn_step, 1);
  check_definition<ctnn::gru_cell<"gru", 4, 7>, 5>(gru_step, 2);
  check_definition<ctnn::lstm_cell<"lstm", 2, 6>, 4>(lstm_step, 3);
}

// A GRU sequence-to-one net, for the checks below.
namespace seq {
using x = op::input<"x", 6, 3>;
using layer = ctnn::recurrent<ctnn::gru_cell<"gru", 3, 10>, 6, x>;
using y = op::dense<"head", 4, ctnn::last_hidden<layer>>;
using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::softmax_cross_entropy<y>>>;
}  // namespace seq

TEST_CASE_TEMPLATE("a batch gives each sample's one-sample values, on any tile and thread count", T, float, double) {
  using net = seq::net;
  constexpr std::size_t n = 75;
  const auto p = laws::random_graph_parameters<net, T>(7);
  const auto d = laws::random_graph_data<net, T>(n, 8);
  const std::span<const T> xs(d.x[0]), ts(d.t[0]);
  std::vector<T> y32(n * 4), y64(n * 4), y7(n * 4);
  auto ws32 = std::make_unique<ctnn::workspace<net, T>>();
  auto ws64 = std::make_unique<ctnn::workspace<net, T, 64>>();  // chunks of 32 and the rest
  auto ws7 = std::make_unique<ctnn::workspace<net, T, 7>>();
  ctnn::forward_batch(*p, xs, std::span<T>(y32), *ws32);
  ctnn::forward_batch(*p, xs, std::span<T>(y64), *ws64);
  ctnn::forward_batch(*p, xs, std::span<T>(y7), *ws7);
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  for (std::size_t s = 0; s < n; ++s) {
    const auto one = ctnn::forward(*p, std::span<const T, 18>(xs.data() + s * 18, 18));
    for (std::size_t k = 0; k < 4; ++k) {
      CHECK(std::abs(double(one[k] - y32[s * 4 + k])) < tol);
      CHECK(std::abs(double(y64[s * 4 + k] - y32[s * 4 + k])) < tol);
      CHECK(std::abs(double(y7[s * 4 + k] - y32[s * 4 + k])) < tol);
    }
  }
  auto g1 = std::make_unique<ctnn::gradient<net, T>>();
  auto g2 = std::make_unique<ctnn::gradient<net, T>>();
  const T l1 = ctnn::loss_and_gradient_batch(*p, xs, ts, *g1, *ws32);
  ctnn::thread_pool pool(2);
  auto pws = std::make_unique<ctnn::parallel_workspace<net, T>>(pool);
  const T l2 = ctnn::loss_and_gradient_batch(pool, *p, xs, ts, *g2, *pws);
  CHECK(std::abs(double(l1 - l2)) < tol);
  for (std::size_t k = 0; k < net::parameter_count; ++k)
    CHECK(std::abs(double((*g1)[k] - (*g2)[k])) < tol * (1 + std::abs(double((*g1)[k]))));
}

TEST_CASE("a stream steps the cell as the unrolled layer does; a one-step net likewise") {
  using cell = ctnn::lstm_cell<"lstm", 3, 5>;
  using x = op::input<"x", 8, 3>;
  using start = op::input<"start", 10>;
  using layer = ctnn::recurrent<cell, 8, x, start>;
  using net = ctnn::graph<ctnn::inputs<x, start>, ctnn::outputs<layer>>;
  using x1 = op::input<"x", 1, 3>;
  using one_step = ctnn::graph<ctnn::inputs<x1, start>, ctnn::outputs<ctnn::recurrent<cell, 1, x1, start>>>;
  const auto p = laws::random_graph_parameters<net, float>(11);
  const auto d = laws::random_graph_data<net, float>(1, 12);
  const auto y = ctnn::forward(*p, {std::span<const float, 24>(d.x[0].data(), 24),
                                    std::span<const float, 10>(d.x[1].data(), 10)});
  auto s = std::make_unique<ctnn::recurrent_stream<cell>>(*p);
  std::copy_n(d.x[1].begin(), 10, s->state().begin());
  const auto q = std::make_unique<ctnn::parameters<one_step, float>>(ctnn::parameters_by_name<one_step>(*p));
  std::array<float, 10> carried{};
  std::copy_n(d.x[1].begin(), 10, carried.begin());
  for (std::size_t t = 0; t < 8; ++t) {
    const std::span<const float, 3> xt(d.x[0].data() + 3 * t, 3);
    const auto h = s->step(xt);
    const auto next = ctnn::forward(*q, {xt, std::span<const float, 10>(carried)});
    for (std::size_t k = 0; k < 10; ++k) {
      CHECK(s->state()[k] == doctest::Approx(y[t * 10 + k]).epsilon(1e-5));
      CHECK(next[k] == doctest::Approx(y[t * 10 + k]).epsilon(1e-5));
    }
    for (std::size_t k = 0; k < 5; ++k) CHECK(h[k] == s->state()[k]);
    carried = next;
  }
  s->reset();
  for (float v : s->state()) CHECK(v == 0.0f);
}

// Each step's target is the input three steps back: 0 or 1, one-hot. In windows of 4 steps, the
// first three targets of a window are inputs of the window before, so a net that starts every
// window from zeros is at chance on them (mean loss ≥ ¾ ln 2 ≈ 0.52 per step); only the carried
// state can bring the loss near 0. (A stream cut into segments loses the carried state at
// each segment's start: 3 of 600 steps at chance, 0.0035 per step.)
namespace delay {
constexpr std::size_t window = 4, lag = 3;
using x = op::input<"x", window, 2>;
using start = op::input<"start", 12>;
using layer = ctnn::recurrent<ctnn::gru_cell<"gru", 2, 12>, window, x, start>;
using logits = op::dense_rows<"head", 2, ctnn::hidden_sequence<layer>>;
using net = ctnn::graph<ctnn::inputs<x, start>, ctnn::outputs<logits, ctnn::final_state<layer>>,
                        ctnn::objective<op::step_softmax_cross_entropy<logits>>>;

struct stream {
  std::vector<float> x, t;
  explicit stream(std::size_t steps, std::uint64_t seed) : x(steps * 2), t(steps * 2) {
    ctnn::detail::random_generator rng(seed);
    std::vector<std::size_t> bits(steps);
    for (auto& b : bits) b = std::size_t(rng.below(2));
    for (std::size_t i = 0; i < steps; ++i) {
      x[i * 2 + bits[i]] = 1;
      t[i * 2 + (i >= lag ? bits[i - lag] : 0)] = 1;
    }
  }
};
}  // namespace delay

TEST_CASE("truncated BPTT learns what only a carried state can hold") {
  using net = delay::net;
  const delay::stream train(16 * 4 * 150, 21), held(16 * 4 * 150, 22);
  auto p = std::make_unique<ctnn::parameters<net, float>>();
  ctnn::initialize(*p, 5);
  ctnn::fit_options o;
  o.epochs = 60;
  o.batch_size = 16;
  o.output = nullptr;
  auto opt = std::make_unique<ctnn::adam<net, float>>();
  const ctnn::stream_data<float> data{train.x, train.t}, validation{held.x, held.t};
  const auto r = ctnn::fit_stream(*p, *opt, ctnn::constant_lr(0.02), data, o, &validation);
  REQUIRE(r.history.size() == 60);
  MESSAGE("per-step loss: first epoch ", r.history.front().train_loss, ", last ",
          r.history.back().train_loss, ", held out ", r.history.back().validation_loss);
  CHECK(r.history.back().train_loss < 0.05);
  CHECK(r.history.back().validation_loss < 0.05);
  // The same weights from a zero state at every window: at chance on three steps of four.
  auto ws = std::make_unique<ctnn::workspace<net, float>>();
  double reset = 0;
  std::array<float, 12 * 60> zeros{};
  std::vector<float> y(60 * 8), next(60 * 12);
  const std::size_t windows = held.x.size() / 8;
  for (std::size_t k = 0; k + 60 <= windows; k += 60)
    reset += double(ctnn::loss_batch(*p, {std::span<const float>(held.x.data() + k * 8, 60 * 8), std::span<const float>(zeros)},
                                     std::span<const float>(held.t.data() + k * 8, 60 * 8), *ws));
  CHECK(reset / double(windows / 60) / 4 > 0.45);
}

TEST_CASE("fit_stream names what is wrong with its data and options") {
  using net = delay::net;
  auto p = std::make_unique<ctnn::parameters<net, float>>();
  auto opt = std::make_unique<ctnn::adam<net, float>>();
  const delay::stream s(64, 1);
  ctnn::fit_options o;
  o.output = nullptr;
  o.batch_size = 4;
  std::vector<float> odd(s.x.begin(), s.x.end() - 1);
  CHECK_THROWS_WITH_AS(ctnn::fit_stream(*p, *opt, ctnn::constant_lr(0.1), {odd, s.t}, o),
                       doctest::Contains("not a whole number of steps of width 2"), std::invalid_argument);
  o.batch_size = 32;  // 64 steps in 32 streams: 2 steps each, no window of 4
  CHECK_THROWS_WITH_AS(ctnn::fit_stream(*p, *opt, ctnn::constant_lr(0.1), {s.x, s.t}, o),
                       doctest::Contains("leave no whole window of 4 steps"), std::invalid_argument);
}

#if CTNN_TEST_COUNTS_ALLOCATIONS
TEST_CASE_TEMPLATE("no pass of a recurrent net allocates", T, float, double) {
  using net = seq::net;
  constexpr std::size_t n = 45;
  const auto p = laws::random_graph_parameters<net, T>(3);
  const auto d = laws::random_graph_data<net, T>(n, 4);
  auto g = std::make_unique<ctnn::gradient<net, T>>();
  auto scratch = std::make_unique<ctnn::gradient<net, T>>();
  auto ws = std::make_unique<ctnn::workspace<net, T>>();
  auto opt = std::make_unique<ctnn::adam<net, T>>();
  std::vector<T> y(n * 4), dx(n * 18);
  std::array<T, 18> x1{};
  std::array<T, 4> t1{};
  std::copy_n(d.x[0].begin(), 18, x1.begin());
  std::copy_n(d.t[0].begin(), 4, t1.begin());
  ctnn::thread_pool pool(2);
  auto pws = std::make_unique<ctnn::parallel_workspace<net, T>>(pool);
  auto stream = std::make_unique<ctnn::recurrent_stream<ctnn::gru_cell<"gru", 3, 10>, T>>(*p);
  const std::span<const T> xs(d.x[0]), ts(d.t[0]);
  double sink = 0;
  const std::size_t before = ctnn_test::allocation_count();
  for (int r = 0; r < 2; ++r) {
    ctnn::forward_batch(*p, xs, std::span<T>(y), *ws);
    sink += double(ctnn::loss_batch(*p, xs, ts, *ws));
    sink += double(ctnn::loss_and_gradient_batch(*p, xs, ts, *g, *ws, std::span<T>(dx)));
    sink += double(ctnn::train_step_batch(*p, xs, ts, *opt, 1e-6, *scratch, *ws));
    sink += double(ctnn::forward(*p, x1)[0]);
    sink += double(ctnn::loss_and_gradient(*p, x1, t1, *g));
    sink += double(ctnn::train_step(*p, x1, t1, *opt, 1e-6));
    sink += double(ctnn::loss_and_gradient_batch(pool, *p, xs, ts, *g, *pws));
    sink += double(ctnn::train_step_batch(pool, *p, xs, ts, *opt, 1e-6, *scratch, *pws));
    for (std::size_t t = 0; t < 6; ++t) sink += double(stream->step(std::span<const T, 3>(x1.data() + 3 * t, 3))[0]);
  }
  CHECK(ctnn_test::allocation_count() - before == 0);
  CHECK(std::isfinite(sink));
}
#endif

}  // namespace
