// Network types, their parameter layout, forward passes and initialisation:
//   - shapes (input_size, output_size, parameter_count, stage_count, max_width, stage<K>) of
//     several networks, written out by hand;
//   - the parameter block is PyTorch's nn.Linear layout (W out×in row-major, then b, layer after
//     layer) and the layer<K>() views point into it there;
//   - forward passes equal a naive reference written here (plain loops in double, activations
//     re-implemented from their textbook formulas);
//   - initialize() is deterministic, seed-dependent, within the Xavier/He bounds, zero biases,
//     and its weights are distributed as uniform ones;
//   - single-sample and batch passes agree, also for batches that span several tiles.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <limits>
#include <memory>
#include <random>
#include <ratio>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

// ---- networks ----------------------------------------------------------------------------------

using xor_net =
    ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
using mnist_net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
using linear_net = ctnn::network<ctnn::input<3>, ctnn::linear<3, 5>, ctnn::linear<5, 4>,
                                 ctnn::softmax, ctnn::dense<2>>;
using single_neuron = ctnn::network<ctnn::input<1>, ctnn::dense<1>>;

// Between them, every activation (and non-default slopes) once, softmax at the end and inside.
using net_a = ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::sigmoid, ctnn::dense<3>,
                            ctnn::tanh, ctnn::dense<4>, ctnn::identity>;
using net_b =
    ctnn::network<ctnn::input<6>, ctnn::dense<9>, ctnn::relu, ctnn::dense<5>, ctnn::leaky_relu<>,
                  ctnn::dense<3>, ctnn::elu<>, ctnn::dense<2>, ctnn::softplus>;
using net_c = ctnn::network<ctnn::input<4>, ctnn::linear<4, 10>, ctnn::swish, ctnn::dense<6>,
                            ctnn::mish, ctnn::dense<5>, ctnn::gelu, ctnn::dense<3>, ctnn::softmax>;
using net_d =
    ctnn::network<ctnn::input<3>, ctnn::dense<5>, ctnn::softmax, ctnn::dense<4>,
                  ctnn::leaky_relu<std::ratio<1, 10>>, ctnn::dense<2>, ctnn::elu<std::ratio<1, 2>>>;

// ---- shapes ------------------------------------------------------------------------------------

TEST_CASE("shapes of several networks, counted by hand") {
  CHECK(xor_net::input_size == 2);
  CHECK(xor_net::output_size == 1);
  CHECK(xor_net::parameter_count == 2 * 8 + 8 + 8 * 1 + 1);
  CHECK(xor_net::stage_count == 2);
  CHECK(xor_net::max_width == 8);

  CHECK(mnist_net::input_size == 784);
  CHECK(mnist_net::output_size == 10);
  CHECK(mnist_net::parameter_count == 101770);  // 784·128 + 128 + 128·10 + 10
  CHECK(mnist_net::stage_count == 2);
  CHECK(mnist_net::max_width == 784);

  // linear<In, Out> states its input width; softmax is an activation, not a stage.
  CHECK(linear_net::input_size == 3);
  CHECK(linear_net::output_size == 2);
  CHECK(linear_net::parameter_count == (3 * 5 + 5) + (5 * 4 + 4) + (4 * 2 + 2));
  CHECK(linear_net::stage_count == 3);
  CHECK(linear_net::max_width == 5);

  CHECK(single_neuron::input_size == 1);
  CHECK(single_neuron::output_size == 1);
  CHECK(single_neuron::parameter_count == 2);
  CHECK(single_neuron::stage_count == 1);

  CHECK(net_b::stage_count == 4);
  CHECK(net_b::output_size == 2);
  CHECK(net_d::stage_count == 3);
  CHECK(net_d::parameter_count == (3 * 5 + 5) + (5 * 4 + 4) + (4 * 2 + 2));
}

