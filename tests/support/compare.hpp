#pragma once
// Comparisons of two results of one quantity, shared by the tests that check passes against each
// other (threads, kernels, graph spellings).

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>

namespace ctnn_test {

// Largest |a − b| over the largest |b|: the error relative to the reference's own scale.
template <class T>
double relative_difference(std::span<const T> a, std::span<const T> b) {
  REQUIRE(a.size() == b.size());
  double worst = 0, scale = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    worst = std::max(worst, std::abs(double(a[k]) - double(b[k])));
    scale = std::max(scale, std::abs(double(b[k])));
  }
  return scale > 0 ? worst / scale : worst;
}

template <class T>
bool bit_identical(std::span<const T> a, std::span<const T> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

}  // namespace ctnn_test
