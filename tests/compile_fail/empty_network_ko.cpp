// A network with no layers at all. (network<input<4>>, an input and nothing to compute, is
// no_dense_layer_ko.cpp; a list that does not start with input<N> is missing_input_ko.cpp.)
// The second regex takes both the dedicated message (shape_error::network_has_no_layers) and the
// generic one that sequential.hpp gives until it uses the dedicated check for an empty list.
// expect: ctnn::network<>
// expect: network<> has no layers|the first template argument of network<...> must be input<N>
#include <ctnn/ctnn.hpp>

using net = ctnn::network<>;
int main() { return static_cast<int>(net::parameter_count); }
