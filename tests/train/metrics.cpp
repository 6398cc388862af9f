// Metrics (train/metrics.hpp): accuracy by argmax and by threshold on hand-made rows, the rule
// picked for each loss and last activation, and evaluate() against loss_batch and per-sample
// forward passes.

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <ratio>
#include <span>
#include <vector>

namespace {

template <class T>
std::span<const T> view(const std::vector<T>& v) {
  return v;
}

}  // namespace

TEST_CASE("argmax accuracy: a row is right when the largest output is in the target's column") {
  const std::vector<float> y = {0.1f, 0.7f, 0.2f,   // -> 1, target 1: right
                                0.5f, 0.3f, 0.2f,   // -> 0, target 0: right
                                0.2f, 0.2f, 0.6f,   // -> 2, target 2: right
                                0.3f, 0.3f, 0.4f};  // -> 2, target 0: wrong
  const std::vector<float> t = {0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0};
  CHECK(ctnn::argmax_accuracy(view(y), view(t), 3) == 0.75);
  // Ties go to the first column, for outputs and targets alike.
  CHECK(ctnn::argmax_accuracy(view(std::vector<float>{0.5f, 0.5f, 0}), view(std::vector<float>{1, 0, 0}), 3) == 1.0);
  CHECK(ctnn::argmax_accuracy(view(std::vector<float>{0.5f, 0.5f, 0}), view(std::vector<float>{0, 1, 0}), 3) == 0.0);
  // Counting accumulates over calls.
  ctnn::accuracy_counter c;
  CHECK(std::isnan(c.value()));
  ctnn::count_argmax_matches(c, view(y), view(t), 3);
  ctnn::count_argmax_matches(c, std::span<const float>(y).first(3), std::span<const float>(t).first(3), 3);
  CHECK(c.correct == 4);
  CHECK(c.counted == 5);
  CHECK(c.value() == 0.8);
  CHECK_THROWS_AS(ctnn::argmax_accuracy(view(y), std::span<const float>(t).first(9), 3),
                  ctnn::contract_error);
  CHECK_THROWS_AS(ctnn::argmax_accuracy(view(y), view(t), 5), ctnn::contract_error);
}

TEST_CASE("binary accuracy: each value is right when it falls on its target's side") {
  const std::vector<double> t = {0, 1, 1, 0};
  // Probabilities split at 0.5 (0.5 itself is "no").
  CHECK(ctnn::binary_accuracy(view(std::vector<double>{0.2, 0.7, 0.5, 0.9}), view(t)) == 0.5);
  // Logits split at 0.
  CHECK(ctnn::binary_accuracy(view(std::vector<double>{-1, 2, 0.1, -3}), view(t), 0.0) == 1.0);
  CHECK(ctnn::binary_accuracy(view(std::vector<double>{-1, 2, 0.1, -3}), view(t), 0.5) == 0.75);
  CHECK_THROWS_AS(ctnn::binary_accuracy(view(t), std::span<const double>(t).first(3)),
                  ctnn::contract_error);
}

namespace {
using logits_net = ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::relu, ctnn::dense<4>>;
using softmax_net =
    ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::relu, ctnn::dense<4>, ctnn::softmax>;
using sigmoid_net =
    ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::tanh, ctnn::dense<2>, ctnn::sigmoid>;
using tanh_net = ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::tanh, ctnn::dense<1>, ctnn::tanh>;
using linear_net = ctnn::network<ctnn::input<5>, ctnn::dense<2>>;
}  // namespace

