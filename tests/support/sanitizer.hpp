#pragma once
// Whether this program is built with AddressSanitizer (scripts/test.sh's sanitize configuration:
// -O0, every access checked, ten to fifty times slower). The tests that repeat the same passes
// many times to check arithmetic or a steady state repeat them less there: that configuration
// checks memory, which the first repetition already shows.

namespace ctnn_test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool under_address_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool under_address_sanitizer = true;
#else
inline constexpr bool under_address_sanitizer = false;
#endif
#else
inline constexpr bool under_address_sanitizer = false;
#endif

}  // namespace ctnn_test
