#pragma once
// Hessian-free (truncated Newton) steps: the Gauss–Newton system (G + λI) d = −∇C solved by
// conjugate gradients, one curvature-vector product per iteration, so the curvature matrix is
// never formed (for nets too large for levenberg_marquardt's parameters² matrix), then a
// backtracking line search along d and Marquardt-style adaptation of λ from how well the
// quadratic model predicted the decrease:
//
//   ctnn::hessian_free<net, double> hf;
//   for (int i = 0; i < 20; ++i) hf.step(p, ctnn::softmax_cross_entropy{}, x, t);
//
// Any loss and any graph without an objective of its own; the batch is the whole data passed
// (full batch) or a large mini-batch. G·v comes from gauss_newton_vector (positive semi-definite,
// so CG is well defined); hessian_free_options::curvature = hessian_vector uses H·v instead,
// and CG then stops at the first direction of negative curvature. Each product runs the dual
// pass on the scalar architecture (nn/hessian.hpp): a step of k CG iterations costs about
// k·40 gradients today. The constructor allocates; step allocates nothing.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <string>

#include "../detail/contract.hpp"
#include "../nn/hessian.hpp"
#include "../nn/losses.hpp"
#include "../nn/network.hpp"
#include "../nn/passes.hpp"
#include "levenberg_marquardt.hpp"

namespace ctnn {

enum class curvature_product : unsigned char { gauss_newton, hessian };

struct hessian_free_options {
  std::size_t cg_iterations = 25;   // at most, per step
  double cg_tolerance = 1e-6;       // stop when ‖residual‖ ≤ tolerance·‖∇C‖
  double initial_damping = 1;       // λ
  double min_damping = 1e-8;
  double max_damping = 1e8;
  std::size_t line_search_steps = 8;  // halvings of d before the step is refused
  curvature_product curvature = curvature_product::gauss_newton;
};

template <class Net, class T, std::size_t Tile = 32>
class hessian_free {
  static_assert(!Net::has_state,
                "ctnn: the Hessian-free optimizer treats every block as a parameter; a batch_norm's running "
                "statistics are state, updated by the first-order optimizers' steps");
  static_assert(!Net::has_objective, "ctnn: hessian_free takes the loss at the call (a graph without an objective)");

 public:
  static constexpr std::size_t P = Net::parameter_count;

  explicit hessian_free(hessian_free_options o = {}) : o_(o), lambda_(o.initial_damping) {
    if (!(o.cg_iterations > 0 && o.cg_tolerance >= 0 && o.initial_damping > 0 && o.min_damping > 0 &&
          o.max_damping >= o.min_damping))
      detail::contract_failed("hessian_free", "cg_iterations > 0, cg_tolerance >= 0 and 0 < min_damping <= "
                                              "initial_damping, max_damping are required");
    hws_ = std::make_unique<hessian_workspace<Net, T, Tile>>();
    ws_ = std::make_unique<workspace<Net, T, Tile>>();
    g_ = std::make_unique<gradient<Net, T>>();
    d_ = std::make_unique<parameters<Net, T>>();
    r_ = std::make_unique<parameters<Net, T>>();
    s_ = std::make_unique<parameters<Net, T>>();
    q_ = std::make_unique<gradient<Net, T>>();
    trial_ = std::make_unique<parameters<Net, T>>();
  }

  double damping() const { return lambda_; }

