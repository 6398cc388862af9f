// A network with no layers at all. (network<input<4>>, an input and nothing to compute, is
// no_dense_layer_ko.cpp; a list that does not start with input<N> is missing_input_ko.cpp.)
// errors: 1
// expect: ctnn::network<>
// expect: network<> has no layers
#include <ctnn/ctnn.hpp>

using net = ctnn::network<>;
int main() { return static_cast<int>(net::parameter_count); }
