#pragma once
// op::conv2d<"name", Out, op::kernel<KH, KW>, x, options...>: a 2-D convolution (PyTorch's
// nn.Conv2d, a cross-correlation) of an image x of shape C × H × W into Out channels:
//
//   y[o, i, j] = b[o] + Σ_{c, p, q} W[o, c, p, q] · x[c, i·sh + p·dh − ph, j·sw + q·dw − pw]
//
// with taps that fall in the padding reading 0. Options (ops/window.hpp): op::stride<..>,
// op::padding<..>, op::dilation<..>, op::no_bias. W is "name.weight" of shape Out × C × KH × KW
// and b "name.bias" (Out): PyTorch's layout, so safetensors files round-trip with nn.Conv2d. Two
// conv2d nodes with one name share W and b.
//
//   forward   y = W ⋆ x + b
//   vjp       δx = Wᵀ ⋆ δy (the transposed convolution),  ∂W = δy ⋆ x,  ∂b = Σ δy
//   jvp       ẏ = W ⋆ ẋ + Ẇ ⋆ x + ḃ
//
// Values are channels first (C × H × W, the shape's order): an output channel's plane is
// contiguous, so a block of output rows of one channel is one row of a matrix product. The
// lowering gathers the input under the kernel for a block of output rows (a patch matrix of
// C·KH·KW rows, "im2col", at most 128 kB, on the stack) and runs the register-blocked product
// kernels of simd/affine.hpp over it: W (Out × C·KH·KW) times the patches, SIMD along the output
// row. The input adjoint is the patches' adjoint Wᵀδy scattered back; ∂W is δy times the patches
// transposed, as dot products along the output positions. Nothing is allocated; the scratch is per block of rows, so any image size runs.

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "../core/list.hpp"
#include "../core/name.hpp"
#include "../core/op.hpp"
#include "../simd/affine.hpp"
#include "../simd/pack.hpp"
#include "../simd/shifted.hpp"
#include "../simd/sink.hpp"
#include "shape_checks.hpp"
#include "structure.hpp"
#include "window.hpp"

