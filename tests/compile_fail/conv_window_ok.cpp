// Twin of conv_window_ko.cpp: padding 1 makes the 4×4 image 6×6, which the 5×5 kernel fits
// (output 3 × 2 × 2).
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 1, 4, 4>;
using c = op::conv2d<"c1", 3, op::kernel<5>, x, op::padding<1>>;
using y = op::dense<"head", 2, op::flatten<c>>;
using net = ctnn::graph<ctnn::outputs<y>>;
static_assert(std::is_same_v<ctnn::core::shape_of<c>, ctnn::shape<3, 2, 2>>);
static_assert(net::parameter_count == (3 * 1 * 5 * 5 + 3) + (2 * 12 + 2));
int main() { return static_cast<int>(net::parameter_count); }
