#pragma once
// Hessian-vector products of the mean objective, exact, by forward mode over reverse mode:
//
//   auto hws = std::make_unique<ctnn::hessian_workspace<net, double>>();
//   double loss = ctnn::hessian_vector(p, ctnn::squared_error{}, x, t, u, hu, *hws);   // hu = H·u
//   ctnn::hessian_vector(p, x, t, u, hu, *hws, &g);   // a graph with an objective; g = ∇ too
//
// The reverse pass (autodiff/reverse.hpp, lowered by exec/program.hpp) is run once more on dual
// numbers (simd/dual.hpp): each parameter θ_k becomes θ_k + u_k·ε, inputs and targets are constants,
// and every rule the pass applies (the ops' forward and vector-Jacobian rules, the activations'
// derivatives, the loss's gradient) carries its derivative along u in the tangent part. The
// gradient's tangents are then d/dε ∇C(θ + ε·u) = H·u, with no step size and no new rule: the
// second derivatives come from differentiating the rules the ops already declare. ReLU-like
// kinks count as flat (their derivative's derivative is 0 where it exists). A stop_gradient stops
// adjoints but not tangents (it is a view: its values, tangents included, are its input's).
//
// gauss_newton_vector runs the same pass with the tangents (J·u) kept only where the losses read
// them, so that it returns Jᵀ H_L J u (positive semi-definite for ctnn's losses).
//
// It runs the scalar architecture (a dual is two values; the SIMD kernels load plain packs), so one
// product costs a few scalar gradients: benchmarks/second_order.cpp measures the ratio.
//
// Same batch conventions as loss_and_gradient_batch: the objective is the mean over the batch.
// Nothing here allocates; the workspace holds dual copies of the parameters and of one tile of data.

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <type_traits>

#include "../exec/program.hpp"
#include "../simd/dual.hpp"
#include "../simd/pack.hpp"
#include "network.hpp"
#include "passes.hpp"

namespace ctnn {

namespace detail {
template <class Net>
constexpr std::size_t total_input_width() {
  std::size_t w = 0;
  for (const std::size_t s : Net::input_sizes) w += s;
  return w;
}
template <class Net>
constexpr std::size_t total_target_width() {
  std::size_t w = 0;
  for (const std::size_t s : target_sizes_of<Net>()) w += s;
  return w;
}
}  // namespace detail

// Dual copies of the parameters, the gradient, one tile of inputs and targets, and the buffers of
// the passes over one tile. Large (two values per parameter, twice): put it on the heap.
template <class Net, class T, std::size_t Tile = 32>
struct hessian_workspace {
  static_assert(detail::scalar_type_check<T>::ok);
  using number = dual<T>;
  static constexpr std::size_t tile = Tile;
  using plan = autodiff::plan<typename autodiff::planning_graph<Net>::type, Tile, 64 / sizeof(number)>;
  std::array<number, plan::size> buffers;
  std::array<number, Net::parameter_count> params;
  std::array<number, Net::parameter_count> gradient;
  std::array<number, Tile * detail::total_input_width<Net>()> inputs;
  std::array<number, Tile * detail::total_target_width<Net>()> targets;
  // The Gauss–Newton product's tangents of what each loss reads (prediction and logits), kept
  // while the rest of the backward pass runs without tangents.
  std::array<T, 2 * Tile * detail::total_target_width<Net>()> loss_tangents;
};

namespace detail {

// The Gauss–Newton product's hook around each loss node's vjp (exec::program::backward): the
// tangents of what the loss reads (J·u, saved after the forward pass) are put back for that step
// and taken away after it, so that the loss's vjp yields H_L·J·u and every other step, seeing
// values and parameters without tangents, applies Jᵀ to it.
template <class Program, class G, class T, std::size_t Tile>
struct loss_tangents_hook {
  dual<T>* ws;          // the workspace's buffers (the tile's b.ws, writable)
  std::size_t ws_size;  // their count
  T* saved;             // loss slot L's prediction at 2·Tile·offset[L], its logits Tile·width after
  std::size_t n;        // samples in the tile

  static constexpr std::array<std::size_t, G::target_count + 1> offset = [] {
    std::array<std::size_t, G::target_count + 1> o{};
    for (std::size_t l = 0; l < G::target_count; ++l) o[l + 1] = o[l] + 2 * Tile * G::target_sizes[l];
    return o;
  }();

