// softmax_cross_entropy on a node of 1 value, in a graph's objective: the loss node names itself,
// the width it needs and the width it gets.
// expect: loss_on<ctnn::op::loss<ctnn::softmax_cross_entropy, ctnn::op::dense<(ctnn::name<2> ?\{"h"\}|\{\{104, 0\}\}), 1,
// expect: needs_at_least_outputs<2>::but_its_input_has<1>
// expect: this loss cannot take its input's width
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 3>;
using y = op::dense<"h", 1, x>;
using net = ctnn::graph<ctnn::outputs<y>, ctnn::objective<op::softmax_cross_entropy<y>>>;
int main() { return static_cast<int>(net::target_count); }
