#pragma once
// Where a kernel's results go. A kernel that produces a block of values (a gradient, a δ) hands
// each pack to a sink, sink.template put<Count, Arch>(k, v): the first Count lanes of v are the
// values k .. k + Count − 1 of the block. store_sink writes them to memory. The fused training
// step hands gradient values to an optimizer's update instead (optim/update_sink.hpp), so the
// gradient is never stored and read back.

#include <cstddef>

#include "pack.hpp"

namespace ctnn::simd {

template <class T>
struct store_sink {
  T* base;

  template <std::size_t Count, class Arch>
  constexpr void put(std::size_t k, const pack<T, Arch>& v) const {
    detail::store_part<Count, Arch>(base + k, v);
  }
};

}  // namespace ctnn::simd
