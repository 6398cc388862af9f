#pragma once
// Version, and the few macros ctnn allows (all CTNN_-prefixed).

#define CTNN_VERSION_MAJOR 0
#define CTNN_VERSION_MINOR 1
#define CTNN_VERSION_PATCH 0

// CTNN_NO_SIMD=1 builds every kernel with the scalar architecture (one lane, plain loops)
// instead of xsimd's best architecture for the target. The meson option `simd=false` sets it.
#ifndef CTNN_NO_SIMD
#define CTNN_NO_SIMD 0
#endif

// CTNN_NO_FLATTEN=1 leaves the one-sample passes (forward, loss_and_gradient, train_step,
// inference) as calls between functions instead of flattening each into one body. Flattening is
// what keeps a small net's values in registers from layer to layer (16-32-32-1 forward: 42 ns
// flattened, 4× slower without), and it is much of what a large graph costs the compiler (fit's
// one-sample step is never flattened, train/train_step.hpp says why). The gradient laws set it
// (they check arithmetic, which flattening does not change).
#ifndef CTNN_NO_FLATTEN
#define CTNN_NO_FLATTEN 0
#endif
#if CTNN_NO_FLATTEN
#define CTNN_FLATTEN
#else
#define CTNN_FLATTEN [[gnu::flatten]]
#endif

// CTNN_UNROLL: before a loop over a small compile-time count (the rows and packs of a register
// block, the lanes of a pack): unrolled completely, so a block's accumulators stay in registers.
// g++ -O3 and clang do that by themselves; g++ -O2 kept the loops, and with them the accumulator
// arrays in memory: the batch forward pass and training steps ran 4x slower than at -O3.
#define CTNN_UNROLL _Pragma("GCC unroll 64")

// CTNN_INLINE_LAMBDA, CTNN_INLINE_KERNEL: the one-sample kernels (simd/matvec.hpp,
// simd/column_forward.hpp) and the lambdas inside them, always_inline with clang. clang 14's
// flatten inlines only the calls written in the flattened function and left these as calls
// (clang -O3, 16-32-32-1 gradient: 0.8x -> 1.1-1.4x Eigen; 64-64-64-1 forward from parameters
// 2.6x, gradient 1.6x the time of g++'s until the kernels themselves were forced inline); g++
// inlines them already, and at -O1 (the laws) forcing it would copy each row loop once per row
// of a group. Off with CTNN_NO_FLATTEN, which asks for calls, and without optimisation (-O0:
// forced inlining there made the sanitizer build of the tests take 1.4x as long to compile).
#if defined(__clang__) && defined(__OPTIMIZE__) && !CTNN_NO_FLATTEN
#define CTNN_INLINE_LAMBDA __attribute__((always_inline))
#define CTNN_INLINE_KERNEL __attribute__((always_inline))
#else
#define CTNN_INLINE_LAMBDA
#define CTNN_INLINE_KERNEL
#endif

namespace ctnn {
inline constexpr int version_major = CTNN_VERSION_MAJOR;
inline constexpr int version_minor = CTNN_VERSION_MINOR;
inline constexpr int version_patch = CTNN_VERSION_PATCH;
inline constexpr bool simd_enabled = !CTNN_NO_SIMD;
}  // namespace ctnn
