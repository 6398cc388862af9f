// A user's own program for scripts/asm.sh FILE FUNCTION (tests/inspect/asm_summary.sh): an
// embedded net's prediction as one function of its own.
#include <array>
#include <ctnn/inference.hpp>

using net = ctnn::network<ctnn::input<8>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<16>, ctnn::tanh,
                          ctnn::dense<2>>;

namespace controller {
[[gnu::noinline]] std::array<float, 2> predict(const ctnn::inference_weights<net, float>& w,
                                               const std::array<float, 8>& x) {
  return ctnn::forward(w, x);
}
}  // namespace controller

int main() {
  static ctnn::parameters<net, float> p;
  ctnn::initialize(p, 1);
  static const ctnn::inference_weights<net, float> w(p);
  const std::array<float, 8> x{};
  return controller::predict(w, x)[0] > 10.0f ? 1 : 0;
}
