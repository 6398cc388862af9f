#pragma once
// Levenberg–Marquardt for least squares: the mean squared error C(θ) = (1/n) Σ_s ½‖y_s(θ) − t_s‖²
// of a net with one output (ctnn::squared_error), over the whole training set at every step:
//
//   ctnn::levenberg_marquardt<net, double> lm(n);        // n: the training set's size
//   for (int i = 0; i < 50; ++i) {
//     const ctnn::lm_iteration it = lm.step(p, x, t);   // p moves only when C goes down
//     if (it.converged) break;
//   }
//
// Each step linearises the net around θ (r = y − t, J = ∂r/∂θ, n·outputs × parameters, from
// ctnn::jacobian_batch) and solves (JᵀJ + μ·D) δ = −Jᵀr by Cholesky (detail/cholesky.hpp), D
// the identity (Levenberg's damping, the default) or the diagonal of JᵀJ (Marquardt's scaling). Marquardt's rule on μ:
// a step that lowers C is taken and μ shrinks (÷ decrease); one that does not is refused, μ grows
// (× increase) and the step is solved again, up to max_tries times. Small μ is a Gauss–Newton
// step, large μ a short gradient step. The matrix has parameters² entries: for nets of up to a
// few thousand parameters (the ones this converges fastest on); for larger ones
// gauss_newton_vector gives the same curvature one product at a time.
//
// The constructor allocates every buffer (J, JᵀJ, the factor, the trial parameters); step
// allocates nothing. step throws contract_error when the data's size is not the constructor's n.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "../detail/cholesky.hpp"
#include "../detail/contract.hpp"
#include "../nn/jacobian.hpp"
#include "../nn/losses.hpp"
#include "../nn/network.hpp"
#include "../nn/passes.hpp"
#include "../simd/elementwise.hpp"
#include "../simd/math.hpp"
#include "../simd/pack.hpp"

namespace ctnn {

// The damping term. On the diabetes example (10-16-1 tanh) Levenberg's reached Adam's final
// training loss in 22 steps; Marquardt's scaling stalled near a loss 1.7 times higher after 100
// (parameters that saturated units barely move get almost no damping, and the steps along them
// are refused): levenberg is the default.
enum class lm_damping : unsigned char {
  levenberg,  // μ·I
  marquardt,  // μ·diag(JᵀJ): invariant to the parameters' scales
};

struct levenberg_marquardt_options {
  double initial_damping = 1e-3;  // μ at the first step
  double increase = 10;           // μ ×= increase when a step is refused
  double decrease = 10;           // μ ÷= decrease when a step is taken
  double min_damping = 1e-12;     // μ stays within [min, max]
  double max_damping = 1e12;
  std::size_t max_tries = 16;     // solves per step before it gives up (θ unchanged)
  lm_damping damping = lm_damping::levenberg;
  double diagonal_floor = 1e-9;   // marquardt: D_kk ≥ floor·max D (a parameter J does not reach)
};

// What one step did.
struct lm_iteration {
  double loss_before = 0;  // C(θ) at the step's start
  double loss = 0;         // C after it (= loss_before when no trial lowered it)
  double damping = 0;      // μ after the step (for the next one)
  std::size_t tries = 0;   // linear solves (refused trials + 1 when taken)
  bool taken = false;      // θ moved
  bool converged = false;  // no trial up to max_damping lowered C: θ is a (local) minimum
};

template <class Net, class T>
class levenberg_marquardt {
  static_assert(!Net::has_state,
                "ctnn: Levenberg–Marquardt treats every block as a parameter; a batch_norm's running "
                "statistics are state, updated by the first-order optimizers' steps");
  static_assert(!Net::has_objective && Net::output_count == 1,
                "ctnn: levenberg_marquardt takes a net with one output and no objective of its own "
                "(the loss is squared_error)");

 public:
  static constexpr std::size_t parameter_count = Net::parameter_count;
  static constexpr std::size_t output_size = Net::output_size;

