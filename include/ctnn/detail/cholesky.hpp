#pragma once
// Solving A·x = b for a symmetric positive definite A (n × n, row-major, double) by its Cholesky
// factorisation A = L·Lᵀ, in place: the normal equations of a Levenberg–Marquardt step. Small
// dense systems (a net's parameters, up to a few thousand) are what it is for; the factorisation
// costs n³/3 flops. Written here rather than taken from a library: Eigen is only a benchmark
// dependency, and LAPACK (liblapack-dev) would add a Fortran runtime to link for a loop nest of
// ten lines. Its inner loops are dot products of rows, on SIMD packs (simd/elementwise.hpp).

#include <cmath>
#include <cstddef>

#include "../simd/elementwise.hpp"
#include "../simd/pack.hpp"

namespace ctnn::detail {

// Overwrites the lower triangle of a with L; false (a left partly overwritten) when a pivot is
// not positive, i.e. a is not positive definite to working precision.
template <class Arch = simd::default_arch>
bool cholesky_factor(double* a, std::size_t n) {
  const auto product = [](auto x, auto y) { return x * y; };
  for (std::size_t j = 0; j < n; ++j) {
    const double* row_j = a + j * n;
    const double d = a[j * n + j] - simd::sum_map<Arch>(row_j, row_j, j, product);
    if (!(d > 0)) return false;  // also NaN
    const double l = std::sqrt(d);
    a[j * n + j] = l;
    for (std::size_t i = j + 1; i < n; ++i)
      a[i * n + j] = (a[i * n + j] - simd::sum_map<Arch>(a + i * n, row_j, j, product)) / l;
  }
  return true;
}

// x = A⁻¹ b from the factor L in the lower triangle of a (b overwritten by x).
inline void cholesky_solve(const double* a, std::size_t n, double* b) {
  for (std::size_t i = 0; i < n; ++i) {  // L y = b
    double s = b[i];
    for (std::size_t k = 0; k < i; ++k) s -= a[i * n + k] * b[k];
    b[i] = s / a[i * n + i];
  }
  for (std::size_t i = n; i-- > 0;) {  // Lᵀ x = y
    double s = b[i];
    for (std::size_t k = i + 1; k < n; ++k) s -= a[k * n + i] * b[k];
    b[i] = s / a[i * n + i];
  }
}

}  // namespace ctnn::detail
