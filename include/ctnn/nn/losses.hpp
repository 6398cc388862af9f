#pragma once
// Losses. A loss compares a prediction a with a target t of the same width, per sample. When the
// prediction is an activation's output, a = f(z), the loss knows f (identity otherwise, with
// z = a) and may be fused with it. Each loss states:
//   value<F, Width, Arch>(z, a, t, n)                     the summed loss of n samples
//   delta<F, Width, Fused, Arch>(z, a, t, sink, n, scale) scale·∂C/∂a into sink (simd/sink.hpp),
//                                                         or scale·∂C/∂z when Fused
//   fuses_with<F>                                         whether ∂C/∂z has a direct form
//   takes_activation<F>, min_width                        what it can be put on
// The cross-entropies are fused with the activation they belong to (δz = a − t) and computed from
// z, so that they stay finite for any logits. A loss is used as a node of a graph
// (ops/loss.hpp: op::softmax_cross_entropy<y>, ...) or passed to the passes of a graph without
// an objective (ctnn::loss_and_gradient(p, ctnn::squared_error{}, x, t, g)).

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../simd/elementwise.hpp"
#include "../simd/math.hpp"
#include "../simd/pack.hpp"
#include "activations.hpp"
#include "softmax.hpp"

namespace ctnn {

struct loss_tag {};

template <class L>
concept loss_function = std::is_base_of_v<loss_tag, L>;

// C = ½‖a - t‖² per sample; any prediction.
struct squared_error : loss_tag {
  static constexpr std::string_view name = "squared_error";
  template <class F>
  static constexpr bool fuses_with = false;
  template <class F>
  static constexpr bool takes_activation = true;
  static constexpr std::size_t min_width = 1;

  template <class F, std::size_t Width, class Arch, class T>
  static constexpr T value(const T*, const T* a, const T* t, std::size_t n) {
    return T(0.5) * simd::sum_map<Arch>(a, t, n * Width, [](auto av, auto tv) {
             const auto e = av - tv;
             return e * e;
           });
  }

  template <class F, std::size_t Width, bool Fused, class Arch, class T, class Sink>
  static constexpr void delta(const T*, const T* a, const T* t, const Sink& sink, std::size_t n,
                              T scale) {
    simd::for_each_pack<Arch, T>(n * Width, [&]<class A>(std::size_t k) {
      using P = simd::pack_traits<T, A>;
      sink.template put<P::lanes, A>(k, (P::load(a + k) - P::load(t + k)) * P::broadcast(scale));
    });
  }
};

// Categorical cross-entropy of softmax(z): C = -Σ_k t_k log softmax(z)_k
//   = (Σ_k t_k)·logsumexp(z) - Σ_k t_k z_k, and δz = softmax(z)·Σt - t (= a - t for one-hot t).
// Takes logits (a node that is not an activation) or a softmax, fused with it.
struct softmax_cross_entropy : loss_tag {
  static constexpr std::string_view name = "softmax_cross_entropy";
  template <class F>
  static constexpr bool fuses_with = std::is_same_v<F, softmax> || std::is_same_v<F, identity>;
  template <class F>
  static constexpr bool takes_activation = fuses_with<F>;
  static constexpr std::size_t min_width = 2;

  template <class F, std::size_t Width, class Arch, class T>
  static constexpr T value(const T* z, const T*, const T* t, std::size_t n) {
    T total = 0;
    for (std::size_t s = 0; s < n; ++s) {
      const T* zs = z + s * Width;
      const T* ts = t + s * Width;
      const T log_sum_exp = simd::log_sum_exp<Arch>(zs, Width);
      const T target_mass = simd::sum_map<Arch>(ts, ts, Width, [](auto tv, auto) { return tv; });
      const T target_dot_z = simd::sum_map<Arch>(ts, zs, Width, [](auto tv, auto zv) { return tv * zv; });
      total += target_mass * log_sum_exp - target_dot_z;
    }
    return total;
  }

