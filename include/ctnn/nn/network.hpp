#pragma once
// The user-facing network type, its parameter block and its workspace.
//
//   using net = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
//   ctnn::parameters<net, float> p;   // one contiguous, 64-byte aligned block
//   p.layer<0>().weight(o, i);         // named view of the first dense layer
//
// Layout: for each dense layer in order, W (out×in, row-major) then b (out), exactly as PyTorch's
// nn.Linear stores weight and bias, so blocks copy to and from PyTorch without transposes.

#include <array>
#include <cstddef>
#include <span>
#include <type_traits>

#include "sequential.hpp"

namespace ctnn {

template <class... Layers>
struct network : nn::sequential_graph<Layers...> {
  static_assert(nn::sequential_graph<Layers...>::well_formed,
                "ctnn: this network type is not well formed (the first error above says why)");
};

namespace detail {
template <class T>
struct scalar_type_check {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "ctnn: the scalar type of parameters, gradients and workspaces must be float or "
                "double");
  static constexpr bool ok = true;
};
}  // namespace detail

// The weights and bias of one dense layer inside a parameter (or gradient) block.
template <class T, std::size_t In, std::size_t Out>
struct dense_view {
  static constexpr std::size_t in = In;
  static constexpr std::size_t out = Out;
  T* w;
  T* b;
  constexpr T& weight(std::size_t o, std::size_t i) const { return w[o * In + i]; }
  constexpr T& bias(std::size_t o) const { return b[o]; }
  constexpr std::span<T, In * Out> weights() const { return std::span<T, In * Out>(w, In * Out); }
  constexpr std::span<T, Out> biases() const { return std::span<T, Out>(b, Out); }
};

template <class Net, class T>
struct parameters {
  static_assert(detail::scalar_type_check<T>::ok);
  using network_type = Net;
  using value_type = T;
  static constexpr std::size_t count = Net::parameter_count;

  alignas(64) std::array<T, count> values{};

  static constexpr std::size_t size() { return count; }
  constexpr T* data() { return values.data(); }
  constexpr const T* data() const { return values.data(); }
  constexpr std::span<T, count> flat() { return values; }
  constexpr std::span<const T, count> flat() const { return values; }
  constexpr T& operator[](std::size_t k) { return values[k]; }
  constexpr const T& operator[](std::size_t k) const { return values[k]; }

  // The K-th dense layer (0-based, counting dense layers only).
  template <std::size_t K>
  constexpr auto layer() {
    using S = typename Net::template stage<K>;
    return dense_view<T, S::in, S::out>{data() + S::weight_offset, data() + S::bias_offset};
  }
  template <std::size_t K>
  constexpr auto layer() const {
    using S = typename Net::template stage<K>;
    return dense_view<const T, S::in, S::out>{data() + S::weight_offset, data() + S::bias_offset};
  }

  friend constexpr bool operator==(const parameters&, const parameters&) = default;
};

// The gradient has the parameters' layout: gradient[k] = ∂C/∂parameters[k].
template <class Net, class T>
using gradient = parameters<Net, T>;

// Buffers for the forward and backward passes over a tile of up to Tile samples: z and a of every
// stage, and two δ rows. Batches of any size are processed tile by tile, so the workspace has a
// fixed size, lives wherever the caller puts it, and nothing is allocated per call. It is left
// uninitialised on purpose (every pass writes before it reads), so that creating one for a single
// sample costs nothing.
template <class Net, class T, std::size_t Tile = 32>
struct workspace {
  static_assert(detail::scalar_type_check<T>::ok);
  static_assert(Tile > 0, "ctnn: a workspace needs room for at least one sample");
  static constexpr std::size_t tile = Tile;
  alignas(64) std::array<T, Tile * Net::value_count> z;
  alignas(64) std::array<T, Tile * Net::value_count> a;
  alignas(64) std::array<T, Tile * Net::max_width> delta[2];

  template <class Stage> constexpr T* z_of() { return z.data() + Tile * Stage::value_offset; }
  template <class Stage> constexpr T* a_of() { return a.data() + Tile * Stage::value_offset; }
};

}  // namespace ctnn
