// The architecture is a type: every pass takes it as its first template argument, so one binary
// runs the same network with the scalar kernels (ctnn::simd::scalar_arch, one lane, plain loops)
// and with the default SIMD architecture. Both must compute the same forward outputs, losses,
// parameter gradients and input gradients, up to rounding, for widths that are not multiples of
// the SIMD width (1, 3, 17, 33: remainder loops and partial register blocks) and every activation.
//
// Tolerance. The two differ only in summation order, fused multiply-adds and the elementary
// functions (xsimd's exp/tanh/erf against libm's), each a few ulp per operation; an error in one
// dot product of length L grows with L. So two results a (SIMD) and b (scalar) of a vector whose
// entries are sums of up to L terms must satisfy
//   |a_k - b_k| <= 4·ε_T·L·max(1, ‖b‖∞)      (ε_T: machine epsilon of T)
// i.e. about 2e-5 (float) and 4e-14 (double) relative for L = 40. The measured differences stay
// below a tenth of that; a wrong remainder loop or lane is off by O(1).
//
// With -DCTNN_NO_SIMD=1 the default architecture *is* scalar_arch and the two runs must agree
// bit for bit.

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

using scalar = ctnn::simd::scalar_arch;
using simd = ctnn::simd::default_arch;

TEST_CASE("the default architecture is SIMD unless built with CTNN_NO_SIMD") {
  // Otherwise every comparison below would compare the scalar kernels with themselves.
  CHECK(std::is_same_v<simd, scalar> == !ctnn::simd_enabled);
  MESSAGE("default architecture: ", simd::name());
}

// Widths 1, 3, 17, 33 in every position, every activation, softmax inside and at the end.
using net_a = ctnn::network<ctnn::input<3>, ctnn::dense<17>, ctnn::sigmoid, ctnn::dense<33>,
                            ctnn::tanh, ctnn::dense<1>>;
using net_b = ctnn::network<ctnn::input<17>, ctnn::dense<33>, ctnn::relu, ctnn::dense<3>,
                            ctnn::leaky_relu<>, ctnn::dense<17>, ctnn::elu<>, ctnn::dense<3>>;
using net_c = ctnn::network<ctnn::input<33>, ctnn::dense<1>, ctnn::softplus, ctnn::dense<17>,
                            ctnn::swish, ctnn::dense<3>, ctnn::softmax>;
using net_d =
    ctnn::network<ctnn::input<1>, ctnn::dense<33>, ctnn::mish, ctnn::dense<17>, ctnn::gelu,
                  ctnn::dense<3>, ctnn::softmax, ctnn::dense<17>, ctnn::sigmoid>;

// Compares a (SIMD) with b (scalar) as described at the top; `terms` is L.
template <class T>
void check_same(std::span<const T> a, std::span<const T> b, std::size_t terms, const char* what) {
  REQUIRE(a.size() == b.size());
  if constexpr (!ctnn::simd_enabled) {
    CHECK_MESSAGE(std::ranges::equal(a, b), what, ": same architecture, different results");
    return;
  }
  double largest = 1;
  for (const T v : b) largest = std::max(largest, std::abs(double(v)));
  const double bound = 4 * double(std::numeric_limits<T>::epsilon()) * double(terms) * largest;
  std::size_t worst = 0;
  double worst_difference = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    const double d = std::abs(double(a[k]) - double(b[k]));
    if (!(d <= worst_difference)) worst = k, worst_difference = d;  // NaN counts as worst
  }
  INFO(doctest::String(what), ": worst entry ", worst, " of ", a.size(), ": SIMD ",
       double(a[worst]), ", scalar ", double(b[worst]), ", bound ", bound);
  CHECK(worst_difference <= bound);
}

template <class T>
void check_same(T a, T b, std::size_t terms, const char* what) {
  check_same<T>(std::span<const T>(&a, 1), std::span<const T>(&b, 1), terms, what);
}

