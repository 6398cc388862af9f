// One of the two translation units of the link test; see odr_main.cpp.
#include <ctnn/ctnn.hpp>

#include "odr.hpp"

odr::outcome odr::run_in_b() { return run_network(); }
