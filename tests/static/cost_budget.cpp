// Compiling is passing: budgets for a 784-128-10 MNIST classifier, written as a user would put
// them next to the network type, so that a change of topology that breaks a budget fails the
// build instead of a deployment. Every expected number is counted by hand in the comments (not
// taken from the cost model), and each budget sits a little above its count.
#include <ctnn/ctnn.hpp>

namespace {

using mnist = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
using cost = ctnn::cost_model<mnist, float>;          // workspace tile of 32 samples
using cost_double = ctnn::cost_model<mnist, double>;

// ---- hand counts ----------------------------------------------------------------------------
// parameters: W1 128×784 = 100,352, b1 128, W2 10×128 = 1,280, b2 10  ->  101,770
static_assert(cost::parameter_count == 101'770);
// forward FLOPs per sample (multiply-add = 2, bias add = 1):
//   layer 1: 2·100,352 + 128 = 200,832;  layer 2: 2·1,280 + 10 = 2,570  ->  203,402
static_assert(cost::forward_flops == 203'402);
// gradient FLOPs per sample: the forward pass, then per layer ∂W (2·in·out) and ∂b (out), and
// δ into the hidden layer (2·1,280), not into the input:
//   203,402 + 200,832 + 2,570 + 2,560 = 409,364
static_assert(cost::gradient_flops == 409'364);
// parameter bytes: 101,770 floats = 407,080 bytes, rounded up to the 64-byte alignment: 407,104;
// in double 814,160 -> 814,208
static_assert(cost::parameter_bytes == 407'104);
static_assert(cost_double::parameter_bytes == 814'208);
// workspace (the buffer plan for 32 samples): z¹, a¹ and δz¹ of 32 · 128 floats, z² and δz² of
// 32 · 10; the second layer's backward step needs z¹, a¹, δz² and δz¹ at once, so at least
// (3 · 4,096 + 320) · 4 = 50,432 bytes, at most all five buffers, (3 · 4,096 + 640) · 4 = 51,712;
// and 64 bytes for the run rule and dropout stream (padded to the workspace's alignment)
static_assert(cost::workspace_bytes >= 50'432 + 64);
static_assert(cost::workspace_bytes <= 51'712 + 64);

// ---- budgets -----------------------------------------------------------------------------------
// Inference on a microcontroller-class target: at most 0.25 MFLOP per image and weights that fit
// in 400 KiB of flash as float.
static_assert(cost::forward_flops <= 250'000, "one image must cost at most 0.25 MFLOP");
static_assert(cost::parameter_bytes <= 400 * 1024, "float weights must fit in 400 KiB");
// double weights do not fit that budget (they need 795 KiB): the budget is about the type too.
static_assert(cost_double::parameter_bytes > 400 * 1024);

// Training: backprop costs at most about twice the forward pass on top of it (here 2.01×
// forward in total, since the input gradient is skipped) ...
static_assert(cost::gradient_flops <= 2 * cost::forward_flops + 5'000);
// ... a step on a batch of 256 costs at most 110 MFLOP (256 · 409,364 = 104,797,184) ...
static_assert(256 * cost::gradient_flops <= 110'000'000);
// ... and parameters, gradient and Adam's two moment buffers fit in 2 MiB (4 · 407,104 =
// 1,628,416 bytes), the workspace of one tile in a 256 KiB L2 cache.
static_assert(4 * cost::parameter_bytes <= 2 * 1024 * 1024);
static_assert(cost::workspace_bytes <= 256 * 1024, "one tile's workspace must fit in L2");

// A wider hidden layer breaks the inference budget: 784-512-10 needs 0.81 MFLOP per image
// (2·784·512 + 512 + 2·512·10 + 10 = 813,578).
using wide = ctnn::network<ctnn::input<784>, ctnn::dense<512>, ctnn::relu, ctnn::dense<10>>;
static_assert(ctnn::cost_model<wide>::forward_flops == 813'578);
static_assert(!(ctnn::cost_model<wide>::forward_flops <= 250'000));

}  // namespace
