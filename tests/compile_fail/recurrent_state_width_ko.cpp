// An LSTM layer started from a state of the wrong width: 8 values where its state [h, c] has
// 2 × 8 = 16. One error, naming the node, the starting state's width and the cell's.
// errors: 1
// expect: start_state_has<ctnn::op::input<(ctnn::name<6> ?\{"start"\}|\{\{115, 116, 97, 114, 116, 0\}\}), 8 ?>, 8 ?>
// expect: but_the_cell_state_has<16>::check<false>
// expect: op::unroll's starting state must have the cell's state width
#include <ctnn/ctnn.hpp>
#include <ctnn/nn/recurrent.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 5, 3>;
using start = op::input<"start", 8>;
using layer = ctnn::recurrent<ctnn::lstm_cell<"lstm", 3, 8>, 5, x, start>;
using net = ctnn::graph<ctnn::inputs<x, start>, ctnn::outputs<op::dense<"head", 2, ctnn::last_hidden<layer>>>>;
int main() { return static_cast<int>(net::parameter_count); }
