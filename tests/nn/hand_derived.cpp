// Gradients of small networks derived by hand, step by step, and compared with ctnn entry by
// entry. The derivations follow the backprop seed (δ, a, z, W as it writes them):
//   z^l = W^l a^{l-1} + b^l,  a^l = f(z^l),  δ^L = ∂C/∂z^L,  δ^l = (W^{l+1}ᵀ δ^{l+1}) ⊙ f'(z^l),
//   ∂C/∂W^l = δ^l a^{l-1}ᵀ,  ∂C/∂b^l = δ^l,  ∇ₓC = W^1ᵀ δ^1.
// The hand computations are plain double arithmetic written out for these exact shapes; they never
// call into ctnn, and they are themselves checked against central differences of the hand forward
// pass, so a mistake in a derivation below cannot hide a mistake in the library.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <functional>
#include <span>
#include <type_traits>
#include <vector>

namespace {

// |actual_k - expected_k| <= rel·max(|expected_k|, ‖expected‖∞/16), entry by entry, naming the
// entry on failure. The floor keeps an entry that is a small sum of larger terms of both signs
// (a bias gradient averaged over samples) from demanding more precision than its terms have.
template <class T>
void check_entries(std::span<const T> actual, std::span<const double> expected, double rel,
                   const char* what) {
  REQUIRE(actual.size() == expected.size());
  double largest = 0;
  for (const double e : expected) largest = std::max(largest, std::abs(e));
  for (std::size_t k = 0; k < actual.size(); ++k) {
    INFO(doctest::String(what), " entry ", k, ": ctnn ", double(actual[k]), ", by hand ",
         expected[k]);
    CHECK(std::abs(double(actual[k]) - expected[k]) <=
          rel * std::max(std::abs(expected[k]), largest / 16));
  }
}

// Tolerances of ctnn (in T) against the hand computation (in double, from the same T-rounded
// weights and inputs). These nets have ≤ 3 terms per dot product, values of order 0.01 to 1 and a
// handful of exp/log calls per entry, so ctnn's error is a few ulp of T: measured below 1e-6
// (float) and 1e-14 (double) relative with g++ and clang++, SIMD and scalar. The bounds allow 5×
// and 10× that (about 40 ulp of float, 450 of double); a wrong factor, sign, transpose or term is
// off by orders of magnitude more.
template <class T>
struct tolerance;
template <>
struct tolerance<float> {
  static constexpr double rel = 5e-6, abs = 1e-8;
};
template <>
struct tolerance<double> {
  static constexpr double rel = 1e-13, abs = 1e-17;
};

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

template <class Net, class T>
ctnn::parameters<Net, T> parameters_from(std::span<const double> values) {
  REQUIRE(values.size() == Net::parameter_count);
  ctnn::parameters<Net, T> p;
  for (std::size_t k = 0; k < values.size(); ++k) p[k] = static_cast<T>(values[k]);
  return p;
}

// The T-rounded values as double, so the hand computation starts from exactly ctnn's numbers.
template <class Net, class T>
std::vector<double> as_double(const ctnn::parameters<Net, T>& p) {
  return std::vector<double>(p.values.begin(), p.values.end());
}

// Central differences of a scalar function of a parameter vector, in double: checks the hand
// derivations themselves.
std::vector<double> central_differences(const std::function<double(const std::vector<double>&)>& c,
                                        std::vector<double> w) {
  std::vector<double> d(w.size());
  const double h = 1e-6;
  for (std::size_t k = 0; k < w.size(); ++k) {
    const double keep = w[k];
    w[k] = keep + h;
    const double up = c(w);
    w[k] = keep - h;
    const double down = c(w);
    w[k] = keep;
    d[k] = (up - down) / (2 * h);
  }
  return d;
}

void check_against_differences(const std::vector<double>& by_hand,
                               const std::vector<double>& differences) {
  REQUIRE(by_hand.size() == differences.size());
  for (std::size_t k = 0; k < by_hand.size(); ++k) {
    INFO("entry ", k, ": by hand ", by_hand[k], ", central difference ", differences[k]);
    CHECK(std::abs(by_hand[k] - differences[k]) <= 1e-8 * (1 + std::abs(by_hand[k])));
  }
}

// ---- (a) the seed's single linear neuron ------------------------------------------------------

using neuron = ctnn::network<ctnn::input<2>, ctnn::dense<1>>;

TEST_CASE_TEMPLATE("the seed's linear neuron on the training case (1, 1, 0)", T, float, double) {
  // The seed: y = x_1w_1 + x_2w_2, and on (x_1, x_2, t) = (1, 1, 0) its error is
  // E = (t - y)² = (w_1 + w_2)², so ∂E/∂w_i = 2(w_1 + w_2).
  // ctnn's squared_error is C = ½‖y - t‖² (the ½ cancels the 2 of the derivative, as most texts
  // on backprop write it), so C = E/2 and ∂C/∂w_i = (w_1 + w_2): exactly half the seed's
  // gradient. Also ∂C/∂b = (y - t) = w_1 + w_2 (b = 0) and ∇ₓC = (y - t)·(w_1, w_2).
  // All values are dyadic, so every result is exact in float and double, and compared exactly.
  const std::array<std::array<double, 2>, 6> weights{
      {{0.5, 0.25}, {-1.5, 0.75}, {2.0, -2.0}, {0.125, 3.0}, {-0.5, -0.25}, {0.0, 1.0}}};
  for (const auto& w : weights) {
    const double w1 = w[0], w2 = w[1];  // not a structured binding: clang 14 cannot capture one
    CAPTURE(w1);
    CAPTURE(w2);
    ctnn::parameters<neuron, T> p;
    p[0] = T(w1);  // W is 1×2, then b
    p[1] = T(w2);
    p[2] = T(0);
    const std::array<T, 2> x{1, 1};
    const std::array<T, 1> t{0};

    const double seed_error = (w1 + w2) * (w1 + w2);  // E = (w_1 + w_2)²
    const double seed_dw = 2 * (w1 + w2);             // ∂E/∂w_i, i = 1, 2

    CHECK(ctnn::forward(p, x)[0] == T(w1 + w2));
    CHECK(ctnn::loss(p, ctnn::squared_error{}, x, t) == T(seed_error / 2));

    ctnn::gradient<neuron, T> g;
    std::array<T, 2> dx{};
    const T c = ctnn::loss_and_gradient(p, ctnn::squared_error{}, x, t, g, dx);
    CHECK(c == T(seed_error / 2));
    CHECK(g.template layer<0>().weight(0, 0) == T(seed_dw / 2));
    CHECK(g.template layer<0>().weight(0, 1) == T(seed_dw / 2));
    CHECK(g[0] == T(w1 + w2));
    CHECK(g[1] == T(w1 + w2));
    CHECK(g[2] == T(w1 + w2));          // ∂C/∂b
    CHECK(dx[0] == T((w1 + w2) * w1));  // ∇ₓC = (w_1 + w_2)·(w_1, w_2)
    CHECK(dx[1] == T((w1 + w2) * w2));

    // The overload without ∇ₓC gives the same parameter gradient, and overwrites g.
    ctnn::gradient<neuron, T> g2;
    g2.values.fill(T(123));
    CHECK(ctnn::loss_and_gradient(p, ctnn::squared_error{}, x, t, g2) == T(seed_error / 2));
    CHECK(g2 == g);
  }
}

// ---- (b) a 2-2-1 sigmoid network --------------------------------------------------------------

using net_221 =
    ctnn::network<ctnn::input<2>, ctnn::dense<2>, ctnn::sigmoid, ctnn::dense<1>, ctnn::sigmoid>;
using net_221_logits = ctnn::network<ctnn::input<2>, ctnn::dense<2>, ctnn::sigmoid, ctnn::dense<1>>;

// Flat layout (PyTorch nn.Linear): W¹ (2×2 row-major), b¹ (2), W² (1×2), b² (1).
constexpr std::array<double, 9> weights_221{0.15, -0.20, 0.25, 0.30,  // W¹
                                            0.35, -0.10,              // b¹
                                            0.40, -0.45,              // W²
                                            0.60};                    // b²

enum class output_loss { squared_error, binary_cross_entropy };

struct hand_result {
  double loss;
  std::vector<double> gradient;  // flat, in the layout above
  std::array<double, 2> dx;
};

// The 2-2-1 sigmoid network by hand.
hand_result by_hand_221(const std::vector<double>& w, std::array<double, 2> x, double t,
                        output_loss kind) {
  const double W1[2][2] = {{w[0], w[1]}, {w[2], w[3]}};
  const double b1[2] = {w[4], w[5]};
  const double W2[2] = {w[6], w[7]};
  const double b2 = w[8];

  // Forward.
  const double z1[2] = {W1[0][0] * x[0] + W1[0][1] * x[1] + b1[0],
                        W1[1][0] * x[0] + W1[1][1] * x[1] + b1[1]};
  const double a1[2] = {sigmoid(z1[0]), sigmoid(z1[1])};
  const double z2 = W2[0] * a1[0] + W2[1] * a1[1] + b2;
  const double a2 = sigmoid(z2);

  // Output δ² = ∂C/∂z².
  double loss, delta2;
  if (kind == output_loss::squared_error) {
    loss = 0.5 * (a2 - t) * (a2 - t);   // C = ½(a² - t)²
    delta2 = (a2 - t) * a2 * (1 - a2);  // δ² = (a² - t)·σ'(z²)
  } else {
    loss = -t * std::log(a2) - (1 - t) * std::log(1 - a2);
    delta2 = a2 - t;  // the σ' cancels against the log's derivative
  }
  // δ¹ = (W²ᵀ δ²) ⊙ σ'(z¹).
  const double delta1[2] = {W2[0] * delta2 * a1[0] * (1 - a1[0]),
                            W2[1] * delta2 * a1[1] * (1 - a1[1])};

  hand_result r;
  r.loss = loss;
  r.gradient.assign(9, 0.0);
  for (int j = 0; j < 2; ++j) {
    r.gradient[j * 2 + 0] = delta1[j] * x[0];  // ∂W¹ = δ¹ xᵀ
    r.gradient[j * 2 + 1] = delta1[j] * x[1];
    r.gradient[4 + j] = delta1[j];       // ∂b¹ = δ¹
    r.gradient[6 + j] = delta2 * a1[j];  // ∂W² = δ² a¹ᵀ
  }
  r.gradient[8] = delta2;                               // ∂b² = δ²
  r.dx = {W1[0][0] * delta1[0] + W1[1][0] * delta1[1],  // ∇ₓC = W¹ᵀ δ¹
          W1[0][1] * delta1[0] + W1[1][1] * delta1[1]};
  return r;
}

// One sample through ctnn, compared with the hand computation.
template <class Net, class T, class Loss>
void check_221_sample(const ctnn::parameters<Net, T>& p, Loss loss, std::array<T, 2> x, T t,
                      output_loss kind) {
  const hand_result hand = by_hand_221(as_double(p), {double(x[0]), double(x[1])}, double(t), kind);
  const std::array<T, 1> target{t};
  using tol = tolerance<T>;

  const T c_only = ctnn::loss(p, loss, x, target);
  CHECK(std::abs(double(c_only) - hand.loss) <= tol::rel * hand.loss + tol::abs);

  ctnn::gradient<Net, T> g;
  std::array<T, 2> dx{};
  const T c = ctnn::loss_and_gradient(p, loss, x, target, g, dx);
  CHECK(std::abs(double(c) - hand.loss) <= tol::rel * hand.loss + tol::abs);
  check_entries<T>(g.flat(), hand.gradient, tol::rel, "∂C/∂parameters");
  check_entries<T>(dx, hand.dx, tol::rel, "∇ₓC");
}

TEST_CASE("the 2-2-1 hand derivation agrees with central differences") {
  // Guards the derivation the other cases trust: same formulas, differentiated numerically.
  const std::vector<double> w(weights_221.begin(), weights_221.end());
  for (const auto kind : {output_loss::squared_error, output_loss::binary_cross_entropy}) {
    const std::array<double, 2> x{0.5, -1.0};
    const double t = 0.25;
    const hand_result hand = by_hand_221(w, x, t, kind);
    check_against_differences(
        hand.gradient,
        central_differences(
            [&](const std::vector<double>& v) { return by_hand_221(v, x, t, kind).loss; }, w));
    const std::vector<double> dx(hand.dx.begin(), hand.dx.end());
    check_against_differences(dx, central_differences(
                                      [&](const std::vector<double>& xv) {
                                        return by_hand_221(w, {xv[0], xv[1]}, t, kind).loss;
                                      },
                                      {x[0], x[1]}));
  }
}

TEST_CASE_TEMPLATE("2-2-1 sigmoid network, squared error, by hand", T, float, double) {
  const auto p = parameters_from<net_221, T>(weights_221);
  // Several samples, so a term that vanishes for one input (x_i = 0) is caught by another.
  check_221_sample(p, ctnn::squared_error{}, {T(0.5), T(-1.0)}, T(0.25),
                   output_loss::squared_error);
  check_221_sample(p, ctnn::squared_error{}, {T(2.0), T(0.75)}, T(1.0), output_loss::squared_error);
  check_221_sample(p, ctnn::squared_error{}, {T(-0.3), T(1.7)}, T(0.0), output_loss::squared_error);
}

TEST_CASE_TEMPLATE("2-2-1 sigmoid network, binary cross-entropy, by hand", T, float, double) {
  const auto p = parameters_from<net_221, T>(weights_221);
  const ctnn::binary_cross_entropy bce;
  check_221_sample(p, bce, {T(0.5), T(-1.0)}, T(0.25), output_loss::binary_cross_entropy);
  check_221_sample(p, bce, {T(2.0), T(0.75)}, T(1.0), output_loss::binary_cross_entropy);
  check_221_sample(p, bce, {T(-0.3), T(1.7)}, T(0.0), output_loss::binary_cross_entropy);

  // binary_cross_entropy also takes logits: the same network without the last sigmoid has the
  // same loss and gradient (the sigmoid is applied inside the loss).
  const auto p_logits = parameters_from<net_221_logits, T>(weights_221);
  check_221_sample(p_logits, bce, {T(0.5), T(-1.0)}, T(0.25), output_loss::binary_cross_entropy);
  check_221_sample(p_logits, bce, {T(-0.3), T(1.7)}, T(0.0), output_loss::binary_cross_entropy);
}

// ---- (b) a 2-3-2 tanh / softmax network with softmax cross-entropy -----------------------------

using net_232 =
    ctnn::network<ctnn::input<2>, ctnn::dense<3>, ctnn::tanh, ctnn::dense<2>, ctnn::softmax>;
using net_232_logits = ctnn::network<ctnn::input<2>, ctnn::dense<3>, ctnn::tanh, ctnn::dense<2>>;

// W¹ (3×2), b¹ (3), W² (2×3), b² (2).
constexpr std::array<double, 17> weights_232{0.10, -0.40, 0.70, 0.20,  -0.30, 0.50,  // W¹
                                             0.05, -0.15, 0.25,                      // b¹
                                             0.60, -0.20, 0.35, -0.55, 0.45,  0.15,  // W²
                                             0.10, -0.05};                           // b²

enum class softmax_loss { cross_entropy, squared_error };

hand_result by_hand_232(const std::vector<double>& w, std::array<double, 2> x,
                        std::array<double, 2> t, softmax_loss kind = softmax_loss::cross_entropy) {
  // Forward: z¹ = W¹x + b¹, a¹ = tanh(z¹), z² = W²a¹ + b², a² = softmax(z²).
  double z1[3], a1[3];
  for (int j = 0; j < 3; ++j) {
    z1[j] = w[j * 2 + 0] * x[0] + w[j * 2 + 1] * x[1] + w[6 + j];
    a1[j] = std::tanh(z1[j]);
  }
  double z2[2];
  for (int k = 0; k < 2; ++k)
    z2[k] =
        w[9 + k * 3 + 0] * a1[0] + w[9 + k * 3 + 1] * a1[1] + w[9 + k * 3 + 2] * a1[2] + w[15 + k];
  const double e0 = std::exp(z2[0]), e1 = std::exp(z2[1]);
  const double a2[2] = {e0 / (e0 + e1), e1 / (e0 + e1)};

  hand_result r;
  double delta2[2];
  if (kind == softmax_loss::cross_entropy) {
    // C = -Σ_k t_k log a²_k = Σt·log Σ_j e^{z²_j} - Σ_k t_k z²_k, so δ²_k = a²_k Σt - t_k
    // (= a² - t for a one-hot or any target summing to 1).
    r.loss = -t[0] * std::log(a2[0]) - t[1] * std::log(a2[1]);
    const double mass = t[0] + t[1];
    delta2[0] = a2[0] * mass - t[0];
    delta2[1] = a2[1] * mass - t[1];
  } else {
    // C = ½‖a² - t‖²; softmax's Jacobian ∂a_j/∂z_k = a_j(δ_jk - a_k) is not diagonal:
    // δ²_k = Σ_j (a²_j - t_j) a²_j (δ_jk - a²_k) = a²_k ((a²_k - t_k) - Σ_j (a²_j - t_j) a²_j).
    const double e[2] = {a2[0] - t[0], a2[1] - t[1]};
    r.loss = 0.5 * (e[0] * e[0] + e[1] * e[1]);
    const double inner = e[0] * a2[0] + e[1] * a2[1];
    delta2[0] = a2[0] * (e[0] - inner);
    delta2[1] = a2[1] * (e[1] - inner);
  }
  // δ¹ = (W²ᵀ δ²) ⊙ (1 - (a¹)²).
  double delta1[3];
  for (int j = 0; j < 3; ++j)
    delta1[j] = (w[9 + j] * delta2[0] + w[12 + j] * delta2[1]) * (1 - a1[j] * a1[j]);

  r.gradient.assign(17, 0.0);
  for (int j = 0; j < 3; ++j) {
    r.gradient[j * 2 + 0] = delta1[j] * x[0];  // ∂W¹ = δ¹ xᵀ
    r.gradient[j * 2 + 1] = delta1[j] * x[1];
    r.gradient[6 + j] = delta1[j];  // ∂b¹ = δ¹
  }
  for (int k = 0; k < 2; ++k) {
    for (int j = 0; j < 3; ++j) r.gradient[9 + k * 3 + j] = delta2[k] * a1[j];  // ∂W² = δ² a¹ᵀ
    r.gradient[15 + k] = delta2[k];                                             // ∂b² = δ²
  }
  for (int i = 0; i < 2; ++i)  // ∇ₓC = W¹ᵀ δ¹
    r.dx[i] = w[0 + i] * delta1[0] + w[2 + i] * delta1[1] + w[4 + i] * delta1[2];
  return r;
}

template <class Net, class T, class Loss = ctnn::softmax_cross_entropy>
void check_232_sample(const ctnn::parameters<Net, T>& p, std::array<T, 2> x, std::array<T, 2> t,
                      Loss loss = {}) {
  const softmax_loss kind = std::is_same_v<Loss, ctnn::squared_error> ? softmax_loss::squared_error
                                                                      : softmax_loss::cross_entropy;
  const hand_result hand =
      by_hand_232(as_double(p), {double(x[0]), double(x[1])}, {double(t[0]), double(t[1])}, kind);
  using tol = tolerance<T>;
  CHECK(std::abs(double(ctnn::loss(p, loss, x, t)) - hand.loss) <= tol::rel * hand.loss + tol::abs);
  ctnn::gradient<Net, T> g;
  std::array<T, 2> dx{};
  const T c = ctnn::loss_and_gradient(p, loss, x, t, g, dx);
  CHECK(std::abs(double(c) - hand.loss) <= tol::rel * hand.loss + tol::abs);
  check_entries<T>(g.flat(), hand.gradient, tol::rel, "∂C/∂parameters");
  check_entries<T>(dx, hand.dx, tol::rel, "∇ₓC");
}

TEST_CASE("the 2-3-2 hand derivations agree with central differences") {
  const std::vector<double> w(weights_232.begin(), weights_232.end());
  const std::array<double, 2> x{0.8, -0.6};
  for (const auto kind : {softmax_loss::cross_entropy, softmax_loss::squared_error}) {
    for (const std::array<double, 2> t : {std::array{0.0, 1.0}, std::array{1.0, 0.5}}) {
      const hand_result hand = by_hand_232(w, x, t, kind);
      check_against_differences(
          hand.gradient,
          central_differences(
              [&](const std::vector<double>& v) { return by_hand_232(v, x, t, kind).loss; }, w));
      const std::vector<double> dx(hand.dx.begin(), hand.dx.end());
      check_against_differences(dx, central_differences(
                                        [&](const std::vector<double>& xv) {
                                          return by_hand_232(w, {xv[0], xv[1]}, t, kind).loss;
                                        },
                                        {x[0], x[1]}));
    }
  }
}

TEST_CASE_TEMPLATE("2-3-2 tanh/softmax network, softmax cross-entropy, by hand", T, float, double) {
  const auto p = parameters_from<net_232, T>(weights_232);
  check_232_sample(p, {T(0.8), T(-0.6)}, {T(0), T(1)});
  check_232_sample(p, {T(-1.5), T(0.4)}, {T(1), T(0)});
  check_232_sample(p, {T(0.3), T(2.0)}, {T(0.25), T(0.75)});  // a soft target, Σt = 1
  check_232_sample(p, {T(0.3), T(2.0)}, {T(1.0), T(0.5)});    // Σt ≠ 1: δ² = a²Σt - t

  // softmax_cross_entropy also takes logits: same numbers without the final softmax layer.
  const auto p_logits = parameters_from<net_232_logits, T>(weights_232);
  check_232_sample(p_logits, {T(0.8), T(-0.6)}, {T(0), T(1)});
  check_232_sample(p_logits, {T(0.3), T(2.0)}, {T(1.0), T(0.5)});
}

TEST_CASE_TEMPLATE("2-3-2 tanh/softmax network, squared error through softmax's Jacobian", T, float,
                   double) {
  // With squared error the loss is not fused with softmax, so δ² goes through softmax's full
  // (non-diagonal) Jacobian, a² ⊙ (δa - ⟨δa, a²⟩).
  const auto p = parameters_from<net_232, T>(weights_232);
  check_232_sample(p, {T(0.8), T(-0.6)}, {T(0), T(1)}, ctnn::squared_error{});
  check_232_sample(p, {T(-1.5), T(0.4)}, {T(0.9), T(0.3)}, ctnn::squared_error{});
}

// ---- (c) a batch of 3 samples: the mean of the per-sample hand gradients -----------------------

TEST_CASE_TEMPLATE("batch of 3: loss and gradient are the means of the hand-derived ones", T, float,
                   double) {
  using tol = tolerance<T>;
  const std::vector<T> x{T(0.5), T(-1.0), T(2.0), T(0.75), T(-0.3), T(1.7)};  // 3 rows of 2

  SUBCASE("2-2-1 sigmoid, squared error and binary cross-entropy") {
    const auto p = parameters_from<net_221, T>(weights_221);
    const std::vector<T> t{T(0.25), T(1.0), T(0.0)};
    for (const auto kind : {output_loss::squared_error, output_loss::binary_cross_entropy}) {
      ctnn::gradient<net_221, T> g;
      std::vector<T> dx(6);
      ctnn::workspace<net_221, T> ws;
      const bool squared = kind == output_loss::squared_error;
      const T c =
          squared ? ctnn::loss_and_gradient_batch(p, ctnn::squared_error{}, x, t, g, ws, dx)
                  : ctnn::loss_and_gradient_batch(p, ctnn::binary_cross_entropy{}, x, t, g, ws, dx);
      const T c_only = squared ? ctnn::loss_batch(p, ctnn::squared_error{}, x, t, ws)
                               : ctnn::loss_batch(p, ctnn::binary_cross_entropy{}, x, t, ws);
      double mean_loss = 0;
      std::vector<double> mean_gradient(9, 0.0);
      std::vector<double> expected_dx(6);
      for (std::size_t s = 0; s < 3; ++s) {
        const hand_result h =
            by_hand_221(as_double(p), {double(x[2 * s]), double(x[2 * s + 1])}, double(t[s]), kind);
        mean_loss += h.loss / 3;
        for (std::size_t k = 0; k < 9; ++k) mean_gradient[k] += h.gradient[k] / 3;
        // ∇ₓ of the MEAN loss: each row carries the 1/n.
        expected_dx[2 * s] = h.dx[0] / 3;
        expected_dx[2 * s + 1] = h.dx[1] / 3;
      }
      CHECK(std::abs(double(c) - mean_loss) <= tol::rel * mean_loss + tol::abs);
      CHECK(std::abs(double(c_only) - mean_loss) <= tol::rel * mean_loss + tol::abs);
      check_entries<T>(g.flat(), mean_gradient, tol::rel, "batch ∂C/∂parameters");
      check_entries<T>(std::span<const T>(dx), expected_dx, tol::rel, "batch ∇ₓC");
    }
  }

  SUBCASE("2-3-2 softmax cross-entropy") {
    const auto p = parameters_from<net_232, T>(weights_232);
    const std::vector<T> t{T(0), T(1), T(1), T(0), T(0.25), T(0.75)};
    ctnn::gradient<net_232, T> g;
    std::vector<T> dx(6);
    ctnn::workspace<net_232, T> ws;
    const T c = ctnn::loss_and_gradient_batch(p, ctnn::softmax_cross_entropy{}, x, t, g, ws, dx);
    double mean_loss = 0;
    std::vector<double> mean_gradient(17, 0.0), expected_dx(6);
    for (std::size_t s = 0; s < 3; ++s) {
      const hand_result h = by_hand_232(as_double(p), {double(x[2 * s]), double(x[2 * s + 1])},
                                        {double(t[2 * s]), double(t[2 * s + 1])});
      mean_loss += h.loss / 3;
      for (std::size_t k = 0; k < 17; ++k) mean_gradient[k] += h.gradient[k] / 3;
      expected_dx[2 * s] = h.dx[0] / 3;
      expected_dx[2 * s + 1] = h.dx[1] / 3;
    }
    CHECK(std::abs(double(c) - mean_loss) <= tol::rel * mean_loss + tol::abs);
    check_entries<T>(g.flat(), mean_gradient, tol::rel, "batch ∂C/∂parameters");
    check_entries<T>(std::span<const T>(dx), expected_dx, tol::rel, "batch ∇ₓC");
  }
}

}  // namespace
