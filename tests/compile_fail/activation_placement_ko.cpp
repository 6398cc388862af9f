// Two activations in a row: the second has no dense layer of its own.
// errors: 1
// expect: layer_at_position<3, ctnn::sigmoid ?>::must_follow_a_dense_layer
// expect: an activation must come right after a dense layer
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::tanh, ctnn::sigmoid, ctnn::dense<1>>;
int main() { return static_cast<int>(net::parameter_count); }
