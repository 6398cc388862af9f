// Twin of no_dense_layer_ko.cpp: the smallest well-formed network.
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<4>, ctnn::dense<1>>;
static_assert(net::parameter_count == 5);
int main() { return static_cast<int>(net::parameter_count); }