namespace ctnn::op {

namespace detail {

template <class Kernel>
inline constexpr bool is_kernel = is_option<op::kernel, Kernel>;

// Output columns j whose kernel tap q reads inside the input: [first, end) (the others read
// padding). Column j reads input column j·sw + q·dw − pw.
template <class G>
struct tap_columns {
  static constexpr auto first = [] {
    std::array<std::size_t, G::kernel_width> f{};
    for (std::size_t q = 0; q < G::kernel_width; ++q) {
      f[q] = G::out_width;
      for (std::size_t j = G::out_width; j-- > 0;)
        if (G::column_of(j, q) != G::outside) f[q] = j;
    }
    return f;
  }();
  static constexpr auto end = [] {
    std::array<std::size_t, G::kernel_width> e{};
    for (std::size_t q = 0; q < G::kernel_width; ++q)
      for (std::size_t j = 0; j < G::out_width; ++j)
        if (G::column_of(j, q) != G::outside) e[q] = j + 1;
    return e;
  }();
};

// The patch matrix of a block of Rows output rows from oh0 on: one row per kernel tap (c, p, q),
// one column per output position, patches[tap·Rows·OW + r·OW + j]. Each (tap, output row) is a
// run of input values (contiguous at stride 1) between zeros for the padding.
template <class G, std::size_t Rows, class T>
constexpr void gather_patches(const T* x, std::size_t oh0, T* patches) {
  constexpr std::size_t width = Rows * G::out_width;
  using columns = tap_columns<G>;
  for (std::size_t c = 0; c < G::channels; ++c)
    for (std::size_t p = 0; p < G::kernel_height; ++p)
      for (std::size_t r = 0; r < Rows; ++r) {
        const std::size_t ih = G::row_of(oh0 + r, p);
        for (std::size_t q = 0; q < G::kernel_width; ++q) {
          const std::size_t tap = (c * G::kernel_height + p) * G::kernel_width + q;
          T* out = patches + tap * width + r * G::out_width;
          if (ih == G::outside) {
            for (std::size_t j = 0; j < G::out_width; ++j) out[j] = T(0);
            continue;
          }
          // j ≥ first[q], so the column j·sw + q·dw − pw is not negative
          const T* row = x + c * G::plane + ih * G::width;
          for (std::size_t j = 0; j < columns::first[q]; ++j) out[j] = T(0);
          for (std::size_t j = columns::first[q]; j < columns::end[q]; ++j)
            out[j] = row[j * G::stride[1] + q * G::dilation[1] - G::padding[1]];
          for (std::size_t j = columns::end[q]; j < G::out_width; ++j) out[j] = T(0);
        }
      }
}

// The adjoint of gather_patches: each patch value's adjoint added to the input position it was
// read from.
template <class G, std::size_t Rows, class T>
constexpr void scatter_patches(const T* patches, std::size_t oh0, T* x) {
  constexpr std::size_t width = Rows * G::out_width;
  using columns = tap_columns<G>;
  for (std::size_t c = 0; c < G::channels; ++c)
    for (std::size_t p = 0; p < G::kernel_height; ++p)
      for (std::size_t r = 0; r < Rows; ++r) {
        const std::size_t ih = G::row_of(oh0 + r, p);
        if (ih == G::outside) continue;
        for (std::size_t q = 0; q < G::kernel_width; ++q) {
          const std::size_t tap = (c * G::kernel_height + p) * G::kernel_width + q;
          const T* in = patches + tap * width + r * G::out_width;
          T* row = x + c * G::plane + ih * G::width;
          for (std::size_t j = columns::first[q]; j < columns::end[q]; ++j)
            row[j * G::stride[1] + q * G::dilation[1] - G::padding[1]] += in[j];
        }
      }
}

// Where patch row k starts in a patch matrix of rows Width long: the shifted dots of
// simd/shifted.hpp with constant shifts are products of rows.
template <std::size_t N, std::size_t Width>
inline constexpr auto patch_rows = [] {
  std::array<std::size_t, N> o{};
  for (std::size_t k = 0; k < N; ++k) o[k] = k * Width;
  return o;
}();

}  // namespace detail

template <name Name, std::size_t Out, class Kernel, class X, class... Options>
struct conv2d {
  using input_shape = typename detail::window_input_shape<X>::type;
  using geometry = detail::window_geometry<input_shape, detail::default_stride::one, Kernel, Options...>;
  static_assert(shape_error::window_of<conv2d>::template kernel_argument_is<Kernel>::template check<
                detail::is_kernel<Kernel>>::ok);
  static_assert(shape_error::window_of<conv2d>::template takes<X, input_shape>::template check<
                input_shape::rank == 3>::ok);
  static_assert(shape_error::window_of<conv2d>::template padded_input_is<
                geometry::padded_height, geometry::padded_width>::template kernel_spans<
                geometry::span_height, geometry::span_width>::template check<
                !geometry::image_input || geometry::fits>::ok);
  static_assert(shape_error::window_of<conv2d>::template options_are_window_options<
                (detail::is_window_option<Options> && ...)>::ok);
  static_assert(Out > 0, "ctnn: a conv2d node needs at least one output channel");

  static constexpr bool has_bias = !(std::is_same_v<Options, no_bias> || ...);
  static constexpr std::size_t channels = geometry::channels;
  static constexpr std::size_t out_channels = Out;
  static constexpr std::size_t taps = channels * geometry::kernel_height * geometry::kernel_width;
  static constexpr std::size_t in_size = geometry::in_size;
  static constexpr std::size_t plane = geometry::out_plane;  // one output channel
  static constexpr std::size_t size = Out * plane;
  // He/Xavier initialisation (nn/init.hpp) reads these, as for a dense layer.
  static constexpr std::size_t fan_in = taps;
  static constexpr std::size_t fan_out = Out * geometry::kernel_height * geometry::kernel_width;

