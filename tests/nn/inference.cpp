// ctnn::inference_weights stores the layers with 64 bytes or more of outputs as Wᵀ and runs them
// with the column kernel (simd/column_forward.hpp), the narrower ones with the row kernel. Its
// forward pass must give forward(p)'s outputs for every layout decision, width remainder (1, 3,
// 15, 16, 17, 33, 64 and 128 outputs), activation (softmax inside and at the end), float and
// double, SIMD and scalar. The reference is the scalar forward pass over the parameters: plain
// loops over the row-major W, a separate code path from both kernels here.
//
// Tolerance, as tests/simd/scalar_vs_simd.cpp: outputs that are sums of up to L terms may differ
// by 4·ε_T·L·max(1, ‖b‖∞) (summation order, FMA, SIMD elementary functions); a wrong column,
// lane or padding value is off by O(1).

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <limits>
#include <random>
#include <span>
#include <type_traits>

#include "../support/counting_new.hpp"

namespace {

using scalar = ctnn::simd::scalar_arch;

// Both layouts in every position; widths around the 16-float (8-double) line.
using net_small = ctnn::network<ctnn::input<16>, ctnn::dense<32>, ctnn::tanh, ctnn::dense<32>,
                                ctnn::tanh, ctnn::dense<1>, ctnn::tanh>;
using net_mnist = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>,
                                ctnn::softmax>;
using net_odd = ctnn::network<ctnn::input<3>, ctnn::dense<17>, ctnn::sigmoid, ctnn::dense<33>,
                              ctnn::elu<>, ctnn::dense<15>, ctnn::gelu, ctnn::dense<16>,
                              ctnn::softmax, ctnn::dense<64>, ctnn::swish, ctnn::dense<3>>;
using net_wide_in = ctnn::network<ctnn::input<97>, ctnn::dense<1>, ctnn::softplus, ctnn::dense<40>,
                                  ctnn::leaky_relu<>, ctnn::dense<7>, ctnn::mish, ctnn::dense<24>>;
// Layers wider than a band of the column layout (384 floats, 192 doubles): 2 bands and a part
// (899 = 2·384 + 131 floats), a band exactly (384), one band and a part (200 doubles).
using net_banded = ctnn::network<ctnn::input<21>, ctnn::dense<899>, ctnn::tanh, ctnn::dense<384>,
                                 ctnn::relu, ctnn::dense<200>, ctnn::tanh, ctnn::dense<5>>;

template <class Net, class T>
std::array<T, Net::input_size> random_input(unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::array<T, Net::input_size> x;
  for (T& v : x) v = static_cast<T>(u(rng));
  return x;
}

template <class Net, class T, class Arch>
void check_matches_parameters(unsigned seed) {
  static ctnn::parameters<Net, T> p;  // static: 784-128-10 is 400 kB
  ctnn::initialize(p, seed);
  static ctnn::inference_weights<Net, T> w;
  w.assign(p);
  const auto x = random_input<Net, T>(seed + 100);
  const auto reference = ctnn::forward<scalar>(p, x);
  const auto y = ctnn::forward<Arch>(w, x);
  const auto from_parameters = ctnn::forward<Arch>(p, x);  // the row kernel on long rows too
  double largest = 1;
  for (const T v : reference) largest = std::max(largest, std::abs(double(v)));
  const double bound = 4 * double(std::numeric_limits<T>::epsilon()) *
                       double(Net::max_width > Net::input_size ? Net::max_width : Net::input_size) *
                       largest;
  for (std::size_t k = 0; k < y.size(); ++k) {
    INFO("output ", k, ": inference layout ", double(y[k]), ", parameters ", double(reference[k]));
    CHECK(std::abs(double(y[k]) - double(reference[k])) <= bound);
    CHECK(std::abs(double(from_parameters[k]) - double(reference[k])) <= bound);
  }
}

template <class Net, class T>
void check_every_architecture() {
  for (unsigned seed : {1u, 2u, 3u}) {
    check_matches_parameters<Net, T, ctnn::simd::default_arch>(seed);
    check_matches_parameters<Net, T, scalar>(seed);
  }
}

TEST_CASE("the inference layout gives forward(p)'s outputs") {
  SUBCASE("16-32-32-1 tanh, float") { check_every_architecture<net_small, float>(); }
  SUBCASE("16-32-32-1 tanh, double") { check_every_architecture<net_small, double>(); }
  SUBCASE("784-128-10 relu, softmax, float") { check_every_architecture<net_mnist, float>(); }
  SUBCASE("odd widths, softmax inside, float") { check_every_architecture<net_odd, float>(); }
  SUBCASE("odd widths, softmax inside, double") { check_every_architecture<net_odd, double>(); }
  SUBCASE("a 1-wide layer after 97 inputs, float") { check_every_architecture<net_wide_in, float>(); }
  SUBCASE("a 1-wide layer after 97 inputs, double") { check_every_architecture<net_wide_in, double>(); }
  SUBCASE("layers in bands of columns, float") { check_every_architecture<net_banded, float>(); }
  SUBCASE("layers in bands of columns, double") { check_every_architecture<net_banded, double>(); }
}

TEST_CASE("layers with 64 bytes of outputs or more are stored by columns, in 64-byte blocks") {
  // Blocks in parameter order: layer L's W is block 2L, its b block 2L + 1.
  using wf = ctnn::inference_weights<net_odd, float>;
  CHECK(wf::by_columns(0));    // 17 floats
  CHECK(wf::by_columns(2));    // 33
  CHECK(!wf::by_columns(4));   // 15
  CHECK(wf::by_columns(6));    // 16
  CHECK(!wf::by_columns(10));  // 3
  CHECK(!wf::by_columns(1));   // a bias is copied as it is
  CHECK(wf::stride(0) == 32);
  CHECK(wf::stride(4) == 33);  // rows of W keep their length
  using wd = ctnn::inference_weights<net_odd, double>;
  CHECK(wd::by_columns(4));  // 15 doubles = 120 bytes
  CHECK(wd::stride(4) == 16);
  // Wider than 384 floats: bands of 384 rows, each band's 21 columns together, the last band's
  // columns 131 rounded up to 144 wide.
  using wb = ctnn::inference_weights<net_banded, float>;
  CHECK(wb::stride(0) == 384);
  CHECK(wb::column_index(0, 0, 1) == 384);
  CHECK(wb::column_index(0, 384, 0) == 21 * 384);
  CHECK(wb::column_index(0, 770, 2) == 2 * 21 * 384 + 2 * 144 + 2);
  CHECK(wb::offsets[1] == 2 * 21 * 384 + 21 * 144);
  // Layer 0: 3 columns of 32, then its 17 biases padded to 32.
  CHECK(wf::offsets[0] == 0);
  CHECK(wf::offsets[1] == 3 * 32);
  CHECK(wf::offsets[2] == 3 * 32 + 32);
  for (std::size_t b = 0; b <= 12; ++b) CHECK(wf::offsets[b] % 16 == 0);
  // W by columns: in × round16(out); W by rows and biases: round16(size).
  // 3·32 + 32 | 17·48 + 48 | 496 + 16 | 15·16 + 16 | 16·64 + 64 | 192 + 16
  CHECK(wf::size == 128 + 864 + 512 + 256 + 1088 + 208);
  static wf w;
  CHECK(reinterpret_cast<std::uintptr_t>(w.data()) % 64 == 0);

  // The padding of each column is 0: only W's values are copied in.
  ctnn::parameters<net_odd, float> p;
  ctnn::initialize(p, 4);
  w.assign(p);
  const auto l0 = p.layer<0>();
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t o = 0; o < 17; ++o) CHECK(w.data()[i * 32 + o] == l0.weight(o, i));
    for (std::size_t o = 17; o < 32; ++o) CHECK(w.data()[i * 32 + o] == 0.0f);
  }
}