template <class Net, class T>
void randomize(ctnn::parameters<Net, T>& p, std::mt19937_64& rng) {
  ctnn::initialize(p, rng());
  // initialize() leaves the biases 0; give them values so the bias paths are compared too.
  std::uniform_real_distribution<double> u(-0.5, 0.5);
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    ((std::ranges::generate(p.template layer<K>().biases(), [&] { return T(u(rng)); })), ...);
  }
  (std::make_index_sequence<Net::stage_count>{});
}

// Targets the loss accepts: one-hot rows for softmax cross-entropy, values in [0, 1] otherwise.
template <class Loss, class T>
std::vector<T> targets_for(std::size_t n, std::size_t out, std::mt19937_64& rng) {
  std::vector<T> t(n * out, T(0));
  std::uniform_real_distribution<double> u(0, 1);
  for (std::size_t s = 0; s < n; ++s) {
    if constexpr (std::is_same_v<Loss, ctnn::softmax_cross_entropy>)
      t[s * out + rng() % out] = T(1);
    else
      for (std::size_t k = 0; k < out; ++k) t[s * out + k] = T(u(rng));
  }
  return t;
}

// Everything one architecture computes for a batch and for its first sample.
template <class Net, class T>
struct results {
  std::vector<T> y, dx;
  T loss{}, loss_with_gradient{};
  std::unique_ptr<ctnn::gradient<Net, T>> g = std::make_unique<ctnn::gradient<Net, T>>();
  std::array<T, Net::output_size> y1{};
  T loss1{};
  std::unique_ptr<ctnn::gradient<Net, T>> g1 = std::make_unique<ctnn::gradient<Net, T>>();
  std::array<T, Net::input_size> dx1{};
};

template <class Arch, class Net, class T, class Loss>
results<Net, T> run(const ctnn::parameters<Net, T>& p, const std::vector<T>& x,
                    const std::vector<T>& t) {
  constexpr std::size_t in = Net::input_size, out = Net::output_size;
  const std::size_t n = x.size() / in;
  results<Net, T> r;
  r.y.resize(n * out);
  r.dx.resize(n * in);
  auto ws = std::make_unique<ctnn::workspace<Net, T>>();
  const Loss loss{};
  ctnn::forward_batch<Arch>(p, x, r.y, *ws);
  r.loss = ctnn::loss_batch<Arch>(p, loss, x, t, *ws);
  r.loss_with_gradient = ctnn::loss_and_gradient_batch<Arch>(p, loss, x, t, *r.g, *ws, r.dx);

  const std::span<const T, in> x1(x.data(), in);
  const std::span<const T, out> t1(t.data(), out);
  r.y1 = ctnn::forward<Arch>(p, x1);
  r.loss1 = ctnn::loss_and_gradient<Arch>(p, loss, x1, t1, *r.g1, r.dx1);
  return r;
}

template <class Net, class T, class Loss>
void compare_architectures(std::uint64_t seed) {
  constexpr std::size_t in = Net::input_size, out = Net::output_size;
  constexpr std::size_t n = 37;  // more than one tile, not a multiple of the 4-sample blocks
  std::mt19937_64 rng(seed);
  auto p = std::make_unique<ctnn::parameters<Net, T>>();
  randomize(*p, rng);
  std::vector<T> x(n * in);
  std::uniform_real_distribution<double> u(-2, 2);
  for (auto& v : x) v = T(u(rng));
  const std::vector<T> t = targets_for<Loss, T>(n, out, rng);

  const results<Net, T> a = run<simd, Net, T, Loss>(*p, x, t);
  const results<Net, T> b = run<scalar, Net, T, Loss>(*p, x, t);

  // L: forward and ∇ₓ sums run over layer widths; parameter gradients and mean losses over the
  // batch as well.
  constexpr std::size_t width = Net::max_width;
  constexpr std::size_t batch_terms = std::max(width, n);
  check_same<T>(a.y, b.y, width, "forward_batch");
  check_same(a.loss, b.loss, batch_terms, "loss_batch");
  check_same(a.loss_with_gradient, b.loss_with_gradient, batch_terms, "loss_and_gradient_batch");
  check_same<T>(a.g->flat(), b.g->flat(), batch_terms, "batch ∂C/∂parameters");
  check_same<T>(a.dx, b.dx, width, "batch ∇ₓC");
  check_same<T>(a.y1, b.y1, width, "forward");
  check_same(a.loss1, b.loss1, width, "loss_and_gradient");
  check_same<T>(a.g1->flat(), b.g1->flat(), width, "∂C/∂parameters");
  check_same<T>(a.dx1, b.dx1, width, "∇ₓC");
}

