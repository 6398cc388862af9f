#pragma once
// Initialisation from a seed. Weights are drawn uniformly from [-bound, bound] with
//   Xavier/Glorot  bound = √(6 / (in + out))   for identity, sigmoid, tanh, softmax, softplus
//   He/Kaiming     bound = √(6 / in)           for the ReLU family (relu, leaky_relu, elu, gelu,
//                                              swish, mish)
// chosen per layer by the activation that follows it; biases start at 0. The generator is ctnn's
// own, so a seed gives the same weights with every compiler and standard library.

#include <cmath>
#include <cstdint>
#include <boost/hana/for_each.hpp>
#include <type_traits>

#include "../detail/random.hpp"
#include "activations.hpp"
#include "network.hpp"

namespace ctnn {

enum class init_scheme { automatic, xavier_uniform, he_uniform };

namespace detail {
template <class A>
constexpr bool rectifier_like() {
  return std::is_same_v<A, relu> || std::is_same_v<A, gelu> || std::is_same_v<A, swish> ||
         std::is_same_v<A, mish> || requires { A::slope; } || requires { A::alpha; };
}
}  // namespace detail

template <class Net, class T>
void initialize(parameters<Net, T>& p, std::uint64_t seed,
                init_scheme scheme = init_scheme::automatic) {
  detail::random_generator rng(seed);
  boost::hana::for_each(Net::stages, [&](auto stage) {
    using S = typename decltype(stage)::type;
    const bool he = scheme == init_scheme::he_uniform ||
                    (scheme == init_scheme::automatic &&
                     detail::rectifier_like<typename S::activation>());
    const double bound = he ? std::sqrt(6.0 / double(S::in)) : std::sqrt(6.0 / double(S::in + S::out));
    auto view = p.template layer<S::index>();
    for (auto& w : view.weights()) w = static_cast<T>(rng.uniform(-bound, bound));
    for (auto& b : view.biases()) b = T(0);
  });
}

}  // namespace ctnn
