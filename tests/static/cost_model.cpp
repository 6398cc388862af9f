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
// The workspace holds the buffer plan (autodiff/plan.hpp) for a tile of 32: the values z¹, a¹
// (32·128 each) and z² (32·10), and the adjoints δz² (32·10) and δz¹ (32·128). No δa¹: the second
// layer takes relu through its derivative; the input's values and ∇ₓ are the caller's buffers.
// Without sharing that is 3·4096 + 2·320 floats. The second layer's backward step reads z¹ (for
// relu'), a¹ (for ∂W²) and δz², and writes δz¹: those four are alive at once, so the plan needs
// at least 3·4096 + 320 floats, and at most all five buffers.
static_assert(cost::unshared_workspace_bytes == (3 * 4096 + 2 * 320) * 4);
// (+ 64 bytes: the workspace's run rule and dropout stream, padded to its 64-byte alignment)
static_assert(cost::workspace_bytes >= (3 * 4096 + 320) * 4 + 64);
static_assert(cost::workspace_bytes <= (3 * 4096 + 2 * 320) * 4 + 64);

// A deeper chain, where lifetimes end early enough to share. 16-64-64-64-4 with relu, tile 32:
// values z¹ a¹ z² a² z³ a³ (2048 floats each) and z⁴ (128), adjoints δz⁴ (128), δz³ δz² δz¹
// (2048 each): 9·2048 + 2·128 unshared. The backward steps run loss, layer 4, 3, 2, 1; layer l's
// step reads aˡ⁻¹ and zˡ⁻¹ (∂W, relu') and writes δzˡ⁻¹, after which those values are dead. The
// peak is at layer 4's step: all six 2048-wide values, δz⁴ and δz³ (7·2048 + 128); δz² and δz¹,
// born after z³, a³ and then z², a² died, can reuse their memory, so the plan must be smaller
// than the unshared sum.
using deep = ctnn::network<ctnn::input<16>, ctnn::dense<64>, ctnn::relu, ctnn::dense<64>, ctnn::relu,
                           ctnn::dense<64>, ctnn::relu, ctnn::dense<4>>;
using deep_cost = ctnn::cost_model<deep, float>;
static_assert(deep_cost::unshared_workspace_bytes == (9 * 2048 + 2 * 128) * 4);
static_assert(deep_cost::workspace_bytes >= (7 * 2048 + 128) * 4);
static_assert(deep_cost::workspace_bytes < (9 * 2048 + 2 * 128) * 4);

// A budget as a user would write it: the float weights need 398 KiB, between 256 and 512 KiB.
static_assert(cost::parameter_bytes > 256 * 1024 && cost::parameter_bytes < 512 * 1024);

using tiny = ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
static_assert(ctnn::cost_model<tiny>::forward_flops == 2 * 2 * 8 + 8 + 2 * 8 * 1 + 1);
static_assert(ctnn::cost_model<tiny, double>::parameter_bytes == 64 * 5);  // 33 doubles -> 320

}  // namespace