TEST_CASE("stage<K> describes each affine stage: widths, offsets, activation") {
  using s0 = linear_net::stage<0>;
  using s1 = linear_net::stage<1>;
  using s2 = linear_net::stage<2>;
  CHECK(s0::in == 3);
  CHECK(s0::out == 5);
  CHECK(s0::weight_offset == 0);
  CHECK(s0::bias_offset == 15);
  CHECK(s1::in == 5);
  CHECK(s1::out == 4);
  CHECK(s1::weight_offset == 20);
  CHECK(s1::bias_offset == 40);
  CHECK(s2::in == 4);
  CHECK(s2::out == 2);
  CHECK(s2::weight_offset == 44);
  CHECK(s2::bias_offset == 52);
  CHECK(std::is_same_v<s0::activation, ctnn::identity>);  // no activation written: identity
  CHECK(std::is_same_v<s1::activation, ctnn::softmax>);
  CHECK(std::is_same_v<s2::activation, ctnn::identity>);

  CHECK(std::is_same_v<xor_net::stage<0>::activation, ctnn::tanh>);
  CHECK(std::is_same_v<xor_net::stage<1>::activation, ctnn::sigmoid>);
  CHECK(std::is_same_v<net_d::stage<2>::activation, ctnn::elu<std::ratio<1, 2>>>);
}

// ---- layout ------------------------------------------------------------------------------------

// Calls f.template operator()<K, Stage>() for every stage of Net, in order.
template <class Net, class F>
void for_each_stage(F&& f) {
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (f.template operator()<K, typename Net::template stage<K>>(), ...);
  }
  (std::make_index_sequence<Net::stage_count>{});
}

template <class Net, class T>
void check_views(ctnn::parameters<Net, T>& p) {
  std::size_t offset = 0;  // counted here, independently of the library's offsets
  for_each_stage<Net>([&]<std::size_t K, class S>() {
    constexpr std::size_t in = S::in, out = S::out;
    CAPTURE(K);
    auto view = p.template layer<K>();
    const auto& const_p = p;
    auto const_view = const_p.template layer<K>();
    CHECK(view.in == in);
    CHECK(view.out == out);
    for (std::size_t o = 0; o < out; ++o) {
      for (std::size_t i = 0; i < in; ++i) {
        // W^K[o, i] sits at offset + o·in + i (row-major out × in, as torch.nn.Linear.weight).
        CHECK(&view.weight(o, i) == &p[offset + o * in + i]);
        CHECK(&const_view.weight(o, i) == &p[offset + o * in + i]);
      }
      CHECK(&view.bias(o) == &p[offset + in * out + o]);  // then b^K
      CHECK(&const_view.bias(o) == &p[offset + in * out + o]);
    }
    CHECK(view.weights().data() == &p[offset]);
    CHECK(view.weights().size() == in * out);
    CHECK(view.biases().data() == &p[offset + in * out]);
    CHECK(view.biases().size() == out);
    offset += in * out + out;
  });
  CHECK(offset == Net::parameter_count);
  CHECK(p.size() == Net::parameter_count);
  CHECK(p.flat().size() == Net::parameter_count);
  CHECK(p.data() == &p[0]);
}

TEST_CASE_TEMPLATE("layer<K>() views follow PyTorch's nn.Linear layout", T, float, double) {
  ctnn::parameters<linear_net, T> p;
  check_views(p);
  ctnn::gradient<net_c, T> g;  // same type as the parameters, same layout
  check_views(g);
  ctnn::parameters<xor_net, T> q;
  check_views(q);
  CHECK(reinterpret_cast<std::uintptr_t>(p.data()) % 64 == 0);  // documented 64-byte alignment

  // Writing through a view writes the flat block, at the place the layout says.
  q.template layer<1>().weight(0, 5) = T(2.5);
  q.template layer<0>().bias(3) = T(-1.25);
  CHECK(q[2 * 8 + 8 + 5] == T(2.5));
  CHECK(q[2 * 8 + 3] == T(-1.25));
}

// ---- a naive reference forward pass ------------------------------------------------------------

double reference_sigmoid(double z) { return 1 / (1 + std::exp(-z)); }
double reference_softplus(double z) { return z > 30 ? z : std::log1p(std::exp(z)); }