  // With the kernel misplaced, no inputs: the one error above says what is wrong, not the graph.
  using inputs = std::conditional_t<detail::is_kernel<Kernel> && core::node<X>, core::list<X>,
                                    core::list<>>;
  using shape = ctnn::shape<Out, geometry::out_height, geometry::out_width>;
  using weight_block = core::parameter<Name, "weight",
                                       ctnn::shape<Out, channels, geometry::kernel_height,
                                                   geometry::kernel_width>>;
  using parameters =
      std::conditional_t<has_bias,
                         core::list<weight_block, core::parameter<Name, "bias", ctnn::shape<Out>>>,
                         core::list<weight_block>>;
  static constexpr std::size_t parameter_blocks = has_bias ? 2 : 1;

  static constexpr auto label = Name;
  static constexpr std::string_view op_name = "conv2d";
  struct notation {
    static constexpr std::string_view value = has_bias ? "{p0} ⋆ {x0} + {p1}" : "{p0} ⋆ {x0}";
    static constexpr std::string_view adjoint[1] = {"{p0}ᵀ ⋆ {dy}"};
    static constexpr std::string_view gradient[2] = {"{dy} ⋆ {x0}", "Σ {dy}"};
  };
  static constexpr std::string_view spelling =
      has_bias ? "ctnn::op::conv2d<\"{label}\", {n0}, ctnn::op::kernel<{n1}, {n2}>, {in0}, "
                 "ctnn::op::stride<{n3}, {n4}>, ctnn::op::padding<{n5}, {n6}>, "
                 "ctnn::op::dilation<{n7}, {n8}>>"
               : "ctnn::op::conv2d<\"{label}\", {n0}, ctnn::op::kernel<{n1}, {n2}>, {in0}, "
                 "ctnn::op::stride<{n3}, {n4}>, ctnn::op::padding<{n5}, {n6}>, "
                 "ctnn::op::dilation<{n7}, {n8}>, ctnn::op::no_bias>";
  static constexpr std::array<std::size_t, 9> signature_numbers{
      Out,                    geometry::kernel[0],  geometry::kernel[1],
      geometry::stride[0],    geometry::stride[1],  geometry::padding[0],
      geometry::padding[1],   geometry::dilation[0], geometry::dilation[1]};
  template <std::size_t K>
  static constexpr bool absorbs_input = true;  // δx goes through its sink, once per value
  static constexpr bool vjp_reads_output = false;
  static constexpr std::size_t forward_flops = 2 * Out * taps * plane + (has_bias ? size : 0);
  static constexpr std::size_t vjp_flops = 2 * Out * taps * plane + (has_bias ? size : 0);
  static constexpr std::size_t input_vjp_flops = 2 * Out * taps * plane;

  // Output rows per block: as many as keep one patch matrix within 128 kB (L2; the product
  // kernel keeps its slice of it in L1). Wide blocks make long SIMD rows: a second conv of 400
  // taps and 8 × 8 outputs takes one block of 64 columns (4 AVX-512 packs of float), not blocks
  // of 40 and 24 columns that end in part packs.
  template <class T>
  static constexpr std::size_t block_rows =
      std::clamp<std::size_t>(131072 / sizeof(T) / (taps * geometry::out_width), 1,
                              geometry::out_height);

  // One sample's input adjoint and one patch matrix live on the stack during the vjp: at most
  // 4 MiB of double (a 256-channel 64 × 64 image), so a thread's default 8 MiB stack holds it.
  static constexpr std::size_t scratch_limit = std::size_t(1) << 19;
  static_assert(shape_error::window_of<conv2d>::template scratch_values<
                in_size + taps * block_rows<double> * geometry::out_width,
                scratch_limit>::template check<in_size + taps * block_rows<double> *
                                                             geometry::out_width <=
                                                         scratch_limit>::ok);

