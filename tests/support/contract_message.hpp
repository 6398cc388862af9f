#pragma once
// For the tests of run-time contract errors: the message a call throws, and text checks on it.

#include <ctnn/detail/contract.hpp>
#include <string>

namespace ctnn_test {

// The what() of the contract_error `call` throws, or a note that it threw none.
template <class F>
std::string contract_message(F call) {
  try {
    call();
  } catch (const ctnn::contract_error& e) {
    return e.what();
  }
  return "(no ctnn::contract_error was thrown)";
}

inline bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace ctnn_test