// Each activation from its textbook formula, in double.
template <class A>
struct reference_activation;
template <>
struct reference_activation<ctnn::identity> {
  static double value(double z) { return z; }
};
template <>
struct reference_activation<ctnn::sigmoid> {
  static double value(double z) { return reference_sigmoid(z); }
};
template <>
struct reference_activation<ctnn::tanh> {
  static double value(double z) { return std::tanh(z); }
};
template <>
struct reference_activation<ctnn::relu> {
  static double value(double z) { return z > 0 ? z : 0; }
};
template <class Slope>
struct reference_activation<ctnn::leaky_relu<Slope>> {
  static double value(double z) { return z > 0 ? z : double(Slope::num) / Slope::den * z; }
};
template <class Alpha>
struct reference_activation<ctnn::elu<Alpha>> {
  static double value(double z) {
    return z > 0 ? z : double(Alpha::num) / Alpha::den * std::expm1(z);
  }
};
template <>
struct reference_activation<ctnn::softplus> {
  static double value(double z) { return reference_softplus(z); }
};
template <>
struct reference_activation<ctnn::swish> {
  static double value(double z) { return z * reference_sigmoid(z); }
};
template <>
struct reference_activation<ctnn::mish> {
  static double value(double z) { return z * std::tanh(reference_softplus(z)); }
};
template <>
struct reference_activation<ctnn::gelu> {
  static double value(double z) { return 0.5 * z * (1 + std::erf(z / std::sqrt(2.0))); }
};

template <class A>
std::vector<double> reference_activate(std::vector<double> z) {
  if constexpr (std::is_same_v<A, ctnn::softmax>) {
    double total = 0;
    for (double& v : z) total += (v = std::exp(v));
    for (double& v : z) v /= total;
  } else {
    for (double& v : z) v = reference_activation<A>::value(v);
  }
  return z;
}

// a^L of one sample: z = W a + b, a = f(z), stage after stage, reading W and b from the flat block
// at offsets counted here.
template <class Net, class T>
std::vector<double> reference_forward(const ctnn::parameters<Net, T>& p, std::span<const T> x) {
  std::vector<double> a(x.begin(), x.end());
  std::size_t offset = 0;
  for_each_stage<Net>([&]<std::size_t K, class S>() {
    constexpr std::size_t in = S::in, out = S::out;
    REQUIRE(a.size() == in);
    std::vector<double> z(out);
    for (std::size_t o = 0; o < out; ++o) {
      double sum = double(p[offset + in * out + o]);
      for (std::size_t i = 0; i < in; ++i) sum += double(p[offset + o * in + i]) * a[i];
      z[o] = sum;
    }
    offset += in * out + out;
    a = reference_activate<typename S::activation>(z);
  });
  return a;
}

// Random parameters (initialize() leaves biases 0; give them values so they are exercised) and
// random inputs in [-2, 2], both from a test-side generator.
template <class Net, class T>
void randomize(ctnn::parameters<Net, T>& p, std::mt19937_64& rng) {
  ctnn::initialize(p, rng());
  std::uniform_real_distribution<double> bias(-0.5, 0.5);
  for_each_stage<Net>([&]<std::size_t K, class S>() {
    for (auto& b : p.template layer<K>().biases()) b = T(bias(rng));
  });
}

template <class T>
std::vector<T> random_values(std::size_t n, std::mt19937_64& rng, double range = 2.0) {
  std::uniform_real_distribution<double> u(-range, range);
  std::vector<T> v(n);
  for (auto& x : v) x = T(u(rng));
  return v;
}

// ctnn in T against the double reference (from the same T-rounded parameters and inputs): these
// nets have ≤ 10 terms per dot product and values of order 1, so a correct pass is within a few
// dozen ulp of T; the bound allows 2e-5 (float, ~170 ulp) and 1e-12 (double) relative to
// max(1, |y|).
template <class T>
constexpr double forward_tolerance = std::is_same_v<T, float> ? 2e-5 : 1e-12;

