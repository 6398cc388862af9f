#pragma once
// Run-time contract checks of the public API. A violated contract (an empty batch, a buffer whose
// size does not fit the network) throws ctnn::contract_error with a message naming the function,
// the buffer and both sizes. The checks cost a few compares per call, never per sample.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace ctnn {

struct contract_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

namespace detail {

[[noreturn]] inline void contract_failed(const char* where, const std::string& what) {
  throw contract_error(std::string("ctnn::") + where + ": " + what);
}

constexpr void require_batch(const char* where, std::size_t samples) {
  if (samples == 0) contract_failed(where, "the batch is empty (0 samples); pass at least one sample");
}

// `values` must be exactly `samples` rows of `width` values each.
constexpr void require_rows(const char* where, const char* buffer, std::size_t values,
                         std::size_t samples, std::size_t width) {
  if (values != samples * width) {
    // Appended, not a chain of operator+: inlined into a pass, GCC 12 warns falsely
    // (-Warray-bounds, GCC bug 105329) about moving the chain's temporaries.
    std::string m(buffer);
    m += " holds ";
    m += std::to_string(values);
    m += " values, expected ";
    m += std::to_string(samples);
    m += " samples x ";
    m += std::to_string(width);
    m += " = ";
    m += std::to_string(samples * width);
    contract_failed(where, m);
  }
}

// The input buffer defines the batch size, so it must hold a whole number of samples.
constexpr std::size_t samples_in(const char* where, const char* buffer, std::size_t values,
                              std::size_t width) {
  if (values % width != 0) {
    std::string m(buffer);  // appended: see require_rows
    m += " holds ";
    m += std::to_string(values);
    m += " values, which is not a whole number of samples of width ";
    m += std::to_string(width);
    contract_failed(where, m);
  }
  require_batch(where, values / width);
  return values / width;
}

}  // namespace detail
}  // namespace ctnn
