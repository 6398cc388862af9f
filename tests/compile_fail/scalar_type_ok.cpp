// Twin of scalar_type_ko.cpp.
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<2>, ctnn::dense<1>>;
int main() {
  ctnn::parameters<net, double> p;
  return static_cast<int>(p[0]);
}