TEST_CASE_TEMPLATE("scalar and SIMD kernels agree: sigmoid, tanh, widths 3-17-33-1", T, float,
                   double) {
  for (const std::uint64_t seed : {1u, 2u}) {
    CAPTURE(seed);
    compare_architectures<net_a, T, ctnn::squared_error>(seed);
    compare_architectures<net_a, T, ctnn::binary_cross_entropy>(seed);  // from logits
  }
}

TEST_CASE_TEMPLATE("scalar and SIMD kernels agree: relu, leaky_relu, elu, widths 17-33-3-17-3", T,
                   float, double) {
  for (const std::uint64_t seed : {3u, 4u}) {
    CAPTURE(seed);
    compare_architectures<net_b, T, ctnn::softmax_cross_entropy>(seed);  // from logits
  }
}

TEST_CASE_TEMPLATE("scalar and SIMD kernels agree: softplus, swish, softmax, widths 33-1-17-3", T,
                   float, double) {
  for (const std::uint64_t seed : {5u, 6u}) {
    CAPTURE(seed);
    compare_architectures<net_c, T, ctnn::softmax_cross_entropy>(seed);  // fused softmax
  }
}

TEST_CASE_TEMPLATE("scalar and SIMD kernels agree: mish, gelu, softmax inside, widths 1-33-17-3-17",
                   T, float, double) {
  for (const std::uint64_t seed : {7u, 8u}) {
    CAPTURE(seed);
    compare_architectures<net_d, T, ctnn::binary_cross_entropy>(seed);  // fused sigmoid
  }
}

// ---- single-sample kernels (simd/matvec.hpp) on every width 1..33 --------------------------------
// One sample takes its own kernels on SIMD architectures: rows reduced L at a time, masked
// remainders, the previous activation's derivative applied by the backward kernel. Three chains
// visit every width W in 1..33, each as a layer's input and as a layer's output, zigzagging
// between small and large widths (1 → 33 → 2 → 32 → ...), so that each appears next to widths
// that are not multiples of the pack width either; between the layers, activations whose
// derivative reads z (elu, leaky_relu) and ones that read a (tanh, sigmoid). A fourth chain
// does the widths around 4, 8 and 16 in double. (A chain per width, 44 nets, cost the compiler
// four times as many dense layers for the same widths.)
using ctnn::dense, ctnn::elu, ctnn::sigmoid, ctnn::leaky_relu;  // tanh: ctnn::tanh, not ::tanh
using chain_1 = ctnn::network<ctnn::input<1>, dense<33>, ctnn::tanh, dense<2>, elu<>, dense<32>,
                              sigmoid, dense<3>, leaky_relu<>, dense<31>, ctnn::tanh, dense<4>, elu<>,
                              dense<30>, sigmoid, dense<5>, leaky_relu<>, dense<29>, ctnn::tanh,
                              dense<6>, elu<>, dense<28>>;
using chain_2 = ctnn::network<ctnn::input<28>, dense<7>, ctnn::tanh, dense<27>, elu<>, dense<8>,
                              sigmoid, dense<26>, leaky_relu<>, dense<9>, ctnn::tanh, dense<25>, elu<>,
                              dense<10>, sigmoid, dense<24>, leaky_relu<>, dense<11>, ctnn::tanh,
                              dense<23>, elu<>, dense<12>>;