  // The direct lowering (stride 1): the input zero-padded once per sample, output rows as wide
  // as padded input rows (t = oh·PW + ow; the columns ow ≥ OW are computed and dropped), so each
  // kernel tap reads the padded input shifted by a constant (simd/shifted.hpp) and nothing is
  // gathered. The input adjoint runs the same kernel over δy laid out the same way, with a margin
  // of zeros in front for the taps that reach back.
  struct shifted {
    static constexpr std::size_t PH = geometry::padded_height, PW = geometry::padded_width;
    static constexpr std::size_t KH = geometry::kernel_height, KW = geometry::kernel_width;
    static constexpr std::size_t DH = geometry::dilation[0], DW = geometry::dilation[1];
    static constexpr std::size_t OH = geometry::out_height, OW = geometry::out_width;
    static constexpr std::size_t window = KH * KW;
    static constexpr std::size_t channel = PH * PW + (KW - 1) * DW;  // + what the last row reads on
    static constexpr std::size_t input = channels * channel;
    static constexpr std::size_t wide = OH * PW;  // the output plane in padded-width rows
    static constexpr std::size_t margin = (KH - 1) * DH * PW + (KW - 1) * DW;
    static constexpr std::size_t adjoint_channel = margin + PH * PW;
    static constexpr std::size_t adjoint = Out * adjoint_channel;
    static constexpr bool applies = geometry::stride[0] == 1 && geometry::stride[1] == 1 &&
                                    input + adjoint <= (std::size_t(1) << 16);
    // tap k = (c, p, q): where it reads the padded input, and its weight's column
    static constexpr auto input_offset = [] {
      std::array<std::size_t, taps> o{};
      for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t p = 0; p < KH; ++p)
          for (std::size_t q = 0; q < KW; ++q) o[(c * KH + p) * KW + q] = c * channel + p * DH * PW + q * DW;
      return o;
    }();
    static constexpr auto tap_column = [] {
      std::array<std::size_t, taps> o{};
      for (std::size_t k = 0; k < taps; ++k) o[k] = k;
      return o;
    }();
    // the input adjoint's terms k = (o, p, q): W[o, c, p, q] at c·window + weight_offset[k], and
    // where they read the laid-out δy
    static constexpr auto weight_offset = [] {
      std::array<std::size_t, Out * window> o{};
      for (std::size_t oc = 0; oc < Out; ++oc)
        for (std::size_t k = 0; k < window; ++k) o[oc * window + k] = oc * channels * window + k;
      return o;
    }();
    static constexpr auto adjoint_offset = [] {
      std::array<std::size_t, Out * window> o{};
      for (std::size_t oc = 0; oc < Out; ++oc)
        for (std::size_t p = 0; p < KH; ++p)
          for (std::size_t q = 0; q < KW; ++q)
            o[oc * window + p * KW + q] = oc * adjoint_channel + margin - p * DH * PW - q * DW;
      return o;
    }();
    // ∂W: as outer products over δyᵀ when Out fills at least one pack, else as dot products
    // (few output channels: a part pack would waste most lanes; long dots reduce rarely)
    template <class T, class Arch>
    static constexpr bool outer_gradient = Out >= simd::pack_traits<T, Arch>::lanes;
    // output rows per block of the forward product, input rows per block of the adjoint's
    static constexpr std::size_t out_rows = std::clamp<std::size_t>(16384 / (Out * PW), 1, OH);
    static constexpr std::size_t in_rows =
        std::clamp<std::size_t>(16384 / (channels * PW), 1, geometry::height);

