#pragma once
// A small seeded generator (xoshiro256** seeded through splitmix64) and its own conversions to
// floating point, so that the same seed gives the same weights with every compiler and standard
// library (std::uniform_real_distribution is not specified bit for bit).

#include <cmath>
#include <cstdint>

namespace ctnn::detail {

// SplitMix64's finaliser: a 64-bit mix in which every input bit moves about half the output
// bits. The generator below seeds through it; counter-based draws (dropout's masks, the run
// rule's streams) hash their counters with it.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class random_generator {
 public:
  constexpr explicit random_generator(std::uint64_t seed) {
    for (auto& word : state_) word = splitmix64(seed);
  }

  constexpr std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  constexpr double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  constexpr double uniform(double low, double high) { return low + (high - low) * uniform01(); }

  // Uniform integer in [0, bound) (bound > 0), without modulo bias worth noticing for small bounds.
  constexpr std::uint64_t below(std::uint64_t bound) {
    return static_cast<std::uint64_t>(uniform01() * static_cast<double>(bound)) % bound;
  }

  // Standard normal by Box-Muller (one value per call; the second is dropped for simplicity).
  double normal() {
    double u1 = uniform01();
    while (u1 <= 0.0) u1 = uniform01();
    const double u2 = uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static constexpr std::uint64_t splitmix64(std::uint64_t& x) { return mix64(x += 0x9e3779b97f4a7c15ull); }
  std::uint64_t state_[4]{};
};

}  // namespace ctnn::detail