TEST_CASE("resolve_accuracy: the rule each loss and last activation call for") {
  using ctnn::accuracy_kind;
  constexpr auto sce = ctnn::resolve_accuracy<logits_net, ctnn::softmax_cross_entropy>();
  CHECK(sce.kind == accuracy_kind::argmax);
  CHECK(ctnn::resolve_accuracy<softmax_net, ctnn::softmax_cross_entropy>().kind == accuracy_kind::argmax);
  constexpr auto bce_prob = ctnn::resolve_accuracy<sigmoid_net, ctnn::binary_cross_entropy>();
  CHECK(bce_prob.kind == accuracy_kind::binary);
  CHECK(bce_prob.threshold == 0.5);
  constexpr auto bce_logit = ctnn::resolve_accuracy<linear_net, ctnn::binary_cross_entropy>();
  CHECK(bce_logit.kind == accuracy_kind::binary);
  CHECK(bce_logit.threshold == 0.0);
  CHECK(ctnn::resolve_accuracy<linear_net, ctnn::squared_error>().kind == accuracy_kind::none);
  constexpr auto tanh_binary = ctnn::resolve_accuracy<tanh_net, ctnn::squared_error>(accuracy_kind::binary);
  CHECK(tanh_binary.kind == accuracy_kind::binary);
  CHECK(tanh_binary.threshold == 0.0);
  CHECK(ctnn::resolve_accuracy<linear_net, ctnn::squared_error>(accuracy_kind::binary).threshold == 0.5);
  CHECK(ctnn::resolve_accuracy<logits_net, ctnn::softmax_cross_entropy>(accuracy_kind::none).kind ==
        accuracy_kind::none);
}

namespace {

// n random samples for Net: inputs in [-2, 2]; one-hot targets (classes) or 0/1 targets.
template <class Net>
void make_data(std::size_t n, bool one_hot, std::vector<double>& x, std::vector<double>& t) {
  ctnn::detail::random_generator rng(n * 31 + Net::output_size);
  x.resize(n * Net::input_size);
  t.assign(n * Net::output_size, 0.0);
  for (double& v : x) v = rng.uniform(-2, 2);
  for (std::size_t s = 0; s < n; ++s) {
    if (one_hot) t[s * Net::output_size + rng.below(Net::output_size)] = 1;
    else
      for (std::size_t k = 0; k < Net::output_size; ++k) t[s * Net::output_size + k] = double(rng.below(2));
  }
}

// evaluate() against loss_batch (the loss) and one forward pass per sample (the accuracy).
template <class Net, class Loss>
void check_evaluate(std::size_t n, bool one_hot, double threshold) {
  constexpr std::size_t in = Net::input_size, out = Net::output_size;
  std::vector<double> x, t;
  make_data<Net>(n, one_hot, x, t);
  ctnn::parameters<Net, double> p;
  ctnn::initialize(p, n);
  ctnn::workspace<Net, double> ws;
  const ctnn::evaluation e =
      ctnn::evaluate(p, Loss{}, view(x), view(t), ws, ctnn::resolve_accuracy<Net, Loss>());
  const double expected_loss = ctnn::loss_batch(p, Loss{}, view(x), view(t), ws);
  std::size_t right = 0, counted = 0;
  for (std::size_t s = 0; s < n; ++s) {
    const auto y = ctnn::forward(p, std::span<const double, in>(x.data() + s * in, in));
    const double* ts = t.data() + s * out;
    if (one_hot) {
      std::size_t best = 0, label = 0;
      for (std::size_t k = 1; k < out; ++k) {
        if (y[k] > y[best]) best = k;
        if (ts[k] > ts[label]) label = k;
      }
      right += best == label;
      ++counted;
    } else {
      for (std::size_t k = 0; k < out; ++k, ++counted) right += (y[k] > threshold) == (ts[k] > 0.5);
    }
  }
  CHECK(e.samples == n);
  CHECK(e.loss == doctest::Approx(expected_loss).epsilon(1e-12));
  CHECK(e.accuracy == double(right) / double(counted));
  // Not a degenerate case (with enough samples): neither all right nor all wrong.
  if (counted >= 30) {
    CHECK(right > 0);
    CHECK(right < counted);
  }
}

}  // namespace

