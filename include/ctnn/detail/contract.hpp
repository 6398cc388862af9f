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

// The messages of the checks below, built out of line (cold, never inlined): inlined into a
// caller whose buffer sizes GCC 12 can see, the string concatenations drew -Warray-bounds false
// positives (a memcpy "out of the bounds" of a std::string temporary) on paths that never run,
// and the caller's hot path carried the allocating code of its error path.
[[noreturn, gnu::cold, gnu::noinline]] inline void empty_batch(const char* where) {
  contract_failed(where, "the batch is empty (0 samples); pass at least one sample");
}
[[noreturn, gnu::cold, gnu::noinline]] inline void rows_mismatch(const char* where, const char* buffer,
                                                                  std::size_t values, std::size_t samples,
                                                                  std::size_t width) {
  contract_failed(where, std::string(buffer) + " holds " + std::to_string(values) + " values, expected " +
                             std::to_string(samples) + " samples x " + std::to_string(width) + " = " +
                             std::to_string(samples * width));
}
// The same for buffer k of a list ("input buffer 1").
[[noreturn, gnu::cold, gnu::noinline]] inline void numbered_rows_mismatch(const char* where, const char* list,
                                                                           std::size_t k, std::size_t values,
                                                                           std::size_t samples, std::size_t width) {
  const std::string name = std::string(list) + " " + std::to_string(k);
  rows_mismatch(where, name.c_str(), values, samples, width);
}
[[noreturn, gnu::cold, gnu::noinline]] inline void not_whole_samples(const char* where, const char* buffer,
                                                                      std::size_t values, std::size_t width) {
  contract_failed(where, std::string(buffer) + " holds " + std::to_string(values) +
                             " values, which is not a whole number of samples of width " + std::to_string(width));
}

constexpr void require_batch(const char* where, std::size_t samples) {
  if (samples == 0) empty_batch(where);
}

// `values` must be exactly `samples` rows of `width` values each.
constexpr void require_rows(const char* where, const char* buffer, std::size_t values,
                         std::size_t samples, std::size_t width) {
  if (values != samples * width) rows_mismatch(where, buffer, values, samples, width);
}

// The input buffer defines the batch size, so it must hold a whole number of samples.
constexpr std::size_t samples_in(const char* where, const char* buffer, std::size_t values,
                              std::size_t width) {
  if (values % width != 0) not_whole_samples(where, buffer, values, width);
  require_batch(where, values / width);
  return values / width;
}

}  // namespace detail
}  // namespace ctnn