template <class Net, class T>
void check_forward_against_reference(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  ctnn::parameters<Net, T> p;
  randomize(p, rng);
  constexpr std::size_t in = Net::input_size, out = Net::output_size, n = 40;
  const std::vector<T> x = random_values<T>(n * in, rng);

  std::vector<T> y(n * out);
  ctnn::workspace<Net, T> ws;
  ctnn::forward_batch(p, x, y, ws);
  for (std::size_t s = 0; s < n; ++s) {
    CAPTURE(s);
    const std::span<const T> xs(x.data() + s * in, in);
    const std::vector<double> reference = reference_forward(p, xs);
    const std::array<T, out> single = ctnn::forward(p, std::span<const T, in>(xs));
    for (std::size_t k = 0; k < out; ++k) {
      CAPTURE(k);
      const double bound = forward_tolerance<T> * std::max(1.0, std::abs(reference[k]));
      CHECK(std::abs(double(single[k]) - reference[k]) <= bound);
      CHECK(std::abs(double(y[s * out + k]) - reference[k]) <= bound);
    }
  }
}

TEST_CASE_TEMPLATE("forward equals a naive reference, every activation", T, float, double) {
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    check_forward_against_reference<net_a, T>(seed);
    check_forward_against_reference<net_b, T>(seed);
    check_forward_against_reference<net_c, T>(seed);
    check_forward_against_reference<net_d, T>(seed);
  }
}

TEST_CASE("forward on a hand-set layer reads W row-major out × in") {
  // z = W x + b with W = [[1, 2], [3, 4], [5, 6]] (3 × 2) and b = (0.5, -0.5, 0.25): a transposed
  // or column-major reading gives different numbers.
  using net = ctnn::network<ctnn::input<2>, ctnn::dense<3>>;
  ctnn::parameters<net, double> p;
  p.values = {1, 2, 3, 4, 5, 6, 0.5, -0.5, 0.25};
  const auto y = ctnn::forward(p, std::array<double, 2>{1, 10});
  CHECK(y[0] == 21.5);   // 1 + 20 + 0.5
  CHECK(y[1] == 42.5);   // 3 + 40 - 0.5
  CHECK(y[2] == 65.25);  // 5 + 60 + 0.25
}

// ---- initialisation ----------------------------------------------------------------------------

// One stage of each activation; every layer has ≥ 200 weights, so the largest |w| comes within
// 10% of the bound with probability > 1 - 0.9^200 and Xavier and He bounds (ratio
// √((in+out)/in) ≥ 1.2 here) cannot be mistaken for each other.
using init_net =
    ctnn::network<ctnn::input<40>, ctnn::dense<30>, ctnn::tanh, ctnn::dense<20>, ctnn::sigmoid,
                  ctnn::dense<30>, ctnn::relu, ctnn::dense<20>, ctnn::leaky_relu<>, ctnn::dense<20>,
                  ctnn::elu<>, ctnn::dense<20>, ctnn::gelu, ctnn::dense<20>, ctnn::swish,
                  ctnn::dense<20>, ctnn::mish, ctnn::dense<20>, ctnn::softplus, ctnn::dense<10>,
                  ctnn::softmax, ctnn::dense<20>>;

enum class bound_kind { xavier, he };

template <class A>
constexpr bound_kind documented_bound() {
  // init.hpp: He for the ReLU family, Xavier for the rest (including no activation).
  if constexpr (std::is_same_v<A, ctnn::relu> || std::is_same_v<A, ctnn::leaky_relu<>> ||
                std::is_same_v<A, ctnn::elu<>> || std::is_same_v<A, ctnn::gelu> ||
                std::is_same_v<A, ctnn::swish> || std::is_same_v<A, ctnn::mish>)
    return bound_kind::he;
  else
    return bound_kind::xavier;
}

double bound_of(bound_kind kind, std::size_t in, std::size_t out) {
  return kind == bound_kind::he ? std::sqrt(6.0 / double(in)) : std::sqrt(6.0 / double(in + out));
}

