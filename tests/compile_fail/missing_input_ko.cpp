// The input width must be declared first.
// errors: 1
// expect: network_must_start_with_input
// expect: the first template argument of network<...> must be input<N>
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>>;
int main() { return static_cast<int>(net::parameter_count); }
