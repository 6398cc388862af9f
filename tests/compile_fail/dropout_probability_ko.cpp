// A dropout probability of 1 or more (here 3/2, a ratio written upside down): one error, naming
// the node with its probability, and saying what range it takes.
// errors: 1
// expect: dropout_of<ctnn::op::dropout<ctnn::op::activation<ctnn::relu, ctnn::op::dense<(ctnn::name<3> ?\{"fc"\}|\{\{102, 99, 0\}\}), 8, ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 4> ?> ?>, std::ratio<3, 2> ?> ?>
// expect: probability_is<3, 2>::check<false>
// expect: op::dropout's probability must be at least 0 and below 1
#include <ctnn/ctnn.hpp>
#include <ratio>

namespace op = ctnn::op;
using x = op::input<"x", 4>;
using h = op::dropout<op::relu<op::dense<"fc", 8, x>>, std::ratio<3, 2>>;
using net = ctnn::graph<ctnn::outputs<op::dense<"head", 2, h>>>;
int main() { return static_cast<int>(net::parameter_count); }
