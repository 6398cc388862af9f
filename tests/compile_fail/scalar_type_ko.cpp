// Parameters of an integer type: backprop needs floating point.
// expect: the scalar type of parameters, gradients and workspaces must be float or double
#include <ctnn/ctnn.hpp>

using net = ctnn::network<ctnn::input<2>, ctnn::dense<1>>;
int main() {
  ctnn::parameters<net, int> p;
  return p[0];
}
