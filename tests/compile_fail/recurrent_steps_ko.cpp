// An unrolled cell over T = 0 steps: one error, naming the node and the step count.
// errors: 1
// expect: unroll_of<ctnn::op::unroll<ctnn::gru_cell<
// expect: steps_are<0>::check<false>
// expect: op::unroll needs at least one step
#include <ctnn/ctnn.hpp>
#include <ctnn/nn/recurrent.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 1, 4>;
using layer = ctnn::recurrent<ctnn::gru_cell<"gru", 4, 8>, 0, x>;
using net = ctnn::graph<ctnn::outputs<op::dense<"head", 2, op::flatten<layer>>>>;
int main() { return static_cast<int>(net::parameter_count); }
