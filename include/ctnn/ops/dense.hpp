#pragma once
// op::dense<"name", Out, x>: z = W x + b, with W (Out × In, row-major, PyTorch's nn.Linear
// layout) and b (Out) in the parameter blocks "name.weight" and "name.bias". Two dense nodes with
// one name share one W and one b (their gradients add up).
//
//   forward   z = W x + b
//   vjp       δx = Wᵀ δz,  ∂W = δz xᵀ,  ∂b = δz    (summed over the tile's samples)
//   jvp       ż = W ẋ + Ẇ x + ḃ
//
// Lowering: the kernels of simd/affine.hpp (tiles: register blocks across samples and rows of W)
// and simd/matvec.hpp (one sample: L rows at a time, the activation that follows applied in
// registers, ∂W and Wᵀδ in one pass over W).
//
// op::dense_roles<"gru", 3 * H, x, "weight_ih_l0", "bias_ih_l0"> is the same node with its blocks'
// roles named, for layouts that keep several matrices under one owner (nn.GRU's input half). Both
// are one rule (detail::dense_rule), the node type passed in for its error messages; dense keeps
// three template arguments so that compilers print it as it is written. δx goes through the adjoint sink it is handed, so an
// elementwise input's derivative is applied as δx is stored (absorbs_input), and ∂W after Wᵀδ has
// read W, so an optimizer's update may take the place of the gradient store.

#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "../core/list.hpp"
#include "../core/name.hpp"
#include "../core/op.hpp"
#include "../simd/affine.hpp"
#include "../simd/column_forward.hpp"
#include "../simd/matvec.hpp"
#include "../simd/pack.hpp"
#include "../simd/sink.hpp"
#include "shape_checks.hpp"

namespace ctnn::op {

namespace detail {

template <class Self, name Name, std::size_t Out, class X, name WeightRole, name BiasRole>
struct dense_rule {
  using input_shape = core::shape_of<X>;
  static_assert(shape_error::dense_layer<Self>::template takes<X, input_shape>::template check<
                input_shape::rank == 1>::ok);
  static_assert(shape_error::dense_layer<Self>::template has_zero_outputs<(Out > 0)>::ok);

  static constexpr std::size_t in = input_shape::size;
  static constexpr std::size_t out = Out;
  using inputs = core::list<X>;
  using shape = ctnn::shape<Out>;
  using parameters = core::list<core::parameter<Name, WeightRole, ctnn::shape<Out, in>>,
                                core::parameter<Name, BiasRole, ctnn::shape<Out>>>;
  static constexpr auto label = Name;
  static constexpr std::string_view op_name = "dense";
  struct notation {
    static constexpr std::string_view value = "{p0} {x0} + {p1}";
    static constexpr std::string_view adjoint[1] = {"{p0}ᵀ {dy}"};
    static constexpr std::string_view gradient[2] = {"{dy} {x0}ᵀ", "{dy}"};
  };
  static constexpr std::string_view spelling = "ctnn::op::dense<\"{label}\", {n0}, {in0}>";
  static constexpr std::array<std::size_t, 1> signature_numbers{Out};
  template <std::size_t K>
  static constexpr bool absorbs_input = true;
  static constexpr bool vjp_reads_output = false;
  static constexpr bool sample_kernels = true;
  static constexpr std::size_t forward_flops = 2 * in * Out + Out;
  static constexpr std::size_t vjp_flops = 2 * in * Out + Out;  // ∂W, ∂b; δx adds 2·in·Out
  static constexpr std::size_t input_vjp_flops = 2 * in * Out;
  static constexpr std::size_t bias_at = in * Out;  // b follows W in the parameter block

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 2>& a) {
    simd::affine_forward<in, Out, Arch>(a.param[0], a.param[1], a.in[0], in, a.out, a.n);
  }

  // One sample on a SIMD architecture: x as packs, z stored; F (an elementwise function, or void
  // for none) applied in registers and F(z) stored to y; returns what it stored last as packs.
  // CTNN_INLINE_KERNEL (config.hpp): clang's flatten inlines only the calls the flattened pass
  // writes itself, not these rules.
  template <class Arch, class F, class T>
  CTNN_INLINE_KERNEL static simd::vector_packs<T, Arch, Out> forward_sample(
      const T* w, const T* b, const simd::vector_packs<T, Arch, in>& x, T* z, T* y) {
    return simd::dense_forward_one<in, Out, F, Arch>(w, b, x, z, y);
  }