  template <class F, std::size_t Width, bool Fused, class Arch, class T, class Sink>
  static constexpr void delta(const T* z, const T* a, const T* t, const Sink& sink, std::size_t n,
                              T scale) {
    for (std::size_t s = 0; s < n; ++s) {
      const T* ts = t + s * Width;
      const T target_mass = simd::sum_map<Arch>(ts, ts, Width, [](auto tv, auto) { return tv; });
      const std::size_t row = s * Width;
      if constexpr (std::is_same_v<F, softmax> && !Fused) {
        // ∂C/∂a = -t/a, for a softmax whose output also feeds other nodes.
        simd::for_each_pack<Arch, T>(Width, [&]<class A>(std::size_t k) {
          using P = simd::pack_traits<T, A>;
          sink.template put<P::lanes, A>(row + k, -P::load(ts + k) / P::load(a + row + k) *
                                                      P::broadcast(scale));
        });
      } else if constexpr (std::is_same_v<F, softmax>) {
        simd::for_each_pack<Arch, T>(Width, [&]<class A>(std::size_t k) {
          using P = simd::pack_traits<T, A>;
          sink.template put<P::lanes, A>(
              row + k, (P::load(a + row + k) * P::broadcast(target_mass) - P::load(ts + k)) *
                           P::broadcast(scale));
        });
      } else {
        // From the logits: softmax(z)_k = e^{z_k − m} / Σ e^{z − m}.
        const T* zs = z + row;
        const simd::softmax_normaliser<T> norm = simd::normaliser<Arch>(zs, Width);
        const T inverse = T(1) / norm.total;
        simd::for_each_pack<Arch, T>(Width, [&]<class A>(std::size_t k) {
          using P = simd::pack_traits<T, A>;
          const auto p = math::exp(P::load(zs + k) - P::broadcast(norm.shift)) * P::broadcast(inverse);
          sink.template put<P::lanes, A>(
              row + k, (p * P::broadcast(target_mass) - P::load(ts + k)) * P::broadcast(scale));
        });
      }
    }
  }
};

// Binary cross-entropy of σ(z), per output: C = -t log σ(z) - (1-t) log(1-σ(z))
//   = softplus(z) - t z (finite for any z), and δz = σ(z) - t.
// Takes logits (a node that is not an activation) or a sigmoid, fused with it.
struct binary_cross_entropy : loss_tag {
  static constexpr std::string_view name = "binary_cross_entropy";
  template <class F>
  static constexpr bool fuses_with = std::is_same_v<F, sigmoid> || std::is_same_v<F, identity>;
  template <class F>
  static constexpr bool takes_activation = fuses_with<F>;
  static constexpr std::size_t min_width = 1;

  template <class F, std::size_t Width, class Arch, class T>
  static constexpr T value(const T* z, const T*, const T* t, std::size_t n) {
    return simd::sum_map<Arch>(z, t, n * Width,
                               [](auto zv, auto tv) { return math::softplus(zv) - tv * zv; });
  }

  template <class F, std::size_t Width, bool Fused, class Arch, class T, class Sink>
  static constexpr void delta(const T* z, const T* a, const T* t, const Sink& sink, std::size_t n,
                              T scale) {
    simd::for_each_pack<Arch, T>(n * Width, [&]<class A>(std::size_t k) {
      using P = simd::pack_traits<T, A>;
      const auto tv = P::load(t + k);
      if constexpr (std::is_same_v<F, sigmoid> && !Fused) {
        // ∂C/∂a = (a - t) / (a(1 - a)), for a sigmoid whose output also feeds other nodes.
        const auto av = P::load(a + k);
        sink.template put<P::lanes, A>(k, (av - tv) / (av * (P::broadcast(T(1)) - av)) *
                                               P::broadcast(scale));
      } else if constexpr (std::is_same_v<F, sigmoid>) {
        sink.template put<P::lanes, A>(k, (P::load(a + k) - tv) * P::broadcast(scale));
      } else {
        sink.template put<P::lanes, A>(k, (math::sigmoid(P::load(z + k)) - tv) * P::broadcast(scale));
      }
    });
  }
};

// Loss applied to each of the Rows rows of a prediction (a sequence's steps: Rows × width values
// per sample) and summed: C = Σ_r Loss(a_r, t_r). The rows of n samples are n·Rows rows of one
// width, so the row loss runs unchanged on them.
template <class Loss, std::size_t Rows>
struct per_row : loss_tag {
  static constexpr std::size_t rows = Rows;
  using row_loss = Loss;
  static constexpr auto name_chars = [] {
    constexpr std::string_view suffix = "_per_step";
    std::array<char, Loss::name.size() + suffix.size()> c{};
    for (std::size_t k = 0; k < Loss::name.size(); ++k) c[k] = Loss::name[k];
    for (std::size_t k = 0; k < suffix.size(); ++k) c[Loss::name.size() + k] = suffix[k];
    return c;
  }();
  static constexpr std::string_view name{name_chars.data(), name_chars.size()};
  template <class F>
  static constexpr bool fuses_with = Loss::template fuses_with<F>;
  template <class F>
  static constexpr bool takes_activation = Loss::template takes_activation<F>;
  static constexpr std::size_t min_width = Rows * Loss::min_width;

  template <class F, std::size_t Width, class Arch, class T>
  static constexpr T value(const T* z, const T* a, const T* t, std::size_t n) {
    static_assert(Width % Rows == 0, "ctnn::per_row: the prediction must hold Rows rows of one width");
    return Loss::template value<F, Width / Rows, Arch>(z, a, t, n * Rows);
  }
  template <class F, std::size_t Width, bool Fused, class Arch, class T, class Sink>
  static constexpr void delta(const T* z, const T* a, const T* t, const Sink& sink, std::size_t n, T scale) {
    Loss::template delta<F, Width / Rows, Fused, Arch>(z, a, t, sink, n * Rows, scale);
  }
};

}  // namespace ctnn