  // One step on the batch; lm_iteration's fields: loss before and after, λ after, tries = CG
  // iterations, taken, converged (∇C = 0 to working precision).
  template <loss_function Loss>
  lm_iteration step(parameters<Net, T>& p, const Loss& loss, batch_inputs<Net, T> x, batch_targets<Net, T> t) {
    lm_iteration it;
    it.loss_before = double(loss_and_gradient_batch(p, loss, x, t, *g_, *ws_));
    it.loss = it.loss_before;
    const double gnorm = std::sqrt(dot(*g_, *g_));
    if (!(gnorm > 0)) {
      it.converged = true;
      it.damping = lambda_;
      return it;
    }
    // CG on (G + λI) d = −g from d = 0: r = −g, s = r.
    for (std::size_t k = 0; k < P; ++k) (*d_)[k] = T(0);
    for (std::size_t k = 0; k < P; ++k) (*r_)[k] = -(*g_)[k], (*s_)[k] = (*r_)[k];
    double rr = gnorm * gnorm;
    for (std::size_t i = 0; i < o_.cg_iterations; ++i) {
      ++it.tries;
      product(p, loss, x, t, *s_, *q_);
      for (std::size_t k = 0; k < P; ++k) (*q_)[k] += T(lambda_) * (*s_)[k];
      const double sq = dot(*s_, *q_);
      if (!(sq > 0)) break;  // negative curvature (H·v only): keep d so far
      const double alpha = rr / sq;
      for (std::size_t k = 0; k < P; ++k) (*d_)[k] += T(alpha) * (*s_)[k], (*r_)[k] -= T(alpha) * (*q_)[k];
      const double rr_next = dot(*r_, *r_);
      if (std::sqrt(rr_next) <= o_.cg_tolerance * gnorm) break;
      const double beta = rr_next / rr;
      rr = rr_next;
      for (std::size_t k = 0; k < P; ++k) (*s_)[k] = (*r_)[k] + T(beta) * (*s_)[k];
    }
    // The model's predicted decrease: m(d) = gᵀd + ½ dᵀ(G + λI)d = ½ gᵀd (CG from 0 keeps
    // dᵀ(G + λI)d = −gᵀd on its Krylov space).
    const double predicted = 0.5 * dot(*g_, *d_);
    double scale = 1;
    for (std::size_t ls = 0; ls <= o_.line_search_steps; ++ls, scale *= 0.5) {
      for (std::size_t k = 0; k < P; ++k) (*trial_)[k] = p[k] + T(scale) * (*d_)[k];
      const double c = double(loss_batch(*trial_, loss, x, t, *ws_));
      if (c < it.loss_before) {
        // ρ = actual / predicted decrease of the full step decides λ.
        if (ls == 0 && predicted < 0) {
          const double rho = (c - it.loss_before) / predicted;
          if (rho > 0.75) lambda_ = std::max(o_.min_damping, lambda_ * 2.0 / 3.0);
          else if (rho < 0.25) lambda_ = std::min(o_.max_damping, lambda_ * 1.5);
        } else {
          lambda_ = std::min(o_.max_damping, lambda_ * 1.5);
        }
        p = *trial_;
        it.loss = c;
        it.taken = true;
        break;
      }
    }
    if (!it.taken) lambda_ = std::min(o_.max_damping, lambda_ * 4);
    it.damping = lambda_;
    return it;
  }

 private:
  template <class Loss>
  void product(const parameters<Net, T>& p, const Loss& loss, batch_inputs<Net, T> x, batch_targets<Net, T> t,
               const parameters<Net, T>& v, gradient<Net, T>& out) {
    if (o_.curvature == curvature_product::hessian) hessian_vector(p, loss, x, t, v, out, *hws_);
    else gauss_newton_vector(p, loss, x, t, v, out, *hws_);
  }
  static double dot(const parameters<Net, T>& a, const parameters<Net, T>& b) {
    double s = 0;
    for (std::size_t k = 0; k < P; ++k) s += double(a[k]) * double(b[k]);
    return s;
  }

  hessian_free_options o_;
  double lambda_;
  std::unique_ptr<hessian_workspace<Net, T, Tile>> hws_;
  std::unique_ptr<workspace<Net, T, Tile>> ws_;
  std::unique_ptr<gradient<Net, T>> g_;
  std::unique_ptr<parameters<Net, T>> d_, r_, s_, q_, trial_;
};

}  // namespace ctnn
