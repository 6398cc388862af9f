// Twin of conv_input_rank_ko.cpp: the 784 values reshaped to one 28 × 28 channel first
// (output 8 × 24 × 24).
#include <ctnn/ctnn.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 784>;
using c = op::conv2d<"c1", 8, op::kernel<5>, op::reshape<x, ctnn::shape<1, 28, 28>>>;
using y = op::dense<"head", 10, op::flatten<c>>;
using net = ctnn::graph<ctnn::outputs<y>>;
static_assert(std::is_same_v<ctnn::core::shape_of<c>, ctnn::shape<8, 24, 24>>);
int main() { return static_cast<int>(net::parameter_count); }
