#pragma once
// What every optimizer shares: the concept a fit loop holds them by, and the one loop that runs a
// fused update over the flat parameter block.
//
// An optimizer is an object that owns its state (momentum buffers, moments, the step count) as
// fixed-size arrays sized from Net::parameter_count, and updates the parameters from a gradient
// of the same layout in one pass, allocating nothing:
//
//   ctnn::adam<net, float> opt;                   // options: ctnn::adam_options{...}
//   opt.step(p, g, learning_rate);                // p ← p - update(g)
//   opt.step(p, g, learning_rate, scale);         // the same with g read as scale·g (clipping)
//
// A fit loop holds any optimizer and any schedule (schedule.hpp) generically:
//
//   template <class Net, class T, ctnn::optimizer<Net, T> O, ctnn::learning_rate_schedule S>
//   void fit(ctnn::parameters<Net, T>& p, O& opt, const S& schedule, ...) {
//     for (std::size_t k = 0; k < steps; ++k) {
//       ctnn::loss_and_gradient_batch(p, loss, x, t, g, ws);
//       opt.step(p, g, schedule(k), ctnn::clip_scale(g, max_norm));   // clip.hpp; or no scale
//     }
//   }
//
// The learning rate is passed per step (from a schedule, see schedule.hpp) rather than stored,
// so a schedule and an optimizer compose without knowing each other. Hyper-parameters are double,
// as PyTorch's are Python floats; the tensor arithmetic runs in T.
// Each optimizer also has the fused form the training passes use (train/train_step.hpp):
//
//   const auto u = opt.start_step(p, learning_rate);   // advances the step count
//   u(V{}, k, g);    // the step for parameter k (k .. k + lanes − 1 when V is a pack's traits),
//                    // g the gradient there
//
// step() is start_step and u over the whole block from a stored gradient; a fused pass calls u
// where a kernel has just computed a gradient value instead, so the gradient is never stored and
// read back. The update is element-wise, so its order over k does not matter.
//
// State can be large (one or two blocks the size of the parameters): like a workspace, keep a big
// net's optimizer in static storage or behind one std::make_unique.

#include <array>
#include <concepts>
#include <cstddef>

#include "../nn/network.hpp"
#include "../simd/math.hpp"
#include "../simd/pack.hpp"

namespace ctnn {

template <class O, class Net, class T>
concept optimizer = requires(O& o, parameters<Net, T>& p, const gradient<Net, T>& g,
                             double learning_rate, T gradient_scale) {
  o.step(p, g, learning_rate);
  o.step(p, g, learning_rate, gradient_scale);
  { o.steps() } -> std::convertible_to<std::size_t>;  // steps taken so far
  o.reset();                                          // back to the freshly constructed state
  o.start_step(p, learning_rate, gradient_scale);      // the fused form (above)
};

namespace optim::detail {

// Calls body(traits, k) for k = 0, L, 2L, ... with the SIMD pack traits of Arch (L lanes), then
// for each remaining k with the scalar traits (one lane). The update formula is written once, as
// a generic lambda over the traits, and serves both: the scalar architecture runs only the tail
// loop, so a CTNN_NO_SIMD build is the same code with one lane.
template <class Arch, class T, class Body>
inline void for_each_pack(std::size_t count, Body body) {
  using vector = simd::pack_traits<T, Arch>;
  using scalar = simd::pack_traits<T, simd::scalar_arch>;
  // The packed bound is computed once: with `k + lanes <= count` as the condition, g++ 12 at -O3
  // warns (-Waggressive-loop-optimizations) when count is a multiple of lanes.
  const std::size_t packed = vector::lanes > 1 ? count - count % vector::lanes : 0;
  for (std::size_t k = 0; k < packed; k += vector::lanes) body(vector{}, k);
  for (std::size_t k = packed; k < count; ++k) body(scalar{}, k);
}

// The state blocks of Net (core/op.hpp: state_parameter) as flat ranges [begin, end), neighbours
// merged.
template <class Net>
inline constexpr auto state_ranges = [] {
  constexpr std::size_t count = [] {
    std::size_t c = 0;
    for (std::size_t b = 0; b < Net::block_count; ++b)
      c += Net::block_is_state(b) && (b == 0 || !Net::block_is_state(b - 1));
    return c;
  }();
  std::array<std::array<std::size_t, 2>, count> r{};
  std::size_t at = 0;
  for (std::size_t b = 0; b < Net::block_count; ++b) {
    if (!Net::block_is_state(b)) continue;
    if (b == 0 || !Net::block_is_state(b - 1)) r[at++][0] = Net::layout::offset[b];
    r[at - 1][1] = Net::layout::offset[b + 1];
  }
  return r;
}();

// An optimizer's update over a net with state blocks: a state value takes its gradient entry,
// which a training pass made the block's next value (batch_norm's running statistics), instead
// of the optimizer's update; clipping's scale does not apply to it.
template <class Net, class T, class Update>
struct state_keeping_update {
  Update update;
  T* theta;
  template <class V>
  void operator()(V v, std::size_t k, const typename V::type& g) const {
    std::size_t overlap = 0;
    for (const auto& r : state_ranges<Net>) {
      const std::size_t lo = k > r[0] ? k : r[0], hi = k + V::lanes < r[1] ? k + V::lanes : r[1];
      if (lo < hi) overlap += hi - lo;
    }
    if (overlap == 0) {
      update(v, k, g);
    } else if (overlap == V::lanes) {
      V::store(theta + k, g);
    } else {
      alignas(64) T values[V::lanes];
      V::store(values, g);
      using one = simd::pack_traits<T, simd::scalar_arch>;
      for (std::size_t i = 0; i < V::lanes; ++i) {
        if (Net::is_state(k + i)) theta[k + i] = values[i];
        else update(one{}, k + i, values[i]);
      }
    }
  }
};

// What every start_step returns: its update, wrapped when Net has state blocks.
template <class Net, class Update, class T>
constexpr auto keeping_state(const Update& u, T* theta) {
  if constexpr (Net::has_state) return state_keeping_update<Net, T, Update>{u, theta};
  else return u;
}

// A step from a stored gradient: u (from start_step) over the whole block.
template <class Arch, class T, class Update>
inline void apply_update(const Update& u, std::size_t count, const T* grad) {
  for_each_pack<Arch, T>(count, [&]<class V>(V v, std::size_t k) { u(v, k, V::load(grad + k)); });
}

}  // namespace optim::detail
}  // namespace ctnn
