// Twin of activation_placement_ko.cpp: each activation follows its own dense layer.
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<4>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<8>, ctnn::sigmoid,
                          ctnn::dense<1>>;
int main() { return static_cast<int>(net::parameter_count); }