  // f(values, their saved tangents, count) for the prediction and the logits of loss K; a loss
  // that reads a graph input directly (no tangent, not in the workspace) is skipped.
  template <std::size_t K, class B>
  constexpr void for_each_input(const B& b, auto&& f) const {
    constexpr std::size_t L = G::loss_slot[K];
    constexpr std::size_t w = G::target_sizes[L];
    const auto at = [&](const dual<T>* v, T* keep) {
      if (v >= b.ws && v < b.ws + ws_size) f(ws + (v - b.ws), keep, n * w);
    };
    at(Program::template prediction<K, dual<T>>(b), saved + offset[L]);
    at(Program::template logits<K, dual<T>>(b), saved + offset[L] + Tile * w);
  }
  template <std::size_t K, class B>
  constexpr void save(const B& b) const {
    for_each_input<K>(b, [](dual<T>* v, T* keep, std::size_t m) {
      for (std::size_t i = 0; i < m; ++i) keep[i] = v[i].t;
    });
  }
  template <std::size_t K, class B>
  constexpr void before(const B& b) const {
    for_each_input<K>(b, [](dual<T>* v, T* keep, std::size_t m) {
      for (std::size_t i = 0; i < m; ++i) v[i].t = keep[i];
    });
  }
  template <std::size_t K, class B>
  constexpr void after(const B& b) const {
    const dual<T>* delta = Program::template loss_adjoint<K, dual<T>>(b);
    for_each_input<K>(b, [&](dual<T>* v, T*, std::size_t m) {
      if (delta != nullptr && v < delta + m && delta < v + m) return;  // δ's memory now
      for (std::size_t i = 0; i < m; ++i) v[i].t = T(0);
    });
  }
};

// The second-order products of this header.
enum class curvature : unsigned char { hessian, gauss_newton };

// The mean objective of the batch in d, and into hu its curvature (Hessian or Gauss–Newton
// matrix) times u (and into g its gradient, when g is not null), tile by tile over the dual
// pass of G.
template <curvature C, class G, class Net, class T, std::size_t Tile>
constexpr T curvature_vector_rows(const T* p, const T* u, const pass_data<G, T, false>& d, std::size_t n,
                                  T* hu, T* g, hessian_workspace<Net, T, Tile>& hws) {
  using D = dual<T>;
  using Arch = simd::scalar_arch;
  using plan = autodiff::plan<typename autodiff::planning_graph<G>::type, Tile, 64 / sizeof(D)>;
  static_assert(plan::size <= hessian_workspace<Net, T, Tile>::plan::size);
  using program = exec::program<G, plan>;
  // State blocks (batch_norm's running statistics) are constants here: no tangent.
  for (std::size_t k = 0; k < Net::parameter_count; ++k)
    hws.params[k] = D(p[k], Net::has_state && Net::is_state(k) ? T(0) : u[k]);
  zero_unreached_blocks<G>(hws.gradient.data());
  double total = 0;
  for (std::size_t s0 = 0; s0 < n; s0 += Tile) {
    const std::size_t m = std::min(Tile, n - s0);
    exec::tile<D, G::input_count, G::target_count, false> b;
    b.n = m;
    b.params = hws.params.data();
    b.ws = hws.buffers.data();
    D* at = hws.inputs.data();
    for (std::size_t k = 0; k < G::input_count; ++k) {
      const std::size_t w = G::input_sizes[k];
      for (std::size_t i = 0; i < m * w; ++i) at[i] = D(d.x[k][s0 * w + i]);
      b.x[k] = at;
      at += m * w;
    }
    at = hws.targets.data();
    for (std::size_t k = 0; k < G::target_count; ++k) {
      const std::size_t w = G::target_sizes[k];
      for (std::size_t i = 0; i < m * w; ++i) at[i] = D(d.t[k][s0 * w + i]);
      b.t[k] = at;
      at += m * w;
    }
    program::template forward<Arch, D>(b);
    total += program::template objective<Arch, D>(b);
    const D scale(T(1) / static_cast<T>(n));
    const exec::gradient_store<D> target{hws.gradient.data()};
    if constexpr (C == curvature::hessian) {
      program::template backward<Arch, D>(b, scale, target, s0 != 0);
    } else {
      // J·u at every loss's inputs is in the tangents now: keep it, then run the backward pass
      // on values and parameters without tangents, the losses' inputs getting theirs back for
      // their own step (loss_tangents_hook).
      const loss_tangents_hook<program, G, T, Tile> hook{hws.buffers.data(), hws.buffers.size(),
                                                         hws.loss_tangents.data(), m};
      [&]<std::size_t... L>(std::index_sequence<L...>) {
        (hook.template save<G::loss_index[L]>(b), ...);
      }(std::make_index_sequence<G::target_count>{});
      for (auto& v : hws.buffers) v.t = T(0);
      for (std::size_t k = 0; k < Net::parameter_count; ++k) hws.params[k].t = T(0);
      program::template backward<Arch, D>(b, scale, target, s0 != 0, hook);
      for (std::size_t k = 0; k < Net::parameter_count; ++k)
        hws.params[k].t = Net::has_state && Net::is_state(k) ? T(0) : u[k];
    }
  }
  for (std::size_t k = 0; k < Net::parameter_count; ++k) {
    hu[k] = Net::has_state && Net::is_state(k) ? T(0) : hws.gradient[k].t;
    if (g != nullptr) g[k] = hws.gradient[k].v;
  }
  return static_cast<T>(total / static_cast<double>(n));
}

template <curvature C, class Net, class G, class T, std::size_t Tile, class X, class Tg>
constexpr T curvature_vector_batch(const char* where, const parameters<Net, T>& p, const X& x,
                                 const Tg& targets, const parameters<Net, T>& u, gradient<Net, T>& hu,
                                 hessian_workspace<Net, T, Tile>& hws, gradient<Net, T>* g) {
  require_differentiable<Net, G>();
  if constexpr (!differentiable<G>()) {
    return T{};
  } else {
    const std::size_t n = checked_batch<G>(where, x, targets, nullptr, nullptr);
    const auto d = bind<G, T>(x, targets, nullptr, nullptr);
    return curvature_vector_rows<C, G>(p.data(), u.data(), d, n, hu.data(),
                                       g == nullptr ? nullptr : g->data(), hws);
  }
}

}  // namespace detail

// hu = H·u, H the Hessian of the mean loss over the batch with respect to the parameters (a graph
// without an objective, the loss given here); g, when not null, receives the gradient. Returns
// the mean loss.
template <class Net, class T, std::size_t Tile, loss_function Loss>
  requires(!Net::has_objective)
constexpr T hessian_vector(const parameters<Net, T>& p, const Loss&, batch_inputs<Net, T> x,
                           batch_targets<Net, T> targets, const parameters<Net, T>& u,
                           gradient<Net, T>& hu, hessian_workspace<Net, T, Tile>& hws,
                           gradient<Net, T>* g = nullptr) {
  if constexpr (detail::loss_fits<Net, Loss>())
    return detail::curvature_vector_batch<detail::curvature::hessian, Net, detail::objective_graph<Net, Loss>>(
        "hessian_vector", p, x, targets, u, hu, hws, g);
  else
    return T{};
}

// The same for a graph with an objective (targets one per loss node).
template <class Net, class T, std::size_t Tile>
  requires(Net::has_objective)
constexpr T hessian_vector(const parameters<Net, T>& p, batch_inputs<Net, T> x,
                           batch_targets<Net, T> targets, const parameters<Net, T>& u,
                           gradient<Net, T>& hu, hessian_workspace<Net, T, Tile>& hws,
                           gradient<Net, T>* g = nullptr) {
  return detail::curvature_vector_batch<detail::curvature::hessian, Net, Net>("hessian_vector", p, x, targets, u,
                                                                              hu, hws, g);
}

// gu = G·u, G = Jᵀ H_L J the Gauss–Newton matrix of the mean loss over the batch: J the Jacobian
// of what each loss reads (its prediction, or the logits behind it when the loss takes its
// activation's derivative itself, as softmax_cross_entropy after softmax does) with respect to the
// parameters, H_L the loss's Hessian there. For the losses ctnn has, H_L is positive semi-definite,
// so G is: the curvature of a linearised net, without the terms of the net's own second
// derivatives. g, when not null, receives the gradient; returns the mean loss.
template <class Net, class T, std::size_t Tile, loss_function Loss>
  requires(!Net::has_objective)
constexpr T gauss_newton_vector(const parameters<Net, T>& p, const Loss&, batch_inputs<Net, T> x,
                                batch_targets<Net, T> targets, const parameters<Net, T>& u,
                                gradient<Net, T>& gu, hessian_workspace<Net, T, Tile>& hws,
                                gradient<Net, T>* g = nullptr) {
  if constexpr (detail::loss_fits<Net, Loss>())
    return detail::curvature_vector_batch<detail::curvature::gauss_newton, Net,
                                          detail::objective_graph<Net, Loss>>("gauss_newton_vector", p, x,
                                                                              targets, u, gu, hws, g);
  else
    return T{};
}

// The same for a graph with an objective (each loss node's own H_L, weighted as in the objective).
template <class Net, class T, std::size_t Tile>
  requires(Net::has_objective)
constexpr T gauss_newton_vector(const parameters<Net, T>& p, batch_inputs<Net, T> x,
                                batch_targets<Net, T> targets, const parameters<Net, T>& u,
                                gradient<Net, T>& gu, hessian_workspace<Net, T, Tile>& hws,
                                gradient<Net, T>* g = nullptr) {
  return detail::curvature_vector_batch<detail::curvature::gauss_newton, Net, Net>("gauss_newton_vector", p, x,
                                                                                   targets, u, gu, hws, g);
}

}  // namespace ctnn