template <class Net, class T>
void check_bounds(const ctnn::parameters<Net, T>& p, ctnn::init_scheme scheme) {
  for_each_stage<Net>([&]<std::size_t K, class S>() {
    CAPTURE(K);
    const bound_kind kind = scheme == ctnn::init_scheme::he_uniform ? bound_kind::he
                            : scheme == ctnn::init_scheme::xavier_uniform
                                ? bound_kind::xavier
                                : documented_bound<typename S::activation>();
    const double bound = bound_of(kind, S::in, S::out);
    CAPTURE(bound);
    double largest = 0;
    for (const T w : p.template layer<K>().weights())
      largest = std::max(largest, std::abs(double(w)));
    // Weights are drawn in double and rounded to T, which may round up by half an ulp of T.
    CHECK(largest <= bound * (1 + std::numeric_limits<T>::epsilon()));
    CHECK(largest >= 0.9 * bound);
    for (const T b : p.template layer<K>().biases()) CHECK(b == T(0));
  });
}

TEST_CASE_TEMPLATE("initialize: Xavier or He bound per activation, zero biases", T, float, double) {
  auto p = std::make_unique<ctnn::parameters<init_net, T>>();
  p->values.fill(T(7));  // biases must be set to 0, not left as they were
  ctnn::initialize(*p, 11);
  check_bounds(*p, ctnn::init_scheme::automatic);

  // The scheme can be forced for every layer.
  p->values.fill(T(7));
  ctnn::initialize(*p, 11, ctnn::init_scheme::xavier_uniform);
  check_bounds(*p, ctnn::init_scheme::xavier_uniform);
  p->values.fill(T(7));
  ctnn::initialize(*p, 11, ctnn::init_scheme::he_uniform);
  check_bounds(*p, ctnn::init_scheme::he_uniform);
}

// Activations of one's own: a member named alpha says nothing about the initialisation (it once
// chose He); he_initialization = true does.
struct scaled_tanh : ctnn::elementwise_activation {
  [[maybe_unused]] static constexpr std::string_view name = "scaled_tanh";
  static constexpr double alpha = 1.7159;
  template <class V> static constexpr V value(const V& z) { return V(alpha) * ctnn::math::tanh(z); }
  template <class V> static constexpr V derivative(const V&, const V& a) {
    return (V(alpha) - a * a / V(alpha));
  }
};
struct clipped_relu : ctnn::elementwise_activation {
  [[maybe_unused]] static constexpr std::string_view name = "clipped_relu";
  static constexpr bool he_initialization = true;
  template <class V> static constexpr V value(const V& z) {
    return ctnn::math::min(ctnn::math::max(z, V(0)), V(6));
  }
  template <class V> static constexpr V derivative(const V& z, const V&) {
    return ctnn::math::select(z > V(0), V(1), V(0));
  }
};

TEST_CASE("initialize: a custom activation gets He only if it declares he_initialization") {
  using net = ctnn::network<ctnn::input<40>, ctnn::dense<30>, scaled_tanh, ctnn::dense<30>,
                            clipped_relu, ctnn::dense<20>>;
  auto p = std::make_unique<ctnn::parameters<net, double>>();
  ctnn::initialize(*p, 3);
  const auto largest = [&]<std::size_t K>() {
    double m = 0;
    for (const double w : p->template layer<K>().weights()) m = std::max(m, std::abs(w));
    return m;
  };
  const double xavier0 = bound_of(bound_kind::xavier, 40, 30), he1 = bound_of(bound_kind::he, 30, 30);
  CHECK(largest.template operator()<0>() <= xavier0);
  CHECK(largest.template operator()<0>() >= 0.9 * xavier0);
  CHECK(largest.template operator()<1>() <= he1);
  CHECK(largest.template operator()<1>() >= 0.9 * he1);
}

TEST_CASE_TEMPLATE("initialize is deterministic for a seed and differs across seeds", T, float,
                   double) {
  auto a = std::make_unique<ctnn::parameters<init_net, T>>();
  auto b = std::make_unique<ctnn::parameters<init_net, T>>();
  ctnn::initialize(*a, 2024);
  b->values.fill(T(1));
  ctnn::initialize(*b, 2024);
  CHECK(*a == *b);

  ctnn::initialize(*b, 2025);
  CHECK_FALSE(*a == *b);
  // Not just a few weights change with the seed: (nearly) all of them.
  std::size_t same = 0, weights = 0;
  for_each_stage<init_net>([&]<std::size_t K, class S>() {
    const auto wa = a->template layer<K>().weights();
    const auto wb = b->template layer<K>().weights();
    for (std::size_t k = 0; k < wa.size(); ++k) same += wa[k] == wb[k];
    weights += wa.size();
  });
  CHECK(same * 100 < weights);

  // Layers do not repeat each other's draws.
  ctnn::parameters<ctnn::network<ctnn::input<10>, ctnn::dense<10>, ctnn::dense<10>>, T> twins;
  ctnn::initialize(twins, 5);
  CHECK_FALSE(
      std::ranges::equal(twins.template layer<0>().weights(), twins.template layer<1>().weights()));
}

