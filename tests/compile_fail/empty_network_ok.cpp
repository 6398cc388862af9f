// Twin of empty_network_ko.cpp: the smallest network that has layers.
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<4>, ctnn::dense<1>>;
static_assert(net::parameter_count == 4 + 1 && net::layer_count == 2);
int main() { return static_cast<int>(net::parameter_count); }
