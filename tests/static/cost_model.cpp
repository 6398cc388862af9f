// Compiling is passing: the cost model of network types against hand counts.
#include <ctnn/ctnn.hpp>

namespace {

using mlp = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
using cost = ctnn::cost_model<mlp, float>;

static_assert(cost::parameter_count == 784 * 128 + 128 + 128 * 10 + 10);
// forward: 2·784·128 + 128 + 2·128·10 + 10
static_assert(cost::forward_flops == 200704 + 128 + 2560 + 10);
// gradient: forward + (∂W, ∂b of both layers) + δ into the hidden layer (not into the input)
static_assert(cost::gradient_flops == cost::forward_flops + (200704 + 128) + (2560 + 10) + 2560);
static_assert(cost::input_gradient_flops == 200704);
// one aligned float per parameter, rounded up to the 64-byte alignment
static_assert(cost::parameter_bytes == (101770 * 4 + 63) / 64 * 64);
// z and a for 32 samples of the 138 outputs, and two δ tiles of the widest layer (784)
static_assert(cost::workspace_bytes >= 32 * 138 * 2 * 4 + 2 * 32 * 784 * 4);

// A budget as a user would write it: the float weights need 398 KiB, between 256 and 512 KiB.
static_assert(cost::parameter_bytes > 256 * 1024 && cost::parameter_bytes < 512 * 1024);

using tiny = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
static_assert(ctnn::cost_model<tiny>::forward_flops == 2 * 2 * 8 + 8 + 2 * 8 * 1 + 1);
static_assert(ctnn::cost_model<tiny, double>::parameter_bytes == 64 * 5);  // 33 doubles -> 320

}  // namespace