TEST_CASE("assign refreshes the snapshot after the parameters change") {
  ctnn::parameters<net_small, float> p;
  ctnn::initialize(p, 5);
  ctnn::inference_weights<net_small, float> w(p);
  const auto x = random_input<net_small, float>(6);
  const float before = ctnn::forward(w, x)[0];
  for (float& v : p.flat()) v *= -0.5f;
  CHECK(ctnn::forward(w, x)[0] == before);  // a snapshot: p's change is not seen yet
  w.assign(p);
  const float after = ctnn::forward(w, x)[0];
  CHECK(after != before);
  CHECK(std::abs(after - ctnn::forward<scalar>(p, x)[0]) <= 1e-5f);
}

TEST_CASE("a NaN input gives a NaN output, not a number") {
  ctnn::parameters<net_small, float> p;
  ctnn::initialize(p, 7);
  const ctnn::inference_weights<net_small, float> w(p);
  auto x = random_input<net_small, float>(8);
  x[5] = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(ctnn::forward(w, x)[0]));
}

#if CTNN_TEST_COUNTS_ALLOCATIONS
TEST_CASE("the inference forward pass allocates nothing") {
  static ctnn::parameters<net_mnist, float> p;
  ctnn::initialize(p, 9);
  static ctnn::inference_weights<net_mnist, float> w;
  w.assign(p);
  const auto x = random_input<net_mnist, float>(10);
  std::array<float, 10> y{};
  const std::size_t before = ctnn_test::allocation_count();
  for (int k = 0; k < 100; ++k) ctnn::forward(w, x, y);
  CHECK(ctnn_test::allocation_count() == before);
  CHECK(y[0] > 0.0f);  // softmax outputs: the pass ran
}
#endif

// The compiler runs the same pass: the inference layout built and used in a constant expression.
constexpr bool same_at_compile_time() {
  using net = ctnn::network<ctnn::input<2>, ctnn::dense<20>, ctnn::tanh, ctnn::dense<1>>;
  ctnn::parameters<net, float> p;
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = 0.05f * static_cast<float>(k % 7) - 0.1f;
  const ctnn::inference_weights<net, float> w(p);
  const std::array<float, 2> x{0.5f, -0.25f};
  const float a = ctnn::forward(w, x)[0], b = ctnn::forward(p, x)[0];
  return (a - b < 1e-6f) && (b - a < 1e-6f) && (a != 0.0f);
}
static_assert(same_at_compile_time());

}  // namespace