TEST_CASE_TEMPLATE("initialized weights of a big layer are distributed as uniform ones", T, float,
                   double) {
  // 512 × 256 = 131072 weights, uniform on [-b, b] with b = √(6/768) (Xavier, tanh).
  // Mean 0 and variance b²/3; the sample mean has standard deviation b/√(3N) and the sample
  // second moment b²·√(4/45)/√N (Var u² = b⁴/5 - b⁴/9). Each check allows 5 standard deviations,
  // which a wrong scale (even 5% off), a shift or a non-uniform shape exceeds by far.
  using big = ctnn::network<ctnn::input<512>, ctnn::dense<256>, ctnn::tanh>;
  auto p = std::make_unique<ctnn::parameters<big, T>>();
  ctnn::initialize(*p, 99);
  const auto w = p->template layer<0>().weights();
  const double n = double(w.size());
  const double b = std::sqrt(6.0 / 768.0);

  double sum = 0, sum_sq = 0;
  for (const T v : w) {
    sum += double(v);
    sum_sq += double(v) * double(v);
  }
  const double mean = sum / n, second_moment = sum_sq / n;
  CHECK(std::abs(mean) <= 5 * b / std::sqrt(3 * n));
  CHECK(std::abs(second_moment - b * b / 3) <= 5 * b * b * std::sqrt(4.0 / 45.0) / std::sqrt(n));

  // Shape: 16 equal bins over [-b, b] each hold N/16 ± 5√(N·p(1-p)).
  std::array<double, 16> bins{};
  for (const T v : w) {
    const auto k = std::min<std::size_t>(15, std::size_t((double(v) + b) / (2 * b) * 16));
    bins[k] += 1;
  }
  const double expected = n / 16, spread = 5 * std::sqrt(n * (1.0 / 16) * (15.0 / 16));
  for (std::size_t k = 0; k < 16; ++k) {
    CAPTURE(k);
    CHECK(std::abs(bins[k] - expected) <= spread);
  }
}

// ---- single sample against batch, and batches across tiles --------------------------------------

// Two results of the same computation by different loop orders (blocking, tiles, summation of
// per-sample terms): equal within a few ulp of T, relative to the largest magnitude involved.
template <class T>
constexpr double reorder_tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-13;

template <class T>
void check_close(T actual, double expected, double scale) {
  CHECK(std::abs(double(actual) - expected) <= reorder_tolerance<T> * std::max(1.0, scale));
}

