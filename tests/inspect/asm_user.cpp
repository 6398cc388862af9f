// A user's own program for scripts/asm.sh FILE FUNCTION (tests/inspect/asm_summary.sh): an
// embedded net's prediction as one function of its own, and a batch loss over buffers whose
// sizes are known only at run time (so its contract checks, and their error path, stay).
#include <array>
#include <ctnn/inference.hpp>
#include <span>
#include <vector>

using net = ctnn::network<ctnn::input<8>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<16>, ctnn::tanh,
                          ctnn::dense<2>>;

namespace controller {
[[gnu::noinline]] std::array<float, 2> predict(const ctnn::inference_weights<net, float>& w,
                                               const std::array<float, 8>& x) {
  return ctnn::forward(w, x);
}

[[gnu::noinline]] float batch_loss(const ctnn::parameters<net, float>& p, std::span<const float> x,
                                   std::span<const float> t, ctnn::workspace<net, float>& ws) {
  return ctnn::loss_batch(p, ctnn::squared_error{}, x, t, ws);
}
}  // namespace controller

int main() {
  static ctnn::parameters<net, float> p;
  ctnn::initialize(p, 1);
  static const ctnn::inference_weights<net, float> w(p);
  const std::array<float, 8> x{};
  static ctnn::workspace<net, float> ws;
  const std::vector<float> xs(8 * 3, 0.5f), ts(2 * 3, 0.1f);
  const float loss = controller::batch_loss(p, xs, ts, ws);
  return controller::predict(w, x)[0] > 10.0f || !(loss >= 0) ? 1 : 0;
}
