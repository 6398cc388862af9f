// A network with an input and nothing to compute.
// errors: 1
// expect: network_needs_at_least_one_dense_layer
// expect: a network needs at least one dense layer after input<N>
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<4>>;
int main() { return static_cast<int>(net::parameter_count); }
