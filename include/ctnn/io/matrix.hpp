#pragma once
// A data set as the readers return it: `rows` samples of `cols` values, row-major in one
// std::vector. Row-major with samples as rows is the layout the batch passes take
// (ctnn::forward_batch(p, m.values, ...)), so data goes from file to network without copying.
// Heap storage is fine here: reading files is not a hot path.

#include <concepts>
#include <cstddef>
#include <span>
#include <vector>

namespace ctnn::io {

template <std::floating_point T>
struct matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<T> values;  // rows * cols, row after row

  std::span<T> row(std::size_t r) { return {values.data() + r * cols, cols}; }
  std::span<const T> row(std::size_t r) const { return {values.data() + r * cols, cols}; }
  T& operator()(std::size_t r, std::size_t c) { return values[r * cols + c]; }
  const T& operator()(std::size_t r, std::size_t c) const { return values[r * cols + c]; }
};

}  // namespace ctnn::io
