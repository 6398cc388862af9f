#pragma once
// Which rule the passes run for the ops that have a training and an evaluation rule (dropout):
// a pass that computes a gradient trains, a pass that computes outputs or a loss evaluates. A
// workspace can pin either rule for every pass through it:
//
//   ctnn::workspace<net, float> ws;
//   ws.seed = 7;                                  // the stream training draws from
//   ctnn::loss_and_gradient_batch(p, loss, x, t, g, ws);   // training rule, draw 1 of stream 7
//   ctnn::forward_batch(p, x, y, ws);                      // evaluation rule: dropout off
//   ws.rule = ctnn::run_rule::training;
//   ctnn::loss_batch(p, loss, x, t, ws);          // training rule, the last gradient's draw
//
// Each gradient pass (and each training step) takes the next draw of the workspace's stream; a
// pass that only evaluates, run under the training rule, reuses the last draw, so the loss it
// gives is the one the last gradient was the gradient of. A draw depends on the seed, the draw's
// number and the sample's place in its batch only: the same on every thread count, tile size and
// architecture. The one-sample passes, which take no workspace, always use draw 0 of stream 0.
// The second-order passes (nn/hessian.hpp) and the inference paths evaluate.

#include <cstdint>

#include "../core/op.hpp"
#include "../detail/random.hpp"

namespace ctnn {

enum class run_rule : unsigned char {
  by_pass,     // gradient passes train, the others evaluate (the default)
  training,    // every pass trains
  evaluation,  // every pass evaluates, gradient passes too
};

namespace detail {

// Distinct (seed, draw) give unrelated streams (detail/random.hpp: mix64).
constexpr core::run_mode training_draw(std::uint64_t seed, std::uint64_t draw) {
  return {true, mix64(mix64(seed) + draw), 0};
}

// The mode of a gradient pass through a workspace (or parallel workspace) w: the next draw.
template <class W>
constexpr core::run_mode gradient_mode(W& w) {
  if (w.rule == run_rule::evaluation) return {};
  ++w.draw;
  return training_draw(w.seed, w.draw);
}

// The mode of a pass that only evaluates.
template <class W>
constexpr core::run_mode output_mode(const W& w) {
  if (w.rule != run_rule::training) return {};
  return training_draw(w.seed, w.draw);
}

}  // namespace detail
}  // namespace ctnn
