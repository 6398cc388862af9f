// The twin of recurrent_steps_ko.cpp: one step.
#include <ctnn/ctnn.hpp>
#include <ctnn/nn/recurrent.hpp>

namespace op = ctnn::op;
using x = op::input<"x", 1, 4>;
using layer = ctnn::recurrent<ctnn::gru_cell<"gru", 4, 8>, 1, x>;
using net = ctnn::graph<ctnn::outputs<op::dense<"head", 2, op::flatten<layer>>>>;
int main() { return static_cast<int>(net::parameter_count); }
