#pragma once
// Command-line values for the examples: a bad one ends the program with its name, what was
// wrong and the usage text (exit status 2), the same way in every example.
//
//   const examples::arguments args{"fashion_cnn", usage};
//   o.epochs = args.count("--epochs", value, /*zero_ok=*/false);

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace examples {

struct arguments {
  const char* program;
  const char* usage;

  [[noreturn]] void bad(const std::string& what) const {
    std::fprintf(stderr, "%s: %s\n%s", program, what.c_str(), usage);
    std::exit(2);
  }

  // A whole number (>= 1, or >= 0 when zero_ok).
  std::uint64_t count(const char* name, const char* text, bool zero_ok) const {
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (text[0] == '-' || end == text || *end != '\0' || errno != 0 || (v == 0 && !zero_ok))
      bad(std::string(name) + " must be " + (zero_ok ? "a whole number >= 0" : "a whole number >= 1") +
          ", got '" + text + "'");
    return v;
  }

  // A number in [low, high) (or (low, high) when !low_inclusive).
  double real(const char* name, const char* text, double low, double high, bool low_inclusive) const {
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || !(low_inclusive ? v >= low : v > low) || !(v < high))
      bad(std::string(name) + " must be a number in " + (low_inclusive ? "[" : "(") + number(low) +
          ", " + number(high) + "), got '" + text + "'");
    return v;
  }

  static std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
  }
};

}  // namespace examples
