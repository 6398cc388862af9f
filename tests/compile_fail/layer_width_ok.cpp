// Twin of layer_width_ko.cpp: the declared input width matches, so this compiles.
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<16>, ctnn::dense<64>, ctnn::tanh, ctnn::linear<64, 8>>;
static_assert(net::parameter_count == 16 * 64 + 64 + 64 * 8 + 8);
int main() { return static_cast<int>(net::parameter_count); }
