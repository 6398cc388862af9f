// Gradient clipping by global norm: a gradient above the threshold comes out with exactly the
// threshold's norm and its direction unchanged; one within it is untouched; the scale folded into
// an optimizer step gives the step of the clipped gradient. Norms by hand are double sums.

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>

namespace {

// 20 parameters: a full SIMD pack (or two) plus a scalar tail in the norm and the scaling loops.
using net = ctnn::network<ctnn::input<3>, ctnn::dense<5>>;
constexpr std::size_t n = net::parameter_count;

template <class T>
ctnn::gradient<net, T> some_gradient() {
  ctnn::gradient<net, T> g;
  for (std::size_t k = 0; k < n; ++k)
    g[k] = T((k % 3 == 0 ? -1.0 : 1.0) * (0.5 + 0.25 * double(k)));
  return g;
}

template <class T>
double norm_by_hand(const ctnn::gradient<net, T>& g) {
  double sum = 0;
  for (std::size_t k = 0; k < n; ++k) sum += double(g[k]) * double(g[k]);
  return std::sqrt(sum);
}

// A few ulp of T: one sum of 20 squares, a root and a division.
template <class T>
constexpr double ulps = std::is_same_v<T, float> ? 1e-6 : 1e-14;

template <class Arch, class T>
void check_clipping() {
  const ctnn::gradient<net, T> original = some_gradient<T>();
  const double norm = norm_by_hand(original);  // about 17.4
  REQUIRE(norm > 10);
  CHECK(double(ctnn::global_norm<Arch>(original)) == doctest::Approx(norm).epsilon(ulps<T>));

  SUBCASE("above the threshold: scaled to exactly the threshold, same direction") {
    ctnn::gradient<net, T> g = original;
    const T before = ctnn::clip_grad_norm<Arch>(g, T(2.5));
    CHECK(double(before) == doctest::Approx(norm).epsilon(ulps<T>));
    CHECK(norm_by_hand(g) == doctest::Approx(2.5).epsilon(ulps<T>));
    for (std::size_t k = 0; k < n; ++k)
      CHECK(double(g[k]) == doctest::Approx(double(original[k]) * 2.5 / norm).epsilon(ulps<T>));
    CHECK(double(ctnn::clip_scale<Arch>(original, 2.5)) ==
          doctest::Approx(2.5 / norm).epsilon(ulps<T>));
  }
  SUBCASE("within the threshold: untouched, bit for bit") {
    ctnn::gradient<net, T> g = original;
    const T before = ctnn::clip_grad_norm<Arch>(g, T(norm * 1.01));
    CHECK(double(before) == doctest::Approx(norm).epsilon(ulps<T>));
    CHECK(g == original);
    CHECK(ctnn::clip_scale<Arch>(original, T(norm * 1.01)) == T(1));
    CHECK(ctnn::clip_scale<Arch>(original, 1e9) == T(1));
  }
  SUBCASE("a threshold that is not > 0 is refused, and the gradient kept") {
    for (const double bad : {0.0, -1.0, std::nan("")}) {
      ctnn::gradient<net, T> g = original;
      CHECK_THROWS_WITH_AS(ctnn::clip_grad_norm<Arch>(g, T(bad)),
                           doctest::Contains("ctnn::clip_grad_norm: max_norm must be > 0, got"),
                           ctnn::contract_error);
      CHECK(g == original);
      CHECK_THROWS_WITH_AS(ctnn::clip_scale<Arch>(original, T(bad)),
                           doctest::Contains("ctnn::clip_scale: max_norm must be > 0"),
                           ctnn::contract_error);
    }
  }
  SUBCASE("a zero gradient is left alone") {
    ctnn::gradient<net, T> zero{};
    CHECK(ctnn::clip_grad_norm<Arch>(zero, T(1)) == T(0));
    CHECK(zero == ctnn::gradient<net, T>{});
    CHECK(ctnn::clip_scale<Arch>(zero, 1.0) == T(1));
  }
  SUBCASE("the scale folded into a step is the step of the clipped gradient") {
    ctnn::parameters<net, T> p;
    for (std::size_t k = 0; k < n; ++k) p[k] = T(0.1 * double(k));
    const ctnn::parameters<net, T> start = p;
    ctnn::sgd<net, T, Arch> opt;
    opt.step(p, original, 0.1, ctnn::clip_scale<Arch>(original, 2.5));
    for (std::size_t k = 0; k < n; ++k) {
      const double expected = double(start[k]) - 0.1 * double(original[k]) * 2.5 / norm;
      CHECK(double(p[k]) == doctest::Approx(expected).epsilon(ulps<T>).scale(1));
    }
  }
}

}  // namespace

TEST_CASE_TEMPLATE("clipping by global norm, default architecture", T, float, double) {
  check_clipping<ctnn::simd::default_arch, T>();
}

TEST_CASE_TEMPLATE("clipping by global norm, scalar architecture", T, float, double) {
  check_clipping<ctnn::simd::scalar_arch, T>();
}