TEST_CASE("evaluate: mean loss as loss_batch, accuracy as per-sample forward passes") {
  for (std::size_t n : {std::size_t{1}, std::size_t{31}, std::size_t{32}, std::size_t{77}}) {
    CAPTURE(n);
    check_evaluate<logits_net, ctnn::softmax_cross_entropy>(n, true, 0);
    check_evaluate<softmax_net, ctnn::softmax_cross_entropy>(n, true, 0);
    check_evaluate<sigmoid_net, ctnn::binary_cross_entropy>(n + 1, false, 0.5);
    check_evaluate<linear_net, ctnn::binary_cross_entropy>(n + 1, false, 0.0);
  }
  // With its own workspace, and the contract checks.
  std::vector<double> x, t;
  make_data<logits_net>(10, true, x, t);
  ctnn::parameters<logits_net, double> p;
  ctnn::initialize(p, 2);
  const auto e = ctnn::evaluate(p, ctnn::squared_error{}, view(x), view(t));
  CHECK(std::isnan(e.accuracy));  // squared error: no accuracy unless asked for
  CHECK(std::isfinite(e.loss));
  CHECK_THROWS_AS(ctnn::evaluate(p, ctnn::squared_error{}, view(x), std::span<const double>(t).first(8)),
                  ctnn::contract_error);
}

TEST_CASE("evaluate on a graph with an objective: the mean objective and its first loss's accuracy, "
          "by hand") {
  // Two inputs, one head, softmax cross-entropy on it as the objective, weighted by 1/2.
  namespace op = ctnn::op;
  using a = op::input<"a", 3>;
  using b = op::input<"b", 2>;
  using y = op::dense<"head", 4, op::concat<a, b>>;
  using net = ctnn::graph<ctnn::inputs<a, b>, ctnn::outputs<y>,
                          ctnn::objective<op::scale<op::softmax_cross_entropy<y>, std::ratio<1, 2>>>>;
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 5);
  for (std::size_t k = 0; k < p.size(); ++k) p[k] += 0.01 * double(k % 7);  // biases too
  constexpr std::size_t n = 37;
  std::vector<double> xa(n * 3), xb(n * 2), t(n * 4, 0.0);
  for (std::size_t k = 0; k < xa.size(); ++k) xa[k] = std::sin(0.7 * double(k));
  for (std::size_t k = 0; k < xb.size(); ++k) xb[k] = std::cos(1.3 * double(k));
  for (std::size_t s = 0; s < n; ++s) t[s * 4 + (s * 7) % 4] = 1.0;

  // By hand: W is 4x5 row-major over [a, b], then b; loss = ½(log Σ e^z - z_target).
  double loss = 0;
  std::size_t right = 0;
  for (std::size_t s = 0; s < n; ++s) {
    double z[4], m = -1e300;
    std::size_t best = 0, target = 0;
    for (std::size_t o = 0; o < 4; ++o) {
      z[o] = p[20 + o];
      for (std::size_t i = 0; i < 5; ++i)
        z[o] += p[o * 5 + i] * (i < 3 ? xa[s * 3 + i] : xb[s * 2 + i - 3]);
      if (z[o] > m) m = z[o], best = o;
      if (t[s * 4 + o] == 1.0) target = o;
    }
    double sum = 0;
    for (double v : z) sum += std::exp(v - m);
    loss += 0.5 * (m + std::log(sum) - z[target]);
    right += best == target;
  }
  const ctnn::evaluation e = ctnn::evaluate(p, {view(xa), view(xb)}, {view(t)});
  CHECK(e.samples == n);
  CHECK(e.loss == doctest::Approx(loss / double(n)).epsilon(1e-12));
  CHECK(e.accuracy == double(right) / double(n));
  CHECK(right > 0);
  CHECK(right < n);
  // The same through a caller's workspace and rule, and the contract checks.
  auto ws = std::make_unique<ctnn::workspace<net, double>>();
  const auto e2 = ctnn::evaluate(p, {view(xa), view(xb)}, {view(t)}, *ws,
                                 ctnn::resolve_accuracy<net>(ctnn::accuracy_kind::none));
  CHECK(e2.loss == e.loss);
  CHECK(std::isnan(e2.accuracy));
  CHECK_THROWS_AS(ctnn::evaluate(p, {view(xa), std::span<const double>(xb).first(10)}, {view(t)}),
                  ctnn::contract_error);
}
