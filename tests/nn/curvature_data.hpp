#pragma once
// What the second-order tests (hessian.cpp, gauss_newton.cpp) share: deterministic data, shifted
// initial parameters (so no two nets start alike), and the comparisons they report.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <vector>

namespace curvature_test {

template <class T>
std::vector<T> wave(std::size_t count, double phase) {
  std::vector<T> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = T(std::sin(phase + 0.77 * double(i)));
  return v;
}

// n one-hot rows of `width` (sample s is class (3s + 1) mod width).
template <class T>
std::vector<T> one_hot(std::size_t n, std::size_t width) {
  std::vector<T> v(n * width, T(0));
  for (std::size_t s = 0; s < n; ++s) v[s * width + (3 * s + 1) % width] = T(1);
  return v;
}

// ctnn::initialize(seed), each entry shifted by shift·sin(0.91k + 0.3).
template <class Net, class T = double>
std::unique_ptr<ctnn::parameters<Net, T>> make_parameters(std::uint64_t seed, double shift) {
  auto p = std::make_unique<ctnn::parameters<Net, T>>();
  ctnn::initialize(*p, seed);
  for (std::size_t k = 0; k < p->size(); ++k) (*p)[k] += T(shift * std::sin(0.91 * double(k) + 0.3));
  return p;
}

// max |a − b| / max(max |b|, floor): the error relative to the size of the reference b.
template <class A, class B>
double relative_error(const A& a, const B& b, double floor = 1e-3) {
  double worst = 0, size = floor;
  for (std::size_t k = 0; k < b.size(); ++k) {
    worst = std::max(worst, std::abs(double(a[k]) - double(b[k])));
    size = std::max(size, std::abs(double(b[k])));
  }
  return worst / size;
}

template <class Net, class T>
T dot(const ctnn::parameters<Net, T>& a, const ctnn::parameters<Net, T>& b) {
  T s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

}  // namespace curvature_test
