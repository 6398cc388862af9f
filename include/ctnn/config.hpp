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

namespace ctnn {
inline constexpr int version_major = CTNN_VERSION_MAJOR;
inline constexpr int version_minor = CTNN_VERSION_MINOR;
inline constexpr int version_patch = CTNN_VERSION_PATCH;
inline constexpr bool simd_enabled = !CTNN_NO_SIMD;
}  // namespace ctnn
