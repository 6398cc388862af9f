#pragma once
// Compile-time tensor shapes, rank 1 to 4, outermost dimension first: shape<784> is a vector,
// shape<3, 28, 28> an image of 3 channels of 28 × 28 (channels × height × width). A node's value
// for one sample is its shape's `size` values, row-major; a tile of n samples is n such rows.

#include <array>
#include <cstddef>

namespace ctnn {

template <std::size_t... Dims>
struct shape {
  static constexpr std::size_t rank = sizeof...(Dims);
  static constexpr std::size_t size = (std::size_t{1} * ... * Dims);
  static constexpr std::array<std::size_t, sizeof...(Dims)> dims{Dims...};
  // The size of one step along the outermost dimension (a channel of an image, one value of a
  // vector): what concat and slice move in.
  static constexpr std::size_t inner = rank == 0 ? 1 : size / dims[0];
};

namespace core {

template <class S>
inline constexpr bool is_shape = false;
template <std::size_t... D>
inline constexpr bool is_shape<shape<D...>> = true;

// Ranks 1 to 4 and no empty dimension.
template <class S>
constexpr bool valid_shape() {
  if constexpr (!is_shape<S>) {
    return false;
  } else {
    if (S::rank < 1 || S::rank > 4) return false;
    for (std::size_t d : S::dims)
      if (d == 0) return false;
    return true;
  }
}

// shape<D0 + E0, D1, ...>: S with its outermost dimension changed to D.
template <class S, std::size_t D>
struct with_outer;
template <std::size_t D0, std::size_t... Rest, std::size_t D>
struct with_outer<shape<D0, Rest...>, D> {
  using type = shape<D, Rest...>;
};

}  // namespace core
}  // namespace ctnn
