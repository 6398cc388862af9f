// The three batch kernels of a dense node (simd/affine.hpp: Z = A·Wᵀ + b, ∂W and ∂b = Δᵀ·A, and
// the input delta Δ·W) on both architectures, float and double, against plain loops in double.
// They are compiled at the configuration's own optimisation level (not the laws' -O1): g++ 12
// -O2 -march=native once crashed the scalar architecture's input-delta kernel (an aligned vector
// store into a misaligned red-zone slot of its accumulator array; simd/pack.hpp,
// local_alignment), which only a kernel built at -O2 shows. The shapes mix pack-multiple and
// ragged widths and batches below, at and above the kernels' 4-row blocks.

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <random>
#include <vector>

namespace {

template <class T>
std::vector<T> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(u(rng));
  return v;
}

template <class T>
double tolerance(std::size_t terms) {
  return 8.0 * double(std::numeric_limits<T>::epsilon()) * double(terms + 1);
}

template <class Arch, class T, std::size_t In, std::size_t Out>
void check_shape(std::size_t n) {
  CAPTURE(Arch::name());
  CAPTURE(In);
  CAPTURE(Out);
  CAPTURE(n);
  const auto w = random_values<T>(Out * In, 1), b = random_values<T>(Out, 2);
  const auto a = random_values<T>(n * In, 3), delta = random_values<T>(n * Out, 4);

  std::vector<T> z(n * Out);
  ctnn::simd::affine_forward<In, Out, Arch>(w.data(), b.data(), a.data(), In, z.data(), n);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t o = 0; o < Out; ++o) {
      double want = double(b[o]);
      for (std::size_t i = 0; i < In; ++i) want += double(a[s * In + i]) * double(w[o * In + i]);
      REQUIRE(std::abs(double(z[s * Out + o]) - want) <= tolerance<T>(In) * (1 + std::abs(want)));
    }

  // ∂W at 0, ∂b after it, as in a parameter block.
  std::vector<T> g(Out * In + Out);
  ctnn::simd::affine_weight_gradient<In, Out, Arch>(delta.data(), a.data(), In, g.data(),
                                                    ctnn::simd::store_sink<T>{g.data()}, 0,
                                                    Out * In, n, false);
  for (std::size_t o = 0; o < Out; ++o) {
    double want_b = 0;
    for (std::size_t s = 0; s < n; ++s) want_b += double(delta[s * Out + o]);
    REQUIRE(std::abs(double(g[Out * In + o]) - want_b) <= tolerance<T>(n) * (1 + std::abs(want_b)));
    for (std::size_t i = 0; i < In; ++i) {
      double want = 0;
      for (std::size_t s = 0; s < n; ++s) want += double(delta[s * Out + o]) * double(a[s * In + i]);
      REQUIRE(std::abs(double(g[o * In + i]) - want) <= tolerance<T>(n) * (1 + std::abs(want)));
    }
  }

  std::vector<T> dx(n * In);
  ctnn::simd::affine_input_delta<In, Out, Arch>(delta.data(), w.data(),
                                                ctnn::simd::store_sink<T>{dx.data()}, n);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t i = 0; i < In; ++i) {
      double want = 0;
      for (std::size_t o = 0; o < Out; ++o) want += double(delta[s * Out + o]) * double(w[o * In + i]);
      REQUIRE(std::abs(double(dx[s * In + i]) - want) <= tolerance<T>(Out) * (1 + std::abs(want)));
    }
}

template <class Arch, class T>
void check_shapes() {
  for (const std::size_t n : {1u, 3u, 4u, 21u, 32u}) {
    check_shape<Arch, T, 16, 2>(n);  // the shape whose scalar input delta crashed (n = 32)
    check_shape<Arch, T, 7, 3>(n);
    check_shape<Arch, T, 37, 34>(n);
    check_shape<Arch, T, 34, 2>(n);
    check_shape<Arch, T, 33, 17>(n);
    check_shape<Arch, T, 64, 16>(n);
  }
}

TEST_CASE("batch kernels of a dense node, scalar architecture, against plain loops") {
  check_shapes<ctnn::simd::scalar_arch, float>();
  check_shapes<ctnn::simd::scalar_arch, double>();
}

TEST_CASE("batch kernels of a dense node, default architecture, against plain loops") {
  check_shapes<ctnn::simd::default_arch, float>();
  check_shapes<ctnn::simd::default_arch, double>();
}

}  // namespace