    template <class T>
    static constexpr void pad_input(const T* x, T* padded) {
      for (std::size_t i = 0; i < input; ++i) padded[i] = T(0);
      for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t ih = 0; ih < geometry::height; ++ih)
          for (std::size_t iw = 0; iw < geometry::width; ++iw)
            padded[c * channel + (ih + geometry::padding[0]) * PW + iw + geometry::padding[1]] =
                x[(c * geometry::height + ih) * geometry::width + iw];
    }
    template <class T>
    static constexpr void lay_out_adjoint(const T* dy, T* laid) {
      for (std::size_t i = 0; i < adjoint; ++i) laid[i] = T(0);
      for (std::size_t o = 0; o < Out; ++o)
        for (std::size_t oh = 0; oh < OH; ++oh)
          for (std::size_t ow = 0; ow < OW; ++ow)
            laid[o * adjoint_channel + margin + oh * PW + ow] = dy[(o * OH + oh) * OW + ow];
    }
  };

  template <class Arch, class T>
  static constexpr void forward(const core::forward_args<T, 1, parameter_blocks>& a) {
    convolve<Arch>(a.in[0], a.param[0], has_bias ? a.param[parameter_blocks - 1] : nullptr,
                   a.out, a.n, false);
  }

  template <class Arch, class A>
  static constexpr void vjp(const A& a) {
    if constexpr (shifted::applies) shifted_vjp<Arch>(a);
    else patches_vjp<Arch>(a);
  }

  template <class Arch, class A>
  static constexpr void shifted_vjp(const A& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    using S = shifted;
    const T* w = a.param[0];
    const auto& dx = std::get<0>(a.din);
    std::array<T, Out * taps> dw;
    for (std::size_t i = 0; i < Out * taps; ++i)
      dw[i] = a.accumulate[0] ? a.g_in[a.param_offset[0] + i] : T(0);
    // ∂Wᵀ summed over the tile by outer products, when Out fills a pack (no reduction per sample)
    std::array<T, S::template outer_gradient<T, Arch> ? taps * Out : 1> dwt{};
    // δy laid out for the input adjoint (or for ∂W's dot products): only where one of them runs.
    constexpr bool dots = !S::template outer_gradient<T, Arch>;
    constexpr bool maybe_dx = !simd::never_active<std::remove_cvref_t<decltype(dx)>>();
    std::array<T, maybe_dx || dots ? S::adjoint : 1> dyp;
    for (std::size_t s = 0; s < a.n; ++s) {
      std::array<T, S::input> xp;
      S::pad_input(a.in[0] + s * in_size, xp.data());
      if (dots || dx.active()) S::lay_out_adjoint(a.dout + s * size, dyp.data());
      // δx before ∂W reaches the sink: an optimizer's update sink may then change W.
      if constexpr (maybe_dx)
        if (dx.active()) {
          constexpr std::size_t R = S::in_rows, full_end = geometry::height / R * R;
          const auto rows = [&]<std::size_t Rows>(std::size_t ih0) {
            std::array<T, channels * Rows * S::PW> block;
            simd::shifted_products<channels, Rows * S::PW, Out * S::window, Arch>(
                w, S::window, S::weight_offset, dyp.data() + (ih0 + geometry::padding[0]) * S::PW,
                S::adjoint_offset, block.data(), Rows * S::PW, false);
            for (std::size_t c = 0; c < channels; ++c)
              for (std::size_t r = 0; r < Rows; ++r)
                detail::put_row<Arch, T>(block.data() + (c * Rows + r) * S::PW + geometry::padding[1],
                                         geometry::width, dx,
                                         s * in_size + (c * geometry::height + ih0 + r) * geometry::width);
          };
          for (std::size_t ih = 0; ih < full_end; ih += R) rows.template operator()<R>(ih);
          if constexpr (full_end < geometry::height)
            rows.template operator()<geometry::height - full_end>(full_end);
        }
      if constexpr (!dots) {
        // δyᵀ: a row of Out values per output position, the dropped columns of the padded-width
        // rows left out (shifted_outer skips them)
        std::array<T, plane * Out> dyt;
        const T* dy = a.dout + s * size;
        for (std::size_t o = 0; o < Out; ++o)
          for (std::size_t t = 0; t < plane; ++t) dyt[t * Out + o] = dy[o * plane + t];
        simd::shifted_outer<taps, Out, S::OH, S::OW, S::PW, Arch>(xp.data(), S::input_offset, dyt.data(),
                                                                  dwt.data());
      } else {
        simd::shifted_dots<Out, taps, S::wide, Arch>(dyp.data() + S::margin, S::adjoint_channel,
                                                      xp.data(), S::input_offset, dw.data(), taps);
      }
    }
    if constexpr (S::template outer_gradient<T, Arch>)
      for (std::size_t o = 0; o < Out; ++o)
        for (std::size_t k = 0; k < taps; ++k) dw[o * taps + k] += dwt[k * Out + o];
    put_gradients<Arch>(a, dw.data());
  }

  // ∂W (summed over the tile) and ∂b to the gradient sink.
  template <class Arch, class A, class T>
  static constexpr void put_gradients(const A& a, const T* dw) {
    detail::put_row<Arch, T>(dw, Out * taps, a.gradient, a.param_offset[0]);
    if constexpr (has_bias) {
      std::array<T, Out> db;
      for (std::size_t o = 0; o < Out; ++o) {
        T sum = a.accumulate[1] ? a.g_in[a.param_offset[1] + o] : T(0);
        for (std::size_t s = 0; s < a.n; ++s)
          for (std::size_t i = 0; i < plane; ++i) sum += a.dout[s * size + o * plane + i];
        db[o] = sum;
      }
      detail::put_row<Arch, T>(db.data(), Out, a.gradient, a.param_offset[1]);
    }
  }

  template <class Arch, class A>
  static constexpr void patches_vjp(const A& a) {
    using T = std::remove_cvref_t<decltype(*a.dout)>;
    constexpr std::size_t R = block_rows<T>, full_end = geometry::out_height / R * R;
    const T* w = a.param[0];
    const auto& dx = std::get<0>(a.din);
    // δx first: it reads W, which an optimizer's update sink may change once ∂W is handed over.
    if constexpr (!simd::never_active<std::remove_cvref_t<decltype(dx)>>())
      if (dx.active())
        for (std::size_t s = 0; s < a.n; ++s) {
          std::array<T, in_size> sums{};
          const T* dy = a.dout + s * size;
          for (std::size_t oh = 0; oh < full_end; oh += R)
            input_adjoint_rows<R, Arch>(w, dy, oh, sums.data());
          if constexpr (full_end < geometry::out_height)
            input_adjoint_rows<geometry::out_height - full_end, Arch>(w, dy, full_end, sums.data());
          detail::put_row<Arch, T>(sums.data(), in_size, dx, s * in_size);
        }

    std::array<T, Out * taps> dw;
    for (std::size_t i = 0; i < Out * taps; ++i)
      dw[i] = a.accumulate[0] ? a.g_in[a.param_offset[0] + i] : T(0);
    for (std::size_t s = 0; s < a.n; ++s) {
      const T* x = a.in[0] + s * in_size;
      const T* dy = a.dout + s * size;
      for (std::size_t oh = 0; oh < full_end; oh += R) weight_gradient_rows<R, Arch>(x, dy, oh, dw.data());
      if constexpr (full_end < geometry::out_height)
        weight_gradient_rows<geometry::out_height - full_end, Arch>(x, dy, full_end, dw.data());
    }
    put_gradients<Arch>(a, dw.data());
  }

  template <class Arch, class T>
  static constexpr void jvp(const core::jvp_args<T, 1, parameter_blocks>& a) {
    convolve<Arch>(a.tin[0], a.param[0], has_bias ? a.tparam[parameter_blocks - 1] : nullptr,
                   a.tout, a.n, false);
    convolve<Arch>(a.in[0], a.tparam[0], static_cast<const T*>(nullptr), a.tout, a.n, true);
  }

  // y (+)= W ⋆ x (+ b): block by block of output rows, a patch matrix and one product each.
  template <class Arch, class T>
  static constexpr void convolve(const T* x, const T* w, const T* b, T* y, std::size_t n,
                                 bool accumulate) {
    constexpr std::size_t R = block_rows<T>, full_end = geometry::out_height / R * R;
    for (std::size_t s = 0; s < n; ++s) {
      const T* xs = x + s * in_size;
      T* ys = y + s * size;
      for (std::size_t o = 0; o < Out; ++o) {
        const T start = b ? b[o] : T(0);
        for (std::size_t i = 0; i < plane; ++i) ys[o * plane + i] = accumulate ? ys[o * plane + i] + start : start;
      }
      if constexpr (shifted::applies) {
        shifted_forward<Arch>(xs, w, ys);
      } else {
        for (std::size_t oh = 0; oh < full_end; oh += R) forward_rows<R, Arch>(xs, w, ys, oh);
        if constexpr (full_end < geometry::out_height)
          forward_rows<geometry::out_height - full_end, Arch>(xs, w, ys, full_end);
      }
    }
  }

  // y += W ⋆ x for one sample, the direct way: blocks of output rows as wide as padded rows.
  template <class Arch, class T>
  static constexpr void shifted_forward(const T* x, const T* w, T* y) {
    using S = shifted;
    std::array<T, S::input> xp;
    S::pad_input(x, xp.data());
    constexpr std::size_t R = S::out_rows, full_end = S::OH / R * R;
    const auto rows = [&]<std::size_t Rows>(std::size_t oh0) {
      std::array<T, Out * Rows * S::PW> block;
      simd::shifted_products<Out, Rows * S::PW, taps, Arch>(w, taps, S::tap_column,
                                                             xp.data() + oh0 * S::PW, S::input_offset,
                                                             block.data(), Rows * S::PW, false);
      for (std::size_t o = 0; o < Out; ++o)
        for (std::size_t r = 0; r < Rows; ++r)
          for (std::size_t ow = 0; ow < S::OW; ++ow)
            y[o * plane + (oh0 + r) * S::OW + ow] += block[(o * Rows + r) * S::PW + ow];
    };
    for (std::size_t oh = 0; oh < full_end; oh += R) rows.template operator()<R>(oh);
    if constexpr (full_end < S::OH) rows.template operator()<S::OH - full_end>(full_end);
  }

 private:
  // Output rows oh0 .. oh0 + Rows − 1 of every channel: y += W · patches.
  template <std::size_t Rows, class Arch, class T>
  static constexpr void forward_rows(const T* x, const T* w, T* y, std::size_t oh0) {
    constexpr std::size_t width = Rows * geometry::out_width;
    std::array<T, taps * width> patches;
    detail::gather_patches<geometry, Rows>(x, oh0, patches.data());
    simd::detail::broadcast_columns<Out, width, Arch>(w, taps, 1, patches.data(), width, taps, y,
                                                      simd::store_sink<T>{y},
                                                      oh0 * geometry::out_width, plane, true);
  }

  // The patches' adjoint Wᵀ δy for rows oh0 .., added to the input positions they came from.
  template <std::size_t Rows, class Arch, class T>
  static constexpr void input_adjoint_rows(const T* w, const T* dy, std::size_t oh0, T* dx) {
    constexpr std::size_t width = Rows * geometry::out_width;
    std::array<T, taps * width> patches;
    const T* no_sums = nullptr;
    simd::detail::broadcast_columns<taps, width, Arch>(w, 1, taps, dy + oh0 * geometry::out_width,
                                                       plane, Out, no_sums,
                                                       simd::store_sink<T>{patches.data()}, 0,
                                                       width, false);
    detail::scatter_patches<geometry, Rows>(patches.data(), oh0, dx);
  }

  // ∂W += δy (rows oh0 ..) · patchesᵀ: dot products along the output positions.
  template <std::size_t Rows, class Arch, class T>
  static constexpr void weight_gradient_rows(const T* x, const T* dy, std::size_t oh0, T* dw) {
    constexpr std::size_t width = Rows * geometry::out_width;
    std::array<T, taps * width> patches;
    detail::gather_patches<geometry, Rows>(x, oh0, patches.data());
    simd::shifted_dots<Out, taps, width, Arch>(dy + oh0 * geometry::out_width, plane,
                                                patches.data(), detail::patch_rows<taps, width>,
                                                dw, taps);
  }
};

}  // namespace ctnn::op