  explicit levenberg_marquardt(std::size_t samples, levenberg_marquardt_options o = {})
      : o_(o), n_(samples), mu_(o.initial_damping) {
    constexpr const char* where = "levenberg_marquardt";
    if (samples == 0) detail::contract_failed(where, "the training set must hold at least one sample");
    if (!(o.initial_damping > 0 && o.increase > 1 && o.decrease > 1 && o.min_damping > 0 &&
          o.max_damping >= o.min_damping && o.max_tries > 0 && o.diagonal_floor > 0))
      detail::contract_failed(where, "damping > 0, increase > 1, decrease > 1, 0 < min_damping <= "
                                     "max_damping, max_tries > 0 and diagonal_floor > 0 are required");
    rows_.resize(n_ * output_size * parameter_count);
    jt_.resize(n_ * output_size * parameter_count);
    residual_.resize(n_ * output_size);
    y_.resize(n_ * output_size);
    normal_.resize(parameter_count * parameter_count);
    factor_.resize(parameter_count * parameter_count);
    rhs_.resize(parameter_count);
    delta_.resize(parameter_count);
    scale_.resize(parameter_count);
    trial_ = std::make_unique<parameters<Net, T>>();
    ws_ = std::make_unique<workspace<Net, T>>();
    ws1_ = std::make_unique<workspace<Net, T, 1>>();
  }

  double damping() const { return mu_; }
  std::size_t steps() const { return steps_; }
  const levenberg_marquardt_options& options() const { return o_; }

  // One step on the n samples (x: n rows of inputs, t: n rows of targets).
  lm_iteration step(parameters<Net, T>& p, std::span<const T> x, std::span<const T> t) {
    constexpr const char* where = "levenberg_marquardt::step";
    detail::require_buffers(where, "the input buffer", std::array<std::size_t, 1>{x.size()}, n_,
                            Net::input_sizes);
    detail::require_buffers(where, "the target buffer", std::array<std::size_t, 1>{t.size()}, n_,
                            std::array<std::size_t, 1>{output_size});
    constexpr std::size_t P = parameter_count;
    lm_iteration it;
    forward_batch(p, x, std::span<T>(y_), *ws_);
    it.loss_before = it.loss = loss_of(t);
    jacobian_batch(p, x, std::span<T>(rows_), *ws1_);
    normal_equations(t);
    set_scaling();
    ++steps_;
    while (it.tries < o_.max_tries) {
      ++it.tries;
      std::copy(normal_.begin(), normal_.end(), factor_.begin());
      for (std::size_t k = 0; k < P; ++k) factor_[k * P + k] += mu_ * scale_[k];
      bool solved = detail::cholesky_factor(factor_.data(), P);
      if (solved) {
        for (std::size_t k = 0; k < P; ++k) delta_[k] = -rhs_[k];
        detail::cholesky_solve(factor_.data(), P, delta_.data());
        for (std::size_t k = 0; k < P; ++k) (*trial_)[k] = static_cast<T>(double(p[k]) + delta_[k]);
        forward_batch(*trial_, x, std::span<T>(y_), *ws_);
        const double trial_loss = loss_of(t);
        if (trial_loss < it.loss_before) {
          p = *trial_;
          it.loss = trial_loss;
          it.taken = true;
          mu_ = std::max(o_.min_damping, mu_ / o_.decrease);
          break;
        }
      }
      if (mu_ >= o_.max_damping) {
        it.converged = true;
        break;
      }
      mu_ = std::min(o_.max_damping, mu_ * o_.increase);
    }
    it.damping = mu_;
    return it;
  }

 private:
  // C = (1/n) Σ ½ (y − t)², from y_.
  double loss_of(std::span<const T> t) const {
    double s = 0;
    for (std::size_t i = 0; i < y_.size(); ++i) {
      const double r = double(y_[i]) - double(t[i]);
      s += r * r;
    }
    return 0.5 * s / double(n_);
  }

  // JᵀJ and Jᵀr, r = y − t (y_ holds the outputs at θ). J is transposed first (jt_: one row per
  // parameter, m = n·outputs long), so that each entry of JᵀJ is a dot product of two contiguous
  // rows; they are taken 4 × 4 at a time on SIMD packs, each loaded pack serving 4 products (a
  // rank-1 update per residual instead was bound by memory: 0.78 ms against 0.1 at 342 × 193).
  void normal_equations(std::span<const T> t) {
    constexpr std::size_t P = parameter_count;
    const std::size_t m = n_ * output_size;
    for (std::size_t r = 0; r < m; ++r)
      for (std::size_t k = 0; k < P; ++k) jt_[k * m + r] = double(rows_[r * P + k]);
    for (std::size_t r = 0; r < m; ++r) residual_[r] = double(y_[r]) - double(t[r]);
    for (std::size_t k = 0; k < P; ++k) rhs_[k] = dot(jt_.data() + k * m, residual_.data(), m);
    for (std::size_t i = 0; i < P; i += 4)
      for (std::size_t j = i; j < P; j += 4) block(i, j, m);
    for (std::size_t i = 0; i < P; ++i)
      for (std::size_t j = 0; j < i; ++j) normal_[i * P + j] = normal_[j * P + i];
  }

