#pragma once
// The DAG that graph_behaviour.cpp (bit identity per thread count) and graph_allocation.cpp (no
// allocation on any pass) both run: two inputs, a residual (h read twice), a block shared by two
// dense nodes, softmax inside, concat and slice, a stop_gradient branch with parameters, two heads
// with two losses in a weighted objective, and a third output that no loss reads.

#include <ctnn/ctnn.hpp>
#include <ratio>

namespace two_head_dag {
namespace op = ctnn::op;
using x = op::input<"x", 19>;
using u = op::input<"u", 5>;
using h = op::tanh<op::dense<"enc", 24, x>>;
using r = op::add<h, op::relu<op::dense<"res", 24, h>>>;
using su = op::dense<"shared", 24, r>;
using sv = op::dense<"shared", 24, op::sigmoid<h>>;
using gate = op::softmax<op::dense<"gate", 24, op::concat<r, u>>>;
using g = op::mul<gate, op::add<su, sv>>;
using frozen = op::stop_gradient<op::dense<"frozen", 4, u>>;
using y1 = op::dense<"head1", 10, op::concat<g, op::slice<r, 3, 20>, frozen>>;
using y2 = op::sigmoid<op::dense<"head2", 3, op::concat<op::slice<g, 0, 8>, u>>>;
using y3 = op::dense<"probe", 2, h>;
using net = ctnn::graph<
    ctnn::inputs<x, u>, ctnn::outputs<y1, y2, y3>,
    ctnn::objective<op::add<op::scale<op::softmax_cross_entropy<y1>, std::ratio<1, 2>>,
                            op::binary_cross_entropy<y2>>>>;
static_assert(net::input_count == 2 && net::output_count == 3 && net::target_count == 2);
static_assert(net::block_count == 16);  // 8 dense blocks (shared counted once), W and b each
}  // namespace two_head_dag
