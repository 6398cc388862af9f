// The twin of pool_padding_ko.cpp: padding 1 is half the kernel of 2, which PyTorch allows.
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 3, 8, 8>;
using p = op::max_pool2d<x, op::kernel<2>, op::padding<1>>;
using y = op::dense<"head", 10, op::flatten<p>>;
using net = ctnn::graph<ctnn::outputs<y>>;
static_assert(std::is_same_v<ctnn::core::shape_of<p>, ctnn::shape<3, 5, 5>>);
int main() { return static_cast<int>(net::parameter_count); }