using chain_3 = ctnn::network<ctnn::input<12>, dense<22>, ctnn::tanh, dense<13>, elu<>, dense<21>,
                              sigmoid, dense<14>, leaky_relu<>, dense<20>, ctnn::tanh, dense<15>,
                              elu<>, dense<19>, sigmoid, dense<16>, leaky_relu<>, dense<18>,
                              ctnn::tanh, dense<17>, elu<>, dense<1>>;
using chain_double = ctnn::network<ctnn::input<1>, dense<33>, ctnn::tanh, dense<3>, elu<>,
                                   dense<17>, sigmoid, dense<4>, leaky_relu<>, dense<16>, ctnn::tanh,
                                   dense<5>, elu<>, dense<15>, sigmoid, dense<7>, leaky_relu<>,
                                   dense<9>, ctnn::tanh, dense<8>, elu<>, dense<1>>;

// The rounding of a chain's result gathers along its depth: L is the sum of its layers' input
// widths (every multiply-add between the input and the result), not the widest layer's.
template <class Net>
constexpr std::size_t chain_terms() {
  return []<std::size_t... K>(std::index_sequence<K...>) {
    return (Net::template stage<K>::in + ...);
  }(std::make_index_sequence<Net::stage_count>{});
}

template <class Net, class T>
void compare_single_sample(std::uint64_t seed) {
  constexpr std::size_t in = Net::input_size, out = Net::output_size;
  std::mt19937_64 rng(seed);
  auto p = std::make_unique<ctnn::parameters<Net, T>>();
  randomize(*p, rng);
  std::array<T, in> x{};
  std::uniform_real_distribution<double> u(-2, 2);
  for (auto& v : x) v = T(u(rng));
  const std::vector<T> t = targets_for<ctnn::squared_error, T>(1, out, rng);
  const std::span<const T, out> target(t.data(), out);
  const ctnn::squared_error loss{};

  const auto y_simd = ctnn::forward<simd>(*p, x);
  const auto y_scalar = ctnn::forward<scalar>(*p, x);
  const T c_simd = ctnn::loss<simd>(*p, loss, x, target);
  const T c_scalar = ctnn::loss<scalar>(*p, loss, x, target);
  auto g_simd = std::make_unique<ctnn::gradient<Net, T>>();
  auto g_scalar = std::make_unique<ctnn::gradient<Net, T>>();
  auto g_simd_dx = std::make_unique<ctnn::gradient<Net, T>>();
  std::array<T, in> dx_simd{}, dx_scalar{};
  const T cg_simd = ctnn::loss_and_gradient<simd>(*p, loss, x, target, *g_simd);
  const T cg_simd_dx = ctnn::loss_and_gradient<simd>(*p, loss, x, target, *g_simd_dx, dx_simd);
  const T cg_scalar = ctnn::loss_and_gradient<scalar>(*p, loss, x, target, *g_scalar, dx_scalar);

  constexpr std::size_t width = chain_terms<Net>();
  check_same<T>(y_simd, y_scalar, width, "forward");
  check_same(c_simd, c_scalar, width, "loss");
  check_same(cg_simd, cg_scalar, width, "loss_and_gradient");
  check_same(cg_simd_dx, cg_scalar, width, "loss_and_gradient with ∇ₓC");
  check_same<T>(g_simd->flat(), g_scalar->flat(), width, "∂C/∂parameters");
  check_same<T>(g_simd_dx->flat(), g_scalar->flat(), width, "∂C/∂parameters with ∇ₓC");
  check_same<T>(dx_simd, dx_scalar, width, "∇ₓC");
}

TEST_CASE("single-sample kernels agree with the scalar architecture: float, widths 1-33") {
  compare_single_sample<chain_1, float>(101);
  compare_single_sample<chain_2, float>(102);
  compare_single_sample<chain_3, float>(103);
}

TEST_CASE("single-sample kernels agree with the scalar architecture: double, widths around 4, 8, 16") {
  compare_single_sample<chain_double, double>(104);
}

}  // namespace
