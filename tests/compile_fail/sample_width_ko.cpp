// One sample of the wrong width passed to forward: ctnn's error in plain words (the widths given
// and expected), one error, not "no matching function" with the reason among the notes.
// errors: 1
// expect: sample_has_values<3>::but_the_input_takes<2>
// expect: the sample passed to forward does not have the width of the graph's input
#include <array>
#include <ctnn/inference.hpp>

using net = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
int main() {
  ctnn::parameters<net, float> p;
  ctnn::initialize(p, 1);
  const auto y = ctnn::forward(p, std::array<float, 3>{0.f, 1.f, 2.f});
  return static_cast<int>(y[0]);
}
