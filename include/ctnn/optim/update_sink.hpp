#pragma once
// A kernel sink (simd/sink.hpp) that hands each gradient value to an optimizer's update of one
// step (optimizer.hpp: start_step) instead of storing it: the fused training step
// (train/train_step.hpp) puts it where the backward kernels would store the gradient. A part pack
// (a row's last values, fewer than the lanes) is updated value by value.

#include <cstddef>

#include "../simd/pack.hpp"

namespace ctnn::optim {

// The update is held by value: a sink is a local whose address never escapes, so the compiler
// knows the update's stores to the parameters cannot change its constants, and keeps them in
// registers instead of reloading them after every store.
// Value k of the sink is parameter offset + k (kernels count from the first parameter block of
// the node they work for).
template <class T, class Update>
struct update_sink {
  Update update;
  std::size_t offset = 0;

  static constexpr bool active() { return true; }
  template <std::size_t Count, class Arch>
  void put(std::size_t k, const simd::pack<T, Arch>& g) const {
    using traits = simd::pack_traits<T, Arch>;
    if constexpr (Count == traits::lanes) {
      update(traits{}, offset + k, g);
    } else {
      alignas(64) T values[traits::lanes];
      traits::store(values, g);
      for (std::size_t i = 0; i < Count; ++i)
        update(simd::pack_traits<T, simd::scalar_arch>{}, offset + k + i, values[i]);
    }
  }
};

}  // namespace ctnn::optim