  // One sample from the inference layout (nn/inference.hpp): W stored in columns (Wᵀ, each column
  // Stride values apart) or in rows; F as in forward_sample; y = F(z) (z is scratch).
  template <class T>
  static constexpr bool by_columns = Out * sizeof(T) >= 64;
  template <class Arch, class F, bool ByColumns, std::size_t Stride, class T>
  CTNN_INLINE_KERNEL static void forward_inference(const T* w, const T* b, const T* x, T* z, T* y) {
    if constexpr (ByColumns)
      simd::dense_forward_columns<in, Out, Stride, F, Arch>(w, b, x, z, y);
    else if constexpr (std::is_void_v<F>)
      simd::dense_forward_one<in, Out, F, Arch>(w, b, simd::load_vector<in, Arch>(x), y, y);
    else
      simd::dense_forward_one<in, Out, F, Arch>(w, b, simd::load_vector<in, Arch>(x), z, y);
  }

  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    const auto& dx = std::get<0>(a.din);
    // Wᵀδ reads W before ∂W goes to the sink, which may update W in place.
    if constexpr (!simd::never_active<std::remove_cvref_t<decltype(dx)>>())
      if (dx.active()) simd::affine_input_delta<in, Out, Arch>(a.dout, a.param[0], dx, a.n);
    simd::affine_weight_gradient<in, Out, Arch>(a.dout, a.in[0], in, a.g_in, a.gradient, 0, bias_at,
                                                a.n, a.accumulate[0]);
  }

  // One sample on a SIMD architecture: ∂W, ∂b to the gradient sink (which takes final values), δx
  // through dx, in one pass over W.
  template <class Arch, class T, class Sink, class Adjoint>
  CTNN_INLINE_KERNEL static void vjp_sample(const T* w, const T* x, const T* dz,
                                            const Sink& gradient, const Adjoint& dx) {
    const auto propagate = [&]() CTNN_INLINE_LAMBDA {
      simd::dense_backward_one<in, Out, true, Arch>(w, dz, x, gradient, 0, bias_at,
                                                    simd::to_sink<Arch, Adjoint>{dx});
    };
    const auto keep = [&]() CTNN_INLINE_LAMBDA {
      simd::dense_backward_one<in, Out, false, Arch>(w, dz, x, gradient, 0, bias_at,
                                                     simd::to_nowhere{});
    };
    if constexpr (simd::always_active<Adjoint>()) propagate();
    else if constexpr (simd::never_active<Adjoint>()) keep();
    else if (dx.active()) propagate();
    else keep();
  }

  // ż = W ẋ + ḃ (the tile kernel), then + Ẇ x.
  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 2>& a) {
    simd::affine_forward<in, Out, Arch>(a.param[0], a.tparam[1], a.tin[0], in, a.tout, a.n);
    for (std::size_t s = 0; s < a.n; ++s)
      for (std::size_t o = 0; o < Out; ++o) {
        T sum = 0;
        for (std::size_t i = 0; i < in; ++i) sum += a.tparam[0][o * in + i] * a.in[0][s * in + i];
        a.tout[s * Out + o] += sum;
      }
  }
};

// "ctnn::op::dense_roles<\"{label}\", {n0}, {in0}, \"<weight role>\", \"<bias role>\">"
template <name WeightRole, name BiasRole>
struct roles_spelling {
  static constexpr std::string_view head = "ctnn::op::dense_roles<\"{label}\", {n0}, {in0}, \"";
  static constexpr std::string_view middle = "\", \"";
  static constexpr std::string_view tail = "\">";
  static constexpr auto chars = [] {
    std::array<char, head.size() + WeightRole.size() + middle.size() + BiasRole.size() + tail.size()> c{};
    std::size_t at = 0;
    for (char v : head) c[at++] = v;
    for (std::size_t k = 0; k < WeightRole.size(); ++k) c[at++] = WeightRole.chars[k];
    for (char v : middle) c[at++] = v;
    for (std::size_t k = 0; k < BiasRole.size(); ++k) c[at++] = BiasRole.chars[k];
    for (char v : tail) c[at++] = v;
    return c;
  }();
  static constexpr std::string_view value{chars.data(), chars.size()};
};

}  // namespace detail

