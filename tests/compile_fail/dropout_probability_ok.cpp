// The twin of dropout_probability_ko.cpp: probability 2/3.
#include <ctnn/ctnn.hpp>
#include <ratio>

namespace op = ctnn::op;
using x = op::input<"x", 4>;
using h = op::dropout<op::relu<op::dense<"fc", 8, x>>, std::ratio<2, 3>>;
using net = ctnn::graph<ctnn::outputs<op::dense<"head", 2, h>>>;
int main() { return static_cast<int>(net::parameter_count); }
