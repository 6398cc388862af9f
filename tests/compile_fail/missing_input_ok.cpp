// Twin of missing_input_ko.cpp.
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<3>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>>;
int main() { return static_cast<int>(net::parameter_count); }