template <name Name, std::size_t Out, class X>
struct dense : detail::dense_rule<dense<Name, Out, X>, Name, Out, X, "weight", "bias"> {};

template <name Name, std::size_t Out, class X, name WeightRole, name BiasRole>
struct dense_roles
    : detail::dense_rule<dense_roles<Name, Out, X, WeightRole, BiasRole>, Name, Out, X, WeightRole, BiasRole> {
  static constexpr std::string_view spelling = detail::roles_spelling<WeightRole, BiasRole>::value;
};

// op::dense_rows<"name", Out, x>: the dense layer applied to each row of a matrix x (R × In → R ×
// Out, one W and b for every row), as nn.Linear applies to the last dimension: a head on every
// step of a sequence. The rows of a tile are n·R rows of one product, run by the tile kernels.
template <name Name, std::size_t Out, class X>
struct dense_rows {
  using input_shape = core::shape_of<X>;
  static_assert(shape_error::dense_rows_layer<dense_rows>::template takes<X, input_shape>::template check<
                input_shape::rank == 2>::ok);
  static_assert(shape_error::dense_layer<dense_rows>::template has_zero_outputs<(Out > 0)>::ok);

  static constexpr std::size_t rows = input_shape::dims[0];
  static constexpr std::size_t in = input_shape::dims[1];
  static constexpr std::size_t out = Out;
  using inputs = core::list<X>;
  using shape = ctnn::shape<rows, Out>;
  using parameters = core::list<core::parameter<Name, "weight", ctnn::shape<Out, in>>,
                                core::parameter<Name, "bias", ctnn::shape<Out>>>;
  static constexpr auto label = Name;
  static constexpr std::string_view op_name = "dense_rows";
  struct notation {
    static constexpr std::string_view value = "{p0} {x0}[r] + {p1} for each row r";
    static constexpr std::string_view adjoint[1] = {"{p0}ᵀ {dy}[r]"};
    static constexpr std::string_view gradient[2] = {"Σ_r {dy}[r] {x0}[r]ᵀ", "Σ_r {dy}[r]"};
  };
  static constexpr std::string_view spelling = "ctnn::op::dense_rows<\"{label}\", {n0}, {in0}>";
  static constexpr std::array<std::size_t, 1> signature_numbers{Out};
  template <std::size_t K>
  static constexpr bool absorbs_input = true;
  static constexpr bool vjp_reads_output = false;
  static constexpr std::size_t forward_flops = rows * (2 * in * Out + Out);
  static constexpr std::size_t vjp_flops = rows * (2 * in * Out + Out);
  static constexpr std::size_t bias_at = in * Out;

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, 2>& a) {
    simd::affine_forward<in, Out, Arch>(a.param[0], a.param[1], a.in[0], in, a.out, a.n * rows);
  }

  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    const auto& dx = std::get<0>(a.din);
    if constexpr (!simd::never_active<std::remove_cvref_t<decltype(dx)>>())
      if (dx.active()) simd::affine_input_delta<in, Out, Arch>(a.dout, a.param[0], dx, a.n * rows);
    simd::affine_weight_gradient<in, Out, Arch>(a.dout, a.in[0], in, a.g_in, a.gradient, 0, bias_at,
                                                a.n * rows, a.accumulate[0]);
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, 2>& a) {
    const std::size_t m = a.n * rows;
    simd::affine_forward<in, Out, Arch>(a.param[0], a.tparam[1], a.tin[0], in, a.tout, m);
    for (std::size_t s = 0; s < m; ++s)
      for (std::size_t o = 0; o < Out; ++o) {
        T sum = 0;
        for (std::size_t i = 0; i < in; ++i) sum += a.tparam[0][o * in + i] * a.in[0][s * in + i];
        a.tout[s * Out + o] += sum;
      }
  }
};

}  // namespace ctnn::op
