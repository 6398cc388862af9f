// Twin of graph_loss_width_ko.cpp: 2 values, so softmax_cross_entropy takes them and this compiles.
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 3>;
using y = op::dense<"h", 2, x>;
using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::softmax_cross_entropy<y>>>;
static_assert(net::target_count == 1);
int main() { return static_cast<int>(net::target_count); }