template <class Net, class T, class Loss, std::size_t Tile>
void check_batch_against_samples(std::size_t n, std::uint64_t seed) {
  CAPTURE(n);
  CAPTURE(Tile);
  constexpr std::size_t in = Net::input_size, out = Net::output_size;
  std::mt19937_64 rng(seed);
  ctnn::parameters<Net, T> p;
  randomize(p, rng);
  const std::vector<T> x = random_values<T>(n * in, rng);
  std::vector<T> targets(n * out, T(0));
  for (std::size_t s = 0; s < n; ++s) targets[s * out + (s * 7) % out] = T(1);  // one-hot
  const Loss loss{};

  auto ws = std::make_unique<ctnn::workspace<Net, T, Tile>>();
  std::vector<T> y(n * out), dx(n * in);
  ctnn::gradient<Net, T> g;
  ctnn::forward_batch(p, x, y, *ws);
  const T batch_loss = ctnn::loss_batch(p, loss, x, targets, *ws);
  const T batch_loss_too = ctnn::loss_and_gradient_batch(p, loss, x, targets, g, *ws, dx);

  // The same, one sample at a time; means accumulated in double.
  double mean_loss = 0;
  std::vector<double> mean_gradient(Net::parameter_count, 0.0);
  double largest_gradient = 0;
  for (std::size_t s = 0; s < n; ++s) {
    const std::span<const T, in> xs(x.data() + s * in, in);
    const std::span<const T, out> ts(targets.data() + s * out, out);
    const auto ys = ctnn::forward(p, xs);
    for (std::size_t k = 0; k < out; ++k)
      check_close(y[s * out + k], double(ys[k]), std::abs(ys[k]));

    ctnn::gradient<Net, T> gs;
    std::array<T, in> dxs;
    const T c = ctnn::loss_and_gradient(p, loss, xs, ts, gs, dxs);
    mean_loss += double(c) / double(n);
    for (std::size_t k = 0; k < Net::parameter_count; ++k) {
      mean_gradient[k] += double(gs[k]) / double(n);
      largest_gradient = std::max(largest_gradient, std::abs(double(gs[k])));
    }
    // ∇ₓ of the mean loss: each row is the sample's ∇ₓC divided by n.
    for (std::size_t i = 0; i < in; ++i)
      check_close(dx[s * in + i], double(dxs[i]) / double(n), std::abs(double(dxs[i])));
  }
  check_close(batch_loss, mean_loss, mean_loss);
  check_close(batch_loss_too, mean_loss, mean_loss);
  // Per-entry sums of n terms: compared relative to the largest per-sample entry.
  std::size_t worst = 0;
  double worst_error = 0;
  for (std::size_t k = 0; k < Net::parameter_count; ++k) {
    const double error = std::abs(double(g[k]) - mean_gradient[k]);
    if (error > worst_error) worst = k, worst_error = error;
  }
  CAPTURE(worst);
  CAPTURE(mean_gradient[worst]);
  CHECK(worst_error <= reorder_tolerance<T> * std::max(1.0, largest_gradient));
}

// Each (network, scalar type, tile) costs about 3 s of compile time, so the combinations are
// spread out rather than crossed: both scalar types, every loss, softmax inside and at the end.
constexpr std::array<std::size_t, 7> batch_sizes{1, 5, 32, 33, 64, 65, 100};

TEST_CASE("single-sample passes equal batch rows, across tiles") {
  for (const std::size_t n : batch_sizes) {
    check_batch_against_samples<net_c, float, ctnn::softmax_cross_entropy, 32>(n, 20 + n);
    check_batch_against_samples<net_c, double, ctnn::softmax_cross_entropy, 32>(n, 20 + n);
    check_batch_against_samples<net_a, float, ctnn::squared_error, 32>(n, 10 + n);
    check_batch_against_samples<net_d, double, ctnn::squared_error, 32>(n, 30 + n);
  }
}

TEST_CASE("other tile sizes only change how the batch is cut") {
  check_batch_against_samples<net_b, double, ctnn::squared_error, 5>(23, 41);
  check_batch_against_samples<xor_net, float, ctnn::binary_cross_entropy, 3>(10, 42);
}

}  // namespace

TEST_CASE("gradient_check at run time, on the default architecture and on the scalar one") {
  using net = ctnn::network<ctnn::input<5>, ctnn::dense<7>, ctnn::tanh, ctnn::dense<3>>;
  ctnn::parameters<net, double> p;
  ctnn::initialize(p, 4);
  const std::array<double, 5> x{0.3, -0.2, 0.9, -1.1, 0.5};
  const std::array<double, 3> t{0.1, -0.4, 0.7};
  const auto simd = ctnn::gradient_check(p, ctnn::squared_error{}, x, t);
  const auto scalar = ctnn::gradient_check<ctnn::simd::scalar_arch>(p, ctnn::squared_error{}, x, t);
  CHECK(simd.worst_error < 1e-7);
  CHECK(scalar.worst_error < 1e-7);
  CHECK(simd.checked == scalar.checked);
  CHECK(scalar.checked == net::parameter_count + 5);  // every parameter and input entry
}
