// A linear<In, Out> layer whose declared input width differs from the previous layer's output.
// errors: 1
// expect: layer_at_position<3, ctnn::linear<32, 8> ?>::expects_inputs<32>::but_receives<64>
// expect: declared input width differs from the width the previous layer outputs
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<16>, ctnn::dense<64>, ctnn::tanh, ctnn::linear<32, 8>>;
int main() { return static_cast<int>(net::parameter_count); }
