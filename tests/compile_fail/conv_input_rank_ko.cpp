// conv2d on a vector (784 values) instead of an image C × H × W: the error names the conv2d node,
// its input and the input's shape, and says to reshape first.
// errors: 1
// expect: window_of<ctnn::op::conv2d<(ctnn::name<3> ?\{"c1"\}|\{\{99, 49, 0\}\}), 8, ctnn::op::kernel<5>, ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 784> ?> ?>
// expect: takes<ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 784> ?, ctnn::shape<784> ?>::check<false>
// expect: convolution and pooling nodes take an image of shape <channels, height, width> \(rank 3\); reshape a vector first
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 784>;
using c = op::conv2d<"c1", 8, op::kernel<5>, x>;
using y = op::dense<"head", 10, op::flatten<c>>;
using net = ctnn::graph<ctnn::outputs<y>>;
int main() { return static_cast<int>(net::parameter_count); }
