#pragma once
// Initialisation from a seed. Weights are drawn uniformly from [-bound, bound] with
//   Xavier/Glorot  bound = √(6 / (in + out))   for identity, sigmoid, tanh, softmax, softplus
//   He/Kaiming     bound = √(6 / in)           for the ReLU family (relu, leaky_relu, elu, gelu,
//                                              swish, mish: `he_initialization = true`)
// chosen per dense layer by the activation that reads it (a shared layer once, by its first
// node); biases start at 0. Other ops with a weight block say their fans (fan_in, fan_out: for
// op::conv2d, C·KH·KW and Out·KH·KW, PyTorch's) and get the same bounds, after the dense layers;
// ops whose blocks start at constants say which (batch_norm: initial_value); ops whose every block
// starts uniform in ±1/√fan say the fan (op::unroll: uniform_fan, the hidden size, as PyTorch
// initialises nn.RNN, nn.GRU and nn.LSTM, biases included). The generator is ctnn's own, so a seed gives the same weights with
// every compiler and standard library, and it runs in constant evaluation too.

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "../detail/random.hpp"
#include "../simd/math.hpp"
#include "activations.hpp"
#include "network.hpp"

namespace ctnn {

enum class init_scheme { automatic, xavier_uniform, he_uniform };

namespace detail {
// An activation asks for the He bound by saying so (ctnn's ReLU family does); any other type,
// whatever its members, gets Xavier's.
template <class A>
constexpr bool rectifier_like() {
  return requires { requires bool(A::he_initialization); };
}
template <class N>
concept fan_initialized = requires {
  N::fan_in;
  N::fan_out;
};
// Ops whose blocks start at constants (batch_norm: γ = 1, β = 0, running mean 0, variance 1)
// say so: initial_value[j] for block j.
template <class N>
concept constant_initialized = requires { N::initial_value; };
template <class N>
concept uniform_initialized = requires { N::uniform_fan; };

}  // namespace detail

template <class Net, class T>
constexpr void initialize(parameters<Net, T>& p, std::uint64_t seed,
                          init_scheme scheme = init_scheme::automatic) {
  detail::random_generator rng(seed);
  using layers = detail::dense_layers<Net>;
  [&]<std::size_t... L>(std::index_sequence<L...>) {
    (
        [&] {
          constexpr std::size_t k = layers::node[L];
          using N = typename Net::template node_at<k>;
          const bool he = scheme == init_scheme::he_uniform ||
                          (scheme == init_scheme::automatic &&
                           detail::rectifier_like<detail::activation_after_t<Net, k>>());
          const double bound =
              he ? math::sqrt(6.0 / double(N::in)) : math::sqrt(6.0 / double(N::in + N::out));
          auto view = p.template layer<L>();
          for (auto& w : view.weights()) w = static_cast<T>(rng.uniform(-bound, bound));
          for (auto& b : view.biases()) b = T(0);
        }(),
        ...);
  }(std::make_index_sequence<layers::count>{});
  // Ops with fans: their first block (the weights) from the same rule, the second (a bias) 0.
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          using N = typename Net::template node_at<K>;
          if constexpr (detail::fan_initialized<N>) {
            if (Net::layout::first_record[Net::block_of(K, 0)] != Net::table::record_begin[K])
              return;  // a shared block, set by its first node
            using blocks = core::parameters_of<N>;
            const bool he = scheme == init_scheme::he_uniform ||
                            (scheme == init_scheme::automatic &&
                             detail::rectifier_like<detail::activation_after_t<Net, K>>());
            const double bound = he ? math::sqrt(6.0 / double(N::fan_in))
                                    : math::sqrt(6.0 / double(N::fan_in + N::fan_out));
            const std::size_t w = Net::parameter_offset(K, 0);
            for (std::size_t i = 0; i < core::at_t<blocks, 0>::shape::size; ++i)
              p[w + i] = static_cast<T>(rng.uniform(-bound, bound));
            if constexpr (blocks::size > 1) {
              const std::size_t b = Net::parameter_offset(K, 1);
              for (std::size_t i = 0; i < core::at_t<blocks, 1>::shape::size; ++i) p[b + i] = T(0);
            }
          } else if constexpr (detail::uniform_initialized<N>) {
            if (Net::layout::first_record[Net::block_of(K, 0)] != Net::table::record_begin[K]) return;
            const double bound = 1.0 / math::sqrt(double(N::uniform_fan));
            for (std::size_t j = 0; j < core::parameters_of<N>::size; ++j) {
              const std::size_t b = Net::block_of(K, j);
              for (std::size_t i = Net::layout::offset[b]; i < Net::layout::offset[b + 1]; ++i)
                p[i] = static_cast<T>(rng.uniform(-bound, bound));
            }
          } else if constexpr (detail::constant_initialized<N>) {
            for (std::size_t j = 0; j < N::initial_value.size(); ++j) {
              const std::size_t b = Net::block_of(K, j);
              std::fill(p.data() + Net::layout::offset[b], p.data() + Net::layout::offset[b + 1],
                        static_cast<T>(N::initial_value[j]));
            }
          }
        }(),
        ...);
  }(std::make_index_sequence<Net::node_count>{});
}

}  // namespace ctnn