  static double dot(const double* a, const double* b, std::size_t m) {
    return simd::sum_map<simd::default_arch>(a, b, m, [](auto x, auto y) { return x * y; });
  }

  // normal_[i + a][j + b] = ⟨jt_ row i + a, jt_ row j + b⟩ for a, b < 4 within P (the upper
  // triangle, and a little of the lower, which the mirror then overwrites).
  void block(std::size_t i, std::size_t j, std::size_t m) {
    constexpr std::size_t P = parameter_count;
    using traits = simd::pack_traits<double, simd::default_arch>;
    using V = typename traits::type;
    constexpr std::size_t L = traits::lanes;
    const std::size_t ni = std::min<std::size_t>(4, P - i), nj = std::min<std::size_t>(4, P - j);
    const double* a[4];
    const double* b[4];
    for (std::size_t u = 0; u < 4; ++u) {
      a[u] = jt_.data() + std::min(i + u, P - 1) * m;  // rows past P repeat the last: not stored
      b[u] = jt_.data() + std::min(j + u, P - 1) * m;
    }
    // Sixteen named accumulators: an array indexed in a loop stayed in memory at -O2.
    const V zero = traits::broadcast(0.0);
    V c00 = zero, c01 = zero, c02 = zero, c03 = zero, c10 = zero, c11 = zero, c12 = zero, c13 = zero;
    V c20 = zero, c21 = zero, c22 = zero, c23 = zero, c30 = zero, c31 = zero, c32 = zero, c33 = zero;
    const std::size_t vector_end = L > 1 ? m - m % L : 0;
    if constexpr (L > 1) {
      for (std::size_t k = 0; k < vector_end; k += L) {
        const V b0 = traits::load(b[0] + k), b1 = traits::load(b[1] + k), b2 = traits::load(b[2] + k),
                b3 = traits::load(b[3] + k);
        const V a0 = traits::load(a[0] + k), a1 = traits::load(a[1] + k), a2 = traits::load(a[2] + k),
                a3 = traits::load(a[3] + k);
        c00 = math::fma(a0, b0, c00), c01 = math::fma(a0, b1, c01), c02 = math::fma(a0, b2, c02), c03 = math::fma(a0, b3, c03);
        c10 = math::fma(a1, b0, c10), c11 = math::fma(a1, b1, c11), c12 = math::fma(a1, b2, c12), c13 = math::fma(a1, b3, c13);
        c20 = math::fma(a2, b0, c20), c21 = math::fma(a2, b1, c21), c22 = math::fma(a2, b2, c22), c23 = math::fma(a2, b3, c23);
        c30 = math::fma(a3, b0, c30), c31 = math::fma(a3, b1, c31), c32 = math::fma(a3, b2, c32), c33 = math::fma(a3, b3, c33);
      }
    }
    const V acc[4][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}};
    for (std::size_t u = 0; u < ni; ++u)
      for (std::size_t v = 0; v < nj; ++v) {
        double s = traits::sum(acc[u][v]);
        for (std::size_t k = vector_end; k < m; ++k) s += a[u][k] * b[v][k];
        normal_[(i + u) * P + (j + v)] = s;
      }
  }

  // D: diag(JᵀJ), each entry at least floor·(its largest), or I.
  void set_scaling() {
    constexpr std::size_t P = parameter_count;
    if (o_.damping == lm_damping::levenberg) {
      std::fill(scale_.begin(), scale_.end(), 1.0);
      return;
    }
    double top = 0;
    for (std::size_t k = 0; k < P; ++k) top = std::max(top, normal_[k * P + k]);
    const double floor = top > 0 ? o_.diagonal_floor * top : 1.0;
    for (std::size_t k = 0; k < P; ++k) scale_[k] = std::max(normal_[k * P + k], floor);
  }

  levenberg_marquardt_options o_;
  std::size_t n_;
  double mu_;
  std::size_t steps_ = 0;
  std::vector<T> rows_, y_;
  std::vector<double> jt_, residual_, normal_, factor_, rhs_, delta_, scale_;
  std::unique_ptr<parameters<Net, T>> trial_;
  std::unique_ptr<workspace<Net, T>> ws_;
  std::unique_ptr<workspace<Net, T, 1>> ws1_;
};

}  // namespace ctnn
