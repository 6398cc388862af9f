// A pooling window padded by more than half its kernel (PyTorch refuses it too: a window could
// then lie in the padding only): the error names the pool node, its padding and its kernel.
// errors: 1
// expect: window_of<ctnn::op::max_pool2d<ctnn::op::input<(ctnn::name<2> ?\{"x"\}|\{\{120, 0\}\}), 3, 8, 8> ?, ctnn::op::kernel<2> ?, ctnn::op::padding<2(, 2)?> ?> ?>
// expect: pool_padding_is<2, 2>::kernel_is<2, 2>::check<false>
// expect: a pooling window's padding must be at most half its kernel
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 3, 8, 8>;
using p = op::max_pool2d<x, op::kernel<2>, op::padding<2>>;
using y = op::dense<"head", 10, op::flatten<p>>;
using net = ctnn::graph<ctnn::outputs<y>>;
int main() { return static_cast<int>(net::parameter_count); }
